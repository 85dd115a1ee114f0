//! Jacobians `J = ∂f/∂y` (and `∂f/∂t`) for implicit and linearly implicit methods: analytic,
//! forward-mode automatic differentiation on dual numbers, or finite differences, dense or
//! sparse.
//!
//! [`JacobianEvaluator`] picks the best source the system offers, in this order:
//!
//! 1. **Analytic**: [`OdeSystem::jacobian`] (dense) or [`OdeSystem::jacobian_sparse`] (the values
//!    of the declared [`OdeSystem::jacobian_sparsity`] pattern).
//! 2. **Dual numbers**: [`OdeSystem::rhs_dual`], the right-hand side evaluated on
//!    [`JacDual`] = `Dual64` numbers (crate `num-dual`): one evaluation gives one directional
//!    derivative, i.e. one Jacobian column, exact to rounding. With a sparsity pattern the
//!    direction is the sum of a Curtis–Powell–Reid column group (below), so a 2-D
//!    reaction–diffusion Jacobian with 8 colours costs 8 dual evaluations whatever `n`.
//! 3. **Finite differences**: forward differences `J e_j ≈ (f(y + δ_j e_j) − f(y))/δ_j` with
//!    `δ_j = √ε · max(|y_j|, s_j) · sign(y_j)`, `s_j` a typical magnitude of `y_j` (default 1),
//!    rounded so that `y_j + δ_j` is exact (the standard increment: Shampine & Reichelt, *The
//!    MATLAB ODE Suite*, SIAM J. Sci. Comput. 18, 1997, §3.1; Hairer & Wanner II §IV.8; SciPy and
//!    FiniteDiff.jl use the same `√ε·max(|y_j|, 1)`). Taking `δ_j` with the sign of `y_j` moves
//!    away from zero, so a non-negative component (a concentration) stays non-negative. The error
//!    is `O(√ε)` relative, about `1e-8`. With a sparsity pattern, structurally orthogonal columns
//!    share one evaluation of `f` (Curtis, Powell & Reid, J. Inst. Math. Appl. 13, 1974), so the
//!    cost is the number of colours instead of `n`.
//!
//! Evaluations are counted in [`Stats`]: `jac_evals` per Jacobian, `f_evals` per call of `rhs`
//! (finite differences) or `rhs_dual` (dual numbers). All buffers are allocated by
//! [`JacobianEvaluator::new`]; evaluating allocates nothing.
//!
//! # Writing the right-hand side once for `f64` and dual numbers
//!
//! Write `f` generically over [`DualScalar`] (any `num_dual::DualNum<Primitive = f64> + Copy`, which
//! includes `f64`), and forward both [`OdeSystem::rhs`] and [`OdeSystem::rhs_dual`] to it.
//! Constants mix freely (`y[0] * 0.04`, `T::from(2.0)`); elementary functions are methods
//! (`y[0].exp()`, `y[1].powi(2)`, `t.sin()`).
//!
//! ```
//! use ai4de_ode::jacobian::{DualScalar, JacDual, JacobianEvaluator, JacobianOptions, JacobianSource};
//! use ai4de_ode::{OdeSystem, Stats};
//!
//! /// Robertson's chemical kinetics (Hairer & Wanner II, §IV.1).
//! struct Robertson;
//!
//! impl Robertson {
//!     fn f<T: DualScalar>(&self, _t: T, y: &[T], dy: &mut [T]) {
//!         let (a, b, c) = (y[0], y[1], y[2]);
//!         dy[0] = a * -0.04 + b * c * 1e4;
//!         dy[1] = a * 0.04 - b * c * 1e4 - b * b * 3e7;
//!         dy[2] = b * b * 3e7;
//!     }
//! }
//!
//! impl OdeSystem for Robertson {
//!     fn dim(&self) -> usize {
//!         3
//!     }
//!     fn rhs(&self, t: f64, y: &[f64], dy: &mut [f64]) {
//!         self.f(t, y, dy)
//!     }
//!     fn rhs_dual(&self, t: JacDual, y: &[JacDual], dy: &mut [JacDual]) -> bool {
//!         self.f(t, y, dy);
//!         true
//!     }
//! }
//!
//! let (t, y) = (0.0, [1.0, 2e-5, 0.5]);
//! let mut f0 = [0.0; 3];
//! Robertson.rhs(t, &y, &mut f0);
//! let mut stats = Stats::default();
//! let mut jac = JacobianEvaluator::new(&Robertson, &JacobianOptions::default()).unwrap();
//! jac.evaluate(&Robertson, t, &y, &f0, &mut stats).unwrap();
//! assert_eq!(jac.source(), Some(JacobianSource::Dual));
//! assert_eq!(jac.jacobian().get(2, 1), 2.0 * 3e7 * 2e-5); // ∂f₃/∂y₂ = 6e7·y₂, exact
//! assert_eq!((stats.jac_evals, stats.f_evals), (1, 3)); // one dual evaluation per column
//! ```

use faer::sparse::SparseColMatRef;
use faer::Mat;
use num_dual::{Dual64, DualNum};

use crate::error::OdeError;
use crate::solution::Stats;
use crate::sparsity::{ColumnColouring, SparsityPattern};
use crate::system::OdeSystem;

/// The dual number type of [`OdeSystem::rhs_dual`]: a value and one directional derivative
/// (`num_dual::Dual64`, two `f64`).
///
/// One direction per evaluation, and so one evaluation per Jacobian column (per column *group*
/// with a sparsity pattern), was measured faster than carrying several directions at once:
/// `num-dual`'s vector duals (`DualSVec64<N>`) wrap their derivative in an `Option` of an
/// `nalgebra` vector, which costs more than it saves. On the 32 × 32 Brusselator (8 colours) a
/// coloured Jacobian took 0.08 ms with `Dual64` (8 calls) against 0.10 / 0.20 / 0.30 ms with
/// 4 / 8 / 16 lanes (2 / 1 / 1 calls); a dense 50 × 50 one 0.012 ms against
/// 0.011 / 0.020 / 0.021 ms (`examples/dual_width.rs`). `Dual64` also needs no `nalgebra`.
pub type JacDual = Dual64;

/// The scalars a generic right-hand side is written for: `f64` and [`JacDual`] (and any other
/// `num_dual` number over `f64`, e.g. for second derivatives). Blanket-implemented.
pub trait DualScalar: DualNum<Primitive = f64> + Copy {}
impl<T: DualNum<Primitive = f64> + Copy> DualScalar for T {}

/// A Jacobian matrix, dense or in a fixed sparse pattern (values in the pattern's CSC order).
#[derive(Debug, Clone, PartialEq)]
pub enum Jacobian {
    Dense(Mat<f64>),
    Sparse {
        pattern: SparsityPattern,
        values: Vec<f64>,
    },
}

impl Jacobian {
    /// Number of rows.
    pub fn dim(&self) -> usize {
        match self {
            Self::Dense(m) => m.nrows(),
            Self::Sparse { pattern, .. } => pattern.nrows(),
        }
    }

    /// A zero Jacobian of the given storage.
    pub fn zeros(n: usize, pattern: Option<&SparsityPattern>) -> Self {
        match pattern {
            None => Self::Dense(Mat::zeros(n, n)),
            Some(p) => Self::Sparse {
                pattern: p.clone(),
                values: vec![0.0; p.nnz()],
            },
        }
    }

    /// Entry `(i, j)` (0 outside a sparse pattern). For tests and diagnostics.
    pub fn get(&self, i: usize, j: usize) -> f64 {
        match self {
            Self::Dense(m) => m[(i, j)],
            Self::Sparse { pattern, values } => pattern.position(i, j).map_or(0.0, |k| values[k]),
        }
    }

    /// A dense copy.
    pub fn to_dense(&self) -> Mat<f64> {
        match self {
            Self::Dense(m) => m.clone(),
            Self::Sparse { pattern, values } => {
                let mut m = Mat::zeros(pattern.nrows(), pattern.ncols());
                for ((i, j), &v) in pattern.entries().zip(values) {
                    m[(i, j)] = v;
                }
                m
            }
        }
    }

    /// A faer view of a sparse Jacobian.
    pub fn as_faer_sparse(&self) -> Option<SparseColMatRef<'_, usize, f64>> {
        match self {
            Self::Dense(_) => None,
            Self::Sparse { pattern, values } => {
                Some(SparseColMatRef::new(pattern.as_faer(), values))
            }
        }
    }

    /// `out = J·x` (for W-method corrections, Krylov products and checks). Allocates nothing.
    pub fn mul_vec_into(&self, x: &[f64], out: &mut [f64]) {
        out.fill(0.0);
        match self {
            Self::Dense(m) => {
                for (j, &xj) in x.iter().enumerate() {
                    for (o, &a) in out.iter_mut().zip(m.col_as_slice(j)) {
                        *o += a * xj;
                    }
                }
            }
            Self::Sparse { pattern, values } => {
                for (j, &xj) in x.iter().enumerate() {
                    let r = pattern.col_ptr()[j]..pattern.col_ptr()[j + 1];
                    for (&i, &a) in pattern.rows_of_col(j).iter().zip(&values[r]) {
                        out[i] += a * xj;
                    }
                }
            }
        }
    }

    /// The first non-finite entry as `(row, col)`.
    fn first_non_finite(&self) -> Option<(usize, usize)> {
        match self {
            Self::Dense(m) => (0..m.ncols()).find_map(|j| {
                let c = m.col_as_slice(j);
                if all_finite(c) {
                    return None;
                }
                c.iter().position(|v| !v.is_finite()).map(|i| (i, j))
            }),
            Self::Sparse { pattern, values } => values
                .iter()
                .position(|v| !v.is_finite())
                .map(|k| pattern.entries().nth(k).expect("k < nnz")),
        }
    }
}

/// Whether every entry is finite: `x·0` is `±0` for finite `x` and NaN otherwise, summed in four
/// independent lanes so that the check vectorises (an early-exit search does not; the Rosenbrock
/// methods check a Jacobian every step).
#[inline]
fn all_finite(v: &[f64]) -> bool {
    let mut acc = [0.0f64; 4];
    let chunks = v.chunks_exact(4);
    let rest = chunks.remainder();
    for c in chunks {
        for (a, &x) in acc.iter_mut().zip(c) {
            *a += x * 0.0;
        }
    }
    for (a, &x) in acc.iter_mut().zip(rest) {
        *a += x * 0.0;
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3]) == 0.0
}

/// Where Jacobians come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JacobianSource {
    /// [`OdeSystem::jacobian`] or [`OdeSystem::jacobian_sparse`].
    Analytic,
    /// [`OdeSystem::rhs_dual`] (forward-mode AD).
    Dual,
    /// Forward differences of [`OdeSystem::rhs`].
    FiniteDifference,
}

/// Dense or sparse Jacobian storage (and so dense or sparse LU downstream).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum JacobianStorage {
    /// Sparse when a pattern is known, `n ≥ 100` and at most 10 % of the entries are non-zero,
    /// dense otherwise: around there sparse LU overtakes dense LU (2-D Brusselator: dense
    /// 0.024 ms vs sparse 0.034 ms per factorisation at `n = 72`, 0.078 vs 0.072 at `n = 128`,
    /// 126 vs 4.2 ms at `n = 2048`).
    #[default]
    Auto,
    Dense,
    /// Needs a sparsity pattern (from the system or [`JacobianOptions::sparsity`]).
    Sparse,
}

/// Settings of a [`JacobianEvaluator`].
#[derive(Debug, Clone, Default)]
pub struct JacobianOptions {
    /// Use only this source (error if the system lacks it); `None` picks analytic > dual > FD.
    pub source: Option<JacobianSource>,
    pub storage: JacobianStorage,
    /// A sparsity pattern that overrides [`OdeSystem::jacobian_sparsity`] (e.g. one found by
    /// [`detect_sparsity`]).
    pub sparsity: Option<SparsityPattern>,
    /// Typical magnitudes `s_j > 0` of the components for the finite-difference increments
    /// `√ε·max(|y_j|, s_j)`: one value for all components or one per component; default 1.
    pub typical_scale: Option<Vec<f64>>,
}

/// Evaluates Jacobians of one system into storage owned by the evaluator; see the
/// [module docs](self).
#[derive(Debug)]
pub struct JacobianEvaluator {
    n: usize,
    forced: Option<JacobianSource>,
    /// The source found on the first evaluation.
    source: Option<JacobianSource>,
    jac: Jacobian,
    /// Known pattern of ∂f/∂y (colouring and analytic gather/scatter).
    pattern: Option<SparsityPattern>,
    colouring: ColumnColouring,
    /// Whether `pattern` is the system's own (so `jacobian_sparse` values fit it).
    own_pattern: bool,
    scale: Vec<f64>,
    y_pert: Vec<f64>,
    f_pert: Vec<f64>,
    delta: Vec<f64>,
    y_dual: Vec<JacDual>,
    dy_dual: Vec<JacDual>,
    /// Analytic fallbacks between dense and sparse forms (allocated on first use).
    dense_scratch: Option<Mat<f64>>,
    values_scratch: Vec<f64>,
}

fn dual_zero() -> JacDual {
    JacDual::from_re(0.0)
}

impl JacobianEvaluator {
    /// Sets up storage, colouring and buffers for `sys`; checks the declared sparsity pattern
    /// and the options.
    pub fn new<S: OdeSystem + ?Sized>(
        sys: &S,
        options: &JacobianOptions,
    ) -> Result<Self, OdeError> {
        let n = sys.dim();
        let pattern = options
            .sparsity
            .clone()
            .or_else(|| sys.jacobian_sparsity().cloned());
        if let Some(p) = &pattern {
            if p.nrows() != n || p.ncols() != n {
                return Err(OdeError::JacobianDimensionMismatch {
                    what: if p.nrows() != n {
                        "sparsity pattern rows"
                    } else {
                        "sparsity pattern columns"
                    },
                    expected: n,
                    found: if p.nrows() != n { p.nrows() } else { p.ncols() },
                });
            }
        }
        let scale = match &options.typical_scale {
            None => vec![1.0; n],
            Some(s) if s.len() == 1 => vec![s[0]; n],
            Some(s) if s.len() == n => s.clone(),
            Some(s) => {
                return Err(OdeError::DimensionMismatch {
                    what: "typical_scale",
                    expected: n,
                    found: s.len(),
                })
            }
        };
        if let Some(i) = scale.iter().position(|&s| !(s.is_finite() && s > 0.0)) {
            return Err(OdeError::InvalidOption {
                name: "typical_scale",
                reason: format!("s[{i}] = {} must be finite and positive", scale[i]),
            });
        }
        let sparse = match options.storage {
            JacobianStorage::Dense => false,
            JacobianStorage::Sparse => {
                if pattern.is_none() {
                    return Err(OdeError::InvalidOption {
                        name: "storage",
                        reason: "sparse Jacobian storage needs a sparsity pattern".into(),
                    });
                }
                true
            }
            JacobianStorage::Auto => pattern
                .as_ref()
                .is_some_and(|p| n >= 100 && p.density() <= 0.1),
        };
        let colouring = match &pattern {
            Some(p) => p.colour_columns(),
            None => ColumnColouring::trivial(n),
        };
        let own_pattern = match &options.sparsity {
            None => true,
            Some(p) => sys.jacobian_sparsity() == Some(p),
        };
        let jac = Jacobian::zeros(n, if sparse { pattern.as_ref() } else { None });
        Ok(Self {
            n,
            forced: options.source,
            source: None,
            jac,
            pattern,
            colouring,
            own_pattern,
            scale,
            y_pert: vec![0.0; n],
            f_pert: vec![0.0; n],
            delta: vec![0.0; n],
            y_dual: vec![dual_zero(); n],
            dy_dual: vec![dual_zero(); n],
            dense_scratch: None,
            values_scratch: Vec::new(),
        })
    }

    /// The last evaluated Jacobian.
    pub fn jacobian(&self) -> &Jacobian {
        &self.jac
    }

    /// Which source the evaluator uses (`None` before the first evaluation).
    pub fn source(&self) -> Option<JacobianSource> {
        self.source
    }

    /// The sparsity pattern in use, if any.
    pub fn pattern(&self) -> Option<&SparsityPattern> {
        self.pattern.as_ref()
    }

    /// The column groups: `n_colours()` evaluations per finite-difference Jacobian (`n` without
    /// a pattern), and as many per dual-number Jacobian.
    pub fn colouring(&self) -> &ColumnColouring {
        &self.colouring
    }

    /// Whether the Jacobian is stored sparse (then use sparse LU).
    pub fn is_sparse(&self) -> bool {
        matches!(self.jac, Jacobian::Sparse { .. })
    }

    /// Evaluates `J = ∂f/∂y (t, y)` into [`jacobian`](Self::jacobian). `f0 = f(t, y)` is used by
    /// finite differences (methods have it at hand). Counts one `jac_evals` and the
    /// right-hand-side calls in `f_evals`.
    pub fn evaluate<S: OdeSystem + ?Sized>(
        &mut self,
        sys: &S,
        t: f64,
        y: &[f64],
        f0: &[f64],
        stats: &mut Stats,
    ) -> Result<(), OdeError> {
        for (what, v) in [("state y", y), ("f(t, y)", f0)] {
            if v.len() != self.n {
                return Err(OdeError::DimensionMismatch {
                    what,
                    expected: self.n,
                    found: v.len(),
                });
            }
        }
        stats.jac_evals += 1;
        match self.source {
            Some(JacobianSource::Analytic) => {
                self.analytic(sys, t, y)?;
            }
            Some(JacobianSource::Dual) => {
                self.dual(sys, t, y, stats);
            }
            Some(JacobianSource::FiniteDifference) => self.finite_differences(sys, t, y, f0, stats),
            None => {
                let all = [
                    JacobianSource::Analytic,
                    JacobianSource::Dual,
                    JacobianSource::FiniteDifference,
                ];
                let forced = self.forced.map(|s| [s]);
                let order: &[JacobianSource] = match &forced {
                    Some(s) => s,
                    None => &all,
                };
                for &s in order {
                    let provided = match s {
                        JacobianSource::Analytic => self.analytic(sys, t, y)?,
                        JacobianSource::Dual => self.dual(sys, t, y, stats),
                        JacobianSource::FiniteDifference => {
                            self.finite_differences(sys, t, y, f0, stats);
                            true
                        }
                    };
                    if provided {
                        self.source = Some(s);
                        break;
                    }
                }
                if self.source.is_none() {
                    return Err(OdeError::InvalidOption {
                        name: "jacobian source",
                        reason: format!("the system does not provide {:?} Jacobians", self.forced),
                    });
                }
            }
        }
        if let Some((row, col)) = self.jac.first_non_finite() {
            return Err(OdeError::NonFiniteJacobian { t, row, col });
        }
        Ok(())
    }

    /// Analytic Jacobian into the storage; `Ok(false)` if the system provides none.
    fn analytic<S: OdeSystem + ?Sized>(
        &mut self,
        sys: &S,
        t: f64,
        y: &[f64],
    ) -> Result<bool, OdeError> {
        let n = self.n;
        match &mut self.jac {
            Jacobian::Dense(m) => {
                m.fill(0.0);
                if sys.jacobian(t, y, m.as_mut()) {
                    return Ok(true);
                }
                let Some(p) = self.pattern.as_ref().filter(|_| self.own_pattern) else {
                    return Ok(false);
                };
                self.values_scratch.resize(p.nnz(), 0.0);
                self.values_scratch.fill(0.0);
                if !sys.jacobian_sparse(t, y, &mut self.values_scratch) {
                    return Ok(false);
                }
                for ((i, j), &v) in p.entries().zip(&self.values_scratch) {
                    m[(i, j)] = v;
                }
                Ok(true)
            }
            Jacobian::Sparse { pattern, values } => {
                values.fill(0.0);
                if self.own_pattern && sys.jacobian_sparse(t, y, values) {
                    return Ok(true);
                }
                let d = self.dense_scratch.get_or_insert_with(|| Mat::zeros(n, n));
                d.fill(0.0);
                if !sys.jacobian(t, y, d.as_mut()) {
                    return Ok(false);
                }
                for ((i, j), v) in pattern.entries().zip(values.iter_mut()) {
                    *v = d[(i, j)];
                    d[(i, j)] = 0.0;
                }
                // What is left is outside the pattern: the pattern is wrong.
                for j in 0..n {
                    if let Some(i) = d.col_as_slice(j).iter().position(|&v| v != 0.0) {
                        return Err(OdeError::InvalidSparsity {
                            reason: format!(
                                "the analytic Jacobian has a non-zero at ({i}, {j}), outside the declared pattern"
                            ),
                        });
                    }
                }
                Ok(true)
            }
        }
    }

    /// Dual-number Jacobian, one call per column group; `false` if the system has no
    /// `rhs_dual`.
    fn dual<S: OdeSystem + ?Sized>(
        &mut self,
        sys: &S,
        t: f64,
        y: &[f64],
        stats: &mut Stats,
    ) -> bool {
        let td = JacDual::from_re(t);
        if let Jacobian::Dense(m) = &mut self.jac {
            if self.pattern.is_some() {
                m.fill(0.0);
            }
        }
        for (yd, &yi) in self.y_dual.iter_mut().zip(y) {
            *yd = JacDual::from_re(yi);
        }
        for c in 0..self.colouring.n_colours() {
            let group = self.colouring.group(c);
            for &j in group {
                self.y_dual[j].eps = 1.0;
            }
            if !sys.rhs_dual(td, &self.y_dual, &mut self.dy_dual) {
                return false;
            }
            stats.f_evals += 1;
            for &j in group {
                self.y_dual[j].eps = 0.0;
                let d = &self.dy_dual;
                match (&mut self.jac, &self.pattern) {
                    (Jacobian::Dense(m), None) => {
                        for (v, di) in m.col_as_slice_mut(j).iter_mut().zip(d) {
                            *v = di.eps;
                        }
                    }
                    (Jacobian::Dense(m), Some(p)) => {
                        for &i in p.rows_of_col(j) {
                            m[(i, j)] = d[i].eps;
                        }
                    }
                    (Jacobian::Sparse { pattern, values }, _) => {
                        let start = pattern.col_ptr()[j];
                        for (k, &i) in pattern.rows_of_col(j).iter().enumerate() {
                            values[start + k] = d[i].eps;
                        }
                    }
                }
            }
        }
        true
    }

    /// Forward differences, one `f`-evaluation per column group.
    fn finite_differences<S: OdeSystem + ?Sized>(
        &mut self,
        sys: &S,
        t: f64,
        y: &[f64],
        f0: &[f64],
        stats: &mut Stats,
    ) {
        let sqrt_eps = f64::EPSILON.sqrt();
        for (j, d) in self.delta.iter_mut().enumerate() {
            let step = sqrt_eps * y[j].abs().max(self.scale[j]);
            let step = if y[j] < 0.0 { -step } else { step };
            // Make y_j + δ_j exactly representable so the divisor is the true increment.
            *d = (y[j] + step) - y[j];
        }
        self.y_pert.copy_from_slice(y);
        if let Jacobian::Dense(m) = &mut self.jac {
            if self.pattern.is_some() {
                m.fill(0.0);
            }
        }
        for c in 0..self.colouring.n_colours() {
            let group = self.colouring.group(c);
            for &j in group {
                self.y_pert[j] = y[j] + self.delta[j];
            }
            sys.rhs(t, &self.y_pert, &mut self.f_pert);
            stats.f_evals += 1;
            for &j in group {
                self.y_pert[j] = y[j];
                let inv = 1.0 / self.delta[j];
                let (fp, f0) = (&self.f_pert, f0);
                match (&mut self.jac, &self.pattern) {
                    (Jacobian::Dense(m), None) => {
                        for ((v, &a), &b) in m.col_as_slice_mut(j).iter_mut().zip(fp).zip(f0) {
                            *v = (a - b) * inv;
                        }
                    }
                    (Jacobian::Dense(m), Some(p)) => {
                        for &i in p.rows_of_col(j) {
                            m[(i, j)] = (fp[i] - f0[i]) * inv;
                        }
                    }
                    (Jacobian::Sparse { pattern, values }, _) => {
                        let start = pattern.col_ptr()[j];
                        for (k, &i) in pattern.rows_of_col(j).iter().enumerate() {
                            values[start + k] = (fp[i] - f0[i]) * inv;
                        }
                    }
                }
            }
        }
    }

    /// `∂f/∂t (t, y)` into `dfdt` (non-autonomous Rosenbrock methods need it): zero for
    /// [`OdeSystem::is_autonomous`] systems, else analytic
    /// ([`OdeSystem::time_derivative`]), else one dual evaluation, else a forward difference
    /// with Hairer's increment `δ = √(ε·max(10⁻⁵, |t|))` (RODAS). `f0 = f(t, y)`.
    pub fn time_derivative<S: OdeSystem + ?Sized>(
        &mut self,
        sys: &S,
        t: f64,
        y: &[f64],
        f0: &[f64],
        dfdt: &mut [f64],
        stats: &mut Stats,
    ) -> Result<(), OdeError> {
        let n = self.n;
        for (what, len) in [
            ("state y", y.len()),
            ("f(t, y)", f0.len()),
            ("df/dt", dfdt.len()),
        ] {
            if len != n {
                return Err(OdeError::DimensionMismatch {
                    what,
                    expected: n,
                    found: len,
                });
            }
        }
        if sys.is_autonomous() {
            dfdt.fill(0.0);
            return Ok(());
        }
        if !sys.time_derivative(t, y, dfdt) {
            for (yd, &yi) in self.y_dual.iter_mut().zip(y) {
                *yd = JacDual::from_re(yi);
            }
            let td = JacDual::new(t, 1.0);
            if sys.rhs_dual(td, &self.y_dual, &mut self.dy_dual) {
                stats.f_evals += 1;
                for (d, yd) in dfdt.iter_mut().zip(&self.dy_dual) {
                    *d = yd.eps;
                }
            } else {
                let delta = (f64::EPSILON * t.abs().max(1e-5)).sqrt();
                let delta = (t + delta) - t;
                sys.rhs(t + delta, y, &mut self.f_pert);
                stats.f_evals += 1;
                for ((d, &a), &b) in dfdt.iter_mut().zip(&self.f_pert).zip(f0) {
                    *d = (a - b) / delta;
                }
            }
        }
        if let Some(i) = dfdt.iter().position(|v| !v.is_finite()) {
            return Err(OdeError::NonFiniteState { t, component: i });
        }
        Ok(())
    }
}

/// Finds the sparsity pattern of `∂f/∂y` near `(t, y)` by probing, for systems that declare
/// none: component `j` is set to NaN (NaN propagates through every arithmetic operation, even
/// `0·NaN`, so each row that depends on `y_j` turns NaN), then perturbed by `10⁻³·max(|y_j|, 1)`
/// (rows whose value changes), and, when the system has `rhs_dual`, seeded as a dual direction
/// (rows with a non-zero derivative). The result is the union: `2n` or `3n` evaluations, once.
///
/// Dependencies hidden behind branches that neither probe takes (`if y > 1`, `max`, `min` drop
/// NaN) are missed; probe at a representative state, or union the patterns of several states.
/// The right-hand side must tolerate NaN input (no panics on it).
pub fn detect_sparsity<S: OdeSystem + ?Sized>(
    sys: &S,
    t: f64,
    y: &[f64],
) -> Result<SparsityPattern, OdeError> {
    let n = sys.dim();
    if y.len() != n {
        return Err(OdeError::DimensionMismatch {
            what: "state y",
            expected: n,
            found: y.len(),
        });
    }
    let mut f0 = vec![0.0; n];
    sys.rhs(t, y, &mut f0);
    if let Some(i) = f0.iter().position(|v| !v.is_finite()) {
        return Err(OdeError::NonFiniteState { t, component: i });
    }
    let mut yp = y.to_vec();
    let mut fp = vec![0.0; n];
    let mut entries = Vec::new();
    for j in 0..n {
        yp[j] = f64::NAN;
        sys.rhs(t, &yp, &mut fp);
        entries.extend(
            fp.iter()
                .enumerate()
                .filter(|(_, v)| v.is_nan())
                .map(|(i, _)| (i, j)),
        );
        yp[j] = y[j] + 1e-3 * y[j].abs().max(1.0);
        sys.rhs(t, &yp, &mut fp);
        entries.extend(
            fp.iter()
                .zip(&f0)
                .enumerate()
                .filter(|(_, (a, b))| a != b)
                .map(|(i, _)| (i, j)),
        );
        yp[j] = y[j];
    }
    let td = JacDual::from_re(t);
    let mut yd: Vec<JacDual> = y.iter().map(|&v| JacDual::from_re(v)).collect();
    let mut dyd = vec![dual_zero(); n];
    for j in 0..n {
        yd[j].eps = 1.0;
        if !sys.rhs_dual(td, &yd, &mut dyd) {
            break;
        }
        yd[j].eps = 0.0;
        entries.extend(
            dyd.iter()
                .enumerate()
                .filter(|(_, d)| d.eps != 0.0)
                .map(|(i, _)| (i, j)),
        );
    }
    SparsityPattern::from_entries(n, n, entries)
}
