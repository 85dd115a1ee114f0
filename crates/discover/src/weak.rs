//! The weak (integral) form of SINDy: no pointwise derivative of noisy data is ever taken.
//!
//! **ODEs** (Messenger & Bortz, "Weak SINDy: Galerkin-based data-driven model selection",
//! Multiscale Model. Simul. 19 (2021) 1474–1497). For test functions `φ_k` supported inside the
//! time interval, `∫ φ_k ẋ dt = −∫ φ_k' x dt`, so `ẋ = Θ(x) ξ` becomes the linear system
//! `G ξ = b` with `G_kj = ∫ φ_k θ_j(x) dt` and `b_k = −∫ φ_k' x dt`. The test functions are
//! the bumps `φ(t) = (1 − s²)^p`, `s = (t − c)/r`, on `K` equally spaced, overlapping
//! subintervals; integrals use the trapezoidal rule on the samples (uneven samples allowed),
//! which is highly accurate because `φ` and its first `p − 1` derivatives vanish at both ends.
//!
//! **PDEs** (Messenger & Bortz, "Weak SINDy for partial differential equations", J. Comput.
//! Phys. 443 (2021) 110525; PySINDy's `WeakPDELibrary`). For `u_t = Σ c_{m,d} ∂_x^m (u^d)`,
//! with space-time test functions `φ(x, t) = ψ_x(x) ψ_t(t)`, integration by parts gives
//! `−∫∫ φ_t u = Σ c_{m,d} (−1)^m ∫∫ (∂_x^m φ) u^d`. Library terms are named `(u^d)_x...`,
//! e.g. Burgers' `u u_x` appears as `(u^2)_x` with half its coefficient.

use crate::error::DiscoverError;
use crate::library::Library;

/// Options of the weak form for ODEs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WeakForm {
    /// Number of test functions `K`.
    pub test_functions: usize,
    /// Support width of each test function as a fraction of the time span.
    pub width: f64,
    /// Exponent `p` of the bump `(1 − s²)^p`.
    pub power: u32,
}

impl Default for WeakForm {
    fn default() -> Self {
        Self {
            test_functions: 200,
            width: 0.02,
            power: 4,
        }
    }
}

/// A bump `(1 − s²)^p` as polynomial coefficients in `s` (ascending powers).
fn bump_poly(p: u32) -> Vec<f64> {
    // (1 − s²)^p = Σ_k C(p,k) (−1)^k s^{2k}
    let mut c = vec![0.0; 2 * p as usize + 1];
    let mut binom = 1.0;
    for k in 0..=p as usize {
        c[2 * k] = if k % 2 == 0 { binom } else { -binom };
        binom = binom * (p as f64 - k as f64) / (k as f64 + 1.0);
    }
    c
}

fn poly_derivative(c: &[f64]) -> Vec<f64> {
    c.iter()
        .enumerate()
        .skip(1)
        .map(|(k, v)| k as f64 * v)
        .collect()
}

fn poly_eval(c: &[f64], s: f64) -> f64 {
    c.iter().rev().fold(0.0, |acc, v| acc * s + v)
}

/// Trapezoid weights `w_i` of the samples `t[a..=b]` (global indices).
fn trapezoid_weights(t: &[f64], a: usize, b: usize, out: &mut Vec<f64>) {
    out.clear();
    for i in a..=b {
        let left = if i > a { t[i] - t[i - 1] } else { 0.0 };
        let right = if i < b { t[i + 1] - t[i] } else { 0.0 };
        out.push(0.5 * (left + right));
    }
}

/// Index ranges `[a, b]` of `k` equally spaced supports of width about `width·span` inside `t`,
/// with the centre and half-width of each, snapped to the samples.
fn supports(t: &[f64], k: usize, width: f64) -> Vec<(usize, usize, f64, f64)> {
    let n = t.len();
    let (t0, t1) = (t[0], t[n - 1]);
    let r = 0.5 * width * (t1 - t0);
    let mut out = Vec::with_capacity(k);
    for i in 0..k {
        let c = t0
            + r
            + (t1 - t0 - 2.0 * r)
                * if k > 1 {
                    i as f64 / (k - 1) as f64
                } else {
                    0.5
                };
        let a = t.partition_point(|&v| v < c - r);
        let b = t.partition_point(|&v| v <= c + r).saturating_sub(1);
        if b > a + 2 {
            // end the support exactly on samples so that φ vanishes at both quadrature ends
            out.push((a, b, 0.5 * (t[a] + t[b]), 0.5 * (t[b] - t[a])));
        }
    }
    out
}

/// The weak-form system of an ODE: `G` (`K × p`, row-major) and `b` (`K × dim`, row-major).
pub struct WeakSystem {
    pub rows: usize,
    pub g: Vec<f64>,
    pub b: Vec<f64>,
}

impl WeakForm {
    fn validate(&self, n: usize) -> Result<(), DiscoverError> {
        if !(self.width > 0.0 && self.width <= 1.0) || self.power < 2 || self.test_functions < 2 {
            return Err(DiscoverError::InvalidOption {
                name: "weak form",
                reason: format!(
                    "width must be in (0, 1], power >= 2 and at least 2 test functions; got {}, {}, {}",
                    self.width, self.power, self.test_functions
                ),
            });
        }
        let per_support = (self.width * n as f64) as usize;
        if per_support < 5 {
            return Err(DiscoverError::TooFewSamples {
                what: "weak-form test function support (samples per support)",
                needed: 5,
                got: per_support,
            });
        }
        Ok(())
    }

    /// Builds `G ξ = b` for samples `y` (`t.len() × dim`, row-major) and a library over the
    /// state variables.
    pub fn system(
        &self,
        t: &[f64],
        y: &[f64],
        dim: usize,
        library: &Library,
    ) -> Result<WeakSystem, DiscoverError> {
        let n = t.len();
        self.validate(n)?;
        let p = library.len();
        let phi = bump_poly(self.power);
        let dphi = poly_derivative(&phi);
        let sup = supports(t, self.test_functions, self.width);
        let mut g = vec![0.0; sup.len() * p];
        let mut b = vec![0.0; sup.len() * dim];
        let mut theta_row = vec![0.0; p];
        let mut w = Vec::new();
        for (k, &(a, bb, c, r)) in sup.iter().enumerate() {
            trapezoid_weights(t, a, bb, &mut w);
            for (q, i) in (a..=bb).enumerate() {
                let s = ((t[i] - c) / r).clamp(-1.0, 1.0);
                let ph = poly_eval(&phi, s);
                let dph = poly_eval(&dphi, s) / r;
                let row = &y[i * dim..(i + 1) * dim];
                library.eval_row(row, &mut theta_row);
                for j in 0..p {
                    g[k * p + j] += w[q] * ph * theta_row[j];
                }
                for d in 0..dim {
                    b[k * dim + d] -= w[q] * dph * row[d];
                }
            }
        }
        if let Some(k) = g.iter().chain(&b).position(|v| !v.is_finite()) {
            return Err(DiscoverError::NonFiniteResult {
                what: "weak-form integral",
                index: k,
            });
        }
        Ok(WeakSystem {
            rows: sup.len(),
            g,
            b,
        })
    }
}

/// Options of the weak form for 1-D PDEs `u_t = Σ c_{m,d} ∂_x^m(u^d)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WeakPde {
    /// Test functions per axis (`nx × nt` in all).
    pub test_functions_x: usize,
    pub test_functions_t: usize,
    /// Support widths as fractions of the spatial extent and the time span.
    pub width_x: f64,
    pub width_t: f64,
    pub power: u32,
    /// Highest spatial derivative order `M` and polynomial degree `D` of the library.
    pub max_derivative: usize,
    pub degree: usize,
}

impl Default for WeakPde {
    fn default() -> Self {
        Self {
            test_functions_x: 16,
            test_functions_t: 12,
            width_x: 0.25,
            width_t: 0.3,
            power: 6,
            max_derivative: 4,
            degree: 3,
        }
    }
}

impl WeakPde {
    /// Term names: `(u^d)` for `m = 0` (with `1`), `(u^d)_x`, `(u^d)_xx`, ... Degree-1 terms are
    /// written `u`, `u_x`, `u_xx`.
    pub fn term_names(&self) -> Vec<String> {
        let mut out = Vec::new();
        for m in 0..=self.max_derivative {
            let lo = if m == 0 { 0 } else { 1 };
            for d in lo..=self.degree {
                let x = "x".repeat(m);
                out.push(match (m, d) {
                    (_, 0) => "1".to_string(),
                    (0, 1) => "u".to_string(),
                    (0, d) => format!("u^{d}"),
                    (_, 1) => format!("u_{x}"),
                    (_, d) => format!("(u^{d})_{x}"),
                });
            }
        }
        out
    }

    /// Builds `G c = b` from `u` sampled on the uniform grid `x` × `t` (row-major `t.len() ×
    /// x.len()`). Returns `(rows, G row-major, b)`.
    pub fn system(
        &self,
        t: &[f64],
        x: &[f64],
        u: &[f64],
    ) -> Result<(usize, Vec<f64>, Vec<f64>), DiscoverError> {
        let (nt, nx) = (t.len(), x.len());
        if u.len() != nt * nx {
            return Err(DiscoverError::ShapeMismatch {
                what: "field u(t, x)",
                expected: format!("{nt} x {nx} values"),
                found: format!("{} values", u.len()),
            });
        }
        if self.power as usize <= self.max_derivative || self.power < 2 {
            return Err(DiscoverError::InvalidOption {
                name: "weak PDE power",
                reason: format!(
                    "the bump power ({}) must exceed the highest derivative order ({})",
                    self.power, self.max_derivative
                ),
            });
        }
        let phi = bump_poly(self.power);
        let mut dphi = vec![phi.clone()];
        for m in 0..self.max_derivative.max(1) {
            let next = poly_derivative(&dphi[m]);
            dphi.push(next);
        }
        let sx = supports(x, self.test_functions_x, self.width_x);
        let st = supports(t, self.test_functions_t, self.width_t);
        if sx.is_empty() || st.is_empty() {
            return Err(DiscoverError::TooFewSamples {
                what: "weak PDE test function supports",
                needed: 4,
                got: nx.min(nt),
            });
        }
        let names = self.term_names();
        let p = names.len();
        let rows = sx.len() * st.len();
        let mut g = vec![0.0; rows * p];
        let mut b = vec![0.0; rows];
        let (mut wx, mut wt) = (Vec::new(), Vec::new());
        let mut row = 0;
        let mut powers = vec![0.0; self.degree + 1];
        for &(ta, tb, tc, tr) in &st {
            trapezoid_weights(t, ta, tb, &mut wt);
            for &(xa, xb, xc, xr) in &sx {
                trapezoid_weights(x, xa, xb, &mut wx);
                for (qi, i) in (ta..=tb).enumerate() {
                    let s_t = ((t[i] - tc) / tr).clamp(-1.0, 1.0);
                    let pt = poly_eval(&phi, s_t);
                    let dpt = poly_eval(&dphi[1], s_t) / tr;
                    for (qj, jx) in (xa..=xb).enumerate() {
                        let w = wt[qi] * wx[qj];
                        let s_x = ((x[jx] - xc) / xr).clamp(-1.0, 1.0);
                        let v = u[i * nx + jx];
                        powers[0] = 1.0;
                        for d in 1..=self.degree {
                            powers[d] = powers[d - 1] * v;
                        }
                        b[row] -= w * dpt * poly_eval(&phi, s_x) * v;
                        let mut col = 0;
                        for (m, dphi_m) in dphi.iter().enumerate().take(self.max_derivative + 1) {
                            let dm = poly_eval(dphi_m, s_x) / xr.powi(m as i32);
                            let sign = if m % 2 == 0 { 1.0 } else { -1.0 };
                            let lo = if m == 0 { 0 } else { 1 };
                            for pw in powers.iter().take(self.degree + 1).skip(lo) {
                                g[row * p + col] += sign * w * pt * dm * pw;
                                col += 1;
                            }
                        }
                    }
                }
                row += 1;
            }
        }
        if let Some(k) = g.iter().chain(&b).position(|v| !v.is_finite()) {
            return Err(DiscoverError::NonFiniteResult {
                what: "weak-form integral",
                index: k,
            });
        }
        Ok((rows, g, b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bump_and_derivative() {
        let c = bump_poly(3);
        for s in [-0.7, 0.0, 0.4] {
            assert!((poly_eval(&c, s) - (1.0f64 - s * s).powi(3)).abs() < 1e-14);
            let d = poly_eval(&poly_derivative(&c), s);
            assert!((d - 3.0 * (1.0f64 - s * s).powi(2) * (-2.0 * s)).abs() < 1e-13);
        }
    }

    #[test]
    fn weak_identity_holds_for_exact_derivative() {
        // x' = x for x = e^t: the weak identity says b = G[:, "x"]
        let t: Vec<f64> = (0..401).map(|i| i as f64 * 0.005).collect();
        let y: Vec<f64> = t.iter().map(|t| t.exp()).collect();
        let lib = Library::polynomial(&["x"], 1, true, false).unwrap();
        let ws = WeakForm {
            test_functions: 20,
            width: 0.2,
            power: 4,
        }
        .system(&t, &y, 1, &lib)
        .unwrap();
        // trapezoid error ~ (h/r)^4 = (0.005/0.2)^4 ≈ 4e-7 for power 4 (φ' has 3 vanishing
        // derivatives at the ends)
        for k in 0..ws.rows {
            assert!(
                (ws.b[k] - ws.g[k]).abs() < 2e-6 * ws.g[k].abs(),
                "{} vs {}",
                ws.b[k],
                ws.g[k]
            );
        }
    }
}
