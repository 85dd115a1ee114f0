//! The one error type of the `inverse` crate.

use ai4de_ode::problems::ProblemError;
use ai4de_ode::OdeError;
use thiserror::Error;

/// Everything that can go wrong when setting up or running a fit.
///
/// Set-up errors (unknown names, bad bounds, bad data) are reported before the first evaluation;
/// run-time failures say at which parameters and after how many iterations the fit stopped.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum InverseError {
    /// A fitted parameter is not a parameter of the model.
    #[error("unknown parameter '{name}' (known: {})", known.join(", "))]
    UnknownParameter { name: String, known: Vec<String> },
    /// A state name (in the data or in an initial-state unknown) is not a state of the model.
    #[error("unknown state '{name}' (known: {})", known.join(", "))]
    UnknownState { name: String, known: Vec<String> },
    /// The same unknown was listed twice.
    #[error("'{name}' is listed twice among the fitted unknowns")]
    DuplicateUnknown { name: String },
    /// Nothing to fit.
    #[error("no unknowns to fit: give at least one parameter")]
    NoUnknowns,
    /// A bound pair is not `lo < hi`, or not finite where it must be, or a log-parameter has a
    /// non-positive lower bound.
    #[error("invalid bounds for '{name}': [{lo}, {hi}] ({reason})")]
    InvalidBounds {
        name: String,
        lo: f64,
        hi: f64,
        reason: &'static str,
    },
    /// The starting value of an unknown lies outside its bounds (or is not positive for a
    /// log-parameter, or not finite).
    #[error("starting value {value} of '{name}' is outside its bounds [{lo}, {hi}]")]
    StartOutOfBounds {
        name: String,
        value: f64,
        lo: f64,
        hi: f64,
    },
    /// A data value or noise level was NaN or infinite.
    #[error("non-finite {what} in experiment {experiment} at row {row}, column {column}: {value}")]
    NonFiniteData {
        what: &'static str,
        experiment: usize,
        row: usize,
        column: usize,
        value: f64,
    },
    /// A noise level was not positive.
    #[error(
        "noise sigma of column {column} in experiment {experiment} must be positive, got {value}"
    )]
    InvalidSigma {
        experiment: usize,
        column: usize,
        value: f64,
    },
    /// Data times must be finite, strictly increasing and not before the experiment's `t0`.
    #[error("data time {t} (row {row}) of experiment {experiment} {reason}")]
    InvalidDataTime {
        experiment: usize,
        row: usize,
        t: f64,
        reason: &'static str,
    },
    /// An experiment has no data rows or no observed states.
    #[error("experiment {experiment} has no data ({reason})")]
    EmptyData {
        experiment: usize,
        reason: &'static str,
    },
    /// A vector had the wrong length.
    #[error("dimension mismatch in {what}: expected {expected}, found {found}")]
    DimensionMismatch {
        what: &'static str,
        expected: usize,
        found: usize,
    },
    /// Fewer residuals than unknowns: the fit is under-determined.
    #[error("{residuals} residuals cannot determine {unknowns} unknowns")]
    TooFewResiduals { residuals: usize, unknowns: usize },
    /// An option was out of range.
    #[error("invalid option {name}: {reason}")]
    InvalidOption { name: &'static str, reason: String },
    /// The model could not be evaluated at these parameters (the ODE solver failed, or a
    /// parameter was rejected by the model).
    #[error("model evaluation failed at {}: {reason}", fmt_params(params))]
    EvaluationFailed {
        params: Vec<(String, f64)>,
        reason: String,
    },
    /// The residuals (or the objective, or its gradient) were NaN or infinite.
    #[error("non-finite {what} at {}", fmt_params(params))]
    NonFinite {
        what: &'static str,
        params: Vec<(String, f64)>,
    },
    /// The optimiser kept failing to evaluate the model at trial points (or kept meeting
    /// non-finite values) and gave up.
    #[error("fit diverged after {iterations} iterations: {failures} consecutive trial steps failed; last failure: {last}")]
    Diverged {
        iterations: usize,
        failures: usize,
        last: String,
    },
    /// The line search found no acceptable step.
    #[error("line search failed at iteration {iteration}: {reason}")]
    LineSearchFailed { iteration: usize, reason: String },
    /// `JᵀJ` at the optimum is singular (some unknown is not identifiable from the data).
    #[error("singular Gauss-Newton matrix at the optimum: unknown '{name}' is not identifiable from the data (or its bound is active)")]
    SingularCovariance { name: String },
    /// An ODE solver error during set-up or a reference solve.
    #[error(transparent)]
    Ode(#[from] OdeError),
    /// A catalogue error (unknown problem, bad parameter value).
    #[error(transparent)]
    Problem(#[from] ProblemError),
}

pub(crate) fn fmt_params(params: &[(String, f64)]) -> String {
    if params.is_empty() {
        return "the current parameters".into();
    }
    params
        .iter()
        .map(|(n, v)| format!("{n} = {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}
