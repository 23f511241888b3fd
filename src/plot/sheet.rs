//! Composite figures drawn on one canvas (PNG or SVG): a [`Sheet`] of panels laid out in rows (each
//! panel at its own size; the vector counterpart of [`super::compose`], which stitches rendered
//! panels of any figure type), bars of
//! the 10 labels of one memory ([`LabelBars`], paper Fig. 1 "labels"), and one image with its pixel
//! grid ([`PixelImage`], paper Fig. 1 "TrainingSample").

use super::style::{LABEL_SIZE, TICK_SIZE, TITLE_SIZE};
use super::{
    AlphaPanels, Colormap, DrawResult, Figure, LinePlot, MemoryGrid, ScatterTrajectories, StackedArea, tab10,
};
use crate::error::{Error, Result};
use ndarray::Array1;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

fn font(size: u32) -> TextStyle<'static> {
    (super::style::FONT, size).into_font().into()
}

/// One panel of a [`Sheet`]: any of the plot module's figures (drawn at its own size).
#[derive(Debug, Clone)]
pub enum Panel {
    /// Memories as image tiles.
    Grid(MemoryGrid),
    /// α at symmetric-ranked positions.
    Alpha(AlphaPanels),
    /// Curves.
    Lines(LinePlot),
    /// UMAP scatter with trails.
    Scatter(ScatterTrajectories),
    /// Stacked areas.
    Stacked(StackedArea),
    /// Label bars.
    Bars(LabelBars),
    /// One image with a pixel grid.
    Pixels(PixelImage),
    /// Another panel under a title, centred in a box of a given minimum width.
    Framed(Framed),
    /// Learning order of several runs.
    Order(OrderChart),
}

/// A panel under a title line, centred horizontally in a box at least `min_width` wide (for
/// narrow panels such as a 2×2 memory grid whose title would not fit).
#[derive(Debug, Clone)]
pub struct Framed {
    /// Title above the panel.
    pub title: String,
    /// Minimum width of the box in pixels.
    pub min_width: u32,
    /// The panel.
    pub inner: Box<Panel>,
}

const FRAME_TITLE_H: u32 = 30;

impl Framed {
    /// The panel `inner` under `title`, in a box at least `min_width` wide.
    pub fn panel(title: impl Into<String>, min_width: u32, inner: Panel) -> Panel {
        Panel::Framed(Framed {
            title: title.into(),
            min_width,
            inner: Box::new(inner),
        })
    }
}

impl Figure for Framed {
    fn size(&self) -> (u32, u32) {
        let (w, h) = self.inner.size();
        (w.max(self.min_width), h + FRAME_TITLE_H)
    }

    fn validate(&self) -> Result<()> {
        self.inner.validate()
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let (w, _) = self.size();
        let (iw, ih) = self.inner.size();
        let style = font(TITLE_SIZE - 4).pos(Pos::new(HPos::Center, VPos::Center));
        root.draw_text(&self.title, &style, (w as i32 / 2, FRAME_TITLE_H as i32 / 2 + 4))?;
        let x = (w - iw) as i32 / 2;
        let area = root.clone().shrink((x, FRAME_TITLE_H as i32), (iw, ih));
        self.inner.draw(&area)
    }
}

macro_rules! each_panel {
    ($p:expr, $f:ident => $body:expr) => {
        match $p {
            Panel::Grid($f) => $body,
            Panel::Alpha($f) => $body,
            Panel::Lines($f) => $body,
            Panel::Scatter($f) => $body,
            Panel::Stacked($f) => $body,
            Panel::Bars($f) => $body,
            Panel::Pixels($f) => $body,
            Panel::Framed($f) => $body,
            Panel::Order($f) => $body,
        }
    };
}

impl Panel {
    fn size(&self) -> (u32, u32) {
        each_panel!(self, f => f.size())
    }

    fn validate(&self) -> Result<()> {
        each_panel!(self, f => f.validate())
    }

    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        each_panel!(self, f => f.draw(area))
    }
}

/// Panels in rows: row r is drawn below row r−1 (height = its tallest panel), panels left to right
/// at their own sizes, under an optional title.
#[derive(Debug, Clone, Default)]
pub struct Sheet {
    /// Figure title.
    pub title: Option<String>,
    /// The rows of panels.
    pub rows: Vec<Vec<Panel>>,
}

const SHEET_TITLE_H: u32 = 44;

impl Sheet {
    /// A sheet with a title.
    pub fn new(title: impl Into<String>) -> Self {
        Sheet {
            title: Some(title.into()),
            rows: Vec::new(),
        }
    }

    /// Where the panels go ([`super::compose::layout`], no gaps, below the title bar).
    fn layout(&self) -> super::compose::Layout {
        let sizes: Vec<Vec<(u32, u32)>> = self
            .rows
            .iter()
            .map(|r| r.iter().map(Panel::size).collect())
            .collect();
        let top = if self.title.is_some() { SHEET_TITLE_H } else { 0 };
        super::compose::layout(&sizes, 0, top)
    }
}

impl Figure for Sheet {
    fn size(&self) -> (u32, u32) {
        let (w, h) = self.layout().size;
        // Room for the title: about 0.5 em per character.
        let tw = self.title.as_ref().map_or(0, |s| {
            (s.chars().count() as f64 * 0.5 * f64::from(TITLE_SIZE + 4)) as u32 + 40
        });
        (w.max(200).max(tw), h.max(100))
    }

    fn validate(&self) -> Result<()> {
        if self.rows.iter().all(|r| r.is_empty()) {
            return Err(Error::invalid("sheet", "no panels"));
        }
        self.rows.iter().flatten().try_for_each(Panel::validate)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        if let Some(t) = &self.title {
            let style = font(TITLE_SIZE + 4).pos(Pos::new(HPos::Center, VPos::Center));
            root.draw_text(t, &style, (self.size().0 as i32 / 2, SHEET_TITLE_H as i32 / 2))?;
        }
        let layout = self.layout();
        for (row, origins) in self.rows.iter().zip(&layout.origins) {
            for (p, &(x, y)) in row.iter().zip(origins) {
                let area = root.clone().shrink((x as i32, y as i32), p.size());
                p.draw(&area)?;
            }
        }
        Ok(())
    }
}

/// The C label values ℓ_{A,c} of one memory as bars coloured by class (tab10), y ∈ [−1.05, 1.05]
/// (paper Fig. 1, right of each α panel).
#[derive(Debug, Clone)]
pub struct LabelBars {
    /// The labels (C entries).
    pub labels: Array1<f64>,
    /// Title.
    pub title: String,
    /// Size in pixels.
    pub size: (u32, u32),
}

impl Figure for LabelBars {
    fn size(&self) -> (u32, u32) {
        self.size
    }

    fn validate(&self) -> Result<()> {
        if self.labels.is_empty() || self.labels.iter().any(|v| !v.is_finite()) {
            return Err(Error::invalid("label bars", "need finite labels"));
        }
        Ok(())
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let c = self.labels.len();
        let mut chart = ChartBuilder::on(root)
            .margin(10)
            .caption(&self.title, font(TICK_SIZE + 2))
            .x_label_area_size(44)
            .y_label_area_size(56)
            .build_cartesian_2d(-0.5..(c as f64 - 0.5), -1.05..1.05)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .light_line_style(TRANSPARENT)
            .x_labels(c)
            .x_label_formatter(&|v| format!("{}", v.round() as i64))
            .y_labels(5)
            .y_label_formatter(&|v| format!("{v:.1}"))
            .x_desc("class c")
            .y_desc("label ℓ_c")
            .label_style(font(TICK_SIZE - 1))
            .axis_desc_style(font(LABEL_SIZE - 4))
            .draw()?;
        chart.draw_series(self.labels.iter().enumerate().map(|(k, &v)| {
            Rectangle::new([(k as f64 - 0.38, 0.0), (k as f64 + 0.38, v)], tab10(k).filled())
        }))?;
        chart.draw_series(LineSeries::new(
            [(-0.5, 0.0), (c as f64 - 0.5, 0.0)],
            BLACK.mix(0.6),
        ))?;
        Ok(())
    }
}

/// One 28×28 image drawn large (bwr on [−1, 1]) with a grid line around every pixel and row/column
/// indices every 4 pixels (paper Fig. 1 "TrainingSample").
#[derive(Debug, Clone)]
pub struct PixelImage {
    /// The 784 pixel values (row-major).
    pub image: Array1<f64>,
    /// Title.
    pub title: String,
    /// Screen pixels per image pixel.
    pub scale: u32,
}

const SIDE: i32 = 28;

impl Figure for PixelImage {
    fn size(&self) -> (u32, u32) {
        let s = SIDE as u32 * self.scale;
        (s + 90, s + 100)
    }

    fn validate(&self) -> Result<()> {
        if self.image.len() != (SIDE * SIDE) as usize {
            return Err(Error::shape(
                "pixel image",
                "784 values (28×28)",
                &[self.image.len()],
            ));
        }
        if self.image.iter().any(|v| !v.is_finite()) || self.scale < 2 {
            return Err(Error::invalid("pixel image", "need finite pixels and scale ≥ 2"));
        }
        Ok(())
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let s = self.scale as i32;
        let (x0, y0) = (50, 60);
        let style = font(TITLE_SIZE - 2).pos(Pos::new(HPos::Center, VPos::Center));
        root.draw_text(&self.title, &style, (x0 + SIDE * s / 2, 22))?;
        let cmap = Colormap::bwr();
        for (j, &v) in self.image.iter().enumerate() {
            let (r, c) = (j as i32 / SIDE, j as i32 % SIDE);
            let (px, py) = (x0 + c * s, y0 + r * s);
            root.draw(&Rectangle::new(
                [(px, py), (px + s, py + s)],
                cmap.map(v, -1.0, 1.0).filled(),
            ))?;
        }
        let grid = BLACK.mix(0.25);
        for i in 0..=SIDE {
            root.draw(&PathElement::new(
                vec![(x0 + i * s, y0), (x0 + i * s, y0 + SIDE * s)],
                grid,
            ))?;
            root.draw(&PathElement::new(
                vec![(x0, y0 + i * s), (x0 + SIDE * s, y0 + i * s)],
                grid,
            ))?;
        }
        let tick = font(TICK_SIZE - 2);
        for i in (0..SIDE).step_by(4) {
            let c = x0 + i * s + s / 2;
            root.draw_text(
                &i.to_string(),
                &tick.pos(Pos::new(HPos::Center, VPos::Top)),
                (c, y0 + SIDE * s + 4),
            )?;
            root.draw_text(
                &i.to_string(),
                &tick.pos(Pos::new(HPos::Right, VPos::Center)),
                (x0 - 6, y0 + i * s + s / 2),
            )?;
        }
        let lab = font(TICK_SIZE).pos(Pos::new(HPos::Center, VPos::Top));
        root.draw_text("pixel column", &lab, (x0 + SIDE * s / 2, y0 + SIDE * s + 22))?;
        Ok(())
    }
}

/// One row of an [`OrderChart`]: (row name, per class (class, learned epoch; None = never)).
pub type OrderRow = (String, Vec<(usize, Option<f64>)>);

/// The learning order of several runs (spec §3.7): one row per run (named, e.g. "n = 30"), each
/// class drawn as a tab10 dot at the epoch it became learned, its digit written next to it; dots of
/// a row are staggered vertically in learning order so that equal epochs stay readable. Classes
/// never learned are listed at the right end of their row.
#[derive(Debug, Clone)]
pub struct OrderChart {
    /// Title.
    pub title: String,
    /// One row per run.
    pub rows: Vec<OrderRow>,
    /// Right end of the epoch axis.
    pub x_max: f64,
    /// Size in pixels.
    pub size: (u32, u32),
}

impl Figure for OrderChart {
    fn size(&self) -> (u32, u32) {
        self.size
    }

    fn validate(&self) -> Result<()> {
        if self.rows.is_empty() || self.x_max.is_nan() || self.x_max <= 0.0 {
            return Err(Error::invalid(
                "learning-order chart",
                "need rows and a positive epoch range",
            ));
        }
        Ok(())
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let nr = self.rows.len();
        let names: Vec<String> = self.rows.iter().map(|r| r.0.clone()).collect();
        let mut chart = ChartBuilder::on(root)
            .margin(16)
            .caption(&self.title, font(TITLE_SIZE - 2))
            .x_label_area_size(56)
            .y_label_area_size(90)
            .build_cartesian_2d(0.0..self.x_max * 1.16, -0.5..(nr as f64 - 0.5))?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .light_line_style(TRANSPARENT)
            .bold_line_style(BLACK.mix(0.1))
            .y_labels(nr)
            .y_label_formatter(&|v| {
                let i = v.round();
                if (v - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < names.len() {
                    names[i as usize].clone()
                } else {
                    String::new()
                }
            })
            .x_label_formatter(&|v| format!("{v:.0}"))
            .x_desc("epoch at which the class is learned (≥ 1/4 of its samples recognised)")
            .label_style(font(TICK_SIZE))
            .axis_desc_style(font(LABEL_SIZE - 2))
            .draw()?;
        for (row, (_, classes)) in self.rows.iter().enumerate() {
            let mut sorted: Vec<(usize, Option<f64>)> = classes.clone();
            sorted.sort_by(|a, b| match (a.1, b.1) {
                (Some(x), Some(y)) => x.total_cmp(&y).then(a.0.cmp(&b.0)),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => a.0.cmp(&b.0),
            });
            let k = sorted.len().max(2) as f64;
            for (rank, (c, e)) in sorted.iter().enumerate() {
                let y = row as f64 + 0.36 - 0.72 * rank as f64 / (k - 1.0);
                let x = e.unwrap_or(self.x_max * 1.03);
                let color = tab10(*c);
                let label = if e.is_some() {
                    c.to_string()
                } else {
                    format!("{c} (never)")
                };
                let mark = EmptyElement::at((x, y))
                    + Circle::new((0, 0), 5, color.filled())
                    + Text::new(label, (8, -9), font(TICK_SIZE + 1).color(&color));
                chart.draw_series(std::iter::once(mark))?;
            }
        }
        Ok(())
    }
}
