//! `DIR/sweep.json`: the list of points of a sweep folder (id, grid values, full config), written
//! before anything runs and checked on every later call, so one folder never mixes two grids.

use super::grid::Grid;
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// File name of the manifest.
pub const MANIFEST: &str = "sweep.json";

/// One point as recorded in the manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// Position in the sweep.
    pub index: usize,
    /// Stable id (folder name under `points/`).
    pub id: String,
    /// The values the point sets: dotted path → value.
    pub values: serde_json::Map<String, serde_json::Value>,
    /// The point's resolved run config (TOML text).
    pub config: String,
}

/// The manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// `sweep.name` of the grid file, if any.
    pub name: Option<String>,
    /// The grid file it came from.
    pub grid_file: String,
    /// The dotted paths set by the points (the grid columns of the tables).
    pub paths: Vec<String>,
    /// Every point.
    pub points: Vec<Entry>,
}

impl Manifest {
    /// The manifest of a grid.
    pub fn of(grid: &Grid) -> Result<Manifest> {
        let mut points = Vec::new();
        for p in &grid.points {
            let mut values = serde_json::Map::new();
            for (k, v) in &p.values {
                let j = serde_json::to_value(v).map_err(|e| Error::format(&grid.path, e.to_string()))?;
                values.insert(k.clone(), j);
            }
            points.push(Entry {
                index: p.index,
                id: p.id.clone(),
                values,
                config: p.config.to_toml(),
            });
        }
        Ok(Manifest {
            name: grid.name.clone(),
            grid_file: grid.path.display().to_string(),
            paths: grid.paths.clone(),
            points,
        })
    }

    /// Read `DIR/sweep.json`.
    pub fn read(dir: &Path) -> Result<Manifest> {
        let p = dir.join(MANIFEST);
        let text = std::fs::read_to_string(&p).map_err(|e| Error::io(&p, e))?;
        serde_json::from_str(&text).map_err(|e| Error::format(&p, format!("not a sweep manifest: {e}")))
    }
}

/// Write `DIR/sweep.json` for a new sweep folder, or check that the existing one describes the
/// same points (same ids and configs); a different grid is refused, nothing is overwritten.
pub fn write_or_check(grid: &Grid, dir: &Path) -> Result<()> {
    let m = Manifest::of(grid)?;
    let path = dir.join(MANIFEST);
    if dir.exists() && !dir.is_dir() {
        return Err(Error::Exists {
            path: dir.to_path_buf(),
            message: "is a file, not a folder".into(),
        });
    }
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    // Several array tasks may start at once: they check and write the manifest one at a time.
    let _lock = crate::atomic::FolderLock::wait(dir)?;
    if path.exists() {
        let old = Manifest::read(dir)?;
        let same = old.points.len() == m.points.len()
            && old
                .points
                .iter()
                .zip(&m.points)
                .all(|(a, b)| a.id == b.id && a.config == b.config);
        if !same {
            return Err(Error::Exists {
                path: dir.to_path_buf(),
                message: "holds a sweep of a different grid (sweep.json differs); use another --out folder"
                    .into(),
            });
        }
        return Ok(());
    }
    if has_foreign_entries(dir)? {
        return Err(Error::Exists {
            path: dir.to_path_buf(),
            message: "is not empty and holds no sweep.json; a sweep needs a new or empty folder".into(),
        });
    }
    std::fs::create_dir_all(dir.join("points")).map_err(|e| Error::io(dir.join("points"), e))?;
    crate::atomic::write_json(&path, &m, crate::atomic::Durability::Synced)
}

/// Whether `dir` holds anything but what a starting sweep writes (`points/`, `slurm/`, temporary
/// manifests of array tasks starting at the same time, `slurm-*.out` logs).
fn has_foreign_entries(dir: &Path) -> Result<bool> {
    for e in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let name = e.map_err(|e| Error::io(dir, e))?.file_name();
        let name = name.to_string_lossy();
        let ours =
            name == "points" || name == "slurm" || name.starts_with(MANIFEST) || name.starts_with("slurm-");
        if !ours {
            return Ok(true);
        }
    }
    Ok(false)
}
