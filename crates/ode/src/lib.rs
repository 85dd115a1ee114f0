//! Time integration for ai4de.
//!
//! Explicit Runge–Kutta methods are data ([`tableau::ButcherTableau`]); one generic stepper
//! consumes them with PI step-size control, Hairer's automatic initial step, dense output,
//! save-at times, events and solver statistics.
#![forbid(unsafe_code)]

pub mod error;
pub mod methods;
pub mod problems;
pub mod system;
pub mod tableau;

pub use error::OdeError;
pub use methods::Method;
pub use system::{FnSystem, OdeSystem};

pub mod control;
mod driver;
mod rk;
pub mod solution;
pub mod solve;

pub use solution::{EventHit, Solution, Stats};
pub use solve::{Direction, Event, Options, SaveAt, Solve, Tolerance};
