//! Iteration-matrix factorisation and solves: residuals, complex systems, mass matrices,
//! singular matrices as typed errors, and no allocation once set up.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use ai4de_ode::jacobian::{
    Jacobian, JacobianEvaluator, JacobianOptions, JacobianSource, JacobianStorage,
};
use ai4de_ode::linalg::{LinearSolver, LuKind, SparseLuKind, WScalar};
use ai4de_ode::mass::MassMatrix;
use ai4de_ode::sparsity::SparsityPattern;
use ai4de_ode::{OdeError, OdeSystem, Stats};
use common::brusselator::Brusselator;
use faer::sparse::{SparseColMat, Triplet};
use faer::{c64, Mat};

/// Counts allocations of the current thread only, so tests running in parallel do not disturb
/// each other's counts.
struct Counting;

thread_local! {
    static ALLOCS: Cell<usize> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.with(|c| c.set(c.get() + 1));
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.with(|c| c.set(c.get() + 1));
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocs() -> usize {
    ALLOCS.with(|c| c.get())
}

/// `W = c·M − J` densely, straight from the definition.
fn w_dense<T: WScalar>(c: T, mass: Option<&MassMatrix>, jac: &Jacobian) -> Vec<Vec<T>> {
    let n = jac.dim();
    (0..n)
        .map(|i| {
            (0..n)
                .map(|j| {
                    let m = match mass {
                        Some(m) => m.get(i, j),
                        None => f64::from(u8::from(i == j)),
                    };
                    T::w_entry(c, m, jac.get(i, j))
                })
                .collect()
        })
        .collect()
}

/// max_i |W x − b|_i / (|W|_∞ |x|_∞ + |b|_∞)
fn residual<T: WScalar + Into<c64>>(w: &[Vec<T>], x: &[T], b: &[T]) -> f64 {
    let abs = |v: T| -> f64 { v.into().norm() };
    let mut r: f64 = 0.0;
    let mut wn: f64 = 0.0;
    for (row, &bi) in w.iter().zip(b) {
        let mut s = c64::new(0.0, 0.0);
        for (&a, &xj) in row.iter().zip(x) {
            s += a.into() * xj.into();
        }
        r = r.max((s - bi.into()).norm());
        wn = wn.max(row.iter().map(|&a| abs(a)).sum());
    }
    let xn = x.iter().map(|&v| abs(v)).fold(0.0, f64::max);
    let bn = b.iter().map(|&v| abs(v)).fold(0.0, f64::max);
    r / (wn * xn + bn)
}

fn brusselator_jacobian(n: usize) -> (Brusselator, Jacobian) {
    let b = Brusselator::new(n);
    let y = b.initial();
    let mut f0 = vec![0.0; y.len()];
    b.rhs(0.0, &y, &mut f0);
    let o = JacobianOptions {
        source: Some(JacobianSource::Analytic),
        storage: JacobianStorage::Sparse,
        ..Default::default()
    };
    let mut ev = JacobianEvaluator::new(&b, &o).unwrap();
    ev.evaluate(&b, 0.0, &y, &f0, &mut Stats::default())
        .unwrap();
    let j = ev.jacobian().clone();
    (b, j)
}

fn jac_pattern(j: &Jacobian) -> &SparsityPattern {
    match j {
        Jacobian::Sparse { pattern, .. } => pattern,
        Jacobian::Dense(_) => unreachable!("sparse Jacobian expected"),
    }
}

fn test_rhs(n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| ((i * 7919) % 1000) as f64 / 500.0 - 1.0)
        .collect()
}

fn sparse_mass(n: usize) -> MassMatrix {
    // tridiagonal, diagonally dominant, with a singular (algebraic) last component
    let mut t = Vec::new();
    for i in 0..n - 1 {
        t.push(Triplet::new(i, i, 2.0));
        if i + 1 < n - 1 {
            t.push(Triplet::new(i, i + 1, 0.5));
            t.push(Triplet::new(i + 1, i, 0.5));
        }
    }
    MassMatrix::Sparse(SparseColMat::try_new_from_triplets(n, n, &t).unwrap())
}

#[test]
fn dense_and_sparse_real_solves_have_tiny_residuals() {
    let (_, jac) = brusselator_jacobian(6); // n = 72
    let n = jac.dim();
    let dense_jac = Jacobian::Dense(jac.to_dense());
    let b = test_rhs(n);
    let masses = [
        None,
        Some(MassMatrix::Diagonal(
            (0..n)
                .map(|i| {
                    if i % 9 == 4 {
                        0.0
                    } else {
                        1.0 + i as f64 / n as f64
                    }
                })
                .collect(),
        )),
        Some(sparse_mass(n)),
        Some(MassMatrix::Dense(Mat::from_fn(n, n, |i, j| {
            if i == j {
                1.0
            } else if i.abs_diff(j) == 1 {
                0.1
            } else {
                0.0
            }
        }))),
    ];
    for mass in &masses {
        for c in [1e3, 7.0, 0.5] {
            let w = w_dense(c, mass.as_ref(), &jac);
            let mut xs = Vec::new();
            let solvers = [
                (
                    LinearSolver::sparse_with(
                        jac_pattern(&jac),
                        mass.as_ref(),
                        SparseLuKind::Simplicial,
                    )
                    .unwrap(),
                    &jac,
                ),
                (
                    LinearSolver::sparse_with(
                        jac_pattern(&jac),
                        mass.as_ref(),
                        SparseLuKind::Supernodal,
                    )
                    .unwrap(),
                    &jac,
                ),
                (
                    LinearSolver::<f64>::new(&dense_jac, mass.as_ref()).unwrap(),
                    &dense_jac,
                ),
            ];
            let kinds = [
                LuKind::Sparse(SparseLuKind::Simplicial),
                LuKind::Sparse(SparseLuKind::Supernodal),
                LuKind::Dense,
            ];
            for ((mut lin, j), kind) in solvers.into_iter().zip(kinds) {
                let mut stats = Stats::default();
                assert_eq!(lin.kind(), kind);
                lin.factorize(0.0, c, j, &mut stats).unwrap();
                let mut x = b.clone();
                lin.solve_in_place(&mut x, &mut stats);
                let r = residual(&w, &x, &b);
                assert!(r < 1e-14, "{kind:?} c = {c}: residual {r:e}");
                assert_eq!((stats.lu_decomps, stats.lin_solves), (1, 1));
                xs.push(x);
            }
            let diff = xs[0]
                .iter()
                .zip(&xs[1])
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f64::max);
            let scale = xs[1].iter().map(|v| v.abs()).fold(0.0, f64::max);
            assert!(diff <= 1e-12 * scale, "dense vs sparse: {diff:e}");
        }
    }
    // Auto: a 2-D stencil goes supernodal, a band simplicial
    assert_eq!(
        LinearSolver::<f64>::new(&jac, None).unwrap().kind(),
        LuKind::Sparse(SparseLuKind::Supernodal)
    );
    let band_pattern = SparsityPattern::banded(n, 2, 3);
    let band = Jacobian::Sparse {
        values: vec![1.0; band_pattern.nnz()],
        pattern: band_pattern,
    };
    assert_eq!(
        LinearSolver::<f64>::new(&band, None).unwrap().kind(),
        LuKind::Sparse(SparseLuKind::Simplicial)
    );
    // a dense solver also accepts a sparse Jacobian
    let mut lin = LinearSolver::<f64>::dense(n, None).unwrap();
    let mut stats = Stats::default();
    lin.factorize(0.0, 3.0, &jac, &mut stats).unwrap();
    let mut x = b.clone();
    lin.solve_in_place(&mut x, &mut stats);
    assert!(residual(&w_dense(3.0, None, &jac), &x, &b) < 1e-14);
}

#[test]
fn complex_solves_for_radau() {
    let (_, jac) = brusselator_jacobian(5); // n = 50
    let n = jac.dim();
    let dense_jac = Jacobian::Dense(jac.to_dense());
    // Radau IIA 5 complex eigenvalue pair, h = 0.01
    let c = c64::new(2.681082162, 3.050430199) / 0.01;
    let mass = MassMatrix::Diagonal((0..n).map(|i| if i == 3 { 0.0 } else { 1.0 }).collect());
    let w = w_dense(c, Some(&mass), &jac);
    let re = test_rhs(n);
    let im: Vec<f64> = re.iter().rev().map(|v| 0.5 * v).collect();
    let b: Vec<c64> = re.iter().zip(&im).map(|(&r, &i)| c64::new(r, i)).collect();
    let supernodal = || {
        LinearSolver::<c64>::sparse_with(jac_pattern(&jac), Some(&mass), SparseLuKind::Supernodal)
            .unwrap()
    };
    for (j, mut lin) in [
        (&jac, LinearSolver::<c64>::new(&jac, Some(&mass)).unwrap()),
        (&jac, supernodal()),
        (
            &dense_jac,
            LinearSolver::<c64>::new(&dense_jac, Some(&mass)).unwrap(),
        ),
    ] {
        let mut stats = Stats::default();
        lin.factorize(0.0, c, j, &mut stats).unwrap();
        let mut x = b.clone();
        lin.solve_in_place(&mut x, &mut stats);
        assert!(residual(&w, &x, &b) < 1e-14);
        let (mut xr, mut xi) = (re.clone(), im.clone());
        lin.solve_split_in_place(&mut xr, &mut xi, &mut stats);
        for k in 0..n {
            assert_eq!((xr[k], xi[k]), (x[k].re, x[k].im));
        }
        assert_eq!((stats.lu_decomps, stats.lin_solves), (1, 2));
    }
}

#[test]
fn singular_matrices_are_typed_errors() {
    // W = 0·I − J with J of rank 1
    let j = Jacobian::Dense(Mat::from_fn(3, 3, |i, k| ((i + 1) * (k + 1)) as f64));
    let mut lin = LinearSolver::<f64>::new(&j, None).unwrap();
    let mut stats = Stats::default();
    let err = lin.factorize(1.5, 0.0, &j, &mut stats).unwrap_err();
    assert!(
        matches!(err, OdeError::SingularMatrix { t, pivot: Some(1) } if t == 1.5),
        "{err}"
    );
    assert!(!lin.is_factorized());
    // the same solver recovers with a regular c
    lin.factorize(1.5, 1.0, &j, &mut stats).unwrap();
    assert_eq!(stats.lu_decomps, 2);
    // sparse: a singular mass matrix with a zero Jacobian row → zero row of W
    let p = SparsityPattern::from_entries(3, 3, [(0, 0), (1, 1), (1, 2), (2, 1)]).unwrap();
    // W = 2M − J = [[1, 0, 0], [0, 1, −1], [0, −3, 0]], regular
    let js = Jacobian::Sparse {
        pattern: p.clone(),
        values: vec![1.0, 1.0, 3.0, 1.0],
    };
    let mass = MassMatrix::Diagonal(vec![1.0, 1.0, 0.0]);
    let mut lin = LinearSolver::<f64>::new(&js, Some(&mass)).unwrap();
    lin.factorize(0.0, 2.0, &js, &mut stats).unwrap();
    // W = 2M = diag(2, 2, 0)
    let zero = Jacobian::Sparse {
        pattern: p,
        values: vec![0.0; 4],
    };
    let err = lin.factorize(0.25, 2.0, &zero, &mut stats).unwrap_err();
    assert!(
        matches!(err, OdeError::SingularMatrix { t, pivot: Some(2) } if t == 0.25),
        "{err}"
    );
    // supernodal: no pivot index, found by the condition probe
    let js = Jacobian::Sparse {
        pattern: SparsityPattern::dense(3, 3),
        values: (0..9).map(|k| ((k / 3 + 1) * (k % 3 + 1)) as f64).collect(),
    };
    let mut lin =
        LinearSolver::<f64>::sparse_with(jac_pattern(&js), None, SparseLuKind::Supernodal).unwrap();
    let err = lin.factorize(0.5, 0.0, &js, &mut stats).unwrap_err();
    assert!(
        matches!(err, OdeError::SingularMatrix { t, pivot: None } if t == 0.5),
        "{err}"
    );
    lin.factorize(0.5, 1.0, &js, &mut stats).unwrap();
    let (_, jb) = brusselator_jacobian(4);
    let mut lin = LinearSolver::<f64>::sparse_with(
        jac_pattern(&jb),
        Some(&MassMatrix::Diagonal(vec![0.0; 32])),
        SparseLuKind::Supernodal,
    )
    .unwrap();
    let zero = Jacobian::Sparse {
        pattern: jac_pattern(&jb).clone(),
        values: vec![0.0; jac_pattern(&jb).nnz()],
    };
    assert!(matches!(
        lin.factorize(0.0, 1.0, &zero, &mut stats),
        Err(OdeError::SingularMatrix { pivot: None, .. })
    ));
    // complex too
    let mut lin = LinearSolver::<c64>::new(&j, None).unwrap();
    assert!(matches!(
        lin.factorize(0.0, c64::new(0.0, 0.0), &j, &mut stats),
        Err(OdeError::SingularMatrix { .. })
    ));
}

#[test]
fn setup_errors() {
    let j = Jacobian::Dense(Mat::zeros(3, 3));
    let bad_mass = MassMatrix::Diagonal(vec![1.0; 4]);
    assert!(matches!(
        LinearSolver::<f64>::new(&j, Some(&bad_mass)),
        Err(OdeError::MassMatrixDimensionMismatch {
            expected: 3,
            rows: 4,
            cols: 4
        })
    ));
    let mut lin = LinearSolver::<f64>::new(&j, None).unwrap();
    let j4 = Jacobian::Dense(Mat::zeros(4, 4));
    assert!(matches!(
        lin.factorize(0.0, 1.0, &j4, &mut Stats::default()),
        Err(OdeError::JacobianDimensionMismatch {
            expected: 3,
            found: 4,
            ..
        })
    ));
    let js = Jacobian::Sparse {
        pattern: SparsityPattern::diagonal(3),
        values: vec![1.0; 3],
    };
    let mut lin = LinearSolver::<f64>::new(&js, None).unwrap();
    assert!(matches!(
        lin.factorize(0.0, 1.0, &j, &mut Stats::default()),
        Err(OdeError::InvalidSparsity { .. })
    ));
    let other = Jacobian::Sparse {
        pattern: SparsityPattern::banded(3, 1, 0),
        values: vec![1.0; 5],
    };
    assert!(matches!(
        lin.factorize(0.0, 1.0, &other, &mut Stats::default()),
        Err(OdeError::InvalidSparsity { .. })
    ));
}

#[test]
fn refactorising_and_solving_allocate_nothing() {
    let (b, jac) = brusselator_jacobian(8); // n = 128
    let n = jac.dim();
    let y = b.initial();
    let mut f0 = vec![0.0; n];
    b.rhs(0.0, &y, &mut f0);
    let dense_jac = Jacobian::Dense(jac.to_dense());
    let mass = sparse_mass(n);
    let mut stats = Stats::default();
    // faer's supernodal numeric LU allocates work buffers per call: the allocation-free path is
    // the simplicial one (and dense).
    let pattern = jac_pattern(&jac);
    let mut sparse =
        LinearSolver::<f64>::sparse_with(pattern, Some(&mass), SparseLuKind::Simplicial).unwrap();
    let mut dense = LinearSolver::<f64>::new(&dense_jac, Some(&mass)).unwrap();
    let mut complex =
        LinearSolver::<c64>::sparse_with(pattern, Some(&mass), SparseLuKind::Simplicial).unwrap();
    let mut evals: Vec<JacobianEvaluator> = [
        JacobianSource::FiniteDifference,
        JacobianSource::Dual,
        JacobianSource::Analytic,
    ]
    .into_iter()
    .flat_map(|s| [JacobianStorage::Sparse, JacobianStorage::Dense].map(|st| (s, st)))
    .map(|(source, storage)| {
        JacobianEvaluator::new(
            &b,
            &JacobianOptions {
                source: Some(source),
                storage,
                ..Default::default()
            },
        )
        .unwrap()
    })
    .collect();
    let mut x = vec![0.0; n];
    let (mut xr, mut xi) = (vec![0.0; n], vec![0.0; n]);
    let mut xc = vec![c64::new(0.0, 0.0); n];
    let mut dfdt = vec![0.0; n];
    let mut round = |k: usize, stats: &mut Stats| {
        let c = 10.0 + k as f64;
        for e in evals.iter_mut() {
            e.evaluate(&b, 0.0, &y, &f0, stats).unwrap();
            e.time_derivative(&b, 0.0, &y, &f0, &mut dfdt, stats)
                .unwrap();
        }
        sparse.factorize(0.0, c, &jac, stats).unwrap();
        dense.factorize(0.0, c, &dense_jac, stats).unwrap();
        complex
            .factorize(0.0, c64::new(c, 3.0), &jac, stats)
            .unwrap();
        for _ in 0..3 {
            x.copy_from_slice(&f0);
            sparse.solve_in_place(&mut x, stats);
            x.copy_from_slice(&f0);
            dense.solve_in_place(&mut x, stats);
            xc.iter_mut()
                .zip(&f0)
                .for_each(|(z, &v)| *z = c64::new(v, -v));
            complex.solve_in_place(&mut xc, stats);
            xr.copy_from_slice(&f0);
            xi.copy_from_slice(&f0);
            complex.solve_split_in_place(&mut xr, &mut xi, stats);
        }
    };
    // warm-up: sparse LU factors reach their size, Jacobian sources are resolved
    round(0, &mut stats);
    round(1, &mut stats);
    let before = allocs();
    for k in 2..7 {
        round(k, &mut stats);
    }
    let after = allocs();
    assert_eq!(
        after - before,
        0,
        "allocations in 5 rounds of evaluate/factorize/solve"
    );
    assert_eq!(stats.lu_decomps, 3 * 7);
    assert_eq!(stats.lin_solves, 4 * 3 * 7);
}

/// Small dense systems (the unblocked LU below 25 unknowns) and larger ones (faer's LU): real
/// and complex, with a diagonal mass matrix, at sizes on both sides of the switch; residuals at
/// rounding level, and the same solution as the sparse LU of the same matrix.
#[test]
fn small_and_large_dense_solves_agree_with_sparse_lu() {
    for n in [1usize, 2, 3, 5, 8, 20, 24, 25, 31] {
        let j = Mat::from_fn(n, n, |i, k| {
            if i == k {
                -2.0 - (i % 3) as f64
            } else {
                (((i * 7 + k * 11) % 13) as f64 - 6.0) / 4.0
            }
        });
        let dense = Jacobian::Dense(j.clone());
        let pattern = SparsityPattern::dense(n, n);
        let values: Vec<f64> = pattern.entries().map(|(i, k)| j[(i, k)]).collect();
        let sparse = Jacobian::Sparse { pattern, values };
        let mass =
            MassMatrix::Diagonal((0..n).map(|i| if i % 4 == 3 { 0.0 } else { 1.0 }).collect());
        let b: Vec<f64> = (0..n).map(|i| (i as f64 * 0.7).cos()).collect();
        for c in [0.3, 50.0] {
            let mut stats = Stats::default();
            let w = w_dense(c, Some(&mass), &dense);
            let mut a = LinearSolver::<f64>::new(&dense, Some(&mass)).unwrap();
            a.factorize(0.0, c, &dense, &mut stats).unwrap();
            let mut x = b.clone();
            a.solve_in_place(&mut x, &mut stats);
            assert!(residual(&w, &x, &b) < 1e-15, "n = {n}, c = {c}");
            let mut s = LinearSolver::<f64>::new(&sparse, Some(&mass)).unwrap();
            s.factorize(0.0, c, &sparse, &mut stats).unwrap();
            let mut y = b.clone();
            s.solve_in_place(&mut y, &mut stats);
            let scale = y.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            for (p, q) in x.iter().zip(&y) {
                assert!(
                    (p - q).abs() <= 1e-12 * scale,
                    "n = {n}, c = {c}: {p} vs {q}"
                );
            }
            // complex shift, as Radau's second block
            let cc = c64::new(c, 0.8 * c);
            let wc = w_dense(cc, Some(&mass), &dense);
            let mut z = LinearSolver::<c64>::new(&dense, Some(&mass)).unwrap();
            z.factorize(0.0, cc, &dense, &mut stats).unwrap();
            let bc: Vec<c64> = b.iter().map(|&v| c64::new(v, -0.5 * v)).collect();
            let mut xc = bc.clone();
            z.solve_in_place(&mut xc, &mut stats);
            assert!(residual(&wc, &xc, &bc) < 1e-15, "n = {n}, complex c = {cc}");
        }
    }
}

/// The minimum-degree ordering of small dense `W` ([`LinearSolver::set_ordering`]): on sparse
/// matrices of 5, 20 and 24 unknowns (real and complex, with a diagonal mass matrix), the
/// ordered and the natural factorisations give the same solutions to rounding, with residuals
/// at rounding level; a singular `W` still names its column of `W` (not of the permuted
/// system); and refactorising and solving with an ordering allocate nothing.
#[test]
fn ordered_small_dense_lu_matches_the_natural_order() {
    for n in [5usize, 20, 24] {
        // an arrow-and-band pattern with a few far entries: fills in badly in the natural order
        let mut entries = Vec::new();
        for i in 0..n {
            entries.push((i, i));
            entries.push((0, i));
            entries.push((i, 0));
            if i + 1 < n {
                entries.push((i + 1, i));
            }
            entries.push(((i * 7 + 3) % n, i));
        }
        let pattern = SparsityPattern::from_entries(n, n, entries).unwrap();
        let j = Mat::from_fn(n, n, |i, k| {
            if pattern.position(i, k).is_none() {
                0.0
            } else if i == k {
                -3.0 - (i % 4) as f64
            } else {
                (((i * 5 + k * 3) % 11) as f64 - 5.0) / 3.0
            }
        });
        let dense = Jacobian::Dense(j);
        let mass =
            MassMatrix::Diagonal((0..n).map(|i| if i % 5 == 4 { 0.0 } else { 1.0 }).collect());
        let b: Vec<f64> = (0..n).map(|i| (i as f64 * 0.9).sin() + 0.1).collect();
        for c in [0.2, 40.0] {
            let mut stats = Stats::default();
            let w = w_dense(c, Some(&mass), &dense);
            let mut natural = LinearSolver::<f64>::new(&dense, Some(&mass)).unwrap();
            let mut ordered = LinearSolver::<f64>::new(&dense, Some(&mass)).unwrap();
            ordered.set_ordering(&pattern).unwrap();
            natural.factorize(0.0, c, &dense, &mut stats).unwrap();
            ordered.factorize(0.0, c, &dense, &mut stats).unwrap();
            let (mut x, mut y) = (b.clone(), b.clone());
            natural.solve_in_place(&mut x, &mut stats);
            ordered.solve_in_place(&mut y, &mut stats);
            assert!(residual(&w, &y, &b) < 1e-14, "n = {n}, c = {c}");
            let scale = x.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            for (p, q) in x.iter().zip(&y) {
                assert!(
                    (p - q).abs() <= 1e-12 * scale,
                    "n = {n}, c = {c}: {p} vs {q}"
                );
            }
            // refactorising and solving with the ordering allocate nothing
            let before = allocs();
            for _ in 0..3 {
                ordered.factorize(0.0, c, &dense, &mut stats).unwrap();
                ordered.solve_in_place(&mut y, &mut stats);
            }
            assert_eq!(allocs(), before, "n = {n}: allocation in factorize/solve");
            // complex, as Radau's second block
            let cc = c64::new(c, -0.6 * c);
            let wc = w_dense(cc, Some(&mass), &dense);
            let mut z = LinearSolver::<c64>::new(&dense, Some(&mass)).unwrap();
            z.set_ordering(&pattern).unwrap();
            z.factorize(0.0, cc, &dense, &mut stats).unwrap();
            let bc: Vec<c64> = b.iter().map(|&v| c64::new(v, 0.3 * v)).collect();
            let mut xc = bc.clone();
            z.solve_in_place(&mut xc, &mut stats);
            assert!(residual(&wc, &xc, &bc) < 1e-14, "n = {n}, complex c = {cc}");
        }
        // a zero column of W (c·m − j = 0 on an algebraic component with j = 0) is reported as
        // that column of W
        let k = 4;
        let mut jz = dense.to_dense();
        for i in 0..n {
            jz[(i, k)] = 0.0;
        }
        let jz = Jacobian::Dense(jz);
        let mut s = LinearSolver::<f64>::new(&jz, Some(&mass)).unwrap();
        s.set_ordering(&pattern).unwrap();
        let err = s
            .factorize(1.0, 3.0, &jz, &mut Stats::default())
            .unwrap_err();
        assert!(
            matches!(err, OdeError::SingularMatrix { pivot: Some(p), .. } if p == k),
            "n = {n}: {err:?}"
        );
    }
    // a pattern of the wrong size is a typed error
    let mut s = LinearSolver::<f64>::dense(3, None).unwrap();
    let e = s.set_ordering(&SparsityPattern::dense(4, 4)).unwrap_err();
    assert!(
        matches!(e, OdeError::JacobianDimensionMismatch { .. }),
        "{e:?}"
    );
}
