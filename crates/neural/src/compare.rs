//! Surrogate vs solver, in one run: when does a trained surrogate pay off?
//!
//! For a trained operator model (`u(0) → u(T)` or `a → u`) and its test samples:
//! * the solver's wall time per sample at the training resolution (the catalogue solver that
//!   generated the data, with the dataset's parameters from its metadata), and its error against
//!   the dataset (zero up to round-off when the data were generated at that grid);
//! * the surrogate's inference time per sample (one at a time and batched) and its error;
//! * a sweep of cheaper solver configurations — coarser grids (every 2nd, 4th, ... point of the
//!   training grid) and, for the spectral Burgers solver, time steps 2×, 4×, 8× the default —
//!   each started from the test sample's own input restricted to the coarse grid and scored
//!   against the fine truth restricted to the same points (mean relative L2), and the cheapest
//!   one whose error is at most the surrogate's;
//! * the break-even number of queries `(data generation + training) / (t_solver − t_surrogate)`,
//!   against the training-resolution solver and against that cheapest equally accurate solver
//!   (`None`: the surrogate never pays off, because it is not faster).
//!
//! The cheap-configuration sweep is implemented for `burgers` (ETDRK4 pseudo-spectral) and
//! `darcy` (5-point finite differences); for other PDEs only the solver time at the training
//! grid is measured (through the catalogue's `sample`), which is said in the report.

use std::path::{Path, PathBuf};
use std::time::Instant;

use ai4de_pde::d1::burgers::{advective_step, solve_burgers};
use ai4de_pde::d1::semilinear::Stepper;
use ai4de_pde::d2::darcy::DarcySolver;
use ai4de_pde::GenConfig;
use serde::{Deserialize, Serialize};

use crate::card::ModelCard;
use crate::checkpoint::write_json;
use crate::data::{self, DataOptions, Task};
use crate::error::NeuralError;
use crate::eval::{evaluate, EvalOptions, EvalSplit};

/// One solver configuration of the sweep.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SolverConfig {
    /// Grid points per axis.
    pub grid: Vec<usize>,
    /// Time-step multiplier relative to the solver's default step (1 = default; steady: 1).
    pub step_factor: f64,
    /// Mean wall time per sample, seconds.
    pub seconds: f64,
    /// Mean relative L2 error against the fine truth at the coarse points (`None`: blew up).
    pub rel_l2: Option<f64>,
}

/// The table of [`compare`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompareReport {
    pub model_dir: PathBuf,
    pub pde: String,
    pub train_grid: Vec<usize>,
    /// Test samples used for the solver timings and errors.
    pub samples: usize,
    /// Solver at the training grid, default settings.
    pub solver: SolverConfig,
    pub surrogate_rel_l2: f64,
    pub surrogate_single_seconds: f64,
    pub surrogate_batched_seconds: f64,
    pub surrogate_batch: usize,
    /// Every configuration tried.
    pub sweep: Vec<SolverConfig>,
    /// The cheapest configuration with an error at most the surrogate's.
    pub cheapest_matching: Option<SolverConfig>,
    /// Seconds to generate the training data (training + validation samples × solver time per
    /// sample at the dataset's grid, measured here).
    pub data_seconds: f64,
    pub train_seconds: f64,
    /// Queries after which the surrogate (batched) has paid off against the training-grid solver.
    pub break_even_vs_solver: Option<f64>,
    /// The same against the cheapest equally accurate solver configuration.
    pub break_even_vs_matching: Option<f64>,
    pub note: String,
}

/// Options of [`compare`].
#[derive(Debug, Clone)]
pub struct CompareOptions {
    /// Test samples used for the solver runs (they are slow).
    pub samples: usize,
    pub batch: usize,
    pub out: PathBuf,
}

fn gen_config(card: &ModelCard) -> Result<GenConfig, NeuralError> {
    let cfg = card
        .dataset_metadata
        .get("config")
        .ok_or_else(|| NeuralError::UnsuitableData {
            path: card.dataset.clone(),
            reason: "the dataset metadata has no generation 'config'".into(),
        })?;
    let grid = cfg
        .get("grid")
        .and_then(|g| g.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_u64().map(|v| v as usize))
                .collect()
        })
        .unwrap_or_default();
    let steps = cfg
        .get("steps")
        .and_then(|s| s.as_u64())
        .map(|s| s as usize);
    let params = cfg
        .get("params")
        .and_then(|p| p.as_object())
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_f64().map(|v| (k.clone(), v)))
                .collect()
        })
        .unwrap_or_default();
    Ok(GenConfig {
        grid,
        steps,
        params,
    })
}

fn param(card: &ModelCard, name: &str) -> Result<f64, NeuralError> {
    card.dataset_metadata
        .get("params")
        .and_then(|p| p.get(name))
        .and_then(|v| v.as_f64())
        .ok_or_else(|| NeuralError::UnsuitableData {
            path: card.dataset.clone(),
            reason: format!("the dataset metadata has no parameter '{name}'"),
        })
}

fn rel_l2(a: &[f64], b: &[f64]) -> f64 {
    let (mut e, mut t) = (0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        e += (x - y) * (x - y);
        t += y * y;
    }
    (e / t).sqrt()
}

/// Every `s`-th point of a 1-D or 2-D grid `[n]`/`[n, n]` (row-major).
fn restrict(v: &[f64], n: &[usize], s: usize) -> Vec<f64> {
    if n.len() == 1 {
        v.iter().step_by(s).copied().collect()
    } else {
        let ny = n[1];
        let mut out = Vec::new();
        for i in (0..n[0]).step_by(s) {
            for j in (0..ny).step_by(s) {
                out.push(v[i * ny + j]);
            }
        }
        out
    }
}

/// One test pair in f64: (input, truth), each `[spatial...]` at the training grid.
type Pair64 = (Vec<f64>, Vec<f64>);

/// Test pairs (input, truth at the training grid) in f64.
fn test_pairs(card: &ModelCard, count: usize) -> Result<Vec<Pair64>, NeuralError> {
    let ds = ai4de_data::open(&card.dataset)?;
    let opts = DataOptions {
        input_fields: card.input_fields.clone(),
        output_fields: card.output_fields.clone(),
        ..card.data.clone()
    };
    let loaded = data::load(&ds, &opts)?;
    let idx: Vec<usize> = card.split.test.iter().copied().take(count).collect();
    let p = loaded.pairs(&idx);
    Ok((0..p.len())
        .map(|i| {
            (
                p.inputs.sample(i).iter().map(|&v| f64::from(v)).collect(),
                p.outputs.sample(i).iter().map(|&v| f64::from(v)).collect(),
            )
        })
        .collect())
}

/// Runs the solver on every pair at grid stride `s` and step factor `f`.
fn sweep_point(
    card: &ModelCard,
    pde: &str,
    pairs: &[Pair64],
    s: usize,
    f: f64,
) -> Result<SolverConfig, NeuralError> {
    let n = &card.spatial;
    let grid: Vec<usize> = n.iter().map(|&k| k.div_ceil(s)).collect();
    let mut secs = 0.0;
    let mut err = 0.0;
    let mut ok = true;
    for (input, truth) in pairs {
        let x = restrict(input, n, s);
        let want = restrict(truth, n, s);
        let t0 = Instant::now();
        let got = match pde {
            "burgers" => {
                let nu = param(card, "nu")?;
                let t_end = param(card, "t_end")?;
                let m = grid[0];
                let h = advective_step(&x, 1.0, m, 1.0) * f;
                match solve_burgers(&x, 1.0, nu, &[0.0, t_end], h, Stepper::Etdrk4) {
                    Ok((u, _)) => u[m..].to_vec(),
                    Err(_) => {
                        ok = false;
                        break;
                    }
                }
            }
            "darcy" => {
                let m = grid[0];
                let f_rhs = param(card, "f")?;
                let mut u = vec![0.0; m * m];
                DarcySolver::new(m)?.solve(&x, &vec![f_rhs; m * m], &mut u)?;
                u
            }
            _ => unreachable!("sweep_point is only called for burgers and darcy"),
        };
        secs += t0.elapsed().as_secs_f64();
        if got.iter().any(|v| !v.is_finite()) {
            ok = false;
            break;
        }
        err += rel_l2(&got, &want);
    }
    let k = pairs.len().max(1) as f64;
    Ok(SolverConfig {
        grid,
        step_factor: f,
        seconds: secs / k,
        rel_l2: ok.then_some(err / k),
    })
}

/// Compares the operator surrogate in `dir` with its solver (see the module documentation);
/// writes `OUT/compare.json`.
///
/// # Errors
/// An autoregressive model, a dataset without the metadata needed to rerun its solver, solver
/// and evaluation errors.
pub fn compare(dir: &Path, opts: &CompareOptions) -> Result<CompareReport, NeuralError> {
    let card = ModelCard::load(dir)?;
    if card.data.task != Task::Operator {
        return Err(NeuralError::invalid(
            "task",
            card.data.task.name(),
            "the surrogate-vs-solver comparison needs an operator model (u(0) -> u(T) or a -> u)",
        ));
    }
    let pde_name = card
        .pde
        .clone()
        .ok_or_else(|| NeuralError::UnsuitableData {
            path: card.dataset.clone(),
            reason: "the dataset metadata does not name its PDE".into(),
        })?;
    let eval = evaluate(
        dir,
        &EvalOptions {
            dataset: None,
            split: EvalSplit::Test,
            max_samples: None,
            sub: None,
            plots: 0,
            batch: opts.batch,
            out: opts.out.join("eval"),
        },
    )?;
    let surrogate_rel_l2 = eval.metrics.rel_l2;
    let samples = opts.samples.max(1).min(card.split.test.len());
    let cfg = gen_config(&card)?;
    let pde = ai4de_pde::get(&pde_name)?;
    // Solver time per sample at the dataset's own grid (what generating the data cost).
    let t0 = Instant::now();
    for &i in card.split.test.iter().take(samples) {
        pde.sample(
            &cfg,
            card.dataset_metadata["seed"].as_u64().unwrap_or(0),
            i as u64,
        )?;
    }
    let data_sample_seconds = t0.elapsed().as_secs_f64() / samples as f64;
    let sweepable = matches!(pde_name.as_str(), "burgers" | "darcy")
        && card.input_fields.len() == 1
        && card.output_fields.len() == 1;
    let (solver, sweep, note) = if sweepable {
        let pairs = test_pairs(&card, samples)?;
        let solver = sweep_point(&card, &pde_name, &pairs, 1, 1.0)?;
        let mut sweep = vec![solver.clone()];
        let min_points = if pde_name == "darcy" { 5 } else { 16 };
        let factors: &[f64] = if pde_name == "burgers" {
            &[1.0, 2.0, 4.0, 8.0]
        } else {
            &[1.0]
        };
        let mut s = 1;
        loop {
            let ok_stride = card.spatial.iter().all(|&n| {
                if pde_name == "darcy" {
                    (n - 1) % s == 0 && (n - 1) / s + 1 >= min_points
                } else {
                    n % s == 0 && n / s >= min_points
                }
            });
            if !ok_stride {
                break;
            }
            for &f in factors {
                if s == 1 && f == 1.0 {
                    continue;
                }
                sweep.push(sweep_point(&card, &pde_name, &pairs, s, f)?);
            }
            s *= 2;
        }
        (
            solver,
            sweep,
            "solver runs start from each test sample's input restricted to the coarse grid; \
             errors are against the dataset truth restricted to the same points"
                .to_string(),
        )
    } else {
        let mut fine = cfg.clone();
        fine.grid = card.spatial.clone();
        let t0 = Instant::now();
        for &i in card.split.test.iter().take(samples) {
            pde.sample(
                &fine,
                card.dataset_metadata["seed"].as_u64().unwrap_or(0),
                i as u64,
            )?;
        }
        let solver = SolverConfig {
            grid: card.spatial.clone(),
            step_factor: 1.0,
            seconds: t0.elapsed().as_secs_f64() / samples as f64,
            rel_l2: None,
        };
        (
            solver.clone(),
            vec![solver],
            format!(
                "no coarse-solver sweep for '{pde_name}' (implemented for burgers and darcy with \
                 one input and one output field); the solver time is one catalogue sample at \
                 the training grid"
            ),
        )
    };
    let cheapest_matching = sweep
        .iter()
        .filter(|c| c.rel_l2.is_some_and(|e| e <= surrogate_rel_l2))
        .min_by(|a, b| a.seconds.total_cmp(&b.seconds))
        .cloned();
    let data_seconds = (card.split.train.len() + card.split.val.len()) as f64 * data_sample_seconds;
    let t_sur = eval.inference.batched;
    let upfront = data_seconds + card.train_seconds;
    let break_even = |t_solver: f64| (t_solver > t_sur).then(|| upfront / (t_solver - t_sur));
    let report = CompareReport {
        model_dir: dir.to_path_buf(),
        pde: pde_name,
        train_grid: card.spatial.clone(),
        samples,
        break_even_vs_solver: break_even(solver.seconds),
        break_even_vs_matching: cheapest_matching
            .as_ref()
            .and_then(|c| break_even(c.seconds)),
        solver,
        surrogate_rel_l2,
        surrogate_single_seconds: eval.inference.single,
        surrogate_batched_seconds: t_sur,
        surrogate_batch: eval.inference.batch,
        sweep,
        cheapest_matching,
        data_seconds,
        train_seconds: card.train_seconds,
        note,
    };
    std::fs::create_dir_all(&opts.out).map_err(NeuralError::io("cannot create", &opts.out))?;
    write_json(&opts.out.join("compare.json"), &report)?;
    Ok(report)
}
