//! The crate's one error type.

use thiserror::Error;

/// Errors of the `neural` crate: invalid model configurations and inputs that do not fit a model.
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
}
