//! Two-dimensional FitzHugh–Nagumo diffusion–reaction system of PDEBench (Takamoto et al. 2022,
//! "PDEBench: An Extensive Benchmark for Scientific Machine Learning", NeurIPS Datasets and
//! Benchmarks, §D.4, "2D diffusion-reaction"):
//!
//! ```text
//! u_t = D_u Δu + u − u³ − k − v,    v_t = D_v Δv + u − v,
//! (x, y) ∈ [−1, 1]²,  no-flux (homogeneous Neumann) boundaries,  t ∈ [0, 5],
//! k = 5e-3,  D_u = 1e-3,  D_v = 5e-3,  u(·, 0), v(·, 0) ~ N(0, 1) independently per cell.
//! ```
//!
//! Discretisation: cell-centred finite volumes on `n × n` cells with mirror ghost cells (the
//! no-flux condition), i.e. the 5-point Laplacian with reflected neighbours at the walls. That
//! semi-discrete system equals the periodic 5-point system on the *even extension* of the grid to
//! `2n × 2n` cells (the extension is invariant under both the stencil and the pointwise
//! reaction), where the discrete Laplacian is diagonal in Fourier space with eigenvalues
//! `−(4/h²)(sin²(π p/(2n)) + sin²(π q/(2n)))`. We therefore integrate the extended periodic system
//! with ETDRK4 (crate [`crate::etd`]; diffusion exactly, reaction explicitly) through the real
//! 2-D FFT of [`super::fourier`], and return the first quadrant. This is the FV method of lines
//! exactly (no spectral accuracy is claimed or wanted: the initial data are white noise per cell);
//! the FFT only applies `e^{hL}` exactly. The step is fixed, `dt` (default 5e-3, well inside the
//! reaction's explicit stability limit for `|u| ≲ 5`), rounded down to divide the output
//! interval; non-finite values stop the solve with [`PdeError::NonFinite`].

use std::collections::BTreeMap;
use std::f64::consts::PI;

use rand::RngExt;
use rand_distr::StandardNormal;
use rustfft::num_complex::Complex64;

use super::fourier::Fourier2;
use crate::dataset::resolve_params;
use crate::etd::Etdrk4;
use crate::random::sample_rng;
use crate::{DatasetPde, FieldSpec, GenConfig, Layout, ParamInfo, PdeError, PdeInfo, Sample};

/// Settings of one FitzHugh–Nagumo solve.
#[derive(Debug, Clone, PartialEq)]
pub struct FhnConfig {
    /// Cells per side (at least 2).
    pub n: usize,
    /// Diffusivity of the activator `u`.
    pub du: f64,
    /// Diffusivity of the inhibitor `v`.
    pub dv: f64,
    /// Threshold constant `k`.
    pub k: f64,
    /// Final time.
    pub t_end: f64,
    /// Output times `0, T/(n_out − 1), …, T`.
    pub n_out: usize,
    /// Largest time step (rounded down to divide the output interval).
    pub dt: f64,
}

impl FhnConfig {
    /// Checks ranges; `pde` names the caller in errors.
    pub fn validate(&self, pde: &str) -> Result<(), PdeError> {
        let bad = |what: &str, value: f64, reason: &str| PdeError::InvalidValue {
            pde: pde.to_string(),
            what: what.to_string(),
            value,
            reason: reason.to_string(),
        };
        if self.n < 2 {
            return Err(PdeError::InvalidGrid {
                pde: pde.to_string(),
                grid: vec![self.n, self.n],
                reason: "need at least 2 cells per side".into(),
            });
        }
        for (name, d) in [("Du", self.du), ("Dv", self.dv)] {
            if !(d.is_finite() && d >= 0.0) {
                return Err(bad(name, d, "diffusivity must be non-negative"));
            }
        }
        if !self.k.is_finite() {
            return Err(bad("k", self.k, "must be finite"));
        }
        if !(self.t_end.is_finite() && self.t_end > 0.0) {
            return Err(bad("T", self.t_end, "final time must be positive"));
        }
        if self.n_out < 2 {
            return Err(bad(
                "steps",
                self.n_out as f64,
                "need at least 2 output times",
            ));
        }
        if !(self.dt.is_finite() && self.dt > 0.0) {
            return Err(bad("dt", self.dt, "time step must be positive"));
        }
        Ok(())
    }

    /// Cell-centre coordinates `−1 + (i + ½) h`, `h = 2/n`.
    pub fn centres(&self) -> Vec<f64> {
        let h = 2.0 / self.n as f64;
        (0..self.n).map(|i| -1.0 + (i as f64 + 0.5) * h).collect()
    }

    /// The output times.
    pub fn times(&self) -> Vec<f64> {
        (0..self.n_out)
            .map(|k| self.t_end * k as f64 / (self.n_out - 1) as f64)
            .collect()
    }
}

/// Solver of the FitzHugh–Nagumo system (see the module doc); buffers allocated once.
pub struct FitzHughNagumo2d {
    cfg: FhnConfig,
    fourier: Fourier2,
    etd: Etdrk4,
    steps_per_interval: usize,
    u: Vec<f64>,
    v: Vec<f64>,
}

impl std::fmt::Debug for FitzHughNagumo2d {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FitzHughNagumo2d")
            .field("cfg", &self.cfg)
            .finish_non_exhaustive()
    }
}

impl FitzHughNagumo2d {
    /// Plans the extended grid and the ETDRK4 coefficients for `cfg` (validated).
    pub fn new(cfg: FhnConfig) -> Result<Self, PdeError> {
        cfg.validate("diffusion_reaction_2d")?;
        let n = cfg.n;
        let m = 2 * n;
        let fourier = Fourier2::new(m, m);
        let h = 2.0 / n as f64;
        let sym = |p: usize| (4.0 / (h * h)) * (PI * p as f64 / m as f64).sin().powi(2);
        // Laplacian eigenvalue per mode of the half spectrum (ky-major), for u then v
        let ls = fourier.len_spec();
        let mut lin = Vec::with_capacity(2 * ls);
        for d in [cfg.du, cfg.dv] {
            for q in 0..fourier.nyh() {
                for p in 0..m {
                    lin.push(Complex64::new(-d * (sym(p) + sym(q)), 0.0));
                }
            }
        }
        let interval = cfg.t_end / (cfg.n_out - 1) as f64;
        let steps = (interval / cfg.dt * (1.0 - 1e-12)).ceil().max(1.0);
        if steps > 1e9 {
            return Err(PdeError::InvalidValue {
                pde: "diffusion_reaction_2d".into(),
                what: "dt".into(),
                value: cfg.dt,
                reason: "more than 1e9 steps per output interval".into(),
            });
        }
        let steps_per_interval = steps as usize;
        let etd = Etdrk4::new(&lin, interval / steps_per_interval as f64)?;
        Ok(Self {
            cfg,
            fourier,
            etd,
            steps_per_interval,
            u: vec![0.0; m * m],
            v: vec![0.0; m * m],
        })
    }

    /// Time steps per output interval.
    pub fn steps_per_interval(&self) -> usize {
        self.steps_per_interval
    }

    /// Solves from `u0`, `v0` (`n²` cell values each, row-major `[x][y]`), writing both fields at
    /// the output times into `u_out`, `v_out` (`n_out · n²` each). `sample` is used in errors.
    pub fn solve_into(
        &mut self,
        u0: &[f64],
        v0: &[f64],
        u_out: &mut [f64],
        v_out: &mut [f64],
        sample: u64,
    ) -> Result<(), PdeError> {
        let n = self.cfg.n;
        let np = n * n;
        assert_eq!(u0.len(), np, "FitzHughNagumo2d::solve_into: u0 length");
        assert_eq!(v0.len(), np, "FitzHughNagumo2d::solve_into: v0 length");
        assert_eq!(u_out.len(), self.cfg.n_out * np, "u_out length");
        assert_eq!(v_out.len(), self.cfg.n_out * np, "v_out length");
        let non_finite = |t: f64| PdeError::NonFinite {
            pde: "diffusion_reaction_2d".into(),
            t,
            sample,
        };
        if u0.iter().chain(v0).any(|x| !x.is_finite()) {
            return Err(non_finite(0.0));
        }
        u_out[..np].copy_from_slice(u0);
        v_out[..np].copy_from_slice(v0);
        let ls = self.fourier.len_spec();
        let mut state = vec![Complex64::default(); 2 * ls];
        extend_even(u0, n, &mut self.u);
        extend_even(v0, n, &mut self.v);
        self.fourier.forward(&self.u, &mut state[..ls]);
        self.fourier.forward(&self.v, &mut state[ls..]);
        let interval = self.cfg.t_end / (self.cfg.n_out - 1) as f64;
        let h = self.etd.h();
        let k = self.cfg.k;
        for out_idx in 1..self.cfg.n_out {
            for j in 0..self.steps_per_interval {
                let t = (out_idx - 1) as f64 * interval + j as f64 * h;
                let (fourier, u, v) = (&mut self.fourier, &mut self.u, &mut self.v);
                self.etd.step(
                    t,
                    &mut state,
                    &mut |_t, s: &[Complex64], out: &mut [Complex64]| {
                        fourier.inverse(&s[..ls], u);
                        fourier.inverse(&s[ls..], v);
                        for (a, b) in u.iter_mut().zip(v.iter_mut()) {
                            let (uu, vv) = (*a, *b);
                            *a = uu - uu * uu * uu - k - vv;
                            *b = uu - vv;
                        }
                        let (ou, ov) = out.split_at_mut(ls);
                        fourier.forward(u, ou);
                        fourier.forward(v, ov);
                    },
                );
            }
            self.fourier.inverse(&state[..ls], &mut self.u);
            self.fourier.inverse(&state[ls..], &mut self.v);
            let t = out_idx as f64 * interval;
            let (uo, vo) = (
                &mut u_out[out_idx * np..(out_idx + 1) * np],
                &mut v_out[out_idx * np..(out_idx + 1) * np],
            );
            for i in 0..n {
                uo[i * n..(i + 1) * n].copy_from_slice(&self.u[i * 2 * n..i * 2 * n + n]);
                vo[i * n..(i + 1) * n].copy_from_slice(&self.v[i * 2 * n..i * 2 * n + n]);
            }
            if uo.iter().chain(vo.iter()).any(|x| !x.is_finite()) {
                return Err(non_finite(t));
            }
        }
        Ok(())
    }
}

/// Mirror an `n × n` field into the `2n × 2n` even extension (`y[i][j] = x[i'][j']` with
/// `i' = i` for `i < n`, `2n − 1 − i` above).
fn extend_even(x: &[f64], n: usize, y: &mut [f64]) {
    let m = 2 * n;
    for i in 0..m {
        let si = if i < n { i } else { m - 1 - i };
        let src = &x[si * n..(si + 1) * n];
        let row = &mut y[i * m..(i + 1) * m];
        row[..n].copy_from_slice(src);
        for (dst, s) in row[n..].iter_mut().zip(src.iter().rev()) {
            *dst = *s;
        }
    }
}

/// Catalogue entry `diffusion_reaction_2d`: PDEBench's 2-D FitzHugh–Nagumo data set. Fields `u`
/// and `v`, both `["t", "x", "y"]` on the cell centres.
#[derive(Debug, Clone, Copy, Default)]
pub struct DiffusionReaction2d;

const DR_NAME: &str = "diffusion_reaction_2d";

impl DiffusionReaction2d {
    fn params() -> Vec<ParamInfo> {
        vec![
            ParamInfo {
                name: "Du",
                default: 1e-3,
                description: "diffusivity of the activator u",
            },
            ParamInfo {
                name: "Dv",
                default: 5e-3,
                description: "diffusivity of the inhibitor v",
            },
            ParamInfo {
                name: "k",
                default: 5e-3,
                description: "threshold constant of the reaction u - u^3 - k - v",
            },
            ParamInfo {
                name: "T",
                default: 5.0,
                description: "final time (PDEBench: 5)",
            },
            ParamInfo {
                name: "dt",
                default: 5e-3,
                description: "largest time step of ETDRK4",
            },
        ]
    }

    /// The solver settings of a configuration.
    pub fn config(cfg: &GenConfig) -> Result<(FhnConfig, BTreeMap<String, f64>), PdeError> {
        let p = resolve_params(DR_NAME, &Self::params(), &cfg.params)?;
        let n = super::square_grid(DR_NAME, &cfg.grid, 128)?;
        let c = FhnConfig {
            n,
            du: p["Du"],
            dv: p["Dv"],
            k: p["k"],
            t_end: p["T"],
            n_out: cfg.steps.unwrap_or(101),
            dt: p["dt"],
        };
        c.validate(DR_NAME)?;
        Ok((c, p))
    }
}

impl DatasetPde for DiffusionReaction2d {
    fn info(&self) -> PdeInfo {
        PdeInfo {
            name: DR_NAME,
            equation: "u_t = Du lap(u) + u - u^3 - k - v, v_t = Dv lap(v) + u - v",
            domain: "(x, y) in [-1, 1]^2, t in [0, 5]",
            boundary: "no flux (homogeneous Neumann)",
            sampler: "u0, v0 ~ N(0, 1) independently per cell",
            solver: "cell-centred finite volumes (5-point, mirror ghosts), ETDRK4 on the even \
                     periodic extension (diffusion exact through FFTs)",
            source: "Takamoto et al. 2022, PDEBench (NeurIPS Datasets and Benchmarks), 2D \
                     diffusion-reaction",
            spatial_dims: 2,
            default_grid: vec![128, 128],
            default_steps: 101,
            params: Self::params(),
        }
    }

    fn layout(&self, cfg: &GenConfig) -> Result<Layout, PdeError> {
        let (c, params) = Self::config(cfg)?;
        let spec = |name: &str| FieldSpec {
            name: name.into(),
            dims: vec!["t".into(), "x".into(), "y".into()],
            shape: vec![c.n_out, c.n, c.n],
        };
        let x = c.centres();
        Ok(Layout {
            fields: vec![spec("u"), spec("v")],
            coords: vec![
                ("t".into(), c.times()),
                ("x".into(), x.clone()),
                ("y".into(), x),
            ],
            params,
            solver: serde_json::json!({
                "discretisation": "cell-centred finite volumes, 5-point Laplacian, no-flux walls",
                "integrator": "ETDRK4 (Cox-Matthews, Kassam-Trefethen coefficients), fixed step",
                "dt_max": c.dt,
            }),
        })
    }

    fn sample(&self, cfg: &GenConfig, seed: u64, index: u64) -> Result<Sample, PdeError> {
        let (c, _) = Self::config(cfg)?;
        let np = c.n * c.n;
        let mut rng = sample_rng(seed, index);
        let u0: Vec<f64> = (0..np).map(|_| rng.sample(StandardNormal)).collect();
        let v0: Vec<f64> = (0..np).map(|_| rng.sample(StandardNormal)).collect();
        let mut u = vec![0.0; c.n_out * np];
        let mut v = vec![0.0; c.n_out * np];
        FitzHughNagumo2d::new(c)?.solve_into(&u0, &v0, &mut u, &mut v, index)?;
        Ok(Sample { fields: vec![u, v] })
    }
}
