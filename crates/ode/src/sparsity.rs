//! Sparsity patterns of Jacobians and iteration matrices, and the column colouring that makes
//! sparse finite-difference (and dual-number) Jacobians cheap.
//!
//! A [`SparsityPattern`] is the set of structurally non-zero positions of an `nrows × ncols`
//! matrix in compressed sparse column (CSC) form: column `j` holds the sorted, distinct row
//! indices `row_idx[col_ptr[j]..col_ptr[j + 1]]`. The values of a sparse matrix with this pattern
//! are stored in the same order (this is faer's `SparseColMat` layout, see
//! [`SparsityPattern::as_faer`]).
//!
//! # Curtis–Powell–Reid column grouping
//!
//! Two columns of the Jacobian that share no row (*structurally orthogonal* columns) can be
//! estimated with one evaluation of `f`: perturb both components at once, and each row of the
//! difference quotient belongs to exactly one of them (Curtis, Powell & Reid, *On the estimation
//! of sparse Jacobian matrices*, J. Inst. Math. Appl. 13, 1974). Grouping the columns is colouring
//! the *column intersection graph* (columns adjacent when they share a row);
//! [`SparsityPattern::colour_columns`] colours it greedily, largest degree first (Coleman & Moré,
//! SIAM J. Numer. Anal. 20, 1983). A banded matrix of bandwidth `l + u + 1` needs `l + u + 1`
//! colours whatever its dimension; a 5-point 2-D stencil with two species about a dozen.

use faer::sparse::{SymbolicSparseColMat, SymbolicSparseColMatRef};

use crate::error::OdeError;

/// The structurally non-zero positions of a matrix, column-compressed, rows sorted and distinct.
///
/// ```
/// use ai4de_ode::sparsity::SparsityPattern;
/// // tridiagonal 4 × 4
/// let p = SparsityPattern::banded(4, 1, 1);
/// assert_eq!(p.nnz(), 10);
/// assert_eq!(p.rows_of_col(0), &[0, 1]);
/// assert_eq!(p.colour_columns().n_colours(), 3);
/// let q = SparsityPattern::from_entries(4, 4, [(0, 0), (3, 0), (0, 0), (2, 3)]).unwrap();
/// assert_eq!(q.rows_of_col(0), &[0, 3]);
/// assert_eq!(q.position(2, 3), Some(2));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SparsityPattern {
    nrows: usize,
    ncols: usize,
    col_ptr: Vec<usize>,
    row_idx: Vec<usize>,
}

impl SparsityPattern {
    /// A pattern from CSC arrays: `col_ptr` has `ncols + 1` non-decreasing entries starting at 0
    /// and ending at `row_idx.len()`, and the rows of each column are strictly increasing and
    /// below `nrows`.
    pub fn new(
        nrows: usize,
        ncols: usize,
        col_ptr: Vec<usize>,
        row_idx: Vec<usize>,
    ) -> Result<Self, OdeError> {
        let bad = |reason: String| Err(OdeError::InvalidSparsity { reason });
        if col_ptr.len() != ncols + 1 {
            return bad(format!(
                "col_ptr has {} entries, expected ncols + 1 = {}",
                col_ptr.len(),
                ncols + 1
            ));
        }
        if col_ptr[0] != 0 || col_ptr[ncols] != row_idx.len() {
            return bad(format!(
                "col_ptr must start at 0 and end at row_idx.len() = {} (found {} .. {})",
                row_idx.len(),
                col_ptr[0],
                col_ptr[ncols]
            ));
        }
        for j in 0..ncols {
            let (a, b) = (col_ptr[j], col_ptr[j + 1]);
            if a > b {
                return bad(format!("col_ptr decreases at column {j}"));
            }
            let rows = &row_idx[a..b];
            for (k, &i) in rows.iter().enumerate() {
                if i >= nrows {
                    return bad(format!(
                        "row {i} in column {j} is out of range (nrows = {nrows})"
                    ));
                }
                if k > 0 && rows[k - 1] >= i {
                    return bad(format!(
                        "rows of column {j} are not strictly increasing ({} then {i})",
                        rows[k - 1]
                    ));
                }
            }
        }
        Ok(Self {
            nrows,
            ncols,
            col_ptr,
            row_idx,
        })
    }

    /// A pattern from `(row, col)` positions in any order; duplicates are merged.
    pub fn from_entries(
        nrows: usize,
        ncols: usize,
        entries: impl IntoIterator<Item = (usize, usize)>,
    ) -> Result<Self, OdeError> {
        let mut e: Vec<(usize, usize)> = entries.into_iter().collect();
        if let Some(&(i, j)) = e.iter().find(|&&(i, j)| i >= nrows || j >= ncols) {
            return Err(OdeError::InvalidSparsity {
                reason: format!("entry ({i}, {j}) is outside the {nrows} x {ncols} matrix"),
            });
        }
        e.sort_unstable_by_key(|&(i, j)| (j, i));
        e.dedup();
        let mut col_ptr = vec![0; ncols + 1];
        for &(_, j) in &e {
            col_ptr[j + 1] += 1;
        }
        for j in 0..ncols {
            col_ptr[j + 1] += col_ptr[j];
        }
        let row_idx = e.into_iter().map(|(i, _)| i).collect();
        Ok(Self {
            nrows,
            ncols,
            col_ptr,
            row_idx,
        })
    }

    /// Every position of an `nrows × ncols` matrix.
    pub fn dense(nrows: usize, ncols: usize) -> Self {
        let col_ptr = (0..=ncols).map(|j| j * nrows).collect();
        let row_idx = (0..ncols).flat_map(|_| 0..nrows).collect();
        Self {
            nrows,
            ncols,
            col_ptr,
            row_idx,
        }
    }

    /// The diagonal of an `n × n` matrix.
    pub fn diagonal(n: usize) -> Self {
        Self {
            nrows: n,
            ncols: n,
            col_ptr: (0..=n).collect(),
            row_idx: (0..n).collect(),
        }
    }

    /// An `n × n` band with `lower` sub-diagonals and `upper` super-diagonals: positions
    /// `(i, j)` with `j − upper ≤ i ≤ j + lower`.
    pub fn banded(n: usize, lower: usize, upper: usize) -> Self {
        let mut col_ptr = Vec::with_capacity(n + 1);
        let mut row_idx = Vec::new();
        col_ptr.push(0);
        for j in 0..n {
            row_idx.extend(j.saturating_sub(upper)..(j + lower + 1).min(n));
            col_ptr.push(row_idx.len());
        }
        Self {
            nrows: n,
            ncols: n,
            col_ptr,
            row_idx,
        }
    }

    /// A copy of a faer symbolic matrix (rows of each column are sorted and deduplicated).
    pub fn from_faer(m: SymbolicSparseColMatRef<'_, usize>) -> Result<Self, OdeError> {
        let (nrows, ncols) = (m.nrows(), m.ncols());
        let entries = (0..ncols).flat_map(|j| m.row_idx_of_col_raw(j).iter().map(move |&i| (i, j)));
        Self::from_entries(nrows, ncols, entries)
    }

    pub fn nrows(&self) -> usize {
        self.nrows
    }
    pub fn ncols(&self) -> usize {
        self.ncols
    }
    /// Number of structural non-zeros.
    pub fn nnz(&self) -> usize {
        self.row_idx.len()
    }
    /// `nnz / (nrows · ncols)`.
    pub fn density(&self) -> f64 {
        self.nnz() as f64 / (self.nrows.max(1) * self.ncols.max(1)) as f64
    }
    pub fn col_ptr(&self) -> &[usize] {
        &self.col_ptr
    }
    pub fn row_idx(&self) -> &[usize] {
        &self.row_idx
    }
    /// The sorted row indices of column `j`.
    pub fn rows_of_col(&self, j: usize) -> &[usize] {
        &self.row_idx[self.col_ptr[j]..self.col_ptr[j + 1]]
    }
    /// Index into the value array of position `(i, j)`, if it is in the pattern.
    pub fn position(&self, i: usize, j: usize) -> Option<usize> {
        if j >= self.ncols {
            return None;
        }
        self.rows_of_col(j)
            .binary_search(&i)
            .ok()
            .map(|k| self.col_ptr[j] + k)
    }
    /// Largest `|i − j|` over the entries (0 for a diagonal or empty pattern).
    pub fn max_bandwidth(&self) -> usize {
        self.entries()
            .map(|(i, j)| i.abs_diff(j))
            .max()
            .unwrap_or(0)
    }
    /// Whether `(i, j)` is in the pattern.
    pub fn contains(&self, i: usize, j: usize) -> bool {
        self.position(i, j).is_some()
    }
    /// Iterator over `(row, col)` in storage order.
    pub fn entries(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        (0..self.ncols).flat_map(move |j| self.rows_of_col(j).iter().map(move |&i| (i, j)))
    }

    /// The union of two patterns of the same shape.
    pub fn union(&self, other: &Self) -> Result<Self, OdeError> {
        if (self.nrows, self.ncols) != (other.nrows, other.ncols) {
            return Err(OdeError::InvalidSparsity {
                reason: format!(
                    "cannot unite a {} x {} pattern with a {} x {} one",
                    self.nrows, self.ncols, other.nrows, other.ncols
                ),
            });
        }
        let mut col_ptr = Vec::with_capacity(self.ncols + 1);
        let mut row_idx = Vec::with_capacity(self.nnz().max(other.nnz()));
        col_ptr.push(0);
        for j in 0..self.ncols {
            let (a, b) = (self.rows_of_col(j), other.rows_of_col(j));
            let (mut p, mut q) = (0, 0);
            while p < a.len() || q < b.len() {
                let next = match (a.get(p), b.get(q)) {
                    (Some(&x), Some(&y)) if x == y => {
                        p += 1;
                        q += 1;
                        x
                    }
                    (Some(&x), Some(&y)) if x < y => {
                        p += 1;
                        x
                    }
                    (Some(&x), None) => {
                        p += 1;
                        x
                    }
                    (_, Some(&y)) => {
                        q += 1;
                        y
                    }
                    (None, None) => unreachable!("loop condition"),
                };
                row_idx.push(next);
            }
            col_ptr.push(row_idx.len());
        }
        Ok(Self {
            nrows: self.nrows,
            ncols: self.ncols,
            col_ptr,
            row_idx,
        })
    }

    /// This pattern with the whole diagonal added (an iteration matrix `c·M − J` needs it even
    /// where `J` has structural zeros on the diagonal).
    pub fn with_diagonal(&self) -> Self {
        let n = self.nrows.min(self.ncols);
        let diag = SparsityPattern {
            nrows: self.nrows,
            ncols: self.ncols,
            col_ptr: (0..=self.ncols).map(|j| j.min(n)).collect(),
            row_idx: (0..n).collect(),
        };
        self.union(&diag)
            .expect("the diagonal pattern has the same shape by construction")
    }

    /// The transposed pattern (row-compressed view of this one).
    pub fn transpose(&self) -> Self {
        let mut col_ptr = vec![0; self.nrows + 1];
        for &i in &self.row_idx {
            col_ptr[i + 1] += 1;
        }
        for i in 0..self.nrows {
            col_ptr[i + 1] += col_ptr[i];
        }
        let mut next = col_ptr.clone();
        let mut row_idx = vec![0; self.nnz()];
        for j in 0..self.ncols {
            for &i in self.rows_of_col(j) {
                row_idx[next[i]] = j;
                next[i] += 1;
            }
        }
        Self {
            nrows: self.ncols,
            ncols: self.nrows,
            col_ptr,
            row_idx,
        }
    }

    /// A borrowed faer view (for faer's sparse routines).
    pub fn as_faer(&self) -> SymbolicSparseColMatRef<'_, usize> {
        SymbolicSparseColMatRef::new_checked(
            self.nrows,
            self.ncols,
            &self.col_ptr,
            None,
            &self.row_idx,
        )
    }

    /// An owned faer symbolic matrix.
    pub fn to_faer(&self) -> SymbolicSparseColMat<usize> {
        self.as_faer()
            .to_owned()
            .expect("a copy of a valid pattern")
    }

    /// Curtis–Powell–Reid grouping: a colouring of the columns such that no two columns of the
    /// same colour share a row. Greedy, columns in order of decreasing degree in the column
    /// intersection graph (largest-first); the number of colours is at least the largest number
    /// of non-zeros in a row, and usually close to it for stencil-like patterns.
    pub fn colour_columns(&self) -> ColumnColouring {
        let n = self.ncols;
        let rows = self.transpose();
        // Degree of each column in the intersection graph, counted exactly with a stamp array.
        let mut stamp = vec![usize::MAX; n];
        let mut degree = vec![0usize; n];
        for j in 0..n {
            stamp[j] = j;
            for &i in self.rows_of_col(j) {
                for &k in rows.rows_of_col(i) {
                    if stamp[k] != j {
                        stamp[k] = j;
                        degree[j] += 1;
                    }
                }
            }
        }
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by_key(|&j| (std::cmp::Reverse(degree[j]), j));
        let mut colour = vec![usize::MAX; n];
        // forbidden[c] == j means colour c is taken by a neighbour of column j.
        let mut forbidden: Vec<usize> = Vec::new();
        let mut n_colours = 0;
        for &j in &order {
            for &i in self.rows_of_col(j) {
                for &k in rows.rows_of_col(i) {
                    let c = colour[k];
                    if c != usize::MAX {
                        forbidden[c] = j;
                    }
                }
            }
            let c = (0..n_colours)
                .find(|&c| forbidden[c] != j)
                .unwrap_or(n_colours);
            if c == n_colours {
                n_colours += 1;
                forbidden.push(usize::MAX);
            }
            colour[j] = c;
        }
        ColumnColouring::from_colours(colour, n_colours)
    }
}

/// Columns grouped by colour: the columns of one colour are structurally orthogonal (no shared
/// row), so one evaluation of `f` (or of `f` on dual numbers) gives all of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnColouring {
    colour: Vec<usize>,
    group_ptr: Vec<usize>,
    groups: Vec<usize>,
}

impl ColumnColouring {
    /// Every column its own colour (the uncoloured, dense scheme).
    pub fn trivial(n: usize) -> Self {
        Self::from_colours((0..n).collect(), n)
    }

    fn from_colours(colour: Vec<usize>, n_colours: usize) -> Self {
        let mut group_ptr = vec![0; n_colours + 1];
        for &c in &colour {
            group_ptr[c + 1] += 1;
        }
        for c in 0..n_colours {
            group_ptr[c + 1] += group_ptr[c];
        }
        let mut next = group_ptr.clone();
        let mut groups = vec![0; colour.len()];
        for (j, &c) in colour.iter().enumerate() {
            groups[next[c]] = j;
            next[c] += 1;
        }
        Self {
            colour,
            group_ptr,
            groups,
        }
    }

    /// Number of colours = number of `f`-evaluations per finite-difference Jacobian.
    pub fn n_colours(&self) -> usize {
        self.group_ptr.len() - 1
    }
    /// Colour of column `j`.
    pub fn colour_of(&self, j: usize) -> usize {
        self.colour[j]
    }
    /// The columns of colour `c`, increasing.
    pub fn group(&self, c: usize) -> &[usize] {
        &self.groups[self.group_ptr[c]..self.group_ptr[c + 1]]
    }
    /// Whether no two columns of the same colour share a row of `pattern`.
    pub fn is_valid_for(&self, pattern: &SparsityPattern) -> bool {
        if self.colour.len() != pattern.ncols() {
            return false;
        }
        let mut owner = vec![usize::MAX; pattern.nrows()];
        for c in 0..self.n_colours() {
            for &j in self.group(c) {
                for &i in pattern.rows_of_col(j) {
                    if owner[i] == c {
                        return false;
                    }
                    owner[i] = c;
                }
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_rejects_bad_patterns() {
        assert!(SparsityPattern::new(2, 2, vec![0, 1, 2], vec![0, 1]).is_ok());
        for (cp, ri) in [
            (vec![0, 1], vec![0]),
            (vec![0, 2, 2], vec![1, 0]),
            (vec![0, 1, 2], vec![0, 2]),
            (vec![1, 1, 2], vec![0, 1]),
            (vec![0, 2, 1], vec![0, 1]),
            (vec![0, 2, 2], vec![0, 0]),
        ] {
            assert!(
                matches!(
                    SparsityPattern::new(2, 2, cp.clone(), ri.clone()),
                    Err(OdeError::InvalidSparsity { .. })
                ),
                "{cp:?} {ri:?}"
            );
        }
        assert!(SparsityPattern::from_entries(2, 2, [(2, 0)]).is_err());
    }

    #[test]
    fn union_transpose_diagonal() {
        let a = SparsityPattern::from_entries(3, 3, [(0, 1), (2, 1), (1, 0)]).unwrap();
        let b = SparsityPattern::from_entries(3, 3, [(1, 1), (2, 1), (0, 2)]).unwrap();
        let u = a.union(&b).unwrap();
        assert_eq!(u.rows_of_col(1), &[0, 1, 2]);
        assert_eq!(u.nnz(), 5);
        let t = u.transpose();
        assert!(u.entries().all(|(i, j)| t.contains(j, i)));
        assert_eq!(t.nnz(), u.nnz());
        let d = a.with_diagonal();
        assert!((0..3).all(|i| d.contains(i, i)));
        assert_eq!(d.nnz(), 6);
    }

    #[test]
    fn banded_colouring_uses_bandwidth_colours() {
        for (l, u) in [(0, 0), (1, 1), (2, 1), (3, 3)] {
            let p = SparsityPattern::banded(50, l, u);
            let c = p.colour_columns();
            assert_eq!(c.n_colours(), l + u + 1, "band ({l}, {u})");
            assert!(c.is_valid_for(&p));
        }
        let dense = SparsityPattern::dense(7, 7);
        assert_eq!(dense.colour_columns().n_colours(), 7);
        assert!(!ColumnColouring::from_colours(vec![0; 7], 1).is_valid_for(&dense));
    }
}
