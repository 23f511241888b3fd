//! Speed of one training epoch against its floor: the two matrix products of the step
//! (S = M·Xᵀ and G = W·X) timed alone with the same code ([`crate::dam::gemm`]), sizes and thread
//! count. The same run also times the two products with faer, the general GEMM the trainer used
//! before, as a second baseline.

use crate::config::RunConfig;
use crate::dam::gemm::Packed;
use crate::dam::kernels::Isa;
use crate::dam::run::prepare;
use crate::error::Result;
use crate::linalg;
use faer::Par;
use ndarray::{Array2, Axis};
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
    /// Median seconds of the same two products with faer.
    pub faer_seconds: f64,
    /// GFLOP/s of the faer products.
    pub faer_gflops: f64,
    /// Threads used.
    pub threads: usize,
    /// The vector code that ran ([`Isa::name`]).
    pub isa: &'static str,
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
    let x = &prep.training.samples;
    let (k, p, n) = (st.memories.nrows(), x.nrows(), x.ncols());
    // the products of one epoch: one pair per minibatch, on that minibatch's samples
    let xs: Vec<Array2<f64>> = prep.batches.iter().map(|b| x.select(Axis(0), b)).collect();
    let packs: Vec<Packed> = xs.iter().map(|xb| Packed::new(xb.view())).collect();
    let mut s = Array2::zeros((k, xs[0].nrows()));
    let mut g = Array2::zeros((k, n));
    let isa = Isa::detect();
    let floor_once = |s: &mut Array2<f64>, g: &mut Array2<f64>, m: &Array2<f64>| {
        for packed in &packs {
            let (ss, gs) = (
                s.as_slice_mut().expect("row-major"),
                g.as_slice_mut().expect("row-major"),
            );
            packed.dots(isa, par, m.as_slice().expect("row-major"), ss);
            packed.combine(isa, par, ss, gs);
        }
    };
    let faer_once = |s: &mut Array2<f64>, g: &mut Array2<f64>, m: &Array2<f64>| {
        for xb in &xs {
            linalg::matmul_abt(s, m.view(), xb.view(), par);
            linalg::matmul_ab(g, s.view(), xb.view(), par);
        }
    };
    let mut ep = Vec::new();
    let mut fl = Vec::new();
    let mut fa = Vec::new();
    let mut e = per_block;
    for _ in 0..blocks {
        let t0 = Instant::now();
        for _ in 0..per_block {
            tr.epoch(&mut st, e);
            e += 1;
        }
        ep.push(t0.elapsed().as_secs_f64() / per_block as f64);
        let t0 = Instant::now();
        for _ in 0..per_block {
            floor_once(&mut s, &mut g, &st.memories);
        }
        fl.push(t0.elapsed().as_secs_f64() / per_block as f64);
        let t0 = Instant::now();
        for _ in 0..per_block {
            faer_once(&mut s, &mut g, &st.memories);
        }
        fa.push(t0.elapsed().as_secs_f64() / per_block as f64);
    }
    let (epoch_seconds, floor_seconds, faer_seconds) = (median(ep), median(fl), median(fa));
    let flops = 4.0 * (k * p * n) as f64;
    Ok(EpochBench {
        shape: (k, p, n),
        epoch_seconds,
        floor_seconds,
        ratio: epoch_seconds / floor_seconds,
        floor_gflops: flops / floor_seconds / 1e9,
        faer_seconds,
        faer_gflops: flops / faer_seconds / 1e9,
        threads: match par {
            Par::Seq => 1,
            _ => par.degree(),
        },
        isa: isa.name(),
    })
}
