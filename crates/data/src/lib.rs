//! Datasets for ai4de: parallel, deterministic, resumable generation of PDE datasets from the
//! [`ai4de_pde`] catalogue, and their readers and writers (Zarr v3, NPY/NPZ, PDEBench HDF5 behind
//! the `hdf5` feature).
//!
//! * [`generate`] computes samples `0..N` of a [`DatasetPde`] on an explicit rayon pool; sample
//!   `i` depends only on `(seed, i)` (the PDE draws from [`ai4de_pde::random::sample_rng`]), so the
//!   bytes on disk are the same for any thread count.
//! * Crash safety: everything is written under `OUT.partial/` (a manifest of the configuration,
//!   a journal of completed chunks, the data), each chunk's bytes are durable before the journal
//!   records it, and the finished dataset appears at `OUT` by one atomic rename. Rerunning the
//!   same command after a kill resumes from the journal; the result is byte-identical to an
//!   uninterrupted run. A partial run is never at `OUT`, and its metadata says `complete: false`.
//! * [`open`] reads any of the formats back ([`Dataset`]): fields, coordinates, metadata, one
//!   sample at a time.
//!
//! # Layout on disk
//!
//! Every field of the PDE's [`Layout`] is an array of shape `[N, ...]` with dimension names
//! `["sample", ...]`; every coordinate (`t`, `x`, `y`) is a 1-D `float64` array named after its
//! dimension. The metadata (PDE description, resolved parameters, grid, time points, solver and
//! tolerances, seed, sample count, ai4de version, dtype, `complete`) is
//! * Zarr v3 (default): the root group's attributes; one array per field and coordinate, one
//!   chunk per `chunk_samples` samples along the sample axis, zstd-compressed;
//! * NPY: a directory with `FIELD.npy`, `t.npy`, `x.npy`, ... and `metadata.json`;
//! * NPZ: one uncompressed `.npz` with the same arrays plus `metadata` (the JSON as `uint8`);
//! * HDF5 (feature `hdf5`): PDEBench's layout (see [`hdf5`]).
//!
//! # Example
//!
//! ```no_run
//! use ai4de_data::{generate, open, Format, GenerateOptions, NoProgress};
//! use ai4de_pde::GenConfig;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let pde = ai4de_pde::get("burgers")?;
//! let opts = GenerateOptions::new(100, "burgers.zarr".into());
//! let report = generate(pde.as_ref(), &GenConfig::default(), &opts, &NoProgress)?;
//! println!("{} samples in {:.1} s", report.samples, report.seconds);
//! let ds = open("burgers.zarr")?;
//! let u0 = ds.read_field("u", 0)?; // flattened [t, x] of sample 0
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]

mod error;
mod fsutil;
mod generate;
#[cfg(feature = "hdf5")]
pub mod hdf5;
mod meta;
mod npy;
mod npyfmt;
mod progress;
mod read;
mod zarr;

use std::path::PathBuf;

pub use ai4de_pde::{DatasetPde, FieldSpec, GenConfig, Layout, Sample};
pub use error::DataError;
pub use generate::{generate, partial_path, Report, COMMIT_INTERVAL};
pub use progress::{auto as auto_progress, LogProgress, NoProgress, Progress, TerminalProgress};
pub use read::{open, Dataset};

/// The on-disk formats of a dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Format {
    /// A Zarr v3 store (a directory), read by `zarr`, `xarray`, `zarrs`.
    #[default]
    Zarr,
    /// A directory of `.npy` files plus `metadata.json`.
    Npy,
    /// One `.npz` file (uncompressed, like `numpy.savez`).
    Npz,
    /// One HDF5 file in PDEBench's layout (cargo feature `hdf5`).
    Hdf5,
}

impl Format {
    /// All formats, for messages.
    pub const ALL: [Format; 4] = [Format::Zarr, Format::Npy, Format::Npz, Format::Hdf5];

    /// The lowercase name (`zarr`, `npy`, `npz`, `hdf5`).
    pub fn name(self) -> &'static str {
        match self {
            Format::Zarr => "zarr",
            Format::Npy => "npy",
            Format::Npz => "npz",
            Format::Hdf5 => "hdf5",
        }
    }

    /// Parses a format name (`h5` is accepted for `hdf5`).
    pub fn parse(s: &str) -> Result<Self, DataError> {
        match s.to_ascii_lowercase().as_str() {
            "zarr" => Ok(Format::Zarr),
            "npy" => Ok(Format::Npy),
            "npz" => Ok(Format::Npz),
            "hdf5" | "h5" => Ok(Format::Hdf5),
            _ => Err(DataError::InvalidOption {
                name: "format",
                value: s.to_string(),
                reason: "known formats: zarr, npy, npz, hdf5".into(),
            }),
        }
    }
}

/// The element type of the field arrays (coordinates are always `float64`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Dtype {
    /// 32-bit floats, as the FNO and PDEBench datasets store them.
    #[default]
    F32,
    /// 64-bit floats.
    F64,
}

impl Dtype {
    /// `f32` or `f64`.
    pub fn name(self) -> &'static str {
        match self {
            Dtype::F32 => "f32",
            Dtype::F64 => "f64",
        }
    }

    /// Bytes per element.
    pub fn size(self) -> usize {
        match self {
            Dtype::F32 => 4,
            Dtype::F64 => 8,
        }
    }

    /// Parses `f32`/`float32` or `f64`/`float64`.
    pub fn parse(s: &str) -> Result<Self, DataError> {
        match s.to_ascii_lowercase().as_str() {
            "f32" | "float32" => Ok(Dtype::F32),
            "f64" | "float64" => Ok(Dtype::F64),
            _ => Err(DataError::InvalidOption {
                name: "dtype",
                value: s.to_string(),
                reason: "known dtypes: f32, f64".into(),
            }),
        }
    }

    pub(crate) fn npy_descr(self) -> &'static str {
        match self {
            Dtype::F32 => "<f4",
            Dtype::F64 => "<f8",
        }
    }

    pub(crate) fn from_npy_descr(s: &str) -> Option<Self> {
        match s {
            "<f4" => Some(Dtype::F32),
            "<f8" => Some(Dtype::F64),
            _ => None,
        }
    }

    /// Little-endian bytes of `values` in this dtype (appended to `out`).
    pub(crate) fn encode_into(self, values: &[f64], out: &mut Vec<u8>) {
        match self {
            Dtype::F32 => {
                out.reserve(values.len() * 4);
                for &v in values {
                    out.extend_from_slice(&(v as f32).to_le_bytes());
                }
            }
            Dtype::F64 => {
                out.reserve(values.len() * 8);
                for &v in values {
                    out.extend_from_slice(&v.to_le_bytes());
                }
            }
        }
    }

    /// Decodes little-endian bytes of this dtype into `f64`s.
    pub(crate) fn decode(self, bytes: &[u8]) -> Vec<f64> {
        match self {
            Dtype::F32 => bytes
                .chunks_exact(4)
                .map(|b| f64::from(f32::from_le_bytes([b[0], b[1], b[2], b[3]])))
                .collect(),
            Dtype::F64 => bytes
                .chunks_exact(8)
                .map(|b| f64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]))
                .collect(),
        }
    }
}

/// Options of one dataset generation besides the PDE's own [`GenConfig`].
#[derive(Debug, Clone)]
pub struct GenerateOptions {
    /// Number of samples `N` (at least 1).
    pub samples: u64,
    /// Dataset seed: sample `i` draws from `sample_rng(seed, i)`.
    pub seed: u64,
    /// Output path (a directory for Zarr and NPY, a file for NPZ and HDF5).
    pub out: PathBuf,
    pub format: Format,
    pub dtype: Dtype,
    /// Worker threads (at least 1); the output does not depend on it.
    pub threads: usize,
    /// Samples per chunk along the sample axis (Zarr chunk; unit of work and of resumption).
    pub chunk_samples: usize,
    /// Discard an existing dataset or interrupted run at `out` and start over.
    pub force: bool,
}

impl GenerateOptions {
    /// Defaults: seed 0, Zarr, `f32`, all available cores, one sample per chunk, no force.
    pub fn new(samples: u64, out: PathBuf) -> Self {
        Self {
            samples,
            seed: 0,
            out,
            format: Format::Zarr,
            dtype: Dtype::F32,
            threads: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
            chunk_samples: 1,
            force: false,
        }
    }
}
