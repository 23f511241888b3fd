//! Helpers of the `reproduce` tests: options at quick scale and reading a report's checks.

use std::path::{Path, PathBuf};
use waddington::reproduce::{Options, Outcome, Scale};

/// Quick scale, embedded data, seed 0, two jobs, no progress.
pub fn options(out: &Path) -> Options {
    options_with(out, None)
}

/// As [`options`], with the reference 200-digit set when `samples` is given.
pub fn options_with(out: &Path, samples: Option<PathBuf>) -> Options {
    Options {
        out: out.to_path_buf(),
        scale: Scale::Quick,
        samples,
        seed: 0,
        jobs: 2,
        progress: false,
    }
}

/// The numeric value of the report's check `key` (panics when missing or not numeric).
pub fn value(o: &Outcome, key: &str) -> f64 {
    o.report
        .get(key)
        .unwrap_or_else(|| panic!("report has no check {key:?}"))
        .value
        .unwrap_or_else(|| panic!("check {key:?} has no numeric value"))
}

/// The verdict of the report's check `key` (panics when missing or informational).
pub fn passed(o: &Outcome, key: &str) -> bool {
    o.report
        .get(key)
        .and_then(|c| c.pass)
        .unwrap_or_else(|| panic!("report has no verdict for {key:?}"))
}
