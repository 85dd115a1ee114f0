//! Shared set-up code of the 1-D catalogue entries: grid and step validation, coordinate arrays,
//! the `u[t, x]` layout.

use std::collections::BTreeMap;

use crate::dataset::{FieldSpec, Layout};
use crate::{GenConfig, PdeError};

/// The number of grid points: `cfg.grid[0]` or `default`; must be one value, at least `min`,
/// and even if `even`.
pub(crate) fn grid_points(
    pde: &str,
    cfg: &GenConfig,
    default: usize,
    min: usize,
    even: bool,
) -> Result<usize, PdeError> {
    let n = match cfg.grid.as_slice() {
        [] => default,
        [n] => *n,
        _ => {
            return Err(PdeError::InvalidGrid {
                pde: pde.into(),
                grid: cfg.grid.clone(),
                reason: "a 1-D PDE takes one grid size".into(),
            })
        }
    };
    if n < min || (even && !n.is_multiple_of(2)) {
        return Err(PdeError::InvalidGrid {
            pde: pde.into(),
            grid: vec![n],
            reason: format!(
                "need at least {min} points{}",
                if even { ", an even number" } else { "" }
            ),
        });
    }
    Ok(n)
}

/// The number of output times including `t = 0` (at least 2).
pub(crate) fn output_steps(pde: &str, cfg: &GenConfig, default: usize) -> Result<usize, PdeError> {
    let s = cfg.steps.unwrap_or(default);
    if s < 2 {
        return Err(PdeError::InvalidValue {
            pde: pde.into(),
            what: "steps".into(),
            value: s as f64,
            reason: "need at least 2 output times (t = 0 and the final time)".into(),
        });
    }
    Ok(s)
}

/// `steps` equally spaced times from 0 to `t_end`.
pub(crate) fn output_times(t_end: f64, steps: usize) -> Vec<f64> {
    (0..steps)
        .map(|i| t_end * i as f64 / (steps - 1) as f64)
        .collect()
}

/// A parameter that must be finite and positive (or non-negative if `allow_zero`).
pub(crate) fn positive(
    pde: &str,
    params: &BTreeMap<String, f64>,
    name: &str,
    allow_zero: bool,
) -> Result<f64, PdeError> {
    let v = params[name];
    if !(v > 0.0 || (allow_zero && v == 0.0)) || !v.is_finite() {
        return Err(PdeError::InvalidValue {
            pde: pde.into(),
            what: name.into(),
            value: v,
            reason: if allow_zero {
                "must be non-negative".into()
            } else {
                "must be positive".into()
            },
        });
    }
    Ok(v)
}

/// The layout of a scalar 1-D solution `u[t, x]`.
pub(crate) fn layout_tx(
    t: Vec<f64>,
    x: Vec<f64>,
    params: BTreeMap<String, f64>,
    solver: serde_json::Value,
) -> Layout {
    Layout {
        fields: vec![FieldSpec {
            name: "u".into(),
            dims: vec!["t".into(), "x".into()],
            shape: vec![t.len(), x.len()],
        }],
        coords: vec![("t".into(), t), ("x".into(), x)],
        params,
        solver,
    }
}
