//! Variable-order (1–5), variable-step BDF for large stiff systems and index-1 DAEs
//! `M y' = f(t, y)` with a constant (possibly singular) mass matrix.
//!
//! # Formulation
//!
//! The quasi-constant step-size ("fixed-leading-coefficient") form of Shampine & Reichelt's
//! `ode15s` (*The MATLAB ODE Suite*, SIAM J. Sci. Comput. 18, 1997) as also used by SciPy's
//! `BDF`: the history is the array of backward differences `D_j = ∇^j y_n`, `j = 0..k+2`, on an
//! equidistant grid of spacing `h`. A change of `h` (or a rejected step) re-interpolates the
//! history polynomial to the new grid, `D ← (R(ρ)·U)ᵀ D` with `R(ρ)_{ij} = Π_{l≤i} (l−1−ρj)/l`
//! (Shampine & Reichelt, §2.3); the BDF coefficients then never depend on past step ratios and
//! the Newton matrix depends only on `h/α_k`. Orders `k` and `k ± 1` are estimated from the
//! differences after every `k + 1` steps of equal size, as in `ode15s` / CVODE.
//!
//! With `γ_k = Σ_{j≤k} 1/j`, `α_k = (1−κ_k)γ_k` and the predictor `y⁽⁰⁾ = Σ_{j≤k} D_j`, the
//! corrector solves for `d = y_{n+1} − y⁽⁰⁾`
//!
//! ```text
//!     M (d + ψ) = (h/α_k) f(t_{n+1}, y⁽⁰⁾ + d),      ψ = Σ_{j=1..k} γ_j D_j / α_k,
//! ```
//!
//! and the local error estimate is `(κ_k γ_k + 1/(k+1)) · d`. With `κ = 0`
//! ([`Method::Bdf`](crate::Method::Bdf)) these are the BDFs; with the coefficients
//! [`KAPPA_NDF`] of `ode15s` ([`Method::Ndf`](crate::Method::Ndf)) the NDFs, whose orders 1–4
//! keep the BDFs' order with smaller error constants, so larger steps for the same accuracy
//! (Shampine & Reichelt, Table 1).
//!
//! # Newton iteration and Jacobian reuse
//!
//! Modified Newton with `W = (α_k/h) M − J` ([`crate::linalg`], dense or sparse LU), `J` from
//! [`crate::jacobian`] (analytic > dual numbers > coloured finite differences):
//!
//! * `J` is kept across steps; it is re-evaluated (at the predictor) only when Newton fails to
//!   converge with an old `J`, when `W` is singular with an old `J`, or after
//!   [`MAX_JAC_AGE`] steps (CVODE's `MSBJ`);
//! * `W` is re-factorised whenever `h/α_k` changes (step or order change, rejection), which
//!   the quasi-constant step strategy keeps rare;
//! * convergence test of Hairer & Wanner (II, §IV.8) / CVODE: the contraction rate
//!   `ρ = ‖Δ_m‖/‖Δ_{m−1}‖` (carried over between steps as CVODE's `crate`) gives
//!   `ρ/(1−ρ)·‖Δ_m‖ < τ` (converged) and `ρ ≥ 1` or `ρ^{m_max−m}/(1−ρ)·‖Δ_m‖ > τ` (diverging:
//!   stop early), with `τ = max(10ε/rtol, κ)`, `κ` = [`NEWTON_KAPPA`] of the error weights,
//!   and at most [`NEWTON_MAX_ITER`] iterations;
//! * a failure with a fresh `J` cuts the step by 4 (CVODE); [`MAX_NEWTON_FAILURES`] in a row give
//!   [`OdeError::NewtonFailure`], [`MAX_SINGULAR_RETRIES`] singular `W` in a row
//!   [`OdeError::SingularMatrix`], both with `t`.
//!
//! # Dense output
//!
//! The interpolating polynomial of the history after the step,
//! `y(t_{n+1} + s h) = Σ_{j≤k} D_j Π_{i<j} (s + i)/(i + 1)`, of order `k`.
//!
//! All buffers are allocated when the solve starts; stepping allocates nothing (apart from the
//! supernodal sparse LU's own work buffers, see [`crate::linalg`]).

use crate::control::rms_norm;
use crate::driver::{self, first_non_finite, Step, Stepper};
use crate::error::OdeError;
use crate::ilu::Ilu0Preconditioner;
use crate::jacobian::{Jacobian, JacobianEvaluator};
use crate::krylov::{
    Gmres, IdentityPreconditioner, JacobiPreconditioner, LinearSolverChoice, Preconditioner,
    PreconditionerChoice, RowMajorJacobian,
};
use crate::linalg::LinearSolver;
use crate::mass::MassMatrix;
use crate::solution::{Solution, Stats};
use crate::solve::Solve;
use crate::system::OdeSystem;

/// Highest order.
pub const MAX_ORDER: usize = 5;
/// Rows of the difference array: `D_0 .. D_{k+2}` for `k ≤ MAX_ORDER`.
const ROWS: usize = MAX_ORDER + 3;
/// Newton iterations per attempt (`ode15s`, SciPy; CVODE uses 3).
pub(crate) const NEWTON_MAX_ITER: usize = 4;
/// Steps between Jacobian evaluations at most (CVODE's `MSBJ = 51`).
pub(crate) const MAX_JAC_AGE: usize = 50;
/// Newton failures with a fresh Jacobian in a row (each halving the step) before
/// [`OdeError::NewtonFailure`] (CVODE's `MXNCF = 10`).
pub(crate) const MAX_NEWTON_FAILURES: u32 = 10;
/// Step reduction after a Newton failure with a fresh Jacobian (CVODE's `ETACF`; `ode15s`
/// uses 0.3). Halving was too timid for the relaxation jumps of Van der Pol with `μ = 10⁶`
/// (`vdp1e6`): ten halvings from `h ≈ 0.03` stop three decades short of the `h ≈ 10⁻⁵` the
/// jump at `t ≈ 8.04·10⁵` needs, and NDF gave up there at `rtol = 1e-4`.
const NEWTON_FAILURE_FACTOR: f64 = 0.25;
/// Singular iteration matrices in a row (each halving the step) before
/// [`OdeError::SingularMatrix`].
pub(crate) const MAX_SINGULAR_RETRIES: u32 = 5;
/// Bounds on the step-size ratio after a step.
const MIN_FACTOR: f64 = 0.2;
const MAX_FACTOR: f64 = 10.0;
/// `κ`: the Newton iteration stops when its remaining error is estimated below `κ` in the
/// weighted RMS norm of the error test (`sᵢ = atolᵢ + rtolᵢ|yᵢ|`), i.e. at a fixed fraction of
/// the local error the step may commit, as OrdinaryDiffEq's `NLNewton(κ = 1/100)` (FBDF) and
/// CVODE (`0.1` over the error constant). SciPy's BDF and `ode15s` use `min(0.03, √rtol)`, which
/// at `rtol = 1e-8` asks for 1e-4 of the error weights: nearly every step then needs a second
/// Newton iteration (and a second GMRES solve) that changes the result far below the error
/// test. Measured with `bench/src/bin/stiff_profile` against `√rtol`: Newton iterations −25 …
/// −45 % on ROBER, HIRES, POLLU and VDPOL at rtol 1e-6 … 1e-10 and on `bruss2d` (+GMRES,
/// where the GMRES iterations fall by 40–60 %), at errors within a factor 2 of `√rtol`'s.
pub(crate) const NEWTON_KAPPA: f64 = 0.01;
/// CVODE's `CRDOWN`: how fast the remembered contraction rate decays.
const RATE_DECAY: f64 = 0.3;

/// The NDF coefficients `κ_k` of Shampine & Reichelt (1997), Table 1 (`κ_5 = 0`: NDF5 is
/// BDF5); index 0 is unused.
pub const KAPPA_NDF: [f64; MAX_ORDER + 1] = [0.0, -0.1850, -1.0 / 9.0, -0.0823, -0.0415, 0.0];
/// `κ = 0`: the backward differentiation formulas.
pub const KAPPA_BDF: [f64; MAX_ORDER + 1] = [0.0; MAX_ORDER + 1];

/// `R(ρ)` of Shampine & Reichelt (1997), §2.3: `R_{0j} = 1`, `R_{ij} = Π_{l=1..i} (l−1−ρj)/l`.
fn r_matrix(order: usize, factor: f64) -> [[f64; MAX_ORDER + 1]; MAX_ORDER + 1] {
    let mut r = [[0.0; MAX_ORDER + 1]; MAX_ORDER + 1];
    r[0][..=order].fill(1.0);
    for i in 1..=order {
        let (prev, cur) = r.split_at_mut(i);
        for (j, (c, &p)) in cur[0]
            .iter_mut()
            .zip(&prev[i - 1])
            .enumerate()
            .take(order + 1)
            .skip(1)
        {
            *c = p * (i as f64 - 1.0 - factor * j as f64) / i as f64;
        }
    }
    r
}

/// Buffers of one solve (`n` each unless noted).
struct Work {
    n: usize,
    /// Backward differences, `D_j` at `d[j*n..(j+1)*n]`, `ROWS` rows.
    d: Vec<f64>,
    /// Scratch for re-interpolating `D` (`(MAX_ORDER+1)·n`).
    d_tmp: Vec<f64>,
    /// State at the start of the step.
    y: Vec<f64>,
    /// Newton iterate, then the state at the end of the step.
    y1: Vec<f64>,
    y_pred: Vec<f64>,
    /// `f` at the predictor (first Newton iteration and Jacobian refreshes).
    f_pred: Vec<f64>,
    f: Vec<f64>,
    psi: Vec<f64>,
    /// Accumulated correction `y1 − y_pred`.
    corr: Vec<f64>,
    /// Newton right-hand side / increment.
    dy: Vec<f64>,
    tmp: Vec<f64>,
    mv: Vec<f64>,
    scale: Vec<f64>,
    atol: Vec<f64>,
    rtol: Vec<f64>,
}

/// The linear solver of the Newton iteration: LU of `W`, or preconditioned GMRES
/// ([`crate::krylov`]).
enum BdfLinear {
    Direct(LinearSolver),
    Krylov(Box<KrylovLinear>),
}

/// GMRES with its preconditioner and scratch (`n` each).
struct KrylovLinear {
    gmres: Gmres,
    prec: Box<dyn Preconditioner>,
    /// GMRES's stopping tolerance: [`GmresOptions::tol_factor`](crate::krylov::GmresOptions)
    /// times the Newton tolerance, or times the tighter `max(10ε/rtol, min(κ, √rtol))` unless the preconditioner is
    /// [`Preconditioner::near_inverse`].
    lin_tol: f64,
    /// `c` of `W = c·M − J` the preconditioner was set up for.
    c: f64,
    weights: Vec<f64>,
    mu: Vec<f64>,
    /// Row-major copy of a sparse `J` for the products with `W` (no mass matrix), refreshed at
    /// every Jacobian evaluation.
    rows: Option<RowMajorJacobian>,
}

impl BdfLinear {
    /// Prepares solves with `W = c·M − J`: LU, or preconditioner set-up.
    fn factorize<S: OdeSystem + ?Sized>(
        &mut self,
        sys: &S,
        t: f64,
        y: &[f64],
        c: f64,
        jac: &Jacobian,
        stats: &mut Stats,
    ) -> Result<(), OdeError> {
        match self {
            Self::Direct(lin) => lin.factorize(t, c, jac, stats),
            Self::Krylov(k) => {
                stats.prec_setups += 1;
                k.prec.setup(t, y, c, Some(jac), sys.mass_matrix())?;
                k.c = c;
                Ok(())
            }
        }
    }
}

/// The BDF method as a [`Stepper`].
pub(crate) struct BdfStepper {
    w: Work,
    jac: JacobianEvaluator,
    lin: BdfLinear,
    /// The last Newton failure came from GMRES: (iterations, residual).
    gmres_failure: Option<(usize, f64)>,
    has_mass: bool,
    adaptive: bool,
    dir: f64,
    span: f64,
    h_max: f64,
    /// `γ_k`, `α_k`, error constants `κ_k γ_k + 1/(k+1)` (index up to `MAX_ORDER + 1`).
    gamma: [f64; MAX_ORDER + 2],
    alpha: [f64; MAX_ORDER + 2],
    err_const: [f64; MAX_ORDER + 2],
    newton_tol: f64,
    order: usize,
    /// Order of the last accepted step (its dense output).
    step_order: usize,
    /// Never change the order (fixed-order studies).
    fixed_order: Option<usize>,
    max_order: usize,
    /// Spacing of the grid `D` lives on.
    h_d: f64,
    n_equal_steps: usize,
    /// `J` was evaluated during the current step (a failure then shrinks the step).
    jac_current: bool,
    /// `J` must be re-evaluated before the next Newton iteration.
    jac_stale: bool,
    jac_age: usize,
    /// `1/c = α_k/h` of the current factorisation (NaN when there is none).
    lu_c: f64,
    /// Remembered Newton contraction rate (CVODE's `crate`).
    rate: f64,
    singular_retries: u32,
    newton_fail_run: u32,
}

impl BdfStepper {
    /// Sets up a stepper for the solve request `p` with the order coefficients `kappa`
    /// ([`KAPPA_BDF`] or [`KAPPA_NDF`]).
    pub(crate) fn new<S: OdeSystem + ?Sized>(
        p: &Solve<'_, S>,
        kappa: &[f64; MAX_ORDER + 1],
    ) -> Result<Self, OdeError> {
        let sys = p.system;
        let n = sys.dim();
        let mass = sys.mass_matrix();
        if let Some(m) = mass {
            m.validate(n)?;
        }
        let jac = JacobianEvaluator::new(sys, &p.options.jacobian)?;
        let o = &p.options;
        let atol: Vec<f64> = (0..n).map(|i| o.atol.get(i)).collect();
        let rtol: Vec<f64> = (0..n).map(|i| o.rtol.get(i)).collect();
        let rtol_ref = rtol
            .iter()
            .copied()
            .fold(0.0f64, f64::max)
            .max(100.0 * f64::EPSILON);
        // 10ε/rtol: a Newton correction below it is rounding in the error weights.
        let floor = 10.0 * f64::EPSILON / rtol_ref;
        let newton_tol = floor.max(NEWTON_KAPPA);
        let lin = match o.linear_solver {
            LinearSolverChoice::Direct => {
                BdfLinear::Direct(LinearSolver::new(jac.jacobian(), mass)?)
            }
            LinearSolverChoice::Gmres(g) => {
                g.validate()?;
                let prec: Box<dyn Preconditioner> = match g.preconditioner {
                    PreconditionerChoice::Auto => sys.preconditioner().unwrap_or_else(|| {
                        if jac.is_sparse() {
                            Box::new(Ilu0Preconditioner::new())
                        } else {
                            Box::new(JacobiPreconditioner::new(n))
                        }
                    }),
                    PreconditionerChoice::Ilu0 => Box::new(Ilu0Preconditioner::new()),
                    PreconditionerChoice::Jacobi => Box::new(JacobiPreconditioner::new(n)),
                    PreconditionerChoice::Identity => Box::new(IdentityPreconditioner),
                };
                // A generic preconditioner's residual can understate the linear error by the
                // condition of P⁻¹W: hold GMRES to the tighter √rtol-based tolerance then.
                let tau = if prec.near_inverse() {
                    newton_tol
                } else {
                    floor.max(NEWTON_KAPPA.min(rtol_ref.sqrt()))
                };
                BdfLinear::Krylov(Box::new(KrylovLinear {
                    gmres: Gmres::new(n, g.restart, g.max_restarts),
                    prec,
                    lin_tol: g.tol_factor * tau,
                    c: f64::NAN,
                    weights: vec![0.0; n],
                    mu: vec![0.0; n],
                    rows: if mass.is_none() {
                        RowMajorJacobian::new(jac.jacobian())
                    } else {
                        None
                    },
                }))
            }
        };
        let span = (p.t_end - p.t0).abs();
        let mut gamma = [0.0; MAX_ORDER + 2];
        let mut alpha = [0.0; MAX_ORDER + 2];
        let mut err_const = [0.0; MAX_ORDER + 2];
        for k in 1..=MAX_ORDER + 1 {
            gamma[k] = gamma[k - 1] + 1.0 / k as f64;
        }
        for k in 0..=MAX_ORDER + 1 {
            let kap = if k <= MAX_ORDER { kappa[k] } else { 0.0 };
            alpha[k] = (1.0 - kap) * gamma[k];
            err_const[k] = kap * gamma[k] + 1.0 / (k as f64 + 1.0);
        }
        let z = || vec![0.0; n];
        let mut y = z();
        y.copy_from_slice(p.y0);
        Ok(Self {
            w: Work {
                n,
                d: vec![0.0; ROWS * n],
                d_tmp: vec![0.0; (MAX_ORDER + 1) * n],
                y,
                y1: z(),
                y_pred: z(),
                f_pred: z(),
                f: z(),
                psi: z(),
                corr: z(),
                dy: z(),
                tmp: z(),
                mv: z(),
                scale: z(),
                atol,
                rtol,
            },
            jac,
            lin,
            gmres_failure: None,
            has_mass: mass.is_some_and(|m| !m.is_identity()),
            adaptive: o.dt.is_none(),
            dir: if p.t_end >= p.t0 { 1.0 } else { -1.0 },
            span,
            h_max: o.h_max.unwrap_or(span).min(span),
            gamma,
            alpha,
            err_const,
            newton_tol,
            order: 1,
            step_order: 1,
            fixed_order: None,
            max_order: MAX_ORDER,
            h_d: f64::NAN,
            n_equal_steps: 0,
            jac_current: false,
            jac_stale: true,
            jac_age: 0,
            lu_c: f64::NAN,
            rate: 1.0,
            singular_retries: 0,
            newton_fail_run: 0,
        })
    }

    /// Re-interpolates the history of order `self.order` from spacing `h_d` to `factor·h_d`.
    fn rescale(&mut self, factor: f64) {
        let k = self.order;
        let n = self.w.n;
        let r = r_matrix(k, factor);
        let u = r_matrix(k, 1.0);
        // RU = R·U; D_new[i] = Σ_j RU[j][i] D[j]
        let mut ru = [[0.0; MAX_ORDER + 1]; MAX_ORDER + 1];
        for i in 0..=k {
            for j in 0..=k {
                ru[i][j] = (0..=k).map(|l| r[i][l] * u[l][j]).sum();
            }
        }
        let d = &self.w.d;
        let out = &mut self.w.d_tmp[..(k + 1) * n];
        out.fill(0.0);
        for i in 0..=k {
            let oi = &mut out[i * n..(i + 1) * n];
            for (j, row) in ru.iter().enumerate().take(k + 1) {
                let c = row[i];
                if c != 0.0 {
                    for (o, &x) in oi.iter_mut().zip(&d[j * n..(j + 1) * n]) {
                        *o += c * x;
                    }
                }
            }
        }
        self.w.d[..(k + 1) * n].copy_from_slice(out);
        self.h_d *= factor;
        self.n_equal_steps = 0;
    }

    /// One modified-Newton solve of the corrector at `t_new`; returns (converged, iterations).
    fn newton<S: OdeSystem + ?Sized>(
        &mut self,
        sys: &S,
        t_new: f64,
        c: f64,
        stats: &mut Stats,
    ) -> (bool, usize) {
        let w = &mut self.w;
        let mass = if self.has_mass {
            sys.mass_matrix()
        } else {
            None
        };
        self.gmres_failure = None;
        w.corr.fill(0.0);
        w.y1.copy_from_slice(&w.y_pred);
        let inv_c = 1.0 / c;
        let mut norm_old = f64::NAN;
        if let BdfLinear::Krylov(k) = &mut self.lin {
            // GMRES's norm: the Newton iteration's error weights, fixed during the iteration
            for (wt, &s) in k.weights.iter_mut().zip(&w.scale) {
                *wt = 1.0 / s;
            }
        }
        for it in 0..NEWTON_MAX_ITER {
            if it == 0 {
                w.f.copy_from_slice(&w.f_pred);
            } else {
                sys.rhs(t_new, &w.y1, &mut w.f);
                stats.f_evals += 1;
            }
            if first_non_finite(&w.f).is_some() {
                return (false, it);
            }
            // (M/c − J) Δ = f − M(ψ + d)/c
            for ((t, &p), &d) in w.tmp.iter_mut().zip(&w.psi).zip(&w.corr) {
                *t = p + d;
            }
            let mt: &[f64] = match mass {
                Some(m) => {
                    m.apply_into(&w.tmp, &mut w.mv);
                    &w.mv
                }
                None => &w.tmp,
            };
            for ((r, &f), &m) in w.dy.iter_mut().zip(&w.f).zip(mt) {
                *r = f - m * inv_c;
            }
            match &mut self.lin {
                BdfLinear::Direct(lin) => lin.solve_in_place(&mut w.dy, stats),
                BdfLinear::Krylov(k) => {
                    let KrylovLinear {
                        gmres,
                        prec,
                        lin_tol,
                        c: kc,
                        weights,
                        mu,
                        rows,
                    } = &mut **k;
                    let rows = &*rows;
                    let kc = *kc;
                    let jac = self.jac.jacobian();
                    let tol = *lin_tol;
                    let prec_solves = &mut stats.prec_solves;
                    let out = gmres.solve(
                        &mut w.dy,
                        weights,
                        tol,
                        |u, out| {
                            if let Some(rows) = rows {
                                rows.w_apply(kc, u, out);
                                return;
                            }
                            jac.mul_vec_into(u, out);
                            match mass {
                                Some(m) => {
                                    m.apply_into(u, mu);
                                    for (o, &x) in out.iter_mut().zip(mu.iter()) {
                                        *o = kc * x - *o;
                                    }
                                }
                                None => {
                                    for (o, &x) in out.iter_mut().zip(u) {
                                        *o = kc * x - *o;
                                    }
                                }
                            }
                        },
                        |r| {
                            prec.solve_in_place(r);
                            *prec_solves += 1;
                        },
                    );
                    stats.lin_solves += 1;
                    stats.lin_iters += out.iterations;
                    if !out.converged {
                        stats.newton_iters += 1;
                        self.gmres_failure = Some((out.iterations, out.residual));
                        return (false, it + 1);
                    }
                }
            }
            stats.newton_iters += 1;
            let norm = rms_norm(&w.dy, &w.scale);
            if !norm.is_finite() {
                return (false, it + 1);
            }
            let rate = if it == 0 { f64::NAN } else { norm / norm_old };
            if it > 0
                && (rate >= 1.0
                    || rate.powi((NEWTON_MAX_ITER - it) as i32) / (1.0 - rate) * norm
                        > self.newton_tol)
            {
                return (false, it + 1);
            }
            for ((y, d), &x) in w.y1.iter_mut().zip(w.corr.iter_mut()).zip(&w.dy) {
                *y += x;
                *d += x;
            }
            if it > 0 {
                self.rate = rate.max(RATE_DECAY * self.rate);
            }
            let converged = if it == 0 {
                // CVODE: the remembered rate lets a single iteration converge.
                norm == 0.0 || norm * self.rate.min(1.0) < self.newton_tol
            } else {
                rate / (1.0 - rate) * norm < self.newton_tol
            };
            if converged {
                return (true, it + 1);
            }
            norm_old = norm;
        }
        (false, NEWTON_MAX_ITER)
    }

    /// Rejects the current attempt after a Newton failure (or a non-finite `f`) with a fresh
    /// Jacobian: halve the step, or give up after too many in a row.
    fn newton_failure(&mut self, t: f64, h: f64, stats: &mut Stats) -> Result<Step, OdeError> {
        stats.newton_failures += 1;
        self.newton_fail_run += 1;
        if !self.adaptive || self.newton_fail_run >= MAX_NEWTON_FAILURES {
            if let Some((iterations, residual)) = self.gmres_failure {
                return Err(OdeError::LinearSolverFailure {
                    t,
                    h,
                    iterations,
                    residual,
                });
            }
            return Err(OdeError::NewtonFailure {
                t,
                h,
                failures: self.newton_fail_run,
            });
        }
        Ok(Step::Rejected {
            h_retry: NEWTON_FAILURE_FACTOR * h.abs(),
        })
    }

    /// Chooses the next order and step size after an accepted step with error norm `err`
    /// (`ode15s` / CVODE: compare the step sizes orders `k − 1`, `k`, `k + 1` allow).
    fn select(&mut self, err: f64, safety: f64) -> f64 {
        let ha = self.h_d;
        let k = self.order;
        if let Some(fixed) = self.fixed_order {
            if self.order < fixed && self.n_equal_steps > self.order {
                self.order += 1;
                self.n_equal_steps = 0;
            }
            return ha;
        }
        if self.n_equal_steps <= k {
            return ha;
        }
        let n = self.w.n;
        let d = &self.w.d;
        let sc = &self.w.scale;
        let err_m = if k > 1 {
            self.err_const[k - 1] * rms_norm(&d[k * n..(k + 1) * n], sc)
        } else {
            f64::INFINITY
        };
        let err_p = if k < self.max_order {
            self.err_const[k + 1] * rms_norm(&d[(k + 2) * n..(k + 3) * n], sc)
        } else {
            f64::INFINITY
        };
        let fac = |e: f64, q: usize| -> f64 {
            if e == 0.0 {
                f64::INFINITY
            } else {
                e.powf(-1.0 / q as f64)
            }
        };
        let factors = [fac(err_m, k), fac(err, k + 1), fac(err_p, k + 2)];
        let mut best = 1;
        for (i, f) in factors.iter().enumerate() {
            if *f > factors[best] {
                best = i;
            }
        }
        if !self.adaptive {
            if best == 2 {
                self.order += 1;
                self.n_equal_steps = 0;
            }
            return ha;
        }
        let factor = (safety * factors[best]).min(MAX_FACTOR);
        self.n_equal_steps = 0;
        if best == 1 && (1.0..1.2).contains(&factor) {
            // Not worth a re-interpolation and a new LU (CVODE's threshold is 1.5).
            return ha;
        }
        self.order = k + best - 1;
        ha * factor
    }

    #[cfg(test)]
    /// Fixed-order mode with the history set from exact values `y(t_n − i h)`, `i = 0..k`
    /// (rows of `hist`, newest first): backward differences `D_j = ∇^j y_n`.
    pub(crate) fn start_fixed_order(&mut self, k: usize, h: f64, hist: &[Vec<f64>]) {
        let n = self.w.n;
        self.order = k;
        self.fixed_order = Some(k);
        self.h_d = h.abs();
        self.n_equal_steps = 0;
        let mut cur: Vec<Vec<f64>> = hist.to_vec();
        for j in 0..=k {
            self.w.d[j * n..(j + 1) * n].copy_from_slice(&cur[0]);
            cur = (0..cur.len() - 1)
                .map(|i| cur[i].iter().zip(&cur[i + 1]).map(|(a, b)| a - b).collect())
                .collect();
        }
        self.w.y.copy_from_slice(&hist[0]);
    }
}

impl<S: OdeSystem + ?Sized> Stepper<S> for BdfStepper {
    fn init(
        &mut self,
        sys: &S,
        t0: f64,
        h_first: Option<f64>,
        stats: &mut Stats,
    ) -> Result<f64, OdeError> {
        let n = self.w.n;
        sys.rhs(t0, &self.w.y, &mut self.w.f);
        stats.f_evals += 1;
        if let Some(c) = first_non_finite(&self.w.f) {
            return Err(OdeError::NonFiniteState {
                t: t0,
                component: c,
            });
        }
        // y'(t0): f for M = I; f_i/m_ii on the differential components of a diagonal M (0 on
        // algebraic ones); 0 for other mass matrices (the first steps then start from a
        // constant predictor and the error control shortens them).
        if self.has_mass {
            match sys.mass_matrix() {
                Some(MassMatrix::Diagonal(m)) => {
                    for ((f, &mi), yp) in self.w.f.iter().zip(m).zip(self.w.tmp.iter_mut()) {
                        *yp = if mi != 0.0 { f / mi } else { 0.0 };
                    }
                }
                _ => self.w.tmp.fill(0.0),
            }
        } else {
            self.w.tmp.copy_from_slice(&self.w.f);
        }
        let h0 = match h_first {
            Some(h) => h,
            None => {
                let mut scratch = vec![0.0; 3 * n];
                driver::initial_step(
                    sys,
                    t0,
                    &self.w.y,
                    &self.w.tmp,
                    self.dir,
                    self.span,
                    1,
                    self.h_max,
                    &self.w.atol,
                    &self.w.rtol,
                    &mut scratch,
                    stats,
                )
            }
        };
        self.w.d[..n].copy_from_slice(&self.w.y);
        for (d, &yp) in self.w.d[n..2 * n].iter_mut().zip(&self.w.tmp) {
            *d = self.dir * h0 * yp;
        }
        self.h_d = h0;
        self.order = 1;
        self.n_equal_steps = 0;
        Ok(h0)
    }

    fn try_step(&mut self, sys: &S, t: f64, h: f64, stats: &mut Stats) -> Result<Step, OdeError> {
        let ha = h.abs();
        if ha != self.h_d {
            self.rescale(ha / self.h_d);
            self.h_d = ha;
        }
        let n = self.w.n;
        let k = self.order;
        let t_new = t + h;
        {
            let w = &mut self.w;
            w.y_pred.copy_from_slice(&w.d[..n]);
            w.psi.fill(0.0);
            for j in 1..=k {
                let dj = &w.d[j * n..(j + 1) * n];
                let g = self.gamma[j] / self.alpha[k];
                for ((yp, ps), &x) in w.y_pred.iter_mut().zip(w.psi.iter_mut()).zip(dj) {
                    *yp += x;
                    *ps += g * x;
                }
            }
            for i in 0..n {
                w.scale[i] = w.atol[i] + w.rtol[i] * w.y_pred[i].abs();
            }
            sys.rhs(t_new, &w.y_pred, &mut w.f_pred);
            stats.f_evals += 1;
        }
        if first_non_finite(&self.w.f_pred).is_some() {
            return self.newton_failure(t, h, stats);
        }
        let c = h / self.alpha[k];
        if self.jac_age >= MAX_JAC_AGE && !self.jac_current {
            self.jac_stale = true;
        }
        let iters = loop {
            if self.jac_stale {
                self.jac
                    .evaluate(sys, t_new, &self.w.y_pred, &self.w.f_pred, stats)?;
                if let BdfLinear::Krylov(k) = &mut self.lin {
                    if let Some(rows) = &mut k.rows {
                        rows.refresh(self.jac.jacobian());
                    }
                }
                self.jac_stale = false;
                self.jac_current = true;
                self.jac_age = 0;
                self.lu_c = f64::NAN;
            }
            if self.lu_c != 1.0 / c {
                self.lu_c = f64::NAN;
                match self.lin.factorize(
                    sys,
                    t,
                    &self.w.y_pred,
                    1.0 / c,
                    self.jac.jacobian(),
                    stats,
                ) {
                    Ok(()) => {
                        self.lu_c = 1.0 / c;
                        self.rate = 1.0;
                        self.singular_retries = 0;
                    }
                    Err(OdeError::SingularMatrix { .. }) if !self.jac_current => {
                        self.jac_stale = true;
                        continue;
                    }
                    Err(OdeError::SingularMatrix { .. })
                        if self.adaptive && self.singular_retries < MAX_SINGULAR_RETRIES =>
                    {
                        self.singular_retries += 1;
                        return Ok(Step::Rejected { h_retry: 0.5 * ha });
                    }
                    Err(e) => return Err(e),
                }
            }
            let (converged, iters) = self.newton(sys, t_new, c, stats);
            if converged {
                break iters;
            }
            if !self.jac_current {
                self.jac_stale = true;
                continue;
            }
            return self.newton_failure(t, h, stats);
        };
        self.newton_fail_run = 0;
        if let Some(component) = first_non_finite(&self.w.y1) {
            return Ok(Step::NonFinite {
                h_retry: 0.25 * ha,
                component,
            });
        }
        let safety = 0.9 * (2 * NEWTON_MAX_ITER + 1) as f64 / (2 * NEWTON_MAX_ITER + iters) as f64;
        let err = {
            let w = &mut self.w;
            for i in 0..n {
                w.scale[i] = w.atol[i] + w.rtol[i] * w.y1[i].abs();
            }
            self.err_const[k] * rms_norm(&w.corr, &w.scale)
        };
        if self.adaptive && err > 1.0 {
            let factor = (safety * err.powf(-1.0 / (k as f64 + 1.0))).max(MIN_FACTOR);
            return Ok(Step::Rejected {
                h_retry: ha * factor,
            });
        }
        // Accepted: update the differences to the new point.
        {
            let d = &mut self.w.d;
            let corr = &self.w.corr;
            for i in 0..n {
                d[(k + 2) * n + i] = corr[i] - d[(k + 1) * n + i];
                d[(k + 1) * n + i] = corr[i];
            }
            for j in (0..=k).rev() {
                let (lo, hi) = d.split_at_mut((j + 1) * n);
                for (a, &b) in lo[j * n..].iter_mut().zip(&hi[..n]) {
                    *a += b;
                }
            }
        }
        self.step_order = k;
        self.n_equal_steps += 1;
        let h_next = self.select(err, safety);
        Ok(Step::Accepted { h_next })
    }

    fn y(&self) -> &[f64] {
        &self.w.y
    }

    fn y1(&self) -> &[f64] {
        &self.w.y1
    }

    fn prepare_dense(&mut self, _sys: &S, _stats: &mut Stats) {}

    fn dense(&self, theta: f64, out: &mut [f64]) {
        // y(t_{n+1} + s h), s = θ − 1: Σ_j D_j Π_{i<j} (s + i)/(i + 1). The order may have
        // changed in `select`, but `D` is only re-interpolated at the next step.
        let n = self.w.n;
        let s = theta - 1.0;
        out.copy_from_slice(&self.w.d[..n]);
        let mut p = 1.0;
        for j in 1..=self.step_order {
            p *= (s + (j - 1) as f64) / j as f64;
            for (o, &x) in out.iter_mut().zip(&self.w.d[j * n..(j + 1) * n]) {
                *o += p * x;
            }
        }
    }

    fn accept(
        &mut self,
        _sys: &S,
        _t1: f64,
        _more: bool,
        _stats: &mut Stats,
    ) -> Result<(), OdeError> {
        std::mem::swap(&mut self.w.y, &mut self.w.y1);
        self.jac_current = false;
        self.jac_age += 1;
        Ok(())
    }
}

/// Solves with the variable-order BDF (`kappa` = [`KAPPA_BDF`]) or NDF ([`KAPPA_NDF`]).
pub(crate) fn integrate<S: OdeSystem + ?Sized>(
    p: Solve<'_, S>,
    kappa: &[f64; MAX_ORDER + 1],
) -> Result<Solution, OdeError> {
    let name = if kappa == &KAPPA_NDF { "ndf" } else { "bdf" };
    driver::validate(&p, true, name)?;
    let stepper = BdfStepper::new(&p, kappa)?;
    let method = p.method;
    driver::drive(p, method, stepper)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FnSystem;

    /// `y1' = y1 cos t` (`exp(sin t)`), `y2' = −2t y2²` (`1/(1+t²)`),
    /// `y3' = −50(y3 − cos t) − sin t` (`cos t`): nonlinear, non-autonomous, mildly stiff.
    fn exact(t: f64) -> Vec<f64> {
        vec![t.sin().exp(), 1.0 / (1.0 + t * t), t.cos()]
    }

    fn fixed_order_error(k: usize, steps: usize, kappa: &[f64; MAX_ORDER + 1]) -> f64 {
        let sys = FnSystem::new(3, |t, y: &[f64], dy: &mut [f64]| {
            dy[0] = y[0] * t.cos();
            dy[1] = -2.0 * t * y[1] * y[1];
            dy[2] = -50.0 * (y[2] - t.cos()) - t.sin();
        });
        let (t0, t_end) = (0.0, 1.0);
        let h = (t_end - t0) / steps as f64;
        // History y(t_k), y(t_{k−1}), ..., y(t_0): the integration starts at t_k.
        let hist: Vec<Vec<f64>> = (0..=k).rev().map(|i| exact(t0 + i as f64 * h)).collect();
        let ts = t0 + k as f64 * h;
        let y0 = hist[0].clone();
        let p = Solve::new(&sys, (ts, t_end), &y0)
            .rtol(1e-13)
            .atol(1e-13)
            .dt(h);
        let mut st = BdfStepper::new(&p, kappa).unwrap();
        st.start_fixed_order(k, h, &hist);
        let mut stats = Stats::default();
        let mut t = ts;
        for i in k..steps {
            let out = Stepper::<_>::try_step(&mut st, &sys, t, h, &mut stats).unwrap();
            assert!(matches!(out, Step::Accepted { .. }), "{out:?}");
            let t1 = t0 + (i + 1) as f64 * h;
            Stepper::<_>::accept(&mut st, &sys, t1, true, &mut stats).unwrap();
            t = t1;
        }
        let e = exact(t_end);
        st.w.y
            .iter()
            .zip(&e)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max)
    }

    /// Each order k = 1..5 of the BDFs and the NDFs with fixed steps and an exact start:
    /// observed order within 0.3.
    #[test]
    fn fixed_order_convergence() {
        for (name, kappa, k) in (1..=MAX_ORDER)
            .map(|k| ("BDF", &KAPPA_BDF, k))
            .chain((1..=MAX_ORDER).map(|k| ("NDF", &KAPPA_NDF, k)))
        {
            let ns = [40usize, 80, 160, 320];
            let errs: Vec<f64> = ns.iter().map(|&n| fixed_order_error(k, n, kappa)).collect();
            let (mut sx, mut sy, mut sxx, mut sxy) = (0.0, 0.0, 0.0, 0.0);
            for (&n, &e) in ns.iter().zip(&errs) {
                let x = (1.0 / n as f64).ln();
                let y = e.ln();
                sx += x;
                sy += y;
                sxx += x * x;
                sxy += x * y;
            }
            let m = ns.len() as f64;
            let p = (m * sxy - sx * sy) / (m * sxx - sx * sx);
            println!("{name}{k}: observed order {p:.3}, errors {errs:?}");
            assert!((p - k as f64).abs() <= 0.3, "{name}{k}: order {p:.2}");
        }
    }
}
