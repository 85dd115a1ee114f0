//! The one generic linearly implicit (Rosenbrock–Wanner) stepper for stiff problems and
//! index-1 DAEs `M y' = f(t, y)` with a constant mass matrix. It is monomorphised per method
//! ([`RosenbrockMethod`]) so the coefficients are compile-time constants.
//!
//! Per step (Hairer & Wanner, *Solving ODEs II*, §IV.7 and §VI.4; the formulation of `RODAS`):
//!
//! * `J = ∂f/∂y (t, y)` and, for non-autonomous systems, `∂f/∂t` are evaluated once at the start
//!   of the step ([`crate::jacobian`]: analytic, dual numbers or finite differences) and reused
//!   when the step is rejected: the retry starts from the same `(t, y)`, so they are still exact;
//! * `W = M/(hγ) − J` is factorised once per attempted step size ([`crate::linalg`], dense or
//!   sparse LU); a singular `W` halves the step (at most [`MAX_SINGULAR_RETRIES`] times in a
//!   row, then [`OdeError::SingularMatrix`] with `t`);
//! * every stage is one evaluation of `f` and one linear solve (see
//!   [`crate::methods::rosenbrock::RosenbrockTableau`] for the stage equations);
//! * the embedded solution drives the PI controller ([`PiController`]), with the error scaled by
//!   `atol + rtol·max(|y|, |y1|)` as in `RODAS`.
//!
//! * a system that declares linear invariants ([`OdeSystem::linear_invariants`]) has every
//!   accepted `y1` projected back onto them: the rounding of `J` (`wᵀ J = 0` holds only to
//!   `ε·|J|`) otherwise drifts the solution along them by `≈ hγ·ε·‖J‖·|u|` per stage — harmless
//!   on most problems, fatal on E5 (see there). The projection is the smallest correction in the
//!   error norm of the step ([`project_weighted`]): `min Σ (δᵢ/sᵢ)²` subject to
//!   `Q (y1 − δ) = Q y`, `sᵢ = atolᵢ + rtolᵢ·max(|yᵢ|, |y1ᵢ|)`, i.e.
//!   `δ = S² Qᵀ (Q S² Qᵀ)⁻¹ Q (y1 − y)` (the weighted least-squares projection of Hairer,
//!   Lubich & Wanner, *Geometric Numerical Integration*, §IV.4, with the metric of the error
//!   control; Shampine, *Conservation laws and the numerical solution of ODEs*, Comp. Math.
//!   Appl. 12B, 1986, projects the same way). A Euclidean projection would move a component of
//!   size `10⁻⁵` (ROBER's `y2`) by as much as one of size 1, ruining its relative accuracy; the
//!   weighted one moves each component in proportion to its tolerance. Radau5 and BDF need no
//!   projection (their steps are Newton solutions of equations in `f`).
//!
//! All buffers are allocated when the solve starts; stepping allocates nothing (see
//! `tests/rosenbrock_no_alloc.rs`).

use crate::control::PiController;
use crate::driver::{self, first_non_finite, Step, Stepper};
use crate::error::OdeError;
use crate::jacobian::JacobianEvaluator;
use crate::linalg::LinearSolver;
use crate::methods::RosenbrockMethod;
use crate::solution::{Solution, Stats};
use crate::solve::Solve;
use crate::system::OdeSystem;

/// Consecutive singular iteration matrices (each halving the step) before giving up, as in
/// Hairer's `RODAS`.
pub(crate) const MAX_SINGULAR_RETRIES: u32 = 5;

/// Buffers of one solve.
struct Work {
    n: usize,
    y: Vec<f64>,
    y1: Vec<f64>,
    /// `f(t, y)` at the start of the step.
    f0: Vec<f64>,
    /// `f(t + h, y1)` of the last stage of an FSAL method.
    f_last: Vec<f64>,
    /// `∂f/∂t (t, y)` (zero for autonomous systems).
    dfdt: Vec<f64>,
    /// Stage argument, then `Σ_j (c_ij/h) u_j`.
    tmp: Vec<f64>,
    /// `M · tmp` when there is a mass matrix.
    mv: Vec<f64>,
    /// Stage solutions, `u_i` at `u[i*n..(i+1)*n]`.
    u: Vec<f64>,
    /// Dense-output vectors `Σ_i dense[k][i] u_i`, `k`-th at `dense[k*n..(k+1)*n]`.
    dense: Vec<f64>,
    atol: Vec<f64>,
    rtol: Vec<f64>,
    /// Orthonormal basis of the declared linear invariants, row-major (empty if none).
    invariants: Vec<f64>,
    /// Their values `Q y0` at the start of the solve: every step is projected back onto them
    /// (not onto the previous step's values, whose rounding would accumulate).
    invariant_values: Vec<f64>,
    /// Scratch of the projection: squared relative scales (`n`), and `k² + k` for the `k × k`
    /// Gram matrix and the residual (empty without invariants).
    proj_s2: Vec<f64>,
    proj_small: Vec<f64>,
}

/// An orthonormal basis (modified Gram–Schmidt, rows dropped when dependent to `1e-12`) of the
/// rows of `rows` (`k × n`, row-major), row-major.
fn orthonormal_rows(n: usize, rows: &[f64]) -> Vec<f64> {
    let mut q: Vec<f64> = Vec::with_capacity(rows.len());
    for w in rows.chunks_exact(n) {
        let mut v = w.to_vec();
        let norm0 = v.iter().map(|x| x * x).sum::<f64>().sqrt();
        for qj in q.chunks_exact(n) {
            let s: f64 = qj.iter().zip(&v).map(|(a, b)| a * b).sum();
            for (x, &a) in v.iter_mut().zip(qj) {
                *x -= s * a;
            }
        }
        let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
        if norm > 1e-12 * norm0 {
            q.extend(v.iter().map(|x| x / norm));
        }
    }
    q
}

/// `y1 ← y1 − Qᵀ (Q y1 − c0)`: restores `Q y1 = c0` (`Q` with orthonormal rows) with the
/// smallest Euclidean correction. The fallback of [`project_weighted`] when its weights are
/// degenerate.
#[inline]
fn project(q: &[f64], c0: &[f64], y1: &mut [f64]) {
    let n = y1.len();
    for (qj, &cj) in q.chunks_exact(n).zip(c0) {
        let s: f64 = qj.iter().zip(y1.iter()).map(|(a, b)| a * b).sum::<f64>() - cj;
        if s != 0.0 {
            for (x, &a) in y1.iter_mut().zip(qj) {
                *x -= s * a;
            }
        }
    }
}

/// Restores `Q y1 = c0` (`Q`: `k × n`, row-major, independent rows; `c0 = Q y0`, the values of
/// the invariants at the start of the solve) with the correction `δ` of least weighted norm
/// `Σ (δᵢ/sᵢ)²`, `sᵢ = atolᵢ + rtolᵢ·max(|yᵢ|, |y1ᵢ|)` (the error scale of the step):
/// `δ = S² Qᵀ λ`, `(Q S² Qᵀ) λ = Q y1 − c0`, the `k × k` system solved by Cholesky. Projecting
/// onto `c0` rather than onto `Q y` of the previous step keeps the rounding of each step from
/// accumulating in the invariants. The weights are normalised by the largest `sᵢ` (no under/overflow of `sᵢ²`); if
/// they vanish on the support of a row (`atol = 0` and zero components) the Euclidean
/// projection [`project`] is used. `s2` (`n`) and `small` (`k² + k`) are scratch. Costs
/// `O(k²·n + k³)`, no allocation.
#[allow(clippy::too_many_arguments)]
fn project_weighted(
    q: &[f64],
    c0: &[f64],
    y: &[f64],
    y1: &mut [f64],
    atol: &[f64],
    rtol: &[f64],
    s2: &mut [f64],
    small: &mut [f64],
) {
    let n = y.len();
    let k = q.len() / n.max(1);
    if k == 0 {
        return;
    }
    let (g, r) = small.split_at_mut(k * k);
    let mut any = false;
    for ((rj, qj), &cj) in r.iter_mut().zip(q.chunks_exact(n)).zip(c0) {
        *rj = qj.iter().zip(y1.iter()).map(|(a, b)| a * b).sum::<f64>() - cj;
        any |= *rj != 0.0;
    }
    if !any {
        return;
    }
    let mut smax = 0.0f64;
    for (((s, &a), &rt), (&u, &v)) in s2
        .iter_mut()
        .zip(atol)
        .zip(rtol)
        .zip(y.iter().zip(y1.iter()))
    {
        *s = a + rt * u.abs().max(v.abs());
        smax = smax.max(*s);
    }
    if !smax.is_finite() || smax <= 0.0 {
        project(q, c0, y1);
        return;
    }
    for s in s2.iter_mut() {
        let x = *s / smax;
        *s = x * x;
    }
    // G = Q S² Qᵀ (symmetric positive semi-definite), lower triangle, then its Cholesky factor.
    for i in 0..k {
        let qi = &q[i * n..(i + 1) * n];
        for j in 0..=i {
            let qj = &q[j * n..(j + 1) * n];
            g[i * k + j] = qi
                .iter()
                .zip(qj)
                .zip(s2.iter())
                .map(|((a, b), w)| a * b * w)
                .sum();
        }
    }
    for j in 0..k {
        let mut d = g[j * k + j];
        for l in 0..j {
            d -= g[j * k + l] * g[j * k + l];
        }
        // A row whose support carries (numerically) no weight: Euclidean fallback.
        if !d.is_finite() || d <= 1e-14 * g[j * k + j].max(f64::MIN_POSITIVE) {
            project(q, c0, y1);
            return;
        }
        let d = d.sqrt();
        g[j * k + j] = d;
        for i in j + 1..k {
            let mut v = g[i * k + j];
            for l in 0..j {
                v -= g[i * k + l] * g[j * k + l];
            }
            g[i * k + j] = v / d;
        }
    }
    // λ = G⁻¹ r: forward then backward substitution, in place in r.
    for i in 0..k {
        let mut v = r[i];
        for l in 0..i {
            v -= g[i * k + l] * r[l];
        }
        r[i] = v / g[i * k + i];
    }
    for i in (0..k).rev() {
        let mut v = r[i];
        for l in i + 1..k {
            v -= g[l * k + i] * r[l];
        }
        r[i] = v / g[i * k + i];
    }
    for (j, &lam) in r.iter().enumerate() {
        if lam != 0.0 {
            for ((x, &a), &w) in y1.iter_mut().zip(&q[j * n..(j + 1) * n]).zip(s2.iter()) {
                *x -= lam * w * a;
            }
        }
    }
}

/// `out = y + Σ_j w_j u_j` over the nonzero weights.
#[inline]
fn combine(w: &[crate::tableau::Coef], y: &[f64], u: &[f64], out: &mut [f64]) {
    let n = y.len();
    out.copy_from_slice(y);
    for (j, c) in w.iter().enumerate() {
        if c.v != 0.0 {
            let uj = &u[j * n..(j + 1) * n];
            for (o, &x) in out.iter_mut().zip(uj) {
                *o += c.v * x;
            }
        }
    }
}

/// The Rosenbrock method `M` as a [`Stepper`].
pub(crate) struct RosenbrockStepper<M: RosenbrockMethod> {
    w: Work,
    jac: JacobianEvaluator,
    lin: LinearSolver,
    /// Whether the system has a mass matrix other than the identity.
    has_mass: bool,
    autonomous: bool,
    ctrl: PiController,
    adaptive: bool,
    dir: f64,
    span: f64,
    h_max: f64,
    /// `J` and `∂f/∂t` are those of the current `(t, y)`.
    jac_current: bool,
    /// Step size of the current factorisation of `W` (NaN when there is none).
    lu_h: f64,
    singular_retries: u32,
    _method: std::marker::PhantomData<M>,
}

impl<M: RosenbrockMethod> RosenbrockStepper<M> {
    /// Computes all stages, `y1`, and the scaled error norm (0 in fixed-step mode).
    fn stages<S: OdeSystem + ?Sized>(&mut self, sys: &S, t: f64, h: f64, stats: &mut Stats) -> f64 {
        let tab = &M::TABLEAU;
        let s = tab.stages();
        let w = &mut self.w;
        let n = w.n;
        let mass = if self.has_mass {
            sys.mass_matrix()
        } else {
            None
        };
        for i in 0..s {
            let (done, rest) = w.u.split_at_mut(i * n);
            let ui = &mut rest[..n];
            if i == 0 {
                ui.copy_from_slice(&w.f0);
            } else {
                combine(tab.a[i], &w.y, done, &mut w.tmp);
                sys.rhs(t + tab.alpha[i].v * h, &w.tmp, ui);
                stats.f_evals += 1;
                if tab.fsal && i == s - 1 {
                    w.f_last.copy_from_slice(ui);
                }
                // ui += M Σ_j (c_ij/h) u_j
                w.tmp.fill(0.0);
                for (j, c) in tab.c[i].iter().enumerate() {
                    if c.v != 0.0 {
                        let f = c.v / h;
                        for (o, &x) in w.tmp.iter_mut().zip(&done[j * n..(j + 1) * n]) {
                            *o += f * x;
                        }
                    }
                }
                match mass {
                    Some(m) => {
                        m.apply_into(&w.tmp, &mut w.mv);
                        for (o, &x) in ui.iter_mut().zip(&w.mv) {
                            *o += x;
                        }
                    }
                    None => {
                        for (o, &x) in ui.iter_mut().zip(&w.tmp) {
                            *o += x;
                        }
                    }
                }
            }
            let g = tab.gamma_i[i].v;
            if !self.autonomous && g != 0.0 {
                let f = g * h;
                for (o, &d) in ui.iter_mut().zip(&w.dfdt) {
                    *o += f * d;
                }
            }
            self.lin.solve_in_place(ui, stats);
        }
        combine(tab.m, &w.y, &w.u, &mut w.y1);
        if !self.adaptive {
            return 0.0;
        }
        let mut sum = 0.0;
        for m in 0..n {
            let mut e = 0.0;
            for (j, c) in tab.e.iter().enumerate() {
                if c.v != 0.0 {
                    e += c.v * w.u[j * n + m];
                }
            }
            let sc = w.atol[m] + w.rtol[m] * w.y[m].abs().max(w.y1[m].abs());
            let r = e / sc;
            sum += r * r;
        }
        (sum / n.max(1) as f64).sqrt()
    }
}

impl<M: RosenbrockMethod, S: OdeSystem + ?Sized> Stepper<S> for RosenbrockStepper<M> {
    fn init(
        &mut self,
        sys: &S,
        t0: f64,
        h_first: Option<f64>,
        stats: &mut Stats,
    ) -> Result<f64, OdeError> {
        let n = self.w.n;
        sys.rhs(t0, &self.w.y, &mut self.w.f0);
        stats.f_evals += 1;
        if let Some(c) = first_non_finite(&self.w.f0) {
            return Err(OdeError::NonFiniteState {
                t: t0,
                component: c,
            });
        }
        if let Some(h) = h_first {
            return Ok(h);
        }
        let mut scratch = vec![0.0; 3 * n];
        Ok(driver::initial_step(
            sys,
            t0,
            &self.w.y,
            &self.w.f0,
            self.dir,
            self.span,
            M::TABLEAU.order,
            self.h_max,
            &self.w.atol,
            &self.w.rtol,
            &mut scratch,
            stats,
        ))
    }

    fn try_step(&mut self, sys: &S, t: f64, h: f64, stats: &mut Stats) -> Result<Step, OdeError> {
        let tab = &M::TABLEAU;
        if !self.jac_current {
            self.jac.evaluate(sys, t, &self.w.y, &self.w.f0, stats)?;
            if !self.autonomous {
                self.jac
                    .time_derivative(sys, t, &self.w.y, &self.w.f0, &mut self.w.dfdt, stats)?;
            }
            self.jac_current = true;
            self.lu_h = f64::NAN;
        }
        if h != self.lu_h {
            self.lu_h = f64::NAN;
            match self
                .lin
                .factorize(t, 1.0 / (h * tab.gamma.v), self.jac.jacobian(), stats)
            {
                Ok(()) => {
                    self.lu_h = h;
                    self.singular_retries = 0;
                }
                Err(OdeError::SingularMatrix { .. })
                    if self.adaptive && self.singular_retries < MAX_SINGULAR_RETRIES =>
                {
                    self.singular_retries += 1;
                    return Ok(Step::Rejected {
                        h_retry: 0.5 * h.abs(),
                    });
                }
                Err(e) => return Err(e),
            }
        }
        let err = self.stages(sys, t, h, stats);
        let ha = h.abs();
        if let Some(component) = first_non_finite(&self.w.y1) {
            return Ok(Step::NonFinite {
                h_retry: ha * self.ctrl.reject(f64::NAN),
                component,
            });
        }
        if !self.adaptive {
            self.project_y1();
            return Ok(Step::Accepted { h_next: ha });
        }
        if !err.is_finite() {
            return Ok(Step::NonFinite {
                h_retry: ha * self.ctrl.reject(f64::NAN),
                component: 0,
            });
        }
        if err > 1.0 {
            return Ok(Step::Rejected {
                h_retry: ha * self.ctrl.reject(err),
            });
        }
        self.project_y1();
        Ok(Step::Accepted {
            h_next: ha * self.ctrl.accept(err),
        })
    }

    fn y(&self) -> &[f64] {
        &self.w.y
    }

    fn y1(&self) -> &[f64] {
        &self.w.y1
    }

    fn prepare_dense(&mut self, _sys: &S, _stats: &mut Stats) {
        let n = self.w.n;
        for (k, row) in M::TABLEAU.dense.iter().enumerate() {
            let d = &mut self.w.dense[k * n..(k + 1) * n];
            d.fill(0.0);
            for (i, c) in row.iter().enumerate() {
                if c.v != 0.0 {
                    for (o, &x) in d.iter_mut().zip(&self.w.u[i * n..(i + 1) * n]) {
                        *o += c.v * x;
                    }
                }
            }
        }
    }

    fn dense(&self, theta: f64, out: &mut [f64]) {
        let n = self.w.n;
        let r = M::TABLEAU.dense.len();
        let th1 = 1.0 - theta;
        for (m, o) in out.iter_mut().enumerate() {
            // Horner in θ over the dense vectors.
            let mut p = 0.0;
            for k in (0..r).rev() {
                p = p * theta + self.w.dense[k * n + m];
            }
            *o = th1 * self.w.y[m] + theta * self.w.y1[m] + theta * th1 * p;
        }
    }

    fn accept(&mut self, sys: &S, t1: f64, more: bool, stats: &mut Stats) -> Result<(), OdeError> {
        std::mem::swap(&mut self.w.y, &mut self.w.y1);
        self.jac_current = false;
        // The last stage's f is that of the unprojected y1.
        if M::TABLEAU.fsal && self.w.invariants.is_empty() {
            std::mem::swap(&mut self.w.f0, &mut self.w.f_last);
        } else if more {
            sys.rhs(t1, &self.w.y, &mut self.w.f0);
            stats.f_evals += 1;
        }
        if more {
            if let Some(c) = first_non_finite(&self.w.f0) {
                return Err(OdeError::NonFiniteState {
                    t: t1,
                    component: c,
                });
            }
        }
        Ok(())
    }
}

impl<M: RosenbrockMethod> RosenbrockStepper<M> {
    /// Projects the accepted `y1` onto the declared linear invariants through `y`, in the error
    /// norm ([`project_weighted`]).
    #[inline]
    fn project_y1(&mut self) {
        let w = &mut self.w;
        if !w.invariants.is_empty() {
            project_weighted(
                &w.invariants,
                &w.invariant_values,
                &w.y,
                &mut w.y1,
                &w.atol,
                &w.rtol,
                &mut w.proj_s2,
                &mut w.proj_small,
            );
        }
    }

    /// Restarts from `(t, y)` (after another method took the steps before): new `f(t, y)`, a
    /// fresh Jacobian on the next step, a fresh controller history.
    pub(crate) fn restart<S: OdeSystem + ?Sized>(
        &mut self,
        sys: &S,
        t: f64,
        y: &[f64],
        stats: &mut Stats,
    ) -> Result<(), OdeError> {
        self.w.y.copy_from_slice(y);
        sys.rhs(t, &self.w.y, &mut self.w.f0);
        stats.f_evals += 1;
        if let Some(c) = first_non_finite(&self.w.f0) {
            return Err(OdeError::NonFiniteState { t, component: c });
        }
        self.jac_current = false;
        self.lu_h = f64::NAN;
        self.singular_retries = 0;
        self.ctrl.reset();
        Ok(())
    }

    /// The Jacobian of the last step.
    pub(crate) fn jacobian(&self) -> &crate::jacobian::Jacobian {
        self.jac.jacobian()
    }
}

/// Solves with the Rosenbrock method `M`.
pub(crate) fn integrate<M: RosenbrockMethod, S: OdeSystem + ?Sized>(
    p: Solve<'_, S>,
) -> Result<Solution, OdeError> {
    let tab = &M::TABLEAU;
    driver::validate(&p, true, tab.name)?;
    let stepper = stepper::<M, S>(&p)?;
    let method = p.method;
    driver::drive(p, method, stepper)
}

/// The Rosenbrock stepper for a solve request (validated by the caller).
pub(crate) fn stepper<M: RosenbrockMethod, S: OdeSystem + ?Sized>(
    p: &Solve<'_, S>,
) -> Result<RosenbrockStepper<M>, OdeError> {
    let tab = &M::TABLEAU;
    let sys = p.system;
    let n = sys.dim();
    let mass = sys.mass_matrix();
    if let Some(m) = mass {
        m.validate(n)?;
    }
    let invariants = match sys.linear_invariants() {
        Some(rows) => {
            crate::system::validate_invariants(n, rows)?;
            if mass.is_some_and(|m| !m.is_identity()) {
                return Err(OdeError::InvalidOption {
                    name: "linear invariants",
                    reason: "not supported together with a mass matrix".into(),
                });
            }
            orthonormal_rows(n, rows)
        }
        None => Vec::new(),
    };
    let jac = JacobianEvaluator::new(sys, &p.options.jacobian)?;
    let lin = LinearSolver::for_evaluator(&jac, mass)?;
    let o = &p.options;
    let span = (p.t_end - p.t0).abs();
    let s = tab.stages();
    let stepper = RosenbrockStepper::<M> {
        w: Work {
            n,
            y: p.y0.to_vec(),
            y1: vec![0.0; n],
            f0: vec![0.0; n],
            f_last: vec![0.0; if tab.fsal { n } else { 0 }],
            dfdt: vec![0.0; n],
            tmp: vec![0.0; n],
            mv: vec![0.0; n],
            u: vec![0.0; s * n],
            dense: vec![0.0; tab.dense.len() * n],
            atol: (0..n).map(|i| o.atol.get(i)).collect(),
            rtol: (0..n).map(|i| o.rtol.get(i)).collect(),
            invariant_values: invariants
                .chunks_exact(n.max(1))
                .map(|q| q.iter().zip(p.y0).map(|(a, b)| a * b).sum())
                .collect(),
            proj_s2: vec![0.0; if invariants.is_empty() { 0 } else { n }],
            proj_small: {
                let k = invariants.len() / n.max(1);
                vec![0.0; k * k + k]
            },
            invariants,
        },
        jac,
        lin,
        has_mass: mass.is_some_and(|m| !m.is_identity()),
        autonomous: sys.is_autonomous(),
        ctrl: PiController::new(tab.error_exponent, o.safety, o.q_min, o.q_max),
        adaptive: o.dt.is_none(),
        dir: if p.t_end >= p.t0 { 1.0 } else { -1.0 },
        span,
        h_max: o.h_max.unwrap_or(span).min(span),
        jac_current: false,
        lu_h: f64::NAN,
        singular_retries: 0,
        _method: std::marker::PhantomData,
    };
    Ok(stepper)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Weighted residual-free projection: runs [`project_weighted`] and returns the correction.
    fn weighted_delta(rows: &[f64], y: &[f64], y1: &[f64], atol: f64, rtol: f64) -> Vec<f64> {
        let n = y.len();
        let q = orthonormal_rows(n, rows);
        let k = q.len() / n;
        let c0: Vec<f64> = q
            .chunks_exact(n)
            .map(|qj| qj.iter().zip(y).map(|(a, b)| a * b).sum())
            .collect();
        let mut z = y1.to_vec();
        let (a, r) = (vec![atol; n], vec![rtol; n]);
        let (mut s2, mut small) = (vec![0.0; n], vec![0.0; k * k + k]);
        project_weighted(&q, &c0, y, &mut z, &a, &r, &mut s2, &mut small);
        y1.iter().zip(&z).map(|(a, b)| a - b).collect()
    }

    /// ROBER-like state (`y2 ~ 10⁻⁵`): the correction is proportional to `sᵢ²`, so the tiny
    /// component moves by a tiny fraction of itself, where the Euclidean projection moves every
    /// component by a third of the residual.
    #[test]
    fn weighted_projection_spares_small_components() {
        let w = [1.0, 1.0, 1.0];
        let y = [0.7, 3e-5, 0.3 - 3e-5];
        let drift = 1e-12;
        let y1 = [0.69, 2.9e-5 + drift, 0.31 - 2.9e-5];
        let (atol, rtol) = (1e-14, 1e-8);
        let d = weighted_delta(&w, &y, &y1, atol, rtol);
        let s = |i: usize| atol + rtol * y[i].abs().max(y1[i].abs());
        // the constraint is restored to rounding
        let res: f64 = (0..3).map(|i| (y1[i] - d[i]) - y[i]).sum();
        assert!(res.abs() < 4.0 * f64::EPSILON, "{res:e}");
        // δᵢ ∝ sᵢ² (stationarity of the weighted least-squares problem; δ ~ 1e-12 read back as
        // a difference of O(1) numbers is good to ~ε/1e-12 ~ 2e-4); y2's share is below its
        // ulp, so y2 does not change at all
        let ratio = (d[2] / d[0]) / (s(2) * s(2) / (s(0) * s(0)));
        assert!((ratio - 1.0).abs() < 1e-3, "{ratio}");
        // y2 would move by ~1.6e-21 (relative 5e-17); the Euclidean projection moves it by drift/3
        assert!(d[1].abs() < 1e-19, "{:e}", d[1]);
        let mut e = y1;
        let q = orthonormal_rows(3, &w);
        let c0 = [q.iter().zip(&y).map(|(a, b)| a * b).sum::<f64>()];
        project(&q, &c0, &mut e);
        assert!(((y1[1] - e[1]) - drift / 3.0).abs() < 1e-3 * drift);
    }

    /// Two random invariants in 7 dimensions: the correction restores both and equals the
    /// closed form `S² Qᵀ (Q S² Qᵀ)⁻¹ Q (y1 − y)` (computed here with faer's dense LU), and any
    /// other feasible correction has a larger weighted norm.
    #[test]
    fn weighted_projection_is_the_weighted_least_squares_solution() {
        let n = 7;
        let rows: Vec<f64> = (0..2 * n)
            .map(|i| ((i * 37 + 11) % 17) as f64 / 17.0 - 0.4)
            .collect();
        let y: Vec<f64> = (0..n).map(|i| 10f64.powi(-(i as i32))).collect();
        let y1: Vec<f64> = y
            .iter()
            .enumerate()
            .map(|(i, v)| v * (1.0 + 1e-3 * ((i % 3) as f64 - 1.0)))
            .collect();
        let (atol, rtol) = (1e-9, 1e-4);
        let d = weighted_delta(&rows, &y, &y1, atol, rtol);
        let s2: Vec<f64> = (0..n)
            .map(|i| (atol + rtol * y[i].abs().max(y1[i].abs())).powi(2))
            .collect();
        let qm = faer::Mat::from_fn(2, n, |j, i| rows[j * n + i]);
        let g = faer::Mat::from_fn(2, 2, |a, b| {
            (0..n).map(|i| qm[(a, i)] * s2[i] * qm[(b, i)]).sum::<f64>()
        });
        let r = faer::Mat::from_fn(2, 1, |a, _| {
            (0..n).map(|i| qm[(a, i)] * (y1[i] - y[i])).sum::<f64>()
        });
        let lam = faer::linalg::solvers::Solve::solve(&g.partial_piv_lu(), &r);
        for i in 0..n {
            let exact = s2[i] * (qm[(0, i)] * lam[(0, 0)] + qm[(1, i)] * lam[(1, 0)]);
            assert!(
                (d[i] - exact).abs() <= 1e-7 * exact.abs() + 1e-25,
                "{i}: {} vs {exact}",
                d[i]
            );
        }
        for a in 0..2 {
            let res: f64 = (0..n).map(|i| qm[(a, i)] * (y1[i] - d[i] - y[i])).sum();
            assert!(res.abs() < 1e-15, "{a}: {res:e}");
        }
        let wnorm = |v: &[f64]| -> f64 { v.iter().zip(&s2).map(|(x, s)| x * x / s).sum() };
        // a feasible perturbation: a null-space direction of Q
        let mut z: Vec<f64> = (0..n).map(|i| (i as f64).sin()).collect();
        let qo = orthonormal_rows(n, &rows);
        for qj in qo.chunks_exact(n) {
            let p: f64 = qj.iter().zip(&z).map(|(a, b)| a * b).sum();
            for (x, a) in z.iter_mut().zip(qj) {
                *x -= p * a;
            }
        }
        for eps in [1e-12, -1e-12, 1e-9] {
            let other: Vec<f64> = d.iter().zip(&z).map(|(a, b)| a + eps * b).collect();
            assert!(wnorm(&other) > wnorm(&d), "eps {eps:e}");
        }
    }

    /// `atol = 0` and a row supported only on components whose scale underflows against the
    /// largest (`(sᵢ/s_max)² = 0`): the Euclidean projection takes over and still restores the
    /// invariant.
    #[test]
    fn degenerate_weights_fall_back_to_euclidean() {
        let rows = [0.0, 1.0, 1.0];
        let y = [1.0, 0.0, 0.0];
        let y1 = [1.0, 0.0, 1e-300];
        let d = weighted_delta(&rows, &y, &y1, 0.0, 1e-6);
        assert!(d.iter().all(|x| x.is_finite()), "{d:?}");
        let res = (y1[1] - d[1]) + (y1[2] - d[2]);
        assert!(res.abs() <= 1e-310, "{res:e} {d:?}");
        assert!((d[1] - 0.5e-300).abs() < 1e-310, "{d:?}");
    }
}
