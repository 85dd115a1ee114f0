//! Fourier pseudo-spectral discretisation on a periodic 1-D grid.
//!
//! A periodic function on `[0, L)` sampled at `x_j = j L / n`, `j = 0..n` (n even), is represented
//! by its real-FFT coefficients `û_m`, `m = 0..=n/2`, with wavenumbers `k_m = 2π m / L`:
//! `u(x_j) = (1/n) Σ_m û_m e^{i k_m x_j}` (the negative modes are the conjugates). Derivatives are
//! multiplications by `(i k)^p`; products are formed on the grid and de-aliased by Orszag's 2/3 rule
//! (modes `m > n/3` set to zero). See L. N. Trefethen, *Spectral Methods in MATLAB* (SIAM 2000),
//! ch. 3, and S. A. Orszag, *On the elimination of aliasing in finite-difference schemes by
//! filtering high-wavenumber components*, J. Atmos. Sci. 28 (1971).
//!
//! The FFT plans (`realfft`) are made once per [`Fourier1d`] and the scratch buffers allocated
//! once, so transforms allocate nothing.

use std::sync::Arc;

use realfft::num_complex::Complex64;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};

use crate::PdeError;

/// Real FFTs, wavenumbers and de-aliasing on a periodic grid of `n` points over `[0, L)`.
pub struct Fourier1d {
    n: usize,
    length: f64,
    r2c: Arc<dyn RealToComplex<f64>>,
    c2r: Arc<dyn ComplexToReal<f64>>,
    rbuf: Vec<f64>,
    cbuf: Vec<Complex64>,
    scratch: Vec<Complex64>,
    k: Vec<f64>,
    cutoff: usize,
}

impl std::fmt::Debug for Fourier1d {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fourier1d")
            .field("n", &self.n)
            .field("length", &self.length)
            .finish_non_exhaustive()
    }
}

impl Clone for Fourier1d {
    fn clone(&self) -> Self {
        Self {
            n: self.n,
            length: self.length,
            r2c: Arc::clone(&self.r2c),
            c2r: Arc::clone(&self.c2r),
            rbuf: self.rbuf.clone(),
            cbuf: self.cbuf.clone(),
            scratch: self.scratch.clone(),
            k: self.k.clone(),
            cutoff: self.cutoff,
        }
    }
}

impl Fourier1d {
    /// A grid of `n` points (even, at least 4) on `[0, length)`.
    pub fn new(n: usize, length: f64) -> Result<Self, PdeError> {
        if n < 4 || !n.is_multiple_of(2) {
            return Err(PdeError::InvalidGrid {
                pde: "fourier1d".into(),
                grid: vec![n],
                reason: "a Fourier grid needs an even number of points, at least 4".into(),
            });
        }
        if !(length.is_finite() && length > 0.0) {
            return Err(PdeError::InvalidValue {
                pde: "fourier1d".into(),
                what: "length".into(),
                value: length,
                reason: "the period must be finite and positive".into(),
            });
        }
        let mut planner = RealFftPlanner::<f64>::new();
        let r2c = planner.plan_fft_forward(n);
        let c2r = planner.plan_fft_inverse(n);
        let scratch_len = r2c.get_scratch_len().max(c2r.get_scratch_len());
        let modes = n / 2 + 1;
        let k = (0..modes)
            .map(|m| 2.0 * std::f64::consts::PI * m as f64 / length)
            .collect();
        Ok(Self {
            n,
            length,
            r2c,
            c2r,
            rbuf: vec![0.0; n],
            cbuf: vec![Complex64::new(0.0, 0.0); modes],
            scratch: vec![Complex64::new(0.0, 0.0); scratch_len],
            k,
            cutoff: n / 3,
        })
    }

    /// Number of grid points.
    pub fn n(&self) -> usize {
        self.n
    }
    /// The period `L`.
    pub fn length(&self) -> f64 {
        self.length
    }
    /// Number of stored (non-negative) modes, `n/2 + 1`.
    pub fn modes(&self) -> usize {
        self.n / 2 + 1
    }
    /// Wavenumbers `k_m = 2π m / L`, `m = 0..=n/2`.
    pub fn wavenumbers(&self) -> &[f64] {
        &self.k
    }
    /// Grid spacing `L / n`.
    pub fn dx(&self) -> f64 {
        self.length / self.n as f64
    }
    /// Grid points `x_j = j L / n`.
    pub fn grid(&self) -> Vec<f64> {
        (0..self.n).map(|j| j as f64 * self.dx()).collect()
    }
    /// Highest mode kept by the 2/3 rule (`n/3`).
    pub fn dealias_cutoff(&self) -> usize {
        self.cutoff
    }

    /// `û = FFT(u)` (unnormalised: `û_0 = Σ u_j`).
    pub fn forward(&mut self, u: &[f64], uhat: &mut [Complex64]) {
        self.rbuf.copy_from_slice(u);
        self.r2c
            .process_with_scratch(&mut self.rbuf, uhat, &mut self.scratch)
            .expect("buffer lengths are fixed at construction");
    }

    /// `u = IFFT(û) / n`, the inverse of [`Fourier1d::forward`]. The imaginary parts of the
    /// mean and Nyquist modes (which a real signal cannot have) are ignored.
    pub fn inverse(&mut self, uhat: &[Complex64], u: &mut [f64]) {
        self.cbuf.copy_from_slice(uhat);
        self.cbuf[0].im = 0.0;
        let last = self.cbuf.len() - 1;
        self.cbuf[last].im = 0.0;
        self.c2r
            .process_with_scratch(&mut self.cbuf, u, &mut self.scratch)
            .expect(
                "buffer lengths are fixed at construction; invalid imaginary parts were zeroed",
            );
        let s = 1.0 / self.n as f64;
        for v in u.iter_mut() {
            *v *= s;
        }
    }

    /// Zeroes the modes above `n/3` (Orszag's 2/3 rule).
    pub fn dealias(&self, uhat: &mut [Complex64]) {
        for c in &mut uhat[self.cutoff + 1..] {
            *c = Complex64::new(0.0, 0.0);
        }
    }

    /// The symbol `(i k_m)^p` of `∂^p/∂x^p`, with the Nyquist mode zeroed for odd `p` (its
    /// derivative is not real).
    pub fn derivative_symbol(&self, p: u32) -> Vec<Complex64> {
        let mut s: Vec<Complex64> = self
            .k
            .iter()
            .map(|&k| Complex64::new(0.0, k).powu(p))
            .collect();
        if !p.is_multiple_of(2) {
            let last = s.len() - 1;
            s[last] = Complex64::new(0.0, 0.0);
        }
        s
    }

    /// Spectral derivative `out = ∂^p u / ∂x^p` on the grid (allocates the symbol; use
    /// [`Fourier1d::derivative_symbol`] once in hot loops).
    pub fn derivative(&mut self, u: &[f64], p: u32, out: &mut [f64]) {
        let sym = self.derivative_symbol(p);
        let mut uhat = vec![Complex64::new(0.0, 0.0); self.modes()];
        self.forward(u, &mut uhat);
        for (c, s) in uhat.iter_mut().zip(&sym) {
            *c *= s;
        }
        self.inverse(&uhat, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_derivative() {
        let l = 2.0 * std::f64::consts::PI;
        let mut f = Fourier1d::new(32, l).unwrap();
        let x = f.grid();
        let u: Vec<f64> = x.iter().map(|&x| (3.0 * x).sin() + 0.5).collect();
        let mut uh = vec![Complex64::new(0.0, 0.0); f.modes()];
        f.forward(&u, &mut uh);
        let mut back = vec![0.0; 32];
        f.inverse(&uh, &mut back);
        for (a, b) in u.iter().zip(&back) {
            assert!((a - b).abs() < 1e-14);
        }
        let mut d = vec![0.0; 32];
        f.derivative(&u, 1, &mut d);
        for (xi, di) in x.iter().zip(&d) {
            assert!((di - 3.0 * (3.0 * xi).cos()).abs() < 1e-12);
        }
    }

    #[test]
    fn bad_grid_is_an_error() {
        assert!(matches!(
            Fourier1d::new(7, 1.0),
            Err(PdeError::InvalidGrid { .. })
        ));
        assert!(matches!(
            Fourier1d::new(8, -1.0),
            Err(PdeError::InvalidValue { .. })
        ));
    }
}
