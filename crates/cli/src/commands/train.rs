//! `ai4de train <model> --data PATH --out DIR`: trains a neural surrogate on an ai4de dataset.

use std::path::PathBuf;
use std::time::Duration;

use ai4de_neural::card::{fit, FitOptions, ModelSpec, SplitOptions};
use ai4de_neural::data::{DataOptions, NormKind, Task};
use ai4de_neural::train::{AutoTrainProgress, OptimizerKind, Schedule, TrainConfig};
use anyhow::{bail, Context, Result};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Architecture: fno1d, fno2d, unet1d, unet2d, deeponet, or pointmlp (a pointwise baseline).
    pub model: String,
    /// Training dataset (written by `ai4de generate`).
    #[arg(long)]
    pub data: PathBuf,
    /// Output directory: model.json, model.safetensors, checkpoints/, curves.json/png.
    #[arg(long)]
    pub out: PathBuf,
    /// operator (u(t0) -> u(T), or a -> u for steady problems) or autoregressive
    /// (u(t_k) -> u(t_k+1)).
    #[arg(long, default_value = "operator")]
    pub task: String,
    /// Autoregressive task: unroll the model K steps from each u(t_k) during training and sum
    /// the loss over the K predicted steps (backpropagation through the rollout).
    #[arg(long, default_value_t = 1, value_name = "K")]
    pub rollout: usize,
    /// Autoregressive task: number H of consecutive states in the model input, stacked as
    /// channels (oldest first): u(t_k-H+1..t_k) -> u(t_k+1). The FNO paper's Navier-Stokes
    /// set-up is --history 10 with --rollout over the remaining states; `ai4de eval` then rolls
    /// out from the first H true states.
    #[arg(long, default_value_t = 1, value_name = "H")]
    pub history: usize,
    /// With --rollout K >= 2: detach the state between the unrolled steps (the pushforward trick
    /// of Brandstetter et al. 2022): each step's loss trains only that step, from inputs the
    /// model itself produced.
    #[arg(long)]
    pub pushforward: bool,
    #[arg(long, default_value_t = 500)]
    pub epochs: usize,
    #[arg(long, default_value_t = 20)]
    pub batch: usize,
    #[arg(long, default_value_t = 1e-3)]
    pub lr: f64,
    #[arg(long, default_value_t = 1e-4)]
    pub weight_decay: f64,
    /// adam (L2 weight decay, as the FNO scripts) or adamw.
    #[arg(long, default_value = "adam")]
    pub optimizer: String,
    /// step (halve every epochs/5, as FNO), step:EVERY:GAMMA, cosine or constant.
    #[arg(long, default_value = "step")]
    pub schedule: String,
    /// Hidden width: FNO channels (default 64 in 1-D, 32 in 2-D), U-Net first-level features,
    /// DeepONet hidden width and latent size, point MLP width (default 32).
    #[arg(long)]
    pub width: Option<usize>,
    /// Fourier modes kept per dimension (FNO; default 16 in 1-D, 12 in 2-D).
    #[arg(long)]
    pub modes: Option<usize>,
    /// FNO Fourier layers (default 4), U-Net levels, DeepONet hidden layers.
    #[arg(long)]
    pub layers: Option<usize>,
    /// Seed of the initialisation, the split and the batch order.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Fraction of the samples used for validation.
    #[arg(long, default_value_t = 0.1)]
    pub val_frac: f64,
    /// Fraction of the samples held out for testing (`ai4de eval`).
    #[arg(long, default_value_t = 0.1)]
    pub test_frac: f64,
    /// Exact numbers of training / validation / test samples (override the fractions).
    #[arg(long)]
    pub ntrain: Option<usize>,
    #[arg(long)]
    pub nval: Option<usize>,
    #[arg(long)]
    pub ntest: Option<usize>,
    /// Keep every SUB-th grid point per axis.
    #[arg(long, default_value_t = 1)]
    pub sub: usize,
    /// Keep every T_STRIDE-th time point (autoregressive).
    #[arg(long, default_value_t = 1)]
    pub t_stride: usize,
    /// Time index of the input / output (operator task; default first / last). Autoregressive
    /// task: --t-in is the first time index kept (earlier states are dropped).
    #[arg(long)]
    pub t_in: Option<usize>,
    #[arg(long)]
    pub t_out: Option<usize>,
    /// Input / output fields, comma-separated (default: see the docs).
    #[arg(long)]
    pub input: Option<String>,
    #[arg(long)]
    pub output: Option<String>,
    /// Use only the first N samples of the dataset.
    #[arg(long)]
    pub max_samples: Option<usize>,
    /// Normalisation of inputs and outputs: channel, point (FNO's per-point Gaussian) or none.
    #[arg(long, default_value = "channel")]
    pub normalize: String,
    /// Start over even if OUT holds a checkpoint (default: resume from it).
    #[arg(long)]
    pub restart: bool,
    /// Compute backend: cpu (burn's flex backend) or vulkan (a GPU through burn's wgpu backend;
    /// needs a build with `--features vulkan` and a Vulkan driver).
    #[arg(long, default_value = "cpu")]
    pub backend: String,
    /// Stop after this many epochs (the checkpoint stays; rerun to resume).
    #[arg(long, hide = true)]
    pub stop_after: Option<usize>,
}

fn fields(s: &Option<String>) -> Vec<String> {
    s.as_deref()
        .map(|s| {
            s.split(',')
                .map(|f| f.trim().to_string())
                .filter(|f| !f.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

pub fn run(args: &Args) -> Result<()> {
    let optimizer = match args.optimizer.as_str() {
        "adam" => OptimizerKind::Adam,
        "adamw" => OptimizerKind::AdamW,
        o => bail!("--optimizer {o}: known optimizers: adam, adamw"),
    };
    let norm = NormKind::parse(&args.normalize)?;
    let train = TrainConfig {
        epochs: args.epochs,
        batch: args.batch,
        lr: args.lr,
        weight_decay: args.weight_decay,
        optimizer,
        schedule: Schedule::parse(&args.schedule, args.epochs)?,
        seed: args.seed,
        rollout: args.rollout,
        pushforward: args.pushforward,
    };
    let opts = FitOptions {
        data: DataOptions {
            task: Task::parse(&args.task)?,
            input_fields: fields(&args.input),
            output_fields: fields(&args.output),
            t_in: args.t_in,
            t_out: args.t_out,
            sub: args.sub,
            t_stride: args.t_stride,
            max_samples: args.max_samples,
            history: args.history,
        },
        split: SplitOptions {
            n_train: args.ntrain,
            n_val: args.nval,
            n_test: args.ntest,
            val_frac: args.val_frac,
            test_frac: args.test_frac,
        },
        in_norm: norm,
        out_norm: norm,
        train,
        resume: !args.restart,
        stop_after: args.stop_after,
        backend: args.backend.parse()?,
    };
    let model = args.model.to_ascii_lowercase();
    let known = ["fno1d", "fno2d", "unet1d", "unet2d", "deeponet", "pointmlp"];
    if !known.contains(&model.as_str()) {
        bail!(
            "unknown model '{}': known models: {}",
            args.model,
            known.join(", ")
        );
    }
    let (width, modes, layers) = (args.width, args.modes, args.layers);
    let spec = move |cin: usize, cout: usize, grid: &[usize]| -> ModelSpec {
        model_spec(&model, cin, cout, grid, width, modes, layers)
    };
    if args.restart && args.out.join("checkpoints").exists() {
        std::fs::remove_dir_all(args.out.join("checkpoints"))
            .with_context(|| format!("removing the old checkpoints in {}", args.out.display()))?;
    }
    let mut progress = AutoTrainProgress::new(Duration::from_secs(10));
    let report = fit(&args.data, &spec, &opts, &args.out, &mut progress)
        .with_context(|| format!("training on {}", args.data.display()))?;
    let c = &report.card;
    println!("{}", ai4de_neural::eval::describe(c));
    println!(
        "train loss {:.4e}, validation {:.4e} (relative L2); wrote {}",
        c.final_train_loss.unwrap_or(f64::NAN),
        c.final_val_loss.unwrap_or(f64::NAN),
        args.out.display()
    );
    Ok(())
}

/// The architecture `name` with the data's channel counts and grid, and the options given.
pub fn model_spec(
    name: &str,
    cin: usize,
    cout: usize,
    grid: &[usize],
    width: Option<usize>,
    modes: Option<usize>,
    layers: Option<usize>,
) -> ModelSpec {
    use ai4de_neural::models::{DeepOnetConfig, Fno1dConfig, Fno2dConfig, ModelConfig, UnetConfig};
    let op = match name {
        "fno1d" => {
            let mut c = Fno1dConfig::new(cin, cout);
            c.width = width.unwrap_or(c.width);
            c.modes = modes.unwrap_or(c.modes);
            c.layers = layers.unwrap_or(c.layers);
            ModelConfig::Fno1d(c)
        }
        "fno2d" => {
            let mut c = Fno2dConfig::new(cin, cout);
            c.width = width.unwrap_or(c.width);
            c.modes1 = modes.unwrap_or(c.modes1);
            c.modes2 = modes.unwrap_or(c.modes2);
            c.layers = layers.unwrap_or(c.layers);
            ModelConfig::Fno2d(c)
        }
        "unet1d" | "unet2d" => {
            let mut c = UnetConfig::new(cin, cout);
            c.features = width.unwrap_or(c.features);
            c.levels = layers.unwrap_or(c.levels);
            if name == "unet1d" {
                ModelConfig::Unet1d(c)
            } else {
                ModelConfig::Unet2d(c)
            }
        }
        "deeponet" => {
            let mut c = DeepOnetConfig::new(cin, cout, grid.to_vec());
            if let Some(w) = width {
                let n = layers.unwrap_or(c.branch_hidden.len());
                c.branch_hidden = vec![w; n];
                c.trunk_hidden = vec![w; n];
                c.latent = w;
            } else if let Some(n) = layers {
                c.branch_hidden = vec![c.branch_hidden[0]; n];
                c.trunk_hidden = vec![c.trunk_hidden[0]; n];
            }
            ModelConfig::DeepOnet(c)
        }
        _ => {
            return ModelSpec::PointMlp(ai4de_neural::baseline::PointMlpConfig {
                in_channels: cin,
                out_channels: cout,
                width: width.unwrap_or(32),
            })
        }
    };
    ModelSpec::Operator(op)
}

/// The quick-start demo's surrogate: a small FNO-1D (width 32, 12 modes, 4 layers).
pub fn demo_spec(cin: usize, cout: usize, grid: &[usize]) -> ModelSpec {
    model_spec("fno1d", cin, cout, grid, Some(32), Some(12), Some(4))
}
