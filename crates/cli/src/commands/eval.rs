//! `ai4de eval DIR [--data PATH ...]`: PDEBench metrics of a trained surrogate on its test split
//! or on other datasets (zero-shot super-resolution at 2x, 4x the training grid), rollout error
//! curves, inference timings and plots.

use std::path::PathBuf;

use ai4de_neural::card::ModelCard;
use ai4de_neural::eval::{evaluate, EvalOptions, EvalReport, EvalSplit};
use anyhow::{bail, Context, Result};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// A directory written by `ai4de train`.
    pub dir: PathBuf,
    /// Datasets to evaluate on (repeatable; default: the training dataset's test split).
    #[arg(long)]
    pub data: Vec<PathBuf>,
    /// auto (the test split of the training dataset, all samples of another), test or all.
    #[arg(long, default_value = "auto")]
    pub split: String,
    /// Evaluate at most N samples per dataset.
    #[arg(long)]
    pub max_samples: Option<usize>,
    /// Keep every SUB-th grid point (default: as in training for the training dataset, else 1).
    #[arg(long)]
    pub sub: Option<usize>,
    /// Number of samples plotted.
    #[arg(long, default_value_t = 3)]
    pub plots: usize,
    /// Batch size of the inference.
    #[arg(long, default_value_t = 32)]
    pub batch: usize,
    /// Output directory (default: DIR/eval).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Compute backend of the inference: cpu or vulkan (needs `--features vulkan`).
    #[arg(long, default_value = "cpu")]
    pub backend: String,
}

fn opt(v: Option<f64>) -> String {
    v.map_or("-".into(), |v| format!("{v:.3e}"))
}

pub fn run(args: &Args) -> Result<()> {
    let card = ModelCard::load(&args.dir)
        .with_context(|| format!("{} is not a trained model directory", args.dir.display()))?;
    let split = match args.split.as_str() {
        "auto" => EvalSplit::Auto,
        "test" => EvalSplit::Test,
        "all" => EvalSplit::All,
        s => bail!("--split {s}: known splits: auto, test, all"),
    };
    let backend: ai4de_neural::Backend = args.backend.parse()?;
    let out = args.out.clone().unwrap_or_else(|| args.dir.join("eval"));
    let datasets: Vec<Option<PathBuf>> = if args.data.is_empty() {
        vec![None]
    } else {
        args.data.iter().cloned().map(Some).collect()
    };
    println!("{}", ai4de_neural::eval::describe(&card));
    println!(
        "{:<28} {:>10} {:>7} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10}",
        "dataset",
        "grid",
        "n",
        "rel L2",
        "nRMSE",
        "RMSE",
        "max",
        "cons.",
        "boundary",
        "F low",
        "F mid",
        "F high"
    );
    let mut reports: Vec<EvalReport> = Vec::new();
    for (k, ds) in datasets.iter().enumerate() {
        let sub_out = if datasets.len() == 1 {
            out.clone()
        } else {
            out.join(format!("data-{k}"))
        };
        let opts = EvalOptions {
            dataset: ds.clone(),
            split,
            max_samples: args.max_samples,
            sub: args.sub,
            plots: args.plots,
            batch: args.batch,
            out: sub_out,
            backend,
        };
        let r = evaluate(&args.dir, &opts).with_context(|| {
            format!(
                "evaluating on {}",
                ds.as_ref().unwrap_or(&card.dataset).display()
            )
        })?;
        let m = &r.metrics;
        let name = r
            .dataset
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        println!(
            "{:<28} {:>10} {:>7} {:>10.3e} {:>10.3e} {:>10.3e} {:>10.3e} {:>10.3e} {:>10.3e} {:>10} {:>10} {:>10}",
            name,
            r.grid.iter().map(usize::to_string).collect::<Vec<_>>().join("x"),
            r.samples,
            m.rel_l2,
            m.nrmse,
            m.rmse,
            m.max_error,
            m.conservation,
            m.boundary,
            opt(m.fourier_low),
            opt(m.fourier_mid),
            opt(m.fourier_high)
        );
        if let Some(ro) = &r.rollout {
            let last = ro.rel_l2.last().copied().unwrap_or(f64::NAN);
            let h = ro.history.max(1);
            let t = |k: usize| ro.times.get(k).copied().unwrap_or(f64::NAN);
            println!(
                "  rollout over {} steps from the {} true state(s) to t = {:.3}: relative L2 {:.3e} at the end (one-step above)",
                ro.times.len().saturating_sub(h),
                h,
                ro.times.last().copied().unwrap_or(f64::NAN),
                last
            );
            println!(
                "  rollout relative L2 over t = {:.3}..{:.3} per trajectory (FNO paper's test_l2_full, mean over trajectories) {:.4e}; mean per step (test_l2_step) {:.4e}",
                t(h),
                ro.times.last().copied().unwrap_or(f64::NAN),
                ro.traj_rel_l2,
                ro.step_mean_rel_l2
            );
        }
        println!(
            "  inference: {:.3e} s/sample single, {:.3e} s/sample in batches of {}",
            r.inference.single, r.inference.batched, r.inference.batch
        );
        reports.push(r);
    }
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let path = out.join("summary.json");
    ai4de_neural::checkpoint::write_json(&path, &reports)?;
    println!("wrote {} and plots", path.display());
    Ok(())
}
