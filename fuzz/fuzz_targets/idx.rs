//! IDX image/label files (raw or gzip).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = waddington::data::idx::parse(data, std::path::Path::new("fuzz.idx"));
});
