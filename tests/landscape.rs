//! The Waddington analysis (`waddington::landscape`): α decomposition against constructed memories,
//! planted-split trajectories, learning order, canalisation, ensembles, run folders and the CLI.
//! Real-data checks on the reference 200 digits are in `tests/landscape_reference.rs`.

mod common;

use ndarray::{Array1, Array2, Array3, Axis, s};
use ndarray_npy::WriteNpyExt;
use rand::SeedableRng;
use rand_chacha::ChaCha12Rng;
use rand_distr::{Distribution, Normal};
use std::path::Path;
use waddington::landscape::{
    self, Options, Tolerance, alpha, canalisation, ensemble, identity, order, splits::CladeTracker,
};

fn gaussian(r: usize, c: usize, std: f64, seed: u64) -> Array2<f64> {
    let mut rng = ChaCha12Rng::seed_from_u64(seed);
    let n = Normal::new(0.0, std).unwrap();
    Array2::from_shape_fn((r, c), |_| n.sample(&mut rng))
}

#[test]
fn alpha_recovers_known_coefficients_and_splits_duplicates_equally() {
    let (p, d) = (12, 40);
    let mut x = gaussian(p, d, 1.0, 1);
    let digits: Vec<usize> = (0..p).map(|i| i / 2 % 10).collect();
    let coef = gaussian(5, p, 0.3, 2);
    let m = coef.dot(&x);
    let dec = alpha::Decomposition::new(x.view(), &digits).unwrap();
    let a = dec.alpha(m.view(), faer::Par::Seq);
    for (u, v) in a.iter().zip(coef.iter()) {
        assert!((u - v).abs() < 1e-10, "{u} vs {v}");
    }
    // class-aggregated α by a naive loop
    let ac = alpha::class_alpha(a.view(), &digits);
    for k in 0..5 {
        for c in 0..10 {
            let naive: f64 = (0..p).filter(|&q| digits[q] == c).map(|q| a[[k, q]]).sum();
            assert!((ac[[k, c]] - naive).abs() < 1e-12);
        }
        let mx = a.row(k).iter().fold(0.0f64, |m, v| m.max(v.abs()));
        assert_eq!(alpha::max_alpha(a.view())[k], mx);
    }
    // duplicated sample: minimum-norm solution gives both copies half the weight
    let row = x.row(3).to_owned();
    x.row_mut(7).assign(&row);
    let dec = alpha::Decomposition::new(x.view(), &digits).unwrap();
    let m1 = x.row(3).to_owned().insert_axis(Axis(0));
    let a1 = dec.alpha(m1.view(), faer::Par::Seq);
    assert!(
        (a1[[0, 3]] - 0.5).abs() < 1e-10 && (a1[[0, 7]] - 0.5).abs() < 1e-10,
        "{a1}"
    );
    assert!(
        a1.iter()
            .enumerate()
            .all(|(i, v)| i == 3 || i == 7 || v.abs() < 1e-10)
    );
}

#[test]
fn reconstruction_count_matches_a_naive_top_w_search() {
    let (p, d) = (30, 60);
    let x = gaussian(p, d, 1.0, 3);
    let coef = gaussian(8, p, 1.0, 4).mapv(|v: f64| v.powi(5));
    let m = coef.dot(&x);
    let digits = vec![0; p];
    let dec = alpha::Decomposition::new(x.view(), &digits).unwrap();
    let a = dec.alpha(m.view(), faer::Par::Seq);
    let tol = alpha::reconstruction_tolerance(m.view(), 0.05);
    let mean_abs = m.iter().map(|v| v.abs()).sum::<f64>() / m.len() as f64;
    assert!((tol - 0.05 * d as f64 * mean_abs).abs() < 1e-12);
    let counts = alpha::reconstruction_counts(m.view(), a.view(), x.view(), tol);
    for k in 0..8 {
        let mut idx: Vec<usize> = (0..p).collect();
        idx.sort_by(|&i, &j| a[[k, j]].abs().partial_cmp(&a[[k, i]].abs()).unwrap());
        let mut expect = p - 1;
        for w in 1..p {
            let r: Array1<f64> = idx[..w]
                .iter()
                .map(|&q| &x.row(q) * a[[k, q]])
                .fold(Array1::zeros(d), |s, v| s + v);
            let err: f64 = (&r - &m.row(k)).iter().map(|v| v.abs()).sum();
            if err < tol {
                expect = w;
                break;
            }
        }
        assert_eq!(counts[k], expect, "memory {k}");
    }
    // heavy-tailed coefficients: few samples suffice for most memories
    assert!(counts.iter().any(|&c| c < p - 1));
}

/// A synthetic trajectory with planted splits. All memories share a slowly drifting state plus
/// 1e-6 jitter; at `split_epoch` a group leaves its parent along its own direction with offset
/// `speed · (t − split_epoch + step)` (so the groups are > τ apart from `split_epoch` on, and < τ/2
/// apart before). Returns (epochs, memories E×K×D).
fn planted(k: usize, d: usize, epochs: &[usize], splits: &[(usize, Vec<usize>)], seed: u64) -> Array3<f64> {
    let drift = gaussian(1, d, 0.01, seed).row(0).to_owned();
    let jitter = gaussian(epochs.len() * k, d, 1e-6, seed + 1);
    let dirs = gaussian(splits.len(), d, 1.0, seed + 2);
    let mut m = Array3::zeros((epochs.len(), k, d));
    for (t, &e) in epochs.iter().enumerate() {
        for a in 0..k {
            let mut v = &drift * (e as f64 / 100.0) + jitter.row(t * k + a);
            for (s_i, (se, group)) in splits.iter().enumerate() {
                if group.contains(&a) && e >= *se {
                    let dir =
                        dirs.row(s_i).to_owned() / (dirs.row(s_i).dot(&dirs.row(s_i)) / d as f64).sqrt();
                    v = v + dir * (0.01 * ((e - se) as f64 + 10.0));
                }
            }
            m.slice_mut(s![t, a, ..]).assign(&v);
        }
    }
    m
}

fn labels_for(e: usize, k: usize, fate: &[usize]) -> Array3<f64> {
    Array3::from_shape_fn((e, k, 10), |(t, a, c)| {
        if c == fate[a] {
            -0.5 + 1.5 * t as f64 / (e - 1) as f64
        } else {
            -1.0
        }
    })
}

#[test]
fn planted_splits_are_recovered_exactly() {
    let (k, d) = (12, 50);
    let epochs: Vec<usize> = (0..=400).step_by(10).collect();
    // split 1 at 150: {6..11} leaves; split 2 at 300: {3,4,5} leaves {0..5}; split 3 at 300: {9,10,11}
    // and {6,7,8} split three ways... keep: {11} leaves {6..11} at 300 too (two splits in one record)
    let planted_splits = vec![
        (150, (6..12).collect::<Vec<_>>()),
        (300, vec![3, 4, 5]),
        (300, vec![11]),
    ];
    let m = planted(k, d, &epochs, &planted_splits, 7);
    let fate: Vec<usize> = (0..k)
        .map(|a| {
            if a < 3 {
                1
            } else if a < 6 {
                7
            } else {
                4
            }
        })
        .collect();
    let l = labels_for(epochs.len(), k, &fate);
    let x = gaussian(20, d, 1.0, 9);
    let digits: Vec<usize> = (0..20).map(|i| i % 10).collect();
    let tol = 0.05;
    let an = landscape::analyze_arrays(
        &epochs,
        m.view(),
        l.view(),
        x.view(),
        &digits,
        None,
        tol,
        Options::default(),
    )
    .unwrap();
    let sp = &an.tree.splits;
    assert_eq!(sp.len(), 3, "{sp:#?}");
    assert_eq!(sp[0].epoch, 150);
    let members = |id: usize| an.tree.nodes[id].members.clone();
    assert_eq!(members(sp[0].parent), (0..12).collect::<Vec<_>>());
    assert_eq!(
        sp[0].children.iter().map(|&c| members(c)).collect::<Vec<_>>(),
        vec![(0..6).collect::<Vec<_>>(), (6..12).collect()]
    );
    let mut later: Vec<(usize, Vec<Vec<usize>>)> = sp[1..]
        .iter()
        .map(|s| (s.epoch, s.children.iter().map(|&c| members(c)).collect()))
        .collect();
    later.sort();
    assert_eq!(later[0], (300, vec![vec![0, 1, 2], vec![3, 4, 5]]));
    assert_eq!(later[1], (300, vec![vec![6, 7, 8, 9, 10], vec![11]]));
    // node spans and the tree shape
    let root = an.tree.root().unwrap();
    assert_eq!(
        (an.tree.nodes[root].epoch_start, an.tree.nodes[root].epoch_end),
        (0, 140)
    );
    assert_eq!(an.tree.leaves(), 4);
    assert_eq!(an.tree.nodes.len(), 7);
    // clade array matches the membership of the leaves at the end
    let last = epochs.len() - 1;
    for n in an.tree.nodes.iter().filter(|n| n.children.is_empty()) {
        for &a in &n.members {
            assert_eq!(an.clade[[last, a]], n.id as i64);
        }
    }
    // fates and canalisation: memories with the same final identity travelled together
    assert_eq!(an.fate, fate);
    assert_eq!(an.committed_epoch[4], Some(150));
    assert_eq!(an.committed_epoch[1], Some(300));
    assert_eq!(an.committed_epoch[7], Some(300));
    assert_eq!(an.together_until_epoch[1], Some(400));
    assert_eq!(an.together_until_epoch[4], Some(290));
    assert!((an.mixed[0] - 1.0).abs() < 1e-12 && an.mixed[last] == 0.0);
    // Newick: root with two children, the first of them split again
    let nwk = an.tree.newick();
    assert!(
        nwk.starts_with("((n3_") && nwk.trim_end().ends_with(":150;"),
        "{nwk}"
    );
    assert!(an.report_with(true).contains("3 splits, 4 leaves"));
    // learning order without a model: first_memory_epoch only
    let lo: Vec<_> = an
        .learning_order
        .iter()
        .filter(|o| o.first_memory_epoch.is_some())
        .map(|o| o.class)
        .collect();
    assert_eq!(lo, vec![1, 4, 7]);
    assert!(an.recognition.is_none() && an.learning_order.iter().all(|o| o.learned_epoch.is_none()));
}

#[test]
fn three_way_split_and_no_split() {
    let (k, d) = (9, 30);
    let epochs: Vec<usize> = (0..=200).step_by(20).collect();
    let m = planted(k, d, &epochs, &[(100, vec![3, 4, 5]), (100, vec![6, 7, 8])], 11);
    let mut tr = CladeTracker::new(0.05);
    for t in 0..epochs.len() {
        tr.push(&landscape::splits::rms_distances_sq(
            m.index_axis(Axis(0), t),
            faer::Par::Seq,
        ));
    }
    assert_eq!(tr.splits.len(), 1);
    assert_eq!(tr.splits[0].frame, 5);
    assert_eq!(tr.splits[0].children.len(), 3);
    // no split: a single node
    let m = planted(k, d, &epochs, &[], 12);
    let l = labels_for(epochs.len(), k, &[2; 9]);
    let x = gaussian(10, d, 1.0, 1);
    let digits: Vec<usize> = (0..10).collect();
    let an = landscape::analyze_arrays(
        &epochs,
        m.view(),
        l.view(),
        x.view(),
        &digits,
        None,
        0.05,
        Options::default(),
    )
    .unwrap();
    assert_eq!(an.tree.nodes.len(), 1);
    assert!(an.tree.splits.is_empty());
    assert_eq!(an.tree.nodes[0].members.len(), 9);
    assert_eq!(an.tree.newick(), "n0_l2_k9:200;\n");
    assert!(an.clade.iter().all(|&c| c == 0));
    assert!(an.within_clade_dispersion.iter().all(|&v| v < 1e-5));
}

#[test]
fn spread_initial_state_gets_a_virtual_root() {
    let (k, d) = (4, 20);
    let epochs = vec![0, 10, 20];
    let mut m = Array3::zeros((3, k, d));
    for a in 0..k {
        m.slice_mut(s![.., a, a]).fill(1.0);
    }
    let mut tr = CladeTracker::new(0.05);
    for t in 0..3 {
        tr.push(&landscape::splits::rms_distances_sq(
            m.index_axis(Axis(0), t),
            faer::Par::Seq,
        ));
    }
    assert!(tr.clades[0].is_virtual);
    assert_eq!(tr.clades[0].children.len(), 4);
    assert_eq!(tr.splits.len(), 1);
    let _ = epochs;
}

#[test]
fn cloud_statistics_match_direct_computation() {
    let m = gaussian(7, 15, 1.0, 5);
    let dsq = landscape::splits::rms_distances_sq(m.view(), faer::Par::Seq);
    let members: Vec<usize> = (0..7).collect();
    let (msd, pr) = canalisation::cloud_stats(&members, &dsq);
    let mean = m.mean_axis(Axis(0)).unwrap();
    let c = &m - &mean;
    let direct_msd = c.iter().map(|v| v * v).sum::<f64>() / (7.0 * 15.0);
    assert!((msd - direct_msd).abs() < 1e-12, "{msd} {direct_msd}");
    // PR from the eigenvalues of the covariance: tr(C)²/‖C‖_F² with C = cᵀc
    let cov = c.t().dot(&c);
    let tr: f64 = (0..15).map(|i| cov[[i, i]]).sum();
    let fro: f64 = cov.iter().map(|v| v * v).sum();
    assert!((pr - tr * tr / fro).abs() < 1e-9, "{pr}");
    // deviation from the mean (L1)
    let dev = canalisation::deviation_from_mean(m.view());
    assert!((dev[2] - c.row(2).iter().map(|v| v.abs()).sum::<f64>()).abs() < 1e-12);
}

#[test]
fn learning_order_fixes_the_never_learned_bug_and_ranks_ties() {
    let epochs = vec![0, 10, 20, 30];
    // class 1 learned at 10, class 2 at 30, class 3 and 4 tie at 20, class 0 never, 5 already at 0
    let mut counts = Array2::<i64>::zeros((4, 10));
    counts.slice_mut(s![1.., 1]).fill(5);
    counts[[3, 2]] = 20;
    counts.slice_mut(s![2.., 3]).fill(6);
    counts.slice_mut(s![2.., 4]).fill(5);
    counts.slice_mut(s![.., 5]).fill(4); // 4 of 20: not learned (needs ≥ 5)
    counts[[0, 5]] = 20; // "recognised" by chance at the initial state only: still never learned
    counts.slice_mut(s![.., 6]).fill(20); // learned throughout: epoch 0
    counts.slice_mut(s![.., 0]).fill(4);
    let labels = Array3::from_shape_fn(
        (4, 3, 10),
        |(t, a, c)| if t >= 2 && a == 0 && c == 3 { 0.6 } else { 0.0 },
    );
    let sizes = vec![20, 20, 20, 20, 20, 20, 20, 0, 0, 0];
    let lo = order::learning_order(
        &epochs,
        |t| labels.index_axis(Axis(0), t),
        Some(counts.view()),
        &sizes,
        0.25,
        0.5,
    );
    let got: Vec<(usize, Option<usize>, Option<f64>)> =
        lo.iter().map(|o| (o.class, o.learned_epoch, o.rank)).collect();
    assert_eq!(
        got,
        vec![
            (6, Some(0), Some(1.0)),
            (1, Some(10), Some(2.0)),
            (3, Some(20), Some(3.5)),
            (4, Some(20), Some(3.5)),
            (2, Some(30), Some(5.0)),
            (0, None, Some(6.5)),
            (5, None, Some(6.5)),
        ]
    );
    assert_eq!(
        lo.iter().find(|o| o.class == 3).unwrap().first_memory_epoch,
        Some(20)
    );
    assert_eq!(lo.iter().find(|o| o.class == 1).unwrap().first_memory_epoch, None);
    assert_eq!(order::learned_threshold(20, 0.25), 5);
    assert_eq!(order::learned_threshold(21, 0.25), 6);
    // JSON: never is null, not 0
    let j = serde_json::to_string(&lo[5]).unwrap();
    assert!(
        j.contains("\"class\":0") && j.contains("\"learned_epoch\":null"),
        "{j}"
    );
}

#[test]
fn kendall_tau_matches_known_values() {
    assert_eq!(ensemble::kendall_tau_b(&[1., 2., 3., 4.], &[1., 2., 3., 4.]), 1.0);
    assert_eq!(
        ensemble::kendall_tau_b(&[1., 2., 3., 4.], &[4., 3., 2., 1.]),
        -1.0
    );
    // scipy.stats.kendalltau([1,2,3,4,5],[3,1,2,5,4]) = 0.4
    assert!((ensemble::kendall_tau_b(&[1., 2., 3., 4., 5.], &[3., 1., 2., 5., 4.]) - 0.4).abs() < 1e-12);
    // with ties: scipy.stats.kendalltau([1,1,2,3],[1,2,2,3]) = 0.8
    assert!((ensemble::kendall_tau_b(&[1., 1., 2., 3.], &[1., 2., 2., 3.]) - 0.8).abs() < 1e-12);
}

#[test]
fn recognition_uses_the_model_rule() {
    use waddington::dam::model::{self, Form, Params};
    let x = gaussian(20, 30, 1.0, 3).mapv(f64::tanh);
    let digits: Vec<usize> = (0..20).map(|i| i / 2).collect();
    let m = gaussian(6, 30, 0.5, 4);
    let l = gaussian(6, 10, 0.5, 5).mapv(f64::tanh);
    let params = Params {
        n: 3.0,
        m: 3.0,
        temperature: 2.0,
    };
    let r = identity::Recognizer {
        form: Form::LabelWeighted,
        params,
    };
    let got = r.counts(m.view(), l.view(), x.view(), &digits, faer::Par::Seq);
    let s = model::label_weighted_outputs(m.view(), l.view(), x.view(), &params, faer::Par::Seq);
    let mut expect = vec![0; 10];
    for p in 0..20 {
        let row = s.row(p);
        let best = (0..10).fold(0, |b, c| if row[c] > row[b] { c } else { b });
        if best == digits[p] && row[best] > -1.0 {
            expect[digits[p]] += 1;
        }
    }
    assert_eq!(got, expect);
}

fn write_run_folder(
    dir: &Path,
    epochs: &[usize],
    m: &Array3<f64>,
    l: &Array3<f64>,
    x: &Array2<f64>,
    digits: &[usize],
) {
    std::fs::create_dir_all(dir).unwrap();
    let cfg = waddington::config::RunConfig::default();
    std::fs::write(dir.join("config.toml"), cfg.to_toml()).unwrap();
    x.write_npy(std::fs::File::create(dir.join("samples.npy")).unwrap())
        .unwrap();
    waddington::data::targets_for(digits)
        .write_npy(std::fs::File::create(dir.join("targets.npy")).unwrap())
        .unwrap();
    let mut w = ndarray_npy::NpzWriter::new(std::fs::File::create(dir.join("trajectory.npz")).unwrap());
    let e: Array1<i64> = epochs.iter().map(|&v| v as i64).collect();
    w.add_array("epochs", &e).unwrap();
    w.add_array("memories", m).unwrap();
    w.add_array("labels", l).unwrap();
    w.finish().unwrap();
}

#[test]
fn run_folder_streaming_equals_arrays_and_outputs_are_complete() {
    let (k, d) = (10, 784);
    let epochs: Vec<usize> = (0..=300).step_by(10).collect();
    let m = planted(k, d, &epochs, &[(100, (5..10).collect())], 21).mapv(|v| v - 0.003);
    let fate: Vec<usize> = (0..k)
        .map(|a| {
            if a < 5 {
                1
            } else if a < 8 {
                7
            } else {
                9
            }
        })
        .collect();
    let l = labels_for(epochs.len(), k, &fate);
    let x = gaussian(20, d, 0.5, 22).mapv(f64::tanh);
    let digits: Vec<usize> = (0..20).map(|i| i / 2).collect();
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    write_run_folder(&run, &epochs, &m, &l, &x, &digits);
    let opts = Options {
        chunk: 7,
        ..Options::default()
    };
    let a = landscape::analyze_run_dir(&run, &opts).unwrap();
    let cfg = waddington::config::RunConfig::default();
    let rec = identity::Recognizer {
        form: cfg.model.form,
        params: cfg.params(),
    };
    let b = landscape::analyze_arrays(
        &epochs,
        m.view(),
        l.view(),
        x.view(),
        &digits,
        Some(rec),
        10.0 * 0.005,
        Options::default(),
    )
    .unwrap();
    assert_eq!(a.alpha, b.alpha);
    assert_eq!(a.recognition, b.recognition);
    assert_eq!(a.tree, b.tree);
    assert_eq!(a.tree.splits.len(), 1);
    assert_eq!(a.tree.splits[0].epoch, 100);
    // outputs
    landscape::io::analyze_and_write(&run, &opts, None, false).unwrap();
    let out = run.join("analysis");
    for f in [
        "summary.json",
        "landscape.npz",
        "tree.json",
        "tree.nwk",
        "tree.csv",
        "report.txt",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["learning_order"].as_array().unwrap().len(), 10);
    assert!(summary["learning_order"][0].get("first_memory_epoch").is_some());
    assert!(summary["learning_order"][0].get("learned_epoch").is_some());
    assert_eq!(summary["splits"][0]["epoch"], 100);
    let mut npz =
        ndarray_npy::NpzReader::new(std::fs::File::open(out.join("landscape.npz")).unwrap()).unwrap();
    let alpha: Array3<f64> = npz.by_name("alpha").unwrap();
    assert_eq!(alpha.dim(), (31, 10, 20));
    let ac: Array3<f64> = npz.by_name("alpha_class").unwrap();
    assert_eq!(ac.dim(), (31, 10, 10));
    let id: Array2<i64> = npz.by_name("identity").unwrap();
    assert_eq!(id.dim(), (31, 10));
    let rc: Array2<i64> = npz.by_name("recognition").unwrap();
    assert_eq!(rc.dim(), (31, 10));
    let ma: Array2<f64> = npz.by_name("max_alpha").unwrap();
    assert_eq!(ma.dim(), (31, 10));
    let rcount: Array1<i64> = npz.by_name("reconstruction_count").unwrap();
    assert_eq!(rcount.len(), 10);
    // never overwritten without the flag
    let before = std::fs::read(out.join("summary.json")).unwrap();
    let err = landscape::io::analyze_and_write(&run, &opts, None, false).unwrap_err();
    assert!(err.to_string().contains("--force"), "{err}");
    assert_eq!(std::fs::read(out.join("summary.json")).unwrap(), before);

    // ensembles through the CLI: two replicate folders (the second a relabelled copy)
    let run2 = tmp.path().join("run2");
    write_run_folder(&run2, &epochs, &m, &l, &x, &digits);
    let ens = tmp.path().join("ens");
    let o = common::bin()
        .arg("analyze")
        .arg(&run)
        .arg(&run2)
        .output()
        .unwrap();
    assert!(!o.status.success() && String::from_utf8_lossy(&o.stderr).contains("--out"));
    let o = common::bin()
        .arg("analyze")
        .arg(&run)
        .arg(&run2)
        .arg("--out")
        .arg(&ens)
        .arg("--overwrite")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let e: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(ens.join("ensemble.json")).unwrap()).unwrap();
    assert_eq!(e["mean_tree_agreement"], 1.0);
    assert_eq!(e["runs"].as_array().unwrap().len(), 2);
    let mut npz =
        ndarray_npy::NpzReader::new(std::fs::File::open(ens.join("ensemble.npz")).unwrap()).unwrap();
    let f: Array3<f64> = npz.by_name("fate_given_state").unwrap();
    assert_eq!(f.dim(), (31, 10, 10));
}

#[test]
fn bad_run_folders_are_reported_by_name() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    let epochs = vec![0, 10];
    let m = Array3::<f64>::zeros((2, 3, 784));
    let l = Array3::<f64>::zeros((2, 3, 9)); // wrong: 9 labels
    let x = gaussian(10, 784, 0.5, 1);
    let digits: Vec<usize> = (0..10).collect();
    write_run_folder(&run, &epochs, &m, &l, &x, &digits);
    let o = common::bin().arg("analyze").arg(&run).output().unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("labels") && err.contains("trajectory.npz"), "{err}");
    assert!(!run.join("analysis").exists());
    // missing folder
    let o = common::bin()
        .arg("analyze")
        .arg(tmp.path().join("nope"))
        .output()
        .unwrap();
    assert!(!o.status.success() && String::from_utf8_lossy(&o.stderr).contains("config.toml"));
    // bad tolerance
    let l = Array3::<f64>::zeros((2, 3, 10));
    write_run_folder(&run, &epochs, &m, &l, &x, &digits);
    let o = common::bin()
        .arg("analyze")
        .arg(&run)
        .arg("--tolerance=-1")
        .output()
        .unwrap();
    assert!(!o.status.success() && String::from_utf8_lossy(&o.stderr).contains("tolerance"));
    let _ = Tolerance::Absolute(1.0);
}

#[test]
fn a_continuously_spreading_cloud_splits_when_wider_than_two_tolerances() {
    // 20 memories on a line with gaps g(t) = 0.0005·t/10 (RMS), the gap between 9 and 10 1.5× wider:
    // no gap ever reaches τ = 0.05, but the diameter 19.5·g exceeds 2τ first at t = 110.
    let (k, d) = (20, 16);
    let epochs: Vec<usize> = (0..=150).step_by(10).collect();
    let dir = Array1::from_elem(d, 1.0); // unit RMS
    let mut tr = CladeTracker::new(0.05);
    let mut chain = CladeTracker::with_diameter(0.05, f64::INFINITY);
    for &e in &epochs {
        let g = 0.0005 * e as f64 / 10.0;
        let m = Array2::from_shape_fn((k, d), |(a, i)| {
            let pos = if a <= 9 { a as f64 } else { a as f64 + 0.5 };
            -0.003 + pos * g * dir[i]
        });
        let dsq = landscape::splits::rms_distances_sq(m.view(), faer::Par::Seq);
        tr.push(&dsq);
        chain.push(&dsq);
    }
    assert!(chain.splits.is_empty(), "single linkage alone chains the cloud");
    assert_eq!(tr.splits.len(), 1);
    assert_eq!(epochs[tr.splits[0].frame], 110);
    let kids: Vec<Vec<usize>> = tr.splits[0]
        .children
        .iter()
        .map(|&c| tr.clades[c].members.clone())
        .collect();
    assert_eq!(kids, vec![(0..10).collect::<Vec<_>>(), (10..20).collect()]);
}
