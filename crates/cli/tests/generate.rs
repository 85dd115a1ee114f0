//! `ai4de generate`, `ai4de pdes` and `ai4de plot` end to end: outputs, one-line errors on bad
//! input, and resume after SIGKILL with byte-identical results.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{ai4de, stderr, stdout};

fn tempdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ai4de-cli-gen-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Every file under `root` with its bytes, sorted by relative path.
fn tree(root: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                let rel = p.strip_prefix(base).unwrap().to_path_buf();
                out.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out.sort();
    out
}

/// The error output is one line starting with `error:` and no panic.
fn assert_one_line_error(o: &Output, needle: &str) {
    assert!(!o.status.success());
    let e = stderr(o);
    assert_eq!(e.trim_end().lines().count(), 1, "not one line: {e}");
    assert!(e.starts_with("error"), "{e}");
    assert!(!e.contains("panicked"), "{e}");
    assert!(e.contains(needle), "'{needle}' not in: {e}");
}

#[test]
fn pdes_lists_the_catalogue() {
    let o = ai4de(&["pdes", "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let list = v.as_array().unwrap();
    assert!(!list.is_empty());
    for p in list {
        for key in [
            "name",
            "equation",
            "domain",
            "boundary",
            "default_grid",
            "params",
        ] {
            assert!(p.get(key).is_some(), "{key} missing in {p}");
        }
    }
    let text = stdout(&ai4de(&["pdes"]));
    for p in list {
        assert!(text.contains(p["name"].as_str().unwrap()));
    }
}

#[test]
fn generate_then_plot_every_format() {
    let dir = tempdir("formats");
    for (ext, format) in [("zarr", "zarr"), ("npz", "npz"), ("npy", "npy")] {
        let out = dir.join(format!("ks.{ext}"));
        let o = ai4de(&[
            "generate",
            "ks",
            "--samples",
            "3",
            "--grid",
            "32",
            "--steps",
            "6",
            "--param",
            "t_end=3",
            "--seed",
            "4",
            "--format",
            format,
            "--threads",
            "2",
            "--out",
            s(&out),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        let summary = stdout(&o);
        assert!(
            summary.contains("3 samples") && summary.contains("samples/s"),
            "{summary}"
        );
        assert!(summary.contains(s(&out)), "{summary}");
        let ds = ai4de_data::open(&out).unwrap();
        assert_eq!(ds.samples, 3);
        assert_eq!(ds.metadata["seed"], 4);
        assert_eq!(ds.metadata["params"]["t_end"], 3.0);
        assert_eq!(ds.fields[0].shape, vec![6, 32]);
        for img in ["png", "svg"] {
            let p = dir.join(format!("ks-{ext}.{img}"));
            let o = ai4de(&["plot", s(&out), "--sample", "2", "--out", s(&p)]);
            assert!(o.status.success(), "{}", stderr(&o));
            assert!(std::fs::metadata(&p).unwrap().len() > 1000);
        }
    }
    // A 2-D field: snapshots side by side.
    let out = dir.join("ns.zarr");
    let o = ai4de(&[
        "generate",
        "ns2d",
        "--samples",
        "1",
        "--grid",
        "16,16",
        "--steps",
        "3",
        "--param",
        "T=0.5",
        "--out",
        s(&out),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = ai4de(&["plot", s(&out), "--out", s(&dir.join("ns.png"))]);
    assert!(o.status.success(), "{}", stderr(&o));
    // Shallow water (PDEBench's radial dam break): positive depth, mass conserved by the
    // finite volumes while the wave is inside the domain (t_end 0.3: front at r ≈ 1.8 < 2.5).
    let out = dir.join("swe.zarr");
    let o = ai4de(&[
        "generate",
        "shallow_water",
        "--samples",
        "2",
        "--grid",
        "32,32",
        "--steps",
        "3",
        "--param",
        "t_end=0.3",
        "--out",
        s(&out),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let ds = ai4de_data::open(&out).unwrap();
    assert_eq!(ds.samples, 2);
    assert_eq!(ds.metadata["pde"], "shallow_water");
    assert_eq!(ds.fields[0].shape, vec![3, 32, 32]);
    let h = ds.read_field(&ds.fields[0].name, 1).unwrap();
    assert!(h.iter().all(|&v| v.is_finite() && v > 0.0));
    let mass = |k: usize| h[k * 1024..(k + 1) * 1024].iter().sum::<f64>();
    assert!(
        (mass(2) - mass(0)).abs() <= 1e-5 * mass(0),
        "{} {}",
        mass(0),
        mass(2)
    );
    let o = ai4de(&[
        "plot",
        s(&out),
        "--sample",
        "1",
        "--out",
        s(&dir.join("swe.png")),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_input_gives_one_line_errors() {
    let dir = tempdir("bad");
    let out = dir.join("x.zarr");
    let o = ai4de(&["generate", "nope", "--samples", "1", "--out", s(&out)]);
    assert_one_line_error(&o, "unknown PDE 'nope'");
    let o = ai4de(&[
        "generate",
        "ks",
        "--samples",
        "1",
        "--param",
        "zz=1",
        "--out",
        s(&out),
    ]);
    assert_one_line_error(&o, "unknown parameter 'zz'");
    let o = ai4de(&[
        "generate",
        "ks",
        "--samples",
        "1",
        "--param",
        "t_end",
        "--out",
        s(&out),
    ]);
    assert_one_line_error(&o, "NAME=VALUE");
    let o = ai4de(&["generate", "ks", "--samples", "0", "--out", s(&out)]);
    assert_one_line_error(&o, "samples");
    let o = ai4de(&[
        "generate",
        "ks",
        "--samples",
        "1",
        "--grid",
        "a",
        "--out",
        s(&out),
    ]);
    assert_one_line_error(&o, "--grid");
    let o = ai4de(&[
        "generate",
        "ks",
        "--samples",
        "1",
        "--format",
        "csv",
        "--out",
        s(&out),
    ]);
    assert_one_line_error(&o, "known formats");
    let o = ai4de(&[
        "generate",
        "ks",
        "--samples",
        "1",
        "--out",
        "/nonexistent-ai4de/x.zarr",
    ]);
    assert_one_line_error(&o, "/nonexistent-ai4de");
    let small = [
        "generate",
        "ks",
        "--samples",
        "1",
        "--grid",
        "16",
        "--steps",
        "2",
        "--param",
        "t_end=1",
        "--out",
        s(&out),
    ];
    assert!(ai4de(&small).status.success());
    assert_one_line_error(&ai4de(&small), "--force");
    let mut forced = small.to_vec();
    forced.push("--force");
    assert!(ai4de(&forced).status.success());
    let o = ai4de(&["plot", s(&dir.join("missing.zarr"))]);
    assert_one_line_error(&o, "missing.zarr");
    let o = ai4de(&[
        "plot",
        s(&out),
        "--field",
        "zz",
        "--out",
        s(&dir.join("p.png")),
    ]);
    assert_one_line_error(&o, "field 'zz' not found");
    let o = ai4de(&[
        "plot",
        s(&out),
        "--sample",
        "9",
        "--out",
        s(&dir.join("p.png")),
    ]);
    assert_one_line_error(&o, "sample '9' not found");
    let o = ai4de(&["plot", s(&out), "--out", s(&dir.join("p.jpg"))]);
    assert_one_line_error(&o, ".png or .svg");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn killed_generate_resumes_to_the_same_bytes() {
    let dir = tempdir("kill");
    let args = |out: &Path, threads: &str| -> Vec<String> {
        // About 60 ms of CPU per sample, 1.8 s on one thread: the kill lands after the first
        // journal commit (0.5 s) and long before the end.
        #[rustfmt::skip]
        let a = [
            "generate", "ks", "--samples", "30", "--param", "h=0.01", "--seed", "11",
            "--threads", threads, "--out", s(out),
        ];
        a.map(String::from).to_vec()
    };
    let out = dir.join("killed.zarr");
    let journal = dir.join("killed.zarr.partial").join("done.log");
    let mut child = Command::new(env!("CARGO_BIN_EXE_ai4de"))
        .args(args(&out, "1"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    loop {
        let recorded = std::fs::read_to_string(&journal).map_or(0, |t| t.lines().count());
        if recorded > 0 {
            child.kill().unwrap(); // SIGKILL
            child.wait().unwrap();
            break;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("generate finished ({status}) before it could be killed");
        }
        assert!(start.elapsed() < Duration::from_secs(120), "no progress");
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(!out.exists());
    let recorded = std::fs::read_to_string(&journal).unwrap().lines().count();
    assert!(recorded < 30, "killed too late");
    // Plotting the half-written dataset is refused.
    assert_one_line_error(&ai4de(&["plot", s(&out)]), "incomplete");
    // The same command with another seed refuses; the same command resumes.
    let mut other = args(&out, "2");
    other[7] = "12".into();
    assert_one_line_error(
        &ai4de(&other.iter().map(String::as_str).collect::<Vec<_>>()),
        "seed",
    );
    let o = ai4de(
        &args(&out, "2")
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("resumed"), "{}", stdout(&o));
    let fresh = dir.join("fresh.zarr");
    let o = ai4de(
        &args(&fresh, "2")
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let (a, b) = (tree(&out), tree(&fresh));
    assert_eq!(a.len(), b.len());
    for ((pa, xa), (pb, xb)) in a.iter().zip(&b) {
        assert_eq!(pa, pb);
        assert!(xa == xb, "{} differs", pa.display());
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
