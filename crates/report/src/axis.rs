//! A base-10 logarithmic axis.
//!
//! plotters' own `LogCoord` drops every key point below `f64::EPSILON` (it mistakes them for
//! its zero point), so errors of 1e-16 and smaller lose their labels — exactly the range a
//! work–precision diagram lives in. This axis picks its own labels: powers of ten (thinned
//! when there are many decades), or 1-2-5 / 1..9 multiples when the range is short.

use std::ops::Range;

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::coord::types::RangedCoordf64;

/// Logarithmic axis over `[lo, hi]`, `0 < lo < hi`.
pub(crate) struct Log10Axis {
    lo: f64,
    hi: f64,
    /// Linear axis over `[log10 lo, log10 hi]`.
    lin: RangedCoordf64,
}

impl Log10Axis {
    pub(crate) fn new(range: Range<f64>) -> Self {
        let (lo, hi) = (range.start, range.end);
        Self {
            lo,
            hi,
            lin: (lo.log10()..hi.log10()).into(),
        }
    }

    /// Points `m * 10^d` inside the range, for each multiplier in `mults`, ascending.
    fn multiples(&self, mults: &[f64]) -> Vec<f64> {
        let (l0, l1) = (self.lo.log10(), self.hi.log10());
        let tol = 1e-9 * (l1 - l0).abs().max(1.0);
        let mut out = Vec::new();
        let first = l0.floor() as i32 - 1;
        let last = l1.ceil() as i32 + 1;
        for d in first..=last {
            for &m in mults {
                let v = m * 10f64.powi(d);
                let lv = v.log10();
                if lv >= l0 - tol && lv <= l1 + tol {
                    out.push(v);
                }
            }
        }
        out
    }

    fn decades(&self) -> Vec<f64> {
        self.multiples(&[1.0])
    }
}

fn thin(points: Vec<f64>, max: usize) -> Vec<f64> {
    let max = max.max(1);
    let step = points.len().div_ceil(max).max(1);
    points.into_iter().step_by(step).collect()
}

impl Ranged for Log10Axis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let lv = if *value > 0.0 {
            value.log10()
        } else {
            self.lo.log10() - 1.0
        };
        self.lin.map(&lv, limit)
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        let max = hint.max_num_points();
        if max == 0 {
            return Vec::new();
        }
        let bold_max = hint.bold_points().max(1);
        let decades = self.decades();
        let bold: Vec<f64> = if decades.len() >= 2 {
            let step = decades.len().div_ceil(bold_max).max(1);
            decades.iter().copied().step_by(step).collect()
        } else {
            let one_two_five = self.multiples(&[1.0, 2.0, 5.0]);
            let all: Vec<f64> = self.multiples(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]);
            if one_two_five.len() >= 2 && one_two_five.len() <= bold_max {
                one_two_five
            } else if all.len() >= 2 {
                thin(all, bold_max)
            } else {
                // Less than a factor of two: ordinary linear ticks.
                let lin: RangedCoordf64 = (self.lo..self.hi).into();
                lin.key_points(bold_max)
            }
        };
        if !hint.weight().allow_light_points() {
            return bold;
        }
        // Light grid: every decade when decades are thinned, else the 1..9 multiples.
        let light = if decades.len() >= 2 && bold.len() < decades.len() {
            decades
        } else {
            self.multiples(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0])
        };
        if light.len() <= max && light.len() >= bold.len() {
            light
        } else {
            bold
        }
    }

    fn range(&self) -> Range<f64> {
        self.lo..self.hi
    }
}

/// Label for a log axis: `10⁻⁶`, `2×10⁻⁶`; plain numbers for `1`, `10`, `0.5`, ...
pub(crate) fn fmt_log_tick(v: &f64) -> String {
    let v = *v;
    if v.is_nan() || v <= 0.0 || v.is_infinite() {
        return crate::style::fmt_tick(&v);
    }
    let d = v.log10().floor();
    let mut e = d as i32;
    let mut m = v / 10f64.powi(e);
    // Guard against 9.999… / 10.000… from rounding.
    if (m - 10.0).abs() < 1e-6 {
        m = 1.0;
        e += 1;
    }
    let m_round = m.round();
    if (m - m_round).abs() > 1e-6 * m {
        return crate::style::fmt_tick(&v);
    }
    if (0..=1).contains(&e) && m_round == 1.0 {
        return if e == 0 { "1".into() } else { "10".into() };
    }
    let pow = format!("10{}", superscript(e));
    if m_round == 1.0 {
        pow
    } else {
        format!("{}×{pow}", m_round as i64)
    }
}

fn superscript(e: i32) -> String {
    e.to_string()
        .chars()
        .map(|c| match c {
            '-' => '⁻',
            '0' => '⁰',
            '1' => '¹',
            '2' => '²',
            '3' => '³',
            '4' => '⁴',
            '5' => '⁵',
            '6' => '⁶',
            '7' => '⁷',
            '8' => '⁸',
            '9' => '⁹',
            other => other,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use plotters::coord::ranged1d::BoldPoints;

    #[test]
    fn tiny_decades_keep_their_labels() {
        let ax = Log10Axis::new(1e-19..1e-1);
        let kp = ax.key_points(BoldPoints(10));
        assert!(kp.len() <= 10 && kp.len() >= 5, "{kp:?}");
        assert!((kp[0] / 1e-19 - 1.0).abs() < 1e-9, "{kp:?}");
        // Light grid: all decades when the labels are thinned...
        let light = ax.key_points(plotters::coord::ranged1d::LightPoints::new(8, 30));
        assert_eq!(light.len(), 19, "{light:?}");
        // ...and the 1..9 multiples when there is room.
        assert_eq!(ax.key_points(200).len(), 19 * 9 - 8);
    }

    #[test]
    fn short_ranges_get_intermediate_labels() {
        let ax = Log10Axis::new(0.15..0.9);
        let kp = ax.key_points(BoldPoints(8));
        assert!(kp.len() >= 2, "{kp:?}");
        let ax = Log10Axis::new(1.1..1.3);
        assert!(ax.key_points(BoldPoints(8)).len() >= 2);
    }

    #[test]
    fn log_labels() {
        assert_eq!(fmt_log_tick(&1e-6), "10⁻⁶");
        assert_eq!(fmt_log_tick(&2e-6), "2×10⁻⁶");
        assert_eq!(fmt_log_tick(&1e3), "10³");
        assert_eq!(fmt_log_tick(&1.0), "1");
        assert_eq!(fmt_log_tick(&10.0), "10");
        assert_eq!(fmt_log_tick(&1e-19), "10⁻¹⁹");
        assert_eq!(fmt_log_tick(&0.3), "3×10⁻¹");
    }
}
