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
//! In 2-D (`examples/bench_spectral2d.rs`, one layer's transforms, forward + backward, batch 20,
//! one thread, CPU time): the GEMMs are cheaper at the FNO paper's grids — FFT/GEMM 1.39 at 64²
//! (width 20) and 1.23 at 85² (width 32), 12 modes — and FFTs (realfft along y, rustfft along x
//! over the kept columns, transposes included) are cheaper from 128² on: 0.70 at 128², 0.92 at
//! 192², 0.74 at 256² with 12 modes and 0.69 with 32. The models use the GEMMs at every size: an
//! FFT path would need a custom autodiff op (see `bench/neural/RESULTS.md`, "Transform choice").
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

/// Host copies of the four truncated-DFT matrices of the point-major 2-D spectral convolution
/// (`SpectralConv2d` in `fno.rs`), for one grid `nx × ny` and modes `(m1, m2)`.
///
/// The activations are `[ny, nx, b·c]` (rows ordered y, x, sample). The transform runs along y
/// first (a real DFT keeping `ky ∈ 0..m2`, one GEMM over everything else), then along x (a
/// complex DFT keeping the two corners `kx ∈ 0..m1 ∪ nx−m1..nx`, a GEMM batched over the `m2`
/// wavenumbers `ky`): y first because it shrinks the data most cheaply (`2·m2` real rows out of
/// `ny` against `4·m1` out of `2·nx` for x), so the second transform only sees `2·m2/ny` of the
/// activations. Real and imaginary parts are interleaved so that every intermediate is a plain
/// reshape of the previous GEMM's output (no transposes of activations).
#[derive(Debug)]
pub(crate) struct Dft2dBasis {
    /// `[2·m2, ny]`: row `2k` holds `cos(2πjk/ny)/ny`, row `2k + 1` holds `−sin(2πjk/ny)/ny`
    /// (real and imaginary part of `rfft/ny` at `ky = k`).
    pub(crate) forward_y: Vec<f32>,
    /// `[4·m1, 2·nx]` with `K = 2·m1` kept wavenumbers `k_q`: rows `(q, re/im)`, columns
    /// `(re/im, x)`; `B_q = (1/nx) Σ_j A_j e^{−2πi j k_q/nx}`, i.e. row `2q` is `[C_q | S_q]` and
    /// row `2q + 1` is `[−S_q | C_q]` with `C = cos/nx`, `S = sin/nx`.
    pub(crate) forward_x: Vec<f32>,
    /// `[2·nx, 4·m1]`: rows `(re/im, x)`, columns `(q, re/im)`; `y_j = Σ_q B_q e^{2πi j k_q/nx}`
    /// (no scaling).
    pub(crate) inverse_x: Vec<f32>,
    /// `[ny, 2·m2]`: columns `(k, re/im)`, `c_k cos(2πjk/ny)` and `−c_k sin(2πjk/ny)` with
    /// `c_0 = 1`, `c_k = 2` otherwise (the inverse real DFT, `numpy.fft.irfft` times `ny`).
    pub(crate) inverse_y: Vec<f32>,
}

impl Dft2dBasis {
    fn new(nx: usize, ny: usize, m1: usize, m2: usize) -> Self {
        let mut forward_y = vec![0.0_f32; 2 * m2 * ny];
        let mut inverse_y = vec![0.0_f32; ny * 2 * m2];
        let inv_ny = 1.0 / ny as f64;
        for k in 0..m2 {
            let c = if k == 0 || 2 * k == ny { 1.0 } else { 2.0 };
            for j in 0..ny {
                // jk mod n in integers keeps the angle in [0, 2π) at full accuracy.
                let theta = 2.0 * PI * ((j * k) % ny) as f64 * inv_ny;
                let (s, co) = theta.sin_cos();
                forward_y[2 * k * ny + j] = (co * inv_ny) as f32;
                forward_y[(2 * k + 1) * ny + j] = (-s * inv_ny) as f32;
                inverse_y[j * 2 * m2 + 2 * k] = (c * co) as f32;
                inverse_y[j * 2 * m2 + 2 * k + 1] = (-c * s) as f32;
            }
        }
        let kk = 2 * m1;
        let mut forward_x = vec![0.0_f32; 2 * kk * 2 * nx];
        let mut inverse_x = vec![0.0_f32; 2 * nx * 2 * kk];
        let inv_nx = 1.0 / nx as f64;
        for (q, k) in (0..m1).chain(nx - m1..nx).enumerate() {
            for j in 0..nx {
                let theta = 2.0 * PI * ((j * k) % nx) as f64 * inv_nx;
                let (s, c) = theta.sin_cos();
                let (cf, sf) = ((c * inv_nx) as f32, (s * inv_nx) as f32);
                let row = 2 * nx;
                forward_x[2 * q * row + j] = cf;
                forward_x[2 * q * row + nx + j] = sf;
                forward_x[(2 * q + 1) * row + j] = -sf;
                forward_x[(2 * q + 1) * row + nx + j] = cf;
                let row = 2 * kk;
                inverse_x[j * row + 2 * q] = c as f32;
                inverse_x[j * row + 2 * q + 1] = -s as f32;
                inverse_x[(nx + j) * row + 2 * q] = s as f32;
                inverse_x[(nx + j) * row + 2 * q + 1] = c as f32;
            }
        }
        Self {
            forward_y,
            forward_x,
            inverse_x,
            inverse_y,
        }
    }
}

/// The matrices of a [`Dft2dBasis`] as tensors on one device.
#[derive(Debug, Clone)]
pub(crate) struct Dft2dTensors {
    /// `[2·m2, ny]`.
    pub(crate) forward_y: Tensor<2>,
    /// `[1, 4·m1, 2·nx]` (broadcast over the `m2` wavenumbers `ky`).
    pub(crate) forward_x: Tensor<3>,
    /// `[1, 2·nx, 4·m1]`.
    pub(crate) inverse_x: Tensor<3>,
    /// `[ny, 2·m2]`.
    pub(crate) inverse_y: Tensor<2>,
}

impl Dft2dTensors {
    pub(crate) fn new(
        basis: &Dft2dBasis,
        (nx, ny, m1, m2): (usize, usize, usize, usize),
        device: &Device,
    ) -> Self {
        let kk = 2 * m1;
        let t2 = |v: &[f32], shape: [usize; 2]| {
            Tensor::<2>::from_data(TensorData::new(v.to_vec(), shape), device)
        };
        let t3 = |v: &[f32], shape: [usize; 3]| {
            Tensor::<3>::from_data(TensorData::new(v.to_vec(), shape), device)
        };
        Self {
            forward_y: t2(&basis.forward_y, [2 * m2, ny]),
            forward_x: t3(&basis.forward_x, [1, 2 * kk, 2 * nx]),
            inverse_x: t3(&basis.inverse_x, [1, 2 * nx, 2 * kk]),
            inverse_y: t2(&basis.inverse_y, [ny, 2 * m2]),
        }
    }
}

/// Per-grid-size cache of DFT matrices, shared by all layers of a model (and its clones).
///
/// Built lazily the first time a grid size is seen, so that a model trained at one resolution
/// evaluates at another without any set-up call.
type BasisMap<K, T> = Arc<Mutex<HashMap<K, Arc<T>>>>;

#[derive(Debug, Clone, Default)]
pub(crate) struct DftCache {
    real: BasisMap<(usize, usize), RealDftBasis>,
    two_d: BasisMap<(usize, usize, usize, usize), Dft2dBasis>,
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

    /// The point-major 2-D basis of an `nx × ny` grid keeping `(m1, m2)` modes.
    pub(crate) fn two_d(&self, nx: usize, ny: usize, m1: usize, m2: usize) -> Arc<Dft2dBasis> {
        let mut map = self.two_d.lock().unwrap_or_else(|e| e.into_inner());
        map.entry((nx, ny, m1, m2))
            .or_insert_with(|| Arc::new(Dft2dBasis::new(nx, ny, m1, m2)))
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
