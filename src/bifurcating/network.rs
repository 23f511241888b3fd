//! The modern Hopfield network with a pseudo-potential (spec §3.3–3.4, §4): softmax arguments
//! under the three self-term conventions, the exact reduced P-dimensional dynamics, the full
//! N-dimensional dynamics, Jacobians, finite-β equilibria and their stability, β → ∞ margins,
//! and the free energy F_β (Lyapunov function for conventions A and C).

use super::patterns::Patterns;
use super::potentials::Potential;
use crate::error::{Error, Result};
use crate::linalg::small::{det, eigenvalues, solve};
use std::sync::Arc;

/// Which overlap enters the self-term of the softmax argument (spec §3.4 table, §12-E4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Convention {
    /// C (default): u_μ = m^μ − λ ∂V/∂m_μ (m^ = C·m).
    #[default]
    Contravariant,
    /// A: u_μ = m_μ − λ ∂V/∂m_μ.
    Covariant,
    /// B: u_μ = m_μ − λ Σ_ν g_μν ∂V/∂m_ν.
    RaisedGradient,
}

impl Convention {
    /// Parse "contravariant"/"C", "covariant"/"A", "raised-gradient"/"B".
    pub fn from_name(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "contravariant" | "c" => Ok(Convention::Contravariant),
            "covariant" | "a" => Ok(Convention::Covariant),
            "raised-gradient" | "raisedgradient" | "b" => Ok(Convention::RaisedGradient),
            _ => Err(Error::invalid(
                "convention",
                format!("unknown '{s}'; use contravariant (C), covariant (A) or raised-gradient (B)"),
            )),
        }
    }
}

/// The map from pattern space to landscape space (spec §3.3): z(m) = Σ_μ m_μ z_μ (barycentric
/// anchors), or the identity (V defined directly on m, d = P).
#[derive(Debug, Clone)]
pub enum Embedding {
    /// Anchors z_μ (P rows of length d).
    Anchors(Vec<Vec<f64>>),
    /// z = m.
    Identity,
}

/// Network model (spec §3.4, §10.1 "network").
#[derive(Debug, Clone)]
pub struct Network {
    /// The pseudo-potential V(z; θ).
    pub potential: Arc<dyn Potential>,
    /// The embedding z(m).
    pub embedding: Embedding,
    /// C = ΞᵀΞ/N (P×P, row-major).
    pub c: Vec<f64>,
    /// g = C⁻¹ (P×P, row-major).
    pub g: Vec<f64>,
    /// Number of patterns P.
    pub p: usize,
    /// Inverse temperature β.
    pub beta: f64,
    /// Potential gain λ.
    pub lambda: f64,
    /// Time constant τ.
    pub tau: f64,
    /// Self-term convention.
    pub convention: Convention,
}

/// Numerically stable softmax σ(v) (subtracts max v).
pub fn softmax(v: &[f64], out: &mut [f64]) {
    let mx = v.iter().fold(f64::NEG_INFINITY, |a, &b| a.max(b));
    let mut s = 0.0;
    for (o, &x) in out.iter_mut().zip(v) {
        *o = (x - mx).exp();
        s += *o;
    }
    for o in out.iter_mut() {
        *o /= s;
    }
}

/// Classification of a network equilibrium.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Stability {
    /// All tangent eigenvalues have negative real part.
    Stable,
    /// Some eigenvalue has positive real part.
    Unstable,
    /// Some eigenvalue is (numerically) zero.
    Marginal,
}

/// A network equilibrium m* = σ(β u(m*)) at fixed θ (spec §4.4).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Equilibrium {
    /// m* on the simplex.
    pub m: Vec<f64>,
    /// Stability on the simplex.
    pub stability: Stability,
    /// Number of tangent eigenvalues with positive real part (the index).
    pub index: usize,
    /// Tangent eigenvalues (real parts, descending).
    pub eigenvalues: Vec<f64>,
    /// Landscape position z(m*).
    pub z: Vec<f64>,
}

impl Network {
    /// A network with C = I (uncorrelated patterns).
    pub fn uncorrelated(potential: Arc<dyn Potential>, embedding: Embedding, p: usize) -> Self {
        let mut c = vec![0.0; p * p];
        for i in 0..p {
            c[i * p + i] = 1.0;
        }
        Network {
            potential,
            embedding,
            g: c.clone(),
            c,
            p,
            beta: 1000.0,
            lambda: 1.0,
            tau: 1.0,
            convention: Convention::Contravariant,
        }
    }
    /// Use the overlap matrix and metric of `patterns`.
    pub fn with_patterns(mut self, patterns: &Patterns) -> Result<Self> {
        if patterns.p() != self.p {
            return Err(Error::invalid(
                "patterns",
                format!("{} patterns given, the embedding has {}", patterns.p(), self.p),
            ));
        }
        self.c = patterns.c.iter().copied().collect();
        self.g = patterns.g.iter().copied().collect();
        Ok(self)
    }
    /// Check the configuration (dimensions, positive τ, β, non-negative λ).
    pub fn validate(&self) -> Result<()> {
        let d = self.potential.dim();
        match &self.embedding {
            Embedding::Identity if d != self.p => {
                return Err(Error::invalid(
                    "anchors",
                    format!(
                        "identity embedding needs a potential on P = {} variables, it has {d}",
                        self.p
                    ),
                ));
            }
            Embedding::Anchors(a) if a.len() != self.p || a.iter().any(|z| z.len() != d) => {
                return Err(Error::invalid(
                    "anchors",
                    format!("expected {} anchors of dimension {d}", self.p),
                ));
            }
            _ => {}
        }
        if !(self.beta > 0.0 && self.tau > 0.0 && self.lambda >= 0.0) {
            return Err(Error::invalid("network", "need beta > 0, tau > 0, lambda ≥ 0"));
        }
        Ok(())
    }
    /// Landscape dimension d.
    pub fn dim_z(&self) -> usize {
        self.potential.dim()
    }
    /// z(m) = Σ_μ m_μ z_μ (spec §3.3) or m (identity). Summed in pattern order, so equal m₁, m₂
    /// with mirrored anchors give exactly z_x = 0 (symmetric evaluation, §10.1).
    pub fn z_of_m(&self, m: &[f64]) -> Vec<f64> {
        match &self.embedding {
            Embedding::Identity => m.to_vec(),
            Embedding::Anchors(a) => {
                let d = self.dim_z();
                let mut z = vec![0.0; d];
                for (mu, zm) in a.iter().enumerate() {
                    for k in 0..d {
                        z[k] += m[mu] * zm[k];
                    }
                }
                z
            }
        }
    }
    /// ∇_m V = Hᵀ ∇_z V (spec §3.3 chain rule).
    pub fn grad_m(&self, m: &[f64], theta: &[f64]) -> Vec<f64> {
        let z = self.z_of_m(m);
        let mut gz = vec![0.0; z.len()];
        self.potential.gradient(&z, theta, &mut gz);
        match &self.embedding {
            Embedding::Identity => gz,
            Embedding::Anchors(a) => a
                .iter()
                .map(|zm| zm.iter().zip(&gz).map(|(h, g)| h * g).sum())
                .collect(),
        }
    }
    /// ∇²_m V = Hᵀ ∇²_z V H (P×P row-major).
    pub fn hess_m(&self, m: &[f64], theta: &[f64]) -> Vec<f64> {
        let z = self.z_of_m(m);
        let d = z.len();
        let mut hz = vec![0.0; d * d];
        self.potential.hessian(&z, theta, &mut hz);
        match &self.embedding {
            Embedding::Identity => hz,
            Embedding::Anchors(a) => {
                let p = self.p;
                let mut out = vec![0.0; p * p];
                for mu in 0..p {
                    for nu in 0..p {
                        let mut s = 0.0;
                        for k in 0..d {
                            for l in 0..d {
                                s += a[mu][k] * hz[k * d + l] * a[nu][l];
                            }
                        }
                        out[mu * p + nu] = s;
                    }
                }
                out
            }
        }
    }
    fn matvec(a: &[f64], v: &[f64]) -> Vec<f64> {
        let p = v.len();
        (0..p)
            .map(|i| (0..p).map(|j| a[i * p + j] * v[j]).sum())
            .collect()
    }
    /// Softmax argument u(m) (spec §3.4 table) for covariant overlaps m at parameters θ.
    pub fn u(&self, m: &[f64], theta: &[f64]) -> Vec<f64> {
        let gv = self.grad_m(m, theta);
        let lam = self.lambda;
        match self.convention {
            Convention::Covariant => m.iter().zip(&gv).map(|(a, b)| a - lam * b).collect(),
            Convention::Contravariant => {
                let mh = Self::matvec(&self.c, m);
                mh.iter().zip(&gv).map(|(a, b)| a - lam * b).collect()
            }
            Convention::RaisedGradient => {
                let rg = Self::matvec(&self.g, &gv);
                m.iter().zip(&rg).map(|(a, b)| a - lam * b).collect()
            }
        }
    }
    /// K = ∂u/∂m (spec §4.4): A: I − λHᵀ∇²VH; B: I − λ g Hᵀ∇²VH; C: C − λHᵀ∇²VH.
    pub fn k_matrix(&self, m: &[f64], theta: &[f64]) -> Vec<f64> {
        let p = self.p;
        let h = self.hess_m(m, theta);
        let mut k = vec![0.0; p * p];
        for i in 0..p {
            for j in 0..p {
                let base = match self.convention {
                    Convention::Contravariant => self.c[i * p + j],
                    _ => f64::from(u8::from(i == j)),
                };
                let hv = match self.convention {
                    Convention::RaisedGradient => (0..p).map(|l| self.g[i * p + l] * h[l * p + j]).sum(),
                    _ => h[i * p + j],
                };
                k[i * p + j] = base - self.lambda * hv;
            }
        }
        k
    }
    /// Reduced right-hand side (spec §4.1): τ dm/dt = σ(β u(m)) − m.
    pub fn reduced_rhs(&self, m: &[f64], theta: &[f64], out: &mut [f64]) {
        let u = self.u(m, theta);
        let v: Vec<f64> = u.iter().map(|x| self.beta * x).collect();
        softmax(&v, out);
        for (o, mi) in out.iter_mut().zip(m) {
            *o = (*o - mi) / self.tau;
        }
    }
    /// Full right-hand side (spec §3.4): τ dx/dt = Ξ σ(β u(m(x))) − x with m = g Ξᵀx/N.
    pub fn full_rhs(&self, pat: &Patterns, x: &[f64], theta: &[f64], out: &mut [f64]) {
        let n = pat.n();
        let p = self.p;
        let mut mh = vec![0.0; p];
        for (i, &xi_val) in x.iter().enumerate() {
            let row = pat.xi.row(i);
            for mu in 0..p {
                mh[mu] += row[mu] * xi_val;
            }
        }
        for v in mh.iter_mut() {
            *v /= n as f64;
        }
        let m = Self::matvec(&self.g, &mh);
        let u = match self.convention {
            // Use the directly computed m^ for the self-term (identical to C·m up to round-off).
            Convention::Contravariant => {
                let gv = self.grad_m(&m, theta);
                mh.iter().zip(&gv).map(|(a, b)| a - self.lambda * b).collect()
            }
            _ => self.u(&m, theta),
        };
        let v: Vec<f64> = u.iter().map(|x| self.beta * x).collect();
        let mut s = vec![0.0; p];
        softmax(&v, &mut s);
        for (i, o) in out.iter_mut().enumerate() {
            let row = pat.xi.row(i);
            let mut acc = 0.0;
            for mu in 0..p {
                acc += row[mu] * s[mu];
            }
            *o = (acc - x[i]) / self.tau;
        }
    }
    /// Jacobian of the reduced right-hand side (spec §4.4): J = (1/τ)[β(diag σ − σσᵀ)K − I].
    pub fn jacobian(&self, m: &[f64], theta: &[f64]) -> Vec<f64> {
        let p = self.p;
        let u = self.u(m, theta);
        let v: Vec<f64> = u.iter().map(|x| self.beta * x).collect();
        let mut s = vec![0.0; p];
        softmax(&v, &mut s);
        let k = self.k_matrix(m, theta);
        let mut j = vec![0.0; p * p];
        for a in 0..p {
            for b in 0..p {
                let mut acc = 0.0;
                for l in 0..p {
                    let ds = if a == l { s[a] } else { 0.0 } - s[a] * s[l];
                    acc += ds * k[l * p + b];
                }
                j[a * p + b] = (self.beta * acc - f64::from(u8::from(a == b))) / self.tau;
            }
        }
        j
    }
    /// Eigenvalues of the Jacobian restricted to the simplex tangent space Σ dm = 0
    /// (the normal direction has eigenvalue −1/τ), as (re, im), descending real part.
    pub fn tangent_eigenvalues(&self, m: &[f64], theta: &[f64]) -> Vec<(f64, f64)> {
        let p = self.p;
        let j = self.jacobian(m, theta);
        // Basis e_μ − e_{P−1}: R_μν = J_μν − J_μ,P−1 (μ, ν < P−1); 1ᵀJ = −1ᵀ/τ keeps the tangent invariant.
        let q = p - 1;
        let mut r = vec![0.0; q * q];
        for a in 0..q {
            for b in 0..q {
                r[a * q + b] = j[a * p + b] - j[a * p + q];
            }
        }
        eigenvalues(&r, q)
    }
    /// Free energy F_β(m) = W(m) + β⁻¹ Σ m_μ ln m_μ with W = λV(z(m)) − ½|m|² (A) or
    /// λV(z(m)) − ½mᵀCm (C) (spec §4.2). Non-increasing along the reduced dynamics at fixed θ.
    /// Returns `None` for convention B (no Lyapunov function in general).
    pub fn free_energy(&self, m: &[f64], theta: &[f64]) -> Option<f64> {
        let v = self.potential.value(&self.z_of_m(m), theta);
        let quad = match self.convention {
            Convention::Covariant => m.iter().map(|x| x * x).sum::<f64>(),
            Convention::Contravariant => m.iter().zip(Self::matvec(&self.c, m)).map(|(a, b)| a * b).sum(),
            Convention::RaisedGradient => return None,
        };
        let ent: f64 = m.iter().filter(|&&x| x > 0.0).map(|x| x * x.ln()).sum();
        Some(self.lambda * v - 0.5 * quad + ent / self.beta)
    }
    /// Residual of the equilibrium equations in softmax-argument space v (spec §4.4):
    /// F(v) = w − mean(w)·1 + mean(v)·1 with w = v − β u(σ(v)); F = 0 ⇔ σ(v) is an equilibrium
    /// and Σv = 0 (gauge). Better conditioned than σ(βu(m)) − m at large β.
    fn eq_residual(&self, v: &[f64], theta: &[f64]) -> Vec<f64> {
        let p = self.p;
        let mut m = vec![0.0; p];
        softmax(v, &mut m);
        let u = self.u(&m, theta);
        let w: Vec<f64> = v.iter().zip(&u).map(|(a, b)| a - self.beta * b).collect();
        let mw = w.iter().sum::<f64>() / p as f64;
        let mv = v.iter().sum::<f64>() / p as f64;
        w.iter().map(|x| x - mw + mv).collect()
    }
    fn eq_jacobian(&self, v: &[f64], theta: &[f64]) -> Vec<f64> {
        let p = self.p;
        let mut s = vec![0.0; p];
        softmax(v, &mut s);
        let k = self.k_matrix(&s, theta);
        // dw/dv = I − β K (diag σ − σσᵀ)
        let mut dw = vec![0.0; p * p];
        for a in 0..p {
            for b in 0..p {
                let mut acc = 0.0;
                for l in 0..p {
                    let ds = if l == b { s[l] } else { 0.0 } - s[l] * s[b];
                    acc += k[a * p + l] * ds;
                }
                dw[a * p + b] = f64::from(u8::from(a == b)) - self.beta * acc;
            }
        }
        let mut out = vec![0.0; p * p];
        for b in 0..p {
            let colmean = (0..p).map(|a| dw[a * p + b]).sum::<f64>() / p as f64;
            for a in 0..p {
                out[a * p + b] = dw[a * p + b] - colmean + 1.0 / p as f64;
            }
        }
        out
    }
    /// Newton's method for an equilibrium from softmax argument v0; returns m if converged.
    pub fn equilibrium_from(&self, v0: &[f64], theta: &[f64]) -> Option<Vec<f64>> {
        let mut v = v0.to_vec();
        let mut f = self.eq_residual(&v, theta);
        let mut r = crate::linalg::small::norm(&f);
        for _ in 0..200 {
            if r < 1e-11 * (1.0 + self.beta) {
                break;
            }
            let j = self.eq_jacobian(&v, theta);
            let step = solve(&j, &f)?;
            let mut t = 1.0;
            let mut improved = false;
            for _ in 0..40 {
                let vt: Vec<f64> = v.iter().zip(&step).map(|(a, s)| a - t * s).collect();
                let ft = self.eq_residual(&vt, theta);
                let rt = crate::linalg::small::norm(&ft);
                if rt < r {
                    v = vt;
                    f = ft;
                    r = rt;
                    improved = true;
                    break;
                }
                t *= 0.5;
            }
            if !improved {
                break;
            }
        }
        if r > 1e-8 * (1.0 + self.beta) {
            return None;
        }
        let mut m = vec![0.0; self.p];
        softmax(&v, &mut m);
        Some(m)
    }
    /// All finite-β equilibria found by Newton from seeds (spec §4.4, §10.1): every point of a
    /// simplex grid with `grid` subdivisions (vertices, edge midpoints, centroid included for
    /// even grids), each mapped to v = β u(m). Deduplicated (|Δm| < 1e−7) and classified.
    pub fn equilibria(&self, theta: &[f64], grid: usize) -> Vec<Equilibrium> {
        let p = self.p;
        let mut seeds: Vec<Vec<f64>> = Vec::new();
        simplex_grid(p, grid.max(1), &mut Vec::new(), grid.max(1), &mut seeds);
        let mut cen = vec![1.0 / p as f64; p];
        seeds.push(cen.clone());
        cen.clear();
        let mut found: Vec<Vec<f64>> = Vec::new();
        for m0 in seeds {
            // Two seed maps: v = β u(m) (one fixed-point step) and v = ln m (the point itself).
            let vs = [
                self.u(&m0, theta)
                    .iter()
                    .map(|x| self.beta * x)
                    .collect::<Vec<f64>>(),
                m0.iter().map(|x| (x.max(1e-300)).ln()).collect(),
            ];
            for v0 in vs {
                if let Some(m) = self.equilibrium_from(&v0, theta)
                    && !found.iter().any(|f| crate::linalg::small::dist(f, &m) < 1e-7)
                {
                    found.push(m);
                }
            }
        }
        let mut out: Vec<Equilibrium> = found.into_iter().map(|m| self.classify(&m, theta)).collect();
        out.sort_by(|a, b| b.m.partial_cmp(&a.m).unwrap_or(std::cmp::Ordering::Equal));
        out
    }
    /// Stability of an equilibrium from the tangent eigenvalues (spec §4.4).
    pub fn classify(&self, m: &[f64], theta: &[f64]) -> Equilibrium {
        let ev = self.tangent_eigenvalues(m, theta);
        let tol = 1e-9 * (1.0 + self.beta) / self.tau;
        let index = ev.iter().filter(|e| e.0 > tol).count();
        let marginal = ev.iter().any(|e| e.0.abs() <= tol);
        let stability = if index > 0 {
            Stability::Unstable
        } else if marginal {
            Stability::Marginal
        } else {
            Stability::Stable
        };
        Equilibrium {
            m: m.to_vec(),
            stability,
            index,
            eigenvalues: ev.iter().map(|e| e.0).collect(),
            z: self.z_of_m(m),
        }
    }
    /// Pure-pattern stability margin at β → ∞ (spec §4.3): Δ_μ = min_{ν≠μ} [u_μ(e_μ) − u_ν(e_μ)].
    /// Pattern μ is a stable fixed point for large β iff Δ_μ > 0.
    pub fn margin(&self, mu: usize, theta: &[f64]) -> f64 {
        let mut e = vec![0.0; self.p];
        e[mu] = 1.0;
        let u = self.u(&e, theta);
        (0..self.p)
            .filter(|&nu| nu != mu)
            .map(|nu| u[mu] - u[nu])
            .fold(f64::INFINITY, f64::min)
    }
    /// Determinant of the equilibrium Jacobian in v-space at the equilibrium near v (used by the
    /// network fold solver: it vanishes at saddle-node bifurcations of equilibria).
    pub fn eq_det(&self, v: &[f64], theta: &[f64]) -> f64 {
        det(&self.eq_jacobian(v, theta), self.p)
    }
    /// The equilibrium residual (public for the continuation code).
    pub fn eq_residual_pub(&self, v: &[f64], theta: &[f64]) -> Vec<f64> {
        self.eq_residual(v, theta)
    }
}

fn simplex_grid(p: usize, k: usize, prefix: &mut Vec<usize>, left: usize, out: &mut Vec<Vec<f64>>) {
    if prefix.len() == p - 1 {
        let mut m: Vec<f64> = prefix.iter().map(|&i| i as f64 / k as f64).collect();
        m.push(left as f64 / k as f64);
        out.push(m);
        return;
    }
    for i in 0..=left {
        prefix.push(i);
        simplex_grid(p, k, prefix, left - i, out);
        prefix.pop();
    }
}

/// Anchors by the convention of spec §6.5 from the minima of V at θ_ref: pattern 0 = the minimum
/// with the smallest last coordinate (the progenitor, (0, −1) for the heteroclinic flip), then the
/// others by descending first coordinate (pattern 1 ↔ x > 0, pattern 2 ↔ x < 0). `flip` reverses
/// the order of patterns 1.. (spec §12-E1).
pub fn anchors_from_minima(
    pot: &dyn Potential,
    theta_ref: &[f64],
    p: usize,
    flip: bool,
) -> Result<Vec<Vec<f64>>> {
    let cps = super::critical::critical_points(pot, theta_ref, &super::critical::SearchOptions::default())?;
    let mut mins: Vec<Vec<f64>> = cps
        .into_iter()
        .filter(|c| c.kind == super::critical::Kind::Minimum)
        .map(|c| c.z)
        .collect();
    if mins.len() != p {
        return Err(Error::invalid(
            "anchors.reference",
            format!(
                "V has {} minima at the reference parameters, {p} patterns need {p}",
                mins.len()
            ),
        ));
    }
    let d = mins[0].len();
    let i0 = (0..mins.len())
        .min_by(|&i, &j| {
            mins[i][d - 1]
                .total_cmp(&mins[j][d - 1])
                .then(mins[i][0].abs().total_cmp(&mins[j][0].abs()))
        })
        .expect("non-empty");
    let z0 = mins.remove(i0);
    mins.sort_by(|a, b| b[0].total_cmp(&a[0]));
    if flip {
        mins.reverse();
    }
    let mut out = vec![z0];
    out.extend(mins);
    // Exact mirror symmetry where the minima are mirror images (keeps symmetric evaluation exact).
    if out.len() == 3
        && d == 2
        && (out[1][0] + out[2][0]).abs() < 1e-9
        && (out[1][1] - out[2][1]).abs() < 1e-9
    {
        out[2][0] = -out[1][0];
        out[2][1] = out[1][1];
        if out[0][0].abs() < 1e-12 {
            out[0][0] = 0.0;
        }
    }
    Ok(out)
}
