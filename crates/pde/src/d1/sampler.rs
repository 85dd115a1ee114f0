//! Random initial conditions on periodic 1-D grids.
//!
//! - [`Grf1d`]: Gaussian random fields `N(0, σ² (−Δ + τ² I)^{−α})` on a periodic interval, sampled
//!   by their Karhunen–Loève (Fourier) expansion, as in the FNO papers (Z. Li et al., *Fourier
//!   neural operator for parametric partial differential equations*, ICLR 2021: Burgers
//!   `N(0, 625(−Δ + 25 I)^{−2})`).
//! - [`PdebenchSines`]: PDEBench's random superposition of sine waves with random absolute value,
//!   sign flip and window (M. Takamoto et al., *PDEBench: an extensive benchmark for scientific
//!   machine learning*, NeurIPS 2022 Datasets and Benchmarks; `init_multi` in
//!   `pdebench/data_gen/data_gen_NLE/utils.py`).
//!
//! Both draw from any [`rand::Rng`]; catalogue entries pass [`crate::random::sample_rng`] so that a
//! sample depends only on `(seed, index)`.

use rand::{Rng, RngExt};
use rand_distr::StandardNormal;

use super::spectral::Fourier1d;
use crate::etd::Complex64;

/// A Gaussian random field with covariance operator `prefactor · (−Δ + shift · I)^{−exponent}`
/// on the periodic interval `[0, L)`.
///
/// Karhunen–Loève expansion in the orthonormal Fourier basis of `L²(0, L)`: the eigenvalues of
/// `−Δ` are `k_m² = (2π m / L)²`, so
/// `u = √(λ_0/L) ξ_0 + Σ_{m ≥ 1} √(2 λ_m / L) (ξ_m cos k_m x + η_m sin k_m x)` with
/// `λ_m = prefactor (k_m² + shift)^{−exponent}` and independent standard normal `ξ, η`. The sum is
/// truncated at the grid's modes `m < n/2` (the Nyquist mode, whose sine is invisible on the grid,
/// is left out). With `shift = 0` the mean mode (`λ_0 = ∞`) is set to zero.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Grf1d {
    /// `σ²` (625 in the FNO Burgers set-up).
    pub prefactor: f64,
    /// `τ²` (25 in the FNO Burgers set-up).
    pub shift: f64,
    /// `α` (2 in the FNO Burgers set-up).
    pub exponent: f64,
}

impl Grf1d {
    /// The FNO paper's Burgers initial condition, `N(0, 625(−Δ + 25 I)^{−2})`.
    pub const FNO_BURGERS: Grf1d = Grf1d {
        prefactor: 625.0,
        shift: 25.0,
        exponent: 2.0,
    };

    /// Eigenvalue `λ` of the covariance for wavenumber `k`.
    pub fn eigenvalue(&self, k: f64) -> f64 {
        let d = k * k + self.shift;
        if d <= 0.0 {
            0.0
        } else {
            self.prefactor * d.powf(-self.exponent)
        }
    }

    /// One sample on the grid of `fourier` (its period is the `L` above).
    pub fn sample<R: Rng + ?Sized>(&self, fourier: &mut Fourier1d, rng: &mut R) -> Vec<f64> {
        let n = fourier.n();
        let l = fourier.length();
        let nf = n as f64;
        let mut c = vec![Complex64::new(0.0, 0.0); fourier.modes()];
        for (m, cm) in c.iter_mut().enumerate().take(n / 2) {
            let lam = self.eigenvalue(fourier.wavenumbers()[m]);
            let xi: f64 = rng.sample(StandardNormal);
            if m == 0 {
                *cm = Complex64::new(nf * (lam / l).sqrt() * xi, 0.0);
            } else {
                let eta: f64 = rng.sample(StandardNormal);
                let a = 0.5 * nf * (2.0 * lam / l).sqrt();
                *cm = Complex64::new(a * xi, -a * eta);
            }
        }
        let mut u = vec![0.0; n];
        fourier.inverse(&c, &mut u);
        u
    }
}

/// PDEBench's random initial condition for its 1-D advection, Burgers and reaction–diffusion
/// data: `u₀(x) = Σ_{j=1}^{k_tot} A_j sin(2π j n_j x / L + φ_j)` where `n_j` counts how often mode
/// `j` was among `choices` draws from `{1..k_tot}` (with replacement; `n_j = 0` leaves the constant
/// `A_j sin φ_j`, as in PDEBench), `A_j ~ U[0, 1)`, `φ_j ~ U[0, 2π)`; then with probability 0.1
/// `u₀ ← |u₀|`; a random sign; with probability 0.1 a window
/// `½ (tanh((x − x_L)/0.01L) − tanh((x − x_R)/0.01L))`, `x_L ~ U[0.1, 0.45] L`,
/// `x_R ~ U[0.55, 0.9] L`; and optionally (`normalize`, reaction–diffusion) a shift and scale to
/// `[0, 1]`.
///
/// Differences from PDEBench's JAX code, which give the same distribution but not the same
/// numbers: independent random draws (PDEBench reuses one key for several draws), and wavenumbers
/// `2π j / L` with the true period `L` (PDEBench divides by `x_{n−1} − x_0 = L − Δx`, which makes
/// its initial conditions very slightly non-periodic).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PdebenchSines {
    /// Number of candidate modes (`k_tot`; PDEBench uses 4 for advection and Burgers).
    pub k_tot: usize,
    /// Number of mode draws (`num_choise_k`, 2).
    pub choices: usize,
    /// Shift and scale to `[0, 1]` (reaction–diffusion).
    pub normalize: bool,
}

impl PdebenchSines {
    /// PDEBench's advection and Burgers initial conditions (`k_tot = 4`, 2 draws).
    pub const ADVECTION_BURGERS: PdebenchSines = PdebenchSines {
        k_tot: 4,
        choices: 2,
        normalize: false,
    };
    /// PDEBench's reaction–diffusion initial conditions (as above, normalised to `[0, 1]`).
    pub const REACTION_DIFFUSION: PdebenchSines = PdebenchSines {
        k_tot: 4,
        choices: 2,
        normalize: true,
    };

    /// Draws the random coefficients of one initial condition on a periodic domain of length
    /// `length` (before normalisation, which needs the grid).
    pub fn draw<R: Rng + ?Sized>(&self, length: f64, rng: &mut R) -> SinesField {
        let k_tot = self.k_tot.max(1);
        let mut count = vec![0u32; k_tot];
        for _ in 0..self.choices {
            count[rng.random_range(0..k_tot)] += 1;
        }
        let amp: Vec<f64> = (0..k_tot).map(|_| rng.random::<f64>()).collect();
        let phase: Vec<f64> = (0..k_tot)
            .map(|_| 2.0 * std::f64::consts::PI * rng.random::<f64>())
            .collect();
        let take_abs = rng.random_bool(0.1);
        let sign = if rng.random_bool(0.5) { 1.0 } else { -1.0 };
        let window = rng.random_bool(0.1);
        let xl = length * rng.random_range(0.1..0.45);
        let xr = length * rng.random_range(0.55..0.9);
        let wavenumber = count
            .iter()
            .enumerate()
            .map(|(j, &c)| 2.0 * std::f64::consts::PI * ((j + 1) as f64) * c as f64 / length)
            .collect();
        SinesField {
            length,
            wavenumber,
            amp,
            phase,
            take_abs,
            sign,
            window: window.then_some((xl, xr, 0.01 * length)),
        }
    }

    /// A sample at the points `x` of a periodic domain of length `length`.
    pub fn sample<R: Rng + ?Sized>(&self, x: &[f64], length: f64, rng: &mut R) -> Vec<f64> {
        let field = self.draw(length, rng);
        let mut u: Vec<f64> = x.iter().map(|&x| field.eval(x)).collect();
        if self.normalize {
            let min = u.iter().copied().fold(f64::INFINITY, f64::min);
            let max = u.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let range = max - min;
            for v in &mut u {
                // A constant field (probability zero) is mapped to 0.5.
                *v = if range > 0.0 { (*v - min) / range } else { 0.5 };
            }
        }
        u
    }
}

/// One drawn [`PdebenchSines`] initial condition, evaluable anywhere (periodically extended).
#[derive(Debug, Clone, PartialEq)]
pub struct SinesField {
    length: f64,
    wavenumber: Vec<f64>,
    amp: Vec<f64>,
    phase: Vec<f64>,
    take_abs: bool,
    sign: f64,
    /// `(x_L, x_R, transition width)`.
    window: Option<(f64, f64, f64)>,
}

impl SinesField {
    /// `u₀(x)`, with `x` reduced modulo the period (so `u₀(x − βt)` is the exact advected field).
    pub fn eval(&self, x: f64) -> f64 {
        let x = x.rem_euclid(self.length);
        let mut s = 0.0;
        for ((k, a), p) in self.wavenumber.iter().zip(&self.amp).zip(&self.phase) {
            s += a * (k * x + p).sin();
        }
        if self.take_abs {
            s = s.abs();
        }
        s *= self.sign;
        if let Some((xl, xr, w)) = self.window {
            s *= 0.5 * (((x - xl) / w).tanh() - ((x - xr) / w).tanh());
        }
        s
    }

    /// `out[k n + j] = u₀(x_j − shift_k)` for all shifts and the `n` points `x` (the exact
    /// advected field on a grid), equal to [`SinesField::eval`] up to rounding. The sines come
    /// from one table of `sin`/`cos` at the points and the angle-addition formula
    /// `sin(a − k s) = sin a cos ks − cos a sin ks` (every wavenumber is a multiple of `2π/L`,
    /// so no reduction modulo the period is needed), so a row costs a few products per point
    /// and mode instead of a `sin` each; only the optional window needs the reduced position.
    ///
    /// # Panics
    /// If `out.len() != x.len() · shifts.len()` (a programming error).
    pub fn eval_shifted_into(&self, x: &[f64], shifts: &[f64], out: &mut [f64]) {
        let n = x.len();
        assert_eq!(
            out.len(),
            n * shifts.len(),
            "eval_shifted_into: output length"
        );
        let modes = self.wavenumber.len();
        let mut sin_tab = vec![0.0; modes * n];
        let mut cos_tab = vec![0.0; modes * n];
        for m in 0..modes {
            let (k, p) = (self.wavenumber[m], self.phase[m]);
            for (j, &xj) in x.iter().enumerate() {
                let (sn, cs) = (k * xj.rem_euclid(self.length) + p).sin_cos();
                sin_tab[m * n + j] = sn;
                cos_tab[m * n + j] = cs;
            }
        }
        for (row, &shift) in out.chunks_exact_mut(n).zip(shifts) {
            row.fill(0.0);
            for m in 0..modes {
                let (sn, cs) = (self.wavenumber[m] * shift).sin_cos();
                let (a_cos, a_sin) = (self.amp[m] * cs, self.amp[m] * sn);
                let tab = sin_tab[m * n..(m + 1) * n].iter().zip(&cos_tab[m * n..]);
                for (o, (&s, &c)) in row.iter_mut().zip(tab) {
                    *o += a_cos * s - a_sin * c;
                }
            }
            for (o, &xj) in row.iter_mut().zip(x) {
                let mut s = *o;
                if self.take_abs {
                    s = s.abs();
                }
                s *= self.sign;
                if let Some((xl, xr, w)) = self.window {
                    let y = (xj - shift).rem_euclid(self.length);
                    s *= 0.5 * (((y - xl) / w).tanh() - ((y - xr) / w).tanh());
                }
                *o = s;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::sample_rng;

    #[test]
    fn grf_variance_matches_the_covariance() {
        // Pointwise variance = λ_0/L + Σ_{m≥1} 2λ_m/L over the kept modes (each m ≥ 1 has a cosine
        // and a sine eigenfunction, √(2/L) cos and √(2/L) sin, and cos² + sin² = 1).
        let g = Grf1d::FNO_BURGERS;
        let mut f = Fourier1d::new(64, 1.0).unwrap();
        let expected: f64 = (0..32)
            .map(|m| g.eigenvalue(f.wavenumbers()[m]) * if m == 0 { 1.0 } else { 2.0 })
            .sum();
        let mut rng = sample_rng(1, 0);
        let samples = 4000;
        let mut acc = 0.0;
        for _ in 0..samples {
            let u = g.sample(&mut f, &mut rng);
            acc += u.iter().map(|v| v * v).sum::<f64>() / 64.0;
        }
        let var = acc / samples as f64;
        // Standard error of the estimate is below 3% here.
        assert!((var / expected - 1.0).abs() < 0.06, "{var} vs {expected}");
    }

    #[test]
    fn shifted_grid_evaluation_matches_pointwise_evaluation() {
        let x: Vec<f64> = (0..97).map(|j| (j as f64 + 0.5) / 97.0).collect();
        let shifts = [0.0, 0.13, 0.5, 1.7, -0.4];
        // several draws cover abs, sign and the window
        for i in 0..40 {
            let f = PdebenchSines::ADVECTION_BURGERS.draw(1.0, &mut sample_rng(11, i));
            let mut out = vec![0.0; x.len() * shifts.len()];
            f.eval_shifted_into(&x, &shifts, &mut out);
            for (k, &s) in shifts.iter().enumerate() {
                for (j, &xj) in x.iter().enumerate() {
                    let want = f.eval(xj - s);
                    let got = out[k * x.len() + j];
                    assert!(
                        (got - want).abs() < 1e-13,
                        "draw {i}, shift {s}: {got} vs {want}"
                    );
                }
            }
        }
    }

    #[test]
    fn pdebench_sines_normalized_range_and_determinism() {
        let x: Vec<f64> = (0..128).map(|j| (j as f64 + 0.5) / 128.0).collect();
        let s = PdebenchSines::REACTION_DIFFUSION;
        let a = s.sample(&x, 1.0, &mut sample_rng(3, 5));
        let b = s.sample(&x, 1.0, &mut sample_rng(3, 5));
        assert_eq!(a, b);
        let min = a.iter().copied().fold(f64::INFINITY, f64::min);
        let max = a.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        assert!(min.abs() < 1e-15 && (max - 1.0).abs() < 1e-15);
    }
}
