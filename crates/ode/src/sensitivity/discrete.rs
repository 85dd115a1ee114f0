//! The discrete adjoint of the explicit Runge–Kutta methods ("discretise-then-optimise").

use super::adjoint::{add_stats, Gradient, TrajectoryLoss};
use super::ParametricSystem;
use crate::error::OdeError;
use crate::methods::Method;
use crate::solution::Stats;
use crate::solve::{Options, SaveAt, Solve};
use crate::tableau::ButcherTableau;

/// Builder for the exact gradient of the *computed* solution of an explicit Runge–Kutta method
/// with respect to `p` and `y0`, for a loss of point values `Σ_i ℓ_i(y_{k_i})` (no running cost).
///
/// The step sequence is that of an adaptive solve (piecewise between the observation times,
/// so that every observation time is a step end), then frozen: the step sizes are treated as
/// constants, as diffrax's `RecursiveCheckpointAdjoint` and SciMLSensitivity's discrete
/// adjoints do (Hairer, Lubich & Wanner; Sandu, *On the properties of Runge–Kutta discrete
/// adjoints*, ICCS 2006). The solution is replayed with the tableau's propagating weights `b`
/// (storing `y_k`, `n` floats per step), and the reverse sweep through each step recomputes its
/// stages `Y_i` and propagates
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

    /// Chooses the steps, replays and sweeps back.
    ///
    /// Errors: [`OdeError::InvalidOption`] for a method without a Butcher tableau;
    /// [`OdeError::SensitivityUnavailable`] for a loss with a running cost or a system without
    /// [`ParametricSystem::rhs_params_dual`]; the errors of [`Solve::run`].
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
        // step sequence
        let mut bounds = vec![self.t0];
        bounds.extend(times.iter().copied().filter(|&t| t != self.t0));
        if *bounds.last().expect("t0 is there") != self.t_end {
            bounds.push(self.t_end);
        }
        bounds.dedup();
        let mut options = self.options.clone();
        options.save_at = SaveAt::Steps;
        let mut steps = vec![self.t0];
        let mut stats = Stats::default();
        let mut y = self.y0.to_vec();
        for w in bounds.windows(2) {
            let sol = Solve::new(sys, (w[0], w[1]), &y)
                .method(self.method)
                .options(options.clone())
                .run()?;
            add_stats(&mut stats, &sol.stats);
            steps.extend_from_slice(&sol.t[1..]);
            y = sol.y_final().to_vec();
        }
        let mut rk = RkWork::new(sys, tableau)?;
        // replay
        let states = rk.replay(sys, &steps, self.y0);
        // loss and ∂ℓ/∂y at the observation steps
        let mut obs_at = vec![Vec::new(); steps.len()];
        let mut k = 0;
        for (i, &t) in times.iter().enumerate() {
            while steps[k] != t {
                k += 1;
            }
            obs_at[k].push(i);
        }
        let mut loss = 0.0;
        let mut ybar = vec![0.0; n];
        let mut pbar = vec![0.0; rk.np];
        let mut g = vec![0.0; n];
        let add = |k: usize, ybar: &mut [f64], loss: &mut f64, g: &mut [f64]| {
            for &i in &obs_at[k] {
                *loss += self.loss.point(i, steps[k], &states[k * n..(k + 1) * n], g);
                for (b, gv) in ybar.iter_mut().zip(g.iter()) {
                    *b += gv;
                }
            }
        };
        let last = steps.len() - 1;
        add(last, &mut ybar, &mut loss, &mut g);
        for k in (0..last).rev() {
            rk.reverse_step(
                sys,
                steps[k],
                steps[k + 1] - steps[k],
                &states[k * n..(k + 1) * n],
                &mut ybar,
                &mut pbar,
            );
            add(k, &mut ybar, &mut loss, &mut g);
        }
        if !loss.is_finite() || ybar.iter().chain(&pbar).any(|v| !v.is_finite()) {
            return Err(OdeError::NonFiniteState {
                t: self.t0,
                component: ybar.iter().position(|v| !v.is_finite()).unwrap_or(0),
            });
        }
        let trajectory_bytes = states.len() * std::mem::size_of::<f64>();
        Ok(DiscreteGradient {
            gradient: Gradient {
                loss,
                dp: pbar,
                dy0: ybar,
                forward_stats: stats,
                adjoint_stats: Stats::default(),
                trajectory_bytes,
            },
            steps,
        })
    }
}

/// The states of the explicit method `method` over the given step ends from `y0` (row-major,
/// one row per entry of `steps`): the map whose exact gradient [`DiscreteAdjoint`] computes.
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
    let mut rk = RkWork::new(system, tableau)?;
    Ok(rk.replay(system, steps, y0))
}

struct RkWork {
    tab: &'static ButcherTableau,
    n: usize,
    np: usize,
    /// Stage states `Y_i` and derivatives `K_i`, `s × n` each.
    ys: Vec<f64>,
    ks: Vec<f64>,
    /// `Ȳ_i`, `s × n`.
    ybars: Vec<f64>,
    kbar: Vec<f64>,
    vy: Vec<f64>,
    vp: Vec<f64>,
    vjp: super::adjoint::Vjp,
}

impl RkWork {
    fn new<S: ParametricSystem + ?Sized>(
        sys: &S,
        tab: &'static ButcherTableau,
    ) -> Result<Self, OdeError> {
        let n = sys.dim();
        let p = sys.param_values();
        super::check_params(&p, sys.n_params())?;
        let s = tab.stages();
        let vjp = super::adjoint::Vjp::new(n, &p);
        if !vjp.probe(sys) {
            return Err(OdeError::SensitivityUnavailable {
                what: "the discrete adjoint needs rhs_params_dual".into(),
            });
        }
        Ok(Self {
            tab,
            n,
            np: p.len(),
            ys: vec![0.0; s * n],
            ks: vec![0.0; s * n],
            ybars: vec![0.0; s * n],
            kbar: vec![0.0; n],
            vy: vec![0.0; n],
            vp: vec![0.0; p.len()],
            vjp,
        })
    }

    /// Stages of the step `(t, h, y)` into `ys`, `ks`.
    fn stages<S: ParametricSystem + ?Sized>(&mut self, sys: &S, t: f64, h: f64, y: &[f64]) {
        let n = self.n;
        for i in 0..self.tab.stages() {
            let (done, rest) = self.ys.split_at_mut(i * n);
            let yi = &mut rest[..n];
            yi.copy_from_slice(y);
            for (j, a) in self.tab.a[i].iter().enumerate() {
                if a.v != 0.0 {
                    let kj = &self.ks[j * n..(j + 1) * n];
                    for (v, k) in yi.iter_mut().zip(kj) {
                        *v += h * a.v * k;
                    }
                }
            }
            let _ = done;
            let (ki_all, _) = self.ks.split_at_mut((i + 1) * n);
            sys.rhs(t + self.tab.c[i].v * h, yi, &mut ki_all[i * n..]);
        }
    }

    fn replay<S: ParametricSystem + ?Sized>(
        &mut self,
        sys: &S,
        steps: &[f64],
        y0: &[f64],
    ) -> Vec<f64> {
        let n = self.n;
        let mut out = Vec::with_capacity(steps.len() * n);
        out.extend_from_slice(y0);
        let mut y = y0.to_vec();
        for w in steps.windows(2) {
            let h = w[1] - w[0];
            self.stages(sys, w[0], h, &y);
            for (i, b) in self.tab.b.iter().enumerate() {
                if b.v != 0.0 {
                    for (v, k) in y.iter_mut().zip(&self.ks[i * n..(i + 1) * n]) {
                        *v += h * b.v * k;
                    }
                }
            }
            out.extend_from_slice(&y);
        }
        out
    }

    /// `ybar ← ȳ_k` from `ȳ_{k+1}`, `pbar += …` for the step `(t, h, y_k)`.
    fn reverse_step<S: ParametricSystem + ?Sized>(
        &mut self,
        sys: &S,
        t: f64,
        h: f64,
        y: &[f64],
        ybar: &mut [f64],
        pbar: &mut [f64],
    ) {
        let n = self.n;
        let s = self.tab.stages();
        self.stages(sys, t, h, y);
        for i in (0..s).rev() {
            let bi = self.tab.b[i].v;
            for (o, w) in self.kbar.iter_mut().zip(ybar.iter()) {
                *o = h * bi * *w;
            }
            for j in i + 1..s {
                let a = self.tab.a[j][i].v;
                if a != 0.0 {
                    for (o, yb) in self.kbar.iter_mut().zip(&self.ybars[j * n..(j + 1) * n]) {
                        *o += h * a * yb;
                    }
                }
            }
            if self.kbar.iter().all(|&v| v == 0.0) {
                self.ybars[i * n..(i + 1) * n].fill(0.0);
                continue;
            }
            let ti = t + self.tab.c[i].v * h;
            self.vjp.eval(
                sys,
                ti,
                &self.ys[i * n..(i + 1) * n],
                &self.kbar,
                &mut self.vy,
                &mut self.vp,
            );
            self.ybars[i * n..(i + 1) * n].copy_from_slice(&self.vy);
            for (a, b) in pbar.iter_mut().zip(&self.vp) {
                *a += b;
            }
        }
        for i in 0..s {
            for (o, v) in ybar.iter_mut().zip(&self.ybars[i * n..(i + 1) * n]) {
                *o += v;
            }
        }
    }
}
