//! `waddington view`: a run (or a sweep) in the browser (`docs/viewer.md`).
//!
//! * [`data`]: gather a run folder's trajectory, its `analysis/` outputs (computed in memory when
//!   absent) and optional UMAP trails into a metadata document and compressed arrays;
//! * [`encode`]: the compact encoding (bytes per value, frame differences, zlib, base64);
//! * [`page`]: the HTML template (`viewer.html`, `viewer.css`, `viewer.js`, compiled in) filled
//!   with the data: one self-contained file, or a page that fetches it from [`serve`];
//! * [`sweep`]: the (n, T) overview of a sweep folder, each cell linking to a point's page;
//! * [`serve`]: a loopback-only HTTP server for large runs and sweeps.
//!
//! Plain JavaScript and canvas: no framework, no external script, font or request. The module sits
//! below `sweep` in the layers (it reads sweep folders) and above `cli` only.

pub mod data;
pub mod encode;
pub mod page;
pub mod serve;
pub mod sweep;

pub use data::{GatherOptions, RunView, gather};

use crate::atomic::{self, Durability};
use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// The overview page's name inside a sweep's output folder.
pub const OVERVIEW: &str = "index.html";

/// What `waddington view` wrote.
#[derive(Debug, Clone)]
pub struct Written {
    /// Pages written, with their sizes in bytes (the overview last, for a sweep).
    pub pages: Vec<(PathBuf, usize)>,
    /// Compressed data bytes of the run pages, summed.
    pub data_bytes: usize,
    /// The same decoded.
    pub raw_bytes: usize,
}

/// Whether `dir` is a sweep folder (holds `sweep.json`).
pub fn is_sweep(dir: &Path) -> bool {
    dir.join("sweep.json").is_file()
}

/// The default output: `RUN_DIR/view.html` for a run, `SWEEP_DIR/view/` for a sweep.
pub fn default_out(dir: &Path) -> PathBuf {
    if is_sweep(dir) {
        dir.join("view")
    } else {
        dir.join("view.html")
    }
}

/// Write the page(s) of `dir`: one self-contained page at `out` for a run folder; for a sweep
/// folder, `out/points/<id>.html` for every finished point and `out/index.html` (the overview).
/// A finished output (the page, or the overview) is refused without `force`.
pub fn write(dir: &Path, out: &Path, force: bool, options: &GatherOptions) -> Result<Written> {
    if is_sweep(dir) {
        write_sweep(dir, out, force, options)
    } else {
        write_run(dir, out, force, options)
    }
}

/// The (folder, file name) of an output page path.
fn split_out(out: &Path) -> Result<(&Path, &str)> {
    let (parent, name) = atomic::out_parts(out)?;
    if out.is_dir() {
        return Err(Error::invalid(
            "--out",
            format!(
                "{} is a folder; give the page's file name, e.g. {}/view.html",
                out.display(),
                out.display()
            ),
        ));
    }
    Ok((parent, name))
}

/// One run's self-contained page at `out`.
pub fn write_run(dir: &Path, out: &Path, force: bool, options: &GatherOptions) -> Result<Written> {
    let (parent, name) = split_out(out)?;
    atomic::check_finished(parent, &[name], force)?;
    let view = gather(dir, options)?;
    let html = page::embedded_page(&view)?;
    atomic::check_outputs(parent, &[name], force)?;
    atomic::write_bytes(out, html.as_bytes(), Durability::Atomic)?;
    Ok(Written {
        pages: vec![(out.to_path_buf(), html.len())],
        data_bytes: view.blobs.compressed_size(),
        raw_bytes: view.blobs.raw_sizes.iter().sum(),
    })
}

/// A sweep's pages under `out` (the overview written last: its presence marks the output done).
pub fn write_sweep(dir: &Path, out: &Path, force: bool, options: &GatherOptions) -> Result<Written> {
    let m = sweep::manifest_of(dir)?
        .ok_or_else(|| Error::format(dir, "is not a sweep folder (no sweep.json)"))?;
    atomic::check_finished(out, &[OVERVIEW], force)?;
    let ov = sweep::overview(dir, &m, |id| format!("points/{id}.html"))?;
    atomic::check_outputs(out, &[OVERVIEW], force)?;
    let pdir = out.join("points");
    std::fs::create_dir_all(&pdir).map_err(|e| Error::io(&pdir, e))?;
    let mut written = Written {
        pages: Vec::new(),
        data_bytes: 0,
        raw_bytes: 0,
    };
    let point_options = GatherOptions {
        back: Some(format!("../{OVERVIEW}")),
        ..options.clone()
    };
    for p in ov.points.iter().filter(|p| p.page.is_some()) {
        let path = pdir.join(format!("{}.html", p.id));
        let one = write_run(&dir.join("points").join(&p.id), &path, true, &point_options)?;
        written.pages.extend(one.pages);
        written.data_bytes += one.data_bytes;
        written.raw_bytes += one.raw_bytes;
    }
    let html = page::overview_page(&format!("Sweep {}", ov.name), &ov)?;
    let index = out.join(OVERVIEW);
    atomic::write_bytes(&index, html.as_bytes(), Durability::Atomic)?;
    written.pages.push((index, html.len()));
    Ok(written)
}
