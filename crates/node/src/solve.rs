//! Explicit Runge–Kutta solves of a [`NeuralRhs`] that record a tape, and the discrete adjoint
//! ("discretise-then-optimise") of the recorded solve: the exact gradient of the computed
//! solution with respect to `θ` and `y0`.
//!
//! The method is any explicit [`ButcherTableau`] of `ai4de-ode` (Dormand–Prince 5(4), as in
//! `torchdiffeq`'s `dopri5`, Tsit5, ...), with an elementary error-per-step controller (Hairer,
//! Nørsett & Wanner I, §II.4, eqs. (4.11)–(4.13)); steps end exactly on the save times. The
//! reverse sweep follows Hairer, Lubich & Wanner, *Geometric Numerical Integration*, §VI.4 /
//! Sandu (2006), "On the properties of Runge–Kutta discrete adjoints", ICCS: for a step
//! `Y_i = y_n + h Σ_{j<i} a_ij K_j`, `K_i = f(Y_i)`, `y_{n+1} = y_n + h Σ b_i K_i`, with
//! `λ = ∂L/∂y_{n+1}`:
//!
//! ```text
//! K̄_i = h b_i λ + h Σ_{j>i} a_ji Ȳ_j,    Ȳ_i = (∂f/∂y)(Y_i)ᵀ K̄_i,    θ̄ += (∂f/∂θ)(Y_i)ᵀ K̄_i,
//! ∂L/∂y_n = λ + Σ_i Ȳ_i
//! ```
//!
//! (stages evaluated in reverse order). Step sizes are treated as constants of the recorded solve
//! (as diffrax does), so the gradient is that of the discrete map actually computed.

use ai4de_ode::tableau::ButcherTableau;

use crate::mlp::{check_finite, check_len};
use crate::rhs::{NeuralRhs, RhsWorkspace};
use crate::NodeError;

/// Options of the recorded solve.
#[derive(Debug, Clone, Copy)]
pub struct SolveOptions {
    /// The explicit Runge–Kutta method (default Dormand–Prince 5(4), `torchdiffeq`'s `dopri5`).
    pub tableau: &'static ButcherTableau,
    pub rtol: f64,
    pub atol: f64,
    /// A fixed step (split evenly between save times); `None` means adaptive (the tableau must
    /// then have an embedded error estimate).
    pub fixed_step: Option<f64>,
    /// Maximum number of accepted plus rejected steps per solve.
    pub max_steps: usize,
    /// Adaptive solves only: step across the save times and evaluate the solution there with
    /// the tableau's continuous extension (as `torchdiffeq` does), instead of ending a step on
    /// every save time. Fewer steps when the save times are dense; the discrete adjoint then
    /// differentiates the interpolant too. Needs a continuous extension without extra stages
    /// (Dormand–Prince 5(4), Tsit5).
    pub dense: bool,
}

impl Default for SolveOptions {
    fn default() -> Self {
        Self {
            tableau: &ai4de_ode::methods::dp5::TABLEAU,
            rtol: 1e-7,
            atol: 1e-9,
            fixed_step: None,
            max_steps: 100_000,
            dense: false,
        }
    }
}

/// The record of one forward solve, reused between solves (buffers only grow).
#[derive(Debug, Clone, Default)]
pub struct Tape {
    n: usize,
    /// Per accepted step: `(t, h)`.
    steps: Vec<(f64, f64)>,
    /// Per accepted step: the `s` stage states `Y_i` (`s × n`).
    stages: Vec<f64>,
    /// Number of accepted steps taken when save time `k` was reached.
    save_index: Vec<usize>,
    /// Dense mode: per save time, the step it lies in and `θ` (`None`: it is `t[0]`).
    save_theta: Vec<Option<(usize, f64)>>,
    /// Whether the solve was recorded in dense mode.
    dense: bool,
    /// The solution at the save times (`n_save × n`).
    ys: Vec<f64>,
    /// Right-hand-side evaluations of the last forward solve.
    pub n_eval: usize,
    /// Rejected steps of the last forward solve.
    pub n_rejected: usize,
}

impl Tape {
    /// The solution at the save times, row `k` for time `k` (`n_save × batch·dim`).
    pub fn ys(&self) -> &[f64] {
        &self.ys
    }
    /// Number of accepted steps.
    pub fn n_steps(&self) -> usize {
        self.steps.len()
    }
}

/// Buffers of [`solve_forward`] and [`solve_backward`].
#[derive(Debug, Clone, Default)]
pub struct SolveWorkspace {
    rhs: RhsWorkspace,
    k: Vec<f64>,
    y: Vec<f64>,
    y1: Vec<f64>,
    ytmp: Vec<f64>,
    err: Vec<f64>,
    kbar: Vec<f64>,
    ybar: Vec<f64>,
    lam: Vec<f64>,
    acc: Vec<f64>,
}

fn validate_times(t: &[f64]) -> Result<(), NodeError> {
    if t.is_empty() {
        return Err(NodeError::InvalidTimes {
            reason: "no save times".into(),
        });
    }
    check_finite("save time", t)?;
    if let Some(k) = t.windows(2).position(|w| w[1] <= w[0]) {
        return Err(NodeError::InvalidTimes {
            reason: format!(
                "save times must increase strictly (t[{}] = {} ≥ t[{}] = {})",
                k,
                t[k],
                k + 1,
                t[k + 1]
            ),
        });
    }
    Ok(())
}

fn validate_options(o: &SolveOptions) -> Result<(), NodeError> {
    if let Some(h) = o.fixed_step {
        if !(h.is_finite() && h > 0.0) {
            return Err(NodeError::InvalidConfig {
                what: "fixed step",
                reason: format!("must be positive and finite, got {h}"),
            });
        }
    } else {
        if !o.tableau.is_adaptive() {
            return Err(NodeError::InvalidConfig {
                what: "method",
                reason: format!(
                    "{} has no error estimate: give a fixed step",
                    o.tableau.name
                ),
            });
        }
        if !(o.rtol >= 0.0
            && o.atol >= 0.0
            && o.rtol + o.atol > 0.0
            && o.rtol.is_finite()
            && o.atol.is_finite())
        {
            return Err(NodeError::InvalidConfig {
                what: "tolerances",
                reason: format!("rtol = {}, atol = {}", o.rtol, o.atol),
            });
        }
    }
    if o.dense
        && o.fixed_step.is_none()
        && (!o.tableau.dense.extra_c.is_empty() || o.tableau.dense.bi.len() < o.tableau.stages())
    {
        return Err(NodeError::InvalidConfig {
            what: "dense",
            reason: format!(
                "{} has no continuous extension without extra stages",
                o.tableau.name
            ),
        });
    }
    if o.max_steps == 0 {
        return Err(NodeError::InvalidConfig {
            what: "max_steps",
            reason: "must be positive".into(),
        });
    }
    Ok(())
}

/// Solves `y' = f(t, y; θ)` from `y0` (a batch of `batch × dim` states) at `t[0]` and records the
/// solution at every `t[k]` (`t[0]` included) into `tape`.
#[allow(clippy::too_many_arguments)]
pub fn solve_forward(
    rhs: &NeuralRhs,
    theta: &[f64],
    y0: &[f64],
    t: &[f64],
    opts: &SolveOptions,
    tape: &mut Tape,
    ws: &mut SolveWorkspace,
) -> Result<(), NodeError> {
    validate_times(t)?;
    validate_options(opts)?;
    rhs.mlp().check_params(theta)?;
    check_finite("initial state", y0)?;
    if y0.is_empty() || !y0.len().is_multiple_of(rhs.dim()) {
        return Err(NodeError::DimensionMismatch {
            what: "initial states (a positive multiple of the dimension)",
            expected: rhs.dim(),
            found: y0.len(),
        });
    }
    let tab = opts.tableau;
    let s = tab.stages();
    let n = y0.len();
    tape.n = n;
    tape.steps.clear();
    tape.stages.clear();
    tape.save_index.clear();
    tape.save_theta.clear();
    tape.ys.clear();
    tape.n_eval = 0;
    tape.n_rejected = 0;
    ws.k.resize(s * n, 0.0);
    ws.y.clear();
    ws.y.extend_from_slice(y0);
    ws.y1.resize(n, 0.0);
    ws.ytmp.resize(s * n, 0.0);
    ws.err.resize(n, 0.0);
    tape.ys.extend_from_slice(y0);
    tape.save_index.push(0);
    tape.save_theta.push(None);
    let dense = opts.dense && opts.fixed_step.is_none();
    tape.dense = dense;
    let targets: &[f64] = if dense { &t[t.len() - 1..] } else { &t[1..] };
    let mut next_save = 1usize;

    let mut tc = t[0];
    // K_0 = f(t, y): evaluated once, then carried over (FSAL) or re-evaluated.
    rhs.eval_unchecked(tc, theta, &ws.y, &mut ws.rhs, &mut ws.k[..n]);
    tape.n_eval += 1;
    let q = tab.embedded_order.min(tab.order) as f64 + 1.0;
    let mut h = match opts.fixed_step {
        Some(h) => h,
        None => initial_step(&ws.y, &ws.k[..n], opts, t[t.len() - 1] - t[0]),
    };
    let mut attempts = 0usize;
    for &t_end in targets {
        let (n_sub, h_fixed) = match opts.fixed_step {
            Some(hf) => {
                let m = ((t_end - tc) / hf).ceil().max(1.0);
                (m as usize, (t_end - tc) / m)
            }
            None => (0, 0.0),
        };
        let mut sub = 0usize;
        while tc < t_end {
            attempts += 1;
            if attempts > opts.max_steps {
                return Err(NodeError::MaxStepsReached {
                    t: tc,
                    max_steps: opts.max_steps,
                });
            }
            let (h_try, last) = if opts.fixed_step.is_some() {
                sub += 1;
                (h_fixed, sub == n_sub)
            } else if tc + h >= t_end - 1e-12 * t_end.abs().max(1.0) {
                (t_end - tc, true)
            } else {
                (h, false)
            };
            // stages 1..s (stage 0 is in ws.k[..n])
            ws.ytmp[..n].copy_from_slice(&ws.y);
            for i in 1..s {
                let (kd, kr) = ws.k.split_at_mut(i * n);
                let yi = &mut ws.ytmp[i * n..(i + 1) * n];
                yi.copy_from_slice(&ws.y);
                for (j, a) in tab.a[i].iter().enumerate() {
                    if a.v != 0.0 {
                        let ha = h_try * a.v;
                        for (v, kv) in yi.iter_mut().zip(&kd[j * n..(j + 1) * n]) {
                            *v += ha * kv;
                        }
                    }
                }
                rhs.eval_unchecked(
                    tc + tab.c[i].v * h_try,
                    theta,
                    yi,
                    &mut ws.rhs,
                    &mut kr[..n],
                );
                tape.n_eval += 1;
            }
            ws.y1.copy_from_slice(&ws.y);
            for (i, b) in tab.b.iter().enumerate() {
                if b.v != 0.0 {
                    let hb = h_try * b.v;
                    for (v, kv) in ws.y1.iter_mut().zip(&ws.k[i * n..(i + 1) * n]) {
                        *v += hb * kv;
                    }
                }
            }
            let mut fac = 1.0;
            if opts.fixed_step.is_none() {
                ws.err.fill(0.0);
                for (i, e) in tab.e.iter().enumerate() {
                    if e.v != 0.0 {
                        for (v, kv) in ws.err.iter_mut().zip(&ws.k[i * n..(i + 1) * n]) {
                            *v += h_try * e.v * kv;
                        }
                    }
                }
                let mut sum = 0.0;
                for ((e, y0i), y1i) in ws.err.iter().zip(&ws.y).zip(&ws.y1) {
                    let sc = opts.atol + opts.rtol * y0i.abs().max(y1i.abs());
                    sum += (e / sc) * (e / sc);
                }
                let norm = (sum / n as f64).sqrt();
                if !norm.is_finite() {
                    if ws.y1.iter().any(|v| !v.is_finite()) && h_try < 1e-12 * tc.abs().max(1.0) {
                        return Err(NodeError::NonFinite { t: tc });
                    }
                    h = h_try * 0.2;
                    tape.n_rejected += 1;
                    continue;
                }
                fac = (0.9 * norm.powf(-1.0 / q)).clamp(0.2, 10.0);
                if norm > 1.0 {
                    h = h_try * fac.min(1.0);
                    tape.n_rejected += 1;
                    if h < 1e-14 * tc.abs().max(1.0) {
                        return Err(NodeError::StepSizeTooSmall { t: tc, h });
                    }
                    continue;
                }
            } else if ws.y1.iter().any(|v| !v.is_finite()) {
                return Err(NodeError::NonFinite { t: tc });
            }
            // accept
            tape.steps.push((tc, h_try));
            tape.stages.extend_from_slice(&ws.ytmp[..s * n]);
            if dense {
                let t_new = if last { t_end } else { tc + h_try };
                let step = tape.steps.len() - 1;
                while next_save < t.len() && (t[next_save] <= t_new) {
                    if last && next_save + 1 == t.len() {
                        tape.ys.extend_from_slice(&ws.y1);
                        tape.save_theta.push(Some((step, 1.0)));
                        tape.save_index.push(step + 1);
                        next_save += 1;
                        break;
                    }
                    let theta_s = (t[next_save] - tc) / h_try;
                    let base = tape.ys.len();
                    tape.ys.extend_from_slice(&ws.y);
                    for (i, row) in tab.dense.bi.iter().enumerate().take(s) {
                        let w = h_try * dense_weight(row, theta_s);
                        if w != 0.0 {
                            for (v, kv) in tape.ys[base..].iter_mut().zip(&ws.k[i * n..(i + 1) * n])
                            {
                                *v += w * kv;
                            }
                        }
                    }
                    tape.save_theta.push(Some((step, theta_s)));
                    tape.save_index.push(step + 1);
                    next_save += 1;
                }
            }
            tc = if last { t_end } else { tc + h_try };
            std::mem::swap(&mut ws.y, &mut ws.y1);
            if tab.fsal {
                let (k0, rest) = ws.k.split_at_mut(n);
                k0.copy_from_slice(&rest[(s - 2) * n..(s - 1) * n]);
            } else {
                rhs.eval_unchecked(tc, theta, &ws.y, &mut ws.rhs, &mut ws.k[..n]);
                tape.n_eval += 1;
            }
            if opts.fixed_step.is_none() && !last {
                h = h_try * fac;
            } else if opts.fixed_step.is_none() {
                // the step was shortened to hit a save time: keep the controller's proposal
                h = h.max(h_try * fac);
            }
        }
        if !dense {
            tape.ys.extend_from_slice(&ws.y);
            tape.save_index.push(tape.steps.len());
        }
    }
    Ok(())
}

/// `b_i(θ) = Σ_p c_p θ^(p+1)` of a continuous extension row.
fn dense_weight(row: &[ai4de_ode::tableau::Coef], theta: f64) -> f64 {
    let mut acc = 0.0;
    let mut pw = theta;
    for c in row {
        acc += c.v * pw;
        pw *= theta;
    }
    acc
}

/// Hairer, Nørsett & Wanner I, §II.4, "starting step size" (first part: `0.01 ‖y0‖/‖f0‖`).
fn initial_step(y: &[f64], f: &[f64], o: &SolveOptions, span: f64) -> f64 {
    let n = y.len() as f64;
    let (mut d0, mut d1) = (0.0, 0.0);
    for (yi, fi) in y.iter().zip(f) {
        let sc = o.atol + o.rtol * yi.abs();
        d0 += (yi / sc).powi(2);
        d1 += (fi / sc).powi(2);
    }
    let (d0, d1) = ((d0 / n).sqrt(), (d1 / n).sqrt());
    let h = if d0 < 1e-5 || d1 < 1e-5 {
        1e-6
    } else {
        0.01 * d0 / d1
    };
    h.min(span.abs()).max(1e-12)
}

/// The discrete adjoint of the solve recorded in `tape`: given `dl_dy` (`n_save × batch·dim`,
/// `∂L/∂y(t_k)` for every save time), writes `∂L/∂θ` into `g_theta` (overwritten) and
/// `∂L/∂y0` into `g_y0` (overwritten).
#[allow(clippy::too_many_arguments)]
pub fn solve_backward(
    rhs: &NeuralRhs,
    theta: &[f64],
    tape: &Tape,
    opts: &SolveOptions,
    dl_dy: &[f64],
    ws: &mut SolveWorkspace,
    g_theta: &mut [f64],
    g_y0: &mut [f64],
) -> Result<(), NodeError> {
    let n = tape.n;
    check_len(
        "loss gradient (save times × state)",
        tape.ys.len(),
        dl_dy.len(),
    )?;
    check_len("parameter gradient", rhs.n_params(), g_theta.len())?;
    check_len("initial-state gradient", n, g_y0.len())?;
    let tab = opts.tableau;
    let s = tab.stages();
    check_len(
        "recorded stages (solve with the same method)",
        tape.steps.len() * s * n,
        tape.stages.len(),
    )?;
    // a stage matters iff its K feeds y_{n+1} or a later stage
    let live: Vec<bool> = (0..s)
        .map(|i| {
            tab.b[i].v != 0.0 || (i + 1..s).any(|j| tab.a[j].get(i).is_some_and(|a| a.v != 0.0))
        })
        .collect();
    g_theta.fill(0.0);
    if tape.dense {
        return backward_dense(rhs, theta, tape, tab, dl_dy, ws, g_theta, g_y0);
    }
    ws.lam.clear();
    let n_save = tape.save_index.len();
    ws.lam.extend_from_slice(&dl_dy[(n_save - 1) * n..]);
    ws.kbar.resize(s * n, 0.0);
    ws.ybar.resize(n, 0.0);
    ws.acc.resize(n, 0.0);
    for k in (1..n_save).rev() {
        for step in (tape.save_index[k - 1]..tape.save_index[k]).rev() {
            let (tn, h) = tape.steps[step];
            let stages = &tape.stages[step * s * n..(step + 1) * s * n];
            for i in 0..s {
                let hb = h * tab.b[i].v;
                for (kb, l) in ws.kbar[i * n..(i + 1) * n].iter_mut().zip(&ws.lam) {
                    *kb = hb * l;
                }
            }
            ws.acc.copy_from_slice(&ws.lam);
            for i in (0..s).rev() {
                if !live[i] {
                    continue;
                }
                let (kd, kr) = ws.kbar.split_at_mut(i * n);
                rhs.vjp_unchecked(
                    tn + tab.c[i].v * h,
                    theta,
                    &stages[i * n..(i + 1) * n],
                    &kr[..n],
                    &mut ws.rhs,
                    &mut ws.ybar,
                    g_theta,
                );
                for (a, yb) in ws.acc.iter_mut().zip(&ws.ybar) {
                    *a += yb;
                }
                for (j, a) in tab.a[i].iter().enumerate() {
                    if a.v != 0.0 {
                        let ha = h * a.v;
                        for (kb, yb) in kd[j * n..(j + 1) * n].iter_mut().zip(&ws.ybar) {
                            *kb += ha * yb;
                        }
                    }
                }
            }
            std::mem::swap(&mut ws.lam, &mut ws.acc);
        }
        for (l, d) in ws.lam.iter_mut().zip(&dl_dy[(k - 1) * n..k * n]) {
            *l += d;
        }
    }
    g_y0.copy_from_slice(&ws.lam);
    if g_theta.iter().chain(g_y0.iter()).any(|v| !v.is_finite()) {
        return Err(NodeError::NonFinite {
            t: tape.steps.first().map_or(f64::NAN, |s| s.0),
        });
    }
    Ok(())
}

/// The reverse sweep of a dense-mode solve: a save time inside step `n` is
/// `y_k = y_n + h Σ_i b_i(θ_k) K_i`, so its cotangent adds `h b_i(θ_k) ȳ_k` to each `K̄_i` and
/// `ȳ_k` to `ȳ_n`; the last save time is the last step's end.
#[allow(clippy::too_many_arguments)]
fn backward_dense(
    rhs: &NeuralRhs,
    theta: &[f64],
    tape: &Tape,
    tab: &ButcherTableau,
    dl_dy: &[f64],
    ws: &mut SolveWorkspace,
    g_theta: &mut [f64],
    g_y0: &mut [f64],
) -> Result<(), NodeError> {
    let n = tape.n;
    let s = tab.stages();
    let n_save = tape.save_theta.len();
    ws.lam.clear();
    ws.lam.resize(n, 0.0);
    ws.kbar.resize(s * n, 0.0);
    ws.ybar.resize(n, 0.0);
    ws.acc.resize(n, 0.0);
    // save k (k ≥ 1) still to account for, walking backwards; the last one is y_N itself
    let mut k = n_save - 1;
    if k >= 1 {
        ws.lam.copy_from_slice(&dl_dy[k * n..(k + 1) * n]);
        k -= 1;
    }
    for step in (0..tape.steps.len()).rev() {
        let (tn, h) = tape.steps[step];
        let stages = &tape.stages[step * s * n..(step + 1) * s * n];
        for i in 0..s {
            let hb = h * tab.b[i].v;
            for (kb, l) in ws.kbar[i * n..(i + 1) * n].iter_mut().zip(&ws.lam) {
                *kb = hb * l;
            }
        }
        ws.acc.copy_from_slice(&ws.lam);
        while k >= 1 {
            let Some((st, th)) = tape.save_theta[k] else {
                break;
            };
            if st != step {
                break;
            }
            let d = &dl_dy[k * n..(k + 1) * n];
            for (i, row) in tab.dense.bi.iter().enumerate().take(s) {
                let w = h * dense_weight(row, th);
                if w != 0.0 {
                    for (kb, dv) in ws.kbar[i * n..(i + 1) * n].iter_mut().zip(d) {
                        *kb += w * dv;
                    }
                }
            }
            for (a, dv) in ws.acc.iter_mut().zip(d) {
                *a += dv;
            }
            k -= 1;
        }
        for i in (0..s).rev() {
            let (kd, kr) = ws.kbar.split_at_mut(i * n);
            if kr[..n].iter().all(|&v| v == 0.0) {
                continue;
            }
            rhs.vjp_unchecked(
                tn + tab.c[i].v * h,
                theta,
                &stages[i * n..(i + 1) * n],
                &kr[..n],
                &mut ws.rhs,
                &mut ws.ybar,
                g_theta,
            );
            for (a, yb) in ws.acc.iter_mut().zip(&ws.ybar) {
                *a += yb;
            }
            for (j, a) in tab.a[i].iter().enumerate() {
                if a.v != 0.0 {
                    let ha = h * a.v;
                    for (kb, yb) in kd[j * n..(j + 1) * n].iter_mut().zip(&ws.ybar) {
                        *kb += ha * yb;
                    }
                }
            }
        }
        std::mem::swap(&mut ws.lam, &mut ws.acc);
    }
    for (l, d) in ws.lam.iter_mut().zip(&dl_dy[..n]) {
        *l += d;
    }
    g_y0.copy_from_slice(&ws.lam);
    if g_theta.iter().chain(g_y0.iter()).any(|v| !v.is_finite()) {
        return Err(NodeError::NonFinite {
            t: tape.steps.first().map_or(f64::NAN, |s| s.0),
        });
    }
    Ok(())
}
