//! Statistics over several runs (replicate seeds or training sets): learning-order ranks and
//! Kendall τ between runs (spec §3.7 with ties and never-learned classes handled, §7.6), split-tree
//! agreement, and fate probabilities P(final identity | clade state at epoch t).

use super::order::fractional_ranks;
use super::{Analysis, ClassOrder};
use crate::data::CLASSES;
use crate::error::{Error, Result};
use ndarray::{Array2, Array3, Axis};
use serde::Serialize;

/// What the ensemble statistics need from one run's analysis.
#[derive(Debug, Clone)]
pub struct RunDigest {
    /// A name for the run (its folder).
    pub name: String,
    /// Recorded epochs (E).
    pub epochs: Vec<usize>,
    /// Learning order of the run.
    pub learning_order: Vec<ClassOrder>,
    /// Final identity of every memory (K).
    pub fate: Vec<usize>,
    /// Clade id of every memory per record (E×K, −1 untracked).
    pub clade: Array2<i64>,
    /// Dominant class of the mean class-aggregated α of each memory's clade, per record (E×K;
    /// −1 untracked).
    pub clade_state: Array2<i64>,
    /// Per class: first epoch from which all memories of that final identity are committed.
    pub committed_epoch: Vec<Option<usize>>,
}

impl RunDigest {
    /// Digest an analysis.
    pub fn new(name: impl Into<String>, a: &Analysis) -> Self {
        let (e, k) = a.clade.dim();
        let mut clade_state = Array2::from_elem((e, k), -1i64);
        for t in 0..e {
            let ac = a.alpha_class.index_axis(Axis(0), t);
            let mut ids: Vec<i64> = a.clade.row(t).to_vec();
            ids.sort_unstable();
            ids.dedup();
            for id in ids.into_iter().filter(|&i| i >= 0) {
                let members: Vec<usize> = (0..k).filter(|&m| a.clade[[t, m]] == id).collect();
                let mean = ac.select(Axis(0), &members).mean_axis(Axis(0));
                let dom = mean.map_or(0, |m| crate::dam::model::argmax(m.view())) as i64;
                for m in members {
                    clade_state[[t, m]] = dom;
                }
            }
        }
        RunDigest {
            name: name.into(),
            epochs: a.epochs.clone(),
            learning_order: a.learning_order.clone(),
            fate: a.fate.clone(),
            clade: a.clade.clone(),
            clade_state,
            committed_epoch: a.committed_epoch.clone(),
        }
    }

    fn learned(&self, c: usize) -> Option<Option<usize>> {
        self.learning_order
            .iter()
            .find(|o| o.class == c && o.rank.is_some())
            .map(|o| o.learned_epoch)
    }

    /// Per pair of final identities (c < d, both present): the first epoch from which no memory of
    /// fate c shares a clade with one of fate d ("divergence epoch"; None if they never separate).
    pub fn divergence_epochs(&self) -> Vec<((usize, usize), Option<usize>)> {
        let present: Vec<usize> = (0..CLASSES).filter(|c| self.fate.contains(c)).collect();
        let (e, k) = self.clade.dim();
        let mut out = Vec::new();
        for (i, &c) in present.iter().enumerate() {
            for &d in &present[i + 1..] {
                let shares = |t: usize| {
                    (0..k).any(|x| {
                        self.fate[x] == c
                            && (0..k).any(|y| {
                                self.fate[y] == d
                                    && self.clade[[t, x]] >= 0
                                    && self.clade[[t, x]] == self.clade[[t, y]]
                            })
                    })
                };
                let mut t = e;
                while t > 0 && !shares(t - 1) {
                    t -= 1;
                }
                out.push(((c, d), (t < e).then(|| self.epochs[t])));
            }
        }
        out
    }
}

/// Divergence epochs of class pairs of one run.
type Divergences = Vec<((usize, usize), Option<usize>)>;

/// Kendall's τ-b between two paired samples (ties handled; NaN if either is constant).
pub fn kendall_tau_b(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len().min(y.len());
    let (mut conc, mut disc, mut tx, mut ty) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
    for i in 0..n {
        for j in i + 1..n {
            let dx = (x[i] - x[j]).signum() * ((x[i] != x[j]) as i32 as f64);
            let dy = (y[i] - y[j]).signum() * ((y[i] != y[j]) as i32 as f64);
            if dx == 0.0 && dy == 0.0 {
                continue;
            } else if dx == 0.0 {
                tx += 1.0;
            } else if dy == 0.0 {
                ty += 1.0;
            } else if dx == dy {
                conc += 1.0;
            } else {
                disc += 1.0;
            }
        }
    }
    let denom = ((conc + disc + tx) * (conc + disc + ty)).sqrt();
    if denom > 0.0 {
        (conc - disc) / denom
    } else {
        f64::NAN
    }
}

/// Learning-order statistics of one class over the runs.
#[derive(Debug, Clone, Serialize)]
pub struct ClassStats {
    /// The class.
    #[serde(rename = "class")]
    pub class: usize,
    /// Mean rank (1 = first; ties and never-learned classes as in [`fractional_ranks`]).
    pub mean_rank: f64,
    /// Standard deviation of the rank over runs (population, as numpy's default).
    pub sd_rank: f64,
    /// Mean learned epoch over the runs that learned the class (null if none did).
    pub mean_learned_epoch: Option<f64>,
    /// Standard deviation of that epoch.
    pub sd_learned_epoch: Option<f64>,
    /// Number of runs in which the class was never learned.
    pub never_learned: usize,
    /// Mean over runs of the epoch from which all memories of this final identity are committed.
    pub mean_committed_epoch: Option<f64>,
    /// Number of runs with at least one memory of this final identity.
    pub runs_with_memories: usize,
}

/// Summary of an ensemble of runs (`ensemble.json`).
#[derive(Debug, Clone, Serialize)]
pub struct Ensemble {
    /// Run names.
    pub runs: Vec<String>,
    /// Per-class learning-order statistics, sorted by mean rank.
    pub learning_order: Vec<ClassStats>,
    /// Learning order of each run (classes sorted by rank).
    pub run_orders: Vec<Vec<usize>>,
    /// Kendall τ-b between the learned epochs of every pair of runs (R×R).
    pub kendall_tau: Vec<Vec<f64>>,
    /// Mean off-diagonal Kendall τ.
    pub mean_kendall_tau: f64,
    /// Split-tree agreement: Kendall τ-b between the divergence epochs of class pairs of every
    /// pair of runs (R×R; pairs of classes that never separate count as latest).
    pub tree_agreement: Vec<Vec<f64>>,
    /// Mean off-diagonal tree agreement.
    pub mean_tree_agreement: f64,
    /// Epochs shared by all runs (the time axis of `fate_given_state`).
    pub common_epochs: Vec<usize>,
}

/// Mean and population standard deviation.
fn mean_sd(v: &[f64]) -> (f64, f64) {
    let n = v.len().max(1) as f64;
    let m = v.iter().sum::<f64>() / n;
    (m, (v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / n).sqrt())
}

fn off_diag_mean(m: &[Vec<f64>]) -> f64 {
    let v: Vec<f64> = (0..m.len())
        .flat_map(|i| (0..m.len()).filter(move |&j| j != i).map(move |j| (i, j)))
        .map(|(i, j)| m[i][j])
        .filter(|x| x.is_finite())
        .collect();
    if v.is_empty() {
        f64::NAN
    } else {
        v.iter().sum::<f64>() / v.len() as f64
    }
}

/// Ensemble statistics plus the fate table P(final identity | clade state at epoch t)
/// (T×C×C over the common epochs: entry [t, c, d] is the fraction of memories whose clade's
/// dominant α class at epoch t is c and whose final identity is d; NaN where no memory is in state c).
pub fn ensemble(runs: &[RunDigest]) -> Result<(Ensemble, Array3<f64>)> {
    if runs.is_empty() {
        return Err(Error::invalid("runs", "an ensemble needs at least one run"));
    }
    let classes: Vec<usize> = (0..CLASSES)
        .filter(|&c| runs.iter().all(|r| r.learned(c).is_some()))
        .collect();
    let times =
        |r: &RunDigest| -> Vec<Option<usize>> { classes.iter().map(|&c| r.learned(c).flatten()).collect() };
    let ranks: Vec<Vec<f64>> = runs.iter().map(|r| fractional_ranks(&times(r))).collect();
    let mut stats: Vec<ClassStats> = classes
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let rk: Vec<f64> = ranks.iter().map(|r| r[i]).collect();
            let (mean_rank, sd_rank) = mean_sd(&rk);
            let learned: Vec<f64> = runs
                .iter()
                .filter_map(|r| r.learned(c).flatten())
                .map(|e| e as f64)
                .collect();
            let committed: Vec<f64> = runs
                .iter()
                .filter_map(|r| r.committed_epoch.get(c).copied().flatten())
                .map(|e| e as f64)
                .collect();
            let (ml, sl) = mean_sd(&learned);
            ClassStats {
                class: c,
                mean_rank,
                sd_rank,
                mean_learned_epoch: (!learned.is_empty()).then_some(ml),
                sd_learned_epoch: (!learned.is_empty()).then_some(sl),
                never_learned: runs.len() - learned.len(),
                mean_committed_epoch: (!committed.is_empty()).then(|| mean_sd(&committed).0),
                runs_with_memories: runs.iter().filter(|r| r.fate.contains(&c)).count(),
            }
        })
        .collect();
    stats.sort_by(|a, b| a.mean_rank.total_cmp(&b.mean_rank).then(a.class.cmp(&b.class)));
    let run_orders = runs
        .iter()
        .map(|r| {
            r.learning_order
                .iter()
                .filter(|o| o.rank.is_some())
                .map(|o| o.class)
                .collect()
        })
        .collect();
    let key = |t: Option<usize>| t.map_or(f64::INFINITY, |v| v as f64);
    let r = runs.len();
    let kendall_tau: Vec<Vec<f64>> = (0..r)
        .map(|i| {
            (0..r)
                .map(|j| {
                    let x: Vec<f64> = times(&runs[i]).into_iter().map(key).collect();
                    let y: Vec<f64> = times(&runs[j]).into_iter().map(key).collect();
                    kendall_tau_b(&x, &y)
                })
                .collect()
        })
        .collect();
    let div: Vec<Divergences> = runs.iter().map(|r| r.divergence_epochs()).collect();
    let tree_agreement: Vec<Vec<f64>> = (0..r)
        .map(|i| {
            (0..r)
                .map(|j| {
                    let (mut x, mut y) = (Vec::new(), Vec::new());
                    for (pair, ti) in &div[i] {
                        if let Some((_, tj)) = div[j].iter().find(|(p, _)| p == pair) {
                            x.push(key(*ti));
                            y.push(key(*tj));
                        }
                    }
                    kendall_tau_b(&x, &y)
                })
                .collect()
        })
        .collect();
    let common_epochs: Vec<usize> = runs[0]
        .epochs
        .iter()
        .copied()
        .filter(|e| runs.iter().all(|r| r.epochs.binary_search(e).is_ok()))
        .collect();
    let mut counts = Array3::<f64>::zeros((common_epochs.len(), CLASSES, CLASSES));
    for run in runs {
        for (ti, e) in common_epochs.iter().enumerate() {
            let Ok(t) = run.epochs.binary_search(e) else {
                continue;
            };
            for (m, &fate) in run.fate.iter().enumerate() {
                let c = run.clade_state[[t, m]];
                if c >= 0 {
                    counts[[ti, c as usize, fate]] += 1.0;
                }
            }
        }
    }
    for mut row in counts.lanes_mut(Axis(2)) {
        let s: f64 = row.sum();
        row.mapv_inplace(|v| if s > 0.0 { v / s } else { f64::NAN });
    }
    let e = Ensemble {
        runs: runs.iter().map(|r| r.name.clone()).collect(),
        learning_order: stats,
        run_orders,
        mean_kendall_tau: off_diag_mean(&kendall_tau),
        kendall_tau,
        mean_tree_agreement: off_diag_mean(&tree_agreement),
        tree_agreement,
        common_epochs,
    };
    Ok((e, counts))
}
