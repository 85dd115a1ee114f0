//! `burgers_pdebench`: PDEBench's 1-D Burgers set-up, by shock-capturing finite volumes.

use serde_json::json;

use super::common::{grid_points, layout_tx, output_steps, output_times, positive};
use super::fd::Boundary;
use super::fv::{BurgersFlux, FiniteVolume, Limiter, Viscous};
use super::sampler::PdebenchSines;
use crate::dataset::resolve_params;
use crate::random::sample_rng;
use crate::{DatasetPde, GenConfig, Layout, ParamInfo, PdeError, PdeInfo, Sample};

/// Viscous Burgers' equation in PDEBench's form:
///
/// ```text
/// u_t + (u²/2)_x = (ν/π) u_xx,   x ∈ (0, 1) periodic,   t ∈ [0, 2],   ν = 0.01
/// ```
///
/// * Source: M. Takamoto et al., *PDEBench* (NeurIPS 2022 Datasets and Benchmarks), §D.2, and
///   its generator `burgers_multi_solution_Hydra.py` (`ν ∈ {0.001, …, 4}`, 1024 cells,
///   `dt_save = 0.01` up to `t = 2`: 201 output times; initial conditions
///   [`PdebenchSines::ADVECTION_BURGERS`] at the cell centres).
/// * Solver: finite volumes ([`FiniteVolume`]): MUSCL with the monotonised-central limiter (the
///   `VLlimiter` of PDEBench's `utils.py` is this limiter), Rusanov flux, SSP-RK3 with CFL 0.4.
///   By default (`split_viscous = 1`) the viscous term is split off (Strang) and advanced
///   exactly in Fourier space ([`Viscous::SplitSpectral`]), so only the advective CFL condition
///   limits the step (at ν = 0.01 and 1024 cells the explicit diffusive limit is 3–6× smaller);
///   `split_viscous = 0` uses a central viscous flux inside the stages with the diffusive limit.
///   PDEBench uses the same reconstruction and flux with a central viscous flux, a two-stage
///   predictor–corrector and CFL 0.25 on both limits.
#[derive(Debug, Clone, Copy, Default)]
pub struct BurgersPdebench;

impl BurgersPdebench {
    pub const NAME: &'static str = "burgers_pdebench";
}

fn params() -> Vec<ParamInfo> {
    vec![
        ParamInfo {
            name: "nu",
            default: 0.01,
            description: "viscosity parameter (the diffusion coefficient is nu/pi)",
        },
        ParamInfo {
            name: "t_end",
            default: 2.0,
            description: "final time T",
        },
        ParamInfo {
            name: "cfl",
            default: 0.4,
            description: "CFL number of the SSP-RK3 steps (at most 0.5)",
        },
        ParamInfo {
            name: "split_viscous",
            default: 1.0,
            description: "1: viscous term split off and solved exactly by FFT (even grids); \
                          0: explicit central viscous flux",
        },
    ]
}

impl DatasetPde for BurgersPdebench {
    fn info(&self) -> PdeInfo {
        PdeInfo {
            name: Self::NAME,
            equation: "u_t + (u^2/2)_x = (nu/pi) u_xx",
            domain: "x in (0, 1) periodic, t in [0, t_end]",
            boundary: "periodic",
            sampler: "PDEBench superposition of sines (abs, sign, window)",
            solver: "finite volumes: MUSCL (MC limiter), Rusanov flux, SSP-RK3",
            source: "Takamoto et al., PDEBench, NeurIPS 2022 (1-D Burgers)",
            spatial_dims: 1,
            default_grid: vec![1024],
            default_steps: 201,
            params: params(),
        }
    }

    fn layout(&self, cfg: &GenConfig) -> Result<Layout, PdeError> {
        let p = resolve_params(Self::NAME, &params(), &cfg.params)?;
        positive(Self::NAME, &p, "nu", true)?;
        let t_end = positive(Self::NAME, &p, "t_end", false)?;
        let cfl = positive(Self::NAME, &p, "cfl", false)?;
        if cfl > 0.5 {
            return Err(PdeError::InvalidValue {
                pde: Self::NAME.into(),
                what: "cfl".into(),
                value: cfl,
                reason: "SSP-RK3 with this MUSCL scheme is TVD only for cfl <= 0.5".into(),
            });
        }
        let split = split_viscous(&p)?;
        let n = grid_points(Self::NAME, cfg, 1024, 4, false)?;
        if split && !n.is_multiple_of(2) {
            return Err(PdeError::InvalidGrid {
                pde: Self::NAME.into(),
                grid: vec![n],
                reason: "split_viscous = 1 needs an even number of cells (or set \
                         split_viscous = 0)"
                    .into(),
            });
        }
        let steps = output_steps(Self::NAME, cfg, 201)?;
        let x = (0..n).map(|j| (j as f64 + 0.5) / n as f64).collect();
        Ok(layout_tx(
            output_times(t_end, steps),
            x,
            p,
            json!({
                "method": if split {
                    "finite volumes MUSCL-MC + Rusanov + SSP-RK3, viscous term by Strang \
                     splitting with the exact (FFT) heat flow"
                } else {
                    "finite volumes MUSCL-MC + Rusanov + central viscous flux + SSP-RK3"
                },
                "cfl": cfl,
            }),
        ))
    }

    fn sample(&self, cfg: &GenConfig, seed: u64, index: u64) -> Result<Sample, PdeError> {
        let layout = self.layout(cfg)?;
        let nu = layout.params["nu"];
        let x = &layout.coords[1].1;
        let times = &layout.coords[0].1;
        let u0 = PdebenchSines::ADVECTION_BURGERS.sample(x, 1.0, &mut sample_rng(seed, index));
        let mut fv = FiniteVolume::new(
            BurgersFlux,
            nu / std::f64::consts::PI,
            0.0,
            1.0,
            x.len(),
            Boundary::Periodic,
            Limiter::MonotonizedCentral,
        )?;
        fv.cfl = layout.params["cfl"];
        if split_viscous(&layout.params)? {
            fv.set_viscous(Viscous::SplitSpectral)?;
        }
        let (u, _) = fv.solve(&u0, times, Self::NAME, index)?;
        Ok(Sample { fields: vec![u] })
    }
}

/// The `split_viscous` switch (0 or 1).
fn split_viscous(p: &std::collections::BTreeMap<String, f64>) -> Result<bool, PdeError> {
    match p["split_viscous"] {
        0.0 => Ok(false),
        1.0 => Ok(true),
        v => Err(PdeError::InvalidValue {
            pde: BurgersPdebench::NAME.into(),
            what: "split_viscous".into(),
            value: v,
            reason: "must be 0 (explicit viscous flux) or 1 (split, exact heat flow)".into(),
        }),
    }
}
