//! `rober`: Robertson's chemical reaction, the classic stiff test (HW II §IV.1; Bari test set
//! ROBER).
// Published constants are kept with all their digits.
#![allow(clippy::excessive_precision)]

use num_dual::DualNum;

use crate::faer::MatMut;
use crate::jacobian::JacDual;
use crate::OdeSystem;

use super::{Param, Problem, Reference, System};

/// Initial state of ROBER: all mass in species A.
pub const ROBER_Y0: [f64; 3] = [1.0, 0.0, 0.0];

/// The linear invariant of ROBER: `y1 + y2 + y3` (total mass), declared as
/// [`OdeSystem::linear_invariants`] (the Rosenbrock methods then project their steps onto it,
/// weighted by the error scale: see [`OdeSystem::linear_invariants`]).
pub const ROBER_INVARIANT: [f64; 3] = [1.0, 1.0, 1.0];

/// End of the Test Set's integration interval for ROBER.
pub const ROBER_T_END: f64 = 1e11;

/// Published reference solution of ROBER at `t = 1e11` (default rate constants, [`ROBER_Y0`]).
///
/// From the `solut` routine of `rober.f`, Bari "Test Set for IVP Solvers" release 2.4 (computed
/// by the test-set authors with RADAU in extended precision, `uround = 1.01e-19`,
/// `rtol = atol = h0 = 1.1e-18`), given to 16 significant digits. Cross-checked digit by digit
/// against independent transcriptions: the R package deTestSet (`reference("rober")`), the
/// Julia ODE.jl test suites, pyodesys' Robertson tests, the ReaK C++ integrator tests and a
/// TypeScript benchmark; and numerically against an independent integration (SciPy Radau,
/// `rtol = 1e-13`, analytic Jacobian), which agrees to `4·10⁻¹³` relative in every component.
///
/// The components sum to `1 − 1.0e-14`, consistent with mass conservation to the accuracy of the
/// data.
pub const ROBER_REFERENCE_T1E11: [f64; 3] = [
    0.2083340149701255e-7,
    0.8333360770334713e-13,
    0.9999999791665050,
];

/// Robertson's autocatalytic reaction (H. H. Robertson 1966) with rate constants
/// `k1 = 0.04`, `k2 = 3·10⁷`, `k3 = 10⁴`:
///
/// ```text
/// A → B (k1),   B + B → C + B (k2),   B + C → A + C (k3)
///
/// y1' = −k1 y1 + k3 y2 y3
/// y2' =  k1 y1 − k3 y2 y3 − k2 y2²
/// y3' =  k2 y2²
/// ```
///
/// * Default problem (Test Set ROBER): `y(0) = (1, 0, 0)`, `t ∈ [0, 10¹¹]`. The catalogue keeps
///   the Test Set's full interval: the interesting behaviour (`y2` decaying like `1/t`, `y1` like
///   `1/t` too, all mass ending in `y3`) only shows on a logarithmic time axis over many decades,
///   and the published reference is at `t = 10¹¹`. Explicit methods cannot get there (the
///   stiffness ratio exceeds `10¹¹`); use a stiff solver.
/// * Invariant: `y1 + y2 + y3` (mass), constant along solutions ([`Robertson::mass`]); the
///   components of `f` sum to zero. Declared as [`OdeSystem::linear_invariants`]
///   ([`ROBER_INVARIANT`]), so Rosenbrock methods keep it to rounding (implicit methods do by
///   construction). They project onto it in the error norm of the step, so the correction
///   lands on `y1` and `y3` (scale 1) and leaves `y2 ≤ 3.7·10⁻⁵` its relative accuracy.
/// * Jacobian: [`Robertson::jacobian_row_major`] (dense, as in the Test Set's `jeval`).
///   Also as [`OdeSystem::jacobian`], and `f` on dual numbers as [`OdeSystem::rhs_dual`].
/// * Reference: [`ROBER_REFERENCE_T1E11`].
/// * Source: H. H. Robertson, "The solution of a set of reaction rate equations", in J. Walsh
///   (ed.), Numerical Analysis: an Introduction, Academic Press (1966) 178–182; E. Hairer and
///   G. Wanner, Solving Ordinary Differential Equations II, 2nd ed., Springer (1996), §IV.1,
///   eq. (1.4) and §IV.10; F. Mazzia and C. Magherini, Test Set for IVP Solvers, release 2.4,
///   University of Bari (2008), problem ROBER.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Robertson {
    pub k1: f64,
    pub k2: f64,
    pub k3: f64,
}

impl Default for Robertson {
    fn default() -> Self {
        Self {
            k1: 0.04,
            k2: 3.0e7,
            k3: 1.0e4,
        }
    }
}

impl Robertson {
    pub(crate) fn param_mut(&mut self, name: &str) -> Option<&mut f64> {
        match name {
            "k1" => Some(&mut self.k1),
            "k2" => Some(&mut self.k2),
            "k3" => Some(&mut self.k3),
            _ => None,
        }
    }

    /// The right-hand side for any scalar type of `num-dual` (`f64` included), so that
    /// forward-mode automatic differentiation gives the Jacobian (and `∂f/∂t`).
    #[inline]
    pub fn rhs_generic<T: DualNum<Primitive = f64> + Copy>(&self, _t: T, y: &[T], dy: &mut [T]) {
        let r1 = y[0] * self.k1;
        let r2 = y[1] * y[1] * self.k2;
        let r3 = y[1] * y[2] * self.k3;
        dy[0] = r3 - r1;
        dy[1] = r1 - r3 - r2;
        dy[2] = r2;
    }

    /// Analytic Jacobian `∂f/∂y`, dense row-major (`jac[3 i + j] = ∂f_i/∂y_j`), as in the Test
    /// Set's `jeval`.
    pub fn jacobian_row_major(&self, _t: f64, y: &[f64], jac: &mut [f64]) {
        let (k1, k2, k3) = (self.k1, self.k2, self.k3);
        jac[..9].copy_from_slice(&[
            -k1,
            k3 * y[2],
            k3 * y[1],
            k1,
            -k3 * y[2] - 2.0 * k2 * y[1],
            -k3 * y[1],
            0.0,
            2.0 * k2 * y[1],
            0.0,
        ]);
    }

    /// Total mass `y1 + y2 + y3`, constant along solutions.
    pub fn mass(&self, y: &[f64]) -> f64 {
        y[0] + y[1] + y[2]
    }
}

impl OdeSystem for Robertson {
    #[inline]
    fn dim(&self) -> usize {
        3
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
        const N: usize = 3;
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
        Some(&ROBER_INVARIANT)
    }
}

/// The catalogue's rate-constant parameters, shared with `rober_dae`.
pub(crate) fn rober_params(d: &Robertson) -> Vec<Param> {
    vec![
        Param::positive("k1", d.k1, "rate of A -> B"),
        Param::positive("k2", d.k2, "rate of B + B -> C + B"),
        Param::positive("k3", d.k3, "rate of B + C -> A + C"),
    ]
}

pub(crate) fn entry() -> Problem {
    let d = Robertson::default();
    Problem::new(
        "rober",
        "Robertson's stiff chemical kinetics (3 species), to t = 1e11 (stiff)",
        "H. H. Robertson (1966); Hairer & Wanner II, Sec. IV.1; Mazzia & Magherini, Test Set for \
         IVP Solvers, rel. 2.4, Univ. of Bari (2008), problem ROBER",
        &["y1", "y2", "y3"],
        rober_params(&d),
        (0.0, ROBER_T_END),
        ROBER_Y0.to_vec(),
        Reference::Final {
            t: ROBER_T_END,
            y: ROBER_REFERENCE_T1E11.to_vec(),
            source: "Mazzia & Magherini, Test Set for IVP Solvers, rel. 2.4 (Bari, 2008), problem \
                     ROBER, reference solution at t = 1e11",
        },
        System::Robertson(d),
    )
}
