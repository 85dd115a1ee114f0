//! PLACEHOLDER: to be replaced by the real tableau. Uses RK4's coefficients so the crate builds.

use crate::tableau::ButcherTableau;

pub const TABLEAU: ButcherTableau = ButcherTableau {
    name: "dop853",
    ..crate::methods::rk4::TABLEAU
};
