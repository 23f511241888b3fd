//! The network: reduction, Tiňo equilibria, Figure 1 (spec bifurcating-hopfield.md §11 items 5,
//! 6, 7, 10, 11).

use std::sync::Arc;
use waddington::bifurcating::network::{Convention, Embedding, Network, Stability};
use waddington::bifurcating::ode::{DpOptions, dormand_prince};
use waddington::bifurcating::patterns::{self, Patterns};
use waddington::bifurcating::potentials::{self, PolyPotential};
use waddington::bifurcating::scenario::{self, Mode, PatternSpec, Scenario, first_event};

fn fig1(beta: f64) -> Scenario {
    Scenario::figure1(beta, 6.0)
}

/// §11 item 10: Figure 1, symmetric reference (reduced, β = 1000): table §7.2 to 1e−4 (1e−3 in
/// fast transients), plateau m₀ on [21, 29] = 0.233026 ± 1e−5, m₁ > 0.99 first at 34.12 ± 0.02.
#[test]
fn figure1_reduced_symmetric_reference() {
    let sc = fig1(1000.0);
    let model = sc.model().unwrap();
    let r = scenario::run(&sc, &model, 0).unwrap();
    let at = |t: f64| {
        let i = r.t.iter().position(|&x| (x - t).abs() < 1e-9).unwrap();
        r.m.row(i).to_vec()
    };
    let table: &[(f64, [f64; 3], f64)] = &[
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
        (60.0, [0.0, 1.0, 0.0], 1e-4),
    ];
    for (t, m, tol) in table {
        let got = at(*t);
        for k in 0..3 {
            assert!(
                (got[k] - m[k]).abs() < *tol,
                "t = {t}: m = {got:?}, expected {m:?}"
            );
        }
    }
    for (i, &t) in r.t.iter().enumerate() {
        if (21.0..=29.0).contains(&t) {
            assert!(
                (r.m[[i, 0]] - 0.233026).abs() < 1e-5,
                "plateau at t = {t}: {}",
                r.m[[i, 0]]
            );
        }
    }
    let t99 = first_event(&r.events, "m1>0.99", 1).unwrap();
    assert!((t99 - 34.12).abs() < 0.02, "m1 > 0.99 at {t99}");
    let e = |n: &str| first_event(&r.events, n, 1).unwrap();
    assert!((e("m0<0.999") - 14.40).abs() < 0.01, "{}", e("m0<0.999"));
    assert!((e("m0<0.99") - 15.13).abs() < 0.01);
    assert!((e("m0<0.9") - 18.61).abs() < 0.01);
    assert!((e("m0<0.5") - 19.21).abs() < 0.01);
    assert_eq!(r.final_pattern, Some(1));
}

fn full_scenario(beta: f64, kind: &str, n: usize, seed: u64, conv: Convention) -> Scenario {
    let mut sc = fig1(beta);
    sc.run.mode = Mode::Full;
    sc.run.dt_out = 0.5;
    sc.run.rtol = 1e-8;
    sc.run.atol = 1e-10;
    sc.network.convention = conv;
    sc.patterns = Some(PatternSpec {
        kind: kind.into(),
        n: Some(n),
        seed,
        fraction: None,
        path: None,
        classes: None,
        normalise: None,
    });
    sc
}

/// §11 item 11: Figure 1 robust observables with full-N integration (Hadamard patterns, any
/// convention; random patterns with convention A): m₀ > 0.999 for t ≤ 14; first m₀ < 0.9 in
/// [18.45, 18.75]; m₀(20) ∈ [0.2, 0.26]; final state pattern 1 with m₁(60) > 0.999.
#[test]
fn figure1_full_network_robust_observables() {
    let cases = [
        (1000.0, "hadamard", 128, 0, Convention::Contravariant),
        (100.0, "hadamard", 256, 0, Convention::RaisedGradient),
        (1000.0, "random", 128, 3, Convention::Covariant),
    ];
    for (beta, kind, n, seed, conv) in cases {
        let sc = full_scenario(beta, kind, n, seed, conv);
        let model = sc.model().unwrap();
        let r = scenario::run(&sc, &model, 0).unwrap();
        let what = format!("{kind} N={n} beta={beta} {conv:?}");
        for (i, &t) in r.t.iter().enumerate() {
            if t <= 14.0 {
                assert!(r.m[[i, 0]] > 0.999, "{what}: m0({t}) = {}", r.m[[i, 0]]);
            }
        }
        let t09 = first_event(&r.events, "m0<0.9", 1).unwrap();
        assert!((18.45..=18.75).contains(&t09), "{what}: m0 < 0.9 at {t09}");
        let i20 = r.t.iter().position(|&t| (t - 20.0).abs() < 1e-9).unwrap();
        assert!(
            (0.2..=0.26).contains(&r.m[[i20, 0]]),
            "{what}: m0(20) = {}",
            r.m[[i20, 0]]
        );
        let last = r.m.nrows() - 1;
        assert!(r.m[[last, 1]] > 0.999, "{what}: final m = {:?}", r.m.row(last));
        assert!(r.m[[last, 0]].abs() < 1e-3 && r.m[[last, 2]].abs() < 1e-3);
    }
    // Random patterns with convention C: only the final state is asserted.
    let sc = full_scenario(1000.0, "random", 128, 11, Convention::Contravariant);
    let r = scenario::run(&sc, &sc.model().unwrap(), 0).unwrap();
    assert_eq!(r.final_pattern, Some(1));
    assert!(r.m[[r.m.nrows() - 1, 1]] > 0.999);
}

/// §11 item 5: full-N vs reduced + reconstruction, N = 200 random patterns, a = 0.3 fixed,
/// b ramp, all conventions: max |Δx| < 1e−6 with rtol 1e−10.
#[test]
fn reduction_is_exact() {
    for conv in [
        Convention::Covariant,
        Convention::RaisedGradient,
        Convention::Contravariant,
    ] {
        let mut sc = full_scenario(100.0, "random", 200, 5, conv);
        sc.schedule.insert(
            "a".into(),
            waddington::bifurcating::schedule::Track::Constant(0.3),
        );
        sc.schedule.insert(
            "b".into(),
            waddington::bifurcating::schedule::Track::Keyframes(vec![[0.0, -1.0], [5.0, -1.0], [15.0, -2.0]]),
        );
        sc.run.t_end = 20.0;
        sc.run.rtol = 1e-10;
        sc.run.atol = 1e-12;
        let model = sc.model().unwrap();
        let pt = model.patterns.as_ref().unwrap();
        // Start off the pattern span: x(0) = ξ⁰ + r(0) with r(0) ⟂ span Ξ.
        let mut x0 = pt.xi.column(0).to_owned();
        let mut r0 = ndarray::Array1::from_shape_fn(pt.n(), |i| ((i * 37 % 11) as f64 - 5.0) * 0.05);
        let proj = pt.xi.dot(&pt.covariant(r0.view()));
        r0 -= &proj;
        x0 += &r0;
        let m0 = pt.covariant(x0.view()).to_vec();
        let net = &model.network;
        let sched = &model.schedule;
        let t_out: Vec<f64> = (0..=40).map(|i| i as f64 * 0.5).collect();
        let opts = DpOptions {
            rtol: 1e-10,
            atol: 1e-12,
            ..Default::default()
        };
        let full = dormand_prince(
            |t, x, o| net.full_rhs(pt, x, &sched.eval(t), o),
            0.0,
            x0.as_slice().unwrap(),
            &t_out,
            &sched.kinks(),
            &[],
            &opts,
        )
        .unwrap();
        let red = dormand_prince(
            |t, m, o| net.reduced_rhs(m, &sched.eval(t), o),
            0.0,
            &m0,
            &t_out,
            &sched.kinks(),
            &[],
            &opts,
        )
        .unwrap();
        let mut worst: f64 = 0.0;
        for (k, &t) in t_out.iter().enumerate() {
            let xr = pt.reconstruct(ndarray::ArrayView1::from(&red.y[k])) + &(&r0 * (-t).exp());
            for i in 0..pt.n() {
                worst = worst.max((xr[i] - full.y[k][i]).abs());
            }
        }
        assert!(worst < 1e-6, "{conv:?}: max |Δx| = {worst}");
    }
}

fn tino_network(p: usize, beta: f64) -> Network {
    // V = 0 (a polynomial with only a zero term on the identity embedding), C = I.
    let vars: Vec<String> = (0..p).map(|i| format!("m{i}")).collect();
    let expr = format!("0*{}", vars[0]);
    let pot = PolyPotential::user(&expr, &vars, &Default::default()).unwrap();
    let mut n = Network::uncorrelated(Arc::new(pot), Embedding::Identity, p);
    n.beta = beta;
    n
}

/// §11 item 6: Tiňo (V = 0, C = I): uniform point stable iff β < P with eigenvalue β/P − 1;
/// one-high fixed-point values; integration from near e₀ converges to 0.999909084 (1e−9).
#[test]
fn tino_equilibria() {
    for &(p, beta) in &[(3usize, 2.0), (3, 4.0), (5, 4.0), (5, 6.0)] {
        let net = tino_network(p, beta);
        let uni = vec![1.0 / p as f64; p];
        let ev = net.tangent_eigenvalues(&uni, &[]);
        for e in &ev {
            assert!((e.0 - (beta / p as f64 - 1.0)).abs() < 1e-12);
        }
        let cls = net.classify(&uni, &[]);
        assert_eq!(cls.stability == Stability::Stable, beta < p as f64);
    }
    let cases: &[(usize, f64, f64, Stability)] = &[
        (2, 4.0, 0.978752012038634, Stability::Stable),
        (3, 4.0, 0.953930268877326, Stability::Stable),
        (3, 10.0, 0.999909084495658, Stability::Stable),
        (5, 4.0, 0.375637927237522, Stability::Unstable),
        (5, 4.0, 0.884594667699683, Stability::Stable),
        (10, 10.0, 0.999589702043336, Stability::Stable),
    ];
    for &(p, beta, a, st) in cases {
        let net = tino_network(p, beta);
        let eqs = net.equilibria(&[], if p <= 5 { 8 } else { 2 });
        let hit = eqs
            .iter()
            .find(|e| (e.m[0] - a).abs() < 1e-9)
            .unwrap_or_else(|| panic!("P={p} beta={beta}: no one-high equilibrium with a = {a}"));
        assert_eq!(hit.stability, st, "P={p} beta={beta} a={a}");
    }
    for &(p, beta) in &[(3usize, 20.0), (4, 25.0), (6, 30.0)] {
        let net = tino_network(p, beta);
        let mut e = vec![0.0; p];
        e[0] = 1.0;
        let v: Vec<f64> = e.iter().map(|x| beta * x).collect();
        let m = net.equilibrium_from(&v, &[]).unwrap();
        let pred = (p as f64 - 1.0) * (-beta).exp();
        assert!(((1.0 - m[0]) / pred - 1.0).abs() < 0.01, "P={p} beta={beta}");
    }
    // Integrate from a random point near e₀ at β = 10, P = 3.
    let net = tino_network(3, 10.0);
    let m0 = [0.8, 0.13, 0.07];
    let s = dormand_prince(
        |_, m, o| net.reduced_rhs(m, &[], o),
        0.0,
        &m0,
        &[60.0],
        &[],
        &[],
        &Default::default(),
    )
    .unwrap();
    assert!((s.y[0][0] - 0.999909084495658).abs() < 1e-9, "{:?}", s.y[0]);
}

/// The saddle-node of one-high states: β_sn(P) (spec §11 item 6), located by bisection on the
/// existence of a non-uniform one-high equilibrium on the line m = (a, (1−a)/(P−1), ...).
#[test]
fn tino_saddle_node_betas() {
    // ln[a(P−1)/(1−a)] = β(a − (1−a)/(P−1)): β(a) = ln[a(P−1)/(1−a)] / (a − (1−a)/(P−1));
    // β_sn = min over a > 1/P of β(a). Checked against the network's equilibria on both sides.
    for &(p, bsn) in &[
        (3usize, 2.74564357673),
        (4, 3.21874108834),
        (5, 3.56450180849),
        (10, 4.55977856027),
    ] {
        for (beta, expect_one_high) in [(bsn - 1e-3, false), (bsn + 1e-3, true)] {
            let net = tino_network(p, beta);
            let eqs = net.equilibria(&[], if p <= 5 { 10 } else { 2 });
            let one_high = eqs
                .iter()
                .any(|e| e.m[0] > 1.0 / p as f64 + 1e-3 && (e.m[1] - e.m[2]).abs() < 1e-9);
            assert_eq!(one_high, expect_one_high, "P={p} beta={beta}");
        }
    }
}

/// §11 item 7: F_β is non-increasing along trajectories at frozen θ for conventions A and C.
#[test]
fn free_energy_decreases() {
    let pot = Arc::new(potentials::heteroclinic_flip(false));
    let anchors = vec![
        vec![0.0, -1.0],
        vec![1.617276368077, 1.30779142537],
        vec![-1.617276368077, 1.30779142537],
    ];
    let xi = patterns::random_binary(64, 3, 9);
    let pt = Patterns::new(xi, 1e8).unwrap();
    for conv in [Convention::Covariant, Convention::Contravariant] {
        for &(a, b, beta) in &[(0.0, -1.5, 50.0), (0.5, -2.0, 200.0), (-1.0, -1.2, 20.0)] {
            let mut net = Network::uncorrelated(
                pot.clone(),
                waddington::bifurcating::network::Embedding::Anchors(anchors.clone()),
                3,
            )
            .with_patterns(&pt)
            .unwrap();
            net.convention = conv;
            net.beta = beta;
            let th = [a, b, -1.0, 4.0];
            for m0 in [[0.5, 0.3, 0.2], [0.1, 0.45, 0.45], [0.34, 0.33, 0.33]] {
                let t_out: Vec<f64> = (0..=400).map(|i| i as f64 * 0.05).collect();
                let s = dormand_prince(
                    |_, m, o| net.reduced_rhs(m, &th, o),
                    0.0,
                    &m0,
                    &t_out,
                    &[],
                    &[],
                    &Default::default(),
                )
                .unwrap();
                let f: Vec<f64> = s.y.iter().map(|m| net.free_energy(m, &th).unwrap()).collect();
                for w in f.windows(2) {
                    assert!(w[1] <= w[0] + 1e-10, "{conv:?} F increased: {} -> {}", w[0], w[1]);
                }
            }
        }
    }
}
