//! Output format detection, the bundled font, rendering into memory and atomic file writes.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::{register_font, FontStyle};

use crate::error::{RenderResultExt, ReportError};

/// The font family every chart uses; it is the bundled DejaVu Sans, registered on first use.
pub const FONT_FAMILY: &str = "DejaVu Sans";

/// Largest accepted width or height, in pixels.
pub(crate) const MAX_SIDE: u32 = 8192;
/// Smallest accepted width or height, in pixels.
pub(crate) const MIN_SIDE: u32 = 200;

static FONTS: Once = Once::new();

/// Registers the bundled DejaVu Sans with plotters (once per process).
///
/// Registered under [`FONT_FAMILY`] and, as a safety net for any plotters default, under
/// `"sans-serif"`. No system font is ever looked up.
pub(crate) fn ensure_fonts() {
    FONTS.call_once(|| {
        for family in [FONT_FAMILY, "sans-serif"] {
            let faces: [(FontStyle, &'static [u8]); 4] = [
                (FontStyle::Normal, dejavu::sans::regular()),
                (FontStyle::Bold, dejavu::sans::bold()),
                (FontStyle::Oblique, dejavu::sans::oblique()),
                (FontStyle::Italic, dejavu::sans::oblique()),
            ];
            for (style, bytes) in faces {
                // The bundled TTFs are valid; should parsing ever fail, text rendering reports
                // a typed `Render` error later instead of panicking here.
                let _ = register_font(family, style, bytes);
            }
        }
    });
}

/// The image formats a plot can be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    /// Portable Network Graphics (raster).
    Png,
    /// Scalable Vector Graphics.
    Svg,
}

impl Format {
    /// Picks the format from the extension of `path` (`.png` / `.svg`, case-insensitive).
    ///
    /// # Errors
    /// [`ReportError::UnsupportedFormat`] for any other (or missing) extension.
    pub fn from_path(path: &Path) -> Result<Self, ReportError> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("png") => Ok(Self::Png),
            Some("svg") => Ok(Self::Svg),
            _ => Err(ReportError::UnsupportedFormat {
                path: path.to_path_buf(),
            }),
        }
    }
}

/// Something that can draw itself onto any plotters backend.
pub(crate) trait Figure {
    /// `raster` is true for bitmap output (PNG), false for vector output (SVG).
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        raster: bool,
    ) -> Result<(), ReportError>;
}

pub(crate) fn check_size((w, h): (u32, u32)) -> Result<(), ReportError> {
    if !(MIN_SIDE..=MAX_SIDE).contains(&w) || !(MIN_SIDE..=MAX_SIDE).contains(&h) {
        return Err(ReportError::invalid(format!(
            "image size {w}x{h} is outside {MIN_SIDE}..={MAX_SIDE} pixels per side"
        )));
    }
    Ok(())
}

/// Renders `figure` into memory in the format chosen by `path`'s extension, then writes it
/// atomically to `path`.
pub(crate) fn render_to_file<F: Figure>(
    path: &Path,
    size: (u32, u32),
    figure: &F,
) -> Result<(), ReportError> {
    let format = Format::from_path(path)?;
    check_size(size)?;
    ensure_fonts();
    let bytes = catch_panics(|| match format {
        Format::Png => render_png(size, figure),
        Format::Svg => render_svg(size, figure),
    })?;
    write_atomically(path, &bytes)
}

/// Backstop: plotters may assert on corner cases we did not anticipate; turn that into a
/// typed error instead of unwinding through the caller.
fn catch_panics<T>(f: impl FnOnce() -> Result<T, ReportError>) -> Result<T, ReportError> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(payload) => {
            let msg = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            Err(ReportError::Render(format!("plotters panicked: {msg}")))
        }
    }
}

fn render_png<F: Figure>((w, h): (u32, u32), figure: &F) -> Result<Vec<u8>, ReportError> {
    let mut rgb = vec![255u8; w as usize * h as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
        root.fill(&WHITE).render_err()?;
        figure.draw(&root, true)?;
        root.present().render_err()?;
    }
    let mut out = Vec::with_capacity(rgb.len() / 8);
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_compression(png::Compression::Default);
        let mut writer = enc.write_header().render_err()?;
        writer.write_image_data(&rgb).render_err()?;
        writer.finish().render_err()?;
    }
    Ok(out)
}

fn render_svg<F: Figure>(size: (u32, u32), figure: &F) -> Result<Vec<u8>, ReportError> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE).render_err()?;
        figure.draw(&root, false)?;
        root.present().render_err()?;
    }
    Ok(svg.into_bytes())
}

static TMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Writes `bytes` to a fresh temporary file next to `path`, syncs it and renames it over
/// `path`, so readers never see a half-written plot. The temporary file is removed on error.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    let io_err = |source| ReportError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file_name = path.file_name().ok_or_else(|| {
        io_err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "path has no file name",
        ))
    })?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let tmp = loop {
        let n = TMP_COUNTER.fetch_add(1, Ordering::Relaxed);
        let mut name = std::ffi::OsString::from(".");
        name.push(file_name);
        name.push(format!(".{}.{n}.tmp", std::process::id()));
        let candidate = dir.join(name);
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&candidate)
        {
            Ok(file) => break (candidate, file),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(io_err(e)),
        }
    };
    let (tmp_path, mut file) = tmp;
    let result = file
        .write_all(bytes)
        .and_then(|()| file.sync_all())
        .and_then(|()| {
            drop(file);
            fs::rename(&tmp_path, path)
        });
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp_path);
        return Err(io_err(e));
    }
    Ok(())
}
