//! Bifurcation diagrams: branches of fixed points against a parameter, stable parts solid and
//! unstable parts dashed, fold (saddle-node) points marked by diamonds, optional simulation points
//! (paper Fig. 5 α vs n and ℓ vs n, spec §5.6; Supplement "BifurcationDiagramValidation").

use super::style::{LABEL_SIZE, TICK_SIZE, TITLE_SIZE, cycle};
use super::{DrawResult, Figure, check_finite_slice, font, padded_range};
use crate::error::{Error, Result};
use plotters::coord::Shift;
use plotters::prelude::*;

/// One branch: points (parameter, state) in continuation order with a stability flag per point.
#[derive(Debug, Clone, Default)]
pub struct Branch {
    /// Legend label; empty for none.
    pub label: String,
    /// (parameter, state) points in order along the branch.
    pub points: Vec<(f64, f64)>,
    /// Stability of each point (same length as `points`).
    pub stable: Vec<bool>,
    /// Colour; `None`: tab10 by branch index (black when there is one branch).
    pub color: Option<RGBColor>,
}

impl Branch {
    /// Maximal runs of equal stability as (stable, points); consecutive runs share their boundary
    /// point so the drawn curve is continuous.
    pub fn runs(&self) -> Vec<(bool, Vec<(f64, f64)>)> {
        let mut out: Vec<(bool, Vec<(f64, f64)>)> = Vec::new();
        for (i, (&p, &s)) in self.points.iter().zip(&self.stable).enumerate() {
            match out.last_mut() {
                Some((rs, pts)) if *rs == s => pts.push(p),
                _ => {
                    let mut pts = Vec::new();
                    if i > 0 {
                        pts.push(self.points[i - 1]);
                    }
                    pts.push(p);
                    out.push((s, pts));
                }
            }
        }
        out
    }
}

/// A bifurcation diagram.
#[derive(Debug, Clone, Default)]
pub struct BifurcationDiagram {
    /// Figure title.
    pub title: String,
    /// Parameter axis label (e.g. "interaction order n").
    pub x_label: String,
    /// State axis label (e.g. "α_A").
    pub y_label: String,
    /// The branches.
    pub branches: Vec<Branch>,
    /// Fold points (parameter, state).
    pub folds: Vec<(f64, f64)>,
    /// Simulation end points to compare with (black dots), e.g. trained K = 1 networks.
    pub samples: Vec<(f64, f64)>,
}

impl Figure for BifurcationDiagram {
    fn size(&self) -> (u32, u32) {
        (900, 620)
    }

    fn validate(&self) -> Result<()> {
        for (b, br) in self.branches.iter().enumerate() {
            if br.stable.len() != br.points.len() {
                return Err(Error::shape(
                    format!("branch {b} stability"),
                    format!("{} flags (one per point)", br.points.len()),
                    &[br.stable.len()],
                ));
            }
            check_finite_slice(&format!("branch {b}"), br.points.iter().flat_map(|p| [p.0, p.1]))?;
        }
        check_finite_slice("folds", self.folds.iter().flat_map(|p| [p.0, p.1]))?;
        check_finite_slice("samples", self.samples.iter().flat_map(|p| [p.0, p.1]))
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let all = || {
            self.branches
                .iter()
                .flat_map(|b| b.points.iter().copied())
                .chain(self.folds.iter().copied())
                .chain(self.samples.iter().copied())
        };
        let (x0, x1) = padded_range(all().map(|p| p.0), 0.02);
        let (y0, y1) = padded_range(all().map(|p| p.1), 0.06);
        let mut b = ChartBuilder::on(root);
        b.margin(16).x_label_area_size(58).y_label_area_size(82);
        if !self.title.is_empty() {
            b.caption(&self.title, font(TITLE_SIZE));
        }
        let mut chart = b.build_cartesian_2d(x0..x1, y0..y1)?;
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
        let single = self.branches.len() == 1;
        for (k, br) in self.branches.iter().enumerate() {
            let c = br.color.unwrap_or(if single { BLACK } else { cycle(k) });
            for (stable, pts) in br.runs() {
                if stable {
                    chart.draw_series(LineSeries::new(pts, c.stroke_width(3)))?;
                } else {
                    chart.draw_series(DashedLineSeries::new(pts, 7, 5, c.stroke_width(2)))?;
                }
            }
            if !br.label.is_empty() {
                chart
                    .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())?
                    .label(&br.label)
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(3)));
            }
        }
        chart
            .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())?
            .label("stable")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK.stroke_width(3)));
        chart
            .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())?
            .label("unstable")
            .legend(|(x, y)| {
                plotters::element::DashedPathElement::new(
                    vec![(x, y), (x + 20, y)],
                    5,
                    3,
                    BLACK.stroke_width(2),
                )
            });
        if !self.samples.is_empty() {
            chart
                .draw_series(self.samples.iter().map(|&p| Circle::new(p, 3, BLACK.filled())))?
                .label("simulation")
                .legend(|(x, y)| Circle::new((x + 10, y), 3, BLACK.filled()));
        }
        if !self.folds.is_empty() {
            let diamond = |p: (f64, f64), s: ShapeStyle| {
                EmptyElement::at(p) + Polygon::new(vec![(0, -7), (7, 0), (0, 7), (-7, 0)], s)
            };
            chart
                .draw_series(
                    self.folds
                        .iter()
                        .map(|&p| diamond(p, RGBColor(0xd6, 0x27, 0x28).filled())),
                )?
                .label("fold")
                .legend(move |(x, y)| {
                    EmptyElement::at((x + 10, y))
                        + Polygon::new(
                            vec![(0, -6), (6, 0), (0, 6), (-6, 0)],
                            RGBColor(0xd6, 0x27, 0x28).filled(),
                        )
                });
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_split_by_stability_and_share_boundaries() {
        let b = Branch {
            points: (0..5).map(|i| (i as f64, 0.0)).collect(),
            stable: vec![true, true, false, false, true],
            ..Default::default()
        };
        let r = b.runs();
        assert_eq!(r.len(), 3);
        assert_eq!(r[0], (true, vec![(0.0, 0.0), (1.0, 0.0)]));
        assert_eq!(r[1], (false, vec![(1.0, 0.0), (2.0, 0.0), (3.0, 0.0)]));
        assert_eq!(r[2], (true, vec![(3.0, 0.0), (4.0, 0.0)]));
    }
}
