//! The 2-D Brusselator reaction–diffusion system on an `N × N` periodic grid (Hairer & Wanner II,
//! §IV.10, without the forcing term):
//!
//! `u' = 1 + u²v − 4.4u + α Δu`,  `v' = 3.4u − u²v + α Δv`,
//!
//! five-point Laplacian, unknowns interleaved `(u, v)` per cell (`2N²` in all). Written once over
//! `DualScalar`, with an analytic sparse Jacobian, so tests can compare every Jacobian source.

use ai4de_ode::jacobian::{DualScalar, JacDual};
use ai4de_ode::sparsity::SparsityPattern;
use ai4de_ode::OdeSystem;

pub struct Brusselator {
    pub n: usize,
    pub alpha: f64,
    pattern: SparsityPattern,
    /// Whether `rhs_dual` / `jacobian_sparse` / the pattern are offered.
    pub dual: bool,
    pub analytic: bool,
    pub declare_pattern: bool,
}

impl Brusselator {
    pub fn new(n: usize) -> Self {
        let mut entries = Vec::new();
        for i in 0..n {
            for j in 0..n {
                let c = i * n + j;
                let (u, v) = (2 * c, 2 * c + 1);
                for nb in Self::neighbours(n, i, j) {
                    entries.push((u, 2 * nb));
                    entries.push((v, 2 * nb + 1));
                }
                entries.extend([(u, u), (u, v), (v, u), (v, v)]);
            }
        }
        let pattern = SparsityPattern::from_entries(2 * n * n, 2 * n * n, entries).unwrap();
        Self {
            n,
            alpha: 0.1 * ((n - 1) * (n - 1)) as f64,
            pattern,
            dual: true,
            analytic: true,
            declare_pattern: true,
        }
    }

    pub fn true_pattern(&self) -> &SparsityPattern {
        &self.pattern
    }

    fn neighbours(n: usize, i: usize, j: usize) -> [usize; 4] {
        let up = (i + n - 1) % n;
        let down = (i + 1) % n;
        let left = (j + n - 1) % n;
        let right = (j + 1) % n;
        [up * n + j, down * n + j, i * n + left, i * n + right]
    }

    /// A smooth non-trivial state.
    pub fn initial(&self) -> Vec<f64> {
        let n = self.n;
        let mut y = vec![0.0; 2 * n * n];
        for i in 0..n {
            for j in 0..n {
                let (x, z) = (i as f64 / n as f64, j as f64 / n as f64);
                y[2 * (i * n + j)] = 22.0 * z * (1.0 - z).powf(1.5);
                y[2 * (i * n + j) + 1] = 27.0 * x * (1.0 - x).powf(1.5) + 0.1;
            }
        }
        y
    }

    pub fn f<T: DualScalar>(&self, y: &[T], dy: &mut [T]) {
        let n = self.n;
        for i in 0..n {
            for j in 0..n {
                let c = i * n + j;
                let (u, v) = (y[2 * c], y[2 * c + 1]);
                let nb = Self::neighbours(n, i, j);
                let lap_u = y[2 * nb[0]] + y[2 * nb[1]] + y[2 * nb[2]] + y[2 * nb[3]] - u * 4.0;
                let lap_v =
                    y[2 * nb[0] + 1] + y[2 * nb[1] + 1] + y[2 * nb[2] + 1] + y[2 * nb[3] + 1]
                        - v * 4.0;
                let uuv = u * u * v;
                dy[2 * c] = uuv - u * 4.4 + lap_u * self.alpha + 1.0;
                dy[2 * c + 1] = u * 3.4 - uuv + lap_v * self.alpha;
            }
        }
    }
}

impl OdeSystem for Brusselator {
    fn dim(&self) -> usize {
        2 * self.n * self.n
    }
    fn rhs(&self, _t: f64, y: &[f64], dy: &mut [f64]) {
        self.f(y, dy)
    }
    fn rhs_dual(&self, _t: JacDual, y: &[JacDual], dy: &mut [JacDual]) -> bool {
        if self.dual {
            self.f(y, dy);
        }
        self.dual
    }
    fn is_autonomous(&self) -> bool {
        true
    }
    fn jacobian_sparsity(&self) -> Option<&SparsityPattern> {
        self.declare_pattern.then_some(&self.pattern)
    }
    fn jacobian_sparse(&self, _t: f64, y: &[f64], values: &mut [f64]) -> bool {
        if !(self.analytic && self.declare_pattern) {
            return false;
        }
        let n = self.n;
        let p = &self.pattern;
        let mut add = |row: usize, col: usize, v: f64| {
            values[p.position(row, col).expect("entry in the pattern")] += v;
        };
        for i in 0..n {
            for j in 0..n {
                let c = i * n + j;
                let (ui, vi) = (2 * c, 2 * c + 1);
                let (u, v) = (y[ui], y[vi]);
                for nb in Self::neighbours(n, i, j) {
                    add(ui, 2 * nb, self.alpha);
                    add(vi, 2 * nb + 1, self.alpha);
                }
                add(ui, ui, 2.0 * u * v - 4.4 - 4.0 * self.alpha);
                add(ui, vi, u * u);
                add(vi, ui, 3.4 - 2.0 * u * v);
                add(vi, vi, -u * u - 4.0 * self.alpha);
            }
        }
        true
    }
}
