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

/// The next step of an explicit scheme whose stable step is `dt`, with `rest` left to the next
/// output time: all of `rest` when it fits (then `true`: the output time is reached), half of it
/// when a full step would leave a sliver shorter than `dt`, else `dt`. Lands exactly on output
/// times without a tiny last step.
pub(crate) fn step_toward(rest: f64, dt: f64) -> (f64, bool) {
    if rest <= dt {
        (rest, true)
    } else if rest <= 2.0 * dt {
        (0.5 * rest, false)
    } else {
        (dt, false)
    }
}
