//! UMAP (Uniform Manifold Approximation and Projection; McInnes, Healy & Melville 2018): fit a
//! two-dimensional embedding of a data set and map new points into it, seeded and reproducible.
//!
//! The paper (spec `reference-experiments.md` §3.8) fits umap-learn's
//! `UMAP(random_state=4, n_neighbors=55, min_dist=0.05, metric='correlation')` on the MNIST
//! training images and maps training samples and memory trajectories with `transform`;
//! [`UmapParams::paper`] holds these parameters. The algorithm follows umap-learn:
//!
//! 1. exact k nearest neighbours ([`knn`]), the point itself being its first neighbour;
//! 2. the fuzzy simplicial set ([`graph::fuzzy_simplicial_set`]);
//! 3. (a, b) of the curve 1/(1 + a d^{2b}) fitted to min_dist and spread ([`graph::find_ab_params`]);
//! 4. spectral initialisation ([`init`]), scaled as umap-learn does;
//! 5. the seeded stochastic-gradient layout ([`layout::optimize`]): 500 epochs for N ≤ 10 000,
//!    200 above.
//!
//! [`Umap::transform`] computes the kNN of new points among the fitted ones, their memberships
//! with ρ = 0, initialises each at the membership-weighted mean of its neighbours' coordinates
//! and optimises only the new points (100 epochs for ≤ 10 000 new points, 30 above, or a third of
//! the fit's epochs when those were set explicitly; learning rate divided by 4), the fitted
//! embedding fixed. [`Umap::save`] / [`Umap::load`] store a fitted model ([`model`]).

pub mod bench;
pub mod graph;
pub mod init;
pub mod io;
pub mod knn;
pub mod layout;
pub mod model;
pub mod movie;

pub use init::Init;
pub use knn::Metric;

use crate::error::{Error, Result};
use knn::{Neighbours, Prepared};
use ndarray::{Array2, ArrayView2};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// UMAP hyper-parameters (names as in umap-learn).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UmapParams {
    /// Neighbours k of the kNN graph (the point itself included).
    pub n_neighbors: usize,
    /// Output dimension.
    pub n_components: usize,
    /// Distance metric of the input space.
    pub metric: Metric,
    /// Effective minimum distance between embedded points.
    pub min_dist: f64,
    /// Effective scale of embedded points.
    pub spread: f64,
    /// Layout epochs; None: 500 for N ≤ 10 000, 200 above.
    pub n_epochs: Option<usize>,
    /// Initial learning rate α₀.
    pub learning_rate: f64,
    /// Repulsion strength γ.
    pub repulsion_strength: f64,
    /// Negative samples per positive sample.
    pub negative_sample_rate: usize,
    /// Initialisation method.
    pub init: Init,
    /// Seed of the fit (initialisation noise, Lanczos start vector, negative sampling).
    pub seed: u64,
    /// Seed of transform's negative sampling (umap-learn's `transform_seed`, default 42).
    pub transform_seed: u64,
}

impl Default for UmapParams {
    /// umap-learn's defaults (euclidean, k = 15, min_dist 0.1), seed 0.
    fn default() -> Self {
        UmapParams {
            n_neighbors: 15,
            n_components: 2,
            metric: Metric::Euclidean,
            min_dist: 0.1,
            spread: 1.0,
            n_epochs: None,
            learning_rate: 1.0,
            repulsion_strength: 1.0,
            negative_sample_rate: 5,
            init: Init::Spectral,
            seed: 0,
            transform_seed: 42,
        }
    }
}

impl UmapParams {
    /// The paper's global model (spec §3.8): correlation metric, k = 55, min_dist 0.05, seed 4.
    pub fn paper() -> Self {
        UmapParams {
            n_neighbors: 55,
            metric: Metric::Correlation,
            min_dist: 0.05,
            seed: 4,
            ..Default::default()
        }
    }

    /// Check ranges (field names as in this struct).
    pub fn validate(&self) -> Result<()> {
        if self.n_neighbors < 2 {
            return Err(Error::invalid(
                "n_neighbors",
                format!("{} must be at least 2", self.n_neighbors),
            ));
        }
        if !(1..=8).contains(&self.n_components) {
            return Err(Error::invalid(
                "n_components",
                format!("{} must lie in 1..=8", self.n_components),
            ));
        }
        if !(self.learning_rate > 0.0 && self.learning_rate.is_finite()) {
            return Err(Error::invalid("learning_rate", "must be positive"));
        }
        if !(self.repulsion_strength >= 0.0 && self.repulsion_strength.is_finite()) {
            return Err(Error::invalid("repulsion_strength", "must be non-negative"));
        }
        if self.negative_sample_rate == 0 {
            return Err(Error::invalid("negative_sample_rate", "must be at least 1"));
        }
        if self.n_epochs == Some(0) {
            return Err(Error::invalid("n_epochs", "must be at least 1"));
        }
        graph::find_ab_params(self.spread, self.min_dist).map(|_| ())
    }

    /// Layout epochs of a fit on n points.
    pub fn fit_epochs(&self, n: usize) -> usize {
        self.n_epochs.unwrap_or(if n <= 10_000 { 500 } else { 200 })
    }

    /// Layout epochs of a transform of q new points (umap-learn: 100 for q ≤ 10 000, else 30, or
    /// n_epochs/3 when n_epochs was set).
    pub fn transform_epochs(&self, q: usize) -> usize {
        match self.n_epochs {
            Some(e) => e / 3,
            None => {
                if q <= 10_000 {
                    100
                } else {
                    30
                }
            }
        }
    }
}

/// Wall-clock seconds of the stages of a fit (not saved with the model).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct FitTimings {
    /// Exact kNN.
    pub knn_s: f64,
    /// Fuzzy simplicial set.
    pub graph_s: f64,
    /// Initialisation.
    pub init_s: f64,
    /// SGD layout.
    pub layout_s: f64,
}

/// A fitted UMAP model: the prepared data (for transform's kNN), its embedding and parameters.
#[derive(Debug, Clone)]
pub struct Umap {
    /// Hyper-parameters.
    pub params: UmapParams,
    /// Curve parameter a (from min_dist, spread).
    pub a: f64,
    /// Curve parameter b.
    pub b: f64,
    /// The fitted rows, prepared for the metric (centred and normalised for correlation).
    pub data: Prepared,
    /// N×n_components embedding of the fitted rows.
    pub embedding: Array2<f64>,
    /// Class labels of the fitted rows, when known (saved with the model for plots).
    pub labels: Option<Vec<usize>>,
    /// The initialisation actually used (spectral falls back to PCA on a disconnected graph).
    pub init_used: Init,
    /// Layout epochs of the fit.
    pub n_epochs: usize,
    /// Edges of the fitted graph after pruning.
    pub n_edges: usize,
    /// Stage timings of the fit (zero after loading).
    pub timings: FitTimings,
}

impl Umap {
    /// Fit UMAP on the N×D rows of `x` (module docs, steps 1–5). `threads` is the parallelism of
    /// the kNN and spectral stages (0 = all cores); the result does not depend on it.
    pub fn fit(x: ArrayView2<f64>, params: &UmapParams, threads: usize) -> Result<Umap> {
        params.validate()?;
        let n = x.nrows();
        if n <= params.n_neighbors {
            return Err(Error::invalid(
                "n_neighbors",
                format!(
                    "{} neighbours need more than {} data rows; got {n}",
                    params.n_neighbors, params.n_neighbors
                ),
            ));
        }
        let (a, b) = graph::find_ab_params(params.spread, params.min_dist)?;
        let mut timings = FitTimings::default();
        let t = Instant::now();
        let data = Prepared::new(x, params.metric)?;
        let nn = knn::knn(&data, &data, params.n_neighbors, true, threads)?;
        timings.knn_s = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let mut g = graph::fuzzy_simplicial_set(&nn, params.n_neighbors);
        let n_epochs = params.fit_epochs(n);
        g.prune_for_epochs(n_epochs);
        timings.graph_s = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let mut rng = ChaCha8Rng::seed_from_u64(params.seed);
        let (init, init_used) = init::initial_embedding(x, &g, params.n_components, params.init, &mut rng)?;
        timings.init_s = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let lp = layout::LayoutParams {
            a,
            b,
            gamma: params.repulsion_strength,
            initial_alpha: params.learning_rate,
            negative_sample_rate: params.negative_sample_rate as f64,
            n_epochs,
        };
        let mut flat = init.into_raw_vec_and_offset().0;
        layout::optimize(&mut flat, None, params.n_components, &g, &lp, &mut rng);
        let embedding = Array2::from_shape_vec((n, params.n_components), flat)
            .map_err(|e| Error::invalid("embedding", e.to_string()))?;
        timings.layout_s = t.elapsed().as_secs_f64();
        Ok(Umap {
            params: params.clone(),
            a,
            b,
            data,
            embedding,
            labels: None,
            init_used,
            n_epochs,
            n_edges: g.weights.len(),
            timings,
        })
    }

    /// Number of fitted rows.
    pub fn len(&self) -> usize {
        self.embedding.nrows()
    }

    /// Whether the model has no fitted rows.
    pub fn is_empty(&self) -> bool {
        self.embedding.nrows() == 0
    }

    /// Width D of the input rows.
    pub fn input_dim(&self) -> usize {
        self.data.rows.ncols()
    }

    /// The kNN of new Q×D rows among the fitted rows.
    pub fn neighbours(&self, x: ArrayView2<f64>, threads: usize) -> Result<Neighbours> {
        if x.ncols() != self.input_dim() {
            return Err(Error::shape(
                "UMAP transform input",
                format!("Q × {} (the fitted data's width)", self.input_dim()),
                x.shape(),
            ));
        }
        let q = Prepared::new(x, self.params.metric)?;
        knn::knn(&q, &self.data, self.params.n_neighbors, false, threads)
    }

    /// Map new Q×D rows into the fitted embedding (module docs); the fitted embedding is fixed.
    /// Deterministic for a given model and input (seeded by `transform_seed`).
    pub fn transform(&self, x: ArrayView2<f64>, threads: usize) -> Result<Array2<f64>> {
        let nq = x.nrows();
        let dim = self.params.n_components;
        if nq == 0 {
            return Ok(Array2::zeros((0, dim)));
        }
        let nn = self.neighbours(x, threads)?;
        let mut g = graph::transform_graph(&nn, self.params.n_neighbors, self.len());
        let mut y = Array2::<f64>::zeros((nq, dim));
        // Initialise at the membership-weighted (L1-normalised) mean of the neighbours.
        let k = self.params.n_neighbors;
        for i in 0..nq {
            let ws = &g.weights[i * k..(i + 1) * k];
            let total: f64 = ws.iter().sum();
            for (j, &w) in ws.iter().enumerate() {
                let c = g.cols[i * k + j];
                let f = if total > 0.0 { w / total } else { 1.0 / k as f64 };
                for d in 0..dim {
                    y[[i, d]] += f * self.embedding[[c, d]];
                }
            }
        }
        let n_epochs = self.params.transform_epochs(nq);
        if n_epochs == 0 {
            return Ok(y);
        }
        g.prune_for_epochs(n_epochs);
        let lp = layout::LayoutParams {
            a: self.a,
            b: self.b,
            gamma: self.params.repulsion_strength,
            initial_alpha: self.params.learning_rate / 4.0,
            negative_sample_rate: self.params.negative_sample_rate as f64,
            n_epochs,
        };
        let mut rng = ChaCha8Rng::seed_from_u64(self.params.transform_seed);
        let tail = self
            .embedding
            .as_slice()
            .ok_or_else(|| Error::invalid("embedding", "not in standard layout"))?;
        let mut flat = y.into_raw_vec_and_offset().0;
        layout::optimize(&mut flat, Some(tail), dim, &g, &lp, &mut rng);
        Array2::from_shape_vec((nq, dim), flat).map_err(|e| Error::invalid("embedding", e.to_string()))
    }
}

/// k-nearest-neighbour label agreement in an embedding: the fraction of `points` whose majority
/// label among their k nearest `reference` points (Euclidean; ties of votes go to the label met
/// first, i.e. nearest) equals their own label. With `same = true`, `points` is `reference` and a
/// point is not its own neighbour (leave-one-out).
pub fn knn_label_agreement(
    points: ArrayView2<f64>,
    point_labels: &[usize],
    reference: ArrayView2<f64>,
    reference_labels: &[usize],
    k: usize,
    same: bool,
) -> Result<f64> {
    if point_labels.len() != points.nrows() || reference_labels.len() != reference.nrows() {
        return Err(Error::invalid("labels", "one label per point is needed"));
    }
    if points.nrows() == 0 {
        return Ok(f64::NAN);
    }
    let q = Prepared::new(points, Metric::Euclidean)?;
    let r = Prepared::new(reference, Metric::Euclidean)?;
    let kk = if same { k + 1 } else { k };
    let nn = knn::knn(&q, &r, kk, same, 0)?;
    let mut hits = 0usize;
    for (i, row) in nn.indices.rows().into_iter().enumerate() {
        let neigh: Vec<usize> = row
            .iter()
            .skip(usize::from(same))
            .map(|&j| reference_labels[j])
            .collect();
        let mut best = (0usize, usize::MAX);
        for &l in &neigh {
            let c = neigh.iter().filter(|&&m| m == l).count();
            if c > best.0 {
                best = (c, l);
            }
        }
        if best.1 == point_labels[i] {
            hits += 1;
        }
    }
    Ok(hits as f64 / points.nrows() as f64)
}
