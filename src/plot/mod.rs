//! Figures and movies (PNG, SVG, GIF, MP4) from plain data.
//!
//! Every figure is a small struct holding plain data (ndarray arrays, `Vec`s and the structs of this
//! module) that implements [`Figure`]; [`save`] writes it as PNG or SVG according to the output
//! file's extension. Text uses the DejaVu Sans font embedded in the binary ([`style::ensure_font`]),
//! so rendering needs no system fonts. Nothing is written when the data are invalid or drawing fails:
//! figures are rendered in memory first.
//!
//! | figure | struct | paper / spec |
//! |---|---|---|
//! | memories as 28×28 tiles, blue-white-red, colour bar | [`MemoryGrid`] | Fig. 1–3, §4.12 |
//! | label values per class (strips) | [`LabelStrips`] | movies, §4.3 |
//! | α per class at symmetric-ranked positions | [`AlphaPanels`] | Fig. 1C/D, §3.3 |
//! | lines with ±sd bands, log axes, event markers (m(t)) | [`LinePlot`] | Fig. 2A, §3.4–3.5 |
//! | stacked areas (recognition per class vs epoch) | [`StackedArea`] | Fig. 3C/F, §3.6, §3.11 |
//! | scatter with trajectories (UMAP, α plane) | [`ScatterTrajectories`] | Fig. 3A/D, Fig. 4, §3.8 |
//! | nullclines + flow + fixed points | [`PhasePlane`] | Fig. 5, §5.4 |
//! | bifurcation diagram | [`BifurcationDiagram`] | Fig. 5, §5.6 |
//! | heat map with colour bar and overlay lines | [`Heatmap`] | Fig. 6, §5.8 |
//! | split tree over epochs | [`Dendrogram`] | §3.10 |
//! | landscape contours with critical points | [`ContourPlot`] | bifurcating-hopfield §10.1 |
//!
//! Movies ([`movie`]): memory grids over epochs, scatter/UMAP trajectories and α-plane trajectories
//! as GIF (a 256-colour palette built from the colour maps, nearest-colour mapping, no dithering)
//! or MP4 (raw RGB frames piped to `ffmpeg`, when it is on `PATH`).

pub mod bifurcation;
pub mod compose;
pub mod contour;
pub mod dendrogram;
pub mod heatmap;
pub mod images;
pub mod isolines;
pub mod lineage;
pub mod lines;
pub mod movie;
pub mod phase;
pub mod scatter;
pub mod sheet;
pub mod style;

pub use bifurcation::{BifurcationDiagram, Branch};
pub use compose::Raster;
pub use contour::ContourPlot;
pub use dendrogram::{Dendrogram, TreeNode};
pub use heatmap::Heatmap;
pub use images::{AlphaPanels, LabelStrips, MemoryGrid, symmetric_rank_order};
pub use isolines::contour_segments;
pub use lineage::{Lineage, LineageFigure};
pub use lines::{Corner, Event, LinePlot, Series, StackedArea};
pub use movie::{MovieWriter, alpha_plane_movie, memory_grid_movie, scatter_movie};
pub use phase::{CriticalKind, CriticalPoint, PhasePlane, VectorField};
pub use scatter::{ClassPoint, ScatterTrajectories, Trail};
pub use sheet::{Framed, LabelBars, OrderChart, OrderRow, Panel, PixelImage, Sheet};
pub use style::{Colormap, tab10};

use crate::error::{Error, Result};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// The result of drawing on a backend (errors are the backend's, boxed).
pub type DrawResult = std::result::Result<(), Box<dyn std::error::Error + Send + Sync>>;

/// A figure: validated plain data that knows its pixel size and how to draw itself on any plotters
/// backend (bitmap for PNG and movie frames, SVG).
pub trait Figure {
    /// Width and height in pixels.
    fn size(&self) -> (u32, u32);
    /// Check the data (shapes, finiteness, ranges) before anything is drawn or written.
    fn validate(&self) -> Result<()>;
    /// Draw on `root`, which covers the whole figure and is already filled white.
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static;
}

/// The output format chosen by a file's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `.png`
    Png,
    /// `.svg`
    Svg,
}

impl Format {
    /// The format of `path` from its extension (case-insensitive), or an error naming the path.
    pub fn of(path: &Path) -> Result<Self> {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(|e| e.to_ascii_lowercase())
        {
            Some(e) if e == "png" => Ok(Format::Png),
            Some(e) if e == "svg" => Ok(Format::Svg),
            _ => Err(Error::invalid(
                "output",
                format!("{}: expected a file name ending in .png or .svg", path.display()),
            )),
        }
    }
}

fn drawing_error(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::io(path, std::io::Error::other(format!("drawing failed: {e}")))
}

/// Check, before any computation, that a figure can later be written to `path`: the extension is
/// `.png` or `.svg`, the file does not exist (unless `force`), and the nearest existing ancestor
/// folder is a folder. Errors name the path; nothing is created.
pub fn check_path(path: &Path, force: bool) -> Result<()> {
    Format::of(path)?;
    if path.exists() && !force {
        return Err(Error::Exists {
            path: path.to_path_buf(),
            message: "already exists (pass --force to overwrite)".into(),
        });
    }
    if path.is_dir() {
        return Err(Error::invalid("plot", format!("{} is a folder", path.display())));
    }
    let mut dir = path.parent();
    while let Some(d) = dir {
        if d.as_os_str().is_empty() || d.exists() {
            break;
        }
        dir = d.parent();
    }
    if let Some(d) = dir
        && !d.as_os_str().is_empty()
        && !d.is_dir()
    {
        return Err(Error::invalid(
            "plot",
            format!(
                "{}: cannot write there ({} is not a folder)",
                path.display(),
                d.display()
            ),
        ));
    }
    Ok(())
}

/// Render `fig` into an RGB8 buffer (row-major, 3 bytes per pixel) of size [`Figure::size`].
pub fn render_rgb(fig: &impl Figure) -> Result<Vec<u8>> {
    fig.validate()?;
    style::ensure_font();
    let (w, h) = fig.size();
    let mut buf = vec![255u8; (w as usize) * (h as usize) * 3];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        root.fill(&WHITE)
            .map_err(|e| drawing_error(Path::new("<frame>"), e))?;
        fig.draw(&root)
            .map_err(|e| drawing_error(Path::new("<frame>"), e))?;
        root.present()
            .map_err(|e| drawing_error(Path::new("<frame>"), e))?;
    }
    Ok(buf)
}

/// Render `fig` as an SVG document.
pub fn render_svg(fig: &impl Figure) -> Result<String> {
    fig.validate()?;
    style::ensure_font();
    let mut s = String::new();
    {
        let root = SVGBackend::with_string(&mut s, fig.size()).into_drawing_area();
        root.fill(&WHITE)
            .map_err(|e| drawing_error(Path::new("<svg>"), e))?;
        fig.draw(&root)
            .map_err(|e| drawing_error(Path::new("<svg>"), e))?;
        root.present().map_err(|e| drawing_error(Path::new("<svg>"), e))?;
    }
    Ok(s)
}

/// Encode an RGB8 buffer of `w`×`h` pixels as PNG bytes.
pub fn encode_png(rgb: &[u8], w: u32, h: u32) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_compression(png::Compression::Best);
        enc.set_adaptive_filter(png::AdaptiveFilterType::Adaptive);
        let err = |e: png::EncodingError| drawing_error(Path::new("<png>"), e);
        let mut wr = enc.write_header().map_err(err)?;
        wr.write_image_data(rgb).map_err(err)?;
    }
    Ok(out)
}

/// Write `fig` to `path` as PNG or SVG (by extension). The data are validated and the whole figure
/// rendered in memory before the file is created, so a failure leaves no file behind.
pub fn save(fig: &impl Figure, path: &Path) -> Result<()> {
    let bytes = match Format::of(path)? {
        Format::Png => {
            let rgb = render_rgb(fig)?;
            let (w, h) = fig.size();
            encode_png(&rgb, w, h)?
        }
        Format::Svg => render_svg(fig)?.into_bytes(),
    };
    write_file(path, &bytes)
}

/// Write bytes to `path`, creating missing parent folders.
pub(crate) fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(dir) = path.parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    crate::atomic::write_bytes(path, bytes, crate::atomic::Durability::Atomic)
}

/// Fail with a message naming `what` unless every value is finite.
pub(crate) fn check_finite_slice(what: &str, v: impl IntoIterator<Item = f64>) -> Result<()> {
    for (i, x) in v.into_iter().enumerate() {
        if !x.is_finite() {
            return Err(Error::invalid(
                what,
                format!("entry {i} is {x}; expected finite values"),
            ));
        }
    }
    Ok(())
}

/// The range [min, max] of finite values, widened by `pad` (a fraction of the span) on each side;
/// a degenerate span is widened to ±0.5 (or ±|v|/2). Returns (0, 1) for no values.
pub fn padded_range(values: impl IntoIterator<Item = f64>, pad: f64) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.into_iter().filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    if hi - lo <= f64::EPSILON * lo.abs().max(1.0) {
        let d = if lo == 0.0 { 0.5 } else { lo.abs() / 2.0 };
        return (lo - d, hi + d);
    }
    let d = (hi - lo) * pad;
    (lo - d, hi + d)
}

/// A text style of the embedded font at `size` pixels.
pub(crate) fn font(size: u32) -> TextStyle<'static> {
    (style::FONT, size).into_font().into()
}

/// Tick-label formatter for f64 axes (compact, no trailing zeros).
pub(crate) fn fmt_tick(v: &f64) -> String {
    heatmap::tick_label(*v)
}

/// The parts of a polyline inside the box [x0, x1]×[y0, y1] (Liang–Barsky clipping of each
/// segment; consecutive inside pieces stay joined). plotters would otherwise pin outside points to
/// the border of the plotting area.
pub fn clip_polyline(
    points: &[(f64, f64)],
    (x0, x1): (f64, f64),
    (y0, y1): (f64, f64),
) -> Vec<Vec<(f64, f64)>> {
    let mut out: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut current: Vec<(f64, f64)> = Vec::new();
    let inside = |p: (f64, f64)| p.0 >= x0 && p.0 <= x1 && p.1 >= y0 && p.1 <= y1;
    if points.len() == 1 && inside(points[0]) {
        return vec![points.to_vec()];
    }
    for w in points.windows(2) {
        let (a, b) = (w[0], w[1]);
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let (mut t0, mut t1) = (0.0f64, 1.0f64);
        let mut visible = true;
        for (p, q) in [(-dx, a.0 - x0), (dx, x1 - a.0), (-dy, a.1 - y0), (dy, y1 - a.1)] {
            if p == 0.0 {
                if q < 0.0 {
                    visible = false;
                    break;
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
        if !visible || t0 > t1 {
            if current.len() > 1 {
                out.push(std::mem::take(&mut current));
            }
            current.clear();
            continue;
        }
        let pa = if t0 > 0.0 {
            (a.0 + t0 * dx, a.1 + t0 * dy)
        } else {
            a
        };
        let pb = if t1 < 1.0 {
            (a.0 + t1 * dx, a.1 + t1 * dy)
        } else {
            b
        };
        if current.last() != Some(&pa) {
            if current.len() > 1 {
                out.push(std::mem::take(&mut current));
            }
            current = vec![pa];
        }
        current.push(pb);
        if t1 < 1.0 {
            out.push(std::mem::take(&mut current));
        }
    }
    if current.len() > 1 {
        out.push(current);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clipping_cuts_at_the_box_edges() {
        // A line leaving and re-entering the unit box.
        let pts = [(0.5, 0.5), (1.5, 0.5), (1.5, 0.8), (0.5, 0.8)];
        let parts = clip_polyline(&pts, (0.0, 1.0), (0.0, 1.0));
        assert_eq!(
            parts,
            vec![vec![(0.5, 0.5), (1.0, 0.5)], vec![(1.0, 0.8), (0.5, 0.8)]]
        );
        let inside = [(0.1, 0.1), (0.2, 0.3), (0.4, 0.2)];
        assert_eq!(
            clip_polyline(&inside, (0.0, 1.0), (0.0, 1.0)),
            vec![inside.to_vec()]
        );
        assert!(clip_polyline(&[(2.0, 2.0), (3.0, 3.0)], (0.0, 1.0), (0.0, 1.0)).is_empty());
    }
}
