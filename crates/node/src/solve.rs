//! Solver options of training and forward predictions.
//!
//! Gradients for training come from `ai4de-ode`'s
//! [`DiscreteAdjoint`](ai4de_ode::sensitivity::DiscreteAdjoint) on the network right-hand
//! side's [`NeuralSystem`](crate::NeuralSystem) view (see [`crate::loss_gradient`]): the exact
//! gradient of the computed solution ("discretise-then-optimise"; Hairer, Lubich & Wanner,
//! *Geometric Numerical Integration*, §VI.4; Sandu 2006), one recorded forward solve and one
//! reverse sweep of network VJPs that reuse the forward pass's activations. The step sizes are
//! those of `ai4de-ode`'s adaptive stepping (its PI controller), treated as constants of the
//! recorded solve, as diffrax does. With [`SolveOptions::dense`] the steps cross the save times
//! and the values there come from the continuous extension, as in `torchdiffeq`.

use ai4de_ode::tableau::ButcherTableau;
use ai4de_ode::{Method, OdeSystem, Options, SaveAt, Solve, Tolerance};

use crate::mlp::check_finite;
use crate::NodeError;

/// Options of the solves of training and prediction.
#[derive(Debug, Clone, Copy)]
pub struct SolveOptions {
    /// The explicit Runge–Kutta method (default Dormand–Prince 5(4), `torchdiffeq`'s `dopri5`).
    pub tableau: &'static ButcherTableau,
    pub rtol: f64,
    pub atol: f64,
    /// A fixed step (steps of this size, a shorter one to end on each save time); `None` means
    /// adaptive (the tableau must then have an embedded error estimate).
    pub fixed_step: Option<f64>,
    /// Maximum number of accepted plus rejected steps per solve.
    pub max_steps: usize,
    /// Adaptive solves only: step across the save times and evaluate the solution there with
    /// the tableau's continuous extension (as `torchdiffeq` does), instead of ending a step on
    /// every save time. Fewer steps when the save times are dense; the discrete adjoint then
    /// differentiates the interpolant too (its extra stages included, e.g. Vern7's).
    pub dense: bool,
}

impl Default for SolveOptions {
    fn default() -> Self {
        Self {
            tableau: &ai4de_ode::methods::dp5::TABLEAU,
            rtol: 1e-7,
            atol: 1e-9,
            fixed_step: None,
            max_steps: 100_000,
            dense: false,
        }
    }
}

impl SolveOptions {
    /// The `ai4de-ode` method of [`SolveOptions::tableau`]. Errors on a tableau that is not one
    /// of the built-in explicit methods.
    pub fn method(&self) -> Result<Method, NodeError> {
        Method::ALL
            .into_iter()
            .find(|m| {
                m.explicit_tableau()
                    .is_some_and(|t| std::ptr::eq(t, self.tableau) || t.name == self.tableau.name)
            })
            .ok_or_else(|| NodeError::InvalidConfig {
                what: "method",
                reason: format!("{} is not a built-in explicit method", self.tableau.name),
            })
    }

    /// The `ai4de-ode` solver options: tolerances, step limit, fixed step.
    pub fn ode_options(&self) -> Options {
        Options {
            rtol: Tolerance::Scalar(self.rtol),
            atol: Tolerance::Scalar(self.atol),
            max_steps: self.max_steps,
            dt: self.fixed_step,
            ..Options::default()
        }
    }

    /// Checks the options (see [`SolveOptions`]).
    pub fn validate(&self) -> Result<(), NodeError> {
        validate_options(self)?;
        self.method().map(|_| ())
    }
}

/// The solution of `sys` from `y0` at the times `t` (`t[0]` included; row `k` for `t[k]`) by a
/// forward solve with the options `opts`: the solver's save-at values (continuous extension).
pub fn predict<S: OdeSystem + ?Sized>(
    sys: &S,
    y0: &[f64],
    t: &[f64],
    opts: &SolveOptions,
) -> Result<Vec<f64>, NodeError> {
    validate_times(t)?;
    opts.validate()?;
    let mut o = opts.ode_options();
    o.save_at = SaveAt::Times(t.to_vec());
    let sol = Solve::new(sys, (t[0], t[t.len() - 1]), y0)
        .method(opts.method()?)
        .options(o)
        .run()?;
    Ok(sol.y)
}

pub(crate) fn validate_times(t: &[f64]) -> Result<(), NodeError> {
    if t.is_empty() {
        return Err(NodeError::InvalidTimes {
            reason: "no save times".into(),
        });
    }
    check_finite("save time", t)?;
    if let Some(k) = t.windows(2).position(|w| w[1] <= w[0]) {
        return Err(NodeError::InvalidTimes {
            reason: format!(
                "save times must increase strictly (t[{}] = {} ≥ t[{}] = {})",
                k,
                t[k],
                k + 1,
                t[k + 1]
            ),
        });
    }
    Ok(())
}

fn validate_options(o: &SolveOptions) -> Result<(), NodeError> {
    if let Some(h) = o.fixed_step {
        if !(h.is_finite() && h > 0.0) {
            return Err(NodeError::InvalidConfig {
                what: "fixed step",
                reason: format!("must be positive and finite, got {h}"),
            });
        }
    } else {
        if !o.tableau.is_adaptive() {
            return Err(NodeError::InvalidConfig {
                what: "method",
                reason: format!(
                    "{} has no error estimate: give a fixed step",
                    o.tableau.name
                ),
            });
        }
        if !(o.rtol >= 0.0
            && o.atol >= 0.0
            && o.rtol + o.atol > 0.0
            && o.rtol.is_finite()
            && o.atol.is_finite())
        {
            return Err(NodeError::InvalidConfig {
                what: "tolerances",
                reason: format!("rtol = {}, atol = {}", o.rtol, o.atol),
            });
        }
    }
    if o.max_steps == 0 {
        return Err(NodeError::InvalidConfig {
            what: "max_steps",
            reason: "must be positive".into(),
        });
    }
    Ok(())
}
