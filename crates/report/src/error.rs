//! The error type shared by every plotting function.

use std::path::PathBuf;

/// Everything that can go wrong while drawing a plot.
///
/// Every failure is a typed variant; the plotting functions never panic on bad input
/// (empty data, NaN/∞, a wrong extension, mismatched lengths).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// Reading or writing a file (the temporary file or the final rename) failed.
    #[error("cannot write plot {}: {source}", path.display())]
    Io {
        /// The file that could not be written.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },

    /// The output path does not end in `.png` or `.svg` (case-insensitive).
    #[error("unsupported plot format for {}: the file name must end in .png or .svg", path.display())]
    UnsupportedFormat {
        /// The path that was asked for.
        path: PathBuf,
    },

    /// There is nothing to draw (no time points, no series, or a series with no points).
    #[error("nothing to plot: {what}")]
    EmptyData {
        /// What was empty, e.g. `"t"` or `"series 'rk4'"`.
        what: String,
    },

    /// A value is NaN or infinite and the plot's [`NonFinitePolicy`](crate::NonFinitePolicy)
    /// is `Reject`.
    #[error("non-finite value in {series} at index {index}")]
    NonFinite {
        /// The series (component name, series name, or `"t"`).
        series: String,
        /// The index of the offending point (time index for trajectories).
        index: usize,
    },

    /// A value `<= 0` was given for a logarithmic axis and the plot's
    /// [`NonFinitePolicy`](crate::NonFinitePolicy) is `Reject`.
    #[error("value <= 0 in {series} at index {index} cannot be drawn on a logarithmic axis")]
    NonPositiveOnLogAxis {
        /// The series name.
        series: String,
        /// The index of the offending point.
        index: usize,
    },

    /// The plot description is inconsistent (lengths do not match, a component index is out
    /// of range, an image size of zero, ...).
    #[error("invalid plot specification: {reason}")]
    InvalidSpec {
        /// A human-readable explanation.
        reason: String,
    },

    /// plotters reported a drawing error.
    #[error("rendering failed: {0}")]
    Render(String),
}

impl ReportError {
    pub(crate) fn invalid(reason: impl Into<String>) -> Self {
        Self::InvalidSpec {
            reason: reason.into(),
        }
    }

    pub(crate) fn empty(what: impl Into<String>) -> Self {
        Self::EmptyData { what: what.into() }
    }
}

/// Turns plotters' drawing errors into [`ReportError::Render`].
pub(crate) trait RenderResultExt<T> {
    fn render_err(self) -> Result<T, ReportError>;
}

impl<T, E: std::fmt::Display> RenderResultExt<T> for Result<T, E> {
    fn render_err(self) -> Result<T, ReportError> {
        self.map_err(|e| ReportError::Render(e.to_string()))
    }
}
