//! Shared look: colours, tick labels, axis ranges, the legend strip, and point thinning.

use std::collections::HashMap;

use plotters::coord::{CoordTranslate, Shift};
use plotters::prelude::*;

use crate::error::{RenderResultExt, ReportError};
use crate::output::FONT_FAMILY;

pub(crate) const TITLE_SIZE: f64 = 26.0;
pub(crate) const CAPTION_SIZE: f64 = 18.0;
pub(crate) const AXIS_DESC_SIZE: f64 = 18.0;
pub(crate) const TICK_SIZE: f64 = 14.0;
pub(crate) const LEGEND_SIZE: f64 = 15.0;

pub(crate) fn font(size: f64) -> TextStyle<'static> {
    (FONT_FAMILY, size).into_font().color(&BLACK)
}

/// Tableau-10: distinct, colour-blind-friendlier than plotters' primaries.
const TAB10: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// The `i`-th series colour: Tableau-10, then golden-angle hues.
pub(crate) fn series_color(i: usize) -> RGBColor {
    if i < TAB10.len() {
        return TAB10[i];
    }
    let hue = ((i - TAB10.len()) as f64 * 0.618_033_988_75 + 0.07).fract();
    let lightness = if (i / 7).is_multiple_of(2) {
        0.42
    } else {
        0.55
    };
    hsl_to_rgb(hue, 0.75, lightness)
}

fn hsl_to_rgb(h: f64, s: f64, l: f64) -> RGBColor {
    let c = (1.0 - (2.0 * l - 1.0).abs()) * s;
    let hp = h * 6.0;
    let x = c * (1.0 - (hp % 2.0 - 1.0).abs());
    let (r, g, b) = match hp as u32 {
        0 => (c, x, 0.0),
        1 => (x, c, 0.0),
        2 => (0.0, c, x),
        3 => (0.0, x, c),
        4 => (x, 0.0, c),
        _ => (c, 0.0, x),
    };
    let m = l - c / 2.0;
    let to = |v: f64| ((v + m) * 255.0).round().clamp(0.0, 255.0) as u8;
    RGBColor(to(r), to(g), to(b))
}

/// A "plasma"-like ramp for colouring a phase portrait by time (`u` in `[0, 1]`); stops before
/// the pale yellow end so the line stays visible on white.
pub(crate) fn time_color(u: f64) -> RGBColor {
    const STOPS: [(u8, u8, u8); 5] = [
        (13, 8, 135),
        (106, 0, 168),
        (177, 42, 144),
        (225, 100, 98),
        (240, 150, 40),
    ];
    let u = if u.is_finite() {
        u.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let pos = u * (STOPS.len() - 1) as f64;
    let i = (pos.floor() as usize).min(STOPS.len() - 2);
    let f = pos - i as f64;
    let lerp = |a: u8, b: u8| (f64::from(a) + (f64::from(b) - f64::from(a)) * f).round() as u8;
    let (a, b) = (STOPS[i], STOPS[i + 1]);
    RGBColor(lerp(a.0, b.0), lerp(a.1, b.1), lerp(a.2, b.2))
}

/// Compact tick label: `0`, `0.25`, `1500`, `1e-6`, `2.5e-7`.
pub(crate) fn fmt_tick(v: &f64) -> String {
    let v = *v;
    if v == 0.0 || !v.is_finite() {
        return if v.is_finite() {
            "0".into()
        } else {
            v.to_string()
        };
    }
    let a = v.abs();
    if (1e-3..1e5).contains(&a) {
        let s = format!("{v:.6}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        if s == "-0" {
            "0".into()
        } else {
            s.to_string()
        }
    } else {
        let s = format!("{v:.3e}");
        match s.split_once('e') {
            Some((mant, exp)) => {
                let mant = if mant.contains('.') {
                    mant.trim_end_matches('0').trim_end_matches('.')
                } else {
                    mant
                };
                format!("{mant}e{exp}")
            }
            None => s,
        }
    }
}

/// [`fmt_tick`] for an axis spanning `span`: values that are zero up to rounding in the
/// tick computation (`|v| < 1e-9 * span`) print as `0`.
pub(crate) fn fmt_tick_in(v: f64, span: f64) -> String {
    if v.abs() < 1e-9 * span.abs() {
        "0".into()
    } else {
        fmt_tick(&v)
    }
}

/// Min and max of the finite values, or `None` when there are none.
pub(crate) fn finite_bounds(values: impl IntoIterator<Item = f64>) -> Option<(f64, f64)> {
    values
        .into_iter()
        .filter(|v| v.is_finite())
        .fold(None, |acc, v| match acc {
            None => Some((v, v)),
            Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
        })
}

/// A linear axis range around `[lo, hi]` with `pad` (fraction of the span) on both sides; a
/// (nearly) degenerate span is widened so plotters always gets a non-empty range.
///
/// # Errors
/// [`ReportError::InvalidSpec`] when the values span more than `f64::MAX` (no linear axis
/// can hold them).
pub(crate) fn linear_range(
    (lo, hi): (f64, f64),
    pad: f64,
) -> Result<std::ops::Range<f64>, ReportError> {
    // Halves first so that the arithmetic cannot overflow.
    let mid = lo / 2.0 + hi / 2.0;
    let half_span = hi / 2.0 - lo / 2.0;
    let scale = lo.abs().max(hi.abs());
    let (start, end) = if half_span <= scale * 1e-12 || half_span < 1e-200 {
        let w = if mid.abs() > 1e-200 {
            mid.abs() * 0.1
        } else {
            1.0
        };
        (mid - w, mid + w)
    } else {
        let p = half_span * (1.0 + 2.0 * pad);
        (mid - p, mid + p)
    };
    let (start, end) = (start.max(f64::MIN), end.min(f64::MAX));
    if !(end - start).is_finite() || start >= end {
        return Err(ReportError::invalid(format!(
            "values from {lo:e} to {hi:e} span too wide a range for a linear axis"
        )));
    }
    Ok(start..end)
}

/// A log axis range covering `[lo, hi]` (both > 0) with a little padding (in decades);
/// a single value gets half a decade either side.
pub(crate) fn log_range((lo, hi): (f64, f64)) -> std::ops::Range<f64> {
    let (l0, l1) = (lo.log10(), hi.log10());
    let span = l1 - l0;
    let (a, b) = if span < 1e-9 {
        (l0 - 0.5, l1 + 0.5)
    } else {
        let pad = 0.05 * span.max(0.3);
        (l0 - pad, l1 + pad)
    };
    // Stay within normal f64 numbers so that log10 of both ends is finite.
    let (a, b) = (a.clamp(-307.0, 307.0), b.clamp(-307.0, 308.0));
    let b = if b <= a { a + 1.0 } else { b };
    10f64.powf(a)..10f64.powf(b)
}

/// One legend entry: a name, a colour, and whether/which marker it has.
pub(crate) struct LegendEntry<'a> {
    pub name: &'a str,
    pub color: RGBColor,
    pub line: bool,
    pub marker: crate::lines::Marker,
}

const LEGEND_ROW: i32 = 22;
const LEGEND_SWATCH: i32 = 28;

/// Width in pixels a legend strip needs for `names`, laid out in as many columns as required
/// to fit `height` pixels.
pub(crate) fn legend_width<'a>(names: impl Iterator<Item = &'a str> + Clone, height: u32) -> u32 {
    let n = names.clone().count();
    if n == 0 {
        return 0;
    }
    let rows = ((height as i32 - 20) / LEGEND_ROW).max(1) as usize;
    let cols = n.div_ceil(rows);
    let widest = names
        .map(|s| text_width(s, LEGEND_SIZE))
        .max()
        .unwrap_or(0)
        .max(20);
    (cols as u32) * (LEGEND_SWATCH as u32 + 14 + widest) + 16
}

/// Approximate rendered width of `s` in the bundled font.
pub(crate) fn text_width(s: &str, size: f64) -> u32 {
    let style = font(size);
    match style.font.box_size(s) {
        Ok((w, _)) => w,
        Err(_) => (s.chars().count() as f64 * size * 0.6) as u32,
    }
}

/// Draws a legend strip (outside the plotting area, so it never covers data).
pub(crate) fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[LegendEntry<'_>],
    top: i32,
) -> Result<(), ReportError> {
    if entries.is_empty() {
        return Ok(());
    }
    let (w, h) = area.dim_in_pixel();
    let rows = ((h as i32 - top - 10) / LEGEND_ROW).max(1) as usize;
    let cols = entries.len().div_ceil(rows);
    let col_w = ((w as i32 - 16) / cols.max(1) as i32).max(40);
    let text_style = font(LEGEND_SIZE).pos(plotters::style::text_anchor::Pos::new(
        plotters::style::text_anchor::HPos::Left,
        plotters::style::text_anchor::VPos::Center,
    ));
    for (k, e) in entries.iter().enumerate() {
        let (c, r) = (k / rows, k % rows);
        let x0 = 8 + c as i32 * col_w;
        let y = top + r as i32 * LEGEND_ROW + LEGEND_ROW / 2;
        let style = e.color.stroke_width(3);
        if e.line {
            area.draw(&PathElement::new(
                vec![(x0, y), (x0 + LEGEND_SWATCH, y)],
                style,
            ))
            .render_err()?;
        }
        crate::lines::draw_marker_px(area, e.marker, (x0 + LEGEND_SWATCH / 2, y), e.color)?;
        area.draw(&Text::new(
            e.name.to_string(),
            (x0 + LEGEND_SWATCH + 8, y),
            text_style.clone(),
        ))
        .render_err()?;
    }
    Ok(())
}

/// Draws a polyline given in `area`'s own coordinates, mapped to pixels and de-duplicated.
///
/// On raster backends the line is rasterised here, anti-aliased, with each pixel's coverage
/// taken as the maximum over all segments: plotters' own bitmap lines drop pixels on short,
/// shallow segments (dotted curves) and fill wide polylines as one self-intersecting
/// polygon (hollow artefacts on dense curves). SVG gets a plain polyline with a real
/// `stroke-width`.
pub(crate) fn draw_curve<DB: DrawingBackend, CT: CoordTranslate>(
    area: &DrawingArea<DB, CT>,
    points: impl IntoIterator<Item = CT::From>,
    color: RGBColor,
    width: u32,
    raster: bool,
) -> Result<(), ReportError> {
    let shift = area.strip_coord_spec();
    let (bx, by) = area.get_base_pixel();
    let mut px: Vec<(i32, i32)> = Vec::new();
    for p in points {
        let (x, y) = area.map_coordinate(&p);
        let q = (x - bx, y - by);
        if px.last() != Some(&q) {
            px.push(q);
        }
    }
    match px.len() {
        0 => Ok(()),
        1 => shift
            .draw(&Circle::new(px[0], width as i32 + 1, color.filled()))
            .render_err(),
        _ if raster => raster_polyline(&shift, &px, color, f64::from(width)),
        _ => shift
            .draw(&PathElement::new(px, color.stroke_width(width)))
            .render_err(),
    }
}

/// Anti-aliased polyline of the given width (pixels) drawn pixel by pixel.
fn raster_polyline<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    px: &[(i32, i32)],
    color: RGBColor,
    width: f64,
) -> Result<(), ReportError> {
    let half = width / 2.0;
    let (w, h) = area.dim_in_pixel();
    let (w, h) = (w as i32, h as i32);
    let margin = half + 2.0;
    let bounds = (
        -margin,
        -margin,
        f64::from(w) + margin,
        f64::from(h) + margin,
    );
    let mut coverage: HashMap<(i32, i32), f32> = HashMap::new();
    for seg in px.windows(2) {
        let p0 = (f64::from(seg[0].0), f64::from(seg[0].1));
        let p1 = (f64::from(seg[1].0), f64::from(seg[1].1));
        // Only the visible part: far-away (or saturated) points must not cost time.
        let Some(((x0, y0), (x1, y1))) = clip_segment(p0, p1, bounds) else {
            continue;
        };
        let (dx, dy) = (x1 - x0, y1 - y0);
        let len2 = dx * dx + dy * dy;
        let mut visit = |x: i32, y: i32| {
            let (qx, qy) = (f64::from(x) - x0, f64::from(y) - y0);
            let u = if len2 > 0.0 {
                ((qx * dx + qy * dy) / len2).clamp(0.0, 1.0)
            } else {
                0.0
            };
            let (ex, ey) = (qx - u * dx, qy - u * dy);
            let c = (half + 0.5 - (ex * ex + ey * ey).sqrt()).clamp(0.0, 1.0) as f32;
            if c > 0.0 {
                let e = coverage.entry((x, y)).or_insert(0.0);
                *e = e.max(c);
            }
        };
        // Walk the major axis; cover the minor axis within reach of the line.
        let shallow = dx.abs() >= dy.abs();
        let (a0, a1, b0, b1, slope) = if shallow {
            (x0, x1, y0, y1, if dx != 0.0 { dy / dx } else { 0.0 })
        } else {
            (y0, y1, x0, x1, dx / dy)
        };
        let reach = (half + 1.5) * (1.0 + slope * slope).sqrt();
        let (lo, hi) = (a0.min(a1) - half - 1.0, a0.max(a1) + half + 1.0);
        for a in (lo.floor() as i32)..=(hi.ceil() as i32) {
            let t = (f64::from(a) - a0).clamp(a0.min(a1) - a0, a0.max(a1) - a0);
            let bc = (b0 + t * slope).clamp(b0.min(b1), b0.max(b1));
            for b in ((bc - reach).floor() as i32)..=((bc + reach).ceil() as i32) {
                if shallow {
                    visit(a, b);
                } else {
                    visit(b, a);
                }
            }
        }
    }
    for ((x, y), c) in coverage {
        if (0..w).contains(&x) && (0..h).contains(&y) {
            area.draw_pixel((x, y), &color.mix(f64::from(c)))
                .render_err()?;
        }
    }
    Ok(())
}

/// Liang–Barsky: the part of segment `p0`–`p1` inside `(xmin, ymin, xmax, ymax)`.
fn clip_segment(
    p0: (f64, f64),
    p1: (f64, f64),
    (xmin, ymin, xmax, ymax): (f64, f64, f64, f64),
) -> Option<((f64, f64), (f64, f64))> {
    let (dx, dy) = (p1.0 - p0.0, p1.1 - p0.1);
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for (p, q) in [
        (-dx, p0.0 - xmin),
        (dx, xmax - p0.0),
        (-dy, p0.1 - ymin),
        (dy, ymax - p0.1),
    ] {
        if p == 0.0 {
            if q < 0.0 {
                return None;
            }
        } else {
            let r = q / p;
            if p < 0.0 {
                t0 = t0.max(r);
            } else {
                t1 = t1.min(r);
            }
        }
    }
    if t0 > t1 {
        return None;
    }
    Some((
        (p0.0 + t0 * dx, p0.1 + t0 * dy),
        (p0.0 + t1 * dx, p0.1 + t1 * dy),
    ))
}

/// Thins a time series to at most about `budget` points, keeping each bucket's minimum and
/// maximum (in order) so oscillation envelopes and spikes survive.
pub(crate) fn decimate_minmax(points: Vec<(f64, f64)>, budget: usize) -> Vec<(f64, f64)> {
    let budget = budget.max(4);
    if points.len() <= budget {
        return points;
    }
    let buckets = (budget - 2) / 2;
    let size = points.len().div_ceil(buckets);
    let mut out = Vec::with_capacity(budget + 2);
    out.push(points[0]);
    for chunk in points.chunks(size) {
        let (mut imin, mut imax) = (0, 0);
        for (i, p) in chunk.iter().enumerate() {
            if p.1 < chunk[imin].1 {
                imin = i;
            }
            if p.1 > chunk[imax].1 {
                imax = i;
            }
        }
        let (a, b) = if imin <= imax {
            (imin, imax)
        } else {
            (imax, imin)
        };
        for idx in [a, b] {
            if out.last() != Some(&chunk[idx]) {
                out.push(chunk[idx]);
            }
        }
    }
    if out.last() != points.last() {
        out.push(points[points.len() - 1]);
    }
    out
}

/// Keeps every `stride`-th point (and the last one) so that at most about `budget` remain.
pub(crate) fn decimate_stride<T: Copy + PartialEq>(points: Vec<T>, budget: usize) -> Vec<T> {
    let budget = budget.max(2);
    if points.len() <= budget {
        return points;
    }
    let stride = points.len().div_ceil(budget);
    let mut out: Vec<T> = points.iter().copied().step_by(stride).collect();
    if out.last() != points.last() {
        out.push(points[points.len() - 1]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tick_labels_are_compact() {
        assert_eq!(fmt_tick(&0.0), "0");
        assert_eq!(fmt_tick(&0.25), "0.25");
        assert_eq!(fmt_tick(&(0.1 + 0.2)), "0.3");
        assert_eq!(fmt_tick(&1500.0), "1500");
        assert_eq!(fmt_tick(&-2.0), "-2");
        assert_eq!(fmt_tick(&1e-6), "1e-6");
        assert_eq!(fmt_tick(&2.5e-7), "2.5e-7");
        assert_eq!(fmt_tick(&1e10), "1e10");
        assert_eq!(fmt_tick_in(4.99e291, 1e308), "0");
        assert_eq!(fmt_tick_in(1e-12, 1.0), "0");
        assert_eq!(fmt_tick_in(0.5, 1.0), "0.5");
    }

    #[test]
    fn ranges_are_never_empty() {
        for b in [
            (1.0, 1.0),
            (0.0, 0.0),
            (1e-310, 2e-310),
            (-5e307, 5e307),
            (1.0, 1.0 + 1e-15),
        ] {
            let r = linear_range(b, 0.05).unwrap();
            assert!(
                r.start < r.end && (r.end - r.start).is_finite(),
                "{b:?} {r:?}"
            );
            assert!(r.start <= b.0 && r.end >= b.1, "{b:?} {r:?}");
        }
        assert!(linear_range((-1.7e308, 1.7e308), 0.05).is_err());
        let r = linear_range((0.0, 10.0), 0.0).unwrap();
        assert_eq!((r.start, r.end), (0.0, 10.0));
        let r = log_range((1e-6, 1e-6));
        assert!(r.start < 1e-6 && r.end > 1e-6);
        let r = log_range((3e-9, 2e-2));
        assert!(r.start < 3e-9 && r.start > 1e-9 && r.end > 2e-2 && r.end < 1e-1);
    }

    #[test]
    fn decimation_keeps_extremes_and_ends() {
        let pts: Vec<(f64, f64)> = (0..10_000)
            .map(|i| (i as f64, (i as f64 * 0.37).sin()))
            .collect();
        let d = decimate_minmax(pts.clone(), 500);
        assert!(d.len() <= 502, "{}", d.len());
        assert_eq!(d.first(), pts.first());
        assert_eq!(d.last(), pts.last());
        let max = d.iter().map(|p| p.1).fold(f64::MIN, f64::max);
        assert!(max > 0.999);
        assert!(d.windows(2).all(|w| w[0].0 < w[1].0));
        let s = decimate_stride(pts.clone(), 100);
        assert!(s.len() <= 101);
        assert_eq!(s.last(), pts.last());
    }

    #[test]
    fn colours_are_distinct() {
        let cs: Vec<_> = (0..40).map(series_color).collect();
        for i in 0..cs.len() {
            for j in 0..i {
                assert_ne!(cs[i], cs[j], "{i} {j}");
            }
        }
    }
}
