//! A test PDE with an exact solution: the heat equation u_t = nu Δu on the periodic box
//! [0, 2π)^d, u(x, 0) = Σ_k a_k sin(k·x + φ_k) with random amplitudes and phases drawn from
//! `sample_rng(seed, i)`, solved exactly: each mode decays as exp(-nu |k|² t).
//! The 2-D variant also writes a time-independent field `a` [x, y] (like a Darcy coefficient).
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::f64::consts::PI;
use std::path::{Path, PathBuf};
use std::time::Duration;

use ai4de_pde::random::sample_rng;
use ai4de_pde::{
    dataset::resolve_params, DatasetPde, FieldSpec, GenConfig, Layout, ParamInfo, PdeError,
    PdeInfo, Sample,
};
use rand::RngExt;

pub struct HeatTest {
    pub dims: usize,
    /// Artificial cost per sample (for the kill test).
    pub delay: Duration,
    /// Make sample `i` non-finite (for the error test).
    pub nan_at: Option<u64>,
}

impl HeatTest {
    pub fn d1() -> Self {
        Self {
            dims: 1,
            delay: Duration::ZERO,
            nan_at: None,
        }
    }
    pub fn d2() -> Self {
        Self {
            dims: 2,
            ..Self::d1()
        }
    }

    fn params() -> Vec<ParamInfo> {
        vec![ParamInfo {
            name: "nu",
            default: 0.1,
            description: "diffusivity",
        }]
    }

    fn sizes(&self, cfg: &GenConfig) -> Result<(Vec<usize>, usize), PdeError> {
        let grid = if cfg.grid.is_empty() {
            vec![16; self.dims]
        } else {
            cfg.grid.clone()
        };
        if grid.len() != self.dims || grid.iter().any(|&n| n < 2) {
            return Err(PdeError::InvalidGrid {
                pde: self.name().into(),
                grid,
                reason: format!("need {} sizes >= 2", self.dims),
            });
        }
        Ok((grid, cfg.steps.unwrap_or(5)))
    }

    fn name(&self) -> &'static str {
        if self.dims == 1 {
            "heat-test-1d"
        } else {
            "heat-test-2d"
        }
    }
}

pub const MODES: usize = 3;

impl DatasetPde for HeatTest {
    fn info(&self) -> PdeInfo {
        PdeInfo {
            name: self.name(),
            equation: "u_t = nu Δu",
            domain: "x in [0, 2π)^d, t in [0, 1]",
            boundary: "periodic",
            sampler: "random sine modes",
            solver: "exact",
            source: "test",
            spatial_dims: self.dims,
            default_grid: vec![16; self.dims],
            default_steps: 5,
            params: Self::params(),
        }
    }

    fn layout(&self, cfg: &GenConfig) -> Result<Layout, PdeError> {
        let params = resolve_params(self.name(), &Self::params(), &cfg.params)?;
        let (grid, nt) = self.sizes(cfg)?;
        let axis = |n: usize| {
            (0..n)
                .map(|j| 2.0 * PI * j as f64 / n as f64)
                .collect::<Vec<_>>()
        };
        let mut coords = vec![(
            "t".to_string(),
            (0..nt).map(|k| k as f64 / (nt.max(2) - 1) as f64).collect(),
        )];
        coords.push(("x".into(), axis(grid[0])));
        let mut fields = Vec::new();
        if self.dims == 1 {
            fields.push(FieldSpec {
                name: "u".into(),
                dims: vec!["t".into(), "x".into()],
                shape: vec![nt, grid[0]],
            });
        } else {
            coords.push(("y".into(), axis(grid[1])));
            fields.push(FieldSpec {
                name: "u".into(),
                dims: vec!["t".into(), "x".into(), "y".into()],
                shape: vec![nt, grid[0], grid[1]],
            });
            fields.push(FieldSpec {
                name: "a".into(),
                dims: vec!["x".into(), "y".into()],
                shape: vec![grid[0], grid[1]],
            });
        }
        Ok(Layout {
            fields,
            coords,
            params,
            solver: serde_json::json!({ "method": "exact", "rtol": 0.0 }),
        })
    }

    fn sample(&self, cfg: &GenConfig, seed: u64, index: u64) -> Result<Sample, PdeError> {
        std::thread::sleep(self.delay);
        let layout = self.layout(cfg)?;
        let nu = layout.params["nu"];
        let (grid, nt) = self.sizes(cfg)?;
        let mut rng = sample_rng(seed, index);
        let modes: Vec<(f64, f64, f64, f64)> = (0..MODES)
            .map(|_| {
                let kx = rng.random_range(1..4) as f64;
                let ky = if self.dims == 2 {
                    rng.random_range(0..4) as f64
                } else {
                    0.0
                };
                (
                    kx,
                    ky,
                    rng.random_range(-1.0..1.0),
                    rng.random_range(0.0..2.0 * PI),
                )
            })
            .collect();
        let t = &layout.coords[0].1;
        let x = &layout.coords[1].1;
        let y: Vec<f64> = if self.dims == 2 {
            layout.coords[2].1.clone()
        } else {
            vec![0.0]
        };
        let mut u = Vec::with_capacity(nt * grid.iter().product::<usize>());
        for &tk in t {
            for &xi in x {
                for &yj in &y {
                    u.push(
                        modes
                            .iter()
                            .map(|&(kx, ky, a, ph)| {
                                a * (-(nu * (kx * kx + ky * ky)) * tk).exp()
                                    * (kx * xi + ky * yj + ph).sin()
                            })
                            .sum(),
                    );
                }
            }
        }
        if self.nan_at == Some(index) {
            u[3] = f64::NAN;
        }
        let mut fields = vec![u];
        if self.dims == 2 {
            fields.push(
                x.iter()
                    .flat_map(|&xi| y.iter().map(move |&yj| 1.0 + 0.5 * (xi + 2.0 * yj).cos()))
                    .collect(),
            );
        }
        Ok(Sample { fields })
    }
}

/// A configuration with the given grid and number of time points.
pub fn config(grid: &[usize], steps: usize) -> GenConfig {
    GenConfig {
        grid: grid.to_vec(),
        steps: Some(steps),
        params: BTreeMap::new(),
    }
}

/// A fresh directory under the system temp dir.
pub fn tempdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ai4de-data-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Every file under `root` (relative path, bytes), sorted.
pub fn tree(root: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                out.push((
                    p.strip_prefix(base).unwrap().to_path_buf(),
                    std::fs::read(&p).unwrap(),
                ));
            }
        }
    }
    let mut out = Vec::new();
    if root.is_dir() {
        walk(root, root, &mut out);
    } else {
        out.push((PathBuf::new(), std::fs::read(root).unwrap()));
    }
    out.sort();
    out
}

/// Asserts that two datasets have the same files with the same bytes.
pub fn assert_same_bytes(a: &Path, b: &Path) {
    let (ta, tb) = (tree(a), tree(b));
    let names = |t: &[(PathBuf, Vec<u8>)]| t.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>();
    assert_eq!(names(&ta), names(&tb), "different files in {a:?} and {b:?}");
    for ((p, x), (_, y)) in ta.iter().zip(&tb) {
        assert!(x == y, "{} differs between {a:?} and {b:?}", p.display());
    }
}
