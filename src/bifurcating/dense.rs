//! Small dense linear algebra for the low-dimensional systems of this module (d ≤ ~10 unknowns):
//! Gaussian elimination with partial pivoting, determinants, symmetric (Jacobi) and general
//! (faer) eigenvalues. Matrices are row-major `&[f64]` of size n×n.

/// Solve A·x = b (A row-major n×n) by Gaussian elimination with partial pivoting.
/// Returns `None` when A is numerically singular (pivot below 1e-300 or not finite).
pub fn solve(a: &[f64], b: &[f64]) -> Option<Vec<f64>> {
    let n = b.len();
    let mut m = a.to_vec();
    let mut x = b.to_vec();
    for k in 0..n {
        let piv = (k..n).max_by(|&i, &j| m[i * n + k].abs().total_cmp(&m[j * n + k].abs()))?;
        let pv = m[piv * n + k];
        if !pv.is_finite() || pv.abs() < 1e-300 {
            return None;
        }
        if piv != k {
            for j in 0..n {
                m.swap(k * n + j, piv * n + j);
            }
            x.swap(k, piv);
        }
        for i in k + 1..n {
            let f = m[i * n + k] / pv;
            if f != 0.0 {
                for j in k..n {
                    m[i * n + j] -= f * m[k * n + j];
                }
                x[i] -= f * x[k];
            }
        }
    }
    for k in (0..n).rev() {
        let mut s = x[k];
        for j in k + 1..n {
            s -= m[k * n + j] * x[j];
        }
        x[k] = s / m[k * n + k];
    }
    x.iter().all(|v| v.is_finite()).then_some(x)
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

/// Eigenvalues (re, im) of a general real row-major n×n matrix, sorted by descending real part.
pub fn eigenvalues(a: &[f64], n: usize) -> Vec<(f64, f64)> {
    if n == 0 {
        return vec![];
    }
    if n == 1 {
        return vec![(a[0], 0.0)];
    }
    if n == 2 {
        let tr = a[0] + a[3];
        let dt = a[0] * a[3] - a[1] * a[2];
        let disc = 0.25 * tr * tr - dt;
        let mut v = if disc >= 0.0 {
            let s = disc.sqrt();
            let big = if tr >= 0.0 { 0.5 * tr + s } else { 0.5 * tr - s };
            let small = if big != 0.0 { dt / big } else { 0.0 };
            vec![(big, 0.0), (small, 0.0)]
        } else {
            let s = (-disc).sqrt();
            vec![(0.5 * tr, s), (0.5 * tr, -s)]
        };
        v.sort_by(|x, y| y.0.total_cmp(&x.0));
        return v;
    }
    let m = faer::Mat::<f64>::from_fn(n, n, |i, j| a[i * n + j]);
    let mut v: Vec<(f64, f64)> = match m.eigenvalues() {
        Ok(ev) => ev.iter().map(|c| (c.re, c.im)).collect(),
        Err(_) => vec![(f64::NAN, 0.0); n],
    };
    v.sort_by(|x, y| y.0.total_cmp(&x.0));
    v
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
