//! `waddington reproduce figN`: one command per figure of the paper (arXiv 2312.03012, Figs. 1–8)
//! and of the bifurcating-network study (its Figure 1). Each figure runs its protocol (spec
//! `reference-experiments.md` §4, `bifurcating-hopfield.md` §7/§10.1) at one of two scales:
//!
//! * [`Scale::Quick`]: minutes on the embedded data (used in CI); fewer grid points / epochs, as
//!   listed in each figure's report;
//! * [`Scale::Paper`]: the paper's full protocol; `--samples` takes the reference 200-digit set.
//!
//! Every figure writes into its own folder: the training set it used (`samples.npy`,
//! `targets.npy`), its runs as sweep folders (`runs/<name>/`, resumable: running the command
//! again skips finished runs), the figure files (PNG), `report.md` (our numbers next to the
//! paper's/spec's) and `report.json` (the same checks, machine-readable). See docs/reproduce.md.

use crate::config::DataConfig;
use crate::data::{self, Dataset, TrainingSet};
use crate::error::{Error, Result};
use crate::npy;
use crate::sweep::{self, Event, Grid, Sweep};
use ndarray::{Array2, Axis};
use serde::Serialize;
use std::path::{Path, PathBuf};

pub mod bif1;
pub mod dam_figs;
pub mod fig1;
pub mod fig2;
pub mod fig3;
pub mod fig4;
pub mod fig5;
pub mod fig6;
pub mod fig7;
pub mod fig8;
pub mod report;
pub mod split_figs;

pub use report::{Check, Criterion, Report};

/// How much of a figure's protocol to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scale {
    /// Minutes, on the embedded data (CI).
    Quick,
    /// The paper's full protocol.
    Paper,
}

impl Scale {
    /// Parse `quick` or `paper`.
    pub fn parse(s: &str) -> Result<Scale> {
        match s {
            "quick" => Ok(Scale::Quick),
            "paper" => Ok(Scale::Paper),
            _ => Err(Error::invalid(
                "--scale",
                format!("expected quick or paper, got {s:?}"),
            )),
        }
    }

    /// `quick` or `paper`.
    pub fn name(&self) -> &'static str {
        match self {
            Scale::Quick => "quick",
            Scale::Paper => "paper",
        }
    }

    /// `quick` at quick scale, `paper` at paper scale.
    pub fn pick<T>(&self, quick: T, paper: T) -> T {
        match self {
            Scale::Quick => quick,
            Scale::Paper => paper,
        }
    }
}

/// The figures that can be reproduced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Figure {
    /// Paper Fig. 1: final memories, α and labels on an (n, T) grid (spec §4.1).
    Fig1,
    /// Paper Fig. 2: max-α, reconstruction counts, UMAP of final memories (§4.2).
    Fig2,
    /// Paper Fig. 3: learning dynamics of the 100-memory system (§4.3).
    Fig3,
    /// Paper Fig. 4: 3-category systems [1,4,7] (and [1,7,9]) (§4.6).
    Fig4,
    /// Paper Fig. 5: the two-digit system: nullclines, bifurcation diagram, dynamics (§4.7).
    Fig5,
    /// Paper Fig. 6: feature-to-prototype transition of the reduced systems (§4.9).
    Fig6,
    /// Paper Fig. 7: 100 memories, [1,7,8], controlled initial conditions, saddles (§4.10).
    Fig7,
    /// Paper Fig. 8: memory populations vs temperature (§4.11).
    Fig8,
    /// The bifurcating-network study's Figure 1 (bifurcating-hopfield.md §7, §10.1).
    Bif1,
}

impl Figure {
    /// Every figure, in order.
    pub const ALL: [Figure; 9] = [
        Figure::Fig1,
        Figure::Fig2,
        Figure::Fig3,
        Figure::Fig4,
        Figure::Fig5,
        Figure::Fig6,
        Figure::Fig7,
        Figure::Fig8,
        Figure::Bif1,
    ];

    /// The command-line name (`fig1` … `fig8`, `bif1`).
    pub fn name(&self) -> &'static str {
        match self {
            Figure::Fig1 => "fig1",
            Figure::Fig2 => "fig2",
            Figure::Fig3 => "fig3",
            Figure::Fig4 => "fig4",
            Figure::Fig5 => "fig5",
            Figure::Fig6 => "fig6",
            Figure::Fig7 => "fig7",
            Figure::Fig8 => "fig8",
            Figure::Bif1 => "bif1",
        }
    }

    /// Parse a command-line name.
    pub fn parse(s: &str) -> Result<Figure> {
        Figure::ALL.into_iter().find(|f| f.name() == s).ok_or_else(|| {
            Error::invalid(
                "figure",
                format!("unknown figure {s:?}; expected one of fig1 … fig8, bif1 (or all)"),
            )
        })
    }

    /// One line: what the figure shows.
    pub fn title(&self) -> &'static str {
        match self {
            Figure::Fig1 => "Paper Fig. 1 — memories, α and labels over an (n, T) grid",
            Figure::Fig2 => "Paper Fig. 2 — max-α and reconstruction counts vs n; UMAP of final memories",
            Figure::Fig3 => "Paper Fig. 3 — learning dynamics of 100 memories (UMAP, memories, recognition)",
            Figure::Fig4 => "Paper Fig. 4 — three-category systems: sequential splits",
            Figure::Fig5 => "Paper Fig. 5 — the two-digit system: nullclines, bifurcation diagram, dynamics",
            Figure::Fig6 => "Paper Fig. 6 — feature-to-prototype transition of the reduced systems",
            Figure::Fig7 => "Paper Fig. 7 — [1,7,8] with controlled initial conditions: saddles, proportions",
            Figure::Fig8 => "Paper Fig. 8 — memory populations vs temperature",
            Figure::Bif1 => "Bifurcating network Fig. 1 — pseudo-potentials and controlled bifurcations",
        }
    }
}

/// Options shared by every figure.
#[derive(Debug, Clone)]
pub struct Options {
    /// The figure's output folder (created; existing runs inside are reused).
    pub out: PathBuf,
    /// Quick or paper scale.
    pub scale: Scale,
    /// The reference 200-digit set (200×784 .npy, 20 per class, classes 0..9 in order, pixels in
    /// [−1, 1]); `None` = a seeded class-balanced selection from the embedded data.
    pub samples: Option<PathBuf>,
    /// Base seed of every run of the figure.
    pub seed: u64,
    /// Runs trained at the same time (each single-threaded).
    pub jobs: usize,
    /// Show progress bars / lines on stderr.
    pub progress: bool,
}

/// What a figure wrote.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The report (also written as report.md / report.json).
    pub report: Report,
    /// Every figure or movie file written.
    pub files: Vec<PathBuf>,
}

/// The working context of one figure: its folder, options and helpers.
#[derive(Debug, Clone)]
pub struct Context {
    /// The options.
    pub opts: Options,
    /// The figure.
    pub figure: Figure,
    /// The exclusive lock on the figure's folder, held while any copy of the context lives.
    _lock: std::sync::Arc<crate::atomic::FolderLock>,
}

/// The marker file of a figure's output folder (its content: the figure name).
pub const MARKER: &str = ".waddington-reproduce";

/// Samples per class in the paper's standard training set (the 200-digit set).
pub const PER_CLASS: usize = 20;

impl Context {
    /// A context writing into `opts.out`. The options are checked first (the `--samples` file is
    /// read and validated) and nothing is created when they are bad. The folder is created with a
    /// marker file `.waddington-reproduce` naming the figure; an existing folder is only reused
    /// when it carries the marker of the same figure (so unrelated files are never overwritten).
    pub fn new(figure: Figure, opts: Options) -> Result<Context> {
        if let Some(p) = &opts.samples {
            reference_set(p)?;
        }
        if opts.jobs == 0 {
            return Err(Error::invalid("--jobs", "expected at least 1"));
        }
        let marker = opts.out.join(MARKER);
        if opts.out.exists() {
            // A marker cut short while written (`MARKER.tmp`) is this tool's, not the user's.
            let leftover = format!("{MARKER}.tmp");
            let empty = std::fs::read_dir(&opts.out)
                .map_err(|e| Error::io(&opts.out, e))?
                .flatten()
                .all(|e| e.file_name().to_string_lossy() == leftover);
            if !empty {
                let found = std::fs::read_to_string(&marker).unwrap_or_default();
                if found.trim() != figure.name() {
                    return Err(Error::invalid(
                        format!("--out ({})", opts.out.display()),
                        format!(
                            "the folder is not empty and is not a `reproduce {}` folder (no {MARKER} \
                             naming {}); choose a new or empty folder",
                            figure.name(),
                            figure.name()
                        ),
                    ));
                }
            }
        }
        std::fs::create_dir_all(&opts.out).map_err(|e| Error::io(&opts.out, e))?;
        let lock = crate::atomic::FolderLock::acquire(&opts.out, "a `reproduce` command is writing there")?;
        crate::atomic::write_bytes(
            &marker,
            format!("{}\n", figure.name()).as_bytes(),
            crate::atomic::Durability::Atomic,
        )?;
        // Absolute, so the paths written into grid files resolve from anywhere.
        let mut opts = opts;
        opts.out = std::fs::canonicalize(&opts.out).map_err(|e| Error::io(&opts.out, e))?;
        Ok(Context {
            opts,
            figure,
            _lock: std::sync::Arc::new(lock),
        })
    }

    /// The scale.
    pub fn scale(&self) -> Scale {
        self.opts.scale
    }

    /// A path inside the figure's folder.
    pub fn path(&self, name: &str) -> PathBuf {
        self.opts.out.join(name)
    }

    /// The standard 200-digit training set (20 per class, classes 0..9 in class-major order): the
    /// reference file given by `--samples`, else a seeded class-balanced draw from the embedded
    /// data (seed = the figure's seed).
    pub fn standard_set(&self) -> Result<TrainingSet> {
        match &self.opts.samples {
            Some(path) => reference_set(path),
            None => {
                let ds = Dataset::embedded()?;
                let digits: Vec<usize> = (0..10).collect();
                data::select_balanced(&ds, &digits, PER_CLASS, self.opts.seed, &[])
            }
        }
    }

    /// The standard set restricted to `digits` (rows of these classes, in the order given, each
    /// class's rows in their original order); targets stay 10-dimensional (spec §4.6).
    pub fn subset(&self, digits: &[usize]) -> Result<TrainingSet> {
        let full = self.standard_set()?;
        Ok(restrict(&full, digits))
    }

    /// Write a training set as `<name>-samples.npy` / `<name>-targets.npy` in the figure's folder
    /// (overwriting only if the content differs would lose nothing: the files are derived) and
    /// return the `[data]` section that makes a run use exactly these arrays.
    pub fn training_data(&self, name: &str, set: &TrainingSet) -> Result<DataConfig> {
        let s = self.path(&format!("{name}-samples.npy"));
        let t = self.path(&format!("{name}-targets.npy"));
        npy::write(&s, &set.samples)?;
        npy::write(&t, &set.targets)?;
        Ok(DataConfig {
            samples: Some(s),
            targets: Some(t),
            ..DataConfig::default()
        })
    }

    /// Run (or continue) a sweep into `runs/<name>/` (a sweep folder, docs/sweep.md): its grid
    /// file is written to `runs/<name>.toml` so the same grid can be run on a cluster with
    /// `waddington sweep slurm`. Finished points are skipped, so a second call only collects.
    /// Returns the sweep folder and the expanded grid.
    pub fn sweep(&self, name: &str, sweep: &Sweep) -> Result<(PathBuf, Grid)> {
        let runs = self.path("runs");
        std::fs::create_dir_all(&runs).map_err(|e| Error::io(&runs, e))?;
        let file = runs.join(format!("{name}.toml"));
        let grid = sweep.grid(&file, &runs)?;
        crate::atomic::write_bytes(
            &file,
            sweep.to_toml()?.as_bytes(),
            crate::atomic::Durability::Atomic,
        )?;
        let dir = runs.join(name);
        let opts = sweep::Options {
            jobs: self.opts.jobs.max(1),
            shard: sweep::Shard::ALL,
            retry_failed: false,
        };
        let progress = self.opts.progress;
        let label = format!("{} {name}", self.figure.name());
        let total = std::sync::atomic::AtomicU64::new(0);
        let done = std::sync::atomic::AtomicU64::new(0);
        let last = std::sync::Mutex::new(std::time::Instant::now());
        let events = |e: Event| {
            if !progress {
                return;
            }
            use std::sync::atomic::Ordering::SeqCst;
            match e {
                Event::Start {
                    total_epochs,
                    done_epochs,
                    points,
                    to_run,
                } => {
                    total.store(total_epochs, SeqCst);
                    done.store(done_epochs, SeqCst);
                    eprintln!("[{label}] {points} runs, {to_run} to run");
                }
                Event::Epochs(n) => {
                    let d = done.fetch_add(n, SeqCst) + n;
                    if let Ok(mut l) = last.lock()
                        && l.elapsed().as_secs_f64() > 5.0
                    {
                        *l = std::time::Instant::now();
                        let t = total.load(SeqCst).max(1);
                        eprintln!("[{label}] {:.0}% of {t} epochs", 100.0 * d as f64 / t as f64);
                    }
                }
                Event::Finished { id, failure } => {
                    if let Some(f) = failure {
                        eprintln!("[{label}] run {id} failed: {}", f.reason);
                    }
                }
            }
        };
        let report = sweep::run_sweep(&grid, &dir, &opts, &events)?;
        if let Some(f) = report.failures.iter().find(|f| f.kind != "diverged") {
            return Err(Error::invalid(
                format!("{}/points/{}", dir.display(), f.id),
                format!("run failed: {}", f.reason),
            ));
        }
        Ok((dir, grid))
    }

    /// The run folder of point `index` of a sweep made by [`Context::sweep`].
    pub fn point_dir(&self, sweep_dir: &Path, grid: &Grid, index: usize) -> PathBuf {
        sweep::runner::point_dir(sweep_dir, &grid.points[index])
    }

    /// Finish: write `report.md` and `report.json` into the figure's folder.
    pub fn finish(&self, report: Report, files: Vec<PathBuf>) -> Result<Outcome> {
        report.write(&self.opts.out, self.figure, self.opts.scale, &files)?;
        Ok(Outcome { report, files })
    }
}

/// The base config of a figure's runs: `memories` memories from the default initial state
/// N(−0.003, 1e−5) (spec §4.0), trained on `data` for `epochs` epochs at rate `rate` without
/// momentum, in one minibatch, recording the first and the last epoch, with a checkpoint every
/// `checkpoint_every` epochs.
pub fn figure_config(
    seed: u64,
    data: DataConfig,
    memories: usize,
    epochs: usize,
    rate: f64,
    checkpoint_every: usize,
) -> crate::config::RunConfig {
    let mut c = crate::config::RunConfig {
        seed,
        data,
        ..Default::default()
    };
    c.model.memories = memories;
    c.train.epochs = epochs;
    c.train.rate = rate;
    c.train.momentum = 0.0;
    c.train.minibatches = 1;
    c.train.save_epochs = Some(vec![0, epochs]);
    c.train.checkpoint_every = checkpoint_every;
    c
}

/// Read the reference 200-digit set (200×784, 20 per class in class order, pixels in [−1, 1]).
pub fn reference_set(path: &Path) -> Result<TrainingSet> {
    let samples = npy::read_matrix(path, "--samples")?;
    if samples.nrows() != 10 * PER_CLASS || samples.ncols() != data::PIXELS {
        return Err(Error::shape(
            format!("--samples ({})", path.display()),
            "200 × 784 (20 per digit, classes 0..9 in order)",
            samples.shape(),
        ));
    }
    if samples.iter().any(|v| !v.is_finite() || v.abs() > 1.0 + 1e-12) {
        return Err(Error::invalid(
            format!("--samples ({})", path.display()),
            "pixels must be finite and scaled to [-1, 1]",
        ));
    }
    let digits: Vec<usize> = (0..200).map(|p| p / PER_CLASS).collect();
    Ok(TrainingSet {
        targets: data::targets_for(&digits),
        samples,
        digits,
        source_index: None,
    })
}

/// The rows of `set` whose class is in `digits`, grouped in the order of `digits`.
pub fn restrict(set: &TrainingSet, digits: &[usize]) -> TrainingSet {
    let rows: Vec<usize> = digits
        .iter()
        .flat_map(|&d| (0..set.digits.len()).filter(move |&p| set.digits[p] == d))
        .collect();
    TrainingSet {
        samples: set.samples.select(Axis(0), &rows),
        targets: set.targets.select(Axis(0), &rows),
        digits: rows.iter().map(|&p| set.digits[p]).collect(),
        source_index: set
            .source_index
            .as_ref()
            .map(|s| rows.iter().map(|&p| s[p]).collect()),
    }
}

/// Per-class mean image of a set: row c = mean of the samples of class `classes[c]`.
pub fn class_means(set: &TrainingSet, classes: &[usize]) -> Array2<f64> {
    let mut out = Array2::zeros((classes.len(), set.samples.ncols()));
    for (i, &c) in classes.iter().enumerate() {
        let rows: Vec<usize> = (0..set.digits.len()).filter(|&p| set.digits[p] == c).collect();
        if !rows.is_empty() {
            let m = set.samples.select(Axis(0), &rows).mean_axis(Axis(0));
            if let Some(m) = m {
                out.row_mut(i).assign(&m);
            }
        }
    }
    out
}

/// Reproduce one figure into `opts.out`.
pub fn reproduce(figure: Figure, opts: Options) -> Result<Outcome> {
    let ctx = Context::new(figure, opts)?;
    match figure {
        Figure::Fig1 => fig1::run(&ctx),
        Figure::Fig2 => fig2::run(&ctx),
        Figure::Fig3 => fig3::run(&ctx),
        Figure::Fig4 => fig4::run(&ctx),
        Figure::Fig5 => fig5::run(&ctx),
        Figure::Fig6 => fig6::run(&ctx),
        Figure::Fig7 => fig7::run(&ctx),
        Figure::Fig8 => fig8::run(&ctx),
        Figure::Bif1 => bif1::run(&ctx),
    }
}

/// The error of a figure that is not implemented.
pub fn not_yet(f: Figure) -> Error {
    Error::invalid("figure", format!("{} is not implemented yet", f.name()))
}
