//! `decay`: scalar exponential decay, the simplest problem with an exact solution.

use crate::OdeSystem;

use super::{Param, Problem, Reference, System};

/// Exponential decay (or growth) `y' = λ y`.
///
/// * Exact solution: `y(t) = y0 · exp(λ (t − t0))`.
/// * Parameter: `lambda` (default `−1`).
/// * Default problem: `y(0) = 1`, `t ∈ [0, 10]`.
/// * Source: Dahlquist's test equation; e.g. Hairer–Nørsett–Wanner I, §I.13 and II.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Decay {
    /// Rate `λ`; negative for decay.
    pub lambda: f64,
}

impl Default for Decay {
    fn default() -> Self {
        Self { lambda: -1.0 }
    }
}

impl Decay {
    /// The exact solution at `t` through `y(t0) = y0`.
    pub fn exact(&self, t0: f64, y0: f64, t: f64) -> f64 {
        y0 * (self.lambda * (t - t0)).exp()
    }

    pub(crate) fn param_mut(&mut self, name: &str) -> Option<&mut f64> {
        match name {
            "lambda" => Some(&mut self.lambda),
            _ => None,
        }
    }
}

impl OdeSystem for Decay {
    #[inline]
    fn dim(&self) -> usize {
        1
    }
    #[inline]
    fn rhs(&self, _t: f64, y: &[f64], dy: &mut [f64]) {
        dy[0] = self.lambda * y[0];
    }
}

fn exact(t: f64, params: &[f64], t0: f64, y0: &[f64]) -> Vec<f64> {
    vec![Decay { lambda: params[0] }.exact(t0, y0[0], t)]
}

pub(crate) fn entry() -> Problem {
    let d = Decay::default();
    Problem::new(
        "decay",
        "exponential decay y' = lambda*y (exact solution)",
        "Dahlquist's test equation; Hairer, Norsett & Wanner, Solving ODEs I (2nd ed., 1993)",
        &["y"],
        vec![Param::new("lambda", d.lambda, "rate (negative: decay)")],
        (0.0, 10.0),
        vec![1.0],
        Reference::Exact(exact),
        System::Decay(d),
    )
}
