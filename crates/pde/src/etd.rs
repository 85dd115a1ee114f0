//! Exponential time differencing: ETDRK4 for stiff semi-linear systems `v' = L v + N(v, t)` with a
//! diagonal linear operator `L` (one complex number per mode, e.g. `−ν k²` or `i k³` per Fourier
//! mode, in 1-D or 2-D alike).
//!
//! The scheme is Cox & Matthews' fourth-order exponential Runge–Kutta method (S. M. Cox and
//! P. C. Matthews, *Exponential time differencing for stiff systems*, J. Comput. Phys. 176 (2002)),
//! with its coefficients — `φ`-functions of `hL` that suffer cancellation for small `|hL|` —
//! evaluated by the contour integrals of A.-K. Kassam and L. N. Trefethen, *Fourth-order
//! time-stepping for stiff PDEs*, SIAM J. Sci. Comput. 26 (2005): each coefficient `f(z)` is the
//! mean of `f` over `M` points of the circle of radius 1 around `z = hL` (the trapezoidal rule of
//! Cauchy's integral formula). Kassam–Trefethen use 32 points on the upper half circle and take
//! the real part (valid for real `L`); we use [`Etdrk4::DEFAULT_CONTOUR_POINTS`] = 64 points on
//! the full circle, which is the same for real `L` and also correct for complex `L` (dispersive
//! problems such as KdV).
//!
//! One step from `v_n` at `t_n` (`E = e^{hL}`, `E₂ = e^{hL/2}`, `N_x = N(x, ·)`):
//! ```text
//! a = E₂ v_n + Q N(v_n, t_n)
//! b = E₂ v_n + Q N(a, t_n + h/2)
//! c = E₂ a   + Q (2 N(b, t_n + h/2) − N(v_n, t_n))
//! v_{n+1} = E v_n + f₁ N(v_n) + 2 f₂ (N(a) + N(b)) + f₃ N(c, t_n + h)
//! ```
//! with `Q = h (e^{z/2} − 1)/z`, `f₁ = h (−4 − z + e^z (4 − 3z + z²))/z³`,
//! `f₂ = h (2 + z + e^z (z − 2))/z³`, `f₃ = h (−4 − 3z − z² + e^z (4 − z))/z³`, `z = hL`.
//!
//! ```
//! use ai4de_pde::etd::{Complex64, Etdrk4};
//! // v' = -v + v², v(0) = 0.5 (exact: v = 1 / (1 + e^t))
//! let lin = [Complex64::new(-1.0, 0.0)];
//! let mut etd = Etdrk4::new(&lin, 0.1).unwrap();
//! let mut v = [Complex64::new(0.5, 0.0)];
//! let mut t = 0.0;
//! for _ in 0..10 {
//!     etd.step(t, &mut v, &mut |_t, v: &[Complex64], n: &mut [Complex64]| n[0] = v[0] * v[0]);
//!     t += 0.1;
//! }
//! assert!((v[0].re - 1.0 / (1.0 + 1f64.exp())).abs() < 1e-7);
//! ```

pub use realfft::num_complex::Complex64;

use crate::PdeError;

/// The ETDRK4 coefficients for one step size and the stage buffers (allocated once).
#[derive(Debug, Clone)]
pub struct Etdrk4 {
    h: f64,
    e: Vec<Complex64>,
    e2: Vec<Complex64>,
    q: Vec<Complex64>,
    f1: Vec<Complex64>,
    f2: Vec<Complex64>,
    f3: Vec<Complex64>,
    nv: Vec<Complex64>,
    na: Vec<Complex64>,
    nb: Vec<Complex64>,
    nc: Vec<Complex64>,
    a: Vec<Complex64>,
    b: Vec<Complex64>,
    c: Vec<Complex64>,
}

/// The `φ`-type coefficients of ETDRK4 for `z = hL`, divided by `h`:
/// `(Q, f₁, f₂, f₃) / h` by the contour mean over `m` points (Kassam & Trefethen 2005, eq. (2.5)
/// and their MATLAB code `kursiv.m`).
pub fn etdrk4_coefficients(z: Complex64, m: usize) -> [Complex64; 4] {
    let mut acc = [Complex64::new(0.0, 0.0); 4];
    for j in 0..m {
        let theta = std::f64::consts::PI * (j as f64 + 0.5) / m as f64 * 2.0;
        let r = z + Complex64::from_polar(1.0, theta);
        let er = r.exp();
        let er2 = (r * 0.5).exp();
        let r2 = r * r;
        let r3 = r2 * r;
        acc[0] += (er2 - 1.0) / r;
        acc[1] += (-4.0 - r + er * (4.0 - 3.0 * r + r2)) / r3;
        acc[2] += (2.0 + r + er * (r - 2.0)) / r3;
        acc[3] += (-4.0 - 3.0 * r - r2 + er * (4.0 - r)) / r3;
    }
    let s = 1.0 / m as f64;
    acc.map(|a| a * s)
}

impl Etdrk4 {
    /// Order of the method (Cox & Matthews 2002; stiff order conditions are discussed by
    /// Hochbruck & Ostermann, Acta Numerica 19 (2010)).
    pub const ORDER: usize = 4;
    /// Points on the contour around each `hL` (full circle, radius 1).
    pub const DEFAULT_CONTOUR_POINTS: usize = 64;

    /// Coefficients for the diagonal operator `linear` (one entry per unknown) and step `h`.
    pub fn new(linear: &[Complex64], h: f64) -> Result<Self, PdeError> {
        Self::with_contour_points(linear, h, Self::DEFAULT_CONTOUR_POINTS)
    }

    /// As [`Etdrk4::new`] with `m` contour points (at least 8).
    pub fn with_contour_points(linear: &[Complex64], h: f64, m: usize) -> Result<Self, PdeError> {
        let bad = |what: &str, value: f64, reason: &str| PdeError::InvalidValue {
            pde: "etdrk4".into(),
            what: what.into(),
            value,
            reason: reason.into(),
        };
        if !(h.is_finite() && h > 0.0) {
            return Err(bad("h", h, "the step size must be finite and positive"));
        }
        if m < 8 {
            return Err(bad("contour points", m as f64, "need at least 8"));
        }
        let n = linear.len();
        let zero = Complex64::new(0.0, 0.0);
        let mut s = Self {
            h,
            e: Vec::with_capacity(n),
            e2: Vec::with_capacity(n),
            q: Vec::with_capacity(n),
            f1: Vec::with_capacity(n),
            f2: Vec::with_capacity(n),
            f3: Vec::with_capacity(n),
            nv: vec![zero; n],
            na: vec![zero; n],
            nb: vec![zero; n],
            nc: vec![zero; n],
            a: vec![zero; n],
            b: vec![zero; n],
            c: vec![zero; n],
        };
        let mut cache: std::collections::HashMap<(u64, u64), [Complex64; 6]> =
            std::collections::HashMap::new();
        for (i, &l) in linear.iter().enumerate() {
            if !(l.re.is_finite() && l.im.is_finite()) {
                return Err(bad(
                    &format!("linear operator entry {i}"),
                    if l.re.is_finite() { l.im } else { l.re },
                    "must be finite",
                ));
            }
            let z = l * h;
            // Equal entries (e.g. every 2-D Fourier mode on one shell |k|² = const) share their
            // coefficients: compute each distinct value's contour mean once.
            let key = (l.re.to_bits(), l.im.to_bits());
            let [q, f1, f2, f3, e, e2] = *cache.entry(key).or_insert_with(|| {
                let [q, f1, f2, f3] = etdrk4_coefficients(z, m);
                [q, f1, f2, f3, z.exp(), (z * 0.5).exp()]
            });
            for c in [q, f1, f2, f3, e, e2] {
                if !(c.re.is_finite() && c.im.is_finite()) {
                    return Err(bad(
                        &format!("h * linear operator entry {i}"),
                        z.re,
                        "exp(hL) overflows: the linear part grows too fast for this step",
                    ));
                }
            }
            s.e.push(e);
            s.e2.push(e2);
            s.q.push(q * h);
            s.f1.push(f1 * h);
            s.f2.push(f2 * h);
            s.f3.push(f3 * h);
        }
        Ok(s)
    }

    /// The step size.
    pub fn h(&self) -> f64 {
        self.h
    }

    /// Number of unknowns.
    pub fn len(&self) -> usize {
        self.e.len()
    }

    /// Whether there are no unknowns.
    pub fn is_empty(&self) -> bool {
        self.e.is_empty()
    }

    /// Advances `v` from `t` to `t + h`. `nonlinear(t, v, out)` must write `N(v, t)` into `out`
    /// (every entry); it is called four times.
    ///
    /// # Panics
    /// If `v.len()` differs from the length of the operator given at construction (a programming
    /// error, not user input).
    // Seven arrays are combined entry by entry: indexing reads clearer than a seven-way zip.
    #[allow(clippy::needless_range_loop)]
    pub fn step<F>(&mut self, t: f64, v: &mut [Complex64], nonlinear: &mut F)
    where
        F: FnMut(f64, &[Complex64], &mut [Complex64]),
    {
        assert_eq!(
            v.len(),
            self.len(),
            "ETDRK4 state length must match the operator"
        );
        let h = self.h;
        nonlinear(t, v, &mut self.nv);
        for i in 0..v.len() {
            self.a[i] = self.e2[i] * v[i] + self.q[i] * self.nv[i];
        }
        nonlinear(t + 0.5 * h, &self.a, &mut self.na);
        for i in 0..v.len() {
            self.b[i] = self.e2[i] * v[i] + self.q[i] * self.na[i];
        }
        nonlinear(t + 0.5 * h, &self.b, &mut self.nb);
        for i in 0..v.len() {
            self.c[i] = self.e2[i] * self.a[i] + self.q[i] * (2.0 * self.nb[i] - self.nv[i]);
        }
        nonlinear(t + h, &self.c, &mut self.nc);
        for i in 0..v.len() {
            v[i] = self.e[i] * v[i]
                + self.f1[i] * self.nv[i]
                + 2.0 * self.f2[i] * (self.na[i] + self.nb[i])
                + self.f3[i] * self.nc[i];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `v' = λ v + v²` has `1/v = (1/v₀ + 1/λ) e^{−λt} − 1/λ` (a Bernoulli equation).
    fn bernoulli(lambda: Complex64, v0: Complex64, t: f64) -> Complex64 {
        let w = (1.0 / v0 + 1.0 / lambda) * (-lambda * t).exp() - 1.0 / lambda;
        1.0 / w
    }

    fn solve(lambda: Complex64, v0: Complex64, t_end: f64, steps: usize) -> Complex64 {
        let h = t_end / steps as f64;
        let mut etd = Etdrk4::new(&[lambda], h).unwrap();
        let mut v = [v0];
        for k in 0..steps {
            etd.step(
                k as f64 * h,
                &mut v,
                &mut |_t, v: &[Complex64], n: &mut [Complex64]| n[0] = v[0] * v[0],
            );
        }
        v[0]
    }

    #[test]
    fn fourth_order_on_a_bernoulli_equation_real_and_complex_lambda() {
        for lambda in [Complex64::new(-2.0, 0.0), Complex64::new(-1.0, 3.0)] {
            let v0 = Complex64::new(0.4, 0.1);
            let exact = bernoulli(lambda, v0, 2.0);
            let errs: Vec<f64> = [10, 20, 40]
                .iter()
                .map(|&s| (solve(lambda, v0, 2.0, s) - exact).norm())
                .collect();
            let p1 = (errs[0] / errs[1]).log2();
            let p2 = (errs[1] / errs[2]).log2();
            assert!(p1 > 3.7 && p2 > 3.8, "orders {p1} {p2}, errors {errs:?}");
        }
    }

    #[test]
    fn contour_matches_direct_formula_where_it_is_well_conditioned() {
        let z = Complex64::new(-3.0, 1.5);
        let c = etdrk4_coefficients(z, 64);
        let ez = z.exp();
        let direct = [
            ((z * 0.5).exp() - 1.0) / z,
            (-4.0 - z + ez * (4.0 - 3.0 * z + z * z)) / (z * z * z),
            (2.0 + z + ez * (z - 2.0)) / (z * z * z),
            (-4.0 - 3.0 * z - z * z + ez * (4.0 - z)) / (z * z * z),
        ];
        for (a, b) in c.iter().zip(&direct) {
            assert!((a - b).norm() < 1e-13, "{a} vs {b}");
        }
        // z -> 0 limits: Q -> 1/2, f1 -> 1/6, f2 -> 1/6, f3 -> 1/6.
        let c0 = etdrk4_coefficients(Complex64::new(0.0, 0.0), 64);
        for (a, b) in c0.iter().zip([0.5, 1.0 / 6.0, 1.0 / 6.0, 1.0 / 6.0]) {
            assert!((a.re - b).abs() < 1e-14 && a.im.abs() < 1e-14);
        }
    }

    #[test]
    fn bad_inputs_are_typed_errors() {
        let l = [Complex64::new(-1.0, 0.0)];
        assert!(matches!(
            Etdrk4::new(&l, 0.0),
            Err(PdeError::InvalidValue { .. })
        ));
        assert!(matches!(
            Etdrk4::new(&[Complex64::new(f64::NAN, 0.0)], 0.1),
            Err(PdeError::InvalidValue { .. })
        ));
        assert!(matches!(
            Etdrk4::new(&[Complex64::new(1e6, 0.0)], 1.0),
            Err(PdeError::InvalidValue { .. })
        ));
    }
}
