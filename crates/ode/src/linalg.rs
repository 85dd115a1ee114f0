//! Iteration matrices of implicit and linearly implicit methods, factorised once and solved many
//! times.
//!
//! # The iteration matrix
//!
//! A Rosenbrock method with diagonal coefficient `γ` solves, in every stage,
//! `(M/(hγ) − J) kᵢ = rᵢ` with `J = ∂f/∂y` at the start of the step; a BDF/NDF Newton
//! iteration of order `q` uses `(M/(h β) − J)` (scaled); Radau IIA 5 diagonalises its 3 × 3
//! coefficient matrix into one real eigenvalue `γ̂` and a complex pair `α̂ ± iβ̂`, and solves with
//! `(γ̂/h) M − J` and the complex `((α̂ + iβ̂)/h) M − J` (Hairer & Wanner, *Solving Ordinary
//! Differential Equations II*, §IV.7–IV.8). All are
//!
//! ```text
//!     W = c·M − J,      c = 1/(hγ) ∈ ℝ  or  c = (α + iβ)/h ∈ ℂ,
//! ```
//!
//! with `M` the constant mass matrix (identity when absent). [`LinearSolver::factorize`] forms `W`
//! from `c`, a [`Jacobian`] and the mass matrix given at construction, factorises it
//! (`P W Q = L U`, partial pivoting), and [`LinearSolver::solve_in_place`] then solves with the
//! factors as often as the method likes (Newton iterations, Rosenbrock stages, error estimates).
//!
//! # Dense and sparse
//!
//! * **Dense**: LU with partial pivoting, in place in an `n × n` matrix: `⅔n³` flops per
//!   factorisation, `2n²` per solve. The right choice up to a few hundred unknowns. Up to
//!   24 unknowns an unblocked LU of our own (LAPACK's `getf2` algorithm, skipping
//!   zero multipliers, so a sparse `W` such as POLLU's costs less), above that faer's blocked
//!   LU, whose fixed cost per call dominates for a handful of unknowns.
//! * **Sparse**: `W`'s pattern is the union of the Jacobian pattern, the mass-matrix pattern and
//!   the diagonal. The symbolic analysis (COLAMD fill-reducing column ordering, and for the
//!   supernodal LU the elimination tree and supernodes) is done once at construction; each
//!   [`LinearSolver::factorize`] only redoes the numeric LU with partial pivoting, reusing it.
//!   Two numeric factorisations of faer ([`SparseLuKind`]): *simplicial* (left-looking,
//!   Gilbert–Peierls; best for 1-D and banded problems) and *supernodal* (dense kernels on
//!   column groups; several times faster once the factors fill in, as for 2-D/3-D stencils).
//!   [`SparseLuKind::Auto`] picks by size and bandwidth.
//!
//! Measured (`examples/linalg_bench.rs`, one core): 2-D Brusselator 32 × 32, `n = 2048`,
//! `nnz(J) = 12 288`: dense LU 126 ms per factorisation and 1.7 ms per solve; supernodal sparse
//! LU 4.2 ms / 0.17 ms (30× / 10×); simplicial 36 ms / 0.23 ms (270 k non-zeros in L + U).
//! A pentadiagonal `W` of the same size: simplicial 0.22 ms / 0.027 ms, supernodal 0.52 / 0.08.
//!
//! Dense and simplicial LU allocate only at construction and on the first factorisation (when the
//! LU factors reach their size); after that `factorize` and `solve_in_place` allocate nothing
//! (checked by `tests/linalg.rs` with a counting allocator). faer's supernodal numeric
//! factorisation allocates its per-supernode work buffers on every call (solves allocate
//! nothing); at the sizes where it is chosen this costs little next to the factorisation itself.
//!
//! A zero, non-finite or negligible pivot (`|u_kk| ≤ n·ε·max_i |w_ik|`: column `k` is, to working
//! precision, a combination of the previous ones) is reported as [`OdeError::SingularMatrix`]
//! with the column of `W` where elimination broke down, as Hairer's `DEC` reports `IER`; the
//! method then typically retries with a smaller step.
//!
//! # Example: one linearly implicit Euler step `(I/h − J) Δ = f(y)`
//!
//! ```
//! use ai4de_ode::jacobian::Jacobian;
//! use ai4de_ode::linalg::LinearSolver;
//! use ai4de_ode::Stats;
//! use faer::Mat;
//!
//! // y' = A y with a stiff A
//! let a = Mat::from_fn(2, 2, |i, j| [[-1000.0, 1.0], [0.0, -1.0]][i][j]);
//! let jac = Jacobian::Dense(a);
//! let mut stats = Stats::default();
//! let mut lin = LinearSolver::<f64>::new(&jac, None).unwrap();
//! let (h, y) = (0.1, [1.0, 1.0]);
//! lin.factorize(0.0, 1.0 / h, &jac, &mut stats).unwrap();
//! let mut delta = [-1000.0 * y[0] + y[1], -y[1]]; // f(y)
//! lin.solve_in_place(&mut delta, &mut stats);
//! let y1 = [y[0] + delta[0], y[1] + delta[1]];
//! assert!((y1[1] - 1.0 / 1.1).abs() < 1e-15);
//! assert_eq!((stats.lu_decomps, stats.lin_solves), (1, 1));
//! ```

use std::fmt::Debug;

use faer::dyn_stack::{MemBuffer, MemStack, StackReq};
use faer::linalg::lu::partial_pivoting::{factor as dense_factor, solve as dense_solve};
use faer::perm::PermRef;
use faer::sparse::linalg::colamd;
use faer::sparse::linalg::lu::simplicial::{self, SimplicialLu};
use faer::sparse::linalg::lu::{
    factorize_symbolic_lu, LuRef, LuSymbolicParams, NumericLu, SymbolicLu,
};
use faer::sparse::linalg::LuError;
use faer::sparse::linalg::SupernodalThreshold;
use faer::sparse::SparseColMatRef;
use faer::traits::ComplexField;
use faer::{c64, Conj, Mat, MatMut, Par};

use crate::error::OdeError;
use crate::jacobian::{Jacobian, JacobianEvaluator};
use crate::mass::MassMatrix;
use crate::solution::Stats;
use crate::sparsity::SparsityPattern;

/// Entry type of an iteration matrix: `f64` for Rosenbrock/BDF/the real Radau block, [`c64`] for
/// the complex Radau block.
pub trait WScalar:
    ComplexField
    + Copy
    + Debug
    + Send
    + Sync
    + 'static
    + std::ops::Mul<Output = Self>
    + std::ops::Div<Output = Self>
    + std::ops::SubAssign
    + std::ops::MulAssign
    + std::ops::DivAssign
{
    /// `c·m − j`.
    fn w_entry(c: Self, m: f64, j: f64) -> Self;
    /// `x` as this type.
    fn from_f64(x: f64) -> Self;
    /// `|x|` (NaN for NaN).
    fn abs_value(self) -> f64;
    /// `|x|` for real `x`, `|re| + |im|` for complex (LAPACK's `CABS1`, within `√2` of the
    /// modulus and free of `hypot`): the magnitude used to choose pivots and for the column
    /// maxima of the pivot test.
    fn pivot_abs(self) -> f64;
    /// `x == 0`.
    fn is_zero(self) -> bool;
}

impl WScalar for f64 {
    #[inline(always)]
    fn w_entry(c: Self, m: f64, j: f64) -> Self {
        c * m - j
    }
    #[inline(always)]
    fn from_f64(x: f64) -> Self {
        x
    }
    #[inline(always)]
    fn abs_value(self) -> f64 {
        self.abs()
    }
    #[inline(always)]
    fn pivot_abs(self) -> f64 {
        self.abs()
    }
    #[inline(always)]
    fn is_zero(self) -> bool {
        self == 0.0
    }
}

impl WScalar for c64 {
    #[inline(always)]
    fn w_entry(c: Self, m: f64, j: f64) -> Self {
        c64::new(c.re * m - j, c.im * m)
    }
    #[inline(always)]
    fn from_f64(x: f64) -> Self {
        c64::new(x, 0.0)
    }
    #[inline(always)]
    fn abs_value(self) -> f64 {
        self.re.hypot(self.im)
    }
    #[inline(always)]
    fn pivot_abs(self) -> f64 {
        self.re.abs() + self.im.abs()
    }
    #[inline(always)]
    fn is_zero(self) -> bool {
        self.re == 0.0 && self.im == 0.0
    }
}

/// Which factorisation a [`LinearSolver`] uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LuKind {
    /// Dense LU with partial pivoting.
    Dense,
    /// Sparse LU with a fill-reducing column ordering computed once, partial pivoting.
    Sparse(SparseLuKind),
}

/// The two sparse LU factorisations of faer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SparseLuKind {
    /// Simplicial for a narrow band (`|i − j| ≤ 8` for every entry of `W`), supernodal otherwise:
    /// 2-D/3-D stencils fill in enough for dense supernode kernels to pay, from `n` as small as
    /// 72 (Brusselator 6 × 6: 0.034 ms against 0.071 ms simplicial), while a band does not fill.
    #[default]
    Auto,
    /// Left-looking column-by-column LU (Gilbert–Peierls). Allocation-free once the factors
    /// have reached their size; reports the pivot column of a singular matrix. Best for very
    /// sparse factors (1-D and banded problems).
    Simplicial,
    /// Supernodal LU with dense kernels on groups of columns: several times faster when the
    /// factors fill in (measured 53 ms → 7 ms on the 32 × 32 Brusselator, n = 2048). faer
    /// allocates its per-supernode work buffers in every numeric factorisation, and keeps the
    /// pivots private, so singularity is detected by a condition estimate (one extra solve) and
    /// reported without a pivot index.
    Supernodal,
}

/// [`SparseLuKind::Auto`] picks the simplicial LU for bands at most this wide.
const SUPERNODAL_MIN_BANDWIDTH: usize = 8;

/// ±1 with irregular signs, for the condition probe.
fn probe_sign(i: usize) -> f64 {
    if (i.wrapping_mul(2_654_435_761) >> 7) & 1 == 0 {
        1.0
    } else {
        -1.0
    }
}

/// Forms, factorises and solves with `W = c·M − J`; see the [module docs](self).
///
/// `T = f64` for real `c`, `T = c64` for complex `c` (Radau IIA). The mass matrix is given once at
/// construction (it is constant); the Jacobian at every [`factorize`](Self::factorize).
pub struct LinearSolver<T: WScalar = f64> {
    n: usize,
    inner: Inner<T>,
    par: Par,
    factorized: bool,
    /// Largest |entry| of each column of `W` before factorising, for the pivot test.
    col_max: Vec<f64>,
    /// Complex right-hand side for [`LinearSolver::solve_split_in_place`].
    rhs_buf: Vec<T>,
}

enum Inner<T: WScalar> {
    Dense(Box<DenseLu<T>>),
    Sparse(Box<SparseLu<T>>),
}

struct DenseLu<T: WScalar> {
    /// `W`, overwritten by its LU factors (by faer's LU when `n > SMALL_DENSE`).
    w: Mat<T>,
    mass: Option<MassMatrix>,
    perm: Vec<usize>,
    perm_inv: Vec<usize>,
    mem: MemBuffer,
    /// `n ≤ SMALL_DENSE`: the unblocked LU of [`SmallLu`] instead of faer's.
    small: Option<Box<SmallLu<T>>>,
}

/// Dense systems up to this size are factorised by [`SmallLu`] instead of faer: for a handful
/// of unknowns faer's blocked, generic LU and solve carry a fixed overhead of a few hundred
/// nanoseconds. Measured (factorise / solve, wall time on the shared 2-core machine at load
/// ~12, so only the ratios mean something): n = 2: faer 364 / 253 ns, this 120 / 101 ns;
/// n = 3: 609 / 257 vs 319 / 112; n = 8: 2979 / 905 vs 1906 / 746; n = 20: 13462 / 3499 vs
/// 10102 / 2017. The stiff Test Set problems (VDPOL 2, ROBER 3, HIRES 8, POLLU 20) spend a
/// large part of each step there.
const SMALL_DENSE: usize = 24;

/// Dense LU with partial pivoting for `n ≤ SMALL_DENSE`, column-major in one `n²` array,
/// right-looking and unblocked (LAPACK's `getf2`; Golub & Van Loan, *Matrix Computations*, 4th
/// ed., Alg. 3.4.1), with two uses of the zeros of a sparse `W`:
///
/// * with a sparsity pattern ([`LinearSolver::set_ordering`]) the unknowns are first permuted
///   symmetrically by a minimum-degree ordering of the pattern of `W + Wᵀ` (Tinney & Walker,
///   Proc. IEEE 55, 1967; George & Liu, SIAM Rev. 31, 1989), computed once; row interchanges
///   for stability come on top as usual (POLLU: 121 + 121 off-diagonal entries in `L` and `U`
///   in the natural order, 40 + 49 in this one, for 380 dense);
/// * elimination and solves skip exact zeros: a column update only where the multiplier row is
///   non-zero, and, when `L` and `U` are less than half full, solves that run over the lists
///   of their non-zero entries (the same operations in the same order as the dense loops,
///   minus those with a zero factor, so the results do not depend on the choice).
struct SmallLu<T: WScalar> {
    n: usize,
    /// `P_qᵀ W P_q` and then its factors, column-major.
    a: Vec<T>,
    /// Row interchanges (`ipiv[k]`: the row swapped with row `k` at step `k`, as `getrf`).
    ipiv: Vec<usize>,
    /// `1/u_kk` (the back substitution multiplies instead of dividing: one rounding more than a
    /// division, and a chain of `n` dependent divisions less).
    rdiag: Vec<T>,
    /// The symmetric permutation `q` (unknown `r` of the factorised system is `q[r]` of `W`),
    /// when one is set.
    order: Option<Vec<usize>>,
    /// One column of `W`, and the permuted right-hand side.
    scratch: Vec<T>,
    /// Rows of the non-zeros of column `k` of `L` (below the diagonal) at `lrows[k n ..]`, and
    /// of `U` (above it) at `urows[k n ..]`; their counts.
    lrows: Vec<u8>,
    lcnt: Vec<u8>,
    urows: Vec<u8>,
    ucnt: Vec<u8>,
    /// Solve through the non-zero lists (`L` and `U` less than half full).
    sparse_solve: bool,
    /// The fixed-structure elimination, when the pattern of `W` is known.
    plan: Option<Box<Plan>>,
    /// The factors in `a` are the plan's (`P P_qᵀ W P_q = L U`, no interchanges to apply).
    planned: bool,
}

impl<T: WScalar> SmallLu<T> {
    fn new(n: usize) -> Self {
        let z = T::from_f64(0.0);
        Self {
            n,
            a: vec![z; n * n],
            ipiv: vec![0; n],
            rdiag: vec![z; n],
            order: None,
            scratch: vec![z; n],
            lrows: vec![0; n * n],
            lcnt: vec![0; n],
            urows: vec![0; n * n],
            ucnt: vec![0; n],
            sparse_solve: false,
            plan: None,
            planned: false,
        }
    }

    /// Forms `W` and factorises it: along the plan when there is one, the Jacobian is dense and
    /// zero outside the pattern, and partial pivoting keeps to the planned pivots; otherwise
    /// with the generic LU, after which the plan is redone for the pivots it chose.
    fn form_and_factorize(
        &mut self,
        c: T,
        mass: Option<&MassMatrix>,
        jac: &Jacobian,
        col_max: &mut [f64],
    ) {
        self.planned = false;
        let dense_j = match jac {
            Jacobian::Dense(j) => Some(j),
            Jacobian::Sparse { .. } => None,
        };
        let fits = match (&self.plan, dense_j) {
            (Some(plan), Some(j)) => plan.fits(j),
            _ => false,
        };
        if fits {
            if let (Some(plan), Some(j)) = (&self.plan, dense_j) {
                plan.form(c, j, &mut self.a, col_max);
                if plan.factorize(&mut self.a, &mut self.rdiag) {
                    self.planned = true;
                    return;
                }
            }
        }
        self.form(c, mass, jac, col_max);
        self.factorize();
        if fits {
            if let Some(plan) = &mut self.plan {
                if !plan.is_for(&self.ipiv) {
                    plan.set_pivots(&self.ipiv);
                }
            }
        }
    }

    /// Forms `P_qᵀ (c·M − J) P_q` into `a`, with the column maxima of `W` (column `q[r]` at `r`).
    fn form(&mut self, c: T, mass: Option<&MassMatrix>, jac: &Jacobian, col_max: &mut [f64]) {
        let n = self.n;
        match &self.order {
            None => {
                for (j, (wc, m)) in self
                    .a
                    .chunks_exact_mut(n)
                    .zip(col_max.iter_mut())
                    .enumerate()
                {
                    *m = form_dense_col(wc, j, c, mass, jac);
                }
            }
            Some(q) => {
                for (r, (wc, m)) in self
                    .a
                    .chunks_exact_mut(n)
                    .zip(col_max.iter_mut())
                    .enumerate()
                {
                    *m = form_dense_col(&mut self.scratch, q[r], c, mass, jac);
                    for (w, &qi) in wc.iter_mut().zip(q) {
                        *w = self.scratch[qi];
                    }
                }
            }
        }
    }

    /// The column of `W` that column `k` of the factorised system is.
    fn column_of(&self, k: usize) -> usize {
        self.order.as_ref().map_or(k, |q| q[k])
    }

    /// LU with partial pivoting of `a` in place. A zero pivot leaves its column unscaled (the
    /// caller tests the pivots).
    fn factorize(&mut self) {
        let n = self.n;
        let Self {
            a,
            ipiv,
            rdiag,
            lrows,
            lcnt,
            urows,
            ucnt,
            ..
        } = self;
        ucnt.fill(0);
        for k in 0..n {
            let mut p = k;
            let mut m = a[k * n + k].pivot_abs();
            for i in k + 1..n {
                let v = a[k * n + i].pivot_abs();
                if v > m {
                    m = v;
                    p = i;
                }
            }
            ipiv[k] = p;
            if p != k {
                for j in 0..n {
                    a.swap(j * n + k, j * n + p);
                }
            }
            let d = a[k * n + k];
            rdiag[k] = T::from_f64(1.0) / d;
            if d.is_zero() {
                continue;
            }
            let (head, tail) = a.split_at_mut((k + 1) * n);
            let colk = &mut head[k * n..];
            // Multiply by the reciprocal unless it would overflow (LAPACK's `getf2`).
            if d.abs_value() >= f64::MIN_POSITIVE {
                let r = rdiag[k];
                for x in &mut colk[k + 1..n] {
                    *x *= r;
                }
            } else {
                for x in &mut colk[k + 1..n] {
                    *x /= d;
                }
            }
            // Non-zero rows of this column of L (at their current positions).
            let rows = &mut lrows[k * n..(k + 1) * n];
            let mut cnt = 0;
            for (i, x) in colk.iter().enumerate().take(n).skip(k + 1) {
                if !x.is_zero() {
                    rows[cnt] = i as u8;
                    cnt += 1;
                }
            }
            let dense = 2 * cnt > n - k - 1;
            for j in 0..n - k - 1 {
                let cj = &mut tail[j * n..(j + 1) * n];
                let f = cj[k];
                if f.is_zero() {
                    continue;
                }
                let jj = k + 1 + j;
                urows[jj * n + usize::from(ucnt[jj])] = k as u8;
                ucnt[jj] += 1;
                if dense {
                    for (x, &l) in cj[k + 1..n].iter_mut().zip(&colk[k + 1..n]) {
                        *x -= l * f;
                    }
                } else {
                    for &i in &rows[..cnt] {
                        let i = usize::from(i);
                        cj[i] -= colk[i] * f;
                    }
                }
            }
        }
        // Later row interchanges moved the entries of L: list them at their final rows.
        let mut nnz = 0;
        for k in 0..n {
            let mut cnt = 0;
            for i in k + 1..n {
                if !a[k * n + i].is_zero() {
                    lrows[k * n + cnt] = i as u8;
                    cnt += 1;
                }
            }
            lcnt[k] = cnt as u8;
            nnz += cnt + usize::from(ucnt[k]);
        }
        self.sparse_solve = 2 * nnz < n * (n - 1);
    }

    /// `b ← W⁻¹ b` with the factors: `P_q U⁻¹ L⁻¹ P P_qᵀ b`.
    fn solve(&mut self, b: &mut [T]) {
        if self.planned {
            if let Some(plan) = &self.plan {
                plan.solve(&self.a, &self.rdiag, &mut self.scratch, b);
                return;
            }
        }
        let n = self.n;
        let Self {
            a,
            ipiv,
            rdiag,
            order,
            scratch,
            lrows,
            lcnt,
            urows,
            ucnt,
            sparse_solve,
            ..
        } = self;
        let x: &mut [T] = match order {
            None => b,
            Some(q) => {
                for (s, &qi) in scratch.iter_mut().zip(q.iter()) {
                    *s = b[qi];
                }
                scratch
            }
        };
        for (k, &p) in ipiv.iter().enumerate() {
            x.swap(k, p);
        }
        if *sparse_solve {
            for k in 0..n {
                let v = x[k];
                if !v.is_zero() {
                    for &i in &lrows[k * n..k * n + usize::from(lcnt[k])] {
                        let i = usize::from(i);
                        x[i] -= a[k * n + i] * v;
                    }
                }
            }
            for k in (0..n).rev() {
                let v = x[k] * rdiag[k];
                x[k] = v;
                for &i in &urows[k * n..k * n + usize::from(ucnt[k])] {
                    let i = usize::from(i);
                    x[i] -= a[k * n + i] * v;
                }
            }
        } else {
            for k in 0..n {
                let v = x[k];
                for (bi, &l) in x[k + 1..n].iter_mut().zip(&a[k * n + k + 1..(k + 1) * n]) {
                    *bi -= l * v;
                }
            }
            for k in (0..n).rev() {
                let v = x[k] * rdiag[k];
                x[k] = v;
                for (bi, &u) in x[..k].iter_mut().zip(&a[k * n..k * n + k]) {
                    *bi -= u * v;
                }
            }
        }
        if let Some(q) = order {
            for (s, &qi) in scratch.iter().zip(q.iter()) {
                b[qi] = *s;
            }
        }
    }
}

/// Greedy minimum-degree ordering of the symmetric pattern `adj` (`adj[i]`: the neighbours of
/// `i` as a bit mask, `n ≤ 32`; the diagonal is ignored): repeatedly eliminate the unknown with
/// the fewest remaining neighbours (the smallest index among ties) and join its neighbours into
/// a clique, as elimination fills them in. `O(n²)` word operations, for the few unknowns of
/// [`SmallLu`] (it runs at the start of every solve).
fn minimum_degree(mut adj: Vec<u32>) -> Vec<usize> {
    let n = adj.len();
    debug_assert!(n <= 32);
    for (i, a) in adj.iter_mut().enumerate() {
        *a &= !bit(i);
    }
    let mut alive = if n == 32 { u32::MAX } else { bit(n) - 1 };
    let mut order = Vec::with_capacity(n);
    while let Some(v) = mask_rows(alive).min_by_key(|&i| (adj[i] & alive).count_ones()) {
        let nb = adj[v] & alive;
        for x in mask_rows(nb) {
            adj[x] |= nb & !bit(x);
        }
        alive &= !bit(v);
        order.push(v);
    }
    order
}

/// The elimination of [`SmallLu`] worked out once for a known pattern of `W` (from
/// [`LinearSolver::set_ordering`]) and one sequence of row interchanges: `W` is scattered
/// straight into the rows it will end up in (`P P_qᵀ W P_q`), the factorisation runs over
/// precomputed lists of the non-zeros of `L` and `U` (fill included), and the solves over the
/// same lists, with no zero tests and no interchanges.
///
/// Partial pivoting chooses its pivots from the values, so the plan is verified at every step:
/// the planned pivot must beat every other candidate of its column strictly (no ties, no NaN)
/// and be safe to invert. If it does, partial pivoting would have chosen the same row, and the
/// factors are those of [`SmallLu::factorize`] exactly (the same operations in the same order,
/// minus those with a structurally zero operand). If it does not, or the Jacobian has a
/// non-zero outside the pattern, the generic factorisation runs instead and the plan is redone
/// for the interchanges it chose (`O(n²)` bit operations and `O(nnz)` list entries), so a
/// problem whose pivots settle pays for them once.
struct Plan {
    n: usize,
    /// `q`: unknown `r` of the factorised system is `q[r]` of `W`.
    q: Vec<u8>,
    /// Pattern of the ordered `P_qᵀ W P_q`: rows of column `r` as a bit mask.
    pattern: Vec<u32>,
    /// Entries of the ordered `W`, column `r` at `w_ptr[r]..w_ptr[r + 1]`: row in the ordered
    /// system, row of `J` (in `J`'s column `q[r]`), and position in `a`.
    w_row: Vec<u8>,
    w_src: Vec<u8>,
    w_ptr: Vec<usize>,
    w_dst: Vec<u16>,
    /// Mass-matrix entries added to `W` (`M = I` when absent), as [`form_dense_col`] adds them:
    /// row in the ordered system, value, position in `a`; column `r` at `m_ptr[r]..`.
    m_row: Vec<u8>,
    m_val: Vec<f64>,
    m_ptr: Vec<usize>,
    m_dst: Vec<u16>,
    /// Per entry of a dense `J` (column-major, `n × n`): the bits of `|J_ij|` that must be zero
    /// (all of them where the pattern of `W` has no entry, none where it has one).
    off: Vec<u64>,
    /// Row `perm[r]` of the ordered system is row `r` of the factorised one; `dest` inverts it.
    perm: Vec<u8>,
    dest: Vec<u8>,
    /// `q[perm[r]]`: the right-hand side entry that row `r` of the factorised system takes.
    gather: Vec<u8>,
    /// Positions in `a` of the fill (entries of `L + U` outside the pattern), zeroed first.
    fill: Vec<u16>,
    /// Rows of column `k` of `L` (below the diagonal) at `l_row[l_ptr[k]..l_ptr[k + 1]]`, of
    /// `U` (above it) likewise, and the columns `j > k` with `u_kj` non-zero (those the
    /// elimination step `k` updates).
    l_ptr: Vec<u16>,
    l_row: Vec<u8>,
    u_ptr: Vec<u16>,
    u_row: Vec<u8>,
    e_ptr: Vec<u16>,
    e_col: Vec<u8>,
    /// Scratch: column masks during the symbolic factorisation, and those of `P P_qᵀ W P_q`.
    cols: Vec<u32>,
    pa: Vec<u32>,
}

/// Bit `i` of a column mask.
#[inline(always)]
fn bit(i: usize) -> u32 {
    1u32 << i
}

/// The rows of a mask, in increasing order.
fn mask_rows(mut m: u32) -> impl Iterator<Item = usize> {
    std::iter::from_fn(move || {
        (m != 0).then(|| {
            let i = m.trailing_zeros() as usize;
            m &= m - 1;
            i
        })
    })
}

impl Plan {
    /// The plan for the ordering `q` of a `W` whose Jacobian has the pattern `jac_pattern`
    /// (`n ≤ SMALL_DENSE`), with the mass matrix `mass` (identity when `None`), for diagonal
    /// pivots in the ordered system.
    fn new(q: &[usize], jac_pattern: &SparsityPattern, mass: Option<&MassMatrix>) -> Self {
        let n = q.len();
        debug_assert!(n <= SMALL_DENSE && SMALL_DENSE <= 32);
        let mut qinv = vec![0usize; n];
        for (r, &c) in q.iter().enumerate() {
            qinv[c] = r;
        }
        let mut pattern = vec![0u32; n];
        for (i, j) in jac_pattern.entries() {
            pattern[qinv[j]] |= bit(qinv[i]);
        }
        let (mut m_row, mut m_val, mut m_ptr) = (Vec::new(), Vec::new(), vec![0usize]);
        for (r, &col) in q.iter().enumerate() {
            match mass {
                None => {
                    m_row.push(r as u8);
                    m_val.push(1.0);
                }
                Some(MassMatrix::Diagonal(d)) => {
                    m_row.push(r as u8);
                    m_val.push(d[col]);
                }
                Some(MassMatrix::Dense(m)) => {
                    for (i, &mi) in m.col_as_slice(col).iter().enumerate() {
                        if mi != 0.0 {
                            m_row.push(qinv[i] as u8);
                            m_val.push(mi);
                        }
                    }
                }
                Some(MassMatrix::Sparse(m)) => {
                    for (&i, &mi) in m.row_idx_of_col_raw(col).iter().zip(m.val_of_col(col)) {
                        m_row.push(qinv[i] as u8);
                        m_val.push(mi);
                    }
                }
            }
            m_ptr.push(m_row.len());
        }
        for r in 0..n {
            pattern[r] |= bit(r);
            for &i in &m_row[m_ptr[r]..m_ptr[r + 1]] {
                pattern[r] |= bit(usize::from(i));
            }
        }
        let (mut w_row, mut w_src, mut w_ptr) = (Vec::new(), Vec::new(), vec![0usize]);
        let mut off = vec![!(1u64 << 63); n * n];
        for (r, &p) in pattern.iter().enumerate() {
            for i in mask_rows(p) {
                w_row.push(i as u8);
                w_src.push(q[i] as u8);
                off[q[r] * n + q[i]] = 0;
            }
            w_ptr.push(w_row.len());
        }
        let nnz = w_row.len();
        let mut plan = Self {
            n,
            q: q.iter().map(|&c| c as u8).collect(),
            pattern,
            w_row,
            w_src,
            w_ptr,
            w_dst: vec![0; nnz],
            m_dst: vec![0; m_row.len()],
            m_row,
            m_val,
            m_ptr,
            off,
            perm: (0..n as u8).collect(),
            dest: vec![0; n],
            gather: vec![0; n],
            fill: Vec::with_capacity(n * n),
            l_ptr: vec![0; n + 1],
            l_row: Vec::with_capacity(n * n),
            u_ptr: vec![0; n + 1],
            u_row: Vec::with_capacity(n * n),
            e_ptr: vec![0; n + 1],
            e_col: Vec::with_capacity(n * n),
            cols: vec![0; n],
            pa: vec![0; n],
        };
        plan.rebuild();
        plan
    }

    /// Whether the plan is for the row interchanges `ipiv` (as [`SmallLu::factorize`] records
    /// them).
    fn is_for(&self, ipiv: &[usize]) -> bool {
        let mut p = [0u8; SMALL_DENSE];
        let p = &mut p[..self.n];
        for (r, x) in p.iter_mut().enumerate() {
            *x = r as u8;
        }
        for (k, &i) in ipiv.iter().enumerate() {
            p.swap(k, i);
        }
        p == &self.perm[..]
    }

    /// Redoes the plan for the row interchanges `ipiv`. Allocates nothing.
    fn set_pivots(&mut self, ipiv: &[usize]) {
        for (r, x) in self.perm.iter_mut().enumerate() {
            *x = r as u8;
        }
        for (k, &i) in ipiv.iter().enumerate() {
            self.perm.swap(k, i);
        }
        self.rebuild();
    }

    /// The symbolic factorisation for `perm` and the lists derived from it.
    fn rebuild(&mut self) {
        let n = self.n;
        for (r, &i) in self.perm.iter().enumerate() {
            self.dest[usize::from(i)] = r as u8;
            self.gather[r] = self.q[usize::from(i)];
        }
        for (r, &p) in self.pattern.iter().enumerate() {
            self.pa[r] = mask_rows(p).fold(0, |m, i| m | bit(usize::from(self.dest[i])));
        }
        // No-pivot symbolic LU of the row-permuted pattern: step k fills the rows of column k
        // of L into every later column with a non-zero in row k.
        self.cols.copy_from_slice(&self.pa);
        for k in 0..n {
            let lk = self.cols[k] & !(bit(k + 1) - 1);
            for j in k + 1..n {
                if self.cols[j] & bit(k) != 0 {
                    self.cols[j] |= lk;
                }
            }
        }
        self.fill.clear();
        self.l_row.clear();
        self.u_row.clear();
        self.e_col.clear();
        for k in 0..n {
            let c = self.cols[k];
            self.l_row
                .extend(mask_rows(c & !(bit(k + 1) - 1)).map(|i| i as u8));
            self.l_ptr[k + 1] = self.l_row.len() as u16;
            self.u_row
                .extend(mask_rows(c & (bit(k) - 1)).map(|i| i as u8));
            self.u_ptr[k + 1] = self.u_row.len() as u16;
            self.e_col.extend(
                (k + 1..n)
                    .filter(|&j| self.cols[j] & bit(k) != 0)
                    .map(|j| j as u8),
            );
            self.e_ptr[k + 1] = self.e_col.len() as u16;
            self.fill
                .extend(mask_rows(c & !self.pa[k]).map(|i| (k * n + i) as u16));
        }
        for r in 0..n {
            for e in self.w_ptr[r]..self.w_ptr[r + 1] {
                self.w_dst[e] = (r * n + usize::from(self.dest[usize::from(self.w_row[e])])) as u16;
            }
            for e in self.m_ptr[r]..self.m_ptr[r + 1] {
                self.m_dst[e] = (r * n + usize::from(self.dest[usize::from(self.m_row[e])])) as u16;
            }
        }
    }

    /// Whether the dense `j` is zero outside the pattern.
    fn fits(&self, j: &Mat<f64>) -> bool {
        let n = self.n;
        let mut acc = 0u64;
        for (c, off) in self.off.chunks_exact(n).enumerate() {
            for (&x, &m) in j.col_as_slice(c).iter().zip(off) {
                acc |= x.to_bits() & m;
            }
        }
        acc == 0
    }

    /// `P P_qᵀ (c·M − J) P_q` into `a` (only its entries in the structure of `L + U`), with the
    /// column maxima of `W` (column `q[r]` at `r`), as [`form_dense_col`] computes them.
    fn form<T: WScalar>(&self, c: T, j: &Mat<f64>, a: &mut [T], col_max: &mut [f64]) {
        let z = T::from_f64(0.0);
        for &p in &self.fill {
            a[usize::from(p)] = z;
        }
        for (r, m) in col_max.iter_mut().enumerate() {
            let jc = j.col_as_slice(usize::from(self.q[r]));
            let w = self.w_ptr[r]..self.w_ptr[r + 1];
            for (&s, &d) in self.w_src[w.clone()].iter().zip(&self.w_dst[w.clone()]) {
                a[usize::from(d)] = T::from_f64(-jc[usize::from(s)]);
            }
            let mr = self.m_ptr[r]..self.m_ptr[r + 1];
            for (&v, &d) in self.m_val[mr.clone()].iter().zip(&self.m_dst[mr]) {
                a[usize::from(d)] += T::w_entry(c, v, 0.0);
            }
            *m = self.w_dst[w]
                .iter()
                .fold(0.0, |m: f64, &d| m.max(a[usize::from(d)].pivot_abs()));
        }
    }

    /// LU of the formed `a` along the plan; `false` (and `a` half done) where partial pivoting
    /// might choose another pivot than the planned one.
    fn factorize<T: WScalar>(&self, a: &mut [T], rdiag: &mut [T]) -> bool {
        let n = self.n;
        for k in 0..n {
            let (head, tail) = a.split_at_mut((k + 1) * n);
            let colk = &mut head[k * n..];
            let d = colk[k];
            let ad = d.pivot_abs();
            let ls = &self.l_row[usize::from(self.l_ptr[k])..usize::from(self.l_ptr[k + 1])];
            // 2·MIN_POSITIVE: |d| ≥ MIN_POSITIVE in the modulus too (|re| + |im| ≤ √2 |d|), so
            // the generic LU would multiply by 1/d as well.
            if ad.is_nan() || ad < 2.0 * f64::MIN_POSITIVE {
                return false;
            }
            for &i in ls {
                let v = colk[usize::from(i)].pivot_abs();
                if v.is_nan() || v >= ad {
                    return false;
                }
            }
            let r = T::from_f64(1.0) / d;
            rdiag[k] = r;
            for &i in ls {
                colk[usize::from(i)] *= r;
            }
            let es = &self.e_col[usize::from(self.e_ptr[k])..usize::from(self.e_ptr[k + 1])];
            for &j in es {
                let cj = &mut tail[(usize::from(j) - k - 1) * n..][..n];
                let f = cj[k];
                if f.is_zero() {
                    continue;
                }
                for &i in ls {
                    let i = usize::from(i);
                    cj[i] -= colk[i] * f;
                }
            }
        }
        true
    }

    /// `b ← W⁻¹ b` with the planned factors in `a`.
    fn solve<T: WScalar>(&self, a: &[T], rdiag: &[T], x: &mut [T], b: &mut [T]) {
        let n = self.n;
        for (xr, &g) in x.iter_mut().zip(&self.gather) {
            *xr = b[usize::from(g)];
        }
        for k in 0..n {
            let v = x[k];
            if !v.is_zero() {
                let colk = &a[k * n..][..n];
                for &i in &self.l_row[usize::from(self.l_ptr[k])..usize::from(self.l_ptr[k + 1])] {
                    let i = usize::from(i);
                    x[i] -= colk[i] * v;
                }
            }
        }
        for k in (0..n).rev() {
            let v = x[k] * rdiag[k];
            x[k] = v;
            let colk = &a[k * n..][..n];
            for &i in &self.u_row[usize::from(self.u_ptr[k])..usize::from(self.u_ptr[k + 1])] {
                let i = usize::from(i);
                x[i] -= colk[i] * v;
            }
        }
        for (&xr, &c) in x.iter().zip(&self.q) {
            b[usize::from(c)] = xr;
        }
    }
}

struct SparseLu<T: WScalar> {
    /// Pattern of `W` = pattern(J) ∪ pattern(M) ∪ diagonal.
    pattern: SparsityPattern,
    /// The Jacobian pattern this solver was set up for.
    jac_pattern: SparsityPattern,
    /// Values of `W` in `pattern` order.
    values: Vec<T>,
    /// For each entry of `W`, the index of the same position in the Jacobian values, or `NONE`.
    jac_pos: Vec<usize>,
    /// For each entry of `W`, the mass-matrix entry there (0 off its pattern; `M = I` if absent).
    mass_val: Vec<f64>,
    backend: SparseBackend<T>,
    mem: MemBuffer,
}

// Both variants live once per solver, boxed inside `Inner::Sparse`: their size difference
// costs nothing.
#[allow(clippy::large_enum_variant)]
enum SparseBackend<T: WScalar> {
    Simplicial {
        col_perm: Vec<usize>,
        col_perm_inv: Vec<usize>,
        row_perm: Vec<usize>,
        row_perm_inv: Vec<usize>,
        lu: SimplicialLu<usize, T>,
    },
    Supernodal {
        symbolic: SymbolicLu<usize>,
        numeric: NumericLu<usize, T>,
        /// Right-hand side of the singularity probe.
        probe: Vec<T>,
    },
}

const NONE: usize = usize::MAX;

impl<T: WScalar> Debug for LinearSolver<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LinearSolver")
            .field("n", &self.n)
            .field("kind", &self.kind())
            .field("nnz", &self.nnz())
            .field("factorized", &self.factorized)
            .finish_non_exhaustive()
    }
}

fn check_mass(n: usize, mass: Option<&MassMatrix>) -> Result<(), OdeError> {
    match mass {
        Some(m) => m.validate(n),
        None => Ok(()),
    }
}

impl<T: WScalar> LinearSolver<T> {
    /// A solver matching the Jacobian's storage: dense LU for [`Jacobian::Dense`], sparse LU (on the
    /// Jacobian's pattern) for [`Jacobian::Sparse`].
    pub fn new(jac: &Jacobian, mass: Option<&MassMatrix>) -> Result<Self, OdeError> {
        match jac {
            Jacobian::Dense(m) => {
                if m.nrows() != m.ncols() {
                    return Err(OdeError::JacobianDimensionMismatch {
                        what: "dense Jacobian columns",
                        expected: m.nrows(),
                        found: m.ncols(),
                    });
                }
                Self::dense(m.nrows(), mass)
            }
            Jacobian::Sparse { pattern, .. } => Self::sparse(pattern, mass),
        }
    }

    /// [`LinearSolver::new`] for the Jacobians of `jac`, with the fill-reducing ordering of
    /// [`LinearSolver::set_ordering`] when the evaluator knows a sparsity pattern: what the
    /// stiff methods use.
    pub fn for_evaluator(
        jac: &JacobianEvaluator,
        mass: Option<&MassMatrix>,
    ) -> Result<Self, OdeError> {
        let mut lin = Self::new(jac.jacobian(), mass)?;
        if let Some(p) = jac.pattern() {
            lin.set_ordering(p)?;
        }
        Ok(lin)
    }

    /// Orders the unknowns of a small dense `W` (at most 24 of them) to reduce fill-in: a
    /// minimum-degree ordering of the pattern of `W + Wᵀ` (the Jacobian pattern `jac_pattern`,
    /// the mass matrix's and the diagonal), computed here once; see the module docs. The
    /// solutions differ from those without it by rounding only. Does nothing for larger dense
    /// and for sparse solvers (those order their columns themselves). Drops the current
    /// factorisation.
    pub fn set_ordering(&mut self, jac_pattern: &SparsityPattern) -> Result<(), OdeError> {
        let n = self.n;
        if jac_pattern.nrows() != n || jac_pattern.ncols() != n {
            return Err(OdeError::JacobianDimensionMismatch {
                what: "sparsity pattern for the ordering",
                expected: n,
                found: if jac_pattern.nrows() != n {
                    jac_pattern.nrows()
                } else {
                    jac_pattern.ncols()
                },
            });
        }
        let Inner::Dense(d) = &mut self.inner else {
            return Ok(());
        };
        let Some(lu) = &mut d.small else {
            return Ok(());
        };
        let mut adj = vec![0u32; n];
        let mut add = |i: usize, j: usize| {
            adj[i] |= bit(j);
            adj[j] |= bit(i);
        };
        jac_pattern.entries().for_each(|(i, j)| add(i, j));
        if let Some(m) = &d.mass {
            m.pattern().entries().for_each(|(i, j)| add(i, j));
        }
        let q = minimum_degree(adj);
        lu.plan = Some(Box::new(Plan::new(&q, jac_pattern, d.mass.as_ref())));
        lu.planned = false;
        lu.order = Some(q);
        self.factorized = false;
        Ok(())
    }

    /// Dense LU for an `n`-dimensional system.
    pub fn dense(n: usize, mass: Option<&MassMatrix>) -> Result<Self, OdeError> {
        check_mass(n, mass)?;
        let par = Par::Seq;
        let req = StackReq::any_of(&[
            dense_factor::lu_in_place_scratch::<usize, T>(n, n, par, Default::default()),
            dense_solve::solve_in_place_scratch::<usize, T>(n, 1, par),
        ]);
        let mass = mass.filter(|m| !m.is_identity()).cloned();
        let small = n <= SMALL_DENSE;
        // The small path keeps W in `small`; faer's matrix is then unused.
        let nw = if small { 0 } else { n };
        Ok(Self {
            n,
            inner: Inner::Dense(Box::new(DenseLu {
                w: Mat::zeros(nw, nw),
                mass,
                perm: vec![0; n],
                perm_inv: vec![0; n],
                mem: MemBuffer::new(req),
                small: small.then(|| Box::new(SmallLu::new(n))),
            })),
            par,
            factorized: false,
            col_max: vec![0.0; n],
            rhs_buf: vec![T::from_f64(0.0); n],
        })
    }

    /// Sparse LU for Jacobians with the square pattern `jac_pattern`, with the factorisation
    /// [`SparseLuKind::Auto`] picks. The fill-reducing ordering of `W` is computed here, once.
    pub fn sparse(
        jac_pattern: &SparsityPattern,
        mass: Option<&MassMatrix>,
    ) -> Result<Self, OdeError> {
        Self::sparse_with(jac_pattern, mass, SparseLuKind::Auto)
    }

    /// Sparse LU with a chosen factorisation.
    pub fn sparse_with(
        jac_pattern: &SparsityPattern,
        mass: Option<&MassMatrix>,
        kind: SparseLuKind,
    ) -> Result<Self, OdeError> {
        let n = jac_pattern.nrows();
        if jac_pattern.ncols() != n {
            return Err(OdeError::JacobianDimensionMismatch {
                what: "Jacobian sparsity pattern columns",
                expected: n,
                found: jac_pattern.ncols(),
            });
        }
        check_mass(n, mass)?;
        let mass = mass.filter(|m| !m.is_identity());
        let pattern = iteration_matrix_pattern(jac_pattern, mass)?;
        let nnz = pattern.nnz();
        let mut jac_pos = vec![NONE; nnz];
        let mut mass_val = vec![0.0; nnz];
        for j in 0..n {
            let (start, jrows) = (jac_pattern.col_ptr()[j], jac_pattern.rows_of_col(j));
            let wstart = pattern.col_ptr()[j];
            for (k, &i) in pattern.rows_of_col(j).iter().enumerate() {
                if let Ok(p) = jrows.binary_search(&i) {
                    jac_pos[wstart + k] = start + p;
                }
                // `get` searches; this runs once per solve.
                mass_val[wstart + k] = match mass {
                    Some(m) => m.get(i, j),
                    None => f64::from(u8::from(i == j)),
                };
            }
        }
        let kind = match kind {
            SparseLuKind::Auto => {
                if pattern.max_bandwidth() > SUPERNODAL_MIN_BANDWIDTH {
                    SparseLuKind::Supernodal
                } else {
                    SparseLuKind::Simplicial
                }
            }
            k => k,
        };
        let ordering_failed = |e: faer::sparse::FaerError| OdeError::InvalidSparsity {
            reason: format!("fill-reducing ordering failed: {e:?}"),
        };
        let par = Par::Seq;
        let (backend, req) = if kind == SparseLuKind::Supernodal {
            let params = LuSymbolicParams {
                supernodal_flop_ratio_threshold: SupernodalThreshold::FORCE_SUPERNODAL,
                ..Default::default()
            };
            let symbolic =
                factorize_symbolic_lu(pattern.as_faer(), params).map_err(ordering_failed)?;
            let req = StackReq::any_of(&[
                symbolic.factorize_numeric_lu_scratch::<T>(par, Default::default()),
                symbolic.solve_in_place_scratch::<T>(1, par),
            ]);
            let probe = vec![T::from_f64(0.0); n];
            let numeric = NumericLu::new();
            (
                SparseBackend::Supernodal {
                    symbolic,
                    numeric,
                    probe,
                },
                req,
            )
        } else {
            let mut col_perm = vec![0usize; n];
            let mut col_perm_inv = vec![0usize; n];
            let mut mem = MemBuffer::new(colamd::order_scratch::<usize>(n, n, nnz));
            colamd::order(
                &mut col_perm,
                &mut col_perm_inv,
                pattern.as_faer(),
                colamd::Control::default(),
                MemStack::new(&mut mem),
            )
            .map_err(ordering_failed)?;
            let req = StackReq::any_of(&[
                simplicial::factorize_simplicial_numeric_lu_scratch::<usize, T>(n, n),
                simplicial::solve_in_place_scratch::<usize, T>(n, 1, par),
            ]);
            let backend = SparseBackend::Simplicial {
                col_perm,
                col_perm_inv,
                row_perm: vec![0; n],
                row_perm_inv: vec![0; n],
                lu: SimplicialLu::new(),
            };
            (backend, req)
        };
        Ok(Self {
            n,
            inner: Inner::Sparse(Box::new(SparseLu {
                pattern,
                jac_pattern: jac_pattern.clone(),
                values: vec![T::from_f64(0.0); nnz],
                jac_pos,
                mass_val,
                backend,
                mem: MemBuffer::new(req),
            })),
            par,
            factorized: false,
            col_max: vec![0.0; n],
            rhs_buf: vec![T::from_f64(0.0); n],
        })
    }

    /// Parallelism for the dense factorisation (default sequential: `n` in the hundreds does
    /// not profit, and the machine is usually busy with other solves).
    pub fn with_par(mut self, par: Par) -> Self {
        self.par = par;
        self
    }

    /// Dimension `n`.
    pub fn dim(&self) -> usize {
        self.n
    }

    pub fn kind(&self) -> LuKind {
        match &self.inner {
            Inner::Dense(_) => LuKind::Dense,
            Inner::Sparse(s) => match s.backend {
                SparseBackend::Simplicial { .. } => LuKind::Sparse(SparseLuKind::Simplicial),
                SparseBackend::Supernodal { .. } => LuKind::Sparse(SparseLuKind::Supernodal),
            },
        }
    }

    /// Pattern of `W` for the sparse solver (`None` for dense).
    pub fn pattern(&self) -> Option<&SparsityPattern> {
        match &self.inner {
            Inner::Dense(_) => None,
            Inner::Sparse(s) => Some(&s.pattern),
        }
    }

    /// Whether the last [`factorize`](Self::factorize) succeeded (solving needs it).
    pub fn is_factorized(&self) -> bool {
        self.factorized
    }

    /// Number of stored entries of `W` (`n²` dense), and of its L and U factors after a
    /// simplicial sparse factorisation (`n²` dense; `None` for supernodal, whose factors faer
    /// keeps private): for diagnostics and benchmarks.
    pub fn nnz(&self) -> (usize, Option<usize>) {
        match &self.inner {
            Inner::Dense(_) => (self.n * self.n, Some(self.n * self.n)),
            Inner::Sparse(s) => {
                let f = match &s.backend {
                    SparseBackend::Simplicial { lu, .. } if self.factorized => Some(
                        lu.l_factor_unsorted().val().len() + lu.u_factor_unsorted().val().len(),
                    ),
                    _ => None,
                };
                (s.pattern.nnz(), f)
            }
        }
    }

    /// Forms `W = c·M − J` and factorises it; counts one LU decomposition. `t` is only used in
    /// the error. On error the solver holds no factorisation until the next success.
    pub fn factorize(
        &mut self,
        t: f64,
        c: T,
        jac: &Jacobian,
        stats: &mut Stats,
    ) -> Result<(), OdeError> {
        self.factorized = false;
        stats.lu_decomps += 1;
        let n = self.n;
        let jn = jac.dim();
        if jn != n {
            return Err(OdeError::JacobianDimensionMismatch {
                what: "Jacobian given to the linear solver",
                expected: n,
                found: jn,
            });
        }
        match &mut self.inner {
            Inner::Dense(d) => {
                let mass = d.mass.as_ref();
                let col_max = &mut self.col_max;
                if let Some(lu) = &mut d.small {
                    lu.form_and_factorize(c, mass, jac, col_max);
                    if let Some(k) =
                        (0..n).find(|&k| !regular_pivot(lu.a[k * n + k], col_max[k], n))
                    {
                        return Err(OdeError::SingularMatrix {
                            t,
                            pivot: Some(lu.column_of(k)),
                        });
                    }
                } else {
                    for (j, m) in col_max.iter_mut().enumerate() {
                        *m = form_dense_col(d.w.col_as_slice_mut(j), j, c, mass, jac);
                    }
                    let (_, _) = dense_factor::lu_in_place(
                        d.w.as_mut(),
                        &mut d.perm,
                        &mut d.perm_inv,
                        self.par,
                        MemStack::new(&mut d.mem),
                        Default::default(),
                    );
                    if let Some(k) = (0..n).find(|&k| !regular_pivot(d.w[(k, k)], col_max[k], n)) {
                        return Err(OdeError::SingularMatrix { t, pivot: Some(k) });
                    }
                }
            }
            Inner::Sparse(s) => {
                let Jacobian::Sparse { pattern, values } = jac else {
                    return Err(OdeError::InvalidSparsity {
                        reason: "a sparse linear solver needs a sparse Jacobian (got a dense one)"
                            .into(),
                    });
                };
                if pattern != &s.jac_pattern {
                    return Err(OdeError::InvalidSparsity {
                        reason: "the Jacobian's pattern differs from the one the linear solver was set up with".into(),
                    });
                }
                for ((w, &p), &m) in s.values.iter_mut().zip(&s.jac_pos).zip(&s.mass_val) {
                    let j = if p == NONE { 0.0 } else { values[p] };
                    *w = T::w_entry(c, m, j);
                }
                for (j, m) in self.col_max.iter_mut().enumerate() {
                    let r = s.pattern.col_ptr()[j]..s.pattern.col_ptr()[j + 1];
                    *m = s.values[r].iter().fold(0.0, |a, &v| a.max(v.abs_value()));
                }
                let a = SparseColMatRef::new(s.pattern.as_faer(), &s.values);
                match &mut s.backend {
                    SparseBackend::Simplicial {
                        col_perm,
                        col_perm_inv,
                        row_perm,
                        row_perm_inv,
                        lu,
                    } => {
                        let perm = PermRef::new_checked(col_perm, col_perm_inv, n);
                        match simplicial::factorize_simplicial_numeric_lu(
                            row_perm,
                            row_perm_inv,
                            lu,
                            a,
                            perm,
                            MemStack::new(&mut s.mem),
                        ) {
                            Ok(()) => {}
                            Err(LuError::SymbolicSingular { index }) => {
                                return Err(OdeError::SingularMatrix {
                                    t,
                                    pivot: Some(col_perm[index]),
                                })
                            }
                            Err(LuError::Generic(e)) => {
                                panic!("sparse LU failed for want of memory: {e:?}")
                            }
                        }
                        // The pivot of column k of U is its entry in row k (rows may be unsorted).
                        let u = lu.u_factor_unsorted();
                        for (k, &col) in col_perm.iter().enumerate() {
                            let rows = u.symbolic().row_idx_of_col_raw(k);
                            let pivot = rows
                                .iter()
                                .zip(u.val_of_col(k))
                                .find(|(&i, _)| i == k)
                                .map(|(_, &v)| v);
                            if !pivot.is_some_and(|v| regular_pivot(v, self.col_max[col], n)) {
                                return Err(OdeError::SingularMatrix {
                                    t,
                                    pivot: Some(col),
                                });
                            }
                        }
                    }
                    SparseBackend::Supernodal {
                        symbolic,
                        numeric,
                        probe,
                    } => {
                        let lu = match symbolic.factorize_numeric_lu(
                            numeric,
                            a,
                            self.par,
                            MemStack::new(&mut s.mem),
                            Default::default(),
                        ) {
                            Ok(lu) => lu,
                            Err(LuError::SymbolicSingular { index }) => {
                                return Err(OdeError::SingularMatrix {
                                    t,
                                    pivot: Some(symbolic.col_perm().arrays().0[index]),
                                })
                            }
                            Err(LuError::Generic(e)) => {
                                panic!("sparse LU failed for want of memory: {e:?}")
                            }
                        };
                        // faer keeps the supernodal pivots private: estimate the condition
                        // instead. With b = ±1 (irregular signs) and x = W⁻¹b,
                        // ‖W‖₁‖x‖₁/‖b‖₁ ≤ κ₁(W); a zero pivot makes x non-finite.
                        for (i, p) in probe.iter_mut().enumerate() {
                            *p = T::from_f64(probe_sign(i));
                        }
                        lu.solve_in_place_with_conj(
                            Conj::No,
                            MatMut::from_column_major_slice_mut(probe, n, 1),
                            self.par,
                            MemStack::new(&mut s.mem),
                        );
                        let x1: f64 = probe.iter().map(|v| v.abs_value()).sum();
                        let w1 = s
                            .pattern
                            .col_ptr()
                            .windows(2)
                            .map(|r| {
                                s.values[r[0]..r[1]]
                                    .iter()
                                    .map(|v| v.abs_value())
                                    .sum::<f64>()
                            })
                            .fold(0.0, f64::max);
                        let kappa = w1 * x1 / n as f64;
                        if !(kappa.is_finite() && kappa * (n as f64 * f64::EPSILON) < 1.0) {
                            return Err(OdeError::SingularMatrix { t, pivot: None });
                        }
                    }
                }
            }
        }
        self.factorized = true;
        Ok(())
    }

    /// Overwrites `rhs` (length `n`) with `W⁻¹ rhs`; counts one linear solve.
    ///
    /// # Panics
    /// If no factorisation succeeded since construction or since the last failed one (a bug in
    /// the calling method), or if `rhs.len() != n`.
    pub fn solve_in_place(&mut self, rhs: &mut [T], stats: &mut Stats) {
        assert!(
            self.factorized,
            "LinearSolver::solve_in_place called without a successful factorize"
        );
        assert_eq!(rhs.len(), self.n, "right-hand side length");
        stats.lin_solves += 1;
        let n = self.n;
        if let Inner::Dense(d) = &mut self.inner {
            if let Some(lu) = &mut d.small {
                lu.solve(rhs);
                return;
            }
        }
        let x = MatMut::from_column_major_slice_mut(rhs, n, 1);
        match &mut self.inner {
            Inner::Dense(d) => {
                let perm = PermRef::new_checked(&d.perm, &d.perm_inv, n);
                dense_solve::solve_in_place_with_conj(
                    d.w.as_ref(),
                    d.w.as_ref(),
                    perm,
                    Conj::No,
                    x,
                    self.par,
                    MemStack::new(&mut d.mem),
                );
            }
            Inner::Sparse(s) => match &s.backend {
                SparseBackend::Simplicial {
                    col_perm,
                    col_perm_inv,
                    row_perm,
                    row_perm_inv,
                    lu,
                } => {
                    let row_perm = PermRef::new_checked(row_perm, row_perm_inv, n);
                    let col_perm = PermRef::new_checked(col_perm, col_perm_inv, n);
                    lu.solve_in_place_with_conj(
                        row_perm,
                        col_perm,
                        Conj::No,
                        x,
                        self.par,
                        MemStack::new(&mut s.mem),
                    );
                }
                SparseBackend::Supernodal {
                    symbolic, numeric, ..
                } => {
                    LuRef::new_unchecked(symbolic, numeric).solve_in_place_with_conj(
                        Conj::No,
                        x,
                        self.par,
                        MemStack::new(&mut s.mem),
                    );
                }
            },
        }
    }
}

impl LinearSolver<c64> {
    /// Complex solve with the real and imaginary parts in separate arrays (the layout Radau IIA
    /// codes keep): `(re + i·im) ← W⁻¹ (re + i·im)`. Allocates nothing.
    pub fn solve_split_in_place(&mut self, re: &mut [f64], im: &mut [f64], stats: &mut Stats) {
        assert!(
            re.len() == self.n && im.len() == self.n,
            "right-hand side length"
        );
        let mut buf = std::mem::take(&mut self.rhs_buf);
        for ((b, &r), &i) in buf.iter_mut().zip(re.iter()).zip(im.iter()) {
            *b = c64::new(r, i);
        }
        self.solve_in_place(&mut buf, stats);
        for ((b, r), i) in buf.iter().zip(re.iter_mut()).zip(im.iter_mut()) {
            *r = b.re;
            *i = b.im;
        }
        self.rhs_buf = buf;
    }
}

/// A pivot is regular when it is finite and not negligible against its column of `W`:
/// `|u_kk| > n·ε·max_i |w_ik|`. A smaller one means column `k` is, to working precision, a
/// combination of the previous ones (exactly zero pivots, Hairer's `DEC` test, included).
fn regular_pivot<T: WScalar>(pivot: T, col_max: f64, n: usize) -> bool {
    let a = pivot.abs_value();
    a.is_finite() && a > n as f64 * f64::EPSILON * col_max
}

/// Column `col` of `W = c·M − J` into `wc` (length `n`), from a dense or sparse `J`; returns
/// the column's largest [`WScalar::pivot_abs`] for the pivot test. One pass per column, so
/// forming `W` and its column maxima read the Jacobian once.
#[inline]
fn form_dense_col<T: WScalar>(
    wc: &mut [T],
    col: usize,
    c: T,
    mass: Option<&MassMatrix>,
    jac: &Jacobian,
) -> f64 {
    match jac {
        Jacobian::Dense(j) => {
            for (wi, &ji) in wc.iter_mut().zip(j.col_as_slice(col)) {
                *wi = T::from_f64(-ji);
            }
        }
        Jacobian::Sparse { pattern, values } => {
            wc.fill(T::from_f64(0.0));
            let r = pattern.col_ptr()[col]..pattern.col_ptr()[col + 1];
            for (&i, &v) in pattern.rows_of_col(col).iter().zip(&values[r]) {
                wc[i] = T::from_f64(-v);
            }
        }
    }
    // W += c·M, with W's current entry playing −j in w_entry(c, m, −w).
    let add = |w: &mut T, m: f64| *w += T::w_entry(c, m, 0.0);
    match mass {
        None => add(&mut wc[col], 1.0),
        Some(MassMatrix::Diagonal(d)) => add(&mut wc[col], d[col]),
        Some(MassMatrix::Dense(m)) => {
            for (wi, &mi) in wc.iter_mut().zip(m.col_as_slice(col)) {
                if mi != 0.0 {
                    add(wi, mi);
                }
            }
        }
        Some(MassMatrix::Sparse(m)) => {
            for (&i, &mi) in m.row_idx_of_col_raw(col).iter().zip(m.val_of_col(col)) {
                add(&mut wc[i], mi);
            }
        }
    }
    max_pivot_abs(wc)
}

/// `max_i |v_i|` in [`WScalar::pivot_abs`], NaN ignored (as `f64::max`), in four independent
/// running maxima: one `fold(f64::max)` is a chain of dependent operations that does not
/// vectorise, and it ran every step of a Rosenbrock method on every column of `W`.
#[inline]
fn max_pivot_abs<T: WScalar>(v: &[T]) -> f64 {
    let mut m = [0.0f64; 4];
    let chunks = v.chunks_exact(4);
    let rest = chunks.remainder();
    for c in chunks {
        for (a, x) in m.iter_mut().zip(c) {
            *a = a.max(x.pivot_abs());
        }
    }
    for (a, x) in m.iter_mut().zip(rest) {
        *a = a.max(x.pivot_abs());
    }
    m[0].max(m[1]).max(m[2].max(m[3]))
}

/// The symbolic pattern of `W` for a Jacobian pattern and optional mass matrix (what
/// [`LinearSolver::sparse`] factorises): for reporting fill and for tests.
pub fn iteration_matrix_pattern(
    jac_pattern: &SparsityPattern,
    mass: Option<&MassMatrix>,
) -> Result<SparsityPattern, OdeError> {
    let p = jac_pattern.with_diagonal();
    match mass.filter(|m| !m.is_identity()) {
        Some(m) => p.union(&m.pattern()),
        None => Ok(p),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An arrow-and-band pattern with far entries, and a `J` on it whose diagonal is weak
    /// (`W = c·M − J` needs row interchanges for small `c`, none for large `c`).
    fn sparse_j(n: usize) -> (SparsityPattern, Mat<f64>) {
        let mut entries = Vec::new();
        for i in 0..n {
            entries.extend([(i, i), (0, i), (i, 0), ((i * 7 + 3) % n, i)]);
            if i + 1 < n {
                entries.push((i + 1, i));
            }
        }
        let pattern = SparsityPattern::from_entries(n, n, entries).unwrap();
        let j = Mat::from_fn(n, n, |i, k| {
            if pattern.position(i, k).is_none() {
                0.0
            } else if i == k {
                -0.1 - 0.01 * (i % 4) as f64
            } else {
                // no two equal magnitudes: ties would send every factorisation to the generic LU
                2.0 * ((i * 29 + k * 13) as f64 * 0.618).sin()
            }
        });
        (pattern, j)
    }

    /// The greedy minimum-degree ordering written out on a boolean matrix (`O(n⁴)`, as it was
    /// before the bit masks): the reference for [`minimum_degree`].
    fn minimum_degree_reference(n: usize, mut adj: Vec<bool>) -> Vec<usize> {
        let mut alive = vec![true; n];
        let mut order = Vec::new();
        for _ in 0..n {
            let degree = |i: usize| {
                (0..n)
                    .filter(|&j| j != i && alive[j] && adj[i * n + j])
                    .count()
            };
            let v = (0..n)
                .filter(|&i| alive[i])
                .min_by_key(|&i| degree(i))
                .unwrap();
            let nb: Vec<usize> = (0..n)
                .filter(|&j| j != v && alive[j] && adj[v * n + j])
                .collect();
            for &x in &nb {
                for &y in &nb {
                    adj[x * n + y] = true;
                }
            }
            alive[v] = false;
            order.push(v);
        }
        order
    }

    /// The bit-mask minimum degree orders as the reference does (ties included) on the POLLU
    /// pattern and on pseudo-random symmetric patterns of 1 to 32 unknowns.
    #[test]
    fn minimum_degree_matches_the_reference() {
        let pollu = crate::problems::Pollu::sparsity();
        let mut cases: Vec<(usize, Vec<(usize, usize)>)> = vec![(20, pollu.entries().collect())];
        let mut seed = 12345u64;
        for n in 1..=32usize {
            for density in [1u64, 3, 8] {
                let mut e = Vec::new();
                for i in 0..n {
                    for j in 0..n {
                        seed = seed
                            .wrapping_mul(6364136223846793005)
                            .wrapping_add(1442695040888963407);
                        if (seed >> 33) % 32 < density {
                            e.push((i, j));
                        }
                    }
                }
                cases.push((n, e));
            }
        }
        for (n, entries) in cases {
            let mut adj = vec![false; n * n];
            let mut masks = vec![0u32; n];
            for &(i, j) in &entries {
                adj[i * n + j] = true;
                adj[j * n + i] = true;
                masks[i] |= bit(j);
                masks[j] |= bit(i);
            }
            assert_eq!(
                minimum_degree(masks),
                minimum_degree_reference(n, adj),
                "n = {n}, {entries:?}"
            );
        }
    }

    /// Whether the last factorisation of `s` ran along the plan.
    fn planned<T: WScalar>(s: &LinearSolver<T>) -> bool {
        match &s.inner {
            Inner::Dense(d) => d.small.as_ref().is_some_and(|lu| lu.planned),
            Inner::Sparse(_) => false,
        }
    }

    /// The same ordered solver without the plan (the generic LU with the same ordering).
    fn without_plan<T: WScalar>(
        n: usize,
        p: &SparsityPattern,
        m: Option<&MassMatrix>,
    ) -> LinearSolver<T> {
        let mut s = LinearSolver::<T>::dense(n, m).unwrap();
        s.set_ordering(p).unwrap();
        if let Inner::Dense(d) = &mut s.inner {
            d.small.as_mut().unwrap().plan = None;
        }
        s
    }

    /// The planned factorisation and solves give exactly the generic LU's results (the same
    /// operations in the same order), real and complex, with and without a mass matrix, when
    /// the planned pivots hold (large `c`) and when partial pivoting departs from them (small
    /// `c`: the generic LU runs and the plan is redone, so the repeat is planned again).
    #[test]
    fn planned_lu_is_the_generic_lu() {
        let (mut n_planned, mut n_generic) = (0, 0);
        for n in [5usize, 20, 24] {
            let (pattern, j) = sparse_j(n);
            let jac = Jacobian::Dense(j);
            let diag =
                MassMatrix::Diagonal((0..n).map(|i| f64::from(u8::from(i % 5 != 4))).collect());
            for mass in [None, Some(&diag)] {
                let mut s = LinearSolver::<f64>::dense(n, mass).unwrap();
                s.set_ordering(&pattern).unwrap();
                let mut g = without_plan::<f64>(n, &pattern, mass);
                let mut sc = LinearSolver::<c64>::dense(n, mass).unwrap();
                sc.set_ordering(&pattern).unwrap();
                let mut gc = without_plan::<c64>(n, &pattern, mass);
                let mut st = Stats::default();
                for c in [1e3, 0.02, 0.02, 7.0, 0.3, 0.3, 1e3] {
                    let ra = s.factorize(0.0, c, &jac, &mut st);
                    let rb = g.factorize(0.0, c, &jac, &mut st);
                    assert_eq!(ra.is_ok(), rb.is_ok(), "n = {n}, c = {c}");
                    if planned(&s) {
                        n_planned += 1;
                    } else {
                        n_generic += 1;
                    }
                    if ra.is_ok() {
                        for k in 0..3 {
                            let rhs: Vec<f64> = (0..n)
                                .map(|i| ((i * (k + 2)) as f64 * 0.37).sin())
                                .collect();
                            let (mut x, mut y) = (rhs.clone(), rhs.clone());
                            s.solve_in_place(&mut x, &mut st);
                            g.solve_in_place(&mut y, &mut st);
                            assert_eq!(x, y, "n = {n}, c = {c}");
                        }
                    }
                    let cc = c64::new(c, 0.7 * c);
                    assert_eq!(
                        sc.factorize(0.0, cc, &jac, &mut st).is_ok(),
                        gc.factorize(0.0, cc, &jac, &mut st).is_ok()
                    );
                    if sc.is_factorized() {
                        let rhs: Vec<c64> =
                            (0..n).map(|i| c64::new((i as f64).cos(), 0.5)).collect();
                        let (mut x, mut y) = (rhs.clone(), rhs.clone());
                        sc.solve_in_place(&mut x, &mut st);
                        gc.solve_in_place(&mut y, &mut st);
                        assert_eq!(x, y, "n = {n}, complex c = {cc}");
                    }
                }
                // a repeated shift needing interchanges runs along the redone plan
                s.factorize(0.0, 0.02, &jac, &mut st).unwrap();
                s.factorize(0.0, 0.02, &jac, &mut st).unwrap();
                assert!(
                    planned(&s),
                    "n = {n}: the plan was not redone for the pivots"
                );
            }
        }
        assert!(
            n_planned > 10 && n_generic > 3,
            "{n_planned} planned, {n_generic} generic"
        );
    }

    /// A Jacobian with a non-zero outside the declared pattern is factorised by the generic LU
    /// with that entry (the plan would drop it): same solution as without the plan.
    #[test]
    fn entry_outside_the_pattern_takes_the_generic_lu() {
        let n = 20;
        let (pattern, mut j) = sparse_j(n);
        let (i, k) = (3, 11);
        assert!(pattern.position(i, k).is_none());
        j[(i, k)] = 2.5;
        let jac = Jacobian::Dense(j);
        let mut s = LinearSolver::<f64>::dense(n, None).unwrap();
        s.set_ordering(&pattern).unwrap();
        let mut g = without_plan::<f64>(n, &pattern, None);
        let mut st = Stats::default();
        s.factorize(0.0, 100.0, &jac, &mut st).unwrap();
        g.factorize(0.0, 100.0, &jac, &mut st).unwrap();
        assert!(!planned(&s));
        let rhs: Vec<f64> = (0..n).map(|i| i as f64 - 3.0).collect();
        let (mut x, mut y) = (rhs.clone(), rhs.clone());
        s.solve_in_place(&mut x, &mut st);
        g.solve_in_place(&mut y, &mut st);
        assert_eq!(x, y);
        // and with the entry gone, the plan is used again
        let (_, j0) = sparse_j(n);
        s.factorize(0.0, 100.0, &Jacobian::Dense(j0), &mut st)
            .unwrap();
        assert!(planned(&s));
    }
}
