//! Parallel, deterministic, resumable dataset generation.
//!
//! A run writes only under `OUT.partial/`:
//! * `manifest.json`: what is being generated (PDE, configuration, seed, samples, format,
//!   dtype, chunking); a rerun resumes only under an identical manifest;
//! * `done.log`: the journal, one line per completed chunk index;
//! * `data/`: the Zarr store, or the staged NPY files.
//!
//! Workers compute chunks of samples in parallel and write them at their fixed place; a chunk is
//! appended to the journal only after its bytes (and new directory entries) are synced (group
//! commit, at most every [`COMMIT_INTERVAL`]). After a kill the journal lists only durable
//! chunks; every other chunk is recomputed and overwritten with the same bytes, since sample `i`
//! depends only on `(seed, i)`. When all chunks are recorded, the metadata is marked complete
//! and `data/` becomes `OUT` by one rename (NPZ/HDF5: the file is assembled next to it and
//! renamed), so `OUT` only ever holds a complete dataset.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rayon::prelude::*;
use serde_json::{Map, Value};

use ai4de_pde::{DatasetPde, GenConfig, Layout};

use crate::error::DataError;
use crate::fsutil::{parent, size_on_disk, sync_dir, write_atomic};
use crate::meta::{manifest, manifest_difference, metadata};
use crate::npyfmt::{build_npz, NpySink};
use crate::progress::Progress;
use crate::zarr::ZarrSink;
use crate::{Dtype, Format, GenerateOptions};

/// Longest time between two journal commits (the work a kill can lose, per worker).
pub const COMMIT_INTERVAL: Duration = Duration::from_millis(500);

/// Where a run's bookkeeping and data live until the dataset is complete: `OUT.partial`.
pub fn partial_path(out: &Path) -> PathBuf {
    let mut s = out.as_os_str().to_os_string();
    s.push(".partial");
    PathBuf::from(s)
}

/// Where the data is written, chunk by chunk.
pub(crate) trait ChunkSink: Sync {
    /// Writes chunk `chunk`: per field, the flattened samples of the chunk, concatenated.
    fn write(&self, chunk: u64, data: &[Vec<f64>]) -> Result<(), DataError>;
    /// Makes every completed `write` durable.
    fn sync(&self) -> Result<(), DataError>;
    /// Stores the final metadata (`complete: true`), durably.
    fn complete(&self, attrs: Map<String, Value>) -> Result<(), DataError>;
}

/// What a generation did.
#[derive(Debug, Clone)]
pub struct Report {
    /// The dataset.
    pub path: PathBuf,
    pub format: Format,
    pub dtype: Dtype,
    /// Samples in the dataset.
    pub samples: u64,
    /// Samples computed by this call (less than `samples` when an interrupted run was resumed).
    pub computed: u64,
    /// Wall-clock seconds of this call.
    pub seconds: f64,
    /// Size of the dataset on disk in bytes.
    pub bytes: u64,
    /// Worker threads used.
    pub threads: usize,
}

impl Report {
    /// Samples computed per second of wall-clock time.
    pub fn samples_per_second(&self) -> f64 {
        if self.seconds > 0.0 {
            self.computed as f64 / self.seconds
        } else {
            0.0
        }
    }
}

/// Generates samples `0..opts.samples` of `pde` under `cfg` into `opts.out`.
///
/// Resumes an interrupted run with the same configuration; refuses (without `opts.force`) to
/// touch an existing complete dataset or an interrupted run with another configuration, and in
/// any case refuses to delete a path that is not an ai4de dataset.
///
/// # Errors
/// Invalid options, the PDE's own errors (bad parameter or grid, non-finite solution), I/O and
/// format errors, each as a [`DataError`] naming the path or sample.
pub fn generate(
    pde: &dyn DatasetPde,
    cfg: &GenConfig,
    opts: &GenerateOptions,
    progress: &dyn Progress,
) -> Result<Report, DataError> {
    let started = Instant::now();
    check_options(opts)?;
    let info = pde.info();
    let layout = pde.layout(cfg)?;
    check_layout(info.name, &layout)?;

    let out = &opts.out;
    let partial = partial_path(out);
    let wanted = manifest(&info, cfg, opts);
    prepare_output(out, &partial, &wanted, opts)?;

    let manifest_path = partial.join("manifest.json");
    if !manifest_path.exists() {
        fs::create_dir_all(&partial).map_err(DataError::io("cannot create", &partial))?;
        let text = serde_json::to_string_pretty(&wanted).unwrap_or_default();
        write_atomic(&manifest_path, text.as_bytes())?;
    }

    let k = opts.chunk_samples as u64;
    let n_chunks = opts.samples.div_ceil(k);
    let chunk_len = |c: u64| (opts.samples - c * k).min(k);
    let journal = Journal::open(&partial.join("done.log"), n_chunks)?;
    let data_dir = partial.join("data");
    let sink: Box<dyn ChunkSink> = match opts.format {
        Format::Zarr => Box::new(ZarrSink::create(
            &data_dir,
            &layout,
            opts.samples,
            k,
            opts.dtype,
            metadata(&info, cfg, &layout, opts, false),
        )?),
        Format::Npy | Format::Npz | Format::Hdf5 => Box::new(NpySink::create(
            &data_dir,
            &layout,
            opts.samples,
            k,
            opts.dtype,
        )?),
    };

    let pending: Vec<u64> = (0..n_chunks).filter(|c| !journal.is_done(*c)).collect();
    let done_samples: u64 = (0..n_chunks)
        .filter(|c| journal.is_done(*c))
        .map(chunk_len)
        .sum();
    progress.start(opts.samples, done_samples);

    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads)
        .build()
        .map_err(|e| DataError::ThreadPool {
            threads: opts.threads,
            reason: e.to_string(),
        })?;
    pool.install(|| {
        pending.par_iter().with_max_len(1).try_for_each(|&c| {
            let data = compute_chunk(pde, cfg, &layout, opts, c)?;
            sink.write(c, &data)?;
            progress.advance(chunk_len(c));
            journal.record(c, sink.as_ref())
        })
    })?;
    journal.commit(sink.as_ref())?;

    // Finalise: metadata complete, then one atomic rename into place.
    sink.complete(metadata(&info, cfg, &layout, opts, true))?;
    drop(sink);
    match opts.format {
        Format::Zarr | Format::Npy => {
            fs::rename(&data_dir, out).map_err(DataError::io("cannot rename to", out))?;
        }
        Format::Npz => {
            let names: Vec<String> = layout
                .fields
                .iter()
                .map(|f| f.name.clone())
                .chain(layout.coords.iter().map(|(n, _)| n.clone()))
                .collect();
            build_npz(
                &data_dir,
                &names,
                &metadata(&info, cfg, &layout, opts, true),
                out,
            )?;
        }
        Format::Hdf5 => {
            #[cfg(feature = "hdf5")]
            crate::hdf5::write_pdebench(
                &data_dir,
                &layout,
                &metadata(&info, cfg, &layout, opts, true),
                out,
            )?;
            #[cfg(not(feature = "hdf5"))]
            return Err(DataError::FeatureDisabled {
                format: "hdf5",
                feature: "hdf5",
            });
        }
    }
    sync_dir(&parent(out))?;
    fs::remove_dir_all(&partial).map_err(DataError::io("cannot remove", &partial))?;
    progress.finish();

    Ok(Report {
        path: out.clone(),
        format: opts.format,
        dtype: opts.dtype,
        samples: opts.samples,
        computed: opts.samples - done_samples,
        seconds: started.elapsed().as_secs_f64(),
        bytes: size_on_disk(out),
        threads: opts.threads,
    })
}

fn check_options(opts: &GenerateOptions) -> Result<(), DataError> {
    let bad = |name, value: String, reason: &str| {
        Err(DataError::InvalidOption {
            name,
            value,
            reason: reason.into(),
        })
    };
    if opts.samples == 0 {
        return bad("samples", "0".into(), "must be at least 1");
    }
    if opts.threads == 0 {
        return bad("threads", "0".into(), "must be at least 1");
    }
    if opts.chunk_samples == 0 {
        return bad("chunk_samples", "0".into(), "must be at least 1");
    }
    if opts.out.as_os_str().is_empty() || opts.out.file_name().is_none() {
        return bad(
            "out",
            opts.out.display().to_string(),
            "must name a file or directory",
        );
    }
    if opts.format == Format::Hdf5 && !cfg!(feature = "hdf5") {
        return Err(DataError::FeatureDisabled {
            format: "hdf5",
            feature: "hdf5",
        });
    }
    Ok(())
}

/// Names a reader can rely on: unique, file-name safe, not clashing with the metadata.
fn check_layout(pde: &str, layout: &Layout) -> Result<(), DataError> {
    let bad = |reason: String| {
        Err(DataError::InvalidLayout {
            pde: pde.to_string(),
            reason,
        })
    };
    if layout.fields.is_empty() {
        return bad("no fields".into());
    }
    let mut names: Vec<&str> = Vec::new();
    for name in layout
        .fields
        .iter()
        .map(|f| f.name.as_str())
        .chain(layout.coords.iter().map(|(n, _)| n.as_str()))
    {
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return bad(format!("array name '{name}' must be [A-Za-z0-9_-]+"));
        }
        if ["sample", "metadata", "grid", "tensor"].contains(&name) || names.contains(&name) {
            return bad(format!("array name '{name}' is reserved or repeated"));
        }
        names.push(name);
    }
    for f in &layout.fields {
        if f.dims.len() != f.shape.len() {
            return bad(format!(
                "field '{}' has {} dimension names for {} axes",
                f.name,
                f.dims.len(),
                f.shape.len()
            ));
        }
        for (d, &n) in f.dims.iter().zip(&f.shape) {
            if let Some((_, c)) = layout.coords.iter().find(|(c, _)| c == d) {
                if c.len() != n {
                    return bad(format!(
                        "field '{}' axis '{d}' has {n} points but coordinate '{d}' has {}",
                        f.name,
                        c.len()
                    ));
                }
            }
        }
    }
    for (name, values) in &layout.coords {
        if let Some(i) = values.iter().position(|v| !v.is_finite()) {
            return bad(format!("coordinate '{name}' is not finite at index {i}"));
        }
    }
    Ok(())
}

/// Clears the way for a run at `out`: refuses or (with `force`) removes a complete dataset or an
/// interrupted run with another manifest. A path that is not an ai4de dataset is never removed.
fn prepare_output(
    out: &Path,
    partial: &Path,
    wanted: &Value,
    opts: &GenerateOptions,
) -> Result<(), DataError> {
    if fs::symlink_metadata(out).is_ok() {
        match crate::read::open(out) {
            Ok(_) | Err(DataError::Incomplete { .. }) if opts.force => remove(out)?,
            Ok(_) => {
                return Err(DataError::OutputExists {
                    path: out.to_path_buf(),
                })
            }
            Err(_) => {
                return Err(DataError::OutputOccupied {
                    path: out.to_path_buf(),
                    format: opts.format.name().to_string(),
                })
            }
        }
    }
    if fs::symlink_metadata(partial).is_ok() {
        let old = fs::read(partial.join("manifest.json"))
            .ok()
            .and_then(|b| serde_json::from_slice::<Value>(&b).ok());
        match old {
            _ if opts.force => remove(partial)?,
            Some(old) if &old == wanted => {}
            Some(old) => {
                return Err(DataError::ConfigMismatch {
                    path: partial.to_path_buf(),
                    difference: manifest_difference(&old, wanted),
                })
            }
            None => {
                return Err(DataError::ConfigMismatch {
                    path: partial.to_path_buf(),
                    difference: "no readable manifest.json".into(),
                })
            }
        }
    }
    // Fail now, with the path in the message, if the parent directory is not writable.
    let dir = parent(out);
    if !dir.is_dir() {
        return Err(DataError::Io {
            what: "cannot write into",
            path: dir,
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such directory"),
        });
    }
    Ok(())
}

fn remove(path: &Path) -> Result<(), DataError> {
    let meta = fs::symlink_metadata(path).map_err(DataError::io("cannot remove", path))?;
    if meta.is_dir() {
        fs::remove_dir_all(path)
    } else {
        fs::remove_file(path)
    }
    .map_err(DataError::io("cannot remove", path))
}

/// Samples `c*k .. min((c+1)*k, N)`, checked against the layout and for finiteness (in the
/// output dtype: an `f64` beyond `f32::MAX` would become `inf`).
fn compute_chunk(
    pde: &dyn DatasetPde,
    cfg: &GenConfig,
    layout: &Layout,
    opts: &GenerateOptions,
    chunk: u64,
) -> Result<Vec<Vec<f64>>, DataError> {
    let k = opts.chunk_samples as u64;
    let first = chunk * k;
    let end = (first + k).min(opts.samples);
    let mut data: Vec<Vec<f64>> = layout
        .fields
        .iter()
        .map(|f| Vec::with_capacity(f.shape.iter().product::<usize>() * (end - first) as usize))
        .collect();
    for i in first..end {
        let s = pde.sample(cfg, opts.seed, i)?;
        if s.fields.len() != layout.fields.len() {
            return Err(DataError::LayoutMismatch {
                sample: i,
                reason: format!(
                    "{} arrays for {} fields",
                    s.fields.len(),
                    layout.fields.len()
                ),
            });
        }
        for ((values, spec), out) in s.fields.iter().zip(&layout.fields).zip(&mut data) {
            let len: usize = spec.shape.iter().product();
            if values.len() != len {
                return Err(DataError::LayoutMismatch {
                    sample: i,
                    reason: format!(
                        "field '{}' has {} values, its shape {:?} needs {len}",
                        spec.name,
                        values.len(),
                        spec.shape
                    ),
                });
            }
            let finite = |v: &f64| match opts.dtype {
                Dtype::F32 => (*v as f32).is_finite(),
                Dtype::F64 => v.is_finite(),
            };
            if let Some(index) = values.iter().position(|v| !finite(v)) {
                return Err(DataError::NonFinite {
                    sample: i,
                    field: spec.name.clone(),
                    index,
                });
            }
            out.extend_from_slice(values);
        }
    }
    Ok(data)
}

/// The record of completed chunks (`done.log`, one decimal index per line).
struct Journal {
    path: PathBuf,
    done: Vec<bool>,
    state: Mutex<JournalState>,
}

struct JournalState {
    file: File,
    pending: Vec<u64>,
    last_commit: Instant,
}

impl Journal {
    /// Opens (creating) the journal; an unterminated last line (a write cut by the kill) is
    /// ignored and cut off.
    fn open(path: &Path, n_chunks: u64) -> Result<Self, DataError> {
        let mut text = String::new();
        if path.exists() {
            File::open(path)
                .and_then(|mut f| f.read_to_string(&mut text))
                .map_err(DataError::io("cannot read", path))?;
        }
        let complete_len = text.rfind('\n').map_or(0, |i| i + 1);
        let mut done = vec![false; n_chunks as usize];
        for line in text[..complete_len].lines() {
            match line.trim().parse::<u64>() {
                Ok(c) if c < n_chunks => done[c as usize] = true,
                _ => {
                    return Err(DataError::malformed(
                        path,
                        format!("bad journal line '{line}' (use --force to start over)"),
                    ))
                }
            }
        }
        let file = OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(false)
            .open(path)
            .map_err(DataError::io("cannot open", path))?;
        file.set_len(complete_len as u64)
            .map_err(DataError::io("cannot write", path))?;
        let mut file = file;
        use std::io::Seek;
        file.seek(std::io::SeekFrom::End(0))
            .map_err(DataError::io("cannot write", path))?;
        Ok(Self {
            path: path.to_path_buf(),
            done,
            state: Mutex::new(JournalState {
                file,
                pending: Vec::new(),
                last_commit: Instant::now(),
            }),
        })
    }

    fn is_done(&self, chunk: u64) -> bool {
        self.done[chunk as usize]
    }

    /// Queues `chunk` (already written) and commits the queue if the last commit is old.
    fn record(&self, chunk: u64, sink: &dyn ChunkSink) -> Result<(), DataError> {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        s.pending.push(chunk);
        if s.last_commit.elapsed() >= COMMIT_INTERVAL {
            self.commit_locked(&mut s, sink)?;
        }
        Ok(())
    }

    fn commit(&self, sink: &dyn ChunkSink) -> Result<(), DataError> {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        self.commit_locked(&mut s, sink)
    }

    /// Data first, then the records: a recorded chunk is always durable.
    fn commit_locked(&self, s: &mut JournalState, sink: &dyn ChunkSink) -> Result<(), DataError> {
        s.last_commit = Instant::now();
        if s.pending.is_empty() {
            return Ok(());
        }
        sink.sync()?;
        let mut text = String::new();
        for c in s.pending.drain(..) {
            text.push_str(&c.to_string());
            text.push('\n');
        }
        s.file
            .write_all(text.as_bytes())
            .and_then(|()| s.file.sync_data())
            .map_err(DataError::io("cannot write", &self.path))
    }
}
