//! `waddington reproduce` from the command line: bad input (unknown figure or scale, a `--samples`
//! file of the wrong shape, an unrelated non-empty output folder) fails clearly, exits non-zero
//! and leaves the disk untouched. (Each figure's numbers are checked in tests/reproduce_*.rs.)

mod common;

use common::bin;
use ndarray::Array2;
use waddington::npy;

/// Runs `waddington args…`, expects failure, returns stderr.
fn fails(args: &[&str]) -> String {
    let out = bin().args(args).output().expect("run waddington");
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(
        !out.status.success(),
        "expected failure for {args:?}; stderr: {err}"
    );
    err
}

#[test]
fn unknown_figure_and_scale_are_refused_before_anything_is_written() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("out");
    let o = out.to_str().expect("utf-8 path");
    let err = fails(&["reproduce", "fig9", "--out", o]);
    assert!(err.contains("fig9") && err.contains("fig1 … fig8, bif1"), "{err}");
    let err = fails(&["reproduce", "fig1", "--scale", "huge", "--out", o]);
    assert!(err.contains("--scale") && err.contains("quick or paper"), "{err}");
    let err = fails(&["reproduce", "fig1", "--jobs", "0", "--out", o]);
    assert!(err.contains("--jobs"), "{err}");
    assert!(!out.exists(), "nothing may be created for bad options");
}

#[test]
fn samples_of_the_wrong_shape_or_range_are_named_and_nothing_is_written() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("out");
    let o = out.to_str().expect("utf-8 path");
    let bad = tmp.path().join("digits.npy");
    npy::write(&bad, &Array2::<f64>::zeros((100, 784))).expect("write npy");
    let b = bad.to_str().expect("utf-8 path");
    let err = fails(&["reproduce", "fig3", "--samples", b, "--out", o]);
    assert!(err.contains("digits.npy") && err.contains("200 × 784"), "{err}");
    let mut big = Array2::<f64>::zeros((200, 784));
    big[[3, 5]] = 255.0;
    npy::write(&bad, &big).expect("write npy");
    let err = fails(&["reproduce", "fig3", "--samples", b, "--out", o]);
    assert!(err.contains("digits.npy") && err.contains("[-1, 1]"), "{err}");
    let err = fails(&[
        "reproduce",
        "fig3",
        "--samples",
        "/nonexistent/ref.npy",
        "--out",
        o,
    ]);
    assert!(err.contains("/nonexistent/ref.npy"), "{err}");
    assert!(!out.exists(), "nothing may be created for bad input");
}

#[test]
fn an_unrelated_non_empty_folder_is_refused_and_left_alone() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let keep = tmp.path().join("notes.txt");
    std::fs::write(&keep, "mine").expect("write");
    let o = tmp.path().to_str().expect("utf-8 path");
    let err = fails(&["reproduce", "fig6", "--out", o]);
    assert!(
        err.contains("not empty") && err.contains(".waddington-reproduce"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&keep).expect("read"), "mine");
    assert_eq!(std::fs::read_dir(tmp.path()).expect("list").count(), 1);
}
