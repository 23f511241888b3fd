//! The Figure-2 sweep's cost, measured on a representative subset and extrapolated.
//!
//! Runs 8 points of the Figure-2 grid (n ∈ {2, 20, 40, 60} × T ∈ {450, 750}, K = 100, P = 200)
//! for `EPOCHS` epochs each, first with 1 worker, then with 2, through the library's sweep
//! runner (each point single-threaded), and prints the wall times, the per-epoch cost and the
//! extrapolation to the full 236 × 10 001 epochs. Run: `cargo bench --bench sweep`
//! (`SWEEP_BENCH_EPOCHS=…` to change the length).

use std::time::Instant;
use waddington::sweep::{Grid, Options, Shard, run_sweep};

fn main() {
    let epochs: usize = std::env::var("SWEEP_BENCH_EPOCHS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500);
    let text = format!(
        "[model]\nmemories = 100\n[data]\nper_class = 20\n[train]\nepochs = {epochs}\nsave_epochs = [0, {epochs}]\n\
         checkpoint_every = 500\n[sweep]\ngrid = {{ \"model.n\" = [2, 20, 40, 60], \"model.temperature\" = [450, 750] }}\n"
    );
    let tmp = std::env::temp_dir().join(format!("waddington-sweep-bench-{}", std::process::id()));
    let grid = match Grid::from_toml_str(&text, std::path::Path::new("bench grid"), &tmp) {
        Ok(g) => g,
        Err(e) => {
            eprintln!("bench grid: {e}");
            std::process::exit(1);
        }
    };
    let points = grid.points.len();
    let total_epochs = (points * epochs) as f64;
    println!("sweep bench: {points} points × {epochs} epochs (K = 100, P = 200), each point single-threaded");
    // Baseline in the same run: one bare epoch of the trainer (n = 30, T = 670, one thread).
    let base = match waddington::dam::bench::epoch_vs_floor(&waddington::config::RunConfig::default(), 3, 30)
    {
        Ok(b) => b.epoch_seconds,
        Err(e) => {
            eprintln!("epoch baseline: {e}");
            std::process::exit(1);
        }
    };
    println!(
        "baseline: one bare trainer epoch {:.3} ms (single thread)",
        base * 1e3
    );
    let mut times = Vec::new();
    for jobs in [1usize, 2] {
        let out = tmp.join(format!("jobs{jobs}"));
        let opts = Options {
            jobs,
            shard: Shard::ALL,
            retry_failed: false,
        };
        let start = Instant::now();
        if let Err(e) = run_sweep(&grid, &out, &opts, &|_| {}) {
            eprintln!("sweep failed: {e}");
            std::process::exit(1);
        }
        let wall = start.elapsed().as_secs_f64();
        times.push(wall);
        let per_epoch = wall / total_epochs;
        let full = 236.0 * 10_001.0 * per_epoch;
        println!(
            "--jobs {jobs}: {wall:.2} s, {:.3} ms per epoch of wall time ({:.2}× the bare epoch); Figure-2 sweep \
             (236 × 10 001 epochs) extrapolated: {:.1} min",
            per_epoch * 1e3,
            per_epoch / base,
            full / 60.0
        );
    }
    println!("speed-up 1 → 2 jobs: {:.2}×", times[0] / times[1]);
    let _ = std::fs::remove_dir_all(&tmp);
}
