//! Forward Euler: `y1 = y + h f(t, y)`. Fixed step, order 1, linear interpolation.

use crate::q;
use crate::tableau::{ButcherTableau, DenseOutput};

pub const TABLEAU: ButcherTableau = ButcherTableau {
    name: "euler",
    order: 1,
    embedded_order: 0,
    error_exponent: 0,
    pi_gains: None,
    fsal: false,
    c: &[q!(0)],
    a: &[&[]],
    b: &[q!(1)],
    e: &[],
    e3: &[],
    dense: DenseOutput {
        order: 1,
        extra_c: &[],
        extra_a: &[],
        bi: &[&[q!(1)]],
    },
};
