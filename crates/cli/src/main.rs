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
    Solve(commands::solve::Args),
    /// The quick-start job: solve the catalogue, check each solution against its reference,
    /// write JSON results and plots.
    Demo(commands::demo::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Problems(args) => commands::problems::run(&args),
        Command::Methods => commands::problems::methods(),
        Command::Solve(args) => commands::solve::run(&args),
        Command::Demo(args) => commands::demo::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
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
