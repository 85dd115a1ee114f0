//! `orego`: the Oregonator, Field and Noyes' model of the Belousov–Zhabotinsky reaction (HW II
//! §IV.10; Bari test set OREGO).
// Published constants are kept with all their digits.
#![allow(clippy::excessive_precision)]

use num_dual::DualNum;

use crate::faer::MatMut;
use crate::jacobian::JacDual;
use crate::OdeSystem;

use super::{Param, Problem, Reference, System};

/// Initial state of OREGO.
pub const OREGO_Y0: [f64; 3] = [1.0, 2.0, 3.0];

/// End of the Test Set's integration interval for OREGO.
pub const OREGO_T_END: f64 = 360.0;

/// Published reference solution of OREGO at `t = 360` (default parameters, [`OREGO_Y0`]).
///
/// From the `solut` routine of `orego.f`, Bari "Test Set for IVP Solvers" release 2.4 (computed
/// with RADAU in extended precision on an Alphaserver DS20E, `uround = 1.01e-19`,
/// `rtol = h0 = 1.1e-18`, `atol = 1.1e-40`), 16 significant digits. Cross-checked digit by digit
/// against independent transcriptions: deTestSet (`reference("orego")` and its Oregonator demo),
/// the ReaK C++ integrator tests, a MATLAB work-precision script, a Fortran IMEX test driver and a
/// SUNDIALS-based C driver; and numerically against SciPy Radau (`rtol = 1e-13`), which agrees to
/// `1.3·10⁻¹³` relative.
pub const OREGO_REFERENCE: [f64; 3] = [
    0.1000814870318523e1,
    0.1228178521549917e4,
    0.1320554942846706e3,
];

/// The Oregonator (Field & Noyes 1974) in the Test Set's scaling:
///
/// ```text
/// y1' = s (y2 − y1 y2 + y1 − q y1²)
/// y2' = (−y2 − y1 y2 + y3) / s
/// y3' = w (y1 − y3)
/// ```
///
/// with `s = 77.27`, `w = 0.161`, `q = 8.375·10⁻⁶`. The solution is a relaxation oscillation
/// whose components vary over several orders of magnitude.
///
/// * Default problem: `y(0) = (1, 2, 3)`, `t ∈ [0, 360]`.
/// * Jacobian: [`Oregonator::jacobian_row_major`] (the Test Set's `jeval`).
///   Also as [`OdeSystem::jacobian`], and `f` on dual numbers as [`OdeSystem::rhs_dual`].
/// * Reference: [`OREGO_REFERENCE`].
/// * Source: R. J. Field and R. M. Noyes, J. Chem. Phys. 60 (1974) 1877–1884; E. Hairer and
///   G. Wanner, Solving Ordinary Differential Equations II, 2nd ed. (1996), §IV.10;
///   F. Mazzia and C. Magherini, Test Set for IVP Solvers, release 2.4, University of Bari (2008),
///   problem OREGO.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Oregonator {
    pub s: f64,
    pub w: f64,
    pub q: f64,
}

impl Default for Oregonator {
    fn default() -> Self {
        Self {
            s: 77.27,
            w: 0.161,
            q: 8.375e-6,
        }
    }
}

impl Oregonator {
    pub(crate) fn param_mut(&mut self, name: &str) -> Option<&mut f64> {
        match name {
            "s" => Some(&mut self.s),
            "w" => Some(&mut self.w),
            "q" => Some(&mut self.q),
            _ => None,
        }
    }

    /// The right-hand side for any scalar type of `num-dual` (`f64` included).
    #[inline]
    pub fn rhs_generic<T: DualNum<Primitive = f64> + Copy>(&self, _t: T, y: &[T], dy: &mut [T]) {
        let (s, w, q) = (self.s, self.w, self.q);
        // Same grouping as the Test Set's feval.
        dy[0] = (y[1] + y[0] * (-(y[0] * q) + 1.0 - y[1])) * s;
        dy[1] = (y[2] - (y[0] + 1.0) * y[1]) / s;
        dy[2] = (y[0] - y[2]) * w;
    }

    /// Analytic Jacobian `∂f/∂y`, dense row-major (`jac[3 i + j] = ∂f_i/∂y_j`).
    pub fn jacobian_row_major(&self, _t: f64, y: &[f64], jac: &mut [f64]) {
        let (s, w, q) = (self.s, self.w, self.q);
        jac[..9].copy_from_slice(&[
            s * (1.0 - 2.0 * q * y[0] - y[1]),
            s * (1.0 - y[0]),
            0.0,
            -y[1] / s,
            -(1.0 + y[0]) / s,
            1.0 / s,
            w,
            0.0,
            -w,
        ]);
    }
}

impl OdeSystem for Oregonator {
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
}

pub(crate) fn entry() -> Problem {
    let d = Oregonator::default();
    Problem::new(
        "orego",
        "Oregonator: Belousov-Zhabotinsky relaxation oscillation, 3 species (stiff)",
        "Field & Noyes, J. Chem. Phys. 60 (1974); Hairer & Wanner II, Sec. IV.10; Mazzia & \
         Magherini, Test Set for IVP Solvers, rel. 2.4, Univ. of Bari (2008), problem OREGO",
        &["y1", "y2", "y3"],
        vec![
            Param::positive("s", d.s, "time-scale ratio (77.27)"),
            Param::positive("w", d.w, "relaxation rate of y3 (0.161)"),
            Param::positive("q", d.q, "quadratic self-reaction of y1 (8.375e-6)"),
        ],
        (0.0, OREGO_T_END),
        OREGO_Y0.to_vec(),
        Reference::Final {
            t: OREGO_T_END,
            y: OREGO_REFERENCE.to_vec(),
            source: "Mazzia & Magherini, Test Set for IVP Solvers, rel. 2.4 (Bari, 2008), problem \
                     OREGO, reference solution at t = 360",
        },
        System::Oregonator(d),
    )
}
