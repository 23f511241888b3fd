//! Paper Fig. 6 — feature-to-prototype transition of the reduced systems (spec
//! `reference-experiments.md` §4.9, line §5.8, numbers §6.7).
//!
//! Over an (n, T) grid, two systems are trained with the full trainer (spec §2.2, μ = 0, one
//! minibatch): **intra-digit** — one memory (K = 1) on two 4s (rows 80 and 81 of the standard set,
//! both with target class 4), start N(−0.003, 1e−5); **inter-digit** — two memories (K = 2) on
//! the class means of the 4s and of the 9s of the standard set (targets 4 and 9), start
//! M₀ = 0.5A − 0.2B, M₁ = 0.5B − 0.2A, labels −1 except ℓ_{0,4} = ℓ_{1,9} = +1. The final
//! memories are decomposed on the two samples (pinv, spec §3.1); heat maps over (n, T_r = T/784)
//! show the dominant α of the intra memory and the minor coefficient of each inter memory, with
//! the analytic transition line T*(n) of spec §5.8 in white.

use super::{Context, Criterion, Outcome, Report, Scale};
use crate::dam::train::State;
use crate::error::{Error, Result};
use crate::plot::compose::{self as panels, Raster};
use crate::plot::{Colormap, Event, Heatmap, LinePlot, MemoryGrid, Series};
use crate::reduced::pair::Pair;
use crate::reduced::transition::transition_temperature;
use ndarray::{Array1, Array2, Array3, Array4};
use rayon::prelude::*;

/// Pixels per image: T_r = T / 784.
const PIXELS: f64 = 784.0;

/// What Fig. 6 runs at one scale.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Protocol {
    /// n values (paper: 2, 3, …, 30).
    pub n: Vec<f64>,
    /// T values (paper: 400, 420, …, 880).
    pub temperature: Vec<f64>,
    /// Learning rate (0.001).
    pub eta: f64,
    /// Updates per run (paper: "ic" + 10 000 silent + "end" = 10 002).
    pub epochs: usize,
    /// Intra slices (T = 880, 840, 800) and inter slices (880, 800, 740).
    pub intra_slices: Vec<f64>,
    /// Inter slices.
    pub inter_slices: Vec<f64>,
}

/// The protocol of a scale: paper = the full 29 × 25 grid with 10 002 updates; quick = every
/// second n (2, 4, …, 30) on the full T grid, 3 000 updates.
pub fn protocol(scale: Scale) -> Protocol {
    let n: Vec<f64> = match scale {
        Scale::Quick => (1..=15).map(|k| 2.0 * k as f64).collect(),
        Scale::Paper => (2..=30).map(f64::from).collect(),
    };
    Protocol {
        n,
        temperature: (0..25).map(|k| 400.0 + 20.0 * k as f64).collect(),
        eta: 0.001,
        epochs: scale.pick(3000, 10_002),
        intra_slices: vec![880.0, 840.0, 800.0],
        inter_slices: vec![880.0, 800.0, 740.0],
    }
}

/// Final coefficients over the grid.
#[derive(Debug, Clone)]
pub struct Grid {
    /// Intra: (n × T × 2) coefficients of the memory on (A, B).
    pub intra: Array3<f64>,
    /// Inter: (n × T × memory × 2) coefficients on (mean 4, mean 9).
    pub inter: Array4<f64>,
    /// Final memories: intra (n × T × 784), inter (n × T × 2 × 784) are not kept; the image grid
    /// is recomputed from these on the displayed cells.
    pub intra_images: Array3<f64>,
    /// Inter final memory 0 images (n × T × 784).
    pub inter_images: Array3<f64>,
}

/// The initial intra state: K = 1, N(−0.003, 1e−5) memory and labels (spec §4.9), seeded.
fn intra_init(seed: u64) -> Result<State> {
    State::random(1, 784, 10, -0.003, 1e-5, seed)
}

/// The initial inter state (spec §4.9).
pub fn inter_init(pair: &Pair) -> State {
    let mut m = Array2::zeros((2, pair.samples.ncols()));
    m.row_mut(0).assign(&pair.image(0.5, -0.2));
    m.row_mut(1).assign(&pair.image(-0.2, 0.5));
    let mut l = Array2::from_elem((2, 10), -1.0);
    l[[0, pair.classes[0]]] = 1.0;
    l[[1, pair.classes[1]]] = 1.0;
    State::new(m, l)
}

fn train(pair: &Pair, n: f64, t: f64, eta: f64, epochs: usize, init: State) -> Result<State> {
    let mut tr = crate::reduced::pair::trainer(pair, n, t, eta)?;
    let mut st = init;
    let Ok(()) = tr.run_epochs(&mut st, 0..epochs, |_, _| Ok::<(), std::convert::Infallible>(()));
    if !st.is_finite() {
        return Err(Error::Diverged(format!("fig6 run n = {n}, T = {t}")));
    }
    Ok(st)
}

/// Train every grid cell of both systems (cells in parallel; each run is sequential, so the
/// result does not depend on the thread count).
pub fn simulate(intra: &Pair, inter: &Pair, p: &Protocol, seed: u64, jobs: usize) -> Result<Grid> {
    let (nn, nt) = (p.n.len(), p.temperature.len());
    let cells: Vec<(usize, usize)> = (0..nn).flat_map(|i| (0..nt).map(move |j| (i, j))).collect();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.max(1))
        .build()
        .map_err(|e| Error::invalid("--jobs", e.to_string()))?;
    let out: Vec<Result<(State, State)>> = pool.install(|| {
        cells
            .par_iter()
            .map(|&(i, j)| {
                let (n, t) = (p.n[i], p.temperature[j]);
                let a = train(intra, n, t, p.eta, p.epochs, intra_init(seed)?)?;
                let b = train(inter, n, t, p.eta, p.epochs, inter_init(inter))?;
                Ok((a, b))
            })
            .collect()
    });
    let mut g = Grid {
        intra: Array3::zeros((nn, nt, 2)),
        inter: Array4::zeros((nn, nt, 2, 2)),
        intra_images: Array3::zeros((nn, nt, 784)),
        inter_images: Array3::zeros((nn, nt, 784)),
    };
    for (&(i, j), r) in cells.iter().zip(out) {
        let (a, b) = r?;
        let ca = intra.coefficients(&a.memories)[0];
        g.intra[[i, j, 0]] = ca[0];
        g.intra[[i, j, 1]] = ca[1];
        for (mu, c) in inter.coefficients(&b.memories).iter().enumerate() {
            g.inter[[i, j, mu, 0]] = c[0];
            g.inter[[i, j, mu, 1]] = c[1];
        }
        g.intra_images
            .slice_mut(ndarray::s![i, j, ..])
            .assign(&a.memories.row(0));
        g.inter_images
            .slice_mut(ndarray::s![i, j, ..])
            .assign(&b.memories.row(0));
    }
    Ok(g)
}

/// The simulated transition along a slice: the first n (linear interpolation) at which `values`
/// (over increasing n) crosses `level` upwards.
pub fn crossing(ns: &[f64], values: &[f64], level: f64) -> Option<f64> {
    (1..ns.len()).find_map(|k| {
        let (a, b) = (values[k - 1], values[k]);
        (a < level && b >= level).then(|| ns[k - 1] + (level - a) / (b - a) * (ns[k] - ns[k - 1]))
    })
}

/// Where the analytic line T*(n) (decreasing in n) passes temperature `t`: solved by bisection on
/// n ∈ [1.01, 200]; `None` if it never does.
pub fn line_crossing(d_self: f64, d_ab: f64, t: f64) -> Option<f64> {
    let f = |n: f64| transition_temperature(d_self, d_ab, n, n) - t;
    let (mut lo, mut hi) = (1.01, 200.0);
    if f(lo) < 0.0 || f(hi) > 0.0 {
        return None;
    }
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if f(mid) > 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Some(0.5 * (lo + hi))
}

fn cache_key(p: &Protocol, intra: &Pair, inter: &Pair, seed: u64) -> String {
    serde_json::json!({
        "version": crate::VERSION,
        "protocol": p,
        "intra_dots": intra.dots,
        "inter_dots": inter.dots,
        "seed": seed,
    })
    .to_string()
}

/// Run or reuse (`fig6-grid.npz` with a matching `fig6-grid.json`) the grid.
fn grid(ctx: &Context, p: &Protocol, intra: &Pair, inter: &Pair) -> Result<(Grid, bool)> {
    let key = cache_key(p, intra, inter, ctx.opts.seed);
    let (json, npz) = (ctx.path("fig6-grid.json"), ctx.path("fig6-grid.npz"));
    if std::fs::read_to_string(&json).ok().as_deref() == Some(key.as_str())
        && let Ok(mut z) = crate::npy::open_npz(&npz)
    {
        let g = Grid {
            intra: z.f64_as("intra_coef")?,
            inter: z.f64_as("inter_coef")?,
            intra_images: z.f64_as("intra_memory")?,
            inter_images: z.f64_as("inter_memory0")?,
        };
        return Ok((g, true));
    }
    let g = simulate(intra, inter, p, ctx.opts.seed, ctx.opts.jobs)?;
    let mut w = crate::npy::create_npz(&npz)?;
    w.add_array("n", &Array1::from(p.n.clone()))?;
    w.add_array("temperature", &Array1::from(p.temperature.clone()))?;
    w.add_array("intra_coef", &g.intra)?;
    w.add_array("inter_coef", &g.inter)?;
    w.add_array("intra_memory", &g.intra_images)?;
    w.add_array("inter_memory0", &g.inter_images)?;
    w.finish()?;
    crate::atomic::write_bytes(&json, key, crate::atomic::Durability::Atomic)?;
    Ok((g, false))
}

/// Reproduce paper Fig. 6.
pub fn run(ctx: &Context) -> Result<Outcome> {
    let p = protocol(ctx.scale());
    let set = ctx.standard_set()?;
    let fours: Vec<usize> = (0..set.digits.len()).filter(|&i| set.digits[i] == 4).collect();
    if fours.len() < 2 {
        return Err(Error::invalid("training set", "needs two 4s"));
    }
    let intra = Pair::of_rows(&set, fours[0], fours[1])?;
    let means = super::class_means(&set, &[4, 9]);
    let inter = Pair::of_images(means.row(0), means.row(1), [4, 9])?;
    let t0 = std::time::Instant::now();
    let (g, reused) = grid(ctx, &p, &intra, &inter)?;
    let source = if ctx.opts.samples.is_some() {
        "reference 200-digit set (--samples)".to_string()
    } else {
        format!(
            "embedded MNIST standard set (20 per class, seed {})",
            ctx.opts.seed
        )
    };
    let (di, de) = (intra.dots, inter.dots);
    let data = format!(
        "{source}: intra = rows {} and {} (two 4s), d = ({:.1}, {:.1}, {:.1}); inter = means of the 20 \
         4s and the 20 9s, d = ({:.1}, {:.1}, {:.1})",
        intra.rows[0], intra.rows[1], di.aa, di.ab, di.bb, de.aa, de.ab, de.bb
    );
    let protocol_text = format!(
        "n ∈ {{{}…{}}} ({} values) × T ∈ {{{}…{} step 20}} ({} values), η = {}, μ = 0, {} updates per \
         run, full trainer in memory (one minibatch of the two samples); intra K = 1, targets [4, 4], \
         start N(−0.003, 1e−5) (seed {}); inter K = 2, targets [4, 9], start 0.5A − 0.2B / 0.5B − 0.2A, \
         labels ±1 (spec §4.9). Results cached in fig6-grid.npz (reused when the protocol and data \
         match).",
        p.n[0],
        p.n[p.n.len() - 1],
        p.n.len(),
        p.temperature[0],
        p.temperature[p.temperature.len() - 1],
        p.temperature.len(),
        p.eta,
        p.epochs,
        ctx.opts.seed
    );
    let mut report = Report::new(data, protocol_text);
    report.info(
        "grid_seconds",
        if reused {
            "wall time (s), grid reused"
        } else {
            "wall time of the grid (s)"
        },
        t0.elapsed().as_secs_f64(),
        "—",
    );
    let mut files = vec![ctx.path("fig6-grid.npz")];
    let (nn, nt) = (p.n.len(), p.temperature.len());
    let dominant = Array2::from_shape_fn((nn, nt), |(i, j)| g.intra[[i, j, 0]].max(g.intra[[i, j, 1]]));
    let minor0 = Array2::from_shape_fn((nn, nt), |(i, j)| g.inter[[i, j, 0, 1]]);
    let minor1 = Array2::from_shape_fn((nn, nt), |(i, j)| g.inter[[i, j, 1, 0]]);
    let line = |d_self: f64, d_ab: f64| -> Vec<f64> {
        p.n.iter()
            .map(|&n| transition_temperature(d_self, d_ab, n, n))
            .collect()
    };
    let intra_line = line(di.aa, di.ab);
    let inter_line0 = line(de.bb, de.ab);
    let inter_line1 = line(de.aa, de.ab);

    // Heat maps.
    let hm = |values: &Array2<f64>,
              range: (f64, f64),
              cmap: Colormap,
              title: String,
              lbl: &str,
              lines: &[Vec<f64>]| {
        let mut h = Heatmap::new(
            values.t().to_owned(),
            p.n.clone(),
            p.temperature.iter().map(|t| t / PIXELS).collect(),
        );
        h.colormap = cmap;
        h.range = Some(range);
        h.title = title;
        h.x_label = "interaction order n".into();
        h.y_label = "T_r = T / 784".into();
        h.colorbar_label = lbl.into();
        h.overlays = lines
            .iter()
            .map(|l| {
                Series::new(
                    "T*(n) (spec §5.8)",
                    p.n.clone(),
                    l.iter().map(|t| t / PIXELS).collect(),
                )
                .with_color(plotters::style::WHITE)
            })
            .collect();
        h
    };
    let maps = [
        hm(
            &dominant,
            (0.4, 1.0),
            Colormap::viridis(),
            "intra (two 4s, K = 1): dominant α".into(),
            "max(α_A, α_B)",
            std::slice::from_ref(&intra_line),
        ),
        hm(
            &minor0,
            (-0.5, 0.5),
            Colormap::bwr(),
            "inter memory 0 (4-memory): coefficient on the mean 9".into(),
            "minor coefficient",
            std::slice::from_ref(&inter_line0),
        ),
        hm(
            &minor1,
            (-0.5, 0.5),
            Colormap::bwr(),
            "inter memory 1 (9-memory): coefficient on the mean 4".into(),
            "minor coefficient",
            std::slice::from_ref(&inter_line1),
        ),
    ];
    let row: Vec<Raster> = maps.iter().map(Raster::of).collect::<Result<_>>()?;
    let path = ctx.path("fig6-heatmaps.png");
    panels::save_grid(
        &path,
        &format!(
            "Paper Fig. 6 — final memories after {} updates (η = {}) over (n, T_r); white: analytic transition line",
            p.epochs, p.eta
        ),
        &[row],
    )?;
    files.push(path);

    // Slices.
    let col = |t: f64| p.temperature.iter().position(|&x| (x - t).abs() < 1e-9);
    let slice_plot =
        |values: &Array2<f64>, ts: &[f64], title: &str, ylabel: &str, d_self: f64, d_ab: f64, level: f64| {
            let mut lp = LinePlot::new(title, "interaction order n", ylabel);
            for (k, &t) in ts.iter().enumerate() {
                if let Some(j) = col(t) {
                    lp.series.push(
                        Series::new(format!("T = {t}"), p.n.clone(), values.column(j).to_vec())
                            .with_color(crate::plot::style::cycle(k)),
                    );
                    if let Some(nl) = line_crossing(d_self, d_ab, t) {
                        lp.events.push(Event {
                            x: nl,
                            label: format!("T*={t}"),
                        });
                    }
                }
            }
            lp.series.push(
                Series::new("", vec![p.n[0], p.n[nn - 1]], vec![level, level])
                    .dashed()
                    .with_color(plotters::style::BLACK),
            );
            lp
        };
    let s1 = slice_plot(
        &dominant,
        &p.intra_slices,
        "intra: dominant α (vertical lines: T*(n) = T)",
        "max(α_A, α_B)",
        di.aa,
        di.ab,
        0.7,
    );
    let s2 = slice_plot(
        &minor0,
        &p.inter_slices,
        "inter memory 0: coefficient on the mean 9",
        "minor coefficient",
        de.bb,
        de.ab,
        0.0,
    );
    let path = ctx.path("fig6-slices.png");
    panels::save_grid(
        &path,
        "Paper Fig. 6 — horizontal slices of the heat maps",
        &[vec![Raster::of(&s1)?, Raster::of(&s2)?]],
    )?;
    files.push(path);

    // Image grids of the final memories at every 4th n and T (every 2nd at quick scale).
    let step = ctx.scale().pick(2, 4);
    let shown_n: Vec<usize> = (0..nn).step_by(step).collect();
    let shown_t: Vec<usize> = (0..nt).step_by(4).rev().collect();
    let mut rowv = Vec::new();
    for (images, name) in [
        (&g.intra_images, "intra memory"),
        (&g.inter_images, "inter memory 0"),
    ] {
        let mut imgs = Array2::zeros((shown_n.len() * shown_t.len(), 784));
        let mut titles = Vec::new();
        for (r, &j) in shown_t.iter().enumerate() {
            for (c, &i) in shown_n.iter().enumerate() {
                imgs.row_mut(r * shown_n.len() + c)
                    .assign(&images.slice(ndarray::s![i, j, ..]));
                titles.push(format!("n{} T{}", p.n[i], p.temperature[j]));
            }
        }
        let mut mg = MemoryGrid::new(imgs, shown_n.len());
        mg.tile_titles = Some(titles);
        mg.title = Some(format!("{name}: rows T (high → low), columns n"));
        rowv.push(Raster::of(&mg)?);
    }
    let path = ctx.path("fig6-memories.png");
    panels::save_grid(&path, "Paper Fig. 6 — final memories", &[rowv])?;
    files.push(path);

    checks(
        &mut report,
        &p,
        &dominant,
        &minor0,
        (di.aa, di.ab),
        (de.bb, de.ab),
    );
    report.note(
        "The intra heat map shows max(α_A, α_B) (the reference plots the coefficient of its second \
         sample, `[:, :, 0, 1]`); which of the two 4s becomes the prototype depends on the pair.",
    );
    ctx.finish(report, files)
}

fn checks(
    report: &mut Report,
    p: &Protocol,
    dominant: &Array2<f64>,
    minor0: &Array2<f64>,
    (d_self, d_ab): (f64, f64),
    (e_self, e_ab): (f64, f64),
) {
    // Intra: mixture below the line, prototype above it (cells ≥ 3 units of n from the line and
    // T > 580, where the spec notes a different partial asymmetry).
    let (mut below, mut below_ok, mut above, mut above_ok) = (0, 0, 0, 0);
    for (j, &t) in p.temperature.iter().enumerate() {
        let Some(nl) = line_crossing(d_self, d_ab, t) else {
            continue;
        };
        for (i, &n) in p.n.iter().enumerate() {
            if t <= 580.0 {
                continue;
            }
            if n <= nl - 3.0 {
                below += 1;
                below_ok += usize::from(dominant[[i, j]] < 0.6);
            } else if n >= nl + 6.0 {
                above += 1;
                above_ok += usize::from(dominant[[i, j]] > 0.85);
            }
        }
    }
    let frac = |a: usize, b: usize| if b == 0 { f64::NAN } else { a as f64 / b as f64 };
    let fb = frac(below_ok, below);
    report.expect(
        "intra_mixture_below",
        &format!("intra: fraction of {below} cells below the line (n ≤ n* − 3, T > 580) with max α < 0.6"),
        fb,
        "spec §6.7: a 50/50-ish mixture (max α ≈ 0.50–0.53) below the line (≥ 0.9)",
        Criterion::AtLeast { bound: 0.9 },
    );
    let fa = frac(above_ok, above);
    report.expect(
        "intra_prototype_above",
        &format!("intra: fraction of {above} cells above the line (n ≥ n* + 6) with max α > 0.85"),
        fa,
        "spec §6.7: jumps to a prototype (max α → 0.9–1.0) above the line; the jump is gradual next to it (≥ 0.9 of the cells)",
        Criterion::AtLeast { bound: 0.9 },
    );
    let col = |t: f64| p.temperature.iter().position(|&x| (x - t).abs() < 1e-9);
    for &t in &p.intra_slices {
        let Some(j) = col(t) else { continue };
        let sim = crossing(&p.n, &dominant.column(j).to_vec(), 0.7).unwrap_or(f64::NAN);
        let nl = line_crossing(d_self, d_ab, t).unwrap_or(f64::NAN);
        let diff = sim - nl;
        report.expect(
            &format!("intra_transition_t{t}"),
            &format!(
                "intra, T = {t}: simulated transition (max α = 0.7) minus the line's n ({sim:.1} vs {nl:.1})"
            ),
            diff,
            "spec §6.7: 1.5–2.7 units of n above the line (−1 … 5)",
            Criterion::Between { lo: -1.0, hi: 5.0 },
        );
    }
    for &t in &[880.0, 800.0, 740.0, 700.0, 660.0] {
        let Some(j) = col(t) else { continue };
        let sim = crossing(&p.n, &minor0.column(j).to_vec(), 0.0).unwrap_or(f64::NAN);
        let nl = line_crossing(e_self, e_ab, t).unwrap_or(f64::NAN);
        let diff = sim - nl;
        report.expect(
            &format!("inter_zero_t{t}"),
            &format!("inter memory 0, T = {t}: zero crossing of the minor coefficient minus the line's n ({sim:.1} vs {nl:.1})"),
            diff,
            "spec §6.7: 0.5–2.6 units of n below the line (−4 … +1)",
            Criterion::Between { lo: -4.0, hi: 1.0 },
        );
    }
    let lowest = minor0[[0, 0]];
    report.expect(
        "inter_minor_low",
        &format!(
            "inter memory 0 at n = {}, T = {}: minor coefficient",
            p.n[0], p.temperature[0]
        ),
        lowest,
        "spec §6.7: ≈ −0.5 (< −0.3)",
        Criterion::Below { bound: -0.3 },
    );
    let (nn, nt) = minor0.dim();
    let high = minor0[[nn - 1, nt - 1]];
    report.expect(
        "inter_minor_high",
        &format!(
            "inter memory 0 at n = {}, T = {}: minor coefficient",
            p.n[nn - 1],
            p.temperature[nt - 1]
        ),
        high,
        "spec §6.7: stays non-zero at high n, high T (≈ 0.19–0.30; > 0.1)",
        Criterion::Above { bound: 0.1 },
    );
}

/// The grid and line of the figure for the tests: (#n, #T, updates).
pub fn grid_shape(p: &Protocol) -> (usize, usize, usize) {
    (p.n.len(), p.temperature.len(), p.epochs)
}
