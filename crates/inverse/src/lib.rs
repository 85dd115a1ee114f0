//! Parameter estimation, uncertainty and design optimisation for ai4de.
//!
//! * [`optim`]: Levenberg–Marquardt (Moré's trust-region form) for least squares and L-BFGS
//!   (strong-Wolfe line search) for smooth objectives, tested on the Moré–Garbow–Hillstrom set.
//! * [`transform`]: bounds and log-parameters by change of variables.
#![forbid(unsafe_code)]

pub mod error;
pub mod optim;
pub mod transform;

pub use error::InverseError;
pub use transform::{ParamSpec, Scale};
