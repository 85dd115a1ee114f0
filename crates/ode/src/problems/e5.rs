//! `e5`: chemical pyrolysis, problem E5 of the stiff DETEST set (HW II §IV.10; Bari test set E5).
// Published constants are kept with all their digits.
#![allow(clippy::excessive_precision)]

use num_dual::DualNum;

use crate::faer::MatMut;
use crate::jacobian::JacDual;
use crate::OdeSystem;

use super::{Param, Problem, Reference, System};

/// Initial state of E5.
pub const E5_Y0: [f64; 4] = [1.76e-3, 0.0, 0.0, 0.0];

/// End of the Test Set's integration interval for E5.
pub const E5_T_END: f64 = 1e13;

/// The linear invariant of E5: `y2 − y3 − y4` (`f2 − f3 − f4 ≡ 0` for every parameter value),
/// declared as [`OdeSystem::linear_invariants`].
pub const E5_INVARIANT: [f64; 4] = [0.0, 1.0, -1.0, -1.0];

/// Published reference solution of E5 at `t = 10¹³` (default parameters, [`E5_Y0`]).
///
/// From the `solut` routine of `e5.f`, Bari "Test Set for IVP Solvers" release 2.4 (computed
/// with RADAU in extended precision on an Alphaserver DS20E, `uround = 1.01e-19`,
/// `rtol = h0 = 1.1e-18`, `atol = 1.1e-40`). Cross-checked digit by digit against independent
/// transcriptions: deTestSet's `reference("E5")` and its E5 demo, the ReaK C++ integrator tests,
/// a TypeScript benchmark, a Fortran `stiff3` example and a SUNDIALS-based C driver.
///
/// **Only an absolute comparison is meaningful** (the Test Set scores E5 with an absolute error):
///
/// * `y1`: the exact solution satisfies `y1(t) ≤ y1(0) e^{−A t} = 1.76·10⁻³ · e^{−7890} ≈
///   10^{−3429}`, far below the smallest `f64`; the published `1.15·10⁻²⁹¹` is the solver's
///   noise at `atol = 1.1e-40`. Any value below `~1e-40` is as good.
/// * `y2, y3`: the exact solution keeps `y2 = y3 + y4` (`f2 − f3 − f4 ≡ 0`, zero initially) and
///   `y4` is negligible at `t = 10¹³` (`≈ B y1 y3 / C`), yet the published `y2 − y3 = 1.28·10⁻²⁵`
///   (relative `1.5·10⁻³`). `y2 − y3 − y4` is a neutral direction of the dynamics, so integration
///   errors in it never decay: the published `y2`, `y3` carry opposite errors of about
///   `±6.4·10⁻²⁶`, while their mean `8.861235·10⁻²³` is robust (SciPy Radau at `rtol = 1e-13` and
///   at `1e-10` reproduce it to `3·10⁻⁷` although their own `y2 − y3` are `2·10⁻²⁵` and
///   `5·10⁻²⁶`). Both are close to `1/(M C t) = 8.85·10⁻²³`. So compare `y2`, `y3` to about
///   `1e-25` absolute (3 digits), not to 8 significant digits.
/// * `y4`: published as exactly 0.
pub const E5_REFERENCE: [f64; 4] = [
    0.1152903278711829e-290,
    0.8867655517642120e-22,
    0.8854814626268838e-22,
    0.0,
];

/// E5, the pyrolysis problem of Enright, Hull & Lindberg's stiff DETEST set:
///
/// ```text
/// y1' = −A y1 − B y1 y3
/// y2' =  A y1 − M C y2 y3
/// y3' =  A y1 − B y1 y3 − M C y2 y3 + C y4
/// y4' =  B y1 y3 − C y4
/// ```
///
/// with `A = 7.89·10⁻¹⁰`, `B = 1.1·10⁷`, `C = 1.13·10³`, `M = 10⁶` (`M C = 1.13·10⁹`). As in
/// the Test Set, `y3'` is computed as `y2' − y4'`.
///
/// * Default problem: `y(0) = (1.76·10⁻³, 0, 0, 0)`, `t ∈ [0, 10¹³]`. The solution changes over
///   the whole span (plot it on a logarithmic time axis) while `y2, y3, y4` stay tiny (at most
///   `1.5·10⁻¹⁰`, near `t ≈ 300`; `10⁻²²` at the end), so the absolute tolerance must be far
///   below them.
/// * Invariant: `y2 − y3 − y4 = 0` ([`E5::y2_minus_y3_minus_y4`]), declared as
///   [`OdeSystem::linear_invariants`] ([`E5_INVARIANT`]). It is a neutral direction that the
///   solution never forgets: any error put into it while `y2, y3 ~ 10⁻¹⁰` (t ≈ 10²…10⁴) stays
///   while `y2, y3` decay to `10⁻²²`, and an error `d > 0` makes `y2 → d`, `y3 → 0`. Rosenbrock
///   methods need the declaration (they project onto it); without it, their stage solves put
///   `≈ hγ·ε·‖J‖·|u|` into it per stage (measured, Rodas5P at `rtol = 1e-6`: `d = 4.8·10⁻²¹`,
///   i.e. `y2` 54× too large), see [`OdeSystem::linear_invariants`].
/// * Jacobian: [`E5::jacobian_row_major`] (the Test Set's `jeval`).
///   Also as [`OdeSystem::jacobian`], and `f` on dual numbers as [`OdeSystem::rhs_dual`].
/// * Reference: [`E5_REFERENCE`] (see there for its limited accuracy).
/// * Source: W. H. Enright, T. E. Hull and B. Lindberg, BIT 15 (1975) 10–48, problem E5;
///   E. Hairer and G. Wanner, Solving Ordinary Differential Equations II, 2nd ed. (1996),
///   §IV.10; F. Mazzia and C. Magherini, Test Set for IVP Solvers, release 2.4, University of
///   Bari (2008), problem E5.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct E5 {
    pub a: f64,
    pub b: f64,
    pub c: f64,
    pub m: f64,
}

impl Default for E5 {
    fn default() -> Self {
        Self {
            a: 7.89e-10,
            b: 1.1e7,
            c: 1.13e3,
            m: 1.0e6,
        }
    }
}

impl E5 {
    pub(crate) fn param_mut(&mut self, name: &str) -> Option<&mut f64> {
        match name {
            "a" => Some(&mut self.a),
            "b" => Some(&mut self.b),
            "c" => Some(&mut self.c),
            "m" => Some(&mut self.m),
            _ => None,
        }
    }

    /// The right-hand side for any scalar type of `num-dual` (`f64` included).
    #[inline]
    pub fn rhs_generic<T: DualNum<Primitive = f64> + Copy>(&self, _t: T, y: &[T], dy: &mut [T]) {
        let cm = self.c * self.m;
        let prod1 = y[0] * self.a;
        let prod2 = y[0] * y[2] * self.b;
        let prod3 = y[1] * y[2] * cm;
        let prod4 = y[3] * self.c;
        dy[0] = -prod1 - prod2;
        dy[1] = prod1 - prod3;
        dy[3] = prod2 - prod4;
        dy[2] = dy[1] - dy[3];
    }

    /// Analytic Jacobian `∂f/∂y`, dense row-major (`jac[4 i + j] = ∂f_i/∂y_j`), as in the Test
    /// Set's `jeval`.
    pub fn jacobian_row_major(&self, _t: f64, y: &[f64], jac: &mut [f64]) {
        let (a, b, c) = (self.a, self.b, self.c);
        let cm = c * self.m;
        jac[..16].copy_from_slice(&[
            -a - b * y[2],
            0.0,
            -b * y[0],
            0.0,
            a,
            -cm * y[2],
            -cm * y[1],
            0.0,
            a - b * y[2],
            -cm * y[2],
            -b * y[0] - cm * y[1],
            c,
            b * y[2],
            0.0,
            b * y[0],
            -c,
        ]);
    }

    /// `y2 − y3 − y4`, constant (zero for the default problem) along solutions.
    pub fn y2_minus_y3_minus_y4(&self, y: &[f64]) -> f64 {
        y[1] - y[2] - y[3]
    }
}

impl OdeSystem for E5 {
    #[inline]
    fn dim(&self) -> usize {
        4
    }
    #[inline]
    fn rhs(&self, t: f64, y: &[f64], dy: &mut [f64]) {
        self.rhs_generic(t, y, dy)
    }
    fn rhs_dual(&self, t: JacDual, y: &[JacDual], dy: &mut [JacDual]) -> bool {
        self.rhs_generic(t, y, dy);
        true
    }
    fn jacobian(&self, t: f64, y: &[f64], mut jac: MatMut<'_, f64>) -> bool {
        const N: usize = 4;
        let mut j = [0.0; N * N];
        self.jacobian_row_major(t, y, &mut j);
        for r in 0..N {
            for c in 0..N {
                jac[(r, c)] = j[N * r + c];
            }
        }
        true
    }
    fn is_autonomous(&self) -> bool {
        true
    }
    fn linear_invariants(&self) -> Option<&[f64]> {
        Some(&E5_INVARIANT)
    }
}

pub(crate) fn entry() -> Problem {
    let d = E5::default();
    Problem::new(
        "e5",
        "E5: chemical pyrolysis (4 species), to t = 1e13 (very stiff)",
        "Enright, Hull & Lindberg, BIT 15 (1975), problem E5; Hairer & Wanner II, Sec. IV.10; \
         Mazzia & Magherini, Test Set for IVP Solvers, rel. 2.4, Univ. of Bari (2008), problem E5",
        &["y1", "y2", "y3", "y4"],
        vec![
            Param::positive("a", d.a, "rate of y1 -> y2 + y3 (7.89e-10)"),
            Param::positive("b", d.b, "rate of y1 + y3 -> y4 (1.1e7)"),
            Param::positive("c", d.c, "rate of y4 -> y3 (1.13e3)"),
            Param::positive("m", d.m, "factor of the y2 + y3 rate M*C (1e6)"),
        ],
        (0.0, E5_T_END),
        E5_Y0.to_vec(),
        Reference::Final {
            t: E5_T_END,
            y: E5_REFERENCE.to_vec(),
            source: "Mazzia & Magherini, Test Set for IVP Solvers, rel. 2.4 (Bari, 2008), problem \
                     E5, reference solution at t = 1e13 (compare absolutely: y1 and y4 are below \
                     1e-40, y2 and y3 good to about 1e-25)",
        },
        System::E5(d),
    )
}
