//! `waddington view` without a browser (the browser test is `tests/browser/view.test.mjs`): the
//! page is self-contained (no external script, style, font or address), its embedded data decode
//! back to the run folder's arrays within the stated quantisation step, a finished page is not
//! overwritten without `--force`, bad folders are refused with their path, and a sweep's overview
//! links every finished point to its page.

mod common;

use common::bin;
use serde_json::Value;
use std::path::{Path, PathBuf};
use waddington::run_folder::RunFolder;
use waddington::view::encode::{delta_decode, unbase64, unzlib};

const SMALL: &str = "[model]\nmemories = 12\n[data]\nper_class = 4\n[train]\nepochs = 40\nsave_every = 4\n";

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write");
    p
}

/// `waddington args…`, expecting success; stdout.
fn ok(args: &[&std::ffi::OsStr]) -> String {
    let out = bin().args(args).output().expect("run waddington");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// `waddington args…`, expecting failure; stderr.
fn fails(args: &[&std::ffi::OsStr]) -> String {
    let out = bin().args(args).output().expect("run waddington");
    assert!(!out.status.success(), "expected failure for {args:?}");
    String::from_utf8_lossy(&out.stderr).to_string()
}

fn os(s: &str) -> &std::ffi::OsStr {
    s.as_ref()
}

/// A trained small run in `dir/run`.
fn small_run(dir: &Path) -> PathBuf {
    let cfg = write(dir, "run.toml", SMALL);
    let run = dir.join("run");
    ok(&[
        os("train"),
        os("--config"),
        cfg.as_os_str(),
        os("--out"),
        run.as_os_str(),
    ]);
    run
}

/// The text between `open` (its end) and the next `close`.
fn between<'a>(text: &'a str, open: &str, close: &str) -> &'a str {
    let i = text.find(open).unwrap_or_else(|| panic!("{open} not in page")) + open.len();
    let j = text[i..].find(close).expect("closing tag") + i;
    &text[i..j]
}

/// Blob `i` of the page, decoded (base64, zlib).
fn blob(page: &str, i: u64) -> Vec<u8> {
    let open = format!("id=\"wv-blob-{i}\" data-encoding=\"zlib+base64\">");
    let text = between(page, &open, "</script>");
    unzlib(&unbase64(text).expect("base64")).expect("zlib")
}

/// A u8 array of the page as values (frame differences undone, dequantised).
fn u8_array(page: &str, info: &Value) -> (Vec<usize>, Vec<f64>) {
    assert_eq!(info["dtype"], "u8");
    let shape: Vec<usize> = info["shape"]
        .as_array()
        .expect("shape")
        .iter()
        .map(|v| v.as_u64().expect("dim") as usize)
        .collect();
    let mut bytes = blob(page, info["blob"].as_u64().expect("blob"));
    assert_eq!(bytes.len(), shape.iter().product::<usize>());
    if info["delta"].as_bool().expect("delta") {
        delta_decode(&mut bytes, shape[1..].iter().product());
    }
    let (lo, hi) = (info["lo"].as_f64().expect("lo"), info["hi"].as_f64().expect("hi"));
    (
        shape,
        bytes
            .iter()
            .map(|&q| lo + (hi - lo) * f64::from(q) / 255.0)
            .collect(),
    )
}

#[test]
fn a_run_page_is_self_contained_and_decodes_to_the_run_within_half_a_step() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let run = small_run(tmp.path());
    let printed = ok(&[os("view"), run.as_os_str()]);
    assert!(
        printed.contains("view.html") && printed.contains("MB"),
        "{printed}"
    );
    let page = std::fs::read_to_string(run.join("view.html")).expect("page");

    // Nothing outside the file: no external script, style sheet, image or address.
    for bad in [
        "<script src",
        "<img src=\"http",
        "@import",
        "url(http",
        "https://",
        "http://",
    ] {
        assert!(!page.contains(bad), "page holds {bad:?}");
    }
    for link in page
        .match_indices("<link")
        .map(|(i, _)| &page[i..i + page[i..].find('>').expect("tag end")])
    {
        assert!(link.contains("href=\"data:"), "only data: links: {link}");
    }
    assert!(
        page.contains("Content-Security-Policy"),
        "the page forbids network access"
    );

    let meta: Value =
        serde_json::from_str(between(&page, "id=\"wv-meta\">", "</script>")).expect("meta json");
    assert_eq!(meta["format"], "waddington-view 1");
    assert!(
        meta["encoding"].as_str().expect("encoding").contains("quantised"),
        "the page states its encoding"
    );

    // Memories and labels: within half a quantisation step of the run folder's f64 values.
    let folder = RunFolder::open(&run).expect("open run");
    let mut traj = folder.trajectory().expect("trajectory");
    let (e, k, d) = traj.memories_shape();
    assert_eq!((e, k, d), (11, 12, 784));
    let epochs: Vec<usize> = meta["epochs"]
        .as_array()
        .expect("epochs")
        .iter()
        .map(|v| v.as_u64().expect("epoch") as usize)
        .collect();
    assert_eq!(epochs, traj.epochs());
    let truth = traj.memories().expect("memories");
    let (shape, memories) = u8_array(&page, &meta["arrays"]["memories"]);
    assert_eq!(shape, vec![e, k, d]);
    let info = &meta["arrays"]["memories"];
    let half = (info["hi"].as_f64().expect("hi") - info["lo"].as_f64().expect("lo")) / 510.0;
    let worst = truth
        .iter()
        .zip(&memories)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    assert!(worst <= half * (1.0 + 1e-9), "memories off by {worst} > {half}");
    assert!(
        worst > 0.0,
        "quantisation must lose something: the check compares real data"
    );
    let (_, labels) = u8_array(&page, &meta["arrays"]["labels"]);
    let info = &meta["arrays"]["labels"];
    let half = (info["hi"].as_f64().expect("hi") - info["lo"].as_f64().expect("lo")) / 510.0;
    let worst = traj
        .labels()
        .iter()
        .zip(&labels)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    assert!(worst <= half * (1.0 + 1e-9), "labels off by {worst} > {half}");

    // Clades: every memory of a node's members list carries that node (or a descendant) at the
    // node's last epoch; the tree's leaves partition the memories.
    let clade_info = &meta["arrays"]["clade"];
    let clade_bytes = blob(&page, clade_info["blob"].as_u64().expect("blob"));
    let clade: Vec<i32> = clade_bytes
        .chunks_exact(4)
        .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    assert_eq!(clade.len(), e * k);
    let nodes = meta["tree"]["nodes"].as_array().expect("nodes");
    let mut leaf_members = 0;
    for node in nodes {
        let members: Vec<usize> = node["members"]
            .as_array()
            .expect("members")
            .iter()
            .map(|v| v.as_u64().expect("m") as usize)
            .collect();
        assert_eq!(members.len() as u64, node["size"].as_u64().expect("size"));
        if node["children"].as_array().expect("children").is_empty() {
            leaf_members += members.len();
            let last = e - 1;
            for &m in &members {
                assert_eq!(
                    clade[last * k + m] as u64,
                    node["id"].as_u64().expect("id"),
                    "memory {m} in its leaf"
                );
            }
        }
    }
    assert_eq!(leaf_members, k, "leaves partition the memories");
    let fate = meta["fate"].as_array().expect("fate");
    assert_eq!(fate.len(), k);

    // Node images: one per node, 784 pixels.
    let (shape, _) = u8_array(&page, &meta["arrays"]["node_memory_end"]);
    assert_eq!(shape, vec![nodes.len(), d]);
}

#[test]
fn a_finished_page_is_kept_without_force_and_bad_folders_are_named() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let run = small_run(tmp.path());
    let out = tmp.path().join("page.html");
    ok(&[os("view"), run.as_os_str(), os("--out"), out.as_os_str()]);
    std::fs::write(&out, "mine").expect("overwrite");
    let err = fails(&[os("view"), run.as_os_str(), os("--out"), out.as_os_str()]);
    assert!(err.contains("page.html") && err.contains("--force"), "{err}");
    assert_eq!(
        std::fs::read_to_string(&out).expect("kept"),
        "mine",
        "refused page untouched"
    );
    ok(&[
        os("view"),
        run.as_os_str(),
        os("--out"),
        out.as_os_str(),
        os("--force"),
    ]);
    assert!(std::fs::metadata(&out).expect("page").len() > 10_000);

    let missing = tmp.path().join("no-such-run");
    let err = fails(&[os("view"), missing.as_os_str()]);
    assert!(err.contains("no-such-run"), "{err}");
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).expect("mkdir");
    let err = fails(&[os("view"), empty.as_os_str()]);
    assert!(err.contains("empty"), "{err}");
    assert!(
        !empty.join("view.html").exists(),
        "nothing written for a bad folder"
    );
    // A folder given as --out is refused with a hint.
    let err = fails(&[os("view"), run.as_os_str(), os("--out"), tmp.path().as_os_str()]);
    assert!(err.contains("--out") && err.contains("folder"), "{err}");
}

#[test]
fn a_sweep_overview_links_every_point_to_its_page() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let grid = write(
        tmp.path(),
        "grid.toml",
        "[model]\nmemories = 6\n[data]\nper_class = 3\n[train]\nepochs = 20\nsave_every = 4\n\
         [sweep]\nname = \"v\"\ngrid = { \"model.n\" = [3, 20], \"model.temperature\" = [300, 670] }\n",
    );
    let sw = tmp.path().join("sweep");
    ok(&[
        os("sweep"),
        os("run"),
        grid.as_os_str(),
        os("--out"),
        sw.as_os_str(),
        os("--no-progress"),
    ]);
    ok(&[os("view"), sw.as_os_str()]);
    let index = std::fs::read_to_string(sw.join("view").join("index.html")).expect("overview");
    let doc: Value = serde_json::from_str(between(&index, "id=\"wv-overview\">", "</script>")).expect("json");
    let points = doc["points"].as_array().expect("points");
    assert_eq!(points.len(), 4);
    for p in points {
        let page = p["page"].as_str().expect("finished point has a page");
        let html = std::fs::read_to_string(sw.join("view").join(page)).expect("point page");
        assert!(
            html.contains("../index.html"),
            "a point's page links back to the overview"
        );
        let a = p["max_alpha"].as_f64().expect("max α");
        assert!(a.is_finite() && a > 0.0, "{a}");
        let acc = p["accuracy"].as_f64().expect("accuracy");
        assert!((0.0..=1.0).contains(&acc));
    }
    // Its (n, T) axes are the grid's.
    assert_eq!(doc["x_path"].as_str().map(|s| s.contains("model.")), Some(true));
    // A second run without --force is refused, the overview kept.
    let err = fails(&[os("view"), sw.as_os_str()]);
    assert!(err.contains("index.html"), "{err}");
}

#[test]
fn umap_trails_are_the_models_transform_of_the_recorded_memories() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let run = small_run(tmp.path());
    // A small model: 300 embedded digits, few layout epochs.
    let set = waddington::data::Dataset::embedded().expect("embedded");
    let x = set.images.slice(ndarray::s![..300, ..]).to_owned();
    let xp = tmp.path().join("x.npy");
    waddington::npy::write(&xp, &x).expect("write x");
    let model = tmp.path().join("umap");
    ok(&[
        os("embed"),
        os("fit"),
        os("--data"),
        xp.as_os_str(),
        os("--neighbors"),
        os("10"),
        os("--epochs"),
        os("30"),
        os("--out"),
        model.as_os_str(),
    ]);
    let page_path = tmp.path().join("u.html");
    ok(&[
        os("view"),
        run.as_os_str(),
        os("--out"),
        page_path.as_os_str(),
        os("--umap"),
        model.as_os_str(),
        os("--umap-every"),
        os("4"),
    ]);
    let page = std::fs::read_to_string(&page_path).expect("page");
    let meta: Value =
        serde_json::from_str(between(&page, "id=\"wv-meta\">", "</script>")).expect("meta json");
    // 11 records, every 4th and the last: 0, 4, 8, 10.
    let frames: Vec<u64> = meta["umap"]["frames"]
        .as_array()
        .expect("frames")
        .iter()
        .map(|v| v.as_u64().expect("f"))
        .collect();
    assert_eq!(frames, vec![0, 4, 8, 10]);
    let info = &meta["arrays"]["umap"];
    assert_eq!(info["shape"], serde_json::json!([4, 12, 2]));
    let bytes = blob(&page, info["blob"].as_u64().expect("blob"));
    let coords: Vec<f32> = bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    let umap = waddington::embed::Umap::load(&model).expect("load model");
    let mut traj = RunFolder::open(&run)
        .expect("open")
        .trajectory()
        .expect("trajectory");
    // The viewer transforms up to 10 records together (one batch here), as the paper's scripts do.
    let rows: Vec<ndarray::Array2<f64>> = frames
        .iter()
        .map(|&f| traj.memories_at(f as usize).expect("frame"))
        .collect();
    let views: Vec<_> = rows.iter().map(|r| r.view()).collect();
    let stacked = ndarray::concatenate(ndarray::Axis(0), &views).expect("stack");
    let expect = umap.transform(stacked.view(), 1).expect("transform");
    assert_eq!(expect.len(), coords.len());
    for (j, (v, &got)) in expect.iter().zip(&coords).enumerate() {
        let got = f64::from(got);
        assert!(
            (got - v).abs() <= 1e-5 * v.abs().max(1.0),
            "value {j}: {got} vs {v}"
        );
    }
    assert_eq!(
        meta["arrays"]["umap_samples"]["shape"],
        serde_json::json!([300, 2])
    );
}
