//! Two-parameter continuation of the saddle-node (fold) points of the reduced system in (n, T),
//! the quadratic normal-form coefficient along them, and the cusps where it vanishes; followed by
//! the shared pseudo-arclength engine ([`crate::continuation`]).

use super::branches::{DiagramOptions, Parameter, diagram};
use super::fixed_points::LabelState;
use super::two_memory::{Control, TwoMemory};
use crate::continuation::{Algorithm, Continuation, Curve, Options};

/// The fold-curve problem in (s, ℓ, n, T/100): H = (f1, f2, det J / (|J00 J11| + |J01 J10|)),
/// with J the (s, ℓ) Jacobian of the residual (a normalised det, zero exactly at a saddle-node).
struct FoldCurve<'a> {
    sys: &'a TwoMemory,
}

impl FoldCurve<'_> {
    fn control(x: &[f64]) -> Control {
        Control {
            n: x[2],
            temperature: 100.0 * x[3],
        }
    }
}

/// Normalised determinant of the residual Jacobian in (s, ℓ) at a point.
pub fn normalised_det(sys: &TwoMemory, s: f64, ell: f64, c: Control) -> f64 {
    let j = super::fixed_points::residual_jacobian_fine(sys, s, ell, c);
    let a = j[0][0] * j[1][1];
    let b = j[0][1] * j[1][0];
    (a - b) / (a.abs() + b.abs())
}

impl Curve for FoldCurve<'_> {
    fn dim(&self) -> usize {
        4
    }
    fn eval(&self, x: &[f64]) -> Vec<f64> {
        let c = Self::control(x);
        if !(c.n > 1.0 && c.temperature > 0.0) {
            return vec![f64::NAN; 3];
        }
        let r = self.sys.residual(x[0], x[1], c);
        vec![r[0], r[1], normalised_det(self.sys, x[0], x[1], c)]
    }
    fn steps(&self, _x: &[f64]) -> Vec<f64> {
        vec![1e-5, 1e-5, 1e-4, 1e-5]
    }
}

/// Quadratic normal-form coefficient of a saddle-node of the residual F = (f1, f2) at (s, ℓ)
/// (Kuznetsov, Elements of Applied Bifurcation Theory, §3.3 and §8.2): with q, p the unit right
/// and left null vectors of J = ∂F/∂(s, ℓ) (J q ≈ 0, pᵀ J ≈ 0), the reduced flow on the centre
/// manifold is ẏ = μ(n, T) + a y² + …, a = ½ pᵀ B(q, q), B(q, q) = d²F(x + t q)/dt² at t = 0 (second
/// central difference, step 1e-4). The flow (ṡ, ℓ̇) = D·F (D positive diagonal) has the same a up to
/// the positive factors of D (F = 0, J q = 0 at the fold). A cusp is a point of a fold curve
/// where a = 0.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct FoldNormalForm {
    /// a = ½ pᵀ B(q, q) (units of F per (s, ℓ)²).
    pub a: f64,
    /// Dimensionless a_rel = pᵀ B(q, q) / ‖B(q, q)‖ ∈ [−1, 1] (0 at a cusp, ±1 for a generic fold
    /// whose curvature lies along the left null vector).
    pub a_rel: f64,
    /// Right null vector q (unit, in (s, ℓ)).
    pub q: [f64; 2],
    /// Left null vector p (unit), oriented along `p_ref` when one is given.
    pub p: [f64; 2],
}

/// [`FoldNormalForm`] at (s, ℓ); `p_ref` fixes the sign of p (continuity along a curve; a flips
/// with p).
pub fn fold_normal_form(
    sys: &TwoMemory,
    s: f64,
    ell: f64,
    c: Control,
    p_ref: Option<[f64; 2]>,
) -> FoldNormalForm {
    let j = super::fixed_points::residual_jacobian_fine(sys, s, ell, c);
    let unit = |v: [f64; 2]| {
        let r = v[0].hypot(v[1]);
        [v[0] / r, v[1] / r]
    };
    // q ⟂ the larger row of J, p ⟂ the larger column.
    let row = if j[0][0].hypot(j[0][1]) >= j[1][0].hypot(j[1][1]) {
        j[0]
    } else {
        j[1]
    };
    let q = unit([-row[1], row[0]]);
    let col = if j[0][0].hypot(j[1][0]) >= j[0][1].hypot(j[1][1]) {
        [j[0][0], j[1][0]]
    } else {
        [j[0][1], j[1][1]]
    };
    let mut p = unit([-col[1], col[0]]);
    if let Some(r) = p_ref
        && p[0] * r[0] + p[1] * r[1] < 0.0
    {
        p = [-p[0], -p[1]];
    }
    let e = 1e-4;
    let f0 = sys.residual(s, ell, c);
    let fp = sys.residual(s + e * q[0], ell + e * q[1], c);
    let fm = sys.residual(s - e * q[0], ell - e * q[1], c);
    let b = [0, 1].map(|i| (fp[i] - 2.0 * f0[i] + fm[i]) / (e * e));
    let pb = p[0] * b[0] + p[1] * b[1];
    FoldNormalForm {
        a: 0.5 * pb,
        a_rel: pb / b[0].hypot(b[1]),
        q,
        p,
    }
}

/// A fold curve in the (n, T) plane: the saddle-node points (free label) of the reduced system.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FoldCurve2 {
    /// Points (n, T, α, β, ℓ, s) in order along the curve.
    pub points: Vec<[f64; 6]>,
    /// a_rel of [`FoldNormalForm`] at each point (p oriented continuously along the curve).
    pub quadratic: Vec<f64>,
    /// Why each end stopped ("cusp" where the curve ends at a cusp it shares with another curve).
    pub ends: [String; 2],
}

/// A cusp: the point of a fold curve where the quadratic coefficient vanishes; two fold curves
/// (the two branches of the cusp) end there.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Cusp {
    /// Interaction power.
    pub n: f64,
    /// Temperature.
    pub temperature: f64,
    /// Coefficient of A.
    pub alpha: f64,
    /// Coefficient of B.
    pub beta: f64,
    /// Label.
    pub ell: f64,
    /// Perimeter coordinate.
    pub s: f64,
    /// a_rel there (≈ 0).
    pub quadratic: f64,
    /// The two curves (indices into `FoldCurves::curves`) that end at the cusp.
    pub curves: [usize; 2],
}

/// Result of [`fold_curves`].
#[derive(Debug, Clone, serde::Serialize)]
pub struct FoldCurves {
    /// The fold curves, split at cusps.
    pub curves: Vec<FoldCurve2>,
    /// The cusps found.
    pub cusps: Vec<Cusp>,
}

/// One traced point of a fold curve: x = (s, ℓ, n, T/100), a_rel, whether it is a located cusp.
#[derive(Debug, Clone, Copy)]
struct FoldPoint {
    x: [f64; 4],
    a_rel: f64,
    cusp: bool,
}

/// Follow a fold curve from a seed in one direction: the bordered corrector, the step × 1.4
/// after a step of ≤ 3 Newton iterations (h ∈ [1e−7, 0.05], first 0.01, tolerance 1e−9).
fn trace_fold(
    sys: &TwoMemory,
    seed: [f64; 4],
    dir: f64,
    nr: [f64; 2],
    tr: [f64; 2],
) -> (Vec<FoldPoint>, String) {
    let curve = FoldCurve { sys };
    let inside = |x: &[f64]| x[2] >= nr[0] && x[2] <= nr[1] && 100.0 * x[3] >= tr[0] && 100.0 * x[3] <= tr[1];
    let nf = |x: &[f64], p: [f64; 2]| fold_normal_form(sys, x[0], x[1], FoldCurve::control(x), Some(p));
    let mut out = Vec::new();
    let options = Options {
        h_init: 0.01,
        h_min: 1e-7,
        h_max: 0.05,
        max_steps: 20_000,
        tol: 1e-9,
    };
    let Some(mut branch) = Continuation::new(
        curve,
        seed.to_vec(),
        &[0.0, 0.0, 0.0, dir],
        Algorithm::bordered(1.4),
        options,
    ) else {
        return (out, "tangent undefined at the seed".into());
    };
    let mut p = fold_normal_form(sys, seed[0], seed[1], FoldCurve::control(&seed), None).p;
    let mut a_cur = nf(&seed, p).a_rel;
    loop {
        let Some((next, h)) = branch.propose() else {
            return match branch.end() {
                Some(crate::continuation::End::StepUnderflow) => (
                    out,
                    format!("step size underflow (corrector failed; a_rel = {a_cur:.3e})"),
                ),
                end => (out, end.map_or("stopped", |e| e.describe()).into()),
            };
        };
        if !inside(&next.x) {
            return (out, "left the (n, T) window".into());
        }
        if next.x[1].abs() >= 1.0 {
            return (out, "label reached ±1".into());
        }
        if sys
            .boundary_flow(next.x[0], next.x[1], FoldCurve::control(&next.x))
            .outward
            <= 0.0
        {
            return (out, "memory gradient no longer points outward".into());
        }
        let nn = nf(&next.x, p);
        if (nn.a_rel > 0.0) != (a_cur > 0.0) && a_cur.abs() > 1e-9 {
            // Cusp: locate a_rel = 0 by bisection on the arclength step from the last point.
            let (_, at) = branch.locate(&next, h, |_, q| nf(&q.x, p).a_rel);
            let v = nf(&at.x, p);
            out.push(FoldPoint {
                x: [at.x[0], at.x[1], at.x[2], at.x[3]],
                a_rel: v.a_rel,
                cusp: true,
            });
            (p, a_cur) = (v.p, v.a_rel);
            branch.jump_to(at, 0.01);
            continue;
        }
        out.push(FoldPoint {
            x: [next.x[0], next.x[1], next.x[2], next.x[3]],
            a_rel: nn.a_rel,
            cusp: false,
        });
        (p, a_cur) = (nn.p, nn.a_rel);
        branch.accept(next);
    }
}

/// Two-parameter continuation of the saddle-node (fold) points in (n, T). Seeds: the free-label
/// folds of one-parameter diagrams in n at `seeds` temperatures spread over `t_range`; each seed
/// not already on a traced curve is followed both ways (H = (f1, f2, normalised det J) = 0 in
/// (s, ℓ, n, T/100), det from the fourth-order Jacobian) until it leaves the window, reaches a label
/// bound or stops pushing outward. The quadratic coefficient a_rel ([`fold_normal_form`]) is
/// monitored; where it changes sign the cusp is located by bisection, recorded, and the curve is
/// split there (both halves end at the cusp; in (s, ℓ, n, T) the fold curve is smooth through it).
/// The region between the two folds of a curve is where the system has three fixed points
/// instead of one.
pub fn fold_curves(sys: &TwoMemory, n_range: [f64; 2], t_range: [f64; 2], seeds: usize) -> FoldCurves {
    let temps: Vec<f64> = if seeds == 1 {
        vec![0.5 * (t_range[0] + t_range[1])]
    } else {
        (0..seeds)
            .map(|i| t_range[0] + (t_range[1] - t_range[0]) * i as f64 / (seeds - 1) as f64)
            .collect()
    };
    let mut out = FoldCurves {
        curves: Vec::new(),
        cusps: Vec::new(),
    };
    for &t in &temps {
        let d = diagram(
            sys,
            Parameter::N,
            Control {
                n: n_range[0],
                temperature: t,
            },
            n_range,
            &DiagramOptions::default(),
        );
        for f in d.folds.iter().filter(|f| f.label == LabelState::Free) {
            let covered = out.curves.iter().any(|c| {
                c.points.iter().any(|p| {
                    (p[0] - f.n).abs() < 0.05
                        && (p[1] - f.temperature).abs() < 5.0
                        && (p[4] - f.ell).abs() < 0.01
                })
            });
            if covered {
                continue;
            }
            let seed = [f.s, f.ell, f.n, f.temperature / 100.0];
            let (mut back, why_b) = trace_fold(sys, seed, -1.0, n_range, t_range);
            let (fwd, why_f) = trace_fold(sys, seed, 1.0, n_range, t_range);
            // Both traces start from the same orientation of p at the seed.
            let p_seed = fold_normal_form(sys, seed[0], seed[1], FoldCurve::control(&seed), None);
            back.reverse();
            back.push(FoldPoint {
                x: seed,
                a_rel: p_seed.a_rel,
                cusp: false,
            });
            back.extend(fwd);
            split_at_cusps(&back, [why_b, why_f], &mut out);
        }
    }
    out
}

/// Append the pieces of one traced curve, split at its located cusps, to `out`.
fn split_at_cusps(pts: &[FoldPoint], ends: [String; 2], out: &mut FoldCurves) {
    let row = |p: &FoldPoint| {
        let b = super::two_memory::Boundary::at(p.x[0]);
        [
            p.x[2],
            100.0 * p.x[3],
            b.alpha,
            b.beta,
            p.x[1],
            p.x[0].rem_euclid(4.0),
        ]
    };
    let mut piece: Vec<FoldPoint> = Vec::new();
    let mut first_end = ends[0].clone();
    for p in pts {
        piece.push(*p);
        if p.cusp && piece.len() > 1 {
            let k = out.curves.len();
            out.curves.push(FoldCurve2 {
                points: piece.iter().map(row).collect(),
                quadratic: piece.iter().map(|q| q.a_rel).collect(),
                ends: [first_end, "cusp".into()],
            });
            let r = row(p);
            out.cusps.push(Cusp {
                n: r[0],
                temperature: r[1],
                alpha: r[2],
                beta: r[3],
                ell: r[4],
                s: r[5],
                quadratic: p.a_rel,
                curves: [k, k + 1],
            });
            piece = vec![*p];
            first_end = "cusp".into();
        }
    }
    out.curves.push(FoldCurve2 {
        points: piece.iter().map(row).collect(),
        quadratic: piece.iter().map(|q| q.a_rel).collect(),
        ends: [first_end, ends[1].clone()],
    });
}
