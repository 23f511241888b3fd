//! Folds, connections, margins and network bifurcations against spec bifurcating-hopfield.md
//! §11 items 2, 4, 8, 9 and the loader check of item 14.

use std::sync::Arc;
use waddington::bifurcating::bifurcation::{self, CONTINUATION};
use waddington::bifurcating::critical::{Kind, SearchOptions, critical_points};
use waddington::bifurcating::network::{Embedding, Network, Stability};
use waddington::bifurcating::potentials::{self, Potential};

fn hf() -> potentials::PolyPotential {
    potentials::heteroclinic_flip(false)
}
fn th(a: f64, b: f64) -> Vec<f64> {
    vec![a, b, -1.0, 4.0]
}
fn count(a: f64, b: f64, k: Kind) -> usize {
    critical_points(&hf(), &th(a, b), &SearchOptions::default())
        .unwrap()
        .iter()
        .filter(|c| c.kind == k)
        .count()
}

/// §11 item 2: folds of the heteroclinic flip.
#[test]
fn landscape_folds() {
    let pot = hf();
    // b* at a = 0: attractor 0 meets saddle 0 at y* = −(3 + √33)/12.
    let f = bifurcation::refine_fold(&pot, &th(0.0, -1.5), 1, &[0.0, -0.7], -1.5).unwrap();
    assert!(
        (f.value - -1.502_641_515_443_31).abs() < 1e-10,
        "b* = {}",
        f.value
    );
    assert!((f.z[1] - -(3.0 + 33f64.sqrt()) / 12.0).abs() < 1e-7);
    // a-fold at b = −1 is exactly 4 at (−1, 1); at b = −2 it is 4.473463673167.
    let f = bifurcation::refine_fold(&pot, &th(3.9, -1.0), 0, &[-0.95, 1.05], 3.9).unwrap();
    assert!(
        (f.value - 4.0).abs() < 1e-9 && (f.z[0] + 1.0).abs() < 1e-7 && (f.z[1] - 1.0).abs() < 1e-7,
        "{f:?}"
    );
    let f2 = bifurcation::refine_fold(&pot, &th(4.4, -2.0), 0, &[-1.0, 1.06], 4.4).unwrap();
    assert!((f2.value - 4.473463673167).abs() < 1e-9, "{}", f2.value);
    assert!((f2.z[0] - -1.004058006975).abs() < 1e-8 && (f2.z[1] - 1.060989202567).abs() < 1e-8);
    // The continuation diagram in b at a = 0 finds b* by itself.
    let br = bifurcation::landscape_diagram(&pot, &th(0.0, -1.0), 1, -2.5, -0.5, &CONTINUATION).unwrap();
    let folds: Vec<f64> = br.iter().flat_map(|b| b.folds.iter().map(|f| f.value)).collect();
    assert!(
        folds.iter().any(|v| (v - -1.502_641_515_443_31).abs() < 1e-10),
        "folds {folds:?}"
    );
    // The two-parameter fold curve through the b = −1 a-fold passes b = −1.6, −2, −2.5, −3 at the
    // §6.3 values, and every point satisfies ∇V = 0, det∇²V = 0.
    let curve = bifurcation::fold_curve(&pot, &f, 1, (0.0, 10.0), (-3.2, 0.0), &CONTINUATION);
    for (b, a_ref) in [
        (-1.6, 4.2900781481),
        (-2.0, 4.473463673167),
        (-2.5, 4.6929267188),
        (-3.0, 4.9027883846),
    ] {
        let seg = curve
            .params
            .windows(2)
            .position(|w| (w[0][1] - b) * (w[1][1] - b) <= 0.0)
            .expect("crosses b");
        let z0 = curve.z[seg].clone();
        let g = bifurcation::refine_fold(&pot, &th(curve.params[seg][0], b), 0, &z0, curve.params[seg][0])
            .unwrap();
        assert!(
            (g.value - a_ref).abs() < 1e-9,
            "b = {b}: a = {} vs {a_ref}",
            g.value
        );
    }
    for (p, z) in curve.params.iter().zip(&curve.z) {
        let t = th(p[0], p[1]);
        let mut gr = [0.0; 2];
        pot.gradient(z, &t, &mut gr);
        let mut h = [0.0; 4];
        pot.hessian(z, &t, &mut h);
        assert!(gr[0].abs() < 1e-9 && gr[1].abs() < 1e-9 && (h[0] * h[3] - h[1] * h[2]).abs() < 1e-9);
    }
    // The closed form (§6.3) gives points with ∇V = 0 and det = 0, and contains (±4, −1).
    let set = bifurcation::heteroclinic_fold_set(-1.0, -2.0, 3.0, 5001);
    for r in &set {
        let t = th(r[0], r[1]);
        let mut gr = [0.0; 2];
        pot.gradient(&[r[2], r[3]], &t, &mut gr);
        let mut h = [0.0; 4];
        pot.hessian(&[r[2], r[3]], &t, &mut h);
        let scale = 1.0 + r[0].abs() + r[1].abs();
        assert!(gr[0].abs() < 1e-9 * scale && gr[1].abs() < 1e-9 * scale);
        assert!((h[0] * h[3] - h[1] * h[2]).abs() < 1e-9 * (1.0 + h[0].abs() * h[3].abs() + h[1] * h[1]));
    }
    assert!(
        set.iter().any(|r| (r[3] - 1.0).abs() < 1e-12
            && (r[0].abs() - 4.0).abs() < 1e-9
            && (r[1] + 1.0).abs() < 1e-9)
    );
    // Minima: 3 → 2 across b*, 2 → 1 across the a-fold at b = −2.
    assert_eq!(count(0.0, -1.5026, Kind::Minimum), 3);
    assert_eq!(count(0.0, -1.5027, Kind::Minimum), 2);
    assert_eq!(count(4.4734, -2.0, Kind::Minimum), 2);
    assert_eq!(count(4.4735, -2.0, Kind::Minimum), 1);
}

/// §11 item 4: the connection graph (heteroclinic flip at a = 0).
#[test]
fn connection_graph() {
    let pot = hf();
    for &(a, b) in &[(0.05, -1.0), (-0.05, -1.0), (0.05, -1.4), (0.0, -1.0)] {
        let t = th(a, b);
        let cps = critical_points(&pot, &t, &SearchOptions::default()).unwrap();
        let con = bifurcation::connections(&pot, &t, &cps, 400.0).unwrap();
        let saddles: Vec<usize> = (0..cps.len()).filter(|&i| cps[i].kind == Kind::Saddle).collect();
        // saddle 0 = lower saddle, saddle 1 = upper saddle.
        let (s0, s1) = (saddles[0], saddles[1]);
        assert!(cps[s0].z[1] < cps[s1].z[1]);
        let ends =
            |s: usize| -> Vec<&bifurcation::Connection> { con.iter().filter(|c| c.saddle == s).collect() };
        let e0 = ends(s0);
        let up = e0
            .iter()
            .max_by(|x, y| x.end_z[1].total_cmp(&y.end_z[1]))
            .unwrap();
        let down = e0
            .iter()
            .min_by(|x, y| x.end_z[1].total_cmp(&y.end_z[1]))
            .unwrap();
        let endp = |c: &bifurcation::Connection| &cps[c.end.unwrap()];
        // Lower branch of saddle 0 always ends at attractor 0 (the minimum with x ≈ 0 below).
        assert_eq!(endp(down).kind, Kind::Minimum);
        assert!(endp(down).z[1] < 0.0, "({a},{b}) lower branch {:?}", endp(down).z);
        if a == 0.0 {
            assert_eq!(up.end, Some(s1), "({a},{b}) upper branch should end at saddle 1");
            assert!(up.distance < 1e-4);
        } else {
            assert_eq!(endp(up).kind, Kind::Minimum);
            assert_eq!(
                endp(up).z[0].signum(),
                a.signum(),
                "({a},{b}) upper branch ends at {:?}",
                endp(up).z
            );
        }
        let e1 = ends(s1);
        let mut xs: Vec<f64> = e1.iter().map(|c| endp(c).z[0]).collect();
        xs.sort_by(f64::total_cmp);
        assert!(e1.iter().all(|c| endp(c).kind == Kind::Minimum));
        assert!(
            xs[0] < -1.0 && xs[1] > 1.0,
            "saddle 1 should connect to attractors 1 and 2: {xs:?}"
        );
    }
}

fn fig_net(beta: f64, lambda: f64) -> Network {
    let pot = Arc::new(hf());
    let x1 = 1.617276368077;
    let y1 = 1.307791425370;
    // Anchors (§6.5) from the closed forms.
    let anchors =
        waddington::bifurcating::network::anchors_from_minima(pot.as_ref(), &th(0.0, -1.0), 3, false)
            .unwrap();
    assert!(
        (anchors[1][0] - x1).abs() < 1e-11
            && (anchors[1][1] - y1).abs() < 1e-11
            && anchors[2][0] == -anchors[1][0]
    );
    let mut n = Network::uncorrelated(pot, Embedding::Anchors(anchors), 3);
    n.beta = beta;
    n.lambda = lambda;
    n
}

/// §11 item 8: pure-pattern margins at β → ∞ (λ = 1) and the §7.3 λ table.
#[test]
fn margins_and_lambda_table() {
    let table = [
        (0.5, -1.866629, -2.229829, 0.618324),
        (1.0, -1.433315, -1.862946, 0.309162),
        (2.0, -1.216657, -1.681952, 0.154581),
        (5.0, -1.086663, -1.574161, 0.061832),
        (10.0, -1.043331, -1.538367, 0.030916),
        (100.0, -1.004333, -1.506211, 0.003092),
    ];
    for (lam, b_pure, b_fold, a_pure) in table {
        let net = fig_net(1e9, lam);
        let bsw = waddington::continuation::root(|b| net.margin(0, &th(0.0, b)), -1.0001, -3.0).unwrap();
        let asw = waddington::continuation::root(|a| net.margin(2, &th(a, -2.0)), 0.0, 2.0).unwrap();
        assert!((bsw - b_pure).abs() < 1e-5, "lambda {lam}: b_sw {bsw}");
        assert!((asw - a_pure).abs() < 1e-5, "lambda {lam}: a_sw {asw}");
        if lam == 1.0 {
            assert!((bsw - -1.4333147220).abs() < 1e-9);
            assert!((asw - 0.3091617548).abs() < 1e-9);
        }
        // β → ∞ fold from the β = 1000 fold (support and position as the starting guess).
        let n1000 = fig_net(1000.0, lam);
        let f1000 =
            bifurcation::track_network_fold(&n1000, &th(0.0, -1.0), 1, &[1.0, 0.0, 0.0], -1.0, -3.0, 400)
                .unwrap_or_else(|| panic!("lambda {lam}: no beta = 1000 fold"));
        let fold =
            bifurcation::kkt_fold(&net, &th(0.0, f1000.value), 1, &[0, 1, 2], &f1000.m, f1000.value).unwrap();
        assert!(
            (fold.value - b_fold).abs() < 1e-5,
            "lambda {lam}: KKT fold {}",
            fold.value
        );
    }
}

/// §11 item 9: network equilibria and network folds (a = 0, λ = 1, C = I).
#[test]
fn network_equilibria_and_folds() {
    let net = fig_net(1000.0, 1.0);
    let sym = |eqs: &[waddington::bifurcating::network::Equilibrium]| -> Vec<(f64, Stability)> {
        eqs.iter()
            .filter(|e| (e.m[1] - e.m[2]).abs() < 1e-9)
            .map(|e| (e.m[0], e.stability))
            .collect()
    };
    let e16 = net.equilibria(&th(0.0, -1.6), 12);
    let s = sym(&e16);
    for (m0, st) in [
        (0.9776150966, Stability::Stable),
        (0.7948483149, Stability::Unstable),
        (0.252472051, Stability::Unstable),
    ] {
        assert!(
            s.iter().any(|(x, y)| (x - m0).abs() < 1e-8 && *y == st),
            "b=-1.6: {m0} {st:?} not in {s:?}"
        );
    }
    assert_eq!(s.len(), 3, "b = -1.6 symmetric equilibria {s:?}");
    let e2 = net.equilibria(&th(0.0, -2.0), 12);
    let s = sym(&e2);
    assert_eq!(s.len(), 1, "{s:?}");
    assert!((s[0].0 - 0.2330263141).abs() < 1e-8 && s[0].1 == Stability::Unstable);
    for k in [1, 2] {
        assert!(
            e2.iter()
                .any(|e| e.m[k] > 0.999 && e.stability == Stability::Stable),
            "pattern {k} stable"
        );
    }
    // Euler characteristic on the simplex: #stable − #index-1 + #index-2 = 1.
    for eqs in [&e16, &e2] {
        let chi: i64 = eqs.iter().map(|e| if e.index % 2 == 0 { 1 } else { -1 }).sum();
        assert_eq!(chi, 1);
    }
    let net100 = fig_net(100.0, 1.0);
    let s = sym(&net100.equilibria(&th(0.0, -2.0), 12));
    assert!(s.iter().any(|(x, _)| (x - 0.2331152858).abs() < 1e-8), "{s:?}");

    // Network folds in b (a = 0) from pattern 0, and in a (b = −2) from pattern 2.
    for (beta, b_ref, a_ref) in [(1000.0, -1.861725, 4.73342134), (100.0, -1.850773, 4.72654069)] {
        let n = fig_net(beta, 1.0);
        let fb = bifurcation::track_network_fold(&n, &th(0.0, -1.0), 1, &[1.0, 0.0, 0.0], -1.0, -2.5, 200)
            .unwrap();
        assert!(
            (fb.value - b_ref).abs() < 1e-5,
            "beta {beta}: b fold {}",
            fb.value
        );
        let fa =
            bifurcation::track_network_fold(&n, &th(0.0, -2.0), 0, &[0.0, 0.0, 1.0], 0.0, 6.0, 300).unwrap();
        assert!(
            (fa.value - a_ref).abs() < 1e-6,
            "beta {beta}: a fold {}",
            fa.value
        );
    }
    // β → ∞: KKT folds, using the β = 1000 fold's support and position as the starting guess.
    let ninf = fig_net(1e9, 1.0);
    let n1000 = fig_net(1000.0, 1.0);
    let fb = bifurcation::track_network_fold(&n1000, &th(0.0, -1.0), 1, &[1.0, 0.0, 0.0], -1.0, -2.5, 200)
        .unwrap();
    let kb = bifurcation::kkt_fold(&ninf, &th(0.0, fb.value), 1, &[0, 1, 2], &fb.m, fb.value).unwrap();
    assert!((kb.value - -1.8629457494).abs() < 1e-5, "{}", kb.value);
    assert!((kb.m[0] - 0.892811).abs() < 1e-5 && (kb.m[1] - 0.053595).abs() < 1e-5);
    let fa =
        bifurcation::track_network_fold(&n1000, &th(0.0, -2.0), 0, &[0.0, 0.0, 1.0], 0.0, 6.0, 300).unwrap();
    let support: Vec<usize> = (0..3).filter(|&k| fa.m[k] > 1e-3).collect();
    let ka = bifurcation::kkt_fold(&ninf, &th(fa.value, -2.0), 0, &support, &fa.m, fa.value).unwrap();
    assert!(
        (ka.value - 4.73418625).abs() < 1e-6,
        "support {support:?}: {}",
        ka.value
    );
    // β → ∞ saddle-1 analogue m₀* = 0.2330164203 (full support, symmetric).
    let ms = bifurcation::kkt_equilibrium(&ninf, &th(0.0, -2.0), &[0, 1, 2], &[0.23, 0.385, 0.385]).unwrap();
    assert!((ms[0] - 0.2330164203).abs() < 1e-9, "{ms:?}");
}

/// §11 item 14 (krumsiek11 part): 640 × 11, sum 2016.5208, first row; class-mean C of §8.4.
#[test]
fn krumsiek11_loader() {
    use waddington::bifurcating::data::Krumsiek11;
    use waddington::bifurcating::patterns::{Normalisation, Patterns, normalise};
    let d = Krumsiek11::embedded().unwrap();
    assert_eq!(d.expr.dim(), (640, 11));
    assert!((d.expr.sum() - 2016.5208).abs() < 5e-4, "{}", d.expr.sum());
    let first = [
        0.8032, -0.0005, -0.0001, 0.0003, 0.0013, 0.0011, 0.7997, 0.8017, 0.0006, 0.0009, 0.0002,
    ];
    for (a, b) in d.expr.row(0).iter().zip(first) {
        assert_eq!(*a, b);
    }
    assert_eq!(d.genes[0], "Gata2");
    assert_eq!(d.genes[10], "Gfi1");
    let classes: Vec<String> = ["progenitor", "Mo", "Neu"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let mut xi = d.class_means(&classes).unwrap();
    let raw = Patterns::new(xi.clone(), 1e8).unwrap();
    for (k, v) in [0.113, 0.347, 0.258].iter().enumerate() {
        assert!((raw.c[[k, k]] - v).abs() < 1e-3, "raw C diag {}", raw.c[[k, k]]);
    }
    normalise(&mut xi, Normalisation::ZScore).unwrap();
    let p = Patterns::new(xi, 1e8).unwrap();
    let c_ref = [
        [1.0, 0.69091, 0.580516],
        [0.69091, 1.0, 0.414133],
        [0.580516, 0.414133, 1.0],
    ];
    for (i, row) in c_ref.iter().enumerate() {
        for (j, cr) in row.iter().enumerate() {
            assert!((p.c[[i, j]] - cr).abs() < 1e-5, "C[{i},{j}] = {}", p.c[[i, j]]);
        }
    }
    // Mo means (§9.1): Cebpa 0.998, Pu.1 0.963.
    let mo = d.class_means(&["Mo".to_string()]).unwrap();
    assert!((mo[[6, 0]] - 0.998).abs() < 1e-3 && (mo[[7, 0]] - 0.963).abs() < 1e-3);
}
