//! Gaussian random fields on 2-D grids with the covariance operators of the FNO data generators
//! (Li et al. 2021, "Fourier Neural Operator for Parametric Partial Differential Equations",
//! ICLR; their `random_fields.py` `GaussianRF` and the Darcy generator's `GRF.m`).
//!
//! - [`GrfPeriodic`]: a field on the unit torus with covariance `C = 2σ²(−Δ + τ²)^{−α}`
//!   restricted to the grid's wavenumbers and with zero mean mode. This is exactly the
//!   distribution `GaussianRF(2, N, alpha, tau)` draws: it scales complex white noise by
//!   `N² √2 σ (4π²|k|² + τ²)^{−α/2}` and keeps the real part of its inverse FFT, which gives the
//!   covariance above (twice the nominal `σ²(−Δ + τ²)^{−α}`; the factor is the generator's, kept
//!   so that ai4de's initial conditions have the published amplitude). The default
//!   `σ = τ^{α − 1}` (`τ^{(2α − d)/2}` with `d = 2`) gives the Navier–Stokes initial condition
//!   `N(0, 7^{3/2}(−Δ + 49 I)^{−2.5})` for `α = 2.5`, `τ = 7`.
//!   We draw the Hermitian half spectrum directly (one real FFT instead of a complex one).
//! - [`GrfNeumann`]: the Darcy coefficient generator `GRF.m`: a cosine series (homogeneous
//!   Neumann boundary) with coefficients `τ^{α−1}(π²|k|² + τ²)^{−α/2}`, i.e. `N(0, (−Δ + τ²)^{−α})`
//!   up to a constant, evaluated at MATLAB's `idct2` points `(i + ½)/n`. Thresholding it at zero
//!   ([`threshold`]) gives the FNO piecewise-constant permeability (`a = 12` where `≥ 0`,
//!   `a = 3` elsewhere for `α = 2`, `τ = 3`).

use std::f64::consts::PI;

use rand::Rng;
use rand::RngExt;
use rand_distr::StandardNormal;
use rustfft::num_complex::Complex64;

use super::fourier::{Fourier2, Wavenumbers};

/// Sampler of the FNO periodic Gaussian random field on an `n × n` grid of the unit torus.
#[derive(Debug)]
pub struct GrfPeriodic {
    n: usize,
    /// `N² √2 σ λ_k^{−α/2}` in spectral layout (zero at `k = 0`).
    sqrt_eig: Vec<f64>,
    spec: Vec<Complex64>,
    fourier: Fourier2,
}

impl GrfPeriodic {
    /// The FNO sampler `GaussianRF(2, n, alpha, tau, sigma)`; `sigma = None` means
    /// `τ^{α − 1}`. Requires `n >= 2`, `alpha > 0`, `tau >= 0`, `sigma > 0` (validated by
    /// callers that take user input).
    pub fn new(n: usize, alpha: f64, tau: f64, sigma: Option<f64>) -> Self {
        let sigma = sigma.unwrap_or_else(|| tau.powf(alpha - 1.0));
        let wn = Wavenumbers::new(n, n, 1.0, 1.0);
        let scale = (n * n) as f64 * 2f64.sqrt() * sigma;
        let sqrt_eig = wn
            .k2()
            .iter()
            .enumerate()
            .map(|(i, &k2)| {
                if i == 0 {
                    0.0
                } else {
                    scale * (k2 + tau * tau).powf(-alpha / 2.0)
                }
            })
            .collect();
        let fourier = Fourier2::new(n, n);
        Self {
            n,
            sqrt_eig,
            spec: vec![Complex64::default(); fourier.len_spec()],
            fourier,
        }
    }

    /// Grid points per side.
    pub fn n(&self) -> usize {
        self.n
    }

    /// Theoretical point variance `Σ_{k ≠ 0} 2σ² λ_k^{−α}` of the sampled field.
    pub fn point_variance(&self) -> f64 {
        let n = self.n;
        let nyh = n / 2 + 1;
        let n4 = ((n * n) as f64).powi(2);
        let mut v = 0.0;
        for q in 0..nyh {
            // columns 1..n/2-1 stand for two conjugate columns of the full spectrum
            let mult = if q == 0 || (n.is_multiple_of(2) && q == n / 2) {
                1.0
            } else {
                2.0
            };
            for p in 0..n {
                v += mult * self.sqrt_eig[q * n + p].powi(2) / n4;
            }
        }
        v
    }

    /// Draws one field into `out` (`n²` values, row-major).
    pub fn sample_into<R: Rng + ?Sized>(&mut self, rng: &mut R, out: &mut [f64]) {
        let n = self.n;
        let nyh = n / 2 + 1;
        let h = std::f64::consts::FRAC_1_SQRT_2;
        for q in 0..nyh {
            let self_conj_col = q == 0 || (n.is_multiple_of(2) && q == n / 2);
            for p in 0..n {
                let z = if !self_conj_col {
                    let re: f64 = rng.sample(StandardNormal);
                    let im: f64 = rng.sample(StandardNormal);
                    Complex64::new(h * re, h * im)
                } else {
                    let mirror = (n - p) % n;
                    if mirror == p {
                        Complex64::new(rng.sample(StandardNormal), 0.0)
                    } else if p < mirror {
                        let re: f64 = rng.sample(StandardNormal);
                        let im: f64 = rng.sample(StandardNormal);
                        Complex64::new(h * re, h * im)
                    } else {
                        // filled from its mirror below
                        continue;
                    }
                };
                self.spec[q * n + p] = z * self.sqrt_eig[q * n + p];
            }
            if self_conj_col {
                for p in 1..n {
                    let mirror = n - p;
                    if p > mirror {
                        self.spec[q * n + p] = self.spec[q * n + mirror].conj();
                    }
                }
            }
        }
        self.fourier.inverse(&self.spec, out);
    }
}

/// Sampler of the FNO Darcy coefficient field (`GRF.m`): a cosine series with homogeneous
/// Neumann boundary conditions on the unit square, `n × n` values at the points `(i + ½)/n`.
#[derive(Debug, Clone)]
pub struct GrfNeumann {
    n: usize,
    /// `n τ^{α−1}(π²|k|² + τ²)^{−α/2}`, `k1`-major, zero at `k = 0`.
    coef: Vec<f64>,
    /// Orthonormal DCT-III matrix `c[i][k] = w_k cos(π k (2i + 1) / (2n))`.
    basis: Vec<f64>,
    xi: Vec<f64>,
    tmp: Vec<f64>,
}

impl GrfNeumann {
    /// The sampler with exponent `alpha` and inverse length scale `tau` (FNO Darcy: 2 and 3).
    pub fn new(n: usize, alpha: f64, tau: f64) -> Self {
        let nf = n as f64;
        let mut coef = vec![0.0; n * n];
        for k1 in 0..n {
            for k2 in 0..n {
                if k1 + k2 > 0 {
                    let k2sum = (k1 * k1 + k2 * k2) as f64;
                    coef[k1 * n + k2] = nf
                        * tau.powf(alpha - 1.0)
                        * (PI * PI * k2sum + tau * tau).powf(-alpha / 2.0);
                }
            }
        }
        let mut basis = vec![0.0; n * n];
        for i in 0..n {
            for k in 0..n {
                let w = if k == 0 {
                    (1.0 / nf).sqrt()
                } else {
                    (2.0 / nf).sqrt()
                };
                basis[i * n + k] = w * (PI * k as f64 * (2 * i + 1) as f64 / (2.0 * nf)).cos();
            }
        }
        Self {
            n,
            coef,
            basis,
            xi: vec![0.0; n * n],
            tmp: vec![0.0; n * n],
        }
    }

    /// Draws one field into `out` (`n²` values, row-major): `U = C (coef ∘ ξ) Cᵀ`, `ξ` white
    /// noise, `C` the orthonormal inverse DCT (MATLAB's `idct2`). `O(n³)` work, which for the
    /// FNO Darcy grids (up to 421) stays well below the cost of the sparse solve that follows.
    pub fn sample_into<R: Rng + ?Sized>(&mut self, rng: &mut R, out: &mut [f64]) {
        let n = self.n;
        for (x, &c) in self.xi.iter_mut().zip(&self.coef) {
            let z: f64 = rng.sample(StandardNormal);
            *x = c * z;
        }
        // tmp = C L  (rows i, columns k2)
        self.tmp.fill(0.0);
        for i in 0..n {
            let trow = &mut self.tmp[i * n..(i + 1) * n];
            for k1 in 0..n {
                let c = self.basis[i * n + k1];
                let lrow = &self.xi[k1 * n..(k1 + 1) * n];
                for (t, &l) in trow.iter_mut().zip(lrow) {
                    *t += c * l;
                }
            }
        }
        // out = tmp Cᵀ
        for i in 0..n {
            let trow = &self.tmp[i * n..(i + 1) * n];
            for j in 0..n {
                let brow = &self.basis[j * n..(j + 1) * n];
                out[i * n + j] = trow.iter().zip(brow).map(|(a, b)| a * b).sum();
            }
        }
    }
}

/// `a_pos` where `u >= 0`, `a_neg` elsewhere (the FNO Darcy permeability map).
pub fn threshold(u: &[f64], a_pos: f64, a_neg: f64, out: &mut [f64]) {
    for (o, &v) in out.iter_mut().zip(u) {
        *o = if v >= 0.0 { a_pos } else { a_neg };
    }
}
