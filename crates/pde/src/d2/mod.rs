//! Two-dimensional grids, discretisations and catalogue PDEs.
//!
//! - [`fourier`]: real 2-D FFTs, wavenumbers, spectral derivatives, 2/3 de-aliasing;
//! - [`grf`]: Gaussian random fields of the FNO generators (periodic and Neumann) and thresholding;
//! - [`navier_stokes`]: vorticity-form Navier–Stokes on the unit torus (`ns2d`);
//! - [`darcy`]: steady Darcy flow with a 5-point scheme and sparse Cholesky (`darcy`);
//! - [`diffusion_reaction`]: PDEBench's FitzHugh–Nagumo system, finite volumes + ETDRK4
//!   (`diffusion_reaction_2d`);
//! - [`shallow_water`]: shallow-water equations by finite volumes (HLL, MUSCL, SSP-RK3, well
//!   balanced over a bed) and PDEBench's radial dam break (`shallow_water`).

pub mod darcy;
pub mod diffusion_reaction;
pub mod fourier;
pub mod grf;
pub mod navier_stokes;
pub mod shallow_water;

use crate::DatasetPde;

/// The two-dimensional catalogue entries.
pub fn entries() -> Vec<Box<dyn DatasetPde>> {
    vec![
        Box::new(navier_stokes::Ns2d),
        Box::new(darcy::Darcy),
        Box::new(diffusion_reaction::DiffusionReaction2d),
        Box::new(shallow_water::ShallowWaterRdb),
    ]
}

/// The side length of a square grid from `cfg.grid`: empty means `default`, one entry or two
/// equal entries give the side; anything else is an error.
pub(crate) fn square_grid(
    pde: &str,
    grid: &[usize],
    default: usize,
) -> Result<usize, crate::PdeError> {
    match grid {
        [] => Ok(default),
        [n] => Ok(*n),
        [a, b] if a == b => Ok(*a),
        _ => Err(crate::PdeError::InvalidGrid {
            pde: pde.to_string(),
            grid: grid.to_vec(),
            reason: "a square 2-D grid is needed: give one size or two equal sizes".into(),
        }),
    }
}
