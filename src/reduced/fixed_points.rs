//! Fixed points of the reduced flow and their stability (spec §5.4–5.5, robust replacement).
//!
//! Fixed points lie on the diamond boundary |α| + |β| = 1 (inside, ∇_A = ∇_B = 0 would need
//! ℓ < 0 and ℓ > 0 at once, except in the dead region where both dot products are ≤ 0 and nothing
//! moves). On the boundary, in the perimeter coordinate s (see [`Boundary`]), a fixed point solves
//! f1(s, ℓ) = 0 (memory gradient parallel to the memory, outward: σ > 0) and either f2(s, ℓ) = 0
//! (label nullcline, |ℓ| < 1) or ℓ = ±1 with the label flow pushing outward (saturated label).
//!
//! Search: for every s of a grid the label nullcline roots ℓ_j(s) are bracketed on an ℓ grid and
//! bisected; sign changes of f1 along each nullcline piece (and along ℓ = ±1) are refined by Newton's
//! method on (f1, f2). Stability comes from the eigenvalues of the Jacobian of the projected flow
//! (ṡ, ℓ̇) = D·(f1, f2), D = diag(scale_s, scale_ell) > 0 (exact at a fixed point), computed by
//! central differences; at a saturated label the only free direction is s.

use super::two_memory::{Boundary, Control, TwoMemory};
use crate::continuation::bisect;
use crate::linalg::small::{eig2, jacobian, solve_in_place};

/// Whether the label is free or clipped at ±1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LabelState {
    /// |ℓ| < 1, on the label nullcline.
    Free,
    /// ℓ = +1 with ∇_ℓ > 0.
    SaturatedUp,
    /// ℓ = −1 with ∇_ℓ < 0.
    SaturatedDown,
}

impl LabelState {
    /// −1, 0, +1.
    pub fn code(self) -> i64 {
        match self {
            LabelState::Free => 0,
            LabelState::SaturatedUp => 1,
            LabelState::SaturatedDown => -1,
        }
    }
}

/// Linear stability of a fixed point of the projected flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stability {
    /// All eigenvalues have negative real part.
    Stable,
    /// One positive, one negative eigenvalue (or, at a saturated label, a positive s-eigenvalue: the
    /// clipped label direction is attracting).
    Saddle,
    /// Both eigenvalues with positive real part.
    Unstable,
    /// A zero eigenvalue to working precision.
    Marginal,
}

impl Stability {
    /// 1 stable, 0 saddle/marginal, −1 unstable.
    pub fn code(self) -> i64 {
        match self {
            Stability::Stable => 1,
            Stability::Saddle | Stability::Marginal => 0,
            Stability::Unstable => -1,
        }
    }
}

/// One fixed point of the reduced flow.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FixedPoint {
    /// Interaction power n.
    pub n: f64,
    /// Temperature T (real; T_eff = T/K^(1/n)).
    pub temperature: f64,
    /// Perimeter coordinate s ∈ [0, 4).
    pub s: f64,
    /// Coefficient of A.
    pub alpha: f64,
    /// Coefficient of B.
    pub beta: f64,
    /// Label ℓ.
    pub ell: f64,
    /// Label free or clipped.
    pub label: LabelState,
    /// Stability.
    pub stability: Stability,
    /// Eigenvalues (re, im) of the flow Jacobian in (s, ℓ); one entry when the label is clipped.
    pub eigenvalues: [[f64; 2]; 2],
    /// Number of meaningful entries of `eigenvalues` (2 free, 1 saturated).
    pub eigen_count: usize,
    /// Outward speed σ/(|∇_A| + |∇_B|) > 0 (the normalisation holds the memory on the boundary).
    pub outward: f64,
}

/// Options of the one-shot fixed-point search.
#[derive(Debug, Clone, Copy)]
pub struct FinderOptions {
    /// Grid cells per face of the diamond (s resolution 1/cells).
    pub cells_per_face: usize,
    /// Cells of the ℓ scan for label-nullcline roots.
    pub ell_cells: usize,
}

impl Default for FinderOptions {
    fn default() -> Self {
        FinderOptions {
            cells_per_face: 400,
            ell_cells: 40,
        }
    }
}

/// Central-difference steps in (s, ℓ).
pub(crate) const FD_STEP: f64 = 1e-7;

/// Jacobian of the residual (f1, f2) in (s, ℓ), row-major 2×2.
pub(crate) fn residual_jacobian(sys: &TwoMemory, s: f64, ell: f64, c: Control) -> [[f64; 2]; 2] {
    let f = |x: &[f64]| sys.residual(x[0], x[1], c).to_vec();
    let j = jacobian(&f, &[s, ell], &[FD_STEP, FD_STEP], 2);
    [[j[0], j[1]], [j[2], j[3]]]
}

/// Step of the fourth-order Jacobian [`residual_jacobian_fine`].
pub(crate) const FINE_STEP: f64 = 2e-5;

/// Jacobian of (f1, f2) in (s, ℓ) by the fourth-order central stencil
/// ∂f/∂x ≈ (−f(x + 2h) + 8f(x + h) − 8f(x − h) + f(x − 2h)) / (12h), h = [`FINE_STEP`]: round-off
/// ≈ ε/h ≈ 1e-11 instead of ε/1e-7 ≈ 1e-9 for [`residual_jacobian`]. Used where the Jacobian is
/// differentiated again (the fold condition det J = 0 of the fold curves).
pub(crate) fn residual_jacobian_fine(sys: &TwoMemory, s: f64, ell: f64, c: Control) -> [[f64; 2]; 2] {
    let h = FINE_STEP;
    let f = |ds: f64, dl: f64| sys.residual(s + ds, ell + dl, c);
    let d = |e: [f64; 2]| {
        let (p2, p1) = (f(2.0 * h * e[0], 2.0 * h * e[1]), f(h * e[0], h * e[1]));
        let (m1, m2) = (f(-h * e[0], -h * e[1]), f(-2.0 * h * e[0], -2.0 * h * e[1]));
        [0, 1].map(|i| (-p2[i] + 8.0 * p1[i] - 8.0 * m1[i] + m2[i]) / (12.0 * h))
    };
    let (ds, dl) = (d([1.0, 0.0]), d([0.0, 1.0]));
    [[ds[0], dl[0]], [ds[1], dl[1]]]
}

/// Classify the fixed point at (s, ℓ) given the residual Jacobian in (s, ℓ) (spec §5.5, last
/// paragraph): flow Jacobian J = D·J_res; at a saturated label only ∂ṡ/∂s counts.
pub fn classify(
    sys: &TwoMemory,
    s: f64,
    ell: f64,
    label: LabelState,
    c: Control,
    jres: [[f64; 2]; 2],
) -> FixedPoint {
    let flow = sys.boundary_flow(s, ell, c);
    let b = Boundary::at(s);
    let (eigenvalues, count) = match label {
        LabelState::Free => {
            let j = [
                [flow.scale_s * jres[0][0], flow.scale_s * jres[0][1]],
                [flow.scale_ell * jres[1][0], flow.scale_ell * jres[1][1]],
            ];
            (eig2(j), 2)
        }
        _ => ([[flow.scale_s * jres[0][0], 0.0], [0.0, 0.0]], 1),
    };
    let re: Vec<f64> = eigenvalues[..count].iter().map(|e| e[0]).collect();
    let tiny = 1e-12;
    let stability = if re.iter().any(|v| v.abs() < tiny) {
        Stability::Marginal
    } else if re.iter().all(|&v| v < 0.0) {
        Stability::Stable
    } else if count == 1 || re.iter().any(|&v| v < 0.0) {
        Stability::Saddle
    } else {
        Stability::Unstable
    };
    FixedPoint {
        n: c.n,
        temperature: c.temperature,
        s: s.rem_euclid(4.0),
        alpha: b.alpha,
        beta: b.beta,
        ell,
        label,
        stability,
        eigenvalues,
        eigen_count: count,
        outward: flow.outward,
    }
}

/// Classify a point already known to be a fixed point (computes the Jacobian).
pub fn fixed_point_at(sys: &TwoMemory, s: f64, ell: f64, label: LabelState, c: Control) -> FixedPoint {
    let j = residual_jacobian(sys, s, ell, c);
    classify(sys, s, ell, label, c, j)
}

/// Newton's method on (f1, f2) in (s, ℓ) from a start point; Some((s, ℓ)) when it converges with
/// |ℓ| < 1 and stays within `radius` of the start.
pub fn newton_free(sys: &TwoMemory, s0: f64, ell0: f64, c: Control, radius: f64) -> Option<(f64, f64)> {
    let (mut s, mut ell) = (s0, ell0);
    for _ in 0..50 {
        let r = sys.residual(s, ell, c);
        if !(r[0].is_finite() && r[1].is_finite()) {
            return None;
        }
        let j = residual_jacobian(sys, s, ell, c);
        let mut a = vec![j[0][0], j[0][1], j[1][0], j[1][1]];
        let mut b = vec![-r[0], -r[1]];
        solve_in_place(&mut a, &mut b)?;
        let step = b[0].abs().max(b[1].abs());
        let damp = if step > 0.02 { 0.02 / step } else { 1.0 };
        s += damp * b[0];
        ell += damp * b[1];
        if (s - s0).abs() > radius || (ell - ell0).abs() > radius || ell.abs() >= 1.0 {
            return None;
        }
        if step < 1e-14 {
            break;
        }
    }
    let r = sys.residual(s, ell, c);
    (r[0].abs() < 1e-11 && r[1].abs() < 1e-11).then_some((s, ell))
}

/// Roots of f2(s, ·) in (−1, 1) at fixed s, from sign changes of the precomputed values `vals` on
/// the ℓ grid `ells`, refined by the Illinois variant of regula falsi.
fn label_roots(sys: &TwoMemory, s: f64, c: Control, ells: &[f64], vals: &[[f64; 2]]) -> Vec<f64> {
    let f = |ell: f64| sys.residual(s, ell, c)[1];
    let mut roots = Vec::new();
    for j in 1..ells.len() {
        let (a, b) = (vals[j - 1][1], vals[j][1]);
        if a.is_finite() && b.is_finite() && (a > 0.0) != (b > 0.0) && a != 0.0 {
            let r = illinois(f, ells[j - 1], a, ells[j], b, 1e-14);
            if r.abs() < 1.0 {
                roots.push(r);
            }
        }
    }
    roots
}

/// Illinois regula falsi on a bracket [a, b] with values fa, fb of opposite sign.
pub(crate) fn illinois<G: Fn(f64) -> f64>(
    g: G,
    mut a: f64,
    mut fa: f64,
    mut b: f64,
    mut fb: f64,
    tol: f64,
) -> f64 {
    let mut side = 0;
    for _ in 0..100 {
        let x = (a * fb - b * fa) / (fb - fa);
        if !x.is_finite() || (b - a).abs() <= tol {
            break;
        }
        let fx = g(x);
        if fx == 0.0 || !fx.is_finite() {
            return x;
        }
        if (fx > 0.0) == (fb > 0.0) {
            b = x;
            fb = fx;
            if side == -1 {
                fa /= 2.0;
            }
            side = -1;
        } else {
            a = x;
            fa = fx;
            if side == 1 {
                fb /= 2.0;
            }
            side = 1;
        }
        if (fx.abs()) < 1e-16 {
            return x;
        }
    }
    (a * fb - b * fa) / (fb - fa)
}

/// The fixed point between (s0, ℓ0) and (s1, ℓ1), two label-nullcline points with f1 of opposite
/// signs, by bisection in s of g(s) = f1(s, L(s)), L(s) the label-nullcline root near ℓ0, ℓ1.
fn bisect_along_nullcline(
    sys: &TwoMemory,
    c: Control,
    s0: f64,
    l0: f64,
    s1: f64,
    l1: f64,
) -> Option<(f64, f64)> {
    let pad = 0.05 + (l1 - l0).abs();
    let (lo, hi) = ((l0.min(l1) - pad).max(-1.0), (l0.max(l1) + pad).min(1.0));
    let root = |s: f64| {
        let f = |l: f64| sys.residual(s, l, c)[1];
        let (fa, fb) = (f(lo), f(hi));
        if !(fa.is_finite() && fb.is_finite()) || (fa > 0.0) == (fb > 0.0) {
            return f64::NAN;
        }
        illinois(f, lo, fa, hi, fb, 1e-15)
    };
    let g = |s: f64| {
        let l = root(s);
        if l.is_nan() {
            f64::NAN
        } else {
            sys.residual(s, l, c)[0]
        }
    };
    let (g0, g1) = (g(s0), g(s1));
    if !(g0.is_finite() && g1.is_finite()) || (g0 > 0.0) == (g1 > 0.0) {
        return None;
    }
    let s = bisect(g, s0, s1, 1e-14);
    let l = root(s);
    (l.is_finite() && l.abs() < 1.0).then_some((s, l))
}

/// All fixed points at (n, T): free-label ones on the label nullcline and saturated ones at ℓ = ±1,
/// with σ > 0, sorted by s. Points on the dead region (both dot products ≤ 0) are excluded.
pub fn fixed_points(sys: &TwoMemory, c: Control, opts: FinderOptions) -> Vec<FixedPoint> {
    let ns = opts.cells_per_face.max(4);
    let total = 4 * ns;
    let grid: Vec<f64> = (0..=total).map(|i| i as f64 / ns as f64).collect();
    let mut found: Vec<(f64, f64, LabelState)> = Vec::new();
    let cell = 1.0 / ns as f64;
    let nl = opts.ell_cells.max(4);
    let ell_grid: Vec<f64> = (0..=nl).map(|j| -1.0 + 2.0 * j as f64 / nl as f64).collect();

    // Cells of an (s, ℓ) grid where both f1 and f2 change sign: Newton from the cell centre.
    let res: Vec<Vec<[f64; 2]>> = grid
        .iter()
        .map(|&s| ell_grid.iter().map(|&l| sys.residual(s, l, c)).collect())
        .collect();
    let changes = |v: [f64; 4]| {
        v.iter().all(|x| x.is_finite()) && v.iter().any(|&x| x >= 0.0) && v.iter().any(|&x| x <= 0.0)
    };
    for i in 0..total {
        for j in 0..nl {
            let corners = [res[i][j], res[i + 1][j], res[i][j + 1], res[i + 1][j + 1]];
            if changes(corners.map(|r| r[0])) && changes(corners.map(|r| r[1])) {
                let (s0, l0) = (grid[i] + 0.5 * cell, 0.5 * (ell_grid[j] + ell_grid[j + 1]));
                let radius = 2.0 * cell.max(2.0 / nl as f64);
                if let Some((s, l)) = newton_free(sys, s0, l0, c, radius) {
                    found.push((s, l, LabelState::Free));
                }
            }
        }
    }

    // Free labels: follow each label-nullcline root from s_i to s_{i+1}.
    let roots: Vec<Vec<(f64, f64)>> = grid
        .iter()
        .zip(&res)
        .map(|(&s, vals)| {
            label_roots(sys, s, c, &ell_grid, vals)
                .into_iter()
                .map(|l| (l, sys.residual(s, l, c)[0]))
                .collect()
        })
        .collect();
    for i in 0..total {
        for &(l0, f0) in &roots[i] {
            let Some(&(l1, f1)) = roots[i + 1]
                .iter()
                .min_by(|a, b| (a.0 - l0).abs().total_cmp(&(b.0 - l0).abs()))
            else {
                continue;
            };
            if (l1 - l0).abs() > 0.2 || !(f0.is_finite() && f1.is_finite()) {
                continue;
            }
            if (f0 > 0.0) != (f1 > 0.0) || f0 == 0.0 {
                let w = if f0 == f1 { 0.5 } else { f0 / (f0 - f1) };
                let (s_start, l_start) = (grid[i] + w * cell, l0 + w * (l1 - l0));
                if let Some((s, l)) = newton_free(sys, s_start, l_start, c, 4.0 * cell + (l1 - l0).abs()) {
                    found.push((s, l, LabelState::Free));
                } else if let Some((s, l)) = bisect_along_nullcline(sys, c, grid[i], l0, grid[i + 1], l1) {
                    // f1 can be almost discontinuous in ℓ (the memory direction flips with the sign
                    // of ℓ when Q ≈ 0); bisection along the label nullcline still converges.
                    found.push((s, l, LabelState::Free));
                }
            }
        }
    }
    // Saturated labels: f1 = 0 along ℓ = ±1 where the label flow pushes outward.
    for (edge, label) in [(1.0, LabelState::SaturatedUp), (-1.0, LabelState::SaturatedDown)] {
        let g = |s: f64| sys.residual(s, edge, c)[0];
        let vals: Vec<f64> = grid.iter().map(|&s| g(s)).collect();
        for i in 0..total {
            let (a, b) = (vals[i], vals[i + 1]);
            if a.is_finite() && b.is_finite() && ((a > 0.0) != (b > 0.0) || a == 0.0) {
                let s = bisect(g, grid[i], grid[i + 1], 1e-15);
                let f2 = sys.residual(s, edge, c)[1];
                if f2 * edge > 0.0 {
                    found.push((s, edge, label));
                }
            }
        }
    }
    let mut out: Vec<FixedPoint> = Vec::new();
    for (s, l, label) in found {
        let fp = fixed_point_at(sys, s, l, label, c);
        if fp.outward <= 0.0 {
            continue;
        }
        let dup = out.iter().any(|o| {
            let ds = (o.s - fp.s).abs();
            ds.min(4.0 - ds) < 1e-8 && (o.ell - fp.ell).abs() < 1e-8
        });
        if !dup {
            out.push(fp);
        }
    }
    out.sort_by(|a, b| a.s.total_cmp(&b.s));
    out
}
