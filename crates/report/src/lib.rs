//! Plots for ai4de: trajectories (components against time plus a phase portrait) and
//! general x–y line charts with optional log–log axes (work–precision diagrams, convergence
//! plots).
//!
//! * No system font is used: the bundled DejaVu Sans (from the `dejavu` crate) is registered
//!   with plotters once per process under [`FONT_FAMILY`], and every chart uses it.
//! * The format comes from the file extension: `.png` (raster) or `.svg` (vector); anything
//!   else is [`ReportError::UnsupportedFormat`].
//! * Files are written atomically: the image is rendered in memory, written to a temporary
//!   file in the target directory, synced, then renamed over the target.
//! * Bad input (empty data, NaN/∞, mismatched lengths, a component index out of range) is a
//!   typed [`ReportError`], never a panic. NaN/∞ are rejected by default;
//!   [`NonFinitePolicy::Skip`] drops them instead (lines are broken at the gap).
//! * Long curves are thinned for drawing (per-bucket minima and maxima are kept), so a
//!   million-step trajectory still gives a small SVG.
//! * Legends sit beside the chart (wrapping into columns), never over the data. With more
//!   than [`MAX_AUTO_COMPONENTS`] components only the first ones are drawn against time
//!   (the panel says so) unless [`TrajectoryPlot::components`] picks them.
//! * Phase portraits ([`Phase`]): `y1` vs `y0` for two states, a 3-D curve for three
//!   (plotters' 3-D chart, viewed across the x = y diagonal so a Lorenz attractor shows both
//!   wings), or any chosen pair/triple; coloured early → late, start and end marked.
//! * Log axes ([`LinePlot::log_log`]) are labelled `10⁻⁶`, `2×10⁻⁶`, ... and keep their
//!   labels below `f64::EPSILON` (plotters' built-in log axis drops those).
//!
//! # Example
//!
//! ```
//! use ai4de_report::{plot_lines, plot_trajectories, LinePlot, Marker, Series, TrajectoryPlot};
//!
//! # fn main() -> Result<(), ai4de_report::ReportError> {
//! let dir = std::env::temp_dir().join(format!("ai4de-report-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//!
//! // A harmonic oscillator: y = (x, v), row-major, one row per time point.
//! let t: Vec<f64> = (0..200).map(|i| i as f64 * 0.05).collect();
//! let y: Vec<f64> = t.iter().flat_map(|&t| [t.cos(), -t.sin()]).collect();
//! let spec = TrajectoryPlot::new("Harmonic oscillator", &t, &y, 2).names(["x", "v"]);
//! plot_trajectories(&dir.join("oscillator.png"), &spec)?; // left: x, v vs t; right: v vs x
//! plot_trajectories(&dir.join("oscillator.svg"), &spec)?;
//!
//! // A work–precision diagram: error against run time, log–log, one series per method.
//! let plot = LinePlot::new("Work–precision")
//!     .x_label("run time [s]")
//!     .y_label("max error")
//!     .log_log()
//!     .with_series(
//!         Series::new("rk4", [(1e-4, 1e-3), (4e-4, 1e-6), (2e-3, 1e-9)]).marker(Marker::Circle),
//!     )
//!     .with_series(
//!         Series::new("dopri5", [(2e-4, 1e-5), (6e-4, 1e-8), (1e-3, 1e-11)])
//!             .marker(Marker::Square),
//!     );
//! plot_lines(&dir.join("work_precision.png"), &plot)?;
//!
//! // Anything but .png / .svg is a typed error.
//! assert!(matches!(
//!     plot_lines(&dir.join("plot.jpg"), &plot),
//!     Err(ai4de_report::ReportError::UnsupportedFormat { .. })
//! ));
//! # std::fs::remove_dir_all(&dir).unwrap();
//! # Ok(())
//! # }
//! ```

mod axis;
mod error;
mod heatmap;
mod lines;
mod output;
mod style;
mod trajectory;

pub use error::ReportError;
pub use heatmap::{plot_heatmap, viridis, HeatPanel, HeatmapPlot};
pub use lines::{plot_lines, LinePlot, Marker, Series};
pub use output::{Format, FONT_FAMILY};
pub use trajectory::{
    plot_trajectories, Phase, TrajectoryPlot, DEFAULT_MAX_POINTS, MAX_AUTO_COMPONENTS,
};

/// What to do with NaN/∞ values (and, on a logarithmic axis, values `<= 0`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum NonFinitePolicy {
    /// Fail with [`ReportError::NonFinite`] / [`ReportError::NonPositiveOnLogAxis`] naming
    /// the series and index of the first offending value.
    #[default]
    Reject,
    /// Leave such points out; lines are broken where points were dropped. Still fails with
    /// [`ReportError::EmptyData`] when nothing drawable is left.
    Skip,
}
