//! Speed of one training epoch against its floor: the two matrix products of the step
//! (S = M·Xᵀ and G = W·X) timed alone with the same library, sizes and thread count.

use crate::config::RunConfig;
use crate::dam::run::prepare;
use crate::error::Result;
use crate::linalg;
use faer::Par;
use ndarray::Array2;
use serde::Serialize;
use std::time::Instant;

/// Result of [`epoch_vs_floor`].
#[derive(Debug, Clone, Serialize)]
pub struct EpochBench {
    /// Memories K, samples P, pixels N.
    pub shape: (usize, usize, usize),
    /// Median seconds per epoch (whole update rule).
    pub epoch_seconds: f64,
    /// Median seconds of the two matrix products alone.
    pub floor_seconds: f64,
    /// epoch / floor.
    pub ratio: f64,
    /// GFLOP/s of the floor (4·K·P·N flops).
    pub floor_gflops: f64,
    /// Threads used.
    pub threads: usize,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Time `blocks` blocks of `per_block` epochs of `cfg` (after a warm-up), and the same number of
/// floor evaluations; report medians per epoch.
pub fn epoch_vs_floor(cfg: &RunConfig, blocks: usize, per_block: usize) -> Result<EpochBench> {
    let prep = prepare(cfg)?;
    let par = linalg::par(cfg.threads);
    let mut tr = prep.trainer()?;
    let mut st = prep.init.clone();
    for e in 0..per_block {
        tr.epoch(&mut st, e);
    }
    let x = prep.training.samples.clone();
    let (k, p, n) = (st.memories.nrows(), x.nrows(), x.ncols());
    let mut s = Array2::zeros((k, p));
    let mut g = Array2::zeros((k, n));
    let floor_once = |s: &mut Array2<f64>, g: &mut Array2<f64>, m: &Array2<f64>| {
        linalg::matmul_abt(s, m.view(), x.view(), par);
        linalg::matmul_ab(g, s.view(), x.view(), par);
    };
    let mut ep = Vec::new();
    let mut fl = Vec::new();
    let mut e = per_block;
    for _ in 0..blocks {
        let t0 = Instant::now();
        for _ in 0..per_block {
            tr.epoch(&mut st, e);
            e += 1;
        }
        ep.push(t0.elapsed().as_secs_f64() / per_block as f64);
        let t0 = Instant::now();
        for _ in 0..per_block * prep.batches.len() {
            floor_once(&mut s, &mut g, &st.memories);
        }
        fl.push(t0.elapsed().as_secs_f64() / per_block as f64);
    }
    let (epoch_seconds, floor_seconds) = (median(ep), median(fl));
    Ok(EpochBench {
        shape: (k, p, n),
        epoch_seconds,
        floor_seconds,
        ratio: epoch_seconds / floor_seconds,
        floor_gflops: 4.0 * (k * p * n) as f64 / floor_seconds / 1e9,
        threads: match par {
            Par::Seq => 1,
            _ => par.degree(),
        },
    })
}
