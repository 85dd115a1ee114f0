//! Least squares on subsets of library columns, through `faer`.
//!
//! A [`Design`] holds the library matrix `Θ` (`n × p`), the targets `Y` (`n × m`), optional row
//! weights (bootstrap multiplicities) and optional column scales (normalisation), and caches the
//! Gram matrix `G = ΘᵀWΘ` and `B = ΘᵀWY`. A solve on the active columns `S` uses the Cholesky
//! factor of `G_SS + αI` (`O(k³)`, independent of `n`) unless the estimated condition number of
//! `G_SS` exceeds [`COND_LIMIT`] (or Cholesky fails); then it falls back to a column-pivoted QR of
//! `Θ_S` itself, which squares nothing (Golub & Van Loan, "Matrix Computations", 4th ed., §5.3).

use faer::prelude::*;
use faer::{Mat, MatRef, Side};

use crate::error::DiscoverError;

/// Above this estimated `cond(G_SS)` the normal equations lose too many digits; use QR.
pub const COND_LIMIT: f64 = 1e10;

/// A regression problem `Y ≈ Θ Ξ` with cached normal equations.
pub struct Design<'a> {
    theta: MatRef<'a, f64>,
    y: MatRef<'a, f64>,
    /// Row multiplicities (bootstrap), or `None` for all ones.
    weights: Option<Vec<f64>>,
    /// Column scales `d_j`: the problem is solved in `θ̃_j = θ_j / d_j`.
    scale: Vec<f64>,
    /// `G̃ = D⁻¹ ΘᵀWΘ D⁻¹` (`p × p`).
    gram: Mat<f64>,
    /// `B̃ = D⁻¹ ΘᵀWY` (`p × m`).
    rhs: Mat<f64>,
}

impl<'a> Design<'a> {
    /// Builds the normal equations. With `normalize`, every column is scaled to unit 2-norm
    /// (PySINDy's `normalize_columns`), and thresholds apply to the scaled coefficients.
    pub fn new(
        theta: MatRef<'a, f64>,
        y: MatRef<'a, f64>,
        weights: Option<Vec<f64>>,
        normalize: bool,
    ) -> Self {
        let n = theta.nrows();
        let p = theta.ncols();
        let wt = |i: usize| weights.as_ref().map_or(1.0, |w| w[i]);
        let tw = Mat::<f64>::from_fn(n, p, |i, j| theta[(i, j)] * wt(i));
        let g = theta.transpose() * &tw;
        let b = tw.transpose() * y;
        let scale: Vec<f64> = if normalize {
            (0..p)
                .map(|j| {
                    let s = g[(j, j)].sqrt();
                    if s > 0.0 && s.is_finite() {
                        s
                    } else {
                        1.0
                    }
                })
                .collect()
        } else {
            vec![1.0; p]
        };
        let gram = Mat::<f64>::from_fn(p, p, |i, j| g[(i, j)] / (scale[i] * scale[j]));
        let rhs = Mat::<f64>::from_fn(p, y.ncols(), |i, j| b[(i, j)] / scale[i]);
        Self {
            theta,
            y,
            weights,
            scale,
            gram,
            rhs,
        }
    }

    pub fn n_terms(&self) -> usize {
        self.theta.ncols()
    }
    pub fn n_targets(&self) -> usize {
        self.y.ncols()
    }
    pub fn n_rows(&self) -> usize {
        self.theta.nrows()
    }
    /// Column scales (1 without normalisation).
    pub fn scale(&self) -> &[f64] {
        &self.scale
    }
    /// The scaled Gram matrix.
    pub fn gram(&self) -> MatRef<'_, f64> {
        self.gram.as_ref()
    }
    /// The scaled `ΘᵀWY`.
    pub fn rhs(&self) -> MatRef<'_, f64> {
        self.rhs.as_ref()
    }

    /// Ridge least squares of target `j` on the columns `active`: `(G̃_SS + αI) ξ̃ = B̃_S`,
    /// in scaled coordinates.
    pub fn solve(&self, j: usize, active: &[usize], alpha: f64) -> Result<Vec<f64>, DiscoverError> {
        let k = active.len();
        if k == 0 {
            return Ok(Vec::new());
        }
        let g = Mat::<f64>::from_fn(k, k, |a, b| {
            self.gram[(active[a], active[b])] + if a == b { alpha } else { 0.0 }
        });
        let r = Mat::<f64>::from_fn(k, 1, |a, _| self.rhs[(active[a], j)]);
        if let Ok(llt) = g.llt(Side::Lower) {
            let l = llt.L();
            let (mut lo, mut hi) = (f64::INFINITY, 0.0f64);
            for i in 0..k {
                lo = lo.min(l[(i, i)].abs());
                hi = hi.max(l[(i, i)].abs());
            }
            let cond = (hi / lo).powi(2);
            if cond.is_finite() && cond < COND_LIMIT {
                let x = llt.solve(&r);
                let out: Vec<f64> = (0..k).map(|i| x[(i, 0)]).collect();
                if out.iter().all(|v| v.is_finite()) {
                    return Ok(out);
                }
            }
        }
        self.solve_qr(j, active, alpha)
    }

    /// The same solve through a column-pivoted QR of `[√W Θ̃_S; √α I]`.
    fn solve_qr(&self, j: usize, active: &[usize], alpha: f64) -> Result<Vec<f64>, DiscoverError> {
        let n = self.n_rows();
        let k = active.len();
        let extra = if alpha > 0.0 { k } else { 0 };
        let sw = |i: usize| self.weights.as_ref().map_or(1.0, |w| w[i].sqrt());
        let a = Mat::<f64>::from_fn(n + extra, k, |i, c| {
            if i < n {
                sw(i) * self.theta[(i, active[c])] / self.scale[active[c]]
            } else if i - n == c {
                alpha.sqrt()
            } else {
                0.0
            }
        });
        let rhs = Mat::<f64>::from_fn(n + extra, 1, |i, _| {
            if i < n {
                sw(i) * self.y[(i, j)]
            } else {
                0.0
            }
        });
        if n + extra < k {
            return Err(DiscoverError::LibraryTooLarge { terms: k, rows: n });
        }
        let x = a.col_piv_qr().solve_lstsq(&rhs);
        let out: Vec<f64> = (0..k).map(|i| x[(i, 0)]).collect();
        if out.iter().any(|v| !v.is_finite()) {
            return Err(DiscoverError::SolveFailed {
                equation: j,
                reason: format!("rank-deficient library on {k} active terms"),
            });
        }
        Ok(out)
    }

    /// Weighted residual sum of squares of target `j` for unscaled coefficients `xi` (length
    /// `p`), computed from the data (not the Gram matrix, which loses digits near zero).
    pub fn rss(&self, j: usize, xi: &[f64]) -> f64 {
        let nz: Vec<(usize, f64)> = xi
            .iter()
            .enumerate()
            .filter(|(_, v)| **v != 0.0)
            .map(|(i, v)| (i, *v))
            .collect();
        let mut s = 0.0;
        for i in 0..self.n_rows() {
            let pred: f64 = nz.iter().map(|&(c, v)| self.theta[(i, c)] * v).sum();
            let r = self.y[(i, j)] - pred;
            s += self.weights.as_ref().map_or(1.0, |w| w[i]) * r * r;
        }
        s
    }
}
