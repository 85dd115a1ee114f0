//! `ks`: the Kuramoto–Sivashinsky equation in Kassam & Trefethen's set-up, ETDRK4.

use rand::RngExt;
use rand_distr::StandardNormal;
use serde_json::json;

use super::common::{grid_points, layout_tx, output_steps, output_times, positive};
use super::semilinear::{integrate, SolveStats, Stepper, Workspace};
use super::spectral::Fourier1d;
use crate::dataset::resolve_params;
use crate::etd::Complex64;
use crate::random::sample_rng;
use crate::{DatasetPde, GenConfig, Layout, ParamInfo, PdeError, PdeInfo, Sample};

/// Period of the Kassam–Trefethen domain, `32π`.
pub const KS_LENGTH: f64 = 32.0 * std::f64::consts::PI;

/// The Kuramoto–Sivashinsky equation:
///
/// ```text
/// u_t = −u u_x − u_xx − u_xxxx,   x ∈ [0, 32π) periodic,   t ∈ [0, T]
/// ```
///
/// * Source: A.-K. Kassam and L. N. Trefethen, *Fourth-order time-stepping for stiff PDEs*,
///   SIAM J. Sci. Comput. 26 (2005), §5 and their `kursiv.m`: `N = 128`, `h = 1/4`, `T = 150`,
///   `u₀ = cos(x/16)(1 + sin(x/16))`.
/// * Initial condition: with `random_ic = 1` (default) a random smooth field
///   `u₀ = Σ_{m=1}^{8} (a_m cos(m x/16) + b_m sin(m x/16))`, `a_m, b_m ~ N(0, 1/8)` (unit mean
///   square; ai4de's choice, the first 8 modes of the domain include the linearly unstable band
///   `0 < k < 1`); with `random_ic = 0` Kassam–Trefethen's `u₀` for every sample.
/// * Solver: Fourier pseudo-spectral (2/3 de-aliasing; Kassam–Trefethen do not de-alias),
///   ETDRK4 with `L = k² − k⁴`, fixed step `h = min(1/4, Δt_out)` split evenly.
#[derive(Debug, Clone, Copy, Default)]
pub struct KuramotoSivashinsky;

impl KuramotoSivashinsky {
    pub const NAME: &'static str = "ks";
}

fn params() -> Vec<ParamInfo> {
    vec![
        ParamInfo {
            name: "t_end",
            default: 150.0,
            description: "final time T",
        },
        ParamInfo {
            name: "h",
            default: 0.25,
            description: "largest time step",
        },
        ParamInfo {
            name: "random_ic",
            default: 1.0,
            description:
                "1: random initial condition; 0: Kassam-Trefethen's cos(x/16)(1+sin(x/16))",
        },
    ]
}

/// Solves KS on `[0, length)` from `u0` (grid `x_j = j length / n`), returning `u` at `times`
/// (row-major `[times, n]`).
pub fn solve_ks(
    u0: &[f64],
    length: f64,
    times: &[f64],
    h_max: f64,
    stepper: Stepper,
) -> Result<(Vec<f64>, SolveStats), PdeError> {
    let fourier = Fourier1d::new(u0.len(), length)?;
    let linear: Vec<Complex64> = fourier
        .wavenumbers()
        .iter()
        .map(|k| Complex64::new(k * k - k * k * k * k, 0.0))
        .collect();
    let mut ws = Workspace::new(fourier);
    integrate(
        &mut ws,
        &linear,
        stepper,
        u0,
        times,
        h_max,
        |ws, _t, v, out| ws.burgers_term(1.0, v, out),
        KuramotoSivashinsky::NAME,
        0,
    )
}

/// Kassam–Trefethen's initial condition `cos(x/16)(1 + sin(x/16))`.
pub fn kassam_trefethen_ic(x: &[f64]) -> Vec<f64> {
    x.iter()
        .map(|&x| (x / 16.0).cos() * (1.0 + (x / 16.0).sin()))
        .collect()
}

impl DatasetPde for KuramotoSivashinsky {
    fn info(&self) -> PdeInfo {
        PdeInfo {
            name: Self::NAME,
            equation: "u_t = -u u_x - u_xx - u_xxxx",
            domain: "x in [0, 32 pi) periodic, t in [0, t_end]",
            boundary: "periodic",
            sampler: "random Fourier modes 1..8 of the domain, a_m, b_m ~ N(0, 1/8)",
            solver: "Fourier pseudo-spectral (2/3 de-aliasing), ETDRK4 (Kassam-Trefethen), h = 1/4",
            source: "Kassam & Trefethen, SIAM J. Sci. Comput. 26 (2005)",
            spatial_dims: 1,
            default_grid: vec![128],
            default_steps: 151,
            params: params(),
        }
    }

    fn layout(&self, cfg: &GenConfig) -> Result<Layout, PdeError> {
        let p = resolve_params(Self::NAME, &params(), &cfg.params)?;
        let t_end = positive(Self::NAME, &p, "t_end", false)?;
        positive(Self::NAME, &p, "h", false)?;
        let r = p["random_ic"];
        if r != 0.0 && r != 1.0 {
            return Err(PdeError::InvalidValue {
                pde: Self::NAME.into(),
                what: "random_ic".into(),
                value: r,
                reason: "must be 0 or 1".into(),
            });
        }
        let n = grid_points(Self::NAME, cfg, 128, 8, true)?;
        let steps = output_steps(Self::NAME, cfg, 151)?;
        let x = Fourier1d::new(n, KS_LENGTH)?.grid();
        let h = p["h"];
        Ok(layout_tx(
            output_times(t_end, steps),
            x,
            p,
            json!({"method": "pseudo-spectral ETDRK4", "dealiasing": "2/3", "h_max": h}),
        ))
    }

    fn sample(&self, cfg: &GenConfig, seed: u64, index: u64) -> Result<Sample, PdeError> {
        let layout = self.layout(cfg)?;
        let x = &layout.coords[1].1;
        let times = &layout.coords[0].1;
        let u0 = if layout.params["random_ic"] == 1.0 {
            let mut rng = sample_rng(seed, index);
            let s = (1.0f64 / 8.0).sqrt();
            let coef: Vec<(f64, f64)> = (0..8)
                .map(|_| {
                    let a: f64 = rng.sample(StandardNormal);
                    let b: f64 = rng.sample(StandardNormal);
                    (s * a, s * b)
                })
                .collect();
            x.iter()
                .map(|&x| {
                    coef.iter()
                        .enumerate()
                        .map(|(m, (a, b))| {
                            let k = (m + 1) as f64 / 16.0;
                            a * (k * x).cos() + b * (k * x).sin()
                        })
                        .sum()
                })
                .collect()
        } else {
            kassam_trefethen_ic(x)
        };
        let (u, _) = solve_ks(&u0, KS_LENGTH, times, layout.params["h"], Stepper::Etdrk4)
            .map_err(|e| with_sample(e, index))?;
        Ok(Sample { fields: vec![u] })
    }
}

/// Puts the sample index into a [`PdeError::NonFinite`].
pub(crate) fn with_sample(e: PdeError, index: u64) -> PdeError {
    match e {
        PdeError::NonFinite { pde, t, .. } => PdeError::NonFinite {
            pde,
            t,
            sample: index,
        },
        e => e,
    }
}
