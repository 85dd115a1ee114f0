//! The classical Runge–Kutta method of order 4 (Kutta 1901). Fixed step.
//!
//! Dense output: the third-order continuous extension of Hairer, Nørsett & Wanner,
//! *Solving ODEs I*, §II.6: `b1(θ) = θ − 3θ²/2 + 2θ³/3`, `b2(θ) = b3(θ) = θ² − 2θ³/3`,
//! `b4(θ) = −θ²/2 + 2θ³/3`.

use crate::q;
use crate::tableau::{ButcherTableau, DenseOutput};

pub const TABLEAU: ButcherTableau = ButcherTableau {
    name: "rk4",
    order: 4,
    embedded_order: 0,
    error_exponent: 0,
    pi_gains: None,
    fsal: false,
    c: &[q!(0), q!(1 / 2), q!(1 / 2), q!(1)],
    a: &[
        &[],
        &[q!(1 / 2)],
        &[q!(0), q!(1 / 2)],
        &[q!(0), q!(0), q!(1)],
    ],
    b: &[q!(1 / 6), q!(1 / 3), q!(1 / 3), q!(1 / 6)],
    e: &[],
    e3: &[],
    dense: DenseOutput {
        order: 3,
        extra_c: &[],
        extra_a: &[],
        bi: &[
            &[q!(1), q!(-3 / 2), q!(2 / 3)],
            &[q!(0), q!(1), q!(-2 / 3)],
            &[q!(0), q!(1), q!(-2 / 3)],
            &[q!(0), q!(-1 / 2), q!(2 / 3)],
        ],
    },
};
