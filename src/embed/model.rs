//! Saving and loading a fitted UMAP model as a folder:
//!
//! * `model.npz` — `data` (N×D float64, the fitted rows prepared for the metric: centred and
//!   L2-normalised for correlation, raw for euclidean), `embedding` (N×n_components float64),
//!   `ab` (float64 [a, b]) and, when known, `labels` (N int64);
//! * `model.json` — [`ModelMeta`]: format version, crate version, the hyper-parameters, a, b,
//!   N, D, epochs, initialisation used, number of graph edges and the data's origin.
//!
//! Transform needs only these: the prepared rows for the kNN and the embedding for the layout.

use super::{FitTimings, Init, Umap, UmapParams, knn::Prepared};
use crate::error::{Error, Result};
use ndarray::{Array1, Array2, Ix1, Ix2};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Version of the model folder format.
pub const FORMAT_VERSION: u32 = 1;
/// The arrays file inside a model folder.
pub const NPZ_NAME: &str = "model.npz";
/// The metadata file inside a model folder.
pub const JSON_NAME: &str = "model.json";

/// The JSON metadata of a saved model.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModelMeta {
    /// [`FORMAT_VERSION`].
    pub format_version: u32,
    /// Crate version that wrote the model.
    pub crate_version: String,
    /// Hyper-parameters.
    pub params: UmapParams,
    /// Curve parameter a.
    pub a: f64,
    /// Curve parameter b.
    pub b: f64,
    /// Fitted rows N.
    pub n_points: usize,
    /// Input width D.
    pub input_dim: usize,
    /// Layout epochs of the fit.
    pub n_epochs: usize,
    /// Initialisation used.
    pub init_used: Init,
    /// Graph edges after pruning.
    pub n_edges: usize,
    /// Where the fitted data came from.
    pub origin: String,
    /// Stage timings of the fit, seconds.
    pub timings: FitTimings,
}

impl Umap {
    /// Write the model into the folder `dir` (created if needed) as `model.npz` + `model.json`.
    pub fn save(&self, dir: &Path, origin: &str) -> Result<()> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let npz_path = dir.join(NPZ_NAME);
        let mut npz = crate::npy::create_npz(&npz_path)?;
        npz.add_array("data", &self.data.rows)?;
        npz.add_array("embedding", &self.embedding)?;
        npz.add_array("ab", &Array1::from(vec![self.a, self.b]))?;
        if let Some(l) = &self.labels {
            npz.add_array("labels", &crate::npy::indices(l))?;
        }
        npz.finish()?;
        let meta = ModelMeta {
            format_version: FORMAT_VERSION,
            crate_version: crate::VERSION.to_string(),
            params: self.params.clone(),
            a: self.a,
            b: self.b,
            n_points: self.len(),
            input_dim: self.input_dim(),
            n_epochs: self.n_epochs,
            init_used: self.init_used,
            n_edges: self.n_edges,
            origin: origin.to_string(),
            timings: self.timings.clone(),
        };
        let json_path = dir.join(JSON_NAME);
        let text = serde_json::to_string_pretty(&meta)
            .map_err(|e| Error::format(&json_path, format!("serialising failed: {e}")))?;
        crate::atomic::write_bytes(&json_path, text, crate::atomic::Durability::Atomic)
    }

    /// Read a model folder written by [`Umap::save`], checking shapes and parameters.
    pub fn load(dir: &Path) -> Result<Umap> {
        let json_path = dir.join(JSON_NAME);
        let text = std::fs::read_to_string(&json_path).map_err(|e| Error::io(&json_path, e))?;
        let meta: ModelMeta = serde_json::from_str(&text)
            .map_err(|e| Error::format(&json_path, format!("not a UMAP model description: {e}")))?;
        if meta.format_version != FORMAT_VERSION {
            return Err(Error::format(
                &json_path,
                format!(
                    "format_version {} (expected {FORMAT_VERSION})",
                    meta.format_version
                ),
            ));
        }
        meta.params.validate()?;
        let npz_path = dir.join(NPZ_NAME);
        let mut npz = crate::npy::open_npz(&npz_path)?;
        let matrix = |npz: &mut _, name: &str, cols: usize| -> Result<Array2<f64>> {
            let a = crate::npy::npz_f64(npz, &npz_path, name)?;
            let shape = a.shape().to_vec();
            let m = a
                .into_dimensionality::<Ix2>()
                .ok()
                .filter(|m| m.dim() == (meta.n_points, cols))
                .ok_or_else(|| {
                    Error::shape(
                        format!("{} array `{name}`", npz_path.display()),
                        format!("{} × {cols}", meta.n_points),
                        &shape,
                    )
                })?;
            crate::npy::check_finite(&m, &format!("{} array `{name}`", npz_path.display()))?;
            Ok(m.as_standard_layout().to_owned())
        };
        let data = matrix(&mut npz, "data", meta.input_dim)?;
        let embedding = matrix(&mut npz, "embedding", meta.params.n_components)?;
        let labels = match crate::npy::npz_int(&mut npz, &npz_path, "labels") {
            Ok(l) => {
                let shape = l.shape().to_vec();
                let l = l
                    .into_dimensionality::<Ix1>()
                    .ok()
                    .filter(|l| l.len() == meta.n_points)
                    .ok_or_else(|| {
                        Error::shape(
                            format!("{} array `labels`", npz_path.display()),
                            format!("[{}]", meta.n_points),
                            &shape,
                        )
                    })?;
                Some(l.iter().map(|&v| v.max(0) as usize).collect())
            }
            Err(_) => None,
        };
        Ok(Umap {
            data: Prepared::from_rows(data, meta.params.metric),
            params: meta.params,
            a: meta.a,
            b: meta.b,
            embedding,
            labels,
            init_used: meta.init_used,
            n_epochs: meta.n_epochs,
            n_edges: meta.n_edges,
            timings: FitTimings::default(),
        })
    }
}
