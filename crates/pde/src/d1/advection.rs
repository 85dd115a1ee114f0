//! `advection`: PDEBench's 1-D linear advection, solved exactly along characteristics.

use serde_json::json;

use super::common::{grid_points, layout_tx, output_steps, output_times, positive};
use super::sampler::PdebenchSines;
use crate::dataset::resolve_params;
use crate::random::sample_rng;
use crate::{DatasetPde, GenConfig, Layout, ParamInfo, PdeError, PdeInfo, Sample};

/// PDEBench's linear advection equation:
///
/// ```text
/// u_t + β u_x = 0,   x ∈ (0, 1) periodic,   t ∈ [0, 2],   β = 1 (PDEBench: 0.1, 0.4, 1, 4)
/// ```
///
/// * Source: M. Takamoto et al., *PDEBench* (NeurIPS 2022 Datasets and Benchmarks), §D.1: 1024
///   cells, 201 output times, initial conditions [`PdebenchSines::ADVECTION_BURGERS`] at the cell
///   centres `x_j = (j + ½)/n`.
/// * Solver: none needed — the exact solution `u(x, t) = u₀((x − β t) mod 1)`, evaluated from the
///   drawn coefficients of `u₀` (PDEBench's own generator solves it with a second-order finite
///   volume scheme; it also ships an exact variant).
#[derive(Debug, Clone, Copy, Default)]
pub struct Advection;

impl Advection {
    pub const NAME: &'static str = "advection";
}

fn params() -> Vec<ParamInfo> {
    vec![
        ParamInfo {
            name: "beta",
            default: 1.0,
            description: "advection speed",
        },
        ParamInfo {
            name: "t_end",
            default: 2.0,
            description: "final time T",
        },
    ]
}

impl DatasetPde for Advection {
    fn info(&self) -> PdeInfo {
        PdeInfo {
            name: Self::NAME,
            equation: "u_t + beta u_x = 0",
            domain: "x in (0, 1) periodic, t in [0, t_end]",
            boundary: "periodic",
            sampler: "PDEBench superposition of sines (abs, sign, window)",
            solver: "exact (characteristics)",
            source: "Takamoto et al., PDEBench, NeurIPS 2022 (1-D advection)",
            spatial_dims: 1,
            default_grid: vec![1024],
            default_steps: 201,
            params: params(),
        }
    }

    fn layout(&self, cfg: &GenConfig) -> Result<Layout, PdeError> {
        let p = resolve_params(Self::NAME, &params(), &cfg.params)?;
        let t_end = positive(Self::NAME, &p, "t_end", false)?;
        let n = grid_points(Self::NAME, cfg, 1024, 2, false)?;
        let steps = output_steps(Self::NAME, cfg, 201)?;
        let x = (0..n).map(|j| (j as f64 + 0.5) / n as f64).collect();
        Ok(layout_tx(
            output_times(t_end, steps),
            x,
            p,
            json!({"method": "exact solution u0(x - beta t)"}),
        ))
    }

    fn sample(&self, cfg: &GenConfig, seed: u64, index: u64) -> Result<Sample, PdeError> {
        let layout = self.layout(cfg)?;
        let beta = layout.params["beta"];
        let x = &layout.coords[1].1;
        let times = &layout.coords[0].1;
        let field = PdebenchSines::ADVECTION_BURGERS.draw(1.0, &mut sample_rng(seed, index));
        let shifts: Vec<f64> = times.iter().map(|&t| beta * t).collect();
        let mut u = vec![0.0; times.len() * x.len()];
        field.eval_shifted_into(x, &shifts, &mut u);
        Ok(Sample { fields: vec![u] })
    }
}
