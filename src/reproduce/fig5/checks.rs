//! The checks of Fig. 5: the bifurcation diagram and the validation runs against spec §6.6, and
//! the two-memory dynamics against the reduced theory (quantity, ours, reference, criterion).

use super::*;

pub(super) fn diagram_checks(
    report: &mut Report,
    diagram: &branches::Diagram,
    sys: &TwoMemory,
    v: &Validation,
) {
    let fold_in = |lo: f64, hi: f64| {
        diagram
            .folds
            .iter()
            .map(|f| f.n)
            .filter(|&n| n > lo && n < hi)
            .fold(f64::NAN, f64::min)
    };
    let low = fold_in(15.0, 30.0);
    let high = fold_in(30.0, 45.0);
    report.expect(
        "fold_low",
        "first saddle-node (4-like stable FP disappears), n",
        low,
        "spec §6.6: n ≈ 24.05 (24.0 bistable, 24.1 monostable)",
        Criterion::Between { lo: 24.0, hi: 24.1 },
    );
    report.expect(
        "fold_high",
        "second saddle-node (stable FP with ℓ < 0 reappears), n",
        high,
        "spec §6.6: n ≈ 36.45 (36.4 monostable, 36.5 bistable)",
        Criterion::Between { lo: 36.4, hi: 36.5 },
    );
    report.info(
        "fold_count",
        "folds found in n ∈ [1.2, 71.9]",
        diagram.folds.len() as f64,
        "spec §5.6: two",
    );
    for (n, want) in [(24.0, 2.0), (24.1, 1.0), (36.4, 1.0), (36.5, 2.0)] {
        let stable = pair::upper_fixed_points(sys, control(n))
            .iter()
            .filter(|f| f.stability == Stability::Stable)
            .count() as f64;
        report.check(
            &format!("stable_count_n{}", format!("{n}").replace('.', "_")),
            &format!("stable fixed points at n = {n}"),
            stable,
            &format!("spec §5.6: {want}"),
            stable == want,
        );
    }
    for (n, want) in [
        (25.0, [0.498, 0.078]),
        (30.0, [0.477, 0.055]),
        (35.0, [0.502, 0.293]),
    ] {
        let fps: Vec<FixedPoint> = pair::upper_fixed_points(sys, control(n))
            .into_iter()
            .filter(|f| f.stability == Stability::Stable)
            .collect();
        let (a, l) = fps.first().map_or((f64::NAN, f64::NAN), |f| (f.alpha, f.ell));
        let ok = fps.len() == 1;
        report.check(
            &format!("fp_n{n}_alpha"),
            &format!("monostable FP at n = {n}: α"),
            a,
            &format!("spec §6.6: {} (±0.005)", want[0]),
            ok && (a - want[0]).abs() <= 0.005,
        );
        report.check(
            &format!("fp_n{n}_ell"),
            &format!("monostable FP at n = {n}: ℓ"),
            l,
            &format!("spec §6.6: {} (±0.005)", want[1]),
            ok && (l - want[1]).abs() <= 0.005,
        );
    }
    let fps = pair::upper_fixed_points(sys, control(20.0));
    let kinds: Vec<&str> = fps.iter().map(|f| pair::stability_name(f.stability)).collect();
    let text = fps
        .iter()
        .map(|f| {
            format!(
                "({:.3}, {:.3}) {}",
                f.alpha,
                f.ell,
                pair::stability_name(f.stability)
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    let want = [[0.384, -0.096], [0.464, -0.001], [0.561, 0.096]];
    let close = fps.len() == 3
        && fps
            .iter()
            .zip(want)
            .all(|(f, w)| (f.alpha - w[0]).abs() <= 0.005 && (f.ell - w[1]).abs() <= 0.005);
    report.check_text(
        "fps_n20",
        "fixed points at n = 20 (α, ℓ), by ℓ",
        &text,
        "spec §6.6: (0.384, −0.096) stable, (0.464, −0.001) unstable (middle), (0.561, 0.096) stable",
        close && kinds[0] == "stable" && kinds[1] != "stable" && kinds[2] == "stable",
    );
    let mut worst: f64 = 0.0;
    for (n, from_b, from_a) in VALIDATION_TABLE {
        let i = v.n.iter().position(|&x| (x - n).abs() < 1e-9);
        let Some(i) = i else { continue };
        for (side, got, want) in [("4", v.from_b[i], from_b), ("1", v.from_a[i], from_a)] {
            let dev = (got[0] - want[0]).abs().max((got[1] - want[1]).abs());
            worst = worst.max(dev);
            report.check_text(
                &format!("validation_n{}_from{side}", format!("{n}").replace('.', "_")),
                &format!("K = 1 at T_eff, n = {n}, from the {side}: final (α, ℓ)"),
                &format!("({:.3}, {:.3})", got[0], got[1]),
                &format!("spec §5.6: ({}, {}) (±0.01)", want[0], want[1]),
                dev <= 0.01,
            );
        }
    }
    report.info(
        "validation_max_dev",
        "largest deviation from the §5.6 table (α or ℓ)",
        worst,
        "—",
    );
}

pub(super) fn dynamics_checks(report: &mut Report, sys: &TwoMemory, run: &PairRun, n: f64, eta: f64) {
    let split = split_epoch(run);
    let last = run.epochs.len() - 1;
    let until = split.map_or(last, |s| run.epochs.iter().position(|&e| e == s).unwrap_or(last));
    // The mean memory follows the reduced K = 2 system (same η) until the split.
    let mut st = crate::reduced::State {
        alpha: 0.8,
        beta: 0.2,
        ell: 0.5,
    };
    let mut dev: f64 = 0.0;
    for i in 0..until {
        let (a, l) = (
            0.5 * (run.alpha[[i, 0]] + run.alpha[[i, 1]]),
            0.5 * (run.ell[[i, 0]] + run.ell[[i, 1]]),
        );
        dev = dev.max((a - st.alpha).abs()).max((l - st.ell).abs());
        st = sys.step(st, eta, control(n));
    }
    let key = format!("dynamics_n{n}");
    report.info(
        &format!("{key}_split_epoch"),
        &format!("n = {n}: first epoch with |α₁ − α₂| or |ℓ₁ − ℓ₂| > 1e−3 (3500 = none)"),
        split.map_or(run.epochs[last] as f64, |s| s as f64),
        "paper Fig. 5: the ±1e−8 asymmetry grows only near the unstable directions",
    );
    report.expect(
        &format!("{key}_presplit_dev"),
        &format!("n = {n}: max |mean (α, ℓ) − reduced K = 2 simulation| before the split"),
        dev,
        "spec §5.1: identical memories move as one at T_eff (< 1e−3)",
        Criterion::Below { bound: 1e-3 },
    );
    // Before the split the joint memory settles on a stable fixed point of the K = 2 system.
    let stable_all = pair::stable_fixed_points(sys, control(n));
    let settle = (0..until.max(1))
        .map(|i| {
            let (a, l) = (
                0.5 * (run.alpha[[i, 0]] + run.alpha[[i, 1]]),
                0.5 * (run.ell[[i, 0]] + run.ell[[i, 1]]),
            );
            stable_all
                .iter()
                .map(|f| (f.alpha - a).abs().max((f.ell - l).abs()))
                .fold(f64::INFINITY, f64::min)
        })
        .fold(f64::INFINITY, f64::min);
    report.expect(
        &format!("{key}_presplit_fp"),
        &format!("n = {n}: closest approach of the joint memory to a stable FP of the reduced system before the split"),
        settle,
        "theory: the symmetric run converges to a stable FP of the K = 2 reduced system (< 0.01)",
        Criterion::Below { bound: 0.01 },
    );
    // Where the theory says the run ends: the stable fixed points of the K = 2 reduced system
    // (while the memories stay together), or — after a split — the two memories on opposite sides.
    let stable: Vec<FixedPoint> = pair::upper_fixed_points(sys, control(n))
        .into_iter()
        .filter(|f| f.stability == Stability::Stable)
        .collect();
    let dist = |m: usize| {
        stable
            .iter()
            .map(|f| {
                (f.alpha - run.alpha[[last, m]])
                    .abs()
                    .max((f.ell - run.ell[[last, m]]).abs())
            })
            .fold(f64::INFINITY, f64::min)
    };
    let ends = format!(
        "memory 1 (α, ℓ) = ({:.3}, {:.3}), memory 2 ({:.3}, {:.3})",
        run.alpha[[last, 0]],
        run.ell[[last, 0]],
        run.alpha[[last, 1]],
        run.ell[[last, 1]]
    );
    let reduced_end = sys.simulate(
        crate::reduced::State {
            alpha: 0.8,
            beta: 0.2,
            ell: 0.5,
        },
        eta,
        run.epochs[last],
        control(n),
    );
    let fp_text = stable
        .iter()
        .map(|f| format!("({:.3}, {:.3})", f.alpha, f.ell))
        .collect::<Vec<_>>()
        .join(", ");
    if split.is_none() {
        let d = dist(0).max(dist(1));
        report.check_text(
            &format!("{key}_end"),
            &format!("n = {n}: final state (no split) vs stable FPs of the reduced system"),
            &format!("{ends}; distance {d:.4}"),
            &format!(
                "theory: a stable FP ({fp_text}); reduced run ends at ({:.3}, {:.3}) (< 0.01)",
                reduced_end.alpha, reduced_end.ell
            ),
            d < 0.01,
        );
    } else {
        let apart = (run.alpha[[last, 0]] - run.alpha[[last, 1]]).abs();
        report.check_text(
            &format!("{key}_end"),
            &format!("n = {n}: final state after the split"),
            &format!("{ends}; |α₁ − α₂| = {apart:.3}"),
            &format!(
                "theory: the symmetric state is transversally unstable; the memories separate \
                 (|α₁ − α₂| > 0.1); stable FPs of the joint system: {fp_text}"
            ),
            apart > 0.1,
        );
    }
}
