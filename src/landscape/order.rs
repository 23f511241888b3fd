//! Learning order (spec §3.7, with the reference's "never learned ⇒ epoch 0" bug fixed, §7.5.12).

use crate::data::CLASSES;
use ndarray::ArrayView2;
use serde::{Deserialize, Serialize};

/// When one class was learned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassOrder {
    /// The class (digit).
    #[serde(rename = "class")]
    pub class: usize,
    /// First recorded epoch at which some memory has this class as its largest label and that
    /// label exceeds 0.5; null if never.
    pub first_memory_epoch: Option<usize>,
    /// Recorded epoch at which the class becomes learned: at least `ceil(fraction · n_c)` of its n_c
    /// training samples recognised (spec §3.6 rule; 5 of 20 with the default fraction 1/4), taken at
    /// the first not-learned → learned transition ([`learned_frame`]); null if never (or if
    /// recognition was not computed).
    pub learned_epoch: Option<usize>,
    /// Rank by `learned_epoch` (1 = first; tied classes share the mean of their positions; classes
    /// never learned share the positions after all learned ones); null without recognition.
    pub rank: Option<f64>,
}

/// The number of recognised samples that counts as "learned" for a class of `size` samples:
/// ⌈fraction · size⌉ (5 for 20 samples and fraction 1/4 — the reference's "count > 4").
pub fn learned_threshold(size: usize, fraction: f64) -> usize {
    ((fraction * size as f64) - 1e-9).ceil().max(1.0) as usize
}

/// First record (index) at which some memory's dominant label is `class` with ℓ > `level`.
/// `labels` is one K×C matrix per record.
pub fn first_memory_frame<'a>(
    labels: impl IntoIterator<Item = ArrayView2<'a, f64>>,
    class: usize,
    level: f64,
) -> Option<usize> {
    labels.into_iter().position(|l| {
        l.rows()
            .into_iter()
            .any(|r| crate::dam::model::argmax(r) == class && r[class] > level)
    })
}

/// The record at which a class is learned (spec §3.7): with I[t] = (counts[t][class] ≥ threshold),
/// the first 0→1 transition (first t ≥ 1 with I[t−1] = 0 and I[t] = 1). If there is none, the first
/// record when I holds at every record, else None (never). The untrained initial state outputs
/// ≈ 0 for every class, so its argmax — decided by the label noise — can "recognise" one class by
/// chance; the transition rule ignores such a class until it is really learned.
pub fn learned_frame(counts: ArrayView2<i64>, class: usize, threshold: usize) -> Option<usize> {
    let on = |t: usize| counts[[t, class]] >= threshold as i64;
    let e = counts.nrows();
    (1..e)
        .find(|&t| on(t) && !on(t - 1))
        .or_else(|| (e > 0 && (0..e).all(on)).then_some(0))
}

/// Fractional ranks (1-based) of `times`: smaller first; ties share the mean of their positions;
/// `None` (never) after every `Some`, tied with each other.
pub fn fractional_ranks(times: &[Option<usize>]) -> Vec<f64> {
    let key = |t: Option<usize>| t.map_or(u128::MAX, |v| v as u128);
    let mut idx: Vec<usize> = (0..times.len()).collect();
    idx.sort_by_key(|&i| (key(times[i]), i));
    let mut ranks = vec![0.0; times.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && key(times[idx[j + 1]]) == key(times[idx[i]]) {
            j += 1;
        }
        let r = (i + j) as f64 / 2.0 + 1.0;
        for &x in &idx[i..=j] {
            ranks[x] = r;
        }
        i = j + 1;
    }
    ranks
}

/// The learning order of the classes that have training samples, sorted by rank (then class).
/// `epochs[t]` is the epoch of record t; `counts` the E×C recognition counts (None: not computed);
/// `sizes` the number of training samples per class.
pub fn learning_order<'a>(
    epochs: &[usize],
    labels: impl Fn(usize) -> ArrayView2<'a, f64>,
    counts: Option<ArrayView2<i64>>,
    sizes: &[usize],
    learned_fraction: f64,
    memory_level: f64,
) -> Vec<ClassOrder> {
    let classes: Vec<usize> = (0..CLASSES).filter(|&c| sizes[c] > 0).collect();
    let mut out: Vec<ClassOrder> = classes
        .iter()
        .map(|&c| {
            let fm = first_memory_frame((0..epochs.len()).map(&labels), c, memory_level);
            let le = counts.and_then(|k| learned_frame(k, c, learned_threshold(sizes[c], learned_fraction)));
            ClassOrder {
                class: c,
                first_memory_epoch: fm.map(|t| epochs[t]),
                learned_epoch: le.map(|t| epochs[t]),
                rank: None,
            }
        })
        .collect();
    if counts.is_some() {
        let times: Vec<Option<usize>> = out.iter().map(|o| o.learned_epoch).collect();
        for (o, r) in out.iter_mut().zip(fractional_ranks(&times)) {
            o.rank = Some(r);
        }
        out.sort_by(|a, b| {
            a.rank
                .unwrap_or(0.0)
                .total_cmp(&b.rank.unwrap_or(0.0))
                .then(a.class.cmp(&b.class))
        });
    }
    out
}
