//! End-to-end checks of `waddington bifurcate ...`.

use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_waddington"))
}

/// `critical-points --format json` prints {"critical_points": [{x, y, kind, value}]} whose points
/// satisfy ∇V = 0 (checked with the closed-form gradient of §5.1) at parameters not in the spec.
#[test]
fn critical_points_json() {
    let (a, b) = (1.3, -0.7);
    let out = bin()
        .args([
            "bifurcate",
            "critical-points",
            "--potential",
            "heteroclinic-flip",
            "--a",
            "1.3",
            "--b",
            "-0.7",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let cps = v["critical_points"].as_array().unwrap();
    assert!(!cps.is_empty());
    let mut chi = 0;
    for c in cps {
        let (x, y) = (c["x"].as_f64().unwrap(), c["y"].as_f64().unwrap());
        let gx = 4.0 * x * x * x - 8.0 * x * y - a;
        let gy = 4.0 * y * y * y + 3.0 * y * y - 4.0 * x * x + b - 2.0 * y;
        assert!(gx.abs() < 1e-9 && gy.abs() < 1e-9);
        let val = x.powi(4) + y.powi(4) + y.powi(3) - 4.0 * x * x * y - a * x + b * y - y * y;
        assert!((c["value"].as_f64().unwrap() - val).abs() < 1e-9);
        chi += match c["kind"].as_str().unwrap() {
            "minimum" | "maximum" => 1,
            "saddle" => -1,
            k => panic!("kind {k}"),
        };
    }
    assert_eq!(chi, 1);
}

/// Bad input: unknown parameter, unknown potential, bad expression → non-zero exit, clear message.
#[test]
fn bad_input_is_rejected() {
    for args in [
        vec!["bifurcate", "critical-points", "--param", "zz=1"],
        vec!["bifurcate", "critical-points", "--potential", "nope"],
        vec![
            "bifurcate",
            "critical-points",
            "--potential",
            "polynomial",
            "--expr",
            "x^4 + $",
        ],
        vec![
            "bifurcate",
            "simulate",
            "/nonexistent/scenario.toml",
            "--out",
            "/tmp/never-written-bifurcating",
        ],
    ] {
        let out = bin().args(&args).output().unwrap();
        assert!(!out.status.success(), "{args:?} should fail");
        assert!(String::from_utf8_lossy(&out.stderr).contains("error"), "{args:?}");
    }
}

/// `demo` ends in pattern 1 (spec §7.2 item 6) and reports the crossings.
#[test]
fn demo_ends_in_pattern_1() {
    let out = bin().args(["bifurcate", "demo", "--json"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["final_pattern"], 1);
    let cr = v["crossings"].as_array().unwrap();
    let times: Vec<f64> = cr.iter().map(|c| c["t"].as_f64().unwrap()).collect();
    for t_ref in [14.333, 15.026, 18.617, 30.515, 37.456, 37.889] {
        assert!(
            times.iter().any(|t| (t - t_ref).abs() < 2e-3),
            "no crossing at {t_ref}: {times:?}"
        );
    }
}
