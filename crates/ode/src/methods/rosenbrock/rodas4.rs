//! Rodas4: Hairer & Wanner's 6-stage stiffly accurate Rosenbrock method of order 4(3) (RODAS)
//! with its 3rd-order stiffly accurate dense output.
//!
//! E. Hairer and G. Wanner, *Solving Ordinary Differential Equations II*, 2nd ed., Springer 1996,
//! §VI.4 ("RODAS"): `γ = 1/4`, `α_2 = 0.386`, `α_3 = 0.21`, `α_4 = 0.63`, `α_5 = α_6 = 1`; the
//! embedded 3rd-order solution is the argument of stage 6 and `y1` that of a seventh stage, so
//! both are L-stable and the method applies to index-1 DAEs (`M` singular).
//!
//! Coefficients: Hairer's `rodas.f`, subroutine `ROCOE` with `METH = 1` (16 significant
//! digits, the transformed `a_ij`, `c_ij`, `α_i`, `γ_i` as `A21..`, `C21..`, `C2..`, `D1..`,
//! and the dense-output rows as `D21..D35`); the same digits appear in OrdinaryDiffEq.jl's
//! `Rodas4Tableau`. The stiff structure gives row 6 of `a`, `m` and `e` exactly.

// Hairer's 16-digit decimals are kept as printed, even where they exceed an f64.
#![allow(clippy::excessive_precision)]

use super::RosenbrockTableau;
use crate::q;

pub const TABLEAU: RosenbrockTableau = RosenbrockTableau {
    name: "rodas4",
    order: 4,
    embedded_order: 3,
    error_exponent: 4,
    gamma: q!(0.25),
    a: &[
        &[],
        &[q!(0.1544000000000000e+01)],
        &[q!(0.9466785280815826e+00), q!(0.2557011698983284e+00)],
        &[
            q!(0.3314825187068521e+01),
            q!(0.2896124015972201e+01),
            q!(0.9986419139977817e+00),
        ],
        &[
            q!(0.1221224509226641e+01),
            q!(0.6019134481288629e+01),
            q!(0.1253708332932087e+02),
            q!(-0.6878860361058950e+00),
        ],
        &[
            q!(0.1221224509226641e+01),
            q!(0.6019134481288629e+01),
            q!(0.1253708332932087e+02),
            q!(-0.6878860361058950e+00),
            q!(1),
        ],
    ],
    c: &[
        &[],
        &[q!(-0.5668800000000000e+01)],
        &[q!(-0.2430093356833875e+01), q!(-0.2063599157091915e+00)],
        &[
            q!(-0.1073529058151375e+00),
            q!(-0.9594562251023355e+01),
            q!(-0.2047028614809616e+02),
        ],
        &[
            q!(0.7496443313967647e+01),
            q!(-0.1024680431464352e+02),
            q!(-0.3399990352819905e+02),
            q!(0.1170890893206160e+02),
        ],
        &[
            q!(0.8083246795921522e+01),
            q!(-0.7981132988064893e+01),
            q!(-0.3152159432874371e+02),
            q!(0.1631930543123136e+02),
            q!(-0.6058818238834054e+01),
        ],
    ],
    alpha: &[q!(0), q!(0.386), q!(0.21), q!(0.63), q!(1), q!(1)],
    gamma_i: &[
        q!(0.2500000000000000e+00),
        q!(-0.1043000000000000e+00),
        q!(0.1035000000000000e+00),
        q!(-0.3620000000000023e-01),
        q!(0),
        q!(0),
    ],
    m: &[
        q!(0.1221224509226641e+01),
        q!(0.6019134481288629e+01),
        q!(0.1253708332932087e+02),
        q!(-0.6878860361058950e+00),
        q!(1),
        q!(1),
    ],
    e: &[q!(0), q!(0), q!(0), q!(0), q!(0), q!(1)],
    fsal: false,
    dense_order: 3,
    dense: &[
        &[
            q!(0.1012623508344586e+02),
            q!(-0.7487995877610167e+01),
            q!(-0.3480091861555747e+02),
            q!(-0.7992771707568823e+01),
            q!(0.1025137723295662e+01),
            q!(0),
        ],
        &[
            q!(-0.6762803392801253e+00),
            q!(0.6087714651680015e+01),
            q!(0.1643084320892478e+02),
            q!(0.2476722511418386e+02),
            q!(-0.6594389125716872e+01),
            q!(0),
        ],
    ],
};
