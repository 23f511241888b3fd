//! A fuzz smoke for every parser of files a user hands us (the CI counterpart of the libFuzzer
//! targets in `fuzz/`, which run far longer; see README "Reliability"): seeded mutations of valid
//! files (bit flips, extreme integers written over header fields, truncations, duplicated and
//! inserted bytes) must give a value or an error — never a panic — and no single allocation may
//! exceed 64 MiB for inputs of at most a few hundred kilobytes (a header's claim is checked
//! against the bytes present before anything is allocated).
//!
//! One test function, so the allocation counter sees only the parser under test.

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Records the largest single allocation request.
struct Counting;

static LARGEST: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `alloc` above with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LARGEST.fetch_max(new_size, Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

const LIMIT: usize = 64 << 20;

/// xorshift64*: a small deterministic generator for the mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// One mutant of `seed`: 1–4 random edits.
fn mutate(seed: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut b = seed.to_vec();
    for _ in 0..1 + rng.below(4) {
        let len = b.len().max(1);
        match rng.below(7) {
            0 if !b.is_empty() => {
                let i = rng.below(b.len());
                b[i] ^= 1 << rng.below(8);
            }
            1 if !b.is_empty() => {
                let i = rng.below(b.len());
                b[i] = [0x00, 0xff, b'9', b'(', b',', b')', b'-'][rng.below(7)];
            }
            2 => {
                let extreme: [u64; 6] = [u64::MAX, u32::MAX as u64, 1 << 31, 1 << 40, 0, i64::MAX as u64];
                let v = extreme[rng.below(extreme.len())].to_le_bytes();
                let i = rng.below(len);
                let w = [4, 8][rng.below(2)];
                for (k, byte) in v.iter().take(w).enumerate() {
                    if let Some(x) = b.get_mut(i + k) {
                        *x = *byte;
                    }
                }
            }
            3 => b.truncate(rng.below(len)),
            4 if !b.is_empty() => {
                let i = rng.below(b.len());
                let n = rng.below(64).min(b.len() - i);
                let chunk = b[i..i + n].to_vec();
                let at = rng.below(b.len());
                b.splice(at..at, chunk);
            }
            5 => {
                let at = rng.below(len).min(b.len());
                let n = 1 + rng.below(16);
                let junk: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
                b.splice(at..at, junk);
            }
            _ if !b.is_empty() => {
                // write a big decimal into text (shapes, lengths)
                let i = rng.below(b.len());
                let digits = b"99999999999999999999";
                for (k, d) in digits.iter().take(1 + rng.below(20)).enumerate() {
                    if let Some(x) = b.get_mut(i + k) {
                        *x = *d;
                    }
                }
            }
            _ => {}
        }
    }
    b
}

/// Run `parse` on `n` mutants of each seed; panics and oversized allocations fail the test with
/// the input saved under `dir`.
fn smoke(name: &str, seeds: &[Vec<u8>], n: usize, dir: &Path, parse: &dyn Fn(&[u8])) -> usize {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ name.len() as u64);
    let mut runs = 0;
    for seed in seeds {
        for i in 0..n {
            let input = if i == 0 {
                seed.clone()
            } else {
                mutate(seed, &mut rng)
            };
            LARGEST.store(0, Ordering::Relaxed);
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| parse(&input)));
            let largest = LARGEST.load(Ordering::Relaxed);
            if result.is_err() || largest > LIMIT {
                let keep = dir.join(format!("{name}-crash-{i}"));
                std::fs::write(&keep, &input).expect("keep the input");
                panic!(
                    "{name}: input {i} {} (largest allocation {largest} bytes); input kept at {}",
                    if result.is_err() {
                        "panicked"
                    } else {
                        "over-allocated"
                    },
                    keep.display()
                );
            }
            runs += 1;
        }
    }
    runs
}

fn npy_bytes(a: &ndarray::ArrayD<f64>) -> Vec<u8> {
    let mut v = Vec::new();
    ndarray_npy::WriteNpyExt::write_npy(a, &mut v).expect("npy");
    v
}

fn npz_bytes(members: &[(&str, ndarray::ArrayD<f64>)], ints: &[(&str, ndarray::ArrayD<i64>)]) -> Vec<u8> {
    let mut w = ndarray_npy::NpzWriter::new(std::io::Cursor::new(Vec::new()));
    for (n, a) in ints {
        w.add_array(*n, a).expect("add");
    }
    for (n, a) in members {
        w.add_array(*n, a).expect("add");
    }
    w.finish().expect("finish").into_inner()
}

fn arr(shape: &[usize]) -> ndarray::ArrayD<f64> {
    ndarray::ArrayD::from_shape_fn(shape, |i| {
        ndarray::Dimension::slice(&i).iter().sum::<usize>() as f64 * 0.1
    })
}

fn scalar(v: i64) -> ndarray::ArrayD<i64> {
    ndarray::ArrayD::from_elem(ndarray::IxDyn(&[]), v)
}

/// A minimal R `save()` stream: one real vector of two values.
fn rdata_seed() -> Vec<u8> {
    let mut b = b"RDX2\nX\n".to_vec();
    for i in [2i32, 0x0003_0301, 0x0002_0300, 14, 2] {
        b.extend_from_slice(&i.to_be_bytes());
    }
    for d in [1.5f64, -2.0] {
        b.extend_from_slice(&d.to_be_bytes());
    }
    b
}

fn write_to(path: &Path, bytes: &[u8]) -> bool {
    std::fs::write(path, bytes).is_ok()
}

#[test]
fn every_parser_survives_mutated_input_without_panic_or_allocation_bomb() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().to_path_buf();
    let keep = std::env::var("CARGO_TARGET_TMPDIR").map_or(dir.clone(), PathBuf::from);
    let mut total = Vec::new();

    let npy_seeds = vec![npy_bytes(&arr(&[3, 4])), npy_bytes(&arr(&[2, 2, 3])), {
        let mut v = Vec::new();
        ndarray_npy::WriteNpyExt::write_npy(&ndarray::arr1(&[1i64, 5, 7]), &mut v).expect("npy");
        v
    }];
    total.push((
        "npy",
        smoke("npy", &npy_seeds, 3000, &keep, &|b| {
            let _ = waddington::npy::f64_from_bytes(b, Path::new("x.npy"));
            let _ = waddington::npy::int_from_bytes(b, Path::new("x.npy"));
        }),
    ));

    let (e, k, d) = (3, 2, 4);
    let traj = npz_bytes(
        &[("memories", arr(&[e, k, d])), ("labels", arr(&[e, k, 10]))],
        &[(
            "epochs",
            ndarray::ArrayD::from_shape_vec(vec![e], vec![0, 1, 2]).expect("e"),
        )],
    );
    let ck = npz_bytes(
        &[
            ("memories", arr(&[k, d])),
            ("labels", arr(&[k, 10])),
            ("vel_memories", arr(&[k, d])),
            ("vel_labels", arr(&[k, 10])),
            ("wall_seconds", arr(&[])),
        ],
        &[("epoch", scalar(3)), ("records", scalar(2))],
    );
    let path = dir.join("a.npz");
    total.push((
        "npz (trajectory, checkpoint)",
        smoke("npz", &[traj, ck], 1500, &keep, &|b| {
            if !write_to(&path, b) {
                return;
            }
            if let Ok(mut t) = waddington::run_folder::Trajectory::open(&path) {
                let _ = t.memories_at(0);
                let _ = t.stream(2, |_, _, _| Ok(()));
            }
            let _ = waddington::run_folder::read_checkpoint(&path);
        }),
    ));

    let idx_seeds = vec![
        waddington::data::idx::encode(&[2, 3, 3], &(0..18).collect::<Vec<u8>>()),
        waddington::data::idx::encode(&[4], &[1, 2, 3, 4]),
    ];
    total.push((
        "IDX",
        smoke("idx", &idx_seeds, 3000, &keep, &|b| {
            let _ = waddington::data::idx::parse(b, Path::new("x.idx"));
        }),
    ));

    let mut r_seeds = vec![rdata_seed()];
    if let Ok(d) = std::env::var("WADDINGTON_DESTINY_DATA")
        && let Ok(guo) = std::fs::read(Path::new(&d).join("guo.rda"))
    {
        r_seeds.push(guo);
    }
    total.push((
        "R data",
        smoke("rdata", &r_seeds, 1500, &keep, &|b| {
            if let Ok(f) = waddington::bifurcating::rdata::RFile::from_bytes(b) {
                for n in f.object_names() {
                    let _ = f.object(&n);
                }
            }
        }),
    ));

    let cfg = waddington::config::RunConfig::default().to_toml().into_bytes();
    let grid = b"[model]\nmemories = 3\n[sweep]\ngrid = { \"model.n\" = [3, 20] }\n".to_vec();
    total.push((
        "run config, sweep grid (TOML)",
        smoke("config", &[cfg, grid], 2000, &keep, &|b| {
            if let Ok(t) = std::str::from_utf8(b) {
                let _ = waddington::config::RunConfig::from_toml_str(t, Path::new("c.toml"));
                let _ =
                    waddington::sweep::Grid::from_toml_str(t, Path::new("g.toml"), Path::new("/nonexistent"));
            }
        }),
    ));

    // A UMAP model folder and a sweep manifest, made by the tool itself.
    let x = arr(&[12, 6]).mapv(|v| (v * 7.3).sin());
    let xs = dir.join("x.npy");
    waddington::npy::write(&xs, &x).expect("x");
    let model = dir.join("model");
    let data = waddington::embed::io::load_fit_data(xs.to_str().expect("utf8"), None).expect("data");
    let params = waddington::embed::UmapParams {
        n_neighbors: 3,
        n_epochs: Some(5),
        ..waddington::embed::UmapParams::default()
    };
    waddington::embed::io::fit_to_dir(&data, &params, 1, &model, false).expect("fit");
    let mut umap_seed = std::fs::read(model.join("model.json")).expect("json");
    umap_seed.push(0);
    umap_seed.extend(std::fs::read(model.join("model.npz")).expect("npz"));
    let mdir = dir.join("m");
    std::fs::create_dir_all(&mdir).expect("dir");
    total.push((
        "UMAP model",
        smoke("umap", &[umap_seed], 1000, &keep, &|b| {
            let cut = b.iter().position(|&c| c == 0).unwrap_or(b.len());
            if write_to(&mdir.join("model.json"), &b[..cut])
                && write_to(&mdir.join("model.npz"), b.get(cut + 1..).unwrap_or(&[]))
            {
                let _ = waddington::embed::Umap::load(&mdir);
            }
        }),
    ));

    let g = waddington::sweep::Grid::from_toml_str(
        "[model]\nmemories = 3\n[sweep]\ngrid = { \"model.n\" = [3, 20] }\n",
        Path::new("g.toml"),
        &dir,
    )
    .expect("grid");
    let sdir = dir.join("sweep");
    waddington::sweep::manifest::write_or_check(&g, &sdir).expect("manifest");
    let manifest = std::fs::read(sdir.join("sweep.json")).expect("manifest");
    total.push((
        "sweep manifest",
        smoke("manifest", &[manifest], 2000, &keep, &|b| {
            if write_to(&sdir.join("sweep.json"), b) {
                let _ = waddington::sweep::manifest::Manifest::read(&sdir);
            }
        }),
    ));

    for (name, runs) in &total {
        eprintln!("{name}: {runs} inputs, no panic, no allocation over {LIMIT} bytes");
    }
}
