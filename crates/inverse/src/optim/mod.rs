//! Optimisers for smooth problems: [`lm`] (Levenberg–Marquardt for least squares) and [`lbfgs`]
//! (limited-memory BFGS for a scalar objective with a gradient), both unconstrained; bounds and
//! log-parameters come from [`crate::transform`], which maps the box to all of `ℝⁿ`.
//!
//! Both optimisers treat a failed evaluation (the model returned an error or a non-finite value
//! at a trial point) as a rejected step and shrink it; only when that keeps happening do they
//! give up with [`InverseError::Diverged`].

use faer::MatMut;

use crate::InverseError;

mod history;
pub mod lbfgs;
pub mod lm;
pub mod mgh;
pub mod projected;

pub use lbfgs::{lbfgs, LbfgsOptions, LbfgsReport};
pub use lm::{levenberg_marquardt, LmOptions, LmReport};
pub use projected::{
    projected_gradient_norm, projected_lbfgs, ProjectedLbfgsOptions, ProjectedLbfgsReport,
};

/// A nonlinear least-squares problem `min_x ½‖r(x)‖²` with `r: ℝⁿ → ℝᵐ`.
pub trait LeastSquares {
    /// Number of unknowns `n`.
    fn n_params(&self) -> usize;
    /// Number of residuals `m`.
    fn n_residuals(&self) -> usize;
    /// Writes `r(x)`. An error means the model cannot be evaluated at `x` (the optimiser rejects
    /// the step); a non-finite residual is treated the same way.
    fn residuals(&mut self, x: &[f64], r: &mut [f64]) -> Result<(), InverseError>;
    /// Writes `r(x)` and the Jacobian `J = ∂r/∂x` (`m × n`).
    fn jacobian(
        &mut self,
        x: &[f64],
        r: &mut [f64],
        jac: MatMut<'_, f64>,
    ) -> Result<(), InverseError>;
}

/// A smooth scalar objective `f: ℝⁿ → ℝ` with its gradient.
pub trait Objective {
    /// Number of unknowns `n`.
    fn n_params(&self) -> usize;
    /// Returns `f(x)` and writes `∇f(x)` into `grad`. An error (or a non-finite value) means the
    /// objective cannot be evaluated at `x`.
    fn value_grad(&mut self, x: &[f64], grad: &mut [f64]) -> Result<f64, InverseError>;
    /// `f(x)` alone (line searches that need no slope call this). The default evaluates the
    /// gradient too; override it when the value is cheaper (an adjoint gradient costs a
    /// backward solve that the value does not need).
    fn value(&mut self, x: &[f64]) -> Result<f64, InverseError> {
        let mut g = vec![0.0; self.n_params()];
        self.value_grad(x, &mut g)
    }
}

/// Any least-squares problem is an objective: `f = ½‖r‖²`, `∇f = Jᵀr`.
pub struct SumOfSquares<'a, P: LeastSquares + ?Sized> {
    problem: &'a mut P,
    r: Vec<f64>,
    jac: faer::Mat<f64>,
}

impl<'a, P: LeastSquares + ?Sized> SumOfSquares<'a, P> {
    pub fn new(problem: &'a mut P) -> Self {
        let (m, n) = (problem.n_residuals(), problem.n_params());
        Self {
            problem,
            r: vec![0.0; m],
            jac: faer::Mat::zeros(m, n),
        }
    }
}

impl<P: LeastSquares + ?Sized> Objective for SumOfSquares<'_, P> {
    fn n_params(&self) -> usize {
        self.problem.n_params()
    }
    fn value_grad(&mut self, x: &[f64], grad: &mut [f64]) -> Result<f64, InverseError> {
        self.problem.jacobian(x, &mut self.r, self.jac.as_mut())?;
        for (j, g) in grad.iter_mut().enumerate() {
            let col = self.jac.col(j);
            *g = (0..self.r.len()).map(|i| col[i] * self.r[i]).sum();
        }
        Ok(0.5 * self.r.iter().map(|v| v * v).sum::<f64>())
    }
}

/// Central finite-difference Jacobian of a least-squares problem that only provides residuals
/// (its `jacobian` is never called): `J_{·j} ≈ (r(x + h_j e_j) − r(x − h_j e_j)) / 2h_j` with
/// `h_j = step · max(|x_j|, 1)` (step `≈ ε^{1/3}` balances truncation and rounding; Nocedal &
/// Wright, Numerical Optimization, 2nd ed., §8.1).
pub struct NumericJacobian<P> {
    pub inner: P,
    pub step: f64,
    work: Vec<f64>,
}

impl<P: LeastSquares> NumericJacobian<P> {
    pub fn new(inner: P) -> Self {
        let m = inner.n_residuals();
        Self {
            inner,
            step: f64::EPSILON.cbrt(),
            work: vec![0.0; 2 * m],
        }
    }
}

impl<P: LeastSquares> LeastSquares for NumericJacobian<P> {
    fn n_params(&self) -> usize {
        self.inner.n_params()
    }
    fn n_residuals(&self) -> usize {
        self.inner.n_residuals()
    }
    fn residuals(&mut self, x: &[f64], r: &mut [f64]) -> Result<(), InverseError> {
        self.inner.residuals(x, r)
    }
    fn jacobian(
        &mut self,
        x: &[f64],
        r: &mut [f64],
        mut jac: MatMut<'_, f64>,
    ) -> Result<(), InverseError> {
        self.inner.residuals(x, r)?;
        let m = r.len();
        let mut xp = x.to_vec();
        let (rp, rm) = self.work.split_at_mut(m);
        for j in 0..x.len() {
            let h = self.step * x[j].abs().max(1.0);
            xp[j] = x[j] + h;
            self.inner.residuals(&xp, rp)?;
            xp[j] = x[j] - h;
            self.inner.residuals(&xp, rm)?;
            xp[j] = x[j];
            for i in 0..m {
                jac[(i, j)] = (rp[i] - rm[i]) / (2.0 * h);
            }
        }
        Ok(())
    }
}

pub(crate) fn norm(v: &[f64]) -> f64 {
    // scaled to avoid overflow/underflow of the squares (as MINPACK's enorm, simplified)
    let s = v.iter().fold(0.0f64, |a, x| a.max(x.abs()));
    if s == 0.0 || !s.is_finite() {
        return s;
    }
    s * v.iter().map(|x| (x / s) * (x / s)).sum::<f64>().sqrt()
}
