//! Figure 1 of the bifurcating-network study (spec `bifurcating-hopfield.md` §7, §10.1, test plan
//! §11): the heteroclinic-flip pseudo-potential V(x, y; a, b) = x⁴ + y⁴ + y³ − 4x²y − ax + by − y²
//! in its three "boxes" (a, b) = (0, −1), (0, −2), (6, −2) with attractors, saddles and the
//! saddles' unstable manifolds (Fig. 1a/b); the P = 3 network driven by the §7.1 schedule —
//! overlaps m(t) with the bifurcations crossed (Fig. 1c), the schedule, and two neuron ("gene")
//! traces x_i(t) (§7.4).

use super::{Context, Criterion, Outcome, Report, Scale};
use crate::bifurcating::bifurcation;
use crate::bifurcating::critical::{self, CriticalPoint, Kind};
use crate::bifurcating::potentials::{Potential, heteroclinic_flip};
use crate::bifurcating::scenario::{self, Mode, PatternSpec, RunResult, Scenario};
use crate::error::{Error, Result};
use crate::plot::compose::{self as panels, Raster};
use crate::plot::{self, Event, LinePlot, PhasePlane, Series, Trail};
use ndarray::{Array1, Array2};

/// What the figure runs at one scale.
#[derive(Debug, Clone, PartialEq)]
pub struct Protocol {
    /// β of the exactly symmetric reduced runs (spec §7.2: 1000 and 100).
    pub reduced_beta: Vec<f64>,
    /// (N, β) of the full-N runs with Hadamard patterns (spec §11.11).
    pub full: Vec<(usize, f64)>,
    /// End of the a-ramp (6) and end time (60).
    pub a1: f64,
    /// End time.
    pub t_end: f64,
}

/// Quick: reduced β ∈ {1000, 100} and one full run (N = 128, β = 1000); paper: full runs for
/// N ∈ {128, 256, 1024} at β = 1000 and N = 128 at β = 100 as well.
pub fn protocol(scale: Scale) -> Protocol {
    Protocol {
        reduced_beta: vec![1000.0, 100.0],
        full: scale.pick(
            vec![(128, 1000.0)],
            vec![(128, 1000.0), (256, 1000.0), (1024, 1000.0), (128, 100.0)],
        ),
        a1: 6.0,
        t_end: 60.0,
    }
}

/// The boxes of Fig. 1a: (a, b) and the time window during which the schedule holds them.
pub const BOXES: [((f64, f64), (f64, f64)); 3] = [
    ((0.0, -1.0), (0.0, 10.0)),
    ((0.0, -2.0), (20.0, 30.0)),
    ((6.0, -2.0), (40.0, 60.0)),
];

/// Spec §7.2 table (β = 1000, symmetric reduced run): t → m.
const TABLE: [(f64, [f64; 3], f64); 11] = [
    (10.0, [1.0, 0.0, 0.0], 1e-4),
    (14.0, [1.0, 0.0, 0.0], 1e-4),
    (15.0, [0.991611, 0.004195, 0.004195], 1e-4),
    (16.0, [0.977651, 0.011175, 0.011175], 1e-4),
    (18.0, [0.935273, 0.032363, 0.032363], 1e-4),
    (19.0, [0.617111, 0.191444, 0.191444], 1e-3),
    (25.0, [0.233026, 0.383487, 0.383487], 1e-4),
    (31.0, [0.085753, 0.773147, 0.141100], 1e-3),
    (32.0, [0.031547, 0.916545, 0.051908], 1e-3),
    (35.0, [0.001571, 0.995845, 0.002584], 1e-4),
    (40.0, [0.000011, 0.999972, 0.000017], 1e-4),
];

fn full_scenario(n: usize, beta: f64, p: &Protocol) -> Scenario {
    let mut sc = Scenario::figure1(beta, p.a1);
    sc.patterns = Some(PatternSpec {
        kind: "hadamard".into(),
        n: Some(n),
        seed: 0,
        fraction: None,
        path: None,
        classes: None,
        normalise: None,
    });
    sc.run.mode = Mode::Full;
    sc.run.rtol = 1e-9;
    sc.run.atol = 1e-11;
    sc
}

fn simulate(sc: &Scenario) -> Result<RunResult> {
    let model = sc.model()?;
    scenario::run(sc, &model, 0)
}

fn at(res: &RunResult, t: f64) -> Vec<f64> {
    let i = res
        .t
        .iter()
        .enumerate()
        .min_by(|a, b| (a.1 - t).abs().total_cmp(&(b.1 - t).abs()))
        .map_or(0, |(i, _)| i);
    res.m.row(i).to_vec()
}

/// Reproduce the bifurcating network's Figure 1.
pub fn run(ctx: &Context) -> Result<Outcome> {
    let p = protocol(ctx.scale());
    let data =
        "no data: P = 3 uncorrelated patterns (reduced runs: C = I exactly; full runs: Walsh–Hadamard \
                rows, N as listed)"
            .to_string();
    let protocol_text = format!(
        "Potential §5.1 (c = −1), anchors at (a, b) = (0, −1) (§6.5), λ = 1, τ = 1, convention C; \
         schedule §7.1: b ramps −1 → −2 on [10, 20], a ramps 0 → {} on [30, 40], t_end = {}; start \
         at pattern 0. Reduced (exactly symmetric) runs at β ∈ {:?}; full-N runs (Hadamard patterns, \
         Dormand–Prince rtol 1e−9) at (N, β) ∈ {:?}. Boxes: critical points (exact elimination + \
         multi-start Newton), unstable manifolds of the saddles by RK4 on −∇V.",
        p.a1, p.t_end, p.reduced_beta, p.full
    );
    let mut report = Report::new(data, protocol_text);
    let mut files = Vec::new();
    let pot = heteroclinic_flip(false);
    let theta = |a: f64, b: f64| vec![a, b, -1.0, 4.0];
    let names = pot.param_names().to_vec();
    if names.len() != 4 || names[0] != "a" || names[1] != "b" {
        return Err(Error::invalid(
            "potential",
            format!("unexpected parameters {names:?}"),
        ));
    }

    // Landscape checks (§6.2, §6.3).
    let mut box_cps = Vec::new();
    for (k, ((a, b), _)) in BOXES.iter().enumerate() {
        let cps = critical::critical_points(&pot, &theta(*a, *b), &Default::default())?;
        let count = |kind| cps.iter().filter(|c| c.kind == kind).count();
        let (mins, sads) = (count(Kind::Minimum), count(Kind::Saddle));
        let want = [(3, 2), (2, 1), (1, 0)][k];
        report.check_text(
            &format!("box{}_critical_points", k + 1),
            &format!("box {} (a, b) = ({a}, {b}): minima, saddles", k + 1),
            &format!("{mins}, {sads}"),
            &format!("spec §6.2: {}, {}", want.0, want.1),
            (mins, sads) == want,
        );
        box_cps.push(cps);
    }
    let m1 = box_cps[0]
        .iter()
        .filter(|c| c.kind == Kind::Minimum && c.z[0] > 0.0)
        .map(|c| {
            (c.z[0] - 1.617276368077)
                .abs()
                .max((c.z[1] - 1.307791425370).abs())
        })
        .fold(f64::INFINITY, f64::min);
    report.expect(
        "attractor1_error",
        "box 1: |attractor 1 − (1.617276368077, 1.307791425370)|∞",
        m1,
        "spec §6.2 (< 1e−8)",
        Criterion::Below { bound: 1e-8 },
    );
    let b_fold = fold_b_at_a0();
    report.expect(
        "fold_b",
        "a = 0 fold where attractor 0 meets saddle 0: b*",
        b_fold,
        "spec §6.3: −1.502641515443310 (1e−10)",
        Criterion::Near {
            reference: -1.502_641_515_443_31,
            tolerance: 1e-10,
        },
    );
    let a_fold = fold_a_at(-2.0);
    report.expect(
        "fold_a_b2",
        "b = −2 fold destroying attractor 2: a",
        a_fold,
        "spec §6.3: 4.473463673167 (1e−9)",
        Criterion::Near {
            reference: 4.473463673167,
            tolerance: 1e-9,
        },
    );
    // Landscape folds along the schedule: b(t) = −1 − (t − 10)/10, a(t) = 6(t − 30)/10.
    let (tb, ta) = (10.0 + 10.0 * (-b_fold - 1.0), 30.0 + 10.0 * a_fold / p.a1);
    report.expect(
        "fold_time_b",
        "time at which V's attractor 0 dies",
        tb,
        "spec §7.1: t = 15.026",
        Criterion::Near {
            reference: 15.026,
            tolerance: 1e-3,
        },
    );
    report.expect(
        "fold_time_a",
        "time at which V's attractor 2 dies",
        ta,
        "spec §7.1: t = 37.456",
        Criterion::Near {
            reference: 37.456,
            tolerance: 1e-3,
        },
    );

    // Reduced runs.
    let t0 = std::time::Instant::now();
    let mut reduced = Vec::new();
    for &beta in &p.reduced_beta {
        let res = simulate(&Scenario::figure1(beta, p.a1))?;
        reduced_checks(&mut report, &res, beta);
        reduced.push((beta, res));
    }
    // Network fold of the attractor-0 analogue along the b-ramp (β = 1000, §7.3 / §11.9).
    let sc = Scenario::figure1(1000.0, p.a1);
    let model = sc.model()?;
    let net_fold = network_fold_b(&model.network);
    report.expect(
        "network_fold_b",
        "network fold of the attractor-0 analogue, b (β = 1000, a = 0)",
        net_fold,
        "spec §7.2/§11.9: −1.861725 (1e−5)",
        Criterion::Near {
            reference: -1.861725,
            tolerance: 1e-5,
        },
    );
    // Full-N runs.
    let mut full = Vec::new();
    for &(n, beta) in &p.full {
        let res = simulate(&full_scenario(n, beta, &p))?;
        full_checks(&mut report, &res, n, beta);
        full.push(((n, beta), res));
    }
    report.info(
        "simulation_seconds",
        "wall time of the runs (s)",
        t0.elapsed().as_secs_f64(),
        "—",
    );

    // Figure: boxes.
    let (_, main) = &reduced[0];
    let mut row1 = Vec::new();
    for (k, ((a, b), (t_lo, t_hi))) in BOXES.iter().enumerate() {
        row1.push(Raster::of(&box_panel(
            &pot,
            *a,
            *b,
            &box_cps[k],
            main,
            (*t_lo, *t_hi),
        )?)?);
    }
    // m(t), schedule, gene traces.
    let events = vec![
        Event {
            x: 10.0 + 10.0 * (1.4333147 - 1.0),
            label: "1".into(),
        },
        Event {
            x: tb,
            label: "2".into(),
        },
        Event {
            x: 10.0 + 10.0 * (-net_fold - 1.0),
            label: "3".into(),
        },
        Event {
            x: ta,
            label: "4".into(),
        },
    ];
    let names: Vec<String> = (0..3).map(|k| format!("m{k}")).collect();
    let mut mt = LinePlot::time_traces(&main.t, &main.m, &names, events)?;
    mt.title = format!(
        "m(t), reduced, β = {}: 1 pattern 0 not pure, 2 V fold, 3 network fold, 4 V fold in a",
        reduced[0].0
    );
    mt.y_range = Some((-0.05, 1.05));
    let mut sched = LinePlot::new("schedule (§7.1)", "time t", "parameter");
    sched.series = vec![
        Series::new("a", main.t.clone(), main.theta.column(0).to_vec()),
        Series::new("b", main.t.clone(), main.theta.column(1).to_vec()),
    ];
    let mut row2 = vec![Raster::of(&mt)?, Raster::of(&sched)?];
    if let Some(((n, beta), res)) = full.first() {
        row2.push(Raster::of(&gene_panel(
            res,
            *n,
            *beta,
            &full_scenario(*n, *beta, &p),
        )?)?);
    }
    let path = ctx.path("bif1-figure1.png");
    panels::save_grid(
        &path,
        "Bifurcating network, Figure 1 — heteroclinic flip: landscape boxes, overlaps and genes along the schedule",
        &[row1, row2],
    )?;
    files.push(path);
    // Arrays.
    let npz = ctx.path("bif1-runs.npz");
    let mut w = crate::npy::create_npz(&npz)?;
    w.add_array("t", &Array1::from(main.t.clone()))?;
    w.add_array("theta", &main.theta)?;
    for (beta, r) in &reduced {
        w.add_array(format!("m_reduced_beta{beta}"), &r.m)?;
    }
    for ((n, beta), r) in &full {
        w.add_array(format!("m_full_n{n}_beta{beta}"), &r.m)?;
    }
    w.finish()?;
    files.push(npz);
    ctx.finish(report, files)
}

/// b* of the a = 0 fold (spec §6.3): on the axis x = 0, ∂ᵧV = 4y³ + 3y² + 2cy + b = 0 and
/// ∂ᵧᵧV = 12y² + 6y + 2c = 0 with c = −1: y* = −(3 + √33)/12, computed here by Newton on the
/// closed-form fold set (a(y), b(y)) restricted to x = 0.
fn fold_b_at_a0() -> f64 {
    // G(y) = 12y² + 6y − 2 = 0, lower root; b = −(4y³ + 3y² − 2y).
    let mut y: f64 = -0.7;
    for _ in 0..50 {
        let g = 12.0 * y * y + 6.0 * y - 2.0;
        y -= g / (24.0 * y + 6.0);
    }
    -(4.0 * y * y * y + 3.0 * y * y - 2.0 * y)
}

/// The fold that destroys attractor 2 (x < 0) at fixed b, from the closed-form fold set of spec
/// §6.3 ([`bifurcation::heteroclinic_fold_set`]): bracket b on a y grid, then bisect in y.
fn fold_a_at(b_target: f64) -> f64 {
    let at = |y: f64| -> Option<(f64, f64)> {
        let g = 12.0 * y * y + 6.0 * y - 2.0;
        let xx = 8.0 * y * g / (12.0 * g - 64.0);
        (xx >= 0.0).then(|| {
            let x = -xx.sqrt();
            (
                4.0 * x * x * x - 8.0 * x * y,
                -(4.0 * y * y * y + 3.0 * y * y - 4.0 * x * x - 2.0 * y),
            )
        })
    };
    let set = bifurcation::heteroclinic_fold_set(-1.0, 0.5, 2.0, 3001);
    // Branch with x < 0 and a > 0 (attractor 2 meeting saddle 1).
    let mut pts: Vec<[f64; 4]> = set.into_iter().filter(|r| r[2] < 0.0 && r[0] > 0.0).collect();
    pts.sort_by(|p, q| p[3].total_cmp(&q[3]));
    for w in pts.windows(2) {
        let (b0, b1) = (w[0][1] - b_target, w[1][1] - b_target);
        if b0 * b1 <= 0.0 {
            let (mut lo, mut hi) = (w[0][3], w[1][3]);
            for _ in 0..200 {
                let mid = 0.5 * (lo + hi);
                let (Some((_, bl)), Some((_, bm))) = (at(lo), at(mid)) else {
                    break;
                };
                if (bl - b_target) * (bm - b_target) <= 0.0 {
                    hi = mid;
                } else {
                    lo = mid;
                }
            }
            return at(0.5 * (lo + hi)).map_or(f64::NAN, |(a, _)| a);
        }
    }
    f64::NAN
}

/// The network fold of the attractor-0 analogue on the symmetric line (a = 0): the b at which
/// the stable equilibrium near pattern 0 disappears, by bisection on the count of stable
/// equilibria with m₀ > 0.5.
fn network_fold_b(net: &crate::bifurcating::network::Network) -> f64 {
    let has = |b: f64| {
        net.equilibria(&[0.0, b, -1.0, 4.0], 12)
            .iter()
            .any(|e| e.stability == crate::bifurcating::network::Stability::Stable && e.m[0] > 0.5)
    };
    let (mut lo, mut hi) = (-2.0, -1.6);
    if !has(hi) || has(lo) {
        return f64::NAN;
    }
    for _ in 0..40 {
        let mid = 0.5 * (lo + hi);
        if has(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    0.5 * (lo + hi)
}

fn reduced_checks(report: &mut Report, res: &RunResult, beta: f64) {
    let key = format!("reduced_beta{beta}");
    let ev = |name: &str, to: i64| scenario::first_event(&res.events, name, to).unwrap_or(f64::NAN);
    if beta == 1000.0 {
        let mut worst: f64 = 0.0;
        let mut ok = true;
        for (t, want, tol) in TABLE {
            let m = at(res, t);
            let dev = (0..3).map(|k| (m[k] - want[k]).abs()).fold(0.0, f64::max);
            worst = worst.max(dev);
            ok &= dev <= tol;
        }
        report.check(
            &format!("{key}_table_dev"),
            "max |m(t) − table| over t ∈ {10, 14, 15, 16, 18, 19, 25, 31, 32, 35, 40}",
            worst,
            "spec §7.2 / §11.10: 1e−4 (1e−3 in the fast transients t = 19, 31, 32)",
            ok,
        );
        for (name, to, want) in [
            ("m0<0.999", 1, 14.40),
            ("m0<0.99", 1, 15.13),
            ("m0<0.9", 1, 18.61),
            ("m0<0.5", 1, 19.21),
            ("m1>0.99", 1, 34.12),
        ] {
            let t = ev(name, to);
            report.expect(
                &format!("{key}_t_{}", name.replace(['<', '>', '.'], "_")),
                &format!("β = {beta}: first time {name}"),
                t,
                &format!("spec §7.2: {want} (±0.02)"),
                Criterion::Near {
                    reference: want,
                    tolerance: 0.02,
                },
            );
        }
    } else {
        for (name, want) in [
            ("m0<0.99", 14.95),
            ("m0<0.9", 18.53),
            ("m0<0.5", 19.17),
            ("m1>0.99", 34.12),
        ] {
            let t = ev(name, 1);
            report.expect(
                &format!("{key}_t_{}", name.replace(['<', '>', '.'], "_")),
                &format!("β = {beta}: first time {name}"),
                t,
                &format!("spec §7.2: {want} (±0.02)"),
                Criterion::Near {
                    reference: want,
                    tolerance: 0.02,
                },
            );
        }
    }
    let plateau = at(res, 25.0)[0];
    let want = if beta == 1000.0 { 0.233026 } else { 0.233115 };
    report.expect(
        &format!("{key}_plateau"),
        &format!("β = {beta}: plateau m₀(25)"),
        plateau,
        &format!("spec §7.2: {want} (±1e−5)"),
        Criterion::Near {
            reference: want,
            tolerance: 1e-5,
        },
    );
    let last = res.m.row(res.m.nrows() - 1).to_vec();
    report.check_text(
        &format!("{key}_final"),
        &format!("β = {beta}: final m(60)"),
        &format!("({:.6}, {:.6}, {:.6})", last[0], last[1], last[2]),
        "spec §7.2: pattern 1, (0, 1, 0) (m₁ > 0.999)",
        last[1] > 0.999,
    );
}

fn full_checks(report: &mut Report, res: &RunResult, n: usize, beta: f64) {
    let key = format!("full_n{n}_beta{beta}");
    let early = res
        .t
        .iter()
        .zip(res.m.column(0))
        .filter(|(t, _)| **t <= 14.0)
        .map(|(_, m)| *m)
        .fold(f64::INFINITY, f64::min);
    report.expect(
        &format!("{key}_pure_until_14"),
        &format!("full N = {n}, β = {beta}: min m₀ for t ≤ 14"),
        early,
        "spec §11.11: > 0.999",
        Criterion::Above { bound: 0.999 },
    );
    let t09 = scenario::first_event(&res.events, "m0<0.9", 1).unwrap_or(f64::NAN);
    report.expect(
        &format!("{key}_t_m0_0_9"),
        &format!("full N = {n}, β = {beta}: first time m₀ < 0.9"),
        t09,
        "spec §11.11: in [18.45, 18.75] (Hadamard: 18.610 at β = 1000, 18.535 at β = 100)",
        Criterion::Between { lo: 18.45, hi: 18.75 },
    );
    let m20 = at(res, 20.0)[0];
    report.expect(
        &format!("{key}_m0_t20"),
        &format!("full N = {n}, β = {beta}: m₀(20)"),
        m20,
        "spec §11.11: in [0.2, 0.26]",
        Criterion::Between { lo: 0.2, hi: 0.26 },
    );
    let last = res.m.row(res.m.nrows() - 1).to_vec();
    report.check_text(
        &format!("{key}_final"),
        &format!("full N = {n}, β = {beta}: final m(60)"),
        &format!("({:.6}, {:.6}, {:.6})", last[0], last[1], last[2]),
        "spec §11.11: pattern 1: m₁ > 0.999, |m₀|, |m₂| < 1e−3",
        last[1] > 0.999 && last[0].abs() < 1e-3 && last[2].abs() < 1e-3,
    );
}

/// Unstable manifold of a saddle: RK4 on dz/dt = −∇V from z ± 1e−4·v (v the unstable
/// eigenvector), until the gradient vanishes (< 1e−7) or 20 time units.
fn unstable_branches(pot: &dyn Potential, th: &[f64], s: &CriticalPoint) -> Vec<Vec<(f64, f64)>> {
    let mut h = [0.0; 4];
    pot.hessian(&s.z, th, &mut h);
    // Eigenvector of the negative eigenvalue of the symmetric 2×2 Hessian.
    let (a, b, d) = (h[0], h[1], h[3]);
    let lam = 0.5 * (a + d) - (0.25 * (a - d) * (a - d) + b * b).sqrt();
    let v = if b.abs() > 1e-14 {
        let (x, y) = (b, lam - a);
        let r = x.hypot(y);
        [x / r, y / r]
    } else if a < d {
        [1.0, 0.0]
    } else {
        [0.0, 1.0]
    };
    let grad = |z: [f64; 2]| {
        let mut g = [0.0; 2];
        pot.gradient(&z, th, &mut g);
        [-g[0], -g[1]]
    };
    let mut out = Vec::new();
    for sign in [-1.0, 1.0] {
        let mut z = [s.z[0] + sign * 1e-4 * v[0], s.z[1] + sign * 1e-4 * v[1]];
        let mut pts = vec![(s.z[0], s.z[1]), (z[0], z[1])];
        let dt = 0.002;
        for _ in 0..10_000 {
            let k1 = grad(z);
            let k2 = grad([z[0] + 0.5 * dt * k1[0], z[1] + 0.5 * dt * k1[1]]);
            let k3 = grad([z[0] + 0.5 * dt * k2[0], z[1] + 0.5 * dt * k2[1]]);
            let k4 = grad([z[0] + dt * k3[0], z[1] + dt * k3[1]]);
            for i in 0..2 {
                z[i] += dt / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]);
            }
            pts.push((z[0], z[1]));
            if k1[0].hypot(k1[1]) < 1e-7 {
                break;
            }
        }
        out.push(pts);
    }
    out
}

fn box_panel(
    pot: &dyn Potential,
    a: f64,
    b: f64,
    cps: &[CriticalPoint],
    res: &RunResult,
    (t_lo, t_hi): (f64, f64),
) -> Result<PhasePlane> {
    let th = [a, b, -1.0, 4.0];
    let (xs, ys): (Vec<f64>, Vec<f64>) = (
        (0..121).map(|i| -2.4 + 4.8 * i as f64 / 120.0).collect(),
        (0..121).map(|i| -1.8 + 3.8 * i as f64 / 120.0).collect(),
    );
    let z = Array2::from_shape_fn((ys.len(), xs.len()), |(i, j)| pot.value(&[xs[j], ys[i]], &th));
    let vmin = cps.iter().map(|c| c.value).fold(f64::INFINITY, f64::min);
    let mut curves = Vec::new();
    for k in 0..14 {
        let level = vmin + 0.35 * (k as f64 + 0.5).powf(1.6);
        for line in plot::contour_segments(&xs, &ys, &z, level) {
            let (x, y) = line.into_iter().unzip();
            curves.push(Series {
                x,
                y,
                color: Some(plotters::style::RGBColor(0xb0, 0xb0, 0xb0)),
                width: 1,
                ..Default::default()
            });
        }
    }
    for (i, s) in cps.iter().filter(|c| c.kind == Kind::Saddle).enumerate() {
        for (k, br) in unstable_branches(pot, &th, s).into_iter().enumerate() {
            let (x, y) = br.into_iter().unzip();
            curves.push(Series {
                label: if i == 0 && k == 0 {
                    "saddle → attractor".into()
                } else {
                    String::new()
                },
                x,
                y,
                color: Some(plotters::style::BLACK),
                width: 2,
                ..Default::default()
            });
        }
    }
    let trail: Vec<(f64, f64)> = res
        .t
        .iter()
        .enumerate()
        .filter(|(_, t)| (t_lo..=t_hi).contains(*t))
        .map(|(i, _)| (res.z[[i, 0]], res.z[[i, 1]]))
        .collect();
    Ok(PhasePlane {
        title: format!("V at (a, b) = ({a}, {b}); red: network z(m(t)), t ∈ [{t_lo}, {t_hi}]"),
        x_label: "x".into(),
        y_label: "y".into(),
        bounds: Some(((-2.4, 2.4), (-1.8, 2.0))),
        field: None,
        curves,
        trajectories: vec![Trail {
            points: trail,
            class: Some(3),
        }],
        points: crate::bifurcating::figures::critical_markers(cps),
    })
}

/// Two neurons (§7.4): one with ξ⁰ = +1, ξ¹ = −1 (high in pattern 0) and one with ξ¹ = +1,
/// ξ⁰ = −1 (high in pattern 1).
fn gene_panel(res: &RunResult, n: usize, beta: f64, sc: &Scenario) -> Result<LinePlot> {
    let model = sc.model()?;
    let (Some(pat), Some(x)) = (model.patterns.as_ref(), res.x.as_ref()) else {
        return Err(Error::invalid("gene traces", "the full run has no patterns"));
    };
    let xi = &pat.xi;
    let find = |p: f64, q: f64| (0..xi.nrows()).find(|&i| xi[[i, 0]] == p && xi[[i, 1]] == q);
    let (Some(g0), Some(g1)) = (find(1.0, -1.0), find(-1.0, 1.0)) else {
        return Err(Error::invalid(
            "gene traces",
            "no neuron separates patterns 0 and 1",
        ));
    };
    let mut lp = LinePlot::new(format!("genes x_i(t), full N = {n}, β = {beta}"), "time t", "x_i");
    lp.series = vec![
        Series::new(
            format!("neuron {g0} (high in pattern 0)"),
            res.t.clone(),
            x.column(g0).to_vec(),
        )
        .with_color(plot::tab10(0)),
        Series::new(
            format!("neuron {g1} (high in pattern 1)"),
            res.t.clone(),
            x.column(g1).to_vec(),
        )
        .with_color(plot::tab10(1)),
    ];
    lp.y_range = Some((-1.1, 1.1));
    Ok(lp)
}
