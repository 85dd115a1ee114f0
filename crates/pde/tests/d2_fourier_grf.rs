//! 2-D Fourier machinery and random fields: spectral accuracy of derivatives and of the Poisson
//! solve, and the covariance of the FNO Gaussian random fields (variance and spectrum shape
//! against theory with a fixed seed; Darcy's thresholded field).

use std::f64::consts::PI;

use ai4de_pde::d2::fourier::{Complex64, Fourier2, Wavenumbers};
use ai4de_pde::d2::grf::{threshold, GrfNeumann, GrfPeriodic};
use ai4de_pde::random::sample_rng;

/// `u = exp(sin 2πx + cos 4πy)` on `[0,1)²` (entire, periodic) and its exact derivatives.
fn smooth(x: f64, y: f64) -> (f64, f64, f64, f64) {
    let (sx, cx) = (2.0 * PI * x).sin_cos();
    let (s4, c4) = (4.0 * PI * y).sin_cos();
    let u = (sx + c4).exp();
    let ux = 2.0 * PI * cx * u;
    let uy = -4.0 * PI * s4 * u;
    // Δu = u[(2π cx)² − 4π² sx + (4π s4)² − 16π² c4]
    let lap = u
        * ((2.0 * PI * cx).powi(2) - 4.0 * PI * PI * sx + (4.0 * PI * s4).powi(2)
            - 16.0 * PI * PI * c4);
    (u, ux, uy, lap)
}

fn derivative_errors(n: usize) -> (f64, f64, f64) {
    let mut f = Fourier2::new(n, n);
    let wn = Wavenumbers::new(n, n, 1.0, 1.0);
    let pts: Vec<(f64, f64, f64, f64)> = (0..n * n)
        .map(|i| smooth((i / n) as f64 / n as f64, (i % n) as f64 / n as f64))
        .collect();
    let u: Vec<f64> = pts.iter().map(|p| p.0).collect();
    let mut uh = vec![Complex64::default(); f.len_spec()];
    f.forward(&u, &mut uh);
    let apply = |f: &mut Fourier2, m: &dyn Fn(usize) -> Complex64| {
        let sh: Vec<Complex64> = uh.iter().enumerate().map(|(i, c)| c * m(i)).collect();
        let mut out = vec![0.0; n * n];
        f.inverse(&sh, &mut out);
        out
    };
    let (ddx, ddy, k2) = (wn.ddx(), wn.ddy(), wn.k2());
    let ux = apply(&mut f, &|i| ddx[i]);
    let uy = apply(&mut f, &|i| ddy[i]);
    // Poisson: recover u − mean(u) from f = −Δu by dividing by |κ|²
    let lap: Vec<f64> = pts.iter().map(|p| p.3).collect();
    let mut lh = vec![Complex64::default(); f.len_spec()];
    f.forward(&lap, &mut lh);
    for (i, c) in lh.iter_mut().enumerate() {
        *c = if k2[i] > 0.0 {
            -*c / k2[i]
        } else {
            Complex64::default()
        };
    }
    let mut psi = vec![0.0; n * n];
    f.inverse(&lh, &mut psi);
    let mean = u.iter().sum::<f64>() / (n * n) as f64;
    let err = |a: &[f64], b: &dyn Fn(usize) -> f64| {
        a.iter()
            .enumerate()
            .map(|(i, v)| (v - b(i)).abs())
            .fold(0.0, f64::max)
    };
    (
        err(&ux, &|i| pts[i].1),
        err(&uy, &|i| pts[i].2),
        err(&psi, &|i| pts[i].0 - mean),
    )
}

#[test]
fn derivatives_and_poisson_solve_are_spectrally_accurate() {
    let sizes = [8usize, 16, 32, 64];
    let errs: Vec<(f64, f64, f64)> = sizes.iter().map(|&n| derivative_errors(n)).collect();
    // exponential convergence: each doubling gains far more than any algebraic order would
    // (16 → 32 gains > 10^3, i.e. a slope above 10), down to rounding at 64 points
    for e in [
        errs.iter().map(|e| e.0).collect::<Vec<_>>(),
        errs.iter().map(|e| e.1).collect(),
        errs.iter().map(|e| e.2).collect(),
    ] {
        assert!(e[0] > 1e-3, "8 points cannot resolve it: {e:?}");
        assert!(e[2] < 1e-3 * e[1], "no spectral convergence: {e:?}");
        assert!(e[3] < 1e-10, "not at rounding level at 64 points: {e:?}");
    }
}

#[test]
fn periodic_grf_has_the_fno_variance_and_spectrum() {
    let n = 32;
    let (alpha, tau) = (2.5, 7.0);
    let mut grf = GrfPeriodic::new(n, alpha, tau, None);
    let sigma2 = tau.powf(2.0 * (alpha - 1.0));
    let wn = Wavenumbers::new(n, n, 1.0, 1.0);
    let k2 = wn.k2();
    let samples = 400;
    let mut f = Fourier2::new(n, n);
    let mut u = vec![0.0; n * n];
    let mut uh = vec![Complex64::default(); f.len_spec()];
    let mut per_sample_var = Vec::with_capacity(samples);
    // mean |û|² / N⁴ on the shells |k|² = 1 and |k|² = 25 (modes with ky > 0)
    let shells = [1.0, 25.0];
    let mut shell_power = [0.0; 2];
    let mut shell_count = [0usize; 2];
    let mut rng = sample_rng(2024, 0);
    for _ in 0..samples {
        grf.sample_into(&mut rng, &mut u);
        let mean = u.iter().sum::<f64>() / (n * n) as f64;
        assert!(mean.abs() < 1e-12, "zero mean mode");
        per_sample_var.push(u.iter().map(|v| v * v).sum::<f64>() / (n * n) as f64);
        f.forward(&u, &mut uh);
        for q in 1..n / 2 {
            for p in 0..n {
                let kk = k2[q * n + p] / (4.0 * PI * PI);
                for (s, &shell) in shells.iter().enumerate() {
                    if (kk - shell).abs() < 1e-9 {
                        shell_power[s] += uh[q * n + p].norm_sqr() / ((n * n) as f64).powi(2);
                        shell_count[s] += 1;
                    }
                }
            }
        }
    }
    let m = per_sample_var.iter().sum::<f64>() / samples as f64;
    let sd = (per_sample_var.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (samples - 1) as f64)
        .sqrt()
        / (samples as f64).sqrt();
    let theory = grf.point_variance();
    // independent check of point_variance: Σ_{k≠0} 2σ²(4π²|k|² + τ²)^{-α} over the full grid
    let mut full = 0.0;
    for p in 0..n {
        for q in 0..n {
            let (kx, ky) = (
                ai4de_pde::d2::fourier::wavenumber(p, n) as f64,
                ai4de_pde::d2::fourier::wavenumber(q, n) as f64,
            );
            if p + q > 0 {
                full +=
                    2.0 * sigma2 * (4.0 * PI * PI * (kx * kx + ky * ky) + tau * tau).powf(-alpha);
            }
        }
    }
    assert!((theory - full).abs() < 1e-12 * full, "{theory} vs {full}");
    assert!(
        (m - theory).abs() < 4.0 * sd && (m - theory).abs() < 0.05 * theory,
        "sample variance {m} ± {sd}, theory {theory}"
    );
    // spectrum: E|u_k|² = 2σ² λ_k^{-α} on each shell (sampling error of a χ² mean, < 10%)
    for s in 0..2 {
        let mean_power = shell_power[s] / shell_count[s] as f64;
        let want = 2.0 * sigma2 * (4.0 * PI * PI * shells[s] + tau * tau).powf(-alpha);
        let rel = mean_power / want - 1.0;
        let tol = 4.0 / (shell_count[s] as f64).sqrt();
        assert!(
            rel.abs() < tol,
            "shell {}: ratio {} (tol {tol})",
            shells[s],
            1.0 + rel
        );
    }
}

#[test]
fn neumann_grf_has_the_generator_normalisation_and_thresholds_to_two_phases() {
    // The orthonormal inverse DCT preserves the sum of squares (Parseval), so
    // E[Σ_ij U_ij²] = Σ_k coef_k² with coef_k = n τ^{α−1}(π²|k|² + τ²)^{−α/2}, coef_0 = 0.
    let (n, alpha, tau) = (40, 2.0, 3.0);
    let mut g = GrfNeumann::new(n, alpha, tau);
    let mut expected = 0.0;
    for k1 in 0..n {
        for k2 in 0..n {
            if k1 + k2 > 0 {
                let kk = (k1 * k1 + k2 * k2) as f64;
                expected += (n as f64
                    * tau.powf(alpha - 1.0)
                    * (PI * PI * kk + tau * tau).powf(-alpha / 2.0))
                .powi(2);
            }
        }
    }
    let mut u = vec![0.0; n * n];
    let mut rng = sample_rng(3, 1);
    let draws = 200;
    let energies: Vec<f64> = (0..draws)
        .map(|_| {
            g.sample_into(&mut rng, &mut u);
            // zero mean mode: every cosine with k ≠ 0 sums to zero over the points
            assert!(u.iter().sum::<f64>().abs() < 1e-9);
            u.iter().map(|v| v * v).sum::<f64>()
        })
        .collect();
    let m = energies.iter().sum::<f64>() / draws as f64;
    let sd = (energies.iter().map(|e| (e - m).powi(2)).sum::<f64>() / (draws - 1) as f64).sqrt()
        / (draws as f64).sqrt();
    assert!(
        (m - expected).abs() < 4.0 * sd && (m - expected).abs() < 0.1 * expected,
        "mean energy {m} ± {sd}, expected {expected}"
    );
    let mut a = vec![0.0; n * n];
    threshold(&u, 12.0, 3.0, &mut a);
    for (ai, ui) in a.iter().zip(&u) {
        assert_eq!(*ai, if *ui >= 0.0 { 12.0 } else { 3.0 });
    }
    let high = a.iter().filter(|&&v| v == 12.0).count();
    assert!(high > n * n / 10 && high < 9 * n * n / 10, "{high}");
}
