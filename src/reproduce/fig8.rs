//! Paper Fig. 8 — memory populations vs temperature (spec `reference-experiments.md` §4.11,
//! §3.11, numbers §6.9).
//!
//! Standard full runs (K = 100, the 200-digit set, init N(−0.003, 1e−5), μ = 0) at n = 25 over a
//! ladder of temperatures; for each final state the population of class d is
//! #{A : ℓ_{A,d} > 0.98} (§3.11), drawn stacked against T_r = T/784. Panel A shows 20 memories
//! (2 per class) at five temperatures. Paper scale adds the supplement n ∈ {15, 40}.

use super::split_figs as common;
use super::{Context, Criterion, Outcome, Report, Scale};
use crate::config::DataConfig;
use crate::data::CLASSES;
use crate::error::{Error, Result};
use crate::plot::compose::{Raster, save_png, stitch};
use crate::plot::{MemoryGrid, StackedArea};
use crate::sweep::Sweep;
use crate::sweep::collect::analyse_point;
use crate::sweep::runner::{self, Status};
use ndarray::{Array1, Array2, Axis};
use std::path::PathBuf;

/// Learning order of the 200-digit set at n = 30 (spec §6.3), first to last.
pub const LEARNING_ORDER: [usize; 10] = [1, 4, 7, 9, 5, 6, 8, 3, 2, 0];

/// One temperature ladder at one n.
#[derive(Debug, Clone, PartialEq)]
pub struct Ladder {
    /// The power n (= m).
    pub n: f64,
    /// Temperatures T (increasing).
    pub temperatures: Vec<f64>,
    /// Indices into `temperatures` of the memory panels (panel A).
    pub sample_indices: Vec<usize>,
}

/// The protocol of the figure at one scale.
#[derive(Debug, Clone, PartialEq)]
pub struct Protocol {
    /// Memories K.
    pub memories: usize,
    /// Learning rate η.
    pub rate: f64,
    /// Updates in total ("ic" 1 + silent E + "end" 1 ⇒ final state after E + 1 updates).
    pub epochs: usize,
    /// The main ladder (n = 25).
    pub main: Ladder,
    /// Supplement ladders (n = 15, 40 at paper scale).
    pub supplement: Vec<Ladder>,
}

/// The protocol: paper = spec §4.0/§4.11 exactly (n = 25, T = 650, 653, …, 896 (83 values),
/// 10 001 updates, η = 0.005; supplement n = 15 and 40 at T = 650 … 990 step 10); quick = 7
/// temperatures 650 … 845 at n = 25 with 1 600 updates at η = 0.03125 (the same total path
/// length 1 600·0.03125 = 50 as 10 001·0.005), no supplement.
pub fn protocol(scale: Scale) -> Protocol {
    match scale {
        Scale::Paper => {
            let sup = |n: f64, idx: Vec<usize>| Ladder {
                n,
                temperatures: (0..35).map(|i| 650.0 + 10.0 * i as f64).collect(),
                sample_indices: idx,
            };
            Protocol {
                memories: 100,
                rate: 0.005,
                epochs: 10_001,
                main: Ladder {
                    n: 25.0,
                    temperatures: (0..83).map(|i| 650.0 + 3.0 * i as f64).collect(),
                    sample_indices: vec![0, 25, 40, 46, 55],
                },
                supplement: vec![
                    sup(15.0, vec![10, 17, 20, 25, 34]),
                    sup(40.0, vec![2, 12, 15, 20, 34]),
                ],
            }
        }
        Scale::Quick => Protocol {
            memories: 100,
            rate: 0.03125,
            epochs: 1_600,
            main: Ladder {
                n: 25.0,
                temperatures: vec![650.0, 690.0, 725.0, 755.0, 785.0, 815.0, 845.0],
                sample_indices: vec![0, 2, 3, 4, 5],
            },
            supplement: Vec::new(),
        },
    }
}

/// The sweep of one ladder (`model.temperature` swept at the ladder's n).
pub fn sweep(p: &Protocol, ladder: &Ladder, data: DataConfig, seed: u64) -> Sweep {
    let mut base = super::figure_config(seed, data, p.memories, p.epochs, p.rate, 2000);
    base.model.n = ladder.n;
    Sweep::new(format!("fig8-n{}", ladder.n), base)
        .axis("model.temperature", ladder.temperatures.iter().copied())
}

/// The final state and populations of one temperature.
#[derive(Debug, Clone)]
pub struct Point {
    /// Temperature T.
    pub temperature: f64,
    /// #{A : ℓ_{A,d} > 0.98} per class (NaN-free; a diverged run counts as absent: `None`).
    pub population: Option<[usize; CLASSES]>,
    /// Training accuracy.
    pub accuracy: f64,
    /// Final memories (K×784) and labels (K×10).
    pub state: Option<(Array2<f64>, Array2<f64>)>,
}

/// Run (or reuse) one ladder and read its final states.
pub fn run_ladder(ctx: &Context, p: &Protocol, ladder: &Ladder, data: &DataConfig) -> Result<Vec<Point>> {
    let name = format!("n{}", ladder.n);
    let (dir, grid) = ctx.sweep(&name, &sweep(p, ladder, data.clone(), ctx.opts.seed))?;
    let dirs: Vec<(f64, PathBuf)> = grid
        .points
        .iter()
        .enumerate()
        .map(|(i, pt)| (pt.config.model.temperature, ctx.point_dir(&dir, &grid, i)))
        .collect();
    let mut points = common::par_map(ctx.opts.jobs, dirs, |(t, pdir)| {
        if runner::status(&pdir) != Status::Done {
            return Ok(Point {
                temperature: t,
                population: None,
                accuracy: f64::NAN,
                state: None,
            });
        }
        let r = analyse_point(&pdir)?;
        let st = crate::run_folder::RunFolder::open(&pdir)?.final_state()?;
        Ok(Point {
            temperature: t,
            population: Some(r.population_098),
            accuracy: r.train_accuracy,
            state: Some((st.memories, st.labels)),
        })
    })?;
    points.sort_by(|a, b| a.temperature.total_cmp(&b.temperature));
    Ok(points)
}

/// Pick 2 memories per class (20): the two with the largest ℓ_{A,d} among those with
/// ℓ_{A,d} ≥ 0.5 (the reference relaxes a threshold from 1 by 0.05 down to 0.5); where fewer exist,
/// the "saddle-like" memories with the lowest Σ_c ℓ_{A,c} fill in (the reference's intended
/// fallback, spec §3.9, §7.5 item 9). Returns (memory index, tile title).
pub fn pick_samples(labels: &Array2<f64>) -> Vec<(usize, String)> {
    let k = labels.nrows();
    let mut chosen: Vec<(usize, String)> = Vec::new();
    let sums: Vec<f64> = labels.rows().into_iter().map(|r| r.sum()).collect();
    for d in 0..CLASSES {
        let mut cand: Vec<usize> = (0..k)
            .filter(|&a| labels[[a, d]] >= 0.5 && !chosen.iter().any(|c| c.0 == a))
            .collect();
        cand.sort_by(|&a, &b| labels[[b, d]].total_cmp(&labels[[a, d]]).then(a.cmp(&b)));
        for &a in cand.iter().take(2) {
            chosen.push((a, format!("{d}: ℓ={:.2}", labels[[a, d]])));
        }
        for _ in cand.len().min(2)..2 {
            let mut rest: Vec<usize> = (0..k).filter(|&a| !chosen.iter().any(|c| c.0 == a)).collect();
            rest.sort_by(|&a, &b| sums[a].total_cmp(&sums[b]).then(a.cmp(&b)));
            if let Some(&a) = rest.first() {
                chosen.push((a, format!("{d}: saddle")));
            }
        }
    }
    chosen
}

/// Index of the first temperature from which class d's population stays 0 (None: present at
/// the highest temperature).
pub fn disappearance_index(pops: &[[usize; CLASSES]], d: usize) -> Option<usize> {
    let mut idx = None;
    for i in (0..pops.len()).rev() {
        if pops[i][d] == 0 {
            idx = Some(i);
        } else {
            break;
        }
    }
    idx
}

fn t_r(t: f64) -> f64 {
    t / 784.0
}

struct LadderResult {
    temps: Vec<f64>,
    pops: Vec<[usize; CLASSES]>,
    files: Vec<PathBuf>,
}

fn figure_for(
    ctx: &Context,
    p: &Protocol,
    ladder: &Ladder,
    points: &[Point],
    tag: &str,
) -> Result<LadderResult> {
    let ok: Vec<&Point> = points.iter().filter(|q| q.population.is_some()).collect();
    if ok.len() < 2 {
        return Err(Error::invalid(
            "fig8",
            format!("n = {}: fewer than 2 temperatures finished", ladder.n),
        ));
    }
    let temps: Vec<f64> = ok.iter().map(|q| q.temperature).collect();
    let pops: Vec<[usize; CLASSES]> = ok.iter().filter_map(|q| q.population).collect();
    let mut rows: Vec<Vec<Raster>> = Vec::new();
    let stacked = StackedArea {
        title: format!(
            "n = {}: memories with ℓ_d > 0.98 per class vs T_r ({} updates)",
            ladder.n, p.epochs
        ),
        x_label: "rescaled temperature T_r = T/784".into(),
        y_label: "population (memories, K = 100)".into(),
        x: temps.iter().map(|&t| t_r(t)).collect(),
        layers: (0..CLASSES)
            .map(|d| (d.to_string(), pops.iter().map(|q| q[d] as f64).collect()))
            .collect(),
        colors: None,
        y_range: None,
    };
    rows.push(vec![Raster::of(&stacked)?]);
    for &i in &ladder.sample_indices {
        let Some(pt) = points.get(i) else { continue };
        let Some((m, l)) = &pt.state else { continue };
        let pick = pick_samples(l);
        let idx: Vec<usize> = pick.iter().map(|c| c.0).collect();
        let mut g = MemoryGrid::new(m.select(Axis(0), &idx), 10);
        g.scale = 2;
        g.tile_titles = Some(pick.iter().map(|c| c.1.clone()).collect());
        g.title = Some(format!(
            "n = {}, T = {} (T_r = {:.3}): 2 memories per class 0–9",
            ladder.n,
            pt.temperature,
            t_r(pt.temperature)
        ));
        rows.push(vec![Raster::of(&g)?]);
    }
    let png = ctx.path(&format!("{tag}.png"));
    save_png(&stitch(&rows, 8), &png)?;
    let npz_path = ctx.path(&format!("{tag}-populations.npz"));
    let mut z = crate::npy::create_npz(&npz_path)?;
    let pop_arr = Array2::from_shape_fn((pops.len(), CLASSES), |(i, d)| pops[i][d] as f64);
    let acc: Array1<f64> = ok.iter().map(|q| q.accuracy).collect();
    z.add_array("temperature", &Array1::from(temps.clone()))?;
    z.add_array(
        "t_r",
        &Array1::from(temps.iter().map(|&t| t_r(t)).collect::<Vec<_>>()),
    )?;
    z.add_array("population_098", &pop_arr)?;
    z.add_array("train_accuracy", &acc)?;
    z.finish()?;
    Ok(LadderResult {
        temps,
        pops,
        files: vec![png, npz_path],
    })
}

/// Reproduce the figure.
pub fn run(ctx: &Context) -> Result<Outcome> {
    let ctx = &common::absolute_context(ctx)?;
    let p = protocol(ctx.scale());
    let set = ctx.standard_set()?;
    let data = ctx.training_data("train", &set)?;
    let main_points = run_ladder(ctx, &p, &p.main, &data)?;
    let main = figure_for(ctx, &p, &p.main, &main_points, "fig8")?;
    let mut files = main.files.clone();
    let data_name = match &ctx.opts.samples {
        Some(s) => format!("reference set {}", s.display()),
        None => format!("embedded MNIST, 20 per class, seed {}", ctx.opts.seed),
    };
    let protocol_text = format!(
        "K = {}, 200 samples (all 10 classes), n = {}, {} temperatures T = {}…{}, η = {}, μ = 0, init \
         N(−0.003, 1e−5), final state after {} updates (records at 0 and {}); population = #{{A : \
         ℓ_{{A,d}} > 0.98}}{}",
        p.memories,
        p.main.n,
        p.main.temperatures.len(),
        p.main.temperatures[0],
        p.main.temperatures[p.main.temperatures.len() - 1],
        p.rate,
        p.epochs,
        p.epochs,
        if p.supplement.is_empty() {
            String::new()
        } else {
            format!(
                "; supplement n = {} at T = 650…990 step 10",
                p.supplement
                    .iter()
                    .map(|l| l.n.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    );
    let mut report = Report::new(data_name, protocol_text);
    checks(&mut report, &main.temps, &main.pops);
    report.note(population_table(&main.temps, &main.pops, p.main.n));
    for l in &p.supplement {
        let pts = run_ladder(ctx, &p, l, &data)?;
        let r = figure_for(ctx, &p, l, &pts, &format!("fig8-n{}", l.n))?;
        let total: Vec<f64> = r.pops.iter().map(|q| q.iter().sum::<usize>() as f64).collect();
        report.info(
            &format!("supplement_n{}_total_tau", l.n),
            &format!("n = {}: Kendall τ between T and total population", l.n),
            common::kendall(&r.temps, &total),
            "spec §4.11 supplement (no number given)",
        );
        report.note(population_table(&r.temps, &r.pops, l.n));
        files.extend(r.files);
    }
    report.note(
        "Memories counted in no class sit at saddles (mixed images, no label > 0.98). Sample panels \
         show the two memories with the largest ℓ_d ≥ 0.5 per class, else 'saddle' memories (lowest \
         Σ_c ℓ_c) — the intended fallback of the reference's buggy picker (spec §7.5 item 9).",
    );
    ctx.finish(report, files)
}

fn checks(report: &mut Report, temps: &[f64], pops: &[[usize; CLASSES]]) {
    let totals: Vec<f64> = pops.iter().map(|q| q.iter().sum::<usize>() as f64).collect();
    let last = totals.len() - 1;
    report.info(
        "total_population_lowest_t",
        &format!("total population at T = {}", temps[0]),
        totals[0],
        "spec §6.9: 119 at T = 650 (one seed, reference set)",
    );
    report.info(
        "total_population_highest_t",
        &format!("total population at T = {}", temps[last]),
        totals[last],
        "spec §6.9: 17 at T = 815, 17–26 (class 1 only) at 830–860",
    );
    let tau = common::kendall(temps, &totals);
    report.expect(
        "total_population_tau",
        "Kendall τ between T and the total population",
        tau,
        "spec §6.9: total falls with T (119 → 17 from T_r 0.83 to 1.04); pass if τ ≤ −0.5",
        Criterion::AtMost { bound: -0.5 },
    );
    let ratio = totals[last] / totals[0].max(1.0);
    report.expect(
        "total_population_ratio",
        "total population at the highest T / at the lowest T",
        ratio,
        "spec §6.9: 17/119 = 0.14 at T_r 1.04; pass if ≤ 0.5",
        Criterion::AtMost { bound: 0.5 },
    );
    let dis: Vec<f64> = (0..CLASSES)
        .map(|d| match disappearance_index(pops, d) {
            Some(i) => temps[i],
            None => f64::INFINITY,
        })
        .collect();
    let rank0 = 1 + dis.iter().filter(|&&t| t < dis[0]).count();
    report.check(
        "class0_disappearance_rank",
        "rank of class 0 among the classes by disappearance temperature (1 = first)",
        rank0 as f64,
        "spec §6.9: class 0 disappears first (T_r ≈ 0.92); pass if it disappears, ranked ≤ 3",
        dis[0].is_finite() && rank0 <= 3,
    );
    if dis[0].is_finite() {
        report.info(
            "class0_disappearance_t_r",
            "T_r from which class 0 has no memory",
            t_r(dis[0]),
            "spec §6.9: ≈ 0.92 (T = 725)",
        );
    }
    let pop1 = pops[last][1];
    let max_other = (0..CLASSES)
        .filter(|&d| d != 1)
        .map(|d| pops[last][d])
        .max()
        .unwrap_or(0);
    report.check(
        "class1_population_highest_t",
        &format!("class-1 population at the highest T = {}", temps[last]),
        pop1 as f64,
        "spec §6.9: class 1 survives to the highest T (only class left above T_r 1.04); pass if > 0 \
         and ≥ every other class",
        pop1 > 0 && pop1 >= max_other,
    );
    let rank_of = |d: usize| LEARNING_ORDER.iter().position(|&c| c == d).unwrap_or(0) as f64;
    let step = if temps.len() > 1 { temps[1] - temps[0] } else { 1.0 };
    let dis_finite: Vec<f64> = dis
        .iter()
        .map(|&t| if t.is_finite() { t } else { temps[last] + step })
        .collect();
    let learn: Vec<f64> = (0..CLASSES).map(rank_of).collect();
    let tau_order = common::kendall(&learn, &dis_finite);
    report.expect(
        "disappearance_vs_learning_order_tau",
        "Kendall τ between learning position (1,4,7,9,5,6,8,3,2,0) and disappearance temperature",
        tau_order,
        "spec §6.9: disappearance ≈ reverse learning order (τ ≈ −0.8 on the spec's table); pass if τ < 0",
        Criterion::Below { bound: 0.0 },
    );
    let order: Vec<String> = {
        let mut v: Vec<usize> = (0..CLASSES).collect();
        v.sort_by(|&a, &b| dis[a].total_cmp(&dis[b]).then(a.cmp(&b)));
        v.iter()
            .map(|&d| {
                if dis[d].is_finite() {
                    format!("{d} ({:.3})", t_r(dis[d]))
                } else {
                    format!("{d} (never)")
                }
            })
            .collect()
    };
    report.check_text(
        "disappearance_order",
        "classes by disappearance T_r",
        &order.join(", "),
        "spec §6.9: 0 (0.92), 2 and 8 (0.96), 3 (0.98), 5 and 6 (1.00), 4, 7, 9 (1.04), 1 never",
        dis[1].is_infinite() || dis.iter().all(|&t| t <= dis[1]),
    );
}

fn population_table(temps: &[f64], pops: &[[usize; CLASSES]], n: f64) -> String {
    let mut s = format!(
        "Populations (ℓ_d > 0.98) at n = {n}:\n\n| T | T_r | 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | total |\n|{}\n",
        "---|".repeat(13)
    );
    for (t, q) in temps.iter().zip(pops) {
        let cells: Vec<String> = q.iter().map(|c| c.to_string()).collect();
        s.push_str(&format!(
            "| {t} | {:.3} | {} | {} |\n",
            t_r(*t),
            cells.join(" | "),
            q.iter().sum::<usize>()
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disappearance_is_the_start_of_the_final_zero_run() {
        let mut a = [[1usize; CLASSES]; 4];
        a[1][0] = 0;
        a[3][0] = 0;
        a[2][2] = 0;
        a[3][2] = 0;
        assert_eq!(disappearance_index(&a, 0), Some(3));
        assert_eq!(disappearance_index(&a, 2), Some(2));
        assert_eq!(disappearance_index(&a, 1), None);
    }

    #[test]
    fn picker_prefers_high_labels_then_saddles() {
        let mut l = Array2::from_elem((30, CLASSES), -1.0);
        l[[3, 0]] = 0.99;
        l[[1, 0]] = 1.0;
        l[[4, 0]] = 0.7;
        let pick = pick_samples(&l);
        assert_eq!(pick.len(), 20);
        assert_eq!((pick[0].0, pick[1].0), (1, 3));
        assert!(pick[2].1.contains("saddle"));
    }
}
