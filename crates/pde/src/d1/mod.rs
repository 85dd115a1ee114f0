//! One-dimensional grids, discretisations and catalogue PDEs.

pub mod spectral;

use crate::DatasetPde;

/// The one-dimensional catalogue entries.
pub fn entries() -> Vec<Box<dyn DatasetPde>> {
    Vec::new()
}
