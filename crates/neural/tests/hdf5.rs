//! Issue 7, feature `hdf5`: training on a PDEBench-layout HDF5 file written by ai4de gives the
//! same run as training on the same data in Zarr — the same loaded arrays, hence bit-identical
//! losses and weights with the same seed. A 1-D set (`heat`, PDEBench's `tensor [N, nt, nx]`,
//! operator task) and a 2-D two-field set (`diffusion_reaction_2d`, per-sample groups
//! `data [nt, nx, ny, 2]`, autoregressive task with a 2-step rollout).
//!
//! Build: `HDF5_DIR=/usr/lib/x86_64-linux-gnu/hdf5/openmpi cargo test -p ai4de-neural --release
//! --features hdf5 --test hdf5` (libhdf5 1.10, openmpi flavour, on the project machine).
#![cfg(feature = "hdf5")]

use std::path::{Path, PathBuf};

use ai4de_data::{generate, Dtype, Format, GenerateOptions, NoProgress};
use ai4de_neural::baseline::PointMlpConfig;
use ai4de_neural::burn::tensor::Device;
use ai4de_neural::card::{fit, FitOptions, ModelSpec, SplitOptions};
use ai4de_neural::checkpoint;
use ai4de_neural::data::{DataOptions, NormKind, Task};
use ai4de_neural::train::{NoTrainProgress, Schedule, TrainConfig};
use ai4de_neural::Backend;
use ai4de_pde::GenConfig;

fn tempdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ai4de-neural-h5-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn write(pde: &str, cfg: &GenConfig, format: Format, out: &Path) {
    let p = ai4de_pde::get(pde).unwrap();
    let mut o = GenerateOptions::new(12, out.to_path_buf());
    o.format = format;
    o.dtype = Dtype::F32;
    o.seed = 4;
    o.threads = 1;
    generate(p.as_ref(), cfg, &o, &NoProgress).unwrap();
}

fn opts(task: Task, rollout: usize) -> FitOptions {
    FitOptions {
        data: DataOptions {
            task,
            ..DataOptions::default()
        },
        split: SplitOptions {
            n_train: None,
            n_val: Some(2),
            n_test: Some(2),
            val_frac: 0.0,
            test_frac: 0.0,
        },
        in_norm: NormKind::Channel,
        out_norm: NormKind::Channel,
        train: TrainConfig {
            epochs: 3,
            batch: 4,
            lr: 3e-3,
            schedule: Schedule::Constant,
            seed: 9,
            rollout,
            ..TrainConfig::default()
        },
        resume: false,
        stop_after: None,
        backend: Backend::Cpu,
    }
}

#[test]
fn training_on_pdebench_hdf5_equals_training_on_zarr() {
    let dir = tempdir("same");
    for (pde, grid, steps, task, rollout) in [
        ("heat", vec![17], 4, Task::Operator, 1),
        (
            "diffusion_reaction_2d",
            vec![8, 8],
            4,
            Task::Autoregressive,
            2,
        ),
    ] {
        let cfg = GenConfig {
            grid,
            steps: Some(steps),
            ..GenConfig::default()
        };
        let h5 = dir.join(format!("{pde}.h5"));
        let zarr = dir.join(format!("{pde}.zarr"));
        write(pde, &cfg, Format::Hdf5, &h5);
        write(pde, &cfg, Format::Zarr, &zarr);
        let spec = |cin: usize, cout: usize, _: &[usize]| {
            ModelSpec::PointMlp(PointMlpConfig {
                in_channels: cin,
                out_channels: cout,
                width: 8,
            })
        };
        let o = opts(task, rollout);
        let a = fit(
            &h5,
            &spec,
            &o,
            &dir.join(format!("{pde}-h5")),
            &mut NoTrainProgress,
        )
        .unwrap();
        let b = fit(
            &zarr,
            &spec,
            &o,
            &dir.join(format!("{pde}-zarr")),
            &mut NoTrainProgress,
        )
        .unwrap();
        let (a, b) = (a.card, b.card);
        assert_eq!(a.input_fields, b.input_fields, "{pde}");
        assert_eq!(a.spatial, b.spatial, "{pde}");
        assert_eq!(a.coords, b.coords, "{pde}");
        assert_eq!(a.split, b.split, "{pde}");
        assert_eq!(a.in_norm, b.in_norm, "{pde}");
        assert_eq!(a.epochs_done, 3);
        assert_eq!(a.final_train_loss, b.final_train_loss, "{pde}");
        assert_eq!(a.final_val_loss, b.final_val_loss, "{pde}");
        assert!(a.final_train_loss.unwrap().is_finite(), "{pde}");
        let curve = |d: &str| -> Vec<(f64, Option<f64>)> {
            let v: serde_json::Value = serde_json::from_slice(
                &std::fs::read(dir.join(format!("{pde}-{d}")).join("curves.json")).unwrap(),
            )
            .unwrap();
            v.as_array()
                .unwrap()
                .iter()
                .map(|r| (r["train_loss"].as_f64().unwrap(), r["val_loss"].as_f64()))
                .collect()
        };
        assert_eq!(curve("h5"), curve("zarr"), "{pde}");
        // Compared as loaded tensors: burn writes the safetensors header's metadata keys in no
        // fixed order, so the files need not be byte-identical.
        let w = |d: &str| {
            let m = PointMlpConfig {
                in_channels: a.in_channels,
                out_channels: a.out_channels,
                width: 8,
            }
            .init(&Device::flex());
            let path = dir.join(format!("{pde}-{d}")).join("model.safetensors");
            checkpoint::flat_weights(&checkpoint::load_model(m, &path).unwrap())
        };
        assert_eq!(w("h5"), w("zarr"), "{pde}: final weights differ");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
