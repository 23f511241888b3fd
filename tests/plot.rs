//! Tests of the plotting layer: every figure writes a valid PNG of its stated size and an SVG
//! holding its axis labels; pixel checks where the geometry is known (memory grid colours, stacked
//! areas); movies decode to the requested number of frames with the colour-map palette and no
//! dithering; the `plot` CLI end to end on a small trajectory.npz.

use ndarray::{Array2, Array3};
use std::path::{Path, PathBuf};
use std::process::Command;
use waddington::plot::*;

fn decode_png(path: &Path) -> (u32, u32, Vec<u8>) {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(
        &bytes[..8],
        b"\x89PNG\r\n\x1a\n",
        "PNG signature of {}",
        path.display()
    );
    let dec = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = dec.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgb);
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
}

fn pixel(rgb: &[u8], w: u32, (x, y): (i32, i32)) -> [u8; 3] {
    let i = (y as usize * w as usize + x as usize) * 3;
    [rgb[i], rgb[i + 1], rgb[i + 2]]
}

/// Save `fig` as PNG and SVG in `dir`; check the PNG's size and that it is not blank, and that
/// the SVG holds every string of `texts`. Returns the decoded PNG.
fn check_figure<F: Figure>(fig: &F, dir: &Path, name: &str, texts: &[&str]) -> (u32, u32, Vec<u8>) {
    let png_path = dir.join(format!("{name}.png"));
    save(fig, &png_path).unwrap();
    let (w, h, rgb) = decode_png(&png_path);
    assert_eq!((w, h), fig.size(), "{name}: PNG size");
    let dark = rgb.chunks_exact(3).filter(|p| p.iter().all(|&c| c < 100)).count();
    assert!(
        dark > 200,
        "{name}: only {dark} dark pixels (text and axes missing?)"
    );
    let svg_path = dir.join(format!("{name}.svg"));
    save(fig, &svg_path).unwrap();
    let svg = std::fs::read_to_string(&svg_path).unwrap();
    assert!(
        svg.starts_with("<svg") || svg.contains("<svg"),
        "{name}: not an SVG"
    );
    for t in texts {
        assert!(svg.contains(t), "{name}: SVG lacks text '{t}'");
    }
    (w, h, rgb)
}

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

#[test]
fn memory_grid_tiles_have_bwr_colours_at_their_pixels() {
    let dir = tmp();
    let mut imgs = Array2::zeros((4, 784));
    imgs.row_mut(0).fill(1.0);
    imgs.row_mut(1).fill(-1.0);
    // Tile 2 stays 0 (white); tile 3: left half −0.5, right half +0.5.
    for j in 0..784 {
        imgs[(3, j)] = if j % 28 < 14 { -0.5 } else { 0.5 };
    }
    let mut g = MemoryGrid::new(imgs, 3);
    g.title = Some("Test grid".into());
    g.tile_titles = Some(vec!["a".into(), "b".into(), "c".into(), "d".into()]);
    assert_eq!((g.rows, g.cols), (2, 3));
    let (w, _, rgb) = check_figure(&g, dir.path(), "grid", &["Test grid", "pixel value"]);
    for j in [0, 29, 406, 783] {
        assert_eq!(pixel(&rgb, w, g.pixel_center(0, j)), [255, 0, 0], "+1 is red");
        assert_eq!(pixel(&rgb, w, g.pixel_center(1, j)), [0, 0, 255], "−1 is blue");
        assert_eq!(
            pixel(&rgb, w, g.pixel_center(2, j)),
            [255, 255, 255],
            "0 is white"
        );
    }
    // bwr at −0.5 = (0.5, 0.5, 1), at +0.5 = (1, 0.5, 0.5).
    assert_eq!(pixel(&rgb, w, g.pixel_center(3, 28 * 10 + 3)), [128, 128, 255]);
    assert_eq!(pixel(&rgb, w, g.pixel_center(3, 28 * 10 + 20)), [255, 128, 128]);
    // Tile 3 is in row 1, column 0: directly below tile 0.
    assert_eq!(g.tile_origin(3).0, g.tile_origin(0).0);
    assert!(g.tile_origin(3).1 > g.tile_origin(0).1 + 84);
}

#[test]
fn text_is_drawn_with_the_embedded_font() {
    // Only fonts registered from the binary are used (plotters' ab_glyph backend never looks up
    // system fonts), so dark pixels in the title band prove the embedded font renders.
    let mut g = MemoryGrid::new(Array2::zeros((1, 784)), 1);
    let blank = render_rgb(&g).unwrap();
    g.title = Some("Waddington".into());
    let titled = render_rgb(&g).unwrap();
    let (w, _) = g.size();
    let right = g.tile_origin(0).0 + 28 * 3;
    let band = |rgb: &[u8]| {
        (0..g.tile_origin(0).1 - 2)
            .flat_map(|y| (0..right).map(move |x| (x, y)))
            .filter(|&p| pixel(rgb, w, p).iter().all(|&c| c < 128))
            .count()
    };
    assert!(band(&blank) <= 2, "blank band {}", band(&blank));
    assert!(
        band(&titled) > 100,
        "title text has {} dark pixels",
        band(&titled)
    );
}

#[test]
fn label_strips_and_alpha_panels() {
    let dir = tmp();
    let labels = Array2::from_shape_fn((12, 10), |(a, c)| if a % 10 == c { 1.0 } else { -1.0 });
    check_figure(
        &LabelStrips::new(labels),
        dir.path(),
        "labels",
        &["memory index", "class 3", "label ℓ"],
    );

    // α rows: class d of memory 0 holds the values 0.01·(k+1)·(−1)^k for k = 0..19 shuffled.
    let alphas = Array2::from_shape_fn((2, 200), |(a, p)| {
        let k = (p * 7 + a) % 20;
        0.01 * (k as f64 + 1.0) * if k % 2 == 0 { 1.0 } else { -1.0 }
    });
    let mut ap = AlphaPanels::new(alphas.clone());
    ap.y_range = Some((-0.25, 0.4));
    for a in 0..2 {
        let stems = ap.stems(a);
        assert_eq!(stems.len(), 200);
        for d in 0..10 {
            let block: Vec<f64> = alphas.row(a).iter().skip(20 * d).take(20).copied().collect();
            let max_abs = block.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            // Position 10 of each block holds s_0 (largest |α|), position 9 s_1, 0 s_19, 19 s_18.
            assert_eq!(stems[20 * d + 10].1.abs(), max_abs);
            assert_eq!(stems[20 * d + 9].1.abs(), 0.19);
            assert!((stems[20 * d].1.abs() - 0.01).abs() < 1e-15);
            assert!((stems[20 * d + 19].1.abs() - 0.02).abs() < 1e-15);
            assert!(stems[20 * d..20 * d + 20].iter().all(|s| s.2 == d));
        }
    }
    check_figure(&ap, dir.path(), "alpha", &["symmetric rank", "memory 1", "α"]);
    ap.alphas = Array2::zeros((2, 199));
    assert!(save(&ap, &dir.path().join("bad.png")).is_err());
    assert!(
        !dir.path().join("bad.png").exists(),
        "nothing written on bad input"
    );
}

#[test]
fn line_plots_with_bands_log_axes_and_events() {
    let dir = tmp();
    let x: Vec<f64> = (1..=50).map(f64::from).collect();
    let mut p = LinePlot::new("Lines", "interaction order n", "max |α|");
    p.series
        .push(Series::new("T = 450", x.clone(), x.iter().map(|v| v.sqrt()).collect()).with_sd(vec![0.2; 50]));
    p.series
        .push(Series::new("T = 650", x.clone(), x.iter().map(|v| 0.5 * v.sqrt()).collect()).dashed());
    p.events.push(Event {
        x: 25.0,
        label: "split".into(),
    });
    check_figure(
        &p,
        dir.path(),
        "lines",
        &["interaction order n", "max |α|", "T = 450", "split"],
    );
    p.log_x = true;
    p.log_y = true;
    check_figure(&p, dir.path(), "lines_log", &["T = 650"]);
    // Log axes reject non-positive values, naming the series.
    p.series[1].y[3] = 0.0;
    let e = save(&p, &dir.path().join("x.png")).unwrap_err().to_string();
    assert!(e.contains("T = 650") && e.contains("log"), "{e}");
    // Mismatched lengths are rejected.
    let bad = LinePlot {
        series: vec![Series::new("s", vec![1.0, 2.0], vec![1.0])],
        ..Default::default()
    };
    assert!(save(&bad, &dir.path().join("y.svg")).is_err());

    let t: Vec<f64> = (0..100).map(|i| i as f64 * 0.1).collect();
    let m = Array2::from_shape_fn((100, 2), |(i, k)| {
        if k == 0 {
            (-t[i]).exp()
        } else {
            1.0 - (-t[i]).exp()
        }
    });
    let names = vec!["m1".to_string(), "m2".to_string()];
    let tt = LinePlot::time_traces(
        &t,
        &m,
        &names,
        vec![Event {
            x: 3.0,
            label: "fold crossed".into(),
        }],
    )
    .unwrap();
    check_figure(
        &tt,
        dir.path(),
        "traces",
        &["time t", "overlap m", "fold crossed", "m2"],
    );
    assert!(LinePlot::time_traces(&t[..50], &m, &names, vec![]).is_err());
}

#[test]
fn csv_series_are_read_with_gaps_and_errors_name_the_line() {
    let dir = tmp();
    let f = dir.path().join("s.csv");
    std::fs::write(&f, "n,T450,T650\n2,0.1,0.2\n3,0.3,\n4,0.5,0.6\n").unwrap();
    let (xn, s) = waddington::plot::lines::read_csv_series(&f).unwrap();
    assert_eq!(xn, "n");
    assert_eq!(s[0].x, vec![2.0, 3.0, 4.0]);
    assert_eq!(s[1].x, vec![2.0, 4.0]);
    assert_eq!(s[1].y, vec![0.2, 0.6]);
    std::fs::write(&f, "n,a\n1,2\n2,x\n").unwrap();
    let e = waddington::plot::lines::read_csv_series(&f)
        .unwrap_err()
        .to_string();
    assert!(e.contains("line 3") && e.contains("'a'"), "{e}");
}

#[test]
fn stacked_area_fills_with_tab10_at_alpha_07() {
    let dir = tmp();
    let x: Vec<f64> = (0..20).map(f64::from).collect();
    let frac = Array2::from_shape_fn((20, 1), |_| 1.0);
    let mut s = StackedArea::recognition(x.clone(), &frac);
    s.title = "Recognition".into();
    let (w, h, rgb) = check_figure(
        &s,
        dir.path(),
        "stacked",
        &["epoch", "fraction of training samples recognised"],
    );
    // The plot centre is inside the single full-height layer: tab10(0) = (31,119,180) at 0.7 over
    // white = (98, 160, 203) (± a little where a faint grid line lies underneath).
    let c = pixel(&rgb, w, (w as i32 / 2 - 40, h as i32 / 2));
    let expect = [98.2, 159.8, 202.5];
    for k in 0..3 {
        assert!(
            (c[k] as f64 - expect[k]).abs() <= 8.0,
            "pixel {c:?} vs {expect:?}"
        );
    }
    let neg = StackedArea {
        layers: vec![("a".into(), vec![-1.0; 20])],
        x,
        ..Default::default()
    };
    assert!(save(&neg, &dir.path().join("n.png")).is_err());
}

fn blobs() -> ScatterTrajectories {
    let samples = (0..30)
        .map(|i| ClassPoint {
            x: (i % 3) as f64 * 5.0 + 0.1 * i as f64,
            y: (i % 3) as f64 + 0.05 * i as f64,
            class: i % 3,
        })
        .collect();
    ScatterTrajectories {
        title: "UMAP".into(),
        x_label: "UMAP 1".into(),
        y_label: "UMAP 2".into(),
        samples,
        class_names: vec!["zero".into(), "one".into(), "two".into()],
        ..Default::default()
    }
}

#[test]
fn scatter_phase_plane_bifurcation_heatmap_tree_contour() {
    let dir = tmp();
    let mut st = blobs();
    st.trails = vec![Trail {
        points: vec![(0.0, 0.0), (5.0, 1.0), (50.0, 50.0)],
        class: None,
    }];
    st.current = vec![(5.0, 1.0)];
    check_figure(&st, dir.path(), "scatter", &["UMAP 1", "UMAP 2", "zero", "two"]);

    // Damped Duffing: x' = y, y' = x − x³ − 0.3y; nullclines y = 0 and y = (x − x³)/0.3.
    let xs: Vec<f64> = (0..=100).map(|i| -1.5 + 3.0 * i as f64 / 100.0).collect();
    let ys: Vec<f64> = (0..=100).map(|i| -1.5 + 3.0 * i as f64 / 100.0).collect();
    let field = VectorField::sample(xs, ys, |x, y| (y, x - x * x * x - 0.3 * y));
    let nc = field.nullclines("x", "y");
    let (xn, yn): (Vec<_>, Vec<_>) = nc.iter().partition(|s| s.color == nc[0].color);
    assert!(xn.iter().flat_map(|s| s.y.iter()).all(|y| y.abs() < 1e-12));
    for s in &yn {
        for (x, y) in s.x.iter().zip(&s.y) {
            assert!(
                (0.3 * y - (x - x * x * x)).abs() < 5e-3,
                "({x}, {y}) off the y nullcline"
            );
        }
    }
    let pp = PhasePlane {
        title: "Phase plane".into(),
        x_label: "memory α".into(),
        y_label: "label ℓ".into(),
        curves: nc,
        field: Some(field),
        points: vec![
            CriticalPoint {
                x: -1.0,
                y: 0.0,
                kind: CriticalKind::Stable,
            },
            CriticalPoint {
                x: 0.0,
                y: 0.0,
                kind: CriticalKind::Saddle,
            },
        ],
        ..Default::default()
    };
    check_figure(
        &pp,
        dir.path(),
        "phase",
        &["memory α", "label ℓ", "stable", "saddle", "x nullcline"],
    );

    let xb: Vec<f64> = (0..=60).map(|i| -1.5 + 0.05 * i as f64).collect();
    let bd = BifurcationDiagram {
        title: "Bifurcation".into(),
        x_label: "n".into(),
        y_label: "α_A".into(),
        branches: vec![Branch {
            label: String::new(),
            points: xb.iter().map(|&x| (x * x * x - x, x)).collect(),
            stable: xb.iter().map(|&x| 3.0 * x * x > 1.0).collect(),
            color: None,
        }],
        folds: vec![(-0.3849, 0.5774)],
        samples: vec![(0.0, 1.0)],
    };
    check_figure(
        &bd,
        dir.path(),
        "bifurcation",
        &["α_A", "unstable", "fold", "simulation"],
    );
    let mut bad = bd.clone();
    bad.branches[0].stable.pop();
    assert!(save(&bad, &dir.path().join("b.png")).is_err());

    let mut hm = Heatmap::new(
        Array2::from_shape_fn((5, 4), |(i, j)| (i + j) as f64),
        vec![2.0, 3.0, 4.0, 5.0],
        vec![0.5, 0.6, 0.7, 0.8, 0.9],
    );
    (hm.x_label, hm.y_label, hm.colorbar_label) = ("n".into(), "T_r".into(), "α (minor)".into());
    hm.overlays
        .push(Series::new("T*(n)", vec![2.0, 5.0], vec![0.6, 0.8]));
    check_figure(&hm, dir.path(), "heatmap", &["T_r", "α (minor)", "T*(n)"]);
    hm.ys = vec![0.5, 0.6, 0.6, 0.8, 0.9];
    assert!(
        save(&hm, &dir.path().join("h.png"))
            .unwrap_err()
            .to_string()
            .contains("increasing")
    );

    let node = |id, parent, s, e, x, label: &str| TreeNode {
        id,
        parent,
        epoch_start: s,
        epoch_end: e,
        x,
        label: label.into(),
        class: Some(id),
    };
    let tree = Dendrogram::new(
        "Split tree",
        vec![
            node(0, None, 0.0, 100.0, 0.5, ""),
            node(1, Some(0), 100.0, 300.0, 0.0, "leaf A"),
            node(2, Some(0), 100.0, 300.0, 1.0, "leaf B"),
        ],
    );
    check_figure(
        &tree,
        dir.path(),
        "tree",
        &["epoch", "leaf A", "leaf B", "Split tree"],
    );
    let orphan = Dendrogram::new("", vec![node(1, Some(7), 0.0, 1.0, 0.0, "")]);
    assert!(
        save(&orphan, &dir.path().join("t.png"))
            .unwrap_err()
            .to_string()
            .contains("parent 7")
    );

    let g: Vec<f64> = (0..=40).map(|i| -1.5 + 3.0 * i as f64 / 40.0).collect();
    let z = Array2::from_shape_fn((41, 41), |(i, j)| (g[j] * g[j] - 1.0).powi(2) + g[i] * g[i]);
    let mut cp = ContourPlot::new(z, g.clone(), g);
    cp.colorbar_label = "potential V".into();
    cp.points = vec![
        CriticalPoint {
            x: -1.0,
            y: 0.0,
            kind: CriticalKind::Stable,
        },
        CriticalPoint {
            x: 1.0,
            y: 0.0,
            kind: CriticalKind::Stable,
        },
        CriticalPoint {
            x: 0.0,
            y: 0.0,
            kind: CriticalKind::Saddle,
        },
    ];
    check_figure(&cp, dir.path(), "contour", &["potential V", "minimum", "saddle"]);
}

fn decode_gif(path: &Path) -> (Vec<u8>, Vec<Vec<u8>>, (u16, u16)) {
    let mut opts = gif::DecodeOptions::new();
    opts.set_color_output(gif::ColorOutput::Indexed);
    let mut dec = opts.read_info(std::fs::File::open(path).unwrap()).unwrap();
    let palette = dec.global_palette().unwrap().to_vec();
    let size = (dec.width(), dec.height());
    let mut frames = Vec::new();
    while let Some(f) = dec.read_next_frame().unwrap() {
        assert_eq!((f.width, f.height), size);
        frames.push(f.buffer.to_vec());
    }
    (palette, frames, size)
}

#[test]
fn memory_movie_gif_has_the_frames_and_a_smooth_bwr_palette() {
    let dir = tmp();
    // Frame f: tile 0 all +1, tile 1 all −1, tile 2 a horizontal gradient −1 → +1 over the columns.
    let (e, k) = (5, 3);
    let mems = Array3::from_shape_fn((e, k, 784), |(_, a, j)| match a {
        0 => 1.0,
        1 => -1.0,
        _ => -1.0 + 2.0 * (j % 28) as f64 / 27.0,
    });
    let path = dir.path().join("m.gif");
    let n = memory_grid_movie(&path, &[0, 10, 20, 30, 40], mems.view(), 3, None, 5).unwrap();
    assert_eq!(n, 5);
    let (palette, frames, size) = decode_gif(&path);
    assert_eq!(frames.len(), 5);
    let colours: Vec<[u8; 3]> = palette.chunks_exact(3).map(|c| [c[0], c[1], c[2]]).collect();
    for want in [[0, 0, 255], [255, 0, 0], [255, 255, 255]] {
        assert!(colours.contains(&want), "palette lacks {want:?}");
    }
    let mut g = MemoryGrid::new(mems.index_axis(ndarray::Axis(0), 0).to_owned(), 3);
    g.title = Some("epoch 0".into());
    assert_eq!((size.0 as u32, size.1 as u32), g.size());
    let at = |f: &[u8], p: (i32, i32)| colours[f[p.1 as usize * size.0 as usize + p.0 as usize] as usize];
    for f in &frames {
        assert_eq!(at(f, g.pixel_center(0, 300)), [255, 0, 0]);
        assert_eq!(at(f, g.pixel_center(1, 300)), [0, 0, 255]);
        // No dithering: every screen pixel of an image pixel has the same colour, and along the
        // gradient red never decreases and blue never increases.
        let (x0, y0) = g.tile_origin(2);
        let row = 14 * 3 + 1;
        let mut prev = [0u8, 0, 255];
        for col in 0..28 {
            let block: Vec<[u8; 3]> = (0..3)
                .flat_map(|dy| (0..3).map(move |dx| (x0 + 3 * col + dx, y0 + row - 1 + dy)))
                .map(|p| at(f, p))
                .collect();
            assert!(
                block.iter().all(|c| *c == block[0]),
                "speckle in column {col}: {block:?}"
            );
            let c = block[0];
            assert!(
                c[0] >= prev[0] && c[2] <= prev[2],
                "column {col}: {c:?} after {prev:?}"
            );
            prev = c;
        }
        assert_eq!(prev, [255, 0, 0]);
    }
    // Bad epochs length: error, nothing written.
    let p2 = dir.path().join("bad.gif");
    assert!(memory_grid_movie(&p2, &[0, 1], mems.view(), 3, None, 5).is_err());
    assert!(!p2.exists());
}

#[test]
fn scatter_and_alpha_plane_movies() {
    let dir = tmp();
    let pos = Array3::from_shape_fn((6, 4, 2), |(f, k, d)| {
        (f as f64) * (k as f64 + 1.0) * if d == 0 { 1.0 } else { 0.3 }
    });
    let titles: Vec<String> = (0..6).map(|f| format!("epoch {}", 10 * f)).collect();
    let p = dir.path().join("s.gif");
    assert_eq!(
        scatter_movie(&p, &blobs(), pos.view(), None, &titles, Some(3), 10).unwrap(),
        6
    );
    assert_eq!(decode_gif(&p).1.len(), 6);
    let base = ScatterTrajectories {
        x_label: "ᾱ_1".into(),
        y_label: "ᾱ_7".into(),
        ..Default::default()
    };
    let q = dir.path().join("a.gif");
    assert_eq!(
        alpha_plane_movie(&q, &base, pos.view(), Some(&[1, 7, 1, 7]), &titles, 10).unwrap(),
        6
    );
    assert_eq!(decode_gif(&q).1.len(), 6);
    assert!(alpha_plane_movie(&q, &base, pos.view(), Some(&[1]), &titles, 10).is_err());
}

#[test]
fn mp4_through_ffmpeg_or_a_clear_error() {
    let dir = tmp();
    let mems = Array3::from_shape_fn((3, 2, 784), |(f, a, _)| {
        (f as f64 - 1.0) * if a == 0 { 1.0 } else { -1.0 }
    });
    let path = dir.path().join("m.mp4");
    let r = memory_grid_movie(&path, &[0, 1, 2], mems.view(), 2, None, 5);
    if waddington::plot::movie::ffmpeg_available() {
        assert_eq!(r.unwrap(), 3);
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(&bytes[4..8], b"ftyp", "an MP4 file");
    } else {
        let e = r.unwrap_err().to_string();
        assert!(e.contains("ffmpeg"), "{e}");
        assert!(!path.exists());
        eprintln!("SKIPPED MP4 encoding: ffmpeg is not on PATH");
    }
    let e = save(&LinePlot::default(), &dir.path().join("x.jpg"))
        .unwrap_err()
        .to_string();
    assert!(e.contains(".png or .svg"), "{e}");
}

// ---- CLI ----

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_waddington"))
}

/// A small trajectory.npz: E = 4 frames (epochs 0, 10, 20, 30), K = 6 memories, 10 labels.
fn write_run(dir: &Path) -> PathBuf {
    let run = dir.join("run");
    std::fs::create_dir_all(&run).unwrap();
    let epochs = ndarray::arr1(&[0i64, 10, 20, 30]);
    let mems = Array3::from_shape_fn((4, 6, 784), |(e, k, j)| {
        ((e as f64 + 1.0) * 0.25).min(1.0) * if (j + k) % 2 == 0 { 1.0 } else { -1.0 }
    });
    let labels = Array3::from_shape_fn((4, 6, 10), |(_, k, c)| if c == (5 - k) { 1.0 } else { -1.0 });
    let mut npz = ndarray_npy::NpzWriter::new(std::fs::File::create(run.join("trajectory.npz")).unwrap());
    npz.add_array("epochs", &epochs).unwrap();
    npz.add_array("memories", &mems).unwrap();
    npz.add_array("labels", &labels).unwrap();
    npz.finish().unwrap();
    run
}

fn ok(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{:?} failed: {}",
        cmd,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn cli_memories_labels_movie_heatmap_lines() {
    let dir = tmp();
    let run = write_run(dir.path());
    let d = dir.path();
    ok(bin()
        .args(["plot", "memories"])
        .arg(&run)
        .args(["--epoch", "20", "--cols", "3", "--sort", "--titles", "--out"])
        .arg(d.join("m.png")));
    let (w, h, _) = decode_png(&d.join("m.png"));
    let mut g = MemoryGrid::new(Array2::zeros((6, 784)), 3);
    g.title = Some(String::new());
    g.tile_titles = Some(vec![String::new(); 6]);
    assert_eq!((w, h), g.size());
    ok(bin()
        .args(["plot", "memories"])
        .arg(&run)
        .args(["--out"])
        .arg(d.join("m.svg")));
    assert!(
        std::fs::read_to_string(d.join("m.svg"))
            .unwrap()
            .contains("epoch 30")
    );
    ok(bin()
        .args(["plot", "labels"])
        .arg(&run)
        .args(["--out"])
        .arg(d.join("l.png")));
    decode_png(&d.join("l.png"));
    let msg = ok(bin()
        .args(["plot", "movie"])
        .arg(&run)
        .args(["--every", "3", "--out"])
        .arg(d.join("mv.gif")));
    assert!(msg.contains("2 frames"), "{msg}");
    assert_eq!(decode_gif(&d.join("mv.gif")).1.len(), 2);

    let npy = d.join("a.npy");
    waddington::npy::write(&npy, &Array2::from_shape_fn((3, 5), |(i, j)| (i * j) as f64)).unwrap();
    ok(bin()
        .args(["plot", "npy-heatmap"])
        .arg(&npy)
        .args(["--cmap", "bwr", "--vmin", "-4", "--x-label", "order n", "--out"])
        .arg(d.join("h.svg")));
    assert!(
        std::fs::read_to_string(d.join("h.svg"))
            .unwrap()
            .contains("order n")
    );
    let csv = d.join("c.csv");
    std::fs::write(&csv, "epoch,loss\n1,1.0\n10,0.5\n100,0.1\n").unwrap();
    ok(bin()
        .args(["plot", "lines"])
        .arg(&csv)
        .args(["--log-x", "--log-y", "--out"])
        .arg(d.join("c.png")));
    decode_png(&d.join("c.png"));
}

#[test]
fn cli_bad_input_fails_clearly_and_writes_nothing() {
    let dir = tmp();
    let d = dir.path();
    let run = write_run(d);
    let fail = |cmd: &mut Command| {
        let out = cmd.output().unwrap();
        assert!(!out.status.success());
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let e = fail(
        bin()
            .args(["plot", "memories"])
            .arg(d.join("nope"))
            .args(["--out"])
            .arg(d.join("x.png")),
    );
    assert!(e.contains("nope"), "{e}");
    let e = fail(
        bin()
            .args(["plot", "memories"])
            .arg(&run)
            .args(["--epoch", "15", "--out"])
            .arg(d.join("x.png")),
    );
    assert!(e.contains("not a saved epoch") && e.contains("0..=30"), "{e}");
    let e = fail(
        bin()
            .args(["plot", "movie"])
            .arg(&run)
            .args(["--out"])
            .arg(d.join("x.avi")),
    );
    assert!(e.contains(".gif or .mp4"), "{e}");
    // A memories array of the wrong rank names the array and the expected shape.
    let mut npz = ndarray_npy::NpzWriter::new(std::fs::File::create(d.join("bad.npz")).unwrap());
    npz.add_array("epochs", &ndarray::arr1(&[0i64])).unwrap();
    npz.add_array("memories", &Array2::<f64>::zeros((1, 784)))
        .unwrap();
    npz.add_array("labels", &Array3::<f64>::zeros((1, 1, 10)))
        .unwrap();
    npz.finish().unwrap();
    let e = fail(
        bin()
            .args(["plot", "memories"])
            .arg(d.join("bad.npz"))
            .args(["--out"])
            .arg(d.join("x.png")),
    );
    assert!(e.contains("memories") && e.contains("E×K×784"), "{e}");
    assert!(!d.join("x.png").exists() && !d.join("x.avi").exists());
}
