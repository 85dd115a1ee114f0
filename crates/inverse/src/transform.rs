//! Bounds and log-parameters by change of variables, so that the optimisers stay unconstrained.
//!
//! A parameter `p` is first put on its fitting scale `q` (`q = p`, or `q = ln p` for a
//! log-parameter, which keeps `p > 0` and makes relative changes the natural step for rate
//! constants spanning decades), then a box `a ≤ q ≤ b` is removed by MINUIT's transformations
//! (F. James & M. Winkler, MINUIT User's Guide, CERN (2004), §1.3.1; also used by lmfit):
//!
//! ```text
//! both bounds:  q = a + (b − a)(sin u + 1)/2
//! lower only:   q = a − 1 + √(u² + 1)
//! upper only:   q = b + 1 − √(u² + 1)
//! ```
//!
//! Each bound is reached at a finite `u`, where `dq/du = 0`; the Jacobian in the optimiser's
//! variables is `∂r/∂u = ∂r/∂p · dp/dq · dq/du`. Covariances are always computed in `p` (or
//! `q`) from `∂r/∂p`, never in `u`.

use faer::{Mat, MatMut};
use serde::Serialize;

use crate::optim::{LeastSquares, Objective};
use crate::InverseError;

/// The scale on which a parameter is fitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scale {
    #[default]
    Linear,
    /// Fit `ln p` (requires `p > 0`).
    Log,
}

/// How one unknown is constrained and scaled.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamSpec {
    pub name: String,
    pub scale: Scale,
    /// Lower bound on `p` (`-∞` for none; for a log-parameter at least 0).
    pub lo: f64,
    /// Upper bound on `p` (`+∞` for none).
    pub hi: f64,
}

impl ParamSpec {
    /// An unbounded linear parameter.
    pub fn free(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            scale: Scale::Linear,
            lo: f64::NEG_INFINITY,
            hi: f64::INFINITY,
        }
    }

    /// Builder: fit on a log scale (an unbounded lower bound becomes 0).
    pub fn log(mut self) -> Self {
        self.scale = Scale::Log;
        if self.lo == f64::NEG_INFINITY {
            self.lo = 0.0;
        }
        self
    }

    /// Builder: bounds `lo ≤ p ≤ hi`.
    pub fn bounds(mut self, lo: f64, hi: f64) -> Self {
        self.lo = lo;
        self.hi = hi;
        self
    }

    /// Checks the bounds.
    pub fn validate(&self) -> Result<(), InverseError> {
        let bad = |reason| InverseError::InvalidBounds {
            name: self.name.clone(),
            lo: self.lo,
            hi: self.hi,
            reason,
        };
        if self.lo.is_nan() || self.hi.is_nan() {
            return Err(bad("NaN bound"));
        }
        if self.lo >= self.hi {
            return Err(bad("need lo < hi"));
        }
        if self.lo == f64::INFINITY || self.hi == f64::NEG_INFINITY {
            return Err(bad("bound on the wrong side"));
        }
        if self.scale == Scale::Log && self.lo < 0.0 {
            return Err(bad("a log-parameter is positive: lower bound must be >= 0"));
        }
        Ok(())
    }

    /// Bounds on the fitting scale `q`.
    fn q_bounds(&self) -> (f64, f64) {
        match self.scale {
            Scale::Linear => (self.lo, self.hi),
            Scale::Log => (
                if self.lo > 0.0 {
                    self.lo.ln()
                } else {
                    f64::NEG_INFINITY
                },
                self.hi.ln(),
            ),
        }
    }

    /// `p → q` (the fitting scale).
    pub fn to_q(&self, p: f64) -> f64 {
        match self.scale {
            Scale::Linear => p,
            Scale::Log => p.ln(),
        }
    }

    /// `q → p`.
    pub fn from_q(&self, q: f64) -> f64 {
        match self.scale {
            Scale::Linear => q,
            Scale::Log => q.exp(),
        }
    }

    /// Whether `p` is admissible (finite, inside the bounds, positive for a log-parameter).
    pub fn contains(&self, p: f64) -> bool {
        p.is_finite() && p >= self.lo && p <= self.hi && (self.scale == Scale::Linear || p > 0.0)
    }

    /// The optimiser's variable `u` for a starting value `p` (which must lie strictly inside the
    /// bounds).
    pub fn to_internal(&self, p: f64) -> Result<f64, InverseError> {
        let inside =
            p.is_finite() && p > self.lo && p < self.hi && (self.scale == Scale::Linear || p > 0.0);
        if !inside {
            return Err(InverseError::StartOutOfBounds {
                name: self.name.clone(),
                value: p,
                lo: self.lo,
                hi: self.hi,
            });
        }
        let q = self.to_q(p);
        let (a, b) = self.q_bounds();
        Ok(match (a.is_finite(), b.is_finite()) {
            (true, true) => (2.0 * (q - a) / (b - a) - 1.0).clamp(-1.0, 1.0).asin(),
            (true, false) => ((q - a + 1.0).powi(2) - 1.0).max(0.0).sqrt(),
            (false, true) => ((b - q + 1.0).powi(2) - 1.0).max(0.0).sqrt(),
            (false, false) => q,
        })
    }

    /// `u → p` and `dp/du`.
    pub fn to_external(&self, u: f64) -> (f64, f64) {
        let (a, b) = self.q_bounds();
        let (q, dq) = match (a.is_finite(), b.is_finite()) {
            (true, true) => (a + (b - a) * (u.sin() + 1.0) / 2.0, (b - a) * u.cos() / 2.0),
            (true, false) => {
                let s = (u * u + 1.0).sqrt();
                (a - 1.0 + s, u / s)
            }
            (false, true) => {
                let s = (u * u + 1.0).sqrt();
                (b + 1.0 - s, -u / s)
            }
            (false, false) => (u, 1.0),
        };
        let p = self.from_q(q);
        // dp/dq = p on the log scale
        let dp = match self.scale {
            Scale::Linear => dq,
            Scale::Log => p * dq,
        };
        // keep rounding from leaving the box
        (p.clamp(self.lo, self.hi), dp)
    }

    /// Whether `p` sits on a bound (to relative 1e-8), where the Laplace covariance is not
    /// meaningful.
    pub fn at_bound(&self, p: f64) -> bool {
        let tol = |b: f64| 1e-8 * b.abs().max(1e-300);
        (self.lo.is_finite() && (p - self.lo).abs() <= tol(self.lo))
            || (self.hi.is_finite() && (p - self.hi).abs() <= tol(self.hi))
    }
}

/// A least-squares problem in external parameters `p`, seen by the optimiser in internal
/// variables `u` (see the module doc).
pub struct Transformed<'a, P: LeastSquares + ?Sized> {
    pub inner: &'a mut P,
    pub specs: &'a [ParamSpec],
    p: Vec<f64>,
    dp: Vec<f64>,
}

impl<'a, P: LeastSquares + ?Sized> Transformed<'a, P> {
    /// `specs[j]` applies to unknown `j`; unknowns beyond `specs.len()` are free and linear.
    pub fn new(inner: &'a mut P, specs: &'a [ParamSpec]) -> Self {
        let n = inner.n_params();
        Self {
            inner,
            specs,
            p: vec![0.0; n],
            dp: vec![1.0; n],
        }
    }

    /// Internal variables for external `p` (each strictly inside its bounds).
    pub fn to_internal(&self, p: &[f64]) -> Result<Vec<f64>, InverseError> {
        p.iter()
            .enumerate()
            .map(|(j, &v)| match self.specs.get(j) {
                Some(s) => s.to_internal(v),
                None => Ok(v),
            })
            .collect()
    }

    /// External parameters for internal `u`.
    pub fn to_external(&self, u: &[f64]) -> Vec<f64> {
        u.iter()
            .enumerate()
            .map(|(j, &v)| self.specs.get(j).map_or(v, |s| s.to_external(v).0))
            .collect()
    }

    fn map(&mut self, u: &[f64]) {
        for (j, &v) in u.iter().enumerate() {
            let (p, d) = self.specs.get(j).map_or((v, 1.0), |s| s.to_external(v));
            self.p[j] = p;
            self.dp[j] = d;
        }
    }
}

impl<P: LeastSquares + ?Sized> LeastSquares for Transformed<'_, P> {
    fn n_params(&self) -> usize {
        self.inner.n_params()
    }
    fn n_residuals(&self) -> usize {
        self.inner.n_residuals()
    }
    fn residuals(&mut self, u: &[f64], r: &mut [f64]) -> Result<(), InverseError> {
        self.map(u);
        self.inner.residuals(&self.p, r)
    }
    fn jacobian(
        &mut self,
        u: &[f64],
        r: &mut [f64],
        mut jac: MatMut<'_, f64>,
    ) -> Result<(), InverseError> {
        self.map(u);
        self.inner.jacobian(&self.p, r, jac.as_mut())?;
        for j in 0..self.dp.len() {
            let d = self.dp[j];
            for i in 0..r.len() {
                jac[(i, j)] *= d;
            }
        }
        Ok(())
    }
}

/// A scalar objective in external parameters `p`, seen by the optimiser in internal variables
/// `u` (see the module doc): `∇_u f = ∇_p f · dp/du`.
pub struct TransformedObjective<'a, O: Objective + ?Sized> {
    pub inner: &'a mut O,
    pub specs: &'a [ParamSpec],
    p: Vec<f64>,
    dp: Vec<f64>,
    g: Vec<f64>,
}

impl<'a, O: Objective + ?Sized> TransformedObjective<'a, O> {
    /// `specs[j]` applies to unknown `j`; unknowns beyond `specs.len()` are free and linear.
    pub fn new(inner: &'a mut O, specs: &'a [ParamSpec]) -> Self {
        let n = inner.n_params();
        Self {
            inner,
            specs,
            p: vec![0.0; n],
            dp: vec![1.0; n],
            g: vec![0.0; n],
        }
    }

    /// Internal variables for external `p` (each strictly inside its bounds).
    pub fn to_internal(&self, p: &[f64]) -> Result<Vec<f64>, InverseError> {
        p.iter()
            .enumerate()
            .map(|(j, &v)| match self.specs.get(j) {
                Some(s) => s.to_internal(v),
                None => Ok(v),
            })
            .collect()
    }

    /// External parameters for internal `u`.
    pub fn to_external(&self, u: &[f64]) -> Vec<f64> {
        u.iter()
            .enumerate()
            .map(|(j, &v)| self.specs.get(j).map_or(v, |s| s.to_external(v).0))
            .collect()
    }
}

impl<O: Objective + ?Sized> Objective for TransformedObjective<'_, O> {
    fn n_params(&self) -> usize {
        self.inner.n_params()
    }
    fn value_grad(&mut self, u: &[f64], grad: &mut [f64]) -> Result<f64, InverseError> {
        for (j, &v) in u.iter().enumerate() {
            let (p, d) = self.specs.get(j).map_or((v, 1.0), |s| s.to_external(v));
            self.p[j] = p;
            self.dp[j] = d;
        }
        let f = self.inner.value_grad(&self.p, &mut self.g)?;
        for ((o, g), d) in grad.iter_mut().zip(&self.g).zip(&self.dp) {
            *o = g * d;
        }
        Ok(f)
    }
}

/// Columns of `∂r/∂p` rescaled to `∂r/∂q` (`q = ln p` for log-parameters: `∂r/∂q = p ∂r/∂p`).
pub fn jacobian_in_q(jac_p: &Mat<f64>, specs: &[ParamSpec], p: &[f64]) -> Mat<f64> {
    let mut j = jac_p.clone();
    for (c, s) in specs.iter().enumerate() {
        if s.scale == Scale::Log {
            for i in 0..j.nrows() {
                j[(i, c)] *= p[c];
            }
        }
    }
    j
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_derivatives() {
        let specs = [
            ParamSpec::free("a"),
            ParamSpec::free("b").bounds(-1.0, 3.0),
            ParamSpec::free("c").bounds(0.5, f64::INFINITY),
            ParamSpec::free("d").bounds(f64::NEG_INFINITY, 2.0),
            ParamSpec::free("e").log(),
            ParamSpec::free("f").log().bounds(1e-3, 1e3),
        ];
        let p = [0.7, 2.2, 4.0, -3.0, 3e7, 0.02];
        for (s, &v) in specs.iter().zip(&p) {
            s.validate().unwrap();
            let u = s.to_internal(v).unwrap();
            let (back, d) = s.to_external(u);
            assert!(
                (back - v).abs() <= 1e-12 * v.abs(),
                "{}: {back} vs {v}",
                s.name
            );
            let h = 1e-6;
            let fd = (s.to_external(u + h).0 - s.to_external(u - h).0) / (2.0 * h);
            assert!(
                (fd - d).abs() <= 1e-6 * d.abs().max(1e-8),
                "{}: {fd} vs {d}",
                s.name
            );
            // any u maps inside the box
            for w in [-1e3, -3.0, 0.0, 2.0, 1e3] {
                assert!(s.contains(s.to_external(w).0) || s.scale == Scale::Log);
            }
        }
    }

    #[test]
    fn bad_bounds_and_starts_are_typed() {
        assert!(matches!(
            ParamSpec::free("k").bounds(2.0, 1.0).validate(),
            Err(InverseError::InvalidBounds { .. })
        ));
        assert!(matches!(
            ParamSpec::free("k").log().bounds(-1.0, 1.0).validate(),
            Err(InverseError::InvalidBounds { .. })
        ));
        assert!(matches!(
            ParamSpec::free("k").bounds(0.0, 1.0).to_internal(1.5),
            Err(InverseError::StartOutOfBounds { .. })
        ));
        assert!(matches!(
            ParamSpec::free("k").log().to_internal(-1.0),
            Err(InverseError::StartOutOfBounds { .. })
        ));
        assert!(matches!(
            ParamSpec::free("k").to_internal(f64::NAN),
            Err(InverseError::StartOutOfBounds { .. })
        ));
    }
}
