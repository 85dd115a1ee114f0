//! Time integration for ai4de.
//!
//! Explicit Runge–Kutta methods are data ([`tableau::ButcherTableau`]); one generic stepper
//! consumes them with PI step-size control, Hairer's automatic initial step, dense output,
//! save-at times, events and solver statistics.
//!
//! For stiff methods: [`jacobian`] evaluates `∂f/∂y` (analytic, dual numbers or coloured finite
//! differences, dense or sparse), [`linalg`] forms and factorises iteration matrices
//! `W = c·M − J` (real or complex, dense or sparse LU), [`mass`] holds constant mass matrices
//! (index-1 DAEs) and [`sparsity`] Jacobian patterns and their column colouring; [`krylov`] is the
//! Newton–Krylov alternative to LU for BDF/NDF (preconditioned GMRES, e.g. with an FFT
//! preconditioner for reaction–diffusion grids). The capabilities they use are optional methods
//! of [`OdeSystem`].
//!
//! [`sensitivity`]: parametric systems `y' = f(t, y; p)` (the whole catalogue), forward
//! sensitivities `∂y(t)/∂(p, y0)`, and continuous and discrete adjoints of scalar losses.
#![forbid(unsafe_code)]

pub mod error;
pub mod ilu;
pub mod jacobian;
pub mod krylov;
pub mod linalg;
pub mod mass;
pub mod methods;
pub mod problems;
pub mod sensitivity;
pub mod sparsity;
pub mod system;
pub mod tableau;

pub use error::OdeError;
pub use methods::Method;
pub use system::{FnSystem, OdeSystem, Structured};

/// The dense/sparse linear-algebra crate behind [`linalg`] (re-exported so users name the same
/// version).
pub use faer;
/// The dual numbers of [`OdeSystem::rhs_dual`] (re-exported so users name the same version).
pub use num_dual;

pub mod auto;
pub mod bdf;
pub mod control;
mod driver;
mod radau;
mod rk;
mod rosenbrock;
pub mod solution;
pub mod solve;

pub use solution::{EventHit, Solution, Stats};
pub use solve::{Direction, Event, Options, SaveAt, Solve, Tolerance};
