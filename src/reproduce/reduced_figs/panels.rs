//! Multi-panel figures for the reduced-system and bifurcating-network reproductions: every panel
//! is a [`crate::plot::Figure`] rendered on its own, and the panels are tiled row by row (left
//! aligned, white background) under an optional figure title.

use crate::error::{Error, Result};
use crate::plot::{self, Figure};
use plotters::prelude::*;
use std::path::Path;

/// One rendered panel: RGB8 pixels, row-major.
#[derive(Debug, Clone)]
pub struct Panel {
    rgb: Vec<u8>,
    w: u32,
    h: u32,
}

impl Panel {
    /// Render a figure (validated first).
    pub fn of(fig: &impl Figure) -> Result<Panel> {
        let rgb = plot::render_rgb(fig)?;
        let (w, h) = fig.size();
        Ok(Panel { rgb, w, h })
    }

    /// Width and height in pixels.
    pub fn size(&self) -> (u32, u32) {
        (self.w, self.h)
    }
}

/// Height of the title bar.
const TITLE_H: u32 = 44;

/// Tile `rows` of panels (each row left to right, rows top to bottom) under `title` and return
/// the RGB8 buffer with its size.
pub fn compose(title: &str, rows: &[Vec<Panel>]) -> Result<(Vec<u8>, u32, u32)> {
    let width = rows
        .iter()
        .map(|r| r.iter().map(|p| p.w).sum::<u32>())
        .max()
        .unwrap_or(0);
    let top = if title.is_empty() { 0 } else { TITLE_H };
    let height = top
        + rows
            .iter()
            .map(|r| r.iter().map(|p| p.h).max().unwrap_or(0))
            .sum::<u32>();
    if width == 0 || height == top {
        return Err(Error::invalid("figure panels", "no panels to compose"));
    }
    let (wu, hu) = (width as usize, height as usize);
    let mut buf = vec![255u8; wu * hu * 3];
    let mut y0 = top as usize;
    for row in rows {
        let mut x0 = 0usize;
        for p in row {
            for r in 0..p.h as usize {
                let src = &p.rgb[r * p.w as usize * 3..(r + 1) * p.w as usize * 3];
                let at = ((y0 + r) * wu + x0) * 3;
                buf[at..at + src.len()].copy_from_slice(src);
            }
            x0 += p.w as usize;
        }
        y0 += row.iter().map(|p| p.h as usize).max().unwrap_or(0);
    }
    if !title.is_empty() {
        plot::style::ensure_font();
        let root = BitMapBackend::with_buffer(&mut buf, (width, height)).into_drawing_area();
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
    Ok((buf, width, height))
}

/// [`compose`] and write the result as PNG.
pub fn save_grid(path: &Path, title: &str, rows: &[Vec<Panel>]) -> Result<()> {
    let (rgb, w, h) = compose(title, rows)?;
    let png = plot::encode_png(&rgb, w, h)?;
    crate::atomic::write_bytes(path, png, crate::atomic::Durability::Atomic)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panels_are_tiled_row_by_row() {
        let red = Panel {
            rgb: [200u8, 0, 0].repeat(4),
            w: 2,
            h: 2,
        };
        let blue = Panel {
            rgb: [0u8, 0, 200].repeat(3),
            w: 3,
            h: 1,
        };
        let (buf, w, h) = compose("", &[vec![red.clone(), red], vec![blue]]).unwrap();
        assert_eq!((w, h), (4, 3));
        let px = |x: usize, y: usize| &buf[(y * 4 + x) * 3..(y * 4 + x) * 3 + 3];
        assert_eq!(px(3, 1), &[200, 0, 0]);
        assert_eq!(px(2, 2), &[0, 0, 200]);
        assert_eq!(px(3, 2), &[255, 255, 255]);
    }
}
