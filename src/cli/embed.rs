//! `waddington embed fit | transform | movie | bench`: UMAP models (library: `waddington::embed`).

use std::path::PathBuf;
use waddington::embed::{Init, Metric, Umap, UmapParams, bench, io, movie};

/// UMAP hyper-parameters shared by `fit` and `bench` (defaults: the paper's, spec §3.8).
#[derive(Debug, clap::Args)]
pub struct ParamArgs {
    /// Neighbours k of the kNN graph.
    #[arg(long, default_value_t = 55)]
    neighbors: usize,
    /// Minimum distance of embedded points.
    #[arg(long, default_value_t = 0.05)]
    min_dist: f64,
    /// Input metric.
    #[arg(long, value_enum, default_value_t = Metric::Correlation)]
    metric: Metric,
    /// Seed of the layout.
    #[arg(long, default_value_t = 4)]
    seed: u64,
    /// Layout epochs (default: 500 for N ≤ 10 000, else 200).
    #[arg(long)]
    epochs: Option<usize>,
    /// Initialisation.
    #[arg(long, value_enum, default_value_t = Init::Spectral)]
    init: Init,
}

impl ParamArgs {
    fn params(&self) -> anyhow::Result<UmapParams> {
        Ok(UmapParams {
            n_neighbors: self.neighbors,
            min_dist: self.min_dist,
            metric: self.metric,
            seed: self.seed,
            n_epochs: self.epochs,
            init: self.init,
            ..UmapParams::paper()
        })
    }
}

/// Subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Fit a UMAP model; writes MODEL_DIR/{model.npz, model.json, embedding.npy, labels.npy, summary.json}.
    Fit {
        /// `embedded` (10 000 MNIST digits), `fashion-mnist` (60 000 training images) or an N×D .npy.
        #[arg(long, default_value = "embedded")]
        data: String,
        /// N integer labels for a .npy --data (optional).
        #[arg(long)]
        labels: Option<PathBuf>,
        #[command(flatten)]
        params: ParamArgs,
        /// Threads for kNN and initialisation (0 = all); results do not depend on it.
        #[arg(long, default_value_t = 0)]
        threads: usize,
        /// Output model folder.
        #[arg(long)]
        out: PathBuf,
        /// Overwrite an existing model in --out.
        #[arg(long)]
        force: bool,
    },
    /// Map new points into a fitted model; writes an N×2 (or E×K×2) .npy.
    Transform {
        /// Model folder written by `embed fit`.
        #[arg(long)]
        model: PathBuf,
        /// N×D or E×K×D float64 .npy to transform.
        #[arg(long, conflicts_with = "trajectory", required_unless_present = "trajectory")]
        input: Option<PathBuf>,
        /// A run folder's trajectory.npz: its `memories` (E×K×784) every --every epochs.
        #[arg(long)]
        trajectory: Option<PathBuf>,
        /// Frame step for --trajectory.
        #[arg(long, default_value_t = 10)]
        every: usize,
        /// Frames transformed together for E×K×D input.
        #[arg(long, default_value_t = 10)]
        chunk: usize,
        /// Threads for the kNN (0 = all).
        #[arg(long, default_value_t = 0)]
        threads: usize,
        /// Output .npy.
        #[arg(long)]
        out: PathBuf,
        /// Overwrite an existing --out.
        #[arg(long)]
        force: bool,
    },
    /// A movie (.gif, or .mp4 with ffmpeg) of a run's memories moving through a fitted embedding,
    /// over the fitted samples coloured by class; trails coloured by final dominant label.
    Movie {
        /// Model folder written by `embed fit`.
        #[arg(long)]
        model: PathBuf,
        /// A run folder (or its trajectory.npz).
        #[arg(long)]
        trajectory: PathBuf,
        /// Use every k-th saved frame (the paper: 10).
        #[arg(long, default_value_t = 10)]
        every: usize,
        /// Frames transformed together (the paper: 10).
        #[arg(long, default_value_t = 10)]
        chunk: usize,
        /// Trail length in frames (default: the whole past).
        #[arg(long)]
        trail: Option<usize>,
        /// Frames per second.
        #[arg(long, default_value_t = 10)]
        fps: u32,
        /// Threads for the kNN (0 = all).
        #[arg(long, default_value_t = 0)]
        threads: usize,
        /// Output movie (.gif or .mp4).
        #[arg(long)]
        out: PathBuf,
        /// Overwrite an existing --out.
        #[arg(long)]
        force: bool,
    },
    /// Time kNN (vs a naive loop), fit and transform, and measure label agreement; prints JSON.
    Bench {
        /// Data as for `fit` (labels required).
        #[arg(long, default_value = "embedded")]
        data: String,
        /// Labels for a .npy --data.
        #[arg(long)]
        labels: Option<PathBuf>,
        #[command(flatten)]
        params: ParamArgs,
        /// Threads (1 = one core).
        #[arg(long, default_value_t = 1)]
        threads: usize,
        /// Query rows of the kNN comparison.
        #[arg(long, default_value_t = 500)]
        knn_rows: usize,
    },
}

/// Run a subcommand.
pub fn run(c: Command) -> anyhow::Result<()> {
    match c {
        Command::Fit {
            data,
            labels,
            params,
            threads,
            out,
            force,
        } => {
            let d = io::load_fit_data(&data, labels.as_deref())?;
            let s = io::fit_to_dir(&d, &params.params()?, threads, &out, force)?;
            println!("{}", serde_json::to_string_pretty(&s)?);
            eprintln!("model written to {}", out.display());
        }
        Command::Transform {
            model,
            input,
            trajectory,
            every,
            chunk,
            threads,
            out,
            force,
        } => {
            let m = Umap::load(&model)?;
            let out = io::output_path(&out, force)?;
            let (x, what) = match (input, trajectory) {
                (Some(p), _) => (waddington::npy::read_f64_dyn(&p)?, p.display().to_string()),
                (None, Some(t)) => (
                    waddington::run_folder::Trajectory::open(&t)?
                        .memories_every(every)?
                        .into_dyn(),
                    t.display().to_string(),
                ),
                (None, None) => anyhow::bail!("give --input X.npy or --trajectory RUN/trajectory.npz"),
            };
            let y = io::transform_array(&m, x, &what, chunk, threads)?;
            waddington::npy::write(&out, &y)?;
            eprintln!("{:?} embedding written to {}", y.shape(), out.display());
        }
        Command::Movie {
            model,
            trajectory,
            every,
            chunk,
            trail,
            fps,
            threads,
            out,
            force,
        } => {
            let out = io::output_path(&out, force)?;
            let m = Umap::load(&model)?;
            let mut t = waddington::run_folder::Trajectory::open(&trajectory)?;
            let opts = movie::MovieOptions {
                every,
                chunk_frames: chunk,
                trail,
                fps,
                threads,
            };
            let n = movie::umap_movie(&m, &mut t, &out, &opts)?;
            println!("wrote {} ({n} frames)", out.display());
        }
        Command::Bench {
            data,
            labels,
            params,
            threads,
            knn_rows,
        } => {
            let d = io::load_fit_data(&data, labels.as_deref())?;
            let l = d
                .labels
                .ok_or_else(|| anyhow::anyhow!("bench needs labels (--labels for a .npy --data)"))?;
            let r = bench::run(&d.x, &l, &params.params()?, threads, knn_rows)?;
            println!("{}", serde_json::to_string_pretty(&r)?);
        }
    }
    Ok(())
}
