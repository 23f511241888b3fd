//! The overview of a sweep folder (`waddington sweep run --out DIR`): one cell per (n, T) point
//! (or per value of the first two swept paths), coloured by max-α and accuracy, each linking to
//! the point's page.

use crate::error::{Error, Result};
use crate::landscape::alpha::{self, Decomposition};
use crate::run_folder::RunFolder;
use crate::sweep::manifest::Manifest;
use crate::sweep::runner::{self, Status};
use faer::Par;
use rayon::prelude::*;
use serde::Serialize;
use std::path::Path;

/// The overview's document (embedded in `index.html`).
#[derive(Debug, Clone, Serialize)]
pub struct Overview {
    /// The sweep's name.
    pub name: String,
    /// The sweep folder.
    pub dir: String,
    /// The swept paths.
    pub paths: Vec<String>,
    /// The path along the grid's columns (`model.n` when swept).
    pub x_path: Option<String>,
    /// The path along the grid's rows (`model.temperature` when swept).
    pub y_path: Option<String>,
    /// Every point of the manifest.
    pub points: Vec<PointCell>,
}

/// One point of the overview.
#[derive(Debug, Clone, Serialize)]
pub struct PointCell {
    /// Index in the manifest.
    pub index: usize,
    /// Point id (its folder under `points/`).
    pub id: String,
    /// Swept values.
    pub values: serde_json::Map<String, serde_json::Value>,
    /// `done`, `failed`, `interrupted` or `pending`.
    pub status: &'static str,
    /// Mean max_p |α| of the final memories.
    pub max_alpha: Option<f64>,
    /// Final training accuracy.
    pub accuracy: Option<f64>,
    /// Link to the point's page (relative to the overview), for finished points.
    pub page: Option<String>,
}

/// The sweep manifest of `dir`, when `dir` is a sweep folder (`sweep.json`).
pub fn manifest_of(dir: &Path) -> Result<Option<Manifest>> {
    if dir.join("sweep.json").is_file() {
        Manifest::read(dir).map(Some)
    } else {
        Ok(None)
    }
}

/// A point id safe as a file name (the ids `sweep run` writes always are).
pub fn check_id(id: &str, manifest: &Path) -> Result<()> {
    let ok = !id.is_empty()
        && !id.starts_with('.')
        && id.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    if ok {
        Ok(())
    } else {
        Err(Error::format(
            manifest,
            format!("point id {id:?} is not a plain file name"),
        ))
    }
}

/// Build the overview of the sweep in `dir`; `link(id)` is the page address of a finished point.
pub fn overview(dir: &Path, m: &Manifest, link: impl Fn(&str) -> String + Sync) -> Result<Overview> {
    let pick = |want: &str, other: Option<&str>| -> Option<String> {
        if m.paths.iter().any(|p| p == want) && other != Some(want) {
            Some(want.to_string())
        } else {
            m.paths.iter().find(|p| Some(p.as_str()) != other).cloned()
        }
    };
    let x_path = pick("model.n", None);
    let y_path = pick("model.temperature", x_path.as_deref()).filter(|y| Some(y) != x_path.as_ref());
    let points = m
        .points
        .par_iter()
        .map(|e| {
            check_id(&e.id, &dir.join("sweep.json"))?;
            let pdir = dir.join("points").join(&e.id);
            let status = runner::status(&pdir);
            let (max_alpha, accuracy) = match status {
                Status::Done => (max_alpha_of(&pdir)?, accuracy_of(&pdir)?),
                _ => (None, None),
            };
            Ok(PointCell {
                index: e.index,
                id: e.id.clone(),
                values: e.values.clone(),
                status: status_name(&status),
                max_alpha,
                accuracy,
                page: (status == Status::Done).then(|| link(&e.id)),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Overview {
        name: m.name.clone().unwrap_or_else(|| "sweep".into()),
        dir: dir.display().to_string(),
        paths: m.paths.clone(),
        x_path,
        y_path,
        points,
    })
}

fn status_name(s: &Status) -> &'static str {
    match s {
        Status::Done => "done",
        Status::Failed => "failed",
        Status::Interrupted => "interrupted",
        Status::Pending => "pending",
    }
}

/// Final training accuracy from the point's `summary.json`.
fn accuracy_of(pdir: &Path) -> Result<Option<f64>> {
    Ok(Some(RunFolder::open(pdir)?.summary()?.train.accuracy))
}

/// Mean max-α of the final memories: `analysis/summary.json`'s `final_state.max_alpha_mean`
/// where the point was analysed, else computed from the final state (α = M X⁺, spec §3.4).
fn max_alpha_of(pdir: &Path) -> Result<Option<f64>> {
    let sp = pdir.join("analysis").join("summary.json");
    if sp.is_file() {
        let text = std::fs::read_to_string(&sp).map_err(|e| Error::io(&sp, e))?;
        let v: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| Error::format(&sp, format!("not JSON: {e}")))?;
        if let Some(x) = v.pointer("/final_state/max_alpha_mean").and_then(|x| x.as_f64()) {
            return Ok(Some(x));
        }
    }
    let run = RunFolder::open(pdir)?;
    let set = run.training_set()?;
    let state = run.final_state()?;
    let a = Decomposition::new(set.samples.view(), &set.digits)?.alpha(state.memories.view(), Par::Seq);
    Ok(alpha::max_alpha(a.view()).mean())
}
