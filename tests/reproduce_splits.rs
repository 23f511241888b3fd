//! `reproduce fig4|fig7|fig8` (paper Figs. 4, 7, 8): each figure at quick scale into a temporary
//! folder through the library — the report's numbers against the spec's facts (§6.5, §6.8, §6.9)
//! with thresholds written here, valid PNG figures, and a second call that reuses the finished
//! runs (their files untouched) and reports the same numbers — plus the paper-scale grids against
//! the spec's protocol tables (§4.0, §4.6, §4.10, §4.11) without running them.

mod common;

use common::reproduce::{options, value};
use std::path::{Path, PathBuf};
use std::time::SystemTime;
use waddington::config::DataConfig;
use waddington::reproduce::{self, Figure, Outcome, Scale, fig4, fig7, fig8};
use waddington::sweep::{Grid, Sweep};

fn text(o: &Outcome, key: &str) -> String {
    o.report
        .get(key)
        .unwrap_or_else(|| panic!("report has no check {key}"))
        .ours
        .clone()
}

/// A PNG file with a valid signature, IHDR size ≥ 300×300 and more than 10 kB.
fn assert_png(path: &Path) {
    let b = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(&b[..8], b"\x89PNG\r\n\x1a\n", "{}", path.display());
    assert_eq!(&b[12..16], b"IHDR");
    let w = u32::from_be_bytes([b[16], b[17], b[18], b[19]]);
    let h = u32::from_be_bytes([b[20], b[21], b[22], b[23]]);
    assert!(w >= 300 && h >= 300, "{}: {w}×{h}", path.display());
    assert!(b.len() > 10_000, "{}: only {} bytes", path.display(), b.len());
}

/// Modification times of every `summary.json` of every run under `runs/`.
fn run_stamps(dir: &Path) -> Vec<(PathBuf, SystemTime)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.join("runs")];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else { continue };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.file_name().is_some_and(|n| n == "summary.json") {
                let t = e.metadata().and_then(|m| m.modified()).expect("mtime");
                out.push((p, t));
            }
        }
    }
    out.sort();
    out
}

/// Run a figure twice: checks files, report.json, reuse and identical numbers; returns the outcome.
fn run_twice(fig: Figure, min_runs: usize) -> (tempfile::TempDir, Outcome) {
    let d = tempfile::tempdir().expect("tmp");
    let out = d.path().join(fig.name());
    let first = reproduce::reproduce(fig, options(&out)).expect("first call");
    for f in &first.files {
        assert!(f.exists(), "{}", f.display());
        if f.extension().is_some_and(|e| e == "png") {
            assert_png(f);
        }
    }
    assert!(
        first
            .files
            .iter()
            .any(|f| f.extension().is_some_and(|e| e == "png"))
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).expect("report.json"))
            .expect("json");
    assert_eq!(json["figure"], fig.name());
    assert_eq!(
        json["report"]["checks"].as_array().map(|a| a.len()),
        Some(first.report.checks.len())
    );
    assert!(
        std::fs::read_to_string(out.join("report.md"))
            .expect("report.md")
            .contains("| quantity |")
    );
    let stamps = run_stamps(&out);
    assert!(stamps.len() >= min_runs, "{} finished runs", stamps.len());
    let second = reproduce::reproduce(fig, options(&out)).expect("second call");
    assert_eq!(
        run_stamps(&out),
        stamps,
        "the second call must reuse the finished runs"
    );
    let ours = |o: &Outcome| {
        o.report
            .checks
            .iter()
            .map(|c| (c.key.clone(), c.ours.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(ours(&first), ours(&second));
    (d, second)
}

#[test]
fn fig4_quick_shows_sequential_splits_and_early_feature_splits() {
    let (_d, o) = run_twice(Figure::Fig4, 2);
    // §6.5: the last pair of classes separates well after the others (sequential splits).
    assert!(value(&o, "s147_n30_sequential_gap") >= 100.0);
    // §6.5: every class ends with memories (29/28/37 on the reference set).
    assert!(value(&o, "s147_n30_min_final_class_count") >= 5.0);
    // §6.5: n = 3 splits much earlier than n = 30 (360 vs 2 030).
    assert!(value(&o, "s147_split_epoch_ratio_n3_n30") <= 0.5);
    // §6.5: n = 3 is feature-like: more than one label ≥ 0.99 per memory (1.27) and signed ᾱ.
    assert!(value(&o, "s147_n3_labels_per_memory") > 1.0);
    assert!(value(&o, "s147_n3_min_alpha") < -0.1);
    let first = text(&o, "s147_n30_first_separated_class");
    assert!(first.contains("mixture"), "{first}");
}

/// Segments "B(n a–b) M(n c–d) …" of a saddle-pattern text, as B/M letters.
fn letters(s: &str) -> String {
    s.split_whitespace()
        .filter_map(|w| w.chars().next().filter(|c| *c == 'B' || *c == 'M'))
        .collect()
}

#[test]
fn fig7_quick_shows_bistable_monostable_bistable_saddles() {
    let (_d, o) = run_twice(Figure::Fig7, 12);
    // §6.8: at T = 800 the ICs reach different saddles at low and high n, the same in between.
    assert_eq!(letters(&text(&o, "saddles_T800_pattern")), "BMB");
    // §6.8: at T = 750 only the low-n range is bistable; at T = 550 every n is.
    assert_eq!(letters(&text(&o, "saddles_T750_pattern")), "BM");
    assert!(value(&o, "saddles_T550_bistable_fraction") >= 0.9);
    // §6.8 examples of the single saddle at T = 800: ᾱ_1 = 0.30 (n = 20), 0.95 (n = 50).
    assert!((value(&o, "saddle_T800_n20_alpha1") - 0.30).abs() <= 0.1);
    assert!((value(&o, "saddle_T800_n50_alpha1") - 0.95).abs() <= 0.1);
    // §6.8: strong IC dependence of the proportion of 1s at low n (0.64 vs 0.25), balance at
    // intermediate n (|gap| 0.02 at n = 35).
    assert!(value(&o, "proportion_T800_ic_gap_low_n") >= 0.15);
    assert!(value(&o, "proportion_T800_ic_gap_mid_n") <= 0.15);
    // §6.8: the IC dependence returns at the highest n (0.78 vs 0.30 at n = 55).
    assert!(value(&o, "proportion_T800_ic_gap_high_n") >= 0.15);
}

#[test]
fn fig8_quick_populations_fall_with_temperature_in_reverse_learning_order() {
    let (_d, o) = run_twice(Figure::Fig8, 7);
    // §6.9: 119 memories above 0.98 at T = 650 (one seed).
    let low = value(&o, "total_population_lowest_t");
    assert!((80.0..=160.0).contains(&low), "{low}");
    // §6.9: the total falls with T (to 17 at T_r 1.04).
    assert!(value(&o, "total_population_tau") <= -0.5);
    assert!(value(&o, "total_population_ratio") <= 0.5);
    // §6.9: class 0 disappears first, class 1 survives to the highest T.
    assert!(value(&o, "class0_disappearance_rank") <= 3.0);
    assert!(value(&o, "class1_population_highest_t") >= 1.0);
    // §6.9: disappearance ≈ reverse learning order.
    assert!(value(&o, "disappearance_vs_learning_order_tau") < 0.0);
}

/// The grid of a typed sweep; its grid file (for Slurm) must give the same points, ids and configs.
fn grid(sweep: &Sweep) -> Grid {
    let d = tempfile::tempdir().expect("tmp");
    let g = sweep.grid(&d.path().join("grid.toml"), d.path()).expect("grid");
    let text = sweep.to_toml().expect("grid file");
    let back = Grid::from_toml_str(&text, &d.path().join("grid.toml"), d.path()).expect("grid file parses");
    assert_eq!(back.name.as_deref(), Some(sweep.name.as_str()));
    assert_eq!(back.points, g.points);
    for (a, b) in back.points.iter().zip(&g.points) {
        assert_eq!(a.config, b.config);
    }
    g
}

fn digits(d: &[usize]) -> DataConfig {
    DataConfig {
        digits: d.to_vec(),
        ..DataConfig::default()
    }
}

#[test]
fn fig4_paper_protocol_is_the_spec_grid() {
    let p = fig4::protocol(Scale::Paper);
    assert_eq!((p.memories, p.temperature, p.epochs), (100, 800.0, 3500));
    assert_eq!(p.systems.len(), 2);
    let s = &p.systems[0];
    assert_eq!((s.digits, s.rate), ([1, 4, 7], 0.0035));
    assert_eq!(s.runs[0].0, 30.0);
    assert_eq!(s.runs[0].1, vec![200, 900, 1900, 2360, 3430]);
    assert_eq!(s.runs[0].2, (900, 3400));
    assert_eq!((s.runs[1].0, s.runs[1].2), (3.0, (0, 1400)));
    assert_eq!(s.runs[1].1, vec![200, 220, 300, 500, 3440]);
    let s = &p.systems[1];
    assert_eq!((s.digits, s.rate), ([1, 7, 9], 0.005));
    assert_eq!(
        (s.runs[0].1.clone(), s.runs[0].2),
        (vec![200, 440, 1070, 2390, 3430], (440, 2000))
    );
    let g = grid(&fig4::sweep(&p, &p.systems[0], digits(&[1, 4, 7]), 0));
    assert_eq!(g.points.len(), 2);
    for pt in &g.points {
        let c = &pt.config;
        assert_eq!(
            (c.model.memories, c.model.temperature, c.train.epochs),
            (100, 800.0, 3500)
        );
        assert_eq!(
            (c.train.rate, c.train.momentum, c.init.mean, c.init.std),
            (0.0035, 0.0, -0.003, 1e-5)
        );
        let rec = c.train.save_epochs.clone().expect("save_epochs");
        assert!(rec.contains(&3430) && rec.contains(&3500) && rec.contains(&0));
    }
    let ns: Vec<f64> = g.points.iter().map(|p| p.config.model.n).collect();
    assert_eq!(ns, vec![30.0, 3.0]);
}

#[test]
fn fig7_paper_protocol_is_the_spec_grid() {
    let p = fig7::protocol(Scale::Paper);
    let all: Vec<f64> = (2..=59).map(|n| n as f64).collect();
    assert_eq!(p.n_values, all);
    assert_eq!(p.temperatures, vec![550.0, 750.0, 800.0]);
    assert_eq!(
        (p.ics.clone(), p.repeats, p.epochs, p.memories, p.rate),
        (vec![1, 7, 8], 10, 10_001, 100, 0.01)
    );
    assert_eq!(p.saddle_epochs, 4_001);
    assert_eq!(p.saddle_ics, vec![1, 7]);
    assert_eq!(p.saddle_grid.len(), 3);
    for (t, ns) in &p.saddle_grid {
        assert!([550.0, 750.0, 800.0].contains(t));
        assert_eq!(ns, &all);
    }
    let labels: Vec<PathBuf> = (0..10).map(|r| PathBuf::from(format!("l{r}.npy"))).collect();
    let mut total = 0;
    for &ic in &p.ics {
        let g = grid(&fig7::sweep(
            &p,
            ic,
            digits(&[1, 7, 8]),
            "m.npy".into(),
            &labels,
            0,
        ));
        assert_eq!(g.points.len(), 10 * 58 * 3);
        for pt in g.points.iter().step_by(97) {
            let c = &pt.config;
            assert_eq!(
                (c.model.memories, c.train.epochs, c.train.rate),
                (100, 10_001, 0.01)
            );
            assert_eq!(c.train.save_epochs, Some(vec![0, 10_001]));
        }
        total += g.points.len();
    }
    // Spec §6.1: 58 n × 3 T × 3 ICs × 10 repeats = 5 220 runs.
    assert_eq!(total, 5_220);
    // The initial labels: ≈ +0.57 on the IC class, ≈ −0.63 elsewhere (spec §4.10).
    let l = fig7::ic_labels(100, 1, 9).expect("labels");
    assert!((l.column(1).mean().unwrap() - 0.57).abs() < 0.01);
    assert!((l.column(5).mean().unwrap() + 0.63).abs() < 0.01);
}

#[test]
fn fig8_paper_protocol_is_the_spec_grid() {
    let p = fig8::protocol(Scale::Paper);
    assert_eq!((p.memories, p.rate, p.epochs), (100, 0.005, 10_001));
    assert_eq!(p.main.n, 25.0);
    assert_eq!(p.main.temperatures.len(), 83);
    assert_eq!((p.main.temperatures[0], p.main.temperatures[82]), (650.0, 896.0));
    let picked: Vec<f64> = p
        .main
        .sample_indices
        .iter()
        .map(|&i| p.main.temperatures[i])
        .collect();
    assert_eq!(picked, vec![650.0, 725.0, 770.0, 788.0, 815.0]);
    assert_eq!(p.supplement.len(), 2);
    for (l, n, t) in [
        (&p.supplement[0], 15.0, [750.0, 820.0, 850.0, 900.0, 990.0]),
        (&p.supplement[1], 40.0, [670.0, 770.0, 800.0, 850.0, 990.0]),
    ] {
        assert_eq!(l.n, n);
        assert_eq!(l.temperatures.len(), 35);
        assert_eq!((l.temperatures[0], l.temperatures[34]), (650.0, 990.0));
        let picked: Vec<f64> = l.sample_indices.iter().map(|&i| l.temperatures[i]).collect();
        assert_eq!(picked, t.to_vec());
    }
    let g = grid(&fig8::sweep(&p, &p.main, DataConfig::default(), 0));
    assert_eq!(g.points.len(), 83);
    for pt in &g.points {
        let c = &pt.config;
        assert_eq!((c.model.n, c.model.memories, c.train.epochs), (25.0, 100, 10_001));
        assert_eq!((c.train.rate, c.init.mean, c.init.std), (0.005, -0.003, 1e-5));
        assert_eq!(c.train.save_epochs, Some(vec![0, 10_001]));
    }
}
