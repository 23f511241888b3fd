//! Contour plots of a 2-D scalar field (a landscape V(x, y)), iso-lines from
//! [`super::isolines`], with its critical points marked (minima as circles, saddles as crosses, maxima as triangles;
//! bifurcating-hopfield §10.1).

use super::heatmap::{check_axis, draw_colorbar, edges, nice_ticks};
use super::isolines::contour_segments;
use super::phase::{CriticalPoint, draw_critical_points};
use super::style::{Colormap, LABEL_SIZE, TICK_SIZE, TITLE_SIZE};
use super::{DrawResult, Figure, font, padded_range};
use crate::error::{Error, Result};
use ndarray::Array2;
use plotters::coord::Shift;
use plotters::prelude::*;

/// A filled contour plot of z over a grid (z[(i, j)] at x = xs[j], y = ys[i]): cells coloured by
/// the colour map, iso-lines at `levels`, critical points marked, colour bar.
#[derive(Debug, Clone)]
pub struct ContourPlot {
    /// ny×nx field values.
    pub z: Array2<f64>,
    /// nx increasing x values.
    pub xs: Vec<f64>,
    /// ny increasing y values.
    pub ys: Vec<f64>,
    /// Iso-line levels; empty: about 12 nice levels over the range of z.
    pub levels: Vec<f64>,
    /// Colour map for the filled background.
    pub colormap: Colormap,
    /// Critical points (minimum = stable, saddle, maximum = unstable).
    pub points: Vec<CriticalPoint>,
    /// Figure title.
    pub title: String,
    /// x-axis label.
    pub x_label: String,
    /// y-axis label.
    pub y_label: String,
    /// Colour-bar label (e.g. "potential V").
    pub colorbar_label: String,
}

impl ContourPlot {
    /// A contour plot of z (ny×nx) over xs (nx) and ys (ny), viridis, automatic levels.
    pub fn new(z: Array2<f64>, xs: Vec<f64>, ys: Vec<f64>) -> Self {
        ContourPlot {
            z,
            xs,
            ys,
            levels: Vec::new(),
            colormap: Colormap::viridis(),
            points: Vec::new(),
            title: String::new(),
            x_label: "x".into(),
            y_label: "y".into(),
            colorbar_label: "V".into(),
        }
    }

    fn range(&self) -> (f64, f64) {
        padded_range(self.z.iter().copied(), 0.0)
    }

    /// The iso-line levels used: `levels`, or about 12 nice values inside the range of z.
    pub fn used_levels(&self) -> Vec<f64> {
        if !self.levels.is_empty() {
            return self.levels.clone();
        }
        let (lo, hi) = self.range();
        nice_ticks(lo, hi, 12)
            .into_iter()
            .filter(|&v| v > lo && v < hi)
            .collect()
    }
}

impl Figure for ContourPlot {
    fn size(&self) -> (u32, u32) {
        (860, 720)
    }

    fn validate(&self) -> Result<()> {
        let (ny, nx) = self.z.dim();
        if nx < 2 || ny < 2 {
            return Err(Error::shape("contour z", "ny×nx with nx, ny ≥ 2", &[ny, nx]));
        }
        check_axis("contour x", &self.xs, nx)?;
        check_axis("contour y", &self.ys, ny)?;
        if !self.z.iter().any(|v| v.is_finite()) {
            return Err(Error::invalid("contour z", "no finite value"));
        }
        super::check_finite_slice("critical points", self.points.iter().flat_map(|p| [p.x, p.y]))
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let (ex, ey) = (edges(&self.xs), edges(&self.ys));
        let (main, bar) = root.split_horizontally(self.size().0 as i32 - 120);
        let mut b = ChartBuilder::on(&main);
        b.margin(14).x_label_area_size(55).y_label_area_size(70);
        if !self.title.is_empty() {
            b.caption(&self.title, font(TITLE_SIZE));
        }
        let (x0, x1) = (self.xs[0], self.xs[self.xs.len() - 1]);
        let (y0, y1) = (self.ys[0], self.ys[self.ys.len() - 1]);
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
        let (lo, hi) = self.range();
        chart.draw_series(self.z.indexed_iter().map(|((i, j), &v)| {
            let (cx0, cx1) = (ex[j].max(x0), ex[j + 1].min(x1));
            let (cy0, cy1) = (ey[i].max(y0), ey[i + 1].min(y1));
            Rectangle::new(
                [(cx0, cy0), (cx1, cy1)],
                self.colormap.map(v, lo, hi).mix(0.85).filled(),
            )
        }))?;
        for level in self.used_levels() {
            for line in contour_segments(&self.xs, &self.ys, &self.z, level) {
                chart.draw_series(LineSeries::new(line, BLACK.mix(0.55).stroke_width(1)))?;
            }
        }
        draw_critical_points(&mut chart, &self.points, ["minimum", "saddle", "maximum"])?;
        if !self.points.is_empty() {
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.9))
                .border_style(BLACK.mix(0.5))
                .label_font(font(TICK_SIZE))
                .position(SeriesLabelPosition::UpperRight)
                .draw()?;
        }
        // Pixel positions relative to `root` (which may be a panel of a larger figure).
        let (ox, oy) = root.get_base_pixel();
        let top = chart.plotting_area().get_base_pixel().1 - oy;
        let bottom = top + chart.plotting_area().dim_in_pixel().1 as i32;
        let bx = bar.get_base_pixel().0 - ox + 6;
        draw_colorbar(
            root,
            (bx, top, bx + 20, bottom),
            &self.colormap,
            (lo, hi),
            &self.colorbar_label,
        )
    }
}
