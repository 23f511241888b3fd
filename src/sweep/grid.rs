//! Grid files: a run config plus a `[sweep]` table. The points are the Cartesian product of
//! `[sweep.grid]` (dotted config path → list of values, first path varying slowest) followed by
//! the explicit `sweep.points` (each a table of dotted path → value). Every point is applied to
//! the base config through its TOML form and validated before anything runs.

use crate::config::RunConfig;
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use toml::Value;

/// One point of a sweep: its position, stable id, the values it sets and its full run config.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// Position in the sweep (0-based; product points first, then explicit points).
    pub index: usize,
    /// Stable id `NNNN-hhhhhhhh`: zero-padded index and an FNV-1a hash of the point's values.
    pub id: String,
    /// The (dotted path, value) pairs that this point sets, in grid order.
    pub values: Vec<(String, Value)>,
    /// The resolved run config of this point (threads forced to 1).
    #[serde(skip)]
    pub config: RunConfig,
}

/// A parsed and validated grid file.
#[derive(Debug, Clone)]
pub struct Grid {
    /// The file it was read from.
    pub path: PathBuf,
    /// Optional `sweep.name`.
    pub name: Option<String>,
    /// Every dotted path that some point sets, in first-seen order (the columns of the tables).
    pub paths: Vec<String>,
    /// All points.
    pub points: Vec<Point>,
}

/// The `[sweep]` table.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SweepTable {
    name: Option<String>,
    #[serde(default)]
    grid: toml::Table,
    #[serde(default)]
    points: Vec<toml::Table>,
}

impl Grid {
    /// Read a grid file; every point is expanded and validated (unknown path, empty list, type or
    /// range error ⇒ an error naming the file and the path; nothing is run or written).
    pub fn from_file(path: &Path) -> Result<Grid> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let dir = path.parent().unwrap_or(Path::new("."));
        Self::from_toml_str(&text, path, dir)
    }

    /// Parse grid text; `origin` names it in errors, relative paths are resolved against `dir`.
    pub fn from_toml_str(text: &str, origin: &Path, dir: &Path) -> Result<Grid> {
        let mut table: toml::Table =
            toml::from_str(text).map_err(|e| Error::format(origin, format!("invalid TOML: {e}")))?;
        let sweep_value = table.remove("sweep").ok_or_else(|| {
            Error::format(
                origin,
                "no [sweep] table: a grid file needs [sweep.grid] or sweep.points",
            )
        })?;
        let sweep: SweepTable = sweep_value
            .try_into()
            .map_err(|e| Error::format(origin, format!("[sweep]: {e}")))?;
        // The base config: parsed and validated like a run config.
        let base_cfg = RunConfig::from_toml_str(&toml::to_string(&table).unwrap_or_default(), origin)?;
        Self::expand(&base_cfg, sweep, origin, dir)
    }

    /// Expand and validate the points of a `[sweep]` table over a base config.
    fn expand(base_cfg: &RunConfig, sweep: SweepTable, origin: &Path, dir: &Path) -> Result<Grid> {
        let base = Value::try_from(base_cfg).map_err(|e| Error::format(origin, e.to_string()))?;

        let mut axes: Vec<(String, Vec<Value>)> = Vec::new();
        for (key, v) in &sweep.grid {
            let list = match v {
                Value::Array(a) => a.clone(),
                _ => {
                    return Err(Error::format(
                        origin,
                        format!("sweep.grid.\"{key}\": expected a list of values, found {v}"),
                    ));
                }
            };
            if list.is_empty() {
                return Err(Error::format(
                    origin,
                    format!("sweep.grid.\"{key}\": the list is empty; give at least one value"),
                ));
            }
            axes.push((key.clone(), list));
        }
        if axes.is_empty() && sweep.points.is_empty() {
            return Err(Error::format(
                origin,
                "[sweep] has neither a grid nor points: nothing to run",
            ));
        }
        let mut sets: Vec<Vec<(String, Value)>> = Vec::new();
        if !axes.is_empty() {
            sets = cartesian(&axes);
        }
        for (i, p) in sweep.points.iter().enumerate() {
            if p.is_empty() {
                return Err(Error::format(origin, format!("sweep.points[{i}] is empty")));
            }
            sets.push(p.iter().map(|(k, v)| (k.clone(), v.clone())).collect());
        }
        let mut paths: Vec<String> = Vec::new();
        for s in &sets {
            for (k, _) in s {
                if !paths.contains(k) {
                    paths.push(k.clone());
                }
            }
        }
        let width = sets.len().saturating_sub(1).to_string().len().max(4);
        let mut points = Vec::with_capacity(sets.len());
        for (index, values) in sets.into_iter().enumerate() {
            let mut config = apply(&base, &values, origin)?;
            config.resolve_paths(dir);
            config.threads = 1;
            let id = format!(
                "{index:0width$}-{:08x}",
                (fnv1a(&canonical(&values)) >> 32) as u32
            );
            points.push(Point {
                index,
                id,
                values,
                config,
            });
        }
        Ok(Grid {
            path: origin.to_path_buf(),
            name: sweep.name,
            paths,
            points,
        })
    }
}

/// A sweep built in code: a base config and the axes of the product (dotted config path → values;
/// as in a grid file, the axes are taken in the order of their paths, the first varying slowest).
/// [`Sweep::grid`] gives the same points, ids and configs as the grid file [`Sweep::to_toml`]
/// writes (the file that `waddington sweep slurm` runs on a cluster).
#[derive(Debug, Clone)]
pub struct Sweep {
    /// `sweep.name`.
    pub name: String,
    /// The config every point starts from.
    pub base: RunConfig,
    axes: toml::Table,
}

impl Sweep {
    /// A sweep named `name` over `base`, with no axes yet.
    pub fn new(name: impl Into<String>, base: RunConfig) -> Self {
        Sweep {
            name: name.into(),
            base,
            axes: toml::Table::new(),
        }
    }

    /// Add an axis: `path` (e.g. `"model.n"`) takes each of `values`.
    pub fn axis<V: Into<Value>>(mut self, path: &str, values: impl IntoIterator<Item = V>) -> Self {
        let list: Vec<Value> = values.into_iter().map(Into::into).collect();
        self.axes.insert(path.to_string(), Value::Array(list));
        self
    }

    /// The expanded and validated grid; `origin` names it in errors, relative paths resolve
    /// against `dir`.
    pub fn grid(&self, origin: &Path, dir: &Path) -> Result<Grid> {
        self.base.validate()?;
        let sweep = SweepTable {
            name: Some(self.name.clone()),
            grid: self.axes.clone(),
            points: Vec::new(),
        };
        Grid::expand(&self.base, sweep, origin, dir)
    }

    /// The grid file of this sweep (TOML): the base config and its `[sweep]` table.
    pub fn to_toml(&self) -> Result<String> {
        let mut table = toml::Table::try_from(&self.base)
            .map_err(|e| Error::invalid("sweep", format!("config not representable in TOML: {e}")))?;
        let mut sweep = toml::Table::new();
        sweep.insert("name".into(), Value::String(self.name.clone()));
        sweep.insert("grid".into(), Value::Table(self.axes.clone()));
        table.insert("sweep".into(), Value::Table(sweep));
        toml::to_string(&table).map_err(|e| Error::invalid("sweep", e.to_string()))
    }
}

/// A number as a grid-file value the way it is written by hand: an integer when it is one
/// (`3`, not `3.0`), a float otherwise. Point ids hash the values, so this keeps the ids of grids
/// that were first written as text.
pub fn number(x: f64) -> Value {
    if x.fract() == 0.0 && x.abs() < 9.0e15 {
        Value::Integer(x as i64)
    } else {
        Value::Float(x)
    }
}

/// All combinations of the axes, the first axis varying slowest.
fn cartesian(axes: &[(String, Vec<Value>)]) -> Vec<Vec<(String, Value)>> {
    let mut out: Vec<Vec<(String, Value)>> = vec![Vec::new()];
    for (key, list) in axes {
        let mut next = Vec::with_capacity(out.len() * list.len());
        for prefix in &out {
            for v in list {
                let mut p = prefix.clone();
                p.push((key.clone(), v.clone()));
                next.push(p);
            }
        }
        out = next;
    }
    out
}

/// Set the dotted paths in the base config's TOML form, deserialise (unknown keys are errors)
/// and validate; errors name the path.
fn apply(base: &Value, values: &[(String, Value)], origin: &Path) -> Result<RunConfig> {
    let mut v = base.clone();
    for (path, value) in values {
        set_path(&mut v, path, value.clone())
            .map_err(|m| Error::format(origin, format!("sweep: \"{path}\": {m}")))?;
    }
    let cfg: RunConfig = v.try_into().map_err(|e: toml::de::Error| {
        let names = values
            .iter()
            .map(|(p, x)| format!("\"{p}\" = {}", show(x)))
            .collect::<Vec<_>>()
            .join(", ");
        Error::format(origin, format!("sweep point ({names}): {}", e.message()))
    })?;
    cfg.validate().map_err(|e| {
        let names = values
            .iter()
            .map(|(p, x)| format!("\"{p}\" = {}", show(x)))
            .collect::<Vec<_>>()
            .join(", ");
        Error::format(origin, format!("sweep point ({names}): {e}"))
    })?;
    Ok(cfg)
}

/// Optional config fields that are absent from the serialised form when unset.
const OPTIONAL: &[&str] = &[
    "data.labels",
    "data.seed",
    "data.samples",
    "data.targets",
    "data.batches",
    "init.seed",
    "init.memories",
    "init.labels",
    "model.m",
    "train.save_epochs",
    "train.temperature_initial",
];

fn set_path(root: &mut Value, path: &str, value: Value) -> std::result::Result<(), String> {
    let parts: Vec<&str> = path.split('.').collect();
    if parts.iter().any(|p| p.is_empty()) {
        return Err("not a dotted config path such as \"model.n\"".into());
    }
    let mut cur = root;
    for (i, part) in parts.iter().enumerate() {
        let table = cur
            .as_table_mut()
            .ok_or_else(|| format!("\"{}\" is not a section", parts[..i].join(".")))?;
        let last = i + 1 == parts.len();
        let known = table.contains_key(*part) || (last && OPTIONAL.contains(&path));
        if !known {
            return Err("unknown config path (see the run config keys in README.md)".into());
        }
        if last {
            if matches!(table.get(*part), Some(Value::Table(_))) {
                return Err("is a section, not a value".into());
            }
            table.insert((*part).to_string(), value);
            return Ok(());
        }
        cur = table.get_mut(*part).ok_or("unknown config path")?;
    }
    Ok(())
}

/// A canonical text of a point's values (`path=value;…`), the input of its id hash.
fn canonical(values: &[(String, Value)]) -> String {
    values.iter().map(|(k, v)| format!("{k}={v};")).collect()
}

/// 64-bit FNV-1a (stable across platforms and versions).
fn fnv1a(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// A value as a number for the `.npz` tables (integers, floats, booleans; NaN otherwise).
pub fn numeric(v: &Value) -> f64 {
    match v {
        Value::Integer(i) => *i as f64,
        Value::Float(f) => *f,
        Value::Boolean(b) => f64::from(u8::from(*b)),
        _ => f64::NAN,
    }
}

/// A value as a CSV cell (strings without quotes, arrays in TOML form).
pub fn cell(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A value as written in messages (floats in shortest form, e.g. `1e308`).
pub fn show(v: &Value) -> String {
    match v {
        Value::Float(f) => format!("{f:?}"),
        other => other.to_string(),
    }
}
