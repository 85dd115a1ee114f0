//! Incomplete LU factorisation without fill, ILU(0), of the iteration matrix `W = c·M − J` on
//! its sparsity pattern: a general-purpose preconditioner for the Newton–Krylov solves of
//! [`crate::krylov`] when the system brings none of its own.
//!
//! ILU(0) computes `L` (unit lower) and `U` (upper) with the pattern of `W` such that
//! `(L U)ᵢⱼ = Wᵢⱼ` on every position `(i, j)` of that pattern; the fill an exact LU would create
//! outside it is dropped (Y. Saad, *Iterative Methods for Sparse Linear Systems*, 2nd ed., SIAM
//! 2003, §10.3.2, Algorithm 10.4 "ILU(0)", the IKJ variant on rows). Set-up costs
//! `O(Σᵢ nnz(row i)·nnz(row k))` over the pairs it eliminates (a few times `nnz(W)` for stencils),
//! a solve `2·nnz(W)` flops. For a matrix whose pattern is closed under elimination (banded,
//! block diagonal, tridiagonal) ILU(0) *is* the LU without pivoting.
//!
//! It is what CVODE's users reach for first when no problem-specific preconditioner exists
//! (e.g. through hypre's or PETSc's ILU), and DifferentialEquations.jl's documentation suggests
//! `IncompleteLU.jl` for `KrylovJL_GMRES`. It is weaker than a preconditioner that knows the
//! physics (the Brusselator's FFT solve of the diffusion part, [`crate::problems::Brusselator2d`])
//! and stronger than the diagonal ([`crate::krylov::JacobiPreconditioner`]).
//!
//! No pivoting: a zero or non-finite pivot is reported as [`OdeError::SingularMatrix`] (the
//! method then refreshes the Jacobian or cuts the step). `W = c·M − J` with the `c ~ 1/h` of a
//! stiff method is dominated by its diagonal on the differential components, which is where
//! ILU(0) without pivoting is reliable.
//!
//! Storage: `W` row by row (compressed sparse rows, the transpose of the Jacobian's CSC layout),
//! built at the first set-up; later set-ups and all solves allocate nothing.

use crate::error::OdeError;
use crate::jacobian::Jacobian;
use crate::krylov::Preconditioner;
use crate::mass::MassMatrix;
use crate::sparsity::SparsityPattern;

const NONE: usize = usize::MAX;

/// The row structure of `W` and where its values come from.
#[derive(Debug, Clone)]
struct Structure {
    /// Row pointers (`n + 1`).
    row_ptr: Vec<usize>,
    /// Column indices, sorted within each row.
    col: Vec<usize>,
    /// Position of the diagonal entry of each row.
    diag: Vec<usize>,
    /// For each entry, its index in the Jacobian's values (CSC order) or `NONE`.
    jac_pos: Vec<usize>,
    /// For each entry, the mass-matrix entry there (identity when absent).
    mass_val: Vec<f64>,
    /// The Jacobian pattern this structure was built for (`None`: dense).
    jac_pattern: Option<SparsityPattern>,
}

/// ILU(0) factors of `W = c·M − J`; see the [module docs](self).
///
/// ```
/// use ai4de_ode::ilu::Ilu0;
/// use ai4de_ode::jacobian::Jacobian;
/// use ai4de_ode::sparsity::SparsityPattern;
/// // tridiagonal J: ILU(0) is the exact LU, so the solve is exact
/// let n = 5;
/// let pattern = SparsityPattern::banded(n, 1, 1);
/// let values: Vec<f64> = pattern.entries().map(|(i, j)| if i == j { -2.0 } else { 1.0 }).collect();
/// let jac = Jacobian::Sparse { pattern, values };
/// let mut ilu = Ilu0::new();
/// ilu.factorize(0.0, 1.0, &jac, None).unwrap(); // W = I − J
/// let mut x = vec![1.0; n];
/// ilu.solve_in_place(&mut x);
/// // check W x = 1
/// let w = |i: usize, j: usize| if i == j { 3.0 } else if i.abs_diff(j) == 1 { -1.0 } else { 0.0 };
/// for i in 0..n {
///     let r: f64 = (0..n).map(|j| w(i, j) * x[j]).sum();
///     assert!((r - 1.0).abs() < 1e-14);
/// }
/// ```
#[derive(Debug, Clone, Default)]
pub struct Ilu0 {
    structure: Option<Structure>,
    /// `L` (strictly lower, unit diagonal implied) and `U` (upper, with diagonal) in one array,
    /// in the row structure's order.
    lu: Vec<f64>,
    /// Marker of the current row's columns (`n`).
    marker: Vec<usize>,
}

impl Ilu0 {
    /// An empty factorisation (the structure is built at the first [`Ilu0::factorize`]).
    pub fn new() -> Self {
        Self::default()
    }

    fn build(jac: &Jacobian, mass: Option<&MassMatrix>) -> Result<Structure, OdeError> {
        let n = jac.dim();
        let jac_pattern = match jac {
            Jacobian::Sparse { pattern, .. } => pattern.clone(),
            Jacobian::Dense(_) => SparsityPattern::dense(n, n),
        };
        let mass = mass.filter(|m| !m.is_identity());
        let w = crate::linalg::iteration_matrix_pattern(&jac_pattern, mass)?;
        // CSC of W → CSR of W: the CSC of Wᵀ.
        let wt = w.transpose();
        let row_ptr = wt.col_ptr().to_vec();
        let col = wt.row_idx().to_vec();
        let mut diag = vec![NONE; n];
        let mut jac_pos = vec![NONE; col.len()];
        let mut mass_val = vec![0.0; col.len()];
        for i in 0..n {
            for (k, &j) in col[row_ptr[i]..row_ptr[i + 1]].iter().enumerate() {
                let e = row_ptr[i] + k;
                if j == i {
                    diag[i] = e;
                }
                if let Some(p) = jac_pattern.position(i, j) {
                    jac_pos[e] = p;
                }
                mass_val[e] = match mass {
                    Some(m) => m.get(i, j),
                    None => f64::from(u8::from(i == j)),
                };
            }
        }
        debug_assert!(
            diag.iter().all(|&d| d != NONE),
            "W's pattern has its diagonal"
        );
        Ok(Structure {
            row_ptr,
            col,
            diag,
            jac_pos,
            mass_val,
            jac_pattern: match jac {
                Jacobian::Sparse { pattern, .. } => Some(pattern.clone()),
                Jacobian::Dense(_) => None,
            },
        })
    }

    /// Forms `W = c·M − J` and computes its ILU(0) factors. The row structure is built at the
    /// first call (and again if the Jacobian's storage changes). A zero or non-finite pivot
    /// gives [`OdeError::SingularMatrix`] with `t` and the row.
    pub fn factorize(
        &mut self,
        t: f64,
        c: f64,
        jac: &Jacobian,
        mass: Option<&MassMatrix>,
    ) -> Result<(), OdeError> {
        let same = match (&self.structure, jac) {
            (Some(s), Jacobian::Sparse { pattern, .. }) => s.jac_pattern.as_ref() == Some(pattern),
            (Some(s), Jacobian::Dense(m)) => s.jac_pattern.is_none() && s.diag.len() == m.nrows(),
            (None, _) => false,
        };
        if !same {
            let s = Self::build(jac, mass)?;
            self.lu = vec![0.0; s.col.len()];
            self.marker = vec![NONE; jac.dim()];
            self.structure = Some(s);
        }
        let s = self.structure.as_ref().expect("built above");
        let n = s.diag.len();
        // W's values, row by row.
        match jac {
            Jacobian::Sparse { values, .. } => {
                for ((v, &p), &m) in self.lu.iter_mut().zip(&s.jac_pos).zip(&s.mass_val) {
                    let j = if p == NONE { 0.0 } else { values[p] };
                    *v = c * m - j;
                }
            }
            Jacobian::Dense(a) => {
                for i in 0..n {
                    for e in s.row_ptr[i]..s.row_ptr[i + 1] {
                        self.lu[e] = c * s.mass_val[e] - a[(i, s.col[e])];
                    }
                }
            }
        }
        // IKJ elimination restricted to the pattern (Saad, Algorithm 10.4).
        let lu = &mut self.lu;
        let marker = &mut self.marker;
        for i in 0..n {
            let (start, end) = (s.row_ptr[i], s.row_ptr[i + 1]);
            for e in start..end {
                marker[s.col[e]] = e;
            }
            for e in start..s.diag[i] {
                let k = s.col[e];
                let pivot = lu[s.diag[k]];
                let l = lu[e] / pivot;
                lu[e] = l;
                if l != 0.0 {
                    for f in s.diag[k] + 1..s.row_ptr[k + 1] {
                        let m = marker[s.col[f]];
                        if m != NONE {
                            lu[m] -= l * lu[f];
                        }
                    }
                }
            }
            for e in start..end {
                marker[s.col[e]] = NONE;
            }
            let d = lu[s.diag[i]];
            if d == 0.0 || !d.is_finite() {
                return Err(OdeError::SingularMatrix { t, pivot: Some(i) });
            }
        }
        Ok(())
    }

    /// Overwrites `r` with `(L U)⁻¹ r`. Allocates nothing. Must follow a successful
    /// [`Ilu0::factorize`] (before that it leaves `r` unchanged).
    pub fn solve_in_place(&self, r: &mut [f64]) {
        let Some(s) = &self.structure else {
            return;
        };
        let n = s.diag.len();
        let lu = &self.lu;
        for i in 0..n {
            let mut x = r[i];
            for e in s.row_ptr[i]..s.diag[i] {
                x -= lu[e] * r[s.col[e]];
            }
            r[i] = x;
        }
        for i in (0..n).rev() {
            let mut x = r[i];
            for e in s.diag[i] + 1..s.row_ptr[i + 1] {
                x -= lu[e] * r[s.col[e]];
            }
            r[i] = x / lu[s.diag[i]];
        }
    }

    /// Entry `(i, j)` of the factors in the pattern (`L` strictly below the diagonal, `U` on and
    /// above), `None` outside it. For tests and diagnostics.
    pub fn factor_entry(&self, i: usize, j: usize) -> Option<f64> {
        let s = self.structure.as_ref()?;
        let row = &s.col[s.row_ptr[i]..s.row_ptr[i + 1]];
        row.binary_search(&j)
            .ok()
            .map(|k| self.lu[s.row_ptr[i] + k])
    }
}

/// [`Ilu0`] as a [`Preconditioner`] for GMRES: set up from the method's Jacobian (required).
#[derive(Debug, Clone, Default)]
pub struct Ilu0Preconditioner {
    ilu: Ilu0,
}

impl Ilu0Preconditioner {
    pub fn new() -> Self {
        Self::default()
    }
}

impl Preconditioner for Ilu0Preconditioner {
    fn setup(
        &mut self,
        t: f64,
        _y: &[f64],
        c: f64,
        jac: Option<&Jacobian>,
        mass: Option<&MassMatrix>,
    ) -> Result<(), OdeError> {
        match jac {
            Some(j) => self.ilu.factorize(t, c, j, mass),
            None => Err(OdeError::InvalidOption {
                name: "preconditioner",
                reason: "ILU(0) needs the method's Jacobian".into(),
            }),
        }
    }

    fn solve_in_place(&mut self, r: &mut [f64]) {
        self.ilu.solve_in_place(r);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use faer::Mat;

    /// A sparse matrix with an irregular pattern (a 2-D 5-point stencil on a 6 × 5 periodic
    /// grid with two coupled species, like the Brusselator) and diagonally dominant `W`.
    fn stencil(nx: usize, ny: usize) -> Jacobian {
        let nn = nx * ny;
        let mut entries = Vec::new();
        for s in 0..2 {
            for j in 0..ny {
                for i in 0..nx {
                    let p = i + nx * j;
                    let r = s * nn + p;
                    for q in [
                        p,
                        (i + 1) % nx + nx * j,
                        (i + nx - 1) % nx + nx * j,
                        i + nx * ((j + 1) % ny),
                        i + nx * ((j + ny - 1) % ny),
                    ] {
                        entries.push((r, s * nn + q));
                    }
                    entries.push((r, (1 - s) * nn + p));
                }
            }
        }
        let pattern = SparsityPattern::from_entries(2 * nn, 2 * nn, entries).unwrap();
        let values = pattern
            .entries()
            .map(|(i, j)| {
                if i == j {
                    -4.5 - 0.1 * (i % 7) as f64
                } else if i.abs_diff(j) == nn {
                    0.3 + 0.05 * (j % 3) as f64
                } else {
                    1.0 - 0.02 * (i % 5) as f64
                }
            })
            .collect();
        Jacobian::Sparse { pattern, values }
    }

    fn w_dense(jac: &Jacobian, c: f64) -> Mat<f64> {
        let j = jac.to_dense();
        Mat::from_fn(j.nrows(), j.ncols(), |a, b| {
            f64::from(u8::from(a == b)) * c - j[(a, b)]
        })
    }

    /// The defining property: `(L U)ᵢⱼ = Wᵢⱼ` on the pattern of `W`.
    #[test]
    fn factors_reproduce_w_on_its_pattern() {
        let jac = stencil(6, 5);
        let n = jac.dim();
        let c = 0.7;
        let mut ilu = Ilu0::new();
        ilu.factorize(0.0, c, &jac, None).unwrap();
        let w = w_dense(&jac, c);
        let l = Mat::from_fn(n, n, |i, j| match i.cmp(&j) {
            std::cmp::Ordering::Greater => ilu.factor_entry(i, j).unwrap_or(0.0),
            std::cmp::Ordering::Equal => 1.0,
            std::cmp::Ordering::Less => 0.0,
        });
        let u = Mat::from_fn(n, n, |i, j| {
            if i <= j {
                ilu.factor_entry(i, j).unwrap_or(0.0)
            } else {
                0.0
            }
        });
        let prod = &l * &u;
        let Jacobian::Sparse { pattern, .. } = &jac else {
            unreachable!()
        };
        let wp = pattern.with_diagonal();
        let mut worst = 0.0f64;
        for (i, j) in wp.entries() {
            worst = worst.max((prod[(i, j)] - w[(i, j)]).abs());
        }
        assert!(worst < 1e-13, "{worst:e}");
        // and it is not the exact LU (fill was dropped): L U differs from W somewhere else
        let off = (0..n)
            .flat_map(|i| (0..n).map(move |j| (i, j)))
            .filter(|&(i, j)| !wp.contains(i, j))
            .map(|(i, j)| prod[(i, j)].abs())
            .fold(0.0, f64::max);
        assert!(off > 1e-6, "{off:e}");
    }

    /// On a pattern closed under elimination (block tridiagonal with full 2 × 2 blocks, i.e. a
    /// band), ILU(0) is the exact LU: the solve matches a dense LU solve to rounding.
    #[test]
    fn exact_on_a_band_against_dense_lu() {
        let n = 40;
        let pattern = SparsityPattern::banded(n, 2, 2);
        let values: Vec<f64> = pattern
            .entries()
            .map(|(i, j)| {
                if i == j {
                    -3.0 - (i % 4) as f64
                } else {
                    0.5 + 0.1 * ((i + 2 * j) % 5) as f64 - 0.3
                }
            })
            .collect();
        let jac = Jacobian::Sparse { pattern, values };
        let c = 2.5;
        let mut ilu = Ilu0::new();
        ilu.factorize(0.0, c, &jac, None).unwrap();
        let b: Vec<f64> = (0..n).map(|i| (i as f64 * 0.37).sin()).collect();
        let mut x = b.clone();
        ilu.solve_in_place(&mut x);
        let w = w_dense(&jac, c);
        let rhs = Mat::from_fn(n, 1, |i, _| b[i]);
        let exact = faer::linalg::solvers::Solve::solve(&w.partial_piv_lu(), &rhs);
        let err = (0..n)
            .map(|i| (x[i] - exact[(i, 0)]).abs())
            .fold(0.0, f64::max);
        assert!(err < 1e-13, "{err:e}");
    }

    /// A diagonal mass matrix with an algebraic component enters `W = c·M − J`; a dense
    /// Jacobian gives the full pattern (exact LU).
    #[test]
    fn mass_matrix_and_dense_jacobian() {
        let a = Mat::from_fn(3, 3, |i, j| {
            [[-2.0, 1.0, 0.5], [1.0, -3.0, 1.0], [0.2, 1.0, -1.0]][i][j]
        });
        let jac = Jacobian::Dense(a.clone());
        let mass = MassMatrix::Diagonal(vec![1.0, 1.0, 0.0]);
        let c = 4.0;
        let mut ilu = Ilu0::new();
        ilu.factorize(0.0, c, &jac, Some(&mass)).unwrap();
        let w = Mat::from_fn(3, 3, |i, j| c * mass.get(i, j) - a[(i, j)]);
        let b = [1.0, -2.0, 0.5];
        let mut x = b.to_vec();
        ilu.solve_in_place(&mut x);
        for i in 0..3 {
            let r: f64 = (0..3).map(|j| w[(i, j)] * x[j]).sum();
            assert!((r - b[i]).abs() < 1e-14, "{i}: {r}");
        }
    }

    /// A zero pivot is a typed error with the row.
    #[test]
    fn zero_pivot_is_singular() {
        let pattern = SparsityPattern::diagonal(3);
        let jac = Jacobian::Sparse {
            pattern,
            values: vec![1.0, 2.0, 3.0],
        };
        let mut ilu = Ilu0::new();
        // W = 2 I − J: the second diagonal entry is 0
        let e = ilu.factorize(1.5, 2.0, &jac, None).unwrap_err();
        assert!(
            matches!(e, OdeError::SingularMatrix { t, pivot: Some(1) } if t == 1.5),
            "{e:?}"
        );
    }
}
