//! Crash safety: a run killed with SIGKILL (twice) and rerun gives the same bytes as an
//! uninterrupted run; a half-written dataset is refused by the reader; a rerun with another
//! configuration refuses to touch the interrupted run.
//!
//! The run to kill is this test binary itself, re-executed with `AI4DE_RESUME_CHILD` set: the
//! `child_generate` test then generates a slow dataset and is killed by the parent.

mod common;

use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use ai4de_data::{generate, open, partial_path, DataError, Format, GenerateOptions, NoProgress};
use common::{assert_same_bytes, config, tempdir, HeatTest};

const SAMPLES: u64 = 120;

fn options(out: &Path, format: Format, threads: usize) -> GenerateOptions {
    let mut o = GenerateOptions::new(SAMPLES, out.to_path_buf());
    o.format = format;
    o.threads = threads;
    o.seed = 7;
    o.chunk_samples = 2;
    o
}

fn slow_pde() -> HeatTest {
    HeatTest {
        delay: Duration::from_millis(25),
        ..HeatTest::d2()
    }
}

/// Not a test on its own: the body of the child process.
#[test]
fn child_generate() {
    let (Ok(out), Ok(format)) = (
        std::env::var("AI4DE_RESUME_CHILD"),
        std::env::var("AI4DE_RESUME_FORMAT"),
    ) else {
        return;
    };
    let format = Format::parse(&format).unwrap();
    generate(
        &slow_pde(),
        &config(&[8, 8], 4),
        &options(Path::new(&out), format, 2),
        &NoProgress,
    )
    .unwrap();
}

fn spawn_child(out: &Path, format: Format) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "child_generate",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("AI4DE_RESUME_CHILD", out)
        .env("AI4DE_RESUME_FORMAT", format.name())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

fn journal_lines(out: &Path) -> usize {
    std::fs::read_to_string(partial_path(out).join("done.log"))
        .map(|s| s.lines().count())
        .unwrap_or(0)
}

/// Starts the child and SIGKILLs it once the journal holds more than `after` chunks.
fn run_and_kill(out: &Path, format: Format, after: usize) -> usize {
    let mut child = spawn_child(out, format);
    let start = Instant::now();
    loop {
        let n = journal_lines(out);
        if n > after {
            child.kill().unwrap(); // SIGKILL on Unix
            child.wait().unwrap();
            return journal_lines(out);
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("child finished ({status}) before it could be killed");
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "child made no progress"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn kill_twice_then_resume(format: Format, ext: &str) {
    let dir = tempdir(&format!("resume-{ext}"));
    let out = dir.join(format!("killed.{ext}"));
    let first = run_and_kill(&out, format, 0);
    assert!(
        !out.exists(),
        "a killed run must not appear at the output path"
    );
    assert!(matches!(open(&out), Err(DataError::Incomplete { .. })));
    assert!(matches!(
        open(partial_path(&out)),
        Err(DataError::Incomplete { .. })
    ));
    let second = run_and_kill(&out, format, first);
    assert!(second > first);
    let n_chunks = SAMPLES.div_ceil(2) as usize;
    assert!(second < n_chunks, "killed too late to test resumption");

    // A rerun with another configuration refuses to touch the interrupted run.
    let mut other = options(&out, format, 2);
    other.seed = 8;
    let err = generate(&slow_pde(), &config(&[8, 8], 4), &other, &NoProgress).unwrap_err();
    assert!(matches!(err, DataError::ConfigMismatch { .. }), "{err}");
    assert!(err.to_string().contains("seed: 7 -> 8"), "{err}");

    // The same command resumes (on one thread this time) and computes only what is missing.
    let report = generate(
        &HeatTest::d2(),
        &config(&[8, 8], 4),
        &options(&out, format, 1),
        &NoProgress,
    )
    .unwrap();
    assert!(report.computed <= SAMPLES - 2 * second as u64);
    assert!(!partial_path(&out).exists());

    let fresh = dir.join(format!("fresh.{ext}"));
    generate(
        &HeatTest::d2(),
        &config(&[8, 8], 4),
        &options(&fresh, format, 2),
        &NoProgress,
    )
    .unwrap();
    assert_same_bytes(&out, &fresh);
    open(&out).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn killed_zarr_run_resumes_to_identical_bytes() {
    kill_twice_then_resume(Format::Zarr, "zarr");
}

#[test]
fn killed_npz_run_resumes_to_identical_bytes() {
    kill_twice_then_resume(Format::Npz, "npz");
}

#[test]
fn torn_journal_line_is_ignored() {
    // A kill in the middle of a journal append leaves an unterminated line: it must be dropped,
    // not read as a (wrong) chunk index.
    let dir = tempdir("torn");
    let out = dir.join("t.zarr");
    let pde = HeatTest::d1();
    let cfg = config(&[16], 3);
    let mut o = options(&out, Format::Zarr, 1);
    o.samples = 6;
    generate(&pde, &cfg, &o, &NoProgress).unwrap();
    let reference = dir.join("ref.zarr");
    std::fs::rename(&out, &reference).unwrap();
    let partial = partial_path(&out);
    let mut o2 = o.clone();
    o2.samples = 6;
    // An interrupted run: its manifest and a journal whose last append was cut.
    std::fs::create_dir_all(&partial).unwrap();
    let manifest = serde_json::json!({
        "pde": "heat-test-1d", "config": cfg, "seed": 7, "samples": 6, "format": "zarr",
        "dtype": "f32", "chunk_samples": 2, "ai4de_version": env!("CARGO_PKG_VERSION"),
        "layout_version": 1
    });
    std::fs::write(partial.join("manifest.json"), manifest.to_string()).unwrap();
    std::fs::write(partial.join("done.log"), "1\n2").unwrap();
    let report = generate(&pde, &cfg, &o2, &NoProgress);
    // "2" (unterminated) is not taken as done: chunks 0 and 2 (4 samples) are computed.
    assert_eq!(report.unwrap().computed, 4);
    // Chunk 1 was never written in this simulation, so the Zarr store lacks it: its samples
    // read back as the fill value (NaN), which is how a reader would notice a lying journal.
    let ds = open(&out).unwrap();
    assert!(ds.read_field("u", 2).unwrap().iter().all(|v| v.is_nan()));
    assert!(ds.read_field("u", 4).unwrap().iter().all(|v| v.is_finite()));
    let r = open(&reference).unwrap();
    assert_eq!(
        ds.read_field("u", 4).unwrap(),
        r.read_field("u", 4).unwrap()
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
