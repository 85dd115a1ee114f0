//! Bogacki–Shampine 3(2) pair, FSAL (4 stages, the last is `f(t + h, y1)`).
//!
//! P. Bogacki and L. F. Shampine, "A 3(2) pair of Runge–Kutta formulas",
//! *Appl. Math. Lett.* 2 (4) (1989) 321–325. The third-order solution is propagated; the
//! embedded second-order weights are `b̂ = (7/24, 1/4, 1/3, 1/8)`, so `e = b − b̂`.
//!
//! Dense output (order 3): the cubic Hermite interpolant through `(y0, k1)` and `(y1, k4)`,
//! written as weights over the four stages (exact because the FSAL stage `k4` is
//! `f(t + h, y1)`): `b1(θ) = θ − 4θ²/3 + 5θ³/9`, `b2(θ) = θ² − 2θ³/3`,
//! `b3(θ) = 4θ²/3 − 8θ³/9`, `b4(θ) = −θ² + θ³`.

use crate::q;
use crate::tableau::{ButcherTableau, DenseOutput};

pub const TABLEAU: ButcherTableau = ButcherTableau {
    name: "bs3",
    order: 3,
    embedded_order: 2,
    error_exponent: 3,
    pi_gains: None,
    fsal: true,
    c: &[q!(0), q!(1 / 2), q!(3 / 4), q!(1)],
    a: &[
        &[],
        &[q!(1 / 2)],
        &[q!(0), q!(3 / 4)],
        &[q!(2 / 9), q!(1 / 3), q!(4 / 9)],
    ],
    b: &[q!(2 / 9), q!(1 / 3), q!(4 / 9), q!(0)],
    e: &[q!(-5 / 72), q!(1 / 12), q!(1 / 9), q!(-1 / 8)],
    e3: &[],
    dense: DenseOutput {
        order: 3,
        extra_c: &[],
        extra_a: &[],
        bi: &[
            &[q!(1), q!(-4 / 3), q!(5 / 9)],
            &[q!(0), q!(1), q!(-2 / 3)],
            &[q!(0), q!(4 / 3), q!(-8 / 9)],
            &[q!(0), q!(-1), q!(1)],
        ],
    },
};
