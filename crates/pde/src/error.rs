//! Errors of the PDE crate.

use thiserror::Error;

/// Everything that can go wrong while setting up or solving a PDE.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum PdeError {
    /// No catalogue entry has this name.
    #[error("unknown PDE '{name}' (known: {known})")]
    UnknownPde { name: String, known: String },
    /// A parameter name the PDE does not have.
    #[error("{pde}: unknown parameter '{name}' (known: {known})")]
    UnknownParam {
        pde: String,
        name: String,
        known: String,
    },
    /// A parameter or option value out of its valid range.
    #[error("{pde}: {what} = {value} is invalid: {reason}")]
    InvalidValue {
        pde: String,
        what: String,
        value: f64,
        reason: String,
    },
    /// The grid has the wrong number of dimensions or an unusable size.
    #[error("{pde}: invalid grid {grid:?}: {reason}")]
    InvalidGrid {
        pde: String,
        grid: Vec<usize>,
        reason: String,
    },
    /// The solution stopped being finite.
    #[error("{pde}: non-finite solution at t = {t} (sample {sample})")]
    NonFinite { pde: String, t: f64, sample: u64 },
    /// A depth (shallow water) became zero, negative or non-finite.
    #[error("{pde}: non-positive or non-finite depth at t = {t} (sample {sample})")]
    NonPositiveDepth { pde: String, t: f64, sample: u64 },
    /// A linear solve failed (singular matrix).
    #[error("{pde}: linear solve failed: {reason}")]
    LinearSolve { pde: String, reason: String },
    /// The time integrator of the ODE crate failed.
    #[error("{pde}: time integration failed (sample {sample}): {source}")]
    Ode {
        pde: String,
        sample: u64,
        #[source]
        source: ai4de_ode::OdeError,
    },
}
