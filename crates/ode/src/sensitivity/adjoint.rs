//! Adjoint sensitivities of scalar losses: the continuous adjoint (solved backward with any
//! method against a stored forward trajectory) and the discrete adjoint of explicit RK methods.

use std::cell::RefCell;

use num_dual::Dual64;

use super::ParametricSystem;
use crate::error::OdeError;
use crate::methods::Method;
use crate::solution::Stats;
use crate::solve::{Options, SaveAt, Solve, Tolerance};
use crate::system::OdeSystem;

/// A scalar loss of a trajectory,
///
/// ```text
/// L(p, y0) = Σ_i ℓ_i(y(t_i)) + ∫_{t0}^{t_end} g(t, y(t), p) dt,
/// ```
///
/// with observation times `t_i` in `[t0, t_end]` (increasing in the direction of integration).
pub trait TrajectoryLoss {
    /// The observation times `t_i`.
    fn times(&self) -> &[f64];
    /// `ℓ_i(y)`; writes `∂ℓ_i/∂y` into `grad` (length `n`).
    fn point(&self, i: usize, t: f64, y: &[f64], grad: &mut [f64]) -> f64;
    /// The running cost `g(t, y, p)`, writing `∂g/∂y` into `g_y` and `∂g/∂p` into `g_p` (both
    /// zeroed before the call); `None` (the default) if there is none.
    fn running(
        &self,
        t: f64,
        y: &[f64],
        p: &[f64],
        g_y: &mut [f64],
        g_p: &mut [f64],
    ) -> Option<f64> {
        let _ = (t, y, p, g_y, g_p);
        None
    }
    /// Whether [`TrajectoryLoss::running`] is used (default `false`).
    fn has_running(&self) -> bool {
        false
    }
}

/// `L = ½ Σ_i Σ_k w_k (y_k(t_i) − d_ik)²` over the observed entries (`NaN` in the data marks an
/// unobserved entry): the least-squares misfit of a fit.
#[derive(Debug, Clone, PartialEq)]
pub struct SquaredError {
    times: Vec<f64>,
    /// Row-major: row `i` holds the `n` observations at `times[i]`.
    data: Vec<f64>,
    weights: Vec<f64>,
    n: usize,
}

impl SquaredError {
    /// Data `data` (row-major, `times.len() × n`, `NaN` = not observed), unit weights.
    ///
    /// Errors: [`OdeError::DimensionMismatch`] if `data.len() != times.len() · n`;
    /// [`OdeError::NonFiniteInput`] for a non-finite time or an infinite datum.
    pub fn new(times: Vec<f64>, data: Vec<f64>, n: usize) -> Result<Self, OdeError> {
        if data.len() != times.len() * n {
            return Err(OdeError::DimensionMismatch {
                what: "data (times x states)",
                expected: times.len() * n,
                found: data.len(),
            });
        }
        if let Some(i) = times.iter().position(|t| !t.is_finite()) {
            return Err(OdeError::NonFiniteInput {
                what: "observation time",
                index: Some(i),
                value: times[i],
            });
        }
        if let Some(i) = data.iter().position(|d| d.is_infinite()) {
            return Err(OdeError::NonFiniteInput {
                what: "datum",
                index: Some(i),
                value: data[i],
            });
        }
        Ok(Self {
            times,
            data,
            weights: vec![1.0; n],
            n,
        })
    }

    /// Per-component weights `w_k` (e.g. `1/σ_k²`).
    pub fn with_weights(mut self, weights: Vec<f64>) -> Result<Self, OdeError> {
        if weights.len() != self.n {
            return Err(OdeError::DimensionMismatch {
                what: "weights",
                expected: self.n,
                found: weights.len(),
            });
        }
        if let Some(i) = weights.iter().position(|w| !(w.is_finite() && *w >= 0.0)) {
            return Err(OdeError::NonFiniteInput {
                what: "weight (must be finite and >= 0)",
                index: Some(i),
                value: weights[i],
            });
        }
        self.weights = weights;
        Ok(self)
    }
}

impl TrajectoryLoss for SquaredError {
    fn times(&self) -> &[f64] {
        &self.times
    }
    fn point(&self, i: usize, _t: f64, y: &[f64], grad: &mut [f64]) -> f64 {
        let row = &self.data[i * self.n..(i + 1) * self.n];
        let mut l = 0.0;
        for k in 0..self.n {
            if row[k].is_nan() {
                grad[k] = 0.0;
            } else {
                let r = y[k] - row[k];
                grad[k] = self.weights[k] * r;
                l += 0.5 * self.weights[k] * r * r;
            }
        }
        l
    }
}

/// The gradient of a [`TrajectoryLoss`].
#[derive(Debug, Clone, PartialEq)]
pub struct Gradient {
    /// The loss `L`.
    pub loss: f64,
    /// `∂L/∂p` (length `n_params`).
    pub dp: Vec<f64>,
    /// `∂L/∂y0` (length `n`).
    pub dy0: Vec<f64>,
    /// Statistics of the forward solve(s).
    pub forward_stats: Stats,
    /// Statistics of the backward (adjoint) solve(s); zero for the discrete adjoint.
    pub adjoint_stats: Stats,
    /// Bytes held for the forward trajectory during the backward pass.
    pub trajectory_bytes: usize,
}

/// Validates observation times against the span; returns them.
pub(crate) fn check_times(times: &[f64], t0: f64, t_end: f64) -> Result<(), OdeError> {
    let dir = if t_end >= t0 { 1.0 } else { -1.0 };
    let mut prev = t0;
    for (i, &t) in times.iter().enumerate() {
        if !t.is_finite() {
            return Err(OdeError::NonFiniteInput {
                what: "observation time",
                index: Some(i),
                value: t,
            });
        }
        if dir * (t - t0) < 0.0 || dir * (t - t_end) > 0.0 {
            return Err(OdeError::InvalidSaveAt {
                t,
                index: i,
                reason: "observation time outside the time span",
            });
        }
        if dir * (t - prev) < 0.0 {
            return Err(OdeError::InvalidSaveAt {
                t,
                index: i,
                reason: "observation times must be monotone in the direction of integration",
            });
        }
        prev = t;
    }
    Ok(())
}

/// One stored forward step end: time, state, `y' = f` and `y'' = f_t + J f`.
struct Knot {
    t: f64,
    y: Vec<f64>,
    f: Vec<f64>,
    a: Vec<f64>,
}

/// The forward trajectory as Hermite interpolation between accepted steps: quintic (values,
/// first and second derivatives at both ends: local error `O(h⁶)`, below the error of the
/// methods' own fifth-order steps) after an explicit method, cubic (values and first
/// derivatives) after an implicit one.
///
/// Why cubic for the stiff methods: the knot derivatives are `f(y_k)` and `J f` at the
/// *computed* `y_k`, whose error `δ` in stiff directions is amplified to `‖J‖ δ` and `‖J‖² δ`;
/// with the large steps of a stiff solver the interpolant's error is then `~(h‖J‖)² δ` with
/// `y''`, against `~h‖J‖ δ` without. Measured on ROBER (t ∈ [0, 10], rtol 1e-10): the adjoint
/// gradient after a Rodas5P forward pass agreed with forward sensitivities to 5.9e-7 with the
/// quintic and to 1.9e-9 with the cubic (Radau5: 1.0e-10 and 2.3e-11), whatever method solved
/// the adjoint — the backward solve was not the error.
struct Trajectory {
    knots: Vec<Knot>,
    /// Quintic (with `y''`) or cubic Hermite.
    quintic: bool,
    /// Index of the last interval used (the backward solve moves monotonically, mostly).
    cursor: std::cell::Cell<usize>,
}

impl Trajectory {
    fn bytes(&self) -> usize {
        self.knots
            .iter()
            .map(|k| (3 * k.y.len() + 1) * std::mem::size_of::<f64>())
            .sum()
    }

    /// The stored time range `(first, last)` (in the direction of integration).
    fn range(&self) -> (f64, f64) {
        (self.knots[0].t, self.knots[self.knots.len() - 1].t)
    }

    /// Length of the stored step that contains `t` (`0` for a single knot).
    fn local_step(&self, t: f64) -> f64 {
        let k = &self.knots;
        if k.len() < 2 {
            return 0.0;
        }
        let i = k
            .partition_point(|kn| (kn.t - k[0].t).abs() <= (t - k[0].t).abs())
            .clamp(1, k.len() - 1);
        (k[i].t - k[i - 1].t).abs()
    }

    /// `y(t)` into `out` (clamped to the stored range).
    fn eval(&self, t: f64, out: &mut [f64]) {
        let k = &self.knots;
        if k.len() == 1 {
            out.copy_from_slice(&k[0].y);
            return;
        }
        let forward = k[k.len() - 1].t >= k[0].t;
        let before = |a: f64, b: f64| if forward { a < b } else { a > b };
        // find i with t in [k[i].t, k[i+1].t]
        let mut i = self.cursor.get().min(k.len() - 2);
        while i > 0 && before(t, k[i].t) {
            i -= 1;
        }
        while i + 2 < k.len() && before(k[i + 1].t, t) {
            i += 1;
        }
        self.cursor.set(i);
        let (a, b) = (&k[i], &k[i + 1]);
        let h = b.t - a.t;
        if h == 0.0 {
            out.copy_from_slice(&b.y);
            return;
        }
        let s = ((t - a.t) / h).clamp(0.0, 1.0);
        let (s2, s3) = (s * s, s * s * s);
        let (s4, s5) = (s3 * s, s3 * s2);
        let h0 = 1.0 - 10.0 * s3 + 15.0 * s4 - 6.0 * s5;
        let h1 = s - 6.0 * s3 + 8.0 * s4 - 3.0 * s5;
        let h2 = 0.5 * (s2 - 3.0 * s3 + 3.0 * s4 - s5);
        let h3 = 0.5 * (s3 - 2.0 * s4 + s5);
        let h4 = -4.0 * s3 + 7.0 * s4 - 3.0 * s5;
        let h5 = 10.0 * s3 - 15.0 * s4 + 6.0 * s5;
        let hh = h * h;
        if !self.quintic {
            let c0 = 1.0 - 3.0 * s2 + 2.0 * s3;
            let c1 = s - 2.0 * s2 + s3;
            let c2 = -s2 + s3;
            let c3 = 3.0 * s2 - 2.0 * s3;
            for (c, o) in out.iter_mut().enumerate() {
                *o = c0 * a.y[c] + c1 * h * a.f[c] + c2 * h * b.f[c] + c3 * b.y[c];
            }
            return;
        }
        for (c, o) in out.iter_mut().enumerate() {
            *o = h0 * a.y[c]
                + h1 * h * a.f[c]
                + h2 * hh * a.a[c]
                + h3 * hh * b.a[c]
                + h4 * h * b.f[c]
                + h5 * b.y[c];
        }
    }
}

/// Vector–Jacobian products of a [`ParametricSystem`]: the user's, or `n` (`n_p`) dual
/// evaluations.
pub(crate) struct Vjp {
    /// Set when a product fell back to dual numbers and the system has no
    /// `rhs_params_dual` (the product is then meaningless: callers report an error).
    pub(crate) missing: bool,
    n: usize,
    p: Vec<f64>,
    yd: Vec<Dual64>,
    pd: Vec<Dual64>,
    fd: Vec<Dual64>,
}

impl Vjp {
    pub(crate) fn new(n: usize, p: &[f64]) -> Self {
        Self {
            missing: false,
            n,
            p: p.to_vec(),
            yd: vec![Dual64::from_re(0.0); n],
            pd: p.iter().map(|&v| Dual64::from_re(v)).collect(),
            fd: vec![Dual64::from_re(0.0); n],
        }
    }

    /// `out_y = Jᵀ w`, `out_p = f_pᵀ w` at `(t, y)`.
    pub(crate) fn eval<S: ParametricSystem + ?Sized>(
        &mut self,
        sys: &S,
        t: f64,
        y: &[f64],
        w: &[f64],
        out_y: &mut [f64],
        out_p: &mut [f64],
    ) {
        if !sys.vjp_y(t, y, w, out_y) {
            for (d, &v) in self.yd.iter_mut().zip(y) {
                *d = Dual64::from_re(v);
            }
            for (k, o) in out_y.iter_mut().enumerate().take(self.n) {
                self.yd[k].eps = 1.0;
                self.missing |=
                    !sys.rhs_params_dual(Dual64::from_re(t), &self.yd, &self.pd, &mut self.fd);
                self.yd[k].eps = 0.0;
                *o = self.fd.iter().zip(w).map(|(f, w)| f.eps * w).sum();
            }
        }
        if !out_p.is_empty() && !sys.vjp_p(t, y, w, out_p) {
            for (d, &v) in self.yd.iter_mut().zip(y) {
                *d = Dual64::from_re(v);
            }
            for (l, o) in out_p.iter_mut().enumerate().take(self.p.len()) {
                self.pd[l].eps = 1.0;
                self.missing |=
                    !sys.rhs_params_dual(Dual64::from_re(t), &self.yd, &self.pd, &mut self.fd);
                self.pd[l].eps = 0.0;
                *o = self.fd.iter().zip(w).map(|(f, w)| f.eps * w).sum();
            }
        }
    }

    /// `out_y = Jᵀ w`, `acc_p += f_pᵀ w` at `(t, y)` (`out_p`: `n_p` floats of scratch).
    #[allow(clippy::too_many_arguments)]
    /// With `slot`, the system's [`ParametricSystem::vjp_slot`] is tried first.
    pub(crate) fn eval_acc<S: ParametricSystem + ?Sized>(
        &mut self,
        sys: &S,
        slot: Option<usize>,
        t: f64,
        y: &[f64],
        w: &[f64],
        out_y: &mut [f64],
        out_p: &mut [f64],
        acc_p: &mut [f64],
    ) {
        if let Some(slot) = slot {
            if sys.vjp_slot(slot, t, y, w, out_y, acc_p) {
                return;
            }
        }
        if sys.vjp_accumulate(t, y, w, out_y, acc_p) {
            return;
        }
        self.eval(sys, t, y, w, out_y, out_p);
        for (a, b) in acc_p.iter_mut().zip(out_p.iter()) {
            *a += b;
        }
    }

    /// `J` (column-major `n × n`) and `f_p` (column-major `n × n_p`) by dual numbers.
    fn jacobians<S: ParametricSystem + ?Sized>(
        &mut self,
        sys: &S,
        t: f64,
        y: &[f64],
        jy: &mut [f64],
        jp: &mut [f64],
    ) {
        for (d, &v) in self.yd.iter_mut().zip(y) {
            *d = Dual64::from_re(v);
        }
        let n = self.n;
        for k in 0..n {
            self.yd[k].eps = 1.0;
            sys.rhs_params_dual(Dual64::from_re(t), &self.yd, &self.pd, &mut self.fd);
            self.yd[k].eps = 0.0;
            for (o, f) in jy[k * n..(k + 1) * n].iter_mut().zip(&self.fd) {
                *o = f.eps;
            }
        }
        for l in 0..self.p.len() {
            self.pd[l].eps = 1.0;
            sys.rhs_params_dual(Dual64::from_re(t), &self.yd, &self.pd, &mut self.fd);
            self.pd[l].eps = 0.0;
            for (o, f) in jp[l * n..(l + 1) * n].iter_mut().zip(&self.fd) {
                *o = f.eps;
            }
        }
    }
}

struct AdjointScratch {
    y: Vec<f64>,
    vjp: Vjp,
    gy: Vec<f64>,
    gp: Vec<f64>,
    jy: Vec<f64>,
    jp: Vec<f64>,
}

/// The adjoint system in `a = [λ (n), μ (n_p), q (1)]`:
/// `λ' = −Jᵀλ − g_yᵀ`, `μ' = −f_pᵀλ − g_pᵀ`, `q' = −g`, with `J`, `f_p` at `y(t)` from the
/// stored trajectory. Linear in `a`, so its Jacobian is exact: `[[−Jᵀ, 0, 0], [−f_pᵀ, 0, 0],
/// [0, 0, 0]]`.
struct AdjointSystem<'a, S: ?Sized, L: ?Sized> {
    sys: &'a S,
    loss: &'a L,
    traj: &'a Trajectory,
    n: usize,
    np: usize,
    scratch: RefCell<AdjointScratch>,
    /// Two right-hand-side values for [`OdeSystem::time_derivative`].
    dt_scratch: RefCell<(Vec<f64>, Vec<f64>)>,
}

impl<S: ParametricSystem + ?Sized, L: TrajectoryLoss + ?Sized> OdeSystem
    for AdjointSystem<'_, S, L>
{
    fn dim(&self) -> usize {
        self.n + self.np + 1
    }

    fn rhs(&self, t: f64, a: &[f64], da: &mut [f64]) {
        let (n, np) = (self.n, self.np);
        let mut guard = self.scratch.borrow_mut();
        let s = &mut *guard;
        self.traj.eval(t, &mut s.y);
        let (dl, rest) = da.split_at_mut(n);
        let (dm, dq) = rest.split_at_mut(np);
        s.vjp.eval(self.sys, t, &s.y, &a[..n], dl, dm);
        let mut g = 0.0;
        if self.loss.has_running() {
            s.gy.fill(0.0);
            s.gp.fill(0.0);
            g = self
                .loss
                .running(t, &s.y, &s.vjp.p, &mut s.gy, &mut s.gp)
                .unwrap_or(0.0);
            for (d, gy) in dl.iter_mut().zip(&s.gy) {
                *d += gy;
            }
            for (d, gp) in dm.iter_mut().zip(&s.gp) {
                *d += gp;
            }
        }
        for v in dl.iter_mut().chain(dm.iter_mut()) {
            *v = -*v;
        }
        dq[0] = -g;
    }

    /// `∂F/∂t` of the adjoint right-hand side `F(t, a)` at fixed `a`: `F` depends on `t`
    /// through the forward trajectory `y(t)` (and the running cost), so this is the total
    /// derivative along it, which the Rosenbrock methods need for a non-autonomous system.
    /// Without it they fell back to a one-sided difference with a step `√ε·|t|` that ignores
    /// the trajectory's time scale; measured on ROBER at rtol 1e-12 (Rodas5P forward and
    /// backward) this halved the backward steps (4567 to 2089) without changing the
    /// gradient's accuracy. Here: a central difference (second order) with the step `ε^{1/3}` times the stored
    /// forward step containing `t` (the forward steps resolve `y`'s time scale), so that
    /// truncation (`∝ (δ/h)²`) and rounding (`∝ ε/δ·h`) errors are both ~`ε^{2/3}` ≈ 4e-11
    /// relative; at the ends of the stored range a one-sided second-order stencil (the
    /// trajectory is clamped outside it).
    fn time_derivative(&self, t: f64, a: &[f64], dfdt: &mut [f64]) -> bool {
        let mut h = self.traj.local_step(t);
        if h == 0.0 || !h.is_finite() {
            h = t.abs().max(1.0);
        }
        let (lo, hi) = {
            let (a0, a1) = self.traj.range();
            (a0.min(a1), a0.max(a1))
        };
        let d = f64::EPSILON.cbrt() * h;
        let mut guard = self.dt_scratch.borrow_mut();
        let (fa, fb) = &mut *guard;
        fa.resize(a.len(), 0.0);
        fb.resize(a.len(), 0.0);
        if t - d >= lo && t + d <= hi {
            let (tm, tp) = (t - d, t + d);
            self.rhs(tp, a, fa);
            self.rhs(tm, a, fb);
            let inv = 1.0 / (tp - tm);
            for ((o, x), y) in dfdt.iter_mut().zip(fa.iter()).zip(fb.iter()) {
                *o = (x - y) * inv;
            }
        } else {
            // one-sided: F'(t) ≈ (−3F(t) + 4F(t + s) − F(t + 2s)) / (2s), s = ±d inward
            let s = if t + d <= hi { d } else { -d };
            self.rhs(t, a, dfdt);
            self.rhs(t + s, a, fa);
            self.rhs(t + 2.0 * s, a, fb);
            let inv = 1.0 / (2.0 * s);
            for ((o, x), y) in dfdt.iter_mut().zip(fa.iter()).zip(fb.iter()) {
                *o = (4.0 * x - 3.0 * *o - y) * inv;
            }
        }
        true
    }

    fn jacobian(&self, t: f64, _a: &[f64], mut jac: faer::MatMut<'_, f64>) -> bool {
        let (n, np) = (self.n, self.np);
        let mut guard = self.scratch.borrow_mut();
        let s = &mut *guard;
        self.traj.eval(t, &mut s.y);
        // only the implicit methods ask for the Jacobian: its `n (n + n_p)` buffers are
        // allocated on first use, not for every explicit backward solve
        s.jy.resize(n * n, 0.0);
        s.jp.resize(n * np, 0.0);
        s.vjp.jacobians(self.sys, t, &s.y, &mut s.jy, &mut s.jp);
        // d λ'_i / d λ_k = −J_ki ; d μ'_l / d λ_k = −(f_p)_kl
        for i in 0..n {
            for k in 0..n {
                jac[(i, k)] = -s.jy[i * n + k];
            }
        }
        for l in 0..np {
            for k in 0..n {
                jac[(n + l, k)] = -s.jp[l * n + k];
            }
        }
        true
    }
}

/// Builder for the gradient of a [`TrajectoryLoss`] by the continuous adjoint method
/// ("optimise-then-discretise"; Cao, Li, Petzold & Serban, SIAM J. Sci. Comput. 24, 2003;
/// CVODES user guide §2.7; SciMLSensitivity's `InterpolatingAdjoint`).
///
/// 1. The forward problem is solved piecewise between the observation times (so that `y(t_i)`
///    is a step end, at the solver's accuracy), and every accepted step end is stored with
///    `f` and `y'' = ∂f/∂t + J f` (one dual evaluation per step): the trajectory between
///    them is the quintic Hermite interpolant (cubic, without `y''`, after an implicit
///    method: with a stiff solver's large steps the knot derivatives at the computed states
///    amplify its error by `h‖J‖` per derivative; on ROBER at rtol 1e-10 the gradient after
///    Rodas5P went from 5.9e-7 to 1.9e-9 relative error). Memory: `(3n + 1)` floats per accepted step
///    ([`Gradient::trajectory_bytes`]).
/// 2. The adjoint system `λ' = −Jᵀλ − ∂g/∂y`, `μ' = −(∂f/∂p)ᵀλ − ∂g/∂p`, `q' = −g` is solved
///    backward from `λ(t_end) = 0`, `μ = 0`, `q = 0`, adding `∂ℓ_i/∂y` to `λ` at each
///    observation time, with the same method and tolerances (any [`Method`]; its exact
///    Jacobian is provided, so Rodas5P, BDF and Radau5 solve stiff adjoints).
/// 3. `∂L/∂y0 = λ(t0)`, `∂L/∂p = μ(t0)`, and the integral cost is `q(t0)`.
///
/// Vector–Jacobian products come from [`ParametricSystem::vjp_y`] / `vjp_p` when provided,
/// otherwise from `n + n_p` dual evaluations per adjoint right-hand side (the stiff methods'
/// Jacobian of the adjoint system always takes `n + n_p` dual evaluations).
///
/// ```
/// use ai4de_ode::problems;
/// use ai4de_ode::sensitivity::{ContinuousAdjoint, SquaredError};
/// // L = ½ (y(1) − 0)² for y' = λ y, y(0) = 1: L = ½ e^{2λ}, ∂L/∂λ = e^{2λ}, ∂L/∂y0 = e^{2λ}
/// let decay = problems::get("decay").unwrap(); // λ = −1
/// let loss = SquaredError::new(vec![1.0], vec![0.0], 1).unwrap();
/// let g = ContinuousAdjoint::new(&decay, (0.0, 1.0), &[1.0], &loss)
///     .rtol(1e-10)
///     .atol(1e-12)
///     .run()
///     .unwrap();
/// let e = (-2.0f64).exp();
/// assert!((g.loss - 0.5 * e).abs() < 1e-10);
/// assert!((g.dp[0] - e).abs() < 1e-9);
/// assert!((g.dy0[0] - e).abs() < 1e-9);
/// ```
pub struct ContinuousAdjoint<'a, S: ParametricSystem + ?Sized, L: TrajectoryLoss + ?Sized> {
    system: &'a S,
    t0: f64,
    t_end: f64,
    y0: &'a [f64],
    loss: &'a L,
    method: Method,
    adjoint_method: Option<Method>,
    options: Options,
    quadrature_error_control: bool,
}

impl<'a, S: ParametricSystem + ?Sized, L: TrajectoryLoss + ?Sized> ContinuousAdjoint<'a, S, L> {
    pub fn new(system: &'a S, t_span: (f64, f64), y0: &'a [f64], loss: &'a L) -> Self {
        Self {
            system,
            t0: t_span.0,
            t_end: t_span.1,
            y0,
            loss,
            method: Method::Tsit5,
            adjoint_method: None,
            options: Options::default(),
            quadrature_error_control: true,
        }
    }
    /// Whether the quadratures `μ = ∂L/∂p` and `q` take part in the backward solve's step-size
    /// control (default `true`). Off (CVODES' `errconQ = false`), the steps are chosen for `λ`
    /// alone. Measured in `bench/sensitivity/RESULTS.md`, switching it off did not save time
    /// (it was as fast or up to 1.9 times slower there); the option is kept for experiments.
    pub fn quadrature_error_control(mut self, on: bool) -> Self {
        self.quadrature_error_control = on;
        self
    }
    /// Method of the forward solve (and of the backward solve unless
    /// [`ContinuousAdjoint::adjoint_method`] is set). Default [`Method::Tsit5`].
    pub fn method(mut self, method: Method) -> Self {
        self.method = method;
        self
    }
    /// Method of the backward (adjoint) solve.
    pub fn adjoint_method(mut self, method: Method) -> Self {
        self.adjoint_method = Some(method);
        self
    }
    pub fn rtol(mut self, rtol: f64) -> Self {
        self.options.rtol = Tolerance::Scalar(rtol);
        self
    }
    pub fn atol(mut self, atol: f64) -> Self {
        self.options.atol = Tolerance::Scalar(atol);
        self
    }
    pub fn max_steps(mut self, max_steps: usize) -> Self {
        self.options.max_steps = max_steps;
        self
    }
    /// All solver options (scalar tolerances apply to both solves; `save_at` is ignored).
    pub fn options(mut self, options: Options) -> Self {
        self.options = options;
        self
    }

    /// Runs the forward and the backward solve.
    ///
    /// Errors: those of [`Solve::run`]; [`OdeError::InvalidSaveAt`] for observation times
    /// outside the span or out of order; [`OdeError::SensitivityUnavailable`] without
    /// [`ParametricSystem::rhs_params_dual`] or with a mass matrix (not handled yet);
    /// [`OdeError::NonFiniteState`] if the loss or its
    /// gradient is not finite.
    pub fn run(self) -> Result<Gradient, OdeError> {
        let sys = self.system;
        let n = sys.dim();
        if self.y0.len() != n {
            return Err(OdeError::DimensionMismatch {
                what: "y0",
                expected: n,
                found: self.y0.len(),
            });
        }
        if sys.mass_matrix().is_some() {
            // The adjoint of M y' = f is M^T λ' = −J^T λ − …; it is not implemented, and solving
            // the M = I adjoint would give silently wrong gradients.
            return Err(OdeError::SensitivityUnavailable {
                what: "the continuous adjoint does not handle mass matrices (DAEs) yet; use ForwardSensitivity".into(),
            });
        }
        let times = self.loss.times();
        check_times(times, self.t0, self.t_end)?;
        let p = sys.param_values();
        let np = p.len();
        super::check_params(&p, sys.n_params())?;
        let mut vjp = Vjp::new(n, &p);
        {
            let yd = vec![Dual64::from_re(0.0); n];
            if !sys.rhs_params_dual(Dual64::from_re(self.t0), &yd, &vjp.pd, &mut vjp.fd) {
                return Err(OdeError::SensitivityUnavailable {
                    what: "the adjoint needs rhs_params_dual".into(),
                });
            }
        }
        // 1. forward, piecewise between observation times
        let mut bounds = vec![self.t0];
        bounds.extend(times.iter().copied().filter(|&t| t != self.t0));
        if *bounds.last().expect("t0 is there") != self.t_end {
            bounds.push(self.t_end);
        }
        bounds.dedup();
        let mut fwd_options = self.options.clone();
        fwd_options.save_at = SaveAt::Steps;
        let mut segments: Vec<Trajectory> = Vec::with_capacity(bounds.len());
        let quintic = self.method.explicit_tableau().is_some();
        let mut forward_stats = Stats::default();
        let mut y = self.y0.to_vec();
        let mut y_at_bound = vec![y.clone()];
        for w in bounds.windows(2) {
            let sol = Solve::new(sys, (w[0], w[1]), &y)
                .method(self.method)
                .options(fwd_options.clone())
                .run()?;
            add_stats(&mut forward_stats, &sol.stats);
            let mut knots = Vec::with_capacity(sol.len());
            for (i, &t) in sol.t.iter().enumerate() {
                let yi = sol.row(i).to_vec();
                let (f, a) = derivatives(sys, t, &yi, &mut vjp);
                knots.push(Knot { t, y: yi, f, a });
            }
            y = sol.y_final().to_vec();
            y_at_bound.push(y.clone());
            segments.push(Trajectory {
                knots,
                quintic,
                cursor: std::cell::Cell::new(usize::MAX),
            });
        }
        let trajectory_bytes = segments.iter().map(Trajectory::bytes).sum();
        // 2. backward
        let mut loss = 0.0;
        let mut grad = vec![0.0; n];
        let mut a = vec![0.0; n + np + 1];
        let add_points = |t: f64, yb: &[f64], a: &mut [f64], loss: &mut f64, grad: &mut [f64]| {
            for (i, &ti) in times.iter().enumerate() {
                if ti == t {
                    *loss += self.loss.point(i, ti, yb, grad);
                    for (l, g) in a[..n].iter_mut().zip(grad.iter()) {
                        *l += g;
                    }
                }
            }
        };
        let mut adjoint_stats = Stats::default();
        let adjoint_method = self.adjoint_method.unwrap_or(self.method);
        let mut bwd_options = self.options.clone();
        bwd_options.save_at = SaveAt::Final;
        bwd_options.rtol = adjoint_tolerance(&self.options.rtol, n, np, "rtol")?;
        let off = if self.quadrature_error_control {
            None
        } else {
            Some(f64::MAX)
        };
        bwd_options.atol = adjoint_tolerance(&self.options.atol, n, np, "atol")?;
        if let (Some(big), Tolerance::Vector(a), Tolerance::Vector(r)) =
            (off, &mut bwd_options.atol, &mut bwd_options.rtol)
        {
            a[n..].fill(big);
            r[n..].fill(0.0);
        }
        for (k, seg) in segments.iter().enumerate().rev() {
            let (ta, tb) = (bounds[k], bounds[k + 1]);
            // the adjoint lives on the forward solution's time scales: start each backward
            // segment with the forward step that ended it instead of a fresh estimate
            bwd_options.h0 = match seg.knots.len() {
                0 | 1 => None,
                l => Some((seg.knots[l - 1].t - seg.knots[l - 2].t).abs()).filter(|h| *h > 0.0),
            };
            add_points(tb, &y_at_bound[k + 1], &mut a, &mut loss, &mut grad);
            let adj = AdjointSystem {
                sys,
                loss: self.loss,
                traj: seg,
                n,
                np,
                scratch: RefCell::new(AdjointScratch {
                    y: vec![0.0; n],
                    vjp: Vjp::new(n, &p),
                    gy: vec![0.0; n],
                    gp: vec![0.0; np],
                    jy: Vec::new(),
                    jp: Vec::new(),
                }),
                dt_scratch: RefCell::new((Vec::new(), Vec::new())),
            };
            let sol = Solve::new(&adj, (tb, ta), &a)
                .method(adjoint_method)
                .options(bwd_options.clone())
                .run()?;
            add_stats(&mut adjoint_stats, &sol.stats);
            a.copy_from_slice(sol.y_final());
        }
        add_points(self.t0, self.y0, &mut a, &mut loss, &mut grad);
        loss += a[n + np];
        if !loss.is_finite() || a.iter().any(|v| !v.is_finite()) {
            return Err(OdeError::NonFiniteState {
                t: self.t0,
                component: a.iter().position(|v| !v.is_finite()).unwrap_or(n + np),
            });
        }
        Ok(Gradient {
            loss,
            dp: a[n..n + np].to_vec(),
            dy0: a[..n].to_vec(),
            forward_stats,
            adjoint_stats,
            trajectory_bytes,
        })
    }
}

/// Tolerances of the adjoint state `[λ (n), μ (n_p), q]`: a scalar or a length-`n` vector for
/// `λ`, `μ` and `q` taking the smallest `λ` value (then possibly switched off by the caller).
fn adjoint_tolerance(
    tol: &Tolerance,
    n: usize,
    np: usize,
    what: &'static str,
) -> Result<Tolerance, OdeError> {
    let base: Vec<f64> = match tol {
        Tolerance::Scalar(v) => vec![*v; n],
        Tolerance::Vector(v) if v.len() == n => v.clone(),
        Tolerance::Vector(v) => {
            return Err(OdeError::DimensionMismatch {
                what,
                expected: n,
                found: v.len(),
            })
        }
    };
    let q = base.iter().copied().fold(f64::INFINITY, f64::min);
    let mut out = base;
    out.extend(std::iter::repeat_n(q, np + 1));
    Ok(Tolerance::Vector(out))
}

/// `f(t, y)` and `y'' = ∂f/∂t + J f` (one dual evaluation).
fn derivatives<S: ParametricSystem + ?Sized>(
    sys: &S,
    t: f64,
    y: &[f64],
    vjp: &mut Vjp,
) -> (Vec<f64>, Vec<f64>) {
    let n = y.len();
    let mut f = vec![0.0; n];
    sys.rhs(t, y, &mut f);
    for ((d, &v), &fv) in vjp.yd.iter_mut().zip(y).zip(&f) {
        *d = Dual64::new(v, fv);
    }
    sys.rhs_params_dual(Dual64::new(t, 1.0), &vjp.yd, &vjp.pd, &mut vjp.fd);
    let a = vjp.fd.iter().map(|d| d.eps).collect();
    for d in vjp.yd.iter_mut() {
        d.eps = 0.0;
    }
    (f, a)
}

pub(crate) fn add_stats(total: &mut Stats, s: &Stats) {
    total.steps += s.steps;
    total.accepted += s.accepted;
    total.rejected += s.rejected;
    total.f_evals += s.f_evals;
    total.jac_evals += s.jac_evals;
    total.lu_decomps += s.lu_decomps;
    total.lin_solves += s.lin_solves;
    total.newton_iters += s.newton_iters;
    total.newton_failures += s.newton_failures;
}
