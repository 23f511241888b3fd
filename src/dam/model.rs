//! The two dense-associative-memory formulations and their forward pass.
//!
//! * Label-weighted ("Waddington") form, spec `reference-experiments.md` §1.2:
//!   s_c(x) = tanh( Σ_A ℓ_{A,c} (max(M_A·x, 0)/T)^n ).
//! * Krotov & Hopfield 2016 clamped form, spec `krotov-2016.md`: with ξ_A = (M_A; ℓ_A) and the
//!   visible vectors v⁺_a (class unit a = +1, others −1) and v⁻ (all class units −1),
//!   c_a(v) = tanh( Σ_A [F(ξ_A·v⁺_a) − F(ξ_A·v⁻)] ), F(x) = (max(x, 0)/T)^n.
//!
//! In both, the rectified power is evaluated relative to the temperature, (x/T)^n, never as
//! T^(−n)·x^n, so every n from 1 to beyond 100 stays finite (spec §2.7).

pub use crate::config::{Form, Params};
use crate::data::CLASSES;
use crate::linalg;
use faer::Par;
use ndarray::{Array2, ArrayView2};

/// The rectified power r ↦ r^p for r = max(x, 0)/T > 0. Integer exponents use repeated squaring
/// (`powi`, a few multiplications), others `powf`; both give r^p to a few ulp.
#[derive(Debug, Clone, Copy)]
pub struct Power {
    p: f64,
    int: Option<i32>,
}

impl Power {
    /// The power r^p.
    pub fn new(p: f64) -> Self {
        let int = (p.fract() == 0.0 && p.abs() <= 1024.0).then_some(p as i32);
        Power { p, int }
    }
    /// r^p (r ≥ 0).
    #[inline(always)]
    pub fn of(&self, r: f64) -> f64 {
        match self.int {
            Some(k) => r.powi(k),
            None => r.powf(self.p),
        }
    }
    /// The exponent p.
    pub fn exponent(&self) -> f64 {
        self.p
    }

    /// The exponent as an integer, when it is one (|p| ≤ 1024).
    pub fn integer(&self) -> Option<i32> {
        self.int
    }

    /// r^p for the first `len` entries of a block of r ≥ 0 (the rest of the result is unspecified).
    ///
    /// Written by hand because it is in the hot element-wise loops of training: integer powers run
    /// the same binary-exponentiation sequence as `powi` (so the results are bit-identical to it)
    /// but over a whole block at once, which the compiler vectorises.
    #[inline(always)]
    pub fn of_block(&self, r: &[f64; BLOCK], len: usize) -> [f64; BLOCK] {
        let mut res = [1.0f64; BLOCK];
        match self.int {
            Some(k) if k >= 0 => {
                let mut base = *r;
                let mut e = k as u32;
                while e != 0 {
                    if e & 1 == 1 {
                        for i in 0..BLOCK {
                            res[i] *= base[i];
                        }
                    }
                    e >>= 1;
                    if e == 0 {
                        break;
                    }
                    for b in base.iter_mut() {
                        *b *= *b;
                    }
                }
            }
            _ => {
                for i in 0..len {
                    res[i] = r[i].powf(self.p);
                }
            }
        }
        res
    }

    /// For every dot product a in `dots` (overwritten): d = (max(a, 0)/T)^p into `deriv` and
    /// a ← d·r = (max(a, 0)/T)^(p+1); both 0 where a ≤ 0. Used with p = n − 1, this gives the
    /// activation h = rⁿ and the factor rⁿ⁻¹ of the memory gradient in one pass.
    #[inline(always)]
    pub fn rectified_pair(&self, dots: &mut [f64], deriv: &mut [f64], temperature: f64) {
        for (hs, ds) in dots.chunks_mut(BLOCK).zip(deriv.chunks_mut(BLOCK)) {
            let len = hs.len();
            let mut r = [0.0f64; BLOCK];
            for i in 0..len {
                let v = hs[i] / temperature;
                r[i] = if v > 0.0 { v } else { 0.0 };
            }
            let res = self.of_block(&r, len);
            for i in 0..len {
                let d = if r[i] > 0.0 { res[i] } else { 0.0 };
                ds[i] = d;
                hs[i] = d * r[i];
            }
        }
    }
}

/// Entries per block of the vectorised element-wise loops.
pub const BLOCK: usize = 64;

/// h = (max(a, 0)/T)^n for every entry of the K×P dot-product matrix `a` (in place).
pub fn activation_in_place(a: &mut Array2<f64>, n: f64, temperature: f64) {
    let pw = Power::new(n);
    a.mapv_inplace(|s| {
        let r = s / temperature;
        if r > 0.0 { pw.of(r) } else { 0.0 }
    });
}

/// Outputs s (P×C) of the label-weighted model for samples X (P×784), memories M (K×784) and
/// labels L (K×C): s_{p,c} = tanh(Σ_A ℓ_{A,c} h_{A,p}) with h_{A,p} = (max(M_A·x_p, 0)/T)^n.
pub fn label_weighted_outputs(
    memories: ArrayView2<f64>,
    labels: ArrayView2<f64>,
    samples: ArrayView2<f64>,
    params: &Params,
    par: Par,
) -> Array2<f64> {
    let mut h = Array2::zeros((memories.nrows(), samples.nrows()));
    linalg::matmul_abt(&mut h, memories, samples, par);
    activation_in_place(&mut h, params.n, params.temperature);
    let mut z = Array2::zeros((samples.nrows(), labels.ncols()));
    linalg::matmul_atb(&mut z, h.view(), labels, par);
    z.mapv_inplace(f64::tanh);
    z
}

/// Outputs c (P×C) of the Krotov–Hopfield 2016 model whose memories are ξ_A = (M_A; ℓ_A):
/// with b_{A,p} = M_A·x_p − Σ_c ℓ_{A,c} (= ξ_A·v⁻) and ξ_A·v⁺_a = b_{A,p} + 2ℓ_{A,a},
/// c_{p,a} = tanh( Σ_A [F(b_{A,p} + 2ℓ_{A,a}) − F(b_{A,p})] ).
pub fn krotov_outputs(
    memories: ArrayView2<f64>,
    labels: ArrayView2<f64>,
    samples: ArrayView2<f64>,
    params: &Params,
    par: Par,
) -> Array2<f64> {
    let (k, p, c) = (memories.nrows(), samples.nrows(), labels.ncols());
    let mut base = Array2::zeros((k, p));
    linalg::matmul_abt(&mut base, memories, samples, par);
    let pw = Power::new(params.n);
    let t = params.temperature;
    let f = |x: f64| if x > 0.0 { pw.of(x / t) } else { 0.0 };
    let mut z = Array2::<f64>::zeros((p, c));
    for a in 0..k {
        let lsum: f64 = labels.row(a).sum();
        for s in 0..p {
            let b = base[[a, s]] - lsum;
            let fb = f(b);
            for cl in 0..c {
                z[[s, cl]] += f(b + 2.0 * labels[[a, cl]]) - fb;
            }
        }
    }
    z.mapv_inplace(f64::tanh);
    z
}

/// Outputs of either form.
pub fn outputs(
    form: Form,
    memories: ArrayView2<f64>,
    labels: ArrayView2<f64>,
    samples: ArrayView2<f64>,
    params: &Params,
    par: Par,
) -> Array2<f64> {
    match form {
        Form::LabelWeighted => label_weighted_outputs(memories, labels, samples, params, par),
        Form::Krotov2016 => krotov_outputs(memories, labels, samples, params, par),
    }
}

/// Index of the first maximum of a row (numpy's `argmax` convention).
pub fn argmax(row: ndarray::ArrayView1<f64>) -> usize {
    let mut best = 0;
    for i in 1..row.len() {
        if row[i] > row[best] {
            best = i;
        }
    }
    best
}

/// Whether each sample is recognised (spec §3.6): argmax_c s_c = y **and** max_c s_c > −1.0
/// (an exact comparison: samples whose outputs are all saturated at −1 are not recognised).
pub fn recognised(outputs: &Array2<f64>, digits: &[usize]) -> Vec<bool> {
    outputs
        .rows()
        .into_iter()
        .zip(digits)
        .map(|(row, &y)| {
            let k = argmax(row);
            k == y && row[k] > -1.0
        })
        .collect()
}

/// Per-class counts of recognised samples (length C) under the rule of [`recognised`].
pub fn recognition_counts(outputs: &Array2<f64>, digits: &[usize]) -> Vec<usize> {
    let mut counts = vec![0; CLASSES];
    for (ok, &d) in recognised(outputs, digits).into_iter().zip(digits) {
        if ok {
            counts[d] += 1;
        }
    }
    counts
}

/// Per-class accuracy (argmax rule, as `evaluateNet`): fraction of the samples of class c whose
/// argmax output is c; `None` for classes without samples.
pub fn per_class_accuracy(outputs: &Array2<f64>, digits: &[usize]) -> Vec<Option<f64>> {
    let mut hit = [0usize; CLASSES];
    let mut tot = [0usize; CLASSES];
    for (row, &d) in outputs.rows().into_iter().zip(digits) {
        tot[d] += 1;
        if argmax(row) == d {
            hit[d] += 1;
        }
    }
    (0..CLASSES)
        .map(|c| (tot[c] > 0).then(|| hit[c] as f64 / tot[c] as f64))
        .collect()
}

/// Overall accuracy (fraction of samples whose argmax output is their class).
pub fn accuracy(outputs: &Array2<f64>, digits: &[usize]) -> f64 {
    if digits.is_empty() {
        return f64::NAN;
    }
    let hit = outputs
        .rows()
        .into_iter()
        .zip(digits)
        .filter(|(row, d)| argmax(row.view()) == **d)
        .count();
    hit as f64 / digits.len() as f64
}
