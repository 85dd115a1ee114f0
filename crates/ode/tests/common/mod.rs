//! Shared fixtures of the integration tests.
#![allow(dead_code)]

pub mod brusselator;

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
