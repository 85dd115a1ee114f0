//! Finite volumes: second order on smooth advection, TVD on a square wave, exact mass
//! conservation, viscous Burgers against Cole–Hopf, the inviscid shock speed (Rankine–Hugoniot)
//! with Dirichlet boundaries.

use std::f64::consts::PI;

use ai4de_pde::d1::fd::Boundary;
use ai4de_pde::d1::fv::{BurgersFlux, FiniteVolume, Limiter, LinearFlux, Viscous};

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

/// Exact cell averages of `e^{−4π²νt} sin(2π(x − βt))` on `n` cells of [0, 1).
fn decaying_sine_averages(n: usize, beta: f64, nu: f64, t: f64) -> Vec<f64> {
    let decay = (-4.0 * PI * PI * nu * t).exp();
    sine_averages(n, beta * t)
        .into_iter()
        .map(|v| decay * v)
        .collect()
}

#[test]
fn split_heat_flow_is_exact_on_a_fourier_mode() {
    // Zero speed: the finite-volume stages do nothing and the split heat flow is the whole
    // solution, exact for a single mode whatever the steps.
    let (n, nu) = (64, 0.05);
    let mut fv = FiniteVolume::new(
        LinearFlux(0.0),
        nu,
        0.0,
        1.0,
        n,
        Boundary::Periodic,
        Limiter::MonotonizedCentral,
    )
    .unwrap();
    fv.set_viscous(Viscous::SplitSpectral).unwrap();
    let times = [0.0, 0.1, 0.7];
    let (u, _) = fv.solve(&sine_averages(n, 0.0), &times, "test", 0).unwrap();
    for (k, &t) in times.iter().enumerate() {
        let exact = decaying_sine_averages(n, 0.0, nu, t);
        let err = u[k * n..(k + 1) * n]
            .iter()
            .zip(&exact)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        assert!(err < 1e-14, "t = {t}: error {err}");
    }
}

#[test]
fn split_advection_diffusion_is_second_order_and_beats_the_explicit_viscous_flux() {
    // u_t + u_x = ν u_xx with a decaying travelling sine: exact cell averages known.
    let (nu, t_end) = (0.01, 0.5);
    let run = |n: usize, viscous: Viscous| -> (f64, usize) {
        let mut fv = FiniteVolume::new(
            LinearFlux(1.0),
            nu,
            0.0,
            1.0,
            n,
            Boundary::Periodic,
            Limiter::MonotonizedCentral,
        )
        .unwrap();
        fv.set_viscous(viscous).unwrap();
        let (u, st) = fv
            .solve(&sine_averages(n, 0.0), &[0.0, t_end], "test", 0)
            .unwrap();
        let exact = decaying_sine_averages(n, 1.0, nu, t_end);
        let l1 = u[n..]
            .iter()
            .zip(&exact)
            .map(|(a, b)| (a - b).abs())
            .sum::<f64>()
            / n as f64;
        (l1, st.steps)
    };
    let split: Vec<(f64, usize)> = [64, 128, 256]
        .iter()
        .map(|&n| run(n, Viscous::SplitSpectral))
        .collect();
    let p = (split[1].0 / split[2].0).log2();
    assert!(p > 1.75 && p < 2.5, "order {p}: {split:?}");
    let explicit = run(256, Viscous::Explicit);
    // At n = 256 the explicit diffusive limit h²/(2ν) (7.6e-4) is below the advective h (3.9e-3).
    assert!(
        split[2].1 * 3 < explicit.1,
        "steps {split:?} vs {explicit:?}"
    );
    assert!(
        split[2].0 < 1.2 * explicit.0,
        "errors {split:?} vs {explicit:?}"
    );
}

#[test]
fn split_viscous_burgers_converges_to_cole_hopf_and_conserves_mass() {
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
                Limiter::MonotonizedCentral,
            )
            .unwrap();
            fv.set_viscous(Viscous::SplitSpectral).unwrap();
            let x = fv.centres();
            let u0: Vec<f64> = x.iter().map(|&x| cole_hopf(x, 0.0, nu)).collect();
            let (u, _) = fv.solve(&u0, &[0.0, 0.25, 0.5], "test", 0).unwrap();
            let m0: f64 = u0.iter().sum();
            for row in u.chunks_exact(n) {
                assert!((row.iter().sum::<f64>() - m0).abs() < 1e-12 * n as f64);
            }
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
fn split_viscous_needs_periodic_boundaries_and_an_even_grid() {
    let make = |n: usize, boundary: Boundary| {
        FiniteVolume::new(BurgersFlux, 0.01, 0.0, 1.0, n, boundary, Limiter::Minmod).unwrap()
    };
    let dirichlet = Boundary::Dirichlet {
        left: 0.0,
        right: 0.0,
    };
    assert!(make(64, dirichlet)
        .set_viscous(Viscous::SplitSpectral)
        .is_err());
    assert!(make(63, Boundary::Periodic)
        .set_viscous(Viscous::SplitSpectral)
        .is_err());
    let mut ok = make(64, Boundary::Periodic);
    ok.set_viscous(Viscous::SplitSpectral).unwrap();
    assert_eq!(ok.viscous(), Viscous::SplitSpectral);
}
