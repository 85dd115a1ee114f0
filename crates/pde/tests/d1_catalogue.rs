//! The 1-D catalogue entries: layouts match samples, samples depend only on (cfg, seed, index),
//! bad configurations are typed errors, and the advection entry is exact.

use std::collections::BTreeMap;

use ai4de_pde::{catalogue, get, GenConfig, PdeError};

const ONE_D: &[&str] = &["advection", "burgers", "kdv", "ks", "diffusion_reaction"];

/// A cheap configuration for each entry (small grid, short time).
fn small(name: &str) -> GenConfig {
    let mut params = BTreeMap::new();
    let t_end = match name {
        "ks" => 5.0,
        "kdv" => 1.0,
        "allen_cahn" => 1.0,
        _ => 0.1,
    };
    params.insert("t_end".to_string(), t_end);
    GenConfig {
        grid: vec![64],
        steps: Some(5),
        params,
    }
}

#[test]
fn every_1d_entry_is_in_the_catalogue_with_a_documented_setup() {
    let names: Vec<&str> = catalogue().iter().map(|p| p.info().name).collect();
    for n in ONE_D {
        assert!(names.contains(n), "{n} missing from {names:?}");
        let info = get(n).unwrap().info();
        assert_eq!(info.spatial_dims, 1);
        assert!(!info.equation.is_empty() && !info.source.is_empty());
    }
}

#[test]
fn samples_match_layouts_and_are_deterministic() {
    for name in ONE_D {
        let pde = get(name).unwrap();
        let cfg = small(name);
        let layout = pde.layout(&cfg).unwrap();
        let a = pde.sample(&cfg, 7, 3).unwrap();
        let b = pde.sample(&cfg, 7, 3).unwrap();
        let c = pde.sample(&cfg, 7, 4).unwrap();
        assert_eq!(a.fields.len(), layout.fields.len());
        for (f, spec) in a.fields.iter().zip(&layout.fields) {
            assert_eq!(f.len(), spec.shape.iter().product::<usize>(), "{name}");
            assert!(f.iter().all(|v| v.is_finite()), "{name}");
        }
        let bits = |s: &ai4de_pde::Sample| -> Vec<u64> {
            s.fields.iter().flatten().map(|v| v.to_bits()).collect()
        };
        assert_eq!(
            bits(&a),
            bits(&b),
            "{name}: same (seed, index), different bits"
        );
        assert_ne!(bits(&a), bits(&c), "{name}: different index, same sample");
        // x coordinates have the grid length, t coordinates the step count.
        assert_eq!(layout.coords[0].0, "t");
        assert_eq!(layout.coords[0].1.len(), 5);
        assert_eq!(layout.coords[1].1.len(), 64);
    }
}

#[test]
fn bad_configurations_are_typed_errors() {
    for name in ONE_D {
        let pde = get(name).unwrap();
        let mut cfg = small(name);
        cfg.params.insert("no_such_param".into(), 1.0);
        assert!(
            matches!(pde.layout(&cfg), Err(PdeError::UnknownParam { .. })),
            "{name}"
        );
        let mut cfg = small(name);
        cfg.grid = vec![64, 64];
        assert!(matches!(
            pde.layout(&cfg),
            Err(PdeError::InvalidGrid { .. })
        ));
        let mut cfg = small(name);
        cfg.steps = Some(1);
        assert!(matches!(
            pde.layout(&cfg),
            Err(PdeError::InvalidValue { .. })
        ));
        let mut cfg = small(name);
        cfg.params.insert("t_end".into(), -1.0);
        assert!(matches!(
            pde.sample(&cfg, 0, 0),
            Err(PdeError::InvalidValue { .. })
        ));
        let mut cfg = small(name);
        cfg.params.insert("t_end".into(), f64::NAN);
        assert!(pde.layout(&cfg).is_err());
    }
    let mut cfg = small("burgers");
    cfg.grid = vec![63];
    assert!(matches!(
        get("burgers").unwrap().layout(&cfg),
        Err(PdeError::InvalidGrid { .. })
    ));
    cfg.grid = vec![64];
    cfg.params.insert("nu".into(), -0.1);
    assert!(matches!(
        get("burgers").unwrap().layout(&cfg),
        Err(PdeError::InvalidValue { .. })
    ));
}

#[test]
fn advection_is_the_exact_shift() {
    // beta = 0.5, t = 2: the profile has travelled one period.
    let pde = get("advection").unwrap();
    let mut cfg = small("advection");
    cfg.params.insert("beta".into(), 0.5);
    cfg.params.insert("t_end".into(), 2.0);
    cfg.steps = Some(5);
    let s = pde.sample(&cfg, 1, 2).unwrap();
    let u = &s.fields[0];
    let n = 64;
    let (first, last) = (&u[..n], &u[4 * n..]);
    for (a, b) in first.iter().zip(last) {
        assert!((a - b).abs() < 1e-12);
    }
    // t = 1 (row 2): shifted by half a period = 32 cells.
    let mid = &u[2 * n..3 * n];
    for j in 0..n {
        assert!((mid[(j + 32) % n] - first[j]).abs() < 1e-12);
    }
}
