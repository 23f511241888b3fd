//! The example figures of `docs/plot.md` (`docs/gallery/`). Run with
//! `cargo test --release --test plot_gallery -- --ignored` (set `GALLERY_DIR` to write elsewhere).
//! The memory images are real digits of the embedded data set; the curves are analytic examples
//! (named as such in the figure titles), not results of the paper.

use ndarray::{Array2, Array3, Axis};
use std::path::PathBuf;
use waddington::data::Dataset;
use waddington::plot::*;

fn out_dir() -> PathBuf {
    let d = std::env::var_os("GALLERY_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/gallery")));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// 20 digits (2 per class) of the embedded data set, as rows in [−1, 1].
fn digits() -> (Array2<f64>, Vec<usize>) {
    let data = Dataset::embedded().unwrap();
    let mut idx = Vec::new();
    for d in 0..10 {
        idx.extend(data.indices_of(d).into_iter().take(2));
    }
    let labels = idx.iter().map(|&i| data.labels[i]).collect();
    (data.images.select(Axis(0), &idx), labels)
}

#[test]
#[ignore]
fn gallery() {
    let dir = out_dir();
    let (imgs, labels) = digits();

    let mut g = MemoryGrid::new(imgs.mapv(|v| 0.9 * v), 10);
    g.title = Some("Memories (digits of the embedded set ×0.9)".into());
    g.tile_titles = Some(labels.iter().map(|l| format!("ℓ = {l}")).collect());
    save(&g, &dir.join("memory_grid.png")).unwrap();

    let lab = Array2::from_shape_fn((20, 10), |(a, c)| {
        if labels[a] == c {
            0.95
        } else {
            -0.9 + 0.05 * ((a * 7 + c) % 5) as f64
        }
    });
    let mut ls = LabelStrips::new(lab);
    ls.title = Some("Label values per class".into());
    save(&ls, &dir.join("label_strips.png")).unwrap();

    // α of two class-mean memories over a 200-sample training set (20 per digit).
    let data = Dataset::embedded().unwrap();
    let mut idx = Vec::new();
    for d in 0..10 {
        idx.extend(data.indices_of(d).into_iter().take(20));
    }
    let x = data.images.select(Axis(0), &idx);
    let xp = waddington::linalg::pinv(x.view()).unwrap();
    let mean4 = x.slice(ndarray::s![80..100, ..]).mean_axis(Axis(0)).unwrap();
    let mut mems = Array2::zeros((2, 784));
    mems.row_mut(0).assign(&mean4);
    let mean9 = x.slice(ndarray::s![180..200, ..]).mean_axis(Axis(0)).unwrap();
    mems.row_mut(1)
        .assign(&(&x.row(87) * 0.5 + &mean4 * 0.3 + &mean9 * 0.2));
    let alphas = mems.dot(&xp);
    let mut ap = AlphaPanels::new(alphas);
    ap.titles = vec![
        "α of the mean of the 4s (prototype-like)".into(),
        "α of 0.5·(sample #87, a 4) + 0.3·(mean 4) + 0.2·(mean 9)".into(),
    ];
    save(&ap, &dir.join("alpha_panels.png")).unwrap();

    let n: Vec<f64> = (2..=60).map(f64::from).collect();
    let mut lp = LinePlot::new(
        "Analytic example: mean ± sd vs n",
        "interaction order n",
        "max |α| (mean over memories)",
    );
    for (k, t) in [450.0, 650.0, 750.0].iter().enumerate() {
        let y: Vec<f64> = n
            .iter()
            .map(|&n| 1.0 / (1.0 + (-(n - 10.0 - 10.0 * k as f64) / 5.0).exp()))
            .collect();
        let sd: Vec<f64> = y.iter().map(|y| 0.08 * y * (1.0 - y) + 0.01).collect();
        lp.series
            .push(Series::new(format!("T = {t}"), n.clone(), y).with_sd(sd));
    }
    lp.legend = Corner::LowerRight;
    save(&lp, &dir.join("lines.png")).unwrap();

    let ep: Vec<f64> = (0..350).map(|e| 1.0 + 10.0 * e as f64).collect();
    let frac = Array2::from_shape_fn((350, 10), |(e, c)| {
        0.1 / (1.0 + (-(ep[e] - 300.0 - 250.0 * c as f64) / 60.0).exp())
    });
    let mut sa = StackedArea::recognition(ep, &frac);
    sa.title = "Analytic example: recognition per class".into();
    save(&sa, &dir.join("stacked_recognition.png")).unwrap();

    // Scatter: 10 Gaussian-ish blobs on a circle; memories leave the centre towards them.
    let centre = |c: usize| {
        let a = c as f64 * std::f64::consts::TAU / 10.0;
        (6.0 * a.cos(), 6.0 * a.sin())
    };
    let mut samples = Vec::new();
    for c in 0..10 {
        for i in 0..20 {
            let (cx, cy) = centre(c);
            let (r, a) = (0.25 * (i % 5) as f64, i as f64 * 2.4);
            samples.push(ClassPoint {
                x: cx + r * a.cos(),
                y: cy + r * a.sin(),
                class: c,
            });
        }
    }
    let frames = 30;
    let pos = Array3::from_shape_fn((frames, 20, 2), |(f, k, d)| {
        let (cx, cy) = centre(k % 10);
        let s = (f as f64 / (frames - 1) as f64).powi(2);
        let wobble = 0.3 * ((k as f64) * 1.7 + f as f64 * 0.3).sin();
        if d == 0 {
            s * cx + wobble * (1.0 - s)
        } else {
            s * cy + 0.2 * (k as f64 - 10.0) / 10.0 * (1.0 - s)
        }
    });
    let mut st = ScatterTrajectories {
        title: "Analytic example: memory trajectories".into(),
        x_label: "UMAP 1".into(),
        y_label: "UMAP 2".into(),
        samples,
        class_names: (0..10).map(|c| c.to_string()).collect(),
        ..Default::default()
    };
    let base = st.clone();
    st.trails = (0..20)
        .map(|k| Trail {
            points: (0..frames).map(|f| (pos[(f, k, 0)], pos[(f, k, 1)])).collect(),
            class: None,
        })
        .collect();
    st.current = (0..20)
        .map(|k| (pos[(frames - 1, k, 0)], pos[(frames - 1, k, 1)]))
        .collect();
    save(&st, &dir.join("scatter_trajectories.png")).unwrap();

    // Damped Duffing oscillator: x' = y, y' = x − x³ − 0.3 y; saddle at 0, stable foci at ±1.
    let xs: Vec<f64> = (0..=200).map(|i| -1.8 + 3.6 * i as f64 / 200.0).collect();
    let ys: Vec<f64> = (0..=200).map(|i| -1.5 + 3.0 * i as f64 / 200.0).collect();
    let field = VectorField::sample(xs.clone(), ys.clone(), |x, y| (y, x - x * x * x - 0.3 * y));
    let mut traj = vec![(-1.7, 1.4)];
    for _ in 0..4000 {
        let (x, y) = *traj.last().unwrap();
        traj.push((x + 0.005 * y, y + 0.005 * (x - x * x * x - 0.3 * y)));
    }
    let pp = PhasePlane {
        title: "Analytic example: x' = y, y' = x − x³ − 0.3y".into(),
        x_label: "x".into(),
        y_label: "y".into(),
        curves: field.nullclines("x", "y"),
        field: Some(field),
        trajectories: vec![Trail {
            points: traj,
            class: None,
        }],
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
            CriticalPoint {
                x: 1.0,
                y: 0.0,
                kind: CriticalKind::Stable,
            },
        ],
        ..Default::default()
    };
    save(&pp, &dir.join("phase_plane.png")).unwrap();

    // Saddle-node pair of x' = r + x − x³: r = x³ − x, stable where 1 − 3x² < 0.
    let xb: Vec<f64> = (0..=300).map(|i| -1.5 + 3.0 * i as f64 / 300.0).collect();
    let br = Branch {
        label: "x' = r + x − x³".into(),
        points: xb.iter().map(|&x| (x * x * x - x, x)).collect(),
        stable: xb.iter().map(|&x| 1.0 - 3.0 * x * x < 0.0).collect(),
        color: None,
    };
    let xf = 1.0 / 3f64.sqrt();
    let bd = BifurcationDiagram {
        title: "Analytic example: hysteresis loop".into(),
        x_label: "parameter r".into(),
        y_label: "fixed point x*".into(),
        branches: vec![br],
        folds: vec![(xf * xf * xf - xf, xf), (xf - xf * xf * xf, -xf)],
        samples: vec![],
    };
    save(&bd, &dir.join("bifurcation.png")).unwrap();

    let nn: Vec<f64> = (2..=30).map(f64::from).collect();
    let tr: Vec<f64> = (0..25).map(|i| 0.51 + 0.025 * i as f64).collect();
    let tstar = |n: f64| 0.6 + 0.4 * (1.0 - (-n / 8.0).exp());
    let z = Array2::from_shape_fn((tr.len(), nn.len()), |(i, j)| {
        0.4 + 0.6 / (1.0 + ((tr[i] - tstar(nn[j])) / 0.03).exp())
    });
    let mut hm = Heatmap::new(z, nn.clone(), tr);
    hm.title = "Analytic example: α over (n, T_r)".into();
    hm.x_label = "interaction order n".into();
    hm.y_label = "relative temperature T_r".into();
    hm.colorbar_label = "α of the dominant sample".into();
    hm.overlays.push(Series::new(
        "transition T*(n)",
        nn.clone(),
        nn.iter().map(|&n| tstar(n)).collect(),
    ));
    save(&hm, &dir.join("heatmap.png")).unwrap();

    let node = |id, parent, s, e, x, label: &str, class| TreeNode {
        id,
        parent,
        epoch_start: s,
        epoch_end: e,
        x,
        label: label.into(),
        class,
    };
    let tree = Dendrogram::new(
        "Example split tree",
        vec![
            node(0, None, 0.0, 400.0, 2.5, "", None),
            node(1, Some(0), 400.0, 900.0, 1.0, "", None),
            node(2, Some(0), 400.0, 1250.0, 4.0, "", None),
            node(3, Some(1), 900.0, 3500.0, 0.0, "1 (14 memories)", Some(1)),
            node(4, Some(1), 900.0, 3500.0, 2.0, "7 (11 memories)", Some(7)),
            node(5, Some(2), 1250.0, 3500.0, 3.0, "4 (9 memories)", Some(4)),
            node(6, Some(2), 1250.0, 3500.0, 5.0, "9 (10 memories)", Some(9)),
        ],
    );
    save(&tree, &dir.join("dendrogram.png")).unwrap();

    let g2: Vec<f64> = (0..=160).map(|i| -1.6 + 3.2 * i as f64 / 160.0).collect();
    let v = Array2::from_shape_fn((161, 161), |(i, j)| {
        (g2[j] * g2[j] - 1.0).powi(2) + (g2[i] * g2[i] - 1.0).powi(2)
    });
    let mut cp = ContourPlot::new(v, g2.clone(), g2);
    cp.title = "Analytic example: V = (x² − 1)² + (y² − 1)²".into();
    cp.colorbar_label = "potential V".into();
    for x in [-1.0, 0.0, 1.0] {
        for y in [-1.0, 0.0, 1.0] {
            let kind = match (f64::abs(x) > 0.5, f64::abs(y) > 0.5) {
                (true, true) => CriticalKind::Stable,
                (false, false) => CriticalKind::Unstable,
                _ => CriticalKind::Saddle,
            };
            cp.points.push(CriticalPoint { x, y, kind });
        }
    }
    save(&cp, &dir.join("contour.png")).unwrap();

    let t: Vec<f64> = (0..=500).map(|i| i as f64 * 0.1).collect();
    let m = Array2::from_shape_fn((t.len(), 3), |(i, p)| {
        let s = 1.0 / (1.0 + (-(t[i] - 20.0) / 2.0).exp());
        match p {
            0 => 1.0 - s,
            1 => s * (1.0 - 0.5 / (1.0 + (-(t[i] - 35.0)).exp())),
            _ => 0.5 * s / (1.0 + (-(t[i] - 35.0)).exp()),
        }
    });
    let names: Vec<String> = (1..=3).map(|p| format!("m{p}")).collect();
    let mut tt = LinePlot::time_traces(
        &t,
        &m,
        &names,
        vec![
            Event {
                x: 20.0,
                label: "fold crossed".into(),
            },
            Event {
                x: 35.0,
                label: "flip".into(),
            },
        ],
    )
    .unwrap();
    tt.title = "Analytic example: overlaps m(t)".into();
    save(&tt, &dir.join("time_traces.png")).unwrap();

    // Movies: digits emerging from the initial constant memories.
    let e = 12;
    let mov = Array3::from_shape_fn((e, 20, 784), |(f, k, j)| {
        let s = f as f64 / (e - 1) as f64;
        s * 0.9 * imgs[(k, j)] - (1.0 - s) * 0.003
    });
    let epochs: Vec<i64> = (0..e as i64).map(|f| 100 * f).collect();
    memory_grid_movie(&dir.join("memory_movie.gif"), &epochs, mov.view(), 10, None, 4).unwrap();
    let titles: Vec<String> = (0..frames).map(|f| format!("epoch {}", 10 * f)).collect();
    scatter_movie(
        &dir.join("scatter_movie.gif"),
        &base,
        pos.view(),
        None,
        &titles,
        Some(8),
        8,
    )
    .unwrap();
}
