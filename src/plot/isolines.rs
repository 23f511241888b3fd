//! Iso-lines of a gridded scalar field by marching squares (plain geometry, no drawing), used by
//! the contour plots and the nullclines of the phase planes.

use ndarray::Array2;
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
