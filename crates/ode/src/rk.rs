//! The one generic explicit Runge–Kutta integrator. It is monomorphised per method
//! ([`ExplicitRk`]) so the tableau is a compile-time constant; all work buffers are allocated
//! once per solve and the stepping loop allocates nothing (see `tests/no_alloc.rs`).

use crate::control::{rms_norm, PiController};
use crate::error::OdeError;
use crate::methods::ExplicitRk;
use crate::solution::{EventHit, Solution, Stats};
use crate::solve::{Direction, SaveAt, Solve, Tolerance};
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
    yd: Vec<f64>,
    /// Stage derivatives, stage `i` at `k[i*n..(i+1)*n]`; main stages then extra (dense) stages.
    k: Vec<f64>,
    atol: Vec<f64>,
    rtol: Vec<f64>,
}

fn validate<S: OdeSystem + ?Sized>(p: &Solve<'_, S>, tab: &ButcherTableau) -> Result<(), OdeError> {
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
    if tab.is_adaptive() {
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
    if !tab.is_adaptive() && o.dt.is_none() && p.t0 != p.t_end {
        return Err(OdeError::InvalidOption {
            name: "dt",
            reason: format!("the fixed-step method {} needs a step size dt", tab.name),
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
    if tab.dense_stages() > MAX_STAGES {
        return Err(OdeError::InvalidOption {
            name: "method",
            reason: format!("{} has more than {MAX_STAGES} stages", tab.name),
        });
    }
    Ok(())
}

/// First index of a non-finite value.
#[inline]
fn first_non_finite(v: &[f64]) -> Option<usize> {
    v.iter().position(|x| !x.is_finite())
}

/// Hairer's automatic initial step (Hairer, Nørsett & Wanner, *Solving ODEs I*, §II.4, and
/// `hinit` in DOPRI5): balance `h·||f||` against the tolerance, then refine with an estimate of
/// the second derivative from one explicit Euler step. One extra f-evaluation.
#[allow(clippy::too_many_arguments)]
fn initial_step<S: OdeSystem + ?Sized>(
    sys: &S,
    t0: f64,
    dir: f64,
    span: f64,
    order: u32,
    h_max: f64,
    w: &mut Work,
    stats: &mut Stats,
) -> f64 {
    let n = w.n;
    let (f0, rest) = w.k.split_at_mut(n);
    let f1 = &mut rest[..n];
    for i in 0..n {
        w.tmp[i] = w.atol[i] + w.rtol[i] * w.y[i].abs();
    }
    let d0 = rms_norm(&w.y, &w.tmp);
    let d1 = rms_norm(f0, &w.tmp);
    let mut h0 = if d0 < 1e-5 || d1 < 1e-5 {
        1e-6
    } else {
        0.01 * d0 / d1
    };
    h0 = h0.min(h_max).min(span);
    for ((y1, y), f) in w.y1.iter_mut().zip(&w.y).zip(f0.iter()) {
        *y1 = y + dir * h0 * f;
    }
    sys.rhs(t0 + dir * h0, &w.y1, f1);
    stats.f_evals += 1;
    for ((d, a), b) in w.yd.iter_mut().zip(f1.iter()).zip(f0.iter()) {
        *d = a - b;
    }
    let d2 = rms_norm(&w.yd, &w.tmp) / h0;
    let dmax = d1.max(d2);
    let h1 = if dmax.is_finite() && dmax > 1e-15 {
        (0.01 / dmax).powf(1.0 / f64::from(order.max(1)))
    } else {
        (h0 * 1e-3).max(1e-6)
    };
    (100.0 * h0).min(h1).min(h_max).min(span)
}

/// `out = y + h Σ_j a_j k_j` over the nonzero coefficients of one tableau row. The row is a
/// constant of the monomorphised method, so the zero tests fold away once inlined.
#[inline(always)]
fn stage_arg(row: &[crate::tableau::Coef], h: f64, y: &[f64], k: &[f64], out: &mut [f64]) {
    let n = y.len();
    for m in 0..n {
        let mut acc = 0.0;
        for (j, a) in row.iter().enumerate() {
            if a.v != 0.0 {
                acc += a.v * k[j * n + m];
            }
        }
        out[m] = y[m] + h * acc;
    }
}

/// `out = y + h Σ_{j<I} a_Ij k_j` for stage `I` of method `M` (row `I` is a constant).
#[inline(always)]
fn stage_const<M: ExplicitRk, const I: usize>(h: f64, y: &[f64], k: &[f64], out: &mut [f64]) {
    let row = M::TABLEAU.a[I];
    let n = y.len();
    let k = &k[..I * n];
    let out = &mut out[..n];
    for m in 0..n {
        let mut acc = 0.0;
        let mut j = 0;
        while j < I {
            let a = row[j].v;
            if a != 0.0 {
                acc += a * k[j * n + m];
            }
            j += 1;
        }
        out[m] = y[m] + h * acc;
    }
}

/// Computes stages `1..s` (stage 0 is already in `k`), `y1`, and returns the scaled error norm
/// (0 for fixed-step methods) and whether `y1` is finite.
#[inline(always)]
fn rk_step<M: ExplicitRk, S: OdeSystem + ?Sized>(
    sys: &S,
    t: f64,
    h: f64,
    w: &mut Work,
) -> (f64, bool) {
    let tab = &M::TABLEAU;
    let n = w.n;
    let s = tab.stages();
    // Stage i is a separate instantiation with a constant row, so the inner sum over j is
    // fully unrolled with the tableau's zeros removed.
    macro_rules! stages {
        ($($i:literal)*) => {$(
            if $i < s {
                let (done, rest) = w.k.split_at_mut($i * n);
                stage_const::<M, $i>(h, &w.y, done, &mut w.tmp);
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
    for m in 0..n {
        let mut e5 = 0.0;
        for (j, e) in tab.e.iter().enumerate() {
            if e.v != 0.0 {
                e5 += e.v * w.k[j * n + m];
            }
        }
        let sc = w.atol[m] + w.rtol[m] * w.y[m].abs().max(w.y1[m].abs());
        let r = e5 / sc;
        s5 += r * r;
        if has_e3 {
            let mut e3 = 0.0;
            for (j, e) in tab.e3.iter().enumerate() {
                if e.v != 0.0 {
                    e3 += e.v * w.k[j * n + m];
                }
            }
            let r3 = e3 / sc;
            s3 += r3 * r3;
        }
        finite &= w.y1[m].is_finite();
    }
    let nf = n.max(1) as f64;
    let err = if has_e3 {
        // Hairer's DOP853 combination of the 5th- and 3rd-order estimates.
        let mut deno = s5 + 0.01 * s3;
        if deno <= 0.0 {
            deno = 1.0;
        }
        h.abs() * s5 / (nf * deno).sqrt()
    } else {
        h.abs() * (s5 / nf).sqrt()
    };
    (err, finite && err.is_finite())
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
fn dense_eval(tab: &ButcherTableau, theta: f64, h: f64, y: &[f64], k: &[f64], out: &mut [f64]) {
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

/// Locates the crossing of `g` in `θ ∈ [0, 1]` by the Illinois variant of regula falsi on the
/// dense output; returns the right end of the final bracket (where the sign has changed).
#[allow(clippy::too_many_arguments)]
fn locate_event(
    g: &mut dyn FnMut(f64, &[f64]) -> f64,
    tab: &ButcherTableau,
    t: f64,
    h: f64,
    g0: f64,
    g1: f64,
    w: &mut Work,
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
        dense_eval(tab, c, h, &w.y, &w.k, &mut w.yd);
        let fc = g(t + c * h, &w.yd);
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

pub(crate) fn integrate<M: ExplicitRk, S: OdeSystem + ?Sized>(
    p: Solve<'_, S>,
) -> Result<Solution, OdeError> {
    let tab = &M::TABLEAU;
    validate(&p, tab)?;
    let Solve {
        system: sys,
        t0,
        t_end,
        y0,
        method,
        options: o,
        mut events,
    } = p;
    let n = sys.dim();
    let s = tab.stages();
    let nst = tab.dense_stages();
    let dir = if t_end >= t0 { 1.0 } else { -1.0 };
    let span = (t_end - t0).abs();
    // With a given dt every method takes fixed steps (no error control).
    let adaptive = tab.is_adaptive() && o.dt.is_none();
    let mut w = Work {
        n,
        y: y0.to_vec(),
        y1: vec![0.0; n],
        tmp: vec![0.0; n],
        yd: vec![0.0; n],
        k: vec![0.0; nst * n],
        atol: (0..n).map(|i| o.atol.get(i)).collect(),
        rtol: (0..n).map(|i| o.rtol.get(i)).collect(),
    };
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
    let save_times: &[f64] = match &o.save_at {
        SaveAt::Times(ts) => ts,
        _ => &[],
    };
    let mut next_save = 0;
    match &o.save_at {
        SaveAt::Steps => push(&mut sol, t0, &w.y),
        SaveAt::Times(ts) => {
            sol.t.reserve(ts.len());
            sol.y.reserve(ts.len() * n);
            while next_save < ts.len() && ts[next_save] == t0 {
                push(&mut sol, t0, &w.y);
                next_save += 1;
            }
        }
        SaveAt::Final => {}
    }

    let mut t = t0;
    if span > 0.0 {
        sys.rhs(t, &w.y, &mut w.k[..n]);
        stats.f_evals += 1;
        if let Some(c) = first_non_finite(&w.k[..n]) {
            return Err(OdeError::NonFiniteState { t, component: c });
        }
    }
    let mut g_prev: Vec<f64> = Vec::with_capacity(events.len());
    for (i, ev) in events.iter_mut().enumerate() {
        let g = (ev.g)(t, &w.y);
        if !g.is_finite() {
            return Err(OdeError::NonFiniteEvent { event: i, t });
        }
        g_prev.push(g);
    }
    let mut hits: Vec<(f64, usize)> = Vec::with_capacity(events.len());

    let h_max = o.h_max.unwrap_or(span).min(span);
    let mut h = if !adaptive {
        o.dt.unwrap_or(span).min(span)
    } else if let Some(h0) = o.h0 {
        h0.min(h_max)
    } else if span > 0.0 {
        initial_step(sys, t, dir, span, tab.order, h_max, &mut w, &mut stats)
    } else {
        0.0
    };
    let mut ctrl = PiController::new(tab.error_exponent, o.safety, o.q_min, o.q_max);
    let mut non_finite_retries = 0u32;

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
        if h <= 16.0 * f64::EPSILON * t.abs().max(f64::MIN_POSITIVE) || h.is_nan() {
            return Err(OdeError::StepSizeTooSmall { t, h: dir * h });
        }
        let hs = dir * h;
        let (err, finite) = rk_step::<M, S>(sys, t, hs, &mut w);
        stats.steps += 1;
        stats.f_evals += s - 1;

        if !finite {
            stats.rejected += 1;
            non_finite_retries += 1;
            if !adaptive || non_finite_retries > 30 {
                let c = first_non_finite(&w.y1).unwrap_or(0);
                return Err(OdeError::NonFiniteState { t, component: c });
            }
            h *= ctrl.reject(f64::NAN);
            continue;
        }
        if adaptive && err > 1.0 {
            stats.rejected += 1;
            h *= ctrl.reject(err);
            continue;
        }
        non_finite_retries = 0;
        stats.accepted += 1;
        let t1 = if last { t_end } else { t + hs };

        // Events: find crossings in (t, t1], earliest terminal one ends the solve.
        let mut dense_ready = nst == s;
        let mut stop_theta = f64::INFINITY;
        let mut stop_event = None;
        if !events.is_empty() {
            hits.clear();
            for (i, ev) in events.iter_mut().enumerate() {
                let g1 = (ev.g)(t1, &w.y1);
                if !g1.is_finite() {
                    return Err(OdeError::NonFiniteEvent { event: i, t: t1 });
                }
                if crosses(ev.direction, g_prev[i], g1) {
                    if !dense_ready {
                        stats.f_evals += extra_stages(tab, sys, t, hs, &mut w);
                        dense_ready = true;
                    }
                    let theta = locate_event(&mut *ev.g, tab, t, hs, g_prev[i], g1, &mut w, i)?;
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
                    w.yd.copy_from_slice(&w.y1);
                } else {
                    dense_eval(tab, theta, hs, &w.y, &w.k, &mut w.yd);
                }
                sol.events.push(EventHit {
                    event: i,
                    t: te,
                    y: w.yd.clone(),
                });
            }
        }
        let t_stop = if stop_event.is_some() {
            if stop_theta == 1.0 {
                t1
            } else {
                t + stop_theta * hs
            }
        } else {
            t1
        };

        // Save-at times inside (t, t_stop].
        while next_save < save_times.len() && dir * (save_times[next_save] - t_stop) <= 0.0 {
            let ts = save_times[next_save];
            if ts == t1 {
                w.yd.copy_from_slice(&w.y1);
            } else {
                if !dense_ready {
                    stats.f_evals += extra_stages(tab, sys, t, hs, &mut w);
                    dense_ready = true;
                }
                dense_eval(tab, (ts - t) / hs, hs, &w.y, &w.k, &mut w.yd);
            }
            push(&mut sol, ts, &w.yd);
            next_save += 1;
        }

        if let Some(i) = stop_event {
            if stop_theta != 1.0 {
                dense_eval(tab, stop_theta, hs, &w.y, &w.k, &mut w.yd);
                w.y1.copy_from_slice(&w.yd);
            }
            t = t_stop;
            std::mem::swap(&mut w.y, &mut w.y1);
            sol.terminated_by = Some(i);
            if o.save_at == SaveAt::Steps {
                push(&mut sol, t, &w.y);
            }
            break;
        }

        if o.save_at == SaveAt::Steps {
            push(&mut sol, t1, &w.y1);
        }
        t = t1;
        std::mem::swap(&mut w.y, &mut w.y1);
        if tab.fsal {
            w.k.copy_within((s - 1) * n..s * n, 0);
        } else if dir * (t_end - t) > 0.0 {
            sys.rhs(t, &w.y, &mut w.k[..n]);
            stats.f_evals += 1;
            if let Some(c) = first_non_finite(&w.k[..n]) {
                return Err(OdeError::NonFiniteState { t, component: c });
            }
        }
        if adaptive {
            h = (h * ctrl.accept(err)).min(h_max);
        }
    }

    if o.save_at == SaveAt::Final || sol.t.is_empty() {
        push(&mut sol, t, &w.y);
    }
    sol.stats = stats;
    Ok(sol)
}
