//! Speed of the Waddington analysis on a Figure-3-sized trajectory: 3 500 epochs recorded every
//! 10 (E = 351 frames), K = 100 memories, P = 200 samples, D = 784 — from arrays and streamed from a
//! run folder on disk — against the floor of its largest matrix product (α = M X⁺ for every frame).
//!
//! Run: `cargo bench --bench landscape` (the target: under 10 s).

use ndarray::{Array1, Array2, Array3};
use rand::SeedableRng;
use rand_chacha::ChaCha12Rng;
use rand_distr::{Distribution, Normal};
use std::time::Instant;
use waddington::landscape::{self, Options, Recognizer};

fn main() {
    let (e, k, p, d) = (351usize, 100usize, 200usize, 784usize);
    let mut rng = ChaCha12Rng::seed_from_u64(1);
    let n = Normal::new(0.0, 1.0).unwrap();
    let x = Array2::from_shape_fn((p, d), |_| n.sample(&mut rng)).mapv(f64::tanh);
    let digits: Vec<usize> = (0..p).map(|i| i / 20).collect();
    // memories: a common drift plus per-memory random walks that separate them over time
    let steps = Array2::from_shape_fn((k, d), |_| n.sample(&mut rng) * 0.002);
    let mut m = Array3::zeros((e, k, d));
    for t in 0..e {
        for a in 0..k {
            for i in 0..d {
                m[[t, a, i]] = -0.003 + steps[[a, i]] * (t as f64) * ((a % 7) as f64 / 7.0);
            }
        }
    }
    let l = Array3::from_shape_fn(
        (e, k, 10),
        |(t, a, c)| if c == a % 10 { t as f64 / e as f64 } else { -0.5 },
    );
    let epochs: Vec<usize> = (0..e).map(|t| t * 10).collect();
    let rec = Recognizer {
        form: waddington::dam::model::Form::LabelWeighted,
        params: waddington::dam::model::Params {
            n: 30.0,
            m: 30.0,
            temperature: 670.0,
        },
    };

    // floor: α for every frame, one product each
    let dec = landscape::alpha::Decomposition::new(x.view(), &digits).unwrap();
    let t0 = Instant::now();
    let mut acc = 0.0;
    for t in 0..e {
        acc += dec.alpha(m.index_axis(ndarray::Axis(0), t), faer::Par::Seq)[[0, 0]];
    }
    let floor = t0.elapsed().as_secs_f64();

    let t0 = Instant::now();
    let a = landscape::analyze_arrays(
        &epochs,
        m.view(),
        l.view(),
        x.view(),
        &digits,
        Some(rec),
        0.05,
        Options::default(),
    )
    .unwrap();
    let arrays = t0.elapsed().as_secs_f64();

    // the same from a run folder on disk (streamed)
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(
        dir.join("config.toml"),
        waddington::config::RunConfig::default().to_toml(),
    )
    .unwrap();
    waddington::npy::write(&dir.join("samples.npy"), &x).unwrap();
    waddington::npy::write(&dir.join("targets.npy"), &waddington::data::targets_for(&digits)).unwrap();
    let mut w = waddington::npy::create_npz(&dir.join("trajectory.npz")).unwrap();
    let ep: Array1<i64> = epochs.iter().map(|&v| v as i64).collect();
    w.add_array("epochs", &ep).unwrap();
    w.add_array("memories", &m).unwrap();
    w.add_array("labels", &l).unwrap();
    w.finish().unwrap();
    let t0 = Instant::now();
    let b = landscape::analyze_run_dir(dir, &Options::default()).unwrap();
    let folder = t0.elapsed().as_secs_f64();
    let t0 = Instant::now();
    landscape::write_analysis(&b, &dir.join("analysis"), true).unwrap();
    let write = t0.elapsed().as_secs_f64();

    println!(
        "trajectory: E = {e} frames (3 500 epochs every 10), K = {k}, P = {p}, D = {d}; {} rayon threads",
        rayon::current_num_threads()
    );
    println!("floor (α products only, sequential): {floor:.3} s  [{acc:.1e}]");
    println!(
        "analyze_arrays:                      {arrays:.3} s  ({:.1}× floor; {} splits)",
        arrays / floor,
        a.tree.splits.len()
    );
    println!(
        "analyze_run_dir (streamed from disk): {folder:.3} s  ({:.1}× floor)",
        folder / floor
    );
    println!("write_analysis:                      {write:.3} s");
}
