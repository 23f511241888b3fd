//! The trainer against independent computations: a naive per-sample loop written from the spec's
//! formulas (§1.4, §2.2 and `krotov-2016.md`), extreme powers, thread independence, resume.
#![allow(clippy::too_many_arguments, clippy::needless_range_loop)]

use ndarray::{Array2, s};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal, Uniform};
use waddington::config::{Bound, RunConfig};
use waddington::dam::model::{Form, Params};
use waddington::dam::run;
use waddington::dam::train::{Hyper, State, Trainer, consecutive_batches};
use waddington::run_folder::{Trajectory, read_checkpoint};

fn random_matrix(r: usize, c: usize, lo: f64, hi: f64, seed: u64) -> Array2<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let u = Uniform::new(lo, hi).expect("range");
    Array2::from_shape_fn((r, c), |_| u.sample(&mut rng))
}

fn targets(p: usize, c: usize) -> Array2<f64> {
    Array2::from_shape_fn((p, c), |(i, j)| if i % c == j { 1.0 } else { -1.0 })
}

fn max_abs(v: &[f64]) -> f64 {
    v.iter().fold(0.0f64, |m, x| m.max(x.abs()))
}

/// The label-weighted rule, one sample at a time, with the true gradients of spec §1.4
/// (β = T^−n, F_n(a) = max(a,0)^n) and the update of §2.2. Small n only (no overflow here).
fn naive_label_weighted_step(
    m: &mut Array2<f64>,
    l: &mut Array2<f64>,
    vm: &mut Array2<f64>,
    vl: &mut Array2<f64>,
    x: &Array2<f64>,
    t: &Array2<f64>,
    batch: &[usize],
    p: Params,
    rate: f64,
    mu: f64,
) {
    let (k, c, npix) = (m.nrows(), l.ncols(), m.ncols());
    let beta = p.temperature.powf(-p.n);
    let mut gm = Array2::<f64>::zeros((k, npix));
    let mut gl = Array2::<f64>::zeros((k, c));
    for &i in batch {
        let xi = x.row(i);
        let a: Vec<f64> = (0..k).map(|aa| m.row(aa).dot(&xi)).collect();
        let f = |v: f64, e: f64| if v > 0.0 { v.powf(e) } else { 0.0 };
        for cc in 0..c {
            let z: f64 = (0..k).map(|aa| l[[aa, cc]] * beta * f(a[aa], p.n)).sum();
            let sc = z.tanh();
            let e = sc - t[[i, cc]];
            let q = e.signum() * e.abs().powf(2.0 * p.m - 1.0) * (1.0 - sc * sc);
            for aa in 0..k {
                gl[[aa, cc]] += 2.0 * p.m * beta * q * f(a[aa], p.n);
                let coef = 2.0 * p.n * p.m * beta * q * l[[aa, cc]] * f(a[aa], p.n - 1.0);
                for j in 0..npix {
                    gm[[aa, j]] += coef * xi[j];
                }
            }
        }
    }
    for aa in 0..k {
        for (g, v, w, clip) in [(&gl, &mut *vl, &mut *l, true), (&gm, &mut *vm, &mut *m, false)] {
            let gr: Vec<f64> = g.row(aa).to_vec();
            let gmax = max_abs(&gr);
            for j in 0..gr.len() {
                let gh = if gmax > 0.0 { gr[j] / gmax } else { 0.0 };
                v[[aa, j]] = mu * v[[aa, j]] - gh;
            }
            let vmax = max_abs(&v.row(aa).to_vec());
            for j in 0..gr.len() {
                let u = if vmax > 0.0 { v[[aa, j]] / vmax } else { 0.0 };
                w[[aa, j]] += rate * u;
                if clip {
                    w[[aa, j]] = w[[aa, j]].clamp(-1.0, 1.0);
                }
            }
            if !clip {
                let mx = max_abs(&w.row(aa).to_vec()).max(1.0);
                for j in 0..gr.len() {
                    w[[aa, j]] /= mx;
                }
            }
        }
    }
}

#[test]
fn batched_label_weighted_trainer_matches_a_naive_per_sample_loop() {
    let (k, p, npix, c) = (7, 12, 30, 10);
    let x = random_matrix(p, npix, -1.0, 1.0, 1);
    let t = targets(p, c);
    let m0 = random_matrix(k, npix, -0.3, 0.5, 2);
    let l0 = random_matrix(k, c, -0.5, 0.5, 3);
    for (params, mu, batches) in [
        (
            Params {
                n: 3.0,
                m: 3.0,
                temperature: 4.0,
            },
            0.0,
            1,
        ),
        (
            Params {
                n: 4.5,
                m: 2.0,
                temperature: 5.0,
            },
            0.6,
            3,
        ),
        (
            Params {
                n: 2.0,
                m: 1.5,
                temperature: 3.0,
            },
            0.3,
            2,
        ),
    ] {
        let b = consecutive_batches(p, batches).expect("batches");
        let mut hy = Hyper::paper(params);
        hy.rate = 0.01;
        hy.momentum = mu;
        let mut tr = Trainer::new(
            Form::LabelWeighted,
            hy,
            x.clone(),
            t.clone(),
            b.clone(),
            0,
            faer::Par::Seq,
        )
        .expect("trainer");
        let mut st = State::new(m0.clone(), l0.clone());
        let (mut m, mut l) = (m0.clone(), l0.clone());
        let (mut vm, mut vl) = (Array2::zeros(m.raw_dim()), Array2::zeros(l.raw_dim()));
        for e in 0..6 {
            tr.epoch(&mut st, e);
            for bb in &b {
                naive_label_weighted_step(&mut m, &mut l, &mut vm, &mut vl, &x, &t, bb, params, 0.01, mu);
            }
        }
        let dm = (&st.memories - &m).iter().fold(0.0f64, |a, v| a.max(v.abs()));
        let dl = (&st.labels - &l).iter().fold(0.0f64, |a, v| a.max(v.abs()));
        assert!(
            dm < 1e-12 && dl < 1e-12,
            "{params:?} μ={mu}: ΔM = {dm:e}, ΔL = {dl:e}"
        );
        assert!(dm + dl > 0.0 || st.memories != m0, "the state must move");
    }
}

/// Krotov–Hopfield 2016, one sample and one class at a time with explicit 794-long v± vectors.
fn naive_krotov_step(
    xi: &mut Array2<f64>,
    vel: &mut Array2<f64>,
    x: &Array2<f64>,
    t: &Array2<f64>,
    batch: &[usize],
    p: Params,
    rate: f64,
    mu: f64,
) {
    let (k, d) = (xi.nrows(), xi.ncols());
    let c = t.ncols();
    let npix = d - c;
    let f = |v: f64, e: f64| if v > 0.0 { (v / p.temperature).powf(e) } else { 0.0 };
    let mut dsum = Array2::<f64>::zeros((k, d));
    for &i in batch {
        let vminus: Vec<f64> = x
            .row(i)
            .iter()
            .copied()
            .chain(std::iter::repeat_n(-1.0, c))
            .collect();
        for a in 0..c {
            let mut vplus = vminus.clone();
            vplus[npix + a] = 1.0;
            let mut z = 0.0;
            for aa in 0..k {
                let dp: f64 = (0..d).map(|j| xi[[aa, j]] * vplus[j]).sum();
                let dm: f64 = (0..d).map(|j| xi[[aa, j]] * vminus[j]).sum();
                z += f(dp, p.n) - f(dm, p.n);
            }
            let ca = z.tanh();
            let e = t[[i, a]] - ca;
            let w = e.signum() * e.abs().powf(2.0 * p.m - 1.0) * (1.0 - ca * ca);
            for aa in 0..k {
                let dp: f64 = (0..d).map(|j| xi[[aa, j]] * vplus[j]).sum();
                let dm: f64 = (0..d).map(|j| xi[[aa, j]] * vminus[j]).sum();
                for j in 0..d {
                    dsum[[aa, j]] += w * (f(dp, p.n - 1.0) * vplus[j] - f(dm, p.n - 1.0) * vminus[j]);
                }
            }
        }
    }
    for aa in 0..k {
        for j in 0..d {
            vel[[aa, j]] = mu * vel[[aa, j]] + dsum[[aa, j]];
        }
        let norm = max_abs(&vel.row(aa).to_vec()).max(1e-30);
        for j in 0..d {
            xi[[aa, j]] = (xi[[aa, j]] + rate * vel[[aa, j]] / norm).clamp(-1.0, 1.0);
        }
    }
}

#[test]
fn krotov_2016_trainer_matches_a_naive_per_sample_loop() {
    let (k, p, npix, c) = (5, 10, 20, 10);
    let x = random_matrix(p, npix, -1.0, 1.0, 4);
    let t = targets(p, c);
    let m0 = random_matrix(k, npix, -0.2, 0.6, 5);
    let l0 = random_matrix(k, c, -0.5, 0.5, 6);
    let params = Params {
        n: 3.0,
        m: 2.0,
        temperature: 2.0,
    };
    let b = consecutive_batches(p, 2).expect("batches");
    let mut hy = Hyper::paper(params);
    hy.rate = 0.02;
    hy.momentum = 0.6;
    hy.shuffle = false;
    let mut tr = Trainer::new(
        Form::Krotov2016,
        hy,
        x.clone(),
        t.clone(),
        b.clone(),
        0,
        faer::Par::Seq,
    )
    .expect("trainer");
    let mut st = State::new(m0.clone(), l0.clone());
    let mut xi = ndarray::concatenate![ndarray::Axis(1), m0, l0];
    let mut vel = Array2::zeros(xi.raw_dim());
    for e in 0..5 {
        tr.epoch(&mut st, e);
        for bb in &b {
            naive_krotov_step(&mut xi, &mut vel, &x, &t, bb, params, 0.02, 0.6);
        }
    }
    let dm = (&st.memories - &xi.slice(s![.., ..npix]))
        .iter()
        .fold(0.0f64, |a, v| a.max(v.abs()));
    let dl = (&st.labels - &xi.slice(s![.., npix..]))
        .iter()
        .fold(0.0f64, |a, v| a.max(v.abs()));
    assert!(dm < 1e-12 && dl < 1e-12, "ΔM = {dm:e}, ΔL = {dl:e}");
}

fn small_config(n: f64, epochs: usize) -> RunConfig {
    let mut c = RunConfig::default();
    c.model.memories = 12;
    c.model.n = n;
    c.data.per_class = 3;
    c.train.epochs = epochs;
    c.train.save_every = 5;
    c.train.checkpoint_every = 7;
    c
}

fn no_progress() -> impl FnMut(usize, usize) -> bool {
    |_, _| true
}

#[test]
fn extreme_powers_stay_finite_and_learn() {
    for (n, temp) in [(100.0, 670.0), (1.5, 670.0), (1.0, 300.0), (100.0, 400.0)] {
        let dir = tempfile::tempdir().expect("tmp");
        let mut c = small_config(n, 40);
        c.model.temperature = temp;
        let s = run::run(&c, &dir.path().join("r"), &mut no_progress()).expect("run");
        let (_, m, l) = Trajectory::open(&dir.path().join("r"))
            .and_then(Trajectory::into_arrays)
            .expect("trajectory");
        assert!(
            m.iter().chain(l.iter()).all(|v| v.is_finite()),
            "n = {n}, T = {temp}: non-finite state"
        );
        assert!(s.train.accuracy.is_finite());
    }
}

#[test]
fn results_are_bit_identical_for_one_and_two_threads() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut c = small_config(30.0, 12);
    c.model.memories = 100;
    c.data.per_class = 20;
    c.threads = 1;
    run::run(&c, &dir.path().join("t1"), &mut no_progress()).expect("run 1");
    c.threads = 2;
    run::run(&c, &dir.path().join("t2"), &mut no_progress()).expect("run 2");
    let a = std::fs::read(dir.path().join("t1/trajectory.npz")).expect("read");
    let b = std::fs::read(dir.path().join("t2/trajectory.npz")).expect("read");
    assert!(a == b, "trajectories differ between 1 and 2 threads");
}

#[test]
fn resume_after_interruption_equals_an_uninterrupted_run() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut c = small_config(20.0, 33);
    c.train.noise_std = 1e-4;
    c.train.noise_epochs = vec![3, 15, 20];
    c.train.momentum = 0.5;
    run::run(&c, &dir.path().join("whole"), &mut no_progress()).expect("whole run");
    let part = dir.path().join("part");
    let mut stop = |done: usize, _| done < 17;
    let err = run::run(&c, &part, &mut stop).expect_err("must stop");
    assert!(matches!(err, waddington::Error::Interrupted(17)), "{err}");
    assert!(!part.join("summary.json").exists());
    // a second interruption, then the rest
    let mut stop2 = |done: usize, _| done < 26;
    assert!(run::resume(&part, &mut stop2).is_err());
    run::resume(&part, &mut no_progress()).expect("resume");
    let a = std::fs::read(dir.path().join("whole/trajectory.npz")).expect("read");
    let b = std::fs::read(part.join("trajectory.npz")).expect("read");
    assert!(a == b, "trajectory.npz differs after resume");
    let s1 = read_checkpoint(&dir.path().join("whole/checkpoint.npz"))
        .expect("ck")
        .state;
    let s2 = read_checkpoint(&part.join("checkpoint.npz")).expect("ck").state;
    assert_eq!(s1, s2, "final states (with velocities) differ after resume");
    let (_, m1, _) = Trajectory::open(&dir.path().join("whole"))
        .and_then(Trajectory::into_arrays)
        .expect("t");
    let (_, m2, _) = Trajectory::open(&part)
        .and_then(Trajectory::into_arrays)
        .expect("t");
    assert_eq!(m1, m2);
}

#[test]
fn recorded_epochs_follow_the_fixture_convention() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut c = small_config(10.0, 12);
    c.train.save_epochs = Some(vec![0, 1, 4, 12]);
    c.train.bound = Bound::Clip;
    let out = dir.path().join("r");
    run::run(&c, &out, &mut no_progress()).expect("run");
    let (epochs, m, l) = Trajectory::open(&out)
        .and_then(Trajectory::into_arrays)
        .expect("trajectory");
    assert_eq!(epochs, vec![0, 1, 4, 12]);
    // memories[i] is the state after epochs[i] completed epochs: replay with the library
    let prep = run::prepare(&c).expect("prepare");
    let mut tr = prep.trainer().expect("trainer");
    let mut st = prep.init.clone();
    let mut done = 0;
    for (i, &e) in epochs.iter().enumerate() {
        while done < e {
            tr.epoch(&mut st, done);
            done += 1;
        }
        assert_eq!(
            m.index_axis(ndarray::Axis(0), i),
            st.memories,
            "memories at epoch {e}"
        );
        assert_eq!(
            l.index_axis(ndarray::Axis(0), i),
            st.labels,
            "labels at epoch {e}"
        );
    }
}

#[test]
fn every_step_moves_each_memory_by_exactly_the_rate_in_max_norm() {
    // spec §6.10: with μ = 0 every memory with a non-zero gradient moves by exactly η in ∞-norm
    let x = random_matrix(10, 16, -1.0, 1.0, 8);
    let t = targets(10, 10);
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let nrm = Normal::new(0.1, 0.05).expect("normal");
    let m0 = Array2::from_shape_fn((4, 16), |_| nrm.sample(&mut rng));
    let l0 = Array2::from_shape_fn((4, 10), |_| nrm.sample(&mut rng));
    let params = Params {
        n: 3.0,
        m: 3.0,
        temperature: 2.0,
    };
    let mut hy = Hyper::paper(params);
    hy.rate = 0.01;
    let mut tr = Trainer::new(
        Form::LabelWeighted,
        hy,
        x,
        t,
        consecutive_batches(10, 1).expect("b"),
        0,
        faer::Par::Seq,
    )
    .expect("t");
    let mut st = State::new(m0.clone(), l0);
    tr.epoch(&mut st, 0);
    for a in 0..4 {
        let d = (&st.memories.row(a) - &m0.row(a))
            .iter()
            .fold(0.0f64, |q, v| q.max(v.abs()));
        assert!((d - 0.01).abs() < 1e-15, "memory {a} moved {d}");
    }
}
