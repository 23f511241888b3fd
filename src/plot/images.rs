//! Image-like figures: memory grids (28×28 tiles, blue-white-red, colour bar), label strips per
//! class, and α panels at symmetric-ranked positions (paper Fig. 1C/D).

use super::heatmap::draw_colorbar;
use super::style::{Colormap, LABEL_SIZE, TICK_SIZE, TITLE_SIZE, tab10};
use super::{DrawResult, Figure, check_finite_slice, font};
use crate::error::{Error, Result};
use ndarray::Array2;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Memories (or any images) as tiles in a rows×cols grid, each `side`×`side` pixels drawn as
/// `scale`×`scale` blocks in the colour map (default blue-white-red on [−1, 1]), with a colour bar.
/// Tile `i` is at row `i / cols`, column `i % cols`; pixel `j` of an image is at row `j / side`,
/// column `j % side` (row-major, as MNIST).
#[derive(Debug, Clone)]
pub struct MemoryGrid {
    /// K×(side²) images, one per row.
    pub images: Array2<f64>,
    /// Image side length (28 for MNIST).
    pub side: usize,
    /// Grid rows.
    pub rows: usize,
    /// Grid columns.
    pub cols: usize,
    /// Screen pixels per image pixel.
    pub scale: u32,
    /// Optional short title above each tile (K entries).
    pub tile_titles: Option<Vec<String>>,
    /// Optional figure title.
    pub title: Option<String>,
    /// Colour map and its value range.
    pub colormap: Colormap,
    /// Value mapped to the low end of the colour map.
    pub vmin: f64,
    /// Value mapped to the high end of the colour map.
    pub vmax: f64,
    /// Colour-bar label.
    pub colorbar_label: String,
}

const MARGIN: i32 = 12;
const GAP: i32 = 4;
const TILE_TITLE_H: i32 = 18;
const TITLE_H: i32 = 34;
const BAR_W: i32 = 18;
const BAR_AREA_W: i32 = 110;

impl MemoryGrid {
    /// A grid of 28×28 memories with `cols` columns (rows as needed), bwr on [−1, 1], scale 3.
    pub fn new(images: Array2<f64>, cols: usize) -> Self {
        let k = images.nrows();
        let cols = cols.max(1);
        MemoryGrid {
            images,
            side: 28,
            rows: k.div_ceil(cols).max(1),
            cols,
            scale: 3,
            tile_titles: None,
            title: None,
            colormap: Colormap::bwr(),
            vmin: -1.0,
            vmax: 1.0,
            colorbar_label: "pixel value".into(),
        }
    }

    fn tile_px(&self) -> i32 {
        (self.side as i32) * (self.scale as i32)
    }

    fn top(&self) -> i32 {
        MARGIN + if self.title.is_some() { TITLE_H } else { 0 }
    }

    fn cell_h(&self) -> i32 {
        self.tile_px()
            + GAP
            + if self.tile_titles.is_some() {
                TILE_TITLE_H
            } else {
                0
            }
    }

    /// Pixel coordinates (x, y) of the top-left corner of tile `i`'s image in the output figure.
    pub fn tile_origin(&self, i: usize) -> (i32, i32) {
        let (r, c) = ((i / self.cols) as i32, (i % self.cols) as i32);
        let tt = if self.tile_titles.is_some() {
            TILE_TITLE_H
        } else {
            0
        };
        (
            MARGIN + c * (self.tile_px() + GAP),
            self.top() + r * self.cell_h() + tt,
        )
    }

    /// Pixel coordinates of the centre of image pixel `j` of tile `i` in the output figure.
    pub fn pixel_center(&self, i: usize, j: usize) -> (i32, i32) {
        let (x0, y0) = self.tile_origin(i);
        let s = self.scale as i32;
        let (r, c) = ((j / self.side) as i32, (j % self.side) as i32);
        (x0 + c * s + s / 2, y0 + r * s + s / 2)
    }

    fn grid_right(&self) -> i32 {
        MARGIN + (self.cols as i32) * (self.tile_px() + GAP) - GAP
    }

    fn grid_bottom(&self) -> i32 {
        self.top() + (self.rows as i32) * self.cell_h() - GAP
    }
}

impl Figure for MemoryGrid {
    fn size(&self) -> (u32, u32) {
        let w = self.grid_right() + 16 + BAR_AREA_W;
        let h = (self.grid_bottom() + MARGIN).max(self.top() + 160);
        (w as u32, h as u32)
    }

    fn validate(&self) -> Result<()> {
        let (k, d) = self.images.dim();
        if d != self.side * self.side {
            return Err(Error::shape(
                "memory grid images",
                format!("K×{} (side {} squared)", self.side * self.side, self.side),
                &[k, d],
            ));
        }
        if k == 0 || k > self.rows * self.cols {
            return Err(Error::invalid(
                "memory grid",
                format!(
                    "{k} images do not fit a {}×{} grid (need 1..={})",
                    self.rows,
                    self.cols,
                    self.rows * self.cols
                ),
            ));
        }
        if let Some(t) = &self.tile_titles
            && t.len() != k
        {
            return Err(Error::invalid(
                "tile titles",
                format!("{} titles for {k} images", t.len()),
            ));
        }
        if self.scale == 0 || self.vmin.partial_cmp(&self.vmax) != Some(std::cmp::Ordering::Less) {
            return Err(Error::invalid("memory grid", "need scale ≥ 1 and vmin < vmax"));
        }
        check_finite_slice("memory grid images", self.images.iter().copied())
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let s = self.scale as i32;
        if let Some(t) = &self.title {
            let style = font(TITLE_SIZE).pos(Pos::new(HPos::Center, VPos::Top));
            root.draw_text(t, &style, ((MARGIN + self.grid_right()) / 2, MARGIN / 2 + 4))?;
        }
        for (i, img) in self.images.rows().into_iter().enumerate() {
            let (x0, y0) = self.tile_origin(i);
            for (j, &v) in img.iter().enumerate() {
                let (r, c) = ((j / self.side) as i32, (j % self.side) as i32);
                let color = self.colormap.map(v, self.vmin, self.vmax);
                let (px, py) = (x0 + c * s, y0 + r * s);
                root.draw(&Rectangle::new([(px, py), (px + s, py + s)], color.filled()))?;
            }
            let edge = self.tile_px();
            root.draw(&Rectangle::new(
                [(x0 - 1, y0 - 1), (x0 + edge, y0 + edge)],
                BLACK.mix(0.35),
            ))?;
            if let Some(t) = &self.tile_titles {
                let style = font(TICK_SIZE - 2).pos(Pos::new(HPos::Center, VPos::Bottom));
                root.draw_text(&t[i], &style, (x0 + edge / 2, y0 - 3))?;
            }
        }
        let bx = self.grid_right() + 16;
        let by1 = self.grid_bottom().max(self.top() + 150);
        draw_colorbar(
            root,
            (bx, self.top(), bx + BAR_W, by1),
            &self.colormap,
            (self.vmin, self.vmax),
            &self.colorbar_label,
        )?;
        Ok(())
    }
}

/// Label values per class: one strip per class c showing ℓ_{A,c} against memory index A as bars,
/// y range [−1.05, 1.05] (spec §4.3 movies, §4.12 viewer).
#[derive(Debug, Clone)]
pub struct LabelStrips {
    /// K×C label values.
    pub labels: Array2<f64>,
    /// Optional figure title.
    pub title: Option<String>,
    /// Class names (C entries); digits "0".."9" by default.
    pub class_names: Vec<String>,
}

impl LabelStrips {
    /// Strips for K×C labels with classes named 0..C−1.
    pub fn new(labels: Array2<f64>) -> Self {
        let c = labels.ncols();
        LabelStrips {
            labels,
            title: None,
            class_names: (0..c).map(|c| c.to_string()).collect(),
        }
    }
}

impl Figure for LabelStrips {
    fn size(&self) -> (u32, u32) {
        let rows = self.labels.ncols().div_ceil(2) as u32;
        (1000, 60 + rows * 130)
    }

    fn validate(&self) -> Result<()> {
        let (k, c) = self.labels.dim();
        if k == 0 || c == 0 || self.class_names.len() != c {
            return Err(Error::shape(
                "labels",
                "K×C with K, C ≥ 1 and C class names",
                &[k, c],
            ));
        }
        check_finite_slice("labels", self.labels.iter().copied())
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let (k, c) = self.labels.dim();
        let root = match &self.title {
            Some(t) => root.titled(t, font(TITLE_SIZE))?,
            None => root.margin(10, 0, 0, 0),
        };
        let rows = c.div_ceil(2);
        let panels = root.split_evenly((rows, 2));
        for (ci, panel) in panels.iter().enumerate().take(c) {
            let bottom = ci / 2 == rows - 1 || ci + 2 >= c;
            let mut chart = ChartBuilder::on(panel)
                .margin(6)
                .caption(format!("class {}", self.class_names[ci]), font(TICK_SIZE + 1))
                .x_label_area_size(if bottom { 40 } else { 18 })
                .y_label_area_size(55)
                .build_cartesian_2d(-0.5..(k as f64 - 0.5), -1.05..1.05)?;
            let mut mesh = chart.configure_mesh();
            mesh.x_label_formatter(&super::fmt_tick)
                .y_label_formatter(&super::fmt_tick);
            mesh.light_line_style(TRANSPARENT)
                .y_labels(5)
                .y_desc("label ℓ")
                .label_style(font(TICK_SIZE - 2))
                .axis_desc_style(font(TICK_SIZE));
            if bottom {
                mesh.x_desc("memory index");
            }
            mesh.draw()?;
            let color = tab10(ci);
            chart.draw_series(self.labels.column(ci).iter().enumerate().map(|(a, &v)| {
                Rectangle::new([(a as f64 - 0.4, 0.0), (a as f64 + 0.4, v)], color.filled())
            }))?;
            chart.draw_series(LineSeries::new(
                [(-0.5, 0.0), (k as f64 - 0.5, 0.0)],
                BLACK.mix(0.5),
            ))?;
        }
        Ok(())
    }
}

/// The display order of one class's α coefficients in paper Fig. 1C (spec §3.3): sort by |α|
/// descending into s_0 … s_{m−1}, then show [s_{odd, decreasing} …, s_1, s_0, s_2, s_4, …]
/// (largest in the centre, odd ranks to the left, even ranks to the right). Returns indices into
/// `values`; ties in |α| keep their input order.
pub fn symmetric_rank_order(values: &[f64]) -> Vec<usize> {
    let mut ranked: Vec<usize> = (0..values.len()).collect();
    ranked.sort_by(|&a, &b| values[b].abs().total_cmp(&values[a].abs()));
    let odd = ranked.iter().skip(1).step_by(2).rev();
    let even = ranked.iter().step_by(2);
    odd.chain(even).copied().collect()
}

/// α coefficients of some memories over the training samples, one panel per memory: the samples of
/// class d (P/C of them, digit-major) are shown at x = (P/C)·d … (P/C)·(d+1) − 1 in the symmetric
/// rank order of [`symmetric_rank_order`], as stems coloured by class (paper Fig. 1C/D, spec §3.3).
#[derive(Debug, Clone)]
pub struct AlphaPanels {
    /// Memories × P coefficients α_{A,p}, samples digit-major (P/C per class).
    pub alphas: Array2<f64>,
    /// Number of classes C (P must be a multiple of C).
    pub classes: usize,
    /// Title of each panel (one per memory).
    pub titles: Vec<String>,
    /// y range; the paper uses [−0.15, 0.4]. `None`: from the data.
    pub y_range: Option<(f64, f64)>,
    /// Panels per row.
    pub cols: usize,
}

impl AlphaPanels {
    /// Panels for the rows of `alphas` with C = 10 classes, titled "memory i", auto y range.
    pub fn new(alphas: Array2<f64>) -> Self {
        let titles = (0..alphas.nrows()).map(|i| format!("memory {i}")).collect();
        AlphaPanels {
            alphas,
            classes: 10,
            titles,
            y_range: None,
            cols: 1,
        }
    }

    /// The (x position, α, class) stems of memory `a` in display order.
    pub fn stems(&self, a: usize) -> Vec<(usize, f64, usize)> {
        let per = self.alphas.ncols() / self.classes;
        let row = self.alphas.row(a);
        let mut out = Vec::with_capacity(self.alphas.ncols());
        for d in 0..self.classes {
            let block: Vec<f64> = row.iter().skip(d * per).take(per).copied().collect();
            for (pos, &i) in symmetric_rank_order(&block).iter().enumerate() {
                out.push((d * per + pos, block[i], d));
            }
        }
        out
    }
}

impl Figure for AlphaPanels {
    fn size(&self) -> (u32, u32) {
        let rows = self.alphas.nrows().div_ceil(self.cols.max(1)) as u32;
        (760 * self.cols.max(1) as u32, 260 * rows.max(1))
    }

    fn validate(&self) -> Result<()> {
        let (k, p) = self.alphas.dim();
        if k == 0 || self.classes == 0 || p == 0 || p % self.classes != 0 {
            return Err(Error::shape(
                "alpha",
                format!("memories × P with P a multiple of {} classes", self.classes),
                &[k, p],
            ));
        }
        if self.titles.len() != k || self.cols == 0 {
            return Err(Error::invalid(
                "alpha panels",
                format!("{} titles for {k} memories", self.titles.len()),
            ));
        }
        if let Some((lo, hi)) = self.y_range
            && lo.partial_cmp(&hi) != Some(std::cmp::Ordering::Less)
        {
            return Err(Error::invalid("alpha y range", "need low < high"));
        }
        check_finite_slice("alpha", self.alphas.iter().copied())
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let (k, p) = self.alphas.dim();
        let per = p / self.classes;
        let rows = k.div_ceil(self.cols);
        let (ylo, yhi) = self
            .y_range
            .unwrap_or_else(|| super::padded_range(self.alphas.iter().copied().chain([0.0]), 0.08));
        for (a, panel) in root.split_evenly((rows, self.cols)).iter().enumerate().take(k) {
            let mut chart = ChartBuilder::on(panel)
                .margin(10)
                .caption(&self.titles[a], font(TICK_SIZE + 2))
                .x_label_area_size(46)
                .y_label_area_size(68)
                .build_cartesian_2d(-0.5..(p as f64 - 0.5), ylo..yhi)?;
            chart
                .configure_mesh()
                .x_label_formatter(&super::fmt_tick)
                .y_label_formatter(&super::fmt_tick)
                .disable_x_mesh()
                .x_labels(0)
                .y_labels(6)
                .x_desc("training sample (by class, symmetric rank)")
                .y_desc("α")
                .light_line_style(TRANSPARENT)
                .label_style(font(TICK_SIZE - 1))
                .axis_desc_style(font(LABEL_SIZE - 2))
                .draw()?;
            for d in 1..self.classes {
                let x = (d * per) as f64 - 0.5;
                chart.draw_series(LineSeries::new([(x, ylo), (x, yhi)], BLACK.mix(0.15)))?;
            }
            chart.draw_series(LineSeries::new(
                [(-0.5, 0.0), (p as f64 - 0.5, 0.0)],
                BLACK.mix(0.6),
            ))?;
            chart.draw_series(self.stems(a).into_iter().map(|(x, v, d)| {
                PathElement::new(vec![(x as f64, 0.0), (x as f64, v)], tab10(d).stroke_width(2))
            }))?;
            // Class names under the axis, centred on each block.
            let style = font(TICK_SIZE).pos(Pos::new(HPos::Center, VPos::Top));
            for d in 0..self.classes {
                let (px, py) = chart.backend_coord(&(((d * per) as f64) + per as f64 / 2.0 - 0.5, ylo));
                panel.draw_text(
                    &d.to_string(),
                    &style.color(&tab10(d)),
                    (px - panel_x(panel), py + 5 - panel_y(panel)),
                )?;
            }
        }
        Ok(())
    }
}

fn panel_x<DB: DrawingBackend>(a: &DrawingArea<DB, Shift>) -> i32 {
    a.get_base_pixel().0
}

fn panel_y<DB: DrawingBackend>(a: &DrawingArea<DB, Shift>) -> i32 {
    a.get_base_pixel().1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symmetric_rank_puts_largest_in_centre() {
        // |α| ranks: s0 = idx1 (0.5), s1 = idx2 (−0.3), s2 = idx3 (0.2), s3 = idx0 (0.1).
        let order = symmetric_rank_order(&[0.1, 0.5, -0.3, 0.2]);
        assert_eq!(order, vec![0, 2, 1, 3]);
        // 20 values 0..19 by magnitude: display = [0, 2, …, 18, 19, 17, …, 1] reversed in rank terms.
        let v: Vec<f64> = (0..20).map(|i| i as f64).collect();
        let o = symmetric_rank_order(&v);
        // s_k = value 19 − k; odd ranks 19,17,…,1 → values 0,2,…,18; then even ranks 0,2,…,18 →
        // values 19,17,…,1.
        let expect: Vec<usize> = (0..10)
            .map(|i| 2 * i)
            .chain((0..10).map(|i| 19 - 2 * i))
            .collect();
        assert_eq!(o, expect);
    }
}
