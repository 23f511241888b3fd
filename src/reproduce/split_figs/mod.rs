//! Helpers shared by paper Figs. 4, 7 and 8 (`reproduce fig4|fig7|fig8`): composing rendered
//! panels into one PNG, TOML list text for sweep grids, absolute output paths (sweep grids resolve
//! relative paths against their own folder) and deterministic parallel maps for in-memory runs.

use crate::error::{Error, Result};
use crate::plot::{self, Figure};
use crate::reproduce::Context;
use std::path::{Path, PathBuf};

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

/// Render a figure in memory.
pub fn raster(fig: &impl Figure) -> Result<Raster> {
    let rgb = plot::render_rgb(fig)?;
    let (width, height) = fig.size();
    Ok(Raster { rgb, width, height })
}

/// Stitch rows of panels into one image: panels of a row side by side (top-aligned), rows stacked,
/// `gap` white pixels between panels and rows, white background.
pub fn stitch(rows: &[Vec<Raster>], gap: u32) -> Raster {
    let row_w =
        |r: &Vec<Raster>| r.iter().map(|p| p.width).sum::<u32>() + gap * r.len().saturating_sub(1) as u32;
    let row_h = |r: &Vec<Raster>| r.iter().map(|p| p.height).max().unwrap_or(0);
    let width = rows.iter().map(row_w).max().unwrap_or(1).max(1);
    let height = (rows.iter().map(row_h).sum::<u32>() + gap * rows.len().saturating_sub(1) as u32).max(1);
    let mut rgb = vec![255u8; width as usize * height as usize * 3];
    let mut y0 = 0usize;
    for r in rows {
        let mut x0 = 0usize;
        for p in r {
            for y in 0..p.height as usize {
                let src = &p.rgb[y * p.width as usize * 3..(y + 1) * p.width as usize * 3];
                let start = ((y0 + y) * width as usize + x0) * 3;
                rgb[start..start + src.len()].copy_from_slice(src);
            }
            x0 += (p.width + gap) as usize;
        }
        y0 += (row_h(r) + gap) as usize;
    }
    Raster { rgb, width, height }
}

/// Write a raster as PNG (encoded in memory first; nothing is written on failure).
pub fn save_png(r: &Raster, path: &Path) -> Result<()> {
    let bytes = plot::encode_png(&r.rgb, r.width, r.height)?;
    crate::atomic::write_bytes(path, bytes, crate::atomic::Durability::Atomic)
}

/// The context with its output folder made absolute, so that file paths written into sweep grids
/// (which resolve relative paths against `runs/`) stay valid.
pub fn absolute_context(ctx: &Context) -> Result<Context> {
    let mut c = ctx.clone();
    c.opts.out = std::path::absolute(&ctx.opts.out).map_err(|e| Error::io(&ctx.opts.out, e))?;
    Ok(c)
}

/// Write an .npy array into the figure folder and return its path.
pub fn write_npy<A, D>(ctx: &Context, name: &str, a: &ndarray::ArrayBase<A, D>) -> Result<PathBuf>
where
    A: ndarray::Data<Elem = f64>,
    D: ndarray::Dimension,
{
    let p = ctx.path(name);
    crate::npy::write(&p, a)?;
    Ok(p)
}

/// `f` applied to every item on a pool of `jobs` threads, results in item order (each item is
/// computed independently, so the results do not depend on `jobs`).
pub fn par_map<T, R, F>(jobs: usize, items: Vec<T>, f: F) -> Result<Vec<R>>
where
    T: Send,
    R: Send,
    F: Fn(T) -> Result<R> + Sync + Send,
{
    use rayon::prelude::*;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.max(1))
        .build()
        .map_err(|e| Error::invalid("--jobs", format!("cannot start {jobs} threads: {e}")))?;
    pool.install(|| items.into_par_iter().map(f).collect::<Vec<Result<R>>>())
        .into_iter()
        .collect()
}

/// Kendall's τ-b (re-exported from the landscape ensembles).
pub fn kendall(x: &[f64], y: &[f64]) -> f64 {
    crate::landscape::ensemble::kendall_tau_b(x, y)
}

/// Compress a sequence of booleans into segments `(value, first index, last index)`.
pub fn segments(flags: &[bool]) -> Vec<(bool, usize, usize)> {
    let mut out: Vec<(bool, usize, usize)> = Vec::new();
    for (i, &f) in flags.iter().enumerate() {
        match out.last_mut() {
            Some(last) if last.0 == f => last.2 = i,
            _ => out.push((f, i, i)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_merge_runs() {
        let s = segments(&[true, true, false, false, false, true]);
        assert_eq!(s, vec![(true, 0, 1), (false, 2, 4), (true, 5, 5)]);
        assert!(segments(&[]).is_empty());
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
}
