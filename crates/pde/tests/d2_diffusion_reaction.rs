//! FitzHugh–Nagumo (PDEBench 2-D diffusion–reaction): agreement with an independent explicit
//! finite-volume method of lines, fourth-order convergence in time, the no-flux mass balance,
//! determinism and typed errors.

use ai4de_pde::d2::diffusion_reaction::{FhnConfig, FitzHughNagumo2d};
use ai4de_pde::random::sample_rng;
use ai4de_pde::{get, GenConfig, PdeError};
use ai4de_testkit::fit_order;
use rand::RngExt;
use rand_distr::StandardNormal;

fn cfg(n: usize, t_end: f64, n_out: usize, dt: f64) -> FhnConfig {
    FhnConfig {
        n,
        du: 1e-3,
        dv: 5e-3,
        k: 5e-3,
        t_end,
        n_out,
        dt,
    }
}

fn noise(n: usize, seed: u64) -> (Vec<f64>, Vec<f64>) {
    let mut rng = sample_rng(seed, 0);
    let u = (0..n * n).map(|_| rng.sample(StandardNormal)).collect();
    let v = (0..n * n).map(|_| rng.sample(StandardNormal)).collect();
    (u, v)
}

fn solve(c: FhnConfig, u0: &[f64], v0: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let np = c.n * c.n * c.n_out;
    let (mut u, mut v) = (vec![0.0; np], vec![0.0; np]);
    FitzHughNagumo2d::new(c)
        .unwrap()
        .solve_into(u0, v0, &mut u, &mut v, 0)
        .unwrap();
    (u, v)
}

/// Independent method of lines: explicit 5-point stencil with mirrored ghost cells, classical RK4.
fn reference(n: usize, t_end: f64, steps: usize, u0: &[f64], v0: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let h = 2.0 / n as f64;
    let (du, dv, k) = (1e-3, 5e-3, 5e-3);
    let lap = |f: &[f64], i: usize, j: usize| {
        let c = f[i * n + j];
        let at = |a: isize, b: isize| {
            let a = a.clamp(0, n as isize - 1) as usize;
            let b = b.clamp(0, n as isize - 1) as usize;
            f[a * n + b]
        };
        let (i, j) = (i as isize, j as isize);
        (at(i + 1, j) + at(i - 1, j) + at(i, j + 1) + at(i, j - 1) - 4.0 * c) / (h * h)
    };
    let rhs = |s: &[f64]| -> Vec<f64> {
        let (u, v) = s.split_at(n * n);
        let mut out = vec![0.0; 2 * n * n];
        for i in 0..n {
            for j in 0..n {
                let (a, b) = (u[i * n + j], v[i * n + j]);
                out[i * n + j] = du * lap(u, i, j) + a - a * a * a - k - b;
                out[n * n + i * n + j] = dv * lap(v, i, j) + a - b;
            }
        }
        out
    };
    let dt = t_end / steps as f64;
    let mut s: Vec<f64> = u0.iter().chain(v0).cloned().collect();
    for _ in 0..steps {
        let k1 = rhs(&s);
        let add = |a: &[f64], b: &[f64], c: f64| -> Vec<f64> {
            a.iter().zip(b).map(|(x, y)| x + c * y).collect()
        };
        let k2 = rhs(&add(&s, &k1, dt / 2.0));
        let k3 = rhs(&add(&s, &k2, dt / 2.0));
        let k4 = rhs(&add(&s, &k3, dt));
        for i in 0..s.len() {
            s[i] += dt / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]);
        }
    }
    let (u, v) = s.split_at(n * n);
    (u.to_vec(), v.to_vec())
}

fn max_diff(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

#[test]
fn matches_an_independent_finite_volume_method_of_lines() {
    let (n, t_end) = (12, 0.5);
    let (u0, v0) = noise(n, 1);
    let (u, v) = solve(cfg(n, t_end, 2, 1e-3), &u0, &v0);
    let (ur, vr) = reference(n, t_end, 4000, &u0, &v0);
    let eu = max_diff(&u[n * n..], &ur);
    let ev = max_diff(&v[n * n..], &vr);
    assert!(eu < 1e-9 && ev < 1e-9, "errors {eu:e} {ev:e}");
}

#[test]
fn fourth_order_in_time() {
    let (n, t_end) = (16, 1.0);
    let (u0, v0) = noise(n, 2);
    let (ur, _) = solve(cfg(n, t_end, 2, t_end / 1024.0), &u0, &v0);
    let hs: Vec<f64> = [16.0, 32.0, 64.0, 128.0]
        .iter()
        .map(|m| t_end / m)
        .collect();
    let errs: Vec<f64> = hs
        .iter()
        .map(|&h| {
            max_diff(
                &solve(cfg(n, t_end, 2, h), &u0, &v0).0[n * n..],
                &ur[n * n..],
            )
        })
        .collect();
    let p = fit_order(&hs, &errs);
    assert!((p - 4.0).abs() < 0.3, "order {p}, errors {errs:?}");
}

#[test]
fn no_flux_walls_conserve_the_diffusive_mass() {
    // With D > 0 but no reaction gradients, d/dt Σ v = Σ (u − v): diffusion moves no mass
    // through the walls. Check the integrated balance of v between outputs with Simpson's rule.
    let (n, t_end, n_out) = (20, 0.2, 9);
    let (u0, v0) = noise(n, 3);
    let (u, v) = solve(cfg(n, t_end, n_out, 1e-3), &u0, &v0);
    let np = n * n;
    let sum = |f: &[f64], k: usize| f[k * np..(k + 1) * np].iter().sum::<f64>();
    let dt = t_end / (n_out - 1) as f64;
    for k in (0..n_out - 2).step_by(2) {
        let src = |j: usize| sum(&u, j) - sum(&v, j);
        let integral = dt / 3.0 * (src(k) + 4.0 * src(k + 1) + src(k + 2));
        let change = sum(&v, k + 2) - sum(&v, k);
        assert!(
            (change - integral).abs() < 1e-4 * (1.0 + integral.abs()),
            "k = {k}: change {change}, source integral {integral}"
        );
    }
}

#[test]
fn catalogue_entry_is_deterministic_and_bounded() {
    let pde = get("diffusion_reaction_2d").unwrap();
    let cfg = GenConfig {
        grid: vec![16],
        steps: Some(6),
        params: [("T".to_string(), 1.0)].into_iter().collect(),
    };
    let layout = pde.layout(&cfg).unwrap();
    assert_eq!(layout.fields[0].shape, vec![6, 16, 16]);
    assert!((layout.coords[1].1[0] + 1.0 - 1.0 / 16.0).abs() < 1e-15);
    let a = pde.sample(&cfg, 9, 0).unwrap();
    assert_eq!(a, pde.sample(&cfg, 9, 0).unwrap());
    assert_ne!(a, pde.sample(&cfg, 9, 1).unwrap());
    // the cubic reaction pulls u back into a bounded range
    let last = &a.fields[0][5 * 256..];
    assert!(last.iter().all(|x| x.abs() < 2.0), "{last:?}");
}

#[test]
fn bad_configurations_are_typed_errors() {
    let pde = get("diffusion_reaction_2d").unwrap();
    let with = |k: &str, v: f64| GenConfig {
        params: [(k.to_string(), v)].into_iter().collect(),
        ..Default::default()
    };
    for (k, v) in [("Du", -1.0), ("T", 0.0), ("dt", 0.0)] {
        assert!(
            matches!(pde.layout(&with(k, v)), Err(PdeError::InvalidValue { .. })),
            "{k} = {v}"
        );
    }
    assert!(matches!(
        pde.layout(&with("D", 1.0)),
        Err(PdeError::UnknownParam { .. })
    ));
    assert!(matches!(
        pde.layout(&GenConfig {
            grid: vec![1],
            ..Default::default()
        }),
        Err(PdeError::InvalidGrid { .. })
    ));
}
