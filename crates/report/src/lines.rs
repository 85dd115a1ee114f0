//! General x–y line charts with optional logarithmic axes (work–precision diagrams,
//! convergence plots).

use std::path::Path;

use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::coord::Shift;
use plotters::prelude::*;

use crate::axis::{fmt_log_tick, Log10Axis};
use crate::error::{RenderResultExt, ReportError};
use crate::output::{render_to_file, Figure};
use crate::style::{self, font, LegendEntry};
use crate::NonFinitePolicy;

/// Point marker of a [`Series`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Marker {
    /// No marker (line only).
    #[default]
    None,
    /// Filled circle.
    Circle,
    /// Filled square.
    Square,
    /// Filled triangle (pointing up).
    Triangle,
    /// Filled diamond.
    Diamond,
    /// Diagonal cross.
    Cross,
}

impl Marker {
    /// A distinct marker for the `i`-th series (cycles through all filled shapes and the cross).
    #[must_use]
    pub fn auto(i: usize) -> Self {
        const ALL: [Marker; 5] = [
            Marker::Circle,
            Marker::Square,
            Marker::Triangle,
            Marker::Diamond,
            Marker::Cross,
        ];
        ALL[i % ALL.len()]
    }
}

/// One named data series of a [`LinePlot`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Series {
    /// Legend text; an empty name keeps the series out of the legend.
    pub name: String,
    /// The `(x, y)` points, drawn in the given order.
    pub points: Vec<(f64, f64)>,
    /// Marker drawn at every point.
    pub marker: Marker,
    /// Whether consecutive points are joined by a line. A series with neither a line nor a
    /// marker is drawn with circles.
    pub line: bool,
}

impl Series {
    /// A line series without markers.
    pub fn new(name: impl Into<String>, points: impl IntoIterator<Item = (f64, f64)>) -> Self {
        Self {
            name: name.into(),
            points: points.into_iter().collect(),
            marker: Marker::None,
            line: true,
        }
    }

    /// Sets the marker.
    #[must_use]
    pub fn marker(mut self, marker: Marker) -> Self {
        self.marker = marker;
        self
    }

    /// Joins the points with a line (`true`, the default) or draws markers only.
    #[must_use]
    pub fn line(mut self, line: bool) -> Self {
        self.line = line;
        self
    }
}

/// An x–y chart of one or more [`Series`], optionally with logarithmic axes.
///
/// Built with [`LinePlot::new`] and the builder methods; drawn with [`plot_lines`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct LinePlot {
    /// Title above the chart.
    pub title: String,
    /// Label of the horizontal axis.
    pub x_label: String,
    /// Label of the vertical axis.
    pub y_label: String,
    /// The data.
    pub series: Vec<Series>,
    /// Logarithmic (base 10) horizontal axis.
    pub log_x: bool,
    /// Logarithmic (base 10) vertical axis.
    pub log_y: bool,
    /// Image size in pixels (also the SVG canvas size).
    pub size: (u32, u32),
    /// What to do with NaN/∞ (and, on a log axis, values `<= 0`).
    pub non_finite: NonFinitePolicy,
}

impl LinePlot {
    /// An empty linear chart, 1000×650 pixels, with axis labels `x` and `y`.
    pub fn new(title: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            x_label: "x".into(),
            y_label: "y".into(),
            series: Vec::new(),
            log_x: false,
            log_y: false,
            size: (1000, 650),
            non_finite: NonFinitePolicy::Reject,
        }
    }

    /// Sets the horizontal axis label.
    #[must_use]
    pub fn x_label(mut self, label: impl Into<String>) -> Self {
        self.x_label = label.into();
        self
    }

    /// Sets the vertical axis label.
    #[must_use]
    pub fn y_label(mut self, label: impl Into<String>) -> Self {
        self.y_label = label.into();
        self
    }

    /// Adds a series.
    #[must_use]
    pub fn with_series(mut self, series: Series) -> Self {
        self.series.push(series);
        self
    }

    /// Logarithmic horizontal axis on/off.
    #[must_use]
    pub fn log_x(mut self, on: bool) -> Self {
        self.log_x = on;
        self
    }

    /// Logarithmic vertical axis on/off.
    #[must_use]
    pub fn log_y(mut self, on: bool) -> Self {
        self.log_y = on;
        self
    }

    /// Both axes logarithmic.
    #[must_use]
    pub fn log_log(self) -> Self {
        self.log_x(true).log_y(true)
    }

    /// Image size in pixels (each side 200..=8192).
    #[must_use]
    pub fn size(mut self, width: u32, height: u32) -> Self {
        self.size = (width, height);
        self
    }

    /// Policy for NaN/∞ and non-positive values on log axes.
    #[must_use]
    pub fn non_finite(mut self, policy: NonFinitePolicy) -> Self {
        self.non_finite = policy;
        self
    }
}

/// Draws `plot` to `path`; the format (`.png` or `.svg`) comes from the extension.
///
/// The file is written atomically (temporary file in the same directory, then rename).
///
/// # Errors
/// [`ReportError::UnsupportedFormat`], [`ReportError::EmptyData`] (no series, or a series
/// with no drawable points), [`ReportError::NonFinite`] /
/// [`ReportError::NonPositiveOnLogAxis`] under [`NonFinitePolicy::Reject`],
/// [`ReportError::InvalidSpec`] (size), [`ReportError::Io`], [`ReportError::Render`].
pub fn plot_lines(path: &Path, plot: &LinePlot) -> Result<(), ReportError> {
    crate::output::Format::from_path(path)?;
    let fig = Prepared::new(plot)?;
    render_to_file(path, plot.size, &fig)
}

/// A series after validation: unbroken runs of drawable points.
struct PreparedSeries<'a> {
    src: &'a Series,
    segments: Vec<Vec<(f64, f64)>>,
    marker: Marker,
    color: RGBColor,
}

struct Prepared<'a> {
    plot: &'a LinePlot,
    series: Vec<PreparedSeries<'a>>,
    x_bounds: (f64, f64),
    y_bounds: (f64, f64),
}

/// Most points drawn per series; longer series are thinned (extremes kept).
const MAX_POINTS_PER_SERIES: usize = 20_000;

impl<'a> Prepared<'a> {
    fn new(plot: &'a LinePlot) -> Result<Self, ReportError> {
        if plot.series.is_empty() {
            return Err(ReportError::empty("the line plot has no series"));
        }
        crate::output::check_size(plot.size)?;
        let mut series = Vec::with_capacity(plot.series.len());
        for (k, s) in plot.series.iter().enumerate() {
            let label = if s.name.is_empty() {
                format!("series #{k}")
            } else {
                s.name.clone()
            };
            if s.points.is_empty() {
                return Err(ReportError::empty(format!(
                    "series '{label}' has no points"
                )));
            }
            let mut segments = vec![Vec::new()];
            for (i, &(x, y)) in s.points.iter().enumerate() {
                let problem = if !x.is_finite() || !y.is_finite() {
                    Some(ReportError::NonFinite {
                        series: label.clone(),
                        index: i,
                    })
                } else if (plot.log_x && x <= 0.0) || (plot.log_y && y <= 0.0) {
                    Some(ReportError::NonPositiveOnLogAxis {
                        series: label.clone(),
                        index: i,
                    })
                } else {
                    None
                };
                match (problem, plot.non_finite) {
                    (Some(e), NonFinitePolicy::Reject) => return Err(e),
                    (Some(_), NonFinitePolicy::Skip) => {
                        if segments.last().is_some_and(|seg: &Vec<_>| !seg.is_empty()) {
                            segments.push(Vec::new());
                        }
                    }
                    (None, _) => segments.last_mut().expect("non-empty").push((x, y)),
                }
            }
            segments.retain(|seg| !seg.is_empty());
            let total: usize = segments.iter().map(Vec::len).sum();
            if total == 0 {
                return Err(ReportError::empty(format!(
                    "series '{label}' has no drawable points"
                )));
            }
            if total > MAX_POINTS_PER_SERIES {
                segments = segments
                    .into_iter()
                    .map(|seg| {
                        let budget = MAX_POINTS_PER_SERIES * seg.len() / total;
                        style::decimate_minmax(seg, budget)
                    })
                    .collect();
            }
            let marker = if !s.line && s.marker == Marker::None {
                Marker::Circle
            } else {
                s.marker
            };
            series.push(PreparedSeries {
                src: s,
                segments,
                marker,
                color: style::series_color(k),
            });
        }
        let all = || series.iter().flat_map(|s| s.segments.iter().flatten());
        let x_bounds = style::finite_bounds(all().map(|p| p.0))
            .ok_or_else(|| ReportError::empty("no drawable points"))?;
        let y_bounds = style::finite_bounds(all().map(|p| p.1))
            .ok_or_else(|| ReportError::empty("no drawable points"))?;
        Ok(Self {
            plot,
            series,
            x_bounds,
            y_bounds,
        })
    }

    fn legend(&self) -> Vec<LegendEntry<'_>> {
        self.series
            .iter()
            .filter(|s| !s.src.name.is_empty())
            .map(|s| LegendEntry {
                name: &s.src.name,
                color: s.color,
                line: s.src.line,
                marker: s.marker,
            })
            .collect()
    }

    fn draw_chart<DB, X, Y>(
        &self,
        area: &DrawingArea<DB, Shift>,
        xr: X,
        yr: Y,
        raster: bool,
    ) -> Result<(), ReportError>
    where
        DB: DrawingBackend,
        X: AsRangedCoord<Value = f64>,
        Y: AsRangedCoord<Value = f64>,
        X::CoordDescType: Ranged<ValueType = f64> + ValueFormatter<f64>,
        Y::CoordDescType: Ranged<ValueType = f64> + ValueFormatter<f64>,
    {
        let mut chart = ChartBuilder::on(area)
            .margin(12)
            .x_label_area_size(56)
            .y_label_area_size(86)
            .build_cartesian_2d(xr, yr)
            .render_err()?;
        let kind = |log: bool| if log { AxisKind::Log } else { AxisKind::Linear };
        configure_mesh(
            &mut chart,
            (&self.plot.x_label, kind(self.plot.log_x)),
            (&self.plot.y_label, kind(self.plot.log_y)),
        )?;
        for s in &self.series {
            if s.src.line {
                let width = if self.series.len() > 8 { 2 } else { 3 };
                for seg in &s.segments {
                    style::draw_curve(
                        chart.plotting_area(),
                        seg.iter().copied(),
                        s.color,
                        width,
                        raster,
                    )?;
                }
            }
            if s.marker != Marker::None {
                draw_markers(
                    &chart,
                    s.segments.iter().flatten().copied(),
                    s.marker,
                    s.color,
                )?;
            }
        }
        Ok(())
    }
}

impl Figure for Prepared<'_> {
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        raster: bool,
    ) -> Result<(), ReportError> {
        let body = root
            .titled(&self.plot.title, font(style::TITLE_SIZE))
            .render_err()?;
        let legend = self.legend();
        let (w, h) = body.dim_in_pixel();
        let lw = style::legend_width(legend.iter().map(|e| e.name), h).min(w / 2);
        let (chart_area, legend_area) = body.split_horizontally(w - lw);
        style::draw_legend(&legend_area, &legend, 16)?;
        let (lx, ly) = (self.plot.log_x, self.plot.log_y);
        let xl = style::linear_range(self.x_bounds, 0.04)?;
        let yl = style::linear_range(self.y_bounds, 0.06)?;
        let xg = Log10Axis::new(style::log_range(self.x_bounds));
        let yg = Log10Axis::new(style::log_range(self.y_bounds));
        match (lx, ly) {
            (false, false) => self.draw_chart(&chart_area, xl, yl, raster),
            (true, false) => self.draw_chart(&chart_area, xg, yl, raster),
            (false, true) => self.draw_chart(&chart_area, xl, yg, raster),
            (true, true) => self.draw_chart(&chart_area, xg, yg, raster),
        }
    }
}

/// How an axis's tick labels are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AxisKind {
    /// `0.25`, `1e-6`; values within 1e-9 of the span from zero print as `0`.
    Linear,
    /// `10⁻⁶`, `2×10⁻⁶`.
    Log,
}

impl AxisKind {
    fn format(self, v: f64, span: f64) -> String {
        match self {
            AxisKind::Log => fmt_log_tick(&v),
            AxisKind::Linear => style::fmt_tick_in(v, span),
        }
    }
}

/// Mesh, tick labels and axis descriptions in the house style.
pub(crate) fn configure_mesh<DB, X, Y>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<X, Y>>,
    (x_desc, x_kind): (&str, AxisKind),
    (y_desc, y_kind): (&str, AxisKind),
) -> Result<(), ReportError>
where
    DB: DrawingBackend,
    X: Ranged<ValueType = f64> + ValueFormatter<f64>,
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let (xr, yr) = (chart.x_range(), chart.y_range());
    let (x_span, y_span) = ((xr.end - xr.start).abs(), (yr.end - yr.start).abs());
    let x_fmt = move |v: &f64| x_kind.format(*v, x_span);
    let y_fmt = move |v: &f64| y_kind.format(*v, y_span);
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(y_desc)
        .label_style(font(style::TICK_SIZE))
        .axis_desc_style(font(style::AXIS_DESC_SIZE))
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .bold_line_style(BLACK.mix(0.12))
        .light_line_style(BLACK.mix(0.04))
        .axis_style(BLACK.mix(0.8))
        .x_labels(8)
        .y_labels(8)
        .draw()
        .render_err()
}

/// Draws `marker` at every point of a 2-D chart.
pub(crate) fn draw_markers<DB, X, Y>(
    chart: &ChartContext<'_, DB, Cartesian2d<X, Y>>,
    points: impl Iterator<Item = (f64, f64)>,
    marker: Marker,
    color: RGBColor,
) -> Result<(), ReportError>
where
    DB: DrawingBackend,
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    let area = chart.plotting_area();
    let shift = area.strip_coord_spec();
    let (bx, by) = area.get_base_pixel();
    for p in points {
        let (px, py) = area.map_coordinate(&p);
        draw_marker_px(&shift, marker, (px - bx, py - by), color)?;
    }
    Ok(())
}

/// Draws one marker centred at pixel `(x, y)` of `area`.
pub(crate) fn draw_marker_px<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    marker: Marker,
    (x, y): (i32, i32),
    color: RGBColor,
) -> Result<(), ReportError> {
    const R: i32 = 5;
    let fill = color.filled();
    let edge = BLACK.mix(0.55).stroke_width(1);
    match marker {
        Marker::None => Ok(()),
        Marker::Circle => {
            area.draw(&Circle::new((x, y), R, fill)).render_err()?;
            area.draw(&Circle::new((x, y), R, edge)).render_err()
        }
        Marker::Square => {
            let r = R - 1;
            area.draw(&Rectangle::new([(x - r, y - r), (x + r, y + r)], fill))
                .render_err()?;
            area.draw(&Rectangle::new([(x - r, y - r), (x + r, y + r)], edge))
                .render_err()
        }
        Marker::Triangle => {
            let r = R + 1;
            let pts = vec![(x, y - r), (x + r, y + r * 2 / 3), (x - r, y + r * 2 / 3)];
            area.draw(&Polygon::new(pts.clone(), fill)).render_err()?;
            let mut closed = pts;
            closed.push(closed[0]);
            area.draw(&PathElement::new(closed, edge)).render_err()
        }
        Marker::Diamond => {
            let r = R + 1;
            let pts = vec![(x, y - r), (x + r, y), (x, y + r), (x - r, y)];
            area.draw(&Polygon::new(pts.clone(), fill)).render_err()?;
            let mut closed = pts;
            closed.push(closed[0]);
            area.draw(&PathElement::new(closed, edge)).render_err()
        }
        Marker::Cross => {
            let s = color.stroke_width(3);
            area.draw(&PathElement::new(vec![(x - R, y - R), (x + R, y + R)], s))
                .render_err()?;
            area.draw(&PathElement::new(vec![(x - R, y + R), (x + R, y - R)], s))
                .render_err()
        }
    }
}
