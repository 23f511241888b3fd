//! `DIR/summary.csv` and `DIR/summary.npz`: one row per point with its grid values and the final
//! analysis numbers of the paper's Figure 2 (max-α, reconstruction count), accuracy, class
//! populations and learning order.

use super::manifest::{Entry, Manifest};
use super::runner::{self, Status};
use crate::dam::model;
use crate::data::CLASSES;
use crate::error::Result;
use crate::landscape::alpha::{self, Decomposition};
use crate::landscape::order;
use crate::npy;
use crate::run_folder::{RunFolder, Summary};
use faer::Par;
use ndarray::{Array1, Array2, ArrayView2, Axis};
use rayon::prelude::*;
use std::fmt::Write as _;
use std::path::Path;

/// Fraction of the mean L1 norm used as the reconstruction tolerance (spec §3.5).
pub const RECONSTRUCTION_FRACTION: f64 = 0.05;
/// A class is learned once ⌈¼ · its samples⌉ are recognised (5 of 20: the reference's "> 4", §3.7).
pub const LEARNED_FRACTION: f64 = 0.25;
/// Label threshold of the paper's Fig. 8 populations (ℓ_{A,d} > 0.98, spec §3.11).
pub const POPULATION_STRICT: f64 = 0.98;
/// Label threshold of the paper's Fig. 7 populations (ℓ_{A,d} ≥ 0.9, spec §3.11).
pub const POPULATION_LOOSE: f64 = 0.9;

/// The collected numbers of one finished point.
#[derive(Debug, Clone, PartialEq)]
pub struct PointResult {
    /// Epochs trained.
    pub epochs: usize,
    /// Memories K.
    pub memories: usize,
    /// Mean and std (over memories, ddof 0) of max_p |α_{A,p}| (spec §3.4).
    pub max_alpha: (f64, f64),
    /// Mean and std of the reconstruction-sample count (spec §3.5).
    pub reconstruction: (f64, f64),
    /// Training accuracy (argmax rule) from `summary.json`.
    pub train_accuracy: f64,
    /// Per-class training accuracy (NaN for classes without samples).
    pub per_class_accuracy: [f64; CLASSES],
    /// #{A : ℓ_{A,d} > 0.98} per class.
    pub population_098: [usize; CLASSES],
    /// #{A : ℓ_{A,d} ≥ 0.9} per class.
    pub population_090: [usize; CLASSES],
    /// Epoch at which each class was learned (spec §3.7 rule on the recorded epochs), if ever.
    pub learned_epoch: [Option<usize>; CLASSES],
    /// Trained classes in learning order (never-learned classes left out).
    pub learning_order: Vec<usize>,
}

/// One row of the tables.
#[derive(Debug, Clone)]
pub struct Row {
    /// The manifest entry.
    pub entry: Entry,
    /// Status of the point folder.
    pub status: Status,
    /// The failure reason, for failed points.
    pub reason: Option<String>,
    /// The numbers, for finished points.
    pub result: Option<PointResult>,
}

/// Collect every point of the sweep in `dir` into `dir/summary.csv` and `dir/summary.npz`
/// (written atomically); returns the rows. Points not finished appear with their status and
/// empty numbers.
pub fn collect(dir: &Path) -> Result<Vec<Row>> {
    let m = Manifest::read(dir)?;
    let rows: Vec<Result<Row>> = m
        .points
        .par_iter()
        .map(|e| {
            let pdir = dir.join("points").join(&e.id);
            let status = runner::status(&pdir);
            let reason = match status {
                Status::Failed => Some(runner::read_failure(&pdir)?.reason),
                _ => None,
            };
            let result = match status {
                Status::Done => Some(analyse_point(&pdir)?),
                _ => None,
            };
            Ok(Row {
                entry: e.clone(),
                status,
                reason,
                result,
            })
        })
        .collect();
    let rows: Vec<Row> = rows.into_iter().collect::<Result<_>>()?;
    let csv = dir.join("summary.csv");
    atomic_write(&csv, csv_text(&m, &rows).as_bytes())?;
    write_npz(dir, &m, &rows)?;
    Ok(rows)
}

fn atomic_write(path: &Path, bytes: &[u8]) -> Result<()> {
    crate::atomic::write_bytes(path, bytes, crate::atomic::Durability::Atomic)
}

/// The numbers of one finished run folder: final state from `checkpoint.npz`, training set from
/// `samples.npy`/`targets.npy`, accuracy from `summary.json`, learning order from
/// `trajectory.npz`.
pub fn analyse_point(dir: &Path) -> Result<PointResult> {
    let folder = RunFolder::open(dir)?;
    let cfg = folder.config().clone();
    let summary: Summary = folder.summary()?;
    let state = folder.final_state()?;
    let set = folder.training_set()?;
    let (samples, digits) = (&set.samples, &set.digits);
    let alpha = Decomposition::new(samples.view(), digits)?.alpha(state.memories.view(), Par::Seq);
    let max_alpha = alpha::max_alpha(alpha.view());
    let tol = alpha::reconstruction_tolerance(state.memories.view(), RECONSTRUCTION_FRACTION);
    let counts = alpha::reconstruction_counts(state.memories.view(), alpha.view(), samples.view(), tol);
    let counts: Array1<f64> = counts.iter().map(|&c| c as f64).collect();
    let mut per_class = [f64::NAN; CLASSES];
    for (c, a) in summary.train.per_class_accuracy.iter().enumerate().take(CLASSES) {
        per_class[c] = a.unwrap_or(f64::NAN);
    }
    let mut traj = folder.trajectory()?;
    let epochs = traj.epochs().to_vec();
    let mut recognised = Array2::<i64>::zeros((epochs.len(), CLASSES));
    let mut first = 0;
    traj.stream(16, |chunk_epochs, mem, lab| {
        for t in 0..chunk_epochs.len() {
            let out = model::outputs(
                cfg.model.form,
                mem.index_axis(Axis(0), t),
                lab.index_axis(Axis(0), t),
                samples.view(),
                &cfg.params(),
                Par::Seq,
            );
            for (c, n) in model::recognition_counts(&out, digits).into_iter().enumerate() {
                recognised[[first + t, c]] = n as i64;
            }
        }
        first += chunk_epochs.len();
        Ok(())
    })?;
    let mut sizes = [0usize; CLASSES];
    for &d in digits {
        sizes[d] += 1;
    }
    let mut learned_epoch = [None; CLASSES];
    for c in 0..CLASSES {
        if sizes[c] > 0 {
            let threshold = order::learned_threshold(sizes[c], LEARNED_FRACTION);
            learned_epoch[c] = order::learned_frame(recognised.view(), c, threshold).map(|t| epochs[t]);
        }
    }
    let mut sequence: Vec<usize> = (0..CLASSES).filter(|&c| learned_epoch[c].is_some()).collect();
    sequence.sort_by_key(|&c| (learned_epoch[c], c));
    Ok(PointResult {
        epochs: summary.epochs,
        memories: state.memories.nrows(),
        max_alpha: mean_std(&max_alpha),
        reconstruction: mean_std(&counts),
        train_accuracy: summary.train.accuracy,
        per_class_accuracy: per_class,
        population_098: populations(state.labels.view(), |l| l > POPULATION_STRICT),
        population_090: populations(state.labels.view(), |l| l >= POPULATION_LOOSE),
        learned_epoch,
        learning_order: sequence,
    })
}

fn populations(labels: ArrayView2<f64>, rule: impl Fn(f64) -> bool) -> [usize; CLASSES] {
    let mut out = [0; CLASSES];
    for row in labels.rows() {
        for (c, &l) in row.iter().enumerate().take(CLASSES) {
            if rule(l) {
                out[c] += 1;
            }
        }
    }
    out
}

/// Mean and population standard deviation (ddof 0, numpy's default).
fn mean_std(v: &Array1<f64>) -> (f64, f64) {
    let n = v.len() as f64;
    if v.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let mean = v.sum() / n;
    let var = v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n;
    (mean, var.sqrt())
}

/// The CSV columns after the grid values.
fn header(m: &Manifest) -> Vec<String> {
    let mut h: Vec<String> = vec!["index".into(), "id".into(), "status".into()];
    h.extend(m.paths.iter().cloned());
    for c in [
        "epochs",
        "memories",
        "max_alpha_mean",
        "max_alpha_std",
        "reconstruction_mean",
        "reconstruction_std",
        "train_accuracy",
    ] {
        h.push(c.into());
    }
    for prefix in ["accuracy", "population_098", "population_090", "learned_epoch"] {
        h.extend((0..CLASSES).map(|c| format!("{prefix}_{c}")));
    }
    h.push("learning_order".into());
    h.push("reason".into());
    h
}

fn quote(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn num(x: f64) -> String {
    if x.is_nan() { String::new() } else { format!("{x}") }
}

/// The text of `summary.csv` (no wall times: identical for identical results).
fn csv_text(m: &Manifest, rows: &[Row]) -> String {
    let mut s = header(m).join(",");
    s.push('\n');
    for r in rows {
        let status = match r.status {
            Status::Done => "done",
            Status::Failed => "failed",
            Status::Interrupted => "interrupted",
            Status::Pending => "pending",
        };
        let mut cells: Vec<String> = vec![r.entry.index.to_string(), r.entry.id.clone(), status.into()];
        for p in &m.paths {
            cells.push(match r.entry.values.get(p) {
                Some(serde_json::Value::String(v)) => quote(v),
                Some(v) => quote(&v.to_string()),
                None => String::new(),
            });
        }
        match &r.result {
            Some(x) => {
                cells.push(x.epochs.to_string());
                cells.push(x.memories.to_string());
                for v in [
                    x.max_alpha.0,
                    x.max_alpha.1,
                    x.reconstruction.0,
                    x.reconstruction.1,
                    x.train_accuracy,
                ] {
                    cells.push(num(v));
                }
                cells.extend(x.per_class_accuracy.iter().map(|&v| num(v)));
                cells.extend(x.population_098.iter().map(|v| v.to_string()));
                cells.extend(x.population_090.iter().map(|v| v.to_string()));
                cells.extend(
                    x.learned_epoch
                        .iter()
                        .map(|v| v.map(|e| e.to_string()).unwrap_or_default()),
                );
                cells.push(
                    x.learning_order
                        .iter()
                        .map(|c| c.to_string())
                        .collect::<Vec<_>>()
                        .join(" "),
                );
            }
            None => cells.extend(std::iter::repeat_n(String::new(), 7 + 4 * CLASSES + 1)),
        }
        cells.push(quote(r.reason.as_deref().unwrap_or("")));
        let _ = writeln!(s, "{}", cells.join(","));
    }
    s
}

/// `summary.npz`: the numeric columns as arrays over points (see docs/sweep.md).
fn write_npz(dir: &Path, m: &Manifest, rows: &[Row]) -> Result<()> {
    let n = rows.len();
    let path = dir.join("summary.npz");
    let mut w = npy::create_npz(&path)?;
    let index: Array1<i64> = rows.iter().map(|r| r.entry.index as i64).collect();
    w.add_array("index", &index)?;
    let status: Array1<i64> = rows
        .iter()
        .map(|r| match r.status {
            Status::Done => 0,
            Status::Failed => 1,
            Status::Interrupted => 2,
            Status::Pending => 3,
        })
        .collect();
    w.add_array("status", &status)?;
    let mut grid = Array2::<f64>::from_elem((n, m.paths.len()), f64::NAN);
    for (i, r) in rows.iter().enumerate() {
        for (j, p) in m.paths.iter().enumerate() {
            if let Some(v) = r.entry.values.get(p) {
                grid[[i, j]] = match v {
                    serde_json::Value::Number(x) => x.as_f64().unwrap_or(f64::NAN),
                    serde_json::Value::Bool(b) => f64::from(u8::from(*b)),
                    _ => f64::NAN,
                };
            }
        }
    }
    w.add_array("grid", &grid)?;
    for (j, p) in m.paths.iter().enumerate() {
        w.add_array(p.as_str(), &grid.column(j).to_owned())?;
    }
    let scalar = |f: &dyn Fn(&PointResult) -> f64| -> Array1<f64> {
        rows.iter()
            .map(|r| r.result.as_ref().map_or(f64::NAN, f))
            .collect()
    };
    w.add_array("epochs", &scalar(&|x| x.epochs as f64))?;
    w.add_array("memories", &scalar(&|x| x.memories as f64))?;
    w.add_array("max_alpha_mean", &scalar(&|x| x.max_alpha.0))?;
    w.add_array("max_alpha_std", &scalar(&|x| x.max_alpha.1))?;
    w.add_array("reconstruction_mean", &scalar(&|x| x.reconstruction.0))?;
    w.add_array("reconstruction_std", &scalar(&|x| x.reconstruction.1))?;
    w.add_array("train_accuracy", &scalar(&|x| x.train_accuracy))?;
    let per_class = |f: &dyn Fn(&PointResult, usize) -> f64| -> Array2<f64> {
        Array2::from_shape_fn((n, CLASSES), |(i, c)| {
            rows[i].result.as_ref().map_or(f64::NAN, |x| f(x, c))
        })
    };
    w.add_array("per_class_accuracy", &per_class(&|x, c| x.per_class_accuracy[c]))?;
    w.add_array("population_098", &per_class(&|x, c| x.population_098[c] as f64))?;
    w.add_array("population_090", &per_class(&|x, c| x.population_090[c] as f64))?;
    w.add_array(
        "learned_epoch",
        &per_class(&|x, c| x.learned_epoch[c].map_or(f64::NAN, |v| v as f64)),
    )?;
    let order = Array2::<i64>::from_shape_fn((n, CLASSES), |(i, k)| {
        rows[i]
            .result
            .as_ref()
            .and_then(|x| x.learning_order.get(k))
            .map_or(-1, |&c| c as i64)
    });
    w.add_array("learning_order", &order)?;
    w.finish()
}
