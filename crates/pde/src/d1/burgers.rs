//! `burgers`: viscous Burgers on the periodic unit interval, the FNO paper's set-up, solved
//! pseudo-spectrally with ETDRK4.

use serde_json::json;

use super::common::{grid_points, layout_tx, output_steps, output_times, positive};
use super::sampler::Grf1d;
use super::semilinear::{integrate, SolveStats, Stepper, Workspace};
use super::spectral::Fourier1d;
use crate::dataset::resolve_params;
use crate::etd::Complex64;
use crate::random::sample_rng;
use crate::{DatasetPde, GenConfig, Layout, ParamInfo, PdeError, PdeInfo, Sample};

/// Bound on `h · max|u| · k_max` (`k_max` the largest de-aliased wavenumber) for the explicit
/// treatment of the advection term: well inside the imaginary-axis stability interval of
/// ETDRK4's non-stiff limit, classical RK4 (`|hλ| ≤ 2√2`).
pub const ADVECTIVE_CFL: f64 = 1.0;

/// Viscous Burgers' equation, FNO set-up:
///
/// ```text
/// u_t + (u²/2)_x = ν u_xx,   x ∈ [0, 1) periodic,   t ∈ [0, T],
/// u(x, 0) = u₀ ~ N(0, 625 (−Δ + 25 I)^{−2}),   ν = 0.1,   T = 1
/// ```
///
/// * Source: Z. Li, N. Kovachki, K. Azizzadenesheli, B. Liu, K. Bhattacharya, A. Stuart and
///   A. Anandkumar, *Fourier neural operator for parametric partial differential equations*,
///   ICLR 2021, §5.1 (they solve at 8192 points and subsample; the default here is 1024).
/// * Solver: Fourier pseudo-spectral ([`Fourier1d`], 2/3 de-aliasing, `−½(u²)_x` in
///   conservative form), ETDRK4 with `L = −ν k²`, fixed step `h ≤ ADVECTIVE_CFL / (max|u₀| k_max)`
///   (the maximum of `|u|` does not grow for Burgers).
/// * Output: `u[t, x]` at `steps` equally spaced times (`u[0]` is the initial condition).
#[derive(Debug, Clone, Copy, Default)]
pub struct Burgers;

impl Burgers {
    pub const NAME: &'static str = "burgers";
}

fn params() -> Vec<ParamInfo> {
    vec![
        ParamInfo {
            name: "nu",
            default: 0.1,
            description: "viscosity",
        },
        ParamInfo {
            name: "t_end",
            default: 1.0,
            description: "final time T",
        },
    ]
}

/// Solves `u_t + (u²/2)_x = ν u_xx` on the periodic interval `[0, length)` from `u0` (on the grid
/// `x_j = j length / n`) and returns `u` at `times` (equally spaced, starting at the initial
/// time), row-major `[times, n]`, with a fixed step `h ≤ h_max`.
pub fn solve_burgers(
    u0: &[f64],
    length: f64,
    nu: f64,
    times: &[f64],
    h_max: f64,
    stepper: Stepper,
) -> Result<(Vec<f64>, SolveStats), PdeError> {
    let fourier = Fourier1d::new(u0.len(), length)?;
    let linear: Vec<Complex64> = fourier
        .wavenumbers()
        .iter()
        .map(|k| Complex64::new(-nu * k * k, 0.0))
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
        Burgers::NAME,
        0,
    )
}

/// The advective step bound `ADVECTIVE_CFL / (speed · max|u| · k_max)` on a grid of `n` points over
/// `length` (infinite for `u ≡ 0`).
pub fn advective_step(u: &[f64], speed: f64, n: usize, length: f64) -> f64 {
    let umax = u.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let kmax = 2.0 * std::f64::consts::PI * (n / 3) as f64 / length;
    ADVECTIVE_CFL / (speed * umax * kmax)
}

impl DatasetPde for Burgers {
    fn info(&self) -> PdeInfo {
        PdeInfo {
            name: Self::NAME,
            equation: "u_t + (u^2/2)_x = nu u_xx",
            domain: "x in [0, 1) periodic, t in [0, t_end]",
            boundary: "periodic",
            sampler: "GRF N(0, 625(-Δ+25I)^-2)",
            solver:
                "Fourier pseudo-spectral (2/3 de-aliasing), ETDRK4 (Kassam-Trefethen), fixed step",
            source: "Li et al., Fourier neural operator, ICLR 2021 (Burgers set-up)",
            spatial_dims: 1,
            default_grid: vec![1024],
            default_steps: 101,
            params: params(),
        }
    }

    fn layout(&self, cfg: &GenConfig) -> Result<Layout, PdeError> {
        let p = resolve_params(Self::NAME, &params(), &cfg.params)?;
        positive(Self::NAME, &p, "nu", true)?;
        let t_end = positive(Self::NAME, &p, "t_end", false)?;
        let n = grid_points(Self::NAME, cfg, 1024, 8, true)?;
        let steps = output_steps(Self::NAME, cfg, 101)?;
        let x = Fourier1d::new(n, 1.0)?.grid();
        Ok(layout_tx(
            output_times(t_end, steps),
            x,
            p,
            json!({"method": "pseudo-spectral ETDRK4", "dealiasing": "2/3",
                   "step": "fixed, h <= cfl / (max|u0| k_max)", "cfl": ADVECTIVE_CFL}),
        ))
    }

    fn sample(&self, cfg: &GenConfig, seed: u64, index: u64) -> Result<Sample, PdeError> {
        let layout = self.layout(cfg)?;
        let (nu, t_end) = (layout.params["nu"], layout.params["t_end"]);
        let n = layout.coords[1].1.len();
        let times = output_times(t_end, layout.coords[0].1.len());
        let mut fourier = Fourier1d::new(n, 1.0)?;
        let u0 = Grf1d::FNO_BURGERS.sample(&mut fourier, &mut sample_rng(seed, index));
        let h_max = advective_step(&u0, 1.0, n, 1.0);
        let (u, _) = solve_burgers(&u0, 1.0, nu, &times, h_max, Stepper::Etdrk4)
            .map_err(|e| super::ks::with_sample(e, index))?;
        Ok(Sample { fields: vec![u] })
    }
}
