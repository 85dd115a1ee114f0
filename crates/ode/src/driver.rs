//! The integration driver shared by every method: validation, the stepping loop (landing on
//! `t_end`, `max_steps`, step-size underflow, non-finite states), save-at times through dense
//! output, and event location. A method plugs in as a [`Stepper`], which owns its state, its
//! error control and its dense output.

use crate::control::rms_norm;
use crate::error::OdeError;
use crate::solution::{EventHit, Solution, Stats};
use crate::solve::{Direction, SaveAt, Solve, Tolerance};
use crate::system::OdeSystem;
use crate::Method;

/// Outcome of one attempted step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Step {
    /// Accepted; the method proposes `h_next` (magnitude) for the next step.
    Accepted { h_next: f64 },
    /// Rejected by the error (or Newton) control; retry with `h_retry` (magnitude).
    Rejected { h_retry: f64 },
    /// The proposed state was not finite; retry with `h_retry` (magnitude).
    NonFinite { h_retry: f64, component: usize },
}

/// One integration method's state during a solve.
///
/// The driver calls [`Stepper::try_step`] until a step is accepted, then may call
/// [`Stepper::dense`] (after [`Stepper::prepare_dense`]) for save-at times and events inside the
/// step, then [`Stepper::accept`] to move on.
pub(crate) trait Stepper<S: OdeSystem + ?Sized> {
    /// Evaluates what the method needs at `(t0, y0)` and returns the magnitude of the first step.
    fn init(
        &mut self,
        sys: &S,
        t0: f64,
        h_first: Option<f64>,
        stats: &mut Stats,
    ) -> Result<f64, OdeError>;
    /// Attempts a step of signed size `h` from `(t, y)`.
    fn try_step(&mut self, sys: &S, t: f64, h: f64, stats: &mut Stats) -> Result<Step, OdeError>;
    /// The state at the start of the current step.
    fn y(&self) -> &[f64];
    /// The state at the end of the last attempted step.
    fn y1(&self) -> &[f64];
    /// Makes the dense output of the last accepted step available (lazy extra stages).
    fn prepare_dense(&mut self, sys: &S, stats: &mut Stats);
    /// `out = y(t + θh)` inside the last accepted step.
    fn dense(&self, theta: f64, out: &mut [f64]);
    /// Moves to the end of the accepted step at `t1`; `more` tells whether another step follows.
    fn accept(&mut self, sys: &S, t1: f64, more: bool, stats: &mut Stats) -> Result<(), OdeError>;
}

/// Checks everything about a solve request that does not depend on the method, plus whether a
/// fixed step `dt` is required (`needs_dt`).
pub(crate) fn validate<S: OdeSystem + ?Sized>(
    p: &Solve<'_, S>,
    adaptive_method: bool,
    method_name: &str,
) -> Result<(), OdeError> {
    let n = p.system.dim();
    if !p.t0.is_finite() || !p.t_end.is_finite() {
        return Err(OdeError::InvalidTimeSpan {
            t0: p.t0,
            t_end: p.t_end,
        });
    }
    if p.y0.len() != n {
        return Err(OdeError::DimensionMismatch {
            what: "initial state y0",
            expected: n,
            found: p.y0.len(),
        });
    }
    if let Some((i, &v)) = p.y0.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(OdeError::NonFiniteInput {
            what: "initial state y0",
            index: Some(i),
            value: v,
        });
    }
    let o = &p.options;
    for (name, tol) in [("rtol", &o.rtol), ("atol", &o.atol)] {
        let values: &[f64] = match tol {
            Tolerance::Scalar(v) => std::slice::from_ref(v),
            Tolerance::Vector(v) => {
                if v.len() != n {
                    return Err(OdeError::DimensionMismatch {
                        what: if name == "rtol" {
                            "rtol vector"
                        } else {
                            "atol vector"
                        },
                        expected: n,
                        found: v.len(),
                    });
                }
                v
            }
        };
        if let Some((i, v)) = values
            .iter()
            .enumerate()
            .find(|(_, v)| !v.is_finite() || **v < 0.0)
        {
            return Err(OdeError::InvalidTolerance {
                reason: format!("{name}[{i}] = {v} must be finite and non-negative"),
            });
        }
    }
    for i in 0..n {
        if o.rtol.get(i) == 0.0 && o.atol.get(i) == 0.0 {
            return Err(OdeError::InvalidTolerance {
                reason: format!("rtol and atol are both zero for component {i}"),
            });
        }
    }
    if adaptive_method {
        if let Tolerance::Scalar(r) = o.rtol {
            if r > 1.0 {
                return Err(OdeError::InvalidTolerance {
                    reason: format!("rtol = {r} is larger than 1"),
                });
            }
        }
    }
    if o.max_steps == 0 {
        return Err(OdeError::InvalidOption {
            name: "max_steps",
            reason: "must be at least 1".into(),
        });
    }
    for (name, v) in [("h0", o.h0), ("h_max", o.h_max), ("dt", o.dt)] {
        if let Some(v) = v {
            if !v.is_finite() || v <= 0.0 {
                return Err(OdeError::InvalidOption {
                    name,
                    reason: format!("{v} must be finite and positive"),
                });
            }
        }
    }
    if !adaptive_method && o.dt.is_none() && p.t0 != p.t_end {
        return Err(OdeError::InvalidOption {
            name: "dt",
            reason: format!("the fixed-step method {method_name} needs a step size dt"),
        });
    }
    if !(o.safety > 0.0 && o.safety <= 1.0 && o.q_min > 0.0 && o.q_min < 1.0 && o.q_max > 1.0) {
        return Err(OdeError::InvalidOption {
            name: "step controller",
            reason: format!(
                "need 0 < safety <= 1, 0 < q_min < 1 < q_max (got {}, {}, {})",
                o.safety, o.q_min, o.q_max
            ),
        });
    }
    if let SaveAt::Times(ts) = &o.save_at {
        let dir = if p.t_end >= p.t0 { 1.0 } else { -1.0 };
        let (lo, hi) = if dir > 0.0 {
            (p.t0, p.t_end)
        } else {
            (p.t_end, p.t0)
        };
        for (i, &t) in ts.iter().enumerate() {
            if !t.is_finite() {
                return Err(OdeError::InvalidSaveAt {
                    t,
                    index: i,
                    reason: "not finite",
                });
            }
            if t < lo || t > hi {
                return Err(OdeError::InvalidSaveAt {
                    t,
                    index: i,
                    reason: "outside the time span",
                });
            }
            if i > 0 && dir * (t - ts[i - 1]) < 0.0 {
                return Err(OdeError::InvalidSaveAt {
                    t,
                    index: i,
                    reason: "times must be monotone in the direction of integration",
                });
            }
        }
    }
    Ok(())
}

/// First index of a non-finite value.
#[inline]
pub(crate) fn first_non_finite(v: &[f64]) -> Option<usize> {
    v.iter().position(|x| !x.is_finite())
}

/// Hairer's automatic initial step (Hairer, Nørsett & Wanner, *Solving ODEs I*, §II.4, and
/// `hinit` in DOPRI5): balance `h·||f||` against the tolerance, then refine with an estimate of
/// the second derivative from one explicit Euler step. One extra f-evaluation. `scratch` holds
/// three vectors of length n.
#[allow(clippy::too_many_arguments)]
pub(crate) fn initial_step<S: OdeSystem + ?Sized>(
    sys: &S,
    t0: f64,
    y0: &[f64],
    f0: &[f64],
    dir: f64,
    span: f64,
    order: u32,
    h_max: f64,
    atol: &[f64],
    rtol: &[f64],
    scratch: &mut [f64],
    stats: &mut Stats,
) -> f64 {
    let n = y0.len();
    let (sc, rest) = scratch.split_at_mut(n);
    let (y1, f1) = rest.split_at_mut(n);
    let f1 = &mut f1[..n];
    for i in 0..n {
        sc[i] = atol[i] + rtol[i] * y0[i].abs();
    }
    let d0 = rms_norm(y0, sc);
    let d1 = rms_norm(f0, sc);
    let mut h0 = if d0 < 1e-5 || d1 < 1e-5 {
        1e-6
    } else {
        0.01 * d0 / d1
    };
    h0 = h0.min(h_max).min(span);
    for ((y1, y), f) in y1.iter_mut().zip(y0).zip(f0) {
        *y1 = y + dir * h0 * f;
    }
    sys.rhs(t0 + dir * h0, y1, f1);
    stats.f_evals += 1;
    for (a, b) in f1.iter_mut().zip(f0) {
        *a -= b;
    }
    let d2 = rms_norm(f1, sc) / h0;
    let dmax = d1.max(d2);
    let h1 = if dmax.is_finite() && dmax > 1e-15 {
        (0.01 / dmax).powf(1.0 / f64::from(order.max(1)))
    } else {
        (h0 * 1e-3).max(1e-6)
    };
    (100.0 * h0).min(h1).min(h_max).min(span)
}

/// Locates the crossing of `g` in `θ ∈ [0, 1]` by the Illinois variant of regula falsi on the
/// dense output; returns the right end of the final bracket (where the sign has changed).
#[allow(clippy::too_many_arguments)]
fn locate_event<S: OdeSystem + ?Sized>(
    g: &mut dyn FnMut(f64, &[f64]) -> f64,
    stepper: &dyn Stepper<S>,
    t: f64,
    h: f64,
    g0: f64,
    g1: f64,
    yd: &mut [f64],
    event: usize,
) -> Result<f64, OdeError> {
    let (mut a, mut fa) = (0.0f64, g0);
    let (mut b, mut fb) = (1.0f64, g1);
    if fb == 0.0 {
        // The crossing is exactly at the step end; still refine in case g touches zero earlier.
        return Ok(1.0);
    }
    let tol = 4.0 * f64::EPSILON * (t.abs() + h.abs()) / h.abs();
    let mut side = 0i8;
    for _ in 0..200 {
        if (b - a) <= tol {
            break;
        }
        let mut c = (a * fb - b * fa) / (fb - fa);
        if !(c > a && c < b) {
            c = 0.5 * (a + b);
        }
        stepper.dense(c, yd);
        let fc = g(t + c * h, yd);
        if !fc.is_finite() {
            return Err(OdeError::NonFiniteEvent {
                event,
                t: t + c * h,
            });
        }
        if fc == 0.0 {
            return Ok(c);
        }
        if (fc > 0.0) == (fb > 0.0) {
            b = c;
            fb = fc;
            if side == 1 {
                fa *= 0.5;
            }
            side = 1;
        } else {
            a = c;
            fa = fc;
            if side == -1 {
                fb *= 0.5;
            }
            side = -1;
        }
    }
    Ok(b)
}

fn crosses(direction: Direction, g0: f64, g1: f64) -> bool {
    match direction {
        Direction::Rising => g0 < 0.0 && g1 >= 0.0,
        Direction::Falling => g0 > 0.0 && g1 <= 0.0,
        Direction::Either => (g0 < 0.0 && g1 >= 0.0) || (g0 > 0.0 && g1 <= 0.0),
    }
}

/// Appends a saved point.
#[inline]
fn push(sol: &mut Solution, t: f64, y: &[f64]) {
    sol.t.push(t);
    sol.y.extend_from_slice(y);
}

/// Runs a validated solve request with `stepper` from `t0` to `t_end` (or a terminal event).
/// `adaptive` is false in fixed-step mode (`dt`), where every step is accepted with `h = dt`.
pub(crate) fn drive<S: OdeSystem + ?Sized, St: Stepper<S>>(
    p: Solve<'_, S>,
    method: Method,
    mut stepper: St,
) -> Result<Solution, OdeError> {
    let Solve {
        system: sys,
        t0,
        t_end,
        y0,
        options: o,
        mut events,
        ..
    } = p;
    let n = sys.dim();
    let dir = if t_end >= t0 { 1.0 } else { -1.0 };
    let span = (t_end - t0).abs();
    let mut stats = Stats::default();
    let mut sol = Solution {
        method,
        t: Vec::new(),
        y: Vec::new(),
        dim: n,
        stats,
        events: Vec::new(),
        terminated_by: None,
    };
    let mut yd = vec![0.0; n];
    let save_times: &[f64] = match &o.save_at {
        SaveAt::Times(ts) => ts,
        _ => &[],
    };
    let mut next_save = 0;
    match &o.save_at {
        SaveAt::Steps => push(&mut sol, t0, y0),
        SaveAt::Times(ts) => {
            sol.t.reserve(ts.len());
            sol.y.reserve(ts.len() * n);
            while next_save < ts.len() && ts[next_save] == t0 {
                push(&mut sol, t0, y0);
                next_save += 1;
            }
        }
        SaveAt::Final => {}
    }
    if span == 0.0 {
        if sol.t.is_empty() {
            push(&mut sol, t0, y0);
        }
        return Ok(sol);
    }

    let mut t = t0;
    let h_max = o.h_max.unwrap_or(span).min(span);
    let h_first = o.dt.or(o.h0).map(|h| h.min(h_max));
    let mut h = stepper.init(sys, t, h_first, &mut stats)?.min(h_max);

    let mut g_prev: Vec<f64> = Vec::with_capacity(events.len());
    for (i, ev) in events.iter_mut().enumerate() {
        let g = (ev.g)(t, y0);
        if !g.is_finite() {
            return Err(OdeError::NonFiniteEvent { event: i, t });
        }
        g_prev.push(g);
    }
    let mut hits: Vec<(f64, usize)> = Vec::with_capacity(events.len());
    let mut non_finite_retries = 0u32;
    // Loop invariants, tested once per step as plain flags.
    let save_steps = o.save_at == SaveAt::Steps;
    let fixed_step = o.dt.is_some();

    while dir * (t_end - t) > 0.0 {
        if stats.steps >= o.max_steps {
            return Err(OdeError::MaxStepsReached {
                t,
                max_steps: o.max_steps,
            });
        }
        // Step towards t_end, landing on it exactly.
        let mut last = false;
        if dir * (t + dir * 1.01 * h - t_end) >= 0.0 {
            h = (t_end - t).abs();
            last = true;
        }
        if h <= 4.0 * f64::EPSILON * t.abs().max(f64::MIN_POSITIVE) || h.is_nan() {
            return Err(OdeError::StepSizeTooSmall { t, h: dir * h });
        }
        let hs = dir * h;
        let outcome = stepper.try_step(sys, t, hs, &mut stats)?;
        stats.steps += 1;
        let h_next = match outcome {
            Step::Accepted { h_next } => h_next,
            Step::Rejected { h_retry } => {
                stats.rejected += 1;
                h = h_retry;
                continue;
            }
            Step::NonFinite { h_retry, component } => {
                stats.rejected += 1;
                non_finite_retries += 1;
                if fixed_step || non_finite_retries > 30 {
                    return Err(OdeError::NonFiniteState { t, component });
                }
                h = h_retry;
                continue;
            }
        };
        non_finite_retries = 0;
        stats.accepted += 1;
        let t1 = if last { t_end } else { t + hs };

        // Events: find crossings in (t, t1]; the earliest terminal one ends the solve.
        let mut dense_ready = false;
        let mut stop_theta = f64::INFINITY;
        let mut stop_event = None;
        if !events.is_empty() {
            hits.clear();
            for (i, ev) in events.iter_mut().enumerate() {
                let g1 = (ev.g)(t1, stepper.y1());
                if !g1.is_finite() {
                    return Err(OdeError::NonFiniteEvent { event: i, t: t1 });
                }
                if crosses(ev.direction, g_prev[i], g1) {
                    if !dense_ready {
                        stepper.prepare_dense(sys, &mut stats);
                        dense_ready = true;
                    }
                    let theta =
                        locate_event(&mut *ev.g, &stepper, t, hs, g_prev[i], g1, &mut yd, i)?;
                    hits.push((theta, i));
                    if ev.terminal && theta < stop_theta {
                        stop_theta = theta;
                        stop_event = Some(i);
                    }
                }
                g_prev[i] = g1;
            }
            hits.sort_by(|a, b| a.0.total_cmp(&b.0));
            for &(theta, i) in hits.iter() {
                if theta > stop_theta {
                    break;
                }
                let te = if theta == 1.0 { t1 } else { t + theta * hs };
                if theta == 1.0 {
                    yd.copy_from_slice(stepper.y1());
                } else {
                    stepper.dense(theta, &mut yd);
                }
                sol.events.push(EventHit {
                    event: i,
                    t: te,
                    y: yd.clone(),
                });
            }
        }
        let t_stop = match stop_event {
            Some(_) if stop_theta != 1.0 => t + stop_theta * hs,
            _ => t1,
        };

        // Save-at times inside (t, t_stop].
        while next_save < save_times.len() && dir * (save_times[next_save] - t_stop) <= 0.0 {
            let ts = save_times[next_save];
            if ts == t1 {
                yd.copy_from_slice(stepper.y1());
            } else {
                if !dense_ready {
                    stepper.prepare_dense(sys, &mut stats);
                    dense_ready = true;
                }
                stepper.dense((ts - t) / hs, &mut yd);
            }
            push(&mut sol, ts, &yd);
            next_save += 1;
        }

        if let Some(i) = stop_event {
            if stop_theta == 1.0 {
                yd.copy_from_slice(stepper.y1());
            } else {
                stepper.dense(stop_theta, &mut yd);
            }
            t = t_stop;
            sol.terminated_by = Some(i);
            if matches!(o.save_at, SaveAt::Steps | SaveAt::Final) || sol.t.is_empty() {
                push(&mut sol, t, &yd);
            }
            break;
        }

        if save_steps {
            push(&mut sol, t1, stepper.y1());
        }
        let more = dir * (t_end - t1) > 0.0;
        stepper.accept(sys, t1, more, &mut stats)?;
        t = t1;
        h = if fixed_step { h } else { h_next.min(h_max) };
    }

    if sol.terminated_by.is_none() && (o.save_at == SaveAt::Final || sol.t.is_empty()) {
        push(&mut sol, t, stepper.y());
    }
    sol.stats = stats;
    Ok(sol)
}
