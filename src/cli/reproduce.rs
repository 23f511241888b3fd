//! `waddington reproduce figN|all`: one command per figure of the paper (docs/reproduce.md).

use std::path::PathBuf;
use waddington::reproduce::{self, Figure, Options, Scale};

/// Arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// fig1 … fig8 (the arXiv paper's figures), bif1 (the bifurcating network's Figure 1), or all.
    #[arg(value_parser = parse_figures)]
    pub figure: Figures,
    /// quick: minutes on the embedded data (CI); paper: the paper's full protocol.
    #[arg(long, default_value = "quick", value_parser = parse_scale)]
    pub scale: Scale,
    /// Output folder (default: reproduce/<figure>; with `all`, one sub-folder per figure).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// The reference 200-digit set (200×784 .npy, 20 per digit in class order, pixels in [-1, 1]);
    /// default: a seeded 20-per-class draw from the embedded data.
    #[arg(long)]
    pub samples: Option<PathBuf>,
    /// Base seed of every run.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Runs trained at the same time (default: all cores).
    #[arg(long)]
    pub jobs: Option<usize>,
    /// No progress lines.
    #[arg(long)]
    pub no_progress: bool,
}

/// One figure or all of them.
#[derive(Debug, Clone, Copy)]
pub enum Figures {
    /// `all`.
    All,
    /// One figure.
    One(Figure),
}

/// The closed choice of figures, parsed by clap (the message lists the choices).
fn parse_figures(s: &str) -> Result<Figures, String> {
    if s == "all" {
        return Ok(Figures::All);
    }
    Figure::parse(s).map(Figures::One).map_err(|e| e.to_string())
}

/// `quick` or `paper`, parsed by clap.
fn parse_scale(s: &str) -> Result<Scale, String> {
    Scale::parse(s).map_err(|e| e.to_string())
}

/// Run the subcommand.
pub fn run(a: Args) -> anyhow::Result<()> {
    let scale = a.scale;
    let all = matches!(a.figure, Figures::All);
    let figures: Vec<Figure> = match a.figure {
        Figures::All => Figure::ALL.to_vec(),
        Figures::One(f) => vec![f],
    };
    let jobs = a
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let mut failed = Vec::new();
    for f in figures {
        let out = match (&a.out, all) {
            (Some(o), true) => o.join(f.name()),
            (Some(o), false) => o.clone(),
            (None, _) => PathBuf::from("reproduce").join(f.name()),
        };
        let opts = Options {
            out: out.clone(),
            scale,
            samples: a.samples.clone(),
            seed: a.seed,
            jobs,
            progress: !a.no_progress,
        };
        let t0 = std::time::Instant::now();
        let outcome = reproduce::reproduce(f, opts)?;
        let bad = outcome.report.failed();
        println!(
            "{}: {} figure files, {} checks ({} disagree) in {:.1} s → {}",
            f.name(),
            outcome.files.len(),
            outcome.report.checks.len(),
            bad.len(),
            t0.elapsed().as_secs_f64(),
            out.join("report.md").display()
        );
        for c in bad {
            println!(
                "  disagrees: {}: ours {}, reference {}",
                c.quantity, c.ours, c.reference
            );
            failed.push(f.name());
        }
    }
    if !failed.is_empty() {
        failed.dedup();
        println!(
            "checks that disagree with the paper/spec in: {}",
            failed.join(", ")
        );
    }
    Ok(())
}
