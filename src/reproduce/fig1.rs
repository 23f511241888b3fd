//! Paper Fig. 1 (spec `reference-experiments.md` §4.1, repo `Figure 1` and `Figure 1S.MoorePenrose`):
//! final memories that classify as "4" on an (n, T) grid, the α coefficients of one of them at
//! symmetric-ranked positions (§3.3), its ten labels, training sample #147, and the Moore–Penrose
//! reconstructions of the supplement (§3.5).
//!
//! Feature vs prototype (spec §6.2): at n = 3 memories are signed mixtures of many samples (small
//! max-α, high reconstruction count, several labels ≥ 0.99 per memory); at n = 30 they are close to
//! a few training samples (large max-α, low count, about one label ≥ 0.99).

use super::dam_figs;

use super::{Context, Criterion, Outcome, Report, Scale};
use crate::config::DataConfig;
use crate::error::Result;
use crate::plot::{self, AlphaPanels, MemoryGrid};
use crate::sweep::Sweep;
use crate::sweep::collect::analyse_point;
use dam_figs::{Framed, LabelBars, Panel, PixelImage, Record, Sheet, t_r};
use ndarray::{Array2, Axis};
use std::path::PathBuf;

/// The class whose memories Fig. 1 shows ("memories that classify inputs as 4").
pub const CLASS: usize = 4;
/// Label threshold of the memory selection (spec §3.9), lowered by 0.1 until non-empty.
pub const THRESHOLD: f64 = 0.99;
/// The training sample shown with its pixel grid.
pub const SAMPLE: usize = 147;

/// The protocol of Fig. 1 at one scale.
#[derive(Debug, Clone, PartialEq)]
pub struct Protocol {
    /// Powers n (columns of the figure).
    pub ns: Vec<f64>,
    /// Temperatures T (rows).
    pub temperatures: Vec<f64>,
    /// Updates per run.
    pub epochs: usize,
}

/// Paper: n ∈ {3, 15, 30} × T ∈ {400, 550, 670}, standard full runs, 5 000 updates ("ic" + 5 000
/// saved epochs; the last saved frame is after 5 000 updates, spec §2.3). Quick: the corners
/// n ∈ {3, 30} × T ∈ {400, 670}, 3 500 updates (n = 30 at T = 670 needs ≈ 3 000 updates to reach
/// its prototypes; spec §6.2 states its numbers after 3 500).
pub fn protocol(scale: Scale) -> Protocol {
    Protocol {
        ns: scale.pick(vec![3.0, 30.0], vec![3.0, 15.0, 30.0]),
        temperatures: scale.pick(vec![400.0, 670.0], vec![400.0, 550.0, 670.0]),
        epochs: scale.pick(3500, 5000),
    }
}

/// The grid file of Fig. 1 (only the initial and final states are recorded: the figure uses the
/// final state). `data` is a `[data]` section (empty: embedded 20-per-class draw of `seed`).
pub fn sweep(scale: Scale, seed: u64, data: DataConfig) -> Sweep {
    let p = protocol(scale);
    dam_figs::standard_sweep("fig1", seed, data, p.epochs, Record::Ends, &p.ns, &p.temperatures)
}

/// One (n, T) cell of the figure.
struct Cell {
    n: f64,
    t: f64,
    /// The selected memories (ℓ_4 ≥ threshold), their threshold.
    selected: Vec<usize>,
    threshold: f64,
    memories: Array2<f64>,
    labels: Array2<f64>,
    alpha: Array2<f64>,
    max_alpha: f64,
    reconstruction: f64,
    labels_per_memory: f64,
}

/// Reproduce the figure.
pub fn run(ctx: &Context) -> Result<Outcome> {
    let p = protocol(ctx.scale());
    let set = ctx.standard_set()?;
    let data = ctx.training_data("train", &set)?;
    let (dir, g) = ctx.sweep("fig1", &sweep(ctx.scale(), ctx.opts.seed, data))?;
    let mut cells = Vec::new();
    for &t in &p.temperatures {
        for &n in &p.ns {
            let run_dir = ctx.point_dir(&dir, &g, dam_figs::find_point(&g, n, t)?);
            let state = dam_figs::final_state(&run_dir)?;
            let res = analyse_point(&run_dir)?;
            let (selected, threshold) = dam_figs::memories_of_class(state.labels.view(), CLASS, THRESHOLD);
            cells.push(Cell {
                n,
                t,
                selected,
                threshold,
                alpha: dam_figs::alpha(&set, state.memories.view())?,
                labels_per_memory: dam_figs::labels_per_memory(state.labels.view(), THRESHOLD),
                memories: state.memories,
                labels: state.labels,
                max_alpha: res.max_alpha.0,
                reconstruction: res.reconstruction.0,
            });
        }
    }
    let mut files = vec![
        memories_figure(ctx, &cells, p.epochs)?,
        alpha_figure(ctx, &cells, p.epochs)?,
        labels_figure(ctx, &cells, p.epochs)?,
        sample_figure(ctx, &set)?,
    ];
    let cell = |n: f64, t: f64| cells.iter().find(|c| c.n == n && c.t == t);
    let (c3, c30) = (cell(3.0, 670.0), cell(30.0, 670.0));
    if let (Some(a), Some(b)) = (c3, c30) {
        files.push(moore_penrose_figure(ctx, &set, a, b, p.epochs)?);
    }
    let report = report(ctx, &p, &cells, &set)?;
    ctx.finish(report, files)
}

/// Columns of the figure: the number of distinct n.
fn ncols(cells: &[Cell]) -> usize {
    cells.iter().take_while(|c| c.t == cells[0].t).count().max(1)
}

fn cell_title(c: &Cell) -> String {
    format!("n = {}, T = {} (T_r = {:.2})", c.n, c.t, t_r(c.t))
}

fn shown(c: &Cell) -> Vec<usize> {
    c.selected.iter().copied().take(4).collect()
}

/// Panel B: for each (T row, n column), four memories with ℓ_4 ≥ θ as a 2×2 image.
fn memories_figure(ctx: &Context, cells: &[Cell], epochs: usize) -> Result<PathBuf> {
    let mut sheet = Sheet::new(format!(
        "Fig. 1B: final memories with label ℓ_4 ≥ 0.99 (4 shown), after {epochs} epochs; rows T, columns n"
    ));
    for row in cells.chunks(ncols(cells)) {
        sheet.rows.push(
            row.iter()
                .map(|c| {
                    let idx = shown(c);
                    let mut g = MemoryGrid::new(c.memories.select(Axis(0), &idx), 2);
                    g.rows = 2;
                    g.scale = 3;
                    g.tile_titles = Some(idx.iter().map(|i| format!("#{i}")).collect());
                    let thr = if c.threshold < THRESHOLD {
                        format!(", ℓ_4 ≥ {:.2}", c.threshold)
                    } else {
                        String::new()
                    };
                    Framed::panel(
                        format!("n = {}, T = {}: {} memories{thr}", c.n, c.t, c.selected.len()),
                        420,
                        Panel::Grid(g),
                    )
                })
                .collect(),
        );
    }
    save(ctx, &sheet, "fig1-memories.png")
}

/// Panel C: α of the first shown memory of each cell over the 200 samples, symmetric ranking per
/// class, y range [−0.15, 0.4] (widened if a coefficient falls outside).
fn alpha_figure(ctx: &Context, cells: &[Cell], epochs: usize) -> Result<PathBuf> {
    let rows: Vec<usize> = cells.iter().map(|c| c.selected[0]).collect();
    let alphas = Array2::from_shape_fn((cells.len(), cells[0].alpha.ncols()), |(i, p)| {
        cells[i].alpha[[rows[i], p]]
    });
    let lo = alphas.iter().copied().fold(-0.15, f64::min);
    let hi = alphas.iter().copied().fold(0.4, f64::max);
    let mut a = AlphaPanels::new(alphas);
    a.cols = ncols(cells);
    a.y_range = Some((lo, hi));
    a.titles = cells
        .iter()
        .zip(&rows)
        .map(|(c, r)| format!("{}: α of memory #{r}", cell_title(c)))
        .collect();
    let mut sheet = Sheet::new(format!(
        "Fig. 1C: α = M·pinv(X) of a memory with ℓ_4 ≥ 0.99, samples by class in symmetric rank order (after {epochs} epochs)"
    ));
    sheet.rows.push(vec![Panel::Alpha(a)]);
    save(ctx, &sheet, "fig1-alpha.png")
}

/// Panel D: the ten labels of the memory of panel C.
fn labels_figure(ctx: &Context, cells: &[Cell], epochs: usize) -> Result<PathBuf> {
    let mut sheet = Sheet::new(format!(
        "Fig. 1D: labels of the memory of Fig. 1C (after {epochs} epochs); rows T, columns n"
    ));
    for row in cells.chunks(ncols(cells)) {
        sheet.rows.push(
            row.iter()
                .map(|c| {
                    Panel::Bars(LabelBars {
                        labels: c.labels.row(c.selected[0]).to_owned(),
                        title: format!("n={}, T={}: memory #{}", c.n, c.t, c.selected[0]),
                        size: (420, 280),
                    })
                })
                .collect(),
        );
    }
    save(ctx, &sheet, "fig1-labels.png")
}

/// Panel A: training sample #147 with its pixel grid.
fn sample_figure(ctx: &Context, set: &crate::data::TrainingSet) -> Result<PathBuf> {
    let fig = PixelImage {
        image: set.samples.row(SAMPLE).to_owned(),
        title: format!("training sample #{SAMPLE} (digit {})", set.digits[SAMPLE]),
        scale: 14,
    };
    let path = ctx.path("fig1-sample147.png");
    plot::save(&fig, &path)?;
    Ok(path)
}

/// Supplement (repo `Figure 1S.MoorePenrose`): 25 final memories at n = 3 and n = 30 (T = 670),
/// their reconstruction from all 200 coefficients and from the 10 largest |α|.
fn moore_penrose_figure(
    ctx: &Context,
    set: &crate::data::TrainingSet,
    a: &Cell,
    b: &Cell,
    epochs: usize,
) -> Result<PathBuf> {
    let mut sheet = Sheet::new(format!(
        "Moore–Penrose supplement: 25 memories, reconstruction Σ α_p x_p with all 200 and the top-10 |α| (T = 670, {epochs} epochs)"
    ));
    for c in [a, b] {
        let idx: Vec<usize> = (0..25.min(c.memories.nrows())).collect();
        let mut row = Vec::new();
        for (p, what) in [
            (0, "memories M"),
            (200, "all 200 samples"),
            (10, "top 10 samples"),
        ] {
            let imgs = if p == 0 {
                c.memories.select(Axis(0), &idx)
            } else {
                let mut m = Array2::zeros((idx.len(), c.memories.ncols()));
                for (i, &k) in idx.iter().enumerate() {
                    m.row_mut(i).assign(&dam_figs::top_reconstruction(
                        c.alpha.row(k),
                        set.samples.view(),
                        p,
                    ));
                }
                m
            };
            let mut g = MemoryGrid::new(imgs.mapv(|v| v.clamp(-1.5, 1.5)), 5);
            g.scale = 2;
            g.title = Some(format!("n = {}: {what}", c.n));
            row.push(Panel::Grid(g));
        }
        sheet.rows.push(row);
    }
    save(ctx, &sheet, "fig1-moore-penrose.png")
}

fn save(ctx: &Context, fig: &Sheet, name: &str) -> Result<PathBuf> {
    let path = ctx.path(name);
    plot::save(fig, &path)?;
    Ok(path)
}

/// Mean relative L1 error ‖M_A − R_A‖₁ / ‖M_A‖₁ of the top-`p` reconstructions of all memories.
fn top_error(c: &Cell, set: &crate::data::TrainingSet, p: usize) -> f64 {
    let k = c.memories.nrows();
    let mut total = 0.0;
    for a in 0..k {
        let r = dam_figs::top_reconstruction(c.alpha.row(a), set.samples.view(), p);
        let m = c.memories.row(a);
        let err: f64 = m.iter().zip(r.iter()).map(|(x, y)| (x - y).abs()).sum();
        let norm: f64 = m.iter().map(|x| x.abs()).sum::<f64>().max(f64::MIN_POSITIVE);
        total += err / norm;
    }
    total / k as f64
}

fn report(ctx: &Context, p: &Protocol, cells: &[Cell], set: &crate::data::TrainingSet) -> Result<Report> {
    let list = |v: &[f64]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(", ");
    let protocol = format!(
        "standard full runs (K = 100, η = 0.005, μ = 0, init N(−0.003, 1e−5), one minibatch of the 200 samples) \
         at n ∈ {{{}}} × T ∈ {{{}}}, {} updates each ({}); one run per point, all with run seed {}; \
         only the initial and final states recorded. Memories shown: those with ℓ_4 ≥ 0.99 (threshold lowered by 0.1 \
         until one qualifies), the first four by index (the paper hand-picks four). α = M·pinv(X) on the 200 samples.",
        list(&p.ns),
        list(&p.temperatures),
        p.epochs,
        ctx.scale().pick(
            "quick scale; the paper runs n ∈ {3, 15, 30} × T ∈ {400, 550, 670} for 5 000 updates",
            "as the paper"
        ),
        ctx.opts.seed
    );
    let mut r = Report::new(dam_figs::data_description(ctx), protocol);
    for c in cells {
        let key = format!("n{}_T{}", c.n, c.t);
        r.info(
            &format!("max_alpha_{key}"),
            &format!("mean max|α|, n = {}, T = {}", c.n, c.t),
            c.max_alpha,
            "—",
        );
        r.info(
            &format!("reconstruction_{key}"),
            &format!("mean reconstruction count, n = {}, T = {}", c.n, c.t),
            c.reconstruction,
            "—",
        );
        r.info(
            &format!("labels_per_memory_{key}"),
            &format!("labels ≥ 0.99 per memory, n = {}, T = {}", c.n, c.t),
            c.labels_per_memory,
            "—",
        );
        r.info(
            &format!("class4_memories_{key}"),
            &format!("memories with ℓ_4 ≥ {:.2}, n = {}, T = {}", c.threshold, c.n, c.t),
            c.selected.len() as f64,
            "paper: several per panel",
        );
    }
    let get = |n: f64, t: f64| cells.iter().find(|c| c.n == n && c.t == t);
    for &t in &p.temperatures {
        if let (Some(a), Some(b)) = (get(3.0, t), get(30.0, t)) {
            r.check(
                &format!("max_alpha_ratio_T{t}"),
                &format!("max|α| at n = 30 over n = 3, T = {t}"),
                b.max_alpha / a.max_alpha,
                "paper Fig. 1: mixtures at low n, few dominant samples at high n ⇒ ratio > 2",
                b.max_alpha > 2.0 * a.max_alpha,
            );
        }
    }
    if let (Some(a), Some(b)) = (get(3.0, 670.0), get(30.0, 670.0)) {
        r.expect(
            "max_alpha_n3_T670",
            "mean max|α|, n = 3, T = 670 (feature)",
            a.max_alpha,
            "spec §6.2: 0.060–0.062 (3 500 epochs); feature-like < 0.12",
            Criterion::Below { bound: 0.12 },
        );
        r.expect(
            "max_alpha_n30_T670",
            "mean max|α|, n = 30, T = 670 (prototype)",
            b.max_alpha,
            "spec §6.2: 0.29–0.33 (3 500 epochs); prototype-like ≥ 0.2",
            Criterion::AtLeast { bound: 0.2 },
        );
        r.expect(
            "labels_per_memory_n3",
            "labels ≥ 0.99 per memory, n = 3, T = 670",
            a.labels_per_memory,
            "spec §6.2: ≈ 3.9 (several classes per memory) ⇒ > 2",
            Criterion::Above { bound: 2.0 },
        );
        r.expect(
            "labels_per_memory_n30",
            "labels ≥ 0.99 per memory, n = 30, T = 670",
            b.labels_per_memory,
            "spec §6.2: ≈ 1.05 (one class per memory) ⇒ < 1.5",
            Criterion::Below { bound: 1.5 },
        );
        r.expect(
            "reconstruction_n3",
            "Moore–Penrose: mean reconstruction count, n = 3, T = 670",
            a.reconstruction,
            "spec §6.2: 160–164 ⇒ > 100",
            Criterion::Above { bound: 100.0 },
        );
        r.expect(
            "reconstruction_n30",
            "Moore–Penrose: mean reconstruction count, n = 30, T = 670",
            b.reconstruction,
            "spec §6.2: 12.6–17.1 ⇒ < 40",
            Criterion::Below { bound: 40.0 },
        );
        let (e3, e30) = (top_error(a, set, 10), top_error(b, set, 10));
        r.expect(
            "top10_error_n3",
            "Moore–Penrose: relative L1 error of the top-10 reconstruction, n = 3",
            e3,
            "supplement: 10 samples do not rebuild a feature memory ⇒ > 0.3",
            Criterion::Above { bound: 0.3 },
        );
        r.expect(
            "top10_error_n30",
            "Moore–Penrose: relative L1 error of the top-10 reconstruction, n = 30",
            e30,
            "supplement: 10 samples nearly rebuild a prototype ⇒ smaller than at n = 3",
            Criterion::Below { bound: e3 },
        );
    }
    r.note(
        "Panel A (training sample #147 with its pixel grid) is `fig1-sample147.png`; panels B–D are \
         `fig1-memories.png`, `fig1-alpha.png`, `fig1-labels.png` (rows T, columns n). \
         The Moore–Penrose supplement (`fig1-moore-penrose.png`) shows the first 25 memories of the n = 3 and \
         n = 30 runs at T = 670, rebuilt from all 200 coefficients (exact up to the part of M outside the span \
         of the samples) and from the 10 largest |α| (values clipped to ±1.5 for display).",
    );
    Ok(r)
}
