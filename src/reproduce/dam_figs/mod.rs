//! Pieces shared by paper Figs. 1–3 (`reproduce fig1|fig2|fig3`): the standard-run grid files,
//! final states and α of run folders, the UMAP model of spec §3.8, and a few composite figures
//! (a sheet of panels, label bars, one image with its pixel grid, from `plot::sheet`).

pub use crate::plot::sheet::{Framed, LabelBars, OrderChart, OrderRow, Panel, PixelImage, Sheet};

use super::{Context, Scale};
use crate::config::DataConfig;
use crate::dam::train::State;
use crate::data::{Dataset, TrainingSet};
use crate::embed::{Umap, UmapParams};
use crate::error::{Error, Result};
use crate::landscape::alpha::Decomposition;
use crate::sweep::{Grid, Sweep, number};
use ndarray::{Array1, Array2, ArrayView1, ArrayView2};
use std::path::Path;

/// Rescaled temperature T_r = T/784 (spec §1.2).
pub fn t_r(t: f64) -> f64 {
    t / 784.0
}

/// How a run records its trajectory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Record {
    /// Only the initial and the final state (`train.save_epochs = [0, epochs]`).
    Ends,
    /// Every k epochs (and the last one).
    Every(usize),
}

/// The sweep of a set of standard full runs (spec §4.0 "standard full run": K = 100, η = 0.005,
/// μ = 0, init N(−0.003, 1e−5), one minibatch of the training set given by `data`) over the
/// product n × T, `epochs` updates each. `data` is the `[data]` section (its default: the embedded
/// 20-per-class draw of the run seed). Every point shares the run seed `seed`, hence the training
/// set and the initial state.
pub fn standard_sweep(
    name: &str,
    seed: u64,
    data: DataConfig,
    epochs: usize,
    record: Record,
    ns: &[f64],
    temperatures: &[f64],
) -> Sweep {
    let mut base = super::figure_config(seed, data, 100, epochs, 0.005, 500);
    if let Record::Every(k) = record {
        base.train.save_epochs = None;
        base.train.save_every = k;
    }
    Sweep::new(name, base)
        .axis("model.n", ns.iter().map(|&x| number(x)))
        .axis("model.temperature", temperatures.iter().map(|&x| number(x)))
}

/// Index of the point of `grid` with power `n` and temperature `t`.
pub fn find_point(grid: &Grid, n: f64, t: f64) -> Result<usize> {
    grid.points
        .iter()
        .position(|p| p.config.model.n == n && p.config.model.temperature == t)
        .ok_or_else(|| Error::invalid("grid", format!("no point with n = {n}, T = {t}")))
}

/// The final state (memories, labels) of a finished run folder (`checkpoint.npz`).
pub fn final_state(dir: &Path) -> Result<State> {
    crate::run_folder::RunFolder::open(dir)?.final_state()
}

/// α = M X⁺ of `memories` on the training set (spec §3.1; X = the 200 samples, digit-major).
pub fn alpha(set: &TrainingSet, memories: ArrayView2<f64>) -> Result<Array2<f64>> {
    Ok(Decomposition::new(set.samples.view(), &set.digits)?.alpha(memories, faer::Par::Seq))
}

/// Mean over memories of the number of labels ≥ `threshold` (spec §3.9; 3.9 at n = 3 "feature",
/// ≈ 1 at n = 30 "prototype", spec §6.2).
pub fn labels_per_memory(labels: ArrayView2<f64>, threshold: f64) -> f64 {
    let k = labels.nrows().max(1) as f64;
    labels.iter().filter(|&&l| l >= threshold).count() as f64 / k
}

/// Memories with ℓ_{A,d} ≥ θ, θ starting at `start` and lowered by 0.1 until some memory
/// qualifies (spec §3.9, the sample pickers). Returns (memory indices, θ used).
pub fn memories_of_class(labels: ArrayView2<f64>, class: usize, start: f64) -> (Vec<usize>, f64) {
    let mut thr = start;
    loop {
        let sel: Vec<usize> = (0..labels.nrows())
            .filter(|&a| labels[[a, class]] >= thr)
            .collect();
        if !sel.is_empty() || thr < -1.0 {
            return (sel, thr);
        }
        thr -= 0.1;
    }
}

/// The reconstruction of a memory from its `p` largest coefficients (by |α|):
/// R = Σ_{k ≤ p} α_{p_k} x_{p_k} (spec §3.5, supplement "MoorePenrose").
pub fn top_reconstruction(alpha: ArrayView1<f64>, samples: ArrayView2<f64>, p: usize) -> Array1<f64> {
    let mut order: Vec<usize> = (0..alpha.len()).collect();
    order.sort_by(|&a, &b| alpha[b].abs().total_cmp(&alpha[a].abs()).then(a.cmp(&b)));
    let mut r = Array1::<f64>::zeros(samples.ncols());
    for &q in order.iter().take(p) {
        r.scaled_add(alpha[q], &samples.row(q));
    }
    r
}

/// A description of the training data of a figure, for its report.
pub fn data_description(ctx: &Context) -> String {
    match &ctx.opts.samples {
        Some(p) => format!("the reference 200-digit set {} (20 per digit)", p.display()),
        None => format!(
            "the embedded MNIST digits, a seeded class-balanced draw of 20 per digit (seed {}); \
             not the paper's fixed 200-digit set (give it with --samples)",
            ctx.opts.seed
        ),
    }
}

/// The UMAP model of spec §3.8 (umap-learn `UMAP(n_neighbors=55, min_dist=0.05,
/// metric='correlation', random_state=4)`, our implementation `crate::embed`) and the 2-D positions
/// of the training samples in it.
///
/// The paper fits it on the 60 000 MNIST training images. At paper scale we fit on the 10 000
/// embedded MNIST digits (the largest MNIST set available offline) and map the training samples
/// with `transform`; at quick scale we fit on the training samples themselves. The fitted model is
/// kept in `<figure>/umap/` (with `fitted-rows.fnv`, a hash of the rows it was fitted on) and reused
/// by later calls on the same rows.
pub fn umap_model(ctx: &Context, set: &TrainingSet) -> Result<(Umap, Array2<f64>)> {
    let dir = ctx.path("umap");
    let (rows, origin) = match ctx.scale() {
        Scale::Quick => (set.samples.clone(), "the figure's training samples"),
        Scale::Paper => (Dataset::embedded()?.images, "the 10 000 embedded MNIST digits"),
    };
    // The model is reused only if it was fitted on exactly these rows (fingerprint file).
    let stamp = dir.join("fitted-rows.fnv");
    let print = format!("{:016x} {}×{}\n", fingerprint(&rows), rows.nrows(), rows.ncols());
    let saved = std::fs::read_to_string(&stamp).unwrap_or_default();
    let umap = match Umap::load(&dir) {
        Ok(u) if saved == print && u.params == UmapParams::paper() => u,
        _ => {
            let u = Umap::fit(rows.view(), &UmapParams::paper(), 0)?;
            u.save(&dir, origin)?;
            crate::atomic::write_bytes(&stamp, &print, crate::atomic::Durability::Atomic)?;
            u
        }
    };
    let samples = match ctx.scale() {
        Scale::Quick => umap.embedding.clone(),
        Scale::Paper => umap.transform(set.samples.view(), 0)?,
    };
    Ok((umap, samples))
}

/// FNV-1a hash of the bit patterns of a matrix (row-major).
fn fingerprint(a: &Array2<f64>) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for v in a.iter() {
        for b in v.to_bits().to_le_bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// Which UMAP was used, in words (for reports).
pub fn umap_description(scale: Scale) -> &'static str {
    match scale {
        Scale::Quick => {
            "UMAP (correlation, n_neighbors 55, min_dist 0.05, seed 4) fitted on the 200 training samples; \
             memories mapped with transform"
        }
        Scale::Paper => {
            "UMAP (correlation, n_neighbors 55, min_dist 0.05, seed 4) fitted on the 10 000 embedded MNIST \
             digits (the paper: 60 000); training samples and memories mapped with transform"
        }
    }
}

/// `count` distinct indices of 0..k drawn with a seeded ChaCha8 stream (sorted).
pub fn random_indices(k: usize, count: usize, seed: u64) -> Vec<usize> {
    use rand::SeedableRng;
    use rand::seq::index::sample;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut v = sample(&mut rng, k, count.min(k)).into_vec();
    v.sort_unstable();
    v
}

/// Index of the recorded epoch nearest to `epoch` (ties: the earlier record).
pub fn nearest_frame(epochs: &[usize], epoch: usize) -> usize {
    let mut best = 0;
    for (i, &e) in epochs.iter().enumerate() {
        if e.abs_diff(epoch) < epochs[best].abs_diff(epoch) {
            best = i;
        }
    }
    best
}
