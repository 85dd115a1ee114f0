//! Neural surrogates for differential equations on [`burn`] (its pure-Rust `flex` CPU backend by
//! default; a GPU backend behind the `vulkan` feature).
//!
//! * `models`: Fourier neural operators (1-D and 2-D), a U-Net baseline and DeepONet, each a
//!   config plus a module.
//! * training, evaluation and the surrogate-vs-solver comparison build on them.

pub use burn;

pub mod allocator;
pub mod backend;
pub mod baseline;
pub mod card;
pub mod checkpoint;
pub mod compare;
pub mod data;
mod error;
pub mod eval;
pub mod metrics;
pub mod models;
pub mod train;

pub use backend::Backend;
pub use error::NeuralError;
