//! The crate's one error type.

use std::path::PathBuf;

use thiserror::Error;

/// Errors of the `neural` crate: invalid model configurations and inputs that do not fit a model;
/// training data that cannot be used; training, checkpoint and evaluation failures.
///
/// Variants carry the values that made the call fail, so that a caller can say what to change.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum NeuralError {
    /// A model configuration value is out of range (`field` names the config field).
    #[error("invalid model configuration: `{field}` {reason}")]
    InvalidConfig {
        /// The config field.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// An input tensor's shape does not fit the model.
    #[error("{what}: expected {expected}, found shape {found:?}")]
    ShapeMismatch {
        /// Which input.
        what: &'static str,
        /// The shape the model expects, in words.
        expected: String,
        /// The shape it got.
        found: Vec<usize>,
    },
    /// A grid is too coarse for the model's Fourier modes (the kept modes need `n >= 2 * modes`).
    #[error("grid of {n} points along axis {axis} is too coarse for {modes} Fourier modes (needs n >= {})", 2 * modes)]
    GridTooCoarse {
        /// The axis (0 = first spatial axis).
        axis: usize,
        /// Grid points along it.
        n: usize,
        /// Modes kept along it.
        modes: usize,
    },
    /// A model of one spatial dimension was called with data of another.
    #[error("model `{model}` works on {expected}-D data, but was called with {found}-D data")]
    WrongDimension {
        /// The model's name.
        model: &'static str,
        /// Its spatial dimension.
        expected: usize,
        /// The data's spatial dimension.
        found: usize,
    },
    /// Reading the dataset failed.
    #[error(transparent)]
    Data(#[from] ai4de_data::DataError),
    /// A solver of the PDE catalogue failed (surrogate-vs-solver comparison).
    #[error(transparent)]
    Pde(#[from] ai4de_pde::PdeError),
    /// Drawing a plot failed.
    #[error(transparent)]
    Report(#[from] ai4de_report::ReportError),
    /// A file-system operation failed.
    #[error("{what} {}: {source}", path.display())]
    Io {
        /// What was being done (`cannot write`, `cannot read`, ...).
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A compute backend is not built in or its device does not come up.
    #[error("backend {backend}: {reason}")]
    Backend {
        backend: &'static str,
        reason: String,
    },
    /// An option is out of range or inconsistent with the data.
    #[error("invalid option {name} = {value}: {reason}")]
    InvalidOption {
        name: &'static str,
        value: String,
        reason: String,
    },
    /// The dataset cannot be turned into training pairs of the requested kind.
    #[error("dataset {}: {reason}", path.display())]
    UnsuitableData { path: PathBuf, reason: String },
    /// Two data arrays that must agree in shape do not.
    #[error("{what}: expected shape {expected:?}, found {found:?}")]
    DataShape {
        what: String,
        expected: Vec<usize>,
        found: Vec<usize>,
    },
    /// A loss, prediction or input value is NaN or infinite.
    #[error("{what}: non-finite value{}", at.as_ref().map(|a| format!(" at {a}")).unwrap_or_default())]
    NonFinite { what: String, at: Option<String> },
    /// A checkpoint or model directory is missing a piece or holds something unexpected.
    #[error("checkpoint {}: {reason}", path.display())]
    Checkpoint { path: PathBuf, reason: String },
    /// burn's store (safetensors) or optimizer record reported an error.
    #[error("{what} {}: {reason}", path.display())]
    Store {
        what: &'static str,
        path: PathBuf,
        reason: String,
    },
    /// A JSON file could not be parsed or written.
    #[error("json {}: {source}", path.display())]
    Json {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
}

impl NeuralError {
    /// A closure that wraps an I/O error with what was being done and the path.
    pub(crate) fn io(
        what: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| NeuralError::Io { what, path, source }
    }

    pub(crate) fn invalid(
        name: &'static str,
        value: impl ToString,
        reason: impl Into<String>,
    ) -> Self {
        NeuralError::InvalidOption {
            name,
            value: value.to_string(),
            reason: reason.into(),
        }
    }
}
