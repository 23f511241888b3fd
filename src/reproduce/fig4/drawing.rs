//! The drawing of Fig. 4: split plots, the split tree, UMAP panels and memory samples.

use super::*;

#[allow(clippy::too_many_arguments)]
pub(super) fn panels(
    p: &Protocol,
    sys: &System,
    a: &Analysis,
    pdir: &std::path::Path,
    umap: &Umap,
    set: &data::TrainingSet,
    n: f64,
    frames: &[usize],
    window: (usize, usize),
    title: &str,
) -> Result<Raster> {
    let [d1, d2, d3] = sys.digits;
    let fate = &a.fate;
    let colours = "colour: final label (1 orange, 4 purple, 7 grey, 9 cyan)";
    // Split plots.
    let in_window: Vec<usize> = (0..a.epochs.len())
        .filter(|&t| a.epochs[t] >= window.0 && a.epochs[t] <= window.1)
        .collect();
    let split_plot = |dy: usize| -> Result<Raster> {
        let k = a.alpha_class.len_of(Axis(1));
        let trails: Vec<Trail> = (0..k)
            .map(|m| Trail {
                points: in_window
                    .iter()
                    .map(|&t| (a.alpha_class[[t, m, d1]], a.alpha_class[[t, m, dy]]))
                    .collect(),
                class: Some(fate[m]),
            })
            .collect();
        let current: Vec<(f64, f64)> = in_window
            .first()
            .map(|&t| {
                (0..k)
                    .map(|m| (a.alpha_class[[t, m, d1]], a.alpha_class[[t, m, dy]]))
                    .collect()
            })
            .unwrap_or_default();
        let fig = ScatterTrajectories {
            title: format!(
                "n = {n}: ᾱ_{d1} vs ᾱ_{dy}, epochs {}–{} (○ = start)",
                window.0, window.1
            ),
            x_label: format!("ᾱ_{d1}; {colours}"),
            y_label: format!("ᾱ_{dy}"),
            trails,
            current,
            size: (620, 560),
            ..Default::default()
        };
        Raster::of(&fig)
    };
    let mut row1 = vec![split_plot(d2)?, split_plot(d3)?];
    row1.push(Raster::of(&landscape::figures::split_tree_dendrogram(
        a,
        &format!("{title}: split tree (clades ≥ 3 memories)"),
    ))?);
    // UMAP panels.
    let mut traj = crate::run_folder::Trajectory::open(pdir)?;
    let epochs = traj.epochs().to_vec();
    let mem = traj.memories()?;
    let start = frames[0];
    let trail_idx: Vec<usize> = (0..epochs.len())
        .filter(|&t| {
            epochs[t] >= start
                && epochs[t] <= frames[frames.len() - 1]
                && (epochs[t] % p.trail_every == 0 || frames.contains(&epochs[t]))
        })
        .collect();
    let k = mem.len_of(Axis(1));
    let sel = mem.select(Axis(0), &trail_idx);
    let flat = sel
        .to_shape((trail_idx.len() * k, mem.len_of(Axis(2))))
        .map_err(|e| Error::invalid("trajectory", e.to_string()))?
        .to_owned();
    let pos = umap.transform(flat.view(), 0)?;
    let pos = Array3::from_shape_vec((trail_idx.len(), k, 2), pos.into_raw_vec_and_offset().0)
        .map_err(|e| Error::invalid("umap", e.to_string()))?;
    let sp = umap.transform(set.samples.view(), 0)?;
    let samples: Vec<ClassPoint> = (0..sp.nrows())
        .map(|i| ClassPoint {
            x: sp[[i, 0]],
            y: sp[[i, 1]],
            class: set.digits[i],
        })
        .collect();
    let all_x = pos
        .slice(s![.., .., 0])
        .iter()
        .copied()
        .chain(sp.column(0).iter().copied())
        .collect::<Vec<_>>();
    let all_y = pos
        .slice(s![.., .., 1])
        .iter()
        .copied()
        .chain(sp.column(1).iter().copied())
        .collect::<Vec<_>>();
    let bounds = (plot::padded_range(all_x, 0.05), plot::padded_range(all_y, 0.05));
    let mut row2 = Vec::new();
    for &f in &frames[1..] {
        let upto: Vec<usize> = (0..trail_idx.len())
            .filter(|&j| epochs[trail_idx[j]] <= f)
            .collect();
        let Some(&last) = upto.last() else { continue };
        let fig = ScatterTrajectories {
            title: format!("n = {n}: UMAP at epoch {f} (trails from {start})"),
            x_label: "UMAP 1".into(),
            y_label: "UMAP 2".into(),
            samples: samples.clone(),
            trails: (0..k)
                .map(|m| Trail {
                    points: upto.iter().map(|&j| (pos[[j, m, 0]], pos[[j, m, 1]])).collect(),
                    class: None,
                })
                .collect(),
            current: (0..k).map(|m| (pos[[last, m, 0]], pos[[last, m, 1]])).collect(),
            bounds: Some(bounds),
            size: (560, 520),
            ..Default::default()
        };
        row2.push(Raster::of(&fig)?);
    }
    // Memory samples at the panel epochs.
    let last = a.labels.len_of(Axis(0)) - 1;
    let final_labels = a.labels.index_axis(Axis(0), last).to_owned();
    let pick = pick_samples(&final_labels, sys.digits);
    let mut images = Vec::new();
    let mut titles = Vec::new();
    for &f in frames {
        let Some(t) = epochs.iter().position(|&e| e == f) else {
            continue;
        };
        for &(m, d) in &pick {
            images.push(mem.slice(s![t, m, ..]).to_owned());
            titles.push(format!("{d}: ep {f}"));
        }
    }
    let mut rows = vec![row1, row2];
    if !images.is_empty() {
        let views: Vec<_> = images.iter().map(|v| v.view()).collect();
        let m = ndarray::stack(Axis(0), &views).map_err(|e| Error::invalid("fig4", e.to_string()))?;
        let mut g = MemoryGrid::new(m, pick.len());
        g.tile_titles = Some(titles);
        g.title = Some(format!(
            "n = {n}: 5 memories per class (final ℓ ≥ 0.99) at epochs {frames:?} (rows)"
        ));
        rows.push(vec![Raster::of(&g)?]);
    }
    Ok(stitch(&rows, 10))
}
