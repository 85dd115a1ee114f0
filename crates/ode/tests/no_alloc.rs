//! The stepping loop allocates nothing per step: the number of heap allocations of a solve does
//! not depend on how many steps it takes.

use ai4de_ode::{Event, FnSystem, Method, SaveAt, Solve};

#[path = "common/no_alloc.rs"]
mod no_alloc;

use no_alloc::allocations as allocs;

fn oscillator() -> FnSystem<impl Fn(f64, &[f64], &mut [f64])> {
    FnSystem::new(2, |_t, y: &[f64], dy: &mut [f64]| {
        dy[0] = y[1];
        dy[1] = -y[0];
    })
}

/// Allocations and accepted steps of one solve to `t_end`.
fn count(method: Method, t_end: f64, with_event: bool) -> (usize, usize) {
    let sys = oscillator();
    let y0 = [1.0, 0.0];
    let mut solve = Solve::new(&sys, (0.0, t_end), &y0)
        .method(method)
        .rtol(1e-9)
        .atol(1e-12)
        .save_at(SaveAt::Final);
    if !method.is_adaptive() {
        solve = solve.dt(1e-3);
    }
    if with_event {
        // An event that never fires: g is evaluated on every step.
        solve = solve.event(Event::new(|_t, y: &[f64]| y[0] + 10.0));
    }
    let before = allocs();
    let sol = solve.run().expect("oscillator solves");
    let after = allocs();
    let steps = sol.stats.accepted;
    drop(sol);
    (after - before, steps)
}

#[test]
fn allocations_do_not_grow_with_the_number_of_steps() {
    for method in Method::ALL {
        for with_event in [false, true] {
            let (a_short, s_short) = count(method, 1.0, with_event);
            let (a_long, s_long) = count(method, 100.0, with_event);
            assert!(
                s_long > 10 * s_short,
                "{method}: {s_short} vs {s_long} steps"
            );
            assert_eq!(
                a_short, a_long,
                "{method} (event: {with_event}): {a_short} allocations for {s_short} steps but {a_long} for {s_long}"
            );
        }
    }
}
