//! Parameter estimation, uncertainty and design optimisation for ai4de.
//!
//! * [`optim`]: Levenberg–Marquardt (Moré's trust-region form) for least squares and L-BFGS
//!   (strong-Wolfe line search) for smooth objectives, tested on the Moré–Garbow–Hillstrom set.
//! * [`transform`]: bounds and log-parameters by change of variables.
//! * [`design`]: design optimisation and optimal control (running, terminal and penalty costs
//!   over parameters and piecewise-constant/linear bounded controls; continuous or discrete
//!   adjoint gradients; projected L-BFGS).
#![forbid(unsafe_code)]

pub mod design;
pub mod error;
pub mod fit;
pub mod mcmc;
pub mod model;
pub mod optim;
pub mod stats;
pub mod transform;

pub use error::InverseError;
pub use fit::{
    cost_gradient, fit, sample_posterior, shooting_start, synthetic_experiment, Estimate,
    Experiment, FitOptions, FitResult, FitUnknown, GradientSource, Optimizer, Shooting, Unknown,
};
pub use mcmc::{adaptive_metropolis, McmcOptions, McmcResult};
pub use model::{OdeModel, Sensitivity};
pub use transform::{ParamSpec, Scale};
