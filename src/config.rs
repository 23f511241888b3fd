//! Run configurations (TOML). Every field has the paper's Figure-3 default (spec §4.0: K = 100,
//! 20 digits per class, n = m = 30, T = 670, η = 0.005, μ = 0, init N(−0.003, 1e−5), full batch).
//! Unknown keys are errors; [`RunConfig::validate`] checks ranges and names the offending field.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Which DAM formulation a run trains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Form {
    /// The paper's label-weighted form (memories M_A and separate labels ℓ_A).
    LabelWeighted,
    /// Krotov & Hopfield (2016): labels are clamped class units inside each memory.
    #[serde(rename = "krotov-2016")]
    Krotov2016,
}

/// Model hyper-parameters shared by both forms.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Params {
    /// Power n of the rectified polynomial (n ≥ 1, may be non-integer).
    pub n: f64,
    /// Loss power: the loss is Σ|s − t|^(2m).
    pub m: f64,
    /// Temperature T > 0.
    pub temperature: f64,
}

/// A complete run: data, initial state, model and training schedule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RunConfig {
    /// The run seed. Data selection, initialisation, noise and shuffling derive their own
    /// streams from it unless `data.seed` / `init.seed` are given.
    pub seed: u64,
    /// Worker threads for the matrix products (0 = all cores). Results do not depend on it.
    pub threads: usize,
    pub data: DataConfig,
    pub init: InitConfig,
    pub model: ModelConfig,
    pub train: TrainConfig,
}

/// `[data]`: where the training samples come from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DataConfig {
    /// `"embedded"` (10k MNIST digits shipped in the binary), `"fashion-mnist"` (Debian's
    /// dataset-fashion-mnist), a path to an IDX image file (gz or raw; `labels` gives its label
    /// file) or to a `.npy` image matrix in [−1, 1] (`labels` gives an integer `.npy`).
    pub source: String,
    /// Label file for an IDX or `.npy` source.
    pub labels: Option<PathBuf>,
    /// The classes to train, in this order (digit-major sample order follows it).
    pub digits: Vec<usize>,
    /// Samples per class (drawn without replacement, seeded).
    pub per_class: usize,
    /// Held-out samples per class for the summary (disjoint from the training set; for
    /// `fashion-mnist`, drawn from its official test split); 0 = none.
    pub test_per_class: usize,
    /// Seed of the selection (default: derived from the run seed).
    pub seed: Option<u64>,
    /// Explicit P×784 samples (`.npy`, already scaled); overrides the selection.
    pub samples: Option<PathBuf>,
    /// Explicit P×C targets (`.npy`, ±1); required with `samples`.
    pub targets: Option<PathBuf>,
    /// Explicit minibatches: B×(P/B) integer `.npy` of sample indices, applied in row order.
    pub batches: Option<PathBuf>,
}

/// `[init]`: the initial memories and labels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InitConfig {
    /// Mean of the i.i.d. normal initialisation of memories and labels (spec §2.5).
    pub mean: f64,
    /// Standard deviation (not variance) of that normal.
    pub std: f64,
    /// Seed of the initialisation (default: derived from the run seed).
    pub seed: Option<u64>,
    /// Explicit K×784 initial memories (`.npy`).
    pub memories: Option<PathBuf>,
    /// Explicit K×C initial labels (`.npy`).
    pub labels: Option<PathBuf>,
}

/// `[model]`: the formulation and its hyper-parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ModelConfig {
    /// `"label-weighted"` (the paper) or `"krotov-2016"` (clamped form).
    pub form: Form,
    /// Number of memories K.
    pub memories: usize,
    /// Power n of the rectified polynomial (≥ 1; non-integer allowed).
    pub n: f64,
    /// Loss power m (loss Σ|s − t|^(2m)); defaults to n.
    pub m: Option<f64>,
    /// Temperature T (> 0).
    pub temperature: f64,
}

/// How memories are kept in the unit ∞-ball after each step (spec §2.2 step 6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Bound {
    /// M_A ← M_A / max(1, ‖M_A‖∞) (the reference default).
    Normalise,
    /// Clip every pixel to [−1, 1].
    Clip,
}

/// `[train]`: the optimisation schedule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrainConfig {
    /// Number of epochs (one epoch = one step per minibatch).
    pub epochs: usize,
    /// Learning rate η (ε₀ for the Krotov form).
    pub rate: f64,
    /// Momentum μ.
    pub momentum: f64,
    /// Number of minibatches (rows of the training set split in order; ignored with `data.batches`).
    pub minibatches: usize,
    /// Record the state every k epochs (epoch 0 and the last epoch are always recorded).
    pub save_every: usize,
    /// Record exactly these completed-epoch counts instead (0 = initial state).
    pub save_epochs: Option<Vec<usize>>,
    /// Write a checkpoint every this many epochs (0 = only at the end).
    pub checkpoint_every: usize,
    /// Memory bounding mode (label-weighted form).
    pub bound: Bound,
    /// Learning-rate decay per epoch: η_e = η·decay^(e+1) for epoch e ≥ 0 (reference `isDecay`
    /// uses 0.998); for the Krotov form η_e = ε₀·decay^e as in its notebook. 1 = none.
    pub decay: f64,
    /// Gaussian noise added to memories and labels at each step of noisy epochs (spec §2.4).
    pub noise_mean: f64,
    /// Standard deviation of that noise (0 = none).
    pub noise_std: f64,
    /// Epoch indices (0-based) with noise; empty with `noise_std > 0` means every epoch.
    pub noise_epochs: Vec<usize>,
    /// Krotov form: initial temperature of a linear ramp to `model.temperature`.
    pub temperature_initial: Option<f64>,
    /// Krotov form: length of that ramp in epochs.
    pub ramp: usize,
    /// Krotov form: shuffle the training set every epoch (seeded).
    pub shuffle: bool,
    /// Krotov form: lower bound of the velocity normaliser (`prec`).
    pub prec: f64,
}

impl Default for RunConfig {
    fn default() -> Self {
        RunConfig {
            seed: 0,
            threads: 1,
            data: DataConfig::default(),
            init: InitConfig::default(),
            model: ModelConfig::default(),
            train: TrainConfig::default(),
        }
    }
}

impl Default for DataConfig {
    fn default() -> Self {
        DataConfig {
            source: "embedded".into(),
            labels: None,
            digits: (0..10).collect(),
            per_class: 20,
            test_per_class: 0,
            seed: None,
            samples: None,
            targets: None,
            batches: None,
        }
    }
}

impl Default for InitConfig {
    fn default() -> Self {
        InitConfig {
            mean: -0.003,
            std: 1e-5,
            seed: None,
            memories: None,
            labels: None,
        }
    }
}

impl Default for ModelConfig {
    fn default() -> Self {
        ModelConfig {
            form: Form::LabelWeighted,
            memories: 100,
            n: 30.0,
            m: None,
            temperature: 670.0,
        }
    }
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            epochs: 3500,
            rate: 0.005,
            momentum: 0.0,
            minibatches: 1,
            save_every: 10,
            save_epochs: None,
            checkpoint_every: 500,
            bound: Bound::Normalise,
            decay: 1.0,
            noise_mean: 0.0,
            noise_std: 0.0,
            noise_epochs: Vec::new(),
            temperature_initial: None,
            ramp: 0,
            shuffle: true,
            prec: 1e-30,
        }
    }
}

/// Stream identifiers for seeds derived from the run seed.
pub mod streams {
    /// Data selection.
    pub const DATA: u64 = 1;
    /// Initial memories and labels.
    pub const INIT: u64 = 2;
    /// Noise pulses.
    pub const NOISE: u64 = 3;
    /// Per-epoch shuffling.
    pub const SHUFFLE: u64 = 4;
}

/// A 64-bit seed derived from a base seed and a stream number (SplitMix64 finaliser), so that
/// independent random streams of one run never overlap.
pub fn derive_seed(base: u64, stream: u64) -> u64 {
    let mut z = base ^ stream.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl RunConfig {
    /// Parse a TOML run config (unknown keys are errors), then validate it.
    pub fn from_toml_str(text: &str, origin: &Path) -> Result<RunConfig> {
        let cfg: RunConfig =
            toml::from_str(text).map_err(|e| Error::format(origin, format!("invalid run config: {e}")))?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Read and validate a TOML run config; relative paths inside are resolved against the
    /// config file's folder.
    pub fn from_file(path: &Path) -> Result<RunConfig> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Self::from_text_of(&text, path)
    }

    /// [`RunConfig::from_file`] on the text already read from `path`.
    pub fn from_text_of(text: &str, path: &Path) -> Result<RunConfig> {
        let mut cfg = Self::from_toml_str(text, path)?;
        if let Some(dir) = path.parent() {
            let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
            cfg.resolve_paths(&dir);
        }
        Ok(cfg)
    }

    /// Make every relative path absolute with respect to `dir`.
    pub fn resolve_paths(&mut self, dir: &Path) {
        let fix = |p: &mut Option<PathBuf>| {
            if let Some(q) = p
                && q.is_relative()
            {
                *q = dir.join(&*q);
            }
        };
        fix(&mut self.data.labels);
        fix(&mut self.data.samples);
        fix(&mut self.data.targets);
        fix(&mut self.data.batches);
        fix(&mut self.init.memories);
        fix(&mut self.init.labels);
        let s = &self.data.source;
        if s != "embedded" && s != "fashion-mnist" && Path::new(s).is_relative() {
            self.data.source = dir.join(s).display().to_string();
        }
    }

    /// The model parameters (m defaults to n).
    pub fn params(&self) -> Params {
        Params {
            n: self.model.n,
            m: self.model.m.unwrap_or(self.model.n),
            temperature: self.model.temperature,
        }
    }

    /// The seed of the data selection.
    pub fn data_seed(&self) -> u64 {
        self.data
            .seed
            .unwrap_or_else(|| derive_seed(self.seed, streams::DATA))
    }

    /// The seed of the initial state.
    pub fn init_seed(&self) -> u64 {
        self.init
            .seed
            .unwrap_or_else(|| derive_seed(self.seed, streams::INIT))
    }

    /// The recorded epochs (completed-epoch counts, sorted, unique, always within 0..=epochs).
    pub fn record_epochs(&self) -> Vec<usize> {
        let e = self.train.epochs;
        let mut v: Vec<usize> = match &self.train.save_epochs {
            Some(list) => list.clone(),
            None => {
                let k = self.train.save_every.max(1);
                let mut v: Vec<usize> = (0..=e).step_by(k).collect();
                v.push(e);
                v
            }
        };
        v.sort_unstable();
        v.dedup();
        v
    }

    /// Check ranges and consistency; the error names the field and the expected range.
    pub fn validate(&self) -> Result<()> {
        let m = &self.model;
        if !(m.n.is_finite() && m.n >= 1.0) {
            return Err(Error::invalid(
                "model.n",
                format!("{} is not allowed; expected a finite power n ≥ 1", m.n),
            ));
        }
        if let Some(mm) = m.m
            && !(mm.is_finite() && mm > 0.5)
        {
            return Err(Error::invalid(
                "model.m",
                format!("{mm} is not allowed; expected m > 0.5 (loss power 2m > 1)"),
            ));
        }
        if !(m.temperature.is_finite() && m.temperature > 0.0) {
            return Err(Error::invalid(
                "model.temperature",
                format!(
                    "{} is not allowed; expected a finite temperature T > 0",
                    m.temperature
                ),
            ));
        }
        if m.memories == 0 {
            return Err(Error::invalid("model.memories", "expected at least 1 memory"));
        }
        let d = &self.data;
        if d.samples.is_some() != d.targets.is_some() {
            return Err(Error::invalid(
                "data.samples",
                "`samples` and `targets` must be given together",
            ));
        }
        if d.samples.is_none() {
            if d.digits.is_empty() {
                return Err(Error::invalid(
                    "data.digits",
                    "the digit list is empty; give at least one class in 0..=9",
                ));
            }
            if let Some(&bad) = d.digits.iter().find(|&&x| x > 9) {
                return Err(Error::invalid(
                    "data.digits",
                    format!("digit {bad} out of range 0..=9"),
                ));
            }
            if d.per_class == 0 {
                return Err(Error::invalid(
                    "data.per_class",
                    "expected at least 1 sample per class",
                ));
            }
        }
        let t = &self.train;
        for (name, v) in [("train.rate", t.rate), ("train.decay", t.decay)] {
            if !(v.is_finite() && v > 0.0) {
                return Err(Error::invalid(
                    name,
                    format!("{v} is not allowed; expected a finite value > 0"),
                ));
            }
        }
        if !(t.momentum.is_finite() && (0.0..1.0).contains(&t.momentum)) {
            return Err(Error::invalid(
                "train.momentum",
                format!("{} is not allowed; expected 0 ≤ μ < 1", t.momentum),
            ));
        }
        if !(t.noise_std.is_finite() && t.noise_std >= 0.0 && t.noise_mean.is_finite()) {
            return Err(Error::invalid(
                "train.noise_std",
                "expected a finite noise_std ≥ 0 and a finite noise_mean",
            ));
        }
        if t.minibatches == 0 {
            return Err(Error::invalid(
                "train.minibatches",
                "expected at least 1 minibatch",
            ));
        }
        if t.save_every == 0 && t.save_epochs.is_none() {
            return Err(Error::invalid("train.save_every", "expected save_every ≥ 1"));
        }
        if let Some(list) = &t.save_epochs
            && let Some(&bad) = list.iter().find(|&&e| e > t.epochs)
        {
            return Err(Error::invalid(
                "train.save_epochs",
                format!(
                    "epoch {bad} is beyond train.epochs = {}; expected values in 0..={}",
                    t.epochs, t.epochs
                ),
            ));
        }
        if let Some(t0) = t.temperature_initial
            && !(t0.is_finite() && t0 > 0.0)
        {
            return Err(Error::invalid(
                "train.temperature_initial",
                "expected a finite temperature > 0",
            ));
        }
        if !(t.prec.is_finite() && t.prec > 0.0) {
            return Err(Error::invalid("train.prec", "expected a small positive number"));
        }
        if !(self.init.std.is_finite() && self.init.std >= 0.0 && self.init.mean.is_finite()) {
            return Err(Error::invalid(
                "init.std",
                "expected a finite std ≥ 0 and a finite mean",
            ));
        }
        Ok(())
    }

    /// The config as TOML text (the fully resolved config written into a run folder).
    pub fn to_toml(&self) -> String {
        toml::to_string(self).unwrap_or_default()
    }
}
