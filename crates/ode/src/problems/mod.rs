//! Built-in test problems.
//!
//! Each problem is a concrete struct implementing [`OdeSystem`] with public `f64` parameter fields
//! and an `#[inline]`, allocation-free right-hand side, so benchmarks and tests can use it
//! monomorphised:
//!
//! ```
//! use ai4de_ode::problems::Lorenz;
//! use ai4de_ode::OdeSystem;
//! let lorenz = Lorenz { rho: 10.0, ..Lorenz::default() };
//! let mut dy = [0.0; 3];
//! lorenz.rhs(0.0, &[1.0, 1.0, 1.0], &mut dy);
//! assert_eq!(dy, [0.0, 8.0, 1.0 - 8.0 / 3.0]);
//! ```
//!
//! The [`catalogue`] wraps every problem in a uniform [`Problem`] entry (name, one-line
//! description, citation, state names, parameters, default time span and initial state, and a
//! [`Reference`] to check against) for the command line:
//!
//! ```
//! use ai4de_ode::problems;
//! let mut p = problems::get("lorenz").unwrap();
//! p.set_param("rho", 10.0).unwrap();
//! assert_eq!(p.param("rho"), Some(10.0));
//! assert!(p.set_param("foo", 1.0).is_err());
//! ```
//!
//! | name        | system                   | dim | reference                               |
//! |-------------|--------------------------|-----|-----------------------------------------|
//! | `decay`     | [`Decay`]                | 1   | exact                                   |
//! | `linear`    | [`DampedOscillator`]     | 2   | exact                                   |
//! | `lorenz`    | [`Lorenz`]               | 3   | none (chaotic)                          |
//! | `arenstorf` | [`Arenstorf`]            | 4   | period (HNW I §II.0)                    |
//! | `pleiades`  | [`Pleiades`]             | 28  | final state at t = 3 (Bari test set)    |
//! | `vdp`       | [`VanDerPol`]            | 2   | period of the limit cycle for μ = 1     |
//! | `lotka`     | [`LotkaVolterra`]        | 2   | none; conserved quantity                |
//! | `fhn`       | [`FitzHughNagumo`]       | 2   | none                                    |
//! | `pendulum2` | [`DoublePendulum`]       | 4   | none; energy conserved                  |
//!
//! Stiff problems ([`Problem::is_stiff`]; explicit methods need tiny steps on their spans), each
//! with an analytic Jacobian ([`OdeSystem::jacobian`], or sparse for the Brusselator) and a
//! right-hand side generic over `num-dual` scalars ([`OdeSystem::rhs_dual`]); [`System`] and
//! [`Problem`] forward these capabilities, and `rober_dae`'s mass matrix:
//!
//! | name          | system                 | dim    | reference                                 |
//! |---------------|------------------------|--------|-------------------------------------------|
//! | `rober`       | [`Robertson`]          | 3      | final state at t = 1e11 (Bari ROBER)      |
//! | `rober_dae`   | [`RobertsonDae`]       | 3      | same; DAE, mass matrix diag(1, 1, 0)      |
//! | `hires`       | [`Hires`]              | 8      | final state at t = 321.8122 (Bari HIRES)  |
//! | `pollu`       | [`Pollu`]              | 20     | final state at t = 60 (Bari POLLU)        |
//! | `orego`       | [`Oregonator`]         | 3      | final state at t = 360 (Bari OREGO)       |
//! | `e5`          | [`E5`]                 | 4      | final state at t = 1e13 (Bari E5)         |
//! | `vdpol`       | [`VanDerPolScaled`]    | 2      | final state at t = 2 (Bari VDPOL, ε=1e-6) |
//! | `vdp1000`     | [`VanDerPol`]          | 2      | final state at t = 2000 (Bari VDPOLM)     |
//! | `vdp1e6`      | [`VanDerPol`]          | 2      | none (μ = 1e6)                            |
//! | `bruss2d`     | [`Brusselator2d`]      | 2 048  | none; sparse Jacobian (N = 32)            |
//! | `bruss2d_128` | [`Brusselator2d`]      | 32 768 | none; sparse Jacobian (N = 128)           |

use thiserror::Error;

use crate::error::OdeError;
use crate::faer::MatMut;
use crate::jacobian::JacDual;
use crate::mass::MassMatrix;
use crate::sensitivity::{check_params, HyperDual64, ParametricSystem};
use crate::sparsity::SparsityPattern;
use crate::OdeSystem;

mod arenstorf;
mod decay;
mod fhn;
mod linear;
mod lorenz;
mod lotka;
mod parametric;
mod pendulum2;
mod pleiades;
mod vdp;

mod brusselator2d;
mod e5;
mod hires;
mod orego;
mod pollu;
mod rober;
mod rober_dae;
mod vdpol;

pub use arenstorf::{Arenstorf, ARENSTORF_PERIOD, ARENSTORF_Y0};
pub use decay::Decay;
pub use fhn::FitzHughNagumo;
pub use linear::DampedOscillator;
pub use lorenz::Lorenz;
pub use lotka::LotkaVolterra;
pub use pendulum2::DoublePendulum;
pub use pleiades::{
    Pleiades, PLEIADES_BODIES, PLEIADES_MASS_NAMES, PLEIADES_REFERENCE_T3, PLEIADES_Y0,
};
pub use vdp::{VanDerPol, VDP_MU1_AMPLITUDE, VDP_MU1_PERIOD};

pub use brusselator2d::{Brusselator2d, BrusselatorPreconditioner};
pub use e5::{E5, E5_INVARIANT, E5_REFERENCE, E5_T_END, E5_Y0};
pub use hires::{Hires, HIRES_REFERENCE, HIRES_T_END, HIRES_Y0};
pub use orego::{Oregonator, OREGO_REFERENCE, OREGO_T_END, OREGO_Y0};
pub use pollu::{
    Pollu, POLLU_MECHANISM, POLLU_RATES, POLLU_RATE_NAMES, POLLU_REACTIONS, POLLU_REFERENCE,
    POLLU_SPECIES, POLLU_SPECIES_NAMES, POLLU_T_END, POLLU_Y0,
};
pub use rober::{Robertson, ROBER_INVARIANT, ROBER_REFERENCE_T1E11, ROBER_T_END, ROBER_Y0};
pub use rober_dae::RobertsonDae;
pub use vdpol::{
    VanDerPolScaled, VDPOLM_REFERENCE, VDPOLM_T_END, VDPOL_REFERENCE, VDPOL_T_END, VDPOL_Y0,
};

/// Errors of the problem catalogue.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum ProblemError {
    /// No problem of that name.
    #[error("unknown problem '{name}' (known: {})", known.join(", "))]
    UnknownProblem { name: String, known: Vec<String> },
    /// The problem has no parameter of that name.
    #[error("problem '{problem}' has no parameter '{name}' ({})",
        if known.is_empty() { "it has no parameters".to_string() } else { format!("known: {}", known.join(", ")) })]
    UnknownParameter {
        problem: &'static str,
        name: String,
        known: Vec<String>,
    },
    /// A parameter value was NaN or infinite.
    #[error("parameter '{name}' of problem '{problem}' must be finite, got {value}")]
    NonFiniteParameter {
        problem: &'static str,
        name: String,
        value: f64,
    },
    /// A parameter that must be positive (a mass, a length, a time scale) was not.
    #[error("parameter '{name}' of problem '{problem}' must be positive, got {value}")]
    InvalidParameter {
        problem: &'static str,
        name: String,
        value: f64,
    },
}

/// A named parameter of a catalogue problem.
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    pub name: &'static str,
    /// Current value.
    pub value: f64,
    /// The published / default value.
    pub default: f64,
    /// One line.
    pub description: &'static str,
    /// Whether the value must be `> 0`.
    pub positive: bool,
}

impl Param {
    fn new(name: &'static str, value: f64, description: &'static str) -> Self {
        Self {
            name,
            value,
            default: value,
            description,
            positive: false,
        }
    }

    fn positive(name: &'static str, value: f64, description: &'static str) -> Self {
        Self {
            positive: true,
            ..Self::new(name, value, description)
        }
    }
}

/// Exact solution `y(t)` through `y(t0) = y0`, given the parameter values in the order of
/// [`Problem::params`].
pub type ExactFn = fn(t: f64, params: &[f64], t0: f64, y0: &[f64]) -> Vec<f64>;

/// What a problem's numerical solution can be checked against.
#[derive(Debug, Clone)]
pub enum Reference {
    /// A closed-form solution, valid for every parameter value and initial state
    /// (see [`Problem::exact`]).
    Exact(ExactFn),
    /// A published state `y` at time `t`, valid for the default parameters, `t0` and `y0`.
    Final {
        t: f64,
        y: Vec<f64>,
        source: &'static str,
    },
    /// The solution is periodic: `y(t0 + period) = y0`, for the default parameters and `y0`.
    Period { period: f64, source: &'static str },
    /// Nothing published; compare two high-accuracy solvers instead.
    None,
}

/// One of the built-in systems, with its current parameters.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum System {
    Decay(Decay),
    Linear(DampedOscillator),
    Lorenz(Lorenz),
    Arenstorf(Arenstorf),
    Pleiades(Pleiades),
    VanDerPol(VanDerPol),
    LotkaVolterra(LotkaVolterra),
    FitzHughNagumo(FitzHughNagumo),
    DoublePendulum(DoublePendulum),
    Robertson(Robertson),
    RobertsonDae(RobertsonDae),
    Hires(Hires),
    Pollu(Pollu),
    Oregonator(Oregonator),
    E5(E5),
    VanDerPolScaled(VanDerPolScaled),
    Brusselator2d(Brusselator2d),
}

macro_rules! each_system {
    ($self:expr, $s:ident => $body:expr) => {
        match $self {
            System::Decay($s) => $body,
            System::Linear($s) => $body,
            System::Lorenz($s) => $body,
            System::Arenstorf($s) => $body,
            System::Pleiades($s) => $body,
            System::VanDerPol($s) => $body,
            System::LotkaVolterra($s) => $body,
            System::FitzHughNagumo($s) => $body,
            System::DoublePendulum($s) => $body,
            System::Robertson($s) => $body,
            System::RobertsonDae($s) => $body,
            System::Hires($s) => $body,
            System::Pollu($s) => $body,
            System::Oregonator($s) => $body,
            System::E5($s) => $body,
            System::VanDerPolScaled($s) => $body,
            System::Brusselator2d($s) => $body,
        }
    };
}

impl System {
    fn param_mut(&mut self, name: &str) -> Option<&mut f64> {
        match self {
            System::Decay(s) => s.param_mut(name),
            System::Linear(s) => s.param_mut(name),
            System::Lorenz(s) => s.param_mut(name),
            System::Arenstorf(s) => s.param_mut(name),
            System::Pleiades(s) => s.param_mut(name),
            System::VanDerPol(s) => s.param_mut(name),
            System::LotkaVolterra(s) => s.param_mut(name),
            System::FitzHughNagumo(s) => s.param_mut(name),
            System::DoublePendulum(s) => s.param_mut(name),
            System::Robertson(s) => s.param_mut(name),
            System::RobertsonDae(s) => s.param_mut(name),
            System::Hires(s) => s.param_mut(name),
            System::Pollu(s) => s.param_mut(name),
            System::Oregonator(s) => s.param_mut(name),
            System::E5(s) => s.param_mut(name),
            System::VanDerPolScaled(s) => s.param_mut(name),
            System::Brusselator2d(s) => s.param_mut(name),
        }
    }

    /// The system's conserved quantity, if it has one the catalogue knows: `(name, value)`.
    fn invariant(&self, y: &[f64]) -> Option<(&'static str, f64)> {
        match self {
            System::Arenstorf(s) => Some(("Jacobi integral", s.jacobi(y))),
            System::Pleiades(s) => Some(("energy", s.energy(y))),
            System::LotkaVolterra(s) => Some(("Lotka-Volterra invariant", s.invariant(y))),
            System::DoublePendulum(s) => Some(("energy", s.energy(y))),
            System::Robertson(s) => Some(("mass y1+y2+y3", s.mass(y))),
            System::Hires(s) => Some(("y7+y8", s.y7_plus_y8(y))),
            System::Pollu(s) => Some(("nitrogen", s.balances(y)[0])),
            System::E5(s) => Some(("y2-y3-y4", s.y2_minus_y3_minus_y4(y))),
            _ => None,
        }
    }
}

impl OdeSystem for System {
    #[inline]
    fn dim(&self) -> usize {
        each_system!(self, s => s.dim())
    }
    #[inline]
    fn rhs(&self, t: f64, y: &[f64], dy: &mut [f64]) {
        each_system!(self, s => s.rhs(t, y, dy))
    }
    fn jacobian(&self, t: f64, y: &[f64], jac: MatMut<'_, f64>) -> bool {
        match self {
            // the unscaled Van der Pol's Jacobian lives with the stiff entries (vdpol.rs)
            System::VanDerPol(s) => {
                let mut jac = jac;
                let mut j = [0.0; 4];
                s.jacobian_row_major(t, y, &mut j);
                for (k, v) in j.into_iter().enumerate() {
                    jac[(k / 2, k % 2)] = v;
                }
                true
            }
            _ => each_system!(self, s => s.jacobian(t, y, jac)),
        }
    }
    fn jacobian_sparse(&self, t: f64, y: &[f64], values: &mut [f64]) -> bool {
        each_system!(self, s => s.jacobian_sparse(t, y, values))
    }
    #[inline]
    fn rhs_dual(&self, t: JacDual, y: &[JacDual], dy: &mut [JacDual]) -> bool {
        match self {
            System::VanDerPol(s) => {
                s.rhs_generic(t, y, dy);
                true
            }
            _ => each_system!(self, s => s.rhs_dual(t, y, dy)),
        }
    }
    fn time_derivative(&self, t: f64, y: &[f64], dfdt: &mut [f64]) -> bool {
        each_system!(self, s => s.time_derivative(t, y, dfdt))
    }
    fn is_autonomous(&self) -> bool {
        match self {
            System::VanDerPol(_) => true,
            _ => each_system!(self, s => s.is_autonomous()),
        }
    }
    fn jacobian_sparsity(&self) -> Option<&SparsityPattern> {
        each_system!(self, s => s.jacobian_sparsity())
    }
    fn mass_matrix(&self) -> Option<&MassMatrix> {
        each_system!(self, s => s.mass_matrix())
    }
    fn linear_invariants(&self) -> Option<&[f64]> {
        each_system!(self, s => s.linear_invariants())
    }
    fn preconditioner(&self) -> Option<Box<dyn crate::krylov::Preconditioner>> {
        each_system!(self, s => s.preconditioner())
    }
}

impl ParametricSystem for System {
    fn n_params(&self) -> usize {
        each_system!(self, s => s.n_params())
    }
    fn param_values(&self) -> Vec<f64> {
        each_system!(self, s => s.param_values())
    }
    fn set_params(&mut self, p: &[f64]) -> Result<(), OdeError> {
        each_system!(self, s => s.set_params(p))
    }
    fn param_names(&self) -> Vec<String> {
        each_system!(self, s => s.param_names())
    }
    #[inline]
    fn rhs_params_dual(
        &self,
        t: JacDual,
        y: &[JacDual],
        p: &[JacDual],
        dy: &mut [JacDual],
    ) -> bool {
        each_system!(self, s => s.rhs_params_dual(t, y, p, dy))
    }
    #[inline]
    fn rhs_params_hyperdual(
        &self,
        t: HyperDual64,
        y: &[HyperDual64],
        p: &[HyperDual64],
        dy: &mut [HyperDual64],
    ) -> bool {
        each_system!(self, s => s.rhs_params_hyperdual(t, y, p, dy))
    }
}

/// A catalogue entry: a built-in system with its metadata, parameters, default time span and
/// initial state, and a reference to check against.
///
/// `t0`, `t_end` and `y0` are public and may be changed freely; parameters go through
/// [`Problem::set_param`] so that the system and the listing stay in step.
#[derive(Debug, Clone)]
pub struct Problem {
    pub name: &'static str,
    /// One line.
    pub description: &'static str,
    /// Citation.
    pub source: &'static str,
    /// One name per state component.
    pub state_names: Vec<String>,
    pub t0: f64,
    pub t_end: f64,
    pub y0: Vec<f64>,
    params: Vec<Param>,
    reference: Reference,
    system: System,
    default_t0: f64,
    default_y0: Vec<f64>,
}

impl Problem {
    #[allow(clippy::too_many_arguments)]
    fn new(
        name: &'static str,
        description: &'static str,
        source: &'static str,
        state_names: &[&str],
        params: Vec<Param>,
        span: (f64, f64),
        y0: Vec<f64>,
        reference: Reference,
        system: System,
    ) -> Self {
        let names = state_names.iter().map(|s| s.to_string()).collect();
        Self::with_state_names(
            name,
            description,
            source,
            names,
            params,
            span,
            y0,
            reference,
            system,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn with_state_names(
        name: &'static str,
        description: &'static str,
        source: &'static str,
        state_names: Vec<String>,
        params: Vec<Param>,
        (t0, t_end): (f64, f64),
        y0: Vec<f64>,
        reference: Reference,
        system: System,
    ) -> Self {
        debug_assert_eq!(state_names.len(), system.dim());
        debug_assert_eq!(y0.len(), system.dim());
        Self {
            name,
            description,
            source,
            state_names,
            t0,
            t_end,
            default_t0: t0,
            default_y0: y0.clone(),
            y0,
            params,
            reference,
            system,
        }
    }

    /// Number of state components.
    pub fn dim(&self) -> usize {
        self.system.dim()
    }

    /// The parameters with their current values, in a fixed order.
    pub fn params(&self) -> &[Param] {
        &self.params
    }

    /// The current parameter values, in the order of [`Problem::params`].
    pub fn param_values(&self) -> Vec<f64> {
        self.params.iter().map(|p| p.value).collect()
    }

    /// The current value of parameter `name`.
    pub fn param(&self, name: &str) -> Option<f64> {
        self.params.iter().find(|p| p.name == name).map(|p| p.value)
    }

    /// Sets parameter `name` to `value`.
    ///
    /// Errors: [`ProblemError::UnknownParameter`] (listing the known names),
    /// [`ProblemError::NonFiniteParameter`], [`ProblemError::InvalidParameter`] for a non-positive
    /// mass, length or time scale. On error nothing changes.
    pub fn set_param(&mut self, name: &str, value: f64) -> Result<(), ProblemError> {
        let problem = self.name;
        let Some(param) = self.params.iter_mut().find(|p| p.name == name) else {
            return Err(ProblemError::UnknownParameter {
                problem,
                name: name.to_string(),
                known: self.params.iter().map(|p| p.name.to_string()).collect(),
            });
        };
        if !value.is_finite() {
            return Err(ProblemError::NonFiniteParameter {
                problem,
                name: name.to_string(),
                value,
            });
        }
        if param.positive && value <= 0.0 {
            return Err(ProblemError::InvalidParameter {
                problem,
                name: name.to_string(),
                value,
            });
        }
        let slot = self
            .system
            .param_mut(name)
            .expect("catalogue parameters match the system's fields");
        *slot = value;
        param.value = value;
        Ok(())
    }

    /// [`Problem::set_param`] in builder style.
    pub fn with_param(mut self, name: &str, value: f64) -> Result<Self, ProblemError> {
        self.set_param(name, value)?;
        Ok(self)
    }

    /// The concrete system with the current parameters (for monomorphised use, match on it).
    pub fn system(&self) -> &System {
        &self.system
    }

    /// The reference that applies to the current settings: an exact solution always applies; a
    /// published final state or period only while the parameters (and `y0`, and for a final
    /// state `t0`) are the published ones, otherwise this is [`Reference::None`].
    pub fn reference(&self) -> &Reference {
        let params_default = self.params.iter().all(|p| p.value == p.default);
        let y0_default = self.y0 == self.default_y0;
        let applies = match &self.reference {
            Reference::Exact(_) | Reference::None => true,
            Reference::Final { .. } => params_default && y0_default && self.t0 == self.default_t0,
            Reference::Period { .. } => params_default && y0_default,
        };
        if applies {
            &self.reference
        } else {
            &Reference::None
        }
    }

    /// The reference published for the default settings, whether or not it applies now.
    pub fn published_reference(&self) -> &Reference {
        &self.reference
    }

    /// The exact solution at `t` from `(self.t0, self.y0)` with the current parameters, if the
    /// problem has one.
    pub fn exact(&self, t: f64) -> Option<Vec<f64>> {
        match self.reference {
            Reference::Exact(f) => Some(f(t, &self.param_values(), self.t0, &self.y0)),
            _ => None,
        }
    }

    /// The value of the problem's conserved quantity at state `y`, if it has one.
    pub fn invariant(&self, y: &[f64]) -> Option<f64> {
        self.system.invariant(y).map(|(_, v)| v)
    }

    /// The name of the problem's conserved quantity, if it has one.
    pub fn invariant_name(&self) -> Option<&'static str> {
        let y = vec![1.0; self.dim()];
        self.system.invariant(&y).map(|(n, _)| n)
    }

    /// Whether the problem is stiff: explicit methods need tiny steps on its default span and
    /// cannot reach its reference in reasonable time (the stiff catalogue: `rober`, `rober_dae`,
    /// `hires`, `pollu`, `orego`, `e5`, `vdpol`, `vdp1000`, `vdp1e6`, `bruss2d`, `bruss2d_128`).
    pub fn is_stiff(&self) -> bool {
        STIFF.contains(&self.name)
    }

    /// Whether the problem is a DAE `M y' = f(t, y)` with a singular mass matrix, for which
    /// [`OdeSystem::rhs`] evaluates `f`, not `y'` (`rober_dae`).
    pub fn is_dae(&self) -> bool {
        matches!(self.system, System::RobertsonDae(_))
    }

    /// Index of the state component called `name`.
    pub fn state_index(&self, name: &str) -> Option<usize> {
        self.state_names.iter().position(|n| n == name)
    }
}

impl OdeSystem for Problem {
    #[inline]
    fn dim(&self) -> usize {
        self.system.dim()
    }
    #[inline]
    fn rhs(&self, t: f64, y: &[f64], dy: &mut [f64]) {
        self.system.rhs(t, y, dy)
    }
    fn jacobian(&self, t: f64, y: &[f64], jac: MatMut<'_, f64>) -> bool {
        self.system.jacobian(t, y, jac)
    }
    fn jacobian_sparse(&self, t: f64, y: &[f64], values: &mut [f64]) -> bool {
        self.system.jacobian_sparse(t, y, values)
    }
    #[inline]
    fn rhs_dual(&self, t: JacDual, y: &[JacDual], dy: &mut [JacDual]) -> bool {
        self.system.rhs_dual(t, y, dy)
    }
    fn time_derivative(&self, t: f64, y: &[f64], dfdt: &mut [f64]) -> bool {
        self.system.time_derivative(t, y, dfdt)
    }
    fn is_autonomous(&self) -> bool {
        self.system.is_autonomous()
    }
    fn jacobian_sparsity(&self) -> Option<&SparsityPattern> {
        self.system.jacobian_sparsity()
    }
    fn mass_matrix(&self) -> Option<&MassMatrix> {
        self.system.mass_matrix()
    }
    fn linear_invariants(&self) -> Option<&[f64]> {
        self.system.linear_invariants()
    }
    fn preconditioner(&self) -> Option<Box<dyn crate::krylov::Preconditioner>> {
        self.system.preconditioner()
    }
}

/// The parameters are those of [`Problem::params`], in that order; [`set_params`](
/// ParametricSystem::set_params) checks them like [`Problem::set_param`] (all or nothing).
impl ParametricSystem for Problem {
    fn n_params(&self) -> usize {
        self.params.len()
    }
    fn param_values(&self) -> Vec<f64> {
        self.param_values()
    }
    fn set_params(&mut self, p: &[f64]) -> Result<(), OdeError> {
        check_params(p, self.params.len())?;
        let mut next = self.clone();
        for (param, &v) in self.params.iter().zip(p) {
            next.set_param(param.name, v)
                .map_err(|e| OdeError::InvalidParameter {
                    name: param.name.to_string(),
                    value: v,
                    reason: e.to_string(),
                })?;
        }
        *self = next;
        Ok(())
    }
    fn param_names(&self) -> Vec<String> {
        self.params.iter().map(|p| p.name.to_string()).collect()
    }
    #[inline]
    fn rhs_params_dual(
        &self,
        t: JacDual,
        y: &[JacDual],
        p: &[JacDual],
        dy: &mut [JacDual],
    ) -> bool {
        self.system.rhs_params_dual(t, y, p, dy)
    }
    #[inline]
    fn rhs_params_hyperdual(
        &self,
        t: HyperDual64,
        y: &[HyperDual64],
        p: &[HyperDual64],
        dy: &mut [HyperDual64],
    ) -> bool {
        self.system.rhs_params_hyperdual(t, y, p, dy)
    }
}

/// The stiff catalogue entries (see [`Problem::is_stiff`]).
const STIFF: [&str; 11] = [
    "rober",
    "rober_dae",
    "hires",
    "pollu",
    "orego",
    "e5",
    "vdpol",
    "vdp1000",
    "vdp1e6",
    "bruss2d",
    "bruss2d_128",
];

/// Every built-in problem with its default settings, in a fixed order.
pub fn catalogue() -> Vec<Problem> {
    vec![
        decay::entry(),
        linear::entry(),
        lorenz::entry(),
        arenstorf::entry(),
        pleiades::entry(),
        vdp::entry(),
        lotka::entry(),
        fhn::entry(),
        pendulum2::entry(),
        rober::entry(),
        rober_dae::entry(),
        hires::entry(),
        pollu::entry(),
        orego::entry(),
        e5::entry(),
        vdpol::entry_vdpol(),
        vdpol::entry_vdp1000(),
        vdpol::entry_vdp1e6(),
        brusselator2d::entry(),
        brusselator2d::entry_128(),
    ]
}

/// The names of the built-in problems, in catalogue order.
pub fn names() -> Vec<&'static str> {
    catalogue().iter().map(|p| p.name).collect()
}

/// The built-in problem called `name`, with its default settings.
pub fn get(name: &str) -> Result<Problem, ProblemError> {
    let mut all = catalogue();
    match all.iter().position(|p| p.name == name) {
        Some(i) => Ok(all.swap_remove(i)),
        None => Err(ProblemError::UnknownProblem {
            name: name.to_string(),
            known: all.iter().map(|p| p.name.to_string()).collect(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_is_consistent() {
        let all = catalogue();
        assert_eq!(all.len(), 20);
        assert_eq!(all.iter().filter(|p| p.is_stiff()).count(), STIFF.len());
        for p in &all {
            let n = p.dim();
            assert_eq!(p.y0.len(), n, "{}", p.name);
            assert_eq!(p.state_names.len(), n, "{}", p.name);
            assert!(p.t_end > p.t0, "{}", p.name);
            assert!(!p.description.contains('\n'), "{}", p.name);
            assert!(!p.source.is_empty(), "{}", p.name);
            let mut dy = vec![f64::NAN; n];
            p.rhs(p.t0, &p.y0, &mut dy);
            assert!(dy.iter().all(|v| v.is_finite()), "{}: {dy:?}", p.name);
            // every listed parameter can be set, and the system sees it
            for param in p.params() {
                let mut q = p.clone();
                q.set_param(param.name, param.value * 1.5 + 0.25).unwrap();
                assert_eq!(q.param(param.name), Some(param.value * 1.5 + 0.25));
                assert_ne!(q.system(), p.system(), "{}.{}", p.name, param.name);
            }
            let mut names: Vec<_> = p.state_names.clone();
            names.sort();
            names.dedup();
            assert_eq!(names.len(), n, "{}: duplicate state names", p.name);
            assert_eq!(get(p.name).unwrap().name, p.name);
        }
    }

    #[test]
    fn errors_are_typed() {
        match get("nope") {
            Err(ProblemError::UnknownProblem { name, known }) => {
                assert_eq!(name, "nope");
                assert!(known.contains(&"lorenz".to_string()));
            }
            other => panic!("{other:?}"),
        }
        let mut p = get("lorenz").unwrap();
        let e = p.set_param("gamma", 1.0).unwrap_err();
        assert_eq!(
            e,
            ProblemError::UnknownParameter {
                problem: "lorenz",
                name: "gamma".into(),
                known: vec!["sigma".into(), "rho".into(), "beta".into()],
            }
        );
        assert!(e.to_string().contains("known: sigma, rho, beta"));
        assert!(matches!(
            p.set_param("rho", f64::NAN),
            Err(ProblemError::NonFiniteParameter { .. })
        ));
        let mut q = get("pendulum2").unwrap();
        assert!(matches!(
            q.set_param("l1", 0.0),
            Err(ProblemError::InvalidParameter { .. })
        ));
        assert_eq!(q.param("l1"), Some(1.0));
        let e = get("pleiades").unwrap().set_param("m0", 1.0).unwrap_err();
        assert!(e.to_string().contains("known: m1, m2"));
    }

    #[test]
    fn published_reference_applies_only_at_defaults() {
        let mut p = get("arenstorf").unwrap();
        assert!(matches!(p.reference(), Reference::Period { .. }));
        p.set_param("mu", 0.02).unwrap();
        assert!(matches!(p.reference(), Reference::None));
        p.set_param("mu", 0.012_277_471).unwrap();
        assert!(matches!(p.reference(), Reference::Period { .. }));
        p.y0[0] = 1.0;
        assert!(matches!(p.reference(), Reference::None));
        let d = get("decay").unwrap().with_param("lambda", -2.0).unwrap();
        assert!(matches!(d.reference(), Reference::Exact(_)));
        assert!((d.exact(1.0).unwrap()[0] - (-2.0f64).exp()).abs() < 1e-16);
    }

    #[test]
    fn linear_exact_solves_the_ode() {
        // d/dt of the closed form, by central differences, equals the right-hand side, in all
        // three damping regimes.
        for zeta in [0.0, 0.1, 1.0, 2.5] {
            let s = DampedOscillator { omega: 1.7, zeta };
            let y0 = [0.8, -0.3];
            assert_eq!(s.exact(0.5, y0, 0.5), y0);
            for t in [0.3, 1.1, 4.0] {
                let h = 1e-5;
                let yp = s.exact(0.5, y0, t + h);
                let ym = s.exact(0.5, y0, t - h);
                let y = s.exact(0.5, y0, t);
                let mut f = [0.0; 2];
                s.rhs(t, &y, &mut f);
                for c in 0..2 {
                    let d = (yp[c] - ym[c]) / (2.0 * h);
                    assert!(
                        (d - f[c]).abs() < 1e-8,
                        "zeta {zeta} t {t}: {d} vs {}",
                        f[c]
                    );
                }
            }
        }
    }

    #[test]
    fn invariants_are_first_integrals() {
        // grad(I) . f = 0 at a few states, by central differences.
        for p in catalogue() {
            let Some(_) = p.invariant(&p.y0) else {
                continue;
            };
            let n = p.dim();
            let mut y = p.y0.clone();
            for (i, v) in y.iter_mut().enumerate() {
                *v += 0.01 * (i as f64 + 1.0).sin();
            }
            let mut f = vec![0.0; n];
            p.rhs(0.0, &y, &mut f);
            let mut dot = 0.0;
            let mut scale = 0.0;
            for i in 0..n {
                let h = 1e-6;
                let mut yp = y.clone();
                let mut ym = y.clone();
                yp[i] += h;
                ym[i] -= h;
                let g = (p.invariant(&yp).unwrap() - p.invariant(&ym).unwrap()) / (2.0 * h);
                dot += g * f[i];
                scale += (g * f[i]).abs();
            }
            assert!(
                dot.abs() <= 1e-7 * scale.max(1.0),
                "{}: {dot} (scale {scale})",
                p.name
            );
        }
    }
}
