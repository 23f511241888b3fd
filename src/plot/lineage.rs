//! The persistent split tree as a lineage figure: epoch on the horizontal axis, each group of
//! memories a band whose width is proportional to its number of memories, striped by the final
//! identities of its members (tab10), joined to its parent at the split epoch; at each split the
//! saddle's mean memory image with its state in words, and at each leaf its prototype image (the
//! members' mean memory at the last record) with its final identities.

use super::style::{Colormap, LABEL_SIZE, TICK_SIZE, TITLE_SIZE, tab10};
use super::{DrawResult, Figure, check_finite_slice, font};
use crate::error::{Error, Result};
use ndarray::Array1;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// One band of the lineage figure, laid out.
#[derive(Debug, Clone, PartialEq)]
pub struct Lineage {
    /// Identifier (unique).
    pub id: usize,
    /// Parent id (None for the root).
    pub parent: Option<usize>,
    /// Epoch the band starts (its parent's split) and ends (its own split or the last record).
    pub epochs: (f64, f64),
    /// Lateral position (leaves at 0, 1, 2, …).
    pub y: f64,
    /// Members of each final identity (C counts).
    pub fates: Vec<usize>,
    /// The saddle image at its split (D = side², in [−1, 1]) and its state in words; None for a
    /// leaf or an unexplained split.
    pub saddle: Option<(Array1<f64>, String)>,
    /// The prototype image of a leaf and its text; None for an inner band.
    pub leaf: Option<(Array1<f64>, String)>,
}

/// The lineage figure.
#[derive(Debug, Clone)]
pub struct LineageFigure {
    /// Title.
    pub title: String,
    /// Bands.
    pub nodes: Vec<Lineage>,
    /// Total number of memories (a band of all of them is [`LineageFigure::FULL_WIDTH`] px wide).
    pub memories: usize,
}

impl LineageFigure {
    /// Pixel width of a band holding every memory.
    pub const FULL_WIDTH: f64 = 60.0;
    const IMG: i32 = 2;
    const SIDE: usize = 28;
    const ROW: u32 = 80;
    const STRIP: u32 = 195;

    fn node(&self, id: usize) -> Option<&Lineage> {
        self.nodes.iter().find(|n| n.id == id)
    }

    fn leaves(&self) -> usize {
        self.nodes.iter().filter(|n| n.leaf.is_some()).count()
    }
}

/// Draw a 28×28 image with its top-left corner at (x, y), 2 px per pixel, bwr on [−1, 1].
fn draw_image<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    img: &Array1<f64>,
    x: i32,
    y: i32,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let cm = Colormap::bwr();
    let s = LineageFigure::IMG;
    let side = LineageFigure::SIDE;
    for (j, &v) in img.iter().enumerate() {
        let (r, c) = ((j / side) as i32, (j % side) as i32);
        let (px, py) = (x + c * s, y + r * s);
        root.draw(&Rectangle::new(
            [(px, py), (px + s, py + s)],
            cm.map(v, -1.0, 1.0).filled(),
        ))?;
    }
    let e = s * side as i32;
    root.draw(&Rectangle::new([(x - 1, y - 1), (x + e, y + e)], BLACK.mix(0.5)))?;
    Ok(())
}

impl Figure for LineageFigure {
    fn size(&self) -> (u32, u32) {
        (1500, 130 + Self::ROW * self.leaves().max(2) as u32 + Self::STRIP)
    }

    fn validate(&self) -> Result<()> {
        if self.nodes.is_empty() || self.memories == 0 {
            return Err(Error::invalid("lineage tree", "no nodes"));
        }
        check_finite_slice(
            "lineage tree nodes",
            self.nodes.iter().flat_map(|n| [n.epochs.0, n.epochs.1, n.y]),
        )?;
        for n in &self.nodes {
            if n.epochs.1 < n.epochs.0 {
                return Err(Error::invalid(
                    format!("lineage node {}", n.id),
                    "ends before it starts",
                ));
            }
            if let Some(p) = n.parent
                && self.node(p).is_none()
            {
                return Err(Error::invalid(
                    format!("lineage node {}", n.id),
                    format!("parent {p} not in the tree"),
                ));
            }
            for (img, _) in n.saddle.iter().chain(n.leaf.iter()) {
                if img.len() != Self::SIDE * Self::SIDE {
                    return Err(Error::shape("lineage image", "784 pixels (28×28)", &[img.len()]));
                }
                check_finite_slice("lineage image", img.iter().copied())?;
            }
        }
        Ok(())
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let (w, h) = self.size();
        let (top, strip) = root.split_vertically(h - Self::STRIP);
        let t0 = self
            .nodes
            .iter()
            .map(|n| n.epochs.0)
            .fold(f64::INFINITY, f64::min);
        let t1 = self
            .nodes
            .iter()
            .map(|n| n.epochs.1)
            .fold(f64::NEG_INFINITY, f64::max);
        let span = (t1 - t0).max(1.0);
        let (ymin, ymax) = self
            .nodes
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), n| {
                (a.min(n.y), b.max(n.y))
            });
        let mut b = ChartBuilder::on(&top);
        // room on the right for the leaf images and their text
        b.margin(18)
            .margin_right(300)
            .x_label_area_size(55)
            .y_label_area_size(10);
        b.caption(&self.title, font(TITLE_SIZE));
        let mut chart = b.build_cartesian_2d(
            (t0 - 0.02 * span)..(t1 + 0.01 * span),
            (ymax + 0.75)..(ymin - 0.75),
        )?;
        chart
            .configure_mesh()
            .x_label_formatter(&super::fmt_tick)
            .disable_y_mesh()
            .disable_y_axis()
            .light_line_style(TRANSPARENT)
            .bold_line_style(BLACK.mix(0.08))
            .label_style(font(TICK_SIZE))
            .axis_desc_style(font(LABEL_SIZE))
            .x_desc("epoch")
            .draw()?;
        let px = |t: f64, y: f64| chart.backend_coord(&(t, y));
        let width = |n: &Lineage| {
            let size: usize = n.fates.iter().sum();
            (Self::FULL_WIDTH * size as f64 / self.memories as f64).max(2.0)
        };
        // connectors: from the parent's centre line to the child's, at the split epoch
        for n in &self.nodes {
            if let Some(p) = n.parent.and_then(|p| self.node(p)) {
                let (x, y0) = px(n.epochs.0, p.y);
                let (_, y1) = px(n.epochs.0, n.y);
                root.draw(&Rectangle::new(
                    [(x - 1, y0.min(y1)), (x + 1, y0.max(y1))],
                    BLACK.mix(0.6).filled(),
                ))?;
            }
        }
        // bands striped by final identity
        for n in &self.nodes {
            let (xa, yc) = px(n.epochs.0, n.y);
            let (xb, _) = px(n.epochs.1, n.y);
            let total: usize = n.fates.iter().sum();
            let w = width(n);
            let mut top = yc as f64 - w / 2.0;
            for (c, &k) in n.fates.iter().enumerate().filter(|(_, k)| **k > 0) {
                let h = w * k as f64 / total.max(1) as f64;
                let (ya, yb) = (
                    top.round() as i32,
                    (top + h).round().max(top.round() + 1.0) as i32,
                );
                root.draw(&Rectangle::new(
                    [(xa, ya), (xb.max(xa + 1), yb)],
                    tab10(c).filled(),
                ))?;
                top += h;
            }
        }
        // splits lettered a, b, … by epoch; their saddle images in the strip below
        let mut splits: Vec<&Lineage> = self.nodes.iter().filter(|n| n.saddle.is_some()).collect();
        splits.sort_by(|a, b| a.epochs.1.total_cmp(&b.epochs.1));
        let e = Self::IMG * Self::SIDE as i32;
        let letter = |i: usize| char::from(b'a' + (i % 26) as u8).to_string();
        let mark = font(TICK_SIZE).pos(Pos::new(HPos::Center, VPos::Center));
        for (i, n) in splits.iter().enumerate() {
            let (x, y) = px(n.epochs.1, n.y);
            let (x, y) = (x - 11, y - (width(n) / 2.0) as i32 - 11);
            root.draw(&Circle::new((x, y), 9, WHITE.filled()))?;
            root.draw(&Circle::new((x, y), 9, BLACK.stroke_width(1)))?;
            root.draw_text(&letter(i), &mark, (x, y))?;
        }
        let caption = font(TICK_SIZE).pos(Pos::new(HPos::Left, VPos::Top));
        if !splits.is_empty() {
            strip.draw_text(
                "the saddle of each split: its memories' mean image and class-aggregated ᾱ",
                &caption,
                (20, 2),
            )?;
        }
        let slot = ((w as i32 - 40) / splits.len().max(1) as i32).clamp(e + 20, 230);
        let small = font(TICK_SIZE).pos(Pos::new(HPos::Center, VPos::Top));
        let head = font(TICK_SIZE).pos(Pos::new(HPos::Center, VPos::Bottom));
        for (i, n) in splits.iter().enumerate() {
            let Some((img, words)) = &n.saddle else { continue };
            let cx = 20 + slot * i as i32 + slot / 2;
            let y0 = 50;
            strip.draw_text(
                &format!("{}  (t = {:.0})", letter(i), n.epochs.1),
                &head,
                (cx, y0 - 4),
            )?;
            draw_image(&strip, img, cx - e / 2, y0)?;
            for (j, line) in words.split(" + ").enumerate().take(3) {
                let line = if j == 0 {
                    line.to_string()
                } else {
                    format!("+ {line}")
                };
                strip.draw_text(&line, &small, (cx, y0 + e + 4 + 18 * j as i32))?;
            }
        }
        // leaf prototypes and their identities
        for n in &self.nodes {
            if let Some((img, words)) = &n.leaf {
                let (x, y) = px(n.epochs.1, n.y);
                draw_image(root, img, x + 12, y - e / 2)?;
                let st = font(TICK_SIZE).pos(Pos::new(HPos::Left, VPos::Center));
                root.draw_text(words, &st, (x + e + 22, y))?;
            }
        }
        // colour key, top right
        let key = font(TICK_SIZE - 2).pos(Pos::new(HPos::Left, VPos::Center));
        let classes: Vec<usize> = (0..self.nodes.first().map_or(0, |n| n.fates.len()))
            .filter(|&c| self.nodes.iter().any(|n| n.fates[c] > 0))
            .collect();
        let x0 = w as i32 - 300;
        let x0 = x0 - 90;
        root.draw_text("final identity", &key, (x0, 22))?;
        for (i, &c) in classes.iter().enumerate() {
            let x = x0 + 110 + 26 * i as i32;
            root.draw(&Rectangle::new([(x, 16), (x + 12, 28)], tab10(c).filled()))?;
            root.draw_text(&c.to_string(), &key, (x + 14, 22))?;
        }
        Ok(())
    }
}
