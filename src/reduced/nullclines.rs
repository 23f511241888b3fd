//! Nullclines of the reduced flow as traced curves, and the vector field for stream plots
//! (spec §5.4, paper Fig. 5A/B).
//!
//! On the diamond boundary, in the perimeter coordinate s (see [`Boundary`]):
//! * memory nullcline: f1(s, ℓ) = 0, i.e. β∇_A = α∇_B (memory gradient parallel to the memory);
//! * label nullcline: f2(s, ℓ) = 0, i.e. P_A u_A^n = P_B u_B^n.
//!
//! Each is traced by pseudo-arclength continuation of the implicit curve f(s, ℓ) = 0, started from
//! every sign change of f on the edges of a coarse grid that is not yet on a traced curve, and
//! followed both ways until it leaves the window.

use super::two_memory::{Boundary, Control, TwoMemory};
use crate::continuation::{Algorithm, Continuation, Curve, Options, bisect};

/// Which nullcline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// f1 = 0 (α̇ = 0 on the boundary).
    Memory,
    /// f2 = 0 (ℓ̇ = 0).
    Label,
}

/// One traced nullcline piece: points in order, with the outward flag (σ > 0, the boundary is
/// attracting there).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Nullcline {
    /// Which nullcline.
    pub kind: Kind,
    /// Perimeter coordinate of each point.
    pub s: Vec<f64>,
    /// α of each point.
    pub alpha: Vec<f64>,
    /// β of each point.
    pub beta: Vec<f64>,
    /// ℓ of each point.
    pub ell: Vec<f64>,
    /// σ > 0 at each point.
    pub outward: Vec<bool>,
}

/// The window (s range on the perimeter, ℓ in [−1, 1]) and resolution of the tracing.
#[derive(Debug, Clone, Copy)]
pub struct NullclineOptions {
    /// Smallest s.
    pub s_min: f64,
    /// Largest s.
    pub s_max: f64,
    /// Seed grid cells along s.
    pub s_cells: usize,
    /// Seed grid cells along ℓ.
    pub ell_cells: usize,
    /// Largest arclength step.
    pub h_max: f64,
}

impl Default for NullclineOptions {
    fn default() -> Self {
        NullclineOptions {
            s_min: 0.0,
            s_max: 1.0,
            s_cells: 200,
            ell_cells: 100,
            h_max: 0.005,
        }
    }
}

struct Implicit<'a> {
    sys: &'a TwoMemory,
    c: Control,
    kind: Kind,
}

impl Implicit<'_> {
    fn f(&self, s: f64, ell: f64) -> f64 {
        let r = self.sys.residual(s, ell, self.c);
        match self.kind {
            Kind::Memory => r[0],
            Kind::Label => r[1],
        }
    }
}

impl Curve for Implicit<'_> {
    fn dim(&self) -> usize {
        2
    }
    fn eval(&self, x: &[f64]) -> Vec<f64> {
        vec![self.f(x[0], x[1])]
    }
    fn steps(&self, _x: &[f64]) -> Vec<f64> {
        vec![1e-7, 1e-7]
    }
}

fn inside(o: &NullclineOptions, x: &[f64]) -> bool {
    x[0] >= o.s_min && x[0] <= o.s_max && x[1].abs() <= 1.0
}

/// Trace from a seed in one direction; returns the points after the seed. The bordered corrector,
/// the step × 1.5 after a step of ≤ 3 Newton iterations (first h_max/4, at most h_max).
fn trace(curve: &Implicit, seed: &[f64], dir: [f64; 2], o: &NullclineOptions) -> Vec<[f64; 2]> {
    let mut out = Vec::new();
    let options = Options {
        h_init: o.h_max / 4.0,
        h_min: 1e-9,
        h_max: o.h_max,
        max_steps: (20.0 * ((o.s_max - o.s_min) + 2.0) / o.h_max) as usize + 100,
        tol: 1e-12,
    };
    let Some(mut branch) = Continuation::new(curve, seed.to_vec(), &dir, Algorithm::bordered(1.5), options)
    else {
        return out;
    };
    while let Some(next) = branch.next() {
        if !inside(o, &next.x) {
            break;
        }
        out.push([next.x[0], next.x[1]]);
        // Closed loop: back at the seed within 0.6 of the step that reached it.
        if out.len() > 10 && (next.x[0] - seed[0]).hypot(next.x[1] - seed[1]) < 0.6 * branch.step_size() {
            break;
        }
    }
    out
}

/// All pieces of one nullcline at (n, T) inside the window.
pub fn nullcline(sys: &TwoMemory, c: Control, kind: Kind, o: &NullclineOptions) -> Vec<Nullcline> {
    let curve = Implicit { sys, c, kind };
    let ss: Vec<f64> = (0..=o.s_cells)
        .map(|i| o.s_min + (o.s_max - o.s_min) * i as f64 / o.s_cells as f64)
        .collect();
    let ls: Vec<f64> = (0..=o.ell_cells)
        .map(|j| -1.0 + 2.0 * j as f64 / o.ell_cells as f64)
        .collect();
    let vals: Vec<Vec<f64>> = ss
        .iter()
        .map(|&s| ls.iter().map(|&l| curve.f(s, l)).collect())
        .collect();
    let mut seeds: Vec<[f64; 2]> = Vec::new();
    let change = |a: f64, b: f64| a.is_finite() && b.is_finite() && (a > 0.0) != (b > 0.0);
    for i in 0..ss.len() {
        for j in 0..ls.len() {
            if i + 1 < ss.len() && change(vals[i][j], vals[i + 1][j]) {
                let s = bisect(|s| curve.f(s, ls[j]), ss[i], ss[i + 1], 1e-14);
                seeds.push([s, ls[j]]);
            }
            if j + 1 < ls.len() && change(vals[i][j], vals[i][j + 1]) {
                let l = bisect(|l| curve.f(ss[i], l), ls[j], ls[j + 1], 1e-14);
                seeds.push([ss[i], l]);
            }
        }
    }
    let mut pieces: Vec<Vec<[f64; 2]>> = Vec::new();
    let near = 2.0 * o.h_max;
    for seed in seeds {
        let covered = pieces
            .iter()
            .any(|p| p.iter().any(|q| (q[0] - seed[0]).hypot(q[1] - seed[1]) < near));
        if covered {
            continue;
        }
        let mut back = trace(&curve, &seed, [-1.0, -1.0], o);
        let fwd = trace(&curve, &seed, [1.0, 1.0], o);
        back.reverse();
        back.push(seed);
        back.extend(fwd);
        pieces.push(back);
    }
    pieces
        .into_iter()
        .map(|p| {
            let mut n = Nullcline {
                kind,
                s: vec![],
                alpha: vec![],
                beta: vec![],
                ell: vec![],
                outward: vec![],
            };
            for [s, l] in p {
                let b = Boundary::at(s);
                n.s.push(s);
                n.alpha.push(b.alpha);
                n.beta.push(b.beta);
                n.ell.push(l);
                n.outward.push(sys.boundary_flow(s, l, c).outward > 0.0);
            }
            n
        })
        .collect()
}

/// The flow on the upper boundary β = 1 − |α| on a grid (for stream plots, spec §5.4):
/// returns (α̇, ℓ̇, σ > 0) each as rows over `ells` × columns over `alphas`.
pub fn vector_field(
    sys: &TwoMemory,
    c: Control,
    alphas: &[f64],
    ells: &[f64],
) -> (ndarray::Array2<f64>, ndarray::Array2<f64>, ndarray::Array2<bool>) {
    let shape = (ells.len(), alphas.len());
    let mut a_dot = ndarray::Array2::zeros(shape);
    let mut l_dot = ndarray::Array2::zeros(shape);
    let mut out = ndarray::Array2::from_elem(shape, false);
    for (j, &l) in ells.iter().enumerate() {
        for (i, &a) in alphas.iter().enumerate() {
            let (x, y, o) = sys.upper_boundary_field(a, l, c);
            a_dot[[j, i]] = x;
            l_dot[[j, i]] = y;
            out[[j, i]] = o;
        }
    }
    (a_dot, l_dot, out)
}
