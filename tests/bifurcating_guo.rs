//! The Guo 2010 loader (spec §9.2, §11 item 14) and the §8.3 ICM → EPI/PrE patterns. The data
//! are read from Debian's `r-bioc-destiny` (GPL-2, never vendored); tests that need them print
//! SKIPPED and return when it is not installed. The XDR reader's hand-built-stream unit tests live
//! in `src/bifurcating/rdata.rs` and always run.

use std::process::Command;
use waddington::bifurcating::data::{Guo, GuoVariant};
use waddington::bifurcating::patterns::{Normalisation, Patterns, normalise};

fn load(variant: GuoVariant) -> Option<Guo> {
    let path = Guo::default_path(variant);
    if !path.is_file() {
        eprintln!(
            "SKIPPED: needs Debian's r-bioc-destiny (apt-get install r-bioc-destiny); {} is absent",
            path.display()
        );
        return None;
    }
    Some(Guo::from_file(&path, variant).expect("destiny's Guo data parse"))
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn stage_counts(g: &Guo) -> Vec<usize> {
    [2, 4, 8, 16, 32, 64]
        .iter()
        .map(|s| g.num_cells.iter().filter(|&&n| n == *s).count())
        .collect()
}

/// §11 item 14 (Guo part): 48 × 428, stage counts (19, 23, 43, 75, 109, 159), fraction of
/// entries equal to 10 in `guo` = 0.2477. Sums, corner values and names were computed
/// independently with R 4.2 + Biobase (`exprs(guo)`, `pData(guo)`).
#[test]
fn guo_shape_stages_and_detection_limit() {
    let Some(g) = load(GuoVariant::Raw) else { return };
    assert_eq!(g.exprs.dim(), (48, 428));
    assert_eq!((g.genes.len(), g.cells.len(), g.num_cells.len()), (48, 428, 428));
    assert_eq!(stage_counts(&g), [19, 23, 43, 75, 109, 159]);
    let tens = g.exprs.iter().filter(|&&v| v == 10.0).count() as f64 / g.exprs.len() as f64;
    assert!((tens - 0.2477).abs() <= 1e-4, "fraction of 10s = {tens}");
    assert!((g.exprs.sum() - 133784.05).abs() < 1e-6, "sum {}", g.exprs.sum());
    assert!((g.exprs[[0, 0]] + 0.575).abs() < 1e-12, "{}", g.exprs[[0, 0]]);
    assert!(
        (g.exprs[[47, 427]] - 2.865).abs() < 1e-12,
        "{}",
        g.exprs[[47, 427]]
    );
    assert_eq!((g.genes[0].as_str(), g.genes[47].as_str()), ("Actb", "Tspan8"));
    assert_eq!(g.cells[0], "2C 1.1");
    assert!(g.cells[427].starts_with("64C"), "{}", g.cells[427]);
    for marker in [
        "Nanog", "Gata6", "Gata4", "Pdgfra", "Sox17", "Fgf4", "Cdx2", "Pou5f1", "Gapdh",
    ] {
        g.gene_index(marker).unwrap();
    }
}

/// `guo_norm`: same cells and stages; detected values identical to `guo`; the undetected ones
/// (10 in `guo`) replaced by values in [8.015, 15.92], 226 of them below 10 (one entry is exactly
/// 10, sum 146749.5 — all from R).
#[test]
fn guo_norm_loads() {
    let Some(g) = load(GuoVariant::Normalised) else {
        return;
    };
    assert_eq!(g.exprs.dim(), (48, 428));
    assert_eq!(stage_counts(&g), [19, 23, 43, 75, 109, 159]);
    assert_eq!(g.exprs.iter().filter(|&&v| v == 10.0).count(), 1);
    assert!((g.exprs.sum() - 146749.5).abs() < 1e-6, "sum {}", g.exprs.sum());
    let raw = load(GuoVariant::Raw).unwrap();
    assert_eq!(raw.genes, g.genes);
    assert_eq!(raw.cells, g.cells);
    let (mut lo, mut hi, mut below) = (f64::INFINITY, f64::NEG_INFINITY, 0);
    for (r, n) in raw.exprs.iter().zip(g.exprs.iter()) {
        if *r == 10.0 {
            (lo, hi) = (lo.min(*n), hi.max(*n));
            below += usize::from(*n < 10.0);
        } else {
            assert_eq!(r, n);
        }
    }
    assert!(
        (lo - 8.015).abs() < 1e-9 && (hi - 15.92).abs() < 1e-9,
        "{lo} {hi}"
    );
    assert_eq!(below, 226);
}

/// §8.3: lineage rule gives ICM 48, EPI 18, PrE 45, TE 96 + 61; raw type means of E for the
/// markers; z-scored (ICM, PrE, EPI) overlap matrix C within ±0.002.
#[test]
fn guo_lineages_and_overlap_matrix() {
    let Some(g) = load(GuoVariant::Raw) else { return };
    let lab = g.lineage_labels().unwrap();
    let count = |c: &str, stage: u32| {
        (0..lab.len())
            .filter(|&i| lab[i] == c && g.num_cells[i] == stage)
            .count()
    };
    assert_eq!(count("ICM", 32), 48);
    assert_eq!(count("TE", 32), 61);
    assert_eq!(count("EPI", 64), 18);
    assert_eq!(count("PrE", 64), 45);
    assert_eq!(count("TE", 64), 96);
    let xi = g.class_means(&strings(&["ICM", "PrE", "EPI"])).unwrap();
    assert_eq!(xi.dim(), (48, 3));
    let markers = [
        ("Nanog", [6.10, 1.37, 6.51]),
        ("Gata6", [6.62, 5.94, 0.26]),
        ("Gata4", [3.17, 8.81, 1.30]),
        ("Fgf4", [2.55, 0.05, 5.54]),
    ];
    for (gene, want) in markers {
        let i = g.gene_index(gene).unwrap();
        for k in 0..3 {
            assert!(
                (xi[[i, k]] - want[k]).abs() < 0.006,
                "{gene}[{k}] = {}",
                xi[[i, k]]
            );
        }
    }
    let mut z = xi.clone();
    normalise(&mut z, Normalisation::ZScore).unwrap();
    let p = Patterns::new(z, 1e8).unwrap();
    let c_ref = [
        [1.0, 0.6951, 0.7659],
        [0.6951, 1.0, 0.4288],
        [0.7659, 0.4288, 1.0],
    ];
    for (i, row) in c_ref.iter().enumerate() {
        for (j, cr) in row.iter().enumerate() {
            assert!((p.c[[i, j]] - cr).abs() < 0.002, "C[{i},{j}] = {}", p.c[[i, j]]);
        }
    }
}

/// Stage class means equal a naive loop over E = max(0, 10 − value); unknown classes are refused.
#[test]
fn guo_stage_class_means_match_naive_loop() {
    let Some(g) = load(GuoVariant::Raw) else { return };
    let classes = strings(&["2C", "16C", "64C"]);
    let xi = g.class_means(&classes).unwrap();
    for (k, stage) in [2u32, 16, 64].iter().enumerate() {
        for gene in 0..48 {
            let (mut s, mut n) = (0.0, 0usize);
            for cell in 0..428 {
                if g.num_cells[cell] == *stage {
                    s += f64::max(0.0, 10.0 - g.exprs[[gene, cell]]);
                    n += 1;
                }
            }
            assert!((xi[[gene, k]] - s / n as f64).abs() < 1e-12);
        }
    }
    let err = g.class_means(&strings(&["ICM", "Mo"])).unwrap_err().to_string();
    assert!(err.contains("'Mo' is not a Guo class"), "{err}");
}

fn cli(args: &[&str], destiny_dir: Option<&str>) -> std::process::Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_waddington"));
    c.args(args);
    if let Some(d) = destiny_dir {
        c.env("WADDINGTON_DESTINY_DATA", d);
    }
    c.output().unwrap()
}

/// `bifurcate patterns --data guo` prints the §8.3 C; with the data absent it fails saying how to
/// install it (this half always runs).
#[test]
fn guo_cli_patterns_and_missing_data() {
    let out = cli(
        &["bifurcate", "patterns", "--data", "guo"],
        Some("/nonexistent-destiny"),
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("apt-get install r-bioc-destiny"), "{err}");
    assert!(err.contains("/nonexistent-destiny/guo.rda"), "{err}");
    let out = cli(
        &["bifurcate", "patterns", "--data", "guo", "--rda", "Cargo.toml"],
        None,
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("Cargo.toml: not R data"));

    if load(GuoVariant::Raw).is_none() {
        return;
    }
    let out = cli(&["bifurcate", "patterns", "--data", "guo"], None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["n"], 48);
    assert_eq!(v["classes"], serde_json::json!(["ICM", "PrE", "EPI"]));
    let c01 = v["C"][0][1].as_f64().unwrap();
    let c12 = v["C"][1][2].as_f64().unwrap();
    assert!(
        (c01 - 0.6951).abs() < 0.002 && (c12 - 0.4288).abs() < 0.002,
        "{c01} {c12}"
    );
    let out = cli(
        &[
            "bifurcate",
            "patterns",
            "--data",
            "guo-norm",
            "--classes",
            "32C,64C",
        ],
        None,
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["p"], 2);
}

/// §11 item 12 / §8.3 with the example scenario examples/bifurcating/guo-icm.toml (reduced,
/// β = 1000): convention A leaves ICM as in Figure 1 (first m₀ < 0.99 at 15.13 ± 0.05);
/// conventions B and C leave it before t = 12.5, are at EPI by t = 20 (m₂ > 0.97) and end in PrE
/// (m₁(60) > 0.999).
#[test]
fn guo_icm_fate_conventions() {
    use waddington::bifurcating::network::Convention;
    use waddington::bifurcating::scenario::{self, Scenario, first_event};
    if load(GuoVariant::Raw).is_none() {
        return;
    }
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/bifurcating/guo-icm.toml");
    for conv in [
        Convention::Covariant,
        Convention::RaisedGradient,
        Convention::Contravariant,
    ] {
        let mut sc = Scenario::from_file(std::path::Path::new(path)).unwrap();
        sc.network.convention = conv;
        let model = sc.model().unwrap();
        let r = scenario::run(&sc, &model, 0).unwrap();
        let t99 = first_event(&r.events, "m0<0.99", 1).unwrap();
        let i20 = r.t.iter().position(|&t| (t - 20.0).abs() < 1e-9).unwrap();
        let last = r.m.nrows() - 1;
        if conv == Convention::Covariant {
            assert!((t99 - 15.13).abs() < 0.05, "A: m0 < 0.99 at {t99}");
        } else {
            assert!(t99 < 12.5, "{conv:?}: m0 < 0.99 at {t99}");
            assert!(r.m[[i20, 2]] > 0.97, "{conv:?}: m(20) = {}", r.m.row(i20));
        }
        assert!(r.m[[last, 1]] > 0.999, "{conv:?}: m(60) = {}", r.m.row(last));
        assert_eq!(r.final_pattern, Some(1));
    }
}
