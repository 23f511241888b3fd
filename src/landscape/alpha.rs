//! The α-decomposition of memories on the training samples (spec §3.1–§3.5).
//!
//! α_A = M_A X⁺ with X (P×D) the training samples and X⁺ their Moore–Penrose pseudo-inverse
//! (thin SVD, numpy's default cut-off; on a rank-deficient X, e.g. the 200-digit set with its
//! duplicated samples #131/#135, this is the minimum-norm solution and duplicates get equal
//! weight). X⁺ is computed once per training set ([`Decomposition::new`]); α of a whole frame
//! (K memories) is then one matrix product.

use crate::data::CLASSES;
use crate::error::{Error, Result};
use crate::linalg;
use faer::Par;
use ndarray::{Array1, Array2, ArrayView2, Axis};

/// The training set prepared for α-decomposition: X⁺ (D×P) and the class of every sample.
#[derive(Debug, Clone)]
pub struct Decomposition {
    /// X⁺ = pinv(X), D×P.
    pub pinv: Array2<f64>,
    /// Class of each of the P samples.
    pub digits: Vec<usize>,
}

impl Decomposition {
    /// Prepare the decomposition on samples X (P×D) with classes `digits` (length P, each < 10).
    pub fn new(samples: ArrayView2<f64>, digits: &[usize]) -> Result<Self> {
        if samples.nrows() != digits.len() {
            return Err(Error::shape(
                "training samples",
                format!("{} rows (one per sample class)", digits.len()),
                samples.shape(),
            ));
        }
        if let Some(&d) = digits.iter().find(|&&d| d >= CLASSES) {
            return Err(Error::invalid(
                "sample classes",
                format!("class {d} is not in 0..=9"),
            ));
        }
        let x = samples.as_standard_layout();
        let pinv = linalg::pinv(x.view())?;
        Ok(Decomposition {
            pinv,
            digits: digits.to_vec(),
        })
    }

    /// Number of samples P.
    pub fn samples(&self) -> usize {
        self.digits.len()
    }

    /// α = M X⁺ (K×P) for the memories M (K×D), spec §3.1.
    pub fn alpha(&self, memories: ArrayView2<f64>, par: Par) -> Array2<f64> {
        let m = memories.as_standard_layout();
        linalg::dot(m.view(), self.pinv.view(), par)
    }
}

/// Class-aggregated α (paper eq. 2, spec §3.2): ᾱ_{A,d} = Σ_{p : y_p = d} α_{A,p} (K×10).
/// Unlike the reference it does not need 20 samples per class in digit-major order.
pub fn class_alpha(alpha: ArrayView2<f64>, digits: &[usize]) -> Array2<f64> {
    let mut out = Array2::zeros((alpha.nrows(), CLASSES));
    for (row, mut o) in alpha.rows().into_iter().zip(out.rows_mut()) {
        for (&a, &d) in row.iter().zip(digits) {
            o[d] += a;
        }
    }
    out
}

/// Max-α of every memory (spec §3.4): max_p |α_{A,p}| (length K).
pub fn max_alpha(alpha: ArrayView2<f64>) -> Array1<f64> {
    alpha.map_axis(Axis(1), |r| r.iter().fold(0.0, |m: f64, &a| m.max(a.abs())))
}

/// The tolerance of the reconstruction count (spec §3.5): tol = f · D · mean_{A,i} |M_{A,i}|
/// (f = 0.05 in the paper: 5 % of the average L1 norm of the memories of that frame).
pub fn reconstruction_tolerance(memories: ArrayView2<f64>, fraction: f64) -> f64 {
    let n = memories.len().max(1) as f64;
    let mean_abs = memories.iter().map(|v| v.abs()).sum::<f64>() / n;
    fraction * memories.ncols() as f64 * mean_abs
}

/// Reconstruction-sample count of every memory (spec §3.5): order the samples by |α_{A,p}|
/// descending (ties by sample index); R_w = Σ_{k ≤ w} α_{A,p_k} x_{p_k}; the count is the first
/// w = 1, …, P−1 with Σ_i |R_{w,i} − M_{A,i}| < `tol`, and P−1 if there is none (as the reference,
/// whose loop never tests w = P).
pub fn reconstruction_counts(
    memories: ArrayView2<f64>,
    alpha: ArrayView2<f64>,
    samples: ArrayView2<f64>,
    tol: f64,
) -> Vec<usize> {
    let p = samples.nrows();
    let cap = p.saturating_sub(1).max(1);
    let d = memories.ncols();
    let mut counts = Vec::with_capacity(memories.nrows());
    let mut recon = vec![0.0; d];
    for (m, a) in memories.rows().into_iter().zip(alpha.rows()) {
        let mut order: Vec<usize> = (0..p).collect();
        order.sort_by(|&i, &j| a[j].abs().total_cmp(&a[i].abs()).then(i.cmp(&j)));
        recon.iter_mut().for_each(|r| *r = 0.0);
        let mut count = cap;
        for (w, &s) in order.iter().take(cap).enumerate() {
            let coef = a[s];
            let x = samples.row(s);
            let mut err = 0.0;
            for i in 0..d {
                recon[i] += coef * x[i];
                err += (recon[i] - m[i]).abs();
            }
            if err < tol {
                count = w + 1;
                break;
            }
        }
        counts.push(count);
    }
    counts
}
