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
