//! `allen_cahn`: the Allen–Cahn equation with Dirichlet boundaries (Kassam–Trefethen's set-up),
//! by finite differences and the stiff Rodas5P integrator of `ai4de-ode`.

use rand::RngExt;
use rand_distr::StandardNormal;
use serde_json::json;

use super::common::{grid_points, layout_tx, output_steps, output_times, positive};
use super::fd::{Bistable, Boundary, ReactionDiffusionFd, SecondDerivative};
use super::heat::{solve_mol, ATOL, RTOL};
use crate::dataset::resolve_params;
use crate::random::sample_rng;
use crate::{DatasetPde, GenConfig, Layout, ParamInfo, PdeError, PdeInfo, Sample};

/// The Allen–Cahn equation:
///
/// ```text
/// u_t = ε u_xx + u − u³,   x ∈ [−1, 1],   u(−1, t) = −1,  u(1, t) = 1,   t ∈ [0, 70],  ε = 0.01
/// ```
///
/// * Source: A.-K. Kassam and L. N. Trefethen, *Fourth-order time-stepping for stiff PDEs*, SIAM
///   J. Sci. Comput. 26 (2005), §6 (after Trefethen, *Spectral Methods in MATLAB*, p. 34: the
///   metastable interfaces of `u₀ = 0.53x + 0.47 sin(−1.5πx)` persist until `t ≈ 45`, then merge).
/// * Initial condition: with `random_ic = 1` (default) `u₀ = x + Σ_{k=1}^{8} a_k sin(kπ(x+1)/2)`,
///   `a_k ~ N(0, (0.5/k)²)` (ai4de's choice; it satisfies the boundary conditions); with
///   `random_ic = 0` Kassam–Trefethen's `u₀`.
/// * Solver: method of lines with fourth-order finite differences on `n` nodes (boundary nodes
///   in the output) and `ai4de-ode`'s Rodas5P with the analytic banded Jacobian
///   `ε A + diag(1 − 3u²)`, `rtol = 1e-8`, `atol = 1e-10` (Kassam–Trefethen use Chebyshev
///   collocation and ETDRK4).
#[derive(Debug, Clone, Copy, Default)]
pub struct AllenCahn;

impl AllenCahn {
    pub const NAME: &'static str = "allen_cahn";
}

fn params() -> Vec<ParamInfo> {
    vec![
        ParamInfo {
            name: "eps",
            default: 0.01,
            description: "interface energy coefficient epsilon",
        },
        ParamInfo {
            name: "t_end",
            default: 70.0,
            description: "final time T",
        },
        ParamInfo {
            name: "random_ic",
            default: 1.0,
            description:
                "1: random initial condition; 0: Kassam-Trefethen's 0.53x + 0.47 sin(-1.5 pi x)",
        },
    ]
}

impl DatasetPde for AllenCahn {
    fn info(&self) -> PdeInfo {
        PdeInfo {
            name: Self::NAME,
            equation: "u_t = eps u_xx + u - u^3",
            domain: "x in [-1, 1], t in [0, t_end]",
            boundary: "Dirichlet u(-1) = -1, u(1) = 1",
            sampler: "u0 = x + sum_{k=1}^{8} a_k sin(k pi (x+1)/2), a_k ~ N(0, (0.5/k)^2)",
            solver: "4th-order finite differences, Rodas5P (ai4de-ode, sparse Jacobian)",
            source: "Kassam & Trefethen, SIAM J. Sci. Comput. 26 (2005)",
            spatial_dims: 1,
            default_grid: vec![257],
            default_steps: 71,
            params: params(),
        }
    }

    fn layout(&self, cfg: &GenConfig) -> Result<Layout, PdeError> {
        let p = resolve_params(Self::NAME, &params(), &cfg.params)?;
        positive(Self::NAME, &p, "eps", false)?;
        let t_end = positive(Self::NAME, &p, "t_end", false)?;
        let r = p["random_ic"];
        if r != 0.0 && r != 1.0 {
            return Err(PdeError::InvalidValue {
                pde: Self::NAME.into(),
                what: "random_ic".into(),
                value: r,
                reason: "must be 0 or 1".into(),
            });
        }
        let n = grid_points(Self::NAME, cfg, 257, 9, false)?;
        let steps = output_steps(Self::NAME, cfg, 71)?;
        let x = (0..n)
            .map(|i| -1.0 + 2.0 * i as f64 / (n - 1) as f64)
            .collect();
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
        let eps = layout.params["eps"];
        let times = &layout.coords[0].1;
        let n = layout.coords[1].1.len();
        let d2 = SecondDerivative::new(
            -1.0,
            1.0,
            n - 1,
            Boundary::Dirichlet {
                left: -1.0,
                right: 1.0,
            },
            4,
        )?;
        let pi = std::f64::consts::PI;
        let u0: Vec<f64> = if layout.params["random_ic"] == 1.0 {
            let mut rng = sample_rng(seed, index);
            let a: Vec<f64> = (1..=8)
                .map(|k| 0.5 / k as f64 * rng.sample::<f64, _>(StandardNormal))
                .collect();
            d2.x()
                .iter()
                .map(|&x| {
                    x + a
                        .iter()
                        .enumerate()
                        .map(|(i, ak)| ak * ((i + 1) as f64 * pi * (x + 1.0) / 2.0).sin())
                        .sum::<f64>()
                })
                .collect()
        } else {
            d2.x()
                .iter()
                .map(|&x| 0.53 * x + 0.47 * (-1.5 * pi * x).sin())
                .collect()
        };
        let sys = ReactionDiffusionFd::new(d2, eps, Bistable)?;
        let u = solve_mol(&sys, &u0, times, Self::NAME, index)?;
        Ok(Sample { fields: vec![u] })
    }
}
