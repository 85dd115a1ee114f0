//! `lorenz`: the Lorenz (1963) convection model, the classic chaotic system.

use crate::OdeSystem;

use super::{Param, Problem, Reference, System};

/// The Lorenz system
///
/// ```text
/// x' = σ (y − x)
/// y' = x (ρ − z) − y
/// z' = x y − β z
/// ```
///
/// * Parameters: `sigma = 10`, `rho = 28`, `beta = 8/3` (Lorenz's values, chaotic regime).
/// * Default problem: `(x, y, z)(0) = (−8, 8, 27)` (the initial value used by Hairer–Nørsett–Wanner I,
///   §I.16), `t ∈ [0, 20]`.
/// * Reference: none published; the solution is chaotic (largest Lyapunov exponent ≈ 0.9), so
///   errors grow like `e^{0.9 t}`. Tests compare two high-accuracy solvers on short spans.
/// * Source: E. N. Lorenz, "Deterministic nonperiodic flow", J. Atmos. Sci. 20 (1963) 130–141.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Lorenz {
    pub sigma: f64,
    pub rho: f64,
    pub beta: f64,
}

impl Default for Lorenz {
    fn default() -> Self {
        Self {
            sigma: 10.0,
            rho: 28.0,
            beta: 8.0 / 3.0,
        }
    }
}

impl Lorenz {
    pub(crate) fn param_mut(&mut self, name: &str) -> Option<&mut f64> {
        match name {
            "sigma" => Some(&mut self.sigma),
            "rho" => Some(&mut self.rho),
            "beta" => Some(&mut self.beta),
            _ => None,
        }
    }
}

impl OdeSystem for Lorenz {
    #[inline]
    fn dim(&self) -> usize {
        3
    }
    #[inline]
    fn rhs(&self, _t: f64, y: &[f64], dy: &mut [f64]) {
        let (x, yy, z) = (y[0], y[1], y[2]);
        dy[0] = self.sigma * (yy - x);
        dy[1] = x * (self.rho - z) - yy;
        dy[2] = x * yy - self.beta * z;
    }
}

pub(crate) fn entry() -> Problem {
    let d = Lorenz::default();
    Problem::new(
        "lorenz",
        "Lorenz 1963 convection model (chaotic at sigma=10, rho=28, beta=8/3)",
        "E. N. Lorenz, Deterministic nonperiodic flow, J. Atmos. Sci. 20 (1963) 130-141; \
         initial value from Hairer, Norsett & Wanner I, Sec. I.16",
        &["x", "y", "z"],
        vec![
            Param::new("sigma", d.sigma, "Prandtl number"),
            Param::new("rho", d.rho, "Rayleigh number (scaled)"),
            Param::new("beta", d.beta, "geometric factor"),
        ],
        (0.0, 20.0),
        vec![-8.0, 8.0, 27.0],
        Reference::None,
        System::Lorenz(d),
    )
}
