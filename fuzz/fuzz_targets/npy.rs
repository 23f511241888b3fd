//! `.npy` parsing (float64 and integer readers): any bytes give an array or an error.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let what = Path::new("fuzz.npy");
    let _ = waddington::npy::f64_from_bytes(data, what);
    let _ = waddington::npy::int_from_bytes(data, what);
});
