//! The stiff catalogue's problem data, without any solver: dimensions and metadata, right-hand
//! sides at the initial states against hand computation, conservation laws, analytic Jacobians
//! against central finite differences and forward-mode AD (`num-dual`), the 2-D Brusselator's
//! sparsity pattern, and the published reference tables (lengths, finiteness, the invariants
//! they must satisfy).
// Published constants are kept with all their digits.
#![allow(clippy::excessive_precision)]

use ai4de_ode::jacobian::{JacobianEvaluator, JacobianOptions, JacobianSource, JacobianStorage};
use ai4de_ode::mass::MassMatrix;
use ai4de_ode::problems::{
    self, Brusselator2d, Hires, Oregonator, Pollu, Reference, Robertson, RobertsonDae, VanDerPol,
    VanDerPolScaled, E5, E5_REFERENCE, E5_Y0, HIRES_REFERENCE, HIRES_Y0, OREGO_REFERENCE, OREGO_Y0,
    POLLU_MECHANISM, POLLU_REFERENCE, POLLU_SPECIES, POLLU_Y0, ROBER_REFERENCE_T1E11, ROBER_Y0,
    VDPOLM_REFERENCE, VDPOL_REFERENCE, VDPOL_Y0,
};
use ai4de_ode::{OdeSystem, Stats};
use num_dual::Dual64;

// ---------------------------------------------------------------------------------------------
// helpers

/// Deterministic pseudo-random numbers in `[0, 1)` (xorshift).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn rhs_of(sys: &impl OdeSystem, t: f64, y: &[f64]) -> Vec<f64> {
    let mut f = vec![f64::NAN; sys.dim()];
    sys.rhs(t, y, &mut f);
    f
}

/// Dense row-major central-difference Jacobian, with steps `h_j = 1e-5 max(|y_j|, floor)`.
fn fd_jacobian(sys: &impl OdeSystem, t: f64, y: &[f64], floor: f64) -> Vec<f64> {
    let n = sys.dim();
    let mut jac = vec![0.0; n * n];
    let mut yp = y.to_vec();
    let (mut fp, mut fm) = (vec![0.0; n], vec![0.0; n]);
    for j in 0..n {
        let h = 1e-5 * y[j].abs().max(floor);
        yp[j] = y[j] + h;
        sys.rhs(t, &yp, &mut fp);
        yp[j] = y[j] - h;
        sys.rhs(t, &yp, &mut fm);
        yp[j] = y[j];
        for i in 0..n {
            jac[n * i + j] = (fp[i] - fm[i]) / (2.0 * h);
        }
    }
    jac
}

/// Compares an analytic Jacobian with central differences: entry `(i, j)` may differ by
/// `1e-6 |J_ij|` plus the rounding noise of the differences, `~1e-9 T_i / h_j`, where `T_i`
/// bounds the terms of `f_i` (`Σ_k |J_ik y_k| + |f_i|`). All test problems are at most quadratic
/// in each single variable, so central differences have no truncation error.
fn check_against_fd(name: &str, sys: &impl OdeSystem, t: f64, y: &[f64], jac: &[f64], floor: f64) {
    let n = sys.dim();
    let fd = fd_jacobian(sys, t, y, floor);
    let f = rhs_of(sys, t, y);
    for i in 0..n {
        let terms: f64 = (0..n).map(|k| (jac[n * i + k] * y[k]).abs()).sum::<f64>() + f[i].abs();
        for j in 0..n {
            let h = 1e-5 * y[j].abs().max(floor);
            let (a, d) = (jac[n * i + j], fd[n * i + j]);
            let tol = 1e-6 * a.abs() + 1e-9 * terms / (h / 1e-5);
            assert!(
                (a - d).abs() <= tol,
                "{name}: J[{i}][{j}] analytic {a:e} vs finite differences {d:e} (tol {tol:e}) at \
                 y = {y:?}"
            );
        }
    }
}

/// The Jacobian by forward-mode AD through a `rhs_generic` method, one column per pass; also
/// checks that the real parts reproduce the `f64` right-hand side exactly.
macro_rules! ad_jacobian {
    ($sys:expr, $t:expr, $y:expr) => {{
        let sys = &$sys;
        let y: &[f64] = $y;
        let n = y.len();
        let f = rhs_of(sys, $t, y);
        let mut jac = vec![0.0; n * n];
        let mut yd: Vec<Dual64> = y.iter().map(|&v| Dual64::from_re(v)).collect();
        let mut fd = vec![Dual64::from_re(0.0); n];
        for j in 0..n {
            yd[j].eps = 1.0;
            sys.rhs_generic(Dual64::from_re($t), &yd, &mut fd);
            yd[j].eps = 0.0;
            for i in 0..n {
                assert_eq!(fd[i].re, f[i], "real part of the dual rhs, component {i}");
                jac[n * i + j] = fd[i].eps;
            }
        }
        // ∂f/∂t by AD: zero for these (piecewise) autonomous problems
        sys.rhs_generic(Dual64::new($t, 1.0), &yd, &mut fd);
        assert!(fd.iter().all(|d| d.eps == 0.0), "df/dt must vanish");
        jac
    }};
}

fn assert_close(name: &str, a: &[f64], b: &[f64], rel: f64) {
    assert_eq!(a.len(), b.len(), "{name}");
    let scale = b.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    for (k, (x, y)) in a.iter().zip(b).enumerate() {
        assert!(
            (x - y).abs() <= rel * y.abs().max(1e-3 * scale),
            "{name}[{k}]: {x:e} vs {y:e}"
        );
    }
}

/// `n` states around `y` (every component perturbed by a factor in `[1 − spread, 1 + spread]`,
/// zeros replaced by `zero_value · U(0.5, 1.5)`).
fn states_around(y: &[f64], spread: f64, zero_value: f64, seed: u64) -> Vec<f64> {
    let mut rng = Rng(seed);
    y.iter()
        .map(|&v| {
            if v == 0.0 || v.abs() < 1e-200 {
                zero_value * (0.5 + rng.next())
            } else {
                v * (1.0 + spread * (2.0 * rng.next() - 1.0))
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// catalogue metadata and reference tables

#[test]
fn stiff_catalogue_entries_have_the_published_dimensions_spans_and_references() {
    // (name, dim, t_end, reference time if published)
    let expected: [(&str, usize, f64, Option<f64>); 11] = [
        ("rober", 3, 1e11, Some(1e11)),
        ("rober_dae", 3, 1e11, Some(1e11)),
        ("hires", 8, 321.8122, Some(321.8122)),
        ("pollu", 20, 60.0, Some(60.0)),
        ("orego", 3, 360.0, Some(360.0)),
        ("e5", 4, 1e13, Some(1e13)),
        ("vdpol", 2, 2.0, Some(2.0)),
        ("vdp1000", 2, 2000.0, Some(2000.0)),
        ("vdp1e6", 2, 2e6, None),
        ("bruss2d", 2 * 32 * 32, 11.5, None),
        ("bruss2d_128", 2 * 128 * 128, 11.5, None),
    ];
    for (name, dim, t_end, t_ref) in expected {
        let p = problems::get(name).unwrap();
        assert!(p.is_stiff(), "{name}");
        assert_eq!(p.is_dae(), name == "rober_dae", "{name}");
        assert_eq!(p.dim(), dim, "{name}");
        assert_eq!(p.y0.len(), dim, "{name}");
        assert_eq!(p.state_names.len(), dim, "{name}");
        assert_eq!((p.t0, p.t_end), (0.0, t_end), "{name}");
        assert!(
            p.source.contains("Hairer & Wanner II") || p.source.contains("Test Set for IVP"),
            "{name}: {}",
            p.source
        );
        let f = rhs_of(&p, p.t0, &p.y0);
        assert!(f.iter().all(|v| v.is_finite()), "{name}");
        match (p.reference(), t_ref) {
            (Reference::Final { t, y, source }, Some(tr)) => {
                assert_eq!(*t, tr, "{name}");
                assert_eq!(y.len(), dim, "{name}");
                assert!(y.iter().all(|v| v.is_finite()), "{name}");
                assert!(source.contains("Test Set for IVP Solvers"), "{name}");
            }
            (Reference::None, None) => {}
            (r, _) => panic!("{name}: unexpected reference {r:?}"),
        }
    }
    for name in ["decay", "lorenz", "vdp", "pleiades"] {
        assert!(!problems::get(name).unwrap().is_stiff(), "{name}");
    }
    // a changed rate constant invalidates the published final state
    let p = problems::get("rober")
        .unwrap()
        .with_param("k2", 1e7)
        .unwrap();
    assert!(matches!(p.reference(), Reference::None));
    // the POLLU species are named
    let p = problems::get("pollu").unwrap();
    assert_eq!(p.state_index("SO2"), Some(16));
    let p = problems::get("bruss2d").unwrap();
    assert_eq!(p.state_index("u0_0"), Some(0));
    assert_eq!(p.state_index("v31_31"), Some(2 * 1024 - 1));
}

#[test]
fn reference_tables_have_the_right_lengths_and_digits() {
    assert_eq!(ROBER_REFERENCE_T1E11.len(), 3);
    assert_eq!(HIRES_REFERENCE.len(), 8);
    assert_eq!(POLLU_REFERENCE.len(), 20);
    assert_eq!(OREGO_REFERENCE.len(), 3);
    assert_eq!(E5_REFERENCE.len(), 4);
    assert_eq!(VDPOL_REFERENCE.len(), 2);
    assert_eq!(VDPOLM_REFERENCE.len(), 2);
    for table in [
        &ROBER_REFERENCE_T1E11[..],
        &HIRES_REFERENCE,
        &POLLU_REFERENCE,
        &OREGO_REFERENCE,
        &E5_REFERENCE,
        &VDPOL_REFERENCE,
        &VDPOLM_REFERENCE,
    ] {
        assert!(table.iter().all(|v| v.is_finite()));
    }
    // spot checks of the transcription (first and last digits of a few entries)
    assert_eq!(ROBER_REFERENCE_T1E11[2], 0.9999999791665050);
    assert_eq!(HIRES_REFERENCE[7], 2.850001604814231e-3);
    assert_eq!(POLLU_REFERENCE[15], 4.352846369330103e-18);
    assert_eq!(OREGO_REFERENCE[1], 1228.178521549917);
    assert_eq!(E5_REFERENCE[1], 8.867655517642120e-23);
    assert_eq!(VDPOL_REFERENCE[1], -0.8928097010247975);
    // the catalogue serves the same tables
    for (name, table) in [
        ("rober", &ROBER_REFERENCE_T1E11[..]),
        ("rober_dae", &ROBER_REFERENCE_T1E11),
        ("hires", &HIRES_REFERENCE),
        ("pollu", &POLLU_REFERENCE),
        ("orego", &OREGO_REFERENCE),
        ("e5", &E5_REFERENCE),
        ("vdpol", &VDPOL_REFERENCE),
        ("vdp1000", &VDPOLM_REFERENCE),
    ] {
        match problems::get(name).unwrap().published_reference() {
            Reference::Final { y, .. } => assert_eq!(&y[..], table, "{name}"),
            r => panic!("{name}: {r:?}"),
        }
    }
}

#[test]
fn reference_solutions_satisfy_the_conservation_laws() {
    // ROBER: y1 + y2 + y3 = 1 (the data carry 16 digits: 1 − 1.0e-14)
    let r = &ROBER_REFERENCE_T1E11;
    assert!((r[0] + r[1] + r[2] - 1.0).abs() < 2e-14);
    // HIRES: y7 + y8 = 0.0057
    assert!((HIRES_REFERENCE[6] + HIRES_REFERENCE[7] - 0.0057).abs() < 2e-18);
    // POLLU: nitrogen, sulphur and carbon balances
    let p = Pollu::default();
    let (b0, b1) = (p.balances(&POLLU_Y0), p.balances(&POLLU_REFERENCE));
    assert_eq!(b0, [0.2, 0.007, 0.1 + 0.3 + 0.02]);
    for k in 0..3 {
        assert!(
            (b1[k] - b0[k]).abs() <= 2e-16 * b0[k].max(0.1),
            "{k}: {b1:?}"
        );
    }
    // E5: y2 − y3 − y4 = 0 holds only to 1.28e-25 in the published data (see E5_REFERENCE):
    // the reference is an absolute-accuracy reference.
    let e = &E5_REFERENCE;
    let defect = e[1] - e[2] - e[3];
    assert!(defect > 1.2e-25 && defect < 1.3e-25, "{defect:e}");
    assert!(e[0] < 1e-40 && e[3] == 0.0);
    // ... the errors are opposite: the mean is what independent integrations reproduce
    assert!((0.5 * (e[1] + e[2]) / 8.861235e-23 - 1.0).abs() < 1e-6);
    // y2 ≈ y3 ≈ 1/(M C t) in the late phase
    let late = 1.0 / (1.13e9 * 1e13);
    assert!((e[1] / late - 1.0).abs() < 3e-3 && (e[2] / late - 1.0).abs() < 1e-3);
    // VDPOL (scaled, t = 2) and VDPOLM (unscaled, t = 2000) are the same trajectory:
    // y1 = x, y2 = μ x' with μ = 1000; two separate computations agree to 14 digits.
    assert!((VDPOL_REFERENCE[0] / VDPOLM_REFERENCE[0] - 1.0).abs() < 1e-14);
    assert!((VDPOL_REFERENCE[1] / (1000.0 * VDPOLM_REFERENCE[1]) - 1.0).abs() < 2e-14);
}

// ---------------------------------------------------------------------------------------------
// right-hand sides at the initial states

#[test]
fn rhs_at_the_initial_states_matches_hand_computation() {
    // ROBER at (1, 0, 0): only A -> B runs
    let f = rhs_of(&Robertson::default(), 0.0, &ROBER_Y0);
    assert_eq!(f, [-0.04, 0.04, 0.0]);
    // ROBER DAE: same kinetics, consistent constraint
    let f = rhs_of(&RobertsonDae::default(), 0.0, &ROBER_Y0);
    assert_eq!(f, [-0.04, 0.04, 0.0]);
    // HIRES at (1, 0, ..., 0, 0.0057): f1 = −1.71 + 0.0007, f2 = 1.71, the rest 0
    let f = rhs_of(&Hires::default(), 0.0, &HIRES_Y0);
    assert_close(
        "hires f(y0)",
        &f,
        &[-1.7093, 1.71, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        1e-15,
    );
    // OREGO at (1, 2, 3)
    let f = rhs_of(&Oregonator::default(), 0.0, &OREGO_Y0);
    assert_close(
        "orego f(y0)",
        &f,
        &[77.27 * (1.0 - 8.375e-6), -1.0 / 77.27, 0.161 * -2.0],
        1e-14,
    );
    // E5 at (1.76e-3, 0, 0, 0): only A y1 runs
    let a = 7.89e-10 * 1.76e-3;
    let f = rhs_of(&E5::default(), 0.0, &E5_Y0);
    assert_close("e5 f(y0)", &f, &[-a, a, a, 0.0], 1e-15);
    // VDPOL at (2, 0): y2' = (0 − 2)/1e-6; unscaled μ = 1000: v' = −2
    let f = rhs_of(&VanDerPolScaled::default(), 0.0, &VDPOL_Y0);
    assert_close("vdpol f(y0)", &f, &[0.0, -2e6], 1e-15);
    let f = rhs_of(&VanDerPol { mu: 1000.0 }, 0.0, &VDPOL_Y0);
    assert_eq!(f, [0.0, -2.0]);
    // POLLU: NO 0.2, O3 0.04, HCHO 0.1, CO 0.3, ALD 0.01, SO2 0.007; the nonzero rates are
    // r2 = 26.6·0.2·0.04, r4 = 0.86e-3·0.1, r5 = 0.82e-3·0.1, r7 = 0.13e-3·0.01,
    // r16 = 0.35e-3·0.04, r17 = 0.175e-1·0.04.
    let (r2, r4, r5, r7, r16, r17) = (0.2128, 8.6e-5, 8.2e-5, 1.3e-6, 1.4e-5, 7e-4);
    let mut expected = [0.0f64; POLLU_SPECIES];
    expected[0] = r2; // NO2
    expected[1] = -r2; // NO
    expected[2] = r17; // O3P
    expected[3] = -r2 - r16 - r17; // O3 = −0.213514
    expected[4] = 2.0 * r4 + r7; // HO2
    expected[6] = -r4 - r5; // HCHO
    expected[7] = r4 + r5 + r7; // CO
    expected[8] = -r7; // ALD
    expected[9] = r7; // MEO2
    expected[15] = r16; // O1D
    let f = rhs_of(&Pollu::default(), 0.0, &POLLU_Y0);
    assert!((expected[3] + 0.213514).abs() < 1e-16);
    assert_close("pollu f(y0)", &f, &expected, 1e-13);
}

#[test]
fn brusselator_rhs_at_the_initial_state_and_the_source() {
    let b = Brusselator2d::new(32);
    let y0 = b.initial_state();
    let f = rhs_of(&b, 0.0, &y0);
    // α/Δ² with Δ = 1/31
    let k = 10.0 * 31.0 * 31.0;
    // u depends on y only, v on x only; u = 0 on y = 0, 1 and v = 0 on x = 0, 1, so at the
    // corner (0, 0) only the neighbours at Δ contribute: u_t = k u(Δ) + 1, v_t = k v(Δ).
    let s = (30.0f64 / 961.0).powf(1.5);
    let nn = 32 * 32;
    assert!((f[0] - (k * 22.0 * s + 1.0)).abs() < 1e-12 * f[0]);
    assert!((f[nn] - k * 27.0 * s).abs() < 1e-12 * f[nn]);
    // an interior point by the formula
    let (i, j) = (9, 19);
    let (x, y) = (i as f64 / 31.0, j as f64 / 31.0);
    let u = |y: f64| 22.0 * (y * (1.0 - y)).powf(1.5);
    let v = |x: f64| 27.0 * (x * (1.0 - x)).powf(1.5);
    let d = 1.0 / 31.0;
    let lap_u = k * (u(y + d) + u(y - d) - 2.0 * u(y));
    let lap_v = k * (v(x + d) + v(x - d) - 2.0 * v(x));
    let (up, vp) = (u(y), v(x));
    let p = i + 32 * j;
    let fu = 1.0 + up * up * vp - 4.4 * up + lap_u;
    let fv = 3.4 * up - up * up * vp + lap_v;
    assert!((f[p] - fu).abs() < 1e-9 * k, "{} vs {fu}", f[p]);
    assert!((f[nn + p] - fv).abs() < 1e-9 * k, "{} vs {fv}", f[nn + p]);
    // the source: +5 in u at the grid points of the disc, from t = 1.1 on
    let g = rhs_of(&b, 1.1, &y0);
    let mut count = 0;
    for jj in 0..32 {
        for ii in 0..32 {
            let q = ii + 32 * jj;
            let (xx, yy) = (ii as f64 / 31.0, jj as f64 / 31.0);
            let inside = (xx - 0.3).powi(2) + (yy - 0.6).powi(2) <= 0.01;
            let jump = if inside { 5.0 } else { 0.0 };
            assert!(
                (g[q] - f[q] - jump).abs() <= 1e-12 * f[q].abs(),
                "({ii}, {jj})"
            );
            assert_eq!(g[nn + q], f[nn + q]);
            count += usize::from(inside);
        }
    }
    assert!(b.in_source(i, j));
    // 30 grid points for N = 32 (504 for N = 128), as counted independently
    assert_eq!(count, 30);
    let b128 = Brusselator2d::new(128);
    let c128 = (0..128 * 128)
        .filter(|&q| b128.in_source(q % 128, q / 128))
        .count();
    assert_eq!(c128, 504);
    assert_eq!(rhs_of(&b, 1.0999999, &y0), f);
}

// ---------------------------------------------------------------------------------------------
// conservation laws of the right-hand sides

#[test]
fn right_hand_sides_conserve_what_the_chemistry_conserves() {
    for seed in 1..=5u64 {
        // ROBER: f1 + f2 + f3 = 0 (up to rounding of the terms)
        let rob = Robertson::default();
        let y = states_around(&[0.7, 2e-5, 0.3], 0.5, 1e-6, seed);
        let f = rhs_of(&rob, 0.0, &y);
        let terms = f.iter().map(|v| v.abs()).sum::<f64>();
        assert!((f[0] + f[1] + f[2]).abs() <= 1e-15 * terms, "{f:?}");
        // HIRES: f7 + f8 = 0 exactly
        let hires = Hires::default();
        let y = states_around(&HIRES_REFERENCE, 0.5, 1e-3, seed);
        let f = rhs_of(&hires, 0.0, &y);
        assert_eq!(f[6] + f[7], 0.0);
        // E5: f2 − f3 − f4 = 0
        let e5 = E5::default();
        let y = states_around(&[1.7e-3, 1e-10, 1e-10, 1e-12], 0.5, 1e-11, seed);
        let f = rhs_of(&e5, 0.0, &y);
        let terms = f.iter().map(|v| v.abs()).sum::<f64>();
        assert!((f[1] - f[2] - f[3]).abs() <= 1e-15 * terms, "{f:?}");
        // POLLU: nitrogen, sulphur, carbon
        let pollu = Pollu::default();
        let y = states_around(&POLLU_REFERENCE, 0.5, 1e-6, seed);
        let f = rhs_of(&pollu, 0.0, &y);
        let rates = pollu.rates(&y);
        let scale = rates.iter().map(|r| r.abs()).sum::<f64>();
        for (k, v) in pollu.balances(&f).iter().enumerate() {
            assert!(
                v.abs() <= 1e-14 * scale,
                "balance {k}: {v:e} (scale {scale:e})"
            );
        }
        // ROBER DAE: the third component is the constraint residual
        let dae = RobertsonDae::default();
        let y = [0.5, 1e-5, 0.25];
        assert_eq!(rhs_of(&dae, 0.0, &y)[2], dae.constraint(&y));
        assert!((dae.constraint(&y) - (0.5 + 1e-5 + 0.25 - 1.0)).abs() < 1e-16);
    }
}

#[test]
fn pollu_rhs_is_the_mechanism() {
    // The right-hand side written out as in the Test Set equals S r(y) assembled from the
    // reaction table, and every reaction of the table balances N, S and C.
    let pollu = Pollu::default();
    let weights = |y: &[f64]| pollu.balances(y);
    for (r, (reactants, products)) in POLLU_MECHANISM.iter().enumerate() {
        let mut lhs = [0.0; POLLU_SPECIES];
        let mut rhs = [0.0; POLLU_SPECIES];
        for &s in reactants.iter() {
            lhs[s] += 1.0;
        }
        for &(s, c) in products.iter() {
            rhs[s] += c;
        }
        assert_eq!(weights(&lhs), weights(&rhs), "reaction {}", r + 1);
    }
    for seed in 1..=3u64 {
        let y = states_around(&POLLU_REFERENCE, 0.5, 1e-6, seed);
        let rates = pollu.rates(&y);
        let mut f = [0.0; POLLU_SPECIES];
        for (r, (reactants, products)) in POLLU_MECHANISM.iter().enumerate() {
            for &s in reactants.iter() {
                f[s] -= rates[r];
            }
            for &(s, c) in products.iter() {
                f[s] += c * rates[r];
            }
        }
        let g = rhs_of(&pollu, 0.0, &y);
        let scale = rates.iter().map(|r| r.abs()).fold(0.0, f64::max);
        for i in 0..POLLU_SPECIES {
            assert!((f[i] - g[i]).abs() <= 1e-14 * scale, "species {i}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// analytic Jacobians

#[test]
fn analytic_jacobians_match_finite_differences_and_forward_mode_ad() {
    // every problem at its initial state (perturbed off the zero components), at its reference
    // state and at a random state around it
    let mut checked = 0;
    macro_rules! case {
        ($name:expr, $sys:expr, $floor:expr, $states:expr) => {{
            let s = $sys;
            let n = s.dim();
            let states: Vec<Vec<f64>> = $states;
            for y in &states {
                let mut jac = vec![f64::NAN; n * n];
                s.jacobian_row_major(0.0, y, &mut jac);
                assert!(jac.iter().all(|v| v.is_finite()), "{}", $name);
                check_against_fd($name, &s, 0.0, y, &jac, $floor);
                let ad = ad_jacobian!(s, 0.0, y);
                assert_close(&format!("{}: AD vs analytic", $name), &ad, &jac, 1e-12);
                checked += 1;
            }
        }};
    }

    case!(
        "rober",
        Robertson::default(),
        1e-12,
        vec![
            states_around(&ROBER_Y0, 0.0, 1e-5, 1),
            ROBER_REFERENCE_T1E11.to_vec(),
            states_around(&[0.6, 3e-5, 0.4], 0.5, 1e-6, 2),
        ]
    );
    case!(
        "rober_dae",
        RobertsonDae::default(),
        1e-12,
        vec![
            states_around(&ROBER_Y0, 0.0, 1e-5, 3),
            states_around(&[0.6, 3e-5, 0.4], 0.5, 1e-6, 4),
        ]
    );
    case!(
        "hires",
        Hires::default(),
        1e-6,
        vec![
            states_around(&HIRES_Y0, 0.0, 1e-3, 5),
            HIRES_REFERENCE.to_vec(),
            states_around(&HIRES_REFERENCE, 0.9, 1e-3, 6),
        ]
    );
    case!(
        "pollu",
        Pollu::default(),
        1e-12,
        vec![
            states_around(&POLLU_Y0, 0.0, 1e-4, 7),
            POLLU_REFERENCE.to_vec(),
            states_around(&POLLU_REFERENCE, 0.9, 1e-6, 8),
        ]
    );
    case!(
        "orego",
        Oregonator::default(),
        1e-6,
        vec![
            OREGO_Y0.to_vec(),
            OREGO_REFERENCE.to_vec(),
            states_around(&[3.0, 0.5, 1e3], 0.9, 1.0, 9),
        ]
    );
    case!(
        "e5",
        E5::default(),
        1e-30,
        vec![
            states_around(&E5_Y0, 0.0, 1e-12, 10),
            states_around(&[1.5e-3, 1e-10, 9e-11, 1e-11], 0.5, 1e-12, 11),
            states_around(&[1e-5, 3e-16, 2.9e-16, 1e-17], 0.5, 1e-12, 12),
        ]
    );
    case!(
        "vdpol",
        VanDerPolScaled::default(),
        1e-6,
        vec![VDPOL_Y0.to_vec(), VDPOL_REFERENCE.to_vec(), vec![-1.3, 0.7],]
    );
    case!(
        "vdpol eps = 1e-12",
        VanDerPolScaled { eps: 1e-12 },
        1e-6,
        vec![VDPOL_Y0.to_vec(), vec![-1.3, 0.7]]
    );
    case!(
        "vdp1000",
        VanDerPol { mu: 1000.0 },
        1e-6,
        vec![
            VDPOL_Y0.to_vec(),
            VDPOLM_REFERENCE.to_vec(),
            vec![-1.3, 0.7e-3],
        ]
    );
    case!(
        "vdp1e6",
        VanDerPol { mu: 1e6 },
        1e-9,
        vec![VDPOL_Y0.to_vec(), vec![-1.3, 0.7e-6]]
    );
    assert_eq!(checked, 27);

    // the DAE Jacobian: the kinetics' rows and (1, 1, 1)
    let dae = RobertsonDae::default();
    let mut jd = [0.0; 9];
    let mut jo = [0.0; 9];
    let y = [0.6, 3e-5, 0.4];
    dae.jacobian_row_major(0.0, &y, &mut jd);
    Robertson::default().jacobian_row_major(0.0, &y, &mut jo);
    assert_eq!(jd[..6], jo[..6]);
    assert_eq!(jd[6..], [1.0, 1.0, 1.0]);
    assert_eq!(RobertsonDae::MASS_DIAGONAL, [1.0, 1.0, 0.0]);

    // POLLU's Jacobian has the 82 structural nonzeros of its mechanism
    let mut j = vec![0.0; 400];
    Pollu::default().jacobian_row_major(0.0, &[1.0; 20], &mut j);
    assert_eq!(j.iter().filter(|v| **v != 0.0).count(), 82);
}

#[test]
fn scaled_and_unscaled_van_der_pol_are_the_same_equation() {
    // With y1 = x, y2 = μ v (and t = τ/μ): f_scaled(x, μ v)_2 = μ² f_unscaled(x, v)_2.
    let mu = 1000.0;
    let scaled = VanDerPolScaled {
        eps: 1.0 / (mu * mu),
    };
    let unscaled = VanDerPol { mu };
    for (x, v) in [(2.0, 0.0), (1.7, -0.9e-3), (-0.3, 1.2), (1.0001, 3e-4)] {
        let fs = rhs_of(&scaled, 0.0, &[x, mu * v]);
        let fu = rhs_of(&unscaled, 0.0, &[x, v]);
        assert!((fs[0] - mu * fu[0]).abs() <= 1e-15 * fs[0].abs());
        assert!(
            (fs[1] - mu * mu * fu[1]).abs() <= 1e-13 * (mu * mu * (v.abs() * mu + x.abs())),
            "{fs:?} vs {fu:?}"
        );
    }
    // the catalogue entries use these forms
    let p = problems::get("vdpol").unwrap();
    assert_eq!(p.param("eps"), Some(1e-6));
    let p = problems::get("vdp1000").unwrap();
    assert_eq!(p.param("mu"), Some(1000.0));
    let p = problems::get("vdp1e6").unwrap();
    assert_eq!(p.param("mu"), Some(1e6));
}

// ---------------------------------------------------------------------------------------------
// the 2-D Brusselator's sparse Jacobian

/// Dense row-major Jacobian assembled from the sparse pattern (CSC) and values.
fn dense_from_sparse(b: &Brusselator2d, y: &[f64]) -> Vec<f64> {
    let n = b.dim();
    let pattern = b
        .jacobian_sparsity()
        .expect("the Brusselator declares its pattern");
    let mut values = vec![f64::NAN; pattern.nnz()];
    assert!(b.jacobian_sparse(0.0, y, &mut values));
    let mut dense = vec![0.0; n * n];
    for ((i, j), v) in pattern.entries().zip(values) {
        dense[n * i + j] = v;
    }
    dense
}

#[test]
fn brusselator_sparsity_pattern_is_well_formed_with_12_n_squared_nonzeros() {
    for n in [2usize, 3, 4, 8, 32, 128] {
        let b = Brusselator2d::new(n);
        let dim = b.dim();
        assert_eq!(dim, 2 * n * n);
        assert_eq!(b.n(), n);
        let pattern = b.pattern();
        assert_eq!((pattern.nrows(), pattern.ncols()), (dim, dim));
        assert_eq!(b.jacobian_nnz(), pattern.nnz());
        // N = 2: the two neighbours in each direction coincide (4 entries per row)
        let per_line = if n >= 3 { 6 } else { 4 };
        assert_eq!(pattern.nnz(), per_line * dim, "N = {n}");
        for c in 0..dim {
            let rows = pattern.rows_of_col(c);
            assert_eq!(rows.len(), per_line);
            assert!(rows.contains(&c), "column {c} lacks its diagonal");
            // the coupling to the other species at the same grid point
            assert!(rows.contains(&((c + n * n) % dim)));
            // structurally symmetric
            assert!(rows.iter().all(|&r| pattern.contains(c, r)));
        }
        // the rows of the analytic Jacobian are exactly the pattern's
        if n <= 8 {
            let y = vec![1.0; dim];
            for r in 0..dim {
                let cols: Vec<usize> = b.jacobian_row(r, &y).iter().map(|&(c, _)| c).collect();
                let expected: Vec<usize> = (0..dim).filter(|&c| pattern.contains(r, c)).collect();
                assert_eq!(cols, expected, "row {r}");
            }
        }
    }
    // 12 288
    assert_eq!(Brusselator2d::new(32).jacobian_nnz(), 12 * 32 * 32);
    // 196 608
    assert_eq!(Brusselator2d::new(128).jacobian_nnz(), 12 * 128 * 128);
    // the pattern is built once per instance and takes no part in ==
    let b = Brusselator2d::new(8);
    let c = b.clone();
    let _ = b.pattern();
    assert_eq!(b, c);
    assert!(std::ptr::eq(b.pattern(), b.pattern()));
}

#[test]
fn brusselator_jacobian_matches_finite_differences_inside_its_pattern() {
    for (n, seed) in [(2usize, 21u64), (3, 22), (8, 23), (32, 24)] {
        let b = Brusselator2d::new(n);
        let dim = b.dim();
        let mut rng = Rng(seed);
        let y: Vec<f64> = b
            .initial_state()
            .iter()
            .map(|v| v + 0.5 + rng.next())
            .collect();
        let t = 2.0; // source on
        let fd = fd_jacobian(&b, t, &y, 1.0);
        let dense = dense_from_sparse(&b, &y);
        let pattern = b.pattern();
        let k = 10.0 * ((n - 1) * (n - 1)) as f64;
        for r in 0..dim {
            // the row accessor agrees with the column-major values
            for (c, v) in b.jacobian_row(r, &y) {
                assert_eq!(v, dense[dim * r + c]);
            }
            for c in 0..dim {
                let d = fd[dim * r + c];
                if !pattern.contains(r, c) {
                    // outside the pattern f_r does not depend on y_c at all: exactly zero
                    assert_eq!(d, 0.0, "N = {n}: FD entry ({r}, {c}) outside the pattern");
                } else {
                    let a = dense[dim * r + c];
                    assert!(
                        (a - d).abs() <= 1e-6 * a.abs() + 1e-8 * k,
                        "N = {n}: J[{r}][{c}] = {a} vs FD {d}"
                    );
                }
            }
        }
        if n <= 8 {
            let ad = ad_jacobian!(b, t, &y);
            assert_close(&format!("bruss2d N = {n}: AD"), &ad, &dense, 1e-13);
        }
    }
}

#[test]
fn brusselator_catalogue_entries_start_from_the_published_profiles() {
    for (name, n) in [("bruss2d", 32usize), ("bruss2d_128", 128)] {
        let p = problems::get(name).unwrap();
        let b = Brusselator2d::new(n);
        assert_eq!(p.y0, b.initial_state());
        assert_eq!(p.param("alpha"), Some(10.0));
        assert_eq!((p.param("a"), p.param("b")), (Some(1.0), Some(3.4)));
        match p.system() {
            problems::System::Brusselator2d(s) => assert_eq!(s.n(), n),
            s => panic!("{s:?}"),
        }
        assert_eq!(p.jacobian_sparsity().map(|q| q.nnz()), Some(12 * n * n));
        // u = 22 (y(1−y))^{3/2} depends on the row j only, v = 27 (x(1−x))^{3/2} on i only
        let nn = n * n;
        let (i, j) = (n / 3, n / 5);
        let (x, y) = (i as f64 / (n - 1) as f64, j as f64 / (n - 1) as f64);
        assert!((p.y0[i + n * j] - 22.0 * (y * (1.0 - y)).powf(1.5)).abs() < 1e-14);
        assert!((p.y0[nn + i + n * j] - 27.0 * (x * (1.0 - x)).powf(1.5)).abs() < 1e-14);
        let f = rhs_of(&p, 0.0, &p.y0);
        assert!(f.iter().all(|v| v.is_finite()));
    }
}

// ---------------------------------------------------------------------------------------------
// the OdeSystem capabilities, through the catalogue

#[test]
fn catalogue_entries_offer_analytic_jacobians_dual_rhs_and_the_mass_matrix() {
    let dense_names = [
        "rober",
        "rober_dae",
        "hires",
        "pollu",
        "orego",
        "e5",
        "vdpol",
        "vdp1000",
        "vdp1e6",
    ];
    for name in dense_names {
        let p = problems::get(name).unwrap();
        let n = p.dim();
        // a state off the initial one (all components nonzero)
        let y = states_around(&p.y0, 0.3, 1e-3, 31);
        let mut f0 = vec![0.0; n];
        p.rhs(0.0, &y, &mut f0);
        assert!(p.is_autonomous(), "{name}");
        // POLLU declares its structural pattern (for the ordering of the small dense LU)
        assert_eq!(p.jacobian_sparsity().is_some(), name == "pollu", "{name}");
        assert_eq!(p.mass_matrix().is_some(), name == "rober_dae", "{name}");
        // analytic, chosen first by the evaluator
        let mut stats = Stats::default();
        let mut ev = JacobianEvaluator::new(&p, &JacobianOptions::default()).unwrap();
        ev.evaluate(&p, 0.0, &y, &f0, &mut stats).unwrap();
        assert_eq!(ev.source(), Some(JacobianSource::Analytic), "{name}");
        let analytic = ev.jacobian().to_dense();
        if let Some(pat) = p.jacobian_sparsity() {
            for i in 0..n {
                for j in 0..n {
                    assert!(
                        analytic[(i, j)] == 0.0 || pat.position(i, j).is_some(),
                        "{name}: ({i}, {j}) outside the declared pattern"
                    );
                }
            }
        }
        // forward-mode AD through rhs_dual agrees to rounding
        let options = JacobianOptions {
            source: Some(JacobianSource::Dual),
            ..JacobianOptions::default()
        };
        let mut ev = JacobianEvaluator::new(&p, &options).unwrap();
        ev.evaluate(&p, 0.0, &y, &f0, &mut stats).unwrap();
        let dual = ev.jacobian().to_dense();
        let scale = (0..n)
            .flat_map(|i| (0..n).map(move |j| (i, j)))
            .fold(0.0f64, |m, (i, j)| m.max(analytic[(i, j)].abs()));
        for i in 0..n {
            for j in 0..n {
                let (a, d) = (analytic[(i, j)], dual[(i, j)]);
                assert!(
                    (a - d).abs() <= 1e-12 * a.abs().max(1e-6 * scale),
                    "{name}: J[{i}][{j}] analytic {a:e} vs dual {d:e}"
                );
            }
        }
    }
    // the DAE's mass matrix
    let p = problems::get("rober_dae").unwrap();
    match p.mass_matrix() {
        Some(MassMatrix::Diagonal(d)) => assert_eq!(d, &[1.0, 1.0, 0.0]),
        m => panic!("{m:?}"),
    }
    assert_eq!(
        p.mass_matrix().unwrap().algebraic_components(),
        Some(vec![2])
    );
    // the non-stiff vdp shares the unscaled Van der Pol's Jacobian
    let p = problems::get("vdp").unwrap();
    let mut j = ai4de_ode::faer::Mat::<f64>::zeros(2, 2);
    assert!(p.jacobian(0.0, &[1.5, 0.5], j.as_mut()));
    assert_eq!(j[(1, 0)], -2.0 * 1.5 * 0.5 - 1.0);
    // a non-stiff problem without one keeps the defaults
    let p = problems::get("lorenz").unwrap();
    let mut j = ai4de_ode::faer::Mat::<f64>::zeros(3, 3);
    assert!(!p.jacobian(0.0, &[1.0, 1.0, 1.0], j.as_mut()));
    assert!(p.mass_matrix().is_none());
}

#[test]
fn brusselator_sparse_analytic_jacobian_through_the_evaluator() {
    let p = problems::get("bruss2d").unwrap();
    let n = p.dim();
    assert!(!p.is_autonomous());
    let mut rng = Rng(41);
    let y: Vec<f64> = p.y0.iter().map(|v| v + 0.5 + rng.next()).collect();
    let mut f0 = vec![0.0; n];
    p.rhs(2.0, &y, &mut f0);
    let mut stats = Stats::default();
    let options = JacobianOptions {
        storage: JacobianStorage::Sparse,
        ..JacobianOptions::default()
    };
    let mut ev = JacobianEvaluator::new(&p, &options).unwrap();
    ev.evaluate(&p, 2.0, &y, &f0, &mut stats).unwrap();
    assert_eq!(ev.source(), Some(JacobianSource::Analytic));
    let analytic = ev.jacobian().clone();
    // dual numbers on the Curtis-Powell-Reid column groups give the same matrix
    let options = JacobianOptions {
        source: Some(JacobianSource::Dual),
        ..options
    };
    let mut ev = JacobianEvaluator::new(&p, &options).unwrap();
    ev.evaluate(&p, 2.0, &y, &f0, &mut stats).unwrap();
    let pattern = p.jacobian_sparsity().unwrap();
    for (i, j) in pattern.entries() {
        let (a, d) = (analytic.get(i, j), ev.jacobian().get(i, j));
        assert!(
            (a - d).abs() <= 1e-12 * a.abs().max(1.0),
            "({i}, {j}): {a} vs {d}"
        );
    }
    // ∂f/∂t = 0 away from the switch
    let mut dfdt = vec![f64::NAN; n];
    assert!(p.time_derivative(2.0, &y, &mut dfdt));
    assert!(dfdt.iter().all(|v| *v == 0.0));
}
