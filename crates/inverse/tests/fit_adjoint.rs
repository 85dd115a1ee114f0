//! L-BFGS fits with adjoint gradients: the adjoint gradient of the fit cost equals the one from
//! forward sensitivities (`Jᵀr`), single and multiple shooting, non-stiff and stiff; an L-BFGS
//! fit on adjoint gradients recovers the Lotka–Volterra parameters.
#![allow(clippy::cloned_ref_to_slice_refs)]

use ai4de_inverse::{
    cost_gradient, fit, shooting_start, synthetic_experiment, FitOptions, FitUnknown,
    GradientSource, OdeModel, Optimizer, Shooting,
};
use ai4de_ode::problems;

fn grid(t0: f64, t1: f64, n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| t0 + (t1 - t0) * i as f64 / (n - 1) as f64)
        .collect()
}

fn rel_err(a: &[f64], b: &[f64]) -> f64 {
    let scale = b.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs() / y.abs().max(1e-3 * scale))
        .fold(0.0, f64::max)
}

#[test]
fn adjoint_gradient_equals_forward_sensitivity_gradient() {
    let model = OdeModel::new(problems::get("lotka").unwrap());
    let data = synthetic_experiment(
        &model,
        0.0,
        &[1.0, 1.0],
        &grid(0.0, 10.0, 51),
        &["prey", "predator"],
        0.02,
        11,
    )
    .unwrap()
    .with_sigma(vec![0.2, 0.3]);
    let unknowns = vec![
        FitUnknown::param("alpha"),
        FitUnknown::param("beta"),
        FitUnknown::param("gamma").log(),
        FitUnknown::param("delta"),
        FitUnknown::initial_state(0, "predator"),
    ];
    let values = [1.45, 0.95, 3.1, 1.05, 0.95];
    for shooting in [
        Shooting::Single,
        Shooting::Multiple {
            segments: 4,
            weight: None,
        },
    ] {
        let x = shooting_start(&model, &[data.clone()], &unknowns, shooting, &values).unwrap();
        let (f_fwd, g_fwd) = cost_gradient(
            &model,
            &[data.clone()],
            &unknowns,
            shooting,
            &x,
            GradientSource::Jacobian,
        )
        .unwrap();
        for source in [GradientSource::Adjoint, GradientSource::DiscreteAdjoint] {
            let (f, g) =
                cost_gradient(&model, &[data.clone()], &unknowns, shooting, &x, source).unwrap();
            let err = rel_err(&g, &g_fwd);
            println!(
                "{shooting:?} {source:?}: cost {f} vs {f_fwd}, {} unknowns, max rel err {err:.2e}",
                x.len()
            );
            assert!((f - f_fwd).abs() <= 1e-9 * f_fwd, "{f} vs {f_fwd}");
            assert!(err < 1e-6, "{g:?} vs {g_fwd:?}");
        }
    }
}

#[test]
fn stiff_adjoint_gradient_equals_forward_one() {
    // Robertson with Rodas5P: the continuous adjoint solved backward by the stiff method
    let mut model = OdeModel::new(problems::get("rober").unwrap());
    // tight tolerances: both gradients carry the solver's error, amplified by the stiffness
    model.rtol = 1e-12;
    model.atol = 1e-16;
    let times: Vec<f64> = (0..20)
        .map(|i| 10f64.powf(-4.0 + 8.0 * i as f64 / 19.0))
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
        FitUnknown::param("k1").log(),
        FitUnknown::param("k2").log(),
        FitUnknown::param("k3").log(),
    ];
    let x = [0.05, 2.5e7, 1.2e4];
    let (f_fwd, g_fwd) = cost_gradient(
        &model,
        &[data.clone()],
        &unknowns,
        Shooting::Single,
        &x,
        GradientSource::Jacobian,
    )
    .unwrap();
    let (f, g) = cost_gradient(
        &model,
        &[data],
        &unknowns,
        Shooting::Single,
        &x,
        GradientSource::Adjoint,
    )
    .unwrap();
    // compare ∂/∂ln k (the scale the fit works on), component by component
    let err = g
        .iter()
        .zip(&g_fwd)
        .map(|(a, b)| (a - b).abs() / b.abs())
        .fold(0.0, f64::max);
    println!(
        "rober: cost {f} vs {f_fwd}, adjoint {g:?} vs forward {g_fwd:?}, max rel err {err:.2e}"
    );
    assert!((f - f_fwd).abs() <= 1e-8 * f_fwd);
    // measured: 1.2e-6 (k1), 8e-8 (k2), 2.9e-5 (k3) at rtol 1e-12 — both carry solver error
    // amplified by the stiffness, so the bar here is 1e-4, not the non-stiff 1e-6
    assert!(err < 1e-4, "{err}");
    // the discrete adjoint refuses an implicit method with a typed error
    let mut m2 = model.clone();
    m2.method = ai4de_ode::Method::Rodas5P;
    assert!(cost_gradient(
        &m2,
        &[synthetic_experiment(&model, 0.0, &[1.0, 0.0, 0.0], &times, &["y1"], 0.01, 5).unwrap()],
        &unknowns,
        Shooting::Single,
        &x,
        GradientSource::DiscreteAdjoint,
    )
    .is_err());
}

#[test]
fn lbfgs_on_adjoint_gradients_recovers_lotka_volterra() {
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
    let lm = fit(&model, &[data.clone()], &unknowns, &FitOptions::default()).unwrap();
    for gradient in [GradientSource::Adjoint, GradientSource::DiscreteAdjoint] {
        let opts = FitOptions {
            optimizer: Optimizer::Lbfgs,
            gradient,
            ..FitOptions::default()
        };
        let res = fit(&model, &[data.clone()], &unknowns, &opts).unwrap();
        println!(
            "{gradient:?}: {} iterations, {} gradients, cost {} (LM {}), {:?}",
            res.iterations, res.jacobian_evals, res.cost, lm.cost, res.termination
        );
        assert_eq!(res.gradient, Some(gradient));
        assert!(res.termination.converged());
        // the same optimum as Levenberg–Marquardt, and the truth within 3 standard errors
        assert!((res.cost - lm.cost).abs() <= 1e-6 * lm.cost);
        for ((e, l), t) in res.estimates.iter().zip(&lm.estimates).zip(&truth) {
            let se = e.std_error.unwrap();
            println!(
                "{}: {:.6} ± {:.2e} (LM {:.6}, truth {t})",
                e.name, e.value, se, l.value
            );
            assert!((e.value - l.value).abs() <= 1e-2 * se, "{}", e.name);
            assert!((e.value - t).abs() <= 3.0 * se, "{}", e.name);
        }
    }
}
