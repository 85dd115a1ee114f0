//! Radau IIA of order 5 for stiff problems and index-1 DAEs `M y' = f(t, y)` with a constant mass
//! matrix, following Hairer's `RADAU5` (Hairer & Wanner, *Solving Ordinary Differential Equations
//! II*, 2nd ed., §IV.8; the Fortran code `radau5.f`, version of 2002).
//!
//! # The method
//!
//! The three-stage collocation method at `c = ((4 − √6)/10, (4 + √6)/10, 1)` is solved for the
//! stage increments `Z = (z₁, z₂, z₃)`, `zᵢ = Yᵢ − y₀`, with a simplified Newton iteration. Its
//! matrix `(I ⊗ M)/h − A ⊗ J` is block-diagonalised by `T⁻¹A⁻¹T = diag(γ̂, [[α̂, −β̂], [β̂, α̂]])`,
//! so one iteration costs one real solve with `W₁ = (γ̂/h) M − J` and one complex solve with
//! `W₂ = ((α̂ + iβ̂)/h) M − J` ([`crate::linalg`]), both factorised once per step size.
//!
//! * **Starting values** extrapolate the previous step's collocation polynomial.
//! * **Convergence control**: the contraction rate `θ` of successive increments, the estimated
//!   remaining error `η·‖ΔW‖` with `η = θ/(1 − θ)` (`FACCON`), which must fall below
//!   `κ·Tol` (`FNEWT = max(10ε/rtol, min(0.03, √rtol))`). If `θ ≥ 0.99`, or the error predicted
//!   after the remaining iterations is still too large, or 7 iterations do not suffice, the step
//!   is retried with a smaller `h` (halved, or from the predicted rate).
//! * **Jacobian reuse**: after an accepted step with `θ ≤ 0.001` the Jacobian is kept; if in
//!   addition the new step would change by a factor in `[1, 1.2]`, the step size and the LU
//!   factors are kept too.
//! * **Error estimate** (§IV.8, (8.19)–(8.20)): `err = W₁⁻¹ (f(t₀, y₀) + M·(e₁z₁ + e₂z₂ + e₃z₃)/h)`
//!   with `(e₁, e₂, e₃) = (−(13 + 7√6)/3, (−13 + 7√6)/3, −1/3)`: the filter `W₁⁻¹` damps the
//!   stiff components. On the first step and after a rejection a too large estimate is replaced
//!   by `W₁⁻¹ (f(t₀, y₀ + err) + M·(…)/h)`.
//! * **Step size**: `h_new = h · fac · err^(−1/4)`, `fac = min(0.9, 0.9(2·7 + 1)/(newt + 2·7))`,
//!   within `[h/5, 8h]` (the user's `q_min` and `min(q_max, 8)`), combined with Gustafsson's
//!   predictive controller `h_new = fac · h² / h_acc · (err_acc / err²)^(1/4)` (the smaller of
//!   the two is taken); no increase right after a rejection.
//! * **Tolerances** are used as given, `scal = atol + rtol·|y|` (as SciPy's `Radau` and
//!   OrdinaryDiffEq's `RadauIIA5` do), so that one `rtol` means about the same accuracy for every
//!   method of the crate. `RADAU5` instead transforms them, `rtol′ = 0.1·rtol^(2/3)`,
//!   `atol′ = rtol′·atol/rtol` (464× looser at `rtol = 1e-10`), which measured on the Test Set
//!   problems at `rtol = atol = 1e-10` cost 3–4 times fewer steps but lost 2–4 digits (HIRES
//!   6.8 instead of 9.1 significant digits, POLLU 5.8 instead of 9.0, ROBER's `y₁` 3.8 instead
//!   of 8.4). Index-1 algebraic components are scaled like differential ones (`RADAU5`'s
//!   `NIND1`; only index-2/3 variables get its `1/h` scaling, and those are not supported here).
//! * **Dense output** is the collocation polynomial (order 3 continuous output).
//!
//! Statistics: `newton_iters` counts Newton iterations, `newton_failures` the steps retried because
//! the iteration diverged or was too slow, `lu_decomps` counts the real and the complex
//! factorisation separately (2 per new step size), `lin_solves` one real and one complex solve per
//! iteration (plus one or two per error estimate).
//!
//! All buffers are allocated when the solve starts; stepping allocates nothing.

use faer::c64;

use crate::driver::{self, first_non_finite, Step, Stepper};
use crate::error::OdeError;
use crate::jacobian::JacobianEvaluator;
use crate::linalg::LinearSolver;
use crate::mass::MassMatrix;
use crate::solution::{Solution, Stats};
use crate::solve::Solve;
use crate::system::OdeSystem;

/// The eigenvector matrix `T` of `A⁻¹` (`T⁻¹A⁻¹T` is block diagonal, real block first, the complex
/// pair's block `[[α̂, −β̂], [β̂, α̂]]`), with the digits of Hairer's `radau5.f` (Hairer & Wanner II,
/// §IV.8). Row-major.
#[allow(clippy::excessive_precision)]
pub(crate) const T: [[f64; 3]; 3] = [
    [
        9.1232394870892942792e-02,
        -0.14125529502095420843,
        -3.0029194105147424492e-02,
    ],
    [
        0.24171793270710701896,
        0.20412935229379993199,
        0.38294211275726193779,
    ],
    [0.96604818261509293619, 1.0, 0.0],
];

/// `T⁻¹` (Hairer's `radau5.f`, `TI11`…`TI33`). Row-major.
#[allow(clippy::excessive_precision)]
pub(crate) const T_INV: [[f64; 3]; 3] = [
    [
        4.3255798900631553510,
        0.33919925181580986954,
        0.54177053993587487119,
    ],
    [
        -4.1787185915519047273,
        -0.32768282076106238708,
        0.47662355450055045196,
    ],
    [
        -0.50287263494578687595,
        2.5719269498556054292,
        -0.59603920482822492497,
    ],
];

/// Newton iterations per step before the step is retried (`NIT` of `RADAU5`).
const NIT: u32 = 7;
/// Newton iterations per step with a fixed step size (`dt`), which cannot be reduced instead.
const NIT_FIXED: u32 = 50;
/// Jacobian reuse threshold on the contraction rate (`THET` of `RADAU5`).
const THET: f64 = 0.001;
/// The step size (and LU) are kept when `h_new/h ∈ [QUOT1, QUOT2]` (`RADAU5`).
const QUOT1: f64 = 1.0;
const QUOT2: f64 = 1.2;
/// Consecutive singular iteration matrices (each halving `h`) before [`OdeError::SingularMatrix`]
/// (`RADAU5` gives up at the fifth).
const MAX_SINGULAR: u32 = 5;
/// Consecutive Newton failures (each reducing `h`, at least halving it) before
/// [`OdeError::NewtonFailure`].
const MAX_NEWTON_FAILURES: u32 = 20;
/// Smallest relative tolerance used internally (`RADAU5` refuses `rtol ≤ 10ε`); a zero `rtol`
/// (pure absolute control) is raised to it.
const RTOL_MIN: f64 = 1e-14;

/// The coefficients of Radau IIA 5 that have closed forms (Hairer & Wanner II, §IV.5 Table 5.6
/// and §IV.8), evaluated in `f64`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Coefficients {
    /// Nodes `c₁ = (4 − √6)/10`, `c₂ = (4 + √6)/10` (`c₃ = 1`).
    pub c1: f64,
    pub c2: f64,
    /// Error-estimate weights `e/γ̂`: `−(13 + 7√6)/3`, `(−13 + 7√6)/3`, `−1/3`.
    pub dd: [f64; 3],
    /// Real eigenvalue `γ̂` of `A⁻¹`: `1/γ̂ = (6 + ∛81 − ∛9)/30`.
    pub gamma: f64,
    /// Complex eigenvalues `α̂ ± iβ̂` of `A⁻¹`.
    pub alpha: f64,
    pub beta: f64,
}

impl Coefficients {
    pub(crate) fn new() -> Self {
        let sq6 = 6f64.sqrt();
        let (c81, c9) = (81f64.cbrt(), 9f64.cbrt());
        let u1 = (6.0 + c81 - c9) / 30.0;
        let alph = (12.0 - c81 + c9) / 60.0;
        let beta = (c81 + c9) * 3f64.sqrt() / 60.0;
        let cno = alph * alph + beta * beta;
        Self {
            c1: (4.0 - sq6) / 10.0,
            c2: (4.0 + sq6) / 10.0,
            dd: [
                -(13.0 + 7.0 * sq6) / 3.0,
                (-13.0 + 7.0 * sq6) / 3.0,
                -1.0 / 3.0,
            ],
            gamma: 1.0 / u1,
            alpha: alph / cno,
            beta: beta / cno,
        }
    }
}

/// `(a, b, c) ← R·(a, b, c)` component-wise for a 3 × 3 matrix `R`.
#[inline]
fn transform(r: &[[f64; 3]; 3], a: &mut [f64], b: &mut [f64], c: &mut [f64]) {
    for ((a, b), c) in a.iter_mut().zip(b.iter_mut()).zip(c.iter_mut()) {
        let (x, y, z) = (*a, *b, *c);
        *a = r[0][0] * x + r[0][1] * y + r[0][2] * z;
        *b = r[1][0] * x + r[1][1] * y + r[1][2] * z;
        *c = r[2][0] * x + r[2][1] * y + r[2][2] * z;
    }
}

/// `sqrt(mean((v/scal)²))`.
#[inline]
fn rms(v: &[f64], scal: &[f64]) -> f64 {
    let s: f64 = v.iter().zip(scal).map(|(v, s)| (v / s) * (v / s)).sum();
    (s / v.len().max(1) as f64).sqrt()
}

/// Buffers of one solve.
struct Work {
    n: usize,
    y: Vec<f64>,
    y1: Vec<f64>,
    /// `f(t, y)` at the start of the step.
    f0: Vec<f64>,
    /// Stage increments `zᵢ = Yᵢ − y` (and the right-hand sides during an iteration).
    z: [Vec<f64>; 3],
    /// Transformed increments `W = (T⁻¹ ⊗ I) Z`.
    w: [Vec<f64>; 3],
    /// Collocation polynomial of the last accepted step (`CONT` of `RADAU5`, beyond `y1`).
    cont: [Vec<f64>; 3],
    /// Stage argument / error estimate.
    tmp: Vec<f64>,
    /// Products with `M` and other scratch.
    ma: Vec<f64>,
    mb: Vec<f64>,
    /// `atol + rtol·|y|` at the start of the step.
    scal: Vec<f64>,
    atol: Vec<f64>,
    rtol: Vec<f64>,
}

/// Radau IIA 5 as a [`Stepper`].
struct Radau5 {
    k: Coefficients,
    w: Work,
    jac: JacobianEvaluator,
    lin_r: LinearSolver<f64>,
    lin_c: LinearSolver<c64>,
    mass: Option<MassMatrix>,
    adaptive: bool,
    dir: f64,
    span: f64,
    h_max: f64,
    fnewt: f64,
    safety: f64,
    /// Bounds of `h/h_new` (`FACR ≤ h/h_new ≤ FACL`).
    facr: f64,
    facl: f64,
    /// No accepted step yet.
    first: bool,
    /// The last attempt was rejected.
    reject: bool,
    /// The Jacobian must be evaluated at the current `(t, y)` before the next attempt.
    need_jac: bool,
    /// The Jacobian was evaluated at the current `(t, y)` (`CALJAC`).
    jac_fresh: bool,
    /// Step size of the current factorisations (NaN when there are none).
    lu_h: f64,
    /// Last accepted step (signed), for the starting values (`HOLD`).
    h_old: f64,
    /// Gustafsson's controller: last accepted step and its error.
    h_acc: f64,
    err_acc: f64,
    accepted: usize,
    theta: f64,
    faccon: f64,
    singular: u32,
    newton_failures: u32,
}

enum Newton {
    Converged(u32),
    /// Diverging or too slow: retry with `|h|·factor`.
    Failed(f64),
    NonFinite(usize),
}

impl Radau5 {
    /// Evaluates `J` if needed and factorises both iteration matrices for `h` if needed.
    fn prepare<S: OdeSystem + ?Sized>(
        &mut self,
        sys: &S,
        t: f64,
        h: f64,
        stats: &mut Stats,
    ) -> Result<Option<Step>, OdeError> {
        if self.need_jac {
            self.jac.evaluate(sys, t, &self.w.y, &self.w.f0, stats)?;
            self.need_jac = false;
            self.jac_fresh = true;
            self.lu_h = f64::NAN;
        }
        if h != self.lu_h {
            self.lu_h = f64::NAN;
            let jac = self.jac.jacobian();
            let res = self
                .lin_r
                .factorize(t, self.k.gamma / h, jac, stats)
                .and_then(|()| {
                    self.lin_c
                        .factorize(t, c64::new(self.k.alpha / h, self.k.beta / h), jac, stats)
                });
            match res {
                Ok(()) => {
                    self.lu_h = h;
                    self.singular = 0;
                }
                Err(OdeError::SingularMatrix { .. })
                    if self.adaptive && self.singular + 1 < MAX_SINGULAR =>
                {
                    self.singular += 1;
                    self.reject = true;
                    if !self.jac_fresh {
                        self.need_jac = true;
                    }
                    return Ok(Some(Step::Rejected {
                        h_retry: 0.5 * h.abs(),
                    }));
                }
                Err(e) => return Err(e),
            }
        }
        Ok(None)
    }

    /// Starting values from the previous collocation polynomial (zero on the first step).
    fn starting_values(&mut self, h: f64) {
        let w = &mut self.w;
        if self.first {
            for v in w.z.iter_mut().chain(w.w.iter_mut()) {
                v.fill(0.0);
            }
            return;
        }
        let (c1, c2) = (self.k.c1, self.k.c2);
        let (c1m1, c2m1) = (c1 - 1.0, c2 - 1.0);
        let c3q = h / self.h_old;
        let cq = [c1 * c3q, c2 * c3q, c3q];
        for i in 0..w.n {
            let (ak1, ak2, ak3) = (w.cont[0][i], w.cont[1][i], w.cont[2][i]);
            for (zk, &q) in w.z.iter_mut().zip(&cq) {
                zk[i] = q * (ak1 + (q - c2m1) * (ak2 + (q - c1m1) * ak3));
            }
        }
        for (wk, row) in w.w.iter_mut().zip(&T_INV) {
            for (i, o) in wk.iter_mut().enumerate() {
                *o = row[0] * w.z[0][i] + row[1] * w.z[1][i] + row[2] * w.z[2][i];
            }
        }
    }

    /// The simplified Newton iteration for the stage increments.
    fn newton<S: OdeSystem + ?Sized>(
        &mut self,
        sys: &S,
        t: f64,
        h: f64,
        stats: &mut Stats,
    ) -> Newton {
        let k = self.k;
        let n = self.w.n;
        let fac1 = k.gamma / h;
        let (alphn, betan) = (k.alpha / h, k.beta / h);
        let cs = [k.c1, k.c2, 1.0];
        self.faccon = self.faccon.max(f64::EPSILON).powf(0.8);
        self.theta = THET;
        let mut newt = 0u32;
        let mut dynold = 0.0f64;
        let mut thqold = 0.0f64;
        let nit = if self.adaptive { NIT } else { NIT_FIXED };
        loop {
            if newt >= nit {
                return Newton::Failed(0.5);
            }
            let w = &mut self.w;
            for (zk, &c) in w.z.iter_mut().zip(&cs) {
                for ((a, &y), &z) in w.tmp.iter_mut().zip(&w.y).zip(zk.iter()) {
                    *a = y + z;
                }
                sys.rhs(t + c * h, &w.tmp, zk);
            }
            stats.f_evals += 3;
            let [z1, z2, z3] = &mut w.z;
            transform(&T_INV, z1, z2, z3);
            match &self.mass {
                None => {
                    for i in 0..n {
                        z1[i] -= fac1 * w.w[0][i];
                        z2[i] += -alphn * w.w[1][i] + betan * w.w[2][i];
                        z3[i] += -alphn * w.w[2][i] - betan * w.w[1][i];
                    }
                }
                Some(m) => {
                    m.apply_into(&w.w[0], &mut w.ma);
                    for (z, &a) in z1.iter_mut().zip(&w.ma) {
                        *z -= fac1 * a;
                    }
                    m.apply_into(&w.w[1], &mut w.ma);
                    m.apply_into(&w.w[2], &mut w.mb);
                    for i in 0..n {
                        z2[i] += -alphn * w.ma[i] + betan * w.mb[i];
                        z3[i] += -alphn * w.mb[i] - betan * w.ma[i];
                    }
                }
            }
            self.lin_r.solve_in_place(z1, stats);
            self.lin_c.solve_split_in_place(z2, z3, stats);
            newt += 1;
            stats.newton_iters += 1;
            let dyno =
                ((rms(z1, &w.scal).powi(2) + rms(z2, &w.scal).powi(2) + rms(z3, &w.scal).powi(2))
                    / 3.0)
                    .sqrt();
            if !dyno.is_finite() {
                let c = [&*z1, &*z2, &*z3]
                    .iter()
                    .find_map(|v| first_non_finite(v))
                    .unwrap_or(0);
                return Newton::NonFinite(c);
            }
            if newt > 1 && newt < nit {
                let thq = dyno / dynold;
                self.theta = if newt == 2 {
                    thq
                } else {
                    (thq * thqold).sqrt()
                };
                thqold = thq;
                if self.theta < 0.99 {
                    self.faccon = self.theta / (1.0 - self.theta);
                    let dyth =
                        self.faccon * dyno * self.theta.powi((NIT - 1 - newt) as i32) / self.fnewt;
                    if dyth >= 1.0 && self.adaptive {
                        let qnewt = dyth.clamp(1e-4, 20.0);
                        return Newton::Failed(
                            0.8 * qnewt.powf(-1.0 / (4.0 + f64::from(NIT - 1 - newt))),
                        );
                    }
                } else {
                    return Newton::Failed(0.5);
                }
            }
            dynold = dyno.max(f64::EPSILON);
            let [w1, w2, w3] = &mut w.w;
            for i in 0..n {
                w1[i] += z1[i];
                w2[i] += z2[i];
                w3[i] += z3[i];
            }
            for (zk, row) in w.z.iter_mut().zip(&T) {
                for (i, o) in zk.iter_mut().enumerate() {
                    *o = row[0] * w1[i] + row[1] * w2[i] + row[2] * w3[i];
                }
            }
            if self.faccon * dyno <= self.fnewt {
                return Newton::Converged(newt);
            }
        }
    }

    /// The filtered embedded error estimate (`ESTRAD` of `RADAU5`).
    fn error_estimate<S: OdeSystem + ?Sized>(
        &mut self,
        sys: &S,
        t: f64,
        h: f64,
        stats: &mut Stats,
    ) -> f64 {
        let w = &mut self.w;
        let hee = self.k.dd.map(|d| d / h);
        for i in 0..w.n {
            w.ma[i] = hee[0] * w.z[0][i] + hee[1] * w.z[1][i] + hee[2] * w.z[2][i];
        }
        if let Some(m) = &self.mass {
            m.apply_into(&w.ma, &mut w.mb);
            std::mem::swap(&mut w.ma, &mut w.mb);
        }
        // ma = M·(e·z)/h; estimate = W₁⁻¹ (f0 + ma)
        for ((e, &f), &a) in w.tmp.iter_mut().zip(&w.f0).zip(&w.ma) {
            *e = f + a;
        }
        self.lin_r.solve_in_place(&mut w.tmp, stats);
        let mut err = rms(&w.tmp, &w.scal).max(1e-10);
        if err >= 1.0 && (self.first || self.reject) {
            for (e, &y) in w.tmp.iter_mut().zip(&w.y) {
                *e += y;
            }
            sys.rhs(t, &w.tmp, &mut w.mb);
            stats.f_evals += 1;
            for ((e, &f), &a) in w.tmp.iter_mut().zip(&w.mb).zip(&w.ma) {
                *e = f + a;
            }
            self.lin_r.solve_in_place(&mut w.tmp, stats);
            err = rms(&w.tmp, &w.scal).max(1e-10);
        }
        if err.is_nan() {
            f64::INFINITY
        } else {
            err
        }
    }

    /// After a rejected attempt: the next one needs a Jacobian at the current point unless the
    /// one in hand was evaluated there.
    fn rejected(&mut self, h_retry: f64) -> Step {
        self.reject = true;
        if !self.jac_fresh {
            self.need_jac = true;
        }
        Step::Rejected { h_retry }
    }

    fn update_scal(&mut self) {
        let w = &mut self.w;
        for i in 0..w.n {
            w.scal[i] = w.atol[i] + w.rtol[i] * w.y[i].abs();
        }
    }
}

impl<S: OdeSystem + ?Sized> Stepper<S> for Radau5 {
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
        self.update_scal();
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
            5,
            self.h_max,
            &self.w.atol,
            &self.w.rtol,
            &mut scratch,
            stats,
        ))
    }

    fn try_step(&mut self, sys: &S, t: f64, h: f64, stats: &mut Stats) -> Result<Step, OdeError> {
        if let Some(step) = self.prepare(sys, t, h, stats)? {
            return Ok(step);
        }
        let ha = h.abs();
        self.starting_values(h);
        let newt = match self.newton(sys, t, h, stats) {
            Newton::Converged(newt) => newt,
            Newton::Failed(factor) => {
                stats.newton_failures += 1;
                self.newton_failures += 1;
                if !self.adaptive || self.newton_failures >= MAX_NEWTON_FAILURES {
                    return Err(OdeError::NewtonFailure {
                        t,
                        h,
                        failures: self.newton_failures,
                    });
                }
                return Ok(self.rejected(ha * factor));
            }
            Newton::NonFinite(component) => {
                self.reject = true;
                if !self.jac_fresh {
                    self.need_jac = true;
                }
                return Ok(Step::NonFinite {
                    h_retry: 0.5 * ha,
                    component,
                });
            }
        };
        self.newton_failures = 0;
        let err = if self.adaptive {
            self.error_estimate(sys, t, h, stats)
        } else {
            0.0
        };
        let cfac = self.safety * f64::from(1 + 2 * NIT);
        let fac = self.safety.min(cfac / f64::from(newt + 2 * NIT));
        let mut quot = (err.powf(0.25) / fac).clamp(self.facr, self.facl);
        let mut h_new = ha / quot;
        if err >= 1.0 {
            let h_retry = if self.first { 0.1 * ha } else { h_new };
            return Ok(self.rejected(h_retry));
        }
        // Accepted: y1 and the collocation polynomial through y, Y₁, Y₂, Y₃.
        let w = &mut self.w;
        let (c1, c2) = (self.k.c1, self.k.c2);
        let (c1m1, c2m1, c1mc2) = (c1 - 1.0, c2 - 1.0, c1 - c2);
        for i in 0..w.n {
            let (z1, z2, z3) = (w.z[0][i], w.z[1][i], w.z[2][i]);
            w.y1[i] = w.y[i] + z3;
            w.cont[0][i] = (z2 - z3) / c2m1;
            let ak = (z1 - z2) / c1mc2;
            let acont3 = (ak - z1 / c1) / c2;
            w.cont[1][i] = (ak - w.cont[0][i]) / c1m1;
            w.cont[2][i] = w.cont[1][i] - acont3;
        }
        if let Some(component) = first_non_finite(&w.y1) {
            self.reject = true;
            return Ok(Step::NonFinite {
                h_retry: 0.5 * ha,
                component,
            });
        }
        if !self.adaptive {
            self.after_accept(h);
            return Ok(Step::Accepted { h_next: ha });
        }
        self.accepted += 1;
        if self.accepted > 1 {
            // Gustafsson's predictive controller.
            let facgus = ((self.h_acc / ha) * (err * err / self.err_acc).powf(0.25) / self.safety)
                .clamp(self.facr, self.facl);
            quot = quot.max(facgus);
            h_new = ha / quot;
        }
        self.h_acc = ha;
        self.err_acc = err.max(1e-2);
        h_new = h_new.min(self.h_max);
        if self.reject {
            h_new = h_new.min(ha);
        }
        let keep = self.after_accept(h) && (QUOT1..=QUOT2).contains(&(h_new / ha));
        Ok(Step::Accepted {
            h_next: if keep { ha } else { h_new },
        })
    }

    fn y(&self) -> &[f64] {
        &self.w.y
    }

    fn y1(&self) -> &[f64] {
        &self.w.y1
    }

    fn prepare_dense(&mut self, _sys: &S, _stats: &mut Stats) {}

    fn dense(&self, theta: f64, out: &mut [f64]) {
        let w = &self.w;
        let s = theta - 1.0;
        let (c1m1, c2m1) = (self.k.c1 - 1.0, self.k.c2 - 1.0);
        for (i, o) in out.iter_mut().enumerate() {
            *o = w.y1[i]
                + s * (w.cont[0][i] + (s - c2m1) * (w.cont[1][i] + (s - c1m1) * w.cont[2][i]));
        }
    }

    fn accept(&mut self, sys: &S, t1: f64, more: bool, stats: &mut Stats) -> Result<(), OdeError> {
        std::mem::swap(&mut self.w.y, &mut self.w.y1);
        self.update_scal();
        if more {
            sys.rhs(t1, &self.w.y, &mut self.w.f0);
            stats.f_evals += 1;
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

impl Radau5 {
    /// Bookkeeping of an accepted step of signed size `h`; returns whether the Jacobian is kept
    /// (`θ ≤ THET`), in which case the step size and LU may be kept too.
    fn after_accept(&mut self, h: f64) -> bool {
        self.first = false;
        self.reject = false;
        self.jac_fresh = false;
        self.h_old = h;
        let keep_jac = self.theta <= THET;
        self.need_jac = !keep_jac;
        keep_jac
    }
}

/// Solves with Radau IIA 5.
pub(crate) fn integrate<S: OdeSystem + ?Sized>(p: Solve<'_, S>) -> Result<Solution, OdeError> {
    driver::validate(&p, true, "radau5")?;
    let sys = p.system;
    let n = sys.dim();
    let mass = sys.mass_matrix();
    if let Some(m) = mass {
        m.validate(n)?;
    }
    let mass = mass.filter(|m| !m.is_identity()).cloned();
    let jac = JacobianEvaluator::new(sys, &p.options.jacobian)?;
    let lin_r = LinearSolver::<f64>::for_evaluator(&jac, mass.as_ref())?;
    let lin_c = LinearSolver::<c64>::for_evaluator(&jac, mass.as_ref())?;
    let o = &p.options;
    let span = (p.t_end - p.t0).abs();
    // The tolerances are used as given (not RADAU5's `0.1·rtol^(2/3)` transformation): see the
    // module docs.
    let atol: Vec<f64> = (0..n).map(|i| o.atol.get(i)).collect();
    let rtol: Vec<f64> = (0..n).map(|i| o.rtol.get(i).max(RTOL_MIN)).collect();
    let tolst = rtol.iter().copied().fold(f64::INFINITY, f64::min);
    let fnewt = (10.0 * f64::EPSILON / tolst).max(0.03f64.min(tolst.sqrt()));
    let zeros = || vec![0.0; n];
    let stepper = Radau5 {
        k: Coefficients::new(),
        w: Work {
            n,
            y: p.y0.to_vec(),
            y1: zeros(),
            f0: zeros(),
            z: [zeros(), zeros(), zeros()],
            w: [zeros(), zeros(), zeros()],
            cont: [zeros(), zeros(), zeros()],
            tmp: zeros(),
            ma: zeros(),
            mb: zeros(),
            scal: zeros(),
            atol,
            rtol,
        },
        jac,
        lin_r,
        lin_c,
        mass,
        adaptive: o.dt.is_none(),
        dir: if p.t_end >= p.t0 { 1.0 } else { -1.0 },
        span,
        h_max: o.h_max.unwrap_or(span).min(span),
        fnewt,
        safety: o.safety,
        facr: 1.0 / o.q_max.min(8.0),
        facl: 1.0 / o.q_min,
        first: true,
        reject: false,
        need_jac: true,
        jac_fresh: false,
        lu_h: f64::NAN,
        h_old: 0.0,
        h_acc: 0.0,
        err_acc: 1e-2,
        accepted: 0,
        theta: THET,
        faccon: 1.0,
        singular: 0,
        newton_failures: 0,
    };
    let method = p.method;
    driver::drive(p, method, stepper)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Radau IIA 5 coefficient matrix `A` (Hairer & Wanner II, Table IV.5.6).
    fn a_matrix() -> [[f64; 3]; 3] {
        let s6 = 6f64.sqrt();
        [
            [
                (88.0 - 7.0 * s6) / 360.0,
                (296.0 - 169.0 * s6) / 1800.0,
                (-2.0 + 3.0 * s6) / 225.0,
            ],
            [
                (296.0 + 169.0 * s6) / 1800.0,
                (88.0 + 7.0 * s6) / 360.0,
                (-2.0 - 3.0 * s6) / 225.0,
            ],
            [(16.0 - s6) / 36.0, (16.0 + s6) / 36.0, 1.0 / 9.0],
        ]
    }

    fn mul(a: &[[f64; 3]; 3], b: &[[f64; 3]; 3]) -> [[f64; 3]; 3] {
        let mut c = [[0.0; 3]; 3];
        for i in 0..3 {
            for j in 0..3 {
                c[i][j] = (0..3).map(|k| a[i][k] * b[k][j]).sum();
            }
        }
        c
    }

    #[test]
    fn t_inverts_and_diagonalises_a() {
        let k = Coefficients::new();
        let id = mul(&T, &T_INV);
        for (i, row) in id.iter().enumerate() {
            for (j, &v) in row.iter().enumerate() {
                let e = if i == j { 1.0 } else { 0.0 };
                assert!((v - e).abs() < 1e-14, "T·T⁻¹[{i}][{j}] = {v}");
            }
        }
        // T⁻¹ A T = diag(1/γ̂, [[α̂, −β̂],[β̂, α̂]]⁻¹), i.e. T⁻¹ A⁻¹ T = Λ.
        let d = mul(&T_INV, &mul(&a_matrix(), &T));
        let cno = k.alpha * k.alpha + k.beta * k.beta;
        let want = [
            [1.0 / k.gamma, 0.0, 0.0],
            [0.0, k.alpha / cno, k.beta / cno],
            [0.0, -k.beta / cno, k.alpha / cno],
        ];
        for i in 0..3 {
            for j in 0..3 {
                assert!(
                    (d[i][j] - want[i][j]).abs() < 1e-14,
                    "T⁻¹AT[{i}][{j}] = {} vs {}",
                    d[i][j],
                    want[i][j]
                );
            }
        }
        // Row sums of A are the nodes; b = last row (stiffly accurate).
        let a = a_matrix();
        for (row, c) in a.iter().zip([k.c1, k.c2, 1.0]) {
            assert!((row.iter().sum::<f64>() - c).abs() < 1e-15);
        }
    }

    #[test]
    fn error_weights_match_the_book() {
        // (e₁, e₂, e₃) = γ̂⁻¹·(−13 − 7√6, −13 + 7√6, −1)/3 (Hairer & Wanner II, (8.17)).
        let k = Coefficients::new();
        let s6 = 6f64.sqrt();
        assert!((k.dd[0] + (13.0 + 7.0 * s6) / 3.0).abs() < 1e-15);
        assert!((k.gamma - 3.637_834_252_744_496).abs() < 1e-14);
        assert!((k.alpha - 2.681_082_873_627_752).abs() < 1e-14);
        assert!((k.beta - 3.050_430_199_247_410_5).abs() < 1e-14);
    }
}
