//! `waddington train`, `demo` and `bench`.

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;
use waddington::config::RunConfig;
use waddington::dam::run::{self, Summary};

/// Arguments of `train`.
#[derive(Debug, clap::Args)]
pub struct TrainArgs {
    /// Run config (TOML); without it the paper's Figure-3 defaults are used.
    #[arg(long, short)]
    config: Option<PathBuf>,
    /// Output run folder: new or empty (a run starts), or holding an interrupted run of the same
    /// config (it continues from its checkpoint). A finished run is never overwritten.
    #[arg(long, short, required_unless_present = "resume")]
    out: Option<PathBuf>,
    /// Continue the interrupted run in this folder from its last checkpoint (its own config).
    #[arg(long, conflicts_with_all = ["config", "out"])]
    resume: Option<PathBuf>,
    #[command(flatten)]
    overrides: Overrides,
}

/// Flags that override common config fields.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct Overrides {
    /// Run seed.
    #[arg(long)]
    seed: Option<u64>,
    /// Epochs.
    #[arg(long)]
    epochs: Option<usize>,
    /// Power n.
    #[arg(long, allow_negative_numbers = true)]
    n: Option<f64>,
    /// Loss power m (default n).
    #[arg(long, allow_negative_numbers = true)]
    m: Option<f64>,
    /// Temperature T.
    #[arg(long, allow_negative_numbers = true)]
    temperature: Option<f64>,
    /// Number of memories K.
    #[arg(long)]
    memories: Option<usize>,
    /// Learning rate.
    #[arg(long, allow_negative_numbers = true)]
    rate: Option<f64>,
    /// Momentum.
    #[arg(long)]
    momentum: Option<f64>,
    /// Number of minibatches.
    #[arg(long)]
    minibatches: Option<usize>,
    /// Digits to train, e.g. 1,4,7.
    #[arg(long, value_delimiter = ',')]
    digits: Option<Vec<usize>>,
    /// Samples per class.
    #[arg(long)]
    per_class: Option<usize>,
    /// Record every k epochs.
    #[arg(long)]
    save_every: Option<usize>,
    /// Worker threads (0 = all cores); results do not depend on it.
    #[arg(long)]
    threads: Option<usize>,
}

impl Overrides {
    fn apply(&self, c: &mut RunConfig) {
        macro_rules! set {
            ($f:expr, $v:expr) => {
                if let Some(v) = $v.clone() {
                    $f = v;
                }
            };
        }
        set!(c.seed, self.seed);
        set!(c.train.epochs, self.epochs);
        set!(c.model.n, self.n);
        if self.m.is_some() {
            c.model.m = self.m;
        }
        set!(c.model.temperature, self.temperature);
        set!(c.model.memories, self.memories);
        set!(c.train.rate, self.rate);
        set!(c.train.momentum, self.momentum);
        set!(c.train.minibatches, self.minibatches);
        set!(c.data.digits, self.digits);
        set!(c.data.per_class, self.per_class);
        set!(c.train.save_every, self.save_every);
        set!(c.threads, self.threads);
    }
}

fn progress_bar(total: usize) -> ProgressBar {
    let pb = ProgressBar::new(total as u64);
    pb.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} epochs ({eta} left)",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    pb
}

fn with_progress<T>(f: impl FnOnce(&mut dyn FnMut(usize, usize) -> bool) -> T) -> T {
    let mut pb: Option<ProgressBar> = None;
    let mut cb = |done: usize, total: usize| {
        let bar = pb.get_or_insert_with(|| progress_bar(total));
        bar.set_position(done as u64);
        true
    };
    f(&mut cb)
}

fn print_summary(dir: &std::path::Path, s: &Summary) {
    use std::io::Write as _;
    // The run is finished and on disk: a failed print (closed pipe, full disk) is not an error.
    let _ = writeln!(
        std::io::stdout(),
        "trained {} epochs in {:.1} s: training accuracy {:.3}{}; run folder {}",
        s.epochs,
        s.wall_seconds,
        s.train.accuracy,
        s.test
            .as_ref()
            .map(|t| format!(", held-out accuracy {:.3}", t.accuracy))
            .unwrap_or_default(),
        dir.display()
    );
}

/// `waddington train`.
pub fn train(a: TrainArgs) -> Result<()> {
    if let Some(dir) = a.resume {
        let s = with_progress(|cb| run::resume(&dir, cb))?;
        print_summary(&dir, &s);
        return Ok(());
    }
    let mut cfg = match &a.config {
        Some(p) => RunConfig::from_file(p)?,
        None => RunConfig::default(),
    };
    a.overrides.apply(&mut cfg);
    cfg.validate()?;
    let Some(out) = a.out else {
        bail!("--out DIR is required")
    };
    let s = with_progress(|cb| run::run(&cfg, &out, cb))?;
    print_summary(&out, &s);
    Ok(())
}

/// Arguments of `demo`.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Output run folder.
    #[arg(long, short, default_value = "runs/demo")]
    out: PathBuf,
    /// Print every persistent split and the clade tree (default: the major splits).
    #[arg(long)]
    all_splits: bool,
    #[command(flatten)]
    overrides: Overrides,
}

/// `waddington demo`: the Figure-3 setting (K = 100, 20 digits per class of the embedded data,
/// n = 30, T = 670, 3 500 epochs), then its analysis.
pub fn demo(a: DemoArgs) -> Result<()> {
    let mut cfg = RunConfig::default();
    a.overrides.apply(&mut cfg);
    cfg.validate()?;
    println!(
        "demo: K = {} memories, {} digits × {} samples of the embedded MNIST set, n = {}, T = {}, {} epochs",
        cfg.model.memories,
        cfg.data.digits.len(),
        cfg.data.per_class,
        cfg.model.n,
        cfg.model.temperature,
        cfg.train.epochs
    );
    let s = with_progress(|cb| run::run(&cfg, &a.out, cb))
        .with_context(|| format!("demo run in {}", a.out.display()))?;
    print_summary(&a.out, &s);
    let (an, figures) = waddington::landscape::io::analyze_and_write_all(
        &a.out,
        &waddington::landscape::Options::default(),
        None,
        true,
        true,
    )
    .with_context(|| format!("analysis of {}", a.out.display()))?;
    println!("{}", an.report_with(a.all_splits));
    let dir = a.out.join("analysis");
    println!("analysis written to {}", dir.display());
    for f in figures {
        println!("figure: {}", f.display());
    }
    Ok(())
}

/// Arguments of `bench`.
#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Timed blocks (the median is reported).
    #[arg(long, default_value_t = 7)]
    blocks: usize,
    /// Epochs per block.
    #[arg(long, default_value_t = 50)]
    block_epochs: usize,
    /// The Figure-3 setting's fields to change (`--threads` defaults to 1 here: the
    /// single-thread measurement of the README).
    #[command(flatten)]
    overrides: Overrides,
}

/// `waddington bench`: one epoch of the Figure-3 setting against the matrix-product floor.
pub fn bench(a: BenchArgs) -> Result<()> {
    let mut cfg = RunConfig::default();
    a.overrides.apply(&mut cfg);
    cfg.threads = a.overrides.threads.unwrap_or(1);
    let b = waddington::dam::bench::epoch_vs_floor(&cfg, a.blocks.max(1), a.block_epochs.max(1))?;
    println!("{}", serde_json::to_string_pretty(&b)?);
    println!(
        "epoch {:.3} ms, floor (S = M·Xᵀ, G = W·X) {:.3} ms at {:.1} GFLOP/s: ratio {:.3}; \
         the same products with faer {:.3} ms at {:.1} GFLOP/s (epoch/faer {:.3}); {} code",
        b.epoch_seconds * 1e3,
        b.floor_seconds * 1e3,
        b.floor_gflops,
        b.ratio,
        b.faer_seconds * 1e3,
        b.faer_gflops,
        b.epoch_seconds / b.faer_seconds,
        b.isa
    );
    Ok(())
}
