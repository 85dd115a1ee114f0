//! Time-series input shared by `ai4de discover` and `ai4de fit`: CSV with a `t,<name>,...`
//! header row, and NPZ archives with arrays `t` (n) and `y` (n × dim, one row per time).

use std::path::Path;

use anyhow::{bail, Context, Result};
use ndarray::{Array1, Array2};

/// A time series read from CSV: column names after `t`, the times, and the values row by row
/// (`values[i * names.len() + k]` is column `k` at `times[i]`).
pub struct CsvSeries {
    pub names: Vec<String>,
    pub times: Vec<f64>,
    pub values: Vec<f64>,
}

/// Reads `t,<column>,...` CSV. Blank lines are skipped, and lines starting with `#` too when
/// `comments` is set; `column` names the kind of column in the header error (`state`, `name`).
pub fn read_csv(path: &Path, column: &str, comments: bool) -> Result<CsvSeries> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && (!comments || !l.starts_with('#')));
    let (_, header) = lines
        .next()
        .with_context(|| format!("{} is empty", path.display()))?;
    let cols: Vec<String> = header.split(',').map(|s| s.trim().to_string()).collect();
    if cols.len() < 2 || cols[0] != "t" {
        bail!(
            "{}: the header must be 't,<{column}>,...' (got '{header}')",
            path.display()
        );
    }
    let mut times = Vec::new();
    let mut values = Vec::new();
    for (ln, line) in lines {
        let vals: Vec<&str> = line.split(',').collect();
        if vals.len() != cols.len() {
            bail!(
                "{} line {}: {} values, the header has {}",
                path.display(),
                ln + 1,
                vals.len(),
                cols.len()
            );
        }
        for (k, v) in vals.iter().enumerate() {
            let x: f64 = v.trim().parse().with_context(|| {
                format!("{} line {}: '{v}' is not a number", path.display(), ln + 1)
            })?;
            if k == 0 {
                times.push(x);
            } else {
                values.push(x);
            }
        }
    }
    Ok(CsvSeries {
        names: cols[1..].to_vec(),
        times,
        values,
    })
}

/// Reads arrays `t` and `y` (also as `t.npy`, `y.npy`) from an NPZ archive and checks that `y`
/// has one row per time; `y_what` describes `y` in the error when it is missing.
pub fn read_npz(path: &Path, y_what: &str) -> Result<(Array1<f64>, Array2<f64>)> {
    use ndarray_npy::NpzReader;
    let f = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut npz =
        NpzReader::new(f).with_context(|| format!("{} is not an NPZ archive", path.display()))?;
    let t: Array1<f64> = npz
        .by_name("t")
        .or_else(|_| npz.by_name("t.npy"))
        .with_context(|| format!("{}: no 1-D float64 array 't'", path.display()))?;
    let y: Array2<f64> = npz
        .by_name("y")
        .or_else(|_| npz.by_name("y.npy"))
        .with_context(|| format!("{}: no 2-D float64 array 'y'{y_what}", path.display()))?;
    if y.nrows() != t.len() {
        bail!(
            "{}: y has {} rows but t has {} times",
            path.display(),
            y.nrows(),
            t.len()
        );
    }
    Ok((t, y))
}
