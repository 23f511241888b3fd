//! The fuzzy simplicial set (UMAP's weighted kNN graph) and the low-dimensional curve parameters.
//!
//! Following McInnes, Healy & Melville (2018), §3, and umap-learn's `fuzzy_simplicial_set`:
//! 1. per point i, ρᵢ = distance to the nearest neighbour other than i itself (with
//!    local connectivity 1; 0 when local connectivity is 0, as in transform), and σᵢ found by
//!    bisection so that Σ_{j=1}^{k−1} exp(−max(d_ij − ρᵢ, 0)/σᵢ) = log₂ k;
//! 2. directed memberships p_{i→j} = exp(−max(d_ij − ρᵢ, 0)/σᵢ) (0 for j = i in the fitted graph);
//! 3. fuzzy union: w_ij = p_{i→j} + p_{j→i} − p_{i→j}·p_{j→i}.

use super::knn::Neighbours;
use crate::error::{Error, Result};

/// Bisection stops when |Σ − log₂ k| is below this (umap-learn's `SMOOTH_K_TOLERANCE`).
pub const SMOOTH_K_TOLERANCE: f64 = 1e-5;
/// Lower bound of σ relative to the mean neighbour distance (umap-learn's `MIN_K_DIST_SCALE`).
pub const MIN_K_DIST_SCALE: f64 = 1e-3;
/// Bisection steps.
const SMOOTH_K_ITERATIONS: usize = 64;

/// A sparse weighted graph in coordinate form, entries sorted by (row, column).
#[derive(Debug, Clone, PartialEq)]
pub struct Graph {
    /// Number of rows (head vertices).
    pub n_rows: usize,
    /// Number of columns (tail vertices).
    pub n_cols: usize,
    /// Row of every entry.
    pub rows: Vec<usize>,
    /// Column of every entry.
    pub cols: Vec<usize>,
    /// Weight of every entry, in (0, 1].
    pub weights: Vec<f64>,
}

impl Graph {
    /// Largest weight (0 for an empty graph).
    pub fn max_weight(&self) -> f64 {
        self.weights.iter().copied().fold(0.0, f64::max)
    }

    /// Drop entries with weight < max/n_epochs (they would be sampled less than once; umap-learn
    /// does the same before the layout).
    pub fn prune_for_epochs(&mut self, n_epochs: usize) {
        let cut = self.max_weight() / n_epochs.max(1) as f64;
        let keep: Vec<bool> = self.weights.iter().map(|&w| w >= cut && w > 0.0).collect();
        let filter = |v: &mut Vec<usize>| {
            let mut it = keep.iter();
            v.retain(|_| *it.next().unwrap_or(&false));
        };
        filter(&mut self.rows);
        filter(&mut self.cols);
        let mut it = keep.iter();
        self.weights.retain(|_| *it.next().unwrap_or(&false));
    }
}

/// σᵢ and ρᵢ of every point (step 1 above) from sorted kNN distances (Q×k, column 0 the nearest).
///
/// `local_connectivity` is 1 for the fitted graph and 0 for transform (umap-learn uses
/// `local_connectivity − 1` there). The sum runs over columns 1..k as in umap-learn.
pub fn smooth_knn_dist(nn: &Neighbours, k: usize, local_connectivity: f64) -> (Vec<f64>, Vec<f64>) {
    let d = &nn.distances;
    let (n, kk) = d.dim();
    let target = (k as f64).log2();
    let mean_all = if d.is_empty() {
        0.0
    } else {
        d.sum() / d.len() as f64
    };
    let mut sigmas = vec![0.0; n];
    let mut rhos = vec![0.0; n];
    for i in 0..n {
        let row = d.row(i);
        let nonzero: Vec<f64> = row.iter().copied().filter(|&v| v > 0.0).collect();
        let rho = if nonzero.len() as f64 >= local_connectivity {
            let index = local_connectivity.floor() as usize;
            let interp = local_connectivity - index as f64;
            if index > 0 {
                let mut r = nonzero[index - 1];
                if interp > SMOOTH_K_TOLERANCE && index < nonzero.len() {
                    r += interp * (nonzero[index] - nonzero[index - 1]);
                }
                r
            } else if nonzero.is_empty() {
                0.0
            } else {
                interp * nonzero[0]
            }
        } else {
            nonzero.iter().copied().fold(0.0, f64::max)
        };
        let (mut lo, mut hi, mut mid) = (0.0, f64::INFINITY, 1.0);
        for _ in 0..SMOOTH_K_ITERATIONS {
            let psum: f64 = (1..kk)
                .map(|j| {
                    let x = row[j] - rho;
                    if x > 0.0 { (-x / mid).exp() } else { 1.0 }
                })
                .sum();
            if (psum - target).abs() < SMOOTH_K_TOLERANCE {
                break;
            }
            if psum > target {
                hi = mid;
                mid = (lo + hi) / 2.0;
            } else {
                lo = mid;
                mid = if hi == f64::INFINITY {
                    mid * 2.0
                } else {
                    (lo + hi) / 2.0
                };
            }
        }
        let floor = if rho > 0.0 {
            MIN_K_DIST_SCALE * row.sum() / kk as f64
        } else {
            MIN_K_DIST_SCALE * mean_all
        };
        sigmas[i] = mid.max(floor);
        rhos[i] = rho;
    }
    (sigmas, rhos)
}

/// Directed memberships p_{i→j} (step 2) as a Q×k matrix aligned with `nn.indices`. With
/// `bipartite = false` (the fitted graph) a point's membership to itself is 0.
pub fn membership_strengths(
    nn: &Neighbours,
    sigmas: &[f64],
    rhos: &[f64],
    bipartite: bool,
) -> ndarray::Array2<f64> {
    let mut p = ndarray::Array2::<f64>::zeros(nn.distances.dim());
    for ((i, j), v) in p.indexed_iter_mut() {
        let d = nn.distances[[i, j]] - rhos[i];
        *v = if !bipartite && nn.indices[[i, j]] == i {
            0.0
        } else if d <= 0.0 || sigmas[i] == 0.0 {
            1.0
        } else {
            (-d / sigmas[i]).exp()
        };
    }
    p
}

/// The fitted UMAP graph of N points from their self-kNN (steps 1–3): the symmetric fuzzy union
/// w_ij = p_{i→j} + p_{j→i} − p_{i→j}·p_{j→i}, zero entries dropped, sorted by (row, column).
pub fn fuzzy_simplicial_set(nn: &Neighbours, k: usize) -> Graph {
    let n = nn.indices.nrows();
    let (sigmas, rhos) = smooth_knn_dist(nn, k, 1.0);
    let p = membership_strengths(nn, &sigmas, &rhos, false);
    // (row, col, p_row→col, p_col→row); every directed kNN edge i→j appears once.
    let mut entries: Vec<(usize, usize, f64, f64)> = Vec::with_capacity(2 * p.len());
    for ((i, j), &w) in p.indexed_iter() {
        let t = nn.indices[[i, j]];
        if w > 0.0 && t != i {
            entries.push((i, t, w, 0.0));
            entries.push((t, i, 0.0, w));
        }
    }
    entries.sort_unstable_by_key(|e| (e.0, e.1));
    let mut g = Graph {
        n_rows: n,
        n_cols: n,
        rows: Vec::new(),
        cols: Vec::new(),
        weights: Vec::new(),
    };
    let mut idx = 0;
    while idx < entries.len() {
        let (r, c) = (entries[idx].0, entries[idx].1);
        let (mut a, mut b) = (0.0, 0.0);
        while idx < entries.len() && entries[idx].0 == r && entries[idx].1 == c {
            a += entries[idx].2;
            b += entries[idx].3;
            idx += 1;
        }
        let w = a + b - a * b;
        if w > 0.0 {
            g.rows.push(r);
            g.cols.push(c);
            g.weights.push(w);
        }
    }
    g
}

/// The bipartite graph of new points to the fitted points used by transform: memberships with
/// ρ = 0 (local connectivity 0), one entry per neighbour, rows in order.
pub fn transform_graph(nn: &Neighbours, k: usize, n_fitted: usize) -> Graph {
    let (sigmas, rhos) = smooth_knn_dist(nn, k, 0.0);
    let p = membership_strengths(nn, &sigmas, &rhos, true);
    let mut g = Graph {
        n_rows: p.nrows(),
        n_cols: n_fitted,
        rows: Vec::new(),
        cols: Vec::new(),
        weights: Vec::new(),
    };
    for ((i, j), &w) in p.indexed_iter() {
        g.rows.push(i);
        g.cols.push(nn.indices[[i, j]]);
        g.weights.push(w);
    }
    g
}

/// Fit (a, b) of the low-dimensional membership curve φ(x) = 1 / (1 + a·x^{2b}) to the target
/// ψ(x) = 1 for x < min_dist, exp(−(x − min_dist)/spread) otherwise, by least squares on 300
/// equally spaced x in [0, 3·spread] (umap-learn's `find_ab_params`, which uses scipy's
/// `curve_fit`, a Levenberg–Marquardt fit started at a = b = 1; done here the same way with the
/// analytic Jacobian).
pub fn find_ab_params(spread: f64, min_dist: f64) -> Result<(f64, f64)> {
    if !(spread > 0.0 && spread.is_finite()) {
        return Err(Error::invalid("spread", format!("{spread} must be positive")));
    }
    if !(0.0..=spread).contains(&min_dist) {
        return Err(Error::invalid(
            "min_dist",
            format!("{min_dist} must lie in [0, spread = {spread}]"),
        ));
    }
    let xs: Vec<f64> = (0..300).map(|i| 3.0 * spread * i as f64 / 299.0).collect();
    let ys: Vec<f64> = xs
        .iter()
        .map(|&x| {
            if x < min_dist {
                1.0
            } else {
                (-(x - min_dist) / spread).exp()
            }
        })
        .collect();
    let sse = |a: f64, b: f64| -> f64 {
        xs.iter()
            .zip(&ys)
            .map(|(&x, &y)| {
                let r = curve(x, a, b) - y;
                r * r
            })
            .sum()
    };
    let (mut a, mut b) = (1.0, 1.0);
    let mut lambda = 1e-3;
    let mut cost = sse(a, b);
    for _ in 0..500 {
        // Normal equations of the linearised residuals: (JᵀJ + λ diag JᵀJ) δ = −Jᵀr.
        let (mut jaa, mut jab, mut jbb, mut ga, mut gb) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for (&x, &y) in xs.iter().zip(&ys) {
            let (f, da, db) = curve_with_grad(x, a, b);
            let r = f - y;
            jaa += da * da;
            jab += da * db;
            jbb += db * db;
            ga += da * r;
            gb += db * r;
        }
        let mut improved = false;
        while lambda < 1e12 {
            let (m11, m22) = (jaa * (1.0 + lambda), jbb * (1.0 + lambda));
            let det = m11 * m22 - jab * jab;
            let da = -(m22 * ga - jab * gb) / det;
            let db = -(m11 * gb - jab * ga) / det;
            let (na, nb) = (a + da, b + db);
            let c = if na > 0.0 && nb > 0.0 {
                sse(na, nb)
            } else {
                f64::INFINITY
            };
            if c < cost {
                let rel = (cost - c) / cost.max(f64::MIN_POSITIVE);
                a = na;
                b = nb;
                cost = c;
                lambda = (lambda / 10.0).max(1e-12);
                improved = rel > 1e-15;
                break;
            }
            lambda *= 10.0;
        }
        if !improved {
            break;
        }
    }
    Ok((a, b))
}

/// φ(x) = 1 / (1 + a·x^{2b}).
pub fn curve(x: f64, a: f64, b: f64) -> f64 {
    1.0 / (1.0 + a * x.powf(2.0 * b))
}

/// φ and its partial derivatives ∂φ/∂a = −x^{2b}/(1 + a x^{2b})², ∂φ/∂b = −2a ln x · x^{2b}/(…)².
fn curve_with_grad(x: f64, a: f64, b: f64) -> (f64, f64, f64) {
    if x <= 0.0 {
        return (1.0, 0.0, 0.0);
    }
    let p = x.powf(2.0 * b);
    let den = 1.0 + a * p;
    let f = 1.0 / den;
    let da = -p / (den * den);
    let db = -2.0 * a * x.ln() * p / (den * den);
    (f, da, db)
}
