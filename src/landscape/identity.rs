//! Memory identity (spec §3.9) and per-class recognition of the training samples (spec §3.6).

use crate::dam::model::{self, Form, Params};
use crate::data::CLASSES;
use faer::Par;
use ndarray::{Array1, ArrayView1, ArrayView2};

/// Dominant label of every memory: argmax_c ℓ_{A,c} (first maximum, numpy's convention).
pub fn dominant_labels(labels: ArrayView2<f64>) -> Vec<usize> {
    labels.rows().into_iter().map(model::argmax).collect()
}

/// Memory indices sorted by dominant label argmax_c ℓ_{A,c} (stable: ties keep index order),
/// the order of the reference movies and memory grids (spec §3.9, §4.3).
pub fn order_by_dominant_label(labels: ArrayView2<f64>) -> Vec<usize> {
    let dom = dominant_labels(labels);
    let mut idx: Vec<usize> = (0..labels.nrows()).collect();
    idx.sort_by_key(|&a| dom[a]);
    idx
}

/// Number of labels of every memory at or above `threshold` (thresholded membership, spec §3.9:
/// 0.99 for the Fig. 1 selection; in the feature regime a memory can hold several).
pub fn memberships(labels: ArrayView2<f64>, threshold: f64) -> Vec<usize> {
    labels
        .rows()
        .into_iter()
        .map(|r| r.iter().filter(|&&v| v >= threshold).count())
        .collect()
}

/// The dominant class of an aggregated-α vector (argmax_d ᾱ_d).
pub fn dominant_class(alpha_class: ArrayView1<f64>) -> usize {
    model::argmax(alpha_class)
}

/// A readable description of a state by its class-aggregated α: the classes with |ᾱ_d| ≥ 0.1
/// (at most three, largest first), e.g. "0.48·(4) + 0.47·(9)"; the largest one if none is.
pub fn describe_alpha(alpha_class: ArrayView1<f64>) -> String {
    let mut idx: Vec<usize> = (0..alpha_class.len()).collect();
    idx.sort_by(|&a, &b| {
        alpha_class[b]
            .abs()
            .total_cmp(&alpha_class[a].abs())
            .then(a.cmp(&b))
    });
    let mut parts: Vec<String> = Vec::new();
    for (k, &d) in idx.iter().enumerate() {
        let v = alpha_class[d];
        if k > 0 && (v.abs() < 0.1 || k >= 3) {
            break;
        }
        let term = format!("{:.2}·({d})", v.abs());
        if parts.is_empty() {
            parts.push(if v < 0.0 { format!("−{term}") } else { term });
        } else {
            parts.push(format!("{} {term}", if v < 0.0 { "−" } else { "+" }));
        }
    }
    parts.join(" ")
}

/// How the outputs of a recorded state are computed, to score recognition.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Recognizer {
    /// The formulation of the run.
    pub form: Form,
    /// Its hyper-parameters (n, T).
    pub params: Params,
}

impl Recognizer {
    /// Per-class counts of recognised training samples (spec §3.6: argmax_c s_c = y and
    /// max_c s_c > −1.0) for memories M (K×D), labels L (K×10), samples X (P×D) of classes `digits`.
    pub fn counts(
        &self,
        memories: ArrayView2<f64>,
        labels: ArrayView2<f64>,
        samples: ArrayView2<f64>,
        digits: &[usize],
        par: Par,
    ) -> Vec<usize> {
        let m = memories.as_standard_layout();
        let l = labels.as_standard_layout();
        let s = model::outputs(self.form, m.view(), l.view(), samples, &self.params, par);
        model::recognition_counts(&s, digits)
    }
}

/// Number of training samples of each class (length 10).
pub fn class_sizes(digits: &[usize]) -> Array1<usize> {
    let mut n = Array1::zeros(CLASSES);
    for &d in digits {
        n[d] += 1;
    }
    n
}
