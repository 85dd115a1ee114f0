//! Rosenbrock23: the L-stable 2nd-order Rosenbrock W-method of MATLAB's `ode23s` with its
//! 3rd-order error estimator and 2nd-order interpolant, for low accuracy on stiff problems.
//!
//! L. F. Shampine and M. W. Reichelt, "The MATLAB ODE suite", *SIAM J. Sci. Comput.* 18 (1997)
//! 1–22, §3.1: with `d = 1/(2 + √2)`, `e32 = 6 + √2`, `W = I − h d J`,
//!
//! ```text
//!   k1 = W⁻¹(f(t, y) + h d T),               F1 = f(t + h/2, y + h k1/2),
//!   k2 = W⁻¹(F1 − k1) + k1,                  y1 = y + h k2,   F2 = f(t + h, y1),
//!   k3 = W⁻¹(F2 − e32(k2 − F1) − 2(k1 − f(t, y)) + h d T),   err = h (k1 − 2 k2 + k3)/6,
//!   y(t + θh) = y + h (θ(1 − θ) k1 + θ(θ − 2d) k2)/(1 − 2d),
//! ```
//!
//! `T ≈ ∂f/∂t`. Written as a Rosenbrock method (`K_i = h k_i`): `γ = d`, `α_21 = 1/2`,
//! `α_32 = 1`, `γ_21 = −d`, `γ_31 = d(e32 − 2)`, `γ_32 = −d e32`, `b = (0, 1, 0)` (order 2 for
//! any `J`: a W-method), `b̂ = b + (1, −2, 1)/6 = (1, 4, 1)/6` (order 3 with the exact `J`:
//! Simpson's weights; `err` estimates `ŷ1 − y1`, the sign is immaterial to the norm); stage 3 is
//! `f(t + h, y1)` (FSAL). Transformed exactly in `ℚ(√2)` (closed forms below), printed to 40
//! digits: `a_21 = 1 + √2/2`, `a_31 = a_32 = m_1 = m_2 = 2 + √2`, `c_21 = −2 − √2`,
//! `c_31 = −4 − 2√2`, `c_32 = −14 − 8√2`, `γ_i = (d, 0, −d)`, `e = −(1/3 + √2/6, 5/3 + √2,
//! 1/3 + √2/6)`, dense row `(0, −4 − 3√2, 0)`.

// Decimals of quadratic irrationals carry more digits than an f64 holds.
#![allow(clippy::excessive_precision)]

use super::RosenbrockTableau;
use crate::q;

pub const TABLEAU: RosenbrockTableau = RosenbrockTableau {
    name: "rosenbrock23",
    order: 2,
    embedded_order: 3,
    error_exponent: 3,
    gamma: q!(0.2928932188134524755991556378951509607152),
    a: &[
        &[],
        &[q!(1.707106781186547524400844362104849039285)],
        &[
            q!(3.414213562373095048801688724209698078570),
            q!(3.414213562373095048801688724209698078570),
        ],
    ],
    c: &[
        &[],
        &[q!(-3.414213562373095048801688724209698078570)],
        &[
            q!(-6.828427124746190097603377448419396157139),
            q!(-25.31370849898476039041350979367758462856),
        ],
    ],
    alpha: &[q!(0), q!(1 / 2), q!(1)],
    gamma_i: &[
        q!(0.2928932188134524755991556378951509607152),
        q!(0),
        q!(-0.2928932188134524755991556378951509607152),
    ],
    m: &[
        q!(3.414213562373095048801688724209698078570),
        q!(3.414213562373095048801688724209698078570),
        q!(0),
    ],
    e: &[
        q!(-0.5690355937288491748002814540349496797616),
        q!(-3.080880229039761715468355390876364745236),
        q!(-0.5690355937288491748002814540349496797616),
    ],
    fsal: true,
    dense_order: 2,
    dense: &[&[q!(0), q!(-8.242640687119285146405066172629094235709), q!(0)]],
};
