//! Figures of the bifurcating network (bifurcating-hopfield §10.1): overlap traces m(t) of a
//! simulated scenario with its located events, and a contour map of a two-dimensional landscape
//! V(x, y) with its classified critical points. Drawn with [`crate::plot`] (PNG or SVG by the file
//! extension).

use crate::bifurcating::critical::{CriticalPoint, Kind};
use crate::bifurcating::potentials::Potential;
use crate::bifurcating::scenario::RunResult;
use crate::error::{Error, Result};
use crate::plot::{self, ContourPlot, CriticalKind, Event, LinePlot};
use ndarray::Array2;

/// Time traces of a run (§10.1 "m(t) with schedule breakpoints"): the overlaps m_μ(t) (one curve
/// per pattern μ) or, for a landscape-mode run without patterns, the coordinates z(t) (named
/// `var_names`); every located event (a fold crossed, a flip) is a vertical marker labelled
/// "name from→to" (labels closer than 12% of the time span to the previous one are omitted).
pub fn traces_figure(res: &RunResult, var_names: &[String], title: &str) -> Result<LinePlot> {
    let span = res.t.last().copied().unwrap_or(1.0) - res.t.first().copied().unwrap_or(0.0);
    let mut last_labelled = f64::NEG_INFINITY;
    let events = res
        .events
        .iter()
        .map(|e| {
            // Labels of events closer than 12% of the time span to the previous label are left out
            // (the dashed marker stays) so that texts do not overprint.
            let label = if e.t - last_labelled >= 0.12 * span.abs() {
                last_labelled = e.t;
                format!("{} {}→{}", e.name, e.from, e.to)
            } else {
                String::new()
            };
            Event { x: e.t, label }
        })
        .collect();
    let mut fig = if res.m.ncols() > 0 {
        let names: Vec<String> = (0..res.m.ncols()).map(|k| format!("m_{k}")).collect();
        LinePlot::time_traces(&res.t, &res.m, &names, events)?
    } else {
        let mut f = LinePlot::time_traces(&res.t, &res.z, var_names, events)?;
        f.y_label = "landscape coordinate".into();
        f
    };
    fig.title = title.into();
    Ok(fig)
}

/// The q-quantile (0 ≤ q ≤ 1) of the finite values.
fn quantile(values: impl Iterator<Item = f64>, q: f64) -> f64 {
    let mut v: Vec<f64> = values.filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    v[((v.len() - 1) as f64 * q).round() as usize]
}

/// Contour map of a two-dimensional potential V(x, y; p) (§10.1 "landscape snapshots") on a
/// `cells`×`cells` grid, with minima (disc), saddles (cross) and maxima (ring) from `cps`. The box
/// is [−radius, radius]² when `radius` is given, else the critical points' bounding box padded by
/// half its extent (at least ±1 around its centre). V is shown up to a cap (the larger of the 40th
/// percentile of V on the grid and the highest critical value plus a tenth of the critical values'
/// spread) so that the wells stay resolved next to the steep quartic walls.
pub fn landscape_figure(
    pot: &dyn Potential,
    p: &[f64],
    cps: &[CriticalPoint],
    radius: Option<f64>,
    cells: usize,
) -> Result<ContourPlot> {
    if pot.dim() != 2 {
        return Err(Error::invalid(
            "plot",
            format!(
                "a landscape figure needs a two-dimensional potential; {} has {} coordinates",
                pot.name(),
                pot.dim()
            ),
        ));
    }
    let span = |k: usize| -> (f64, f64) {
        if let Some(r) = radius {
            return (-r, r);
        }
        let lo = cps.iter().map(|c| c.z[k]).fold(f64::INFINITY, f64::min);
        let hi = cps.iter().map(|c| c.z[k]).fold(f64::NEG_INFINITY, f64::max);
        if !lo.is_finite() {
            return (-2.0, 2.0);
        }
        let (mid, half) = (0.5 * (lo + hi), (0.5 * (hi - lo) * 1.5).max(1.0));
        (mid - half, mid + half)
    };
    let lin = |(lo, hi): (f64, f64)| -> Vec<f64> {
        (0..cells)
            .map(|i| lo + (hi - lo) * i as f64 / (cells - 1) as f64)
            .collect()
    };
    let (xs, ys) = (lin(span(0)), lin(span(1)));
    let raw = Array2::from_shape_fn((ys.len(), xs.len()), |(i, j)| pot.value(&[xs[j], ys[i]], p));
    let (cmin, cmax) = cps.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), c| {
        (a.min(c.value), b.max(c.value))
    });
    let mut cap = quantile(raw.iter().copied(), 0.4);
    if cmax.is_finite() {
        cap = cap.max(cmax + 0.1 * (cmax - cmin).max(1e-3));
    }
    let z = raw.mapv(|v| v.min(cap));
    let mut fig = ContourPlot::new(z, xs, ys);
    let names = pot.var_names();
    fig.x_label = names[0].clone();
    fig.y_label = names[1].clone();
    fig.title = format!("{}: V and its critical points", pot.name());
    fig.colorbar_label = format!("V (capped at {cap:.3})");
    fig.points = critical_markers(cps);
    Ok(fig)
}

/// Plot markers of the critical points of a two-variable potential: minima drawn as stable,
/// saddles as saddles, maxima as unstable; degenerate points are left out.
pub fn critical_markers(cps: &[CriticalPoint]) -> Vec<plot::CriticalPoint> {
    cps.iter()
        .filter_map(|c| {
            let kind = match c.kind {
                Kind::Minimum => CriticalKind::Stable,
                Kind::Saddle => CriticalKind::Saddle,
                Kind::Maximum => CriticalKind::Unstable,
                Kind::Degenerate => return None,
            };
            Some(plot::CriticalPoint {
                x: c.z[0],
                y: c.z[1],
                kind,
            })
        })
        .collect()
}
