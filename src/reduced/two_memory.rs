//! The reduced two-digit / two-memory system (spec §5.1–5.4).
//!
//! Two training samples A (class a) and B (class b) enter only through their dot products
//! d_AA, d_AB, d_BB. A memory M = αA + βB with labels ℓ_a = ℓ, ℓ_b = −ℓ and the eight other labels
//! pinned at −1. K identical memories at temperature T act as one memory at
//! T_eff = T / K^(1/n) (spec §5.1).
//!
//! All powers are evaluated in the log domain (r^n = exp(n ln r)), and every quantity that only
//! matters through its direction (the memory gradient, the label gradient) is returned scaled by a
//! common positive factor, so the flow is defined even where the raw gradients under/overflow f64.

use crate::error::{Error, Result};
use std::path::Path;

/// Dot products of the two samples of the pair (spec §5.2).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PairDots {
    /// d_AA = A·A.
    pub aa: f64,
    /// d_AB = A·B.
    pub ab: f64,
    /// d_BB = B·B.
    pub bb: f64,
}

impl PairDots {
    /// The reference pair of spec §1.1 / §4.7 (samples #21 and #81 of the 200-digit set), rounded
    /// to the two decimals the spec prints.
    pub const REFERENCE_ROUNDED: PairDots = PairDots {
        aa: 753.22,
        ab: 494.02,
        bb: 719.70,
    };

    /// Dot products of rows `i` and `j` of a sample matrix (rows = samples, 784 columns).
    pub fn from_samples(x: &ndarray::Array2<f64>, i: usize, j: usize) -> Result<PairDots> {
        let rows = x.nrows();
        for (name, k) in [("first", i), ("second", j)] {
            if k >= rows {
                return Err(Error::invalid(
                    "pair",
                    format!("{name} sample index {k} out of range (the file holds {rows} samples)"),
                ));
            }
        }
        if i == j {
            return Err(Error::invalid("pair", "the two sample indices must differ"));
        }
        let (a, b) = (x.row(i), x.row(j));
        PairDots::new(a.dot(&a), a.dot(&b), b.dot(&b))
    }

    /// Read a sample file (`.npy`, P×784 or 1×P×784) and take the pair (i, j).
    pub fn from_file(path: &Path, i: usize, j: usize) -> Result<PairDots> {
        let x = crate::npy::read_matrix(path, "samples")?;
        PairDots::from_samples(&x, i, j)
    }

    /// Checked constructor: self dot products must be positive and finite.
    pub fn new(aa: f64, ab: f64, bb: f64) -> Result<PairDots> {
        if !(aa.is_finite() && ab.is_finite() && bb.is_finite()) || aa <= 0.0 || bb <= 0.0 {
            return Err(Error::invalid(
                "dots",
                format!("need finite d_AA > 0, d_BB > 0 (got {aa}, {ab}, {bb})"),
            ));
        }
        Ok(PairDots { aa, ab, bb })
    }
}

/// Loss power m of E = Σ|s − t|^(2m).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum LossPower {
    /// m = n (every experiment of the paper).
    TiedToN,
    /// A fixed m.
    Fixed(f64),
}

/// The reduced system: a pair, K identical memories and the loss power (spec §5.1–5.2).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TwoMemory {
    /// Dot products of the pair.
    pub dots: PairDots,
    /// Number K of identical memories (T_eff = T / K^(1/n)); 1 for a single memory.
    pub memories: f64,
    /// Loss power m.
    pub loss: LossPower,
}

/// The control parameters (n, T) of one evaluation. T is the real temperature; the system applies
/// T_eff = T / K^(1/n) itself.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Control {
    /// Interaction power n (> 1).
    pub n: f64,
    /// Temperature T (> 0).
    pub temperature: f64,
}

/// Log-domain evaluation of the reduced gradients at one state (spec §5.3).
///
/// Memory gradient: (∇_A, ∇_B) = e^{mem_scale} (mem_a, mem_b); label gradients:
/// ∇_ℓ = e^{label_scale} ell, ∇_γ = e^{label_scale} gamma. `log_pa`, `log_pb` are
/// ln(P_A u_A^n), ln(P_B u_B^n), the two terms of ∇_ℓ = P_A u_A^n − P_B u_B^n.
#[derive(Debug, Clone, Copy)]
pub struct Gradients {
    /// ∇_A up to the factor e^{mem_scale}.
    pub mem_a: f64,
    /// ∇_B up to the factor e^{mem_scale}.
    pub mem_b: f64,
    /// Common log scale of the memory gradient (−∞ when it vanishes).
    pub mem_scale: f64,
    /// ∇_ℓ up to e^{label_scale}.
    pub ell: f64,
    /// ∇_γ (≤ 0) up to e^{label_scale}.
    pub gamma: f64,
    /// Common log scale of the label gradients.
    pub label_scale: f64,
    /// ln(P_A u_A^n).
    pub log_pa: f64,
    /// ln(P_B u_B^n).
    pub log_pb: f64,
}

/// softplus(x) = ln(1 + e^x), stable for all x.
fn softplus(x: f64) -> f64 {
    if x == f64::INFINITY {
        return x;
    }
    x.max(0.0) + (-x.abs()).exp().ln_1p()
}

/// ln(1 − tanh z) = ln 2 − softplus(2z), and ln(1 + tanh z) = ln 2 − softplus(−2z).
fn ln_one_minus_tanh(z: f64) -> f64 {
    std::f64::consts::LN_2 - softplus(2.0 * z)
}
fn ln_one_plus_tanh(z: f64) -> f64 {
    std::f64::consts::LN_2 - softplus(-2.0 * z)
}

/// ln of e^a·x + e^b·y computed as (value, scale) pair with scale = max(a, b).
fn scaled_sum(a: f64, x: f64, b: f64, y: f64) -> (f64, f64) {
    let c = a.max(b);
    if c == f64::NEG_INFINITY {
        return (0.0, c);
    }
    let ea = if a == f64::NEG_INFINITY {
        0.0
    } else {
        (a - c).exp()
    };
    let eb = if b == f64::NEG_INFINITY {
        0.0
    } else {
        (b - c).exp()
    };
    (x * ea + y * eb, c)
}

impl TwoMemory {
    /// A single memory (K = 1) with m = n.
    pub fn new(dots: PairDots) -> TwoMemory {
        TwoMemory {
            dots,
            memories: 1.0,
            loss: LossPower::TiedToN,
        }
    }

    /// Builder: K identical memories.
    pub fn with_memories(mut self, k: f64) -> TwoMemory {
        self.memories = k;
        self
    }

    /// Builder: loss power.
    pub fn with_loss(mut self, loss: LossPower) -> TwoMemory {
        self.loss = loss;
        self
    }

    /// Check K ≥ 1 and m > 1/2.
    pub fn validate(&self) -> Result<()> {
        if !(self.memories.is_finite() && self.memories >= 1.0) {
            return Err(Error::invalid(
                "memories",
                format!("need K ≥ 1, got {}", self.memories),
            ));
        }
        if let LossPower::Fixed(m) = self.loss
            && !(m.is_finite() && m > 0.5)
        {
            return Err(Error::invalid("loss power", format!("need m > 0.5, got {m}")));
        }
        Ok(())
    }

    /// Effective temperature T_eff = T / K^(1/n) (spec §5.1).
    pub fn effective_temperature(&self, c: Control) -> f64 {
        c.temperature / self.memories.powf(1.0 / c.n)
    }

    /// Loss power m at this n.
    pub fn m(&self, n: f64) -> f64 {
        match self.loss {
            LossPower::TiedToN => n,
            LossPower::Fixed(m) => m,
        }
    }

    /// The reduced gradients of spec §5.3 at memory (α, β) and label ℓ:
    /// u_A = max(α d_AA + β d_AB, 0)/T_eff, u_B = max(α d_AB + β d_BB, 0)/T_eff,
    /// S_X = tanh(ℓ u_X^n), G_X = tanh(u_X^n), P_A = (1−S_A)^(2m)(1+S_A), P_B = (1+S_B)^(2m)(1−S_B),
    /// Q_X = (1−G_X)^(2m)(1+G_X);
    /// ∇_A = u_A^(n−1)(ℓP_A + 4Q_A), ∇_B = u_B^(n−1)(−ℓP_B + 4Q_B),
    /// ∇_ℓ = P_A u_A^n − P_B u_B^n, ∇_γ = −(Q_A u_A^n + Q_B u_B^n).
    pub fn gradients(&self, alpha: f64, beta: f64, ell: f64, c: Control) -> Gradients {
        let n = c.n;
        let m2 = 2.0 * self.m(n);
        let t = self.effective_temperature(c);
        let d = self.dots;
        let ln_u = |x: f64| if x > 0.0 { (x / t).ln() } else { f64::NEG_INFINITY };
        let lua = ln_u(alpha * d.aa + beta * d.ab);
        let lub = ln_u(alpha * d.ab + beta * d.bb);
        // ln h = n ln u; h may overflow but its log stays finite.
        let lha = n * lua;
        let lhb = n * lub;
        let h = |lh: f64| lh.exp();
        let z = |ell: f64, lh: f64| {
            if ell == 0.0 || lh == f64::NEG_INFINITY {
                0.0
            } else {
                ell * h(lh)
            }
        };
        let (za, zb) = (z(ell, lha), z(ell, lhb));
        let (ga, gb) = (h(lha), h(lhb));
        let log_p_a = m2 * ln_one_minus_tanh(za) + ln_one_plus_tanh(za);
        let log_p_b = m2 * ln_one_plus_tanh(zb) + ln_one_minus_tanh(zb);
        let log_q_a = m2 * ln_one_minus_tanh(ga) + ln_one_plus_tanh(ga);
        let log_q_b = m2 * ln_one_minus_tanh(gb) + ln_one_plus_tanh(gb);
        // Memory gradient: u^(n−1) (ℓ P + 4 Q) for each sample, each as (value, log scale).
        let (ca, sa) = scaled_sum(log_p_a, ell, log_q_a, 4.0);
        let (cb, sb) = scaled_sum(log_p_b, -ell, log_q_b, 4.0);
        let ka = if lua == f64::NEG_INFINITY {
            lua
        } else {
            (n - 1.0) * lua + sa
        };
        let kb = if lub == f64::NEG_INFINITY {
            lub
        } else {
            (n - 1.0) * lub + sb
        };
        let (mem_a, mem_b, mem_scale) = {
            let k = ka.max(kb);
            if k == f64::NEG_INFINITY || k.is_nan() {
                (0.0, 0.0, f64::NEG_INFINITY)
            } else {
                let fa = if ka == f64::NEG_INFINITY {
                    0.0
                } else {
                    ca * (ka - k).exp()
                };
                let fb = if kb == f64::NEG_INFINITY {
                    0.0
                } else {
                    cb * (kb - k).exp()
                };
                (fa, fb, k)
            }
        };
        // Label gradients.
        let log_pa = log_p_a + lha;
        let log_pb = log_p_b + lhb;
        let lqa = log_q_a + lha;
        let lqb = log_q_b + lhb;
        let k = log_pa.max(log_pb).max(lqa).max(lqb);
        let e = |x: f64| {
            if x == f64::NEG_INFINITY || k == f64::NEG_INFINITY {
                0.0
            } else {
                (x - k).exp()
            }
        };
        Gradients {
            mem_a,
            mem_b,
            mem_scale,
            ell: e(log_pa) - e(log_pb),
            gamma: -(e(lqa) + e(lqb)),
            label_scale: k,
            log_pa,
            log_pb,
        }
    }

    /// One update of the reference trainer (spec §2.2 with μ = 0) written in reduced variables
    /// (spec §5.4): (α, β) += η(∇_A, ∇_B)/(|∇_A| + |∇_B|), then divided by max(1, |α| + |β|);
    /// ℓ ← clip(ℓ + η ∇_ℓ / max(|∇_ℓ|, |∇_γ|), −1, 1). Both gradients are taken at the old state;
    /// a zero gradient gives no step (the reference's guard).
    pub fn step(&self, state: State, eta: f64, c: Control) -> State {
        let g = self.gradients(state.alpha, state.beta, state.ell, c);
        let mut s = state;
        let norm = g.mem_a.abs() + g.mem_b.abs();
        if norm > 0.0 {
            s.alpha += eta * g.mem_a / norm;
            s.beta += eta * g.mem_b / norm;
            let l1 = s.alpha.abs() + s.beta.abs();
            if l1 > 1.0 {
                s.alpha /= l1;
                s.beta /= l1;
            }
        }
        let lnorm = g.ell.abs().max(g.gamma.abs());
        if lnorm > 0.0 {
            s.ell = (s.ell + eta * g.ell / lnorm).clamp(-1.0, 1.0);
        }
        s
    }

    /// Iterate [`TwoMemory::step`] `epochs` times.
    pub fn simulate(&self, start: State, eta: f64, epochs: usize, c: Control) -> State {
        (0..epochs).fold(start, |s, _| self.step(s, eta, c))
    }

    /// Boundary residual of the fixed-point problem at perimeter coordinate `s` (see [`Boundary`]):
    /// f1 = (∇ − σx)·t / (2‖∇‖₂) (tangential flow, zero iff ∇ ∥ x) and
    /// f2 = (P_A u_A^n − P_B u_B^n)/(P_A u_A^n + P_B u_B^n) = tanh((ln P_A u_A^n − ln P_B u_B^n)/2)
    /// (zero iff ∇_ℓ = 0). Both are dimensionless in [−1, 1]; NaN where undefined (dead memory).
    pub fn residual(&self, s: f64, ell: f64, c: Control) -> [f64; 2] {
        let b = Boundary::at(s);
        let g = self.gradients(b.alpha, b.beta, ell, c);
        let (num, _) = b.tangential(g.mem_a, g.mem_b);
        let norm = g.mem_a.hypot(g.mem_b);
        let f1 = if norm > 0.0 { num / (2.0 * norm) } else { f64::NAN };
        [f1, label_residual(&g)]
    }

    /// The normalised flow on the diamond boundary in the perimeter coordinate (spec §5.4):
    /// ṡ = (∇ − σx)·t / (2(|∇_A| + |∇_B|)), ℓ̇ = ∇_ℓ / max(|∇_ℓ|, |∇_γ|) (before label clipping),
    /// together with the outward speed σ / (|∇_A| + |∇_B|).
    pub fn boundary_flow(&self, s: f64, ell: f64, c: Control) -> BoundaryFlow {
        let b = Boundary::at(s);
        let g = self.gradients(b.alpha, b.beta, ell, c);
        let (num, sigma) = b.tangential(g.mem_a, g.mem_b);
        let l1 = g.mem_a.abs() + g.mem_b.abs();
        let lnorm = g.ell.abs().max(g.gamma.abs());
        BoundaryFlow {
            s_dot: if l1 > 0.0 { num / (2.0 * l1) } else { 0.0 },
            ell_dot: if lnorm > 0.0 { g.ell / lnorm } else { 0.0 },
            outward: if l1 > 0.0 { sigma / l1 } else { 0.0 },
            // Positive factors D with flow = D · residual (exactly).
            scale_s: if l1 > 0.0 {
                g.mem_a.hypot(g.mem_b) / l1
            } else {
                0.0
            },
            scale_ell: if lnorm > 0.0 {
                let (pa, pb) = (g.log_pa - g.label_scale, g.log_pb - g.label_scale);
                (pa.exp() + pb.exp()) / lnorm
            } else {
                0.0
            },
        }
    }

    /// Memory and label nullcline values on the upper boundary β = 1 − |α| for stream plots
    /// (spec §5.4): (α̇, ℓ̇, [σ > 0]) at (α, ℓ).
    pub fn upper_boundary_field(&self, alpha: f64, ell: f64, c: Control) -> (f64, f64, bool) {
        let beta = 1.0 - alpha.abs();
        let g = self.gradients(alpha, beta, ell, c);
        let sigma = alpha.signum() * g.mem_a + g.mem_b;
        let l1 = g.mem_a.abs() + g.mem_b.abs();
        let lnorm = g.ell.abs().max(g.gamma.abs());
        let a_dot = if l1 > 0.0 {
            (g.mem_a - alpha * sigma) / l1
        } else {
            0.0
        };
        let l_dot = if lnorm > 0.0 { g.ell / lnorm } else { 0.0 };
        (a_dot, l_dot, sigma > 0.0)
    }
}

/// f2 of [`TwoMemory::residual`].
fn label_residual(g: &Gradients) -> f64 {
    let (a, b) = (g.log_pa, g.log_pb);
    if a == f64::NEG_INFINITY && b == f64::NEG_INFINITY {
        return f64::NAN;
    }
    if a == f64::NEG_INFINITY {
        return -1.0;
    }
    if b == f64::NEG_INFINITY {
        return 1.0;
    }
    ((a - b) / 2.0).tanh()
}

/// Flow on the boundary; see [`TwoMemory::boundary_flow`].
#[derive(Debug, Clone, Copy)]
pub struct BoundaryFlow {
    /// ds/dt.
    pub s_dot: f64,
    /// dℓ/dt (unclipped).
    pub ell_dot: f64,
    /// σ/(|∇_A| + |∇_B|): > 0 when the flow pushes out of the diamond (boundary attracting).
    pub outward: f64,
    /// ṡ = scale_s · f1.
    pub scale_s: f64,
    /// ℓ̇ = scale_ell · f2.
    pub scale_ell: f64,
}

/// State of the reduced system: memory αA + βB, label ℓ.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct State {
    /// Coefficient of A.
    pub alpha: f64,
    /// Coefficient of B.
    pub beta: f64,
    /// Label ℓ = ℓ_a = −ℓ_b.
    pub ell: f64,
}

/// A point of the diamond boundary |α| + |β| = 1 in the perimeter coordinate s ∈ [0, 4)
/// (taken mod 4), walking counter-clockwise from A:
/// face 0 (s ∈ [0,1)): (α, β) = (1 − s, s), face 1: (1 − s, 2 − s), face 2: (s − 3, 2 − s),
/// face 3: (s − 3, s − 4). `t` is d(α, β)/ds and `signs` the outward normal (sign α, sign β).
#[derive(Debug, Clone, Copy)]
pub struct Boundary {
    /// Coefficient of A.
    pub alpha: f64,
    /// Coefficient of B.
    pub beta: f64,
    /// Tangent d(α, β)/ds.
    pub t: [f64; 2],
    /// Face signs (sign α, sign β).
    pub signs: [f64; 2],
}

impl Boundary {
    /// The boundary point at perimeter coordinate s.
    pub fn at(s: f64) -> Boundary {
        let s = s.rem_euclid(4.0);
        let face = (s.floor() as i64).clamp(0, 3);
        let (alpha, beta, t, signs) = match face {
            0 => (1.0 - s, s, [-1.0, 1.0], [1.0, 1.0]),
            1 => (1.0 - s, 2.0 - s, [-1.0, -1.0], [-1.0, 1.0]),
            2 => (s - 3.0, 2.0 - s, [1.0, -1.0], [-1.0, -1.0]),
            _ => (s - 3.0, s - 4.0, [1.0, 1.0], [1.0, -1.0]),
        };
        Boundary {
            alpha,
            beta,
            t,
            signs,
        }
    }

    /// The perimeter coordinate of a point with |α| + |β| = 1 (inverse of [`Boundary::at`]).
    pub fn coordinate(alpha: f64, beta: f64) -> f64 {
        match (alpha >= 0.0, beta >= 0.0) {
            (true, true) => beta,
            (false, true) => 1.0 - alpha,
            (false, false) => 2.0 - beta,
            (true, false) => 4.0 + beta,
        }
        .rem_euclid(4.0)
    }

    /// ((∇ − σx)·t, σ) with σ = sign(α)∇_A + sign(β)∇_B on this face.
    pub fn tangential(&self, ga: f64, gb: f64) -> (f64, f64) {
        let sigma = self.signs[0] * ga + self.signs[1] * gb;
        let num = (ga - sigma * self.alpha) * self.t[0] + (gb - sigma * self.beta) * self.t[1];
        (num, sigma)
    }
}
