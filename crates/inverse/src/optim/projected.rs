//! Projected L-BFGS for box constraints `lo ≤ x ≤ hi` (the "L-BFGS-B-lite" of design
//! optimisation).
//!
//! Each iteration (D. P. Bertsekas, "Projected Newton methods for optimization problems with
//! simple constraints", SIAM J. Control Optim. 20 (1982) 221–246; the limited-memory form of
//! D. Kim, S. Sra & I. S. Dhillon, "Tackling box-constrained optimization via a new projected
//! quasi-Newton approach", SIAM J. Sci. Comput. 32 (2010) 3548–3563):
//!
//! 1. the *binding set* `B = {i : x_i ≤ lo_i + ε, g_i > 0} ∪ {i : x_i ≥ hi_i − ε, g_i < 0}`
//!    (variables held on a bound by the gradient) with `ε = min(ε₀, ‖x − P(x − g)‖∞)`;
//! 2. the L-BFGS direction (two-loop recursion, Nocedal & Wright, *Numerical Optimization*,
//!    Alg. 7.4) on the free variables, a scaled gradient step on `B` (which the projection
//!    stops at the bound); steepest descent if it is not a descent direction;
//! 3. a backtracking (Armijo) search along the projection arc `x(α) = P(x + α d)`:
//!    `f(x(α)) ≤ f(x) + c₁ gᵀ(x(α) − x)`, with value-only evaluations
//!    ([`Objective::value`]); the gradient is evaluated once per accepted step.
//!
//! Why not the MINUIT transforms of [`crate::transform`]: an optimal control that saturates
//! (`|u| = u_max` on whole arcs, typical for bounded controls) sits where the transform's
//! `dq/du = 0`, so the transformed gradient vanishes before the bound is reached and the
//! iteration crawls towards it; the projection lands on the bound in one step and then drops
//! the variable from the quasi-Newton model.
//!
//! Convergence test: the projected gradient `‖x − P(x − g)‖∞ ≤ gtol · max(1, |f|)` (first-order
//! optimality for a box: zero gradient on free variables, gradient pointing outwards on active
//! bounds).

use super::history::{dot, LbfgsHistory};
use super::Objective;
use crate::optim::lm::Termination;
use crate::InverseError;

/// Options of [`projected_lbfgs`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProjectedLbfgsOptions {
    /// Number of stored correction pairs (default 20: single-shooting control problems of
    /// unstable systems are ill-conditioned, and a short memory stalls on them).
    pub memory: usize,
    /// Stop when `‖x − P(x − ∇f)‖∞ ≤ gtol · max(1, |f|)`.
    pub gtol: f64,
    /// Stop when `(f_k − f_{k+1}) ≤ ftol · max(|f_k|, 1)` on three consecutive iterations
    /// after a restart of the quasi-Newton model (a short step first restarts it).
    pub ftol: f64,
    pub max_iterations: usize,
    /// Backtracking halvings per line search before giving up.
    pub max_backtracks: usize,
}

impl Default for ProjectedLbfgsOptions {
    fn default() -> Self {
        Self {
            memory: 20,
            gtol: 1e-7,
            ftol: 1e-12,
            max_iterations: 500,
            max_backtracks: 40,
        }
    }
}

/// Result of [`projected_lbfgs`].
#[derive(Debug, Clone)]
pub struct ProjectedLbfgsReport {
    pub x: Vec<f64>,
    pub f: f64,
    pub grad: Vec<f64>,
    /// `‖x − P(x − ∇f)‖∞` at `x`.
    pub projected_gradient: f64,
    /// `f` after each iteration (the first entry is `f(x0)`).
    pub history: Vec<f64>,
    pub iterations: usize,
    /// Value-only evaluations (line search).
    pub value_evals: usize,
    /// Value-and-gradient evaluations.
    pub gradient_evals: usize,
    pub termination: Termination,
}

/// `‖x − P(x − g)‖∞`.
pub fn projected_gradient_norm(x: &[f64], g: &[f64], lo: &[f64], hi: &[f64]) -> f64 {
    x.iter()
        .zip(g)
        .zip(lo.iter().zip(hi))
        .map(|((&x, &g), (&l, &h))| (x - (x - g).clamp(l, h)).abs())
        .fold(0.0, f64::max)
}

/// Minimises `f` over the box `lo ≤ x ≤ hi` from `x0` (projected into the box first); see the
/// module doc.
///
/// Errors: [`InverseError::DimensionMismatch`]; [`InverseError::InvalidBounds`] unless
/// `lo_i < hi_i` (infinite bounds are allowed); the objective's error or
/// [`InverseError::NonFinite`] at the start; [`InverseError::Diverged`] when every trial point
/// of a line search fails to evaluate.
///
/// ```
/// use ai4de_inverse::optim::{projected_lbfgs, Objective, ProjectedLbfgsOptions};
/// use ai4de_inverse::InverseError;
/// // f = (x0 − 2)² + (x1 + 1)² on [0, 1]²: the minimiser is (1, 0), both bounds active
/// struct Q;
/// impl Objective for Q {
///     fn n_params(&self) -> usize { 2 }
///     fn value_grad(&mut self, x: &[f64], g: &mut [f64]) -> Result<f64, InverseError> {
///         g[0] = 2.0 * (x[0] - 2.0);
///         g[1] = 2.0 * (x[1] + 1.0);
///         Ok((x[0] - 2.0).powi(2) + (x[1] + 1.0).powi(2))
///     }
/// }
/// let rep = projected_lbfgs(&mut Q, &[0.5, 0.5], &[0.0, 0.0], &[1.0, 1.0],
///     &ProjectedLbfgsOptions::default()).unwrap();
/// assert_eq!(rep.x, vec![1.0, 0.0]);
/// ```
pub fn projected_lbfgs<O: Objective + ?Sized>(
    obj: &mut O,
    x0: &[f64],
    lo: &[f64],
    hi: &[f64],
    opts: &ProjectedLbfgsOptions,
) -> Result<ProjectedLbfgsReport, InverseError> {
    let n = obj.n_params();
    for (what, len) in [("starting point", x0.len()), ("lower bounds", lo.len())] {
        if len != n {
            return Err(InverseError::DimensionMismatch {
                what,
                expected: n,
                found: len,
            });
        }
    }
    if hi.len() != n {
        return Err(InverseError::DimensionMismatch {
            what: "upper bounds",
            expected: n,
            found: hi.len(),
        });
    }
    for i in 0..n {
        if lo[i].is_nan() || hi[i].is_nan() || lo[i] >= hi[i] {
            return Err(InverseError::InvalidBounds {
                name: format!("x[{i}]"),
                lo: lo[i],
                hi: hi[i],
                reason: "need lo < hi",
            });
        }
    }
    if opts.memory == 0 || opts.max_iterations == 0 || opts.max_backtracks == 0 {
        return Err(InverseError::InvalidOption {
            name: "projected_lbfgs",
            reason: "memory, max_iterations and max_backtracks must be at least 1".into(),
        });
    }
    let named = |x: &[f64]| -> Vec<(String, f64)> {
        x.iter()
            .enumerate()
            .map(|(i, v)| (format!("x[{i}]"), *v))
            .collect()
    };
    let project = |x: &mut [f64]| {
        for i in 0..x.len() {
            x[i] = x[i].clamp(lo[i], hi[i]);
        }
    };
    let mut x = x0.to_vec();
    if x.iter().any(|v| !v.is_finite()) {
        return Err(InverseError::NonFinite {
            what: "starting point",
            params: named(&x),
        });
    }
    project(&mut x);
    let mut g = vec![0.0; n];
    let mut f = obj.value_grad(&x, &mut g)?;
    if !f.is_finite() || g.iter().any(|v| !v.is_finite()) {
        return Err(InverseError::NonFinite {
            what: "objective or gradient",
            params: named(&x),
        });
    }
    let mut rep = ProjectedLbfgsReport {
        x: Vec::new(),
        f,
        grad: Vec::new(),
        projected_gradient: 0.0,
        history: vec![f],
        iterations: 0,
        value_evals: 0,
        gradient_evals: 1,
        termination: Termination::MaxIterations,
    };
    let mut hist = LbfgsHistory::new(opts.memory);
    let mut d = vec![0.0; n];
    let mut free = vec![true; n];
    let mut x_new = vec![0.0; n];
    let mut g_new = vec![0.0; n];
    let mut small_steps = 0usize;
    loop {
        let pg = projected_gradient_norm(&x, &g, lo, hi);
        if pg <= opts.gtol * f.abs().max(1.0) {
            rep.termination = Termination::GradientTolerance;
            break;
        }
        if rep.iterations >= opts.max_iterations {
            break;
        }
        rep.iterations += 1;
        // 1. binding set
        let eps = pg.min(1e-3);
        for i in 0..n {
            free[i] = !((x[i] <= lo[i] + eps && g[i] > 0.0) || (x[i] >= hi[i] - eps && g[i] < 0.0));
        }
        // 2. two-loop recursion on the free variables
        for i in 0..n {
            d[i] = if free[i] { g[i] } else { 0.0 };
        }
        // first step (and after a restart): at most unit length in the max norm
        let gmax = d.iter().fold(0.0f64, |a, v| a.max(v.abs())).max(1e-300);
        let gamma = hist.apply(&mut d, Some(&free), 1.0 / gmax);
        d.iter_mut().for_each(|v| *v = -*v);
        // binding variables take a scaled gradient step (Bertsekas' diagonal part): the
        // projection puts them on their bound; held at zero, one that is within ε of its bound
        // but not on it would never get there
        for i in 0..n {
            if !free[i] {
                d[i] = -gamma * g[i];
            }
        }
        // a variable on its bound does not move outwards (the projection would clip it, and
        // the clipped arc need not descend)
        let outward = |i: usize, d: f64| (x[i] <= lo[i] && d < 0.0) || (x[i] >= hi[i] && d > 0.0);
        for (i, di) in d.iter_mut().enumerate() {
            if outward(i, *di) {
                *di = 0.0;
            }
        }
        let dg = dot(&d, &g);
        if dg.is_nan() || dg >= 0.0 {
            // not a descent direction (bad curvature pairs): projected steepest descent
            hist.clear();
            let gmax = g.iter().fold(0.0f64, |a, v| a.max(v.abs())).max(1e-300);
            for i in 0..n {
                d[i] = if outward(i, -g[i]) { 0.0 } else { -g[i] / gmax };
            }
        }
        // 3. Armijo backtracking along the projection arc
        const C1: f64 = 1e-4;
        let mut alpha = 1.0;
        let mut accepted = None;
        let mut last_err = String::new();
        let mut failures = 0;
        for _ in 0..opts.max_backtracks {
            for i in 0..n {
                x_new[i] = (x[i] + alpha * d[i]).clamp(lo[i], hi[i]);
            }
            let decrease: f64 = x_new
                .iter()
                .zip(&x)
                .zip(&g)
                .map(|((a, b), g)| g * (a - b))
                .sum();
            rep.value_evals += 1;
            match obj.value(&x_new) {
                Ok(fv) if fv.is_finite() => {
                    if fv <= f + C1 * decrease {
                        accepted = Some(fv);
                        break;
                    }
                }
                Ok(_) => {
                    failures += 1;
                    last_err = "non-finite objective".into();
                }
                Err(e) => {
                    failures += 1;
                    last_err = e.to_string();
                }
            }
            alpha *= 0.5;
        }
        let Some(f_trial) = accepted else {
            if failures == opts.max_backtracks {
                return Err(InverseError::Diverged {
                    iterations: rep.iterations,
                    failures,
                    last: last_err,
                });
            }
            if !hist.is_empty() {
                // a stale curvature model can give a direction too short to show a decrease
                // above the objective's noise: restart from projected steepest descent
                hist.clear();
                continue;
            }
            // no decrease along the steepest-descent arc: the objective's accuracy is reached
            rep.termination = Termination::NoProgress;
            break;
        };
        rep.gradient_evals += 1;
        let f_grad = obj.value_grad(&x_new, &mut g_new)?;
        if !f_grad.is_finite() || g_new.iter().any(|v| !v.is_finite()) {
            return Err(InverseError::NonFinite {
                what: "objective or gradient",
                params: named(&x_new),
            });
        }
        let s: Vec<f64> = x_new.iter().zip(&x).map(|(a, b)| a - b).collect();
        let y: Vec<f64> = g_new.iter().zip(&g).map(|(a, b)| a - b).collect();
        hist.push(s, y, 1e-10);
        let df = f - f_trial;
        x.copy_from_slice(&x_new);
        g.copy_from_slice(&g_new);
        f = f_trial;
        rep.history.push(f);
        // a short step (a variable reaching its bound, a binding-set change, a stale
        // curvature model) is no sign of convergence: first restart the quasi-Newton model
        // from projected steepest descent, and stop only when three restarted steps in a row
        // make no progress either
        if df <= opts.ftol * f.abs().max(1.0) {
            if hist.len() > 1 {
                // keep the newest pair: it carries the local scale
                hist.keep_newest();
            } else {
                small_steps += 1;
                if small_steps >= 3 {
                    rep.termination = Termination::CostTolerance;
                    break;
                }
            }
        } else {
            small_steps = 0;
        }
    }
    rep.projected_gradient = projected_gradient_norm(&x, &g, lo, hi);
    rep.x = x;
    rep.f = f;
    rep.grad = g;
    Ok(rep)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optim::mgh::Rosenbrock;
    use crate::optim::SumOfSquares;

    #[test]
    fn rosenbrock_with_an_active_bound() {
        // min of Rosenbrock on x0 ≤ 0.5: on the bound x0 = 0.5, x1 = 0.25 (f = 0.25)
        let mut rb = Rosenbrock;
        let mut obj = SumOfSquares::new(&mut rb);
        let rep = projected_lbfgs(
            &mut obj,
            &[-1.2, 1.0],
            &[f64::NEG_INFINITY, f64::NEG_INFINITY],
            &[0.5, f64::INFINITY],
            &ProjectedLbfgsOptions::default(),
        )
        .unwrap();
        assert!(rep.termination.converged(), "{:?}", rep.termination);
        assert_eq!(rep.x[0], 0.5);
        assert!((rep.x[1] - 0.25).abs() < 1e-6, "{:?}", rep.x);
        // f = ½‖r‖² = ½ (100 (x1 − x0²)² + (1 − x0)²) = 0.125 at the constrained minimum
        assert!((rep.f - 0.125).abs() < 1e-10, "{}", rep.f);
        assert!(
            rep.grad[0] < 0.0,
            "the gradient pushes against the active bound"
        );
        assert!(rep.history.windows(2).all(|w| w[1] <= w[0]));
    }

    #[test]
    fn unconstrained_rosenbrock_and_bad_bounds() {
        let mut rb = Rosenbrock;
        let mut obj = SumOfSquares::new(&mut rb);
        let inf = f64::INFINITY;
        let rep = projected_lbfgs(
            &mut obj,
            &[-1.2, 1.0],
            &[-inf, -inf],
            &[inf, inf],
            &ProjectedLbfgsOptions::default(),
        )
        .unwrap();
        assert!((rep.x[0] - 1.0).abs() < 1e-6 && (rep.x[1] - 1.0).abs() < 1e-6);
        assert!(matches!(
            projected_lbfgs(
                &mut obj,
                &[0.0, 0.0],
                &[1.0, 0.0],
                &[0.0, 1.0],
                &ProjectedLbfgsOptions::default()
            ),
            Err(InverseError::InvalidBounds { .. })
        ));
    }
}
