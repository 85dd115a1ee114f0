//! A trained surrogate on disk (`DIR/model.json` + `DIR/model.safetensors`) and the one-call
//! pipeline from a dataset to it ([`fit`]).
//!
//! `model.json` ([`ModelCard`]) holds what is needed to rebuild and use the model without the
//! training data: the architecture ([`ModelSpec`]), the data view (fields, task, sub-sampling,
//! grid coordinates), the split, both normalisers, the training options and timings, and the
//! dataset's metadata (PDE, parameters, grid, seed) for the surrogate-vs-solver comparison.

use std::path::{Path, PathBuf};

use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};

use crate::backend::Backend;
use crate::baseline::PointMlpConfig;
use crate::checkpoint::{self, read_json, write_json};
use crate::data::{
    self, DataOptions, LoadedKind, NormKind, Normalizer, Pairs, Split, Task, Windows,
};
use crate::error::NeuralError;
use crate::models::{AnyModel, ModelConfig};
use crate::train::{self, Samples, Surrogate, TrainConfig, TrainData, TrainProgress};

/// File name of the model card.
pub const CARD_FILE: &str = "model.json";
/// File name of the final weights.
pub const WEIGHTS_FILE: &str = "model.safetensors";

/// The architecture of a surrogate and its hyper-parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
#[non_exhaustive]
pub enum ModelSpec {
    /// [`crate::baseline::PointMlp`] (1-D or 2-D).
    PointMlp(PointMlpConfig),
    /// A model of [`crate::models`] (FNO, U-Net, DeepONet); JSON
    /// `{"kind": "operator", "model": "fno1d", ...}`.
    Operator(ModelConfig),
}

impl ModelSpec {
    /// The CLI name of the architecture.
    pub fn name(&self) -> &'static str {
        match self {
            ModelSpec::PointMlp(_) => "pointmlp",
            ModelSpec::Operator(c) => c.name(),
        }
    }
}

impl Surrogate<3> for AnyModel {
    fn forward(&self, x: Tensor<3>) -> Result<Tensor<3>, NeuralError> {
        self.forward_1d(x)
    }
}

impl Surrogate<4> for AnyModel {
    fn forward(&self, x: Tensor<4>) -> Result<Tensor<4>, NeuralError> {
        self.forward_2d(x)
    }
}

/// Code that runs on a concrete model type: the dispatch from a [`ModelSpec`] to generic
/// functions over [`Surrogate`] without a trait object.
pub trait WithModel {
    type Output;
    fn run<M: Surrogate<D> + 'static, const D: usize>(
        self,
        model: M,
    ) -> Result<Self::Output, NeuralError>;
}

/// Builds the model of `spec` for a grid of `spatial_dims` dimensions on `device` and hands it to
/// `w`.
///
/// # Errors
/// An architecture that does not support `spatial_dims`, and `w`'s own errors.
pub fn dispatch<W: WithModel>(
    spec: &ModelSpec,
    spatial_dims: usize,
    device: &Device,
    w: W,
) -> Result<W::Output, NeuralError> {
    match (spec, spatial_dims) {
        (ModelSpec::PointMlp(c), 1) => w.run::<_, 3>(c.init(device)),
        (ModelSpec::PointMlp(c), 2) => w.run::<_, 4>(c.init(device)),
        (ModelSpec::Operator(c), d) if c.spatial_dims() == d => {
            c.validate()?;
            let m = c.init(device)?;
            if d == 1 {
                w.run::<_, 3>(m)
            } else {
                w.run::<_, 4>(m)
            }
        }
        _ => Err(NeuralError::invalid(
            "model",
            spec.name(),
            format!("does not support {spatial_dims}-D grids"),
        )),
    }
}

/// Everything stored with a trained surrogate (see the module documentation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelCard {
    pub ai4de_version: String,
    pub model: ModelSpec,
    /// Number of trainable scalars.
    pub parameters: usize,
    /// The training dataset (as given).
    pub dataset: PathBuf,
    /// Catalogue name of the PDE that generated the data.
    pub pde: Option<String>,
    /// The dataset's metadata (PDE, parameters, grid, config, seed, solver).
    pub dataset_metadata: serde_json::Value,
    pub data: DataOptions,
    pub input_fields: Vec<String>,
    pub output_fields: Vec<String>,
    /// Model input channels (`H · C` for a history of `H` states of `C` fields).
    pub in_channels: usize,
    pub out_channels: usize,
    /// Training grid (after sub-sampling).
    pub spatial: Vec<usize>,
    /// Grid coordinates per axis (after sub-sampling).
    pub coords: Vec<Vec<f64>>,
    pub periodic: bool,
    /// Times of the states (autoregressive task).
    pub times: Vec<f64>,
    pub split: Split,
    /// Normaliser of the model input (autoregressive task with a history of `H` states,
    /// `data.history`: the state normaliser tiled `H` times, `H · C` channels).
    pub in_norm: Normalizer,
    /// Normaliser of the model output (autoregressive task: the state normaliser).
    pub out_norm: Normalizer,
    pub train: TrainConfig,
    pub epochs_done: usize,
    /// Training wall time, seconds (all resumed parts together).
    pub train_seconds: f64,
    /// Seconds spent reading the dataset.
    pub load_seconds: f64,
    pub final_train_loss: Option<f64>,
    pub final_val_loss: Option<f64>,
}

impl ModelCard {
    /// Reads `DIR/model.json`.
    pub fn load(dir: &Path) -> Result<Self, NeuralError> {
        read_json(&dir.join(CARD_FILE))
    }

    /// Number of spatial dimensions.
    pub fn spatial_dims(&self) -> usize {
        self.spatial.len()
    }
}

/// How the split is chosen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SplitOptions {
    pub n_train: Option<usize>,
    pub n_val: Option<usize>,
    pub n_test: Option<usize>,
    pub val_frac: f64,
    pub test_frac: f64,
}

impl Default for SplitOptions {
    fn default() -> Self {
        Self {
            n_train: None,
            n_val: None,
            n_test: None,
            val_frac: 0.1,
            test_frac: 0.1,
        }
    }
}

/// Options of [`fit`].
#[derive(Debug, Clone)]
pub struct FitOptions {
    pub data: DataOptions,
    pub split: SplitOptions,
    pub in_norm: NormKind,
    pub out_norm: NormKind,
    pub train: TrainConfig,
    /// Continue from the checkpoint in the output directory if there is one.
    pub resume: bool,
    /// Stop after this many epochs (tests of resumption).
    pub stop_after: Option<usize>,
    /// Where to train: CPU (`flex`) or, with the `vulkan` feature, a GPU.
    pub backend: Backend,
}

/// The model built from a spec: the CLI gives the architecture's hyper-parameters, [`fit`] fills
/// in the input and output channel counts and the grid from the data.
pub type SpecBuilder<'a> = &'a dyn Fn(usize, usize, &[usize]) -> ModelSpec;

/// The result of [`fit`].
#[derive(Debug, Clone)]
pub struct FitReport {
    pub card: ModelCard,
    pub dir: PathBuf,
}

/// Prepared training data: the split, normalisers and, for the operator task, the encoded
/// pairs (autoregressive windows are cut from `loaded`'s trajectories per batch).
struct Prepared {
    loaded: data::Loaded,
    split: Split,
    /// The model input's normaliser (autoregressive: the state normaliser tiled `H` times).
    in_norm: Normalizer,
    /// The output's (autoregressive: the state normaliser).
    out_norm: Normalizer,
    /// Operator task: training and validation pairs.
    pairs: Option<(Pairs, Pairs)>,
}

impl Prepared {
    /// Training and validation samples for a `rollout`-step run with `history` states in.
    fn samples(
        &self,
        rollout: usize,
        history: usize,
    ) -> Result<(Samples<'_>, Samples<'_>), NeuralError> {
        match (&self.loaded.kind, &self.pairs) {
            (LoadedKind::Trajectories(t), _) => Ok((
                Samples::Windows {
                    windows: Windows::new(t, &self.split.train, history, rollout)?,
                    in_norm: &self.in_norm,
                },
                Samples::Windows {
                    windows: Windows::new(t, &self.split.val, history, 1)?,
                    in_norm: &self.in_norm,
                },
            )),
            (LoadedKind::Pairs(_), Some((train, val))) => {
                Ok((Samples::Pairs(train), Samples::Pairs(val)))
            }
            (LoadedKind::Pairs(_), None) => Err(NeuralError::invalid(
                "task",
                "operator",
                "internal: the operator pairs were not prepared",
            )),
        }
    }

    /// Channels of one model input and of one model output (operator pairs are one-step).
    fn channels(&self, history: usize) -> (usize, usize) {
        match &self.loaded.kind {
            LoadedKind::Trajectories(t) => (history * t.channels, t.channels),
            LoadedKind::Pairs(p) => (p.inputs.channels, p.outputs.channels),
        }
    }
}

fn prepare(ds: &ai4de_data::Dataset, opts: &FitOptions) -> Result<Prepared, NeuralError> {
    let loaded = data::load(ds, &opts.data)?;
    let n = loaded.samples();
    let s = &opts.split;
    let split = if s.n_train.is_some() || s.n_val.is_some() || s.n_test.is_some() {
        let frac = |f: f64| {
            if f > 0.0 {
                ((f * n as f64).round() as usize).max(1)
            } else {
                0
            }
        };
        Split::new(
            n,
            s.n_train,
            s.n_val.unwrap_or_else(|| frac(s.val_frac)),
            s.n_test.unwrap_or_else(|| frac(s.test_frac)),
            opts.train.seed,
        )?
    } else {
        Split::fractions(n, s.val_frac, s.test_frac, opts.train.seed)?
    };
    let (in_norm, out_norm, pairs) = match &loaded.kind {
        LoadedKind::Pairs(_) => {
            let mut train = loaded.training_pairs(&split.train, opts.train.rollout)?;
            let mut val = loaded.pairs(&split.val);
            let in_norm = Normalizer::fit(opts.in_norm, &train.inputs);
            let out_norm = Normalizer::fit(opts.out_norm, &train.outputs);
            in_norm.encode(&mut train.inputs)?;
            in_norm.encode(&mut val.inputs)?;
            (in_norm, out_norm, Some((train, val)))
        }
        // The output is fed back as the next input: one normaliser for the state, fitted on
        // every state that enters an input window (for H = 1: the inputs of the next-step pairs
        // or rollout windows), tiled H times for the input window.
        LoadedKind::Trajectories(t) => {
            let w = Windows::new(t, &split.train, opts.data.history, opts.train.rollout)?;
            let state =
                Normalizer::fit_samples(opts.in_norm, t.channels, &t.spatial, &w.input_states());
            (state.tiled(opts.data.history), state, None)
        }
    };
    Ok(Prepared {
        loaded,
        split,
        in_norm,
        out_norm,
        pairs,
    })
}

struct FitRun<'a> {
    prep: &'a Prepared,
    opts: &'a FitOptions,
    dir: &'a Path,
    device: &'a Device,
    progress: &'a mut dyn TrainProgress,
}

impl WithModel for FitRun<'_> {
    type Output = (usize, checkpoint::TrainState);
    fn run<M: Surrogate<D> + 'static, const D: usize>(
        self,
        model: M,
    ) -> Result<Self::Output, NeuralError> {
        // Materialise the lazily initialised parameters now, while the seeded RNG is ours.
        let _ = checkpoint::flat_weights(&model);
        let params = model.num_params();
        let (train, val) = self
            .prep
            .samples(self.opts.train.rollout, self.opts.data.history)?;
        let data = TrainData {
            train,
            val,
            out_norm: &self.prep.out_norm,
        };
        let out = train::train::<M, D>(
            model,
            &data,
            &self.opts.train,
            self.dir,
            self.device,
            self.opts.resume,
            self.opts.stop_after,
            self.progress,
        )?;
        checkpoint::save_model(&out.model.valid(), &self.dir.join(WEIGHTS_FILE))?;
        train::write_curves(self.dir, &out.state.history)?;
        Ok((params, out.state))
    }
}

/// Loads `dataset`, splits and normalises it, builds the model `spec(in_channels, out_channels)`
/// with burn's RNG seeded by `opts.train.seed`, trains it (resuming from `dir`'s checkpoint when
/// `opts.resume`), and writes `dir/model.safetensors`, `dir/model.json` and the curves.
pub fn fit(
    dataset: &Path,
    spec: SpecBuilder<'_>,
    opts: &FitOptions,
    dir: &Path,
    progress: &mut dyn TrainProgress,
) -> Result<FitReport, NeuralError> {
    // the device first: a backend that is not built in or has no driver fails before any work
    let device = opts.backend.device()?.autodiff();
    std::fs::create_dir_all(dir).map_err(NeuralError::io("cannot create", dir))?;
    let t0 = std::time::Instant::now();
    let ds = ai4de_data::open(dataset)?;
    let prep = prepare(&ds, opts)?;
    let load_seconds = t0.elapsed().as_secs_f64();
    // A rollout's targets stack its states along the channels; the model maps one window of
    // `history` states to one state. (`training_pairs`/`Windows` accepted the rollout, so it is
    // at least 1.)
    let (in_c, out_c) = prep.channels(opts.data.history);
    let spatial = prep.loaded.spatial().to_vec();
    let model_spec = spec(in_c, out_c, &spatial);
    device.seed(opts.train.seed);
    let (params, state) = dispatch(
        &model_spec,
        spatial.len(),
        &device.clone(),
        FitRun {
            prep: &prep,
            opts,
            dir,
            device: &device,
            progress,
        },
    )?;
    let mut meta = serde_json::Value::Object(ds.metadata.clone());
    if let Some(m) = meta.as_object_mut() {
        m.remove("time_points");
    }
    let times = match &prep.loaded.kind {
        LoadedKind::Trajectories(t) => t.times.clone(),
        LoadedKind::Pairs(_) => Vec::new(),
    };
    let card = ModelCard {
        ai4de_version: env!("CARGO_PKG_VERSION").to_string(),
        model: model_spec,
        parameters: params,
        dataset: dataset.to_path_buf(),
        pde: prep.loaded.pde.clone(),
        dataset_metadata: meta,
        data: opts.data.clone(),
        input_fields: prep.loaded.input_fields.clone(),
        output_fields: prep.loaded.output_fields.clone(),
        in_channels: in_c,
        out_channels: out_c,
        spatial,
        coords: prep.loaded.coords.clone(),
        periodic: prep.loaded.periodic,
        times,
        split: prep.split.clone(),
        in_norm: prep.in_norm.clone(),
        out_norm: prep.out_norm.clone(),
        train: opts.train.clone(),
        epochs_done: state.epoch,
        train_seconds: state.elapsed,
        load_seconds,
        final_train_loss: state.history.last().map(|r| r.train_loss),
        final_val_loss: state.history.last().and_then(|r| r.val_loss),
    };
    write_json(&dir.join(CARD_FILE), &card)?;
    Ok(FitReport {
        card,
        dir: dir.to_path_buf(),
    })
}

/// The task of a card (shorthand).
pub fn task(card: &ModelCard) -> Task {
    card.data.task
}
