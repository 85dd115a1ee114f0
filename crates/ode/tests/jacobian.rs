//! Jacobian sources agree (analytic, dual numbers, finite differences, coloured or not), counts
//! are what the colouring promises, sparsity detection finds the true pattern, and failures are
//! typed errors.

mod common;

use ai4de_ode::jacobian::{
    detect_sparsity, DualScalar, JacDual, Jacobian, JacobianEvaluator, JacobianOptions,
    JacobianSource, JacobianStorage,
};
use ai4de_ode::sparsity::SparsityPattern;
use ai4de_ode::{FnSystem, OdeError, OdeSystem, Stats, Structured};
use common::brusselator::Brusselator;
use faer::{Mat, MatMut};

fn eval(
    sys: &dyn OdeSystem,
    opts: JacobianOptions,
    t: f64,
    y: &[f64],
) -> (JacobianEvaluator, Stats) {
    let mut f0 = vec![0.0; y.len()];
    sys.rhs(t, y, &mut f0);
    let mut stats = Stats::default();
    let mut ev = JacobianEvaluator::new(sys, &opts).unwrap();
    ev.evaluate(sys, t, y, &f0, &mut stats).unwrap();
    (ev, stats)
}

fn opts(source: JacobianSource, storage: JacobianStorage) -> JacobianOptions {
    JacobianOptions {
        source: Some(source),
        storage,
        ..Default::default()
    }
}

/// max |a − b| / max |b|
fn rel_diff(a: &Jacobian, b: &Jacobian) -> f64 {
    let (a, b) = (a.to_dense(), b.to_dense());
    let mut num: f64 = 0.0;
    let mut den: f64 = 0.0;
    for j in 0..a.ncols() {
        for i in 0..a.nrows() {
            num = num.max((a[(i, j)] - b[(i, j)]).abs());
            den = den.max(b[(i, j)].abs());
        }
    }
    num / den
}

/// A small dense non-linear system with an analytic Jacobian and an explicit time dependence.
struct Chem;
impl Chem {
    fn f<T: DualScalar>(&self, t: T, y: &[T], dy: &mut [T]) {
        dy[0] = y[0] * -0.04 + y[1] * y[2] * 1e4 + t.sin();
        dy[1] = y[0] * 0.04 - y[1] * y[2] * 1e4 - y[1] * y[1] * 3e7;
        dy[2] = y[1] * y[1] * 3e7 + (y[0] * y[2]).exp() * t;
    }
}
impl OdeSystem for Chem {
    fn dim(&self) -> usize {
        3
    }
    fn rhs(&self, t: f64, y: &[f64], dy: &mut [f64]) {
        self.f(t, y, dy)
    }
    fn rhs_dual(&self, t: JacDual, y: &[JacDual], dy: &mut [JacDual]) -> bool {
        self.f(t, y, dy);
        true
    }
    fn jacobian(&self, t: f64, y: &[f64], mut j: MatMut<'_, f64>) -> bool {
        let e = (y[0] * y[2]).exp() * t;
        j[(0, 0)] = -0.04;
        j[(0, 1)] = 1e4 * y[2];
        j[(0, 2)] = 1e4 * y[1];
        j[(1, 0)] = 0.04;
        j[(1, 1)] = -1e4 * y[2] - 6e7 * y[1];
        j[(1, 2)] = -1e4 * y[1];
        j[(2, 0)] = e * y[2];
        j[(2, 1)] = 6e7 * y[1];
        j[(2, 2)] = e * y[0];
        true
    }
    fn time_derivative(&self, t: f64, y: &[f64], dfdt: &mut [f64]) -> bool {
        dfdt[0] = t.cos();
        dfdt[1] = 0.0;
        dfdt[2] = (y[0] * y[2]).exp();
        true
    }
}

#[test]
fn dual_jacobian_equals_analytic_to_rounding() {
    let y = [0.9, 3e-5, 0.1];
    let (a, _) = eval(
        &Chem,
        opts(JacobianSource::Analytic, JacobianStorage::Auto),
        0.7,
        &y,
    );
    let (d, s) = eval(
        &Chem,
        opts(JacobianSource::Dual, JacobianStorage::Auto),
        0.7,
        &y,
    );
    assert!(rel_diff(d.jacobian(), a.jacobian()) < 4.0 * f64::EPSILON);
    assert_eq!((s.jac_evals, s.f_evals), (1, 3));

    let b = Brusselator::new(6);
    let y = b.initial();
    let (a, _) = eval(
        &b,
        opts(JacobianSource::Analytic, JacobianStorage::Sparse),
        0.0,
        &y,
    );
    for storage in [JacobianStorage::Sparse, JacobianStorage::Dense] {
        let (d, s) = eval(&b, opts(JacobianSource::Dual, storage), 0.0, &y);
        assert!(rel_diff(d.jacobian(), a.jacobian()) < 4.0 * f64::EPSILON);
        // 72 columns in one dual evaluation per colour
        assert_eq!(s.f_evals, d.colouring().n_colours());
        assert!(s.f_evals < 12);
    }
}

#[test]
fn automatic_choice_prefers_analytic_then_dual_then_fd() {
    let y = [0.9, 3e-5, 0.1];
    let (e, _) = eval(&Chem, JacobianOptions::default(), 0.0, &y);
    assert_eq!(e.source(), Some(JacobianSource::Analytic));
    let mut b = Brusselator::new(4);
    let y = b.initial();
    b.analytic = false;
    let (e, _) = eval(&b, JacobianOptions::default(), 0.0, &y);
    assert_eq!(e.source(), Some(JacobianSource::Dual));
    b.dual = false;
    let (e, _) = eval(&b, JacobianOptions::default(), 0.0, &y);
    assert_eq!(e.source(), Some(JacobianSource::FiniteDifference));
    let mut f0 = vec![0.0; y.len()];
    b.rhs(0.0, &y, &mut f0);
    let mut ev =
        JacobianEvaluator::new(&b, &opts(JacobianSource::Dual, JacobianStorage::Auto)).unwrap();
    assert!(matches!(
        ev.evaluate(&b, 0.0, &y, &f0, &mut Stats::default()),
        Err(OdeError::InvalidOption { .. })
    ));
}

#[test]
fn finite_differences_are_accurate_to_sqrt_eps() {
    let fd = |scale: Option<Vec<f64>>, y: &[f64]| {
        let o = JacobianOptions {
            typical_scale: scale,
            ..opts(JacobianSource::FiniteDifference, JacobianStorage::Auto)
        };
        let (a, _) = eval(
            &Chem,
            opts(JacobianSource::Analytic, JacobianStorage::Auto),
            0.7,
            y,
        );
        let (f, s) = eval(&Chem, o, 0.7, y);
        (rel_diff(f.jacobian(), a.jacobian()), s)
    };
    // Norm-wise relative error: the rounding error of a difference quotient scales with |f|,
    // not with the entry.
    let (r, s) = fd(None, &[0.9, 0.3, 0.1]);
    assert!(r < 1e-7, "{r:e}");
    // A component far below its typical scale (Robertson's y₂ ~ 3e-5) needs the scale told:
    // the default increment √ε·1 is too coarse for the curvature 6e7 of 3e7·y₂².
    let y = [0.9, 3e-5, 0.1];
    let (coarse, _) = fd(None, &y);
    let (scaled, _) = fd(Some(vec![1.0, 1e-6, 1.0]), &y);
    assert!(coarse > 1e-5 && scaled < 1e-7, "{coarse:e} {scaled:e}");
    assert_eq!((s.jac_evals, s.f_evals), (1, 3));

    let b = Brusselator::new(6);
    let y = b.initial();
    let (a, _) = eval(
        &b,
        opts(JacobianSource::Analytic, JacobianStorage::Sparse),
        0.0,
        &y,
    );
    let (f, _) = eval(
        &b,
        opts(JacobianSource::FiniteDifference, JacobianStorage::Sparse),
        0.0,
        &y,
    );
    let r = rel_diff(f.jacobian(), a.jacobian());
    assert!(r < 1e-7, "{r:e}");
}

#[test]
fn coloured_fd_equals_uncoloured_fd_with_far_fewer_evaluations() {
    let mut b = Brusselator::new(8); // n = 128
    let y = b.initial();
    let n = b.dim();
    let fd = |storage| opts(JacobianSource::FiniteDifference, storage);
    let (coloured, sc) = eval(&b, fd(JacobianStorage::Sparse), 0.0, &y);
    let colours = coloured.colouring().n_colours();
    assert!(coloured.colouring().is_valid_for(b.true_pattern()));
    // A row has 6 non-zeros, so at least 6 colours; greedy largest-first stays close.
    assert!((6..=12).contains(&colours), "{colours} colours");
    assert_eq!(sc.f_evals, colours);
    b.declare_pattern = false;
    let (plain, sp) = eval(&b, fd(JacobianStorage::Dense), 0.0, &y);
    assert_eq!(plain.colouring().n_colours(), n);
    assert_eq!(sp.f_evals, n);
    // Each row of a coloured difference sees only its own column's perturbation: identical
    // arithmetic, identical bits.
    assert_eq!(coloured.jacobian().to_dense(), plain.jacobian().to_dense());
    // and zero outside the pattern
    let dense = plain.jacobian().to_dense();
    for j in 0..n {
        for i in 0..n {
            if !b.true_pattern().contains(i, j) {
                assert_eq!(dense[(i, j)], 0.0);
            }
        }
    }
}

#[test]
fn sparsity_detection_finds_the_true_pattern() {
    let mut b = Brusselator::new(5);
    let y = b.initial();
    b.declare_pattern = false;
    let with_dual = detect_sparsity(&b, 0.0, &y).unwrap();
    assert_eq!(&with_dual, b.true_pattern());
    b.dual = false;
    let without = detect_sparsity(&b, 0.0, &y).unwrap();
    assert_eq!(&without, b.true_pattern());
    // A closure system: tridiagonal with a zero state (where `y_j · y_{j+1}` has a zero
    // derivative: NaN probing still sees the dependence).
    let tri = FnSystem::new(6, |_t, y: &[f64], dy: &mut [f64]| {
        for i in 0..6 {
            let l = if i > 0 { y[i - 1] } else { 0.0 };
            let r = if i < 5 { y[i + 1] } else { 0.0 };
            dy[i] = l * y[i] - 2.0 * y[i] + r * r;
        }
    });
    let p = detect_sparsity(&tri, 0.0, &[0.0; 6]).unwrap();
    assert_eq!(p, SparsityPattern::banded(6, 1, 1));
    // and it feeds a coloured evaluator
    let sys = Structured::new(tri).with_sparsity(p).unwrap();
    let (e, s) = eval(&sys, JacobianOptions::default(), 0.0, &[1.0; 6]);
    assert_eq!(e.source(), Some(JacobianSource::FiniteDifference));
    assert_eq!(s.f_evals, 3);
}

#[test]
fn analytic_dense_jacobian_is_gathered_into_a_sparse_pattern_and_checked() {
    // Chem declares no pattern; give it one that is right, then one that misses an entry.
    let y = [0.9, 3e-5, 0.1];
    let full = SparsityPattern::dense(3, 3);
    let o = JacobianOptions {
        sparsity: Some(full),
        storage: JacobianStorage::Sparse,
        ..Default::default()
    };
    let (e, _) = eval(&Chem, o, 0.3, &y);
    assert_eq!(e.source(), Some(JacobianSource::Analytic));
    assert_eq!(e.jacobian().get(2, 1), 6e7 * 3e-5);
    let partial = SparsityPattern::from_entries(
        3,
        3,
        (0..3)
            .flat_map(|j| (0..3).map(move |i| (i, j)))
            .filter(|&e| e != (1, 2)),
    )
    .unwrap();
    let o = JacobianOptions {
        sparsity: Some(partial),
        storage: JacobianStorage::Sparse,
        source: Some(JacobianSource::Analytic),
        ..Default::default()
    };
    let mut ev = JacobianEvaluator::new(&Chem, &o).unwrap();
    let mut f0 = [0.0; 3];
    Chem.rhs(0.3, &y, &mut f0);
    let err = ev
        .evaluate(&Chem, 0.3, &y, &f0, &mut Stats::default())
        .unwrap_err();
    assert!(matches!(err, OdeError::InvalidSparsity { .. }), "{err}");
}

#[test]
fn time_derivative_sources_agree() {
    let y = [0.9, 3e-5, 0.1];
    let t = 0.7;
    let mut f0 = [0.0; 3];
    Chem.rhs(t, &y, &mut f0);
    let mut ev = JacobianEvaluator::new(&Chem, &JacobianOptions::default()).unwrap();
    let mut stats = Stats::default();
    let mut exact = [0.0; 3];
    ev.time_derivative(&Chem, t, &y, &f0, &mut exact, &mut stats)
        .unwrap();
    assert_eq!(stats.f_evals, 0);
    assert_eq!(exact[0], t.cos());
    // dual only
    struct NoAnalytic;
    impl OdeSystem for NoAnalytic {
        fn dim(&self) -> usize {
            3
        }
        fn rhs(&self, t: f64, y: &[f64], dy: &mut [f64]) {
            Chem.f(t, y, dy)
        }
        fn rhs_dual(&self, t: JacDual, y: &[JacDual], dy: &mut [JacDual]) -> bool {
            Chem.f(t, y, dy);
            true
        }
    }
    let mut dual = [0.0; 3];
    ev.time_derivative(&NoAnalytic, t, &y, &f0, &mut dual, &mut stats)
        .unwrap();
    for i in 0..3 {
        assert!((dual[i] - exact[i]).abs() <= 4.0 * f64::EPSILON * exact[i].abs());
    }
    let fd_only = FnSystem::new(3, |t, y: &[f64], dy: &mut [f64]| Chem.f(t, y, dy));
    let mut fd = [0.0; 3];
    ev.time_derivative(&fd_only, t, &y, &f0, &mut fd, &mut stats)
        .unwrap();
    for i in 0..3 {
        assert!(
            (fd[i] - exact[i]).abs() <= 1e-6 * exact[i].abs().max(1.0),
            "{i}: {fd:?} vs {exact:?}"
        );
    }
    assert_eq!(stats.f_evals, 2);
}

#[test]
fn typed_errors() {
    // non-finite Jacobian entry: ∂f₁/∂y₂ = 1/y₂ at y₂ = 0
    let sys = FnSystem::new(2, |_t, y: &[f64], dy: &mut [f64]| {
        dy[0] = y[0];
        dy[1] = y[1].ln() + y[0];
    });
    let y = [1.0, 1e-300];
    let mut f0 = [0.0; 2];
    sys.rhs(0.0, &y, &mut f0);
    let mut ev = JacobianEvaluator::new(&sys, &JacobianOptions::default()).unwrap();
    let y0 = [1.0, 0.0];
    let err = ev
        .evaluate(
            &sys,
            2.5,
            &y0,
            &[1.0, f64::NEG_INFINITY],
            &mut Stats::default(),
        )
        .unwrap_err();
    assert!(
        matches!(err, OdeError::NonFiniteJacobian { t, row: 1, col: 0 } if t == 2.5),
        "{err}"
    );
    // wrong-size pattern
    let err = JacobianEvaluator::new(
        &sys,
        &JacobianOptions {
            sparsity: Some(SparsityPattern::diagonal(3)),
            ..Default::default()
        },
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            OdeError::JacobianDimensionMismatch {
                expected: 2,
                found: 3,
                ..
            }
        ),
        "{err}"
    );
    assert!(Structured::new(&sys)
        .with_sparsity(SparsityPattern::diagonal(3))
        .is_err());
    // sparse storage without a pattern, bad typical scale, wrong state length
    for o in [
        JacobianOptions {
            storage: JacobianStorage::Sparse,
            ..Default::default()
        },
        JacobianOptions {
            typical_scale: Some(vec![0.0]),
            ..Default::default()
        },
        JacobianOptions {
            typical_scale: Some(vec![1.0; 3]),
            ..Default::default()
        },
    ] {
        assert!(JacobianEvaluator::new(&sys, &o).is_err());
    }
    assert!(matches!(
        ev.evaluate(&sys, 0.0, &[1.0], &f0, &mut Stats::default()),
        Err(OdeError::DimensionMismatch { .. })
    ));
    let _ = Mat::<f64>::zeros(1, 1);
}

/// `Solve::jacobian` reaches every stiff method: forcing finite differences or dense storage
/// changes how J is obtained (visible in the f-evaluation count) but not the answer, and
/// forcing a source the system lacks is a typed error naming the option.
#[test]
fn solve_passes_jacobian_options_to_the_stiff_methods() {
    use ai4de_ode::{problems, Method, SaveAt, Solve};
    let hires = problems::get("hires").unwrap();
    for method in [Method::Rodas5P, Method::Radau5, Method::Bdf] {
        let run = |o: JacobianOptions| {
            Solve::new(&hires, (0.0, 10.0), &hires.y0)
                .method(method)
                .rtol(1e-8)
                .atol(1e-10)
                .save_at(SaveAt::Final)
                .jacobian(o)
                .run()
                .unwrap_or_else(|e| panic!("{method}: {e}"))
        };
        let auto = run(JacobianOptions::default());
        let fd = run(opts(
            JacobianSource::FiniteDifference,
            JacobianStorage::Dense,
        ));
        let diff = auto
            .y_final()
            .iter()
            .zip(fd.y_final())
            .map(|(a, b)| (a - b).abs() / b.abs().max(1e-6))
            .fold(0.0, f64::max);
        println!(
            "{method}: f-evals analytic {} / FD {}, jac {} / {}, relative difference {diff:.1e}",
            auto.stats.f_evals, fd.stats.f_evals, auto.stats.jac_evals, fd.stats.jac_evals
        );
        assert!(
            diff < 1e-6,
            "{method}: FD and analytic runs differ by {diff:e}"
        );
        // Each FD Jacobian of the 8-component HIRES costs 8 more f-evaluations.
        assert!(
            fd.stats.f_evals >= auto.stats.f_evals + fd.stats.jac_evals,
            "{method}: FD Jacobians did not cost f-evaluations"
        );
    }
    let plain = FnSystem::new(1, |_t, y: &[f64], dy: &mut [f64]| dy[0] = -y[0]);
    let e = Solve::new(&plain, (0.0, 1.0), &[1.0])
        .method(Method::Rodas5P)
        .jacobian(opts(JacobianSource::Analytic, JacobianStorage::Dense))
        .run()
        .unwrap_err();
    assert!(
        matches!(
            e,
            OdeError::InvalidOption {
                name: "jacobian source",
                ..
            }
        ),
        "{e:?}"
    );
}
