//! PDE-FIND on Burgers data from the exact Cole–Hopf solution: exact recovery without noise
//! (strong form), and the weak form under noise.

mod common;

use ai4de_discover::pde::{burgers_cole_hopf, Field1d, PdeFind, SpaceDerivative};
use ai4de_discover::{Criterion, Optimizer, Stlsq, Threshold, WeakPde};
use rand::SeedableRng;
use rand_distr::{Distribution, Normal};

const NU: f64 = 0.1;

fn burgers(nx: usize, nt: usize, t_end: f64) -> Field1d {
    let x: Vec<f64> = (0..nx)
        .map(|j| j as f64 * 2.0 * std::f64::consts::PI / nx as f64)
        .collect();
    let t: Vec<f64> = (0..nt)
        .map(|i| i as f64 * t_end / (nt - 1) as f64)
        .collect();
    let u = burgers_cole_hopf(NU, &t, &x);
    Field1d::new(t, x, u, "u", true).unwrap()
}

fn with_noise(f: &Field1d, level: f64, seed: u64) -> Field1d {
    let n = f.u.len() as f64;
    let mean = f.u.iter().sum::<f64>() / n;
    let sd = (f.u.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
    let normal = Normal::new(0.0, level * sd).unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let u = f.u.iter().map(|v| v + normal.sample(&mut rng)).collect();
    Field1d::new(f.t.clone(), f.x.clone(), u, "u", true).unwrap()
}

#[test]
fn cole_hopf_solves_burgers() {
    // u_t + u u_x − ν u_xx ≈ 0 by spectral x-derivatives and a centred t-difference
    let f = burgers(128, 3, 2e-4);
    let nx = 128;
    let h = f.x[1] - f.x[0];
    let row = |i: usize| &f.u[i * nx..(i + 1) * nx];
    let ux = ai4de_discover::derivative::spectral_derivative(row(1), h * nx as f64, 1);
    let uxx = ai4de_discover::derivative::spectral_derivative(row(1), h * nx as f64, 2);
    let dt = f.t[1] - f.t[0];
    let mut worst: f64 = 0.0;
    for j in 0..nx {
        let ut = (row(2)[j] - row(0)[j]) / (2.0 * dt);
        worst = worst.max((ut + row(1)[j] * ux[j] - NU * uxx[j]).abs());
    }
    assert!(worst < 1e-8, "residual {worst}");
}

#[test]
fn burgers_exact_recovery_strong_form() {
    let f = burgers(128, 201, 2.0);
    let m = PdeFind::default().fit(&f).unwrap();
    assert_eq!(m.support(0), ["u*u_x", "u_xx"], "{m}");
    let a = m.coefficient(0, "u*u_x");
    let b = m.coefficient(0, "u_xx");
    assert!((a + 1.0).abs() < 1e-3, "{m}");
    assert!((b - NU).abs() < 1e-3 * NU, "{m}");
    assert_eq!(
        m.to_string().lines().next().unwrap(),
        format!("u_t = -{:.3} u*u_x + {:.3} u_xx", -a, b)
    );
}

#[test]
fn burgers_strong_form_with_finite_differences_in_space() {
    let f = burgers(256, 201, 2.0);
    let pf = PdeFind {
        space: SpaceDerivative::FiniteDifference { accuracy: 6 },
        ..PdeFind::default()
    };
    let m = pf.fit(&f).unwrap();
    assert_eq!(m.support(0), ["u*u_x", "u_xx"], "{m}");
    assert!((m.coefficient(0, "u*u_x") + 1.0).abs() < 1e-3, "{m}");
    assert!((m.coefficient(0, "u_xx") - NU).abs() < 1e-3 * NU, "{m}");
}

#[test]
fn burgers_weak_form_under_noise() {
    let f = with_noise(&burgers(128, 201, 2.0), 0.02, 4);
    let pf = PdeFind {
        weak: Some(WeakPde::default()),
        optimizer: Optimizer::Stlsq(Stlsq {
            threshold: Threshold::Select {
                criterion: Criterion::Bic,
                points: 30,
            },
            alpha: 1e-10,
            ..Stlsq::default()
        }),
        ..PdeFind::default()
    };
    let m = pf.fit(&f).unwrap();
    // u u_x = (u^2)_x / 2
    assert_eq!(m.support(0), ["(u^2)_x", "u_xx"], "{m}");
    assert!((m.coefficient(0, "(u^2)_x") + 0.5).abs() < 0.02, "{m}");
    assert!((m.coefficient(0, "u_xx") - NU).abs() < 0.05 * NU, "{m}");
    // the strong form with pointwise derivatives does not survive the same noise
    let strong = PdeFind::default().fit(&f).unwrap();
    assert_ne!(strong.support(0), ["u*u_x", "u_xx"], "{strong}");
}
