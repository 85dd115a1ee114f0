//! Darcy flow: manufactured solutions with constant and variable permeability (observed order 2),
//! the Poisson torsion constant, the catalogue entry and its errors.

use std::f64::consts::PI;

use ai4de_pde::d2::darcy::DarcySolver;
use ai4de_pde::{get, GenConfig, PdeError};
use ai4de_testkit::fit_order;

/// Max nodal error of the 5-point scheme for `u = sin(πx) sin(2πy)` with permeability `a`.
fn manufactured_error(n: usize, a: &dyn Fn(f64, f64) -> (f64, f64, f64)) -> f64 {
    let h = 1.0 / (n - 1) as f64;
    let mut av = vec![0.0; n * n];
    let mut f = vec![0.0; n * n];
    let mut exact = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            let (x, y) = (i as f64 * h, j as f64 * h);
            let (s1, c1) = (PI * x).sin_cos();
            let (s2, c2) = (2.0 * PI * y).sin_cos();
            let u = s1 * s2;
            let (ux, uy) = (PI * c1 * s2, 2.0 * PI * s1 * c2);
            let lap = -(PI * PI + 4.0 * PI * PI) * u;
            let (aa, ax, ay) = a(x, y);
            av[i * n + j] = aa;
            // -div(a grad u) = -(a lap u + a_x u_x + a_y u_y)
            f[i * n + j] = -(aa * lap + ax * ux + ay * uy);
            exact[i * n + j] = u;
        }
    }
    let mut u = vec![0.0; n * n];
    DarcySolver::new(n).unwrap().solve(&av, &f, &mut u).unwrap();
    u.iter()
        .zip(&exact)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max)
}

#[test]
fn manufactured_constant_and_variable_permeability_second_order() {
    let constant = |_x: f64, _y: f64| (2.5, 0.0, 0.0);
    // smooth, strongly varying permeability 1 + x² + e^y (between 2 and 4.7)
    let variable = |x: f64, y: f64| (1.0 + x * x + y.exp(), 2.0 * x, y.exp());
    for (name, a) in [
        (
            "constant",
            &constant as &dyn Fn(f64, f64) -> (f64, f64, f64),
        ),
        ("variable", &variable),
    ] {
        let ns = [17, 33, 65, 129];
        let hs: Vec<f64> = ns.iter().map(|&n| 1.0 / (n - 1) as f64).collect();
        let errs: Vec<f64> = ns.iter().map(|&n| manufactured_error(n, a)).collect();
        let p = fit_order(&hs, &errs);
        assert!((p - 2.0).abs() < 0.1, "{name}: order {p}, errors {errs:?}");
        assert!(errs[3] < 1e-3, "{name}: errors {errs:?}");
    }
}

#[test]
fn unit_permeability_unit_source_matches_the_torsion_solution() {
    // -Δu = 1 on the unit square: u(½, ½) = 0.0736713532814... (series solution, e.g.
    // Timoshenko & Goodier, Theory of Elasticity, torsion of a square bar).
    let mut centre = Vec::new();
    for n in [33usize, 65, 129] {
        let mut u = vec![0.0; n * n];
        DarcySolver::new(n)
            .unwrap()
            .solve(&vec![1.0; n * n], &vec![1.0; n * n], &mut u)
            .unwrap();
        let c = n / 2;
        centre.push((u[c * n + c] - 0.073_671_353_281_4).abs());
        // symmetric in x <-> y and positive inside
        for i in 1..n - 1 {
            for j in 1..n - 1 {
                assert!(u[i * n + j] > 0.0);
                assert!((u[i * n + j] - u[j * n + i]).abs() < 1e-14);
            }
        }
    }
    assert!(centre[2] < 1e-5, "{centre:?}");
    let p = (centre[1] / centre[2]).log2();
    assert!((p - 2.0).abs() < 0.1, "centre errors {centre:?}");
}

#[test]
fn catalogue_entry_samples_are_deterministic_and_physical() {
    let pde = get("darcy").unwrap();
    let cfg = GenConfig {
        grid: vec![33],
        ..Default::default()
    };
    let layout = pde.layout(&cfg).unwrap();
    assert_eq!(layout.fields.len(), 2);
    assert_eq!(layout.fields[1].shape, vec![33, 33]);
    let s1 = pde.sample(&cfg, 5, 2).unwrap();
    let s2 = pde.sample(&cfg, 5, 2).unwrap();
    let s3 = pde.sample(&cfg, 5, 3).unwrap();
    assert_eq!(s1, s2);
    assert_ne!(s1, s3);
    let (a, u) = (&s1.fields[0], &s1.fields[1]);
    assert!(a.iter().all(|&v| v == 12.0 || v == 3.0));
    let high = a.iter().filter(|&&v| v == 12.0).count();
    assert!(high > 0 && high < a.len(), "both phases present: {high}");
    // maximum principle: 0 <= u <= the a = 3 torsion solution (u is smaller where a is larger)
    let umax = u.iter().cloned().fold(0.0, f64::max);
    assert!(u.iter().all(|&v| v >= 0.0));
    assert!(umax > 0.0 && umax < 0.0737 / 3.0 + 1e-3, "max u {umax}");
}

#[test]
fn bad_configurations_are_typed_errors() {
    let pde = get("darcy").unwrap();
    let with = |k: &str, v: f64| GenConfig {
        params: [(k.to_string(), v)].into_iter().collect(),
        ..Default::default()
    };
    assert!(matches!(
        pde.layout(&with("a_neg", -1.0)),
        Err(PdeError::InvalidValue { .. })
    ));
    assert!(matches!(
        pde.layout(&with("porosity", 1.0)),
        Err(PdeError::UnknownParam { .. })
    ));
    assert!(matches!(
        pde.layout(&GenConfig {
            grid: vec![2],
            ..Default::default()
        }),
        Err(PdeError::InvalidGrid { .. })
    ));
    assert!(matches!(
        pde.layout(&GenConfig {
            grid: vec![16, 32],
            ..Default::default()
        }),
        Err(PdeError::InvalidGrid { .. })
    ));
    assert!(matches!(
        pde.layout(&GenConfig {
            steps: Some(3),
            ..Default::default()
        }),
        Err(PdeError::InvalidValue { .. })
    ));
    let n = 9;
    let mut a = vec![1.0; n * n];
    a[40] = 0.0;
    let mut u = vec![0.0; n * n];
    assert!(matches!(
        DarcySolver::new(n)
            .unwrap()
            .solve(&a, &vec![1.0; n * n], &mut u),
        Err(PdeError::InvalidValue { .. })
    ));
}
