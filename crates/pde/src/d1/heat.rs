//! `heat`: the heat equation on the unit interval with homogeneous Dirichlet boundaries, by
//! fourth-order finite differences and the stiff Rodas5P integrator of `ai4de-ode`.

use ai4de_ode::{Method, SaveAt, Solve};
use rand::RngExt;
use rand_distr::StandardNormal;
use serde_json::json;

use super::common::{grid_points, layout_tx, output_steps, output_times, positive};
use super::fd::{Boundary, NoReaction, ReactionDiffusionFd, SecondDerivative};
use crate::dataset::resolve_params;
use crate::random::sample_rng;
use crate::{DatasetPde, GenConfig, Layout, ParamInfo, PdeError, PdeInfo, Sample};

/// Relative and absolute tolerances of the time integration of the FD entries.
pub const RTOL: f64 = 1e-8;
pub const ATOL: f64 = 1e-10;

/// The heat equation:
///
/// ```text
/// u_t = κ u_xx,   x ∈ [0, 1],   u(0, t) = u(1, t) = 0,   t ∈ [0, T],   κ = 1, T = 0.1
/// u₀(x) = Σ_{k=1}^{8} a_k sin(kπx),   a_k ~ N(0, 1/k²)
/// ```
///
/// with the exact solution `u = Σ a_k e^{−κ k²π² t} sin(kπx)` (the textbook Fourier solution,
/// e.g. W. A. Strauss, *Partial Differential Equations: An Introduction*, §4.1) — the tests compare
/// against it. The sampler is ai4de's choice.
///
/// * Solver: the method of lines — fourth-order finite differences ([`SecondDerivative`]) on the
///   `n` nodes `x_i = i/(n − 1)` (boundary nodes included in the output), integrated by
///   `ai4de-ode`'s Rodas5P with the analytic banded Jacobian (sparse LU), `rtol = 1e-8`,
///   `atol = 1e-10`, output through dense output.
#[derive(Debug, Clone, Copy, Default)]
pub struct Heat;

impl Heat {
    pub const NAME: &'static str = "heat";
}

fn params() -> Vec<ParamInfo> {
    vec![
        ParamInfo {
            name: "kappa",
            default: 1.0,
            description: "diffusivity",
        },
        ParamInfo {
            name: "t_end",
            default: 0.1,
            description: "final time T",
        },
    ]
}

/// Integrates a method-of-lines reaction–diffusion system with Rodas5P from `u0` (the unknowns)
/// and returns the full-grid solution at `times`, row-major.
pub(crate) fn solve_mol<R: super::fd::Reaction>(
    sys: &ReactionDiffusionFd<R>,
    u0: &[f64],
    times: &[f64],
    pde: &str,
    sample: u64,
) -> Result<Vec<f64>, PdeError> {
    let t_end = *times.last().expect("at least two output times");
    let sol = Solve::new(sys, (times[0], t_end), u0)
        .method(Method::Rodas5P)
        .rtol(RTOL)
        .atol(ATOL)
        .save_at(SaveAt::Times(times.to_vec()))
        .run()
        .map_err(|source| PdeError::Ode {
            pde: pde.into(),
            sample,
            source,
        })?;
    let mut out = Vec::with_capacity(times.len() * (u0.len() + 2));
    for (row, &t) in sol.rows().zip(times) {
        if row.iter().any(|v| !v.is_finite()) {
            return Err(PdeError::NonFinite {
                pde: pde.into(),
                t,
                sample,
            });
        }
        out.extend(sys.d2.with_boundary(row));
    }
    Ok(out)
}

impl DatasetPde for Heat {
    fn info(&self) -> PdeInfo {
        PdeInfo {
            name: Self::NAME,
            equation: "u_t = kappa u_xx",
            domain: "x in [0, 1], t in [0, t_end]",
            boundary: "Dirichlet u(0) = u(1) = 0",
            sampler: "u0 = sum_{k=1}^{8} a_k sin(k pi x), a_k ~ N(0, 1/k^2)",
            solver: "4th-order finite differences, Rodas5P (ai4de-ode, sparse Jacobian)",
            source: "classical; exact Fourier-series solution",
            spatial_dims: 1,
            default_grid: vec![129],
            default_steps: 101,
            params: params(),
        }
    }

    fn layout(&self, cfg: &GenConfig) -> Result<Layout, PdeError> {
        let p = resolve_params(Self::NAME, &params(), &cfg.params)?;
        positive(Self::NAME, &p, "kappa", true)?;
        let t_end = positive(Self::NAME, &p, "t_end", false)?;
        let n = grid_points(Self::NAME, cfg, 129, 9, false)?;
        let steps = output_steps(Self::NAME, cfg, 101)?;
        let x = (0..n).map(|i| i as f64 / (n - 1) as f64).collect();
        Ok(layout_tx(
            output_times(t_end, steps),
            x,
            p,
            json!({"method": "method of lines: 4th-order finite differences + Rodas5P",
                   "rtol": RTOL, "atol": ATOL}),
        ))
    }

    fn sample(&self, cfg: &GenConfig, seed: u64, index: u64) -> Result<Sample, PdeError> {
        let layout = self.layout(cfg)?;
        let kappa = layout.params["kappa"];
        let times = &layout.coords[0].1;
        let n = layout.coords[1].1.len();
        let mut rng = sample_rng(seed, index);
        let a: Vec<f64> = (1..=8)
            .map(|k| rng.sample::<f64, _>(StandardNormal) / k as f64)
            .collect();
        let d2 = SecondDerivative::new(
            0.0,
            1.0,
            n - 1,
            Boundary::Dirichlet {
                left: 0.0,
                right: 0.0,
            },
            4,
        )?;
        let u0: Vec<f64> = d2
            .x()
            .iter()
            .map(|&x| heat_series(&a, x, 0.0, kappa))
            .collect();
        let sys = ReactionDiffusionFd::new(d2, kappa, NoReaction)?;
        let u = solve_mol(&sys, &u0, times, Self::NAME, index)?;
        Ok(Sample { fields: vec![u] })
    }
}

/// `Σ_k a_k e^{−κ k²π² t} sin(kπx)` (`a[0]` is the coefficient of `k = 1`).
pub fn heat_series(a: &[f64], x: f64, t: f64, kappa: f64) -> f64 {
    let pi = std::f64::consts::PI;
    a.iter()
        .enumerate()
        .map(|(i, ak)| {
            let k = (i + 1) as f64;
            ak * (-kappa * k * k * pi * pi * t).exp() * (k * pi * x).sin()
        })
        .sum()
}
