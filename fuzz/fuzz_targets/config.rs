//! Run configs (TOML) and sweep grids: any text gives a config or an error naming the field.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = waddington::config::RunConfig::from_toml_str(text, Path::new("fuzz.toml"));
        let _ =
            waddington::sweep::Grid::from_toml_str(text, Path::new("fuzz.toml"), Path::new("/nonexistent"));
    }
});
