//! A saved UMAP model folder (`model.json` + `model.npz`): the input is split at the first NUL
//! into the two files.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let dir = std::env::temp_dir().join(format!("waddington-fuzz-umap-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let cut = data.iter().position(|&b| b == 0).unwrap_or(data.len());
    let (json, npz) = (&data[..cut], data.get(cut + 1..).unwrap_or(&[]));
    if std::fs::write(dir.join("model.json"), json).is_err()
        || std::fs::write(dir.join("model.npz"), npz).is_err()
    {
        return;
    }
    let _ = waddington::embed::Umap::load(&dir);
});
