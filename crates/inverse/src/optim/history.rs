//! The limited-memory BFGS curvature history and its two-loop recursion (Nocedal 1980;
//! Nocedal & Wright, *Numerical Optimization*, 2nd ed., Algorithm 7.4), shared by the
//! unconstrained [`super::lbfgs`] and the bound-constrained [`super::projected_lbfgs`] (which
//! runs the recursion on the free variables only, Bertsekas 1982).

use std::collections::VecDeque;

/// The newest `memory` curvature pairs `(s_i, y_i)` with `ρ_i = 1/(s_iᵀy_i)`.
#[derive(Debug, Clone)]
pub(crate) struct LbfgsHistory {
    memory: usize,
    s: VecDeque<Vec<f64>>,
    y: VecDeque<Vec<f64>>,
    rho: VecDeque<f64>,
    alpha: Vec<f64>,
}

impl LbfgsHistory {
    pub(crate) fn new(memory: usize) -> Self {
        let memory = memory.max(1);
        Self {
            memory,
            s: VecDeque::with_capacity(memory),
            y: VecDeque::with_capacity(memory),
            rho: VecDeque::with_capacity(memory),
            alpha: vec![0.0; memory],
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.s.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.s.is_empty()
    }

    /// Forgets every pair (a restart from steepest descent).
    pub(crate) fn clear(&mut self) {
        self.s.clear();
        self.y.clear();
        self.rho.clear();
    }

    /// Forgets every pair but the newest, which carries the local scale.
    pub(crate) fn keep_newest(&mut self) {
        while self.s.len() > 1 {
            self.s.pop_front();
            self.y.pop_front();
            self.rho.pop_front();
        }
    }

    /// Adds the pair `s = x_new − x`, `y = g_new − g` if its curvature `sᵀy` exceeds
    /// `tol·‖s‖‖y‖` (otherwise the BFGS update would not stay positive definite), dropping the
    /// oldest pair when the memory is full. Returns whether it was added.
    pub(crate) fn push(&mut self, s: Vec<f64>, y: Vec<f64>, tol: f64) -> bool {
        let sy = dot(&s, &y);
        let curved = sy > tol * dot(&y, &y).sqrt() * dot(&s, &s).sqrt();
        if !curved {
            // also when sᵀy is NaN
            return false;
        }
        if self.s.len() == self.memory {
            self.s.pop_front();
            self.y.pop_front();
            self.rho.pop_front();
        }
        self.s.push_back(s);
        self.y.push_back(y);
        self.rho.push_back(1.0 / sy);
        true
    }

    /// Overwrites `d` (on entry the gradient, zero outside `free`) with `H·d`, the inverse-Hessian
    /// approximation applied to it, restricted to the variables in `free` (all when `None`).
    /// The initial matrix is `γI` with `γ = sᵀy / yᵀy` of the newest pair, or `gamma0` when the
    /// history is empty. Returns `γ`.
    pub(crate) fn apply(&mut self, d: &mut [f64], free: Option<&[bool]>, gamma0: f64) -> f64 {
        let k = self.s.len();
        for i in (0..k).rev() {
            let a = self.rho[i] * dot_on(&self.s[i], d, free);
            self.alpha[i] = a;
            axpy_on(-a, &self.y[i], d, free);
        }
        let gamma = match (self.s.back(), self.y.back()) {
            (Some(s), Some(y)) => dot(s, y) / dot(y, y),
            _ => gamma0,
        };
        d.iter_mut().for_each(|v| *v *= gamma);
        for i in 0..k {
            let b = self.rho[i] * dot_on(&self.y[i], d, free);
            axpy_on(self.alpha[i] - b, &self.s[i], d, free);
        }
        gamma
    }
}

/// `aᵀb`.
pub(crate) fn dot(a: &[f64], b: &[f64]) -> f64 {
    dot_on(a, b, None)
}

/// `aᵀb` over the entries in `free` (all when `None`).
pub(crate) fn dot_on(a: &[f64], b: &[f64], free: Option<&[bool]>) -> f64 {
    match free {
        None => a.iter().zip(b).map(|(x, y)| x * y).sum(),
        Some(free) => a
            .iter()
            .zip(b)
            .zip(free)
            .filter(|(_, f)| **f)
            .map(|((x, y), _)| x * y)
            .sum(),
    }
}

/// `y += a·x` over the entries in `free` (all when `None`).
pub(crate) fn axpy_on(a: f64, x: &[f64], y: &mut [f64], free: Option<&[bool]>) {
    match free {
        None => y.iter_mut().zip(x).for_each(|(yi, xi)| *yi += a * xi),
        Some(free) => {
            for ((yi, xi), f) in y.iter_mut().zip(x).zip(free) {
                if *f {
                    *yi += a * xi;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pairs `(s, A s)` of a quadratic `½xᵀAx`: the BFGS matrix satisfies the secant condition
    /// `H·y = s` for the newest pair exactly.
    #[test]
    fn secant_condition_holds_for_the_newest_pair() {
        let a = [[4.0, 1.0, 0.0], [1.0, 3.0, 0.5], [0.0, 0.5, 2.0]];
        let mul = |x: &[f64]| -> Vec<f64> {
            (0..3)
                .map(|i| (0..3).map(|j| a[i][j] * x[j]).sum())
                .collect()
        };
        let mut h = LbfgsHistory::new(5);
        for s in [[1.0, 0.0, 0.0], [0.3, 1.0, 0.0], [0.1, -0.2, 1.0]] {
            let y = mul(&s);
            assert!(h.push(s.to_vec(), y, 1e-12));
        }
        let s_new = [0.1, -0.2, 1.0];
        let mut d = mul(&s_new);
        h.apply(&mut d, None, 1.0);
        for (di, si) in d.iter().zip(&s_new) {
            assert!((di - si).abs() < 1e-12, "{d:?} vs {s_new:?}");
        }
    }

    #[test]
    fn memory_keeps_the_newest_pairs_and_rejects_bad_curvature() {
        let mut h = LbfgsHistory::new(2);
        assert!(!h.push(vec![1.0, 0.0], vec![-1.0, 0.0], 1e-12));
        assert!(h.is_empty());
        for k in 1..=3 {
            assert!(h.push(vec![f64::from(k), 0.0], vec![1.0, 0.0], 1e-12));
        }
        assert_eq!(h.len(), 2);
        assert_eq!(h.s[0][0], 2.0);
        h.keep_newest();
        assert_eq!(h.len(), 1);
        assert_eq!(h.s[0][0], 3.0);
        // empty history: d = γ₀ g
        h.clear();
        let mut d = vec![2.0, -4.0];
        assert_eq!(h.apply(&mut d, None, 0.25), 0.25);
        assert_eq!(d, vec![0.5, -1.0]);
    }

    #[test]
    fn masked_recursion_leaves_bound_variables_alone() {
        let mut h = LbfgsHistory::new(3);
        h.push(vec![1.0, 2.0, 0.5], vec![2.0, 1.0, 1.0], 1e-12);
        let free = [true, false, true];
        let mut d = vec![1.0, 0.0, -1.0];
        h.apply(&mut d, Some(&free), 1.0);
        assert_eq!(d[1], 0.0);
    }
}
