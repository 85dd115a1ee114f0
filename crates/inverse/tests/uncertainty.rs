//! Uncertainty: coverage of the 95 % intervals over repeated noisy draws, and MCMC posteriors
//! against the Laplace approximation.

use ai4de_inverse::{
    fit, sample_posterior, synthetic_experiment, FitOptions, FitUnknown, McmcOptions, OdeModel,
};
use ai4de_ode::problems;

/// Over 100 independent noisy data sets of the damped oscillator (nonlinear in ω and ζ), the
/// t-based 95 % intervals must contain the true values about 95 times: with a binomial(100,
/// 0.95) count the 3-sigma band is [88.5, 100], so anything below 89 fails.
#[test]
fn ninety_five_percent_intervals_cover() {
    let model = OdeModel::new(problems::get("linear").unwrap());
    let truth = model.problem.param_values(); // omega, zeta
    let times: Vec<f64> = (0..=30).map(|i| i as f64 * 0.5).collect();
    let unknowns = [
        FitUnknown::param("omega").start(truth[0] * 1.1),
        FitUnknown::param("zeta").start(truth[1] * 0.9),
    ];
    let mut covered = [0usize; 2];
    let mut z2 = 0.0;
    let draws = 100;
    for seed in 0..draws {
        let data =
            synthetic_experiment(&model, 0.0, &[1.0, 0.0], &times, &["x"], 0.05, 1000 + seed)
                .unwrap();
        let res = fit(&model, &[data], &unknowns, &FitOptions::default()).unwrap();
        for (k, e) in res.estimates.iter().enumerate() {
            let (lo, hi) = e.ci95.unwrap();
            if lo <= truth[k] && truth[k] <= hi {
                covered[k] += 1;
            }
            z2 += ((e.value - truth[k]) / e.std_error.unwrap()).powi(2);
        }
    }
    println!(
        "coverage over {draws} draws: omega {}, zeta {}; mean z^2 {}",
        covered[0],
        covered[1],
        z2 / (2 * draws) as f64
    );
    for c in covered {
        assert!(c >= 89, "coverage {c}/100");
    }
    // the standard errors are calibrated: E[z²] ≈ 1 (a t-distribution with 29 dof has 29/27)
    assert!((z2 / (2 * draws) as f64 - 1.0).abs() < 0.35);
}

/// MCMC on Lotka–Volterra: the posterior mean is near the least-squares estimate and the
/// posterior standard deviations match the Laplace standard errors (the posterior is close to
/// Gaussian at 5 % noise and 101 points).
#[test]
fn mcmc_posterior_agrees_with_laplace() {
    let model = OdeModel::new(problems::get("lotka").unwrap());
    let times: Vec<f64> = (0..=100).map(|i| i as f64 * 0.1).collect();
    let data = synthetic_experiment(
        &model,
        0.0,
        &[1.0, 1.0],
        &times,
        &["prey", "predator"],
        0.05,
        4,
    )
    .unwrap();
    let unknowns = [FitUnknown::param("alpha"), FitUnknown::param("beta").log()];
    let opts = FitOptions {
        absolute_sigma: true,
        ..FitOptions::default()
    };
    let res = fit(&model, std::slice::from_ref(&data), &unknowns, &opts).unwrap();
    let mc = McmcOptions {
        chains: 4,
        samples: 1500,
        warmup: 500,
        seed: 1,
    };
    let post = sample_posterior(&model, &[data], &unknowns, &res, &opts, &mc).unwrap();
    for (k, e) in res.estimates.iter().enumerate() {
        let se = e.std_error.unwrap();
        println!(
            "{}: LM {:.5} ± {:.2e}; posterior {:.5} ± {:.2e}, R-hat {:.3}, ESS {:.0}, acceptance {:?}",
            e.name, e.value, se, post.mean[k], post.sd[k], post.rhat[k], post.ess[k], post.acceptance
        );
        assert!(post.rhat[k] < 1.05);
        assert!(post.ess[k] > 200.0);
        assert!((post.mean[k] - e.value).abs() < 0.3 * se);
        assert!((post.sd[k] / se - 1.0).abs() < 0.2);
    }
}
