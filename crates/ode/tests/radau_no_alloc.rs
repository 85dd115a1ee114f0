//! The Radau IIA 5 stepping loop allocates nothing per step: the number of heap allocations of a
//! solve does not depend on how many steps it takes (real and complex dense LU, mass matrix,
//! events, save-at times).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use ai4de_ode::jacobian::{DualScalar, JacDual};
use ai4de_ode::mass::MassMatrix;
use ai4de_ode::{Event, Method, OdeSystem, SaveAt, Solve};

/// Counts the allocations of the current thread (the test harness runs tests in parallel).
struct Counting;

thread_local! {
    static ALLOCS: Cell<usize> = const { Cell::new(0) };
}

fn allocations() -> usize {
    ALLOCS.with(Cell::get)
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // `try_with`: the thread-local may already be gone while a thread shuts down.
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// A forced, damped oscillator with a stiff relaxing third component, written once for `f64`
/// and dual numbers; optionally with the third equation algebraic (`M = diag(1, 1, 0)`).
struct Forced {
    mass: Option<MassMatrix>,
}

impl Forced {
    fn f<T: DualScalar>(&self, t: T, y: &[T], dy: &mut [T]) {
        dy[0] = y[1];
        dy[1] = -y[0] - y[1] * 0.1 + t.sin() * 0.5 + y[2] * 0.01;
        dy[2] = (y[0] * y[0] - y[2]) * 1e3;
    }
}

impl OdeSystem for Forced {
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
    fn mass_matrix(&self) -> Option<&MassMatrix> {
        self.mass.as_ref()
    }
}

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
