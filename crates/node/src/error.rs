//! The crate's error type.

/// Errors of `ai4de-node`: network construction, parameter vectors, solves, training and the
/// symbolic recovery.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NodeError {
    /// A size or length does not match what the network or system expects.
    #[error("{what}: expected length {expected}, found {found}")]
    DimensionMismatch {
        what: &'static str,
        expected: usize,
        found: usize,
    },
    /// A configuration value is out of its domain.
    #[error("invalid {what}: {reason}")]
    InvalidConfig { what: &'static str, reason: String },
    /// A non-finite number in user input (data, parameters, initial state).
    #[error("non-finite {what} at index {index}: {value}")]
    NonFiniteInput {
        what: &'static str,
        index: usize,
        value: f64,
    },
    /// The state or right-hand side became NaN/Inf during a solve.
    #[error("non-finite state at t = {t}")]
    NonFinite { t: f64 },
    /// The adaptive step size fell below the floor (stiffness or a blow-up).
    #[error("step size too small at t = {t} (h = {h:e})")]
    StepSizeTooSmall { t: f64, h: f64 },
    /// More steps than allowed.
    #[error("maximum number of steps ({max_steps}) reached at t = {t}")]
    MaxStepsReached { t: f64, max_steps: usize },
    /// Time points not strictly increasing, or data time outside the solve span.
    #[error("invalid times: {reason}")]
    InvalidTimes { reason: String },
    /// The loss became non-finite during training.
    #[error("training diverged at iteration {iteration} (loss {loss})")]
    Diverged { iteration: usize, loss: f64 },
    /// A solve or sensitivity computation of `ai4de-ode` failed.
    #[error(transparent)]
    Ode(#[from] ai4de_ode::OdeError),
    /// Equation discovery on the network's output failed.
    #[error("symbolic recovery: {0}")]
    Discover(#[from] ai4de_discover::DiscoverError),
    /// The optimiser of `ai4de-inverse` failed.
    #[error("optimiser: {0}")]
    Optimizer(#[from] ai4de_inverse::InverseError),
    /// Writing a plot failed.
    #[error("plot: {0}")]
    Report(#[from] ai4de_report::ReportError),
}
