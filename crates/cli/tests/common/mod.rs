//! Helpers shared by the CLI's end-to-end tests: run the `ai4de` binary, read its output, and
//! make a scratch directory per test.
#![allow(dead_code)] // each test binary uses its own subset

use std::path::PathBuf;
use std::process::{Command, Output};

/// Runs the `ai4de` binary built for these tests.
pub fn ai4de(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ai4de"))
        .args(args)
        .output()
        .expect("the ai4de binary runs")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A fresh-or-reused scratch directory named after the test binary, `name` and the process.
pub fn tempdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "ai4de-{}-test-{name}-{}",
        env!("CARGO_CRATE_NAME"),
        std::process::id()
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}
