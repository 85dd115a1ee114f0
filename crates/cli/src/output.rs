//! Writing solutions: JSON, CSV, NPY/NPZ, always atomically (temp file + rename).

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use ai4de_ode::Solution;
use anyhow::{bail, Context, Result};
use ndarray::{Array1, Array2};
use ndarray_npy::{NpzWriter, WriteNpyExt};
use serde::Serialize;

/// Output formats of `ai4de solve`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
    /// One `(n_times, 1 + dim)` array, time in column 0.
    Npy,
    /// Arrays `t` (n_times) and `y` (n_times × dim).
    Npz,
}

impl Format {
    pub fn parse(s: &str) -> Result<Self> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "json" => Format::Json,
            "csv" => Format::Csv,
            "npy" => Format::Npy,
            "npz" => Format::Npz,
            other => bail!("unknown format '{other}' (known: json, csv, npy, npz)"),
        })
    }

    /// The format a file name asks for, if its extension names one.
    pub fn from_path(path: &Path) -> Option<Self> {
        path.extension()
            .and_then(|e| e.to_str())
            .and_then(|e| Self::parse(e).ok())
    }
}

/// Writes `path` atomically: the bytes go to a temporary file in the same directory, which is
/// synced and then renamed over `path`, so a reader never sees a half-written file.
pub fn write_atomic(path: &Path, write: impl FnOnce(&mut fs::File) -> Result<()>) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .with_context(|| format!("{} is not a file path", path.display()))?
        .to_string_lossy();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| -> Result<()> {
        let mut f =
            fs::File::create(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
        write(&mut f)?;
        f.flush()?;
        f.sync_all()?;
        fs::rename(&tmp, path)
            .with_context(|| format!("cannot move {} to {}", tmp.display(), path.display()))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.with_context(|| format!("writing {}", path.display()))
}

/// Metadata written with a solution.
pub struct Meta<'a> {
    pub problem: &'a str,
    pub method: &'a str,
    pub rtol: f64,
    pub atol: f64,
    pub state_names: &'a [String],
    pub params: Vec<(&'a str, f64)>,
}

#[derive(Serialize)]
struct StatsJson {
    steps: usize,
    accepted: usize,
    rejected: usize,
    f_evals: usize,
    jac_evals: usize,
    lu_decomps: usize,
    lin_solves: usize,
    newton_iters: usize,
    newton_failures: usize,
    lin_iters: usize,
    prec_setups: usize,
    prec_solves: usize,
}

#[derive(Serialize)]
struct EventJson<'a> {
    event: usize,
    t: f64,
    y: &'a [f64],
}

#[derive(Serialize)]
struct SolutionJson<'a> {
    problem: &'a str,
    method: &'a str,
    rtol: f64,
    atol: f64,
    state_names: &'a [String],
    params: serde_json::Map<String, serde_json::Value>,
    t: &'a [f64],
    y: Vec<&'a [f64]>,
    stats: StatsJson,
    events: Vec<EventJson<'a>>,
    terminated_by_event: Option<usize>,
}

/// The JSON object of one solve.
pub fn to_json(meta: &Meta<'_>, sol: &Solution) -> Result<String> {
    let obj = SolutionJson {
        problem: meta.problem,
        method: meta.method,
        rtol: meta.rtol,
        atol: meta.atol,
        state_names: meta.state_names,
        params: meta
            .params
            .iter()
            .map(|(k, v)| (k.to_string(), serde_json::json!(v)))
            .collect(),
        t: &sol.t,
        y: sol.rows().collect(),
        stats: StatsJson {
            steps: sol.stats.steps,
            accepted: sol.stats.accepted,
            rejected: sol.stats.rejected,
            f_evals: sol.stats.f_evals,
            jac_evals: sol.stats.jac_evals,
            lu_decomps: sol.stats.lu_decomps,
            lin_solves: sol.stats.lin_solves,
            newton_iters: sol.stats.newton_iters,
            newton_failures: sol.stats.newton_failures,
            lin_iters: sol.stats.lin_iters,
            prec_setups: sol.stats.prec_setups,
            prec_solves: sol.stats.prec_solves,
        },
        events: sol
            .events
            .iter()
            .map(|e| EventJson {
                event: e.event,
                t: e.t,
                y: &e.y,
            })
            .collect(),
        terminated_by_event: sol.terminated_by,
    };
    Ok(serde_json::to_string(&obj)?)
}

/// CSV with a header row `t,<state names>`; numbers in shortest round-trip form.
pub fn write_csv(w: &mut impl Write, meta: &Meta<'_>, sol: &Solution) -> io::Result<()> {
    write!(w, "t")?;
    for name in meta.state_names {
        write!(w, ",{name}")?;
    }
    writeln!(w)?;
    for (t, row) in sol.t.iter().zip(sol.rows()) {
        write!(w, "{t:?}")?;
        for v in row {
            write!(w, ",{v:?}")?;
        }
        writeln!(w)?;
    }
    Ok(())
}

fn y_array(sol: &Solution) -> Result<Array2<f64>> {
    Ok(Array2::from_shape_vec((sol.len(), sol.dim), sol.y.clone())?)
}

/// Writes the solution to `path` in `format`, atomically.
pub fn write_solution(path: &Path, format: Format, meta: &Meta<'_>, sol: &Solution) -> Result<()> {
    match format {
        Format::Json => {
            let s = to_json(meta, sol)?;
            write_atomic(path, |f| Ok(f.write_all(s.as_bytes())?))
        }
        Format::Csv => write_atomic(path, |f| {
            let mut w = io::BufWriter::new(f);
            write_csv(&mut w, meta, sol)?;
            w.flush()?;
            Ok(())
        }),
        Format::Npy => {
            let mut a = Array2::<f64>::zeros((sol.len(), sol.dim + 1));
            for (i, (t, row)) in sol.t.iter().zip(sol.rows()).enumerate() {
                a[[i, 0]] = *t;
                for (j, v) in row.iter().enumerate() {
                    a[[i, j + 1]] = *v;
                }
            }
            write_atomic(path, |f| Ok(a.write_npy(io::BufWriter::new(f))?))
        }
        Format::Npz => {
            let t = Array1::from(sol.t.clone());
            let y = y_array(sol)?;
            write_atomic(path, |f| {
                let mut npz = NpzWriter::new(f);
                npz.add_array("t", &t)?;
                npz.add_array("y", &y)?;
                npz.finish()?;
                Ok(())
            })
        }
    }
}
