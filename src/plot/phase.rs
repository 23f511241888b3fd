//! Phase planes: nullclines, a flow field drawn as normalised arrows, fixed points coloured by
//! stability and optional trajectories (paper Fig. 5 nullcline and dynamics panels, spec §5.4;
//! the (ℓ, α) plane of the reduced two-memory system).

use super::heatmap::check_axis;
use super::isolines::contour_segments;
use super::lines::{Series, draw_series_on};
use super::scatter::Trail;
use super::style::{LABEL_SIZE, TICK_SIZE, TITLE_SIZE, tab10};
use super::{DrawResult, Figure, check_finite_slice, font, padded_range};
use crate::error::{Error, Result};
use ndarray::Array2;
use plotters::coord::Shift;
use plotters::coord::ranged1d::Ranged;
use plotters::prelude::*;

/// The kind of a critical (fixed) point: stable (a minimum of a potential, an attractor), saddle,
/// or unstable (a maximum, a repeller).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CriticalKind {
    /// Attractor / minimum: filled green circle.
    Stable,
    /// Saddle: red cross.
    Saddle,
    /// Repeller / maximum: open red circle (triangle in contour plots).
    Unstable,
}

/// A marked point in the plane.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CriticalPoint {
    /// x coordinate.
    pub x: f64,
    /// y coordinate.
    pub y: f64,
    /// Its kind.
    pub kind: CriticalKind,
}

const GREEN: RGBColor = RGBColor(0x1a, 0x9a, 0x3a);
const RED: RGBColor = RGBColor(0xd6, 0x27, 0x28);

/// Draw critical points with one legend entry per kind present, named by `names`
/// ([stable, saddle, unstable]).
pub(crate) fn draw_critical_points<DB, X, Y>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<X, Y>>,
    points: &[CriticalPoint],
    names: [&str; 3],
) -> DrawResult
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    let of = |k: CriticalKind| points.iter().filter(move |p| p.kind == k).map(|p| (p.x, p.y));
    if of(CriticalKind::Stable).next().is_some() {
        chart.draw_series(of(CriticalKind::Stable).map(|p| Circle::new(p, 7, WHITE.filled())))?;
        chart
            .draw_series(of(CriticalKind::Stable).map(|p| Circle::new(p, 6, GREEN.filled())))?
            .label(names[0])
            .legend(|(x, y)| Circle::new((x + 10, y), 6, GREEN.filled()));
    }
    if of(CriticalKind::Saddle).next().is_some() {
        chart.draw_series(of(CriticalKind::Saddle).map(|p| Cross::new(p, 7, WHITE.stroke_width(5))))?;
        chart
            .draw_series(of(CriticalKind::Saddle).map(|p| Cross::new(p, 6, RED.stroke_width(3))))?
            .label(names[1])
            .legend(|(x, y)| Cross::new((x + 10, y), 6, RED.stroke_width(3)));
    }
    if of(CriticalKind::Unstable).next().is_some() {
        chart.draw_series(of(CriticalKind::Unstable).map(|p| Circle::new(p, 6, WHITE.filled())))?;
        chart
            .draw_series(of(CriticalKind::Unstable).map(|p| Circle::new(p, 6, RED.stroke_width(2))))?
            .label(names[2])
            .legend(|(x, y)| Circle::new((x + 10, y), 6, RED.stroke_width(2)));
    }
    Ok(())
}

/// A planar vector field sampled on a grid: (u, v)[(i, j)] is the velocity (dx/dt, dy/dt) at
/// x = xs[j], y = ys[i].
#[derive(Debug, Clone)]
pub struct VectorField {
    /// nx increasing x values.
    pub xs: Vec<f64>,
    /// ny increasing y values.
    pub ys: Vec<f64>,
    /// ny×nx x-components.
    pub u: Array2<f64>,
    /// ny×nx y-components.
    pub v: Array2<f64>,
}

impl VectorField {
    /// Sample `f(x, y) -> (dx/dt, dy/dt)` on the grid xs × ys.
    pub fn sample(xs: Vec<f64>, ys: Vec<f64>, f: impl Fn(f64, f64) -> (f64, f64)) -> Self {
        let (ny, nx) = (ys.len(), xs.len());
        let mut u = Array2::zeros((ny, nx));
        let mut v = Array2::zeros((ny, nx));
        for i in 0..ny {
            for j in 0..nx {
                let (a, b) = f(xs[j], ys[i]);
                u[(i, j)] = a;
                v[(i, j)] = b;
            }
        }
        VectorField { xs, ys, u, v }
    }

    /// The nullclines as curves: the zero contours of u (dx/dt = 0) and of v (dy/dt = 0),
    /// named and coloured as in paper Fig. 5 (purple, orange).
    pub fn nullclines(&self, x_name: &str, y_name: &str) -> Vec<Series> {
        let mut out = Vec::new();
        for (field, name, color) in [
            (&self.u, x_name, RGBColor(0x7b, 0x2c, 0xbf)),
            (&self.v, y_name, RGBColor(0xff, 0x8c, 0x00)),
        ] {
            for (k, line) in contour_segments(&self.xs, &self.ys, field, 0.0)
                .into_iter()
                .enumerate()
            {
                let label = if k == 0 {
                    format!("{name} nullcline")
                } else {
                    String::new()
                };
                let (x, y) = line.into_iter().unzip();
                out.push(Series {
                    label,
                    x,
                    y,
                    color: Some(color),
                    width: 3,
                    ..Default::default()
                });
            }
        }
        out
    }

    fn validate(&self) -> Result<()> {
        check_axis("vector field x", &self.xs, self.u.ncols())?;
        check_axis("vector field y", &self.ys, self.u.nrows())?;
        if self.u.dim() != self.v.dim() {
            return Err(Error::shape(
                "vector field v",
                format!("{:?} (as u)", self.u.dim()),
                self.v.shape(),
            ));
        }
        check_finite_slice("vector field u", self.u.iter().copied())?;
        check_finite_slice("vector field v", self.v.iter().copied())
    }
}

/// A phase plane: flow arrows (direction only, grey), nullclines and other curves, trajectories,
/// and fixed points coloured by stability.
#[derive(Debug, Clone, Default)]
pub struct PhasePlane {
    /// Figure title.
    pub title: String,
    /// x-axis label.
    pub x_label: String,
    /// y-axis label.
    pub y_label: String,
    /// Axis ranges; `None`: the field's grid, else the data.
    pub bounds: Option<((f64, f64), (f64, f64))>,
    /// The flow, drawn as unit arrows on (a subsample of at most 24×24 of) its grid.
    pub field: Option<VectorField>,
    /// Nullclines and other curves.
    pub curves: Vec<Series>,
    /// Trajectories (black when unclassed, tab10 otherwise), with their start marked by a dot.
    pub trajectories: Vec<Trail>,
    /// Fixed points.
    pub points: Vec<CriticalPoint>,
}

impl PhasePlane {
    fn bounds(&self) -> ((f64, f64), (f64, f64)) {
        if let Some(b) = self.bounds {
            return b;
        }
        if let Some(f) = &self.field {
            return ((f.xs[0], f.xs[f.xs.len() - 1]), (f.ys[0], f.ys[f.ys.len() - 1]));
        }
        let xs = self
            .curves
            .iter()
            .flat_map(|s| s.x.clone())
            .chain(self.points.iter().map(|p| p.x));
        let ys = self
            .curves
            .iter()
            .flat_map(|s| s.y.clone())
            .chain(self.points.iter().map(|p| p.y));
        (padded_range(xs, 0.05), padded_range(ys, 0.05))
    }
}

impl Figure for PhasePlane {
    fn size(&self) -> (u32, u32) {
        (800, 720)
    }

    fn validate(&self) -> Result<()> {
        if let Some(f) = &self.field {
            f.validate()?;
        }
        for s in &self.curves {
            s.validate()?;
        }
        check_finite_slice("fixed points", self.points.iter().flat_map(|p| [p.x, p.y]))?;
        check_finite_slice(
            "trajectories",
            self.trajectories
                .iter()
                .flat_map(|t| t.points.iter().flat_map(|p| [p.0, p.1])),
        )?;
        let ((x0, x1), (y0, y1)) = self.bounds();
        if !(x1 > x0 && y1 > y0) {
            return Err(Error::invalid("phase plane bounds", "need x0 < x1 and y0 < y1"));
        }
        Ok(())
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let ((x0, x1), (y0, y1)) = self.bounds();
        let mut b = ChartBuilder::on(root);
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
        if let Some(f) = &self.field {
            draw_arrows(&chart, f, root)?;
        }
        draw_series_on(&mut chart, &self.curves, BLACK)?;
        for t in &self.trajectories {
            let c = t.class.map_or(BLACK, tab10);
            for part in super::clip_polyline(&t.points, (x0, x1), (y0, y1)) {
                chart.draw_series(LineSeries::new(part, c.stroke_width(2)))?;
            }
            if let Some(&p) = t.points.first() {
                chart.draw_series(std::iter::once(Circle::new(p, 3, c.filled())))?;
            }
        }
        draw_critical_points(&mut chart, &self.points, ["stable", "saddle", "unstable"])?;
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK.mix(0.5))
            .label_font(font(TICK_SIZE))
            .position(SeriesLabelPosition::UpperRight)
            .draw()?;
        Ok(())
    }
}

/// Unit arrows along the flow on a subsampled grid, drawn in pixel space (so their length does
/// not depend on the axis scales) in grey.
fn draw_arrows<DB, X, Y>(
    chart: &ChartContext<'_, DB, Cartesian2d<X, Y>>,
    f: &VectorField,
    root: &DrawingArea<DB, Shift>,
) -> DrawResult
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    let (ny, nx) = f.u.dim();
    let (si, sj) = (ny.div_ceil(24).max(1), nx.div_ceil(24).max(1));
    let (w, h) = chart.plotting_area().dim_in_pixel();
    let cell = (w as f64 / (nx / sj).max(1) as f64).min(h as f64 / (ny / si).max(1) as f64);
    let len = (0.7 * cell).clamp(6.0, 30.0);
    let grey = BLACK.mix(0.35);
    let (xr, yr) = (
        chart.plotting_area().get_x_range(),
        chart.plotting_area().get_y_range(),
    );
    let (xspan, yspan) = (xr.end - xr.start, yr.end - yr.start);
    for i in (si / 2..ny).step_by(si) {
        for j in (sj / 2..nx).step_by(sj) {
            let p0 = chart.backend_coord(&(f.xs[j], f.ys[i]));
            // Direction in pixels: the velocity scaled by pixels per unit on each axis (y down).
            let (du, dv) = (f.u[(i, j)], f.v[(i, j)]);
            let (ax, ay) = (du * w as f64 / xspan, -dv * h as f64 / yspan);
            if ax == 0.0 && ay == 0.0 {
                root.draw(&Circle::new(p0, 1, grey.filled()))?;
                continue;
            }
            let m = ax.hypot(ay).max(1e-12);
            let (ux, uy) = (ax / m, ay / m);
            let tail = (p0.0 as f64 - 0.5 * len * ux, p0.1 as f64 - 0.5 * len * uy);
            let tip = (p0.0 as f64 + 0.5 * len * ux, p0.1 as f64 + 0.5 * len * uy);
            let head = 0.35 * len;
            let left = (
                tip.0 - head * (ux * 0.87 - uy * 0.5),
                tip.1 - head * (uy * 0.87 + ux * 0.5),
            );
            let right = (
                tip.0 - head * (ux * 0.87 + uy * 0.5),
                tip.1 - head * (uy * 0.87 - ux * 0.5),
            );
            let r = |p: (f64, f64)| (p.0.round() as i32, p.1.round() as i32);
            root.draw(&PathElement::new(vec![r(tail), r(tip)], grey.stroke_width(1)))?;
            root.draw(&Polygon::new(vec![r(tip), r(left), r(right)], grey.filled()))?;
        }
    }
    Ok(())
}
