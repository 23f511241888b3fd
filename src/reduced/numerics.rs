//! Small dense numerics for the reduced system: Gaussian elimination, central-difference
//! Jacobians and 2×2 eigenvalues. Dimensions here are ≤ 4.

/// Solve A x = b in place (A row-major d×d) by Gaussian elimination with partial pivoting.
/// Returns None when A is singular to working precision.
pub fn solve(a: &mut [f64], b: &mut [f64]) -> Option<()> {
    let d = b.len();
    for col in 0..d {
        let piv = (col..d).max_by(|&i, &j| a[i * d + col].abs().total_cmp(&a[j * d + col].abs()))?;
        if a[piv * d + col].abs() == 0.0 || !a[piv * d + col].is_finite() {
            return None;
        }
        if piv != col {
            for k in 0..d {
                a.swap(piv * d + k, col * d + k);
            }
            b.swap(piv, col);
        }
        for row in col + 1..d {
            let f = a[row * d + col] / a[col * d + col];
            for k in col..d {
                a[row * d + k] -= f * a[col * d + k];
            }
            b[row] -= f * b[col];
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

/// Determinant of a d×d row-major matrix (LU with partial pivoting).
pub fn det(a: &[f64], d: usize) -> f64 {
    let mut a = a.to_vec();
    let mut det = 1.0;
    for col in 0..d {
        let Some(piv) = (col..d).max_by(|&i, &j| a[i * d + col].abs().total_cmp(&a[j * d + col].abs()))
        else {
            return 0.0;
        };
        if a[piv * d + col] == 0.0 {
            return 0.0;
        }
        if piv != col {
            for k in 0..d {
                a.swap(piv * d + k, col * d + k);
            }
            det = -det;
        }
        det *= a[col * d + col];
        for row in col + 1..d {
            let f = a[row * d + col] / a[col * d + col];
            for k in col..d {
                a[row * d + k] -= f * a[col * d + k];
            }
        }
    }
    det
}

/// Central-difference Jacobian of f: R^d → R^k at x with per-coordinate steps `h`,
/// returned row-major k×d. ∂f_i/∂x_j ≈ (f_i(x + h_j e_j) − f_i(x − h_j e_j)) / (2h_j).
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

/// Eigenvalues (re, im) of a real 2×2 matrix [[a, b], [c, d]].
pub fn eig2(m: [[f64; 2]; 2]) -> [[f64; 2]; 2] {
    let tr = m[0][0] + m[1][1];
    let det = m[0][0] * m[1][1] - m[0][1] * m[1][0];
    let disc = tr * tr / 4.0 - det;
    if disc >= 0.0 {
        let r = disc.sqrt();
        // Stable form for the smaller root.
        let big = tr / 2.0 + if tr >= 0.0 { r } else { -r };
        let small = if big != 0.0 { det / big } else { tr / 2.0 - r };
        let (l1, l2) = if big < small { (big, small) } else { (small, big) };
        [[l1, 0.0], [l2, 0.0]]
    } else {
        let im = (-disc).sqrt();
        [[tr / 2.0, -im], [tr / 2.0, im]]
    }
}

/// Bisection for a sign change of g on [a, b] (g(a)·g(b) ≤ 0), to absolute width `tol`.
pub fn bisect<G: Fn(f64) -> f64>(g: G, mut a: f64, mut b: f64, tol: f64) -> f64 {
    let mut ga = g(a);
    for _ in 0..200 {
        if (b - a).abs() <= tol {
            break;
        }
        let mid = 0.5 * (a + b);
        let gm = g(mid);
        if gm == 0.0 {
            return mid;
        }
        if gm.is_nan() || (gm > 0.0) == (ga > 0.0) {
            a = mid;
            ga = gm;
        } else {
            b = mid;
        }
    }
    0.5 * (a + b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solve_and_det_agree_with_hand_values() {
        let mut a = vec![2.0, 1.0, 1.0, 3.0];
        let mut b = vec![3.0, 5.0];
        assert!((det(&a, 2) - 5.0).abs() < 1e-14);
        solve(&mut a, &mut b).unwrap();
        assert!((b[0] - 0.8).abs() < 1e-14 && (b[1] - 1.4).abs() < 1e-14);
    }

    #[test]
    fn eig2_real_and_complex() {
        let e = eig2([[1.0, 2.0], [3.0, 4.0]]);
        let s33 = 33f64.sqrt();
        assert!((e[0][0] - (5.0 - s33) / 2.0).abs() < 1e-13 && (e[1][0] - (5.0 + s33) / 2.0).abs() < 1e-13);
        let e = eig2([[0.0, -1.0], [1.0, 0.0]]);
        assert!(e[0][0].abs() < 1e-15 && (e[1][1] - 1.0).abs() < 1e-15);
    }
}
