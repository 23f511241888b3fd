//! The reference-exact training rule (spec `reference-experiments.md` §2) for the label-weighted
//! form, and the Krotov–Hopfield 2016 rule (`krotov-2016.md`), batched as matrix products.
//!
//! One label-weighted step on a minibatch (X_b, T_b), all gradients from the pre-update state:
//!
//! 1. S = M·X_bᵀ (K×B), r = max(S, 0)/T, h = rⁿ, h' = rⁿ⁻¹ (0 where S ≤ 0);
//! 2. s = tanh(hᵀ·L) (B×C), e = s − t, q = sign(e)|e|^(2m−1)(1 − s²);
//! 3. G_L = h·q (K×C) and G_M = (L·qᵀ ∘ h')·X_b (K×784)  (positive factors 2m, 2nm/T dropped:
//!    only each row's direction is used);
//! 4. per row: Ĝ = G/‖G‖∞ (0 if ‖G‖∞ = 0), V ← μV − Ĝ, U = V/‖V‖∞ (0 if 0);
//! 5. L ← clip(L + ηU_L + ξ_L, −1, 1);  M ← M + ηU_M + ξ_M, then M_A ← M_A/max(1, ‖M_A‖∞)
//!    (or clip to [−1, 1]).
//!
//! As in the reference, the memory gradient uses 1 − s·s and the label gradient (1 − s)(1 + s).
//!
//! The two large products are [`crate::dam::gemm`]'s (each minibatch packed once); G_M is
//! computed [`gemm::ROW_BLOCK`] memories at a time and those memories take steps 4–5 at once,
//! while their rows of G_M are in cache. The rest is [`crate::dam::kernels`], and tanh is
//! [`crate::dam::tanh`] (same bits in scalar and vector code, on every platform).

use crate::config::{Bound, derive_seed, streams};
use crate::dam::gemm::{self, Packed};
use crate::dam::kernels;
use crate::dam::model::{BLOCK, Form, Params, Power};
use crate::dam::tanh::{tanh, tanh_slice};
use crate::error::{Error, Result};
use faer::Par;
use ndarray::{Array2, ArrayView2, Axis};
use rand::SeedableRng;
use rand_chacha::ChaCha12Rng;
use rand_distr::{Distribution, Normal};
use rayon::prelude::*;
use std::convert::Infallible;

/// The trainable state: memories, labels and their velocities.
#[derive(Debug, Clone, PartialEq)]
pub struct State {
    /// K×784 memories M.
    pub memories: Array2<f64>,
    /// K×C labels ℓ (for the Krotov form: the class units of ξ).
    pub labels: Array2<f64>,
    /// K×784 memory velocity V_M.
    pub vel_memories: Array2<f64>,
    /// K×C label velocity V_L.
    pub vel_labels: Array2<f64>,
}

impl State {
    /// A state with zero velocities.
    pub fn new(memories: Array2<f64>, labels: Array2<f64>) -> Self {
        let vm = Array2::zeros(memories.raw_dim());
        let vl = Array2::zeros(labels.raw_dim());
        State {
            memories,
            labels,
            vel_memories: vm,
            vel_labels: vl,
        }
    }

    /// I.i.d. N(mean, std) memories (K×pixels, drawn first, row-major) and labels (K×classes),
    /// from a ChaCha12 stream seeded with `seed` (spec §2.5).
    pub fn random(k: usize, pixels: usize, classes: usize, mean: f64, std: f64, seed: u64) -> Result<Self> {
        let normal = Normal::new(mean, std).map_err(|e| Error::invalid("init.std", e.to_string()))?;
        let mut rng = ChaCha12Rng::seed_from_u64(seed);
        let m = Array2::from_shape_fn((k, pixels), |_| normal.sample(&mut rng));
        let l = Array2::from_shape_fn((k, classes), |_| normal.sample(&mut rng));
        Ok(State::new(m, l))
    }

    /// Whether every entry is finite.
    pub fn is_finite(&self) -> bool {
        all_finite(&self.memories) && all_finite(&self.labels)
    }
}

/// Optimiser hyper-parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct Hyper {
    /// Model parameters (n, m, T).
    pub params: Params,
    /// Learning rate η (ε₀ for the Krotov form).
    pub rate: f64,
    /// Momentum μ.
    pub momentum: f64,
    /// Memory bounding (label-weighted form).
    pub bound: Bound,
    /// Learning-rate decay factor per epoch (1 = none).
    pub decay: f64,
    /// Noise N(mean, std) added at every step of the listed epochs (`None` = all epochs).
    pub noise: Option<Noise>,
    /// Krotov form: initial temperature of a linear ramp to `params.temperature` over `ramp` epochs.
    pub temperature_initial: Option<f64>,
    /// Krotov form: ramp length in epochs.
    pub ramp: usize,
    /// Krotov form: shuffle the training set every epoch.
    pub shuffle: bool,
    /// Krotov form: lower bound of the velocity normaliser.
    pub prec: f64,
}

/// Noise pulses (spec §2.4).
#[derive(Debug, Clone, PartialEq)]
pub struct Noise {
    /// Mean of the Gaussian noise.
    pub mean: f64,
    /// Its standard deviation.
    pub std: f64,
    /// Epoch indices (0-based) at which every step is noisy; empty = every epoch.
    pub epochs: Vec<usize>,
}

impl Noise {
    /// Whether every step of epoch `epoch` (0-based) is noisy.
    pub fn applies_at(&self, epoch: usize) -> bool {
        (self.std > 0.0 || self.mean != 0.0) && (self.epochs.is_empty() || self.epochs.contains(&epoch))
    }
}

impl Hyper {
    /// The paper's defaults (Figure 3: η = 0.005, μ = 0, normalisation, no decay, no noise).
    pub fn paper(params: Params) -> Self {
        Hyper {
            params,
            rate: 0.005,
            momentum: 0.0,
            bound: Bound::Normalise,
            decay: 1.0,
            noise: None,
            temperature_initial: None,
            ramp: 0,
            shuffle: true,
            prec: 1e-30,
        }
    }

    /// The learning rate used during epoch `e` (0-based). Label-weighted (reference `isDecay`):
    /// η·decay^(e+1); Krotov notebook: ε₀·decay^e.
    pub fn rate_at(&self, form: Form, epoch: usize) -> f64 {
        if self.decay == 1.0 {
            return self.rate;
        }
        match form {
            Form::LabelWeighted => self.rate * self.decay.powi(epoch as i32 + 1),
            Form::Krotov2016 => self.rate * self.decay.powi(epoch as i32),
        }
    }

    /// Krotov form: the temperature during epoch `e` (linear ramp, then constant).
    pub fn temperature_at(&self, epoch: usize) -> f64 {
        match self.temperature_initial {
            Some(t0) if self.ramp > 0 && epoch < self.ramp => {
                t0 + (self.params.temperature - t0) * epoch as f64 / self.ramp as f64
            }
            _ => self.params.temperature,
        }
    }
}

/// Split P samples in order into `count` equal minibatches of consecutive rows.
pub fn consecutive_batches(p: usize, count: usize) -> Result<Vec<Vec<usize>>> {
    if count == 0 || !p.is_multiple_of(count) {
        return Err(Error::invalid(
            "train.minibatches",
            format!("{count} minibatches do not divide the {p} training samples evenly"),
        ));
    }
    let size = p / count;
    Ok((0..count).map(|b| (b * size..(b + 1) * size).collect()).collect())
}

/// Check that `batches` partition 0..p: every sample index exactly once, all batches equal size.
pub fn check_partition(batches: &[Vec<usize>], p: usize, what: &str) -> Result<()> {
    let mut seen = vec![false; p];
    let size = batches.first().map_or(0, |b| b.len());
    for (bi, b) in batches.iter().enumerate() {
        if b.len() != size || size == 0 {
            return Err(Error::invalid(
                what,
                format!("minibatch {bi} has {} samples; all must have {size} > 0", b.len()),
            ));
        }
        for &i in b {
            if i >= p {
                return Err(Error::invalid(
                    what,
                    format!("sample index {i} in minibatch {bi} is out of range 0..{p}"),
                ));
            }
            if seen[i] {
                return Err(Error::invalid(
                    what,
                    format!("sample index {i} appears twice; minibatches must partition the samples"),
                ));
            }
            seen[i] = true;
        }
    }
    if let Some(missing) = seen.iter().position(|s| !s) {
        return Err(Error::invalid(
            what,
            format!("sample {missing} is in no minibatch; minibatches must partition 0..{p}"),
        ));
    }
    Ok(())
}

/// Reusable work arrays of one step (no allocation per step).
#[derive(Debug, Default)]
struct Work {
    h: Array2<f64>,
    h1: Array2<f64>,
    coef: Array2<f64>,
    out: Array2<f64>,
    q_m: Array2<f64>,
    q_l: Array2<f64>,
    g_m: Array2<f64>,
    /// Label-weighted form: one block of rows of G at a time ([`gemm::ROW_BLOCK`] × 784).
    g_block: Vec<f64>,
    g_l: Array2<f64>,
    // Krotov form: per (memory, sample, class) powers of ξ·v⁺ and their derivatives.
    hp: Vec<f64>,
    fp: Vec<f64>,
}

fn ensure(a: &mut Array2<f64>, r: usize, c: usize) {
    if a.dim() != (r, c) {
        *a = Array2::zeros((r, c));
    }
}

/// The trainer: samples, targets and minibatches fixed; [`Trainer::epoch`] advances a [`State`].
#[derive(Debug)]
pub struct Trainer {
    form: Form,
    hyper: Hyper,
    samples: Array2<f64>,
    targets: Array2<f64>,
    batches: Vec<Vec<usize>>,
    /// Each minibatch's samples, packed for the two products.
    batch_x: Vec<Packed>,
    batch_t: Vec<Array2<f64>>,
    batch_t_t: Vec<Array2<f64>>,
    seed: u64,
    par: Par,
    /// The instruction set of the element-wise kernels (same results either way).
    isa: kernels::Isa,
    work: Work,
}

impl Trainer {
    /// A trainer for `form` on samples X (P×784), targets (P×C) and minibatches (index lists that
    /// partition 0..P, applied in order). `seed` drives noise and shuffling; `par` the products.
    pub fn new(
        form: Form,
        hyper: Hyper,
        samples: Array2<f64>,
        targets: Array2<f64>,
        batches: Vec<Vec<usize>>,
        seed: u64,
        par: Par,
    ) -> Result<Self> {
        if targets.nrows() != samples.nrows() {
            return Err(Error::shape(
                "targets",
                format!("{} × C (one row per sample)", samples.nrows()),
                targets.shape(),
            ));
        }
        check_partition(&batches, samples.nrows(), "data.batches")?;
        let samples = samples.as_standard_layout().to_owned();
        let targets = targets.as_standard_layout().to_owned();
        let mut t = Trainer {
            form,
            hyper,
            samples,
            targets,
            batches,
            batch_x: Vec::new(),
            batch_t: Vec::new(),
            batch_t_t: Vec::new(),
            seed,
            par,
            isa: kernels::Isa::detect(),
            work: Work::default(),
        };
        t.gather_batches(None);
        Ok(t)
    }

    /// The formulation it trains.
    pub fn form(&self) -> Form {
        self.form
    }

    /// The model parameters.
    pub fn hyper(&self) -> &Hyper {
        &self.hyper
    }

    /// The training samples (P×784).
    pub fn samples(&self) -> &Array2<f64> {
        &self.samples
    }

    /// The targets (P×C).
    pub fn targets(&self) -> &Array2<f64> {
        &self.targets
    }

    /// The minibatches (sample indices).
    pub fn batches(&self) -> &[Vec<usize>] {
        &self.batches
    }

    /// Copy each minibatch's rows into contiguous matrices (optionally through a permutation).
    fn gather_batches(&mut self, perm: Option<&[usize]>) {
        self.batch_x.clear();
        self.batch_t.clear();
        self.batch_t_t.clear();
        for b in &self.batches {
            let idx: Vec<usize> = match perm {
                Some(p) => b.iter().map(|&i| p[i]).collect(),
                None => b.clone(),
            };
            self.batch_x
                .push(Packed::new(self.samples.select(Axis(0), &idx).view()));
            let t = self.targets.select(Axis(0), &idx);
            self.batch_t_t.push(t.t().as_standard_layout().to_owned());
            self.batch_t.push(t);
        }
    }

    /// The one epoch loop of the project: run the epochs in `epochs` (0-based: each number is the
    /// count of epochs completed before it) in order, calling `after(completed, state)` after each
    /// one. An error from `after` stops the loop there and is returned. Every caller (training
    /// runs, in-memory pair runs, the figures' validation runs) trains through this method.
    pub fn run_epochs<E>(
        &mut self,
        state: &mut State,
        epochs: std::ops::Range<usize>,
        mut after: impl FnMut(usize, &State) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        for e in epochs {
            self.epoch(state, e);
            after(e + 1, state)?;
        }
        Ok(())
    }

    /// Run epoch number `epoch` (0-based: the number of epochs completed before it): one step per
    /// minibatch, in order.
    pub fn epoch(&mut self, state: &mut State, epoch: usize) {
        let rate = self.hyper.rate_at(self.form, epoch);
        let noisy = self
            .hyper
            .noise
            .as_ref()
            .is_some_and(|nz| nz.std > 0.0 && (nz.epochs.is_empty() || nz.epochs.contains(&epoch)))
            || self
                .hyper
                .noise
                .as_ref()
                .is_some_and(|nz| nz.mean != 0.0 && (nz.epochs.is_empty() || nz.epochs.contains(&epoch)));
        if self.form == Form::Krotov2016 && self.hyper.shuffle {
            let mut rng = ChaCha12Rng::seed_from_u64(derive_seed(
                derive_seed(self.seed, streams::SHUFFLE),
                epoch as u64,
            ));
            let mut perm: Vec<usize> = (0..self.samples.nrows()).collect();
            rand::seq::SliceRandom::shuffle(&mut perm[..], &mut rng);
            self.gather_batches(Some(&perm));
        }
        for b in 0..self.batches.len() {
            let mut noise_rng = noisy.then(|| {
                let s = derive_seed(
                    derive_seed(self.seed, streams::NOISE),
                    (epoch * self.batches.len() + b) as u64,
                );
                ChaCha12Rng::seed_from_u64(s)
            });
            match self.form {
                Form::LabelWeighted => self.step_label_weighted(state, b, rate, noise_rng.as_mut()),
                Form::Krotov2016 => self.step_krotov(state, b, rate, self.hyper.temperature_at(epoch)),
            }
        }
    }

    /// One label-weighted step on minibatch `b` (module docs, steps 1–5).
    fn step_label_weighted(&mut self, st: &mut State, b: usize, rate: f64, noise: Option<&mut ChaCha12Rng>) {
        #[cfg(target_arch = "x86_64")]
        if self.isa.is_avx512() {
            // SAFETY: `Isa::detect` found AVX-512F (with AVX2 and FMA) on this CPU.
            unsafe { self.step_label_weighted_avx512(st, b, rate, noise) };
            return;
        }
        #[cfg(target_arch = "x86_64")]
        if self.isa.is_avx2_fma() {
            // SAFETY: `Isa::detect` found AVX2 and FMA on this CPU.
            unsafe { self.step_label_weighted_avx2(st, b, rate, noise) };
            return;
        }
        self.step_label_weighted_body(st, b, rate, noise)
    }

    /// The same step compiled with AVX2 and FMA enabled (the element-wise loops then run four
    /// lanes wide). Only IEEE operations in a fixed order are involved (fused multiply-adds
    /// exactly where the portable code calls `mul_add`, and in the kernels' exact division, whose
    /// quotients equal plain division), so results are bit-identical to the portable build.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn step_label_weighted_avx2(
        &mut self,
        st: &mut State,
        b: usize,
        rate: f64,
        noise: Option<&mut ChaCha12Rng>,
    ) {
        self.step_label_weighted_body(st, b, rate, noise)
    }

    /// The same step with AVX-512 enabled too (the plain loops inlined here then run eight lanes
    /// wide; still no fused multiply-adds outside the kernels, so the same bits).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx2,fma")]
    unsafe fn step_label_weighted_avx512(
        &mut self,
        st: &mut State,
        b: usize,
        rate: f64,
        noise: Option<&mut ChaCha12Rng>,
    ) {
        self.step_label_weighted_body(st, b, rate, noise)
    }

    #[inline(always)]
    fn step_label_weighted_body(
        &mut self,
        st: &mut State,
        b: usize,
        rate: f64,
        noise: Option<&mut ChaCha12Rng>,
    ) {
        let p = self.hyper.params;
        let isa = self.isa;
        let x = &self.batch_x[b];
        let t = &self.batch_t_t[b];
        let (k, nb, c) = (st.memories.nrows(), x.samples(), t.nrows());
        let w = &mut self.work;
        ensure(&mut w.h, k, nb);
        ensure(&mut w.h1, k, nb);
        ensure(&mut w.coef, k, nb);
        ensure(&mut w.out, c, nb);
        ensure(&mut w.q_m, c, nb);
        ensure(&mut w.q_l, c, nb);
        ensure(&mut w.g_l, k, c);
        let labels = st.labels.as_slice().expect("row-major");

        // 1. dot products and rectified powers relative to T
        x.dots(
            self.isa,
            self.par,
            st.memories.as_slice().expect("row-major"),
            w.h.as_slice_mut().expect("row-major"),
        );
        kernels::rectified_pair(
            isa,
            &Power::new(p.n - 1.0),
            w.h.as_slice_mut().expect("row-major"),
            w.h1.as_slice_mut().expect("row-major"),
            p.temperature,
        );
        let (h, h1) = (
            w.h.as_slice().expect("row-major"),
            w.h1.as_slice().expect("row-major"),
        );
        // 2. outputs and error terms
        kernels::outputs(isa, w.out.as_slice_mut().expect("row-major"), h, labels, k, nb, c);
        error_terms(isa, &w.out, t, p.m, &mut w.q_m, &mut w.q_l);
        // 3. gradients (positive constant factors dropped)
        let (q_m, q_l) = (
            w.q_m.as_slice().expect("row-major"),
            w.q_l.as_slice().expect("row-major"),
        );
        kernels::label_gradient(isa, w.g_l.as_slice_mut().expect("row-major"), h, q_l, k, nb, c);
        kernels::memory_coefficients(
            isa,
            w.coef.as_slice_mut().expect("row-major"),
            labels,
            q_m,
            h1,
            k,
            nb,
            c,
        );
        // 4–5. normalised momentum steps: labels, then G = W·X_b block by block with each
        // block's memories stepped while it is still in cache
        let mu = self.hyper.momentum;
        let (nl, nm) = match (noise, self.hyper.noise.as_ref()) {
            (Some(rng), Some(nz)) => {
                let normal =
                    Normal::new(nz.mean, nz.std).unwrap_or_else(|_| Normal::new(0.0, 0.0).expect("N(0,0)"));
                let nl = Array2::from_shape_fn(st.labels.raw_dim(), |_| normal.sample(rng));
                let nm = Array2::from_shape_fn(st.memories.raw_dim(), |_| normal.sample(rng));
                (Some(nl), Some(nm))
            }
            _ => (None, None),
        };
        for a in 0..k {
            let mut l = st.labels.row_mut(a);
            let mut vl = st.vel_labels.row_mut(a);
            let ls = l.as_slice_mut().expect("row-major");
            kernels::normalised_step(
                isa,
                ls,
                vl.as_slice_mut().expect("row-major"),
                w.g_l.row(a).to_slice().expect("row-major"),
                mu,
                rate,
                nl.as_ref().map(|n| n.row(a).to_slice().expect("row-major")),
            );
            for v in ls.iter_mut() {
                *v = v.clamp(-1.0, 1.0);
            }
        }
        w.g_block.resize(gemm::ROW_BLOCK * x.pixels(), 0.0);
        let rows = MemoryRows {
            coef: w.coef.as_slice().expect("row-major"),
            memories: st.memories.as_slice_mut().expect("row-major"),
            velocities: st.vel_memories.as_slice_mut().expect("row-major"),
            noise: nm.as_ref().map(|n| n.as_slice().expect("row-major")),
        };
        let step = MemoryStep {
            isa,
            mu,
            rate,
            bound: self.hyper.bound,
        };
        step.run(x, self.par, rows, &mut w.g_block);
    }

    /// One Krotov–Hopfield 2016 step on minibatch `b` (`krotov-2016.md`, training rule).
    fn step_krotov(&mut self, st: &mut State, b: usize, rate: f64, temperature: f64) {
        #[cfg(target_arch = "x86_64")]
        if self.isa.is_avx2_fma() {
            // SAFETY: `Isa::detect` found AVX2 and FMA on this CPU.
            unsafe { self.step_krotov_avx2(st, b, rate, temperature) };
            return;
        }
        self.step_krotov_body(st, b, rate, temperature)
    }

    /// [`Self::step_krotov`] compiled with AVX2 and FMA (bit-identical results, as for the label-weighted step).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn step_krotov_avx2(&mut self, st: &mut State, b: usize, rate: f64, temperature: f64) {
        self.step_krotov_body(st, b, rate, temperature)
    }

    #[inline(always)]
    fn step_krotov_body(&mut self, st: &mut State, b: usize, rate: f64, temperature: f64) {
        let p = self.hyper.params;
        let x = &self.batch_x[b];
        let t = &self.batch_t[b];
        let (k, nb, c) = (st.memories.nrows(), x.samples(), t.ncols());
        let w = &mut self.work;
        ensure(&mut w.h, k, nb);
        ensure(&mut w.coef, k, nb);
        ensure(&mut w.out, nb, c);
        ensure(&mut w.g_m, k, x.pixels());
        ensure(&mut w.g_l, k, c);
        w.hp.resize(k * nb * c, 0.0);
        w.fp.resize(k * nb * c, 0.0);
        let pw1 = Power::new(p.n - 1.0);
        // F(x) = r^n and F'(x) ∝ r^(n−1), r = max(x, 0)/T, for x = ξ·v⁻ (base) and ξ·v⁺_a (plus)
        x.dots(
            self.isa,
            self.par,
            st.memories.as_slice().expect("row-major"),
            w.h.as_slice_mut().expect("row-major"),
        );
        let lsum: Vec<f64> = st.labels.rows().into_iter().map(|r| r.sum()).collect();
        w.out.fill(0.0);
        let mut hb = vec![0.0; nb];
        for (a, &la) in lsum.iter().enumerate() {
            let lrow = st.labels.row(a);
            let hp = &mut w.hp[a * nb * c..(a + 1) * nb * c];
            let fp = &mut w.fp[a * nb * c..(a + 1) * nb * c];
            let mut fb_row = w.coef.row_mut(a);
            let fb = fb_row.as_slice_mut().expect("row-major");
            for (s, hbv) in hb.iter_mut().enumerate() {
                let base = w.h[[a, s]] - la;
                *hbv = base;
                for (cl, &l) in lrow.iter().enumerate() {
                    hp[s * c + cl] = base + 2.0 * l;
                }
            }
            pw1.rectified_pair(&mut hb, fb, temperature);
            pw1.rectified_pair(hp, fp, temperature);
            for (s, &hbv) in hb.iter().enumerate() {
                for (o, &h) in w.out.row_mut(s).iter_mut().zip(&hp[s * c..(s + 1) * c]) {
                    *o += h - hbv;
                }
            }
        }
        // w_a = e^(2m−1)(1 − c²) with e = t − c (odd power keeps the sign)
        let pe = Power::new(2.0 * p.m - 1.0);
        let mut wgt = Array2::<f64>::zeros((nb, c));
        for s in 0..nb {
            for cl in 0..c {
                let cv = tanh(w.out[[s, cl]]);
                let e = t[[s, cl]] - cv;
                wgt[[s, cl]] = pe.of(e.abs()).copysign(e) * (1.0 - cv * cv);
            }
        }
        // coef[A,s] = Σ_a w_a (F'(plus_a) − F'(base)); d_lab[A,c] = Σ_s (2 w_c F'(plus_c) − coef[A,s])
        w.g_l.fill(0.0);
        for a in 0..k {
            for s in 0..nb {
                let fb = w.coef[[a, s]];
                let mut acc = 0.0;
                for cl in 0..c {
                    let i = (a * nb + s) * c + cl;
                    acc += wgt[[s, cl]] * (w.fp[i] - fb);
                }
                w.coef[[a, s]] = acc;
                for cl in 0..c {
                    let i = (a * nb + s) * c + cl;
                    w.g_l[[a, cl]] += 2.0 * wgt[[s, cl]] * w.fp[i] - acc;
                }
            }
        }
        x.combine(
            self.isa,
            self.par,
            w.coef.as_slice().expect("row-major"),
            w.g_m.as_slice_mut().expect("row-major"),
        );
        // V ← pV + d; ξ ← clip(ξ + ε V / max(‖V‖∞, prec), −1, 1), one norm over pixels and classes
        let mu = self.hyper.momentum;
        for a in 0..k {
            let mut vmax = 0.0f64;
            for (v, &d) in st.vel_memories.row_mut(a).iter_mut().zip(w.g_m.row(a)) {
                *v = mu * *v + d;
                vmax = vmax.max(v.abs());
            }
            for (v, &d) in st.vel_labels.row_mut(a).iter_mut().zip(w.g_l.row(a)) {
                *v = mu * *v + d;
                vmax = vmax.max(v.abs());
            }
            let norm = vmax.max(self.hyper.prec);
            for (m, &v) in st.memories.row_mut(a).iter_mut().zip(st.vel_memories.row(a)) {
                *m = (*m + rate * v / norm).clamp(-1.0, 1.0);
            }
            for (l, &v) in st.labels.row_mut(a).iter_mut().zip(st.vel_labels.row(a)) {
                *l = (*l + rate * v / norm).clamp(-1.0, 1.0);
            }
        }
    }
}

/// The memory side of a label-weighted step, row-aligned slices (K rows each): the coefficients
/// W, memories, their velocities and optional noise.
struct MemoryRows<'a> {
    coef: &'a [f64],
    memories: &'a mut [f64],
    velocities: &'a mut [f64],
    noise: Option<&'a [f64]>,
}

/// Steps 3 (G = W·X_b) and 4–5 for the memories (normalised momentum step, then the bound),
/// fused block by block.
#[derive(Clone, Copy)]
struct MemoryStep {
    isa: kernels::Isa,
    mu: f64,
    rate: f64,
    bound: Bound,
}

impl MemoryStep {
    /// All K rows: threads take whole tasks of rows ([`gemm::rows_per_task`]); within a task, each
    /// block of [`gemm::ROW_BLOCK`] rows of G is computed into a small scratch (`g_block` on this
    /// thread, a fresh one on others) and its memories are stepped at once, so G never leaves the
    /// cache. Every row's arithmetic is the same whatever the grouping, so results do not depend
    /// on the thread count.
    fn run(self, x: &Packed, par: Par, rows: MemoryRows, g_block: &mut [f64]) {
        let (b, n) = (x.samples(), x.pixels());
        let k = rows.memories.len() / n;
        let per_task = gemm::rows_per_task(k, par);
        if per_task >= k {
            return self.rows(x, rows, g_block);
        }
        let noise = rows.noise;
        rows.coef
            .par_chunks(per_task * b)
            .zip(rows.memories.par_chunks_mut(per_task * n))
            .zip(rows.velocities.par_chunks_mut(per_task * n))
            .enumerate()
            .for_each(|(t, ((coef, memories), velocities))| {
                let at = t * per_task * n;
                let noise = noise.map(|z| &z[at..at + memories.len()]);
                let rows = MemoryRows {
                    coef,
                    memories,
                    velocities,
                    noise,
                };
                self.rows(x, rows, &mut vec![0.0; gemm::ROW_BLOCK * n]);
            });
    }

    /// The rows given, on this thread, block by block through the scratch `g_block`.
    fn rows(self, x: &Packed, rows: MemoryRows, g_block: &mut [f64]) {
        let (b, n) = (x.samples(), x.pixels());
        let blk = gemm::ROW_BLOCK;
        for (i, ((coef, memories), velocities)) in rows
            .coef
            .chunks(blk * b)
            .zip(rows.memories.chunks_mut(blk * n))
            .zip(rows.velocities.chunks_mut(blk * n))
            .enumerate()
        {
            let g = &mut g_block[..memories.len()];
            x.combine_rows(self.isa, coef, g);
            for (j, ((gr, m), v)) in g
                .chunks(n)
                .zip(memories.chunks_mut(n))
                .zip(velocities.chunks_mut(n))
                .enumerate()
            {
                let at = (i * blk + j) * n;
                let noise = rows.noise.map(|z| &z[at..at + n]);
                let range = kernels::normalised_step(self.isa, m, v, gr, self.mu, self.rate, noise);
                kernels::bound_memory(self.isa, m, self.bound, range);
            }
        }
    }
}

/// From the pre-activations z and targets t (same shape; the trainer stores them class-major):
/// q_M = sign(e)|e|^(2m−1)(1 − s·s) and q_L = sign(e)|e|^(2m−1)(1 − s)(1 + s), e = s − t (spec §1.4).
#[inline(always)]
pub fn error_terms(
    isa: kernels::Isa,
    z: &Array2<f64>,
    t: &Array2<f64>,
    m: f64,
    q_m: &mut Array2<f64>,
    q_l: &mut Array2<f64>,
) {
    let pe = Power::new(2.0 * m - 1.0);
    let (z, t) = (z.as_slice().expect("row-major"), t.as_slice().expect("row-major"));
    let (q_m, q_l) = (
        q_m.as_slice_mut().expect("row-major"),
        q_l.as_slice_mut().expect("row-major"),
    );
    for (((zb, tb), qmb), qlb) in z
        .chunks(BLOCK)
        .zip(t.chunks(BLOCK))
        .zip(q_m.chunks_mut(BLOCK))
        .zip(q_l.chunks_mut(BLOCK))
    {
        let len = zb.len();
        let (mut s, mut e, mut ae) = ([0.0f64; BLOCK], [0.0f64; BLOCK], [0.0f64; BLOCK]);
        tanh_slice(isa, zb, &mut s[..len]);
        for i in 0..len {
            e[i] = s[i] - tb[i];
            ae[i] = e[i].abs();
        }
        let pw = pe.of_block(&ae, len);
        for i in 0..len {
            let pow = if e[i] == 0.0 { 0.0 } else { pw[i].copysign(e[i]) };
            qmb[i] = pow * (1.0 - s[i] * s[i]);
            qlb[i] = pow * ((1.0 - s[i]) * (1.0 + s[i]));
        }
    }
}

/// Whether every entry of `a` is finite. Checked after every epoch, so vectorised
/// ([`kernels::all_finite`]; a plain iterator ran one entry at a time, ≈ 3 % of a training run).
fn all_finite(a: &Array2<f64>) -> bool {
    let isa = kernels::Isa::detect();
    match a.as_slice() {
        Some(s) => kernels::all_finite(isa, s),
        None => a.iter().all(|v| v.is_finite()),
    }
}

/// Train in memory from an explicit initial state for `epochs` full epochs of consecutive
/// minibatches (the simplest entry point, used by validation code): returns the final state.
#[allow(clippy::too_many_arguments)]
pub fn train_simple(
    samples: ArrayView2<f64>,
    targets: ArrayView2<f64>,
    memories: Array2<f64>,
    labels: Array2<f64>,
    params: Params,
    rate: f64,
    minibatches: usize,
    epochs: usize,
) -> Result<State> {
    let batches = consecutive_batches(samples.nrows(), minibatches)?;
    let mut hyper = Hyper::paper(params);
    hyper.rate = rate;
    let mut tr = Trainer::new(
        Form::LabelWeighted,
        hyper,
        samples.to_owned(),
        targets.to_owned(),
        batches,
        0,
        Par::Seq,
    )?;
    let mut st = State::new(memories, labels);
    let Ok(()) = tr.run_epochs(&mut st, 0..epochs, |_, _| Ok::<(), Infallible>(()));
    Ok(st)
}
