//! `waddington sweep slurm` on a real one-node Slurm cluster (tests/slurm/run-slurm-test.sh).
//! Runs when `WADDINGTON_SLURM_TEST=1` (the script installs slurm-wlm and munge with apt-get and
//! starts the daemons on loopback; needs root) or when `sbatch` is already on PATH; otherwise it
//! prints `SKIPPED: …`. Run: `WADDINGTON_SLURM_TEST=1 cargo test --release --test sweep_slurm`.

use std::process::Command;

#[test]
fn a_slurm_array_sweep_with_an_afterok_collect_job_completes() {
    let wanted = std::env::var("WADDINGTON_SLURM_TEST").is_ok_and(|v| v == "1");
    let has_sbatch = Command::new("sbatch")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !wanted && !has_sbatch {
        eprintln!(
            "SKIPPED: no sbatch on PATH; set WADDINGTON_SLURM_TEST=1 to install slurm-wlm + munge and start a \
             one-node cluster on loopback (needs root and apt)"
        );
        return;
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/slurm/run-slurm-test.sh");
    let out = Command::new("bash")
        .arg(script)
        .env("WADDINGTON_BIN", env!("CARGO_BIN_EXE_waddington"))
        .output()
        .expect("run the Slurm test script");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    println!("{text}");
    if out.status.code() == Some(77) {
        eprintln!(
            "{}",
            text.lines()
                .find(|l| l.starts_with("SKIPPED"))
                .unwrap_or("SKIPPED: Slurm unavailable")
        );
        return;
    }
    assert!(out.status.success(), "Slurm test failed:\n{text}");
    assert!(text.contains("PASSED"), "{text}");
}
