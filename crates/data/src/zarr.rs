//! Zarr v3 stores through `zarrs`: the writer used by [`crate::generate`] and the reader behind
//! [`crate::open`].
//!
//! Layout (Zarr v3 specification, <https://zarr-specs.readthedocs.io/en/latest/v3/core/>): the
//! root group carries the dataset metadata as attributes; every field is an array `[N, ...]`
//! with `dimension_names = ["sample", ...]`, regular chunks of `chunk_samples` samples, the
//! `bytes` codec (little endian) followed by `zstd`, fill value NaN (an unwritten chunk reads as
//! NaN, never as plausible data), and the default chunk-key encoding with the `.` separator (all
//! chunks of an array in one directory: one directory to sync per commit). Coordinates are
//! `float64` arrays named after their dimension, so `xarray.open_zarr` attaches them.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{Map, Value};
use zarrs::array::codec::ZstdCodec;
use zarrs::array::{data_type, Array, ArrayBuilder};
use zarrs::filesystem::FilesystemStore;
use zarrs::group::{Group, GroupBuilder};
use zarrs::metadata::ChunkKeySeparator;

use crate::error::DataError;
use crate::fsutil::sync_dir;
use crate::generate::ChunkSink;
use crate::{Dtype, Layout};

/// zstd level: 3 is zstd's default, a good speed/size balance for float data.
const ZSTD_LEVEL: i32 = 3;

fn zerr(path: &Path) -> impl Fn(&dyn std::fmt::Display) -> DataError + '_ {
    move |e| DataError::Zarr {
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}

fn store(path: &Path) -> Result<Arc<FilesystemStore>, DataError> {
    FilesystemStore::new(path)
        .map(Arc::new)
        .map_err(|e| zerr(path)(&e))
}

pub(crate) struct ZarrSink {
    root: PathBuf,
    store: Arc<FilesystemStore>,
    fields: Vec<Array<FilesystemStore>>,
    /// Elements of one sample, per field.
    sample_len: Vec<usize>,
    chunk_samples: u64,
    samples: u64,
    dtype: Dtype,
}

impl ZarrSink {
    /// Creates (or, on resume, re-creates with identical metadata) the store at `root`: group
    /// metadata, field arrays and the coordinate arrays with their values. Existing chunks are
    /// left alone.
    pub fn create(
        root: &Path,
        layout: &Layout,
        samples: u64,
        chunk_samples: u64,
        dtype: Dtype,
        attrs: Map<String, Value>,
    ) -> Result<Self, DataError> {
        std::fs::create_dir_all(root).map_err(DataError::io("cannot create", root))?;
        let err = zerr(root);
        let store = store(root)?;
        let mut group = GroupBuilder::new()
            .build(store.clone(), "/")
            .map_err(|e| err(&e))?;
        *group.attributes_mut() = attrs;
        group.store_metadata().map_err(|e| err(&e))?;

        for (name, values) in &layout.coords {
            let n = values.len() as u64;
            let array = ArrayBuilder::new(vec![n], vec![n.max(1)], data_type::float64(), f64::NAN)
                .dimension_names(Some([name.as_str()]))
                .build(store.clone(), &format!("/{name}"))
                .map_err(|e| err(&e))?;
            array.store_metadata().map_err(|e| err(&e))?;
            if n > 0 {
                array
                    .store_chunk(&[0], values.clone())
                    .map_err(|e| err(&e))?;
            }
        }

        let mut fields = Vec::with_capacity(layout.fields.len());
        let mut sample_len = Vec::with_capacity(layout.fields.len());
        for f in &layout.fields {
            let mut shape = vec![samples];
            shape.extend(f.shape.iter().map(|&s| s as u64));
            let mut chunk = vec![chunk_samples];
            chunk.extend(f.shape.iter().map(|&s| (s as u64).max(1)));
            let mut dims = vec!["sample".to_string()];
            dims.extend(f.dims.iter().cloned());
            let mut builder = match dtype {
                Dtype::F32 => ArrayBuilder::new(shape, chunk, data_type::float32(), f32::NAN),
                Dtype::F64 => ArrayBuilder::new(shape, chunk, data_type::float64(), f64::NAN),
            };
            let array = builder
                .dimension_names(Some(dims))
                .chunk_key_encoding_default_separator(ChunkKeySeparator::Dot)
                .bytes_to_bytes_codecs(vec![Arc::new(ZstdCodec::new(ZSTD_LEVEL, false))])
                .build(store.clone(), &format!("/{}", f.name))
                .map_err(|e| err(&e))?;
            array.store_metadata().map_err(|e| err(&e))?;
            fields.push(array);
            sample_len.push(f.shape.iter().product());
        }
        Ok(Self {
            root: root.to_path_buf(),
            store,
            fields,
            sample_len,
            chunk_samples,
            samples,
            dtype,
        })
    }
}

impl ChunkSink for ZarrSink {
    fn write(&self, chunk: u64, data: &[Vec<f64>]) -> Result<(), DataError> {
        let err = zerr(&self.root);
        let first = chunk * self.chunk_samples;
        let count = (self.samples - first).min(self.chunk_samples) as usize;
        for ((array, values), &len) in self.fields.iter().zip(data).zip(&self.sample_len) {
            let mut idx = vec![0u64; array.dimensionality()];
            idx[0] = chunk;
            // The chunk on disk always has `chunk_samples` rows (Zarr stores edge chunks whole);
            // rows past the end of the array are the fill value.
            let full = len * self.chunk_samples as usize;
            debug_assert_eq!(values.len(), len * count);
            match self.dtype {
                Dtype::F32 => {
                    let mut v: Vec<f32> = values.iter().map(|&x| x as f32).collect();
                    v.resize(full, f32::NAN);
                    array.store_chunk(&idx, v)
                }
                Dtype::F64 => {
                    let mut v = values.clone();
                    v.resize(full, f64::NAN);
                    array.store_chunk(&idx, v)
                }
            }
            .map_err(|e| err(&e))?;
        }
        Ok(())
    }

    fn sync(&self) -> Result<(), DataError> {
        // zarrs syncs every chunk file it writes; the directory entries of new chunk files are
        // made durable here.
        sync_dir(&self.root)?;
        for a in &self.fields {
            sync_dir(&self.root.join(a.path().as_str().trim_start_matches('/')))?;
        }
        Ok(())
    }

    fn complete(&self, attrs: Map<String, Value>) -> Result<(), DataError> {
        let err = zerr(&self.root);
        let mut group = Group::open(self.store.clone(), "/").map_err(|e| err(&e))?;
        *group.attributes_mut() = attrs;
        group.store_metadata().map_err(|e| err(&e))?;
        sync_dir(&self.root)
    }
}

/// Coordinate arrays by name.
pub(crate) type Coords = Vec<(String, Vec<f64>)>;

/// A Zarr store opened for reading.
pub(crate) struct ZarrReader {
    root: PathBuf,
    fields: Vec<Array<FilesystemStore>>,
    dtype: Dtype,
}

impl ZarrReader {
    /// Opens the store at `root`; returns the reader, the group attributes and the coordinates.
    pub fn open(root: &Path) -> Result<(Self, Map<String, Value>, Coords), DataError> {
        let err = zerr(root);
        let store = store(root)?;
        let group = Group::open(store.clone(), "/").map_err(|e| err(&e))?;
        let attrs = group.attributes().clone();
        let names = |key: &str| -> Result<Vec<String>, DataError> {
            attrs
                .get(key)
                .and_then(Value::as_array)
                .ok_or_else(|| DataError::malformed(root, format!("no '{key}' in the attributes")))?
                .iter()
                .map(|v| {
                    v.as_str()
                        .or_else(|| v.get("name").and_then(Value::as_str))
                        .map(str::to_string)
                        .ok_or_else(|| DataError::malformed(root, format!("bad '{key}' entry")))
                })
                .collect()
        };
        let dtype = match attrs.get("dtype").and_then(Value::as_str) {
            Some(s) => Dtype::parse(s).map_err(|_| DataError::malformed(root, "bad dtype"))?,
            None => return Err(DataError::malformed(root, "no 'dtype' in the attributes")),
        };
        let mut coords = Vec::new();
        for name in names("coords")? {
            let a = Array::open(store.clone(), &format!("/{name}")).map_err(|e| err(&e))?;
            let v: Vec<f64> = a
                .retrieve_array_subset(&a.subset_all())
                .map_err(|e| err(&e))?;
            coords.push((name, v));
        }
        let fields = names("fields")?
            .iter()
            .map(|n| Array::open(store.clone(), &format!("/{n}")).map_err(|e| err(&e)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((
            Self {
                root: root.to_path_buf(),
                fields,
                dtype,
            },
            attrs,
            coords,
        ))
    }

    /// Sample `index` of field number `field`, flattened.
    pub fn read(&self, field: usize, index: u64) -> Result<Vec<f64>, DataError> {
        let err = zerr(&self.root);
        let a = &self.fields[field];
        let ranges: Vec<std::ops::Range<u64>> = std::iter::once(index..index + 1)
            .chain(a.shape()[1..].iter().map(|&s| 0..s))
            .collect();
        Ok(match self.dtype {
            Dtype::F32 => a
                .retrieve_array_subset::<Vec<f32>>(&ranges)
                .map_err(|e| err(&e))?
                .into_iter()
                .map(f64::from)
                .collect(),
            Dtype::F64 => a.retrieve_array_subset(&ranges).map_err(|e| err(&e))?,
        })
    }
}
