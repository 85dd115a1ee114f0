//! Classic nonlinear least-squares test problems with analytic Jacobians, from
//! J. J. Moré, B. S. Garbow and K. E. Hillstrom, "Testing unconstrained optimization software",
//! ACM TOMS 7 (1981) 17–41 (numbers below are theirs; their `f` is `‖r‖²`, twice our cost).
//!
//! | struct | MGH # | n, m | start | minimum `‖r‖²` |
//! |---|---|---|---|---|
//! | [`Rosenbrock`] | 1 | 2, 2 | (−1.2, 1) | 0 at (1, 1) |
//! | [`PowellBadlyScaled`] | 3 | 2, 2 | (0, 1) | 0 at (1.098…e−5, 9.106…) |
//! | [`BrownBadlyScaled`] | 4 | 2, 3 | (1, 1) | 0 at (1e6, 2e−6) |
//! | [`Beale`] | 5 | 2, 3 | (1, 1) | 0 at (3, 0.5) |
//! | [`HelicalValley`] | 7 | 3, 3 | (−1, 0, 0) | 0 at (1, 0, 0) |
//! | [`Bard`] | 8 | 3, 15 | (1, 1, 1) | 8.21487…e−3 |
//! | [`Meyer`] | 10 | 3, 16 | (0.02, 4000, 250) | 87.9458… |
//! | [`Box3d`] | 12 | 3, 10 | (0, 10, 20) | 0 at (1, 10, 1) |
//! | [`PowellSingular`] | 13 | 4, 4 | (3, −1, 0, 1) | 0 at 0 (singular Jacobian there) |

#![allow(clippy::needless_range_loop)] // the formulas are written as in the paper

use faer::MatMut;

use super::LeastSquares;
use crate::InverseError;

macro_rules! problem {
    ($name:ident, $n:expr, $m:expr, |$x:ident, $r:ident| $res:block, |$xj:ident, $j:ident| $jac:block) => {
        impl LeastSquares for $name {
            fn n_params(&self) -> usize {
                $n
            }
            fn n_residuals(&self) -> usize {
                $m
            }
            fn residuals(&mut self, $x: &[f64], $r: &mut [f64]) -> Result<(), InverseError> {
                $res;
                Ok(())
            }
            fn jacobian(
                &mut self,
                x: &[f64],
                r: &mut [f64],
                mut $j: MatMut<'_, f64>,
            ) -> Result<(), InverseError> {
                self.residuals(x, r)?;
                let $xj = x;
                $jac;
                Ok(())
            }
        }
    };
}

/// MGH 1.
#[derive(Debug, Clone, Copy, Default)]
pub struct Rosenbrock;
problem!(
    Rosenbrock,
    2,
    2,
    |x, r| {
        r[0] = 10.0 * (x[1] - x[0] * x[0]);
        r[1] = 1.0 - x[0];
    },
    |x, j| {
        j[(0, 0)] = -20.0 * x[0];
        j[(0, 1)] = 10.0;
        j[(1, 0)] = -1.0;
        j[(1, 1)] = 0.0;
    }
);

/// MGH 3.
#[derive(Debug, Clone, Copy, Default)]
pub struct PowellBadlyScaled;
problem!(
    PowellBadlyScaled,
    2,
    2,
    |x, r| {
        r[0] = 1e4 * x[0] * x[1] - 1.0;
        r[1] = (-x[0]).exp() + (-x[1]).exp() - 1.0001;
    },
    |x, j| {
        j[(0, 0)] = 1e4 * x[1];
        j[(0, 1)] = 1e4 * x[0];
        j[(1, 0)] = -(-x[0]).exp();
        j[(1, 1)] = -(-x[1]).exp();
    }
);

/// MGH 4.
#[derive(Debug, Clone, Copy, Default)]
pub struct BrownBadlyScaled;
problem!(
    BrownBadlyScaled,
    2,
    3,
    |x, r| {
        r[0] = x[0] - 1e6;
        r[1] = x[1] - 2e-6;
        r[2] = x[0] * x[1] - 2.0;
    },
    |x, j| {
        j[(0, 0)] = 1.0;
        j[(0, 1)] = 0.0;
        j[(1, 0)] = 0.0;
        j[(1, 1)] = 1.0;
        j[(2, 0)] = x[1];
        j[(2, 1)] = x[0];
    }
);

/// MGH 5.
#[derive(Debug, Clone, Copy, Default)]
pub struct Beale;
const BEALE_Y: [f64; 3] = [1.5, 2.25, 2.625];
problem!(
    Beale,
    2,
    3,
    |x, r| {
        for i in 0..3 {
            r[i] = BEALE_Y[i] - x[0] * (1.0 - x[1].powi(i as i32 + 1));
        }
    },
    |x, j| {
        for i in 0..3 {
            let k = i as i32 + 1;
            j[(i, 0)] = -(1.0 - x[1].powi(k));
            j[(i, 1)] = x[0] * k as f64 * x[1].powi(k - 1);
        }
    }
);

/// MGH 7.
#[derive(Debug, Clone, Copy, Default)]
pub struct HelicalValley;
fn theta(x1: f64, x2: f64) -> f64 {
    let t = (x2 / x1).atan() / (2.0 * std::f64::consts::PI);
    if x1 < 0.0 {
        t + 0.5
    } else {
        t
    }
}
problem!(
    HelicalValley,
    3,
    3,
    |x, r| {
        r[0] = 10.0 * (x[2] - 10.0 * theta(x[0], x[1]));
        r[1] = 10.0 * ((x[0] * x[0] + x[1] * x[1]).sqrt() - 1.0);
        r[2] = x[2];
    },
    |x, j| {
        let s = x[0] * x[0] + x[1] * x[1];
        let tp = 1.0 / (2.0 * std::f64::consts::PI * s);
        j[(0, 0)] = 100.0 * tp * x[1];
        j[(0, 1)] = -100.0 * tp * x[0];
        j[(0, 2)] = 10.0;
        j[(1, 0)] = 10.0 * x[0] / s.sqrt();
        j[(1, 1)] = 10.0 * x[1] / s.sqrt();
        j[(1, 2)] = 0.0;
        j[(2, 0)] = 0.0;
        j[(2, 1)] = 0.0;
        j[(2, 2)] = 1.0;
    }
);

/// MGH 8.
#[derive(Debug, Clone, Copy, Default)]
pub struct Bard;
const BARD_Y: [f64; 15] = [
    0.14, 0.18, 0.22, 0.25, 0.29, 0.32, 0.35, 0.39, 0.37, 0.58, 0.73, 0.96, 1.34, 2.10, 4.39,
];
problem!(
    Bard,
    3,
    15,
    |x, r| {
        for i in 0..15 {
            let (u, v) = ((i + 1) as f64, (15 - i) as f64);
            let w = u.min(v);
            r[i] = BARD_Y[i] - (x[0] + u / (v * x[1] + w * x[2]));
        }
    },
    |x, j| {
        for i in 0..15 {
            let (u, v) = ((i + 1) as f64, (15 - i) as f64);
            let w = u.min(v);
            let den = v * x[1] + w * x[2];
            j[(i, 0)] = -1.0;
            j[(i, 1)] = u * v / (den * den);
            j[(i, 2)] = u * w / (den * den);
        }
    }
);

/// MGH 10.
#[derive(Debug, Clone, Copy, Default)]
pub struct Meyer;
const MEYER_Y: [f64; 16] = [
    34780.0, 28610.0, 23650.0, 19630.0, 16370.0, 13720.0, 11540.0, 9744.0, 8261.0, 7030.0, 6005.0,
    5147.0, 4427.0, 3820.0, 3307.0, 2872.0,
];
problem!(
    Meyer,
    3,
    16,
    |x, r| {
        for i in 0..16 {
            let t = 45.0 + 5.0 * (i + 1) as f64;
            r[i] = x[0] * (x[1] / (t + x[2])).exp() - MEYER_Y[i];
        }
    },
    |x, j| {
        for i in 0..16 {
            let t = 45.0 + 5.0 * (i + 1) as f64;
            let d = t + x[2];
            let e = (x[1] / d).exp();
            j[(i, 0)] = e;
            j[(i, 1)] = x[0] * e / d;
            j[(i, 2)] = -x[0] * e * x[1] / (d * d);
        }
    }
);

/// MGH 12 with `m = 10`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Box3d;
problem!(
    Box3d,
    3,
    10,
    |x, r| {
        for i in 0..10 {
            let t = 0.1 * (i + 1) as f64;
            r[i] = (-t * x[0]).exp() - (-t * x[1]).exp() - x[2] * ((-t).exp() - (-10.0 * t).exp());
        }
    },
    |x, j| {
        for i in 0..10 {
            let t = 0.1 * (i + 1) as f64;
            j[(i, 0)] = -t * (-t * x[0]).exp();
            j[(i, 1)] = t * (-t * x[1]).exp();
            j[(i, 2)] = -((-t).exp() - (-10.0 * t).exp());
        }
    }
);

/// MGH 13.
#[derive(Debug, Clone, Copy, Default)]
pub struct PowellSingular;
problem!(
    PowellSingular,
    4,
    4,
    |x, r| {
        r[0] = x[0] + 10.0 * x[1];
        r[1] = 5f64.sqrt() * (x[2] - x[3]);
        r[2] = (x[1] - 2.0 * x[2]).powi(2);
        r[3] = 10f64.sqrt() * (x[0] - x[3]).powi(2);
    },
    |x, j| {
        for a in 0..4 {
            for b in 0..4 {
                j[(a, b)] = 0.0;
            }
        }
        j[(0, 0)] = 1.0;
        j[(0, 1)] = 10.0;
        j[(1, 2)] = 5f64.sqrt();
        j[(1, 3)] = -(5f64.sqrt());
        let d = x[1] - 2.0 * x[2];
        j[(2, 1)] = 2.0 * d;
        j[(2, 2)] = -4.0 * d;
        let e = x[0] - x[3];
        j[(3, 0)] = 2.0 * 10f64.sqrt() * e;
        j[(3, 3)] = -2.0 * 10f64.sqrt() * e;
    }
);
