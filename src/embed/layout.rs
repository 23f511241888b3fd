//! The stochastic gradient layout of UMAP (McInnes et al. 2018, §3.2 and Appendix; umap-learn's
//! `optimize_layout_euclidean`), sequential and seeded, hence bit-reproducible.
//!
//! The low-dimensional membership is φ(d²) = 1 / (1 + a·(d²)^b). For every graph edge (j → k)
//! with weight w, sampled once every w_max/w epochs:
//! * attraction: y_j += α·clip(−2ab (d²)^{b−1} / (1 + a (d²)^b) · (y_j − y_k)) (and y_k gets the
//!   opposite step when the tail embedding moves too, as in fit);
//! * `negative_sample_rate` repulsions per sample from uniformly drawn tail points k':
//!   y_j += α·clip(2γb / ((0.001 + d²)(1 + a (d²)^b)) · (y_j − y_k')),
//!
//! where clip limits each coordinate's step to [−4, 4] and α = α₀(1 − epoch/n_epochs).

use super::graph::Graph;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// Parameters of the layout optimisation.
#[derive(Debug, Clone, Copy)]
pub struct LayoutParams {
    /// Curve parameter a.
    pub a: f64,
    /// Curve parameter b.
    pub b: f64,
    /// Repulsion strength γ (umap-learn's `repulsion_strength`, default 1).
    pub gamma: f64,
    /// Initial learning rate α₀.
    pub initial_alpha: f64,
    /// Negative samples per positive sample (default 5).
    pub negative_sample_rate: f64,
    /// Number of epochs.
    pub n_epochs: usize,
}

/// Gradient coordinate clip (umap-learn's `clip`).
const CLIP: f64 = 4.0;

#[inline]
fn clip(v: f64) -> f64 {
    v.clamp(-CLIP, CLIP)
}

/// Per-edge sampling period: epochs_per_sample = w_max / w (an edge of maximal weight is sampled
/// every epoch); umap-learn's `make_epochs_per_sample`.
pub fn epochs_per_sample(weights: &[f64]) -> Vec<f64> {
    let max = weights.iter().copied().fold(0.0, f64::max);
    weights
        .iter()
        .map(|&w| if w > 0.0 { max / w } else { f64::INFINITY })
        .collect()
}

/// Optimise the `dim`-column row-major `head` coordinates over the edges of `graph`
/// (rows index `head`, columns index the tail). With `tail = None` the tail is `head` itself and
/// both ends of an edge move (fit); otherwise `tail` stays fixed (transform).
pub fn optimize(
    head: &mut [f64],
    tail: Option<&[f64]>,
    dim: usize,
    graph: &Graph,
    p: &LayoutParams,
    rng: &mut ChaCha8Rng,
) {
    let n_tail = graph.n_cols;
    if n_tail == 0 || graph.weights.is_empty() {
        return;
    }
    let eps = epochs_per_sample(&graph.weights);
    let eps_neg: Vec<f64> = eps.iter().map(|e| e / p.negative_sample_rate).collect();
    let mut next = eps.clone();
    let mut next_neg = eps_neg.clone();
    let (a, b) = (p.a, p.b);
    let mut cur = vec![0.0; dim];
    let mut step = vec![0.0; dim];
    let mut alpha = p.initial_alpha;
    for epoch in 0..p.n_epochs {
        let n = epoch as f64;
        for e in 0..eps.len() {
            if next[e] > n {
                continue;
            }
            let (j, k) = (graph.rows[e], graph.cols[e]);
            cur.copy_from_slice(&head[j * dim..(j + 1) * dim]);
            // Attraction.
            {
                let other = match tail {
                    Some(t) => &t[k * dim..(k + 1) * dim],
                    None => &head[k * dim..(k + 1) * dim],
                };
                let d2 = sq_dist(&cur, other);
                let coeff = if d2 > 0.0 {
                    let pb = d2.powf(b);
                    -2.0 * a * b * (pb / d2) / (a * pb + 1.0)
                } else {
                    0.0
                };
                for d in 0..dim {
                    let g = clip(coeff * (cur[d] - other[d]));
                    step[d] = g;
                    cur[d] += g * alpha;
                }
                if tail.is_none() {
                    for d in 0..dim {
                        head[k * dim + d] -= step[d] * alpha;
                    }
                }
            }
            next[e] += eps[e];
            // Repulsion from random tail points.
            let n_neg = ((n - next_neg[e]) / eps_neg[e]).max(0.0) as usize;
            for _ in 0..n_neg {
                let kk = (rng.next_u32() as usize) % n_tail;
                let other = match tail {
                    Some(t) => &t[kk * dim..(kk + 1) * dim],
                    None => {
                        if kk == j {
                            continue;
                        }
                        &head[kk * dim..(kk + 1) * dim]
                    }
                };
                let d2 = sq_dist(&cur, other);
                if d2 > 0.0 {
                    let coeff = 2.0 * p.gamma * b / ((0.001 + d2) * (a * d2.powf(b) + 1.0));
                    for d in 0..dim {
                        cur[d] += clip(coeff * (cur[d] - other[d])) * alpha;
                    }
                }
            }
            next_neg[e] += n_neg as f64 * eps_neg[e];
            head[j * dim..(j + 1) * dim].copy_from_slice(&cur);
        }
        alpha = p.initial_alpha * (1.0 - n / p.n_epochs as f64);
    }
}

#[inline]
fn sq_dist(x: &[f64], y: &[f64]) -> f64 {
    x.iter().zip(y).map(|(a, b)| (a - b) * (a - b)).sum()
}
