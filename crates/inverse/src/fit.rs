//! Fitting ODE parameters (and initial states) to data from one or several experiments, by
//! single or multiple shooting, with the Gauss–Newton/Laplace covariance at the optimum.
//!
//! The weighted residuals are `rᵢ = (y_c(tᵢ; p, y₀) − dᵢ_c)/σ_c` over the observed states of each
//! experiment (a state that is not in the data is simply not observed). The cost is `½‖r‖²`.
//!
//! **Multiple shooting** (H. G. Bock, "Recent advances in parameter identification techniques
//! for ODE", in Numerical Treatment of Inverse Problems in Differential and Integral Equations,
//! Birkhäuser (1983) 95–121): each experiment's data are split into `K` segments; segment `k ≥ 1`
//! starts at its first data time from its own state `s_k` (extra unknowns, initialised from the
//! data where observed and from a simulation elsewhere), and continuity residuals
//! `w·(y_k(τ_{k+1}) − s_{k+1})` tie the segments together. Short segments keep the fit out of the
//! local minima that long oscillatory or chaotic trajectories create. The optimum is then
//! polished by single shooting (a consistent trajectory), and the covariance is that of the
//! single-shooting problem.
//!
//! **Uncertainty** (Bates & Watts, Nonlinear Regression Analysis and Its Applications, Wiley
//! (1988), §2.3; Seber & Wild, Nonlinear Regression, Wiley (1989), §5.1): with `J = ∂r/∂p` at the
//! optimum, `Cov = s² (JᵀJ)⁻¹` where `s² = 2·cost/(m − n)` (or `s² = 1` when the σ are known
//! noise levels: [`FitOptions::absolute_sigma`]); 95 % intervals use the Student-t quantile with
//! `m − n` degrees of freedom. For a log-parameter the interval is computed for `ln p` and
//! mapped back (it is asymmetric), and its standard error is the delta-method `p · se(ln p)`.

use std::cell::RefCell;

use ai4de_ode::problems::Problem;
use ai4de_ode::sensitivity::{ContinuousAdjoint, DiscreteAdjoint, TrajectoryLoss};
use faer::{Mat, MatMut};
use serde::Serialize;

use crate::model::OdeModel;
use crate::optim::lm::Termination;
use crate::optim::{
    lbfgs, levenberg_marquardt, LbfgsOptions, LeastSquares, LmOptions, Objective, SumOfSquares,
};
use crate::stats::{gauss_newton_inverse, student_t_quantile};
use crate::transform::{jacobian_in_q, Transformed, TransformedObjective};
use crate::{InverseError, ParamSpec, Scale};

/// The data of one experiment: a time series of some of the states, from a known (or partly
/// fitted) initial state.
#[derive(Debug, Clone, PartialEq)]
pub struct Experiment {
    pub name: String,
    /// Initial time (the data times must not precede it).
    pub t0: f64,
    /// Initial state (entries that are fitted give the starting values).
    pub y0: Vec<f64>,
    /// End of the time span, if the data must lie inside one.
    pub t_end: Option<f64>,
    /// Data times, strictly increasing.
    pub times: Vec<f64>,
    /// Names of the observed states (columns of `values`).
    pub observed: Vec<String>,
    /// Row-major `times.len() × observed.len()`.
    pub values: Vec<f64>,
    /// Noise standard deviation of each observed column (weights `1/σ`).
    pub sigma: Vec<f64>,
}

impl Experiment {
    /// An experiment with unit weights.
    pub fn new(
        t0: f64,
        y0: Vec<f64>,
        times: Vec<f64>,
        observed: Vec<String>,
        values: Vec<f64>,
    ) -> Self {
        let k = observed.len();
        Self {
            name: "experiment".into(),
            t0,
            y0,
            t_end: None,
            times,
            observed,
            values,
            sigma: vec![1.0; k],
        }
    }

    /// Builder: noise levels per observed column.
    pub fn with_sigma(mut self, sigma: Vec<f64>) -> Self {
        self.sigma = sigma;
        self
    }

    /// Builder: a name for messages and output.
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }
}

/// What an unknown is.
#[derive(Debug, Clone, PartialEq)]
pub enum Unknown {
    /// A model parameter, by name.
    Param(String),
    /// An initial state of one experiment.
    InitialState { experiment: usize, state: String },
}

/// One unknown with its scale, bounds and optional starting value (default: the model's
/// current parameter value, or the experiment's `y0` entry).
#[derive(Debug, Clone, PartialEq)]
pub struct FitUnknown {
    pub unknown: Unknown,
    pub scale: Scale,
    pub lo: f64,
    pub hi: f64,
    pub start: Option<f64>,
}

impl FitUnknown {
    /// A free model parameter.
    pub fn param(name: impl Into<String>) -> Self {
        Self {
            unknown: Unknown::Param(name.into()),
            scale: Scale::Linear,
            lo: f64::NEG_INFINITY,
            hi: f64::INFINITY,
            start: None,
        }
    }
    /// A free initial state of experiment `experiment`.
    pub fn initial_state(experiment: usize, state: impl Into<String>) -> Self {
        Self {
            unknown: Unknown::InitialState {
                experiment,
                state: state.into(),
            },
            ..Self::param("")
        }
    }
    /// Builder: fit `ln p` (an open lower bound becomes 0).
    pub fn log(mut self) -> Self {
        self.scale = Scale::Log;
        if self.lo == f64::NEG_INFINITY {
            self.lo = 0.0;
        }
        self
    }
    /// Builder: bounds.
    pub fn bounds(mut self, lo: f64, hi: f64) -> Self {
        self.lo = lo;
        self.hi = hi;
        self
    }
    /// Builder: starting value.
    pub fn start(mut self, v: f64) -> Self {
        self.start = Some(v);
        self
    }
    /// Display name: the parameter name, or `state(0)` (with `@experiment` after the first).
    pub fn name(&self) -> String {
        match &self.unknown {
            Unknown::Param(n) => n.clone(),
            Unknown::InitialState {
                experiment: 0,
                state,
            } => format!("{state}(0)"),
            Unknown::InitialState { experiment, state } => format!("{state}(0)@{experiment}"),
        }
    }
}

/// Single or multiple shooting.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Shooting {
    #[default]
    Single,
    /// `segments` per experiment (fewer if an experiment has fewer data rows); continuity
    /// residuals weighted by `weight` (default `10 · max(1/σ)`).
    Multiple {
        segments: usize,
        weight: Option<f64>,
    },
}

/// Which optimiser minimises the cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Optimizer {
    /// Levenberg–Marquardt on the residuals with sensitivity Jacobians.
    #[default]
    Lm,
    /// L-BFGS on the cost with its gradient from [`FitOptions::gradient`] (by default the
    /// continuous adjoint: one forward and one backward solve per gradient, whatever the
    /// number of unknowns).
    Lbfgs,
}

/// Where L-BFGS gets the gradient of the cost `½‖r‖²`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GradientSource {
    /// Continuous adjoint ([`ai4de_ode::sensitivity::ContinuousAdjoint`]) of each shooting
    /// segment, with the data misfit as point costs and the model's method and tolerances for
    /// both solves (stiff methods included).
    #[default]
    Adjoint,
    /// Discrete adjoint ([`ai4de_ode::sensitivity::DiscreteAdjoint`]): the exact gradient of
    /// the explicit Runge–Kutta solution (explicit methods only).
    DiscreteAdjoint,
    /// `Jᵀr` from the model's Jacobian ([`crate::Sensitivity`]: forward sensitivities or
    /// finite differences), `1 + n_unknowns` columns per evaluation.
    Jacobian,
}

/// Options of [`fit`].
#[derive(Debug, Clone, Default)]
pub struct FitOptions {
    pub shooting: Shooting,
    pub optimizer: Optimizer,
    pub lm: LmOptions,
    pub lbfgs: LbfgsOptions,
    /// Gradient of L-BFGS (ignored by Levenberg–Marquardt, which needs the Jacobian).
    pub gradient: GradientSource,
    /// The σ of the experiments are the true noise levels: `Cov = (JᵀJ)⁻¹` instead of
    /// `s²(JᵀJ)⁻¹`.
    pub absolute_sigma: bool,
}

/// One fitted unknown.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Estimate {
    pub name: String,
    pub value: f64,
    pub start: f64,
    /// `None` when the unknown is not identifiable (singular `JᵀJ`).
    pub std_error: Option<f64>,
    /// 95 % interval (t-based; mapped back from `ln p` for log-parameters).
    pub ci95: Option<(f64, f64)>,
    pub scale: Scale,
    pub lo: f64,
    pub hi: f64,
    /// The estimate sits on a bound: its interval is not meaningful.
    pub at_bound: bool,
}

/// Result of [`fit`].
#[derive(Debug, Clone, Serialize)]
pub struct FitResult {
    pub estimates: Vec<Estimate>,
    /// `½‖r‖²` of the single-shooting residuals at the optimum.
    pub cost: f64,
    /// Number of data residuals `m`.
    pub n_residuals: usize,
    /// `m − n`.
    pub dof: usize,
    /// `s² = 2·cost/(m − n)` (the reduced chi-square when σ are noise levels).
    pub s2: f64,
    pub optimizer: Optimizer,
    /// The gradient L-BFGS used (`None` for Levenberg–Marquardt).
    pub gradient: Option<GradientSource>,
    pub iterations: usize,
    pub residual_evals: usize,
    pub jacobian_evals: usize,
    pub termination: Termination,
    /// Iterations and final cost of the multiple-shooting stage, before the single-shooting
    /// polish.
    pub multiple_shooting: Option<(usize, f64)>,
    /// Correlation matrix of the unknowns (row-major), when `JᵀJ` is regular.
    pub correlation: Option<Vec<Vec<f64>>>,
    /// Covariance in the fitting scale (`ln p` for log-parameters), row-major.
    pub covariance_q: Option<Vec<Vec<f64>>>,
    /// All model parameters at the optimum (the catalogue's order), for simulation.
    #[serde(skip)]
    pub params: Vec<f64>,
    /// Each experiment's initial state at the optimum.
    #[serde(skip)]
    pub y0: Vec<Vec<f64>>,
    /// Warnings (not identifiable unknowns, estimates on bounds, iteration limit).
    pub warnings: Vec<String>,
}

impl FitResult {
    /// The fitted unknowns' values in order.
    pub fn values(&self) -> Vec<f64> {
        self.estimates.iter().map(|e| e.value).collect()
    }
    /// The model with the fitted parameters (for simulation and plots).
    pub fn problem(&self, model: &OdeModel) -> Result<Problem, InverseError> {
        let mut p = model.problem.clone();
        for (name, v) in model.param_names().iter().zip(&self.params) {
            p.set_param(name, *v)?;
        }
        Ok(p)
    }
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Param(usize),
    Y0 { exp: usize, state: usize },
}

struct Prepared<'a> {
    model: &'a OdeModel,
    exps: &'a [Experiment],
    /// observed state indices per experiment
    obs: Vec<Vec<usize>>,
    kinds: Vec<Kind>,
    specs: Vec<ParamSpec>,
    starts: Vec<f64>,
    p_base: Vec<f64>,
}

fn prepare<'a>(
    model: &'a OdeModel,
    exps: &'a [Experiment],
    unknowns: &[FitUnknown],
) -> Result<Prepared<'a>, InverseError> {
    let n = model.dim();
    if unknowns.is_empty() {
        return Err(InverseError::NoUnknowns);
    }
    if exps.is_empty() {
        return Err(InverseError::EmptyData {
            experiment: 0,
            reason: "no experiments",
        });
    }
    let mut obs = Vec::with_capacity(exps.len());
    for (e, x) in exps.iter().enumerate() {
        obs.push(validate_experiment(model, e, x)?);
    }
    let p_base = model.problem.param_values();
    let mut kinds = Vec::new();
    let mut specs = Vec::new();
    let mut starts = Vec::new();
    let mut names: Vec<String> = Vec::new();
    for u in unknowns {
        let name = u.name();
        if names.contains(&name) {
            return Err(InverseError::DuplicateUnknown { name });
        }
        let (kind, default) = match &u.unknown {
            Unknown::Param(p) => {
                let i = model.param_index(p)?;
                (Kind::Param(i), p_base[i])
            }
            Unknown::InitialState { experiment, state } => {
                if *experiment >= exps.len() {
                    return Err(InverseError::InvalidOption {
                        name: "unknowns",
                        reason: format!(
                            "initial state of experiment {experiment}, but there are only {}",
                            exps.len()
                        ),
                    });
                }
                let s = model.state_index(state)?;
                (
                    Kind::Y0 {
                        exp: *experiment,
                        state: s,
                    },
                    exps[*experiment].y0[s],
                )
            }
        };
        let spec = ParamSpec {
            name: name.clone(),
            scale: u.scale,
            lo: u.lo,
            hi: u.hi,
        };
        spec.validate()?;
        let start = u.start.unwrap_or(default);
        spec.to_internal(start)?; // checks the start is strictly inside
        names.push(name);
        kinds.push(kind);
        specs.push(spec);
        starts.push(start);
    }
    let _ = n;
    Ok(Prepared {
        model,
        exps,
        obs,
        kinds,
        specs,
        starts,
        p_base,
    })
}

fn validate_experiment(
    model: &OdeModel,
    e: usize,
    x: &Experiment,
) -> Result<Vec<usize>, InverseError> {
    let n = model.dim();
    if x.y0.len() != n {
        return Err(InverseError::DimensionMismatch {
            what: "initial state",
            expected: n,
            found: x.y0.len(),
        });
    }
    for (c, v) in x.y0.iter().enumerate() {
        if !v.is_finite() {
            return Err(InverseError::NonFiniteData {
                what: "initial state",
                experiment: e,
                row: 0,
                column: c,
                value: *v,
            });
        }
    }
    if !x.t0.is_finite() {
        return Err(InverseError::InvalidDataTime {
            experiment: e,
            row: 0,
            t: x.t0,
            reason: "(t0) is not finite",
        });
    }
    if x.times.is_empty() {
        return Err(InverseError::EmptyData {
            experiment: e,
            reason: "no data rows",
        });
    }
    if x.observed.is_empty() {
        return Err(InverseError::EmptyData {
            experiment: e,
            reason: "no observed states",
        });
    }
    let k = x.observed.len();
    if x.values.len() != x.times.len() * k {
        return Err(InverseError::DimensionMismatch {
            what: "data values (rows x observed states)",
            expected: x.times.len() * k,
            found: x.values.len(),
        });
    }
    if x.sigma.len() != k {
        return Err(InverseError::DimensionMismatch {
            what: "noise sigma (one per observed state)",
            expected: k,
            found: x.sigma.len(),
        });
    }
    let mut idx = Vec::with_capacity(k);
    for name in &x.observed {
        let i = model.state_index(name)?;
        if idx.contains(&i) {
            return Err(InverseError::DuplicateUnknown {
                name: format!("observed state {name}"),
            });
        }
        idx.push(i);
    }
    for (row, &t) in x.times.iter().enumerate() {
        let bad = |reason| InverseError::InvalidDataTime {
            experiment: e,
            row,
            t,
            reason,
        };
        if !t.is_finite() {
            return Err(bad("is not finite"));
        }
        if t < x.t0 {
            return Err(bad("is before the initial time t0 (outside the time span)"));
        }
        if let Some(te) = x.t_end {
            if t > te {
                return Err(bad("is after the end of the time span"));
            }
        }
        if row > 0 && t <= x.times[row - 1] {
            return Err(bad("is not after the previous time (times must increase)"));
        }
    }
    for (i, v) in x.values.iter().enumerate() {
        if !v.is_finite() {
            return Err(InverseError::NonFiniteData {
                what: "data value",
                experiment: e,
                row: i / k,
                column: i % k,
                value: *v,
            });
        }
    }
    for (c, &s) in x.sigma.iter().enumerate() {
        if !s.is_finite() {
            return Err(InverseError::NonFiniteData {
                what: "noise sigma",
                experiment: e,
                row: 0,
                column: c,
                value: s,
            });
        }
        if s <= 0.0 {
            return Err(InverseError::InvalidSigma {
                experiment: e,
                column: c,
                value: s,
            });
        }
    }
    Ok(idx)
}

/// Segment layout of one experiment: data-row boundaries `b_0 = 0 < … < b_K = N`.
fn boundaries(n_rows: usize, segments: usize) -> Vec<usize> {
    let k = segments.clamp(1, n_rows);
    (0..=k).map(|i| (i * n_rows + k / 2) / k).collect()
}

/// The residual problem in natural unknowns `x = [fitted…, segment states…]`.
struct Residuals<'p, 'a> {
    prep: &'p Prepared<'a>,
    /// per experiment: row boundaries and the offset of segment 1's state in `x`
    segs: Vec<(Vec<usize>, usize)>,
    weight: f64,
    n_x: usize,
    m: usize,
}

impl<'p, 'a> Residuals<'p, 'a> {
    fn new(prep: &'p Prepared<'a>, shooting: Shooting) -> Result<Self, InverseError> {
        let n = prep.model.dim();
        let (segments, weight) = match shooting {
            Shooting::Single => (1, 0.0),
            Shooting::Multiple { segments, weight } => {
                if segments == 0 {
                    return Err(InverseError::InvalidOption {
                        name: "shooting",
                        reason: "multiple shooting needs at least 1 segment".into(),
                    });
                }
                let w = match weight {
                    Some(w) if w.is_finite() && w > 0.0 => w,
                    Some(w) => {
                        return Err(InverseError::InvalidOption {
                            name: "shooting",
                            reason: format!("continuity weight must be positive, got {w}"),
                        })
                    }
                    None => {
                        10.0 * prep
                            .exps
                            .iter()
                            .flat_map(|e| e.sigma.iter())
                            .fold(0.0f64, |a, s| a.max(1.0 / s))
                    }
                };
                (segments, w)
            }
        };
        let mut n_x = prep.kinds.len();
        let mut m = 0;
        let mut segs = Vec::new();
        for (e, x) in prep.exps.iter().enumerate() {
            let b = boundaries(x.times.len(), segments);
            let k = b.len() - 1;
            segs.push((b, n_x));
            n_x += (k - 1) * n;
            m += x.times.len() * prep.obs[e].len() + (k - 1) * n;
        }
        Ok(Self {
            prep,
            segs,
            weight,
            n_x,
            m,
        })
    }

    /// All model parameters and every experiment's initial state for unknowns `x`.
    fn assemble(&self, x: &[f64]) -> (Vec<f64>, Vec<Vec<f64>>) {
        let mut p = self.prep.p_base.clone();
        let mut y0: Vec<Vec<f64>> = self.prep.exps.iter().map(|e| e.y0.clone()).collect();
        for (k, kind) in self.prep.kinds.iter().enumerate() {
            match *kind {
                Kind::Param(i) => p[i] = x[k],
                Kind::Y0 { exp, state } => y0[exp][state] = x[k],
            }
        }
        (p, y0)
    }

    /// Segment `k` of experiment `e`: its start time and state (the experiment's initial
    /// state for the first segment, the shooting unknowns in `x` for the others), the data
    /// times it is saved at (through the next segment's first time, where the continuity
    /// residual is formed, except for the last segment), and whether it is the last.
    fn segment(
        &self,
        e: usize,
        k: usize,
        x: &[f64],
        y0: &[Vec<f64>],
    ) -> (f64, Vec<f64>, &[f64], bool) {
        let n = self.prep.model.dim();
        let exp = &self.prep.exps[e];
        let (b, off) = &self.segs[e];
        let last = k + 2 == b.len();
        let (t_start, y_start) = if k == 0 {
            (exp.t0, y0[e].clone())
        } else {
            let o = off + (k - 1) * n;
            (exp.times[b[k]], x[o..o + n].to_vec())
        };
        let save = if last {
            &exp.times[b[k]..]
        } else {
            &exp.times[b[k]..=b[k + 1]]
        };
        (t_start, y_start, save, last)
    }

    /// Initial segment states from a simulation at `x_fit`, replaced by data where observed.
    fn initial_states(&self, x_fit: &[f64]) -> Vec<f64> {
        let n = self.prep.model.dim();
        let mut x = x_fit.to_vec();
        x.resize(self.n_x, 0.0);
        let (p, y0) = self.assemble(&x);
        for (e, exp) in self.prep.exps.iter().enumerate() {
            let (b, off) = &self.segs[e];
            let sim = self.prep.model.solve(&p, exp.t0, &y0[e], &exp.times).ok();
            for (k, &row) in b.iter().enumerate().take(b.len() - 1).skip(1) {
                let o = off + (k - 1) * n;
                for s in 0..n {
                    x[o + s] = sim.as_ref().map_or(y0[e][s], |y| y[row * n + s]);
                }
                for (c, &s) in self.prep.obs[e].iter().enumerate() {
                    x[o + s] = exp.values[row * exp.observed.len() + c];
                }
            }
        }
        x
    }

    fn eval(
        &self,
        x: &[f64],
        r: &mut [f64],
        mut jac: Option<MatMut<'_, f64>>,
    ) -> Result<(), InverseError> {
        let n = self.prep.model.dim();
        let (p, y0) = self.assemble(x);
        if let Some(j) = jac.as_mut() {
            j.fill(0.0);
        }
        // columns of the fitted parameters
        let p_cols: Vec<(usize, usize)> = self
            .prep
            .kinds
            .iter()
            .enumerate()
            .filter_map(|(c, k)| match k {
                Kind::Param(i) => Some((*i, c)),
                _ => None,
            })
            .collect();
        let wrt_p: Vec<usize> = p_cols.iter().map(|(i, _)| *i).collect();
        let mut row = 0;
        for (e, exp) in self.prep.exps.iter().enumerate() {
            let (b, off) = &self.segs[e];
            let nseg = b.len() - 1;
            let nobs = exp.observed.len();
            for k in 0..nseg {
                let (t_start, y_start, save, last) = self.segment(e, k, x, &y0);
                // initial-state columns of this segment: (state, column)
                let y_cols: Vec<(usize, usize)> = if k == 0 {
                    self.prep
                        .kinds
                        .iter()
                        .enumerate()
                        .filter_map(|(c, kd)| match kd {
                            Kind::Y0 { exp: ee, state } if *ee == e => Some((*state, c)),
                            _ => None,
                        })
                        .collect()
                } else {
                    (0..n).map(|s| (s, off + (k - 1) * n + s)).collect()
                };
                let (y, sens) = if jac.is_some() {
                    let wrt_y: Vec<usize> = y_cols.iter().map(|(s, _)| *s).collect();
                    let (y, s) = self
                        .prep
                        .model
                        .solve_sens(&p, t_start, &y_start, save, &wrt_p, &wrt_y)?;
                    (y, Some(s))
                } else {
                    (self.prep.model.solve(&p, t_start, &y_start, save)?, None)
                };
                let nk = wrt_p.len() + y_cols.len();
                let cols: Vec<usize> = p_cols
                    .iter()
                    .map(|(_, c)| *c)
                    .chain(y_cols.iter().map(|(_, c)| *c))
                    .collect();
                let rows_here = b[k + 1] - b[k];
                for il in 0..rows_here {
                    let i = b[k] + il;
                    for (c, &s) in self.prep.obs[e].iter().enumerate() {
                        let w = 1.0 / exp.sigma[c];
                        r[row] = w * (y[il * n + s] - exp.values[i * nobs + c]);
                        if let (Some(j), Some(sv)) = (jac.as_mut(), sens.as_ref()) {
                            for (kk, &col) in cols.iter().enumerate() {
                                j[(row, col)] += w * sv[(il * n + s) * nk + kk];
                            }
                        }
                        row += 1;
                    }
                }
                if !last {
                    let il = rows_here;
                    let o_next = off + k * n;
                    for s in 0..n {
                        r[row] = self.weight * (y[il * n + s] - x[o_next + s]);
                        if let (Some(j), Some(sv)) = (jac.as_mut(), sens.as_ref()) {
                            for (kk, &col) in cols.iter().enumerate() {
                                j[(row, col)] += self.weight * sv[(il * n + s) * nk + kk];
                            }
                            j[(row, o_next + s)] -= self.weight;
                        }
                        row += 1;
                    }
                }
            }
        }
        debug_assert_eq!(row, self.m);
        Ok(())
    }
}

impl LeastSquares for Residuals<'_, '_> {
    fn n_params(&self) -> usize {
        self.n_x
    }
    fn n_residuals(&self) -> usize {
        self.m
    }
    fn residuals(&mut self, x: &[f64], r: &mut [f64]) -> Result<(), InverseError> {
        self.eval(x, r, None)
    }
    fn jacobian(
        &mut self,
        x: &[f64],
        r: &mut [f64],
        jac: MatMut<'_, f64>,
    ) -> Result<(), InverseError> {
        self.eval(x, r, Some(jac))
    }
}

/// Outcome of one optimisation in natural unknowns.
struct Stage {
    x: Vec<f64>,
    cost: f64,
    iterations: usize,
    residual_evals: usize,
    jacobian_evals: usize,
    termination: Termination,
}

fn optimise(
    res: &mut Residuals<'_, '_>,
    specs: &[ParamSpec],
    x0: &[f64],
    opts: &FitOptions,
) -> Result<Stage, InverseError> {
    if res.m < res.n_x {
        return Err(InverseError::TooFewResiduals {
            residuals: res.m,
            unknowns: res.n_x,
        });
    }
    match (opts.optimizer, opts.gradient) {
        (Optimizer::Lm, _) => {
            let mut t = Transformed::new(res, specs);
            let u0 = t.to_internal(x0)?;
            let rep = levenberg_marquardt(&mut t, &u0, &opts.lm)?;
            Ok(Stage {
                x: t.to_external(&rep.x),
                cost: rep.cost,
                iterations: rep.iterations,
                residual_evals: rep.residual_evals,
                jacobian_evals: rep.jacobian_evals,
                termination: rep.termination,
            })
        }
        (Optimizer::Lbfgs, GradientSource::Jacobian) => {
            let mut t = Transformed::new(res, specs);
            let u0 = t.to_internal(x0)?;
            let rep = {
                let mut obj = SumOfSquares::new(&mut t);
                lbfgs(&mut obj, &u0, &opts.lbfgs)?
            };
            Ok(Stage {
                x: t.to_external(&rep.x),
                cost: rep.f,
                iterations: rep.iterations,
                residual_evals: rep.evals,
                jacobian_evals: rep.evals,
                termination: rep.termination,
            })
        }
        (Optimizer::Lbfgs, mode) => {
            let mut cost = AdjointCost { res, mode };
            let mut t = TransformedObjective::new(&mut cost, specs);
            let u0 = t.to_internal(x0)?;
            let rep = lbfgs(&mut t, &u0, &opts.lbfgs)?;
            Ok(Stage {
                x: t.to_external(&rep.x),
                cost: rep.f,
                iterations: rep.iterations,
                residual_evals: rep.evals,
                jacobian_evals: rep.evals,
                termination: rep.termination,
            })
        }
    }
}

/// The least-squares misfit of one shooting segment as an adjoint loss: point costs
/// `½ Σ_k w²_ik (y_k(tᵢ) − d_ik)²` with per-entry weights (`NaN` target: not observed), which
/// also records the state at the last time (for the continuity term's gradient).
struct SegmentLoss {
    times: Vec<f64>,
    n: usize,
    target: Vec<f64>,
    w2: Vec<f64>,
    y_last: RefCell<Vec<f64>>,
}

impl TrajectoryLoss for SegmentLoss {
    fn times(&self) -> &[f64] {
        &self.times
    }
    fn point(&self, i: usize, _t: f64, y: &[f64], grad: &mut [f64]) -> f64 {
        let n = self.n;
        if i + 1 == self.times.len() {
            self.y_last.borrow_mut().copy_from_slice(&y[..n]);
        }
        let mut l = 0.0;
        for k in 0..n {
            let d = self.target[i * n + k];
            if d.is_nan() {
                grad[k] = 0.0;
            } else {
                let r = y[k] - d;
                grad[k] = self.w2[i * n + k] * r;
                l += 0.5 * self.w2[i * n + k] * r * r;
            }
        }
        l
    }
}

impl Residuals<'_, '_> {
    /// `½‖r‖²` and its gradient in the natural unknowns by one adjoint per segment: the data
    /// rows are point costs, a segment's continuity residual a point cost at its end; `∂/∂p`
    /// and `∂/∂y(start)` come from the adjoint, `∂/∂s_{k+1}` of the continuity term directly.
    fn adjoint_eval(
        &self,
        x: &[f64],
        grad: &mut [f64],
        mode: GradientSource,
    ) -> Result<f64, InverseError> {
        let model = self.prep.model;
        let n = model.dim();
        let (p, y0) = self.assemble(x);
        let prob = model.with_params(&p)?;
        grad.fill(0.0);
        let mut cost = 0.0;
        let w2c = self.weight * self.weight;
        for (e, exp) in self.prep.exps.iter().enumerate() {
            let (b, off) = &self.segs[e];
            let nseg = b.len() - 1;
            let nobs = exp.observed.len();
            for k in 0..nseg {
                let (t_start, y_start, save, last) = self.segment(e, k, x, &y0);
                let mut target = vec![f64::NAN; save.len() * n];
                let mut w2 = vec![0.0; save.len() * n];
                let rows_here = b[k + 1] - b[k];
                for il in 0..rows_here {
                    let i = b[k] + il;
                    for (c, &s) in self.prep.obs[e].iter().enumerate() {
                        target[il * n + s] = exp.values[i * nobs + c];
                        w2[il * n + s] = 1.0 / (exp.sigma[c] * exp.sigma[c]);
                    }
                }
                let o_next = off + k * n;
                if !last {
                    let il = rows_here;
                    target[il * n..(il + 1) * n].copy_from_slice(&x[o_next..o_next + n]);
                    w2[il * n..(il + 1) * n].fill(w2c);
                }
                let loss = SegmentLoss {
                    times: save.to_vec(),
                    n,
                    target,
                    w2,
                    y_last: RefCell::new(vec![0.0; n]),
                };
                let t_end = *save.last().expect("segments hold at least one row");
                let failed = |e: ai4de_ode::OdeError| InverseError::EvaluationFailed {
                    params: model.named(&p),
                    reason: e.to_string(),
                };
                let g = match mode {
                    GradientSource::DiscreteAdjoint => {
                        DiscreteAdjoint::new(&prob, (t_start, t_end), &y_start, &loss)
                            .method(model.method)
                            .rtol(model.rtol)
                            .atol(model.atol)
                            .max_steps(model.max_steps)
                            .run()
                            .map_err(failed)?
                            .gradient
                    }
                    _ => ContinuousAdjoint::new(&prob, (t_start, t_end), &y_start, &loss)
                        .method(model.method)
                        .rtol(model.rtol)
                        .atol(model.atol)
                        .max_steps(model.max_steps)
                        .run()
                        .map_err(failed)?,
                };
                cost += g.loss;
                for (c, kind) in self.prep.kinds.iter().enumerate() {
                    match *kind {
                        Kind::Param(i) => grad[c] += g.dp[i],
                        Kind::Y0 { exp: ee, state } if k == 0 && ee == e => grad[c] += g.dy0[state],
                        Kind::Y0 { .. } => {}
                    }
                }
                if k > 0 {
                    let o = off + (k - 1) * n;
                    for s in 0..n {
                        grad[o + s] += g.dy0[s];
                    }
                }
                if !last {
                    let y_end = loss.y_last.borrow();
                    for s in 0..n {
                        grad[o_next + s] -= w2c * (y_end[s] - x[o_next + s]);
                    }
                }
            }
        }
        if !cost.is_finite() || grad.iter().any(|v| !v.is_finite()) {
            return Err(InverseError::NonFinite {
                what: "cost or adjoint gradient",
                params: model.named(&p),
            });
        }
        Ok(cost)
    }
}

/// The fit's cost `½‖r‖²` with an adjoint gradient, in natural unknowns.
struct AdjointCost<'r, 'p, 'a> {
    res: &'r Residuals<'p, 'a>,
    mode: GradientSource,
}

impl Objective for AdjointCost<'_, '_, '_> {
    fn n_params(&self) -> usize {
        self.res.n_x
    }
    fn value_grad(&mut self, x: &[f64], grad: &mut [f64]) -> Result<f64, InverseError> {
        self.res.adjoint_eval(x, grad, self.mode)
    }
}

/// The cost `½‖r‖²` of a fit and its gradient with respect to the natural unknowns `x` (the
/// fitted unknowns in the order of `unknowns`, then, for multiple shooting, each experiment's
/// segment states `s_1, s_2, …`), from the chosen gradient source: for checking the adjoint
/// against forward sensitivities, and for users with their own optimiser.
///
/// Errors: those of [`fit`]'s set-up; [`InverseError::DimensionMismatch`] for a wrong-length
/// `x`; [`InverseError::EvaluationFailed`] / [`InverseError::NonFinite`] at `x`.
pub fn cost_gradient(
    model: &OdeModel,
    experiments: &[Experiment],
    unknowns: &[FitUnknown],
    shooting: Shooting,
    x: &[f64],
    source: GradientSource,
) -> Result<(f64, Vec<f64>), InverseError> {
    let prep = prepare(model, experiments, unknowns)?;
    let mut res = Residuals::new(&prep, shooting)?;
    if x.len() != res.n_x {
        return Err(InverseError::DimensionMismatch {
            what: "unknown values (fitted unknowns, then segment states)",
            expected: res.n_x,
            found: x.len(),
        });
    }
    let mut grad = vec![0.0; res.n_x];
    let f = match source {
        GradientSource::Jacobian => SumOfSquares::new(&mut res).value_grad(x, &mut grad)?,
        mode => res.adjoint_eval(x, &mut grad, mode)?,
    };
    Ok((f, grad))
}

/// The starting unknowns of a multiple-shooting fit (the fitted unknowns at `values`, then the
/// segment states from a simulation, replaced by data where observed): the `x` that
/// [`cost_gradient`] takes.
pub fn shooting_start(
    model: &OdeModel,
    experiments: &[Experiment],
    unknowns: &[FitUnknown],
    shooting: Shooting,
    values: &[f64],
) -> Result<Vec<f64>, InverseError> {
    let prep = prepare(model, experiments, unknowns)?;
    let res = Residuals::new(&prep, shooting)?;
    if values.len() != prep.kinds.len() {
        return Err(InverseError::DimensionMismatch {
            what: "unknown values",
            expected: prep.kinds.len(),
            found: values.len(),
        });
    }
    Ok(res.initial_states(values))
}

/// Fits `unknowns` of `model` to `experiments` (see the module doc).
///
/// Errors (all before the first solve, except the last two): unknown parameter or state names,
/// duplicate unknowns, bad bounds or starting values, non-finite data, data times outside the
/// span or not increasing, too few residuals; then [`InverseError::EvaluationFailed`] if the
/// model cannot be solved at the starting point, and [`InverseError::Diverged`] if the fit keeps
/// failing.
pub fn fit(
    model: &OdeModel,
    experiments: &[Experiment],
    unknowns: &[FitUnknown],
    opts: &FitOptions,
) -> Result<FitResult, InverseError> {
    let prep = prepare(model, experiments, unknowns)?;
    let n_fit = prep.kinds.len();
    let mut warnings = Vec::new();

    let mut x_fit = prep.starts.clone();
    let mut ms = None;
    if let Shooting::Multiple { segments, .. } = opts.shooting {
        if segments > 1 {
            let mut res = Residuals::new(&prep, opts.shooting)?;
            let x0 = res.initial_states(&x_fit);
            let stage = optimise(&mut res, &prep.specs, &x0, opts)?;
            x_fit = stage.x[..n_fit].to_vec();
            ms = Some((stage.iterations, stage.cost));
        }
    }
    let mut single = Residuals::new(&prep, Shooting::Single)?;
    let stage = optimise(&mut single, &prep.specs, &x_fit, opts)?;
    if !stage.termination.converged() {
        warnings.push(format!(
            "iteration limit reached after {} iterations: the estimates may not be converged",
            stage.iterations
        ));
    }

    // Laplace covariance from ∂r/∂p at the optimum (natural unknowns)
    let m = single.m;
    let mut r = vec![0.0; m];
    let mut jac = Mat::<f64>::zeros(m, n_fit);
    single.jacobian(&stage.x, &mut r, jac.as_mut())?;
    let cost = 0.5 * r.iter().map(|v| v * v).sum::<f64>();
    let dof = m - n_fit;
    let s2 = if dof > 0 {
        2.0 * cost / dof as f64
    } else {
        f64::NAN
    };
    let scale = if opts.absolute_sigma { 1.0 } else { s2 };
    let jq = jacobian_in_q(&jac, &prep.specs, &stage.x);
    let tq = if dof > 0 {
        student_t_quantile(0.975, dof as f64)
    } else {
        f64::NAN
    };
    let (cov_q, corr) = match gauss_newton_inverse(&jq) {
        Ok(inv) if scale.is_finite() => {
            let cov = Mat::<f64>::from_fn(n_fit, n_fit, |i, j| scale * inv[(i, j)]);
            let corr: Vec<Vec<f64>> = (0..n_fit)
                .map(|i| {
                    (0..n_fit)
                        .map(|j| cov[(i, j)] / (cov[(i, i)] * cov[(j, j)]).sqrt())
                        .collect()
                })
                .collect();
            (Some(cov), Some(corr))
        }
        Ok(_) => {
            warnings.push("no degrees of freedom left: no standard errors".into());
            (None, None)
        }
        Err(j) => {
            warnings.push(
                InverseError::SingularCovariance {
                    name: prep.specs[j].name.clone(),
                }
                .to_string(),
            );
            (None, None)
        }
    };
    let mut estimates = Vec::with_capacity(n_fit);
    for (k, spec) in prep.specs.iter().enumerate() {
        let v = stage.x[k];
        let at_bound = spec.at_bound(v);
        if at_bound {
            warnings.push(format!(
                "'{}' = {v} is on a bound: its standard error is not meaningful",
                spec.name
            ));
        }
        let (se, ci) = match &cov_q {
            Some(c) => {
                let se_q = c[(k, k)].max(0.0).sqrt();
                match spec.scale {
                    Scale::Linear => (Some(se_q), Some((v - tq * se_q, v + tq * se_q))),
                    Scale::Log => (
                        Some(v * se_q),
                        Some(((v.ln() - tq * se_q).exp(), (v.ln() + tq * se_q).exp())),
                    ),
                }
            }
            None => (None, None),
        };
        estimates.push(Estimate {
            name: spec.name.clone(),
            value: v,
            start: prep.starts[k],
            std_error: se,
            ci95: ci,
            scale: spec.scale,
            lo: spec.lo,
            hi: spec.hi,
            at_bound,
        });
    }
    let (params, y0) = single.assemble(&stage.x);
    Ok(FitResult {
        estimates,
        cost,
        n_residuals: m,
        dof,
        s2,
        optimizer: opts.optimizer,
        gradient: (opts.optimizer == Optimizer::Lbfgs).then_some(opts.gradient),
        iterations: stage.iterations,
        residual_evals: stage.residual_evals,
        jacobian_evals: stage.jacobian_evals,
        termination: stage.termination,
        multiple_shooting: ms,
        correlation: corr,
        covariance_q: cov_q.map(|c| {
            (0..n_fit)
                .map(|i| (0..n_fit).map(|j| c[(i, j)]).collect())
                .collect()
        }),
        params,
        y0,
        warnings,
    })
}

/// The weighted residual vector and cost at given unknown values (natural units, in the order
/// of `unknowns`), single shooting — for MCMC and checks.
pub fn cost_at(
    model: &OdeModel,
    experiments: &[Experiment],
    unknowns: &[FitUnknown],
    values: &[f64],
) -> Result<f64, InverseError> {
    let prep = prepare(model, experiments, unknowns)?;
    let res = Residuals::new(&prep, Shooting::Single)?;
    if values.len() != res.n_x {
        return Err(InverseError::DimensionMismatch {
            what: "unknown values",
            expected: res.n_x,
            found: values.len(),
        });
    }
    let mut r = vec![0.0; res.m];
    res.eval(values, &mut r, None)?;
    let c = 0.5 * r.iter().map(|v| v * v).sum::<f64>();
    if c.is_finite() {
        Ok(c)
    } else {
        Err(InverseError::NonFinite {
            what: "cost",
            params: prep
                .specs
                .iter()
                .map(|s| s.name.clone())
                .zip(values.iter().copied())
                .collect(),
        })
    }
}

/// A synthetic experiment: the model (at its current parameters) solved from `y0` at `times`,
/// with the `observed` states kept and seeded Gaussian noise of standard deviation
/// `σ_c = noise · max_i |y_c(tᵢ)|` added to each (the σ are stored as the experiment's weights).
pub fn synthetic_experiment(
    model: &OdeModel,
    t0: f64,
    y0: &[f64],
    times: &[f64],
    observed: &[&str],
    noise: f64,
    seed: u64,
) -> Result<Experiment, InverseError> {
    use rand::SeedableRng;
    use rand_distr::{Distribution, StandardNormal};
    if !(noise.is_finite() && noise >= 0.0) {
        return Err(InverseError::InvalidOption {
            name: "noise",
            reason: format!("must be finite and >= 0, got {noise}"),
        });
    }
    let n = model.dim();
    let p = model.problem.param_values();
    let y = model.solve(&p, t0, y0, times)?;
    let idx: Vec<usize> = observed
        .iter()
        .map(|s| model.state_index(s))
        .collect::<Result<_, _>>()?;
    let sigma: Vec<f64> = idx
        .iter()
        .map(|&s| {
            let m = (0..times.len()).fold(0.0f64, |a, i| a.max(y[i * n + s].abs()));
            if noise > 0.0 {
                noise * m.max(f64::MIN_POSITIVE)
            } else {
                1.0
            }
        })
        .collect();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut values = Vec::with_capacity(times.len() * idx.len());
    for i in 0..times.len() {
        for (c, &s) in idx.iter().enumerate() {
            let z: f64 = StandardNormal.sample(&mut rng);
            let e = if noise > 0.0 { sigma[c] * z } else { 0.0 };
            values.push(y[i * n + s] + e);
        }
    }
    Ok(Experiment {
        name: format!("synthetic (seed {seed})"),
        t0,
        y0: y0.to_vec(),
        t_end: None,
        times: times.to_vec(),
        observed: observed.iter().map(|s| s.to_string()).collect(),
        values,
        sigma,
    })
}

/// Posterior samples of the unknowns by adaptive Metropolis ([`crate::mcmc`]), started at the
/// fit's optimum with its Laplace covariance as the initial proposal.
///
/// The likelihood is the Gaussian one of the weighted residuals, `exp(−cost/s²)` with `s² = 1`
/// when [`FitOptions::absolute_sigma`] holds, else the fit's `s²`; the prior is flat on the
/// fitting scale (`ln p` for log-parameters) inside the bounds. Samples and summaries are
/// returned in the natural parameters, in the order of `unknowns`.
pub fn sample_posterior(
    model: &OdeModel,
    experiments: &[Experiment],
    unknowns: &[FitUnknown],
    result: &FitResult,
    fit_opts: &FitOptions,
    opts: &crate::mcmc::McmcOptions,
) -> Result<crate::mcmc::McmcResult, InverseError> {
    let prep = prepare(model, experiments, unknowns)?;
    let res = Residuals::new(&prep, Shooting::Single)?;
    let n = prep.specs.len();
    if result.estimates.len() != n {
        return Err(InverseError::DimensionMismatch {
            what: "fit result (estimates)",
            expected: n,
            found: result.estimates.len(),
        });
    }
    let scale = if fit_opts.absolute_sigma {
        1.0
    } else {
        result.s2
    };
    if !(scale.is_finite() && scale > 0.0) {
        return Err(InverseError::InvalidOption {
            name: "mcmc",
            reason: format!("noise scale s2 = {scale} is not positive (no degrees of freedom?)"),
        });
    }
    let q0: Vec<f64> = prep
        .specs
        .iter()
        .zip(&result.estimates)
        .map(|(s, e)| s.to_q(e.value))
        .collect();
    let cov0: Vec<f64> = match &result.covariance_q {
        Some(c) => c.iter().flatten().copied().collect(),
        None => (0..n * n)
            .map(|k| {
                if k % (n + 1) == 0 {
                    (1e-2 * q0[k / n].abs().max(1e-3)).powi(2)
                } else {
                    0.0
                }
            })
            .collect(),
    };
    let specs = &prep.specs;
    let m = res.m;
    let logp = |q: &[f64]| -> f64 {
        let x: Vec<f64> = specs.iter().zip(q).map(|(s, &v)| s.from_q(v)).collect();
        if !specs.iter().zip(&x).all(|(s, &v)| s.contains(v)) {
            return f64::NEG_INFINITY;
        }
        let mut r = vec![0.0; m];
        match res.eval(&x, &mut r, None) {
            Ok(()) => {
                let c = 0.5 * r.iter().map(|v| v * v).sum::<f64>();
                if c.is_finite() {
                    -c / scale
                } else {
                    f64::NEG_INFINITY
                }
            }
            Err(_) => f64::NEG_INFINITY,
        }
    };
    let out = crate::mcmc::adaptive_metropolis(logp, &q0, &cov0, opts)?;
    Ok(out.map(|row| {
        for (v, s) in row.iter_mut().zip(specs.iter()) {
            *v = s.from_q(*v);
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segment_boundaries_cover_all_rows() {
        assert_eq!(boundaries(10, 1), vec![0, 10]);
        assert_eq!(boundaries(10, 3), vec![0, 3, 7, 10]);
        assert_eq!(boundaries(2, 5), vec![0, 1, 2]);
        for n in 1..30 {
            for k in 1..8 {
                let b = boundaries(n, k);
                assert_eq!(b[0], 0);
                assert_eq!(*b.last().unwrap(), n);
                assert!(b.windows(2).all(|w| w[1] > w[0]), "{n} {k} {b:?}");
            }
        }
    }
}
