//! The training loop: Adam/AdamW with a learning-rate schedule, the relative L2 loss, seeded
//! mini-batches, validation each epoch, progress, atomic checkpoints every epoch and resume.
//!
//! * Loss: the FNO code's `LpLoss` (Li et al. 2021, `utilities3.py`): the mean over the batch of
//!   `‖pred − y‖₂ / ‖y‖₂`, computed on *decoded* outputs (physical units), as the FNO Darcy script
//!   does with its `y_normalizer`.
//! * Optimiser: Adam with coupled L2 weight decay (`torch.optim.Adam(weight_decay=1e-4)`, the FNO
//!   scripts' choice) or AdamW (Loshchilov and Hutter 2019), β = (0.9, 0.999), ε = 1e-8 (PyTorch's
//!   defaults).
//! * Schedules ([`Schedule`]) are pure functions of the epoch, so they carry no state to save:
//!   step decay `lr · γ^⌊epoch/step⌋` (the FNO scripts halve every 100 of 500 epochs) or cosine
//!   annealing to zero over the run (the later neuraloperator default).
//! * Multi-step rollout (autoregressive task, [`TrainConfig::rollout`] `K ≥ 2`): each training
//!   sample is a window `u(t_k) → (u(t_{k+1}), …, u(t_{k+K}))`; the model is unrolled `K` times
//!   from `u(t_k)` inside the autodiff graph, feeding its own (encoded) prediction back as the
//!   next input, and the loss is the *sum* of the `K` per-step relative L2 losses
//!   ([`rollout_loss`]), so gradients flow through the whole unrolled chain (backpropagation
//!   through time, as in the unrolled training of PDE-Arena, Gupta and Brandstetter 2022).
//!   With [`TrainConfig::pushforward`] the state handed from one step to the next is detached:
//!   the loss is the same sum, but each term differentiates only its own model application, whose
//!   input is drawn from the model's own rollout distribution — the pushforward trick of
//!   Brandstetter, Worrall and Welling, "Message passing neural PDE solvers", ICLR 2022, §2.3
//!   (there: one unrolled step with a stop-gradient; here: all `K − 1` carried states). No
//!   curriculum: `K` is fixed over the run. With a history of `H` states
//!   ([`crate::data::DataOptions::history`]) the input is the window `(u(t_{k−H+1}), …, u(t_k))`
//!   stacked along the channels and each unrolled step shifts it by one predicted state: the FNO
//!   paper's Navier–Stokes training (`fourier_2d_time.py`: `H = 10`, `K = 40`, loss summed over
//!   the 40 predicted states). Autoregressive samples are cut from the trajectories per batch
//!   ([`Samples::Windows`]), so memory stays that of the trajectories. The recorded training loss is the sum divided by `K`
//!   (the mean relative L2 per step), so that curves of different `K` stay comparable;
//!   validation is always the one-step error.
//! * Determinism: epoch `k` draws its batch order from [`crate::data::epoch_order`]`(seed, k)`;
//!   the model is initialised by the caller (seed burn's device first). A run stopped after epoch
//!   `j` and resumed continues from the checkpoint (weights, optimizer moments and step counts,
//!   epoch) and reaches the same weights as an uninterrupted run.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use burn::module::Module;
use burn::optim::{
    decay::WeightDecayConfig, AdamConfig, AdamWConfig, GradientsParams, ModuleOptimizer,
};
use burn::tensor::{Device, Tensor, TensorData};
use serde::{Deserialize, Serialize};

use crate::checkpoint::{self, EpochRecord, TrainState};
use crate::data::{epoch_order, Fields, Normalizer, Pairs, Windows};
use crate::error::NeuralError;

/// A model that maps a batch `[B, C_in, spatial...]` to `[B, C_out, spatial...]` (rank `D` = 3
/// for 1-D grids, 4 for 2-D grids).
pub trait Surrogate<const D: usize>: Module {
    /// # Errors
    /// Input shapes the model cannot take (wrong channel count, grid too coarse).
    fn forward(&self, x: Tensor<D>) -> Result<Tensor<D>, NeuralError>;
}

/// Which optimiser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum OptimizerKind {
    /// Adam with L2 weight decay added to the gradient (as `torch.optim.Adam`).
    #[default]
    Adam,
    /// AdamW: decoupled weight decay.
    AdamW,
}

/// Learning-rate schedule, a function of the epoch.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Schedule {
    /// Constant learning rate.
    Constant,
    /// `lr · gamma^⌊epoch / step⌋`.
    Step { step: usize, gamma: f64 },
    /// `lr · (1 + cos(π epoch / epochs)) / 2`.
    Cosine,
}

impl Schedule {
    /// The FNO scripts' schedule scaled to a run of `epochs`: halve 5 times, every `epochs / 5`
    /// epochs (500 epochs → every 100).
    pub fn fno_step(epochs: usize) -> Self {
        Schedule::Step {
            step: (epochs / 5).max(1),
            gamma: 0.5,
        }
    }

    /// The learning rate of epoch `epoch` (0-based) of `epochs`.
    pub fn lr(&self, base: f64, epoch: usize, epochs: usize) -> f64 {
        match *self {
            Schedule::Constant => base,
            Schedule::Step { step, gamma } => base * gamma.powi((epoch / step.max(1)) as i32),
            Schedule::Cosine => {
                base * 0.5
                    * (1.0 + (std::f64::consts::PI * epoch as f64 / epochs.max(1) as f64).cos())
            }
        }
    }

    /// Parses `constant`, `step`, `step:EVERY:GAMMA` or `cosine` (`step` alone is
    /// [`Schedule::fno_step`]).
    pub fn parse(s: &str, epochs: usize) -> Result<Self, NeuralError> {
        let bad = || {
            NeuralError::invalid(
                "schedule",
                s,
                "known schedules: constant, cosine, step, step:EVERY:GAMMA",
            )
        };
        let parts: Vec<&str> = s.split(':').collect();
        match parts.as_slice() {
            ["constant"] => Ok(Schedule::Constant),
            ["cosine"] => Ok(Schedule::Cosine),
            ["step"] => Ok(Self::fno_step(epochs)),
            ["step", every, gamma] => {
                let step: usize = every.parse().map_err(|_| bad())?;
                let gamma: f64 = gamma.parse().map_err(|_| bad())?;
                if step == 0 || !(gamma > 0.0 && gamma <= 1.0) {
                    return Err(bad());
                }
                Ok(Schedule::Step { step, gamma })
            }
            _ => Err(bad()),
        }
    }
}

/// Options of a training run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    pub epochs: usize,
    pub batch: usize,
    pub lr: f64,
    pub weight_decay: f64,
    pub optimizer: OptimizerKind,
    pub schedule: Schedule,
    /// Seed of the batch order (the model initialisation is seeded by the caller).
    pub seed: u64,
    /// Autoregressive steps unrolled per training sample (1: one-step training); the training
    /// outputs then hold the `rollout` target states stacked along the channel axis.
    #[serde(default = "crate::data::one")]
    pub rollout: usize,
    /// Detach the state between unrolled steps (the pushforward trick; needs `rollout ≥ 2`).
    #[serde(default)]
    pub pushforward: bool,
}

impl Default for TrainConfig {
    /// The FNO 1-D Burgers settings: 500 epochs, batch 20, Adam lr 1e-3, weight decay 1e-4,
    /// halving every 100 epochs.
    fn default() -> Self {
        Self {
            epochs: 500,
            batch: 20,
            lr: 1e-3,
            weight_decay: 1e-4,
            optimizer: OptimizerKind::Adam,
            schedule: Schedule::fno_step(500),
            seed: 0,
            rollout: 1,
            pushforward: false,
        }
    }
}

impl TrainConfig {
    fn validate(&self) -> Result<(), NeuralError> {
        if self.epochs == 0 {
            return Err(NeuralError::invalid("epochs", 0, "must be at least 1"));
        }
        if self.batch == 0 {
            return Err(NeuralError::invalid("batch", 0, "must be at least 1"));
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return Err(NeuralError::invalid(
                "lr",
                self.lr,
                "must be positive and finite",
            ));
        }
        if !(self.weight_decay.is_finite() && self.weight_decay >= 0.0) {
            return Err(NeuralError::invalid(
                "weight-decay",
                self.weight_decay,
                "must be non-negative and finite",
            ));
        }
        if self.rollout == 0 {
            return Err(NeuralError::invalid("rollout", 0, "must be at least 1"));
        }
        if self.pushforward && self.rollout < 2 {
            return Err(NeuralError::invalid(
                "pushforward",
                "with rollout 1",
                "the pushforward trick needs --rollout 2 or more",
            ));
        }
        Ok(())
    }

    /// A fresh optimiser for this configuration.
    pub fn optimizer(&self) -> ModuleOptimizer {
        match self.optimizer {
            OptimizerKind::Adam => AdamConfig::new()
                .with_epsilon(1e-8)
                .with_weight_decay(
                    (self.weight_decay > 0.0)
                        .then(|| WeightDecayConfig::new(self.weight_decay as f32)),
                )
                .init(),
            OptimizerKind::AdamW => AdamWConfig::new()
                .with_epsilon(1e-8)
                .with_weight_decay(self.weight_decay as f32)
                .init(),
        }
    }
}

/// Training or validation samples: materialised pairs, or autoregressive windows cut out of the
/// trajectories when a batch is formed (see [`Windows`]). Either way a batch has *encoded*
/// inputs and *raw* outputs.
#[derive(Debug, Clone)]
pub enum Samples<'a> {
    /// Pairs whose inputs are already encoded (outputs raw).
    Pairs(&'a Pairs),
    /// Windows of raw trajectories; the inputs of a batch are encoded with `in_norm` (the
    /// state normaliser tiled `H` times, [`Normalizer::tiled`]) when it is formed, with the same
    /// arithmetic as encoding materialised pairs.
    Windows {
        windows: Windows<'a>,
        in_norm: &'a Normalizer,
    },
}

impl<'a> From<&'a Pairs> for Samples<'a> {
    fn from(p: &'a Pairs) -> Self {
        Samples::Pairs(p)
    }
}

impl Samples<'_> {
    /// Number of samples.
    pub fn len(&self) -> usize {
        match self {
            Samples::Pairs(p) => p.len(),
            Samples::Windows { windows, .. } => windows.len(),
        }
    }

    /// True when there are no samples.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Channels of a model input.
    pub fn in_channels(&self) -> usize {
        match self {
            Samples::Pairs(p) => p.inputs.channels,
            Samples::Windows { windows, .. } => windows.history() * windows.state_channels(),
        }
    }

    /// Channels of a sample's outputs (`K` states of a rollout stacked).
    pub fn out_channels(&self) -> usize {
        match self {
            Samples::Pairs(p) => p.outputs.channels,
            Samples::Windows { windows, .. } => windows.targets() * windows.state_channels(),
        }
    }

    /// Spatial shape.
    pub fn spatial(&self) -> &[usize] {
        match self {
            Samples::Pairs(p) => &p.outputs.spatial,
            Samples::Windows { windows, .. } => windows.spatial(),
        }
    }

    /// The samples `idx`: encoded inputs and raw outputs.
    ///
    /// # Errors
    /// A normaliser that does not fit the windows.
    pub fn batch(&self, idx: &[usize]) -> Result<(Fields, Fields), NeuralError> {
        match self {
            Samples::Pairs(p) => Ok((p.inputs.select(idx), p.outputs.select(idx))),
            Samples::Windows { windows, in_norm } => {
                let mut x = windows.inputs(idx);
                in_norm.encode(&mut x)?;
                Ok((x, windows.outputs(idx)))
            }
        }
    }

    /// [`Samples::batch`] as tensors `[B, C, spatial...]`.
    ///
    /// # Errors
    /// As [`Samples::batch`].
    pub fn batch_tensors<const D: usize>(
        &self,
        idx: &[usize],
        device: &Device,
    ) -> Result<(Tensor<D>, Tensor<D>), NeuralError> {
        match self {
            Samples::Pairs(p) => Ok((
                batch_tensor::<D>(&p.inputs, idx, device),
                batch_tensor::<D>(&p.outputs, idx, device),
            )),
            Samples::Windows { .. } => {
                let (x, y) = self.batch(idx)?;
                Ok((fields_tensor(x, device), fields_tensor(y, device)))
            }
        }
    }
}

/// Training data: inputs encoded (or encoded per batch), outputs *raw* (the loss decodes the
/// model output with `out_norm`, the state normaliser for the autoregressive task).
pub struct TrainData<'a> {
    pub train: Samples<'a>,
    pub val: Samples<'a>,
    pub out_norm: &'a Normalizer,
}

/// Receives training progress.
pub trait TrainProgress {
    /// Training of epochs `first..epochs` starts; each has `batches` batches.
    fn start(&mut self, first: usize, epochs: usize, batches: usize);
    /// One batch is done with this loss.
    fn batch(&mut self, loss: f64);
    /// An epoch is done.
    fn epoch(&mut self, record: &EpochRecord);
    fn finish(&mut self);
}

/// Reports nothing.
pub struct NoTrainProgress;

impl TrainProgress for NoTrainProgress {
    fn start(&mut self, _: usize, _: usize, _: usize) {}
    fn batch(&mut self, _: f64) {}
    fn epoch(&mut self, _: &EpochRecord) {}
    fn finish(&mut self) {}
}

/// An indicatif bar over all batches of the run with the running loss and samples/s, or, when
/// stderr is not a terminal, one log line per epoch (at most every `interval`, and the last).
pub struct AutoTrainProgress {
    bar: Option<indicatif::ProgressBar>,
    interval: Duration,
    last: Option<Instant>,
    epochs: usize,
    loss_sum: f64,
    loss_n: usize,
}

impl AutoTrainProgress {
    /// A bar on a terminal, log lines every `interval` otherwise.
    pub fn new(interval: Duration) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::with_draw_target(
                None,
                indicatif::ProgressDrawTarget::stderr(),
            );
            let style = indicatif::ProgressStyle::with_template(
                "train [{bar:30.cyan/blue}] {msg} [{elapsed_precise} < {eta_precise}]",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> ");
            bar.set_style(style);
            bar
        });
        Self {
            bar,
            interval,
            last: None,
            epochs: 0,
            loss_sum: 0.0,
            loss_n: 0,
        }
    }
}

impl TrainProgress for AutoTrainProgress {
    fn start(&mut self, first: usize, epochs: usize, batches: usize) {
        self.epochs = epochs;
        if let Some(bar) = &self.bar {
            bar.set_length((epochs * batches) as u64);
            bar.set_position((first * batches) as u64);
            bar.reset_eta();
        } else if first > 0 {
            eprintln!("train: resuming after epoch {first} of {epochs}");
        }
    }

    fn batch(&mut self, loss: f64) {
        self.loss_sum += loss;
        self.loss_n += 1;
        if let Some(bar) = &self.bar {
            bar.inc(1);
            if self.loss_n % 4 == 1 {
                bar.set_message(format!("loss {:.4e}", self.loss_sum / self.loss_n as f64));
            }
        }
    }

    fn epoch(&mut self, r: &EpochRecord) {
        self.loss_sum = 0.0;
        self.loss_n = 0;
        let val = r
            .val_loss
            .map_or(String::new(), |v| format!(" val {v:.4e}"));
        let line = format!(
            "epoch {}/{} loss {:.4e}{val} lr {:.2e} {:.0} samples/s",
            r.epoch + 1,
            self.epochs,
            r.train_loss,
            r.lr,
            r.samples_per_sec
        );
        if let Some(bar) = &self.bar {
            bar.set_message(line);
        } else if self.last.is_none_or(|t| t.elapsed() >= self.interval)
            || r.epoch + 1 == self.epochs
        {
            self.last = Some(Instant::now());
            eprintln!("train: {line}");
        }
    }

    fn finish(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// What a finished (or stopped) run returns.
pub struct TrainOutcome<M> {
    pub model: M,
    pub state: TrainState,
    /// The checkpoint written last.
    pub checkpoint: PathBuf,
}

/// A batch tensor `[B, C, spatial...]` of samples `idx` of `f`.
pub fn batch_tensor<const D: usize>(f: &Fields, idx: &[usize], device: &Device) -> Tensor<D> {
    let l = f.sample_len();
    let mut v = Vec::with_capacity(idx.len() * l);
    for &i in idx {
        v.extend_from_slice(f.sample(i));
    }
    let mut shape = vec![idx.len(), f.channels];
    shape.extend(&f.spatial);
    Tensor::from_data(TensorData::new(v, shape), device)
}

/// All samples of `f` as one tensor `[N, C, spatial...]` (moves the data).
fn fields_tensor<const D: usize>(f: Fields, device: &Device) -> Tensor<D> {
    let mut shape = vec![f.n, f.channels];
    shape.extend(&f.spatial);
    Tensor::from_data(TensorData::new(f.data, shape), device)
}

/// `[1, C, spatial...]` tensors of the normaliser's mean and scale for broadcasting.
fn norm_tensors<const D: usize>(
    norm: &Normalizer,
    channels: usize,
    spatial: &[usize],
    device: &Device,
) -> Result<(Tensor<D>, Tensor<D>), NeuralError> {
    let (mean, scale) = norm.expanded(channels, spatial)?;
    let mut shape = vec![1, channels];
    shape.extend(spatial);
    Ok((
        Tensor::from_data(TensorData::new(mean, shape.clone()), device),
        Tensor::from_data(TensorData::new(scale, shape), device),
    ))
}

/// The FNO `LpLoss` (p = 2, relative): mean over the batch of `‖pred − y‖ / ‖y‖`.
pub fn rel_l2_loss<const D: usize>(pred: Tensor<D>, y: Tensor<D>) -> Tensor<1> {
    let diff: Tensor<2> = (pred - y.clone()).flatten(1, D - 1);
    let y: Tensor<2> = y.flatten(1, D - 1);
    let num = diff.square().sum_dim(1).sqrt();
    let den = y.square().sum_dim(1).sqrt();
    (num / den).mean()
}

/// The `K`-step rollout loss `Σ_{j=1..K} ‖û_j − u_j‖₂ / ‖u_j‖₂` (each term the batch mean of
/// [`rel_l2_loss`]), with `û_j = dec(v_j)`, `v_j = f(w_{j−1})`, `w_0 = x` (encoded) and `w_j` the
/// window `w_{j−1}` shifted by one state: its oldest state dropped, `v_j` appended. The model
/// output is fed back without decoding, which is exact because the autoregressive task encodes
/// inputs and outputs with one (state) normaliser. `x` is `[B, H·C, spatial...]` (the `H` history
/// states stacked along channels, oldest first; `H = 1`: `w_j = v_j`), `targets` is
/// `[B, K·C, spatial...]` (raw, the `K` states stacked along channels), `mean`/`scale` decode one
/// state (`[1, C, spatial...]`). With `pushforward` each prediction is detached before it is
/// carried (see the module documentation). `K = 1` is the plain one-step loss.
///
/// # Errors
/// A channel count of `targets` that is not a multiple of `steps`, of `x` that is not a
/// multiple of the state's, and the model's own errors.
pub fn rollout_loss<M: Surrogate<D>, const D: usize>(
    model: &M,
    x: Tensor<D>,
    targets: Tensor<D>,
    steps: usize,
    pushforward: bool,
    mean: &Tensor<D>,
    scale: &Tensor<D>,
) -> Result<Tensor<1>, NeuralError> {
    let total = targets.dims()[1];
    if steps == 0 || !total.is_multiple_of(steps) {
        return Err(NeuralError::DataShape {
            what: format!("rollout targets (channels = {steps} steps x state channels)"),
            expected: vec![steps],
            found: vec![total],
        });
    }
    let c = total / steps;
    let window = x.dims()[1];
    if c == 0 || window == 0 || !window.is_multiple_of(c) {
        return Err(NeuralError::DataShape {
            what: "rollout input window (channels = history x state channels)".into(),
            expected: vec![c],
            found: vec![window],
        });
    }
    let history = window / c;
    let mut state = x;
    let mut loss: Option<Tensor<1>> = None;
    for j in 0..steps {
        let next = model.forward(state.clone())?;
        let target = targets.clone().narrow(1, j * c, c);
        let step = rel_l2_loss(next.clone() * scale.clone() + mean.clone(), target);
        loss = Some(match loss {
            None => step,
            Some(l) => l + step,
        });
        if j + 1 == steps {
            break;
        }
        let next = if pushforward { next.detach() } else { next };
        state = if history == 1 {
            next
        } else {
            Tensor::cat(vec![state.narrow(1, c, (history - 1) * c), next], 1)
        };
    }
    Ok(loss.expect("steps >= 1 was checked"))
}

/// Runs the model over `inputs` (encoded) in batches of `batch` on `device` and returns the
/// decoded predictions, `[N, C_out, spatial...]` flattened.
pub fn predict<M: Surrogate<D>, const D: usize>(
    model: &M,
    inputs: &Fields,
    out_channels: usize,
    out_norm: &Normalizer,
    batch: usize,
    device: &Device,
) -> Result<Vec<f32>, NeuralError> {
    let mut out = Vec::with_capacity(inputs.n * out_channels * inputs.points());
    let idx: Vec<usize> = (0..inputs.n).collect();
    for chunk in idx.chunks(batch.max(1)) {
        let x = batch_tensor::<D>(inputs, chunk, device);
        let y = model.forward(x)?;
        let v: Vec<f32> = y
            .into_data()
            .try_to_vec()
            .map_err(|e| NeuralError::NonFinite {
                what: format!("model output could not be read as f32 ({e:?})"),
                at: None,
            })?;
        out.extend_from_slice(&v);
    }
    out_norm.decode_slice(&mut out, out_channels, &inputs.spatial)?;
    if let Some(k) = out.iter().position(|v| !v.is_finite()) {
        let l = out_channels * inputs.points();
        return Err(NeuralError::NonFinite {
            what: "model prediction".into(),
            at: Some(format!("sample {}, flat index {}", k / l, k % l)),
        });
    }
    Ok(out)
}

/// Mean relative L2 error of `pred` against `truth` (whole samples of length `l`).
pub fn mean_rel_l2(pred: &[f32], truth: &[f32], l: usize) -> f64 {
    let n = truth.len() / l.max(1);
    sum_rel_l2(0.0, pred, truth, l) / n.max(1) as f64
}

/// `s` plus the relative L2 errors of the samples of `pred` against `truth`, added in order.
fn sum_rel_l2(mut s: f64, pred: &[f32], truth: &[f32], l: usize) -> f64 {
    for (p, t) in pred.chunks_exact(l).zip(truth.chunks_exact(l)) {
        let (mut e2, mut t2) = (0.0f64, 0.0f64);
        for (&a, &b) in p.iter().zip(t) {
            e2 += f64::from(a - b).powi(2);
            t2 += f64::from(b).powi(2);
        }
        s += (e2 / t2).sqrt();
    }
    s
}

/// Trains `model` (initialised by the caller, on an autodiff device) on `data`, writing a
/// checkpoint to `dir/checkpoints/` after every epoch.
///
/// With `resume`, the latest checkpoint in `dir` (if any) replaces the weights and optimizer
/// state of `model` and training continues after its epoch. `stop_after` ends the run after that
/// many completed epochs (counting from 0; used to test resumption), leaving the checkpoint.
///
/// # Errors
/// Invalid options, empty data, a non-finite loss (with the epoch and batch), I/O.
#[allow(clippy::too_many_arguments)]
pub fn train<M: Surrogate<D>, const D: usize>(
    model: M,
    data: &TrainData<'_>,
    cfg: &TrainConfig,
    dir: &Path,
    device: &Device,
    resume: bool,
    stop_after: Option<usize>,
    progress: &mut dyn TrainProgress,
) -> Result<TrainOutcome<M>, NeuralError> {
    cfg.validate()?;
    let n = data.train.len();
    if n == 0 {
        return Err(NeuralError::invalid("ntrain", 0, "no training samples"));
    }
    let steps = cfg.rollout;
    let (in_ch, out_ch) = (data.train.in_channels(), data.train.out_channels());
    let out_c = out_ch / steps;
    let windowed = matches!(data.train, Samples::Windows { .. });
    if out_c == 0
        || out_c * steps != out_ch
        || ((steps > 1 || windowed) && !in_ch.is_multiple_of(out_c))
    {
        return Err(NeuralError::DataShape {
            what: format!("training outputs of a {steps}-step rollout (channels)"),
            expected: vec![in_ch * steps],
            found: vec![out_ch],
        });
    }
    if !data.val.is_empty() && (data.val.in_channels() != in_ch || data.val.out_channels() != out_c)
    {
        return Err(NeuralError::DataShape {
            what: "validation samples (input, output channels)".into(),
            expected: vec![in_ch, out_c],
            found: vec![data.val.in_channels(), data.val.out_channels()],
        });
    }
    let spatial = data.train.spatial().to_vec();
    if spatial.len() + 2 != D {
        return Err(NeuralError::DataShape {
            what: "model rank (batch, channel, spatial...)".into(),
            expected: vec![D],
            found: vec![spatial.len() + 2],
        });
    }
    let (mean_t, scale_t) = norm_tensors::<D>(data.out_norm, out_c, &spatial, device)?;
    let mut optim = cfg.optimizer();
    let mut model = model;
    let mut state = TrainState {
        epoch: 0,
        seed: cfg.seed,
        param_ids: checkpoint::param_ids(&model),
        history: Vec::new(),
        elapsed: 0.0,
    };
    if resume {
        if let Some(ck) = checkpoint::latest_checkpoint(dir)? {
            let (m, o, s) = checkpoint::load_checkpoint(&ck, model, optim)?;
            if s.seed != cfg.seed {
                return Err(NeuralError::Checkpoint {
                    path: ck,
                    reason: format!("was trained with seed {}, not {}", s.seed, cfg.seed),
                });
            }
            model = m;
            optim = o;
            state = s;
        }
    }
    let batches = n.div_ceil(cfg.batch);
    progress.start(state.epoch, cfg.epochs, batches);
    let mut last_ck = checkpoint::latest_checkpoint(dir)?.unwrap_or_else(|| dir.to_path_buf());
    let plain = device.clone().inner();
    while state.epoch < cfg.epochs {
        if stop_after.is_some_and(|s| state.epoch >= s) {
            break;
        }
        let epoch = state.epoch;
        let started = Instant::now();
        let lr = cfg.schedule.lr(cfg.lr, epoch, cfg.epochs);
        let order = epoch_order(n, cfg.seed, epoch);
        let mut loss_sum = 0.0;
        for (b, idx) in order.chunks(cfg.batch).enumerate() {
            let (x, y) = data.train.batch_tensors::<D>(idx, device)?;
            let loss = rollout_loss(&model, x, y, steps, cfg.pushforward, &mean_t, &scale_t)?;
            let value = f64::from(loss.clone().into_scalar::<f32>()) / steps as f64;
            if !value.is_finite() {
                return Err(NeuralError::NonFinite {
                    what: "training loss".into(),
                    at: Some(format!("epoch {}, batch {b}", epoch + 1)),
                });
            }
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = optim.step(lr, model, grads);
            loss_sum += value * idx.len() as f64;
            progress.batch(value);
        }
        let train_loss = loss_sum / n as f64;
        let val_loss = if data.val.is_empty() {
            None
        } else {
            let valid = model.valid();
            // In chunks of the prediction batch, so that windows are cut per chunk; the sum
            // runs in sample order, as `mean_rel_l2` over all samples at once.
            let vb = cfg.batch.max(16);
            let all: Vec<usize> = (0..data.val.len()).collect();
            let mut sum = 0.0;
            for chunk in all.chunks(vb) {
                let (inputs, outputs) = data.val.batch(chunk)?;
                let pred = predict::<M, D>(&valid, &inputs, out_c, data.out_norm, vb, &plain)?;
                sum = sum_rel_l2(sum, &pred, &outputs.data, outputs.sample_len());
            }
            Some(sum / all.len() as f64)
        };
        let seconds = started.elapsed().as_secs_f64();
        let record = EpochRecord {
            epoch,
            lr,
            train_loss,
            val_loss,
            seconds,
            samples_per_sec: n as f64 / seconds.max(1e-9),
        };
        progress.epoch(&record);
        state.history.push(record);
        state.epoch = epoch + 1;
        state.elapsed += seconds;
        state.param_ids = checkpoint::param_ids(&model);
        last_ck = checkpoint::save_checkpoint(dir, &model, &optim, &state)?;
    }
    progress.finish();
    Ok(TrainOutcome {
        model,
        state,
        checkpoint: last_ck,
    })
}

/// Writes the training curves as JSON and a log-scale PNG plot (`curves.json`, `curves.png`).
pub fn write_curves(dir: &Path, history: &[EpochRecord]) -> Result<(), NeuralError> {
    checkpoint::write_json(&dir.join("curves.json"), &history)?;
    if history.is_empty() {
        return Ok(());
    }
    let train: Vec<(f64, f64)> = history
        .iter()
        .map(|r| ((r.epoch + 1) as f64, r.train_loss))
        .collect();
    let mut plot = ai4de_report::LinePlot::new("Training curves (relative L2)")
        .x_label("epoch")
        .y_label("relative L2 error")
        .log_y(true)
        .non_finite(ai4de_report::NonFinitePolicy::Skip)
        .with_series(ai4de_report::Series::new("train", train));
    let val: Vec<(f64, f64)> = history
        .iter()
        .filter_map(|r| r.val_loss.map(|v| ((r.epoch + 1) as f64, v)))
        .collect();
    if !val.is_empty() {
        plot = plot.with_series(ai4de_report::Series::new("validation", val));
    }
    ai4de_report::plot_lines(&dir.join("curves.png"), &plot)?;
    Ok(())
}
