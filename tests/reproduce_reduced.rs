//! `reproduce fig5`, `fig6` and `bif1` at quick scale through the library, with the spec's
//! numbers checked by thresholds written here (not read from the reports), the figure files
//! checked as PNG/GIF, and the paper-scale protocols checked against the spec's tables.

mod common;

use common::reproduce::{options, options_with, passed, value};
use std::path::PathBuf;
use waddington::reproduce::{self, Figure, Outcome, Scale, bif1, fig5, fig6};

/// Every file is a non-trivial PNG (signature, IHDR size ≥ 300×300, > 10 kB) or GIF.
fn check_files(o: &Outcome) {
    assert!(!o.files.is_empty());
    for f in &o.files {
        let bytes = std::fs::read(f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let name = f.display().to_string();
        if name.ends_with(".png") {
            assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{name}");
            let w = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
            let h = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
            assert!(w >= 300 && h >= 300, "{name}: {w}×{h}");
            assert!(bytes.len() > 10_000, "{name}: only {} bytes", bytes.len());
        } else if name.ends_with(".gif") {
            assert_eq!(&bytes[..6], b"GIF89a", "{name}");
            assert!(bytes.len() > 10_000, "{name}");
        } else {
            assert!(name.ends_with(".npz"), "{name}");
            assert_eq!(&bytes[..2], b"PK", "{name}");
        }
    }
    let dir = o.files[0].parent().unwrap();
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap();
    assert!(json["report"]["checks"].as_array().unwrap().len() >= 5);
    assert!(dir.join("report.md").exists());
}

fn same_numbers(a: &Outcome, b: &Outcome) {
    assert_eq!(a.report.checks.len(), b.report.checks.len());
    for (x, y) in a.report.checks.iter().zip(&b.report.checks) {
        if x.key.contains("seconds") || x.key.starts_with("time_") {
            continue;
        }
        assert_eq!(x.ours, y.ours, "{}", x.key);
    }
}

#[test]
fn fig5_quick_reproduces_the_two_digit_system() {
    let dir = tempfile::tempdir().unwrap();
    let o = reproduce::reproduce(Figure::Fig5, options(dir.path())).unwrap();
    // Saddle-node bifurcations of the reference pair (spec §6.6).
    let (lo, hi) = (value(&o, "fold_low"), value(&o, "fold_high"));
    assert!((24.0..24.1).contains(&lo), "first fold at {lo}");
    assert!((36.4..36.5).contains(&hi), "second fold at {hi}");
    // Monostable fixed point at n = 30: (0.477, 0.055) (spec §6.6).
    assert!((value(&o, "fp_n30_alpha") - 0.477).abs() < 0.005);
    assert!((value(&o, "fp_n30_ell") - 0.055).abs() < 0.005);
    assert!((value(&o, "fp_n35_ell") - 0.293).abs() < 0.005);
    assert_eq!(value(&o, "stable_count_n24_1"), 1.0);
    assert_eq!(value(&o, "stable_count_n36_5"), 2.0);
    // Direct simulations over the diagram agree with the §5.6 table.
    assert!(value(&o, "validation_max_dev") < 0.01);
    for key in ["validation_n2_from4", "validation_n45_from1", "fps_n20"] {
        assert!(passed(&o, key), "{key}");
    }
    // Identical memories at T move as one memory at T_eff (spec §5.1, §6.6).
    assert!(value(&o, "efftemp_n30_max_diff") < 1e-10);
    assert!(value(&o, "efftemp_n15_max_diff") < 1e-10);
    assert!(passed(&o, "efftemp_n30_end"));
    // The two-memory runs follow the reduced theory until they split.
    for n in ["39", "15"] {
        assert!(value(&o, &format!("dynamics_n{n}_presplit_dev")) < 1e-3);
        assert!(value(&o, &format!("dynamics_n{n}_presplit_fp")) < 0.01);
    }
    check_files(&o);
    assert!(o.files.iter().any(|f| f.ends_with("fig5-movie-n10.gif")));
    // Deterministic: a second call gives the same numbers.
    let again = reproduce::reproduce(Figure::Fig5, options(dir.path())).unwrap();
    same_numbers(&o, &again);
}

#[test]
fn fig6_quick_reproduces_the_transition_and_reuses_its_grid() {
    let dir = tempfile::tempdir().unwrap();
    let t0 = std::time::Instant::now();
    let o = reproduce::reproduce(Figure::Fig6, options(dir.path())).unwrap();
    let first = t0.elapsed().as_secs_f64();
    // Intra: simulated transition a little above the analytic line (spec §6.7: 1.5–2.7).
    for t in ["880", "840", "800"] {
        let d = value(&o, &format!("intra_transition_t{t}"));
        assert!((-1.0..=5.0).contains(&d), "T = {t}: {d}");
    }
    assert!(value(&o, "intra_mixture_below") >= 0.9);
    // Inter: zero crossing of the minor coefficient near (below) the line; non-zero at high n.
    for t in ["880", "800", "740"] {
        let d = value(&o, &format!("inter_zero_t{t}"));
        assert!((-4.0..=1.0).contains(&d), "T = {t}: {d}");
    }
    assert!(value(&o, "inter_minor_low") < -0.3);
    assert!(value(&o, "inter_minor_high") > 0.1);
    check_files(&o);
    let t1 = std::time::Instant::now();
    let again = reproduce::reproduce(Figure::Fig6, options(dir.path())).unwrap();
    let second = t1.elapsed().as_secs_f64();
    assert!(
        second < 0.5 * first,
        "second call {second:.1} s vs first {first:.1} s"
    );
    same_numbers(&o, &again);
}

#[test]
fn bif1_quick_reproduces_figure1() {
    let dir = tempfile::tempdir().unwrap();
    let o = reproduce::reproduce(Figure::Bif1, options(dir.path())).unwrap();
    assert!((value(&o, "fold_b") + 1.502_641_515_443_31).abs() < 1e-10);
    assert!((value(&o, "fold_a_b2") - 4.473463673167).abs() < 1e-9);
    assert!((value(&o, "reduced_beta1000_plateau") - 0.233026).abs() < 1e-5);
    assert!((value(&o, "reduced_beta1000_t_m0_0_9") - 18.61).abs() < 0.02);
    assert!((value(&o, "reduced_beta1000_t_m1_0_99") - 34.12).abs() < 0.02);
    assert!((value(&o, "reduced_beta100_t_m0_0_99") - 14.95).abs() < 0.02);
    assert!((value(&o, "network_fold_b") + 1.861725).abs() < 1e-5);
    let t = value(&o, "full_n128_beta1000_t_m0_0_9");
    assert!((18.45..=18.75).contains(&t), "{t}");
    for key in [
        "box1_critical_points",
        "box3_critical_points",
        "full_n128_beta1000_final",
    ] {
        assert!(passed(&o, key), "{key}");
    }
    assert!(o.report.failed().is_empty());
    check_files(&o);
    let again = reproduce::reproduce(Figure::Bif1, options(dir.path())).unwrap();
    same_numbers(&o, &again);
}

#[test]
fn paper_protocols_follow_the_spec_tables() {
    // Fig. 5 (spec §4.7 / §4.8 table).
    let p = fig5::protocol(Scale::Paper);
    assert_eq!(p.diagram_n, [1.2, 71.9]);
    assert_eq!(p.nullcline_n, vec![6.0, 20.0, 30.0, 40.0]);
    assert_eq!(p.dynamics, vec![(39.0, 0.0008), (15.0, 0.0004)]);
    assert_eq!(p.dynamics_epochs, 3500);
    assert_eq!(p.dynamics_snapshots, vec![0, 1000, 2000, 3000]);
    assert_eq!(p.validation, (0.005, 5000));
    assert_eq!(p.validation_n.len(), 590);
    assert!((p.validation_n[589] - 59.9).abs() < 1e-12);
    assert_eq!(p.movie_n, vec![6.0, 10.0]);
    assert_eq!(p.movie, (0.005, 4000, 999));
    assert_eq!(p.model, (0.005, 3500));
    // Fig. 6 (spec §4.9): 29 n × 25 T, η = 0.001, ic + 10 000 + end.
    let p = fig6::protocol(Scale::Paper);
    assert_eq!(fig6::grid_shape(&p), (29, 25, 10_002));
    assert_eq!((p.n[0], p.n[28]), (2.0, 30.0));
    assert_eq!((p.temperature[0], p.temperature[24]), (400.0, 880.0));
    assert_eq!(p.eta, 0.001);
    assert_eq!(p.intra_slices, vec![880.0, 840.0, 800.0]);
    assert_eq!(p.inter_slices, vec![880.0, 800.0, 740.0]);
    let q = fig6::protocol(Scale::Quick);
    assert!(q.n.len() * q.temperature.len() < 29 * 25);
    // bif1 (bifurcating-hopfield §7.1, §11.10–11.11).
    let p = bif1::protocol(Scale::Paper);
    assert_eq!(p.reduced_beta, vec![1000.0, 100.0]);
    assert_eq!((p.a1, p.t_end), (6.0, 60.0));
    assert!(p.full.contains(&(1024, 1000.0)) && p.full.contains(&(128, 100.0)));
}

#[test]
fn transition_crossings_are_located() {
    // Linear interpolation of an upward crossing, and the analytic line T*(n) = T.
    let n = [2.0, 4.0, 6.0];
    assert!((fig6::crossing(&n, &[0.5, 0.6, 0.8], 0.7).unwrap() - 5.0).abs() < 1e-12);
    assert_eq!(fig6::crossing(&n, &[0.5, 0.6, 0.65], 0.7), None);
    let nl = fig6::line_crossing(736.1, 583.5, 880.0).unwrap();
    let t = waddington::reduced::transition::transition_temperature(736.1, 583.5, nl, nl);
    assert!((t - 880.0).abs() < 1e-6);
    // Spec §6.7: the line with d_AA + d_AB of the reference 4s crosses T = 880 at n ≈ 12.5.
    assert!((nl - 12.5).abs() < 0.3, "{nl}");
}

const REFERENCE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/fixtures/reference-200-digits.npy"
);

#[test]
fn fig5_with_the_reference_pair_matches_the_spec() {
    let path = PathBuf::from(REFERENCE);
    if !path.exists() {
        eprintln!("SKIPPED: needs ../shared/fixtures/reference-200-digits.npy");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let o = reproduce::reproduce(Figure::Fig5, options_with(dir.path(), Some(path))).unwrap();
    assert!(o.report.data.contains("753.22") || o.report.data.contains("753.2"));
    // Spec §6.6 effective-temperature end states of #21/#81.
    for n in ["3", "15", "30"] {
        assert!(value(&o, &format!("efftemp_n{n}_spec_dev")) <= 0.01, "n = {n}");
    }
}

/// The paper grid of Fig. 6 with the reference samples (§6.7's substitutes): slow (minutes).
/// Run with `cargo test --release --test reproduce_reduced -- --ignored`.
#[test]
#[ignore]
fn fig6_paper_scale_with_the_reference_set() {
    let path = PathBuf::from(REFERENCE);
    if !path.exists() {
        eprintln!("SKIPPED: needs ../shared/fixtures/reference-200-digits.npy");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut opts = options_with(dir.path(), Some(path));
    opts.scale = Scale::Paper;
    let o = reproduce::reproduce(Figure::Fig6, opts).unwrap();
    // §6.7 (measured on the same substitutes): simulated transition − line crossing, intra at
    // T = 880, 840, 800: 15.2 − 12.5, 18.0 − 15.9, 23.2 − 21.5; inter zero crossing − line at
    // T = 880, 800, 740, 700, 660: 6.1 − 6.6, 8.5 − 9.3, 12.1 − 13.2, 16.2 − 17.7, 24.0 − 26.6.
    for (t, want) in [("880", 2.7), ("840", 2.1), ("800", 1.7)] {
        let d = value(&o, &format!("intra_transition_t{t}"));
        assert!((d - want).abs() < 0.3, "T = {t}: {d} vs {want}");
    }
    for (t, want) in [
        ("880", -0.5),
        ("800", -0.8),
        ("740", -1.1),
        ("700", -1.5),
        ("660", -2.6),
    ] {
        let d = value(&o, &format!("inter_zero_t{t}"));
        assert!((d - want).abs() < 0.3, "T = {t}: {d} vs {want}");
    }
}
