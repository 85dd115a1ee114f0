//! The built-in methods: explicit Runge–Kutta tableaus, one per file, and the Rosenbrock–Wanner
//! methods for stiff problems in [`rosenbrock`].

use std::fmt;
use std::str::FromStr;

use crate::tableau::ButcherTableau;
use rosenbrock::RosenbrockTableau;

pub mod bs3;
pub mod dop853;
pub mod dp5;
pub mod euler;
pub mod rk4;
pub mod rosenbrock;
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

/// A Rosenbrock method known at compile time (the linearly implicit stepper is monomorphised per
/// method, as the explicit one is).
pub trait RosenbrockMethod {
    const TABLEAU: RosenbrockTableau;
}

macro_rules! rosenbrock_marker {
    ($(#[$m:meta])* $ty:ident => $path:path) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, Default)]
        pub struct $ty;
        impl RosenbrockMethod for $ty {
            const TABLEAU: RosenbrockTableau = $path;
        }
    };
}

rosenbrock_marker!(/// Steinebach's Rodas5P, 5(4), the default stiff method.
    Rodas5P => rosenbrock::rodas5p::TABLEAU);
rosenbrock_marker!(/// Hairer & Wanner's RODAS, 4(3).
    Rodas4 => rosenbrock::rodas4::TABLEAU);
rosenbrock_marker!(/// Shampine & Reichelt's ode23s, 2(3) W-method.
    Rosenbrock23 => rosenbrock::rosenbrock23::TABLEAU);

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
    /// Stiff: Rosenbrock 5(4) (Steinebach 2023).
    Rodas5P,
    /// Stiff: Rosenbrock 4(3) (Hairer & Wanner's RODAS).
    Rodas4,
    /// Stiff: Rosenbrock W-method 2(3) (MATLAB's ode23s).
    Rosenbrock23,
    /// Stiff: Radau IIA of order 5, implicit (Hairer's RADAU5), see `radau.rs`.
    Radau5,
    /// Stiff: variable-order (1–5) variable-step BDF (`ode15s` / CVODE style), see
    /// [`crate::bdf`].
    Bdf,
    /// Stiff: the same variable-order stepper with the numerical differentiation formulas of
    /// Shampine & Reichelt (MATLAB's `ode15s`, SciPy's `BDF`): better-damped orders 1–4,
    /// see [`crate::bdf::KAPPA_NDF`].
    Ndf,
    /// Automatic: Tsit5, switching to Rodas5P when stiffness is detected (and back), see
    /// [`crate::auto`].
    Auto,
}

impl Method {
    /// Every built-in explicit Runge–Kutta method, the default first (each has a
    /// [`Method::tableau`]).
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

    /// The one-step methods for stiff problems (and DAEs with a constant mass matrix), the
    /// default stiff method first: the Rosenbrock methods (each has a
    /// [`Method::rosenbrock_tableau`]) and Radau IIA 5.
    pub const STIFF: [Method; 4] = [
        Method::Rodas5P,
        Method::Rodas4,
        Method::Rosenbrock23,
        Method::Radau5,
    ];

    /// The implicit multistep methods for stiff problems (and DAEs with a constant mass
    /// matrix), which have neither kind of tableau: the variable-order BDF and NDF.
    pub const MULTISTEP: [Method; 2] = [Method::Bdf, Method::Ndf];

    /// The explicit method's Butcher tableau.
    ///
    /// # Panics
    /// For the Rosenbrock methods of [`Method::STIFF`], which have no Butcher tableau: use
    /// [`Method::explicit_tableau`] or [`Method::rosenbrock_tableau`] when the kind is not known.
    pub const fn tableau(self) -> &'static ButcherTableau {
        match self.explicit_tableau() {
            Some(t) => t,
            None => panic!("a Rosenbrock method has no Butcher tableau (see rosenbrock_tableau)"),
        }
    }

    /// The Butcher tableau of an explicit method, `None` for a Rosenbrock method.
    pub const fn explicit_tableau(self) -> Option<&'static ButcherTableau> {
        Some(match self {
            Method::Auto => return None,
            Method::Tsit5 => &tsit5::TABLEAU,
            Method::Dp5 => &dp5::TABLEAU,
            Method::Dop853 => &dop853::TABLEAU,
            Method::Vern7 => &vern7::TABLEAU,
            Method::Vern9 => &vern9::TABLEAU,
            Method::Bs3 => &bs3::TABLEAU,
            Method::Rk4 => &rk4::TABLEAU,
            Method::Euler => &euler::TABLEAU,
            Method::Rodas5P
            | Method::Rodas4
            | Method::Rosenbrock23
            | Method::Radau5
            | Method::Bdf
            | Method::Ndf => return None,
        })
    }

    /// The coefficients of a Rosenbrock method, `None` for an explicit one.
    pub const fn rosenbrock_tableau(self) -> Option<&'static RosenbrockTableau> {
        match self {
            Method::Rodas5P => Some(&rosenbrock::rodas5p::TABLEAU),
            Method::Rodas4 => Some(&rosenbrock::rodas4::TABLEAU),
            Method::Rosenbrock23 => Some(&rosenbrock::rosenbrock23::TABLEAU),
            _ => None,
        }
    }

    /// Whether the method is linearly implicit (a Rosenbrock method for stiff problems, which
    /// uses the Jacobian and accepts a mass matrix).
    pub const fn is_stiff(self) -> bool {
        self.rosenbrock_tableau().is_some()
            || matches!(self, Method::Radau5)
            || matches!(self, Method::Bdf | Method::Ndf)
    }

    /// Classical order of the propagated solution.
    pub const fn order(self) -> u32 {
        if let Method::Auto = self {
            return 5;
        }
        if let Method::Radau5 = self {
            return 5;
        }
        if let Method::Bdf | Method::Ndf = self {
            return crate::bdf::MAX_ORDER as u32;
        }
        match (self.explicit_tableau(), self.rosenbrock_tableau()) {
            (Some(t), _) => t.order,
            (None, Some(r)) => r.order,
            (None, None) => panic!("every method has an explicit or a Rosenbrock tableau"),
        }
    }

    /// Order of the dense output.
    pub const fn dense_order(self) -> u32 {
        if let Method::Auto = self {
            return 4;
        }
        if let Method::Radau5 = self {
            return 3;
        }
        if let Method::Bdf | Method::Ndf = self {
            return crate::bdf::MAX_ORDER as u32;
        }
        match (self.explicit_tableau(), self.rosenbrock_tableau()) {
            (Some(t), _) => t.dense.order,
            (None, Some(r)) => r.dense_order,
            (None, None) => panic!("every method has an explicit or a Rosenbrock tableau"),
        }
    }

    /// Whether the method adapts its step (has an embedded error estimate).
    pub const fn is_adaptive(self) -> bool {
        match self.explicit_tableau() {
            Some(t) => t.is_adaptive(),
            None => true,
        }
    }

    /// Command-line name.
    pub const fn name(self) -> &'static str {
        if let Method::Auto = self {
            return "auto";
        }
        if let Method::Radau5 = self {
            return "radau5";
        }
        if let Method::Bdf = self {
            return "bdf";
        }
        if let Method::Ndf = self {
            return "ndf";
        }
        match (self.explicit_tableau(), self.rosenbrock_tableau()) {
            (Some(t), _) => t.name,
            (None, Some(r)) => r.name,
            (None, None) => panic!("every method has an explicit or a Rosenbrock tableau"),
        }
    }

    /// One line for listings.
    pub const fn description(self) -> &'static str {
        match self {
            Method::Auto => {
                "automatic: Tsit5, switching to Rodas5P when stiffness is detected and back (CLI default)"
            }
            Method::Tsit5 => "Tsitouras 5(4), FSAL, 4th-order free interpolant (library default)",
            Method::Dp5 => "Dormand-Prince 5(4), FSAL, 4th-order dense output",
            Method::Dop853 => "Dormand-Prince 8(5,3) (Hairer's DOP853), 7th-order dense output",
            Method::Vern7 => "Verner 7(6) most efficient pair, 6th-order lazy interpolant (as published)",
            Method::Vern9 => "Verner 9(8) most efficient pair, 9th-order lazy interpolant",
            Method::Bs3 => "Bogacki-Shampine 3(2), FSAL, 3rd-order Hermite dense output",
            Method::Rk4 => "classical Runge-Kutta 4, fixed step (needs dt)",
            Method::Euler => "forward Euler, fixed step (needs dt)",
            Method::Rodas5P => {
                "stiff: Rosenbrock 5(4) (Steinebach), stiffly accurate, DAEs, 4th-order dense output"
            }
            Method::Rodas4 => {
                "stiff: Rosenbrock 4(3) (Hairer's RODAS), stiffly accurate, DAEs, 3rd-order dense output"
            }
            Method::Rosenbrock23 => {
                "stiff: Rosenbrock W-method 2(3) (MATLAB ode23s), L-stable, 2nd-order dense output"
            }
            Method::Radau5 => {
                "stiff: Radau IIA 5 (Hairer's RADAU5), implicit, L-stable, DAEs, 3rd-order dense output"
            }
            Method::Bdf => {
                "stiff: variable-order (1-5) variable-step BDF (ode15s/CVODE style), modified Newton, DAEs, dense output"
            }
            Method::Ndf => {
                "stiff: variable-order (1-5) NDF (ode15s, SciPy BDF), modified Newton, DAEs, dense output"
            }
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
#[error("unknown method '{name}' (known: tsit5, dp5, dop853, vern7, vern9, bs3, rk4, euler, rodas5p, rodas4, rosenbrock23, radau5, bdf, ndf, auto)")]
pub struct UnknownMethod {
    pub name: String,
}

impl FromStr for Method {
    type Err = UnknownMethod;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.to_ascii_lowercase();
        let mut known = Method::ALL
            .into_iter()
            .chain(Method::STIFF)
            .chain(Method::MULTISTEP);
        if let Some(m) = known.find(|m| m.name() == lower) {
            return Ok(m);
        }
        match lower.as_str() {
            "auto" => Ok(Method::Auto),
            "dopri5" | "rk45" => Ok(Method::Dp5),
            "rodas" => Ok(Method::Rodas4),
            "ode23s" => Ok(Method::Rosenbrock23),
            "ode15s" => Ok(Method::Ndf),
            _ => Err(UnknownMethod {
                name: s.to_string(),
            }),
        }
    }
}
