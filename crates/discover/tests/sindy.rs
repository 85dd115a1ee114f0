//! SINDy on simulated catalogue systems: exact recovery without noise, robustness to noise per
//! derivative method, ensembles, model selection, simulation of the discovered model, bad input,
//! and the JSON format.

mod common;

use ai4de_discover::{
    Coefficients, Criterion, Derivative, Differentiation, DiscoverError, Ensemble, Library, Model,
    Optimizer, Penalty, Sindy, Sr3, Stlsq, Threshold, TimeSeries, WeakForm,
};
use ai4de_ode::problems::{DampedOscillator, Lorenz, LotkaVolterra, VanDerPol};
use ai4de_ode::{Method, OdeSystem, SaveAt, Solve};
use common::{add_noise, simulate, LORENZ_SUPPORT};
use proptest::prelude::*;

fn stlsq(tau: f64) -> Optimizer {
    Optimizer::Stlsq(Stlsq {
        threshold: Threshold::Fixed(tau),
        ..Stlsq::default()
    })
}

fn sindy(diff: Differentiation, tau: f64) -> Sindy {
    Sindy {
        differentiation: diff,
        optimizer: stlsq(tau),
        normalize: false,
    }
}

fn lorenz_data() -> TimeSeries {
    simulate(
        &Lorenz::default(),
        &[-8.0, 8.0, 27.0],
        10.0,
        5001,
        &["x", "y", "z"],
    )
}

fn lorenz_lib() -> Library {
    Library::polynomial(&["x", "y", "z"], 2, true, true).unwrap()
}

/// `(equation, term, value)` of Lorenz (σ = 10, ρ = 28, β = 8/3).
const LORENZ_TRUTH: [(usize, &str, f64); 7] = [
    (0, "x", -10.0),
    (0, "y", 10.0),
    (1, "x", 28.0),
    (1, "y", -1.0),
    (1, "x*z", -1.0),
    (2, "z", -8.0 / 3.0),
    (2, "x*y", 1.0),
];

fn is_lorenz(m: &Model) -> bool {
    (0..3).all(|j| m.support(j) == LORENZ_SUPPORT[j])
}

fn max_rel_err(m: &Model, truth: &[(usize, &str, f64)]) -> f64 {
    truth
        .iter()
        .map(|&(j, t, v)| (m.coefficient(j, t) - v).abs() / v.abs())
        .fold(0.0, f64::max)
}

#[test]
fn lorenz_exact_recovery_noise_free() {
    let m = Sindy::default().fit(&lorenz_data(), &lorenz_lib()).unwrap();
    assert!(is_lorenz(&m), "{m}");
    assert!(max_rel_err(&m, &LORENZ_TRUTH) < 1e-3, "{m}");
}

#[test]
fn lotka_volterra_exact_recovery_noise_free() {
    let data = simulate(
        &LotkaVolterra::default(),
        &[1.0, 1.0],
        10.0,
        2001,
        &["x", "y"],
    );
    let lib = Library::polynomial(&["x", "y"], 2, true, true).unwrap();
    let m = Sindy::default().fit(&data, &lib).unwrap();
    assert_eq!(m.support(0), ["x", "x*y"], "{m}");
    assert_eq!(m.support(1), ["y", "x*y"], "{m}");
    let truth = [
        (0, "x", 1.5),
        (0, "x*y", -1.0),
        (1, "y", -3.0),
        (1, "x*y", 1.0),
    ];
    assert!(max_rel_err(&m, &truth) < 1e-3, "{m}");
}

#[test]
fn van_der_pol_exact_recovery_noise_free() {
    let data = simulate(&VanDerPol { mu: 1.0 }, &[2.0, 0.0], 20.0, 4001, &["x", "y"]);
    let lib = Library::polynomial(&["x", "y"], 3, true, true).unwrap();
    let m = Sindy::default().fit(&data, &lib).unwrap();
    assert_eq!(m.support(0), ["y"], "{m}");
    assert_eq!(m.support(1), ["x", "y", "x^2*y"], "{m}");
    let truth = [
        (0, "y", 1.0),
        (1, "x", -1.0),
        (1, "y", 1.0),
        (1, "x^2*y", -1.0),
    ];
    assert!(max_rel_err(&m, &truth) < 1e-3, "{m}");
}

#[test]
fn linear_oscillator_exact_recovery_noise_free() {
    let osc = DampedOscillator {
        omega: 2.0,
        zeta: 0.1,
    };
    let data = simulate(&osc, &[1.0, 0.0], 10.0, 2001, &["x", "v"]);
    let lib = Library::polynomial(&["x", "v"], 2, true, true).unwrap();
    let m = Sindy::default().fit(&data, &lib).unwrap();
    assert_eq!(m.support(0), ["v"], "{m}");
    assert_eq!(m.support(1), ["x", "v"], "{m}");
    let truth = [(0, "v", 1.0), (1, "x", -4.0), (1, "v", -0.4)];
    assert!(max_rel_err(&m, &truth) < 1e-3, "{m}");
}

#[test]
fn uneven_samples_fd_and_savgol() {
    // Lotka–Volterra sampled at jittered times
    let n = 3001;
    let t: Vec<f64> = (0..n)
        .map(|i| {
            let s = i as f64 / (n - 1) as f64;
            10.0 * (s + 0.2 * s * (1.0 - s) * (9.0 * s).sin() / 9.0)
        })
        .collect();
    let lv = LotkaVolterra::default();
    let sol = Solve::new(&lv, (0.0, 10.0), &[1.0, 1.0])
        .method(Method::Vern9)
        .rtol(1e-12)
        .atol(1e-12)
        .save_at(SaveAt::Times(t))
        .run()
        .unwrap();
    let data = TimeSeries::new(sol.t, sol.y, vec!["x".into(), "y".into()]).unwrap();
    let lib = Library::polynomial(&["x", "y"], 2, true, true).unwrap();
    let truth = [
        (0, "x", 1.5),
        (0, "x*y", -1.0),
        (1, "y", -3.0),
        (1, "x*y", 1.0),
    ];
    for diff in [
        Derivative::fd(4),
        Derivative::SavitzkyGolay {
            window: 9,
            degree: 5,
        },
    ] {
        let m = sindy(Differentiation::Pointwise(diff.clone()), 0.1)
            .fit(&data, &lib)
            .unwrap();
        assert_eq!(m.support(0), ["x", "x*y"], "{diff:?}: {m}");
        assert_eq!(m.support(1), ["y", "x*y"], "{diff:?}: {m}");
        assert!(max_rel_err(&m, &truth) < 1e-3, "{diff:?}: {m}");
    }
}

#[test]
fn sr3_l0_and_l1_recover_lorenz() {
    let data = add_noise(&lorenz_data(), 0.001, 7);
    for penalty in [Penalty::L0, Penalty::L1] {
        let s = Sindy {
            optimizer: Optimizer::Sr3(Sr3 {
                threshold: 0.5,
                penalty,
                ..Sr3::default()
            }),
            ..Sindy::default()
        };
        let m = s.fit(&data, &lorenz_lib()).unwrap();
        assert!(is_lorenz(&m), "{penalty:?}: {m}");
        assert!(max_rel_err(&m, &LORENZ_TRUTH) < 1e-2, "{penalty:?}: {m}");
    }
}

/// Noise levels (fraction of each component's standard deviation) at which each method must
/// find Lorenz's exact structure from 5001 samples on [0, 10] with threshold 0.5; see
/// `examples/noise_table.rs` for the full table. The weak form must go at least 5× further than
/// every pointwise method, and pointwise finite differences must fail where it succeeds.
#[test]
fn noise_robustness_per_method() {
    let clean = lorenz_data();
    let lib = lorenz_lib();
    let cases: Vec<(Differentiation, f64)> = vec![
        (Differentiation::Pointwise(Derivative::fd(2)), 0.01),
        (
            Differentiation::Pointwise(Derivative::SavitzkyGolay {
                window: 21,
                degree: 3,
            }),
            0.01,
        ),
        (
            Differentiation::Pointwise(Derivative::TotalVariation {
                alpha: 1e-4,
                iterations: 10,
            }),
            0.01,
        ),
        (Differentiation::Weak(WeakForm::default()), 0.1),
    ];
    for (diff, level) in cases {
        for seed in 0..2 {
            let m = sindy(diff.clone(), 0.5)
                .fit(&add_noise(&clean, level, seed), &lib)
                .unwrap();
            assert!(is_lorenz(&m), "{} at noise {level}: {m}", diff.name());
            assert!(max_rel_err(&m, &LORENZ_TRUTH) < 0.1, "{}: {m}", diff.name());
        }
    }
    let noisy = add_noise(&clean, 0.1, 0);
    for d in [
        Derivative::fd(2),
        Derivative::SavitzkyGolay {
            window: 21,
            degree: 3,
        },
    ] {
        let m = sindy(Differentiation::Pointwise(d.clone()), 0.5)
            .fit(&noisy, &lib)
            .unwrap();
        assert!(
            !is_lorenz(&m),
            "{} unexpectedly succeeded at 10 % noise",
            d.name()
        );
    }
}

#[test]
fn model_selection_bic_and_cv_find_the_threshold() {
    let data = add_noise(&lorenz_data(), 0.01, 3);
    for criterion in [
        Criterion::Bic,
        Criterion::Aic,
        Criterion::CrossValidation { folds: 5 },
    ] {
        let s = Sindy {
            optimizer: Optimizer::Stlsq(Stlsq {
                threshold: Threshold::Select {
                    criterion,
                    points: 30,
                },
                ..Stlsq::default()
            }),
            differentiation: Differentiation::Pointwise(Derivative::fd(2)),
            normalize: false,
        };
        let m = s.fit(&data, &lorenz_lib()).unwrap();
        assert!(is_lorenz(&m), "{criterion:?}: {m}");
    }
}

fn lorenz_ensemble(data: &TimeSeries, drop_terms: usize) -> Model {
    let s = Sindy {
        optimizer: Optimizer::Ensemble(Ensemble {
            base: Stlsq {
                threshold: Threshold::Fixed(0.5),
                ..Stlsq::default()
            },
            models: 40,
            drop_terms,
            inclusion: 0.6,
            seed: 5,
        }),
        differentiation: Differentiation::Pointwise(Derivative::fd(2)),
        normalize: false,
    };
    s.fit(data, &lorenz_lib()).unwrap()
}

#[test]
fn ensemble_inclusion_probabilities_and_spread() {
    let data = add_noise(&lorenz_data(), 0.01, 11);
    // bagging over samples: true terms in (nearly) every model, spurious ones rarely; the
    // coefficient spread is positive and small
    let m = lorenz_ensemble(&data, 0);
    assert!(is_lorenz(&m), "{m}");
    assert!(max_rel_err(&m, &LORENZ_TRUTH) < 0.05, "{m}");
    let c = &m.coefficients;
    let (inc, std) = (c.inclusion.as_ref().unwrap(), c.std.as_ref().unwrap());
    let names = m.term_names();
    let p = names.len();
    for j in 0..3 {
        for k in 0..p {
            let (pk, sk, v) = (inc[j * p + k], std[j * p + k], c.values[j * p + k]);
            if LORENZ_SUPPORT[j].contains(&names[k].as_str()) {
                // y' = ... - 1.0 y is the weakest true term at threshold 0.5 (about 0.8 here)
                assert!(pk >= 0.75, "{} in eq {j}: inclusion {pk}", names[k]);
                assert!(
                    sk > 0.0 && sk < 0.25 * v.abs(),
                    "{} in eq {j}: std {sk} of {v}",
                    names[k]
                );
            } else {
                // below the 0.6 cut; the constant picks up noise most easily (about 0.5 in z',
                // where it is nearly collinear with z ≈ 23), every other spurious term stays rare
                let bound = if names[k] == "1" { 0.6 } else { 0.2 };
                assert!(pk < bound, "{} in eq {j}: inclusion {pk}", names[k]);
            }
        }
    }
    // same seed, same answer, whatever the thread count
    assert_eq!(lorenz_ensemble(&data, 0).coefficients, m.coefficients);
    // library bagging: each model leaves one of the 10 terms out; the true terms still pass the
    // 0.6 inclusion cut (and nothing else does): the final model is still Lorenz
    let m = lorenz_ensemble(&data, 1);
    assert!(is_lorenz(&m), "{m}");
}

#[test]
fn discovered_model_predicts_held_out_data() {
    let sys = Lorenz::default();
    let train = add_noise(&lorenz_data(), 0.01, 1);
    let m = sindy(Differentiation::Pointwise(Derivative::fd(2)), 0.5)
        .fit(&train, &lorenz_lib())
        .unwrap();
    let ode = m.ode().unwrap();
    // held out: from a state not in the training data, 0.5 time units ahead
    let y0 = [1.0, 1.0, 20.0];
    let ts: Vec<f64> = (0..=50).map(|i| i as f64 * 0.01).collect();
    let truth = Solve::new(&sys, (0.0, 0.5), &y0)
        .rtol(1e-10)
        .atol(1e-10)
        .save_at(SaveAt::Times(ts.clone()))
        .run()
        .unwrap();
    let pred = Solve::new(&ode, (0.0, 0.5), &y0)
        .rtol(1e-10)
        .atol(1e-10)
        .save_at(SaveAt::Times(ts))
        .run()
        .unwrap();
    let err = ai4de_testkit::max_abs_diff(&truth.y, &pred.y);
    let scale = ai4de_testkit::max_abs(&truth.y);
    assert!(err < 0.02 * scale, "max error {err} vs scale {scale}");
    // and the right-hand sides agree where the data lives
    let mut a = [0.0; 3];
    let mut b = [0.0; 3];
    sys.rhs(0.0, &[3.0, -2.0, 25.0], &mut a);
    ode.rhs(0.0, &[3.0, -2.0, 25.0], &mut b);
    assert!(ai4de_testkit::max_abs_diff(&a, &b) < 0.02 * ai4de_testkit::max_abs(&a));
}

#[test]
fn bad_input_gives_typed_errors() {
    let names = vec!["x".to_string(), "y".to_string()];
    // NaN
    let e = TimeSeries::new(
        vec![0.0, 1.0, 2.0],
        vec![0.0, 1.0, f64::NAN, 2.0, 3.0, 4.0],
        names.clone(),
    );
    assert!(
        matches!(e, Err(DiscoverError::NonFinite { row: 1, col: 0, .. })),
        "{e:?}"
    );
    // mismatched shapes
    let e = TimeSeries::new(vec![0.0, 1.0, 2.0], vec![0.0; 5], names.clone());
    assert!(
        matches!(e, Err(DiscoverError::ShapeMismatch { .. })),
        "{e:?}"
    );
    // times not increasing
    let e = TimeSeries::new(vec![0.0, 2.0, 1.0], vec![0.0; 6], names.clone());
    assert!(
        matches!(e, Err(DiscoverError::NonIncreasingTime { index: 2, .. })),
        "{e:?}"
    );
    // too few samples for the stencil
    let data = TimeSeries::new(
        vec![0.0, 1.0, 2.0],
        vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0],
        names.clone(),
    )
    .unwrap();
    let lib = Library::polynomial(&["x", "y"], 1, true, true).unwrap();
    let e = Sindy::default().fit(&data, &lib);
    assert!(
        matches!(
            e,
            Err(DiscoverError::TooFewSamples {
                needed: 5,
                got: 3,
                ..
            })
        ),
        "{e:?}"
    );
    // a library larger than the number of samples
    let t: Vec<f64> = (0..8).map(|i| i as f64).collect();
    let y: Vec<f64> = (0..16).map(|i| (i as f64).sin()).collect();
    let data = TimeSeries::new(t, y, names.clone()).unwrap();
    let big = Library::polynomial(&["x", "y"], 4, true, true).unwrap();
    let e = sindy(Differentiation::Pointwise(Derivative::fd(2)), 0.1).fit(&data, &big);
    assert!(
        matches!(
            e,
            Err(DiscoverError::LibraryTooLarge { terms: 15, rows: 8 })
        ),
        "{e:?}"
    );
    // library over other variables
    let other = Library::polynomial(&["a", "b"], 1, true, true).unwrap();
    assert!(matches!(
        Sindy::default().fit(&data, &other),
        Err(DiscoverError::ShapeMismatch { .. })
    ));
    // bad library specifications
    for spec in ["poly", "poly:x", "cheb:2", "poly:2:wat", "fourier:0"] {
        let e = Library::parse(spec, &["x", "y"]);
        assert!(
            matches!(e, Err(DiscoverError::InvalidLibrary { .. })),
            "{spec}: {e:?}"
        );
    }
    // bad options
    let e = sindy(Differentiation::Pointwise(Derivative::fd(2)), -1.0).fit(&data, &lib);
    assert!(
        matches!(e, Err(DiscoverError::InvalidOption { .. })),
        "{e:?}"
    );
    let e = sindy(Differentiation::Weak(WeakForm::default()), 0.1).fit(&data, &lib);
    assert!(
        matches!(e, Err(DiscoverError::TooFewSamples { .. })),
        "{e:?}"
    );
}

#[test]
fn library_names_tensor_and_parse() {
    let lib = Library::parse("poly:2", &["x", "y", "z"]).unwrap();
    assert_eq!(
        lib.term_names(),
        ["1", "x", "y", "z", "x^2", "x*y", "x*z", "y^2", "y*z", "z^2"]
    );
    let lib = Library::parse("poly:3:nocross", &["x", "y"]).unwrap();
    assert_eq!(
        lib.term_names(),
        ["1", "x", "y", "x^2", "y^2", "x^3", "y^3"]
    );
    let lib = Library::parse("fourier:2", &["x"]).unwrap();
    assert_eq!(
        lib.term_names(),
        ["sin(x)", "cos(x)", "sin(2*x)", "cos(2*x)"]
    );
    let lib = Library::parse("poly:1xfourier:1+poly:2", &["x", "y"]).unwrap();
    let names = lib.term_names();
    assert_eq!(
        names,
        [
            "sin(x)", "cos(x)", "sin(y)", "cos(y)", "x*sin(x)", "x*cos(x)", "x*sin(y)", "x*cos(y)",
            "y*sin(x)", "y*cos(x)", "y*sin(y)", "y*cos(y)", "1", "x", "y", "x^2", "x*y", "y^2"
        ]
    );
    // names parse back to the same values
    let feats = ["x".to_string(), "y".to_string()];
    let mut row = vec![0.0; lib.len()];
    lib.eval_row(&[0.7, -1.3], &mut row);
    for (n, v) in names.iter().zip(&row) {
        let t = ai4de_discover::Term::parse(n, &feats).unwrap();
        assert_eq!(t.eval(&[0.7, -1.3]), *v, "{n}");
        assert_eq!(&t.name(&feats), n);
    }
    // tensor products merge powers: (x) ⊗ (x, x*y) = x^2, x^2*y
    let a = Library::polynomial(&["x", "y"], 1, true, false).unwrap();
    let b = a.tensor(&a).unwrap();
    assert_eq!(b.term_names(), ["x^2", "x*y", "y^2"]);
    // custom terms
    let mut c = Library::new(&["x"]);
    c.push_custom("exp(x)", |v| v[0].exp());
    assert_eq!(c.term_names(), ["exp(x)"]);
}

#[test]
fn json_format_snapshot_and_round_trip() {
    let lib = Library::polynomial(&["x", "y"], 2, true, true).unwrap();
    // x' = 1.5 x - x*y, y' = -3 y + x*y
    let mut values = vec![0.0; 12];
    values[1] = 1.5;
    values[4] = -1.0;
    values[6 + 2] = -3.0;
    values[6 + 4] = 1.0;
    let mut std = vec![0.0; 12];
    std[1] = 0.25;
    std[4] = 0.125;
    let m = Model {
        variables: vec!["x".into(), "y".into()],
        lhs: vec!["x'".into(), "y'".into()],
        library: lib,
        coefficients: Coefficients {
            n_targets: 2,
            n_terms: 6,
            values,
            std: Some(std),
            inclusion: None,
            thresholds: vec![0.1, 0.1],
        },
        is_pde: false,
    };
    let json = serde_json::to_string(&m.to_json_value()).unwrap();
    assert_eq!(
        json,
        r#"{"variables":["x","y"],"equations":[{"variable":"x","terms":[{"term":"x","coefficient":1.5,"std":0.25},{"term":"x*y","coefficient":-1.0,"std":0.125}]},{"variable":"y","terms":[{"term":"y","coefficient":-3.0,"std":0.0},{"term":"x*y","coefficient":1.0,"std":0.0}]}]}"#
    );
    assert_eq!(
        m.to_string(),
        "x' = 1.500 x (± 0.250) - 1.000 x*y (± 0.125)\ny' = -3.000 y (± 0.000) + 1.000 x*y (± 0.000)\n"
    );
    let back = Model::from_json(&m.to_json().unwrap()).unwrap();
    let (a, b) = (m.ode().unwrap(), back.ode().unwrap());
    let (mut da, mut db) = ([0.0; 2], [0.0; 2]);
    a.rhs(0.0, &[0.3, 2.0], &mut da);
    b.rhs(0.0, &[0.3, 2.0], &mut db);
    assert_eq!(da, db);
    assert_eq!(da, [1.5 * 0.3 - 0.6, -6.0 + 0.6]);
    assert!(matches!(
        Model::from_json(
            r#"{"variables":["x"],"equations":[{"variable":"x","terms":[{"term":"q^2","coefficient":1.0,"std":null}]}]}"#
        ),
        Err(DiscoverError::UnknownTerm { .. })
    ));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
    /// Sparse recovery law: for states spread over [-1, 1]^d (well-conditioned poly:2 library)
    /// and exact derivatives `Θ(x) Ξ` of any sparse `Ξ` with entries of magnitude in [0.5, 2],
    /// STLSQ with threshold 0.1 returns `Ξ` exactly (to 1e-9).
    #[test]
    fn sparse_polynomial_systems_are_recovered(
        d in 2usize..4,
        seed in 0u64..1000,
        picks in proptest::collection::vec((0usize..10, 0.5f64..2.0, any::<bool>()), 1..6),
    ) {
        use rand::{RngExt, SeedableRng};
        let names: Vec<String> = (0..d).map(|i| format!("x{i}")).collect();
        let lib = Library::polynomial(&names, 2, true, true).unwrap();
        let p = lib.len();
        let mut xi = vec![0.0; d * p];
        for (j, &(k, mag, neg)) in picks.iter().enumerate() {
            xi[(j % d) * p + k % p] = if neg { -mag } else { mag };
        }
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let n = 200;
        let mut theta = Vec::with_capacity(n * p);
        let mut row = vec![0.0; p];
        for _ in 0..n {
            let x: Vec<f64> = (0..d).map(|_| rng.random_range(-1.0..1.0)).collect();
            lib.eval_row(&x, &mut row);
            theta.extend_from_slice(&row);
        }
        let th = ai4de_discover::optimize::mat_from_rows(n, p, &theta);
        let y = faer::Mat::<f64>::from_fn(n, d, |i, j| (0..p).map(|k| th[(i, k)] * xi[j * p + k]).sum());
        let c = ai4de_discover::optimize::fit(th.as_ref(), y.as_ref(), &stlsq(0.1), false).unwrap();
        for (a, b) in c.values.iter().zip(&xi) {
            prop_assert!((a - b).abs() < 1e-9, "{a} vs {b}");
        }
    }
}

/// The column-by-column library matrix (monomials built from their parents) equals row-by-row
/// evaluation, for polynomial, Fourier, tensor-product and custom terms.
#[test]
fn library_matrix_matches_row_evaluation() {
    use rand::{RngExt, SeedableRng};
    let feats = ["x", "y", "z"];
    let mut lib = Library::parse("poly:4+poly:1xfourier:2", &feats).unwrap();
    lib.push_custom("exp(x)*y", |v| v[0].exp() * v[1]);
    let lib = lib
        .concat(&Library::polynomial(&feats, 3, false, false).unwrap())
        .unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
    let n = 300;
    let x: Vec<f64> = (0..n * 3).map(|_| rng.random_range(-3.0..3.0)).collect();
    let m = lib.matrix(&x).unwrap();
    let mut row = vec![0.0; lib.len()];
    for i in 0..n {
        lib.eval_row(&x[i * 3..(i + 1) * 3], &mut row);
        for (c, v) in row.iter().enumerate() {
            assert!(
                (m[(i, c)] - v).abs() <= 1e-13 * v.abs().max(1.0),
                "{}: {} vs {v}",
                lib.term_names()[c],
                m[(i, c)]
            );
        }
    }
    assert!(matches!(
        lib.matrix(&x[..7]),
        Err(DiscoverError::ShapeMismatch { .. })
    ));
}
