//! Figures of the reduced two-memory system (spec §5) drawn from the results of
//! [`branches::diagram`], [`nullclines`], [`fold_curves::fold_curves`] and
//! [`transition::compute`], with the shared plotting layer [`crate::plot`] (PNG or SVG by the file
//! extension). The flow, nullcline colours and fixed-point markers are those of paper Fig. 5
//! ([`super::pair`]); the heat maps those of Fig. 6.

use super::pair;
use crate::error::{Error, Result};
use crate::plot::{
    self, BifurcationDiagram, Colormap, DrawResult, Figure, Heatmap, LinePlot, PhasePlane, Series,
};
use crate::reduced::branches::{Diagram, Parameter};
use crate::reduced::fold_curves::FoldCurves;
use crate::reduced::nullclines::Nullcline;
use crate::reduced::transition::Transition;
use crate::reduced::{Control, FixedPoint, Stability, TwoMemory};
use ndarray::Array2;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// Several figures of one type side by side (left to right), each in an equal-width cell of
/// its own size; drawn on any backend, so the row saves as PNG or SVG.
#[derive(Debug, Clone)]
pub struct Row<F: Figure> {
    /// The panels, left to right.
    pub panels: Vec<F>,
}

impl<F: Figure> Figure for Row<F> {
    fn size(&self) -> (u32, u32) {
        let w = self.panels.iter().map(|p| p.size().0).max().unwrap_or(0);
        let h = self.panels.iter().map(|p| p.size().1).max().unwrap_or(0);
        (w * self.panels.len() as u32, h)
    }

    fn validate(&self) -> Result<()> {
        if self.panels.is_empty() {
            return Err(Error::invalid("figure", "no panels"));
        }
        self.panels.iter().try_for_each(|p| p.validate())
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let w = self.size().0 / self.panels.len() as u32;
        let mut rest = root.clone();
        for p in &self.panels {
            let (left, right) = rest.split_horizontally(w);
            p.draw(&left)?;
            rest = right;
        }
        Ok(())
    }
}

/// The name and value of the continuation parameter of a diagram (n, or T with `--in-temperature`).
fn parameter_of(d: &Diagram) -> (&'static str, fn(&FixedPoint) -> f64) {
    match d.parameter {
        Parameter::N => ("interaction order n", |f| f.n),
        Parameter::Temperature => ("temperature T", |f| f.temperature),
    }
}

/// The bifurcation diagram of spec §5.6 (paper Fig. 5 left): α and ℓ of every fixed point along
/// each continued branch against the parameter, stable solid, unstable dashed, folds as diamonds.
pub fn diagram_figure(d: &Diagram) -> Row<BifurcationDiagram> {
    let (x_label, x_of) = parameter_of(d);
    let fold_x = |f: &crate::reduced::branches::SpecialPoint| match d.parameter {
        Parameter::N => f.n,
        Parameter::Temperature => f.temperature,
    };
    let fixed = match d.parameter {
        Parameter::N => format!("T = {}", d.fixed.temperature),
        Parameter::Temperature => format!("n = {}", d.fixed.n),
    };
    let panel = |name: &str, y_label: &str, value: fn(&FixedPoint) -> f64, fold_y: f64| BifurcationDiagram {
        title: format!("{name} of the fixed points ({fixed}, K = {})", d.system.memories),
        x_label: x_label.into(),
        y_label: y_label.into(),
        branches: d
            .branches
            .iter()
            .filter(|b| !b.points.is_empty())
            .map(|b| plot::Branch {
                label: String::new(),
                points: b.points.iter().map(|f| (x_of(f), value(f))).collect(),
                stable: b
                    .points
                    .iter()
                    .map(|f| f.stability == Stability::Stable)
                    .collect(),
                color: Some(RGBColor(0xb8, 0x86, 0x0b)),
            })
            .collect(),
        folds: d
            .folds
            .iter()
            .map(|f| (fold_x(f), if fold_y == 0.0 { f.alpha } else { f.ell }))
            .collect(),
        samples: Vec::new(),
    };
    Row {
        panels: vec![
            panel("α", "α (coefficient of A)", |f| f.alpha, 0.0),
            panel("ℓ", "ℓ = (ℓ_a − ℓ_b)/2", |f| f.ell, 1.0),
        ],
    }
}

/// Phase plane of spec §5.4 (paper Fig. 5 middle) in the (ℓ, α) plane: the traced memory (purple)
/// and label (orange) nullclines, fixed points by stability and, when the perimeter window lies on
/// the upper face β = 1 − α (0 ≤ s ≤ 1), the flow (ℓ̇, α̇) there.
pub fn nullcline_figure(
    sys: &TwoMemory,
    c: Control,
    memory: &[Nullcline],
    label: &[Nullcline],
    fixed_points: &[FixedPoint],
    s_window: (f64, f64),
) -> PhasePlane {
    let upper = s_window.0 >= 0.0 && s_window.1 <= 1.0;
    let alpha_range = if upper { (0.0, 1.0) } else { (-1.0, 1.0) };
    let mut curves = Vec::new();
    for (pieces, color, name) in [
        (memory, pair::MEMORY_COLOR, "memory nullcline"),
        (label, pair::LABEL_COLOR, "label nullcline"),
    ] {
        let mut first = true;
        for p in pieces.iter().filter(|p| p.ell.len() >= 2) {
            curves.push(Series {
                label: if first { name.into() } else { String::new() },
                x: p.ell.clone(),
                y: p.alpha.clone(),
                color: Some(color),
                width: 3,
                ..Default::default()
            });
            first = false;
        }
    }
    let shown: Vec<FixedPoint> = fixed_points
        .iter()
        .filter(|f| !upper || (f.alpha >= -1e-9 && f.beta >= -1e-9))
        .cloned()
        .collect();
    PhasePlane {
        title: format!(
            "nullclines and flow: n = {}, T = {} (T_eff = {:.1})",
            c.n,
            c.temperature,
            sys.effective_temperature(c)
        ),
        x_label: "ℓ (label)".into(),
        y_label: "α (coefficient of A)".into(),
        bounds: Some(((-1.0, 1.0), alpha_range)),
        field: upper.then(|| pair::flow_field(sys, c, alpha_range, 24)),
        curves,
        trajectories: Vec::new(),
        points: pair::markers(&shown),
    }
}

/// The fold (saddle-node) curves of spec §5.6 in the (n, T) plane, one colour per curve, cusps as
/// black dots.
pub fn fold_curves_figure(curves: &FoldCurves) -> LinePlot {
    let mut fig = LinePlot::new(
        format!(
            "fold curves: {} curves, {} cusps",
            curves.curves.len(),
            curves.cusps.len()
        ),
        "interaction order n",
        "temperature T",
    );
    for (i, c) in curves.curves.iter().enumerate() {
        fig.series.push(Series::new(
            format!("fold curve {i}"),
            c.points.iter().map(|p| p[0]).collect(),
            c.points.iter().map(|p| p[1]).collect(),
        ));
    }
    if !curves.cusps.is_empty() {
        fig.series.push(Series {
            label: "cusp".into(),
            x: curves.cusps.iter().map(|c| c.n).collect(),
            y: curves.cusps.iter().map(|c| c.temperature).collect(),
            color: Some(BLACK),
            markers: true,
            width: 1,
            ..Default::default()
        });
    }
    fig
}

/// The transition lines T*(n) of spec §5.8 as overlays on a heat map.
fn transition_overlays(r: &Transition, color: RGBColor) -> Vec<Series> {
    vec![
        Series::new("T*(n), d_AA + d_AB", r.n.clone(), r.line_a.clone()).with_color(color),
        Series::new("T*(n), d_BB + d_AB", r.n.clone(), r.line_b.clone())
            .with_color(color)
            .dashed(),
    ]
}

/// The feature-to-prototype transition (spec §5.8, paper Fig. 6). Without simulations: the two
/// lines T*(n) (d_AA + d_AB and d_BB + d_AB). With simulations: heat maps over (n, T) of the
/// intra-digit dominant coefficient max(α_A, α_B) and of the inter-digit memory 0's minor
/// coefficient, with T*(n) overlaid (white on viridis, black on blue-white-red).
pub fn transition_figure(r: &Transition) -> TransitionFigure {
    let (Some((intra, _)), Some(inter)) = (&r.intra, &r.inter) else {
        let mut fig = LinePlot::new(
            "feature-to-prototype transition T*(n) (spec §5.8)",
            "interaction order n",
            "temperature T",
        );
        fig.series
            .push(Series::new("T*(n), d_AA + d_AB", r.n.clone(), r.line_a.clone()));
        fig.series
            .push(Series::new("T*(n), d_BB + d_AB", r.n.clone(), r.line_b.clone()).dashed());
        return TransitionFigure::Lines(fig);
    };
    let (nn, nt) = (r.n.len(), r.temperature.len());
    let dominant = Array2::from_shape_fn((nt, nn), |(j, i)| intra[[i, j, 0]].max(intra[[i, j, 1]]));
    let minor = Array2::from_shape_fn((nt, nn), |(j, i)| inter[[i, j, 0, 1]]);
    let map = |values: Array2<f64>, range, cmap, line: RGBColor, title: &str, bar: &str| {
        let mut h = Heatmap::new(values, r.n.clone(), r.temperature.clone());
        h.colormap = cmap;
        h.range = Some(range);
        h.title = title.into();
        h.x_label = "interaction order n".into();
        h.y_label = "temperature T".into();
        h.colorbar_label = bar.into();
        h.overlays = transition_overlays(r, line);
        h
    };
    TransitionFigure::Maps(Row {
        panels: vec![
            map(
                dominant,
                (0.4, 1.0),
                Colormap::viridis(),
                WHITE,
                "intra (K = 1): dominant coefficient",
                "max(α_A, α_B)",
            ),
            map(
                minor,
                (-0.5, 0.5),
                Colormap::bwr(),
                BLACK,
                "inter (K = 2): memory 0, coefficient on B",
                "β of memory 0",
            ),
        ],
    })
}

/// [`transition_figure`]'s result: lines only, or the simulated heat maps.
#[derive(Debug, Clone)]
pub enum TransitionFigure {
    /// T*(n) lines (no simulation).
    Lines(LinePlot),
    /// Simulated heat maps with T*(n) overlaid.
    Maps(Row<Heatmap>),
}

impl TransitionFigure {
    /// Write the figure (PNG or SVG by extension).
    pub fn save(&self, path: &Path) -> Result<()> {
        match self {
            TransitionFigure::Lines(f) => plot::save(f, path),
            TransitionFigure::Maps(f) => plot::save(f, path),
        }
    }
}
