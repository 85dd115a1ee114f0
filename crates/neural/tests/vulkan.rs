//! The GPU backend computes what the CPU backend computes: the same FNO-1D weights give the same
//! outputs on burn's wgpu/Vulkan device as on `flex`, and the same training run (same initial
//! weights, same batch order) ends at the same weights, to f32 rounding.
//!
//! Built only with `--features vulkan`, and then it needs a Vulkan driver: a GPU's, or Mesa's
//! lavapipe on a CPU-only machine (`apt-get install mesa-vulkan-drivers`):
//! `cargo test -p ai4de-neural --release --features vulkan --test vulkan`.
#![cfg(feature = "vulkan")]

use ai4de_neural::baseline::{PointMlp, PointMlpConfig};
use ai4de_neural::checkpoint::{flat_weights, load_model, save_model};
use ai4de_neural::data::{NormKind, Normalizer};
use ai4de_neural::models::Fno1dConfig;
use ai4de_neural::train::{train, NoTrainProgress, TrainConfig, TrainData};
use ai4de_neural::Backend;
use burn::tensor::{Tensor, TensorData};

mod common;
use common::{pairs, tmpdir};

fn max_rel_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    let scale = a.iter().fold(0.0f32, |m, v| m.max(v.abs())).max(1e-30);
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0f32, f32::max)
        / scale
}

#[test]
fn fno1d_forward_agrees_with_the_cpu_backend() {
    let gpu = Backend::Vulkan
        .device()
        .expect("a Vulkan device (install mesa-vulkan-drivers for lavapipe)");
    let cpu = Backend::Cpu.device().unwrap();
    cpu.seed(5);
    let cfg = Fno1dConfig {
        width: 16,
        modes: 8,
        layers: 2,
        ..Fno1dConfig::new(1, 1)
    };
    let on_cpu = cfg.init(&cpu).unwrap();
    let dir = tmpdir("vulkan-fno");
    let path = dir.join("fno.safetensors");
    save_model(&on_cpu, &path).unwrap();
    let on_gpu = load_model(cfg.init(&gpu).unwrap(), &path).unwrap();
    let n = 64;
    let x: Vec<f32> = (0..3 * n)
        .map(|i| ((i as f32) * 0.21).sin() + 0.3 * ((i as f32) * 0.05).cos())
        .collect();
    let input = |d| Tensor::<3>::from_data(TensorData::new(x.clone(), [3, 1, n]), d);
    let y_cpu = on_cpu.forward(input(&cpu)).unwrap().into_data();
    let y_gpu = on_gpu.forward(input(&gpu)).unwrap().into_data();
    let (a, b) = (
        y_cpu.try_to_vec::<f32>().unwrap(),
        y_gpu.try_to_vec::<f32>().unwrap(),
    );
    let d = max_rel_diff(&a, &b);
    assert!(
        d < 1e-4,
        "FNO-1D outputs differ by {d} (relative to max |y|)"
    );
}

#[test]
fn training_on_vulkan_ends_at_the_cpu_weights() {
    let train_set = pairs(24, 0);
    let val_set = pairs(6, 100);
    let norm = Normalizer::fit(NormKind::Channel, &train_set.outputs);
    let data = TrainData {
        train: (&train_set).into(),
        val: (&val_set).into(),
        out_norm: &norm,
    };
    let cfg = TrainConfig {
        epochs: 3,
        batch: 6,
        lr: 3e-3,
        seed: 7,
        ..TrainConfig::default()
    };
    let mlp = PointMlpConfig {
        in_channels: 1,
        out_channels: 1,
        width: 8,
    };
    let dir = tmpdir("vulkan-train");
    let cpu = Backend::Cpu.device().unwrap().autodiff();
    cpu.seed(1);
    let init = mlp.init(&cpu);
    let w0 = dir.join("init.safetensors");
    save_model(&init, &w0).unwrap();
    let mut finals = Vec::new();
    for backend in [Backend::Cpu, Backend::Vulkan] {
        let device = backend.device().expect("a Vulkan device").autodiff();
        let model: PointMlp = load_model(mlp.init(&device), &w0).unwrap();
        let out = dir.join(backend.name());
        let run = train::<PointMlp, 3>(
            model,
            &data,
            &cfg,
            &out,
            &device,
            false,
            None,
            &mut NoTrainProgress,
        )
        .unwrap();
        finals.push(flat_weights(&run.model));
    }
    let moved = max_rel_diff(&flat_weights(&init), &finals[0]);
    assert!(moved > 1e-3, "training did not move the weights ({moved})");
    let d = max_rel_diff(&finals[0], &finals[1]);
    assert!(d < 1e-3, "CPU and Vulkan training end {d} apart (relative)");
}
