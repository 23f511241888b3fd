//! The two large matrix products of a training step, S = M·X_bᵀ (K×B) and G = W·X_b (K×784),
//! written by hand for a minibatch X_b that stays fixed for the whole run.
//!
//! Why not a GEMM crate: these products are small (K = 100, B = 200, 784 pixels in the paper's
//! setting), so a general GEMM spends a good part of its time packing and blocking, and the
//! samples X_b, one operand of both products, never change. Here X_b is packed once, in the
//! layout the register kernel reads, and only the kernel runs at every step: 8–20 % faster than
//! faer on the machines measured (README "Benchmarks"). The kernel is a register block of
//! accumulators: 12 rows × 16 columns with AVX-512, 6 × 8 with AVX2.
//!
//! **Definition.** Every entry is one sequential chain of fused multiply-adds over the shared
//! index, from zero: s₀ = 0, s_{j+1} = fma(a_j, b_j, s_j). [`product_portable`] is that loop;
//! the vector kernels keep each entry in its own register lane and run the same chain, so all
//! give the same bits, and so does any thread count (threads split whole rows).

use crate::dam::kernels::Isa;
use faer::Par;
use ndarray::ArrayView2;
use rayon::prelude::*;

/// Entries per packed panel (two 4-lane registers).
const NR: usize = 8;
/// Rows per register block of the AVX2 kernel (6 × 8 accumulators = 12 registers).
const MR: usize = 6;
/// Rows a caller should hand to [`Packed::combine_rows`] at a time to work on each block of
/// G while it is still in cache: one AVX-512 register block (two AVX2 blocks), 75 KiB of G for
/// 784 pixels.
pub const ROW_BLOCK: usize = 2 * MR;

/// One minibatch X_b (B×N, row-major), packed for both products: panels of 8 samples (for
/// S = M·X_bᵀ) and panels of 8 pixels (for G = W·X_b), zero-padded to whole panels.
#[derive(Debug, Clone, PartialEq)]
pub struct Packed {
    samples: usize,
    pixels: usize,
    /// Panel q (samples 8q..8q+8), pixel i, lane l at `(q·N + i)·8 + l`.
    by_sample: Lanes,
    /// Panel q (pixels 8q..8q+8), sample μ, lane l at `(q·B + μ)·8 + l`.
    by_pixel: Lanes,
}

/// Groups of 8 f64 on 64-byte boundaries: every packed panel row is one cache line, so the
/// kernels' 8-lane loads never straddle two (a plain `Vec<f64>` is only 16-byte aligned).
#[derive(Debug, Clone, PartialEq)]
struct Lanes(Vec<Line>);

#[derive(Debug, Clone, Copy, PartialEq)]
#[repr(C, align(64))]
struct Line([f64; NR]);

impl Lanes {
    /// `lines` zeroed groups of 8.
    fn zeros(lines: usize) -> Self {
        Lanes(vec![Line([0.0; NR]); lines])
    }

    fn as_slice(&self) -> &[f64] {
        // SAFETY: `Line` is `repr(C)` around [f64; 8] with size 64 and no padding, so the lines
        // are 8·len initialised, contiguous f64.
        unsafe { std::slice::from_raw_parts(self.0.as_ptr().cast::<f64>(), self.0.len() * NR) }
    }

    fn as_mut_slice(&mut self) -> &mut [f64] {
        // SAFETY: as in `as_slice`, and `&mut self` makes this the only reference.
        unsafe { std::slice::from_raw_parts_mut(self.0.as_mut_ptr().cast::<f64>(), self.0.len() * NR) }
    }
}

impl Packed {
    /// Pack the B×N minibatch `x`.
    pub fn new(x: ArrayView2<f64>) -> Self {
        let (b, n) = x.dim();
        let mut by_sample = Lanes::zeros(b.div_ceil(NR) * n);
        let mut by_pixel = Lanes::zeros(n.div_ceil(NR) * b);
        for ((mu, i), &v) in x.indexed_iter() {
            by_sample.as_mut_slice()[((mu / NR) * n + i) * NR + mu % NR] = v;
            by_pixel.as_mut_slice()[((i / NR) * b + mu) * NR + i % NR] = v;
        }
        Packed {
            samples: b,
            pixels: n,
            by_sample,
            by_pixel,
        }
    }

    /// Samples B.
    pub fn samples(&self) -> usize {
        self.samples
    }

    /// Pixels N.
    pub fn pixels(&self) -> usize {
        self.pixels
    }

    /// S = M·X_bᵀ: `out[a·B + μ]` = Σ_i M[a, i]·X_b[μ, i] as the chain over i = 0..N (module
    /// docs), for the K = `m.len()/N` rows of the row-major `m`; `out` has K·B entries.
    pub fn dots(&self, isa: Isa, par: Par, m: &[f64], out: &mut [f64]) {
        product(
            isa,
            par,
            m,
            self.pixels,
            self.by_sample.as_slice(),
            self.samples,
            out,
        );
    }

    /// G = W·X_b: `out[a·N + i]` = Σ_μ W[a, μ]·X_b[μ, i] as the chain over μ = 0..B (module
    /// docs), for the K = `w.len()/B` rows of the row-major `w`; `out` has K·N entries.
    pub fn combine(&self, isa: Isa, par: Par, w: &[f64], out: &mut [f64]) {
        product(
            isa,
            par,
            w,
            self.samples,
            self.by_pixel.as_slice(),
            self.pixels,
            out,
        );
    }

    /// The rows of G = W·X_b for the rows of `w` given, on the calling thread: the same
    /// entries, bit for bit, as [`Packed::combine`] (each entry is its own chain, so how rows are
    /// grouped does not matter). For callers that process G block by block (see [`ROW_BLOCK`]).
    pub fn combine_rows(&self, isa: Isa, w: &[f64], out: &mut [f64]) {
        self.combine(isa, Par::Seq, w, out);
    }
}

/// Rows per thread task when `rows` rows are split over the threads of `par` in whole register
/// blocks, as [`Packed::dots`] and [`Packed::combine`] split them.
pub fn rows_per_task(rows: usize, par: Par) -> usize {
    let threads = match par {
        Par::Seq => 1,
        _ => par.degree().max(1),
    };
    rows.div_ceil(MR).div_ceil(threads).max(1) * MR
}

/// out (rows×cols) = a (rows×len) · B, where B (len×cols) is given as zero-padded panels of 8
/// columns (`panels[(q·len + j)·8 + l]` = B[j, 8q + l]); threads split whole row blocks.
fn product(isa: Isa, par: Par, a: &[f64], len: usize, panels: &[f64], cols: usize, out: &mut [f64]) {
    assert!(
        len > 0 && a.len().is_multiple_of(len),
        "operand is not a whole number of rows"
    );
    let rows = a.len() / len;
    assert_eq!(out.len(), rows * cols, "output shape");
    assert_eq!(panels.len(), cols.div_ceil(NR) * len * NR, "packed operand shape");
    let chunk = rows_per_task(rows, par);
    if chunk >= rows {
        return product_rows(isa, a, len, panels, cols, out);
    }
    out.par_chunks_mut(chunk * cols)
        .zip(a.par_chunks(chunk * len))
        .for_each(|(o, ar)| product_rows(isa, ar, len, panels, cols, o));
}

fn product_rows(isa: Isa, a: &[f64], len: usize, panels: &[f64], cols: usize, out: &mut [f64]) {
    #[cfg(target_arch = "x86_64")]
    if isa.is_avx512() {
        // SAFETY: `Isa` has avx512 only when the CPU supports AVX-512F; shapes were checked by
        // `product`.
        unsafe { avx512::product_rows(a, len, panels, cols, out) };
        return;
    }
    #[cfg(target_arch = "x86_64")]
    if isa.is_avx2_fma() {
        // SAFETY: `Isa` has avx2_fma only when the CPU supports AVX2 and FMA; shapes were
        // checked by `product`.
        unsafe { avx2::product_rows(a, len, panels, cols, out) };
        return;
    }
    let _ = isa;
    product_portable(a, len, panels, cols, out);
}

/// The definition: each entry the sequential fused multiply-add chain from 0.
pub fn product_portable(a: &[f64], len: usize, panels: &[f64], cols: usize, out: &mut [f64]) {
    for (ar, or) in a.chunks_exact(len).zip(out.chunks_exact_mut(cols)) {
        for (c, o) in or.iter_mut().enumerate() {
            let panel = &panels[(c / NR) * len * NR..];
            let mut s = 0.0f64;
            for (j, &aj) in ar.iter().enumerate() {
                s = aj.mul_add(panel[j * NR + c % NR], s);
            }
            *o = s;
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::{MR, NR};
    use std::arch::x86_64::*;

    /// All rows of `out`, in register blocks of up to 6 rows × one panel of 8 columns.
    #[target_feature(enable = "avx2,fma")]
    pub(super) fn product_rows(a: &[f64], len: usize, panels: &[f64], cols: usize, out: &mut [f64]) {
        let rows = a.len() / len;
        let mut r0 = 0;
        while r0 < rows {
            let mr = (rows - r0).min(MR);
            let ab = &a[r0 * len..(r0 + mr) * len];
            let ob = &mut out[r0 * cols..(r0 + mr) * cols];
            for q in 0..cols.div_ceil(NR) {
                let panel = &panels[q * len * NR..(q + 1) * len * NR];
                let (c0, width) = (q * NR, (cols - q * NR).min(NR));
                match mr {
                    6 => block::<6>(ab, len, panel, ob, cols, c0, width),
                    5 => block::<5>(ab, len, panel, ob, cols, c0, width),
                    4 => block::<4>(ab, len, panel, ob, cols, c0, width),
                    3 => block::<3>(ab, len, panel, ob, cols, c0, width),
                    2 => block::<2>(ab, len, panel, ob, cols, c0, width),
                    _ => block::<1>(ab, len, panel, ob, cols, c0, width),
                }
            }
            r0 += mr;
        }
    }

    /// Lanes 0..n (n ≥ 1) of a masked store.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn mask(n: usize) -> __m256i {
        let n = n.min(4) as i64;
        _mm256_set_epi64x(-((n > 3) as i64), -((n > 2) as i64), -((n > 1) as i64), -1)
    }

    /// R rows of `a` (R·len entries) times one panel (len×8): lane l of accumulator r is the
    /// chain for entry (r, c0 + l); the first `width` lanes are stored.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    fn block<const R: usize>(
        a: &[f64],
        len: usize,
        panel: &[f64],
        out: &mut [f64],
        cols: usize,
        c0: usize,
        width: usize,
    ) {
        assert!(a.len() == R * len && panel.len() == len * NR && out.len() == R * cols);
        assert!(c0 + width <= cols && width <= NR);
        let mut lo = [_mm256_setzero_pd(); R];
        let mut hi = [_mm256_setzero_pd(); R];
        let pp = panel.as_ptr();
        let rp: [*const f64; R] = std::array::from_fn(|r| a[r * len..].as_ptr());
        for j in 0..len {
            // SAFETY: j < len, r < R and the panel has len·8 entries (asserted above).
            unsafe {
                let b0 = _mm256_loadu_pd(pp.add(j * NR));
                let b1 = _mm256_loadu_pd(pp.add(j * NR + 4));
                for r in 0..R {
                    let x = _mm256_broadcast_sd(&*rp[r].add(j));
                    lo[r] = _mm256_fmadd_pd(x, b0, lo[r]);
                    hi[r] = _mm256_fmadd_pd(x, b1, hi[r]);
                }
            }
        }
        for r in 0..R {
            let o = &mut out[r * cols + c0..r * cols + c0 + width];
            // SAFETY: full-width stores write o[0..8], which exists when width = 8; otherwise
            // the masked stores write only the first `width` < 8 entries.
            unsafe {
                if width == NR {
                    _mm256_storeu_pd(o.as_mut_ptr(), lo[r]);
                    _mm256_storeu_pd(o.as_mut_ptr().add(4), hi[r]);
                } else {
                    _mm256_maskstore_pd(o.as_mut_ptr(), mask(width), lo[r]);
                    if width > 4 {
                        _mm256_maskstore_pd(o.as_mut_ptr().add(4), mask(width - 4), hi[r]);
                    }
                }
            }
        }
    }
}

/// The AVX-512 kernel: register blocks of up to 12 rows × two panels (16 columns, 24 of the
/// 32 vector registers), each lane the same chain as the portable loop.
#[cfg(target_arch = "x86_64")]
mod avx512 {
    use super::NR;
    use std::arch::x86_64::*;

    /// Rows per register block.
    const R512: usize = 12;

    /// All rows of `out`, in blocks of up to 12 rows × two panels (one at the right edge).
    #[target_feature(enable = "avx512f")]
    pub(super) fn product_rows(a: &[f64], len: usize, panels: &[f64], cols: usize, out: &mut [f64]) {
        let rows = a.len() / len;
        let npanels = cols.div_ceil(NR);
        let mut r0 = 0;
        while r0 < rows {
            let mr = (rows - r0).min(R512);
            let ab = &a[r0 * len..(r0 + mr) * len];
            let ob = &mut out[r0 * cols..(r0 + mr) * cols];
            let mut q = 0;
            while q < npanels {
                let np = (npanels - q).min(2);
                let pan = &panels[q * len * NR..(q + np) * len * NR];
                let (c0, width) = (q * NR, (cols - q * NR).min(np * NR));
                macro_rules! dispatch {
                    ($($r:literal)*) => {
                        match (mr, np) {
                            $(($r, 2) => block::<$r, 2>(ab, len, pan, ob, cols, c0, width),
                              ($r, _) => block::<$r, 1>(ab, len, pan, ob, cols, c0, width),)*
                            _ => unreachable!("block of {mr} rows"),
                        }
                    };
                }
                dispatch!(1 2 3 4 5 6 7 8 9 10 11 12);
                q += np;
            }
            r0 += mr;
        }
    }

    /// R rows of `a` (R·len entries) times P consecutive panels (each len×8): lane l of
    /// accumulator (r, p) is the chain for entry (r, c0 + 8p + l); the first `width` columns are
    /// stored.
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn block<const R: usize, const P: usize>(
        a: &[f64],
        len: usize,
        panels: &[f64],
        out: &mut [f64],
        cols: usize,
        c0: usize,
        width: usize,
    ) {
        assert!(a.len() == R * len && panels.len() == P * len * NR && out.len() == R * cols);
        assert!(c0 + width <= cols && width <= P * NR);
        let mut acc = [[_mm512_setzero_pd(); P]; R];
        let pp = panels.as_ptr();
        let rp: [*const f64; R] = std::array::from_fn(|r| a[r * len..].as_ptr());
        for j in 0..len {
            // SAFETY: j < len, p < P, r < R, and the panels hold P·len·8 entries (asserted above).
            unsafe {
                let b: [__m512d; P] = std::array::from_fn(|p| _mm512_loadu_pd(pp.add((p * len + j) * NR)));
                for (row, ptr) in acc.iter_mut().zip(&rp) {
                    let x = _mm512_set1_pd(*ptr.add(j));
                    for (s, bp) in row.iter_mut().zip(&b) {
                        *s = _mm512_fmadd_pd(x, *bp, *s);
                    }
                }
            }
        }
        for (r, row) in acc.iter().enumerate() {
            let o = &mut out[r * cols + c0..r * cols + c0 + width];
            for (p, s) in row.iter().enumerate() {
                let lanes = width.saturating_sub(p * NR).min(NR);
                // SAFETY: the mask enables the first `lanes` entries from o[8p], all inside o.
                unsafe { _mm512_mask_storeu_pd(o.as_mut_ptr().add(p * NR), ((1u32 << lanes) - 1) as u8, *s) };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn random(rng: &mut ChaCha8Rng, r: usize, c: usize) -> Array2<f64> {
        Array2::from_shape_fn((r, c), |_| {
            let v: f64 = rng.random_range(-1.0..1.0);
            // a few exact zeros and signed zeros
            match rng.random_range(0..50) {
                0 => 0.0,
                1 => -0.0,
                _ => v,
            }
        })
    }

    /// The chain of the module docs, straight from the unpacked matrices.
    fn chain(a: &[f64], b: impl Fn(usize) -> f64) -> f64 {
        a.iter().enumerate().fold(0.0f64, |s, (j, &x)| x.mul_add(b(j), s))
    }

    fn bits(x: &[f64]) -> Vec<u64> {
        x.iter().map(|v| v.to_bits()).collect()
    }

    #[test]
    fn products_are_the_defining_chains_for_every_shape_isa_and_thread_count() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let isas = [
            Some(Isa::portable()),
            Some(Isa::detect().without_avx512()).filter(|i| i.is_avx2_fma()),
            Some(Isa::detect()).filter(|i| i.is_avx512()),
        ];
        for &(k, b, n) in &[
            (1, 1, 1),
            (6, 8, 8),
            (7, 9, 13),
            (13, 20, 37),
            (100, 200, 784),
            (5, 3, 2),
            (25, 17, 24),
            (12, 5, 16),
        ] {
            let x = random(&mut rng, b, n);
            let m = random(&mut rng, k, n);
            let w = random(&mut rng, k, b);
            let packed = Packed::new(x.view());
            let mut want_s = vec![0.0; k * b];
            let mut want_g = vec![0.0; k * n];
            for a in 0..k {
                let mr = m.row(a).to_vec();
                let wr = w.row(a).to_vec();
                for mu in 0..b {
                    want_s[a * b + mu] = chain(&mr, |i| x[[mu, i]]);
                }
                for i in 0..n {
                    want_g[a * n + i] = chain(&wr, |mu| x[[mu, i]]);
                }
            }
            for isa in isas.iter().flatten() {
                for par in [Par::Seq, Par::rayon(2), Par::rayon(3)] {
                    let mut s = vec![f64::NAN; k * b];
                    let mut g = vec![f64::NAN; k * n];
                    packed.dots(*isa, par, m.as_slice().unwrap(), &mut s);
                    packed.combine(*isa, par, w.as_slice().unwrap(), &mut g);
                    assert_eq!(bits(&s), bits(&want_s), "S, shape {k}×{b}×{n}, {isa:?}, {par:?}");
                    assert_eq!(bits(&g), bits(&want_g), "G, shape {k}×{b}×{n}, {isa:?}, {par:?}");
                }
            }
        }
    }

    #[test]
    fn products_agree_with_faer_to_rounding() {
        let mut rng = ChaCha8Rng::seed_from_u64(8);
        let (k, b, n) = (17, 23, 50);
        let x = random(&mut rng, b, n);
        let m = random(&mut rng, k, n);
        let packed = Packed::new(x.view());
        let mut s = vec![0.0; k * b];
        packed.dots(Isa::detect(), Par::Seq, m.as_slice().unwrap(), &mut s);
        let mut want = Array2::zeros((k, b));
        crate::linalg::matmul_abt(&mut want, m.view(), x.view(), Par::Seq);
        for (got, want) in s.iter().zip(want.iter()) {
            assert!((got - want).abs() <= 1e-13, "{got} vs {want}");
        }
    }
}
