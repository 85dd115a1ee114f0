//! The one generic explicit Runge–Kutta stepper. It is monomorphised per method
//! ([`ExplicitRk`]) so the tableau is a compile-time constant; all work buffers are allocated
//! once per solve and stepping allocates nothing (see `tests/no_alloc.rs`).

use crate::control::PiController;
use crate::driver::{self, first_non_finite, Step, Stepper};
use crate::error::OdeError;
use crate::methods::ExplicitRk;
use crate::solution::{Solution, Stats};
use crate::solve::Solve;
use crate::system::OdeSystem;
use crate::tableau::ButcherTableau;

/// Most stages (main + extra) of any built-in tableau, for stack arrays.
const MAX_STAGES: usize = 32;

/// Buffers of one solve.
struct Work {
    n: usize,
    y: Vec<f64>,
    y1: Vec<f64>,
    tmp: Vec<f64>,
    /// Stage derivatives, stage `i` at `k[i*n..(i+1)*n]`; main stages then extra (dense) stages.
    k: Vec<f64>,
    atol: Vec<f64>,
    rtol: Vec<f64>,
}

/// `out = (y + Σ_{j<l} (h a_j) k_j) + (h a_l) k_l` over the nonzero coefficients of one tableau
/// row `a_0 … a_l` (its last entry `a_l` goes with the newest stage). The row is a constant of
/// the monomorphised method, so the zero tests fold away once inlined.
///
/// Why this form: the stages are a dependent chain (stage argument → f → next stage argument),
/// so what counts is the latency from the newest `k_l` to the argument. Here it enters through
/// one multiply and one add; `y + h Σ_j a_j k_j` puts an add, the multiplication by `h` and the
/// addition of `y` after its multiply (twice the latency). The older terms and `y + …` are
/// computed while f runs. The sum of the older terms is added to `y` once, so the state is
/// rounded twice per stage (not once per term, as with `y += (h a_j) k_j` term by term, whose
/// round-off grows with the number of stages). The operation count is that of `y + h Σ a_j k_j`.
///
/// This is the one stage arithmetic of the explicit Runge–Kutta code: [`stage_const`],
/// [`rk_step_const`] and the recorded pass of the discrete adjoint (`sensitivity/tape.rs`)
/// compute the same operations in the same order, so the same bits.
#[inline(always)]
pub(crate) fn stage_arg(
    row: &[crate::tableau::Coef],
    h: f64,
    y: &[f64],
    k: &[f64],
    out: &mut [f64],
) {
    let n = y.len();
    stage_sum(row, h, y, |j, m| k[j * n + m], out);
}

/// The arithmetic of [`stage_arg`] with stage derivative `k_j[m]` read through `k(j, m)`, so
/// that the heap layout (`k[j·n + m]`, [`stage_arg`]) and the local arrays of [`rk_step_const`]
/// (`k[j][m]`) share one definition. Inlined, the closure is a plain load.
#[inline(always)]
fn stage_sum(
    row: &[crate::tableau::Coef],
    h: f64,
    y: &[f64],
    k: impl Fn(usize, usize) -> f64,
    out: &mut [f64],
) {
    let n = y.len();
    let Some((last, older)) = row.split_last() else {
        out.copy_from_slice(y);
        return;
    };
    let l = older.len();
    for m in 0..n {
        let mut acc = 0.0;
        for (j, a) in older.iter().enumerate() {
            if a.v != 0.0 {
                acc += (h * a.v) * k(j, m);
            }
        }
        out[m] = if last.v != 0.0 {
            (y[m] + acc) + (h * last.v) * k(l, m)
        } else {
            y[m] + acc
        };
    }
}

/// `out = y + Σ_{j<I} (h a_Ij) k_j` for stage `I` of method `M` (row `I` is a constant), the
/// arithmetic of [`stage_arg`]. With `N > 0` the dimension is the constant `N` too, and the
/// whole stage is straight-line code.
#[inline(always)]
fn stage_const<M: ExplicitRk, const I: usize, const N: usize>(
    h: f64,
    y: &[f64],
    k: &[f64],
    out: &mut [f64],
) {
    let n = if N > 0 { N } else { y.len() };
    stage_arg(M::TABLEAU.a[I], h, &y[..n], &k[..I * n], &mut out[..n]);
}

/// Computes stages `1..s` (stage 0 is already in `k`), `y1`, and returns the scaled error norm
/// (0 for fixed-step methods) and whether `y1` is finite. `N > 0` is a compile-time dimension
/// (small systems, where loop overhead would dominate); `N = 0` takes it from `w`.
#[inline(always)]
fn rk_step<M: ExplicitRk, S: OdeSystem + ?Sized, const N: usize>(
    sys: &S,
    t: f64,
    h: f64,
    w: &mut Work,
) -> (f64, bool) {
    let tab = &M::TABLEAU;
    let n = if N > 0 { N } else { w.n };
    let s = tab.stages();
    // Stage i is a separate instantiation with a constant row, so the inner sum over j is
    // fully unrolled with the tableau's zeros removed.
    macro_rules! stages {
        ($($i:literal)*) => {$(
            if $i < s {
                let (done, rest) = w.k.split_at_mut($i * n);
                stage_const::<M, $i, N>(h, &w.y, done, &mut w.tmp);
                sys.rhs(t + tab.c[$i].v * h, &w.tmp, &mut rest[..n]);
            }
        )*};
    }
    stages!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15);
    debug_assert!(s <= 16, "rk_step unrolls at most 16 stages");
    if tab.fsal {
        w.y1.copy_from_slice(&w.tmp);
    } else {
        stage_arg(tab.b, h, &w.y, &w.k, &mut w.y1);
    }
    if !tab.is_adaptive() {
        return (0.0, first_non_finite(&w.y1).is_none());
    }
    let mut finite = true;
    let mut s5 = 0.0;
    let mut s3 = 0.0;
    let has_e3 = !tab.e3.is_empty();
    let (y, y1, k) = (&w.y[..n], &w.y1[..n], &w.k[..tab.stages() * n]);
    let (atol, rtol) = (&w.atol[..n], &w.rtol[..n]);
    for m in 0..n {
        let mut e5 = 0.0;
        for (j, e) in tab.e.iter().enumerate() {
            if e.v != 0.0 {
                e5 += e.v * k[j * n + m];
            }
        }
        let sc = atol[m] + rtol[m] * y[m].abs().max(y1[m].abs());
        let r = e5 / sc;
        s5 += r * r;
        if has_e3 {
            let mut e3 = 0.0;
            for (j, e) in tab.e3.iter().enumerate() {
                if e.v != 0.0 {
                    e3 += e.v * k[j * n + m];
                }
            }
            let r3 = e3 / sc;
            s3 += r3 * r3;
        }
        finite &= y1[m].is_finite();
    }
    let err = error_norm(tab, h, n, s5, s3);
    (err, finite && err.is_finite())
}

/// `k_0 = k_{s−1}` for a system of constant dimension `N` (FSAL: the last stage of the step is
/// the first of the next).
#[inline(always)]
fn fsal_shift<const N: usize>(k: &mut [f64], s: usize) {
    let last: [f64; N] = k[(s - 1) * N..][..N]
        .try_into()
        .expect("a slice of length N converts to [f64; N]");
    k[..N].copy_from_slice(&last);
}

/// [`rk_step`] for a system of constant dimension `N` (small systems): the same arithmetic in
/// the same order, so the same bits, with the stage derivatives and the stage argument in local
/// arrays instead of the heap buffers of `w`.
///
/// Why: with a right-hand side of a few nanoseconds the step is a chain of dependent stages, and
/// its latency, not its instruction count, sets the time. Through `w.k` every stage derivative
/// makes a round trip through memory that the compiler cannot remove (it cannot tell the heap
/// buffers apart), and the vectorised load of the newest `k_j` then straddles two of f's stores
/// (e.g. `dy[0]` alone and `dy[1..3]` as a pair), which defeats store-to-load forwarding and
/// stalls every stage. In locals the values stay in registers when f is inlined. The stages are
/// copied to `w.k` once at the end (dense output, FSAL and the stiffness test read them there).
#[inline(always)]
fn rk_step_const<M: ExplicitRk, S: OdeSystem + ?Sized, const N: usize>(
    sys: &S,
    t: f64,
    h: f64,
    w: &mut Work,
) -> (f64, bool) {
    let tab = &M::TABLEAU;
    let s = tab.stages();
    let mut k = [[0.0f64; N]; 16];
    k[0].copy_from_slice(&w.k[..N]);
    let mut y = [0.0f64; N];
    y.copy_from_slice(&w.y[..N]);
    let mut arg = [0.0f64; N];
    macro_rules! stages {
        ($($i:literal)*) => {$(
            if $i < s {
                let row = tab.a[$i];
                stage_sum(row, h, &y, |j, m| k[j][m], &mut arg);
                sys.rhs(t + tab.c[$i].v * h, &arg, &mut k[$i]);
            }
        )*};
    }
    stages!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15);
    debug_assert!(s <= 16, "rk_step unrolls at most 16 stages");
    // An FSAL method's new state is its last stage argument.
    let mut y1 = arg;
    if !tab.fsal {
        stage_sum(tab.b, h, &y, |j, m| k[j][m], &mut y1);
    }
    w.y1[..N].copy_from_slice(&y1);
    for (i, ki) in k.iter().enumerate().take(s).skip(1) {
        w.k[i * N..(i + 1) * N].copy_from_slice(ki);
    }
    if !tab.is_adaptive() {
        return (0.0, y1.iter().all(|v| v.is_finite()));
    }
    let mut finite = true;
    let mut s5 = 0.0;
    let mut s3 = 0.0;
    let has_e3 = !tab.e3.is_empty();
    let (atol, rtol) = (&w.atol[..N], &w.rtol[..N]);
    for m in 0..N {
        let mut e5 = 0.0;
        for (j, e) in tab.e.iter().enumerate() {
            if e.v != 0.0 {
                e5 += e.v * k[j][m];
            }
        }
        let sc = atol[m] + rtol[m] * y[m].abs().max(y1[m].abs());
        let r = e5 / sc;
        s5 += r * r;
        if has_e3 {
            let mut e3 = 0.0;
            for (j, e) in tab.e3.iter().enumerate() {
                if e.v != 0.0 {
                    e3 += e.v * k[j][m];
                }
            }
            let r3 = e3 / sc;
            s3 += r3 * r3;
        }
        finite &= y1[m].is_finite();
    }
    let err = error_norm(tab, h, N, s5, s3);
    (err, finite && err.is_finite())
}

/// The scaled error norm from the sums of squares of the scaled error estimates: RMS of the
/// embedded estimate, or for DOP853 (`e3` present) Hairer's combination of its 5th- and
/// 3rd-order estimates, `|h| s5 / sqrt(n (s5 + 0.01 s3))`.
#[inline(always)]
fn error_norm(tab: &ButcherTableau, h: f64, n: usize, s5: f64, s3: f64) -> f64 {
    let nf = n.max(1) as f64;
    if !tab.e3.is_empty() {
        let mut deno = s5 + 0.01 * s3;
        if deno <= 0.0 {
            deno = 1.0;
        }
        h.abs() * s5 / (nf * deno).sqrt()
    } else {
        h.abs() * (s5 / nf).sqrt()
    }
}

/// Evaluates the extra stages the interpolant needs (once per step, on demand).
#[inline(never)]
fn extra_stages<S: OdeSystem + ?Sized>(
    tab: &ButcherTableau,
    sys: &S,
    t: f64,
    h: f64,
    w: &mut Work,
) -> usize {
    let n = w.n;
    let s = tab.stages();
    for (e, row) in tab.dense.extra_a.iter().enumerate() {
        let i = s + e;
        let (done, rest) = w.k.split_at_mut(i * n);
        stage_arg(row, h, &w.y, done, &mut w.tmp);
        sys.rhs(t + tab.dense.extra_c[e].v * h, &w.tmp, &mut rest[..n]);
    }
    tab.dense.extra_a.len()
}

/// Dense output `out = y(t + θh)` within the current step (extra stages must be evaluated).
#[inline(never)]
pub(crate) fn dense_eval(
    tab: &ButcherTableau,
    theta: f64,
    h: f64,
    y: &[f64],
    k: &[f64],
    out: &mut [f64],
) {
    let n = y.len();
    let mut idx = [0usize; MAX_STAGES];
    let mut coef = [0.0f64; MAX_STAGES];
    let mut nz = 0;
    for (i, row) in tab.dense.bi.iter().enumerate() {
        let mut acc = 0.0;
        let mut th = theta;
        for c in row.iter() {
            acc += c.v * th;
            th *= theta;
        }
        if acc != 0.0 {
            idx[nz] = i * n;
            coef[nz] = h * acc;
            nz += 1;
        }
    }
    let (idx, coef) = (&idx[..nz], &coef[..nz]);
    for m in 0..n {
        let mut acc = 0.0;
        for (&o, &c) in idx.iter().zip(coef) {
            acc += c * k[o + m];
        }
        out[m] = y[m] + acc;
    }
}

/// The explicit Runge–Kutta method `M` as a [`Stepper`].
pub(crate) struct ExplicitRkStepper<M: ExplicitRk> {
    w: Work,
    ctrl: PiController,
    adaptive: bool,
    dir: f64,
    span: f64,
    h_max: f64,
    /// Signed size and start time of the last attempted step (for dense output).
    h: f64,
    t: f64,
    _method: std::marker::PhantomData<M>,
}

impl<M: ExplicitRk, S: OdeSystem + ?Sized> Stepper<S> for ExplicitRkStepper<M> {
    fn init(
        &mut self,
        sys: &S,
        t0: f64,
        h_first: Option<f64>,
        stats: &mut Stats,
    ) -> Result<f64, OdeError> {
        let n = self.w.n;
        sys.rhs(t0, &self.w.y, &mut self.w.k[..n]);
        stats.f_evals += 1;
        if let Some(c) = first_non_finite(&self.w.k[..n]) {
            return Err(OdeError::NonFiniteState {
                t: t0,
                component: c,
            });
        }
        if let Some(h) = h_first {
            return Ok(h);
        }
        let mut scratch = vec![0.0; 3 * n];
        let (f0, _) = self.w.k.split_at(n);
        Ok(driver::initial_step(
            sys,
            t0,
            &self.w.y,
            f0,
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

    #[inline]
    fn try_step(&mut self, sys: &S, t: f64, h: f64, stats: &mut Stats) -> Result<Step, OdeError> {
        let tab = &M::TABLEAU;
        let (err, finite) = match self.w.n {
            2 => rk_step_const::<M, S, 2>(sys, t, h, &mut self.w),
            3 => rk_step_const::<M, S, 3>(sys, t, h, &mut self.w),
            4 => rk_step_const::<M, S, 4>(sys, t, h, &mut self.w),
            _ => rk_step::<M, S, 0>(sys, t, h, &mut self.w),
        };
        stats.f_evals += tab.stages() - 1;
        self.t = t;
        self.h = h;
        let h = h.abs();
        if !finite {
            let component = first_non_finite(&self.w.y1).unwrap_or(0);
            return Ok(Step::NonFinite {
                h_retry: h * self.ctrl.reject(f64::NAN),
                component,
            });
        }
        if !self.adaptive {
            return Ok(Step::Accepted { h_next: h });
        }
        if err > 1.0 {
            return Ok(Step::Rejected {
                h_retry: h * self.ctrl.reject(err),
            });
        }
        Ok(Step::Accepted {
            h_next: h * self.ctrl.accept(err),
        })
    }

    fn y(&self) -> &[f64] {
        &self.w.y
    }

    fn y1(&self) -> &[f64] {
        &self.w.y1
    }

    fn prepare_dense(&mut self, sys: &S, stats: &mut Stats) {
        stats.f_evals += extra_stages(&M::TABLEAU, sys, self.t, self.h, &mut self.w);
    }

    fn dense(&self, theta: f64, out: &mut [f64]) {
        dense_eval(&M::TABLEAU, theta, self.h, &self.w.y, &self.w.k, out);
    }

    #[inline]
    fn accept(&mut self, sys: &S, t1: f64, more: bool, stats: &mut Stats) -> Result<(), OdeError> {
        let tab = &M::TABLEAU;
        let n = self.w.n;
        let s = tab.stages();
        std::mem::swap(&mut self.w.y, &mut self.w.y1);
        if tab.fsal {
            // A copy of constant length for small systems: inline moves, not a memmove call.
            match n {
                2 => fsal_shift::<2>(&mut self.w.k, s),
                3 => fsal_shift::<3>(&mut self.w.k, s),
                4 => fsal_shift::<4>(&mut self.w.k, s),
                _ => self.w.k.copy_within((s - 1) * n..s * n, 0),
            }
        } else if more {
            sys.rhs(t1, &self.w.y, &mut self.w.k[..n]);
            stats.f_evals += 1;
            if let Some(c) = first_non_finite(&self.w.k[..n]) {
                return Err(OdeError::NonFiniteState {
                    t: t1,
                    component: c,
                });
            }
        }
        Ok(())
    }
}

impl<M: ExplicitRk> ExplicitRkStepper<M> {
    /// Restarts from `(t, y)` (after another method took the steps before).
    pub(crate) fn restart<S: OdeSystem + ?Sized>(
        &mut self,
        sys: &S,
        t: f64,
        y: &[f64],
        stats: &mut Stats,
    ) -> Result<(), OdeError> {
        let n = self.w.n;
        self.w.y.copy_from_slice(y);
        sys.rhs(t, &self.w.y, &mut self.w.k[..n]);
        stats.f_evals += 1;
        if let Some(c) = first_non_finite(&self.w.k[..n]) {
            return Err(OdeError::NonFiniteState { t, component: c });
        }
        self.ctrl.reset();
        Ok(())
    }

    /// `|h|·ρ` for the last attempted step, with `ρ = ‖k_s − k_{s−1}‖ / ‖y1 − Y_{s−1}‖` an
    /// estimate of the dominant eigenvalue's modulus from the two last stages, both at `t + h`
    /// (Hairer & Wanner, *Solving ODEs II*, §IV.2, the stiffness test of DOPRI5). NaN for methods
    /// whose last two stages are not both at `c = 1` of an FSAL tableau.
    ///
    /// Both norms are weighted by the error scale `atol_m + rtol_m·max(|y_m|, |y1_m|)`: the ratio
    /// then estimates the spectral radius of `D⁻¹JD` (`D` the diagonal of scales), which has the
    /// eigenvalues of `J`. Unweighted, a stiff mode that lives in components many orders of
    /// magnitude below the others (E5: 1e-3 against 1e-20) is invisible and the test never fires,
    /// while the error control still sees it and Tsit5 crawls at its stability limit.
    pub(crate) fn stiffness_hrho(&self) -> f64 {
        let tab = &M::TABLEAU;
        let s = tab.stages();
        if !tab.fsal || s < 3 || tab.c[s - 2].v != 1.0 {
            return f64::NAN;
        }
        let n = self.w.n;
        let (a_last, a_prev) = (tab.a[s - 1], tab.a[s - 2]);
        let (mut num, mut den) = (0.0, 0.0);
        for m in 0..n {
            let dk = self.w.k[(s - 1) * n + m] - self.w.k[(s - 2) * n + m];
            let mut dy = 0.0;
            for (j, al) in a_last.iter().enumerate() {
                let a = al.v - a_prev.get(j).map_or(0.0, |c| c.v);
                dy += a * self.w.k[j * n + m];
            }
            let sc = self.w.atol[m] + self.w.rtol[m] * self.w.y[m].abs().max(self.w.y1[m].abs());
            num += (dk / sc) * (dk / sc);
            den += (dy / sc) * (dy / sc);
        }
        // ‖y1 − Y_{s−1}‖ = |h|·‖Σ (a_sj − a_{s−1,j}) k_j‖, so |h|ρ = ‖Δk‖ / ‖Σ … k_j‖.
        if den > 0.0 {
            (num / den).sqrt()
        } else {
            0.0
        }
    }
}

/// Solves with the explicit Runge–Kutta method `M`.
pub(crate) fn integrate<M: ExplicitRk, S: OdeSystem + ?Sized>(
    p: Solve<'_, S>,
) -> Result<Solution, OdeError> {
    let tab = &M::TABLEAU;
    driver::validate(&p, tab.is_adaptive(), tab.name)?;
    let stepper = stepper::<M, S>(&p)?;
    let method = p.method;
    driver::drive(p, method, stepper)
}

/// The explicit RK stepper for a solve request (validated by the caller).
pub(crate) fn stepper<M: ExplicitRk, S: OdeSystem + ?Sized>(
    p: &Solve<'_, S>,
) -> Result<ExplicitRkStepper<M>, OdeError> {
    let tab = &M::TABLEAU;
    if p.system.mass_matrix().is_some() {
        return Err(OdeError::InvalidOption {
            name: "method",
            reason: format!(
                "{} is explicit and cannot solve M y' = f(t, y) with a mass matrix; use a stiff \
                 method such as rodas5p",
                tab.name
            ),
        });
    }
    if tab.dense_stages() > MAX_STAGES {
        return Err(OdeError::InvalidOption {
            name: "method",
            reason: format!("{} has more than {MAX_STAGES} stages", tab.name),
        });
    }
    let n = p.system.dim();
    let o = &p.options;
    let span = (p.t_end - p.t0).abs();
    let stepper = ExplicitRkStepper::<M> {
        w: Work {
            n,
            y: p.y0.to_vec(),
            y1: vec![0.0; n],
            tmp: vec![0.0; n],
            k: vec![0.0; tab.dense_stages() * n],
            atol: (0..n).map(|i| o.atol.get(i)).collect(),
            rtol: (0..n).map(|i| o.rtol.get(i)).collect(),
        },
        ctrl: {
            let c = PiController::new(tab.error_exponent, o.safety, o.q_min, o.q_max);
            match tab.pi_gains {
                Some(g) => c.with_gains(g),
                None => c,
            }
        },
        adaptive: tab.is_adaptive() && o.dt.is_none(),
        dir: if p.t_end >= p.t0 { 1.0 } else { -1.0 },
        span,
        h_max: o.h_max.unwrap_or(span).min(span),
        h: 0.0,
        t: p.t0,
        _method: std::marker::PhantomData,
    };
    Ok(stepper)
}
