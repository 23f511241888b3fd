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

use super::{Context, Criterion, Outcome, Report, Scale};
use crate::config::DataConfig;
use crate::data::{self, Dataset};
use crate::embed::{Umap, UmapParams};
use crate::error::{Error, Result};
use crate::landscape::{self, Analysis};
use crate::plot::compose::{Raster, save_png, stitch};
use crate::plot::{self, ClassPoint, MemoryGrid, ScatterTrajectories, Trail};
use crate::sweep::Sweep;
use ndarray::{Array2, Array3, Axis, s};
mod checks;
mod drawing;
use checks::*;
use drawing::*;

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
    let mut base = super::figure_config(seed, data, p.memories, p.epochs, sys.rate, 500);
    base.model.temperature = p.temperature;
    base.train.save_epochs = Some(record_epochs(p, sys));
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
