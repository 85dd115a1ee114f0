//! Limited-memory BFGS with a strong-Wolfe line search.
//!
//! Two-loop recursion: J. Nocedal, "Updating quasi-Newton matrices with limited storage", Math.
//! Comp. 35 (1980) 773–782; Nocedal & Wright, Numerical Optimization, 2nd ed. (2006), Algorithms
//! 7.4–7.5 (initial scaling `γ = sᵀy/yᵀy`). Line search: Nocedal & Wright Algorithms 3.5 and 3.6
//! (bracketing, then zoom with safeguarded cubic interpolation), `c₁ = 10⁻⁴`, `c₂ = 0.9`.
//!
//! A point where the objective cannot be evaluated (error or non-finite value) is treated as an
//! infinitely high value: the line search shrinks the step towards the last good point.

use super::history::{dot, LbfgsHistory};
use super::Objective;
use crate::optim::lm::Termination;
use crate::InverseError;

/// Options of [`lbfgs`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LbfgsOptions {
    /// Number of stored correction pairs.
    pub memory: usize,
    /// Stop when `‖∇f‖∞ ≤ gtol · max(1, |f|)`.
    pub gtol: f64,
    /// Stop when `(f_k − f_{k+1}) ≤ ftol · max(|f_k|, |f_{k+1}|, 1)`.
    pub ftol: f64,
    pub max_iterations: usize,
    /// Consecutive failed evaluations tolerated inside one line search.
    pub max_failures: usize,
}

impl Default for LbfgsOptions {
    fn default() -> Self {
        Self {
            memory: 10,
            gtol: 1e-9,
            ftol: 1e-14,
            max_iterations: 1000,
            max_failures: 30,
        }
    }
}

/// Result of [`lbfgs`].
#[derive(Debug, Clone)]
pub struct LbfgsReport {
    pub x: Vec<f64>,
    pub f: f64,
    pub grad: Vec<f64>,
    pub iterations: usize,
    /// Objective-and-gradient evaluations.
    pub evals: usize,
    pub failed_evals: usize,
    pub termination: Termination,
}

/// Minimises `f` from `x0` (see the module doc).
///
/// Errors: the objective's error or [`InverseError::NonFinite`] at `x0`;
/// [`InverseError::Diverged`] when a line search keeps meeting failed evaluations;
/// [`InverseError::LineSearchFailed`] when no step satisfies the Wolfe conditions (the gradient
/// may be wrong).
///
/// ```
/// use ai4de_inverse::optim::{lbfgs, mgh::Rosenbrock, LbfgsOptions, SumOfSquares};
/// let mut rb = Rosenbrock;
/// let rep = lbfgs(&mut SumOfSquares::new(&mut rb), &[-1.2, 1.0], &LbfgsOptions::default()).unwrap();
/// assert!((rep.x[0] - 1.0).abs() < 1e-6);
/// ```
pub fn lbfgs<O: Objective + ?Sized>(
    obj: &mut O,
    x0: &[f64],
    opts: &LbfgsOptions,
) -> Result<LbfgsReport, InverseError> {
    let n = obj.n_params();
    if x0.len() != n {
        return Err(InverseError::DimensionMismatch {
            what: "starting point",
            expected: n,
            found: x0.len(),
        });
    }
    if opts.memory == 0 || opts.max_iterations == 0 {
        return Err(InverseError::InvalidOption {
            name: "lbfgs",
            reason: "memory and max_iterations must be at least 1".into(),
        });
    }
    let named = |x: &[f64]| -> Vec<(String, f64)> {
        x.iter()
            .enumerate()
            .map(|(i, v)| (format!("x[{i}]"), *v))
            .collect()
    };
    let mut x = x0.to_vec();
    let mut g = vec![0.0; n];
    let mut f = obj.value_grad(&x, &mut g)?;
    if !f.is_finite() || g.iter().any(|v| !v.is_finite()) {
        return Err(InverseError::NonFinite {
            what: "objective or gradient",
            params: named(&x),
        });
    }
    let mut rep = LbfgsReport {
        x: Vec::new(),
        f: 0.0,
        grad: Vec::new(),
        iterations: 0,
        evals: 1,
        failed_evals: 0,
        termination: Termination::MaxIterations,
    };
    let mut hist = LbfgsHistory::new(opts.memory);
    let mut d = vec![0.0; n];
    let mut x_new = vec![0.0; n];
    let mut g_new = vec![0.0; n];

    loop {
        let gmax = g.iter().fold(0.0f64, |a, v| a.max(v.abs()));
        if gmax <= opts.gtol * f.abs().max(1.0) {
            rep.termination = Termination::GradientTolerance;
            break;
        }
        if rep.iterations >= opts.max_iterations {
            break;
        }
        rep.iterations += 1;
        // two-loop recursion: d = −H g; the first step has unit length in the max norm, as a
        // safe first trial
        d.copy_from_slice(&g);
        hist.apply(&mut d, None, 1.0 / gmax.max(1e-300));
        d.iter_mut().for_each(|v| *v = -*v);
        let mut dg = dot(&d, &g);
        if dg.is_nan() || dg >= 0.0 {
            // not a descent direction (bad curvature pairs): restart from steepest descent
            hist.clear();
            for i in 0..n {
                d[i] = -g[i] / gmax;
            }
            dg = dot(&d, &g);
        }
        let (alpha, f_new) = match wolfe_search(
            obj,
            &x,
            f,
            dg,
            &d,
            &mut x_new,
            &mut g_new,
            &mut rep,
            opts.max_failures,
        ) {
            Ok(v) => v,
            // after progress has been made, a failed line search means the objective's
            // accuracy is reached: keep the current (best) point
            Err(InverseError::LineSearchFailed { .. }) if rep.iterations > 1 => {
                rep.termination = Termination::NoProgress;
                break;
            }
            Err(e) => return Err(e),
        };
        let _ = alpha;
        // update history
        let s: Vec<f64> = x_new.iter().zip(&x).map(|(a, b)| a - b).collect();
        let y: Vec<f64> = g_new.iter().zip(&g).map(|(a, b)| a - b).collect();
        hist.push(s, y, 1e-12);
        let df = f - f_new;
        x.copy_from_slice(&x_new);
        g.copy_from_slice(&g_new);
        f = f_new;
        if df <= opts.ftol * f.abs().max(f_new.abs()).max(1.0) {
            rep.termination = Termination::CostTolerance;
            break;
        }
    }
    rep.x = x;
    rep.f = f;
    rep.grad = g;
    Ok(rep)
}

/// Evaluates `φ(α) = f(x + αd)` and `φ'(α)`; `None` if the objective fails there.
#[allow(clippy::too_many_arguments)]
fn phi<O: Objective + ?Sized>(
    obj: &mut O,
    x: &[f64],
    d: &[f64],
    alpha: f64,
    x_new: &mut [f64],
    g_new: &mut [f64],
    rep: &mut LbfgsReport,
    last_err: &mut String,
) -> Option<(f64, f64)> {
    for i in 0..x.len() {
        x_new[i] = x[i] + alpha * d[i];
    }
    rep.evals += 1;
    match obj.value_grad(x_new, g_new) {
        Ok(f) if f.is_finite() && g_new.iter().all(|v| v.is_finite()) => Some((f, dot(g_new, d))),
        Ok(_) => {
            rep.failed_evals += 1;
            *last_err = "non-finite objective or gradient".into();
            None
        }
        Err(e) => {
            rep.failed_evals += 1;
            *last_err = e.to_string();
            None
        }
    }
}

/// Cubic interpolation minimiser of φ on `[a, b]` from values and slopes at both ends,
/// safeguarded to the middle 80 % of the interval (Nocedal & Wright eq. 3.59).
fn cubic_min(a: f64, fa: f64, da: f64, b: f64, fb: f64, db: f64) -> f64 {
    let d1 = da + db - 3.0 * (fa - fb) / (a - b);
    let disc = d1 * d1 - da * db;
    let (lo, hi) = (a.min(b), a.max(b));
    let fallback = 0.5 * (a + b);
    if disc < 0.0 {
        return fallback;
    }
    let d2 = (b - a).signum() * disc.sqrt();
    let t = b - (b - a) * (db + d2 - d1) / (db - da + 2.0 * d2);
    let margin = 0.1 * (hi - lo);
    if t.is_finite() && t > lo + margin && t < hi - margin {
        t
    } else {
        fallback
    }
}

#[allow(clippy::too_many_arguments)]
fn wolfe_search<O: Objective + ?Sized>(
    obj: &mut O,
    x: &[f64],
    f0: f64,
    dg0: f64,
    d: &[f64],
    x_new: &mut [f64],
    g_new: &mut [f64],
    rep: &mut LbfgsReport,
    max_failures: usize,
) -> Result<(f64, f64), InverseError> {
    const C1: f64 = 1e-4;
    const C2: f64 = 0.9;
    let mut last_err = String::new();
    let mut failures = 0usize;
    let (mut a_prev, mut f_prev, mut d_prev) = (0.0, f0, dg0);
    let mut alpha = 1.0;
    let mut first = true;
    // bracketing phase
    let (mut lo, mut flo, mut dlo, mut hi, mut fhi, mut dhi);
    loop {
        let Some((fa, da)) = phi(obj, x, d, alpha, x_new, g_new, rep, &mut last_err) else {
            failures += 1;
            if failures >= max_failures {
                return Err(InverseError::Diverged {
                    iterations: rep.iterations,
                    failures,
                    last: last_err,
                });
            }
            // shrink towards the last good point
            alpha = a_prev + 0.25 * (alpha - a_prev);
            continue;
        };
        if fa > f0 + C1 * alpha * dg0 || (!first && fa >= f_prev) {
            (lo, flo, dlo, hi, fhi, dhi) = (a_prev, f_prev, d_prev, alpha, fa, da);
            break;
        }
        if da.abs() <= -C2 * dg0 {
            return Ok((alpha, fa));
        }
        if da >= 0.0 {
            (lo, flo, dlo, hi, fhi, dhi) = (alpha, fa, da, a_prev, f_prev, d_prev);
            break;
        }
        first = false;
        a_prev = alpha;
        f_prev = fa;
        d_prev = da;
        alpha *= 2.0;
        if alpha > 1e10 {
            return Err(InverseError::LineSearchFailed {
                iteration: rep.iterations,
                reason: "the objective decreases without bound along the search direction".into(),
            });
        }
    }
    // zoom phase
    for _ in 0..60 {
        let a = cubic_min(lo, flo, dlo, hi, fhi, dhi);
        let Some((fa, da)) = phi(obj, x, d, a, x_new, g_new, rep, &mut last_err) else {
            failures += 1;
            if failures >= max_failures {
                return Err(InverseError::Diverged {
                    iterations: rep.iterations,
                    failures,
                    last: last_err,
                });
            }
            // unusable point: it becomes the high end (cubic_min then bisects)
            hi = a;
            fhi = f64::INFINITY;
            dhi = f64::NAN;
            continue;
        };
        if fa > f0 + C1 * a * dg0 || fa >= flo {
            (hi, fhi, dhi) = (a, fa, da);
        } else {
            if da.abs() <= -C2 * dg0 {
                return Ok((a, fa));
            }
            if da * (hi - lo) >= 0.0 {
                (hi, fhi, dhi) = (lo, flo, dlo);
            }
            (lo, flo, dlo) = (a, fa, da);
        }
        if (hi - lo).abs() <= 1e-16 * lo.abs().max(1.0) {
            break;
        }
    }
    // the interval collapsed: accept the best point if it decreases f (sufficient decrease)
    if lo > 0.0 && flo < f0 {
        let (fa, _) = phi(obj, x, d, lo, x_new, g_new, rep, &mut last_err).ok_or_else(|| {
            InverseError::LineSearchFailed {
                iteration: rep.iterations,
                reason: last_err.clone(),
            }
        })?;
        return Ok((lo, fa));
    }
    if failures > 0 {
        return Err(InverseError::Diverged {
            iterations: rep.iterations,
            failures,
            last: last_err,
        });
    }
    Err(InverseError::LineSearchFailed {
        iteration: rep.iterations,
        reason: "no step satisfies the Wolfe conditions (is the gradient consistent with the objective?)".into(),
    })
}
