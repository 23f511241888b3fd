//! Opening and reading a run folder: config (strictly: a config missing a field is an error, never
//! defaults), inputs, checkpoint, summary, and the trajectory (epochs and labels in memory,
//! memories streamed in chunks or read one frame at a time).

use super::{
    BATCHES, CHECKPOINT, CONFIG, Checkpoint, FolderState, PART_MEMORIES, SAMPLE_INDEX, SAMPLES, SUMMARY,
    Summary, TARGETS, TEST_SAMPLES, TEST_TARGETS, TRAJECTORY,
};
use crate::config::RunConfig;
use crate::dam::train::{State, check_partition};
use crate::data::{self, TrainingSet};
use crate::error::{Error, Result};
use crate::npy::{self, Npz};
use ndarray::{Array2, Array3, ArrayView3, Axis, Ix0, Ix1, Ix2, Ix3, s};
use std::path::{Path, PathBuf};

/// Keys (dotted) present in `full` but not in `given`.
fn missing_keys(full: &toml::Table, given: &toml::Table, prefix: &str, out: &mut Vec<String>) {
    for (k, v) in full {
        let name = format!("{prefix}{k}");
        match (v, given.get(k)) {
            (_, None) => out.push(name),
            (toml::Value::Table(f), Some(toml::Value::Table(g))) => {
                missing_keys(f, g, &format!("{name}."), out)
            }
            _ => {}
        }
    }
}

/// Read a run folder's `config.toml` strictly: it must parse, validate, and name every field the
/// tool writes (a run folder's config is always complete; an empty or partial one is reported,
/// never read as defaults).
pub fn read_config(path: &Path) -> Result<RunConfig> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    if text.trim().is_empty() {
        return Err(Error::format(
            path,
            "is empty (a start cut short?); a run folder's config.toml lists every field",
        ));
    }
    let given: toml::Table =
        toml::from_str(&text).map_err(|e| Error::format(path, format!("invalid run config: {e}")))?;
    let cfg = RunConfig::from_text_of(&text, path)?;
    let full: toml::Table = toml::from_str(&cfg.to_toml())
        .map_err(|e| Error::format(path, format!("the config does not round-trip: {e}")))?;
    let mut missing = Vec::new();
    missing_keys(&full, &given, "", &mut missing);
    if !missing.is_empty() {
        return Err(Error::format(
            path,
            format!(
                "is incomplete: a run folder's config lists every field, this one lacks {}",
                missing.join(", ")
            ),
        ));
    }
    Ok(cfg)
}

/// Read a B×(P/B) integer `.npy` of minibatch sample indices and check it partitions 0..P.
pub fn read_batches(path: &Path, p: usize, what: &str) -> Result<Vec<Vec<usize>>> {
    let b = npy::read_int_dyn(path)?;
    let shape = b.shape().to_vec();
    let b = b.into_dimensionality::<Ix2>().map_err(|_| {
        Error::shape(
            format!("{what} ({})", path.display()),
            "B × (P/B) integers",
            &shape,
        )
    })?;
    let mut out = Vec::with_capacity(b.nrows());
    for row in b.rows() {
        let mut v = Vec::with_capacity(row.len());
        for &i in row {
            let i = usize::try_from(i).map_err(|_| {
                Error::invalid(
                    format!("{what} ({})", path.display()),
                    format!("negative sample index {i}"),
                )
            })?;
            v.push(i);
        }
        out.push(v);
    }
    check_partition(&out, p, &format!("{what} ({})", path.display()))?;
    Ok(out)
}

/// The integer scalar `k` of an archive.
fn read_scalar(z: &mut Npz, k: &str) -> Result<i64> {
    let a = z.int(k)?;
    let shape = a.shape().to_vec();
    Ok(a.into_dimensionality::<Ix0>()
        .map_err(|_| Error::shape(format!("`{k}` in {}", z.path().display()), "a scalar", &shape))?
        .into_scalar())
}

/// The non-negative integer scalar `k` of an archive.
fn read_count(z: &mut Npz, k: &str) -> Result<usize> {
    let v = read_scalar(z, k)?;
    usize::try_from(v).map_err(|_| Error::format(z.path(), format!("`{k}` is negative ({v})")))
}

/// Read a `checkpoint.npz`.
pub fn read_checkpoint(path: &Path) -> Result<Checkpoint> {
    let mut z = Npz::open(path)?;
    let state = State {
        memories: z.f64_as::<Ix2>("memories")?,
        labels: z.f64_as::<Ix2>("labels")?,
        vel_memories: z.f64_as::<Ix2>("vel_memories")?,
        vel_labels: z.f64_as::<Ix2>("vel_labels")?,
    };
    if state.vel_memories.dim() != state.memories.dim()
        || state.vel_labels.dim() != state.labels.dim()
        || state.labels.nrows() != state.memories.nrows()
    {
        return Err(Error::format(
            path,
            format!(
                "inconsistent shapes: memories {:?}, labels {:?}, vel_memories {:?}, vel_labels {:?}",
                state.memories.shape(),
                state.labels.shape(),
                state.vel_memories.shape(),
                state.vel_labels.shape()
            ),
        ));
    }
    let epoch = read_count(&mut z, "epoch")?;
    let records = read_count(&mut z, "records")?;
    // −1 (before the end) and a missing entry (written before it existed) both mean "unknown"
    let frozen_memories = if z.has("frozen_memories") {
        usize::try_from(read_scalar(&mut z, "frozen_memories")?).ok()
    } else {
        None
    };
    let wall_seconds = z.f64("wall_seconds")?.iter().next().copied().unwrap_or(0.0);
    Ok(Checkpoint {
        state,
        epoch,
        records,
        wall_seconds,
        frozen_memories,
    })
}

/// An open run folder (its config read and checked).
#[derive(Debug, Clone)]
pub struct RunFolder {
    dir: PathBuf,
    config: RunConfig,
}

impl RunFolder {
    /// Open the run folder `dir` (resumable or finished).
    pub fn open(dir: &Path) -> Result<RunFolder> {
        match FolderState::of(dir)? {
            FolderState::Resumable | FolderState::Finished => {}
            FolderState::New => {
                return Err(Error::format(
                    dir,
                    "is not a run folder (no config.toml); create one with `waddington train --out DIR`",
                ));
            }
            FolderState::PartialStart => {
                return Err(Error::format(
                    dir,
                    "holds a run whose start was cut short (inputs without config.toml); run the original \
                     `waddington train --out DIR` command again to start it afresh",
                ));
            }
            FolderState::Foreign(name) => {
                return Err(Error::format(
                    dir,
                    format!("is not a run folder (no config.toml; `{name}` is not a file of one)"),
                ));
            }
        }
        Ok(RunFolder {
            dir: dir.to_path_buf(),
            config: read_config(&dir.join(CONFIG))?,
        })
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Its resolved config.
    pub fn config(&self) -> &RunConfig {
        &self.config
    }

    /// Whether the run is finished (`summary.json`).
    pub fn is_finished(&self) -> bool {
        self.dir.join(SUMMARY).exists()
    }

    fn require_finished(&self, what: &str) -> Result<()> {
        if self.is_finished() {
            return Ok(());
        }
        Err(Error::format(
            &self.dir,
            format!(
                "the run is not finished, so it has no {what} yet; continue it with `waddington train --resume {}`",
                self.dir.display()
            ),
        ))
    }

    /// The training set: `samples.npy`, `targets.npy` (checked against each other) and, when
    /// present, `sample_index.npy`.
    pub fn training_set(&self) -> Result<TrainingSet> {
        let mut set = data::read_set(
            &self.dir.join(SAMPLES),
            &self.dir.join(TARGETS),
            ["samples", "targets"],
        )?;
        let ip = self.dir.join(SAMPLE_INDEX);
        if ip.exists() {
            let idx = npy::read_int_dyn(&ip)?;
            let shape = idx.shape().to_vec();
            let idx = idx
                .into_dimensionality::<Ix1>()
                .map_err(|_| Error::shape(ip.display().to_string(), "(P,)", &shape))?;
            if idx.len() != set.digits.len() {
                return Err(Error::shape(
                    ip.display().to_string(),
                    format!("({},) (one row per sample)", set.digits.len()),
                    &shape,
                ));
            }
            let idx = idx
                .iter()
                .map(|&i| usize::try_from(i).map_err(|_| Error::format(&ip, format!("negative index {i}"))))
                .collect::<Result<Vec<usize>>>()?;
            set.source_index = Some(idx);
        }
        Ok(set)
    }

    /// The held-out set, if the run has one.
    pub fn test_set(&self) -> Result<Option<TrainingSet>> {
        let sp = self.dir.join(TEST_SAMPLES);
        if !sp.exists() {
            return Ok(None);
        }
        data::read_set(
            &sp,
            &self.dir.join(TEST_TARGETS),
            ["test samples", "test targets"],
        )
        .map(Some)
    }

    /// The minibatches (`batches.npy`), checked to partition the P samples.
    pub fn batches(&self, samples: usize) -> Result<Vec<Vec<usize>>> {
        read_batches(&self.dir.join(BATCHES), samples, "batches")
    }

    /// The last checkpoint, if one was written.
    pub fn checkpoint(&self) -> Result<Option<Checkpoint>> {
        let p = self.dir.join(CHECKPOINT);
        if !p.exists() {
            return Ok(None);
        }
        read_checkpoint(&p).map(Some)
    }

    /// Completed epochs of the last checkpoint (0 without one); reads only that number.
    pub fn completed_epochs(&self) -> Result<usize> {
        let p = self.dir.join(CHECKPOINT);
        if !p.exists() {
            return Ok(0);
        }
        read_count(&mut Npz::open(&p)?, "epoch")
    }

    /// The final state of a finished run (memories, labels, velocities).
    pub fn final_state(&self) -> Result<State> {
        self.require_finished("final state")?;
        self.checkpoint()?
            .map(|c| c.state)
            .ok_or_else(|| Error::format(self.dir.join(CHECKPOINT), "missing from a finished run"))
    }

    /// `summary.json` of a finished run.
    pub fn summary(&self) -> Result<Summary> {
        self.require_finished("summary")?;
        let p = self.dir.join(SUMMARY);
        let text = std::fs::read_to_string(&p).map_err(|e| Error::io(&p, e))?;
        serde_json::from_str(&text).map_err(|e| Error::format(&p, format!("not a run summary: {e}")))
    }

    /// The recorded trajectory (`trajectory.npz`, written when the run finished).
    pub fn trajectory(&self) -> Result<Trajectory> {
        Trajectory::open(&self.dir)
    }
}

/// A recorded trajectory (`trajectory.npz`): `epochs` and `labels` held in memory, `memories`
/// (E×K×D, 2.2 GB for an every-epoch 3 500-epoch run) read in chunks or frame by frame.
#[derive(Debug)]
pub struct Trajectory {
    npz: Npz,
    epochs: Vec<usize>,
    labels: Array3<f64>,
    memories_shape: (usize, usize, usize),
}

impl Trajectory {
    /// Open `trajectory.npz` (or a run folder holding one) and check its arrays agree:
    /// `epochs` (E), `memories` (E×K×D), `labels` (E×K×C), E, K ≥ 1.
    pub fn open(path: &Path) -> Result<Trajectory> {
        let path = if path.is_dir() {
            let p = path.join(TRAJECTORY);
            if !p.exists() && path.join(PART_MEMORIES).exists() {
                return Err(Error::format(
                    path,
                    format!(
                        "the run is not finished, so it has no trajectory.npz yet; continue it with `waddington train --resume {}`",
                        path.display()
                    ),
                ));
            }
            p
        } else {
            path.to_path_buf()
        };
        let mut npz = Npz::open(&path)?;
        let e = npz.int("epochs")?;
        let eshape = e.shape().to_vec();
        let epochs = e
            .into_dimensionality::<Ix1>()
            .map_err(|_| Error::shape(format!("`epochs` in {}", path.display()), "(E,)", &eshape))?
            .iter()
            .map(|&x| {
                usize::try_from(x)
                    .map_err(|_| Error::format(&path, format!("`epochs` holds a negative epoch {x}")))
            })
            .collect::<Result<Vec<usize>>>()?;
        let l = npz.f64("labels")?;
        let lshape = l.shape().to_vec();
        let labels = l.into_dimensionality::<Ix3>().map_err(|_| {
            Error::shape(
                format!("`labels` in {}", path.display()),
                "E×K×10 (records × memories × classes)",
                &lshape,
            )
        })?;
        npy::check_finite(&labels, &format!("{}: labels", path.display()))?;
        let m = npz.shape("memories")?;
        let [me, mk, md] = m[..] else {
            return Err(Error::shape(
                format!("`memories` in {}", path.display()),
                "E×K×784 (records × memories × pixels)",
                &m,
            ));
        };
        let (le, lk, _) = labels.dim();
        if epochs.len() != me || le != me || lk != mk || me == 0 || mk == 0 {
            return Err(Error::format(
                &path,
                format!(
                    "inconsistent shapes: epochs {eshape:?}, memories {m:?}, labels {lshape:?} (expected E, E×K×D, E×K×C with E, K ≥ 1)"
                ),
            ));
        }
        Ok(Trajectory {
            npz,
            epochs,
            labels,
            memories_shape: (me, mk, md),
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        self.npz.path()
    }

    /// Completed epochs at each record (E).
    pub fn epochs(&self) -> &[usize] {
        &self.epochs
    }

    /// Labels, E×K×C.
    pub fn labels(&self) -> &Array3<f64> {
        &self.labels
    }

    /// (E, K, D) of `memories`.
    pub fn memories_shape(&self) -> (usize, usize, usize) {
        self.memories_shape
    }

    /// The record holding `epoch` (`None`: the last one), or an error listing the saved range.
    pub fn frame_of_epoch(&self, epoch: Option<usize>) -> Result<usize> {
        let last = self.epochs.len() - 1;
        let Some(e) = epoch else { return Ok(last) };
        self.epochs.iter().position(|&x| x == e).ok_or_else(|| {
            Error::invalid(
                "epoch",
                format!(
                    "{e} is not a saved epoch of {} (saved: {} frames, epochs {}..={})",
                    self.path().display(),
                    self.epochs.len(),
                    self.epochs[0],
                    self.epochs[last]
                ),
            )
        })
    }

    /// Memories of record `frame` (K×D), read alone.
    pub fn memories_at(&mut self, frame: usize) -> Result<Array2<f64>> {
        self.npz.frame("memories", frame)
    }

    /// Labels of record `frame` (K×C).
    pub fn labels_at(&self, frame: usize) -> Array2<f64> {
        self.labels.index_axis(Axis(0), frame).to_owned()
    }

    /// Stream the memories in chunks of up to `chunk` records: `f(epochs, memories, labels)` with
    /// the chunk's epochs, F×K×D memories and F×K×C labels, in order.
    pub fn stream(
        &mut self,
        chunk: usize,
        mut f: impl FnMut(&[usize], Array3<f64>, ArrayView3<f64>) -> Result<()>,
    ) -> Result<()> {
        let (epochs, labels) = (&self.epochs, &self.labels);
        self.npz.stream_frames("memories", chunk, |start, m| {
            let n = m.len_of(Axis(0));
            f(
                &epochs[start..start + n],
                m,
                labels.slice(s![start..start + n, .., ..]),
            )
        })?;
        Ok(())
    }

    /// (epochs, memories E×K×D, labels E×K×C), all in memory (for small runs and tests).
    pub fn into_arrays(mut self) -> Result<(Vec<usize>, Array3<f64>, Array3<f64>)> {
        let m = self.memories()?;
        Ok((self.epochs, m, self.labels))
    }

    /// All memories, E×K×D, in memory at once (for figures of small runs).
    pub fn memories(&mut self) -> Result<Array3<f64>> {
        self.memories_every(1)
    }

    /// The records 0, every, 2·every, … (⌊E/every⌋ of them; later ones dropped, spec §3.8).
    pub fn memories_every(&mut self, every: usize) -> Result<Array3<f64>> {
        if every == 0 {
            return Err(Error::invalid("--every", "must be at least 1"));
        }
        let e = self.memories_shape.0;
        let frames = e / every;
        if frames == 0 {
            return Err(Error::invalid(
                format!("{} array `memories`", self.path().display()),
                format!("{e} saved epochs, fewer than --every {every}"),
            ));
        }
        let idx: Vec<usize> = (0..frames).map(|f| f * every).collect();
        self.memories_select(&idx)
    }

    /// The memories of the records `frames` (increasing), F×K×D, streamed so only they are kept.
    pub fn memories_select(&mut self, frames: &[usize]) -> Result<Array3<f64>> {
        let (e, k, d) = self.memories_shape;
        if let Some(&bad) = frames.iter().find(|&&f| f >= e) {
            return Err(Error::invalid(
                "frame",
                format!("record {bad} requested, {} holds {e}", self.path().display()),
            ));
        }
        if frames.windows(2).any(|w| w[0] >= w[1]) {
            return Err(Error::invalid("frames", "must be strictly increasing"));
        }
        let mut data: Vec<f64> = Vec::with_capacity(frames.len().saturating_mul(k * d));
        let mut next = 0;
        self.npz.stream_frames("memories", 16, |start, m| {
            for (i, frame) in m.outer_iter().enumerate() {
                if frames.get(next) == Some(&(start + i)) {
                    data.extend(frame.iter());
                    next += 1;
                }
            }
            Ok(())
        })?;
        Array3::from_shape_vec((frames.len(), k, d), data)
            .map_err(|err| Error::format(self.path(), err.to_string()))
    }
}
