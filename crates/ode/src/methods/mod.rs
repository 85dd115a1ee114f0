//! The built-in explicit Runge–Kutta methods, one tableau per file.

use std::fmt;
use std::str::FromStr;

use crate::tableau::ButcherTableau;

pub mod bs3;
pub mod dop853;
pub mod dp5;
pub mod euler;
pub mod rk4;
pub mod tsit5;
pub mod vern7;
pub mod vern9;

/// A method known at compile time: the generic stepper is monomorphised per method so that the
/// tableau's coefficients (and its zeros) are constants to the optimiser.
pub trait ExplicitRk {
    const TABLEAU: ButcherTableau;
}

macro_rules! marker {
    ($(#[$m:meta])* $ty:ident => $path:path) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, Default)]
        pub struct $ty;
        impl ExplicitRk for $ty {
            const TABLEAU: ButcherTableau = $path;
        }
    };
}

marker!(/// Tsitouras 5(4), the default.
    Tsit5 => tsit5::TABLEAU);
marker!(/// Dormand–Prince 5(4).
    Dp5 => dp5::TABLEAU);
marker!(/// Dormand–Prince 8(5,3) (Hairer's DOP853).
    Dop853 => dop853::TABLEAU);
marker!(/// Verner's "most efficient" 7(6).
    Vern7 => vern7::TABLEAU);
marker!(/// Verner's "most efficient" 9(8).
    Vern9 => vern9::TABLEAU);
marker!(/// Bogacki–Shampine 3(2).
    Bs3 => bs3::TABLEAU);
marker!(/// Classical fixed-step Runge–Kutta of order 4.
    Rk4 => rk4::TABLEAU);
marker!(/// Forward Euler, fixed step.
    Euler => euler::TABLEAU);

/// The method chosen at run time (command line, configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Method {
    #[default]
    Tsit5,
    Dp5,
    Dop853,
    Vern7,
    Vern9,
    Bs3,
    Rk4,
    Euler,
}

impl Method {
    /// Every built-in method, the default first.
    pub const ALL: [Method; 8] = [
        Method::Tsit5,
        Method::Dp5,
        Method::Dop853,
        Method::Vern7,
        Method::Vern9,
        Method::Bs3,
        Method::Rk4,
        Method::Euler,
    ];

    /// The method's coefficients.
    pub const fn tableau(self) -> &'static ButcherTableau {
        match self {
            Method::Tsit5 => &tsit5::TABLEAU,
            Method::Dp5 => &dp5::TABLEAU,
            Method::Dop853 => &dop853::TABLEAU,
            Method::Vern7 => &vern7::TABLEAU,
            Method::Vern9 => &vern9::TABLEAU,
            Method::Bs3 => &bs3::TABLEAU,
            Method::Rk4 => &rk4::TABLEAU,
            Method::Euler => &euler::TABLEAU,
        }
    }

    /// Classical order of the propagated solution.
    pub const fn order(self) -> u32 {
        self.tableau().order
    }

    /// Order of the dense output.
    pub const fn dense_order(self) -> u32 {
        self.tableau().dense.order
    }

    /// Whether the method adapts its step (has an embedded error estimate).
    pub const fn is_adaptive(self) -> bool {
        self.tableau().is_adaptive()
    }

    /// Command-line name.
    pub const fn name(self) -> &'static str {
        self.tableau().name
    }

    /// One line for listings.
    pub const fn description(self) -> &'static str {
        match self {
            Method::Tsit5 => "Tsitouras 5(4), FSAL, 4th-order free interpolant (default)",
            Method::Dp5 => "Dormand-Prince 5(4), FSAL, 4th-order dense output",
            Method::Dop853 => "Dormand-Prince 8(5,3) (Hairer's DOP853), 7th-order dense output",
            Method::Vern7 => "Verner 7(6) most efficient pair, 7th-order lazy interpolant",
            Method::Vern9 => "Verner 9(8) most efficient pair, 9th-order lazy interpolant",
            Method::Bs3 => "Bogacki-Shampine 3(2), FSAL, 3rd-order Hermite dense output",
            Method::Rk4 => "classical Runge-Kutta 4, fixed step (needs dt)",
            Method::Euler => "forward Euler, fixed step (needs dt)",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Unknown method name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown method '{name}' (known: tsit5, dp5, dop853, vern7, vern9, bs3, rk4, euler)")]
pub struct UnknownMethod {
    pub name: String,
}

impl FromStr for Method {
    type Err = UnknownMethod;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.to_ascii_lowercase();
        if let Some(m) = Method::ALL.into_iter().find(|m| m.name() == lower) {
            return Ok(m);
        }
        match lower.as_str() {
            "dopri5" | "rk45" => Ok(Method::Dp5),
            _ => Err(UnknownMethod {
                name: s.to_string(),
            }),
        }
    }
}
