//! Rodas5P: Steinebach's 8-stage stiffly accurate Rosenbrock method of order 5(4) with a
//! 4th-order stiffly accurate dense output, the default stiff method.
//!
//! G. Steinebach, "Construction of Rosenbrock–Wanner method Rodas5P and numerical benchmarks
//! within the Julia Differential Equations package", *BIT Numer. Math.* 63, 27 (2023). It keeps
//! the structure of Di Marzo's Rodas5 (Hairer & Wanner II, §VI.4: `α_6 = α_7 = α_8 = 1`, stages 7
//! and 8 stiffly accurate, `y1` the argument of a ninth stage, the embedded solution the
//! argument of stage 8) with coefficients re-optimised for the order conditions of
//! index-1 DAEs, Prothero–Robinson convergence and a better dense output.
//!
//! Coefficients: the transformed `a_ij`, `c_ij`, `α_i`, `γ_i` and dense-output rows as printed
//! (about 17 significant digits, i.e. the paper's double-precision values) in OrdinaryDiffEq.jl,
//! `lib/OrdinaryDiffEqRosenbrock/src/rosenbrock_tableaus.jl`, `Rodas5PTableau`; the stiff
//! structure gives `a_7j`, `a_8j`, `m` and `e` exactly.

// Published decimals carry more digits than an f64 holds; the exact text is kept for the tests.
#![allow(clippy::excessive_precision)]

use super::RosenbrockTableau;
use crate::q;

pub const TABLEAU: RosenbrockTableau = RosenbrockTableau {
    name: "rodas5p",
    order: 5,
    embedded_order: 4,
    error_exponent: 5,
    gamma: q!(0.21193756319429014),
    a: &[
        &[],
        &[q!(3.0)],
        &[q!(2.849394379747939), q!(0.45842242204463923)],
        &[
            q!(-6.954028509809101),
            q!(2.489845061869568),
            q!(-10.358996098473584),
        ],
        &[
            q!(2.8029986275628964),
            q!(0.5072464736228206),
            q!(-0.3988312541770524),
            q!(-0.04721187230404641),
        ],
        &[
            q!(-7.502846399306121),
            q!(2.561846144803919),
            q!(-11.627539656261098),
            q!(-0.18268767659942256),
            q!(0.030198172008377946),
        ],
        &[
            q!(-7.502846399306121),
            q!(2.561846144803919),
            q!(-11.627539656261098),
            q!(-0.18268767659942256),
            q!(0.030198172008377946),
            q!(1),
        ],
        &[
            q!(-7.502846399306121),
            q!(2.561846144803919),
            q!(-11.627539656261098),
            q!(-0.18268767659942256),
            q!(0.030198172008377946),
            q!(1),
            q!(1),
        ],
    ],
    c: &[
        &[],
        &[q!(-14.155112264123755)],
        &[q!(-17.97296035885952), q!(-2.859693295451294)],
        &[
            q!(147.12150275711716),
            q!(-1.41221402718213),
            q!(71.68940251302358),
        ],
        &[
            q!(165.43517024871676),
            q!(-0.4592823456491126),
            q!(42.90938336958603),
            q!(-5.961986721573306),
        ],
        &[
            q!(24.854864614690072),
            q!(-3.0009227002832186),
            q!(47.4931110020768),
            q!(5.5814197821558125),
            q!(-0.6610691825249471),
        ],
        &[
            q!(30.91273214028599),
            q!(-3.1208243349937974),
            q!(77.79954646070892),
            q!(34.28646028294783),
            q!(-19.097331116725623),
            q!(-28.087943162872662),
        ],
        &[
            q!(37.80277123390563),
            q!(-3.2571969029072276),
            q!(112.26918849496327),
            q!(66.9347231244047),
            q!(-40.06618937091002),
            q!(-54.66780262877968),
            q!(-9.48861652309627),
        ],
    ],
    alpha: &[
        q!(0),
        q!(0.6358126895828704),
        q!(0.4095798393397535),
        q!(0.9769306725060716),
        q!(0.4288403609558664),
        q!(1),
        q!(1),
        q!(1),
    ],
    gamma_i: &[
        q!(0.21193756319429014),
        q!(-0.42387512638858027),
        q!(-0.3384627126235924),
        q!(1.8046452872882734),
        q!(2.325825639765069),
        q!(0),
        q!(0),
        q!(0),
    ],
    m: &[
        q!(-7.502846399306121),
        q!(2.561846144803919),
        q!(-11.627539656261098),
        q!(-0.18268767659942256),
        q!(0.030198172008377946),
        q!(1),
        q!(1),
        q!(1),
    ],
    e: &[q!(0), q!(0), q!(0), q!(0), q!(0), q!(0), q!(0), q!(1)],
    fsal: false,
    dense_order: 4,
    dense: &[
        &[
            q!(25.948786856663858),
            q!(-2.5579724845846235),
            q!(10.433815404888879),
            q!(-2.3679251022685204),
            q!(0.524948541321073),
            q!(1.1241088310450404),
            q!(0.4272876194431874),
            q!(-0.17202221070155493),
        ],
        &[
            q!(-9.91568850695171),
            q!(-0.9689944594115154),
            q!(3.0438037242978453),
            q!(-24.495224566215796),
            q!(20.176138334709044),
            q!(15.98066361424651),
            q!(-6.789040303419874),
            q!(-6.710236069923372),
        ],
        &[
            q!(11.419903575922262),
            q!(2.8879645146136994),
            q!(72.92137995996029),
            q!(80.12511834622643),
            q!(-52.072871366152654),
            q!(-59.78993625266729),
            q!(-0.15582684282751913),
            q!(4.883087185713722),
        ],
    ],
};
