//! Parameter recovery from noisy synthetic data (Lotka–Volterra, Robertson, FitzHugh–Nagumo),
//! partial observation, several experiments, multiple shooting, L-BFGS, and bad input.
#![allow(clippy::needless_range_loop, clippy::cloned_ref_to_slice_refs)]

use ai4de_inverse::{
    fit, synthetic_experiment, FitOptions, FitUnknown, InverseError, OdeModel, Optimizer, Shooting,
};
use ai4de_ode::problems;

fn grid(t0: f64, t1: f64, n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| t0 + (t1 - t0) * i as f64 / (n - 1) as f64)
        .collect()
}

/// Every estimate within `k` reported standard errors of the truth, and the truth inside the
/// reported 95 % interval when `k ≤ 2`.
fn assert_recovered(res: &ai4de_inverse::FitResult, truth: &[f64], k: f64) {
    for (e, &t) in res.estimates.iter().zip(truth) {
        let se = e.std_error.expect("standard error");
        println!(
            "{}: {:.6} ± {:.2e} (truth {t}, {:.2} se), 95% [{:.6}, {:.6}]",
            e.name,
            e.value,
            se,
            (e.value - t).abs() / se,
            e.ci95.unwrap().0,
            e.ci95.unwrap().1
        );
        assert!(
            (e.value - t).abs() <= k * se,
            "{}: {} vs truth {t}: {} se",
            e.name,
            e.value,
            (e.value - t).abs() / se
        );
    }
}

#[test]
fn lotka_volterra_recovered_within_standard_errors() {
    let model = OdeModel::new(problems::get("lotka").unwrap());
    let truth = model.problem.param_values(); // alpha 1.5, beta 1, gamma 3, delta 1
    let data = synthetic_experiment(
        &model,
        0.0,
        &[1.0, 1.0],
        &grid(0.0, 10.0, 101),
        &["prey", "predator"],
        0.05,
        7,
    )
    .unwrap();
    let unknowns: Vec<FitUnknown> = ["alpha", "beta", "gamma", "delta"]
        .iter()
        .zip([1.2, 0.8, 3.5, 1.2])
        .map(|(n, s)| FitUnknown::param(*n).start(s))
        .collect();
    let res = fit(&model, &[data], &unknowns, &FitOptions::default()).unwrap();
    println!("LM: {} iterations, cost {}", res.iterations, res.cost);
    assert!(res.termination.converged());
    assert_eq!(res.n_residuals, 202);
    assert_eq!(res.dof, 198);
    // the noise level is the reported sigma: the reduced chi-square is about 1
    assert!((res.s2 - 1.0).abs() < 0.3, "s2 = {}", res.s2);
    assert_recovered(&res, &truth, 3.0);
    let corr = res.correlation.as_ref().unwrap();
    for i in 0..4 {
        assert!((corr[i][i] - 1.0).abs() < 1e-12);
        for j in 0..4 {
            assert!((corr[i][j] - corr[j][i]).abs() < 1e-12 && corr[i][j].abs() <= 1.0 + 1e-12);
        }
    }
}

#[test]
fn lotka_volterra_from_prey_only_and_two_experiments() {
    let model = OdeModel::new(problems::get("lotka").unwrap());
    let truth = model.problem.param_values();
    // experiment 1 observes only the prey; experiment 2 (another initial state) only predators
    let e1 = synthetic_experiment(
        &model,
        0.0,
        &[1.0, 1.0],
        &grid(0.0, 10.0, 81),
        &["prey"],
        0.03,
        11,
    )
    .unwrap();
    let e2 = synthetic_experiment(
        &model,
        0.0,
        &[2.0, 0.5],
        &grid(0.0, 8.0, 61),
        &["predator"],
        0.03,
        12,
    )
    .unwrap();
    let unknowns: Vec<FitUnknown> = ["alpha", "beta", "gamma", "delta"]
        .iter()
        .zip([1.3, 0.9, 2.7, 1.1])
        .map(|(n, s)| FitUnknown::param(*n).start(s))
        .collect();
    let res = fit(&model, &[e1.clone()], &unknowns, &FitOptions::default()).unwrap();
    assert_recovered(&res, &truth, 3.0);
    let both = fit(&model, &[e1, e2], &unknowns, &FitOptions::default()).unwrap();
    assert_recovered(&both, &truth, 3.0);
    assert_eq!(both.n_residuals, 81 + 61);
    // more data: smaller standard errors
    for (a, b) in res.estimates.iter().zip(&both.estimates) {
        assert!(b.std_error.unwrap() < a.std_error.unwrap(), "{}", a.name);
    }
}

#[test]
fn lotka_volterra_initial_state_as_unknown_and_lbfgs() {
    let model = OdeModel::new(problems::get("lotka").unwrap());
    let data = synthetic_experiment(
        &model,
        0.0,
        &[1.0, 1.0],
        &grid(0.0, 10.0, 101),
        &["prey", "predator"],
        0.02,
        3,
    )
    .unwrap();
    let unknowns = vec![
        FitUnknown::param("alpha").start(1.3),
        FitUnknown::param("gamma").log().start(2.6),
        FitUnknown::initial_state(0, "prey")
            .bounds(0.1, 5.0)
            .start(1.2),
    ];
    let lm = fit(&model, &[data.clone()], &unknowns, &FitOptions::default()).unwrap();
    assert_recovered(&lm, &[1.5, 3.0, 1.0], 3.0);
    // log-parameter interval is asymmetric around the estimate, in ln space symmetric
    let g = &lm.estimates[1];
    let (lo, hi) = g.ci95.unwrap();
    assert!(((g.value / lo).ln() - (hi / g.value).ln()).abs() < 1e-12);
    let opts = FitOptions {
        optimizer: Optimizer::Lbfgs,
        ..FitOptions::default()
    };
    let lb = fit(&model, &[data], &unknowns, &opts).unwrap();
    println!(
        "LM {} its / L-BFGS {} its; costs {} {}",
        lm.iterations, lb.iterations, lm.cost, lb.cost
    );
    assert!(
        (lb.cost - lm.cost).abs() <= 1e-6 * lm.cost,
        "{} vs {}",
        lb.cost,
        lm.cost
    );
    for (a, b) in lm.estimates.iter().zip(&lb.estimates) {
        assert!(
            (a.value - b.value).abs() <= 1e-2 * a.std_error.unwrap(),
            "{}",
            a.name
        );
    }
}

#[test]
fn robertson_rate_constants_on_log_scale() {
    let model = OdeModel::new(problems::get("rober").unwrap());
    assert_eq!(model.method, ai4de_ode::Method::Rodas5P);
    let truth = model.problem.param_values(); // 0.04, 3e7, 1e4
                                              // log-spaced times over the fast transient and the slow decay
    let times: Vec<f64> = (0..40)
        .map(|i| 10f64.powf(-5.0 + 9.0 * i as f64 / 39.0))
        .collect();
    let data = synthetic_experiment(
        &model,
        0.0,
        &[1.0, 0.0, 0.0],
        &times,
        &["y1", "y2", "y3"],
        0.01,
        5,
    )
    .unwrap();
    let unknowns = vec![
        FitUnknown::param("k1").log().start(0.1),
        FitUnknown::param("k2").log().start(1e7),
        FitUnknown::param("k3").log().start(3e4),
    ];
    let res = fit(&model, &[data], &unknowns, &FitOptions::default()).unwrap();
    println!("rober: {} iterations, cost {}", res.iterations, res.cost);
    assert_recovered(&res, &truth, 3.0);
}

#[test]
fn fitzhugh_nagumo_parameters() {
    let model = OdeModel::new(problems::get("fhn").unwrap());
    let truth = [0.7, 0.8, 12.5];
    let data = synthetic_experiment(
        &model,
        0.0,
        &[-1.0, 1.0],
        &grid(0.0, 100.0, 201),
        &["v", "w"],
        0.02,
        9,
    )
    .unwrap();
    let unknowns = vec![
        FitUnknown::param("a").start(0.6),
        FitUnknown::param("b").bounds(0.0, 2.0).start(0.7),
        FitUnknown::param("tau").log().start(11.0),
    ];
    let res = fit(&model, &[data], &unknowns, &FitOptions::default()).unwrap();
    println!("fhn: {} iterations, cost {}", res.iterations, res.cost);
    assert_recovered(&res, &truth, 3.0);
}

#[test]
fn multiple_shooting_escapes_a_local_minimum() {
    // A long oscillatory record and a poor start: single shooting stalls in a local minimum,
    // multiple shooting (10 segments, then a single-shooting polish) finds the truth.
    let model = OdeModel::new(problems::get("fhn").unwrap());
    let data = synthetic_experiment(
        &model,
        0.0,
        &[-1.0, 1.0],
        &grid(0.0, 200.0, 201),
        &["v", "w"],
        0.02,
        21,
    )
    .unwrap();
    let unknowns = vec![
        FitUnknown::param("a").start(0.3),
        FitUnknown::param("b").start(0.3),
        FitUnknown::param("tau").log().start(30.0),
    ];
    let single = fit(&model, &[data.clone()], &unknowns, &FitOptions::default());
    let ms_opts = FitOptions {
        shooting: Shooting::Multiple {
            segments: 10,
            weight: None,
        },
        ..FitOptions::default()
    };
    let ms = fit(&model, &[data], &unknowns, &ms_opts).unwrap();
    let (its, c) = ms.multiple_shooting.unwrap();
    println!(
        "multiple shooting: {its} iterations, cost {c}; polish {} iterations, cost {}",
        ms.iterations, ms.cost
    );
    assert_recovered(&ms, &[0.7, 0.8, 12.5], 3.0);
    match single {
        Ok(s) => {
            println!("single shooting: cost {} at {:?}", s.cost, s.values());
            assert!(
                s.cost > 10.0 * ms.cost,
                "single shooting also found the minimum"
            );
        }
        Err(e) => println!("single shooting failed: {e}"),
    }
}

#[test]
fn bad_input_gives_typed_errors() {
    let model = OdeModel::new(problems::get("lotka").unwrap());
    let good = synthetic_experiment(
        &model,
        0.0,
        &[1.0, 1.0],
        &grid(0.0, 5.0, 21),
        &["prey", "predator"],
        0.01,
        1,
    )
    .unwrap();
    let alpha = || vec![FitUnknown::param("alpha")];
    let o = FitOptions::default();
    // unknown parameter / state
    let e = fit(&model, &[good.clone()], &[FitUnknown::param("zeta")], &o).unwrap_err();
    assert!(
        matches!(e, InverseError::UnknownParameter { .. }) && e.to_string().contains("alpha"),
        "{e}"
    );
    let mut d = good.clone();
    d.observed[1] = "wolves".into();
    assert!(matches!(
        fit(&model, &[d], &alpha(), &o),
        Err(InverseError::UnknownState { .. })
    ));
    // start out of bounds, bad bounds
    let e = fit(
        &model,
        &[good.clone()],
        &[FitUnknown::param("alpha").bounds(2.0, 3.0)],
        &o,
    )
    .unwrap_err();
    assert!(matches!(e, InverseError::StartOutOfBounds { .. }), "{e}");
    let e = fit(
        &model,
        &[good.clone()],
        &[FitUnknown::param("alpha").bounds(3.0, 2.0)],
        &o,
    )
    .unwrap_err();
    assert!(matches!(e, InverseError::InvalidBounds { .. }), "{e}");
    // NaN data, with its position
    let mut d = good.clone();
    d.values[7] = f64::NAN;
    let e = fit(&model, &[d], &alpha(), &o).unwrap_err();
    assert!(
        matches!(
            e,
            InverseError::NonFiniteData {
                row: 3,
                column: 1,
                ..
            }
        ),
        "{e}"
    );
    // times before t0, after t_end, not increasing
    let mut d = good.clone();
    d.t0 = 1.0;
    assert!(matches!(
        fit(&model, &[d], &alpha(), &o),
        Err(InverseError::InvalidDataTime { row: 0, .. })
    ));
    let mut d = good.clone();
    d.t_end = Some(4.0);
    let e = fit(&model, &[d], &alpha(), &o).unwrap_err();
    assert!(
        matches!(e, InverseError::InvalidDataTime { row: 17, .. }),
        "{e}"
    );
    let mut d = good.clone();
    d.times[5] = d.times[4];
    assert!(matches!(
        fit(&model, &[d], &alpha(), &o),
        Err(InverseError::InvalidDataTime { row: 5, .. })
    ));
    // bad sigma, duplicates, nothing to fit
    let mut d = good.clone();
    d.sigma[0] = 0.0;
    assert!(matches!(
        fit(&model, &[d], &alpha(), &o),
        Err(InverseError::InvalidSigma { .. })
    ));
    let two = vec![FitUnknown::param("alpha"), FitUnknown::param("alpha")];
    assert!(matches!(
        fit(&model, &[good.clone()], &two, &o),
        Err(InverseError::DuplicateUnknown { .. })
    ));
    assert!(matches!(
        fit(&model, &[good.clone()], &[], &o),
        Err(InverseError::NoUnknowns)
    ));
    // a start where the model blows up: a clear evaluation error naming the parameters
    let decay = OdeModel::new(problems::get("decay").unwrap());
    let d =
        synthetic_experiment(&decay, 0.0, &[1.0], &grid(0.0, 10.0, 11), &["y"], 0.01, 2).unwrap();
    let e = fit(
        &decay,
        &[d],
        &[FitUnknown::param("lambda").start(100.0)],
        &o,
    )
    .unwrap_err();
    assert!(
        matches!(
            e,
            InverseError::EvaluationFailed { .. } | InverseError::NonFinite { .. }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("lambda = 100"), "{e}");
}

/// The forward sensitivities from `ai4de-ode` and the finite-difference fallback agree (to the
/// accuracy of the differences), with respect to parameters and initial states, on non-stiff
/// and stiff problems.
#[test]
fn forward_and_finite_difference_sensitivities_agree() {
    use ai4de_inverse::Sensitivity;
    for (name, times, wrt_y0) in [
        ("lotka", grid(0.5, 10.0, 20), vec![0usize, 1]),
        ("fhn", grid(1.0, 60.0, 20), vec![0]),
        (
            "rober",
            (0..15).map(|i| 10f64.powf(-4.0 + 0.5 * i as f64)).collect(),
            vec![],
        ),
    ] {
        let fwd = OdeModel::new(problems::get(name).unwrap());
        assert_eq!(fwd.sensitivity, Sensitivity::Forward);
        let mut fd = fwd.clone();
        fd.sensitivity = Sensitivity::FiniteDifference;
        let p = fwd.problem.param_values();
        let wrt_p: Vec<usize> = (0..p.len()).collect();
        let y0 = fwd.problem.y0.clone();
        let (ya, sa) = fwd
            .solve_sens(&p, 0.0, &y0, &times, &wrt_p, &wrt_y0)
            .unwrap();
        let (yb, sb) = fd
            .solve_sens(&p, 0.0, &y0, &times, &wrt_p, &wrt_y0)
            .unwrap();
        let n = fwd.dim();
        let nk = wrt_p.len() + wrt_y0.len();
        for (a, b) in ya.iter().zip(&yb) {
            assert!(
                (a - b).abs() <= 1e-6 * a.abs() + 1e-11,
                "{name}: y {a} vs {b}"
            );
        }
        // compare each sensitivity column relative to its own scale over all times and states
        for k in 0..nk {
            let col =
                |s: &[f64]| -> Vec<f64> { (0..times.len() * n).map(|r| s[r * nk + k]).collect() };
            let (ca, cb) = (col(&sa), col(&sb));
            let scale = ca.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            let err = ca
                .iter()
                .zip(&cb)
                .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
            println!(
                "{name} column {k}: max |forward - fd| / max |forward| = {:.1e}",
                err / scale
            );
            assert!(
                err <= 1e-5 * scale,
                "{name} column {k}: {err} vs scale {scale}"
            );
        }
    }
}
