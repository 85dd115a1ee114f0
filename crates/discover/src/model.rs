//! A discovered model: readable equations, the JSON format of the `ai4de discover` command, and an
//! [`OdeSystem`] so the model can be simulated and compared with the data.

use std::fmt;

use ai4de_ode::OdeSystem;
use serde::{Deserialize, Serialize};

use crate::error::DiscoverError;
use crate::library::{Library, Term};
use crate::optimize::Coefficients;

/// One term of a discovered equation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TermJson {
    /// Product of variables joined by `*`, powers as `x^2`, the constant as `1`.
    pub term: String,
    pub coefficient: f64,
    /// Standard deviation over the ensemble (`null` for single fits).
    pub std: Option<f64>,
}

/// One equation: `variable' = Σ coefficient · term`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EquationJson {
    pub variable: String,
    pub terms: Vec<TermJson>,
}

/// The JSON form of a model: `{"variables": [...], "equations": [{"variable": "x", "terms":
/// [{"term": "x*y", "coefficient": -1.0, "std": null}, ...]}, ...]}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelJson {
    pub variables: Vec<String>,
    pub equations: Vec<EquationJson>,
}

/// A discovered system `lhs_j = Σ_k Ξ_jk θ_k(features)`.
#[derive(Debug, Clone)]
pub struct Model {
    /// The variables whose derivatives the equations give (`x`, `y`, ... or `u`).
    pub variables: Vec<String>,
    /// How each left-hand side is printed (`x'`, `u_t`).
    pub lhs: Vec<String>,
    pub library: Library,
    pub coefficients: Coefficients,
    /// Whether this is a PDE model (its terms use spatial derivatives; it cannot be simulated as
    /// an ODE).
    pub is_pde: bool,
}

impl Model {
    /// Term names of the library.
    pub fn term_names(&self) -> Vec<String> {
        self.library.term_names()
    }

    /// Coefficient of the term named `term` in equation `j` (0 if absent).
    pub fn coefficient(&self, j: usize, term: &str) -> f64 {
        self.term_names()
            .iter()
            .position(|n| n == term)
            .map_or(0.0, |k| self.coefficients.row(j)[k])
    }

    /// The names of the non-zero terms of equation `j`.
    pub fn support(&self, j: usize) -> Vec<String> {
        let names = self.term_names();
        self.coefficients
            .row(j)
            .iter()
            .zip(names)
            .filter(|(c, _)| **c != 0.0)
            .map(|(_, n)| n)
            .collect()
    }

    /// The JSON object (non-zero terms only).
    pub fn to_json_value(&self) -> ModelJson {
        let names = self.term_names();
        let p = self.coefficients.n_terms;
        let equations = self
            .variables
            .iter()
            .enumerate()
            .map(|(j, v)| EquationJson {
                variable: v.clone(),
                terms: (0..p)
                    .filter(|&k| self.coefficients.values[j * p + k] != 0.0)
                    .map(|k| TermJson {
                        term: names[k].clone(),
                        coefficient: self.coefficients.values[j * p + k],
                        std: self.coefficients.std.as_ref().map(|s| s[j * p + k]),
                    })
                    .collect(),
            })
            .collect();
        ModelJson {
            variables: self.variables.clone(),
            equations,
        }
    }

    /// Pretty JSON text.
    pub fn to_json(&self) -> Result<String, DiscoverError> {
        serde_json::to_string_pretty(&self.to_json_value()).map_err(|e| DiscoverError::Json {
            reason: e.to_string(),
        })
    }

    /// Reads an ODE model back from its JSON (terms must be monomials or `sin`/`cos` factors of
    /// the variables).
    pub fn from_json(text: &str) -> Result<Model, DiscoverError> {
        let j: ModelJson = serde_json::from_str(text).map_err(|e| DiscoverError::Json {
            reason: e.to_string(),
        })?;
        if j.equations.len() != j.variables.len() {
            return Err(DiscoverError::ShapeMismatch {
                what: "model equations vs variables",
                expected: format!("{} equations", j.variables.len()),
                found: format!("{} equations", j.equations.len()),
            });
        }
        let mut library = Library::new(&j.variables);
        let mut names: Vec<String> = Vec::new();
        for eq in &j.equations {
            for t in &eq.terms {
                if !names.contains(&t.term) {
                    let term = Term::parse(&t.term, &j.variables)?;
                    names.push(t.term.clone());
                    library.push(term);
                }
            }
        }
        let p = names.len();
        let m = j.variables.len();
        let mut values = vec![0.0; m * p];
        for (e, eq) in j.equations.iter().enumerate() {
            let row = j
                .variables
                .iter()
                .position(|v| *v == eq.variable)
                .ok_or_else(|| DiscoverError::UnknownTerm {
                    term: eq.variable.clone(),
                    reason: "equation for an unknown variable".into(),
                })?;
            let _ = e;
            for t in &eq.terms {
                if !t.coefficient.is_finite() {
                    return Err(DiscoverError::NonFiniteResult {
                        what: "model coefficient",
                        index: row,
                    });
                }
                let k = names
                    .iter()
                    .position(|n| *n == t.term)
                    .expect("inserted above");
                values[row * p + k] = t.coefficient;
            }
        }
        Ok(Model {
            lhs: j.variables.iter().map(|v| format!("{v}'")).collect(),
            variables: j.variables,
            library,
            is_pde: false,
            coefficients: Coefficients {
                n_targets: m,
                n_terms: p,
                values,
                std: None,
                inclusion: None,
                thresholds: vec![0.0; m],
            },
        })
    }

    /// The model as an ODE system `y' = Ξ Θ(y)` (only when the library's features are the
    /// variables themselves, i.e. not for PDE models).
    pub fn ode(&self) -> Result<DiscoveredSystem, DiscoverError> {
        if self.is_pde || self.library.features() != self.variables.as_slice() {
            return Err(DiscoverError::InvalidOption {
                name: "model",
                reason: format!(
                    "cannot simulate: the terms use features [{}] that are not the state variables [{}]",
                    self.library.features().join(", "),
                    self.variables.join(", ")
                ),
            });
        }
        let p = self.coefficients.n_terms;
        let m = self.variables.len();
        let mut used = Vec::new();
        for k in 0..p {
            let coefs: Vec<(usize, f64)> = (0..m)
                .map(|j| (j, self.coefficients.values[j * p + k]))
                .filter(|(_, c)| *c != 0.0)
                .collect();
            if !coefs.is_empty() {
                used.push((self.library.terms()[k].clone(), coefs));
            }
        }
        Ok(DiscoveredSystem {
            dim: m,
            terms: used,
        })
    }
}

/// The right-hand side of a discovered ODE model (allocation-free evaluation).
#[derive(Debug, Clone)]
pub struct DiscoveredSystem {
    dim: usize,
    /// Each used term with its `(equation, coefficient)` pairs.
    terms: Vec<(Term, Vec<(usize, f64)>)>,
}

impl OdeSystem for DiscoveredSystem {
    fn dim(&self) -> usize {
        self.dim
    }
    fn rhs(&self, _t: f64, y: &[f64], dy: &mut [f64]) {
        dy.iter_mut().for_each(|v| *v = 0.0);
        for (term, coefs) in &self.terms {
            let v = term.eval(y);
            for &(j, c) in coefs {
                dy[j] += c * v;
            }
        }
    }
    fn is_autonomous(&self) -> bool {
        true
    }
}

/// Formats a coefficient with 3 decimals, or in scientific notation when it is very small or
/// very large.
fn fmt_coef(c: f64) -> String {
    let a = c.abs();
    if a != 0.0 && !(1e-3..1e5).contains(&a) {
        format!("{a:.3e}")
    } else {
        format!("{a:.3}")
    }
}

impl fmt::Display for Model {
    /// One line per equation: `x' = -10.000 x + 10.000 y` (ensemble: `± std` after each term).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = self.term_names();
        let p = self.coefficients.n_terms;
        for (j, lhs) in self.lhs.iter().enumerate() {
            write!(f, "{lhs} =")?;
            let mut first = true;
            for k in 0..p {
                let c = self.coefficients.values[j * p + k];
                if c == 0.0 {
                    continue;
                }
                let sign = if c < 0.0 { "-" } else { "+" };
                if first {
                    write!(f, " {}{}", if c < 0.0 { "-" } else { "" }, fmt_coef(c))?;
                } else {
                    write!(f, " {sign} {}", fmt_coef(c))?;
                }
                if names[k] != "1" {
                    write!(f, " {}", names[k])?;
                }
                if let Some(s) = &self.coefficients.std {
                    write!(f, " (± {})", fmt_coef(s[j * p + k]))?;
                }
                first = false;
            }
            if first {
                write!(f, " 0")?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}
