//! `arenstorf`: a periodic orbit of the restricted three-body problem.
// Published constants are kept with all their digits.
#![allow(clippy::excessive_precision)]

use crate::OdeSystem;

use super::{Param, Problem, Reference, System};

/// Published period of the Arenstorf orbit for the default `μ` and initial state
/// (Hairer–Nørsett–Wanner I, §II.0, eq. (0.2)).
pub const ARENSTORF_PERIOD: f64 = 17.065_216_560_157_962_558_891_720_624_9;

/// Initial state `(x, y, x', y')` of the periodic Arenstorf orbit (HNW I, §II.0, eq. (0.2)).
pub const ARENSTORF_Y0: [f64; 4] = [0.994, 0.0, 0.0, -2.001_585_106_379_082_522_405_378_622_24];

/// Restricted three-body problem in the rotating frame (Earth, Moon, a satellite of negligible
/// mass), with `μ' = 1 − μ`:
///
/// ```text
/// x'' = x + 2y' − μ' (x + μ)/D1 − μ (x − μ')/D2
/// y'' = y − 2x' − μ' y/D1       − μ y/D2
/// D1 = ((x + μ)² + y²)^{3/2},  D2 = ((x − μ')² + y²)^{3/2}
/// ```
///
/// written as the first-order system in `(x, y, vx, vy)`.
///
/// * Parameter: `mu = 0.012277471` (Moon/(Earth+Moon) mass ratio).
/// * Default problem: `(x, y, vx, vy)(0) = (0.994, 0, 0, −2.00158510637908252240537862224)`,
///   `t ∈ [0, T]` with the period `T = 17.0652165601579625588917206249`: the orbit closes on itself,
///   `y(T) = y(0)`.
/// * Invariant: the Jacobi integral `½(vx² + vy²) − ½(x² + y²) − μ'/r1 − μ/r2`
///   ([`Arenstorf::jacobi`]).
/// * Source: R. F. Arenstorf, Amer. J. Math. 85 (1963) 27–35; Hairer, Nørsett & Wanner,
///   Solving ODEs I, §II.0, eq. (0.1)–(0.2).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Arenstorf {
    /// Mass ratio `μ` of the smaller primary.
    pub mu: f64,
}

impl Default for Arenstorf {
    fn default() -> Self {
        Self { mu: 0.012_277_471 }
    }
}

impl Arenstorf {
    /// The Jacobi integral `½|v|² − ½(x² + y²) − μ'/r1 − μ/r2`, constant along solutions.
    pub fn jacobi(&self, y: &[f64]) -> f64 {
        let mu = self.mu;
        let mu1 = 1.0 - mu;
        let r1 = ((y[0] + mu).powi(2) + y[1] * y[1]).sqrt();
        let r2 = ((y[0] - mu1).powi(2) + y[1] * y[1]).sqrt();
        0.5 * (y[2] * y[2] + y[3] * y[3]) - 0.5 * (y[0] * y[0] + y[1] * y[1]) - mu1 / r1 - mu / r2
    }

    pub(crate) fn param_mut(&mut self, name: &str) -> Option<&mut f64> {
        match name {
            "mu" => Some(&mut self.mu),
            _ => None,
        }
    }
}

impl OdeSystem for Arenstorf {
    #[inline]
    fn dim(&self) -> usize {
        4
    }
    #[inline]
    fn rhs(&self, _t: f64, y: &[f64], dy: &mut [f64]) {
        let mu = self.mu;
        let mu1 = 1.0 - mu;
        let (x, yy, vx, vy) = (y[0], y[1], y[2], y[3]);
        let a = x + mu;
        let b = x - mu1;
        let r1sq = a * a + yy * yy;
        let r2sq = b * b + yy * yy;
        let d1 = r1sq * r1sq.sqrt();
        let d2 = r2sq * r2sq.sqrt();
        dy[0] = vx;
        dy[1] = vy;
        dy[2] = x + 2.0 * vy - mu1 * a / d1 - mu * b / d2;
        dy[3] = yy - 2.0 * vx - mu1 * yy / d1 - mu * yy / d2;
    }
}

pub(crate) fn entry() -> Problem {
    let d = Arenstorf::default();
    Problem::new(
        "arenstorf",
        "Arenstorf periodic orbit of the restricted three-body problem (closes at t = T)",
        "R. F. Arenstorf, Amer. J. Math. 85 (1963) 27-35; Hairer, Norsett & Wanner I, Sec. II.0, \
         eq. (0.1)-(0.2)",
        &["x", "y", "vx", "vy"],
        vec![Param::positive(
            "mu",
            d.mu,
            "mass ratio of the smaller primary (Moon/(Earth+Moon))",
        )],
        (0.0, ARENSTORF_PERIOD),
        ARENSTORF_Y0.to_vec(),
        Reference::Period {
            period: ARENSTORF_PERIOD,
            source: "Hairer, Norsett & Wanner I, Sec. II.0, eq. (0.2)",
        },
        System::Arenstorf(d),
    )
}
