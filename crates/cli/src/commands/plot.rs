//! `ai4de plot DATASET`: space–time images of 1-D fields, snapshot heat maps of 2-D fields.

use std::path::{Path, PathBuf};

use ai4de_report::{plot_heatmap, HeatPanel, HeatmapPlot};
use anyhow::{bail, Context, Result};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// A dataset written by `ai4de generate` (Zarr, NPY directory, NPZ, HDF5).
    pub dataset: PathBuf,
    /// Sample index.
    #[arg(long, default_value_t = 0)]
    pub sample: u64,
    /// Field name (default: the first field with a time axis, else the first field).
    #[arg(long)]
    pub field: Option<String>,
    /// Number of time snapshots drawn for a 2-D field that evolves in time.
    #[arg(long, default_value_t = 4)]
    pub snapshots: usize,
    /// Output image, .png or .svg (default: DATASET_FIELD_SAMPLE.png next to the dataset).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

pub fn run(args: &Args) -> Result<()> {
    let ds = ai4de_data::open(&args.dataset)?;
    let field = match &args.field {
        Some(f) => ds.field(f)?.1.clone(),
        // The solution trajectory if there is one (a field with a time axis), else the first.
        None => ds
            .fields
            .iter()
            .find(|f| f.dims.first().is_some_and(|d| d == "t"))
            .unwrap_or(&ds.fields[0])
            .clone(),
    };
    let values = ds.read_field(&field.name, args.sample)?;
    let pde = ds
        .metadata
        .get("pde")
        .and_then(|v| v.as_str())
        .unwrap_or("dataset")
        .to_string();
    let extent = |dim: &str, n: usize| -> (f64, f64) {
        match ds.coord(dim) {
            Some(c) if c.len() == n && n > 0 => (c[0], c[n - 1]),
            _ => (0.0, n.saturating_sub(1) as f64),
        }
    };
    let title = format!("{pde}: {} (sample {})", field.name, args.sample);
    let dims: Vec<&str> = field.dims.iter().map(String::as_str).collect();
    let plot = match (dims.as_slice(), field.shape.as_slice()) {
        // [t, x]: space-time image, x across, t up.
        ([d0, d1], &[n0, n1]) if *d0 == "t" => HeatmapPlot::new(title)
            .labels(*d1, *d0)
            .value_label(&field.name)
            .with_panel(HeatPanel::new(
                "",
                values,
                n0,
                n1,
                extent(d1, n1),
                extent(d0, n0),
            )),
        // [x, y]: one map, x across, y up.
        ([d0, d1], &[n0, n1]) => HeatmapPlot::new(title)
            .labels(*d0, *d1)
            .value_label(&field.name)
            .with_panel(HeatPanel::new(
                "",
                transpose(&values, n0, n1),
                n1,
                n0,
                extent(d0, n0),
                extent(d1, n1),
            )),
        // [t, x, y]: snapshots side by side.
        ([d0, d1, d2], &[nt, n1, n2]) => {
            let k = args.snapshots.clamp(1, nt.max(1));
            let times = ds.coord(d0);
            let mut plot = HeatmapPlot::new(title)
                .labels(*d1, *d2)
                .value_label(&field.name);
            for j in 0..k {
                let ti = if k == 1 {
                    nt - 1
                } else {
                    j * (nt - 1) / (k - 1)
                };
                let slice = &values[ti * n1 * n2..(ti + 1) * n1 * n2];
                let caption = match times {
                    Some(t) if t.len() == nt => format!("{d0} = {}", short(t[ti])),
                    _ => format!("{d0} index {ti}"),
                };
                plot = plot.with_panel(HeatPanel::new(
                    caption,
                    transpose(slice, n1, n2),
                    n2,
                    n1,
                    extent(d1, n1),
                    extent(d2, n2),
                ));
            }
            plot
        }
        // [x]: a single row.
        ([d0], &[n0]) => HeatmapPlot::new(title)
            .labels(*d0, "")
            .value_label(&field.name)
            .with_panel(HeatPanel::new(
                "",
                values,
                1,
                n0,
                extent(d0, n0),
                (0.0, 0.0),
            )),
        _ => bail!(
            "field '{}' has dimensions {:?}: only [t, x], [x, y], [t, x, y] and [x] can be plotted",
            field.name,
            field.dims
        ),
    };
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| default_out(&args.dataset, &field.name, args.sample));
    plot_heatmap(&out, &plot).with_context(|| format!("plotting {}", args.dataset.display()))?;
    println!("{}", out.display());
    Ok(())
}

/// Row-major `[a, b]` to `[b, a]`.
fn transpose(v: &[f64], a: usize, b: usize) -> Vec<f64> {
    let mut out = vec![0.0; a * b];
    for i in 0..a {
        for j in 0..b {
            out[j * a + i] = v[i * b + j];
        }
    }
    out
}

fn short(v: f64) -> String {
    let s = format!("{v:.4}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn default_out(dataset: &Path, field: &str, sample: u64) -> PathBuf {
    let stem = dataset
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "dataset".into());
    let dir = dataset
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    dir.join(format!("{stem}_{field}_{sample}.png"))
}
