//! The interface between a PDE of the catalogue and the dataset writer (`ai4de-data`).
//!
//! A dataset of `N` samples holds, for every field of the [`Layout`], one array of shape
//! `[N, shape...]` (dimension names `["sample", dims...]`) plus the coordinate arrays (`t`, `x`,
//! `y`, ...). A PDE computes one sample at a time from `(seed, index)` alone.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::PdeError;

/// One named parameter of a PDE, with its default value and meaning.
#[derive(Debug, Clone, Serialize)]
pub struct ParamInfo {
    pub name: &'static str,
    pub default: f64,
    pub description: &'static str,
}

/// What a catalogue PDE is, for `ai4de pdes`, the dataset metadata and the doc pages.
#[derive(Debug, Clone, Serialize)]
pub struct PdeInfo {
    /// Catalogue name (`burgers`, `ns2d`, ...).
    pub name: &'static str,
    /// The equation in plain text, e.g. `u_t + u u_x = nu u_xx`.
    pub equation: &'static str,
    /// Spatial domain and time interval, e.g. `x in [0, 1), t in [0, 1]`.
    pub domain: &'static str,
    /// Boundary conditions, e.g. `periodic`.
    pub boundary: &'static str,
    /// Initial-condition or coefficient sampler, e.g. `GRF N(0, 625(-Δ+25)^-2)`.
    pub sampler: &'static str,
    /// The discretisation and time integrator used, e.g. `Fourier pseudo-spectral, ETDRK4`.
    pub solver: &'static str,
    /// Where the set-up comes from (paper, benchmark suite).
    pub source: &'static str,
    /// Spatial dimension (1 or 2).
    pub spatial_dims: usize,
    /// Default grid (points per spatial dimension).
    pub default_grid: Vec<usize>,
    /// Default number of output time points (including t = 0); 1 for steady problems.
    pub default_steps: usize,
    /// Parameters with their defaults.
    pub params: Vec<ParamInfo>,
}

/// Options of one dataset generation, as given on the command line.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct GenConfig {
    /// Grid points per spatial dimension; empty means the PDE's default.
    pub grid: Vec<usize>,
    /// Number of output time points including t = 0; `None` means the PDE's default.
    pub steps: Option<usize>,
    /// Parameter overrides by name (validated by the PDE).
    pub params: BTreeMap<String, f64>,
}

/// One array of a sample: name, dimension names and shape (without the leading sample axis).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldSpec {
    pub name: String,
    /// Dimension names, e.g. `["t", "x"]`; each must be a coordinate of the layout or an
    /// anonymous axis such as `"channel"`.
    pub dims: Vec<String>,
    pub shape: Vec<usize>,
}

/// Everything the writer must know before the first sample: the arrays each sample produces,
/// the coordinates and the metadata stored with the dataset.
#[derive(Debug, Clone, Serialize)]
pub struct Layout {
    pub fields: Vec<FieldSpec>,
    /// Coordinate arrays by name (`t`, `x`, `y`), in the order the dimensions appear.
    pub coords: Vec<(String, Vec<f64>)>,
    /// Resolved parameters (defaults with overrides applied).
    pub params: BTreeMap<String, f64>,
    /// Solver description and tolerances, stored in the dataset metadata.
    pub solver: serde_json::Value,
}

/// The arrays of one sample, in the order of [`Layout::fields`], each flattened row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub fields: Vec<Vec<f64>>,
}

/// A PDE that can produce dataset samples.
pub trait DatasetPde: Send + Sync {
    /// Description, defaults and parameters.
    fn info(&self) -> PdeInfo;
    /// Validates the configuration and returns the arrays one sample produces.
    fn layout(&self, cfg: &GenConfig) -> Result<Layout, PdeError>;
    /// Computes sample `index` of the dataset with seed `seed`. Must depend only on
    /// `(cfg, seed, index)`, draw its randomness from [`crate::random::sample_rng`], and return
    /// arrays matching [`DatasetPde::layout`].
    fn sample(&self, cfg: &GenConfig, seed: u64, index: u64) -> Result<Sample, PdeError>;
}

/// Resolves parameter overrides against a PDE's parameter list: unknown names and non-finite
/// values are errors.
pub fn resolve_params(
    pde: &str,
    known: &[ParamInfo],
    overrides: &BTreeMap<String, f64>,
) -> Result<BTreeMap<String, f64>, PdeError> {
    let mut out: BTreeMap<String, f64> = known
        .iter()
        .map(|p| (p.name.to_string(), p.default))
        .collect();
    for (name, &value) in overrides {
        if !out.contains_key(name) {
            return Err(PdeError::UnknownParam {
                pde: pde.to_string(),
                name: name.clone(),
                known: known.iter().map(|p| p.name).collect::<Vec<_>>().join(", "),
            });
        }
        if !value.is_finite() {
            return Err(PdeError::InvalidValue {
                pde: pde.to_string(),
                what: name.clone(),
                value,
                reason: "must be finite".into(),
            });
        }
        out.insert(name.clone(), value);
    }
    Ok(out)
}
