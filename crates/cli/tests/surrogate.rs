//! `ai4de train`, `eval`, `predict` and `compare` end to end on a tiny Burgers set (1-2 epochs):
//! outputs exist and parse, resume continues a stopped run, bad input is a one-line error.

use std::path::{Path, PathBuf};
use std::process::Output;

mod common;
use common::ai4de;

fn ok(o: Output) -> String {
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        o.status.success(),
        "failed: {}\n{}",
        out,
        String::from_utf8_lossy(&o.stderr)
    );
    out
}

fn tempdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ai4de-cli-sur-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn json(p: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

#[test]
fn train_eval_predict_compare_on_tiny_burgers() {
    let dir = tempdir("e2e");
    let data = dir.join("b.zarr");
    ok(ai4de(&[
        "generate",
        "burgers",
        "--samples",
        "24",
        "--grid",
        "32",
        "--steps",
        "3",
        "--seed",
        "1",
        "--out",
        s(&data),
    ]));
    let model = dir.join("model");
    let train = |extra: &[&str]| {
        let mut a = vec![
            "train",
            "pointmlp",
            "--data",
            s(&data),
            "--out",
            s(&model),
            "--epochs",
            "2",
            "--batch",
            "4",
            "--width",
            "8",
            "--nval",
            "4",
            "--ntest",
            "4",
        ];
        a.extend_from_slice(extra);
        ai4de(&a)
    };
    // Stop after one epoch, then resume to two.
    ok(train(&["--stop-after", "1"]));
    let card = json(&model.join("model.json"));
    assert_eq!(card["epochs_done"], 1);
    ok(train(&[]));
    let card = json(&model.join("model.json"));
    assert_eq!(card["epochs_done"], 2);
    assert_eq!(card["split"]["test"].as_array().unwrap().len(), 4);
    assert!(model.join("model.safetensors").is_file());
    assert!(model.join("curves.png").is_file());
    assert_eq!(
        json(&model.join("curves.json")).as_array().unwrap().len(),
        2
    );

    let out = ok(ai4de(&["eval", s(&model), "--plots", "1"]));
    assert!(out.contains("rel L2"), "{out}");
    let ev = json(&model.join("eval").join("summary.json"));
    let rel = ev[0]["metrics"]["rel_l2"].as_f64().unwrap();
    assert!(rel.is_finite() && rel > 0.0);
    assert_eq!(ev[0]["samples"], 4);
    assert!(model.join("eval").join("sample-0-u.png").is_file());

    // Super-resolution: the same model on a 64-point set.
    let fine = dir.join("b64.zarr");
    ok(ai4de(&[
        "generate",
        "burgers",
        "--samples",
        "3",
        "--grid",
        "64",
        "--steps",
        "3",
        "--out",
        s(&fine),
    ]));
    ok(ai4de(&[
        "eval",
        s(&model),
        "--data",
        s(&fine),
        "--data",
        s(&data),
        "--plots",
        "0",
    ]));
    let ev = json(&model.join("eval").join("summary.json"));
    assert_eq!(ev[0]["grid"][0], 64);
    assert_eq!(ev[1]["grid"][0], 32);

    // predict: a [2, 32] array in, [2, 32] out.
    let input = dir.join("in.npy");
    let arr = ndarray::Array2::<f32>::from_shape_fn((2, 32), |(i, j)| ((i + j) as f32 * 0.3).sin());
    ndarray_npy::write_npy(&input, &arr).unwrap();
    let pred = dir.join("pred.npy");
    ok(ai4de(&[
        "predict",
        s(&model),
        "--input",
        s(&input),
        "--out",
        s(&pred),
    ]));
    let p: ndarray::ArrayD<f32> = ndarray_npy::read_npy(&pred).unwrap();
    assert_eq!(p.shape(), &[2, 32]);

    let out = ok(ai4de(&["compare", s(&model), "--samples", "2"]));
    assert!(out.contains("break-even"), "{out}");
    let c = json(&model.join("compare").join("compare.json"));
    assert!(c["solver"]["seconds"].as_f64().unwrap() > 0.0);
    assert!(c["sweep"].as_array().unwrap().len() > 1);

    // Bad input: one line, no panic.
    let o = ai4de(&[
        "train",
        "nosuchmodel",
        "--data",
        s(&data),
        "--out",
        s(&dir.join("x")),
    ]);
    assert!(!o.status.success());
    let e = String::from_utf8_lossy(&o.stderr);
    assert_eq!(e.trim_end().lines().count(), 1, "{e}");
    assert!(!e.contains("panicked"), "{e}");
    // An unknown backend, and the GPU backend in a build without the `vulkan` feature: a
    // one-line error that says what to do, and the trained model is left alone.
    let mut bad_backends = vec![("cuda", "known backends")];
    if !cfg!(feature = "vulkan") {
        bad_backends.push(("vulkan", "--features vulkan"));
    }
    for (backend, hint) in bad_backends {
        let o = train(&["--backend", backend]);
        assert!(!o.status.success(), "--backend {backend} succeeded");
        let e = String::from_utf8_lossy(&o.stderr);
        assert_eq!(e.trim_end().lines().count(), 1, "{e}");
        assert!(e.contains(hint) && !e.contains("panicked"), "{e}");
    }
    // With the feature but no Vulkan driver (the loader pointed at a driver list that does not
    // exist, as on a machine without a GPU driver): the same kind of one-line error, no panic.
    #[cfg(feature = "vulkan")]
    {
        let mut args = vec![
            "train",
            "pointmlp",
            "--data",
            s(&data),
            "--out",
            s(&model),
            "--epochs",
            "3",
            "--backend",
            "vulkan",
        ];
        args.extend(["--batch", "4", "--width", "8"]);
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_ai4de"))
            .args(&args)
            .env("VK_DRIVER_FILES", "/nonexistent/ai4de-no-driver.json")
            .env("VK_ICD_FILENAMES", "/nonexistent/ai4de-no-driver.json")
            .output()
            .expect("the ai4de binary runs");
        assert!(
            !o.status.success(),
            "--backend vulkan without a driver succeeded"
        );
        let e = String::from_utf8_lossy(&o.stderr);
        assert_eq!(e.trim_end().lines().count(), 1, "{e}");
        assert!(
            e.contains("no usable Vulkan device") && !e.contains("panicked"),
            "{e}"
        );
    }
    assert_eq!(json(&model.join("model.json"))["epochs_done"], 2);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Issue 7: autoregressive training with a 2-step rollout (pushforward) and the
/// surrogate-vs-solver sweep on a PDE other than Burgers/Darcy (heat, Dirichlet grid with end
/// points: the coarse grids 17 and 9 share every 2nd / 4th point of the 33-point grid).
#[test]
fn rollout_training_and_compare_sweep_on_tiny_heat() {
    let dir = tempdir("heat");
    let data = dir.join("h.zarr");
    ok(ai4de(&[
        "generate",
        "heat",
        "--samples",
        "16",
        "--grid",
        "33",
        "--steps",
        "6",
        "--seed",
        "2",
        "--out",
        s(&data),
    ]));
    let model = dir.join("model");
    let train = |extra: &[&str]| {
        let mut a = vec![
            "train",
            "pointmlp",
            "--data",
            s(&data),
            "--out",
            s(&model),
            "--task",
            "autoregressive",
            "--epochs",
            "2",
            "--batch",
            "8",
            "--width",
            "8",
            "--nval",
            "2",
            "--ntest",
            "4",
            "--restart",
        ];
        a.extend_from_slice(extra);
        ai4de(&a)
    };
    ok(train(&["--rollout", "2", "--pushforward"]));
    let card = json(&model.join("model.json"));
    assert_eq!(card["train"]["rollout"], 2);
    assert_eq!(card["train"]["pushforward"], true);
    // One channel in and out (the rollout's targets are stacked only for training).
    assert_eq!(card["out_channels"], 1);
    // 10 training trajectories x (6 - 2) windows.
    assert!(card["final_train_loss"].as_f64().unwrap().is_finite());

    let out = ok(ai4de(&["compare", s(&model), "--samples", "2"]));
    assert!(out.contains("5-step rollout"), "{out}");
    let c = json(&model.join("compare").join("compare.json"));
    assert_eq!(c["task"], "autoregressive");
    assert_eq!(c["model_calls"], 5);
    let sweep = c["sweep"].as_array().unwrap();
    let grids: Vec<u64> = sweep
        .iter()
        .map(|r| r["grid"][0].as_u64().unwrap())
        .collect();
    assert_eq!(grids, vec![33, 17, 9], "{c}");
    // The training-grid solver reproduces the data (f32 round-off); coarser grids are worse.
    let errs: Vec<f64> = sweep
        .iter()
        .map(|r| r["rel_l2"].as_f64().unwrap())
        .collect();
    assert!(errs[0] < 1e-5, "{errs:?}");
    assert!(errs[2] > errs[0], "{errs:?}");

    // A rollout as long as the trajectories, or on the operator task, is a one-line error.
    for bad in [
        vec!["--rollout", "6"],
        vec!["--rollout", "0"],
        vec!["--pushforward"],
    ] {
        let o = train(&bad);
        assert!(!o.status.success(), "{bad:?}");
        let e = String::from_utf8_lossy(&o.stderr);
        assert_eq!(e.trim_end().lines().count(), 1, "{e}");
        assert!(!e.contains("panicked"), "{e}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Issue 7: the FNO paper's Navier–Stokes training mode on a tiny heat set: `--history 2` (two
/// states in as channels) with a rollout over the remaining states; the card records the
/// history, `eval` rolls out from the first 2 true states and reports the paper's
/// per-trajectory error, `predict` takes the 2-state window; bad histories are one-line errors.
#[test]
fn history_window_train_eval_predict_on_tiny_heat() {
    let dir = tempdir("hist");
    let data = dir.join("h.zarr");
    ok(ai4de(&[
        "generate",
        "heat",
        "--samples",
        "12",
        "--grid",
        "33",
        "--steps",
        "6",
        "--seed",
        "3",
        "--out",
        s(&data),
    ]));
    let model = dir.join("model");
    let train = |extra: &[&str]| {
        let mut a = vec![
            "train",
            "pointmlp",
            "--data",
            s(&data),
            "--out",
            s(&model),
            "--epochs",
            "2",
            "--batch",
            "4",
            "--width",
            "8",
            "--nval",
            "2",
            "--ntest",
            "3",
            "--restart",
        ];
        a.extend_from_slice(extra);
        ai4de(&a)
    };
    // 6 states: 2 in, the remaining 4 predicted (the paper's 10 in, 40 unrolled, scaled down).
    ok(train(&[
        "--task",
        "autoregressive",
        "--history",
        "2",
        "--rollout",
        "4",
    ]));
    let card = json(&model.join("model.json"));
    assert_eq!(card["data"]["history"], 2);
    assert_eq!(card["in_channels"], 2);
    assert_eq!(card["out_channels"], 1);
    // The channel normaliser of the input is the state's, tiled twice.
    assert_eq!(card["in_norm"]["shape"][0], 2);
    assert_eq!(card["out_norm"]["shape"][0], 1);
    assert_eq!(card["in_norm"]["mean"][0], card["out_norm"]["mean"][0]);
    assert_eq!(card["in_norm"]["mean"][1], card["out_norm"]["mean"][0]);
    assert!(card["final_train_loss"].as_f64().unwrap().is_finite());

    let out = ok(ai4de(&["eval", s(&model), "--plots", "0"]));
    assert!(out.contains("test_l2_full"), "{out}");
    assert!(out.contains("from the 2 true state(s)"), "{out}");
    let ev = json(&model.join("eval").join("eval.json"));
    let ro = &ev["rollout"];
    assert_eq!(ro["history"], 2);
    let rel: Vec<f64> = ro["rel_l2"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert_eq!(rel.len(), 6);
    assert_eq!(&rel[..2], &[0.0, 0.0]);
    assert!(
        rel[2..].iter().all(|v| v.is_finite() && *v > 0.0),
        "{rel:?}"
    );
    let full = ro["traj_rel_l2"].as_f64().unwrap();
    assert!(full.is_finite() && full > 0.0, "{ro}");
    let step_mean = ro["step_mean_rel_l2"].as_f64().unwrap();
    assert!((step_mean - rel[2..].iter().sum::<f64>() / 4.0).abs() < 1e-12);

    // predict: [N, 2, grid] windows in, [N, 1, grid] out; one state in is a one-line error.
    let input = dir.join("in.npy");
    let arr = ndarray::Array3::<f32>::from_shape_fn((3, 2, 33), |(i, c, j)| {
        ((i + 2 * c + j) as f32 * 0.2).sin()
    });
    ndarray_npy::write_npy(&input, &arr).unwrap();
    let pred = dir.join("pred.npy");
    let predict = || {
        ai4de(&[
            "predict",
            s(&model),
            "--input",
            s(&input),
            "--out",
            s(&pred),
        ])
    };
    ok(predict());
    let p: ndarray::ArrayD<f32> = ndarray_npy::read_npy(&pred).unwrap();
    assert_eq!(p.shape(), &[3, 1, 33]);
    let one = ndarray::Array3::<f32>::zeros((3, 1, 33));
    ndarray_npy::write_npy(&input, &one).unwrap();
    let one_line_error = |o: Output, what: &str| {
        assert!(!o.status.success(), "{what}");
        let e = String::from_utf8_lossy(&o.stderr);
        assert_eq!(e.trim_end().lines().count(), 1, "{what}: {e}");
        assert!(!e.contains("panicked"), "{what}: {e}");
        e.into_owned()
    };
    one_line_error(predict(), "one state into a 2-state model");

    for bad in [
        vec!["--task", "autoregressive", "--history", "0"],
        vec!["--task", "autoregressive", "--history", "6"],
        vec!["--task", "autoregressive", "--history", "7"],
        vec![
            "--task",
            "autoregressive",
            "--history",
            "5",
            "--rollout",
            "2",
        ],
        vec!["--task", "operator", "--history", "2"],
    ] {
        let e = one_line_error(train(&bad), &format!("{bad:?}"));
        assert!(
            e.contains("history") || e.contains("rollout"),
            "{bad:?}: {e}"
        );
    }
    // --t-in 1 drops the first state (the paper's data start at t = 1): 5 states, 2 in, 3 out.
    ok(train(&[
        "--task",
        "autoregressive",
        "--history",
        "2",
        "--rollout",
        "3",
        "--t-in",
        "1",
    ]));
    let card = json(&model.join("model.json"));
    let times = card["times"].as_array().unwrap();
    assert_eq!(times.len(), 5);
    assert!(times[0].as_f64().unwrap() > 0.0, "{times:?}");
    ok(ai4de(&["eval", s(&model), "--plots", "0"]));
    let ev = json(&model.join("eval").join("eval.json"));
    assert_eq!(ev["rollout"]["rel_l2"].as_array().unwrap().len(), 5);
    assert_eq!(&ev["rollout"]["times"][0], &times[0]);
    let e = one_line_error(
        train(&["--task", "autoregressive", "--t-in", "6"]),
        "--t-in 6",
    );
    assert!(e.contains("t-in"), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}
