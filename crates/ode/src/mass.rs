//! Constant mass matrices: `M y' = f(t, y)`.
//!
//! With an invertible `M` this is an ODE in implicit form; with a singular `M` it is a
//! differential-algebraic system. The common case, a diagonal `M` with ones on the differential
//! and zeros on the algebraic components, gives a semi-explicit index-1 DAE
//! `y₁' = f₁(t, y₁, y₂)`, `0 = f₂(t, y₁, y₂)` (Hairer & Wanner, *Solving Ordinary Differential
//! Equations II*, §VI.1), which Rosenbrock (Rodas) and Radau IIA methods integrate directly,
//! provided the initial values are consistent (`f₂(t₀, y₀) = 0`).
//!
//! Implicit methods only see `M` through the iteration matrix `c·M − J` (see
//! [`crate::linalg`]) and products `M·v`; explicit methods reject systems with a mass matrix.

use faer::sparse::SparseColMat;
use faer::Mat;

use crate::error::OdeError;
use crate::sparsity::SparsityPattern;

/// A constant mass matrix `M` of an `n`-dimensional system.
///
/// ```
/// use ai4de_ode::mass::MassMatrix;
/// // Robertson as a DAE: y1' = ..., y2' = ..., 0 = y1 + y2 + y3 - 1
/// let m = MassMatrix::Diagonal(vec![1.0, 1.0, 0.0]);
/// assert!(m.validate(3).is_ok());
/// assert_eq!(m.algebraic_components(), Some(vec![2]));
/// let mut out = [0.0; 3];
/// m.apply_into(&[1.0, 2.0, 3.0], &mut out);
/// assert_eq!(out, [1.0, 2.0, 0.0]);
/// ```
#[derive(Debug, Clone)]
pub enum MassMatrix {
    /// `M = diag(d)`; zeros mark algebraic components.
    Diagonal(Vec<f64>),
    /// A dense `n × n` matrix.
    Dense(Mat<f64>),
    /// A sparse `n × n` matrix (faer CSC, `usize` indices).
    Sparse(SparseColMat<usize, f64>),
}

impl MassMatrix {
    /// `(nrows, ncols)`.
    pub fn shape(&self) -> (usize, usize) {
        match self {
            Self::Diagonal(d) => (d.len(), d.len()),
            Self::Dense(m) => (m.nrows(), m.ncols()),
            Self::Sparse(m) => (m.nrows(), m.ncols()),
        }
    }

    /// Checks that `M` is `n × n` with finite entries.
    pub fn validate(&self, n: usize) -> Result<(), OdeError> {
        let (rows, cols) = self.shape();
        if rows != n || cols != n {
            return Err(OdeError::MassMatrixDimensionMismatch {
                expected: n,
                rows,
                cols,
            });
        }
        let bad = match self {
            Self::Diagonal(d) => d.iter().position(|v| !v.is_finite()).map(|i| (i, i)),
            Self::Dense(m) => {
                (0..n).find_map(|j| (0..n).find(|&i| !m[(i, j)].is_finite()).map(|i| (i, j)))
            }
            Self::Sparse(m) => (0..n).find_map(|j| {
                m.row_idx_of_col_raw(j)
                    .iter()
                    .zip(m.val_of_col(j))
                    .find(|(_, v)| !v.is_finite())
                    .map(|(&i, _)| (i, j))
            }),
        };
        match bad {
            Some((row, col)) => Err(OdeError::NonFiniteMassMatrix { row, col }),
            None => Ok(()),
        }
    }

    /// `out = M·x`. Allocates nothing.
    pub fn apply_into(&self, x: &[f64], out: &mut [f64]) {
        let n = self.shape().0;
        assert!(
            x.len() == n && out.len() == n,
            "mass matrix product: vectors must have length {n}"
        );
        match self {
            Self::Diagonal(d) => {
                for ((o, &di), &xi) in out.iter_mut().zip(d).zip(x) {
                    *o = di * xi;
                }
            }
            Self::Dense(m) => {
                out.fill(0.0);
                for (j, &xj) in x.iter().enumerate() {
                    for (o, &mij) in out.iter_mut().zip(m.col_as_slice(j)) {
                        *o += mij * xj;
                    }
                }
            }
            Self::Sparse(m) => {
                out.fill(0.0);
                for (j, &xj) in x.iter().enumerate() {
                    for (&i, &mij) in m.row_idx_of_col_raw(j).iter().zip(m.val_of_col(j)) {
                        out[i] += mij * xj;
                    }
                }
            }
        }
    }

    /// For a diagonal `M`, the indices of its zero entries (the algebraic components of a
    /// semi-explicit DAE); `None` for dense and sparse matrices, where no component is singled out.
    pub fn algebraic_components(&self) -> Option<Vec<usize>> {
        match self {
            Self::Diagonal(d) => Some(
                d.iter()
                    .enumerate()
                    .filter(|(_, &v)| v == 0.0)
                    .map(|(i, _)| i)
                    .collect(),
            ),
            _ => None,
        }
    }

    /// Whether `M` is exactly the identity (then `c·M − J` needs no mass matrix at all).
    pub fn is_identity(&self) -> bool {
        let n = self.shape().0;
        match self {
            Self::Diagonal(d) => d.iter().all(|&v| v == 1.0),
            Self::Dense(m) => {
                (0..n).all(|j| (0..n).all(|i| m[(i, j)] == if i == j { 1.0 } else { 0.0 }))
            }
            Self::Sparse(m) => {
                (0..n).all(|j| {
                    m.row_idx_of_col_raw(j)
                        .iter()
                        .zip(m.val_of_col(j))
                        .all(|(&i, &v)| v == if i == j { 1.0 } else { 0.0 })
                }) && (0..n).all(|j| m.row_idx_of_col_raw(j).contains(&j))
            }
        }
    }

    /// The structural non-zeros of `M` (all positions for a dense matrix).
    pub fn pattern(&self) -> SparsityPattern {
        match self {
            Self::Diagonal(d) => SparsityPattern::diagonal(d.len()),
            Self::Dense(m) => SparsityPattern::dense(m.nrows(), m.ncols()),
            Self::Sparse(m) => SparsityPattern::from_faer(m.symbolic())
                .expect("a faer sparse matrix has in-range row indices"),
        }
    }

    /// Entry `(i, j)` (0 outside the pattern). For tests and diagnostics, not for inner loops.
    pub fn get(&self, i: usize, j: usize) -> f64 {
        match self {
            Self::Diagonal(d) => {
                if i == j {
                    d[i]
                } else {
                    0.0
                }
            }
            Self::Dense(m) => m[(i, j)],
            Self::Sparse(m) => m.get(i, j).copied().unwrap_or(0.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use faer::sparse::Triplet;

    #[test]
    fn forms_agree() {
        let dense = Mat::from_fn(3, 3, |i, j| {
            if i == j {
                2.0
            } else if j == i + 1 {
                1.0
            } else {
                0.0
            }
        });
        let trip: Vec<_> = (0..3)
            .flat_map(|j| (0..3).map(move |i| (i, j)))
            .filter(|&(i, j)| dense[(i, j)] != 0.0)
            .map(|(i, j)| Triplet::new(i, j, dense[(i, j)]))
            .collect();
        let sparse = SparseColMat::try_new_from_triplets(3, 3, &trip).unwrap();
        let (a, b) = (MassMatrix::Dense(dense), MassMatrix::Sparse(sparse));
        let x = [1.0, -2.0, 3.0];
        let (mut ya, mut yb) = ([0.0; 3], [0.0; 3]);
        a.apply_into(&x, &mut ya);
        b.apply_into(&x, &mut yb);
        assert_eq!(ya, yb);
        assert_eq!(ya, [0.0, -1.0, 6.0]);
        assert_eq!(b.pattern().nnz(), 5);
        assert!(!a.is_identity());
        assert!(MassMatrix::Diagonal(vec![1.0; 4]).is_identity());
    }

    #[test]
    fn validation() {
        assert!(matches!(
            MassMatrix::Diagonal(vec![1.0; 2]).validate(3),
            Err(OdeError::MassMatrixDimensionMismatch {
                expected: 3,
                rows: 2,
                cols: 2
            })
        ));
        assert!(matches!(
            MassMatrix::Diagonal(vec![1.0, f64::NAN]).validate(2),
            Err(OdeError::NonFiniteMassMatrix { row: 1, col: 1 })
        ));
        let mut m = Mat::<f64>::identity(2, 2);
        m[(0, 1)] = f64::INFINITY;
        assert!(matches!(
            MassMatrix::Dense(m).validate(2),
            Err(OdeError::NonFiniteMassMatrix { row: 0, col: 1 })
        ));
    }
}
