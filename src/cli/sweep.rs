//! `waddington sweep run|collect|slurm|list`: parameter grids (docs/sweep.md).

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;
use waddington::sweep::{self, Event, Grid, Options, Shard, slurm};

/// Subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Run (or continue) the points of a grid file into DIR/points/<id>/.
    Run(RunArgs),
    /// Write DIR/summary.csv and DIR/summary.npz from the finished points.
    Collect {
        /// The sweep folder.
        dir: PathBuf,
    },
    /// Write Slurm array scripts (DIR/slurm/{sweep.sbatch,collect.sbatch,submit.sh}).
    Slurm(SlurmArgs),
    /// List the points of a grid file (index, id, values) without running anything.
    List {
        /// The grid file.
        grid: PathBuf,
    },
}

/// `sweep run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The grid file (a run config plus [sweep]).
    pub grid: PathBuf,
    /// The sweep folder.
    #[arg(long)]
    pub out: PathBuf,
    /// Points run at the same time (each single-threaded); default: all cores.
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Run only the points with index % N == i; default from SLURM_ARRAY_TASK_ID/COUNT.
    #[arg(long)]
    pub shard: Option<String>,
    /// Run failed points again.
    #[arg(long)]
    pub retry_failed: bool,
    /// No progress bar.
    #[arg(long)]
    pub no_progress: bool,
}

/// `sweep slurm`.
#[derive(Debug, clap::Args)]
pub struct SlurmArgs {
    /// The grid file.
    pub grid: PathBuf,
    /// The sweep folder.
    #[arg(long)]
    pub out: PathBuf,
    /// Array tasks (default: one per point).
    #[arg(long)]
    pub tasks: Option<usize>,
    /// At most this many tasks at once (0 = no limit).
    #[arg(long, default_value_t = 0)]
    pub throttle: usize,
    /// CPUs per task (also the --jobs of each task).
    #[arg(long, default_value_t = 1)]
    pub cpus_per_task: usize,
    /// Memory per task.
    #[arg(long, default_value = "2G")]
    pub mem: String,
    /// Time limit per task.
    #[arg(long, default_value = "04:00:00")]
    pub time: String,
    /// Partition.
    #[arg(long)]
    pub partition: Option<String>,
    /// Extra #SBATCH options (repeatable), e.g. --sbatch=--account=abc.
    #[arg(long = "sbatch")]
    pub extra: Vec<String>,
    /// Submit right away (runs DIR/slurm/submit.sh).
    #[arg(long)]
    pub submit: bool,
}

/// Run a subcommand.
pub fn run(c: Command) -> anyhow::Result<()> {
    match c {
        Command::Run(a) => run_grid(a),
        Command::Collect { dir } => {
            let rows = sweep::collect(&dir)?;
            let done = rows.iter().filter(|r| r.result.is_some()).count();
            println!(
                "{}: {done} of {} points finished; wrote summary.csv and summary.npz",
                dir.display(),
                rows.len()
            );
            Ok(())
        }
        Command::Slurm(a) => write_slurm(a),
        Command::List { grid } => {
            let g = Grid::from_file(&grid)?;
            for p in &g.points {
                println!("{}\t{}", p.id, sweep::runner::describe(p));
            }
            Ok(())
        }
    }
}

fn run_grid(a: RunArgs) -> anyhow::Result<()> {
    let grid = Grid::from_file(&a.grid)?;
    let shard = match &a.shard {
        Some(s) => Shard::parse(s)?,
        None => Shard::from_slurm_env()?.unwrap_or(Shard::ALL),
    };
    let jobs = a
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let bar = if a.no_progress {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(0)
    };
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} epochs  {msg}  [{elapsed_precise}, eta {eta}]")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let events = |e: Event| match e {
        Event::Start {
            total_epochs,
            done_epochs,
            points,
            to_run,
        } => {
            bar.set_length(total_epochs);
            bar.set_position(done_epochs);
            bar.set_message(format!("{to_run} of {points} points to run"));
        }
        Event::Epochs(n) => bar.inc(n),
        Event::Finished { id, failure } => {
            if let Some(f) = failure {
                bar.println(format!("point {id} failed: {}", f.reason));
            }
        }
    };
    let opts = Options {
        jobs,
        shard,
        retry_failed: a.retry_failed,
    };
    let report = sweep::run_sweep(&grid, &a.out, &opts, &events)?;
    bar.finish_and_clear();
    println!(
        "{}: {} points (shard {}/{}): {} already done, {} finished now ({} resumed), {} failed",
        a.out.display(),
        report.points,
        shard.index,
        shard.count,
        report.skipped,
        report.completed,
        report.resumed,
        report.failures.len()
    );
    if !report.busy.is_empty() {
        println!(
            "{} point(s) left to another process that is running them: {}",
            report.busy.len(),
            report.busy.join(", ")
        );
    }
    let errors: Vec<_> = report.failures.iter().filter(|f| f.kind != "diverged").collect();
    for f in &report.failures {
        eprintln!("failed: {}", f.reason);
    }
    if !errors.is_empty() {
        anyhow::bail!(
            "{} point(s) failed with errors (not divergence); fix the cause and rerun with --retry-failed",
            errors.len()
        );
    }
    Ok(())
}

fn write_slurm(a: SlurmArgs) -> anyhow::Result<()> {
    let grid = Grid::from_file(&a.grid)?;
    let abs = |p: &PathBuf| std::path::absolute(p).with_context(|| format!("{}", p.display()));
    let opts = slurm::SlurmOptions {
        binary: std::env::current_exe().context("locating the waddington executable")?,
        grid: abs(&a.grid)?,
        out: abs(&a.out)?,
        tasks: a
            .tasks
            .unwrap_or(grid.points.len())
            .clamp(1, grid.points.len().max(1)),
        throttle: a.throttle,
        cpus_per_task: a.cpus_per_task,
        mem: a.mem,
        time: a.time,
        partition: a.partition,
        extra: a.extra,
    };
    sweep::manifest::write_or_check(&grid, &opts.out)?;
    let s = slurm::write_scripts(&opts)?;
    println!(
        "{} points in {} array tasks: {}, {}; submit with {}",
        grid.points.len(),
        opts.tasks,
        s.array.display(),
        s.collect.display(),
        s.submit.display()
    );
    if a.submit {
        let st = std::process::Command::new("bash")
            .arg(&s.submit)
            .status()
            .context("running submit.sh (is sbatch on PATH?)")?;
        anyhow::ensure!(st.success(), "submit.sh failed ({st})");
    }
    Ok(())
}
