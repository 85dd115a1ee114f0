//! Design optimisation and optimal control: minimise a cost of an ODE trajectory over design
//! parameters and a parametrised, bounded control input, with adjoint gradients.
//!
//! # The problem
//!
//! For `y' = f(t, y, u(t), p)`, `y(t₀) = y₀` on `[t₀, T]` ([`ControlProblem`]), minimise
//!
//! ```text
//! J(p, θ) = ∫_{t₀}^{T} L(t, y, u, p) dt + φ(y(T), p) + R(p, θ),     lo ≤ (p, θ) ≤ hi,
//! ```
//!
//! where the control `u(t) = Σ_j θ_j b_j(t)` lives on a time grid `t₀ = τ₀ < … < τ_N = T`
//! ([`ControlKind`]): piecewise constant (`N` values per control component) or piecewise linear
//! (continuous, `N + 1` node values). `R` is a penalty of the design vector (e.g. smoothness of
//! the control). Bounds on `θ` bound `u` itself for both kinds (a linear interpolant stays
//! between its node values).
//!
//! # Gradients
//!
//! `f` is not smooth across the grid nodes (a piecewise-constant control jumps there), so the
//! horizon is integrated interval by interval (a restart at every node; no step straddles a
//! jump) and the adjoint is chained backward through the nodes: on interval `j` the costate
//! enters as the linear point cost `λ(τ_{j+1})ᵀ y(τ_{j+1})`, and the interval's adjoint returns
//! `λ(τ_j) = ∂J/∂y(τ_j)` together with the gradient with respect to the interval's design
//! variables (`p` and its one or two control values). Two adjoints ([`AdjointMode`]):
//!
//! * **continuous** ([`ai4de_ode::sensitivity::ContinuousAdjoint`]; Cao, Li, Petzold & Serban,
//!   SIAM J. Sci. Comput. 24 (2003) 1076–1089): `λ' = −f_yᵀλ − L_yᵀ`,
//!   `μ' = −f_{(p,θ)}ᵀλ − L_{(p,θ)}ᵀ` solved backward with any method (stiff ones included);
//!   the running cost enters as the adjoint's quadrature. Accurate to the solver tolerance.
//! * **discrete** ([`ai4de_ode::sensitivity::DiscreteAdjoint`], explicit Runge–Kutta methods;
//!   Hager, "Runge–Kutta methods in optimal control and the transformed adjoint system",
//!   Numer. Math. 87 (2000) 247–282): the exact gradient of the computed solution (steps
//!   frozen). The running cost is integrated as an extra state `q' = L` by the same method, and
//!   `q(T)` enters as a point cost.
//!
//! Derivatives of `f`, `L`, `φ` and `R` come from dual numbers: write them once, generic over
//! [`DualScalar`].
//!
//! # Optimiser
//!
//! [`projected_lbfgs`] (projected L-BFGS with an Armijo search along the projection arc): the
//! bounds are handled by projection rather than by the change of variables of
//! [`crate::transform`], because optimal bounded controls saturate on whole arcs, where a
//! transformed gradient vanishes before the bound is reached (see [`crate::optim::projected`]).
//!
//! # Example: drive Van der Pol to rest
//!
//! The set-up of CasADi's direct-shooting examples (J. Andersson et al., "CasADi: a software
//! framework for nonlinear optimization and optimal control", Math. Prog. Comp. 11 (2019) 1–36;
//! `docs/examples/python/direct_single_shooting.py`): `x'' − (1 − x²)x' + x = u`, `x(0) = 1`,
//! `x'(0) = 0`, `|u| ≤ 1`, minimise `∫₀¹⁰ (x² + x'² + u²) dt` over 20 piecewise-constant
//! values:
//!
//! ```no_run
//! use ai4de_inverse::design::{ControlKind, DesignProblem, VanDerPolControl};
//! use ai4de_inverse::optim::ProjectedLbfgsOptions;
//! let vdp = VanDerPolControl { mu: 1.0, rho: 1.0, terminal_weight: 0.0 };
//! let mut d = DesignProblem::new(vdp, (0.0, 10.0), vec![1.0, 0.0], 20, ControlKind::PiecewiseConstant)
//!     .unwrap()
//!     .control_bounds(vec![(-1.0, 1.0)])
//!     .unwrap();
//! let x0 = vec![0.0; d.n_design()];
//! let res = d.optimize(&x0, &ProjectedLbfgsOptions::default()).unwrap();
//! assert!(res.cost < 0.5 * res.history[0]);
//! ```

use std::cell::RefCell;

use ai4de_ode::jacobian::{DualScalar, JacDual};
use ai4de_ode::sensitivity::{
    check_params, ContinuousAdjoint, DiscreteAdjoint, HyperDual64, ParametricSystem, TrajectoryLoss,
};
use ai4de_ode::{Method, OdeError, OdeSystem, SaveAt, Solve};
use serde::Serialize;

use crate::optim::lm::Termination;
use crate::optim::{projected_gradient_norm, projected_lbfgs, Objective, ProjectedLbfgsOptions};
use crate::InverseError;

/// Most control components a [`ControlProblem`] may have (the control is assembled on the
/// stack in the right-hand side's hot path).
pub const MAX_CONTROLS: usize = 16;

/// Dynamics `y' = f(t, y, u, p)` with a control input `u` and design parameters `p`, and the
/// cost `∫ L dt + φ(y(T)) + R(p, θ)` (see the [module docs](self)).
///
/// Every function is generic over [`DualScalar`] (`f64` and dual numbers): derivatives are taken
/// by forward-mode automatic differentiation.
pub trait ControlProblem {
    /// Number of states `n`.
    fn dim(&self) -> usize;
    /// Number of control components (at most [`MAX_CONTROLS`]).
    fn n_controls(&self) -> usize;
    /// Number of design parameters (default 0).
    fn n_params(&self) -> usize {
        0
    }
    /// State names (default `y0, y1, …`).
    fn state_names(&self) -> Vec<String> {
        (0..self.dim()).map(|i| format!("y{i}")).collect()
    }
    /// `dy = f(t, y, u, p)`.
    fn rhs<T: DualScalar>(&self, t: T, y: &[T], u: &[T], p: &[T], dy: &mut [T]);
    /// Running cost `L(t, y, u, p)` (default 0).
    fn running_cost<T: DualScalar>(&self, t: T, y: &[T], u: &[T], p: &[T]) -> T {
        let _ = (t, y, u, p);
        T::from(0.0)
    }
    /// Terminal cost `φ(y(T), p)` (default 0).
    fn terminal_cost<T: DualScalar>(&self, y: &[T], p: &[T]) -> T {
        let _ = (y, p);
        T::from(0.0)
    }
    /// Penalty `R(p, θ)` of the design parameters and all control values `θ` (default 0).
    fn penalty<T: DualScalar>(&self, p: &[T], controls: &[T]) -> T {
        let _ = (p, controls);
        T::from(0.0)
    }
}

/// How the control is parametrised on its time grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ControlKind {
    /// `u(t) = θ_j` on `[τ_j, τ_{j+1})`: `N` values per component.
    PiecewiseConstant,
    /// `u` linear between the node values `θ_j = u(τ_j)`: `N + 1` values per component.
    PiecewiseLinear,
}

/// Which adjoint gives the gradient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AdjointMode {
    /// Optimise-then-discretise: backward solve of the adjoint equations (any method).
    #[default]
    Continuous,
    /// Discretise-then-optimise: exact gradient of an explicit Runge–Kutta solution.
    Discrete,
}

/// The control problem of the module example: Van der Pol's oscillator driven by a force,
/// `x'' − μ(1 − x²)x' + x = u`, as `y = (x, x')`, with running cost `x² + x'² + ρu²` and terminal
/// cost `w (x² + x'²)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VanDerPolControl {
    pub mu: f64,
    /// Weight `ρ` of the control energy.
    pub rho: f64,
    /// Weight `w` of the terminal cost.
    pub terminal_weight: f64,
}

impl ControlProblem for VanDerPolControl {
    fn dim(&self) -> usize {
        2
    }
    fn n_controls(&self) -> usize {
        1
    }
    fn state_names(&self) -> Vec<String> {
        vec!["x".into(), "v".into()]
    }
    fn rhs<T: DualScalar>(&self, _t: T, y: &[T], u: &[T], _p: &[T], dy: &mut [T]) {
        dy[0] = y[1];
        dy[1] = (-(y[0] * y[0]) + 1.0) * y[1] * self.mu - y[0] + u[0];
    }
    fn running_cost<T: DualScalar>(&self, _t: T, y: &[T], u: &[T], _p: &[T]) -> T {
        y[0] * y[0] + y[1] * y[1] + u[0] * u[0] * self.rho
    }
    fn terminal_cost<T: DualScalar>(&self, y: &[T], _p: &[T]) -> T {
        (y[0] * y[0] + y[1] * y[1]) * self.terminal_weight
    }
}

/// A design (optimal-control) problem: dynamics and cost, horizon, initial state, control grid,
/// bounds and solver settings. The design vector is `x = (p, θ)` with `θ` ordered by grid
/// index, then control component (`θ[j·n_u + c]`).
#[derive(Debug, Clone)]
pub struct DesignProblem<P: ControlProblem> {
    pub problem: P,
    pub t0: f64,
    pub t_end: f64,
    pub y0: Vec<f64>,
    /// Grid nodes `τ₀ = t₀ < … < τ_N = T`.
    pub grid: Vec<f64>,
    pub kind: ControlKind,
    /// Bounds of each control component (default unbounded).
    pub u_bounds: Vec<(f64, f64)>,
    /// Bounds of each design parameter (default unbounded).
    pub p_bounds: Vec<(f64, f64)>,
    /// Default [`Method::Tsit5`].
    pub method: Method,
    pub rtol: f64,
    pub atol: f64,
    pub max_steps: usize,
    pub adjoint: AdjointMode,
}

/// A controlled trajectory from [`DesignProblem::simulate`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Simulation {
    pub t: Vec<f64>,
    /// States, row-major (`t.len() × n`).
    pub y: Vec<f64>,
    /// Controls, row-major (`t.len() × n_u`; at an interval's end the value applied on it).
    pub u: Vec<f64>,
}

/// Result of [`DesignProblem::optimize`].
#[derive(Debug, Clone, Serialize)]
pub struct DesignResult {
    /// The optimal design vector `(p, θ)`.
    pub x: Vec<f64>,
    pub cost: f64,
    /// `J` after each iteration (first entry: the start).
    pub history: Vec<f64>,
    /// `‖x − P(x − ∇J)‖∞` at the optimum (first-order optimality).
    pub projected_gradient: f64,
    pub gradient: Vec<f64>,
    pub iterations: usize,
    pub value_evals: usize,
    pub gradient_evals: usize,
    pub termination: Termination,
    /// `y(T)` at the optimum.
    pub y_final: Vec<f64>,
}

impl<P: ControlProblem> DesignProblem<P> {
    /// A problem on `[t_span.0, t_span.1]` with `intervals` equal control intervals, unbounded
    /// controls and parameters, Tsit5 at `rtol = 1e-8`, `atol = 1e-10`, continuous adjoint.
    ///
    /// Errors: [`InverseError::InvalidOption`] for an empty or non-finite span, zero intervals,
    /// no or too many control components; [`InverseError::DimensionMismatch`] /
    /// [`InverseError::NonFinite`] for a bad `y0`.
    pub fn new(
        problem: P,
        t_span: (f64, f64),
        y0: Vec<f64>,
        intervals: usize,
        kind: ControlKind,
    ) -> Result<Self, InverseError> {
        let (t0, t_end) = t_span;
        if !(t0.is_finite() && t_end.is_finite() && t_end > t0) {
            return Err(InverseError::InvalidOption {
                name: "t_span",
                reason: format!("need finite t0 < t_end, got ({t0}, {t_end})"),
            });
        }
        let grid = (0..=intervals)
            .map(|j| {
                if j == intervals {
                    t_end
                } else {
                    t0 + (t_end - t0) * j as f64 / intervals as f64
                }
            })
            .collect();
        Self::with_grid(problem, y0, grid, kind)
    }

    /// A problem on an explicit control grid `τ₀ < … < τ_N` (the horizon is `[τ₀, τ_N]`).
    pub fn with_grid(
        problem: P,
        y0: Vec<f64>,
        grid: Vec<f64>,
        kind: ControlKind,
    ) -> Result<Self, InverseError> {
        if grid.len() < 2 {
            return Err(InverseError::InvalidOption {
                name: "intervals",
                reason: "the control grid needs at least one interval".into(),
            });
        }
        if grid.iter().any(|t| !t.is_finite()) || grid.windows(2).any(|w| w[1] <= w[0]) {
            return Err(InverseError::InvalidOption {
                name: "grid",
                reason: "control grid nodes must be finite and strictly increasing".into(),
            });
        }
        let nu = problem.n_controls();
        if nu == 0 || nu > MAX_CONTROLS {
            return Err(InverseError::InvalidOption {
                name: "n_controls",
                reason: format!("need 1 to {MAX_CONTROLS} control components, got {nu}"),
            });
        }
        if y0.len() != problem.dim() {
            return Err(InverseError::DimensionMismatch {
                what: "y0",
                expected: problem.dim(),
                found: y0.len(),
            });
        }
        if let Some(i) = y0.iter().position(|v| !v.is_finite()) {
            return Err(InverseError::NonFinite {
                what: "initial state",
                params: vec![(format!("y0[{i}]"), y0[i])],
            });
        }
        let np = problem.n_params();
        Ok(Self {
            t0: grid[0],
            t_end: *grid.last().expect("at least two nodes"),
            y0,
            grid,
            kind,
            u_bounds: vec![(f64::NEG_INFINITY, f64::INFINITY); nu],
            p_bounds: vec![(f64::NEG_INFINITY, f64::INFINITY); np],
            method: Method::Tsit5,
            rtol: 1e-8,
            atol: 1e-10,
            max_steps: 100_000,
            adjoint: AdjointMode::Continuous,
            problem,
        })
    }

    /// Bounds `(lo, hi)` of each control component.
    pub fn control_bounds(mut self, bounds: Vec<(f64, f64)>) -> Result<Self, InverseError> {
        check_bounds(&bounds, self.problem.n_controls(), "u")?;
        self.u_bounds = bounds;
        Ok(self)
    }

    /// Bounds `(lo, hi)` of each design parameter.
    pub fn param_bounds(mut self, bounds: Vec<(f64, f64)>) -> Result<Self, InverseError> {
        check_bounds(&bounds, self.problem.n_params(), "p")?;
        self.p_bounds = bounds;
        Ok(self)
    }

    /// Number of control intervals `N`.
    pub fn intervals(&self) -> usize {
        self.grid.len() - 1
    }

    /// Number of control values `θ`.
    pub fn n_control_values(&self) -> usize {
        let nu = self.problem.n_controls();
        match self.kind {
            ControlKind::PiecewiseConstant => self.intervals() * nu,
            ControlKind::PiecewiseLinear => (self.intervals() + 1) * nu,
        }
    }

    /// Length of the design vector `(p, θ)`.
    pub fn n_design(&self) -> usize {
        self.problem.n_params() + self.n_control_values()
    }

    /// Lower and upper bounds of the design vector.
    pub fn bounds(&self) -> (Vec<f64>, Vec<f64>) {
        let nu = self.problem.n_controls();
        let mut lo: Vec<f64> = self.p_bounds.iter().map(|b| b.0).collect();
        let mut hi: Vec<f64> = self.p_bounds.iter().map(|b| b.1).collect();
        for k in 0..self.n_control_values() {
            lo.push(self.u_bounds[k % nu].0);
            hi.push(self.u_bounds[k % nu].1);
        }
        (lo, hi)
    }

    /// Grid index of the interval holding `t` (the last one for `t ≥ τ_N`).
    fn interval_of(&self, t: f64) -> usize {
        let j = self.grid.partition_point(|&g| g <= t);
        j.saturating_sub(1).min(self.intervals() - 1)
    }

    /// `u(t)` for design vector `x`.
    pub fn control_at(&self, x: &[f64], t: f64) -> Vec<f64> {
        let nu = self.problem.n_controls();
        let np = self.problem.n_params();
        let j = self.interval_of(t);
        let th = &x[np + j * nu..];
        match self.kind {
            ControlKind::PiecewiseConstant => th[..nu].to_vec(),
            ControlKind::PiecewiseLinear => {
                let s = (t - self.grid[j]) / (self.grid[j + 1] - self.grid[j]);
                (0..nu).map(|c| th[c] + (th[nu + c] - th[c]) * s).collect()
            }
        }
    }

    fn check_x(&self, x: &[f64]) -> Result<(), InverseError> {
        if x.len() != self.n_design() {
            return Err(InverseError::DimensionMismatch {
                what: "design vector",
                expected: self.n_design(),
                found: x.len(),
            });
        }
        if let Some(i) = x.iter().position(|v| !v.is_finite()) {
            return Err(InverseError::NonFinite {
                what: "design vector",
                params: vec![(format!("x[{i}]"), x[i])],
            });
        }
        Ok(())
    }

    fn named(&self, x: &[f64]) -> Vec<(String, f64)> {
        let np = self.problem.n_params();
        let mut v: Vec<(String, f64)> = (0..np).map(|i| (format!("p[{i}]"), x[i])).collect();
        if x.len() > np {
            let th = &x[np..];
            let umax = th.iter().fold(0.0f64, |a, v| a.max(v.abs()));
            v.push(("max |control value|".into(), umax));
        }
        v
    }

    fn interval(&self, x: &[f64], j: usize, quad: bool) -> Interval<'_, P> {
        let nu = self.problem.n_controls();
        let np = self.problem.n_params();
        let m = match self.kind {
            ControlKind::PiecewiseConstant => nu,
            ControlKind::PiecewiseLinear => 2 * nu,
        };
        let mut params = x[..np].to_vec();
        params.extend_from_slice(&x[np + j * nu..np + j * nu + m]);
        Interval {
            prob: &self.problem,
            ta: self.grid[j],
            tb: self.grid[j + 1],
            linear: self.kind == ControlKind::PiecewiseLinear,
            n: self.problem.dim(),
            nu,
            np,
            quad,
            pd: RefCell::new(params.iter().map(|&v| JacDual::from_re(v)).collect()),
            params,
        }
    }

    fn solve_interval(
        &self,
        iv: &Interval<'_, P>,
        y: &[f64],
        x: &[f64],
    ) -> Result<Vec<f64>, InverseError> {
        let sol = Solve::new(iv, (iv.ta, iv.tb), y)
            .method(self.method)
            .rtol(self.rtol)
            .atol(self.atol)
            .max_steps(self.max_steps)
            .save_at(SaveAt::Final)
            .run()
            .map_err(|e| self.failed(x, e))?;
        let yf = sol.y_final().to_vec();
        if yf.iter().any(|v| !v.is_finite()) {
            return Err(InverseError::NonFinite {
                what: "state",
                params: self.named(x),
            });
        }
        Ok(yf)
    }

    fn failed(&self, x: &[f64], e: OdeError) -> InverseError {
        InverseError::EvaluationFailed {
            params: self.named(x),
            reason: e.to_string(),
        }
    }

    /// `φ(y, p)` and its gradients by dual numbers.
    fn terminal(&self, y: &[f64], p: &[f64]) -> (f64, Vec<f64>, Vec<f64>) {
        let mut yd: Vec<JacDual> = y.iter().map(|&v| JacDual::from_re(v)).collect();
        let mut pd: Vec<JacDual> = p.iter().map(|&v| JacDual::from_re(v)).collect();
        let val = self.problem.terminal_cost(y, p);
        let mut gy = vec![0.0; y.len()];
        for k in 0..y.len() {
            yd[k].eps = 1.0;
            gy[k] = self.problem.terminal_cost(&yd, &pd).eps;
            yd[k].eps = 0.0;
        }
        let mut gp = vec![0.0; p.len()];
        for k in 0..p.len() {
            pd[k].eps = 1.0;
            gp[k] = self.problem.terminal_cost(&yd, &pd).eps;
            pd[k].eps = 0.0;
        }
        (val, gy, gp)
    }

    /// `R(p, θ)` and, if `grad` is given, its gradient added to `grad`.
    fn penalty(&self, x: &[f64], grad: Option<&mut [f64]>) -> f64 {
        let np = self.problem.n_params();
        let val = self.problem.penalty(&x[..np], &x[np..]);
        if let Some(g) = grad {
            let mut xd: Vec<JacDual> = x.iter().map(|&v| JacDual::from_re(v)).collect();
            for k in 0..x.len() {
                xd[k].eps = 1.0;
                g[k] += self.problem.penalty(&xd[..np], &xd[np..]).eps;
                xd[k].eps = 0.0;
            }
        }
        val
    }

    /// The trajectory at the grid nodes and `J`, by forward solves with the running cost as an
    /// extra state.
    fn forward_quad(&self, x: &[f64]) -> Result<(Vec<Vec<f64>>, f64), InverseError> {
        let n = self.problem.dim();
        let mut nodes = Vec::with_capacity(self.grid.len());
        let mut y = self.y0.clone();
        y.push(0.0);
        let mut running = 0.0;
        nodes.push(self.y0.clone());
        for j in 0..self.intervals() {
            let iv = self.interval(x, j, true);
            let yf = self.solve_interval(&iv, &y, x)?;
            running += yf[n];
            y.copy_from_slice(&yf);
            y[n] = 0.0;
            nodes.push(yf[..n].to_vec());
        }
        let np = self.problem.n_params();
        let last = nodes.last().expect("at least one node");
        let j = running + self.problem.terminal_cost(last, &x[..np]) + self.penalty(x, None);
        Ok((nodes, j))
    }

    /// `J(x)` (forward solves only).
    ///
    /// Errors: a wrong-length or non-finite `x`; [`InverseError::EvaluationFailed`] when a
    /// solve fails; [`InverseError::NonFinite`] for a non-finite state or cost.
    pub fn cost(&self, x: &[f64]) -> Result<f64, InverseError> {
        self.check_x(x)?;
        let (_, j) = self.forward_quad(x)?;
        if !j.is_finite() {
            return Err(InverseError::NonFinite {
                what: "design cost",
                params: self.named(x),
            });
        }
        Ok(j)
    }

    /// `J(x)` and `∇J(x)` by the adjoint of [`DesignProblem::adjoint`] (see the module doc).
    ///
    /// Errors: those of [`DesignProblem::cost`]; [`InverseError::InvalidOption`] for the
    /// discrete adjoint with an implicit method.
    pub fn cost_gradient(&self, x: &[f64], grad: &mut [f64]) -> Result<f64, InverseError> {
        self.check_x(x)?;
        if grad.len() != x.len() {
            return Err(InverseError::DimensionMismatch {
                what: "gradient",
                expected: x.len(),
                found: grad.len(),
            });
        }
        grad.fill(0.0);
        let n = self.problem.dim();
        let np = self.problem.n_params();
        let nu = self.problem.n_controls();
        // node states: for the continuous adjoint from plain solves (the same ones its forward
        // pass repeats), for the discrete one from the augmented system it differentiates
        let nodes = match self.adjoint {
            AdjointMode::Discrete => self.forward_quad(x)?.0,
            AdjointMode::Continuous => {
                let mut nodes = vec![self.y0.clone()];
                for j in 0..self.intervals() {
                    let iv = self.interval(x, j, false);
                    let y = self.solve_interval(&iv, &nodes[j], x)?;
                    nodes.push(y);
                }
                nodes
            }
        };
        let (phi, phi_y, phi_p) = self.terminal(&nodes[self.intervals()], &x[..np]);
        grad[..np].copy_from_slice(&phi_p);
        let mut lam = phi_y;
        let mut total = phi;
        for j in (0..self.intervals()).rev() {
            let (loss, dy0, dp) = match self.adjoint {
                AdjointMode::Continuous => {
                    let iv = self.interval(x, j, false);
                    let loss = IntervalLoss {
                        times: [iv.tb],
                        lam: &lam,
                        iv: &iv,
                        scratch: RefCell::new((
                            vec![JacDual::from_re(0.0); n],
                            vec![JacDual::from_re(0.0); iv.params.len()],
                        )),
                    };
                    let g = ContinuousAdjoint::new(&iv, (iv.ta, iv.tb), &nodes[j], &loss)
                        .method(self.method)
                        .rtol(self.rtol)
                        .atol(self.atol)
                        .max_steps(self.max_steps)
                        .run()
                        .map_err(|e| self.failed(x, e))?;
                    (g.loss, g.dy0, g.dp)
                }
                AdjointMode::Discrete => {
                    let iv = self.interval(x, j, true);
                    let loss = QuadLoss {
                        times: [iv.tb],
                        lam: &lam,
                    };
                    let mut y = nodes[j].clone();
                    y.push(0.0);
                    let g = DiscreteAdjoint::new(&iv, (iv.ta, iv.tb), &y, &loss)
                        .method(self.method)
                        .rtol(self.rtol)
                        .atol(self.atol)
                        .max_steps(self.max_steps)
                        .run()
                        .map_err(|e| match e {
                            OdeError::InvalidOption { name, reason } => {
                                InverseError::InvalidOption {
                                    name,
                                    reason: reason.to_string(),
                                }
                            }
                            e => self.failed(x, e),
                        })?
                        .gradient;
                    (g.loss, g.dy0[..n].to_vec(), g.dp)
                }
            };
            total += loss;
            lam = dy0;
            for (g, d) in grad[..np].iter_mut().zip(&dp[..np]) {
                *g += d;
            }
            for (g, d) in grad[np + j * nu..].iter_mut().zip(&dp[np..]) {
                *g += d;
            }
        }
        total += self.penalty(x, Some(grad));
        if !total.is_finite() || grad.iter().any(|v| !v.is_finite()) {
            return Err(InverseError::NonFinite {
                what: "design cost or gradient",
                params: self.named(x),
            });
        }
        Ok(total)
    }

    /// The optimal design from `x0` (projected into the bounds) by [`projected_lbfgs`].
    pub fn optimize(
        &mut self,
        x0: &[f64],
        opts: &ProjectedLbfgsOptions,
    ) -> Result<DesignResult, InverseError> {
        self.check_x(x0)?;
        let (lo, hi) = self.bounds();
        let rep = projected_lbfgs(&mut DesignObjective(self), x0, &lo, &hi, opts)?;
        let (nodes, _) = self.forward_quad(&rep.x)?;
        Ok(DesignResult {
            projected_gradient: projected_gradient_norm(&rep.x, &rep.grad, &lo, &hi),
            x: rep.x,
            cost: rep.f,
            history: rep.history,
            gradient: rep.grad,
            iterations: rep.iterations,
            value_evals: rep.value_evals,
            gradient_evals: rep.gradient_evals,
            termination: rep.termination,
            y_final: nodes.last().expect("at least one node").clone(),
        })
    }

    /// The state and control on `per_interval` equal sub-steps of every control interval
    /// (for plots).
    pub fn simulate(&self, x: &[f64], per_interval: usize) -> Result<Simulation, InverseError> {
        self.check_x(x)?;
        let per = per_interval.max(1);
        let mut ts = vec![self.t0];
        let mut ys = self.y0.clone();
        let mut us = self.control_at(x, self.t0);
        let mut y = self.y0.clone();
        for j in 0..self.intervals() {
            let iv = self.interval(x, j, false);
            let times: Vec<f64> = (1..=per)
                .map(|k| {
                    if k == per {
                        iv.tb
                    } else {
                        iv.ta + (iv.tb - iv.ta) * k as f64 / per as f64
                    }
                })
                .collect();
            let sol = Solve::new(&iv, (iv.ta, iv.tb), &y)
                .method(self.method)
                .rtol(self.rtol)
                .atol(self.atol)
                .max_steps(self.max_steps)
                .save_at(SaveAt::Times(times.clone()))
                .run()
                .map_err(|e| self.failed(x, e))?;
            for (k, &t) in times.iter().enumerate() {
                ts.push(t);
                ys.extend_from_slice(sol.row(k));
                // the control as applied on this interval (left limit at its end)
                let s = (t - iv.ta) / (iv.tb - iv.ta);
                for c in 0..iv.nu {
                    let a = iv.params[iv.np + c];
                    us.push(if iv.linear {
                        a + (iv.params[iv.np + iv.nu + c] - a) * s
                    } else {
                        a
                    });
                }
            }
            y = sol.y_final().to_vec();
        }
        Ok(Simulation {
            t: ts,
            y: ys,
            u: us,
        })
    }
}

fn check_bounds(bounds: &[(f64, f64)], n: usize, what: &str) -> Result<(), InverseError> {
    if bounds.len() != n {
        return Err(InverseError::DimensionMismatch {
            what: "bounds",
            expected: n,
            found: bounds.len(),
        });
    }
    for (i, &(lo, hi)) in bounds.iter().enumerate() {
        if lo.is_nan() || hi.is_nan() || lo >= hi {
            return Err(InverseError::InvalidBounds {
                name: format!("{what}[{i}]"),
                lo,
                hi,
                reason: "need lo < hi",
            });
        }
    }
    Ok(())
}

/// The design cost as an [`Objective`] for the optimisers.
pub struct DesignObjective<'a, P: ControlProblem>(pub &'a DesignProblem<P>);

impl<P: ControlProblem> Objective for DesignObjective<'_, P> {
    fn n_params(&self) -> usize {
        self.0.n_design()
    }
    fn value_grad(&mut self, x: &[f64], grad: &mut [f64]) -> Result<f64, InverseError> {
        self.0.cost_gradient(x, grad)
    }
    fn value(&mut self, x: &[f64]) -> Result<f64, InverseError> {
        self.0.cost(x)
    }
}

/// One control interval as a [`ParametricSystem`] whose parameters are the design parameters
/// and the interval's control values; with `quad`, the running cost is an extra state.
struct Interval<'a, P> {
    prob: &'a P,
    ta: f64,
    tb: f64,
    linear: bool,
    n: usize,
    nu: usize,
    np: usize,
    quad: bool,
    params: Vec<f64>,
    /// `params` as constant duals, for `rhs_dual`.
    pd: RefCell<Vec<JacDual>>,
}

impl<P: ControlProblem> Interval<'_, P> {
    /// `u(t)` from the parameter vector into `u`.
    fn control<T: DualScalar>(&self, t: T, prm: &[T], u: &mut [T]) {
        let th = &prm[self.np..];
        if self.linear {
            let s = (t - self.ta) / (self.tb - self.ta);
            for c in 0..self.nu {
                u[c] = th[c] + (th[self.nu + c] - th[c]) * s;
            }
        } else {
            u[..self.nu].copy_from_slice(&th[..self.nu]);
        }
    }

    fn eval<T: DualScalar>(&self, t: T, y: &[T], prm: &[T], dy: &mut [T]) {
        let mut buf = [T::from(0.0); MAX_CONTROLS];
        let u = &mut buf[..self.nu];
        self.control(t, prm, u);
        let p = &prm[..self.np];
        self.prob.rhs(t, &y[..self.n], u, p, &mut dy[..self.n]);
        if self.quad {
            dy[self.n] = self.prob.running_cost(t, &y[..self.n], u, p);
        }
    }

    fn running<T: DualScalar>(&self, t: T, y: &[T], prm: &[T]) -> T {
        let mut buf = [T::from(0.0); MAX_CONTROLS];
        let u = &mut buf[..self.nu];
        self.control(t, prm, u);
        self.prob.running_cost(t, y, u, &prm[..self.np])
    }
}

impl<P: ControlProblem> OdeSystem for Interval<'_, P> {
    fn dim(&self) -> usize {
        self.n + usize::from(self.quad)
    }
    fn rhs(&self, t: f64, y: &[f64], dy: &mut [f64]) {
        self.eval(t, y, &self.params, dy);
    }
    fn rhs_dual(&self, t: JacDual, y: &[JacDual], dy: &mut [JacDual]) -> bool {
        let pd = self.pd.borrow();
        self.eval(t, y, &pd, dy);
        true
    }
}

impl<P: ControlProblem> ParametricSystem for Interval<'_, P> {
    fn n_params(&self) -> usize {
        self.params.len()
    }
    fn param_values(&self) -> Vec<f64> {
        self.params.clone()
    }
    fn set_params(&mut self, p: &[f64]) -> Result<(), OdeError> {
        check_params(p, self.params.len())?;
        self.params.copy_from_slice(p);
        *self.pd.get_mut() = p.iter().map(|&v| JacDual::from_re(v)).collect();
        Ok(())
    }
    fn rhs_params_dual(
        &self,
        t: JacDual,
        y: &[JacDual],
        p: &[JacDual],
        dy: &mut [JacDual],
    ) -> bool {
        self.eval(t, y, p, dy);
        true
    }
    fn rhs_params_hyperdual(
        &self,
        t: HyperDual64,
        y: &[HyperDual64],
        p: &[HyperDual64],
        dy: &mut [HyperDual64],
    ) -> bool {
        self.eval(t, y, p, dy);
        true
    }
}

/// The continuous adjoint's loss on one interval: the running cost, and the costate of the
/// later intervals as the point cost `λᵀ y(τ_{j+1})` (value not counted; it is the gradient
/// that carries it).
struct IntervalLoss<'a, 'b, P> {
    times: [f64; 1],
    lam: &'a [f64],
    iv: &'a Interval<'b, P>,
    scratch: RefCell<(Vec<JacDual>, Vec<JacDual>)>,
}

impl<P: ControlProblem> TrajectoryLoss for IntervalLoss<'_, '_, P> {
    fn times(&self) -> &[f64] {
        &self.times
    }
    fn point(&self, _i: usize, _t: f64, _y: &[f64], grad: &mut [f64]) -> f64 {
        grad.copy_from_slice(self.lam);
        0.0
    }
    fn running(
        &self,
        t: f64,
        y: &[f64],
        p: &[f64],
        g_y: &mut [f64],
        g_p: &mut [f64],
    ) -> Option<f64> {
        let mut s = self.scratch.borrow_mut();
        let (yd, pd) = &mut *s;
        for (d, &v) in yd.iter_mut().zip(y) {
            *d = JacDual::from_re(v);
        }
        for (d, &v) in pd.iter_mut().zip(p) {
            *d = JacDual::from_re(v);
        }
        let td = JacDual::from_re(t);
        for k in 0..y.len() {
            yd[k].eps = 1.0;
            g_y[k] = self.iv.running(td, yd, pd).eps;
            yd[k].eps = 0.0;
        }
        for k in 0..p.len() {
            pd[k].eps = 1.0;
            g_p[k] = self.iv.running(td, yd, pd).eps;
            pd[k].eps = 0.0;
        }
        Some(self.iv.running(t, y, p))
    }
    fn has_running(&self) -> bool {
        true
    }
}

/// The discrete adjoint's loss on one interval of the augmented system `(y, q)`: `q(τ_{j+1})`
/// (the interval's running cost) plus the later intervals' costate `λᵀ y(τ_{j+1})` (gradient
/// only).
struct QuadLoss<'a> {
    times: [f64; 1],
    lam: &'a [f64],
}

impl TrajectoryLoss for QuadLoss<'_> {
    fn times(&self) -> &[f64] {
        &self.times
    }
    fn point(&self, _i: usize, _t: f64, y: &[f64], grad: &mut [f64]) -> f64 {
        let n = self.lam.len();
        grad[..n].copy_from_slice(self.lam);
        grad[n] = 1.0;
        y[n]
    }
}
