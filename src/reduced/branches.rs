//! One-parameter bifurcation diagrams of the reduced system in n or T: fixed-point branches
//! followed by the shared pseudo-arclength engine ([`crate::continuation`]), with fold
//! (saddle-node) and branch-point detection localised by bisection and label-saturation switching.
//! Two-parameter fold curves are in [`super::fold_curves`]. Model: AUTO / BifurcationKit.jl.
//!
//! The branch problem is H = (f1, f2) in (s, ℓ, p) for a free label, H = f1(s, ±1) in (s, p) for a
//! saturated one. Events (monitored scalars changing sign between two accepted points) are located
//! by bisection on the arclength from the earlier point:
//! * fold: the parameter component of τ changes sign (det of the (s, ℓ) block vanishes);
//! * branch point: det [DH; τᵀ] changes sign;
//! * label saturation: ℓ reaches ±1 (the branch continues with ℓ clipped, H = f1(s, ±1)), and on a
//!   saturated branch the label flow stops pushing outward (the branch continues free);
//! * the parameter leaves its range, the memory gradient stops pushing outward, or H is undefined.

use super::fixed_points::{FinderOptions, FixedPoint, LabelState, classify, fixed_points};
use super::two_memory::{Control, TwoMemory};
use crate::continuation::{Algorithm, Continuation, Curve, Options, Point};

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

/// The branch problem: free label x = (s, ℓ, p), H = (f1, f2); clipped label x = (s, p),
/// H = f1(s, ±1).
#[derive(Clone, Copy)]
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
    fn fixed_point(&self, p: &Point) -> FixedPoint {
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
    fn steps(&self, _x: &[f64]) -> Vec<f64> {
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
    pub continuation: Options,
}

impl Default for DiagramOptions {
    fn default() -> Self {
        DiagramOptions {
            seed_spacing: 2.0,
            finder: FinderOptions {
                cells_per_face: 100,
                ell_cells: 20,
            },
            continuation: Options::default(),
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

/// Trace one branch from a fixed point in one direction of the parameter (dir = ±1): the
/// bordered corrector, the step × 1.5 after a step of ≤ 3 Newton iterations and × 0.6 after one
/// of more than 5. Between two accepted points every monitored quantity is checked for a sign
/// change; the earliest is located by bisection and handled (recorded, the curve switched, or the
/// branch ended).
#[allow(clippy::too_many_arguments)]
fn trace_one(
    sys: &TwoMemory,
    param: Parameter,
    fixed: Control,
    range: [f64; 2],
    start_fp: &FixedPoint,
    dir: f64,
    opts: &Options,
    found: &mut Found,
) -> (Vec<FixedPoint>, String) {
    let curve = BranchCurve {
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
    let x0 = if curve.mode == LabelState::Free {
        vec![start_fp.s, start_fp.ell, p0]
    } else {
        vec![start_fp.s, p0]
    };
    let mut guess = vec![0.0; curve.dim()];
    guess[curve.dim() - 1] = dir;
    let algorithm = Algorithm::bordered(1.5).shrinking(0.6, 5);
    let Some(mut branch) = Continuation::new(curve, x0, &guess, algorithm, *opts) else {
        return (vec![*start_fp], "tangent undefined at start".into());
    };
    let mut points = vec![curve.fixed_point(branch.point())];
    let pi = curve.p_index();
    let cur = branch.point();
    let outward_at_end =
        (cur.x[pi] - lo <= 1e-12 && cur.tau[pi] < 0.0) || (hi - cur.x[pi] <= 1e-12 && cur.tau[pi] > 0.0);
    if outward_at_end {
        return (points, "parameter range end".into());
    }
    // Monitored functions, with the fixed point they were computed from.
    let monitors = |curve: &BranchCurve, q: &Point| -> (FixedPoint, Vec<(Event, f64)>) {
        let fp = curve.fixed_point(q);
        let pi = curve.p_index();
        let mut v = vec![
            (Event::Fold, q.tau[pi]),
            (Event::BranchPoint, q.bordered_det()),
            (Event::OutOfRange, (q.x[pi] - lo).min(hi - q.x[pi])),
            (Event::Inward, fp.outward),
        ];
        if curve.mode == LabelState::Free {
            v.push((Event::LabelEdge, 1.0 - q.x[1].abs()));
        } else {
            v.push((Event::Release, curve.release(&q.x)));
        }
        (fp, v)
    };
    // The monitors at the branch's point when it is the previous step's accepted point (an event
    // moves the branch or changes the curve: then they are computed again).
    let mut here: Option<Vec<(Event, f64)>> = None;
    let reason = loop {
        let Some((next, h)) = branch.propose() else {
            break branch.end().map_or("stopped", |e| e.describe()).to_string();
        };
        let curve = *branch.curve();
        let m0 = match here.take() {
            Some(m) => m,
            None => monitors(&curve, branch.point()).1,
        };
        let (next_fp, m1) = monitors(&curve, &next);
        // Locate the earliest sign change.
        let mut first: Option<(f64, Event, Point)> = None;
        for (k, &(ev, a)) in m0.iter().enumerate() {
            let b = m1[k].1;
            // A monitor that is (numerically) zero at the earlier point is the event just handled.
            if !(a.is_finite() && b.is_finite()) || (a > 0.0) == (b > 0.0) || a.abs() < 1e-9 {
                continue;
            }
            let (hb, best) = branch.locate(&next, h, |c, q| monitors(c, q).1[k].1);
            if first.as_ref().is_none_or(|f| hb < f.0) {
                first = Some((hb, ev, best));
            }
        }
        let Some((_, ev, at)) = first else {
            points.push(next_fp);
            branch.accept(next);
            here = Some(m1);
            continue;
        };
        let fp = curve.fixed_point(&at);
        points.push(fp);
        let h = opts.h_init.min(branch.step_size());
        match ev {
            Event::Fold => {
                found.folds.push(fp);
                branch.jump_to(at, h);
            }
            Event::BranchPoint => {
                found.branch_points.push(fp);
                branch.jump_to(at, h);
            }
            Event::OutOfRange => break "parameter range end".to_string(),
            Event::Inward => break "memory gradient no longer points outward (σ = 0)".to_string(),
            Event::LabelEdge => {
                // Continue with the label clipped at ±1.
                found.switches.push(fp);
                let mode = if at.x[1].signum() > 0.0 {
                    LabelState::SaturatedUp
                } else {
                    LabelState::SaturatedDown
                };
                let guess = [at.tau[0], at.tau[2]];
                if !branch.restart(BranchCurve { mode, ..curve }, vec![at.x[0], at.x[2]], &guess, h) {
                    break "tangent undefined at label saturation".to_string();
                }
            }
            Event::Release => {
                found.switches.push(fp);
                let edge = curve.edge();
                // Orient the free tangent into |ℓ| < 1.
                let guess = [0.0, -edge, 0.0];
                let free = BranchCurve {
                    mode: LabelState::Free,
                    ..curve
                };
                if !branch.restart(free, vec![at.x[0], edge, at.x[1]], &guess, h) {
                    break "tangent undefined at label release".to_string();
                }
            }
        }
    };
    (points, reason)
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
