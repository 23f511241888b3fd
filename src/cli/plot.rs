//! `waddington plot …`: figures and movies from run folders and result files. Parses arguments and
//! calls [`waddington::plot`]; see `docs/plot.md`.

use anyhow::Context;
use clap::Subcommand;
use ndarray::{Axis, Ix2};
use std::path::PathBuf;
use waddington::landscape::identity;
use waddington::plot::{self, Colormap, Heatmap, LabelStrips, LinePlot, MemoryGrid};
use waddington::run_folder::Trajectory;

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Memories of one saved epoch as a grid of 28×28 images (blue-white-red on [−1, 1]).
    Memories {
        /// Run folder holding trajectory.npz (or the .npz file itself).
        run: PathBuf,
        /// Saved epoch to show (default: the last one).
        #[arg(long)]
        epoch: Option<usize>,
        /// Output figure (.png or .svg).
        #[arg(long)]
        out: PathBuf,
        /// Tiles per row.
        #[arg(long, default_value_t = 10)]
        cols: usize,
        /// Sort memories by dominant label (as the reference movies do).
        #[arg(long)]
        sort: bool,
        /// Write each memory's index and dominant label above its tile.
        #[arg(long)]
        titles: bool,
    },
    /// Label values ℓ_{A,c} of one saved epoch, one strip per class.
    Labels {
        /// Run folder holding trajectory.npz (or the .npz file itself).
        run: PathBuf,
        /// Saved epoch to show (default: the last one).
        #[arg(long)]
        epoch: Option<usize>,
        /// Output figure (.png or .svg).
        #[arg(long)]
        out: PathBuf,
    },
    /// A movie of the memory grid over the saved epochs (GIF, or MP4 with ffmpeg).
    Movie {
        /// Run folder holding trajectory.npz (or the .npz file itself).
        run: PathBuf,
        /// Output movie (.gif or .mp4).
        #[arg(long)]
        out: PathBuf,
        /// Use every k-th saved frame.
        #[arg(long, default_value_t = 1)]
        every: usize,
        /// Frames per second.
        #[arg(long, default_value_t = 10)]
        fps: u32,
        /// Tiles per row.
        #[arg(long, default_value_t = 10)]
        cols: usize,
        /// Sort memories by their final dominant label.
        #[arg(long)]
        sort: bool,
    },
    /// A heat map of a 2-D float64 .npy array (rows = y, columns = x).
    NpyHeatmap {
        /// The .npy file (2-D float64).
        file: PathBuf,
        /// Output figure (.png or .svg).
        #[arg(long)]
        out: PathBuf,
        /// Colour map.
        #[arg(long, default_value = "viridis", value_parser = ["viridis", "bwr"])]
        cmap: String,
        /// Lower end of the colour range (default: data minimum).
        #[arg(long, allow_hyphen_values = true)]
        vmin: Option<f64>,
        /// Upper end of the colour range (default: data maximum).
        #[arg(long, allow_hyphen_values = true)]
        vmax: Option<f64>,
        /// Figure title.
        #[arg(long, default_value = "")]
        title: String,
        /// x-axis label.
        #[arg(long, default_value = "column")]
        x_label: String,
        /// y-axis label.
        #[arg(long, default_value = "row")]
        y_label: String,
        /// Colour-bar label.
        #[arg(long, default_value = "")]
        colorbar_label: String,
    },
    /// Line plot of a CSV file: header row, first column x, one series per other column.
    Lines {
        /// The CSV file.
        file: PathBuf,
        /// Output figure (.png or .svg).
        #[arg(long)]
        out: PathBuf,
        /// Figure title.
        #[arg(long, default_value = "")]
        title: String,
        /// x-axis label (default: the first column's header).
        #[arg(long)]
        x_label: Option<String>,
        /// y-axis label.
        #[arg(long, default_value = "value")]
        y_label: String,
        /// Logarithmic x axis.
        #[arg(long)]
        log_x: bool,
        /// Logarithmic y axis.
        #[arg(long)]
        log_y: bool,
    },
}

/// Run a subcommand.
pub fn run(c: Command) -> anyhow::Result<()> {
    match c {
        Command::Memories {
            run,
            epoch,
            out,
            cols,
            sort,
            titles,
        } => {
            let mut t = Trajectory::open(&run)?;
            let f = t.frame_of_epoch(epoch)?;
            let labels = t.labels_at(f);
            let order: Vec<usize> = if sort {
                identity::order_by_dominant_label(labels.view())
            } else {
                (0..labels.nrows()).collect()
            };
            let mut g = MemoryGrid::new(t.memories_at(f)?.select(Axis(0), &order), cols);
            g.side = side_of(t.memories_shape().2)?;
            g.title = Some(format!("Memories at epoch {}", t.epochs()[f]));
            if titles {
                let dom = identity::dominant_labels(labels.view());
                g.tile_titles = Some(order.iter().map(|&a| format!("#{a}: {}", dom[a])).collect());
            }
            plot::save(&g, &out)?;
        }
        Command::Labels { run, epoch, out } => {
            let t = Trajectory::open(&run)?;
            let f = t.frame_of_epoch(epoch)?;
            let mut s = LabelStrips::new(t.labels_at(f));
            s.title = Some(format!("Labels at epoch {}", t.epochs()[f]));
            plot::save(&s, &out)?;
        }
        Command::Movie {
            run,
            out,
            every,
            fps,
            cols,
            sort,
        } => {
            anyhow::ensure!(every >= 1, "--every must be at least 1");
            let mut t = Trajectory::open(&run)?;
            side_of(t.memories_shape().2)?;
            let frames: Vec<usize> = (0..t.epochs().len()).step_by(every).collect();
            let epochs: Vec<i64> = frames.iter().map(|&f| t.epochs()[f] as i64).collect();
            let mems = t.memories_select(&frames)?;
            let last = t.labels_at(t.epochs().len() - 1);
            let order = sort.then(|| identity::order_by_dominant_label(last.view()));
            let n = plot::memory_grid_movie(&out, &epochs, mems.view(), cols, order.as_deref(), fps)?;
            println!("wrote {} ({n} frames)", out.display());
        }
        Command::NpyHeatmap {
            file,
            out,
            cmap,
            vmin,
            vmax,
            title,
            x_label,
            y_label,
            colorbar_label,
        } => {
            let a = waddington::npy::read_f64_dyn(&file)?;
            let shape = a.shape().to_vec();
            let a = a.into_dimensionality::<Ix2>().map_err(|_| {
                anyhow::anyhow!("{}: expected a 2-D array, found shape {shape:?}", file.display())
            })?;
            let mut h = Heatmap::from_matrix(a);
            h.colormap = Colormap::by_name(&cmap)
                .with_context(|| format!("--cmap {cmap}: expected viridis or bwr"))?;
            if vmin.is_some() || vmax.is_some() {
                let (lo, hi) = plot::padded_range(h.values.iter().copied(), 0.0);
                h.range = Some((vmin.unwrap_or(lo), vmax.unwrap_or(hi)));
            }
            (h.title, h.x_label, h.y_label, h.colorbar_label) = (title, x_label, y_label, colorbar_label);
            plot::save(&h, &out)?;
        }
        Command::Lines {
            file,
            out,
            title,
            x_label,
            y_label,
            log_x,
            log_y,
        } => {
            let (x_name, series) = plot::lines::read_csv_series(&file)?;
            let mut p = LinePlot::new(title, x_label.unwrap_or(x_name), y_label);
            (p.series, p.log_x, p.log_y) = (series, log_x, log_y);
            plot::save(&p, &out)?;
        }
    }
    Ok(())
}

/// The side of square images with `d` pixels.
fn side_of(d: usize) -> anyhow::Result<usize> {
    let s = (d as f64).sqrt().round() as usize;
    anyhow::ensure!(
        s * s == d && d > 0,
        "memories have {d} pixels; expected square images (e.g. 784 = 28×28)"
    );
    Ok(s)
}
