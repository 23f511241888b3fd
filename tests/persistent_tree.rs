//! The persistent split tree on a real run (the demo: K = 100, n = 30, T = 670, 3 500 epochs
//! recorded every 10, the embedded digits): its major splits (children each ≥ 10 % of the
//! memories) keep their membership (Jaccard ≥ 0.8) and their epochs (within max(30, 10 %)) when the
//! clade tolerance is scaled by 0.67 or 1.5 and when only every second record (every 20 epochs)
//! is analysed (issue 18's stability requirement).

mod common;

use common::bin;
use ndarray::Axis;
use waddington::landscape::persistent::SplitSummary;
use waddington::landscape::{Options, analyze_arrays};
use waddington::run_folder::RunFolder;

/// Members of the smallest child of a split (identifies the split).
fn smallest_child(
    sp: &SplitSummary,
    nodes: &waddington::landscape::persistent::PersistentTree,
) -> Vec<usize> {
    sp.children
        .iter()
        .map(|&c| nodes.nodes[c].members.clone())
        .min_by_key(|m| m.len())
        .unwrap_or_default()
}

/// |A ∩ B| / |A ∪ B|.
fn jaccard(a: &[usize], b: &[usize]) -> f64 {
    let inter = a.iter().filter(|x| b.contains(x)).count();
    inter as f64 / (a.len() + b.len() - inter) as f64
}

#[test]
fn major_splits_do_not_move_with_the_tolerance_or_the_record_interval() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let run = tmp.path().join("demo");
    let out = bin()
        .args(["demo", "--threads", "1", "--out"])
        .arg(&run)
        .output()
        .expect("demo");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let folder = RunFolder::open(&run).expect("open");
    let set = folder.training_set().expect("set");
    let mut traj = folder.trajectory().expect("trajectory");
    let epochs = traj.epochs().to_vec();
    let memories = traj.memories().expect("memories");
    let labels = traj.labels().clone();
    the_demo_explains_every_split_by_its_saddle_and_splitting_mode(&run);
    let tau = 0.05;
    let analyse = |every: usize, tol: f64| {
        let idx: Vec<usize> = (0..epochs.len()).step_by(every).collect();
        let ep: Vec<usize> = idx.iter().map(|&i| epochs[i]).collect();
        let m = memories.select(Axis(0), &idx);
        let l = labels.select(Axis(0), &idx);
        let a = analyze_arrays(
            &ep,
            m.view(),
            l.view(),
            set.samples.view(),
            &set.digits,
            None,
            tol,
            Options::default(),
        )
        .expect("analysis");
        a.persistent_splits
            .iter()
            .filter(|s| s.major)
            .map(|sp| (sp.epoch, smallest_child(sp, &a.persistent)))
            .collect::<Vec<(f64, Vec<usize>)>>()
    };
    let reference = analyse(1, tau);
    let show: Vec<String> = reference
        .iter()
        .map(|(e, m)| format!("{e:.0} ({} memories)", m.len()))
        .collect();
    eprintln!("records every 10, τ = {tau}: major splits at {}", show.join(", "));
    assert!(
        reference.len() >= 2,
        "the demo has at least two major splits: {reference:?}"
    );
    for (every, scale) in [(1, 0.67), (1, 1.5), (2, 1.0), (2, 0.67), (2, 1.5)] {
        let other = analyse(every, tau * scale);
        let show: Vec<String> = other
            .iter()
            .map(|(e, m)| format!("{e:.0} ({} memories)", m.len()))
            .collect();
        eprintln!(
            "records every {}, τ = {:.4}: major splits at {}",
            10 * every,
            tau * scale,
            show.join(", ")
        );
        assert_eq!(
            other.len(),
            reference.len(),
            "every {every}, τ×{scale}: {other:?} vs {reference:?}"
        );
        for ((e0, m0), (e1, m1)) in reference.iter().zip(&other) {
            let j = jaccard(m0, m1);
            assert!(
                j >= 0.8,
                "every {every}, τ×{scale}: Jaccard {j} of {m0:?} and {m1:?}"
            );
            let within = 30f64.max(0.1 * e0);
            assert!(
                (e0 - e1).abs() <= within,
                "every {every}, τ×{scale}: split at {e1} vs {e0}"
            );
        }
    }
}

/// The demo's analysis explains every persistent split: the saddle record, the mean labels, the
/// splitting matrix and the training rule's splitting mode in `summary.json`, and the saddle and
/// children images and speed curves in `saddles.npz`; the first major split (1s leave the rest)
/// is predicted by the mode's direction (|cos| ≥ 0.8 with the observed separation) far better
/// than by the loss curvature.
fn the_demo_explains_every_split_by_its_saddle_and_splitting_mode(run: &std::path::Path) {
    use ndarray::{Array1, Array2};
    use ndarray_npy::NpzReader;
    let text = std::fs::read_to_string(run.join("analysis/summary.json")).expect("summary");
    let s: serde_json::Value = serde_json::from_str(&text).expect("json");
    let splits = s["persistent_splits"].as_array().expect("persistent_splits");
    assert!(!splits.is_empty());
    let epochs: Vec<f64> = splits.iter().map(|p| p["epoch"].as_f64().unwrap()).collect();
    for p in splits {
        let sd = &p["saddle"];
        let saddle = sd["epoch"].as_f64().expect("saddle.epoch");
        assert!(saddle <= p["epoch"].as_f64().unwrap() && saddle <= sd["apart_epoch"].as_f64().unwrap());
        assert_eq!(sd["labels"].as_array().unwrap().len(), 10);
        let g = sd["mode"]["growth_per_epoch"].as_f64().expect("mode");
        assert!(g.is_finite() && g > 0.0);
        let sm = &sd["splitting_matrix"];
        assert!(sm["lambda_max_abs"].as_f64().unwrap() >= sm["lambda_min"].as_f64().unwrap().abs());
        for c in [&sd["mode"]["cosine_observed"], &sm["cosine_observed"]] {
            assert!((0.0..=1.0).contains(&c.as_f64().unwrap()));
        }
    }
    let first_major = splits
        .iter()
        .find(|p| p["major"].as_bool() == Some(true))
        .expect("a major split");
    let mode_cos = first_major["saddle"]["mode"]["cosine_observed"].as_f64().unwrap();
    let s_cos = first_major["saddle"]["splitting_matrix"]["cosine_observed"]
        .as_f64()
        .unwrap();
    eprintln!("first major split: mode |cos| {mode_cos:.3}, splitting matrix |cos| {s_cos:.3}");
    assert!(mode_cos >= 0.8 && mode_cos > s_cos, "mode {mode_cos}, S {s_cos}");
    let mut npz = NpzReader::new(std::fs::File::open(run.join("analysis/saddles.npz")).unwrap()).unwrap();
    let mem: Array2<f64> = npz.by_name("saddle_memory").unwrap();
    let child: Array2<f64> = npz.by_name("child_memory").unwrap();
    let cs: Array1<i64> = npz.by_name("child_split").unwrap();
    let speed: Array2<f64> = npz.by_name("split_speed").unwrap();
    let se: Array1<f64> = npz.by_name("split_epoch").unwrap();
    assert_eq!(mem.dim(), (splits.len(), 784));
    assert_eq!(child.nrows(), cs.len());
    assert!(cs.iter().all(|&i| (i as usize) < splits.len()));
    assert_eq!(speed.nrows(), splits.len());
    assert_eq!(se.len(), epochs.len());
    assert!(
        se.iter()
            .zip(&epochs)
            .all(|(a, b)| (a - b).abs() < 1e-9 * b.abs())
    );
    // the saddle image is the mean of memories bounded in [−1, 1]
    assert!(mem.iter().all(|v| v.abs() <= 1.0 + 1e-12));
    // the lineage figure: PNG and SVG, the SVG holding one image per saddle and leaf
    let png = std::fs::read(run.join("analysis/lineage.png")).expect("lineage.png");
    assert!(png.starts_with(b"\x89PNG") && png.len() > 20_000);
    let svg = std::fs::read_to_string(run.join("analysis/lineage.svg")).expect("lineage.svg");
    assert!(svg.contains("Persistent split tree") && svg.contains("final identity"));
}
