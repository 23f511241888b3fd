//! Critical points of a potential at fixed parameters (spec §6.1, §10.1 "landscape"): exact
//! elimination where available, multi-start damped Newton (Levenberg–Marquardt) on ∇V = 0 as
//! the general method, Newton polishing, deduplication, and classification by the Hessian.

use super::potentials::Potential;
use crate::error::{Error, Result};
use crate::linalg::small::{dist, norm, solve, sym_eigenvalues};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use rand_distr::{Distribution, Uniform};
use serde::Serialize;

/// Type of a critical point (by the signs of the Hessian eigenvalues).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// All eigenvalues > tol (an attractor of the gradient flow).
    Minimum,
    /// Eigenvalues of both signs (Morse index 1 … d−1).
    Saddle,
    /// All eigenvalues < −tol.
    Maximum,
    /// Some |eigenvalue| ≤ tol (e.g. at a fold or pitchfork).
    Degenerate,
}

impl Kind {
    /// Lower-case name as used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Minimum => "minimum",
            Kind::Saddle => "saddle",
            Kind::Maximum => "maximum",
            Kind::Degenerate => "degenerate",
        }
    }
}

/// A critical point z* with ∇V(z*) = 0.
#[derive(Debug, Clone, Serialize)]
pub struct CriticalPoint {
    /// Position.
    pub z: Vec<f64>,
    /// Classification.
    pub kind: Kind,
    /// Morse index (number of negative Hessian eigenvalues).
    pub index: usize,
    /// V(z*).
    pub value: f64,
    /// Hessian eigenvalues, ascending.
    pub eigenvalues: Vec<f64>,
    /// |∇V(z*)| after polishing.
    pub residual: f64,
}

/// Options of the critical-point search.
#[derive(Debug, Clone)]
pub struct SearchOptions {
    /// Half-width of the box of starting points (None = from the potential's coefficients).
    pub radius: Option<f64>,
    /// Starting points per axis (grid for d ≤ 3, otherwise this many^2 random points).
    pub starts_per_axis: usize,
    /// Relative tolerance under which a Hessian eigenvalue counts as zero.
    pub degenerate_tol: f64,
    /// Seed for random starting points (d > 3).
    pub seed: u64,
    /// Use the exact elimination candidates when the potential has them.
    pub exact: bool,
    /// Use the multi-start search.
    pub multistart: bool,
}

impl Default for SearchOptions {
    fn default() -> Self {
        SearchOptions {
            radius: None,
            starts_per_axis: 31,
            degenerate_tol: 1e-7,
            seed: 1,
            exact: true,
            multistart: true,
        }
    }
}

/// Newton/Levenberg–Marquardt on ∇V(z) = 0 from `z0`. Returns the point and |∇V| at it.
pub fn newton_critical(pot: &dyn Potential, p: &[f64], z0: &[f64], max_iter: usize) -> (Vec<f64>, f64) {
    let d = pot.dim();
    let mut z = z0.to_vec();
    let mut g = vec![0.0; d];
    let mut h = vec![0.0; d * d];
    let mut gt = vec![0.0; d];
    pot.gradient(&z, p, &mut g);
    let mut r = norm(&g);
    let mut mu = 1e-3;
    for _ in 0..max_iter {
        if r == 0.0 || !r.is_finite() {
            break;
        }
        pot.hessian(&z, p, &mut h);
        // Pure Newton first; fall back to LM (HᵀH + μ I) δ = −Hᵀ g when it does not reduce |g|.
        let mut accepted = false;
        if let Some(step) = solve(&h, &g) {
            let zt: Vec<f64> = z.iter().zip(&step).map(|(a, s)| a - s).collect();
            pot.gradient(&zt, p, &mut gt);
            let rt = norm(&gt);
            if rt < r {
                z = zt;
                g.copy_from_slice(&gt);
                r = rt;
                accepted = true;
            }
        }
        if !accepted {
            let mut hth = vec![0.0; d * d];
            let mut htg = vec![0.0; d];
            for i in 0..d {
                for j in 0..d {
                    hth[i * d + j] = (0..d).map(|k| h[k * d + i] * h[k * d + j]).sum();
                }
                htg[i] = (0..d).map(|k| h[k * d + i] * g[k]).sum();
            }
            let scale = (0..d).map(|i| hth[i * d + i]).fold(1e-12, f64::max);
            let mut ok = false;
            for _ in 0..30 {
                let mut a = hth.clone();
                for i in 0..d {
                    a[i * d + i] += mu * scale;
                }
                if let Some(step) = solve(&a, &htg) {
                    let zt: Vec<f64> = z.iter().zip(&step).map(|(a, s)| a - s).collect();
                    pot.gradient(&zt, p, &mut gt);
                    let rt = norm(&gt);
                    if rt < r {
                        z = zt;
                        g.copy_from_slice(&gt);
                        r = rt;
                        mu = (mu / 10.0).max(1e-12);
                        ok = true;
                        break;
                    }
                }
                mu *= 10.0;
            }
            if !ok {
                break;
            }
        }
        if z.iter().any(|v| !v.is_finite() || v.abs() > 1e8) {
            break;
        }
    }
    (z, r)
}

/// Classify the critical point at z (Hessian eigenvalues; |λ| ≤ tol·(1 + max|λ|) is zero).
pub fn classify(pot: &dyn Potential, p: &[f64], z: &[f64], tol: f64) -> CriticalPoint {
    let d = pot.dim();
    let mut h = vec![0.0; d * d];
    pot.hessian(z, p, &mut h);
    let ev = sym_eigenvalues(&h, d);
    let big = ev.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
    let thr = tol * (1.0 + big);
    let neg = ev.iter().filter(|&&v| v < -thr).count();
    let pos = ev.iter().filter(|&&v| v > thr).count();
    let kind = if neg + pos < d {
        Kind::Degenerate
    } else if neg == 0 {
        Kind::Minimum
    } else if pos == 0 {
        Kind::Maximum
    } else {
        Kind::Saddle
    };
    let mut g = vec![0.0; d];
    pot.gradient(z, p, &mut g);
    CriticalPoint {
        z: z.to_vec(),
        kind,
        index: neg,
        value: pot.value(z, p),
        eigenvalues: ev,
        residual: norm(&g),
    }
}

/// Default search radius: a bound on where ∇V can vanish, from the polynomial's size at the
/// parameters (max over the unit-box corners of |V| grows like R^deg; we take a generous
/// multiple of (1 + Σ|θ|)^{1/(deg−1)}).
fn default_radius(pot: &dyn Potential, p: &[f64]) -> f64 {
    let deg = pot.degree().unwrap_or(4).max(2) as f64;
    let s: f64 = 1.0 + p.iter().map(|v| v.abs()).sum::<f64>();
    3.0 * s.powf(1.0 / (deg - 1.0))
}

fn starting_points(d: usize, radius: f64, per_axis: usize, seed: u64) -> Vec<Vec<f64>> {
    let k = per_axis.max(2);
    if d <= 3 {
        let k = if d == 3 { k.min(15) } else { k };
        let total = k.pow(d as u32);
        (0..total)
            .map(|mut idx| {
                (0..d)
                    .map(|_| {
                        let i = idx % k;
                        idx /= k;
                        -radius + 2.0 * radius * i as f64 / (k - 1) as f64
                    })
                    .collect()
            })
            .collect()
    } else {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let u = Uniform::new(-radius, radius).expect("valid range");
        (0..k * k)
            .map(|_| (0..d).map(|_| u.sample(&mut rng)).collect())
            .collect()
    }
}

/// All critical points of V(·; θ) (spec §6.1): candidates from the exact elimination (when the
/// potential has one) and from multi-start Newton over a box, polished, deduplicated and
/// classified; sorted by kind (minimum, saddle, maximum, degenerate), then by coordinates.
pub fn critical_points(pot: &dyn Potential, p: &[f64], opts: &SearchOptions) -> Result<Vec<CriticalPoint>> {
    let d = pot.dim();
    if p.len() != pot.param_names().len() {
        return Err(Error::invalid(
            "parameters",
            format!(
                "{} expects {} parameters {:?}, got {}",
                pot.name(),
                pot.param_names().len(),
                pot.param_names(),
                p.len()
            ),
        ));
    }
    if p.iter().any(|v| !v.is_finite()) {
        return Err(Error::invalid("parameters", "must be finite"));
    }
    let radius = opts.radius.unwrap_or_else(|| default_radius(pot, p));
    let mut cands: Vec<Vec<f64>> = Vec::new();
    if opts.exact {
        cands.extend(pot.exact_critical_candidates(p).unwrap_or_default());
    }
    if opts.multistart {
        cands.extend(starting_points(d, radius, opts.starts_per_axis, opts.seed));
    }
    let mut found: Vec<(Vec<f64>, f64)> = Vec::new();
    let mut gscale = vec![0.0; d];
    for c in cands {
        let (z, r) = newton_critical(pot, p, &c, 100);
        if !z.iter().all(|v| v.is_finite()) {
            continue;
        }
        // Accept when |∇V| is at round-off level relative to the size of its terms.
        let zs: Vec<f64> = z.iter().map(|v| v.abs() + 1.0).collect();
        pot.gradient(&zs, &p.iter().map(|v| v.abs()).collect::<Vec<_>>(), &mut gscale);
        let tol = 1e-9 * (1.0 + norm(&gscale));
        if r > tol {
            continue;
        }
        found.push((z, r));
    }
    // Deduplicate: same point if within 1e-7 (relative), or within 1e-3 when both are nearly
    // degenerate (Newton converges slowly to degenerate roots).
    let mut uniq: Vec<(Vec<f64>, f64, f64)> = Vec::new();
    for (z, r) in found {
        let cp = classify(pot, p, &z, opts.degenerate_tol);
        let minabs = cp.eigenvalues.iter().fold(f64::INFINITY, |m, v| m.min(v.abs()));
        let mut merged = false;
        for u in uniq.iter_mut() {
            let dd = dist(&u.0, &z);
            let near = dd < 1e-7 * (1.0 + norm(&z)) || (dd < 1e-3 && minabs < 1e-3 && u.2 < 1e-3);
            if near {
                if r < u.1 {
                    *u = (z.clone(), r, minabs);
                }
                merged = true;
                break;
            }
        }
        if !merged {
            uniq.push((z, r, minabs));
        }
    }
    if uniq.iter().filter(|u| u.2 < 1e-6).count() > 8 {
        return Err(Error::invalid(
            "potential",
            format!(
                "{}: the critical points are not isolated (V is flat along some direction); \
                 such potentials are meant for an identity embedding on the simplex",
                pot.name()
            ),
        ));
    }
    let mut out: Vec<CriticalPoint> = uniq
        .into_iter()
        .map(|(z, _, _)| classify(pot, p, &z, opts.degenerate_tol))
        .collect();
    for cp in out.iter_mut() {
        for v in cp.z.iter_mut() {
            if *v == 0.0 {
                *v = 0.0; // normalise −0
            }
        }
    }
    out.sort_by(|a, b| {
        a.kind.cmp(&b.kind).then_with(|| {
            let ka: Vec<f64> = a.z.iter().rev().copied().collect();
            let kb: Vec<f64> = b.z.iter().rev().copied().collect();
            ka.partial_cmp(&kb).unwrap_or(std::cmp::Ordering::Equal)
        })
    });
    Ok(out)
}
