//! Paper Fig. 4 — three-category systems: sequential splits (spec `reference-experiments.md`
//! §4.6, §3.9–3.11, numbers §6.5).
//!
//! K = 100 memories trained on the 60 samples of digits [1, 4, 7] of the 200-digit set (targets
//! stay 10-dimensional), T = 800, η = 0.0035, n ∈ {3, 30}, 3 500 epochs recorded. The split
//! tree comes from the landscape analysis (single-linkage clades of memories in RMS pixel
//! distance, `docs/landscape.md`); panels: split plots (ᾱ_{d1} vs ᾱ_{d2}, ᾱ_{d1} vs ᾱ_{d3} per
//! memory over the spec's epoch windows, colour = final dominant label), the split tree as a
//! dendrogram, UMAP panels with memory trails and memory samples (5 per class). The supplement
//! [1, 7, 9] (η = 0.005) runs at paper scale.

use super::split_figs;

use super::{Context, Outcome, Report, Scale};
use crate::config::{DataConfig, RunConfig};
use crate::data::{self, Dataset};
use crate::embed::{Umap, UmapParams};
use crate::error::{Error, Result};
use crate::landscape::{self, Analysis};
use crate::plot::{self, ClassPoint, MemoryGrid, ScatterTrajectories, Trail};
use crate::sweep::Sweep;
use ndarray::{Array2, Array3, Axis, s};
use split_figs::{Raster, raster, save_png, stitch};

/// Clades smaller than this do not count as branches of a "major" split (K/20 for K = 100).
pub const MAJOR_CLADE: usize = 5;

/// One three-category system.
#[derive(Debug, Clone, PartialEq)]
pub struct System {
    /// Short name (`147`, `179`).
    pub name: String,
    /// The three digits, in training order.
    pub digits: [usize; 3],
    /// Learning rate η.
    pub rate: f64,
    /// Per n: (n, panel epochs 10·t_s (5: trails start at the first), split-plot window).
    pub runs: Vec<(f64, Vec<usize>, (usize, usize))>,
}

/// The protocol at one scale.
#[derive(Debug, Clone, PartialEq)]
pub struct Protocol {
    /// Memories K.
    pub memories: usize,
    /// Temperature T.
    pub temperature: f64,
    /// Epochs trained (the last recorded state is after this many updates).
    pub epochs: usize,
    /// Record every this many epochs (plus the panel epochs).
    pub record_every: usize,
    /// Trails of the UMAP panels use the records every this many epochs.
    pub trail_every: usize,
    /// The systems.
    pub systems: Vec<System>,
    /// UMAP reference digits per class of the embedded data (None: all 10 000 embedded digits).
    pub umap_per_class: Option<usize>,
}

/// Paper: spec §4.0/§4.6 ([1,4,7] η = 0.0035 and [1,7,9] η = 0.005; T = 800; n ∈ {3, 30}; 3 500
/// epochs; frames and windows of §4.6), records every 20 epochs, UMAP fitted on all embedded
/// digits. Quick: [1,4,7] only, same training, records every 50 epochs, UMAP fitted on 200
/// embedded digits per trained class.
pub fn protocol(scale: Scale) -> Protocol {
    let ep = |ts: [usize; 5]| ts.iter().map(|t| 10 * t).collect::<Vec<_>>();
    let s147 = System {
        name: "147".into(),
        digits: [1, 4, 7],
        rate: 0.0035,
        runs: vec![
            (30.0, ep([20, 90, 190, 236, 343]), (900, 3400)),
            (3.0, ep([20, 22, 30, 50, 344]), (0, 1400)),
        ],
    };
    let s179 = System {
        name: "179".into(),
        digits: [1, 7, 9],
        rate: 0.005,
        runs: vec![
            (30.0, ep([20, 44, 107, 239, 343]), (440, 2000)),
            (3.0, ep([20, 22, 30, 50, 344]), (0, 1400)),
        ],
    };
    match scale {
        Scale::Paper => Protocol {
            memories: 100,
            temperature: 800.0,
            epochs: 3500,
            record_every: 20,
            trail_every: 20,
            systems: vec![s147, s179],
            umap_per_class: None,
        },
        Scale::Quick => Protocol {
            memories: 100,
            temperature: 800.0,
            epochs: 3500,
            record_every: 50,
            trail_every: 100,
            systems: vec![s147],
            umap_per_class: Some(200),
        },
    }
}

/// The recorded epochs of a system: every `record_every`, the panel epochs and the last epoch.
pub fn record_epochs(p: &Protocol, sys: &System) -> Vec<usize> {
    let mut v: Vec<usize> = (0..=p.epochs).step_by(p.record_every).collect();
    for (_, f, _) in &sys.runs {
        v.extend(f.iter().copied().filter(|&e| e <= p.epochs));
    }
    v.push(p.epochs);
    v.sort_unstable();
    v.dedup();
    v
}

/// The sweep of one system (n swept).
pub fn sweep(p: &Protocol, sys: &System, data: DataConfig, seed: u64) -> Sweep {
    let mut base = RunConfig {
        seed,
        data,
        ..RunConfig::default()
    };
    base.model.memories = p.memories;
    base.model.temperature = p.temperature;
    base.init.mean = -0.003;
    base.init.std = 1e-5;
    base.train.epochs = p.epochs;
    base.train.rate = sys.rate;
    base.train.momentum = 0.0;
    base.train.save_epochs = Some(record_epochs(p, sys));
    base.train.checkpoint_every = 500;
    Sweep::new(format!("fig4-{}", sys.name), base).axis("model.n", sys.runs.iter().map(|r| r.0))
}

/// Two final-identity groups count as separated once their mean ᾱ (over the three digits)
/// differ by at least this much in some digit (see [`separation_epochs`]).
pub const SEPARATION: f64 = 0.15;

/// The split facts of one run (spec §6.5).
#[derive(Debug, Clone, Default)]
pub struct SplitFacts {
    /// Epoch of the first split of the clade tree with at least two clades of ≥ [`MAJOR_CLADE`]
    /// memories.
    pub first_split: Option<usize>,
    /// Separation epochs of the final-identity groups, pairs (d1,d2), (d1,d3), (d2,d3).
    pub separations: [Option<usize>; 3],
    /// Mean ᾱ (three digits) of the two groups that separate last, at the first separation epoch.
    pub mixture_alpha: Option<[f64; 3]>,
    /// Memories with ℓ_d ≥ 0.99 at the end, for the three digits.
    pub final_counts: [usize; 3],
    /// Labels ≥ 0.99 per memory at the end.
    pub labels_per_memory: f64,
    /// Most negative final ᾱ_d over memories and the three digits.
    pub min_alpha: f64,
}

/// The pairs of digit positions in [`SplitFacts::separations`].
pub const PAIRS: [(usize, usize); 3] = [(0, 1), (0, 2), (1, 2)];

impl SplitFacts {
    /// The pair (positions into the digits) that separates last (never = last), and the gap in
    /// epochs between its separation and the latest separation of the other two pairs (None if
    /// it never separates or another pair never does).
    pub fn last_pair(&self) -> (usize, Option<usize>) {
        let key = |i: usize| self.separations[i].unwrap_or(usize::MAX);
        let last = (0..3).max_by_key(|&i| (key(i), i)).unwrap_or(2);
        let others = (0..3).filter(|&i| i != last).map(key).max().unwrap_or(0);
        let gap = match self.separations[last] {
            Some(e) if others != usize::MAX => Some(e.saturating_sub(others)),
            _ => None,
        };
        (last, gap)
    }
}

/// Mean ᾱ over the memories `members` at record t, for the three digits.
fn group_alpha(a: &Analysis, t: usize, members: &[usize], digits: [usize; 3]) -> [f64; 3] {
    let mut out = [0.0; 3];
    for (j, &d) in digits.iter().enumerate() {
        out[j] = members.iter().map(|&m| a.alpha_class[[t, m, d]]).sum::<f64>() / members.len().max(1) as f64;
    }
    out
}

/// Separation epochs of the final-identity groups (automatic split detection on the split plots
/// of spec §3.10): for digits c ≠ e, the first recorded epoch from which the mean class-aggregated
/// ᾱ of the memories that end as c and of those that end as e differ by ≥ [`SEPARATION`] in some
/// trained digit at every later record (None: a group is empty or they never separate).
pub fn separation_epochs(a: &Analysis, digits: [usize; 3]) -> [Option<usize>; 3] {
    let groups: Vec<Vec<usize>> = digits
        .iter()
        .map(|&d| (0..a.fate.len()).filter(|&m| a.fate[m] == d).collect())
        .collect();
    let mut out = [None; 3];
    for (i, &(x, y)) in PAIRS.iter().enumerate() {
        if groups[x].is_empty() || groups[y].is_empty() {
            continue;
        }
        let mut from = None;
        for t in (0..a.epochs.len()).rev() {
            let (gx, gy) = (
                group_alpha(a, t, &groups[x], digits),
                group_alpha(a, t, &groups[y], digits),
            );
            let apart = (0..3).any(|j| (gx[j] - gy[j]).abs() >= SEPARATION);
            if apart {
                from = Some(a.epochs[t]);
            } else {
                break;
            }
        }
        out[i] = from;
    }
    out
}

/// Split facts from an analysis of a run on `digits`.
pub fn split_facts(a: &Analysis, digits: [usize; 3]) -> SplitFacts {
    let tree = &a.tree;
    let mut f = SplitFacts::default();
    let big = |id: usize| tree.nodes[id].size >= MAJOR_CLADE;
    f.first_split = tree
        .splits
        .iter()
        .filter(|s| s.children.iter().filter(|&&c| big(c)).count() >= 2)
        .map(|s| s.epoch)
        .min();
    f.separations = separation_epochs(a, digits);
    let (last, _) = f.last_pair();
    let first_sep = f.separations.iter().flatten().min().copied();
    if let Some(e) = first_sep
        && let Some(t) = a.epochs.iter().position(|&x| x == e)
    {
        let (x, y) = PAIRS[last];
        let members: Vec<usize> = (0..a.fate.len())
            .filter(|&m| a.fate[m] == digits[x] || a.fate[m] == digits[y])
            .collect();
        if !members.is_empty() {
            f.mixture_alpha = Some(group_alpha(a, t, &members, digits));
        }
    }
    let last = a.labels.len_of(Axis(0)) - 1;
    let labels = a.labels.index_axis(Axis(0), last);
    for (j, &d) in digits.iter().enumerate() {
        f.final_counts[j] = labels.column(d).iter().filter(|&&v| v >= 0.99).count();
    }
    let k = labels.nrows().max(1);
    f.labels_per_memory = labels.iter().filter(|&&v| v >= 0.99).count() as f64 / k as f64;
    let ac = a.alpha_class.index_axis(Axis(0), last);
    f.min_alpha = digits
        .iter()
        .flat_map(|&d| ac.column(d).to_vec())
        .fold(f64::INFINITY, f64::min);
    f
}

/// Reproduce the figure.
pub fn run(ctx: &Context) -> Result<Outcome> {
    let ctx = &split_figs::absolute_context(ctx)?;
    let p = protocol(ctx.scale());
    let data_name = match &ctx.opts.samples {
        Some(s) => format!(
            "reference set {} (the 60 samples of the trained digits)",
            s.display()
        ),
        None => format!(
            "embedded MNIST, 20 per class (seed {}), the 60 samples of the trained digits",
            ctx.opts.seed
        ),
    };
    let protocol_text = format!(
        "K = {}, T = {}, μ = 0, init N(−0.003, 1e−5), {} epochs recorded every {} (plus the panel \
         epochs); systems: {}; clades by the landscape analysis (tolerance 10 η RMS); UMAP (k = 55, \
         correlation, min_dist 0.05, seed 4) fitted on {}",
        p.memories,
        p.temperature,
        p.epochs,
        p.record_every,
        p.systems
            .iter()
            .map(|s| format!(
                "{:?} η = {} n ∈ {:?}",
                s.digits,
                s.rate,
                s.runs.iter().map(|r| r.0).collect::<Vec<_>>()
            ))
            .collect::<Vec<_>>()
            .join("; "),
        match p.umap_per_class {
            Some(k) => format!("{k} embedded digits per trained class"),
            None => "all 10 000 embedded digits".into(),
        }
    );
    let mut report = Report::new(data_name, protocol_text);
    let mut files = Vec::new();
    for sys in &p.systems {
        let set = ctx.subset(&sys.digits)?;
        let data = ctx.training_data(&format!("train{}", sys.name), &set)?;
        let (dir, grid) = ctx.sweep(&sys.name, &sweep(&p, sys, data, ctx.opts.seed))?;
        let umap = umap_model(ctx, &p, sys)?;
        let mut facts = Vec::new();
        for (i, pt) in grid.points.iter().enumerate() {
            let n = pt.config.model.n;
            let Some((_, frames, window)) = sys.runs.iter().find(|r| r.0 == n) else {
                continue;
            };
            let pdir = ctx.point_dir(&dir, &grid, i);
            let a = landscape::analyze_run_dir(&pdir, &landscape::Options::default())?;
            let adir = ctx.path(&format!("analysis-{}-n{n}", sys.name));
            landscape::write_analysis(&a, &adir, true)?;
            let f = split_facts(&a, sys.digits);
            let png = ctx.path(&format!("fig4-{}-n{n}.png", sys.name));
            let title = format!(
                "{:?}, n = {n}, T = {}, η = {}",
                sys.digits, p.temperature, sys.rate
            );
            let img = panels(&p, sys, &a, &pdir, &umap, &set, n, frames, *window, &title)?;
            save_png(&img, &png)?;
            files.push(png);
            facts.push((n, f));
        }
        system_checks(&mut report, sys, &facts);
    }
    report.note(
        "Clades: single-linkage components of memories closer than τ = 10 η (RMS pixel distance) \
         with a diameter bound 2τ (docs/landscape.md); a split is 'major' when at least two of its \
         clades hold ≥ 5 memories. The analysis of each run is written to analysis-<system>-n<n>/ \
         (summary.json, tree.json, tree.nwk, landscape.npz).",
    );
    report.note(
        "Separation epochs: for two trained digits, the first record from which the mean ᾱ of the \
         memories ending as one digit and of those ending as the other differ by ≥ 0.15 in some trained \
         digit at every later record; the pair separating last is the 'mixture'. Which class leaves \
         first depends on the training set (the spec's facts come from the reference 200-digit set; \
         run with --samples to use it).",
    );
    ctx.finish(report, files)
}

fn system_checks(report: &mut Report, sys: &System, facts: &[(f64, SplitFacts)]) {
    let [d1, d2, d3] = sys.digits;
    let tag = &sys.name;
    let get = |n: f64| facts.iter().find(|f| f.0 == n).map(|f| &f.1);
    let (Some(f30), Some(f3)) = (get(30.0), get(3.0)) else {
        return;
    };
    let opt = |v: Option<usize>| v.map_or(f64::NAN, |e| e as f64);
    let spec_first = if d2 == 4 { "≈ 2 030" } else { "≈ 1 230" };
    let spec_second = if d2 == 4 { "≈ 2 770" } else { "≈ 2 820–2 870" };
    report.info(
        &format!("s{tag}_n30_first_split_epoch"),
        &format!(
            "{:?} n = 30: epoch of the first major split of the clade tree",
            sys.digits
        ),
        opt(f30.first_split),
        &format!("spec §6.5: {spec_first} (one seed, reference set)"),
    );
    let (last, gap) = f30.last_pair();
    let (x, y) = PAIRS[last];
    let first_class = sys.digits[3 - x - y];
    let seps: Vec<String> = PAIRS
        .iter()
        .zip(&f30.separations)
        .map(|(&(i, j), e)| {
            format!(
                "{}/{}: {}",
                sys.digits[i],
                sys.digits[j],
                e.map_or("never".to_string(), |e| e.to_string())
            )
        })
        .collect();
    report.check_text(
        &format!("s{tag}_n30_first_separated_class"),
        &format!(
            "{:?} n = 30: the class whose memories separate first (separation epochs {})",
            sys.digits,
            seps.join(", ")
        ),
        &format!("{first_class} from a {}/{} mixture", sys.digits[x], sys.digits[y]),
        &format!("spec §6.5: \"{d1}\" first separates from a {d2}/{d3} mixture"),
        first_class == d1,
    );
    report.check(
        &format!("s{tag}_n30_sequential_gap"),
        &format!(
            "{:?} n = 30: epochs between the mixture's own split ({}/{}) and the earlier separations",
            sys.digits, sys.digits[x], sys.digits[y]
        ),
        gap.map_or(f64::NAN, |g| g as f64),
        &format!("spec §6.5: {spec_first} then {spec_second} (sequential splits); pass if ≥ 100"),
        gap.is_some_and(|g| g >= 100),
    );
    if let Some(m) = f30.mixture_alpha {
        report.info(
            &format!("s{tag}_n30_mixture_alpha_gap"),
            &format!(
                "{:?} n = 30: mixture (future {}s and {}s) at the first separation, ᾱ = ({:.2}, {:.2}, {:.2}): |ᾱ_{} − ᾱ_{}|",
                sys.digits,
                sys.digits[x],
                sys.digits[y],
                m[0],
                m[1],
                m[2],
                sys.digits[x],
                sys.digits[y]
            ),
            (m[x] - m[y]).abs(),
            if d2 == 4 {
                "spec §6.5: 4/7 mixture (0.18, 0.40, 0.42), canalised along ᾱ_4 ≈ ᾱ_7"
            } else {
                "spec §6.5: 7/9 mixture (0.14, 0.44, 0.41)"
            },
        );
    }
    let minc = *f30.final_counts.iter().min().unwrap_or(&0);
    report.check(
        &format!("s{tag}_n30_min_final_class_count"),
        &format!(
            "{:?} n = 30: fewest memories with ℓ ≥ 0.99 among the three digits (counts {:?})",
            sys.digits, f30.final_counts
        ),
        minc as f64,
        if d2 == 4 {
            "spec §6.5: 29 / 28 / 37 — every class ends with memories; pass if ≥ 5"
        } else {
            "spec §6.5: 29 / 43 / 28 (argmax); pass if ≥ 5"
        },
        minc >= MAJOR_CLADE,
    );
    report.info(
        &format!("s{tag}_n3_first_split_epoch"),
        &format!(
            "{:?} n = 3: epoch of the first major split of the clade tree",
            sys.digits
        ),
        opt(f3.first_split),
        "spec §6.5: ≈ 360",
    );
    let ratio = match (f3.first_split, f30.first_split) {
        (Some(a), Some(b)) if b > 0 => a as f64 / b as f64,
        _ => f64::NAN,
    };
    report.check(
        &format!("s{tag}_split_epoch_ratio_n3_n30"),
        &format!("{:?}: first major split epoch n = 3 / n = 30", sys.digits),
        ratio,
        "spec §6.5: 360 / 2 030 = 0.18 (n = 3 splits much earlier); pass if ≤ 0.5",
        ratio <= 0.5,
    );
    report.check(
        &format!("s{tag}_n3_labels_per_memory"),
        &format!(
            "{:?} n = 3: labels ≥ 0.99 per memory (n = 30: {:.2})",
            sys.digits, f30.labels_per_memory
        ),
        f3.labels_per_memory,
        "spec §6.5: 127 labels ≥ 0.99 for 100 memories at n = 3 (feature-like); pass if > the n = 30 value",
        f3.labels_per_memory > f30.labels_per_memory,
    );
    report.check(
        &format!("s{tag}_n3_min_alpha"),
        &format!(
            "{:?} n = 3: most negative final ᾱ (n = 30: {:.2})",
            sys.digits, f30.min_alpha
        ),
        f3.min_alpha,
        "spec §6.5: n = 3 clusters such as (0.83, −0.04, −0.44), strongly signed; pass if < −0.1",
        f3.min_alpha < -0.1,
    );
}

/// The UMAP model of a system: fitted once (paper parameters) on embedded digits and kept in
/// `umap-<system>/` so later calls reuse it.
fn umap_model(ctx: &Context, p: &Protocol, sys: &System) -> Result<Umap> {
    let dir = ctx.path(&format!("umap-{}-{}", sys.name, ctx.scale().name()));
    if dir.join("model.json").exists()
        && let Ok(u) = Umap::load(&dir)
    {
        return Ok(u);
    }
    let ds = Dataset::embedded()?;
    let (x, labels) = match p.umap_per_class {
        Some(k) => {
            let s = data::select_balanced(&ds, &sys.digits, k, ctx.opts.seed.wrapping_add(4), &[])?;
            (s.samples, s.digits)
        }
        None => (ds.images, ds.labels),
    };
    let mut u = Umap::fit(x.view(), &UmapParams::paper(), 0)?;
    u.labels = Some(labels);
    u.save(&dir, "embedded MNIST (reproduce fig4)")?;
    Ok(u)
}

/// The 15 sample memories: 5 per digit with final ℓ_d ≥ 0.99 (relaxed by 0.1 until some exist),
/// first by index. Returns (memory, digit).
pub fn pick_samples(final_labels: &Array2<f64>, digits: [usize; 3]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for d in digits {
        let mut thr = 0.99;
        loop {
            let c: Vec<usize> = (0..final_labels.nrows())
                .filter(|&a| final_labels[[a, d]] >= thr && !out.iter().any(|o: &(usize, usize)| o.0 == a))
                .take(5)
                .collect();
            if !c.is_empty() || thr < -1.0 {
                out.extend(c.into_iter().map(|a| (a, d)));
                break;
            }
            thr -= 0.1;
        }
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn panels(
    p: &Protocol,
    sys: &System,
    a: &Analysis,
    pdir: &std::path::Path,
    umap: &Umap,
    set: &data::TrainingSet,
    n: f64,
    frames: &[usize],
    window: (usize, usize),
    title: &str,
) -> Result<Raster> {
    let [d1, d2, d3] = sys.digits;
    let fate = &a.fate;
    let colours = "colour: final label (1 orange, 4 purple, 7 grey, 9 cyan)";
    // Split plots.
    let in_window: Vec<usize> = (0..a.epochs.len())
        .filter(|&t| a.epochs[t] >= window.0 && a.epochs[t] <= window.1)
        .collect();
    let split_plot = |dy: usize| -> Result<Raster> {
        let k = a.alpha_class.len_of(Axis(1));
        let trails: Vec<Trail> = (0..k)
            .map(|m| Trail {
                points: in_window
                    .iter()
                    .map(|&t| (a.alpha_class[[t, m, d1]], a.alpha_class[[t, m, dy]]))
                    .collect(),
                class: Some(fate[m]),
            })
            .collect();
        let current: Vec<(f64, f64)> = in_window
            .first()
            .map(|&t| {
                (0..k)
                    .map(|m| (a.alpha_class[[t, m, d1]], a.alpha_class[[t, m, dy]]))
                    .collect()
            })
            .unwrap_or_default();
        let fig = ScatterTrajectories {
            title: format!(
                "n = {n}: ᾱ_{d1} vs ᾱ_{dy}, epochs {}–{} (○ = start)",
                window.0, window.1
            ),
            x_label: format!("ᾱ_{d1}; {colours}"),
            y_label: format!("ᾱ_{dy}"),
            trails,
            current,
            size: (620, 560),
            ..Default::default()
        };
        raster(&fig)
    };
    let mut row1 = vec![split_plot(d2)?, split_plot(d3)?];
    row1.push(raster(&landscape::figures::split_tree_dendrogram(
        a,
        &format!("{title}: split tree (clades ≥ 3 memories)"),
    ))?);
    // UMAP panels.
    let mut traj = crate::run_folder::Trajectory::open(pdir)?;
    let epochs = traj.epochs().to_vec();
    let mem = traj.memories()?;
    let start = frames[0];
    let trail_idx: Vec<usize> = (0..epochs.len())
        .filter(|&t| {
            epochs[t] >= start
                && epochs[t] <= frames[frames.len() - 1]
                && (epochs[t] % p.trail_every == 0 || frames.contains(&epochs[t]))
        })
        .collect();
    let k = mem.len_of(Axis(1));
    let sel = mem.select(Axis(0), &trail_idx);
    let flat = sel
        .to_shape((trail_idx.len() * k, mem.len_of(Axis(2))))
        .map_err(|e| Error::invalid("trajectory", e.to_string()))?
        .to_owned();
    let pos = umap.transform(flat.view(), 0)?;
    let pos = Array3::from_shape_vec((trail_idx.len(), k, 2), pos.into_raw_vec_and_offset().0)
        .map_err(|e| Error::invalid("umap", e.to_string()))?;
    let sp = umap.transform(set.samples.view(), 0)?;
    let samples: Vec<ClassPoint> = (0..sp.nrows())
        .map(|i| ClassPoint {
            x: sp[[i, 0]],
            y: sp[[i, 1]],
            class: set.digits[i],
        })
        .collect();
    let all_x = pos
        .slice(s![.., .., 0])
        .iter()
        .copied()
        .chain(sp.column(0).iter().copied())
        .collect::<Vec<_>>();
    let all_y = pos
        .slice(s![.., .., 1])
        .iter()
        .copied()
        .chain(sp.column(1).iter().copied())
        .collect::<Vec<_>>();
    let bounds = (plot::padded_range(all_x, 0.05), plot::padded_range(all_y, 0.05));
    let mut row2 = Vec::new();
    for &f in &frames[1..] {
        let upto: Vec<usize> = (0..trail_idx.len())
            .filter(|&j| epochs[trail_idx[j]] <= f)
            .collect();
        let Some(&last) = upto.last() else { continue };
        let fig = ScatterTrajectories {
            title: format!("n = {n}: UMAP at epoch {f} (trails from {start})"),
            x_label: "UMAP 1".into(),
            y_label: "UMAP 2".into(),
            samples: samples.clone(),
            trails: (0..k)
                .map(|m| Trail {
                    points: upto.iter().map(|&j| (pos[[j, m, 0]], pos[[j, m, 1]])).collect(),
                    class: None,
                })
                .collect(),
            current: (0..k).map(|m| (pos[[last, m, 0]], pos[[last, m, 1]])).collect(),
            bounds: Some(bounds),
            size: (560, 520),
            ..Default::default()
        };
        row2.push(raster(&fig)?);
    }
    // Memory samples at the panel epochs.
    let last = a.labels.len_of(Axis(0)) - 1;
    let final_labels = a.labels.index_axis(Axis(0), last).to_owned();
    let pick = pick_samples(&final_labels, sys.digits);
    let mut images = Vec::new();
    let mut titles = Vec::new();
    for &f in frames {
        let Some(t) = epochs.iter().position(|&e| e == f) else {
            continue;
        };
        for &(m, d) in &pick {
            images.push(mem.slice(s![t, m, ..]).to_owned());
            titles.push(format!("{d}: ep {f}"));
        }
    }
    let mut rows = vec![row1, row2];
    if !images.is_empty() {
        let views: Vec<_> = images.iter().map(|v| v.view()).collect();
        let m = ndarray::stack(Axis(0), &views).map_err(|e| Error::invalid("fig4", e.to_string()))?;
        let mut g = MemoryGrid::new(m, pick.len());
        g.tile_titles = Some(titles);
        g.title = Some(format!(
            "n = {n}: 5 memories per class (final ℓ ≥ 0.99) at epochs {frames:?} (rows)"
        ));
        rows.push(vec![raster(&g)?]);
    }
    Ok(stitch(&rows, 10))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::CLASSES;

    #[test]
    fn picker_relaxes_the_threshold() {
        let mut l = Array2::from_elem((12, CLASSES), -1.0);
        for a in 0..7 {
            l[[a, 1]] = 1.0;
        }
        l[[9, 4]] = 0.95;
        l[[10, 7]] = 0.5;
        let p = pick_samples(&l, [1, 4, 7]);
        assert_eq!(p.iter().filter(|x| x.1 == 1).count(), 5);
        assert_eq!(
            p.iter().filter(|x| x.1 == 4).map(|x| x.0).collect::<Vec<_>>(),
            vec![9]
        );
        assert_eq!(
            p.iter().filter(|x| x.1 == 7).map(|x| x.0).collect::<Vec<_>>(),
            vec![10]
        );
    }

    #[test]
    fn recorded_epochs_include_panel_epochs() {
        let p = protocol(Scale::Quick);
        let e = record_epochs(&p, &p.systems[0]);
        for f in [0, 200, 220, 300, 500, 900, 1900, 2360, 3430, 3440, 3500] {
            assert!(e.contains(&f), "{f}");
        }
    }
}
