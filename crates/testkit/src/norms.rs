//! Convenience norms for comparing a computed state with a reference.
//!
//! All functions panic if the slices have different lengths (a test bug, not a data condition).

fn check_len(a: &[f64], b: &[f64]) {
    assert_eq!(
        a.len(),
        b.len(),
        "compared vectors differ in length ({} vs {})",
        a.len(),
        b.len()
    );
}

/// `max_i |a_i|` (0 for an empty slice; NaN if any entry is NaN).
pub fn max_abs(a: &[f64]) -> f64 {
    a.iter().fold(0.0, |m, &v| nan_max(m, v.abs()))
}

/// `max_i |a_i − b_i|`: the absolute error in the maximum norm. NaN propagates.
pub fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
    check_len(a, b);
    a.iter()
        .zip(b)
        .fold(0.0, |m, (x, y)| nan_max(m, (x - y).abs()))
}

/// Normwise relative error `max_i |a_i − r_i| / max_i |r_i|` of `a` against the reference `r`.
///
/// Robust when single components of `r` pass through zero. If `r` is identically zero this is the
/// absolute error.
pub fn rel_inf_diff(a: &[f64], r: &[f64]) -> f64 {
    let scale = max_abs(r);
    let d = max_abs_diff(a, r);
    if scale > 0.0 {
        d / scale
    } else {
        d
    }
}

/// Componentwise relative error `max_i |a_i − r_i| / max(|r_i|, floor)` of `a` against the
/// reference `r`. `floor > 0` keeps components near zero from dominating (use the absolute
/// tolerance of the comparison).
pub fn max_rel_diff(a: &[f64], r: &[f64], floor: f64) -> f64 {
    check_len(a, r);
    assert!(floor > 0.0, "floor must be positive, got {floor}");
    a.iter().zip(r).fold(0.0, |m, (x, y)| {
        nan_max(m, (x - y).abs() / y.abs().max(floor))
    })
}

/// Root-mean-square difference `sqrt(Σ (a_i − b_i)² / n)` (0 for empty slices).
pub fn rms_diff(a: &[f64], b: &[f64]) -> f64 {
    check_len(a, b);
    if a.is_empty() {
        return 0.0;
    }
    let s: f64 = a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum();
    (s / a.len() as f64).sqrt()
}

/// `max` that propagates NaN (`f64::max` silently drops it, which would hide a blown-up solve).
fn nan_max(m: f64, v: f64) -> f64 {
    if v.is_nan() || m.is_nan() {
        f64::NAN
    } else {
        m.max(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn norms() {
        let a = [1.0, -2.0, 3.5];
        let b = [1.5, -2.0, 3.0];
        assert_eq!(max_abs(&a), 3.5);
        assert_eq!(max_abs(&[]), 0.0);
        assert_eq!(max_abs_diff(&a, &b), 0.5);
        assert_eq!(rel_inf_diff(&a, &b), 0.5 / 3.0);
        assert_eq!(rel_inf_diff(&[1e-3], &[0.0]), 1e-3);
        assert_eq!(max_rel_diff(&a, &b, 1e-12), 0.5 / 1.5);
        assert_eq!(max_rel_diff(&[1e-9], &[0.0], 1e-6), 1e-3);
        assert!((rms_diff(&a, &b) - (0.5f64 / 3.0).sqrt()).abs() < 1e-15);
        assert_eq!(rms_diff(&[], &[]), 0.0);
    }

    #[test]
    fn nan_is_not_hidden() {
        assert!(max_abs_diff(&[f64::NAN, 1.0], &[0.0, 0.0]).is_nan());
        assert!(max_abs_diff(&[1.0, f64::NAN], &[0.0, 0.0]).is_nan());
        assert!(max_abs(&[f64::NAN]).is_nan());
        assert!(max_rel_diff(&[f64::NAN], &[1.0], 1.0).is_nan());
    }

    #[test]
    #[should_panic(expected = "differ in length")]
    fn length_mismatch_panics() {
        max_abs_diff(&[1.0], &[1.0, 2.0]);
    }
}
