//! Datasets for ai4de: parallel, deterministic, resumable generation of PDE datasets from the
//! [`ai4de_pde`] catalogue, and their readers and writers (Zarr v3, NPY/NPZ, PDEBench HDF5 behind
//! the `hdf5` feature).
#![forbid(unsafe_code)]
