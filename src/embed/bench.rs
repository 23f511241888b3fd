//! Speed and quality of UMAP on a labelled data set (the `waddington embed bench` command).
//!
//! Measured in one run: (1) exact kNN by blocked matrix products against the naive double loop
//! ([`knn::knn_naive`]) on the same query rows; (2) a fit on all rows (stage timings and the
//! leave-one-out 1-NN / 10-NN label agreement of the embedding, next to the 1-NN label agreement
//! in the input space); (3) a fit on 4/5 of the rows and the transform of the held-out 1/5
//! (every fifth row), with the held-out points' label agreement against the fitted embedding.

use super::knn::{self, Prepared};
use super::{FitTimings, Umap, UmapParams, knn_label_agreement};
use crate::error::Result;
use ndarray::{Array2, Axis, s};
use serde::Serialize;
use std::time::Instant;

/// Results of [`run`]; all times in seconds.
#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    /// Rows N and width D of the data.
    pub n_points: usize,
    /// Input width.
    pub input_dim: usize,
    /// Threads used (1 = sequential).
    pub threads: usize,
    /// Query rows of the kNN comparison.
    pub knn_query_rows: usize,
    /// Blocked kNN of those rows against all N.
    pub knn_blocked_s: f64,
    /// Naive loop on the same rows.
    pub knn_naive_s: f64,
    /// naive / blocked.
    pub knn_speedup: f64,
    /// Whether both found the same neighbour indices.
    pub knn_same_indices: bool,
    /// 1-NN label agreement in the input space (the metric's own neighbours), all N rows.
    pub input_space_1nn_agreement: f64,
    /// Wall time of the fit on all N rows.
    pub fit_s: f64,
    /// Its stages.
    pub fit_timings: FitTimings,
    /// Leave-one-out 1-NN label agreement of the full fit's embedding.
    pub fit_1nn_agreement: f64,
    /// Leave-one-out 10-NN (majority) label agreement of the full fit's embedding.
    pub fit_10nn_agreement: f64,
    /// Rows of the split fit.
    pub split_fit_points: usize,
    /// Wall time of the split fit.
    pub split_fit_s: f64,
    /// Held-out rows transformed.
    pub transform_points: usize,
    /// Wall time of their transform.
    pub transform_s: f64,
    /// 1-NN label agreement of the transformed rows against the split fit's embedding.
    pub transform_1nn_agreement: f64,
    /// 10-NN label agreement of the transformed rows.
    pub transform_10nn_agreement: f64,
}

/// Run the benchmark on `x` (N×D) with `labels`, `knn_rows` query rows for the kNN comparison.
pub fn run(
    x: &Array2<f64>,
    labels: &[usize],
    params: &UmapParams,
    threads: usize,
    knn_rows: usize,
) -> Result<BenchReport> {
    let n = x.nrows();
    let prepared = Prepared::new(x.view(), params.metric)?;
    let q = knn_rows.min(n);
    let pq = Prepared::from_rows(prepared.rows.slice(s![..q, ..]).to_owned(), params.metric);
    let t = Instant::now();
    let blocked = knn::knn(&pq, &prepared, params.n_neighbors, false, threads)?;
    let knn_blocked_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let naive = knn::knn_naive(
        x.slice(s![..q, ..]),
        x.view(),
        params.metric,
        params.n_neighbors,
        false,
    )?;
    let knn_naive_s = t.elapsed().as_secs_f64();

    let all = knn::knn(&prepared, &prepared, 2, true, threads)?;
    let input_hits = (0..n)
        .filter(|&i| labels[all.indices[[i, 1]]] == labels[i])
        .count();

    let t = Instant::now();
    let full = Umap::fit(x.view(), params, threads)?;
    let fit_s = t.elapsed().as_secs_f64();
    let e = full.embedding.view();
    let fit_1nn_agreement = knn_label_agreement(e, labels, e, labels, 1, true)?;
    let fit_10nn_agreement = knn_label_agreement(e, labels, e, labels, 10, true)?;

    let fit_rows: Vec<usize> = (0..n).filter(|i| i % 5 != 4).collect();
    let held_rows: Vec<usize> = (0..n).filter(|i| i % 5 == 4).collect();
    let (xf, xh) = (x.select(Axis(0), &fit_rows), x.select(Axis(0), &held_rows));
    let lf: Vec<usize> = fit_rows.iter().map(|&i| labels[i]).collect();
    let lh: Vec<usize> = held_rows.iter().map(|&i| labels[i]).collect();
    let t = Instant::now();
    let split = Umap::fit(xf.view(), params, threads)?;
    let split_fit_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let yh = split.transform(xh.view(), threads)?;
    let transform_s = t.elapsed().as_secs_f64();
    let se = split.embedding.view();
    Ok(BenchReport {
        n_points: n,
        input_dim: x.ncols(),
        threads,
        knn_query_rows: q,
        knn_blocked_s,
        knn_naive_s,
        knn_speedup: knn_naive_s / knn_blocked_s.max(1e-12),
        knn_same_indices: blocked.indices == naive.indices,
        input_space_1nn_agreement: input_hits as f64 / n as f64,
        fit_s,
        fit_timings: full.timings.clone(),
        fit_1nn_agreement,
        fit_10nn_agreement,
        split_fit_points: fit_rows.len(),
        split_fit_s,
        transform_points: held_rows.len(),
        transform_s,
        transform_1nn_agreement: knn_label_agreement(yh.view(), &lh, se, &lf, 1, false)?,
        transform_10nn_agreement: knn_label_agreement(yh.view(), &lh, se, &lf, 10, false)?,
    })
}
