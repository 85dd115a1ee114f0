//! Estimating `dx/dt` (or `∂u/∂x`) from samples: finite differences of any order on uneven
//! samples, Savitzky–Golay local polynomials, total-variation-regularised differentiation and
//! spectral differentiation of periodic data. (The weak form, which needs no pointwise derivative
//! at all, is in [`crate::weak`].)
//!
//! ```
//! use ai4de_discover::Derivative;
//! let t: Vec<f64> = (0..101).map(|i| i as f64 * 0.01).collect();
//! let x: Vec<f64> = t.iter().map(|t| t * t).collect();
//! let dx = Derivative::fd(2).differentiate_1d(&t, &x).unwrap();
//! assert!((dx[50] - 1.0).abs() < 1e-12); // centred differences are exact on quadratics
//! ```

use std::sync::Arc;

use realfft::num_complex::Complex;
use realfft::RealFftPlanner;

use crate::error::{check_finite, DiscoverError};

/// A pointwise derivative estimator.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Derivative {
    /// Finite differences from Fornberg's weights ("Generation of finite difference formulas on
    /// arbitrarily spaced grids", Math. Comp. 51 (1988) 699–706) on a stencil of
    /// `order + accuracy − 1` points rounded up to odd: centred in the interior, shifted
    /// one-sided near the ends (as PySINDy's `FiniteDifference`). On uniform samples the
    /// error is `O(h^accuracy)` everywhere; on uneven samples at least `O(h^(points − order))`.
    FiniteDifference { order: usize, accuracy: usize },
    /// Savitzky–Golay ("Smoothing and differentiation of data by simplified least squares
    /// procedures", Anal. Chem. 36 (1964) 1627–1639): the derivative of the least-squares
    /// polynomial of degree `degree` through the `window` (odd) samples around each point.
    /// Works on uneven samples (each window fits its own polynomial).
    SavitzkyGolay { window: usize, degree: usize },
    /// Total-variation-regularised differentiation (R. Chartrand, "Numerical differentiation of
    /// noisy, nonsmooth data", ISRN Appl. Math. 2011, 164564): `u = argmin α Σ|u_{k+1} − u_k| +
    /// ½‖A u − (f − f_0)‖²` with `A` trapezoidal integration, solved by lagged diffusivity with
    /// conjugate gradients. Data are scaled to unit span and unit standard deviation first, so
    /// `alpha` is dimensionless.
    TotalVariation { alpha: f64, iterations: usize },
    /// Spectral differentiation of periodic, uniformly sampled data (the last sample is one step
    /// before the period repeats): multiply the Fourier coefficients by `(i k)^order`
    /// (Trefethen, "Spectral Methods in MATLAB", SIAM 2000, ch. 3).
    Spectral { order: usize },
}

impl Derivative {
    /// First derivative by finite differences of accuracy `accuracy` (2 = PySINDy's default).
    pub fn fd(accuracy: usize) -> Self {
        Derivative::FiniteDifference { order: 1, accuracy }
    }

    /// Short name for reports (`fd`, `savgol`, `tv`, `spectral`).
    pub fn name(&self) -> &'static str {
        match self {
            Derivative::FiniteDifference { .. } => "fd",
            Derivative::SavitzkyGolay { .. } => "savgol",
            Derivative::TotalVariation { .. } => "tv",
            Derivative::Spectral { .. } => "spectral",
        }
    }

    /// Derivative of one signal `x(t)`.
    pub fn differentiate_1d(&self, t: &[f64], x: &[f64]) -> Result<Vec<f64>, DiscoverError> {
        check_samples(t, x.len())?;
        check_finite("data", x, 1)?;
        let mut out = vec![0.0; x.len()];
        self.differentiate_strided(t, x, 1, 0, &mut out)?;
        Ok(out)
    }

    /// Derivatives of every column of a row-major array `y` (`t.len() × dim`).
    pub fn differentiate(
        &self,
        t: &[f64],
        y: &[f64],
        dim: usize,
    ) -> Result<Vec<f64>, DiscoverError> {
        if dim == 0 || y.len() != t.len() * dim {
            return Err(DiscoverError::ShapeMismatch {
                what: "data",
                expected: format!("{} x {dim} values", t.len()),
                found: format!("{} values", y.len()),
            });
        }
        check_samples(t, t.len())?;
        check_finite("data", y, dim)?;
        let mut out = vec![0.0; y.len()];
        if let Derivative::FiniteDifference { order, accuracy } = *self {
            // one set of weights for every column
            let s = fd_stencil(order, accuracy, t.len())?;
            let weights = StencilWeights::new(t, s, order);
            for c in 0..dim {
                weights.apply(y, dim, c, &mut out);
            }
        } else {
            for c in 0..dim {
                self.differentiate_strided(t, y, dim, c, &mut out)?;
            }
        }
        if let Some(k) = out.iter().position(|v| !v.is_finite()) {
            return Err(DiscoverError::NonFiniteResult {
                what: "derivative",
                index: k,
            });
        }
        Ok(out)
    }

    fn differentiate_strided(
        &self,
        t: &[f64],
        y: &[f64],
        stride: usize,
        c: usize,
        out: &mut [f64],
    ) -> Result<(), DiscoverError> {
        let n = t.len();
        let get = |i: usize| y[i * stride + c];
        match *self {
            Derivative::FiniteDifference { order, accuracy } => {
                let s = fd_stencil(order, accuracy, n)?;
                let weights = StencilWeights::new(t, s, order);
                weights.apply(y, stride, c, out);
            }
            Derivative::SavitzkyGolay { window, degree } => {
                if window % 2 == 0 || window <= degree || degree == 0 {
                    return Err(DiscoverError::InvalidOption {
                        name: "Savitzky-Golay window/degree",
                        reason: format!(
                            "window must be odd and larger than the degree (>= 1); got window {window}, degree {degree}"
                        ),
                    });
                }
                if n < window {
                    return Err(DiscoverError::TooFewSamples {
                        what: "Savitzky-Golay window",
                        needed: window,
                        got: n,
                    });
                }
                let half = window / 2;
                let mut w = vec![0.0; window];
                for i in 0..n {
                    let start = i.saturating_sub(half).min(n - window);
                    savgol_weights(&t[start..start + window], t[i], degree, &mut w)?;
                    out[i * stride + c] =
                        w.iter().enumerate().map(|(k, w)| w * get(start + k)).sum();
                }
            }
            Derivative::TotalVariation { alpha, iterations } => {
                if !(alpha.is_finite() && alpha > 0.0) || iterations == 0 {
                    return Err(DiscoverError::InvalidOption {
                        name: "total-variation alpha/iterations",
                        reason: format!(
                            "alpha must be positive and iterations >= 1; got {alpha}, {iterations}"
                        ),
                    });
                }
                if n < 3 {
                    return Err(DiscoverError::TooFewSamples {
                        what: "total-variation differentiation",
                        needed: 3,
                        got: n,
                    });
                }
                let x: Vec<f64> = (0..n).map(get).collect();
                let d = tv_derivative(t, &x, alpha, iterations);
                for (i, v) in d.into_iter().enumerate() {
                    out[i * stride + c] = v;
                }
            }
            Derivative::Spectral { order } => {
                let h = check_uniform("spectral differentiation", t)?;
                if n < 4 {
                    return Err(DiscoverError::TooFewSamples {
                        what: "spectral differentiation",
                        needed: 4,
                        got: n,
                    });
                }
                let x: Vec<f64> = (0..n).map(get).collect();
                let d = spectral_derivative(&x, h * n as f64, order);
                for (i, v) in d.into_iter().enumerate() {
                    out[i * stride + c] = v;
                }
            }
        }
        Ok(())
    }
}

/// Stencil size `order + accuracy − 1` rounded up to odd, checked against `n` samples.
fn fd_stencil(order: usize, accuracy: usize, n: usize) -> Result<usize, DiscoverError> {
    if order == 0 || accuracy == 0 {
        return Err(DiscoverError::InvalidOption {
            name: "finite-difference order/accuracy",
            reason: "must be at least 1".into(),
        });
    }
    let mut s = order + accuracy - 1;
    if s.is_multiple_of(2) {
        s += 1;
    }
    if n < s {
        return Err(DiscoverError::TooFewSamples {
            what: "finite differences",
            needed: s,
            got: n,
        });
    }
    Ok(s)
}

/// Checks sample times: at least 2, finite, strictly increasing, matching the data length.
pub(crate) fn check_samples(t: &[f64], n: usize) -> Result<(), DiscoverError> {
    if t.len() != n {
        return Err(DiscoverError::ShapeMismatch {
            what: "times vs data rows",
            expected: format!("{} rows", t.len()),
            found: format!("{n} rows"),
        });
    }
    if t.len() < 2 {
        return Err(DiscoverError::TooFewSamples {
            what: "differentiation",
            needed: 2,
            got: t.len(),
        });
    }
    check_finite("times", t, 1)?;
    for (i, w) in t.windows(2).enumerate() {
        if w[1] <= w[0] {
            return Err(DiscoverError::NonIncreasingTime {
                index: i + 1,
                t_prev: w[0],
                t_next: w[1],
            });
        }
    }
    Ok(())
}

/// Returns the common spacing of `t` or a typed error (relative tolerance 1e-6).
pub(crate) fn check_uniform(method: &'static str, t: &[f64]) -> Result<f64, DiscoverError> {
    let h0 = t[1] - t[0];
    for (i, w) in t.windows(2).enumerate() {
        let h = w[1] - w[0];
        if (h - h0).abs() > 1e-6 * h0.abs() {
            return Err(DiscoverError::NonUniformSpacing {
                method,
                index: i,
                h0,
                h_i: h,
            });
        }
    }
    Ok(h0)
}

/// Fornberg's algorithm: weights `c_k` with `f^(m)(z) ≈ Σ c_k f(x_k)`.
pub fn fornberg_weights(z: f64, x: &[f64], m: usize, out: &mut [f64]) {
    let mut c = Vec::new();
    fornberg_weights_with(z, x, m, out, &mut c);
}

/// [`fornberg_weights`] with a caller-owned scratch buffer (no allocation once it is large enough).
fn fornberg_weights_with(z: f64, x: &[f64], m: usize, out: &mut [f64], c: &mut Vec<f64>) {
    let n = x.len();
    // c[j][k], j = node, k = derivative order 0..=m
    c.clear();
    c.resize(n * (m + 1), 0.0);
    let idx = |j: usize, k: usize| j * (m + 1) + k;
    let mut c1 = 1.0;
    let mut c4 = x[0] - z;
    c[idx(0, 0)] = 1.0;
    for i in 1..n {
        let mn = i.min(m);
        let mut c2 = 1.0;
        let c5 = c4;
        c4 = x[i] - z;
        for j in 0..i {
            let c3 = x[i] - x[j];
            c2 *= c3;
            if j == i - 1 {
                for k in (1..=mn).rev() {
                    c[idx(i, k)] =
                        c1 * (k as f64 * c[idx(i - 1, k - 1)] - c5 * c[idx(i - 1, k)]) / c2;
                }
                c[idx(i, 0)] = -c1 * c5 * c[idx(i - 1, 0)] / c2;
            }
            for k in (1..=mn).rev() {
                c[idx(j, k)] = (c4 * c[idx(j, k)] - k as f64 * c[idx(j, k - 1)]) / c3;
            }
            c[idx(j, 0)] = c4 * c[idx(j, 0)] / c3;
        }
        c1 = c2;
    }
    for (j, o) in out.iter_mut().enumerate().take(n) {
        *o = c[idx(j, m)];
    }
}

/// Finite-difference weights for every sample point. On uniform samples (every spacing within
/// `1e-9` relative of the mean) the interior points share one set of weights, computed on the
/// exact offsets `k h`; only the `s/2` points at each end, whose stencils are one-sided, get their
/// own. Otherwise every point gets its own weights (Fornberg on its actual neighbours).
struct StencilWeights {
    s: usize,
    n: usize,
    /// `Some(w)`: uniform samples, `w` (length `s`) the centred interior weights; `edge` then
    /// holds the `s/2` first and `s/2` last rows.
    interior: Option<Vec<f64>>,
    /// Non-uniform: `n × s` weights, row `i` for the stencil starting at `start(i)`; uniform:
    /// `2 (s/2) × s` edge weights.
    w: Vec<f64>,
}

impl StencilWeights {
    fn new(t: &[f64], s: usize, m: usize) -> Self {
        let n = t.len();
        let half = s / 2;
        let hbar = (t[n - 1] - t[0]) / (n - 1) as f64;
        let uniform = n > 2 * half
            && t.windows(2)
                .all(|w| ((w[1] - w[0]) - hbar).abs() <= 1e-9 * hbar.abs());
        let mut scratch = Vec::with_capacity(s * (m + 1));
        if uniform {
            let nodes: Vec<f64> = (0..s).map(|k| (k as f64 - half as f64) * hbar).collect();
            let mut interior = vec![0.0; s];
            fornberg_weights_with(0.0, &nodes, m, &mut interior, &mut scratch);
            let mut w = vec![0.0; 2 * half * s];
            for (r, i) in (0..half).chain(n - half..n).enumerate() {
                let start = Self::start(i, n, s);
                fornberg_weights_with(
                    t[i],
                    &t[start..start + s],
                    m,
                    &mut w[r * s..(r + 1) * s],
                    &mut scratch,
                );
            }
            return Self {
                s,
                n,
                interior: Some(interior),
                w,
            };
        }
        let mut w = vec![0.0; n * s];
        for i in 0..n {
            let start = Self::start(i, n, s);
            fornberg_weights_with(
                t[i],
                &t[start..start + s],
                m,
                &mut w[i * s..(i + 1) * s],
                &mut scratch,
            );
        }
        Self {
            s,
            n,
            interior: None,
            w,
        }
    }
    fn start(i: usize, n: usize, s: usize) -> usize {
        i.saturating_sub(s / 2).min(n - s)
    }
    fn at(&self, i: usize) -> (usize, &[f64]) {
        let (s, n) = (self.s, self.n);
        let half = s / 2;
        let row = match &self.interior {
            None => i,
            Some(w) if i >= half && i < n - half => return (i - half, w),
            Some(_) if i < half => i,
            Some(_) => i - (n - half) + half,
        };
        (Self::start(i, n, s), &self.w[row * s..(row + 1) * s])
    }
    /// `out[i·stride + c] = Σ_k w_ik y[(start_i + k)·stride + c]` for every sample `i`.
    fn apply(&self, y: &[f64], stride: usize, c: usize, out: &mut [f64]) {
        let (s, n) = (self.s, self.n);
        let half = s / 2;
        let edge = |i: usize, out: &mut [f64]| {
            let (start, w) = self.at(i);
            out[i * stride + c] = w
                .iter()
                .enumerate()
                .map(|(k, w)| w * y[(start + k) * stride + c])
                .sum();
        };
        match &self.interior {
            None => (0..n).for_each(|i| edge(i, out)),
            Some(w) => {
                (0..half).chain(n - half..n).for_each(|i| edge(i, out));
                // the hot loop: one fixed stencil sliding over the interior
                for i in half..n - half {
                    let base = (i - half) * stride + c;
                    let mut acc = 0.0;
                    for (k, wk) in w.iter().enumerate() {
                        acc += wk * y[base + k * stride];
                    }
                    out[i * stride + c] = acc;
                }
            }
        }
    }
}

/// Savitzky–Golay derivative weights at `z` for the window `tw`: the slope at `z` of the
/// least-squares polynomial of degree `p`, as weights on the window's samples.
fn savgol_weights(tw: &[f64], z: f64, p: usize, out: &mut [f64]) -> Result<(), DiscoverError> {
    let w = tw.len();
    let scale = (tw[w - 1] - tw[0]) / 2.0;
    let q = p + 1;
    // normal equations (VᵀV) a = Vᵀ f with V_jk = s_j^k, s = (t − z)/scale; the weights of the
    // slope are row 1 of (VᵀV)⁻¹ Vᵀ, divided by `scale`.
    let mut g = vec![0.0; q * q];
    for &tj in tw {
        let s = (tj - z) / scale;
        let mut pk = 1.0;
        let mut pows = [0.0; 16];
        for pw in pows.iter_mut().take(q) {
            *pw = pk;
            pk *= s;
        }
        for a in 0..q {
            for b in 0..q {
                g[a * q + b] += pows[a] * pows[b];
            }
        }
    }
    // solve (VᵀV) r = e_1 (symmetric): r is row 1 of its inverse
    let mut rhs = vec![0.0; q];
    rhs[1] = 1.0;
    let r = solve_small(&mut g, &mut rhs, q).ok_or(DiscoverError::SolveFailed {
        equation: 0,
        reason: "singular Savitzky-Golay window (repeated times?)".into(),
    })?;
    for (o, &tj) in out.iter_mut().zip(tw) {
        let s = (tj - z) / scale;
        let mut pk = 1.0;
        let mut acc = 0.0;
        for rk in r.iter().take(q) {
            acc += rk * pk;
            pk *= s;
        }
        *o = acc / scale;
    }
    Ok(())
}

/// Gaussian elimination with partial pivoting on a tiny dense system (Savitzky–Golay windows,
/// at most 16 unknowns); `None` if singular.
fn solve_small(a: &mut [f64], b: &mut [f64], n: usize) -> Option<Vec<f64>> {
    if n > 16 {
        return None;
    }
    for col in 0..n {
        let piv =
            (col..n).max_by(|&i, &j| a[i * n + col].abs().total_cmp(&a[j * n + col].abs()))?;
        if a[piv * n + col].abs() < 1e-300 {
            return None;
        }
        if piv != col {
            for k in 0..n {
                a.swap(piv * n + k, col * n + k);
            }
            b.swap(piv, col);
        }
        for i in col + 1..n {
            let f = a[i * n + col] / a[col * n + col];
            for k in col..n {
                a[i * n + k] -= f * a[col * n + k];
            }
            b[i] -= f * b[col];
        }
    }
    let mut x = vec![0.0; n];
    for i in (0..n).rev() {
        let s: f64 = (i + 1..n).map(|k| a[i * n + k] * x[k]).sum();
        x[i] = (b[i] - s) / a[i * n + i];
    }
    Some(x)
}

/// Spectral derivative of order `m` of periodic samples `x` over a period `period`.
pub fn spectral_derivative(x: &[f64], period: f64, m: usize) -> Vec<f64> {
    let n = x.len();
    let mut planner = RealFftPlanner::<f64>::new();
    let fwd: Arc<dyn realfft::RealToComplex<f64>> = planner.plan_fft_forward(n);
    let inv: Arc<dyn realfft::ComplexToReal<f64>> = planner.plan_fft_inverse(n);
    let mut input = x.to_vec();
    let mut spec = fwd.make_output_vec();
    fwd.process(&mut input, &mut spec)
        .expect("buffer lengths come from the plan");
    let k0 = 2.0 * std::f64::consts::PI / period;
    for (k, c) in spec.iter_mut().enumerate() {
        // the Nyquist mode of an even length has no sign: drop it for odd derivatives
        if n.is_multiple_of(2) && k == n / 2 && m % 2 == 1 {
            *c = Complex::new(0.0, 0.0);
            continue;
        }
        let ik = Complex::new(0.0, k as f64 * k0);
        let mut f = Complex::new(1.0, 0.0);
        for _ in 0..m {
            f *= ik;
        }
        *c *= f / n as f64;
    }
    // realfft requires real DC and Nyquist bins
    spec[0].im = 0.0;
    if n.is_multiple_of(2) {
        spec[n / 2].im = 0.0;
    }
    let mut out = inv.make_output_vec();
    inv.process(&mut spec, &mut out)
        .expect("buffer lengths come from the plan");
    out
}

/// Chartrand's TV-regularised derivative by lagged diffusivity; each Newton-like step solves
/// `(Aᵀ A + α L(u)) s = g` with Jacobi-preconditioned conjugate gradients, applying `A`
/// (cumulative trapezoid) and `Aᵀ` in `O(n)`.
fn tv_derivative(t: &[f64], x: &[f64], alpha: f64, iterations: usize) -> Vec<f64> {
    let n = x.len();
    let span = t[n - 1] - t[0];
    let mean = x.iter().sum::<f64>() / n as f64;
    let sd = (x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n as f64)
        .sqrt()
        .max(1e-300);
    let ts: Vec<f64> = t.iter().map(|v| (v - t[0]) / span).collect();
    let f: Vec<f64> = x.iter().map(|v| (v - x[0]) / sd).collect();
    let h: Vec<f64> = ts.windows(2).map(|w| w[1] - w[0]).collect();
    let apply_a = |u: &[f64], out: &mut [f64]| {
        out[0] = 0.0;
        for k in 0..n - 1 {
            out[k + 1] = out[k] + 0.5 * h[k] * (u[k] + u[k + 1]);
        }
    };
    let apply_at = |r: &[f64], out: &mut [f64]| {
        // (Aᵀ r)_j = Σ_{i>j} r_i (h_{j-1}[j>0] + h_j[j<n-1]) / 2 ... via suffix sums
        let mut suffix = 0.0; // Σ_{i>j} r_i
        for j in (0..n).rev() {
            let left = if j > 0 { h[j - 1] } else { 0.0 };
            let right = if j < n - 1 { h[j] } else { 0.0 };
            // rows i > j use u_j with weight (h_{j-1} + h_j)/2 for i > j (when j ≥ 1); row i = j
            // uses it with h_{j-1}/2.
            out[j] = 0.5 * right * suffix + 0.5 * left * (r[j] + suffix);
            suffix += r[j];
        }
    };
    // initial guess: centred differences of the scaled data
    let mut u = vec![0.0; n];
    let w = StencilWeights::new(&ts, 3, 1);
    for (i, ui) in u.iter_mut().enumerate() {
        let (s, wi) = w.at(i);
        *ui = wi.iter().enumerate().map(|(k, w)| w * f[s + k]).sum();
    }
    let ata_diag: Vec<f64> = (0..n)
        .map(|j| {
            let left = if j > 0 { h[j - 1] } else { 0.0 };
            let right = if j < n - 1 { h[j] } else { 0.0 };
            let own = 0.25 * left * left;
            let below = 0.25 * (left + right) * (left + right) * (n - 1 - j) as f64;
            own + below
        })
        .collect();
    let eps = 1e-8;
    let mut au = vec![0.0; n];
    let mut tmp = vec![0.0; n];
    let mut g = vec![0.0; n];
    let mut e = vec![0.0; n - 1];
    let mut lu = vec![0.0; n];
    for _ in 0..iterations {
        for k in 0..n - 1 {
            let d = u[k + 1] - u[k];
            e[k] = 1.0 / (d * d + eps).sqrt();
        }
        let apply_l = |v: &[f64], out: &mut [f64]| {
            out.iter_mut().for_each(|o| *o = 0.0);
            for k in 0..n - 1 {
                let flux = e[k] * (v[k + 1] - v[k]);
                out[k] -= flux;
                out[k + 1] += flux;
            }
        };
        apply_a(&u, &mut au);
        for i in 0..n {
            tmp[i] = au[i] - f[i];
        }
        apply_at(&tmp, &mut g);
        apply_l(&u, &mut lu);
        for i in 0..n {
            g[i] += alpha * lu[i];
        }
        let diag: Vec<f64> = (0..n)
            .map(|j| {
                let l = if j > 0 { e[j - 1] } else { 0.0 } + if j < n - 1 { e[j] } else { 0.0 };
                ata_diag[j] + alpha * l
            })
            .collect();
        let apply_h = |v: &[f64], out: &mut [f64], s1: &mut [f64], s2: &mut [f64]| {
            apply_a(v, s1);
            apply_at(s1, out);
            apply_l(v, s2);
            for i in 0..n {
                out[i] += alpha * s2[i];
            }
        };
        let s = pcg(&apply_h, &g, &diag, 1e-6, 400);
        for i in 0..n {
            u[i] -= s[i];
        }
    }
    u.iter().map(|v| v * sd / span).collect()
}

/// `H v` into `out`, with two scratch vectors.
type MatVec<'a> = dyn Fn(&[f64], &mut [f64], &mut [f64], &mut [f64]) + 'a;

/// Preconditioned conjugate gradients for `H s = b` with a Jacobi preconditioner.
fn pcg(apply: &MatVec<'_>, b: &[f64], diag: &[f64], rtol: f64, max_iter: usize) -> Vec<f64> {
    let n = b.len();
    let mut x = vec![0.0; n];
    let mut r = b.to_vec();
    let mut z: Vec<f64> = r.iter().zip(diag).map(|(r, d)| r / d).collect();
    let mut p = z.clone();
    let mut hp = vec![0.0; n];
    let (mut s1, mut s2) = (vec![0.0; n], vec![0.0; n]);
    let mut rz: f64 = r.iter().zip(&z).map(|(a, b)| a * b).sum();
    let b_norm = b.iter().map(|v| v * v).sum::<f64>().sqrt().max(1e-300);
    for _ in 0..max_iter {
        apply(&p, &mut hp, &mut s1, &mut s2);
        let php: f64 = p.iter().zip(&hp).map(|(a, b)| a * b).sum();
        if php <= 0.0 || !php.is_finite() {
            break;
        }
        let a = rz / php;
        for i in 0..n {
            x[i] += a * p[i];
            r[i] -= a * hp[i];
        }
        let rn = r.iter().map(|v| v * v).sum::<f64>().sqrt();
        if rn <= rtol * b_norm {
            break;
        }
        for i in 0..n {
            z[i] = r[i] / diag[i];
        }
        let rz_new: f64 = r.iter().zip(&z).map(|(a, b)| a * b).sum();
        let beta = rz_new / rz;
        rz = rz_new;
        for i in 0..n {
            p[i] = z[i] + beta * p[i];
        }
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uneven(n: usize) -> Vec<f64> {
        (0..n)
            .map(|i| {
                let s = i as f64 / (n - 1) as f64;
                s + 0.3 * s * (1.0 - s) * (7.0 * s).sin() / 7.0
            })
            .collect()
    }

    #[test]
    fn fd_observed_order_on_uneven_samples() {
        // error of d/dt sin(3t) with accuracy 2 and 4 must fall like h^2 and h^4
        for (acc, expected) in [(2usize, 2.0), (4, 4.0)] {
            let mut errs = Vec::new();
            let mut hs = Vec::new();
            for n in [41usize, 81, 161] {
                let t = uneven(n);
                let x: Vec<f64> = t.iter().map(|t| (3.0 * t).sin()).collect();
                let d = Derivative::fd(acc).differentiate_1d(&t, &x).unwrap();
                let e = t
                    .iter()
                    .zip(&d)
                    .map(|(t, d)| (d - 3.0 * (3.0 * t).cos()).abs())
                    .fold(0.0, f64::max);
                errs.push(e);
                hs.push(1.0 / (n - 1) as f64);
            }
            let p = ai4de_testkit::fit_order(&hs, &errs);
            assert!(p > expected - 0.3, "accuracy {acc}: observed order {p}");
        }
    }

    #[test]
    fn fd_second_derivative() {
        let t: Vec<f64> = (0..50).map(|i| i as f64 * 0.1).collect();
        let x: Vec<f64> = t.iter().map(|t| t * t * t).collect();
        let d = Derivative::FiniteDifference {
            order: 2,
            accuracy: 2,
        }
        .differentiate_1d(&t, &x)
        .unwrap();
        for (t, d) in t.iter().zip(&d).skip(1).take(47) {
            assert!((d - 6.0 * t).abs() < 1e-9, "{d} vs {}", 6.0 * t);
        }
    }

    #[test]
    fn savgol_exact_on_polynomials_of_its_degree() {
        let t = uneven(60);
        let x: Vec<f64> = t.iter().map(|t| 1.0 + 2.0 * t - t * t * t).collect();
        let d = Derivative::SavitzkyGolay {
            window: 9,
            degree: 3,
        }
        .differentiate_1d(&t, &x)
        .unwrap();
        for (t, d) in t.iter().zip(&d) {
            assert!((d - (2.0 - 3.0 * t * t)).abs() < 1e-9);
        }
    }

    #[test]
    fn spectral_exact_on_trig() {
        let n = 64;
        let l = 2.0 * std::f64::consts::PI;
        let t: Vec<f64> = (0..n).map(|i| i as f64 * l / n as f64).collect();
        let x: Vec<f64> = t
            .iter()
            .map(|t| (3.0 * t).sin() + (5.0 * t).cos())
            .collect();
        let d = Derivative::Spectral { order: 1 }
            .differentiate_1d(&t, &x)
            .unwrap();
        let d2 = Derivative::Spectral { order: 2 }
            .differentiate_1d(&t, &x)
            .unwrap();
        for i in 0..n {
            let tt = t[i];
            assert!((d[i] - (3.0 * (3.0 * tt).cos() - 5.0 * (5.0 * tt).sin())).abs() < 1e-11);
            assert!((d2[i] + 9.0 * (3.0 * tt).sin() + 25.0 * (5.0 * tt).cos()).abs() < 1e-10);
        }
    }

    #[test]
    fn tv_beats_fd_on_noisy_data() {
        use rand::SeedableRng;
        use rand_distr::{Distribution, Normal};
        let n = 400;
        let t: Vec<f64> = (0..n).map(|i| i as f64 / (n - 1) as f64 * 4.0).collect();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let noise = Normal::new(0.0, 0.02).unwrap();
        let x: Vec<f64> = t.iter().map(|t| t.sin() + noise.sample(&mut rng)).collect();
        let exact: Vec<f64> = t.iter().map(|t| t.cos()).collect();
        let rms = |d: &[f64]| {
            (d.iter()
                .zip(&exact)
                .map(|(a, b)| (a - b).powi(2))
                .sum::<f64>()
                / n as f64)
                .sqrt()
        };
        let fd = Derivative::fd(2).differentiate_1d(&t, &x).unwrap();
        let tv = Derivative::TotalVariation {
            alpha: 1e-3,
            iterations: 20,
        }
        .differentiate_1d(&t, &x)
        .unwrap();
        assert!(rms(&tv) < 0.3 * rms(&fd), "tv {} fd {}", rms(&tv), rms(&fd));
        assert!(rms(&tv) < 0.15, "tv {}", rms(&tv));
    }

    #[test]
    fn bad_inputs_are_typed_errors() {
        let t = [0.0, 1.0, 1.0, 2.0];
        let x = [0.0; 4];
        assert!(matches!(
            Derivative::fd(2).differentiate_1d(&t, &x),
            Err(DiscoverError::NonIncreasingTime { index: 2, .. })
        ));
        let t = [0.0, 1.0, 2.0, 3.0];
        let x = [0.0, f64::NAN, 0.0, 0.0];
        assert!(matches!(
            Derivative::fd(2).differentiate_1d(&t, &x),
            Err(DiscoverError::NonFinite { row: 1, .. })
        ));
        assert!(matches!(
            Derivative::fd(2).differentiate_1d(&t[..2], &[0.0, 1.0]),
            Err(DiscoverError::TooFewSamples { .. })
        ));
        assert!(matches!(
            Derivative::Spectral { order: 1 }
                .differentiate_1d(&[0.0, 1.0, 3.0, 4.0, 5.0], &[0.0; 5]),
            Err(DiscoverError::NonUniformSpacing { .. })
        ));
    }
}
