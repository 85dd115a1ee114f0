//! `kdv`: the Korteweg–de Vries equation with two-soliton-like initial data, ETDRK4.

use rand::RngExt;
use serde_json::json;

use super::burgers::advective_step;
use super::common::{grid_points, layout_tx, output_steps, output_times, positive};
use super::ks::with_sample;
use super::semilinear::{integrate, SolveStats, Stepper, Workspace};
use super::spectral::Fourier1d;
use crate::dataset::resolve_params;
use crate::etd::Complex64;
use crate::random::sample_rng;
use crate::{DatasetPde, GenConfig, Layout, ParamInfo, PdeError, PdeInfo, Sample};

/// The Korteweg–de Vries equation:
///
/// ```text
/// u_t + 6 u u_x + u_xxx = 0,   x ∈ [0, L) periodic (L = 40),   t ∈ [0, T] (T = 10)
/// ```
///
/// whose solitons are `u = (c/2) sech²(√c (x − x₀ − c t)/2)` (speed `c`, amplitude `c/2`);
/// P. G. Drazin and R. S. Johnson, *Solitons: an introduction* (CUP 1989), ch. 2. Kassam &
/// Trefethen (2005, §5) solve KdV with ETDRK4 in the same way.
///
/// * Initial condition: the sum of two solitons (not an exact 2-soliton; they interact and
///   re-emerge with a phase shift) with speeds `c₁, c₂ ~ U[0.5, 2]`, first centre `x₁ ~ U[0, L)`,
///   second `x₂ = x₁ + U[L/4, 3L/4)`, each periodically wrapped (nearest image). ai4de's choice.
/// * Solver: Fourier pseudo-spectral (2/3 de-aliasing, `−3(u²)_x`), ETDRK4 with `L = i k³`
///   (the dispersive term exactly), fixed step `h ≤ ADVECTIVE_CFL / (6 max|u₀| k_max)`, at most
///   `Δt_out`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Kdv;

impl Kdv {
    pub const NAME: &'static str = "kdv";
}

fn params() -> Vec<ParamInfo> {
    vec![
        ParamInfo {
            name: "length",
            default: 40.0,
            description: "period L of the domain",
        },
        ParamInfo {
            name: "t_end",
            default: 10.0,
            description: "final time T",
        },
    ]
}

/// The soliton `(c/2) sech²(√c (x − x₀)/2)` at the nearest periodic image of `x − x₀`.
pub fn soliton(x: f64, x0: f64, c: f64, length: f64) -> f64 {
    let d = (x - x0 + 0.5 * length).rem_euclid(length) - 0.5 * length;
    let s = 1.0 / (0.5 * c.sqrt() * d).cosh();
    0.5 * c * s * s
}

/// Solves KdV on `[0, length)` from `u0` (grid `x_j = j length / n`), returning `u` at `times`.
pub fn solve_kdv(
    u0: &[f64],
    length: f64,
    times: &[f64],
    h_max: f64,
    stepper: Stepper,
) -> Result<(Vec<f64>, SolveStats), PdeError> {
    let fourier = Fourier1d::new(u0.len(), length)?;
    let n = fourier.n();
    let linear: Vec<Complex64> = fourier
        .wavenumbers()
        .iter()
        .enumerate()
        // −∂³ has symbol −(ik)³ = i k³; the Nyquist mode's odd derivative is dropped.
        .map(|(m, k)| {
            if m == n / 2 {
                Complex64::new(0.0, 0.0)
            } else {
                Complex64::new(0.0, k * k * k)
            }
        })
        .collect();
    let mut ws = Workspace::new(fourier);
    integrate(
        &mut ws,
        &linear,
        stepper,
        u0,
        times,
        h_max,
        |ws, _t, v, out| ws.burgers_term(6.0, v, out),
        Kdv::NAME,
        0,
    )
}

impl DatasetPde for Kdv {
    fn info(&self) -> PdeInfo {
        PdeInfo {
            name: Self::NAME,
            equation: "u_t + 6 u u_x + u_xxx = 0",
            domain: "x in [0, length) periodic, t in [0, t_end]",
            boundary: "periodic",
            sampler: "two solitons, speeds U[0.5, 2], random separated positions",
            solver: "Fourier pseudo-spectral (2/3 de-aliasing), ETDRK4 with L = i k^3, fixed step",
            source: "Drazin & Johnson, Solitons (1989); Kassam & Trefethen (2005)",
            spatial_dims: 1,
            default_grid: vec![256],
            default_steps: 101,
            params: params(),
        }
    }

    fn layout(&self, cfg: &GenConfig) -> Result<Layout, PdeError> {
        let p = resolve_params(Self::NAME, &params(), &cfg.params)?;
        let length = positive(Self::NAME, &p, "length", false)?;
        let t_end = positive(Self::NAME, &p, "t_end", false)?;
        let n = grid_points(Self::NAME, cfg, 256, 8, true)?;
        let steps = output_steps(Self::NAME, cfg, 101)?;
        let x = Fourier1d::new(n, length)?.grid();
        Ok(layout_tx(
            output_times(t_end, steps),
            x,
            p,
            json!({"method": "pseudo-spectral ETDRK4", "dealiasing": "2/3",
                   "step": "fixed, h <= cfl / (6 max|u0| k_max)"}),
        ))
    }

    fn sample(&self, cfg: &GenConfig, seed: u64, index: u64) -> Result<Sample, PdeError> {
        let layout = self.layout(cfg)?;
        let length = layout.params["length"];
        let x = &layout.coords[1].1;
        let times = &layout.coords[0].1;
        let mut rng = sample_rng(seed, index);
        let c1: f64 = rng.random_range(0.5..2.0);
        let c2: f64 = rng.random_range(0.5..2.0);
        let x1: f64 = rng.random_range(0.0..length);
        let x2 = x1 + rng.random_range(0.25 * length..0.75 * length);
        let u0: Vec<f64> = x
            .iter()
            .map(|&x| soliton(x, x1, c1, length) + soliton(x, x2, c2, length))
            .collect();
        let h_max = advective_step(&u0, 6.0, x.len(), length);
        let (u, _) = solve_kdv(&u0, length, times, h_max, Stepper::Etdrk4)
            .map_err(|e| with_sample(e, index))?;
        Ok(Sample { fields: vec![u] })
    }
}
