//! `linear`: the damped harmonic oscillator, a 2-D linear system with a closed-form solution.

use crate::OdeSystem;

use super::{Param, Problem, Reference, System};

/// Damped harmonic oscillator `x'' + 2ζω x' + ω² x = 0`, as the first-order system
///
/// ```text
/// x' = v
/// v' = −ω² x − 2ζω v
/// ```
///
/// * Exact solution: `y(t) = exp(A (t − t0)) y0` with `A = [[0, 1], [−ω², −2ζω]]`, evaluated in
///   closed form for the under-damped (`ζ < 1`), critically damped (`ζ = 1`) and over-damped
///   (`ζ > 1`) cases, see [`DampedOscillator::exact`].
/// * Parameters: `omega` (natural angular frequency, default 1), `zeta` (damping ratio, default 0.1).
/// * Default problem: `(x, v)(0) = (1, 0)`, `t ∈ [0, 20]` (about three periods).
/// * Source: any text on linear ODEs; the closed form is `exp(At) = e^{mt} (c(t) I + s(t) (A − mI))`
///   with `m = tr(A)/2`, from Cayley–Hamilton for 2×2 matrices.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DampedOscillator {
    /// Natural angular frequency `ω`.
    pub omega: f64,
    /// Damping ratio `ζ`.
    pub zeta: f64,
}

impl Default for DampedOscillator {
    fn default() -> Self {
        Self {
            omega: 1.0,
            zeta: 0.1,
        }
    }
}

impl DampedOscillator {
    /// The exact solution `(x, v)` at `t` through `(x, v)(t0) = y0`.
    ///
    /// With `A` as above, `m = −ζω` and `B = A − mI`, one has `B² = ω²(ζ² − 1) I =: d I`, hence
    /// `exp(At) = e^{mt} (c I + s B)` where `c = cos(kt)`, `s = sin(kt)/k`, `k = √(−d)` if `d < 0`;
    /// `c = cosh(kt)`, `s = sinh(kt)/k`, `k = √d` if `d > 0`; and `c = 1`, `s = t` if `d = 0`.
    pub fn exact(&self, t0: f64, y0: [f64; 2], t: f64) -> [f64; 2] {
        let (w, z) = (self.omega, self.zeta);
        let tau = t - t0;
        let m = -z * w;
        let d = w * w * (z * z - 1.0);
        let (c, s) = if d < 0.0 {
            let k = (-d).sqrt();
            ((k * tau).cos(), (k * tau).sin() / k)
        } else if d > 0.0 {
            let k = d.sqrt();
            ((k * tau).cosh(), (k * tau).sinh() / k)
        } else {
            (1.0, tau)
        };
        // B = [[ζω, 1], [−ω², −ζω]]
        let b = [[z * w, 1.0], [-w * w, -z * w]];
        let e = (m * tau).exp();
        let [x0, v0] = y0;
        [
            e * (c * x0 + s * (b[0][0] * x0 + b[0][1] * v0)),
            e * (c * v0 + s * (b[1][0] * x0 + b[1][1] * v0)),
        ]
    }

    pub(crate) fn param_mut(&mut self, name: &str) -> Option<&mut f64> {
        match name {
            "omega" => Some(&mut self.omega),
            "zeta" => Some(&mut self.zeta),
            _ => None,
        }
    }
}

impl OdeSystem for DampedOscillator {
    #[inline]
    fn dim(&self) -> usize {
        2
    }
    #[inline]
    fn rhs(&self, _t: f64, y: &[f64], dy: &mut [f64]) {
        let w = self.omega;
        dy[0] = y[1];
        dy[1] = -w * w * y[0] - 2.0 * self.zeta * w * y[1];
    }
}

fn exact(t: f64, params: &[f64], t0: f64, y0: &[f64]) -> Vec<f64> {
    let sys = DampedOscillator {
        omega: params[0],
        zeta: params[1],
    };
    sys.exact(t0, [y0[0], y0[1]], t).to_vec()
}

pub(crate) fn entry() -> Problem {
    let d = DampedOscillator::default();
    Problem::new(
        "linear",
        "damped harmonic oscillator x'' + 2*zeta*omega*x' + omega^2*x = 0 (exact solution)",
        "linear constant-coefficient ODE; closed-form matrix exponential (Cayley-Hamilton)",
        &["x", "v"],
        vec![
            Param::new("omega", d.omega, "natural angular frequency"),
            Param::new(
                "zeta",
                d.zeta,
                "damping ratio (<1 under-, =1 critically, >1 over-damped)",
            ),
        ],
        (0.0, 20.0),
        vec![1.0, 0.0],
        Reference::Exact(exact),
        System::Linear(d),
    )
}
