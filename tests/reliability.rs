//! Crash at any instant and lose nothing (docs/run-folder.md, "Write protocol").
//!
//! * `train` killed (SIGKILL) at its k-th `write(2)`, for every k, then recovered as a user would
//!   (the same command again, or `train --resume`): the result equals an uninterrupted run's,
//!   byte for byte;
//! * disk full (`ENOSPC`) at a sample of writes, and a permission error on the output folder: a
//!   clear error naming the file, nothing corrupted, the next run completes identically;
//! * a second writer on a folder in use refuses;
//! * crafted files (a header claiming more data than the file holds, a damaged archive, an empty
//!   or incomplete config) give an error in the user's terms, never a panic or an allocation bomb.
//!
//! The fault-injection tests need Debian's `strace` (installed by `.ci/run`, which then sets
//! `WADDINGTON_REQUIRE_STRACE=1` so they cannot silently skip in CI).

mod common;

use common::bin;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use waddington::npy;
use waddington::run_folder::{RunFolder, Trajectory, read_checkpoint};

const CONFIG: &str = "seed = 7\n[model]\nmemories = 4\n[data]\ndigits = [1, 7]\nper_class = 3\n\
                      test_per_class = 2\n[train]\nepochs = 7\nsave_every = 1\ncheckpoint_every = 2\n";

fn strace() -> bool {
    let ok = Command::new("strace")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var("WADDINGTON_REQUIRE_STRACE").is_err(),
            "strace is required here (WADDINGTON_REQUIRE_STRACE) but not found"
        );
        eprintln!("SKIPPED: fault injection needs strace (Debian package `strace`)");
    }
    ok
}

fn write_config(dir: &Path) -> PathBuf {
    let p = dir.join("run.toml");
    std::fs::write(&p, CONFIG).expect("config");
    p
}

fn train_args(cfg: &Path, out: &Path) -> Vec<String> {
    vec![
        "train".into(),
        "--config".into(),
        cfg.display().to_string(),
        "--out".into(),
        out.display().to_string(),
    ]
}

fn waddington(args: &[String]) -> Output {
    bin().args(args).output().expect("run waddington")
}

/// `waddington args` under strace with one injected fault at the `k`-th write.
fn injected(args: &[String], inject: &str) -> Output {
    Command::new("strace")
        .args(["-f", "-qq", "-o", "/dev/null", "-e", "trace=write", "-e", inject])
        .arg(env!("CARGO_BIN_EXE_waddington"))
        .args(args)
        .output()
        .expect("run strace")
}

/// Number of `write(2)` calls an uninterrupted `train` makes.
fn count_writes(args: &[String], scratch: &Path) -> usize {
    let log = scratch.join("writes.log");
    let o = Command::new("strace")
        .args(["-f", "-qq", "-e", "trace=write", "-o"])
        .arg(&log)
        .arg(env!("CARGO_BIN_EXE_waddington"))
        .args(args)
        .output()
        .expect("strace");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    std::fs::read_to_string(&log)
        .expect("log")
        .lines()
        .filter(|l| l.contains("write("))
        .count()
}

/// What must be identical between two finished runs: the trajectory (bytes), the final state
/// with velocities, the inputs, and the summary without its wall time.
fn assert_same_run(a: &Path, b: &Path, what: &str) {
    for f in [
        "trajectory.npz",
        "samples.npy",
        "targets.npy",
        "batches.npy",
        "sample_index.npy",
        "test_samples.npy",
        "test_targets.npy",
        "config.toml",
    ] {
        let (x, y) = (std::fs::read(a.join(f)), std::fs::read(b.join(f)));
        assert!(x.is_ok() && x.ok() == y.ok(), "{what}: {f} differs or is missing");
    }
    let (ca, cb) = (
        read_checkpoint(&a.join("checkpoint.npz")).expect("checkpoint a"),
        read_checkpoint(&b.join("checkpoint.npz")).expect("checkpoint b"),
    );
    assert_eq!(ca.state, cb.state, "{what}: final states differ");
    assert_eq!((ca.epoch, ca.records), (cb.epoch, cb.records), "{what}");
    let (mut sa, mut sb) = (
        RunFolder::open(a).and_then(|f| f.summary()).expect("summary a"),
        RunFolder::open(b).and_then(|f| f.summary()).expect("summary b"),
    );
    sa.wall_seconds = 0.0;
    sb.wall_seconds = 0.0;
    assert_eq!(sa, sb, "{what}: summaries differ");
    let leftovers: Vec<String> = std::fs::read_dir(b)
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(".tmp") || n.ends_with(".part"))
        .collect();
    assert!(leftovers.is_empty(), "{what}: leftovers {leftovers:?}");
}

/// Recover an interrupted `train` as a user would: the same command again (or `--resume` when
/// `resume` and the folder holds a started run). A run that had already finished is reported so.
fn recover(args: &[String], out: &Path, resume: bool) {
    let o = if resume && out.join("config.toml").exists() && !out.join("summary.json").exists() {
        waddington(&["train".into(), "--resume".into(), out.display().to_string()])
    } else {
        waddington(args)
    };
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        o.status.success() || err.contains("finished run"),
        "recovery of {} failed: {err}",
        out.display()
    );
}

/// The k to try: every one (a run of this size makes about 180 writes); past 400 writes, every
/// one of the first 40 and a dense sample (every third) after.
fn kill_points(n: usize) -> Vec<usize> {
    (1..=n)
        .filter(|&k| n <= 400 || k <= 40 || k % 3 == 0 || k == n)
        .collect()
}

#[test]
fn train_killed_at_any_write_recovers_to_the_identical_run() {
    if !strace() {
        return;
    }
    let d = tempfile::tempdir().expect("tmp");
    let cfg = write_config(d.path());
    let reference = d.path().join("reference");
    let o = waddington(&train_args(&cfg, &reference));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let n = count_writes(&train_args(&cfg, &d.path().join("counted")), d.path());
    assert!(n > 20, "only {n} writes: the run is too small to test anything");
    let points = kill_points(n);
    for &k in &points {
        let out = d.path().join(format!("k{k}"));
        let args = train_args(&cfg, &out);
        let o = injected(&args, &format!("inject=write:signal=KILL:when={k}"));
        assert!(
            !o.status.success() || out.join("summary.json").exists(),
            "k = {k}: not killed"
        );
        recover(&args, &out, k % 2 == 0);
        assert_same_run(&reference, &out, &format!("killed at write {k} of {n}"));
        std::fs::remove_dir_all(&out).expect("clean");
    }
    eprintln!(
        "train: {} kill points of {n} writes, all recovered identical",
        points.len()
    );
}

#[test]
fn disk_full_names_the_file_corrupts_nothing_and_the_next_run_completes() {
    if !strace() {
        return;
    }
    let d = tempfile::tempdir().expect("tmp");
    let cfg = write_config(d.path());
    let reference = d.path().join("reference");
    assert!(waddington(&train_args(&cfg, &reference)).status.success());
    let n = count_writes(&train_args(&cfg, &d.path().join("counted")), d.path());
    let mut failed = 0;
    for k in (1..=n).step_by(4) {
        let out = d.path().join(format!("full{k}"));
        let args = train_args(&cfg, &out);
        let o = injected(&args, &format!("inject=write:error=ENOSPC:when={k}"));
        let err = String::from_utf8_lossy(&o.stderr).to_string();
        if !o.status.success() {
            failed += 1;
            assert!(err.contains("No space left on device"), "k = {k}: {err}");
            assert!(
                err.contains(&out.display().to_string()),
                "k = {k}: the message names no file: {err}"
            );
            assert!(!err.contains("panicked"), "k = {k}: {err}");
            assert!(!out.join("summary.json").exists(), "k = {k}");
        }
        recover(&args, &out, false);
        assert_same_run(&reference, &out, &format!("disk full at write {k} of {n}"));
    }
    assert!(failed > 5, "only {failed} injected failures were seen");
}

#[test]
fn a_permission_error_on_the_output_folder_is_clear_and_leaves_nothing() {
    if !strace() {
        return;
    }
    let d = tempfile::tempdir().expect("tmp");
    let cfg = write_config(d.path());
    let out = d.path().join("deep/run");
    let args = train_args(&cfg, &out);
    let o = Command::new("strace")
        .args([
            "-f",
            "-qq",
            "-o",
            "/dev/null",
            "-e",
            "trace=mkdir,mkdirat",
            "-e",
            "inject=mkdir,mkdirat:error=EACCES",
        ])
        .arg(env!("CARGO_BIN_EXE_waddington"))
        .args(&args)
        .output()
        .expect("strace");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(err.contains("Permission denied") && err.contains("deep"), "{err}");
    assert!(!out.exists());
    assert!(waddington(&args).status.success());
    let reference = d.path().join("reference");
    assert!(waddington(&train_args(&cfg, &reference)).status.success());
    assert_same_run(&reference, &out, "after a permission error");
}

#[test]
fn a_second_writer_on_a_folder_in_use_refuses() {
    let d = tempfile::tempdir().expect("tmp");
    let cfg = d.path().join("long.toml");
    std::fs::write(
        &cfg,
        "[model]\nmemories = 40\n[data]\nper_class = 10\n[train]\nepochs = 100000\n",
    )
    .expect("cfg");
    let out = d.path().join("run");
    let args = train_args(&cfg, &out);
    let mut first = bin().args(&args).spawn().expect("spawn");
    let t0 = std::time::Instant::now();
    while !out.join("config.toml").exists() && t0.elapsed().as_secs() < 60 {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    for second in [
        args.clone(),
        vec!["train".into(), "--resume".into(), out.display().to_string()],
    ] {
        let o = waddington(&second);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "the second writer ran");
        assert!(err.contains("in use by another waddington process"), "{err}");
    }
    first.kill().expect("kill");
    let _ = first.wait();
    // the lock died with the process: the folder is resumable again
    assert!(RunFolder::open(&out).is_ok());
}

#[test]
fn an_npy_header_claiming_more_than_the_file_holds_is_an_error_not_an_allocation() {
    let d = tempfile::tempdir().expect("tmp");
    let p = d.path().join("bomb.npy");
    let mut bytes = npy::header("<f8", &[1_000_000_000, 784, 800]);
    bytes.extend_from_slice(&[0u8; 64]);
    std::fs::write(&p, &bytes).expect("write");
    let err = npy::read_f64_dyn(&p).expect_err("must fail").to_string();
    assert!(err.contains("header claims") && err.contains("bomb.npy"), "{err}");
    // a shape whose product overflows
    let mut bytes = npy::header("<f8", &[usize::MAX / 2, 4]);
    bytes.extend_from_slice(&[0u8; 64]);
    std::fs::write(&p, &bytes).expect("write");
    let err = npy::read_f64_dyn(&p).expect_err("must fail").to_string();
    assert!(err.contains("impossible shape"), "{err}");
    // through the CLI: a clear message, no panic
    let o = bin()
        .args(["plot", "npy-heatmap"])
        .arg(&p)
        .arg("--out")
        .arg(d.path().join("h.png"))
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("bomb.npy") && !err.contains("panicked"),
        "{err}"
    );
    assert!(!d.path().join("h.png").exists());
}

/// A finished small run to damage.
fn finished_run(dir: &Path) -> PathBuf {
    let cfg = write_config(dir);
    let out = dir.join("run");
    assert!(waddington(&train_args(&cfg, &out)).status.success());
    out
}

#[test]
fn a_damaged_trajectory_is_reported_as_a_damaged_archive() {
    let d = tempfile::tempdir().expect("tmp");
    let run = finished_run(d.path());
    let t = run.join("trajectory.npz");
    let bytes = std::fs::read(&t).expect("read");
    for (what, damaged) in [
        ("truncated", bytes[..bytes.len() / 2].to_vec()),
        ("zeroed middle", {
            let mut b = bytes.clone();
            let mid = b.len() / 3;
            b[mid..mid + 4096].fill(0);
            b
        }),
        ("empty", Vec::new()),
    ] {
        std::fs::write(&t, &damaged).expect("write");
        let err = Trajectory::open(&run)
            .and_then(Trajectory::into_arrays)
            .expect_err(what)
            .to_string();
        assert!(
            err.contains("trajectory.npz") && (err.contains("corrupt") || err.contains("truncated")),
            "{what}: {err}"
        );
        assert!(
            !err.contains("descriptor"),
            "{what}: a dtype message for a damaged file: {err}"
        );
        let o = bin().arg("analyze").arg(&run).output().expect("analyze");
        let msg = String::from_utf8_lossy(&o.stderr);
        assert!(
            !o.status.success() && msg.contains("trajectory.npz"),
            "{what}: {msg}"
        );
        assert!(!run.join("analysis").exists());
    }
}

#[test]
fn an_empty_or_incomplete_config_is_never_read_as_defaults() {
    let d = tempfile::tempdir().expect("tmp");
    let run = finished_run(d.path());
    std::fs::remove_file(run.join("summary.json")).expect("unfinish");
    let full = std::fs::read_to_string(run.join("config.toml")).expect("config");
    for (what, text) in [
        ("empty", String::new()),
        (
            "incomplete",
            full.lines()
                .filter(|l| !l.starts_with("epochs"))
                .collect::<Vec<_>>()
                .join("\n"),
        ),
    ] {
        std::fs::write(run.join("config.toml"), &text).expect("write");
        let o = waddington(&["train".into(), "--resume".into(), run.display().to_string()]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            !o.status.success(),
            "{what}: resumed from a config that is not complete"
        );
        assert!(err.contains("config.toml"), "{what}: {err}");
        assert!(
            err.contains(if what == "empty" { "empty" } else { "train.epochs" }),
            "{what}: {err}"
        );
        assert!(!run.join("summary.json").exists());
    }
}

#[test]
fn a_start_cut_short_is_cleaned_by_the_same_command() {
    let d = tempfile::tempdir().expect("tmp");
    let cfg = write_config(d.path());
    let out = d.path().join("run");
    std::fs::create_dir_all(&out).expect("dir");
    std::fs::write(out.join("samples.npy.tmp"), b"\x93NUMPY partial").expect("partial");
    std::fs::write(out.join("targets.npy"), b"").expect("partial");
    let o = waddington(&train_args(&cfg, &out));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let reference = d.path().join("reference");
    assert!(waddington(&train_args(&cfg, &reference)).status.success());
    assert_same_run(&reference, &out, "after a partial start");
    // a folder with someone else's file is refused and left alone
    let other = d.path().join("other");
    std::fs::create_dir_all(&other).expect("dir");
    std::fs::write(other.join("notes.txt"), "mine").expect("w");
    let o = waddington(&train_args(&cfg, &other));
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("notes.txt"));
    assert_eq!(
        std::fs::read_to_string(other.join("notes.txt")).expect("r"),
        "mine"
    );
}

/// Every file of a folder tree (relative path → bytes), leaving out the files that record wall
/// times.
fn tree_bytes(root: &Path, skip: &[&str]) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut out = std::collections::BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).expect("dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(root).expect("prefix").display().to_string();
                let name = p.file_name().expect("name").to_string_lossy().to_string();
                if !skip.contains(&name.as_str()) {
                    out.insert(rel, std::fs::read(&p).expect("read"));
                }
            }
        }
    }
    out
}

/// k for a command of `n` writes: every one of the first 30, then every `step`-th.
fn sampled(n: usize, step: usize) -> Vec<usize> {
    (1..=n).filter(|&k| k <= 30 || k % step == 0 || k == n).collect()
}

#[test]
fn sweep_run_killed_at_any_write_recovers_to_the_identical_sweep() {
    if !strace() {
        return;
    }
    let d = tempfile::tempdir().expect("tmp");
    let grid = d.path().join("g.toml");
    std::fs::write(
        &grid,
        "[model]\nmemories = 3\n[data]\ndigits = [0, 1]\nper_class = 2\n[train]\nepochs = 4\nsave_every = 1\n\
         checkpoint_every = 2\n[sweep]\ngrid = { \"model.n\" = [3, 20] }\n",
    )
    .expect("grid");
    let args = |out: &Path| -> Vec<String> {
        vec![
            "sweep".into(),
            "run".into(),
            grid.display().to_string(),
            "--out".into(),
            out.display().to_string(),
            "--no-progress".into(),
            "--jobs".into(),
            "1".into(),
        ]
    };
    let reference = d.path().join("reference");
    assert!(waddington(&args(&reference)).status.success());
    // summary.json and checkpoint.npz of a point hold its wall time
    let skip = ["summary.json", "checkpoint.npz"];
    let want = tree_bytes(&reference, &skip);
    let n = count_writes(&args(&d.path().join("counted")), d.path());
    let points = sampled(n, 4);
    for &k in &points {
        let out = d.path().join(format!("k{k}"));
        let _ = injected(&args(&out), &format!("inject=write:signal=KILL:when={k}"));
        let o = waddington(&args(&out));
        assert!(
            o.status.success(),
            "k = {k}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let got = tree_bytes(&out, &skip);
        assert_eq!(
            got.keys().collect::<Vec<_>>(),
            want.keys().collect::<Vec<_>>(),
            "k = {k}: the files differ"
        );
        for (f, bytes) in &want {
            assert!(got[f] == *bytes, "sweep killed at write {k} of {n}: {f} differs");
        }
        std::fs::remove_dir_all(&out).expect("clean");
    }
    eprintln!(
        "sweep run: {} kill points of {n} writes, all recovered identical",
        points.len()
    );
}

#[test]
fn analyze_killed_at_any_write_recovers_to_the_identical_analysis() {
    if !strace() {
        return;
    }
    let d = tempfile::tempdir().expect("tmp");
    let run = finished_run(d.path());
    let analyze = |out: &Path| -> Vec<String> {
        vec![
            "analyze".into(),
            run.display().to_string(),
            "--out".into(),
            out.display().to_string(),
        ]
    };
    let reference = d.path().join("reference");
    let o = waddington(&analyze(&reference));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let want = tree_bytes(&reference, &[]);
    let n = count_writes(&analyze(&d.path().join("counted")), d.path());
    let points = sampled(n, 2);
    for &k in &points {
        let out = d.path().join(format!("k{k}"));
        let _ = injected(&analyze(&out), &format!("inject=write:signal=KILL:when={k}"));
        let o = waddington(&analyze(&out));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            o.status.success() || err.contains("finished output"),
            "k = {k}: {err}"
        );
        assert!(
            tree_bytes(&out, &[]) == want,
            "analyze killed at write {k} of {n}: outputs differ"
        );
    }
    eprintln!(
        "analyze: {} kill points of {n} writes, all recovered identical",
        points.len()
    );
}

/// A JSON file without the keys that hold timings (they differ from run to run).
fn json_without_timings(path: &Path) -> serde_json::Value {
    fn strip(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(m) => {
                m.retain(|k, _| !(k.ends_with("_s") || k == "timings" || k == "wall_seconds"));
                m.values_mut().for_each(strip);
            }
            serde_json::Value::Array(a) => {
                // report rows of wall times ({"key": "…_seconds", …})
                a.retain(|row| {
                    !row.get("key")
                        .and_then(|k| k.as_str())
                        .is_some_and(|k| k.ends_with("seconds"))
                });
                a.iter_mut().for_each(strip)
            }
            _ => {}
        }
    }
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("json")).expect("parse json");
    strip(&mut v);
    v
}

/// Kill `args(out)` at sampled writes, run it again, and compare `files` with a reference run
/// (`.json` files without their timings, the others byte for byte).
fn kill_and_rerun(name: &str, args: &dyn Fn(&Path) -> Vec<String>, files: &[&str], step: usize) {
    let d = tempfile::tempdir().expect("tmp");
    let reference = d.path().join("reference");
    let o = waddington(&args(&reference));
    assert!(
        o.status.success(),
        "{name}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let n = count_writes(&args(&d.path().join("counted")), d.path());
    let points: Vec<usize> = (1..=n).filter(|&k| k <= 12 || k % step == 0 || k == n).collect();
    for &k in &points {
        let out = d.path().join(format!("k{k}"));
        let _ = injected(&args(&out), &format!("inject=write:signal=KILL:when={k}"));
        let o = waddington(&args(&out));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            o.status.success() || err.contains("finished output") || err.contains("already exists"),
            "{name} killed at write {k} of {n}, then rerun: {err}"
        );
        for f in files {
            let (a, b) = (reference.join(f), out.join(f));
            if f.ends_with(".json") {
                assert_eq!(
                    json_without_timings(&a),
                    json_without_timings(&b),
                    "{name} at {k}: {f}"
                );
            } else {
                assert!(
                    std::fs::read(&a).ok() == std::fs::read(&b).ok(),
                    "{name} killed at write {k}: {f} differs"
                );
            }
        }
        std::fs::remove_dir_all(&out).expect("clean");
    }
    eprintln!(
        "{name}: {} kill points of {n} writes, all recovered identical",
        points.len()
    );
}

#[test]
fn embed_reduced_bifurcate_and_reproduce_killed_at_any_write_are_completed_by_the_same_command() {
    if !strace() {
        return;
    }
    let d = tempfile::tempdir().expect("tmp");
    let x = d.path().join("x.npy");
    let data = ndarray::Array2::from_shape_fn((16, 8), |(i, j)| ((i * 8 + j) as f64 * 0.37).sin());
    npy::write(&x, &data).expect("x");
    let xs = x.display().to_string();
    kill_and_rerun(
        "embed fit",
        &|out| {
            [
                "embed",
                "fit",
                "--data",
                &xs,
                "--neighbors",
                "3",
                "--epochs",
                "20",
                "--init",
                "random",
                "--out",
            ]
            .iter()
            .map(|s| s.to_string())
            .chain([out.display().to_string()])
            .collect()
        },
        &["model.npz", "model.json", "embedding.npy", "summary.json"],
        1,
    );
    kill_and_rerun(
        "reduced fixed-points",
        &|out| {
            [
                "reduced",
                "fixed-points",
                "--dots",
                "753.22,494.02,719.70",
                "--n",
                "20",
                "--temperature",
                "670",
                "--out",
            ]
            .iter()
            .map(|s| s.to_string())
            .chain([out.display().to_string()])
            .collect()
        },
        &["fixed_points.json", "fixed_points.npz"],
        1,
    );
    let model = d.path().join("model");
    let fit = bin()
        .args([
            "embed",
            "fit",
            "--data",
            &xs,
            "--neighbors",
            "3",
            "--epochs",
            "20",
            "--init",
            "random",
            "--out",
        ])
        .arg(&model)
        .output()
        .expect("fit");
    assert!(fit.status.success());
    let model = model.display().to_string();
    kill_and_rerun(
        "embed transform",
        &|out| {
            ["embed", "transform", "--model", &model, "--input", &xs, "--out"]
                .iter()
                .map(|s| s.to_string())
                .chain([out.join("y.npy").display().to_string()])
                .collect()
        },
        &["y.npy"],
        1,
    );
    let scenario = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/bifurcating/figure1.toml");
    kill_and_rerun(
        "bifurcate simulate",
        &|out| {
            ["bifurcate", "simulate", scenario, "--out"]
                .iter()
                .map(|s| s.to_string())
                .chain([out.display().to_string()])
                .collect()
        },
        &[
            "t.npy",
            "m.npy",
            "z.npy",
            "theta.npy",
            "x.npy",
            "events.json",
            "summary.json",
        ],
        1,
    );
    // a finished output is refused, with the file that marks it finished named
    let done = d.path().join("simulated");
    let sim = |o: &Path| -> Vec<String> {
        vec![
            "bifurcate".into(),
            "simulate".into(),
            scenario.into(),
            "--out".into(),
            o.display().to_string(),
        ]
    };
    assert!(waddington(&sim(&done)).status.success());
    let before = std::fs::read(done.join("m.npy")).expect("m");
    let again = waddington(&sim(&done));
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(
        !again.status.success() && err.contains("finished output") && err.contains("summary.json"),
        "{err}"
    );
    assert_eq!(std::fs::read(done.join("m.npy")).expect("m"), before);
    kill_and_rerun(
        "reproduce bif1",
        &|out| {
            ["reproduce", "bif1", "--scale", "quick", "--out"]
                .iter()
                .map(|s| s.to_string())
                .chain([out.display().to_string()])
                .collect()
        },
        &["bif1-figure1.png", "bif1-runs.npz", "report.json"],
        1,
    );
}

#[test]
fn a_second_reproduce_on_a_folder_in_use_refuses() {
    use waddington::reproduce::{Context, Figure, Options, Scale};
    let d = tempfile::tempdir().expect("tmp");
    let opts = Options {
        out: d.path().join("fig6"),
        scale: Scale::Quick,
        samples: None,
        seed: 0,
        jobs: 1,
        progress: false,
    };
    let first = Context::new(Figure::Fig6, opts.clone()).expect("first");
    let err = Context::new(Figure::Fig6, opts.clone())
        .expect_err("second")
        .to_string();
    assert!(err.contains("in use by another waddington process"), "{err}");
    drop(first);
    assert!(
        Context::new(Figure::Fig6, opts).is_ok(),
        "the lock is released with the context"
    );
}

#[test]
fn a_sweep_beside_another_leaves_the_running_point_alone() {
    let d = tempfile::tempdir().expect("tmp");
    let grid = d.path().join("g.toml");
    std::fs::write(
        &grid,
        "[model]\nmemories = 40\n[data]\nper_class = 10\n[train]\nepochs = 100000\n[sweep]\ngrid = { \"model.n\" = [3] }\n",
    )
    .expect("grid");
    let out = d.path().join("sweep");
    let args = |o: &Path| -> Vec<String> {
        vec![
            "sweep".into(),
            "run".into(),
            grid.display().to_string(),
            "--out".into(),
            o.display().to_string(),
            "--no-progress".into(),
        ]
    };
    let mut first = bin()
        .args(args(&out))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    let t0 = std::time::Instant::now();
    let started = || {
        std::fs::read_dir(out.join("points"))
            .map(|r| r.flatten().any(|p| p.path().join("config.toml").exists()))
            .unwrap_or(false)
    };
    while !started() && t0.elapsed().as_secs() < 60 {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let o = waddington(&args(&out));
    let text = String::from_utf8_lossy(&o.stdout);
    first.kill().expect("kill");
    let _ = first.wait();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(text.contains("left to another process"), "{text}");
    let failed = std::fs::read_dir(out.join("points"))
        .expect("points")
        .flatten()
        .any(|p| p.path().join("FAILED.json").exists());
    assert!(!failed, "the running point was marked failed");
}
