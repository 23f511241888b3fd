//! Helpers shared by paper Figs. 4, 7 and 8 (`reproduce fig4|fig7|fig8`): absolute output paths
//! (sweep grids resolve relative paths against their own folder), arrays written for sweep inputs,
//! deterministic parallel maps for in-memory runs, rank correlations and segments.

use crate::error::{Error, Result};
use crate::reproduce::Context;
use std::path::PathBuf;

/// The context with its output folder made absolute, so that file paths written into sweep grids
/// (which resolve relative paths against `runs/`) stay valid.
pub fn absolute_context(ctx: &Context) -> Result<Context> {
    let mut c = ctx.clone();
    c.opts.out = std::path::absolute(&ctx.opts.out).map_err(|e| Error::io(&ctx.opts.out, e))?;
    Ok(c)
}

/// Write an .npy array into the figure folder and return its path.
pub fn write_npy<A, D>(ctx: &Context, name: &str, a: &ndarray::ArrayBase<A, D>) -> Result<PathBuf>
where
    A: ndarray::Data<Elem = f64>,
    D: ndarray::Dimension,
{
    let p = ctx.path(name);
    crate::npy::write(&p, a)?;
    Ok(p)
}

/// `f` applied to every item on a pool of `jobs` threads, results in item order (each item is
/// computed independently, so the results do not depend on `jobs`).
pub fn par_map<T, R, F>(jobs: usize, items: Vec<T>, f: F) -> Result<Vec<R>>
where
    T: Send,
    R: Send,
    F: Fn(T) -> Result<R> + Sync + Send,
{
    use rayon::prelude::*;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.max(1))
        .build()
        .map_err(|e| Error::invalid("--jobs", format!("cannot start {jobs} threads: {e}")))?;
    pool.install(|| items.into_par_iter().map(f).collect::<Vec<Result<R>>>())
        .into_iter()
        .collect()
}

/// Kendall's τ-b (re-exported from the landscape ensembles).
pub fn kendall(x: &[f64], y: &[f64]) -> f64 {
    crate::landscape::ensemble::kendall_tau_b(x, y)
}

/// Compress a sequence of booleans into segments `(value, first index, last index)`.
pub fn segments(flags: &[bool]) -> Vec<(bool, usize, usize)> {
    let mut out: Vec<(bool, usize, usize)> = Vec::new();
    for (i, &f) in flags.iter().enumerate() {
        match out.last_mut() {
            Some(last) if last.0 == f => last.2 = i,
            _ => out.push((f, i, i)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_merge_runs() {
        let s = segments(&[true, true, false, false, false, true]);
        assert_eq!(s, vec![(true, 0, 1), (false, 2, 4), (true, 5, 5)]);
        assert!(segments(&[]).is_empty());
    }
}
