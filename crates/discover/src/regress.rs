//! Least squares on subsets of library columns, through `faer`.
//!
//! A [`Design`] holds the library matrix `Θ` (`n × p`), the targets `Y` (`n × m`), optional row
//! weights (bootstrap multiplicities) and optional column scales (normalisation), and caches the
//! Gram matrix `G = ΘᵀWΘ` and `B = ΘᵀWY`. A solve on the active columns `S` uses the Cholesky
//! factor of `G_SS + αI` (`O(k³)`, independent of `n`) unless the estimated condition number of
//! `G_SS` exceeds [`COND_LIMIT`] (or Cholesky fails); then it falls back to a column-pivoted QR of
//! `Θ_S` itself, which squares nothing (Golub & Van Loan, "Matrix Computations", 4th ed., §5.3).

use faer::linalg::matmul::matmul;
use faer::linalg::matmul::triangular::{self, BlockStructure};
use faer::prelude::*;
use faer::{Accum, Mat, MatRef, Par, Side};

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
    /// Whether `G` and `B` are finite.
    finite: bool,
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
        let p = theta.ncols();
        // O(n p²) once, single-threaded (the benchmark compares one core with one core), through
        // faer's cache-blocked SIMD kernels; everything after this is O(p³) per solve
        let mut g = Mat::<f64>::zeros(p, p);
        let mut b = Mat::<f64>::zeros(p, y.ncols());
        // the lower triangle of the symmetric G only (half the flops of a full product)
        let gram_lower = |g: &mut Mat<f64>, rhs: MatRef<'_, f64>| {
            triangular::matmul(
                g.as_mut(),
                BlockStructure::TriangularLower,
                Accum::Replace,
                theta.transpose(),
                BlockStructure::Rectangular,
                rhs,
                BlockStructure::Rectangular,
                1.0,
                Par::Seq,
            )
        };
        match &weights {
            None => {
                gram_lower(&mut g, theta);
                matmul(
                    b.as_mut(),
                    Accum::Replace,
                    theta.transpose(),
                    y,
                    1.0,
                    Par::Seq,
                );
            }
            Some(w) => {
                let mut tw = theta.to_owned();
                for c in 0..p {
                    for (i, wi) in w.iter().enumerate() {
                        tw[(i, c)] *= wi;
                    }
                }
                gram_lower(&mut g, tw.as_ref());
                matmul(b.as_mut(), Accum::Replace, tw.transpose(), y, 1.0, Par::Seq);
            }
        }
        for c in 1..p {
            for r in 0..c {
                g[(r, c)] = g[(c, r)];
            }
        }
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
        let finite = (0..p).all(|i| g[(i, i)].is_finite())
            && (0..b.ncols()).all(|c| (0..p).all(|i| b[(i, c)].is_finite()));
        let gram = Mat::<f64>::from_fn(p, p, |i, j| g[(i, j)] / (scale[i] * scale[j]));
        let rhs = Mat::<f64>::from_fn(p, y.ncols(), |i, j| b[(i, j)] / scale[i]);
        Self {
            theta,
            y,
            weights,
            scale,
            gram,
            rhs,
            finite,
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

    /// Whether the Gram matrix and `ΘᵀWY` are finite (they are not when `Θ` or `Y` hold a NaN or
    /// an infinity, or when squaring overflows).
    pub fn is_finite(&self) -> bool {
        self.finite
    }

    /// Ridge least squares of target `j` on the columns `active`: `(G̃_SS + αI) ξ̃ = B̃_S`,
    /// in scaled coordinates.
    ///
    /// The system is solved equilibrated, `A = D⁻¹(G̃_SS + αI)D⁻¹` with `D² = diag(G̃_SS + αI)`
    /// (which leaves the solution unchanged but makes Cholesky's error depend on `cond(A)`
    /// rather than on the spread of the column norms: van der Sluis, Numer. Math. 14 (1969)
    /// 14–23). When the 1-norm condition estimate of `A` (Hager, ACM TOMS 10 (1984) 311–316;
    /// Higham, "Accuracy and Stability of Numerical Algorithms", 2nd ed., §15.3) exceeds
    /// [`COND_LIMIT`], or Cholesky fails, the solve falls back to QR of the data.
    pub fn solve(&self, j: usize, active: &[usize], alpha: f64) -> Result<Vec<f64>, DiscoverError> {
        let k = active.len();
        if k == 0 {
            return Ok(Vec::new());
        }
        let d: Vec<f64> = active
            .iter()
            .map(|&a| (self.gram[(a, a)] + alpha).sqrt())
            .collect();
        if d.iter().all(|v| v.is_finite() && *v > 0.0) {
            let a = Mat::<f64>::from_fn(k, k, |r, c| {
                (self.gram[(active[r], active[c])] + if r == c { alpha } else { 0.0 })
                    / (d[r] * d[c])
            });
            if let Ok(llt) = a.llt(Side::Lower) {
                let cond = norm1_sym(a.as_ref()) * inverse_norm1_estimate(&llt, k);
                if cond.is_finite() && cond < COND_LIMIT {
                    let r = Mat::<f64>::from_fn(k, 1, |r, _| self.rhs[(active[r], j)] / d[r]);
                    let x = llt.solve(&r);
                    let out: Vec<f64> = (0..k).map(|i| x[(i, 0)] / d[i]).collect();
                    if out.iter().all(|v| v.is_finite()) {
                        return Ok(out);
                    }
                }
            }
        }
        self.solve_qr(j, active, alpha)
    }

    /// Estimated 1-norm condition number of the equilibrated `G̃_SS + αI` (for tests and
    /// diagnostics); `∞` when it is not positive definite.
    pub fn condition_estimate(&self, active: &[usize], alpha: f64) -> f64 {
        let k = active.len();
        let d: Vec<f64> = active
            .iter()
            .map(|&a| (self.gram[(a, a)] + alpha).sqrt())
            .collect();
        let a = Mat::<f64>::from_fn(k, k, |r, c| {
            (self.gram[(active[r], active[c])] + if r == c { alpha } else { 0.0 }) / (d[r] * d[c])
        });
        match a.llt(Side::Lower) {
            Ok(llt) => norm1_sym(a.as_ref()) * inverse_norm1_estimate(&llt, k),
            Err(_) => f64::INFINITY,
        }
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

/// `‖A‖₁` (max column sum).
fn norm1_sym(a: MatRef<'_, f64>) -> f64 {
    (0..a.ncols())
        .map(|c| (0..a.nrows()).map(|r| a[(r, c)].abs()).sum::<f64>())
        .fold(0.0, f64::max)
}

/// Hager's estimate of `‖A⁻¹‖₁` for a symmetric positive definite `A` from its Cholesky factor:
/// a lower bound that is almost always within a small factor of the truth (Higham, "Accuracy
/// and Stability of Numerical Algorithms", 2nd ed., Alg. 15.4); `O(k²)` per iteration.
fn inverse_norm1_estimate(llt: &faer::linalg::solvers::Llt<f64>, k: usize) -> f64 {
    let mut x = Mat::<f64>::from_fn(k, 1, |_, _| 1.0 / k as f64);
    let mut est = 0.0;
    let mut last = usize::MAX;
    for _ in 0..5 {
        let y = llt.solve(&x);
        est = (0..k).map(|i| y[(i, 0)].abs()).sum::<f64>();
        let xi = Mat::<f64>::from_fn(k, 1, |i, _| if y[(i, 0)] >= 0.0 { 1.0 } else { -1.0 });
        // A is symmetric: A⁻ᵀ ξ = A⁻¹ ξ
        let z = llt.solve(&xi);
        let (jmax, zmax) = (0..k)
            .map(|i| (i, z[(i, 0)].abs()))
            .fold((0, f64::NEG_INFINITY), |a, b| if b.1 > a.1 { b } else { a });
        let ztx: f64 = (0..k).map(|i| z[(i, 0)] * x[(i, 0)]).sum();
        if zmax <= ztx || jmax == last {
            break;
        }
        last = jmax;
        x = Mat::<f64>::zeros(k, 1);
        x[(jmax, 0)] = 1.0;
    }
    if !est.is_finite() {
        return f64::INFINITY;
    }
    est
}

#[cfg(test)]
mod tests {
    use super::*;
    use faer::linalg::solvers::DenseSolveCore;

    /// Hager's estimate against the exact `‖A⁻¹‖₁` of Hilbert matrices (cond₁ up to ~1e13).
    #[test]
    fn hager_estimate_is_close_to_the_exact_inverse_norm() {
        for k in [2usize, 4, 6, 9] {
            let a = Mat::<f64>::from_fn(k, k, |i, j| 1.0 / (i + j + 1) as f64);
            let llt = a.llt(Side::Lower).unwrap();
            let inv = llt.inverse();
            let exact = norm1_sym(inv.as_ref());
            let est = inverse_norm1_estimate(&llt, k);
            // a lower bound, within a factor 3 on these (in practice exact)
            assert!(
                est <= exact * (1.0 + 1e-6) && est >= exact / 3.0,
                "{k}: {est} vs {exact}"
            );
        }
    }

    /// Columns `1, z, …, z^4` with `z ∈ [5, 45]` (the poly:4 Lorenz scales): the raw Gram matrix
    /// has a condition number near 1e17 but the equilibrated one is tame, so the Cholesky path is
    /// taken and agrees with the QR of the data; a nearly collinear pair of columns is detected
    /// and sent to QR.
    #[test]
    fn equilibrated_normal_equations_agree_with_qr() {
        let n = 400;
        let theta = Mat::<f64>::from_fn(n, 5, |i, c| {
            let z = 5.0 + 40.0 * i as f64 / (n - 1) as f64;
            z.powi(c as i32)
        });
        let y = Mat::<f64>::from_fn(n, 1, |i, _| {
            let z = 5.0 + 40.0 * i as f64 / (n - 1) as f64;
            2.0 - 0.5 * z + 1e-3 * z.powi(4) + (i as f64 * 0.37).sin()
        });
        let d = Design::new(theta.as_ref(), y.as_ref(), None, false);
        let all = [0, 1, 2, 3, 4];
        let cond = d.condition_estimate(&all, 0.0);
        assert!(cond < COND_LIMIT, "{cond:e}");
        let chol = d.solve(0, &all, 0.0).unwrap();
        let qr = d.solve_qr(0, &all, 0.0).unwrap();
        for (a, b) in chol.iter().zip(&qr) {
            assert!(
                (a - b).abs() <= 1e-7 * b.abs().max(1e-3),
                "{chol:?} vs {qr:?}"
            );
        }
        // two columns equal up to 1e-9: the estimate sees it
        let theta2 = Mat::<f64>::from_fn(n, 2, |i, c| {
            let z = i as f64 / n as f64;
            z + if c == 1 { 1e-9 * z * z } else { 0.0 }
        });
        let d2 = Design::new(theta2.as_ref(), y.as_ref(), None, false);
        assert!(d2.condition_estimate(&[0, 1], 0.0) > COND_LIMIT);
    }

    /// A NaN or an infinity anywhere in `Θ` or `Y` shows in the Gram matrix or `ΘᵀY`.
    #[test]
    fn non_finite_data_show_in_the_normal_equations() {
        let theta = Mat::<f64>::from_fn(50, 3, |i, c| ((i * 3 + c) as f64 * 0.1).cos());
        let y = Mat::<f64>::from_fn(50, 2, |i, c| (i + c) as f64);
        assert!(Design::new(theta.as_ref(), y.as_ref(), None, false).is_finite());
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let mut t = theta.clone();
            t[(17, 2)] = bad;
            assert!(!Design::new(t.as_ref(), y.as_ref(), None, false).is_finite());
            let mut yy = y.clone();
            yy[(49, 1)] = bad;
            assert!(!Design::new(theta.as_ref(), yy.as_ref(), None, false).is_finite());
        }
    }
}
