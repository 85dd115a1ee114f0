//! FNO training-step and inference timings on the flex CPU backend, for the comparison with
//! PyTorch in `bench/neural/run.sh` (same architecture, batch, optimiser and loss as
//! `bench/neural/bench_torch.py`).
//!
//! ```text
//! cargo run --release -p ai4de-neural --example bench_fno -- [--dim 1|2] [--n 1024] [--batch 20]
//!     [--width 64] [--modes 16] [--padding 0] [--steps 7] [--warmup 3]
//! ```
//! `--dim 1` (default) is the FNO paper's Burgers model (`Fno1d`, width 64, 16 modes) on `n`
//! points; `--dim 2` its Darcy model (`Fno2d`, width 32, 12 × 12 modes per corner) on an
//! `n × n` grid (`--padding` as the paper's `fourier_2d.py`, which pads by 9; ai4de's Darcy
//! run uses 0). Defaults of width and modes follow `--dim`.
//!
//! Besides the wall-clock medians it prints the median CPU time (user + system, all threads of
//! the process, from `getrusage`) and system time of a training step, which on a shared machine
//! are steadier than wall time and show the kernel's share (page faults).
//!
//! Threads: flex runs its kernels on rayon's global pool; set `RAYON_NUM_THREADS`. The process
//! keeps freed memory ([`ai4de_neural::allocator::retain_freed_memory`]) unless
//! `AI4DE_MALLOC=system` is set, for before/after measurements.

use std::time::Instant;

use ai4de_neural::burn::module::Module;
use ai4de_neural::burn::optim::{AdamConfig, GradientsParams};
use ai4de_neural::burn::tensor::{Device, Distribution, Tensor};
use ai4de_neural::models::{Fno1dConfig, Fno2dConfig};

fn arg(args: &[String], name: &str, default: usize) -> usize {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(|v| {
            v.parse()
                .unwrap_or_else(|_| panic!("{name} takes an integer, got {v}"))
        })
        .unwrap_or(default)
}

fn median_ms(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    1e3 * v[v.len() / 2]
}

/// `(user + system, system)` CPU seconds of the whole process so far (NaN off Unix).
#[cfg(not(unix))]
fn cpu_seconds() -> (f64, f64) {
    (f64::NAN, f64::NAN)
}

/// `(user + system, system)` CPU seconds of the whole process so far.
#[cfg(unix)]
fn cpu_seconds() -> (f64, f64) {
    // SAFETY: `getrusage` only writes the struct it is given.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) };
    let s = |t: libc::timeval| t.tv_sec as f64 + 1e-6 * t.tv_usec as f64;
    (s(u.ru_utime) + s(u.ru_stime), s(u.ru_stime))
}

/// The timings of one model, in ms.
struct Timings {
    step: Vec<f64>,
    cpu: Vec<f64>,
    sys: Vec<f64>,
}

impl Timings {
    fn new() -> Self {
        Self {
            step: Vec::new(),
            cpu: Vec::new(),
            sys: Vec::new(),
        }
    }

    fn start() -> (Instant, f64, f64) {
        let (c0, s0) = cpu_seconds();
        (Instant::now(), c0, s0)
    }

    fn stop(&mut self, record: bool, (t0, c0, s0): (Instant, f64, f64)) {
        let wall = t0.elapsed().as_secs_f64();
        let (c1, s1) = cpu_seconds();
        if record {
            self.step.push(wall);
            self.cpu.push(c1 - c0);
            self.sys.push(s1 - s0);
        }
    }
}

/// Times `steps` Adam steps (after `warmup`) and batched / single-sample inference of a model
/// given as its forward function.
macro_rules! bench {
    ($model:expr, $x:expr, $y:expr, $warmup:expr, $steps:expr, $narrow1:expr) => {{
        let mut model = $model;
        let params = model.num_params();
        let mut optim = AdamConfig::new().init();
        let mut train = Timings::new();
        for i in 0..$warmup + $steps {
            let t0 = Timings::start();
            let pred = model.forward($x.clone()).expect("input fits the model");
            let loss = (pred - $y.clone()).powi_scalar(2).mean();
            // Read the loss back, as a training loop does for its log.
            let _ = loss.clone().into_data();
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = optim.step(1e-3, model, grads);
            train.stop(i >= $warmup, t0);
        }
        let plain = model.valid();
        let xb = $x.clone().inner();
        let x1 = $narrow1(xb.clone());
        let time_forward = |input: &_| {
            let mut t = Timings::new();
            for i in 0..$warmup + $steps {
                let t0 = Timings::start();
                let out = plain.forward(Clone::clone(input)).expect("input fits");
                let _ = out.into_data();
                t.stop(i >= $warmup, t0);
            }
            median_ms(t.step)
        };
        let infer_batch = time_forward(&xb);
        let infer_single = time_forward(&x1);
        println!(
            "ai4de params={params} train_step_ms={:.2} train_cpu_ms={:.2} train_sys_ms={:.2} \
             infer_batch_ms={infer_batch:.2} infer_single_ms={infer_single:.2}",
            median_ms(train.step),
            median_ms(train.cpu),
            median_ms(train.sys),
        );
    }};
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if std::env::var("AI4DE_MALLOC").as_deref() != Ok("system") {
        ai4de_neural::allocator::retain_freed_memory();
    }
    let dim = arg(&args, "--dim", 1);
    let n = arg(&args, "--n", if dim == 1 { 1024 } else { 85 });
    let batch = arg(&args, "--batch", 20);
    let steps = arg(&args, "--steps", 7);
    let warmup = arg(&args, "--warmup", 3);

    let device = Device::flex();
    device.seed(0);
    let ad = device.clone().autodiff();
    match dim {
        1 => {
            let mut cfg = Fno1dConfig::new(1, 1);
            cfg.width = arg(&args, "--width", 64);
            cfg.modes = arg(&args, "--modes", 16);
            let x = Tensor::<3>::random([batch, 1, n], Distribution::Normal(0.0, 1.0), &ad);
            let y = Tensor::<3>::random([batch, 1, n], Distribution::Normal(0.0, 1.0), &ad);
            let model = cfg.init(&ad).expect("valid config");
            bench!(model, x, y, warmup, steps, |t: Tensor<3>| t.narrow(0, 0, 1));
        }
        2 => {
            let mut cfg = Fno2dConfig::new(1, 1);
            cfg.width = arg(&args, "--width", 32);
            cfg.modes1 = arg(&args, "--modes", 12);
            cfg.modes2 = cfg.modes1;
            cfg.padding = arg(&args, "--padding", 0);
            let x = Tensor::<4>::random([batch, 1, n, n], Distribution::Normal(0.0, 1.0), &ad);
            let y = Tensor::<4>::random([batch, 1, n, n], Distribution::Normal(0.0, 1.0), &ad);
            let model = cfg.init(&ad).expect("valid config");
            bench!(model, x, y, warmup, steps, |t: Tensor<4>| t.narrow(0, 0, 1));
        }
        d => panic!("--dim takes 1 or 2, got {d}"),
    }
}
