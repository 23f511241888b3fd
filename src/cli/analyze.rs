//! `waddington analyze RUN_DIR [RUN_DIR ...]`: the Waddington analysis of run folders
//! (outputs documented in `docs/landscape.md`).

use std::path::PathBuf;
use waddington::landscape::{self, Options, Tolerance};

/// Arguments of `analyze`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Run folders (config.toml, samples.npy, targets.npy, trajectory.npz).
    #[arg(required = true)]
    pub runs: Vec<PathBuf>,
    /// Clade tolerance as an absolute RMS pixel distance (default: 10 η, η the run's rate).
    #[arg(long, conflicts_with = "tolerance_steps")]
    pub tolerance: Option<f64>,
    /// Clade tolerance in update steps: τ = STEPS · η (default 10).
    #[arg(long)]
    pub tolerance_steps: Option<f64>,
    /// First recorded epoch from which clades are followed.
    #[arg(long, default_value_t = 0)]
    pub start_epoch: usize,
    /// Output folder: for one run, replaces RUN_DIR/analysis; for several runs (required), the
    /// folder of the ensemble summary (each run still gets RUN_DIR/analysis).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Replace existing analysis outputs (`--overwrite` is the old spelling).
    #[arg(long, alias = "overwrite")]
    pub force: bool,
    /// Do not draw analysis/recognition.png and analysis/split-tree.png (single run).
    #[arg(long)]
    pub no_figures: bool,
    /// Frames read and processed together.
    #[arg(long, default_value_t = 32)]
    pub chunk: usize,
    /// Print every persistent split and the clade tree (default: the major splits).
    #[arg(long)]
    pub all_splits: bool,
    /// Skip the saddles of the persistent splits (splitting matrix, splitting mode, saddles.npz).
    #[arg(long)]
    pub no_saddles: bool,
}

/// Run the subcommand.
pub fn run(a: Args) -> anyhow::Result<()> {
    let mut options = Options {
        start_epoch: a.start_epoch,
        chunk: a.chunk,
        saddles: !a.no_saddles,
        ..Options::default()
    };
    if let Some(t) = a.tolerance {
        options.tolerance = Tolerance::Absolute(t);
    } else if let Some(s) = a.tolerance_steps {
        options.tolerance = Tolerance::Steps(s);
    }
    if a.runs.len() == 1 {
        let (an, figures) = landscape::io::analyze_and_write_all(
            &a.runs[0],
            &options,
            a.out.as_deref(),
            a.force,
            !a.no_figures,
        )?;
        print!("{}", an.report_with(a.all_splits));
        let out = a.out.clone().unwrap_or_else(|| a.runs[0].join("analysis"));
        println!("wrote {}", out.display());
        for f in figures {
            println!("wrote {}", f.display());
        }
    } else {
        let Some(out) = a.out else {
            anyhow::bail!(
                "--out DIR is required when several run folders are analysed (the ensemble summary goes there)"
            );
        };
        let e = landscape::io::analyze_ensemble(&a.runs, &options, &out, a.force)?;
        print!("{}", landscape::io::ensemble_report(&e));
        println!("wrote {} and RUN_DIR/analysis for every run", out.display());
    }
    Ok(())
}
