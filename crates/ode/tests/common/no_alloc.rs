//! Shared by the `*_no_alloc` tests (included with `#[path]`, so that only they install the
//! counting allocator): a per-thread allocation counter as the global allocator, and `Forced`,
//! a stiff test system written once for `f64` and dual numbers, optionally with a singular mass
//! matrix.
#![allow(dead_code)] // `Forced` is only used by the stiff tests.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use ai4de_ode::jacobian::{DualScalar, JacDual};
use ai4de_ode::mass::MassMatrix;
use ai4de_ode::OdeSystem;

struct Counting;

thread_local! {
    static ALLOCS: Cell<usize> = const { Cell::new(0) };
}

pub fn allocations() -> usize {
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
pub struct Forced {
    pub mass: Option<MassMatrix>,
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
