//! The `--plot` options of `waddington reduced …` and `waddington bifurcate …`, and `embed movie`: each writes a
//! valid, non-trivial PNG (or SVG by extension) after the data; a bad extension or an unwritable
//! path fails before anything is computed or written, with an error naming the file.

use std::path::{Path, PathBuf};
use std::process::Command;

const DOTS: &str = "753.22,494.02,719.70";

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_waddington"))
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("waddington-cli-figures-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn run_ok(args: &[&str]) -> String {
    let o = bin().args(args).output().unwrap();
    assert!(
        o.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn run_err(args: &[&str]) -> String {
    let o = bin().args(args).output().unwrap();
    assert!(!o.status.success(), "{args:?} should fail");
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Decode a PNG; check signature, size and that it is not blank (several distinct colours,
/// a reasonable share of non-white pixels).
fn check_png(path: &Path, min_w: u32, min_h: u32) {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(
        &bytes[..8],
        b"\x89PNG\r\n\x1a\n",
        "{}: PNG signature",
        path.display()
    );
    let dec = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = dec.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert!(
        info.width >= min_w && info.height >= min_h,
        "{}: {}×{}",
        path.display(),
        info.width,
        info.height
    );
    let px = &buf[..info.buffer_size()];
    let ch = info.color_type.samples();
    let pixels: Vec<&[u8]> = px.chunks(ch).collect();
    let non_white = pixels.iter().filter(|p| p[..3].iter().any(|&c| c < 240)).count();
    let frac = non_white as f64 / pixels.len() as f64;
    assert!(frac > 0.01, "{}: only {frac} non-white", path.display());
    let mut colours: Vec<[u8; 3]> = pixels.iter().map(|p| [p[0], p[1], p[2]]).collect();
    colours.sort();
    colours.dedup();
    assert!(
        colours.len() > 20,
        "{}: {} colours",
        path.display(),
        colours.len()
    );
}

fn files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|r| {
            r.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn reduced_diagram_png_and_svg() {
    let d = tmp("diagram");
    let out = d.join("run");
    let png = d.join("diagram.png");
    let args = |plot: &Path| {
        vec![
            "reduced".to_string(),
            "diagram".into(),
            "--dots".into(),
            DOTS.into(),
            "--memories".into(),
            "2".into(),
            "--temperature".into(),
            "700".into(),
            "--n-min".into(),
            "10".into(),
            "--n-max".into(),
            "40".into(),
            "--out".into(),
            out.display().to_string(),
            "--force".into(),
            "--plot".into(),
            plot.display().to_string(),
        ]
    };
    let a: Vec<String> = args(&png);
    let stdout = run_ok(&a.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(stdout.contains("diagram.png"));
    check_png(&png, 1000, 400);
    // Two panels side by side.
    let svg = d.join("diagram.svg");
    let a = args(&svg);
    run_ok(&a.iter().map(String::as_str).collect::<Vec<_>>());
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.starts_with("<svg") && text.contains("fold") && text.contains("</svg>"));
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn reduced_nullclines_fold_curves_transition_png() {
    let d = tmp("reduced");
    let o = |s: &str| d.join(s).display().to_string();
    run_ok(&[
        "reduced",
        "nullclines",
        "--dots",
        DOTS,
        "--memories",
        "2",
        "--n",
        "20",
        "--temperature",
        "700",
        "--out",
        &o("nc"),
        "--plot",
        &o("nc.png"),
    ]);
    check_png(&d.join("nc.png"), 600, 500);
    run_ok(&[
        "reduced",
        "fold-curves",
        "--dots",
        DOTS,
        "--memories",
        "2",
        "--n-min",
        "10",
        "--n-max",
        "30",
        "--t-min",
        "650",
        "--t-max",
        "800",
        "--seeds",
        "2",
        "--out",
        &o("fc"),
        "--plot",
        &o("fc.png"),
    ]);
    check_png(&d.join("fc.png"), 600, 400);
    run_ok(&[
        "reduced",
        "transition",
        "--dots",
        DOTS,
        "--n",
        "2,30,2",
        "--t",
        "400,880,40",
        "--out",
        &o("tr"),
        "--plot",
        &o("tr.png"),
    ]);
    check_png(&d.join("tr.png"), 600, 400);
    run_ok(&[
        "reduced",
        "transition",
        "--dots",
        DOTS,
        "--n",
        "2,30,7",
        "--t",
        "400,880,160",
        "--simulate",
        "--epochs",
        "200",
        "--out",
        &o("trs"),
        "--plot",
        &o("trs.png"),
    ]);
    check_png(&d.join("trs.png"), 1200, 400);
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn bad_plot_paths_fail_before_anything_is_written() {
    let d = tmp("bad");
    let o = |s: &str| d.join(s).display().to_string();
    let err = run_err(&[
        "reduced",
        "nullclines",
        "--dots",
        DOTS,
        "--n",
        "20",
        "--temperature",
        "700",
        "--out",
        &o("nc"),
        "--plot",
        &o("nc.jpg"),
    ]);
    assert!(err.contains("nc.jpg") && err.contains(".png or .svg"), "{err}");
    std::fs::write(d.join("blocker"), b"x").unwrap();
    let err = run_err(&[
        "reduced",
        "diagram",
        "--dots",
        DOTS,
        "--temperature",
        "700",
        "--out",
        &o("dg"),
        "--plot",
        &o("blocker/fig.png"),
    ]);
    assert!(
        err.contains("blocker/fig.png") && err.contains("not a folder"),
        "{err}"
    );
    let scenario = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/bifurcating/figure1.toml");
    let err = run_err(&[
        "bifurcate",
        "simulate",
        scenario,
        "--out",
        &o("sim"),
        "--plot",
        &o("m.gif"),
    ]);
    assert!(err.contains("m.gif"), "{err}");
    let err = run_err(&["bifurcate", "critical-points", "--plot", &o("blocker/cp.svg")]);
    assert!(err.contains("blocker/cp.svg"), "{err}");
    assert_eq!(
        files(&d),
        vec!["blocker".to_string()],
        "nothing but the blocker file"
    );
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn bifurcate_simulate_and_critical_points_plots() {
    let d = tmp("bif");
    let o = |s: &str| d.join(s).display().to_string();
    let scenario = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/bifurcating/figure1.toml");
    let stdout = run_ok(&[
        "bifurcate",
        "simulate",
        scenario,
        "--out",
        &o("sim"),
        "--plot",
        &o("m.png"),
    ]);
    assert!(stdout.contains("m.png"));
    assert!(d.join("sim/events.json").exists());
    check_png(&d.join("m.png"), 600, 400);
    let json = run_ok(&[
        "bifurcate",
        "critical-points",
        "--format",
        "json",
        "--plot",
        &o("cp.svg"),
    ]);
    assert!(
        serde_json::from_str::<serde_json::Value>(&json).is_ok(),
        "stdout stays pure JSON"
    );
    let svg = std::fs::read_to_string(d.join("cp.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("minimum") && svg.contains("saddle"));
    run_ok(&["bifurcate", "critical-points", "--plot", &o("cp.png")]);
    check_png(&d.join("cp.png"), 600, 500);
    let err = run_err(&[
        "bifurcate",
        "critical-points",
        "--potential",
        "polynomial",
        "--expr",
        "x^4 - x^2",
        "--vars",
        "x",
        "--plot",
        &o("one.png"),
    ]);
    assert!(
        err.contains("two-dimensional") && err.contains("one.png"),
        "{err}"
    );
    assert!(!d.join("one.png").exists());
    let _ = std::fs::remove_dir_all(&d);
}

/// `embed movie`: a short run's memories through a UMAP model fitted on its own training samples.
/// The GIF decodes to one frame per used record (every 2nd of 6 → 3), frames differ (the points
/// move), the library's positions equal a direct transform of the same frames, and an existing
/// output is refused without --force.
#[test]
fn embed_movie_of_a_run_through_a_fitted_umap() {
    use waddington::embed::{Umap, io, movie};
    use waddington::run_folder::Trajectory;
    let d = tmp("umap");
    let o = |s: &str| d.join(s).display().to_string();
    run_ok(&[
        "train",
        "--out",
        &o("run"),
        "--epochs",
        "50",
        "--save-every",
        "10",
        "--memories",
        "12",
        "--per-class",
        "6",
        "--n",
        "3",
        "--temperature",
        "400",
    ]);
    // labels of the run's samples: argmax of the ±1 targets
    let t: ndarray::Array2<f64> = ndarray_npy::read_npy(d.join("run/targets.npy")).unwrap();
    let labels: ndarray::Array1<i64> = t
        .rows()
        .into_iter()
        .map(|r| r.iter().position(|&v| v > 0.0).unwrap() as i64)
        .collect();
    ndarray_npy::write_npy(d.join("labels.npy"), &labels).unwrap();
    run_ok(&[
        "embed",
        "fit",
        "--data",
        &o("run/samples.npy"),
        "--labels",
        &o("labels.npy"),
        "--neighbors",
        "10",
        "--out",
        &o("model"),
    ]);
    let stdout = run_ok(&[
        "embed",
        "movie",
        "--model",
        &o("model"),
        "--trajectory",
        &o("run"),
        "--every",
        "2",
        "--trail",
        "2",
        "--out",
        &o("m.gif"),
    ]);
    assert!(stdout.contains("(3 frames)"), "{stdout}");
    let file = std::fs::File::open(d.join("m.gif")).unwrap();
    let mut opts = gif::DecodeOptions::new();
    opts.set_color_output(gif::ColorOutput::Indexed);
    let mut dec = opts.read_info(file).unwrap();
    let mut frames = Vec::new();
    while let Some(f) = dec.read_next_frame().unwrap() {
        frames.push(f.buffer.to_vec());
    }
    assert_eq!(frames.len(), 3);
    assert!(
        frames[0] != frames[2],
        "the memories move between the first and last frame"
    );

    let model = Umap::load(&d.join("model")).unwrap();
    let mut traj = Trajectory::open(&d.join("run")).unwrap();
    let (pos, epochs) = movie::trajectory_positions(&model, &mut traj, 2, 10, 1).unwrap();
    assert_eq!(epochs, vec![0, 20, 40]);
    assert_eq!(pos.dim(), (3, 12, 2));
    let direct = io::transform_array(
        &model,
        traj.memories_select(&[0, 2, 4]).unwrap().into_dyn(),
        "m",
        10,
        2,
    )
    .unwrap();
    assert_eq!(
        pos.into_dyn(),
        direct,
        "thread count and call path do not change the positions"
    );

    let err = run_err(&[
        "embed",
        "movie",
        "--model",
        &o("model"),
        "--trajectory",
        &o("run"),
        "--out",
        &o("m.gif"),
    ]);
    assert!(err.contains("m.gif") && err.contains("already exists"), "{err}");
    let _ = std::fs::remove_dir_all(&d);
}
