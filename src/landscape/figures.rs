//! Figures of a run's Waddington analysis, written next to its data in `RUN_DIR/analysis/`:
//! the recognised fraction per class over epochs (spec §3.6, paper Fig. 3C/F) and the split tree
//! as a dendrogram (spec §3.10, drawn as in the Figure-4 reproduction).

use super::Analysis;
use crate::error::Result;
use crate::plot::{self, Dendrogram, StackedArea};
use std::path::{Path, PathBuf};

/// File name of the recognition figure inside the analysis folder.
pub const RECOGNITION_PNG: &str = "recognition.png";
/// File name of the split-tree figure inside the analysis folder.
pub const SPLIT_TREE_PNG: &str = "split-tree.png";

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

/// The split tree (clades of ≥ 3 memories) as a dendrogram over epochs, leaves labelled
/// "final label (size)" ([`crate::reproduce::fig4::dendrogram`]).
pub fn split_tree_figure(a: &Analysis) -> Dendrogram {
    crate::reproduce::fig4::dendrogram(
        a,
        &format!(
            "split tree: {} nodes, clades of ≥ 3 memories, {} rejoins",
            a.tree.nodes.len(),
            a.rejoins
        ),
    )
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
    Ok(written)
}
