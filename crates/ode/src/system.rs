//! The right-hand side of `y' = f(t, y)`.

/// A system of ordinary differential equations `y' = f(t, y)` of fixed dimension.
///
/// This is all an explicit method asks of the equations: a dimension and an in-place evaluation.
/// Implementations must write every component of `dy` and must not allocate if the caller wants
/// allocation-free stepping.
pub trait OdeSystem {
    /// Number of state components.
    fn dim(&self) -> usize;
    /// Evaluates `dy = f(t, y)`. `y` and `dy` both have length [`OdeSystem::dim`].
    fn rhs(&self, t: f64, y: &[f64], dy: &mut [f64]);
}

impl<S: OdeSystem + ?Sized> OdeSystem for &S {
    fn dim(&self) -> usize {
        (**self).dim()
    }
    fn rhs(&self, t: f64, y: &[f64], dy: &mut [f64]) {
        (**self).rhs(t, y, dy)
    }
}

impl<S: OdeSystem + ?Sized> OdeSystem for Box<S> {
    fn dim(&self) -> usize {
        (**self).dim()
    }
    fn rhs(&self, t: f64, y: &[f64], dy: &mut [f64]) {
        (**self).rhs(t, y, dy)
    }
}

/// An [`OdeSystem`] made from a closure `f(t, y, dy)` and a dimension.
///
/// ```
/// use ai4de_ode::{FnSystem, OdeSystem};
/// let decay = FnSystem::new(1, |_t, y: &[f64], dy: &mut [f64]| dy[0] = -y[0]);
/// let mut dy = [0.0];
/// decay.rhs(0.0, &[2.0], &mut dy);
/// assert_eq!(dy[0], -2.0);
/// ```
#[derive(Clone)]
pub struct FnSystem<F> {
    dim: usize,
    f: F,
}

impl<F: Fn(f64, &[f64], &mut [f64])> FnSystem<F> {
    pub fn new(dim: usize, f: F) -> Self {
        Self { dim, f }
    }
}

impl<F: Fn(f64, &[f64], &mut [f64])> OdeSystem for FnSystem<F> {
    fn dim(&self) -> usize {
        self.dim
    }
    #[inline]
    fn rhs(&self, t: f64, y: &[f64], dy: &mut [f64]) {
        (self.f)(t, y, dy)
    }
}
