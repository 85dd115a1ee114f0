//! `ai4de generate <pde>`: a dataset of PDE solutions.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use ai4de_data::{Dtype, Format, GenerateOptions};
use ai4de_pde::GenConfig;
use anyhow::{bail, Context, Result};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// PDE name (see `ai4de pdes`).
    pub pde: String,
    /// Number of samples.
    #[arg(long)]
    pub samples: u64,
    /// Grid points per spatial dimension: `64` or `64,64` (default: the PDE's).
    #[arg(long, value_name = "N | NX,NY")]
    pub grid: Option<String>,
    /// Number of output time points including t = 0 (default: the PDE's).
    #[arg(long)]
    pub steps: Option<usize>,
    /// Parameter override, repeatable (see `ai4de pdes`).
    #[arg(long = "param", value_name = "NAME=VALUE", allow_hyphen_values = true)]
    pub params: Vec<String>,
    /// Dataset seed: sample i depends only on (seed, i).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// zarr (default), npy (a directory), npz or hdf5 (PDEBench layout, needs the `hdf5`
    /// feature). Default: from the --out extension (.npz, .h5/.hdf5, .npy), else zarr.
    #[arg(long)]
    pub format: Option<String>,
    /// Element type of the fields: f32 (as FNO and PDEBench) or f64.
    #[arg(long, default_value = "f32")]
    pub dtype: String,
    /// Worker threads (default: all cores); the output does not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Samples per chunk (Zarr chunk along the sample axis; unit of resumption).
    #[arg(long, default_value_t = 1)]
    pub chunk: usize,
    /// Overwrite an existing dataset or discard an interrupted run with another configuration.
    #[arg(long)]
    pub force: bool,
    /// Output path.
    #[arg(long)]
    pub out: PathBuf,
}

/// Parses `name=value` overrides.
fn parse_params(list: &[String]) -> Result<BTreeMap<String, f64>> {
    let mut out = BTreeMap::new();
    for p in list {
        let (name, value) = p
            .split_once('=')
            .with_context(|| format!("--param '{p}': expected NAME=VALUE"))?;
        let v: f64 = value
            .trim()
            .parse()
            .with_context(|| format!("--param {name}: '{value}' is not a number"))?;
        if !v.is_finite() {
            bail!("--param {name}: {v} is not a finite number");
        }
        out.insert(name.trim().to_string(), v);
    }
    Ok(out)
}

fn parse_grid(s: &str) -> Result<Vec<usize>> {
    s.split([',', 'x'])
        .map(|n| {
            n.trim()
                .parse::<usize>()
                .with_context(|| format!("--grid '{s}': '{n}' is not a positive integer"))
        })
        .collect()
}

fn format_of(args: &Args) -> Result<Format> {
    if let Some(f) = &args.format {
        return Ok(Format::parse(f)?);
    }
    let ext = args
        .out
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    Ok(match ext.as_deref() {
        Some("npz") => Format::Npz,
        Some("h5" | "hdf5") => Format::Hdf5,
        Some("npy") => Format::Npy,
        _ => Format::Zarr,
    })
}

/// `12.3 MiB`.
pub fn human_bytes(b: u64) -> String {
    let mut v = b as f64;
    for unit in ["B", "KiB", "MiB", "GiB"] {
        if v < 1024.0 {
            return if unit == "B" {
                format!("{b} B")
            } else {
                format!("{v:.1} {unit}")
            };
        }
        v /= 1024.0;
    }
    format!("{v:.1} TiB")
}

pub fn run(args: &Args) -> Result<()> {
    let pde = ai4de_pde::get(&args.pde)?;
    let cfg = GenConfig {
        grid: args
            .grid
            .as_deref()
            .map(parse_grid)
            .transpose()?
            .unwrap_or_default(),
        steps: args.steps,
        params: parse_params(&args.params)?,
    };
    let mut opts = GenerateOptions::new(args.samples, args.out.clone());
    opts.seed = args.seed;
    opts.format = format_of(args)?;
    opts.dtype = Dtype::parse(&args.dtype)?;
    if let Some(t) = args.threads {
        opts.threads = t;
    }
    opts.chunk_samples = args.chunk;
    opts.force = args.force;
    let progress = ai4de_data::auto_progress(&args.pde);
    let report = ai4de_data::generate(pde.as_ref(), &cfg, &opts, progress.as_ref())
        .with_context(|| format!("generating {} into {}", args.pde, args.out.display()))?;
    let mut out = std::io::stdout().lock();
    let resumed = report.samples - report.computed;
    writeln!(
        out,
        "{}: {} samples ({}, {}) -> {} [{}]",
        args.pde,
        report.samples,
        report.format.name(),
        report.dtype.name(),
        display(&report.path),
        human_bytes(report.bytes)
    )?;
    writeln!(
        out,
        "computed {} samples in {:.2} s: {:.2} samples/s on {} threads{}",
        report.computed,
        report.seconds,
        report.samples_per_second(),
        report.threads,
        if resumed > 0 {
            format!(" (resumed: {resumed} samples were already done)")
        } else {
            String::new()
        }
    )?;
    Ok(())
}

fn display(p: &Path) -> String {
    p.display().to_string()
}
