//! Reading datasets back: [`open`] detects the format and returns a [`Dataset`].

use std::io::Read;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use ai4de_pde::{FieldSpec, Sample};

use crate::error::DataError;
use crate::generate::partial_path;
use crate::npyfmt::{open_npz, NpyArray, METADATA_JSON};
use crate::zarr::ZarrReader;
use crate::{Dtype, Format};

enum Backend {
    Zarr(ZarrReader),
    /// One array per field, in field order (NPY directory or NPZ members).
    Npy(Vec<NpyArray>),
    #[cfg(feature = "hdf5")]
    Hdf5(crate::hdf5::Hdf5Reader),
}

/// A dataset opened for reading: `samples` samples of every field, the coordinates and the
/// metadata written with it.
pub struct Dataset {
    pub path: PathBuf,
    pub format: Format,
    /// Element type of the field arrays on disk (values are returned as `f64`).
    pub dtype: Dtype,
    pub samples: u64,
    /// The fields, with their shape and dimension names *without* the sample axis.
    pub fields: Vec<FieldSpec>,
    /// Coordinate arrays (`t`, `x`, `y`, ...).
    pub coords: Vec<(String, Vec<f64>)>,
    /// Everything stored with the dataset (see the crate documentation).
    pub metadata: Map<String, Value>,
    backend: Backend,
}

impl std::fmt::Debug for Dataset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dataset")
            .field("path", &self.path)
            .field("format", &self.format)
            .field("dtype", &self.dtype)
            .field("samples", &self.samples)
            .field("fields", &self.fields)
            .finish_non_exhaustive()
    }
}

impl Dataset {
    /// The index and description of field `name`.
    pub fn field(&self, name: &str) -> Result<(usize, &FieldSpec), DataError> {
        self.fields
            .iter()
            .enumerate()
            .find(|(_, f)| f.name == name)
            .ok_or_else(|| DataError::NotFound {
                what: "field",
                name: name.to_string(),
                available: self
                    .fields
                    .iter()
                    .map(|f| f.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    /// The values of coordinate `name`, if the dataset has it.
    pub fn coord(&self, name: &str) -> Option<&[f64]> {
        self.coords
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
    }

    /// Sample `index` of field `name`, flattened row-major.
    pub fn read_field(&self, name: &str, index: u64) -> Result<Vec<f64>, DataError> {
        let (i, _) = self.field(name)?;
        self.read_field_at(i, index)
    }

    /// All fields of sample `index`.
    pub fn read_sample(&self, index: u64) -> Result<Sample, DataError> {
        let fields = (0..self.fields.len())
            .map(|i| self.read_field_at(i, index))
            .collect::<Result<_, _>>()?;
        Ok(Sample { fields })
    }

    fn read_field_at(&self, field: usize, index: u64) -> Result<Vec<f64>, DataError> {
        if index >= self.samples {
            return Err(DataError::NotFound {
                what: "sample",
                name: index.to_string(),
                available: format!("0..{}", self.samples),
            });
        }
        let len: usize = self.fields[field].shape.iter().product();
        match &self.backend {
            Backend::Zarr(z) => z.read(field, index),
            Backend::Npy(arrays) => arrays[field].read_range(index * len as u64, len),
            #[cfg(feature = "hdf5")]
            Backend::Hdf5(h) => h.read(field, index, len),
        }
    }
}

/// Opens the dataset at `path` (Zarr store or NPY directory; NPZ or, with the `hdf5` feature,
/// HDF5 file).
///
/// # Errors
/// [`DataError::Incomplete`] for an interrupted run (`path` missing but `path.partial` present,
/// a `.partial` path, or metadata with `complete: false`); [`DataError::NotADataset`] for
/// anything else that is not a dataset; I/O and format errors.
pub fn open(path: impl AsRef<Path>) -> Result<Dataset, DataError> {
    let path = path.as_ref();
    let not = |reason: &str| DataError::NotADataset {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    };
    let incomplete = || DataError::Incomplete {
        path: path.to_path_buf(),
    };
    if path.extension().is_some_and(|e| e == "partial") {
        return Err(incomplete());
    }
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(_) if partial_path(path).exists() => return Err(incomplete()),
        Err(_) => return Err(not("no such file or directory")),
    };
    let (format, backend, metadata, coords) = if meta.is_dir() {
        if path.join("zarr.json").is_file() {
            let (z, attrs, coords) = ZarrReader::open(path)?;
            (Format::Zarr, Backend::Zarr(z), attrs, coords)
        } else if path.join(METADATA_JSON).is_file() {
            let mpath = path.join(METADATA_JSON);
            let text = std::fs::read(&mpath).map_err(DataError::io("cannot read", &mpath))?;
            let attrs = serde_json::from_slice::<Value>(&text)
                .ok()
                .and_then(|v| v.as_object().cloned())
                .ok_or_else(|| DataError::malformed(&mpath, "not a JSON object"))?;
            let arrays = field_names(path, &attrs)?
                .iter()
                .map(|n| NpyArray::open(&path.join(format!("{n}.npy"))))
                .collect::<Result<Vec<_>, _>>()?;
            let coords = coord_names(&attrs)
                .into_iter()
                .map(|n| {
                    let a = NpyArray::open(&path.join(format!("{n}.npy")))?;
                    Ok((n, a.read_all()?))
                })
                .collect::<Result<Vec<_>, DataError>>()?;
            (Format::Npy, Backend::Npy(arrays), attrs, coords)
        } else {
            return Err(not("a directory without zarr.json or metadata.json"));
        }
    } else {
        let mut magic = [0u8; 8];
        std::fs::File::open(path)
            .and_then(|mut f| f.read_exact(&mut magic))
            .map_err(|_| not("too short to be a dataset"))?;
        if magic.starts_with(b"PK\x03\x04") {
            let (members, attrs) = open_npz(path)?;
            let attrs = attrs.ok_or_else(|| not("an .npz without the ai4de 'metadata' member"))?;
            let mut members: Vec<Option<(String, NpyArray)>> =
                members.into_iter().map(Some).collect();
            let mut take = |name: &str| {
                members
                    .iter_mut()
                    .find(|m| m.as_ref().is_some_and(|(n, _)| n == name))
                    .and_then(Option::take)
                    .map(|(_, a)| a)
                    .ok_or_else(|| DataError::malformed(path, format!("no member {name}.npy")))
            };
            let mut arrays = Vec::new();
            for n in field_names(path, &attrs)? {
                arrays.push(take(&n)?);
            }
            let mut coords = Vec::new();
            for n in coord_names(&attrs) {
                let a = take(&n)?;
                coords.push((n, a.read_all()?));
            }
            (Format::Npz, Backend::Npy(arrays), attrs, coords)
        } else if magic == *b"\x89HDF\r\n\x1a\n" {
            #[cfg(feature = "hdf5")]
            {
                let (h, attrs, coords) = crate::hdf5::Hdf5Reader::open(path)?;
                (Format::Hdf5, Backend::Hdf5(h), attrs, coords)
            }
            #[cfg(not(feature = "hdf5"))]
            return Err(DataError::FeatureDisabled {
                format: "hdf5",
                feature: "hdf5",
            });
        } else {
            return Err(not("not a Zarr store, NPY directory, NPZ or HDF5 file"));
        }
    };
    if metadata.get("complete") != Some(&Value::Bool(true)) {
        return Err(incomplete());
    }
    let samples = metadata
        .get("samples")
        .and_then(Value::as_u64)
        .ok_or_else(|| DataError::malformed(path, "metadata has no 'samples'"))?;
    let dtype = metadata
        .get("dtype")
        .and_then(Value::as_str)
        .and_then(|s| Dtype::parse(s).ok())
        .ok_or_else(|| DataError::malformed(path, "metadata has no valid 'dtype'"))?;
    let fields = field_specs(path, &metadata, samples)?;
    if let Backend::Npy(arrays) = &backend {
        for (a, f) in arrays.iter().zip(&fields) {
            let mut want = vec![samples as usize];
            want.extend(&f.shape);
            if a.header.shape != want || a.header.dtype != dtype {
                return Err(DataError::malformed(
                    &a.path,
                    format!(
                        "array {} is {:?} {:?}, the metadata says {want:?} {dtype:?}",
                        f.name, a.header.shape, a.header.dtype
                    ),
                ));
            }
        }
    }
    Ok(Dataset {
        path: path.to_path_buf(),
        format,
        dtype,
        samples,
        fields,
        coords,
        metadata,
        backend,
    })
}

fn field_names(path: &Path, attrs: &Map<String, Value>) -> Result<Vec<String>, DataError> {
    attrs
        .get("fields")
        .and_then(Value::as_array)
        .ok_or_else(|| DataError::malformed(path, "metadata has no 'fields'"))?
        .iter()
        .map(|f| {
            f.get("name")
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| DataError::malformed(path, "field without a name"))
        })
        .collect()
}

fn coord_names(attrs: &Map<String, Value>) -> Vec<String> {
    attrs
        .get("coords")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The field descriptions of the metadata, with the sample axis removed.
fn field_specs(
    path: &Path,
    attrs: &Map<String, Value>,
    samples: u64,
) -> Result<Vec<FieldSpec>, DataError> {
    let bad = |r: &str| DataError::malformed(path, format!("metadata 'fields': {r}"));
    let list = attrs
        .get("fields")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("missing"))?;
    list.iter()
        .map(|f| {
            let name = f
                .get("name")
                .and_then(Value::as_str)
                .ok_or_else(|| bad("no name"))?;
            let dims: Vec<String> = f
                .get("dims")
                .and_then(Value::as_array)
                .ok_or_else(|| bad("no dims"))?
                .iter()
                .map(|d| d.as_str().map(str::to_string).ok_or_else(|| bad("bad dim")))
                .collect::<Result<_, _>>()?;
            let shape: Vec<usize> = f
                .get("shape")
                .and_then(Value::as_array)
                .ok_or_else(|| bad("no shape"))?
                .iter()
                .map(|d| {
                    d.as_u64()
                        .map(|d| d as usize)
                        .ok_or_else(|| bad("bad shape"))
                })
                .collect::<Result<_, _>>()?;
            if shape.first() != Some(&(samples as usize))
                || dims.first().map(String::as_str) != Some("sample")
                || dims.len() != shape.len()
            {
                return Err(bad("the first axis must be 'sample' of length 'samples'"));
            }
            Ok(FieldSpec {
                name: name.to_string(),
                dims: dims[1..].to_vec(),
                shape: shape[1..].to_vec(),
            })
        })
        .collect()
}
