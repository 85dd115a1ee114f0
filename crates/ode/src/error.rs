//! The one error type of the `ode` crate.

use thiserror::Error;

/// Everything that can go wrong when setting up or running an integration.
///
/// Set-up errors (bad tolerances, dimension mismatches, non-finite inputs) are reported before
/// the first step; run-time failures carry the time `t` at which the solver stopped.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum OdeError {
    /// A vector had the wrong length.
    #[error("dimension mismatch in {what}: expected {expected}, found {found}")]
    DimensionMismatch {
        what: &'static str,
        expected: usize,
        found: usize,
    },
    /// A user-supplied number was NaN or infinite.
    #[error("non-finite {what}{}: {value}", index.map(|i| format!(" at index {i}")).unwrap_or_default())]
    NonFiniteInput {
        what: &'static str,
        index: Option<usize>,
        value: f64,
    },
    /// A tolerance was negative, or both tolerances were zero for some component.
    #[error("invalid tolerance: {reason}")]
    InvalidTolerance { reason: String },
    /// Some other option was out of range (`max_steps == 0`, `h0 <= 0`, ...).
    #[error("invalid option {name}: {reason}")]
    InvalidOption { name: &'static str, reason: String },
    /// A requested output time lies outside `[t0, t_end]` or the times are not monotone.
    #[error("invalid save-at time {t} (index {index}): {reason}")]
    InvalidSaveAt {
        t: f64,
        index: usize,
        reason: &'static str,
    },
    /// `t0 == t_end` is allowed; a non-finite time span is not.
    #[error("invalid time span [{t0}, {t_end}]")]
    InvalidTimeSpan { t0: f64, t_end: f64 },
    /// The adaptive step size fell below the resolution of floating point at `t`.
    #[error("step size underflow at t = {t}: h = {h:e} is too small to make progress")]
    StepSizeTooSmall { t: f64, h: f64 },
    /// The Newton iteration of an implicit method failed to converge `failures` times in a row
    /// at `t` (each time with a fresh Jacobian, shrinking the step to `h`).
    #[error("Newton iteration failed to converge {failures} times in a row at t = {t} (h = {h:e}): the problem may be ill-posed, the DAE inconsistent, or the Jacobian wrong")]
    NewtonFailure { t: f64, h: f64, failures: u32 },
    /// The Krylov linear solver (GMRES) did not reach its tolerance within its iterations, in
    /// the last of the Newton failures that stopped the solve at `t` (step `h`): the
    /// preconditioner is too weak for the problem (or `W` is nearly singular).
    #[error("GMRES did not converge at t = {t} (h = {h:e}): weighted residual {residual:e} after {iterations} iterations; use a better preconditioner, a larger restart or the direct linear solver")]
    LinearSolverFailure {
        t: f64,
        h: f64,
        iterations: usize,
        residual: f64,
    },
    /// The state or its derivative became NaN or infinite.
    #[error("non-finite state at t = {t} (component {component}): the solution blew up or the right-hand side returned NaN/Inf")]
    NonFiniteState { t: f64, component: usize },
    /// `max_steps` steps were taken before reaching `t_end`.
    #[error("maximum number of steps ({max_steps}) reached at t = {t} before t_end; raise max_steps or loosen the tolerances")]
    MaxStepsReached { t: f64, max_steps: usize },
    /// An event function returned a non-finite value.
    #[error("event function {event} returned a non-finite value at t = {t}")]
    NonFiniteEvent { event: usize, t: f64 },
    /// An iteration matrix (`W = c·M − J`, real or complex) is singular: LU factorisation met
    /// a zero (or non-finite) pivot. `pivot` is the column of the matrix where elimination
    /// broke down, when the factorisation can tell.
    #[error("singular iteration matrix at t = {t}{}: reduce the step size or check the Jacobian and mass matrix", pivot.map(|p| format!(" (zero pivot in column {p})")).unwrap_or_default())]
    SingularMatrix { t: f64, pivot: Option<usize> },
    /// A Jacobian (analytic, its sparsity pattern, or one handed to a linear solver) does not
    /// have the shape the system or the solver was set up with.
    #[error("Jacobian dimension mismatch in {what}: expected {expected}, found {found}")]
    JacobianDimensionMismatch {
        what: &'static str,
        expected: usize,
        found: usize,
    },
    /// The Jacobian had a NaN or infinite entry.
    #[error("non-finite Jacobian entry at t = {t}, row {row}, column {col}")]
    NonFiniteJacobian { t: f64, row: usize, col: usize },
    /// A sparsity pattern was malformed (index out of range, unsorted or duplicate rows,
    /// inconsistent column pointers) or did not cover the entries it had to.
    #[error("invalid sparsity pattern: {reason}")]
    InvalidSparsity { reason: String },
    /// The mass matrix is not `dim × dim`.
    #[error("mass matrix dimension mismatch: the system has dimension {expected}, the mass matrix is {rows} x {cols}")]
    MassMatrixDimensionMismatch {
        expected: usize,
        rows: usize,
        cols: usize,
    },
    /// The mass matrix had a NaN or infinite entry.
    #[error("non-finite mass matrix entry at row {row}, column {col}")]
    NonFiniteMassMatrix { row: usize, col: usize },
    /// A parameter value was rejected by [`ParametricSystem::set_params`](crate::sensitivity::ParametricSystem::set_params).
    #[error("invalid parameter {name} = {value}: {reason}")]
    InvalidParameter {
        name: String,
        value: f64,
        reason: String,
    },
    /// A sensitivity computation needs a capability the system does not provide (e.g. the
    /// right-hand side on dual numbers in `p`).
    #[error("sensitivities unavailable: {what}")]
    SensitivityUnavailable { what: String },
}
