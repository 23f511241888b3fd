//! Region map in the (n, T) plane: the number of fixed points and of stable fixed points of the
//! reduced flow (spec §5.4–5.6) in every cell of a grid, from independent full searches
//! ([`fixed_points`]) — a check of the fold curves traced by continuation: the counts change only
//! across fold curves (or where a fixed point's label saturates or σ changes sign).

use super::fixed_points::{FinderOptions, Stability, fixed_points};
use super::two_memory::{Control, TwoMemory};
use ndarray::Array2;
use rayon::prelude::*;

/// Fixed-point counts on an (n, T) grid.
#[derive(Debug, Clone)]
pub struct Regions {
    /// n values (N,).
    pub n: Vec<f64>,
    /// Temperatures (M,).
    pub temperature: Vec<f64>,
    /// Stable fixed points per cell (N×M).
    pub stable_count: Array2<i64>,
    /// All fixed points (stable, saddle, unstable, marginal; free or saturated label) per cell (N×M).
    pub total_count: Array2<i64>,
}

/// Evenly spaced values lo, …, hi (`steps` values; `steps` = 1 gives lo).
pub fn linspace(lo: f64, hi: f64, steps: usize) -> Vec<f64> {
    if steps <= 1 {
        return vec![lo];
    }
    (0..steps)
        .map(|i| lo + (hi - lo) * i as f64 / (steps - 1) as f64)
        .collect()
}

/// Count the fixed points (all, and stable ones) at every (n_i, T_j) with [`fixed_points`].
/// Cells are independent (computed in parallel; integer counts, so the result does not depend on
/// the thread count).
pub fn regions(sys: &TwoMemory, n: &[f64], temperature: &[f64], finder: FinderOptions) -> Regions {
    let cells: Vec<(usize, usize)> = (0..n.len())
        .flat_map(|i| (0..temperature.len()).map(move |j| (i, j)))
        .collect();
    let counts: Vec<(i64, i64)> = cells
        .par_iter()
        .map(|&(i, j)| {
            let c = Control {
                n: n[i],
                temperature: temperature[j],
            };
            let fps = fixed_points(sys, c, finder);
            let stable = fps.iter().filter(|f| f.stability == Stability::Stable).count();
            (stable as i64, fps.len() as i64)
        })
        .collect();
    let shape = (n.len(), temperature.len());
    let stable_count = Array2::from_shape_fn(shape, |(i, j)| counts[i * shape.1 + j].0);
    let total_count = Array2::from_shape_fn(shape, |(i, j)| counts[i * shape.1 + j].1);
    Regions {
        n: n.to_vec(),
        temperature: temperature.to_vec(),
        stable_count,
        total_count,
    }
}

/// `regions.npz` (`n` (N,), `temperature` (M,), `stable_count`, `total_count` (N×M int64)) and
/// `regions.json` (system, grid, and the counts as nested lists, rows = n).
pub fn write_regions(
    dir: &std::path::Path,
    sys: &TwoMemory,
    r: &Regions,
) -> crate::error::Result<Vec<std::path::PathBuf>> {
    let json = dir.join("regions.json");
    let rows = |a: &Array2<i64>| a.rows().into_iter().map(|r| r.to_vec()).collect::<Vec<_>>();
    super::output::write_json(
        &json,
        &serde_json::json!({
            "system": sys,
            "n": r.n,
            "temperature": r.temperature,
            "stable_count": rows(&r.stable_count),
            "total_count": rows(&r.total_count),
        }),
    )?;
    let path = dir.join("regions.npz");
    let mut npz = crate::npy::create_npz(&path)?;
    npz.add_array("n", &ndarray::Array1::from(r.n.clone()))?;
    npz.add_array("temperature", &ndarray::Array1::from(r.temperature.clone()))?;
    npz.add_array("stable_count", &r.stable_count)?;
    npz.add_array("total_count", &r.total_count)?;
    npz.finish()?;
    Ok(vec![json, path])
}
