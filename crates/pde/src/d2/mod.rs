//! Two-dimensional grids, discretisations and catalogue PDEs.

use crate::DatasetPde;

/// The two-dimensional catalogue entries.
pub fn entries() -> Vec<Box<dyn DatasetPde>> {
    Vec::new()
}
