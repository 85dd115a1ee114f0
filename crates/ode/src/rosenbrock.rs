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
//!   accepted `y1` projected back onto them, `y1 ← y1 − Q Qᵀ (y1 − y)` with `Q` an orthonormal
//!   basis of the invariants: the rounding of `J` (`wᵀ J = 0` holds only to `ε·|J|`) otherwise
//!   drifts the solution along them by `≈ hγ·ε·‖J‖·|u|` per stage — harmless on most problems,
//!   fatal on E5 (see there). Radau5 and BDF need no projection (their steps are Newton
//!   solutions of equations in `f`).
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

/// `y1 ← y1 − Q Qᵀ (y1 − y)`: restores `wᵀ y1 = wᵀ y` for every row `w` of `Q`.
#[inline]
fn project(q: &[f64], y: &[f64], y1: &mut [f64]) {
    let n = y.len();
    for qj in q.chunks_exact(n) {
        let s: f64 = qj
            .iter()
            .zip(y1.iter().zip(y))
            .map(|(a, (b, c))| a * (b - c))
            .sum();
        if s != 0.0 {
            for (x, &a) in y1.iter_mut().zip(qj) {
                *x -= s * a;
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
    /// Projects the accepted `y1` onto the declared linear invariants through `y`.
    #[inline]
    fn project_y1(&mut self) {
        if !self.w.invariants.is_empty() {
            project(&self.w.invariants, &self.w.y, &mut self.w.y1);
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
    let lin = LinearSolver::new(jac.jacobian(), mass)?;
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
