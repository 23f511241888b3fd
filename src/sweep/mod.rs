//! Parameter sweeps over (n, T, seed, …) grids (docs/sweep.md).
//!
//! * [`grid`]: grid files (a run config plus `[sweep]`), Cartesian products and explicit points,
//!   stable point ids, validation of every point before anything runs;
//! * [`runner`]: parallel runs of the points (one single-threaded run per worker), skip finished
//!   points, resume interrupted ones from their checkpoints, `FAILED.json` for failures, shards;
//! * [`manifest`]: `DIR/sweep.json`, the points of a sweep folder;
//! * [`collect`]: `DIR/summary.csv` and `DIR/summary.npz` (max-α §3.4, reconstruction count §3.5,
//!   accuracy, populations §3.11, learning order §3.7) for the paper's Figure 2;
//! * [`slurm`]: sbatch array scripts with a collect job.

pub mod collect;
pub mod grid;
pub mod manifest;
pub mod runner;
pub mod slurm;

pub use collect::collect;
pub use grid::{Grid, Point, Sweep, number};
pub use runner::{Event, Options, Report, Shard, run_sweep};
