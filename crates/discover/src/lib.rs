//! Equation discovery for ai4de: candidate libraries with symbolic term names, derivative
//! estimation from data, the weak (integral) form, sparse regression (STLSQ, SR3, ensemble SINDy)
//! and discovered models that print as equations, serialise to JSON and simulate with `ai4de-ode`.
//!
//! The pipeline of SINDy (Brunton, Proctor & Kutz, PNAS 113 (2016) 3932–3937):
//! [`TimeSeries`] → [`Derivative`] (or [`WeakForm`]) → [`Library`] → [`Optimizer`] → [`Model`].
//! PDE-FIND (Rudy et al., Sci. Adv. 3 (2017) e1602614) is in [`pde`].
//!
//! ```
//! use ai4de_discover::{Library, Sindy, TimeSeries};
//! use ai4de_ode::{problems::LotkaVolterra, SaveAt, Solve};
//! let lv = LotkaVolterra::default();
//! let t: Vec<f64> = (0..=2000).map(|i| i as f64 * 0.005).collect();
//! let sol = Solve::new(&lv, (0.0, 10.0), &[1.0, 1.0])
//!     .rtol(1e-11).atol(1e-11).save_at(SaveAt::Times(t.clone())).run().unwrap();
//! let data = TimeSeries::new(sol.t, sol.y, vec!["x".into(), "y".into()]).unwrap();
//! let lib = Library::polynomial(&["x", "y"], 2, true, true).unwrap();
//! let model = Sindy::default().fit(&data, &lib).unwrap();
//! assert_eq!(model.support(0), ["x", "x*y"]);
//! println!("{model}"); // x' = 1.500 x - 1.000 x*y ...
//! ```
#![forbid(unsafe_code)]

pub mod derivative;
pub mod error;
pub mod library;
pub mod model;
pub mod optimize;
pub mod pde;
pub mod regress;
pub mod sindy;
pub mod weak;

pub use derivative::Derivative;
pub use error::DiscoverError;
pub use library::{Library, Term};
pub use model::{DiscoveredSystem, Model, ModelJson};
pub use optimize::{Coefficients, Criterion, Ensemble, Optimizer, Penalty, Sr3, Stlsq, Threshold};
pub use pde::DiscoveredPde;
pub use sindy::{Differentiation, Sindy, TimeSeries};
pub use weak::{WeakForm, WeakPde};
