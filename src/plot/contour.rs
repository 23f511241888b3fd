//! Contour lines by marching squares, and contour plots of a 2-D scalar field (a landscape V(x, y))
//! with its critical points marked (minima as circles, saddles as crosses, maxima as triangles;
//! bifurcating-hopfield §10.1).

use super::heatmap::{check_axis, draw_colorbar, edges, nice_ticks};
use super::phase::{CriticalPoint, draw_critical_points};
use super::style::{Colormap, LABEL_SIZE, TICK_SIZE, TITLE_SIZE};
use super::{DrawResult, Figure, font, padded_range};
use crate::error::{Error, Result};
use ndarray::Array2;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::collections::HashMap;

type P = (f64, f64);

/// The iso-line z = `level` of a grid (z[(i, j)] at x = xs[j], y = ys[i]) by marching squares:
/// in each cell, the crossings on its four edges are found by linear interpolation along the edge
/// and joined into segments (the ambiguous four-crossing case is resolved by the cell-centre mean);
/// segments sharing end points are then joined into polylines. Cells touching NaN are skipped.
pub fn contour_segments(xs: &[f64], ys: &[f64], z: &Array2<f64>, level: f64) -> Vec<Vec<P>> {
    let (ny, nx) = z.dim();
    let mut segs: Vec<[P; 2]> = Vec::new();
    if nx < 2 || ny < 2 || xs.len() != nx || ys.len() != ny {
        return Vec::new();
    }
    let above = |v: f64| v > level;
    // Crossing on the edge from grid node a to node b (a before b in row-major order).
    let cross = |a: (usize, usize), b: (usize, usize)| -> P {
        let (za, zb) = (z[a], z[b]);
        let (xa, ya) = (xs[a.1], ys[a.0]);
        let (xb, yb) = (xs[b.1], ys[b.0]);
        // A node exactly on the level is returned exactly, so every cell sharing it agrees.
        if zb == level {
            return (xb, yb);
        }
        let t = (level - za) / (zb - za);
        (xa + t * (xb - xa), ya + t * (yb - ya))
    };
    for i in 0..ny - 1 {
        for j in 0..nx - 1 {
            let c = [(i, j), (i, j + 1), (i + 1, j + 1), (i + 1, j)];
            if c.iter().any(|&n| z[n].is_nan()) {
                continue;
            }
            // Edges: bottom, right, top, left, each from its lower-index node.
            let e = [(c[0], c[1]), (c[1], c[2]), (c[3], c[2]), (c[0], c[3])];
            let hits: Vec<(usize, P)> = e
                .iter()
                .enumerate()
                .filter(|(_, (a, b))| above(z[*a]) != above(z[*b]))
                .map(|(k, &(a, b))| (k, cross(a, b)))
                .collect();
            match hits.len() {
                2 => segs.push([hits[0].1, hits[1].1]),
                4 => {
                    let centre = c.iter().map(|&n| z[n]).sum::<f64>() / 4.0;
                    if above(centre) == above(z[c[0]]) {
                        segs.push([hits[0].1, hits[1].1]);
                        segs.push([hits[2].1, hits[3].1]);
                    } else {
                        segs.push([hits[0].1, hits[3].1]);
                        segs.push([hits[1].1, hits[2].1]);
                    }
                }
                _ => {}
            }
        }
    }
    // Zero-length segments arise where the level passes exactly through a grid node.
    segs.retain(|s| key(s[0]) != key(s[1]));
    join_segments(&segs)
}

fn key(p: P) -> (u64, u64) {
    (p.0.to_bits(), p.1.to_bits())
}

/// Join segments whose end points are bit-identical into polylines.
fn join_segments(segs: &[[P; 2]]) -> Vec<Vec<P>> {
    let mut at: HashMap<(u64, u64), Vec<usize>> = HashMap::new();
    for (s, seg) in segs.iter().enumerate() {
        at.entry(key(seg[0])).or_default().push(s);
        at.entry(key(seg[1])).or_default().push(s);
    }
    let mut used = vec![false; segs.len()];
    let mut lines = Vec::new();
    for s0 in 0..segs.len() {
        if used[s0] {
            continue;
        }
        used[s0] = true;
        let mut line = vec![segs[s0][0], segs[s0][1]];
        for forward in [true, false] {
            loop {
                let end = if forward { line[line.len() - 1] } else { line[0] };
                let next = at
                    .get(&key(end))
                    .and_then(|v| v.iter().copied().find(|&s| !used[s]));
                let Some(s) = next else { break };
                used[s] = true;
                let other = if key(segs[s][0]) == key(end) {
                    segs[s][1]
                } else {
                    segs[s][0]
                };
                if forward {
                    line.push(other);
                } else {
                    line.insert(0, other);
                }
            }
        }
        lines.push(line);
    }
    lines
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn circle_contour_has_the_right_radius() {
        // z = x² + y² on [−1, 1]²; the level 0.25 is the circle of radius 0.5.
        let n = 81;
        let g: Vec<f64> = (0..n).map(|i| -1.0 + 2.0 * i as f64 / (n - 1) as f64).collect();
        let z = Array2::from_shape_fn((n, n), |(i, j)| g[j] * g[j] + g[i] * g[i]);
        let lines = contour_segments(&g, &g, &z, 0.25);
        assert_eq!(lines.len(), 1, "one closed line");
        let line = &lines[0];
        assert!(line.len() > 40);
        assert_eq!(key(line[0]), key(line[line.len() - 1]), "closed");
        for &(x, y) in line {
            let r = (x * x + y * y).sqrt();
            // Linear interpolation of a quadratic over cells of size 0.025: error ≲ h²/(8r).
            assert!((r - 0.5).abs() < 2e-3, "r = {r}");
        }
    }

    #[test]
    fn straight_line_contour_is_exact() {
        // z = x − y: the zero level is y = x, exact under linear interpolation.
        let g: Vec<f64> = (0..11).map(|i| i as f64 / 10.0).collect();
        let z = Array2::from_shape_fn((11, 11), |(i, j)| g[j] - g[i] + 0.013);
        let lines = contour_segments(&g, &g, &z, 0.0);
        assert_eq!(lines.len(), 1);
        for &(x, y) in &lines[0] {
            assert!((y - x - 0.013).abs() < 1e-12);
        }
    }
}
