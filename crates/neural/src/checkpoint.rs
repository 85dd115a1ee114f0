//! Checkpoints: model weights in safetensors, optimizer state, epoch, RNG state and normalisers,
//! written atomically so that a run killed at any moment resumes from the last complete epoch.
//!
//! A checkpoint is a directory `DIR/checkpoints/epoch-NNNNNN/` holding
//! * `model.safetensors`: the weights (burn-store's safetensors export, keyed by module path);
//! * `optimizer.bpk`: the optimizer state (Adam moments and step counts) in burn's burnpack
//!   record format — burn 0.22 serialises optimizer records only as burnpack; the state is keyed
//!   by burn's random parameter ids, so `state.json` keeps the ids in module-visit order and a
//!   resumed model is given the same ids before the record is applied;
//! * `state.json`: [`TrainState`] (epoch, seed, parameter ids, loss history, elapsed time).
//!
//! It is written under `epoch-NNNNNN.tmp/` (each file synced), renamed into place, and only then
//! does `DIR/checkpoints/LATEST` (itself replaced by rename) name it; older checkpoints are
//! removed afterwards. A kill at any point leaves `LATEST` naming a complete checkpoint.

use std::io::Write;
use std::path::{Path, PathBuf};

use burn::module::{list_param_ids, Module, ModuleMapper, Param, ParamId};
use burn::optim::ModuleOptimizer;
use burn::store::{ModuleSnapshot, SafetensorsStore};
use burn::tensor::Tensor;
use serde::{Deserialize, Serialize};

use crate::error::NeuralError;

/// One row of the training curves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochRecord {
    pub epoch: usize,
    pub lr: f64,
    /// Mean relative L2 loss over the training batches of the epoch.
    pub train_loss: f64,
    /// Mean relative L2 error over the validation set (`None` without validation samples).
    pub val_loss: Option<f64>,
    /// Wall time of the epoch, seconds.
    pub seconds: f64,
    /// Training samples per second.
    pub samples_per_sec: f64,
}

/// Everything besides tensors that a resumed run needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainState {
    /// Epochs completed.
    pub epoch: usize,
    /// The run's seed: epoch `k` shuffles with stream `k + 2` of ChaCha8 seeded by it.
    pub seed: u64,
    /// burn parameter ids in module-visit order (the keys of the optimizer record).
    pub param_ids: Vec<u64>,
    pub history: Vec<EpochRecord>,
    /// Training wall time so far, seconds (summed over resumed runs).
    pub elapsed: f64,
}

/// File names inside a checkpoint.
pub const MODEL_FILE: &str = "model.safetensors";
pub const OPTIMIZER_FILE: &str = "optimizer.bpk";
pub const STATE_FILE: &str = "state.json";
const LATEST: &str = "LATEST";

/// Writes `bytes` to `path` atomically: a temporary name in the same directory, fsync, rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), NeuralError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp{}", std::process::id()));
    {
        let mut f = std::fs::File::create(&tmp).map_err(NeuralError::io("cannot create", &tmp))?;
        f.write_all(bytes)
            .and_then(|()| f.sync_all())
            .map_err(NeuralError::io("cannot write", &tmp))?;
    }
    std::fs::rename(&tmp, path).map_err(NeuralError::io("cannot rename into", path))
}

/// Writes `value` as pretty JSON atomically.
pub fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), NeuralError> {
    let text = serde_json::to_vec_pretty(value).map_err(|source| NeuralError::Json {
        path: path.to_path_buf(),
        source,
    })?;
    write_atomic(path, &text)
}

/// Reads JSON from `path`.
pub fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T, NeuralError> {
    let text = std::fs::read(path).map_err(NeuralError::io("cannot read", path))?;
    serde_json::from_slice(&text).map_err(|source| NeuralError::Json {
        path: path.to_path_buf(),
        source,
    })
}

/// The weights of `model` as safetensors bytes.
pub fn model_bytes<M: Module>(model: &M, path: &Path) -> Result<Vec<u8>, NeuralError> {
    let mut store = SafetensorsStore::from_bytes(None);
    let err = |e: burn::store::SafetensorsStoreError| NeuralError::Store {
        what: "cannot serialise the model for",
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    model.save_into(&mut store).map_err(err)?;
    store.get_bytes().map_err(err)
}

/// Saves the weights of `model` to `path` (safetensors, atomically).
pub fn save_model<M: Module>(model: &M, path: &Path) -> Result<(), NeuralError> {
    let bytes = model_bytes(model, path)?;
    write_atomic(path, &bytes)
}

/// Loads weights from the safetensors file `path` into `model` (which fixes the architecture).
///
/// # Errors
/// A missing or unreadable file, and any tensor of the model that the file lacks or holds with
/// another shape.
pub fn load_model<M: Module>(model: M, path: &Path) -> Result<M, NeuralError> {
    let bytes = std::fs::read(path).map_err(NeuralError::io("cannot read", path))?;
    let mut store = SafetensorsStore::from_bytes(Some(bytes));
    let mut model = model;
    let result = model
        .load_from(&mut store)
        .map_err(|e| NeuralError::Store {
            what: "cannot load the model from",
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
    if !result.errors.is_empty() || !result.missing.is_empty() {
        return Err(NeuralError::Checkpoint {
            path: path.to_path_buf(),
            reason: format!(
                "the weights do not fit the model: missing {:?}, errors {:?}",
                result.missing.iter().map(|m| &m.0).collect::<Vec<_>>(),
                result
                    .errors
                    .iter()
                    .map(|e| e.to_string())
                    .collect::<Vec<_>>()
            ),
        });
    }
    Ok(model)
}

/// Gives the parameters of `model` the ids `ids`, in module-visit order.
struct IdSetter<'a> {
    ids: &'a [u64],
    next: usize,
}

impl ModuleMapper for IdSetter<'_> {
    fn map_float<const D: usize>(&mut self, mut param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        if let Some(&id) = self.ids.get(self.next) {
            param.id = ParamId::from(id);
        }
        self.next += 1;
        param
    }
}

/// The parameter ids of `model` in visit order.
pub fn param_ids<M: Module>(model: &M) -> Vec<u64> {
    list_param_ids(model).iter().map(ParamId::val).collect()
}

/// `model` with the parameter ids `ids` (in visit order).
pub fn with_param_ids<M: Module>(model: M, ids: &[u64], path: &Path) -> Result<M, NeuralError> {
    let have = list_param_ids(&model).len();
    if have != ids.len() {
        return Err(NeuralError::Checkpoint {
            path: path.to_path_buf(),
            reason: format!(
                "{} parameter ids for a model with {have} parameters",
                ids.len()
            ),
        });
    }
    Ok(model.map(&mut IdSetter { ids, next: 0 }))
}

struct WeightCollector {
    values: Vec<f32>,
}

impl burn::module::ModuleVisitor for WeightCollector {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        if let Ok(v) = param.val().into_data().try_to_vec::<f32>() {
            self.values.extend_from_slice(&v);
        }
    }
}

/// Every float parameter of `model`, flattened in module-visit order (to compare weights).
pub fn flat_weights<M: Module>(model: &M) -> Vec<f32> {
    let mut c = WeightCollector { values: Vec::new() };
    model.visit(&mut c);
    c.values
}

/// The checkpoint directory of `dir` (the training output directory).
pub fn checkpoints_dir(dir: &Path) -> PathBuf {
    dir.join("checkpoints")
}

/// Writes the checkpoint of epoch `state.epoch` and points `LATEST` at it.
pub fn save_checkpoint<M: Module>(
    dir: &Path,
    model: &M,
    optim: &ModuleOptimizer,
    state: &TrainState,
) -> Result<PathBuf, NeuralError> {
    let root = checkpoints_dir(dir);
    std::fs::create_dir_all(&root).map_err(NeuralError::io("cannot create", &root))?;
    let name = format!("epoch-{:06}", state.epoch);
    let fin = root.join(&name);
    let tmp = root.join(format!("{name}.tmp"));
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).map_err(NeuralError::io("cannot remove", &tmp))?;
    }
    std::fs::create_dir_all(&tmp).map_err(NeuralError::io("cannot create", &tmp))?;
    save_model(model, &tmp.join(MODEL_FILE))?;
    let opt_path = tmp.join(OPTIMIZER_FILE);
    let bytes = optim.into_bytes().map_err(|e| NeuralError::Store {
        what: "cannot serialise the optimizer state for",
        path: opt_path.clone(),
        reason: format!("{e:?}"),
    })?;
    write_atomic(&opt_path, &bytes)?;
    write_json(&tmp.join(STATE_FILE), state)?;
    if fin.exists() {
        std::fs::remove_dir_all(&fin).map_err(NeuralError::io("cannot remove", &fin))?;
    }
    std::fs::rename(&tmp, &fin).map_err(NeuralError::io("cannot rename into", &fin))?;
    if let Ok(d) = std::fs::File::open(&root) {
        // Make the rename durable before LATEST refers to it (best effort: not every file
        // system syncs directories).
        let _ = d.sync_all();
    }
    write_atomic(&root.join(LATEST), name.as_bytes())?;
    // Older checkpoints are no longer needed.
    if let Ok(entries) = std::fs::read_dir(&root) {
        for e in entries.flatten() {
            let n = e.file_name().to_string_lossy().into_owned();
            if n.starts_with("epoch-") && n != name {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
    Ok(fin)
}

/// The checkpoint `LATEST` names, if any.
pub fn latest_checkpoint(dir: &Path) -> Result<Option<PathBuf>, NeuralError> {
    let root = checkpoints_dir(dir);
    let latest = root.join(LATEST);
    if !latest.exists() {
        return Ok(None);
    }
    let name = std::fs::read_to_string(&latest).map_err(NeuralError::io("cannot read", &latest))?;
    let path = root.join(name.trim());
    if !path.join(STATE_FILE).is_file() {
        return Err(NeuralError::Checkpoint {
            path,
            reason: "LATEST names a checkpoint without state.json".into(),
        });
    }
    Ok(Some(path))
}

/// Restores model weights, parameter ids, optimizer state and [`TrainState`] from checkpoint
/// `path` onto `model` (freshly built with the same configuration) and `optim`.
pub fn load_checkpoint<M: Module>(
    path: &Path,
    model: M,
    optim: ModuleOptimizer,
) -> Result<(M, ModuleOptimizer, TrainState), NeuralError> {
    let state: TrainState = read_json(&path.join(STATE_FILE))?;
    let model = load_model(model, &path.join(MODEL_FILE))?;
    let model = with_param_ids(model, &state.param_ids, path)?;
    let opt_path = path.join(OPTIMIZER_FILE);
    let bytes = std::fs::read(&opt_path).map_err(NeuralError::io("cannot read", &opt_path))?;
    let optim = optim
        .from_bytes(burn::tensor::Bytes::from_bytes_vec(bytes))
        .map_err(|e| NeuralError::Store {
            what: "cannot load the optimizer state from",
            path: opt_path,
            reason: format!("{e:?}"),
        })?;
    Ok((model, optim, state))
}
