//! Test support for ai4de: convergence-order fitting, a two-method high-accuracy reference
//! solution, and error norms.
//!
//! ```
//! use ai4de_testkit::fit_order;
//! // errors of a second-order method: e = 3 h^2
//! let h = [0.1, 0.05, 0.025, 0.0125];
//! let e: Vec<f64> = h.iter().map(|h| 3.0 * h * h).collect();
//! assert!((fit_order(&h, &e) - 2.0).abs() < 1e-12);
//! ```
#![forbid(unsafe_code)]

mod norms;
mod order;
mod reference;

pub use norms::{max_abs, max_abs_diff, max_rel_diff, rel_inf_diff, rms_diff};
pub use order::{fit_order, fit_order_detailed, OrderFit, ROUNDING_FLOOR};
pub use reference::{two_method_reference, ReferenceError, ReferenceOptions, TwoMethodReference};
