//! Bifurcation analysis (spec §6.3–6.4, §4.3–4.4, §10.1 "bifurcation"): pseudo-arclength
//! continuation with fold detection, fold refinement from exact augmented systems, landscape
//! one-parameter diagrams, two-parameter fold curves (generic and the closed form of §6.3),
//! saddle → attractor connections, and network folds (finite β and β → ∞).

use super::critical::{self, CriticalPoint, Kind, SearchOptions};
use super::network::{Network, softmax};
use super::ode::{DpOptions, dormand_prince};
use super::potentials::Potential;
use crate::continuation::{Algorithm, Continuation, FnCurve, Options, newton};
use crate::error::{Error, Result};
use crate::linalg::small::{det, dist, norm, solve};
use serde::Serialize;

/// The continuation options of this module: first step 0.01, steps in [1e−7, 0.05], 20 000
/// accepted steps, corrector tolerance 1e−11 (spec §10.1).
pub const CONTINUATION: Options = Options {
    h_init: 0.01,
    h_min: 1e-7,
    h_max: 0.05,
    max_steps: 20_000,
    tol: 1e-11,
};

/// Pseudo-arclength continuation of the curve F(x) = 0, F: ℝ^{n+1} → ℝ^n, from the point x0 in
/// the initial direction `dir` with the damped corrector ([`Algorithm::damped`]), until `stop(x)`
/// or the end of the branch. Returns the points (x0 first) and the indices after which the
/// component `watch` of the tangent changed sign (turning points in that coordinate: folds when
/// `watch` is the parameter).
fn follow<F, S>(
    f: &F,
    x0: &[f64],
    dir: &[f64],
    watch: usize,
    opts: &Options,
    stop: S,
) -> (Vec<Vec<f64>>, Vec<usize>)
where
    F: Fn(&[f64]) -> Vec<f64>,
    S: Fn(&[f64]) -> bool,
{
    let mut pts = vec![x0.to_vec()];
    let mut turns = Vec::new();
    let curve = FnCurve { f, dim: x0.len() };
    let Some(branch) = Continuation::new(curve, x0.to_vec(), dir, Algorithm::damped(), *opts) else {
        return (pts, turns);
    };
    let mut t = branch.point().tau.clone();
    for p in branch {
        if p.tau[watch].signum() != t[watch].signum() && t[watch] != 0.0 {
            turns.push(pts.len() - 1);
        }
        t = p.tau;
        let done = stop(&p.x);
        pts.push(p.x);
        if done {
            break;
        }
    }
    (pts, turns)
}

/// A fold (saddle-node) point of the landscape: ∇V = 0 and det ∇²V = 0 at parameter value p.
#[derive(Debug, Clone, Serialize)]
pub struct Fold {
    /// Index of the continued parameter.
    pub param: usize,
    /// Its value at the fold.
    pub value: f64,
    /// The full parameter vector at the fold.
    pub theta: Vec<f64>,
    /// Landscape position.
    pub z: Vec<f64>,
}

fn with_param(theta: &[f64], idx: usize, v: f64) -> Vec<f64> {
    let mut t = theta.to_vec();
    t[idx] = v;
    t
}

/// Refine a landscape fold from a guess (z, p): Newton on the exact system
/// (∇V(z; θ(p)), det∇²V(z; θ(p))) = 0 (spec §6.3, §10.1).
pub fn refine_fold(pot: &dyn Potential, theta: &[f64], idx: usize, z0: &[f64], p0: f64) -> Option<Fold> {
    let d = pot.dim();
    let f = |y: &[f64]| {
        let th = with_param(theta, idx, y[d]);
        let mut g = vec![0.0; d];
        pot.gradient(&y[..d], &th, &mut g);
        let mut h = vec![0.0; d * d];
        pot.hessian(&y[..d], &th, &mut h);
        g.push(det(&h, d));
        g
    };
    let mut x0 = z0.to_vec();
    x0.push(p0);
    let y = newton(&f, &x0, 1e-12, 60)?;
    Some(Fold {
        param: idx,
        value: y[d],
        theta: with_param(theta, idx, y[d]),
        z: y[..d].to_vec(),
    })
}

/// One branch of critical points of V(z; θ) as a parameter varies.
#[derive(Debug, Clone, Serialize)]
pub struct Branch {
    /// Parameter values along the branch.
    pub p: Vec<f64>,
    /// Positions z along the branch (same length).
    pub z: Vec<Vec<f64>>,
    /// Kind at each point.
    pub kind: Vec<Kind>,
    /// Folds on this branch.
    pub folds: Vec<Fold>,
}

/// One-parameter bifurcation diagram of the landscape (spec §10.1): every critical point at both
/// ends of [p_min, p_max] (parameter `idx`, others from `theta`) is continued by
/// pseudo-arclength; folds are detected by sign changes of the tangent's parameter component and
/// refined on the exact fold system. Branches found from both ends are reported once. (Isolas
/// that touch neither end are not found.)
pub fn landscape_diagram(
    pot: &dyn Potential,
    theta: &[f64],
    idx: usize,
    p_min: f64,
    p_max: f64,
    opts: &Options,
) -> Result<Vec<Branch>> {
    if p_max.partial_cmp(&p_min) != Some(std::cmp::Ordering::Greater) || idx >= theta.len() {
        return Err(Error::invalid(
            "diagram",
            "need p_max > p_min and a valid parameter",
        ));
    }
    let d = pot.dim();
    let so = SearchOptions::default();
    let f = |y: &[f64]| {
        let th = with_param(theta, idx, y[d]);
        let mut g = vec![0.0; d];
        pot.gradient(&y[..d], &th, &mut g);
        g
    };
    let start = critical::critical_points(pot, &with_param(theta, idx, p_min), &so)?;
    let end = critical::critical_points(pot, &with_param(theta, idx, p_max), &so)?;
    let zbound = 10.0 * start.iter().chain(&end).map(|c| norm(&c.z)).fold(1.0, f64::max);
    let mut branches: Vec<Branch> = Vec::new();
    let mut covered_end = vec![false; end.len()];
    let mut seeds: Vec<(Vec<f64>, f64, f64)> = start.iter().map(|c| (c.z.clone(), p_min, 1.0)).collect();
    seeds.extend(end.iter().map(|c| (c.z.clone(), p_max, -1.0)));
    let width = p_max - p_min;
    let o = Options {
        h_init: opts.h_init.min(width / 50.0),
        h_max: opts.h_max.min(width / 20.0),
        ..*opts
    };
    for (k, (z, p0, sgn)) in seeds.into_iter().enumerate() {
        if k >= start.len() && covered_end[k - start.len()] {
            continue;
        }
        let mut x0 = z.clone();
        x0.push(p0);
        let mut dir = vec![0.0; d + 1];
        dir[d] = sgn;
        let stop = |y: &[f64]| y[d] < p_min - 1e-12 || y[d] > p_max + 1e-12 || norm(&y[..d]) > zbound;
        let (mut pts, turns) = follow(&f, &x0, &dir, d, &o, stop);
        // Clip the last point back onto the interval end by Newton at fixed p.
        if let Some(last) = pts.last().cloned()
            && (last[d] < p_min || last[d] > p_max)
        {
            let pe = if last[d] > p_max { p_max } else { p_min };
            let th = with_param(theta, idx, pe);
            let (zc, r) = critical::newton_critical(pot, &th, &last[..d], 50);
            pts.pop();
            if r < 1e-9 {
                let mut q = zc;
                q.push(pe);
                pts.push(q);
            }
        }
        let folds: Vec<Fold> = turns
            .iter()
            .filter_map(|&i| refine_fold(pot, theta, idx, &pts[i][..d], pts[i][d]))
            .collect();
        // Mark end points reached.
        for (j, c) in end.iter().enumerate() {
            if pts
                .iter()
                .any(|y| (y[d] - p_max).abs() < 1e-9 && dist(&y[..d], &c.z) < 1e-6)
            {
                covered_end[j] = true;
            }
        }
        let kinds = pts
            .iter()
            .map(|y| critical::classify(pot, &with_param(theta, idx, y[d]), &y[..d], 1e-7).kind)
            .collect();
        // Skip a branch identical to one found before (started from the other end).
        let dup = branches.iter().any(|b| {
            pts.len() > 1
                && b.z.iter().zip(&b.p).any(|(bz, &bp)| {
                    (bp - pts[pts.len() / 2][d]).abs() < 1e-6 && dist(bz, &pts[pts.len() / 2][..d]) < 1e-5
                })
        });
        if dup {
            continue;
        }
        branches.push(Branch {
            p: pts.iter().map(|y| y[d]).collect(),
            z: pts.iter().map(|y| y[..d].to_vec()).collect(),
            kind: kinds,
            folds,
        });
    }
    Ok(branches)
}

/// A point of a two-parameter fold curve.
#[derive(Debug, Clone, Serialize)]
pub struct FoldCurve {
    /// (p_i, p_j) along the curve.
    pub params: Vec<[f64; 2]>,
    /// z along the curve.
    pub z: Vec<Vec<f64>>,
}

/// Two-parameter fold curve through a fold (spec §6.3, §10.1): continuation of
/// (∇V, det∇²V) = 0 in (z, p_i, p_j), in both directions, while p_j stays in `range_j` and p_i in
/// `range_i`.
pub fn fold_curve(
    pot: &dyn Potential,
    fold: &Fold,
    j: usize,
    range_i: (f64, f64),
    range_j: (f64, f64),
    opts: &Options,
) -> FoldCurve {
    let d = pot.dim();
    let i = fold.param;
    let theta = fold.theta.clone();
    let f = |y: &[f64]| {
        let mut th = theta.clone();
        th[i] = y[d];
        th[j] = y[d + 1];
        let mut g = vec![0.0; d];
        pot.gradient(&y[..d], &th, &mut g);
        let mut h = vec![0.0; d * d];
        pot.hessian(&y[..d], &th, &mut h);
        g.push(det(&h, d));
        g
    };
    let mut x0 = fold.z.clone();
    x0.push(fold.value);
    x0.push(fold.theta[j]);
    let stop = |y: &[f64]| {
        y[d] < range_i.0
            || y[d] > range_i.1
            || y[d + 1] < range_j.0
            || y[d + 1] > range_j.1
            || norm(&y[..d]) > 1e3
    };
    let mut all: Vec<Vec<f64>> = Vec::new();
    for sgn in [-1.0, 1.0] {
        let mut dir = vec![0.0; d + 2];
        dir[d + 1] = sgn;
        let (pts, _) = follow(&f, &x0, &dir, d + 1, opts, stop);
        if sgn < 0.0 {
            all.extend(pts.into_iter().rev());
        } else {
            all.extend(pts.into_iter().skip(1));
        }
    }
    FoldCurve {
        params: all.iter().map(|y| [y[d], y[d + 1]]).collect(),
        z: all.iter().map(|y| y[..d].to_vec()).collect(),
    }
}

/// Closed-form fold set of the heteroclinic flip (spec §6.3), κ = 4: for y on a grid,
/// X = x² = 8y·G(y)/(12G(y) − 64), G = 12y² + 6y + 2c, kept where X ≥ 0; each x = ±√X gives
/// (a, b) = (4x³ − 8xy, −(4y³ + 3y² − 4x² + 2cy)). Returns rows (a, b, x, y).
pub fn heteroclinic_fold_set(c: f64, y_min: f64, y_max: f64, n: usize) -> Vec<[f64; 4]> {
    let mut out = Vec::new();
    for k in 0..n {
        let y = y_min + (y_max - y_min) * k as f64 / (n.max(2) - 1) as f64;
        let g = 12.0 * y * y + 6.0 * y + 2.0 * c;
        let den = 12.0 * g - 64.0;
        if den == 0.0 {
            continue;
        }
        let xx = 8.0 * y * g / den;
        if xx < 0.0 {
            continue;
        }
        let xs = xx.sqrt();
        let xs_list: Vec<f64> = if xs == 0.0 { vec![0.0] } else { vec![xs, -xs] };
        for x in xs_list {
            let a = 4.0 * x * x * x - 8.0 * x * y;
            let b = -(4.0 * y * y * y + 3.0 * y * y - 4.0 * x * x + 2.0 * c * y);
            out.push([a, b, x, y]);
        }
    }
    out
}

/// Where the unstable manifold branch of a saddle ends (spec §6.4).
#[derive(Debug, Clone, Serialize)]
pub struct Connection {
    /// Index of the saddle in the critical-point list.
    pub saddle: usize,
    /// +1 or −1: which side of the unstable eigenvector.
    pub side: i8,
    /// Index of the critical point the branch ends at (nearest; None if it escaped).
    pub end: Option<usize>,
    /// Kind of that point.
    pub end_kind: Option<Kind>,
    /// Distance between the branch end and that point.
    pub distance: f64,
    /// Final position of the branch.
    pub end_z: Vec<f64>,
}

/// The connection graph (spec §6.4): from each index-1 saddle integrate the gradient flow
/// dz/dt = −∇V along ± its unstable eigenvector (offset ε = 1e−6) for a long time with
/// Dormand–Prince, and report the nearest critical point to where each branch ends.
pub fn connections(
    pot: &dyn Potential,
    theta: &[f64],
    cps: &[CriticalPoint],
    t_max: f64,
) -> Result<Vec<Connection>> {
    let d = pot.dim();
    let mut out = Vec::new();
    for (si, s) in cps.iter().enumerate() {
        if !(s.kind == Kind::Saddle && s.index == 1) {
            continue;
        }
        let mut h = vec![0.0; d * d];
        pot.hessian(&s.z, theta, &mut h);
        // Unstable eigenvector: null vector of H − λ_min I by inverse iteration.
        // Inverse iteration with a shift just below the smallest eigenvalue.
        let lam = s.eigenvalues[0];
        let gap = s.eigenvalues.get(1).map_or(1.0, |l2| (l2 - lam).abs());
        let shift = lam - 1e-3 * gap.max(1e-12);
        let mut v: Vec<f64> = (0..d).map(|k| 1.0 + 0.1 * k as f64).collect();
        let mut a = h.clone();
        for k in 0..d {
            a[k * d + k] -= shift;
        }
        let iterations = if d == 2 {
            // Closed form (exact zeros preserved, e.g. on a symmetry axis).
            v = if h[1] == 0.0 && h[2] == 0.0 {
                if h[0] <= h[3] {
                    vec![1.0, 0.0]
                } else {
                    vec![0.0, 1.0]
                }
            } else {
                let w = [h[1], lam - h[0]];
                let nw = norm(&w);
                vec![w[0] / nw, w[1] / nw]
            };
            0
        } else {
            20
        };
        for _ in 0..iterations {
            let Some(w) = solve(&a, &v) else { break };
            let nw = norm(&w);
            if !(nw.is_finite() && nw > 0.0) {
                break;
            }
            v = w.iter().map(|x| x / nw).collect();
        }
        for side in [1i8, -1] {
            let z0: Vec<f64> =
                s.z.iter()
                    .zip(&v)
                    .map(|(a, b)| a + f64::from(side) * 1e-6 * b)
                    .collect();
            let rhs = |_t: f64, z: &[f64], o: &mut [f64]| {
                pot.gradient(z, theta, o);
                for x in o.iter_mut() {
                    *x = -*x;
                }
            };
            let opts = DpOptions {
                rtol: 1e-11,
                atol: 1e-13,
                ..Default::default()
            };
            let sol = dormand_prince(rhs, 0.0, &z0, &[t_max], &[], &[], &opts)?;
            let zend = sol.y[0].clone();
            let (end, dd) = cps
                .iter()
                .enumerate()
                .map(|(i, c)| (i, dist(&c.z, &zend)))
                .min_by(|a, b| a.1.total_cmp(&b.1))
                .map(|(i, dd)| (Some(i), dd))
                .unwrap_or((None, f64::INFINITY));
            out.push(Connection {
                saddle: si,
                side,
                end,
                end_kind: end.map(|i| cps[i].kind),
                distance: dd,
                end_z: zend,
            });
        }
    }
    Ok(out)
}

/// A network fold (saddle-node of network equilibria) in parameter `idx`.
#[derive(Debug, Clone, Serialize)]
pub struct NetworkFold {
    /// Parameter value at the fold.
    pub value: f64,
    /// m at the fold.
    pub m: Vec<f64>,
}

/// Finite-β network fold (spec §4.4, §11 item 9): Newton on the exact system
/// (F(v; θ(p)), det ∂F/∂v) = 0 in (v, p), with F the equilibrium residual in softmax-argument
/// space, from a guess (m0, p0).
pub fn network_fold(net: &Network, theta: &[f64], idx: usize, m0: &[f64], p0: f64) -> Option<NetworkFold> {
    let p = net.p;
    let f = |y: &[f64]| {
        let th = with_param(theta, idx, y[p]);
        let mut r = net.eq_residual_pub(&y[..p], &th);
        r.push(net.eq_det(&y[..p], &th) / net.beta.powi(p as i32 - 1));
        r
    };
    let mut x0: Vec<f64> = m0.iter().map(|m| m.max(1e-300).ln()).collect();
    let mean = x0.iter().sum::<f64>() / p as f64;
    for v in x0.iter_mut() {
        *v -= mean;
    }
    x0.push(p0);
    let y = newton(&f, &x0, 1e-9, 100)?;
    let mut m = vec![0.0; p];
    softmax(&y[..p], &mut m);
    Some(NetworkFold { value: y[p], m })
}

/// Follow the network's stable equilibrium from m0 at parameter p_from towards p_to (natural
/// continuation in small steps, Newton in v-space) and locate the fold where it disappears; then
/// refine with [`network_fold`]. Returns None if it survives to p_to.
pub fn track_network_fold(
    net: &Network,
    theta: &[f64],
    idx: usize,
    m0: &[f64],
    p_from: f64,
    p_to: f64,
    steps: usize,
) -> Option<NetworkFold> {
    let mut v: Vec<f64> = net
        .u(m0, &with_param(theta, idx, p_from))
        .iter()
        .map(|x| net.beta * x)
        .collect();
    let mut last_ok: Option<(Vec<f64>, f64)> = None;
    let mut h = (p_to - p_from) / steps as f64;
    let mut p = p_from;
    while (p_to - p) * h.signum() > 0.0 && h.abs() > 1e-10 * (p_to - p_from).abs() {
        let pn = p + h;
        let th = with_param(theta, idx, pn);
        match net.equilibrium_from(&v, &th) {
            Some(m)
                if last_ok.as_ref().is_none_or(|(mo, _)| dist(mo, &m) < 0.05)
                    && net.classify(&m, &th).index == 0 =>
            {
                v = m.iter().map(|x| x.max(1e-300).ln()).collect();
                last_ok = Some((m, pn));
                p = pn;
            }
            _ => h *= 0.5,
        }
    }
    if h.abs() <= 1e-10 * (p_to - p_from).abs() {
        let (m, pl) = last_ok?;
        network_fold(net, theta, idx, &m, pl)
    } else {
        None
    }
}

/// β → ∞ (KKT) mixed equilibria with support S (spec §4.3): u_μ equal for all μ ∈ S, m = 0 off
/// S, Σm = 1. Residual (u_{s_k} − u_{s_0})_k, Σ m_S − 1 in the unknowns m_S.
fn embed_support(p: usize, support: &[usize], ms: &[f64]) -> Vec<f64> {
    let mut m = vec![0.0; p];
    for (k, &s) in support.iter().enumerate() {
        m[s] = ms[k];
    }
    m
}
fn kkt_residual(net: &Network, support: &[usize], ms: &[f64], th: &[f64]) -> Vec<f64> {
    let m = embed_support(net.p, support, ms);
    let u = net.u(&m, th);
    let mut r: Vec<f64> = support[1..].iter().map(|&k| u[k] - u[support[0]]).collect();
    r.push(ms.iter().sum::<f64>() - 1.0);
    r
}
fn kkt_jacobian(net: &Network, support: &[usize], ms: &[f64], th: &[f64]) -> Vec<f64> {
    let (p, q) = (net.p, support.len());
    let m = embed_support(p, support, ms);
    let k = net.k_matrix(&m, th);
    let mut j = vec![0.0; q * q];
    for (r, &sr) in support[1..].iter().enumerate() {
        for (c, &sc) in support.iter().enumerate() {
            j[r * q + c] = k[sr * p + sc] - k[support[0] * p + sc];
        }
    }
    for c in 0..q {
        j[(q - 1) * q + c] = 1.0;
    }
    j
}

/// β → ∞ mixed equilibrium on support S at fixed θ by Newton from m0 (full P-vector); `None` if
/// it does not converge. Valid as a network equilibrium when m_S > 0 and u_ν < u_S off S.
pub fn kkt_equilibrium(net: &Network, theta: &[f64], support: &[usize], m0: &[f64]) -> Option<Vec<f64>> {
    let f = |y: &[f64]| kkt_residual(net, support, y, theta);
    let x0: Vec<f64> = support.iter().map(|&s| m0[s]).collect();
    let y = newton(&f, &x0, 1e-13 * (1.0 + net.lambda), 100)?;
    Some(embed_support(net.p, support, &y))
}

/// β → ∞ network fold of a mixed state on support S (spec §4.3, §7.3 column 2, §11 item 9):
/// Newton on (KKT residual, det KKT Jacobian) = 0 in (m_S, p) from a guess (m0, p0).
pub fn kkt_fold(
    net: &Network,
    theta: &[f64],
    idx: usize,
    support: &[usize],
    m0: &[f64],
    p0: f64,
) -> Option<NetworkFold> {
    let q = support.len();
    let scale = (1.0 + net.lambda).powi(q as i32 - 1);
    let f = |y: &[f64]| {
        let th = with_param(theta, idx, y[q]);
        let mut r = kkt_residual(net, support, &y[..q], &th);
        r.push(det(&kkt_jacobian(net, support, &y[..q], &th), q) / scale);
        r
    };
    let mut x0: Vec<f64> = support.iter().map(|&s| m0[s]).collect();
    x0.push(p0);
    let y = newton(&f, &x0, 1e-12 * (1.0 + net.lambda), 100)?;
    Some(NetworkFold {
        value: y[q],
        m: embed_support(net.p, support, &y[..q]),
    })
}

/// Continue the β → ∞ mixed state on support S from (m0, p_from) towards p_to and return its
/// first fold (where the branch turns back in p), refined by [`kkt_fold`]. Stops if a support
/// component becomes negative.
pub fn track_kkt_fold(
    net: &Network,
    theta: &[f64],
    idx: usize,
    support: &[usize],
    m0: &[f64],
    p_from: f64,
    p_to: f64,
) -> Option<NetworkFold> {
    let q = support.len();
    let f = |y: &[f64]| kkt_residual(net, support, &y[..q], &with_param(theta, idx, y[q]));
    let mut x0: Vec<f64> = support.iter().map(|&s| m0[s]).collect();
    x0.push(p_from);
    let mut dir = vec![0.0; q + 1];
    dir[q] = (p_to - p_from).signum();
    let lo = p_from.min(p_to);
    let hi = p_from.max(p_to);
    let opts = Options {
        h_init: 1e-3,
        h_max: 0.01,
        ..CONTINUATION
    };
    let (pts, turns) = follow(&f, &x0, &dir, q, &opts, |y| {
        y[q] < lo - 1e-9 || y[q] > hi + 1e-9 || y[..q].iter().any(|v| *v < -1e-9)
    });
    let i = *turns.first()?;
    let m = embed_support(net.p, support, &pts[i][..q]);
    kkt_fold(net, theta, idx, support, &m, pts[i][q])
}
