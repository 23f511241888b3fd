//! Figures of a run's Waddington analysis, written next to its data in `RUN_DIR/analysis/`:
//! the recognised fraction per class over epochs (spec §3.6, paper Fig. 3C/F) and the split tree
//! as a dendrogram (spec §3.10, drawn as in the Figure-4 reproduction).

use super::Analysis;
use crate::data::CLASSES;
use crate::error::Result;
use crate::plot::{self, Dendrogram, StackedArea};
use std::path::{Path, PathBuf};

/// File name of the recognition figure inside the analysis folder.
pub const RECOGNITION_PNG: &str = "recognition.png";
/// File name of the split-tree figure inside the analysis folder.
pub const SPLIT_TREE_PNG: &str = "split-tree.png";
/// File names of the persistent tree's lineage figure (PNG and SVG).
pub const LINEAGE: [&str; 2] = ["lineage.png", "lineage.svg"];

/// Recognised training samples per class over the recorded epochs as stacked areas: layer c at
/// epoch e is recognition[e, c] / P (P = all training samples, so the stack is the total
/// recognised fraction). `None` when the analysis has no recognition (no model in the run).
pub fn recognition_figure(a: &Analysis) -> Option<StackedArea> {
    let rec = a.recognition.as_ref()?;
    let total = a.class_sizes.iter().sum::<usize>().max(1) as f64;
    let frac = rec.mapv(|c| c as f64 / total);
    let mut fig = StackedArea::recognition(a.epochs.iter().map(|&e| e as f64).collect(), &frac);
    fig.title = format!(
        "training samples recognised per class ({} samples)",
        total as usize
    );
    Some(fig)
}

/// The split tree of the analysis figure ([`split_tree_dendrogram`] with a title that counts
/// nodes and rejoins).
pub fn split_tree_figure(a: &Analysis) -> Dendrogram {
    split_tree_dendrogram(
        a,
        &format!(
            "split tree: {} nodes, clades of ≥ 3 memories, {} rejoins",
            a.tree.nodes.len(),
            a.rejoins
        ),
    )
}

/// The split tree as a dendrogram over epochs (clades of ≥ 3 memories; leaves labelled "final
/// label (size)", coloured by it): each shown node spans from its first epoch to its first shown
/// child's start (or its last epoch for a leaf); leaves sit at x = 0, 1, 2, … in depth-first
/// order, parents at the mean of their children.
pub fn split_tree_dendrogram(a: &Analysis, title: &str) -> Dendrogram {
    let nodes = &a.tree.nodes;
    let shown = |id: usize| nodes[id].size >= 3;
    let mut out: Vec<plot::TreeNode> = Vec::new();
    let mut next_leaf = 0.0;
    fn place(
        id: usize,
        nodes: &[super::tree::TreeNode],
        shown: &dyn Fn(usize) -> bool,
        next_leaf: &mut f64,
        out: &mut Vec<plot::TreeNode>,
    ) -> f64 {
        let kids: Vec<usize> = nodes[id].children.iter().copied().filter(|&c| shown(c)).collect();
        let node = &nodes[id];
        let x = if kids.is_empty() {
            *next_leaf += 1.0;
            *next_leaf - 1.0
        } else {
            let xs: Vec<f64> = kids
                .iter()
                .map(|&c| place(c, nodes, shown, next_leaf, out))
                .collect();
            xs.iter().sum::<f64>() / xs.len() as f64
        };
        let end = if kids.is_empty() {
            node.epoch_end
        } else {
            kids.iter()
                .map(|&c| nodes[c].epoch_start)
                .min()
                .unwrap_or(node.epoch_end)
        };
        out.push(plot::TreeNode {
            id,
            parent: node.parent,
            epoch_start: node.epoch_start as f64,
            epoch_end: (end.max(node.epoch_start)) as f64,
            x,
            label: if kids.is_empty() {
                format!("{} ({})", node.end.dominant_label, node.size)
            } else {
                String::new()
            },
            class: Some(node.end.dominant_label.min(CLASSES - 1)),
        });
        x
    }
    for (id, node) in nodes.iter().enumerate() {
        if node.parent.is_none() && shown(id) {
            place(id, nodes, &shown, &mut next_leaf, &mut out);
        }
    }
    Dendrogram::new(title, out)
}

/// Final identities of `members` as counts per class.
fn fate_counts(members: &[usize], fate: &[usize]) -> Vec<usize> {
    let mut c = vec![0; CLASSES];
    for &m in members {
        if let Some(x) = fate.get(m).and_then(|&f| c.get_mut(f)) {
            *x += 1;
        }
    }
    c
}

/// The persistent split tree as a lineage figure ([`plot::LineageFigure`]): groups of at least
/// max(3, 5 % of K) memories; a split with one such child continues its parent's band; the saddle
/// image of every drawn split and the prototype (members' mean final memory) of every drawn leaf.
pub fn lineage_figure(a: &Analysis) -> plot::LineageFigure {
    let nodes = &a.persistent.nodes;
    let k = a.fate.len();
    let min_size = 3usize.max(k.div_ceil(20));
    let last = a.epochs.last().copied().unwrap_or(0) as f64;
    let mut out = Vec::new();
    let mut next_leaf = 0.0;
    struct Ctx<'a> {
        a: &'a Analysis,
        min_size: usize,
        last: f64,
    }
    fn place(
        id: usize,
        parent: Option<usize>,
        start: f64,
        cx: &Ctx,
        next_leaf: &mut f64,
        out: &mut Vec<plot::Lineage>,
    ) -> f64 {
        let nodes = &cx.a.persistent.nodes;
        let node = &nodes[id];
        let kids: Vec<usize> = node
            .children
            .iter()
            .copied()
            .filter(|&c| nodes[c].size >= cx.min_size)
            .collect();
        if kids.len() == 1 {
            // the split sheds small groups only: the band continues as its child
            return place(kids[0], parent, start, cx, next_leaf, out);
        }
        let members = &node.members;
        let fates = fate_counts(members, &cx.a.fate);
        let (end, y, saddle, leaf) = if kids.len() >= 2 {
            let ys: Vec<f64> = kids
                .iter()
                .map(|&c| place(c, Some(id), node.epoch_end, cx, next_leaf, out))
                .collect();
            let y = ys.iter().sum::<f64>() / ys.len() as f64;
            let saddle =
                cx.a.persistent_splits
                    .iter()
                    .position(|s| s.parent == id)
                    .and_then(|i| {
                        let img = cx.a.saddles.as_ref()?.memory.row(i).to_owned();
                        Some((img, cx.a.persistent_splits[i].saddle_state.clone()))
                    });
            (node.epoch_end, y, saddle, None)
        } else {
            *next_leaf += 1.0;
            let img = super::saddle::mean_rows(cx.a.final_memories.view(), members);
            let text = super::persistent::fates_in_words(members, &cx.a.fate);
            let short: Vec<&str> = text.split(' ').take(3).collect();
            let more = if text.split(' ').count() > 3 { " …" } else { "" };
            (
                cx.last,
                *next_leaf - 1.0,
                None,
                Some((img, format!("{}{more}", short.join(" ")))),
            )
        };
        out.push(plot::Lineage {
            id,
            parent,
            epochs: (start, end.max(start)),
            y,
            fates,
            saddle,
            leaf,
        });
        y
    }
    let cx = Ctx { a, min_size, last };
    let start = nodes.first().map_or(0.0, |n| n.epoch_start);
    if !nodes.is_empty() {
        place(0, None, start, &cx, &mut next_leaf, &mut out);
    }
    plot::LineageFigure {
        title: format!("Persistent split tree ({k} memories; band width ∝ memories)"),
        nodes: out,
        memories: k,
    }
}

/// Write [`RECOGNITION_PNG`] (when the analysis has recognition) and [`SPLIT_TREE_PNG`] into
/// `out` (the analysis folder); returns the files written.
pub fn write_figures(a: &Analysis, out: &Path) -> Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    if let Some(fig) = recognition_figure(a) {
        let p = out.join(RECOGNITION_PNG);
        plot::save(&fig, &p)?;
        written.push(p);
    }
    let p = out.join(SPLIT_TREE_PNG);
    plot::save(&split_tree_figure(a), &p)?;
    written.push(p);
    let lineage = lineage_figure(a);
    for name in LINEAGE {
        let p = out.join(name);
        plot::save(&lineage, &p)?;
        written.push(p);
    }
    Ok(written)
}
