//! File-system helpers: atomic writes, directory syncs, sizes.

use std::fs;
use std::io::Write;
use std::path::Path;

use crate::error::DataError;

/// Writes `bytes` to `path` atomically: a temporary file in the same directory is written,
/// synced and renamed over `path`; the directory is synced after the rename.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), DataError> {
    let dir = parent(path);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut f = fs::File::create(&tmp).map_err(DataError::io("cannot create", &tmp))?;
        f.write_all(bytes)
            .and_then(|()| f.sync_all())
            .map_err(DataError::io("cannot write", &tmp))?;
        fs::rename(&tmp, path).map_err(DataError::io("cannot rename to", path))?;
        sync_dir(&dir)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// The directory holding `path` (`.` for a bare file name).
pub(crate) fn parent(path: &Path) -> std::path::PathBuf {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => Path::new(".").to_path_buf(),
    }
}

/// `fsync` on a directory, so that entries created in it survive a power loss.
pub(crate) fn sync_dir(path: &Path) -> Result<(), DataError> {
    fs::File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(DataError::io("cannot sync", path))
}

/// Total size in bytes of a file or of every file under a directory.
pub(crate) fn size_on_disk(path: &Path) -> u64 {
    let Ok(meta) = fs::symlink_metadata(path) else {
        return 0;
    };
    if meta.is_dir() {
        fs::read_dir(path)
            .map(|it| {
                it.filter_map(Result::ok)
                    .map(|e| size_on_disk(&e.path()))
                    .sum()
            })
            .unwrap_or(0)
    } else {
        meta.len()
    }
}
