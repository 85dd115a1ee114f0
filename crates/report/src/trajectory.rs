//! Trajectory plots: components against time, plus a phase portrait.

use std::path::Path;

use plotters::coord::cartesian::Cartesian3d;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::error::{RenderResultExt, ReportError};
use crate::lines::{configure_mesh, AxisKind, Marker};
use crate::output::{render_to_file, Figure};
use crate::style::{self, font, LegendEntry};
use crate::NonFinitePolicy;

/// When no components are chosen, at most this many are drawn against time.
pub const MAX_AUTO_COMPONENTS: usize = 12;

/// Default cap on points drawn per curve; longer trajectories are thinned (per-bucket
/// minima/maxima are kept for curves against time).
pub const DEFAULT_MAX_POINTS: usize = 20_000;

/// Which phase portrait (right panel) to draw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Phase {
    /// `y1` vs `y0` when `dim == 2`, a 3-D curve of `(y0, y1, y2)` when `dim == 3`, none
    /// otherwise.
    #[default]
    Auto,
    /// No phase portrait.
    Off,
    /// `y[j]` (vertical) against `y[i]` (horizontal).
    Pair(usize, usize),
    /// A 3-D curve: `y[i]` and `y[j]` span the floor, `y[k]` is vertical.
    Triple(usize, usize, usize),
}

/// A trajectory `y(t)` stored row-major: row `n` (`y[n*dim .. (n+1)*dim]`) is the state at
/// `t[n]`.
///
/// Built with [`TrajectoryPlot::new`] and the builder methods; drawn with
/// [`plot_trajectories`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct TrajectoryPlot<'a> {
    /// Title above both panels.
    pub title: String,
    /// Time points.
    pub t: &'a [f64],
    /// States, row-major, `t.len() * dim` values.
    pub y: &'a [f64],
    /// Number of state components.
    pub dim: usize,
    /// Component names (`dim` of them); empty means `y0`, `y1`, ...
    pub names: Vec<String>,
    /// Components drawn against time; `None` draws all of them, or the first
    /// [`MAX_AUTO_COMPONENTS`] when `dim` is larger (the panel says so).
    pub components: Option<Vec<usize>>,
    /// The phase portrait.
    pub phase: Phase,
    /// Image size in pixels; `None` picks one from the layout.
    pub size: Option<(u32, u32)>,
    /// What to do with NaN/∞ values.
    pub non_finite: NonFinitePolicy,
    /// Cap on points drawn per curve.
    pub max_points: usize,
    /// Label of the time axis (default `t`).
    pub t_label: String,
    /// Label of the value axis of the left panel; `None` uses the component's name when one
    /// component is drawn, else `value`.
    pub value_label: Option<String>,
}

impl<'a> TrajectoryPlot<'a> {
    /// A plot of `dim`-component states `y` (row-major) at times `t`.
    pub fn new(title: impl Into<String>, t: &'a [f64], y: &'a [f64], dim: usize) -> Self {
        Self {
            title: title.into(),
            t,
            y,
            dim,
            names: Vec::new(),
            components: None,
            phase: Phase::Auto,
            size: None,
            non_finite: NonFinitePolicy::Reject,
            max_points: DEFAULT_MAX_POINTS,
            t_label: "t".into(),
            value_label: None,
        }
    }

    /// Sets the time-axis label (e.g. `"t [days]"`).
    #[must_use]
    pub fn t_label(mut self, label: impl Into<String>) -> Self {
        self.t_label = label.into();
        self
    }

    /// Sets the value-axis label of the left panel (e.g. `"position [AU]"`).
    #[must_use]
    pub fn value_label(mut self, label: impl Into<String>) -> Self {
        self.value_label = Some(label.into());
        self
    }

    /// Sets the component names (must be `dim` of them).
    #[must_use]
    pub fn names<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.names = names.into_iter().map(Into::into).collect();
        self
    }

    /// Chooses which components are drawn against time (in legend order).
    #[must_use]
    pub fn components(mut self, components: impl IntoIterator<Item = usize>) -> Self {
        self.components = Some(components.into_iter().collect());
        self
    }

    /// Chooses the phase portrait.
    #[must_use]
    pub fn phase(mut self, phase: Phase) -> Self {
        self.phase = phase;
        self
    }

    /// Image size in pixels (each side 200..=8192).
    #[must_use]
    pub fn size(mut self, width: u32, height: u32) -> Self {
        self.size = Some((width, height));
        self
    }

    /// Policy for NaN/∞ values.
    #[must_use]
    pub fn non_finite(mut self, policy: NonFinitePolicy) -> Self {
        self.non_finite = policy;
        self
    }

    /// Cap on points drawn per curve (at least 100 is used).
    #[must_use]
    pub fn max_points(mut self, max_points: usize) -> Self {
        self.max_points = max_points;
        self
    }
}

/// Draws `spec` to `path`: components against `t` on the left (with a legend beside the
/// chart), and a phase portrait on the right when [`Phase`] asks for one. The format
/// (`.png` or `.svg`) comes from the extension; the file is written atomically.
///
/// # Errors
/// [`ReportError::UnsupportedFormat`], [`ReportError::EmptyData`] (no time points, or no
/// finite point left), [`ReportError::InvalidSpec`] (`y.len() != t.len() * dim`, wrong number
/// of names, component index out of range, bad size), [`ReportError::NonFinite`] under
/// [`NonFinitePolicy::Reject`], [`ReportError::Io`], [`ReportError::Render`].
pub fn plot_trajectories(path: &Path, spec: &TrajectoryPlot<'_>) -> Result<(), ReportError> {
    crate::output::Format::from_path(path)?;
    let fig = Prepared::new(spec)?;
    render_to_file(path, fig.size, &fig)
}

/// Resolved phase portrait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PhaseSel {
    Off,
    Pair(usize, usize),
    Triple(usize, usize, usize),
}

struct Curve {
    comp: usize,
    color: RGBColor,
    segments: Vec<Vec<(f64, f64)>>,
}

struct Prepared {
    title: String,
    t_label: String,
    value_label: Option<String>,
    names: Vec<String>,
    curves: Vec<Curve>,
    note: Option<String>,
    phase: PhaseSel,
    phase2: Vec<Vec<(f64, f64)>>,
    phase3: Vec<Vec<(f64, f64, f64)>>,
    t_bounds: (f64, f64),
    y_bounds: (f64, f64),
    size: (u32, u32),
}

impl Prepared {
    fn new(spec: &TrajectoryPlot<'_>) -> Result<Self, ReportError> {
        let (t, y, dim) = (spec.t, spec.y, spec.dim);
        if t.is_empty() {
            return Err(ReportError::empty("no time points"));
        }
        if dim == 0 {
            return Err(ReportError::empty("dim is 0 (no state components)"));
        }
        if t.len().checked_mul(dim) != Some(y.len()) {
            return Err(ReportError::invalid(format!(
                "y has {} values but t.len() * dim = {} * {dim}",
                y.len(),
                t.len()
            )));
        }
        let names: Vec<String> = if spec.names.is_empty() {
            (0..dim).map(|i| format!("y{i}")).collect()
        } else if spec.names.len() == dim {
            spec.names.clone()
        } else {
            return Err(ReportError::invalid(format!(
                "{} component names given for dim = {dim}",
                spec.names.len()
            )));
        };
        let check = |i: usize, what: &str| {
            if i < dim {
                Ok(i)
            } else {
                Err(ReportError::invalid(format!(
                    "{what} component index {i} is out of range (dim = {dim})"
                )))
            }
        };
        let (comps, note) = match &spec.components {
            Some(c) if c.is_empty() => return Err(ReportError::empty("no components selected")),
            Some(c) => (
                c.iter()
                    .map(|&i| check(i, "selected"))
                    .collect::<Result<Vec<_>, _>>()?,
                None,
            ),
            None if dim > MAX_AUTO_COMPONENTS => (
                (0..MAX_AUTO_COMPONENTS).collect(),
                Some(format!(
                    "first {MAX_AUTO_COMPONENTS} of {dim} components shown"
                )),
            ),
            None => ((0..dim).collect(), None),
        };
        let phase = match spec.phase {
            Phase::Off => PhaseSel::Off,
            Phase::Auto => match dim {
                2 => PhaseSel::Pair(0, 1),
                3 => PhaseSel::Triple(0, 1, 2),
                _ => PhaseSel::Off,
            },
            Phase::Pair(i, j) => PhaseSel::Pair(check(i, "phase")?, check(j, "phase")?),
            Phase::Triple(i, j, k) => {
                PhaseSel::Triple(check(i, "phase")?, check(j, "phase")?, check(k, "phase")?)
            }
        };

        let value = |n: usize, c: usize| y[n * dim + c];
        let skip = spec.non_finite == NonFinitePolicy::Skip;
        // Validate everything that will be drawn, in time order, before drawing anything.
        if !skip {
            let mut used: Vec<usize> = comps.clone();
            match phase {
                PhaseSel::Off => {}
                PhaseSel::Pair(i, j) => used.extend([i, j]),
                PhaseSel::Triple(i, j, k) => used.extend([i, j, k]),
            }
            used.sort_unstable();
            used.dedup();
            for (n, &tn) in t.iter().enumerate() {
                if !tn.is_finite() {
                    return Err(ReportError::NonFinite {
                        series: "t".into(),
                        index: n,
                    });
                }
                if let Some(&c) = used.iter().find(|&&c| !value(n, c).is_finite()) {
                    return Err(ReportError::NonFinite {
                        series: names[c].clone(),
                        index: n,
                    });
                }
            }
        }

        let budget = spec.max_points.max(100);
        let mut curves = Vec::with_capacity(comps.len());
        for (k, &c) in comps.iter().enumerate() {
            let segs = split_finite((0..t.len()).map(|n| (t[n], value(n, c))), |p| {
                p.0.is_finite() && p.1.is_finite()
            });
            let total: usize = segs.iter().map(Vec::len).sum();
            let segments = segs
                .into_iter()
                .map(|s| {
                    let b = budget * s.len() / total.max(1);
                    style::decimate_minmax(s, b)
                })
                .collect();
            curves.push(Curve {
                comp: c,
                color: style::series_color(k),
                segments,
            });
        }
        let pts = || curves.iter().flat_map(|c| c.segments.iter().flatten());
        let t_bounds = style::finite_bounds(pts().map(|p| p.0))
            .ok_or_else(|| ReportError::empty("no finite points to draw"))?;
        let y_bounds = style::finite_bounds(pts().map(|p| p.1))
            .ok_or_else(|| ReportError::empty("no finite points to draw"))?;

        let (mut phase2, mut phase3) = (Vec::new(), Vec::new());
        match phase {
            PhaseSel::Off => {}
            PhaseSel::Pair(i, j) => {
                phase2 = split_finite((0..t.len()).map(|n| (value(n, i), value(n, j))), |p| {
                    p.0.is_finite() && p.1.is_finite()
                });
                let total: usize = phase2.iter().map(Vec::len).sum();
                phase2 = phase2
                    .into_iter()
                    .map(|s| {
                        let b = budget * s.len() / total.max(1);
                        style::decimate_stride(s, b)
                    })
                    .collect();
            }
            PhaseSel::Triple(i, j, k) => {
                phase3 = split_finite(
                    (0..t.len()).map(|n| (value(n, i), value(n, j), value(n, k))),
                    |p| p.0.is_finite() && p.1.is_finite() && p.2.is_finite(),
                );
                let total: usize = phase3.iter().map(Vec::len).sum();
                phase3 = phase3
                    .into_iter()
                    .map(|s| {
                        let b = budget * s.len() / total.max(1);
                        style::decimate_stride(s, b)
                    })
                    .collect();
            }
        }
        let phase = if phase2.is_empty() && phase3.is_empty() {
            PhaseSel::Off
        } else {
            phase
        };

        let size = spec.size.unwrap_or(match phase {
            PhaseSel::Off => (1150, 650),
            _ => (1700, 700),
        });
        crate::output::check_size(size)?;
        Ok(Self {
            title: spec.title.clone(),
            t_label: spec.t_label.clone(),
            value_label: spec.value_label.clone(),
            names,
            curves,
            note,
            phase,
            phase2,
            phase3,
            t_bounds,
            y_bounds,
            size,
        })
    }

    fn draw_time_panel<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        raster: bool,
    ) -> Result<(), ReportError> {
        let entries: Vec<LegendEntry<'_>> = self
            .curves
            .iter()
            .map(|c| LegendEntry {
                name: &self.names[c.comp],
                color: c.color,
                line: true,
                marker: Marker::None,
            })
            .collect();
        let (w, h) = area.dim_in_pixel();
        let lw = style::legend_width(entries.iter().map(|e| e.name), h).min(w / 2);
        let (chart_area, legend_area) = area.split_horizontally(w - lw);
        let caption = match &self.note {
            Some(note) => format!("components vs t ({note})"),
            None => "components vs t".to_string(),
        };
        let mut chart = ChartBuilder::on(&chart_area)
            .caption(caption, font(style::CAPTION_SIZE))
            .margin(10)
            .x_label_area_size(52)
            .y_label_area_size(80)
            .build_cartesian_2d(
                style::linear_range(self.t_bounds, 0.0)?,
                style::linear_range(self.y_bounds, 0.05)?,
            )
            .render_err()?;
        let y_desc = match (&self.value_label, self.curves.as_slice()) {
            (Some(label), _) => label.as_str(),
            (None, [only]) => self.names[only.comp].as_str(),
            (None, _) => "value",
        };
        configure_mesh(
            &mut chart,
            (&self.t_label, AxisKind::Linear),
            (y_desc, AxisKind::Linear),
        )?;
        let width = if self.curves.len() > 6 { 1 } else { 2 };
        for c in &self.curves {
            for seg in &c.segments {
                style::draw_curve(
                    chart.plotting_area(),
                    seg.iter().copied(),
                    c.color,
                    width,
                    raster,
                )?;
            }
        }
        // Line the legend up with the top of the plotting area (below the caption).
        style::draw_legend(&legend_area, &entries, 40)
    }

    fn draw_phase2<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        (i, j): (usize, usize),
        raster: bool,
    ) -> Result<(), ReportError> {
        let all = || self.phase2.iter().flatten();
        let xb = style::finite_bounds(all().map(|p| p.0)).unwrap_or((0.0, 1.0));
        let yb = style::finite_bounds(all().map(|p| p.1)).unwrap_or((0.0, 1.0));
        let (area, key_area) = split_key(area);
        let area = &area;
        let mut chart = ChartBuilder::on(area)
            .caption(
                format!("phase portrait ({} vs {})", self.names[j], self.names[i]),
                font(style::CAPTION_SIZE),
            )
            .margin(10)
            .x_label_area_size(52)
            .y_label_area_size(80)
            .build_cartesian_2d(
                style::linear_range(xb, 0.06)?,
                style::linear_range(yb, 0.06)?,
            )
            .render_err()?;
        configure_mesh(
            &mut chart,
            (&self.names[i], AxisKind::Linear),
            (&self.names[j], AxisKind::Linear),
        )?;
        let total: usize = self.phase2.iter().map(Vec::len).sum();
        let mut offset = 0;
        for seg in &self.phase2 {
            for (u, piece) in time_chunks(seg, offset, total) {
                style::draw_curve(
                    chart.plotting_area(),
                    piece.iter().copied(),
                    style::time_color(u),
                    2,
                    raster,
                )?;
            }
            offset += seg.len();
        }
        let first = self.phase2.first().and_then(|s| s.first()).copied();
        let last = self.phase2.last().and_then(|s| s.last()).copied();
        draw_ends(area, first.zip(last), |p| {
            let a = chart.plotting_area();
            let (x, y) = a.map_coordinate(&p);
            let (bx, by) = area.get_base_pixel();
            (x - bx, y - by)
        })?;
        draw_time_key(&key_area)
    }

    fn draw_phase3<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        (i, j, k): (usize, usize, usize),
        raster: bool,
    ) -> Result<(), ReportError> {
        let all = || self.phase3.iter().flatten();
        let b0 = style::finite_bounds(all().map(|p| p.0)).unwrap_or((0.0, 1.0));
        let b1 = style::finite_bounds(all().map(|p| p.1)).unwrap_or((0.0, 1.0));
        let b2 = style::finite_bounds(all().map(|p| p.2)).unwrap_or((0.0, 1.0));
        let (r0, r1, r2) = (
            style::linear_range(b0, 0.02)?,
            style::linear_range(b1, 0.02)?,
            style::linear_range(b2, 0.02)?,
        );
        let span = |r: &std::ops::Range<f64>| r.end - r.start;
        let (s0, s1, s2) = (span(&r0), span(&r1), span(&r2));
        let fx = move |v: &f64| style::fmt_tick_in(*v, s0);
        let fy = move |v: &f64| style::fmt_tick_in(*v, s2);
        let fz = move |v: &f64| style::fmt_tick_in(*v, s1);
        // plotters' 3-D y axis is vertical: (horizontal, vertical, depth) = (i, k, j).
        let (area, key_area) = split_key(area);
        let area = &area;
        let mut chart = ChartBuilder::on(area)
            .caption(
                format!(
                    "phase portrait ({}, {}, {})",
                    self.names[i], self.names[j], self.names[k]
                ),
                font(style::CAPTION_SIZE),
            )
            .margin(16)
            .build_cartesian_3d(r0.clone(), r2.clone(), r1.clone())
            .render_err()?;
        chart.with_projection(|mut p| {
            // Looking across the x = y diagonal: both Lorenz wings are seen face-on.
            p.yaw = -0.8;
            p.pitch = 0.25;
            p.scale = 0.82;
            p.into_matrix()
        });
        chart
            .configure_axes()
            .tick_size(TICK_3D)
            .label_style(font(style::TICK_SIZE))
            .x_formatter(&fx)
            .y_formatter(&fy)
            .z_formatter(&fz)
            .bold_grid_style(BLACK.mix(0.12))
            .light_grid_style(BLACK.mix(0.04))
            .max_light_lines(3)
            .draw()
            .render_err()?;
        let total: usize = self.phase3.iter().map(Vec::len).sum();
        let mut offset = 0;
        for seg in &self.phase3 {
            for (u, piece) in time_chunks(seg, offset, total) {
                style::draw_curve(
                    chart.plotting_area(),
                    piece.iter().map(|&(a, b, c)| (a, c, b)),
                    style::time_color(u),
                    1,
                    raster,
                )?;
            }
            offset += seg.len();
        }
        // Axis names beside the middle of the edges plotters put the tick labels on.
        let desc = font(style::AXIS_DESC_SIZE).pos(Pos::new(HPos::Center, VPos::Center));
        let ranges = [r0, r2, r1];
        let names = [&self.names[i], &self.names[k], &self.names[j]];
        let (bx, by) = area.get_base_pixel();
        for (axis, at) in axis_name_anchors(&chart, &ranges, TICK_3D, &names)
            .into_iter()
            .enumerate()
        {
            area.draw(&Text::new(
                names[axis].clone(),
                (at.0 - bx, at.1 - by),
                desc.clone(),
            ))
            .render_err()?;
        }
        let first = self.phase3.first().and_then(|s| s.first()).copied();
        let last = self.phase3.last().and_then(|s| s.last()).copied();
        draw_ends(area, first.zip(last), |(a, b, c)| {
            let pa = chart.plotting_area();
            let (x, y) = pa.map_coordinate(&(a, c, b));
            let (bx, by) = area.get_base_pixel();
            (x - bx, y - by)
        })?;
        draw_time_key(&key_area)
    }
}

/// Tick length on the 3-D axes, pixels.
const TICK_3D: i32 = 8;

/// A corner of the 3-D box: per axis, 0 = range start, 1 = range end.
type Corner = [usize; 3];

type Chart3d<'a, DB> =
    ChartContext<'a, DB, Cartesian3d<RangedCoordf64, RangedCoordf64, RangedCoordf64>>;

/// Where to centre each axis name (absolute backend pixels) of a 3-D chart, in plotters'
/// axis order (horizontal, vertical, depth).
///
/// This mirrors how plotters 0.3 picks the edge that carries each axis's tick labels (the
/// far panel per axis, then the candidate edge with the least projected depth, then the
/// lowest on screen) and on which side of it the labels go, so the name lands just beyond
/// the tick labels whatever the view angle.
fn axis_name_anchors<DB: DrawingBackend>(
    chart: &Chart3d<'_, DB>,
    ranges: &[std::ops::Range<f64>; 3],
    tick: i32,
    names: &[&String; 3],
) -> [(i32, i32); 3] {
    let coord = chart.as_coord_spec();
    let area = chart.plotting_area();
    let val = |a: usize, sel: usize| {
        if sel == 0 {
            ranges[a].start
        } else {
            ranges[a].end
        }
    };
    let point = |sel: [usize; 3]| (val(0, sel[0]), val(1, sel[1]), val(2, sel[2]));
    let depth = |sel: [usize; 3]| {
        let p = point(sel);
        coord.projected_depth(&p.0, &p.1, &p.2)
    };
    let px = |sel: [usize; 3]| area.map_coordinate(&point(sel));
    // The back panel of each axis: its plane sits at that axis's start or end.
    let plane: [usize; 3] = std::array::from_fn(|i| {
        let mut c = [0; 3];
        c[i] = 1;
        usize::from(depth([0; 3]) < depth(c))
    });
    let (xr, yr) = area.get_pixel_range();
    let (x_mid, y_mid) = ((xr.start + xr.end) / 2, (yr.start + yr.end) / 2);
    std::array::from_fn(|idx| {
        let others: Vec<usize> = (0..3).filter(|&a| a != idx).collect();
        let (a, b) = (others[0], others[1]);
        // (sort key, start corner, end corner); a corner picks start (0) or end (1) per axis.
        let mut best: Option<((i32, i32), Corner, Corner)> = None;
        for (fixed, free) in [(a, b), (b, a)] {
            for k in 0..2 {
                let mut s = [0; 3];
                s[fixed] = plane[fixed];
                s[free] = k;
                let mut e = s;
                e[idx] = 1;
                let key = (depth(s) + depth(e), px(s).1 + px(e).1);
                if best.is_none_or(|(bk, _, _)| key < bk) {
                    best = Some((key, s, e));
                }
            }
        }
        let Some((_, s, e)) = best else {
            return (x_mid, y_mid);
        };
        let (begin, end) = (px(s), px(e));
        let axis_dir = (end.0 - begin.0, end.1 - begin.1);
        let x_dir: i32 = if begin.0 < x_mid { -1 } else { 1 };
        let y_dir: i32 = if begin.1 < y_mid { -1 } else { 1 };
        let horizontal = (x_dir * axis_dir.0).abs() < (y_dir * axis_dir.1).abs();
        let mid = ((begin.0 + end.0) / 2, (begin.1 + end.1) / 2);
        // The widest tick label this axis will get.
        let rc: RangedCoordf64 = ranges[idx].clone().into();
        let label_w = rc
            .key_points(10)
            .iter()
            .map(|v| {
                let label = style::fmt_tick_in(*v, ranges[idx].end - ranges[idx].start);
                style::text_width(&label, style::TICK_SIZE)
            })
            .max()
            .unwrap_or(0) as i32;
        let name_w = style::text_width(names[idx], style::AXIS_DESC_SIZE) as i32;
        let gap = 2 * tick + 10;
        if horizontal {
            (mid.0 + x_dir * (gap + label_w + name_w / 2), mid.1)
        } else {
            let h = (style::TICK_SIZE + style::AXIS_DESC_SIZE) as i32 / 2;
            (mid.0, mid.1 + y_dir * (gap + h + 4))
        }
    })
}

/// Splits a point stream into unbroken runs of points that pass `ok`.
fn split_finite<P>(points: impl Iterator<Item = P>, ok: impl Fn(&P) -> bool) -> Vec<Vec<P>> {
    let mut out: Vec<Vec<P>> = vec![Vec::new()];
    for p in points {
        if ok(&p) {
            out.last_mut().expect("non-empty").push(p);
        } else if out.last().is_some_and(|s| !s.is_empty()) {
            out.push(Vec::new());
        }
    }
    out.retain(|s| !s.is_empty());
    out
}

/// Cuts a curve into ~96 overlapping pieces, each tagged with its time fraction in `[0, 1]`,
/// so it can be coloured early → late.
fn time_chunks<P: Copy>(seg: &[P], offset: usize, total: usize) -> Vec<(f64, &[P])> {
    const PIECES: usize = 96;
    let step = total.div_ceil(PIECES).max(1);
    let mut out = Vec::new();
    let mut start = 0;
    while start + 1 < seg.len() || (start == 0 && seg.len() == 1) {
        let end = (start + step).min(seg.len() - 1);
        let u = (offset + start) as f64 / total.saturating_sub(1).max(1) as f64;
        out.push((u, &seg[start..=end]));
        if end == start {
            break;
        }
        start = end;
    }
    out
}

/// Marks the start (ring) and end (filled dot) of a phase curve.
fn draw_ends<DB: DrawingBackend, P>(
    area: &DrawingArea<DB, Shift>,
    ends: Option<(P, P)>,
    to_px: impl Fn(P) -> (i32, i32),
) -> Result<(), ReportError> {
    let Some((first, last)) = ends else {
        return Ok(());
    };
    let s = to_px(first);
    let e = to_px(last);
    let start_color = style::time_color(0.0);
    let end_color = style::time_color(1.0);
    area.draw(&Circle::new(s, 7, WHITE.filled())).render_err()?;
    area.draw(&Circle::new(s, 7, start_color.stroke_width(3)))
        .render_err()?;
    area.draw(&Circle::new(e, 6, end_color.filled()))
        .render_err()?;
    area.draw(&Circle::new(e, 6, BLACK.stroke_width(1)))
        .render_err()
}

/// Height of the strip under a phase portrait that explains its markers and colours.
const KEY_HEIGHT: u32 = 30;

fn split_key<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
) -> (DrawingArea<DB, Shift>, DrawingArea<DB, Shift>) {
    let (_, h) = area.dim_in_pixel();
    area.split_vertically(h.saturating_sub(KEY_HEIGHT))
}

/// The key under a phase portrait: start ring, end dot, time colour ramp (right-aligned).
fn draw_time_key<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>) -> Result<(), ReportError> {
    let start_color = style::time_color(0.0);
    let end_color = style::time_color(1.0);
    let (w, h) = area.dim_in_pixel();
    let (w, h) = (w as i32, h as i32);
    let text = font(style::TICK_SIZE).pos(Pos::new(HPos::Left, VPos::Center));
    let y = h / 2;
    let mut x = (w - 340).max(10);
    area.draw(&Circle::new((x, y), 6, WHITE.filled()))
        .render_err()?;
    area.draw(&Circle::new((x, y), 6, start_color.stroke_width(3)))
        .render_err()?;
    area.draw(&Text::new("start", (x + 12, y), text.clone()))
        .render_err()?;
    x += 70;
    area.draw(&Circle::new((x, y), 5, end_color.filled()))
        .render_err()?;
    area.draw(&Text::new("end", (x + 12, y), text.clone()))
        .render_err()?;
    x += 55;
    for s in 0..40 {
        let u = f64::from(s) / 39.0;
        area.draw(&Rectangle::new(
            [(x + s * 2, y - 5), (x + s * 2 + 2, y + 5)],
            style::time_color(u).filled(),
        ))
        .render_err()?;
    }
    area.draw(&Text::new("colour = time", (x + 88, y), text))
        .render_err()
}

impl Figure for Prepared {
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        raster: bool,
    ) -> Result<(), ReportError> {
        let body = root
            .titled(&self.title, font(style::TITLE_SIZE))
            .render_err()?;
        if self.phase == PhaseSel::Off {
            return self.draw_time_panel(&body, raster);
        }
        let (w, _) = body.dim_in_pixel();
        let (left, right) = body.split_horizontally(w * 57 / 100);
        self.draw_time_panel(&left, raster)?;
        let right = right.margin(0, 0, 12, 0);
        match self.phase {
            PhaseSel::Pair(i, j) => self.draw_phase2(&right, (i, j), raster),
            PhaseSel::Triple(i, j, k) => self.draw_phase3(&right, (i, j, k), raster),
            PhaseSel::Off => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_breaks_at_gaps() {
        let v = [1.0, f64::NAN, 2.0, 3.0, f64::INFINITY, f64::NAN, 4.0];
        let s = split_finite(v.iter().copied(), |x| x.is_finite());
        assert_eq!(s, vec![vec![1.0], vec![2.0, 3.0], vec![4.0]]);
    }

    #[test]
    fn chunks_cover_the_curve() {
        let v: Vec<usize> = (0..1000).collect();
        let c = time_chunks(&v, 0, v.len());
        assert_eq!(c.first().unwrap().1[0], 0);
        assert_eq!(*c.last().unwrap().1.last().unwrap(), 999);
        assert!(c.windows(2).all(|w| w[0].1.last() == w[1].1.first()));
        assert!(c.windows(2).all(|w| w[0].0 < w[1].0));
        let one = [7usize];
        assert_eq!(time_chunks(&one, 0, 1).len(), 1);
    }
}
