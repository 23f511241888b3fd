//! Small-deviation analysis of the split of two memories after the saddle (spec §5.7), in its
//! derived form, with an option reproducing the reference's (1 − S_B) typo.
//!
//! Two memories M_± = (α* ± δα)A + (β* ∓ δα)B with labels ℓ_{±,a} = ℓ* ± δℓ, ℓ_{±,b} = −(ℓ* ± δℓ)
//! around the stable fixed point (α*, ℓ*) of the effective one-memory system at T_eff = T/2^(1/n).
//! To first order the outputs keep their values at the fixed point; each memory's gradient changes
//! through its own activation and label:
//! ∇_{A,±} = ∇_A ± [(n−1)u_A^(n−2)(d_AA − d_AB)/T_eff (ℓ*P_A + 4Q_A) δα + u_A^(n−1) P_A δℓ],
//! ∇_{B,±} = ∇_B ± [(n−1)u_B^(n−2)(d_AB − d_BB)/T_eff (−ℓ*P_B + 4Q_B) δα − u_B^(n−1) P_B δℓ],
//! ∇_{ℓ,±} = ∇_ℓ ± n[P_A u_A^(n−1)(d_AA − d_AB) − P_B u_B^(n−1)(d_AB − d_BB)]/T_eff δα,
//! d(α* ± δα)/dt = [∇_{A,±} − α*(∇_{A,±} + ∇_{B,±}) ∓ δα(∇_A + ∇_B)] / (|∇_{A,±}| + |∇_{B,±}|),
//! d(ℓ* ± δℓ)/dt = ∇_{ℓ,±}/max(|∇_{ℓ,±}|, |∇_γ|); dδ/dt = half the difference of the ± equations.
//! The reference typo replaces P_B by (1 − S_B)^(2m−1)(1 − S_B²) in the δα term of ∇_{B,±}.

use super::fixed_points::{LabelState, Stability, fixed_points};
use super::output::write_json;
use super::span::{CLASSES, SpanMemory, SpanNetwork};
use super::two_memory::{Control, State, TwoMemory};
use crate::error::{Error, Result};
use ndarray::{Array1, Array2};
use std::path::{Path, PathBuf};

/// Plain-f64 quantities of spec §5.2 at (α, β, ℓ) and T_eff.
struct Terms {
    ua: f64,
    ub: f64,
    pa: f64,
    pb: f64,
    pb_typo: f64,
    qa: f64,
    qb: f64,
}

fn terms(sys: &TwoMemory, s: State, c: Control) -> Terms {
    let t = sys.effective_temperature(c);
    let (n, m) = (c.n, sys.m(c.n));
    let d = sys.dots;
    let ua = (s.alpha * d.aa + s.beta * d.ab).max(0.0) / t;
    let ub = (s.alpha * d.ab + s.beta * d.bb).max(0.0) / t;
    let (ha, hb) = (ua.powf(n), ub.powf(n));
    let (sa, sb) = ((s.ell * ha).tanh(), (s.ell * hb).tanh());
    let (ga, gb) = (ha.tanh(), hb.tanh());
    let p = |x: f64, y: f64| x.powf(2.0 * m - 1.0) * y;
    Terms {
        ua,
        ub,
        pa: p(1.0 - sa, 1.0 - sa * sa),
        pb: p(1.0 + sb, 1.0 - sb * sb),
        pb_typo: p(1.0 - sb, 1.0 - sb * sb),
        qa: p(1.0 - ga, 1.0 - ga * ga),
        qb: p(1.0 - gb, 1.0 - gb * gb),
    }
}

/// (dδℓ/dt, dδα/dt) of the linearised split at deviation (δℓ, δα) around the fixed point `fp`
/// (α*, β* = 1 − α* on the face α, β ≥ 0).
pub fn split_rates(sys: &TwoMemory, fp: State, c: Control, dl: f64, da: f64, typo: bool) -> (f64, f64) {
    let te = sys.effective_temperature(c);
    let n = c.n;
    let d = sys.dots;
    let k = terms(sys, fp, c);
    let (a_s, l_s) = (fp.alpha, fp.ell);
    let grad_a = k.ua.powf(n - 1.0) * (l_s * k.pa + 4.0 * k.qa);
    let grad_b = k.ub.powf(n - 1.0) * (-l_s * k.pb + 4.0 * k.qb);
    let grad_l = k.pa * k.ua.powf(n) - k.pb * k.ub.powf(n);
    let grad_g = -(k.qa * k.ua.powf(n) + k.qb * k.ub.powf(n));
    let pb_da = if typo { k.pb_typo } else { k.pb };
    let dga = (n - 1.0) * k.ua.powf(n - 2.0) * (d.aa - d.ab) / te * (l_s * k.pa + 4.0 * k.qa) * da
        + k.ua.powf(n - 1.0) * k.pa * dl;
    let dgb = (n - 1.0) * k.ub.powf(n - 2.0) * (d.ab - d.bb) / te * (-l_s * pb_da + 4.0 * k.qb) * da
        - k.ub.powf(n - 1.0) * k.pb * dl;
    let dgl =
        n * (k.pa * k.ua.powf(n - 1.0) * (d.aa - d.ab) - k.pb * k.ub.powf(n - 1.0) * (d.ab - d.bb)) / te * da;
    let mut a_dot = [0.0; 2];
    let mut l_dot = [0.0; 2];
    for (i, sgn) in [1.0, -1.0].into_iter().enumerate() {
        let ga = grad_a + sgn * dga;
        let gb = grad_b + sgn * dgb;
        let gl = grad_l + sgn * dgl;
        let norm = ga.abs() + gb.abs();
        a_dot[i] = if norm > 0.0 {
            (ga - a_s * (ga + gb) - sgn * da * (grad_a + grad_b)) / norm
        } else {
            0.0
        };
        let ln = gl.abs().max(grad_g.abs());
        l_dot[i] = if ln > 0.0 { gl / ln } else { 0.0 };
    }
    (0.5 * (l_dot[0] - l_dot[1]), 0.5 * (a_dot[0] - a_dot[1]))
}

/// Results of [`analyse`].
#[derive(Debug, Clone, serde::Serialize)]
pub struct Splitting {
    /// The two-memory system (K = 2).
    pub system: TwoMemory,
    /// (n, T).
    pub control: Control,
    /// The fixed point (α*, β*, ℓ*) of the effective one-memory system.
    pub fixed_point: State,
    /// Whether the reference typo was used.
    pub reference_typo: bool,
    /// Grid of δℓ and δα.
    pub grid: Vec<f64>,
    /// dδℓ/dt on the grid (rows δα, columns δℓ).
    #[serde(skip)]
    pub dl_dot: Array2<f64>,
    /// dδα/dt on the grid.
    #[serde(skip)]
    pub da_dot: Array2<f64>,
    /// Linear growth rates: eigenvalues (re, im) of the 2×2 linearisation at δ = 0.
    pub eigenvalues: [[f64; 2]; 2],
    /// K = 2 trajectory from the spec's default perturbation (δα, δℓ) = (0.031, −0.2): rows
    /// (epoch, α_0, α_1, ℓ_0, ℓ_1).
    #[serde(skip)]
    pub trajectory: Array2<f64>,
}

/// Default perturbation and run of spec §4.8 `Splitting`.
pub const DEFAULT_DA: f64 = 0.031;
/// Default label perturbation.
pub const DEFAULT_DL: f64 = -0.2;

/// The stable fixed point with the largest α (the one reached from M = 0.6A, ℓ = 1 in the
/// reference protocol), the (δℓ, δα) field on [−w, w]², the linear rates, and a K = 2 span
/// simulation (η = 0.001, 600 epochs) from the default perturbation at the real T.
pub fn analyse(sys: &TwoMemory, c: Control, window: f64, grid: usize, typo: bool) -> Result<Splitting> {
    let sys = sys.with_memories(2.0);
    let fps = fixed_points(&sys, c, Default::default());
    let fp = fps
        .iter()
        .filter(|f| {
            f.stability == Stability::Stable && f.label == LabelState::Free && f.alpha > 0.0 && f.beta > 0.0
        })
        .max_by(|a, b| a.alpha.total_cmp(&b.alpha))
        .ok_or_else(|| {
            Error::invalid(
                "splitting",
                "no stable free-label fixed point with α, β > 0 at this (n, T)",
            )
        })?;
    let state = State {
        alpha: fp.alpha,
        beta: fp.beta,
        ell: fp.ell,
    };
    let axis: Vec<f64> = (0..grid)
        .map(|i| -window + 2.0 * window * i as f64 / (grid - 1) as f64)
        .collect();
    let mut dl_dot = Array2::zeros((grid, grid));
    let mut da_dot = Array2::zeros((grid, grid));
    for (i, &da) in axis.iter().enumerate() {
        for (j, &dl) in axis.iter().enumerate() {
            let (x, y) = split_rates(&sys, state, c, dl, da, typo);
            dl_dot[[i, j]] = x;
            da_dot[[i, j]] = y;
        }
    }
    let h = 1e-6;
    let col = |dl: f64, da: f64| split_rates(&sys, state, c, dl, da, typo);
    let (a1, b1) = col(h, 0.0);
    let (a0, b0) = col(-h, 0.0);
    let (c1, d1) = col(0.0, h);
    let (c0, d0) = col(0.0, -h);
    let j = [
        [(a1 - a0) / (2.0 * h), (c1 - c0) / (2.0 * h)],
        [(b1 - b0) / (2.0 * h), (d1 - d0) / (2.0 * h)],
    ];
    let eigenvalues = crate::linalg::small::eig2(j);
    // K = 2 span simulation at the real temperature.
    let net = SpanNetwork {
        gram: [[sys.dots.aa, sys.dots.ab], [sys.dots.ab, sys.dots.bb]],
        targets: [0, 1],
        n: c.n,
        m: sys.m(c.n),
        temperature: c.temperature,
    };
    let mk = |sgn: f64| {
        let mut labels = [-1.0; CLASSES];
        labels[0] = state.ell + sgn * DEFAULT_DL;
        labels[1] = -(state.ell + sgn * DEFAULT_DL);
        SpanMemory {
            coef: [state.alpha + sgn * DEFAULT_DA, state.beta - sgn * DEFAULT_DA],
            labels,
        }
    };
    let epochs = 600;
    let (_, hist) = net.run(vec![mk(1.0), mk(-1.0)], 0.001, epochs, true);
    let mut trajectory = Array2::zeros((hist.len(), 5));
    for (e, ms) in hist.iter().enumerate() {
        trajectory[[e, 0]] = e as f64;
        trajectory[[e, 1]] = ms[0].coef[0];
        trajectory[[e, 2]] = ms[1].coef[0];
        trajectory[[e, 3]] = ms[0].labels[0];
        trajectory[[e, 4]] = ms[1].labels[0];
    }
    Ok(Splitting {
        system: sys,
        control: c,
        fixed_point: state,
        reference_typo: typo,
        grid: axis,
        dl_dot,
        da_dot,
        eigenvalues,
        trajectory,
    })
}

/// `splitting.json` and `splitting.npz` (`grid` (G,), `dl_dot`, `da_dot` (G×G, rows δα, columns
/// δℓ), `trajectory` (E+1)×5: epoch, α_0, α_1, ℓ_0, ℓ_1).
pub fn write(dir: &Path, r: &Splitting) -> Result<Vec<PathBuf>> {
    let json = dir.join("splitting.json");
    write_json(&json, r)?;
    let path = dir.join("splitting.npz");
    let mut npz = crate::npy::create_npz(&path)?;
    npz.add_array("grid", &Array1::from(r.grid.clone()))?;
    npz.add_array("dl_dot", &r.dl_dot)?;
    npz.add_array("da_dot", &r.da_dot)?;
    npz.add_array("trajectory", &r.trajectory)?;
    npz.finish()?;
    Ok(vec![json, path])
}
