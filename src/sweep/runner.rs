//! Running the points of a sweep: in parallel (whole single-threaded runs per worker), skipping
//! finished points, resuming interrupted ones from their checkpoints, recording failures.

use super::grid::{Grid, Point};
use super::manifest;
use crate::dam::run;
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Which slice of the points this process runs: points with `index % count == shard`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// This shard (0-based).
    pub index: usize,
    /// Number of shards.
    pub count: usize,
}

impl Shard {
    /// All points.
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    /// Parse `i/N` (0 ≤ i < N).
    pub fn parse(s: &str) -> Result<Shard> {
        let bad = || {
            Error::invalid(
                "--shard",
                format!("\"{s}\": expected i/N with 0 ≤ i < N, e.g. 0/4"),
            )
        };
        let (a, b) = s.split_once('/').ok_or_else(bad)?;
        let index: usize = a.trim().parse().map_err(|_| bad())?;
        let count: usize = b.trim().parse().map_err(|_| bad())?;
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }

    /// The shard of a Slurm array task (`SLURM_ARRAY_TASK_ID` − `SLURM_ARRAY_TASK_MIN` of
    /// `SLURM_ARRAY_TASK_COUNT`), or None outside an array job.
    pub fn from_slurm_env() -> Result<Option<Shard>> {
        let get = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let (Some(id), Some(count)) = (get("SLURM_ARRAY_TASK_ID"), get("SLURM_ARRAY_TASK_COUNT")) else {
            return Ok(None);
        };
        let min = get("SLURM_ARRAY_TASK_MIN").unwrap_or_else(|| "0".into());
        let num = |k: &str, v: &str| {
            v.parse::<usize>()
                .map_err(|_| Error::invalid(k, format!("\"{v}\" is not a non-negative integer")))
        };
        let (id, count, min) = (
            num("SLURM_ARRAY_TASK_ID", &id)?,
            num("SLURM_ARRAY_TASK_COUNT", &count)?,
            num("SLURM_ARRAY_TASK_MIN", &min)?,
        );
        Shard::parse(&format!("{}/{count}", id.saturating_sub(min))).map(Some)
    }

    /// Whether the point with this index belongs to the shard.
    pub fn contains(&self, index: usize) -> bool {
        index % self.count == self.index
    }
}

/// Options of [`run_sweep`].
#[derive(Debug, Clone)]
pub struct Options {
    /// Worker threads (points run at the same time), ≥ 1.
    pub jobs: usize,
    /// The slice of points to run.
    pub shard: Shard,
    /// Run failed points again (otherwise they are skipped).
    pub retry_failed: bool,
}

/// State of a point folder on disk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// `summary.json` present: finished.
    Done,
    /// `FAILED.json` present.
    Failed,
    /// Started (a `config.toml`), not finished: resumable from its checkpoint.
    Interrupted,
    /// Not started.
    Pending,
}

/// `FAILED.json` of a point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Failure {
    /// Point id.
    pub id: String,
    /// `"diverged"` (non-finite values: a result of the point) or `"error"` (I/O, data, ...).
    pub kind: String,
    /// The error message.
    pub reason: String,
}

/// Events reported while a sweep runs.
#[derive(Debug, Clone)]
pub enum Event {
    /// Total epochs of this shard and those already done (skipped or checkpointed).
    Start {
        total_epochs: u64,
        done_epochs: u64,
        points: usize,
        to_run: usize,
    },
    /// More epochs completed.
    Epochs(u64),
    /// A point finished (or failed).
    Finished { id: String, failure: Option<Failure> },
}

/// What a sweep did.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Points of the shard.
    pub points: usize,
    /// Already finished before this call.
    pub skipped: usize,
    /// Finished by this call.
    pub completed: usize,
    /// Resumed from a checkpoint by this call.
    pub resumed: usize,
    /// Failed (now or before, unless retried).
    pub failures: Vec<Failure>,
    /// Points left alone because another process is running them (their folder is locked).
    pub busy: Vec<String>,
}

/// The folder of a point.
pub fn point_dir(out: &Path, p: &Point) -> PathBuf {
    out.join("points").join(&p.id)
}

/// The on-disk state of a point.
pub fn status(dir: &Path) -> Status {
    use crate::run_folder::FolderState;
    let state = FolderState::of(dir).unwrap_or(FolderState::New);
    if state == FolderState::Finished {
        Status::Done
    } else if dir.join("FAILED.json").exists() {
        Status::Failed
    } else if state == FolderState::Resumable {
        Status::Interrupted
    } else {
        Status::Pending
    }
}

/// Read a point's `FAILED.json`.
pub fn read_failure(dir: &Path) -> Result<Failure> {
    let p = dir.join("FAILED.json");
    let text = std::fs::read_to_string(&p).map_err(|e| Error::io(&p, e))?;
    serde_json::from_str(&text).map_err(|e| Error::format(&p, e.to_string()))
}

/// Run (or continue) the points of `grid` that belong to `opts.shard` into `out`, `opts.jobs`
/// at a time, each as a single-threaded run in `out/points/<id>/`. Finished points are skipped,
/// interrupted ones resumed from their checkpoint (so the results equal an uninterrupted sweep's
/// byte for byte, whatever `jobs`), failed ones skipped unless `retry_failed`. A point whose
/// training diverges, or whose run fails, gets `FAILED.json` and the others continue.
pub fn run_sweep(grid: &Grid, out: &Path, opts: &Options, events: &(dyn Fn(Event) + Sync)) -> Result<Report> {
    if opts.jobs == 0 {
        return Err(Error::invalid("--jobs", "expected at least 1 worker"));
    }
    manifest::write_or_check(grid, out)?;
    let mine: Vec<&Point> = grid
        .points
        .iter()
        .filter(|p| opts.shard.contains(p.index))
        .collect();
    let mut report = Report {
        points: mine.len(),
        ..Report::default()
    };
    let mut todo: Vec<&Point> = Vec::new();
    let (mut total, mut done_epochs) = (0u64, 0u64);
    for p in &mine {
        let epochs = p.config.train.epochs as u64;
        total += epochs;
        let dir = point_dir(out, p);
        match status(&dir) {
            Status::Done => {
                report.skipped += 1;
                done_epochs += epochs;
            }
            Status::Failed if !opts.retry_failed => {
                report.failures.push(read_failure(&dir)?);
                done_epochs += epochs;
            }
            _ => {
                done_epochs += checkpoint_epoch(&dir) as u64;
                todo.push(p);
            }
        }
    }
    events(Event::Start {
        total_epochs: total,
        done_epochs,
        points: mine.len(),
        to_run: todo.len(),
    });
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, bool, Option<Failure>)>> = Mutex::new(Vec::new());
    let fatal: Mutex<Option<Error>> = Mutex::new(None);
    let busy: Mutex<Vec<String>> = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..opts.jobs.min(todo.len().max(1)) {
            s.spawn(|| {
                loop {
                    if crate::dam::run::stop_requested() {
                        break;
                    }
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(p) = todo.get(i) else { break };
                    match run_point(p, out, events) {
                        Ok(None) => {
                            if let Ok(mut b) = busy.lock() {
                                b.push(p.id.clone());
                            }
                        }
                        Ok(Some((resumed, failure))) => {
                            events(Event::Finished {
                                id: p.id.clone(),
                                failure: failure.clone(),
                            });
                            if let Ok(mut r) = results.lock() {
                                r.push((p.index, resumed, failure));
                            }
                        }
                        Err(e) => {
                            // The failure could not even be recorded (e.g. disk full): stop.
                            if let Ok(mut f) = fatal.lock() {
                                f.get_or_insert(e);
                            }
                            next.store(usize::MAX / 2, Ordering::SeqCst);
                        }
                    }
                }
            });
        }
    });
    if let Some(e) = fatal.into_inner().ok().flatten() {
        return Err(e);
    }
    let mut results = results.into_inner().unwrap_or_default();
    results.sort_by_key(|r| r.0);
    for (_, resumed, failure) in results {
        match failure {
            Some(f) => report.failures.push(f),
            None => {
                report.completed += 1;
                if resumed {
                    report.resumed += 1;
                }
            }
        }
    }
    report.failures.sort_by(|a, b| a.id.cmp(&b.id));
    report.busy = busy.into_inner().unwrap_or_default();
    report.busy.sort();
    Ok(report)
}

/// Completed epochs recorded in a point's checkpoint (0 without one).
fn checkpoint_epoch(dir: &Path) -> usize {
    crate::run_folder::RunFolder::open(dir)
        .and_then(|f| f.completed_epochs())
        .unwrap_or(0)
}

/// Run or resume one point; Ok(Some((resumed, failure))), or Ok(None) when another process is
/// running it (its folder's lock is held: the point is left to it). Err only when the failure
/// itself cannot be recorded.
fn run_point(
    p: &Point,
    out: &Path,
    events: &(dyn Fn(Event) + Sync),
) -> Result<Option<(bool, Option<Failure>)>> {
    let dir = point_dir(out, p);
    let failed = dir.join("FAILED.json");
    if failed.exists() {
        std::fs::remove_file(&failed).map_err(|e| Error::io(&failed, e))?;
    }
    let resumable = crate::run_folder::FolderState::of(&dir)? == crate::run_folder::FolderState::Resumable;
    let mut last = if resumable { checkpoint_epoch(&dir) } else { 0 };
    let mut progress = |done: usize, _total: usize| {
        if done > last {
            events(Event::Epochs((done - last) as u64));
            last = done;
        }
        true
    };
    // `run` starts a new point (cleaning a start that was cut short) or continues an
    // interrupted one from its checkpoint.
    let result = run::run(&p.config, &dir, &mut progress);
    match result {
        Ok(_) => Ok(Some((resumable, None))),
        Err(Error::Busy { .. }) => Ok(None),
        // Stopped on request: not a failure of the point (it resumes), and the sweep stops too.
        Err(Error::Interrupted(n)) if crate::dam::run::stop_requested() => Err(Error::Interrupted(n)),
        Err(e) => {
            let failure = Failure {
                id: p.id.clone(),
                kind: if matches!(e, Error::Diverged(_)) {
                    "diverged"
                } else {
                    "error"
                }
                .into(),
                reason: format!("point {} ({}): {e}", p.id, describe(p)),
            };
            std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
            crate::atomic::write_json(&failed, &failure, crate::atomic::Durability::Synced)?;
            Ok(Some((resumable, Some(failure))))
        }
    }
}

/// `path = value, …` of a point.
pub fn describe(p: &Point) -> String {
    p.values
        .iter()
        .map(|(k, v)| format!("{k} = {}", super::grid::show(v)))
        .collect::<Vec<_>>()
        .join(", ")
}
