//! Truncated discrete Fourier transforms as dense matrices, and the cache that holds them per
//! grid size.
//!
//! An FNO keeps only its `modes` lowest Fourier modes, so the transform it needs is a thin
//! `2·modes × n` matrix (cosines and sines) rather than a full FFT. Li et al. (2021, "Fourier
//! neural operator for parametric partial differential equations", ICLR, §4) note that the
//! truncated transform can be written this way; on a CPU with `modes ≪ n` the dense product costs
//! `O(n·modes)` per channel in a GEMM, against `O(n log n)` for an FFT followed by a slice.
//! Measured against rustfft (`examples/bench_spectral.rs`, `bench/neural/RESULTS.md`): at n = 256
//! with 16 modes the two transforms of a layer cost about the same either way (FFT/GEMM
//! 0.86–0.92, the FFT side paying for its transposes); the GEMMs are kept because they need no
//! custom autodiff op (burn 0.22's autodiff `rfft` needs the `signal` feature, not enabled here).
//!
//! Normalisation is the "forward" convention: the forward transform divides by `n`, the inverse
//! does not. The retained coefficients of a band-limited function are then the same at every
//! resolution, so the same weights give the same function on a finer grid (zero-shot
//! super-resolution). The inverse weights `c_0 = 1`, `c_k = 2` (`0 < k < n/2`) are those of the
//! inverse real DFT (`numpy.fft.irfft`), which ignores the imaginary part of the zero mode.

use std::collections::HashMap;
use std::f64::consts::PI;
use std::sync::{Arc, Mutex};

use burn::tensor::{Device, Tensor, TensorData};

/// Host copies of the truncated real-DFT matrices for one `(n, modes)`.
#[derive(Debug)]
pub(crate) struct RealDftBasis {
    /// `[2·modes, n]`: rows `k` hold `cos(2πjk/n)/n`, rows `modes + k` hold `−sin(2πjk/n)/n`, so that
    /// `forward · x` gives the real and imaginary parts of `rfft(x)/n` for `k < modes`.
    pub(crate) forward: Vec<f32>,
    /// `[n, 2·modes]`: columns `k` hold `c_k cos(2πjk/n)`, columns `modes + k` hold
    /// `−c_k sin(2πjk/n)`, so that `inverse · [Re; Im]` is `n · irfft` of the truncated spectrum.
    pub(crate) inverse: Vec<f32>,
}

impl RealDftBasis {
    fn new(n: usize, modes: usize) -> Self {
        let mut forward = vec![0.0_f32; 2 * modes * n];
        let mut inverse = vec![0.0_f32; n * 2 * modes];
        let inv_n = 1.0 / n as f64;
        for k in 0..modes {
            let c = if k == 0 || 2 * k == n { 1.0 } else { 2.0 };
            for j in 0..n {
                // Reduce jk mod n in integers first: the angle then stays in [0, 2π) and keeps
                // full f64 accuracy for large grids.
                let theta = 2.0 * PI * ((j * k) % n) as f64 * inv_n;
                let (s, co) = theta.sin_cos();
                forward[k * n + j] = (co * inv_n) as f32;
                forward[(modes + k) * n + j] = (-s * inv_n) as f32;
                inverse[j * 2 * modes + k] = (c * co) as f32;
                inverse[j * 2 * modes + modes + k] = (-c * s) as f32;
            }
        }
        Self { forward, inverse }
    }
}

/// Host copies of the complex DFT matrices along a non-last axis of a 2-D grid, for the kept
/// wavenumbers `0..modes` and `n−modes..n` (the "two corners" of Li et al. 2021), both in
/// left-multiplication form on real/imaginary parts stacked along the transformed axis.
#[derive(Debug)]
pub(crate) struct ComplexDftBasis {
    /// `[2K, 2n]` with `K = 2·modes`: `[Br; Bi] = forward · [Ar; Ai]`, that is
    /// `B_q = (1/n) Σ_j A_j e^{−2πi j k_q/n}`, or `Br = C Ar + S Ai`, `Bi = −S Ar + C Ai`.
    pub(crate) forward: Vec<f32>,
    /// `[2n, 2K]`: `[yr; yi] = inverse · [Br; Bi]`, `y_j = Σ_q B_q e^{2πi j k_q/n}` (no scaling).
    pub(crate) inverse: Vec<f32>,
}

impl ComplexDftBasis {
    fn new(n: usize, modes: usize) -> Self {
        let kk = 2 * modes;
        let mut forward = vec![0.0_f32; 2 * kk * 2 * n];
        let mut inverse = vec![0.0_f32; 2 * n * 2 * kk];
        let inv_n = 1.0 / n as f64;
        let wavenumbers = (0..modes).chain(n - modes..n);
        for (q, k) in wavenumbers.enumerate() {
            for j in 0..n {
                let theta = 2.0 * PI * ((j * k) % n) as f64 * inv_n;
                let (s, c) = theta.sin_cos();
                let (cf, sf) = ((c * inv_n) as f32, (s * inv_n) as f32);
                let row = 2 * n;
                forward[q * row + j] = cf;
                forward[q * row + n + j] = sf;
                forward[(kk + q) * row + j] = -sf;
                forward[(kk + q) * row + n + j] = cf;
                let row = 2 * kk;
                inverse[j * row + q] = c as f32;
                inverse[j * row + kk + q] = -s as f32;
                inverse[(n + j) * row + q] = s as f32;
                inverse[(n + j) * row + kk + q] = c as f32;
            }
        }
        Self { forward, inverse }
    }
}

/// Per-grid-size cache of DFT matrices, shared by all layers of a model (and its clones).
///
/// Built lazily the first time a grid size is seen, so that a model trained at one resolution
/// evaluates at another without any set-up call.
type BasisMap<T> = Arc<Mutex<HashMap<(usize, usize), Arc<T>>>>;

#[derive(Debug, Clone, Default)]
pub(crate) struct DftCache {
    real: BasisMap<RealDftBasis>,
    complex: BasisMap<ComplexDftBasis>,
}

impl DftCache {
    pub(crate) fn real(&self, n: usize, modes: usize) -> Arc<RealDftBasis> {
        // A poisoned lock only means another thread panicked while inserting; the map is
        // still valid (entries are inserted whole), so keep using it.
        let mut map = self.real.lock().unwrap_or_else(|e| e.into_inner());
        map.entry((n, modes))
            .or_insert_with(|| Arc::new(RealDftBasis::new(n, modes)))
            .clone()
    }

    pub(crate) fn complex(&self, n: usize, modes: usize) -> Arc<ComplexDftBasis> {
        let mut map = self.complex.lock().unwrap_or_else(|e| e.into_inner());
        map.entry((n, modes))
            .or_insert_with(|| Arc::new(ComplexDftBasis::new(n, modes)))
            .clone()
    }
}

/// The real-DFT matrices of one grid size as tensors on `device`: `(forward [2m, n], inverse [n, 2m])`.
pub(crate) fn real_dft_tensors(
    basis: &RealDftBasis,
    n: usize,
    modes: usize,
    device: &Device,
) -> (Tensor<2>, Tensor<2>) {
    let f = Tensor::from_data(
        TensorData::new(basis.forward.clone(), [2 * modes, n]),
        device,
    );
    let g = Tensor::from_data(
        TensorData::new(basis.inverse.clone(), [n, 2 * modes]),
        device,
    );
    (f, g)
}

/// The complex-DFT matrices of one grid size as tensors: `(forward [4m, 2n], inverse [2n, 4m])`.
pub(crate) fn complex_dft_tensors(
    basis: &ComplexDftBasis,
    n: usize,
    modes: usize,
    device: &Device,
) -> (Tensor<2>, Tensor<2>) {
    let kk = 2 * modes;
    let f = Tensor::from_data(
        TensorData::new(basis.forward.clone(), [2 * kk, 2 * n]),
        device,
    );
    let g = Tensor::from_data(
        TensorData::new(basis.inverse.clone(), [2 * n, 2 * kk]),
        device,
    );
    (f, g)
}
