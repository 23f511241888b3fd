//! Heat maps of a grid of values (e.g. α over (n, T_r), paper Fig. 6) with a colour bar and
//! optional overlay lines (e.g. the analytic transition line, spec §5.8); the colour-bar helper
//! shared by image figures.

use super::lines::Series;
use super::style::{Colormap, LABEL_SIZE, TICK_SIZE, TITLE_SIZE};
use super::{DrawResult, Figure, check_finite_slice, font};
use crate::error::{Error, Result};
use ndarray::Array2;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// About `n` "nice" tick values (1, 2, 2.5, 5 × 10^k steps) covering [lo, hi].
pub fn nice_ticks(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    if hi.partial_cmp(&lo) != Some(std::cmp::Ordering::Greater) || n == 0 {
        return vec![lo];
    }
    let raw = (hi - lo) / n as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let start = (lo / step).ceil() as i64;
    let end = (hi / step + 1e-9).floor() as i64;
    (start..=end)
        .map(|i| i as f64 * step)
        .map(|v| if v.abs() < step * 1e-9 { 0.0 } else { v })
        .collect()
}

/// Format a tick value compactly (no trailing zeros).
pub fn tick_label(v: f64) -> String {
    // |v| < 1e-12: a zero tick reached by adding float steps (e.g. −0.4 + 0.2 + 0.2 = −5.6e−17).
    if v.abs() < 1e-12 {
        return "0".into();
    }
    let a = v.abs();
    if !(1e-3..1e5).contains(&a) {
        return format!("{v:.1e}");
    }
    let s = format!("{v:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

/// Draw a vertical colour bar in the pixel box (x0, y0, x1, y1) of `root` (low values at the
/// bottom), with tick labels to its right and a rotated label.
pub(crate) fn draw_colorbar<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    (x0, y0, x1, y1): (i32, i32, i32, i32),
    cmap: &Colormap,
    (vmin, vmax): (f64, f64),
    label: &str,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let h = (y1 - y0).max(1);
    for py in y0..y1 {
        let t = 1.0 - (py - y0) as f64 / (h - 1).max(1) as f64;
        root.draw(&Rectangle::new([(x0, py), (x1, py + 1)], cmap.at(t).filled()))?;
    }
    root.draw(&Rectangle::new([(x0, y0), (x1, y1)], BLACK.stroke_width(1)))?;
    let style = font(TICK_SIZE).pos(Pos::new(HPos::Left, VPos::Center));
    let mut widest = 0;
    for v in nice_ticks(vmin, vmax, 6) {
        let py = y1 - (((v - vmin) / (vmax - vmin)) * (h as f64)).round() as i32;
        root.draw(&PathElement::new(vec![(x1, py), (x1 + 4, py)], BLACK))?;
        let text = tick_label(v);
        widest = widest.max(root.estimate_text_size(&text, &style)?.0 as i32);
        root.draw_text(&text, &style, (x1 + 7, py))?;
    }
    if !label.is_empty() {
        let lstyle = font(TICK_SIZE + 1)
            .transform(FontTransform::Rotate90)
            .pos(Pos::new(HPos::Center, VPos::Center));
        root.draw_text(label, &lstyle, (x1 + 14 + widest + 8, (y0 + y1) / 2))?;
    }
    Ok(())
}

/// A heat map: `values[(i, j)]` is the value at y = `ys[i]`, x = `xs[j]` (cell centres; the cells
/// extend half-way to the neighbours), coloured by `colormap` on [vmin, vmax], with a colour bar and
/// overlay lines drawn on top (e.g. a transition line T*(n), spec §5.8).
#[derive(Debug, Clone)]
pub struct Heatmap {
    /// ny×nx values (NaN cells are drawn light grey).
    pub values: Array2<f64>,
    /// nx increasing x centres.
    pub xs: Vec<f64>,
    /// ny increasing y centres.
    pub ys: Vec<f64>,
    /// Colour map.
    pub colormap: Colormap,
    /// Colour range; `None`: min and max of the finite values.
    pub range: Option<(f64, f64)>,
    /// Figure title.
    pub title: String,
    /// x-axis label (with units).
    pub x_label: String,
    /// y-axis label (with units).
    pub y_label: String,
    /// Colour-bar label.
    pub colorbar_label: String,
    /// Lines drawn over the map (default colour white).
    pub overlays: Vec<Series>,
}

impl Heatmap {
    /// A viridis heat map of `values` (ny×nx) at centres `xs` (nx) and `ys` (ny).
    pub fn new(values: Array2<f64>, xs: Vec<f64>, ys: Vec<f64>) -> Self {
        Heatmap {
            values,
            xs,
            ys,
            colormap: Colormap::viridis(),
            range: None,
            title: String::new(),
            x_label: "x".into(),
            y_label: "y".into(),
            colorbar_label: String::new(),
            overlays: Vec::new(),
        }
    }

    /// A heat map of a matrix with x = column index and y = row index.
    pub fn from_matrix(values: Array2<f64>) -> Self {
        let (ny, nx) = values.dim();
        Self::new(
            values,
            (0..nx).map(|j| j as f64).collect(),
            (0..ny).map(|i| i as f64).collect(),
        )
    }

    fn color_range(&self) -> (f64, f64) {
        self.range.unwrap_or_else(|| {
            let (lo, hi) = super::padded_range(self.values.iter().copied(), 0.0);
            (lo, hi)
        })
    }
}

/// Cell edges from increasing centres: midpoints, extended by half a step at both ends.
pub(crate) fn edges(c: &[f64]) -> Vec<f64> {
    if c.len() == 1 {
        return vec![c[0] - 0.5, c[0] + 0.5];
    }
    let mut e = Vec::with_capacity(c.len() + 1);
    e.push(c[0] - (c[1] - c[0]) / 2.0);
    for w in c.windows(2) {
        e.push((w[0] + w[1]) / 2.0);
    }
    let n = c.len();
    e.push(c[n - 1] + (c[n - 1] - c[n - 2]) / 2.0);
    e
}

pub(crate) fn check_axis(what: &str, v: &[f64], n: usize) -> Result<()> {
    if v.len() != n {
        return Err(Error::shape(
            what,
            format!("{n} values (matching the grid)"),
            &[v.len()],
        ));
    }
    check_finite_slice(what, v.iter().copied())?;
    if v.windows(2).any(|w| w[1] <= w[0]) {
        return Err(Error::invalid(what, "values must be strictly increasing"));
    }
    Ok(())
}

impl Figure for Heatmap {
    fn size(&self) -> (u32, u32) {
        (860, 640)
    }

    fn validate(&self) -> Result<()> {
        let (ny, nx) = self.values.dim();
        if nx == 0 || ny == 0 {
            return Err(Error::shape("heatmap values", "ny×nx with nx, ny ≥ 1", &[ny, nx]));
        }
        check_axis("heatmap x centres", &self.xs, nx)?;
        check_axis("heatmap y centres", &self.ys, ny)?;
        let (lo, hi) = self.color_range();
        if hi.partial_cmp(&lo) != Some(std::cmp::Ordering::Greater) || !lo.is_finite() || !hi.is_finite() {
            return Err(Error::invalid(
                "heatmap colour range",
                format!("need finite vmin < vmax, got {lo}..{hi}"),
            ));
        }
        for s in &self.overlays {
            s.validate()?;
        }
        Ok(())
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let (w, h) = self.size();
        let (main, bar) = root.split_horizontally(w as i32 - 120);
        let (ex, ey) = (edges(&self.xs), edges(&self.ys));
        let (x0, x1) = (ex[0], ex[ex.len() - 1]);
        let (y0, y1) = (ey[0], ey[ey.len() - 1]);
        let mut b = ChartBuilder::on(&main);
        b.margin(12).x_label_area_size(55).y_label_area_size(75);
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
        let (vmin, vmax) = self.color_range();
        chart.draw_series(self.values.indexed_iter().map(|((i, j), &v)| {
            Rectangle::new(
                [(ex[j], ey[i]), (ex[j + 1], ey[i + 1])],
                self.colormap.map(v, vmin, vmax).filled(),
            )
        }))?;
        super::lines::draw_series_on(&mut chart, &self.overlays, WHITE)?;
        if self.overlays.iter().any(|s| !s.label.is_empty()) {
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK)
                .label_font(font(TICK_SIZE))
                .position(SeriesLabelPosition::UpperRight)
                .draw()?;
        }
        // Pixel positions relative to `root` (which may be a panel of a larger figure).
        let (ox, oy) = root.get_base_pixel();
        let top = chart.plotting_area().get_base_pixel().1 - oy;
        let bottom = top + chart.plotting_area().dim_in_pixel().1 as i32;
        let bx = bar.get_base_pixel().0 - ox + 6;
        let _ = h;
        draw_colorbar(
            root,
            (bx, top, bx + 20, bottom),
            &self.colormap,
            (vmin, vmax),
            &self.colorbar_label,
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_nice_and_cover() {
        assert_eq!(nice_ticks(-1.0, 1.0, 4), vec![-1.0, -0.5, 0.0, 0.5, 1.0]);
        assert_eq!(nice_ticks(0.0, 10.0, 5), vec![0.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
        assert_eq!(tick_label(0.5), "0.5");
        assert_eq!(tick_label(-1.0), "-1");
        assert_eq!(tick_label(-0.4 + 0.2 + 0.2), "0");
        assert_eq!(edges(&[0.0, 1.0, 3.0]), vec![-0.5, 0.5, 2.0, 4.0]);
    }
}
