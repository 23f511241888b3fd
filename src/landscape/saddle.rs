//! The saddle of every split and why it splits (issue 18; `docs/landscape.md`).
//!
//! For a split of the [persistent tree](super::persistent) the **saddle record** is the last record
//! at or before the departure onset (the children's centroid separation at 10 % of its final value)
//! and not before the parent begins: the last record at which the parent is still whole. There:
//!
//! * **the saddle state**: the mean memory image and mean labels of the parent's members
//!   (`saddles.npz`), and the children's mean images at the first record after the departure is
//!   complete;
//! * **speed and residence**: the speed of a memory at record t is its RMS displacement since
//!   record t−1 per epoch, ‖M_A(t) − M_A(t−1)‖₂/(√D Δt). With μ = 0 every update moves a memory by
//!   exactly η in max-norm, so a memory that lingers at a saddle jitters in place and its *net*
//!   speed drops. The residence is the run of records up to the saddle record in which the parent's
//!   mean speed stays below half its peak over the parent's life up to the departure's completion;
//! * **the splitting matrix** S = Σ_p β_p F″(w·x_p) x_p x_pᵀ, F(u) = (max(u, 0)/T)ⁿ,
//!   β_p = Σ_c g_{p,c} ℓ̄_c, g_{p,c} = ∂L/∂h_{p,c} = 2m |s − t|^(2m−1) sign(s − t)(1 − s²), with w
//!   and ℓ̄ the members' mean memory and labels and s = tanh(h) the whole network's outputs: the
//!   second-order change of the loss L = Σ|s − t|^(2m) when the clade's memories move ±εv
//!   (label-weighted form only);
//! * **the splitting mode** of the training rule itself: the clade is cut into two halves (its
//!   largest child H₊ and the rest H₋: which memories go together is taken from the outcome, the
//!   direction they part along is not) and perturbed antisymmetrically, half H₊ by +δ w₊ u and H₋ by
//!   −δ w₋ u (w₊ = |H₋|/|C|, w₋ = |H₊|/|C|, so the clade's mean does not move and the difference
//!   of the halves' means is δ u), u = (Q v_M, v_ℓ) with Q an orthonormal basis of the span of the
//!   training samples (the rest of pixel space is neutral: the update never moves it except
//!   through the bound, which only shrinks it). One epoch of the real trainer (`Trainer::epoch`,
//!   central differences ±δ) maps the difference of the halves' means to A v; the leading
//!   eigenvalue of A (Arnoldi, a Krylov space of at most [`KRYLOV`] vectors) is the growth factor
//!   per epoch of the antisymmetric perturbation and its eigenvector the direction the clade
//!   splits along. Velocities are taken as zero (trajectories do not record them; exact for the
//!   paper's μ = 0).
//!
//! Both directions are compared with the observed separation: the difference of the two largest
//! children's mean memories at the first record at or after the split epoch (`cosine_observed` is
//! |cos| of the angle; for a complex leading eigenvalue, the cosine with the plane of its real and
//! imaginary parts).

use crate::dam::model::{Form, Power, label_weighted_outputs};
use crate::dam::train::{State, Trainer};
use crate::error::{Error, Result};
use crate::linalg;
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis, s};
use rand::SeedableRng;
use rand_chacha::ChaCha12Rng;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

/// Largest Krylov space of the splitting mode's Arnoldi iteration.
pub const KRYLOV: usize = 30;

/// Central-difference step of the Jacobian–vector products (the perturbation's norm).
pub const JVP_STEP: f64 = 1e-6;

/// How long the parent's memories lingered before the departure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Residence {
    /// The epoch the low-speed run starts (the record before its first low-speed record).
    pub start: f64,
    /// The saddle record's epoch.
    pub end: f64,
    /// `end − start`.
    pub epochs: f64,
    /// The parent's lowest mean speed in the run (RMS pixel distance per epoch).
    pub min_speed: f64,
    /// Its peak mean speed over its life up to the departure's completion.
    pub peak_speed: f64,
}

/// The loss's splitting matrix at the saddle record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SplittingMatrix {
    /// Its most negative eigenvalue.
    pub lambda_min: f64,
    /// Its largest |eigenvalue|.
    pub lambda_max_abs: f64,
    /// |cos| between the eigenvector of `lambda_min` and the observed separation.
    pub cosine_observed: f64,
}

/// The splitting mode of the training rule at the saddle record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SplittingMode {
    /// |λ| of the leading eigenvalue: growth per epoch of the antisymmetric perturbation.
    pub growth_per_epoch: f64,
    /// Its imaginary part (0 for a real eigenvalue).
    pub growth_imag: f64,
    /// |cos| between the mode's memory part and the observed separation.
    pub cosine_observed: f64,
    /// Fraction of the mode's squared norm in the labels.
    pub label_share: f64,
    /// Krylov dimension used.
    pub krylov: usize,
    /// Arnoldi residual ‖A x − λ x‖/|λ| of the returned mode (small: converged).
    pub residual: f64,
}

/// The saddle of one split and why it splits (`summary.json` `persistent_splits[].saddle`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Saddle {
    /// Epoch of the saddle record (the last record at which the parent is whole).
    pub epoch: usize,
    /// Epoch of the record the children's images are taken at (the departure complete).
    pub apart_epoch: usize,
    /// Epoch of the record the observed separation is taken at (at or after the split epoch).
    pub observed_epoch: usize,
    /// The members' mean labels at the saddle (C).
    pub labels: Vec<f64>,
    /// The three largest mean labels in words.
    pub labels_in_words: String,
    /// Residence at the saddle.
    pub residence: Option<Residence>,
    /// The loss's splitting matrix (label-weighted form, with a trainer).
    pub splitting_matrix: Option<SplittingMatrix>,
    /// The training rule's splitting mode (with a trainer).
    pub mode: Option<SplittingMode>,
}

/// Per-memory speed at every record (E×K): RMS displacement since the previous record per epoch
/// (NaN at the first record).
pub fn speed_row(prev: ArrayView2<f64>, cur: ArrayView2<f64>, epochs_between: f64) -> Array1<f64> {
    let d = cur.ncols().max(1) as f64;
    cur.outer_iter()
        .zip(prev.outer_iter())
        .map(|(a, b)| {
            let sq: f64 = a.iter().zip(b.iter()).map(|(x, y)| (x - y) * (x - y)).sum();
            (sq / d).sqrt() / epochs_between
        })
        .collect()
}

/// The mean speed of `members` at every record.
pub fn group_speed(speed: &Array2<f64>, members: &[usize]) -> Vec<f64> {
    speed
        .outer_iter()
        .map(|row| members.iter().map(|&m| row[m]).sum::<f64>() / members.len().max(1) as f64)
        .collect()
}

/// The residence before record `saddle` of a group with mean speed `speed` (per record) at
/// `epochs`: the run of records ending at `saddle` with speed below half the peak over the records
/// in (`first`, `last`] (module docs).
pub fn residence(
    epochs: &[usize],
    speed: &[f64],
    first: usize,
    saddle: usize,
    last: usize,
) -> Option<Residence> {
    let last = last.min(speed.len().checked_sub(1)?).max(saddle);
    if saddle <= first || last >= speed.len() {
        return None;
    }
    let range = first + 1..=last;
    let peak = speed[range]
        .iter()
        .filter(|v| v.is_finite())
        .fold(0.0f64, |m, &v| m.max(v));
    if peak <= 0.0 {
        return None;
    }
    let low = |t: usize| speed[t].is_finite() && speed[t] < 0.5 * peak;
    let mut t = saddle;
    let mut min_speed = f64::INFINITY;
    while t > first && low(t) {
        min_speed = min_speed.min(speed[t]);
        t -= 1;
    }
    if !min_speed.is_finite() {
        min_speed = speed[saddle];
    }
    Some(Residence {
        start: epochs[t] as f64,
        end: epochs[saddle] as f64,
        epochs: (epochs[saddle] - epochs[t]) as f64,
        min_speed,
        peak_speed: peak,
    })
}

/// Mean of the rows `members` of `x`.
pub fn mean_rows(x: ArrayView2<f64>, members: &[usize]) -> Array1<f64> {
    let mut m = Array1::zeros(x.ncols());
    for &a in members {
        m += &x.row(a);
    }
    m / members.len().max(1) as f64
}

/// |cos| of the angle between `a` and `b` (0 if either vanishes).
pub fn abs_cosine(a: ArrayView1<f64>, b: ArrayView1<f64>) -> f64 {
    let (na, nb) = (a.dot(&a).sqrt(), b.dot(&b).sqrt());
    if na > 0.0 && nb > 0.0 {
        (a.dot(&b) / (na * nb)).abs().min(1.0)
    } else {
        0.0
    }
}

/// The splitting matrix S of `members` (module docs) in the coordinates of the orthonormal basis
/// Q (D×r) of the span of the training samples, QᵀSQ = (XQ)ᵀ diag(β_p F″(w·x_p)) (XQ), for the
/// label-weighted network with `memories` (K×D) and `labels` (K×C) on the trainer's samples X
/// (P×D) and targets t (P×C); loss power 2m. S vanishes outside the span, so its eigenvalues there
/// are those of QᵀSQ (plus zeros).
pub fn splitting_matrix_of(
    trainer: &Trainer,
    memories: ArrayView2<f64>,
    labels: ArrayView2<f64>,
    members: &[usize],
    basis: &Array2<f64>,
) -> Result<Array2<f64>> {
    let params = trainer.hyper().params;
    let (x, t) = (trainer.samples(), trainer.targets());
    let s_out = label_weighted_outputs(memories, labels, x.view(), &params, faer::Par::Seq);
    let w = mean_rows(memories, members);
    let l = mean_rows(labels, members);
    let (n, m, temp) = (params.n, params.m, params.temperature);
    let f2 = Power::new(n - 2.0);
    let mut coef = Array1::zeros(x.nrows());
    for p in 0..x.nrows() {
        let u = w.dot(&x.row(p));
        if u <= 0.0 {
            continue;
        }
        let mut beta = 0.0;
        for c in 0..t.ncols() {
            let (s, e) = (s_out[[p, c]], s_out[[p, c]] - t[[p, c]]);
            let g = 2.0 * m * e.abs().powf(2.0 * m - 1.0) * e.signum() * (1.0 - s * s);
            beta += g * l[c];
        }
        coef[p] = beta * n * (n - 1.0) / (temp * temp) * f2.of(u / temp);
    }
    let xq = linalg::dot(x.view(), basis.view(), faer::Par::Seq);
    let scaled = &xq * &coef.insert_axis(Axis(1));
    let mut out = Array2::zeros((basis.ncols(), basis.ncols()));
    linalg::matmul_atb(&mut out, xq.view(), scaled.view(), faer::Par::Seq);
    if !out.iter().all(|v| v.is_finite()) {
        return Err(Error::Diverged("splitting matrix: non-finite entries".into()));
    }
    Ok(out)
}

/// Eigen-summary of a splitting matrix `sq` in basis coordinates (see [`splitting_matrix_of`])
/// against the observed separation `observed` (D).
pub fn summarise_splitting_matrix(
    sq: &Array2<f64>,
    basis: &Array2<f64>,
    observed: ArrayView1<f64>,
) -> Result<SplittingMatrix> {
    let r = sq.nrows();
    let mat = faer::Mat::<f64>::from_fn(r, r, |i, j| 0.5 * (sq[[i, j]] + sq[[j, i]]));
    let evd = mat
        .self_adjoint_eigen(faer::Side::Lower)
        .map_err(|e| Error::Diverged(format!("splitting matrix eigendecomposition: {e:?}")))?;
    let (u, sv) = (evd.U(), evd.S().column_vector());
    let lambda_min = if r > 0 { sv[0] } else { 0.0 };
    let lambda_max_abs = (0..r).map(|i| sv[i].abs()).fold(0.0f64, f64::max);
    let v = Array1::from_shape_fn(r, |i| if r > 0 { u[(i, 0)] } else { 0.0 });
    Ok(SplittingMatrix {
        lambda_min,
        lambda_max_abs,
        cosine_observed: abs_cosine(basis.dot(&v).view(), observed),
    })
}

/// An orthonormal basis Q (D×r) of the span of the rows of `samples` (eigenvectors of XᵀX with
/// eigenvalue above 1e-12 of the largest, i.e. singular values above 1e-6 σ_max).
pub fn sample_basis(samples: ArrayView2<f64>) -> Result<Array2<f64>> {
    let d = samples.ncols();
    let mut g = Array2::zeros((d, d));
    let xs = samples.as_standard_layout();
    linalg::matmul_atb(&mut g, xs.view(), xs.view(), faer::Par::Seq);
    let mat = faer::Mat::<f64>::from_fn(d, d, |i, j| g[[i, j]]);
    let evd = mat
        .self_adjoint_eigen(faer::Side::Lower)
        .map_err(|e| Error::Diverged(format!("sample-span eigendecomposition: {e:?}")))?;
    let (u, sv) = (evd.U(), evd.S().column_vector());
    let top = sv[d - 1];
    let keep: Vec<usize> = (0..d).rev().filter(|&i| sv[i] > 1e-12 * top).collect();
    Ok(Array2::from_shape_fn((d, keep.len()), |(i, j)| u[(i, keep[j])]))
}

/// The linear map of one epoch on antisymmetric perturbations of a clade (module docs), by
/// central differences of the trainer.
pub struct ModeOperator<'a> {
    trainer: &'a mut Trainer,
    base: State,
    epoch: usize,
    plus: Vec<usize>,
    minus: Vec<usize>,
    basis: &'a Array2<f64>,
}

impl<'a> ModeOperator<'a> {
    /// The operator for the halves `plus` and `minus` (disjoint, non-empty) of `base`, one epoch
    /// `epoch` (0-based) of `trainer`.
    pub fn new(
        trainer: &'a mut Trainer,
        base: State,
        epoch: usize,
        plus: Vec<usize>,
        minus: Vec<usize>,
        basis: &'a Array2<f64>,
    ) -> Result<Self> {
        if plus.is_empty() || minus.is_empty() || plus.iter().any(|a| minus.contains(a)) {
            return Err(Error::invalid(
                "members",
                "a splitting mode needs two disjoint, non-empty halves",
            ));
        }
        Ok(ModeOperator {
            trainer,
            base,
            epoch,
            plus,
            minus,
            basis,
        })
    }

    /// Dimension of the perturbation space (r sample directions + C labels).
    pub fn dim(&self) -> usize {
        self.basis.ncols() + self.base.labels.ncols()
    }

    /// The memory part Q v_M of a coordinate vector.
    pub fn memory_part(&self, v: ArrayView1<f64>) -> Array1<f64> {
        self.basis.dot(&v.slice(s![..self.basis.ncols()]))
    }

    /// A v: the difference of the halves' mean responses to the perturbation u(v), one epoch on.
    pub fn apply(&mut self, v: ArrayView1<f64>) -> Array1<f64> {
        let r = self.basis.ncols();
        let um = self.memory_part(v);
        let ul = v.slice(s![r..]);
        let total = (self.plus.len() + self.minus.len()) as f64;
        let (wp, wm) = (self.minus.len() as f64 / total, self.plus.len() as f64 / total);
        let mut sp = self.base.clone();
        let mut sn = self.base.clone();
        let h = JVP_STEP;
        for (group, sign, w) in [(&self.plus, 1.0, wp), (&self.minus, -1.0, wm)] {
            for &a in group {
                let k = sign * h * w;
                sp.memories.row_mut(a).scaled_add(k, &um);
                sn.memories.row_mut(a).scaled_add(-k, &um);
                sp.labels.row_mut(a).scaled_add(k, &ul);
                sn.labels.row_mut(a).scaled_add(-k, &ul);
            }
        }
        self.trainer.epoch(&mut sp, self.epoch);
        self.trainer.epoch(&mut sn, self.epoch);
        let response = |x: &Array2<f64>, y: &Array2<f64>| {
            let mut d = mean_rows(x.view(), &self.plus) - mean_rows(x.view(), &self.minus);
            d -= &(mean_rows(y.view(), &self.plus) - mean_rows(y.view(), &self.minus));
            d / (2.0 * h)
        };
        let dm = response(&sp.memories, &sn.memories);
        let dl = response(&sp.labels, &sn.labels);
        let mut out = Array1::zeros(self.dim());
        out.slice_mut(s![..r]).assign(&self.basis.t().dot(&dm));
        out.slice_mut(s![r..]).assign(&dl);
        out
    }
}

/// A leading eigenpair found by [`leading_eigenpair`].
#[derive(Debug, Clone)]
pub struct Eigenpair {
    /// Real part of the eigenvalue.
    pub re: f64,
    /// Imaginary part.
    pub im: f64,
    /// Real part of the eigenvector.
    pub vec_re: Array1<f64>,
    /// Imaginary part of the eigenvector.
    pub vec_im: Array1<f64>,
    /// Krylov dimension used.
    pub krylov: usize,
    /// Residual estimate |h_{m+1,m} y_m|/|λ|.
    pub residual: f64,
}

/// The leading eigenpair of `op` by Arnoldi with modified Gram–Schmidt (re-orthogonalised), from a
/// fixed pseudo-random start.
///
/// Hand-written because faer has no iterative eigensolver; the small Hessenberg matrix is solved
/// with faer's dense `eigen`.
pub fn leading_eigenpair(
    apply: &mut dyn FnMut(ArrayView1<f64>) -> Array1<f64>,
    dim: usize,
    krylov: usize,
) -> Result<Eigenpair> {
    let m_max = krylov.min(dim).max(1);
    let mut rng = ChaCha12Rng::seed_from_u64(0x5ADD1E);
    let mut v0: Array1<f64> = (0..dim).map(|_| StandardNormal.sample(&mut rng)).collect();
    v0 /= v0.dot(&v0).sqrt();
    let mut basis = vec![v0];
    let mut h = Array2::<f64>::zeros((m_max + 1, m_max));
    let mut m = 0;
    while m < m_max {
        let mut w = apply(basis[m].view());
        if !w.iter().all(|x| x.is_finite()) {
            return Err(Error::Diverged(
                "splitting mode: non-finite Jacobian–vector product".into(),
            ));
        }
        for _ in 0..2 {
            for (i, q) in basis.iter().enumerate() {
                let c = q.dot(&w);
                h[[i, m]] += c;
                w.scaled_add(-c, q);
            }
        }
        let norm = w.dot(&w).sqrt();
        h[[m + 1, m]] = norm;
        m += 1;
        let scale = h.slice(s![..m, ..m]).iter().fold(0.0f64, |a, &x| a.max(x.abs()));
        if norm <= 1e-12 * scale.max(f64::MIN_POSITIVE) || m == m_max {
            break;
        }
        basis.push(w / norm);
    }
    let hm = faer::Mat::<f64>::from_fn(m, m, |i, j| h[[i, j]]);
    let evd = hm
        .eigen()
        .map_err(|e| Error::Diverged(format!("Arnoldi Hessenberg eigendecomposition: {e:?}")))?;
    let (u, sv) = (evd.U(), evd.S().column_vector());
    let lead = (0..m)
        .max_by(|&a, &b| sv[a].norm().total_cmp(&sv[b].norm()).then(b.cmp(&a)))
        .unwrap_or(0);
    let lam = sv[lead];
    let mut re = Array1::zeros(dim);
    let mut im = Array1::zeros(dim);
    for (j, q) in basis.iter().take(m).enumerate() {
        re.scaled_add(u[(j, lead)].re, q);
        im.scaled_add(u[(j, lead)].im, q);
    }
    let ylast = u[(m - 1, lead)].norm();
    let ynorm = (0..m).map(|j| u[(j, lead)].norm().powi(2)).sum::<f64>().sqrt();
    let residual = h[[m, m - 1]] * ylast / (ynorm.max(f64::MIN_POSITIVE) * lam.norm().max(f64::MIN_POSITIVE));
    Ok(Eigenpair {
        re: lam.re,
        im: lam.im,
        vec_re: re,
        vec_im: im,
        krylov: m,
        residual,
    })
}

/// The splitting mode of `members` at `state` (after `epoch` epochs) against the observed
/// separation `observed` (D).
pub fn splitting_mode(
    trainer: &mut Trainer,
    state: State,
    epoch: usize,
    halves: (Vec<usize>, Vec<usize>),
    basis: &Array2<f64>,
    observed: ArrayView1<f64>,
) -> Result<SplittingMode> {
    let mut op = ModeOperator::new(trainer, state, epoch, halves.0, halves.1, basis)?;
    let dim = op.dim();
    let r = basis.ncols();
    let Eigenpair {
        re: lre,
        im: lim,
        vec_re: vre,
        vec_im: vim,
        krylov,
        residual,
    } = leading_eigenpair(&mut |v| op.apply(v), dim, KRYLOV)?;
    let (mre, mim) = (op.memory_part(vre.view()), op.memory_part(vim.view()));
    // |cos| with the plane of the real and imaginary parts (the line of `mre` when real).
    let cosine_observed = plane_cosine(mre.view(), mim.view(), observed);
    let total = vre.dot(&vre) + vim.dot(&vim);
    let lab = vre.slice(s![r..]).dot(&vre.slice(s![r..])) + vim.slice(s![r..]).dot(&vim.slice(s![r..]));
    Ok(SplittingMode {
        growth_per_epoch: lre.hypot(lim),
        growth_imag: lim,
        cosine_observed,
        label_share: if total > 0.0 { lab / total } else { 0.0 },
        krylov,
        residual,
    })
}

/// |cos| of the angle between `d` and the plane spanned by `a` and `b` (the line of `a` if `b`
/// is negligible).
pub fn plane_cosine(a: ArrayView1<f64>, b: ArrayView1<f64>, d: ArrayView1<f64>) -> f64 {
    let na = a.dot(&a).sqrt();
    let nd = d.dot(&d).sqrt();
    if na == 0.0 || nd == 0.0 {
        return 0.0;
    }
    let e1 = &a / na;
    let mut b2 = b.to_owned();
    let along = e1.dot(&b2);
    b2.scaled_add(-along, &e1);
    let nb = b2.dot(&b2).sqrt();
    let c1 = e1.dot(&d) / nd;
    let c2 = if nb > 1e-9 * na {
        b2.dot(&d) / (nb * nd)
    } else {
        0.0
    };
    c1.hypot(c2).min(1.0)
}

/// Whether the splitting matrix is defined for this trainer's form.
pub fn has_splitting_matrix(trainer: &Trainer) -> bool {
    trainer.form() == Form::LabelWeighted
}

/// The saddle images of every split, in the order of `persistent_splits` (`saddles.npz`).
#[derive(Debug, Clone)]
pub struct SaddleImages {
    /// Members' mean memory at each saddle record (S×D).
    pub memory: Array2<f64>,
    /// Members' mean labels there (S×C).
    pub labels: Array2<f64>,
    /// Each child's mean memory at its split's apart record (the children of every split in
    /// order, N_c×D).
    pub child_memory: Array2<f64>,
    /// The split (row of `memory`) of each row of `child_memory`.
    pub child_split: Vec<usize>,
    /// The parent's mean speed at every record (S×E; NaN at the first record).
    pub speed: Array2<f64>,
}

/// Recorded frames by record index: (memories K×D, labels K×C) for each index asked for.
pub type FrameSource<'a> = dyn FnMut(&[usize]) -> Result<Vec<(Array2<f64>, Array2<f64>)>> + 'a;

/// Mean labels in words: the three largest, largest first ("ℓ(1) = 0.83, ℓ(7) = −0.40, …").
pub fn labels_in_words(l: ArrayView1<f64>) -> String {
    let mut idx: Vec<usize> = (0..l.len()).collect();
    idx.sort_by(|&a, &b| l[b].total_cmp(&l[a]).then(a.cmp(&b)));
    idx.iter()
        .take(3)
        .map(|&c| format!("ℓ({c}) = {:.2}", l[c]).replace('-', "−"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The records a split's saddle needs: (first record of the parent, saddle, observed, apart).
fn split_records(
    epochs: &[usize],
    s: &super::persistent::SplitSummary,
    start: f64,
) -> (usize, usize, usize, usize) {
    let e: Vec<f64> = epochs.iter().map(|&x| x as f64).collect();
    let before = |t: f64| e.iter().rposition(|&x| x <= t).unwrap_or(0);
    let after = |t: f64| {
        e.iter()
            .position(|&x| x >= t)
            .unwrap_or(e.len().saturating_sub(1))
    };
    (
        before(start),
        before(s.onset.max(start)),
        after(s.epoch),
        after(s.complete),
    )
}

/// The saddle of every split of `tree` (its `splits`, from [`super::persistent::PersistentTree::describe`]),
/// filling `splits[i].saddle`; `epochs` and `speed` (E×K) are the analysis' records, `frames`
/// reads recorded states, `trainer` (the run's own) adds the splitting matrix and mode.
pub fn explain(
    splits: &mut [super::persistent::SplitSummary],
    tree: &super::persistent::PersistentTree,
    epochs: &[usize],
    speed: &Array2<f64>,
    frames: &mut FrameSource,
    mut trainer: Option<&mut Trainer>,
) -> Result<SaddleImages> {
    let recs: Vec<(usize, usize, usize, usize)> = splits
        .iter()
        .map(|s| split_records(epochs, s, tree.nodes[s.parent].epoch_start))
        .collect();
    let mut wanted: Vec<usize> = recs.iter().flat_map(|&(_, a, b, c)| [a, b, c]).collect();
    wanted.sort_unstable();
    wanted.dedup();
    let got = frames(&wanted)?;
    let frame = |r: usize| -> &(Array2<f64>, Array2<f64>) {
        let i = wanted.binary_search(&r).unwrap_or(0);
        &got[i]
    };
    let (d, c) = got.first().map_or((0, 0), |(m, l)| (m.ncols(), l.ncols()));
    let basis = match &trainer {
        Some(t) => Some(sample_basis(t.samples().view())?),
        None => None,
    };
    let ns = splits.len();
    let mut memory = Array2::zeros((ns, d));
    let mut labels = Array2::zeros((ns, c));
    let mut child_rows: Vec<Array1<f64>> = Vec::new();
    let mut child_split = Vec::new();
    let mut speeds = Array2::from_elem((ns, epochs.len()), f64::NAN);
    for (i, (s, &(first, saddle, observed, apart))) in splits.iter_mut().zip(&recs).enumerate() {
        let parent = &tree.nodes[s.parent];
        let (mem, lab) = frame(saddle);
        memory.row_mut(i).assign(&mean_rows(mem.view(), &parent.members));
        let l = mean_rows(lab.view(), &parent.members);
        labels.row_mut(i).assign(&l);
        let curve = group_speed(speed, &parent.members);
        speeds.row_mut(i).assign(&Array1::from(curve.clone()));
        for &ch in &s.children {
            child_rows.push(mean_rows(frame(apart).0.view(), &tree.nodes[ch].members));
            child_split.push(i);
        }
        // observed separation: the two largest children's mean memories
        let mut kids: Vec<&[usize]> = s.children.iter().map(|&ch| &tree.nodes[ch].members[..]).collect();
        kids.sort_by_key(|m| std::cmp::Reverse(m.len()));
        let obs_mem = &frame(observed).0;
        let observed_dir = match kids.as_slice() {
            [a, b, ..] => mean_rows(obs_mem.view(), a) - mean_rows(obs_mem.view(), b),
            _ => Array1::zeros(d),
        };
        let mut splitting_matrix = None;
        let mut mode = None;
        if let (Some(tr), Some(q)) = (trainer.as_deref_mut(), basis.as_ref()) {
            if has_splitting_matrix(tr) {
                let sq = splitting_matrix_of(tr, mem.view(), lab.view(), &parent.members, q)?;
                splitting_matrix = Some(summarise_splitting_matrix(&sq, q, observed_dir.view())?);
            }
            let state = State::new(mem.clone(), lab.clone());
            let first_child = kids.first().map_or(&[][..], |m| *m);
            let rest: Vec<usize> = parent
                .members
                .iter()
                .copied()
                .filter(|a| !first_child.contains(a))
                .collect();
            mode = Some(splitting_mode(
                tr,
                state,
                epochs[saddle],
                (first_child.to_vec(), rest),
                q,
                observed_dir.view(),
            )?);
        }
        s.saddle = Some(Saddle {
            epoch: epochs[saddle],
            apart_epoch: epochs[apart],
            observed_epoch: epochs[observed],
            labels_in_words: labels_in_words(l.view()),
            labels: l.to_vec(),
            residence: residence(epochs, &curve, first, saddle, apart),
            splitting_matrix,
            mode,
        });
    }
    let child_memory = Array2::from_shape_fn((child_rows.len(), d), |(i, j)| child_rows[i][j]);
    Ok(SaddleImages {
        memory,
        labels,
        child_memory,
        child_split,
        speed: speeds,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn residence_is_the_low_speed_run_before_the_saddle() {
        let epochs: Vec<usize> = (0..10).map(|i| 10 * i).collect();
        let speed = [f64::NAN, 1.0, 0.8, 0.2, 0.1, 0.1, 0.3, 0.9, 1.0, 0.5];
        let r = residence(&epochs, &speed, 0, 5, 8).unwrap();
        assert_eq!((r.start, r.end, r.epochs), (20.0, 50.0, 30.0));
        assert_eq!((r.min_speed, r.peak_speed), (0.1, 1.0));
        // a saddle at the parent's first record, or windows that end before it, have none
        assert!(residence(&epochs, &speed, 5, 5, 8).is_none());
        assert!(residence(&epochs, &speed, 6, 7, 2).is_some_and(|r| r.epochs == 0.0));
        assert!(residence(&epochs, &speed, 0, 5, 50).is_some());
    }

    #[test]
    fn plane_cosine_and_labels_in_words() {
        let a = Array1::from(vec![1.0, 0.0, 0.0]);
        let b = Array1::from(vec![0.0, 1.0, 0.0]);
        let d = Array1::from(vec![1.0, 1.0, 0.0]);
        assert!((plane_cosine(a.view(), b.view(), d.view()) - 1.0).abs() < 1e-12);
        assert!((plane_cosine(a.view(), (&a * 2.0).view(), d.view()) - 0.5f64.sqrt()).abs() < 1e-12);
        let l = Array1::from(vec![-1.0, 0.8, -0.5, 0.1, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0]);
        assert_eq!(
            labels_in_words(l.view()),
            "ℓ(1) = 0.80, ℓ(3) = 0.10, ℓ(2) = −0.50"
        );
    }
}
