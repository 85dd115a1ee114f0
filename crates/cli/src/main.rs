//! `ai4de`: the command-line face of the ai4de libraries. Each subcommand parses its options,
//! validates them and makes one library call; errors print as one line and exit non-zero.

mod commands;
mod output;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "ai4de",
    version,
    about = "AI-accelerated differential equations: verified solvers, datasets, surrogates, discovery"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List the built-in problems with their dimensions, parameters and descriptions.
    Problems(commands::problems::Args),
    /// List the integration methods.
    Methods,
    /// Solve a built-in problem and write the trajectory (JSON, CSV, NPY/NPZ) and a plot.
    Solve(Box<commands::solve::Args>),
    /// The quick-start job: solve the catalogue, check each solution against its reference,
    /// write JSON results and plots.
    Demo(commands::demo::Args),
    /// List the PDE catalogue: equations, domains, boundary conditions, defaults, parameters.
    Pdes(commands::pdes::Args),
    /// Generate a dataset of PDE solutions (Zarr, NPY, NPZ, HDF5): parallel, deterministic,
    /// resumable after a kill.
    Generate(Box<commands::generate::Args>),
    /// Plot a dataset: space-time images of 1-D fields, snapshot heat maps of 2-D fields.
    Plot(commands::plot::Args),
    /// Discover governing equations from data (SINDy): from a CSV/NPZ time series or a simulated
    /// catalogue problem (--from lorenz --noise 0.01); prints the equations, writes JSON and a plot.
    Discover(Box<commands::discover::Args>),
    /// Fit parameters (and initial states) of a catalogue problem to data (CSV/NPZ, or
    /// --synthetic): Levenberg-Marquardt or L-BFGS, bounds and log-parameters, single or multiple
    /// shooting; standard errors, 95% intervals, optional MCMC; JSON and a data-vs-fit plot.
    Fit(Box<commands::fit::Args>),
    /// Optimal control with adjoint gradients: drive the forced Van der Pol oscillator to rest
    /// with a bounded piecewise-constant/linear control; cost history, JSON and a plot.
    Design(Box<commands::design::Args>),
    /// Train a neural surrogate (FNO, U-Net, DeepONet, pointwise baseline) on a dataset; writes
    /// the model, checkpoints (resumable) and training curves.
    Train(Box<commands::train::Args>),
    /// Evaluate a trained surrogate: PDEBench metrics on the test split or other datasets
    /// (super-resolution), rollout error curves, inference time, plots.
    Eval(Box<commands::eval::Args>),
    /// Run a trained surrogate on an input array (.npy in, .npy out).
    Predict(commands::predict::Args),
    /// Surrogate vs solver: solver time, surrogate time and error, the cheapest solver with the
    /// same error, and the break-even number of queries.
    Compare(commands::compare::Args),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(
                e.kind(),
                ErrorKind::DisplayHelp
                    | ErrorKind::DisplayVersion
                    | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            ) {
                e.exit();
            }
            // One line, like every other error of ai4de.
            let text = e.to_string();
            let first = text.lines().next().unwrap_or("error: bad arguments");
            eprintln!("{first} (see 'ai4de --help')");
            return ExitCode::from(2);
        }
    };
    if matches!(
        cli.command,
        Command::Train(_) | Command::Eval(_) | Command::Predict(_) | Command::Compare(_)
    ) && std::env::var("AI4DE_MALLOC").as_deref() != Ok("system")
    {
        // Neural training and inference free and reallocate the same large tensors every
        // step; keep them in the process instead of page-faulting them in again (system time
        // was a quarter of a Darcy epoch's CPU time; bench/neural/RESULTS.md). AI4DE_MALLOC=system
        // keeps glibc's defaults, for comparison.
        ai4de_neural::allocator::retain_freed_memory();
    }
    let result = match cli.command {
        Command::Problems(args) => commands::problems::run(&args),
        Command::Methods => commands::problems::methods(),
        Command::Solve(args) => commands::solve::run(&args),
        Command::Demo(args) => commands::demo::run(&args),
        Command::Pdes(args) => commands::pdes::run(&args),
        Command::Generate(args) => commands::generate::run(&args),
        Command::Plot(args) => commands::plot::run(&args),
        Command::Discover(args) => commands::discover::run(&args),
        Command::Fit(args) => commands::fit::run(&args),
        Command::Design(args) => commands::design::run(&args),
        Command::Train(args) => commands::train::run(&args),
        Command::Eval(args) => commands::eval::run(&args),
        Command::Predict(args) => commands::predict::run(&args),
        Command::Compare(args) => commands::compare::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // `ai4de problems | head`: the reader went away; that is not an error.
        Err(e)
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            ExitCode::SUCCESS
        }
        Err(e) => {
            // One line: the chain of causes joined.
            let msg = e
                .chain()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
                .join(": ");
            eprintln!("error: {msg}");
            ExitCode::FAILURE
        }
    }
}
