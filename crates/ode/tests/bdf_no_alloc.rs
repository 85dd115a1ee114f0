//! The BDF stepping loop allocates nothing per step: the number of heap allocations of a solve
//! does not depend on how many steps it takes (dense LU, mass matrix, events, save-at times,
//! dual-number Jacobians). Same harness as `rosenbrock_no_alloc.rs`.

use ai4de_ode::mass::MassMatrix;
use ai4de_ode::{Event, Method, OdeSystem, SaveAt, Solve};

#[path = "common/no_alloc.rs"]
mod no_alloc;

use no_alloc::{allocations, Forced};

/// Allocations and accepted steps of one solve.
fn count<S: OdeSystem>(
    sys: &S,
    y0: &[f64],
    method: Method,
    t_end: f64,
    rtol: f64,
    with_extras: bool,
) -> (usize, usize) {
    let mut solve = Solve::new(sys, (0.0, t_end), y0)
        .method(method)
        .rtol(rtol)
        .atol(rtol)
        .save_at(SaveAt::Final);
    if with_extras {
        // An event that never fires (g is evaluated every step) and two save-at times (dense
        // output) reserved up front.
        solve = solve
            .event(Event::new(|_t, y: &[f64]| y[0] + 100.0))
            .save_at(SaveAt::Times(vec![0.5 * t_end, t_end]));
    }
    let before = allocations();
    let sol = solve.run().expect("solves");
    let after = allocations();
    let steps = sol.stats.accepted;
    drop(sol);
    (after - before, steps)
}

fn check<S: OdeSystem>(what: &str, sys: &S, y0: &[f64], short: f64, long: f64, rtol: f64) {
    for with_extras in [false, true] {
        let (a_short, s_short) = count(sys, y0, Method::Bdf, short, rtol, with_extras);
        let (a_long, s_long) = count(sys, y0, Method::Bdf, long, rtol, with_extras);
        assert!(s_long > 5 * s_short, "{what}: {s_short} vs {s_long} steps");
        assert_eq!(
            a_short, a_long,
            "{what} (extras: {with_extras}): {a_short} allocations for {s_short} steps but {a_long} for {s_long}"
        );
    }
}

#[test]
fn dense_lu_steps_allocate_nothing() {
    let sys = Forced { mass: None };
    check("ode", &sys, &[1.0, 0.0, 1.0], 2.0, 50.0, 1e-8);
}

#[test]
fn mass_matrix_steps_allocate_nothing() {
    let sys = Forced {
        mass: Some(MassMatrix::Diagonal(vec![1.0, 1.0, 0.0])),
    };
    check("dae", &sys, &[1.0, 0.0, 1.0], 2.0, 50.0, 1e-8);
}

/// The Newton–Krylov path (GMRES with the Brusselator's FFT preconditioner, sparse analytic
/// Jacobian) allocates nothing per step either.
#[test]
fn gmres_steps_allocate_nothing() {
    use ai4de_ode::krylov::{GmresOptions, LinearSolverChoice};
    let sys = ai4de_ode::problems::Brusselator2d::new(8);
    let y0 = sys.initial_state();
    let count = |t_end: f64| {
        let solve = Solve::new(&sys, (0.0, t_end), &y0)
            .method(Method::Bdf)
            .rtol(1e-8)
            .atol(1e-8)
            .linear_solver(LinearSolverChoice::Gmres(GmresOptions::default()))
            .save_at(SaveAt::Final);
        let before = allocations();
        let sol = solve.run().expect("solves");
        let after = allocations();
        (after - before, sol.stats.accepted, sol.stats.lin_iters)
    };
    // the first solve builds the system's sparsity pattern (a `OnceLock`): not per step
    count(0.01);
    let (a_short, s_short, _) = count(0.01);
    let (a_long, s_long, iters) = count(1.0);
    assert!(
        s_long > s_short + 50 && iters > 0,
        "{s_short} vs {s_long} steps"
    );
    assert_eq!(
        a_short, a_long,
        "{s_short} steps: {a_short} allocations, {s_long}: {a_long}"
    );
}
