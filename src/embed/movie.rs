//! Movies of learning in a fitted UMAP embedding (spec §3.8): the memories of a run's saved
//! epochs are mapped with [`Umap::transform`] (never re-fitted), in chunks of frames as the
//! paper's scripts do, and drawn as moving points with trails over the fitted samples, which are
//! coloured by class (tab10).

use super::Umap;
use super::io::transform_array;
use crate::error::{Error, Result};
use crate::plot::{self, ClassPoint, ScatterTrajectories};
use crate::run_folder::Trajectory;
use ndarray::{Array3, Ix3};
use std::path::Path;

/// Options of [`umap_movie`].
#[derive(Debug, Clone)]
pub struct MovieOptions {
    /// Use the saved frames 0, every, 2·every, … (the paper: every 10th).
    pub every: usize,
    /// Frames per transform call (the paper: 10 frames × K memories).
    pub chunk_frames: usize,
    /// Trail length in frames; `None`: the whole past.
    pub trail: Option<usize>,
    /// Frames per second of the movie.
    pub fps: u32,
    /// Threads of the transform's kNN (0 = all cores); the result does not depend on it.
    pub threads: usize,
}

impl Default for MovieOptions {
    fn default() -> Self {
        MovieOptions {
            every: 10,
            chunk_frames: 10,
            trail: None,
            fps: 10,
            threads: 0,
        }
    }
}

/// Positions (F×K×2) in `model` of the memories of frames 0, every, 2·every, … of `traj`, and the
/// epoch of each of those frames.
pub fn trajectory_positions(
    model: &Umap,
    traj: &mut Trajectory,
    every: usize,
    chunk_frames: usize,
    threads: usize,
) -> Result<(Array3<f64>, Vec<i64>)> {
    if every == 0 {
        return Err(Error::invalid("--every", "must be at least 1"));
    }
    if model.params.n_components != 2 {
        return Err(Error::invalid(
            "UMAP model",
            format!(
                "has {} components; a movie needs a 2-D embedding",
                model.params.n_components
            ),
        ));
    }
    let frames: Vec<usize> = (0..traj.epochs().len()).step_by(every).collect();
    let epochs = frames.iter().map(|&f| traj.epochs()[f] as i64).collect();
    let mems = traj.memories_select(&frames)?;
    let what = format!("{} array `memories`", traj.path().display());
    let pos = transform_array(model, mems.into_dyn(), &what, chunk_frames, threads)?
        .into_dimensionality::<Ix3>()
        .map_err(|e| Error::invalid(&what, e.to_string()))?;
    Ok((pos, epochs))
}

/// The static part of every frame: the fitted samples coloured by their class (grey when the
/// model was fitted without labels), fixed axes over samples and trajectories.
pub fn base_scatter(model: &Umap, title: &str) -> ScatterTrajectories {
    let labels = model.labels.as_deref();
    let samples = model
        .embedding
        .rows()
        .into_iter()
        .enumerate()
        .map(|(i, r)| ClassPoint {
            x: r[0],
            y: r[1],
            class: labels.map_or(7, |l| l[i]),
        })
        .collect();
    ScatterTrajectories {
        title: title.into(),
        x_label: "UMAP 1".into(),
        y_label: "UMAP 2".into(),
        samples,
        class_names: if labels.is_some() {
            (0..10).map(|c| c.to_string()).collect()
        } else {
            Vec::new()
        },
        curves: Vec::new(),
        trails: Vec::new(),
        current: Vec::new(),
        bounds: None,
        size: (0, 0),
    }
}

/// Write the movie (`.gif`, or `.mp4` through ffmpeg) of `traj`'s memories moving through the
/// fitted embedding: frame f shows the samples, every memory's trail (coloured by its final
/// dominant label) and its position at saved epoch `epochs[f]`. Returns the number of frames.
pub fn umap_movie(model: &Umap, traj: &mut Trajectory, path: &Path, opts: &MovieOptions) -> Result<usize> {
    let (pos, epochs) = trajectory_positions(model, traj, opts.every, opts.chunk_frames, opts.threads)?;
    let last = traj.labels_at(traj.epochs().len() - 1);
    let classes = crate::landscape::identity::dominant_labels(last.view());
    let base = base_scatter(
        model,
        &format!("memories in UMAP, {} samples fitted", model.embedding.nrows()),
    );
    let titles: Vec<String> = epochs
        .iter()
        .map(|e| format!("memories in UMAP: epoch {e}"))
        .collect();
    plot::scatter_movie(
        path,
        &base,
        pos.view(),
        Some(&classes),
        &titles,
        opts.trail,
        opts.fps,
    )
}
