//! Sensitivities of solutions with respect to parameters and initial states: forward
//! sensitivity equations, continuous and discrete adjoints, and a gradient check.
//!
//! # The parametric system
//!
//! A [`ParametricSystem`] is an [`OdeSystem`] `y' = f(t, y; p)` with `n_p` real parameters `p`
//! (the catalogue's [`Problem`](crate::problems::Problem) implements it, in the order of
//! [`Problem::params`](crate::problems::Problem::params)). Its one essential capability is the
//! right-hand side on dual numbers *in both `y` and `p`*
//! ([`ParametricSystem::rhs_params_dual`]): one evaluation gives `∂f/∂y·v + ∂f/∂p·w` exactly,
//! for any directions `v`, `w`. Write `f` once, generic over
//! [`DualScalar`](crate::jacobian::DualScalar), and forward `rhs`, `rhs_dual`,
//! `rhs_params_dual` and `rhs_params_hyperdual` to it:
//!
//! ```
//! use ai4de_ode::jacobian::{DualScalar, JacDual};
//! use ai4de_ode::sensitivity::{HyperDual64, ParametricSystem};
//! use ai4de_ode::{OdeError, OdeSystem};
//!
//! /// Logistic growth y' = r y (1 − y/K), parameters p = (r, K).
//! struct Logistic { p: [f64; 2] }
//!
//! fn logistic<T: DualScalar>(y: &[T], p: &[T], dy: &mut [T]) {
//!     dy[0] = p[0] * y[0] * (-(y[0] / p[1]) + 1.0);
//! }
//!
//! impl OdeSystem for Logistic {
//!     fn dim(&self) -> usize { 1 }
//!     fn rhs(&self, _t: f64, y: &[f64], dy: &mut [f64]) { logistic(y, &self.p, dy) }
//!     fn rhs_dual(&self, _t: JacDual, y: &[JacDual], dy: &mut [JacDual]) -> bool {
//!         logistic(y, &self.p.map(JacDual::from), dy);
//!         true
//!     }
//! }
//!
//! impl ParametricSystem for Logistic {
//!     fn n_params(&self) -> usize { 2 }
//!     fn param_values(&self) -> Vec<f64> { self.p.to_vec() }
//!     fn set_params(&mut self, p: &[f64]) -> Result<(), OdeError> {
//!         ai4de_ode::sensitivity::check_params(p, 2)?;
//!         self.p.copy_from_slice(p);
//!         Ok(())
//!     }
//!     fn rhs_params_dual(&self, _t: JacDual, y: &[JacDual], p: &[JacDual], dy: &mut [JacDual]) -> bool {
//!         logistic(y, p, dy);
//!         true
//!     }
//!     fn rhs_params_hyperdual(&self, _t: HyperDual64, y: &[HyperDual64], p: &[HyperDual64], dy: &mut [HyperDual64]) -> bool {
//!         logistic(y, p, dy);
//!         true
//!     }
//! }
//! ```
//!
//! The hyper-dual form (`num_dual::HyperDual64`, second derivatives) is optional: it gives the
//! augmented forward-sensitivity system an exact Jacobian, which the stiff methods need
//! (without it they fall back to finite differences of the augmented system). Optional
//! vector–Jacobian products [`ParametricSystem::vjp_y`] / [`ParametricSystem::vjp_p`] make
//! adjoints cost `O(1)` evaluations instead of `O(n + n_p)` dual evaluations (a network term
//! implements them with its own reverse mode).
//!
//! # Forward sensitivities
//!
//! [`ForwardSensitivity`] solves `y' = f(t, y; p)` together with the sensitivity equations
//! (Hairer, Nørsett & Wanner I, §I.14, eq. (14.11); CVODES user guide §2.6)
//!
//! ```text
//! s_j' = ∂f/∂y (t, y; p) s_j + ∂f/∂p_j (t, y; p),   s_j(t0) = 0          for a parameter p_j
//! s_j' = ∂f/∂y (t, y; p) s_j,                      s_j(t0) = e_k        for an initial state y0_k
//! ```
//!
//! as one augmented [`OdeSystem`] of dimension `n (1 + m)` ("simultaneous corrector" in CVODES'
//! terms), so every method of the crate solves it, the stiff ones included. See
//! [`ForwardSensitivity`] for the output.
//!
//! # Adjoint sensitivities of a scalar loss
//!
//! For `L = Σ_i ℓ_i(y(t_i)) + ∫ g(t, y, p) dt` ([`TrajectoryLoss`]; [`SquaredError`] is the
//! least-squares misfit of a fit), the gradient `(∂L/∂p, ∂L/∂y0)` costs one forward and one
//! backward solve whatever the number of parameters:
//!
//! * [`ContinuousAdjoint`]: `λ' = −Jᵀλ − ∂g/∂y`, `μ' = −(∂f/∂p)ᵀλ − ∂g/∂p` solved backward by
//!   any method (stiff ones included: the adjoint system's exact Jacobian is provided) against
//!   the stored forward trajectory (Hermite between accepted steps: quintic after explicit,
//!   cubic after implicit methods).
//! * [`DiscreteAdjoint`]: the exact gradient of an explicit Runge–Kutta method's computed
//!   solution with its step sequence frozen (reverse sweep through each step's stages).
//!
//! Which to use: forward sensitivities cost about `1 + m` right-hand-side evaluations per
//! step for `m` columns, and give the whole `∂y(t_i)/∂(p, y0)` (what Levenberg–Marquardt
//! needs); an adjoint gives one gradient for the price of roughly two to four solves plus the
//! vector–Jacobian products, which are `n + n_p` dual evaluations each unless the system
//! provides [`ParametricSystem::vjp_y`] / [`ParametricSystem::vjp_p`]. So the adjoint pays off
//! for many parameters *and* cheap VJPs; with dual-number VJPs, forward mode is usually as
//! fast up to `m ≈ n`. [`LossGradient`] with [`SensitivityMode::Auto`] makes this choice by
//! the number of gradient entries, with thresholds measured by `bench/sensitivity/`; its
//! adjoint is the discrete one for explicit methods and point losses, the continuous one
//! otherwise.
//!
//! # Checking a gradient
//!
//! [`gradient_check`] computes the gradient of a loss by every applicable mode and by central
//! finite differences (Richardson-extrapolated, with an error estimate) and prints a table of
//! per-entry relative errors with a pass/fail verdict: run it after writing a dual right-hand
//! side or a VJP by hand.
use num_dual::Dual64;
pub use num_dual::HyperDual64;

use crate::error::OdeError;
use crate::system::OdeSystem;

mod adjoint;
mod check;
mod discrete;
mod forward;
mod mode;
mod tape;

pub use adjoint::{ContinuousAdjoint, Gradient, SquaredError, TrajectoryLoss};
pub use check::{
    gradient_check, CheckedMode, GradientCheckOptions, GradientCheckReport, ModeCheck, ModeResult,
};
pub use discrete::{replay, replay_observations, DiscreteAdjoint, DiscreteGradient};
pub use forward::{ForwardSensitivity, SensColumn, SensitivitySolution};
pub use mode::{
    has_vjp, LossGradient, SensitivityMode, AUTO_ADJOINT_MIN_ENTRIES_DUAL,
    AUTO_ADJOINT_MIN_ENTRIES_WITH_VJP,
};

/// An [`OdeSystem`] `y' = f(t, y; p)` with `n_params` real parameters `p`; see the
/// [module docs](self).
///
/// The parameter values the solver differentiates at are [`ParametricSystem::param_values`]; the
/// `p` handed to [`ParametricSystem::rhs_params_dual`] always carries those values (with
/// derivative parts), and `rhs` must agree with `rhs_params_dual` at them.
pub trait ParametricSystem: OdeSystem {
    /// Number of parameters `n_p`.
    fn n_params(&self) -> usize;

    /// The current parameter values (length [`ParametricSystem::n_params`]).
    fn param_values(&self) -> Vec<f64>;

    /// Sets all parameters. Errors: wrong length, non-finite or out-of-domain values
    /// ([`OdeError::InvalidParameter`]); on error nothing changes.
    fn set_params(&mut self, p: &[f64]) -> Result<(), OdeError>;

    /// Parameter names, for messages and output (default `p0, p1, ...`).
    fn param_names(&self) -> Vec<String> {
        (0..self.n_params()).map(|i| format!("p{i}")).collect()
    }

    /// `f(t, y; p)` on dual numbers in `t`, `y` and `p`. Returns whether it is provided
    /// (default `false`; forward sensitivities and dual-number VJPs need it).
    fn rhs_params_dual(&self, t: Dual64, y: &[Dual64], p: &[Dual64], dy: &mut [Dual64]) -> bool {
        let _ = (t, y, p, dy);
        false
    }

    /// `f(t, y; p)` on hyper-dual numbers (two directions and their mixed second derivative):
    /// gives the augmented forward-sensitivity system its exact Jacobian. Returns whether it is
    /// provided (default `false`).
    fn rhs_params_hyperdual(
        &self,
        t: HyperDual64,
        y: &[HyperDual64],
        p: &[HyperDual64],
        dy: &mut [HyperDual64],
    ) -> bool {
        let _ = (t, y, p, dy);
        false
    }

    /// Vector–Jacobian product `out = (∂f/∂y)ᵀ w` at `(t, y)` and the current parameters.
    /// Returns whether it is provided (default `false`: `n` dual evaluations are used instead).
    fn vjp_y(&self, t: f64, y: &[f64], w: &[f64], out: &mut [f64]) -> bool {
        let _ = (t, y, w, out);
        false
    }

    /// Vector–Jacobian product `out = (∂f/∂p)ᵀ w` (length `n_params`) at `(t, y)` and the
    /// current parameters. Returns whether it is provided (default `false`: `n_params` dual
    /// evaluations are used instead).
    fn vjp_p(&self, t: f64, y: &[f64], w: &[f64], out: &mut [f64]) -> bool {
        let _ = (t, y, w, out);
        false
    }

    /// Both vector–Jacobian products in one call: `out_y = (∂f/∂y)ᵀ w` (overwritten) and
    /// `acc_p += (∂f/∂p)ᵀ w` (accumulated). Returns whether it is provided (default `false`:
    /// [`ParametricSystem::vjp_y`] and [`ParametricSystem::vjp_p`] are used). Worth providing
    /// when the two share work, as a network's reverse pass does: the discrete adjoint asks for
    /// both at every stage.
    fn vjp_accumulate(
        &self,
        t: f64,
        y: &[f64],
        w: &[f64],
        out_y: &mut [f64],
        acc_p: &mut [f64],
    ) -> bool {
        let _ = (t, y, w, out_y, acc_p);
        false
    }

    /// `dy = f(t, y; p)` for the recorded forward pass of [`DiscreteAdjoint`], which will ask
    /// for the vector–Jacobian product at this point later ([`ParametricSystem::vjp_slot`] with
    /// the same `slot`): a system whose products share intermediate values with its evaluation
    /// (a network's activations) may keep them under `slot`, overwriting what was kept there.
    /// Slots are small integers (a few per recorded step). Default: [`OdeSystem::rhs`], nothing
    /// kept.
    fn rhs_slot(&self, t: f64, y: &[f64], dy: &mut [f64], slot: usize) {
        let _ = slot;
        self.rhs(t, y, dy);
    }

    /// [`ParametricSystem::vjp_accumulate`] at the point last evaluated by
    /// [`ParametricSystem::rhs_slot`] under `slot` (the same `y`, and `t` up to rounding), from
    /// what was kept there. Returns whether it is provided (default `false`: the other
    /// products are used).
    fn vjp_slot(
        &self,
        slot: usize,
        t: f64,
        y: &[f64],
        w: &[f64],
        out_y: &mut [f64],
        acc_p: &mut [f64],
    ) -> bool {
        let _ = (slot, t, y, w, out_y, acc_p);
        false
    }
}

/// Checks a parameter vector's length and finiteness (for [`ParametricSystem::set_params`]
/// implementations).
pub fn check_params(p: &[f64], n_params: usize) -> Result<(), OdeError> {
    if p.len() != n_params {
        return Err(OdeError::DimensionMismatch {
            what: "parameters",
            expected: n_params,
            found: p.len(),
        });
    }
    if let Some(i) = p.iter().position(|v| !v.is_finite()) {
        return Err(OdeError::NonFiniteInput {
            what: "parameter",
            index: Some(i),
            value: p[i],
        });
    }
    Ok(())
}
