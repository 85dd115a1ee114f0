//! The gradient of a trajectory loss by forward sensitivities or by an adjoint (the discrete
//! adjoint for explicit methods and point losses, the continuous one otherwise), chosen by the
//! caller or automatically from the problem size.

use std::cell::RefCell;

use num_dual::Dual64;

use super::adjoint::{check_times, ContinuousAdjoint, Gradient, TrajectoryLoss};
use super::discrete::DiscreteAdjoint;
use super::forward::{ForwardSensitivity, SensColumn};
use super::ParametricSystem;
use crate::error::OdeError;
use crate::jacobian::JacDual;
use crate::mass::MassMatrix;
use crate::methods::Method;
use crate::solve::{Options, SaveAt, Tolerance};
use crate::system::OdeSystem;

/// How [`LossGradient`] computes `∂L/∂(p, y0)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SensitivityMode {
    /// Forward sensitivities ([`ForwardSensitivity`]) and the chain rule: one augmented solve
    /// of dimension `n (1 + m)` for `m` gradient entries.
    Forward,
    /// An adjoint: one forward solve and one reverse sweep whatever `m`. For an explicit
    /// Runge–Kutta method, a loss of point values (no running cost) and no mass matrix, the
    /// discrete adjoint ([`DiscreteAdjoint`]: the exact gradient of the computed solution, as
    /// diffrax's default `RecursiveCheckpointAdjoint`; 2–4× the forward solve's time at 1000
    /// parameters in `bench/sensitivity/`); otherwise (stiff methods, running costs) the
    /// continuous adjoint ([`ContinuousAdjoint`]: a backward solve of the adjoint equation,
    /// 9–11× there). Both are available directly.
    Adjoint,
    /// [`SensitivityMode::choose`] decides.
    #[default]
    Auto,
}

/// Number of gradient entries `m` (parameters, plus initial states when asked for) from which
/// [`SensitivityMode::Auto`] takes the adjoint when the system has user vector–Jacobian
/// products ([`ParametricSystem::vjp_y`] and [`ParametricSystem::vjp_p`]).
///
/// Measured by `bench/sensitivity/run.sh` (`RESULTS.md` there, Tsit5, rtol 1e-8): with
/// analytic VJPs the adjoint gradient is already cheaper than the forward-sensitivity gradient
/// from 4 to 9 entries on (Fisher–KPP with one diffusivity per cell; `y' = A(p) y`), and 1.5 to
/// 2 times cheaper at 9 to 16; this threshold is on the conservative side of that crossover.
pub const AUTO_ADJOINT_MIN_ENTRIES_WITH_VJP: usize = 12;

/// Like [`AUTO_ADJOINT_MIN_ENTRIES_WITH_VJP`] for systems without user VJPs (the adjoint then
/// pays `n + n_p` dual evaluations per backward right-hand side, which is what forward mode
/// pays per step for `m = n_p + n` columns). Measured: the dual-VJP adjoint beat forward mode
/// from between 100 and 316 parameters on Fisher–KPP (`n = n_p`) but not up to 1024 on
/// `y' = A(p) y` (`n = 32`), so this is a compromise between the two.
pub const AUTO_ADJOINT_MIN_ENTRIES_DUAL: usize = 400;

impl SensitivityMode {
    /// The concrete mode [`SensitivityMode::Auto`] resolves to for a system of dimension
    /// `n` with `m` gradient entries; `has_vjp`: whether the system provides both vector–Jacobian
    /// products; `has_mass`: whether it has a mass matrix (the continuous adjoint does not
    /// handle one). `Forward` and `Adjoint` are returned unchanged.
    ///
    /// The rule (forward for few entries, adjoint for many) and its thresholds
    /// [`AUTO_ADJOINT_MIN_ENTRIES_WITH_VJP`] and [`AUTO_ADJOINT_MIN_ENTRIES_DUAL`] come from
    /// the committed benchmark `bench/sensitivity/`.
    pub fn choose(self, n: usize, m: usize, has_vjp: bool, has_mass: bool) -> SensitivityMode {
        let _ = n;
        match self {
            SensitivityMode::Auto if has_mass => SensitivityMode::Forward,
            SensitivityMode::Auto => {
                let threshold = if has_vjp {
                    AUTO_ADJOINT_MIN_ENTRIES_WITH_VJP
                } else {
                    AUTO_ADJOINT_MIN_ENTRIES_DUAL
                };
                if m >= threshold {
                    SensitivityMode::Adjoint
                } else {
                    SensitivityMode::Forward
                }
            }
            other => other,
        }
    }
}

/// Whether `sys` implements both vector–Jacobian products (probed once at `(t0, y0)`).
pub fn has_vjp<S: ParametricSystem + ?Sized>(sys: &S, t0: f64, y0: &[f64]) -> bool {
    let n = sys.dim();
    if y0.len() != n {
        return false;
    }
    let w = vec![0.0; n];
    let mut oy = vec![0.0; n];
    let mut op = vec![0.0; sys.n_params()];
    sys.vjp_y(t0, y0, &w, &mut oy) && (op.is_empty() || sys.vjp_p(t0, y0, &w, &mut op))
}

/// Builder for the gradient `(∂L/∂p, ∂L/∂y0)` of a [`TrajectoryLoss`] by
/// [`SensitivityMode::Forward`], [`SensitivityMode::Adjoint`] or [`SensitivityMode::Auto`]
/// (default).
///
/// Forward mode solves the sensitivities of every parameter (and of every initial state
/// unless [`LossGradient::initial_state`] is `false`) and applies the chain rule
/// `∂L/∂θ = Σ_i ∇ℓ_i(y(t_i)) · S(t_i)_θ`; a running cost is integrated as one more state
/// `q' = g(t, y, p)`, whose sensitivity equation uses the loss's `∂g/∂y`, `∂g/∂p`.
///
/// ```
/// use ai4de_ode::problems;
/// use ai4de_ode::sensitivity::{LossGradient, SensitivityMode, SquaredError};
/// let decay = problems::get("decay").unwrap(); // y' = λ y, λ = −1, y(0) = 1
/// let loss = SquaredError::new(vec![1.0], vec![0.0], 1).unwrap(); // L = ½ e^{2λ}
/// let e = (-2.0f64).exp();
/// for mode in [SensitivityMode::Forward, SensitivityMode::Adjoint, SensitivityMode::Auto] {
///     let (g, used) = LossGradient::new(&decay, (0.0, 1.0), &[1.0], &loss)
///         .mode(mode)
///         .rtol(1e-10)
///         .atol(1e-12)
///         .run()
///         .unwrap();
///     assert!((g.dp[0] - e).abs() < 1e-8 && (g.dy0[0] - e).abs() < 1e-8, "{used:?}");
/// }
/// ```
pub struct LossGradient<'a, S: ParametricSystem + ?Sized, L: TrajectoryLoss + ?Sized> {
    system: &'a S,
    t0: f64,
    t_end: f64,
    y0: &'a [f64],
    loss: &'a L,
    mode: SensitivityMode,
    method: Method,
    options: Options,
    initial_state: bool,
}

impl<'a, S: ParametricSystem + ?Sized, L: TrajectoryLoss + ?Sized> LossGradient<'a, S, L> {
    /// Gradient with respect to all parameters and the initial state, [`SensitivityMode::Auto`],
    /// [`Method::Tsit5`], default options.
    pub fn new(system: &'a S, t_span: (f64, f64), y0: &'a [f64], loss: &'a L) -> Self {
        Self {
            system,
            t0: t_span.0,
            t_end: t_span.1,
            y0,
            loss,
            mode: SensitivityMode::Auto,
            method: Method::Tsit5,
            options: Options::default(),
            initial_state: true,
        }
    }
    /// The mode (default [`SensitivityMode::Auto`]).
    pub fn mode(mut self, mode: SensitivityMode) -> Self {
        self.mode = mode;
        self
    }
    /// The integration method of every solve (default [`Method::Tsit5`]).
    pub fn method(mut self, method: Method) -> Self {
        self.method = method;
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
    /// All solver options (`save_at` is ignored).
    pub fn options(mut self, options: Options) -> Self {
        self.options = options;
        self
    }
    /// Whether `∂L/∂y0` is wanted (default `true`). When `false`, forward mode solves only the
    /// parameter columns and leaves [`Gradient::dy0`] empty (the adjoint fills it anyway), and
    /// [`SensitivityMode::Auto`] counts `m = n_p` instead of `n_p + n`.
    pub fn initial_state(mut self, on: bool) -> Self {
        self.initial_state = on;
        self
    }

    /// The mode [`LossGradient::run`] will use.
    pub fn resolved_mode(&self) -> SensitivityMode {
        let n = self.system.dim();
        let m = self.system.n_params() + if self.initial_state { n } else { 0 };
        self.mode.choose(
            n,
            m,
            has_vjp(self.system, self.t0, self.y0),
            self.system.mass_matrix().is_some(),
        )
    }

    /// Whether [`SensitivityMode::Adjoint`] is computed by the discrete adjoint (explicit
    /// method, point losses only, no mass matrix) rather than the continuous one.
    pub fn uses_discrete_adjoint(&self) -> bool {
        self.method.explicit_tableau().is_some()
            && !self.loss.has_running()
            && self.system.mass_matrix().is_none()
    }

    /// Computes the gradient; returns it with the mode used.
    ///
    /// Errors: those of [`ForwardSensitivity::run`], [`DiscreteAdjoint::run`] or
    /// [`ContinuousAdjoint::run`].
    pub fn run(self) -> Result<(Gradient, SensitivityMode), OdeError> {
        let mode = self.resolved_mode();
        let g = match mode {
            SensitivityMode::Adjoint if self.uses_discrete_adjoint() => {
                DiscreteAdjoint::new(self.system, (self.t0, self.t_end), self.y0, self.loss)
                    .method(self.method)
                    .options(self.options)
                    .run()?
                    .gradient
            }
            SensitivityMode::Adjoint => {
                ContinuousAdjoint::new(self.system, (self.t0, self.t_end), self.y0, self.loss)
                    .method(self.method)
                    .options(self.options)
                    .run()?
            }
            _ => forward_gradient(
                self.system,
                (self.t0, self.t_end),
                self.y0,
                self.loss,
                self.method,
                self.options,
                self.initial_state,
            )?,
        };
        Ok((g, mode))
    }
}

/// `∂L/∂(p, y0)` by forward sensitivities and the chain rule (see [`LossGradient`]).
pub(crate) fn forward_gradient<S: ParametricSystem + ?Sized, L: TrajectoryLoss + ?Sized>(
    sys: &S,
    (t0, t_end): (f64, f64),
    y0: &[f64],
    loss: &L,
    method: Method,
    mut options: Options,
    initial_state: bool,
) -> Result<Gradient, OdeError> {
    let n = sys.dim();
    if y0.len() != n {
        return Err(OdeError::DimensionMismatch {
            what: "y0",
            expected: n,
            found: y0.len(),
        });
    }
    let times = loss.times();
    check_times(times, t0, t_end)?;
    let np = sys.n_params();
    let mut columns: Vec<SensColumn> = (0..np).map(SensColumn::Param).collect();
    if initial_state {
        columns.extend((0..n).map(SensColumn::InitialState));
    }
    let m = columns.len();
    let mut save: Vec<f64> = times.to_vec();
    let running = loss.has_running();
    if running {
        save.push(t_end);
    }
    options.save_at = SaveAt::Times(save);
    let mut grad = vec![0.0; m];
    let mut value = 0.0;
    let mut gl = vec![0.0; n];
    let stats = if running {
        let wrapped = WithRunningCost::new(sys, loss)?;
        let z0: Vec<f64> = y0.iter().copied().chain([0.0]).collect();
        if let Tolerance::Vector(v) = &mut options.atol {
            v.push(v.iter().copied().fold(f64::INFINITY, f64::min));
        }
        if let Tolerance::Vector(v) = &mut options.rtol {
            v.push(v.iter().copied().fold(f64::INFINITY, f64::min));
        }
        let sol = ForwardSensitivity::new(&wrapped, (t0, t_end), &z0)
            .columns(columns)
            .method(method)
            .options(options)
            .run()?;
        for (i, &t) in times.iter().enumerate() {
            value += loss.point(i, t, &sol.state(i)[..n], &mut gl);
            for (j, gj) in grad.iter_mut().enumerate() {
                *gj += dot(&gl, &sol.sens_column(i, j)[..n]);
            }
        }
        let last = sol.len() - 1;
        value += sol.state(last)[n];
        for (j, gj) in grad.iter_mut().enumerate() {
            *gj += sol.sens(last, n, j);
        }
        sol.stats
    } else {
        let sol = ForwardSensitivity::new(sys, (t0, t_end), y0)
            .columns(columns)
            .method(method)
            .options(options)
            .run()?;
        for (i, &t) in times.iter().enumerate() {
            value += loss.point(i, t, sol.state(i), &mut gl);
            for (j, gj) in grad.iter_mut().enumerate() {
                *gj += dot(&gl, sol.sens_column(i, j));
            }
        }
        sol.stats
    };
    if !value.is_finite() || grad.iter().any(|v| !v.is_finite()) {
        return Err(OdeError::NonFiniteState {
            t: t_end,
            component: grad.iter().position(|v| !v.is_finite()).unwrap_or(0),
        });
    }
    let dy0 = grad.split_off(np);
    Ok(Gradient {
        loss: value,
        dp: grad,
        dy0,
        forward_stats: stats,
        adjoint_stats: Default::default(),
        trajectory_bytes: 0,
    })
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// The loss value `Σ_i ℓ_i(y(t_i)) + ∫ g dt` by one plain solve (the running cost integrated
/// as an extra state).
pub(crate) fn loss_value<S: ParametricSystem + ?Sized, L: TrajectoryLoss + ?Sized>(
    sys: &S,
    (t0, t_end): (f64, f64),
    y0: &[f64],
    loss: &L,
    method: Method,
    mut options: Options,
) -> Result<f64, OdeError> {
    let n = sys.dim();
    let times = loss.times();
    check_times(times, t0, t_end)?;
    let mut save = times.to_vec();
    let mut gl = vec![0.0; n];
    if loss.has_running() {
        save.push(t_end);
        options.save_at = SaveAt::Times(save);
        let wrapped = WithRunningCost::new(sys, loss)?;
        let z0: Vec<f64> = y0.iter().copied().chain([0.0]).collect();
        let sol = crate::solve::Solve::new(&wrapped, (t0, t_end), &z0)
            .method(method)
            .options(options)
            .run()?;
        let mut v = sol.y_final()[n];
        for (i, &t) in times.iter().enumerate() {
            v += loss.point(i, t, &sol.row(i)[..n], &mut gl);
        }
        Ok(v)
    } else {
        options.save_at = SaveAt::Times(save);
        let sol = crate::solve::Solve::new(sys, (t0, t_end), y0)
            .method(method)
            .options(options)
            .run()?;
        Ok(times
            .iter()
            .enumerate()
            .map(|(i, &t)| loss.point(i, t, sol.row(i), &mut gl))
            .sum())
    }
}

struct RunningScratch {
    y: Vec<f64>,
    gy: Vec<f64>,
    gp: Vec<f64>,
}

/// `z = [y, q]` with `q' = g(t, y, p)`: the running cost as one more state. Its dual
/// right-hand side is exact to first order (`q̇' = g_y·ẏ + g_p·ṗ` from the loss's gradients);
/// no hyper-dual form, so stiff methods use finite-difference Jacobians of the augmented system.
struct WithRunningCost<'a, S: ?Sized, L: ?Sized> {
    sys: &'a S,
    loss: &'a L,
    n: usize,
    p: Vec<f64>,
    mass: Option<MassMatrix>,
    scratch: RefCell<RunningScratch>,
}

impl<'a, S: ParametricSystem + ?Sized, L: TrajectoryLoss + ?Sized> WithRunningCost<'a, S, L> {
    fn new(sys: &'a S, loss: &'a L) -> Result<Self, OdeError> {
        let n = sys.dim();
        let p = sys.param_values();
        super::check_params(&p, sys.n_params())?;
        let mass = match sys.mass_matrix() {
            None => None,
            Some(MassMatrix::Diagonal(d)) => Some(MassMatrix::Diagonal(
                d.iter().copied().chain([1.0]).collect(),
            )),
            Some(_) => {
                return Err(OdeError::SensitivityUnavailable {
                    what: "a running cost with a non-diagonal mass matrix".into(),
                })
            }
        };
        Ok(Self {
            sys,
            loss,
            n,
            scratch: RefCell::new(RunningScratch {
                y: vec![0.0; n],
                gy: vec![0.0; n],
                gp: vec![0.0; p.len()],
            }),
            p,
            mass,
        })
    }
}

impl<S: ParametricSystem + ?Sized, L: TrajectoryLoss + ?Sized> OdeSystem
    for WithRunningCost<'_, S, L>
{
    fn dim(&self) -> usize {
        self.n + 1
    }

    fn rhs(&self, t: f64, z: &[f64], dz: &mut [f64]) {
        let n = self.n;
        self.sys.rhs(t, &z[..n], &mut dz[..n]);
        let mut guard = self.scratch.borrow_mut();
        let s = &mut *guard;
        s.gy.fill(0.0);
        s.gp.fill(0.0);
        dz[n] = self
            .loss
            .running(t, &z[..n], &self.p, &mut s.gy, &mut s.gp)
            .unwrap_or(0.0);
    }

    fn mass_matrix(&self) -> Option<&MassMatrix> {
        self.mass.as_ref()
    }
}

impl<S: ParametricSystem + ?Sized, L: TrajectoryLoss + ?Sized> ParametricSystem
    for WithRunningCost<'_, S, L>
{
    fn n_params(&self) -> usize {
        self.p.len()
    }
    fn param_values(&self) -> Vec<f64> {
        self.p.clone()
    }
    fn set_params(&mut self, _p: &[f64]) -> Result<(), OdeError> {
        Err(OdeError::SensitivityUnavailable {
            what: "internal running-cost wrapper: parameters are fixed".into(),
        })
    }
    fn rhs_params_dual(
        &self,
        t: JacDual,
        y: &[JacDual],
        p: &[JacDual],
        dy: &mut [JacDual],
    ) -> bool {
        let n = self.n;
        if !self.sys.rhs_params_dual(t, &y[..n], p, &mut dy[..n]) {
            return false;
        }
        let mut guard = self.scratch.borrow_mut();
        let s = &mut *guard;
        for (o, v) in s.y.iter_mut().zip(&y[..n]) {
            *o = v.re;
        }
        s.gy.fill(0.0);
        s.gp.fill(0.0);
        let g = self
            .loss
            .running(t.re, &s.y, &self.p, &mut s.gy, &mut s.gp)
            .unwrap_or(0.0);
        let eps =
            s.gy.iter()
                .zip(&y[..n])
                .map(|(a, v)| a * v.eps)
                .sum::<f64>()
                + s.gp.iter().zip(p).map(|(a, v)| a * v.eps).sum::<f64>();
        dy[n] = Dual64::new(g, eps);
        true
    }
}
