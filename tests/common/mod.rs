//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

/// The shared fixtures folder (`../shared/fixtures` beside the crate), if present.
pub fn fixtures() -> Option<PathBuf> {
    let p = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/fixtures"));
    if p.is_dir() {
        Some(p)
    } else {
        eprintln!(
            "SKIPPED: this test needs ../shared/fixtures (the golden trajectories and the reference \
             200-digit set), which is absent from this checkout"
        );
        None
    }
}

pub mod reproduce;

/// The `waddington` binary built for the tests.
pub fn bin() -> std::process::Command {
    std::process::Command::new(env!("CARGO_BIN_EXE_waddington"))
}
