//! The training loop end to end on a tiny problem with the pointwise baseline: the loss falls,
//! checkpoints round-trip, and a run stopped after `j` epochs and resumed reaches the same
//! weights as an uninterrupted run.

use ai4de_neural::baseline::{PointMlp, PointMlpConfig};
use ai4de_neural::checkpoint;
use ai4de_neural::data::{NormKind, Normalizer};
use ai4de_neural::train::{train, NoTrainProgress, Schedule, TrainConfig, TrainData};
use burn::module::Module;
use burn::tensor::Device;

mod common;
use common::{pairs, tmpdir};

fn weights(m: &PointMlp) -> Vec<f32> {
    checkpoint::flat_weights(m)
}

#[test]
fn resume_after_stop_reaches_the_same_weights() {
    let device = Device::flex().autodiff();
    device.seed(3);
    let model = PointMlpConfig {
        in_channels: 1,
        out_channels: 1,
        width: 8,
    }
    .init(&device);
    // Materialise the lazily initialised parameters before cloning.
    let _ = weights(&model);
    let train_set = pairs(24, 0);
    let val_set = pairs(6, 100);
    let norm = Normalizer::fit(NormKind::Channel, &train_set.outputs);
    let data = TrainData {
        train: &train_set,
        val: &val_set,
        out_norm: &norm,
    };
    let cfg = TrainConfig {
        epochs: 4,
        batch: 5,
        lr: 3e-3,
        schedule: Schedule::Step {
            step: 2,
            gamma: 0.5,
        },
        seed: 11,
        ..TrainConfig::default()
    };
    let a = tmpdir("uninterrupted");
    let b = tmpdir("resumed");
    let full = train::<PointMlp, 3>(
        model.clone(),
        &data,
        &cfg,
        &a,
        &device,
        false,
        None,
        &mut NoTrainProgress,
    )
    .unwrap();
    let part = train::<PointMlp, 3>(
        model.clone(),
        &data,
        &cfg,
        &b,
        &device,
        false,
        Some(2),
        &mut NoTrainProgress,
    )
    .unwrap();
    assert_eq!(part.state.epoch, 2);
    // A fresh model (other initial weights) resumes from the checkpoint.
    let other = PointMlpConfig {
        in_channels: 1,
        out_channels: 1,
        width: 8,
    }
    .init(&device);
    let resumed = train::<PointMlp, 3>(
        other,
        &data,
        &cfg,
        &b,
        &device,
        true,
        None,
        &mut NoTrainProgress,
    )
    .unwrap();
    assert_eq!(resumed.state.epoch, 4);
    let (wa, wb) = (weights(&full.model), weights(&resumed.model));
    assert_eq!(wa.len(), wb.len());
    let max_diff = wa
        .iter()
        .zip(&wb)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0f32, f32::max);
    assert!(max_diff <= 1e-6, "resumed weights differ by {max_diff}");
    assert_eq!(full.state.history.len(), 4);
    assert_eq!(resumed.state.history.len(), 4);
    for (h, r) in full.state.history.iter().zip(&resumed.state.history) {
        assert_eq!(h.train_loss, r.train_loss);
        assert_eq!(h.val_loss, r.val_loss);
    }
    // The loss falls on this learnable map.
    let first = full.state.history[0].train_loss;
    let last = full.state.history[3].train_loss;
    assert!(last < first, "loss {first} -> {last}");
    // Save -> load gives identical outputs.
    let path = a.join("model.safetensors");
    checkpoint::save_model(&full.model, &path).unwrap();
    let loaded = checkpoint::load_model(
        PointMlpConfig {
            in_channels: 1,
            out_channels: 1,
            width: 8,
        }
        .init(&device),
        &path,
    )
    .unwrap();
    assert_eq!(weights(&loaded), wa);
    let _ = loaded.valid();
    let _ = std::fs::remove_dir_all(&a);
    let _ = std::fs::remove_dir_all(&b);
}
