//! The Lotka–Volterra UDE of Rackauckas et al. (2020), §2.1, end to end: train
//! `x' = αx + U₁, y' = −δy + U₂` through the solver on `t ∈ [0, 3]`, recover `U` with SINDy and
//! check structure (`U₁ = −βxy`, `U₂ = γxy`, nothing else) and coefficients within 5 %.
//!
//! Noise-free data and 0.5 % noise (of each component's mean; the level of the reference code,
//! SciMLSensitivity's and `universal_differential_equations`' Lotka–Volterra scripts). With 5 %
//! noise the network term is learnt to only ~10–40 % along the trajectory and the recovered
//! structure depends on the noise draw (right in 1 of 5 draws, see `examples/lv_ude.rs` and
//! `bench/node/RESULTS.md`), so no test asserts it.
use ai4de_node::lotka;

#[test]
fn ude_recovers_missing_lotka_volterra_terms_noise_free() {
    recover_and_check(0.0);
}

#[test]
fn ude_recovers_missing_lotka_volterra_terms_half_percent_noise() {
    recover_and_check(0.005);
}

fn recover_and_check(noise: f64) {
    let data = lotka::data(3.0, 0.1, noise, 1).unwrap();
    let rhs = lotka::ude().unwrap();
    let (theta, loss) = lotka::fit(&rhs, &data, &lotka::FitOptions::default()).unwrap();
    // 31 × 2 samples: the noise alone contributes about 62 (0.005 · mean)² ≈ 1.5e-3 at 0.5 %
    assert!(
        loss < 1e-3 + 62.0 * (noise * 2.0).powi(2),
        "training loss {loss:e}"
    );
    let model = lotka::recover(&rhs, &theta, &data.y[..2], 3.0).unwrap();
    assert_eq!(model.support(0), ["x*y"], "U1:\n{model}");
    assert_eq!(model.support(1), ["x*y"], "U2:\n{model}");
    let (b, g) = (model.coefficient(0, "x*y"), model.coefficient(1, "x*y"));
    let (beta, gamma) = (lotka::PARAMS[1], lotka::PARAMS[2]);
    assert!(((-b) - beta).abs() < 0.05 * beta, "β: {} vs {beta}", -b);
    assert!((g - gamma).abs() < 0.05 * gamma, "γ: {g} vs {gamma}");

    // the recovered model extrapolates to t = 6 (twice the training window)
    let t: Vec<f64> = (0..=60).map(|i| 0.1 * i as f64).collect();
    let exact = lotka::exact(&t).unwrap();
    let rec = lotka::recovered_system(&model).unwrap();
    let y = lotka::simulate(&rec, &lotka::U0, &t).unwrap();
    let err = lotka::rms(&y, &exact, 31..61);
    assert!(err < 0.3, "recovered model RMS error on (3, 6]: {err}");
}

#[test]
fn bad_data_settings_are_errors() {
    for (t_end, dt, noise) in [
        (3.0, 0.0, 0.0),
        (3.0, -0.1, 0.0),
        (3.0, f64::NAN, 0.0),
        (0.05, 0.1, 0.0),
        (3.0, 0.1, -1.0),
        (f64::INFINITY, 0.1, 0.0),
    ] {
        assert!(
            matches!(
                lotka::data(t_end, dt, noise, 0),
                Err(ai4de_node::NodeError::InvalidConfig { .. })
            ),
            "{t_end} {dt} {noise}"
        );
    }
}
