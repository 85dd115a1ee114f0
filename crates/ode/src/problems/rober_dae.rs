//! `rober_dae`: Robertson's reaction as an index-1 DAE with a singular mass matrix (HW II
//! Chap. VI).

use num_dual::DualNum;

use std::sync::OnceLock;

use crate::faer::MatMut;
use crate::jacobian::JacDual;
use crate::mass::MassMatrix;
use crate::OdeSystem;

use super::rober::{rober_params, ROBER_REFERENCE_T1E11, ROBER_T_END, ROBER_Y0};
use super::{Problem, Reference, Robertson, System};

/// Robertson's reaction ([`Robertson`]) with the third differential equation replaced by the
/// conservation law, as the semi-explicit index-1 DAE `M y' = f(t, y)`:
///
/// ```text
/// y1' = −k1 y1 + k3 y2 y3
/// y2' =  k1 y1 − k3 y2 y3 − k2 y2²
///  0  =  y1 + y2 + y3 − 1
/// ```
///
/// with the mass matrix `M = diag(1, 1, 0)` ([`RobertsonDae::MASS_DIAGONAL`], and as
/// [`OdeSystem::mass_matrix`]).
///
/// **`rhs` evaluates `f`, not `y'`**: the third component is the residual of the algebraic
/// constraint. An explicit ODE method applied to it solves a different problem (`y3' = 0` on the
/// constraint); solve it only with a method that honours the mass matrix.
///
/// * Default problem: `y(0) = (1, 0, 0)` (consistent: the constraint holds and `y3` is
///   determined by it), `t ∈ [0, 10¹¹]`.
/// * Reference: the exact solution is that of the ODE form, so the Test Set's ROBER reference
///   [`ROBER_REFERENCE_T1E11`] applies at `t = 10¹¹`.
/// * Jacobian: [`RobertsonDae::jacobian_row_major`] (`∂f/∂y`; the third row is `(1, 1, 1)`).
///   Also as [`OdeSystem::jacobian`], and `f` on dual numbers as [`OdeSystem::rhs_dual`].
/// * Source: E. Hairer and G. Wanner, Solving Ordinary Differential Equations II, 2nd ed.
///   (1996), Chap. VI (index-1 DAEs) and §IV.1 (the kinetics); the same mass-matrix form is
///   MATLAB's `hb1dae` demo (L. F. Shampine) and, in residual form, DiffEqProblemLibrary.jl's
///   `prob_dae_resrob`; reference from F. Mazzia and C. Magherini, Test Set for IVP Solvers,
///   release 2.4, University of Bari (2008), problem ROBER.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct RobertsonDae {
    /// The kinetics (rate constants `k1, k2, k3`).
    pub kinetics: Robertson,
}

impl RobertsonDae {
    /// Diagonal of the mass matrix `M = diag(1, 1, 0)`.
    pub const MASS_DIAGONAL: [f64; 3] = [1.0, 1.0, 0.0];

    pub(crate) fn param_mut(&mut self, name: &str) -> Option<&mut f64> {
        self.kinetics.param_mut(name)
    }

    /// `f(t, y)` of `M y' = f(t, y)` for any scalar type of `num-dual` (`f64` included).
    #[inline]
    pub fn rhs_generic<T: DualNum<Primitive = f64> + Copy>(&self, t: T, y: &[T], dy: &mut [T]) {
        let mut ode = [T::from(0.0); 3];
        self.kinetics.rhs_generic(t, y, &mut ode);
        dy[0] = ode[0];
        dy[1] = ode[1];
        dy[2] = y[0] + y[1] + y[2] - 1.0;
    }

    /// Analytic Jacobian `∂f/∂y`, dense row-major (`jac[3 i + j] = ∂f_i/∂y_j`).
    pub fn jacobian_row_major(&self, t: f64, y: &[f64], jac: &mut [f64]) {
        self.kinetics.jacobian_row_major(t, y, jac);
        jac[6..9].copy_from_slice(&[1.0, 1.0, 1.0]);
    }

    /// The constraint residual `y1 + y2 + y3 − 1`.
    pub fn constraint(&self, y: &[f64]) -> f64 {
        y[0] + y[1] + y[2] - 1.0
    }
}

impl OdeSystem for RobertsonDae {
    #[inline]
    fn dim(&self) -> usize {
        3
    }
    /// `f(t, y)` of `M y' = f(t, y)` (see the type's documentation).
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
    fn mass_matrix(&self) -> Option<&MassMatrix> {
        static MASS: OnceLock<MassMatrix> = OnceLock::new();
        Some(MASS.get_or_init(|| MassMatrix::Diagonal(Self::MASS_DIAGONAL.to_vec())))
    }
}

pub(crate) fn entry() -> Problem {
    let d = RobertsonDae::default();
    Problem::new(
        "rober_dae",
        "Robertson kinetics as an index-1 DAE: M = diag(1,1,0), 0 = y1+y2+y3-1 (stiff; DAE)",
        "Hairer & Wanner II, Chap. VI; reference from Mazzia & Magherini, Test Set for IVP \
         Solvers, rel. 2.4, Univ. of Bari (2008), problem ROBER",
        &["y1", "y2", "y3"],
        rober_params(&d.kinetics),
        (0.0, ROBER_T_END),
        ROBER_Y0.to_vec(),
        Reference::Final {
            t: ROBER_T_END,
            y: ROBER_REFERENCE_T1E11.to_vec(),
            source: "Mazzia & Magherini, Test Set for IVP Solvers, rel. 2.4 (Bari, 2008), problem \
                     ROBER (same exact solution as the DAE form), reference solution at t = 1e11",
        },
        System::RobertsonDae(d),
    )
}
