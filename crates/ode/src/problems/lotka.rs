//! `lotka`: the Lotka–Volterra predator–prey model.

use crate::OdeSystem;

use super::{Param, Problem, Reference, System};

/// Lotka–Volterra predator–prey equations
///
/// ```text
/// x' = α x − β x y      (prey)
/// y' = δ x y − γ y      (predators)
/// ```
///
/// * Parameters: `alpha = 1.5`, `beta = 1`, `gamma = 3`, `delta = 1`.
/// * Default problem: `(x, y)(0) = (1, 1)`, `t ∈ [0, 10]` (about three cycles).
/// * Invariant: `V(x, y) = δ x − γ ln x + β y − α ln y` is constant along solutions in the
///   positive quadrant ([`LotkaVolterra::invariant`]); solutions are periodic.
/// * Source: A. J. Lotka, Elements of Physical Biology (1925); V. Volterra, Mem. R. Accad. Lincei 2
///   (1926); see Hairer, Nørsett & Wanner I, §I.16, and Hairer, Lubich & Wanner, Geometric
///   Numerical Integration, §I.1.1. Parameter values as in the DifferentialEquations.jl tutorial.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LotkaVolterra {
    pub alpha: f64,
    pub beta: f64,
    pub gamma: f64,
    pub delta: f64,
}

impl Default for LotkaVolterra {
    fn default() -> Self {
        Self {
            alpha: 1.5,
            beta: 1.0,
            gamma: 3.0,
            delta: 1.0,
        }
    }
}

impl LotkaVolterra {
    /// The conserved quantity `δ x − γ ln x + β y − α ln y` (defined for `x, y > 0`).
    pub fn invariant(&self, y: &[f64]) -> f64 {
        self.delta * y[0] - self.gamma * y[0].ln() + self.beta * y[1] - self.alpha * y[1].ln()
    }

    pub(crate) fn param_mut(&mut self, name: &str) -> Option<&mut f64> {
        match name {
            "alpha" => Some(&mut self.alpha),
            "beta" => Some(&mut self.beta),
            "gamma" => Some(&mut self.gamma),
            "delta" => Some(&mut self.delta),
            _ => None,
        }
    }
}

impl OdeSystem for LotkaVolterra {
    #[inline]
    fn dim(&self) -> usize {
        2
    }
    #[inline]
    fn rhs(&self, _t: f64, y: &[f64], dy: &mut [f64]) {
        let (x, p) = (y[0], y[1]);
        dy[0] = (self.alpha - self.beta * p) * x;
        dy[1] = (self.delta * x - self.gamma) * p;
    }
}

pub(crate) fn entry() -> Problem {
    let d = LotkaVolterra::default();
    Problem::new(
        "lotka",
        "Lotka-Volterra predator-prey model (periodic, one conserved quantity)",
        "A. J. Lotka, Elements of Physical Biology (1925); V. Volterra (1926); Hairer, Norsett & \
         Wanner I, Sec. I.16",
        &["prey", "predator"],
        vec![
            Param::new("alpha", d.alpha, "prey growth rate"),
            Param::new("beta", d.beta, "predation rate"),
            Param::new("gamma", d.gamma, "predator death rate"),
            Param::new("delta", d.delta, "predator growth per prey eaten"),
        ],
        (0.0, 10.0),
        vec![1.0, 1.0],
        Reference::None,
        System::LotkaVolterra(d),
    )
}
