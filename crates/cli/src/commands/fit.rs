//! `ai4de fit`: estimate parameters (and initial states) of a catalogue problem from data, with
//! standard errors, 95 % intervals, optional MCMC, JSON output and a data-vs-fit plot.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use ai4de_inverse::{
    fit, sample_posterior, synthetic_experiment, Experiment, FitOptions, FitResult, FitUnknown,
    GradientSource, McmcOptions, McmcResult, OdeModel, Optimizer, Sensitivity, Shooting,
};
use ai4de_ode::{problems, SaveAt, Solve};
use anyhow::{bail, Context, Result};
use serde_json::json;

use super::input;
use crate::output::write_atomic;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Catalogue problem (see `ai4de problems`).
    pub problem: String,
    /// Data: CSV with a header row `t,<state>,...` (states may be left out when not observed),
    /// or NPZ with arrays `t` (n) and `y` (n × k; the k columns are the states in order, or the
    /// ones named by --observed).
    #[arg(long, required_unless_present = "synthetic")]
    pub data: Option<PathBuf>,
    /// Instead of --data: simulate the problem at its default parameters, add seeded noise and
    /// fit that (the start is then perturbed from the truth unless --start is given).
    #[arg(long, conflicts_with = "data")]
    pub synthetic: bool,
    /// With --synthetic: noise standard deviation of each state, as a fraction of its maximum
    /// absolute value.
    #[arg(long, default_value_t = 0.05)]
    pub noise: f64,
    /// With --synthetic: number of data times (equally spaced; log-spaced when the span covers
    /// more than four decades).
    #[arg(long, default_value_t = 101)]
    pub samples: usize,
    /// With --synthetic: end time (default: the problem's).
    #[arg(long)]
    pub t_end: Option<f64>,
    /// With --synthetic: write the noisy data as CSV to this file.
    #[arg(long)]
    pub write_data: Option<PathBuf>,
    /// Seed of the synthetic noise and of the MCMC chains.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// The observed states: names of the NPZ `y` columns, or the states kept by --synthetic
    /// (default: all).
    #[arg(long, value_delimiter = ',')]
    pub observed: Vec<String>,
    /// Unknowns: parameter names, or `y0.<state>` for an initial state; `name:log` fits ln(name).
    #[arg(long, value_delimiter = ',', required = true)]
    pub fit: Vec<String>,
    /// Bounds `name=lo:hi` (either side may be empty for no bound), comma separated.
    #[arg(long, value_delimiter = ',')]
    pub bounds: Vec<String>,
    /// Fit these unknowns on a log scale (same as `name:log` in --fit).
    #[arg(long, value_delimiter = ',')]
    pub log: Vec<String>,
    /// Starting values `name=value` (default: the problem's current values).
    #[arg(long, value_delimiter = ',')]
    pub start: Vec<String>,
    /// Parameter values that are not fitted, `name=value`.
    #[arg(long, value_delimiter = ',')]
    pub param: Vec<String>,
    /// Noise sigma of observed states `state=value` (weights 1/sigma; default 1, then the noise
    /// level is estimated from the residuals).
    #[arg(long, value_delimiter = ',')]
    pub sigma: Vec<String>,
    /// Treat the sigmas as the true noise levels (covariance (JᵀJ)⁻¹ instead of s²(JᵀJ)⁻¹).
    #[arg(long)]
    pub absolute_sigma: bool,
    /// Initial state (comma separated; default: the problem's).
    #[arg(long, value_delimiter = ',', allow_negative_numbers = true)]
    pub y0: Vec<f64>,
    /// Initial time (default: the problem's).
    #[arg(long, allow_negative_numbers = true)]
    pub t0: Option<f64>,
    /// Optimiser: lm (Levenberg–Marquardt) or lbfgs.
    #[arg(long, default_value = "lm")]
    pub method: String,
    /// single, or multiple:K (K segments per experiment), or multiple:K:W (continuity weight W).
    #[arg(long, default_value = "single")]
    pub shooting: String,
    /// Posterior samples per chain by adaptive Metropolis (4 chains, N/2 warm-up steps); 0: none.
    #[arg(long, default_value_t = 0)]
    pub mcmc: usize,
    /// Gradient of --method lbfgs: adjoint (continuous adjoint, default), discrete (discrete
    /// adjoint of an explicit method) or jacobian (J^T r from --sensitivity).
    #[arg(long, default_value = "adjoint")]
    pub gradient: String,
    /// Sensitivities for the Jacobian: forward (sensitivity equations, default) or fd (central
    /// finite differences).
    #[arg(long, default_value = "forward")]
    pub sensitivity: String,
    /// Solver relative tolerance.
    #[arg(long, default_value_t = 1e-10)]
    pub rtol: f64,
    /// Solver absolute tolerance.
    #[arg(long, default_value_t = 1e-12)]
    pub atol: f64,
    /// Output on stdout: text or json.
    #[arg(long, default_value = "text")]
    pub format: String,
    /// Write the JSON result to this file (atomically).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Plot data against the fitted trajectory (.png or .svg).
    #[arg(long)]
    pub plot: Option<PathBuf>,
}

fn parse_pairs(items: &[String], what: &str) -> Result<Vec<(String, String)>> {
    items
        .iter()
        .filter(|s| !s.trim().is_empty())
        .map(|s| {
            let (k, v) = s
                .split_once('=')
                .with_context(|| format!("{what}: expected name=value, got '{s}'"))?;
            Ok((k.trim().to_string(), v.trim().to_string()))
        })
        .collect()
}

fn number(s: &str, what: &str) -> Result<f64> {
    let v: f64 = s
        .parse()
        .with_context(|| format!("{what}: '{s}' is not a number"))?;
    Ok(v)
}

/// Reads `t,<state>...` CSV into an experiment (sigma 1).
fn read_csv(path: &Path, t0: f64, y0: Vec<f64>) -> Result<Experiment> {
    let csv = input::read_csv(path, "state", true)?;
    Ok(Experiment::new(t0, y0, csv.times, csv.names, csv.values).named(path.display().to_string()))
}

fn read_npz(path: &Path, t0: f64, y0: Vec<f64>, observed: Vec<String>) -> Result<Experiment> {
    let (t, y) = input::read_npz(path, "")?;
    if y.ncols() != observed.len() {
        bail!(
            "{}: y has {} columns but {} observed states ({}); name them with --observed",
            path.display(),
            y.ncols(),
            observed.len(),
            observed.join(",")
        );
    }
    Ok(
        Experiment::new(t0, y0, t.to_vec(), observed, y.iter().copied().collect())
            .named(path.display().to_string()),
    )
}

fn write_csv(path: &Path, e: &Experiment) -> Result<()> {
    write_atomic(path, |f| {
        let mut w = std::io::BufWriter::new(f);
        writeln!(w, "t,{}", e.observed.join(","))?;
        let k = e.observed.len();
        for (i, t) in e.times.iter().enumerate() {
            let row: Vec<String> = e.values[i * k..(i + 1) * k]
                .iter()
                .map(|v| format!("{v:e}"))
                .collect();
            writeln!(w, "{t:e},{}", row.join(","))?;
        }
        w.flush()?;
        Ok(())
    })
}

fn synthetic_times(t0: f64, t_end: f64, n: usize) -> Vec<f64> {
    let n = n.max(2);
    if t0 >= 0.0 && t_end > 1e4 * t0.max(1e-5) && t_end > 1e3 {
        // log-spaced from 1e-5 (relative to the end) for long stiff spans such as Robertson's
        let a = (t0.max(t_end * 1e-9).max(1e-5)).log10();
        let b = t_end.log10();
        (0..n)
            .map(|i| 10f64.powf(a + (b - a) * i as f64 / (n - 1) as f64))
            .collect()
    } else {
        (0..n)
            .map(|i| t0 + (t_end - t0) * (i + 1) as f64 / n as f64)
            .collect()
    }
}

pub fn run(args: &Args) -> Result<()> {
    let mut problem = problems::get(&args.problem)?;
    for (k, v) in parse_pairs(&args.param, "--param")? {
        problem.set_param(&k, number(&v, "--param")?)?;
    }
    if let Some(t0) = args.t0 {
        problem.t0 = t0;
    }
    if !args.y0.is_empty() {
        if args.y0.len() != problem.dim() {
            bail!(
                "--y0 has {} values, {} has {} states ({})",
                args.y0.len(),
                problem.name,
                problem.dim(),
                problem.state_names.join(",")
            );
        }
        problem.y0 = args.y0.clone();
    }
    let mut model = OdeModel::new(problem.clone());
    model.rtol = args.rtol;
    model.atol = args.atol;
    model.sensitivity = match args.sensitivity.as_str() {
        "forward" => Sensitivity::Forward,
        "fd" => Sensitivity::FiniteDifference,
        other => bail!("unknown sensitivity '{other}' (known: forward, fd)"),
    };
    let truth = problem.param_values();

    // unknowns
    let mut unknowns = Vec::new();
    for item in &args.fit {
        let (name, log) = match item.trim().strip_suffix(":log") {
            Some(n) => (n.to_string(), true),
            None => (item.trim().to_string(), false),
        };
        let mut u = match name.strip_prefix("y0.") {
            Some(state) => FitUnknown::initial_state(0, state),
            None => FitUnknown::param(name.clone()),
        };
        if log || args.log.iter().any(|l| l.trim() == name) {
            u = u.log();
        }
        unknowns.push(u);
    }
    let name_of = |u: &FitUnknown| match &u.unknown {
        ai4de_inverse::Unknown::Param(n) => n.clone(),
        ai4de_inverse::Unknown::InitialState { state, .. } => format!("y0.{state}"),
    };
    for l in &args.log {
        if !unknowns.iter().any(|u| name_of(u) == l.trim()) {
            bail!("--log {l}: not among the fitted unknowns (--fit)");
        }
    }
    for (k, v) in parse_pairs(&args.bounds, "--bounds")? {
        let (lo, hi) = v
            .split_once(':')
            .with_context(|| format!("--bounds {k}={v}: expected lo:hi"))?;
        let lo = if lo.trim().is_empty() {
            f64::NEG_INFINITY
        } else {
            number(lo.trim(), "--bounds")?
        };
        let hi = if hi.trim().is_empty() {
            f64::INFINITY
        } else {
            number(hi.trim(), "--bounds")?
        };
        let Some(u) = unknowns.iter_mut().find(|u| name_of(u) == k) else {
            bail!("--bounds {k}: not among the fitted unknowns (--fit)");
        };
        let (lo, hi) = (lo.max(u.lo), hi);
        *u = u.clone().bounds(lo, hi);
    }
    let starts = parse_pairs(&args.start, "--start")?;
    for (k, v) in &starts {
        let Some(u) = unknowns.iter_mut().find(|u| name_of(u) == *k) else {
            bail!("--start {k}: not among the fitted unknowns (--fit)");
        };
        u.start = Some(number(v, "--start")?);
    }

    // data
    let all_states: Vec<String> = problem.state_names.clone();
    let observed = if args.observed.is_empty() {
        all_states.clone()
    } else {
        args.observed.iter().map(|s| s.trim().to_string()).collect()
    };
    let mut exp = if args.synthetic {
        let t_end = args.t_end.unwrap_or(problem.t_end);
        let times = synthetic_times(problem.t0, t_end, args.samples);
        let obs: Vec<&str> = observed.iter().map(|s| s.as_str()).collect();
        let e = synthetic_experiment(
            &model,
            problem.t0,
            &problem.y0,
            &times,
            &obs,
            args.noise,
            args.seed,
        )?;
        if let Some(p) = &args.write_data {
            write_csv(p, &e)?;
        }
        // a perturbed start, so that the demo has something to do
        for (i, u) in unknowns.iter_mut().enumerate() {
            if u.start.is_none() {
                if let ai4de_inverse::Unknown::Param(n) = &u.unknown {
                    let v = problem.param(n).unwrap_or(1.0);
                    let f = if i % 2 == 0 { 0.8 } else { 1.25 };
                    let s = v * f;
                    u.start = Some(if s > u.lo && s < u.hi { s } else { v });
                }
            }
        }
        e
    } else {
        let path = args
            .data
            .as_ref()
            .expect("clap requires --data without --synthetic");
        match path.extension().and_then(|e| e.to_str()) {
            Some("npz") => read_npz(path, problem.t0, problem.y0.clone(), observed)?,
            Some("csv") | None => read_csv(path, problem.t0, problem.y0.clone())?,
            Some(other) => bail!(
                "{}: unknown data format '.{other}' (csv or npz)",
                path.display()
            ),
        }
    };
    if !args.synthetic {
        for (k, v) in parse_pairs(&args.sigma, "--sigma")? {
            let Some(c) = exp.observed.iter().position(|o| *o == k) else {
                bail!(
                    "--sigma {k}: not an observed state ({})",
                    exp.observed.join(",")
                );
            };
            exp.sigma[c] = number(&v, "--sigma")?;
        }
    } else if !args.sigma.is_empty() {
        bail!("--sigma: with --synthetic the sigmas come from --noise");
    }

    let optimizer = match args.method.as_str() {
        "lm" => Optimizer::Lm,
        "lbfgs" => Optimizer::Lbfgs,
        other => bail!("unknown method '{other}' (known: lm, lbfgs)"),
    };
    let gradient = match args.gradient.as_str() {
        "adjoint" => GradientSource::Adjoint,
        "discrete" => GradientSource::DiscreteAdjoint,
        "jacobian" => GradientSource::Jacobian,
        other => bail!("unknown gradient '{other}' (known: adjoint, discrete, jacobian)"),
    };
    let shooting = match args.shooting.split(':').collect::<Vec<_>>().as_slice() {
        ["single"] => Shooting::Single,
        ["multiple", k] => Shooting::Multiple {
            segments: k
                .parse()
                .with_context(|| format!("--shooting: '{k}' is not a count"))?,
            weight: None,
        },
        ["multiple", k, w] => Shooting::Multiple {
            segments: k
                .parse()
                .with_context(|| format!("--shooting: '{k}' is not a count"))?,
            weight: Some(number(w, "--shooting weight")?),
        },
        _ => bail!(
            "--shooting: expected single, multiple:K or multiple:K:W, got '{}'",
            args.shooting
        ),
    };
    let format = args.format.as_str();
    if !matches!(format, "text" | "json") {
        bail!("unknown format '{format}' (known: text, json)");
    }
    let opts = FitOptions {
        shooting,
        optimizer,
        gradient,
        absolute_sigma: args.absolute_sigma || args.synthetic,
        ..FitOptions::default()
    };
    let experiments = [exp];
    let started = Instant::now();
    let res = fit(&model, &experiments, &unknowns, &opts)
        .with_context(|| format!("fitting {}", problem.name))?;
    let elapsed = started.elapsed().as_secs_f64();
    let mcmc = if args.mcmc > 0 {
        let mc = McmcOptions {
            chains: 4,
            samples: args.mcmc,
            warmup: (args.mcmc / 2).max(100),
            seed: args.seed,
        };
        Some(sample_posterior(&model, &experiments, &unknowns, &res, &opts, &mc).context("MCMC")?)
    } else {
        None
    };
    let truth_of = |u: &FitUnknown| -> Option<f64> {
        if !args.synthetic {
            return None;
        }
        match &u.unknown {
            ai4de_inverse::Unknown::Param(n) => model.param_index(n).ok().map(|i| truth[i]),
            ai4de_inverse::Unknown::InitialState { state, .. } => {
                problem.state_index(state).map(|i| problem.y0[i])
            }
        }
    };
    let truths: Vec<Option<f64>> = unknowns.iter().map(truth_of).collect();
    let report = to_json(args, problem.name, &res, &truths, mcmc.as_ref(), elapsed);
    if let Some(p) = &args.out {
        let text = serde_json::to_string_pretty(&report)?;
        write_atomic(p, |f| {
            f.write_all(text.as_bytes())?;
            f.write_all(b"\n")?;
            Ok(())
        })?;
    }
    if let Some(p) = &args.plot {
        plot(p, &model, &res, &experiments[0])?;
    }
    if format == "json" {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_text(
            problem.name,
            &res,
            &truths,
            mcmc.as_ref(),
            elapsed,
            &experiments[0],
        );
    }
    Ok(())
}

fn to_json(
    args: &Args,
    problem: &str,
    res: &FitResult,
    truths: &[Option<f64>],
    mcmc: Option<&McmcResult>,
    elapsed: f64,
) -> serde_json::Value {
    let estimates: Vec<serde_json::Value> = res
        .estimates
        .iter()
        .zip(truths)
        .map(|(e, t)| {
            json!({
                "name": e.name,
                "estimate": e.value,
                "std_error": e.std_error,
                "ci95": e.ci95.map(|(a, b)| [a, b]),
                "start": e.start,
                "truth": t,
                "scale": e.scale,
                "bounds": [finite_or_null(e.lo), finite_or_null(e.hi)],
                "at_bound": e.at_bound,
            })
        })
        .collect();
    let mut v = json!({
        "problem": problem,
        "method": res.optimizer,
        "gradient": res.gradient,
        "sensitivity": args.sensitivity,
        "shooting": args.shooting,
        "data": match &args.data {
            Some(p) => json!({ "file": p.display().to_string() }),
            None => json!({ "synthetic": { "noise": args.noise, "seed": args.seed, "samples": args.samples } }),
        },
        "estimates": estimates,
        "cost": res.cost,
        "n_residuals": res.n_residuals,
        "dof": res.dof,
        "s2": res.s2,
        "iterations": res.iterations,
        "residual_evals": res.residual_evals,
        "jacobian_evals": res.jacobian_evals,
        "termination": res.termination,
        "multiple_shooting": res.multiple_shooting.map(|(i, c)| json!({"iterations": i, "cost": c})),
        "correlation": res.correlation,
        "warnings": res.warnings,
        "elapsed_s": elapsed,
    });
    if let Some(m) = mcmc {
        v["mcmc"] = json!({
            "chains": m.chains.len(),
            "samples_per_chain": m.chains.first().map_or(0, |c| c.len() / m.dim.max(1)),
            "mean": m.mean, "sd": m.sd, "q025": m.q025, "q975": m.q975,
            "rhat": m.rhat, "ess": m.ess, "acceptance": m.acceptance,
        });
    }
    v
}

fn finite_or_null(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}

fn print_text(
    problem: &str,
    res: &FitResult,
    truths: &[Option<f64>],
    mcmc: Option<&McmcResult>,
    elapsed: f64,
    exp: &Experiment,
) {
    println!(
        "fit {problem}: {} data points of {} ({}), {} unknowns",
        res.n_residuals,
        exp.observed.join(","),
        exp.name,
        res.estimates.len()
    );
    if let Some((i, c)) = res.multiple_shooting {
        println!("multiple shooting: {i} iterations, cost {c:.6e}; then single shooting:");
    }
    println!(
        "{:?}{}: {} iterations, {} residual / {} Jacobian evaluations, cost {:.6e}, s2 {:.4}, {:?}, {:.2} s",
        res.optimizer,
        res.gradient.map_or(String::new(), |g| format!(" ({g:?} gradient)")),
        res.iterations, res.residual_evals, res.jacobian_evals, res.cost, res.s2, res.termination, elapsed
    );
    let has_truth = truths.iter().any(|t| t.is_some());
    println!(
        "{:<12} {:>14} {:>11} {:>29}{}",
        "unknown",
        "estimate",
        "std error",
        "95% interval",
        if has_truth { "          truth" } else { "" }
    );
    for (e, t) in res.estimates.iter().zip(truths) {
        let se = e.std_error.map_or("-".to_string(), |s| format!("{s:.3e}"));
        let ci = e
            .ci95
            .map_or("-".to_string(), |(a, b)| format!("[{a:.6e}, {b:.6e}]"));
        let tr = t.map_or(String::new(), |v| format!(" {v:>14.6e}"));
        println!(
            "{:<12} {:>14.6e} {:>11} {:>29}{tr}",
            e.name, e.value, se, ci
        );
    }
    if let Some(m) = mcmc {
        println!(
            "MCMC ({} chains x {} samples): mean, sd, 95% quantiles, R-hat, ESS",
            m.chains.len(),
            m.chains.first().map_or(0, |c| c.len() / m.dim.max(1))
        );
        for (j, e) in res.estimates.iter().enumerate() {
            println!(
                "{:<12} {:>14.6e} {:>11.3e} [{:.6e}, {:.6e}] {:.3} {:.0}",
                e.name, m.mean[j], m.sd[j], m.q025[j], m.q975[j], m.rhat[j], m.ess[j]
            );
        }
    }
    for w in &res.warnings {
        println!("warning: {w}");
    }
}

/// Data (markers) against the fitted trajectory (lines), every state.
fn plot(path: &Path, model: &OdeModel, res: &FitResult, exp: &Experiment) -> Result<()> {
    use ai4de_report::{plot_lines, LinePlot, Marker, Series};
    let prob = res.problem(model)?;
    let t_last = *exp.times.last().expect("validated non-empty");
    let log_t = exp.times[0] > 0.0 && t_last / exp.times[0] > 1e4;
    let grid: Vec<f64> = (0..=400)
        .map(|i| {
            let s = i as f64 / 400.0;
            if log_t {
                exp.times[0] * (t_last / exp.times[0]).powf(s)
            } else {
                exp.t0 + (t_last - exp.t0) * s
            }
        })
        .collect();
    let sol = Solve::new(&prob, (exp.t0, t_last), &res.y0[0])
        .method(model.method)
        .rtol(1e-8)
        .atol(1e-10)
        .save_at(SaveAt::Times(grid))
        .run()
        .context("simulating the fitted model for the plot")?;
    let mut lp = LinePlot::new(format!("{}: data vs fitted model", prob.name))
        .x_label("t")
        .y_label("state")
        .log_x(log_t);
    let k = exp.observed.len();
    for (c, name) in exp.observed.iter().enumerate() {
        lp = lp.with_series(
            Series::new(
                format!("{name} (data)"),
                exp.times
                    .iter()
                    .enumerate()
                    .map(|(i, t)| (*t, exp.values[i * k + c])),
            )
            .marker(Marker::auto(c))
            .line(false),
        );
    }
    for (s, name) in prob.state_names.iter().enumerate() {
        lp = lp.with_series(Series::new(
            format!("{name} (fit)"),
            sol.t.iter().zip(sol.rows()).map(|(t, r)| (*t, r[s])),
        ));
    }
    plot_lines(path, &lp).with_context(|| format!("plotting to {}", path.display()))?;
    Ok(())
}
