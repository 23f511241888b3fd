//! Persistent splits with threshold-free split epochs (issue 18; `docs/landscape.md`).
//!
//! Memories linger at a saddle and then depart from it gradually: the RMS distance d_t(a, b) of
//! two memories that end in different groups rises from the saddle's noise floor to its final
//! value d_E(a, b) over tens to hundreds of epochs. Any fixed distance τ is crossed at a time that
//! depends on τ; the **half-departure time** of the pair,
//!
//!   t½(a, b) = the last epoch at which d_t(a, b) rises through ½ d_E(a, b)
//!
//! (linear interpolation between records), does not: it is the midpoint of the pair's own
//! departure, scale-free (doubling every distance leaves it unchanged) and, being interpolated,
//! insensitive to the record interval. Taking the *last* up-crossing makes a split persistent: a
//! pair that parts, comes back and parts again is dated by its final departure, and a pair that
//! ends together never parts. Pairs whose final distance is below half the largest final distance
//! count as not departed (t½ = the last epoch): they end in one basin, and their remaining
//! distance is within-basin spread, not a split.
//!
//! **The tree.** Average linkage (UPGMA) on δ(a, b) = t_E − t½(a, b) joins first the memories
//! that parted last; a join at height h is a split at epoch t_E − h, the mean half-departure time
//! of the pairs it separates. UPGMA heights are monotone, so children always split after their
//! parent, and the tree has no rejoin by construction. A join is a **split** when its groups end
//! apart: the RMS distance between their final centroids,
//!
//!   s²(G, H) = mean_{G×H} d² − ½ mean_{G×G} d² − ½ mean_{H×H} d²,
//!
//! is at least τ (the clade tolerance, default 10 η). τ therefore only decides which joins count
//! (how fine the leaves are), never when a split happens. Joins that are not splits are dissolved
//! into their nearest split ancestor; the groups below no split are the leaves. The split epoch is
//! the join's t_E − h: monotone down the tree, unlike the departure landmarks below (a child's
//! separation can start rising before its parent's has finished).
//!
//! **The departure of a split.** For its children G, H (pairs of children for a multifurcation)
//! the centroid separation s_t(G, H) at every record gives the departure curve: `onset` and
//! `complete` are its last rises through 10 % and 90 % of the final separation, `half` through
//! 50 %; they bracket `epoch` and describe how long the departure takes.
//!
//! Cost: O(E·K²) for the crossing times, O(K³) for the linkage (K memories; 0.01 s for K = 100).

use ndarray::Array2;
use serde::{Deserialize, Serialize};

/// Children each holding at least this fraction of the memories make a *major* split.
pub const MAJOR_FRACTION: f64 = 0.1;

/// Pairs whose final distance is below this fraction of the largest final distance have not
/// departed from each other (see the module docs).
pub const SAME_BASIN_FRACTION: f64 = 0.5;

/// The departure of one split: when the children's centroid separation rises through 10 %, 50 %
/// and 90 % of its final value (epochs, interpolated).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Departure {
    /// Rise through 10 % of the final separation.
    pub onset: f64,
    /// Rise through 50 %.
    pub half: f64,
    /// Rise through 90 %.
    pub complete: f64,
    /// Final RMS separation of the children's centroids.
    pub final_separation: f64,
}

/// One node of the persistent tree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PersistentNode {
    /// Node id (index).
    pub id: usize,
    /// Parent id (None for the root).
    pub parent: Option<usize>,
    /// Children ids (empty for a leaf).
    pub children: Vec<usize>,
    /// Member memories, sorted.
    pub members: Vec<usize>,
    /// Number of members.
    pub size: usize,
    /// The epoch the node begins: its parent's split epoch (the first record for the root).
    pub epoch_start: f64,
    /// The epoch it ends: its split epoch, or the last record for a leaf.
    pub epoch_end: f64,
    /// Split epoch: the mean half-departure time t½ of the pairs it separates (the linkage's
    /// height; never earlier than the parent's; None for a leaf).
    pub split_epoch: Option<f64>,
    /// The departure curve's landmarks, for a split.
    pub departure: Option<Departure>,
    /// Whether each of its children holds at least [`MAJOR_FRACTION`] of all memories.
    pub major: bool,
}

/// The persistent split tree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PersistentTree {
    /// The tolerance τ deciding which joins are splits (RMS distance).
    pub tolerance: f64,
    /// Every node (index = id); node 0 is the root.
    pub nodes: Vec<PersistentNode>,
}

/// Half-departure time of every pair (K×K, symmetric, epochs) from the squared RMS distances of
/// every record (`dist_sq[t]`, K×K) at `epochs[t]`.
pub fn half_departure_times(dist_sq: &[&Array2<f64>], epochs: &[f64]) -> Array2<f64> {
    let Some(fin) = dist_sq.last() else {
        return Array2::zeros((0, 0));
    };
    let k = fin.nrows();
    let last = epochs.last().copied().unwrap_or(0.0);
    let dmax = fin.iter().fold(0.0f64, |m, &v| m.max(v)).sqrt();
    let mut t = Array2::from_elem((k, k), last);
    for a in 0..k {
        for b in a + 1..k {
            let d_final = fin[[a, b]].sqrt();
            if d_final < SAME_BASIN_FRACTION * dmax {
                continue;
            }
            let series = dist_sq.iter().map(|d| d[[a, b]].sqrt());
            let v = last_rise(series, epochs, 0.5 * d_final);
            t[[a, b]] = v;
            t[[b, a]] = v;
        }
    }
    t
}

/// The last epoch at which `series` (one value per record) rises through `level` (interpolated);
/// the first epoch when it never lies below.
pub fn last_rise(series: impl Iterator<Item = f64>, epochs: &[f64], level: f64) -> f64 {
    let mut at = epochs.first().copied().unwrap_or(0.0);
    let mut prev: Option<f64> = None;
    for (i, v) in series.enumerate() {
        if let Some(p) = prev
            && p < level
            && v >= level
        {
            let f = (level - p) / (v - p);
            at = epochs[i - 1] + f * (epochs[i] - epochs[i - 1]);
        }
        prev = Some(v);
    }
    at
}

/// A join of the average-linkage hierarchy: two clusters at height `height`.
#[derive(Debug, Clone)]
struct Join {
    left: Cluster,
    right: Cluster,
    height: f64,
}

/// A cluster of the hierarchy: one memory or a join.
#[derive(Debug, Clone)]
enum Cluster {
    Memory(usize),
    Join(Box<Join>),
}

impl Cluster {
    fn members(&self, out: &mut Vec<usize>) {
        match self {
            Cluster::Memory(a) => out.push(*a),
            Cluster::Join(j) => {
                j.left.members(out);
                j.right.members(out);
            }
        }
    }
}

/// Average linkage (UPGMA) on the dissimilarities `delta` (K×K): merges the closest pair of
/// clusters until one is left (ties: the pair with the smallest indices; O(K³), written here
/// because the crates at hand either lack average linkage or bring a large dependency for it).
fn upgma(delta: &Array2<f64>) -> Option<Cluster> {
    let k = delta.nrows();
    let mut clusters: Vec<Option<(Cluster, usize)>> = (0..k).map(|a| Some((Cluster::Memory(a), 1))).collect();
    let mut d = delta.clone();
    for _ in 1..k {
        let mut best: Option<(usize, usize, f64)> = None;
        for i in 0..k {
            if clusters[i].is_none() {
                continue;
            }
            for j in i + 1..k {
                if clusters[j].is_some() && best.is_none_or(|(_, _, b)| d[[i, j]] < b) {
                    best = Some((i, j, d[[i, j]]));
                }
            }
        }
        let (i, j, h) = best?;
        let (ci, ni) = clusters[i].take()?;
        let (cj, nj) = clusters[j].take()?;
        for m in 0..k {
            if m != i && m != j && clusters[m].is_some() {
                let v = (ni as f64 * d[[i, m]] + nj as f64 * d[[j, m]]) / (ni + nj) as f64;
                d[[i, m]] = v;
                d[[m, i]] = v;
            }
        }
        clusters[i] = Some((
            Cluster::Join(Box::new(Join {
                left: ci,
                right: cj,
                height: h,
            })),
            ni + nj,
        ));
    }
    clusters.into_iter().flatten().next().map(|(c, _)| c)
}

/// Squared RMS distance between the centroids of groups `g` and `h` from their squared pairwise
/// distances: s² = mean_{G×H} d² − ½ mean_{G×G} d² − ½ mean_{H×H} d² (clamped at 0).
pub fn centroid_separation_sq(g: &[usize], h: &[usize], dist_sq: &Array2<f64>) -> f64 {
    let mean = |x: &[usize], y: &[usize]| {
        let s: f64 = x
            .iter()
            .flat_map(|&a| y.iter().map(move |&b| dist_sq[[a, b]]))
            .sum();
        s / (x.len() * y.len()) as f64
    };
    (mean(g, h) - 0.5 * mean(g, g) - 0.5 * mean(h, h)).max(0.0)
}

/// What a subtree contributes to its nearest split ancestor.
enum Unit {
    /// A group below which nothing splits (a leaf).
    Leaf(Vec<usize>),
    /// A split: its epoch and its children's units.
    Split(f64, Vec<Unit>),
}

impl Unit {
    fn members(&self, out: &mut Vec<usize>) {
        match self {
            Unit::Leaf(m) => out.extend(m),
            Unit::Split(_, kids) => kids.iter().for_each(|u| u.members(out)),
        }
    }
}

/// The units of `c`: joins whose halves end at least `tol` apart (and part before the last epoch)
/// are splits, the others dissolve into their nearest split ancestor.
fn units(c: &Cluster, fin: &Array2<f64>, last: f64, tol: f64) -> Vec<Unit> {
    match c {
        Cluster::Memory(a) => vec![Unit::Leaf(vec![*a])],
        Cluster::Join(j) => {
            let mut kids = units(&j.left, fin, last, tol);
            kids.extend(units(&j.right, fin, last, tol));
            let (mut l, mut r) = (Vec::new(), Vec::new());
            j.left.members(&mut l);
            j.right.members(&mut r);
            let apart = j.height > 0.0 && centroid_separation_sq(&l, &r, fin).sqrt() >= tol;
            if apart {
                vec![Unit::Split(last - j.height, kids)]
            } else if kids.iter().all(|u| matches!(u, Unit::Leaf(_))) {
                let mut m = l;
                m.extend(r);
                m.sort_unstable();
                vec![Unit::Leaf(m)]
            } else {
                kids
            }
        }
    }
}

impl PersistentTree {
    /// The persistent tree of a trajectory given the squared RMS distances of every record
    /// (`dist_sq[t]`, K×K, at `epochs[t]`) and the tolerance `tol` (RMS).
    pub fn build(dist_sq: &[&Array2<f64>], epochs: &[f64], tol: f64) -> PersistentTree {
        let mut tree = PersistentTree {
            tolerance: tol,
            nodes: Vec::new(),
        };
        let (Some(fin), Some(&first), Some(&last)) = (dist_sq.last(), epochs.first(), epochs.last()) else {
            return tree;
        };
        let k = fin.nrows();
        let t_half = half_departure_times(dist_sq, epochs);
        let delta = t_half.mapv(|t| (last - t).max(0.0));
        let Some(root) = upgma(&delta) else {
            return tree;
        };
        let mut top = units(&root, fin, last, tol);
        let unit = if top.len() == 1 {
            top.pop()
        } else {
            // Only when the root join is no split but joins below it are: the root parts at the
            // earliest of them.
            let epoch = top
                .iter()
                .filter_map(|u| match u {
                    Unit::Split(e, _) => Some(*e),
                    Unit::Leaf(_) => None,
                })
                .fold(last, f64::min);
            Some(Unit::Split(epoch, top))
        };
        if let Some(u) = unit {
            tree.add(&u, None, first, k, dist_sq, epochs);
        }
        tree
    }

    /// Add `u` (and its descendants) as a node under `parent`, beginning at `start`.
    fn add(
        &mut self,
        u: &Unit,
        parent: Option<usize>,
        start: f64,
        k: usize,
        dist_sq: &[&Array2<f64>],
        epochs: &[f64],
    ) -> usize {
        let mut members = Vec::new();
        u.members(&mut members);
        members.sort_unstable();
        let id = self.nodes.len();
        let last = epochs.last().copied().unwrap_or(0.0);
        let (split_epoch, departure, major) = match u {
            Unit::Leaf(_) => (None, None, false),
            Unit::Split(e, kids) => {
                let groups: Vec<Vec<usize>> = kids
                    .iter()
                    .map(|c| {
                        let mut m = Vec::new();
                        c.members(&mut m);
                        m
                    })
                    .collect();
                let min = (MAJOR_FRACTION * k as f64).ceil().max(2.0) as usize;
                let major = groups.iter().filter(|g| g.len() >= min).count() >= 2;
                (Some(*e), Some(departure(&groups, dist_sq, epochs)), major)
            }
        };
        self.nodes.push(PersistentNode {
            id,
            parent,
            children: Vec::new(),
            size: members.len(),
            members,
            epoch_start: start,
            epoch_end: split_epoch.unwrap_or(last),
            split_epoch,
            departure,
            major,
        });
        if let Unit::Split(_, kids) = u {
            for c in kids {
                let child = self.add(c, Some(id), split_epoch.unwrap_or(last), k, dist_sq, epochs);
                self.nodes[id].children.push(child);
            }
        }
        id
    }

    /// The splits (nodes with children), by split epoch.
    pub fn splits(&self) -> Vec<&PersistentNode> {
        let mut s: Vec<&PersistentNode> = self.nodes.iter().filter(|n| !n.children.is_empty()).collect();
        s.sort_by(|a, b| {
            a.split_epoch
                .unwrap_or(0.0)
                .total_cmp(&b.split_epoch.unwrap_or(0.0))
        });
        s
    }
}

/// The departure landmarks of children `groups`: the RMS centroid separation, averaged (in
/// squares) over pairs of children, at every record; its last rises through 10, 50, 90 % of the
/// final value.
fn departure(groups: &[Vec<usize>], dist_sq: &[&Array2<f64>], epochs: &[f64]) -> Departure {
    let sep = |d: &Array2<f64>| {
        let (mut s, mut n) = (0.0, 0);
        for (i, g) in groups.iter().enumerate() {
            for h in &groups[i + 1..] {
                s += centroid_separation_sq(g, h, d);
                n += 1;
            }
        }
        (s / n.max(1) as f64).sqrt()
    };
    let curve: Vec<f64> = dist_sq.iter().map(|d| sep(d)).collect();
    let fin = curve.last().copied().unwrap_or(0.0);
    let at = |f: f64| last_rise(curve.iter().copied(), epochs, f * fin);
    Departure {
        onset: at(0.1),
        half: at(0.5),
        complete: at(0.9),
        final_separation: fin,
    }
}

/// One split of the persistent tree in words, as `summary.json` (`persistent_splits`) and the
/// report give it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SplitSummary {
    /// Split epoch (mean half-departure time of the pairs it separates).
    pub epoch: f64,
    /// The departure: rise through 10 % and 90 % of the final separation.
    pub onset: f64,
    /// See `onset`.
    pub complete: f64,
    /// Parent node id in `persistent-tree.json`.
    pub parent: usize,
    /// Children node ids.
    pub children: Vec<usize>,
    /// Children sizes.
    pub children_sizes: Vec<usize>,
    /// Whether it is a major split (children each ≥ 10 % of the memories).
    pub major: bool,
    /// The parent's mean class-aggregated ᾱ in words at the last record before the onset (not
    /// before the parent begins): the saddle the children leave.
    pub saddle_state: String,
    /// Each child's mean ᾱ in words at the first record after the departure is complete.
    pub children_states: Vec<String>,
    /// Each child's final identities, e.g. "7×(1) 1×(4)".
    pub children_fates: Vec<String>,
    /// The saddle: its state, residence, splitting matrix and mode ([`super::saddle`]; filled by
    /// [`super::Analysis::explain_splits`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub saddle: Option<super::saddle::Saddle>,
}

/// The record index at or before `epoch` (0 if none), and the one at or after it (the last if none).
fn records_around(epochs: &[f64], epoch: f64) -> (usize, usize) {
    let after = epochs
        .iter()
        .position(|&e| e >= epoch)
        .unwrap_or(epochs.len().saturating_sub(1));
    let before = epochs.iter().rposition(|&e| e <= epoch).unwrap_or(0);
    (before, after)
}

/// Final identities of `members` in words: "count×(class)" by decreasing count.
pub fn fates_in_words(members: &[usize], fate: &[usize]) -> String {
    let mut counts = [0usize; crate::data::CLASSES];
    for &m in members {
        if let Some(c) = fate.get(m).and_then(|&f| counts.get_mut(f)) {
            *c += 1;
        }
    }
    let mut idx: Vec<usize> = (0..counts.len()).filter(|&c| counts[c] > 0).collect();
    idx.sort_by(|&a, &b| counts[b].cmp(&counts[a]).then(a.cmp(&b)));
    idx.iter()
        .map(|&c| format!("{}×({c})", counts[c]))
        .collect::<Vec<_>>()
        .join(" ")
}

impl PersistentTree {
    /// Every split in words, by epoch: `alpha_class` is E×K×C at `epochs` (the records the tree
    /// was built from), `fate` the final identity of every memory.
    pub fn describe(
        &self,
        epochs: &[f64],
        alpha_class: &ndarray::Array3<f64>,
        fate: &[usize],
    ) -> Vec<SplitSummary> {
        use ndarray::Axis;
        let state = |frame: usize, members: &[usize]| {
            let a = alpha_class.index_axis(Axis(0), frame).select(Axis(0), members);
            a.mean_axis(Axis(0))
                .map_or_else(String::new, |m| super::identity::describe_alpha(m.view()))
        };
        self.splits()
            .into_iter()
            .filter_map(|n| {
                let d = n.departure.as_ref()?;
                let (saddle, _) = records_around(epochs, d.onset.max(n.epoch_start));
                let (_, apart) = records_around(epochs, d.complete);
                let kids: Vec<&PersistentNode> = n.children.iter().map(|&c| &self.nodes[c]).collect();
                Some(SplitSummary {
                    epoch: n.split_epoch?,
                    onset: d.onset,
                    complete: d.complete,
                    parent: n.id,
                    children: n.children.clone(),
                    children_sizes: kids.iter().map(|c| c.size).collect(),
                    major: n.major,
                    saddle_state: state(saddle, &n.members),
                    children_states: kids.iter().map(|c| state(apart, &c.members)).collect(),
                    children_fates: kids.iter().map(|c| fates_in_words(&c.members, fate)).collect(),
                    saddle: None,
                })
            })
            .collect()
    }
}

/// The splits as indented text lines (`major_only`: only the major ones).
pub fn splits_text(splits: &[SplitSummary], major_only: bool) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    for s in splits.iter().filter(|s| s.major || !major_only) {
        let _ = writeln!(
            out,
            "  epoch {:.0} (departure {:.0}–{:.0}): saddle {}  →",
            s.epoch, s.onset, s.complete, s.saddle_state
        );
        if let Some(sd) = &s.saddle {
            let lingered = sd
                .residence
                .as_ref()
                .map_or_else(String::new, |r| format!(", lingered {:.0} epochs", r.epochs));
            let _ = write!(
                out,
                "      saddle record {} ({}{lingered})",
                sd.epoch, sd.labels_in_words
            );
            if let Some(m) = &sd.mode {
                let _ = write!(
                    out,
                    "; splitting mode ×{:.4}/epoch, |cos| with the split {:.2}",
                    m.growth_per_epoch, m.cosine_observed
                );
            }
            if let Some(sm) = &sd.splitting_matrix {
                let _ = write!(out, " (loss curvature {:.2})", sm.cosine_observed);
            }
            let _ = writeln!(out);
        }
        for ((size, state), fates) in s
            .children_sizes
            .iter()
            .zip(&s.children_states)
            .zip(&s.children_fates)
        {
            let _ = writeln!(out, "      {size:>3} memories: {state}   [final: {fates}]");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    /// Squared distances of points `x` (K×D) over RMS: ‖x_a − x_b‖² / D.
    fn dsq(x: &Array2<f64>) -> Array2<f64> {
        let (k, d) = x.dim();
        Array2::from_shape_fn((k, k), |(a, b)| {
            (0..d).map(|j| (x[[a, j]] - x[[b, j]]).powi(2)).sum::<f64>() / d as f64
        })
    }

    /// A planted history: K memories in 1-D-per-group coordinates; group g's centre departs from
    /// its parent's along its own axis as a logistic of midpoint `mid` and width `w` (a linger,
    /// an exponential departure, saturation), plus small fixed noise.
    fn planted(
        epochs: &[f64],
        groups: &[(Vec<usize>, f64, f64)],
        k: usize,
        dim: usize,
        noise: f64,
    ) -> Vec<Array2<f64>> {
        epochs
            .iter()
            .map(|&t| {
                let mut x = Array2::zeros((k, dim));
                for (axis, (members, mid, w)) in groups.iter().enumerate() {
                    let s = 1.0 / (1.0 + (-(t - mid) / w).exp());
                    for &a in members {
                        x[[a, axis]] += s;
                    }
                }
                for a in 0..k {
                    for j in 0..dim {
                        // a deterministic pseudo-random offset per (memory, pixel)
                        let h = ((a * 7919 + j * 104_729) % 1000) as f64 / 1000.0 - 0.5;
                        x[[a, j]] += noise * h;
                    }
                }
                dsq(&x)
            })
            .collect()
    }

    fn build(frames: &[Array2<f64>], epochs: &[f64], tol: f64) -> PersistentTree {
        let refs: Vec<&Array2<f64>> = frames.iter().collect();
        PersistentTree::build(&refs, epochs, tol)
    }

    #[test]
    fn planted_splits_are_found_at_their_midpoints_for_every_tolerance_and_record_interval() {
        // 12 memories: {0..5} leave the rest at t = 400 (width 30); inside it {0,1,2} leave
        // {3,4,5} at t = 900 (width 40); {6..11} stay.
        let k = 12;
        let groups = vec![((0..6).collect(), 400.0, 30.0), ((0..3).collect(), 900.0, 40.0)];
        for step in [10.0, 20.0] {
            let epochs: Vec<f64> = (0..=150)
                .map(|i| i as f64 * step)
                .filter(|&e| e <= 1500.0)
                .collect();
            let frames = planted(&epochs, &groups, k, 8, 1e-3);
            for tol in [0.02, 0.05, 0.1, 0.2] {
                let tree = build(&frames, &epochs, tol);
                let s = tree.splits();
                assert_eq!(s.len(), 2, "step {step}, τ {tol}: {:?}", tree.nodes);
                assert_eq!(s[0].size, 12);
                let kids: Vec<usize> = s[0].children.iter().map(|&c| tree.nodes[c].size).collect();
                assert_eq!(kids, vec![6, 6]);
                assert_eq!(s[1].members, vec![0, 1, 2, 3, 4, 5]);
                // The midpoint of a logistic departure is its half-rise time: within two records
                // (the first split's final separation also holds the later one's motion).
                let e0 = s[0].split_epoch.expect("epoch");
                let e1 = s[1].split_epoch.expect("epoch");
                assert!(
                    (e0 - 400.0).abs() <= 2.0 * step,
                    "step {step} τ {tol}: first split at {e0}"
                );
                assert!(
                    (e1 - 900.0).abs() <= 2.0 * step,
                    "step {step} τ {tol}: second split at {e1}"
                );
                let d = s[1].departure.as_ref().expect("departure");
                assert!(d.onset < d.half && d.half < d.complete, "{d:?}");
                // logistic: 10 % and 90 % at mid ∓ w·ln 9
                assert!(
                    (d.onset - (900.0 - 40.0 * 9f64.ln())).abs() <= 2.0 * step,
                    "{d:?}"
                );
                assert!(
                    (d.complete - (900.0 + 40.0 * 9f64.ln())).abs() <= 2.0 * step,
                    "{d:?}"
                );
            }
        }
    }

    #[test]
    fn no_split_gives_one_node() {
        let epochs: Vec<f64> = (0..50).map(|i| i as f64 * 10.0).collect();
        let frames = planted(&epochs, &[], 10, 4, 1e-3);
        let tree = build(&frames, &epochs, 0.05);
        assert_eq!(tree.nodes.len(), 1);
        assert_eq!(tree.nodes[0].size, 10);
        assert!(tree.splits().is_empty());
    }

    #[test]
    fn a_member_that_leaves_and_returns_makes_no_split_and_a_pair_is_dated_by_its_last_departure() {
        // Memory 0 leaves everyone at t = 200 and comes back by t = 500 (a bump); {0..4} leave the
        // rest for good at t = 800.
        let epochs: Vec<f64> = (0..=120).map(|i| i as f64 * 10.0).collect();
        let k = 10;
        let frames: Vec<Array2<f64>> = epochs
            .iter()
            .map(|&t| {
                let mut x = Array2::zeros((k, 3));
                let bump = (-((t - 350.0) / 80.0).powi(2)).exp();
                x[[0, 0]] = 2.0 * bump;
                let s = 1.0 / (1.0 + (-(t - 800.0) / 30.0).exp());
                for a in 0..5 {
                    x[[a, 1]] = s;
                }
                for a in 0..k {
                    x[[a, 2]] = 1e-3 * a as f64;
                }
                dsq(&x)
            })
            .collect();
        for tol in [0.03, 0.1] {
            let tree = build(&frames, &epochs, tol);
            let s = tree.splits();
            assert_eq!(s.len(), 1, "τ {tol}: {:?}", tree.nodes);
            let e = s[0].split_epoch.expect("epoch");
            assert!((e - 800.0).abs() <= 10.0, "{e}");
            let sizes: Vec<usize> = s[0].children.iter().map(|&c| tree.nodes[c].size).collect();
            assert_eq!(sizes, vec![5, 5]);
            assert!(s[0].major);
        }
    }

    #[test]
    fn centroid_separation_matches_the_centroids() {
        let x = Array2::from_shape_fn((5, 3), |(a, j)| ((a * 3 + j) as f64).sin());
        let d = dsq(&x);
        let (g, h) = (vec![0, 1], vec![2, 3, 4]);
        let cg: Vec<f64> = (0..3)
            .map(|j| g.iter().map(|&a| x[[a, j]]).sum::<f64>() / 2.0)
            .collect();
        let ch: Vec<f64> = (0..3)
            .map(|j| h.iter().map(|&a| x[[a, j]]).sum::<f64>() / 3.0)
            .collect();
        let direct: f64 = (0..3).map(|j| (cg[j] - ch[j]).powi(2)).sum::<f64>() / 3.0;
        assert!((centroid_separation_sq(&g, &h, &d) - direct).abs() < 1e-12);
    }

    #[test]
    fn last_rise_interpolates_and_takes_the_last_crossing() {
        let epochs = [0.0, 10.0, 20.0, 30.0, 40.0];
        let v = [0.0, 1.0, 0.0, 0.5, 1.5];
        assert!((last_rise(v.iter().copied(), &epochs, 0.75) - 32.5).abs() < 1e-12);
        assert_eq!(last_rise([2.0, 3.0].into_iter(), &epochs, 1.0), 0.0);
    }
}
