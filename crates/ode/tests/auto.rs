//! The `auto` method: explicit on non-stiff problems, switches to Rodas5P when stiffness appears,
//! and its answers match the references.

use ai4de_ode::problems::{self, Reference};
use ai4de_ode::{FnSystem, Method, SaveAt, Solve};

fn rel_err(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, r)| (x - r).abs() / r.abs().max(1e-300))
        .fold(0.0, f64::max)
}

#[test]
fn non_stiff_problem_stays_explicit() {
    let p = problems::get("lorenz").unwrap();
    let auto = Solve::new(&p, (0.0, 2.0), &p.y0)
        .method(Method::Auto)
        .rtol(1e-8)
        .atol(1e-10)
        .save_at(SaveAt::Final)
        .run()
        .unwrap();
    let tsit5 = Solve::new(&p, (0.0, 2.0), &p.y0)
        .method(Method::Tsit5)
        .rtol(1e-8)
        .atol(1e-10)
        .save_at(SaveAt::Final)
        .run()
        .unwrap();
    assert_eq!(auto.stats.jac_evals, 0, "{:?}", auto.stats);
    assert_eq!(auto.y_final(), tsit5.y_final());
    assert_eq!(auto.stats.f_evals, tsit5.stats.f_evals);
}

#[test]
fn stiff_problems_switch_and_match_the_test_set() {
    for name in ["rober", "hires", "orego", "vdpol"] {
        let p = problems::get(name).unwrap();
        let Reference::Final { t, y, .. } = p.reference().clone() else {
            panic!("{name} has a published final state")
        };
        let sol = Solve::new(&p, (p.t0, t), &p.y0)
            .method(Method::Auto)
            .rtol(1e-8)
            .atol(1e-10)
            .max_steps(1_000_000)
            .save_at(SaveAt::Final)
            .run()
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            sol.stats.jac_evals > 0,
            "{name}: never switched to the stiff method"
        );
        // Components above 1e-7 to about 5 digits at rtol 1e-8 (Test Set references).
        let big: Vec<usize> = (0..y.len()).filter(|&i| y[i].abs() > 1e-7).collect();
        let a: Vec<f64> = big.iter().map(|&i| sol.y_final()[i]).collect();
        let r: Vec<f64> = big.iter().map(|&i| y[i]).collect();
        let e = rel_err(&a, &r);
        assert!(e < 1e-4, "{name}: relative error {e:e} ({:?})", sol.stats);
    }
}

#[test]
fn stiffness_in_tiny_components_is_detected() {
    // E5's stiff modes live in components of 1e-20 and below, next to y1 = 1.76e-3; with the
    // Test Set's absolute tolerance the error control resolves them and Tsit5 crawls at its
    // stability limit (200 000 steps reach only t ≈ 34 of 1e13). The error-weighted stiffness
    // estimate sees them and switches.
    let p = problems::get("e5").unwrap();
    let sol = Solve::new(&p, (p.t0, p.t_end), &p.y0)
        .method(Method::Auto)
        .rtol(1e-8)
        .atol(1e-24)
        .max_steps(20_000)
        .save_at(SaveAt::Final)
        .run()
        .unwrap();
    assert!(sol.stats.jac_evals > 0, "{:?}", sol.stats);
    assert_eq!(sol.t_final(), p.t_end);
    assert!(sol.stats.steps < 10_000, "{:?}", sol.stats);
}

#[test]
fn auto_is_much_cheaper_than_explicit_on_a_stiff_problem() {
    let p = problems::get("vdpol").unwrap();
    let auto = Solve::new(&p, (0.0, 2.0), &p.y0)
        .method(Method::Auto)
        .rtol(1e-6)
        .atol(1e-6)
        .save_at(SaveAt::Final)
        .run()
        .unwrap();
    let explicit = Solve::new(&p, (0.0, 2.0), &p.y0)
        .method(Method::Tsit5)
        .rtol(1e-6)
        .atol(1e-6)
        .max_steps(10_000_000)
        .save_at(SaveAt::Final)
        .run()
        .unwrap();
    assert!(
        auto.stats.steps * 20 < explicit.stats.steps,
        "auto {:?} vs tsit5 {:?}",
        auto.stats,
        explicit.stats
    );
}

#[test]
fn switches_back_when_stiffness_ends() {
    // y' = −λ(t)(y − cos t) − sin t with λ = 1e4 for t < 1 and 1 afterwards: stiff, then not.
    let sys = FnSystem::new(1, |t, y: &[f64], dy: &mut [f64]| {
        let lambda = if t < 1.0 { 1e4 } else { 1.0 };
        dy[0] = -lambda * (y[0] - t.cos()) - t.sin();
    });
    let sol = Solve::new(&sys, (0.0, 30.0), &[1.0])
        .method(Method::Auto)
        .rtol(1e-6)
        .atol(1e-8)
        .save_at(SaveAt::Final)
        .run()
        .unwrap();
    assert!(
        (sol.y_final()[0] - 30f64.cos()).abs() < 1e-4,
        "{}",
        sol.y_final()[0]
    );
    // Far fewer Jacobians than steps: most of [1, 30] went explicit again.
    assert!(sol.stats.jac_evals > 0);
    assert!(
        sol.stats.jac_evals * 2 < sol.stats.accepted,
        "{:?}",
        sol.stats
    );
}

#[test]
fn mass_matrix_problems_run_stiff_from_the_start() {
    let p = problems::get("rober_dae").unwrap();
    let sol = Solve::new(&p, (0.0, 40.0), &p.y0)
        .method(Method::Auto)
        .rtol(1e-8)
        .atol(1e-10)
        .save_at(SaveAt::Final)
        .run()
        .unwrap();
    let s: f64 = sol.y_final().iter().sum();
    assert!((s - 1.0).abs() < 1e-9, "{s}");
}
