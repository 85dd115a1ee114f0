//! Finite differences on a uniform 1-D grid with periodic, Dirichlet or Neumann boundaries, and
//! the method-of-lines right-hand side of reaction–diffusion equations `u_t = D u_xx + r(u)` as an
//! [`ai4de_ode::OdeSystem`] with an analytic banded (sparse) Jacobian, for the stiff integrators
//! of `ai4de-ode` (BDF, Rodas5P, Radau5).
//!
//! The second-derivative operator is `u_xx ≈ A u + b` on the unknowns, with `b` the boundary
//! data. Interior rows use the central stencils `(1, −2, 1)/h²` (order 2) or
//! `(−1, 16, −30, 16, −1)/(12h²)` (order 4). Rows next to a boundary use one-sided stencils of the
//! same order, whose weights are computed at construction by matching Taylor expansions (the
//! method of B. Fornberg, *Generation of finite difference formulas on arbitrarily spaced grids*,
//! Math. Comp. 51 (1988), extended to include a derivative value for Neumann data):
//!
//! - **Dirichlet** `u(a) = g_a`, `u(b) = g_b`: unknowns are the interior nodes `x_1..x_{N−1}`;
//!   order 4 uses `(10, −15, −4, 14, −6, 1)/(12h²)` at `x_1` (values `u_0..u_5`).
//! - **Neumann** `u_x(a) = g_a`, `u_x(b) = g_b`: unknowns are all nodes `x_0..x_N`; the boundary
//!   rows combine nodal values with `h g` (order 2: the ghost-point formula
//!   `(2u_1 − 2u_0 − 2h g_a)/h²`; order 4: `u_0..u_4` and `g_a`).
//! - **Periodic**: unknowns `x_0..x_{N−1}`, stencils wrap around.
//!
//! Here `x_i = a + i h`, `h = (b − a)/N`.

use ai4de_ode::sparsity::SparsityPattern;
use ai4de_ode::OdeSystem;

use crate::PdeError;

/// Boundary conditions at both ends of `[a, b]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Boundary {
    Periodic,
    /// `u(a) = left`, `u(b) = right`.
    Dirichlet {
        left: f64,
        right: f64,
    },
    /// `u_x(a) = left`, `u_x(b) = right`.
    Neumann {
        left: f64,
        right: f64,
    },
}

/// Weights `w` (for values at `offsets`, in units of `h`) and `w_d` (for `h u'` at
/// `deriv_offset`) such that `Σ w_j u(x + s_j h) + w_d h u'(x + s_d h) = h² u''(x) + O(h^K)`, `K` the
/// number of functionals: the Taylor (Vandermonde) system solved by Gaussian elimination.
pub fn second_derivative_weights(offsets: &[f64], deriv_offset: Option<f64>) -> Vec<f64> {
    let k = offsets.len() + usize::from(deriv_offset.is_some());
    let mut m = vec![0.0; k * (k + 1)];
    let mut fact = 1.0;
    for p in 0..k {
        if p > 0 {
            fact *= p as f64;
        }
        for (j, &s) in offsets.iter().enumerate() {
            m[p * (k + 1) + j] = s.powi(p as i32) / fact;
        }
        if let Some(s) = deriv_offset {
            // d/dx (x^p / p!) = x^{p−1} / (p−1)!
            m[p * (k + 1) + k - 1] = if p == 0 {
                0.0
            } else {
                s.powi(p as i32 - 1) * p as f64 / fact
            };
        }
        m[p * (k + 1) + k] = if p == 2 { 1.0 } else { 0.0 };
    }
    // Gaussian elimination with partial pivoting on the augmented matrix.
    for c in 0..k {
        let piv = (c..k)
            .max_by(|&a, &b| {
                m[a * (k + 1) + c]
                    .abs()
                    .total_cmp(&m[b * (k + 1) + c].abs())
            })
            .expect("non-empty range");
        for j in 0..=k {
            m.swap(c * (k + 1) + j, piv * (k + 1) + j);
        }
        let d = m[c * (k + 1) + c];
        for r in 0..k {
            if r != c {
                let f = m[r * (k + 1) + c] / d;
                for j in c..=k {
                    m[r * (k + 1) + j] -= f * m[c * (k + 1) + j];
                }
            }
        }
    }
    (0..k)
        .map(|r| m[r * (k + 1) + k] / m[r * (k + 1) + r])
        .collect()
}

/// The discrete second derivative `u_xx ≈ A u + b` on the unknowns (CSR storage).
#[derive(Debug, Clone, PartialEq)]
pub struct SecondDerivative {
    order: usize,
    boundary: Boundary,
    h: f64,
    /// Coordinates of the unknowns.
    x: Vec<f64>,
    row_ptr: Vec<usize>,
    cols: Vec<usize>,
    vals: Vec<f64>,
    b: Vec<f64>,
}

impl SecondDerivative {
    /// The operator on `[a, b]` split into `intervals` equal intervals, of order 2 or 4.
    pub fn new(
        a: f64,
        b: f64,
        intervals: usize,
        boundary: Boundary,
        order: usize,
    ) -> Result<Self, PdeError> {
        let bad_grid = |reason: &str| PdeError::InvalidGrid {
            pde: "fd1d".into(),
            grid: vec![intervals],
            reason: reason.into(),
        };
        if order != 2 && order != 4 {
            return Err(PdeError::InvalidValue {
                pde: "fd1d".into(),
                what: "order".into(),
                value: order as f64,
                reason: "finite differences of order 2 or 4".into(),
            });
        }
        if !(a.is_finite() && b.is_finite() && b > a) {
            return Err(PdeError::InvalidValue {
                pde: "fd1d".into(),
                what: "interval end b".into(),
                value: b,
                reason: "need finite a < b".into(),
            });
        }
        let min = if order == 2 { 3 } else { 8 };
        if intervals < min {
            return Err(bad_grid(&format!(
                "order {order} needs at least {min} intervals"
            )));
        }
        if let Boundary::Dirichlet { left, right } | Boundary::Neumann { left, right } = boundary {
            for v in [left, right] {
                if !v.is_finite() {
                    return Err(PdeError::InvalidValue {
                        pde: "fd1d".into(),
                        what: "boundary value".into(),
                        value: v,
                        reason: "must be finite".into(),
                    });
                }
            }
        }
        let n = intervals;
        let h = (b - a) / n as f64;
        let h2 = 1.0 / (h * h);
        let central: &[f64] = if order == 2 {
            &[1.0, -2.0, 1.0]
        } else {
            &[
                -1.0 / 12.0,
                16.0 / 12.0,
                -30.0 / 12.0,
                16.0 / 12.0,
                -1.0 / 12.0,
            ]
        };
        let half = central.len() as isize / 2;
        // Node range of the unknowns.
        let (first, last) = match boundary {
            Boundary::Periodic => (0, n - 1),
            Boundary::Dirichlet { .. } => (1, n - 1),
            Boundary::Neumann { .. } => (0, n),
        };
        let dim = last - first + 1;
        let mut row_ptr = vec![0];
        let mut cols = Vec::new();
        let mut vals = Vec::new();
        let mut bvec = vec![0.0; dim];
        // Adds weight w for node `node` (0..=n) to row r: an unknown or boundary data.
        let mut rows: Vec<Vec<(usize, f64)>> = vec![Vec::new(); dim];
        let push = |rows: &mut Vec<Vec<(usize, f64)>>,
                    bvec: &mut Vec<f64>,
                    r: usize,
                    node: isize,
                    w: f64| {
            match boundary {
                Boundary::Periodic => {
                    let c = node.rem_euclid(n as isize) as usize;
                    rows[r].push((c, w * h2));
                }
                Boundary::Dirichlet { left, right } => {
                    if node == 0 {
                        bvec[r] += w * h2 * left;
                    } else if node == n as isize {
                        bvec[r] += w * h2 * right;
                    } else {
                        rows[r].push((node as usize - 1, w * h2));
                    }
                }
                Boundary::Neumann { .. } => rows[r].push((node as usize, w * h2)),
            }
        };
        for (r, node) in (first..=last).enumerate() {
            let i = node as isize;
            let lo = i - half;
            let hi = i + half;
            let inside = matches!(boundary, Boundary::Periodic) || (lo >= 0 && hi <= n as isize);
            if inside {
                for (j, &w) in central.iter().enumerate() {
                    push(&mut rows, &mut bvec, r, lo + j as isize, w);
                }
                continue;
            }
            // One-sided closure near the left or right end.
            let near_left = lo < 0;
            let neumann = match boundary {
                Boundary::Neumann { left, right } => Some(if near_left { left } else { right }),
                _ => None,
            };
            let (nodes, deriv): (Vec<isize>, Option<isize>) = match (order, neumann) {
                (2, Some(_)) => {
                    if near_left {
                        (vec![0, 1], Some(0))
                    } else {
                        (vec![n as isize - 1, n as isize], Some(n as isize))
                    }
                }
                (4, Some(_)) if i == 0 || i == n as isize => {
                    if near_left {
                        ((0..5).collect(), Some(0))
                    } else {
                        ((n as isize - 4..=n as isize).collect(), Some(n as isize))
                    }
                }
                _ => {
                    if near_left {
                        ((0..6).collect(), None)
                    } else {
                        ((n as isize - 5..=n as isize).collect(), None)
                    }
                }
            };
            let offsets: Vec<f64> = nodes.iter().map(|&m| (m - i) as f64).collect();
            let w = second_derivative_weights(&offsets, deriv.map(|d| (d - i) as f64));
            for (&m, &wj) in nodes.iter().zip(&w) {
                push(&mut rows, &mut bvec, r, m, wj);
            }
            if let (Some(g), Some(_)) = (neumann, deriv) {
                // w_d h u' / h² = w_d g / h
                bvec[r] += w[w.len() - 1] * g / h;
            }
        }
        for row in &mut rows {
            row.sort_by_key(|&(c, _)| c);
            // Merge duplicates (periodic wrap on tiny grids).
            let mut merged: Vec<(usize, f64)> = Vec::with_capacity(row.len());
            for &(c, w) in row.iter() {
                match merged.last_mut() {
                    Some((lc, lw)) if *lc == c => *lw += w,
                    _ => merged.push((c, w)),
                }
            }
            for (c, w) in merged {
                cols.push(c);
                vals.push(w);
            }
            row_ptr.push(cols.len());
        }
        let x = (first..=last).map(|i| a + i as f64 * h).collect();
        Ok(Self {
            order,
            boundary,
            h,
            x,
            row_ptr,
            cols,
            vals,
            b: bvec,
        })
    }

    /// Number of unknowns.
    pub fn dim(&self) -> usize {
        self.x.len()
    }
    /// Coordinates of the unknowns.
    pub fn x(&self) -> &[f64] {
        &self.x
    }
    /// Grid spacing.
    pub fn h(&self) -> f64 {
        self.h
    }
    /// Order of accuracy (2 or 4).
    pub fn order(&self) -> usize {
        self.order
    }
    /// The boundary conditions.
    pub fn boundary(&self) -> Boundary {
        self.boundary
    }

    /// `out = scale (A u + b)`.
    #[inline]
    pub fn apply(&self, scale: f64, u: &[f64], out: &mut [f64]) {
        for (r, o) in out.iter_mut().enumerate() {
            let (s, e) = (self.row_ptr[r], self.row_ptr[r + 1]);
            let mut acc = self.b[r];
            for (c, w) in self.cols[s..e].iter().zip(&self.vals[s..e]) {
                acc += w * u[*c];
            }
            *o = scale * acc;
        }
    }

    /// The non-zeros `(row, col, value)` of `A`.
    pub fn entries(&self) -> impl Iterator<Item = (usize, usize, f64)> + '_ {
        (0..self.dim()).flat_map(move |r| {
            (self.row_ptr[r]..self.row_ptr[r + 1]).map(move |k| (r, self.cols[k], self.vals[k]))
        })
    }

    /// The full solution on all nodes `x_0..x_N` (Dirichlet: with the boundary values; periodic:
    /// without the repeated end point, i.e. the unknowns).
    pub fn with_boundary(&self, u: &[f64]) -> Vec<f64> {
        match self.boundary {
            Boundary::Dirichlet { left, right } => {
                let mut v = Vec::with_capacity(u.len() + 2);
                v.push(left);
                v.extend_from_slice(u);
                v.push(right);
                v
            }
            _ => u.to_vec(),
        }
    }
}

/// A pointwise reaction term `r(u)` with its derivative `r'(u)`.
pub trait Reaction: Send + Sync {
    /// `(r(u), r'(u))`.
    fn eval(&self, u: f64) -> (f64, f64);
}

/// No reaction (the heat equation).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoReaction;
impl Reaction for NoReaction {
    #[inline]
    fn eval(&self, _u: f64) -> (f64, f64) {
        (0.0, 0.0)
    }
}

/// The Allen–Cahn (bistable) reaction `u − u³`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Bistable;
impl Reaction for Bistable {
    #[inline]
    fn eval(&self, u: f64) -> (f64, f64) {
        (u - u * u * u, 1.0 - 3.0 * u * u)
    }
}

/// The method-of-lines system `u' = D (A u + b) + r(u)` with its analytic sparse Jacobian
/// `D A + diag(r'(u))` (pattern: the stencil band, plus the periodic corners).
#[derive(Debug, Clone)]
pub struct ReactionDiffusionFd<R> {
    pub d2: SecondDerivative,
    pub diffusivity: f64,
    pub reaction: R,
    pattern: SparsityPattern,
    /// Position in the pattern's value array of every entry of `A`, in [`SecondDerivative::entries`] order.
    a_pos: Vec<usize>,
    diag_pos: Vec<usize>,
}

impl<R: Reaction> ReactionDiffusionFd<R> {
    pub fn new(d2: SecondDerivative, diffusivity: f64, reaction: R) -> Result<Self, PdeError> {
        if !(diffusivity.is_finite() && diffusivity >= 0.0) {
            return Err(PdeError::InvalidValue {
                pde: "fd1d".into(),
                what: "diffusivity".into(),
                value: diffusivity,
                reason: "must be finite and non-negative".into(),
            });
        }
        let n = d2.dim();
        let pattern = SparsityPattern::from_entries(
            n,
            n,
            d2.entries()
                .map(|(i, j, _)| (i, j))
                .chain((0..n).map(|i| (i, i))),
        )
        .map_err(|e| PdeError::LinearSolve {
            pde: "fd1d".into(),
            reason: e.to_string(),
        })?;
        let a_pos = d2
            .entries()
            .map(|(i, j, _)| pattern.position(i, j).expect("entry is in the pattern"))
            .collect();
        let diag_pos = (0..n)
            .map(|i| pattern.position(i, i).expect("diagonal is in the pattern"))
            .collect();
        Ok(Self {
            d2,
            diffusivity,
            reaction,
            pattern,
            a_pos,
            diag_pos,
        })
    }
}

impl<R: Reaction> OdeSystem for ReactionDiffusionFd<R> {
    fn dim(&self) -> usize {
        self.d2.dim()
    }
    fn rhs(&self, _t: f64, y: &[f64], dy: &mut [f64]) {
        self.d2.apply(self.diffusivity, y, dy);
        for (d, &u) in dy.iter_mut().zip(y) {
            *d += self.reaction.eval(u).0;
        }
    }
    fn jacobian_sparse(&self, _t: f64, y: &[f64], values: &mut [f64]) -> bool {
        for ((_, _, a), &p) in self.d2.entries().zip(&self.a_pos) {
            values[p] += self.diffusivity * a;
        }
        for (&p, &u) in self.diag_pos.iter().zip(y) {
            values[p] += self.reaction.eval(u).1;
        }
        true
    }
    fn is_autonomous(&self) -> bool {
        true
    }
    fn jacobian_sparsity(&self) -> Option<&SparsityPattern> {
        Some(&self.pattern)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn taylor_weights_reproduce_known_stencils() {
        let w = second_derivative_weights(&[-1.0, 0.0, 1.0], None);
        for (a, b) in w.iter().zip([1.0, -2.0, 1.0]) {
            assert!((a - b).abs() < 1e-12);
        }
        let w = second_derivative_weights(&[-1.0, 0.0, 1.0, 2.0, 3.0, 4.0], None);
        for (a, b) in w.iter().zip([10.0, -15.0, -4.0, 14.0, -6.0, 1.0]) {
            assert!((a - b / 12.0).abs() < 1e-12, "{w:?}");
        }
        let w = second_derivative_weights(&[0.0, 1.0], Some(0.0));
        for (a, b) in w.iter().zip([-2.0, 2.0, -2.0]) {
            assert!((a - b).abs() < 1e-12);
        }
    }

    #[test]
    fn exact_on_polynomials_of_the_order() {
        // Order 4 stencils (5 or 6 functionals) differentiate quartics exactly everywhere.
        let p = |x: f64| x.powi(4) - 2.0 * x.powi(3) + x;
        let pxx = |x: f64| 12.0 * x * x - 12.0 * x;
        let px = |x: f64| 4.0 * x.powi(3) - 6.0 * x * x + 1.0;
        for bc in [
            Boundary::Dirichlet {
                left: p(0.0),
                right: p(1.0),
            },
            Boundary::Neumann {
                left: px(0.0),
                right: px(1.0),
            },
        ] {
            let d = SecondDerivative::new(0.0, 1.0, 10, bc, 4).unwrap();
            let u: Vec<f64> = d.x().iter().map(|&x| p(x)).collect();
            let mut out = vec![0.0; d.dim()];
            d.apply(1.0, &u, &mut out);
            for (o, &x) in out.iter().zip(d.x()) {
                assert!(
                    (o - pxx(x)).abs() < 1e-9,
                    "{bc:?} at {x}: {o} vs {}",
                    pxx(x)
                );
            }
        }
    }

    #[test]
    fn bad_set_ups_are_typed_errors() {
        assert!(SecondDerivative::new(0.0, 1.0, 10, Boundary::Periodic, 3).is_err());
        assert!(SecondDerivative::new(0.0, 1.0, 4, Boundary::Periodic, 4).is_err());
        assert!(SecondDerivative::new(1.0, 0.0, 10, Boundary::Periodic, 2).is_err());
        assert!(SecondDerivative::new(
            0.0,
            1.0,
            10,
            Boundary::Dirichlet {
                left: f64::NAN,
                right: 0.0
            },
            2
        )
        .is_err());
    }
}
