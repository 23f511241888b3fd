//! The Waddington analysis of a training trajectory (spec §3, §7.6; outputs in `docs/landscape.md`).
//!
//! * [`alpha`]: α = M X⁺ (spec §3.1), class-aggregated α (eq. 2), max-α, reconstruction counts.
//! * [`identity`]: dominant labels, thresholded membership, per-class recognition (spec §3.6, §3.9).
//! * [`splits`]: clades of memories that are still the same state, followed in time; splits.
//! * [`tree`]: the split tree (JSON, Newick, dendrogram table, text).
//! * [`order`]: learning order (spec §3.7, "never learned" reported as null).
//! * [`canalisation`]: dispersion, participation-ratio dimension, co-travel, commitment.
//! * [`ensemble`]: statistics over several runs (learning-order ranks, Kendall τ, tree agreement, fates).
//! * [`io`]: run folders (`trajectory.npz` streamed frame by frame) and the `analysis/` outputs.
//!
//! The core is [`Analyzer`]: feed it the recorded frames (epoch, K×D memories, K×10 labels) in
//! time order — from arrays ([`analyze_arrays`]) or streamed from a run folder
//! ([`analyze_run_dir`]) — and [`Analyzer::finish`] returns an [`Analysis`].

pub mod alpha;
pub mod canalisation;
pub mod ensemble;
pub mod figures;
pub mod identity;
pub mod io;
pub mod order;
pub mod persistent;
pub mod saddle;
pub mod splits;
pub mod tree;

pub use identity::Recognizer;
pub use io::{analyze_run_dir, write_analysis};
pub use order::ClassOrder;
pub use tree::SplitTree;

use crate::data::CLASSES;
use crate::error::{Error, Result};
use alpha::Decomposition;
use ndarray::{Array1, Array2, Array3, ArrayView2, ArrayView3, Axis, stack};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use splits::CladeTracker;

/// How the clade tolerance τ (RMS pixel distance) is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Tolerance {
    /// τ = steps · η, η the run's learning rate (default 10 steps; see [`splits`]).
    Steps(f64),
    /// An absolute RMS distance.
    Absolute(f64),
}

impl Tolerance {
    /// The RMS tolerance for a run with learning rate `rate`.
    pub fn resolve(&self, rate: f64) -> f64 {
        match *self {
            Tolerance::Steps(s) => s * rate,
            Tolerance::Absolute(t) => t,
        }
    }
}

/// Analysis options (defaults follow the spec).
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Clade tolerance (default 10 η).
    pub tolerance: Tolerance,
    /// First recorded epoch to analyse for clades (earlier records are skipped by the tracker; useful
    /// when the initial memories are widely spread and only later converge). Default 0.
    pub start_epoch: usize,
    /// Label threshold of thresholded membership (spec §3.9; default 0.99).
    pub membership_threshold: f64,
    /// Fraction of a class's samples that must be recognised for "learned" (default 1/4: 5 of 20).
    pub learned_fraction: f64,
    /// Label level for `first_memory_epoch` (default 0.5).
    pub memory_label_level: f64,
    /// Fraction f of the reconstruction tolerance f·D·mean|M| (spec §3.5; default 0.05).
    pub reconstruction_fraction: f64,
    /// Frames processed together (memory use ∝ chunk; default 32).
    pub chunk: usize,
    /// Explain every persistent split by its saddle, splitting matrix and splitting mode
    /// ([`saddle`]; run folders only; default true).
    pub saddles: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            tolerance: Tolerance::Steps(splits::DEFAULT_TOLERANCE_STEPS),
            start_epoch: 0,
            membership_threshold: 0.99,
            learned_fraction: 0.25,
            memory_label_level: 0.5,
            reconstruction_fraction: 0.05,
            chunk: 32,
            saddles: true,
        }
    }
}

/// Everything the analysis computes for one run (array shapes: E records, K memories, P samples,
/// C = 10 classes, N tree nodes, D pixels). See `docs/landscape.md`.
#[derive(Debug, Clone)]
pub struct Analysis {
    /// Recorded epochs (E).
    pub epochs: Vec<usize>,
    /// α (E×K×P), spec §3.1.
    pub alpha: Array3<f64>,
    /// Class-aggregated α (E×K×C), eq. 2.
    pub alpha_class: Array3<f64>,
    /// max_p |α| (E×K), spec §3.4.
    pub max_alpha: Array2<f64>,
    /// Dominant label argmax_c ℓ (E×K).
    pub identity: Array2<i64>,
    /// Number of labels ≥ the membership threshold (E×K).
    pub membership: Array2<i64>,
    /// Labels per record (E×K×C), kept for node summaries.
    pub labels: Array3<f64>,
    /// Recognised samples per class (E×C), spec §3.6; None without a model.
    pub recognition: Option<Array2<i64>>,
    /// Reconstruction count of every memory at the last record (K), spec §3.5.
    pub reconstruction_count: Vec<usize>,
    /// The reconstruction tolerance used (f·D·mean|M| of the last record).
    pub reconstruction_tolerance: f64,
    /// Clade (tree node id) of every memory at every record (E×K; −1 before `start_epoch`).
    pub clade: Array2<i64>,
    /// L1 deviation of every memory from the mean memory (E×K), spec §3.10.
    pub deviation_from_mean: Array2<f64>,
    /// RMS distance of all memories to their common centroid (E).
    pub global_dispersion: Array1<f64>,
    /// RMS distance of memories to the centroid of their own clade (E; NaN before `start_epoch`).
    pub within_clade_dispersion: Array1<f64>,
    /// Participation-ratio dimension of the whole memory cloud (E).
    pub participation_ratio: Array1<f64>,
    /// Same-fate pairs sharing a clade, different-fate pairs sharing a clade (E each).
    pub together: Array1<f64>,
    /// Fraction of different-final-identity pairs sharing a clade (E).
    pub mixed: Array1<f64>,
    /// Commitment epoch of every memory (K; None if its final clade is mixed).
    pub commitment_epoch: Vec<Option<usize>>,
    /// Per class: last epoch at which all memories of that final identity shared a clade.
    pub together_until_epoch: Vec<Option<usize>>,
    /// Per class: first epoch from which all memories of that final identity are committed.
    pub committed_epoch: Vec<Option<usize>>,
    /// Mean memory of every tree node at its first and last epoch (N×D each).
    pub node_memory_start: Array2<f64>,
    /// See `node_memory_start`.
    pub node_memory_end: Array2<f64>,
    /// The split tree (clades of the tolerance τ, tracked record by record).
    pub tree: SplitTree,
    /// The persistent split tree (threshold-free split epochs; [`persistent`]).
    pub persistent: persistent::PersistentTree,
    /// Its splits in words, by epoch (with their saddles after [`Analysis::explain_splits`]).
    pub persistent_splits: Vec<persistent::SplitSummary>,
    /// Per-memory speed at every record (E×K): RMS displacement since the previous record per
    /// epoch (NaN at the first record); [`saddle`].
    pub speed: Array2<f64>,
    /// Every memory at the last record (K×D).
    pub final_memories: Array2<f64>,
    /// The saddle images of the persistent splits ([`Analysis::explain_splits`]).
    pub saddles: Option<saddle::SaddleImages>,
    /// Learning order of the trained classes.
    pub learning_order: Vec<ClassOrder>,
    /// Final identity (dominant label at the last record) of every memory (K).
    pub fate: Vec<usize>,
    /// Number of (record, pair) cases where memories of different clades came closer than τ.
    pub rejoins: usize,
    /// Maximum RMS distance between two memories at the first record.
    pub initial_spread: f64,
    /// Number of training samples per class (C).
    pub class_sizes: Vec<usize>,
}

/// Per-frame results computed independently of other frames.
struct FrameResult {
    alpha: Array2<f64>,
    alpha_class: Array2<f64>,
    max_alpha: Array1<f64>,
    identity: Vec<usize>,
    membership: Vec<usize>,
    recognition: Option<Vec<usize>>,
    dist_sq: Array2<f64>,
    deviation: Array1<f64>,
    global: (f64, f64),
}

/// Streaming analysis: push frames in time order, then [`Analyzer::finish`].
pub struct Analyzer {
    decomposition: Decomposition,
    samples: Array2<f64>,
    recognizer: Option<Recognizer>,
    options: Options,
    tracker: CladeTracker,
    epochs: Vec<usize>,
    frames: Vec<FrameResult>,
    labels: Vec<Array2<f64>>,
    within: Vec<f64>,
    speed: Vec<Array1<f64>>,
    node_acc: Vec<(f64, f64, usize)>,
    node_start: Vec<Array1<f64>>,
    node_end: Vec<Option<Array1<f64>>>,
    prev_memories: Option<Array2<f64>>,
    last_memories: Option<Array2<f64>>,
    tracked_from: Option<usize>,
    k: Option<usize>,
}

impl Analyzer {
    /// An analyzer for training samples X (P×D) of classes `digits`, with an optional model to score
    /// recognition, the clade tolerance `tol` (RMS) and options.
    pub fn new(
        samples: ArrayView2<f64>,
        digits: &[usize],
        recognizer: Option<Recognizer>,
        tol: f64,
        options: Options,
    ) -> Result<Self> {
        if !(tol.is_finite() && tol > 0.0) {
            return Err(Error::invalid(
                "tolerance",
                format!("{tol} is not allowed; expected a finite RMS distance > 0"),
            ));
        }
        Ok(Analyzer {
            decomposition: Decomposition::new(samples, digits)?,
            samples: samples.as_standard_layout().to_owned(),
            recognizer,
            options,
            tracker: CladeTracker::new(tol),
            epochs: Vec::new(),
            frames: Vec::new(),
            labels: Vec::new(),
            within: Vec::new(),
            speed: Vec::new(),
            node_acc: Vec::new(),
            node_start: Vec::new(),
            node_end: Vec::new(),
            prev_memories: None,
            last_memories: None,
            tracked_from: None,
            k: None,
        })
    }

    fn frame_result(&self, memories: ArrayView2<f64>, labels: ArrayView2<f64>) -> FrameResult {
        let par = faer::Par::Seq;
        let digits = &self.decomposition.digits;
        let alpha = self.decomposition.alpha(memories, par);
        let alpha_class = alpha::class_alpha(alpha.view(), digits);
        let max_alpha = alpha::max_alpha(alpha.view());
        let recognition = self
            .recognizer
            .map(|r| r.counts(memories, labels, self.samples.view(), digits, par));
        let dist_sq = splits::rms_distances_sq(memories, par);
        let all: Vec<usize> = (0..memories.nrows()).collect();
        let global = canalisation::cloud_stats(&all, &dist_sq);
        FrameResult {
            max_alpha,
            alpha_class,
            alpha,
            identity: identity::dominant_labels(labels),
            membership: identity::memberships(labels, self.options.membership_threshold),
            recognition,
            deviation: canalisation::deviation_from_mean(memories),
            dist_sq,
            global,
        }
    }

    /// Add a chunk of consecutive frames: `epochs` (F), memories (F×K×D), labels (F×K×10).
    /// Per-frame work runs in parallel (results do not depend on the thread count).
    pub fn push_chunk(
        &mut self,
        epochs: &[usize],
        memories: ArrayView3<f64>,
        labels: ArrayView3<f64>,
    ) -> Result<()> {
        let (f, k, d) = memories.dim();
        if epochs.len() != f || labels.dim() != (f, k, CLASSES) {
            return Err(Error::shape(
                "labels",
                format!("({f}, {k}, {CLASSES}) matching {f} epochs and memories of shape ({f}, {k}, {d})"),
                labels.shape(),
            ));
        }
        if d != self.samples.ncols() {
            return Err(Error::shape(
                "memories",
                format!("(…, {k}, {}) like the samples", self.samples.ncols()),
                memories.shape(),
            ));
        }
        if let Some(k0) = self.k
            && k0 != k
        {
            return Err(Error::shape(
                "memories",
                format!("(…, {k0}, {d}) as in earlier frames"),
                memories.shape(),
            ));
        }
        self.k = Some(k);
        let mut prev = self.epochs.last().copied();
        for &e in epochs {
            if prev.is_some_and(|p| e <= p) {
                return Err(Error::invalid(
                    "epochs",
                    format!("epoch {e} does not increase after {prev:?}"),
                ));
            }
            prev = Some(e);
        }
        let results: Vec<FrameResult> = (0..f)
            .into_par_iter()
            .map(|i| self.frame_result(memories.index_axis(Axis(0), i), labels.index_axis(Axis(0), i)))
            .collect();
        for (i, r) in results.into_iter().enumerate() {
            let mem = memories.index_axis(Axis(0), i);
            self.track(epochs[i], &r, mem);
            self.epochs.push(epochs[i]);
            self.labels.push(labels.index_axis(Axis(0), i).to_owned());
            self.frames.push(r);
        }
        Ok(())
    }

    /// Add one frame (epoch, K×D memories, K×10 labels).
    pub fn push(&mut self, epoch: usize, memories: ArrayView2<f64>, labels: ArrayView2<f64>) -> Result<()> {
        self.push_chunk(
            &[epoch],
            memories.insert_axis(Axis(0)),
            labels.insert_axis(Axis(0)),
        )
    }

    fn track(&mut self, epoch: usize, r: &FrameResult, mem: ArrayView2<f64>) {
        let frame = self.epochs.len();
        let speed = match (&self.last_memories, self.epochs.last()) {
            (Some(prev), Some(&e0)) => saddle::speed_row(prev.view(), mem, (epoch - e0) as f64),
            _ => Array1::from_elem(mem.nrows(), f64::NAN),
        };
        self.speed.push(speed);
        if epoch < self.options.start_epoch {
            self.within.push(f64::NAN);
            self.last_memories = Some(mem.to_owned());
            return;
        }
        if self.tracked_from.is_none() {
            self.tracked_from = Some(frame);
        }
        let before = self.tracker.clades.len();
        let active_before = self.tracker.active.clone();
        self.tracker.push(&r.dist_sq);
        // parents that split now ended at the previous frame
        for &id in &active_before {
            if !self.tracker.active.contains(&id)
                && let Some(prev) = &self.prev_memories
            {
                self.node_end[id] = Some(tree::mean_memory(prev.view(), &self.tracker.clades[id].members));
            }
        }
        for id in before..self.tracker.clades.len() {
            self.node_start
                .push(tree::mean_memory(mem, &self.tracker.clades[id].members));
            self.node_end.push(None);
            self.node_acc.push((0.0, 0.0, 0));
        }
        let k = mem.nrows() as f64;
        let mut msd_sum = 0.0;
        for &id in &self.tracker.active {
            let members = &self.tracker.clades[id].members;
            let (msd, pr) = canalisation::cloud_stats(members, &r.dist_sq);
            msd_sum += msd * members.len() as f64;
            let acc = &mut self.node_acc[id];
            acc.0 += msd.sqrt();
            acc.1 += pr;
            acc.2 += 1;
        }
        self.within.push((msd_sum / k).sqrt());
        self.prev_memories = Some(mem.to_owned());
        self.last_memories = Some(mem.to_owned());
    }

    /// Finish: learning order, reconstruction counts, tree, canalisation.
    pub fn finish(mut self) -> Result<Analysis> {
        let e = self.frames.len();
        let Some(last_mem) = self.last_memories.take() else {
            return Err(Error::invalid("trajectory", "no recorded frame to analyse"));
        };
        if self.tracked_from.is_none() {
            return Err(Error::invalid(
                "start_epoch",
                format!(
                    "{} is after the last recorded epoch {}",
                    self.options.start_epoch,
                    self.epochs[e - 1]
                ),
            ));
        }
        let tracked_from = self.tracked_from.unwrap_or(0);
        let k = last_mem.nrows();
        let views = |f: fn(&FrameResult) -> ArrayView2<f64>| -> Result<Array3<f64>> {
            let v: Vec<ArrayView2<f64>> = self.frames.iter().map(f).collect();
            stack(Axis(0), &v).map_err(|err| Error::invalid("frames", err.to_string()))
        };
        let alpha = views(|r| r.alpha.view())?;
        let alpha_class = views(|r| r.alpha_class.view())?;
        let deviation: Vec<_> = self.frames.iter().map(|r| r.deviation.view()).collect();
        let deviation_from_mean =
            stack(Axis(0), &deviation).map_err(|err| Error::invalid("frames", err.to_string()))?;
        let max_a: Vec<_> = self.frames.iter().map(|r| r.max_alpha.view()).collect();
        let max_alpha = stack(Axis(0), &max_a).map_err(|err| Error::invalid("frames", err.to_string()))?;
        let to_i64 = |f: &dyn Fn(&FrameResult) -> &Vec<usize>| {
            Array2::from_shape_fn((e, k), |(t, a)| f(&self.frames[t])[a] as i64)
        };
        let identity = to_i64(&|r| &r.identity);
        let membership = to_i64(&|r| &r.membership);
        let recognition = self.recognizer.map(|_| {
            Array2::from_shape_fn((e, CLASSES), |(t, c)| {
                self.frames[t].recognition.as_ref().map_or(0, |v| v[c] as i64)
            })
        });
        let speed_views: Vec<_> = self.speed.iter().map(|v| v.view()).collect();
        let speed = stack(Axis(0), &speed_views).map_err(|err| Error::invalid("speed", err.to_string()))?;
        let lab_views: Vec<_> = self.labels.iter().map(|l| l.view()).collect();
        let labels = stack(Axis(0), &lab_views).map_err(|err| Error::invalid("labels", err.to_string()))?;
        let class_sizes: Vec<usize> = identity::class_sizes(&self.decomposition.digits).to_vec();
        let learning_order = order::learning_order(
            &self.epochs,
            |t| self.labels[t].view(),
            recognition.as_ref().map(|r| r.view()),
            &class_sizes,
            self.options.learned_fraction,
            self.options.memory_label_level,
        );
        let last_alpha = alpha.index_axis(Axis(0), e - 1);
        let reconstruction_tolerance =
            alpha::reconstruction_tolerance(last_mem.view(), self.options.reconstruction_fraction);
        let reconstruction_count = alpha::reconstruction_counts(
            last_mem.view(),
            last_alpha,
            self.samples.view(),
            reconstruction_tolerance,
        );
        let fate = identity::dominant_labels(self.labels[e - 1].view());

        // clades and the tree (tracked records only)
        let tracked_epochs = &self.epochs[tracked_from..];
        let mut clade = Array2::from_elem((e, k), -1i64);
        for (t, a) in self.tracker.assignment.iter().enumerate() {
            for (m, &id) in a.iter().enumerate() {
                clade[[tracked_from + t, m]] = id as i64;
            }
        }
        for &id in &self.tracker.active {
            self.node_end[id] = Some(tree::mean_memory(
                last_mem.view(),
                &self.tracker.clades[id].members,
            ));
        }
        // virtual root: never existed as one state; its end equals its start
        let d = last_mem.ncols();
        let node_stats: Vec<(f64, f64)> = self
            .node_acc
            .iter()
            .map(|&(ds, pr, n)| {
                if n > 0 {
                    (ds / n as f64, pr / n as f64)
                } else {
                    (0.0, 0.0)
                }
            })
            .collect();
        let a_tracked = alpha_class.slice(ndarray::s![tracked_from.., .., ..]).to_owned();
        let l_tracked = labels.slice(ndarray::s![tracked_from.., .., ..]).to_owned();
        let tree = SplitTree::build(
            &self.tracker,
            tracked_epochs,
            &a_tracked,
            &l_tracked,
            &fate,
            &node_stats,
        );
        let n_nodes = self.node_start.len();
        let node_memory_start = Array2::from_shape_fn((n_nodes, d), |(i, j)| self.node_start[i][j]);
        let node_memory_end = Array2::from_shape_fn((n_nodes, d), |(i, j)| {
            self.node_end[i].as_ref().map_or(self.node_start[i][j], |m| m[j])
        });
        let tracked_f64: Vec<f64> = tracked_epochs.iter().map(|&t| t as f64).collect();
        let dists: Vec<&Array2<f64>> = self.frames[tracked_from..].iter().map(|r| &r.dist_sq).collect();
        let persistent = persistent::PersistentTree::build(&dists, &tracked_f64, self.tracker.tolerance());
        let persistent_splits = persistent.describe(&tracked_f64, &a_tracked, &fate);
        let co = canalisation::co_travel(&self.tracker.assignment, &fate);
        let pad = |v: Vec<f64>, fill: f64| -> Array1<f64> {
            let mut out = vec![fill; tracked_from];
            out.extend(v);
            Array1::from(out)
        };
        let ep = |f: Option<usize>| f.map(|t| tracked_epochs[t]);
        let first = &self.frames[0].dist_sq;
        Ok(Analysis {
            initial_spread: first.iter().fold(0.0f64, |m, &v| m.max(v)).sqrt(),
            global_dispersion: self.frames.iter().map(|r| r.global.0.sqrt()).collect(),
            participation_ratio: self.frames.iter().map(|r| r.global.1).collect(),
            within_clade_dispersion: Array1::from(self.within),
            together: pad(co.together, f64::NAN),
            mixed: pad(co.mixed, f64::NAN),
            commitment_epoch: co.commitment_frame.iter().map(|&f| ep(f)).collect(),
            together_until_epoch: co.together_until_frame.iter().map(|&f| ep(f)).collect(),
            committed_epoch: co.committed_frame.iter().map(|&f| ep(f)).collect(),
            rejoins: self.tracker.rejoins,
            epochs: self.epochs,
            alpha,
            alpha_class,
            max_alpha,
            identity,
            membership,
            labels,
            recognition,
            reconstruction_count,
            reconstruction_tolerance,
            clade,
            deviation_from_mean,
            node_memory_start,
            node_memory_end,
            tree,
            persistent,
            persistent_splits,
            speed,
            final_memories: last_mem,
            saddles: None,
            learning_order,
            fate,
            class_sizes,
        })
    }
}

/// Analyse a trajectory given as arrays: `epochs` (E), memories (E×K×D), labels (E×K×10), training
/// samples (P×D) of classes `digits`; `recognizer` scores recognition (None: skipped); `tol` the
/// clade tolerance (RMS).
#[allow(clippy::too_many_arguments)]
pub fn analyze_arrays(
    epochs: &[usize],
    memories: ArrayView3<f64>,
    labels: ArrayView3<f64>,
    samples: ArrayView2<f64>,
    digits: &[usize],
    recognizer: Option<Recognizer>,
    tol: f64,
    options: Options,
) -> Result<Analysis> {
    let chunk = options.chunk.max(1);
    let mut an = Analyzer::new(samples, digits, recognizer, tol, options)?;
    let e = memories.len_of(Axis(0));
    if epochs.len() != e {
        return Err(Error::shape(
            "epochs",
            format!("({e},) like the memories' first axis"),
            &[epochs.len()],
        ));
    }
    let mut start = 0;
    while start < e {
        let end = (start + chunk).min(e);
        an.push_chunk(
            &epochs[start..end],
            memories.slice(ndarray::s![start..end, .., ..]),
            labels.slice(ndarray::s![start..end, .., ..]),
        )?;
        start = end;
    }
    an.finish()
}

impl Analysis {
    /// The saddle of every persistent split ([`saddle::explain`]): `frames` reads recorded states
    /// by record index, `trainer` (the run's own) adds the splitting matrix and mode.
    pub fn explain_splits(
        &mut self,
        frames: &mut saddle::FrameSource,
        trainer: Option<&mut crate::dam::train::Trainer>,
    ) -> Result<()> {
        let images = saddle::explain(
            &mut self.persistent_splits,
            &self.persistent,
            &self.epochs,
            &self.speed,
            frames,
            trainer,
        )?;
        self.saddles = Some(images);
        Ok(())
    }

    /// Mean over memories of max-α at the last record (spec §3.4, §6.2).
    pub fn final_max_alpha_mean(&self) -> f64 {
        self.max_alpha
            .row(self.max_alpha.nrows() - 1)
            .mean()
            .unwrap_or(f64::NAN)
    }

    /// Mean reconstruction count at the last record (spec §3.5, §6.2).
    pub fn reconstruction_count_mean(&self) -> f64 {
        let n = self.reconstruction_count.len().max(1) as f64;
        self.reconstruction_count.iter().sum::<usize>() as f64 / n
    }

    /// Mean number of labels ≥ the membership threshold per memory at the last record (spec §6.2).
    pub fn final_membership_mean(&self) -> f64 {
        self.membership
            .row(self.membership.nrows() - 1)
            .mapv(|v| v as f64)
            .mean()
            .unwrap_or(f64::NAN)
    }

    /// A short printable report: the learning order table and the major persistent splits with
    /// their saddles ([`Analysis::report_with`] `false`).
    pub fn report(&self) -> String {
        self.report_with(false)
    }

    /// The printable report; `all_splits` adds every persistent split (not only the major ones)
    /// and the clade tree of the tolerance τ as indented text.
    pub fn report_with(&self, all_splits: bool) -> String {
        use std::fmt::Write as _;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "Learning order (learned: ≥ 1/4 of a class's training samples recognised):"
        );
        let _ = writeln!(out, "  rank  class  first memory epoch  learned epoch");
        let show = |v: Option<usize>| v.map_or("never".to_string(), |x| x.to_string());
        for o in &self.learning_order {
            let rank = o.rank.map_or("-".to_string(), |r| format!("{r}"));
            let _ = writeln!(
                out,
                "  {rank:>4}  {:>5}  {:>18}  {:>13}",
                o.class,
                show(o.first_memory_epoch),
                show(o.learned_epoch)
            );
        }
        let _ = writeln!(
            out,
            "Final state: mean max|α| {:.3}, mean reconstruction count {:.1}, labels ≥ 0.99 per memory {:.2}",
            self.final_max_alpha_mean(),
            self.reconstruction_count_mean(),
            self.final_membership_mean()
        );
        if all_splits {
            let k = self.fate.len();
            let min_size = (k / 20).max(2);
            let _ = writeln!(
                out,
                "Clade tree (clades: single-linkage RMS distance < {:.4}; {} splits, {} leaves):",
                self.tree.tolerance,
                self.tree.splits.len(),
                self.tree.leaves()
            );
            out.push_str(&self.tree.to_text(min_size));
        }
        let major = self.persistent_splits.iter().filter(|s| s.major).count();
        let which = if all_splits {
            "all shown"
        } else {
            "major shown, all with --all-splits and in persistent-tree.json"
        };
        let _ = writeln!(
            out,
            "Persistent splits (threshold-free epochs; {} splits, {} major — children each ≥ 10 % of the memories; \
             {which}):",
            self.persistent_splits.len(),
            major
        );
        out.push_str(&persistent::splits_text(&self.persistent_splits, !all_splits));
        out
    }
}
