//! The discrete adjoint of the explicit Runge–Kutta methods ("discretise-then-optimise").

use super::adjoint::{Gradient, TrajectoryLoss};
use super::tape::{rk_step, RkTape};
use super::ParametricSystem;
use crate::error::OdeError;
use crate::methods::Method;
use crate::solution::Stats;
use crate::solve::Options;
use crate::tableau::ButcherTableau;

/// Builder for the exact gradient of the *computed* solution of an explicit Runge–Kutta method
/// with respect to `p` and `y0`, for a loss of point values `Σ_i ℓ_i(y_{k_i})` (no running cost).
///
/// The step sequence is that of one adaptive solve (the stepping of [`Solve`](crate::Solve):
/// same tableau, error norm and PI controller) whose steps end exactly on the observation
/// times without restarting there, then frozen: the step sizes are treated as constants, as
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
/// The result equals finite differences of [`replay`] with the same steps to rounding.
pub struct DiscreteAdjoint<'a, S: ParametricSystem + ?Sized, L: TrajectoryLoss + ?Sized> {
    system: &'a S,
    t0: f64,
    t_end: f64,
    y0: &'a [f64],
    loss: &'a L,
    method: Method,
    options: Options,
}

/// The gradient with the frozen step sequence it belongs to.
#[derive(Debug, Clone)]
pub struct DiscreteGradient {
    pub gradient: Gradient,
    /// The step ends `t_0, t_1, …, t_N` (observation times among them).
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
        }
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
    /// [`OdeError::SensitivityUnavailable`] for a loss with a running cost or a system without
    /// [`ParametricSystem::rhs_params_dual`]; the errors of [`Solve::run`](crate::Solve::run).
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
        let mut vjp = super::adjoint::Vjp::new(n, &p);
        if !vjp.probe(sys) {
            return Err(OdeError::SensitivityUnavailable {
                what: "the discrete adjoint needs rhs_params_dual".into(),
            });
        }
        // one recorded forward pass that ends a step on every observation time
        let mut tape = RkTape::default();
        tape.record(
            sys,
            self.method,
            tableau,
            (self.t0, self.t_end),
            self.y0,
            times,
            &self.options,
            false,
        )?;
        // loss and ∂ℓ/∂y at the observation steps
        let steps = &tape.t;
        let mut obs_at = vec![Vec::new(); steps.len()];
        let mut k = 0;
        for (i, &t) in times.iter().enumerate() {
            while steps[k] != t {
                k += 1;
            }
            obs_at[k].push(i);
        }
        let np = p.len();
        let mut loss = 0.0;
        let mut ybar = vec![0.0; n];
        let mut pbar = vec![0.0; np];
        let mut g = vec![0.0; n];
        let add = |k: usize, ybar: &mut [f64], loss: &mut f64, g: &mut [f64]| {
            for &i in &obs_at[k] {
                *loss += self.loss.point(i, steps[k], tape.y_at(k), g);
                for (b, gv) in ybar.iter_mut().zip(g.iter()) {
                    *b += gv;
                }
            }
        };
        let last = steps.len() - 1;
        add(last, &mut ybar, &mut loss, &mut g);
        let mut sweep = Sweep::new(tableau, n, np);
        for k in (0..last).rev() {
            sweep.reverse_step(sys, &tape, k, &mut vjp, &mut ybar, &mut pbar);
            add(k, &mut ybar, &mut loss, &mut g);
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

/// The reverse sweep through recorded steps (Hairer, Lubich & Wanner, *Geometric Numerical
/// Integration*, §VI.4; Sandu 2006): with `ȳ = ∂L/∂y_{k+1}`, stages in reverse order,
///
/// ```text
/// K̄_i = h (b_i ȳ + Σ_{j>i} a_ji Ȳ_j),   Ȳ_i = J(Y_i)ᵀ K̄_i,   p̄ += f_p(Y_i)ᵀ K̄_i,
/// ∂L/∂y_k = ȳ + Σ_i Ȳ_i.
/// ```
///
/// A stage whose `K` feeds neither `y_{k+1}` nor a later stage (the FSAL stage) is skipped.
pub(crate) struct Sweep {
    tab: &'static ButcherTableau,
    n: usize,
    live: Vec<bool>,
    /// `K̄_i`, `s × n`.
    kbar: Vec<f64>,
    vy: Vec<f64>,
    vp: Vec<f64>,
    acc: Vec<f64>,
}

impl Sweep {
    pub(crate) fn new(tab: &'static ButcherTableau, n: usize, np: usize) -> Self {
        let s = tab.stages();
        let live = (0..s)
            .map(|i| {
                tab.b[i].v != 0.0 || (i + 1..s).any(|j| tab.a[j].get(i).is_some_and(|a| a.v != 0.0))
            })
            .collect();
        Self {
            tab,
            n,
            live,
            kbar: vec![0.0; s * n],
            vy: vec![0.0; n],
            vp: vec![0.0; np],
            acc: vec![0.0; n],
        }
    }

    /// `ybar ← ∂L/∂y_k` from `∂L/∂y_{k+1}`, `pbar += …`, for recorded step `k`.
    pub(crate) fn reverse_step<S: ParametricSystem + ?Sized>(
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
        let (t, h) = (tape.t[k], tape.t[k + 1] - tape.t[k]);
        let stages = &tape.stages[k * s * n..(k + 1) * s * n];
        for i in 0..s {
            let hb = h * tab.b[i].v;
            for (kb, l) in self.kbar[i * n..(i + 1) * n].iter_mut().zip(ybar.iter()) {
                *kb = hb * l;
            }
        }
        self.acc.copy_from_slice(ybar);
        for i in (0..s).rev() {
            if !self.live[i] {
                continue;
            }
            let (kd, kr) = self.kbar.split_at_mut(i * n);
            let kbar_i = &kr[..n];
            if kbar_i.iter().all(|&v| v == 0.0) {
                continue;
            }
            vjp.eval(
                sys,
                t + tab.c[i].v * h,
                &stages[i * n..(i + 1) * n],
                kbar_i,
                &mut self.vy,
                &mut self.vp,
            );
            for (a, b) in pbar.iter_mut().zip(&self.vp) {
                *a += b;
            }
            for (a, yb) in self.acc.iter_mut().zip(&self.vy) {
                *a += yb;
            }
            for (j, a) in tab.a[i].iter().enumerate() {
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
    Ok(replay_steps(system, tableau, steps, y0))
}

/// The states of a recorded-style solve over the given step ends: the arithmetic of the
/// recorded pass ([`rk_step`]; an FSAL method's first stage carried over from the previous
/// step's last), so the states equal the recorded ones bit for bit.
fn replay_steps<S: ParametricSystem + ?Sized>(
    sys: &S,
    tab: &'static ButcherTableau,
    steps: &[f64],
    y0: &[f64],
) -> Vec<f64> {
    let n = y0.len();
    let s = tab.stages();
    let mut out = Vec::with_capacity(steps.len() * n);
    out.extend_from_slice(y0);
    let mut k = vec![0.0; s * n];
    let mut tmp = vec![0.0; n];
    let mut y = y0.to_vec();
    let mut y1 = vec![0.0; n];
    for (i, w) in steps.windows(2).enumerate() {
        if i == 0 || !tab.fsal {
            sys.rhs(w[0], &y, &mut k[..n]);
        } else {
            k.copy_within((s - 1) * n..s * n, 0);
        }
        rk_step(
            sys,
            tab,
            w[0],
            w[1] - w[0],
            &y,
            &mut k,
            &mut tmp,
            &mut y1,
            None,
        );
        std::mem::swap(&mut y, &mut y1);
        out.extend_from_slice(&y);
    }
    out
}
