//! Initial low-dimensional coordinates of the fitted points.
//!
//! * spectral (umap-learn's default): Laplacian eigenmaps of the fuzzy graph W. With degrees
//!   dᵢ = Σⱼ wᵢⱼ, the normalised Laplacian is L = I − D^{−1/2} W D^{−1/2}; the coordinates are the
//!   eigenvectors of its 2nd, 3rd, … smallest eigenvalues, i.e. of the largest eigenvalues of
//!   A = D^{−1/2} W D^{−1/2} after the trivial one (eigenvector D^{1/2}·1). They are computed by
//!   Lanczos iteration with full re-orthogonalisation (the Krylov space kept orthogonal to D^{1/2}·1),
//!   deterministic for a given seed. A graph with several connected components has a degenerate
//!   spectrum; then the PCA initialisation is used instead (umap-learn lays out components
//!   separately; documented difference).
//! * pca: projections on the leading principal axes of the (raw) data.
//! * random: uniform in [−10, 10].
//!
//! As umap-learn does (`simplicial_set_embedding`), spectral and PCA coordinates are scaled so
//! that max |yᵢ| = 10, perturbed with N(0, 10⁻⁴) noise, and finally every coordinate is min–max
//! rescaled to [0, 10] before the layout.

use super::graph::Graph;
use crate::error::{Error, Result};
use ndarray::{Array2, ArrayView2};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Initialisation method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Init {
    /// Laplacian eigenmaps of the graph (PCA if the graph is disconnected).
    Spectral,
    /// Principal components of the data.
    Pca,
    /// Uniform random in [−10, 10].
    Random,
}

/// Number of Lanczos steps at most.
const LANCZOS_STEPS: usize = 120;

/// Initial N×dim coordinates (see the module docs) and the method actually used.
pub fn initial_embedding(
    data: ArrayView2<f64>,
    graph: &Graph,
    dim: usize,
    init: Init,
    rng: &mut ChaCha8Rng,
) -> Result<(Array2<f64>, Init)> {
    let n = data.nrows();
    let (raw, used) = match init {
        Init::Random => {
            let y = Array2::from_shape_fn((n, dim), |_| rng.random_range(-10.0..10.0));
            return Ok((y, Init::Random));
        }
        Init::Spectral if n > dim + 1 && connected_components(graph) == 1 => {
            (spectral(graph, dim, rng)?, Init::Spectral)
        }
        _ => (pca(data, dim)?, Init::Pca),
    };
    let max = raw.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let expansion = if max > 0.0 { 10.0 / max } else { 1.0 };
    let noise = Normal::new(0.0, 1e-4).map_err(|e| Error::invalid("init noise", e.to_string()))?;
    let mut y = raw.mapv(|v| v * expansion);
    for v in y.iter_mut() {
        *v += noise.sample(rng);
    }
    for mut col in y.columns_mut() {
        let (lo, hi) = col.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &v| {
            (l.min(v), h.max(v))
        });
        let range = if hi > lo { hi - lo } else { 1.0 };
        col.mapv_inplace(|v| 10.0 * (v - lo) / range);
    }
    Ok((y, used))
}

/// Number of connected components of the (symmetric) graph, by union–find.
pub fn connected_components(graph: &Graph) -> usize {
    let mut parent: Vec<usize> = (0..graph.n_rows).collect();
    fn find(p: &mut [usize], mut x: usize) -> usize {
        while p[x] != x {
            p[x] = p[p[x]];
            x = p[x];
        }
        x
    }
    for (&r, &c) in graph.rows.iter().zip(&graph.cols) {
        let (a, b) = (find(&mut parent, r), find(&mut parent, c));
        if a != b {
            parent[a.max(b)] = a.min(b);
        }
    }
    (0..graph.n_rows).filter(|&i| find(&mut parent, i) == i).count()
}

/// A = D^{−1/2} W D^{−1/2} in compressed-row form.
struct NormalisedAdjacency {
    row_ptr: Vec<usize>,
    cols: Vec<usize>,
    vals: Vec<f64>,
    sqrt_deg: Vec<f64>,
}

impl NormalisedAdjacency {
    fn new(g: &Graph) -> Self {
        let n = g.n_rows;
        let mut deg = vec![0.0; n];
        for (&r, &w) in g.rows.iter().zip(&g.weights) {
            deg[r] += w;
        }
        let sqrt_deg: Vec<f64> = deg.iter().map(|d| d.sqrt()).collect();
        let mut row_ptr = vec![0usize; n + 1];
        for &r in &g.rows {
            row_ptr[r + 1] += 1;
        }
        for i in 0..n {
            row_ptr[i + 1] += row_ptr[i];
        }
        // Entries are sorted by row already (Graph invariant).
        let vals = g
            .rows
            .iter()
            .zip(&g.cols)
            .zip(&g.weights)
            .map(|((&r, &c), &w)| w / (sqrt_deg[r] * sqrt_deg[c]))
            .collect();
        NormalisedAdjacency {
            row_ptr,
            cols: g.cols.clone(),
            vals,
            sqrt_deg,
        }
    }

    /// out = A·x (rows in parallel; each row's sum is sequential, so deterministic).
    fn apply(&self, x: &[f64], out: &mut [f64]) {
        out.par_iter_mut().enumerate().for_each(|(i, o)| {
            let (s, e) = (self.row_ptr[i], self.row_ptr[i + 1]);
            *o = (s..e).map(|p| self.vals[p] * x[self.cols[p]]).sum();
        });
    }
}

fn dotv(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn axpy(y: &mut [f64], alpha: f64, x: &[f64]) {
    y.iter_mut().zip(x).for_each(|(v, &u)| *v += alpha * u);
}

/// Laplacian eigenmaps of a connected graph: the `dim` eigenvectors of A (module docs) with the
/// largest eigenvalues below the trivial one, by Lanczos with full re-orthogonalisation.
pub fn spectral(graph: &Graph, dim: usize, rng: &mut ChaCha8Rng) -> Result<Array2<f64>> {
    let n = graph.n_rows;
    let a = NormalisedAdjacency::new(graph);
    let norm0 = dotv(&a.sqrt_deg, &a.sqrt_deg).sqrt();
    let trivial: Vec<f64> = a.sqrt_deg.iter().map(|v| v / norm0).collect();
    let deflate = |v: &mut Vec<f64>| {
        let c = dotv(v, &trivial);
        axpy(v, -c, &trivial);
    };
    let steps = LANCZOS_STEPS.min(n - 1);
    let mut q: Vec<Vec<f64>> = Vec::with_capacity(steps);
    let mut v: Vec<f64> = (0..n).map(|_| rng.random_range(-1.0..1.0)).collect();
    deflate(&mut v);
    let nv = dotv(&v, &v).sqrt();
    v.iter_mut().for_each(|x| *x /= nv);
    let (mut alpha, mut beta) = (Vec::new(), Vec::new());
    let mut w = vec![0.0; n];
    loop {
        a.apply(&v, &mut w);
        deflate(&mut w);
        let al = dotv(&v, &w);
        q.push(v.clone());
        alpha.push(al);
        // Full re-orthogonalisation against all Lanczos vectors, twice for stability.
        for _ in 0..2 {
            for qi in &q {
                let c = dotv(&w, qi);
                axpy(&mut w, -c, qi);
            }
        }
        deflate(&mut w);
        let bt = dotv(&w, &w).sqrt();
        if q.len() >= steps || bt < 1e-12 {
            break;
        }
        beta.push(bt);
        v = w.iter().map(|x| x / bt).collect();
    }
    let m = alpha.len();
    if m < dim {
        return Err(Error::invalid(
            "init",
            "spectral initialisation found too few eigenvectors; use --init pca",
        ));
    }
    let t = faer::Mat::<f64>::from_fn(m, m, |i, j| {
        if i == j {
            alpha[i]
        } else if i + 1 == j {
            beta[i]
        } else if j + 1 == i {
            beta[j]
        } else {
            0.0
        }
    });
    let evd = t
        .self_adjoint_eigen(faer::Side::Lower)
        .map_err(|e| Error::Diverged(format!("tridiagonal eigendecomposition: {e:?}")))?;
    let (u, _s) = (evd.U(), evd.S());
    let mut y = Array2::<f64>::zeros((n, dim));
    for c in 0..dim {
        let col = m - 1 - c; // eigenvalues ascending: take the largest
        for (r, qr) in q.iter().enumerate() {
            let coef = u[(r, col)];
            for i in 0..n {
                y[[i, c]] += coef * qr[i];
            }
        }
    }
    fix_signs(&mut y);
    Ok(y)
}

/// Projections of the centred data on its `dim` leading principal axes (eigenvectors of the
/// covariance XᵀX of the centred data, computed by faer).
pub fn pca(data: ArrayView2<f64>, dim: usize) -> Result<Array2<f64>> {
    let (n, d) = data.dim();
    if d < dim || n == 0 {
        return Err(Error::shape(
            "UMAP data for PCA",
            format!("N × D with D ≥ {dim}"),
            &[n, d],
        ));
    }
    let mean = data.sum_axis(ndarray::Axis(0)) / n as f64;
    let centred = (&data - &mean).as_standard_layout().to_owned();
    let mut cov = Array2::<f64>::zeros((d, d));
    crate::linalg::matmul_atb(&mut cov, centred.view(), centred.view(), faer::Par::rayon(0));
    let evd = crate::linalg::view(&cov.view())
        .self_adjoint_eigen(faer::Side::Lower)
        .map_err(|e| Error::Diverged(format!("PCA eigendecomposition: {e:?}")))?;
    let u = evd.U();
    let mut axes = Array2::<f64>::zeros((d, dim));
    for c in 0..dim {
        for r in 0..d {
            axes[[r, c]] = u[(r, d - 1 - c)];
        }
    }
    let mut y = Array2::<f64>::zeros((n, dim));
    crate::linalg::matmul_ab(&mut y, centred.view(), axes.view(), faer::Par::rayon(0));
    fix_signs(&mut y);
    Ok(y)
}

/// Make each column's largest-magnitude entry positive (eigenvector signs are arbitrary).
fn fix_signs(y: &mut Array2<f64>) {
    for mut col in y.columns_mut() {
        let big = col
            .iter()
            .fold(0.0f64, |m, &v| if v.abs() > m.abs() { v } else { m });
        if big < 0.0 {
            col.mapv_inplace(|v| -v);
        }
    }
}
