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
