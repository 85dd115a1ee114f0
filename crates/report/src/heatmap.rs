//! Heat maps: one or more images of a scalar field side by side on a shared colour scale
//! (viridis) with one colour bar — space–time images of 1-D PDE solutions (`x` across, `t` up)
//! and snapshots of 2-D fields.
//!
//! Viridis is matplotlib's perceptually uniform colour map (van der Walt & Smith, 2015,
//! <https://bids.github.io/colormap/>); it is interpolated here from nine of its 256 entries.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::error::{RenderResultExt, ReportError};
use crate::lines::{configure_mesh, AxisKind};
use crate::output::{render_to_file, Figure};
use crate::style::{self, font};

/// One image of a [`HeatmapPlot`]: `values` row-major with `rows` rows (the vertical axis, from
/// `y_range.0` at the bottom to `y_range.1` at the top) and `cols` columns (the horizontal axis,
/// `x_range.0` on the left).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct HeatPanel {
    /// Caption above the panel (e.g. `t = 0.5`); may be empty.
    pub title: String,
    pub values: Vec<f64>,
    pub rows: usize,
    pub cols: usize,
    /// Horizontal extent (centre of the first column, centre of the last).
    pub x_range: (f64, f64),
    /// Vertical extent (centre of the first row, centre of the last).
    pub y_range: (f64, f64),
}

impl HeatPanel {
    /// A panel of `rows × cols` values over the given extents.
    pub fn new(
        title: impl Into<String>,
        values: Vec<f64>,
        rows: usize,
        cols: usize,
        x_range: (f64, f64),
        y_range: (f64, f64),
    ) -> Self {
        Self {
            title: title.into(),
            values,
            rows,
            cols,
            x_range,
            y_range,
        }
    }
}

/// Panels side by side with shared axis labels and one colour bar.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct HeatmapPlot {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    /// Label of the colour bar (the field name).
    pub value_label: String,
    pub panels: Vec<HeatPanel>,
    /// Image size in pixels; default: 420 px per panel + 180 px, by 520 px.
    pub size: Option<(u32, u32)>,
}

impl HeatmapPlot {
    /// A plot with a title and no panels.
    pub fn new(title: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            x_label: "x".into(),
            y_label: "y".into(),
            value_label: String::new(),
            panels: Vec::new(),
            size: None,
        }
    }

    /// Sets the axis labels.
    #[must_use]
    pub fn labels(mut self, x: impl Into<String>, y: impl Into<String>) -> Self {
        self.x_label = x.into();
        self.y_label = y.into();
        self
    }

    /// Sets the colour-bar label.
    #[must_use]
    pub fn value_label(mut self, label: impl Into<String>) -> Self {
        self.value_label = label.into();
        self
    }

    /// Adds a panel.
    #[must_use]
    pub fn with_panel(mut self, panel: HeatPanel) -> Self {
        self.panels.push(panel);
        self
    }

    /// Sets the image size in pixels.
    #[must_use]
    pub fn size(mut self, w: u32, h: u32) -> Self {
        self.size = Some((w, h));
        self
    }
}

/// Nine entries of matplotlib's viridis (at 0, 1/8, ..., 1).
const VIRIDIS: [(u8, u8, u8); 9] = [
    (68, 1, 84),
    (71, 44, 122),
    (59, 81, 139),
    (44, 113, 142),
    (33, 145, 140),
    (39, 173, 129),
    (92, 200, 99),
    (170, 220, 50),
    (253, 231, 37),
];

/// The viridis colour of `u` in `[0, 1]` (clamped; NaN maps to the low end).
#[must_use]
pub fn viridis(u: f64) -> RGBColor {
    let u = if u.is_finite() {
        u.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let pos = u * (VIRIDIS.len() - 1) as f64;
    let i = (pos.floor() as usize).min(VIRIDIS.len() - 2);
    let f = pos - i as f64;
    let lerp = |a: u8, b: u8| (f64::from(a) + (f64::from(b) - f64::from(a)) * f).round() as u8;
    let (a, b) = (VIRIDIS[i], VIRIDIS[i + 1]);
    RGBColor(lerp(a.0, b.0), lerp(a.1, b.1), lerp(a.2, b.2))
}

/// Draws `plot` to `path` (`.png` or `.svg`, written atomically).
///
/// Images larger than the drawing resolution are sampled (nearest value) down to at most one
/// cell per pixel (PNG) or 160 cells per axis (SVG, to keep files small).
///
/// # Errors
/// [`ReportError::EmptyData`] without panels or values, [`ReportError::InvalidSpec`] when a
/// panel's `values` do not have `rows * cols` entries or an extent is not finite,
/// [`ReportError::NonFinite`] for NaN/∞ values, and the errors of writing the file.
pub fn plot_heatmap(path: &Path, plot: &HeatmapPlot) -> Result<(), ReportError> {
    if plot.panels.is_empty() {
        return Err(ReportError::empty("heat map without panels"));
    }
    for (k, p) in plot.panels.iter().enumerate() {
        if p.rows == 0 || p.cols == 0 {
            return Err(ReportError::empty(format!("panel {k}")));
        }
        if p.values.len() != p.rows * p.cols {
            return Err(ReportError::invalid(format!(
                "panel {k}: {} values for {} x {} cells",
                p.values.len(),
                p.rows,
                p.cols
            )));
        }
        if ![p.x_range.0, p.x_range.1, p.y_range.0, p.y_range.1]
            .iter()
            .all(|v| v.is_finite())
        {
            return Err(ReportError::invalid(format!(
                "panel {k}: non-finite extent"
            )));
        }
        if let Some(index) = p.values.iter().position(|v| !v.is_finite()) {
            return Err(ReportError::NonFinite {
                series: if p.title.is_empty() {
                    format!("panel {k}")
                } else {
                    p.title.clone()
                },
                index,
            });
        }
    }
    let bounds = style::finite_bounds(plot.panels.iter().flat_map(|p| p.values.iter().copied()))
        .ok_or_else(|| ReportError::empty("values"))?;
    let n = plot.panels.len() as u32;
    let size = plot
        .size
        .unwrap_or(((420 * n + 180).min(crate::output::MAX_SIDE), 520));
    render_to_file(path, size, &Prepared { plot, bounds })
}

struct Prepared<'a> {
    plot: &'a HeatmapPlot,
    bounds: (f64, f64),
}

impl Prepared<'_> {
    /// `(lo, hi)` of the colour scale, widened when the field is constant.
    fn scale(&self) -> (f64, f64) {
        let (lo, hi) = self.bounds;
        if hi - lo > 1e-300 * lo.abs().max(hi.abs()).max(1.0) {
            (lo, hi)
        } else {
            let w = if lo.abs() > 0.0 { lo.abs() * 0.1 } else { 1.0 };
            (lo - w, hi + w)
        }
    }
}

/// Half a cell on each side of the centre-to-centre extent, so cells are drawn whole.
fn cell_extent((a, b): (f64, f64), n: usize) -> (f64, f64) {
    if n > 1 {
        let h = (b - a) / (n - 1) as f64 / 2.0;
        (a - h, b + h)
    } else if a == b {
        (a - 0.5, a + 0.5)
    } else {
        (a, b)
    }
}

impl Figure for Prepared<'_> {
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        raster: bool,
    ) -> Result<(), ReportError> {
        let plot = self.plot;
        let body = root
            .titled(&plot.title, font(style::TITLE_SIZE))
            .render_err()?;
        let (w, _) = body.dim_in_pixel();
        let bar_w = 150.min(w / 3);
        let (panels_area, bar_area) = body.split_horizontally(w - bar_w);
        let n = plot.panels.len();
        let areas = panels_area.split_evenly((1, n));
        let (lo, hi) = self.scale();
        for (panel, area) in plot.panels.iter().zip(&areas) {
            let (x0, x1) = cell_extent(panel.x_range, panel.cols);
            let (y0, y1) = cell_extent(panel.y_range, panel.rows);
            let mut chart = ChartBuilder::on(area)
                .caption(&panel.title, font(style::CAPTION_SIZE))
                .margin(8)
                .x_label_area_size(44)
                .y_label_area_size(58)
                .build_cartesian_2d(x0.min(x1)..x0.max(x1), y0.min(y1)..y0.max(y1))
                .render_err()?;
            configure_mesh(
                &mut chart,
                (&plot.x_label, AxisKind::Linear),
                (&plot.y_label, AxisKind::Linear),
            )?;
            let (pw, ph) = chart.plotting_area().dim_in_pixel();
            let cap = |cells: usize, px: u32| {
                let limit = if raster { px.max(1) as usize } else { 160 };
                cells.min(limit)
            };
            let (nc, nr) = (cap(panel.cols, pw), cap(panel.rows, ph));
            let (dx, dy) = ((x1 - x0) / nc as f64, (y1 - y0) / nr as f64);
            let cells = (0..nr)
                .flat_map(|r| (0..nc).map(move |c| (r, c)))
                .map(|(r, c)| {
                    // Nearest stored value to the centre of the drawn cell.
                    let sr = ((r as f64 + 0.5) * panel.rows as f64 / nr as f64) as usize;
                    let sc = ((c as f64 + 0.5) * panel.cols as f64 / nc as f64) as usize;
                    let v =
                        panel.values[sr.min(panel.rows - 1) * panel.cols + sc.min(panel.cols - 1)];
                    let colour = viridis((v - lo) / (hi - lo));
                    let (xa, ya) = (x0 + c as f64 * dx, y0 + r as f64 * dy);
                    Rectangle::new([(xa, ya), (xa + dx, ya + dy)], colour.filled())
                });
            chart.draw_series(cells).render_err()?;
        }
        // The colour bar.
        let mut bar = ChartBuilder::on(&bar_area)
            .caption(&plot.value_label, font(style::CAPTION_SIZE))
            .margin_top(8)
            .margin_bottom(52)
            .margin_left(8)
            .margin_right(4)
            .y_label_area_size(0)
            .right_y_label_area_size(80)
            .build_cartesian_2d(0.0..1.0, lo..hi)
            .render_err()?;
        let span = hi - lo;
        let fmt = move |v: &f64| style::fmt_tick_in(*v, span);
        bar.configure_mesh()
            .disable_x_mesh()
            .disable_y_mesh()
            .disable_x_axis()
            .y_labels(8)
            .y_label_formatter(&fmt)
            .label_style(font(style::TICK_SIZE))
            .axis_style(BLACK.mix(0.8))
            .draw()
            .render_err()?;
        const STEPS: usize = 128;
        bar.draw_series((0..STEPS).map(|i| {
            let a = lo + span * i as f64 / STEPS as f64;
            let b = lo + span * (i + 1) as f64 / STEPS as f64;
            let colour = viridis((i as f64 + 0.5) / STEPS as f64);
            Rectangle::new([(0.0, a), (1.0, b)], colour.filled())
        }))
        .render_err()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn viridis_ends_and_monotone_lightness() {
        assert_eq!(viridis(0.0), RGBColor(68, 1, 84));
        assert_eq!(viridis(1.0), RGBColor(253, 231, 37));
        assert_eq!(viridis(f64::NAN), viridis(0.0));
        assert_eq!(viridis(2.0), viridis(1.0));
        // Viridis brightens monotonically: the green channel rises along the map.
        let g: Vec<u8> = (0..=20).map(|i| viridis(i as f64 / 20.0).1).collect();
        assert!(g.windows(2).all(|w| w[0] <= w[1]), "{g:?}");
    }

    fn dir() -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("ai4de-heatmap-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn space_time_and_snapshots_render() {
        let d = dir();
        let (nt, nx) = (30, 50);
        let v: Vec<f64> = (0..nt * nx)
            .map(|k| ((k % nx) as f64 * 0.2 - (k / nx) as f64 * 0.1).sin())
            .collect();
        let plot = HeatmapPlot::new("space-time")
            .labels("x", "t")
            .value_label("u")
            .with_panel(HeatPanel::new(
                "",
                v.clone(),
                nt,
                nx,
                (0.0, 1.0),
                (0.0, 2.0),
            ));
        for ext in ["png", "svg"] {
            let p = d.join(format!("st.{ext}"));
            plot_heatmap(&p, &plot).unwrap();
            assert!(std::fs::metadata(&p).unwrap().len() > 1000);
        }
        let mut snaps = HeatmapPlot::new("snapshots").value_label("w");
        for k in 0..3 {
            snaps = snaps.with_panel(HeatPanel::new(
                format!("t = {k}"),
                v[..nx * 25].to_vec(),
                25,
                nx,
                (0.0, 1.0),
                (0.0, 1.0),
            ));
        }
        plot_heatmap(&d.join("snap.png"), &snaps).unwrap();
        // A constant field still draws (widened colour scale).
        let flat = HeatmapPlot::new("flat").with_panel(HeatPanel::new(
            "",
            vec![3.0; 4],
            2,
            2,
            (0.0, 1.0),
            (0.0, 1.0),
        ));
        plot_heatmap(&d.join("flat.png"), &flat).unwrap();
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn bad_input_is_a_typed_error() {
        let d = dir().join("bad");
        let p = d.with_extension("png");
        let empty = HeatmapPlot::new("e");
        assert!(matches!(
            plot_heatmap(&p, &empty),
            Err(ReportError::EmptyData { .. })
        ));
        let wrong = HeatmapPlot::new("w").with_panel(HeatPanel::new(
            "",
            vec![1.0; 5],
            2,
            2,
            (0.0, 1.0),
            (0.0, 1.0),
        ));
        assert!(matches!(
            plot_heatmap(&p, &wrong),
            Err(ReportError::InvalidSpec { .. })
        ));
        let nan = HeatmapPlot::new("n").with_panel(HeatPanel::new(
            "p",
            vec![1.0, f64::NAN, 0.0, 2.0],
            2,
            2,
            (0.0, 1.0),
            (0.0, 1.0),
        ));
        assert!(matches!(
            plot_heatmap(&p, &nan),
            Err(ReportError::NonFinite { index: 1, .. })
        ));
        let jpg = HeatmapPlot::new("j").with_panel(HeatPanel::new(
            "",
            vec![1.0; 4],
            2,
            2,
            (0.0, 1.0),
            (0.0, 1.0),
        ));
        assert!(matches!(
            plot_heatmap(&d.with_extension("jpg"), &jpg),
            Err(ReportError::UnsupportedFormat { .. })
        ));
    }
}
