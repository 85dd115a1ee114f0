//! The discrete adjoint of the explicit Runge–Kutta methods ("discretise-then-optimise").

use super::adjoint::{Gradient, TrajectoryLoss};
use super::tape::{dense_weights, extra_stages, rk_step, ObsAt, RkTape};
use super::ParametricSystem;
use crate::error::OdeError;
use crate::methods::Method;
use crate::rk::dense_eval;
use crate::solution::Stats;
use crate::solve::Options;
use crate::tableau::ButcherTableau;

/// Builder for the exact gradient of the *computed* solution of an explicit Runge–Kutta method
/// with respect to `p` and `y0`, for a loss of point values `Σ_i ℓ_i(y_{k_i})` (no running cost).
///
/// The step sequence is that of one adaptive solve (the stepping of [`Solve`](crate::Solve):
/// same tableau, error norm and PI controller) whose steps end exactly on the observation
/// times without restarting there — or, with [`DiscreteAdjoint::dense_observations`], cross
/// them, the values there coming from the method's continuous extension — then frozen: the step sizes are treated as constants, as
/// diffrax's `RecursiveCheckpointAdjoint` and SciMLSensitivity's discrete adjoints do (Hairer,
/// Lubich & Wanner; Sandu, *On the properties of Runge–Kutta discrete adjoints*, ICCS 2006).
/// The forward pass records every accepted step's stage states `Y_i` (`s·n` floats per step,
/// [`Gradient::trajectory_bytes`]), so the reverse sweep costs one vector–Jacobian product per
/// stage and no right-hand-side evaluation:
///
/// ```text
/// K̄_i = h (b_i ȳ_{k+1} + Σ_{j>i} a_ji Ȳ_j),   Ȳ_i = J(Y_i)ᵀ K̄_i,   p̄ += f_p(Y_i)ᵀ K̄_i,
/// ȳ_k = ȳ_{k+1} + Σ_i Ȳ_i.
/// ```
///
/// An observation at `t_k + θh` inside a step is `y_k + h Σ_i b_i(θ) K_i` (the interpolant's
/// weights `b_i(θ)`, over its extra stages too); its cotangent `ḡ` adds `h b_i(θ) ḡ` to `K̄_i`
/// and `ḡ` to `ȳ_k`, and the extra stages are swept like the main ones.
///
/// The result equals finite differences of [`replay`] / [`replay_observations`] with the same
/// steps to rounding.
pub struct DiscreteAdjoint<'a, S: ParametricSystem + ?Sized, L: TrajectoryLoss + ?Sized> {
    system: &'a S,
    t0: f64,
    t_end: f64,
    y0: &'a [f64],
    loss: &'a L,
    method: Method,
    options: Options,
    dense: bool,
}

/// The gradient with the frozen step sequence it belongs to.
#[derive(Debug, Clone)]
pub struct DiscreteGradient {
    pub gradient: Gradient,
    /// The step ends `t_0, t_1, …, t_N` (the observation times among them unless
    /// [`DiscreteAdjoint::dense_observations`]).
    pub steps: Vec<f64>,
}

impl<'a, S: ParametricSystem + ?Sized, L: TrajectoryLoss + ?Sized> DiscreteAdjoint<'a, S, L> {
    pub fn new(system: &'a S, t_span: (f64, f64), y0: &'a [f64], loss: &'a L) -> Self {
        Self {
            system,
            t0: t_span.0,
            t_end: t_span.1,
            y0,
            loss,
            method: Method::Tsit5,
            options: Options::default(),
            dense: false,
        }
    }
    /// Reach the observation times by the method's continuous extension (as
    /// [`Solve`](crate::Solve) computes [`SaveAt::Times`](crate::SaveAt::Times), and as
    /// `torchdiffeq` does) instead of ending a step on each (default `false`). With observations
    /// every few steps (neural-ODE training) this takes far fewer steps; the gradient is that of
    /// the interpolated values, exactly.
    pub fn dense_observations(mut self, dense: bool) -> Self {
        self.dense = dense;
        self
    }
    /// An explicit method (default [`Method::Tsit5`]).
    pub fn method(mut self, method: Method) -> Self {
        self.method = method;
        self
    }
    pub fn rtol(mut self, rtol: f64) -> Self {
        self.options.rtol = crate::solve::Tolerance::Scalar(rtol);
        self
    }
    pub fn atol(mut self, atol: f64) -> Self {
        self.options.atol = crate::solve::Tolerance::Scalar(atol);
        self
    }
    pub fn max_steps(mut self, max_steps: usize) -> Self {
        self.options.max_steps = max_steps;
        self
    }
    /// All options of the step-choosing solve (`dt` gives fixed steps).
    pub fn options(mut self, options: Options) -> Self {
        self.options = options;
        self
    }

    /// Records the forward solve and sweeps back through it.
    ///
    /// Errors: [`OdeError::InvalidOption`] for a method without a Butcher tableau;
    /// [`OdeError::SensitivityUnavailable`] for a loss with a running cost or a system with
    /// neither vector–Jacobian products nor [`ParametricSystem::rhs_params_dual`]; the errors
    /// of [`Solve::run`](crate::Solve::run).
    pub fn run(self) -> Result<DiscreteGradient, OdeError> {
        let sys = self.system;
        let n = sys.dim();
        let Some(tableau) = self.method.explicit_tableau() else {
            return Err(OdeError::InvalidOption {
                name: "method",
                reason: format!(
                    "the discrete adjoint needs an explicit Runge-Kutta method, not {}",
                    self.method.name()
                ),
            });
        };
        if self.loss.has_running() {
            return Err(OdeError::SensitivityUnavailable {
                what: "the discrete adjoint supports point losses only (no running cost)".into(),
            });
        }
        if self.y0.len() != n {
            return Err(OdeError::DimensionMismatch {
                what: "y0",
                expected: n,
                found: self.y0.len(),
            });
        }
        let times = self.loss.times();
        super::adjoint::check_times(times, self.t0, self.t_end)?;
        let p = sys.param_values();
        super::check_params(&p, sys.n_params())?;
        // whether the system can give the products (its own VJPs, or dual numbers) shows in
        // the sweep (`vjp.missing`): no probe evaluation up front
        let mut vjp = super::adjoint::Vjp::new(n, &p);
        // one recorded forward pass that ends a step on every observation time (or crosses
        // them, dense) and keeps the solution there
        let mut tape = RkTape::default();
        tape.record(
            sys,
            self.method,
            tableau,
            (self.t0, self.t_end),
            self.y0,
            times,
            self.dense,
            &self.options,
            false,
        )?;
        let np = p.len();
        let mut loss = 0.0;
        let mut ybar = vec![0.0; n];
        let mut pbar = vec![0.0; np];
        let mut g = vec![0.0; n];
        let mut sweep = Sweep::new(tableau, n, np);
        // walk the observations backwards with the steps: those at step end k enter ∂L/∂y_k,
        // those inside step k its stage cotangents
        let mut j = tape.obs.len();
        let last = tape.t.len() - 1;
        while j > 0 && tape.obs[j - 1] == ObsAt::Node(last) {
            j -= 1;
            loss += self.loss.point(j, times[j], tape.obs_y_at(j), &mut g);
            add_to(&mut ybar, &g);
        }
        for k in (0..last).rev() {
            sweep.begin(&tape, k, &ybar);
            while j > 0 {
                let ObsAt::Inside { step, theta } = tape.obs[j - 1] else {
                    break;
                };
                if step != k {
                    break;
                }
                j -= 1;
                loss += self.loss.point(j, times[j], tape.obs_y_at(j), &mut g);
                sweep.inject(theta, &g);
            }
            sweep.finish(sys, &tape, k, &mut vjp, &mut ybar, &mut pbar);
            while j > 0 && tape.obs[j - 1] == ObsAt::Node(k) {
                j -= 1;
                loss += self.loss.point(j, times[j], tape.obs_y_at(j), &mut g);
                add_to(&mut ybar, &g);
            }
        }
        debug_assert_eq!(j, 0, "every observation is visited once");
        if vjp.missing {
            return Err(OdeError::SensitivityUnavailable {
                what: "the discrete adjoint needs vector-Jacobian products (vjp_y and vjp_p, or \
                       vjp_accumulate) or rhs_params_dual"
                    .into(),
            });
        }
        if !loss.is_finite() || ybar.iter().chain(&pbar).any(|v| !v.is_finite()) {
            return Err(OdeError::NonFiniteState {
                t: self.t0,
                component: ybar.iter().position(|v| !v.is_finite()).unwrap_or(0),
            });
        }
        let trajectory_bytes = tape.bytes();
        let stats = tape.stats;
        Ok(DiscreteGradient {
            gradient: Gradient {
                loss,
                dp: pbar,
                dy0: ybar,
                forward_stats: stats,
                adjoint_stats: Stats::default(),
                trajectory_bytes,
            },
            steps: std::mem::take(&mut tape.t),
        })
    }
}

fn add_to(acc: &mut [f64], v: &[f64]) {
    for (a, b) in acc.iter_mut().zip(v) {
        *a += b;
    }
}

/// The reverse sweep through recorded steps (Hairer, Lubich & Wanner, *Geometric Numerical
/// Integration*, §VI.4; Sandu 2006): with `ȳ = ∂L/∂y_{k+1}`, stages in reverse order,
///
/// ```text
/// K̄_i = h (b_i ȳ + Σ_{j>i} a_ji Ȳ_j),   Ȳ_i = J(Y_i)ᵀ K̄_i,   p̄ += f_p(Y_i)ᵀ K̄_i,
/// ∂L/∂y_k = ȳ + Σ_i Ȳ_i.
/// ```
///
/// An observation `y_k + h Σ_i b_i(θ) K_i` inside the step with cotangent `ḡ` adds
/// `h b_i(θ) ḡ` to `K̄_i` (extra stages of the interpolant included, whose rows of `a` feed
/// back into the main stages) and `ḡ` to `∂L/∂y_k` ([`Sweep::inject`]). A stage whose `K̄` is
/// zero (the FSAL stage of a step without observations inside) costs nothing.
pub(crate) struct Sweep {
    tab: &'static ButcherTableau,
    n: usize,
    /// Whether observations inside the current step were injected.
    dense: bool,
    /// `K̄_i`, `(s + e) × n` (main then extra stages).
    kbar: Vec<f64>,
    /// `h b_i(θ)` of one observation.
    w: Vec<f64>,
    /// The current step's size.
    h: f64,
    vy: Vec<f64>,
    vp: Vec<f64>,
    acc: Vec<f64>,
}

impl Sweep {
    pub(crate) fn new(tab: &'static ButcherTableau, n: usize, np: usize) -> Self {
        let sd = tab.dense_stages();
        Self {
            tab,
            n,
            dense: false,
            kbar: vec![0.0; sd * n],
            w: vec![0.0; sd],
            h: 0.0,
            vy: vec![0.0; n],
            vp: vec![0.0; np],
            acc: vec![0.0; n],
        }
    }

    /// Starts recorded step `k` from `ybar = ∂L/∂y_{k+1}`.
    pub(crate) fn begin(&mut self, tape: &RkTape, k: usize, ybar: &[f64]) {
        let n = self.n;
        let tab = self.tab;
        let s = tab.stages();
        let h = tape.t[k + 1] - tape.t[k];
        for i in 0..s {
            let hb = h * tab.b[i].v;
            for (kb, l) in self.kbar[i * n..(i + 1) * n].iter_mut().zip(ybar) {
                *kb = hb * l;
            }
        }
        self.acc.copy_from_slice(ybar);
        self.dense = false;
        self.h = h;
    }

    /// Adds the cotangent `g` of the observation at `θ` inside the current step.
    pub(crate) fn inject(&mut self, theta: f64, g: &[f64]) {
        let n = self.n;
        let sd = self.tab.dense_stages();
        if !self.dense {
            self.kbar[self.tab.stages() * n..sd * n].fill(0.0);
            self.dense = true;
        }
        dense_weights(self.tab, theta, self.h, &mut self.w);
        for (i, &wi) in self.w.iter().enumerate() {
            if wi != 0.0 {
                for (kb, gv) in self.kbar[i * n..(i + 1) * n].iter_mut().zip(g) {
                    *kb += wi * gv;
                }
            }
        }
        add_to(&mut self.acc, g);
    }

    /// Sweeps the stages of recorded step `k`: `ybar ← ∂L/∂y_k`, `pbar += …`.
    pub(crate) fn finish<S: ParametricSystem + ?Sized>(
        &mut self,
        sys: &S,
        tape: &RkTape,
        k: usize,
        vjp: &mut super::adjoint::Vjp,
        ybar: &mut [f64],
        pbar: &mut [f64],
    ) {
        let n = self.n;
        let tab = self.tab;
        let s = tab.stages();
        let (t, h) = (tape.t[k], self.h);
        let stages = &tape.stages[k * s * n..(k + 1) * s * n];
        let top = if self.dense && tape.extra_at[k] != usize::MAX {
            tab.dense_stages()
        } else {
            s
        };
        for i in (0..top).rev() {
            let (kd, kr) = self.kbar.split_at_mut(i * n);
            let kbar_i = &kr[..n];
            if kbar_i.iter().all(|&v| v == 0.0) {
                continue;
            }
            let (c, row, state) = if i < s {
                (tab.c[i].v, tab.a[i], &stages[i * n..(i + 1) * n])
            } else {
                let e = i - s;
                let off = tape.extra_at[k] + e * n;
                (
                    tab.dense.extra_c[e].v,
                    tab.dense.extra_a[e],
                    &tape.extra[off..off + n],
                )
            };
            // the slot the recorded pass evaluated this stage under (an FSAL method's first
            // stage is the previous step's last)
            let sd = tab.dense_stages();
            let slot = if i > 0 {
                k * sd + i
            } else if k > 0 && tab.fsal {
                (k - 1) * sd + s - 1
            } else {
                k * sd
            };
            vjp.eval_acc(
                sys,
                Some(slot),
                t + c * h,
                state,
                kbar_i,
                &mut self.vy,
                &mut self.vp,
                pbar,
            );
            add_to(&mut self.acc, &self.vy);
            for (j, a) in row.iter().enumerate() {
                if a.v != 0.0 {
                    let ha = h * a.v;
                    for (kb, yb) in kd[j * n..(j + 1) * n].iter_mut().zip(&self.vy) {
                        *kb += ha * yb;
                    }
                }
            }
        }
        ybar.copy_from_slice(&self.acc);
    }
}

/// The states of the explicit method `method` over the given step ends from `y0` (row-major,
/// one row per entry of `steps`): the map whose exact gradient [`DiscreteAdjoint`] computes.
/// Over the step ends of a [`DiscreteGradient`] it reproduces the recorded states bit for bit
/// (same arithmetic; an FSAL method's first stage carried over from the previous step).
pub fn replay<S: ParametricSystem + ?Sized>(
    system: &S,
    method: Method,
    steps: &[f64],
    y0: &[f64],
) -> Result<Vec<f64>, OdeError> {
    let tableau = replay_tableau(system, method, y0)?;
    let mut out = Vec::with_capacity(steps.len() * y0.len());
    replay_steps(system, tableau, steps, y0, &[], &mut out);
    Ok(out)
}

/// The solution of the explicit method `method` over the given step ends from `y0` at the
/// observation times `times` (monotone, within the steps; row-major, one row per time): at a
/// step end the state, inside a step the method's continuous extension (extra stages
/// included). The map whose exact gradient [`DiscreteAdjoint`] with
/// [`DiscreteAdjoint::dense_observations`] computes; over the step ends of its
/// [`DiscreteGradient`] it reproduces the recorded values bit for bit.
///
/// Errors: [`OdeError::InvalidOption`] for a method without a Butcher tableau;
/// [`OdeError::DimensionMismatch`] for `y0`; [`OdeError::InvalidSaveAt`] for times outside the
/// steps or not monotone; [`OdeError::InvalidOption`] for fewer than two step ends.
pub fn replay_observations<S: ParametricSystem + ?Sized>(
    system: &S,
    method: Method,
    steps: &[f64],
    y0: &[f64],
    times: &[f64],
) -> Result<Vec<f64>, OdeError> {
    let tableau = replay_tableau(system, method, y0)?;
    if steps.len() < 2 {
        return Err(OdeError::InvalidOption {
            name: "steps",
            reason: format!("need at least two step ends, got {}", steps.len()),
        });
    }
    super::adjoint::check_times(times, steps[0], steps[steps.len() - 1])?;
    let mut states = Vec::with_capacity(steps.len() * y0.len());
    let mut out = Vec::with_capacity(times.len() * y0.len());
    replay_steps(system, tableau, steps, y0, times, &mut states);
    // replay_steps appends the observation values after the states
    out.extend_from_slice(&states[steps.len() * y0.len()..]);
    Ok(out)
}

fn replay_tableau<S: ParametricSystem + ?Sized>(
    system: &S,
    method: Method,
    y0: &[f64],
) -> Result<&'static ButcherTableau, OdeError> {
    let Some(tableau) = method.explicit_tableau() else {
        return Err(OdeError::InvalidOption {
            name: "method",
            reason: format!("{} has no Butcher tableau", method.name()),
        });
    };
    if y0.len() != system.dim() {
        return Err(OdeError::DimensionMismatch {
            what: "y0",
            expected: system.dim(),
            found: y0.len(),
        });
    }
    Ok(tableau)
}

/// Appends to `out` the states of a recorded-style solve over the given step ends, then the
/// values at `times` (the arithmetic of the recorded pass: [`rk_step`], an FSAL method's first
/// stage carried over from the previous step's last, [`extra_stages`] and
/// [`dense_eval`]), so both equal the recorded ones bit for bit.
fn replay_steps<S: ParametricSystem + ?Sized>(
    sys: &S,
    tab: &'static ButcherTableau,
    steps: &[f64],
    y0: &[f64],
    times: &[f64],
    out: &mut Vec<f64>,
) {
    let n = y0.len();
    let s = tab.stages();
    let mut obs = Vec::with_capacity(times.len() * n);
    out.extend_from_slice(y0);
    let mut next = 0;
    while next < times.len() && times[next] == steps[0] {
        obs.extend_from_slice(y0);
        next += 1;
    }
    let dir = if steps.len() > 1 && steps[steps.len() - 1] < steps[0] {
        -1.0
    } else {
        1.0
    };
    let mut k = vec![0.0; tab.dense_stages() * n];
    let mut tmp = vec![0.0; n];
    let mut y = y0.to_vec();
    let mut y1 = vec![0.0; n];
    for (i, w) in steps.windows(2).enumerate() {
        if i == 0 || !tab.fsal {
            sys.rhs(w[0], &y, &mut k[..n]);
        } else {
            k.copy_within((s - 1) * n..s * n, 0);
        }
        let hs = w[1] - w[0];
        rk_step(
            sys, tab, w[0], hs, &y, &mut k, &mut tmp, &mut y1, None, None,
        );
        let mut extras = false;
        while next < times.len() && dir * (times[next] - w[1]) <= 0.0 {
            let base = obs.len();
            obs.resize(base + n, 0.0);
            if times[next] == w[1] {
                obs[base..].copy_from_slice(&y1);
            } else {
                if !extras {
                    extra_stages(sys, tab, w[0], hs, &y, &mut k, &mut tmp, None, None);
                    extras = true;
                }
                dense_eval(tab, (times[next] - w[0]) / hs, hs, &y, &k, &mut obs[base..]);
            }
            next += 1;
        }
        std::mem::swap(&mut y, &mut y1);
        out.extend_from_slice(&y);
    }
    out.extend_from_slice(&obs);
}
