//! Several memories in the span of two samples, trained with the reference update rule
//! (spec §2.2, μ = 0) written in Gram coordinates: memory μ is c_{μ,0} A + c_{μ,1} B, all ten labels
//! are kept. Exact for the full trainer when ‖aA + bB‖∞ = |a| + |b| (spec §5.4), which holds for
//! the reference pair. Used for the K = 2 split dynamics (spec §5.7) and the intra/inter-digit
//! final states (spec §4.9).

/// Ten output classes (spec §1.1).
pub const CLASSES: usize = 10;

/// A memory in span{A, B} with its ten labels.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct SpanMemory {
    /// Coefficients on A and B.
    pub coef: [f64; 2],
    /// Labels ℓ_c ∈ [−1, 1].
    pub labels: [f64; CLASSES],
}

/// The network: Gram matrix G_pq = x_p·x_q of the two samples, their target classes, n, m, T.
#[derive(Debug, Clone, Copy)]
pub struct SpanNetwork {
    /// Gram matrix [[d_AA, d_AB], [d_AB, d_BB]].
    pub gram: [[f64; 2]; 2],
    /// Target class of each sample (may be equal: intra-digit).
    pub targets: [usize; 2],
    /// Interaction power.
    pub n: f64,
    /// Loss power m.
    pub m: f64,
    /// Temperature (real; no K scaling: every memory is explicit).
    pub temperature: f64,
}

impl SpanNetwork {
    /// One full-batch update of every memory (spec §2.2 with μ = 0, no noise): gradients at the
    /// current state; labels ℓ ← clip(ℓ − η g_ℓ/‖g_ℓ‖∞); coefficients c ← c − η g_c/(|g_0| + |g_1|),
    /// then c ← c / max(1, |c_0| + |c_1|). r^n is evaluated as exp(n ln r); constant factors are
    /// dropped (only directions matter).
    pub fn step(&self, mems: &mut [SpanMemory], eta: f64) {
        let k = mems.len();
        let (n, t) = (self.n, self.temperature);
        // r_{A,p} and h = r^n.
        let mut r = vec![[0.0f64; 2]; k];
        let mut h = vec![[0.0f64; 2]; k];
        for (a, m) in mems.iter().enumerate() {
            for p in 0..2 {
                let dot = m.coef[0] * self.gram[0][p] + m.coef[1] * self.gram[1][p];
                let x = dot.max(0.0) / t;
                r[a][p] = x;
                h[a][p] = if x > 0.0 { (n * x.ln()).exp() } else { 0.0 };
            }
        }
        // q_{p,c} = sign(e)|e|^(2m−1)(1 − s²), e = s − t.
        let mut q = [[0.0f64; CLASSES]; 2];
        for (p, qp) in q.iter_mut().enumerate() {
            for (c, qpc) in qp.iter_mut().enumerate() {
                let z: f64 = (0..k).map(|a| mems[a].labels[c] * h[a][p]).sum();
                let s = z.tanh();
                let target = if c == self.targets[p] { 1.0 } else { -1.0 };
                let e = s - target;
                *qpc = e.signum() * e.abs().powf(2.0 * self.m - 1.0) * (1.0 - s * s);
            }
        }
        let old: Vec<SpanMemory> = mems.to_vec();
        for (a, m) in mems.iter_mut().enumerate() {
            let o = &old[a];
            let mut gl = [0.0f64; CLASSES];
            for (c, g) in gl.iter_mut().enumerate() {
                *g = q[0][c] * h[a][0] + q[1][c] * h[a][1];
            }
            let mut gc = [0.0f64; 2];
            for (p, g) in gc.iter_mut().enumerate() {
                let rp = r[a][p];
                let d = if rp > 0.0 {
                    ((n - 1.0) * rp.ln()).exp()
                } else {
                    0.0
                };
                *g = d * (0..CLASSES).map(|c| q[p][c] * o.labels[c]).sum::<f64>();
            }
            let lnorm = gl.iter().fold(0.0f64, |x, g| x.max(g.abs()));
            if lnorm > 0.0 {
                for (c, l) in m.labels.iter_mut().enumerate() {
                    *l = (o.labels[c] - eta * gl[c] / lnorm).clamp(-1.0, 1.0);
                }
            }
            let cnorm = gc[0].abs() + gc[1].abs();
            if cnorm > 0.0 {
                m.coef[0] = o.coef[0] - eta * gc[0] / cnorm;
                m.coef[1] = o.coef[1] - eta * gc[1] / cnorm;
                let l1 = m.coef[0].abs() + m.coef[1].abs();
                if l1 > 1.0 {
                    m.coef[0] /= l1;
                    m.coef[1] /= l1;
                }
            }
        }
    }

    /// Run `epochs` updates, recording the state before each update and the final one
    /// (epochs + 1 entries) when `record` is set; returns the final state and the record.
    pub fn run(
        &self,
        mut mems: Vec<SpanMemory>,
        eta: f64,
        epochs: usize,
        record: bool,
    ) -> (Vec<SpanMemory>, Vec<Vec<SpanMemory>>) {
        let mut hist = Vec::new();
        for _ in 0..epochs {
            if record {
                hist.push(mems.clone());
            }
            self.step(&mut mems, eta);
        }
        if record {
            hist.push(mems.clone());
        }
        (mems, hist)
    }
}
