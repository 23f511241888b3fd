//! The split tree ("Waddington tree"): JSON, Newick, a dendrogram table, and indented text.

use super::canalisation::fate_distribution;
use super::identity::{describe_alpha, dominant_class};
use super::splits::CladeTracker;
use crate::dam::model::argmax;
use ndarray::{Array1, Array3, Axis, s};
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;

/// The mean state of a clade at one recorded epoch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StateSummary {
    /// The recorded epoch.
    pub epoch: usize,
    /// Mean class-aggregated α of the members (10 values, paper eq. 2).
    pub alpha_class: Vec<f64>,
    /// Mean labels of the members (10 values).
    pub labels: Vec<f64>,
    /// argmax of the mean labels.
    pub dominant_label: usize,
    /// argmax of the mean class-aggregated α.
    pub dominant_alpha_class: usize,
    /// The state in words, e.g. "0.48·(4) + 0.47·(9)".
    pub description: String,
}

/// One node of the split tree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TreeNode {
    /// Node id (also the value in `landscape.npz`'s `clade` array).
    pub id: usize,
    /// Parent id (null for the root).
    pub parent: Option<usize>,
    /// Child ids (empty for leaves).
    pub children: Vec<usize>,
    /// True for the artificial root added when the first epoch already has several clades.
    pub is_virtual: bool,
    /// Number of memories.
    pub size: usize,
    /// Memory indices.
    pub members: Vec<usize>,
    /// First recorded epoch of the clade.
    pub epoch_start: usize,
    /// Last recorded epoch at which the clade is whole.
    pub epoch_end: usize,
    /// Epoch at which its children first appear (null for leaves).
    pub split_epoch: Option<usize>,
    /// Mean state at `epoch_start`.
    pub start: StateSummary,
    /// Mean state at `epoch_end` (for a split clade: the saddle it left).
    pub end: StateSummary,
    /// Fraction of members with each final identity (dominant label at the last epoch):
    /// P(final identity | this clade).
    pub fate: Vec<f64>,
    /// Mean over the clade's records of the RMS distance of its members to their centroid.
    pub mean_dispersion: f64,
    /// Mean over the clade's records of the participation-ratio dimension of its members
    /// (0 for a single memory).
    pub mean_participation_ratio: f64,
}

/// One split: where the tree branches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SplitRecord {
    /// First recorded epoch at which the children exist.
    pub epoch: usize,
    /// The parent node id.
    pub parent: usize,
    /// The child node ids.
    pub children: Vec<usize>,
    /// Parent state just before the split (its `end`), in words.
    pub parent_state: String,
    /// Child states at the split epoch, in words.
    pub children_states: Vec<String>,
    /// Child sizes.
    pub children_sizes: Vec<usize>,
}

/// A row of the dendrogram table: the node is drawn as a horizontal segment at height `y` from
/// `t_start` to `t_end` (epochs), joined vertically to its parent at `t_start`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DendrogramRow {
    /// Node id.
    pub id: usize,
    /// Parent id (null for the root).
    pub parent: Option<usize>,
    /// Epoch at which the segment starts.
    pub t_start: usize,
    /// Epoch at which it ends (the split epoch, or the last recorded epoch for leaves).
    pub t_end: usize,
    /// Vertical position: leaves at 0, 1, 2, … in depth-first order; a parent at its children's mean.
    pub y: f64,
    /// Number of memories.
    pub size: usize,
    /// Dominant label at the end of the segment.
    pub dominant_label: usize,
}

/// The split tree of one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SplitTree {
    /// RMS tolerance τ used to form clades.
    pub tolerance: f64,
    /// Every node (index = id).
    pub nodes: Vec<TreeNode>,
    /// Every split, in time order.
    pub splits: Vec<SplitRecord>,
    /// The dendrogram table.
    pub dendrogram: Vec<DendrogramRow>,
}

fn summary(
    epochs: &[usize],
    alpha_class: &Array3<f64>,
    labels: &Array3<f64>,
    frame: usize,
    members: &[usize],
) -> StateSummary {
    let a = alpha_class.index_axis(Axis(0), frame).select(Axis(0), members);
    let l = labels.index_axis(Axis(0), frame).select(Axis(0), members);
    let ma = a.mean_axis(Axis(0)).unwrap_or_else(|| Array1::zeros(a.ncols()));
    let ml = l.mean_axis(Axis(0)).unwrap_or_else(|| Array1::zeros(l.ncols()));
    StateSummary {
        epoch: epochs[frame],
        dominant_label: argmax(ml.view()),
        dominant_alpha_class: dominant_class(ma.view()),
        description: describe_alpha(ma.view()),
        alpha_class: ma.to_vec(),
        labels: ml.to_vec(),
    }
}

impl SplitTree {
    /// Build the tree from a finished tracker. `alpha_class` and `labels` are E×K×10 per record,
    /// `fate` the final identity of every memory, `node_stats[id] = (mean dispersion, mean PR)`.
    pub fn build(
        tracker: &CladeTracker,
        epochs: &[usize],
        alpha_class: &Array3<f64>,
        labels: &Array3<f64>,
        fate: &[usize],
        node_stats: &[(f64, f64)],
    ) -> SplitTree {
        let last_epoch = epochs.last().copied().unwrap_or(0);
        let nodes: Vec<TreeNode> = tracker
            .clades
            .iter()
            .map(|c| {
                let split_epoch = c.children.first().map(|&k| epochs[tracker.clades[k].first_frame]);
                let (disp, pr) = node_stats.get(c.id).copied().unwrap_or((0.0, 0.0));
                TreeNode {
                    id: c.id,
                    parent: c.parent,
                    children: c.children.clone(),
                    is_virtual: c.is_virtual,
                    size: c.members.len(),
                    members: c.members.clone(),
                    epoch_start: epochs[c.first_frame],
                    epoch_end: epochs[c.last_frame],
                    split_epoch,
                    start: summary(epochs, alpha_class, labels, c.first_frame, &c.members),
                    end: summary(epochs, alpha_class, labels, c.last_frame, &c.members),
                    fate: fate_distribution(&c.members, fate),
                    mean_dispersion: disp,
                    mean_participation_ratio: pr,
                }
            })
            .collect();
        let splits = tracker
            .splits
            .iter()
            .map(|s| SplitRecord {
                epoch: epochs[s.frame],
                parent: s.parent,
                children: s.children.clone(),
                parent_state: nodes[s.parent].end.description.clone(),
                children_states: s
                    .children
                    .iter()
                    .map(|&k| nodes[k].start.description.clone())
                    .collect(),
                children_sizes: s.children.iter().map(|&k| nodes[k].size).collect(),
            })
            .collect();
        let mut tree = SplitTree {
            tolerance: tracker.tolerance(),
            nodes,
            splits,
            dendrogram: Vec::new(),
        };
        tree.dendrogram = tree.layout(last_epoch);
        tree
    }

    /// The root node id (None for an empty tree).
    pub fn root(&self) -> Option<usize> {
        self.nodes.iter().find(|n| n.parent.is_none()).map(|n| n.id)
    }

    /// Number of leaves.
    pub fn leaves(&self) -> usize {
        self.nodes.iter().filter(|n| n.children.is_empty()).count()
    }

    fn layout(&self, last_epoch: usize) -> Vec<DendrogramRow> {
        let mut y = vec![0.0; self.nodes.len()];
        let mut next_leaf = 0.0;
        if let Some(r) = self.root() {
            self.place(r, &mut y, &mut next_leaf);
        }
        self.nodes
            .iter()
            .map(|n| DendrogramRow {
                id: n.id,
                parent: n.parent,
                t_start: n.epoch_start,
                t_end: n.split_epoch.unwrap_or(last_epoch),
                y: y[n.id],
                size: n.size,
                dominant_label: n.end.dominant_label,
            })
            .collect()
    }

    fn place(&self, id: usize, y: &mut [f64], next_leaf: &mut f64) {
        let kids = &self.nodes[id].children;
        if kids.is_empty() {
            y[id] = *next_leaf;
            *next_leaf += 1.0;
        } else {
            for &k in kids {
                self.place(k, y, next_leaf);
            }
            y[id] = kids.iter().map(|&k| y[k]).sum::<f64>() / kids.len() as f64;
        }
    }

    /// The tree in Newick format. Node names are `n<id>_l<dominant label>_k<size>`; branch lengths
    /// are the epochs a clade existed (from its first epoch to its split, or to the last epoch).
    pub fn newick(&self) -> String {
        let mut out = String::new();
        if let Some(r) = self.root() {
            self.newick_node(r, &mut out);
        }
        out.push_str(";\n");
        out
    }

    fn newick_node(&self, id: usize, out: &mut String) {
        let n = &self.nodes[id];
        if !n.children.is_empty() {
            out.push('(');
            for (i, &k) in n.children.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                self.newick_node(k, out);
            }
            out.push(')');
        }
        let row = &self.dendrogram[id];
        let _ = write!(
            out,
            "n{}_l{}_k{}:{}",
            n.id,
            n.end.dominant_label,
            n.size,
            row.t_end - row.t_start
        );
    }

    /// The dendrogram table as CSV (`id,parent,t_start,t_end,y,size,dominant_label,state`).
    pub fn dendrogram_csv(&self) -> String {
        let mut out = String::from("id,parent,t_start,t_end,y,size,dominant_label,state\n");
        for r in &self.dendrogram {
            let parent = r.parent.map_or(String::new(), |p| p.to_string());
            let _ = writeln!(
                out,
                "{},{},{},{},{},{},{},\"{}\"",
                r.id,
                parent,
                r.t_start,
                r.t_end,
                r.y,
                r.size,
                r.dominant_label,
                self.nodes[r.id].end.description
            );
        }
        out
    }

    /// The tree as indented text. Clades smaller than `min_size` are not listed (their number is).
    pub fn to_text(&self, min_size: usize) -> String {
        let mut out = String::new();
        let mut hidden = 0;
        if let Some(r) = self.root() {
            self.text_node(r, 0, min_size, &mut out, &mut hidden);
        }
        if hidden > 0 {
            let _ = writeln!(
                out,
                "({hidden} clades of fewer than {min_size} memories not shown)"
            );
        }
        out
    }

    fn text_node(&self, id: usize, depth: usize, min_size: usize, out: &mut String, hidden: &mut usize) {
        let n = &self.nodes[id];
        if n.size < min_size {
            *hidden += 1;
            return;
        }
        let row = &self.dendrogram[id];
        let _ = writeln!(
            out,
            "{}[{}–{}] {} memories, label {}: {}",
            "  ".repeat(depth),
            row.t_start,
            row.t_end,
            n.size,
            n.end.dominant_label,
            if n.is_virtual {
                "(initial clades)".to_string()
            } else {
                n.end.description.clone()
            }
        );
        for &k in &n.children {
            self.text_node(k, depth + 1, min_size, out, hidden);
        }
    }
}

/// Mean memory of `members` in a K×D frame.
pub fn mean_memory(frame: ndarray::ArrayView2<f64>, members: &[usize]) -> Array1<f64> {
    let mut m = Array1::zeros(frame.ncols());
    for &a in members {
        m += &frame.slice(s![a, ..]);
    }
    m / members.len().max(1) as f64
}
