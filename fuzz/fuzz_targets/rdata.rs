//! R data files (`save()` / `.rds`, XDR, raw or gzip), as read for the Guo et al. expression data.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(f) = waddington::bifurcating::rdata::RFile::from_bytes(data) {
        for name in f.object_names() {
            let _ = f.object(&name);
        }
    }
});
