//! `pendulum2`: the planar double pendulum (point masses on massless rods).

use crate::OdeSystem;

use super::{Param, Problem, Reference, System};

/// Planar double pendulum: point masses `m1`, `m2` on massless rigid rods of lengths `l1`, `l2`,
/// angles `θ1`, `θ2` from the downward vertical, in gravity `g`. With `Δ = θ1 − θ2` and
/// `D = 2 m1 + m2 − m2 cos 2Δ`, the Euler–Lagrange equations read
///
/// ```text
/// θ1'' = [−g (2m1 + m2) sin θ1 − m2 g sin(θ1 − 2θ2) − 2 sin Δ · m2 (ω2² l2 + ω1² l1 cos Δ)] / (l1 D)
/// θ2'' = [2 sin Δ · (ω1² l1 (m1 + m2) + g (m1 + m2) cos θ1 + ω2² l2 m2 cos Δ)] / (l2 D)
/// ```
///
/// written as a first-order system in `(θ1, θ2, ω1, ω2)`.
///
/// * Parameters: `m1 = m2 = 1`, `l1 = l2 = 1`, `g = 9.81`.
/// * Default problem: `(θ1, θ2, ω1, ω2)(0) = (π/2, π/2, 0, 0)` (both rods horizontal: chaotic
///   motion), `t ∈ [0, 10]`.
/// * Invariant: the total energy
///   `½(m1 + m2) l1² ω1² + ½ m2 l2² ω2² + m2 l1 l2 ω1 ω2 cos Δ − (m1 + m2) g l1 cos θ1 − m2 g l2 cos θ2`
///   ([`DoublePendulum::energy`]).
/// * Source: Lagrangian mechanics, e.g. H. Goldstein, Classical Mechanics, §1.6; the explicit form
///   above is the standard one solved for the accelerations.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DoublePendulum {
    pub m1: f64,
    pub m2: f64,
    pub l1: f64,
    pub l2: f64,
    pub g: f64,
}

impl Default for DoublePendulum {
    fn default() -> Self {
        Self {
            m1: 1.0,
            m2: 1.0,
            l1: 1.0,
            l2: 1.0,
            g: 9.81,
        }
    }
}

impl DoublePendulum {
    /// Total mechanical energy (kinetic plus potential), constant along solutions.
    pub fn energy(&self, y: &[f64]) -> f64 {
        let Self { m1, m2, l1, l2, g } = *self;
        let (th1, th2, w1, w2) = (y[0], y[1], y[2], y[3]);
        let kinetic = 0.5 * (m1 + m2) * l1 * l1 * w1 * w1
            + 0.5 * m2 * l2 * l2 * w2 * w2
            + m2 * l1 * l2 * w1 * w2 * (th1 - th2).cos();
        let potential = -(m1 + m2) * g * l1 * th1.cos() - m2 * g * l2 * th2.cos();
        kinetic + potential
    }

    pub(crate) fn param_mut(&mut self, name: &str) -> Option<&mut f64> {
        match name {
            "m1" => Some(&mut self.m1),
            "m2" => Some(&mut self.m2),
            "l1" => Some(&mut self.l1),
            "l2" => Some(&mut self.l2),
            "g" => Some(&mut self.g),
            _ => None,
        }
    }
}

impl OdeSystem for DoublePendulum {
    #[inline]
    fn dim(&self) -> usize {
        4
    }
    #[inline]
    fn rhs(&self, _t: f64, y: &[f64], dy: &mut [f64]) {
        let Self { m1, m2, l1, l2, g } = *self;
        let (th1, th2, w1, w2) = (y[0], y[1], y[2], y[3]);
        let delta = th1 - th2;
        let (sd, cd) = delta.sin_cos();
        let den = 2.0 * m1 + m2 - m2 * (2.0 * delta).cos();
        dy[0] = w1;
        dy[1] = w2;
        dy[2] = (-g * (2.0 * m1 + m2) * th1.sin()
            - m2 * g * (th1 - 2.0 * th2).sin()
            - 2.0 * sd * m2 * (w2 * w2 * l2 + w1 * w1 * l1 * cd))
            / (l1 * den);
        dy[3] = 2.0
            * sd
            * (w1 * w1 * l1 * (m1 + m2) + g * (m1 + m2) * th1.cos() + w2 * w2 * l2 * m2 * cd)
            / (l2 * den);
    }
}

pub(crate) fn entry() -> Problem {
    let d = DoublePendulum::default();
    let half_pi = std::f64::consts::FRAC_PI_2;
    Problem::new(
        "pendulum2",
        "planar double pendulum (chaotic; total energy conserved)",
        "Euler-Lagrange equations of the double pendulum, e.g. H. Goldstein, Classical Mechanics, \
         Sec. 1.6",
        &["theta1", "theta2", "omega1", "omega2"],
        vec![
            Param::positive("m1", d.m1, "mass of the upper bob"),
            Param::positive("m2", d.m2, "mass of the lower bob"),
            Param::positive("l1", d.l1, "length of the upper rod"),
            Param::positive("l2", d.l2, "length of the lower rod"),
            Param::new("g", d.g, "gravitational acceleration"),
        ],
        (0.0, 10.0),
        vec![half_pi, half_pi, 0.0, 0.0],
        Reference::None,
        System::DoublePendulum(d),
    )
}
