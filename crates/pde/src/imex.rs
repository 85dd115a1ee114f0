//! Implicit–explicit (IMEX) Runge–Kutta methods for stiff semi-linear systems
//! `v' = L v + N(v, t)` with a diagonal linear operator `L` (one complex number per unknown, e.g.
//! per Fourier mode): the stiff linear part is treated implicitly (a diagonally implicit RK
//! method, so each stage is one division per mode), the non-stiff nonlinear part explicitly.
//!
//! A method is a pair of Butcher tableaus ([`ImexTableau`], data), consumed by one stepper
//! ([`ImexRk`]). Built in: [`ARS222`] (order 2) and [`ARS443`] (order 3), both L-stable and
//! stiffly accurate in their implicit part, from U. M. Ascher, S. J. Ruuth and R. J. Spiteri,
//! *Implicit-explicit Runge–Kutta methods for time-dependent partial differential equations*,
//! Appl. Numer. Math. 25 (1997).
//!
//! Stage `i` (with `a` the implicit, `â` the explicit tableau, `a_{i1} = 0`):
//! ```text
//! (1 − h a_ii L) Y_i = v_n + h Σ_{j<i} (â_ij N(Y_j, t_n + ĉ_j h) + a_ij L Y_j)
//! v_{n+1} = v_n + h Σ_i (b̂_i N(Y_i, t_n + ĉ_i h) + b_i L Y_i)
//! ```
//!
//! ```
//! use ai4de_pde::imex::{ImexRk, ARS443};
//! use ai4de_pde::etd::Complex64;
//! // v' = -v + v², v(0) = 0.5 (exact: v = 1 / (1 + e^t))
//! let mut imex = ImexRk::new(&ARS443, &[Complex64::new(-1.0, 0.0)], 0.05).unwrap();
//! let mut v = [Complex64::new(0.5, 0.0)];
//! for k in 0..20 {
//!     imex.step(k as f64 * 0.05, &mut v, &mut |_t, v: &[Complex64], n: &mut [Complex64]| {
//!         n[0] = v[0] * v[0]
//!     });
//! }
//! assert!((v[0].re - 1.0 / (1.0 + 1f64.exp())).abs() < 1e-5);
//! ```

use crate::etd::Complex64;
use crate::PdeError;

/// An IMEX Runge–Kutta pair with `S` stages: explicit tableau `(â, b̂, ĉ)` (strictly lower
/// triangular) and diagonally implicit tableau `(a, b, c)` with `a_11 = 0` (the first stage is
/// explicit in both), both row-major `S × S`.
#[derive(Debug, Clone, PartialEq)]
pub struct ImexTableau {
    pub name: &'static str,
    pub order: usize,
    pub stages: usize,
    pub a_explicit: &'static [f64],
    pub b_explicit: &'static [f64],
    pub c: &'static [f64],
    pub a_implicit: &'static [f64],
    pub b_implicit: &'static [f64],
}

const ARS222_GAMMA: f64 = 1.0 - std::f64::consts::FRAC_1_SQRT_2;
const ARS222_DELTA: f64 = 1.0 - 1.0 / (2.0 * ARS222_GAMMA);

/// ARS(2,2,2): Ascher, Ruuth & Spiteri (1997), order 2, `γ = 1 − 1/√2`, `δ = 1 − 1/(2γ)`.
pub const ARS222: ImexTableau = ImexTableau {
    name: "ARS(2,2,2)",
    order: 2,
    stages: 3,
    a_explicit: &[
        0.0,
        0.0,
        0.0,
        ARS222_GAMMA,
        0.0,
        0.0,
        ARS222_DELTA,
        1.0 - ARS222_DELTA,
        0.0,
    ],
    b_explicit: &[ARS222_DELTA, 1.0 - ARS222_DELTA, 0.0],
    c: &[0.0, ARS222_GAMMA, 1.0],
    a_implicit: &[
        0.0,
        0.0,
        0.0,
        0.0,
        ARS222_GAMMA,
        0.0,
        0.0,
        1.0 - ARS222_GAMMA,
        ARS222_GAMMA,
    ],
    b_implicit: &[0.0, 1.0 - ARS222_GAMMA, ARS222_GAMMA],
};

/// ARS(4,4,3): Ascher, Ruuth & Spiteri (1997), order 3 (four implicit stages after an
/// explicit first one).
pub const ARS443: ImexTableau = ImexTableau {
    name: "ARS(4,4,3)",
    order: 3,
    stages: 5,
    #[rustfmt::skip]
    a_explicit: &[
        0.0, 0.0, 0.0, 0.0, 0.0,
        0.5, 0.0, 0.0, 0.0, 0.0,
        11.0 / 18.0, 1.0 / 18.0, 0.0, 0.0, 0.0,
        5.0 / 6.0, -5.0 / 6.0, 0.5, 0.0, 0.0,
        0.25, 1.75, 0.75, -1.75, 0.0,
    ],
    b_explicit: &[0.25, 1.75, 0.75, -1.75, 0.0],
    c: &[0.0, 0.5, 2.0 / 3.0, 0.5, 1.0],
    #[rustfmt::skip]
    a_implicit: &[
        0.0, 0.0, 0.0, 0.0, 0.0,
        0.0, 0.5, 0.0, 0.0, 0.0,
        0.0, 1.0 / 6.0, 0.5, 0.0, 0.0,
        0.0, -0.5, 0.5, 0.5, 0.0,
        0.0, 1.5, -1.5, 0.5, 0.5,
    ],
    b_implicit: &[0.0, 1.5, -1.5, 0.5, 0.5],
};

/// The IMEX stepper for one tableau, operator and step size; stage buffers allocated once.
#[derive(Debug, Clone)]
pub struct ImexRk {
    tableau: &'static ImexTableau,
    h: f64,
    linear: Vec<Complex64>,
    /// `1 / (1 − h a_ii L)` per stage and unknown (row-major `stages × n`).
    inv: Vec<Complex64>,
    /// `N(Y_i)` per stage.
    nl: Vec<Vec<Complex64>>,
    /// `L Y_i` per stage.
    ly: Vec<Vec<Complex64>>,
    y: Vec<Complex64>,
}

impl ImexRk {
    /// A stepper for `tableau` with the diagonal operator `linear` and step `h`.
    pub fn new(
        tableau: &'static ImexTableau,
        linear: &[Complex64],
        h: f64,
    ) -> Result<Self, PdeError> {
        let bad = |what: String, value: f64, reason: &str| PdeError::InvalidValue {
            pde: "imex".into(),
            what,
            value,
            reason: reason.into(),
        };
        if !(h.is_finite() && h > 0.0) {
            return Err(bad(
                "h".into(),
                h,
                "the step size must be finite and positive",
            ));
        }
        let s = tableau.stages;
        let n = linear.len();
        let mut inv = Vec::with_capacity(s * n);
        for i in 0..s {
            let aii = tableau.a_implicit[i * s + i];
            for (m, &l) in linear.iter().enumerate() {
                let d = 1.0 - h * aii * l;
                let r = 1.0 / d;
                if !(r.re.is_finite() && r.im.is_finite()) {
                    return Err(bad(
                        format!("linear operator entry {m}"),
                        l.re,
                        "1 − h a_ii L is singular or not finite",
                    ));
                }
                inv.push(r);
            }
        }
        let zero = Complex64::new(0.0, 0.0);
        Ok(Self {
            tableau,
            h,
            linear: linear.to_vec(),
            inv,
            nl: vec![vec![zero; n]; s],
            ly: vec![vec![zero; n]; s],
            y: vec![zero; n],
        })
    }

    /// Order of the pair.
    pub fn order(&self) -> usize {
        self.tableau.order
    }

    /// The step size.
    pub fn h(&self) -> f64 {
        self.h
    }

    /// Advances `v` from `t` to `t + h`; `nonlinear(t, v, out)` writes `N(v, t)` into `out`.
    ///
    /// # Panics
    /// If `v.len()` differs from the operator's length (a programming error).
    pub fn step<F>(&mut self, t: f64, v: &mut [Complex64], nonlinear: &mut F)
    where
        F: FnMut(f64, &[Complex64], &mut [Complex64]),
    {
        let n = self.linear.len();
        assert_eq!(v.len(), n, "IMEX state length must match the operator");
        let tab = self.tableau;
        let s = tab.stages;
        let h = self.h;
        for i in 0..s {
            self.y.copy_from_slice(v);
            for j in 0..i {
                let ae = h * tab.a_explicit[i * s + j];
                let ai = h * tab.a_implicit[i * s + j];
                if ae != 0.0 {
                    for (y, nl) in self.y.iter_mut().zip(&self.nl[j]) {
                        *y += ae * nl;
                    }
                }
                if ai != 0.0 {
                    for (y, ly) in self.y.iter_mut().zip(&self.ly[j]) {
                        *y += ai * ly;
                    }
                }
            }
            let inv = &self.inv[i * n..(i + 1) * n];
            for ((y, r), (ly, l)) in self
                .y
                .iter_mut()
                .zip(inv)
                .zip(self.ly[i].iter_mut().zip(&self.linear))
            {
                *y *= r;
                *ly = l * *y;
            }
            nonlinear(t + tab.c[i] * h, &self.y, &mut self.nl[i]);
        }
        for i in 0..s {
            let be = h * tab.b_explicit[i];
            let bi = h * tab.b_implicit[i];
            for ((vv, nl), ly) in v.iter_mut().zip(&self.nl[i]).zip(&self.ly[i]) {
                *vv += be * nl + bi * ly;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bernoulli(lambda: Complex64, v0: Complex64, t: f64) -> Complex64 {
        1.0 / ((1.0 / v0 + 1.0 / lambda) * (-lambda * t).exp() - 1.0 / lambda)
    }

    fn observed_order(tab: &'static ImexTableau, lambda: Complex64) -> f64 {
        let v0 = Complex64::new(0.4, 0.1);
        let exact = bernoulli(lambda, v0, 1.0);
        let err = |steps: usize| {
            let h = 1.0 / steps as f64;
            let mut s = ImexRk::new(tab, &[lambda], h).unwrap();
            let mut v = [v0];
            for k in 0..steps {
                s.step(
                    k as f64 * h,
                    &mut v,
                    &mut |_t, v: &[Complex64], n: &mut [Complex64]| n[0] = v[0] * v[0],
                );
            }
            (v[0] - exact).norm()
        };
        (err(40) / err(80)).log2()
    }

    #[test]
    fn tableau_consistency() {
        for tab in [&ARS222, &ARS443] {
            let s = tab.stages;
            assert!((tab.b_explicit.iter().sum::<f64>() - 1.0).abs() < 1e-15);
            assert!((tab.b_implicit.iter().sum::<f64>() - 1.0).abs() < 1e-15);
            for i in 0..s {
                let re: f64 = tab.a_explicit[i * s..(i + 1) * s].iter().sum();
                let ri: f64 = tab.a_implicit[i * s..(i + 1) * s].iter().sum();
                assert!((re - tab.c[i]).abs() < 1e-15 && (ri - tab.c[i]).abs() < 1e-15);
            }
        }
    }

    #[test]
    fn observed_orders_match_the_tableaus() {
        for lambda in [Complex64::new(-2.0, 0.0), Complex64::new(-1.0, 3.0)] {
            let p2 = observed_order(&ARS222, lambda);
            let p3 = observed_order(&ARS443, lambda);
            assert!((p2 - 2.0).abs() < 0.2, "ARS222 order {p2}");
            assert!((p3 - 3.0).abs() < 0.25, "ARS443 order {p3}");
        }
    }

    #[test]
    fn stiff_decay_is_damped() {
        // v' = -1e8 v: an L-stable implicit part sends v to ~0 in one step.
        let mut s = ImexRk::new(&ARS443, &[Complex64::new(-1e8, 0.0)], 0.1).unwrap();
        let mut v = [Complex64::new(1.0, 0.0)];
        s.step(
            0.0,
            &mut v,
            &mut |_t, _v: &[Complex64], n: &mut [Complex64]| n[0] = Complex64::new(0.0, 0.0),
        );
        assert!(v[0].norm() < 1e-6);
        assert!(ImexRk::new(&ARS443, &[Complex64::new(-1.0, 0.0)], -1.0).is_err());
    }
}
