//! Posterior sampling by adaptive random-walk Metropolis, with split-R̂ and effective sample
//! size.
//!
//! * Sampler: H. Haario, E. Saksman and J. Tamminen, "An adaptive Metropolis algorithm",
//!   Bernoulli 7 (2001) 223–242: Gaussian proposals with covariance `s_d (Σ + εI)`,
//!   `s_d = 2.38²/d` (Gelman, Roberts & Gilks 1996), `Σ` the running covariance of the chain. The
//!   adaptation runs during warm-up only; the proposal is then frozen, so the kept samples come
//!   from a plain (time-homogeneous) Metropolis chain.
//! * Diagnostics: split-R̂ and the effective sample size with Geyer's initial positive sequence,
//!   as in Gelman et al., Bayesian Data Analysis, 3rd ed. (2013), §11.4–11.5.
//!
//! No Rust MCMC crate was used: the registry could not be searched from this machine, and the
//! samplers we know of (e.g. `nuts-rs`) need gradients of the log density, which the ODE models
//! only have through sensitivities (a NUTS/HMC sampler is future work once adjoint gradients
//! are on main). Chains run in parallel (rayon); chain `c` is seeded from `(seed, c)`, so the
//! result does not depend on the number of threads.

use faer::{Mat, Side};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal, Uniform};
use rayon::prelude::*;
use serde::Serialize;

use crate::InverseError;

/// Options of [`adaptive_metropolis`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct McmcOptions {
    pub chains: usize,
    /// Kept samples per chain (after warm-up).
    pub samples: usize,
    /// Warm-up (adaptation) steps per chain, discarded.
    pub warmup: usize,
    pub seed: u64,
}

impl Default for McmcOptions {
    fn default() -> Self {
        Self {
            chains: 4,
            samples: 2000,
            warmup: 1000,
            seed: 0,
        }
    }
}

/// Posterior samples and their diagnostics.
#[derive(Debug, Clone, Serialize)]
pub struct McmcResult {
    pub dim: usize,
    /// Per chain, row-major `samples × dim`.
    #[serde(skip)]
    pub chains: Vec<Vec<f64>>,
    /// Acceptance rate of each chain after warm-up.
    pub acceptance: Vec<f64>,
    /// Split-R̂ per coordinate (≈ 1 when the chains agree).
    pub rhat: Vec<f64>,
    /// Effective sample size per coordinate (all chains together).
    pub ess: Vec<f64>,
    pub mean: Vec<f64>,
    pub sd: Vec<f64>,
    pub q025: Vec<f64>,
    pub q975: Vec<f64>,
}

impl McmcResult {
    /// All samples of coordinate `j`, chain after chain.
    pub fn coordinate(&self, j: usize) -> Vec<f64> {
        self.chains
            .iter()
            .flat_map(|c| c.chunks_exact(self.dim).map(move |r| r[j]))
            .collect()
    }

    /// Applies `f` to every sample (e.g. from the fitting scale back to parameters) and
    /// recomputes the summaries.
    pub fn map(mut self, f: impl Fn(&mut [f64])) -> Self {
        for c in &mut self.chains {
            for r in c.chunks_exact_mut(self.dim) {
                f(r);
            }
        }
        summarise(&mut self);
        self
    }
}

/// Samples the density `exp(log_density(x))` from `x0` with initial proposal covariance `cov0`
/// (row-major `d × d`, e.g. the Laplace covariance; positive definite). `log_density` returns
/// `-∞` outside the support or where the model cannot be evaluated.
///
/// Errors: [`InverseError::InvalidOption`] for zero chains/samples or a `cov0` that is not
/// positive definite; [`InverseError::NonFinite`] if `log_density(x0)` is not finite.
pub fn adaptive_metropolis<F>(
    log_density: F,
    x0: &[f64],
    cov0: &[f64],
    opts: &McmcOptions,
) -> Result<McmcResult, InverseError>
where
    F: Fn(&[f64]) -> f64 + Sync,
{
    let d = x0.len();
    if d == 0 || opts.chains == 0 || opts.samples < 4 {
        return Err(InverseError::InvalidOption {
            name: "mcmc",
            reason: "need at least one unknown, one chain and 4 samples per chain".into(),
        });
    }
    if cov0.len() != d * d {
        return Err(InverseError::DimensionMismatch {
            what: "initial proposal covariance",
            expected: d * d,
            found: cov0.len(),
        });
    }
    let c0 = Mat::<f64>::from_fn(d, d, |i, j| cov0[i * d + j]);
    let l0 = cholesky(&c0).ok_or_else(|| InverseError::InvalidOption {
        name: "mcmc",
        reason: "initial proposal covariance is not positive definite".into(),
    })?;
    let lp0 = log_density(x0);
    if !lp0.is_finite() {
        return Err(InverseError::NonFinite {
            what: "log density at the starting point",
            params: x0
                .iter()
                .enumerate()
                .map(|(i, v)| (format!("x[{i}]"), *v))
                .collect(),
        });
    }
    let runs: Vec<(Vec<f64>, f64)> = (0..opts.chains)
        .into_par_iter()
        .map(|c| run_chain(&log_density, x0, lp0, &l0, &c0, opts, c))
        .collect();
    let mut res = McmcResult {
        dim: d,
        acceptance: runs.iter().map(|r| r.1).collect(),
        chains: runs.into_iter().map(|r| r.0).collect(),
        rhat: Vec::new(),
        ess: Vec::new(),
        mean: Vec::new(),
        sd: Vec::new(),
        q025: Vec::new(),
        q975: Vec::new(),
    };
    summarise(&mut res);
    Ok(res)
}

fn cholesky(c: &Mat<f64>) -> Option<Mat<f64>> {
    let llt = c.llt(Side::Lower).ok()?;
    let l = llt.L();
    let d = c.nrows();
    Some(Mat::from_fn(
        d,
        d,
        |i, j| if i >= j { l[(i, j)] } else { 0.0 },
    ))
}

fn run_chain<F: Fn(&[f64]) -> f64>(
    log_density: &F,
    x0: &[f64],
    lp0: f64,
    l0: &Mat<f64>,
    c0: &Mat<f64>,
    opts: &McmcOptions,
    chain: usize,
) -> (Vec<f64>, f64) {
    let d = x0.len();
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    rng.set_stream(chain as u64 + 1);
    let unif = Uniform::new(0.0f64, 1.0).expect("valid range");
    let sd = 2.38 * 2.38 / d as f64;
    let mut z = vec![0.0; d];
    let mut prop = vec![0.0; d];
    let draw = |rng: &mut ChaCha8Rng, z: &mut [f64]| {
        for v in z.iter_mut() {
            *v = StandardNormal.sample(rng);
        }
    };
    // over-dispersed start (twice the Laplace scale), falling back to x0
    let mut x = x0.to_vec();
    let mut lp = lp0;
    for _ in 0..20 {
        draw(&mut rng, &mut z);
        for i in 0..d {
            prop[i] = x0[i] + 2.0 * (0..=i).map(|j| l0[(i, j)] * z[j]).sum::<f64>();
        }
        let l = log_density(&prop);
        if l.is_finite() {
            x.copy_from_slice(&prop);
            lp = l;
            break;
        }
    }
    // proposal factor: starts as the scaled Laplace covariance
    let mut lprop = Mat::<f64>::from_fn(d, d, |i, j| sd.sqrt() * l0[(i, j)]);
    // running mean and covariance (Welford) for the adaptation
    let mut mean = x.clone();
    let mut m2 = Mat::<f64>::zeros(d, d);
    let mut count = 1.0;
    let eps: Vec<f64> = (0..d)
        .map(|i| 1e-10 * c0[(i, i)].abs().max(1e-300))
        .collect();
    let total = opts.warmup + opts.samples;
    let mut out = Vec::with_capacity(opts.samples * d);
    let mut accepted = 0usize;
    for step in 0..total {
        draw(&mut rng, &mut z);
        for i in 0..d {
            prop[i] = x[i] + (0..=i).map(|j| lprop[(i, j)] * z[j]).sum::<f64>();
        }
        let lq = log_density(&prop);
        let u: f64 = unif.sample(&mut rng);
        let accept = lq.is_finite() && (lq - lp >= 0.0 || u.ln() < lq - lp);
        if accept {
            x.copy_from_slice(&prop);
            lp = lq;
        }
        if step < opts.warmup {
            count += 1.0;
            let delta: Vec<f64> = (0..d).map(|i| x[i] - mean[i]).collect();
            for i in 0..d {
                mean[i] += delta[i] / count;
            }
            for i in 0..d {
                for j in 0..d {
                    m2[(i, j)] += delta[i] * (x[j] - mean[j]);
                }
            }
            // refresh the proposal every 50 steps once the chain has moved a little
            if step >= 100 && step % 50 == 0 {
                let cov = Mat::<f64>::from_fn(d, d, |i, j| {
                    sd * (m2[(i, j)] / (count - 1.0) + if i == j { eps[i] } else { 0.0 })
                });
                if let Some(l) = cholesky(&cov) {
                    lprop = l;
                }
            }
        } else {
            if accept {
                accepted += 1;
            }
            out.extend_from_slice(&x);
        }
    }
    (out, accepted as f64 / opts.samples as f64)
}

fn summarise(res: &mut McmcResult) {
    let d = res.dim;
    res.rhat = (0..d).map(|j| split_rhat_ess(res, j).0).collect();
    res.ess = (0..d).map(|j| split_rhat_ess(res, j).1).collect();
    res.mean.clear();
    res.sd.clear();
    res.q025.clear();
    res.q975.clear();
    for j in 0..d {
        let mut v = res.coordinate(j);
        let n = v.len() as f64;
        let m = v.iter().sum::<f64>() / n;
        let var = v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0);
        v.sort_by(|a, b| a.total_cmp(b));
        res.mean.push(m);
        res.sd.push(var.sqrt());
        res.q025.push(quantile_sorted(&v, 0.025));
        res.q975.push(quantile_sorted(&v, 0.975));
    }
}

fn quantile_sorted(v: &[f64], p: f64) -> f64 {
    let h = (v.len() - 1) as f64 * p;
    let i = h.floor() as usize;
    let f = h - i as f64;
    if i + 1 < v.len() {
        v[i] + f * (v[i + 1] - v[i])
    } else {
        v[i]
    }
}

/// Split-R̂ and ESS of coordinate `j` (BDA3 §11.4–11.5).
fn split_rhat_ess(res: &McmcResult, j: usize) -> (f64, f64) {
    let d = res.dim;
    let half = res.chains.first().map_or(0, |c| c.len() / d) / 2;
    let chains: Vec<Vec<f64>> = res
        .chains
        .iter()
        .flat_map(|c| {
            let x: Vec<f64> = c.chunks_exact(d).map(|r| r[j]).collect();
            [x[..half].to_vec(), x[half..2 * half].to_vec()]
        })
        .collect();
    let m = chains.len() as f64;
    let n = half as f64;
    let means: Vec<f64> = chains.iter().map(|c| c.iter().sum::<f64>() / n).collect();
    let grand = means.iter().sum::<f64>() / m;
    let b = n / (m - 1.0) * means.iter().map(|x| (x - grand).powi(2)).sum::<f64>();
    let w = chains
        .iter()
        .zip(&means)
        .map(|(c, mu)| c.iter().map(|x| (x - mu).powi(2)).sum::<f64>() / (n - 1.0))
        .sum::<f64>()
        / m;
    let var_plus = (n - 1.0) / n * w + b / n;
    if w.is_nan() || w <= 0.0 {
        return (f64::NAN, f64::NAN);
    }
    let rhat = (var_plus / w).sqrt();
    // autocorrelations from the variogram, summed in pairs while positive (Geyer)
    let rho = |t: usize| -> f64 {
        let v: f64 = chains
            .iter()
            .map(|c| (t..half).map(|i| (c[i] - c[i - t]).powi(2)).sum::<f64>())
            .sum::<f64>()
            / (m * (n - t as f64));
        1.0 - v / (2.0 * var_plus)
    };
    let mut sum = 0.0;
    let mut t = 1;
    while t + 1 < half {
        let pair = rho(t) + rho(t + 1);
        if pair < 0.0 {
            break;
        }
        sum += pair;
        t += 2;
    }
    let ess = m * n / (1.0 + 2.0 * sum);
    (rhat, ess)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_a_correlated_gaussian() {
        // N(μ, Σ) with Σ = [[1, 0.8·2], [0.8·2, 4]]: means, sds and correlation within Monte
        // Carlo error, R̂ ≈ 1
        let mu = [1.0, -2.0];
        let s = [[1.0, 1.6], [1.6, 4.0]];
        let det = s[0][0] * s[1][1] - s[0][1] * s[1][0];
        let inv = [
            [s[1][1] / det, -s[0][1] / det],
            [-s[1][0] / det, s[0][0] / det],
        ];
        let logp = |x: &[f64]| {
            let d = [x[0] - mu[0], x[1] - mu[1]];
            -0.5 * (d[0] * (inv[0][0] * d[0] + inv[0][1] * d[1])
                + d[1] * (inv[1][0] * d[0] + inv[1][1] * d[1]))
        };
        let opts = McmcOptions {
            chains: 4,
            samples: 5000,
            warmup: 2000,
            seed: 42,
        };
        // a deliberately poor initial proposal: adaptation must fix it
        let res = adaptive_metropolis(logp, &[0.0, 0.0], &[0.01, 0.0, 0.0, 0.01], &opts).unwrap();
        for j in 0..2 {
            let mcse = (s[j][j] / res.ess[j]).sqrt();
            assert!(
                (res.mean[j] - mu[j]).abs() < 4.0 * mcse,
                "{j}: {} ({mcse})",
                res.mean[j]
            );
            assert!(
                (res.sd[j] - s[j][j].sqrt()).abs() < 0.1 * s[j][j].sqrt(),
                "{j}: {}",
                res.sd[j]
            );
            assert!(res.rhat[j] < 1.02, "{:?}", res.rhat);
            assert!(res.ess[j] > 500.0, "{:?}", res.ess);
            // 95 % quantiles of the marginal
            let q = 1.959963984540054 * s[j][j].sqrt();
            assert!((res.q025[j] - (mu[j] - q)).abs() < 0.15 * q);
            assert!((res.q975[j] - (mu[j] + q)).abs() < 0.15 * q);
        }
        for a in &res.acceptance {
            assert!((0.15..0.6).contains(a), "acceptance {a}");
        }
        // seeded: identical on a rerun
        let again = adaptive_metropolis(logp, &[0.0, 0.0], &[0.01, 0.0, 0.0, 0.01], &opts).unwrap();
        assert_eq!(res.chains, again.chains);
    }

    #[test]
    fn rhat_flags_chains_that_disagree() {
        let mut res = McmcResult {
            dim: 1,
            chains: vec![
                (0..400).map(|i| (i as f64 * 0.7).sin()).collect(),
                (0..400).map(|i| 5.0 + (i as f64 * 0.3).sin()).collect(),
            ],
            acceptance: vec![],
            rhat: vec![],
            ess: vec![],
            mean: vec![],
            sd: vec![],
            q025: vec![],
            q975: vec![],
        };
        summarise(&mut res);
        assert!(res.rhat[0] > 2.0, "{:?}", res.rhat);
    }

    #[test]
    fn bad_options_are_typed() {
        let f = |_: &[f64]| 0.0;
        let o = McmcOptions::default();
        assert!(matches!(
            adaptive_metropolis(f, &[0.0], &[-1.0], &o),
            Err(InverseError::InvalidOption { .. })
        ));
        assert!(matches!(
            adaptive_metropolis(|_: &[f64]| f64::NEG_INFINITY, &[0.0], &[1.0], &o),
            Err(InverseError::NonFinite { .. })
        ));
        assert!(matches!(
            adaptive_metropolis(f, &[0.0], &[1.0, 0.0], &o),
            Err(InverseError::DimensionMismatch { .. })
        ));
    }
}
