//! The drawing of Fig. 5: the bifurcation diagram with the validation runs, the nullcline panels,
//! the dynamics rows and the movie.

use super::*;

pub(super) fn bifurcation_figure(
    ctx: &Context,
    diagram: &branches::Diagram,
    v: &Validation,
) -> Result<Vec<PathBuf>> {
    let mut row = Vec::new();
    for (name, get) in [
        ("α (coefficient of the 1)", 0usize),
        ("ℓ (label of the 1 = −label of the 4)", 1),
    ] {
        let value = |f: &FixedPoint| if get == 0 { f.alpha } else { f.ell };
        let branches = diagram
            .branches
            .iter()
            .map(|b| plot::Branch {
                label: String::new(),
                points: b.points.iter().map(|f| (f.n, value(f))).collect(),
                stable: b
                    .points
                    .iter()
                    .map(|f| f.stability == Stability::Stable)
                    .collect(),
                color: Some(plotters::style::RGBColor(0xb8, 0x86, 0x0b)),
            })
            .collect();
        let samples =
            v.n.iter()
                .zip(v.from_a.iter().zip(&v.from_b))
                .flat_map(|(&n, (a, b))| [(n, a[get]), (n, b[get])])
                .collect();
        let fig = BifurcationDiagram {
            title: format!("{} vs n (T_eff = 700/2^(1/n))", if get == 0 { "α" } else { "ℓ" }),
            x_label: "interaction order n".into(),
            y_label: name.into(),
            branches,
            folds: diagram
                .folds
                .iter()
                .map(|f| (f.n, if get == 0 { f.alpha } else { f.ell }))
                .collect(),
            samples,
        };
        row.push(Raster::of(&fig)?);
    }
    let path = ctx.path("fig5-bifurcation.png");
    panels::save_grid(
        &path,
        "Paper Fig. 5 — fixed points of the two-digit system (d = 753.22, 494.02, 719.70): stable solid, \
         unstable dashed, folds ◆, K = 1 simulations at T_eff ●",
        &[row],
    )?;
    let npz = ctx.path("fig5-diagram.npz");
    let pts: Vec<(usize, &FixedPoint)> = diagram
        .branches
        .iter()
        .enumerate()
        .flat_map(|(i, b)| b.points.iter().map(move |f| (i, f)))
        .collect();
    let col = |g: &dyn Fn(&FixedPoint) -> f64| Array1::from_iter(pts.iter().map(|(_, f)| g(f)));
    let mut w = crate::npy::create_npz(&npz)?;
    w.add_array("branch", &Array1::from_iter(pts.iter().map(|(i, _)| *i as i64)))?;
    w.add_array("n", &col(&|f| f.n))?;
    w.add_array("alpha", &col(&|f| f.alpha))?;
    w.add_array("beta", &col(&|f| f.beta))?;
    w.add_array("ell", &col(&|f| f.ell))?;
    w.add_array(
        "stability",
        &Array1::from_iter(pts.iter().map(|(_, f)| f.stability.code())),
    )?;
    let folds = Array2::from_shape_fn((diagram.folds.len(), 4), |(i, j)| {
        let f = &diagram.folds[i];
        [f.n, f.alpha, f.beta, f.ell][j]
    });
    w.add_array("folds", &folds)?;
    w.add_array("validation_n", &Array1::from(v.n.clone()))?;
    let ends = |x: &[[f64; 2]]| Array2::from_shape_fn((x.len(), 2), |(i, j)| x[i][j]);
    w.add_array("validation_from_4", &ends(&v.from_b))?;
    w.add_array("validation_from_1", &ends(&v.from_a))?;
    w.finish()?;
    Ok(vec![path, npz])
}

/// One phase-plane panel in the (ℓ, α) plane of the reduced system at n: flow, nullclines, FPs.
pub(super) fn phase(sys: &TwoMemory, n: f64, title: String, alpha_range: (f64, f64)) -> PhasePlane {
    let c = control(n);
    let fps = pair::upper_fixed_points(sys, c);
    PhasePlane {
        title,
        x_label: "ℓ (label)".into(),
        y_label: "α (coefficient of the 1)".into(),
        bounds: Some(((-1.0, 1.0), alpha_range)),
        field: Some(pair::flow_field(sys, c, alpha_range, 24)),
        curves: pair::nullcline_series(sys, c),
        trajectories: Vec::new(),
        points: pair::markers(&fps),
    }
}

pub(super) fn nullcline_figure(ctx: &Context, sys: &TwoMemory, pair: &Pair, ns: &[f64]) -> Result<PathBuf> {
    let mut cells = Vec::new();
    for &n in ns {
        let plane = phase(
            sys,
            n,
            format!(
                "n = {n}, T_eff = 700/2^(1/n) = {:.1}",
                sys.effective_temperature(control(n))
            ),
            (0.0, 1.0),
        );
        let fps = pair::upper_fixed_points(sys, control(n));
        let mut imgs = Array2::zeros((fps.len().max(1), pair.samples.ncols()));
        let mut titles = Vec::new();
        for (i, f) in fps.iter().enumerate() {
            imgs.row_mut(i).assign(&pair.image(f.alpha, f.beta));
            titles.push(format!(
                "{}: α={:.2}, ℓ={:.2}",
                pair::stability_name(f.stability),
                f.alpha,
                f.ell
            ));
        }
        let mut grid = MemoryGrid::new(imgs, 1);
        grid.scale = 6;
        grid.tile_titles = Some(titles);
        grid.title = Some(format!("n = {n}: αA + βB"));
        cells.push(Raster::of(&plane)?);
        cells.push(Raster::of(&grid)?);
    }
    let rows: Vec<Vec<Raster>> = cells.chunks(4).map(|c| c.to_vec()).collect();
    let path = ctx.path("fig5-nullclines.png");
    panels::save_grid(
        &path,
        "Paper Fig. 5 — nullclines (memory purple, label orange), flow and fixed points of the two-digit \
         system (d = 753.22, 494.02, 719.70, T = 700, K = 2)",
        &rows,
    )?;
    Ok(path)
}

pub(super) fn dynamics_row(
    sys: &TwoMemory,
    pair: &Pair,
    run: &PairRun,
    n: f64,
    eta: f64,
) -> Result<Vec<Raster>> {
    let mut row = Vec::new();
    let windows = [(0usize, 1000usize), (1000, 2000), (2000, 3000)];
    let base = phase(sys, n, String::new(), (0.0, 1.0));
    for (lo, hi) in windows {
        let mut plane = base.clone();
        plane.title = format!("n = {n}, η = {eta}: epochs {lo}–{hi}");
        plane.trajectories = (0..2)
            .map(|m| Trail {
                points: run
                    .epochs
                    .iter()
                    .enumerate()
                    .filter(|(_, e)| (lo..=hi).contains(*e))
                    .map(|(i, _)| (run.ell[[i, m]], run.alpha[[i, m]]))
                    .collect(),
                class: Some([0, 3][m]),
            })
            .collect();
        row.push(Raster::of(&plane)?);
    }
    let k = run.snapshots.len();
    let mut imgs = Array2::zeros((2 * k, pair.samples.ncols()));
    let mut titles = Vec::new();
    for m in 0..2 {
        for (i, (e, mem)) in run.snapshots.iter().enumerate() {
            imgs.row_mut(m * k + i).assign(&mem.row(m));
            titles.push(format!("#{} e{e}", m + 1));
        }
    }
    let mut grid = MemoryGrid::new(imgs, k.max(1));
    grid.scale = 4;
    grid.tile_titles = Some(titles);
    grid.title = Some(format!("n = {n}: memories (blue = 1, red = 2)"));
    row.push(Raster::of(&grid)?);
    Ok(row)
}

/// The `Figure 6M` movie (spec §4.7): K = 2, 6 initial conditions, (ℓ_μ, α_μ) over the nullclines.
pub(super) fn movie(
    ctx: &Context,
    pair: &Pair,
    sys: &TwoMemory,
    n: f64,
    p: &Protocol,
) -> Result<Vec<PathBuf>> {
    let (eta, epochs, shown) = p.movie;
    let (ca, cb) = (pair.classes[0], pair.classes[1]);
    let normal = Normal::new(-0.003, 1e-4).map_err(|e| Error::invalid("movie noise", e.to_string()))?;
    let mut rng = ChaCha12Rng::seed_from_u64(ctx.opts.seed.wrapping_add(6));
    let mut runs = Vec::new();
    for &alpha in &[0.2, 0.5, 0.8] {
        for &e in &[-0.8, 0.8] {
            let mut m = Array2::from_shape_fn((2, pair.samples.ncols()), |_| normal.sample(&mut rng));
            let mut l = Array2::from_shape_fn((2, 10), |_| normal.sample(&mut rng));
            for mu in 0..2 {
                let img = pair.image(alpha, 1.0 - f64::abs(alpha));
                let mut row = m.row_mut(mu);
                row += &img;
                for c in 0..10 {
                    if c != ca && c != cb {
                        l[[mu, c]] = -1.0;
                    }
                }
                l[[mu, ca]] += e;
                l[[mu, cb]] -= e;
            }
            runs.push(pair::train(
                pair,
                n,
                TEMPERATURE,
                eta,
                epochs,
                State::new(m, l),
                p.movie_every,
                &[],
            )?);
        }
    }
    let frames: Vec<usize> = (0..runs[0].epochs.len())
        .filter(|&i| runs[0].epochs[i] <= shown)
        .collect();
    let k = 2 * runs.len();
    let mut pos = Array3::zeros((frames.len(), k, 2));
    for (f, &i) in frames.iter().enumerate() {
        for (r, run) in runs.iter().enumerate() {
            for mu in 0..2 {
                pos[[f, 2 * r + mu, 0]] = run.ell[[i, mu]];
                pos[[f, 2 * r + mu, 1]] = run.alpha[[i, mu]];
            }
        }
    }
    let classes: Vec<usize> = (0..k).map(|i| i / 2).collect();
    let titles: Vec<String> = frames
        .iter()
        .map(|&i| {
            format!(
                "n = {n}, T = {TEMPERATURE}, K = 2, η = {eta}: epoch {}",
                runs[0].epochs[i]
            )
        })
        .collect();
    let base = ScatterTrajectories {
        title: String::new(),
        x_label: "ℓ (label)".into(),
        y_label: "α (coefficient of the 1)".into(),
        curves: pair::nullcline_series(sys, control(n)),
        bounds: Some(((-1.0, 1.0), (-0.1, 1.05))),
        size: (600, 540),
        ..Default::default()
    };
    let path = ctx.path(&format!("fig5-movie-n{n}.gif"));
    plot::alpha_plane_movie(&path, &base, pos.view(), Some(&classes), &titles, 10)?;
    // A still of the whole movie: every path over the animated epochs, final positions circled.
    let mut still = base;
    still.title = format!("n = {n}, K = 2: epochs 0–{shown}, 6 starts");
    still.trails = (0..k)
        .map(|m| Trail {
            points: (0..frames.len())
                .map(|f| (pos[[f, m, 0]], pos[[f, m, 1]]))
                .collect(),
            class: Some(classes[m]),
        })
        .collect();
    let last = frames.len() - 1;
    still.current = (0..k).map(|m| (pos[[last, m, 0]], pos[[last, m, 1]])).collect();
    let still_path = ctx.path(&format!("fig5-movie-n{n}.png"));
    plot::save(&still, &still_path)?;
    Ok(vec![path, still_path])
}
