//! `fhn`: the FitzHugh–Nagumo model of an excitable neuron with an input current.

use crate::OdeSystem;

use super::{Param, Problem, Reference, System};

/// FitzHugh–Nagumo equations
///
/// ```text
/// v' = v − v³/3 − w + I
/// w' = (v + a − b w) / τ
/// ```
///
/// * Parameters: `a = 0.7`, `b = 0.8`, `tau = 12.5`, `current = 0.5` (FitzHugh's classic values;
///   with this input the rest state is unstable and the model spikes periodically, period ≈ 39.5).
/// * Default problem: `(v, w)(0) = (−1, 1)`, `t ∈ [0, 200]` (five spikes).
/// * Source: R. FitzHugh, Biophys. J. 1 (1961) 445–466; J. Nagumo, S. Arimoto and S. Yoshizawa,
///   Proc. IRE 50 (1962) 2061–2070.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FitzHughNagumo {
    pub a: f64,
    pub b: f64,
    /// Time-scale ratio `τ` (`1/ε`) of the recovery variable.
    pub tau: f64,
    /// External input current `I`.
    pub current: f64,
}

impl Default for FitzHughNagumo {
    fn default() -> Self {
        Self {
            a: 0.7,
            b: 0.8,
            tau: 12.5,
            current: 0.5,
        }
    }
}

impl FitzHughNagumo {
    pub(crate) fn param_mut(&mut self, name: &str) -> Option<&mut f64> {
        match name {
            "a" => Some(&mut self.a),
            "b" => Some(&mut self.b),
            "tau" => Some(&mut self.tau),
            "current" => Some(&mut self.current),
            _ => None,
        }
    }
}

impl OdeSystem for FitzHughNagumo {
    #[inline]
    fn dim(&self) -> usize {
        2
    }
    #[inline]
    fn rhs(&self, _t: f64, y: &[f64], dy: &mut [f64]) {
        let (v, w) = (y[0], y[1]);
        dy[0] = v - v * v * v / 3.0 - w + self.current;
        dy[1] = (v + self.a - self.b * w) / self.tau;
    }
}

pub(crate) fn entry() -> Problem {
    let d = FitzHughNagumo::default();
    Problem::new(
        "fhn",
        "FitzHugh-Nagumo excitable neuron with input current (periodic spiking)",
        "R. FitzHugh, Biophys. J. 1 (1961) 445-466; J. Nagumo, S. Arimoto & S. Yoshizawa, Proc. \
         IRE 50 (1962) 2061-2070",
        &["v", "w"],
        vec![
            Param::new("a", d.a, "recovery offset"),
            Param::new("b", d.b, "recovery damping"),
            Param::positive("tau", d.tau, "recovery time scale (1/epsilon)"),
            Param::new("current", d.current, "external input current I"),
        ],
        (0.0, 200.0),
        vec![-1.0, 1.0],
        Reference::None,
        System::FitzHughNagumo(d),
    )
}
