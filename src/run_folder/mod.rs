//! The run folder: the one type that writes and reads what `waddington train` leaves on disk
//! (`docs/run-folder.md`, one to one). Every command and module that reads a run goes through
//! [`RunFolder`] or [`Trajectory`]; none opens a file of it by name.
//!
//! ## States
//! A folder is always in one of the states of [`FolderState`], told apart by which files exist
//! (each is written whole or not at all, [`crate::atomic`]):
//! * **new**: absent or empty;
//! * **partial start**: only this tool's input files, no `config.toml` (the start was cut short;
//!   the same command cleans it and starts again);
//! * **resumable**: `config.toml` (written after the inputs, so its presence means they are all
//!   there), no `summary.json`;
//! * **finished**: `summary.json` (written last).
//!
//! ## Write protocol
//! Inputs, then `config.toml`, each synced and renamed into place; trajectory records are
//! appended to `memories.npy.part` / `labels.npy.part`, which are synced before every checkpoint,
//! so a checkpoint never refers to records that are not on disk; the final checkpoint is written
//! before the trajectory is packed into `trajectory.npz`, and `summary.json` last. A writer holds
//! an exclusive lock on the folder, so a second process refuses instead of interleaving.

mod read;
mod write;

pub use read::{RunFolder, Trajectory, read_batches, read_checkpoint, read_config};
pub use write::{Recorder, RunWriter};

use crate::dam::model::Form;
use crate::dam::train::State;
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// `config.toml`: the fully resolved run config.
pub const CONFIG: &str = "config.toml";
/// `samples.npy`: P×784 training samples.
pub const SAMPLES: &str = "samples.npy";
/// `targets.npy`: P×10 ±1 targets.
pub const TARGETS: &str = "targets.npy";
/// `batches.npy`: B×(P/B) sample indices of the minibatches.
pub const BATCHES: &str = "batches.npy";
/// `sample_index.npy`: row of each sample in the source dataset.
pub const SAMPLE_INDEX: &str = "sample_index.npy";
/// `test_samples.npy`: the held-out samples.
pub const TEST_SAMPLES: &str = "test_samples.npy";
/// `test_targets.npy`: the held-out targets.
pub const TEST_TARGETS: &str = "test_targets.npy";
/// `checkpoint.npz`: the state to resume from.
pub const CHECKPOINT: &str = "checkpoint.npz";
/// `trajectory.npz`: the recorded trajectory of a finished run.
pub const TRAJECTORY: &str = "trajectory.npz";
/// `summary.json`: written last; marks a finished run.
pub const SUMMARY: &str = "summary.json";
/// `memories.npy.part`: recorded memories while the run is in progress.
pub const PART_MEMORIES: &str = "memories.npy.part";
/// `labels.npy.part`: recorded labels while the run is in progress.
pub const PART_LABELS: &str = "labels.npy.part";

/// Every file this tool writes into a run folder (their `NAME.tmp` forms are its too).
const OWN_FILES: [&str; 12] = [
    CONFIG,
    SAMPLES,
    TARGETS,
    BATCHES,
    SAMPLE_INDEX,
    TEST_SAMPLES,
    TEST_TARGETS,
    CHECKPOINT,
    TRAJECTORY,
    SUMMARY,
    PART_MEMORIES,
    PART_LABELS,
];

fn is_own(name: &str) -> bool {
    let base = name.strip_suffix(".tmp").unwrap_or(name);
    OWN_FILES.contains(&base)
}

/// The state of a folder on disk, as the code tells it apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FolderState {
    /// Absent or empty: a run can start here.
    New,
    /// A start cut short: only this tool's input files, no `config.toml`. Safe to clean.
    PartialStart,
    /// `config.toml` without `summary.json`: continue it from its checkpoint.
    Resumable,
    /// `summary.json`: finished; never overwritten.
    Finished,
    /// Something else: the entry named is not this tool's.
    Foreign(String),
}

impl FolderState {
    /// Read the state of `dir`.
    pub fn of(dir: &Path) -> Result<FolderState> {
        if dir.join(SUMMARY).exists() {
            return Ok(FolderState::Finished);
        }
        if dir.join(CONFIG).exists() {
            return Ok(FolderState::Resumable);
        }
        if !dir.exists() {
            return Ok(FolderState::New);
        }
        let mut any = false;
        for entry in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
            let entry = entry.map_err(|e| Error::io(dir, e))?;
            let name = entry.file_name().to_string_lossy().to_string();
            let is_file = entry.file_type().map(|t| t.is_file()).unwrap_or(false);
            if !(is_file && is_own(&name)) {
                return Ok(FolderState::Foreign(name));
            }
            any = true;
        }
        Ok(if any {
            FolderState::PartialStart
        } else {
            FolderState::New
        })
    }
}

/// Remove the files of a partial start (only this tool's files; refuses anything else).
pub fn clean_partial_start(dir: &Path) -> Result<()> {
    if FolderState::of(dir)? != FolderState::PartialStart {
        return Ok(());
    }
    for entry in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let name = entry.file_name().to_string_lossy().to_string();
        if is_own(&name) {
            std::fs::remove_file(entry.path()).map_err(|e| Error::io(entry.path(), e))?;
        }
    }
    crate::atomic::sync_dir(dir)
}

/// `checkpoint.npz`: the state after `epoch` completed epochs.
#[derive(Debug, Clone, PartialEq)]
pub struct Checkpoint {
    /// Memories, labels and their velocities.
    pub state: State,
    /// Completed epochs.
    pub epoch: usize,
    /// Trajectory records written (and synced) when it was taken.
    pub records: usize,
    /// Training wall time so far (seconds, summed over resumed parts).
    pub wall_seconds: f64,
    /// Memories whose last update was exactly zero (at the final checkpoint; −1 in the file
    /// where unknown, read as `None`).
    pub frozen_memories: Option<usize>,
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
