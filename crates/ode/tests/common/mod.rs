//! Shared fixtures of the integration tests.
#![allow(dead_code)]

pub mod brusselator;

use ai4de_ode::problems::Problem;
use ai4de_ode::sensitivity::{ForwardSensitivity, SquaredError, TrajectoryLoss};
use ai4de_ode::{Method, SaveAt};

/// `[∂L/∂p, ∂L/∂y0]` of a point loss from forward sensitivities (all parameters and initial
/// states) and the chain rule, by `method` at `rtol = tol`, `atol = tol/100`: the reference the
/// adjoint tests compare against.
pub fn forward_gradient(
    p: &Problem,
    t_end: f64,
    loss: &SquaredError,
    method: Method,
    tol: f64,
) -> Vec<f64> {
    let sol = ForwardSensitivity::new(p, (p.t0, t_end), &p.y0)
        .wrt_all()
        .method(method)
        .rtol(tol)
        .atol(tol * 1e-2)
        .max_steps(1_000_000)
        .save_at(SaveAt::Times(loss.times().to_vec()))
        .run()
        .unwrap();
    let mut g = vec![0.0; sol.columns.len()];
    let mut grad = vec![0.0; p.dim()];
    for (i, &t) in loss.times().iter().enumerate() {
        loss.point(i, t, sol.state(i), &mut grad);
        for (j, gj) in g.iter_mut().enumerate() {
            *gj += grad
                .iter()
                .zip(sol.sens_column(i, j))
                .map(|(a, b)| a * b)
                .sum::<f64>();
        }
    }
    g
}

/// Central differences with steps `d` and `d/2`, Richardson-extrapolated (`O(d⁴)`).
pub fn richardson(f: impl Fn(f64) -> f64, d: f64) -> f64 {
    let c = |d: f64| (f(d) - f(-d)) / (2.0 * d);
    (4.0 * c(d / 2.0) - c(d)) / 3.0
}

/// Largest relative difference of `a` from `b`, each component relative to `|b_i|` but at least
/// `1e-3 max|b|` (so near-zero components do not dominate).
pub fn rel_err(a: &[f64], b: &[f64]) -> f64 {
    let scale = b.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs() / y.abs().max(1e-3 * scale))
        .fold(0.0, f64::max)
}
