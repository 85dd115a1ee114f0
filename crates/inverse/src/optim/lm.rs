//! Levenberg–Marquardt in Moré's trust-region form with adaptive scaling.
//!
//! J. J. Moré, "The Levenberg–Marquardt algorithm: implementation and theory", in G. A. Watson
//! (ed.), Numerical Analysis, Lecture Notes in Mathematics 630, Springer (1978) 105–116; the
//! control flow (scaling `D = diag(max‖J_j‖)`, the λ search on the secular equation
//! `‖D p(λ)‖ = Δ`, the ratio test and the radius update) follows MINPACK's `lmder`/`lmpar`
//! (Moré, Garbow & Hillstrom, ANL-80-74, 1980). The linear systems `(JᵀJ + λD²) p = −Jᵀr` are
//! solved by Cholesky (faer) instead of MINPACK's QR: the unknowns are few (parameters and
//! shooting states) and the normal matrix is formed once per Jacobian.
//!
//! A trial point where the model cannot be evaluated (or gives non-finite residuals) counts as a
//! step with ratio −∞: the radius shrinks by 4 and the step is retried; after
//! [`LmOptions::max_failures`] consecutive failures the fit stops with
//! [`InverseError::Diverged`].

use faer::linalg::solvers::Solve;
use faer::{Mat, Side};

use super::{norm, LeastSquares};
use crate::InverseError;

/// Options of [`levenberg_marquardt`]; the defaults suit well-scaled ODE fits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LmOptions {
    /// Stop when both the actual and the predicted relative reduction of the cost are below it.
    pub ftol: f64,
    /// Stop when the trust radius is below `xtol · (xtol + ‖D x‖)` (absolute near `x = 0`, as
    /// SciPy's `least_squares`).
    pub xtol: f64,
    /// Stop when the cosine between `r` and every column of `J` is below it.
    pub gtol: f64,
    /// Maximum number of Jacobian evaluations (outer iterations).
    pub max_iterations: usize,
    /// Initial trust radius `factor · ‖D x₀‖` (MINPACK's `factor`, default 100).
    pub factor: f64,
    /// Consecutive failed trial evaluations tolerated before giving up.
    pub max_failures: usize,
}

impl Default for LmOptions {
    fn default() -> Self {
        Self {
            ftol: 1e-10,
            xtol: 1e-10,
            gtol: 1e-10,
            max_iterations: 200,
            factor: 100.0,
            max_failures: 20,
        }
    }
}

/// Why the optimiser stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Termination {
    /// Relative reduction of the cost below `ftol`.
    CostTolerance,
    /// Step (trust radius) below `xtol` relative to `x`.
    StepTolerance,
    /// Gradient (cosine test, or `‖∇f‖∞`) below `gtol`.
    GradientTolerance,
    /// The residuals are exactly zero.
    ZeroResidual,
    /// L-BFGS: the line search found no point better than the current one although the
    /// gradient test has not passed (the objective's own accuracy is reached; SciPy's
    /// "abnormal termination in line search"). Counted as converged.
    NoProgress,
    /// The iteration limit was reached before any test passed (the result is the best point).
    MaxIterations,
}

impl Termination {
    /// Whether a convergence test passed (not the iteration limit).
    pub fn converged(self) -> bool {
        !matches!(self, Termination::MaxIterations)
    }
}

/// Result of [`levenberg_marquardt`].
#[derive(Debug, Clone)]
pub struct LmReport {
    /// The best point found.
    pub x: Vec<f64>,
    /// `½‖r(x)‖²`.
    pub cost: f64,
    /// `r(x)`.
    pub residuals: Vec<f64>,
    /// `J(x)` at the returned point.
    pub jacobian: Mat<f64>,
    /// Outer iterations (Jacobian evaluations after the first).
    pub iterations: usize,
    /// Residual evaluations (trial points; the Jacobian calls also evaluate residuals).
    pub residual_evals: usize,
    /// Jacobian evaluations.
    pub jacobian_evals: usize,
    /// Trial points where the model could not be evaluated.
    pub failed_evals: usize,
    pub termination: Termination,
}

/// Minimises `½‖r(x)‖²` from `x0` by Levenberg–Marquardt (see the module doc).
///
/// Errors: [`InverseError::NonFinite`] or the model's error if `r(x0)` or `J(x0)` cannot be
/// evaluated; [`InverseError::Diverged`] after too many consecutive failed trial points;
/// [`InverseError::TooFewResiduals`] when `m < n`.
///
/// ```
/// use ai4de_inverse::optim::{levenberg_marquardt, mgh::Rosenbrock, LmOptions};
/// let rep = levenberg_marquardt(&mut Rosenbrock, &[-1.2, 1.0], &LmOptions::default()).unwrap();
/// assert!((rep.x[0] - 1.0).abs() < 1e-8 && (rep.x[1] - 1.0).abs() < 1e-8);
/// ```
pub fn levenberg_marquardt<P: LeastSquares + ?Sized>(
    problem: &mut P,
    x0: &[f64],
    opts: &LmOptions,
) -> Result<LmReport, InverseError> {
    let n = problem.n_params();
    let m = problem.n_residuals();
    if x0.len() != n {
        return Err(InverseError::DimensionMismatch {
            what: "starting point",
            expected: n,
            found: x0.len(),
        });
    }
    if m < n {
        return Err(InverseError::TooFewResiduals {
            residuals: m,
            unknowns: n,
        });
    }
    if opts.factor.is_nan() || opts.factor <= 0.0 || opts.max_iterations == 0 {
        return Err(InverseError::InvalidOption {
            name: "lm",
            reason: "factor must be positive and max_iterations at least 1".into(),
        });
    }
    let unnamed = |x: &[f64]| -> Vec<(String, f64)> {
        x.iter()
            .enumerate()
            .map(|(i, v)| (format!("x[{i}]"), *v))
            .collect()
    };

    let mut x = x0.to_vec();
    let mut r = vec![0.0; m];
    let mut jac = Mat::<f64>::zeros(m, n);
    problem.jacobian(&x, &mut r, jac.as_mut())?;
    let mut rep = LmReport {
        x: Vec::new(),
        cost: 0.0,
        residuals: Vec::new(),
        jacobian: Mat::zeros(0, 0),
        iterations: 0,
        residual_evals: 1,
        jacobian_evals: 1,
        failed_evals: 0,
        termination: Termination::MaxIterations,
    };
    check_finite(&r, "residuals", &x, &unnamed)?;
    if jac.col_iter().any(|c| c.iter().any(|v| !v.is_finite())) {
        return Err(InverseError::NonFinite {
            what: "Jacobian",
            params: unnamed(&x),
        });
    }
    let mut fnorm = norm(&r);

    let mut diag = vec![0.0; n];
    let mut delta = 0.0;
    let mut xnorm;
    let mut par = 0.0;
    let mut x_trial = vec![0.0; n];
    let mut r_trial = vec![0.0; m];
    let mut failures = 0usize;
    let mut jac_trial = Mat::<f64>::zeros(m, n);

    'outer: loop {
        if fnorm == 0.0 {
            rep.termination = Termination::ZeroResidual;
            break;
        }
        // normal equations and column norms
        let a: Mat<f64> = jac.transpose() * &jac;
        let g: Vec<f64> = (0..n)
            .map(|j| {
                let c = jac.col(j);
                (0..m).map(|i| c[i] * r[i]).sum()
            })
            .collect();
        let col_norms: Vec<f64> = (0..n).map(|j| a[(j, j)].max(0.0).sqrt()).collect();
        if rep.iterations == 0 {
            for j in 0..n {
                diag[j] = if col_norms[j] == 0.0 {
                    1.0
                } else {
                    col_norms[j]
                };
            }
            xnorm = scaled_norm(&diag, &x);
            delta = opts.factor * xnorm;
            if delta == 0.0 {
                delta = opts.factor;
            }
        } else {
            for j in 0..n {
                diag[j] = diag[j].max(col_norms[j]);
            }
        }
        // gradient test (cosine between r and each column of J)
        let gnorm = (0..n)
            .filter(|&j| col_norms[j] != 0.0)
            .map(|j| (g[j] / (col_norms[j] * fnorm)).abs())
            .fold(0.0f64, f64::max);
        if gnorm <= opts.gtol {
            rep.termination = Termination::GradientTolerance;
            break;
        }
        if rep.iterations >= opts.max_iterations {
            rep.termination = Termination::MaxIterations;
            break;
        }
        rep.iterations += 1;

        // inner loop: find an acceptable step
        loop {
            let (p, new_par) = lmpar(&a, &g, &diag, delta, par);
            par = new_par;
            let pnorm = scaled_norm(&diag, &p);
            for j in 0..n {
                x_trial[j] = x[j] + p[j];
            }
            if rep.iterations == 1 {
                delta = delta.min(pnorm);
            }
            rep.residual_evals += 1;
            let eval = problem
                .residuals(&x_trial, &mut r_trial)
                .and_then(|_| check_finite(&r_trial, "residuals", &x_trial, &unnamed));
            if let Err(e) = eval {
                rep.failed_evals += 1;
                failures += 1;
                let last_failure = e.to_string();
                if failures >= opts.max_failures {
                    return Err(InverseError::Diverged {
                        iterations: rep.iterations,
                        failures,
                        last: last_failure,
                    });
                }
                delta = 0.25 * delta.min(pnorm);
                par *= 4.0;
                if delta <= opts.xtol * (opts.xtol + scaled_norm(&diag, &x)) {
                    // the region collapsed around a point whose neighbours all fail
                    return Err(InverseError::Diverged {
                        iterations: rep.iterations,
                        failures,
                        last: last_failure,
                    });
                }
                continue;
            }
            let fnorm1 = norm(&r_trial);
            // actual and predicted reductions (relative to ‖r‖², as MINPACK)
            let actred = if 0.1 * fnorm1 < fnorm {
                1.0 - (fnorm1 / fnorm).powi(2)
            } else {
                -1.0
            };
            let jp: Vec<f64> = (0..m)
                .map(|i| (0..n).map(|j| jac[(i, j)] * p[j]).sum())
                .collect();
            let temp1 = norm(&jp) / fnorm;
            let temp2 = par.sqrt() * pnorm / fnorm;
            let prered = temp1 * temp1 + temp2 * temp2 / 0.5;
            let dirder = -(temp1 * temp1 + temp2 * temp2);
            let ratio = if prered != 0.0 { actred / prered } else { 0.0 };

            if ratio <= 0.25 {
                let mut temp = if actred >= 0.0 {
                    0.5
                } else {
                    0.5 * dirder / (dirder + 0.5 * actred)
                };
                if 0.1 * fnorm1 >= fnorm || temp < 0.1 {
                    temp = 0.1;
                }
                delta = temp * delta.min(pnorm / 0.1);
                par /= temp;
            } else if par == 0.0 || ratio >= 0.75 {
                delta = pnorm / 0.5;
                par *= 0.5;
            }

            let accepted = ratio >= 1e-4;
            if accepted {
                failures = 0;
                x.copy_from_slice(&x_trial);
                r.copy_from_slice(&r_trial);
                fnorm = fnorm1;
            }
            xnorm = scaled_norm(&diag, &x);
            // convergence tests
            let ftol_ok = actred.abs() <= opts.ftol && prered <= opts.ftol && 0.5 * ratio <= 1.0;
            let xtol_ok = delta <= opts.xtol * (opts.xtol + xnorm);
            if ftol_ok || xtol_ok {
                if accepted {
                    evaluate_jacobian(problem, &x, &mut r_trial, &mut jac_trial, &mut rep)?;
                    std::mem::swap(&mut jac, &mut jac_trial);
                }
                rep.termination = if ftol_ok {
                    Termination::CostTolerance
                } else {
                    Termination::StepTolerance
                };
                break 'outer;
            }
            if accepted {
                // new Jacobian at the accepted point; if it cannot be evaluated, the point is
                // still the best one found, so stop there with the old Jacobian refreshed
                match evaluate_jacobian(problem, &x, &mut r_trial, &mut jac_trial, &mut rep) {
                    Ok(()) => std::mem::swap(&mut jac, &mut jac_trial),
                    Err(e) => {
                        return Err(InverseError::Diverged {
                            iterations: rep.iterations,
                            failures: 1,
                            last: e.to_string(),
                        })
                    }
                }
                continue 'outer;
            }
        }
    }
    rep.cost = 0.5 * fnorm * fnorm;
    rep.x = x;
    rep.residuals = r;
    rep.jacobian = jac;
    Ok(rep)
}

fn evaluate_jacobian<P: LeastSquares + ?Sized>(
    problem: &mut P,
    x: &[f64],
    r: &mut [f64],
    jac: &mut Mat<f64>,
    rep: &mut LmReport,
) -> Result<(), InverseError> {
    rep.jacobian_evals += 1;
    problem.jacobian(x, r, jac.as_mut())?;
    if jac.col_iter().any(|c| c.iter().any(|v| !v.is_finite())) {
        return Err(InverseError::NonFinite {
            what: "Jacobian",
            params: x
                .iter()
                .enumerate()
                .map(|(i, v)| (format!("x[{i}]"), *v))
                .collect(),
        });
    }
    Ok(())
}

type Namer = dyn Fn(&[f64]) -> Vec<(String, f64)>;

fn check_finite(
    r: &[f64],
    what: &'static str,
    x: &[f64],
    names: &Namer,
) -> Result<(), InverseError> {
    if r.iter().all(|v| v.is_finite()) {
        Ok(())
    } else {
        Err(InverseError::NonFinite {
            what,
            params: names(x),
        })
    }
}

fn scaled_norm(d: &[f64], x: &[f64]) -> f64 {
    let v: Vec<f64> = d.iter().zip(x).map(|(a, b)| a * b).collect();
    norm(&v)
}

/// Solves `(A + λD²) p = −g` by Cholesky; `None` if the matrix is not numerically positive
/// definite or the solution is not finite.
fn solve_damped(a: &Mat<f64>, g: &[f64], d: &[f64], lambda: f64) -> Option<(Vec<f64>, f64)> {
    let n = g.len();
    let mut mat = a.clone();
    for j in 0..n {
        mat[(j, j)] += lambda * d[j] * d[j];
    }
    let llt = mat.llt(Side::Lower).ok()?;
    let rhs = Mat::<f64>::from_fn(n, 1, |i, _| -g[i]);
    let x = llt.solve(&rhs);
    let p: Vec<f64> = (0..n).map(|i| x[(i, 0)]).collect();
    if !p.iter().all(|v| v.is_finite()) {
        return None;
    }
    // qᵀ(A + λD²)⁻¹q with q = D²p/‖Dp‖, for the derivative of the secular function
    let dp = scaled_norm(d, &p).max(f64::MIN_POSITIVE);
    let q = Mat::<f64>::from_fn(n, 1, |i, _| d[i] * d[i] * p[i] / dp);
    let z = llt.solve(&q);
    let qz = (0..n).map(|i| q[(i, 0)] * z[(i, 0)]).sum::<f64>();
    Some((p, qz))
}

/// Moré's λ search (MINPACK `lmpar`): returns a step `p` with `‖Dp‖ ≤ 1.1Δ` (λ = 0, the
/// Gauss–Newton step) or `|‖Dp‖ − Δ| ≤ 0.1Δ`, and the λ used. `par` is the previous λ (warm
/// start).
fn lmpar(a: &Mat<f64>, g: &[f64], d: &[f64], delta: f64, par: f64) -> (Vec<f64>, f64) {
    let n = g.len();
    // Gauss–Newton step when JᵀJ is positive definite
    let gn = solve_damped(a, g, d, 0.0);
    let mut parl = 0.0;
    if let Some((p, qz)) = &gn {
        let qz = *qz;
        let dxnorm = scaled_norm(d, p);
        let fp = dxnorm - delta;
        if fp <= 0.1 * delta {
            return (p.clone(), 0.0);
        }
        // lower bound from Newton's step at λ = 0 (φ'(0) = −‖Dp‖·qᵀA⁻¹q)
        let dphi = -dxnorm * qz;
        if dphi < 0.0 {
            parl = -fp / dphi;
        }
    }
    // upper bound
    let gnorm = norm(&g.iter().zip(d).map(|(g, d)| g / d).collect::<Vec<_>>());
    let mut paru = gnorm / delta;
    if paru == 0.0 {
        paru = f64::MIN_POSITIVE / delta.min(0.1);
    }
    let mut par = par.max(parl).min(paru);
    if par == 0.0 {
        par = gnorm / delta;
    }
    let mut best: Option<Vec<f64>> = None;
    for _ in 0..10 {
        if par == 0.0 {
            par = (1e-3 * paru).max(f64::MIN_POSITIVE);
        }
        let Some((p, qz)) = solve_damped(a, g, d, par) else {
            // not positive definite (rounding): push λ up
            parl = par;
            par = (10.0 * par).max(1e-3 * paru);
            continue;
        };
        let dxnorm = scaled_norm(d, &p);
        let fp = dxnorm - delta;
        best = Some(p);
        if fp.abs() <= 0.1 * delta || (parl == 0.0 && fp <= 0.0 && par <= 1e-300) {
            break;
        }
        let dphi = -dxnorm * qz;
        let parc = if dphi != 0.0 {
            -((fp + delta) / delta) * (fp / dphi)
        } else {
            0.0
        };
        if fp > 0.0 {
            parl = parl.max(par);
        }
        if fp < 0.0 {
            paru = paru.min(par);
        }
        par = (par + parc).max(parl);
        if par <= parl && parl > 0.0 && parc <= 0.0 {
            par = (parl * paru).sqrt().max(parl * 1.0001);
        }
    }
    match best {
        Some(p) => (p, par),
        // nothing worked: a short steepest-descent step inside the region
        None => {
            let gn = norm(g).max(f64::MIN_POSITIVE);
            let s = 0.5 * delta / gn;
            ((0..n).map(|i| -s * g[i] / (d[i] * d[i])).collect(), par)
        }
    }
}
