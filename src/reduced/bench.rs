//! Timing of the one-parameter continuation against the reference's grid method (spec §5.5),
//! for `waddington bench reduced`.

use super::branches::{DiagramOptions, Parameter, diagram};
use super::two_memory::{Control, TwoMemory};

/// Benchmark result of [`bench`].
#[derive(Debug, Clone, serde::Serialize)]
pub struct Bench {
    /// Median wall time of one diagram over n ∈ [1.2, 72] (s).
    pub diagram_s: f64,
    /// Folds found.
    pub folds: Vec<f64>,
    /// Measured time of one reference-style grid evaluation (f32 kernel of spec §5.5, one point) (ns).
    pub grid_point_ns: f64,
    /// Reference grid method extrapolated: 8192² points per n-value (s).
    pub grid_per_n_s: f64,
    /// Reference grid method extrapolated over the 708 n-values 1.2, 1.3, …, 71.9 (s).
    pub grid_total_s: f64,
    /// grid_total_s / diagram_s.
    pub speedup: f64,
}

/// One point of the reference's CUDA kernel `calc_conditions` (spec §5.5) in f32 on the CPU:
/// the three sign conditions and the boundary flag. Used only as the timing baseline.
fn reference_grid_point(alpha: f32, ell: f32, d: [f32; 3], n: f32, t: f32) -> (f32, f32, bool) {
    let beta = 1.0 - alpha.abs();
    let da = ((alpha * d[0] + beta * d[1]) / t).max(0.0);
    let db = ((alpha * d[1] + beta * d[2]) / t).max(0.0);
    let (pa, pb) = (da.powf(n), db.powf(n));
    let (oa, ob) = ((ell * pa).tanh(), (ell * pb).tanh());
    let (ga, gb) = (pa.tanh(), pb.tanh());
    let e = 2.0 * n - 1.0;
    let a = (ell * (1.0 - oa).powf(e) * (1.0 - oa * oa) + 4.0 * (1.0 - ga).powf(e) * (1.0 - ga * ga))
        * da.powf(n - 1.0);
    let b = (-ell * (1.0 + ob).powf(e) * (1.0 - ob * ob) + 4.0 * (1.0 - gb).powf(e) * (1.0 - gb * gb))
        * db.powf(n - 1.0);
    let l = (1.0 - oa).powf(e) * (1.0 - oa * oa) * pa - (1.0 + ob).powf(e) * (1.0 - ob * ob) * pb;
    let cond = a / alpha - b / beta;
    let boundary = cond.is_finite() && (alpha.signum() * a / alpha + beta.signum() * b / beta) > 0.0;
    (cond.signum(), l.signum(), boundary)
}

/// Time the diagram over n ∈ [1.2, 72] at temperature T (median of `repeats`) against the
/// reference grid method, whose cost is measured on 8192 × 64 grid points at n = 30 and
/// extrapolated to 8192² points per n-value and 708 n-values (one CPU core, f32).
pub fn bench(sys: &TwoMemory, temperature: f64, repeats: usize) -> Bench {
    let mut times = Vec::new();
    let mut folds = Vec::new();
    for _ in 0..repeats {
        let t0 = std::time::Instant::now();
        let d = diagram(
            sys,
            Parameter::N,
            Control { n: 1.2, temperature },
            [1.2, 72.0],
            &DiagramOptions::default(),
        );
        times.push(t0.elapsed().as_secs_f64());
        folds = d.folds.iter().map(|f| f.n).collect();
    }
    times.sort_by(f64::total_cmp);
    let diagram_s = times[times.len() / 2];
    let d = [sys.dots.aa as f32, sys.dots.ab as f32, sys.dots.bb as f32];
    let n = 30.0f32;
    let t = (temperature / sys.memories.powf(1.0 / 30.0)) as f32;
    let size = 8192usize;
    let rows = 64usize;
    let t0 = std::time::Instant::now();
    let mut count = 0usize;
    for j in 0..rows {
        let ell = -1.0 + (j * size / rows) as f32 * 2.0 / size as f32;
        for i in 0..size {
            let alpha = -1.0 + i as f32 * 2.0 / size as f32;
            let r = std::hint::black_box(reference_grid_point(alpha, ell, d, n, t));
            count += r.2 as usize;
        }
    }
    std::hint::black_box(count);
    let per_point = t0.elapsed().as_secs_f64() / (size * rows) as f64;
    let grid_per_n_s = per_point * (size * size) as f64;
    let grid_total_s = grid_per_n_s * 708.0;
    Bench {
        diagram_s,
        folds,
        grid_point_ns: per_point * 1e9,
        grid_per_n_s,
        grid_total_s,
        speedup: grid_total_s / diagram_s,
    }
}
