//! Training a run into its run folder: from a [`RunConfig`] to a finished folder, with
//! checkpoints and resume. What the folder holds and the protocol by which it is written are the
//! run folder's ([`crate::run_folder`], `docs/run-folder.md`); this module prepares the data and
//! drives the trainer.

use crate::config::{RunConfig, derive_seed};
use crate::dam::model;
use crate::dam::train::{Hyper, Noise, State, Trainer, consecutive_batches};
use crate::data::{self, CLASSES, Dataset, PIXELS, TrainingSet};
use crate::error::{Error, Result};
use crate::linalg;
use crate::npy;
use crate::run_folder::{
    self, Checkpoint, FolderState, Recorder, RunFolder, RunWriter, read_batches, read_config,
};
use std::path::Path;
use std::time::Instant;

pub use crate::run_folder::{Evaluation, Summary};

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

/// Load the data named by `cfg.data`: explicit arrays, or a seeded class-balanced selection.
pub fn load_training(cfg: &RunConfig) -> Result<(TrainingSet, Option<TrainingSet>)> {
    let d = &cfg.data;
    if let (Some(sp), Some(tp)) = (&d.samples, &d.targets) {
        let set = data::read_set(sp, tp, ["data.samples", "data.targets"])?;
        if set.samples.ncols() != PIXELS {
            return Err(Error::shape(
                format!("data.samples ({})", sp.display()),
                "P × 784",
                set.samples.shape(),
            ));
        }
        return Ok((set, None));
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
        Some(bp) => read_batches(bp, p, "data.batches")?,
        None => consecutive_batches(p, cfg.train.minibatches)?,
    };
    let init = initial_state(cfg)?;
    Ok(Prepared {
        config: cfg.clone(),
        training,
        test,
        batches,
        init,
    })
}

/// The initial state of a config: the `init.memories` / `init.labels` files, or the seeded
/// normal initialisation (spec §2.5).
pub fn initial_state(cfg: &RunConfig) -> Result<State> {
    let k = cfg.model.memories;
    let state = match (&cfg.init.memories, &cfg.init.labels) {
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
    Ok(state)
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

/// A request that every training run of this process stop after its current epoch, as a crash
/// would (each stays resumable from its last checkpoint): set from another thread, e.g. by the
/// Python package when the user presses Ctrl-C during `train` or `reproduce`. A sweep starts no
/// new point while it is set.
static STOP: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Ask every running training run to stop after its current epoch ([`Error::Interrupted`]).
pub fn request_stop() {
    STOP.store(true, std::sync::atomic::Ordering::SeqCst);
}

/// Withdraw a stop request (before new work starts).
pub fn clear_stop() {
    STOP.store(false, std::sync::atomic::Ordering::SeqCst);
}

/// Whether a stop has been requested.
pub fn stop_requested() -> bool {
    STOP.load(std::sync::atomic::Ordering::SeqCst)
}

/// Progress callback: called after every epoch with (completed epochs, total epochs); returning
/// `false` stops the run there (as a crash would: it stays resumable from its last checkpoint)
/// with [`Error::Interrupted`].
pub type Progress<'a> = &'a mut dyn FnMut(usize, usize) -> bool;

/// Whether two configs describe the same run (the thread count does not change the results).
fn same_run(a: &RunConfig, b: &RunConfig) -> bool {
    let mut b = b.clone();
    b.threads = a.threads;
    *a == b
}

/// Train `cfg` in `dir` to the end. A new or empty folder, or one whose start was cut short, gets
/// a new run; an interrupted run of the same config is continued from its checkpoint (the result
/// is identical to an uninterrupted run); a finished run, another config's run, or anything else
/// is refused and left as it is.
pub fn run(cfg: &RunConfig, dir: &Path, progress: Progress) -> Result<Summary> {
    cfg.validate()?;
    match FolderState::of(dir)? {
        FolderState::Finished => Err(Error::Exists {
            path: dir.to_path_buf(),
            message: "already holds a finished run (summary.json); choose another --out folder".into(),
        }),
        FolderState::Resumable => {
            let saved = read_config(&dir.join(run_folder::CONFIG))?;
            if !same_run(&saved, cfg) {
                return Err(Error::Exists {
                    path: dir.to_path_buf(),
                    message: "holds an unfinished run of another config; continue it with \
                              `waddington train --resume DIR`, or choose another --out folder"
                        .into(),
                });
            }
            resume(dir, progress)
        }
        FolderState::Foreign(name) => Err(Error::Exists {
            path: dir.to_path_buf(),
            message: format!(
                "is not empty (`{name}` is not a file of a run folder); a run needs a new or empty folder"
            ),
        }),
        FolderState::New | FolderState::PartialStart => start(cfg, dir, progress),
    }
}

/// Start a new run: inputs, then `config.toml` (the commit point), then training.
fn start(cfg: &RunConfig, dir: &Path, progress: Progress) -> Result<Summary> {
    let prep = prepare(cfg)?;
    let w = RunWriter::lock(dir)?;
    match FolderState::of(dir)? {
        FolderState::New => {}
        FolderState::PartialStart => run_folder::clean_partial_start(dir)?,
        _ => {
            return Err(Error::Exists {
                path: dir.to_path_buf(),
                message: "was changed by another process while this run started".into(),
            });
        }
    }
    w.write_inputs(&prep.training, prep.test.as_ref(), &prep.batches)?;
    w.write_config(&prep.config)?;
    let rec = w.recorder(&cfg.record_epochs(), cfg.model.memories, PIXELS, CLASSES, 0)?;
    let init = prep.init.clone();
    continue_run(prep, &w, init, 0, rec, 0.0, progress)
}

/// Continue an interrupted run from its last checkpoint; the result is identical to an
/// uninterrupted run.
pub fn resume(dir: &Path, progress: Progress) -> Result<Summary> {
    if FolderState::of(dir)? == FolderState::Finished {
        return Err(Error::Exists {
            path: dir.to_path_buf(),
            message: "the run is already finished (summary.json exists); nothing to resume".into(),
        });
    }
    let folder = RunFolder::open(dir)?;
    let w = RunWriter::lock(dir)?;
    let cfg = folder.config().clone();
    let (k, total) = (cfg.model.memories, cfg.train.epochs);
    let epochs = cfg.record_epochs();
    let Some(ck) = folder.checkpoint()? else {
        let prep = prepare_from_folder(&folder, initial_state(&cfg)?)?;
        let rec = w.recorder(&epochs, k, PIXELS, CLASSES, 0)?;
        let init = prep.init.clone();
        return continue_run(prep, &w, init, 0, rec, 0.0, progress);
    };
    if ck.state.memories.dim() != (k, PIXELS) || ck.state.labels.dim() != (k, CLASSES) {
        return Err(Error::shape(
            format!("checkpoint ({})", dir.join(run_folder::CHECKPOINT).display()),
            format!("{k} × {PIXELS} memories and {k} × {CLASSES} labels (model.memories)"),
            ck.state.memories.shape(),
        ));
    }
    // The state comes from the checkpoint: the initial state (and its files) is not needed.
    let prep = prepare_from_folder(&folder, ck.state.clone())?;
    if ck.epoch >= total {
        // Training had ended; what was cut short is the packing or the summary.
        if !w.trajectory_packed() {
            w.recorder(&epochs, k, PIXELS, CLASSES, ck.records)?.finish()?;
        }
        return finish(&prep, &w, &ck);
    }
    let rec = w.recorder(&epochs, k, PIXELS, CLASSES, ck.records)?;
    continue_run(prep, &w, ck.state, ck.epoch, rec, ck.wall_seconds, progress)
}

/// Rebuild a prepared run from the arrays saved in its folder (so a resume never depends on the
/// original data files still being there), starting from `init`.
fn prepare_from_folder(folder: &RunFolder, init: State) -> Result<Prepared> {
    let cfg = folder.config();
    let training = folder.training_set()?;
    let batches = folder.batches(training.samples.nrows())?;
    Ok(Prepared {
        config: cfg.clone(),
        training,
        test: folder.test_set()?,
        batches,
        init,
    })
}

fn continue_run(
    prep: Prepared,
    w: &RunWriter,
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
    // The memories before the last epoch (to count the memories it left unchanged).
    let mut previous = state.memories.clone();
    let mut after = |completed: usize, state: &State| -> Result<()> {
        if !state.is_finite() {
            return Err(Error::Diverged(format!(
                "non-finite memories or labels after epoch {completed} (n = {}, T = {}); lower the rate or check the data",
                cfg.model.n, cfg.model.temperature
            )));
        }
        if completed + 1 == total {
            previous.assign(&state.memories);
        }
        if rec.wants(completed) {
            rec.record(&state.memories, &state.labels)?;
        }
        if every > 0 && completed.is_multiple_of(every) && completed < total {
            rec.sync()?;
            w.write_checkpoint(&Checkpoint {
                state: state.clone(),
                epoch: completed,
                records: rec.written(),
                wall_seconds: wall_before + start.elapsed().as_secs_f64(),
                frozen_memories: None,
            })?;
        }
        if (!progress(completed, total) || stop_requested()) && completed < total {
            rec.sync()?;
            return Err(Error::Interrupted(completed));
        }
        Ok(())
    };
    trainer.run_epochs(&mut state, done..total, &mut after)?;
    let frozen = (total > done).then(|| {
        state
            .memories
            .rows()
            .into_iter()
            .zip(previous.rows())
            .filter(|(a, b)| a == b)
            .count()
    });
    rec.sync()?;
    let ck = Checkpoint {
        state,
        epoch: total,
        records: rec.written(),
        wall_seconds: wall_before + start.elapsed().as_secs_f64(),
        frozen_memories: frozen,
    };
    w.write_checkpoint(&ck)?;
    rec.finish()?;
    finish(&prep, w, &ck)
}

/// Evaluate the final state and write `summary.json`, the last file of a run.
fn finish(prep: &Prepared, w: &RunWriter, ck: &Checkpoint) -> Result<Summary> {
    let cfg = &prep.config;
    let summary = Summary {
        version: crate::VERSION.to_string(),
        form: cfg.model.form,
        epochs: cfg.train.epochs,
        memories: cfg.model.memories,
        training_samples: prep.training.samples.nrows(),
        wall_seconds: ck.wall_seconds,
        train: evaluate(cfg, &ck.state, &prep.training),
        test: prep.test.as_ref().map(|t| evaluate(cfg, &ck.state, t)),
        frozen_memories: ck.frozen_memories.unwrap_or(0),
    };
    w.write_summary(&summary)?;
    Ok(summary)
}
