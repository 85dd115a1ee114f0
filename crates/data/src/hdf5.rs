//! PDEBench-layout HDF5 (placeholder until the reader and writer land).
