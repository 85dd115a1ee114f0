//! SINDy for ODE time series: derivative (or weak form) + library + sparse regression → [`Model`].

use crate::derivative::{check_samples, Derivative};
use crate::error::{check_finite, DiscoverError};
use crate::library::Library;
use crate::model::Model;
use crate::optimize::{self, Optimizer, Stlsq};
use crate::weak::WeakForm;

/// A sampled trajectory: times `t` and states `y` (row-major, `t.len() × names.len()`).
#[derive(Debug, Clone, PartialEq)]
pub struct TimeSeries {
    pub t: Vec<f64>,
    pub y: Vec<f64>,
    pub names: Vec<String>,
}

impl TimeSeries {
    /// Validates shapes, finiteness and increasing times.
    pub fn new(t: Vec<f64>, y: Vec<f64>, names: Vec<String>) -> Result<Self, DiscoverError> {
        let dim = names.len();
        if dim == 0 {
            return Err(DiscoverError::ShapeMismatch {
                what: "variable names",
                expected: "at least one variable".into(),
                found: "none".into(),
            });
        }
        if y.len() != t.len() * dim {
            return Err(DiscoverError::ShapeMismatch {
                what: "states vs times",
                expected: format!(
                    "{} x {dim} values ({} times, {dim} variables)",
                    t.len(),
                    t.len()
                ),
                found: format!("{} values", y.len()),
            });
        }
        check_finite("states", &y, dim)?;
        check_samples(&t, t.len())?;
        Ok(Self { t, y, names })
    }

    pub fn dim(&self) -> usize {
        self.names.len()
    }
    pub fn len(&self) -> usize {
        self.t.len()
    }
    pub fn is_empty(&self) -> bool {
        self.t.is_empty()
    }

    /// The series with Gaussian noise of standard deviation `level × std(component)` added to
    /// every component (ChaCha8 stream seeded by `seed`, so runs are reproducible).
    pub fn with_noise(&self, level: f64, seed: u64) -> Result<TimeSeries, DiscoverError> {
        use rand::SeedableRng;
        use rand_distr::{Distribution, Normal};
        if !(level.is_finite() && level >= 0.0) {
            return Err(DiscoverError::InvalidOption {
                name: "noise",
                reason: format!("level must be a finite number >= 0, got {level}"),
            });
        }
        let (n, d) = (self.len(), self.dim());
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let mut y = self.y.clone();
        for c in 0..d {
            let mean = (0..n).map(|i| self.y[i * d + c]).sum::<f64>() / n as f64;
            let var = (0..n)
                .map(|i| (self.y[i * d + c] - mean).powi(2))
                .sum::<f64>()
                / n as f64;
            let sd = level * var.sqrt();
            if sd > 0.0 {
                let normal = Normal::new(0.0, sd).map_err(|e| DiscoverError::InvalidOption {
                    name: "noise",
                    reason: e.to_string(),
                })?;
                for i in 0..n {
                    y[i * d + c] += normal.sample(&mut rng);
                }
            }
        }
        Ok(TimeSeries {
            t: self.t.clone(),
            y,
            names: self.names.clone(),
        })
    }

    /// Rows `a..b` as a new series.
    pub fn slice(&self, a: usize, b: usize) -> TimeSeries {
        let d = self.dim();
        TimeSeries {
            t: self.t[a..b].to_vec(),
            y: self.y[a * d..b * d].to_vec(),
            names: self.names.clone(),
        }
    }
}

/// How `ẋ` enters the regression.
#[derive(Debug, Clone, PartialEq)]
pub enum Differentiation {
    /// Pointwise derivative estimates as targets.
    Pointwise(Derivative),
    /// The weak (integral) form.
    Weak(WeakForm),
}

impl Differentiation {
    pub fn name(&self) -> &'static str {
        match self {
            Differentiation::Pointwise(d) => d.name(),
            Differentiation::Weak(_) => "weak",
        }
    }
}

/// SINDy options (Brunton, Proctor & Kutz, PNAS 113 (2016) 3932).
///
/// ```
/// use ai4de_discover::{Library, Sindy, TimeSeries};
/// // x' = -2 x, sampled exactly
/// let t: Vec<f64> = (0..200).map(|i| i as f64 * 0.01).collect();
/// let y: Vec<f64> = t.iter().map(|t| (-2.0 * t).exp()).collect();
/// let data = TimeSeries::new(t, y, vec!["x".into()]).unwrap();
/// let lib = Library::polynomial(&["x"], 2, true, true).unwrap();
/// let model = Sindy::default().fit(&data, &lib).unwrap();
/// assert_eq!(model.support(0), ["x"]);
/// assert!((model.coefficient(0, "x") + 2.0).abs() < 1e-3);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Sindy {
    pub differentiation: Differentiation,
    pub optimizer: Optimizer,
    /// Scale library columns to unit norm before thresholding.
    pub normalize: bool,
}

impl Default for Sindy {
    fn default() -> Self {
        Self {
            differentiation: Differentiation::Pointwise(Derivative::FiniteDifference {
                order: 1,
                accuracy: 4,
            }),
            optimizer: Optimizer::Stlsq(Stlsq::default()),
            normalize: false,
        }
    }
}

impl Sindy {
    /// Fits one trajectory.
    pub fn fit(&self, data: &TimeSeries, library: &Library) -> Result<Model, DiscoverError> {
        self.fit_many(std::slice::from_ref(data), library)
    }

    /// Fits several trajectories of the same system together (their rows are stacked).
    pub fn fit_many(&self, data: &[TimeSeries], library: &Library) -> Result<Model, DiscoverError> {
        let first = data.first().ok_or(DiscoverError::TooFewSamples {
            what: "trajectories",
            needed: 1,
            got: 0,
        })?;
        let names = first.names.clone();
        if library.features() != names.as_slice() {
            return Err(DiscoverError::ShapeMismatch {
                what: "library features vs data variables",
                expected: names.join(","),
                found: library.features().join(","),
            });
        }
        if library.is_empty() {
            return Err(DiscoverError::EmptyLibrary);
        }
        let dim = names.len();
        let p = library.len();
        // per trajectory: the library block (either the states to evaluate Θ on, or the weak
        // form's rows of Θ already integrated) and the targets, row-major
        enum Block {
            States(usize),
            Weak(Vec<f64>),
        }
        let mut blocks: Vec<(Block, Vec<f64>)> = Vec::with_capacity(data.len());
        for (k, d) in data.iter().enumerate() {
            if d.names != names {
                return Err(DiscoverError::ShapeMismatch {
                    what: "variables of the trajectories",
                    expected: names.join(","),
                    found: d.names.join(","),
                });
            }
            blocks.push(match &self.differentiation {
                Differentiation::Pointwise(der) => {
                    (Block::States(k), der.differentiate(&d.t, &d.y, dim)?)
                }
                Differentiation::Weak(w) => {
                    let ws = w.system(&d.t, &d.y, dim, library)?;
                    (Block::Weak(ws.g), ws.b)
                }
            });
        }
        let rows: usize = blocks.iter().map(|b| b.1.len() / dim).sum();
        if rows <= p {
            return Err(DiscoverError::LibraryTooLarge { terms: p, rows });
        }
        // Θ and Ẋ column-major, built once: the regression only reads them through the Gram
        // matrix and column slices
        let mut theta = faer::Mat::<f64>::zeros(rows, p);
        let mut y = faer::Mat::<f64>::zeros(rows, dim);
        let mut r0 = 0;
        for (block, targets) in &blocks {
            let nr = targets.len() / dim;
            match block {
                Block::States(k) => {
                    library.matrix_into(&data[*k].y, theta.as_mut().subrows_mut(r0, nr))?;
                }
                Block::Weak(g) => {
                    if let Some(k) = g.iter().position(|v| !v.is_finite()) {
                        return Err(DiscoverError::NonFiniteResult {
                            what: "library column",
                            index: k % p,
                        });
                    }
                    for c in 0..p {
                        for i in 0..nr {
                            theta[(r0 + i, c)] = g[i * p + c];
                        }
                    }
                }
            }
            for c in 0..dim {
                for i in 0..nr {
                    y[(r0 + i, c)] = targets[i * dim + c];
                }
            }
            r0 += nr;
        }
        let coefficients =
            optimize::fit(theta.as_ref(), y.as_ref(), &self.optimizer, self.normalize)?;
        Ok(Model {
            lhs: names.iter().map(|v| format!("{v}'")).collect(),
            variables: names,
            library: library.clone(),
            coefficients,
            is_pde: false,
        })
    }
}
