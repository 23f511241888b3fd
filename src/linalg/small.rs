//! Small dense numerics for the low-dimensional systems of the reduced theory and the bifurcating
//! networks (d ≤ ~10 unknowns): Gaussian elimination, determinants, central-difference Jacobians,
//! eigenvalues (closed form for 2×2, Jacobi for symmetric, faer for general), norms.
//! Matrices are row-major `&[f64]` of size n×n.
//!
//! Hand-written rather than faer because these systems are tiny and solved millions of times inside
//! Newton loops: an allocation-free elimination on a slice is several times faster than building a
//! faer matrix for a 3×3, and the results are bit-identical to the reference loops they replaced.

/// Solve A x = b in place (A row-major d×d, overwritten; b overwritten with x) by Gaussian
/// elimination with partial pivoting. Returns `None` when A is singular to working precision
/// (a pivot below 1e−300 or not finite) or x is not finite.
pub fn solve_in_place(a: &mut [f64], b: &mut [f64]) -> Option<()> {
    let d = b.len();
    for col in 0..d {
        let piv = (col..d).max_by(|&i, &j| a[i * d + col].abs().total_cmp(&a[j * d + col].abs()))?;
        let pv = a[piv * d + col];
        if !pv.is_finite() || pv.abs() < 1e-300 {
            return None;
        }
        if piv != col {
            for k in 0..d {
                a.swap(piv * d + k, col * d + k);
            }
            b.swap(piv, col);
        }
        for row in col + 1..d {
            let f = a[row * d + col] / pv;
            if f != 0.0 {
                for k in col..d {
                    a[row * d + k] -= f * a[col * d + k];
                }
                b[row] -= f * b[col];
            }
        }
    }
    for row in (0..d).rev() {
        let mut acc = b[row];
        for k in row + 1..d {
            acc -= a[row * d + k] * b[k];
        }
        b[row] = acc / a[row * d + row];
    }
    b.iter().all(|v| v.is_finite()).then_some(())
}

/// Solve A x = b (A row-major n×n), leaving A and b as they are; see [`solve_in_place`].
pub fn solve(a: &[f64], b: &[f64]) -> Option<Vec<f64>> {
    let mut m = a.to_vec();
    let mut x = b.to_vec();
    solve_in_place(&mut m, &mut x)?;
    Some(x)
}

/// Determinant of a row-major n×n matrix (LU with partial pivoting).
pub fn det(a: &[f64], n: usize) -> f64 {
    let mut m = a.to_vec();
    let mut d = 1.0;
    for k in 0..n {
        let piv = (k..n)
            .max_by(|&i, &j| m[i * n + k].abs().total_cmp(&m[j * n + k].abs()))
            .unwrap_or(k);
        let pv = m[piv * n + k];
        if pv == 0.0 {
            return 0.0;
        }
        if piv != k {
            for j in 0..n {
                m.swap(k * n + j, piv * n + j);
            }
            d = -d;
        }
        d *= pv;
        for i in k + 1..n {
            let f = m[i * n + k] / pv;
            for j in k..n {
                m[i * n + j] -= f * m[k * n + j];
            }
        }
    }
    d
}

/// Central-difference Jacobian of f: R^d → R^k at x with per-coordinate steps `h`, returned
/// row-major k×d: ∂f_i/∂x_j ≈ (f_i(x + h_j e_j) − f_i(x − h_j e_j)) / (2h_j).
pub fn jacobian<F: Fn(&[f64]) -> Vec<f64>>(f: &F, x: &[f64], h: &[f64], k: usize) -> Vec<f64> {
    let d = x.len();
    let mut jac = vec![0.0; k * d];
    let mut xp = x.to_vec();
    for j in 0..d {
        xp[j] = x[j] + h[j];
        let fp = f(&xp);
        xp[j] = x[j] - h[j];
        let fm = f(&xp);
        xp[j] = x[j];
        for i in 0..k {
            jac[i * d + j] = (fp[i] - fm[i]) / (2.0 * h[j]);
        }
    }
    jac
}

/// Relative central-difference steps h_j = 1e−6 (1 + |x_j|).
pub fn relative_steps(x: &[f64]) -> Vec<f64> {
    x.iter().map(|v| 1e-6 * (1.0 + v.abs())).collect()
}

/// Eigenvalues (re, im) of a real 2×2 matrix [[a, b], [c, d]]: real ones ascending, a complex
/// pair as (re, −im), (re, +im). The smaller real root is taken as det / larger (no cancellation).
pub fn eig2(m: [[f64; 2]; 2]) -> [[f64; 2]; 2] {
    let tr = m[0][0] + m[1][1];
    let det = m[0][0] * m[1][1] - m[0][1] * m[1][0];
    let disc = tr * tr / 4.0 - det;
    if disc >= 0.0 {
        let r = disc.sqrt();
        let big = tr / 2.0 + if tr >= 0.0 { r } else { -r };
        let small = if big != 0.0 { det / big } else { tr / 2.0 - r };
        let (l1, l2) = if big < small { (big, small) } else { (small, big) };
        [[l1, 0.0], [l2, 0.0]]
    } else {
        let im = (-disc).sqrt();
        [[tr / 2.0, -im], [tr / 2.0, im]]
    }
}

/// Eigenvalues of a symmetric row-major n×n matrix, ascending (cyclic Jacobi rotations).
pub fn sym_eigenvalues(a: &[f64], n: usize) -> Vec<f64> {
    if n == 1 {
        return vec![a[0]];
    }
    if n == 2 {
        let (p, q, r) = (a[0], 0.5 * (a[1] + a[2]), a[3]);
        let mean = 0.5 * (p + r);
        let rad = (0.25 * (p - r) * (p - r) + q * q).sqrt();
        // Stable smaller root via the product when both have the same sign.
        let big = if mean >= 0.0 { mean + rad } else { mean - rad };
        let prod = p * r - q * q;
        let small = if big != 0.0 { prod / big } else { 0.0 };
        let mut v = vec![big, small];
        v.sort_by(f64::total_cmp);
        return v;
    }
    let mut m = a.to_vec();
    for _sweep in 0..100 {
        let off: f64 = (0..n)
            .flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| m[i * n + j] * m[i * n + j])
            .sum();
        if off < 1e-30 * (1.0 + (0..n).map(|i| m[i * n + i].powi(2)).sum::<f64>()) {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                let apq = m[p * n + q];
                if apq.abs() < 1e-300 {
                    continue;
                }
                let theta = (m[q * n + q] - m[p * n + p]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..n {
                    let (akp, akq) = (m[k * n + p], m[k * n + q]);
                    m[k * n + p] = c * akp - s * akq;
                    m[k * n + q] = s * akp + c * akq;
                }
                for k in 0..n {
                    let (apk, aqk) = (m[p * n + k], m[q * n + k]);
                    m[p * n + k] = c * apk - s * aqk;
                    m[q * n + k] = s * apk + c * aqk;
                }
            }
        }
    }
    let mut v: Vec<f64> = (0..n).map(|i| m[i * n + i]).collect();
    v.sort_by(f64::total_cmp);
    v
}

/// Eigenvalues (re, im) of a general real row-major n×n matrix, sorted by descending real part
/// (a complex pair as (re, +im), (re, −im)); 2×2 in closed form ([`eig2`]), larger ones by faer.
pub fn eigenvalues(a: &[f64], n: usize) -> Vec<(f64, f64)> {
    match n {
        0 => vec![],
        1 => vec![(a[0], 0.0)],
        2 => {
            let [l1, l2] = eig2([[a[0], a[1]], [a[2], a[3]]]);
            if l1[1] != 0.0 {
                vec![(l2[0], l2[1]), (l1[0], l1[1])]
            } else {
                vec![(l2[0], 0.0), (l1[0], 0.0)]
            }
        }
        _ => {
            let m = faer::Mat::<f64>::from_fn(n, n, |i, j| a[i * n + j]);
            let mut v: Vec<(f64, f64)> = match m.eigenvalues() {
                Ok(ev) => ev.iter().map(|c| (c.re, c.im)).collect(),
                Err(_) => vec![(f64::NAN, 0.0); n],
            };
            v.sort_by(|x, y| y.0.total_cmp(&x.0));
            v
        }
    }
}

/// Euclidean norm.
pub fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

/// Euclidean distance.
pub fn dist(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y) * (x - y))
        .sum::<f64>()
        .sqrt()
}

/// Dot product.
pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solve_and_det_agree_with_hand_values() {
        let a = vec![2.0, 1.0, 1.0, 3.0];
        assert!((det(&a, 2) - 5.0).abs() < 1e-14);
        let x = solve(&a, &[3.0, 5.0]).unwrap();
        assert!((x[0] - 0.8).abs() < 1e-14 && (x[1] - 1.4).abs() < 1e-14);
        assert!(solve(&[1.0, 2.0, 2.0, 4.0], &[1.0, 1.0]).is_none());
    }

    #[test]
    fn eig2_real_and_complex() {
        let e = eig2([[1.0, 2.0], [3.0, 4.0]]);
        let s33 = 33f64.sqrt();
        assert!((e[0][0] - (5.0 - s33) / 2.0).abs() < 1e-13 && (e[1][0] - (5.0 + s33) / 2.0).abs() < 1e-13);
        let e = eig2([[0.0, -1.0], [1.0, 0.0]]);
        assert!(e[0][0].abs() < 1e-15 && (e[1][1] - 1.0).abs() < 1e-15);
        // The general routine orders by descending real part, +im first.
        let g = eigenvalues(&[0.0, -1.0, 1.0, 0.0], 2);
        assert_eq!(g, vec![(0.0, 1.0), (0.0, -1.0)]);
        let g = eigenvalues(&[1.0, 2.0, 3.0, 4.0], 2);
        assert!(g[0].0 > g[1].0 && (g[0].0 - (5.0 + s33) / 2.0).abs() < 1e-13);
    }

    #[test]
    fn jacobian_matches_the_analytic_one() {
        let f = |x: &[f64]| vec![x[0] * x[0] * x[1], x[1].sin()];
        let x = [1.5, 0.3];
        let j = jacobian(&f, &x, &relative_steps(&x), 2);
        let exact = [2.0 * 1.5 * 0.3, 1.5 * 1.5, 0.0, 0.3f64.cos()];
        for (a, b) in j.iter().zip(exact) {
            assert!((a - b).abs() < 1e-9, "{a} vs {b}");
        }
    }

    #[test]
    fn symmetric_eigenvalues_match_the_general_ones() {
        let a = [4.0, 1.0, 0.5, 1.0, 3.0, 0.2, 0.5, 0.2, 1.0];
        let s = sym_eigenvalues(&a, 3);
        let mut g: Vec<f64> = eigenvalues(&a, 3).iter().map(|e| e.0).collect();
        g.reverse();
        for (x, y) in s.iter().zip(&g) {
            assert!((x - y).abs() < 1e-12);
        }
        assert!((s.iter().sum::<f64>() - 8.0).abs() < 1e-12);
    }
}
