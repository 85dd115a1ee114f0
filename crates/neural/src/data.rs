//! Training data from ai4de datasets: operator-learning pairs and autoregressive trajectories,
//! grid sub-sampling, the deterministic train/validation/test split, normalisers and seeded
//! mini-batches.
//!
//! Layout of every array handed to a model: channels first, `[C, spatial...]` per sample, `f32`
//! (a batch is `[B, C, X]` in 1-D and `[B, C, X, Y]` in 2-D).
//!
//! * **Operator learning** ([`Task::Operator`]): input = the input fields at time index `t_in`
//!   (default 0, the initial condition), output = the output fields at `t_out` (default the last
//!   time). Steady datasets (no `t` axis, e.g. `darcy`) map the first field (the coefficient
//!   `a`) to the others (`u`). This is the FNO paper's set-up (Li et al., ICLR 2021, §5).
//! * **Autoregressive** ([`Task::Autoregressive`]): the state is every time-dependent field;
//!   training pairs are `u(t_k) → u(t_{k+1})` over all trajectories of a split, and evaluation
//!   rolls the model out from `u(t_0)` over the whole horizon (PDEBench/PDEArena's next-step
//!   set-up). With a history window of `H` states ([`DataOptions::history`], the FNO paper's
//!   Navier–Stokes set-up with `H = 10`), the input is `(u(t_{k−H+1}), …, u(t_k))` stacked
//!   along the channels (oldest first, `H · C` channels) and evaluation rolls out from the first
//!   `H` true states. Autoregressive training samples are not materialised: [`Windows`] cuts
//!   each batch's windows out of the trajectories when the batch is formed.
//! * Sub-sampling `sub` keeps every `sub`-th grid point in each spatial axis (`x[::sub]` in the
//!   FNO code).

use std::path::Path;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::error::NeuralError;

/// What the surrogate learns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Task {
    /// `a → u`: initial condition (or coefficient field) to the solution at the final time.
    #[default]
    Operator,
    /// `u(t_k) → u(t_{k+1})`, rolled out over the horizon at evaluation.
    Autoregressive,
}

impl Task {
    /// Parses `operator` or `autoregressive` (`ar`).
    pub fn parse(s: &str) -> Result<Self, NeuralError> {
        match s.to_ascii_lowercase().as_str() {
            "operator" | "op" => Ok(Task::Operator),
            "autoregressive" | "ar" => Ok(Task::Autoregressive),
            _ => Err(NeuralError::invalid(
                "task",
                s,
                "known tasks: operator, autoregressive",
            )),
        }
    }

    /// `operator` or `autoregressive`.
    pub fn name(self) -> &'static str {
        match self {
            Task::Operator => "operator",
            Task::Autoregressive => "autoregressive",
        }
    }
}

/// How the pairs are cut out of a dataset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataOptions {
    pub task: Task,
    /// Input fields; empty means the default (see the module documentation).
    pub input_fields: Vec<String>,
    /// Output fields; empty means the default.
    pub output_fields: Vec<String>,
    /// Time index of the input (operator task); autoregressive task: the first time index kept
    /// (earlier states are dropped, as the FNO paper's Navier–Stokes data start at t = 1);
    /// `None` = 0.
    pub t_in: Option<usize>,
    /// Time index of the output (operator task); `None` = the last.
    pub t_out: Option<usize>,
    /// Keep every `sub`-th grid point per spatial axis (at least 1).
    pub sub: usize,
    /// Keep every `t_stride`-th time point (autoregressive task; at least 1).
    pub t_stride: usize,
    /// Use only the first `max_samples` samples of the dataset.
    pub max_samples: Option<usize>,
    /// Autoregressive task: number `H` of consecutive states in the model input (stacked along
    /// the channels, oldest first); 1 = one state in. Model cards written before this option
    /// existed load as 1.
    #[serde(default = "one")]
    pub history: usize,
}

/// The serde default of the options and reports whose absent value means 1.
pub(crate) fn one() -> usize {
    1
}

impl Default for DataOptions {
    fn default() -> Self {
        Self {
            task: Task::Operator,
            input_fields: Vec::new(),
            output_fields: Vec::new(),
            t_in: None,
            t_out: None,
            sub: 1,
            t_stride: 1,
            max_samples: None,
            history: 1,
        }
    }
}

/// Per-sample arrays `[C, spatial...]` of `n` samples, stored contiguously.
#[derive(Debug, Clone, PartialEq)]
pub struct Fields {
    pub data: Vec<f32>,
    pub n: usize,
    pub channels: usize,
    pub spatial: Vec<usize>,
}

impl Fields {
    /// An empty set with the given per-sample shape.
    pub fn empty(channels: usize, spatial: Vec<usize>) -> Self {
        Self {
            data: Vec::new(),
            n: 0,
            channels,
            spatial,
        }
    }

    /// Values per sample, `C · Π spatial`.
    pub fn sample_len(&self) -> usize {
        self.channels * self.points()
    }

    /// Grid points per channel, `Π spatial`.
    pub fn points(&self) -> usize {
        self.spatial.iter().product()
    }

    /// `[C, spatial...]`.
    pub fn sample_shape(&self) -> Vec<usize> {
        let mut s = vec![self.channels];
        s.extend(&self.spatial);
        s
    }

    /// Sample `i`.
    pub fn sample(&self, i: usize) -> &[f32] {
        let l = self.sample_len();
        &self.data[i * l..(i + 1) * l]
    }

    /// Appends one sample (length `sample_len`).
    pub fn push(&mut self, s: &[f32]) {
        debug_assert_eq!(s.len(), self.sample_len());
        self.data.extend_from_slice(s);
        self.n += 1;
    }

    /// The samples at `indices`, in that order.
    pub fn select(&self, indices: &[usize]) -> Fields {
        let mut out = Fields::empty(self.channels, self.spatial.clone());
        out.data.reserve(indices.len() * self.sample_len());
        for &i in indices {
            out.push(self.sample(i));
        }
        out
    }
}

/// Input/output pairs for supervised training.
#[derive(Debug, Clone, PartialEq)]
pub struct Pairs {
    pub inputs: Fields,
    pub outputs: Fields,
}

impl Pairs {
    /// Number of pairs.
    pub fn len(&self) -> usize {
        self.inputs.n
    }

    /// True when there are no pairs.
    pub fn is_empty(&self) -> bool {
        self.inputs.n == 0
    }

    /// The pairs at `indices`.
    pub fn select(&self, indices: &[usize]) -> Pairs {
        Pairs {
            inputs: self.inputs.select(indices),
            outputs: self.outputs.select(indices),
        }
    }
}

/// Trajectories `[T, C, spatial...]` per sample (autoregressive task).
#[derive(Debug, Clone, PartialEq)]
pub struct Trajectories {
    pub data: Vec<f32>,
    pub n: usize,
    pub steps: usize,
    pub channels: usize,
    pub spatial: Vec<usize>,
    /// Time of each step (after the stride).
    pub times: Vec<f64>,
}

impl Trajectories {
    /// Values per state, `C · Π spatial`.
    pub fn state_len(&self) -> usize {
        self.channels * self.spatial.iter().product::<usize>()
    }

    /// State `k` of trajectory `i`, `[C, spatial...]`.
    pub fn state(&self, i: usize, k: usize) -> &[f32] {
        let l = self.state_len();
        let off = (i * self.steps + k) * l;
        &self.data[off..off + l]
    }

    /// All next-step pairs `u(t_k) → u(t_{k+1})` of trajectories `indices`.
    pub fn pairs(&self, indices: &[usize]) -> Pairs {
        let mut inputs = Fields::empty(self.channels, self.spatial.clone());
        let mut outputs = Fields::empty(self.channels, self.spatial.clone());
        let per = self.steps.saturating_sub(1);
        inputs.data.reserve(indices.len() * per * self.state_len());
        outputs.data.reserve(indices.len() * per * self.state_len());
        for &i in indices {
            for k in 0..per {
                inputs.push(self.state(i, k));
                outputs.push(self.state(i, k + 1));
            }
        }
        Pairs { inputs, outputs }
    }

    /// All `k`-step windows `u(t_j) → (u(t_{j+1}), …, u(t_{j+k}))` of trajectories `indices`,
    /// for multi-step rollout training: the outputs hold the `k` target states stacked along the
    /// channel axis (`k · C` channels, state `i` in channels `i·C..(i+1)·C`). `k = 1` is
    /// [`Trajectories::pairs`].
    ///
    /// # Errors
    /// `k = 0`, or `k` not shorter than the trajectories.
    pub fn windows(&self, indices: &[usize], k: usize) -> Result<Pairs, NeuralError> {
        if k == 0 || k >= self.steps {
            return Err(NeuralError::invalid(
                "rollout",
                k,
                format!(
                    "must be in 1..{} (the trajectories have {} time points after the stride)",
                    self.steps, self.steps
                ),
            ));
        }
        let mut inputs = Fields::empty(self.channels, self.spatial.clone());
        let mut outputs = Fields::empty(k * self.channels, self.spatial.clone());
        let per = self.steps - k;
        inputs.data.reserve(indices.len() * per * self.state_len());
        outputs
            .data
            .reserve(indices.len() * per * k * self.state_len());
        for &i in indices {
            for j in 0..per {
                inputs.push(self.state(i, j));
                for m in 1..=k {
                    outputs.data.extend_from_slice(self.state(i, j + m));
                }
                outputs.n += 1;
            }
        }
        Ok(Pairs { inputs, outputs })
    }

    /// The trajectories at `indices`.
    pub fn select(&self, indices: &[usize]) -> Trajectories {
        let per = self.steps * self.state_len();
        let mut data = Vec::with_capacity(indices.len() * per);
        for &i in indices {
            data.extend_from_slice(&self.data[i * per..(i + 1) * per]);
        }
        Trajectories {
            data,
            n: indices.len(),
            steps: self.steps,
            channels: self.channels,
            spatial: self.spatial.clone(),
            times: self.times.clone(),
        }
    }
}

/// Autoregressive samples cut from trajectories on the fly (nothing is materialised but the
/// trajectories themselves): with `H` history states and `K` target states, trajectory
/// `indices[i]` has `P = steps − H − K + 1` windows; window `w = i · P + j` has the input
/// `(u(t_j), …, u(t_{j+H−1}))` (`H · C` channels, oldest first) and the targets
/// `(u(t_{j+H}), …, u(t_{j+H+K−1}))` (`K · C` channels). For `H = 1` the windows are, in the
/// same order, [`Trajectories::pairs`] (`K = 1`) and [`Trajectories::windows`] (`K ≥ 2`).
#[derive(Debug, Clone)]
pub struct Windows<'a> {
    traj: &'a Trajectories,
    indices: Vec<usize>,
    history: usize,
    targets: usize,
}

impl<'a> Windows<'a> {
    /// The windows of trajectories `indices` of `traj`.
    ///
    /// # Errors
    /// `history` or `targets` 0, `history + targets` longer than the trajectories, an index
    /// out of range.
    pub fn new(
        traj: &'a Trajectories,
        indices: &[usize],
        history: usize,
        targets: usize,
    ) -> Result<Self, NeuralError> {
        if history == 0 {
            return Err(NeuralError::invalid("history", 0, "must be at least 1"));
        }
        if targets == 0 {
            return Err(NeuralError::invalid("rollout", 0, "must be at least 1"));
        }
        if history >= traj.steps {
            return Err(NeuralError::invalid(
                "history",
                history,
                format!(
                    "must be below the {} time points of the trajectories (after the stride)",
                    traj.steps
                ),
            ));
        }
        if history + targets > traj.steps {
            return Err(NeuralError::invalid(
                "rollout",
                targets,
                format!(
                    "with history {history} must be in 1..={} (the trajectories have {} time \
                     points after the stride)",
                    traj.steps - history,
                    traj.steps
                ),
            ));
        }
        if let Some(&i) = indices.iter().find(|&&i| i >= traj.n) {
            return Err(NeuralError::invalid(
                "split",
                i,
                format!("trajectory index out of range ({} trajectories)", traj.n),
            ));
        }
        Ok(Self {
            traj,
            indices: indices.to_vec(),
            history,
            targets,
        })
    }

    /// Windows per trajectory, `steps − H − K + 1`.
    pub fn per_trajectory(&self) -> usize {
        self.traj.steps + 1 - self.history - self.targets
    }

    /// Number of windows.
    pub fn len(&self) -> usize {
        self.indices.len() * self.per_trajectory()
    }

    /// True when there are no windows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `H`.
    pub fn history(&self) -> usize {
        self.history
    }

    /// `K`.
    pub fn targets(&self) -> usize {
        self.targets
    }

    /// Channels of one state.
    pub fn state_channels(&self) -> usize {
        self.traj.channels
    }

    /// Spatial shape.
    pub fn spatial(&self) -> &[usize] {
        &self.traj.spatial
    }

    /// The trajectories the windows are cut from.
    pub fn trajectories(&self) -> &Trajectories {
        self.traj
    }

    /// (trajectory index into the full set, first state) of window `w < len()`.
    pub fn locate(&self, w: usize) -> (usize, usize) {
        let per = self.per_trajectory();
        (self.indices[w / per], w % per)
    }

    /// States `offset..offset + count` of each window `idx` (counted from its first state), stacked along the channels.
    fn cut(&self, idx: &[usize], offset: usize, count: usize) -> Fields {
        let l = self.traj.state_len();
        let mut out = Fields::empty(count * self.traj.channels, self.traj.spatial.clone());
        out.data.reserve(idx.len() * count * l);
        for &w in idx {
            let (i, j) = self.locate(w);
            let start = (i * self.traj.steps + j + offset) * l;
            out.data
                .extend_from_slice(&self.traj.data[start..start + count * l]);
            out.n += 1;
        }
        out
    }

    /// The (raw) inputs of windows `idx`, `[H · C, spatial...]` each.
    pub fn inputs(&self, idx: &[usize]) -> Fields {
        self.cut(idx, 0, self.history)
    }

    /// The targets of windows `idx`, `[K · C, spatial...]` each.
    pub fn outputs(&self, idx: &[usize]) -> Fields {
        self.cut(idx, self.history, self.targets)
    }

    /// Every state that appears in some input window, each once, trajectory by trajectory:
    /// states `0..steps − K` (what the state normaliser is fitted on; for `H = 1` exactly the
    /// inputs of [`Trajectories::pairs`] / [`Trajectories::windows`]).
    pub fn input_states(&self) -> Vec<&'a [f32]> {
        let last = self.traj.steps - self.targets;
        let traj = self.traj;
        self.indices
            .iter()
            .flat_map(|&i| (0..last).map(move |k| traj.state(i, k)))
            .collect()
    }
}

/// What [`load`] returns: pairs for the operator task, trajectories for the autoregressive one,
/// plus the description needed to rebuild the same view of another dataset.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub kind: LoadedKind,
    /// Input field names (channels of the model input).
    pub input_fields: Vec<String>,
    /// Output field names.
    pub output_fields: Vec<String>,
    /// Spatial coordinates after sub-sampling, one array per spatial axis.
    pub coords: Vec<Vec<f64>>,
    /// Catalogue name of the PDE (dataset metadata `pde`), if known.
    pub pde: Option<String>,
    /// True for periodic domains (from the dataset's PDE description).
    pub periodic: bool,
}

/// The two shapes of training data.
#[derive(Debug, Clone)]
pub enum LoadedKind {
    Pairs(Pairs),
    Trajectories(Trajectories),
}

impl Loaded {
    /// Number of samples (trajectories) in the dataset view.
    pub fn samples(&self) -> usize {
        match &self.kind {
            LoadedKind::Pairs(p) => p.len(),
            LoadedKind::Trajectories(t) => t.n,
        }
    }

    /// Spatial shape after sub-sampling.
    pub fn spatial(&self) -> &[usize] {
        match &self.kind {
            LoadedKind::Pairs(p) => &p.inputs.spatial,
            LoadedKind::Trajectories(t) => &t.spatial,
        }
    }

    /// Training pairs of samples `indices` (all next-step pairs of those trajectories for the
    /// autoregressive task).
    pub fn pairs(&self, indices: &[usize]) -> Pairs {
        match &self.kind {
            LoadedKind::Pairs(p) => p.select(indices),
            LoadedKind::Trajectories(t) => t.pairs(indices),
        }
    }

    /// Training samples of `indices` for `rollout`-step training: [`Loaded::pairs`] for
    /// `rollout = 1`, the windows of [`Trajectories::windows`] otherwise.
    ///
    /// # Errors
    /// `rollout > 1` on operator-learning pairs, or longer than the trajectories.
    pub fn training_pairs(&self, indices: &[usize], rollout: usize) -> Result<Pairs, NeuralError> {
        match (&self.kind, rollout) {
            (_, 1) => Ok(self.pairs(indices)),
            (LoadedKind::Trajectories(t), k) => t.windows(indices, k),
            (LoadedKind::Pairs(_), k) => Err(NeuralError::invalid(
                "rollout",
                k,
                "multi-step rollout needs the autoregressive task (--task autoregressive)",
            )),
        }
    }
}

/// One field of the dataset, resolved: index into the field list, whether it has a time axis,
/// its spatial shape.
struct FieldView {
    name: String,
    timed: bool,
    steps: usize,
    spatial: Vec<usize>,
}

fn field_view(ds: &ai4de_data::Dataset, name: &str) -> Result<FieldView, NeuralError> {
    let (_, spec) = ds.field(name)?;
    let timed = spec.dims.first().map(String::as_str) == Some("t");
    let (steps, spatial) = if timed {
        (spec.shape[0], spec.shape[1..].to_vec())
    } else {
        (1, spec.shape.clone())
    };
    if spatial.is_empty() || spatial.len() > 2 {
        return Err(NeuralError::UnsuitableData {
            path: ds.path.clone(),
            reason: format!(
                "field '{name}' has dims {:?}; only 1-D and 2-D spatial fields are supported",
                spec.dims
            ),
        });
    }
    Ok(FieldView {
        name: name.to_string(),
        timed,
        steps,
        spatial,
    })
}

/// Indices `0, sub, 2 sub, ...` below `n`.
fn strided(n: usize, sub: usize) -> Vec<usize> {
    (0..n).step_by(sub).collect()
}

/// Copies the sub-sampled spatial slice `flat[offset..offset + Π spatial]` into `out`.
fn push_subsampled(flat: &[f64], offset: usize, spatial: &[usize], sub: usize, out: &mut Vec<f32>) {
    match spatial.len() {
        1 => {
            for i in strided(spatial[0], sub) {
                out.push(flat[offset + i] as f32);
            }
        }
        _ => {
            let ny = spatial[1];
            for i in strided(spatial[0], sub) {
                for j in strided(ny, sub) {
                    out.push(flat[offset + i * ny + j] as f32);
                }
            }
        }
    }
}

fn check_finite(path: &Path, what: &str, sample: usize, v: &[f32]) -> Result<(), NeuralError> {
    if let Some(k) = v.iter().position(|x| !x.is_finite()) {
        return Err(NeuralError::NonFinite {
            what: format!("dataset {} field {what}", path.display()),
            at: Some(format!("sample {sample}, flat index {k}")),
        });
    }
    Ok(())
}

/// Reads a dataset into training data (see the module documentation for the defaults).
///
/// # Errors
/// Unknown fields, fields of different spatial shapes, time indices out of range, a steady
/// dataset for the autoregressive task, non-finite values, and the dataset's own read errors.
pub fn load(ds: &ai4de_data::Dataset, opts: &DataOptions) -> Result<Loaded, NeuralError> {
    let path = ds.path.clone();
    let unsuitable = |reason: String| NeuralError::UnsuitableData {
        path: path.clone(),
        reason,
    };
    if opts.sub == 0 {
        return Err(NeuralError::invalid("sub", 0, "must be at least 1"));
    }
    if opts.t_stride == 0 {
        return Err(NeuralError::invalid("t-stride", 0, "must be at least 1"));
    }
    if opts.history == 0 {
        return Err(NeuralError::invalid("history", 0, "must be at least 1"));
    }
    if opts.history > 1 && opts.task != Task::Autoregressive {
        return Err(NeuralError::invalid(
            "history",
            opts.history,
            "a history window needs the autoregressive task (--task autoregressive)",
        ));
    }
    let views: Vec<FieldView> = ds
        .fields
        .iter()
        .map(|f| field_view(ds, &f.name))
        .collect::<Result<_, _>>()?;
    let timed: Vec<&FieldView> = views.iter().filter(|v| v.timed).collect();
    let pick = |names: &[String]| -> Result<Vec<&FieldView>, NeuralError> {
        names
            .iter()
            .map(|n| {
                views.iter().find(|v| &v.name == n).ok_or_else(|| {
                    unsuitable(format!(
                        "no field '{n}' (fields: {})",
                        views
                            .iter()
                            .map(|v| v.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                })
            })
            .collect()
    };
    let (inputs, outputs): (Vec<&FieldView>, Vec<&FieldView>) = match opts.task {
        Task::Autoregressive => {
            if !opts.input_fields.is_empty() || !opts.output_fields.is_empty() {
                let i = pick(&opts.input_fields)?;
                let o = if opts.output_fields.is_empty() {
                    i.clone()
                } else {
                    pick(&opts.output_fields)?
                };
                if i.iter().map(|v| &v.name).ne(o.iter().map(|v| &v.name)) {
                    return Err(unsuitable(
                        "the autoregressive task needs the same input and output fields".into(),
                    ));
                }
                (i.clone(), i)
            } else {
                (timed.clone(), timed.clone())
            }
        }
        Task::Operator => {
            let i = if opts.input_fields.is_empty() {
                if timed.is_empty() {
                    views.iter().take(1).collect()
                } else {
                    timed.clone()
                }
            } else {
                pick(&opts.input_fields)?
            };
            let o = if opts.output_fields.is_empty() {
                if timed.is_empty() {
                    views.iter().skip(1).collect()
                } else {
                    timed.clone()
                }
            } else {
                pick(&opts.output_fields)?
            };
            (i, o)
        }
    };
    if inputs.is_empty() || outputs.is_empty() {
        return Err(unsuitable(
            "cannot choose input and output fields; name them with --input/--output".into(),
        ));
    }
    let spatial = inputs[0].spatial.clone();
    for v in inputs.iter().chain(&outputs) {
        if v.spatial != spatial {
            return Err(NeuralError::DataShape {
                what: format!("spatial shape of field '{}'", v.name),
                expected: spatial.clone(),
                found: v.spatial.clone(),
            });
        }
    }
    let sub_spatial: Vec<usize> = spatial.iter().map(|&n| n.div_ceil(opts.sub)).collect();
    let points: usize = spatial.iter().product();
    let n_total = ds.samples as usize;
    let n = opts.max_samples.map_or(n_total, |m| m.min(n_total));
    if n == 0 {
        return Err(unsuitable("no samples".into()));
    }
    let mut coords = Vec::new();
    let axis_names: Vec<String> = {
        let (_, spec) = ds.field(&inputs[0].name)?;
        let d = &spec.dims;
        d[d.len() - spatial.len()..].to_vec()
    };
    for (k, name) in axis_names.iter().enumerate() {
        let c = ds.coord(name).map(<[f64]>::to_vec).unwrap_or_else(|| {
            (0..spatial[k])
                .map(|i| i as f64 / spatial[k] as f64)
                .collect()
        });
        coords.push(strided(c.len(), opts.sub).iter().map(|&i| c[i]).collect());
    }
    let pde = ds
        .metadata
        .get("pde")
        .and_then(|v| v.as_str())
        .map(str::to_string);
    let periodic = ds
        .metadata
        .get("pde_info")
        .and_then(|v| v.get("boundary"))
        .and_then(|v| v.as_str())
        .is_some_and(|b| b.contains("periodic"));
    let names = |v: &[&FieldView]| v.iter().map(|f| f.name.clone()).collect::<Vec<_>>();
    let kind = match opts.task {
        Task::Operator => {
            let mut inp = Fields::empty(inputs.len(), sub_spatial.clone());
            let mut out = Fields::empty(outputs.len(), sub_spatial.clone());
            for (fields, t, name) in [
                (&inputs, opts.t_in, "t-in"),
                (&outputs, opts.t_out, "t-out"),
            ] {
                for v in fields.iter() {
                    if let Some(t) = t.filter(|&t| v.timed && t >= v.steps) {
                        return Err(NeuralError::invalid(
                            name,
                            t,
                            format!("field '{}' has {} time points", v.name, v.steps),
                        ));
                    }
                }
            }
            let mut buf = Vec::with_capacity(inp.sample_len().max(out.sample_len()));
            for s in 0..n {
                for (set, fields, is_in) in [(&mut inp, &inputs, true), (&mut out, &outputs, false)]
                {
                    buf.clear();
                    for v in fields.iter() {
                        let flat = ds.read_field(&v.name, s as u64)?;
                        let t = if !v.timed {
                            0
                        } else if is_in {
                            opts.t_in.unwrap_or(0)
                        } else {
                            opts.t_out.unwrap_or(v.steps - 1)
                        };
                        push_subsampled(&flat, t * points, &spatial, opts.sub, &mut buf);
                    }
                    check_finite(&path, if is_in { "input" } else { "output" }, s, &buf)?;
                    set.push(&buf);
                }
            }
            LoadedKind::Pairs(Pairs {
                inputs: inp,
                outputs: out,
            })
        }
        Task::Autoregressive => {
            let steps = inputs[0].steps;
            if inputs.iter().any(|v| !v.timed || v.steps != steps) || steps < 2 {
                return Err(unsuitable(
                    "the autoregressive task needs time-dependent fields with at least 2 time \
                     points, all with the same number"
                        .into(),
                ));
            }
            let t0 = opts.t_in.unwrap_or(0);
            if t0 >= steps {
                return Err(NeuralError::invalid(
                    "t-in",
                    t0,
                    format!("the fields have {steps} time points"),
                ));
            }
            let kept: Vec<usize> = (t0..steps).step_by(opts.t_stride).collect();
            if kept.len() < 2 {
                return Err(NeuralError::invalid(
                    "t-stride",
                    opts.t_stride,
                    format!("leaves fewer than 2 of the {steps} time points (from t-in {t0})"),
                ));
            }
            if opts.history >= kept.len() {
                return Err(NeuralError::invalid(
                    "history",
                    opts.history,
                    format!(
                        "must be below the {} time points kept (of {steps}, from t-in {t0}, \
                         stride {}): at least one state must remain to predict",
                        kept.len(),
                        opts.t_stride
                    ),
                ));
            }
            let t_all = ds
                .coord("t")
                .map(<[f64]>::to_vec)
                .unwrap_or_else(|| (0..steps).map(|k| k as f64).collect());
            let times: Vec<f64> = kept.iter().map(|&k| t_all[k]).collect();
            let c = inputs.len();
            let state: usize = c * sub_spatial.iter().product::<usize>();
            let mut data = Vec::with_capacity(n * kept.len() * state);
            for s in 0..n {
                let flats: Vec<Vec<f64>> = inputs
                    .iter()
                    .map(|v| ds.read_field(&v.name, s as u64))
                    .collect::<Result<_, _>>()?;
                let start = data.len();
                for &k in &kept {
                    for flat in &flats {
                        push_subsampled(flat, k * points, &spatial, opts.sub, &mut data);
                    }
                }
                check_finite(&path, "state", s, &data[start..])?;
            }
            LoadedKind::Trajectories(Trajectories {
                data,
                n,
                steps: kept.len(),
                channels: c,
                spatial: sub_spatial.clone(),
                times,
            })
        }
    };
    Ok(Loaded {
        kind,
        input_fields: names(&inputs),
        output_fields: names(&outputs),
        coords,
        pde,
        periodic,
    })
}

/// A deterministic split of `0..n` into train, validation and test indices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Split {
    pub train: Vec<usize>,
    pub val: Vec<usize>,
    pub test: Vec<usize>,
}

impl Split {
    /// Shuffles `0..n` with ChaCha8 seeded by `seed` (stream 1) and cuts it into `n_test` test,
    /// `n_val` validation and the remaining (or `n_train`) training samples. Each part is sorted,
    /// so the same seed always gives the same sets, independent of how they are used.
    ///
    /// # Errors
    /// When the parts do not fit into `n` or there is no training sample.
    pub fn new(
        n: usize,
        n_train: Option<usize>,
        n_val: usize,
        n_test: usize,
        seed: u64,
    ) -> Result<Self, NeuralError> {
        let rest = n
            .checked_sub(n_val + n_test)
            .filter(|&r| r > 0)
            .ok_or_else(|| {
                NeuralError::invalid(
                    "split",
                    format!("val {n_val} + test {n_test}"),
                    format!("leaves no training sample of the {n}"),
                )
            })?;
        let n_train = n_train.unwrap_or(rest);
        if n_train == 0 || n_train > rest {
            return Err(NeuralError::invalid(
                "ntrain",
                n_train,
                format!("must be in 1..={rest} ({n} samples, {n_val} validation, {n_test} test)"),
            ));
        }
        let mut perm: Vec<usize> = (0..n).collect();
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(1);
        shuffle(&mut perm, &mut rng);
        let mut test = perm[..n_test].to_vec();
        let mut val = perm[n_test..n_test + n_val].to_vec();
        let mut train = perm[n_test + n_val..n_test + n_val + n_train].to_vec();
        test.sort_unstable();
        val.sort_unstable();
        train.sort_unstable();
        Ok(Split { train, val, test })
    }

    /// The split with `val_frac` and `test_frac` of `n` (rounded, at least 1 each when the
    /// fraction is positive).
    pub fn fractions(
        n: usize,
        val_frac: f64,
        test_frac: f64,
        seed: u64,
    ) -> Result<Self, NeuralError> {
        for (name, f) in [("val-frac", val_frac), ("test-frac", test_frac)] {
            if !(0.0..1.0).contains(&f) {
                return Err(NeuralError::invalid(name, f, "must be in [0, 1)"));
            }
        }
        let count = |f: f64| {
            if f > 0.0 {
                ((f * n as f64).round() as usize).max(1)
            } else {
                0
            }
        };
        Self::new(n, None, count(val_frac), count(test_frac), seed)
    }
}

/// Fisher–Yates shuffle (Knuth, TAOCP vol. 2, Algorithm P), written out so that the order
/// depends only on the RNG stream, not on the `rand` version's shuffle.
pub fn shuffle<T>(v: &mut [T], rng: &mut ChaCha8Rng) {
    for i in (1..v.len()).rev() {
        let j = rng.random_range(0..=i);
        v.swap(i, j);
    }
}

/// The order of the training pairs in epoch `epoch`: a permutation of `0..n` drawn from ChaCha8
/// seeded by `seed`, stream `epoch + 2`. The shuffle RNG state of a run is therefore `(seed,
/// epoch)`, which the checkpoint stores; a resumed run draws the same batches.
pub fn epoch_order(n: usize, seed: u64, epoch: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(epoch as u64 + 2);
    shuffle(&mut order, &mut rng);
    order
}

/// Normalisation of inputs or outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum NormKind {
    /// Identity.
    None,
    /// One mean and standard deviation per channel (resolution-independent).
    #[default]
    Channel,
    /// One mean and standard deviation per channel and grid point: the FNO code's
    /// `UnitGaussianNormalizer` (Li et al. 2021, `utilities3.py`).
    Point,
}

impl NormKind {
    /// Parses `none`, `channel` or `point`.
    pub fn parse(s: &str) -> Result<Self, NeuralError> {
        match s.to_ascii_lowercase().as_str() {
            "none" => Ok(NormKind::None),
            "channel" => Ok(NormKind::Channel),
            "point" => Ok(NormKind::Point),
            _ => Err(NeuralError::invalid(
                "normalize",
                s,
                "known normalisers: none, channel, point",
            )),
        }
    }
}

/// A Gaussian normaliser `x ↦ (x − μ) / (σ + ε)` with `ε = 1e-5` as in the FNO code, and its
/// inverse. Statistics are computed in `f64` over the training samples only; `σ` is the unbiased
/// (`n − 1`) standard deviation, like `torch.std`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Normalizer {
    pub kind: NormKind,
    /// `[C]` for [`NormKind::Channel`], `[C, spatial...]` for [`NormKind::Point`], empty for none.
    pub shape: Vec<usize>,
    pub mean: Vec<f32>,
    /// `σ + ε`.
    pub scale: Vec<f32>,
}

/// The FNO code's `eps` of `UnitGaussianNormalizer`.
pub const NORM_EPS: f64 = 1e-5;

impl Normalizer {
    /// Statistics of `fields` (all samples).
    pub fn fit(kind: NormKind, fields: &Fields) -> Self {
        let samples: Vec<&[f32]> = (0..fields.n).map(|s| fields.sample(s)).collect();
        Self::fit_samples(kind, fields.channels, &fields.spatial, &samples)
    }

    /// Statistics of the samples `samples` (each `[C, spatial...]`, `C = channels`), in the
    /// same arithmetic as [`Normalizer::fit`] of a [`Fields`] holding them in this order.
    pub fn fit_samples(
        kind: NormKind,
        channels: usize,
        spatial: &[usize],
        samples: &[&[f32]],
    ) -> Self {
        let c = channels;
        let p: usize = spatial.iter().product();
        match kind {
            NormKind::None => Self {
                kind,
                shape: Vec::new(),
                mean: Vec::new(),
                scale: Vec::new(),
            },
            NormKind::Channel => {
                let mut mean = vec![0.0f64; c];
                let mut m2 = vec![0.0f64; c];
                let count = (samples.len() * p) as f64;
                for v in samples {
                    for ch in 0..c {
                        mean[ch] += v[ch * p..(ch + 1) * p]
                            .iter()
                            .map(|&x| f64::from(x))
                            .sum::<f64>();
                    }
                }
                mean.iter_mut().for_each(|m| *m /= count.max(1.0));
                for v in samples {
                    for ch in 0..c {
                        m2[ch] += v[ch * p..(ch + 1) * p]
                            .iter()
                            .map(|&x| (f64::from(x) - mean[ch]).powi(2))
                            .sum::<f64>();
                    }
                }
                let scale = m2
                    .iter()
                    .map(|&s| ((s / (count - 1.0).max(1.0)).sqrt() + NORM_EPS) as f32)
                    .collect();
                Self {
                    kind,
                    shape: vec![c],
                    mean: mean.iter().map(|&m| m as f32).collect(),
                    scale,
                }
            }
            NormKind::Point => {
                let l = c * p;
                let mut mean = vec![0.0f64; l];
                let mut m2 = vec![0.0f64; l];
                for v in samples {
                    for (m, &x) in mean.iter_mut().zip(*v) {
                        *m += f64::from(x);
                    }
                }
                let n = samples.len() as f64;
                mean.iter_mut().for_each(|m| *m /= n.max(1.0));
                for v in samples {
                    for ((q, &m), &x) in m2.iter_mut().zip(&mean).zip(*v) {
                        *q += (f64::from(x) - m).powi(2);
                    }
                }
                Self {
                    kind,
                    shape: std::iter::once(c).chain(spatial.iter().copied()).collect(),
                    mean: mean.iter().map(|&m| m as f32).collect(),
                    scale: m2
                        .iter()
                        .map(|&q| ((q / (n - 1.0).max(1.0)).sqrt() + NORM_EPS) as f32)
                        .collect(),
                }
            }
        }
    }

    /// The normaliser of a window of `h` states of this one's shape stacked along the channels
    /// (the statistics repeated `h` times); `h = 1` is a copy.
    pub fn tiled(&self, h: usize) -> Normalizer {
        if self.kind == NormKind::None || h <= 1 {
            return self.clone();
        }
        let mut shape = self.shape.clone();
        shape[0] *= h;
        Normalizer {
            kind: self.kind,
            shape,
            mean: self.mean.repeat(h),
            scale: self.scale.repeat(h),
        }
    }

    /// The mean and scale expanded to one sample `[C, spatial...]` of `fields`' shape (for
    /// broadcasting inside the model graph).
    ///
    /// # Errors
    /// A point normaliser whose grid differs from `spatial` (use [`Normalizer::resample`]).
    pub fn expanded(
        &self,
        channels: usize,
        spatial: &[usize],
    ) -> Result<(Vec<f32>, Vec<f32>), NeuralError> {
        let p: usize = spatial.iter().product();
        match self.kind {
            NormKind::None => Ok((vec![0.0; channels * p], vec![1.0; channels * p])),
            NormKind::Channel => {
                if self.shape != [channels] {
                    return Err(NeuralError::DataShape {
                        what: "normaliser channels".into(),
                        expected: self.shape.clone(),
                        found: vec![channels],
                    });
                }
                let rep = |v: &[f32]| v.iter().flat_map(|&x| std::iter::repeat_n(x, p)).collect();
                Ok((rep(&self.mean), rep(&self.scale)))
            }
            NormKind::Point => {
                let mut want = vec![channels];
                want.extend(spatial);
                if self.shape != want {
                    return Err(NeuralError::DataShape {
                        what: "point normaliser grid".into(),
                        expected: self.shape.clone(),
                        found: want,
                    });
                }
                Ok((self.mean.clone(), self.scale.clone()))
            }
        }
    }

    /// Encodes every sample of `fields` in place.
    pub fn encode(&self, fields: &mut Fields) -> Result<(), NeuralError> {
        let (mean, scale) = self.expanded(fields.channels, &fields.spatial.clone())?;
        if self.kind == NormKind::None {
            return Ok(());
        }
        let l = fields.sample_len();
        for chunk in fields.data.chunks_exact_mut(l) {
            for ((x, &m), &s) in chunk.iter_mut().zip(&mean).zip(&scale) {
                *x = (*x - m) / s;
            }
        }
        Ok(())
    }

    /// Decodes a flat buffer of whole samples `[.., C, spatial...]` in place.
    pub fn decode_slice(
        &self,
        data: &mut [f32],
        channels: usize,
        spatial: &[usize],
    ) -> Result<(), NeuralError> {
        let (mean, scale) = self.expanded(channels, spatial)?;
        if self.kind == NormKind::None {
            return Ok(());
        }
        for chunk in data.chunks_exact_mut(mean.len()) {
            for ((x, &m), &s) in chunk.iter_mut().zip(&mean).zip(&scale) {
                *x = *x * s + m;
            }
        }
        Ok(())
    }

    /// A point normaliser moved to another grid by linear interpolation of `μ` and `σ` along each
    /// axis (periodic wrap-around when `periodic`), for zero-shot super-resolution. Channel and
    /// identity normalisers are returned unchanged.
    pub fn resample(
        &self,
        from: &[Vec<f64>],
        to: &[Vec<f64>],
        periodic: bool,
    ) -> Result<Normalizer, NeuralError> {
        if self.kind != NormKind::Point {
            return Ok(self.clone());
        }
        let c = self.shape[0];
        let src: Vec<usize> = self.shape[1..].to_vec();
        if from.len() != src.len() || to.len() != src.len() {
            return Err(NeuralError::DataShape {
                what: "normaliser resampling axes".into(),
                expected: src.clone(),
                found: to.iter().map(Vec::len).collect(),
            });
        }
        let dst: Vec<usize> = to.iter().map(Vec::len).collect();
        let weights: Vec<Vec<(usize, usize, f64)>> = from
            .iter()
            .zip(to)
            .map(|(f, t)| t.iter().map(|&x| interp_weight(f, x, periodic)).collect())
            .collect();
        let interp = |v: &[f32]| -> Vec<f32> {
            let mut out = Vec::with_capacity(c * dst.iter().product::<usize>());
            let sp: usize = src.iter().product();
            for ch in 0..c {
                let v = &v[ch * sp..(ch + 1) * sp];
                if dst.len() == 1 {
                    for &(a, b, w) in &weights[0] {
                        out.push(((1.0 - w) * f64::from(v[a]) + w * f64::from(v[b])) as f32);
                    }
                } else {
                    let ny = src[1];
                    for &(a, b, w) in &weights[0] {
                        for &(p, q, u) in &weights[1] {
                            let f = |i: usize, j: usize| f64::from(v[i * ny + j]);
                            let val = (1.0 - w) * ((1.0 - u) * f(a, p) + u * f(a, q))
                                + w * ((1.0 - u) * f(b, p) + u * f(b, q));
                            out.push(val as f32);
                        }
                    }
                }
            }
            out
        };
        let mut shape = vec![c];
        shape.extend(&dst);
        Ok(Normalizer {
            kind: NormKind::Point,
            shape,
            mean: interp(&self.mean),
            scale: interp(&self.scale),
        })
    }
}

/// The two neighbours of `x` in the increasing grid `f` and the weight of the right one.
fn interp_weight(f: &[f64], x: f64, periodic: bool) -> (usize, usize, f64) {
    let n = f.len();
    if n == 1 {
        return (0, 0, 0.0);
    }
    let h = f[1] - f[0];
    let period = h * n as f64;
    if x >= f[n - 1] {
        if periodic && h > 0.0 {
            let w = ((x - f[n - 1]) / (f[0] + period - f[n - 1])).clamp(0.0, 1.0);
            return (n - 1, 0, w);
        }
        return (n - 1, n - 1, 0.0);
    }
    if x <= f[0] {
        return (0, 0, 0.0);
    }
    let k = f.partition_point(|&v| v <= x).clamp(1, n - 1);
    let w = (x - f[k - 1]) / (f[k] - f[k - 1]);
    (k - 1, k, w)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(n: usize, c: usize, spatial: Vec<usize>, f: impl Fn(usize, usize) -> f32) -> Fields {
        let mut out = Fields::empty(c, spatial);
        let l = out.sample_len();
        for s in 0..n {
            let v: Vec<f32> = (0..l).map(|k| f(s, k)).collect();
            out.push(&v);
        }
        out
    }

    #[test]
    fn split_is_deterministic_disjoint_and_complete() {
        let a = Split::new(50, None, 5, 10, 7).unwrap();
        let b = Split::new(50, None, 5, 10, 7).unwrap();
        let c = Split::new(50, None, 5, 10, 8).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!((a.train.len(), a.val.len(), a.test.len()), (35, 5, 10));
        let mut all: Vec<usize> = a
            .train
            .iter()
            .chain(&a.val)
            .chain(&a.test)
            .copied()
            .collect();
        all.sort_unstable();
        assert_eq!(all, (0..50).collect::<Vec<_>>());
        assert!(Split::new(10, None, 5, 5, 0).is_err());
        assert!(Split::new(10, Some(9), 1, 1, 0).is_err());
        let f = Split::fractions(100, 0.1, 0.2, 3).unwrap();
        assert_eq!((f.train.len(), f.val.len(), f.test.len()), (70, 10, 20));
    }

    #[test]
    fn epoch_orders_are_permutations_that_differ_between_epochs() {
        let a = epoch_order(100, 1, 0);
        let b = epoch_order(100, 1, 1);
        assert_ne!(a, b);
        assert_eq!(a, epoch_order(100, 1, 0));
        let mut s = a.clone();
        s.sort_unstable();
        assert_eq!(s, (0..100).collect::<Vec<_>>());
    }

    #[test]
    fn point_normaliser_matches_hand_computed_statistics() {
        // Three samples of one channel on 2 points: values (1, 10), (2, 20), (3, 60).
        let vals = [[1.0, 10.0], [2.0, 20.0], [3.0, 60.0]];
        let f = fields(3, 1, vec![2], |s, k| vals[s][k]);
        let n = Normalizer::fit(NormKind::Point, &f);
        assert_eq!(n.mean, vec![2.0, 30.0]);
        // Unbiased std: point 0 -> 1, point 1 -> sqrt((400 + 100 + 900) / 2) = sqrt(700).
        assert!((n.scale[0] - (1.0 + 1e-5) as f32).abs() < 1e-7);
        assert!((f64::from(n.scale[1]) - (700f64.sqrt() + 1e-5)).abs() < 1e-4);
        let mut g = f.clone();
        n.encode(&mut g).unwrap();
        assert!((g.sample(0)[0] + 1.0).abs() < 1e-4);
        n.decode_slice(&mut g.data, 1, &[2]).unwrap();
        for (a, b) in g.data.iter().zip(&f.data) {
            assert!((a - b).abs() < 1e-5 * b.abs().max(1.0));
        }
    }

    #[test]
    fn channel_normaliser_matches_hand_computed_statistics() {
        // Two channels; channel 0 all 4, channel 1 values 0, 2, 4, 6 over 2 samples x 2 points.
        let f = fields(2, 2, vec![2], |s, k| {
            if k < 2 {
                4.0
            } else {
                (2 * (2 * s + k - 2)) as f32
            }
        });
        let n = Normalizer::fit(NormKind::Channel, &f);
        assert_eq!(n.mean, vec![4.0, 3.0]);
        // Unbiased std of (0, 2, 4, 6) = sqrt(20 / 3).
        assert!((f64::from(n.scale[1]) - ((20.0f64 / 3.0).sqrt() + 1e-5)).abs() < 1e-6);
        assert!((f64::from(n.scale[0]) - 1e-5).abs() < 1e-9);
    }

    #[test]
    fn resampling_a_point_normaliser_interpolates_linearly() {
        let n = Normalizer {
            kind: NormKind::Point,
            shape: vec![1, 4],
            mean: vec![0.0, 1.0, 2.0, 3.0],
            scale: vec![1.0; 4],
        };
        let from = vec![vec![0.0, 0.25, 0.5, 0.75]];
        let to = vec![(0..8).map(|i| i as f64 / 8.0).collect::<Vec<_>>()];
        let r = n.resample(&from, &to, true).unwrap();
        assert_eq!(r.shape, vec![1, 8]);
        let want = [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 1.5];
        for (a, b) in r.mean.iter().zip(want) {
            assert!((a - b).abs() < 1e-6, "{:?}", r.mean);
        }
    }

    #[test]
    fn trajectory_pairs_are_consecutive_states() {
        let t = Trajectories {
            data: (0..2 * 3 * 2).map(|v| v as f32).collect(),
            n: 2,
            steps: 3,
            channels: 1,
            spatial: vec![2],
            times: vec![0.0, 0.5, 1.0],
        };
        let p = t.pairs(&[1]);
        assert_eq!(p.len(), 2);
        assert_eq!(p.inputs.data, vec![6.0, 7.0, 8.0, 9.0]);
        assert_eq!(p.outputs.data, vec![8.0, 9.0, 10.0, 11.0]);
        // Two-step windows stack the next two states along the channels.
        let w = t.windows(&[0, 1], 2).unwrap();
        assert_eq!((w.len(), w.outputs.channels), (2, 2));
        assert_eq!(w.inputs.data, vec![0.0, 1.0, 6.0, 7.0]);
        assert_eq!(
            w.outputs.data,
            vec![2.0, 3.0, 4.0, 5.0, 8.0, 9.0, 10.0, 11.0]
        );
        assert_eq!(t.windows(&[0], 1).unwrap(), t.pairs(&[0]));
        assert!(t.windows(&[0], 3).is_err());
        assert!(t.windows(&[0], 0).is_err());
    }

    /// Two trajectories of 5 states of 2 channels on 2 points; state `k` of trajectory `i` holds
    /// `100 i + 10 k + (0, 1, 2, 3)` (channel-major).
    fn five_states() -> Trajectories {
        let mut data = Vec::new();
        for i in 0..2 {
            for k in 0..5 {
                for v in 0..4 {
                    data.push((100 * i + 10 * k + v) as f32);
                }
            }
        }
        Trajectories {
            data,
            n: 2,
            steps: 5,
            channels: 2,
            spatial: vec![2],
            times: (0..5).map(f64::from).collect(),
        }
    }

    #[test]
    fn history_windows_equal_hand_built_tensors() {
        let t = five_states();
        let s = |i: usize, k: usize| -> Vec<f32> {
            (0..4).map(|v| (100 * i + 10 * k + v) as f32).collect()
        };
        let cat = |v: &[Vec<f32>]| -> Vec<f32> { v.concat() };
        // H = 2, K = 2: 5 - 2 - 2 + 1 = 2 windows per trajectory, trajectory 1 first.
        let w = Windows::new(&t, &[1, 0], 2, 2).unwrap();
        assert_eq!((w.per_trajectory(), w.len()), (2, 4));
        assert_eq!(w.locate(3), (0, 1));
        let x = w.inputs(&[0, 3, 1]);
        assert_eq!((x.n, x.channels, x.spatial.clone()), (3, 4, vec![2]));
        assert_eq!(
            x.data,
            cat(&[s(1, 0), s(1, 1), s(0, 1), s(0, 2), s(1, 1), s(1, 2)])
        );
        let y = w.outputs(&[0, 3, 1]);
        assert_eq!((y.n, y.channels), (3, 4));
        assert_eq!(
            y.data,
            cat(&[s(1, 2), s(1, 3), s(0, 3), s(0, 4), s(1, 3), s(1, 4)])
        );
        // H = 4, K = 1: one window per trajectory, the last state is the target.
        let w = Windows::new(&t, &[0], 4, 1).unwrap();
        assert_eq!(w.len(), 1);
        assert_eq!(
            w.inputs(&[0]).data,
            cat(&[s(0, 0), s(0, 1), s(0, 2), s(0, 3)])
        );
        assert_eq!(w.outputs(&[0]).data, s(0, 4));
        // The normaliser is fitted on the states that enter an input window: 0..steps - K.
        let w = Windows::new(&t, &[1], 2, 2).unwrap();
        let states: Vec<Vec<f32>> = w.input_states().iter().map(|v| v.to_vec()).collect();
        assert_eq!(states, vec![s(1, 0), s(1, 1), s(1, 2)]);
    }

    #[test]
    fn bad_windows_are_typed_errors() {
        let t = five_states();
        let bad = |h: usize, k: usize, idx: &[usize], name: &str| match Windows::new(&t, idx, h, k)
        {
            Err(NeuralError::InvalidOption { name: n, .. }) => assert_eq!(n, name),
            other => panic!("H {h} K {k}: {other:?}"),
        };
        bad(0, 1, &[0], "history");
        bad(5, 1, &[0], "history");
        bad(6, 1, &[0], "history");
        bad(2, 0, &[0], "rollout");
        bad(2, 4, &[0], "rollout");
        bad(1, 1, &[2], "split");
        assert!(Windows::new(&t, &[0, 1], 2, 3).is_ok());
        assert!(Windows::new(&t, &[], 4, 1).unwrap().is_empty());
    }

    #[test]
    fn one_state_windows_equal_the_materialised_pairs_bit_for_bit() {
        // Irregular values, 2 channels on 3 points, 3 trajectories of 6 states.
        let data: Vec<f32> = (0..3 * 6 * 6)
            .map(|v| ((v as f32) * 0.731).sin() * 3.0 + 0.1 * v as f32)
            .collect();
        let t = Trajectories {
            data,
            n: 3,
            steps: 6,
            channels: 2,
            spatial: vec![3],
            times: (0..6).map(f64::from).collect(),
        };
        let idx = [2, 0];
        for k in [1, 2, 5] {
            let old = if k == 1 {
                t.pairs(&idx)
            } else {
                t.windows(&idx, k).unwrap()
            };
            let w = Windows::new(&t, &idx, 1, k).unwrap();
            assert_eq!(w.len(), old.len());
            let all: Vec<usize> = (0..w.len()).collect();
            assert_eq!(w.inputs(&all), old.inputs);
            assert_eq!(w.outputs(&all), old.outputs);
            for kind in [NormKind::Channel, NormKind::Point, NormKind::None] {
                let a = Normalizer::fit(kind, &old.inputs);
                let b = Normalizer::fit_samples(kind, 2, &[3], &w.input_states());
                assert_eq!(a, b, "{kind:?}, K = {k}");
                assert_eq!(b.tiled(1), b);
                let mut x = old.inputs.clone();
                a.encode(&mut x).unwrap();
                let pick = [w.len() - 1, 0];
                let mut y = w.inputs(&pick);
                b.encode(&mut y).unwrap();
                assert_eq!(y, x.select(&pick));
            }
        }
    }

    #[test]
    fn a_tiled_normaliser_encodes_each_state_of_a_window_alike() {
        let t = five_states();
        let w = Windows::new(&t, &[0, 1], 3, 1).unwrap();
        for kind in [NormKind::Channel, NormKind::Point] {
            let n = Normalizer::fit_samples(kind, 2, &[2], &w.input_states());
            let tiled = n.tiled(3);
            assert_eq!(tiled.shape[0], 6);
            let mut x = w.inputs(&[3]);
            tiled.encode(&mut x).unwrap();
            // Encoding the window equals encoding its three states one by one.
            let mut by_state = Fields::empty(2, vec![2]);
            for k in 1..4 {
                by_state.push(t.state(1, k));
            }
            n.encode(&mut by_state).unwrap();
            assert_eq!(x.data, by_state.data, "{kind:?}");
        }
    }

    #[test]
    fn data_options_without_a_history_load_as_one_state() {
        let mut v = serde_json::to_value(DataOptions {
            task: Task::Autoregressive,
            history: 4,
            ..DataOptions::default()
        })
        .unwrap();
        assert_eq!(v["history"], 4);
        v.as_object_mut().unwrap().remove("history");
        let old: DataOptions = serde_json::from_value(v).unwrap();
        assert_eq!(old.history, 1);
        assert_eq!(old.task, Task::Autoregressive);
    }
}
