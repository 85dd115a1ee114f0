//! One-dimensional grids, discretisations and catalogue PDEs.

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
