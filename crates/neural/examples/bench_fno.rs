//! FNO-1D training-step and inference timings on the flex CPU backend, for the comparison with
//! PyTorch in `bench/neural/run.sh` (same architecture, batch, optimiser and loss as
//! `bench/neural/bench_torch.py`).
//!
//! ```text
//! cargo run --release -p ai4de-neural --example bench_fno -- [--n 1024] [--batch 20]
//!     [--width 64] [--modes 16] [--steps 7] [--warmup 3]
//! ```
//! Threads: flex runs its kernels on rayon's global pool; set `RAYON_NUM_THREADS`.

use std::time::Instant;

use ai4de_neural::burn::module::Module;
use ai4de_neural::burn::optim::{AdamConfig, GradientsParams};
use ai4de_neural::burn::tensor::{Device, Distribution, Tensor};
use ai4de_neural::models::Fno1dConfig;

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

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n = arg(&args, "--n", 1024);
    let batch = arg(&args, "--batch", 20);
    let steps = arg(&args, "--steps", 7);
    let warmup = arg(&args, "--warmup", 3);
    let mut cfg = Fno1dConfig::new(1, 1);
    cfg.width = arg(&args, "--width", 64);
    cfg.modes = arg(&args, "--modes", 16);

    let device = Device::flex();
    device.seed(0);
    let ad = device.clone().autodiff();
    let mut model = cfg.init(&ad).expect("valid config");
    let params = model.num_params();
    let mut optim = AdamConfig::new().init();
    let x = Tensor::<3>::random([batch, 1, n], Distribution::Normal(0.0, 1.0), &ad);
    let y = Tensor::<3>::random([batch, 1, n], Distribution::Normal(0.0, 1.0), &ad);

    let mut step_times = Vec::new();
    for i in 0..warmup + steps {
        let t0 = Instant::now();
        let pred = model.forward(x.clone()).expect("input fits the model");
        let loss = (pred - y.clone()).powi_scalar(2).mean();
        // Read the loss back, as a training loop does for its log.
        let _ = loss.clone().into_data();
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        model = optim.step(1e-3, model, grads);
        if i >= warmup {
            step_times.push(t0.elapsed().as_secs_f64());
        }
    }

    let plain = model.valid();
    let xb = x.clone().inner();
    let x1 = xb.clone().narrow(0, 0, 1);
    let time_forward = |input: &Tensor<3>| {
        let mut v = Vec::new();
        for i in 0..warmup + steps {
            let t0 = Instant::now();
            let out = plain.forward(input.clone()).expect("input fits the model");
            let _ = out.into_data();
            if i >= warmup {
                v.push(t0.elapsed().as_secs_f64());
            }
        }
        median_ms(v)
    };
    let infer_batch = time_forward(&xb);
    let infer_single = time_forward(&x1);
    println!(
        "ai4de params={params} train_step_ms={:.2} infer_batch_ms={infer_batch:.2} infer_single_ms={infer_single:.2}",
        median_ms(step_times)
    );
}
