//! Fourier pseudo-spectral machinery on a periodic 2-D grid: a real 2-D FFT built from a real
//! FFT along the contiguous axis (`realfft`) and a complex FFT along the other (`rustfft`),
//! wavenumbers, spectral derivatives and the 2/3-rule de-aliasing mask (Orszag 1971, "On the
//! elimination of aliasing in finite-difference schemes by filtering high-wavenumber
//! components", J. Atmos. Sci. 28; Canuto et al., *Spectral Methods*, 2006, §3.4).
//!
//! # Layout
//! A physical field on an `nx × ny` grid is row-major, `u[i * ny + j] = u(x_i, y_j)` with
//! `x_i = i Lx / nx`, `y_j = j Ly / ny`. Its half spectrum (real-to-complex along `y`) has
//! `nyh = ny / 2 + 1` columns and is stored *ky-major*, `û[q * nx + p]` for the mode
//! `(kx, ky) = (k(p), q)`, so that the complex FFT along `x` runs over contiguous rows. `k(p)`
//! follows the FFT order of the FNO generator (`p` for `p < nx/2`, `p - nx` above, the Nyquist
//! mode as `-nx/2`).
//!
//! Transforms are unnormalised forward and normalised (`1/(nx ny)`) inverse, so
//! `inverse(forward(u)) = u`. All plans and scratch buffers are allocated once in
//! [`Fourier2::new`]; the transforms allocate nothing. Every transform is single-threaded and
//! deterministic: the same input gives the same bits on any machine load or thread count.

use std::f64::consts::PI;
use std::sync::Arc;

use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};
pub use rustfft::num_complex::Complex64;
use rustfft::{Fft, FftPlanner};

/// Plans and work buffers of the real 2-D FFT on an `nx × ny` periodic grid.
pub struct Fourier2 {
    nx: usize,
    ny: usize,
    nyh: usize,
    r2c: Arc<dyn RealToComplex<f64>>,
    c2r: Arc<dyn ComplexToReal<f64>>,
    fwd_x: Arc<dyn Fft<f64>>,
    inv_x: Arc<dyn Fft<f64>>,
    /// One physical row (realfft uses its input as scratch).
    row: Vec<f64>,
    /// Row-major half spectrum `[x][ky]` between the two passes.
    rows: Vec<Complex64>,
    /// ky-major copy for the inverse `x` pass (keeps the caller's spectrum intact).
    cols: Vec<Complex64>,
    scratch_r: Vec<Complex64>,
    scratch_c: Vec<Complex64>,
}

impl std::fmt::Debug for Fourier2 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fourier2")
            .field("nx", &self.nx)
            .field("ny", &self.ny)
            .finish_non_exhaustive()
    }
}

impl Fourier2 {
    /// Plans the transforms of an `nx × ny` grid. Both sizes must be at least 2 (callers
    /// validate user input; see the catalogue entries).
    pub fn new(nx: usize, ny: usize) -> Self {
        assert!(nx >= 2 && ny >= 2, "Fourier2: grid {nx}x{ny} too small");
        let mut rp = RealFftPlanner::<f64>::new();
        let r2c = rp.plan_fft_forward(ny);
        let c2r = rp.plan_fft_inverse(ny);
        let mut cp = FftPlanner::<f64>::new();
        let fwd_x = cp.plan_fft_forward(nx);
        let inv_x = cp.plan_fft_inverse(nx);
        let nyh = ny / 2 + 1;
        let scratch_r =
            vec![Complex64::default(); r2c.get_scratch_len().max(c2r.get_scratch_len())];
        let scratch_c = vec![
            Complex64::default();
            fwd_x
                .get_inplace_scratch_len()
                .max(inv_x.get_inplace_scratch_len())
        ];
        Self {
            nx,
            ny,
            nyh,
            r2c,
            c2r,
            fwd_x,
            inv_x,
            row: vec![0.0; ny],
            rows: vec![Complex64::default(); nx * nyh],
            cols: vec![Complex64::default(); nx * nyh],
            scratch_r,
            scratch_c,
        }
    }

    /// Points along `x` (the slow axis).
    pub fn nx(&self) -> usize {
        self.nx
    }

    /// Points along `y` (the contiguous axis).
    pub fn ny(&self) -> usize {
        self.ny
    }

    /// Columns of the half spectrum, `ny / 2 + 1`.
    pub fn nyh(&self) -> usize {
        self.nyh
    }

    /// Length of a physical field, `nx ny`.
    pub fn len_phys(&self) -> usize {
        self.nx * self.ny
    }

    /// Length of a half spectrum, `nx (ny/2 + 1)`.
    pub fn len_spec(&self) -> usize {
        self.nx * self.nyh
    }

    /// Unnormalised forward transform: `uh[q nx + p] = Σ_ij u_ij e^{-2πi (p i / nx + q j / ny)}`.
    pub fn forward(&mut self, u: &[f64], uh: &mut [Complex64]) {
        let (nx, ny, nyh) = (self.nx, self.ny, self.nyh);
        assert_eq!(u.len(), nx * ny, "Fourier2::forward: physical length");
        assert_eq!(uh.len(), nx * nyh, "Fourier2::forward: spectral length");
        for i in 0..nx {
            self.row.copy_from_slice(&u[i * ny..(i + 1) * ny]);
            self.r2c
                .process_with_scratch(
                    &mut self.row,
                    &mut self.rows[i * nyh..(i + 1) * nyh],
                    &mut self.scratch_r,
                )
                .expect("Fourier2: buffer lengths fixed at construction");
        }
        transpose(&self.rows, uh, nx, nyh);
        self.fwd_x.process_with_scratch(uh, &mut self.scratch_c);
    }

    /// Normalised inverse transform (`inverse(forward(u)) = u`). The imaginary parts of the
    /// self-conjugate columns (`ky = 0` and, for even `ny`, `ky = ny/2`) are ignored, as for any
    /// real inverse transform. `uh` is left unchanged.
    pub fn inverse(&mut self, uh: &[Complex64], u: &mut [f64]) {
        let (nx, ny, nyh) = (self.nx, self.ny, self.nyh);
        assert_eq!(u.len(), nx * ny, "Fourier2::inverse: physical length");
        assert_eq!(uh.len(), nx * nyh, "Fourier2::inverse: spectral length");
        self.cols.copy_from_slice(uh);
        self.inv_x
            .process_with_scratch(&mut self.cols, &mut self.scratch_c);
        transpose(&self.cols, &mut self.rows, nyh, nx);
        let scale = 1.0 / (nx * ny) as f64;
        let last = if ny.is_multiple_of(2) {
            Some(nyh - 1)
        } else {
            None
        };
        for i in 0..nx {
            let r = &mut self.rows[i * nyh..(i + 1) * nyh];
            r[0].im = 0.0;
            if let Some(l) = last {
                r[l].im = 0.0;
            }
            let out = &mut u[i * ny..(i + 1) * ny];
            self.c2r
                .process_with_scratch(r, out, &mut self.scratch_r)
                .expect("Fourier2: lengths fixed and self-conjugate imaginary parts zeroed");
            for v in out.iter_mut() {
                *v *= scale;
            }
        }
    }
}

/// `dst[c * rows + r] = src[r * cols + c]` for a `rows × cols` row-major `src`, in cache blocks.
fn transpose(src: &[Complex64], dst: &mut [Complex64], rows: usize, cols: usize) {
    const B: usize = 16;
    for r0 in (0..rows).step_by(B) {
        for c0 in (0..cols).step_by(B) {
            for r in r0..(r0 + B).min(rows) {
                for c in c0..(c0 + B).min(cols) {
                    dst[c * rows + r] = src[r * cols + c];
                }
            }
        }
    }
}

/// Integer wavenumber of FFT index `p` on `n` points, in the FNO generator's order
/// (`0, 1, …, n/2 - 1, -n/2, …, -1`).
pub fn wavenumber(p: usize, n: usize) -> i64 {
    if p < n.div_ceil(2) && !(n.is_multiple_of(2) && p == n / 2) {
        p as i64
    } else {
        p as i64 - n as i64
    }
}

/// Angular wavenumbers of a periodic `nx × ny` grid on `[0, lx) × [0, ly)` in the half-spectrum
/// layout of [`Fourier2`].
#[derive(Debug, Clone)]
pub struct Wavenumbers {
    /// `2π k(p) / lx` for `p` in `0..nx`.
    pub kx: Vec<f64>,
    /// `2π q / ly` for `q` in `0..ny/2+1`.
    pub ky: Vec<f64>,
    /// Integer wavenumbers along `x`.
    pub ix: Vec<i64>,
    /// Integer wavenumbers along `y` (non-negative).
    pub iy: Vec<i64>,
    nx: usize,
    ny: usize,
    lx: f64,
    ly: f64,
}

impl Wavenumbers {
    /// Wavenumbers of an `nx × ny` grid on `[0, lx) × [0, ly)`.
    pub fn new(nx: usize, ny: usize, lx: f64, ly: f64) -> Self {
        let ix: Vec<i64> = (0..nx).map(|p| wavenumber(p, nx)).collect();
        let iy: Vec<i64> = (0..ny / 2 + 1).map(|q| q as i64).collect();
        Self {
            kx: ix.iter().map(|&k| 2.0 * PI * k as f64 / lx).collect(),
            ky: iy.iter().map(|&k| 2.0 * PI * k as f64 / ly).collect(),
            ix,
            iy,
            nx,
            ny,
            lx,
            ly,
        }
    }

    /// `|κ|² = κx² + κy²` for every mode, in spectral layout.
    ///
    /// On a square domain it is computed as `(2π/L)² (kx² + ky²)` from the integer wavenumbers,
    /// so that all modes of one shell carry bit-identical values (ETDRK4 then computes their
    /// coefficients once).
    pub fn k2(&self) -> Vec<f64> {
        let mut out = Vec::with_capacity(self.kx.len() * self.ky.len());
        let square = self.lx == self.ly;
        let c = (2.0 * PI / self.lx).powi(2);
        for (&ky, &iy) in self.ky.iter().zip(&self.iy) {
            for (&kx, &ix) in self.kx.iter().zip(&self.ix) {
                out.push(if square {
                    c * (ix * ix + iy * iy) as f64
                } else {
                    kx * kx + ky * ky
                });
            }
        }
        out
    }

    /// Multiplier of `∂/∂x` (`i κx`), zero on the Nyquist mode of even `nx` so that a real field
    /// has a real derivative.
    pub fn ddx(&self) -> Vec<Complex64> {
        let mut out = Vec::with_capacity(self.kx.len() * self.ky.len());
        for _ in &self.ky {
            for (p, &kx) in self.kx.iter().enumerate() {
                let nyq = self.nx.is_multiple_of(2) && p == self.nx / 2;
                out.push(Complex64::new(0.0, if nyq { 0.0 } else { kx }));
            }
        }
        out
    }

    /// Multiplier of `∂/∂y` (`i κy`), zero on the Nyquist column of even `ny`.
    pub fn ddy(&self) -> Vec<Complex64> {
        let mut out = Vec::with_capacity(self.kx.len() * self.ky.len());
        for (q, &ky) in self.ky.iter().enumerate() {
            let nyq = self.ny.is_multiple_of(2) && q == self.ny / 2;
            for _ in &self.kx {
                out.push(Complex64::new(0.0, if nyq { 0.0 } else { ky }));
            }
        }
        out
    }

    /// The 2/3-rule mask of the FNO generator: 1 where `|kx| ≤ (2/3)⌊nx/2⌋` and
    /// `|ky| ≤ (2/3)⌊ny/2⌋` (integer wavenumbers), else 0.
    pub fn dealias_mask(&self) -> Vec<f64> {
        let cx = (2.0 / 3.0) * (self.nx / 2) as f64;
        let cy = (2.0 / 3.0) * (self.ny / 2) as f64;
        let mut out = Vec::with_capacity(self.kx.len() * self.ky.len());
        for &qy in &self.iy {
            for &px in &self.ix {
                let keep = (px.unsigned_abs() as f64) <= cx && (qy.unsigned_abs() as f64) <= cy;
                out.push(if keep { 1.0 } else { 0.0 });
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_single_mode() {
        for &(nx, ny) in &[(8usize, 8usize), (6, 10), (16, 12), (5, 7)] {
            let mut f = Fourier2::new(nx, ny);
            let u: Vec<f64> = (0..nx * ny).map(|i| ((i * 37 % 11) as f64).sin()).collect();
            let mut uh = vec![Complex64::default(); f.len_spec()];
            let mut back = vec![0.0; nx * ny];
            f.forward(&u, &mut uh);
            f.inverse(&uh, &mut back);
            for (a, b) in u.iter().zip(&back) {
                assert!((a - b).abs() < 1e-13, "{nx}x{ny}: {a} vs {b}");
            }
        }
        // cos(2π(2x + 3y)) on a 16 x 16 unit grid: two half-spectrum entries (kx=±2 at ky=3).
        let n = 16;
        let mut f = Fourier2::new(n, n);
        let u: Vec<f64> = (0..n * n)
            .map(|idx| {
                let (i, j) = (idx / n, idx % n);
                (2.0 * PI * (2.0 * i as f64 + 3.0 * j as f64) / n as f64).cos()
            })
            .collect();
        let mut uh = vec![Complex64::default(); f.len_spec()];
        f.forward(&u, &mut uh);
        for q in 0..f.nyh() {
            for p in 0..n {
                let want = if q == 3 && p == 2 {
                    (n * n) as f64 / 2.0
                } else {
                    0.0
                };
                assert!((uh[q * n + p] - Complex64::new(want, 0.0)).norm() < 1e-10);
            }
        }
    }

    #[test]
    fn wavenumber_order_matches_fno() {
        let k: Vec<i64> = (0..8).map(|p| wavenumber(p, 8)).collect();
        assert_eq!(k, vec![0, 1, 2, 3, -4, -3, -2, -1]);
        let k: Vec<i64> = (0..5).map(|p| wavenumber(p, 5)).collect();
        assert_eq!(k, vec![0, 1, 2, -2, -1]);
        let w = Wavenumbers::new(64, 64, 1.0, 1.0);
        let kept = w.dealias_mask().iter().filter(|&&m| m == 1.0).count();
        // |kx| <= 21 (43 values) and 0 <= ky <= 21 (22 values)
        assert_eq!(kept, 43 * 22);
    }
}
