//! Run folders: from a [`RunConfig`] to a finished folder, with checkpoints and resume.
//!
//! A run folder holds (all documented in `docs/run-folder.md`):
//! * `config.toml`: the fully resolved config (written first);
//! * `samples.npy` (P×784), `targets.npy` (P×C), `batches.npy` (B×P/B int64), and, when the set
//!   was selected from a dataset, `sample_index.npy` (P int64, rows of the source);
//! * `trajectory.npz`: `epochs`, `memories`, `labels` (see [`crate::dam::trajectory`]);
//! * `checkpoint.npz`: `memories`, `labels`, `vel_memories`, `vel_labels`, `epoch` (completed
//!   epochs), `records` (trajectory records written); the final state once the run is finished;
//! * `summary.json`: written last; its presence marks a finished run.

use crate::config::{RunConfig, derive_seed};
use crate::dam::model::{self, Form};
use crate::dam::train::{Hyper, Noise, State, Trainer, check_partition, consecutive_batches};
use crate::dam::trajectory::Recorder;
use crate::data::{self, CLASSES, Dataset, PIXELS, TrainingSet};
use crate::error::{Error, Result};
use crate::linalg;
use crate::npy;
use ndarray::{Array0, Array2, Ix0, Ix2};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Everything a run needs, loaded and checked.
#[derive(Debug)]
pub struct Prepared {
    /// The config.
    pub config: RunConfig,
    /// The training set.
    pub training: TrainingSet,
    /// The held-out set, if requested.
    pub test: Option<TrainingSet>,
    /// Minibatches (sample indices).
    pub batches: Vec<Vec<usize>>,
    /// The initial state.
    pub init: State,
}

/// Final evaluation of a set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// Number of samples.
    pub samples: usize,
    /// Fraction whose argmax output is their class.
    pub accuracy: f64,
    /// The same per class (null for classes without samples).
    pub per_class_accuracy: Vec<Option<f64>>,
    /// Samples recognised per class under spec §3.6 (argmax = class and max output > −1).
    pub recognised_per_class: Vec<usize>,
}

/// `summary.json` of a finished run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// waddington version that wrote it.
    pub version: String,
    /// Formulation.
    pub form: Form,
    /// Epochs trained.
    pub epochs: usize,
    /// Memories K.
    pub memories: usize,
    /// Training samples P.
    pub training_samples: usize,
    /// Wall time of the training (seconds, summed over resumed parts).
    pub wall_seconds: f64,
    /// Final evaluation on the training set.
    pub train: Evaluation,
    /// Final evaluation on the held-out set, if any.
    pub test: Option<Evaluation>,
    /// Memories whose last update was exactly zero (frozen: all their gradients under/overflowed).
    pub frozen_memories: usize,
}

/// Load the data named by `cfg.data`: explicit arrays, or a seeded class-balanced selection.
pub fn load_training(cfg: &RunConfig) -> Result<(TrainingSet, Option<TrainingSet>)> {
    let d = &cfg.data;
    if let (Some(sp), Some(tp)) = (&d.samples, &d.targets) {
        let samples = npy::read_matrix(sp, "data.samples")?;
        if samples.ncols() != PIXELS {
            return Err(Error::shape(
                format!("data.samples ({})", sp.display()),
                "P × 784",
                samples.shape(),
            ));
        }
        let targets = npy::read_matrix(tp, "data.targets")?;
        if targets.dim() != (samples.nrows(), CLASSES) {
            return Err(Error::shape(
                format!("data.targets ({})", tp.display()),
                format!("{} × {CLASSES} (P × C, ±1)", samples.nrows()),
                targets.shape(),
            ));
        }
        let digits = data::digits_from_targets(&targets);
        return Ok((
            TrainingSet {
                samples,
                targets,
                digits,
                source_index: None,
            },
            None,
        ));
    }
    let ds = load_dataset(cfg)?;
    let train = data::select_balanced(&ds, &d.digits, d.per_class, cfg.data_seed(), &[])?;
    let test = if d.test_per_class > 0 {
        let seed = derive_seed(cfg.data_seed(), 0x7e57);
        if d.source == "fashion-mnist" {
            // the official test split
            let test_set = Dataset::fashion_mnist("test")?;
            Some(data::select_balanced(
                &test_set,
                &d.digits,
                d.test_per_class,
                seed,
                &[],
            )?)
        } else {
            let exclude = train.source_index.clone().unwrap_or_default();
            Some(data::select_balanced(
                &ds,
                &d.digits,
                d.test_per_class,
                seed,
                &exclude,
            )?)
        }
    } else {
        None
    };
    Ok((train, test))
}

/// The dataset named by `data.source`.
pub fn load_dataset(cfg: &RunConfig) -> Result<Dataset> {
    let d = &cfg.data;
    match d.source.as_str() {
        "embedded" => Dataset::embedded(),
        "fashion-mnist" => Dataset::fashion_mnist("train"),
        path => {
            let labels = d.labels.as_ref().ok_or_else(|| {
                Error::invalid(
                    "data.labels",
                    format!("source {path} needs a `labels` file (IDX or .npy)"),
                )
            })?;
            if path.ends_with(".npy") {
                Dataset::from_npy(Path::new(path), labels)
            } else {
                Dataset::from_idx_files(Path::new(path), labels)
            }
        }
    }
}

/// Load data, minibatches and the initial state, checking every shape against the config.
pub fn prepare(cfg: &RunConfig) -> Result<Prepared> {
    cfg.validate()?;
    let (training, test) = load_training(cfg)?;
    let p = training.samples.nrows();
    let batches = match &cfg.data.batches {
        Some(bp) => {
            let b = npy::read_int_dyn(bp)?;
            let b = b.into_dimensionality::<Ix2>().map_err(|e| {
                Error::shape(
                    format!("data.batches ({})", bp.display()),
                    "B × (P/B) integers",
                    &[e.to_string().len()],
                )
            })?;
            let mut out = Vec::new();
            for row in b.rows() {
                let mut v = Vec::new();
                for &i in row {
                    if i < 0 {
                        return Err(Error::invalid(
                            format!("data.batches ({})", bp.display()),
                            format!("negative sample index {i}"),
                        ));
                    }
                    v.push(i as usize);
                }
                out.push(v);
            }
            check_partition(&out, p, &format!("data.batches ({})", bp.display()))?;
            out
        }
        None => consecutive_batches(p, cfg.train.minibatches)?,
    };
    let k = cfg.model.memories;
    let init = match (&cfg.init.memories, &cfg.init.labels) {
        (Some(mp), Some(lp)) => {
            let m = npy::read_matrix(mp, "init.memories")?;
            if m.dim() != (k, PIXELS) {
                return Err(Error::shape(
                    format!("init.memories ({})", mp.display()),
                    format!("{k} × 784 (model.memories × pixels)"),
                    m.shape(),
                ));
            }
            let l = npy::read_matrix(lp, "init.labels")?;
            if l.dim() != (k, CLASSES) {
                return Err(Error::shape(
                    format!("init.labels ({})", lp.display()),
                    format!("{k} × {CLASSES}"),
                    l.shape(),
                ));
            }
            State::new(m, l)
        }
        (None, None) => State::random(k, PIXELS, CLASSES, cfg.init.mean, cfg.init.std, cfg.init_seed())?,
        _ => {
            return Err(Error::invalid(
                "init.memories",
                "`memories` and `labels` must be given together",
            ));
        }
    };
    Ok(Prepared {
        config: cfg.clone(),
        training,
        test,
        batches,
        init,
    })
}

impl Prepared {
    /// The trainer of this run (its samples, targets, minibatches, seed and thread count).
    pub fn trainer(&self) -> Result<Trainer> {
        let cfg = &self.config;
        Trainer::new(
            cfg.model.form,
            hyper(cfg),
            self.training.samples.clone(),
            self.training.targets.clone(),
            self.batches.clone(),
            cfg.seed,
            linalg::par(cfg.threads),
        )
    }
}

/// The optimiser settings of a config.
pub fn hyper(cfg: &RunConfig) -> Hyper {
    let t = &cfg.train;
    Hyper {
        params: cfg.params(),
        rate: t.rate,
        momentum: t.momentum,
        bound: t.bound,
        decay: t.decay,
        noise: (t.noise_std > 0.0 || t.noise_mean != 0.0).then(|| Noise {
            mean: t.noise_mean,
            std: t.noise_std,
            epochs: t.noise_epochs.clone(),
        }),
        temperature_initial: t.temperature_initial,
        ramp: t.ramp,
        shuffle: t.shuffle,
        prec: t.prec,
    }
}

/// Evaluate a state on a set.
pub fn evaluate(cfg: &RunConfig, st: &State, set: &TrainingSet) -> Evaluation {
    let out = model::outputs(
        cfg.model.form,
        st.memories.view(),
        st.labels.view(),
        set.samples.view(),
        &cfg.params(),
        linalg::par(cfg.threads),
    );
    Evaluation {
        samples: set.digits.len(),
        accuracy: model::accuracy(&out, &set.digits),
        per_class_accuracy: model::per_class_accuracy(&out, &set.digits),
        recognised_per_class: model::recognition_counts(&out, &set.digits),
    }
}

/// Check that `dir` can receive a new run: absent, or an empty folder. A finished or unfinished
/// run, or any other content, is refused (nothing is ever overwritten).
pub fn check_fresh_dir(dir: &Path) -> Result<()> {
    if dir.join("summary.json").exists() {
        return Err(Error::Exists {
            path: dir.to_path_buf(),
            message: "already holds a finished run (summary.json); choose another --out folder".into(),
        });
    }
    if dir.join("config.toml").exists() {
        return Err(Error::Exists {
            path: dir.to_path_buf(),
            message: "holds an unfinished run; continue it with `waddington train --resume DIR`".into(),
        });
    }
    if dir.exists() {
        let mut it = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
        if it.next().is_some() {
            return Err(Error::Exists {
                path: dir.to_path_buf(),
                message: "is not empty; a run needs a new or empty folder".into(),
            });
        }
    }
    Ok(())
}

/// Progress callback: called after every epoch with (completed epochs, total epochs); returning
/// `false` stops the run there (as a crash would: it stays resumable from its last checkpoint)
/// with [`Error::Interrupted`].
pub type Progress<'a> = &'a mut dyn FnMut(usize, usize) -> bool;

/// Start a new run in `dir` (must be new or empty) and train it to the end.
pub fn run(cfg: &RunConfig, dir: &Path, progress: Progress) -> Result<Summary> {
    check_fresh_dir(dir)?;
    let prep = prepare(cfg)?;
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    write_inputs(&prep, dir)?;
    std::fs::write(dir.join("config.toml"), prep.config.to_toml())
        .map_err(|e| Error::io(dir.join("config.toml"), e))?;
    let epochs = cfg.record_epochs();
    let k = cfg.model.memories;
    let rec = Recorder::create(dir, &epochs, k, PIXELS, CLASSES)?;
    let init = prep.init.clone();
    continue_run(prep, dir, init, 0, rec, 0.0, progress)
}

/// Continue an interrupted run from its last checkpoint; the result is identical to an
/// uninterrupted run.
pub fn resume(dir: &Path, progress: Progress) -> Result<Summary> {
    if dir.join("summary.json").exists() {
        return Err(Error::Exists {
            path: dir.to_path_buf(),
            message: "the run is already finished (summary.json exists); nothing to resume".into(),
        });
    }
    let cfg_path = dir.join("config.toml");
    if !cfg_path.exists() {
        return Err(Error::format(dir, "no config.toml: not a run folder"));
    }
    let cfg = RunConfig::from_file(&cfg_path)?;
    let mut prep = prepare_from_dir(&cfg, dir)?;
    let ck = dir.join("checkpoint.npz");
    let epochs = cfg.record_epochs();
    let k = cfg.model.memories;
    let (state, done, records, wall) = if ck.exists() {
        read_checkpoint(&ck)?
    } else {
        (prep.init.clone(), 0, 0, 0.0)
    };
    let rec = if records == 0 && !dir.join("memories.npy.part").exists() {
        Recorder::create(dir, &epochs, k, PIXELS, CLASSES)?
    } else {
        Recorder::reopen(dir, &epochs, k, PIXELS, CLASSES, records)?
    };
    prep.init = state.clone();
    continue_run(prep, dir, state, done, rec, wall, progress)
}

/// Rebuild a prepared run from the arrays saved in its folder (so a resume never depends on the
/// original data files still being there).
fn prepare_from_dir(cfg: &RunConfig, dir: &Path) -> Result<Prepared> {
    let mut c = cfg.clone();
    c.data.samples = Some(dir.join("samples.npy"));
    c.data.targets = Some(dir.join("targets.npy"));
    c.data.batches = Some(dir.join("batches.npy"));
    c.data.test_per_class = 0;
    let mut prep = prepare(&c)?;
    prep.config = cfg.clone();
    if dir.join("test_samples.npy").exists() {
        let samples = npy::read_matrix(&dir.join("test_samples.npy"), "test_samples")?;
        let targets = npy::read_matrix(&dir.join("test_targets.npy"), "test_targets")?;
        let digits = data::digits_from_targets(&targets);
        prep.test = Some(TrainingSet {
            samples,
            targets,
            digits,
            source_index: None,
        });
    }
    Ok(prep)
}

fn write_inputs(prep: &Prepared, dir: &Path) -> Result<()> {
    npy::write(&dir.join("samples.npy"), &prep.training.samples)?;
    npy::write(&dir.join("targets.npy"), &prep.training.targets)?;
    let b = prep.batches.len();
    let per = prep.batches[0].len();
    let flat: Vec<i64> = prep.batches.iter().flatten().map(|&i| i as i64).collect();
    let arr = Array2::from_shape_vec((b, per), flat).map_err(|e| Error::format(dir, e.to_string()))?;
    npy::write(&dir.join("batches.npy"), &arr)?;
    if let Some(idx) = &prep.training.source_index {
        npy::write(&dir.join("sample_index.npy"), &npy::indices(idx))?;
    }
    if let Some(t) = &prep.test {
        npy::write(&dir.join("test_samples.npy"), &t.samples)?;
        npy::write(&dir.join("test_targets.npy"), &t.targets)?;
    }
    Ok(())
}

fn continue_run(
    prep: Prepared,
    dir: &Path,
    mut state: State,
    done: usize,
    mut rec: Recorder,
    wall_before: f64,
    progress: Progress,
) -> Result<Summary> {
    let cfg = &prep.config;
    let total = cfg.train.epochs;
    let mut trainer = prep.trainer()?;
    let start = Instant::now();
    if done == 0 && rec.written() == 0 && rec.wants(0) {
        rec.record(&state.memories, &state.labels)?;
    }
    let every = cfg.train.checkpoint_every;
    let mut previous = state.memories.clone();
    for e in done..total {
        if e + 1 == total {
            previous.assign(&state.memories);
        }
        trainer.epoch(&mut state, e);
        if !state.is_finite() {
            return Err(Error::Diverged(format!(
                "non-finite memories or labels after epoch {} (n = {}, T = {}); lower the rate or check the data",
                e + 1,
                cfg.model.n,
                cfg.model.temperature
            )));
        }
        if rec.wants(e + 1) {
            rec.record(&state.memories, &state.labels)?;
        }
        if every > 0 && (e + 1) % every == 0 && e + 1 < total {
            rec.flush()?;
            write_checkpoint(
                dir,
                &state,
                e + 1,
                rec.written(),
                wall_before + start.elapsed().as_secs_f64(),
            )?;
        }
        if !progress(e + 1, total) && e + 1 < total {
            rec.flush()?;
            return Err(Error::Interrupted(e + 1));
        }
    }
    let wall = wall_before + start.elapsed().as_secs_f64();
    rec.finish()?;
    write_checkpoint(dir, &state, total, cfg.record_epochs().len(), wall)?;
    let frozen = if total > done {
        state
            .memories
            .rows()
            .into_iter()
            .zip(previous.rows())
            .filter(|(a, b)| a == b)
            .count()
    } else {
        0
    };
    let summary = Summary {
        version: crate::VERSION.to_string(),
        form: cfg.model.form,
        epochs: total,
        memories: cfg.model.memories,
        training_samples: prep.training.samples.nrows(),
        wall_seconds: wall,
        train: evaluate(cfg, &state, &prep.training),
        test: prep.test.as_ref().map(|t| evaluate(cfg, &state, t)),
        frozen_memories: frozen,
    };
    let text = serde_json::to_string_pretty(&summary).map_err(|e| Error::format(dir, e.to_string()))?;
    let tmp = dir.join("summary.json.tmp");
    std::fs::write(&tmp, text).map_err(|e| Error::io(&tmp, e))?;
    std::fs::rename(&tmp, dir.join("summary.json")).map_err(|e| Error::io(dir.join("summary.json"), e))?;
    Ok(summary)
}

/// Write `checkpoint.npz` atomically (temporary file, then rename).
fn write_checkpoint(dir: &Path, st: &State, epoch: usize, records: usize, wall: f64) -> Result<()> {
    let tmp = dir.join("checkpoint.npz.tmp");
    {
        let mut w = npy::create_npz(&tmp)?;
        let e = |err: ndarray_npy::WriteNpzError| Error::format(&tmp, err.to_string());
        w.add_array("memories", &st.memories).map_err(e)?;
        w.add_array("labels", &st.labels).map_err(e)?;
        w.add_array("vel_memories", &st.vel_memories).map_err(e)?;
        w.add_array("vel_labels", &st.vel_labels).map_err(e)?;
        w.add_array("epoch", &Array0::from_elem((), epoch as i64))
            .map_err(e)?;
        w.add_array("records", &Array0::from_elem((), records as i64))
            .map_err(e)?;
        w.add_array("wall_seconds", &Array0::from_elem((), wall))
            .map_err(e)?;
        w.finish().map_err(e)?;
    }
    std::fs::rename(&tmp, dir.join("checkpoint.npz")).map_err(|e| Error::io(dir.join("checkpoint.npz"), e))
}

/// Read a checkpoint: (state, completed epochs, trajectory records, wall seconds).
pub fn read_checkpoint(path: &Path) -> Result<(State, usize, usize, f64)> {
    let mut z = npy::open_npz(path)?;
    let mut m2 = |k: &str| -> Result<Array2<f64>> {
        npy::npz_f64(&mut z, path, k)?
            .into_dimensionality::<Ix2>()
            .map_err(|e| Error::format(path, format!("{k}: {e}")))
    };
    let st = State {
        memories: m2("memories")?,
        labels: m2("labels")?,
        vel_memories: m2("vel_memories")?,
        vel_labels: m2("vel_labels")?,
    };
    let scalar_i = |z: &mut _, k: &str| -> Result<usize> {
        let a = npy::npz_int(z, path, k)?;
        Ok(a.into_dimensionality::<Ix0>()
            .map_err(|e| Error::format(path, format!("{k}: {e}")))?
            .into_scalar() as usize)
    };
    let epoch = scalar_i(&mut z, "epoch")?;
    let records = scalar_i(&mut z, "records")?;
    let wall = npy::npz_f64(&mut z, path, "wall_seconds")?
        .iter()
        .next()
        .copied()
        .unwrap_or(0.0);
    Ok((st, epoch, records, wall))
}

/// The recorded trajectory of a finished run: (epochs, memories E×K×784, labels E×K×C).
pub fn read_trajectory(dir: &Path) -> Result<(Vec<usize>, ndarray::Array3<f64>, ndarray::Array3<f64>)> {
    let path: PathBuf = dir.join(crate::dam::trajectory::TRAJECTORY);
    let mut z = npy::open_npz(&path)?;
    let epochs = npy::npz_int(&mut z, &path, "epochs")?
        .iter()
        .map(|&e| e as usize)
        .collect();
    let m = npy::npz_f64(&mut z, &path, "memories")?
        .into_dimensionality()
        .map_err(|e| Error::format(&path, format!("memories: {e}")))?;
    let l = npy::npz_f64(&mut z, &path, "labels")?
        .into_dimensionality()
        .map_err(|e| Error::format(&path, format!("labels: {e}")))?;
    Ok((epochs, m, l))
}
