//! `vdp`: the Van der Pol oscillator, started on its limit cycle.

use crate::OdeSystem;

use super::{Param, Problem, Reference, System};

/// Amplitude of the Van der Pol limit cycle for `μ = 1`: the cycle passes through `(A, 0)`.
#[allow(clippy::excessive_precision)]
pub const VDP_MU1_AMPLITUDE: f64 = 2.008_619_860_874_843_136_509_401_88;

/// Period of the Van der Pol limit cycle for `μ = 1`.
#[allow(clippy::excessive_precision)]
pub const VDP_MU1_PERIOD: f64 = 6.663_286_859_323_130_189_699_682_030_5;

/// The Van der Pol oscillator `x'' = μ (1 − x²) x' − x` as the system
///
/// ```text
/// x' = v
/// v' = μ (1 − x²) v − x
/// ```
///
/// * Parameter: `mu` (default 1: non-stiff; it becomes stiff for `μ ≫ 1`).
/// * Default problem: `(x, v)(0) = (A, 0)` with `A = 2.00861986087484313650940188`, which lies on
///   the limit cycle, and `t ∈ [0, 20]` (three cycles). The cycle's period for `μ = 1` is
///   `T = 6.6632868593231301896996820305`, so `y(T) = y(0)`.
/// * Source: B. van der Pol, Phil. Mag. 2 (1926) 978–992; the limit-cycle amplitude and period
///   for `μ = 1` are the values quoted with Hairer, Nørsett & Wanner I (periodic solutions of
///   Van der Pol's equation) and reproduced independently, e.g. P. Amore et al.,
///   arXiv:2111.12198 (`T = 6.663286859323130`); `tests/reference.rs` re-checks them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VanDerPol {
    pub mu: f64,
}

impl Default for VanDerPol {
    fn default() -> Self {
        Self { mu: 1.0 }
    }
}

impl VanDerPol {
    pub(crate) fn param_mut(&mut self, name: &str) -> Option<&mut f64> {
        match name {
            "mu" => Some(&mut self.mu),
            _ => None,
        }
    }
}

impl OdeSystem for VanDerPol {
    #[inline]
    fn dim(&self) -> usize {
        2
    }
    #[inline]
    fn rhs(&self, _t: f64, y: &[f64], dy: &mut [f64]) {
        let (x, v) = (y[0], y[1]);
        dy[0] = v;
        dy[1] = self.mu * (1.0 - x * x) * v - x;
    }
}

pub(crate) fn entry() -> Problem {
    let d = VanDerPol::default();
    Problem::new(
        "vdp",
        "Van der Pol oscillator x'' = mu*(1-x^2)*x' - x, started on its limit cycle",
        "B. van der Pol, Phil. Mag. 2 (1926) 978-992; limit cycle for mu=1 as quoted with Hairer, \
         Norsett & Wanner I",
        &["x", "v"],
        vec![Param::new(
            "mu",
            d.mu,
            "nonlinear damping (stiff for mu >> 1; the period reference holds for mu = 1)",
        )],
        (0.0, 20.0),
        vec![VDP_MU1_AMPLITUDE, 0.0],
        Reference::Period {
            period: VDP_MU1_PERIOD,
            source: "Van der Pol limit cycle for mu = 1 (HNW I; arXiv:2111.12198)",
        },
        System::VanDerPol(d),
    )
}
