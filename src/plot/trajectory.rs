//! Reading a run folder's `trajectory.npz` for plotting: `epochs` (E, int64), `memories`
//! (E×K×784, float64) and `labels` (E×K×C, float64), with the checks a user needs (names of the
//! file and array, expected shapes), and the memory ordering used by the movies (spec §4.3: sorted
//! by dominant label).

use crate::dam::model::argmax;
use crate::error::{Error, Result};
use crate::npy;
use ndarray::{Array2, Array3, ArrayView2, Axis, Ix1, Ix3};
use std::path::{Path, PathBuf};

/// A recorded learning trajectory: E saved frames of K memories and their labels.
#[derive(Debug, Clone)]
pub struct RunTrajectory {
    /// The file it was read from.
    pub path: PathBuf,
    /// Epoch of each frame (E).
    pub epochs: Vec<i64>,
    /// Memories, E×K×D (D = 784 for MNIST).
    pub memories: Array3<f64>,
    /// Labels, E×K×C.
    pub labels: Array3<f64>,
}

impl RunTrajectory {
    /// Read `trajectory.npz` from a run folder (or the `.npz` file itself when `run` is a file).
    pub fn read(run: &Path) -> Result<Self> {
        let path = if run.is_dir() {
            run.join("trajectory.npz")
        } else {
            run.to_path_buf()
        };
        let mut npz = npy::open_npz(&path)?;
        let epochs = npy::npz_int(&mut npz, &path, "epochs")?;
        let eshape = epochs.shape().to_vec();
        let epochs = epochs
            .into_dimensionality::<Ix1>()
            .map_err(|_| Error::shape(format!("{}: epochs", path.display()), "(E,)", &eshape))?
            .to_vec();
        let read3 = |npz: &mut _, name: &str, expect: &str| -> Result<Array3<f64>> {
            let a = npy::npz_f64(npz, &path, name)?;
            let shape = a.shape().to_vec();
            let a = a
                .into_dimensionality::<Ix3>()
                .map_err(|_| Error::shape(format!("{}: {name}", path.display()), expect, &shape))?;
            npy::check_finite(&a, &format!("{}: {name}", path.display()))?;
            Ok(a)
        };
        let memories = read3(&mut npz, "memories", "E×K×784")?;
        let labels = read3(&mut npz, "labels", "E×K×10")?;
        let (e, k, _) = memories.dim();
        if epochs.len() != e || labels.dim().0 != e || labels.dim().1 != k || e == 0 || k == 0 {
            return Err(Error::format(
                &path,
                format!(
                    "inconsistent shapes: epochs {:?}, memories {:?}, labels {:?} (expected E, E×K×D, E×K×C with E, K ≥ 1)",
                    eshape,
                    memories.shape(),
                    labels.shape()
                ),
            ));
        }
        Ok(RunTrajectory {
            path,
            epochs,
            memories,
            labels,
        })
    }

    /// The frame holding `epoch` (`None`: the last frame), or an error listing the saved range.
    pub fn frame(&self, epoch: Option<i64>) -> Result<usize> {
        let last = self.epochs.len() - 1;
        let Some(e) = epoch else { return Ok(last) };
        self.epochs.iter().position(|&x| x == e).ok_or_else(|| {
            Error::invalid(
                "epoch",
                format!(
                    "{e} is not a saved epoch of {} (saved: {} frames, epochs {}..={})",
                    self.path.display(),
                    self.epochs.len(),
                    self.epochs[0],
                    self.epochs[last]
                ),
            )
        })
    }

    /// Memories of frame `f` (K×D).
    pub fn memories_at(&self, f: usize) -> Array2<f64> {
        self.memories.index_axis(Axis(0), f).to_owned()
    }

    /// Labels of frame `f` (K×C).
    pub fn labels_at(&self, f: usize) -> Array2<f64> {
        self.labels.index_axis(Axis(0), f).to_owned()
    }
}

/// Memory indices sorted by dominant label argmax_c ℓ_{A,c} (stable: ties keep index order),
/// the order of the reference movies (spec §3.9, §4.3).
pub fn order_by_dominant_label(labels: ArrayView2<f64>) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..labels.nrows()).collect();
    idx.sort_by_key(|&a| argmax(labels.row(a)));
    idx
}

/// The dominant label of each memory.
pub fn dominant_labels(labels: ArrayView2<f64>) -> Vec<usize> {
    labels.rows().into_iter().map(argmax).collect()
}
