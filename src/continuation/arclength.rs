//! Pseudo-arclength continuation of a curve H(x) = 0, H: R^d → R^(d−1) (spec §10.1; the design
//! of BifurcationKit.jl: the problem ([`Curve`]), the algorithm ([`Algorithm`]) and the options
//! ([`Options`]) are kept apart, and the branch is an iterator over accepted points).
//!
//! One step from (x, τ) with arclength h: predictor y = x + hτ, corrector Newton on
//! [H(y); τ·(y − x) − h] = 0, new tangent τ' from [DH(y); τᵀ] τ' = e_d, normalised and oriented
//! with τ'·τ > 0. A failed step halves h; an accepted one may grow it.

use crate::linalg::small::{dist, jacobian, norm, relative_steps, solve_in_place};

use super::newton::newton;

/// A curve H(x) = 0 to follow: the problem.
pub trait Curve {
    /// Number of coordinates d (H has d − 1 components).
    fn dim(&self) -> usize;
    /// H(x); NaN where undefined.
    fn eval(&self, x: &[f64]) -> Vec<f64>;
    /// Central-difference steps per coordinate at x.
    fn steps(&self, x: &[f64]) -> Vec<f64> {
        relative_steps(x)
    }
}

impl<C: Curve + ?Sized> Curve for &C {
    fn dim(&self) -> usize {
        (**self).dim()
    }
    fn eval(&self, x: &[f64]) -> Vec<f64> {
        (**self).eval(x)
    }
    fn steps(&self, x: &[f64]) -> Vec<f64> {
        (**self).steps(x)
    }
}

/// A curve given by a closure in d coordinates, with relative difference steps.
pub struct FnCurve<F> {
    /// H.
    pub f: F,
    /// Number of coordinates.
    pub dim: usize,
}

impl<F: Fn(&[f64]) -> Vec<f64>> Curve for FnCurve<F> {
    fn dim(&self) -> usize {
        self.dim
    }
    fn eval(&self, x: &[f64]) -> Vec<f64> {
        (self.f)(x)
    }
}

/// A point of a traced curve with its unit tangent, the Jacobian DH there ((d−1)×d row-major)
/// and the number of corrector iterations it took.
#[derive(Debug, Clone)]
pub struct Point {
    /// Coordinates.
    pub x: Vec<f64>,
    /// Unit tangent.
    pub tau: Vec<f64>,
    /// DH(x).
    pub jac: Vec<f64>,
    /// Corrector iterations.
    pub newton: usize,
}

impl Point {
    /// det [DH; τᵀ]: changes sign at a branch point, not at a fold.
    pub fn bordered_det(&self) -> f64 {
        let mut a = self.jac.clone();
        a.extend_from_slice(&self.tau);
        crate::linalg::small::det(&a, self.tau.len())
    }
}

/// The corrector of a step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Corrector {
    /// Newton on the bordered system [DH; τᵀ] δ = −[H; τ·(y − x) − h], the Jacobian from the
    /// curve's own steps, until |δ|∞ < tol (at most 12 iterations, each |δ|∞ ≤ 0.5); accepted
    /// when |H| ≤ 1e−8·max(1, |DH|) and the tangent turns by less than acos 0.97. The residual
    /// test is relative because H's scale can grow like rⁿ (DH reaches ~1e8 on some branches of
    /// the reduced system), where an absolute 1e−8 is below round-off.
    Bordered,
    /// Damped Newton ([`newton`]) on [H(y); τ·(y − y_pred)] = 0 until |F| < tol (12 iterations),
    /// accepted when the point lies within 3h of the previous one. A tangent that cannot be
    /// computed ends the branch.
    Damped,
}

/// The algorithm: the corrector and the step-size rule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Algorithm {
    /// The corrector.
    pub corrector: Corrector,
    /// After an accepted step that took at most `fast_newton` iterations, h ← min(grow·h, h_max).
    pub grow: f64,
    /// See `grow`.
    pub fast_newton: usize,
    /// After an accepted step that took more than `slow_newton` iterations, h ← shrink·h.
    pub shrink: f64,
    /// See `shrink`.
    pub slow_newton: usize,
}

impl Algorithm {
    /// The bordered corrector; h × `grow` after a step of at most 3 Newton iterations.
    pub fn bordered(grow: f64) -> Self {
        Algorithm {
            corrector: Corrector::Bordered,
            grow,
            fast_newton: 3,
            shrink: 1.0,
            slow_newton: usize::MAX,
        }
    }
    /// The same, and h × `factor` after a step of more than `above` Newton iterations.
    pub fn shrinking(self, factor: f64, above: usize) -> Self {
        Algorithm {
            shrink: factor,
            slow_newton: above,
            ..self
        }
    }
    /// The damped corrector, h × 1.3 after every accepted step (the bifurcating networks).
    pub fn damped() -> Self {
        Algorithm {
            corrector: Corrector::Damped,
            grow: 1.3,
            fast_newton: usize::MAX,
            shrink: 1.0,
            slow_newton: usize::MAX,
        }
    }
}

/// Step control of the continuation.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Options {
    /// First arclength step.
    pub h_init: f64,
    /// Smallest step before giving up.
    pub h_min: f64,
    /// Largest step.
    pub h_max: f64,
    /// Maximum accepted steps.
    pub max_steps: usize,
    /// Corrector tolerance.
    pub tol: f64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            h_init: 0.01,
            h_min: 1e-9,
            h_max: 0.08,
            max_steps: 20_000,
            tol: 1e-11,
        }
    }
}

/// Why a branch ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// The step budget was spent.
    MaxSteps,
    /// The corrector failed down to the smallest step.
    StepUnderflow,
    /// The tangent could not be computed.
    Tangent,
}

impl End {
    /// The reason in words.
    pub fn describe(self) -> &'static str {
        match self {
            End::MaxSteps => "maximum number of steps",
            End::StepUnderflow => "step size underflow (corrector failed)",
            End::Tangent => "tangent undefined",
        }
    }
}

/// Why one step failed.
enum Failure {
    Corrector,
    Tangent,
}

fn jac_of<C: Curve + ?Sized>(c: &C, x: &[f64]) -> Vec<f64> {
    let f = |y: &[f64]| c.eval(y);
    jacobian(&f, x, &c.steps(x), c.dim() - 1)
}

/// Unit tangent: solve [J; prevᵀ] z = e_d, normalise, orient along `prev`.
fn tangent(jac: &[f64], prev: &[f64]) -> Option<Vec<f64>> {
    let d = prev.len();
    let mut a = jac.to_vec();
    a.extend_from_slice(prev);
    let mut b = vec![0.0; d];
    b[d - 1] = 1.0;
    solve_in_place(&mut a, &mut b)?;
    let n = norm(&b);
    let sign = if b.iter().zip(prev).map(|(a, b)| a * b).sum::<f64>() < 0.0 {
        -1.0
    } else {
        1.0
    };
    Some(b.iter().map(|v| sign * v / n).collect())
}

/// The point x (assumed on the curve) with its tangent oriented along `guess`.
pub fn start<C: Curve + ?Sized>(c: &C, x: Vec<f64>, guess: &[f64]) -> Option<Point> {
    let jac = jac_of(c, &x);
    let tau = tangent(&jac, guess)?;
    Some(Point {
        x,
        tau,
        jac,
        newton: 0,
    })
}

/// One predictor–corrector step of arclength h from `p`.
fn step<C: Curve + ?Sized>(
    c: &C,
    corrector: Corrector,
    p: &Point,
    h: f64,
    tol: f64,
) -> Result<Point, Failure> {
    match corrector {
        Corrector::Bordered => bordered_step(c, p, h, tol).ok_or(Failure::Corrector),
        Corrector::Damped => damped_step(c, p, h, tol),
    }
}

fn bordered_step<C: Curve + ?Sized>(c: &C, p: &Point, h: f64, tol: f64) -> Option<Point> {
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
        let mut a = jac_of(c, &y);
        a.extend_from_slice(&p.tau);
        let mut b: Vec<f64> = hv.iter().map(|v| -v).collect();
        let arc: f64 = y
            .iter()
            .zip(&p.x)
            .zip(&p.tau)
            .map(|((y, x), t)| (y - x) * t)
            .sum();
        b.push(-(arc - h));
        solve_in_place(&mut a, &mut b)?;
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
    let scale = jac.iter().fold(1.0f64, |m, v| m.max(v.abs()));
    if !converged || hv.iter().any(|v| !v.is_finite() || v.abs() > 1e-8 * scale) {
        return None;
    }
    let tau = tangent(&jac, &p.tau)?;
    let turn: f64 = tau.iter().zip(&p.tau).map(|(a, b)| a * b).sum();
    if turn < 0.97 {
        return None;
    }
    Some(Point {
        x: y,
        tau,
        jac,
        newton: iters,
    })
}

fn damped_step<C: Curve + ?Sized>(c: &C, p: &Point, h: f64, tol: f64) -> Result<Point, Failure> {
    let d = c.dim();
    let pred: Vec<f64> = p.x.iter().zip(&p.tau).map(|(a, b)| a + h * b).collect();
    let aug = |y: &[f64]| {
        let mut r = c.eval(y);
        r.push((0..d).map(|k| p.tau[k] * (y[k] - pred[k])).sum());
        r
    };
    match newton(&aug, &pred, tol, 12) {
        Some(y) if dist(&y, &p.x) < 3.0 * h => {
            let jac = jac_of(c, &y);
            let tau = tangent(&jac, &p.tau).ok_or(Failure::Tangent)?;
            Ok(Point {
                x: y,
                tau,
                jac,
                newton: 0,
            })
        }
        _ => Err(Failure::Corrector),
    }
}

/// A branch being traced: an iterator over accepted points (the start point is not repeated).
/// Between two points the caller may look for events ([`Continuation::locate`]), move the branch
/// to a located point ([`Continuation::jump_to`]) or restart it on a changed curve
/// ([`Continuation::restart`]).
pub struct Continuation<C: Curve> {
    curve: C,
    algorithm: Algorithm,
    options: Options,
    point: Point,
    h: f64,
    steps: usize,
    grow_pending: bool,
    end: Option<End>,
}

impl<C: Curve> Continuation<C> {
    /// A branch from x (on the curve) with its tangent oriented along `guess`; `None` when the
    /// tangent is undefined there.
    pub fn new(curve: C, x: Vec<f64>, guess: &[f64], algorithm: Algorithm, options: Options) -> Option<Self> {
        let point = start(&curve, x, guess)?;
        Some(Continuation {
            curve,
            algorithm,
            options,
            point,
            h: options.h_init,
            steps: 0,
            grow_pending: false,
            end: None,
        })
    }

    /// The last accepted point.
    pub fn point(&self) -> &Point {
        &self.point
    }

    /// The step the next attempt will use.
    pub fn step_size(&self) -> f64 {
        self.h
    }

    /// The curve.
    pub fn curve(&self) -> &C {
        &self.curve
    }

    /// Why the iterator stopped (`None` while it runs or when the caller stopped it).
    pub fn end(&self) -> Option<End> {
        self.end
    }

    /// Find the earliest point between the last accepted point (arclength 0) and `to`
    /// (arclength h) where `monitor` leaves the sign it has at the last accepted point, by
    /// bisection on the arclength of the step (60 halvings or width 1e−13). Returns the arclength
    /// of the first point past the change and that point (`to` if no bisection step succeeds).
    pub fn locate<M: Fn(&C, &Point) -> f64>(&self, to: &Point, h: f64, monitor: M) -> (f64, Point) {
        let positive = monitor(&self.curve, &self.point) > 0.0;
        let (mut ha, mut hb) = (0.0, h);
        let mut best = to.clone();
        for _ in 0..60 {
            if hb - ha < 1e-13 {
                break;
            }
            let hm = 0.5 * (ha + hb);
            let Ok(q) = step(
                &self.curve,
                self.algorithm.corrector,
                &self.point,
                hm,
                self.options.tol,
            ) else {
                break;
            };
            if (monitor(&self.curve, &q) > 0.0) == positive {
                ha = hm;
            } else {
                hb = hm;
                best = q;
            }
        }
        (hb, best)
    }

    /// Continue from `p` (a located event) with step `h`, without growing the step first.
    pub fn jump_to(&mut self, p: Point, h: f64) {
        self.point = p;
        self.h = h;
        self.grow_pending = false;
    }

    /// Change the curve (e.g. a label becoming saturated) and continue from x with its tangent
    /// oriented along `guess`; `false` (and the branch ends) when that tangent is undefined.
    pub fn restart(&mut self, curve: C, x: Vec<f64>, guess: &[f64], h: f64) -> bool {
        self.curve = curve;
        match start(&self.curve, x, guess) {
            Some(p) => {
                self.jump_to(p, h);
                true
            }
            None => {
                self.end = Some(End::Tangent);
                false
            }
        }
    }

    fn adapt(&mut self) {
        if !self.grow_pending {
            return;
        }
        self.grow_pending = false;
        let a = self.algorithm;
        if self.point.newton <= a.fast_newton {
            self.h = (self.h * a.grow).min(self.options.h_max);
        } else if self.point.newton > a.slow_newton {
            self.h *= a.shrink;
        }
    }

    /// The next accepted point together with the arclength of its step, without moving the branch
    /// there: the caller accepts it with [`Continuation::accept`] or moves elsewhere.
    pub fn propose(&mut self) -> Option<(Point, f64)> {
        if self.end.is_some() {
            return None;
        }
        self.adapt();
        if self.steps >= self.options.max_steps {
            self.end = Some(End::MaxSteps);
            return None;
        }
        loop {
            match step(
                &self.curve,
                self.algorithm.corrector,
                &self.point,
                self.h,
                self.options.tol,
            ) {
                Ok(q) => {
                    self.steps += 1;
                    return Some((q, self.h));
                }
                Err(Failure::Tangent) if self.algorithm.corrector == Corrector::Damped => {
                    self.end = Some(End::Tangent);
                    return None;
                }
                Err(_) => {
                    self.h /= 2.0;
                    if self.h < self.options.h_min {
                        self.end = Some(End::StepUnderflow);
                        return None;
                    }
                }
            }
        }
    }

    /// Move the branch to a proposed point; the step may grow before the next one.
    pub fn accept(&mut self, p: Point) {
        self.point = p;
        self.grow_pending = true;
    }
}

impl<C: Curve> Iterator for Continuation<C> {
    type Item = Point;

    /// Propose and accept the next point.
    fn next(&mut self) -> Option<Point> {
        let (q, _) = self.propose()?;
        self.accept(q.clone());
        Some(q)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The unit circle x² + y² = 1 traced from (1, 0): every point on it, the tangent
    /// perpendicular to the radius, and the full turn back to the start.
    #[test]
    fn both_correctors_trace_the_unit_circle() {
        for algorithm in [Algorithm::bordered(1.5), Algorithm::damped()] {
            let curve = FnCurve {
                f: |x: &[f64]| vec![x[0] * x[0] + x[1] * x[1] - 1.0],
                dim: 2,
            };
            let options = Options {
                h_max: 0.1,
                ..Options::default()
            };
            let branch = Continuation::new(curve, vec![1.0, 0.0], &[0.0, 1.0], algorithm, options).unwrap();
            let mut arc = 0.0;
            let mut last = [1.0, 0.0];
            for p in branch.take(400) {
                assert!((p.x[0].hypot(p.x[1]) - 1.0).abs() < 1e-9);
                assert!((p.x[0] * p.tau[0] + p.x[1] * p.tau[1]).abs() < 1e-6);
                arc += (p.x[0] - last[0]).hypot(p.x[1] - last[1]);
                last = [p.x[0], p.x[1]];
                if arc > 2.0 * std::f64::consts::PI {
                    break;
                }
            }
            assert!(arc > 2.0 * std::f64::consts::PI - 0.11, "{algorithm:?}: {arc}");
        }
    }

    /// A fold of x² + p = 0 in p (at p = 0) located by bisection on the tangent's p component.
    #[test]
    fn a_fold_is_located_by_bisection() {
        let curve = FnCurve {
            f: |x: &[f64]| vec![x[0] * x[0] + x[1]],
            dim: 2,
        };
        let mut branch = Continuation::new(
            curve,
            vec![-1.0, -1.0],
            &[1.0, 0.0],
            Algorithm::bordered(1.5),
            Options::default(),
        )
        .unwrap();
        loop {
            let (q, h) = branch.propose().unwrap();
            if (q.tau[1] > 0.0) != (branch.point().tau[1] > 0.0) {
                let (_, at) = branch.locate(&q, h, |_, p| p.tau[1]);
                assert!(at.x[0].abs() < 1e-6 && at.x[1].abs() < 1e-10, "{:?}", at.x);
                break;
            }
            branch.accept(q);
        }
    }
}
