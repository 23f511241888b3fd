//! The split tree drawn as a dendrogram over epochs: each node (a group of memories between two
//! splits) is a horizontal bar from its first to its last epoch at its lateral position, joined to
//! its parent by a vertical connector at the epoch of the split (spec §3.10, §7.6 "split tree").

use super::style::{LABEL_SIZE, TICK_SIZE, TITLE_SIZE, tab10};
use super::{DrawResult, Figure, check_finite_slice, font, padded_range};
use crate::error::{Error, Result};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// One node of the split tree, already laid out.
#[derive(Debug, Clone, PartialEq)]
pub struct TreeNode {
    /// Identifier (unique within the tree).
    pub id: usize,
    /// The parent's id; `None` for a root.
    pub parent: Option<usize>,
    /// First epoch of this node (the epoch of the split that created it).
    pub epoch_start: f64,
    /// Last epoch of this node (its own split, or the end of training).
    pub epoch_end: f64,
    /// Lateral position (leaves typically at 0, 1, 2, …; inner nodes at the mean of children).
    pub x: f64,
    /// Text written after the node's end (e.g. "4 (12 memories)"); empty for none.
    pub label: String,
    /// Class colour (tab10), e.g. the dominant label; `None`: black.
    pub class: Option<usize>,
}

/// A dendrogram over epochs: epoch on the horizontal axis, lineage position on the vertical one.
#[derive(Debug, Clone, Default)]
pub struct Dendrogram {
    /// Figure title.
    pub title: String,
    /// The laid-out nodes.
    pub nodes: Vec<TreeNode>,
    /// Time-axis label (default "epoch").
    pub x_label: String,
}

impl Dendrogram {
    /// A dendrogram of `nodes` titled `title`.
    pub fn new(title: impl Into<String>, nodes: Vec<TreeNode>) -> Self {
        Dendrogram {
            title: title.into(),
            nodes,
            x_label: "epoch".into(),
        }
    }

    fn node(&self, id: usize) -> Option<&TreeNode> {
        self.nodes.iter().find(|n| n.id == id)
    }
}

impl Figure for Dendrogram {
    fn size(&self) -> (u32, u32) {
        let leaves = self.nodes.len().max(4) as u32;
        (960, (160 + 26 * leaves).clamp(360, 1400))
    }

    fn validate(&self) -> Result<()> {
        if self.nodes.is_empty() {
            return Err(Error::invalid("split tree", "no nodes"));
        }
        check_finite_slice(
            "split tree nodes",
            self.nodes.iter().flat_map(|n| [n.epoch_start, n.epoch_end, n.x]),
        )?;
        for n in &self.nodes {
            if n.epoch_end < n.epoch_start {
                return Err(Error::invalid(
                    format!("split tree node {}", n.id),
                    "epoch_end < epoch_start",
                ));
            }
            if self.nodes.iter().filter(|m| m.id == n.id).count() > 1 {
                return Err(Error::invalid(
                    format!("split tree node {}", n.id),
                    "duplicate id",
                ));
            }
            if let Some(p) = n.parent
                && self.node(p).is_none()
            {
                return Err(Error::invalid(
                    format!("split tree node {}", n.id),
                    format!("parent {p} not in the tree"),
                ));
            }
        }
        Ok(())
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let (t0, t1) = padded_range(self.nodes.iter().flat_map(|n| [n.epoch_start, n.epoch_end]), 0.02);
        // Leave room on the right for the labels.
        let t1 = t1 + 0.18 * (t1 - t0);
        let (y0, y1) = padded_range(self.nodes.iter().map(|n| n.x), 0.0);
        let (y0, y1) = (y0 - 0.7, y1 + 0.7);
        let mut b = ChartBuilder::on(root);
        b.margin(16).x_label_area_size(55).y_label_area_size(30);
        if !self.title.is_empty() {
            b.caption(&self.title, font(TITLE_SIZE));
        }
        let mut chart = b.build_cartesian_2d(t0..t1, y0..y1)?;
        chart
            .configure_mesh()
            .x_label_formatter(&super::fmt_tick)
            .y_label_formatter(&super::fmt_tick)
            .disable_y_mesh()
            .disable_y_axis()
            .x_desc(if self.x_label.is_empty() {
                "epoch"
            } else {
                &self.x_label
            })
            .light_line_style(TRANSPARENT)
            .bold_line_style(BLACK.mix(0.1))
            .label_style(font(TICK_SIZE))
            .axis_desc_style(font(LABEL_SIZE))
            .draw()?;
        let color = |n: &TreeNode| n.class.map_or(BLACK, tab10);
        for n in &self.nodes {
            if let Some(p) = n.parent.and_then(|p| self.node(p)) {
                let pts = vec![(n.epoch_start, p.x), (n.epoch_start, n.x)];
                chart.draw_series(std::iter::once(PathElement::new(
                    pts,
                    BLACK.mix(0.7).stroke_width(2),
                )))?;
            }
        }
        for n in &self.nodes {
            let pts = vec![(n.epoch_start, n.x), (n.epoch_end, n.x)];
            chart.draw_series(std::iter::once(PathElement::new(pts, color(n).stroke_width(4))))?;
            chart.draw_series(std::iter::once(Circle::new(
                (n.epoch_start, n.x),
                3,
                BLACK.filled(),
            )))?;
        }
        let style = font(TICK_SIZE).pos(Pos::new(HPos::Left, VPos::Center));
        for n in self.nodes.iter().filter(|n| !n.label.is_empty()) {
            let (px, py) = chart.backend_coord(&(n.epoch_end, n.x));
            root.draw_text(&n.label, &style.color(&color(n)), (px + 6, py))?;
        }
        Ok(())
    }
}
