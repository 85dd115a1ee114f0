//! The registry of built-in PDEs: the one-dimensional entries live in [`crate::d1`], the
//! two-dimensional ones in [`crate::d2`].

use crate::{DatasetPde, PdeError};

/// Every built-in PDE, one-dimensional first.
pub fn catalogue() -> Vec<Box<dyn DatasetPde>> {
    let mut all = crate::d1::entries();
    all.extend(crate::d2::entries());
    all
}

/// The catalogue entry called `name`.
pub fn get(name: &str) -> Result<Box<dyn DatasetPde>, PdeError> {
    let all = catalogue();
    let known = all
        .iter()
        .map(|p| p.info().name)
        .collect::<Vec<_>>()
        .join(", ");
    all.into_iter()
        .find(|p| p.info().name == name)
        .ok_or(PdeError::UnknownPde {
            name: name.to_string(),
            known,
        })
}
