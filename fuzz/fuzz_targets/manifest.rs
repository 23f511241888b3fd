//! A sweep folder's manifest (`sweep.json`).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let dir = std::env::temp_dir().join(format!("waddington-fuzz-sweep-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    if std::fs::write(dir.join("sweep.json"), data).is_ok() {
        let _ = waddington::sweep::manifest::Manifest::read(&dir);
    }
});
