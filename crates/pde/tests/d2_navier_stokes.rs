//! Navier–Stokes (vorticity form, unit torus): exact decay of single-shell flows, enstrophy decay
//! at the rate the viscosity predicts, observed time orders of both integrators, determinism and
//! typed errors of the catalogue entry.

use std::f64::consts::PI;

use ai4de_pde::d2::grf::GrfPeriodic;
use ai4de_pde::d2::navier_stokes::{enstrophy, NavierStokes2d, NsConfig, NsScheme};
use ai4de_pde::random::sample_rng;
use ai4de_pde::{get, GenConfig, PdeError};
use ai4de_testkit::fit_order;

fn cfg(
    n: usize,
    nu: f64,
    forcing: f64,
    t_end: f64,
    n_out: usize,
    scheme: NsScheme,
    dt: f64,
) -> NsConfig {
    NsConfig {
        n,
        nu,
        forcing,
        t_end,
        n_out,
        scheme,
        dt_max: dt,
    }
}

/// `ω₀ = cos 2π(3x + 4y) + ½ sin 2π(5x) + ⅓ cos 2π(4x − 3y)`: every mode on the shell
/// `|k|² = 25`, so `u·∇ω ≡ 0` and `ω(t) = ω₀ e^{−4π² 25 ν t}` exactly.
fn shell_field(n: usize) -> Vec<f64> {
    (0..n * n)
        .map(|idx| {
            let (x, y) = ((idx / n) as f64 / n as f64, (idx % n) as f64 / n as f64);
            (2.0 * PI * (3.0 * x + 4.0 * y)).cos()
                + 0.5 * (2.0 * PI * 5.0 * x).sin()
                + (2.0 * PI * (4.0 * x - 3.0 * y)).cos() / 3.0
        })
        .collect()
}

#[test]
fn single_shell_flow_decays_exactly_at_the_viscous_rate() {
    let (n, nu, t_end, n_out) = (32, 1e-2, 1.0, 6);
    let w0 = shell_field(n);
    let rate = 4.0 * PI * PI * 25.0 * nu;
    let mut solver =
        NavierStokes2d::new(cfg(n, nu, 0.0, t_end, n_out, NsScheme::Etdrk4, 0.05)).unwrap();
    let mut out = vec![0.0; n_out * n * n];
    let stats = solver.solve_into(&w0, &mut out, 0).unwrap();
    assert!(stats.steps >= 20, "{stats:?}");
    let times = solver.config().times();
    for (k, &t) in times.iter().enumerate() {
        let snap = &out[k * n * n..(k + 1) * n * n];
        let err = snap
            .iter()
            .zip(&w0)
            .map(|(w, w0)| (w - w0 * (-rate * t).exp()).abs())
            .fold(0.0, f64::max);
        assert!(err < 1e-12, "t = {t}: error {err}");
        // enstrophy decays at twice the viscous rate: Z(t) = Z(0) e^{-2 ν |κ|² t}
        let z = enstrophy(snap) / enstrophy(&w0);
        assert!((z.ln() + 2.0 * rate * t).abs() < 1e-11, "t = {t}: {z}");
    }
}

#[test]
fn fno_scheme_on_a_single_shell_is_crank_nicolson_second_order() {
    // with u·∇ω ≡ 0 the FNO scheme reduces to Crank–Nicolson on ω_t = νΔω
    let (n, nu, t_end) = (16, 1e-3, 1.0);
    let w0 = shell_field(n);
    let exact = (-4.0 * PI * PI * 25.0 * nu * t_end).exp();
    let hs = [0.1, 0.05, 0.025, 0.0125];
    let errs: Vec<f64> = hs
        .iter()
        .map(|&h| {
            let mut s =
                NavierStokes2d::new(cfg(n, nu, 0.0, t_end, 2, NsScheme::FnoCrankNicolson, h))
                    .unwrap();
            let mut out = vec![0.0; 2 * n * n];
            s.solve_into(&w0, &mut out, 0).unwrap();
            out[n * n..]
                .iter()
                .zip(&w0)
                .map(|(w, w0)| (w - w0 * exact).abs())
                .fold(0.0, f64::max)
        })
        .collect();
    let p = fit_order(&hs, &errs);
    assert!((p - 2.0).abs() < 0.05, "order {p}, errors {errs:?}");
}

/// A nonlinear test flow: the FNO initial condition (scaled up so advection matters) on a
/// 32 × 32 grid with the FNO forcing.
fn nonlinear_ic(n: usize) -> Vec<f64> {
    let mut w0 = vec![0.0; n * n];
    GrfPeriodic::new(n, 2.5, 7.0, None).sample_into(&mut sample_rng(11, 0), &mut w0);
    w0.iter().map(|v| 3.0 * v).collect()
}

fn final_field(n: usize, scheme: NsScheme, h: f64, t_end: f64, w0: &[f64]) -> Vec<f64> {
    let mut s = NavierStokes2d::new(cfg(n, 1e-3, 0.1, t_end, 2, scheme, h)).unwrap();
    let mut out = vec![0.0; 2 * n * n];
    s.solve_into(w0, &mut out, 0).unwrap();
    out[n * n..].to_vec()
}

fn max_diff(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

#[test]
fn etdrk4_is_fourth_order_in_time_on_the_nonlinear_flow() {
    let (n, t_end) = (32, 0.5);
    let w0 = nonlinear_ic(n);
    let reference = final_field(n, NsScheme::Etdrk4, t_end / 512.0, t_end, &w0);
    let hs: Vec<f64> = [8.0, 16.0, 32.0, 64.0].iter().map(|m| t_end / m).collect();
    let errs: Vec<f64> = hs
        .iter()
        .map(|&h| max_diff(&final_field(n, NsScheme::Etdrk4, h, t_end, &w0), &reference))
        .collect();
    let p = fit_order(&hs, &errs);
    assert!((p - 4.0).abs() < 0.3, "order {p}, errors {errs:?}");
}

#[test]
fn fno_scheme_is_first_order_in_time_on_the_nonlinear_flow() {
    let (n, t_end) = (32, 0.5);
    let w0 = nonlinear_ic(n);
    let reference = final_field(n, NsScheme::Etdrk4, t_end / 256.0, t_end, &w0);
    let hs: Vec<f64> = [20.0, 40.0, 80.0, 160.0]
        .iter()
        .map(|m| t_end / m)
        .collect();
    let errs: Vec<f64> = hs
        .iter()
        .map(|&h| {
            max_diff(
                &final_field(n, NsScheme::FnoCrankNicolson, h, t_end, &w0),
                &reference,
            )
        })
        .collect();
    let p = fit_order(&hs, &errs);
    assert!((p - 1.0).abs() < 0.1, "order {p}, errors {errs:?}");
}

#[test]
fn unforced_enstrophy_decays_at_the_rate_the_viscosity_predicts() {
    // dZ/dt = −ν ∫|∇ω|² for Z = ½∫ω²: the (de-aliased) advection term conserves enstrophy, so
    // the observed decay must match the viscous dissipation computed from the field.
    // The initial field is band-limited to the de-aliased modes, so the flow stays there and
    // the pseudo-spectral product is the exact Galerkin projection (no aliasing error).
    use ai4de_pde::d2::fourier::{Complex64, Fourier2, Wavenumbers};
    let (n, nu, t_end, n_out) = (64, 5e-3, 0.04, 17);
    let w0 = {
        let raw = nonlinear_ic(n);
        let mut f = Fourier2::new(n, n);
        let mask = Wavenumbers::new(n, n, 1.0, 1.0).dealias_mask();
        let mut wh = vec![Complex64::default(); f.len_spec()];
        f.forward(&raw, &mut wh);
        for (c, m) in wh.iter_mut().zip(&mask) {
            *c *= *m;
        }
        let mut w0 = vec![0.0; n * n];
        f.inverse(&wh, &mut w0);
        w0
    };
    let mut s =
        NavierStokes2d::new(cfg(n, nu, 0.0, t_end, n_out, NsScheme::Etdrk4, 2.5e-4)).unwrap();
    let mut out = vec![0.0; n_out * n * n];
    s.solve_into(&w0, &mut out, 0).unwrap();
    let dt_out = t_end / (n_out - 1) as f64;
    let snap = |k: usize| &out[k * n * n..(k + 1) * n * n];
    // palinstrophy-type dissipation ν ∫|∇ω|² from spectral derivatives
    let dissipation = |w: &[f64]| -> f64 {
        let mut f = Fourier2::new(n, n);
        let k2 = Wavenumbers::new(n, n, 1.0, 1.0).k2();
        let mut wh = vec![Default::default(); f.len_spec()];
        f.forward(w, &mut wh);
        let nyh = f.nyh();
        let mut sum = 0.0;
        for q in 0..nyh {
            let mult = if q == 0 || q == n / 2 { 1.0 } else { 2.0 };
            for p in 0..n {
                let c: Complex64 = wh[q * n + p];
                sum += mult * k2[q * n + p] * c.norm_sqr();
            }
        }
        nu * sum / ((n * n) as f64).powi(2)
    };
    let z: Vec<f64> = (0..n_out).map(|k| enstrophy(snap(k))).collect();
    for k in 2..n_out - 2 {
        // fourth-order centred difference of Z against the dissipation at the middle snapshot
        let dz = (-z[k + 2] + 8.0 * z[k + 1] - 8.0 * z[k - 1] + z[k - 2]) / (12.0 * dt_out);
        let d = dissipation(snap(k));
        assert!(
            (dz + d).abs() < 1e-4 * d,
            "k = {k}: dZ/dt = {dz}, -nu |grad w|^2 = {}, rel {:e}",
            -d,
            (dz + d) / d
        );
    }
}

#[test]
fn catalogue_entry_is_deterministic_and_matches_its_layout() {
    let pde = get("ns2d").unwrap();
    let cfg = GenConfig {
        grid: vec![32, 32],
        steps: Some(3),
        params: [("T".to_string(), 1.0)].into_iter().collect(),
    };
    let layout = pde.layout(&cfg).unwrap();
    assert_eq!(layout.fields[0].shape, vec![32, 32]);
    assert_eq!(layout.fields[1].shape, vec![3, 32, 32]);
    assert_eq!(layout.coords[0].1, vec![0.0, 0.5, 1.0]);
    let a = pde.sample(&cfg, 1, 7).unwrap();
    let b = pde.sample(&cfg, 1, 7).unwrap();
    let c = pde.sample(&cfg, 1, 8).unwrap();
    assert_eq!(a, b);
    assert_ne!(a.fields[0], c.fields[0]);
    assert_eq!(a.fields[0], a.fields[1][..32 * 32].to_vec());
    assert!(a.fields[1].iter().all(|v| v.is_finite()));
    // the flow evolves (not a copy of the initial condition)
    assert!(max_diff(&a.fields[1][2 * 1024..], &a.fields[0]) > 1e-3);
}

#[test]
fn a_reused_solver_and_the_per_thread_workspace_give_the_same_bytes_as_fresh_ones() {
    // Solver reuse keeps FFT plans and ETDRK4 coefficients: results must not depend on what
    // was solved before (different initial conditions take different step counts).
    let n = 32;
    let c = cfg(n, 1e-3, 0.1, 1.0, 3, NsScheme::Etdrk4, 1.0);
    let ic = |i: u64| {
        let mut w0 = vec![0.0; n * n];
        GrfPeriodic::new(n, 2.5, 7.0, None).sample_into(&mut sample_rng(3, i), &mut w0);
        w0.iter_mut().for_each(|v| *v *= 1.0 + i as f64);
        w0
    };
    let mut reused = NavierStokes2d::new(c.clone()).unwrap();
    for i in 0..3 {
        let w0 = ic(i);
        let mut a = vec![0.0; 3 * n * n];
        let mut b = vec![0.0; 3 * n * n];
        let sa = reused.solve_into(&w0, &mut a, i).unwrap();
        let sb = NavierStokes2d::new(c.clone())
            .unwrap()
            .solve_into(&w0, &mut b, i)
            .unwrap();
        assert_eq!(a, b, "sample {i}");
        assert_eq!(sa, sb, "sample {i}");
    }
    // The catalogue entry reuses a per-thread workspace: a sample drawn after others (and after
    // another configuration) equals the same sample drawn first on a fresh thread.
    let pde = get("ns2d").unwrap();
    let gen = |nu: f64| GenConfig {
        grid: vec![n, n],
        steps: Some(3),
        params: [("T".to_string(), 1.0), ("nu".to_string(), nu)]
            .into_iter()
            .collect(),
    };
    let first = std::thread::spawn({
        let pde = get("ns2d").unwrap();
        let g = gen(1e-3);
        move || pde.sample(&g, 5, 2).unwrap()
    })
    .join()
    .unwrap();
    pde.sample(&gen(1e-3), 5, 0).unwrap();
    pde.sample(&gen(1e-4), 5, 1).unwrap();
    pde.sample(&gen(1e-3), 5, 1).unwrap();
    assert_eq!(pde.sample(&gen(1e-3), 5, 2).unwrap(), first);
}

#[test]
fn bad_configurations_are_typed_errors() {
    let pde = get("ns2d").unwrap();
    let with = |k: &str, v: f64| GenConfig {
        params: [(k.to_string(), v)].into_iter().collect(),
        ..Default::default()
    };
    for (k, v) in [
        ("nu", 0.0),
        ("nu", -1e-3),
        ("T", 0.0),
        ("scheme", 2.0),
        ("dt", -1.0),
        ("alpha", 0.5),
    ] {
        assert!(
            matches!(pde.layout(&with(k, v)), Err(PdeError::InvalidValue { .. })),
            "{k} = {v}"
        );
    }
    assert!(matches!(
        pde.layout(&with("nu", f64::NAN)),
        Err(PdeError::InvalidValue { .. })
    ));
    assert!(matches!(
        pde.layout(&with("Re", 1e3)),
        Err(PdeError::UnknownParam { .. })
    ));
    for grid in [vec![63], vec![2], vec![64, 32], vec![8, 8, 8]] {
        assert!(
            matches!(
                pde.layout(&GenConfig {
                    grid: grid.clone(),
                    ..Default::default()
                }),
                Err(PdeError::InvalidGrid { .. })
            ),
            "{grid:?}"
        );
    }
    assert!(matches!(
        pde.layout(&GenConfig {
            steps: Some(1),
            ..Default::default()
        }),
        Err(PdeError::InvalidValue { .. })
    ));
    // a non-finite initial condition is reported, not propagated
    let n = 8;
    let mut s = NavierStokes2d::new(cfg(n, 1e-3, 0.1, 1.0, 2, NsScheme::Etdrk4, 0.1)).unwrap();
    let mut w0 = vec![0.0; n * n];
    w0[3] = f64::INFINITY;
    let mut out = vec![0.0; 2 * n * n];
    assert!(matches!(
        s.solve_into(&w0, &mut out, 4),
        Err(PdeError::NonFinite { sample: 4, .. })
    ));
}
