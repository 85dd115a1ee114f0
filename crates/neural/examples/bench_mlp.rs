//! Per-call cost of a small multilayer perceptron as a burn module (the `flex` CPU backend,
//! f32, autodiff for the VJP) against `ai4de-node`'s lean MLP (plain f64 with its own VJP), at
//! the sizes of neural ODEs and universal differential equations (issue 6: "small networks
//! must be cheap per call: measure burn modules against a lean hand-written MLP").
//!
//! ```text
//! RAYON_NUM_THREADS=1 cargo run --release -p ai4de-neural --example bench_mlp
//! ```
//!
//! Both sides compute what a neural ODE's right-hand side needs per call, from and into the
//! solver's `&[f64]` state: the forward pass `y = N(x)` on a batch of states, and the VJP
//! (`wᵀ ∂N/∂x` and `wᵀ ∂N/∂θ` for a cotangent `w`). The burn side therefore includes building
//! the input tensor from the state and reading the results back (which an ODE right-hand side
//! cannot avoid); the network itself runs in f32 (burn's default float), the lean MLP in f64.
//! Same architecture (tanh hidden layers, affine output), same batch. Wall time per call, the
//! median of 7 repetitions of a loop filling at least 20 ms, the two sides alternating.
use std::hint::black_box;
use std::time::Instant;

use ai4de_node::{Activation, Mlp, MlpWorkspace};
use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::{activation::tanh, Device, Tensor, TensorData};

/// `Linear → tanh → … → Linear` as a burn module.
#[derive(Module, Debug)]
struct BurnMlp {
    layers: Vec<Linear>,
}

impl BurnMlp {
    fn new(sizes: &[usize], device: &Device) -> Self {
        let layers = sizes
            .windows(2)
            .map(|w| LinearConfig::new(w[0], w[1]).init(device))
            .collect();
        Self { layers }
    }

    fn forward(&self, mut x: Tensor<2>) -> Tensor<2> {
        let last = self.layers.len() - 1;
        for (i, layer) in self.layers.iter().enumerate() {
            x = layer.forward(x);
            if i < last {
                x = tanh(x);
            }
        }
        x
    }
}

/// Mean wall time per call of `f` in µs over calls filling at least 20 ms.
fn per_call_us(f: &mut dyn FnMut()) -> f64 {
    let t = Instant::now();
    let mut calls = 0u64;
    while calls == 0 || t.elapsed().as_secs_f64() < 0.02 {
        f();
        calls += 1;
    }
    t.elapsed().as_secs_f64() * 1e6 / calls as f64
}

/// Medians of 7 alternating samples of `a` and `b` (after one warm-up sample each).
fn alternate(a: &mut dyn FnMut(), b: &mut dyn FnMut()) -> (f64, f64) {
    per_call_us(a);
    per_call_us(b);
    let (mut va, mut vb) = (Vec::new(), Vec::new());
    for _ in 0..7 {
        va.push(per_call_us(a));
        vb.push(per_call_us(b));
    }
    let med = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    (med(va), med(vb))
}

fn to_f64<const D: usize>(t: Tensor<D>) -> Vec<f64> {
    t.into_data()
        .convert::<f32>()
        .try_to_vec::<f32>()
        .expect("an f32 tensor")
        .into_iter()
        .map(f64::from)
        .collect()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let device = Device::flex();
    device.seed(0);
    let ad = device.clone().autodiff();
    println!(
        "RAYON_NUM_THREADS={}; load average {}",
        std::env::var("RAYON_NUM_THREADS").unwrap_or_else(|_| "unset".into()),
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    println!();
    println!("| network | batch | lean forward (µs) | burn forward (µs) | ratio | lean VJP (µs) | burn VJP (µs) | ratio |");
    println!("|---|---|---|---|---|---|---|---|");
    for sizes in [vec![2usize, 50, 2], vec![2, 5, 5, 5, 2], vec![2, 32, 32, 2]] {
        for batch in [1usize, 20] {
            let (din, dout) = (sizes[0], sizes[sizes.len() - 1]);
            let x: Vec<f64> = (0..batch * din).map(|i| 0.1 * i as f64 - 0.5).collect();
            let w = vec![1.0f64; batch * dout];

            // lean MLP
            let mlp = Mlp::new(&sizes, Activation::Tanh)?;
            let theta = mlp.init_glorot(0);
            let mut ws = MlpWorkspace::new();
            let mut y = vec![0.0; batch * dout];
            let mut gx = vec![0.0; batch * din];
            let mut gt = vec![0.0; mlp.n_params()];

            // burn: plain module for the forward pass, autodiff module for the VJP
            let net = BurnMlp::new(&sizes, &device);
            let net_ad = BurnMlp::new(&sizes, &ad);
            let n_params_burn = net.num_params();
            assert_eq!(n_params_burn, mlp.n_params(), "same architecture");
            let mut y_burn = vec![0.0f64; batch * dout];
            let mut g_burn = vec![0.0f64; batch * din + n_params_burn];

            let (lean_f, burn_f) = alternate(
                &mut || {
                    mlp.forward(black_box(&theta), black_box(&x), &mut ws, &mut y)
                        .expect("sizes are consistent");
                    black_box(&y);
                },
                &mut || {
                    let xin: Vec<f32> = black_box(&x).iter().map(|&v| v as f32).collect();
                    let xt = Tensor::<2>::from_data(TensorData::new(xin, [batch, din]), &device);
                    let out = to_f64(net.forward(xt));
                    y_burn.copy_from_slice(&out);
                    black_box(&y_burn);
                },
            );
            let (lean_v, burn_v) = alternate(
                &mut || {
                    mlp.vjp(
                        black_box(&theta),
                        black_box(&x),
                        &w,
                        &mut ws,
                        &mut gx,
                        &mut gt,
                    )
                    .expect("sizes are consistent");
                    black_box(&gt);
                },
                &mut || {
                    let xin: Vec<f32> = black_box(&x).iter().map(|&v| v as f32).collect();
                    let win: Vec<f32> = w.iter().map(|&v| v as f32).collect();
                    let xt = Tensor::<2>::from_data(TensorData::new(xin, [batch, din]), &ad)
                        .require_grad();
                    let wt = Tensor::<2>::from_data(TensorData::new(win, [batch, dout]), &ad);
                    let grads = (net_ad.forward(xt.clone()) * wt).sum().backward();
                    let mut k = 0;
                    let mut put = |v: Vec<f64>| {
                        g_burn[k..k + v.len()].copy_from_slice(&v);
                        k += v.len();
                    };
                    put(to_f64(xt.grad(&grads).expect("input gradient")));
                    for layer in &net_ad.layers {
                        put(to_f64(
                            layer.weight.val().grad(&grads).expect("weight gradient"),
                        ));
                        if let Some(b) = &layer.bias {
                            let gb = b.val().grad(&grads).expect("bias gradient");
                            put(to_f64(gb));
                        }
                    }
                    black_box(&g_burn);
                },
            );
            println!(
                "| {sizes:?} | {batch} | {lean_f:.3} | {burn_f:.2} | {:.0}x | {lean_v:.3} | {burn_v:.2} | {:.0}x |",
                burn_f / lean_f,
                burn_v / lean_v
            );
        }
    }
    Ok(())
}
