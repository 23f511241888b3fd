//! Paper Fig. 7 — 100 memories, digits [1, 7, 8], controlled initial conditions, saddles (spec
//! `reference-experiments.md` §4.10, §3.11, numbers §6.8).
//!
//! Initial condition "near k": all K = 100 memories identical, 0.8 × the mean image of the 20
//! training samples of class k; labels N(−0.03, 0.01) per entry, then −0.6 added to every entry
//! and +1.2 to class k — the label noise is the only symmetry breaking. Final populations
//! pop_d = #{A : ℓ_{A,d} ≥ 0.9} give the proportion of 1s ⟨pop_1⟩/(⟨pop_1⟩ + ⟨pop_7⟩) (ratio of
//! means over repeats). The saddles are the K = 1 system at T_eff = T/100^(1/n) (K identical
//! memories act as one memory at that temperature, §5.1) from the same two initial conditions
//! (labels without noise), trained in memory with [`crate::dam::train::train_simple`]; two ICs
//! reach "different saddles" when their final memories differ by more than 0.05 in RMS pixel
//! distance (the clade tolerance of spec §6.5).

use super::split_figs as common;
use super::{Context, Criterion, Outcome, Report, Scale, class_means, restrict};
use crate::config::DataConfig;
use crate::dam::model::Params;
use crate::dam::train::{State, train_simple};
use crate::data::{CLASSES, TrainingSet};
use crate::error::{Error, Result};
use crate::landscape::alpha::{Decomposition, class_alpha};
use crate::plot::compose::{Raster, save_png, stitch};
use crate::plot::{Corner, LinePlot, MemoryGrid, Series, tab10};
use crate::sweep::Sweep;
use crate::sweep::collect::analyse_point;
use crate::sweep::runner::{self, Status};
use faer::Par;
use ndarray::{Array1, Array2, Array3, Axis};
use std::collections::BTreeMap;
use std::path::PathBuf;
mod checks;
mod drawing;
use checks::*;
use drawing::*;

/// The trained digits.
pub const DIGITS: [usize; 3] = [1, 7, 8];
/// RMS pixel distance above which two saddles count as different.
pub const SADDLE_TOLERANCE: f64 = 0.05;
/// n of the saddle images (spec §4.10).
pub const IMAGE_N: [f64; 3] = [58.0, 30.0, 5.0];

/// The protocol at one scale.
#[derive(Debug, Clone, PartialEq)]
pub struct Protocol {
    /// Memories K of the population runs.
    pub memories: usize,
    /// Learning rate η (both parts).
    pub rate: f64,
    /// Temperatures of the K = 100 runs.
    pub temperatures: Vec<f64>,
    /// n values of the K = 100 runs.
    pub n_values: Vec<f64>,
    /// Initial-condition classes of the K = 100 runs.
    pub ics: Vec<usize>,
    /// Repeats (label-noise draws) per (IC, n, T).
    pub repeats: usize,
    /// Updates of the K = 100 runs ("ic" 1 + silent E + "end" 1: E + 1).
    pub epochs: usize,
    /// Saddle temperatures T (T_eff = T/100^(1/n)) with their n values.
    pub saddle_grid: Vec<(f64, Vec<f64>)>,
    /// Updates of the saddle runs ("end 4000": 4 001).
    pub saddle_epochs: usize,
    /// Initial-condition classes of the saddles (only 1 and 7 are plotted).
    pub saddle_ics: Vec<usize>,
}

/// Paper: spec §4.0/§4.10 exactly (n = 2…59 × T ∈ {550, 750, 800} × ICs near 1, 7, 8 × 10
/// repeats, 10 001 updates; saddles K = 1 at every n and T, ICs near 1 and 7, 4 001 updates).
/// Quick: K = 100 runs at T = 800 only, n ∈ {5, 15, 25, 35, 45, 58} (58: the spec's saddle-image
/// n), ICs 1 and 7, 1 repeat,
/// 1 500 updates; saddles with 1 500 updates at every n = 2…59 for T = 800 and every third n
/// (plus 30 and 58) for T = 550 and 750.
pub fn protocol(scale: Scale) -> Protocol {
    let all_n: Vec<f64> = (2..=59).map(|n| n as f64).collect();
    match scale {
        Scale::Paper => Protocol {
            memories: 100,
            rate: 0.01,
            temperatures: vec![550.0, 750.0, 800.0],
            n_values: all_n.clone(),
            ics: vec![1, 7, 8],
            repeats: 10,
            epochs: 10_001,
            saddle_grid: vec![(550.0, all_n.clone()), (750.0, all_n.clone()), (800.0, all_n)],
            saddle_epochs: 4_001,
            saddle_ics: vec![1, 7],
        },
        Scale::Quick => {
            let mut sparse: Vec<f64> = (0..20).map(|i| (2 + 3 * i) as f64).collect();
            sparse.extend([30.0, 58.0]);
            sparse.sort_by(f64::total_cmp);
            Protocol {
                memories: 100,
                rate: 0.01,
                temperatures: vec![800.0],
                n_values: vec![5.0, 15.0, 25.0, 35.0, 45.0, 58.0],
                ics: vec![1, 7],
                repeats: 1,
                epochs: 1_500,
                saddle_grid: vec![(550.0, sparse.clone()), (750.0, sparse), (800.0, all_n)],
                saddle_epochs: 1_500,
                saddle_ics: vec![1, 7],
            }
        }
    }
}

/// The sweep of one initial condition: the base config (the IC's memories) and the product of
/// the label files (one per repeat), n and T.
pub fn sweep(
    p: &Protocol,
    ic: usize,
    data: DataConfig,
    memories: PathBuf,
    labels: &[PathBuf],
    seed: u64,
) -> Sweep {
    let mut base = super::figure_config(seed, data, p.memories, p.epochs, p.rate, 2000);
    base.init.memories = Some(memories);
    base.init.labels = labels.first().cloned();
    let path = |l: &PathBuf| l.display().to_string();
    Sweep::new(format!("fig7-ic{ic}"), base)
        .axis("init.labels", labels.iter().map(path))
        .axis("model.n", p.n_values.iter().copied())
        .axis("model.temperature", p.temperatures.iter().copied())
}

/// The initial memory of IC k: 0.8 × the mean image of class k.
pub fn ic_memory(set: &TrainingSet, k: usize) -> Array1<f64> {
    class_means(set, &[k]).row(0).mapv(|v| 0.8 * v)
}

/// Initial labels of IC k for K memories: N(−0.03, 0.01) per entry (seeded), −0.6 everywhere,
/// +1.2 on class k (spec §4.10).
pub fn ic_labels(k_memories: usize, ic: usize, seed: u64) -> Result<Array2<f64>> {
    let mut l = State::random(k_memories, 0, CLASSES, -0.03, 0.01, seed)?.labels;
    l.mapv_inplace(|v| v - 0.6);
    l.column_mut(ic).mapv_inplace(|v| v + 1.2);
    Ok(l)
}

/// One saddle: the K = 1 state reached from IC `ic` at (n, T).
#[derive(Debug, Clone)]
pub struct Saddle {
    /// T (the saddle runs at T/100^(1/n)).
    pub temperature: f64,
    /// n.
    pub n: f64,
    /// IC class.
    pub ic: usize,
    /// Final memory (784).
    pub memory: Array1<f64>,
    /// Final labels (10).
    pub labels: Array1<f64>,
}

/// Train every saddle of the protocol (in memory, in parallel, deterministic).
pub fn saddles(p: &Protocol, set: &TrainingSet, jobs: usize) -> Result<Vec<Saddle>> {
    let mut items = Vec::new();
    for (t, ns) in &p.saddle_grid {
        for &n in ns {
            for &ic in &p.saddle_ics {
                items.push((*t, n, ic));
            }
        }
    }
    common::par_map(jobs, items, |(t, n, ic)| {
        let m = ic_memory(set, ic).insert_axis(Axis(0));
        let mut l = Array2::from_elem((1, CLASSES), -0.603);
        l[[0, ic]] += 1.2;
        let params = Params {
            n,
            m: n,
            temperature: t / 100f64.powf(1.0 / n),
        };
        let st = train_simple(
            set.samples.view(),
            set.targets.view(),
            m,
            l,
            params,
            p.rate,
            1,
            p.saddle_epochs,
        )?;
        Ok(Saddle {
            temperature: t,
            n,
            ic,
            memory: st.memories.row(0).to_owned(),
            labels: st.labels.row(0).to_owned(),
        })
    })
}

/// The saddles, read from `saddles.npz` when it holds exactly this protocol's saddle runs (same
/// (T, n, IC) list, updates, rate and training set), else trained and written there.
pub fn cached_saddles(ctx: &Context, p: &Protocol, set: &TrainingSet) -> Result<Vec<Saddle>> {
    let path = ctx.path("saddles.npz");
    let mut keys = Vec::new();
    for (t, ns) in &p.saddle_grid {
        for &n in ns {
            for &ic in &p.saddle_ics {
                keys.extend([*t, n, ic as f64]);
            }
        }
    }
    let count = keys.len() / 3;
    let keys = Array2::from_shape_vec((count, 3), keys).map_err(|e| Error::invalid("fig7", e.to_string()))?;
    let setup = ndarray::arr1(&[p.saddle_epochs as f64, p.rate, set.samples.sum()]);
    if path.exists() {
        let read = || -> Result<Vec<Saddle>> {
            let mut z = crate::npy::open_npz(&path)?;
            let k = crate::npy::npz_f64(&mut z, &path, "keys")?;
            let st = crate::npy::npz_f64(&mut z, &path, "setup")?;
            if k.shape() != keys.shape() || k.iter().ne(keys.iter()) || st.iter().ne(setup.iter()) {
                return Err(Error::invalid("saddles.npz", "another protocol"));
            }
            let m = crate::npy::npz_f64(&mut z, &path, "memories")?;
            let l = crate::npy::npz_f64(&mut z, &path, "labels")?;
            let m = m
                .into_dimensionality::<ndarray::Ix2>()
                .map_err(|e| Error::format(&path, e.to_string()))?;
            let l = l
                .into_dimensionality::<ndarray::Ix2>()
                .map_err(|e| Error::format(&path, e.to_string()))?;
            Ok((0..count)
                .map(|i| Saddle {
                    temperature: keys[[i, 0]],
                    n: keys[[i, 1]],
                    ic: keys[[i, 2]] as usize,
                    memory: m.row(i).to_owned(),
                    labels: l.row(i).to_owned(),
                })
                .collect())
        };
        if let Ok(s) = read() {
            return Ok(s);
        }
    }
    let sad = saddles(p, set, ctx.opts.jobs)?;
    let m = Array2::from_shape_fn((sad.len(), 784), |(i, j)| sad[i].memory[j]);
    let l = Array2::from_shape_fn((sad.len(), CLASSES), |(i, j)| sad[i].labels[j]);
    let mut z = crate::npy::create_npz(&path)?;
    z.add_array("keys", &keys)?;
    z.add_array("setup", &setup)?;
    z.add_array("memories", &m)?;
    z.add_array("labels", &l)?;
    z.finish()?;
    Ok(sad)
}

/// Mean populations (ℓ ≥ 0.9) of classes [1, 7, 8] per (T, n, IC) over the repeats.
type Populations = BTreeMap<(u64, u64, usize), ([f64; 3], usize)>;

fn key(t: f64, n: f64, ic: usize) -> (u64, u64, usize) {
    (t.to_bits(), n.to_bits(), ic)
}

/// Proportion of 1s: ⟨pop_1⟩/(⟨pop_1⟩ + ⟨pop_7⟩) (NaN if both are 0).
pub fn proportion(pop1: f64, pop7: f64) -> f64 {
    if pop1 + pop7 > 0.0 {
        pop1 / (pop1 + pop7)
    } else {
        f64::NAN
    }
}

/// Reproduce the figure.
pub fn run(ctx: &Context) -> Result<Outcome> {
    let ctx = &common::absolute_context(ctx)?;
    let p = protocol(ctx.scale());
    let full = ctx.standard_set()?;
    let set = restrict(&full, &DIGITS);
    let data = ctx.training_data("train178", &set)?;
    // K = 100 population runs, one sweep per IC.
    let mut pops: Populations = BTreeMap::new();
    for &ic in &p.ics {
        let mem = ic_memory(&set, ic).insert_axis(Axis(0));
        let mem = ndarray::concatenate(Axis(0), &vec![mem.view(); p.memories])
            .map_err(|e| Error::invalid("fig7", e.to_string()))?;
        let mem_path = common::write_npy(ctx, &format!("ic{ic}-memories.npy"), &mem)?;
        let mut label_paths = Vec::new();
        for r in 0..p.repeats {
            let seed = crate::config::derive_seed(ctx.opts.seed, 1000 + 100 * ic as u64 + r as u64);
            let l = ic_labels(p.memories, ic, seed)?;
            label_paths.push(common::write_npy(ctx, &format!("ic{ic}-labels-r{r}.npy"), &l)?);
        }
        let sweep = sweep(&p, ic, data.clone(), mem_path, &label_paths, ctx.opts.seed);
        let (dir, grid) = ctx.sweep(&format!("ic{ic}"), &sweep)?;
        let dirs: Vec<(f64, f64, PathBuf)> = grid
            .points
            .iter()
            .enumerate()
            .map(|(i, pt)| {
                (
                    pt.config.model.temperature,
                    pt.config.model.n,
                    ctx.point_dir(&dir, &grid, i),
                )
            })
            .collect();
        let got = common::par_map(ctx.opts.jobs, dirs, |(t, n, pdir)| {
            if runner::status(&pdir) != Status::Done {
                return Ok((t, n, None));
            }
            let r = analyse_point(&pdir)?;
            Ok((t, n, Some(r.population_090)))
        })?;
        for (t, n, pop) in got {
            if let Some(pop) = pop {
                let e = pops.entry(key(t, n, ic)).or_insert(([0.0; 3], 0));
                for (j, &d) in DIGITS.iter().enumerate() {
                    e.0[j] += pop[d] as f64;
                }
                e.1 += 1;
            }
        }
    }
    let sad = cached_saddles(ctx, &p, &set)?;
    let dec = Decomposition::new(full.samples.view(), &full.digits)?;
    let mut files = Vec::new();
    let data_name = match &ctx.opts.samples {
        Some(s) => format!("reference set {} (the 60 samples of 1, 7, 8)", s.display()),
        None => format!(
            "embedded MNIST, 20 per class (seed {}), the 60 samples of 1, 7, 8",
            ctx.opts.seed
        ),
    };
    let protocol_text = format!(
        "K = {} runs: digits [1,7,8] (60 samples, 10-dim targets), η = {}, μ = 0, T ∈ {:?}, n ∈ {:?}, \
         ICs near {:?} (all memories = 0.8·class mean; labels N(−0.03,0.01) − 0.6, +1.2 on the IC class), \
         {} repeat(s), final state after {} updates; populations ℓ ≥ 0.9. Saddles: K = 1 at T/100^(1/n), \
         trained in memory, ICs near 1 and 7 (labels −0.603 + 1.2 on the IC class, no noise), {} updates, \
         T/n: {}; α on the 200-sample set; 'different saddles' = RMS distance > {}",
        p.memories,
        p.rate,
        p.temperatures,
        p.n_values,
        p.ics,
        p.repeats,
        p.epochs,
        p.saddle_epochs,
        p.saddle_grid
            .iter()
            .map(|(t, ns)| format!("T = {t}: {} n from {} to {}", ns.len(), ns[0], ns[ns.len() - 1]))
            .collect::<Vec<_>>()
            .join("; "),
        SADDLE_TOLERANCE
    );
    let mut report = Report::new(data_name, protocol_text);
    let npz_path = ctx.path("fig7-results.npz");
    let mut z = crate::npy::create_npz(&npz_path)?;
    for (t, ns) in &p.saddle_grid {
        let t = *t;
        let find = |n: f64, ic: usize| sad.iter().find(|s| s.temperature == t && s.n == n && s.ic == ic);
        let mut alpha1 = Array2::<f64>::from_elem((2, ns.len()), f64::NAN);
        let mut dist = Array1::<f64>::from_elem(ns.len(), f64::NAN);
        let mut mems = Array3::<f64>::zeros((2, ns.len(), 784));
        for (j, &n) in ns.iter().enumerate() {
            let (Some(a), Some(b)) = (find(n, 1), find(n, 7)) else {
                continue;
            };
            for (i, s) in [a, b].iter().enumerate() {
                let al = dec.alpha(s.memory.view().insert_axis(Axis(0)), Par::Seq);
                alpha1[[i, j]] = class_alpha(al.view(), &full.digits)[[0, 1]];
                mems.slice_mut(ndarray::s![i, j, ..]).assign(&s.memory);
            }
            dist[j] = ((&a.memory - &b.memory).mapv(|v| v * v).mean().unwrap_or(0.0)).sqrt();
        }
        let bistable: Vec<bool> = dist.iter().map(|&d| d > SADDLE_TOLERANCE).collect();
        saddle_checks(&mut report, t, ns, &bistable, &alpha1);
        // Populations at this T (if run).
        let mut prop = Array2::<f64>::from_elem((p.ics.len(), p.n_values.len()), f64::NAN);
        let mut counts = Array3::<f64>::from_elem((p.ics.len(), p.n_values.len(), 3), f64::NAN);
        let has_pop = p.temperatures.contains(&t);
        if has_pop {
            for (i, &ic) in p.ics.iter().enumerate() {
                for (j, &n) in p.n_values.iter().enumerate() {
                    if let Some((sum, c)) = pops.get(&key(t, n, ic))
                        && *c > 0
                    {
                        let mean: Vec<f64> = sum.iter().map(|v| v / *c as f64).collect();
                        prop[[i, j]] = proportion(mean[0], mean[1]);
                        for q in 0..3 {
                            counts[[i, j, q]] = mean[q];
                        }
                    }
                }
            }
            proportion_checks(&mut report, t, &p, &prop);
        }
        let png = ctx.path(&format!("fig7-T{t}.png"));
        save_png(
            &panels(t, ns, &alpha1, &mems, &bistable, &p, has_pop.then_some(&prop))?,
            &png,
        )?;
        files.push(png);
        let tag = format!("T{t}");
        z.add_array(format!("saddle_{tag}_n"), &Array1::from(ns.clone()))?;
        z.add_array(format!("saddle_{tag}_alpha1"), &alpha1)?;
        z.add_array(format!("saddle_{tag}_distance"), &dist)?;
        z.add_array(format!("saddle_{tag}_memories"), &mems)?;
        if has_pop {
            z.add_array(format!("population_{tag}_n"), &Array1::from(p.n_values.clone()))?;
            z.add_array(format!("population_{tag}_proportion"), &prop)?;
            z.add_array(format!("population_{tag}_counts"), &counts)?;
        }
    }
    z.finish()?;
    files.push(npz_path);
    report.note(
        "Saddle ICs: the reference draws the K = 1 labels from N(−0.003, r) with an undefined r \
         (spec §4.10); a K = 1 run has no symmetry to break, so the labels are set without noise.",
    );
    ctx.finish(report, files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ic_labels_follow_the_spec() {
        let l = ic_labels(100, 7, 3).unwrap();
        let on = l.column(7).mean().unwrap();
        let off = l.column(2).mean().unwrap();
        assert!((on - 0.57).abs() < 0.01, "{on}");
        assert!((off + 0.63).abs() < 0.01, "{off}");
    }

    #[test]
    fn proportion_is_a_ratio_of_means() {
        assert_eq!(proportion(3.0, 1.0), 0.75);
        assert!(proportion(0.0, 0.0).is_nan());
    }
}
