//! `vdpol`, `vdp1000`, `vdp1e6`: the stiff Van der Pol oscillator, in the Test Set's time-scaled
//! form (VDPOL) and unscaled (VDPOLM) (HW II §IV.1, §IV.10; Bari test set VDPOL and VDPOLM).
// Published constants are kept with all their digits.
#![allow(clippy::excessive_precision)]

use num_dual::DualNum;

use crate::faer::MatMut;
use crate::jacobian::JacDual;
use crate::OdeSystem;

use super::{Param, Problem, Reference, System, VanDerPol};

/// Initial state of VDPOL.
pub const VDPOL_Y0: [f64; 2] = [2.0, 0.0];

/// End of the Test Set's integration interval for VDPOL (scaled time).
pub const VDPOL_T_END: f64 = 2.0;

/// Published reference solution of VDPOL (`ε = 10⁻⁶`, i.e. `μ = 1/√ε = 10³`) at `t = 2` from
/// [`VDPOL_Y0`].
///
/// From the `solut` routine of `vdpol.f`, Bari "Test Set for IVP Solvers" release 2.4 (computed
/// with RADAU in extended precision on an Alphaserver DS20E, `uround = 1.01e-19`,
/// `rtol = atol = h0 = 1.1e-18`), 16 significant digits. Cross-checked digit by digit against
/// independent transcriptions (the ReaK C++ integrator tests, a Julia IVP test-case catalogue,
/// ODE.jl examples, a SUNDIALS-based C driver, a Python notebook); numerically against SciPy
/// Radau (`rtol = 1e-13`, agreement to `1·10⁻¹⁴`); and against the Test Set's independent
/// computation in the *unscaled* variables, [`VDPOLM_REFERENCE`], which maps to
/// `(1.706167732170469, −0.8928097010248125)` here — equal to 14 digits.
pub const VDPOL_REFERENCE: [f64; 2] = [0.1706167732170483e1, -0.8928097010247975];

/// End of the Test Set's integration interval for VDPOLM (unscaled time, `2 μ`).
pub const VDPOLM_T_END: f64 = 2000.0;

/// Published reference solution of VDPOLM, the unscaled Van der Pol equation
/// `x'' = 1000 (1 − x²) x' − x` from `(x, x')(0) = (2, 0)`, at `t = 2000`.
///
/// From the `solut` routine of `vdpolm.f` ("Problem VAN DER POL modified"), Bari "Test Set for
/// IVP Solvers" release 2.4 (RADAU in extended precision, `rtol = atol = h0 = 1.1e-18`), 16
/// significant digits. Cross-checked digit by digit against independent transcriptions:
/// deTestSet's `reference("vdpol")`, the ReaK C++ integrator tests, a TypeScript benchmark and a
/// MATLAB work-precision script; numerically against SciPy Radau (`rtol = 1e-13`, agreement to
/// `7·10⁻¹⁴`); and against [`VDPOL_REFERENCE`] (the same trajectory in scaled variables, computed
/// separately), which it matches to 14 digits.
pub const VDPOLM_REFERENCE: [f64; 2] = [0.1706167732170469e1, -0.8928097010248125e-3];

/// The Van der Pol equation `x'' = μ (1 − x²) x' − x` in the time-scaled form of Hairer & Wanner
/// and the Test Set (VDPOL): with `t = τ/μ`, `y1(t) = x(μ t)`, `y2(t) = y1'(t) = μ x'(μ t)` and
/// `ε = 1/μ²`,
///
/// ```text
/// y1' = y2
/// y2' = ((1 − y1²) y2 − y1) / ε
/// ```
///
/// In these variables the period of the limit cycle tends to `3 − 2 ln 2 ≈ 1.614` as `ε → 0`,
/// with quasi-discontinuous jumps of `y2` that get steeper as `ε` shrinks.
///
/// The stiff Van der Pol entries of the catalogue (mind the form when comparing with other
/// libraries):
///
/// * `vdpol`: this scaled form with `ε = 10⁻⁶` (`μ = 10³`), exactly the Test Set's VDPOL:
///   `y(0) = (2, 0)`, `t ∈ [0, 2]`, reference [`VDPOL_REFERENCE`].
/// * `vdp1000`: the *unscaled* [`VanDerPol`] (the `vdp` system) with `μ = 10³`, exactly the Test
///   Set's VDPOLM: `(x, v)(0) = (2, 0)`, `t ∈ [0, 2000]`, reference [`VDPOLM_REFERENCE`]. Same
///   trajectory as `vdpol`, in other variables.
/// * `vdp1e6`: the unscaled [`VanDerPol`] with `μ = 10⁶`, `(x, v)(0) = (2, 0)`,
///   `t ∈ [0, 2·10⁶]` (the same `2 μ` span, a little over one period), no published reference.
///
/// * Jacobian: [`VanDerPolScaled::jacobian_row_major`] (the Test Set's `jeval`), also as
///   [`OdeSystem::jacobian`]; for the unscaled form [`VanDerPol::jacobian_row_major`] (VDPOLM's
///   `jeval`), which the catalogue's [`System`] serves as [`OdeSystem::jacobian`] for `vdp`,
///   `vdp1000` and `vdp1e6` (with [`VanDerPol::rhs_generic`] as [`OdeSystem::rhs_dual`]).
/// * Source: B. van der Pol, Phil. Mag. 2 (1926) 978–992; E. Hairer and G. Wanner, Solving
///   Ordinary Differential Equations II, 2nd ed. (1996), §IV.1 and §IV.10; F. Mazzia and
///   C. Magherini, Test Set for IVP Solvers, release 2.4, University of Bari (2008), problems
///   VDPOL and VDPOLM.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VanDerPolScaled {
    /// `ε = 1/μ²` (default `10⁻⁶`).
    pub eps: f64,
}

impl Default for VanDerPolScaled {
    fn default() -> Self {
        Self { eps: 1.0e-6 }
    }
}

impl VanDerPolScaled {
    pub(crate) fn param_mut(&mut self, name: &str) -> Option<&mut f64> {
        match name {
            "eps" => Some(&mut self.eps),
            _ => None,
        }
    }

    /// The right-hand side for any scalar type of `num-dual` (`f64` included), with the Test
    /// Set's arithmetic (division by `ε`).
    #[inline]
    pub fn rhs_generic<T: DualNum<Primitive = f64> + Copy>(&self, _t: T, y: &[T], dy: &mut [T]) {
        dy[0] = y[1];
        dy[1] = ((-(y[0] * y[0]) + 1.0) * y[1] - y[0]) / self.eps;
    }

    /// Analytic Jacobian `∂f/∂y`, dense row-major (`jac[2 i + j] = ∂f_i/∂y_j`).
    pub fn jacobian_row_major(&self, _t: f64, y: &[f64], jac: &mut [f64]) {
        let e = self.eps;
        jac[..4].copy_from_slice(&[
            0.0,
            1.0,
            (-2.0 * y[0] * y[1] - 1.0) / e,
            (1.0 - y[0] * y[0]) / e,
        ]);
    }
}

impl OdeSystem for VanDerPolScaled {
    #[inline]
    fn dim(&self) -> usize {
        2
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
        const N: usize = 2;
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

/// The generic right-hand side and the Jacobian of the unscaled [`VanDerPol`] system (used by
/// the stiff entries `vdp1000` and `vdp1e6`).
impl VanDerPol {
    /// The right-hand side for any scalar type of `num-dual` (`f64` included), with the same
    /// arithmetic as [`VanDerPol`]'s `rhs` (and VDPOLM's `feval`).
    #[inline]
    pub fn rhs_generic<T: DualNum<Primitive = f64> + Copy>(&self, _t: T, y: &[T], dy: &mut [T]) {
        let (x, v) = (y[0], y[1]);
        dy[0] = v;
        dy[1] = (-(x * x) + 1.0) * self.mu * v - x;
    }

    /// Analytic Jacobian `∂f/∂y`, dense row-major (`jac[2 i + j] = ∂f_i/∂y_j`).
    pub fn jacobian_row_major(&self, _t: f64, y: &[f64], jac: &mut [f64]) {
        let mu = self.mu;
        jac[..4].copy_from_slice(&[
            0.0,
            1.0,
            -2.0 * mu * y[0] * y[1] - 1.0,
            mu * (1.0 - y[0] * y[0]),
        ]);
    }
}

pub(crate) fn entry_vdpol() -> Problem {
    let d = VanDerPolScaled::default();
    Problem::new(
        "vdpol",
        "stiff Van der Pol, Test Set VDPOL: y2' = ((1-y1^2)*y2-y1)/eps, eps = 1e-6 (mu = 1e3)",
        "Hairer & Wanner II, Sec. IV.1, IV.10; Mazzia & Magherini, Test Set for IVP Solvers, rel. \
         2.4, Univ. of Bari (2008), problem VDPOL",
        &["y1", "y2"],
        vec![Param::positive(
            "eps",
            d.eps,
            "eps = 1/mu^2 of the time-scaled form (the reference holds for 1e-6)",
        )],
        (0.0, VDPOL_T_END),
        VDPOL_Y0.to_vec(),
        Reference::Final {
            t: VDPOL_T_END,
            y: VDPOL_REFERENCE.to_vec(),
            source: "Mazzia & Magherini, Test Set for IVP Solvers, rel. 2.4 (Bari, 2008), problem \
                     VDPOL (eps = 1e-6), reference solution at t = 2",
        },
        System::VanDerPolScaled(d),
    )
}

fn mu_param(mu: f64) -> Param {
    Param::new(
        "mu",
        mu,
        "nonlinear damping of x'' = mu*(1-x^2)*x' - x (unscaled form)",
    )
}

pub(crate) fn entry_vdp1000() -> Problem {
    let d = VanDerPol { mu: 1.0e3 };
    Problem::new(
        "vdp1000",
        "stiff Van der Pol, unscaled, mu = 1e3, to t = 2000 (Test Set VDPOLM)",
        "Hairer & Wanner II, Sec. IV.1, IV.10; Mazzia & Magherini, Test Set for IVP Solvers, rel. \
         2.4, Univ. of Bari (2008), problem VDPOLM (VAN DER POL modified)",
        &["x", "v"],
        vec![mu_param(d.mu)],
        (0.0, VDPOLM_T_END),
        VDPOL_Y0.to_vec(),
        Reference::Final {
            t: VDPOLM_T_END,
            y: VDPOLM_REFERENCE.to_vec(),
            source: "Mazzia & Magherini, Test Set for IVP Solvers, rel. 2.4 (Bari, 2008), problem \
                     VDPOLM (mu = 1000), reference solution at t = 2000",
        },
        System::VanDerPol(d),
    )
}

pub(crate) fn entry_vdp1e6() -> Problem {
    let d = VanDerPol { mu: 1.0e6 };
    Problem::new(
        "vdp1e6",
        "very stiff Van der Pol, unscaled, mu = 1e6, to t = 2e6 (no published reference)",
        "Hairer & Wanner II, Sec. IV.1; span and start as the Test Set's VDPOLM with mu = 1e6",
        &["x", "v"],
        vec![mu_param(d.mu)],
        (0.0, 2.0e6),
        VDPOL_Y0.to_vec(),
        Reference::None,
        System::VanDerPol(d),
    )
}
