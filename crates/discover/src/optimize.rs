//! Sparse regression: sequentially thresholded least squares (STLSQ) with ridge, SR3 (relaxed
//! L0/L1), ensemble SINDy, and selection of the threshold by an information criterion or
//! cross-validation.
//!
//! All optimisers solve `Y ≈ Θ Ξ` column by column (one equation per target) on a
//! [`crate::regress::Design`], whose cached Gram matrix makes each inner solve cost `O(k³)` in the
//! number `k` of active terms, independent of the number of samples.

use faer::{Mat, MatRef};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::error::DiscoverError;
use crate::regress::Design;

/// How the threshold is chosen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Threshold {
    /// One fixed threshold for every equation.
    Fixed(f64),
    /// Per equation, the threshold on a log-spaced path of `points` values between the smallest
    /// and largest least-squares coefficient magnitude that minimises the criterion.
    Select { criterion: Criterion, points: usize },
}

/// Model-selection criteria (Mangan et al., "Model selection for dynamical systems via sparse
/// regression and information criteria", Proc. R. Soc. A 473 (2017) 20170009).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Criterion {
    /// Corrected Akaike criterion `n ln(RSS/n) + 2k + 2k(k+1)/(n−k−1)`.
    Aic,
    /// Bayesian criterion `n ln(RSS/n) + k ln n`.
    Bic,
    /// `folds`-fold cross-validation over contiguous blocks of rows (mean held-out squared
    /// error), taking the sparsest model within 1 % of the best score.
    CrossValidation { folds: usize },
}

/// STLSQ (Brunton, Proctor & Kutz, "Discovering governing equations from data by sparse
/// identification of nonlinear dynamical systems", PNAS 113 (2016) 3932–3937), with the ridge
/// term and final unbiasing of PySINDy's `STLSQ`: repeat `ξ_S = (Θ_SᵀΘ_S + αI)⁻¹Θ_Sᵀy`,
/// `S = {i : |ξ_i| ≥ τ}` until `S` stops changing, then refit plain least squares on `S`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stlsq {
    pub threshold: Threshold,
    /// Ridge parameter `α` (PySINDy's default 0.05).
    pub alpha: f64,
    pub max_iter: usize,
    /// Refit plain least squares on the final support.
    pub unbias: bool,
}

impl Default for Stlsq {
    fn default() -> Self {
        Self {
            threshold: Threshold::Fixed(0.1),
            alpha: 0.05,
            max_iter: 20,
            unbias: true,
        }
    }
}

/// The sparsity-promoting penalty of [`Sr3`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Penalty {
    /// `λ‖w‖₀` with `λ = τ²/(2ν)`: the proximal step is hard thresholding at `τ`.
    L0,
    /// `λ‖w‖₁` with `λ = τ/ν`: the proximal step is soft thresholding at `τ`.
    L1,
}

/// SR3, sparse relaxed regularised regression (Zheng, Askham, Brunton, Kutz & Aravkin, "A unified
/// framework for sparse relaxed regularized regression: SR3", IEEE Access 7 (2019) 1404–1423;
/// Champion et al., "A unified sparse optimization framework to learn parsimonious physics-informed
/// models from data", IEEE Access 8 (2020) 169259): minimise
/// `½‖y − Θξ‖² + λR(w) + ‖ξ − w‖²/(2ν)` by alternating `ξ = (ΘᵀΘ + I/ν)⁻¹(Θᵀy + w/ν)` (one
/// Cholesky factor for all iterations) and `w = prox_{νλR}(ξ)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sr3 {
    /// Coefficient threshold `τ` of the proximal step.
    pub threshold: f64,
    /// Relaxation `ν`.
    pub nu: f64,
    pub penalty: Penalty,
    pub max_iter: usize,
    /// Stop when `max |w_new − w| ≤ tol · max(1, max |w|)`.
    pub tol: f64,
    /// Refit plain least squares on the support of `w`.
    pub unbias: bool,
}

impl Default for Sr3 {
    fn default() -> Self {
        Self {
            threshold: 0.1,
            nu: 1.0,
            penalty: Penalty::L0,
            max_iter: 1000,
            tol: 1e-10,
            unbias: true,
        }
    }
}

/// Ensemble SINDy (Fasel, Kutz, Brunton & Brunton, "Ensemble-SINDy: robust sparse model discovery
/// in the low-data, high-noise limit, with active learning and control", Proc. R. Soc. A 478
/// (2022) 20210904): STLSQ on `models` bootstrap resamples of the rows (and, with `drop_terms >
/// 0`, each on a library with that many random terms left out). Reports the inclusion probability
/// of every term and the spread (standard deviation) of its coefficient over the models that
/// include it; the final model keeps the terms included in at least `inclusion` of the models,
/// with their median coefficient over those models ("bragging").
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ensemble {
    pub base: Stlsq,
    pub models: usize,
    pub drop_terms: usize,
    pub inclusion: f64,
    pub seed: u64,
}

impl Default for Ensemble {
    fn default() -> Self {
        Self {
            base: Stlsq::default(),
            models: 50,
            drop_terms: 0,
            inclusion: 0.5,
            seed: 0,
        }
    }
}

/// The optimiser of a fit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Optimizer {
    Stlsq(Stlsq),
    Sr3(Sr3),
    Ensemble(Ensemble),
}

impl Optimizer {
    /// Short name (`stlsq`, `sr3`, `ensemble`).
    pub fn name(&self) -> &'static str {
        match self {
            Optimizer::Stlsq(_) => "stlsq",
            Optimizer::Sr3(_) => "sr3",
            Optimizer::Ensemble(_) => "ensemble",
        }
    }
}

/// Coefficients of a fit: `m` equations × `p` terms, row-major, in the units of the data.
#[derive(Debug, Clone, PartialEq)]
pub struct Coefficients {
    pub n_targets: usize,
    pub n_terms: usize,
    pub values: Vec<f64>,
    /// Standard deviation over the ensemble (ensemble only).
    pub std: Option<Vec<f64>>,
    /// Fraction of ensemble models that include each term (ensemble only).
    pub inclusion: Option<Vec<f64>>,
    /// The threshold used for each equation.
    pub thresholds: Vec<f64>,
}

impl Coefficients {
    /// Coefficients of equation `j`.
    pub fn row(&self, j: usize) -> &[f64] {
        &self.values[j * self.n_terms..(j + 1) * self.n_terms]
    }
}

/// Fits `Y ≈ Θ Ξ` (`theta`: `n × p`, `y`: `n × m`) with the given optimiser; consecutive rows
/// are neighbours (a time series). See [`fit_on_grid`] for rows that sample a grid.
pub fn fit(
    theta: MatRef<'_, f64>,
    y: MatRef<'_, f64>,
    optimizer: &Optimizer,
    normalize: bool,
) -> Result<Coefficients, DiscoverError> {
    fit_on_grid(theta, y, optimizer, normalize, &[1])
}

/// [`fit`] for rows that sample a grid: `strides` are the row offsets between neighbours along
/// each grid axis (`[1, nx]` for a field `u(t, x)` stored time-major, `[1]` for a time series).
/// Threshold selection by an information criterion counts the residuals' effective number of
/// independent rows from their correlation along these axes ([`effective_rows`]).
pub fn fit_on_grid(
    theta: MatRef<'_, f64>,
    y: MatRef<'_, f64>,
    optimizer: &Optimizer,
    normalize: bool,
    strides: &[usize],
) -> Result<Coefficients, DiscoverError> {
    let (n, p, m) = (theta.nrows(), theta.ncols(), y.ncols());
    if p == 0 {
        return Err(DiscoverError::EmptyLibrary);
    }
    if y.nrows() != n {
        return Err(DiscoverError::ShapeMismatch {
            what: "library rows vs targets",
            expected: format!("{n} rows"),
            found: format!("{} rows", y.nrows()),
        });
    }
    if n <= p {
        return Err(DiscoverError::LibraryTooLarge { terms: p, rows: n });
    }
    let design = Design::new(theta, y, None, normalize);
    // a non-finite entry of Θ makes its Gram diagonal non-finite, one of Y makes its column of
    // ΘᵀY non-finite (0·∞ and 0·NaN are NaN): an O(p²) check; locate the culprit only on failure
    if !design.is_finite() {
        for (what, a) in [("library matrix", theta), ("targets", y)] {
            for j in 0..a.ncols() {
                for i in 0..a.nrows() {
                    let v = a[(i, j)];
                    if !v.is_finite() {
                        return Err(DiscoverError::NonFinite {
                            what,
                            row: i,
                            col: j,
                            value: v,
                        });
                    }
                }
            }
        }
        return Err(DiscoverError::NonFiniteResult {
            what: "Gram matrix (library values overflow when squared)",
            index: 0,
        });
    }
    match optimizer {
        Optimizer::Stlsq(s) => {
            validate_stlsq(s)?;
            let mut values = vec![0.0; m * p];
            let mut thresholds = vec![0.0; m];
            for j in 0..m {
                let (xi, tau) = stlsq_select(&design, theta, y, j, s, normalize, strides)?;
                values[j * p..(j + 1) * p].copy_from_slice(&xi);
                thresholds[j] = tau;
            }
            Ok(Coefficients {
                n_targets: m,
                n_terms: p,
                values,
                std: None,
                inclusion: None,
                thresholds,
            })
        }
        Optimizer::Sr3(s) => {
            if !(s.threshold.is_finite() && s.threshold >= 0.0 && s.nu.is_finite() && s.nu > 0.0) {
                return Err(DiscoverError::InvalidOption {
                    name: "sr3",
                    reason: format!(
                        "threshold must be >= 0 and nu > 0; got {}, {}",
                        s.threshold, s.nu
                    ),
                });
            }
            let values = sr3(&design, s)?;
            Ok(Coefficients {
                n_targets: m,
                n_terms: p,
                values,
                std: None,
                inclusion: None,
                thresholds: vec![s.threshold; m],
            })
        }
        Optimizer::Ensemble(e) => ensemble(theta, y, &design, e, normalize, strides),
    }
}

fn validate_stlsq(s: &Stlsq) -> Result<(), DiscoverError> {
    let ok_tau = match s.threshold {
        Threshold::Fixed(t) => t.is_finite() && t >= 0.0,
        Threshold::Select { points, criterion } => {
            points >= 2
                && match criterion {
                    Criterion::CrossValidation { folds } => folds >= 2,
                    _ => true,
                }
        }
    };
    if !(ok_tau && s.alpha.is_finite() && s.alpha >= 0.0) || s.max_iter == 0 {
        return Err(DiscoverError::InvalidOption {
            name: "stlsq",
            reason: format!(
                "threshold must be >= 0 (selection: >= 2 points, >= 2 folds), alpha >= 0, max_iter >= 1; got {:?}, alpha {}, max_iter {}",
                s.threshold, s.alpha, s.max_iter
            ),
        });
    }
    Ok(())
}

/// STLSQ for one target at one threshold, in scaled coordinates; returns unscaled coefficients.
pub(crate) fn stlsq_one(
    design: &Design<'_>,
    j: usize,
    tau: f64,
    s: &Stlsq,
    allowed: Option<&[bool]>,
) -> Result<Vec<f64>, DiscoverError> {
    let p = design.n_terms();
    let mut active: Vec<usize> = (0..p).filter(|&i| allowed.is_none_or(|a| a[i])).collect();
    let mut xi = vec![0.0; p];
    for _ in 0..s.max_iter {
        if active.is_empty() {
            break;
        }
        let c = design.solve(j, &active, s.alpha)?;
        xi.iter_mut().for_each(|v| *v = 0.0);
        for (&i, &v) in active.iter().zip(&c) {
            xi[i] = v;
        }
        let next: Vec<usize> = active
            .iter()
            .copied()
            .filter(|&i| xi[i].abs() >= tau)
            .collect();
        let done = next.len() == active.len();
        active = next;
        if done {
            break;
        }
    }
    xi.iter_mut().enumerate().for_each(|(i, v)| {
        if !active.contains(&i) {
            *v = 0.0
        }
    });
    if s.unbias && !active.is_empty() {
        let c = design.solve(j, &active, 0.0)?;
        for (&i, &v) in active.iter().zip(&c) {
            xi[i] = v;
        }
    }
    let scale = design.scale();
    Ok(xi.iter().zip(scale).map(|(v, d)| v / d).collect())
}

fn stlsq_select(
    design: &Design<'_>,
    theta: MatRef<'_, f64>,
    y: MatRef<'_, f64>,
    j: usize,
    s: &Stlsq,
    normalize: bool,
    strides: &[usize],
) -> Result<(Vec<f64>, f64), DiscoverError> {
    let (criterion, points) = match s.threshold {
        Threshold::Fixed(tau) => return Ok((stlsq_one(design, j, tau, s, None)?, tau)),
        Threshold::Select { criterion, points } => (criterion, points),
    };
    let taus = threshold_path(design, j, s.alpha, points)?;
    let n = design.n_rows() as f64;
    // information criteria count independent residuals: use the effective sample size of the
    // full model's residual (see `effective_rows`)
    let n_eff = match criterion {
        Criterion::Aic | Criterion::Bic => {
            let full = stlsq_one(design, j, 0.0, s, None)?;
            effective_rows(theta, y, j, &full, strides).max((design.n_terms() as f64 + 2.0).min(n))
        }
        Criterion::CrossValidation { .. } => n,
    };
    // RSS below this floor (relative residual 1e-5) counts as exact: then the sparsest exact model
    // wins instead of one that fits quadrature or rounding errors with extra terms
    let yy: f64 = (0..y.nrows()).map(|i| y[(i, j)] * y[(i, j)]).sum();
    let floor = (1e-10 * yy).max(1e-300);
    let folds = match criterion {
        Criterion::CrossValidation { folds } => cv_designs(theta, y, normalize, folds)?,
        _ => Vec::new(),
    };
    let mut scored: Vec<(f64, usize, f64, Vec<f64>)> = Vec::with_capacity(taus.len());
    for &tau in &taus {
        let xi = stlsq_one(design, j, tau, s, None)?;
        let k = xi.iter().filter(|v| **v != 0.0).count();
        let score = match criterion {
            Criterion::Aic | Criterion::Bic => {
                let rss = design.rss(j, &xi).max(floor);
                let ne = n_eff;
                let base = ne * (rss / n).ln();
                let k = k as f64;
                if criterion == Criterion::Bic {
                    base + k * ne.ln()
                } else {
                    base + 2.0 * k
                        + if ne - k - 1.0 > 0.0 {
                            2.0 * k * (k + 1.0) / (ne - k - 1.0)
                        } else {
                            f64::INFINITY
                        }
                }
            }
            Criterion::CrossValidation { .. } => {
                let mut total = 0.0;
                for (d, a, b) in &folds {
                    let xi = stlsq_one(d, j, tau, s, None)?;
                    for i in *a..*b {
                        let pred: f64 = (0..theta.ncols()).map(|c| theta[(i, c)] * xi[c]).sum();
                        total += (y[(i, j)] - pred).powi(2);
                    }
                }
                (total / n).max(floor / n)
            }
        };
        scored.push((score, k, tau, xi));
    }
    let best = scored.iter().map(|s| s.0).fold(f64::INFINITY, f64::min);
    // CV: the sparsest model within 1 % of the best; AIC/BIC: the minimum (ties → sparsest)
    let slack = match criterion {
        Criterion::CrossValidation { .. } => 0.01 * best.abs(),
        _ => 0.0,
    };
    let chosen = scored
        .into_iter()
        .filter(|s| s.0 <= best + slack)
        .min_by(|a, b| a.1.cmp(&b.1).then(a.0.total_cmp(&b.0)))
        .expect("the path has at least two points");
    Ok((chosen.3, chosen.2))
}

/// Effective number of independent residuals, `n Π_d (1 − ρ_d)/(1 + ρ_d)`, with `ρ_d ∈ [0, 1)`
/// the autocorrelation of the residual `y_j − Θξ` between neighbouring rows along grid axis `d`
/// (rows `strides[d]` apart): the AR(1) correction of Bretherton, Widmann, Dymnikov, Wallace &
/// Bladé, "The effective number of spatial degrees of freedom of a time-varying field",
/// J. Climate 12 (1999) 1990–2009, eq. 31, taken axis by axis (separable correlation).
/// Negative correlations count as none (`n_eff ≤ n`).
///
/// Why: AIC and BIC (`n ln(RSS/n) + penalty(k)`) assume `n` independent errors. On noisy data
/// the residual is close to white (`ρ ≈ 0`) and nothing changes. On nearly exact data the
/// residual is the systematic error of the derivative estimates and of the solver that made the
/// data, and it is correlated: on the Kuramoto–Sivashinsky test data (256 × 401 grid) it
/// oscillates from grid point to grid point in space (`ρ_x = −0.59`) but is almost frozen in
/// time (`ρ_t = 0.992`), so the 10⁵ rows carry about 400 independent residuals. Counting 10⁵,
/// four spurious terms that remove 0.5 % of that error gain `10⁵ · 0.005 ≈ 550` against a BIC
/// penalty of `4 ln 10⁵ ≈ 46` and are kept; counting 400 they gain 2 against 24 and are not.
/// (A held-out validation set, as in Mangan et al. 2017, does not help here: the spurious terms
/// lower the held-out error of every fold by the same 0.5 %.)
pub fn effective_rows(
    theta: MatRef<'_, f64>,
    y: MatRef<'_, f64>,
    j: usize,
    xi: &[f64],
    strides: &[usize],
) -> f64 {
    let n = theta.nrows();
    let mut r: Vec<f64> = (0..n).map(|i| y[(i, j)]).collect();
    for (c, &v) in xi.iter().enumerate() {
        if v != 0.0 {
            let col = theta.col(c);
            for (i, ri) in r.iter_mut().enumerate() {
                *ri -= col[i] * v;
            }
        }
    }
    let lag0: f64 = r.iter().map(|v| v * v).sum();
    if !(lag0 > 0.0 && lag0.is_finite()) {
        return n as f64;
    }
    let mut factor = 1.0;
    for &s in strides {
        if s == 0 || s >= n {
            continue;
        }
        let lag: f64 = r.iter().zip(&r[s..]).map(|(a, b)| a * b).sum();
        let rho = (lag / lag0).clamp(0.0, 1.0);
        factor *= (1.0 - rho) / (1.0 + rho);
    }
    n as f64 * factor
}

/// Log-spaced thresholds from just below the smallest to just above the largest magnitude of the
/// ridge solution on all terms (scaled coordinates), plus 0.
fn threshold_path(
    design: &Design<'_>,
    j: usize,
    alpha: f64,
    points: usize,
) -> Result<Vec<f64>, DiscoverError> {
    let all: Vec<usize> = (0..design.n_terms()).collect();
    let c = design.solve(j, &all, alpha)?;
    let mags: Vec<f64> = c.iter().map(|v| v.abs()).filter(|v| *v > 0.0).collect();
    if mags.is_empty() {
        return Ok(vec![0.0, 1.0]);
    }
    let lo = mags
        .iter()
        .cloned()
        .fold(f64::INFINITY, f64::min)
        .max(1e-12)
        * 0.5;
    let hi = mags.iter().cloned().fold(0.0, f64::max) * 1.01;
    let mut taus = vec![0.0];
    for i in 0..points {
        let f = i as f64 / (points - 1).max(1) as f64;
        taus.push(lo * (hi / lo).powf(f));
    }
    Ok(taus)
}

/// The training designs of `folds` contiguous held-out blocks, with the block bounds.
fn cv_designs<'a>(
    theta: MatRef<'a, f64>,
    y: MatRef<'a, f64>,
    normalize: bool,
    folds: usize,
) -> Result<Vec<(Design<'a>, usize, usize)>, DiscoverError> {
    let n = theta.nrows();
    if n < 2 * folds {
        return Err(DiscoverError::TooFewSamples {
            what: "cross-validation folds",
            needed: 2 * folds,
            got: n,
        });
    }
    Ok((0..folds)
        .map(|f| {
            let (a, b) = (f * n / folds, (f + 1) * n / folds);
            let w: Vec<f64> = (0..n)
                .map(|i| if i >= a && i < b { 0.0 } else { 1.0 })
                .collect();
            (Design::new(theta, y, Some(w), normalize), a, b)
        })
        .collect())
}

fn sr3(design: &Design<'_>, s: &Sr3) -> Result<Vec<f64>, DiscoverError> {
    use faer::prelude::*;
    let p = design.n_terms();
    let m = design.n_targets();
    let g = design.gram();
    let h = Mat::<f64>::from_fn(p, p, |a, b| {
        g[(a, b)] + if a == b { 1.0 / s.nu } else { 0.0 }
    });
    let llt = h
        .llt(faer::Side::Lower)
        .map_err(|_| DiscoverError::SolveFailed {
            equation: 0,
            reason: "SR3 system ΘᵀΘ + I/ν is not positive definite".into(),
        })?;
    let mut out = vec![0.0; m * p];
    let all: Vec<usize> = (0..p).collect();
    for j in 0..m {
        // start from least squares (as PySINDy: w initialised with the ridge solution)
        let mut w = design.solve(j, &all, 1e-12)?;
        let mut rhs = Mat::<f64>::zeros(p, 1);
        for _ in 0..s.max_iter {
            for i in 0..p {
                rhs[(i, 0)] = design.rhs()[(i, j)] + w[i] / s.nu;
            }
            let xi = llt.solve(&rhs);
            let mut change = 0.0f64;
            let mut wmax = 0.0f64;
            for i in 0..p {
                let v = xi[(i, 0)];
                let nw = match s.penalty {
                    Penalty::L0 => {
                        if v.abs() >= s.threshold {
                            v
                        } else {
                            0.0
                        }
                    }
                    Penalty::L1 => v.signum() * (v.abs() - s.threshold).max(0.0),
                };
                change = change.max((nw - w[i]).abs());
                wmax = wmax.max(nw.abs());
                w[i] = nw;
            }
            if change <= s.tol * wmax.max(1.0) {
                break;
            }
        }
        let active: Vec<usize> = (0..p).filter(|&i| w[i] != 0.0).collect();
        if s.unbias && !active.is_empty() {
            let c = design.solve(j, &active, 0.0)?;
            w.iter_mut().for_each(|v| *v = 0.0);
            for (&i, &v) in active.iter().zip(&c) {
                w[i] = v;
            }
        }
        for i in 0..p {
            out[j * p + i] = w[i] / design.scale()[i];
        }
    }
    Ok(out)
}

fn ensemble(
    theta: MatRef<'_, f64>,
    y: MatRef<'_, f64>,
    full: &Design<'_>,
    e: &Ensemble,
    normalize: bool,
    strides: &[usize],
) -> Result<Coefficients, DiscoverError> {
    validate_stlsq(&e.base)?;
    let (n, p, m) = (theta.nrows(), theta.ncols(), y.ncols());
    if e.models < 2 || !(0.0..=1.0).contains(&e.inclusion) || e.drop_terms >= p {
        return Err(DiscoverError::InvalidOption {
            name: "ensemble",
            reason: format!(
                "needs >= 2 models, inclusion in [0, 1] and fewer dropped terms than library terms ({p}); got {}, {}, {}",
                e.models, e.inclusion, e.drop_terms
            ),
        });
    }
    // per-equation thresholds: fixed, or selected once on the full data
    let mut taus = vec![0.0; m];
    for (j, t) in taus.iter_mut().enumerate() {
        *t = match e.base.threshold {
            Threshold::Fixed(t) => t,
            Threshold::Select { .. } => {
                stlsq_select(full, theta, y, j, &e.base, normalize, strides)?.1
            }
        };
    }
    let models: Vec<Result<Vec<f64>, DiscoverError>> = (0..e.models)
        .into_par_iter()
        .map(|b| {
            let mut rng = ChaCha8Rng::seed_from_u64(e.seed);
            rng.set_stream(b as u64);
            let mut w = vec![0.0; n];
            for _ in 0..n {
                w[rng.random_range(0..n)] += 1.0;
            }
            let mut allowed = vec![true; p];
            let mut dropped = 0;
            while dropped < e.drop_terms {
                let i = rng.random_range(0..p);
                if allowed[i] {
                    allowed[i] = false;
                    dropped += 1;
                }
            }
            let d = Design::new(theta, y, Some(w), normalize);
            let mut out = vec![0.0; m * p];
            for j in 0..m {
                let xi = stlsq_one(&d, j, taus[j], &e.base, Some(&allowed))?;
                out[j * p..(j + 1) * p].copy_from_slice(&xi);
            }
            Ok(out)
        })
        .collect();
    let models: Vec<Vec<f64>> = models.into_iter().collect::<Result<_, _>>()?;
    let b = models.len() as f64;
    let mut values = vec![0.0; m * p];
    let mut std = vec![0.0; m * p];
    let mut inclusion = vec![0.0; m * p];
    let mut col: Vec<f64> = Vec::with_capacity(models.len());
    for k in 0..m * p {
        // statistics over the models that include the term: a term left out by library bagging,
        // or thresholded away, is no estimate of its coefficient
        col.clear();
        col.extend(models.iter().map(|mdl| mdl[k]).filter(|v| *v != 0.0));
        let inc = col.len() as f64 / b;
        inclusion[k] = inc;
        if col.is_empty() {
            continue;
        }
        let c = col.len() as f64;
        let mean = col.iter().sum::<f64>() / c;
        std[k] = if col.len() > 1 {
            (col.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (c - 1.0)).sqrt()
        } else {
            0.0
        };
        col.sort_by(f64::total_cmp);
        let median = if col.len() % 2 == 1 {
            col[col.len() / 2]
        } else {
            0.5 * (col[col.len() / 2 - 1] + col[col.len() / 2])
        };
        values[k] = if inc >= e.inclusion { median } else { 0.0 };
    }
    Ok(Coefficients {
        n_targets: m,
        n_terms: p,
        values,
        std: Some(std),
        inclusion: Some(inclusion),
        thresholds: taus,
    })
}

/// Convenience: a faer matrix from a row-major slice.
pub fn mat_from_rows(rows: usize, cols: usize, data: &[f64]) -> Mat<f64> {
    Mat::<f64>::from_fn(rows, cols, |i, j| data[i * cols + j])
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_distr::{Distribution, StandardNormal};

    fn residual_design(r: &[f64]) -> (Mat<f64>, Mat<f64>) {
        let n = r.len();
        (
            Mat::<f64>::from_fn(n, 1, |_, _| 1.0),
            Mat::<f64>::from_fn(n, 1, |i, _| r[i]),
        )
    }

    #[test]
    fn effective_rows_of_white_ar1_and_frozen_residuals() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let n = 20_000;
        let white: Vec<f64> = (0..n).map(|_| StandardNormal.sample(&mut rng)).collect();
        let (t, y) = residual_design(&white);
        let ne = effective_rows(t.as_ref(), y.as_ref(), 0, &[0.0], &[1]);
        assert!(ne > 0.97 * n as f64 && ne <= n as f64, "{ne}");
        // AR(1) with ρ = 0.9: n (1 − ρ)/(1 + ρ) = n / 19
        let mut ar = vec![0.0; n];
        for i in 1..n {
            let e: f64 = StandardNormal.sample(&mut rng);
            ar[i] = 0.9 * ar[i - 1] + e;
        }
        let (t, y) = residual_design(&ar);
        let ne = effective_rows(t.as_ref(), y.as_ref(), 0, &[0.0], &[1]);
        let expect = n as f64 / 19.0;
        assert!((ne / expect - 1.0).abs() < 0.15, "{ne} vs {expect}");
        // a field r(t, x) = g(x) frozen in time, white in x, time-major rows: about nx rows
        let (nt, nx) = (100, 200);
        let g: Vec<f64> = (0..nx).map(|_| StandardNormal.sample(&mut rng)).collect();
        let frozen: Vec<f64> = (0..nt * nx).map(|k| g[k % nx]).collect();
        let (t, y) = residual_design(&frozen);
        let ne = effective_rows(t.as_ref(), y.as_ref(), 0, &[0.0], &[1, nx]);
        assert!(ne < nx as f64, "{ne}");
        // a series without the grid: only the lag-1 axis counts
        let ne1 = effective_rows(t.as_ref(), y.as_ref(), 0, &[0.0], &[1]);
        assert!(ne1 > 0.5 * (nt * nx) as f64, "{ne1}");
        // the model's contribution is removed first: y = 3 + white, ξ = 3
        let shifted: Vec<f64> = white.iter().map(|v| 3.0 + v).collect();
        let (t, y) = residual_design(&shifted);
        let ne = effective_rows(t.as_ref(), y.as_ref(), 0, &[3.0], &[1]);
        assert!(ne > 0.97 * n as f64, "{ne}");
    }

    #[test]
    fn non_finite_inputs_are_located() {
        let theta = Mat::<f64>::from_fn(40, 3, |i, c| ((i * 3 + c) as f64 * 0.1).cos());
        let y = Mat::<f64>::from_fn(40, 1, |i, _| i as f64);
        let opt = Optimizer::Stlsq(Stlsq::default());
        let mut t = theta.clone();
        t[(11, 2)] = f64::NAN;
        match fit(t.as_ref(), y.as_ref(), &opt, false) {
            Err(DiscoverError::NonFinite { what, row, col, .. }) => {
                assert_eq!((what, row, col), ("library matrix", 11, 2))
            }
            other => panic!("{other:?}"),
        }
        let mut yy = y.clone();
        yy[(39, 0)] = f64::INFINITY;
        match fit(theta.as_ref(), yy.as_ref(), &opt, false) {
            Err(DiscoverError::NonFinite { what, row, col, .. }) => {
                assert_eq!((what, row, col), ("targets", 39, 0))
            }
            other => panic!("{other:?}"),
        }
        // finite values whose squares overflow
        let mut big = theta.clone();
        big[(3, 0)] = 1e200;
        assert!(matches!(
            fit(big.as_ref(), y.as_ref(), &opt, false),
            Err(DiscoverError::NonFiniteResult { .. })
        ));
    }
}
