//! Paper Fig. 3 (spec `reference-experiments.md` §4.3, repo `Figure 3` and `Figure 3M`): the
//! learning dynamics of the 100-memory system at T = 670 — UMAP trajectories of the memories over
//! the training samples at hand-picked frames t_s (§3.8), memory strips (2 per class) at epochs
//! 10·t_s, the per-class recognition stacked over epochs (§3.6), the learning order (§3.7) and a
//! movie of the memory grid. Reference numbers: spec §6.2 (max-α, reconstruction counts, labels per
//! memory) and §6.3 (learning order 1, 4, 7, 9, 5, 6, 8, 3, 2, 0 on the reference set).

use super::dam_figs::{self, OrderChart, Panel, Record, Sheet};
use super::{Check, Context, Criterion, Outcome, Report, Scale};
use crate::config::DataConfig;
use crate::error::{Error, Result};
use crate::landscape::{self, Analysis};
use crate::plot::{self, ClassPoint, MemoryGrid, ScatterTrajectories, StackedArea, Trail};
use crate::sweep::Sweep;
use ndarray::{Array3, Axis};
use std::path::PathBuf;

/// The temperature of Fig. 3 (T_r = 0.855).
pub const TEMPERATURE: f64 = 670.0;

/// The protocol of Fig. 3 at one scale.
#[derive(Debug, Clone, PartialEq)]
pub struct Protocol {
    /// Powers n (one run each, T = 670).
    pub ns: Vec<f64>,
    /// Updates per run.
    pub epochs: usize,
    /// Record every this many epochs.
    pub record_every: usize,
    /// Runs whose memory grid is written as a GIF movie.
    pub movies: Vec<f64>,
}

/// Paper: n ∈ {3, 15, 30, 40} at T = 670, 3 500 updates ("ic" + 3 500 saved epochs); the paper saves
/// every epoch and embeds every 10th frame — we record every 10 epochs, which gives exactly the
/// frames the UMAP and recognition panels use. Quick: n ∈ {3, 30}, 3 500 updates recorded every 50.
pub fn protocol(scale: Scale) -> Protocol {
    Protocol {
        ns: scale.pick(vec![3.0, 30.0], vec![3.0, 15.0, 30.0, 40.0]),
        epochs: 3500,
        record_every: scale.pick(50, 10),
        movies: vec![30.0],
    }
}

/// The grid file of Fig. 3.
pub fn sweep(scale: Scale, seed: u64, data: DataConfig) -> Sweep {
    let p = protocol(scale);
    dam_figs::standard_sweep(
        "fig3",
        seed,
        data,
        p.epochs,
        Record::Every(p.record_every),
        &p.ns,
        &[TEMPERATURE],
    )
}

/// The paper's hand-picked frames t_s (unit: 10 epochs) of each n (spec §4.3).
pub fn frames(n: f64) -> [usize; 7] {
    match n as i64 {
        3 => [10, 30, 40, 62, 90, 120, 344],
        15 => [20, 30, 55, 70, 150, 200, 344],
        25 => [20, 62, 100, 132, 191, 270, 344],
        40 => [20, 62, 110, 161, 187, 233, 344],
        _ => [40, 90, 125, 153, 180, 280, 344],
    }
}

/// Everything computed for one run.
struct RunResult {
    n: f64,
    analysis: Analysis,
    epochs: Vec<usize>,
    memories: Array3<f64>,
    /// UMAP positions (E×K×2).
    positions: Array3<f64>,
}

/// Reproduce the figure.
pub fn run(ctx: &Context) -> Result<Outcome> {
    let p = protocol(ctx.scale());
    let set = ctx.standard_set()?;
    let data = ctx.training_data("train", &set)?;
    let (dir, g) = ctx.sweep("fig3", &sweep(ctx.scale(), ctx.opts.seed, data))?;
    let (umap, sample_xy) = dam_figs::umap_model(ctx, &set)?;
    let samples: Vec<ClassPoint> = (0..sample_xy.nrows())
        .map(|i| ClassPoint {
            x: sample_xy[[i, 0]],
            y: sample_xy[[i, 1]],
            class: set.digits[i],
        })
        .collect();
    let mut runs = Vec::new();
    for &n in &p.ns {
        let run_dir = ctx.point_dir(&dir, &g, dam_figs::find_point(&g, n, TEMPERATURE)?);
        let analysis = landscape::analyze_run_dir(&run_dir, &landscape::Options::default())?;
        let mut traj = crate::run_folder::Trajectory::open(&run_dir)?;
        let epochs = traj.epochs().to_vec();
        let memories = traj.memories()?;
        let (e, k, d) = memories.dim();
        let flat = memories
            .view()
            .into_shape_with_order((e * k, d))
            .map_err(|err| Error::invalid("trajectory", err.to_string()))?;
        let xy = umap.transform(flat, 0)?;
        let positions = xy
            .into_shape_with_order((e, k, 2))
            .map_err(|err| Error::invalid("UMAP positions", err.to_string()))?;
        runs.push(RunResult {
            n,
            analysis,
            epochs,
            memories,
            positions,
        });
    }
    let mut files = Vec::new();
    for r in &runs {
        files.push(umap_figure(ctx, r, &samples)?);
        files.push(strips_figure(ctx, r)?);
    }
    files.push(recognition_figure(ctx, &runs, set.digits.len())?);
    files.push(order_figure(ctx, &runs, p.epochs)?);
    for r in runs.iter().filter(|r| p.movies.contains(&r.n)) {
        files.push(movie(ctx, r)?);
    }
    let report = report(ctx, &p, &runs)?;
    ctx.finish(report, files)
}

fn frame_indices(r: &RunResult) -> Vec<usize> {
    frames(r.n)
        .iter()
        .map(|&t| dam_figs::nearest_frame(&r.epochs, 10 * t))
        .collect()
}

/// Panels A/D: six UMAP panels; panel k shows the memories at frame t_s[k] (white circles) and
/// their trails from t_s[k−1] to t_s[k] (thin black lines) over the training samples (triangles).
/// The paper draws trails from t_s[0]; with records every 10–50 epochs those accumulate into an
/// unreadable web, so each panel shows only the path since the previous one.
fn umap_figure(ctx: &Context, r: &RunResult, samples: &[ClassPoint]) -> Result<PathBuf> {
    let fr = frame_indices(r);
    let k = r.positions.dim().1;
    let at = |f: usize| -> Vec<(f64, f64)> {
        (0..k)
            .map(|j| (r.positions[(f, j, 0)], r.positions[(f, j, 1)]))
            .collect()
    };
    let mut all = ScatterTrajectories {
        samples: samples.to_vec(),
        ..Default::default()
    };
    for f in fr[0]..=fr[5] {
        all.current.extend(at(f));
    }
    let bounds = all.data_bounds();
    let mut sheet = Sheet::new(format!(
        "Fig. 3A: UMAP of the memories, n = {}, T = {TEMPERATURE} (T_r = 0.85): positions (white), trails since the previous panel",
        r.n
    ));
    let mut row = Vec::new();
    for (panel, &f) in fr.iter().take(6).enumerate() {
        let from = fr[panel.saturating_sub(1)];
        let trails = (0..k)
            .map(|j| Trail {
                points: (from..=f)
                    .map(|g| (r.positions[(g, j, 0)], r.positions[(g, j, 1)]))
                    .collect(),
                class: None,
            })
            .collect();
        row.push(Panel::Scatter(ScatterTrajectories {
            title: format!("n = {}: epoch {}", r.n, r.epochs[f]),
            x_label: "UMAP 1".into(),
            y_label: "UMAP 2".into(),
            samples: samples.to_vec(),
            class_names: (0..10).map(|c| c.to_string()).collect(),
            trails,
            current: at(f),
            bounds: Some(bounds),
            size: (480, 430),
            ..Default::default()
        }));
        if panel % 3 == 2 {
            sheet.rows.push(std::mem::take(&mut row));
        }
    }
    let path = ctx.path(&format!("fig3-umap-n{}.png", r.n));
    plot::save(&sheet, &path)?;
    Ok(path)
}

/// The 20 memories of the strips: 2 per class, drawn at random (seeded) among the memories whose
/// final ℓ_d ≥ 0.99 (lowered by 0.1 until some qualify; spec §4.3). Returns (memory, class) pairs.
fn strip_memories(labels: ndarray::ArrayView2<f64>, seed: u64) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for d in 0..10 {
        let (sel, _) = dam_figs::memories_of_class(labels, d, 0.99);
        let pick = dam_figs::random_indices(sel.len(), 2, seed.wrapping_add(d as u64));
        for i in 0..2 {
            out.push((sel[pick[i.min(pick.len() - 1)]], d));
        }
    }
    out
}

/// Panels B/E: the strip memories at epochs 10·t_s, one 2×10 strip per epoch.
fn strips_figure(ctx: &Context, r: &RunResult) -> Result<PathBuf> {
    let last = r.analysis.labels.len_of(Axis(0)) - 1;
    let picks = strip_memories(r.analysis.labels.index_axis(Axis(0), last), ctx.opts.seed);
    // Order: first row one memory of each class, second row the other.
    let order: Vec<(usize, usize)> = (0..2)
        .flat_map(|i| (0..10).map(move |d| (i, d)))
        .map(|(i, d)| picks[2 * d + i])
        .collect();
    let idx: Vec<usize> = order.iter().map(|p| p.0).collect();
    let mut sheet = Sheet::new(format!(
        "Fig. 3B: 2 memories per final class (columns 0…9), n = {}, T = {TEMPERATURE}",
        r.n
    ));
    for f in frame_indices(r) {
        let mut g = MemoryGrid::new(r.memories.index_axis(Axis(0), f).select(Axis(0), &idx), 10);
        g.scale = 2;
        g.title = Some(format!("epoch {}", r.epochs[f]));
        g.tile_titles = Some(order.iter().map(|(a, _)| format!("#{a}")).collect());
        sheet.rows.push(vec![Panel::Grid(g)]);
    }
    let path = ctx.path(&format!("fig3-memories-n{}.png", r.n));
    plot::save(&sheet, &path)?;
    Ok(path)
}

/// Panels C/F: recognised fraction of the training set per class vs epoch (spec §3.6).
fn recognition_figure(ctx: &Context, runs: &[RunResult], samples: usize) -> Result<PathBuf> {
    let mut sheet =
        Sheet::new("Fig. 3C/F: training samples recognised per class (argmax = class and max output > −1)");
    for r in runs {
        let Some(rec) = &r.analysis.recognition else {
            continue;
        };
        let frac = rec.mapv(|c| c as f64 / samples as f64);
        let mut s = StackedArea::recognition(r.epochs.iter().map(|&e| e as f64).collect(), &frac);
        s.title = format!("n = {}, T = {TEMPERATURE} (T_r = 0.85)", r.n);
        sheet.rows.push(vec![Panel::Stacked(s)]);
    }
    let path = ctx.path("fig3-recognition.png");
    plot::save(&sheet, &path)?;
    Ok(path)
}

/// The learning order (spec §3.7): the epoch at which each class becomes learned (≥ 5 of its 20
/// samples recognised), one row per n.
fn order_figure(ctx: &Context, runs: &[RunResult], epochs: usize) -> Result<PathBuf> {
    let fig = OrderChart {
        title: format!("Learning order at T = {TEMPERATURE} (T_r = 0.85): when each class is learned"),
        rows: runs
            .iter()
            .map(|r| {
                let classes = r
                    .analysis
                    .learning_order
                    .iter()
                    .map(|o| (o.class, o.learned_epoch.map(|e| e as f64)))
                    .collect();
                (format!("n = {}", r.n), classes)
            })
            .collect(),
        x_max: epochs as f64,
        size: (1100, 140 + 170 * runs.len() as u32),
    };
    let path = ctx.path("fig3-learning-order.png");
    plot::save(&fig, &path)?;
    Ok(path)
}

/// Movie (repo `Figure 3M`): the memory grid (10×10 tiles, 2 screen pixels per image pixel) at
/// every recorded epoch, at most 40 frames at quick scale and 180 at paper scale (every k-th
/// record otherwise), memories sorted by final dominant label.
fn movie(ctx: &Context, r: &RunResult) -> Result<PathBuf> {
    let step = r.epochs.len().div_ceil(ctx.scale().pick(40, 180)).max(1);
    let sel: Vec<usize> = (0..r.epochs.len()).step_by(step).collect();
    let last = r.analysis.labels.len_of(Axis(0)) - 1;
    let order =
        crate::landscape::identity::order_by_dominant_label(r.analysis.labels.index_axis(Axis(0), last));
    let path = ctx.path(&format!("fig3-movie-n{}.gif", r.n));
    plot::movie::write_movie(&path, sel.len(), 8, |i| {
        let f = sel[i];
        let mut g = MemoryGrid::new(r.memories.index_axis(Axis(0), f).select(Axis(0), &order), 10);
        g.scale = 2;
        g.title = Some(format!("n = {}, T = {TEMPERATURE}: epoch {}", r.n, r.epochs[f]));
        g
    })?;
    Ok(path)
}

/// Learned epochs in order: "1 (50), 4 (700), …, 0 (never)".
fn order_text(a: &Analysis) -> String {
    let mut o: Vec<_> = a.learning_order.iter().collect();
    o.sort_by_key(|c| (c.learned_epoch.is_none(), c.learned_epoch, c.class));
    o.iter()
        .map(|c| match c.learned_epoch {
            Some(e) => format!("{} ({e})", c.class),
            None => format!("{} (never)", c.class),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether class 1 is learned strictly before every other class.
fn one_first(a: &Analysis) -> bool {
    let e1 = a
        .learning_order
        .iter()
        .find(|c| c.class == 1)
        .and_then(|c| c.learned_epoch);
    match e1 {
        None => false,
        Some(e1) => a
            .learning_order
            .iter()
            .filter(|c| c.class != 1)
            .all(|c| c.learned_epoch.is_none_or(|e| e > e1)),
    }
}

/// The latest learned epoch (a class never learned counts as `never`).
fn last_learned(a: &Analysis, never: usize) -> usize {
    a.learning_order
        .iter()
        .map(|c| c.learned_epoch.unwrap_or(never))
        .max()
        .unwrap_or(never)
}

/// Spec §6.2 ranges: (max-α, reconstruction count, labels ≥ 0.99 per memory) at T = 670, 3 500 epochs.
fn spec_62(n: f64) -> Option<(&'static str, &'static str, &'static str)> {
    match n as i64 {
        3 => Some(("0.060–0.062", "160–164", "≈ 3.9")),
        15 => Some(("0.076–0.081", "74–80", "≈ 2.0")),
        30 => Some(("0.29–0.33", "12.6–17.1", "≈ 1.05")),
        40 => Some(("0.41–0.44", "7.3–9.8", "≈ 0.9")),
        _ => None,
    }
}

fn report(ctx: &Context, p: &Protocol, runs: &[RunResult]) -> Result<Report> {
    let protocol = format!(
        "standard full runs (K = 100, η = 0.005, μ = 0, init N(−0.003, 1e−5), the 200 samples as one minibatch) at \
         T = 670 and n ∈ {{{}}}, {} updates each, recorded every {} epochs ({}); run seed {}. Analysis: \
         `landscape` (recognition §3.6 at every record, learning order §3.7 with \"learned\" = ≥ 5 of 20 samples, \
         α, max-α, reconstruction count); {}; UMAP panels at the paper's frames t_s (epoch 10·t_s, nearest record); \
         strip memories drawn at random (seeded) among final ℓ_d ≥ 0.99.",
        p.ns.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(", "),
        p.epochs,
        p.record_every,
        ctx.scale().pick(
            "quick scale; the paper runs n ∈ {3, 15, 30, 40} and saves every epoch",
            "the paper saves every epoch and embeds every 10th"
        ),
        ctx.opts.seed,
        dam_figs::umap_description(ctx.scale())
    );
    let mut r = Report::new(dam_figs::data_description(ctx), protocol);
    let reference_data = ctx.opts.samples.is_some();
    for run in runs {
        let a = &run.analysis;
        let n = run.n;
        let (ma, rc, lm) = (
            a.final_max_alpha_mean(),
            a.reconstruction_count_mean(),
            a.final_membership_mean(),
        );
        r.check_text(
            &format!("learning_order_first_n{n}"),
            &format!("learning order, n = {n} (class (learned epoch))"),
            &order_text(a),
            "spec §6.2/§6.3: class 1 is learned first (all memories first become one \"1\")",
            one_first(a),
        );
        let (sa, sr, sl) = spec_62(n).unwrap_or(("—", "—", "—"));
        match n as i64 {
            3 => {
                r.expect(
                    "max_alpha_n3",
                    "mean max|α|, n = 3 (feature)",
                    ma,
                    &format!("spec §6.2: {sa} ⇒ < 0.12"),
                    Criterion::Below { bound: 0.12 },
                );
                r.expect(
                    "reconstruction_n3",
                    "mean reconstruction count, n = 3",
                    rc,
                    &format!("spec §6.2: {sr} ⇒ > 100"),
                    Criterion::Above { bound: 100.0 },
                );
                r.expect(
                    "labels_per_memory_n3",
                    "labels ≥ 0.99 per memory, n = 3",
                    lm,
                    &format!("spec §6.2: {sl} ⇒ > 2"),
                    Criterion::Above { bound: 2.0 },
                );
            }
            30 | 40 => {
                r.expect(
                    &format!("max_alpha_n{n}"),
                    &format!("mean max|α|, n = {n} (prototype)"),
                    ma,
                    &format!("spec §6.2: {sa} ⇒ ≥ 0.2"),
                    Criterion::AtLeast { bound: 0.2 },
                );
                r.expect(
                    &format!("reconstruction_n{n}"),
                    &format!("mean reconstruction count, n = {n}"),
                    rc,
                    &format!("spec §6.2: {sr} ⇒ < 40"),
                    Criterion::Below { bound: 40.0 },
                );
                r.expect(
                    &format!("labels_per_memory_n{n}"),
                    &format!("labels ≥ 0.99 per memory, n = {n}"),
                    lm,
                    &format!("spec §6.2: {sl} ⇒ < 1.5"),
                    Criterion::Below { bound: 1.5 },
                );
            }
            _ => {
                r.info(
                    &format!("max_alpha_n{n}"),
                    &format!("mean max|α|, n = {n}"),
                    ma,
                    &format!("spec §6.2: {sa}"),
                );
                r.info(
                    &format!("reconstruction_n{n}"),
                    &format!("mean reconstruction count, n = {n}"),
                    rc,
                    &format!("spec §6.2: {sr}"),
                );
                r.info(
                    &format!("labels_per_memory_n{n}"),
                    &format!("labels ≥ 0.99 per memory, n = {n}"),
                    lm,
                    &format!("spec §6.2: {sl}"),
                );
            }
        }
        if n == 30.0 {
            let ours: Vec<usize> = {
                let mut o: Vec<_> = a.learning_order.iter().collect();
                o.sort_by_key(|c| (c.learned_epoch.is_none(), c.learned_epoch, c.class));
                o.iter().map(|c| c.class).collect()
            };
            let spec = [1, 4, 7, 9, 5, 6, 8, 3, 2, 0];
            r.checks.push(Check {
                key: "learning_order_n30_full".into(),
                quantity: "full learning order, n = 30".into(),
                ours: ours.iter().map(|c| c.to_string()).collect::<Vec<_>>().join(" "),
                value: None,
                reference: "spec §6.3 (reference 200-digit set, 10/10 seeds): 1 4 7 9 5 6 8 3 2 0; \
                            other training sets: 1 first, 4/7/9 early, 2 and 0 last"
                    .into(),
                criterion: None,
                pass: reference_data.then_some(ours == spec),
            });
        }
    }
    let get = |n: f64| runs.iter().find(|x| x.n == n);
    if let (Some(a), Some(b)) = (get(3.0), get(30.0)) {
        let never = p.epochs + 1;
        let (l3, l30) = (last_learned(&a.analysis, never), last_learned(&b.analysis, never));
        r.check(
            "last_learned_n3",
            "epoch by which every class is learned, n = 3",
            l3 as f64,
            "spec §6.2: n = 3 learns all classes by ≈ 430, n = 30 by ≈ 2 800–3 050 ⇒ n = 3 earlier than n = 30",
            l3 < l30,
        );
        r.info(
            "last_learned_n30",
            "epoch by which every class is learned, n = 30 (3 501 = not all learned)",
            l30 as f64,
            "spec §6.3: 2 781–3 051 (0 not learned in 4 of 10 runs)",
        );
    }
    let ts: Vec<String> = runs
        .iter()
        .map(|x| {
            let f = frame_indices(x);
            format!(
                "n = {}: epochs {}",
                x.n,
                f.iter()
                    .map(|&i| x.epochs[i].to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
        .collect();
    r.note(format!(
        "Frames shown (the paper's t_s × 10, at the nearest record): {}. The paper picked its t_s by eye from \
         its own runs; on other data or seeds the same events (splits) happen at other epochs — see the \
         recognition plot and the learning-order figure for this run's timing.",
        ts.join("; ")
    ));
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    #[test]
    fn strips_take_two_per_class() {
        let mut l = Array2::from_elem((5, 10), -1.0);
        l[[0, 1]] = 1.0;
        l[[3, 1]] = 1.0;
        l[[4, 1]] = 1.0;
        let p = strip_memories(l.view(), 0);
        assert_eq!(p.len(), 20);
        assert!(p[2].0 != p[3].0 && [0, 3, 4].contains(&p[2].0) && p[2].1 == 1);
    }
}
