//! HDF5 in PDEBench's layout (cargo feature `hdf5`, crate `hdf5-metno`, needs libhdf5).
//!
//! PDEBench (Takamoto et al., NeurIPS 2022; <https://github.com/pdebench/PDEBench>, README
//! "Data format") stores
//! * 1-D problems (and Darcy) as one dataset `tensor` `[N, nt, nx]` (`[N, 1, nx, ny]` for Darcy)
//!   with `x-coordinate`, `y-coordinate`, `t-coordinate`;
//! * 2-D time-dependent problems as one group per sample `0000`, `0001`, ... holding `data`
//!   `[nt, nx, ny, channels]` and `grid/x`, `grid/y`, `grid/t`.
//!
//! ai4de writes the same: all `[t, x, y]` fields become the channels of `NNNN/data` (other
//! fields are `NNNN/<name>`); otherwise the first field with a time axis (or the first field)
//! is `tensor` and the others are datasets `[N, ...]` under their own names. The ai4de
//! metadata is the JSON string attribute `ai4de` of the root. Coordinates are float64.
//! The reader opens ai4de's files and genuine PDEBench files (fields `tensor` or `data`).

use std::path::{Path, PathBuf};

use hdf5::types::VarLenUnicode;
use hdf5::{Hyperslab, SliceOrIndex};
use serde_json::{json, Map, Value};

use crate::error::DataError;
use crate::fsutil::parent;
use crate::npyfmt::NpyArray;
use crate::zarr::Coords;
use crate::{Dtype, Layout};

fn herr(path: &Path) -> impl Fn(hdf5::Error) -> DataError + '_ {
    move |e| DataError::Hdf5 {
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}

fn is_txy(dims: &[String]) -> bool {
    dims.len() == 3 && dims[0] == "t" && dims[1] == "x" && dims[2] == "y"
}

/// PDEBench's name for coordinate `c`.
fn coord_name(c: &str) -> String {
    format!("{c}-coordinate")
}

fn write_values(
    group: &hdf5::Group,
    name: &str,
    shape: &[usize],
    values: &[f64],
    dtype: Dtype,
) -> hdf5::Result<()> {
    match dtype {
        Dtype::F32 => {
            let v: Vec<f32> = values.iter().map(|&x| x as f32).collect();
            group
                .new_dataset::<f32>()
                .shape(shape)
                .create(name)?
                .write_raw(&v)
        }
        Dtype::F64 => group
            .new_dataset::<f64>()
            .shape(shape)
            .create(name)?
            .write_raw(values),
    }
}

/// Assembles the HDF5 file `out` (atomically) from the staged NPY directory `dir`.
pub(crate) fn write_pdebench(
    dir: &Path,
    layout: &Layout,
    attrs: &Map<String, Value>,
    out: &Path,
) -> Result<(), DataError> {
    let tmp = parent(out).join(format!(
        ".{}.tmp-{}",
        out.file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default(),
        std::process::id()
    ));
    let e = herr(&tmp);
    let samples = attrs.get("samples").and_then(Value::as_u64).unwrap_or(0) as usize;
    let dtype = attrs
        .get("dtype")
        .and_then(Value::as_str)
        .and_then(|s| Dtype::parse(s).ok())
        .unwrap_or_default();
    let arrays = layout
        .fields
        .iter()
        .map(|f| NpyArray::open(&dir.join(format!("{}.npy", f.name))))
        .collect::<Result<Vec<_>, _>>()?;
    let result = (|| {
        let file = hdf5::File::create(&tmp).map_err(&e)?;
        let text: VarLenUnicode = serde_json::to_string(&Value::Object(attrs.clone()))
            .unwrap_or_default()
            .parse()
            .map_err(|err: hdf5::types::StringError| DataError::Hdf5 {
                path: tmp.clone(),
                reason: err.to_string(),
            })?;
        file.new_attr::<VarLenUnicode>()
            .shape(())
            .create("ai4de")
            .and_then(|a| a.write_scalar(&text))
            .map_err(&e)?;
        let channels: Vec<usize> = (0..layout.fields.len())
            .filter(|&j| is_txy(&layout.fields[j].dims))
            .collect();
        if !channels.is_empty() {
            let shape = &layout.fields[channels[0]].shape;
            let len: usize = shape.iter().product();
            let c = channels.len();
            let mut data = vec![0.0; len * c];
            for i in 0..samples {
                let g = file.create_group(&format!("{i:04}")).map_err(&e)?;
                for (ch, &j) in channels.iter().enumerate() {
                    let v = arrays[j].read_range((i * len) as u64, len)?;
                    for (p, x) in v.into_iter().enumerate() {
                        data[p * c + ch] = x;
                    }
                }
                write_values(&g, "data", &[shape[0], shape[1], shape[2], c], &data, dtype)
                    .map_err(&e)?;
                for (j, f) in layout.fields.iter().enumerate() {
                    if !channels.contains(&j) {
                        let n: usize = f.shape.iter().product();
                        let v = arrays[j].read_range((i * n) as u64, n)?;
                        write_values(&g, &f.name, &f.shape, &v, dtype).map_err(&e)?;
                    }
                }
                let grid = g.create_group("grid").map_err(&e)?;
                for (name, values) in &layout.coords {
                    write_values(&grid, name, &[values.len()], values, Dtype::F64).map_err(&e)?;
                }
            }
        } else {
            let main = layout
                .fields
                .iter()
                .position(|f| f.dims.first().is_some_and(|d| d == "t"))
                .unwrap_or(0);
            for (j, f) in layout.fields.iter().enumerate() {
                let name = if j == main { "tensor" } else { f.name.as_str() };
                let n: usize = f.shape.iter().product();
                let mut shape = vec![samples];
                shape.extend(&f.shape);
                let v = arrays[j].read_range(0, n * samples)?;
                write_values(&file, name, &shape, &v, dtype).map_err(&e)?;
            }
            for (name, values) in &layout.coords {
                write_values(
                    &file,
                    &coord_name(name),
                    &[values.len()],
                    values,
                    Dtype::F64,
                )
                .map_err(&e)?;
            }
        }
        file.close().map_err(&e)?;
        std::fs::File::open(&tmp)
            .and_then(|f| f.sync_all())
            .map_err(DataError::io("cannot sync", &tmp))?;
        std::fs::rename(&tmp, out).map_err(DataError::io("cannot rename to", out))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

enum Mode {
    /// `tensor` and named datasets `[N, ...]`; dataset name per field.
    Tensor(Vec<String>),
    /// Per-sample groups: for each field, `Some(channel)` of `data` or `None` (own dataset).
    PerSample(Vec<Option<usize>>, usize),
}

/// An HDF5 file opened for reading.
pub(crate) struct Hdf5Reader {
    path: PathBuf,
    file: hdf5::File,
    mode: Mode,
    names: Vec<String>,
}

fn read_f64(ds: &hdf5::Dataset, path: &Path) -> Result<Vec<f64>, DataError> {
    ds.read_raw::<f64>().map_err(herr(path))
}

impl Hdf5Reader {
    /// Opens `path`: an ai4de file (metadata in the `ai4de` attribute) or a PDEBench file
    /// (metadata synthesised from the datasets' shapes).
    pub fn open(path: &Path) -> Result<(Self, Map<String, Value>, Coords), DataError> {
        let e = herr(path);
        let file = hdf5::File::open(path).map_err(&e)?;
        let per_sample = file.link_exists("0000");
        let attrs = match file.attr("ai4de") {
            Ok(a) => {
                let s: VarLenUnicode = a.read_scalar().map_err(&e)?;
                serde_json::from_str::<Value>(s.as_str())
                    .ok()
                    .and_then(|v| v.as_object().cloned())
                    .ok_or_else(|| DataError::malformed(path, "bad ai4de attribute"))?
            }
            Err(_) => Self::pdebench_metadata(&file, path, per_sample)?,
        };
        let field_dims: Vec<(String, Vec<String>)> = attrs
            .get("fields")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|f| {
                        let name = f.get("name")?.as_str()?.to_string();
                        let dims = f
                            .get("dims")?
                            .as_array()?
                            .iter()
                            .skip(1)
                            .filter_map(|d| d.as_str().map(str::to_string))
                            .collect();
                        Some((name, dims))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let names: Vec<String> = field_dims.iter().map(|(n, _)| n.clone()).collect();
        let coord_names: Vec<String> = attrs
            .get("coords")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        let native = !attrs.contains_key("pdebench");
        let (mode, coords) = if per_sample {
            let mut ch = 0;
            let map: Vec<Option<usize>> = field_dims
                .iter()
                .map(|(n, d)| {
                    if !native && n == "data" {
                        Some(usize::MAX)
                    } else if native && is_txy(d) {
                        ch += 1;
                        Some(ch - 1)
                    } else {
                        None
                    }
                })
                .collect();
            let grid = file.group("0000/grid").map_err(&e)?;
            let coords = coord_names
                .iter()
                .map(|c| Ok((c.clone(), read_f64(&grid.dataset(c).map_err(&e)?, path)?)))
                .collect::<Result<Vec<_>, DataError>>()?;
            (Mode::PerSample(map, ch), coords)
        } else {
            let main = field_dims
                .iter()
                .position(|(_, d)| d.first().is_some_and(|x| x == "t"))
                .unwrap_or(0);
            let ds_names = field_dims
                .iter()
                .enumerate()
                .map(|(j, (n, _))| {
                    if j == main && native {
                        "tensor".to_string()
                    } else {
                        n.clone()
                    }
                })
                .collect();
            let coords = coord_names
                .iter()
                .map(|c| {
                    let ds = file.dataset(&coord_name(c)).map_err(&e)?;
                    Ok((c.clone(), read_f64(&ds, path)?))
                })
                .collect::<Result<Vec<_>, DataError>>()?;
            (Mode::Tensor(ds_names), coords)
        };
        Ok((
            Self {
                path: path.to_path_buf(),
                file,
                mode,
                names,
            },
            attrs,
            coords,
        ))
    }

    /// Metadata for a PDEBench file written by PDEBench itself.
    fn pdebench_metadata(
        file: &hdf5::File,
        path: &Path,
        per_sample: bool,
    ) -> Result<Map<String, Value>, DataError> {
        let e = herr(path);
        let axes = ["t", "x", "y", "z"];
        let (fields, samples, dtype_size, coords) = if per_sample {
            let n = file
                .member_names()
                .map_err(&e)?
                .iter()
                .filter(|m| m.chars().all(|c| c.is_ascii_digit()))
                .count();
            let ds = file.dataset("0000/data").map_err(&e)?;
            let shape = ds.shape();
            let mut dims: Vec<&str> = axes[..shape.len().saturating_sub(1).min(4)].to_vec();
            dims.push("channel");
            let mut full = vec![n];
            full.extend(&shape);
            let mut d = vec!["sample"];
            d.extend(dims);
            let grid = file.group("0000/grid").map_err(&e)?;
            let coords: Vec<&str> = ["t", "x", "y"]
                .into_iter()
                .filter(|c| grid.link_exists(c))
                .collect();
            (
                vec![json!({"name": "data", "dims": d, "shape": full})],
                n,
                ds.dtype().map_err(&e)?.size(),
                coords,
            )
        } else {
            let ds = file.dataset("tensor").map_err(&e)?;
            let shape = ds.shape();
            let mut d = vec!["sample"];
            d.extend(&axes[..shape.len().saturating_sub(1).min(4)]);
            let coords: Vec<&str> = ["t", "x", "y"]
                .into_iter()
                .filter(|c| file.link_exists(&coord_name(c)))
                .collect();
            let mut fields = vec![json!({"name": "tensor", "dims": d, "shape": shape})];
            // Other per-sample arrays next to `tensor` (e.g. the permeability `nu` [N, x, y]
            // of PDEBench's Darcy files): a root dataset with the same leading length that is
            // not a coordinate. They have no time axis.
            let mut extra = file.member_names().map_err(&e)?;
            extra.sort();
            for name in extra {
                if name == "tensor" || name.ends_with("-coordinate") {
                    continue;
                }
                let Ok(ds) = file.dataset(&name) else {
                    continue;
                };
                let s = ds.shape();
                if s.len() < 2 || s[0] != shape[0] {
                    continue;
                }
                let mut d = vec!["sample"];
                d.extend(&axes[1..s.len().min(4)]);
                fields.push(json!({"name": name, "dims": d, "shape": s}));
            }
            (fields, shape[0], ds.dtype().map_err(&e)?.size(), coords)
        };
        let mut m = Map::new();
        m.insert("complete".into(), json!(true));
        m.insert("pdebench".into(), json!(true));
        m.insert(
            "pde".into(),
            json!(path.file_stem().map(|s| s.to_string_lossy().into_owned())),
        );
        m.insert("samples".into(), json!(samples));
        m.insert(
            "dtype".into(),
            json!(if dtype_size == 8 { "f64" } else { "f32" }),
        );
        m.insert("fields".into(), json!(fields));
        m.insert("coords".into(), json!(coords));
        Ok(m)
    }

    /// Sample `index` of field number `field` (`len` values), flattened.
    pub fn read(&self, field: usize, index: u64, len: usize) -> Result<Vec<f64>, DataError> {
        let e = herr(&self.path);
        let i = index as usize;
        match &self.mode {
            Mode::Tensor(names) => {
                let ds = self.file.dataset(&names[field]).map_err(&e)?;
                let mut sel = vec![SliceOrIndex::from(i..i + 1)];
                sel.extend((1..ds.ndim()).map(|_| SliceOrIndex::from(..)));
                let a = ds
                    .read_slice::<f64, _, ndarray::IxDyn>(Hyperslab::from(sel))
                    .map_err(&e)?;
                Ok(a.iter().copied().collect())
            }
            Mode::PerSample(map, channels) => {
                let g = self.file.group(&format!("{i:04}")).map_err(&e)?;
                match map[field] {
                    Some(usize::MAX) => read_f64(&g.dataset("data").map_err(&e)?, &self.path),
                    None => read_f64(&g.dataset(&self.names[field]).map_err(&e)?, &self.path),
                    Some(ch) => {
                        let all = read_f64(&g.dataset("data").map_err(&e)?, &self.path)?;
                        let c = *channels;
                        let v: Vec<f64> = all.iter().skip(ch).step_by(c).copied().collect();
                        if v.len() != len {
                            return Err(DataError::malformed(
                                &self.path,
                                "data has the wrong shape",
                            ));
                        }
                        Ok(v)
                    }
                }
            }
        }
    }
}
