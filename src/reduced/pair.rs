//! The two-sample systems of paper Figs. 5 and 6 (spec §4.7–4.9): choosing the pair, α
//! coefficients by the 2×2 Gram system (= the Moore–Penrose decomposition on two samples, spec
//! §3.1), full-trainer runs of K ≤ 2 memories on the two samples (spec §2.2, μ = 0), and the
//! reduced-system pieces drawn over them (nullclines, flow, fixed points in the (ℓ, α) plane).

use crate::dam::model::{Form, Params};
use crate::dam::train::{Hyper, State, Trainer};
use crate::data::{self, TrainingSet};
use crate::error::{Error, Result};
use crate::plot::{CriticalKind, CriticalPoint, Series, VectorField};
use crate::reduced::nullclines::{Kind, NullclineOptions, nullcline};
use crate::reduced::{Control, FixedPoint, PairDots, Stability, TwoMemory};
use ndarray::{Array1, Array2, ArrayView1, Axis};
use plotters::style::RGBColor;

/// Two samples A (class a) and B (class b), their rows in the standard set and dot products.
#[derive(Debug, Clone)]
pub struct Pair {
    /// 2×784: row 0 = A, row 1 = B.
    pub samples: Array2<f64>,
    /// Classes (a, b).
    pub classes: [usize; 2],
    /// Rows of A and B in the standard set.
    pub rows: [usize; 2],
    /// d_AA, d_AB, d_BB.
    pub dots: PairDots,
}

impl Pair {
    /// The pair of rows (i, j) of `set`.
    pub fn of_rows(set: &TrainingSet, i: usize, j: usize) -> Result<Pair> {
        let samples = set.samples.select(Axis(0), &[i, j]);
        let dots = PairDots::from_samples(&samples, 0, 1)?;
        Ok(Pair {
            samples,
            classes: [set.digits[i], set.digits[j]],
            rows: [i, j],
            dots,
        })
    }

    /// A pair given by two images (e.g. class means) and their classes.
    pub fn of_images(a: ArrayView1<f64>, b: ArrayView1<f64>, classes: [usize; 2]) -> Result<Pair> {
        let mut samples = Array2::zeros((2, a.len()));
        samples.row_mut(0).assign(&a);
        samples.row_mut(1).assign(&b);
        let dots = PairDots::from_samples(&samples, 0, 1)?;
        Ok(Pair {
            samples,
            classes,
            rows: [usize::MAX, usize::MAX],
            dots,
        })
    }

    /// Targets (2×10): +1 at each sample's class.
    pub fn targets(&self) -> Array2<f64> {
        data::targets_for(&self.classes)
    }

    /// Whether ‖aA + bB‖∞ = |a| + |b| for all a, b (spec §5.4: some pixel with A = B = −1 and
    /// pixels with A = −B = ±1), the condition under which the reduced system is exact.
    pub fn norm_condition(&self) -> bool {
        let (a, b) = (self.samples.row(0), self.samples.row(1));
        let hit = |fa: f64, fb: f64| a.iter().zip(b.iter()).any(|(&x, &y)| x == fa && y == fb);
        hit(-1.0, -1.0) && hit(1.0, -1.0) && hit(-1.0, 1.0)
    }

    /// Memory image αA + βB.
    pub fn image(&self, alpha: f64, beta: f64) -> Array1<f64> {
        &self.samples.row(0) * alpha + &self.samples.row(1) * beta
    }

    /// Coefficients (α, β) of each row of `memories` on (A, B): the least-squares (pinv) solution,
    /// i.e. the Gram system [[d_AA, d_AB], [d_AB, d_BB]] (α, β) = (A·M, B·M).
    pub fn coefficients(&self, memories: &Array2<f64>) -> Vec<[f64; 2]> {
        let d = self.dots;
        let det = d.aa * d.bb - d.ab * d.ab;
        memories
            .rows()
            .into_iter()
            .map(|m| {
                let (pa, pb) = (self.samples.row(0).dot(&m), self.samples.row(1).dot(&m));
                [(d.bb * pa - d.ab * pb) / det, (d.aa * pb - d.ab * pa) / det]
            })
            .collect()
    }
}

/// Choose a pair of classes (a, b) from `set`: the rows whose dot products are closest (relative
/// Euclidean distance) to `target`, among pairs meeting [`Pair::norm_condition`].
pub fn closest_pair(set: &TrainingSet, classes: [usize; 2], target: PairDots) -> Result<Pair> {
    let rows = |c: usize| (0..set.digits.len()).filter(move |&p| set.digits[p] == c);
    let mut best: Option<(f64, Pair)> = None;
    for i in rows(classes[0]) {
        for j in rows(classes[1]) {
            if i == j {
                continue;
            }
            let p = Pair::of_rows(set, i, j)?;
            if !p.norm_condition() {
                continue;
            }
            let d = p.dots;
            let dist = ((d.aa - target.aa) / target.aa).powi(2)
                + ((d.ab - target.ab) / target.ab).powi(2)
                + ((d.bb - target.bb) / target.bb).powi(2);
            if best.as_ref().is_none_or(|(b, _)| dist < *b) {
                best = Some((dist, p));
            }
        }
    }
    best.map(|(_, p)| p).ok_or_else(|| {
        Error::invalid(
            "training set",
            format!("no pair of classes {classes:?} with ‖aA + bB‖∞ = |a| + |b|"),
        )
    })
}

/// A recorded full-trainer run of K memories on a pair.
#[derive(Debug, Clone)]
pub struct PairRun {
    /// Recorded epochs (0 = initial state, then after each epoch).
    pub epochs: Vec<usize>,
    /// Coefficient on A of each memory (E×K).
    pub alpha: Array2<f64>,
    /// Coefficient on B (E×K).
    pub beta: Array2<f64>,
    /// ℓ_μ = (ℓ_{μ,a} − ℓ_{μ,b})/2 (E×K).
    pub ell: Array2<f64>,
    /// Memories at the requested snapshot epochs (epoch, K×784).
    pub snapshots: Vec<(usize, Array2<f64>)>,
    /// The final state.
    pub last: State,
}

/// The trainer on the pair: one minibatch [A, B], label-weighted form, μ = 0, normalisation.
pub fn trainer(pair: &Pair, n: f64, temperature: f64, eta: f64) -> Result<Trainer> {
    let mut hyper = Hyper::paper(Params { n, m: n, temperature });
    hyper.rate = eta;
    Trainer::new(
        Form::LabelWeighted,
        hyper,
        pair.samples.clone(),
        pair.targets(),
        vec![vec![0, 1]],
        0,
        faer::Par::Seq,
    )
}

/// One recorded epoch: (epoch, coefficients per memory, ℓ per memory).
type Record = (usize, Vec<[f64; 2]>, Vec<f64>);

/// Train from `init` for `epochs` epochs, recording the reduced coordinates every `every` epochs
/// (and the last) and the memories at `snapshots`.
#[allow(clippy::too_many_arguments)]
pub fn train(
    pair: &Pair,
    n: f64,
    temperature: f64,
    eta: f64,
    epochs: usize,
    init: State,
    every: usize,
    snapshots: &[usize],
) -> Result<PairRun> {
    let mut tr = trainer(pair, n, temperature, eta)?;
    let mut st = init;
    let k = st.memories.nrows();
    let (ca, cb) = (pair.classes[0], pair.classes[1]);
    let mut rec: Vec<Record> = Vec::new();
    let mut snaps = Vec::new();
    let record = |st: &State, e: usize, rec: &mut Vec<Record>| {
        let ell = (0..k)
            .map(|m| 0.5 * (st.labels[[m, ca]] - st.labels[[m, cb]]))
            .collect();
        rec.push((e, pair.coefficients(&st.memories), ell));
    };
    let mut observe = |e: usize, st: &State| {
        if e.is_multiple_of(every.max(1)) || e == epochs {
            record(st, e, &mut rec);
        }
        if snapshots.contains(&e) {
            snaps.push((e, st.memories.clone()));
        }
    };
    observe(0, &st);
    tr.run_epochs(&mut st, 0..epochs, |e, st| {
        if !st.is_finite() {
            return Err(Error::Diverged(format!(
                "two-sample run n = {n}, T = {temperature}: non-finite state at epoch {}",
                e - 1
            )));
        }
        observe(e, st);
        Ok(())
    })?;
    let rows = rec.len();
    let alpha = Array2::from_shape_fn((rows, k), |(i, m)| rec[i].1[m][0]);
    let beta = Array2::from_shape_fn((rows, k), |(i, m)| rec[i].1[m][1]);
    let ell = Array2::from_shape_fn((rows, k), |(i, m)| rec[i].2[m]);
    Ok(PairRun {
        epochs: rec.iter().map(|r| r.0).collect(),
        alpha,
        beta,
        ell,
        snapshots: snaps,
        last: st,
    })
}

/// Purple (memory) and orange (label) as in paper Fig. 5.
pub const MEMORY_COLOR: RGBColor = RGBColor(0x7b, 0x2c, 0xbf);
/// Label nullcline colour.
pub const LABEL_COLOR: RGBColor = RGBColor(0xff, 0x8c, 0x00);

/// The memory and label nullclines of the reduced system on the upper face β = 1 − α, α ∈ [0, 1]
/// (spec §5.4), as curves in the (ℓ, α) plane.
pub fn nullcline_series(sys: &TwoMemory, c: Control) -> Vec<Series> {
    let mut out = Vec::new();
    for (kind, color, name) in [
        (Kind::Memory, MEMORY_COLOR, "memory nullcline"),
        (Kind::Label, LABEL_COLOR, "label nullcline"),
    ] {
        let mut first = true;
        for piece in nullcline(sys, c, kind, &NullclineOptions::default()) {
            if piece.ell.len() < 2 {
                continue;
            }
            out.push(Series {
                label: if first { name.into() } else { String::new() },
                x: piece.ell.clone(),
                y: piece.alpha.clone(),
                color: Some(color),
                width: 3,
                ..Default::default()
            });
            first = false;
        }
    }
    out
}

/// The flow (ℓ̇, α̇)·[σ > 0] on the upper face (spec §5.4 stream plots) on a grid of ℓ ∈ [−1, 1],
/// α ∈ [a0, a1].
pub fn flow_field(sys: &TwoMemory, c: Control, alpha_range: (f64, f64), cells: usize) -> VectorField {
    let lin = |lo: f64, hi: f64| -> Vec<f64> {
        (0..cells)
            .map(|i| lo + (hi - lo) * (i as f64 + 0.5) / cells as f64)
            .collect()
    };
    VectorField::sample(lin(-1.0, 1.0), lin(alpha_range.0, alpha_range.1), |l, a| {
        let (ad, ld, out) = sys.upper_boundary_field(a.clamp(0.0, 1.0), l, c);
        if out { (ld, ad) } else { (0.0, 0.0) }
    })
}

/// Fixed points on the upper face (α, β ≥ 0) of the reduced system.
pub fn upper_fixed_points(sys: &TwoMemory, c: Control) -> Vec<FixedPoint> {
    let mut fps: Vec<FixedPoint> = crate::reduced::fixed_points::fixed_points(sys, c, Default::default())
        .into_iter()
        .filter(|f| f.alpha >= -1e-9 && f.beta >= -1e-9)
        .collect();
    fps.sort_by(|a, b| a.ell.total_cmp(&b.ell));
    fps
}

/// The stable fixed points on the whole diamond boundary (any signs of α, β).
pub fn stable_fixed_points(sys: &TwoMemory, c: Control) -> Vec<FixedPoint> {
    crate::reduced::fixed_points::fixed_points(sys, c, Default::default())
        .into_iter()
        .filter(|f| f.stability == Stability::Stable)
        .collect()
}

/// Fixed points as phase-plane markers in the (ℓ, α) plane.
pub fn markers(fps: &[FixedPoint]) -> Vec<CriticalPoint> {
    fps.iter()
        .map(|f| CriticalPoint {
            x: f.ell,
            y: f.alpha,
            kind: match f.stability {
                Stability::Stable => CriticalKind::Stable,
                Stability::Saddle | Stability::Marginal => CriticalKind::Saddle,
                Stability::Unstable => CriticalKind::Unstable,
            },
        })
        .collect()
}

/// Short name of a stability.
pub fn stability_name(s: Stability) -> &'static str {
    match s {
        Stability::Stable => "stable",
        Stability::Saddle => "saddle",
        Stability::Marginal => "marginal",
        Stability::Unstable => "unstable",
    }
}
