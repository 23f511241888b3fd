//! Thin wrappers over faer for the few dense operations the project needs, on row-major ndarray
//! matrices (no copies: ndarray's standard layout is viewed as a faer matrix).
//!
//! faer is used because it is bit-reproducible across thread counts (OpenBLAS is not) and reaches
//! BLAS speed here (see `ARCHITECTURE.md`). The small systems of the reduced theory and the
//! bifurcating networks (a few unknowns, solved inside Newton loops) use [`small`].

pub mod small;

use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};
use ndarray::{Array2, ArrayView2};

/// A faer view of a standard-layout (row-major) ndarray matrix.
pub fn view<'a>(a: &ArrayView2<'a, f64>) -> MatRef<'a, f64> {
    let (r, c) = a.dim();
    let s = a
        .to_slice()
        .expect("matrix must be in standard (row-major) layout");
    MatRef::from_row_major_slice(s, r, c)
}

fn view_mut(a: &mut Array2<f64>) -> MatMut<'_, f64> {
    let (r, c) = a.dim();
    let s = a
        .as_slice_mut()
        .expect("matrix must be in standard (row-major) layout");
    MatMut::from_row_major_slice_mut(s, r, c)
}

/// out ← a · bᵀ (a: m×k, b: n×k, out: m×n).
pub fn matmul_abt(out: &mut Array2<f64>, a: ArrayView2<f64>, b: ArrayView2<f64>, par: Par) {
    matmul(
        view_mut(out),
        Accum::Replace,
        view(&a),
        view(&b).transpose(),
        1.0,
        par,
    );
}

/// out ← a · b (a: m×k, b: k×n, out: m×n).
pub fn matmul_ab(out: &mut Array2<f64>, a: ArrayView2<f64>, b: ArrayView2<f64>, par: Par) {
    matmul(view_mut(out), Accum::Replace, view(&a), view(&b), 1.0, par);
}

/// out ← aᵀ · b (a: k×m, b: k×n, out: m×n).
pub fn matmul_atb(out: &mut Array2<f64>, a: ArrayView2<f64>, b: ArrayView2<f64>, par: Par) {
    matmul(
        view_mut(out),
        Accum::Replace,
        view(&a).transpose(),
        view(&b),
        1.0,
        par,
    );
}

/// a · b as a new matrix.
pub fn dot(a: ArrayView2<f64>, b: ArrayView2<f64>, par: Par) -> Array2<f64> {
    let mut out = Array2::zeros((a.nrows(), b.ncols()));
    matmul_ab(&mut out, a, b, par);
    out
}

/// Moore–Penrose pseudo-inverse X⁺ (n×m for an m×n X) by thin SVD, X = U Σ Vᵀ, X⁺ = V Σ⁺ Uᵀ,
/// keeping singular values σ > rtol·σ_max with numpy's default rtol = max(m, n)·ε
/// (`numpy.linalg.pinv`), so rank-deficient sets get the minimum-norm solution (spec §3.1).
pub fn pinv(x: ArrayView2<f64>) -> crate::error::Result<Array2<f64>> {
    let (m, n) = x.dim();
    let xf = view(&x).to_owned();
    let svd = xf
        .thin_svd()
        .map_err(|e| crate::error::Error::Diverged(format!("SVD did not converge: {e:?}")))?;
    let (u, s, v) = (svd.U(), svd.S().column_vector(), svd.V());
    let k = s.nrows();
    let smax = if k > 0 { s[0] } else { 0.0 };
    let tol = (m.max(n) as f64) * f64::EPSILON * smax;
    // out[i, j] = Σ_r v[i, r] / σ_r · u[j, r]
    let mut out = Array2::<f64>::zeros((n, m));
    let mut vs = Array2::<f64>::zeros((n, k));
    for r in 0..k {
        let inv = if s[r] > tol { 1.0 / s[r] } else { 0.0 };
        for i in 0..n {
            vs[[i, r]] = v[(i, r)] * inv;
        }
    }
    let mut ut = Array2::<f64>::zeros((m, k));
    for j in 0..m {
        for r in 0..k {
            ut[[j, r]] = u[(j, r)];
        }
    }
    matmul_abt(&mut out, vs.view(), ut.view(), Par::Seq);
    Ok(out)
}

/// The parallelism to hand faer: `threads = 1` is sequential, `0` uses every core.
pub fn par(threads: usize) -> Par {
    if threads == 1 {
        Par::Seq
    } else {
        Par::rayon(threads)
    }
}
