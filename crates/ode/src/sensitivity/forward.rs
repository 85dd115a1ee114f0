//! Forward sensitivities: the state and the sensitivity equations as one augmented system.

use std::cell::{OnceCell, RefCell};

use num_dual::{Dual64, HyperDual64};

use super::ParametricSystem;
use crate::error::OdeError;
use crate::jacobian::JacobianOptions;
use crate::mass::MassMatrix;
use crate::methods::Method;
use crate::solution::Stats;
use crate::solve::{Options, SaveAt, Solve, Tolerance};
use crate::sparsity::SparsityPattern;
use crate::system::OdeSystem;

/// What one sensitivity column differentiates with respect to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SensColumn {
    /// Parameter `p_i` (index into [`ParametricSystem::param_values`]).
    Param(usize),
    /// Initial state component `y0_k`.
    InitialState(usize),
}

/// Builder for a solve of `y' = f(t, y; p)` with forward sensitivities
/// `S(t) = ∂y(t)/∂(p, y0)`; see the [module docs](super) for the equations.
///
/// By default the columns are all parameters ([`SensColumn::Param`] `0..n_p`, in order); add
/// initial-state columns with [`ForwardSensitivity::wrt_initial_state`] or choose them all with
/// [`ForwardSensitivity::columns`]. The result holds `y(t_i)` and `S(t_i)` at the saved times
/// (set [`SaveAt::Times`] to the data times for a least-squares fit: row `i` of the residual
/// Jacobian block for component `k` is [`SensitivitySolution::sens`]`(i, k, ·)`).
///
/// Any [`Method`] works. The stiff methods get the augmented system's exact Jacobian
/// (block lower-triangular, with the second-derivative coupling blocks) from
/// [`ParametricSystem::rhs_params_hyperdual`] and its block sparsity pattern, so the Jacobian of
/// the `n (1 + m)` system costs about `2 n m` hyper-dual evaluations for a dense `∂f/∂y` (far
/// fewer with a sparse one, by column colouring). Without the hyper-dual form they fall back
/// to finite differences of the augmented system. The sensitivities take part in the error
/// control (as in DifferentialEquations.jl; CVODES' `errconS = true`) unless
/// [`ForwardSensitivity::sensitivity_error_control`] turns that off.
///
/// A constant mass matrix must be diagonal (`rober_dae`); the initial sensitivities of a DAE's
/// algebraic components must be consistent (zero for parameter columns of `rober_dae`, whose
/// constraint has no parameter).
///
/// ```
/// use ai4de_ode::problems;
/// use ai4de_ode::sensitivity::{ForwardSensitivity, SensColumn};
/// use ai4de_ode::SaveAt;
/// // y' = λ y: y(t) = y0 e^{λt}, ∂y/∂λ = t y0 e^{λt}, ∂y/∂y0 = e^{λt}
/// let decay = problems::get("decay").unwrap(); // λ = -1, y0 = 1
/// let sol = ForwardSensitivity::new(&decay, (0.0, 2.0), &[1.0])
///     .wrt_initial_state(&[0])
///     .rtol(1e-10)
///     .atol(1e-12)
///     .save_at(SaveAt::Times(vec![1.0, 2.0]))
///     .run()
///     .unwrap();
/// assert_eq!(sol.columns, [SensColumn::Param(0), SensColumn::InitialState(0)]);
/// let e2 = (-2.0f64).exp();
/// assert!((sol.state(1)[0] - e2).abs() < 1e-10);
/// assert!((sol.sens(1, 0, 0) - 2.0 * e2).abs() < 1e-9);
/// assert!((sol.sens(1, 0, 1) - e2).abs() < 1e-10);
/// ```
pub struct ForwardSensitivity<'a, S: ParametricSystem + ?Sized> {
    system: &'a S,
    t0: f64,
    t_end: f64,
    y0: &'a [f64],
    columns: Vec<SensColumn>,
    method: Method,
    options: Options,
    error_control: bool,
}

impl<'a, S: ParametricSystem + ?Sized> ForwardSensitivity<'a, S> {
    /// Sensitivities with respect to every parameter, [`Method::Tsit5`], default options.
    pub fn new(system: &'a S, t_span: (f64, f64), y0: &'a [f64]) -> Self {
        Self {
            system,
            t0: t_span.0,
            t_end: t_span.1,
            y0,
            columns: (0..system.n_params()).map(SensColumn::Param).collect(),
            method: Method::Tsit5,
            options: Options::default(),
            error_control: true,
        }
    }
    /// Replaces the columns.
    pub fn columns(mut self, columns: Vec<SensColumn>) -> Self {
        self.columns = columns;
        self
    }
    /// Only these parameters (replacing the parameter columns, keeping initial-state ones).
    pub fn wrt_params(mut self, params: &[usize]) -> Self {
        self.columns
            .retain(|c| matches!(c, SensColumn::InitialState(_)));
        let mut cols: Vec<_> = params.iter().map(|&i| SensColumn::Param(i)).collect();
        cols.append(&mut self.columns);
        self.columns = cols;
        self
    }
    /// Adds initial-state columns for these components.
    pub fn wrt_initial_state(mut self, components: &[usize]) -> Self {
        self.columns
            .extend(components.iter().map(|&k| SensColumn::InitialState(k)));
        self
    }
    /// Every parameter and every initial-state component.
    pub fn wrt_all(mut self) -> Self {
        let np = self.system.n_params();
        let n = self.system.dim();
        self.columns = (0..np)
            .map(SensColumn::Param)
            .chain((0..n).map(SensColumn::InitialState))
            .collect();
        self
    }
    /// The integration method (default [`Method::Tsit5`]).
    pub fn method(mut self, method: Method) -> Self {
        self.method = method;
        self
    }
    /// Relative tolerance (state and sensitivities).
    pub fn rtol(mut self, rtol: f64) -> Self {
        self.options.rtol = Tolerance::Scalar(rtol);
        self
    }
    /// Absolute tolerance (state and sensitivities).
    pub fn atol(mut self, atol: f64) -> Self {
        self.options.atol = Tolerance::Scalar(atol);
        self
    }
    /// Which times to keep (default every step).
    pub fn save_at(mut self, save_at: SaveAt) -> Self {
        self.options.save_at = save_at;
        self
    }
    /// Maximum number of steps.
    pub fn max_steps(mut self, max_steps: usize) -> Self {
        self.options.max_steps = max_steps;
        self
    }
    /// Jacobian options of the stiff methods (for the augmented system).
    pub fn jacobian(mut self, options: JacobianOptions) -> Self {
        self.options.jacobian = options;
        self
    }
    /// All solver options at once. Per-component tolerances of length `n` apply to the state
    /// and, repeated, to every sensitivity column; length `n (1 + m)` is taken as is.
    pub fn options(mut self, options: Options) -> Self {
        self.options = options;
        self
    }
    /// Whether the sensitivities take part in the step-size control (default `true`). Off,
    /// steps are chosen for `y` alone (cheaper, and the sensitivities are then only as accurate
    /// as those steps make them).
    pub fn sensitivity_error_control(mut self, on: bool) -> Self {
        self.error_control = on;
        self
    }

    /// Solves the augmented system.
    ///
    /// Errors: every error of [`Solve::run`]; [`OdeError::DimensionMismatch`] for `y0`;
    /// [`OdeError::InvalidOption`] for a column out of range;
    /// [`OdeError::SensitivityUnavailable`] when the system has no
    /// [`ParametricSystem::rhs_params_dual`] or has a non-diagonal mass matrix.
    pub fn run(self) -> Result<SensitivitySolution, OdeError> {
        let n = self.system.dim();
        if self.y0.len() != n {
            return Err(OdeError::DimensionMismatch {
                what: "y0",
                expected: n,
                found: self.y0.len(),
            });
        }
        let aug = Augmented::new(self.system, &self.columns)?;
        let m = self.columns.len();
        let mut z0 = vec![0.0; n * (1 + m)];
        z0[..n].copy_from_slice(self.y0);
        for (j, c) in self.columns.iter().enumerate() {
            if let SensColumn::InitialState(k) = *c {
                z0[n * (1 + j) + k] = 1.0;
            }
        }
        let mut options = self.options;
        options.rtol = expand_tolerance(&options.rtol, n, m, None, "rtol")?;
        let off = (!self.error_control).then_some(1e300);
        options.atol = expand_tolerance(&options.atol, n, m, off, "atol")?;
        if !self.error_control {
            options.rtol = expand_tolerance(&options.rtol, n * (1 + m), 0, None, "rtol")?;
            if let Tolerance::Vector(r) = &mut options.rtol {
                r[n..].fill(0.0);
            }
        }
        let sol = Solve::new(&aug, (self.t0, self.t_end), &z0)
            .method(self.method)
            .options(options)
            .run()?;
        Ok(SensitivitySolution {
            method: sol.method,
            t: sol.t,
            dim: n,
            columns: self.columns,
            z: sol.y,
            stats: sol.stats,
        })
    }
}

/// Tolerances for the augmented state: a scalar stays a scalar unless `sens_atol` replaces
/// the sensitivities' value; a length-`n` vector is repeated for every column.
fn expand_tolerance(
    tol: &Tolerance,
    n: usize,
    m: usize,
    sens_value: Option<f64>,
    what: &'static str,
) -> Result<Tolerance, OdeError> {
    let full = n * (1 + m);
    let base: Vec<f64> = match tol {
        Tolerance::Scalar(v) if sens_value.is_none() => return Ok(Tolerance::Scalar(*v)),
        Tolerance::Scalar(v) => vec![*v; n],
        Tolerance::Vector(v) if v.len() == full => {
            let mut v = v.clone();
            if let Some(s) = sens_value {
                v[n..].fill(s);
            }
            return Ok(Tolerance::Vector(v));
        }
        Tolerance::Vector(v) if v.len() == n => v.clone(),
        Tolerance::Vector(v) => {
            return Err(OdeError::DimensionMismatch {
                what,
                expected: n,
                found: v.len(),
            })
        }
    };
    let mut out = Vec::with_capacity(full);
    out.extend_from_slice(&base);
    for _ in 0..m {
        match sens_value {
            Some(s) => out.extend(std::iter::repeat_n(s, n)),
            None => out.extend_from_slice(&base),
        }
    }
    Ok(Tolerance::Vector(out))
}

/// The result of [`ForwardSensitivity::run`]: `y(t_i)` and `S(t_i) = ∂y(t_i)/∂(columns)`.
#[derive(Debug, Clone)]
pub struct SensitivitySolution {
    pub method: Method,
    /// Saved times.
    pub t: Vec<f64>,
    /// State dimension `n`.
    pub dim: usize,
    /// The `m` sensitivity columns, in order.
    pub columns: Vec<SensColumn>,
    /// Row `i` (`n (1 + m)` values) is `[y(t_i), s_1(t_i), …, s_m(t_i)]`, i.e. `y` followed by
    /// `S(t_i)` stored column-major.
    pub z: Vec<f64>,
    /// Statistics of the augmented solve (`f_evals` counts augmented evaluations, each `m` dual
    /// evaluations of `f`).
    pub stats: Stats,
}

impl SensitivitySolution {
    fn row_len(&self) -> usize {
        self.dim * (1 + self.columns.len())
    }
    /// Number of saved times.
    pub fn len(&self) -> usize {
        self.t.len()
    }
    /// Whether nothing was saved.
    pub fn is_empty(&self) -> bool {
        self.t.is_empty()
    }
    /// `y(t_i)`.
    pub fn state(&self, i: usize) -> &[f64] {
        let r = self.row_len();
        &self.z[i * r..i * r + self.dim]
    }
    /// `S(t_i)`, `n × m`: entry `(k, j)` is `∂y_k(t_i)/∂(column j)`.
    pub fn sensitivity(&self, i: usize) -> faer::MatRef<'_, f64> {
        let r = self.row_len();
        faer::MatRef::from_column_major_slice(
            &self.z[i * r + self.dim..(i + 1) * r],
            self.dim,
            self.columns.len(),
        )
    }
    /// `∂y_k(t_i)/∂(column j)`.
    pub fn sens(&self, i: usize, k: usize, j: usize) -> f64 {
        self.z[i * self.row_len() + self.dim * (1 + j) + k]
    }
    /// Column `j` of `S(t_i)`: `∂y(t_i)/∂(column j)`.
    pub fn sens_column(&self, i: usize, j: usize) -> &[f64] {
        let start = i * self.row_len() + self.dim * (1 + j);
        &self.z[start..start + self.dim]
    }
    /// The last saved state.
    pub fn y_final(&self) -> &[f64] {
        self.state(self.len() - 1)
    }
}

/// Scratch of the augmented right-hand side.
struct Scratch {
    yd: Vec<Dual64>,
    pd: Vec<Dual64>,
    fd: Vec<Dual64>,
    yh: Vec<HyperDual64>,
    ph: Vec<HyperDual64>,
    fh: Vec<HyperDual64>,
}

/// `z = [y, s_1, …, s_m]`, `z' = [f, J s_1 + f_p e_{c_1}, …]`.
pub(crate) struct Augmented<'a, S: ?Sized> {
    sys: &'a S,
    n: usize,
    /// Parameter index of each column (`None`: an initial-state column).
    cols: Vec<Option<usize>>,
    p: Vec<f64>,
    hyper: bool,
    /// The block pattern of the augmented Jacobian, built on first use: only the implicit
    /// methods ask for it, and for a dense `∂f/∂y` it has `n² (1 + 2m)` entries.
    pattern: OnceCell<Option<SparsityPattern>>,
    mass: Option<MassMatrix>,
    scratch: RefCell<Scratch>,
}

impl<'a, S: ParametricSystem + ?Sized> Augmented<'a, S> {
    pub(crate) fn new(sys: &'a S, columns: &[SensColumn]) -> Result<Self, OdeError> {
        let n = sys.dim();
        let np = sys.n_params();
        let p = sys.param_values();
        if p.len() != np {
            return Err(OdeError::DimensionMismatch {
                what: "param_values()",
                expected: np,
                found: p.len(),
            });
        }
        super::check_params(&p, np)?;
        let mut cols = Vec::with_capacity(columns.len());
        for c in columns {
            cols.push(match *c {
                SensColumn::Param(i) if i < np => Some(i),
                SensColumn::InitialState(k) if k < n => None,
                _ => {
                    return Err(OdeError::InvalidOption {
                        name: "sensitivity column",
                        reason: format!(
                            "{c:?} is out of range ({np} parameters, {n} state components)"
                        ),
                    })
                }
            });
        }
        let m = cols.len();
        let scratch = Scratch {
            yd: vec![Dual64::from_re(0.0); n],
            pd: p.iter().map(|&v| Dual64::from_re(v)).collect(),
            fd: vec![Dual64::from_re(0.0); n],
            yh: vec![HyperDual64::from_re(0.0); n],
            ph: p.iter().map(|&v| HyperDual64::from_re(v)).collect(),
            fh: vec![HyperDual64::from_re(0.0); n],
        };
        // Probe the capabilities once, at a harmless point.
        let mut s = scratch;
        let probe_y: Vec<Dual64> = vec![Dual64::from_re(0.0); n];
        if m > 0 && !sys.rhs_params_dual(Dual64::from_re(0.0), &probe_y, &s.pd, &mut s.fd) {
            return Err(OdeError::SensitivityUnavailable {
                what: "the system does not provide rhs_params_dual (f on dual numbers in y and p)"
                    .into(),
            });
        }
        let hyper = m > 0
            && sys.rhs_params_hyperdual(HyperDual64::from_re(0.0), &s.yh.clone(), &s.ph, &mut s.fh);
        let mass = match sys.mass_matrix() {
            None => None,
            Some(MassMatrix::Diagonal(d)) => Some(MassMatrix::Diagonal(
                (0..=m).flat_map(|_| d.iter().copied()).collect(),
            )),
            Some(_) => {
                return Err(OdeError::SensitivityUnavailable {
                    what: "forward sensitivities support only a diagonal mass matrix".into(),
                })
            }
        };
        Ok(Self {
            sys,
            n,
            cols,
            p,
            hyper,
            pattern: OnceCell::new(),
            mass,
            scratch: RefCell::new(s),
        })
    }
}

impl<S: ParametricSystem + ?Sized> OdeSystem for Augmented<'_, S> {
    fn dim(&self) -> usize {
        self.n * (1 + self.cols.len())
    }

    fn rhs(&self, t: f64, z: &[f64], dz: &mut [f64]) {
        let n = self.n;
        if self.cols.is_empty() {
            self.sys.rhs(t, &z[..n], &mut dz[..n]);
            return;
        }
        let mut guard = self.scratch.borrow_mut();
        let s = &mut *guard;
        let (y, sens) = z.split_at(n);
        let (dy, dsens) = dz.split_at_mut(n);
        for (j, col) in self.cols.iter().enumerate() {
            let sj = &sens[j * n..(j + 1) * n];
            for ((d, &v), &e) in s.yd.iter_mut().zip(y).zip(sj) {
                *d = Dual64::new(v, e);
            }
            if let Some(i) = *col {
                s.pd[i].eps = 1.0;
            }
            self.sys
                .rhs_params_dual(Dual64::from_re(t), &s.yd, &s.pd, &mut s.fd);
            if let Some(i) = *col {
                s.pd[i].eps = 0.0;
            }
            for (o, f) in dsens[j * n..(j + 1) * n].iter_mut().zip(&s.fd) {
                *o = f.eps;
            }
            if j == 0 {
                for (o, f) in dy.iter_mut().zip(&s.fd) {
                    *o = f.re;
                }
            }
        }
    }

    fn rhs_dual(&self, t: Dual64, z: &[Dual64], dz: &mut [Dual64]) -> bool {
        let n = self.n;
        if self.cols.is_empty() {
            return self.sys.rhs_dual(t, &z[..n], &mut dz[..n]);
        }
        if !self.hyper {
            return false;
        }
        let mut guard = self.scratch.borrow_mut();
        let s = &mut *guard;
        let (y, sens) = z.split_at(n);
        let (dy, dsens) = dz.split_at_mut(n);
        let th = HyperDual64::new(t.re, t.eps, 0.0, 0.0);
        for (j, col) in self.cols.iter().enumerate() {
            let sj = &sens[j * n..(j + 1) * n];
            for ((h, yv), sv) in s.yh.iter_mut().zip(y).zip(sj) {
                *h = HyperDual64::new(yv.re, yv.eps, sv.re, sv.eps);
            }
            if let Some(i) = *col {
                s.ph[i].eps2 = 1.0;
            }
            self.sys.rhs_params_hyperdual(th, &s.yh, &s.ph, &mut s.fh);
            if let Some(i) = *col {
                s.ph[i].eps2 = 0.0;
            }
            for (o, f) in dsens[j * n..(j + 1) * n].iter_mut().zip(&s.fh) {
                *o = Dual64::new(f.eps2, f.eps1eps2);
            }
            if j == 0 {
                for (o, f) in dy.iter_mut().zip(&s.fh) {
                    *o = Dual64::new(f.re, f.eps1);
                }
            }
        }
        true
    }

    fn is_autonomous(&self) -> bool {
        self.sys.is_autonomous()
    }

    fn jacobian_sparsity(&self) -> Option<&SparsityPattern> {
        self.pattern
            .get_or_init(|| {
                let (n, m) = (self.n, self.cols.len());
                let inner = self
                    .sys
                    .jacobian_sparsity()
                    .cloned()
                    .unwrap_or_else(|| SparsityPattern::dense(n, n));
                let entries = inner.entries().collect::<Vec<_>>();
                let mut all = Vec::with_capacity(entries.len() * (1 + 2 * m));
                for b in 0..=m {
                    all.extend(entries.iter().map(|&(i, k)| (b * n + i, b * n + k)));
                    if b > 0 {
                        all.extend(entries.iter().map(|&(i, k)| (b * n + i, k)));
                    }
                }
                // in range and free of duplicates by construction; should it ever fail, no
                // pattern (dense) is still correct
                SparsityPattern::from_entries(n * (1 + m), n * (1 + m), all).ok()
            })
            .as_ref()
    }

    fn mass_matrix(&self) -> Option<&MassMatrix> {
        self.mass.as_ref()
    }
}

impl<S: ?Sized> Augmented<'_, S> {
    /// The parameter values the system is differentiated at.
    #[allow(dead_code)]
    pub(crate) fn params(&self) -> &[f64] {
        &self.p
    }
}
