//! `ai4de design`: optimal control with adjoint gradients — drive the forced Van der Pol
//! oscillator to rest with a bounded control; prints the cost history, writes JSON and a plot
//! of state and control.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use ai4de_inverse::design::{
    AdjointMode, ControlKind, DesignProblem, DesignResult, VanDerPolControl,
};
use ai4de_inverse::optim::ProjectedLbfgsOptions;
use ai4de_ode::Method;
use anyhow::{bail, Context, Result};
use serde_json::json;

use crate::output::write_atomic;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The control problem: `vdp` (x'' - mu (1 - x^2) x' + x = u, |u| <= umax, minimise
    /// the integral of x^2 + x'^2 + rho u^2 plus w (x^2 + x'^2) at the end).
    pub problem: String,
    /// Van der Pol's mu.
    #[arg(long, default_value_t = 1.0)]
    pub mu: f64,
    /// Weight of the control energy.
    #[arg(long, default_value_t = 1.0)]
    pub rho: f64,
    /// Weight w of the terminal cost.
    #[arg(long, default_value_t = 0.0)]
    pub terminal: f64,
    /// Control bound: |u| <= umax.
    #[arg(long, default_value_t = 1.0)]
    pub umax: f64,
    /// Horizon T.
    #[arg(long, default_value_t = 10.0)]
    pub t_end: f64,
    /// Number of control intervals.
    #[arg(long, default_value_t = 20)]
    pub intervals: usize,
    /// Control parametrisation: constant (piecewise constant) or linear (piecewise linear).
    #[arg(long, default_value = "constant")]
    pub control: String,
    /// Initial state x(0), x'(0).
    #[arg(
        long,
        value_delimiter = ',',
        allow_negative_numbers = true,
        default_value = "1,0"
    )]
    pub y0: Vec<f64>,
    /// Adjoint: continuous (backward adjoint solve) or discrete (exact gradient of the explicit
    /// Runge-Kutta solution).
    #[arg(long, default_value = "continuous")]
    pub adjoint: String,
    /// Integration method (see `ai4de methods`).
    #[arg(long, default_value = "tsit5")]
    pub method: String,
    #[arg(long, default_value_t = 1e-10)]
    pub rtol: f64,
    #[arg(long, default_value_t = 1e-12)]
    pub atol: f64,
    /// Iteration limit of the projected L-BFGS.
    #[arg(long, default_value_t = 500)]
    pub max_iter: usize,
    /// Output on stdout: text or json.
    #[arg(long, default_value = "text")]
    pub format: String,
    /// Write the JSON result to this file (atomically).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Plot state and control, controlled and uncontrolled (.png or .svg).
    #[arg(long)]
    pub plot: Option<PathBuf>,
}

pub fn run(args: &Args) -> Result<()> {
    if args.problem != "vdp" {
        bail!("unknown control problem '{}' (known: vdp)", args.problem);
    }
    let kind = match args.control.as_str() {
        "constant" => ControlKind::PiecewiseConstant,
        "linear" => ControlKind::PiecewiseLinear,
        other => bail!("unknown control '{other}' (known: constant, linear)"),
    };
    let adjoint = match args.adjoint.as_str() {
        "continuous" => AdjointMode::Continuous,
        "discrete" => AdjointMode::Discrete,
        other => bail!("unknown adjoint '{other}' (known: continuous, discrete)"),
    };
    let format = args.format.as_str();
    if !matches!(format, "text" | "json") {
        bail!("unknown format '{format}' (known: text, json)");
    }
    if !(args.umax.is_finite() && args.umax > 0.0) {
        bail!("--umax must be positive and finite, got {}", args.umax);
    }
    for (name, v) in [
        ("--mu", args.mu),
        ("--rho", args.rho),
        ("--terminal", args.terminal),
    ] {
        if !v.is_finite() {
            bail!("{name} must be finite, got {v}");
        }
    }
    let method: Method = args.method.parse()?;
    let vdp = VanDerPolControl {
        mu: args.mu,
        rho: args.rho,
        terminal_weight: args.terminal,
    };
    let mut d = DesignProblem::new(
        vdp,
        (0.0, args.t_end),
        args.y0.clone(),
        args.intervals,
        kind,
    )?
    .control_bounds(vec![(-args.umax, args.umax)])?;
    d.method = method;
    d.rtol = args.rtol;
    d.atol = args.atol;
    d.adjoint = adjoint;
    let opts = ProjectedLbfgsOptions {
        max_iterations: args.max_iter,
        ..ProjectedLbfgsOptions::default()
    };
    let x0 = vec![0.0; d.n_design()];
    let started = Instant::now();
    let res = d
        .optimize(&x0, &opts)
        .context("optimising the control of vdp")?;
    let elapsed = started.elapsed().as_secs_f64();
    let sim = d.simulate(&res.x, 10)?;
    let free = d.simulate(&x0, 10)?;
    let report = json!({
        "problem": "vdp",
        "mu": args.mu, "rho": args.rho, "terminal_weight": args.terminal, "umax": args.umax,
        "t_end": args.t_end, "intervals": args.intervals, "control": kind, "adjoint": adjoint,
        "method": method.name(), "rtol": args.rtol, "atol": args.atol,
        "cost_uncontrolled": res.history[0],
        "cost": res.cost,
        "history": res.history,
        "iterations": res.iterations,
        "value_evals": res.value_evals,
        "gradient_evals": res.gradient_evals,
        "termination": res.termination,
        "projected_gradient": res.projected_gradient,
        "y_final": res.y_final,
        "controls": res.x,
        "grid": d.grid,
        "elapsed_s": elapsed,
    });
    if let Some(p) = &args.out {
        let text = serde_json::to_string_pretty(&report)?;
        write_atomic(p, |f| {
            f.write_all(text.as_bytes())?;
            f.write_all(b"\n")?;
            Ok(())
        })?;
    }
    if let Some(p) = &args.plot {
        plot(p, &sim.t, &sim.y, &free.y, &sim.u)?;
    }
    if format == "json" {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_text(args, &res, elapsed);
    }
    Ok(())
}

fn print_text(args: &Args, res: &DesignResult, elapsed: f64) {
    println!(
        "vdp (mu = {}) driven to rest: T = {}, {} {} control intervals, |u| <= {}, rho = {}, {} adjoint",
        args.mu, args.t_end, args.intervals, args.control, args.umax, args.rho, args.adjoint
    );
    println!("iteration  cost");
    let n = res.history.len();
    for (k, c) in res.history.iter().enumerate() {
        // every iteration for short runs, otherwise a sample and the last ones
        if n <= 40 || k < 10 || k % 10 == 0 || k + 5 >= n {
            println!("{k:>9}  {c:.10e}");
        }
    }
    println!(
        "cost {:.6e} -> {:.10e} ({:.1}x lower) in {} iterations ({} cost, {} gradient evaluations), {:?}, {:.2} s",
        res.history[0],
        res.cost,
        res.history[0] / res.cost,
        res.iterations,
        res.value_evals,
        res.gradient_evals,
        res.termination,
        elapsed
    );
    let rest = res.y_final.iter().map(|v| v * v).sum::<f64>().sqrt();
    println!(
        "final state x(T) = {:.3e}, x'(T) = {:.3e} (|y(T)| = {rest:.3e}); projected gradient {:.2e}",
        res.y_final[0], res.y_final[1], res.projected_gradient
    );
    let on_bound = res
        .x
        .iter()
        .filter(|v| v.abs() >= args.umax * (1.0 - 1e-12))
        .count();
    println!("controls ({on_bound} of {} on the bound):", res.x.len());
    let vals: Vec<String> = res.x.iter().map(|v| format!("{v:.4}")).collect();
    println!("{}", vals.join(" "));
}

fn plot(path: &Path, t: &[f64], y: &[f64], y_free: &[f64], u: &[f64]) -> Result<()> {
    use ai4de_report::{plot_lines, LinePlot, Series};
    let col = |v: &[f64], k: usize| -> Vec<(f64, f64)> {
        t.iter()
            .enumerate()
            .map(|(i, &ti)| (ti, v[2 * i + k]))
            .collect()
    };
    let lp = LinePlot::new("Van der Pol driven to rest: state and control")
        .x_label("t")
        .y_label("x, x', u")
        .with_series(Series::new("x (controlled)", col(y, 0)))
        .with_series(Series::new("x' (controlled)", col(y, 1)))
        .with_series(Series::new("u", t.iter().zip(u).map(|(a, b)| (*a, *b))))
        .with_series(Series::new("x (uncontrolled)", col(y_free, 0)));
    plot_lines(path, &lp).with_context(|| format!("plotting to {}", path.display()))?;
    Ok(())
}
