//! `ai4de discover`: SINDy on a CSV/NPZ time series or on a simulated catalogue problem.

use std::path::{Path, PathBuf};
use std::time::Instant;

use ai4de_discover::{
    Criterion, Derivative, Differentiation, Ensemble, Library, Model, Optimizer, Penalty, Sindy,
    Sr3, Stlsq, Threshold, TimeSeries, WeakForm,
};
use ai4de_ode::{problems, Method, SaveAt, Solve};
use anyhow::{bail, Context, Result};

use super::input;
use crate::output::write_atomic;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Data: CSV with a header row `t,<name>,...`, NPZ with arrays `t` (n) and `y` (n × dim),
    /// or an ai4de dataset of a 1-D PDE (`ai4de generate`; PDE-FIND on one sample). Omit with
    /// --from.
    pub data: Option<PathBuf>,
    /// With a PDE dataset: the sample to fit.
    #[arg(long, default_value_t = 0)]
    pub sample: u64,
    /// With a PDE dataset: the field (default: the first with dimensions t, x).
    #[arg(long)]
    pub field: Option<String>,
    /// Simulate this catalogue problem instead of reading data (see `ai4de problems`).
    #[arg(long, conflicts_with = "data")]
    pub from: Option<String>,
    /// With --from: noise added to every component, as a fraction of its standard deviation.
    #[arg(long, default_value_t = 0.0)]
    pub noise: f64,
    /// With --from: seed of the noise.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// With --from: number of equally spaced samples over the problem's time span.
    #[arg(long, default_value_t = 5001)]
    pub samples: usize,
    /// With --from: end time (default: the problem's).
    #[arg(long)]
    pub t_end: Option<f64>,
    /// Candidate library: poly:D, poly:D:nocross, fourier:K, joined by + (concatenation) or x
    /// (tensor product), e.g. poly:2+fourier:1. For PDE datasets: pde:D:M (powers of u up to D
    /// times derivatives up to u_x...x of order M; default pde:2:4).
    #[arg(long)]
    pub library: Option<String>,
    /// Sparse regression: stlsq, sr3 or ensemble.
    #[arg(long, default_value = "stlsq")]
    pub optimizer: String,
    /// Coefficient threshold, or `auto` to choose it per equation by --criterion.
    #[arg(long, default_value = "auto")]
    pub threshold: String,
    /// Model selection for --threshold auto: bic, aic or cv.
    #[arg(long, default_value = "bic")]
    pub criterion: String,
    /// Ridge parameter of STLSQ (default 0.05; 1e-8 with --derivative weak).
    #[arg(long)]
    pub alpha: Option<f64>,
    /// Scale library columns to unit norm before thresholding.
    #[arg(long)]
    pub normalize: bool,
    /// Derivative estimate: fd (2nd order), fd4, savgol, tv, spectral (periodic data) or weak
    /// (integral form, for noisy data).
    #[arg(long, default_value = "fd")]
    pub derivative: String,
    /// Ensemble size (with --optimizer ensemble).
    #[arg(long, default_value_t = 50)]
    pub models: usize,
    /// Write the model as JSON to this file.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Plot the data against a simulation of the discovered model (.png or .svg).
    #[arg(long)]
    pub plot: Option<PathBuf>,
}

fn derivative(name: &str, alpha: Option<f64>) -> Result<(Differentiation, f64)> {
    let pointwise = |d| (Differentiation::Pointwise(d), alpha.unwrap_or(0.05));
    Ok(match name {
        "fd" => pointwise(Derivative::fd(2)),
        "fd4" => pointwise(Derivative::fd(4)),
        "savgol" => pointwise(Derivative::SavitzkyGolay {
            window: 21,
            degree: 3,
        }),
        "tv" => pointwise(Derivative::TotalVariation {
            alpha: 1e-4,
            iterations: 10,
        }),
        "spectral" => pointwise(Derivative::Spectral { order: 1 }),
        "weak" => (
            Differentiation::Weak(WeakForm::default()),
            alpha.unwrap_or(1e-8),
        ),
        other => bail!("unknown derivative '{other}' (known: fd, fd4, savgol, tv, spectral, weak)"),
    })
}

fn optimizer(args: &Args, alpha: f64) -> Result<Optimizer> {
    let threshold = match args.threshold.as_str() {
        "auto" => Threshold::Select {
            criterion: match args.criterion.as_str() {
                "bic" => Criterion::Bic,
                "aic" => Criterion::Aic,
                "cv" => Criterion::CrossValidation { folds: 5 },
                other => bail!("unknown criterion '{other}' (known: bic, aic, cv)"),
            },
            points: 40,
        },
        s => {
            let v: f64 = s
                .parse()
                .with_context(|| format!("--threshold '{s}' is neither a number nor 'auto'"))?;
            if !(v.is_finite() && v >= 0.0) {
                bail!("--threshold must be >= 0, got {v}");
            }
            Threshold::Fixed(v)
        }
    };
    let stlsq = Stlsq {
        threshold,
        alpha,
        ..Stlsq::default()
    };
    Ok(match args.optimizer.as_str() {
        "stlsq" => Optimizer::Stlsq(stlsq),
        "sr3" => Optimizer::Sr3(Sr3 {
            threshold: match threshold {
                Threshold::Fixed(v) => v,
                Threshold::Select { .. } => bail!("--optimizer sr3 needs a numeric --threshold"),
            },
            penalty: Penalty::L0,
            ..Sr3::default()
        }),
        "ensemble" => Optimizer::Ensemble(Ensemble {
            base: stlsq,
            models: args.models,
            seed: args.seed,
            ..Ensemble::default()
        }),
        other => bail!("unknown optimizer '{other}' (known: stlsq, sr3, ensemble)"),
    })
}

/// Reads `t,<names>` CSV.
fn read_csv(path: &Path) -> Result<TimeSeries> {
    let csv = input::read_csv(path, "name", false)?;
    Ok(TimeSeries::new(csv.times, csv.values, csv.names)?)
}

/// Reads an NPZ with `t` (n) and `y` (n × dim); variables are named x1, x2, ... unless the
/// archive has a `names` array... (NPZ cannot hold strings portably, so names are generic).
fn read_npz(path: &Path) -> Result<TimeSeries> {
    let (t, y) = input::read_npz(path, " (one row per time)")?;
    let dim = y.ncols();
    let names = if dim <= 3 {
        ["x", "y", "z"][..dim]
            .iter()
            .map(|s| s.to_string())
            .collect()
    } else {
        (1..=dim).map(|i| format!("x{i}")).collect()
    };
    Ok(TimeSeries::new(
        t.to_vec(),
        y.iter().copied().collect(),
        names,
    )?)
}

fn simulate(name: &str, args: &Args) -> Result<TimeSeries> {
    let p = problems::get(name)?;
    if p.is_dae() {
        bail!("'{name}' is a DAE; discovery needs an explicit ODE");
    }
    let t_end = args.t_end.unwrap_or(p.t_end);
    if args.samples < 3 {
        bail!("--samples must be at least 3, got {}", args.samples);
    }
    let ts: Vec<f64> = (0..args.samples)
        .map(|i| p.t0 + (t_end - p.t0) * i as f64 / (args.samples - 1) as f64)
        .collect();
    let sol = Solve::new(p.system(), (p.t0, t_end), &p.y0)
        .method(if p.is_stiff() {
            Method::Rodas5P
        } else {
            Method::Vern9
        })
        .rtol(1e-10)
        .atol(1e-10)
        .save_at(SaveAt::Times(ts))
        .max_steps(10_000_000)
        .run()
        .with_context(|| format!("simulating '{name}'"))?;
    let clean = TimeSeries::new(sol.t, sol.y, p.state_names.clone())?;
    Ok(clean.with_noise(args.noise, args.seed)?)
}

pub fn run(args: &Args) -> Result<()> {
    let data = match (&args.data, &args.from) {
        (Some(path), None) => match path.extension().and_then(|e| e.to_str()) {
            Some("csv") => read_csv(path)?,
            _ => match ai4de_data::open(path) {
                Ok(ds) => return run_pde_dataset(args, &ds),
                Err(open_err) => match path.extension().and_then(|e| e.to_str()) {
                    Some("npz") => read_npz(path).with_context(|| {
                        format!("not an ai4de dataset ({open_err}) nor a time-series NPZ")
                    })?,
                    _ => bail!(
                        "{}: not CSV (header t,<names>), NPZ (arrays t and y) or an ai4de dataset ({open_err})",
                        path.display()
                    ),
                },
            },
        },
        (None, Some(name)) => simulate(name, args)?,
        _ => bail!("give a data file (CSV or NPZ) or --from PROBLEM"),
    };
    let spec = args.library.clone().unwrap_or_else(|| "poly:2".into());
    let library = Library::parse(&spec, &data.names)?;
    let (differentiation, alpha) = derivative(&args.derivative, args.alpha)?;
    let sindy = Sindy {
        differentiation,
        optimizer: optimizer(args, alpha)?,
        normalize: args.normalize,
    };
    let start = Instant::now();
    let model = sindy.fit(&data, &library).context("discovery failed")?;
    let elapsed = start.elapsed();
    println!(
        "{} samples of {} variables, library {} ({} terms), derivative {}, optimizer {}; fit in {:.1} ms",
        data.len(),
        data.dim(),
        spec,
        library.len(),
        sindy.differentiation.name(),
        sindy.optimizer.name(),
        elapsed.as_secs_f64() * 1e3
    );
    print!("{model}");
    if let Some(path) = &args.out {
        let json = model.to_json()?;
        write_atomic(path, |f| {
            use std::io::Write;
            Ok(f.write_all(json.as_bytes())?)
        })?;
        println!("model written to {}", path.display());
    }
    if let Some(path) = &args.plot {
        plot(path, &data, &model)?;
        println!("plot written to {}", path.display());
    }
    Ok(())
}

/// Data (markers) against the discovered model simulated from the first sample (lines).
fn plot(path: &Path, data: &TimeSeries, model: &Model) -> Result<()> {
    use ai4de_report::{plot_lines, LinePlot, Marker, Series};
    let ode = model.ode()?;
    let d = data.dim();
    let t0 = data.t[0];
    let t1 = *data.t.last().expect("validated non-empty");
    let sim = Solve::new(&ode, (t0, t1), &data.y[..d])
        .rtol(1e-8)
        .atol(1e-10)
        .save_at(SaveAt::Times(data.t.clone()))
        .run();
    let stride = (data.len() / 300).max(1);
    let mut lp = LinePlot::new("data vs discovered model")
        .x_label("t")
        .y_label("value");
    for c in 0..d {
        lp = lp.with_series(
            Series::new(
                format!("{} (data)", data.names[c]),
                (0..data.len())
                    .step_by(stride)
                    .map(|i| (data.t[i], data.y[i * d + c])),
            )
            .marker(Marker::auto(c))
            .line(false),
        );
    }
    match &sim {
        Ok(s) => {
            for c in 0..d {
                lp = lp.with_series(Series::new(
                    format!("{} (model)", data.names[c]),
                    s.t.iter().zip(s.rows()).map(|(t, r)| (*t, r[c])),
                ));
            }
        }
        Err(e) => eprintln!("warning: the discovered model could not be simulated over the data span ({e}); plotting the data only"),
    }
    plot_lines(path, &lp).with_context(|| format!("plotting to {}", path.display()))?;
    Ok(())
}

/// PDE-FIND on one sample of a 1-D PDE dataset (a field with dimensions `t, x`).
fn run_pde_dataset(args: &Args, ds: &ai4de_data::Dataset) -> Result<()> {
    use ai4de_discover::pde::{Field1d, PdeFind, SpaceDerivative};
    let field = match &args.field {
        Some(name) => ds.field(name)?.1.clone(),
        None => ds
            .fields
            .iter()
            .find(|f| f.dims == ["t", "x"])
            .cloned()
            .with_context(|| {
                format!(
                    "{}: no field with dimensions (t, x); discovery handles 1-D PDE datasets",
                    ds.path.display()
                )
            })?,
    };
    if field.dims != ["t", "x"] {
        bail!(
            "field '{}' has dimensions {:?}, not (t, x)",
            field.name,
            field.dims
        );
    }
    let t = ds
        .coord("t")
        .context("the dataset has no coordinate t")?
        .to_vec();
    let x = ds
        .coord("x")
        .context("the dataset has no coordinate x")?
        .to_vec();
    let u = ds.read_field(&field.name, args.sample)?;
    let periodic = ds
        .metadata
        .get("pde_info")
        .and_then(|i| i.get("boundary"))
        .and_then(|b| b.as_str())
        .is_some_and(|b| b.contains("periodic"));
    let f = Field1d::new(t, x, u, field.name.clone(), periodic)?;
    let spec = args.library.clone().unwrap_or_else(|| "pde:2:4".into());
    let parts: Vec<&str> = spec.split(':').collect();
    let (degree, max_derivative) = match parts.as_slice() {
        ["pde", d, m] => (
            d.parse::<usize>()
                .with_context(|| format!("--library {spec}: degree '{d}'"))?,
            m.parse::<usize>()
                .with_context(|| format!("--library {spec}: derivative order '{m}'"))?,
        ),
        _ => bail!("--library '{spec}': a PDE dataset needs pde:D:M (e.g. pde:2:4)"),
    };
    if max_derivative == 0 || max_derivative > 6 {
        bail!("--library {spec}: derivative order must be 1..=6");
    }
    let alpha = args.alpha.unwrap_or(if args.derivative == "weak" {
        1e-10
    } else {
        1e-6
    });
    let mut pf = PdeFind {
        max_derivative,
        degree,
        optimizer: optimizer(args, alpha)?,
        normalize: true,
        ..PdeFind::default()
    };
    match args.derivative.as_str() {
        "weak" => {
            pf.weak = Some(ai4de_discover::WeakPde {
                max_derivative,
                degree,
                power: (max_derivative as u32 + 2).max(6),
                ..ai4de_discover::WeakPde::default()
            })
        }
        "spectral" => {
            if !periodic {
                bail!("--derivative spectral needs a periodic PDE");
            }
            pf.space = SpaceDerivative::Spectral
        }
        "fd" | "fd4" => pf.space = SpaceDerivative::FiniteDifference { accuracy: 6 },
        other => {
            bail!("--derivative {other} is not available for PDE data (use fd, spectral or weak)")
        }
    }
    let start = Instant::now();
    let model = pf.fit(&f).context("discovery failed")?;
    println!(
        "PDE-FIND on sample {} of field '{}' ({} times x {} points), library pde:{degree}:{max_derivative}, {} form; fit in {:.1} ms",
        args.sample,
        f.name,
        f.t.len(),
        f.x.len(),
        if pf.weak.is_some() { "weak" } else { "strong" },
        start.elapsed().as_secs_f64() * 1e3
    );
    print!("{model}");
    if let Some(path) = &args.out {
        let json = model.to_json()?;
        write_atomic(path, |file| {
            use std::io::Write;
            Ok(file.write_all(json.as_bytes())?)
        })?;
        println!("model written to {}", path.display());
    }
    if let Some(path) = &args.plot {
        plot_pde(path, &f, &model)?;
        println!("plot written to {}", path.display());
    }
    Ok(())
}

/// Space–time maps of the data and of the discovered PDE simulated from the data's first
/// snapshot (periodic strong-form models), with their difference; the data alone otherwise.
fn plot_pde(path: &Path, f: &ai4de_discover::pde::Field1d, model: &Model) -> Result<()> {
    use ai4de_report::{plot_heatmap, HeatPanel, HeatmapPlot};
    let (nt, nx) = (f.t.len(), f.x.len());
    let extent = |v: &[f64]| (v[0], v[v.len() - 1]);
    let panel = |title: &str, values: Vec<f64>| {
        HeatPanel::new(title, values, nt, nx, extent(&f.x), extent(&f.t))
    };
    let mut plot = HeatmapPlot::new(format!("{}: data and discovered model", f.name))
        .labels("x", "t")
        .value_label(&f.name)
        .with_panel(panel("data", f.u.clone()));
    let simulated = if f.periodic {
        model
            .pde_system(&f.x)
            .map_err(anyhow::Error::from)
            .and_then(|sys| {
                Ok(Solve::new(&sys, (f.t[0], f.t[nt - 1]), &f.u[..nx])
                    .method(Method::Auto)
                    .rtol(1e-6)
                    .atol(1e-8)
                    .save_at(SaveAt::Times(f.t.clone()))
                    .run()?)
            })
    } else {
        Err(anyhow::anyhow!(
            "the field is not periodic (the simulation uses spectral derivatives)"
        ))
    };
    match simulated {
        Ok(sol) if sol.len() == nt => {
            let diff: Vec<f64> = sol.y.iter().zip(&f.u).map(|(m, d)| m - d).collect();
            let worst = diff.iter().map(|v| v.abs()).fold(0.0, f64::max);
            println!("discovered model vs data: max |difference| {worst:.3e} over the data span");
            plot = plot
                .with_panel(panel("discovered model", sol.y))
                .with_panel(panel("model - data", diff));
        }
        Ok(sol) => eprintln!(
            "warning: the discovered model stopped at t = {} before the end of the data; plotting the data only",
            sol.t_final()
        ),
        Err(e) => eprintln!(
            "warning: the discovered model could not be simulated over the data span ({e:#}); plotting the data only"
        ),
    }
    plot_heatmap(path, &plot).with_context(|| format!("plotting to {}", path.display()))?;
    Ok(())
}
