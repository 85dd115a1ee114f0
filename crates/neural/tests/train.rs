//! The training loop end to end on a tiny problem with the pointwise baseline: the loss falls,
//! checkpoints round-trip, and a run stopped after `j` epochs and resumed reaches the same
//! weights as an uninterrupted run, also with a history window cut per batch; windows of one
//! state train bit for bit as the materialised pairs did.

use ai4de_neural::baseline::{PointMlp, PointMlpConfig};
use ai4de_neural::checkpoint;
use ai4de_neural::data::{NormKind, Normalizer, Trajectories, Windows};
use ai4de_neural::train::{train, NoTrainProgress, Samples, Schedule, TrainConfig, TrainData};
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
        train: (&train_set).into(),
        val: (&val_set).into(),
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

/// Trajectories of 9 states on 16 points: `u_k(x) = sin(2πx + 0.3 k + 0.5 i)` scaled per
/// trajectory, a smooth travelling wave.
fn waves(n: usize) -> Trajectories {
    let (steps, points) = (9, 16);
    let mut data = Vec::with_capacity(n * steps * points);
    for i in 0..n {
        for k in 0..steps {
            for p in 0..points {
                let x = p as f32 / points as f32;
                let a = 1.0 + 0.1 * i as f32;
                data.push(a * (std::f32::consts::TAU * x + 0.3 * k as f32 + 0.5 * i as f32).sin());
            }
        }
    }
    Trajectories {
        data,
        n,
        steps,
        channels: 1,
        spatial: vec![points],
        times: (0..steps).map(|k| k as f64).collect(),
    }
}

fn mlp(cin: usize, device: &Device) -> PointMlp {
    let m = PointMlpConfig {
        in_channels: cin,
        out_channels: 1,
        width: 8,
    }
    .init(device);
    // Materialise the lazily initialised parameters before cloning.
    let _ = weights(&m);
    m
}

fn windows_cfg(rollout: usize) -> TrainConfig {
    TrainConfig {
        epochs: 4,
        batch: 5,
        lr: 3e-3,
        schedule: Schedule::Step {
            step: 2,
            gamma: 0.5,
        },
        seed: 13,
        rollout,
        ..TrainConfig::default()
    }
}

/// Issue 7: with a history of 3 states and a 2-step rollout (windows cut per batch), a run
/// stopped after 2 epochs and resumed reaches the weights and curves of an uninterrupted run.
#[test]
fn resume_with_a_history_window_reaches_the_same_weights() {
    let device = Device::flex().autodiff();
    device.seed(5);
    let model = mlp(3, &device);
    let traj = waves(7);
    let train_idx = [0, 2, 3, 5, 6];
    let norm = Normalizer::fit_samples(
        NormKind::Channel,
        1,
        &[16],
        &Windows::new(&traj, &train_idx, 3, 2)
            .unwrap()
            .input_states(),
    );
    let tiled = norm.tiled(3);
    let samples = |idx: &[usize], k: usize| Samples::Windows {
        windows: Windows::new(&traj, idx, 3, k).unwrap(),
        in_norm: &tiled,
    };
    let data = TrainData {
        train: samples(&train_idx, 2),
        val: samples(&[1, 4], 1),
        out_norm: &norm,
    };
    // 5 trajectories x (9 - 3 - 2 + 1) windows.
    assert_eq!(data.train.len(), 25);
    let cfg = windows_cfg(2);
    let (a, b) = (tmpdir("hist-full"), tmpdir("hist-resumed"));
    let run = |m: PointMlp, dir: &std::path::Path, resume: bool, stop: Option<usize>| {
        train::<PointMlp, 3>(
            m,
            &data,
            &cfg,
            dir,
            &device,
            resume,
            stop,
            &mut NoTrainProgress,
        )
        .unwrap()
    };
    let full = run(model.clone(), &a, false, None);
    let part = run(model.clone(), &b, false, Some(2));
    assert_eq!(part.state.epoch, 2);
    let resumed = run(mlp(3, &device), &b, true, None);
    assert_eq!(resumed.state.epoch, 4);
    assert_eq!(weights(&full.model), weights(&resumed.model));
    assert_eq!(full.state.history.len(), 4);
    for (h, r) in full.state.history.iter().zip(&resumed.state.history) {
        assert_eq!(h.train_loss, r.train_loss);
        assert_eq!(h.val_loss, r.val_loss);
    }
    assert!(full.state.history[3].train_loss < full.state.history[0].train_loss);
    let _ = std::fs::remove_dir_all(&a);
    let _ = std::fs::remove_dir_all(&b);
}

/// Issue 7: for one state in, windows cut per batch train exactly (bit for bit: weights,
/// losses) as the materialised next-step pairs and K-step windows did.
#[test]
fn one_state_windows_train_bit_for_bit_as_materialised_pairs() {
    let device = Device::flex().autodiff();
    let traj = waves(6);
    let train_idx = [0, 1, 3, 4];
    for k in [1, 3] {
        device.seed(8);
        let model = mlp(1, &device);
        let mut old_train = if k == 1 {
            traj.pairs(&train_idx)
        } else {
            traj.windows(&train_idx, k).unwrap()
        };
        let mut old_val = traj.pairs(&[2, 5]);
        let norm = Normalizer::fit(NormKind::Point, &old_train.inputs);
        norm.encode(&mut old_train.inputs).unwrap();
        norm.encode(&mut old_val.inputs).unwrap();
        let old = TrainData {
            train: (&old_train).into(),
            val: (&old_val).into(),
            out_norm: &norm,
        };
        let new_norm = Normalizer::fit_samples(
            NormKind::Point,
            1,
            &[16],
            &Windows::new(&traj, &train_idx, 1, k)
                .unwrap()
                .input_states(),
        );
        assert_eq!(new_norm, norm);
        let new = TrainData {
            train: Samples::Windows {
                windows: Windows::new(&traj, &train_idx, 1, k).unwrap(),
                in_norm: &new_norm,
            },
            val: Samples::Windows {
                windows: Windows::new(&traj, &[2, 5], 1, 1).unwrap(),
                in_norm: &new_norm,
            },
            out_norm: &new_norm,
        };
        let cfg = windows_cfg(k);
        let (a, b) = (tmpdir("pairs-old"), tmpdir("pairs-new"));
        let x = train::<PointMlp, 3>(
            model.clone(),
            &old,
            &cfg,
            &a,
            &device,
            false,
            None,
            &mut NoTrainProgress,
        )
        .unwrap();
        let y = train::<PointMlp, 3>(
            model,
            &new,
            &cfg,
            &b,
            &device,
            false,
            None,
            &mut NoTrainProgress,
        )
        .unwrap();
        assert_eq!(weights(&x.model), weights(&y.model), "K = {k}");
        for (h, r) in x.state.history.iter().zip(&y.state.history) {
            assert_eq!(h.train_loss, r.train_loss, "K = {k}");
            assert_eq!(h.val_loss, r.val_loss, "K = {k}");
        }
        let _ = std::fs::remove_dir_all(&a);
        let _ = std::fs::remove_dir_all(&b);
    }
}
