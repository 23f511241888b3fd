//! Conformance with the paper's reference trainer: `../shared/fixtures/golden-*.npz` hold
//! trajectories produced by it from a stored initial state. Every saved epoch must agree to 1e-9.

mod common;

use ndarray::{Array2, Array3, Ix2, Ix3};
use waddington::dam::model::{Form, Params};
use waddington::dam::train::{Hyper, State, Trainer};
use waddington::npy;

struct Golden {
    samples: Array2<f64>,
    targets: Array2<f64>,
    batches: Vec<Vec<usize>>,
    init_m: Array2<f64>,
    init_l: Array2<f64>,
    saved: Vec<usize>,
    memories: Array3<f64>,
    labels: Array3<f64>,
    params: Params,
    rate: f64,
    momentum: f64,
}

fn scalar(npz: &mut npy::Npz, p: &std::path::Path, k: &str) -> f64 {
    match npy::npz_f64(npz, p, k) {
        Ok(a) => a.iter().next().copied().expect("scalar"),
        Err(_) => npy::npz_int(npz, p, k)
            .expect(k)
            .iter()
            .next()
            .copied()
            .expect("scalar") as f64,
    }
}

fn load(path: &std::path::Path) -> Golden {
    let mut z = npy::open_npz(path).expect("open golden");
    let f2 = |z: &mut _, k: &str| {
        npy::npz_f64(z, path, k)
            .expect(k)
            .into_dimensionality::<Ix2>()
            .expect(k)
    };
    let f3 = |z: &mut _, k: &str| {
        npy::npz_f64(z, path, k)
            .expect(k)
            .into_dimensionality::<Ix3>()
            .expect(k)
    };
    let b = npy::npz_int(&mut z, path, "batches")
        .expect("batches")
        .into_dimensionality::<Ix2>()
        .expect("2-D");
    let batches = b
        .rows()
        .into_iter()
        .map(|r| r.iter().map(|&i| i as usize).collect())
        .collect();
    let saved = npy::npz_int(&mut z, path, "saved_epochs")
        .expect("saved")
        .iter()
        .map(|&e| e as usize)
        .collect();
    Golden {
        samples: f2(&mut z, "samples"),
        targets: f2(&mut z, "targets"),
        batches,
        init_m: f2(&mut z, "init_memories"),
        init_l: f2(&mut z, "init_labels"),
        saved,
        memories: f3(&mut z, "memories"),
        labels: f3(&mut z, "labels"),
        params: Params {
            n: scalar(&mut z, path, "n"),
            m: scalar(&mut z, path, "m"),
            temperature: scalar(&mut z, path, "temperature"),
        },
        rate: scalar(&mut z, path, "learning_rate"),
        momentum: scalar(&mut z, path, "momentum"),
    }
}

fn max_diff(a: ndarray::ArrayView2<f64>, b: ndarray::ArrayView2<f64>) -> f64 {
    a.iter()
        .zip(b.iter())
        .fold(0.0f64, |m, (x, y)| m.max((x - y).abs()))
}

/// Trains from the stored initial state with the library and compares every saved epoch.
fn check(path: &std::path::Path, threads: usize) {
    let g = load(path);
    let mut hyper = Hyper::paper(g.params);
    hyper.rate = g.rate;
    hyper.momentum = g.momentum;
    let mut tr = Trainer::new(
        Form::LabelWeighted,
        hyper,
        g.samples.clone(),
        g.targets.clone(),
        g.batches.clone(),
        0,
        waddington::linalg::par(threads),
    )
    .expect("trainer");
    let mut st = State::new(g.init_m.clone(), g.init_l.clone());
    let mut done = 0;
    for (i, &e) in g.saved.iter().enumerate() {
        while done < e {
            tr.epoch(&mut st, done);
            done += 1;
        }
        let dm = max_diff(st.memories.view(), g.memories.index_axis(ndarray::Axis(0), i));
        let dl = max_diff(st.labels.view(), g.labels.index_axis(ndarray::Axis(0), i));
        eprintln!(
            "{}: epoch {e}: max|ΔM| = {dm:.3e}, max|ΔL| = {dl:.3e}",
            path.display()
        );
        assert!(
            dm <= 1e-9 && dl <= 1e-9,
            "epoch {e}: ΔM = {dm:e}, ΔL = {dl:e} exceed 1e-9"
        );
    }
}

#[test]
fn golden_fixtures_are_reproduced_to_1e_9() {
    let Some(dir) = common::fixtures() else { return };
    let mut found = 0;
    for entry in std::fs::read_dir(&dir).expect("fixtures dir") {
        let p = entry.expect("entry").path();
        let name = p.file_name().and_then(|s| s.to_str()).unwrap_or("");
        if name.starts_with("golden-") && name.ends_with(".npz") {
            check(&p, 1);
            found += 1;
        }
    }
    assert!(found > 0, "no golden-*.npz in {}", dir.display());
}

#[test]
fn golden_fixture_with_two_threads() {
    let Some(dir) = common::fixtures() else { return };
    check(&dir.join("golden-n30-T670-K100.npz"), 2);
}
