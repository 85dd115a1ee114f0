//! HDF5 in PDEBench's layout (feature `hdf5`): write → read for a 1-D (`tensor`) and a 2-D
//! (per-sample groups) dataset, with the on-disk layout checked through the HDF5 library.
#![cfg(feature = "hdf5")]

mod common;

use ai4de_data::{generate, open, Dtype, Format, GenerateOptions, NoProgress};
use ai4de_pde::DatasetPde;
use common::{config, tempdir, HeatTest};

#[test]
fn pdebench_layout_round_trips() {
    let dir = tempdir("hdf5");
    for (pde, cfg) in [
        (HeatTest::d1(), config(&[12], 5)),
        (HeatTest::d2(), config(&[6, 5], 4)),
    ] {
        let out = dir.join(format!("d{}.h5", pde.dims));
        let mut o = GenerateOptions::new(4, out.clone());
        o.format = Format::Hdf5;
        o.dtype = Dtype::F64;
        o.seed = 3;
        generate(&pde, &cfg, &o, &NoProgress).unwrap();
        let ds = open(&out).unwrap();
        assert_eq!(ds.format, Format::Hdf5);
        assert_eq!(ds.samples, 4);
        let layout = pde.layout(&cfg).unwrap();
        assert_eq!(ds.fields, layout.fields);
        assert_eq!(ds.coords, layout.coords);
        for i in 0..4 {
            let want = pde.sample(&cfg, 3, i).unwrap();
            assert_eq!(ds.read_sample(i).unwrap(), want);
        }
        let f = hdf5::File::open(&out).unwrap();
        if pde.dims == 1 {
            assert_eq!(f.dataset("tensor").unwrap().shape(), vec![4, 5, 12]);
            assert_eq!(f.dataset("x-coordinate").unwrap().shape(), vec![12]);
            assert_eq!(f.dataset("t-coordinate").unwrap().shape(), vec![5]);
        } else {
            assert_eq!(f.dataset("0002/data").unwrap().shape(), vec![4, 6, 5, 1]);
            assert_eq!(f.dataset("0002/a").unwrap().shape(), vec![6, 5]);
            assert_eq!(f.dataset("0000/grid/y").unwrap().shape(), vec![5]);
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Writes `values` as a float32 dataset of `shape` (PDEBench stores float32).
fn put(group: &hdf5::Group, name: &str, shape: &[usize], values: &[f64]) {
    let v: Vec<f32> = values.iter().map(|&x| x as f32).collect();
    group
        .new_dataset::<f32>()
        .shape(shape)
        .create(name)
        .unwrap()
        .write_raw(&v)
        .unwrap();
}

/// Distinct, exactly representable values (in f32) so that a transposed or shifted read fails.
fn ramp(n: usize, offset: f64) -> Vec<f64> {
    (0..n).map(|k| offset + k as f64 * 0.25).collect()
}

/// Files as PDEBench itself writes them (no `ai4de` attribute, float32, PDEBench's dataset
/// names and its `t-coordinate` with one more entry than time levels) are read by ai4de:
/// 1-D (`tensor` [N, nt, nx]), Darcy (`tensor` [N, 1, nx, ny] and the coefficient `nu`
/// [N, nx, ny]) and 2-D per-sample groups (`data` [nt, nx, ny, c], `grid/{x,y,t}`).
#[test]
fn genuine_pdebench_files_are_read() {
    let dir = tempdir("hdf5-genuine");

    // 1-D, e.g. 1D_Advection_Sols_beta1.0.hdf5.
    let p1 = dir.join("1D_Advection_Sols_beta1.0.hdf5");
    {
        let f = hdf5::File::create(&p1).unwrap();
        put(&f, "tensor", &[3, 4, 8], &ramp(3 * 4 * 8, -3.0));
        put(&f, "x-coordinate", &[8], &ramp(8, 0.0625));
        put(&f, "t-coordinate", &[5], &ramp(5, 0.0));
    }
    let ds = open(&p1).unwrap();
    assert_eq!(ds.format, Format::Hdf5);
    assert_eq!(ds.samples, 3);
    assert_eq!(ds.dtype, Dtype::F32);
    assert_eq!(ds.metadata["pdebench"], true);
    assert_eq!(ds.fields.len(), 1);
    assert_eq!(ds.fields[0].name, "tensor");
    assert_eq!(ds.fields[0].dims, ["t", "x"]);
    assert_eq!(ds.fields[0].shape, [4, 8]);
    assert_eq!(ds.read_field("tensor", 2).unwrap(), ramp(96, -3.0)[64..]);
    assert_eq!(ds.coord("x").unwrap(), ramp(8, 0.0625));
    assert_eq!(ds.coord("t").unwrap(), ramp(5, 0.0));

    // Darcy, e.g. 2D_DarcyFlow_beta1.0_Train.hdf5: the coefficient field is read too.
    let p2 = dir.join("2D_DarcyFlow_beta1.0_Train.hdf5");
    {
        let f = hdf5::File::create(&p2).unwrap();
        put(&f, "tensor", &[3, 1, 4, 5], &ramp(60, 1.0));
        put(&f, "nu", &[3, 4, 5], &ramp(60, 100.0));
        put(&f, "x-coordinate", &[4], &ramp(4, 0.0));
        put(&f, "y-coordinate", &[5], &ramp(5, 0.5));
    }
    let ds = open(&p2).unwrap();
    let names: Vec<&str> = ds.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["tensor", "nu"]);
    assert_eq!(ds.fields[0].dims, ["t", "x", "y"]);
    assert_eq!(ds.fields[1].dims, ["x", "y"]);
    assert_eq!(ds.fields[1].shape, [4, 5]);
    assert_eq!(ds.read_field("nu", 1).unwrap(), ramp(60, 100.0)[20..40]);
    assert_eq!(ds.read_field("tensor", 0).unwrap(), ramp(60, 1.0)[..20]);
    assert_eq!(ds.coord("y").unwrap(), ramp(5, 0.5));

    // 2-D per-sample groups, e.g. 2D_diff-react_NA_NA.h5 (two channels).
    let p3 = dir.join("2D_diff-react_NA_NA.h5");
    {
        let f = hdf5::File::create(&p3).unwrap();
        for i in 0..3 {
            let g = f.create_group(&format!("{i:04}")).unwrap();
            put(&g, "data", &[4, 6, 5, 2], &ramp(240, 1000.0 * i as f64));
            let grid = g.create_group("grid").unwrap();
            put(&grid, "x", &[6], &ramp(6, 0.0));
            put(&grid, "y", &[5], &ramp(5, 0.0));
            put(&grid, "t", &[4], &ramp(4, 0.0));
        }
    }
    let ds = open(&p3).unwrap();
    assert_eq!(ds.samples, 3);
    assert_eq!(ds.fields[0].name, "data");
    assert_eq!(ds.fields[0].dims, ["t", "x", "y", "channel"]);
    assert_eq!(ds.fields[0].shape, [4, 6, 5, 2]);
    assert_eq!(ds.read_field("data", 2).unwrap(), ramp(240, 2000.0));
    assert_eq!(ds.coord("t").unwrap(), ramp(4, 0.0));

    // A file with neither layout is a typed error, not a panic.
    let p4 = dir.join("other.h5");
    {
        let f = hdf5::File::create(&p4).unwrap();
        put(&f, "u", &[3, 4], &ramp(12, 0.0));
    }
    let err = open(&p4).unwrap_err().to_string();
    assert!(err.contains("other.h5"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}
