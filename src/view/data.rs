//! Gathering one run folder's data for the viewer: the trajectory, the `analysis/` outputs (read,
//! or computed in memory when absent), optionally UMAP trails, into one metadata document
//! ([`Meta`], JSON) and compressed arrays ([`Blobs`]).

use super::encode::{ArrayInfo, Blobs, quantise};
use crate::data::CLASSES;
use crate::embed::Umap;
use crate::error::{Error, Result};
use crate::landscape;
use crate::npy::Npz;
use crate::run_folder::{RunFolder, Trajectory};
use ndarray::{Array2, Array3, Ix1, Ix2, Ix3};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The format tag of the metadata document (bumped when its meaning changes).
pub const FORMAT: &str = "waddington-view 1";

/// What the viewer gathers for one run: the metadata and the blobs it points into.
#[derive(Debug, Clone)]
pub struct RunView {
    /// The metadata document (serialised into the page as JSON).
    pub meta: Meta,
    /// The compressed arrays.
    pub blobs: Blobs,
}

/// The page's metadata document (`docs/viewer.md` lists every key).
#[derive(Debug, Clone, Serialize)]
pub struct Meta {
    /// [`FORMAT`].
    pub format: &'static str,
    /// Page title.
    pub title: String,
    /// The run's parameters.
    pub run: RunInfo,
    /// Recorded epochs (E).
    pub epochs: Vec<usize>,
    /// Memories K.
    pub memories: usize,
    /// Pixels D of a memory.
    pub pixels: usize,
    /// Side of the square memory image (√D).
    pub side: usize,
    /// Classes C (10).
    pub classes: usize,
    /// The encoded arrays.
    pub arrays: Arrays,
    /// Recognised training samples per class at every record (E×C), when the run has a model.
    pub recognition: Option<Vec<Vec<i64>>>,
    /// Training samples per class (C).
    pub class_sizes: Vec<usize>,
    /// Final identity of every memory (K).
    pub fate: Vec<usize>,
    /// The split tree.
    pub tree: TreeView,
    /// UMAP trails, with `--umap`.
    pub umap: Option<UmapInfo>,
    /// Where the analysis came from.
    pub analysis: String,
    /// The encoding in words (shown in the page).
    pub encoding: String,
    /// Link back to a sweep overview, for a point's page.
    pub back: Option<String>,
}

/// The run's parameters shown in the page header.
#[derive(Debug, Clone, Serialize)]
pub struct RunInfo {
    /// The run folder as given.
    pub dir: String,
    /// Formulation.
    pub form: crate::config::Form,
    /// Power n.
    pub n: f64,
    /// Temperature T.
    pub temperature: f64,
    /// Learning rate η.
    pub rate: f64,
    /// Training samples P.
    pub samples: usize,
    /// Epochs trained.
    pub epochs: usize,
    /// Final training accuracy (argmax rule).
    pub train_accuracy: Option<f64>,
}

/// The arrays of a page (see [`ArrayInfo`]).
#[derive(Debug, Clone, Serialize)]
pub struct Arrays {
    /// E×K×D memories, u8, differenced frame to frame.
    pub memories: ArrayInfo,
    /// E×K×C labels, u8, differenced.
    pub labels: ArrayInfo,
    /// E×K×C class-aggregated α, f32.
    pub alpha_class: ArrayInfo,
    /// E×K tree-node id of every memory (−1 before `--start-epoch`), i32.
    pub clade: ArrayInfo,
    /// N×D mean memory of every node at its last epoch (the saddle before its split), u8.
    pub node_memory_end: ArrayInfo,
    /// F×K×2 UMAP coordinates of the memories at the records `umap.frames`, f32.
    pub umap: Option<ArrayInfo>,
    /// S×2 UMAP coordinates of the model's fitted samples, f32.
    pub umap_samples: Option<ArrayInfo>,
}

/// UMAP trails: which records were transformed.
#[derive(Debug, Clone, Serialize)]
pub struct UmapInfo {
    /// The model folder.
    pub model: String,
    /// Records transformed (0, every, 2·every, …, and the last).
    pub frames: Vec<usize>,
    /// `--umap-every`.
    pub every: usize,
    /// Class of each fitted sample, when the model has labels.
    pub sample_labels: Option<Vec<usize>>,
}

/// The split tree as the page uses it (only the keys of `tree.json` it needs; unknown keys are
/// ignored, so later additions to `tree.json` do not break the viewer).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TreeView {
    /// Clade tolerance τ.
    pub tolerance: f64,
    /// Nodes, index = id.
    pub nodes: Vec<NodeView>,
}

/// One node of the split tree.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NodeView {
    /// Node id (= index).
    pub id: usize,
    /// Parent id (None for the root).
    pub parent: Option<usize>,
    /// Children ids.
    pub children: Vec<usize>,
    /// Whether it is a virtual root joining several initial clades.
    #[serde(default)]
    pub is_virtual: bool,
    /// Number of members.
    pub size: usize,
    /// Member memories.
    pub members: Vec<usize>,
    /// First record of the clade.
    pub epoch_start: usize,
    /// Last record at which the clade is whole.
    pub epoch_end: usize,
    /// Epoch of its split (None for leaves).
    pub split_epoch: Option<usize>,
    /// The state at its last epoch.
    pub end: NodeState,
}

/// A node's state summary (subset of `tree.json`'s `end`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NodeState {
    /// Dominant mean label.
    pub dominant_label: usize,
    /// The state in words, e.g. "0.48·(4) + 0.47·(9)".
    pub description: String,
}

/// The analysis outputs the viewer shows.
#[derive(Debug, Clone)]
pub struct AnalysisView {
    /// E×K×C class-aggregated α.
    pub alpha_class: Array3<f64>,
    /// E×C recognised samples.
    pub recognition: Option<Array2<i64>>,
    /// E×K clade ids.
    pub clade: Array2<i64>,
    /// K final identities.
    pub fate: Vec<usize>,
    /// N×D node images.
    pub node_memory_end: Array2<f64>,
    /// The tree.
    pub tree: TreeView,
    /// Where it came from.
    pub source: String,
}

/// How the data of one run are gathered.
#[derive(Debug, Clone, Default)]
pub struct GatherOptions {
    /// A fitted UMAP model folder (`embed fit --out`), for UMAP trails.
    pub umap: Option<PathBuf>,
    /// Transform every `umap_every`-th record (≥ 1).
    pub umap_every: usize,
    /// Threads of the UMAP transform (0 = all cores).
    pub threads: usize,
    /// Link back to a sweep overview.
    pub back: Option<String>,
}

/// Gather the run folder `dir` (finished) into a [`RunView`].
pub fn gather(dir: &Path, options: &GatherOptions) -> Result<RunView> {
    let run = RunFolder::open(dir)?;
    let set = run.training_set()?;
    let mut traj = run.trajectory()?;
    let (e, k, d) = traj.memories_shape();
    let side = image_side(d, traj.path())?;
    let epochs = traj.epochs().to_vec();
    let an = analysis(&run, &epochs, k, d)?;
    let mut blobs = Blobs::default();
    let memories = encode_memories(&mut traj, &mut blobs)?;
    let labels = traj.labels();
    let labels_info = blobs.push_u8(
        labels
            .as_slice()
            .ok_or_else(|| Error::format(traj.path(), "labels not contiguous"))?,
        vec![e, k, CLASSES],
        true,
    );
    let alpha_class = blobs.push_f32(an.alpha_class.iter().copied(), vec![e, k, CLASSES]);
    let clade = blobs.push_i32(an.clade.iter().copied(), vec![e, k], "clade")?;
    let nodes = an.node_memory_end.nrows();
    let node_memory_end = blobs.push_u8(
        &an.node_memory_end.iter().copied().collect::<Vec<f64>>(),
        vec![nodes, d],
        false,
    );
    let (umap, umap_arrays) = match &options.umap {
        Some(model_dir) => {
            let (info, a, s) = umap_trails(&mut traj, model_dir, options, &mut blobs)?;
            (Some(info), (Some(a), Some(s)))
        }
        None => (None, (None, None)),
    };
    let mut class_sizes = vec![0usize; CLASSES];
    for &c in &set.digits {
        if let Some(n) = class_sizes.get_mut(c) {
            *n += 1;
        }
    }
    let cfg = run.config();
    let summary = run.summary().ok();
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| dir.display().to_string());
    let meta = Meta {
        format: FORMAT,
        title: format!(
            "{name}: K = {k}, n = {}, T = {}, {} epochs",
            cfg.model.n, cfg.model.temperature, cfg.train.epochs
        ),
        run: RunInfo {
            dir: dir.display().to_string(),
            form: cfg.model.form,
            n: cfg.model.n,
            temperature: cfg.model.temperature,
            rate: cfg.train.rate,
            samples: set.digits.len(),
            epochs: cfg.train.epochs,
            train_accuracy: summary.map(|s| s.train.accuracy),
        },
        epochs,
        memories: k,
        pixels: d,
        side,
        classes: CLASSES,
        arrays: Arrays {
            memories,
            labels: labels_info,
            alpha_class,
            clade,
            node_memory_end,
            umap: umap_arrays.0,
            umap_samples: umap_arrays.1,
        },
        recognition: an
            .recognition
            .as_ref()
            .map(|r| r.outer_iter().map(|row| row.to_vec()).collect()),
        class_sizes,
        fate: an.fate,
        tree: an.tree,
        umap,
        analysis: an.source,
        encoding: ENCODING.to_string(),
        back: options.back.clone(),
    };
    Ok(RunView { meta, blobs })
}

/// The encoding in words, shown in the page.
pub const ENCODING: &str = "Memories, labels and node images are quantised to bytes: value = lo + (hi − lo)·q/255 with \
[lo, hi] = [min(−1, min value), max(1, max value)] of the array (so [−1, 1] for bounded memories: step 2/255 ≈ 0.0078, \
error ≤ 0.0039); memories and labels are stored as frame-to-frame differences mod 256. Class-aggregated α and UMAP \
coordinates are float32, clades int32. Every array is zlib-compressed and base64-encoded, and decoded in the page with \
the browser's DecompressionStream.";

/// √D for square images, else an error naming the file.
fn image_side(d: usize, path: &Path) -> Result<usize> {
    let side = (d as f64).sqrt().round() as usize;
    if side * side != d || d == 0 {
        return Err(Error::shape(
            format!("`memories` in {}", path.display()),
            "E×K×D with D a square number of pixels (784 = 28×28)",
            &[0, 0, d],
        ));
    }
    Ok(side)
}

/// Quantise the memories record by record (streamed, never all in memory as f64): first over
/// [−1, 1]; if some value lies outside, again over the wider range.
fn encode_memories(traj: &mut Trajectory, blobs: &mut Blobs) -> Result<ArrayInfo> {
    let (e, k, d) = traj.memories_shape();
    let (mut q, lo, hi) = quantise_stream(traj, (-1.0, 1.0))?;
    if lo < -1.0 || hi > 1.0 {
        q = quantise_stream(traj, (lo, hi))?.0;
    }
    let range = (lo.min(-1.0), hi.max(1.0));
    Ok(blobs.push_quantised(&mut q, vec![e, k, d], range, true))
}

/// One pass over the memories: bytes over `range`, and the true minimum and maximum.
fn quantise_stream(traj: &mut Trajectory, range: (f64, f64)) -> Result<(Vec<u8>, f64, f64)> {
    let (e, k, d) = traj.memories_shape();
    let mut q = Vec::with_capacity(e * k * d);
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    traj.stream(16, |_, m, _| {
        for &v in m.iter() {
            lo = lo.min(v);
            hi = hi.max(v);
            q.push(quantise(v, range.0, range.1));
        }
        Ok(())
    })?;
    Ok((q, lo, hi))
}

/// The analysis: `RUN_DIR/analysis/` when finished there (its `summary.json` present), else
/// computed in memory with the default options (nothing written).
pub fn analysis(run: &RunFolder, epochs: &[usize], k: usize, d: usize) -> Result<AnalysisView> {
    let adir = run.dir().join("analysis");
    if adir.join("summary.json").exists() {
        read_analysis(&adir, epochs, k, d)
    } else {
        let options = landscape::Options {
            saddles: false,
            ..landscape::Options::default()
        };
        let a = landscape::analyze_run_dir(run.dir(), &options)?;
        let tree = serde_json::to_value(&a.tree)
            .and_then(serde_json::from_value::<TreeView>)
            .map_err(|e| Error::invalid("split tree", e.to_string()))?;
        Ok(AnalysisView {
            alpha_class: a.alpha_class,
            recognition: a.recognition,
            clade: a.clade,
            fate: a.fate,
            node_memory_end: a.node_memory_end,
            tree,
            source: "computed in memory by the viewer (no analysis/ folder; `waddington analyze RUN_DIR` writes one)"
                .into(),
        })
    }
}

/// Read `analysis/landscape.npz` and `analysis/tree.json`, checked against the trajectory.
pub fn read_analysis(adir: &Path, epochs: &[usize], k: usize, d: usize) -> Result<AnalysisView> {
    let npz_path = adir.join("landscape.npz");
    let mut npz = Npz::open(&npz_path)?;
    let stored: Vec<i64> = npz.int("epochs")?.iter().copied().collect();
    if stored.len() != epochs.len() || stored.iter().zip(epochs).any(|(&a, &b)| a != b as i64) {
        return Err(Error::format(
            &npz_path,
            format!(
                "`epochs` ({} records) do not match trajectory.npz ({} records); run `waddington analyze RUN_DIR --force` again",
                stored.len(),
                epochs.len()
            ),
        ));
    }
    let e = epochs.len();
    let want = |name: &str, shape: &[usize], found: &[usize]| -> Result<()> {
        if shape == found {
            Ok(())
        } else {
            Err(Error::shape(
                format!("`{name}` in {}", npz_path.display()),
                format!("{shape:?}"),
                found,
            ))
        }
    };
    let alpha_class = npz.f64_as::<Ix3>("alpha_class")?;
    want("alpha_class", &[e, k, CLASSES], alpha_class.shape())?;
    let recognition = if npz.has("recognition") {
        let r = int_as::<Ix2>(&mut npz, "recognition")?;
        want("recognition", &[e, CLASSES], r.shape())?;
        Some(r)
    } else {
        None
    };
    let clade = int_as::<Ix2>(&mut npz, "clade")?;
    want("clade", &[e, k], clade.shape())?;
    let fate = int_as::<Ix1>(&mut npz, "fate")?;
    want("fate", &[k], fate.shape())?;
    let fate = fate
        .iter()
        .map(|&f| usize::try_from(f).map_err(|_| Error::format(&npz_path, format!("`fate` holds {f}"))))
        .collect::<Result<Vec<usize>>>()?;
    let node_memory_end = npz.f64_as::<Ix2>("node_memory_end")?;
    let tree = read_tree(&adir.join("tree.json"), k)?;
    want("node_memory_end", &[tree.nodes.len(), d], node_memory_end.shape())?;
    let bad_clade = clade.iter().find(|&&c| c < -1 || c >= tree.nodes.len() as i64);
    if let Some(c) = bad_clade {
        return Err(Error::format(
            &npz_path,
            format!("`clade` holds node {c}, tree.json has {} nodes", tree.nodes.len()),
        ));
    }
    Ok(AnalysisView {
        alpha_class,
        recognition,
        clade,
        fate,
        node_memory_end,
        tree,
        source: format!("read from {}", adir.display()),
    })
}

/// An integer array of the archive with `D::NDIM` dimensions.
fn int_as<D: ndarray::Dimension>(npz: &mut Npz, name: &str) -> Result<ndarray::Array<i64, D>> {
    let a = npz.int(name)?;
    let shape = a.shape().to_vec();
    a.into_dimensionality::<D>().map_err(|_| {
        Error::shape(
            format!("`{name}` in {}", npz.path().display()),
            format!("{} dimensions", D::NDIM.unwrap_or(0)),
            &shape,
        )
    })
}

/// Read the keys of `tree.json` the viewer needs, checking ids and members.
pub fn read_tree(path: &Path, k: usize) -> Result<TreeView> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let tree: TreeView =
        serde_json::from_str(&text).map_err(|e| Error::format(path, format!("not a split tree: {e}")))?;
    let n = tree.nodes.len();
    for (i, node) in tree.nodes.iter().enumerate() {
        let bad_link = node.parent.is_some_and(|p| p >= n) || node.children.iter().any(|&c| c >= n);
        if node.id != i || bad_link || node.members.iter().any(|&m| m >= k) {
            return Err(Error::format(
                path,
                format!("node {i}: id, parent, children or members out of range ({n} nodes, {k} memories)"),
            ));
        }
    }
    Ok(tree)
}

/// Records transformed together by the UMAP model (as the paper's scripts do, 10 frames).
const UMAP_BATCH_FRAMES: usize = 10;

/// Transform records 0, every, 2·every, … (and the last) through the UMAP model in `model_dir`.
fn umap_trails(
    traj: &mut Trajectory,
    model_dir: &Path,
    options: &GatherOptions,
    blobs: &mut Blobs,
) -> Result<(UmapInfo, ArrayInfo, ArrayInfo)> {
    let model = Umap::load(model_dir)?;
    let (e, k, d) = traj.memories_shape();
    if model.input_dim() != d || model.params.n_components != 2 {
        return Err(Error::format(
            model_dir,
            format!(
                "the UMAP model maps {} inputs to {} dimensions; the viewer needs {d} → 2",
                model.input_dim(),
                model.params.n_components
            ),
        ));
    }
    let every = options.umap_every.max(1);
    let mut frames: Vec<usize> = (0..e).step_by(every).collect();
    if frames.last() != Some(&(e - 1)) {
        frames.push(e - 1);
    }
    let mut coords: Vec<f64> = Vec::with_capacity(frames.len() * k * 2);
    let mut pending: Vec<f64> = Vec::new();
    let transform = |rows: &mut Vec<f64>, coords: &mut Vec<f64>| -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let x = Array2::from_shape_vec((rows.len() / d, d), std::mem::take(rows))
            .map_err(|err| Error::invalid("umap", err.to_string()))?;
        coords.extend(model.transform(x.view(), options.threads)?.iter());
        Ok(())
    };
    let (mut next, mut record) = (0, 0);
    traj.stream(16, |_, chunk, _| {
        for frame in chunk.outer_iter() {
            if frames.get(next) == Some(&record) {
                pending.extend(frame.iter());
                next += 1;
            }
            record += 1;
        }
        if pending.len() >= UMAP_BATCH_FRAMES * k * d {
            transform(&mut pending, &mut coords)?;
        }
        Ok(())
    })?;
    transform(&mut pending, &mut coords)?;
    let trails = blobs.push_f32(coords, vec![frames.len(), k, 2]);
    let samples = blobs.push_f32(model.embedding.iter().copied(), vec![model.embedding.nrows(), 2]);
    let info = UmapInfo {
        model: model_dir.display().to_string(),
        frames,
        every,
        sample_labels: model.labels.clone(),
    };
    Ok((info, trails, samples))
}
