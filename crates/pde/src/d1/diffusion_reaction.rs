//! `diffusion_reaction`: PDEBench's 1-D reaction–diffusion (Fisher–KPP) equation, ETDRK4.

use serde_json::json;

use super::common::{grid_points, layout_tx, output_steps, output_times, positive};
use super::ks::with_sample;
use super::sampler::PdebenchSines;
use super::semilinear::{integrate, SolveStats, Stepper, Workspace};
use super::spectral::Fourier1d;
use crate::dataset::resolve_params;
use crate::etd::Complex64;
use crate::random::sample_rng;
use crate::{DatasetPde, GenConfig, Layout, ParamInfo, PdeError, PdeInfo, Sample};

/// PDEBench's 1-D diffusion–reaction equation (Fisher's equation):
///
/// ```text
/// u_t = ν u_xx + ρ u (1 − u),   x ∈ (0, 1) periodic,   t ∈ [0, 1],   ν = 0.5, ρ = 1
/// ```
///
/// * Source: M. Takamoto et al., *PDEBench* (NeurIPS 2022 Datasets and Benchmarks), §D.3
///   (`ν ∈ {0.5, 1, 2, 5}`, `ρ ∈ {1, 2, 5, 10}`, 1024 cells, 101 output times).
/// * Initial condition: [`PdebenchSines::REACTION_DIFFUSION`] (normalised to `[0, 1]`), at the
///   cell centres `x_j = (j + ½)/n` as in PDEBench.
/// * Solver: Fourier pseudo-spectral (2/3 de-aliasing), ETDRK4 with `L = −ν k²`, fixed step
///   `h ≤ min(Δt_out, 0.05/ρ)`.
#[derive(Debug, Clone, Copy, Default)]
pub struct DiffusionReaction;

impl DiffusionReaction {
    pub const NAME: &'static str = "diffusion_reaction";
}

fn params() -> Vec<ParamInfo> {
    vec![
        ParamInfo {
            name: "nu",
            default: 0.5,
            description: "diffusion coefficient",
        },
        ParamInfo {
            name: "rho",
            default: 1.0,
            description: "reaction rate",
        },
        ParamInfo {
            name: "t_end",
            default: 1.0,
            description: "final time T",
        },
    ]
}

/// Solves `u_t = ν u_xx + ρ u(1 − u)` on `[0, length)` periodic from `u0`, returning `u` at
/// `times`. The grid may be shifted (cell centres): the method is translation invariant.
pub fn solve_diffusion_reaction(
    u0: &[f64],
    length: f64,
    nu: f64,
    rho: f64,
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
        |ws, _t, v, out| ws.pointwise_term(v, out, |u| rho * u * (1.0 - u)),
        DiffusionReaction::NAME,
        0,
    )
}

impl DatasetPde for DiffusionReaction {
    fn info(&self) -> PdeInfo {
        PdeInfo {
            name: Self::NAME,
            equation: "u_t = nu u_xx + rho u (1 - u)",
            domain: "x in (0, 1) periodic, t in [0, t_end]",
            boundary: "periodic",
            sampler: "PDEBench superposition of sines, normalised to [0, 1]",
            solver: "Fourier pseudo-spectral (2/3 de-aliasing), ETDRK4, fixed step",
            source: "Takamoto et al., PDEBench, NeurIPS 2022 (1-D reaction-diffusion)",
            spatial_dims: 1,
            default_grid: vec![1024],
            default_steps: 101,
            params: params(),
        }
    }

    fn layout(&self, cfg: &GenConfig) -> Result<Layout, PdeError> {
        let p = resolve_params(Self::NAME, &params(), &cfg.params)?;
        positive(Self::NAME, &p, "nu", true)?;
        positive(Self::NAME, &p, "rho", true)?;
        let t_end = positive(Self::NAME, &p, "t_end", false)?;
        let n = grid_points(Self::NAME, cfg, 1024, 8, true)?;
        let steps = output_steps(Self::NAME, cfg, 101)?;
        let x = (0..n).map(|j| (j as f64 + 0.5) / n as f64).collect();
        Ok(layout_tx(
            output_times(t_end, steps),
            x,
            p,
            json!({"method": "pseudo-spectral ETDRK4", "dealiasing": "2/3",
                   "step": "fixed, h <= min(dt_out, 0.05 / rho)"}),
        ))
    }

    fn sample(&self, cfg: &GenConfig, seed: u64, index: u64) -> Result<Sample, PdeError> {
        let layout = self.layout(cfg)?;
        let (nu, rho) = (layout.params["nu"], layout.params["rho"]);
        let x = &layout.coords[1].1;
        let times = &layout.coords[0].1;
        let u0 = PdebenchSines::REACTION_DIFFUSION.sample(x, 1.0, &mut sample_rng(seed, index));
        let h_max = if rho > 0.0 { 0.05 / rho } else { f64::INFINITY };
        let (u, _) = solve_diffusion_reaction(&u0, 1.0, nu, rho, times, h_max, Stepper::Etdrk4)
            .map_err(|e| with_sample(e, index))?;
        Ok(Sample { fields: vec![u] })
    }
}
