//! Movies of learning: memory grids over epochs, scatter (UMAP) trajectories and α-plane
//! trajectories, written as GIF or MP4 by the output file's extension.
//!
//! * GIF: every frame is rendered in memory (the same [`Figure`]s as the still images) and mapped to
//!   a fixed 256-colour palette ([`movie_palette`]: 129 blue-white-red steps including the exact end
//!   colours and white, 32 greys, tab10 blended with white at 7 strengths, 25 viridis steps) by
//!   nearest colour, without dithering, so smooth colour-map areas stay smooth (no speckle).
//! * MP4: raw RGB frames are piped to `ffmpeg` (H.264/yuv420p when available), which must be on
//!   `PATH` (Debian: `apt-get install ffmpeg`); otherwise a clear error is returned before anything
//!   is written.
//!
//! Frames are written to `<out>.partial` and renamed at the end, so a failure leaves no file.

use super::images::MemoryGrid;
use super::scatter::{ScatterTrajectories, Trail};
use super::style::{Colormap, tab10};
use super::{Figure, render_rgb};
use crate::error::{Error, Result};
use ndarray::{ArrayView3, Axis};
use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The fixed 256-colour GIF palette (RGB triples).
pub fn movie_palette() -> Vec<[u8; 3]> {
    let mut p = Vec::with_capacity(256);
    let bwr = Colormap::bwr();
    for k in 0..=128 {
        let c = bwr.at(k as f64 / 128.0);
        p.push([c.0, c.1, c.2]);
    }
    for k in 0..32 {
        let g = (k * 255 / 31) as u8;
        p.push([g, g, g]);
    }
    for c in 0..10 {
        let t = tab10(c);
        for a in [1.0, 0.85, 0.7, 0.5, 0.3, 0.15, 0.08] {
            let mix = |v: u8| (a * v as f64 + (1.0 - a) * 255.0).round() as u8;
            p.push([mix(t.0), mix(t.1), mix(t.2)]);
        }
    }
    let vir = Colormap::viridis();
    while p.len() < 256 {
        let k = p.len() - 231;
        let c = vir.at(k as f64 / 24.0);
        p.push([c.0, c.1, c.2]);
    }
    p
}

/// Nearest-colour mapping of RGB pixels to a palette (squared RGB distance), cached per colour.
struct Quantizer {
    palette: Vec<[u8; 3]>,
    cache: HashMap<[u8; 3], u8>,
}

impl Quantizer {
    fn new(palette: Vec<[u8; 3]>) -> Self {
        Quantizer {
            palette,
            cache: HashMap::new(),
        }
    }

    fn index(&mut self, c: [u8; 3]) -> u8 {
        if let Some(&i) = self.cache.get(&c) {
            return i;
        }
        let d = |p: &[u8; 3]| (0..3).map(|k| (p[k] as i32 - c[k] as i32).pow(2)).sum::<i32>();
        let best = (0..self.palette.len())
            .min_by_key(|&i| d(&self.palette[i]))
            .unwrap_or(0) as u8;
        self.cache.insert(c, best);
        best
    }

    fn map(&mut self, rgb: &[u8]) -> Vec<u8> {
        rgb.chunks_exact(3)
            .map(|p| self.index([p[0], p[1], p[2]]))
            .collect()
    }
}

enum Sink {
    Gif(gif::Encoder<BufWriter<File>>, Quantizer),
    Mp4(Child),
}

/// A movie being written: GIF or MP4 by the extension of the output path.
pub struct MovieWriter {
    path: PathBuf,
    partial: PathBuf,
    size: (u32, u32),
    fps: u32,
    frames: usize,
    sink: Option<Sink>,
}

fn movie_error(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::io(path, std::io::Error::other(e.to_string()))
}

/// Whether `ffmpeg` can be started from `PATH`.
pub fn ffmpeg_available() -> bool {
    Command::new("ffmpeg")
        .arg("-version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

impl MovieWriter {
    /// Start a movie of `size` pixels at `fps` frames per second at `path` (`.gif` or `.mp4`).
    pub fn create(path: &Path, size: (u32, u32), fps: u32) -> Result<Self> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(|e| e.to_ascii_lowercase());
        if fps == 0 || fps > 100 {
            return Err(Error::invalid(
                "fps",
                format!("{fps}: expected 1..=100 frames per second"),
            ));
        }
        let (w, h) = size;
        if w > u16::MAX as u32 || h > u16::MAX as u32 {
            return Err(Error::invalid(
                "movie size",
                format!("{w}×{h} exceeds 65535 pixels"),
            ));
        }
        let mut partial = path.as_os_str().to_owned();
        partial.push(".partial");
        let partial = PathBuf::from(partial);
        if let Some(dir) = path.parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        }
        let sink = match ext.as_deref() {
            Some("gif") => {
                let palette = movie_palette();
                let flat: Vec<u8> = palette.iter().flatten().copied().collect();
                let file = File::create(&partial).map_err(|e| Error::io(&partial, e))?;
                let mut enc = gif::Encoder::new(BufWriter::new(file), w as u16, h as u16, &flat)
                    .map_err(|e| movie_error(&partial, e))?;
                enc.set_repeat(gif::Repeat::Infinite)
                    .map_err(|e| movie_error(&partial, e))?;
                Sink::Gif(enc, Quantizer::new(palette))
            }
            Some("mp4") => {
                if !ffmpeg_available() {
                    return Err(Error::invalid(
                        "output",
                        format!(
                            "{}: MP4 needs `ffmpeg` on PATH (Debian: apt-get install ffmpeg); write a .gif instead",
                            path.display()
                        ),
                    ));
                }
                let child = Command::new("ffmpeg")
                    .args([
                        "-y",
                        "-loglevel",
                        "error",
                        "-f",
                        "rawvideo",
                        "-pix_fmt",
                        "rgb24",
                        "-s",
                    ])
                    .arg(format!("{w}x{h}"))
                    .args(["-r", &fps.to_string(), "-i", "-"])
                    .args([
                        "-vf",
                        "pad=ceil(iw/2)*2:ceil(ih/2)*2:color=white",
                        "-pix_fmt",
                        "yuv420p",
                    ])
                    .args(["-movflags", "+faststart", "-f", "mp4"])
                    .arg(&partial)
                    .stdin(Stdio::piped())
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .map_err(|e| movie_error(path, format!("cannot start ffmpeg: {e}")))?;
                Sink::Mp4(child)
            }
            _ => {
                return Err(Error::invalid(
                    "output",
                    format!(
                        "{}: expected a movie file name ending in .gif or .mp4",
                        path.display()
                    ),
                ));
            }
        };
        Ok(MovieWriter {
            path: path.to_path_buf(),
            partial,
            size,
            fps,
            frames: 0,
            sink: Some(sink),
        })
    }

    /// Append one RGB8 frame (row-major, 3 bytes per pixel, of the movie's size).
    pub fn push(&mut self, rgb: &[u8]) -> Result<()> {
        let (w, h) = self.size;
        if rgb.len() != (w as usize) * (h as usize) * 3 {
            return Err(Error::shape(
                "movie frame",
                format!("{w}×{h}×3 bytes"),
                &[rgb.len()],
            ));
        }
        let delay = (100.0 / self.fps as f64).round() as u16;
        let partial = self.partial.clone();
        match self.sink.as_mut() {
            Some(Sink::Gif(enc, q)) => {
                let idx = q.map(rgb);
                let mut frame = gif::Frame::from_indexed_pixels(w as u16, h as u16, idx, None);
                frame.delay = delay;
                enc.write_frame(&frame).map_err(|e| movie_error(&partial, e))?;
            }
            Some(Sink::Mp4(child)) => {
                let stdin = child
                    .stdin
                    .as_mut()
                    .ok_or_else(|| movie_error(&partial, "ffmpeg stdin closed"))?;
                stdin
                    .write_all(rgb)
                    .map_err(|e| movie_error(&partial, format!("writing to ffmpeg: {e}")))?;
            }
            None => return Err(movie_error(&partial, "movie already finished")),
        }
        self.frames += 1;
        Ok(())
    }

    /// Finish the file and move it into place. Returns the number of frames written.
    pub fn finish(mut self) -> Result<usize> {
        let partial = self.partial.clone();
        match self.sink.take() {
            Some(Sink::Gif(enc, _)) => {
                let mut w = enc.into_inner().map_err(|e| movie_error(&partial, e))?;
                w.flush().map_err(|e| Error::io(&partial, e))?;
            }
            Some(Sink::Mp4(mut child)) => {
                drop(child.stdin.take());
                let out = child.wait_with_output().map_err(|e| movie_error(&partial, e))?;
                if !out.status.success() {
                    return Err(movie_error(
                        &self.path,
                        format!("ffmpeg failed: {}", String::from_utf8_lossy(&out.stderr).trim()),
                    ));
                }
            }
            None => {}
        }
        std::fs::rename(&partial, &self.path).map_err(|e| Error::io(&self.path, e))?;
        Ok(self.frames)
    }
}

impl Drop for MovieWriter {
    fn drop(&mut self) {
        // Not finished (an error occurred): stop ffmpeg and remove the partial file.
        if let Some(sink) = self.sink.take() {
            if let Sink::Mp4(mut child) = sink {
                drop(child.stdin.take());
                let _ = child.wait();
            }
            let _ = std::fs::remove_file(&self.partial);
        }
    }
}

/// Render each figure produced by `frame(f)` for f in 0..n into a movie at `path`.
pub fn write_movie<F: Figure>(path: &Path, n: usize, fps: u32, frame: impl Fn(usize) -> F) -> Result<usize> {
    if n == 0 {
        return Err(Error::invalid("movie", "no frames to write"));
    }
    let first = frame(0);
    first.validate()?;
    let mut w = MovieWriter::create(path, first.size(), fps)?;
    w.push(&render_rgb(&first)?)?;
    for f in 1..n {
        w.push(&render_rgb(&frame(f))?)?;
    }
    w.finish()
}

/// A movie of memory grids over epochs: frame f shows `memories[f]` (K×D, D = 28²) as a grid with
/// `cols` columns (bwr on [−1, 1]) titled "epoch `epochs[f]`"; `order` permutes the memories
/// (e.g. `landscape::identity::order_by_dominant_label` of the final labels).
pub fn memory_grid_movie(
    path: &Path,
    epochs: &[i64],
    memories: ArrayView3<f64>,
    cols: usize,
    order: Option<&[usize]>,
    fps: u32,
) -> Result<usize> {
    let (e, k, _) = memories.dim();
    if epochs.len() != e {
        return Err(Error::shape(
            "movie epochs",
            format!("{e} (one per frame)"),
            &[epochs.len()],
        ));
    }
    let order: Vec<usize> = order.map_or_else(|| (0..k).collect(), <[usize]>::to_vec);
    if order.len() != k || order.iter().any(|&i| i >= k) {
        return Err(Error::invalid(
            "memory order",
            format!("expected a permutation of 0..{k}"),
        ));
    }
    super::check_finite_slice("movie memories", memories.iter().copied())?;
    write_movie(path, e, fps, |f| {
        let frame = memories.index_axis(Axis(0), f).select(Axis(0), &order);
        let mut g = MemoryGrid::new(frame, cols);
        g.title = Some(format!("epoch {}", epochs[f]));
        g
    })
}

/// A movie of points moving over a static scatter: frame f shows `base` (samples, curves, labels)
/// plus, for every tracked object k, its trail over frames max(0, f − trail + 1) ..= f (the whole
/// past when `trail` is `None`) and its current position `positions[f, k]` as a white circle.
/// `positions` is F×K×2; axis bounds are fixed over the movie (from all data unless `base.bounds`
/// is set). `titles[f]` is frame f's title (e.g. "epoch 1250"). Trails take the class colours of
/// `classes` (one per object) when given, else thin black.
pub fn scatter_movie(
    path: &Path,
    base: &ScatterTrajectories,
    positions: ArrayView3<f64>,
    classes: Option<&[usize]>,
    titles: &[String],
    trail: Option<usize>,
    fps: u32,
) -> Result<usize> {
    let (nf, k, two) = positions.dim();
    if two != 2 {
        return Err(Error::shape("trajectory positions", "F×K×2", positions.shape()));
    }
    if titles.len() != nf {
        return Err(Error::shape(
            "frame titles",
            format!("{nf} (one per frame)"),
            &[titles.len()],
        ));
    }
    if let Some(c) = classes
        && c.len() != k
    {
        return Err(Error::shape(
            "trajectory classes",
            format!("{k} (one per object)"),
            &[c.len()],
        ));
    }
    super::check_finite_slice("trajectory positions", positions.iter().copied())?;
    let mut fixed = base.clone();
    if fixed.bounds.is_none() {
        fixed.trails = (0..k)
            .map(|j| Trail {
                points: (0..nf)
                    .map(|f| (positions[(f, j, 0)], positions[(f, j, 1)]))
                    .collect(),
                class: None,
            })
            .collect();
        fixed.bounds = Some(fixed.data_bounds());
        fixed.trails.clear();
    }
    write_movie(path, nf, fps, |f| {
        let start = trail.map_or(0, |t| (f + 1).saturating_sub(t.max(1)));
        let mut fig = fixed.clone();
        fig.title = titles[f].clone();
        fig.trails = (0..k)
            .map(|j| Trail {
                points: (start..=f)
                    .map(|g| (positions[(g, j, 0)], positions[(g, j, 1)]))
                    .collect(),
                class: classes.map(|c| c[j]),
            })
            .collect();
        fig.current = (0..k)
            .map(|j| (positions[(f, j, 0)], positions[(f, j, 1)]))
            .collect();
        fig
    })
}

/// A movie of α-plane trajectories (spec §3.10: ᾱ_{d1} vs ᾱ_{d2} per memory; §4.7: (ℓ, α) of the
/// two-memory system): `alphas` is F×K×2, trails coloured by `classes` (e.g. each memory's final
/// dominant label), over optional background curves (e.g. nullclines) of `base`.
pub fn alpha_plane_movie(
    path: &Path,
    base: &ScatterTrajectories,
    alphas: ArrayView3<f64>,
    classes: Option<&[usize]>,
    titles: &[String],
    fps: u32,
) -> Result<usize> {
    scatter_movie(path, base, alphas, classes, titles, None, fps)
}
