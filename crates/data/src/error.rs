//! Errors of the data crate.

use std::path::PathBuf;

use thiserror::Error;

/// Everything that can go wrong while generating, writing or reading a dataset.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum DataError {
    /// The PDE rejected the configuration or failed while computing a sample.
    #[error(transparent)]
    Pde(#[from] ai4de_pde::PdeError),
    /// A file-system operation failed.
    #[error("{what} {}: {source}", path.display())]
    Io {
        /// What was being done (`cannot create`, `cannot read`, ...).
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The Zarr library reported an error.
    #[error("zarr store {}: {reason}", path.display())]
    Zarr { path: PathBuf, reason: String },
    /// The ZIP (NPZ) library reported an error.
    #[error("npz file {}: {reason}", path.display())]
    Zip { path: PathBuf, reason: String },
    /// The HDF5 library reported an error.
    #[error("hdf5 file {}: {reason}", path.display())]
    Hdf5 { path: PathBuf, reason: String },
    /// An invalid generation option (zero samples, zero threads, ...).
    #[error("invalid option {name} = {value}: {reason}")]
    InvalidOption {
        name: &'static str,
        value: String,
        reason: String,
    },
    /// The output already holds a complete dataset.
    #[error("{} already holds a complete dataset (use --force to overwrite it)", path.display())]
    OutputExists { path: PathBuf },
    /// The output path exists but is not an ai4de dataset of the requested format.
    #[error("{} exists and is not an ai4de {format} dataset; refusing to overwrite it", path.display())]
    OutputOccupied { path: PathBuf, format: String },
    /// An interrupted run with another configuration is in the way.
    #[error("{} holds an interrupted run with a different configuration ({difference}); rerun the original command to resume it, or use --force to start over", path.display())]
    ConfigMismatch { path: PathBuf, difference: String },
    /// A sample produced NaN or an infinite value.
    #[error("sample {sample}: field '{field}' has a non-finite value at flat index {index}")]
    NonFinite {
        sample: u64,
        field: String,
        index: usize,
    },
    /// A sample's arrays do not match the layout the PDE declared.
    #[error("sample {sample}: {reason}")]
    LayoutMismatch { sample: u64, reason: String },
    /// The PDE declared an unusable layout (a bug of the catalogue entry).
    #[error("{pde}: invalid dataset layout: {reason}")]
    InvalidLayout { pde: String, reason: String },
    /// The dataset is an interrupted, incomplete run.
    #[error("{} is an incomplete dataset (an interrupted 'ai4de generate'; rerun the same command to finish it)", path.display())]
    Incomplete { path: PathBuf },
    /// The path is not a dataset ai4de can read.
    #[error("{} is not a dataset ai4de can read: {reason}", path.display())]
    NotADataset { path: PathBuf, reason: String },
    /// A dataset file is malformed.
    #[error("{} is malformed: {reason}", path.display())]
    Malformed { path: PathBuf, reason: String },
    /// A field, coordinate or sample index that the dataset does not have.
    #[error("{what} '{name}' not found (available: {available})")]
    NotFound {
        what: &'static str,
        name: String,
        available: String,
    },
    /// The format needs a cargo feature this build lacks.
    #[error("format {format} needs ai4de built with the cargo feature '{feature}'")]
    FeatureDisabled {
        format: &'static str,
        feature: &'static str,
    },
    /// The worker thread pool could not be created.
    #[error("cannot start {threads} worker threads: {reason}")]
    ThreadPool { threads: usize, reason: String },
}

impl DataError {
    pub(crate) fn io(
        what: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| DataError::Io { what, path, source }
    }

    pub(crate) fn malformed(path: impl Into<PathBuf>, reason: impl Into<String>) -> Self {
        DataError::Malformed {
            path: path.into(),
            reason: reason.into(),
        }
    }
}
