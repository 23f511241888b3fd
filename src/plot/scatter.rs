//! Scatter plots with trajectories: UMAP embeddings of training samples (points coloured by class)
//! with memory paths (thin lines) and current memory positions (white circles, black edge) — paper
//! Fig. 3A/D, spec §3.8 — and α-plane trajectories (ᾱ_{d1} vs ᾱ_{d2}, spec §3.10) over optional
//! background curves (e.g. nullclines).

use super::lines::{Series, draw_series_on};
use super::style::{LABEL_SIZE, TICK_SIZE, TITLE_SIZE, tab10};
use super::{DrawResult, Figure, check_finite_slice, font, padded_range};
use crate::error::{Error, Result};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// A point with a class (coloured tab10(class)).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClassPoint {
    /// x coordinate.
    pub x: f64,
    /// y coordinate.
    pub y: f64,
    /// Class index (colour tab10).
    pub class: usize,
}

/// A path drawn as a thin line; black (alpha 0.3) when `class` is `None`, else tab10(class).
#[derive(Debug, Clone, Default)]
pub struct Trail {
    /// The path's points in order.
    pub points: Vec<(f64, f64)>,
    /// Optional class colour (e.g. the memory's final dominant label, spec §3.10).
    pub class: Option<usize>,
}

/// Samples as class-coloured points, memory trails as thin lines and current memory positions as
/// white circles with a black edge.
#[derive(Debug, Clone, Default)]
pub struct ScatterTrajectories {
    /// Figure title.
    pub title: String,
    /// x-axis label.
    pub x_label: String,
    /// y-axis label.
    pub y_label: String,
    /// Background points (e.g. embedded training samples).
    pub samples: Vec<ClassPoint>,
    /// Class names for the legend (index = class); empty: no class legend.
    pub class_names: Vec<String>,
    /// Curves under everything else (e.g. nullclines), with their own colours and legend.
    pub curves: Vec<Series>,
    /// Trails (memory paths).
    pub trails: Vec<Trail>,
    /// Current positions (white circles with a black edge).
    pub current: Vec<(f64, f64)>,
    /// Fixed axis ranges (x, y); `None`: from all the data (use fixed ranges for movies).
    pub bounds: Option<((f64, f64), (f64, f64))>,
    /// Size in pixels; (0, 0) means 820×760.
    pub size: (u32, u32),
}

impl ScatterTrajectories {
    /// The axis ranges covering every sample, curve, trail and current point (5 % padding).
    pub fn data_bounds(&self) -> ((f64, f64), (f64, f64)) {
        let xs = self
            .samples
            .iter()
            .map(|p| p.x)
            .chain(self.trails.iter().flat_map(|t| t.points.iter().map(|p| p.0)))
            .chain(self.current.iter().map(|p| p.0))
            .chain(self.curves.iter().flat_map(|s| s.x.iter().copied()));
        let ys = self
            .samples
            .iter()
            .map(|p| p.y)
            .chain(self.trails.iter().flat_map(|t| t.points.iter().map(|p| p.1)))
            .chain(self.current.iter().map(|p| p.1))
            .chain(self.curves.iter().flat_map(|s| s.y.iter().copied()));
        (padded_range(xs, 0.05), padded_range(ys, 0.05))
    }
}

impl Figure for ScatterTrajectories {
    fn size(&self) -> (u32, u32) {
        if self.size == (0, 0) {
            (820, 760)
        } else {
            self.size
        }
    }

    fn validate(&self) -> Result<()> {
        check_finite_slice("scatter samples", self.samples.iter().flat_map(|p| [p.x, p.y]))?;
        check_finite_slice(
            "trails",
            self.trails
                .iter()
                .flat_map(|t| t.points.iter().flat_map(|p| [p.0, p.1])),
        )?;
        check_finite_slice("current positions", self.current.iter().flat_map(|p| [p.0, p.1]))?;
        for s in &self.curves {
            s.validate()?;
        }
        if let Some(((x0, x1), (y0, y1))) = self.bounds
            && !(x1 > x0 && y1 > y0)
        {
            return Err(Error::invalid("scatter bounds", "need x0 < x1 and y0 < y1"));
        }
        Ok(())
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let ((x0, x1), (y0, y1)) = self.bounds.unwrap_or_else(|| self.data_bounds());
        let legend_w = if self.class_names.is_empty() { 0 } else { 70 };
        let (main, legend) = root.split_horizontally(self.size().0 as i32 - legend_w);
        let mut b = ChartBuilder::on(&main);
        b.margin(16).x_label_area_size(55).y_label_area_size(70);
        if !self.title.is_empty() {
            b.caption(&self.title, font(TITLE_SIZE));
        }
        let mut chart = b.build_cartesian_2d(x0..x1, y0..y1)?;
        chart
            .configure_mesh()
            .x_label_formatter(&super::fmt_tick)
            .y_label_formatter(&super::fmt_tick)
            .disable_mesh()
            .x_desc(&self.x_label)
            .y_desc(&self.y_label)
            .label_style(font(TICK_SIZE))
            .axis_desc_style(font(LABEL_SIZE))
            .draw()?;
        draw_series_on(&mut chart, &self.curves, BLACK)?;
        chart.draw_series(
            self.samples
                .iter()
                .map(|p| TriangleMarker::new((p.x, p.y), 5, tab10(p.class).mix(0.85).filled())),
        )?;
        for t in &self.trails {
            let style = match t.class {
                Some(c) => tab10(c).mix(0.8).stroke_width(1),
                None => BLACK.mix(0.3).stroke_width(1),
            };
            for part in super::clip_polyline(&t.points, (x0, x1), (y0, y1)) {
                chart.draw_series(LineSeries::new(part, style))?;
            }
        }
        chart.draw_series(self.current.iter().map(|&p| Circle::new(p, 5, WHITE.filled())))?;
        chart.draw_series(
            self.current
                .iter()
                .map(|&p| Circle::new(p, 5, BLACK.stroke_width(1))),
        )?;
        if self.curves.iter().any(|s| !s.label.is_empty()) {
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.9))
                .border_style(BLACK.mix(0.5))
                .label_font(font(TICK_SIZE))
                .position(SeriesLabelPosition::UpperLeft)
                .draw()?;
        }
        if !self.class_names.is_empty() {
            // Pixel positions relative to `root` (which may be a sub-area of a larger figure).
            let (rx, ry) = root.get_base_pixel();
            let top = chart.plotting_area().get_base_pixel().1 - ry;
            let lx = legend.get_base_pixel().0 - rx;
            let style = font(TICK_SIZE).pos(Pos::new(HPos::Left, VPos::Center));
            for (c, name) in self.class_names.iter().enumerate() {
                let y = top + 10 + 24 * c as i32;
                root.draw(&TriangleMarker::new((lx + 10, y), 6, tab10(c).filled()))?;
                root.draw_text(name, &style, (lx + 22, y))?;
            }
        }
        Ok(())
    }
}
