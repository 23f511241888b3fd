//! Line plots (several series, legend, optional ±sd bands, log axes, vertical event markers — also
//! used for m(t) traces) and stacked-area plots (recognition per class vs epoch, spec §3.6;
//! populations vs T_r, §3.11).

use super::style::{LABEL_SIZE, TICK_SIZE, TITLE_SIZE, cycle, tab10};
use super::{DrawResult, Figure, check_finite_slice, font, padded_range};
use crate::error::{Error, Result};
use ndarray::Array2;
use plotters::coord::Shift;
use plotters::coord::ranged1d::{Ranged, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// One curve: points (x_i, y_i), an optional ±sd band, a legend label (empty: no legend entry).
#[derive(Debug, Clone, Default)]
pub struct Series {
    /// Legend label; empty for none.
    pub label: String,
    /// x values.
    pub x: Vec<f64>,
    /// y values (same length as x).
    pub y: Vec<f64>,
    /// Optional standard deviation: a shaded band y ± sd.
    pub sd: Option<Vec<f64>>,
    /// Colour; `None`: the plot's colour cycle (tab10).
    pub color: Option<RGBColor>,
    /// Dashed instead of solid.
    pub dashed: bool,
    /// Draw a small filled circle at every point.
    pub markers: bool,
    /// Line width in pixels (0 means 2).
    pub width: u32,
}

impl Series {
    /// A solid series with a legend label.
    pub fn new(label: impl Into<String>, x: Vec<f64>, y: Vec<f64>) -> Self {
        Series {
            label: label.into(),
            x,
            y,
            ..Default::default()
        }
    }

    /// The same series with a ±sd band.
    pub fn with_sd(mut self, sd: Vec<f64>) -> Self {
        self.sd = Some(sd);
        self
    }

    /// The same series in colour `c`.
    pub fn with_color(mut self, c: RGBColor) -> Self {
        self.color = Some(c);
        self
    }

    /// The same series dashed.
    pub fn dashed(mut self) -> Self {
        self.dashed = true;
        self
    }

    pub(crate) fn validate(&self) -> Result<()> {
        let what = format!("series '{}'", self.label);
        if self.x.len() != self.y.len() {
            return Err(Error::shape(
                format!("{what} y"),
                format!("{} values (as x)", self.x.len()),
                &[self.y.len()],
            ));
        }
        check_finite_slice(&format!("{what} x"), self.x.iter().copied())?;
        check_finite_slice(&format!("{what} y"), self.y.iter().copied())?;
        if let Some(sd) = &self.sd {
            if sd.len() != self.x.len() {
                return Err(Error::shape(
                    format!("{what} sd"),
                    format!("{} values (as x)", self.x.len()),
                    &[sd.len()],
                ));
            }
            check_finite_slice(&format!("{what} sd"), sd.iter().copied())?;
        }
        Ok(())
    }

    fn lower_upper(&self) -> impl Iterator<Item = (f64, f64)> + '_ {
        self.y.iter().enumerate().map(|(i, &y)| {
            let s = self.sd.as_ref().map_or(0.0, |sd| sd[i].abs());
            (y - s, y + s)
        })
    }
}

/// A vertical marker at x (an event: a fold crossed, a split, a schedule breakpoint).
#[derive(Debug, Clone)]
pub struct Event {
    /// Position on the x axis.
    pub x: f64,
    /// Short text written at the top of the marker.
    pub label: String,
}

/// A line plot of several series with labelled axes, a legend, optional ±sd bands, optional
/// logarithmic axes and vertical event markers.
#[derive(Debug, Clone, Default)]
pub struct LinePlot {
    /// Figure title (may be empty).
    pub title: String,
    /// x-axis label with units.
    pub x_label: String,
    /// y-axis label with units.
    pub y_label: String,
    /// The curves.
    pub series: Vec<Series>,
    /// Vertical event markers.
    pub events: Vec<Event>,
    /// Logarithmic x axis (all x must be > 0).
    pub log_x: bool,
    /// Logarithmic y axis (all y ± sd must be > 0).
    pub log_y: bool,
    /// Fixed x range; `None`: from the data.
    pub x_range: Option<(f64, f64)>,
    /// Fixed y range; `None`: from the data (with 5 % padding).
    pub y_range: Option<(f64, f64)>,
    /// Size in pixels; (0, 0) means 900×600.
    pub size: (u32, u32),
    /// Where the legend goes.
    pub legend: Corner,
}

/// A corner of the plotting area (legend placement).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Corner {
    /// Upper left.
    UpperLeft,
    /// Upper right (default).
    #[default]
    UpperRight,
    /// Lower left.
    LowerLeft,
    /// Lower right.
    LowerRight,
}

impl Corner {
    pub(crate) fn position(self) -> SeriesLabelPosition {
        match self {
            Corner::UpperLeft => SeriesLabelPosition::UpperLeft,
            Corner::UpperRight => SeriesLabelPosition::UpperRight,
            Corner::LowerLeft => SeriesLabelPosition::LowerLeft,
            Corner::LowerRight => SeriesLabelPosition::LowerRight,
        }
    }
}

impl LinePlot {
    /// An empty plot with axis labels.
    pub fn new(title: impl Into<String>, x_label: impl Into<String>, y_label: impl Into<String>) -> Self {
        LinePlot {
            title: title.into(),
            x_label: x_label.into(),
            y_label: y_label.into(),
            ..Default::default()
        }
    }

    /// Overlap traces m_μ(t) (bifurcating-hopfield §10.1 "m(t) with schedule breakpoints"):
    /// `m` is T×P (time × pattern), one series per column named `names[μ]`, with event markers.
    pub fn time_traces(t: &[f64], m: &Array2<f64>, names: &[String], events: Vec<Event>) -> Result<Self> {
        if m.nrows() != t.len() || names.len() != m.ncols() {
            return Err(Error::shape(
                "m(t)",
                format!("{}×{} (times × names)", t.len(), names.len()),
                &[m.nrows(), m.ncols()],
            ));
        }
        let mut p = LinePlot::new("", "time t", "overlap m");
        p.series = m
            .columns()
            .into_iter()
            .zip(names)
            .map(|(col, name)| Series::new(name.clone(), t.to_vec(), col.to_vec()))
            .collect();
        p.events = events;
        Ok(p)
    }

    fn ranges(&self) -> ((f64, f64), (f64, f64)) {
        let xr = self.x_range.unwrap_or_else(|| {
            let (lo, hi) = padded_range(self.series.iter().flat_map(|s| s.x.iter().copied()), 0.0);
            if self.log_x {
                (lo, hi.max(lo * 10.0))
            } else {
                (lo, hi)
            }
        });
        let yr = self.y_range.unwrap_or_else(|| {
            let vals = self
                .series
                .iter()
                .flat_map(|s| s.lower_upper().flat_map(|(a, b)| [a, b]));
            if self.log_y {
                let (lo, hi) = padded_range(vals.map(f64::ln), 0.05);
                (lo.exp(), hi.exp())
            } else {
                padded_range(vals, 0.05)
            }
        });
        (xr, yr)
    }
}

impl Figure for LinePlot {
    fn size(&self) -> (u32, u32) {
        if self.size == (0, 0) {
            (900, 600)
        } else {
            self.size
        }
    }

    fn validate(&self) -> Result<()> {
        for s in &self.series {
            s.validate()?;
            if self.log_x && s.x.iter().any(|&x| x <= 0.0) {
                return Err(Error::invalid(
                    format!("series '{}' x", s.label),
                    "log x axis needs x > 0",
                ));
            }
            if self.log_y && s.lower_upper().any(|(a, _)| a <= 0.0) {
                return Err(Error::invalid(
                    format!("series '{}' y", s.label),
                    "log y axis needs y − sd > 0",
                ));
            }
        }
        check_finite_slice("event positions", self.events.iter().map(|e| e.x))?;
        let ((x0, x1), (y0, y1)) = self.ranges();
        if !(x1 > x0 && y1 > y0) || (self.log_x && x0 <= 0.0) || (self.log_y && y0 <= 0.0) {
            return Err(Error::invalid(
                "line plot range",
                format!("empty or invalid axis range x {x0}..{x1}, y {y0}..{y1}"),
            ));
        }
        Ok(())
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let ((x0, x1), (y0, y1)) = self.ranges();
        let mut b = ChartBuilder::on(root);
        b.margin(16).x_label_area_size(58).y_label_area_size(82);
        if !self.title.is_empty() {
            b.caption(&self.title, font(TITLE_SIZE));
        }
        match (self.log_x, self.log_y) {
            (false, false) => self.draw_in(b.build_cartesian_2d(x0..x1, y0..y1)?),
            (true, false) => self.draw_in(b.build_cartesian_2d((x0..x1).log_scale(), y0..y1)?),
            (false, true) => self.draw_in(b.build_cartesian_2d(x0..x1, (y0..y1).log_scale())?),
            (true, true) => self.draw_in(b.build_cartesian_2d((x0..x1).log_scale(), (y0..y1).log_scale())?),
        }
    }
}

impl LinePlot {
    fn draw_in<'a, DB, X, Y>(&self, mut chart: ChartContext<'a, DB, Cartesian2d<X, Y>>) -> DrawResult
    where
        DB: DrawingBackend + 'a,
        DB::ErrorType: 'static,
        X: Ranged<ValueType = f64> + ValueFormatter<f64>,
        Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
    {
        chart
            .configure_mesh()
            .x_label_formatter(&super::fmt_tick)
            .y_label_formatter(&super::fmt_tick)
            .x_desc(&self.x_label)
            .y_desc(&self.y_label)
            .light_line_style(TRANSPARENT)
            .bold_line_style(BLACK.mix(0.12))
            .label_style(font(TICK_SIZE))
            .axis_desc_style(font(LABEL_SIZE))
            .draw()?;
        let ((_, _), (y0, y1)) = self.ranges();
        for e in &self.events {
            chart.draw_series(DashedLineSeries::new(
                [(e.x, y0), (e.x, y1)],
                6,
                5,
                BLACK.mix(0.55).stroke_width(1),
            ))?;
            let (px, py) = chart.backend_coord(&(e.x, y1));
            let style = font(TICK_SIZE - 1).pos(Pos::new(HPos::Left, VPos::Top));
            chart.plotting_area().strip_coord_spec().draw_text(
                &e.label,
                &style,
                (
                    px + 4 - chart.plotting_area().get_base_pixel().0,
                    py + 4 - chart.plotting_area().get_base_pixel().1,
                ),
            )?;
        }
        draw_series_on(&mut chart, &self.series, BLACK)?;
        if self.series.iter().any(|s| !s.label.is_empty()) {
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.9))
                .border_style(BLACK.mix(0.5))
                .label_font(font(TICK_SIZE))
                .position(self.legend.position())
                .draw()?;
        }
        Ok(())
    }
}

/// Draw `series` (bands first, then lines, markers, legend entries) on a chart with f64 axes.
/// Series without a colour get `cycle(i)`, or `default` when there is a single series.
pub(crate) fn draw_series_on<DB, X, Y>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<X, Y>>,
    series: &[Series],
    default: RGBColor,
) -> DrawResult
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    let color_of = |i: usize, s: &Series| {
        s.color
            .unwrap_or(if series.len() == 1 { default } else { cycle(i) })
    };
    for (i, s) in series.iter().enumerate() {
        if let Some(sd) = &s.sd {
            let upper =
                s.x.iter()
                    .zip(&s.y)
                    .zip(sd)
                    .map(|((&x, &y), &d)| (x, y + d.abs()));
            let lower =
                s.x.iter()
                    .zip(&s.y)
                    .zip(sd)
                    .map(|((&x, &y), &d)| (x, y - d.abs()));
            let poly: Vec<(f64, f64)> = upper.chain(lower.rev()).collect();
            chart.draw_series(std::iter::once(Polygon::new(
                poly,
                color_of(i, s).mix(0.2).filled(),
            )))?;
        }
    }
    for (i, s) in series.iter().enumerate() {
        let c = color_of(i, s);
        let style = c.stroke_width(if s.width == 0 { 2 } else { s.width });
        let pts: Vec<(f64, f64)> = s.x.iter().copied().zip(s.y.iter().copied()).collect();
        let (xr, yr) = (
            chart.plotting_area().get_x_range(),
            chart.plotting_area().get_y_range(),
        );
        let (xr, yr) = (
            (xr.start.min(xr.end), xr.start.max(xr.end)),
            (yr.start.min(yr.end), yr.start.max(yr.end)),
        );
        let parts = super::clip_polyline(&pts, xr, yr);
        for part in &parts {
            if s.dashed {
                chart.draw_series(DashedLineSeries::new(part.clone(), 8, 6, style))?;
            } else {
                chart.draw_series(LineSeries::new(part.clone(), style))?;
            }
        }
        // An empty series carries the legend entry (the curve may be split by clipping).
        let anno = chart.draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())?;
        if !s.label.is_empty() {
            let dashed = s.dashed;
            anno.label(&s.label).legend(move |(x, y)| {
                if dashed {
                    PathElement::new(vec![(x, y), (x + 7, y)], c.stroke_width(3))
                } else {
                    PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(3))
                }
            });
        }
        if s.markers {
            let inside = |p: &&(f64, f64)| p.0 >= xr.0 && p.0 <= xr.1 && p.1 >= yr.0 && p.1 <= yr.1;
            chart.draw_series(pts.iter().filter(inside).map(|&p| Circle::new(p, 3, c.filled())))?;
        }
    }
    Ok(())
}

/// A stacked-area plot: layer k fills between Σ_{j<k} y_j and Σ_{j≤k} y_j against x, in tab10
/// colour k with opacity 0.7 (paper Fig. 3C/F: recognised fraction per class vs epoch, spec §3.6;
/// Fig. 8B: population per class vs T_r, §3.11).
#[derive(Debug, Clone, Default)]
pub struct StackedArea {
    /// Figure title.
    pub title: String,
    /// x-axis label with units.
    pub x_label: String,
    /// y-axis label with units.
    pub y_label: String,
    /// Shared x values (increasing).
    pub x: Vec<f64>,
    /// Layers (legend label, values ≥ 0 at each x), bottom to top.
    pub layers: Vec<(String, Vec<f64>)>,
    /// Layer colours; `None`: tab10 by layer index.
    pub colors: Option<Vec<RGBColor>>,
    /// Fixed y range; `None`: 0 to the largest total.
    pub y_range: Option<(f64, f64)>,
}

impl StackedArea {
    /// Recognition per class vs epoch (spec §3.6): `fractions` is E×C (fraction of all training
    /// samples recognised, per class), layers named by class index, y from 0 to 1.
    pub fn recognition(epochs: Vec<f64>, fractions: &Array2<f64>) -> Self {
        StackedArea {
            title: String::new(),
            x_label: "epoch".into(),
            y_label: "fraction of training samples recognised".into(),
            x: epochs,
            layers: fractions
                .columns()
                .into_iter()
                .enumerate()
                .map(|(c, v)| (c.to_string(), v.to_vec()))
                .collect(),
            colors: None,
            y_range: Some((0.0, 1.0)),
        }
    }

    fn color(&self, k: usize) -> RGBColor {
        self.colors
            .as_ref()
            .and_then(|c| c.get(k).copied())
            .unwrap_or_else(|| tab10(k))
    }

    fn cumulative(&self) -> Vec<Vec<f64>> {
        let mut acc = vec![0.0; self.x.len()];
        let mut out = vec![acc.clone()];
        for (_, v) in &self.layers {
            for (a, y) in acc.iter_mut().zip(v) {
                *a += y;
            }
            out.push(acc.clone());
        }
        out
    }
}

impl Figure for StackedArea {
    fn size(&self) -> (u32, u32) {
        (900, 560)
    }

    fn validate(&self) -> Result<()> {
        if self.x.len() < 2 {
            return Err(Error::shape(
                "stacked area x",
                "at least 2 values",
                &[self.x.len()],
            ));
        }
        check_finite_slice("stacked area x", self.x.iter().copied())?;
        for (name, v) in &self.layers {
            if v.len() != self.x.len() {
                return Err(Error::shape(
                    format!("layer '{name}'"),
                    format!("{} values (as x)", self.x.len()),
                    &[v.len()],
                ));
            }
            check_finite_slice(&format!("layer '{name}'"), v.iter().copied())?;
            if v.iter().any(|&y| y < 0.0) {
                return Err(Error::invalid(
                    format!("layer '{name}'"),
                    "stacked values must be ≥ 0",
                ));
            }
        }
        Ok(())
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let cum = self.cumulative();
        let total = cum.last().map_or(1.0, |t| t.iter().copied().fold(0.0, f64::max));
        let (y0, y1) = self
            .y_range
            .unwrap_or((0.0, if total > 0.0 { total * 1.02 } else { 1.0 }));
        let (x0, x1) = padded_range(self.x.iter().copied(), 0.0);
        let (main, legend_area) = root.split_horizontally(self.size().0 as i32 - 90);
        let mut b = ChartBuilder::on(&main);
        b.margin(16).x_label_area_size(58).y_label_area_size(82);
        if !self.title.is_empty() {
            b.caption(&self.title, font(TITLE_SIZE));
        }
        let mut chart: ChartContext<'_, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>> =
            b.build_cartesian_2d(x0..x1, y0..y1)?;
        chart
            .configure_mesh()
            .x_label_formatter(&super::fmt_tick)
            .y_label_formatter(&super::fmt_tick)
            .x_desc(&self.x_label)
            .y_desc(&self.y_label)
            .light_line_style(TRANSPARENT)
            .bold_line_style(BLACK.mix(0.1))
            .label_style(font(TICK_SIZE))
            .axis_desc_style(font(LABEL_SIZE))
            .draw()?;
        for k in 0..self.layers.len() {
            let upper = self.x.iter().copied().zip(cum[k + 1].iter().copied());
            let lower = self.x.iter().copied().zip(cum[k].iter().copied());
            let poly: Vec<(f64, f64)> = upper.chain(lower.rev()).collect();
            chart.draw_series(std::iter::once(Polygon::new(
                poly,
                self.color(k).mix(0.7).filled(),
            )))?;
        }
        // Legend to the right, top layer first (matches the stacking order).
        // Pixel positions relative to `root` (which may be a sub-area of a larger figure).
        let (rx, ry) = root.get_base_pixel();
        let top = chart.plotting_area().get_base_pixel().1 - ry;
        let lx = legend_area.get_base_pixel().0 - rx;
        let style = font(TICK_SIZE).pos(Pos::new(HPos::Left, VPos::Center));
        for (row, k) in (0..self.layers.len()).rev().enumerate() {
            let y = top + 10 + 24 * row as i32;
            root.draw(&Rectangle::new(
                [(lx + 4, y - 8), (lx + 22, y + 8)],
                self.color(k).mix(0.7).filled(),
            ))?;
            root.draw_text(&self.layers[k].0, &style, (lx + 28, y))?;
        }
        Ok(())
    }
}

/// Read series from a CSV file with a header row: the first column is x, every other column one
/// series named by its header. Empty cells are skipped (series may have different supports).
/// Returns the x column's name and the series.
pub fn read_csv_series(path: &std::path::Path) -> Result<(String, Vec<Series>)> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.starts_with('#'));
    let (_, header) = lines
        .next()
        .ok_or_else(|| Error::format(path, "empty file; expected a header row"))?;
    let names: Vec<String> = header.split(',').map(|h| h.trim().to_string()).collect();
    if names.len() < 2 {
        return Err(Error::format(
            path,
            "the header needs an x column and at least one series column",
        ));
    }
    let mut series: Vec<Series> = names[1..]
        .iter()
        .map(|n| Series::new(n.clone(), vec![], vec![]))
        .collect();
    for (ln, line) in lines {
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        if cells.len() != names.len() {
            return Err(Error::format(
                path,
                format!(
                    "line {}: {} cells, expected {} (as the header)",
                    ln + 1,
                    cells.len(),
                    names.len()
                ),
            ));
        }
        let parse = |c: &str, col: usize| -> Result<f64> {
            c.parse::<f64>().map_err(|_| {
                Error::format(
                    path,
                    format!("line {}, column '{}': '{c}' is not a number", ln + 1, names[col]),
                )
            })
        };
        let x = parse(cells[0], 0)?;
        for (k, c) in cells[1..].iter().enumerate() {
            if !c.is_empty() {
                let y = parse(c, k + 1)?;
                series[k].x.push(x);
                series[k].y.push(y);
            }
        }
    }
    Ok((names[0].clone(), series))
}
