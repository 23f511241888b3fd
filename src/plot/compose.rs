//! Multi-panel figures from rendered panels: every panel is a [`Figure`] rendered on its own
//! ([`Raster::of`]); rows of panels are stitched side by side (top-aligned, white background,
//! optional gaps) and stacked ([`stitch`]), optionally under a figure title ([`compose`]), and
//! written as PNG ([`save_png`]). Panels that should stay vector drawings on one canvas (SVG) are
//! laid out by [`super::sheet::Sheet`] instead, with the same row layout.

use super::Figure;
use crate::error::{Error, Result};
use plotters::prelude::*;
use std::path::Path;

/// An RGB8 image (row-major, 3 bytes per pixel).
#[derive(Debug, Clone)]
pub struct Raster {
    /// Pixels.
    pub rgb: Vec<u8>,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

impl Raster {
    /// Render a figure (validated first).
    pub fn of(fig: &impl Figure) -> Result<Raster> {
        let rgb = super::render_rgb(fig)?;
        let (width, height) = fig.size();
        Ok(Raster { rgb, width, height })
    }

    /// Width and height in pixels.
    pub fn size(&self) -> (u32, u32) {
        (self.width, self.height)
    }
}

/// Where the panels of a multi-panel figure go: the one layout of the project's figures, used by
/// [`stitch`] (rendered panels) and by [`super::sheet::Sheet`] (panels drawn on one canvas).
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    /// Width and height of the whole figure.
    pub size: (u32, u32),
    /// The top-left corner of each panel, row by row.
    pub origins: Vec<Vec<(u32, u32)>>,
}

/// Lay out rows of panels of the given sizes: the panels of a row side by side (top-aligned), the
/// rows stacked (a row is as tall as its tallest panel), `gap` pixels between panels and between
/// rows, below a title bar `top` pixels high.
pub fn layout(rows: &[Vec<(u32, u32)>], gap: u32, top: u32) -> Layout {
    let row_w =
        |r: &Vec<(u32, u32)>| r.iter().map(|p| p.0).sum::<u32>() + gap * r.len().saturating_sub(1) as u32;
    let row_h = |r: &Vec<(u32, u32)>| r.iter().map(|p| p.1).max().unwrap_or(0);
    let width = rows.iter().map(row_w).max().unwrap_or(0);
    let height = top + rows.iter().map(row_h).sum::<u32>() + gap * rows.len().saturating_sub(1) as u32;
    let mut origins = Vec::with_capacity(rows.len());
    let mut y = top;
    for r in rows {
        let mut x = 0;
        let mut row = Vec::with_capacity(r.len());
        for p in r {
            row.push((x, y));
            x += p.0 + gap;
        }
        origins.push(row);
        y += row_h(r) + gap;
    }
    Layout {
        size: (width, height),
        origins,
    }
}

/// Stitch rows of panels into one image ([`layout`]): panels of a row side by side (top-aligned),
/// rows stacked, `gap` white pixels between panels and rows, white background.
pub fn stitch(rows: &[Vec<Raster>], gap: u32) -> Raster {
    let sizes: Vec<Vec<(u32, u32)>> = rows
        .iter()
        .map(|r| r.iter().map(Raster::size).collect())
        .collect();
    let l = layout(&sizes, gap, 0);
    let (width, height) = (l.size.0.max(1), l.size.1.max(1));
    let mut rgb = vec![255u8; width as usize * height as usize * 3];
    for (r, origins) in rows.iter().zip(&l.origins) {
        for (p, &(x0, y0)) in r.iter().zip(origins) {
            for y in 0..p.height as usize {
                let src = &p.rgb[y * p.width as usize * 3..(y + 1) * p.width as usize * 3];
                let start = ((y0 as usize + y) * width as usize + x0 as usize) * 3;
                rgb[start..start + src.len()].copy_from_slice(src);
            }
        }
    }
    Raster { rgb, width, height }
}

/// Height of the title bar of [`compose`].
const TITLE_H: u32 = 44;

/// Tile `rows` of panels (each row left to right, rows top to bottom, no gaps) under `title`
/// (none when empty).
pub fn compose(title: &str, rows: &[Vec<Raster>]) -> Result<Raster> {
    if rows
        .iter()
        .all(|r| r.iter().all(|p| p.width == 0 || p.height == 0))
    {
        return Err(Error::invalid("figure panels", "no panels to compose"));
    }
    let body = stitch(rows, 0);
    if title.is_empty() {
        return Ok(body);
    }
    let (width, height) = (body.width, body.height + TITLE_H);
    let mut rgb = vec![255u8; width as usize * TITLE_H as usize * 3];
    rgb.extend_from_slice(&body.rgb);
    super::style::ensure_font();
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (width, height)).into_drawing_area();
        let style =
            TextStyle::from(("sans-serif", 26).into_font()).pos(plotters::style::text_anchor::Pos::new(
                plotters::style::text_anchor::HPos::Center,
                plotters::style::text_anchor::VPos::Center,
            ));
        root.draw_text(title, &style, ((width / 2) as i32, (TITLE_H / 2) as i32))
            .map_err(|e| Error::invalid("figure title", e.to_string()))?;
        root.present()
            .map_err(|e| Error::invalid("figure title", e.to_string()))?;
    }
    Ok(Raster { rgb, width, height })
}

/// Write a raster as PNG (encoded in memory first; nothing is written on failure).
pub fn save_png(r: &Raster, path: &Path) -> Result<()> {
    let bytes = super::encode_png(&r.rgb, r.width, r.height)?;
    crate::atomic::write_bytes(path, bytes, crate::atomic::Durability::Atomic)
}

/// [`compose`] and write the result as PNG.
pub fn save_grid(path: &Path, title: &str, rows: &[Vec<Raster>]) -> Result<()> {
    save_png(&compose(title, rows)?, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn solid(c: [u8; 3], w: u32, h: u32) -> Raster {
        Raster {
            rgb: c.repeat((w * h) as usize),
            width: w,
            height: h,
        }
    }

    #[test]
    fn panels_are_tiled_row_by_row() {
        let red = solid([200, 0, 0], 2, 2);
        let blue = solid([0, 0, 200], 3, 1);
        let r = compose("", &[vec![red.clone(), red], vec![blue]]).unwrap();
        assert_eq!(r.size(), (4, 3));
        let px = |x: usize, y: usize| &r.rgb[(y * 4 + x) * 3..(y * 4 + x) * 3 + 3];
        assert_eq!(px(3, 1), &[200, 0, 0]);
        assert_eq!(px(2, 2), &[0, 0, 200]);
        assert_eq!(px(3, 2), &[255, 255, 255]);
    }

    #[test]
    fn stitch_leaves_gaps_between_panels_and_rows() {
        let a = solid([10, 10, 10], 2, 1);
        let b = solid([20, 20, 20], 1, 2);
        let r = stitch(&[vec![a.clone(), b], vec![a]], 1);
        assert_eq!(r.size(), (4, 4));
        let px = |x: usize, y: usize| r.rgb[(y * 4 + x) * 3];
        assert_eq!((px(0, 0), px(2, 0), px(3, 0), px(3, 1)), (10, 255, 20, 20));
        assert_eq!((px(0, 2), px(0, 3)), (255, 10));
    }

    #[test]
    fn stitch_places_panels() {
        let red = Raster {
            rgb: [255, 0, 0].repeat(4),
            width: 2,
            height: 2,
        };
        let blue = Raster {
            rgb: [0, 0, 255].repeat(3),
            width: 3,
            height: 1,
        };
        let s = stitch(&[vec![red.clone(), blue], vec![red]], 1);
        assert_eq!((s.width, s.height), (6, 5));
        let px = |x: usize, y: usize| &s.rgb[(y * 6 + x) * 3..(y * 6 + x) * 3 + 3];
        assert_eq!(px(0, 0), [255, 0, 0]);
        assert_eq!(px(2, 0), [255, 255, 255]);
        assert_eq!(px(3, 0), [0, 0, 255]);
        assert_eq!(px(3, 1), [255, 255, 255]);
        assert_eq!(px(1, 4), [255, 0, 0]);
    }

    #[test]
    fn a_title_bar_goes_above_the_panels() {
        let r = compose("A", &[vec![solid([0, 0, 0], 60, 5)]]).unwrap();
        assert_eq!(r.size(), (60, 5 + TITLE_H));
        assert_eq!(&r.rgb[(TITLE_H as usize * 60) * 3..][..3], &[0, 0, 0]);
        assert!(compose("", &[]).is_err());
    }
}
