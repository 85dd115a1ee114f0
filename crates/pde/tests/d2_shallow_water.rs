//! Shallow water (finite volumes): a lake at rest over a bump stays at rest to rounding (well
//! balanced), mass is conserved to rounding, the 1-D dam break converges to Stoker's exact
//! solution (in x and, transposed, in y), the radial dam break keeps its symmetries, and the
//! catalogue entry `shallow_water` is deterministic and matches its layout.

use ai4de_pde::d2::shallow_water::{ShallowWater2d, SwBoundary, SwState};
use ai4de_pde::{get, GenConfig};

/// Stoker's solution of the dam break `h = hl (x < 0), hr (x > 0)`, `u = 0`, on a flat bed:
/// a rarefaction into `hl`, the middle state `(hm, um)`, a shock into `hr` (Stoker, *Water
/// Waves*, 1957; Toro 2001, §4.2). Returns `h(x, t)`.
fn stoker(hl: f64, hr: f64, g: f64, x: f64, t: f64) -> f64 {
    let rare = |hm: f64| 2.0 * ((g * hl).sqrt() - (g * hm).sqrt());
    let shock = |hm: f64| (hm - hr) * (g * (hm + hr) / (2.0 * hm * hr)).sqrt();
    let (mut a, mut b) = (hr, hl);
    for _ in 0..200 {
        let m = 0.5 * (a + b);
        if shock(m) - rare(m) > 0.0 {
            b = m;
        } else {
            a = m;
        }
    }
    let hm = 0.5 * (a + b);
    let um = rare(hm);
    let (cl, cm) = ((g * hl).sqrt(), (g * hm).sqrt());
    let s = hm * um / (hm - hr);
    let xi = x / t;
    if xi < -cl {
        hl
    } else if xi < um - cm {
        (2.0 * cl - xi).powi(2) / (9.0 * g)
    } else if xi < s {
        hm
    } else {
        hr
    }
}

fn max_abs(v: impl Iterator<Item = f64>) -> f64 {
    v.fold(0.0, |m, x| m.max(x.abs()))
}

#[test]
fn a_lake_at_rest_over_a_bump_stays_at_rest() {
    let n = 32;
    let mut sw = ShallowWater2d::new(n, n, (-1.0, 1.0), (-1.0, 1.0), 9.81).unwrap();
    sw.boundary = SwBoundary::Wall;
    let (xc, yc) = sw.centres();
    let bed: Vec<f64> = xc
        .iter()
        .flat_map(|&x| {
            yc.iter()
                .map(move |&y| 0.4 * (-20.0 * (x * x + y * y)).exp() + 0.1 * x)
        })
        .collect();
    let h: Vec<f64> = bed.iter().map(|b| 1.0 - b).collect();
    sw.set_bed(bed.clone()).unwrap();
    let s0 = SwState {
        hu: vec![0.0; n * n],
        hv: vec![0.0; n * n],
        h,
    };
    let (out, st) = sw.solve(&s0, &[0.0, 0.25, 0.5], 0).unwrap();
    assert!(st.steps > 20, "{st:?}");
    let last = &out[2];
    let eta_err = max_abs(last.h.iter().zip(&bed).map(|(h, b)| h + b - 1.0));
    let q = max_abs(last.hu.iter().chain(&last.hv).copied());
    eprintln!(
        "lake at rest: max |eta - 1| {eta_err}, max |q| {q}, {} steps",
        st.steps
    );
    assert!(eta_err < 1e-13 && q < 1e-13, "eta {eta_err}, discharge {q}");

    // The bed does act: a small bump of the surface moves water (not a frozen solver).
    let mut s1 = s0.clone();
    s1.h[n * n / 2 + n / 2] += 0.01;
    let (out, _) = sw.solve(&s1, &[0.0, 0.1], 0).unwrap();
    assert!(max_abs(out[1].hu.iter().copied()) > 1e-4);
}

#[test]
fn mass_is_conserved_to_rounding_with_walls() {
    let n = 48;
    let mut sw = ShallowWater2d::new(n, n, (-2.5, 2.5), (-2.5, 2.5), 1.0).unwrap();
    sw.boundary = SwBoundary::Wall;
    let (xc, yc) = sw.centres();
    let h: Vec<f64> = xc
        .iter()
        .flat_map(|&x| {
            yc.iter()
                .map(move |&y| if x * x + y * y < 0.25 { 2.0 } else { 1.0 })
        })
        .collect();
    let m0: f64 = h.iter().sum();
    let s0 = SwState {
        hu: vec![0.0; n * n],
        hv: vec![0.0; n * n],
        h,
    };
    // t = 3: the front has reflected off the walls
    let (out, _) = sw.solve(&s0, &[0.0, 1.0, 3.0], 0).unwrap();
    for s in &out {
        let m: f64 = s.h.iter().sum();
        assert!((m - m0).abs() < 1e-13 * m0, "mass {m} vs {m0}");
    }
    assert!(max_abs(out[2].hu.iter().copied()) > 1e-3, "the water moved");
}

/// L1 error of the depth against Stoker's solution at `t`, dam along x (or along y if
/// `transpose`), on `n` cells across [−1, 1] and 4 cells the other way.
fn dam_break_error(n: usize, transpose: bool) -> (f64, Vec<f64>) {
    let (hl, hr, g, t) = (2.0, 1.0, 1.0, 0.3);
    let w = 4.0 * 2.0 / n as f64;
    let (nx, ny, xr, yr) = if transpose {
        (4, n, (0.0, w), (-1.0, 1.0))
    } else {
        (n, 4, (-1.0, 1.0), (0.0, w))
    };
    let mut sw = ShallowWater2d::new(nx, ny, xr, yr, g).unwrap();
    let (xc, yc) = sw.centres();
    let h: Vec<f64> = xc
        .iter()
        .flat_map(|&x| {
            yc.iter().map(move |&y| {
                let s = if transpose { y } else { x };
                if s < 0.0 {
                    hl
                } else {
                    hr
                }
            })
        })
        .collect();
    let s0 = SwState {
        hu: vec![0.0; nx * ny],
        hv: vec![0.0; nx * ny],
        h,
    };
    let (out, _) = sw.solve(&s0, &[0.0, t], 0).unwrap();
    let h = &out[1].h;
    // the profile along the dam axis (every cell across it must agree)
    let profile: Vec<f64> = if transpose {
        (0..n).map(|j| h[j]).collect()
    } else {
        (0..n).map(|i| h[i * 4]).collect()
    };
    for k in 0..4 {
        let other: Vec<f64> = if transpose {
            (0..n).map(|j| h[k * n + j]).collect()
        } else {
            (0..n).map(|i| h[i * 4 + k]).collect()
        };
        assert_eq!(
            other, profile,
            "the solution depends on the transverse cell"
        );
    }
    let centres = if transpose { &yc } else { &xc };
    let err = profile
        .iter()
        .zip(centres)
        .map(|(v, &x)| (v - stoker(hl, hr, g, x, t)).abs())
        .sum::<f64>()
        * 2.0
        / n as f64;
    (err, profile)
}

#[test]
fn dam_break_converges_to_stokers_solution_in_x_and_in_y() {
    let errs: Vec<f64> = [100, 200, 400]
        .iter()
        .map(|&n| dam_break_error(n, false).0)
        .collect();
    // With a shock the L1 order is about 1 (0.7–1.1 with a limiter and a rarefaction corner).
    let p = (errs[1] / errs[2]).log2();
    eprintln!("Stoker L1 errors {errs:?}, order {p}");
    assert!(errs[2] < 4e-3 && p > 0.6, "order {p}, errors {errs:?}");
    // The y sweep is the same scheme: the transposed problem gives the same profile.
    let (ex, px) = dam_break_error(200, false);
    let (ey, py) = dam_break_error(200, true);
    let d = max_abs(px.iter().zip(&py).map(|(a, b)| a - b));
    assert!(d < 1e-13 && (ex - ey).abs() < 1e-13, "x vs y: {d}");
}

#[test]
fn radial_dam_break_keeps_its_symmetries_and_the_catalogue_entry_is_deterministic() {
    let pde = get("shallow_water").unwrap();
    let n = 32;
    let cfg = GenConfig {
        grid: vec![n],
        steps: Some(3),
        params: [("t_end".to_string(), 0.5)].into_iter().collect(),
    };
    let layout = pde.layout(&cfg).unwrap();
    assert_eq!(layout.fields[0].shape, vec![3, n, n]);
    assert_eq!(layout.coords[0].1, vec![0.0, 0.25, 0.5]);
    assert!((layout.coords[1].1[0] + 2.5 - 2.5 / n as f64).abs() < 1e-15);
    let a = pde.sample(&cfg, 4, 1).unwrap();
    assert_eq!(a, pde.sample(&cfg, 4, 1).unwrap());
    assert_ne!(a, pde.sample(&cfg, 4, 2).unwrap());
    let h = &a.fields[0];
    // initial dam: h_in = 2 on a disc of radius r ~ U[0.3, 0.7]
    let cell = (5.0 / n as f64).powi(2);
    let wet = h[..n * n].iter().filter(|&&v| v == 2.0).count() as f64 * cell;
    let r = (wet / std::f64::consts::PI).sqrt();
    assert!((0.2..0.8).contains(&r), "radius {r}");
    let last = &h[2 * n * n..];
    let at = |i: usize, j: usize| last[i * n + j];
    let mut sym = 0.0f64;
    for i in 0..n {
        for j in 0..n {
            sym = sym
                .max((at(i, j) - at(j, i)).abs())
                .max((at(i, j) - at(n - 1 - i, j)).abs())
                .max((at(i, j) - at(i, n - 1 - j)).abs());
        }
    }
    assert!(sym < 1e-12, "symmetry broken by {sym}");
    let (lo, hi) = last
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), &v| (a.min(v), b.max(v)));
    eprintln!("radial dam break: symmetry {sym}, depth range {lo}..{hi}");
    assert!(lo > 0.5 && hi < 2.0, "depth range {lo}..{hi}");
    assert!(max_abs(last.iter().zip(&h[..n * n]).map(|(a, b)| a - b)) > 0.1);
    // typed errors
    let bad = GenConfig {
        params: [("r_min".to_string(), 0.9)].into_iter().collect(),
        ..cfg.clone()
    };
    assert!(pde.layout(&bad).is_err());
    let bad = GenConfig {
        params: [("cfl".to_string(), 0.9)].into_iter().collect(),
        ..cfg
    };
    assert!(pde.sample(&bad, 0, 0).is_err());
}
