//! Observed order of convergence from (step size, error) pairs.

/// Errors at or below this level are treated as rounding noise and left out of an order fit:
/// `1000 ε ≈ 2.2e-13`.
///
/// The rule assumes the errors are relative errors, or absolute errors of a solution of size
/// about one; for other scales pass a floor to [`fit_order_detailed`].
pub const ROUNDING_FLOOR: f64 = 1000.0 * f64::EPSILON;

/// Result of a least-squares order fit `log e ≈ log C + p log h`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OrderFit {
    /// The slope `p`: the observed order.
    pub order: f64,
    /// The constant `C` of `e ≈ C h^p`.
    pub constant: f64,
    /// How many points were used (the others were at rounding level).
    pub used: usize,
    /// Coefficient of determination of the fit in log–log space (1 = perfectly straight line;
    /// 1 also when `used == 2`).
    pub r_squared: f64,
}

/// Observed order of convergence: the least-squares slope of `log(error)` against `log(h)`.
///
/// Points whose error is not finite or is at or below [`ROUNDING_FLOOR`] (`≈ 2.2e-13`) are
/// ignored: an error that small is dominated by rounding, not by truncation, and would flatten
/// the slope. (Points with `e = 0` are ignored for the same reason.)
///
/// Panics if the slices differ in length, if a step size is not finite and positive, or if fewer
/// than two points with distinct step sizes remain — a convergence test without data must fail
/// loudly.
pub fn fit_order(steps: &[f64], errors: &[f64]) -> f64 {
    fit_order_detailed(steps, errors, ROUNDING_FLOOR).order
}

/// [`fit_order`] with a chosen rounding floor (errors `<= floor` are ignored), returning the
/// whole fit.
pub fn fit_order_detailed(steps: &[f64], errors: &[f64], floor: f64) -> OrderFit {
    assert_eq!(
        steps.len(),
        errors.len(),
        "fit_order: {} step sizes but {} errors",
        steps.len(),
        errors.len()
    );
    let pts: Vec<(f64, f64)> = steps
        .iter()
        .zip(errors)
        .map(|(&h, &e)| {
            assert!(
                h.is_finite() && h > 0.0,
                "fit_order: step size must be finite and positive, got {h}"
            );
            (h, e)
        })
        .filter(|&(_, e)| e.is_finite() && e > floor)
        .map(|(h, e)| (h.ln(), e.ln()))
        .collect();
    let n = pts.len();
    let mx = pts.iter().map(|p| p.0).sum::<f64>() / n as f64;
    let my = pts.iter().map(|p| p.1).sum::<f64>() / n as f64;
    let sxx: f64 = pts.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let syy: f64 = pts.iter().map(|p| (p.1 - my).powi(2)).sum();
    assert!(
        n >= 2 && sxx > 0.0,
        "fit_order: need at least two points with distinct step sizes and error above the \
         rounding floor {floor:e}; have {n} of {} (errors {errors:?})",
        steps.len()
    );
    let order = sxy / sxx;
    let intercept = my - order * mx;
    let r_squared = if syy > 0.0 {
        (sxy * sxy) / (sxx * syy)
    } else {
        1.0
    };
    OrderFit {
        order,
        constant: intercept.exp(),
        used: n,
        r_squared,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_power_law() {
        let h: Vec<f64> = (0..6).map(|k| 0.2 / 2f64.powi(k)).collect();
        for p in [1.0, 4.0, 5.0, 8.0] {
            let e: Vec<f64> = h.iter().map(|h| 7.0 * h.powf(p)).collect();
            let fit = fit_order_detailed(&h, &e, 0.0);
            assert!((fit.order - p).abs() < 1e-10, "{fit:?}");
            assert!((fit.constant - 7.0).abs() < 1e-8, "{fit:?}");
            assert!((fit.r_squared - 1.0).abs() < 1e-12);
            assert_eq!(fit.used, 6);
        }
    }

    #[test]
    fn rounding_level_points_are_ignored() {
        // order 8 down to 1e-12, then a rounding plateau that would drag the slope down
        let h = [0.4, 0.2, 0.1, 0.05, 0.025, 0.0125];
        let e = [2.6e-4, 1.0e-6, 3.9e-9, 1.5e-11, 2.0e-13, 1.9e-13];
        let fit = fit_order_detailed(&h, &e, ROUNDING_FLOOR);
        assert_eq!(fit.used, 4);
        assert!((fit.order - 8.0).abs() < 0.05, "{fit:?}");
        assert!((fit_order(&h, &e) - fit.order).abs() == 0.0);
        // zero, NaN and infinite errors are skipped too
        let e2 = [2.6e-4, 1.0e-6, f64::NAN, f64::INFINITY, 0.0, 0.0];
        assert!((fit_order(&h, &e2) - 8.0).abs() < 0.05);
    }

    #[test]
    fn order_is_robust_to_noise() {
        let h: Vec<f64> = (0..8).map(|k| 0.1 * 0.7f64.powi(k)).collect();
        let e: Vec<f64> = h
            .iter()
            .enumerate()
            .map(|(i, h)| h.powi(5) * (1.0 + 0.1 * (i as f64 * 2.3).sin()))
            .collect();
        let p = fit_order(&h, &e);
        assert!((p - 5.0).abs() < 0.1, "{p}");
    }

    #[test]
    #[should_panic(expected = "need at least two points")]
    fn too_few_points_panics() {
        fit_order(&[0.1, 0.05], &[1e-3, 1e-16]);
    }

    #[test]
    #[should_panic(expected = "step size must be finite and positive")]
    fn bad_step_panics() {
        fit_order(&[0.1, -0.05], &[1e-3, 1e-4]);
    }
}
