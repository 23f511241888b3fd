//! Exact k nearest neighbours by blocked matrix products (faer), with bounded memory.
//!
//! Distances (umap-learn's metrics of the same name):
//! * correlation: d(x, y) = 1 − x̂·ŷ where x̂ = (x − mean(x)) / ‖x − mean(x)‖₂ (a constant row maps to
//!   the zero vector, so its distance to everything is 1);
//! * euclidean: d(x, y) = ‖x − y‖₂ = sqrt(‖x‖² + ‖y‖² − 2 x·y) (clamped at 0).
//!
//! The query rows are processed in blocks of B rows so that only a B×N distance block is held at a
//! time (B·N ≤ [`BLOCK_ENTRIES`]); each row keeps its k smallest distances by partial selection.
//! Ties are broken by the smaller index, so the result is deterministic and independent of the
//! number of threads (faer's products are bit-reproducible across thread counts, and each row's
//! selection is independent).

use crate::error::{Error, Result};
use ndarray::{Array2, ArrayView2, s};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Largest number of distance entries held at once (B·N): 8 Mi f64 = 64 MiB.
pub const BLOCK_ENTRIES: usize = 8 << 20;

/// A dissimilarity between data rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Metric {
    /// 1 − Pearson correlation of the two rows.
    Correlation,
    /// Euclidean distance.
    Euclidean,
}

impl Metric {
    /// The metric's name as used on the command line and in model files.
    pub fn name(self) -> &'static str {
        match self {
            Metric::Correlation => "correlation",
            Metric::Euclidean => "euclidean",
        }
    }
}

/// Rows prepared for distance computations by matrix products.
///
/// For the correlation metric `rows` holds the centred, L2-normalised rows (and `sq_norms` is 1 or
/// 0); for euclidean it holds the raw rows and their squared norms.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The metric the rows were prepared for.
    pub metric: Metric,
    /// N×D prepared rows (standard layout).
    pub rows: Array2<f64>,
    /// ‖row‖² of every prepared row.
    pub sq_norms: Vec<f64>,
}

impl Prepared {
    /// Prepare `x` (N×D) for `metric`. Fails on non-finite entries.
    pub fn new(x: ArrayView2<f64>, metric: Metric) -> Result<Prepared> {
        crate::npy::check_finite(&x, "UMAP input data")?;
        let mut rows = x.as_standard_layout().to_owned();
        if metric == Metric::Correlation {
            for mut r in rows.rows_mut() {
                let mean = r.sum() / r.len().max(1) as f64;
                r.mapv_inplace(|v| v - mean);
                let norm = r.dot(&r).sqrt();
                if norm > 0.0 {
                    r.mapv_inplace(|v| v / norm);
                } else {
                    r.fill(0.0);
                }
            }
        }
        Ok(Self::from_rows(rows, metric))
    }

    /// Wrap rows that are already prepared (e.g. loaded from a saved model).
    pub fn from_rows(rows: Array2<f64>, metric: Metric) -> Prepared {
        let sq_norms = rows.rows().into_iter().map(|r| r.dot(&r)).collect();
        Prepared {
            metric,
            rows,
            sq_norms,
        }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.rows.nrows()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.nrows() == 0
    }

    /// Distance from a product `dot` = q·x and the two squared norms.
    #[inline]
    fn distance(&self, dot: f64, q_sq: f64, x_sq: f64) -> f64 {
        match self.metric {
            Metric::Correlation => (1.0 - dot).max(0.0),
            Metric::Euclidean => (q_sq + x_sq - 2.0 * dot).max(0.0).sqrt(),
        }
    }
}

/// The k nearest neighbours of each query row: `indices[i][j]` and `distances[i][j]` for the j-th
/// nearest, sorted by increasing distance (ties by increasing index).
#[derive(Debug, Clone, PartialEq)]
pub struct Neighbours {
    /// Q×k neighbour indices into the reference rows.
    pub indices: Array2<usize>,
    /// Q×k distances.
    pub distances: Array2<f64>,
}

/// Exact kNN of the prepared `query` rows among the prepared `reference` rows.
///
/// With `self_query = true` the query is the reference itself: row i's own distance is set to 0 and
/// it is forced to be its first neighbour (umap-learn's convention for the fitted graph).
/// `threads` as in [`crate::linalg::par`]; the result does not depend on it.
pub fn knn(
    query: &Prepared,
    reference: &Prepared,
    k: usize,
    self_query: bool,
    threads: usize,
) -> Result<Neighbours> {
    knn_blocked(query, reference, k, self_query, threads, BLOCK_ENTRIES)
}

/// [`knn`] with at most `block_entries` distances held at once (at least one query row).
pub fn knn_blocked(
    query: &Prepared,
    reference: &Prepared,
    k: usize,
    self_query: bool,
    threads: usize,
    block_entries: usize,
) -> Result<Neighbours> {
    let (nq, nr) = (query.len(), reference.len());
    check_k(k, nr)?;
    if query.rows.ncols() != reference.rows.ncols() {
        return Err(Error::shape(
            "kNN query rows",
            format!("Q × {} (the fitted data's width)", reference.rows.ncols()),
            query.rows.shape(),
        ));
    }
    if self_query && nq != nr {
        return Err(Error::invalid("kNN", "a self query needs query = reference"));
    }
    let block = (block_entries / nr.max(1)).clamp(1, nq.max(1));
    let mut indices = Array2::<usize>::zeros((nq, k));
    let mut distances = Array2::<f64>::zeros((nq, k));
    let mut prod = Array2::<f64>::zeros((block, nr));
    let par = crate::linalg::par(threads);
    let mut start = 0;
    while start < nq {
        let end = (start + block).min(nq);
        let b = end - start;
        let mut out = prod.slice_mut(s![..b, ..]);
        let qv = query.rows.slice(s![start..end, ..]);
        matmul_abt_into(&mut out, qv, reference.rows.view(), par);
        let out = out.view();
        let select = |r: usize| -> Vec<(f64, usize)> {
            let qi = start + r;
            let q_sq = query.sq_norms[qi];
            let mut cand: Vec<(f64, usize)> = out
                .row(r)
                .iter()
                .enumerate()
                .map(|(j, &dot)| (reference.distance(dot, q_sq, reference.sq_norms[j]), j))
                .collect();
            if self_query {
                cand[qi].0 = f64::NEG_INFINITY;
            }
            select_smallest(&mut cand, k);
            cand.truncate(k);
            if reference.metric == Metric::Euclidean {
                // ‖q‖² + ‖x‖² − 2q·x loses precision for near points: recompute the k kept.
                let qr = query.rows.row(qi);
                for c in cand.iter_mut().filter(|c| c.0.is_finite()) {
                    let xr = reference.rows.row(c.1);
                    c.0 = qr
                        .iter()
                        .zip(xr.iter())
                        .map(|(a, b)| (a - b) * (a - b))
                        .sum::<f64>()
                        .sqrt();
                }
                cand.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            }
            cand
        };
        let best: Vec<Vec<(f64, usize)>> = if threads == 1 {
            (0..b).map(select).collect()
        } else {
            (0..b).into_par_iter().map(select).collect()
        };
        for (r, row) in best.iter().enumerate() {
            for (j, &(d, idx)) in row.iter().enumerate() {
                indices[[start + r, j]] = idx;
                distances[[start + r, j]] = if d == f64::NEG_INFINITY { 0.0 } else { d };
            }
        }
        start = end;
    }
    Ok(Neighbours { indices, distances })
}

/// Keep the k smallest (distance, index) pairs at the front of `cand`, sorted, ties by index.
fn select_smallest(cand: &mut [(f64, usize)], k: usize) {
    let cmp = |a: &(f64, usize), b: &(f64, usize)| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1));
    if k < cand.len() {
        cand.select_nth_unstable_by(k - 1, cmp);
    }
    cand[..k].sort_unstable_by(cmp);
}

fn check_k(k: usize, n: usize) -> Result<()> {
    if k == 0 || k > n {
        return Err(Error::invalid(
            "n_neighbors",
            format!("{k} neighbours requested but the reference set has {n} rows (need 1 ≤ k ≤ N)"),
        ));
    }
    Ok(())
}

fn matmul_abt_into(
    out: &mut ndarray::ArrayViewMut2<f64>,
    a: ArrayView2<f64>,
    b: ArrayView2<f64>,
    par: faer::Par,
) {
    let (r, c) = out.dim();
    let slice = out
        .as_slice_mut()
        .expect("the product block is a leading slice of a standard-layout matrix");
    let dst = faer::MatMut::from_row_major_slice_mut(slice, r, c);
    faer::linalg::matmul::matmul(
        dst,
        faer::Accum::Replace,
        crate::linalg::view(&a),
        crate::linalg::view(&b).transpose(),
        1.0,
        par,
    );
}

/// Naive kNN by an explicit double loop over rows of the *raw* data (O(Q·N·D)), the baseline that
/// the blocked version is checked and benchmarked against. Same conventions as [`knn`].
pub fn knn_naive(
    query: ArrayView2<f64>,
    reference: ArrayView2<f64>,
    metric: Metric,
    k: usize,
    self_query: bool,
) -> Result<Neighbours> {
    let (nq, nr) = (query.nrows(), reference.nrows());
    check_k(k, nr)?;
    let dist = |x: ndarray::ArrayView1<f64>, y: ndarray::ArrayView1<f64>| -> f64 {
        match metric {
            Metric::Euclidean => x
                .iter()
                .zip(y.iter())
                .map(|(a, b)| (a - b) * (a - b))
                .sum::<f64>()
                .sqrt(),
            Metric::Correlation => {
                let (mx, my) = (x.mean().unwrap_or(0.0), y.mean().unwrap_or(0.0));
                let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
                for (a, b) in x.iter().zip(y.iter()) {
                    sxy += (a - mx) * (b - my);
                    sxx += (a - mx) * (a - mx);
                    syy += (b - my) * (b - my);
                }
                if sxx == 0.0 || syy == 0.0 {
                    1.0
                } else {
                    (1.0 - sxy / (sxx * syy).sqrt()).max(0.0)
                }
            }
        }
    };
    let mut indices = Array2::<usize>::zeros((nq, k));
    let mut distances = Array2::<f64>::zeros((nq, k));
    for i in 0..nq {
        let mut cand: Vec<(f64, usize)> = (0..nr)
            .map(|j| {
                if self_query && i == j {
                    (f64::NEG_INFINITY, j)
                } else {
                    (dist(query.row(i), reference.row(j)), j)
                }
            })
            .collect();
        cand.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        for j in 0..k {
            indices[[i, j]] = cand[j].1;
            distances[[i, j]] = cand[j].0.max(0.0);
        }
    }
    Ok(Neighbours { indices, distances })
}
