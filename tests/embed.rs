//! UMAP (module `embed`): kNN against a naive loop, the (a, b) curve fit against umap-learn's
//! values, the fuzzy graph's calibration, spectral initialisation against a dense eigensolver,
//! cluster preservation of fit and transform, reproducibility, save/load and bad input.

use ndarray::{Array2, Axis, s};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use waddington::embed::knn::{self, Metric, Prepared};
use waddington::embed::{Umap, UmapParams, graph, init, knn_label_agreement};

/// `clusters` Gaussian clusters of `per` points in `dim` dimensions: centres N(0, 10²), unit noise.
fn clusters(clusters: usize, per: usize, dim: usize, seed: u64) -> (Array2<f64>, Vec<usize>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let normal = Normal::new(0.0, 1.0).unwrap();
    let centres = Array2::from_shape_fn((clusters, dim), |_| 10.0 * normal.sample(&mut rng));
    let mut x = Array2::zeros((clusters * per, dim));
    let mut labels = Vec::new();
    for i in 0..clusters * per {
        let c = i % clusters;
        labels.push(c);
        for d in 0..dim {
            x[[i, d]] = centres[[c, d]] + normal.sample(&mut rng);
        }
    }
    (x, labels)
}

#[test]
fn blocked_knn_equals_naive_loop() {
    let (mut x, _) = clusters(3, 40, 12, 7);
    // An exact duplicate row and a constant row (correlation distance 1 to everything).
    let dup = x.row(5).to_owned();
    x.row_mut(6).assign(&dup);
    x.row_mut(9).fill(0.25);
    let q = x.slice(s![..30, ..]).to_owned();
    for metric in [Metric::Correlation, Metric::Euclidean] {
        let px = Prepared::new(x.view(), metric).unwrap();
        let pq = Prepared::new(q.view(), metric).unwrap();
        for (self_query, query, pquery) in [(true, &x, &px), (false, &q, &pq)] {
            let naive = knn::knn_naive(query.view(), x.view(), metric, 10, self_query).unwrap();
            // Blocks of 7 query rows and parallel rows give the neighbours of one whole block.
            let blocked = knn::knn_blocked(pquery, &px, 10, self_query, 2, 7 * x.nrows()).unwrap();
            let whole = knn::knn(pquery, &px, 10, self_query, 1).unwrap();
            // faer's kernels depend on the block shape, so distances may differ in the last bits.
            assert_eq!(
                blocked.indices, whole.indices,
                "{metric:?}: blocking changed the neighbours"
            );
            for (a, b) in blocked.distances.iter().zip(whole.distances.iter()) {
                assert!((a - b).abs() < 1e-12, "{metric:?}: blocked {a} vs whole {b}");
            }
            assert_eq!(blocked.indices, naive.indices, "{metric:?} self={self_query}");
            for (a, b) in blocked.distances.iter().zip(naive.distances.iter()) {
                assert!((a - b).abs() < 1e-9, "{metric:?}: distance {a} vs naive {b}");
            }
            if self_query {
                for i in 0..x.nrows() {
                    assert_eq!(blocked.indices[[i, 0]], i, "a point is its own first neighbour");
                }
            }
        }
    }
}

#[test]
fn ab_fit_matches_umap_learn() {
    // umap-learn's find_ab_params(1.0, 0.1) = (1.576943460405378, 0.8950608781227859).
    let (a, b) = graph::find_ab_params(1.0, 0.1).unwrap();
    assert!(
        (a - 1.576943).abs() < 1e-3 && (b - 0.895061).abs() < 1e-3,
        "a={a} b={b}"
    );
    // min_dist 0.05 (the paper's): no published value, so check that it is the least-squares
    // minimum: the sum of squared residuals grows in every direction around it.
    let (a, b) = graph::find_ab_params(1.0, 0.05).unwrap();
    let sse = |a: f64, b: f64| -> f64 {
        (0..300)
            .map(|i| {
                let x = 3.0 * i as f64 / 299.0;
                let y = if x < 0.05 { 1.0 } else { (-(x - 0.05f64)).exp() };
                (1.0 / (1.0 + a * x.powf(2.0 * b)) - y).powi(2)
            })
            .sum()
    };
    let best = sse(a, b);
    for (da, db) in [
        (1e-4, 0.0),
        (-1e-4, 0.0),
        (0.0, 1e-4),
        (0.0, -1e-4),
        (1e-4, 1e-4),
        (-1e-4, 1e-4),
    ] {
        assert!(sse(a + da, b + db) > best, "not a minimum at a={a} b={b}");
    }
    // A smaller min_dist gives a steeper curve (larger a, smaller b) than min_dist 0.1.
    assert!(a > 1.6 && a < 1.8 && b > 0.8 && b < 0.895, "a={a} b={b}");
}

#[test]
fn smooth_knn_calibrates_to_log2_k() {
    let (x, _) = clusters(2, 60, 8, 3);
    let p = Prepared::new(x.view(), Metric::Euclidean).unwrap();
    let k = 15;
    let nn = knn::knn(&p, &p, k, true, 1).unwrap();
    let (sigmas, rhos) = graph::smooth_knn_dist(&nn, k, 1.0);
    for i in 0..x.nrows() {
        assert_eq!(
            rhos[i],
            nn.distances[[i, 1]],
            "rho is the nearest non-self distance"
        );
        let s: f64 = (1..k)
            .map(|j| (-(nn.distances[[i, j]] - rhos[i]).max(0.0) / sigmas[i]).exp())
            .sum();
        assert!((s - (k as f64).log2()).abs() < 1e-4, "row {i}: sum {s}");
    }
    // The fuzzy union is symmetric and in (0, 1].
    let g = graph::fuzzy_simplicial_set(&nn, k);
    let mut dense = Array2::<f64>::zeros((x.nrows(), x.nrows()));
    for ((&r, &c), &w) in g.rows.iter().zip(&g.cols).zip(&g.weights) {
        assert!(w > 0.0 && w <= 1.0 && r != c);
        dense[[r, c]] = w;
    }
    assert_eq!(dense, dense.t());
}

#[test]
fn spectral_init_matches_dense_eigenvectors() {
    let (x, _) = clusters(1, 150, 5, 11);
    let p = Prepared::new(x.view(), Metric::Euclidean).unwrap();
    let nn = knn::knn(&p, &p, 10, true, 1).unwrap();
    let g = graph::fuzzy_simplicial_set(&nn, 10);
    assert_eq!(init::connected_components(&g), 1);
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let y = init::spectral(&g, 2, &mut rng).unwrap();
    // Dense A = D^{-1/2} W D^{-1/2}; eigenvectors of the 2nd and 3rd largest eigenvalues.
    let n = x.nrows();
    let mut w = faer::Mat::<f64>::zeros(n, n);
    for ((&r, &c), &v) in g.rows.iter().zip(&g.cols).zip(&g.weights) {
        w[(r, c)] = v;
    }
    let deg: Vec<f64> = (0..n).map(|i| (0..n).map(|j| w[(i, j)]).sum::<f64>()).collect();
    let a = faer::Mat::<f64>::from_fn(n, n, |i, j| w[(i, j)] / (deg[i] * deg[j]).sqrt());
    let evd = a.self_adjoint_eigen(faer::Side::Lower).unwrap();
    for c in 0..2 {
        let u = evd.U().col(n - 2 - c);
        let col = y.column(c);
        let dot: f64 = (0..n).map(|i| u[i] * col[i]).sum();
        let norm = col.dot(&col).sqrt();
        assert!(
            (dot / norm).abs() > 0.999,
            "eigenvector {c}: |cos| = {}",
            (dot / norm).abs()
        );
    }
}

fn split(
    x: &Array2<f64>,
    labels: &[usize],
    n_fit: usize,
) -> (Array2<f64>, Vec<usize>, Array2<f64>, Vec<usize>) {
    (
        x.slice(s![..n_fit, ..]).to_owned(),
        labels[..n_fit].to_vec(),
        x.slice(s![n_fit.., ..]).to_owned(),
        labels[n_fit..].to_vec(),
    )
}

#[test]
fn clusters_survive_fit_and_transform() {
    // 5 clusters × 100 fitted points + 20 held out per cluster, 50-D.
    let (x, labels) = clusters(5, 120, 50, 1);
    let (xf, lf, xt, lt) = split(&x, &labels, 500);
    for params in [
        UmapParams {
            seed: 1,
            ..Default::default()
        },
        UmapParams {
            seed: 1,
            ..UmapParams::paper()
        },
    ] {
        let model = Umap::fit(xf.view(), &params, 0).unwrap();
        let fit_agree =
            knn_label_agreement(model.embedding.view(), &lf, model.embedding.view(), &lf, 1, true).unwrap();
        let yt = model.transform(xt.view(), 0).unwrap();
        let tr_agree = knn_label_agreement(yt.view(), &lt, model.embedding.view(), &lf, 1, false).unwrap();
        assert!(
            fit_agree >= 0.95,
            "{:?}: fitted agreement {fit_agree}",
            params.metric
        );
        assert!(
            tr_agree >= 0.95,
            "{:?}: transformed agreement {tr_agree}",
            params.metric
        );
        assert!(yt.iter().all(|v| v.is_finite()));
    }
}

#[test]
fn same_seed_same_embedding_any_thread_count() {
    let (x, _) = clusters(4, 60, 20, 2);
    let params = UmapParams {
        n_neighbors: 10,
        seed: 9,
        n_epochs: Some(100),
        ..UmapParams::paper()
    };
    let a = Umap::fit(x.view(), &params, 1).unwrap();
    let b = Umap::fit(x.view(), &params, 0).unwrap();
    assert_eq!(
        a.embedding, b.embedding,
        "same seed must give a bit-identical embedding"
    );
    let c = Umap::fit(x.view(), &UmapParams { seed: 10, ..params }, 1).unwrap();
    assert_ne!(a.embedding, c.embedding, "another seed gives another layout");
    let q = x.slice(s![..30, ..]).to_owned();
    assert_eq!(
        a.transform(q.view(), 1).unwrap(),
        b.transform(q.view(), 0).unwrap()
    );
}

#[test]
fn save_load_transform_equal() {
    let (x, labels) = clusters(3, 50, 10, 5);
    let params = UmapParams {
        n_neighbors: 12,
        n_epochs: Some(60),
        seed: 3,
        ..UmapParams::paper()
    };
    let mut model = Umap::fit(x.view(), &params, 0).unwrap();
    model.labels = Some(labels.clone());
    let dir = tempfile::tempdir().unwrap();
    model.save(dir.path(), "synthetic").unwrap();
    let loaded = Umap::load(dir.path()).unwrap();
    assert_eq!(loaded.embedding, model.embedding);
    assert_eq!(loaded.data.rows, model.data.rows);
    assert_eq!((loaded.a, loaded.b), (model.a, model.b));
    assert_eq!(loaded.labels.as_deref(), Some(&labels[..]));
    assert_eq!(loaded.params, model.params);
    let q = x.select(Axis(0), &[0, 7, 33, 140]);
    assert_eq!(
        loaded.transform(q.view(), 0).unwrap(),
        model.transform(q.view(), 0).unwrap()
    );
}

#[test]
fn bad_input_is_reported() {
    let (x, _) = clusters(2, 20, 6, 4);
    let too_many = UmapParams {
        n_neighbors: 40,
        ..Default::default()
    };
    let e = Umap::fit(x.view(), &too_many, 1).unwrap_err().to_string();
    assert!(e.contains("n_neighbors"), "{e}");
    let bad_dist = UmapParams {
        min_dist: 2.0,
        ..Default::default()
    };
    assert!(
        Umap::fit(x.view(), &bad_dist, 1)
            .unwrap_err()
            .to_string()
            .contains("min_dist")
    );
    let model = Umap::fit(
        x.view(),
        &UmapParams {
            n_neighbors: 5,
            n_epochs: Some(10),
            ..Default::default()
        },
        1,
    )
    .unwrap();
    let wrong = Array2::<f64>::zeros((3, 5));
    let e = model.transform(wrong.view(), 1).unwrap_err().to_string();
    assert!(e.contains("Q × 6"), "{e}");
    let mut nan = x.slice(s![..2, ..]).to_owned();
    nan[[1, 1]] = f64::NAN;
    assert!(model.transform(nan.view(), 1).is_err());
    let e = Umap::load(std::path::Path::new("/nonexistent/model"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("/nonexistent/model/model.json"), "{e}");
}
