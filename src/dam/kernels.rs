//! The element-wise and thin (C = 10 wide) parts of a training step, written by hand.
//!
//! Everything in a step that is not one of the two large matrix products lives here. General
//! crates do not fit: a GEMM spends its time packing when one side is only 10 wide, and the update
//! rule fuses row passes that no array library fuses. The portable functions are the definition:
//! plain loops whose IEEE operations, per entry and in order, are the formulas in the docs. On
//! x86-64 CPUs with AVX2 and FMA the hot loops run as explicit 4-lane vector code (module `avx2`;
//! autovectorisation of these loops proved fragile: the same source compiled to scalar code in
//! one caller and vector code in another), and where the CPU also has AVX-512 the hottest as
//! 8-lane code (module `avx512`). Both perform the same operations in the same order as the
//! portable code, so all give the same bits (tested on random and edge-case inputs).
//!
//! The vector code divides by a row constant (Ĝ = g/‖g‖∞, M/‖M‖∞) with Markstein's correction
//! instead of a division instruction, about three times the throughput here and still the
//! correctly rounded quotient, bit for bit (see module `avx2`).

use crate::config::Bound;
use crate::dam::model::Power;

/// Which code the kernels and the matrix products ([`crate::dam::gemm`]) run: AVX-512 where the
/// CPU has it (with AVX2 + FMA code for what has no AVX-512 version), AVX2 + FMA where it has
/// those, else portable code. Results are the same bits either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Isa {
    avx2_fma: bool,
    avx512: bool,
}

impl Isa {
    /// The best this CPU supports (detected at run time).
    pub fn detect() -> Self {
        #[cfg(target_arch = "x86_64")]
        {
            let avx2_fma =
                std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma");
            Isa {
                avx2_fma,
                avx512: avx2_fma && std::arch::is_x86_feature_detected!("avx512f"),
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            Isa::portable()
        }
    }

    /// Portable code only.
    pub fn portable() -> Self {
        Isa {
            avx2_fma: false,
            avx512: false,
        }
    }

    /// The same, with AVX-512 turned off (AVX2 + FMA at most), e.g. to compare the two.
    pub fn without_avx512(self) -> Self {
        Isa {
            avx512: false,
            ..self
        }
    }

    /// Whether the AVX2 + FMA code runs.
    pub fn is_avx2_fma(&self) -> bool {
        self.avx2_fma
    }

    /// Whether the AVX-512 code runs (implies [`Isa::is_avx2_fma`]).
    pub fn is_avx512(&self) -> bool {
        self.avx512
    }

    /// "avx512", "avx2+fma" or "portable": the widest code that runs.
    pub fn name(&self) -> &'static str {
        match (self.avx512, self.avx2_fma) {
            (true, _) => "avx512",
            (false, true) => "avx2+fma",
            _ => "portable",
        }
    }
}

/// Whether every x_i is finite (neither ±∞ nor NaN): the exponent field of each is not all ones.
pub fn all_finite(isa: Isa, x: &[f64]) -> bool {
    #[cfg(target_arch = "x86_64")]
    if isa.avx512 {
        // SAFETY: `Isa` has avx512 only when the CPU supports AVX-512F.
        return unsafe { avx512::all_finite(x) };
    }
    #[cfg(target_arch = "x86_64")]
    if isa.avx2_fma {
        // SAFETY: `Isa` has avx2_fma only when the CPU supports AVX2 and FMA.
        return unsafe { avx2::all_finite(x) };
    }
    let _ = isa;
    x.iter().all(|v| v.is_finite())
}

/// (smallest nonzero |x_i|, largest |x_i|): (∞, 0) when all are 0; NaN entries are ignored.
/// Minima and maxima are exact in any order, so lanes may split the work freely.
pub fn abs_range(isa: Isa, x: &[f64]) -> (f64, f64) {
    #[cfg(target_arch = "x86_64")]
    if isa.avx512 {
        // SAFETY: `Isa` has avx512 only when the CPU supports AVX-512F.
        return unsafe { avx512::abs_range(x) };
    }
    #[cfg(target_arch = "x86_64")]
    if isa.avx2_fma {
        // SAFETY: `Isa` has avx2_fma only when the CPU supports AVX2 and FMA.
        return unsafe { avx2::abs_range(x) };
    }
    let _ = isa;
    abs_range_portable(x)
}

#[inline(always)]
fn abs_range_portable(x: &[f64]) -> (f64, f64) {
    x.iter()
        .fold((f64::INFINITY, 0.0), |(lo, hi), &v| range_lane(lo, hi, v))
}

/// Running (min nonzero, max) of |v|; a NaN v changes neither.
#[inline(always)]
fn range_lane(lo: f64, hi: f64, v: f64) -> (f64, f64) {
    let a = v.abs();
    let nz = if a == 0.0 { f64::INFINITY } else { a };
    (if nz < lo { nz } else { lo }, if a > hi { a } else { hi })
}

/// One row's update (spec §2.2 steps 2–4 and the additive part of 5/6):
/// Ĝ = g/‖g‖∞, v ← μv − Ĝ, x ← x + η v/‖v‖∞ (+ noise); zero norms give zero updates.
/// Per entry exactly `v = mu * v - g / gmax` and `x = x + rate * (v / vmax)` (`x + rate * v`
/// when ‖v‖∞ = 1), then `x + noise`. Returns [`abs_range`] of x after the step.
///
/// With μ = 0 and 0 < ‖g‖∞ < ∞, ‖v‖∞ = 1 exactly (the entry of largest |g| divides to ±1 and
/// no quotient exceeds 1 in magnitude), so v is not scanned for its norm: x ← x + η v in the same
/// pass. The two differ only where the old v held ±∞ or NaN (0·∞ = NaN), a diverged state.
pub fn normalised_step(
    isa: Isa,
    x: &mut [f64],
    v: &mut [f64],
    g: &[f64],
    mu: f64,
    rate: f64,
    noise: Option<&[f64]>,
) -> (f64, f64) {
    let gr = abs_range(isa, g);
    #[cfg(target_arch = "x86_64")]
    if isa.avx512 && noise.is_none() && mu == 0.0 {
        // SAFETY: `Isa` has avx512 only when the CPU supports AVX-512F (and AVX2 + FMA).
        return unsafe { avx512::zero_momentum_step(x, v, g, gr, rate) };
    }
    #[cfg(target_arch = "x86_64")]
    if isa.avx2_fma && noise.is_none() {
        // SAFETY: `Isa` has avx2_fma only when the CPU supports AVX2 and FMA.
        return unsafe { avx2::normalised_step(x, v, g, gr, mu, rate) };
    }
    let gmax = gr.1;
    if unit_velocity(mu, gmax) && noise.is_none() {
        for ((xi, vi), &gi) in x.iter_mut().zip(v.iter_mut()).zip(g) {
            *vi = mu * *vi - gi / gmax;
            *xi += rate * *vi;
        }
        return abs_range_portable(x);
    }
    for (vi, &gi) in v.iter_mut().zip(g) {
        *vi = mu * *vi - if gmax > 0.0 { gi / gmax } else { 0.0 };
    }
    let vmax = abs_range_portable(v).1;
    if vmax == 1.0 {
        for (xi, &vi) in x.iter_mut().zip(v.iter()) {
            *xi += rate * vi;
        }
    } else if vmax > 0.0 {
        for (xi, &vi) in x.iter_mut().zip(v.iter()) {
            *xi += rate * (vi / vmax);
        }
    }
    if let Some(nz) = noise {
        for (xi, &ni) in x.iter_mut().zip(nz) {
            *xi += ni;
        }
    }
    abs_range_portable(x)
}

/// Whether v ← μv − g/gmax is known to have ‖v‖∞ = 1 without scanning it (μ = 0, 0 < gmax < ∞).
fn unit_velocity(mu: f64, gmax: f64) -> bool {
    mu == 0.0 && gmax > 0.0 && gmax.is_finite()
}

/// Keep a memory in the unit ∞-ball: M ← M / max(1, ‖M‖∞) (normalise) or clip to [−1, 1];
/// `range` = [`abs_range`] of M, as returned by [`normalised_step`].
pub fn bound_memory(isa: Isa, m: &mut [f64], bound: Bound, range: (f64, f64)) {
    match bound {
        Bound::Normalise if range.1 > 1.0 => {
            #[cfg(target_arch = "x86_64")]
            if isa.avx512 {
                // SAFETY: `Isa` has avx512 only when the CPU supports AVX-512F.
                unsafe { avx512::divide(m, range.1, range) };
                return;
            }
            #[cfg(target_arch = "x86_64")]
            if isa.avx2_fma {
                // SAFETY: `Isa` has avx2_fma only when the CPU supports AVX2 and FMA.
                unsafe { avx2::divide(m, range.1, range) };
                return;
            }
            let _ = isa;
            for v in m.iter_mut() {
                *v /= range.1;
            }
        }
        Bound::Normalise => {}
        Bound::Clip => {
            for v in m.iter_mut() {
                *v = v.clamp(-1.0, 1.0);
            }
        }
    }
}

/// h ← (max(S, 0)/T)^(p+1) and h' ← (max(S, 0)/T)^p (both 0 where S ≤ 0) for the dot products S in
/// `dots` (overwritten by h), as [`Power::rectified_pair`] defines them; the vector code takes
/// integer p ≥ 0 (the usual case) and runs the same multiplications as `powi`.
pub fn rectified_pair(isa: Isa, power: &Power, dots: &mut [f64], deriv: &mut [f64], temperature: f64) {
    #[cfg(target_arch = "x86_64")]
    if isa.avx512
        && let Some(k) = power.integer().filter(|&k| k >= 0)
    {
        // SAFETY: `Isa` has avx512 only when the CPU supports AVX-512F.
        unsafe { avx512::rectified_pair(dots, deriv, temperature, k as u32) };
        return;
    }
    #[cfg(target_arch = "x86_64")]
    if isa.avx2_fma
        && let Some(k) = power.integer().filter(|&k| k >= 0)
    {
        // SAFETY: `Isa` has avx2_fma only when the CPU supports AVX2 and FMA.
        unsafe { avx2::rectified_pair(dots, deriv, temperature, k as u32) };
        return;
    }
    let _ = isa;
    power.rectified_pair(dots, deriv, temperature);
}

/// The N entries of `s` from `at` as an array reference: one bounds check, after which the
/// compiler sees fixed-size arithmetic it can keep in vector registers.
#[inline(always)]
fn arr<const N: usize>(s: &[f64], at: usize) -> &[f64; N] {
    s[at..at + N].try_into().expect("block in bounds")
}

/// out (C×B) = Lᵀ·h with L (K×C), h (K×B), all row-major slices: the pre-activations
/// z_{c,p} = Σ_A ℓ_{A,c} h_{A,p}, each a chain of fused multiply-adds from 0 in the order
/// A = 0, 1, … (s ← fma(ℓ, h, s), as the large products of [`crate::dam::gemm`]).
#[inline(always)]
pub fn outputs(isa: Isa, out: &mut [f64], h: &[f64], labels: &[f64], k: usize, nb: usize, c: usize) {
    assert!(
        out.len() == c * nb && h.len() == k * nb && labels.len() == k * c,
        "outputs: shapes"
    );
    #[cfg(target_arch = "x86_64")]
    if isa.avx512 {
        // SAFETY: `Isa` has avx512 only when the CPU supports AVX-512F; shapes asserted.
        unsafe { avx512::outputs(out, h, labels, k, nb, c) };
        return;
    }
    let _ = isa;
    let mut c0 = 0;
    while c0 + 4 <= c {
        outputs_rows::<4>(out, h, labels, k, nb, c, c0);
        c0 += 4;
    }
    while c0 + 2 <= c {
        outputs_rows::<2>(out, h, labels, k, nb, c, c0);
        c0 += 2;
    }
    while c0 < c {
        outputs_rows::<1>(out, h, labels, k, nb, c, c0);
        c0 += 1;
    }
}

/// Rows c0..c0+R of [`outputs`], eight samples at a time held in registers.
#[inline(always)]
fn outputs_rows<const R: usize>(
    out: &mut [f64],
    h: &[f64],
    labels: &[f64],
    k: usize,
    nb: usize,
    c: usize,
    c0: usize,
) {
    let mut p0 = 0;
    while p0 + 8 <= nb {
        let mut acc = [[0.0f64; 8]; R];
        for a in 0..k {
            let hr = arr::<8>(h, a * nb + p0);
            let lr = arr::<R>(labels, a * c + c0);
            for j in 0..R {
                for i in 0..8 {
                    acc[j][i] = lr[j].mul_add(hr[i], acc[j][i]);
                }
            }
        }
        for (j, row) in acc.iter().enumerate() {
            out[(c0 + j) * nb + p0..(c0 + j) * nb + p0 + 8].copy_from_slice(row);
        }
        p0 += 8;
    }
    for p in p0..nb {
        for j in 0..R {
            let mut s = 0.0;
            for a in 0..k {
                s = labels[a * c + c0 + j].mul_add(h[a * nb + p], s);
            }
            out[(c0 + j) * nb + p] = s;
        }
    }
}

/// g (K×C) = h·qᵀ with h (K×B), q (C×B): g_{A,c} = Σ_p h_{A,p} q_{c,p}, each summed in four lanes
/// (lane l a chain of fused multiply-adds over p ≡ l mod 4, in order), combined as
/// (s₀ + s₁) + (s₂ + s₃), then the last B mod 4 terms in order, fused likewise.
pub fn label_gradient(isa: Isa, g: &mut [f64], h: &[f64], q: &[f64], k: usize, nb: usize, c: usize) {
    #[cfg(target_arch = "x86_64")]
    if isa.avx512 {
        // SAFETY: `Isa` has avx512 only when the CPU supports AVX-512F.
        unsafe { avx512::label_gradient(g, h, q, k, nb, c) };
        return;
    }
    #[cfg(target_arch = "x86_64")]
    if isa.avx2_fma {
        // SAFETY: `Isa` has avx2_fma only when the CPU supports AVX2 and FMA.
        unsafe { avx2::label_gradient(g, h, q, k, nb, c) };
        return;
    }
    let _ = isa;
    for a in 0..k {
        for cc in 0..c {
            g[a * c + cc] = dot4(&h[a * nb..(a + 1) * nb], &q[cc * nb..(cc + 1) * nb]);
        }
    }
}

/// Σ x_i y_i in the four-lane order of [`label_gradient`].
#[inline(always)]
fn dot4(x: &[f64], y: &[f64]) -> f64 {
    let mut acc = [0.0f64; 4];
    let (xc, yc) = (x.chunks_exact(4), y.chunks_exact(4));
    let (xr, yr) = (xc.remainder(), yc.remainder());
    for (a, b) in xc.zip(yc) {
        for l in 0..4 {
            acc[l] = a[l].mul_add(b[l], acc[l]);
        }
    }
    lanes_then_tail(acc, xr, yr)
}

/// (s₀ + s₁) + (s₂ + s₃), then + x_i y_i for the tail entries in order.
#[inline(always)]
fn lanes_then_tail(acc: [f64; 4], xr: &[f64], yr: &[f64]) -> f64 {
    let mut s = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    for (a, b) in xr.iter().zip(yr) {
        s = a.mul_add(*b, s);
    }
    s
}

/// coef (K×B) = (L·q) ∘ h' with L (K×C), q (C×B), h' (K×B): the memory-gradient weight
/// (Σ_c ℓ_{A,c} q_{c,p}) h'_{A,p}, the sum a chain of fused multiply-adds from 0 in the order
/// c = 0, 1, …, then one multiplication.
#[allow(clippy::too_many_arguments)]
pub fn memory_coefficients(
    isa: Isa,
    coef: &mut [f64],
    labels: &[f64],
    q: &[f64],
    h1: &[f64],
    k: usize,
    nb: usize,
    c: usize,
) {
    #[cfg(target_arch = "x86_64")]
    if isa.avx512 {
        // SAFETY: `Isa` has avx512 only when the CPU supports AVX-512F.
        unsafe { avx512::memory_coefficients(coef, labels, q, h1, k, nb, c) };
        return;
    }
    #[cfg(target_arch = "x86_64")]
    if isa.avx2_fma {
        // SAFETY: `Isa` has avx2_fma only when the CPU supports AVX2 and FMA.
        unsafe { avx2::memory_coefficients(coef, labels, q, h1, k, nb, c) };
        return;
    }
    let _ = isa;
    for a in 0..k {
        for p in 0..nb {
            let mut s = 0.0;
            for cc in 0..c {
                s = labels[a * c + cc].mul_add(q[cc * nb + p], s);
            }
            coef[a * nb + p] = s * h1[a * nb + p];
        }
    }
}

/// The AVX2 + FMA versions of the hot loops: 4 lanes, per entry the same IEEE operations as the
/// portable code in the same order (fused multiply-adds exactly where it calls `mul_add`).
///
/// Divisions by a row constant b use Markstein's correction: with y = RN(1/b) and q₀ = RN(a·y),
/// the remainder r = a − b·q₀ is exact in one fused multiply-add and q₁ = RN(q₀ + r·y) is the
/// correctly rounded a/b (Muller et al., *Handbook of Floating-Point Arithmetic*, 2nd ed., §4.7,
/// Markstein's theorem; it needs y within half an ulp of 1/b and no underflow or overflow). So it
/// is used only when b and every nonzero |a| of the row lie in [2⁻⁹⁰⁰, 2⁹⁰⁰], and q₀ is kept when
/// r = 0 (exact quotients and a = −0, whose sign the addition would lose); other rows divide.
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::{lanes_then_tail, range_lane};
    use std::arch::x86_64::*;

    /// Smallest magnitude that takes the fused division (far above where a remainder underflows).
    pub(super) const LO: f64 = f64::from_bits((1023 - 900) << 52);
    /// Largest magnitude that takes the fused division.
    pub(super) const HI: f64 = f64::from_bits((1023 + 900) << 52);

    /// Entries at..at+4 of `s`.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    fn load(s: &[f64], at: usize) -> __m256d {
        let a: &[f64; 4] = s[at..at + 4].try_into().expect("block in bounds");
        // SAFETY: `a` is 4 readable f64.
        unsafe { _mm256_loadu_pd(a.as_ptr()) }
    }

    /// Write entries at..at+4 of `s`.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    fn store(s: &mut [f64], at: usize, v: __m256d) {
        let a: &mut [f64; 4] = (&mut s[at..at + 4]).try_into().expect("block in bounds");
        // SAFETY: `a` is 4 writable f64.
        unsafe { _mm256_storeu_pd(a.as_mut_ptr(), v) }
    }

    #[inline]
    #[target_feature(enable = "avx2,fma")]
    fn lanes(v: __m256d) -> [f64; 4] {
        let mut out = [0.0f64; 4];
        store(&mut out, 0, v);
        out
    }

    /// Lane-wise [`range_lane`]: min_pd(a, b) is `a < b ? a : b` and max_pd `a > b ? a : b`,
    /// the scalar selects exactly (NaN keeps the running value).
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    fn range4(lo: __m256d, hi: __m256d, v: __m256d) -> (__m256d, __m256d) {
        let a = _mm256_andnot_pd(_mm256_set1_pd(-0.0), v);
        let zero = _mm256_cmp_pd::<_CMP_EQ_OQ>(a, _mm256_setzero_pd());
        let nz = _mm256_blendv_pd(a, _mm256_set1_pd(f64::INFINITY), zero);
        (_mm256_min_pd(nz, lo), _mm256_max_pd(a, hi))
    }

    /// Running ranges over vector lanes, folded with the scalar tail entries of `tail`.
    struct Range {
        lo: __m256d,
        hi: __m256d,
    }

    impl Range {
        #[inline]
        #[target_feature(enable = "avx2,fma")]
        fn new() -> Self {
            Range {
                lo: _mm256_set1_pd(f64::INFINITY),
                hi: _mm256_setzero_pd(),
            }
        }
        #[inline]
        #[target_feature(enable = "avx2,fma")]
        fn add(&mut self, v: __m256d) {
            (self.lo, self.hi) = range4(self.lo, self.hi, v);
        }
        /// Both ranges in one (a second accumulator breaks the min/max latency chain of a loop).
        #[inline]
        #[target_feature(enable = "avx2,fma")]
        fn merge(self, other: Range) -> Range {
            Range {
                lo: _mm256_min_pd(self.lo, other.lo),
                hi: _mm256_max_pd(self.hi, other.hi),
            }
        }
        #[inline]
        #[target_feature(enable = "avx2,fma")]
        fn finish(self, tail: &[f64]) -> (f64, f64) {
            let (lo, hi) = (lanes(self.lo), lanes(self.hi));
            let mut r = (f64::INFINITY, 0.0f64);
            for i in 0..4 {
                r.0 = if lo[i] < r.0 { lo[i] } else { r.0 };
                r.1 = if hi[i] > r.1 { hi[i] } else { r.1 };
            }
            tail.iter().fold(r, |(l, h), &v| range_lane(l, h, v))
        }
    }

    /// Run `f(i)` for i = 0, 4, …, n4 − 4 (n4 a multiple of 4) into two independent ranges (two
    /// min/max chains instead of one long one) and merge them; the caller folds in its tail.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    fn over(n4: usize, mut f: impl FnMut(usize) -> __m256d) -> Range {
        let (mut r0, mut r1) = (Range::new(), Range::new());
        let mut i = 0;
        while i + 8 <= n4 {
            r0.add(f(i));
            r1.add(f(i + 4));
            i += 8;
        }
        if i < n4 {
            r0.add(f(i));
        }
        r0.merge(r1)
    }

    /// [`super::all_finite`]: ORs together, lane by lane, whether exponent bits are all ones.
    #[target_feature(enable = "avx2,fma")]
    pub(super) fn all_finite(x: &[f64]) -> bool {
        let exp = _mm256_castsi256_pd(_mm256_set1_epi64x(0x7ff0_0000_0000_0000));
        let mut bad = _mm256_setzero_pd();
        let n4 = x.len() / 4 * 4;
        let mut i = 0;
        while i < n4 {
            let e = _mm256_and_pd(load(x, i), exp);
            bad = _mm256_or_pd(bad, _mm256_cmp_pd::<_CMP_EQ_OQ>(e, exp));
            i += 4;
        }
        _mm256_movemask_pd(bad) == 0 && x[n4..].iter().all(|v| v.is_finite())
    }

    /// [`super::abs_range`].
    #[target_feature(enable = "avx2,fma")]
    pub(super) fn abs_range(x: &[f64]) -> (f64, f64) {
        let n4 = x.len() / 4 * 4;
        over(n4, |i| load(x, i)).finish(&x[n4..])
    }

    /// Whether b and every nonzero |a| in `range` allow the fused division.
    #[inline]
    pub(super) fn admits(b: f64, (lo, hi): (f64, f64)) -> bool {
        (LO..=HI).contains(&b) && (hi == 0.0 || (lo >= LO && hi <= HI))
    }

    /// A divisor b with y = RN(1/b).
    #[derive(Clone, Copy)]
    pub(super) struct Div {
        pub(super) b: f64,
        pub(super) y: f64,
    }

    /// a/b for four lanes: Markstein's correction when `FAST`, else the division instruction.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    fn div4<const FAST: bool>(a: __m256d, d: Div) -> __m256d {
        let b = _mm256_set1_pd(d.b);
        if FAST {
            let y = _mm256_set1_pd(d.y);
            let q = _mm256_mul_pd(a, y);
            let r = _mm256_fnmadd_pd(q, b, a);
            let q1 = _mm256_fmadd_pd(r, y, q);
            _mm256_blendv_pd(q1, q, _mm256_cmp_pd::<_CMP_EQ_OQ>(r, _mm256_setzero_pd()))
        } else {
            _mm256_div_pd(a, b)
        }
    }

    /// a/b for one entry, as [`div4`].
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    pub(super) fn div1<const FAST: bool>(a: f64, d: Div) -> f64 {
        if FAST {
            let q = a * d.y;
            let r = (-q).mul_add(d.b, a);
            if r == 0.0 { q } else { r.mul_add(d.y, q) }
        } else {
            a / d.b
        }
    }

    /// [`super::normalised_step`] without noise.
    #[target_feature(enable = "avx2,fma")]
    pub(super) fn normalised_step(
        x: &mut [f64],
        v: &mut [f64],
        g: &[f64],
        gr: (f64, f64),
        mu: f64,
        rate: f64,
    ) -> (f64, f64) {
        if super::unit_velocity(mu, gr.1) {
            let d = Div {
                b: gr.1,
                y: 1.0 / gr.1,
            };
            return if admits(gr.1, gr) {
                unit_step::<true>(x, v, g, mu, rate, d)
            } else {
                unit_step::<false>(x, v, g, mu, rate, d)
            };
        }
        let vr = if gr.1 > 0.0 {
            let d = Div {
                b: gr.1,
                y: 1.0 / gr.1,
            };
            if admits(gr.1, gr) {
                velocity::<true>(v, g, mu, d)
            } else {
                velocity::<false>(v, g, mu, d)
            }
        } else {
            for vi in v.iter_mut() {
                *vi = mu * *vi - 0.0;
            }
            abs_range(v)
        };
        let vmax = vr.1;
        let d = Div {
            b: vmax,
            y: 1.0 / vmax,
        };
        if vmax == 1.0 {
            advance::<0>(x, v, rate, d)
        } else if vmax > 0.0 && admits(vmax, vr) {
            advance::<1>(x, v, rate, d)
        } else if vmax > 0.0 {
            advance::<2>(x, v, rate, d)
        } else {
            abs_range(x)
        }
    }

    /// v ← μv − g/b; returns the range of the new v.
    #[target_feature(enable = "avx2,fma")]
    fn velocity<const FAST: bool>(v: &mut [f64], g: &[f64], mu: f64, d: Div) -> (f64, f64) {
        let n4 = v.len() / 4 * 4;
        let m = _mm256_set1_pd(mu);
        let r = over(n4, |i| {
            let nv = _mm256_sub_pd(_mm256_mul_pd(m, load(v, i)), div4::<FAST>(load(g, i), d));
            store(v, i, nv);
            nv
        });
        for j in n4..v.len() {
            v[j] = mu * v[j] - div1::<FAST>(g[j], d);
        }
        r.finish(&v[n4..])
    }

    /// v ← μv − g/b and x ← x + η·v in one pass (‖v‖∞ = 1 known, see [`super::unit_velocity`]);
    /// returns x's range.
    #[target_feature(enable = "avx2,fma")]
    fn unit_step<const FAST: bool>(
        x: &mut [f64],
        v: &mut [f64],
        g: &[f64],
        mu: f64,
        rate: f64,
        d: Div,
    ) -> (f64, f64) {
        let n4 = x.len() / 4 * 4;
        let (m, eta) = (_mm256_set1_pd(mu), _mm256_set1_pd(rate));
        let r = over(n4, |i| {
            let nv = _mm256_sub_pd(_mm256_mul_pd(m, load(v, i)), div4::<FAST>(load(g, i), d));
            store(v, i, nv);
            let nx = _mm256_add_pd(load(x, i), _mm256_mul_pd(eta, nv));
            store(x, i, nx);
            nx
        });
        for j in n4..x.len() {
            v[j] = mu * v[j] - div1::<FAST>(g[j], d);
            x[j] += rate * v[j];
        }
        r.finish(&x[n4..])
    }

    /// x ← x + η·u with u = v (`S` = 0), v/b fused (1) or v/b divided (2); returns x's range.
    #[target_feature(enable = "avx2,fma")]
    fn advance<const S: u8>(x: &mut [f64], v: &[f64], rate: f64, d: Div) -> (f64, f64) {
        let n4 = x.len() / 4 * 4;
        let eta = _mm256_set1_pd(rate);
        let r = over(n4, |i| {
            let vi = load(v, i);
            let u = match S {
                0 => vi,
                1 => div4::<true>(vi, d),
                _ => div4::<false>(vi, d),
            };
            let nx = _mm256_add_pd(load(x, i), _mm256_mul_pd(eta, u));
            store(x, i, nx);
            nx
        });
        for j in n4..x.len() {
            let u = match S {
                0 => v[j],
                1 => div1::<true>(v[j], d),
                _ => div1::<false>(v[j], d),
            };
            x[j] += rate * u;
        }
        r.finish(&x[n4..])
    }

    /// x ← x/b (b > 0), given x's range (see [`super::bound_memory`]).
    #[target_feature(enable = "avx2,fma")]
    pub(super) fn divide(x: &mut [f64], b: f64, range: (f64, f64)) {
        let d = Div { b, y: 1.0 / b };
        if admits(b, range) {
            divide_by::<true>(x, d)
        } else {
            divide_by::<false>(x, d)
        }
    }

    #[target_feature(enable = "avx2,fma")]
    fn divide_by<const FAST: bool>(x: &mut [f64], d: Div) {
        let n4 = x.len() / 4 * 4;
        let mut i = 0;
        while i < n4 {
            store(x, i, div4::<FAST>(load(x, i), d));
            i += 4;
        }
        for xj in &mut x[n4..] {
            *xj = div1::<FAST>(*xj, d);
        }
    }

    /// [`super::rectified_pair`] for the integer power k: per lane r = v if v = S/T > 0 else 0,
    /// d = r^k by `powi`'s sequence (res = 1; for each bit of k from the lowest: res *= base if
    /// set, then base *= base while bits remain), d = 0 where r = 0, h = d·r.
    #[target_feature(enable = "avx2,fma")]
    pub(super) fn rectified_pair(dots: &mut [f64], deriv: &mut [f64], temperature: f64, k: u32) {
        let n = dots.len().min(deriv.len());
        let n4 = n / 4 * 4;
        let (t, zero, one) = (
            _mm256_set1_pd(temperature),
            _mm256_setzero_pd(),
            _mm256_set1_pd(1.0),
        );
        let mut i = 0;
        while i < n4 {
            let v = _mm256_div_pd(load(dots, i), t);
            let pos = _mm256_cmp_pd::<_CMP_GT_OQ>(v, zero);
            let r = _mm256_and_pd(pos, v);
            let (mut res, mut base, mut e) = (one, r, k);
            while e != 0 {
                if e & 1 == 1 {
                    res = _mm256_mul_pd(res, base);
                }
                e >>= 1;
                if e == 0 {
                    break;
                }
                base = _mm256_mul_pd(base, base);
            }
            let d = _mm256_and_pd(pos, res);
            store(deriv, i, d);
            store(dots, i, _mm256_mul_pd(d, r));
            i += 4;
        }
        for j in n4..n {
            let v = dots[j] / temperature;
            let r = if v > 0.0 { v } else { 0.0 };
            let d = if r > 0.0 { r.powi(k as i32) } else { 0.0 };
            deriv[j] = d;
            dots[j] = d * r;
        }
    }

    /// [`super::memory_coefficients`]: two memories × 16 samples at a time (eight independent
    /// sums over the classes, each from 0 in class order), then the factor h'.
    #[allow(clippy::too_many_arguments)]
    #[target_feature(enable = "avx2,fma")]
    pub(super) fn memory_coefficients(
        coef: &mut [f64],
        labels: &[f64],
        q: &[f64],
        h1: &[f64],
        k: usize,
        nb: usize,
        c: usize,
    ) {
        let mut a = 0;
        while a + 2 <= k {
            coefficient_rows::<2>(coef, labels, q, h1, nb, c, a);
            a += 2;
        }
        if a < k {
            coefficient_rows::<1>(coef, labels, q, h1, nb, c, a);
        }
    }

    /// Memories a..a+R of [`memory_coefficients`].
    #[allow(clippy::too_many_arguments, clippy::needless_range_loop)]
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    fn coefficient_rows<const R: usize>(
        coef: &mut [f64],
        labels: &[f64],
        q: &[f64],
        h1: &[f64],
        nb: usize,
        c: usize,
        a: usize,
    ) {
        let n16 = nb / 16 * 16;
        let l: [&[f64]; R] = std::array::from_fn(|i| &labels[(a + i) * c..(a + i + 1) * c]);
        let mut p = 0;
        while p < n16 {
            let mut acc = [[_mm256_setzero_pd(); 4]; R];
            for cc in 0..c {
                let qv: [__m256d; 4] = std::array::from_fn(|u| load(q, cc * nb + p + 4 * u));
                for i in 0..R {
                    let lv = _mm256_set1_pd(l[i][cc]);
                    for u in 0..4 {
                        acc[i][u] = _mm256_fmadd_pd(lv, qv[u], acc[i][u]);
                    }
                }
            }
            for (i, acc_i) in acc.iter().enumerate() {
                for (u, acc_u) in acc_i.iter().enumerate() {
                    let at = (a + i) * nb + p + 4 * u;
                    store(coef, at, _mm256_mul_pd(*acc_u, load(h1, at)));
                }
            }
            p += 16;
        }
        for i in 0..R {
            let row = (a + i) * nb;
            for p in n16..nb {
                let mut s = 0.0;
                for (cc, &lc) in l[i].iter().enumerate() {
                    s = lc.mul_add(q[cc * nb + p], s);
                }
                coef[row + p] = s * h1[row + p];
            }
        }
    }

    /// [`super::label_gradient`]: two memories' rows against five classes at a time (ten
    /// independent sums, each in its own four lanes).
    #[target_feature(enable = "avx2,fma")]
    pub(super) fn label_gradient(g: &mut [f64], h: &[f64], q: &[f64], k: usize, nb: usize, c: usize) {
        let mut a = 0;
        while a < k {
            let rows = if a + 2 <= k { 2 } else { 1 };
            let mut c0 = 0;
            while c0 < c {
                let width = if c0 + 5 <= c { 5 } else { 1 };
                match (rows, width) {
                    (2, 5) => gradient_block::<2, 5>(g, h, q, nb, c, a, c0),
                    (2, _) => gradient_block::<2, 1>(g, h, q, nb, c, a, c0),
                    (_, 5) => gradient_block::<1, 5>(g, h, q, nb, c, a, c0),
                    _ => gradient_block::<1, 1>(g, h, q, nb, c, a, c0),
                }
                c0 += width;
            }
            a += rows;
        }
    }

    /// g_{A,c} for memories a..a+R and classes c0..c0+S: the dots of h's rows with q's rows, all
    /// R·S sums advancing together.
    #[allow(clippy::too_many_arguments, clippy::needless_range_loop)]
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    fn gradient_block<const R: usize, const S: usize>(
        g: &mut [f64],
        h: &[f64],
        q: &[f64],
        nb: usize,
        c: usize,
        a: usize,
        c0: usize,
    ) {
        let n4 = nb / 4 * 4;
        let hrows: [&[f64]; R] = std::array::from_fn(|i| &h[(a + i) * nb..(a + i + 1) * nb]);
        let qrows: [&[f64]; S] = std::array::from_fn(|j| &q[(c0 + j) * nb..(c0 + j + 1) * nb]);
        let mut acc = [[_mm256_setzero_pd(); S]; R];
        let mut p = 0;
        while p < n4 {
            let hv: [__m256d; R] = std::array::from_fn(|i| load(hrows[i], p));
            for j in 0..S {
                let qv = load(qrows[j], p);
                for i in 0..R {
                    acc[i][j] = _mm256_fmadd_pd(hv[i], qv, acc[i][j]);
                }
            }
            p += 4;
        }
        for i in 0..R {
            for j in 0..S {
                g[(a + i) * c + c0 + j] = lanes_then_tail(lanes(acc[i][j]), &hrows[i][n4..], &qrows[j][n4..]);
            }
        }
    }
}

/// AVX-512 versions of the hottest loops: the memory update's row passes (momentum 0, no noise:
/// the paper's setting), ranges, finiteness, rectified powers and the three 10-wide products
/// (outputs, label gradient, memory coefficients); 8 lanes,
/// the row tail in masked lanes (masked-off lanes load 0, which changes no
/// range and is never stored). Per entry the same operations as `avx2` and the portable code,
/// in the same order, so the same bits; divisions as `avx2` (Markstein's correction, same
/// admissibility test).
#[cfg(target_arch = "x86_64")]
mod avx512 {
    use super::avx2::{Div, HI, LO, admits};
    use super::lanes_then_tail;
    use std::arch::x86_64::*;

    /// Lane mask of entries at..min(at + 8, len) (0 when at ≥ len).
    #[inline]
    fn mask(at: usize, len: usize) -> __mmask8 {
        let n = len.saturating_sub(at).min(8);
        ((1u32 << n) - 1) as __mmask8
    }

    /// Entries at.. of `s` under `m` (others 0). Masked-off lanes are not read, so `at` may
    /// lie past the end when `m` is 0.
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn load(s: &[f64], at: usize, m: __mmask8) -> __m512d {
        debug_assert!(m == 0 || at + (m.count_ones() as usize) <= s.len());
        // SAFETY: `m` enables only lanes below s.len() − at (see `mask`).
        unsafe { _mm512_maskz_loadu_pd(m, s.as_ptr().wrapping_add(at)) }
    }

    /// Write entries at.. of `s` under `m` (nothing when `m` is 0).
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn store(s: &mut [f64], at: usize, m: __mmask8, v: __m512d) {
        debug_assert!(m == 0 || at + (m.count_ones() as usize) <= s.len());
        // SAFETY: `m` enables only lanes below s.len() − at (see `mask`).
        unsafe { _mm512_mask_storeu_pd(s.as_mut_ptr().wrapping_add(at), m, v) }
    }

    /// Running (min nonzero, max) of |v| lane by lane, as `avx2::range4` (NaN keeps the running
    /// value: min_pd/max_pd return their second operand then).
    #[derive(Clone, Copy)]
    struct Range {
        lo: __m512d,
        hi: __m512d,
    }

    impl Range {
        #[inline]
        #[target_feature(enable = "avx512f")]
        fn new() -> Self {
            Range {
                lo: _mm512_set1_pd(f64::INFINITY),
                hi: _mm512_setzero_pd(),
            }
        }
        #[inline]
        #[target_feature(enable = "avx512f")]
        fn add(&mut self, v: __m512d) {
            let a = _mm512_abs_pd(v);
            let zero = _mm512_cmp_pd_mask::<_CMP_EQ_OQ>(a, _mm512_setzero_pd());
            let nz = _mm512_mask_blend_pd(zero, a, _mm512_set1_pd(f64::INFINITY));
            self.lo = _mm512_min_pd(nz, self.lo);
            self.hi = _mm512_max_pd(a, self.hi);
        }
        #[inline]
        #[target_feature(enable = "avx512f")]
        fn merge(self, o: Range) -> Range {
            Range {
                lo: _mm512_min_pd(self.lo, o.lo),
                hi: _mm512_max_pd(self.hi, o.hi),
            }
        }
        #[inline]
        #[target_feature(enable = "avx512f")]
        fn finish(self) -> (f64, f64) {
            (_mm512_reduce_min_pd(self.lo), _mm512_reduce_max_pd(self.hi))
        }
    }

    /// a/b for eight lanes, as `avx2::div4`.
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn div8<const FAST: bool>(a: __m512d, d: Div) -> __m512d {
        let b = _mm512_set1_pd(d.b);
        if FAST {
            let y = _mm512_set1_pd(d.y);
            let q = _mm512_mul_pd(a, y);
            let r = _mm512_fnmadd_pd(q, b, a);
            let q1 = _mm512_fmadd_pd(r, y, q);
            let exact = _mm512_cmp_pd_mask::<_CMP_EQ_OQ>(r, _mm512_setzero_pd());
            _mm512_mask_blend_pd(exact, q1, q)
        } else {
            _mm512_div_pd(a, b)
        }
    }

    /// Run `f(at, mask)` over the row in steps of 8 with two independent ranges (two min/max
    /// chains), the last step masked.
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn over(len: usize, mut f: impl FnMut(usize, __mmask8) -> __m512d) -> (f64, f64) {
        let (mut r0, mut r1) = (Range::new(), Range::new());
        let mut at = 0;
        while at + 16 <= len {
            r0.add(f(at, 0xff));
            r1.add(f(at + 8, 0xff));
            at += 16;
        }
        while at < len {
            r0.add(f(at, mask(at, len)));
            at += 8;
        }
        r0.merge(r1).finish()
    }

    /// [`super::abs_range`].
    #[target_feature(enable = "avx512f")]
    pub(super) fn abs_range(x: &[f64]) -> (f64, f64) {
        over(x.len(), |at, m| load(x, at, m))
    }

    /// [`super::all_finite`].
    #[target_feature(enable = "avx512f")]
    pub(super) fn all_finite(x: &[f64]) -> bool {
        let inf = _mm512_set1_pd(f64::INFINITY);
        let mut bad: __mmask8 = 0;
        let mut at = 0;
        // four vectors at a time, four independent mask chains
        let mut bad4: [__mmask8; 4] = [0; 4];
        while at + 32 <= x.len() {
            for (u, b) in bad4.iter_mut().enumerate() {
                *b |= !_mm512_cmp_pd_mask::<_CMP_LT_OQ>(_mm512_abs_pd(load(x, at + 8 * u, 0xff)), inf);
            }
            at += 32;
        }
        bad |= bad4[0] | bad4[1] | bad4[2] | bad4[3];
        while at < x.len() {
            let m = mask(at, x.len());
            // |x| = ∞ or NaN ⇔ not (|x| < ∞)
            bad |= !_mm512_cmp_pd_mask::<_CMP_LT_OQ>(_mm512_abs_pd(load(x, at, m)), inf) & m;
            at += 8;
        }
        bad == 0
    }

    /// [`super::normalised_step`] with μ = 0 and no noise: as `avx2::normalised_step`.
    #[target_feature(enable = "avx512f")]
    pub(super) fn zero_momentum_step(
        x: &mut [f64],
        v: &mut [f64],
        g: &[f64],
        gr: (f64, f64),
        rate: f64,
    ) -> (f64, f64) {
        if super::unit_velocity(0.0, gr.1) {
            let d = Div {
                b: gr.1,
                y: 1.0 / gr.1,
            };
            return if admits(gr.1, gr) {
                unit_step::<true>(x, v, g, rate, d)
            } else {
                unit_step::<false>(x, v, g, rate, d)
            };
        }
        // ‖g‖∞ = 0 or not finite: the general code.
        // (AVX-512F implies AVX2 and FMA.)
        super::avx2::normalised_step(x, v, g, gr, 0.0, rate)
    }

    /// v ← 0·v − g/b and x ← x + η·v in one pass; returns x's range.
    #[target_feature(enable = "avx512f")]
    fn unit_step<const FAST: bool>(x: &mut [f64], v: &mut [f64], g: &[f64], rate: f64, d: Div) -> (f64, f64) {
        let (zero, eta) = (_mm512_setzero_pd(), _mm512_set1_pd(rate));
        over(x.len(), |at, m| {
            let nv = _mm512_sub_pd(
                _mm512_mul_pd(zero, load(v, at, m)),
                div8::<FAST>(load(g, at, m), d),
            );
            store(v, at, m, nv);
            let nx = _mm512_add_pd(load(x, at, m), _mm512_mul_pd(eta, nv));
            store(x, at, m, nx);
            nx
        })
    }

    /// x ← x/b (b > 0), given x's range (see [`super::bound_memory`]).
    #[target_feature(enable = "avx512f")]
    pub(super) fn divide(x: &mut [f64], b: f64, range: (f64, f64)) {
        let d = Div { b, y: 1.0 / b };
        if admits(b, range) {
            divide_by::<true>(x, d)
        } else {
            divide_by::<false>(x, d)
        }
    }

    #[target_feature(enable = "avx512f")]
    fn divide_by<const FAST: bool>(x: &mut [f64], d: Div) {
        let mut at = 0;
        while at < x.len() {
            let m = mask(at, x.len());
            let q = div8::<FAST>(load(x, at, m), d);
            store(x, at, m, q);
            at += 8;
        }
    }

    /// [`super::rectified_pair`] for the integer power k, as `avx2::rectified_pair`, with v = S/T
    /// by Markstein's correction wherever T and the eight |S| admit it (else the division
    /// instruction): the same correctly rounded quotient.
    #[target_feature(enable = "avx512f")]
    pub(super) fn rectified_pair(dots: &mut [f64], deriv: &mut [f64], temperature: f64, k: u32) {
        let n = dots.len().min(deriv.len());
        let r = Rectifier::new(temperature, k);
        let mut at = 0;
        while at < n {
            let m: [__mmask8; 4] = std::array::from_fn(|u| mask(at + 8 * u, n));
            let (h, dv) = r.apply::<4>(std::array::from_fn(|u| load(dots, at + 8 * u, m[u])));
            for u in 0..4 {
                store(deriv, at + 8 * u, m[u], dv[u]);
                store(dots, at + 8 * u, m[u], h[u]);
            }
            at += 32;
        }
    }

    /// h = r^(k+1) and h' = r^k, r = max(S/T, 0), eight lanes per register: the per-lane
    /// operations of [`super::rectified_pair`].
    #[derive(Clone, Copy)]
    struct Rectifier {
        d: Div,
        t_ok: bool,
        k: u32,
    }

    impl Rectifier {
        /// For temperature T and integer power k ≥ 0.
        fn new(temperature: f64, k: u32) -> Self {
            Rectifier {
                d: Div {
                    b: temperature,
                    y: 1.0 / temperature,
                },
                t_ok: (LO..=HI).contains(&temperature),
                k,
            }
        }

        /// (h, h') of N registers of eight dot products each: the powers of all N advance
        /// together through one pass over the exponent's bits (N independent chains).
        #[inline]
        #[target_feature(enable = "avx512f")]
        fn apply<const N: usize>(self, s: [__m512d; N]) -> ([__m512d; N], [__m512d; N]) {
            let (zero, one) = (_mm512_setzero_pd(), _mm512_set1_pd(1.0));
            let mut pos = [0; N];
            let mut r = [zero; N];
            for i in 0..N {
                let a = _mm512_abs_pd(s[i]);
                let inside = _mm512_cmp_pd_mask::<_CMP_GE_OQ>(a, _mm512_set1_pd(LO))
                    & _mm512_cmp_pd_mask::<_CMP_LE_OQ>(a, _mm512_set1_pd(HI));
                let fast = self.t_ok && (inside | _mm512_cmp_pd_mask::<_CMP_EQ_OQ>(a, zero)) == 0xff;
                let v = if fast {
                    div8::<true>(s[i], self.d)
                } else {
                    div8::<false>(s[i], self.d)
                };
                pos[i] = _mm512_cmp_pd_mask::<_CMP_GT_OQ>(v, zero);
                r[i] = _mm512_maskz_mov_pd(pos[i], v);
            }
            let (mut res, mut base, mut e) = ([one; N], r, self.k);
            while e != 0 {
                if e & 1 == 1 {
                    for i in 0..N {
                        res[i] = _mm512_mul_pd(res[i], base[i]);
                    }
                }
                e >>= 1;
                if e == 0 {
                    break;
                }
                for b in base.iter_mut() {
                    *b = _mm512_mul_pd(*b, *b);
                }
            }
            let dv: [__m512d; N] = std::array::from_fn(|i| _mm512_maskz_mov_pd(pos[i], res[i]));
            (std::array::from_fn(|i| _mm512_mul_pd(dv[i], r[i])), dv)
        }
    }

    /// [`super::memory_coefficients`]: two memories × 32 samples at a time (eight independent
    /// sums over the classes, each a fused chain from 0 in class order), then the factor h'; the
    /// last samples in masked lanes.
    #[allow(clippy::too_many_arguments)]
    #[target_feature(enable = "avx512f")]
    pub(super) fn memory_coefficients(
        coef: &mut [f64],
        labels: &[f64],
        q: &[f64],
        h1: &[f64],
        k: usize,
        nb: usize,
        c: usize,
    ) {
        let mut a = 0;
        while a + 2 <= k {
            coefficient_rows::<2>(coef, labels, q, h1, nb, c, a);
            a += 2;
        }
        if a < k {
            coefficient_rows::<1>(coef, labels, q, h1, nb, c, a);
        }
    }

    /// Memories a..a+R of [`memory_coefficients`].
    #[allow(clippy::too_many_arguments)]
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn coefficient_rows<const R: usize>(
        coef: &mut [f64],
        labels: &[f64],
        q: &[f64],
        h1: &[f64],
        nb: usize,
        c: usize,
        a: usize,
    ) {
        let l: [&[f64]; R] = std::array::from_fn(|i| &labels[(a + i) * c..(a + i + 1) * c]);
        let mut p = 0;
        while p < nb {
            let m: [__mmask8; 4] = std::array::from_fn(|u| mask(p + 8 * u, nb));
            let mut acc = [[_mm512_setzero_pd(); 4]; R];
            for cc in 0..c {
                let qv: [__m512d; 4] = std::array::from_fn(|u| load(q, cc * nb + p + 8 * u, m[u]));
                for (acc_i, l_i) in acc.iter_mut().zip(&l) {
                    let lv = _mm512_set1_pd(l_i[cc]);
                    for (s, qu) in acc_i.iter_mut().zip(&qv) {
                        *s = _mm512_fmadd_pd(lv, *qu, *s);
                    }
                }
            }
            for (i, acc_i) in acc.iter().enumerate() {
                for (u, s) in acc_i.iter().enumerate() {
                    let at = (a + i) * nb + p + 8 * u;
                    store(coef, at, m[u], _mm512_mul_pd(*s, load(h1, at, m[u])));
                }
            }
            p += 32;
        }
    }

    /// [`super::outputs`]: five classes × 32 samples at a time (twenty independent sums, each
    /// a fused chain from 0 in memory order); the last samples in masked lanes.
    #[target_feature(enable = "avx512f")]
    pub(super) fn outputs(out: &mut [f64], h: &[f64], labels: &[f64], k: usize, nb: usize, c: usize) {
        let mut c0 = 0;
        while c0 < c {
            match c - c0 {
                1 => output_rows::<1>(out, h, labels, k, nb, c, c0),
                2 => output_rows::<2>(out, h, labels, k, nb, c, c0),
                3 => output_rows::<3>(out, h, labels, k, nb, c, c0),
                4 => output_rows::<4>(out, h, labels, k, nb, c, c0),
                _ => output_rows::<5>(out, h, labels, k, nb, c, c0),
            }
            c0 += 5;
        }
    }

    /// Classes c0..c0+R of [`outputs`].
    #[allow(clippy::too_many_arguments)]
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn output_rows<const R: usize>(
        out: &mut [f64],
        h: &[f64],
        labels: &[f64],
        k: usize,
        nb: usize,
        c: usize,
        c0: usize,
    ) {
        let mut p = 0;
        while p < nb {
            let m: [__mmask8; 4] = std::array::from_fn(|u| mask(p + 8 * u, nb));
            let mut acc = [[_mm512_setzero_pd(); 4]; R];
            for a in 0..k {
                let hv: [__m512d; 4] = std::array::from_fn(|u| load(h, a * nb + p + 8 * u, m[u]));
                let l = &labels[a * c + c0..a * c + c0 + R];
                for (acc_j, &lj) in acc.iter_mut().zip(l) {
                    let lv = _mm512_set1_pd(lj);
                    for (s, hu) in acc_j.iter_mut().zip(&hv) {
                        *s = _mm512_fmadd_pd(lv, *hu, *s);
                    }
                }
            }
            for (j, acc_j) in acc.iter().enumerate() {
                for (u, s) in acc_j.iter().enumerate() {
                    store(out, (c0 + j) * nb + p + 8 * u, m[u], *s);
                }
            }
            p += 32;
        }
    }

    /// [`super::label_gradient`]: four memories against ten classes at a time. Each 8-lane
    /// register holds two classes' four-lane sums (lanes 0–3 class c, lanes 4–7 class c + 1),
    /// so every sum runs in exactly the four lanes of the AVX2 and portable code; twenty
    /// independent registers, each step one fused multiply-add.
    #[target_feature(enable = "avx512f")]
    pub(super) fn label_gradient(g: &mut [f64], h: &[f64], q: &[f64], k: usize, nb: usize, c: usize) {
        let mut a = 0;
        while a < k {
            let rows = if a + 4 <= k { 4 } else { 1 };
            let mut c0 = 0;
            while c0 < c {
                let width = (c - c0).min(10);
                match (rows, width) {
                    (4, 10) => gradient_pairs::<4, 5>(g, h, q, nb, c, a, c0, width),
                    (4, _) => gradient_pairs::<4, 1>(g, h, q, nb, c, a, c0, width.min(2)),
                    (_, 10) => gradient_pairs::<1, 5>(g, h, q, nb, c, a, c0, width),
                    _ => gradient_pairs::<1, 1>(g, h, q, nb, c, a, c0, width.min(2)),
                }
                c0 += if width == 10 { 10 } else { width.min(2) };
            }
            a += rows;
        }
    }

    /// g_{A,c} for memories a..a+R and the `width` ≤ 2S classes from c0, as S pairs of classes
    /// (an odd last class is paired with itself and stored once).
    #[allow(clippy::too_many_arguments, clippy::needless_range_loop)]
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn gradient_pairs<const R: usize, const S: usize>(
        g: &mut [f64],
        h: &[f64],
        q: &[f64],
        nb: usize,
        c: usize,
        a: usize,
        c0: usize,
        width: usize,
    ) {
        let n4 = nb / 4 * 4;
        let hrows: [&[f64]; R] = std::array::from_fn(|i| &h[(a + i) * nb..(a + i + 1) * nb]);
        let class = |j: usize| c0 + j.min(width - 1);
        let qrows: [[&[f64]; 2]; S] =
            std::array::from_fn(|j| [0, 1].map(|u| &q[class(2 * j + u) * nb..(class(2 * j + u) + 1) * nb]));
        let mut acc = [[_mm512_setzero_pd(); S]; R];
        let mut p = 0;
        while p < n4 {
            // SAFETY: p + 4 ≤ n4 ≤ nb, the length of every row.
            unsafe {
                let hv: [__m512d; R] = std::array::from_fn(|i| {
                    _mm512_broadcast_f64x4(_mm256_loadu_pd(hrows[i].as_ptr().add(p)))
                });
                for j in 0..S {
                    let lo = _mm256_loadu_pd(qrows[j][0].as_ptr().add(p));
                    let hi = _mm256_loadu_pd(qrows[j][1].as_ptr().add(p));
                    let qv = _mm512_insertf64x4::<1>(_mm512_castpd256_pd512(lo), hi);
                    for i in 0..R {
                        acc[i][j] = _mm512_fmadd_pd(hv[i], qv, acc[i][j]);
                    }
                }
            }
            p += 4;
        }
        for i in 0..R {
            for j in 0..S {
                let mut l = [0.0f64; 8];
                // SAFETY: `l` is 8 writable f64.
                unsafe { _mm512_storeu_pd(l.as_mut_ptr(), acc[i][j]) };
                for u in 0..2 {
                    let cl = 2 * j + u;
                    if cl < width {
                        let four = [l[4 * u], l[4 * u + 1], l[4 * u + 2], l[4 * u + 3]];
                        g[(a + i) * c + c0 + cl] = lanes_then_tail(four, &hrows[i][n4..], &qrows[j][u][n4..]);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    //! The vector kernels must give the portable kernels' bits on any input (the portable code is
    //! the definition); edge cases include zeros of both signs, values near under- and overflow of
    //! the fused division, rows whose norm is 1 or 0, and lengths that are not multiples of 4.
    use super::*;
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// The portable code and every vector path this CPU can run.
    fn all_isas() -> Vec<Isa> {
        std::iter::once(Isa::portable()).chain(vector_isas()).collect()
    }

    /// The vector code paths this CPU can run: AVX2 + FMA alone, and with AVX-512 where present.
    fn vector_isas() -> Vec<Isa> {
        let isa = Isa::detect();
        if !isa.is_avx2_fma() {
            eprintln!("this CPU has no AVX2 + FMA: only the portable kernels run here, nothing to compare");
            return Vec::new();
        }
        if !isa.is_avx512() {
            eprintln!("this CPU has no AVX-512: only the AVX2 kernels are compared");
        }
        let mut all = vec![isa.without_avx512()];
        all.extend(Some(isa).filter(|i| i.is_avx512()));
        all
    }

    /// A value drawn from a mix of scales and special values.
    fn value(rng: &mut ChaCha8Rng) -> f64 {
        let base: f64 = rng.random_range(-1.0f64..1.0);
        match rng.random_range(0..20) {
            0 => 0.0,
            1 => -0.0,
            2 => base * 1e-300,
            3 => base * 1e-310, // subnormal
            4 => base * 1e280,
            5 => base * 2f64.powi(-899),
            6 => 1.0,
            7 => -1.0,
            8 => (base * 8.0).round() / 8.0, // exact binary fractions: exact quotients
            _ => base * 10f64.powi(rng.random_range(-20..20)),
        }
    }

    fn row(rng: &mut ChaCha8Rng, len: usize, special: bool) -> Vec<f64> {
        (0..len)
            .map(|_| {
                if special {
                    value(rng)
                } else {
                    rng.random_range(-1.0..1.0)
                }
            })
            .collect()
    }

    fn bits(x: &[f64]) -> Vec<u64> {
        x.iter().map(|v| v.to_bits()).collect()
    }

    #[test]
    fn vector_update_equals_portable_update_bit_for_bit() {
        for isa in vector_isas() {
            let mut rng = ChaCha8Rng::seed_from_u64(7);
            let lengths = [0usize, 1, 3, 4, 5, 7, 8, 9, 10, 31, 783, 784];
            for case in 0..3000 {
                let len = lengths[case % lengths.len()];
                let special = case % 3 != 0;
                let g = match case % 7 {
                    0 => vec![0.0; len], // zero gradient: v ← μv − 0
                    _ => row(&mut rng, len, special),
                };
                let x0 = row(&mut rng, len, special && case % 2 == 0);
                let v0 = row(&mut rng, len, special);
                let mu = [0.0, 0.5, 0.9][case % 3];
                let noise = (case % 11 == 0).then(|| row(&mut rng, len, false));
                let (mut x1, mut v1) = (x0.clone(), v0.clone());
                let (mut x2, mut v2) = (x0.clone(), v0.clone());
                let r1 = normalised_step(isa, &mut x1, &mut v1, &g, mu, 0.005, noise.as_deref());
                let r2 = normalised_step(Isa::portable(), &mut x2, &mut v2, &g, mu, 0.005, noise.as_deref());
                assert_eq!(bits(&v1), bits(&v2), "velocity, case {case}");
                assert_eq!(bits(&x1), bits(&x2), "memory, case {case}");
                assert_eq!(
                    (r1.0.to_bits(), r1.1.to_bits()),
                    (r2.0.to_bits(), r2.1.to_bits()),
                    "range, case {case}"
                );
                assert_eq!(r2, abs_range(Isa::portable(), &x2));
                for bound in [Bound::Normalise, Bound::Clip] {
                    let (mut y1, mut y2) = (x1.clone(), x2.clone());
                    bound_memory(isa, &mut y1, bound, r1);
                    bound_memory(Isa::portable(), &mut y2, bound, r2);
                    assert_eq!(bits(&y1), bits(&y2), "bound, case {case}");
                }
            }
        }
    }

    /// With μ = 0 the step skips scanning v for its norm (‖v‖∞ = 1 exactly); on finite rows,
    /// special values included, that must equal the general rule spelled out entry by entry.
    #[test]
    fn zero_momentum_step_equals_the_general_rule() {
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let isas = all_isas();
        for case in 0..2000 {
            let len = [1usize, 4, 7, 10, 784][case % 5];
            let special = case % 2 == 0;
            let (g, x0, v0) = (
                row(&mut rng, len, special),
                row(&mut rng, len, special),
                row(&mut rng, len, special),
            );
            // the general rule: v = 0·v − g/gmax, vmax = ‖v‖∞, x += η·(v/vmax) (η·v when vmax = 1)
            let gmax = g.iter().fold(0.0f64, |m, x| m.max(x.abs()));
            let want_v: Vec<f64> = v0
                .iter()
                .zip(&g)
                .map(|(&v, &gi)| 0.0 * v - if gmax > 0.0 { gi / gmax } else { 0.0 })
                .collect();
            let vmax = want_v.iter().fold(0.0f64, |m, x| m.max(x.abs()));
            let want_x: Vec<f64> = x0
                .iter()
                .zip(&want_v)
                .map(|(&x, &v)| match vmax {
                    1.0 => x + 0.005 * v,
                    0.0 => x,
                    _ => x + 0.005 * (v / vmax),
                })
                .collect();
            for isa in &isas {
                let (mut x, mut v) = (x0.clone(), v0.clone());
                normalised_step(*isa, &mut x, &mut v, &g, 0.0, 0.005, None);
                assert_eq!(bits(&v), bits(&want_v), "velocity, case {case}, {isa:?}");
                assert_eq!(bits(&x), bits(&want_x), "memory, case {case}, {isa:?}");
            }
        }
    }

    /// The vector finiteness test against `f64::is_finite`, with one ±∞ or NaN placed anywhere
    /// (vector body or tail) or none.
    #[test]
    fn all_finite_finds_every_non_finite_entry() {
        let mut rng = ChaCha8Rng::seed_from_u64(12);
        let isas = all_isas();
        for case in 0..3000 {
            let len = [1usize, 3, 4, 9, 784][case % 5];
            let mut x = row(&mut rng, len, true);
            if case % 4 != 0 {
                let at = rng.random_range(0..len);
                x[at] = [f64::INFINITY, f64::NEG_INFINITY, f64::NAN, -f64::NAN][case % 4];
            }
            let want = x.iter().all(|v| v.is_finite());
            assert_eq!(want, case % 4 == 0);
            for isa in &isas {
                assert_eq!(all_finite(*isa, &x), want, "case {case}, {isa:?}");
            }
        }
    }

    #[test]
    fn fused_division_is_correctly_rounded() {
        // Markstein's correction against the division instruction on 4 million quotients over
        // wide exponent ranges (the path bound_memory takes when ‖M‖∞ > 1).
        for isa in vector_isas() {
            let mut rng = ChaCha8Rng::seed_from_u64(11);
            for case in 0..4000 {
                let b: f64 = 1.0 + rng.random::<f64>() * 10f64.powi(rng.random_range(-3..30));
                let e = rng.random_range(-250..250);
                let mut x: Vec<f64> = (0..1000)
                    .map(|_| rng.random_range(-1.0..1.0) * 2f64.powi(e) * b.min(1e300))
                    .collect();
                x[0] = b; // ‖x‖∞ exactly b, as when renormalising
                let expected: Vec<u64> = x.iter().map(|v| (v / b).to_bits()).collect();
                let range = abs_range(isa, &x);
                assert!(range.1 >= b);
                bound_memory(isa, &mut x, Bound::Normalise, (range.0, b));
                assert_eq!(bits(&x), expected, "case {case}, b = {b}");
            }
        }
    }

    /// Quotients far below 1, down to the subnormal range: b and the entries spread over the
    /// whole exponent range, where the fused division must either be exact or not be taken.
    #[test]
    fn division_is_correctly_rounded_near_underflow() {
        for isa in vector_isas() {
            let mut rng = ChaCha8Rng::seed_from_u64(13);
            for case in 0..4000 {
                let b = (1.0 + rng.random::<f64>()) * 2f64.powi(rng.random_range(100..898));
                let mut x: Vec<f64> = (0..64)
                    .map(|_| rng.random_range(-2.0..2.0) * 2f64.powi(rng.random_range(-898..-300)))
                    .collect();
                x[0] = b;
                let expected: Vec<u64> = x.iter().map(|v| (v / b).to_bits()).collect();
                let range = abs_range(isa, &x);
                bound_memory(isa, &mut x, Bound::Normalise, (range.0, b));
                assert_eq!(bits(&x), expected, "case {case}, b = {b}");
            }
        }
    }

    #[test]
    fn vector_powers_equal_portable_powers() {
        for isa in vector_isas() {
            let mut rng = ChaCha8Rng::seed_from_u64(9);
            for (case, p) in [0.0, 1.0, 2.0, 29.0, 30.0, 99.0, 0.5, 28.5]
                .into_iter()
                .enumerate()
            {
                for (len, t) in [0usize, 3, 64, 65, 200, 1000]
                    .into_iter()
                    .flat_map(|len| [(len, 670.0), (len, 3.7e-5), (len, 1e280)])
                {
                    let dots: Vec<f64> = (0..len).map(|_| value(&mut rng) * 700.0).collect();
                    let (mut h1, mut d1) = (dots.clone(), vec![0.0; len]);
                    let (mut h2, mut d2) = (dots.clone(), vec![0.0; len]);
                    let power = Power::new(p);
                    rectified_pair(isa, &power, &mut h1, &mut d1, t);
                    rectified_pair(Isa::portable(), &power, &mut h2, &mut d2, t);
                    assert_eq!(bits(&h1), bits(&h2), "case {case}, len {len}, T = {t}");
                    assert_eq!(bits(&d1), bits(&d2), "case {case}, len {len}, T = {t}");
                    for (j, &s) in dots.iter().enumerate() {
                        let r = (s / t).max(0.0);
                        let expected = if r > 0.0 { power.of(r) } else { 0.0 };
                        assert_eq!(d2[j].to_bits(), expected.to_bits(), "powi/powf, case {case}");
                    }
                }
            }
        }
    }

    #[test]
    fn vector_label_gradient_equals_portable() {
        for isa in vector_isas() {
            let mut rng = ChaCha8Rng::seed_from_u64(3);
            for (k, nb, c) in [
                (1, 1, 1),
                (3, 7, 10),
                (100, 200, 10),
                (5, 13, 3),
                (4, 8, 6),
                (2, 20, 11),
                (7, 9, 13),
                (9, 203, 21),
            ] {
                let h = row(&mut rng, k * nb, true);
                let q = row(&mut rng, c * nb, true);
                let (mut g1, mut g2) = (vec![0.0; k * c], vec![0.0; k * c]);
                label_gradient(isa, &mut g1, &h, &q, k, nb, c);
                label_gradient(Isa::portable(), &mut g2, &h, &q, k, nb, c);
                assert_eq!(bits(&g1), bits(&g2), "k={k} nb={nb} c={c}");
                // and both are the documented four-lane sum
                let naive = dot4(&h[..nb], &q[..nb]);
                assert_eq!(g2[0].to_bits(), naive.to_bits());
            }
        }
    }

    #[test]
    fn thin_products_match_naive_sums() {
        // outputs and memory coefficients: sequential fused chains from 0 (their documented order)
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        for (k, nb, c) in [
            (1, 1, 1),
            (3, 7, 10),
            (100, 200, 10),
            (5, 13, 3),
            (9, 17, 7),
            (4, 40, 12),
            (2, 33, 4),
            (3, 64, 9),
        ] {
            let h = row(&mut rng, k * nb, false);
            let h1 = row(&mut rng, k * nb, false);
            let l = row(&mut rng, k * c, false);
            let q = row(&mut rng, c * nb, false);
            let mut out = vec![0.0; c * nb];
            outputs(Isa::portable(), &mut out, &h, &l, k, nb, c);
            for isa in vector_isas() {
                let mut out_v = vec![0.0; c * nb];
                outputs(isa, &mut out_v, &h, &l, k, nb, c);
                assert_eq!(bits(&out_v), bits(&out), "outputs, {isa:?}");
            }
            let mut coef = vec![0.0; k * nb];
            memory_coefficients(Isa::portable(), &mut coef, &l, &q, &h1, k, nb, c);
            for isa in vector_isas() {
                let mut coef_v = vec![0.0; k * nb];
                memory_coefficients(isa, &mut coef_v, &l, &q, &h1, k, nb, c);
                assert_eq!(bits(&coef_v), bits(&coef));
            }
            for cc in 0..c {
                for p in 0..nb {
                    let mut s = 0.0;
                    for a in 0..k {
                        s = l[a * c + cc].mul_add(h[a * nb + p], s);
                    }
                    assert_eq!(out[cc * nb + p].to_bits(), s.to_bits());
                }
            }
            for a in 0..k {
                for p in 0..nb {
                    let mut s = 0.0;
                    for cc in 0..c {
                        s = l[a * c + cc].mul_add(q[cc * nb + p], s);
                    }
                    assert_eq!(coef[a * nb + p].to_bits(), (s * h1[a * nb + p]).to_bits());
                }
            }
        }
    }
}
