//! One-dimensional grids, discretisations and catalogue PDEs.
//!
//! Discretisations:
//! - [`spectral::Fourier1d`]: real-FFT pseudo-spectral grid (2/3 de-aliasing, spectral
//!   derivatives), driven in time by [`semilinear::integrate`] with ETDRK4 or IMEX;
//! - [`fd::SecondDerivative`]: finite differences of order 2 or 4 with periodic, Dirichlet or
//!   Neumann boundaries, and [`fd::ReactionDiffusionFd`], a method-of-lines
//!   [`ai4de_ode::OdeSystem`] with an analytic sparse Jacobian for the stiff `ai4de-ode` solvers;
//! - [`fv::FiniteVolume`]: MUSCL finite volumes with slope limiters for shocks (SSP-RK3).
//!
//! Solvers usable outside the catalogue (e.g. for equation discovery):
//! [`burgers::solve_burgers`], [`ks::solve_ks`], [`kdv::solve_kdv`],
//! [`diffusion_reaction::solve_diffusion_reaction`].
//!
//! Catalogue entries: `advection`, `burgers`, `burgers_pdebench`, `kdv`, `ks`,
//! `diffusion_reaction`, `heat`, `allen_cahn` (each documented on its type).

pub mod advection;
pub mod allen_cahn;
pub mod burgers;
pub mod burgers_pdebench;
pub(crate) mod common;
pub mod diffusion_reaction;
pub mod fd;
pub mod fv;
pub mod heat;
pub mod kdv;
pub mod ks;
pub mod sampler;
pub mod semilinear;
pub mod spectral;

use crate::DatasetPde;

/// The one-dimensional catalogue entries.
pub fn entries() -> Vec<Box<dyn DatasetPde>> {
    vec![
        Box::new(advection::Advection),
        Box::new(burgers::Burgers),
        Box::new(burgers_pdebench::BurgersPdebench),
        Box::new(kdv::Kdv),
        Box::new(ks::KuramotoSivashinsky),
        Box::new(diffusion_reaction::DiffusionReaction),
        Box::new(heat::Heat),
        Box::new(allen_cahn::AllenCahn),
    ]
}
