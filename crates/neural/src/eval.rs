//! Evaluation of a trained surrogate: PDEBench metrics over the test split (or all samples of
//! another dataset, e.g. at 2× and 4× the training grid for zero-shot super-resolution),
//! long-horizon rollout error curves for autoregressive models, inference timings, and plots of
//! prediction vs truth vs error. Also [`predict_file`] for `ai4de predict`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use burn::module::Module;
use burn::tensor::Device;
use serde::{Deserialize, Serialize};

use crate::backend::Backend;
use crate::card::{dispatch, ModelCard, WithModel, WEIGHTS_FILE};
use crate::checkpoint::{self, write_json};
use crate::data::{self, DataOptions, Fields, LoadedKind, Normalizer, Task, Windows};
use crate::error::NeuralError;
use crate::metrics::{Metrics, MetricsAccumulator};
use crate::train::{self, Samples, Surrogate};

/// Which samples of the dataset to evaluate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EvalSplit {
    /// The card's test split when the dataset is the training dataset, all samples otherwise.
    Auto,
    Test,
    All,
}

/// Options of [`evaluate`].
#[derive(Debug, Clone)]
pub struct EvalOptions {
    /// Dataset to evaluate on; `None` = the training dataset.
    pub dataset: Option<PathBuf>,
    pub split: EvalSplit,
    /// Evaluate at most this many samples.
    pub max_samples: Option<usize>,
    /// Grid sub-sampling of the evaluation data; `None` = the card's when evaluating on the
    /// training dataset, 1 otherwise.
    pub sub: Option<usize>,
    /// Number of samples to plot.
    pub plots: usize,
    pub batch: usize,
    /// Output directory for the report and plots.
    pub out: PathBuf,
    /// Where to run the model: CPU (`flex`) or, with the `vulkan` feature, a GPU.
    pub backend: Backend,
}

/// Rollout of an autoregressive model from its first `H` true states `u(t_0), …, u(t_{H−1})`
/// (`H` = the model's history window, 1 for a one-state model) over the whole horizon.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RolloutReport {
    pub times: Vec<f64>,
    /// States given to the model (the rollout predicts states `H..`).
    #[serde(default = "crate::data::one")]
    pub history: usize,
    /// Mean relative L2 error of the rolled-out state at each time (0 at the `H` given times).
    pub rel_l2: Vec<f64>,
    /// The FNO paper's error (Li et al. 2021, `fourier_2d_time.py`, `test_l2_full / ntest`):
    /// for each trajectory `‖pred − true‖₂ / ‖true‖₂` over *all* predicted states `t_H..t_last`
    /// and grid points at once (one vector per trajectory), averaged over the trajectories.
    #[serde(default)]
    pub traj_rel_l2: f64,
    /// The paper's per-step error (`test_l2_step / ntest / T`): the mean of `rel_l2` over the
    /// predicted states `t_H..t_last`.
    #[serde(default)]
    pub step_mean_rel_l2: f64,
    /// Metrics of the rolled-out state at the final time.
    pub final_metrics: Metrics,
}

/// Accumulates the FNO paper's per-trajectory relative L2 error over a rollout
/// ([`RolloutReport::traj_rel_l2`]): `Σ_k ‖p_k − u_k‖²` and `Σ_k ‖u_k‖²` per trajectory in
/// `f64`, then the mean over trajectories of the square root of their ratio.
#[derive(Debug, Clone, PartialEq)]
pub struct TrajRelL2 {
    err2: Vec<f64>,
    true2: Vec<f64>,
}

impl TrajRelL2 {
    /// For `n` trajectories.
    pub fn new(n: usize) -> Self {
        Self {
            err2: vec![0.0; n],
            true2: vec![0.0; n],
        }
    }

    /// Adds one predicted state of every trajectory: `pred` and `truth` hold `n` states of
    /// `l` values each, trajectory by trajectory.
    pub fn add_step(&mut self, pred: &[f32], truth: &[f32], l: usize) {
        for (i, (p, t)) in pred
            .chunks_exact(l)
            .zip(truth.chunks_exact(l))
            .enumerate()
            .take(self.err2.len())
        {
            for (&a, &b) in p.iter().zip(t) {
                self.err2[i] += f64::from(a - b).powi(2);
                self.true2[i] += f64::from(b).powi(2);
            }
        }
    }

    /// The mean over trajectories of `sqrt(Σ err² / Σ true²)` (0 without trajectories).
    pub fn finish(&self) -> f64 {
        let n = self.err2.len();
        if n == 0 {
            return 0.0;
        }
        self.err2
            .iter()
            .zip(&self.true2)
            .map(|(e, t)| (e / t).sqrt())
            .sum::<f64>()
            / n as f64
    }
}

/// Inference time per sample.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct InferenceTiming {
    /// Seconds per sample, one sample per call.
    pub single: f64,
    /// Seconds per sample in batches of `batch`.
    pub batched: f64,
    pub batch: usize,
}

/// What [`evaluate`] writes to `OUT/eval.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalReport {
    pub model_dir: PathBuf,
    pub dataset: PathBuf,
    pub task: Task,
    /// Evaluation grid (after sub-sampling).
    pub grid: Vec<usize>,
    /// Training grid of the model.
    pub train_grid: Vec<usize>,
    pub samples: usize,
    /// Operator task: the prediction of `u(T)`; autoregressive: one-step predictions from the
    /// true states.
    pub metrics: Metrics,
    pub rollout: Option<RolloutReport>,
    pub inference: InferenceTiming,
    pub plots: Vec<PathBuf>,
}

/// Loads the model of `dir` onto the plain (non-autodiff) CPU device and hands it to `w`.
struct Loaded<'a, W> {
    dir: &'a Path,
    device: Device,
    w: W,
}

/// Code that runs on a loaded, trained model.
pub trait WithTrained {
    type Output;
    fn run<M: Surrogate<D> + 'static, const D: usize>(
        self,
        model: M,
        device: &Device,
    ) -> Result<Self::Output, NeuralError>;
}

impl<W: WithTrained> WithModel for Loaded<'_, W> {
    type Output = W::Output;
    fn run<M: Surrogate<D> + 'static, const D: usize>(
        self,
        model: M,
    ) -> Result<W::Output, NeuralError> {
        let model = checkpoint::load_model(model, &self.dir.join(WEIGHTS_FILE))?.valid();
        self.w.run::<M, D>(model, &self.device)
    }
}

/// Rebuilds the model of the card in `dir` on `backend`, loads its weights and runs `w` on it.
pub fn with_trained<W: WithTrained>(
    dir: &Path,
    card: &ModelCard,
    backend: Backend,
    w: W,
) -> Result<W::Output, NeuralError> {
    let device = backend.device()?;
    dispatch(
        &card.model,
        card.spatial_dims(),
        &device.clone(),
        Loaded { dir, device, w },
    )
}

/// The normalisers of `card` on the grid `coords` (resampled for a point normaliser on another
/// grid).
fn norms_on(
    card: &ModelCard,
    coords: &[Vec<f64>],
) -> Result<(Normalizer, Normalizer), NeuralError> {
    if coords.iter().map(Vec::len).eq(card.spatial.iter().copied()) {
        return Ok((card.in_norm.clone(), card.out_norm.clone()));
    }
    Ok((
        card.in_norm.resample(&card.coords, coords, card.periodic)?,
        card.out_norm
            .resample(&card.coords, coords, card.periodic)?,
    ))
}

fn domain_lengths(coords: &[Vec<f64>], periodic: bool) -> Vec<f64> {
    coords
        .iter()
        .map(|c| {
            if c.len() < 2 {
                1.0
            } else if periodic {
                (c[1] - c[0]) * c.len() as f64
            } else {
                c[c.len() - 1] - c[0]
            }
        })
        .collect()
}

struct EvalRun<'a> {
    card: &'a ModelCard,
    dir: &'a Path,
    opts: &'a EvalOptions,
    dataset: PathBuf,
}

impl WithTrained for EvalRun<'_> {
    type Output = EvalReport;

    fn run<M: Surrogate<D> + 'static, const D: usize>(
        self,
        model: M,
        device: &Device,
    ) -> Result<EvalReport, NeuralError> {
        let card = self.card;
        let opts = self.opts;
        let same = self.dataset == card.dataset;
        let ds = ai4de_data::open(&self.dataset)?;
        let data_opts = DataOptions {
            input_fields: card.input_fields.clone(),
            output_fields: card.output_fields.clone(),
            sub: opts.sub.unwrap_or(if same { card.data.sub } else { 1 }),
            max_samples: None,
            ..card.data.clone()
        };
        let loaded = data::load(&ds, &data_opts)?;
        let mut indices: Vec<usize> = match (opts.split, same) {
            (EvalSplit::Test, _) | (EvalSplit::Auto, true) => {
                if card.split.test.iter().any(|&i| i >= loaded.samples()) {
                    return Err(NeuralError::invalid(
                        "split",
                        "test",
                        "the dataset has fewer samples than the training split refers to",
                    ));
                }
                card.split.test.clone()
            }
            _ => (0..loaded.samples()).collect(),
        };
        if let Some(m) = opts.max_samples {
            indices.truncate(m);
        }
        if indices.is_empty() {
            return Err(NeuralError::invalid(
                "split",
                "test",
                "no samples to evaluate",
            ));
        }
        let (in_norm, out_norm) = norms_on(card, &loaded.coords)?;
        let spatial = loaded.spatial().to_vec();
        let lengths = domain_lengths(&loaded.coords, loaded.periodic);
        std::fs::create_dir_all(&opts.out).map_err(NeuralError::io("cannot create", &opts.out))?;
        let history = card.data.history;
        // Operator task: the pairs (inputs encoded); autoregressive: the one-step windows
        // (H true states -> the next), cut per batch.
        let pairs = match &loaded.kind {
            LoadedKind::Pairs(_) => {
                let mut p = loaded.pairs(&indices);
                in_norm.encode(&mut p.inputs)?;
                Some(p)
            }
            LoadedKind::Trajectories(_) => None,
        };
        let one_step = match (&loaded.kind, &pairs) {
            (LoadedKind::Trajectories(t), _) => Samples::Windows {
                windows: Windows::new(t, &indices, history, 1)?,
                in_norm: &in_norm,
            },
            (_, Some(p)) => Samples::Pairs(p),
            (LoadedKind::Pairs(_), None) => {
                return Err(NeuralError::invalid(
                    "task",
                    "operator",
                    "internal: the operator pairs were not built",
                ))
            }
        };
        let mut acc = MetricsAccumulator::new(card.out_channels, &spatial, &lengths)?;
        let batch = opts.batch.max(1);
        let all: Vec<usize> = (0..one_step.len()).collect();
        let mut plot_pred = Vec::new();
        for chunk in all.chunks(batch) {
            let (inputs, outputs) = one_step.batch(chunk)?;
            let pred = train::predict::<M, D>(
                &model,
                &inputs,
                card.out_channels,
                &out_norm,
                batch,
                device,
            )?;
            let l = outputs.sample_len();
            for (p, t) in pred.chunks_exact(l).zip(outputs.data.chunks_exact(l)) {
                acc.add(p, t)?;
                if plot_pred.len() < opts.plots * l {
                    plot_pred.extend_from_slice(p);
                }
            }
        }
        let metrics = acc.finish();
        let timed: Vec<usize> = (0..all.len().min(batch * 4)).collect();
        let (inputs, _) = one_step.batch(&timed)?;
        let inference =
            time_inference::<M, D>(&model, &inputs, card, &out_norm, opts.batch, device)?;
        let mut plots = Vec::new();
        let rollout = match &loaded.kind {
            LoadedKind::Trajectories(traj) => {
                let traj = traj.select(&indices);
                let (report, states) = rollout::<M, D>(
                    &model,
                    &traj,
                    history,
                    (&in_norm, &out_norm),
                    &lengths,
                    opts.batch,
                    device,
                )?;
                let curve = opts.out.join("rollout.png");
                let plot = ai4de_report::LinePlot::new("Rollout error")
                    .x_label("t")
                    .y_label("relative L2 error")
                    .non_finite(ai4de_report::NonFinitePolicy::Skip)
                    .with_series(ai4de_report::Series::new(
                        "rollout",
                        report
                            .times
                            .iter()
                            .copied()
                            .zip(report.rel_l2.iter().copied()),
                    ));
                ai4de_report::plot_lines(&curve, &plot)?;
                plots.push(curve);
                // The final states of the rollout are what the sample plots show.
                let last = traj.steps - 1;
                let mut truth = Fields::empty(traj.channels, spatial.clone());
                for i in 0..traj.n.min(opts.plots) {
                    truth.push(traj.state(i, last));
                }
                plots.extend(plot_samples(
                    &opts.out,
                    &format!("t = {:.3}", traj.times[last]),
                    &truth,
                    &states,
                    &loaded.coords,
                    &card.output_fields,
                    opts.plots,
                )?);
                Some(report)
            }
            LoadedKind::Pairs(_) => {
                if let Some(p) = &pairs {
                    plots.extend(plot_samples(
                        &opts.out,
                        "",
                        &p.outputs,
                        &plot_pred,
                        &loaded.coords,
                        &card.output_fields,
                        opts.plots,
                    )?);
                }
                None
            }
        };
        let report = EvalReport {
            model_dir: self.dir.to_path_buf(),
            dataset: self.dataset.clone(),
            task: card.data.task,
            grid: spatial,
            train_grid: card.spatial.clone(),
            samples: indices.len(),
            metrics,
            rollout,
            inference,
            plots,
        };
        write_json(&opts.out.join("eval.json"), &report)?;
        Ok(report)
    }
}

/// Evaluates the model in `dir` (see [`EvalOptions`]); writes `OUT/eval.json` and plots.
pub fn evaluate(dir: &Path, opts: &EvalOptions) -> Result<EvalReport, NeuralError> {
    let card = ModelCard::load(dir)?;
    let dataset = opts.dataset.clone().unwrap_or_else(|| card.dataset.clone());
    with_trained(
        dir,
        &card,
        opts.backend,
        EvalRun {
            card: &card,
            dir,
            opts,
            dataset,
        },
    )
}

fn time_inference<M: Surrogate<D>, const D: usize>(
    model: &M,
    inputs: &Fields,
    card: &ModelCard,
    out_norm: &Normalizer,
    batch: usize,
    device: &Device,
) -> Result<InferenceTiming, NeuralError> {
    let n = inputs.n.min(batch.max(1) * 4).max(1);
    let sub = inputs.select(&(0..n.min(inputs.n)).collect::<Vec<_>>());
    // Warm-up, then time.
    let _ = train::predict::<M, D>(
        model,
        &sub.select(&[0]),
        card.out_channels,
        out_norm,
        1,
        device,
    )?;
    let t = Instant::now();
    let _ = train::predict::<M, D>(model, &sub, card.out_channels, out_norm, batch, device)?;
    let batched = t.elapsed().as_secs_f64() / sub.n as f64;
    let m = sub.n.min(8);
    let t = Instant::now();
    let _ = train::predict::<M, D>(
        model,
        &sub.select(&(0..m).collect::<Vec<_>>()),
        card.out_channels,
        out_norm,
        1,
        device,
    )?;
    let single = t.elapsed().as_secs_f64() / m as f64;
    Ok(InferenceTiming {
        single,
        batched,
        batch,
    })
}

/// Rolls the model out from the first `history` states of every trajectory (the window shifted
/// by one predicted state per step: oldest dropped, prediction appended); returns the error
/// curve and the final states (decoded), `[n, C, spatial...]`. `norms` are the input window's
/// normaliser (the state normaliser tiled `history` times) and the state normaliser.
fn rollout<M: Surrogate<D>, const D: usize>(
    model: &M,
    traj: &data::Trajectories,
    history: usize,
    norms: (&Normalizer, &Normalizer),
    lengths: &[f64],
    batch: usize,
    device: &Device,
) -> Result<(RolloutReport, Vec<f32>), NeuralError> {
    let (in_norm, norm) = norms;
    let c = traj.channels;
    let h = history.max(1);
    if h >= traj.steps {
        return Err(NeuralError::invalid(
            "history",
            h,
            format!(
                "must be below the {} time points of the trajectories",
                traj.steps
            ),
        ));
    }
    let l = traj.state_len();
    // The raw window of every trajectory, `[H·C, spatial...]`: states 0..H.
    let mut window = Fields::empty(h * c, traj.spatial.clone());
    for i in 0..traj.n {
        for k in 0..h {
            window.data.extend_from_slice(traj.state(i, k));
        }
        window.n += 1;
    }
    let mut state = Vec::new();
    let mut rel = vec![0.0; h];
    let mut full = TrajRelL2::new(traj.n);
    let mut final_metrics = None;
    for k in h..traj.steps {
        let mut enc = window.clone();
        in_norm.encode(&mut enc)?;
        let next =
            train::predict::<M, D>(model, &enc, c, norm, batch, device).map_err(|e| match e {
                NeuralError::NonFinite { what, at } => NeuralError::NonFinite {
                    what: format!("{what} in rollout step {k}"),
                    at,
                },
                e => e,
            })?;
        let mut truth = Vec::with_capacity(traj.n * l);
        for i in 0..traj.n {
            truth.extend_from_slice(traj.state(i, k));
        }
        rel.push(train::mean_rel_l2(&next, &truth, l));
        full.add_step(&next, &truth, l);
        if k + 1 == traj.steps {
            let mut acc = MetricsAccumulator::new(c, &traj.spatial, lengths)?;
            for (p, t) in next.chunks_exact(l).zip(truth.chunks_exact(l)) {
                acc.add(p, t)?;
            }
            final_metrics = Some(acc.finish());
        }
        if h == 1 {
            window.data.clone_from(&next);
        } else {
            let mut shifted = Vec::with_capacity(window.data.len());
            for (w, p) in window.data.chunks_exact(h * l).zip(next.chunks_exact(l)) {
                shifted.extend_from_slice(&w[l..]);
                shifted.extend_from_slice(p);
            }
            window.data = shifted;
        }
        state = next;
    }
    let predicted = &rel[h..];
    let report = RolloutReport {
        times: traj.times.clone(),
        history: h,
        traj_rel_l2: full.finish(),
        step_mean_rel_l2: predicted.iter().sum::<f64>() / predicted.len().max(1) as f64,
        rel_l2: rel,
        final_metrics: final_metrics.unwrap_or_else(|| {
            MetricsAccumulator::new(c, &traj.spatial, lengths)
                .map(|a| a.finish())
                .expect("shape was validated by the loader")
        }),
    };
    Ok((report, state))
}

/// Plots the first `count` samples: 1-D: truth, prediction and error against x; 2-D: heat maps
/// of truth and prediction, and of the error.
fn plot_samples(
    out: &Path,
    caption: &str,
    truth: &Fields,
    pred: &[f32],
    coords: &[Vec<f64>],
    names: &[String],
    count: usize,
) -> Result<Vec<PathBuf>, NeuralError> {
    let mut files = Vec::new();
    let p = truth.points();
    let l = truth.sample_len();
    for i in 0..truth.n.min(count) {
        let t = truth.sample(i);
        let q = &pred[i * l..(i + 1) * l];
        for (c, name) in names.iter().enumerate().take(truth.channels) {
            let tc = &t[c * p..(c + 1) * p];
            let qc = &q[c * p..(c + 1) * p];
            let title = format!(
                "sample {i}, {name}{}{caption}",
                if caption.is_empty() { "" } else { ", " }
            );
            if coords.len() == 1 {
                let x = &coords[0];
                let series = |label: &str, v: &mut dyn Iterator<Item = f64>| {
                    ai4de_report::Series::new(label, x.iter().copied().zip(v))
                };
                let plot = ai4de_report::LinePlot::new(title)
                    .x_label("x")
                    .y_label(name.clone())
                    .with_series(series("truth", &mut tc.iter().map(|&v| f64::from(v))))
                    .with_series(series("prediction", &mut qc.iter().map(|&v| f64::from(v))))
                    .with_series(series(
                        "error",
                        &mut qc.iter().zip(tc).map(|(&a, &b)| f64::from(a - b)),
                    ));
                let f = out.join(format!("sample-{i}-{name}.png"));
                ai4de_report::plot_lines(&f, &plot)?;
                files.push(f);
            } else {
                let (nx, ny) = (coords[0].len(), coords[1].len());
                let range = |v: &[f64]| (v[0], v[v.len() - 1]);
                // Rows are y (vertical), columns x: transpose the [x, y] layout.
                let panel = |label: &str, v: &[f32], f: &dyn Fn(f32) -> f64| {
                    let mut vals = vec![0.0; nx * ny];
                    for ix in 0..nx {
                        for iy in 0..ny {
                            vals[iy * nx + ix] = f(v[ix * ny + iy]);
                        }
                    }
                    ai4de_report::HeatPanel::new(
                        label,
                        vals,
                        ny,
                        nx,
                        range(&coords[0]),
                        range(&coords[1]),
                    )
                };
                let id = |v: f32| f64::from(v);
                let plot = ai4de_report::HeatmapPlot::new(title.clone())
                    .value_label(name.clone())
                    .with_panel(panel("truth", tc, &id))
                    .with_panel(panel("prediction", qc, &id));
                let f = out.join(format!("sample-{i}-{name}.png"));
                ai4de_report::plot_heatmap(&f, &plot)?;
                files.push(f);
                let err: Vec<f32> = qc.iter().zip(tc).map(|(a, b)| a - b).collect();
                let plot = ai4de_report::HeatmapPlot::new(format!("{title}: prediction - truth"))
                    .value_label("error")
                    .with_panel(panel("error", &err, &id));
                let f = out.join(format!("sample-{i}-{name}-error.png"));
                ai4de_report::plot_heatmap(&f, &plot)?;
                files.push(f);
            }
        }
    }
    Ok(files)
}

struct PredictRun<'a> {
    card: &'a ModelCard,
    input: Fields,
    batch: usize,
}

impl WithTrained for PredictRun<'_> {
    type Output = Vec<f32>;
    fn run<M: Surrogate<D> + 'static, const D: usize>(
        self,
        model: M,
        device: &Device,
    ) -> Result<Vec<f32>, NeuralError> {
        let coords: Vec<Vec<f64>> = self
            .input
            .spatial
            .iter()
            .zip(&self.card.coords)
            .map(|(&n, c)| {
                if n == c.len() {
                    c.clone()
                } else {
                    // Same extent, `n` points.
                    let len = domain_lengths(std::slice::from_ref(c), self.card.periodic)[0];
                    let den = if self.card.periodic { n } else { n.max(2) - 1 };
                    (0..n).map(|i| c[0] + len * i as f64 / den as f64).collect()
                }
            })
            .collect();
        let (in_norm, out_norm) = norms_on(self.card, &coords)?;
        let mut x = self.input;
        in_norm.encode(&mut x)?;
        train::predict::<M, D>(
            &model,
            &x,
            self.card.out_channels,
            &out_norm,
            self.batch,
            device,
        )
    }
}

/// Runs the model in `dir` on an array of inputs and returns the outputs. `input` is
/// `[N, C_in, spatial...]`, or one sample `[C_in, spatial...]`, or, with one input channel,
/// `[N, spatial...]` / `[spatial...]`; the output has the same leading layout with `C_out`
/// channels.
pub fn predict_array(
    dir: &Path,
    input: &[f32],
    shape: &[usize],
    batch: usize,
) -> Result<(Vec<f32>, Vec<usize>), NeuralError> {
    let card = ModelCard::load(dir)?;
    let sd = card.spatial_dims();
    let (n, c, spatial, batched, with_c) = match shape.len() {
        k if k == sd => (1, 1, shape.to_vec(), false, false),
        k if k == sd + 1 && card.in_channels == 1 && shape[0] != 1 => {
            (shape[0], 1, shape[1..].to_vec(), true, false)
        }
        k if k == sd + 1 => (1, shape[0], shape[1..].to_vec(), false, true),
        k if k == sd + 2 => (shape[0], shape[1], shape[2..].to_vec(), true, true),
        _ => {
            return Err(NeuralError::DataShape {
                what: format!("input array for a {sd}-D model"),
                expected: std::iter::once(card.in_channels)
                    .chain(card.spatial.iter().copied())
                    .collect(),
                found: shape.to_vec(),
            })
        }
    };
    if c != card.in_channels {
        return Err(NeuralError::DataShape {
            what: "input channels".into(),
            expected: vec![card.in_channels],
            found: vec![c],
        });
    }
    if let Some(k) = input.iter().position(|v| !v.is_finite()) {
        return Err(NeuralError::NonFinite {
            what: "input array".into(),
            at: Some(format!("flat index {k}")),
        });
    }
    let fields = Fields {
        data: input.to_vec(),
        n,
        channels: c,
        spatial: spatial.clone(),
    };
    let out = with_trained(
        dir,
        &card,
        Backend::Cpu,
        PredictRun {
            card: &card,
            input: fields,
            batch,
        },
    )?;
    let mut out_shape = Vec::new();
    if batched {
        out_shape.push(n);
    }
    if with_c || card.out_channels != 1 {
        out_shape.push(card.out_channels);
    }
    out_shape.extend(spatial);
    Ok((out, out_shape))
}

/// The model's card as JSON plus the parameter count, for `ai4de eval` headers.
pub fn describe(card: &ModelCard) -> String {
    format!(
        "{} ({} parameters), {} {} -> {}, grid {:?}, {} epochs in {:.1} s",
        card.model.name(),
        card.parameters,
        card.data.task.name(),
        card.input_fields.join(","),
        card.output_fields.join(","),
        card.spatial,
        card.epochs_done,
        card.train_seconds
    )
}

/// Writes `report` again (e.g. after adding a comparison) — helper for the CLI.
pub fn write_report(path: &Path, report: &EvalReport) -> Result<(), NeuralError> {
    write_json(path, report)
}

/// Samples per second of a set of timings (helper for tables).
pub fn per_second(seconds: f64) -> f64 {
    if seconds > 0.0 {
        1.0 / seconds
    } else {
        f64::INFINITY
    }
}

#[allow(dead_code)]
fn _assert_module<M: Module>() {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{NormKind, Trajectories};
    use burn::module::Param;
    use burn::tensor::Tensor;

    /// Returns the oldest state of its input window (one channel): rolled out from states
    /// `s_0, s_1` it predicts `s_0, s_1, s_0, …` only if the window drops its oldest state and
    /// appends the prediction.
    #[derive(Module, Debug)]
    struct Oldest {
        unused: Param<Tensor<1>>,
    }

    impl Surrogate<3> for Oldest {
        fn forward(&self, x: Tensor<3>) -> Result<Tensor<3>, NeuralError> {
            Ok(x.narrow(1, 0, 1))
        }
    }

    #[test]
    fn paper_trajectory_error_matches_a_hand_computed_case() {
        // Two trajectories, two predicted states of 2 points each.
        let mut acc = TrajRelL2::new(2);
        acc.add_step(&[1.0, 0.0, 3.0, 4.0], &[1.0, 1.0, 0.0, 4.0], 2);
        acc.add_step(&[2.0, 2.0, 0.0, 0.0], &[2.0, 0.0, 0.0, 2.0], 2);
        // Trajectory 0: errors (0, 1), (0, 2): 5 over truths 1 + 1 + 4 + 0 = 6.
        // Trajectory 1: errors (3, 0), (0, -2): 13 over 16 + 4 = 20.
        let want = ((5.0f64 / 6.0).sqrt() + (13.0f64 / 20.0).sqrt()) / 2.0;
        assert!((acc.finish() - want).abs() < 1e-15, "{}", acc.finish());
        // Not the mean of the per-step errors.
        let per_step = ((1.0f64 / 2.0).sqrt() + 3.0 / 4.0 + (4.0f64 / 4.0).sqrt() + 1.0) / 4.0;
        assert!((acc.finish() - per_step).abs() > 1e-3);
        assert_eq!(TrajRelL2::new(0).finish(), 0.0);
    }

    #[test]
    fn rollout_with_a_history_window_starts_from_the_first_states_and_shifts() {
        let device = Device::flex();
        let model = Oldest {
            unused: Param::from_tensor(Tensor::zeros([1], &device)),
        };
        // One trajectory, s_k = (k + 1) (1, 2), 5 states.
        let data: Vec<f32> = (0..5)
            .flat_map(|k| [(k + 1) as f32, 2.0 * (k + 1) as f32])
            .collect();
        let traj = Trajectories {
            data,
            n: 1,
            steps: 5,
            channels: 1,
            spatial: vec![2],
            times: (0..5).map(f64::from).collect(),
        };
        let lengths = [1.0];
        let none = Normalizer::fit(NormKind::None, &Fields::empty(1, vec![2]));
        let mut states = Fields::empty(1, vec![2]);
        for k in 0..3 {
            states.push(traj.state(0, k));
        }
        let channel = Normalizer::fit(NormKind::Channel, &states);
        for norm in [none, channel] {
            let (r, last) = rollout::<Oldest, 3>(
                &model,
                &traj,
                2,
                (&norm.tiled(2), &norm),
                &lengths,
                4,
                &device,
            )
            .unwrap();
            // Predictions s_0, s_1, s_0 for t = 2, 3, 4: errors |k - j| sqrt 5 / ((k + 1) sqrt 5).
            let want = [0.0, 0.0, 2.0 / 3.0, 2.0 / 4.0, 4.0 / 5.0];
            assert_eq!(r.history, 2);
            for (a, b) in r.rel_l2.iter().zip(want) {
                assert!((a - b).abs() < 1e-6, "{:?} ({norm:?})", r.rel_l2);
            }
            assert!((r.traj_rel_l2 - (24.0f64 / 50.0).sqrt()).abs() < 1e-6);
            assert!((r.step_mean_rel_l2 - (2.0 / 3.0 + 0.5 + 0.8) / 3.0).abs() < 1e-6);
            assert!((last[0] - 1.0).abs() < 1e-6 && (last[1] - 2.0).abs() < 1e-6);
        }
        // A window as long as the trajectory leaves nothing to predict: a typed error.
        let norm = Normalizer::fit(NormKind::None, &Fields::empty(1, vec![2]));
        assert!(matches!(
            rollout::<Oldest, 3>(&model, &traj, 5, (&norm, &norm), &lengths, 4, &device),
            Err(NeuralError::InvalidOption { .. })
        ));
    }
}
