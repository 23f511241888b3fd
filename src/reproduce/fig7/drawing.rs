//! The drawing of Fig. 7: proportions, saddle images and the memories of the runs.

use super::*;

pub(super) fn panels(
    t: f64,
    ns: &[f64],
    alpha1: &Array2<f64>,
    mems: &Array3<f64>,
    bistable: &[bool],
    p: &Protocol,
    prop: Option<&Array2<f64>>,
) -> Result<Raster> {
    let tr = t / 784.0;
    let mut a = LinePlot::new(
        format!("T = {t} (T_r = {tr:.2}): saddle ᾱ_1 (K = 1 at T/100^(1/n))"),
        "n",
        "ᾱ_1 of the saddle (200-sample α, class 1)",
    );
    for (i, (ic, c)) in [(1usize, 1usize), (7, 7)].iter().enumerate() {
        let mut s =
            Series::new(format!("IC near {ic}"), ns.to_vec(), alpha1.row(i).to_vec()).with_color(tab10(*c));
        s.markers = true;
        if i == 1 {
            s = s.dashed();
        }
        a.series.push(s);
    }
    let lo = alpha1
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .fold(0.0f64, f64::min)
        - 0.15;
    let hi = alpha1
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .fold(1.0f64, f64::max)
        + 0.1;
    let mut first = true;
    for (b, i, j) in common::segments(bistable) {
        if !b {
            continue;
        }
        let x = ns[i..=j].to_vec();
        let label = if first { "ICs reach different saddles" } else { "" };
        first = false;
        let mut s = Series::new(label, x.clone(), vec![lo + 0.06; x.len()]).with_color(tab10(3));
        s.markers = true;
        s.width = 5;
        a.series.push(s);
    }
    a.y_range = Some((lo, hi));
    a.size = (760, 520);
    a.legend = Corner::LowerRight;
    let mut row1 = vec![Raster::of(&a)?];
    if let Some(prop) = prop {
        let mut b = LinePlot::new(
            format!(
                "T = {t}: proportion of 1s, K = {} ({} repeat(s))",
                p.memories, p.repeats
            ),
            "n",
            "⟨#1⟩ / (⟨#1⟩ + ⟨#7⟩), ℓ ≥ 0.9",
        );
        for (i, &ic) in p.ics.iter().enumerate() {
            if ic == 8 {
                continue;
            }
            let (x, y): (Vec<f64>, Vec<f64>) = p
                .n_values
                .iter()
                .zip(prop.row(i))
                .filter(|(_, v)| v.is_finite())
                .map(|(n, v)| (*n, *v))
                .unzip();
            if x.is_empty() {
                continue;
            }
            let mut s = Series::new(format!("IC near {ic}"), x, y).with_color(tab10(ic));
            s.markers = true;
            b.series.push(s);
        }
        b.y_range = Some((0.0, 1.0));
        b.size = (760, 520);
        b.legend = Corner::LowerRight;
        if !b.series.is_empty() {
            row1.push(Raster::of(&b)?);
        }
    }
    let mut images = Vec::new();
    let mut titles = Vec::new();
    for (i, ic) in [1usize, 7].iter().enumerate() {
        for &n in &IMAGE_N {
            if let Some(j) = ns.iter().position(|&x| x == n) {
                images.push(mems.slice(ndarray::s![i, j, ..]).to_owned());
                titles.push(format!("IC {ic}, n = {n}"));
            }
        }
    }
    let mut rows = vec![row1];
    if !images.is_empty() {
        let views: Vec<_> = images.iter().map(|v| v.view()).collect();
        let m = ndarray::stack(Axis(0), &views).map_err(|e| Error::invalid("fig7", e.to_string()))?;
        let cols = images.len().div_ceil(2);
        let mut g = MemoryGrid::new(m, cols);
        g.tile_titles = Some(titles);
        g.title = Some(format!("T = {t}: saddle memories"));
        rows.push(vec![Raster::of(&g)?]);
    }
    Ok(stitch(&rows, 8))
}
