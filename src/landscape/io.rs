//! Run folders in, `analysis/` folders out.
//!
//! A run folder holds `config.toml` (the resolved [`RunConfig`]), `samples.npy` (P×D), `targets.npy`
//! (P×10, ±1) and `trajectory.npz` with `epochs` (E, int), `memories` (E×K×D f64) and `labels`
//! (E×K×10 f64). `memories` is streamed from the archive a few frames at a time (an every-epoch
//! trajectory of 3 500 epochs is 2.2 GB), so memory use is bounded by the chunk size plus the
//! outputs.

use super::{Analysis, Analyzer, Options, Recognizer};
use crate::error::{Error, Result};
use crate::npy;
use crate::run_folder::RunFolder;
use ndarray::{Array1, Array2};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Analyse a run folder (memories streamed in chunks of `options.chunk` frames, so memory use is
/// bounded by the chunk size plus the outputs).
pub fn analyze_run_dir(dir: &Path, options: &Options) -> Result<Analysis> {
    let run = RunFolder::open(dir)?;
    let set = run.training_set()?;
    let mut traj = run.trajectory()?;
    let (_, k, d) = traj.memories_shape();
    if d != set.samples.ncols() || traj.labels().dim().2 != crate::data::CLASSES {
        return Err(Error::shape(
            format!("memories and labels ({})", traj.path().display()),
            format!(
                "(E, K, {}) memories matching samples.npy and (E, K, {}) labels",
                set.samples.ncols(),
                crate::data::CLASSES
            ),
            &[traj.epochs().len(), k, d],
        ));
    }
    let cfg = run.config();
    let tol = options.tolerance.resolve(cfg.train.rate);
    let recognizer = Recognizer {
        form: cfg.model.form,
        params: cfg.params(),
    };
    let mut an = Analyzer::new(
        set.samples.view(),
        &set.digits,
        Some(recognizer),
        tol,
        options.clone(),
    )?;
    traj.stream(options.chunk, |epochs, chunk, labels| {
        an.push_chunk(epochs, chunk.view(), labels)
    })?;
    let mut analysis = an.finish()?;
    if !options.saddles {
        return Ok(analysis);
    }
    let mut trainer = crate::dam::train::Trainer::new(
        cfg.model.form,
        crate::dam::run::hyper(cfg),
        set.samples.clone(),
        set.targets.clone(),
        batches_of(&run, set.samples.nrows())?,
        cfg.seed,
        crate::linalg::par(cfg.threads),
    )?;
    let mut frames = |idx: &[usize]| -> Result<Vec<(Array2<f64>, Array2<f64>)>> {
        let m = traj.memories_select(idx)?;
        Ok(idx
            .iter()
            .enumerate()
            .map(|(i, &f)| (m.index_axis(ndarray::Axis(0), i).to_owned(), traj.labels_at(f)))
            .collect())
    };
    analysis.explain_splits(&mut frames, Some(&mut trainer))?;
    Ok(analysis)
}

/// The run's minibatches: `batches.npy`, or (a folder written by other tools without it) the
/// config's consecutive minibatches, as training would have used.
fn batches_of(run: &RunFolder, p: usize) -> Result<Vec<Vec<usize>>> {
    if run.dir().join("batches.npy").exists() {
        run.batches(p)
    } else {
        crate::dam::train::consecutive_batches(p, run.config().train.minibatches)
    }
}

/// `summary.json` of one run.
#[derive(Debug, Clone, Serialize)]
pub struct Summary<'a> {
    /// Crate version.
    pub version: &'static str,
    /// Recorded epochs analysed (first, last, count).
    pub epochs: (usize, usize, usize),
    /// Number of memories K and samples P.
    pub memories: usize,
    /// Number of training samples P.
    pub samples: usize,
    /// Learning order.
    pub learning_order: &'a [super::ClassOrder],
    /// Splits of the tree.
    pub splits: &'a [super::tree::SplitRecord],
    /// Splits of the persistent tree (threshold-free epochs), by epoch.
    pub persistent_splits: &'a [super::persistent::SplitSummary],
    /// Clade tolerance (RMS pixel distance).
    pub tolerance: f64,
    /// Largest RMS distance between two memories at the first record.
    pub initial_spread: f64,
    /// Re-approaches of separated clades (pairs × records closer than τ in different clades).
    pub rejoins: usize,
    /// Final-state metrics.
    pub final_state: FinalState,
    /// Canalisation per class.
    pub canalisation: Vec<ClassCanalisation>,
}

/// Final-state metrics (spec §6.2).
#[derive(Debug, Clone, Serialize)]
pub struct FinalState {
    /// Epoch of the last record.
    pub epoch: usize,
    /// Mean / std over memories of max_p |α|.
    pub max_alpha_mean: f64,
    /// Standard deviation of max-α over memories.
    pub max_alpha_std: f64,
    /// Mean reconstruction count.
    pub reconstruction_count_mean: f64,
    /// Standard deviation of the reconstruction count.
    pub reconstruction_count_std: f64,
    /// Tolerance of the reconstruction count (L1).
    pub reconstruction_tolerance: f64,
    /// Mean number of labels ≥ 0.99 (membership threshold) per memory.
    pub labels_above_threshold_per_memory: f64,
    /// Memories per final identity (dominant label), 10 values.
    pub identity_counts: Vec<usize>,
    /// Recognised training samples per class at the last record (null without a model).
    pub recognition: Option<Vec<i64>>,
}

/// Canalisation of one final identity.
#[derive(Debug, Clone, Serialize)]
pub struct ClassCanalisation {
    /// The class.
    #[serde(rename = "class")]
    pub class: usize,
    /// Memories ending with this identity.
    pub memories: usize,
    /// Last epoch at which all of them shared one clade.
    pub together_until_epoch: Option<usize>,
    /// First epoch from which all of them were committed (their clades pure).
    pub committed_epoch: Option<usize>,
}

fn mean_std(v: impl Iterator<Item = f64> + Clone) -> (f64, f64) {
    let n = v.clone().count().max(1) as f64;
    let m = v.clone().sum::<f64>() / n;
    let var = v.map(|x| (x - m) * (x - m)).sum::<f64>() / n;
    (m, var.sqrt())
}

impl Analysis {
    /// The `summary.json` contents.
    pub fn summary(&self) -> Summary<'_> {
        let last = self.epochs.len() - 1;
        let (ma, sa) = mean_std(self.max_alpha.row(last).to_vec().into_iter());
        let (mr, sr) = mean_std(self.reconstruction_count.iter().map(|&c| c as f64));
        let mut identity_counts = vec![0; crate::data::CLASSES];
        for &f in &self.fate {
            identity_counts[f] += 1;
        }
        Summary {
            version: crate::VERSION,
            epochs: (self.epochs[0], self.epochs[last], self.epochs.len()),
            memories: self.fate.len(),
            samples: self.alpha.dim().2,
            learning_order: &self.learning_order,
            splits: &self.tree.splits,
            persistent_splits: &self.persistent_splits,
            tolerance: self.tree.tolerance,
            initial_spread: self.initial_spread,
            rejoins: self.rejoins,
            final_state: FinalState {
                epoch: self.epochs[last],
                max_alpha_mean: ma,
                max_alpha_std: sa,
                reconstruction_count_mean: mr,
                reconstruction_count_std: sr,
                reconstruction_tolerance: self.reconstruction_tolerance,
                labels_above_threshold_per_memory: self.final_membership_mean(),
                recognition: self.recognition.as_ref().map(|r| r.row(last).to_vec()),
                identity_counts: identity_counts.clone(),
            },
            canalisation: (0..crate::data::CLASSES)
                .filter(|&c| identity_counts[c] > 0)
                .map(|c| ClassCanalisation {
                    class: c,
                    memories: identity_counts[c],
                    together_until_epoch: self.together_until_epoch[c],
                    committed_epoch: self.committed_epoch[c],
                })
                .collect(),
        }
    }
}

fn opt_i64(v: &[Option<usize>]) -> Array1<i64> {
    v.iter().map(|x| x.map_or(-1, |e| e as i64)).collect()
}

/// Write `summary.json`, `landscape.npz`, `tree.json`, `persistent-tree.json`, `tree.nwk`, `tree.csv` into `out`
/// (created if needed). Refuses to replace an existing `summary.json` unless `force`.
pub fn write_analysis(a: &Analysis, out: &Path, force: bool) -> Result<()> {
    write_outputs(a, out, force, false).map(|_| ())
}

/// [`write_analysis`], with the figures of [`super::figures::write_figures`] when `figures`.
/// Every file is written whole or not at all and `summary.json` last, so an interrupted call
/// leaves no `summary.json` and the same command completes the folder. Returns the figures.
pub fn write_outputs(a: &Analysis, out: &Path, force: bool, figures: bool) -> Result<Vec<PathBuf>> {
    crate::atomic::check_outputs(out, &["summary.json"], force)?;
    let npz_path = out.join("landscape.npz");
    let mut w = npy::create_npz(&npz_path)?;
    let epochs: Array1<i64> = a.epochs.iter().map(|&e| e as i64).collect();
    w.add_array("epochs", &epochs)?;
    w.add_array("alpha", &a.alpha)?;
    w.add_array("alpha_class", &a.alpha_class)?;
    w.add_array("max_alpha", &a.max_alpha)?;
    w.add_array("identity", &a.identity)?;
    w.add_array("membership", &a.membership)?;
    if let Some(r) = &a.recognition {
        w.add_array("recognition", r)?;
    }
    let rc: Array1<i64> = a.reconstruction_count.iter().map(|&c| c as i64).collect();
    w.add_array("reconstruction_count", &rc)?;
    w.add_array(
        "reconstruction_tolerance",
        &ndarray::arr0(a.reconstruction_tolerance),
    )?;
    w.add_array("clade", &a.clade)?;
    w.add_array("fate", &a.fate.iter().map(|&f| f as i64).collect::<Array1<i64>>())?;
    w.add_array("deviation_from_mean", &a.deviation_from_mean)?;
    w.add_array("global_dispersion", &a.global_dispersion)?;
    w.add_array("within_clade_dispersion", &a.within_clade_dispersion)?;
    w.add_array("participation_ratio", &a.participation_ratio)?;
    w.add_array("together", &a.together)?;
    w.add_array("mixed", &a.mixed)?;
    w.add_array("commitment_epoch", &opt_i64(&a.commitment_epoch))?;
    w.add_array("node_memory_start", &a.node_memory_start)?;
    w.add_array("node_memory_end", &a.node_memory_end)?;
    let fates = Array2::from_shape_fn((a.tree.nodes.len(), crate::data::CLASSES), |(i, c)| {
        a.tree.nodes[i].fate[c]
    });
    w.add_array("node_fate", &fates)?;
    w.add_array("speed", &a.speed)?;
    w.finish()?;
    if let Some(sd) = &a.saddles {
        let mut w = npy::create_npz(&out.join("saddles.npz"))?;
        w.add_array("saddle_memory", &sd.memory)?;
        w.add_array("saddle_labels", &sd.labels)?;
        w.add_array("child_memory", &sd.child_memory)?;
        let cs: Array1<i64> = sd.child_split.iter().map(|&c| c as i64).collect();
        w.add_array("child_split", &cs)?;
        w.add_array("split_speed", &sd.speed)?;
        let se: Array1<f64> = a.persistent_splits.iter().map(|s| s.epoch).collect();
        w.add_array("split_epoch", &se)?;
        w.finish()?;
    }
    let write_text = |name: &str, text: String| -> Result<()> {
        let p = out.join(name);
        crate::atomic::write_bytes(&p, text, crate::atomic::Durability::Atomic)
    };
    let json = |v: &dyn erased::Json| v.to_json();
    write_text("tree.json", json(&a.tree))?;
    write_text("persistent-tree.json", json(&a.persistent))?;
    write_text("tree.nwk", a.tree.newick())?;
    write_text("tree.csv", a.tree.dendrogram_csv())?;
    write_text("report.txt", a.report_with(true))?;
    let written = if figures {
        super::figures::write_figures(a, out)?
    } else {
        Vec::new()
    };
    write_text("summary.json", json(&a.summary()))?;
    Ok(written)
}

mod erased {
    /// Pretty JSON of any serialisable value.
    pub trait Json {
        fn to_json(&self) -> String;
    }
    impl<T: serde::Serialize> Json for T {
        fn to_json(&self) -> String {
            serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
        }
    }
}

/// Analyse the run folder `dir` and write its outputs into `out` (default `dir/analysis`).
pub fn analyze_and_write(dir: &Path, options: &Options, out: Option<&Path>, force: bool) -> Result<Analysis> {
    analyze_and_write_all(dir, options, out, force, false).map(|(a, _)| a)
}

/// [`analyze_and_write`] with the analysis figures when `figures`; returns them too.
pub fn analyze_and_write_all(
    dir: &Path,
    options: &Options,
    out: Option<&Path>,
    force: bool,
    figures: bool,
) -> Result<(Analysis, Vec<PathBuf>)> {
    let out = out.map_or_else(|| dir.join("analysis"), Path::to_path_buf);
    crate::atomic::check_finished(&out, &["summary.json"], force)?;
    let a = analyze_run_dir(dir, options)?;
    let figs = write_outputs(&a, &out, force, figures)?;
    Ok((a, figs))
}

/// Analyse several run folders (each written to its own `analysis/`), then write the ensemble
/// statistics into `out`: `ensemble.json` ([`super::ensemble::Ensemble`]) and `ensemble.npz`
/// (`common_epochs` (T), `fate_given_state` (T×10×10), `kendall_tau` (R×R), `tree_agreement` (R×R)).
pub fn analyze_ensemble(
    dirs: &[PathBuf],
    options: &Options,
    out: &Path,
    force: bool,
) -> Result<super::ensemble::Ensemble> {
    let json_path = out.join("ensemble.json");
    crate::atomic::check_finished(out, &["ensemble.json"], force)?;
    let mut digests = Vec::with_capacity(dirs.len());
    for d in dirs {
        let a = analyze_and_write(d, options, None, force)?;
        digests.push(super::ensemble::RunDigest::new(d.display().to_string(), &a));
    }
    let (ens, fates) = super::ensemble::ensemble(&digests)?;
    crate::atomic::check_outputs(out, &["ensemble.json"], force)?;
    let npz_path = out.join("ensemble.npz");
    let mut w = npy::create_npz(&npz_path)?;
    let ce: Array1<i64> = ens.common_epochs.iter().map(|&e| e as i64).collect();
    w.add_array("common_epochs", &ce)?;
    w.add_array("fate_given_state", &fates)?;
    let r = ens.runs.len();
    let sq = |m: &Vec<Vec<f64>>| Array2::from_shape_fn((r, r), |(i, j)| m[i][j]);
    w.add_array("kendall_tau", &sq(&ens.kendall_tau))?;
    w.add_array("tree_agreement", &sq(&ens.tree_agreement))?;
    w.finish()
        .map_err(|e| Error::format(&npz_path, format!("finishing the archive failed: {e}")))?;
    let text = serde_json::to_string_pretty(&ens).map_err(|e| Error::format(&json_path, e.to_string()))?;
    crate::atomic::write_bytes(&json_path, text, crate::atomic::Durability::Atomic)?;
    Ok(ens)
}

/// For `waddington demo`: analyse the run folder with default options, write `dir/analysis/`
/// (replacing an earlier analysis) and return the printable report (learning order table and the
/// split tree as indented text).
pub fn demo_report(dir: &Path) -> Result<String> {
    let a = analyze_and_write(dir, &Options::default(), None, true)?;
    Ok(a.report())
}

/// A printable ensemble report (classes by mean rank, Kendall τ, tree agreement).
pub fn ensemble_report(e: &super::ensemble::Ensemble) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Ensemble of {} runs: learning order by mean rank",
        e.runs.len()
    );
    let _ = writeln!(out, "  class  mean rank ± sd   mean learned epoch  never learned");
    for c in &e.learning_order {
        let le = c.mean_learned_epoch.map_or("-".into(), |m| {
            format!("{m:.0} ± {:.0}", c.sd_learned_epoch.unwrap_or(0.0))
        });
        let _ = writeln!(
            out,
            "  {:>5}  {:>5.2} ± {:<5.2}  {:>18}  {:>13}",
            c.class, c.mean_rank, c.sd_rank, le, c.never_learned
        );
    }
    let _ = writeln!(
        out,
        "Mean Kendall τ between runs: {:.3}; mean split-tree agreement: {:.3}",
        e.mean_kendall_tau, e.mean_tree_agreement
    );
    out
}
