//! Critical points of the potential library against the spec's reference numbers
//! (bifurcating-hopfield.md §11 items 1, 3, 15 and the §6.1 cross-checks).

use waddington::bifurcating::critical::{CriticalPoint, Kind, SearchOptions, critical_points};
use waddington::bifurcating::potentials::{self, Potential, resolve_params};

fn cps(pot: &dyn Potential, over: &[(&str, f64)]) -> Vec<CriticalPoint> {
    let o: Vec<(String, f64)> = over.iter().map(|(k, v)| (k.to_string(), *v)).collect();
    let p = resolve_params(pot, &o).unwrap();
    critical_points(pot, &p, &SearchOptions::default()).unwrap()
}

/// Assert that `found` contains exactly the `expected` (kind, x, y, Option<V>) within `tol`.
fn assert_set(found: &[CriticalPoint], expected: &[(Kind, f64, f64, Option<f64>)], tol: f64, what: &str) {
    assert_eq!(found.len(), expected.len(), "{what}: count; found {found:#?}");
    for &(k, x, y, v) in expected {
        let hit = found
            .iter()
            .find(|c| (c.z[0] - x).abs() < tol && (c.z[1] - y).abs() < tol)
            .unwrap_or_else(|| panic!("{what}: no critical point at ({x}, {y}); found {found:#?}"));
        assert_eq!(hit.kind, k, "{what}: kind at ({x}, {y})");
        if let Some(v) = v {
            assert!(
                (hit.value - v).abs() < tol,
                "{what}: V at ({x},{y}) = {} vs {v}",
                hit.value
            );
        }
    }
}

use Kind::{Degenerate, Minimum, Saddle};

/// §11 item 1 (reference points of §6.2), positions and V to 1e−8, kinds exact.
#[test]
fn heteroclinic_flip_reference_points() {
    let pot = potentials::heteroclinic_flip(false);
    let s17 = 17f64.sqrt();
    // Closed forms at (0, −1): y₁ is the root in (1, 2) of 4y³ + 3y² − 10y − 1, x₁ = √(2y₁).
    let y1 = waddington::bifurcating::polynomial::real_roots(&[-1.0, -10.0, 3.0, 4.0])
        .into_iter()
        .find(|r| *r > 1.0 && *r < 2.0)
        .unwrap();
    let x1 = (2.0 * y1).sqrt();
    assert!((x1 - 1.617276368077).abs() < 1e-11 && (y1 - 1.307791425370).abs() < 1e-11);
    let v1 = pot.value(&[x1, y1], &[0.0, -1.0, -1.0, 4.0]);
    assert!((v1 - -4.697454661).abs() < 1e-8);
    assert_set(
        &cps(&pot, &[("a", 0.0), ("b", -1.0)]),
        &[
            (Minimum, 0.0, -1.0, Some(0.0)),
            (Minimum, x1, y1, Some(v1)),
            (Minimum, -x1, y1, Some(v1)),
            (Saddle, 0.0, (1.0 - s17) / 8.0, Some(0.2017155994)),
            (Saddle, 0.0, (1.0 + s17) / 8.0, Some(-0.6196843494)),
        ],
        1e-8,
        "(0,-1)",
    );
    assert_set(
        &cps(&pot, &[("a", 0.0), ("b", -2.0)]),
        &[
            (Minimum, 1.648925596078, 1.359477810700, Some(-6.031526613)),
            (Minimum, -1.648925596078, 1.359477810700, Some(-6.031526613)),
            (Saddle, 0.0, 0.7632835870309, Some(-1.325053693)),
        ],
        1e-8,
        "(0,-2)",
    );
    assert_set(
        &cps(&pot, &[("a", 0.5), ("b", -2.0)]),
        &[
            (Minimum, -1.615768000178, 1.344034411026, None),
            (Minimum, 1.679951723636, 1.373915446846, None),
            (Saddle, -0.08194329270201, 0.7660799362056, None),
        ],
        1e-8,
        "(0.5,-2)",
    );
    assert_set(
        &cps(&pot, &[("a", 6.0), ("b", -2.0)]),
        &[(Minimum, 1.939419060637, 1.493959405538, Some(-16.86998341))],
        1e-8,
        "(6,-2)",
    );
    assert_set(
        &cps(&pot, &[("a", 0.0), ("b", -0.5)]),
        &[
            (Minimum, 0.0, -1.101011749116, None),
            (Minimum, 1.599862713616, 1.279780351209, None),
            (Minimum, -1.599862713616, 1.279780351209, None),
            (Saddle, 0.0, -0.204407605263, None),
            (Saddle, 0.0, 0.5554193543791, None),
        ],
        1e-8,
        "(0,-0.5)",
    );
    assert_set(
        &cps(&pot, &[("a", 0.0), ("b", -1.6)]),
        &[
            (Minimum, 1.636720539021, 1.339427061427, None),
            (Minimum, -1.636720539021, 1.339427061427, None),
            (Saddle, 0.0, 0.719039582567, None),
        ],
        1e-8,
        "(0,-1.6)",
    );
}

/// §11 item 3: binary choice and binary flip reference points of §6.2 (1e−8).
#[test]
fn binary_choice_and_binary_flip_reference_points() {
    let bc = potentials::binary_choice();
    assert_set(
        &cps(&bc, &[("a", 0.0), ("b", 0.5)]),
        &[
            (Minimum, 0.0, -0.3470728603, None),
            (Minimum, 1.3014567469, 0.8468948320, None),
            (Minimum, -1.3014567469, 0.8468948320, None),
            (Saddle, 0.4186178887, 0.0876204684, None),
            (Saddle, -0.4186178887, 0.0876204684, None),
        ],
        1e-8,
        "binary choice (0,0.5)",
    );
    assert_set(
        &cps(&bc, &[("a", 0.0), ("b", -0.5)]),
        &[
            (Minimum, 1.3827036285, 0.9559346622, None),
            (Minimum, -1.3827036285, 0.9559346622, None),
            (Saddle, 0.0, 0.1855671657, None),
        ],
        1e-8,
        "binary choice (0,-0.5)",
    );
    let bf = potentials::binary_flip();
    assert_set(
        &cps(&bf, &[("p1", 0.5), ("p2", 0.0)]),
        &[
            (Minimum, -1.2362420589, 0.0, None),
            (Minimum, 0.5884286904, 0.7670910574, None),
            (Minimum, 0.5884286904, -0.7670910574, None),
            (Saddle, 0.1433605734, 0.3786298634, None),
            (Saddle, 0.1433605734, -0.3786298634, None),
        ],
        1e-8,
        "binary flip (0.5,0)",
    );
    assert_set(
        &cps(&bf, &[("p1", -0.75), ("p2", 0.4)]),
        &[
            (Minimum, -1.0518644820, -0.0942727570, None),
            (Minimum, 0.7668245590, 0.8012624447, None),
            (Minimum, 0.8216877667, -0.9620954022, None),
            (Saddle, -0.3413559844, -0.2481724800, None),
            (Saddle, 0.6108122312, 0.1720550622, None),
        ],
        1e-8,
        "binary flip (-0.75,0.4)",
    );
    let origin = cps(&bf, &[("p1", 0.0), ("p2", 0.0)]);
    let o = origin
        .iter()
        .find(|c| c.z[0].abs() < 1e-6 && c.z[1].abs() < 1e-6)
        .expect("origin");
    assert_eq!(o.kind, Degenerate);
}

/// §11 item 15: the cusp x⁴ + a x² + b x with a = −1 is bistable iff |b| < √(8/27) = 0.5443311.
#[test]
fn cusp_bistability_window() {
    let pot = potentials::cusp();
    let bstar = (8.0f64 / 27.0).sqrt();
    assert!((bstar - 0.5443311).abs() < 1e-7);
    for &b in &[0.0, 0.3, 0.54, bstar - 1e-4, -(bstar - 1e-4)] {
        let c = cps(&pot, &[("a", -1.0), ("b", b)]);
        assert_eq!(c.iter().filter(|c| c.kind == Minimum).count(), 2, "b = {b}");
        assert_eq!(c.iter().filter(|c| c.kind == Saddle).count(), 1, "b = {b}");
    }
    for &b in &[bstar + 1e-4, 0.6, -0.6, 2.0] {
        let c = cps(&pot, &[("a", -1.0), ("b", b)]);
        assert_eq!(c.len(), 1, "b = {b}");
        assert_eq!(c[0].kind, Minimum);
    }
}

/// §6.1 cross-check: for random (a, b, c) the exact elimination alone and the multi-start
/// search alone find the same critical points, and the Morse count #min − #saddle + #max = 1.
#[test]
fn elimination_agrees_with_multistart_and_morse() {
    use rand::{RngExt, SeedableRng};
    let pot = potentials::heteroclinic_flip(false);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let exact = SearchOptions {
        multistart: false,
        ..SearchOptions::default()
    };
    let multi = SearchOptions {
        exact: false,
        ..SearchOptions::default()
    };
    for _ in 0..60 {
        let p = [
            rng.random_range(-5.0..5.0),
            rng.random_range(-4.0..2.0),
            rng.random_range(-2.0..2.0),
            4.0,
        ];
        let e = critical_points(&pot, &p, &exact).unwrap();
        let m = critical_points(&pot, &p, &multi).unwrap();
        assert_eq!(e.len(), m.len(), "count at {p:?}: exact {e:#?} multistart {m:#?}");
        for (x, y) in e.iter().zip(&m) {
            assert_eq!(x.kind, y.kind);
            assert!((x.z[0] - y.z[0]).abs() < 1e-8 && (x.z[1] - y.z[1]).abs() < 1e-8);
        }
        let chi: i64 = e
            .iter()
            .map(|c| match c.kind {
                Minimum => 1,
                Saddle => -1,
                Kind::Maximum => 1,
                Degenerate => 0,
            })
            .sum();
        assert_eq!(chi, 1, "Morse count at {p:?}");
    }
}

/// The mirrored heteroclinic flip has the mirrored critical points; a user polynomial written
/// out by hand equals the built-in; gradients/Hessians match finite differences.
#[test]
fn mirror_user_polynomial_and_derivatives() {
    let pot = potentials::heteroclinic_flip(false);
    let mir = potentials::heteroclinic_flip(true);
    let p = [0.3, -1.2, -1.0, 4.0];
    let a = critical_points(&pot, &p, &SearchOptions::default()).unwrap();
    let b = critical_points(&mir, &p, &SearchOptions::default()).unwrap();
    assert_eq!(a.len(), b.len());
    for c in &a {
        assert!(
            b.iter()
                .any(|d| (d.z[0] - c.z[0]).abs() < 1e-9 && (d.z[1] + c.z[1]).abs() < 1e-9)
        );
    }
    let vars = vec!["x".to_string(), "y".to_string()];
    let defaults = [("a".to_string(), 0.3), ("b".to_string(), -1.2)]
        .into_iter()
        .collect();
    let user =
        potentials::PolyPotential::user("x^4 + y^4 + y^3 - 4*x^2*y - a*x + b*y - y^2", &vars, &defaults)
            .unwrap();
    let up = user.param_defaults().to_vec();
    let u = critical_points(&user, &up, &SearchOptions::default()).unwrap();
    assert_eq!(u.len(), a.len());
    for (x, y) in u.iter().zip(&a) {
        assert!((x.z[0] - y.z[0]).abs() < 1e-9 && (x.value - y.value).abs() < 1e-9);
    }
    for name in potentials::BUILTIN_NAMES {
        let q = potentials::builtin(name).unwrap();
        let z: Vec<f64> = (0..q.dim()).map(|i| 0.3 + 0.2 * i as f64).collect();
        let err = potentials::finite_difference_check(&q, &z, q.param_defaults(), 1e-5);
        assert!(err < 1e-6, "{name}: finite-difference mismatch {err}");
    }
    assert!(potentials::PolyPotential::user("x^4 + $", &vars, &Default::default()).is_err());
    assert!(potentials::PolyPotential::user("x^0.5", &vars, &Default::default()).is_err());
}
