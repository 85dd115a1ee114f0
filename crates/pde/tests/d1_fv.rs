//! Finite volumes: second order on smooth advection, TVD on a square wave, exact mass
//! conservation, viscous Burgers against Cole–Hopf, the inviscid shock speed (Rankine–Hugoniot)
//! with Dirichlet boundaries.

use std::f64::consts::PI;

use ai4de_pde::d1::fd::Boundary;
use ai4de_pde::d1::fv::{BurgersFlux, FiniteVolume, Limiter, LinearFlux};

/// Exact cell averages of `sin(2πx)` on `n` cells of [0, 1).
fn sine_averages(n: usize, shift: f64) -> Vec<f64> {
    let h = 1.0 / n as f64;
    (0..n)
        .map(|i| {
            let (a, b) = (i as f64 * h - shift, (i + 1) as f64 * h - shift);
            ((2.0 * PI * a).cos() - (2.0 * PI * b).cos()) / (2.0 * PI * h)
        })
        .collect()
}

#[test]
fn smooth_advection_is_second_order_in_l1() {
    for limiter in [
        Limiter::VanLeer,
        Limiter::MonotonizedCentral,
        Limiter::Minmod,
    ] {
        let errs: Vec<f64> = [64, 128, 256]
            .iter()
            .map(|&n| {
                let mut fv = FiniteVolume::new(
                    LinearFlux(1.0),
                    0.0,
                    0.0,
                    1.0,
                    n,
                    Boundary::Periodic,
                    limiter,
                )
                .unwrap();
                let u0 = sine_averages(n, 0.0);
                let (u, _) = fv.solve(&u0, &[0.0, 0.5], "test", 0).unwrap();
                let exact = sine_averages(n, 0.5);
                u[n..]
                    .iter()
                    .zip(&exact)
                    .map(|(a, b)| (a - b).abs())
                    .sum::<f64>()
                    / n as f64
            })
            .collect();
        let p = (errs[1] / errs[2]).log2();
        // Measured L1 orders at 128 -> 256: minmod ~1.9, van Leer and MC ~2.
        assert!(p > 1.75 && p < 2.3, "{limiter:?}: order {p}, {errs:?}");
    }
}

#[test]
fn square_wave_stays_bounded_and_total_variation_does_not_grow() {
    let n = 200;
    let mut fv = FiniteVolume::new(
        LinearFlux(-0.7),
        0.0,
        0.0,
        1.0,
        n,
        Boundary::Periodic,
        Limiter::MonotonizedCentral,
    )
    .unwrap();
    let u0: Vec<f64> = fv
        .centres()
        .iter()
        .map(|&x| if (0.3..0.6).contains(&x) { 1.0 } else { -0.5 })
        .collect();
    let times: Vec<f64> = (0..=10).map(|i| 0.1 * i as f64).collect();
    let (u, _) = fv.solve(&u0, &times, "test", 0).unwrap();
    let tv = |r: &[f64]| (0..n).map(|i| (r[(i + 1) % n] - r[i]).abs()).sum::<f64>();
    let mut prev = tv(&u0);
    for row in u.chunks_exact(n) {
        assert!(row
            .iter()
            .all(|&v| (-0.5 - 1e-12..=1.0 + 1e-12).contains(&v)));
        let t = tv(row);
        assert!(t <= prev + 1e-12, "TV grew: {t} > {prev}");
        prev = t;
    }
}

/// Cole–Hopf solution of `u_t + u u_x = ν u_xx` (see d1_spectral.rs).
fn cole_hopf(x: f64, t: f64, nu: f64) -> f64 {
    let e1 = (-4.0 * PI * PI * nu * t).exp();
    let e2 = (-16.0 * PI * PI * nu * t).exp();
    let phi = 3.0 + e1 * (2.0 * PI * x).cos() + 0.5 * e2 * (4.0 * PI * x).sin();
    let phi_x = -2.0 * PI * e1 * (2.0 * PI * x).sin() + 2.0 * PI * e2 * (4.0 * PI * x).cos();
    -2.0 * nu * phi_x / phi
}

#[test]
fn viscous_burgers_converges_to_cole_hopf_and_conserves_mass() {
    let nu = 0.02;
    let errs: Vec<f64> = [128, 256, 512]
        .iter()
        .map(|&n| {
            let mut fv = FiniteVolume::new(
                BurgersFlux,
                nu,
                0.0,
                1.0,
                n,
                Boundary::Periodic,
                Limiter::VanLeer,
            )
            .unwrap();
            let x = fv.centres();
            let u0: Vec<f64> = x.iter().map(|&x| cole_hopf(x, 0.0, nu)).collect();
            let times = [0.0, 0.25, 0.5];
            let (u, _) = fv.solve(&u0, &times, "test", 0).unwrap();
            let m0: f64 = u0.iter().sum();
            for row in u.chunks_exact(n) {
                assert!((row.iter().sum::<f64>() - m0).abs() < 1e-12 * n as f64);
            }
            // Point values vs cell averages differ by O(h²): both errors are second order.
            u[2 * n..]
                .iter()
                .zip(&x)
                .map(|(v, &x)| (v - cole_hopf(x, 0.5, nu)).abs())
                .sum::<f64>()
                / n as f64
        })
        .collect();
    let p = (errs[1] / errs[2]).log2();
    assert!(errs[2] < 1e-4 && p > 1.7, "order {p}, errors {errs:?}");
}

#[test]
fn inviscid_shock_moves_at_the_rankine_hugoniot_speed() {
    // u = 1 left of x = 0.25, 0 right: a shock with speed (1 + 0)/2 = 1/2.
    let n = 400;
    let mut fv = FiniteVolume::new(
        BurgersFlux,
        0.0,
        0.0,
        1.0,
        n,
        Boundary::Dirichlet {
            left: 1.0,
            right: 0.0,
        },
        Limiter::Minmod,
    )
    .unwrap();
    let x = fv.centres();
    let u0: Vec<f64> = x
        .iter()
        .map(|&x| if x < 0.25 { 1.0 } else { 0.0 })
        .collect();
    let (u, _) = fv.solve(&u0, &[0.0, 0.5], "test", 0).unwrap();
    let row = &u[n..];
    // Mass balance locates the shock exactly: ∫u = x_s for a unit step.
    let xs = row.iter().sum::<f64>() / n as f64;
    assert!((xs - 0.5).abs() < 1e-9, "shock at {xs}");
    let i = row.iter().position(|&v| v < 0.5).unwrap();
    assert!((x[i] - 0.5).abs() < 3.0 / n as f64, "crossing at {}", x[i]);
    assert!(row.iter().all(|&v| (-1e-12..=1.0 + 1e-12).contains(&v)));
}
