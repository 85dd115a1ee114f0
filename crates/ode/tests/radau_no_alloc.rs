//! The Radau IIA 5 stepping loop allocates nothing per step: the number of heap allocations of a
//! solve does not depend on how many steps it takes (real and complex dense LU, mass matrix,
//! events, save-at times).

use ai4de_ode::mass::MassMatrix;
use ai4de_ode::{Event, Method, OdeSystem, SaveAt, Solve};

#[path = "common/no_alloc.rs"]
mod no_alloc;

use no_alloc::{allocations, Forced};

/// Allocations and accepted steps of one solve.
fn count<S: OdeSystem>(sys: &S, y0: &[f64], t_end: f64, with_extras: bool) -> (usize, usize) {
    let mut solve = Solve::new(sys, (0.0, t_end), y0)
        .method(Method::Radau5)
        .rtol(1e-8)
        .atol(1e-8)
        .save_at(SaveAt::Final);
    if with_extras {
        solve = solve
            .event(Event::new(|_t, y: &[f64]| y[0] + 100.0))
            .save_at(SaveAt::Times(vec![0.5 * t_end, t_end]));
    }
    let before = allocations();
    let sol = solve.run().unwrap();
    let after = allocations();
    let steps = sol.stats.accepted;
    drop(sol);
    (after - before, steps)
}

#[test]
fn radau5_steps_allocate_nothing() {
    for mass in [None, Some(MassMatrix::Diagonal(vec![1.0, 1.0, 0.0]))] {
        let dae = mass.is_some();
        let sys = Forced { mass };
        let y0 = [1.0, 0.0, 1.0];
        for with_extras in [false, true] {
            let (a_short, s_short) = count(&sys, &y0, 2.0, with_extras);
            let (a_long, s_long) = count(&sys, &y0, 40.0, with_extras);
            assert!(s_long > 5 * s_short, "{s_short} vs {s_long} steps");
            assert_eq!(
                a_short, a_long,
                "dae {dae}, extras {with_extras}: {a_short} allocations in {s_short} steps, \
                 {a_long} in {s_long}"
            );
        }
    }
}
