//! Bad input and refusals: typed errors with one-line messages, never a panic, never a
//! destroyed file that is not an ai4de dataset.

mod common;

use std::path::Path;

use ai4de_data::{generate, open, DataError, Format, GenerateOptions, NoProgress};
use common::{config, tempdir, HeatTest};

fn opts(out: &Path) -> GenerateOptions {
    let mut o = GenerateOptions::new(3, out.to_path_buf());
    o.threads = 1;
    o
}

fn one_line(e: &DataError) -> String {
    let s = e.to_string();
    assert!(!s.contains('\n'), "multi-line message: {s}");
    s
}

#[test]
fn invalid_options_are_refused() {
    let dir = tempdir("errors-options");
    let pde = HeatTest::d1();
    let cfg = config(&[8], 3);
    let out = dir.join("x.zarr");
    for (field, edit) in [
        (
            "samples",
            Box::new(|o: &mut GenerateOptions| o.samples = 0) as Box<dyn Fn(&mut _)>,
        ),
        ("threads", Box::new(|o: &mut GenerateOptions| o.threads = 0)),
        (
            "chunk_samples",
            Box::new(|o: &mut GenerateOptions| o.chunk_samples = 0),
        ),
    ] {
        let mut o = opts(&out);
        edit(&mut o);
        let e = generate(&pde, &cfg, &o, &NoProgress).unwrap_err();
        assert!(
            matches!(e, DataError::InvalidOption { name, .. } if name == field),
            "{e}"
        );
        one_line(&e);
    }
    // The PDE's own validation: unknown parameter, bad grid.
    let mut bad = cfg.clone();
    bad.params.insert("mu".into(), 1.0);
    let e = generate(&pde, &bad, &opts(&out), &NoProgress).unwrap_err();
    assert!(one_line(&e).contains("unknown parameter 'mu'"), "{e}");
    let e = generate(&pde, &config(&[8, 8], 3), &opts(&out), &NoProgress).unwrap_err();
    assert!(matches!(e, DataError::Pde(_)), "{e}");
    assert!(!out.exists() && !ai4de_data::partial_path(&out).exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn unwritable_or_missing_directory_is_an_io_error() {
    let pde = HeatTest::d1();
    let cfg = config(&[8], 3);
    let e = generate(
        &pde,
        &cfg,
        &opts(Path::new("/nonexistent-dir-ai4de/x.zarr")),
        &NoProgress,
    )
    .unwrap_err();
    assert!(matches!(e, DataError::Io { .. }), "{e}");
    assert!(one_line(&e).contains("/nonexistent-dir-ai4de"));
    // /proc is not writable even for root.
    let e = generate(&pde, &cfg, &opts(Path::new("/proc/x.zarr")), &NoProgress).unwrap_err();
    assert!(matches!(e, DataError::Io { .. }), "{e}");
}

#[test]
fn complete_output_needs_force_and_foreign_paths_are_never_removed() {
    let dir = tempdir("errors-exists");
    let pde = HeatTest::d1();
    let cfg = config(&[8], 3);
    for (format, ext) in [(Format::Zarr, "zarr"), (Format::Npz, "npz")] {
        let out = dir.join(format!("d.{ext}"));
        let mut o = opts(&out);
        o.format = format;
        generate(&pde, &cfg, &o, &NoProgress).unwrap();
        let e = generate(&pde, &cfg, &o, &NoProgress).unwrap_err();
        assert!(matches!(e, DataError::OutputExists { .. }), "{e}");
        assert!(one_line(&e).contains("--force"));
        o.force = true;
        o.seed = 5;
        generate(&pde, &cfg, &o, &NoProgress).unwrap();
        assert_eq!(open(&out).unwrap().metadata["seed"], 5);
    }
    // A directory and a file that are not datasets: refused even with --force, left intact.
    let foreign_dir = dir.join("mine");
    std::fs::create_dir_all(&foreign_dir).unwrap();
    std::fs::write(foreign_dir.join("notes.txt"), "keep me").unwrap();
    let foreign_file = dir.join("mine.npz");
    std::fs::write(&foreign_file, "keep me too").unwrap();
    for (path, format) in [(&foreign_dir, Format::Zarr), (&foreign_file, Format::Npz)] {
        let mut o = opts(path);
        o.format = format;
        o.force = true;
        let e = generate(&pde, &cfg, &o, &NoProgress).unwrap_err();
        assert!(matches!(e, DataError::OutputOccupied { .. }), "{e}");
        one_line(&e);
    }
    assert_eq!(
        std::fs::read_to_string(foreign_dir.join("notes.txt")).unwrap(),
        "keep me"
    );
    assert_eq!(
        std::fs::read_to_string(&foreign_file).unwrap(),
        "keep me too"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn non_finite_sample_stops_the_run_and_names_the_sample() {
    let dir = tempdir("errors-nan");
    let pde = HeatTest {
        nan_at: Some(2),
        ..HeatTest::d1()
    };
    let out = dir.join("n.zarr");
    let e = generate(&pde, &config(&[8], 3), &opts(&out), &NoProgress).unwrap_err();
    assert!(
        matches!(e, DataError::NonFinite { sample: 2, index: 3, ref field } if field == "u"),
        "{e}"
    );
    assert!(!out.exists());
    assert!(matches!(open(&out), Err(DataError::Incomplete { .. })));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn reader_refuses_what_is_not_a_complete_dataset() {
    let dir = tempdir("errors-reader");
    assert!(matches!(
        open(dir.join("missing.zarr")),
        Err(DataError::NotADataset { .. })
    ));
    assert!(matches!(open(&dir), Err(DataError::NotADataset { .. })));
    let junk = dir.join("junk.bin");
    std::fs::write(&junk, b"0123456789abcdef").unwrap();
    assert!(matches!(open(&junk), Err(DataError::NotADataset { .. })));
    // A complete Zarr store whose metadata was flipped to incomplete (e.g. copied out of a
    // partial run) is refused.
    let out = dir.join("c.zarr");
    generate(&HeatTest::d1(), &config(&[8], 3), &opts(&out), &NoProgress).unwrap();
    let meta_path = out.join("zarr.json");
    let text = std::fs::read_to_string(&meta_path).unwrap();
    assert!(text.contains("\"complete\": true"));
    std::fs::write(
        &meta_path,
        text.replace("\"complete\": true", "\"complete\": false"),
    )
    .unwrap();
    let e = open(&out).unwrap_err();
    assert!(matches!(e, DataError::Incomplete { .. }), "{e}");
    assert!(one_line(&e).contains("rerun the same command"));
    std::fs::remove_dir_all(&dir).unwrap();
}
