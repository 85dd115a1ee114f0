//! Newton–Krylov linear solves for the stiff methods: restarted, preconditioned GMRES on
//! `W x = b` with `W = c·M − J`, and the preconditioner interface.
//!
//! # When
//!
//! A sparse LU of `W` costs `O(fill)` per factorisation, and for 2-D/3-D stencils the fill grows
//! faster than the number of unknowns (nested-dissection bound `O(n^{3/2})` in 2-D). A Krylov
//! method needs only products `J·v` (here with the stored Jacobian, `O(nnz)`) and a
//! preconditioner `P ≈ W`; with a good `P` (e.g. a fast Fourier solve of the diffusion part of a
//! reaction–diffusion system) a handful of iterations per Newton iteration suffices and the cost
//! per step is `O(n log n)`. This is CVODE's `SUNLinSol_SPGMR` and DifferentialEquations.jl's
//! `KrylovJL_GMRES` (A. C. Hindmarsh et al., *SUNDIALS: Suite of nonlinear and
//! differential/algebraic equation solvers*, ACM TOMS 31, 2005, §4; P. N. Brown and
//! A. C. Hindmarsh, *Reduced storage matrix methods in stiff ODE systems*, Appl. Math. Comput. 31,
//! 1989). Select it with [`LinearSolverChoice::Gmres`] on [`crate::Solve::linear_solver`]; only
//! BDF/NDF use it (few linear solves per step, and their Newton iteration tolerates inexact
//! solves). The direct LU stays the default: it wins on small and banded systems.
//!
//! # Algorithm
//!
//! GMRES(m) of Saad & Schultz (*GMRES: a generalized minimal residual algorithm for solving
//! nonsymmetric linear systems*, SIAM J. Sci. Stat. Comput. 7, 1986) with modified Gram–Schmidt
//! Arnoldi and Givens rotations, restarted at most [`GmresOptions::max_restarts`] times, zero
//! initial guess, **left** preconditioning and the weighted norm of the Newton iteration, as in
//! CVODE: it minimises `‖D P⁻¹ (b − W x)‖₂` with `D = diag(1/sᵢ)`, `sᵢ = atolᵢ + rtolᵢ|yᵢ|`, and
//! stops when the RMS of that residual is at most `δ = ε_lin · τ`, `τ` the Newton convergence
//! tolerance and `ε_lin` = [`GmresOptions::tol_factor`] (CVODE's `eplifac = 0.05`: the linear
//! error is then small against what Newton must resolve — an *inexact Newton* method, Dembo,
//! Eisenstat & Steihaug, SIAM J. Numer. Anal. 19, 1982).
//!
//! All work vectors (`(m + 1)·n` for the Krylov basis) are allocated when the solver is built;
//! [`Gmres::solve`] allocates nothing.

use crate::error::OdeError;
use crate::jacobian::Jacobian;
use crate::mass::MassMatrix;
use crate::sparsity::SparsityPattern;

/// An approximation `P ≈ W = c·M − J` that is cheap to set up and to solve with (right-hand
/// side in, `P⁻¹·r` out). Supplied by a system through [`crate::OdeSystem::preconditioner`]
/// (one fresh instance per solve, so it may keep scratch buffers), or built in
/// ([`JacobiPreconditioner`], [`crate::ilu::Ilu0Preconditioner`]).
pub trait Preconditioner: Send {
    /// Prepares `P` for `c` and the state `(t, y)` (the predictor of the step), with the
    /// Jacobian `jac` of the method when there is one (it may be a few steps old, as `J` in
    /// modified Newton is). Called whenever the method would re-factorise `W`. An error (e.g.
    /// [`OdeError::SingularMatrix`]) makes the method refresh `J` or retry with a smaller step.
    fn setup(
        &mut self,
        t: f64,
        y: &[f64],
        c: f64,
        jac: Option<&Jacobian>,
        mass: Option<&MassMatrix>,
    ) -> Result<(), OdeError>;

    /// Overwrites `r` with `P⁻¹ r`. Must not allocate if the caller wants allocation-free
    /// stepping.
    fn solve_in_place(&mut self, r: &mut [f64]);

    /// Whether `P⁻¹W` stays close to the identity, so that a small preconditioned residual
    /// `‖D P⁻¹(b − W x)‖` means an equally small error in `x` (e.g. an exact solve of the stiff
    /// linear part). GMRES may then stop at a fraction of the Newton iteration's own tolerance.
    /// The default, `false`, holds it to the tighter `√rtol`-based tolerance: with a generic
    /// preconditioner (Jacobi, ILU(0)) the preconditioned residual can understate the error by
    /// the condition of `P⁻¹W`, and that error then reaches the solution through the error
    /// estimate (on ROBER with Jacobi it cost 10× in accuracy at rtol 1e-8).
    fn near_inverse(&self) -> bool {
        false
    }
}

/// Which preconditioner GMRES uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PreconditionerChoice {
    /// The system's own ([`crate::OdeSystem::preconditioner`]) if it has one, else
    /// [`PreconditionerChoice::Ilu0`] when the Jacobian is sparse, else
    /// [`PreconditionerChoice::Jacobi`].
    #[default]
    Auto,
    /// Incomplete LU without fill of `W` on its sparsity pattern
    /// ([`crate::ilu::Ilu0Preconditioner`]): the general choice for sparse Jacobians; with a
    /// dense Jacobian it is the full LU.
    Ilu0,
    /// The diagonal of `W` ([`JacobiPreconditioner`]): a general fallback, weak for stiff
    /// diffusion (its iteration counts grow with the stiffness of the coupling).
    Jacobi,
    /// None (`P = I`): for tests and well-conditioned systems.
    Identity,
}

/// Options of the GMRES linear solver.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GmresOptions {
    /// Krylov subspace dimension before a restart (default 30; CVODE's default `maxl` is 5,
    /// which assumes a very good preconditioner).
    pub restart: usize,
    /// Restarts after the first cycle (default 2), so at most `restart·(max_restarts + 1)`
    /// iterations per linear solve.
    pub max_restarts: usize,
    /// `ε_lin`: the linear residual tolerance relative to the Newton tolerance (default 0.05,
    /// CVODE's `eplifac`).
    pub tol_factor: f64,
    pub preconditioner: PreconditionerChoice,
}

impl Default for GmresOptions {
    fn default() -> Self {
        Self {
            restart: 30,
            max_restarts: 2,
            tol_factor: 0.05,
            preconditioner: PreconditionerChoice::Auto,
        }
    }
}

impl GmresOptions {
    pub(crate) fn validate(&self) -> Result<(), OdeError> {
        if self.restart == 0 {
            return Err(OdeError::InvalidOption {
                name: "gmres restart",
                reason: "must be at least 1".into(),
            });
        }
        if !(self.tol_factor > 0.0 && self.tol_factor < 1.0) {
            return Err(OdeError::InvalidOption {
                name: "gmres tol_factor",
                reason: format!("{} is not in (0, 1)", self.tol_factor),
            });
        }
        Ok(())
    }
}

/// How the stiff methods solve their linear systems `W x = b`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum LinearSolverChoice {
    /// Dense or sparse LU of `W` ([`crate::linalg`]); every method; the default.
    #[default]
    Direct,
    /// Preconditioned GMRES (this module); BDF and NDF only.
    Gmres(GmresOptions),
}

/// What one [`Gmres::solve`] did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GmresOutcome {
    /// Whether the weighted preconditioned residual reached the tolerance.
    pub converged: bool,
    /// Arnoldi iterations (products with `W`, and preconditioner solves, beyond the first).
    pub iterations: usize,
    /// RMS of the final weighted preconditioned residual `D P⁻¹ (b − W x)`.
    pub residual: f64,
}

/// Restarted GMRES with left preconditioning in a weighted norm; see the [module docs](self).
#[derive(Debug, Clone)]
pub struct Gmres {
    n: usize,
    m: usize,
    max_restarts: usize,
    /// Krylov basis, `m + 1` vectors of `n`.
    v: Vec<f64>,
    /// Hessenberg matrix, column `j` at `h[j*(m+1)..]`.
    h: Vec<f64>,
    cs: Vec<f64>,
    sn: Vec<f64>,
    g: Vec<f64>,
    ycoef: Vec<f64>,
    /// Scratch of `n`.
    u: Vec<f64>,
    x: Vec<f64>,
    /// `1/weights` of the current solve (multiplications instead of divisions per iteration).
    inv_w: Vec<f64>,
}

impl Gmres {
    /// A solver for systems of dimension `n` with subspace dimension `restart` (≥ 1).
    pub fn new(n: usize, restart: usize, max_restarts: usize) -> Self {
        let m = restart.max(1);
        Self {
            n,
            m,
            max_restarts,
            v: vec![0.0; (m + 1) * n],
            h: vec![0.0; (m + 1) * m],
            cs: vec![0.0; m],
            sn: vec![0.0; m],
            g: vec![0.0; m + 1],
            ycoef: vec![0.0; m],
            u: vec![0.0; n],
            x: vec![0.0; n],
            inv_w: vec![0.0; n],
        }
    }

    /// Solves `W x = b` approximately, `b` in `rhs`, `x` out in `rhs`.
    ///
    /// * `apply(u, out)`: `out = W u`;
    /// * `precond(r)`: `r ← P⁻¹ r`;
    /// * `weights`: `1/sᵢ` of the norm (positive);
    /// * `tol`: the RMS residual to reach.
    ///
    /// On non-convergence `rhs` holds the best iterate found (the caller decides; the BDF
    /// Newton iteration treats it as a failed iteration). A non-finite residual stops at once.
    pub fn solve(
        &mut self,
        rhs: &mut [f64],
        weights: &[f64],
        tol: f64,
        mut apply: impl FnMut(&[f64], &mut [f64]),
        mut precond: impl FnMut(&mut [f64]),
    ) -> GmresOutcome {
        let (n, m) = (self.n, self.m);
        let sqrt_n = (n.max(1) as f64).sqrt();
        let tol2 = tol * sqrt_n;
        self.x.fill(0.0);
        for (iw, &w) in self.inv_w.iter_mut().zip(weights) {
            *iw = 1.0 / w;
        }
        let mut iterations = 0;
        let mut resid = f64::INFINITY;
        for cycle in 0..=self.max_restarts {
            // r0 = D P⁻¹ (b − W x)
            {
                let (v0, _) = self.v.split_at_mut(n);
                if cycle == 0 {
                    v0.copy_from_slice(rhs);
                } else {
                    apply(&self.x, &mut self.u);
                    for ((r, &b), &wu) in v0.iter_mut().zip(rhs.iter()).zip(&self.u) {
                        *r = b - wu;
                    }
                }
                precond(v0);
                for (r, &w) in v0.iter_mut().zip(weights) {
                    *r *= w;
                }
            }
            let beta = norm2(&self.v[..n]);
            resid = beta;
            if !beta.is_finite() {
                break;
            }
            if beta <= tol2 {
                break;
            }
            let inv_beta = 1.0 / beta;
            for r in &mut self.v[..n] {
                *r *= inv_beta;
            }
            self.g.fill(0.0);
            self.g[0] = beta;
            let mut k_used = 0;
            for j in 0..m {
                iterations += 1;
                // u = D⁻¹ v_j; v_{j+1} = D P⁻¹ W u
                for ((u, &v), &iw) in self.u.iter_mut().zip(&self.v[j * n..]).zip(&self.inv_w) {
                    *u = v * iw;
                }
                let (head, tail) = self.v.split_at_mut((j + 1) * n);
                let vnext = &mut tail[..n];
                apply(&self.u, vnext);
                precond(vnext);
                for (r, &w) in vnext.iter_mut().zip(weights) {
                    *r *= w;
                }
                // modified Gram–Schmidt
                let hcol = &mut self.h[j * (m + 1)..(j + 1) * (m + 1)];
                for (i, hij) in hcol.iter_mut().enumerate().take(j + 1) {
                    let vi = &head[i * n..(i + 1) * n];
                    let d = dot(vi, vnext);
                    *hij = d;
                    for (a, &b) in vnext.iter_mut().zip(vi) {
                        *a -= d * b;
                    }
                }
                let hnext = norm2(vnext);
                hcol[j + 1] = hnext;
                if hnext > 0.0 && hnext.is_finite() {
                    let inv_h = 1.0 / hnext;
                    for a in vnext.iter_mut() {
                        *a *= inv_h;
                    }
                }
                // apply the previous rotations, then a new one to zero h[j+1]
                for i in 0..j {
                    let (a, b) = (hcol[i], hcol[i + 1]);
                    hcol[i] = self.cs[i] * a + self.sn[i] * b;
                    hcol[i + 1] = -self.sn[i] * a + self.cs[i] * b;
                }
                let (a, b) = (hcol[j], hcol[j + 1]);
                let r = a.hypot(b);
                let (c, s) = if r == 0.0 { (1.0, 0.0) } else { (a / r, b / r) };
                self.cs[j] = c;
                self.sn[j] = s;
                hcol[j] = r;
                hcol[j + 1] = 0.0;
                self.g[j + 1] = -s * self.g[j];
                self.g[j] *= c;
                resid = self.g[j + 1].abs();
                k_used = j + 1;
                if !resid.is_finite() || resid <= tol2 || hnext == 0.0 {
                    break;
                }
            }
            // y = H⁻¹ g (upper triangular), x += D⁻¹ V y
            for i in (0..k_used).rev() {
                let mut s = self.g[i];
                for l in i + 1..k_used {
                    s -= self.h[l * (m + 1) + i] * self.ycoef[l];
                }
                let d = self.h[i * (m + 1) + i];
                self.ycoef[i] = if d != 0.0 { s / d } else { 0.0 };
            }
            self.u.fill(0.0);
            for i in 0..k_used {
                let yi = self.ycoef[i];
                for (u, &v) in self.u.iter_mut().zip(&self.v[i * n..(i + 1) * n]) {
                    *u += yi * v;
                }
            }
            for ((x, &u), &iw) in self.x.iter_mut().zip(&self.u).zip(&self.inv_w) {
                *x += u * iw;
            }
            if !resid.is_finite() || resid <= tol2 {
                break;
            }
        }
        rhs.copy_from_slice(&self.x);
        let residual = resid / sqrt_n;
        GmresOutcome {
            converged: residual <= tol,
            iterations,
            residual,
        }
    }
}

#[inline]
fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[inline]
fn norm2(a: &[f64]) -> f64 {
    dot(a, a).sqrt()
}

/// A sparse Jacobian copied into row-major (CSR) order, for the products `W·u = c·u − J·u` of
/// GMRES: each output entry is one gathered sum, where the Jacobian's own column-major
/// [`Jacobian::mul_vec_into`] scatters into the output (a read-modify-write per entry). The
/// structure is built once per pattern; [`RowMajorJacobian::refresh`] copies the values after
/// every Jacobian evaluation.
#[derive(Debug, Clone)]
pub(crate) struct RowMajorJacobian {
    /// The pattern's transpose: its column `i` lists the columns of row `i`.
    rows: SparsityPattern,
    /// Position in the column-major values of each row-major entry.
    src: Vec<usize>,
    vals: Vec<f64>,
}

impl RowMajorJacobian {
    /// The row-major structure of a sparse `jac` (`None` for a dense one).
    pub(crate) fn new(jac: &Jacobian) -> Option<Self> {
        let Jacobian::Sparse { pattern, .. } = jac else {
            return None;
        };
        let rows = pattern.transpose();
        let src = (0..rows.ncols())
            .flat_map(|i| rows.rows_of_col(i).iter().map(move |&j| (i, j)))
            .map(|(i, j)| pattern.position(i, j).expect("an entry of the pattern"))
            .collect();
        Some(Self {
            vals: vec![0.0; rows.nnz()],
            rows,
            src,
        })
    }

    /// Copies the values of `jac` (the same pattern as at construction).
    pub(crate) fn refresh(&mut self, jac: &Jacobian) {
        if let Jacobian::Sparse { values, .. } = jac {
            for (v, &k) in self.vals.iter_mut().zip(&self.src) {
                *v = values[k];
            }
        }
    }

    /// `out = c·u − J·u`.
    pub(crate) fn w_apply(&self, c: f64, u: &[f64], out: &mut [f64]) {
        let (row_ptr, col) = (self.rows.col_ptr(), self.rows.row_idx());
        let mut start = 0;
        for ((o, &end), &ui) in out.iter_mut().zip(&row_ptr[1..]).zip(u) {
            let mut s = 0.0;
            for (&j, &a) in col[start..end].iter().zip(&self.vals[start..end]) {
                s += a * u[j];
            }
            *o = c * ui - s;
            start = end;
        }
    }
}

/// `P = diag(W) = diag(c·M − J)`: the general fallback preconditioner (identity where the
/// diagonal vanishes).
#[derive(Debug, Clone)]
pub struct JacobiPreconditioner {
    inv_diag: Vec<f64>,
}

impl JacobiPreconditioner {
    pub fn new(n: usize) -> Self {
        Self {
            inv_diag: vec![1.0; n],
        }
    }
}

impl Preconditioner for JacobiPreconditioner {
    fn setup(
        &mut self,
        t: f64,
        _y: &[f64],
        c: f64,
        jac: Option<&Jacobian>,
        mass: Option<&MassMatrix>,
    ) -> Result<(), OdeError> {
        for (i, d) in self.inv_diag.iter_mut().enumerate() {
            let m = mass.map_or(1.0, |m| m.get(i, i));
            let j = jac.map_or(0.0, |j| diag_entry(j, i));
            let w = c * m - j;
            if !w.is_finite() {
                return Err(OdeError::SingularMatrix { t, pivot: Some(i) });
            }
            *d = if w != 0.0 { 1.0 / w } else { 1.0 };
        }
        Ok(())
    }

    fn solve_in_place(&mut self, r: &mut [f64]) {
        for (x, &d) in r.iter_mut().zip(&self.inv_diag) {
            *x *= d;
        }
    }
}

/// Diagonal entry `J_ii` without allocating (binary search in a sparse column).
fn diag_entry(j: &Jacobian, i: usize) -> f64 {
    match j {
        Jacobian::Dense(m) => m[(i, i)],
        Jacobian::Sparse { pattern, values } => {
            let start = pattern.col_ptr()[i];
            match pattern.rows_of_col(i).binary_search(&i) {
                Ok(k) => values[start + k],
                Err(_) => 0.0,
            }
        }
    }
}

/// No preconditioning.
#[derive(Debug, Clone, Copy, Default)]
pub struct IdentityPreconditioner;

impl Preconditioner for IdentityPreconditioner {
    fn setup(
        &mut self,
        _t: f64,
        _y: &[f64],
        _c: f64,
        _jac: Option<&Jacobian>,
        _mass: Option<&MassMatrix>,
    ) -> Result<(), OdeError> {
        Ok(())
    }
    fn solve_in_place(&mut self, _r: &mut [f64]) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// The row-major product equals `c·u − J·u` of the column-major Jacobian (to rounding: the
    /// row sums add the same terms in column order), on random patterns with empty rows and
    /// columns, and after a refresh with new values.
    #[test]
    fn row_major_product_equals_column_major() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for n in [1usize, 5, 40] {
            let entries: Vec<(usize, usize)> = (0..n)
                .flat_map(|i| (0..n).map(move |j| (i, j)))
                .filter(|_| rng.random_bool(0.2))
                .collect();
            let pattern = SparsityPattern::from_entries(n, n, entries).unwrap();
            let mut jac = Jacobian::zeros(n, Some(&pattern));
            let mut rows = RowMajorJacobian::new(&jac).expect("sparse");
            for _ in 0..2 {
                if let Jacobian::Sparse { values, .. } = &mut jac {
                    values
                        .iter_mut()
                        .for_each(|v| *v = rng.random_range(-2.0..2.0));
                }
                rows.refresh(&jac);
                let u: Vec<f64> = (0..n).map(|_| rng.random_range(-1.0..1.0)).collect();
                let c = 3.5;
                let mut expect = vec![0.0; n];
                jac.mul_vec_into(&u, &mut expect);
                for (e, &x) in expect.iter_mut().zip(&u) {
                    *e = c * x - *e;
                }
                let mut got = vec![f64::NAN; n];
                rows.w_apply(c, &u, &mut got);
                for (i, (&g, &e)) in got.iter().zip(&expect).enumerate() {
                    assert!((g - e).abs() <= 1e-13, "n = {n}, row {i}: {g} vs {e}");
                }
            }
        }
        assert!(RowMajorJacobian::new(&Jacobian::zeros(3, None)).is_none());
    }
}
