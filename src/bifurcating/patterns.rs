//! Stored patterns Ξ (N×P, column μ = ξ^μ), their overlap matrix C = ΞᵀΞ/N and metric g = C⁻¹
//! (spec §3.1–3.2, §8.2), and pattern builders: random ±1, Walsh–Hadamard rows, correlated
//! families, class means of a labelled expression matrix.

use crate::error::{Error, Result};
use crate::linalg::small::solve;
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha20Rng;

/// Per-pattern normalisation across genes (spec §8.2 step 3).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize, Default, clap::ValueEnum,
)]
#[serde(rename_all = "kebab-case")]
pub enum Normalisation {
    /// Leave as is.
    #[default]
    None,
    /// Subtract the mean, divide by the standard deviation (population), so C_μμ = 1.
    ZScore,
    /// Divide by the root mean square, so C_μμ = 1.
    UnitRms,
}

/// A pattern set with its overlap matrix and metric.
#[derive(Debug, Clone)]
pub struct Patterns {
    /// Ξ, N×P (column μ is pattern μ).
    pub xi: Array2<f64>,
    /// C = ΞᵀΞ/N (P×P).
    pub c: Array2<f64>,
    /// g = C⁻¹ (P×P), or (C + εI)⁻¹ when C is ill-conditioned (then `ridge` > 0).
    pub g: Array2<f64>,
    /// Ridge ε added to C before inversion (0 if none was needed).
    pub ridge: f64,
    /// Estimated condition number of C (ratio of extreme eigenvalues).
    pub condition: f64,
}

impl Patterns {
    /// Build from Ξ (N×P): C = ΞᵀΞ/N, g = C⁻¹ (spec §3.1). If cond(C) > `max_condition`, the ridge
    /// C + εI with ε = 1e−10·tr(C)/P is inverted instead (reported in `ridge`).
    pub fn new(xi: Array2<f64>, max_condition: f64) -> Result<Self> {
        let (n, p) = xi.dim();
        if n == 0 || p == 0 {
            return Err(Error::shape("patterns", "N×P with N, P ≥ 1", &[n, p]));
        }
        crate::npy::check_finite(&xi.view(), "patterns")?;
        let c = xi.t().dot(&xi) / n as f64;
        let cv: Vec<f64> = c.iter().copied().collect();
        let ev = crate::linalg::small::sym_eigenvalues(&cv, p);
        let condition = if ev[0] > 0.0 {
            ev[p - 1] / ev[0]
        } else {
            f64::INFINITY
        };
        let mut ridge = 0.0;
        let mut a = c.clone();
        if condition.partial_cmp(&max_condition) != Some(std::cmp::Ordering::Less)
            && condition != max_condition
        {
            ridge = 1e-10 * c.diag().sum() / p as f64;
            for i in 0..p {
                a[[i, i]] += ridge;
            }
        }
        let g = invert(&a).ok_or_else(|| Error::invalid("patterns", "overlap matrix C is singular"))?;
        Ok(Patterns {
            xi,
            c,
            g,
            ridge,
            condition,
        })
    }
    /// Number of neurons N.
    pub fn n(&self) -> usize {
        self.xi.nrows()
    }
    /// Number of patterns P.
    pub fn p(&self) -> usize {
        self.xi.ncols()
    }
    /// Contravariant overlaps m^ = Ξᵀx/N (spec §3.2).
    pub fn contravariant(&self, x: ArrayView1<f64>) -> Array1<f64> {
        self.xi.t().dot(&x) / self.n() as f64
    }
    /// Covariant (Kanter–Sompolinsky) overlaps m = g·m^ (spec §3.2).
    pub fn covariant(&self, x: ArrayView1<f64>) -> Array1<f64> {
        self.g.dot(&self.contravariant(x))
    }
    /// Reconstruct x = Ξm (+ r) (spec §4.1).
    pub fn reconstruct(&self, m: ArrayView1<f64>) -> Array1<f64> {
        self.xi.dot(&m)
    }
}

/// Inverse of a small square matrix (column by column Gaussian elimination).
pub fn invert(a: &Array2<f64>) -> Option<Array2<f64>> {
    let p = a.nrows();
    let flat: Vec<f64> = a.iter().copied().collect();
    let mut g = Array2::zeros((p, p));
    for j in 0..p {
        let mut e = vec![0.0; p];
        e[j] = 1.0;
        let col = solve(&flat, &e)?;
        for i in 0..p {
            g[[i, j]] = col[i];
        }
    }
    Some(g)
}

/// P random ±1 patterns of length N (ChaCha20 seeded), spec §7.1.
pub fn random_binary(n: usize, p: usize, seed: u64) -> Array2<f64> {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let mut xi = Array2::zeros((n, p));
    for mu in 0..p {
        for i in 0..n {
            xi[[i, mu]] = if rng.random::<bool>() { 1.0 } else { -1.0 };
        }
    }
    xi
}

/// P distinct non-constant Walsh–Hadamard rows of length N (N a power of two, P < N): row k of the
/// Sylvester matrix, H_{ik} = (−1)^{popcount(i & k)}, for k = 1..P. Exactly orthogonal: C = I.
pub fn hadamard(n: usize, p: usize) -> Result<Array2<f64>> {
    if !n.is_power_of_two() || n < 2 {
        return Err(Error::invalid(
            "patterns.n",
            format!("Hadamard patterns need N a power of two, got {n}"),
        ));
    }
    if p >= n {
        return Err(Error::invalid(
            "patterns.p",
            format!("Hadamard patterns need P < N = {n}, got {p}"),
        ));
    }
    Ok(Array2::from_shape_fn((n, p), |(i, mu)| {
        if (i & (mu + 1)).count_ones() % 2 == 0 {
            1.0
        } else {
            -1.0
        }
    }))
}

/// A correlated family (spec §10.1): pattern 0 random ±1; every other pattern copies each entry
/// of pattern 0 with probability `fraction` and is an independent ±1 otherwise, so that
/// E[C_{0μ}] = fraction.
pub fn correlated(n: usize, p: usize, fraction: f64, seed: u64) -> Result<Array2<f64>> {
    if !(0.0..=1.0).contains(&fraction) {
        return Err(Error::invalid(
            "patterns.fraction",
            format!("must be in [0, 1], got {fraction}"),
        ));
    }
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let mut xi = Array2::zeros((n, p));
    for i in 0..n {
        xi[[i, 0]] = if rng.random::<bool>() { 1.0 } else { -1.0 };
    }
    for mu in 1..p {
        for i in 0..n {
            let copy = rng.random::<f64>() < fraction;
            let r = if rng.random::<bool>() { 1.0 } else { -1.0 };
            xi[[i, mu]] = if copy { xi[[i, 0]] } else { r };
        }
    }
    Ok(xi)
}

/// Class means (spec §8.2 step 2): `expr` is cells × genes; `labels[cell]` names its class;
/// returns genes × classes (one pattern per entry of `classes`, in that order).
pub fn class_means(expr: ArrayView2<f64>, labels: &[String], classes: &[String]) -> Result<Array2<f64>> {
    let (cells, genes) = expr.dim();
    if labels.len() != cells {
        return Err(Error::shape(
            "labels",
            format!("{cells} labels (one per cell)"),
            &[labels.len()],
        ));
    }
    let mut out = Array2::zeros((genes, classes.len()));
    for (k, cls) in classes.iter().enumerate() {
        let rows: Vec<usize> = (0..cells).filter(|&i| labels[i] == *cls).collect();
        if rows.is_empty() {
            return Err(Error::invalid("classes", format!("class '{cls}' has no cells")));
        }
        let mean = expr.select(Axis(0), &rows).mean_axis(Axis(0)).expect("non-empty");
        out.column_mut(k).assign(&mean);
    }
    Ok(out)
}

/// Normalise each pattern (column) across genes (spec §8.2 step 3).
pub fn normalise(xi: &mut Array2<f64>, how: Normalisation) -> Result<()> {
    let n = xi.nrows() as f64;
    for (mu, mut col) in xi.columns_mut().into_iter().enumerate() {
        match how {
            Normalisation::None => {}
            Normalisation::ZScore => {
                let mean = col.sum() / n;
                let var = col.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
                if var <= 0.0 {
                    return Err(Error::invalid(
                        "patterns",
                        format!("pattern {mu} is constant; cannot z-score"),
                    ));
                }
                let sd = var.sqrt();
                col.mapv_inplace(|v| (v - mean) / sd);
            }
            Normalisation::UnitRms => {
                let rms = (col.iter().map(|v| v * v).sum::<f64>() / n).sqrt();
                if rms == 0.0 {
                    return Err(Error::invalid("patterns", format!("pattern {mu} is zero")));
                }
                col.mapv_inplace(|v| v / rms);
            }
        }
    }
    Ok(())
}
