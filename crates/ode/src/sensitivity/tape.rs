//! A recorded explicit Runge–Kutta solve: one adaptive pass that keeps every accepted step's
//! stage states, so that a reverse sweep needs vector–Jacobian products only (no replay and no
//! recomputed stages).
//!
//! The stepping is that of [`Solve`](crate::Solve) with an explicit method — the same tableau
//! ([`ButcherTableau`]), error norm, PI controller ([`PiController`]) and Hairer's initial step —
//! except that steps end exactly on the given stop times (observation times) *without*
//! restarting the integration there: the controller, the FSAL stage and the step size carry
//! over, as with `tstops` in OrdinaryDiffEq.jl. With dense observations the steps cross the
//! observation times instead and the values there come from the method's continuous extension
//! (as `Solve` computes `SaveAt::Times`), whose extra stages, if any, are recorded too.

use super::ParametricSystem;
use crate::control::PiController;
use crate::driver::{first_non_finite, initial_step, validate};
use crate::error::OdeError;
use crate::methods::Method;
use crate::rk::{dense_eval, stage_arg};
use crate::solution::Stats;
use crate::solve::{Options, Solve};
use crate::tableau::ButcherTableau;

/// Where an observation lies in a recorded solve.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum ObsAt {
    /// At step end `k` (`t[k]`).
    Node(usize),
    /// Inside step `step` (from `t[step]` to `t[step + 1]`), at `t[step] + θ h`, `0 < θ < 1`:
    /// the value is the continuous extension `y_k + h Σ_i b_i(θ) K_i`.
    Inside { step: usize, theta: f64 },
}

/// The record of one explicit Runge–Kutta solve (buffers are reused between solves).
#[derive(Debug, Default)]
pub(crate) struct RkTape {
    pub n: usize,
    /// Step ends `t_0, …, t_N`.
    pub t: Vec<f64>,
    /// States at the step ends, `(N + 1) × n`.
    pub y: Vec<f64>,
    /// Per accepted step, the `s` stage states `Y_i = y_k + h Σ_j a_ij K_j` (`s × n`).
    pub stages: Vec<f64>,
    /// Per accepted step, the `s` stage derivatives `K_i = f(t_k + c_i h, Y_i)` (`s × n`);
    /// kept only when asked for (dense output of the forward trajectory).
    pub ks: Vec<f64>,
    /// Per observation time (in order), where it lies.
    pub obs: Vec<ObsAt>,
    /// The solution at the observation times, `n_obs × n`.
    pub obs_y: Vec<f64>,
    /// The states of the interpolant's extra stages (methods whose continuous extension needs
    /// them), `e × n` per step with an observation inside it, at offset `extra_at[k]`.
    pub extra: Vec<f64>,
    /// Per accepted step, the offset of its extra stage states in `extra` (`usize::MAX`: none).
    pub extra_at: Vec<usize>,
    pub stats: Stats,
    /// Work buffers.
    k: Vec<f64>,
    y0: Vec<f64>,
    y1: Vec<f64>,
    tmp: Vec<f64>,
    atol: Vec<f64>,
    rtol: Vec<f64>,
}

impl RkTape {
    /// The solution at observation `i`.
    pub fn obs_y_at(&self, i: usize) -> &[f64] {
        &self.obs_y[i * self.n..(i + 1) * self.n]
    }

    /// Bytes held by the record.
    pub fn bytes(&self) -> usize {
        (self.t.len()
            + self.y.len()
            + self.stages.len()
            + self.ks.len()
            + self.obs_y.len()
            + self.extra.len())
            * std::mem::size_of::<f64>()
            + (self.obs.len() * std::mem::size_of::<ObsAt>())
            + self.extra_at.len() * std::mem::size_of::<usize>()
    }

    /// Solves `y' = f(t, y)` from `(t0, y0)` to `t_end` with the explicit method `method` and
    /// records the steps and the solution at the observation times `times` (monotone, inside
    /// the span): without `dense` every step that reaches an observation time ends on it;
    /// with `dense` the steps cross them and the values come from the continuous extension.
    /// With `keep_k` the stage derivatives are recorded too.
    ///
    /// Errors: those of [`Solve::run`] for the same request.
    #[allow(clippy::too_many_arguments)]
    pub fn record<S: ParametricSystem + ?Sized>(
        &mut self,
        sys: &S,
        method: Method,
        tab: &'static ButcherTableau,
        t_span: (f64, f64),
        y0: &[f64],
        times: &[f64],
        dense: bool,
        o: &Options,
        keep_k: bool,
    ) -> Result<(), OdeError> {
        let stops: &[f64] = if dense { &[] } else { times };
        let (t0, t_end) = t_span;
        let request = Solve::new(sys, t_span, y0)
            .method(method)
            .options(o.clone());
        validate(&request, tab.is_adaptive(), tab.name)?;
        let n = sys.dim();
        let s = tab.stages();
        self.n = n;
        self.t.clear();
        self.y.clear();
        self.stages.clear();
        self.ks.clear();
        self.obs.clear();
        self.obs_y.clear();
        self.extra.clear();
        self.extra_at.clear();
        self.stats = Stats::default();
        self.k.resize(tab.dense_stages() * n, 0.0);
        self.y0.clear();
        self.y0.extend_from_slice(y0);
        self.y1.resize(n, 0.0);
        self.tmp.resize(n, 0.0);
        self.atol.clear();
        self.atol.extend((0..n).map(|i| o.atol.get(i)));
        self.rtol.clear();
        self.rtol.extend((0..n).map(|i| o.rtol.get(i)));
        self.t.push(t0);
        self.y.extend_from_slice(y0);
        let mut next_obs = 0;
        while next_obs < times.len() && times[next_obs] == t0 {
            self.obs.push(ObsAt::Node(0));
            self.obs_y.extend_from_slice(y0);
            next_obs += 1;
        }
        let dir = if t_end >= t0 { 1.0 } else { -1.0 };
        let span = (t_end - t0).abs();
        if span == 0.0 {
            return Ok(());
        }
        let adaptive = tab.is_adaptive() && o.dt.is_none();
        let h_max = o.h_max.unwrap_or(span).min(span);
        let mut ctrl = PiController::new(tab.error_exponent, o.safety, o.q_min, o.q_max);
        if let Some(gains) = tab.pi_gains {
            // The method's own gains, as the forward solve uses them (rk.rs).
            ctrl = ctrl.with_gains(gains);
        }

        let sd = tab.dense_stages();
        sys.rhs_slot(t0, y0, &mut self.k[..n], 0);
        self.stats.f_evals += 1;
        if let Some(c) = first_non_finite(&self.k[..n]) {
            return Err(OdeError::NonFiniteState {
                t: t0,
                component: c,
            });
        }
        let mut h = match o.dt.or(o.h0) {
            Some(h) => h.min(h_max),
            None => {
                self.tmp.resize(3 * n, 0.0);
                let h = initial_step(
                    sys,
                    t0,
                    y0,
                    &self.k[..n],
                    dir,
                    span,
                    tab.order,
                    h_max,
                    &self.atol,
                    &self.rtol,
                    &mut self.tmp,
                    &mut self.stats,
                );
                self.tmp.truncate(n);
                h
            }
        };

        let mut t = t0;
        let mut next_stop = 0;
        let mut non_finite_retries = 0u32;
        while dir * (t_end - t) > 0.0 {
            if self.stats.steps >= o.max_steps {
                return Err(OdeError::MaxStepsReached {
                    t,
                    max_steps: o.max_steps,
                });
            }
            while next_stop < stops.len() && dir * (stops[next_stop] - t) <= 0.0 {
                next_stop += 1;
            }
            let target = stops.get(next_stop).copied().unwrap_or(t_end);
            // land on the next stop (the driver's rule for t_end)
            let mut clipped = false;
            let mut h_try = h;
            if dir * (t + dir * 1.01 * h - target) >= 0.0 {
                h_try = (target - t).abs();
                clipped = true;
            }
            if h_try <= 4.0 * f64::EPSILON * t.abs().max(f64::MIN_POSITIVE) || h_try.is_nan() {
                return Err(OdeError::StepSizeTooSmall { t, h: dir * h_try });
            }
            let t1 = if clipped { target } else { t + dir * h_try };
            // the step actually taken is the difference of the recorded ends, so that a replay
            // over `self.t` reproduces it bit for bit
            let hs = t1 - t;
            self.stats.steps += 1;
            let base = self.stages.len();
            rk_step(
                sys,
                tab,
                t,
                hs,
                &self.y0,
                &mut self.k,
                &mut self.tmp,
                &mut self.y1,
                Some(&mut self.stages),
                Some((self.t.len() - 1) * sd),
            );
            self.stats.f_evals += s - 1;
            let finite = first_non_finite(&self.y1).is_none();
            let err = if adaptive && finite {
                rk_error(
                    tab, hs, &self.k, n, n, &self.y0, &self.y1, &self.atol, &self.rtol,
                )
            } else {
                0.0
            };
            if !finite || !err.is_finite() {
                self.stages.truncate(base);
                self.stats.rejected += 1;
                non_finite_retries += 1;
                if o.dt.is_some() || non_finite_retries > 30 {
                    return Err(OdeError::NonFiniteState {
                        t,
                        component: first_non_finite(&self.y1).unwrap_or(0),
                    });
                }
                h = h_try * ctrl.reject(f64::NAN);
                continue;
            }
            if adaptive && err > 1.0 {
                self.stages.truncate(base);
                self.stats.rejected += 1;
                h = h_try * ctrl.reject(err);
                continue;
            }
            non_finite_retries = 0;
            self.stats.accepted += 1;
            if keep_k {
                self.ks.extend_from_slice(&self.k[..s * n]);
            }
            self.t.push(t1);
            self.y.extend_from_slice(&self.y1);
            let step = self.t.len() - 2;
            self.extra_at.push(usize::MAX);
            // observations in (t, t1]: the step end, or the continuous extension inside it
            while next_obs < times.len() && dir * (times[next_obs] - t1) <= 0.0 {
                let ts = times[next_obs];
                if ts == t1 {
                    self.obs.push(ObsAt::Node(step + 1));
                    self.obs_y.extend_from_slice(&self.y1);
                } else {
                    if !tab.dense.extra_c.is_empty() && self.extra_at[step] == usize::MAX {
                        self.extra_at[step] = self.extra.len();
                        extra_stages(
                            sys,
                            tab,
                            t,
                            hs,
                            &self.y0,
                            &mut self.k,
                            &mut self.tmp,
                            Some(&mut self.extra),
                            Some(step * sd),
                        );
                        self.stats.f_evals += tab.dense.extra_c.len();
                    }
                    let theta = (ts - t) / hs;
                    let base = self.obs_y.len();
                    self.obs_y.resize(base + n, 0.0);
                    dense_eval(tab, theta, hs, &self.y0, &self.k, &mut self.obs_y[base..]);
                    self.obs.push(ObsAt::Inside { step, theta });
                }
                next_obs += 1;
            }
            std::mem::swap(&mut self.y0, &mut self.y1);
            let more = dir * (t_end - t1) > 0.0;
            if tab.fsal {
                self.k.copy_within((s - 1) * n..s * n, 0);
            } else if more {
                sys.rhs_slot(t1, &self.y0, &mut self.k[..n], (step + 1) * sd);
                self.stats.f_evals += 1;
                if let Some(c) = first_non_finite(&self.k[..n]) {
                    return Err(OdeError::NonFiniteState {
                        t: t1,
                        component: c,
                    });
                }
            }
            if adaptive {
                let h_next = h_try * ctrl.accept(err);
                // a step shortened to hit a stop does not shrink the next one
                h = if clipped { h_next.max(h) } else { h_next }.min(h_max);
            }
            t = t1;
        }
        Ok(())
    }
}

/// One explicit Runge–Kutta step from `(t, y0)` of size `hs` with `k[..n] = f(t, y0)` given:
/// the stage derivatives `K_1..K_{s-1}` into `k[i·n..]`, the new state into `y1`, and (when
/// `stages` is given) the `s` stage states `Y_i = y0 + hs Σ_j a_ij K_j` appended to it. `tmp`
/// holds `n` floats. The one arithmetic of the recorded pass and of
/// [`replay`](super::replay), so that a replay over the recorded step ends reproduces the
/// recorded states bit for bit (an FSAL method's new state is its last stage state). With
/// `slots`, stage `i` is evaluated by [`ParametricSystem::rhs_slot`] under slot `slots + i`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn rk_step<S: ParametricSystem + ?Sized>(
    sys: &S,
    tab: &ButcherTableau,
    t: f64,
    hs: f64,
    y0: &[f64],
    k: &mut [f64],
    tmp: &mut [f64],
    y1: &mut [f64],
    mut stages: Option<&mut Vec<f64>>,
    slots: Option<usize>,
) {
    let n = y0.len();
    let s = tab.stages();
    if let Some(st) = stages.as_deref_mut() {
        st.extend_from_slice(y0);
    }
    for i in 1..s {
        let (done, rest) = k.split_at_mut(i * n);
        stage_arg(tab.a[i], hs, y0, done, tmp);
        let ti = t + tab.c[i].v * hs;
        match slots {
            Some(b) => sys.rhs_slot(ti, tmp, &mut rest[..n], b + i),
            None => sys.rhs(ti, tmp, &mut rest[..n]),
        }
        if let Some(st) = stages.as_deref_mut() {
            st.extend_from_slice(tmp);
        }
    }
    if tab.fsal {
        y1.copy_from_slice(tmp);
    } else {
        stage_arg(tab.b, hs, y0, &k[..s * n], y1);
    }
}

/// The extra stages of the continuous extension of the step from `(t, y0)` of size `hs`
/// (`k` holds the main stages' derivatives and room for the extra ones): `K_{s+e} =
/// f(t + c_e hs, y0 + hs Σ_j a_ej K_j)` into `k`, the stage states appended to `states` when
/// given (under slots `slots + s + e` with `slots`); the arithmetic of the `Solve` stepper's
/// interpolation (`stage_arg`).
#[allow(clippy::too_many_arguments)]
pub(crate) fn extra_stages<S: ParametricSystem + ?Sized>(
    sys: &S,
    tab: &ButcherTableau,
    t: f64,
    hs: f64,
    y0: &[f64],
    k: &mut [f64],
    tmp: &mut [f64],
    mut states: Option<&mut Vec<f64>>,
    slots: Option<usize>,
) {
    let n = y0.len();
    let s = tab.stages();
    for (e, row) in tab.dense.extra_a.iter().enumerate() {
        let i = s + e;
        let (done, rest) = k.split_at_mut(i * n);
        stage_arg(row, hs, y0, done, tmp);
        let ti = t + tab.dense.extra_c[e].v * hs;
        match slots {
            Some(b) => sys.rhs_slot(ti, tmp, &mut rest[..n], b + i),
            None => sys.rhs(ti, tmp, &mut rest[..n]),
        }
        if let Some(st) = states.as_deref_mut() {
            st.extend_from_slice(tmp);
        }
    }
}

/// `w_i = h b_i(θ)` for every stage of the continuous extension (main then extra; `w` holds
/// [`ButcherTableau::dense_stages`] entries): the coefficients with which
/// [`dense_eval`](crate::rk::dense_eval) combines the stage derivatives, computed the same way.
pub(crate) fn dense_weights(tab: &ButcherTableau, theta: f64, h: f64, w: &mut [f64]) {
    w.fill(0.0);
    for (i, row) in tab.dense.bi.iter().enumerate() {
        let mut acc = 0.0;
        let mut th = theta;
        for c in row.iter() {
            acc += c.v * th;
            th *= theta;
        }
        w[i] = h * acc;
    }
}

/// The scaled error norm of an explicit Runge–Kutta step (as the `Solve` stepper computes it):
/// `err = h Σ e_i K_i` over the first `count` components, with stage `i` at
/// `k[i·stride..]`, weighted by `atol + rtol · max(|y0|, |y1|)` (RMS); DOP853 combines its
/// fifth- and third-order estimates (Hairer's `err`).
#[allow(clippy::too_many_arguments)]
pub(crate) fn rk_error(
    tab: &ButcherTableau,
    h: f64,
    k: &[f64],
    stride: usize,
    count: usize,
    y0: &[f64],
    y1: &[f64],
    atol: &[f64],
    rtol: &[f64],
) -> f64 {
    let has_e3 = !tab.e3.is_empty();
    let (mut s5, mut s3) = (0.0, 0.0);
    for m in 0..count {
        let mut e5 = 0.0;
        for (j, e) in tab.e.iter().enumerate() {
            if e.v != 0.0 {
                e5 += e.v * k[j * stride + m];
            }
        }
        let sc = atol[m] + rtol[m] * y0[m].abs().max(y1[m].abs());
        s5 += (e5 / sc) * (e5 / sc);
        if has_e3 {
            let mut e3 = 0.0;
            for (j, e) in tab.e3.iter().enumerate() {
                if e.v != 0.0 {
                    e3 += e.v * k[j * stride + m];
                }
            }
            s3 += (e3 / sc) * (e3 / sc);
        }
    }
    let nf = count.max(1) as f64;
    if has_e3 {
        let mut deno = s5 + 0.01 * s3;
        if deno <= 0.0 {
            deno = 1.0;
        }
        h.abs() * s5 / (nf * deno).sqrt()
    } else {
        h.abs() * (s5 / nf).sqrt()
    }
}
