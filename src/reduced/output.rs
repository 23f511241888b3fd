//! Writing reduced-theory results: JSON summaries and `.npz` arrays (documented in docs/reduced.md).

use super::branches::Diagram;
use super::fixed_points::FixedPoint;
use super::nullclines::Nullcline;
use crate::error::{Error, Result};
use ndarray::{Array1, Array2};
use std::path::{Path, PathBuf};

/// Refuse to overwrite a finished output unless `force` ([`crate::atomic::check_outputs`]);
/// create the folder.
pub fn prepare(dir: &Path, files: &[&str], force: bool) -> Result<()> {
    crate::atomic::check_outputs(dir, files, force)
}

/// Write a serialisable value as pretty JSON.
pub fn write_json<T: serde::Serialize>(path: &Path, v: &T) -> Result<()> {
    let text = serde_json::to_string_pretty(v).map_err(|e| Error::format(path, e.to_string()))?;
    crate::atomic::write_bytes(path, text, crate::atomic::Durability::Atomic)
}

/// Columns of a list of fixed points: (n, T, s, α, β, ℓ, label code, stability code, eigenvalues).
struct Columns {
    n: Vec<f64>,
    t: Vec<f64>,
    s: Vec<f64>,
    alpha: Vec<f64>,
    beta: Vec<f64>,
    ell: Vec<f64>,
    label: Vec<i64>,
    stability: Vec<i64>,
    eig: Vec<f64>,
}

fn columns<'a>(fps: impl Iterator<Item = &'a FixedPoint>) -> Columns {
    let mut c = Columns {
        n: vec![],
        t: vec![],
        s: vec![],
        alpha: vec![],
        beta: vec![],
        ell: vec![],
        label: vec![],
        stability: vec![],
        eig: vec![],
    };
    for f in fps {
        c.n.push(f.n);
        c.t.push(f.temperature);
        c.s.push(f.s);
        c.alpha.push(f.alpha);
        c.beta.push(f.beta);
        c.ell.push(f.ell);
        c.label.push(f.label.code());
        c.stability.push(f.stability.code());
        for k in 0..2 {
            let (re, im) = if k < f.eigen_count {
                (f.eigenvalues[k][0], f.eigenvalues[k][1])
            } else {
                (f64::NAN, f64::NAN)
            };
            c.eig.push(re);
            c.eig.push(im);
        }
    }
    c
}

fn write_columns(npz: &mut crate::npy::NpzFile, path: &Path, c: Columns) -> Result<()> {
    let p = c.n.len();
    npz.add_array("n", &Array1::from(c.n))?;
    npz.add_array("temperature", &Array1::from(c.t))?;
    npz.add_array("s", &Array1::from(c.s))?;
    npz.add_array("alpha", &Array1::from(c.alpha))?;
    npz.add_array("beta", &Array1::from(c.beta))?;
    npz.add_array("ell", &Array1::from(c.ell))?;
    npz.add_array("label_state", &Array1::from(c.label))?;
    npz.add_array("stability", &Array1::from(c.stability))?;
    let eig = Array2::from_shape_vec((p, 4), c.eig).map_err(|e| Error::format(path, e.to_string()))?;
    npz.add_array("eigenvalues", &eig)?;
    Ok(())
}

/// `diagram.json` (the whole [`Diagram`] plus `timing_s`) and `diagram.npz` (all branch points
/// concatenated, `branch` = branch index; `folds` F×4 = (n, α, β, ℓ)).
pub fn write_diagram(dir: &Path, d: &Diagram, timing_s: f64) -> Result<Vec<PathBuf>> {
    let json = dir.join("diagram.json");
    let mut v = serde_json::to_value(d).map_err(|e| Error::format(&json, e.to_string()))?;
    v["timing_s"] = serde_json::json!(timing_s);
    write_json(&json, &v)?;
    let path = dir.join("diagram.npz");
    let mut npz = crate::npy::create_npz(&path)?;
    let branch: Vec<i64> = d
        .branches
        .iter()
        .enumerate()
        .flat_map(|(i, b)| std::iter::repeat_n(i as i64, b.points.len()))
        .collect();
    npz.add_array("branch", &Array1::from(branch))?;
    write_columns(
        &mut npz,
        &path,
        columns(d.branches.iter().flat_map(|b| b.points.iter())),
    )?;
    let folds: Vec<f64> = d
        .folds
        .iter()
        .flat_map(|f| [f.n, f.alpha, f.beta, f.ell])
        .collect();
    let folds =
        Array2::from_shape_vec((d.folds.len(), 4), folds).map_err(|e| Error::format(&path, e.to_string()))?;
    npz.add_array("folds", &folds)?;
    npz.finish()?;
    Ok(vec![json, path])
}

/// `fixed_points.json` (list) and `fixed_points.npz` (columns).
pub fn write_fixed_points(dir: &Path, fps: &[FixedPoint]) -> Result<Vec<PathBuf>> {
    let json = dir.join("fixed_points.json");
    write_json(&json, &fps)?;
    let path = dir.join("fixed_points.npz");
    let mut npz = crate::npy::create_npz(&path)?;
    write_columns(&mut npz, &path, columns(fps.iter()))?;
    npz.finish()?;
    Ok(vec![json, path])
}

/// `nullclines.json` (pieces) and `nullclines.npz`: `memory_points`/`label_points` (P×4: s, α, β, ℓ),
/// `memory_piece`/`label_piece` (P,), `memory_outward`/`label_outward` (P,), the field grid
/// `field_alpha` (A,), `field_ell` (L,), `alpha_dot`, `ell_dot`, `outward` (L×A).
#[allow(clippy::too_many_arguments)]
pub fn write_nullclines(
    dir: &Path,
    memory: &[Nullcline],
    label: &[Nullcline],
    alphas: &[f64],
    ells: &[f64],
    field: &(Array2<f64>, Array2<f64>, Array2<bool>),
    meta: serde_json::Value,
) -> Result<Vec<PathBuf>> {
    let json = dir.join("nullclines.json");
    write_json(
        &json,
        &serde_json::json!({"meta": meta, "memory": memory, "label": label}),
    )?;
    let path = dir.join("nullclines.npz");
    let mut npz = crate::npy::create_npz(&path)?;
    for (name, set) in [("memory", memory), ("label", label)] {
        let mut pts = vec![];
        let mut piece = vec![];
        let mut out = vec![];
        for (i, p) in set.iter().enumerate() {
            for k in 0..p.s.len() {
                pts.extend([p.s[k], p.alpha[k], p.beta[k], p.ell[k]]);
                piece.push(i as i64);
                out.push(p.outward[k] as i64);
            }
        }
        let rows = piece.len();
        let pts = Array2::from_shape_vec((rows, 4), pts).map_err(|e| Error::format(&path, e.to_string()))?;
        npz.add_array(format!("{name}_points"), &pts)?;
        npz.add_array(format!("{name}_piece"), &Array1::from(piece))?;
        npz.add_array(format!("{name}_outward"), &Array1::from(out))?;
    }
    npz.add_array("field_alpha", &Array1::from(alphas.to_vec()))?;
    npz.add_array("field_ell", &Array1::from(ells.to_vec()))?;
    npz.add_array("alpha_dot", &field.0)?;
    npz.add_array("ell_dot", &field.1)?;
    npz.add_array("outward", &field.2.mapv(|b| b as i64))?;
    npz.finish()?;
    Ok(vec![json, path])
}

/// `fold_curves.json` (system, curves, cusps) and `fold_curves.npz`: `points` (P×6: n, T, α, β,
/// ℓ, s), `curve` (P,), `quadratic` (P,) a_rel, `cusps` (C×6: n, T, α, β, ℓ, s).
pub fn write_fold_curves(
    dir: &std::path::Path,
    sys: &super::two_memory::TwoMemory,
    folds: &super::fold_curves::FoldCurves,
) -> crate::error::Result<Vec<std::path::PathBuf>> {
    use crate::error::Error;
    let curves = &folds.curves;
    let json = dir.join("fold_curves.json");
    write_json(
        &json,
        &serde_json::json!({"system": sys, "curves": curves, "cusps": folds.cusps}),
    )?;
    let path = dir.join("fold_curves.npz");
    let shape = |x: ndarray::ShapeError| Error::format(&path, x.to_string());
    let mut npz = crate::npy::create_npz(&path)?;
    let pts: Vec<f64> = curves
        .iter()
        .flat_map(|c| c.points.iter().flatten().copied())
        .collect();
    let idx: Vec<i64> = curves
        .iter()
        .enumerate()
        .flat_map(|(i, c)| std::iter::repeat_n(i as i64, c.points.len()))
        .collect();
    let quad: Vec<f64> = curves.iter().flat_map(|c| c.quadratic.iter().copied()).collect();
    let rows = idx.len();
    let pts = ndarray::Array2::from_shape_vec((rows, 6), pts).map_err(shape)?;
    let cusps: Vec<f64> = folds
        .cusps
        .iter()
        .flat_map(|c| [c.n, c.temperature, c.alpha, c.beta, c.ell, c.s])
        .collect();
    let cusps = ndarray::Array2::from_shape_vec((folds.cusps.len(), 6), cusps).map_err(shape)?;
    npz.add_array("points", &pts)?;
    npz.add_array("curve", &ndarray::Array1::from(idx))?;
    npz.add_array("quadratic", &ndarray::Array1::from(quad))?;
    npz.add_array("cusps", &cusps)?;
    npz.finish()?;
    Ok(vec![json, path])
}
