//! `ai4de compare DIR`: the surrogate against the solver it replaces — solver time per sample,
//! surrogate inference time and error, the cheapest solver configuration with the same error,
//! and the break-even number of queries.

use std::path::PathBuf;

use ai4de_neural::compare::{compare, CompareOptions, SolverConfig};
use anyhow::{Context, Result};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// A directory written by `ai4de train` (operator or autoregressive task).
    pub dir: PathBuf,
    /// Test samples solved for the timings and errors.
    #[arg(long, default_value_t = 8)]
    pub samples: usize,
    /// Batch size of the batched surrogate timing.
    #[arg(long, default_value_t = 32)]
    pub batch: usize,
    /// Output directory (default: DIR/compare).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

fn row(name: &str, c: &SolverConfig) {
    println!(
        "{:<34} {:>10} {:>6} {:>12.3e} {:>12}",
        name,
        c.grid
            .iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join("x"),
        format!("{}", c.step_factor),
        c.seconds,
        c.rel_l2.map_or("failed".into(), |e| format!("{e:.3e}"))
    );
}

fn queries(q: Option<f64>) -> String {
    q.map_or("never (not faster)".into(), |q| format!("{:.0}", q.ceil()))
}

pub fn run(args: &Args) -> Result<()> {
    let out = args.out.clone().unwrap_or_else(|| args.dir.join("compare"));
    let r = compare(
        &args.dir,
        &CompareOptions {
            samples: args.samples,
            batch: args.batch,
            out: out.clone(),
        },
    )
    .with_context(|| format!("comparing {} with its solver", args.dir.display()))?;
    let query = if r.model_calls > 1 {
        format!(", one query = a {}-step rollout", r.model_calls)
    } else {
        String::new()
    };
    println!(
        "surrogate vs solver: {} ({}) on {:?}, {} test samples{query}",
        r.pde,
        r.task.name(),
        r.train_grid,
        r.samples
    );
    println!(
        "{:<34} {:>10} {:>6} {:>12} {:>12}",
        "", "grid", "dt x", "s/query", "rel L2"
    );
    row("solver, training grid", &r.solver);
    for c in r.sweep.iter().skip(1) {
        row("  solver, cheaper", c);
    }
    println!(
        "{:<34} {:>10} {:>6} {:>12.3e} {:>12.3e}",
        "surrogate, single",
        r.train_grid
            .iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join("x"),
        "",
        r.surrogate_single_seconds,
        r.surrogate_rel_l2
    );
    println!(
        "{:<34} {:>10} {:>6} {:>12.3e} {:>12.3e}",
        format!("surrogate, batches of {}", r.surrogate_batch),
        "",
        "",
        r.surrogate_batched_seconds,
        r.surrogate_rel_l2
    );
    match &r.cheapest_matching {
        Some(c) => row("cheapest solver with <= its error", c),
        None => println!("no solver configuration tried is as inaccurate as the surrogate"),
    }
    println!(
        "up-front cost: data {:.1} s + training {:.1} s; break-even after {} queries vs the \
         training-grid solver, {} vs the cheapest equally accurate solver",
        r.data_seconds,
        r.train_seconds,
        queries(r.break_even_vs_solver),
        r.cheapest_matching
            .as_ref()
            .map_or("-".into(), |_| queries(r.break_even_vs_matching))
    );
    println!("note: {}", r.note);
    println!("wrote {}", out.join("compare.json").display());
    Ok(())
}
