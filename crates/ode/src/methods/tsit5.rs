//! Tsitouras 5(4) pair, FSAL (7 stages, the last is `f(t + h, y1)`).
//!
//! Ch. Tsitouras, "Runge–Kutta pairs of order 5(4) satisfying only the first column
//! simplifying assumption", *Comput. Math. Appl.* 62 (2) (2011) 770–775.
//!
//! Coefficients are the paper's decimals (about 16 significant digits), copied as printed:
//! `c`, `a_ij` for `j ≥ 2`, `b`, and the error weights. The paper gives the first column through
//! the row-sum condition, `a_i1 = c_i − Σ_{j≥2} a_ij`; those entries are the exact decimal row sums
//! of the printed digits. The paper's error column lists `b_i − b̂_i` for `i ≤ 6`; its seventh entry
//! is printed as `1/66`, which is `b̂7` itself, so `e7 = b7 − b̂7 = −1/66` (the sign that makes
//! `Σ e_i = 0`). With this `e`, `h Σ e_i k_i` is the fifth-order minus the fourth-order solution.
//!
//! Dense output (order 4): the paper's free interpolant, printed in factored form, e.g.
//! `b1(θ) = −1.0530884977290216 θ (θ − 1.3299890189751412)(θ² − 1.4364028541716351 θ +
//! 0.7139816917074209)`; the polynomial coefficients below are the exact expansions of the printed
//! factors. Because the printed digits are truncated, the order conditions hold to about 1e-14
//! (see `tests/order_conditions.rs`), not exactly.

// Published decimals carry more digits than an f64 holds; the exact text is kept for the tests.
#![allow(clippy::excessive_precision)]

use crate::q;
use crate::tableau::{ButcherTableau, DenseOutput};

pub const TABLEAU: ButcherTableau = ButcherTableau {
    name: "tsit5",
    order: 5,
    embedded_order: 4,
    error_exponent: 5,
    pi_gains: None,
    fsal: true,
    c: &[
        q!(0),
        q!(0.161),
        q!(0.327),
        q!(0.9),
        q!(0.9800255409045097),
        q!(1),
        q!(1),
    ],
    a: &[
        &[],
        &[q!(0.161)],
        &[q!(-0.008480655492357), q!(0.3354806554923570)],
        &[
            q!(2.897153057105494),
            q!(-6.359448489975075),
            q!(4.362295432869581),
        ],
        &[
            q!(5.32586482843925895),
            q!(-11.74888356406283),
            q!(7.495539342889836),
            q!(-0.09249506636175525),
        ],
        &[
            q!(5.86145544294642038),
            q!(-12.92096931784711),
            q!(8.159367898576159),
            q!(-0.07158497328140100),
            q!(-0.02826905039406838),
        ],
        &[
            q!(0.09646076681806523),
            q!(0.01),
            q!(0.4798896504144996),
            q!(1.379008574103742),
            q!(-3.290069515436081),
            q!(2.324710524099774),
        ],
    ],
    b: &[
        q!(0.09646076681806523),
        q!(0.01),
        q!(0.4798896504144996),
        q!(1.379008574103742),
        q!(-3.290069515436081),
        q!(2.324710524099774),
        q!(0),
    ],
    e: &[
        q!(0.001780011052226),
        q!(0.000816434459657),
        q!(-0.007880878010262),
        q!(0.144711007173263),
        q!(-0.582357165452555),
        q!(0.458082105929187),
        q!(-1 / 66),
    ],
    e3: &[],
    dense: DenseOutput {
        order: 4,
        extra_c: &[],
        extra_a: &[],
        bi: &[
            &[
                q!(0.999999999999999974283372471559910888475488471328),
                q!(-2.763706197274825911336735930481400260916070804192),
                q!(2.91325546182191274375068099306808),
                q!(-1.0530884977290216),
            ],
            &[
                q!(0),
                q!(0.13169999999999999727),
                q!(-0.22339999999999999818),
                q!(0.1017),
            ],
            &[
                q!(0),
                q!(3.93029623689475152850687446709813398),
                q!(-5.94103387213150473470249202589458001),
                q!(2.490627285651252793),
            ],
            &[
                q!(0),
                q!(-12.411077166933676983734381540685453484102414134010752),
                q!(30.3381886302823215981729903691836576),
                q!(-16.54810288924490272),
            ],
            &[
                q!(0),
                q!(37.50931341651103919496903965334519631242339792120440212),
                q!(-88.1789048947664011014276693541209817),
                q!(47.37952196281928122),
            ],
            &[
                q!(0),
                q!(-27.896526289197287805948263144598643896),
                q!(65.09189467479367152629021928716553658),
                q!(-34.87065786149660974),
            ],
            &[q!(0), q!(1.5), q!(-4), q!(2.5)],
        ],
    },
};
