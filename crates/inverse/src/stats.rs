//! Quantiles and the Gauss–Newton (Laplace) covariance.
// Published coefficients are kept with all their digits.
#![allow(clippy::excessive_precision)]

use faer::linalg::solvers::DenseSolveCore;
use faer::{Mat, Side};

/// The standard normal quantile `Φ⁻¹(p)`, `0 < p < 1`, to about 1e-15 relative.
///
/// M. J. Wichura, "Algorithm AS 241: The percentage points of the normal distribution", Applied
/// Statistics 37 (1988) 477–484 (PPND16).
pub fn normal_quantile(p: f64) -> f64 {
    if !(p > 0.0 && p < 1.0) {
        return if p == 0.0 {
            f64::NEG_INFINITY
        } else if p == 1.0 {
            f64::INFINITY
        } else {
            f64::NAN
        };
    }
    let q = p - 0.5;
    if q.abs() <= 0.425 {
        let r = 0.180625 - q * q;
        return q
            * (((((((2509.0809287301226727 * r + 33430.575583588128105) * r
                + 67265.770927008700853)
                * r
                + 45921.953931549871457)
                * r
                + 13731.693765509461125)
                * r
                + 1971.5909503065514427)
                * r
                + 133.14166789178437745)
                * r
                + 3.387132872796366608)
            / (((((((5226.495278852545925 * r + 28729.085735721942674) * r
                + 39307.89580009271061)
                * r
                + 21213.794301586595867)
                * r
                + 5394.1960214247511077)
                * r
                + 687.1870074920579083)
                * r
                + 42.313330701600911252)
                * r
                + 1.0);
    }
    let mut r = if q < 0.0 { p } else { 1.0 - p };
    r = (-r.ln()).sqrt();
    let val = if r <= 5.0 {
        let r = r - 1.6;
        (((((((7.7454501427834140764e-4 * r + 0.0227238449892691845833) * r
            + 0.24178072517745061177)
            * r
            + 1.27045825245236838258)
            * r
            + 3.64784832476320460504)
            * r
            + 5.7694972214606914055)
            * r
            + 4.6303378461565452959)
            * r
            + 1.42343711074968357734)
            / (((((((1.05075007164441684324e-9 * r + 5.475938084995344946e-4) * r
                + 0.0151986665636164571966)
                * r
                + 0.14810397642748007459)
                * r
                + 0.68976733498510000455)
                * r
                + 1.6763848301838038494)
                * r
                + 2.05319162663775882187)
                * r
                + 1.0)
    } else {
        let r = r - 5.0;
        (((((((2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r
            + 0.0012426609473880784386)
            * r
            + 0.026532189526576123093)
            * r
            + 0.29656057182850489123)
            * r
            + 1.7848265399172913358)
            * r
            + 5.4637849111641143699)
            * r
            + 6.6579046435011037772)
            / (((((((2.04426310338993978564e-15 * r + 1.4215117583164458887e-7) * r
                + 1.8463183175100546818e-5)
                * r
                + 7.868691311456132591e-4)
                * r
                + 0.0148753612908506148525)
                * r
                + 0.13692988092273580531)
                * r
                + 0.59983220655588793769)
                * r
                + 1.0)
    };
    if q < 0.0 {
        -val
    } else {
        val
    }
}

/// Student-t quantile `t_ν⁻¹(p)` by G. W. Hill, "Algorithm 396: Student's t-quantiles", Comm.
/// ACM 13 (1970) 619–620 (relative error below 1e-6 for ν ≥ 1; exact formulas for ν = 1, 2).
pub fn student_t_quantile(p: f64, nu: f64) -> f64 {
    if !(p > 0.0 && p < 1.0) || nu.is_nan() || nu <= 0.0 {
        return f64::NAN;
    }
    if nu.is_infinite() || nu > 1e7 {
        return normal_quantile(p);
    }
    // two-sided probability of |T| > t
    let (two, sign) = if p < 0.5 {
        (2.0 * p, -1.0)
    } else {
        (2.0 * (1.0 - p), 1.0)
    };
    let t = if (nu - 1.0).abs() < 1e-12 {
        (std::f64::consts::FRAC_PI_2 * two).cos() / (std::f64::consts::FRAC_PI_2 * two).sin()
    } else if (nu - 2.0).abs() < 1e-12 {
        (2.0 / (two * (2.0 - two)) - 2.0).sqrt()
    } else {
        let a = 1.0 / (nu - 0.5);
        let b = 48.0 / (a * a);
        let mut c = ((20700.0 * a / b - 98.0) * a - 16.0) * a + 96.36;
        let d = ((94.5 / (b + c) - 3.0) / b + 1.0) * (a * std::f64::consts::FRAC_PI_2).sqrt() * nu;
        let mut x = d * two;
        let mut y = x.powf(2.0 / nu);
        if y > 0.05 + a {
            x = normal_quantile(two * 0.5);
            y = x * x;
            if nu < 5.0 {
                c += 0.3 * (nu - 4.5) * (x + 0.6);
            }
            c += (((0.05 * d * x - 5.0) * x - 7.0) * x - 2.0) * x + b;
            y = (((((0.4 * y + 6.3) * y + 36.0) * y + 94.5) / c - y - 3.0) / b + 1.0) * x;
            y = a * y * y;
            y = if y > 0.002 {
                y.exp() - 1.0
            } else {
                0.5 * y * y + y
            };
        } else {
            y = ((1.0 / (((nu + 6.0) / (nu * y) - 0.089 * d - 0.822) * (nu + 2.0) * 3.0)
                + 0.5 / (nu + 4.0))
                * y
                - 1.0)
                * (nu + 1.0)
                / (nu + 2.0)
                + 1.0 / y;
        }
        (nu * y).sqrt()
    };
    sign * t
}

/// `(JᵀJ)⁻¹` by Cholesky; `Err(j)` names a column that makes `JᵀJ` singular (numerically:
/// a Cholesky pivot below `1e-14 ·` its diagonal entry).
pub fn gauss_newton_inverse(jac: &Mat<f64>) -> Result<Mat<f64>, usize> {
    let n = jac.ncols();
    // column scaling so the conditioning test is not fooled by units
    let scale: Vec<f64> = (0..n)
        .map(|j| {
            let s = jac.col(j).iter().map(|v| v * v).sum::<f64>().sqrt();
            if s > 0.0 && s.is_finite() {
                s
            } else {
                0.0
            }
        })
        .collect();
    if let Some(j) = scale.iter().position(|&s| s == 0.0) {
        return Err(j);
    }
    let js = Mat::<f64>::from_fn(jac.nrows(), n, |i, j| jac[(i, j)] / scale[j]);
    let a: Mat<f64> = js.transpose() * &js;
    let llt = a.llt(Side::Lower).map_err(|_| n - 1)?;
    let l = llt.L();
    for j in 0..n {
        let pivot = l[(j, j)] * l[(j, j)];
        if pivot.is_nan() || pivot <= 1e-14 {
            return Err(j);
        }
    }
    let inv = llt.inverse();
    Ok(Mat::from_fn(n, n, |i, j| {
        inv[(i, j)] / (scale[i] * scale[j])
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_match_tables() {
        // Φ⁻¹ values from Abramowitz & Stegun Table 26.5 / R's qnorm
        assert!((normal_quantile(0.975) - 1.959963984540054).abs() < 1e-14);
        assert!((normal_quantile(0.5)).abs() < 1e-16);
        assert!((normal_quantile(1e-10) + 6.361340902404056).abs() < 1e-12);
        // t quantiles from R's qt(0.975, nu)
        for (nu, t) in [
            (1.0, 12.706204736174698),
            (2.0, 4.302652729749464),
            (3.0, 3.182446305284263),
            (5.0, 2.570581835636314),
            (10.0, 2.228138851986273),
            (30.0, 2.042272456301238),
            (200.0, 1.971896224059526),
        ] {
            let q = student_t_quantile(0.975, nu);
            assert!((q - t).abs() < 1e-5 * t, "nu {nu}: {q} vs {t}");
            assert!((student_t_quantile(0.025, nu) + t).abs() < 1e-5 * t);
        }
    }

    #[test]
    fn covariance_of_a_line_fit() {
        // y = a + b t on t = 0..4: (JᵀJ)⁻¹ = [[0.6, -0.2], [-0.2, 0.1]]
        let j = Mat::<f64>::from_fn(5, 2, |i, c| if c == 0 { 1.0 } else { i as f64 });
        let inv = gauss_newton_inverse(&j).unwrap();
        for (a, b) in [(inv[(0, 0)], 0.6), (inv[(0, 1)], -0.2), (inv[(1, 1)], 0.1)] {
            assert!((a - b).abs() < 1e-14, "{a} vs {b}");
        }
        let dup = Mat::<f64>::from_fn(5, 2, |_, _| 1.0);
        assert!(gauss_newton_inverse(&dup).is_err());
    }
}
