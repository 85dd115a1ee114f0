//! `ai4de demo`: the quick-start job. Solves every catalogue problem, checks each solution
//! against its exact solution, published reference or a two-method high-accuracy reference, and
//! writes one JSON file and one plot per problem plus `summary.json`.

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use ai4de_ode::problems::{self, Problem, Reference};
use ai4de_ode::{Method, SaveAt, Solve};
use ai4de_report::Phase;
use anyhow::{Context, Result};
use serde_json::json;

use crate::commands::solve;
use crate::output::{self, Format, Meta};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Output directory.
    #[arg(long, default_value = "ai4de-demo")]
    pub out: PathBuf,
    /// Method for the non-stiff problems.
    #[arg(long, default_value = "tsit5")]
    pub method: String,
    /// Method for the stiff problems with published references (HIRES, POLLU, ROBER, OREGO,
    /// Van der Pol, the Robertson DAE).
    #[arg(long, default_value = "auto")]
    pub stiff_method: String,
    /// Relative tolerance (atol is rtol/100).
    #[arg(long, default_value_t = 1e-8)]
    pub rtol: f64,
    /// Skip the plots.
    #[arg(long)]
    pub no_plots: bool,
    /// Skip the neural-surrogate part (generate -> train -> eval -> compare on Burgers).
    #[arg(long)]
    pub no_surrogate: bool,
    /// Training epochs of the surrogate part.
    #[arg(long, default_value_t = 30)]
    pub surrogate_epochs: usize,
}

/// Mixed error `max_i |a_i − b_i| / max(1, |b_i|)`.
fn mixed_error(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, r)| (x - r).abs() / r.abs().max(1.0))
        .fold(0.0, f64::max)
}

/// A high-accuracy final state.
fn tight(p: &Problem, t_end: f64, method: Method) -> Result<Vec<f64>> {
    let sol = Solve::new(p, (p.t0, t_end), &p.y0)
        .method(method)
        .rtol(1e-14)
        .atol(1e-16)
        .max_steps(10_000_000)
        .save_at(SaveAt::Final)
        .run()?;
    Ok(sol.y_final().to_vec())
}

/// The reference state at the end of the demo span, and what it is.
/// Returns the reference, a description, and the disagreement of two independent references
/// (0 where the reference is exact or published).
fn reference(p: &Problem, t_end: f64) -> Result<(Vec<f64>, String, f64)> {
    Ok(match p.reference() {
        Reference::Exact(_) => (
            p.exact(t_end).context("exact solution")?,
            "exact solution".into(),
            0.0,
        ),
        Reference::Final { y, .. } => (y.clone(), "published reference".into(), 0.0),
        Reference::Period { .. } => (
            p.y0.clone(),
            "closes on itself after one period".into(),
            0.0,
        ),
        _ => {
            // Two different methods at 1e-14; their disagreement is the reference's own
            // uncertainty (large for chaotic problems over long spans).
            let a = tight(p, t_end, Method::Vern9)?;
            let b = tight(p, t_end, Method::Dop853)?;
            let spread = mixed_error(&b, &a);
            (
                a,
                format!("Vern9 at 1e-14 (DOP853 at 1e-14 agrees to {spread:.1e})"),
                spread,
            )
        }
    })
}

pub fn run(args: &Args) -> Result<()> {
    let method: Method = args.method.parse()?;
    let stiff_method: Method = args.stiff_method.parse()?;
    if stiff_method.explicit_tableau().is_some() {
        anyhow::bail!(
            "--stiff-method {stiff_method}: an explicit method cannot solve the stiff problems \
             (use auto, rodas5p, rodas4, rosenbrock23, radau5, bdf or ndf)"
        );
    }
    let mut out = std::io::stdout().lock();
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let atol = args.rtol / 100.0;
    writeln!(
        out,
        "ai4de demo: solving the catalogue at rtol {:e}, atol {:e}: non-stiff problems with \
         {method}, stiff ones with {stiff_method}",
        args.rtol, atol
    )?;
    writeln!(
        out,
        "{:<10} {:<8} {:>4} {:>8} {:>8} {:>9} {:>10}  reference",
        "problem", "method", "dim", "steps", "f-evals", "time ms", "error"
    )?;
    let mut rows = Vec::new();
    let mut sensitive = Vec::new();
    // The explicit method for the non-stiff problems; the stiff method for the stiff problems
    // with a published reference (the large Brusselators and vdp1e6 have none).
    let jobs = problems::catalogue().into_iter().filter_map(|p| {
        if !p.is_stiff() {
            Some((p, method))
        } else if matches!(p.reference(), Reference::Final { .. }) && p.name != "e5" {
            // E5's concentrations are ~1e-20: it needs atol <= 1e-20, not the demo's rtol/100.
            Some((p, stiff_method))
        } else {
            None
        }
    });
    for (mut p, method) in jobs {
        let t_end = match p.reference() {
            Reference::Final { t, .. } => *t,
            Reference::Period { period, .. } => p.t0 + period,
            _ => p.t_end,
        };
        p.t_end = t_end;
        let (y_ref, ref_kind, spread) = reference(&p, t_end)?;
        let start = Instant::now();
        let sol = Solve::new(&p, (p.t0, t_end), &p.y0)
            .method(method)
            .rtol(args.rtol)
            .atol(atol)
            .max_steps(1_000_000)
            .run()
            .with_context(|| format!("solving {}", p.name))?;
        let seconds = start.elapsed().as_secs_f64();
        let err = mixed_error(sol.y_final(), &y_ref);
        if spread > 1e-10 {
            sensitive.push((p.name, t_end, spread));
        }
        writeln!(
            out,
            "{:<10} {:<8} {:>4} {:>8} {:>8} {:>9.3} {:>10.2e}  {}",
            p.name,
            method.name(),
            p.dim(),
            sol.stats.accepted,
            sol.stats.f_evals,
            seconds * 1e3,
            err,
            ref_kind
        )?;
        let params: Vec<(&str, f64)> = p.params().iter().map(|q| (q.name, q.value)).collect();
        let meta = Meta {
            problem: p.name,
            method: method.name(),
            rtol: args.rtol,
            atol,
            state_names: &p.state_names,
            params,
        };
        output::write_solution(
            &args.out.join(format!("{}.json", p.name)),
            Format::Json,
            &meta,
            &sol,
        )?;
        if !args.no_plots {
            // A smooth picture: the same solve saved on a fine grid through dense output.
            let n = 2000;
            let ts: Vec<f64> = (0..n)
                .map(|i| p.t0 + (t_end - p.t0) * i as f64 / (n - 1) as f64)
                .collect();
            let dense = Solve::new(&p, (p.t0, t_end), &p.y0)
                .method(method)
                .rtol(args.rtol)
                .atol(atol)
                .max_steps(1_000_000)
                .save_at(SaveAt::Times(ts))
                .run()?;
            let title = format!("{}: {}", p.name, p.description);
            let phase = match p.name {
                "arenstorf" | "pendulum2" => Phase::Pair(0, 1),
                "pleiades" => Phase::Pair(0, 7),
                _ => Phase::Auto,
            };
            let path = args.out.join(format!("{}.png", p.name));
            solve::plot(&path, &title, &p.state_names, phase, &dense)?;
        }
        rows.push(json!({
            "problem": p.name, "method": method.name(), "dim": p.dim(), "t_end": t_end, "steps": sol.stats.steps,
            "accepted": sol.stats.accepted, "rejected": sol.stats.rejected,
            "f_evals": sol.stats.f_evals, "seconds": seconds, "error": err, "reference": ref_kind,
            "reference_spread": spread,
        }));
    }
    for (name, t_end, spread) in &sensitive {
        writeln!(
            out,
            "note: {name} is chaotic over [0, {t_end}]: two solvers at 1e-14 already differ by \
             {spread:.1e}, so an error far above rtol there comes from the problem, not the solver"
        )?;
    }
    let summary = json!({
        "method": method.name(), "stiff_method": stiff_method.name(), "rtol": args.rtol,
        "atol": atol, "problems": rows,
    });
    let path = args.out.join("summary.json");
    output::write_atomic(&path, |f| {
        use std::io::Write;
        Ok(f.write_all(serde_json::to_string_pretty(&summary)?.as_bytes())?)
    })?;
    writeln!(
        out,
        "wrote {} (one JSON file{} per problem and summary.json)",
        args.out.display(),
        if args.no_plots { "" } else { " and one PNG" }
    )?;
    if !args.no_surrogate {
        surrogate(args, &mut out)?;
    }
    Ok(())
}

/// The end-to-end surrogate run of the quick start: a small FNO Burgers set (nu = 0.1, 128
/// points, 200 samples) is generated, a surrogate u(0) -> u(1) is trained for a few epochs,
/// evaluated on the held-out test split and compared with the spectral solver.
fn surrogate(args: &Args, out: &mut impl Write) -> Result<()> {
    use ai4de_neural::card::{fit, FitOptions, SplitOptions};
    use ai4de_neural::compare::{compare, CompareOptions};
    use ai4de_neural::data::{DataOptions, NormKind};
    use ai4de_neural::eval::{evaluate, EvalOptions, EvalSplit};
    use ai4de_neural::train::{AutoTrainProgress, Schedule, TrainConfig};

    let dir = args.out.join("surrogate");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    writeln!(
        out,
        "\nsurrogate: generate -> train -> eval -> compare (FNO Burgers set-up, nu = 0.1, 128 points)"
    )?;
    let data = dir.join("burgers128.zarr");
    let pde = ai4de_pde::get("burgers")?;
    let cfg = ai4de_pde::GenConfig {
        grid: vec![128],
        steps: Some(2),
        ..Default::default()
    };
    let mut gopts = ai4de_data::GenerateOptions::new(200, data.clone());
    gopts.seed = 1;
    gopts.force = true;
    let g = ai4de_data::generate(pde.as_ref(), &cfg, &gopts, &ai4de_data::NoProgress)?;
    writeln!(
        out,
        "  generated {} samples in {:.2} s -> {}",
        g.samples,
        g.seconds,
        data.display()
    )?;
    let epochs = args.surrogate_epochs.max(1);
    let opts = FitOptions {
        data: DataOptions::default(),
        split: SplitOptions {
            n_train: None,
            n_val: Some(20),
            n_test: Some(20),
            val_frac: 0.0,
            test_frac: 0.0,
        },
        in_norm: NormKind::Channel,
        out_norm: NormKind::Channel,
        train: TrainConfig {
            epochs,
            batch: 20,
            lr: 3e-3,
            weight_decay: 1e-4,
            schedule: Schedule::Cosine,
            seed: 0,
            ..TrainConfig::default()
        },
        resume: false,
        stop_after: None,
        backend: ai4de_neural::Backend::Cpu,
    };
    let model_dir = dir.join("model");
    if model_dir.join("checkpoints").exists() {
        std::fs::remove_dir_all(model_dir.join("checkpoints"))?;
    }
    let spec = crate::commands::train::demo_spec;
    let fit = fit(
        &data,
        &spec,
        &opts,
        &model_dir,
        &mut AutoTrainProgress::new(std::time::Duration::from_secs(5)),
    )?;
    writeln!(out, "  trained {}", ai4de_neural::eval::describe(&fit.card))?;
    let ev = evaluate(
        &model_dir,
        &EvalOptions {
            dataset: None,
            split: EvalSplit::Test,
            max_samples: None,
            sub: None,
            plots: if args.no_plots { 0 } else { 2 },
            batch: 20,
            out: dir.join("eval"),
            backend: ai4de_neural::Backend::Cpu,
        },
    )?;
    writeln!(
        out,
        "  test ({} samples): relative L2 {:.3e}, nRMSE {:.3e}, max error {:.3e}; inference \
         {:.2e} s/sample batched",
        ev.samples, ev.metrics.rel_l2, ev.metrics.nrmse, ev.metrics.max_error, ev.inference.batched
    )?;
    let cmp = compare(
        &model_dir,
        &CompareOptions {
            samples: 8,
            batch: 20,
            out: dir.join("compare"),
        },
    )?;
    writeln!(
        out,
        "  solver at 128 points: {:.2e} s/sample; cheapest solver as accurate as the surrogate: {}",
        cmp.solver.seconds,
        cmp.cheapest_matching
            .as_ref()
            .map_or("none tried".to_string(), |c| format!(
                "{:?} points, dt x{}, {:.2e} s/sample, rel L2 {:.2e}",
                c.grid,
                c.step_factor,
                c.seconds,
                c.rel_l2.unwrap_or(f64::NAN)
            ))
    )?;
    writeln!(
        out,
        "  break-even: {} queries vs the 128-point solver (data {:.1} s + training {:.1} s up front)",
        cmp.break_even_vs_solver.map_or("never".to_string(), |q| format!("{:.0}", q.ceil())),
        cmp.data_seconds,
        cmp.train_seconds
    )?;
    writeln!(out, "wrote {}", dir.display())?;
    Ok(())
}
