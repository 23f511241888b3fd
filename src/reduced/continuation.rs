//! Pseudo-arclength continuation of fixed-point branches of the reduced system in n or T, with
//! fold (saddle-node) and branch-point detection localised by bisection, label-saturation switching,
//! and two-parameter fold curves in (n, T). Model: AUTO / BifurcationKit.jl.
//!
//! A curve is the zero set of H: R^d → R^(d−1). One step from (x, τ) with arclength h:
//! predictor y = x + hτ, corrector Newton on [H(y); τ·(y − x) − h] = 0, new tangent τ' from
//! [DH(y); τᵀ] τ' = e_d, normalised, oriented with τ'·τ > 0. The step adapts to the Newton count and
//! the turn of the tangent. Events (monitored scalars changing sign between two accepted points) are
//! located by bisection on h from the earlier point:
//! * fold: the parameter component of τ changes sign (det of the (s, ℓ) block vanishes);
//! * branch point: det [DH; τᵀ] changes sign;
//! * label saturation: ℓ reaches ±1 (the branch continues with ℓ clipped, H = f1(s, ±1)), and on a
//!   saturated branch the label flow stops pushing outward (the branch continues free);
//! * the parameter leaves its range, the memory gradient stops pushing outward, or H is undefined.

use super::fixed_points::{FinderOptions, FixedPoint, LabelState, classify, fixed_points};
use super::numerics::{det, jacobian, solve};
use super::two_memory::{Control, TwoMemory};

/// The continuation parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Parameter {
    /// The interaction power n (coordinate n).
    N,
    /// The temperature T (coordinate T/100, to keep the arclength balanced).
    Temperature,
}

impl Parameter {
    fn to_coord(self, c: Control) -> f64 {
        match self {
            Parameter::N => c.n,
            Parameter::Temperature => c.temperature / 100.0,
        }
    }
    /// Continuation coordinate of a parameter value (n, or T/100).
    fn coord(self, v: f64) -> f64 {
        match self {
            Parameter::N => v,
            Parameter::Temperature => v / 100.0,
        }
    }
    fn control(self, fixed: Control, p: f64) -> Control {
        match self {
            Parameter::N => Control { n: p, ..fixed },
            Parameter::Temperature => Control {
                temperature: 100.0 * p,
                ..fixed
            },
        }
    }
    /// Parameter value (n or T) of a control.
    pub fn value(self, c: Control) -> f64 {
        match self {
            Parameter::N => c.n,
            Parameter::Temperature => c.temperature,
        }
    }
}

/// Step control of the continuation.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct ContinuationOptions {
    /// First arclength step.
    pub h_init: f64,
    /// Smallest step before giving up.
    pub h_min: f64,
    /// Largest step.
    pub h_max: f64,
    /// Maximum accepted steps per branch.
    pub max_steps: usize,
    /// Newton tolerance on the correction.
    pub tol: f64,
}

impl Default for ContinuationOptions {
    fn default() -> Self {
        ContinuationOptions {
            h_init: 0.01,
            h_min: 1e-9,
            h_max: 0.08,
            max_steps: 20_000,
            tol: 1e-11,
        }
    }
}

/// A curve H(x) = 0 to follow.
pub(crate) trait Curve {
    /// Number of coordinates d (H has d − 1 components).
    fn dim(&self) -> usize;
    /// H(x); NaN where undefined.
    fn eval(&self, x: &[f64]) -> Vec<f64>;
    /// Central-difference steps per coordinate.
    fn steps(&self) -> Vec<f64>;
}

/// A point of a traced curve with its tangent and the Jacobian DH there.
#[derive(Debug, Clone)]
pub(crate) struct CurvePoint {
    pub x: Vec<f64>,
    pub tau: Vec<f64>,
    pub jac: Vec<f64>,
    pub newton: usize,
}

fn jac_of<C: Curve>(c: &C, x: &[f64]) -> Vec<f64> {
    let f = |y: &[f64]| c.eval(y);
    jacobian(&f, x, &c.steps(), c.dim() - 1)
}

/// Unit tangent: solve [J; prevᵀ] z = e_d, normalise, orient along `prev`.
fn tangent(jac: &[f64], prev: &[f64]) -> Option<Vec<f64>> {
    let d = prev.len();
    let mut a = jac.to_vec();
    a.extend_from_slice(prev);
    let mut b = vec![0.0; d];
    b[d - 1] = 1.0;
    solve(&mut a, &mut b)?;
    let norm = b.iter().map(|v| v * v).sum::<f64>().sqrt();
    let sign = if b.iter().zip(prev).map(|(a, b)| a * b).sum::<f64>() < 0.0 {
        -1.0
    } else {
        1.0
    };
    Some(b.iter().map(|v| sign * v / norm).collect())
}

/// Start a curve at a point x (assumed on the curve) with a guessed direction.
pub(crate) fn start<C: Curve>(c: &C, x: Vec<f64>, guess: &[f64]) -> Option<CurvePoint> {
    let jac = jac_of(c, &x);
    let tau = tangent(&jac, guess)?;
    Some(CurvePoint {
        x,
        tau,
        jac,
        newton: 0,
    })
}

/// One predictor–corrector step of arclength h from `p`.
pub(crate) fn advance<C: Curve>(c: &C, p: &CurvePoint, h: f64, tol: f64) -> Option<CurvePoint> {
    let d = c.dim();
    let mut y: Vec<f64> = p.x.iter().zip(&p.tau).map(|(x, t)| x + h * t).collect();
    let mut iters = 0;
    let mut converged = false;
    for it in 1..=12 {
        iters = it;
        let hv = c.eval(&y);
        if hv.iter().any(|v| !v.is_finite()) {
            return None;
        }
        let jac = jac_of(c, &y);
        let mut a = jac;
        a.extend_from_slice(&p.tau);
        let mut b: Vec<f64> = hv.iter().map(|v| -v).collect();
        let arc: f64 = y
            .iter()
            .zip(&p.x)
            .zip(&p.tau)
            .map(|((y, x), t)| (y - x) * t)
            .sum();
        b.push(-(arc - h));
        solve(&mut a, &mut b)?;
        for k in 0..d {
            y[k] += b[k];
        }
        let delta = b.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        if delta > 0.5 {
            return None;
        }
        if delta < tol {
            converged = true;
            break;
        }
    }
    let hv = c.eval(&y);
    let jac = jac_of(c, &y);
    // Accept |H| ≤ 1e−8 relative to the size of DH: H's scale grows like rⁿ (the Jacobian
    // reaches ~1e8 on some branches at moderate n), where an absolute 1e−8 is below f64
    // round-off and would shrink the step until the branch stalls.
    let scale = jac.iter().fold(1.0f64, |m, v| m.max(v.abs()));
    if !converged || hv.iter().any(|v| !v.is_finite() || v.abs() > 1e-8 * scale) {
        return None;
    }
    let tau = tangent(&jac, &p.tau)?;
    let turn: f64 = tau.iter().zip(&p.tau).map(|(a, b)| a * b).sum();
    if turn < 0.97 {
        return None;
    }
    Some(CurvePoint {
        x: y,
        tau,
        jac,
        newton: iters,
    })
}

/// det [DH; τᵀ] (changes sign at a branch point, not at a fold).
pub(crate) fn bordered_det(p: &CurvePoint) -> f64 {
    let mut a = p.jac.clone();
    a.extend_from_slice(&p.tau);
    det(&a, p.tau.len())
}

/// The branch problem: free label x = (s, ℓ, p), H = (f1, f2); clipped label x = (s, p),
/// H = f1(s, ±1).
struct BranchCurve<'a> {
    sys: &'a TwoMemory,
    param: Parameter,
    fixed: Control,
    mode: LabelState,
}

impl BranchCurve<'_> {
    fn edge(&self) -> f64 {
        match self.mode {
            LabelState::SaturatedUp => 1.0,
            LabelState::SaturatedDown => -1.0,
            LabelState::Free => f64::NAN,
        }
    }
    fn p_index(&self) -> usize {
        self.dim() - 1
    }
    fn control(&self, x: &[f64]) -> Control {
        self.param.control(self.fixed, x[self.p_index()])
    }
    fn ell(&self, x: &[f64]) -> f64 {
        if self.mode == LabelState::Free {
            x[1]
        } else {
            self.edge()
        }
    }
    /// The fixed point (with stability) at a curve point.
    fn fixed_point(&self, p: &CurvePoint) -> FixedPoint {
        let d = self.dim();
        let jres = if self.mode == LabelState::Free {
            [[p.jac[0], p.jac[1]], [p.jac[d], p.jac[d + 1]]]
        } else {
            [[p.jac[0], 0.0], [0.0, 0.0]]
        };
        classify(
            self.sys,
            p.x[0],
            self.ell(&p.x),
            self.mode,
            self.control(&p.x),
            jres,
        )
    }
    /// Free-label flow pushes outward at the saturated edge (> 0), or not.
    fn release(&self, x: &[f64]) -> f64 {
        let edge = self.edge();
        self.sys.residual(x[0], edge, self.control(x))[1] * edge
    }
}

impl Curve for BranchCurve<'_> {
    fn dim(&self) -> usize {
        if self.mode == LabelState::Free { 3 } else { 2 }
    }
    fn eval(&self, x: &[f64]) -> Vec<f64> {
        let c = self.control(x);
        if !(c.n > 1.0 && c.temperature > 0.0) {
            return vec![f64::NAN; self.dim() - 1];
        }
        let r = self.sys.residual(x[0], self.ell(x), c);
        if self.mode == LabelState::Free {
            r.to_vec()
        } else {
            vec![r[0]]
        }
    }
    fn steps(&self) -> Vec<f64> {
        let hp = match self.param {
            Parameter::N => 1e-6,
            Parameter::Temperature => 1e-7,
        };
        if self.mode == LabelState::Free {
            vec![1e-7, 1e-7, hp]
        } else {
            vec![1e-7, hp]
        }
    }
}

/// A located special point on a branch.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct SpecialPoint {
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
    /// Index of the branch in the diagram.
    pub branch: usize,
    /// Label state of the branch segment there.
    pub label: LabelState,
}

impl SpecialPoint {
    fn of(fp: &FixedPoint, branch: usize) -> SpecialPoint {
        SpecialPoint {
            n: fp.n,
            temperature: fp.temperature,
            alpha: fp.alpha,
            beta: fp.beta,
            ell: fp.ell,
            s: fp.s,
            branch,
            label: fp.label,
        }
    }
}

/// One traced branch: its fixed points in continuation order and how it ended.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Branch {
    /// Fixed points along the branch (with stability).
    pub points: Vec<FixedPoint>,
    /// Why each end stopped (start end, finish end).
    pub ends: [String; 2],
}

/// Result of a one-parameter continuation.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Diagram {
    /// The system.
    pub system: TwoMemory,
    /// Continuation parameter.
    pub parameter: Parameter,
    /// The other parameter (n or T) held fixed, with the range of the continued one.
    pub fixed: Control,
    /// Range of the continued parameter.
    pub range: [f64; 2],
    /// Branches.
    pub branches: Vec<Branch>,
    /// Saddle-node (fold) points: the parameter turns back, det of the flow Jacobian is zero.
    pub folds: Vec<SpecialPoint>,
    /// Branch points: det [DH; τᵀ] changes sign.
    pub branch_points: Vec<SpecialPoint>,
    /// Where a branch's label reaches ±1 (or leaves it).
    pub label_switches: Vec<SpecialPoint>,
}

/// Options of [`diagram`].
#[derive(Debug, Clone, Copy)]
pub struct DiagramOptions {
    /// Spacing of the parameter values at which all fixed points are searched (new branches start
    /// there); in units of the parameter (n, or T).
    pub seed_spacing: f64,
    /// Fixed-point search at the seeds.
    pub finder: FinderOptions,
    /// Continuation step control.
    pub continuation: ContinuationOptions,
}

impl Default for DiagramOptions {
    fn default() -> Self {
        DiagramOptions {
            seed_spacing: 2.0,
            finder: FinderOptions {
                cells_per_face: 100,
                ell_cells: 20,
            },
            continuation: ContinuationOptions::default(),
        }
    }
}

/// Events found while tracing.
#[derive(Default)]
struct Found {
    folds: Vec<FixedPoint>,
    branch_points: Vec<FixedPoint>,
    switches: Vec<FixedPoint>,
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Event {
    Fold,
    BranchPoint,
    OutOfRange,
    LabelEdge,
    Release,
    Inward,
}

/// Trace one branch from a fixed point in one direction of the parameter (dir = ±1).
#[allow(clippy::too_many_arguments)]
fn trace_one(
    sys: &TwoMemory,
    param: Parameter,
    fixed: Control,
    range: [f64; 2],
    start_fp: &FixedPoint,
    dir: f64,
    opts: &ContinuationOptions,
    found: &mut Found,
) -> (Vec<FixedPoint>, String) {
    let mut curve = BranchCurve {
        sys,
        param,
        fixed,
        mode: start_fp.label,
    };
    let c0 = Control {
        n: start_fp.n,
        temperature: start_fp.temperature,
    };
    let p0 = param.to_coord(c0);
    let (lo, hi) = (param.coord(range[0]), param.coord(range[1]));
    let x0 = |mode: LabelState, s: f64, ell: f64, p: f64| {
        if mode == LabelState::Free {
            vec![s, ell, p]
        } else {
            vec![s, p]
        }
    };
    let mut guess = vec![0.0; curve.dim()];
    guess[curve.dim() - 1] = dir;
    let Some(mut cur) = start(&curve, x0(curve.mode, start_fp.s, start_fp.ell, p0), &guess) else {
        return (vec![*start_fp], "tangent undefined at start".into());
    };
    let mut points = vec![curve.fixed_point(&cur)];
    let pi = curve.p_index();
    let outward_at_end =
        (cur.x[pi] - lo <= 1e-12 && cur.tau[pi] < 0.0) || (hi - cur.x[pi] <= 1e-12 && cur.tau[pi] > 0.0);
    if outward_at_end {
        return (points, "parameter range end".into());
    }
    let mut h = opts.h_init;
    let mut steps = 0;
    let reason = loop {
        if steps >= opts.max_steps {
            break "maximum number of steps".to_string();
        }
        let Some(next) = advance(&curve, &cur, h, opts.tol) else {
            h /= 2.0;
            if h < opts.h_min {
                break "step size underflow (corrector failed)".to_string();
            }
            continue;
        };
        steps += 1;
        // Monitored functions.
        let monitors = |q: &CurvePoint, curve: &BranchCurve| -> Vec<(Event, f64)> {
            let fp = curve.fixed_point(q);
            let pi = curve.p_index();
            let mut v = vec![
                (Event::Fold, q.tau[pi]),
                (Event::BranchPoint, bordered_det(q)),
                (Event::OutOfRange, (q.x[pi] - lo).min(hi - q.x[pi])),
                (Event::Inward, fp.outward),
            ];
            if curve.mode == LabelState::Free {
                v.push((Event::LabelEdge, 1.0 - q.x[1].abs()));
            } else {
                v.push((Event::Release, curve.release(&q.x)));
            }
            v
        };
        let m0 = monitors(&cur, &curve);
        let m1 = monitors(&next, &curve);
        // Locate the earliest sign change.
        let mut first: Option<(f64, Event, CurvePoint)> = None;
        for (k, &(ev, a)) in m0.iter().enumerate() {
            let b = m1[k].1;
            // A monitor that is (numerically) zero at the earlier point is the event just handled.
            if !(a.is_finite() && b.is_finite()) || (a > 0.0) == (b > 0.0) || a.abs() < 1e-9 {
                continue;
            }
            let (mut ha, mut hb) = (0.0, h);
            let mut best = next.clone();
            for _ in 0..60 {
                if hb - ha < 1e-13 {
                    break;
                }
                let hm = 0.5 * (ha + hb);
                let Some(q) = advance(&curve, &cur, hm, opts.tol) else {
                    break;
                };
                let v = monitors(&q, &curve)[k].1;
                if (v > 0.0) == (a > 0.0) {
                    ha = hm;
                } else {
                    hb = hm;
                    best = q;
                }
            }
            if first.as_ref().is_none_or(|f| hb < f.0) {
                first = Some((hb, ev, best));
            }
        }
        match first {
            None => {
                points.push(curve.fixed_point(&next));
                cur = next;
            }
            Some((_, ev, at)) => {
                let fp = curve.fixed_point(&at);
                match ev {
                    Event::Fold => {
                        found.folds.push(fp);
                        points.push(fp);
                        cur = at;
                    }
                    Event::BranchPoint => {
                        found.branch_points.push(fp);
                        points.push(fp);
                        cur = at;
                    }
                    Event::OutOfRange => {
                        points.push(fp);
                        break "parameter range end".to_string();
                    }
                    Event::Inward => {
                        points.push(fp);
                        break "memory gradient no longer points outward (σ = 0)".to_string();
                    }
                    Event::LabelEdge => {
                        // Continue with the label clipped at ±1.
                        points.push(fp);
                        found.switches.push(fp);
                        let edge = at.x[1].signum();
                        curve.mode = if edge > 0.0 {
                            LabelState::SaturatedUp
                        } else {
                            LabelState::SaturatedDown
                        };
                        let guess = [at.tau[0], at.tau[2]];
                        match start(&curve, vec![at.x[0], at.x[2]], &guess) {
                            Some(p) => cur = p,
                            None => break "tangent undefined at label saturation".to_string(),
                        }
                    }
                    Event::Release => {
                        points.push(fp);
                        found.switches.push(fp);
                        let edge = curve.edge();
                        curve.mode = LabelState::Free;
                        // Orient the free tangent into |ℓ| < 1.
                        let guess = [0.0, -edge, 0.0];
                        match start(&curve, vec![at.x[0], edge, at.x[1]], &guess) {
                            Some(p) => cur = p,
                            None => break "tangent undefined at label release".to_string(),
                        }
                    }
                }
                h = opts.h_init.min(h);
                continue;
            }
        }
        if next_newton_small(&cur) {
            h = (h * 1.5).min(opts.h_max);
        } else if cur.newton > 5 {
            h *= 0.6;
        }
    };
    (points, reason)
}

fn next_newton_small(p: &CurvePoint) -> bool {
    p.newton <= 3
}

/// Does a fixed point lie on a traced branch (interpolating between branch points at its
/// parameter value)?
fn on_branch(b: &Branch, fp: &FixedPoint, param: Parameter, tol: f64) -> bool {
    let pv = |f: &FixedPoint| {
        param.value(Control {
            n: f.n,
            temperature: f.temperature,
        })
    };
    let p0 = pv(fp);
    b.points.windows(2).any(|w| {
        let (a, c) = (pv(&w[0]), pv(&w[1]));
        if (a - p0) * (c - p0) > 0.0 {
            return false;
        }
        let t = if c == a { 0.0 } else { (p0 - a) / (c - a) };
        let mut ds = w[1].s - w[0].s;
        if ds > 2.0 {
            ds -= 4.0;
        } else if ds < -2.0 {
            ds += 4.0;
        }
        let s = (w[0].s + t * ds).rem_euclid(4.0);
        let ell = w[0].ell + t * (w[1].ell - w[0].ell);
        let d = (s - fp.s).abs();
        d.min(4.0 - d) < tol && (ell - fp.ell).abs() < tol
    })
}

/// One-parameter bifurcation diagram: every fixed-point branch of the reduced system for the
/// parameter in `range` (n with T = fixed.temperature, or T with n = fixed.n).
///
/// Fixed points are searched at evenly spaced parameter values (spacing `seed_spacing`, ends
/// included); each one not yet on a traced branch starts a new branch, traced both ways.
pub fn diagram(
    sys: &TwoMemory,
    param: Parameter,
    fixed: Control,
    range: [f64; 2],
    opts: &DiagramOptions,
) -> Diagram {
    let (lo, hi) = (range[0], range[1]);
    let count = (((hi - lo) / opts.seed_spacing).ceil() as usize).max(1);
    let seeds: Vec<f64> = (0..=count)
        .map(|i| lo + (hi - lo) * i as f64 / count as f64)
        .collect();
    let mut branches: Vec<Branch> = Vec::new();
    let mut found = Found::default();
    for &p in &seeds {
        let c = param.control(fixed, param.coord(p));
        let fps = fixed_points(sys, c, opts.finder);
        for fp in fps {
            if branches.iter().any(|b| on_branch(b, &fp, param, 2e-3)) {
                continue;
            }
            let (mut back, why_back) = trace_one(
                sys,
                param,
                fixed,
                range,
                &fp,
                -1.0,
                &opts.continuation,
                &mut found,
            );
            let (fwd, why_fwd) =
                trace_one(sys, param, fixed, range, &fp, 1.0, &opts.continuation, &mut found);
            back.reverse();
            back.pop();
            back.extend(fwd);
            branches.push(Branch {
                points: back,
                ends: [why_back, why_fwd],
            });
        }
    }
    // Attribute events to branches and drop duplicates (a fold seen from both sides).
    let attribute = |v: &[FixedPoint]| -> Vec<SpecialPoint> {
        let mut out: Vec<SpecialPoint> = Vec::new();
        for fp in v {
            let b = branches
                .iter()
                .position(|b| b.points.iter().any(|q| q == fp))
                .unwrap_or(usize::MAX);
            let sp = SpecialPoint::of(fp, b);
            let dup = out.iter().any(|o| {
                (o.n - sp.n).abs() < 1e-6
                    && (o.temperature - sp.temperature).abs() < 1e-4
                    && (o.ell - sp.ell).abs() < 1e-5
                    && (o.alpha - sp.alpha).abs() < 1e-5
            });
            if !dup {
                out.push(sp);
            }
        }
        out.sort_by(|a, b| param_of(param, a).total_cmp(&param_of(param, b)));
        out
    };
    let folds = attribute(&found.folds);
    let branch_points = attribute(&found.branch_points);
    let label_switches = attribute(&found.switches);
    Diagram {
        system: *sys,
        parameter: param,
        fixed,
        range,
        branches,
        folds,
        branch_points,
        label_switches,
    }
}

fn param_of(param: Parameter, sp: &SpecialPoint) -> f64 {
    match param {
        Parameter::N => sp.n,
        Parameter::Temperature => sp.temperature,
    }
}

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
    fn steps(&self) -> Vec<f64> {
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
    let Some(mut cur) = start(&curve, seed.to_vec(), &[0.0, 0.0, 0.0, dir]) else {
        return (out, "tangent undefined at the seed".into());
    };
    let mut p = fold_normal_form(sys, seed[0], seed[1], FoldCurve::control(&seed), None).p;
    let mut a_cur = nf(&seed, p).a_rel;
    let mut h = 0.01;
    for _ in 0..20_000 {
        let Some(next) = advance(&curve, &cur, h, 1e-9) else {
            h /= 2.0;
            if h < 1e-7 {
                return (
                    out,
                    format!("step size underflow (corrector failed; a_rel = {a_cur:.3e})"),
                );
            }
            continue;
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
            // Cusp: locate a_rel = 0 by bisection on the arclength step from `cur`.
            let (mut ha, mut hb) = (0.0, h);
            let mut best = (next.clone(), nn);
            for _ in 0..60 {
                if hb - ha < 1e-13 {
                    break;
                }
                let hm = 0.5 * (ha + hb);
                let Some(q) = advance(&curve, &cur, hm, 1e-9) else {
                    break;
                };
                let v = nf(&q.x, p);
                if (v.a_rel > 0.0) == (a_cur > 0.0) {
                    ha = hm;
                } else {
                    hb = hm;
                    best = (q, v);
                }
            }
            let (at, v) = best;
            out.push(FoldPoint {
                x: [at.x[0], at.x[1], at.x[2], at.x[3]],
                a_rel: v.a_rel,
                cusp: true,
            });
            (cur, p, a_cur) = (at, v.p, v.a_rel);
            h = 0.01;
            continue;
        }
        out.push(FoldPoint {
            x: [next.x[0], next.x[1], next.x[2], next.x[3]],
            a_rel: nn.a_rel,
            cusp: false,
        });
        if next.newton <= 3 {
            h = (h * 1.4).min(0.05);
        }
        (cur, p, a_cur) = (next, nn.p, nn.a_rel);
    }
    (out, "maximum number of steps".into())
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

/// Benchmark result of [`bench`].
#[derive(Debug, Clone, serde::Serialize)]
pub struct Bench {
    /// Median wall time of one diagram over n ∈ [1.2, 72] (s).
    pub diagram_s: f64,
    /// Folds found.
    pub folds: Vec<f64>,
    /// Measured time of one reference-style grid evaluation (f32 kernel of spec §5.5, one point) (ns).
    pub grid_point_ns: f64,
    /// Reference grid method extrapolated: 8192² points per n-value (s).
    pub grid_per_n_s: f64,
    /// Reference grid method extrapolated over the 708 n-values 1.2, 1.3, …, 71.9 (s).
    pub grid_total_s: f64,
    /// grid_total_s / diagram_s.
    pub speedup: f64,
}

/// One point of the reference's CUDA kernel `calc_conditions` (spec §5.5) in f32 on the CPU:
/// the three sign conditions and the boundary flag. Used only as the timing baseline.
fn reference_grid_point(alpha: f32, ell: f32, d: [f32; 3], n: f32, t: f32) -> (f32, f32, bool) {
    let beta = 1.0 - alpha.abs();
    let da = ((alpha * d[0] + beta * d[1]) / t).max(0.0);
    let db = ((alpha * d[1] + beta * d[2]) / t).max(0.0);
    let (pa, pb) = (da.powf(n), db.powf(n));
    let (oa, ob) = ((ell * pa).tanh(), (ell * pb).tanh());
    let (ga, gb) = (pa.tanh(), pb.tanh());
    let e = 2.0 * n - 1.0;
    let a = (ell * (1.0 - oa).powf(e) * (1.0 - oa * oa) + 4.0 * (1.0 - ga).powf(e) * (1.0 - ga * ga))
        * da.powf(n - 1.0);
    let b = (-ell * (1.0 + ob).powf(e) * (1.0 - ob * ob) + 4.0 * (1.0 - gb).powf(e) * (1.0 - gb * gb))
        * db.powf(n - 1.0);
    let l = (1.0 - oa).powf(e) * (1.0 - oa * oa) * pa - (1.0 + ob).powf(e) * (1.0 - ob * ob) * pb;
    let cond = a / alpha - b / beta;
    let boundary = cond.is_finite() && (alpha.signum() * a / alpha + beta.signum() * b / beta) > 0.0;
    (cond.signum(), l.signum(), boundary)
}

/// Time the diagram over n ∈ [1.2, 72] at temperature T (median of `repeats`) against the
/// reference grid method, whose cost is measured on 8192 × 64 grid points at n = 30 and
/// extrapolated to 8192² points per n-value and 708 n-values (one CPU core, f32).
pub fn bench(sys: &TwoMemory, temperature: f64, repeats: usize) -> Bench {
    let mut times = Vec::new();
    let mut folds = Vec::new();
    for _ in 0..repeats {
        let t0 = std::time::Instant::now();
        let d = diagram(
            sys,
            Parameter::N,
            Control { n: 1.2, temperature },
            [1.2, 72.0],
            &DiagramOptions::default(),
        );
        times.push(t0.elapsed().as_secs_f64());
        folds = d.folds.iter().map(|f| f.n).collect();
    }
    times.sort_by(f64::total_cmp);
    let diagram_s = times[times.len() / 2];
    let d = [sys.dots.aa as f32, sys.dots.ab as f32, sys.dots.bb as f32];
    let n = 30.0f32;
    let t = (temperature / sys.memories.powf(1.0 / 30.0)) as f32;
    let size = 8192usize;
    let rows = 64usize;
    let t0 = std::time::Instant::now();
    let mut count = 0usize;
    for j in 0..rows {
        let ell = -1.0 + (j * size / rows) as f32 * 2.0 / size as f32;
        for i in 0..size {
            let alpha = -1.0 + i as f32 * 2.0 / size as f32;
            let r = std::hint::black_box(reference_grid_point(alpha, ell, d, n, t));
            count += r.2 as usize;
        }
    }
    std::hint::black_box(count);
    let per_point = t0.elapsed().as_secs_f64() / (size * rows) as f64;
    let grid_per_n_s = per_point * (size * size) as f64;
    let grid_total_s = grid_per_n_s * 708.0;
    Bench {
        diagram_s,
        folds,
        grid_point_ns: per_point * 1e9,
        grid_per_n_s,
        grid_total_s,
        speedup: grid_total_s / diagram_s,
    }
}
