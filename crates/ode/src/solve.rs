//! The user-facing entry point: `Solve::new(system, (t0, t_end), y0)...run()`.

use crate::bdf;
use crate::error::OdeError;
use crate::jacobian::JacobianOptions;
use crate::krylov::LinearSolverChoice;
use crate::methods::{
    Bs3, Dop853, Dp5, Euler, Method, Rk4, Rodas4, Rodas5P, Rosenbrock23, Tsit5, Vern7, Vern9,
};
use crate::solution::Solution;
use crate::system::OdeSystem;
use crate::{rk, rosenbrock};

/// Which states a solve keeps.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum SaveAt {
    /// `t0` and every accepted step (the last one at `t_end`).
    #[default]
    Steps,
    /// Only the final state.
    Final,
    /// The given times, through dense output. They must lie in the time span and be monotone in
    /// the direction of integration.
    Times(Vec<f64>),
}

/// A relative or absolute tolerance: one value for all components or one per component.
#[derive(Debug, Clone, PartialEq)]
pub enum Tolerance {
    Scalar(f64),
    Vector(Vec<f64>),
}

impl Tolerance {
    #[inline]
    pub(crate) fn get(&self, i: usize) -> f64 {
        match self {
            Tolerance::Scalar(v) => *v,
            Tolerance::Vector(v) => v[i],
        }
    }
}

/// Which zero crossings of an event function count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Direction {
    /// `g` goes from negative to non-negative.
    Rising,
    /// `g` goes from positive to non-positive.
    Falling,
    /// Either.
    #[default]
    Either,
}

/// A boxed event function `g(t, y)`.
pub(crate) type EventFn<'a> = Box<dyn FnMut(f64, &[f64]) -> f64 + 'a>;

/// An event: a function `g(t, y)` whose zero crossings are located to (nearly) machine precision
/// with the dense output. A terminal event stops the integration there.
pub struct Event<'a> {
    pub(crate) g: EventFn<'a>,
    pub(crate) direction: Direction,
    pub(crate) terminal: bool,
}

impl<'a> Event<'a> {
    /// A non-terminal event on both crossing directions.
    pub fn new(g: impl FnMut(f64, &[f64]) -> f64 + 'a) -> Self {
        Self {
            g: Box::new(g),
            direction: Direction::Either,
            terminal: false,
        }
    }
    pub fn direction(mut self, direction: Direction) -> Self {
        self.direction = direction;
        self
    }
    pub fn terminal(mut self, terminal: bool) -> Self {
        self.terminal = terminal;
        self
    }
}

impl std::fmt::Debug for Event<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Event")
            .field("direction", &self.direction)
            .field("terminal", &self.terminal)
            .finish_non_exhaustive()
    }
}

/// Solver options; see the builder methods of [`Solve`] for their meaning.
#[derive(Debug, Clone)]
pub struct Options {
    pub rtol: Tolerance,
    pub atol: Tolerance,
    pub max_steps: usize,
    pub h0: Option<f64>,
    pub h_max: Option<f64>,
    pub dt: Option<f64>,
    pub save_at: SaveAt,
    pub safety: f64,
    pub q_min: f64,
    pub q_max: f64,
    /// How the stiff methods obtain `∂f/∂y`: source, dense/sparse storage, sparsity pattern,
    /// finite-difference scales.
    pub jacobian: JacobianOptions,
    /// How BDF/NDF solve their linear systems: LU (default) or preconditioned GMRES.
    pub linear_solver: LinearSolverChoice,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            rtol: Tolerance::Scalar(1e-6),
            atol: Tolerance::Scalar(1e-9),
            max_steps: 100_000,
            h0: None,
            h_max: None,
            dt: None,
            save_at: SaveAt::Steps,
            safety: 0.9,
            q_min: 0.2,
            q_max: 10.0,
            jacobian: JacobianOptions::default(),
            linear_solver: LinearSolverChoice::Direct,
        }
    }
}

/// Builder for one integration of `y' = f(t, y)` from `t0` to `t_end` (which may be less than
/// `t0`: backward integration).
///
/// ```
/// use ai4de_ode::{FnSystem, Method, SaveAt, Solve};
/// let decay = FnSystem::new(1, |_t, y: &[f64], dy: &mut [f64]| dy[0] = -y[0]);
/// let sol = Solve::new(&decay, (0.0, 1.0), &[1.0])
///     .method(Method::Tsit5)
///     .rtol(1e-10)
///     .atol(1e-12)
///     .save_at(SaveAt::Final)
///     .run()
///     .unwrap();
/// assert!((sol.y_final()[0] - (-1.0f64).exp()).abs() < 1e-9);
/// ```
pub struct Solve<'a, S: OdeSystem + ?Sized> {
    pub(crate) system: &'a S,
    pub(crate) t0: f64,
    pub(crate) t_end: f64,
    pub(crate) y0: &'a [f64],
    pub(crate) method: Method,
    pub(crate) options: Options,
    pub(crate) events: Vec<Event<'a>>,
}

impl<'a, S: OdeSystem + ?Sized> Solve<'a, S> {
    pub fn new(system: &'a S, t_span: (f64, f64), y0: &'a [f64]) -> Self {
        Self {
            system,
            t0: t_span.0,
            t_end: t_span.1,
            y0,
            method: Method::default(),
            options: Options::default(),
            events: Vec::new(),
        }
    }
    /// The integration method (default [`Method::Tsit5`]).
    pub fn method(mut self, method: Method) -> Self {
        self.method = method;
        self
    }
    /// Relative tolerance (default 1e-6).
    pub fn rtol(mut self, rtol: f64) -> Self {
        self.options.rtol = Tolerance::Scalar(rtol);
        self
    }
    /// Absolute tolerance (default 1e-9).
    pub fn atol(mut self, atol: f64) -> Self {
        self.options.atol = Tolerance::Scalar(atol);
        self
    }
    /// Per-component relative tolerances.
    pub fn rtol_vec(mut self, rtol: Vec<f64>) -> Self {
        self.options.rtol = Tolerance::Vector(rtol);
        self
    }
    /// Per-component absolute tolerances.
    pub fn atol_vec(mut self, atol: Vec<f64>) -> Self {
        self.options.atol = Tolerance::Vector(atol);
        self
    }
    /// Maximum number of steps (accepted + rejected) before [`OdeError::MaxStepsReached`]
    /// (default 100 000).
    pub fn max_steps(mut self, max_steps: usize) -> Self {
        self.options.max_steps = max_steps;
        self
    }
    /// How the stiff methods obtain the Jacobian `∂f/∂y` (default: analytic if the system has
    /// it, else dual numbers, else coloured finite differences; dense or sparse storage chosen
    /// from the sparsity pattern): force a [`JacobianSource`](crate::jacobian::JacobianSource),
    /// dense or sparse storage, a sparsity pattern (e.g. from
    /// [`detect_sparsity`](crate::jacobian::detect_sparsity)) or finite-difference scales.
    /// Ignored by the explicit methods.
    pub fn jacobian(mut self, options: JacobianOptions) -> Self {
        self.options.jacobian = options;
        self
    }
    /// How the implicit methods solve `(c·M − J) x = b` (default
    /// [`LinearSolverChoice::Direct`], LU): [`LinearSolverChoice::Gmres`] selects the
    /// Newton–Krylov path of [`crate::krylov`], supported by [`Method::Bdf`] and [`Method::Ndf`]
    /// only (other methods return [`OdeError::InvalidOption`]).
    pub fn linear_solver(mut self, choice: LinearSolverChoice) -> Self {
        self.options.linear_solver = choice;
        self
    }
    /// Initial step size magnitude (default: Hairer's automatic choice).
    pub fn h0(mut self, h0: f64) -> Self {
        self.options.h0 = Some(h0);
        self
    }
    /// Largest step size magnitude (default: the whole span).
    pub fn h_max(mut self, h_max: f64) -> Self {
        self.options.h_max = Some(h_max);
        self
    }
    /// Fixed step size: required by [`Method::Rk4`] and [`Method::Euler`]; with it, the adaptive
    /// methods also take fixed steps without error control (for convergence studies). The last
    /// step is shortened to land on `t_end`.
    pub fn dt(mut self, dt: f64) -> Self {
        self.options.dt = Some(dt);
        self
    }
    /// Which states to keep (default [`SaveAt::Steps`]).
    pub fn save_at(mut self, save_at: SaveAt) -> Self {
        self.options.save_at = save_at;
        self
    }
    /// Replaces all options at once.
    pub fn options(mut self, options: Options) -> Self {
        self.options = options;
        self
    }
    /// Adds an event.
    pub fn event(mut self, event: Event<'a>) -> Self {
        self.events.push(event);
        self
    }

    /// Runs the integration.
    pub fn run(self) -> Result<Solution, OdeError> {
        if let LinearSolverChoice::Gmres(g) = &self.options.linear_solver {
            if !matches!(self.method, Method::Bdf | Method::Ndf) {
                return Err(OdeError::InvalidOption {
                    name: "linear_solver",
                    reason: format!(
                        "GMRES is supported by bdf and ndf only, not {:?}",
                        self.method
                    ),
                });
            }
            g.validate()?;
        }
        match self.method {
            Method::Tsit5 => rk::integrate::<Tsit5, S>(self),
            Method::Dp5 => rk::integrate::<Dp5, S>(self),
            Method::Dop853 => rk::integrate::<Dop853, S>(self),
            Method::Vern7 => rk::integrate::<Vern7, S>(self),
            Method::Vern9 => rk::integrate::<Vern9, S>(self),
            Method::Bs3 => rk::integrate::<Bs3, S>(self),
            Method::Rk4 => rk::integrate::<Rk4, S>(self),
            Method::Euler => rk::integrate::<Euler, S>(self),
            Method::Radau5 => crate::radau::integrate(self),
            Method::Rodas5P => rosenbrock::integrate::<Rodas5P, S>(self),
            Method::Rodas4 => rosenbrock::integrate::<Rodas4, S>(self),
            Method::Rosenbrock23 => rosenbrock::integrate::<Rosenbrock23, S>(self),
            Method::Bdf => bdf::integrate(self, &bdf::KAPPA_BDF),
            Method::Ndf => bdf::integrate(self, &bdf::KAPPA_NDF),
            Method::Auto => crate::auto::integrate(self),
        }
    }
}
