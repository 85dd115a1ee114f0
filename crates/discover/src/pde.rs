//! PDE-FIND (Rudy, Brunton, Proctor & Kutz, "Data-driven discovery of partial differential
//! equations", Sci. Adv. 3 (2017) e1602614) for one field on a 1-D grid: `u_t = Θ(u, u_x, u_xx,
//! ...) ξ`, with the time derivative by finite differences, spatial derivatives spectrally
//! (periodic grids) or by finite differences, and the weak form ([`crate::weak::WeakPde`]) for
//! noisy data.
//!
//! ```
//! use ai4de_discover::pde::{Field1d, PdeFind};
//! // u = e^{-t} sin x + e^{-4t} cos 2x solves u_t = u_xx
//! let n = 64;
//! let x: Vec<f64> = (0..n).map(|j| j as f64 * 2.0 * std::f64::consts::PI / n as f64).collect();
//! let t: Vec<f64> = (0..60).map(|i| i as f64 * 0.01).collect();
//! let u: Vec<f64> = t
//!     .iter()
//!     .flat_map(|t| x.iter().map(move |x| (-t).exp() * x.sin() + (-4.0 * t).exp() * (2.0 * x).cos()))
//!     .collect();
//! let field = Field1d::new(t, x, u, "u", true).unwrap();
//! let model = PdeFind::default().fit(&field).unwrap();
//! assert_eq!(model.support(0), ["u_xx"]);
//! ```

use crate::derivative::{check_samples, check_uniform, spectral_derivative, Derivative};
use crate::error::{check_finite, DiscoverError};
use crate::library::Library;
use crate::model::Model;
use crate::optimize::{self, mat_from_rows, Criterion, Optimizer, Stlsq, Threshold};
use crate::weak::WeakPde;
use ai4de_ode::OdeSystem;

/// A scalar field `u(t, x)` on a tensor grid, row-major `t.len() × x.len()`.
#[derive(Debug, Clone, PartialEq)]
pub struct Field1d {
    pub t: Vec<f64>,
    pub x: Vec<f64>,
    pub u: Vec<f64>,
    pub name: String,
    /// Whether `x` is one period of a periodic domain (the point at `x_0 + L` not repeated).
    pub periodic: bool,
}

impl Field1d {
    /// Validates shape, finiteness and increasing coordinates.
    pub fn new(
        t: Vec<f64>,
        x: Vec<f64>,
        u: Vec<f64>,
        name: impl Into<String>,
        periodic: bool,
    ) -> Result<Self, DiscoverError> {
        if u.len() != t.len() * x.len() {
            return Err(DiscoverError::ShapeMismatch {
                what: "field u(t, x)",
                expected: format!("{} x {} values", t.len(), x.len()),
                found: format!("{} values", u.len()),
            });
        }
        check_samples(&t, t.len())?;
        check_samples(&x, x.len())?;
        check_finite("field", &u, x.len())?;
        Ok(Self {
            t,
            x,
            u,
            name: name.into(),
            periodic,
        })
    }
}

/// How spatial derivatives are taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpaceDerivative {
    /// Fourier (periodic, uniform grids).
    Spectral,
    /// Finite differences of the given accuracy.
    FiniteDifference { accuracy: usize },
}

/// PDE-FIND options.
#[derive(Debug, Clone, PartialEq)]
pub struct PdeFind {
    /// Time derivative (strong form).
    pub time: Derivative,
    /// Spatial derivatives (strong form).
    pub space: SpaceDerivative,
    /// Highest spatial derivative in the library.
    pub max_derivative: usize,
    /// Highest power of `u` in the library.
    pub degree: usize,
    pub optimizer: Optimizer,
    pub normalize: bool,
    /// Time rows dropped at each end (where one-sided differences are least accurate).
    pub trim: usize,
    /// Use the weak form instead of pointwise derivatives.
    pub weak: Option<WeakPde>,
}

impl Default for PdeFind {
    fn default() -> Self {
        Self {
            time: Derivative::FiniteDifference {
                order: 1,
                accuracy: 6,
            },
            space: SpaceDerivative::Spectral,
            max_derivative: 3,
            degree: 2,
            optimizer: Optimizer::Stlsq(Stlsq {
                threshold: Threshold::Select {
                    criterion: Criterion::Bic,
                    points: 30,
                },
                alpha: 1e-6,
                ..Stlsq::default()
            }),
            normalize: true,
            trim: 3,
            weak: None,
        }
    }
}

impl PdeFind {
    /// Fits `u_t = Σ ξ_k θ_k`.
    pub fn fit(&self, field: &Field1d) -> Result<Model, DiscoverError> {
        let (nt, nx) = (field.t.len(), field.x.len());
        let name = field.name.clone();
        if let Some(w) = &self.weak {
            let (rows, g, b) = w.system(&field.t, &field.x, &field.u)?;
            let names = w.term_names();
            let p = names.len();
            if rows <= p {
                return Err(DiscoverError::LibraryTooLarge { terms: p, rows });
            }
            let theta = mat_from_rows(rows, p, &g);
            let y = mat_from_rows(rows, 1, &b);
            let coefficients =
                optimize::fit(theta.as_ref(), y.as_ref(), &self.optimizer, self.normalize)?;
            let mut library = Library::new(std::slice::from_ref(&name));
            for n in names {
                // weak terms are integrals against test functions, never evaluated pointwise
                library.push_custom(n, |_| f64::NAN);
            }
            return Ok(Model {
                variables: vec![name.clone()],
                lhs: vec![format!("{name}_t")],
                library,
                coefficients,
                is_pde: true,
            });
        }
        if nt < 2 * self.trim + 8 || nx < 8 {
            return Err(DiscoverError::TooFewSamples {
                what: "PDE grid points (time x space)",
                needed: (2 * self.trim + 8) * 8,
                got: nt * nx,
            });
        }
        // u_t, column by column
        let mut ut = vec![0.0; nt * nx];
        let mut col = vec![0.0; nt];
        for j in 0..nx {
            for (i, c) in col.iter_mut().enumerate() {
                *c = field.u[i * nx + j];
            }
            let d = self.time.differentiate_1d(&field.t, &col)?;
            for i in 0..nt {
                ut[i * nx + j] = d[i];
            }
        }
        // spatial derivatives, row by row
        let md = self.max_derivative;
        let mut derivs = vec![vec![0.0; nt * nx]; md];
        for i in 0..nt {
            let row = &field.u[i * nx..(i + 1) * nx];
            for (m, dm) in derivs.iter_mut().enumerate() {
                let d = match self.space {
                    SpaceDerivative::Spectral => {
                        if !field.periodic {
                            return Err(DiscoverError::InvalidOption {
                                name: "space derivative",
                                reason: "spectral differentiation needs a periodic field".into(),
                            });
                        }
                        let h = check_uniform("spectral differentiation", &field.x)?;
                        spectral_derivative(row, h * nx as f64, m + 1)
                    }
                    SpaceDerivative::FiniteDifference { accuracy } => {
                        Derivative::FiniteDifference {
                            order: m + 1,
                            accuracy,
                        }
                        .differentiate_1d(&field.x, row)?
                    }
                };
                dm[i * nx..(i + 1) * nx].copy_from_slice(&d);
            }
        }
        let dnames: Vec<String> = (1..=md)
            .map(|m| format!("{name}_{}", "x".repeat(m)))
            .collect();
        let library = Library::pde(std::slice::from_ref(&name), &dnames, self.degree)?;
        let p = library.len();
        let nf = 1 + md;
        let rows_t = nt - 2 * self.trim;
        let rows = rows_t * nx;
        if rows <= p {
            return Err(DiscoverError::LibraryTooLarge { terms: p, rows });
        }
        let mut theta = Vec::with_capacity(rows * p);
        let mut target = Vec::with_capacity(rows);
        let mut feat = vec![0.0; nf];
        let mut trow = vec![0.0; p];
        for i in self.trim..nt - self.trim {
            for j in 0..nx {
                let k = i * nx + j;
                feat[0] = field.u[k];
                for m in 0..md {
                    feat[1 + m] = derivs[m][k];
                }
                library.eval_row(&feat, &mut trow);
                theta.extend_from_slice(&trow);
                target.push(ut[k]);
            }
        }
        let theta = mat_from_rows(rows, p, &theta);
        let y = mat_from_rows(rows, 1, &target);
        // rows are time-major: neighbours in x are 1 row apart, neighbours in t are nx rows
        let coefficients = optimize::fit_on_grid(
            theta.as_ref(),
            y.as_ref(),
            &self.optimizer,
            self.normalize,
            &[1, nx],
        )?;
        Ok(Model {
            variables: vec![name.clone()],
            lhs: vec![format!("{name}_t")],
            library,
            coefficients,
            is_pde: true,
        })
    }
}

/// A strong-form PDE model `u_t = Σ ξ_k θ_k(u, u_x, u_xx, …)` on a periodic uniform grid as an
/// ODE system (method of lines, spectral derivatives), so that the discovered equation can be
/// simulated and compared with the data it came from. Built by [`Model::pde_system`].
#[derive(Debug, Clone)]
pub struct DiscoveredPde {
    n: usize,
    period: f64,
    max_derivative: usize,
    terms: Vec<(crate::library::Term, f64)>,
}

impl Model {
    /// The model as an ODE system on the periodic grid `x` (uniform, one period, the end point
    /// not repeated), for a strong-form PDE-FIND model.
    ///
    /// # Errors
    /// [`DiscoverError::InvalidOption`] for a model that is not a PDE model, a weak-form model
    /// (its terms are integrals, not pointwise functions) or a grid that is not uniform.
    pub fn pde_system(&self, x: &[f64]) -> Result<DiscoveredPde, DiscoverError> {
        let invalid = |reason: String| DiscoverError::InvalidOption {
            name: "model",
            reason,
        };
        if !self.is_pde || self.variables.len() != 1 {
            return Err(invalid(
                "cannot simulate as a PDE: not a one-field PDE-FIND model".into(),
            ));
        }
        let features = self.library.features();
        let max_derivative = features.len().saturating_sub(1);
        let probe = vec![1.0; features.len()];
        let mut terms = Vec::new();
        for (k, term) in self.library.terms().iter().enumerate() {
            let c = self.coefficients.values[k];
            if c == 0.0 {
                continue;
            }
            if !term.eval(&probe).is_finite() {
                return Err(invalid(format!(
                    "cannot simulate term '{}' pointwise (a weak-form model); refit with a strong-form derivative to simulate",
                    term.name(features)
                )));
            }
            terms.push((term.clone(), c));
        }
        let h = check_uniform("PDE simulation", x)?;
        if x.len() < 4 {
            return Err(invalid(format!(
                "a grid of {} points is too small",
                x.len()
            )));
        }
        Ok(DiscoveredPde {
            n: x.len(),
            period: h * x.len() as f64,
            max_derivative,
            terms,
        })
    }
}

impl OdeSystem for DiscoveredPde {
    fn dim(&self) -> usize {
        self.n
    }
    fn rhs(&self, _t: f64, u: &[f64], du: &mut [f64]) {
        let derivs: Vec<Vec<f64>> = (1..=self.max_derivative)
            .map(|m| spectral_derivative(u, self.period, m))
            .collect();
        let mut feat = vec![0.0; 1 + self.max_derivative];
        for j in 0..self.n {
            feat[0] = u[j];
            for (m, d) in derivs.iter().enumerate() {
                feat[1 + m] = d[j];
            }
            du[j] = self.terms.iter().map(|(t, c)| c * t.eval(&feat)).sum();
        }
    }
    fn is_autonomous(&self) -> bool {
        true
    }
}

/// The exact Burgers solution `u_t + u u_x = ν u_xx` on `[0, 2π)` by the Cole–Hopf transform
/// (Cole 1951, Hopf 1950): `u = −2ν φ_x/φ` with the heat solution
/// `φ = c + Σ_k a_k cos(k x + b_k) e^{−ν k² t}` (positive when `c > Σ|a_k|`).
pub fn burgers_cole_hopf(nu: f64, t: &[f64], x: &[f64]) -> Vec<f64> {
    const MODES: [(f64, f64, f64); 3] = [(1.0, 1.0, 0.0), (2.0, 0.6, 1.0), (3.0, 0.3, 2.0)];
    let c = 2.2;
    let mut u = Vec::with_capacity(t.len() * x.len());
    for &tt in t {
        for &xx in x {
            let (mut phi, mut phix) = (c, 0.0);
            for (k, a, b) in MODES {
                let e = (-nu * k * k * tt).exp();
                phi += a * (k * xx + b).cos() * e;
                phix -= a * k * (k * xx + b).sin() * e;
            }
            u.push(-2.0 * nu * phix / phi);
        }
    }
    u
}
