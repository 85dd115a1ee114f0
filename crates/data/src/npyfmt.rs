//! NPY directories and NPZ files.
//!
//! A run in NPY, NPZ or HDF5 format stages its fields as preallocated `.npy` files (header for
//! the full `[N, ...]` shape written first; each chunk of samples written at its fixed offset),
//! so a resumed run overwrites exactly the unrecorded chunks. NPY output is that directory plus
//! `metadata.json`; NPZ output is assembled from it at the end: an uncompressed ZIP of the
//! `.npy` members (what `numpy.savez` writes, <https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html>)
//! with fixed member timestamps, so the file's bytes depend only on the data.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::error::DataError;
use crate::fsutil::{sync_dir, write_atomic};
use crate::generate::ChunkSink;
use crate::npy::{encode_raw, payload_offset, NpyHeader};
use crate::{Dtype, Layout};

/// Name of the metadata file of an NPY directory and of the metadata member of an NPZ file.
pub(crate) const METADATA_JSON: &str = "metadata.json";
pub(crate) const METADATA_MEMBER: &str = "metadata";

/// The staging (and NPY output) writer.
pub(crate) struct NpySink {
    root: PathBuf,
    files: Vec<(PathBuf, File, u64)>,
    /// Elements of one sample, per field.
    sample_len: Vec<usize>,
    chunk_samples: u64,
    samples: u64,
    dtype: Dtype,
}

impl NpySink {
    /// Creates the field files at their full size (or reopens them on resume, keeping their
    /// data) and writes the coordinate files.
    pub fn create(
        root: &Path,
        layout: &Layout,
        samples: u64,
        chunk_samples: u64,
        dtype: Dtype,
    ) -> Result<Self, DataError> {
        fs::create_dir_all(root).map_err(DataError::io("cannot create", root))?;
        for (name, values) in &layout.coords {
            let mut bytes = encode_raw(Dtype::F64.npy_descr(), &[values.len()]);
            Dtype::F64.encode_into(values, &mut bytes);
            write_atomic(&root.join(format!("{name}.npy")), &bytes)?;
        }
        let mut files = Vec::new();
        let mut sample_len = Vec::new();
        for f in &layout.fields {
            let path = root.join(format!("{}.npy", f.name));
            let mut shape = vec![samples as usize];
            shape.extend(&f.shape);
            let header = NpyHeader { dtype, shape }.encode();
            let len: usize = f.shape.iter().product();
            let total = header.len() as u64 + samples * (len * dtype.size()) as u64;
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .map_err(DataError::io("cannot create", &path))?;
            file.write_all_at(&header, 0)
                .and_then(|()| file.set_len(total))
                .map_err(DataError::io("cannot write", &path))?;
            files.push((path, file, header.len() as u64));
            sample_len.push(len);
        }
        sync_dir(root)?;
        Ok(Self {
            root: root.to_path_buf(),
            files,
            sample_len,
            chunk_samples,
            samples,
            dtype,
        })
    }
}

impl ChunkSink for NpySink {
    fn write(&self, chunk: u64, data: &[Vec<f64>]) -> Result<(), DataError> {
        let first = chunk * self.chunk_samples;
        debug_assert!(first < self.samples);
        let mut bytes = Vec::new();
        for ((path, file, offset), (values, &len)) in
            self.files.iter().zip(data.iter().zip(&self.sample_len))
        {
            bytes.clear();
            self.dtype.encode_into(values, &mut bytes);
            let at = offset + first * (len * self.dtype.size()) as u64;
            file.write_all_at(&bytes, at)
                .map_err(DataError::io("cannot write", path))?;
        }
        Ok(())
    }

    fn sync(&self) -> Result<(), DataError> {
        for (path, file, _) in &self.files {
            file.sync_data()
                .map_err(DataError::io("cannot sync", path))?;
        }
        Ok(())
    }

    fn complete(&self, attrs: Map<String, Value>) -> Result<(), DataError> {
        let text = serde_json::to_string_pretty(&Value::Object(attrs))
            .unwrap_or_else(|_| "{}".to_string());
        write_atomic(&self.root.join(METADATA_JSON), text.as_bytes())
    }
}

/// Assembles `out` (written atomically) as an NPZ file from the staged NPY directory `dir`: the
/// fields and coordinates in `names` order, then `metadata` (the JSON text as `uint8`).
pub(crate) fn build_npz(
    dir: &Path,
    names: &[String],
    attrs: &Map<String, Value>,
    out: &Path,
) -> Result<(), DataError> {
    use zip::write::SimpleFileOptions;
    let zerr = |e: zip::result::ZipError| DataError::Zip {
        path: out.to_path_buf(),
        reason: e.to_string(),
    };
    let tmp = crate::fsutil::parent(out).join(format!(
        ".{}.tmp-{}",
        out.file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default(),
        std::process::id()
    ));
    let result = (|| {
        let file = File::create(&tmp).map_err(DataError::io("cannot create", &tmp))?;
        let mut zip = zip::ZipWriter::new(std::io::BufWriter::new(file));
        let member = |size: u64| {
            SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Stored)
                .last_modified_time(zip::DateTime::default())
                .large_file(size >= u64::from(u32::MAX))
        };
        for name in names {
            let path = dir.join(format!("{name}.npy"));
            let mut src = File::open(&path).map_err(DataError::io("cannot open", &path))?;
            let size = src
                .metadata()
                .map_err(DataError::io("cannot read", &path))?
                .len();
            zip.start_file(format!("{name}.npy"), member(size))
                .map_err(zerr)?;
            std::io::copy(&mut src, &mut zip).map_err(DataError::io("cannot write", &tmp))?;
        }
        let json = serde_json::to_vec(&Value::Object(attrs.clone())).unwrap_or_default();
        let mut bytes = encode_raw("|u1", &[json.len()]);
        bytes.extend_from_slice(&json);
        zip.start_file(format!("{METADATA_MEMBER}.npy"), member(bytes.len() as u64))
            .map_err(zerr)?;
        zip.write_all(&bytes)
            .map_err(DataError::io("cannot write", &tmp))?;
        let buf = zip.finish().map_err(zerr)?;
        let file = buf
            .into_inner()
            .map_err(|e| DataError::io("cannot write", &tmp)(e.into_error()))?;
        file.sync_all()
            .map_err(DataError::io("cannot sync", &tmp))?;
        fs::rename(&tmp, out).map_err(DataError::io("cannot rename to", out))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// One array of an NPY directory or NPZ file, read sample by sample at fixed offsets.
pub(crate) struct NpyArray {
    pub path: PathBuf,
    file: File,
    /// Offset of element 0 in `file`.
    data_start: u64,
    pub header: NpyHeader,
}

impl NpyArray {
    fn open_at(path: &Path, file: File, start: u64) -> Result<Self, DataError> {
        let mut head = vec![0u8; 4096];
        let n =
            read_at_most(&file, &mut head, start).map_err(DataError::io("cannot read", path))?;
        head.truncate(n);
        let (header, off) = NpyHeader::parse(&head, path)?;
        let end = start + off as u64 + (header.len() * header.dtype.size()) as u64;
        let size = file
            .metadata()
            .map_err(DataError::io("cannot read", path))?
            .len();
        if size < end {
            return Err(DataError::malformed(path, "truncated array data"));
        }
        Ok(Self {
            path: path.to_path_buf(),
            file,
            data_start: start + off as u64,
            header,
        })
    }

    /// Opens a `.npy` file.
    pub fn open(path: &Path) -> Result<Self, DataError> {
        let file = File::open(path).map_err(DataError::io("cannot open", path))?;
        Self::open_at(path, file, 0)
    }

    /// Elements `[from, from + count)` (flat, row-major) as `f64`.
    pub fn read_range(&self, from: u64, count: usize) -> Result<Vec<f64>, DataError> {
        let size = self.header.dtype.size();
        let mut bytes = vec![0u8; count * size];
        self.file
            .read_exact_at(&mut bytes, self.data_start + from * size as u64)
            .map_err(DataError::io("cannot read", &self.path))?;
        Ok(self.header.dtype.decode(&bytes))
    }

    /// The whole array.
    pub fn read_all(&self) -> Result<Vec<f64>, DataError> {
        self.read_range(0, self.header.len())
    }
}

fn read_at_most(file: &File, buf: &mut [u8], at: u64) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match file.read_at(&mut buf[n..], at + n as u64)? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// Copies a compressed archive member into a new temporary file, unlinked at once (the open
/// handle keeps it alive until the array is dropped), and returns the handle.
fn inflate_to_temp(member: &mut impl Read, path: &Path) -> Result<File, DataError> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let tmp = std::env::temp_dir().join(format!(
        "ai4de-npz-{}-{}.npy",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&tmp)
        .map_err(DataError::io("cannot create a temporary file for", &tmp))?;
    let copied = std::io::copy(member, &mut f);
    let _ = std::fs::remove_file(&tmp);
    copied.map_err(DataError::io("cannot inflate a member of", path))?;
    Ok(f)
}

/// The `.npy` members of an NPZ file (name without `.npy`, array).
pub(crate) type NpzMembers = Vec<(String, NpyArray)>;

/// The members of an NPZ file: `.npy` arrays opened for random access (stored members in place,
/// deflated ones — `numpy.savez_compressed` — inflated into temporary files), and the
/// `metadata` member's JSON if present.
pub(crate) fn open_npz(path: &Path) -> Result<(NpzMembers, Option<Map<String, Value>>), DataError> {
    let zerr = |e: zip::result::ZipError| DataError::Zip {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    let file = File::open(path).map_err(DataError::io("cannot open", path))?;
    let mut archive = zip::ZipArchive::new(file).map_err(zerr)?;
    let mut arrays = Vec::new();
    let mut metadata = None;
    for i in 0..archive.len() {
        let mut member = archive.by_index(i).map_err(zerr)?;
        let Some(name) = member.name().strip_suffix(".npy").map(str::to_string) else {
            continue;
        };
        if name == METADATA_MEMBER {
            let mut bytes = Vec::new();
            member
                .read_to_end(&mut bytes)
                .map_err(DataError::io("cannot read", path))?;
            let off = payload_offset(&bytes)
                .ok_or_else(|| DataError::malformed(path, "bad metadata member"))?;
            metadata = serde_json::from_slice::<Value>(&bytes[off..])
                .ok()
                .and_then(|v| v.as_object().cloned());
            continue;
        }
        if member.compression() == zip::CompressionMethod::Stored {
            let start = member.data_start();
            drop(member);
            let mut f = File::open(path).map_err(DataError::io("cannot open", path))?;
            f.seek(SeekFrom::Start(0))
                .map_err(DataError::io("cannot read", path))?;
            arrays.push((name, NpyArray::open_at(path, f, start)?));
        } else {
            // numpy.savez_compressed: inflate the member once into an unlinked temporary file,
            // which then serves random access like a stored member.
            let f = inflate_to_temp(&mut member, path)?;
            arrays.push((name, NpyArray::open_at(path, f, 0)?));
        }
    }
    Ok((arrays, metadata))
}
