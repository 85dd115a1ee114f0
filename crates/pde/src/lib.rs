//! PDEs for ai4de: spatial discretisations that turn a PDE into an ODE system or step it
//! themselves, stiff-PDE integrators, random initial-condition and coefficient samplers, and the
//! catalogue of standard benchmark PDEs that `ai4de generate` turns into datasets.
//!
//! Every catalogue entry implements [`DatasetPde`]: it describes itself ([`PdeInfo`]), declares the
//! arrays one sample produces ([`Layout`]) for a [`GenConfig`], and computes sample `i` from
//! `(seed, i)` alone ([`random::sample_rng`]), so that datasets are identical for any thread count.
//!
//! Layout of the crate:
//! - [`d1`]: one-dimensional grids, discretisations and PDEs;
//! - [`d2`]: two-dimensional grids, discretisations and PDEs;
//! - [`dataset`]: the interface between a PDE and the dataset writer;
//! - [`catalogue`]: the registry of built-in PDEs;
//! - [`etd`]: ETDRK4 for stiff semi-linear problems with a diagonal linear operator (shared by
//!   the 1-D and 2-D spectral solvers);
//! - [`imex`]: implicit–explicit Runge–Kutta pairs for the same class of problems.
#![forbid(unsafe_code)]

pub mod catalogue;
pub mod d1;
pub mod d2;
pub mod dataset;
pub mod error;
pub mod etd;
pub mod imex;
pub mod random;

pub use catalogue::{catalogue, get};
pub use dataset::{DatasetPde, FieldSpec, GenConfig, Layout, ParamInfo, PdeInfo, Sample};
pub use error::PdeError;
