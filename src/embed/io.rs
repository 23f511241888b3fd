//! Data sources and output files of the `embed` commands.
//!
//! A fit output folder holds the model (`model.npz`, `model.json`, see [`super::model`]) plus
//! `embedding.npy` (N×2 float64, row i = fitted row i) and, when labels are known, `labels.npy`
//! (N int64), and `summary.json` ([`FitSummary`]).

use super::{Umap, UmapParams, knn_label_agreement};
use crate::data::Dataset;
use crate::error::{Error, Result};
use ndarray::{Array2, Array3, ArrayD, Ix2, Ix3, s};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Rows to fit on, with labels when known.
#[derive(Debug, Clone)]
pub struct FitData {
    /// N×D rows.
    pub x: Array2<f64>,
    /// Labels (N) or None.
    pub labels: Option<Vec<usize>>,
    /// Where they came from.
    pub origin: String,
}

/// The data named on the command line: `embedded` (the 10 000 embedded MNIST digits),
/// `fashion-mnist` (the 60 000 Fashion-MNIST training images of Debian's `dataset-fashion-mnist`)
/// or a path to an N×D float64 `.npy` (with optional N integer labels in `labels`).
pub fn load_fit_data(spec: &str, labels: Option<&Path>) -> Result<FitData> {
    let from_dataset = |d: Dataset| FitData {
        x: d.images,
        labels: Some(d.labels),
        origin: d.origin,
    };
    match spec {
        "embedded" => Dataset::embedded().map(from_dataset),
        "fashion-mnist" => fashion_mnist_train().map(from_dataset).map_err(|e| {
            Error::invalid(
                "--data fashion-mnist",
                format!("{e}; install Debian's package with `apt-get install dataset-fashion-mnist`"),
            )
        }),
        path => {
            let path = Path::new(path);
            let x = crate::npy::read_matrix(path, "UMAP input")?;
            let labels = match labels {
                None => None,
                Some(lp) => {
                    let l = crate::npy::read_int_dyn(lp)?;
                    if l.ndim() != 1 || l.len() != x.nrows() {
                        return Err(Error::shape(
                            format!("labels ({})", lp.display()),
                            format!("[{}]", x.nrows()),
                            l.shape(),
                        ));
                    }
                    if let Some(bad) = l.iter().find(|&&v| v < 0) {
                        return Err(Error::invalid(
                            format!("labels ({})", lp.display()),
                            format!("label {bad} is negative"),
                        ));
                    }
                    Some(l.iter().map(|&v| v as usize).collect())
                }
            };
            Ok(FitData {
                x,
                labels,
                origin: path.display().to_string(),
            })
        }
    }
}

/// Where Debian's `dataset-fashion-mnist` actually installs its files.
pub const DEBIAN_FASHION_DIR: &str = "/usr/share/datasets/fashion-mnist";

/// The 60 000 Fashion-MNIST training images: [`Dataset::fashion_mnist`], or the Debian package's
/// own folder [`DEBIAN_FASHION_DIR`] when that one is absent.
pub fn fashion_mnist_train() -> Result<Dataset> {
    Dataset::fashion_mnist("train").or_else(|first| {
        let dir = Path::new(DEBIAN_FASHION_DIR);
        let images = dir.join("train-images-idx3-ubyte.gz");
        let labels = dir.join("train-labels-idx1-ubyte.gz");
        if images.exists() && labels.exists() {
            Dataset::from_idx_files(&images, &labels)
        } else {
            Err(first)
        }
    })
}

/// `summary.json` of a fit folder.
#[derive(Debug, Clone, Serialize)]
pub struct FitSummary {
    /// Data origin.
    pub origin: String,
    /// Fitted rows.
    pub n_points: usize,
    /// Curve parameters.
    pub a: f64,
    /// Curve parameters.
    pub b: f64,
    /// Wall time of the fit, seconds, and its stages.
    pub fit_s: f64,
    /// Stage timings.
    pub timings: super::FitTimings,
    /// Leave-one-out 1-NN label agreement of the embedding (labels known).
    pub label_agreement_1nn: Option<f64>,
    /// Leave-one-out 10-NN label agreement of the embedding (labels known).
    pub label_agreement_10nn: Option<f64>,
}

/// Fit UMAP on `data` and write the fit folder `out` (module docs). Refuses to overwrite an
/// existing model unless `force`.
pub fn fit_to_dir(
    data: &FitData,
    params: &UmapParams,
    threads: usize,
    out: &Path,
    force: bool,
) -> Result<FitSummary> {
    crate::atomic::check_outputs(out, &[super::model::JSON_NAME, "summary.json"], force)?;
    let t = std::time::Instant::now();
    let mut model = Umap::fit(data.x.view(), params, threads)?;
    let fit_s = t.elapsed().as_secs_f64();
    model.labels = data.labels.clone();
    let (mut a1, mut a10) = (None, None);
    if let Some(l) = &data.labels {
        let e = model.embedding.view();
        a1 = Some(knn_label_agreement(e, l, e, l, 1, true)?);
        a10 = Some(knn_label_agreement(e, l, e, l, 10, true)?);
    }
    model.save(out, &data.origin)?;
    crate::npy::write(&out.join("embedding.npy"), &model.embedding)?;
    if let Some(l) = &data.labels {
        crate::npy::write(&out.join("labels.npy"), &crate::npy::indices(l))?;
    }
    let summary = FitSummary {
        origin: data.origin.clone(),
        n_points: model.len(),
        a: model.a,
        b: model.b,
        fit_s,
        timings: model.timings.clone(),
        label_agreement_1nn: a1,
        label_agreement_10nn: a10,
    };
    let sp = out.join("summary.json");
    let text = serde_json::to_string_pretty(&summary).map_err(|e| Error::format(&sp, e.to_string()))?;
    crate::atomic::write_bytes(&sp, text, crate::atomic::Durability::Atomic)?;
    Ok(summary)
}

/// Transform an N×D array (→ N×c) or an E×K×D array of memory frames (→ E×K×c), the latter in
/// chunks of `chunk_frames` frames as the paper's scripts do (spec §3.8).
pub fn transform_array(
    model: &Umap,
    x: ArrayD<f64>,
    what: &str,
    chunk_frames: usize,
    threads: usize,
) -> Result<ArrayD<f64>> {
    let shape = x.shape().to_vec();
    match x.ndim() {
        2 => {
            let m = x
                .into_dimensionality::<Ix2>()
                .map_err(|_| Error::shape(what, "N × D", &shape))?;
            crate::npy::check_finite(&m, what)?;
            Ok(model
                .transform(m.as_standard_layout().view(), threads)?
                .into_dyn())
        }
        3 => {
            let a = x
                .into_dimensionality::<Ix3>()
                .map_err(|_| Error::shape(what, "E × K × D", &shape))?;
            crate::npy::check_finite(&a, what)?;
            let (e, k, d) = a.dim();
            if d != model.input_dim() {
                return Err(Error::shape(
                    what,
                    format!("E × K × {}", model.input_dim()),
                    &shape,
                ));
            }
            let c = model.params.n_components;
            let mut out = Array3::<f64>::zeros((e, k, c));
            let step = chunk_frames.max(1);
            let mut f0 = 0;
            while f0 < e {
                let f1 = (f0 + step).min(e);
                let rows = a
                    .slice(s![f0..f1, .., ..])
                    .to_owned()
                    .into_shape_with_order(((f1 - f0) * k, d))
                    .map_err(|err| Error::invalid(what, err.to_string()))?;
                let y = model.transform(rows.view(), threads)?;
                let y = y
                    .into_shape_with_order((f1 - f0, k, c))
                    .map_err(|err| Error::invalid(what, err.to_string()))?;
                out.slice_mut(s![f0..f1, .., ..]).assign(&y);
                f0 = f1;
            }
            Ok(out.into_dyn())
        }
        _ => Err(Error::shape(what, "N × D or E × K × D", &shape)),
    }
}

/// Where a transform writes: the path given, refusing to overwrite unless `force`.
pub fn output_path(out: &Path, force: bool) -> Result<PathBuf> {
    let (parent, name) = crate::atomic::out_parts(out)?;
    crate::atomic::check_outputs(parent, &[name], force)?;
    Ok(out.to_path_buf())
}
