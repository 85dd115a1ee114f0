//! Dormand–Prince 5(4) pair (DOPRI5), FSAL (7 stages, the last is `f(t + h, y1)`).
//!
//! J. R. Dormand and P. J. Prince, "A family of embedded Runge–Kutta formulae",
//! *J. Comput. Appl. Math.* 6 (1) (1980) 19–26; coefficients as in E. Hairer, S. P. Nørsett and
//! G. Wanner, *Solving Ordinary Differential Equations I*, 2nd ed., Springer (1993) (code DOPRI5).
//! The fifth-order solution is propagated; `e = b − b̂` with the fourth-order weights
//! `b̂ = (5179/57600, 0, 7571/16695, 393/640, −92097/339200, 187/2100, 1/40)`.
//!
//! Dense output (order 4): the continuous extension of Hairer's DOPRI5 code (routine `CONTD5`,
//! coefficients `d1 … d7`; Hairer, Nørsett & Wanner §II.6, after L. F. Shampine, "Some practical
//! Runge–Kutta formulas", *Math. Comp.* 46 (1986) 135–150), i.e.
//! `y0 + θ(Δ + (1−θ)(h k1 − Δ + θ(2Δ − h(k1 + k7) + (1−θ) h Σ d_i k_i)))` with `Δ = y1 − y0`,
//! expanded exactly (rational arithmetic) into the polynomials `b_i(θ)` below, of degree 4. They
//! coincide with the matrix `P` of SciPy's `RK45`.

use crate::q;
use crate::tableau::{ButcherTableau, DenseOutput};

pub const TABLEAU: ButcherTableau = ButcherTableau {
    name: "dp5",
    order: 5,
    embedded_order: 4,
    error_exponent: 5,
    // Hairer's DOPRI5: β = 0.04, α = 1/5 − 0.75β (HNW I, §II.4, and the code's defaults;
    // OrdinaryDiffEq.jl's DP5 uses the same).
    pi_gains: Some((0.17, 0.04)),
    fsal: true,
    c: &[
        q!(0),
        q!(1 / 5),
        q!(3 / 10),
        q!(4 / 5),
        q!(8 / 9),
        q!(1),
        q!(1),
    ],
    a: &[
        &[],
        &[q!(1 / 5)],
        &[q!(3 / 40), q!(9 / 40)],
        &[q!(44 / 45), q!(-56 / 15), q!(32 / 9)],
        &[
            q!(19372 / 6561),
            q!(-25360 / 2187),
            q!(64448 / 6561),
            q!(-212 / 729),
        ],
        &[
            q!(9017 / 3168),
            q!(-355 / 33),
            q!(46732 / 5247),
            q!(49 / 176),
            q!(-5103 / 18656),
        ],
        &[
            q!(35 / 384),
            q!(0),
            q!(500 / 1113),
            q!(125 / 192),
            q!(-2187 / 6784),
            q!(11 / 84),
        ],
    ],
    b: &[
        q!(35 / 384),
        q!(0),
        q!(500 / 1113),
        q!(125 / 192),
        q!(-2187 / 6784),
        q!(11 / 84),
        q!(0),
    ],
    e: &[
        q!(71 / 57600),
        q!(0),
        q!(-71 / 16695),
        q!(71 / 1920),
        q!(-17253 / 339200),
        q!(22 / 525),
        q!(-1 / 40),
    ],
    e3: &[],
    dense: DenseOutput {
        order: 4,
        extra_c: &[],
        extra_a: &[],
        bi: &[
            &[
                q!(1),
                q!(-8048581381.0 / 2820520608.0),
                q!(8663915743.0 / 2820520608.0),
                q!(-12715105075.0 / 11282082432.0),
            ],
            &[],
            &[
                q!(0),
                q!(131558114200.0 / 32700410799.0),
                q!(-68118460800.0 / 10900136933.0),
                q!(87487479700.0 / 32700410799.0),
            ],
            &[
                q!(0),
                q!(-1754552775 / 470086768),
                q!(14199869525.0 / 1410260304),
                q!(-10690763975.0 / 1880347072),
            ],
            &[
                q!(0),
                q!(127303824393.0 / 49829197408.0),
                q!(-318862633887.0 / 49829197408.0),
                q!(701980252875.0 / 199316789632.0),
            ],
            &[
                q!(0),
                q!(-282668133 / 205662961),
                q!(2019193451 / 616988883),
                q!(-1453857185 / 822651844),
            ],
            &[
                q!(0),
                q!(40617522 / 29380423),
                q!(-110615467 / 29380423),
                q!(69997945 / 29380423),
            ],
        ],
    },
};
