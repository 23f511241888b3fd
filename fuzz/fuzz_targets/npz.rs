//! `.npz` archives as the run folder reads them: a trajectory (epochs, labels, memories streamed,
//! one frame by seek) and a checkpoint. Any bytes give arrays or an error.
#![no_main]
use libfuzzer_sys::fuzz_target;
use waddington::run_folder::{Trajectory, read_checkpoint};

fuzz_target!(|data: &[u8]| {
    let path = waddington_fuzz_scratch("archive.npz");
    if std::fs::write(&path, data).is_err() {
        return;
    }
    if let Ok(mut t) = Trajectory::open(&path) {
        let _ = t.memories_at(0);
        let _ = t.stream(3, |_, _, _| Ok(()));
    }
    let _ = read_checkpoint(&path);
    if let Ok(mut z) = waddington::npy::Npz::open(&path) {
        for name in z.names() {
            let _ = z.f64(&name);
            let _ = z.int(&name);
        }
    }
});

fn waddington_fuzz_scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("waddington-fuzz-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    dir.join(name)
}
