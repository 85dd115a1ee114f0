//! What a solve returns: saved times and states, events, statistics.

use crate::Method;

/// Work counters of one solve, so that efficiency regressions are visible.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Steps attempted (accepted + rejected).
    pub steps: usize,
    /// Steps accepted.
    pub accepted: usize,
    /// Steps rejected by the error control.
    pub rejected: usize,
    /// Evaluations of the right-hand side, including those for the initial step, dense output,
    /// event location and finite-difference Jacobians.
    pub f_evals: usize,
    /// Jacobian evaluations (implicit and Rosenbrock methods; 0 for explicit ones).
    pub jac_evals: usize,
    /// LU factorisations of iteration matrices.
    pub lu_decomps: usize,
    /// Linear solves with a factorised iteration matrix.
    pub lin_solves: usize,
    /// Newton iterations (implicit methods).
    pub newton_iters: usize,
    /// Steps rejected because the Newton iteration did not converge.
    pub newton_failures: usize,
    /// Krylov (GMRES) iterations, each one product with `W` and one preconditioner solve
    /// ([`crate::krylov`]; 0 with the direct linear solver).
    pub lin_iters: usize,
    /// Preconditioner set-ups (Krylov linear solver).
    pub prec_setups: usize,
    /// Preconditioner solves (Krylov linear solver).
    pub prec_solves: usize,
}

/// An event that fired: which event function, where, and the state there.
#[derive(Debug, Clone, PartialEq)]
pub struct EventHit {
    /// Index of the event in the order the events were added.
    pub event: usize,
    pub t: f64,
    pub y: Vec<f64>,
}

/// Result of a successful solve.
#[derive(Debug, Clone)]
pub struct Solution {
    pub method: Method,
    /// Saved times, in the direction of integration.
    pub t: Vec<f64>,
    /// Saved states, row-major: row `i` (`dim` values) is the state at `t[i]`.
    pub y: Vec<f64>,
    pub dim: usize,
    pub stats: Stats,
    /// Every event that fired, in time order.
    pub events: Vec<EventHit>,
    /// `Some(i)` if terminal event `i` stopped the integration before `t_end`.
    pub terminated_by: Option<usize>,
}

impl Solution {
    /// Number of saved points.
    pub fn len(&self) -> usize {
        self.t.len()
    }
    /// Whether nothing was saved.
    pub fn is_empty(&self) -> bool {
        self.t.is_empty()
    }
    /// The state at `t[i]`.
    pub fn row(&self, i: usize) -> &[f64] {
        &self.y[i * self.dim..(i + 1) * self.dim]
    }
    /// Iterator over the saved states.
    pub fn rows(&self) -> std::slice::ChunksExact<'_, f64> {
        self.y.chunks_exact(self.dim.max(1))
    }
    /// The last saved state (the state at `t_end`, or where a terminal event stopped the solve).
    pub fn y_final(&self) -> &[f64] {
        &self.y[self.y.len() - self.dim..]
    }
    /// The last saved time.
    pub fn t_final(&self) -> f64 {
        *self
            .t
            .last()
            .expect("a solution always holds at least one saved point")
    }
    /// Component `c` over all saved times.
    pub fn component(&self, c: usize) -> Vec<f64> {
        self.rows().map(|r| r[c]).collect()
    }
}
