//! The one error type of the `discover` crate.

use thiserror::Error;

/// Everything that can go wrong when discovering equations from data.
///
/// Every variant names the offending input so the message alone tells the user what to fix.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum DiscoverError {
    /// Fewer samples than the method needs.
    #[error("too few samples for {what}: need at least {needed}, got {got}")]
    TooFewSamples {
        what: &'static str,
        needed: usize,
        got: usize,
    },
    /// A value in the data was NaN or infinite.
    #[error("non-finite value in {what} at row {row}, column {col}: {value}")]
    NonFinite {
        what: &'static str,
        row: usize,
        col: usize,
        value: f64,
    },
    /// Two arrays that must agree in length or shape did not.
    #[error("shape mismatch in {what}: expected {expected}, found {found}")]
    ShapeMismatch {
        what: &'static str,
        expected: String,
        found: String,
    },
    /// The sample times were not strictly increasing.
    #[error("times must be strictly increasing: t[{index}] = {t_next} follows {t_prev}")]
    NonIncreasingTime {
        index: usize,
        t_prev: f64,
        t_next: f64,
    },
    /// The candidate library has at least as many terms as there are equations to fit them.
    #[error(
        "library has {terms} terms but only {rows} samples (rows) to fit them: \
         use more data or a smaller library"
    )]
    LibraryTooLarge { terms: usize, rows: usize },
    /// The library is empty.
    #[error("the candidate library has no terms")]
    EmptyLibrary,
    /// A library specification could not be parsed or was out of range.
    #[error("invalid library '{spec}': {reason}")]
    InvalidLibrary { spec: String, reason: String },
    /// An option was out of range.
    #[error("invalid option {name}: {reason}")]
    InvalidOption { name: &'static str, reason: String },
    /// The method needs uniformly spaced samples.
    #[error(
        "{method} needs uniformly spaced samples: spacing {h_i} at index {index} differs from {h0}"
    )]
    NonUniformSpacing {
        method: &'static str,
        index: usize,
        h0: f64,
        h_i: f64,
    },
    /// A least-squares problem could not be solved (rank deficient beyond repair).
    #[error("least-squares solve failed for equation {equation}: {reason}")]
    SolveFailed { equation: usize, reason: String },
    /// A computed quantity (derivative, library column, coefficient) became NaN or infinite.
    #[error("non-finite {what} (index {index})")]
    NonFiniteResult { what: &'static str, index: usize },
    /// JSON (de)serialisation of a model failed.
    #[error("model JSON: {reason}")]
    Json { reason: String },
    /// A model's term could not be understood (JSON model files).
    #[error("unknown term '{term}' in model: {reason}")]
    UnknownTerm { term: String, reason: String },
}

/// Checks that every value of a row-major `rows × cols` array is finite.
pub(crate) fn check_finite(
    what: &'static str,
    data: &[f64],
    cols: usize,
) -> Result<(), DiscoverError> {
    if let Some((k, &v)) = data.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        let cols = cols.max(1);
        return Err(DiscoverError::NonFinite {
            what,
            row: k / cols,
            col: k % cols,
            value: v,
        });
    }
    Ok(())
}
