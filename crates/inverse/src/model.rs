//! The ODE model seen by the fitting code: solve at data times, and the sensitivities
//! `∂y(tᵢ)/∂(p, y₀)` that Levenberg–Marquardt needs.

use ai4de_ode::problems::Problem;
use ai4de_ode::sensitivity::ForwardSensitivity;
use ai4de_ode::{Method, OdeSystem, SaveAt, Solve};
use rayon::prelude::*;

use crate::InverseError;

/// How the sensitivities `∂y(tᵢ)/∂(p, y₀)` are computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Sensitivity {
    /// Forward sensitivity equations solved with the state by `ai4de-ode`
    /// ([`ai4de_ode::sensitivity::ForwardSensitivity`]: `S' = J S + ∂f/∂p`, dual numbers for the
    /// derivatives of `f`, exact block Jacobian for the stiff methods), with the sensitivities in
    /// the error control: one augmented solve per Jacobian.
    #[default]
    Forward,
    /// Central finite differences of two solves per unknown (columns in parallel), step
    /// `h = fd_step · max(|v|, fd_floor)`. Accuracy about `fd_step²` (truncation) plus
    /// `rtol / fd_step` (solver noise): about 1e-6 relative with the defaults. A checked
    /// fallback for models without dual-number right-hand sides.
    FiniteDifference,
}

/// A catalogue problem with the solver settings used to fit it.
#[derive(Debug, Clone)]
pub struct OdeModel {
    /// The catalogue entry; its parameter values are the defaults for unknowns that are not
    /// fitted.
    pub problem: Problem,
    pub method: Method,
    pub rtol: f64,
    pub atol: f64,
    pub max_steps: usize,
    pub sensitivity: Sensitivity,
    /// Relative finite-difference step (default 1e-4).
    pub fd_step: f64,
}

impl OdeModel {
    /// Defaults: [`Method::Rodas5P`] for the stiff catalogue entries, [`Method::Vern7`]
    /// otherwise; `rtol = 1e-10`, `atol = 1e-12` (tight, so that finite-difference
    /// sensitivities and the cost are not polluted by solver error).
    pub fn new(problem: Problem) -> Self {
        let method = if problem.is_stiff() {
            Method::Rodas5P
        } else {
            Method::Vern7
        };
        Self {
            problem,
            method,
            rtol: 1e-10,
            atol: 1e-12,
            max_steps: 200_000,
            sensitivity: Sensitivity::Forward,
            fd_step: 1e-4,
        }
    }

    /// Number of states.
    pub fn dim(&self) -> usize {
        self.problem.dim()
    }

    /// Parameter names in the catalogue's order.
    pub fn param_names(&self) -> Vec<String> {
        self.problem
            .params()
            .iter()
            .map(|p| p.name.to_string())
            .collect()
    }

    /// Index of parameter `name`.
    pub fn param_index(&self, name: &str) -> Result<usize, InverseError> {
        self.problem
            .params()
            .iter()
            .position(|p| p.name == name)
            .ok_or_else(|| InverseError::UnknownParameter {
                name: name.to_string(),
                known: self.param_names(),
            })
    }

    /// Index of state `name`.
    pub fn state_index(&self, name: &str) -> Result<usize, InverseError> {
        self.problem
            .state_index(name)
            .ok_or_else(|| InverseError::UnknownState {
                name: name.to_string(),
                known: self.problem.state_names.clone(),
            })
    }

    pub(crate) fn with_params(&self, p: &[f64]) -> Result<Problem, InverseError> {
        let mut prob = self.problem.clone();
        let names = self.param_names();
        for (name, &v) in names.iter().zip(p) {
            if prob.param(name) != Some(v) {
                prob.set_param(name, v)
                    .map_err(|e| InverseError::EvaluationFailed {
                        params: self.named(p),
                        reason: e.to_string(),
                    })?;
            }
        }
        Ok(prob)
    }

    pub(crate) fn named(&self, p: &[f64]) -> Vec<(String, f64)> {
        self.param_names()
            .into_iter()
            .zip(p.iter().copied())
            .collect()
    }

    /// `y(tᵢ)` (row-major, `times.len() × dim`) from `y(t0) = y0` with all parameters `p` (in
    /// the catalogue's order). `times` must be increasing and `≥ t0`.
    ///
    /// Errors: [`InverseError::EvaluationFailed`] when the solver fails (at these parameters)
    /// or a parameter value is rejected.
    pub fn solve(
        &self,
        p: &[f64],
        t0: f64,
        y0: &[f64],
        times: &[f64],
    ) -> Result<Vec<f64>, InverseError> {
        let prob = self.with_params(p)?;
        self.solve_problem(&prob, p, t0, y0, times)
    }

    fn solve_problem(
        &self,
        prob: &Problem,
        p: &[f64],
        t0: f64,
        y0: &[f64],
        times: &[f64],
    ) -> Result<Vec<f64>, InverseError> {
        let Some(&t_end) = times.last() else {
            return Ok(Vec::new());
        };
        let sol = Solve::new(prob, (t0, t_end), y0)
            .method(self.method)
            .rtol(self.rtol)
            .atol(self.atol)
            .max_steps(self.max_steps)
            .save_at(SaveAt::Times(times.to_vec()))
            .run()
            .map_err(|e| InverseError::EvaluationFailed {
                params: self.named(p),
                reason: e.to_string(),
            })?;
        if sol.t.len() != times.len() || sol.y.iter().any(|v| !v.is_finite()) {
            return Err(InverseError::NonFinite {
                what: "ODE solution",
                params: self.named(p),
            });
        }
        Ok(sol.y)
    }

    /// `y(tᵢ)` and the sensitivities `S[i][c][k] = ∂y_c(tᵢ)/∂v_k` (row-major,
    /// `times.len() × dim × (wrt_p.len() + wrt_y0.len())`) with respect to the parameters
    /// `p[wrt_p]` and then the initial states `y0[wrt_y0]`.
    pub fn solve_sens(
        &self,
        p: &[f64],
        t0: f64,
        y0: &[f64],
        times: &[f64],
        wrt_p: &[usize],
        wrt_y0: &[usize],
    ) -> Result<(Vec<f64>, Vec<f64>), InverseError> {
        if self.sensitivity == Sensitivity::Forward {
            return self.solve_forward(p, t0, y0, times, wrt_p, wrt_y0);
        }
        let y = self.solve(p, t0, y0, times)?;
        let n = self.dim();
        let nk = wrt_p.len() + wrt_y0.len();
        let nt = times.len();
        // one column per unknown, computed in parallel
        let cols: Vec<Result<Vec<f64>, InverseError>> = (0..nk)
            .into_par_iter()
            .map(|k| {
                let (base, is_p, idx) = if k < wrt_p.len() {
                    (p[wrt_p[k]], true, wrt_p[k])
                } else {
                    let i = wrt_y0[k - wrt_p.len()];
                    (y0[i], false, i)
                };
                let y_scale = y0.iter().fold(0.0f64, |a, v| a.max(v.abs()));
                let floor = if is_p {
                    1e-8
                } else {
                    (1e-2 * y_scale).max(1e-8)
                };
                let h = self.fd_step * base.abs().max(floor);
                let eval = |v: f64| -> Result<Vec<f64>, InverseError> {
                    if is_p {
                        let mut q = p.to_vec();
                        q[idx] = v;
                        self.solve(&q, t0, y0, times)
                    } else {
                        let mut z = y0.to_vec();
                        z[idx] = v;
                        self.solve(p, t0, &z, times)
                    }
                };
                let plus = eval(base + h)?;
                let minus = eval(base - h)?;
                Ok(plus
                    .iter()
                    .zip(&minus)
                    .map(|(a, b)| (a - b) / (2.0 * h))
                    .collect())
            })
            .collect();
        let mut s = vec![0.0; nt * n * nk];
        for (k, col) in cols.into_iter().enumerate() {
            let col = col?;
            for (ic, v) in col.into_iter().enumerate() {
                s[ic * nk + k] = v;
            }
        }
        Ok((y, s))
    }

    fn solve_forward(
        &self,
        p: &[f64],
        t0: f64,
        y0: &[f64],
        times: &[f64],
        wrt_p: &[usize],
        wrt_y0: &[usize],
    ) -> Result<(Vec<f64>, Vec<f64>), InverseError> {
        let Some(&t_end) = times.last() else {
            return Ok((Vec::new(), Vec::new()));
        };
        let prob = self.with_params(p)?;
        let sol = ForwardSensitivity::new(&prob, (t0, t_end), y0)
            .wrt_params(wrt_p)
            .wrt_initial_state(wrt_y0)
            .method(self.method)
            .rtol(self.rtol)
            .atol(self.atol)
            .max_steps(self.max_steps)
            .save_at(SaveAt::Times(times.to_vec()))
            .run()
            .map_err(|e| InverseError::EvaluationFailed {
                params: self.named(p),
                reason: e.to_string(),
            })?;
        let n = self.dim();
        let nk = wrt_p.len() + wrt_y0.len();
        if sol.len() != times.len() || sol.z.iter().any(|v| !v.is_finite()) {
            return Err(InverseError::NonFinite {
                what: "ODE solution or sensitivities",
                params: self.named(p),
            });
        }
        let mut y = Vec::with_capacity(times.len() * n);
        let mut s = vec![0.0; times.len() * n * nk];
        for i in 0..times.len() {
            y.extend_from_slice(sol.state(i));
            for c in 0..n {
                for k in 0..nk {
                    s[(i * n + c) * nk + k] = sol.sens(i, c, k);
                }
            }
        }
        Ok((y, s))
    }

    /// Whether the model's right-hand side is finite at `(t0, y0)` with parameters `p` (a cheap
    /// check before a fit).
    pub fn rhs_is_finite(&self, p: &[f64], t0: f64, y0: &[f64]) -> Result<bool, InverseError> {
        let prob = self.with_params(p)?;
        let mut dy = vec![0.0; self.dim()];
        prob.rhs(t0, y0, &mut dy);
        Ok(dy.iter().all(|v| v.is_finite()))
    }
}
