//! Newton–Krylov linear solver (`ai4de_ode::krylov`): GMRES against dense LU solves, the
//! Brusselator's FFT preconditioner against the exact iteration matrix, BDF/NDF with GMRES
//! against the direct (sparse LU) path, option checks and typed failures.

use ai4de_ode::jacobian::Jacobian;
use ai4de_ode::krylov::{
    Gmres, GmresOptions, JacobiPreconditioner, LinearSolverChoice, Preconditioner,
    PreconditionerChoice,
};
use ai4de_ode::problems::{self, Brusselator2d, BrusselatorPreconditioner};
use ai4de_ode::{FnSystem, Method, OdeError, OdeSystem, SaveAt, Solve};
use faer::Mat;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

/// A random non-symmetric, non-normal matrix `shift·I + A`, `A` with entries in [-1, 1].
fn random_matrix(n: usize, shift: f64, seed: u64) -> Mat<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut m = Mat::from_fn(n, n, |_, _| rng.random_range(-1.0..1.0));
    for i in 0..n {
        m[(i, i)] += shift * (1.0 + i as f64 / n as f64);
    }
    m
}

fn dense_solve(m: &Mat<f64>, b: &[f64]) -> Vec<f64> {
    let lu = m.partial_piv_lu();
    let rhs = Mat::from_fn(b.len(), 1, |i, _| b[i]);
    let x = faer::linalg::solvers::Solve::solve(&lu, &rhs);
    (0..b.len()).map(|i| x[(i, 0)]).collect()
}

fn matvec(m: &Mat<f64>, u: &[f64], out: &mut [f64]) {
    for (i, o) in out.iter_mut().enumerate() {
        *o = (0..u.len()).map(|j| m[(i, j)] * u[j]).sum();
    }
}

/// Unpreconditioned and Jacobi-preconditioned GMRES, with and without restarts, reach the
/// dense LU solution to the requested residual, and the weights change nothing but the norm.
#[test]
fn gmres_matches_dense_lu() {
    let n = 60;
    let m = random_matrix(n, 12.0, 1);
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let b: Vec<f64> = (0..n).map(|_| rng.random_range(-1.0..1.0)).collect();
    let exact = dense_solve(&m, &b);
    let diag: Vec<f64> = (0..n).map(|i| m[(i, i)]).collect();
    for (restart, restarts) in [(60, 0), (10, 20), (3, 200)] {
        for jacobi in [false, true] {
            for weights in [vec![1.0; n], (0..n).map(|i| 1.0 + i as f64).collect()] {
                let mut g = Gmres::new(n, restart, restarts);
                let mut x = b.clone();
                let out = g.solve(
                    &mut x,
                    &weights,
                    1e-13,
                    |u, o| matvec(&m, u, o),
                    |r| {
                        if jacobi {
                            for (x, d) in r.iter_mut().zip(&diag) {
                                *x /= d;
                            }
                        }
                    },
                );
                assert!(out.converged, "m = {restart}, jacobi {jacobi}: {out:?}");
                let e = max_abs_diff(&x, &exact);
                assert!(
                    e < 1e-10,
                    "m = {restart}, jacobi {jacobi}: error {e:.2e} ({out:?})"
                );
                // at most n iterations in exact arithmetic without restarts
                if restarts == 0 {
                    assert!(out.iterations <= n, "{out:?}");
                }
            }
        }
    }
}

/// A too small Krylov space without restarts does not converge, and says so; the iterate is
/// still the minimal-residual one (better than zero).
#[test]
fn gmres_reports_non_convergence() {
    let n = 40;
    let m = random_matrix(n, 1.0, 3);
    let b = vec![1.0; n];
    let mut g = Gmres::new(n, 2, 0);
    let mut x = b.clone();
    let out = g.solve(
        &mut x,
        &vec![1.0; n],
        1e-12,
        |u, o| matvec(&m, u, o),
        |_| {},
    );
    assert!(!out.converged);
    assert_eq!(out.iterations, 2);
    let mut r = vec![0.0; n];
    matvec(&m, &x, &mut r);
    let res: f64 = r
        .iter()
        .zip(&b)
        .map(|(a, b)| (a - b) * (a - b))
        .sum::<f64>()
        .sqrt();
    let res0 = (n as f64).sqrt();
    assert!(res < res0, "{res} vs {res0}");
    assert!(
        (res / res0 - out.residual).abs() < 1e-12 * res0,
        "{res} vs {}",
        out.residual
    );
}

/// A zero right-hand side gives zero in no iterations; a NaN stops without converging.
#[test]
fn gmres_trivial_and_non_finite() {
    let n = 5;
    let m = random_matrix(n, 5.0, 4);
    let mut g = Gmres::new(n, 5, 1);
    let mut x = vec![0.0; n];
    let out = g.solve(&mut x, &[1.0; 5], 1e-10, |u, o| matvec(&m, u, o), |_| {});
    assert!(out.converged && out.iterations == 0 && x.iter().all(|&v| v == 0.0));
    let mut x = vec![1.0, f64::NAN, 0.0, 0.0, 0.0];
    let out = g.solve(&mut x, &[1.0; 5], 1e-10, |u, o| matvec(&m, u, o), |_| {});
    assert!(!out.converged);
}

/// On a spatially uniform state the grid-averaged reaction is the reaction, so the FFT
/// preconditioner is exactly `W = cI − J`: `P⁻¹ (W x) = x` to rounding, for random `x`. On a
/// non-uniform state it is not exact, but close for large `c`.
#[test]
fn brusselator_preconditioner_inverts_w_on_uniform_states() {
    for n in [4usize, 16, 32] {
        let sys = Brusselator2d::new(n);
        let dim = sys.dim();
        let mut y = vec![1.3; dim];
        y[n * n..].fill(2.1);
        let mut values = vec![0.0; sys.pattern().nnz()];
        sys.jacobian_values(0.0, &y, &mut values);
        let jac = Jacobian::Sparse {
            pattern: sys.pattern().clone(),
            values,
        };
        let mut rng = ChaCha8Rng::seed_from_u64(n as u64);
        for c in [0.5, 30.0, 1e4] {
            let mut p = BrusselatorPreconditioner::new(&sys);
            p.setup(0.0, &y, c, Some(&jac), None).unwrap();
            let x: Vec<f64> = (0..dim).map(|_| rng.random_range(-1.0..1.0)).collect();
            let mut w = vec![0.0; dim];
            jac.mul_vec_into(&x, &mut w);
            for (wi, &xi) in w.iter_mut().zip(&x) {
                *wi = c * xi - *wi;
            }
            p.solve_in_place(&mut w);
            let e = max_abs_diff(&w, &x);
            assert!(e < 1e-11, "N = {n}, c = {c}: {e:.2e}");
        }
    }
}

fn bdf(
    p: &problems::Problem,
    method: Method,
    t_end: f64,
    tol: f64,
    lin: LinearSolverChoice,
) -> ai4de_ode::Solution {
    Solve::new(p, (p.t0, t_end), &p.y0)
        .method(method)
        .rtol(tol)
        .atol(tol)
        .linear_solver(lin)
        .save_at(SaveAt::Final)
        .run()
        .unwrap()
}

/// BDF and NDF with GMRES (the Brusselator's FFT preconditioner, and the Jacobi fallback)
/// against the direct sparse-LU path on the 2-D Brusselator (N = 16 and 32) to t = 1: both are
/// within their tolerance of a tight reference and of each other, with about the same steps.
#[test]
fn bdf_gmres_equals_direct_on_the_brusselator() {
    let gm = LinearSolverChoice::Gmres(GmresOptions::default());
    {
        let name = "bruss2d";
        let p = problems::get(name).unwrap();
        let reference = bdf(&p, Method::Bdf, 1.0, 1e-10, gm);
        let reference_lu = bdf(&p, Method::Bdf, 1.0, 1e-10, LinearSolverChoice::Direct);
        let scale = reference
            .y_final()
            .iter()
            .fold(0.0f64, |m, v| m.max(v.abs()));
        let d_ref = max_abs_diff(reference.y_final(), reference_lu.y_final()) / scale;
        assert!(d_ref < 1e-8, "{name}: references differ by {d_ref:.2e}");
        for method in [Method::Bdf, Method::Ndf] {
            for tol in [1e-5, 1e-7] {
                let a = bdf(&p, method, 1.0, tol, gm);
                let b = bdf(&p, method, 1.0, tol, LinearSolverChoice::Direct);
                let ea = max_abs_diff(a.y_final(), reference.y_final()) / scale;
                let eb = max_abs_diff(b.y_final(), reference.y_final()) / scale;
                let dab = max_abs_diff(a.y_final(), b.y_final()) / scale;
                println!(
                    "{name} {method:?} {tol:e}: gmres err {ea:.2e}, direct err {eb:.2e}, diff {dab:.2e}; steps {} / {}, lin iters {}, prec solves {}",
                    a.stats.steps, b.stats.steps, a.stats.lin_iters, a.stats.prec_solves
                );
                assert!(ea < 30.0 * tol && eb < 30.0 * tol, "{ea:.2e} {eb:.2e}");
                assert!(dab < 30.0 * tol, "{dab:.2e}");
                let (sa, sb) = (a.stats.steps as f64, b.stats.steps as f64);
                assert!((sa / sb - 1.0).abs() < 0.25, "steps {sa} vs {sb}");
                assert_eq!(a.stats.lu_decomps, 0);
                assert!(a.stats.prec_setups > 0 && a.stats.prec_solves >= a.stats.lin_solves);
                assert_eq!(a.stats.lin_solves, a.stats.newton_iters);
            }
        }
    }
    // N = 16 through a custom system: the Jacobi fallback also converges (more iterations).
    let small = Brusselator2d::new(16);
    let y0 = small.initial_state();
    let run = |lin| {
        Solve::new(&small, (0.0, 0.5), &y0)
            .method(Method::Bdf)
            .rtol(1e-7)
            .atol(1e-7)
            .linear_solver(lin)
            .save_at(SaveAt::Final)
            .run()
            .unwrap()
    };
    let direct = run(LinearSolverChoice::Direct);
    let fft = run(gm);
    let jacobi = run(LinearSolverChoice::Gmres(GmresOptions {
        preconditioner: PreconditionerChoice::Jacobi,
        ..GmresOptions::default()
    }));
    let ilu = run(LinearSolverChoice::Gmres(GmresOptions {
        preconditioner: PreconditionerChoice::Ilu0,
        ..GmresOptions::default()
    }));
    let scale = direct.y_final().iter().fold(0.0f64, |m, v| m.max(v.abs()));
    for (what, s) in [("fft", &fft), ("jacobi", &jacobi), ("ilu0", &ilu)] {
        let d = max_abs_diff(s.y_final(), direct.y_final()) / scale;
        println!("N = 16 {what}: diff {d:.2e}, {:?}", s.stats);
        assert!(d < 3e-6, "{what}: {d:.2e}");
    }
    assert!(jacobi.stats.lin_iters > fft.stats.lin_iters);
    // ILU(0) of the whole W (reaction included) beats the diagonal
    assert!(ilu.stats.lin_iters < jacobi.stats.lin_iters);
}

/// GMRES with ILU(0) on the iteration matrix of the 2-D Brusselator (N = 16, the sparse
/// analytic Jacobian at a non-uniform state, `c = 1/h` of a typical step): converges to the
/// sparse-LU solution in a handful of iterations, far fewer than with the diagonal; and a
/// system without a preconditioner of its own gets ILU(0) from `PreconditionerChoice::Auto`
/// when its Jacobian is sparse.
#[test]
fn gmres_with_ilu0_on_the_brusselator() {
    use ai4de_ode::ilu::Ilu0Preconditioner;
    use ai4de_ode::linalg::LinearSolver;
    let sys = Brusselator2d::new(16);
    let n = sys.dim();
    let y: Vec<f64> = sys
        .initial_state()
        .iter()
        .enumerate()
        .map(|(i, v)| v * (1.0 + 0.2 * ((i % 11) as f64 / 11.0)))
        .collect();
    let pattern = sys.jacobian_sparsity().unwrap().clone();
    let mut values = vec![0.0; pattern.nnz()];
    assert!(sys.jacobian_sparse(0.0, &y, &mut values));
    let jac = Jacobian::Sparse { pattern, values };
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let b: Vec<f64> = (0..n).map(|_| rng.random_range(-1.0..1.0)).collect();
    for c in [1e2, 1e3, 1e4] {
        let mut lu = LinearSolver::<f64>::new(&jac, None).unwrap();
        let mut stats = ai4de_ode::Stats::default();
        lu.factorize(0.0, c, &jac, &mut stats).unwrap();
        let mut exact = b.clone();
        lu.solve_in_place(&mut exact, &mut stats);
        let mut iters = Vec::new();
        for ilu in [true, false] {
            let mut p: Box<dyn Preconditioner> = if ilu {
                Box::new(Ilu0Preconditioner::new())
            } else {
                Box::new(JacobiPreconditioner::new(n))
            };
            p.setup(0.0, &y, c, Some(&jac), None).unwrap();
            let mut g = Gmres::new(n, 30, 20);
            let mut x = b.clone();
            let out = g.solve(
                &mut x,
                &vec![1.0; n],
                1e-12,
                |u, o| {
                    jac.mul_vec_into(u, o);
                    for (o, &u) in o.iter_mut().zip(u) {
                        *o = c * u - *o;
                    }
                },
                |r| p.solve_in_place(r),
            );
            let scale = exact.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            let e = max_abs_diff(&x, &exact) / scale;
            println!("c = {c:e}, ilu0 {ilu}: {out:?}, error {e:.1e}");
            // (the diagonal may need more than the 630 iterations allowed here)
            if ilu {
                assert!(out.converged, "c = {c:e}: {out:?}");
                // (the preconditioned residual 1e-12 bounds the error by κ(P⁻¹W)·1e-12)
                assert!(e < 1e-7, "c = {c:e}: {e:.1e}");
            }
            iters.push(out.iterations);
        }
        assert!(iters[0] < iters[1], "c = {c:e}: {iters:?}");
    }
    // Auto on a sparse system without its own preconditioner: ILU(0), no LU
    let bare = ai4de_ode::Structured::new(ai4de_ode::FnSystem::new(
        n,
        |t, y: &[f64], dy: &mut [f64]| sys.rhs(t, y, dy),
    ))
    .with_sparsity(sys.jacobian_sparsity().unwrap().clone())
    .unwrap();
    let y0 = sys.initial_state();
    let sol = Solve::new(&bare, (0.0, 0.2), &y0)
        .method(Method::Bdf)
        .rtol(1e-6)
        .atol(1e-6)
        .linear_solver(LinearSolverChoice::Gmres(GmresOptions::default()))
        .save_at(SaveAt::Final)
        .run()
        .unwrap();
    let direct = Solve::new(&sys, (0.0, 0.2), &y0)
        .method(Method::Bdf)
        .rtol(1e-6)
        .atol(1e-6)
        .save_at(SaveAt::Final)
        .run()
        .unwrap();
    let scale = direct.y_final().iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let d = max_abs_diff(sol.y_final(), direct.y_final()) / scale;
    println!("auto (ilu0, fd Jacobian): diff {d:.1e}, {:?}", sol.stats);
    assert!(d < 1e-4, "{d:e}");
    assert_eq!(sol.stats.lu_decomps, 0);
    assert!(sol.stats.prec_setups > 0);
}

/// GMRES is only for BDF/NDF; bad GMRES options are rejected before the first step.
#[test]
fn gmres_option_checks() {
    let p = problems::get("rober").unwrap();
    for m in [Method::Rodas5P, Method::Radau5, Method::Tsit5, Method::Auto] {
        let r = Solve::new(&p, (0.0, 1.0), &p.y0)
            .method(m)
            .linear_solver(LinearSolverChoice::Gmres(GmresOptions::default()))
            .run();
        assert!(
            matches!(
                r,
                Err(OdeError::InvalidOption {
                    name: "linear_solver",
                    ..
                })
            ),
            "{m:?}: {r:?}"
        );
    }
    for bad in [
        GmresOptions {
            restart: 0,
            ..GmresOptions::default()
        },
        GmresOptions {
            tol_factor: 0.0,
            ..GmresOptions::default()
        },
        GmresOptions {
            tol_factor: f64::NAN,
            ..GmresOptions::default()
        },
    ] {
        let r = Solve::new(&p, (0.0, 1.0), &p.y0)
            .method(Method::Bdf)
            .linear_solver(LinearSolverChoice::Gmres(bad))
            .run();
        assert!(matches!(r, Err(OdeError::InvalidOption { .. })), "{r:?}");
    }
}

/// ROBER (dense Jacobian, no preconditioner of its own: Jacobi) with GMRES equals the direct
/// path to the tolerance.
#[test]
fn gmres_jacobi_on_rober() {
    let p = problems::get("rober").unwrap();
    let run = |lin| {
        Solve::new(&p, (0.0, 1e5), &p.y0)
            .method(Method::Bdf)
            .rtol(1e-8)
            .atol(1e-12)
            .linear_solver(lin)
            .save_at(SaveAt::Final)
            .run()
            .unwrap()
    };
    let a = run(LinearSolverChoice::Gmres(GmresOptions::default()));
    let b = run(LinearSolverChoice::Direct);
    for (x, y) in a.y_final().iter().zip(b.y_final()) {
        assert!((x - y).abs() <= 1e-6 * y.abs() + 1e-11, "{x} vs {y}");
    }
    assert!(a.stats.lin_iters > 0);
}

/// When GMRES cannot converge (no preconditioner, one Krylov vector, a stiff linear system, fixed
/// steps), the solve stops with the typed GMRES error carrying t, h and the residual.
#[test]
fn gmres_failure_is_a_typed_error() {
    let sys = FnSystem::new(2, |_t, y: &[f64], dy: &mut [f64]| {
        dy[0] = -1e4 * y[0] + 3e3 * y[1];
        dy[1] = 2e3 * y[0] - y[1];
    });
    let r = Solve::new(&sys, (0.0, 1.0), &[1.0, 1.0])
        .method(Method::Bdf)
        .dt(0.1)
        .linear_solver(LinearSolverChoice::Gmres(GmresOptions {
            restart: 1,
            max_restarts: 0,
            tol_factor: 1e-3,
            preconditioner: PreconditionerChoice::Identity,
        }))
        .run();
    match r {
        Err(OdeError::LinearSolverFailure {
            t,
            h,
            iterations,
            residual,
        }) => {
            assert_eq!(t, 0.0);
            assert!((h - 0.1).abs() < 1e-15);
            assert_eq!(iterations, 1);
            assert!(residual > 0.0);
        }
        other => panic!("{other:?}"),
    }
}

/// The Jacobi preconditioner is `diag(cM − J)⁻¹`.
#[test]
fn jacobi_preconditioner_is_the_diagonal() {
    let m = random_matrix(4, 3.0, 9);
    let jac = Jacobian::Dense(m.clone());
    let mut p = JacobiPreconditioner::new(4);
    p.setup(0.0, &[0.0; 4], 2.0, Some(&jac), None).unwrap();
    let mut r = vec![1.0; 4];
    p.solve_in_place(&mut r);
    for i in 0..4 {
        assert!((r[i] - 1.0 / (2.0 - m[(i, i)])).abs() < 1e-15);
    }
}
