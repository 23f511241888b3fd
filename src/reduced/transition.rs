//! The feature-to-prototype transition line T*(n) (spec §5.8) and the final states of the reduced
//! intra-digit (K = 1, both samples of one class) and inter-digit (K = 2, two classes) systems over
//! an (n, T) grid (spec §4.9, paper Fig. 6).

use super::output::write_json;
use super::span::{CLASSES, SpanMemory, SpanNetwork};
use super::two_memory::TwoMemory;
use crate::error::{Error, Result};
use ndarray::{Array1, Array2, Array3};
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// T*(n) = (d_self + d_AB) / (2 [artanh(1 − 2^(−1/(2m)))]^(1/n)) (spec §5.8): equal cost of the
/// prototype M = A and the mixture M = (A + B)/2. `d_self` is d_AA for the intra case (and, in the
/// inter case, the self dot product of the *other* sample of a memory).
pub fn transition_temperature(d_self: f64, d_ab: f64, n: f64, m: f64) -> f64 {
    let x = 1.0 - 2f64.powf(-1.0 / (2.0 * m));
    (d_self + d_ab) / (2.0 * x.atanh().powf(1.0 / n))
}

/// start, start + step, … ≤ stop (inclusive within 1e-9 of a step).
pub fn range(start: f64, stop: f64, step: f64) -> Result<Vec<f64>> {
    if !(step > 0.0 && stop >= start && start.is_finite() && stop.is_finite()) {
        return Err(Error::invalid(
            "range",
            format!("need step > 0 and stop ≥ start, got {start},{stop},{step}"),
        ));
    }
    let count = ((stop - start) / step + 1e-9).floor() as usize + 1;
    if count > 100_000 {
        return Err(Error::invalid("range", "more than 100000 values"));
    }
    Ok((0..count).map(|i| start + step * i as f64).collect())
}

/// Results of [`compute`].
#[derive(Debug, Clone, serde::Serialize)]
pub struct Transition {
    /// The system (pair).
    pub system: TwoMemory,
    /// n grid.
    pub n: Vec<f64>,
    /// T grid.
    pub temperature: Vec<f64>,
    /// T*(n) with d_AA + d_AB.
    pub line_a: Vec<f64>,
    /// T*(n) with d_BB + d_AB.
    pub line_b: Vec<f64>,
    /// Simulation settings (η, epochs) if simulated.
    pub simulated: Option<(f64, usize)>,
    /// Intra final coefficients (n × T × 2) and label ℓ of the shared class.
    #[serde(skip)]
    pub intra: Option<(Array3<f64>, Array2<f64>)>,
    /// Inter final coefficients (n × T × memory × 2).
    #[serde(skip)]
    pub inter: Option<ndarray::Array4<f64>>,
}

/// The initial state of the intra-digit run: the reference's N(−0.003, 1e−5) memory is outside
/// the span; we start from the small symmetric memory 0.001(A + B) with all labels −0.003.
pub fn intra_initial() -> Vec<SpanMemory> {
    vec![SpanMemory {
        coef: [1e-3, 1e-3],
        labels: [-0.003; CLASSES],
    }]
}

/// The inter-digit initial state of spec §4.9: M_0 = 0.5A − 0.2B, M_1 = 0.5B − 0.2A, labels −1
/// except ℓ_{0,a} = ℓ_{1,b} = +1 (a = class 0, b = class 1 here).
pub fn inter_initial() -> Vec<SpanMemory> {
    let mut l0 = [-1.0; CLASSES];
    l0[0] = 1.0;
    let mut l1 = [-1.0; CLASSES];
    l1[1] = 1.0;
    vec![
        SpanMemory {
            coef: [0.5, -0.2],
            labels: l0,
        },
        SpanMemory {
            coef: [-0.2, 0.5],
            labels: l1,
        },
    ]
}

/// Transition lines over `ns`, and, with `simulate = Some((η, epochs))`, the final states of the
/// intra (targets [0, 0], K = 1) and inter (targets [0, 1], K = 2) runs at every (n, T) of the grid.
pub fn compute(sys: &TwoMemory, ns: &[f64], ts: &[f64], simulate: Option<(f64, usize)>) -> Transition {
    let d = sys.dots;
    let line_a = ns
        .iter()
        .map(|&n| transition_temperature(d.aa, d.ab, n, sys.m(n)))
        .collect();
    let line_b = ns
        .iter()
        .map(|&n| transition_temperature(d.bb, d.ab, n, sys.m(n)))
        .collect();
    let mut out = Transition {
        system: *sys,
        n: ns.to_vec(),
        temperature: ts.to_vec(),
        line_a,
        line_b,
        simulated: simulate,
        intra: None,
        inter: None,
    };
    if let Some((eta, epochs)) = simulate {
        let gram = [[d.aa, d.ab], [d.ab, d.bb]];
        let cells: Vec<(usize, usize)> = (0..ns.len())
            .flat_map(|i| (0..ts.len()).map(move |j| (i, j)))
            .collect();
        let finals: Vec<(SpanMemory, Vec<SpanMemory>)> = cells
            .par_iter()
            .map(|&(i, j)| {
                let base = |targets| SpanNetwork {
                    gram,
                    targets,
                    n: ns[i],
                    m: sys.m(ns[i]),
                    temperature: ts[j],
                };
                let (intra, _) = base([0, 0]).run(intra_initial(), eta, epochs, false);
                let (inter, _) = base([0, 1]).run(inter_initial(), eta, epochs, false);
                (intra[0], inter)
            })
            .collect();
        let mut intra = Array3::zeros((ns.len(), ts.len(), 2));
        let mut intra_l = Array2::zeros((ns.len(), ts.len()));
        let mut inter = ndarray::Array4::zeros((ns.len(), ts.len(), 2, 2));
        for (&(i, j), (a, b)) in cells.iter().zip(&finals) {
            intra[[i, j, 0]] = a.coef[0];
            intra[[i, j, 1]] = a.coef[1];
            intra_l[[i, j]] = a.labels[0];
            for (mu, m) in b.iter().enumerate() {
                inter[[i, j, mu, 0]] = m.coef[0];
                inter[[i, j, mu, 1]] = m.coef[1];
            }
        }
        out.intra = Some((intra, intra_l));
        out.inter = Some(inter);
    }
    out
}

/// `transition.json` and `transition.npz` (`n` (N,), `temperature` (T,), `line_a`, `line_b` (N,)
/// in T units, and with simulation `intra_coef` (N×T×2), `intra_label` (N×T), `inter_coef`
/// (N×T×2×2: memory, coefficient on A/B)).
pub fn write(dir: &Path, r: &Transition) -> Result<Vec<PathBuf>> {
    let json = dir.join("transition.json");
    write_json(&json, r)?;
    let path = dir.join("transition.npz");
    let mut npz = crate::npy::create_npz(&path)?;
    npz.add_array("n", &Array1::from(r.n.clone()))?;
    npz.add_array("temperature", &Array1::from(r.temperature.clone()))?;
    npz.add_array("line_a", &Array1::from(r.line_a.clone()))?;
    npz.add_array("line_b", &Array1::from(r.line_b.clone()))?;
    if let Some((c, l)) = &r.intra {
        npz.add_array("intra_coef", c)?;
        npz.add_array("intra_label", l)?;
    }
    if let Some(c) = &r.inter {
        npz.add_array("inter_coef", c)?;
    }
    npz.finish()?;
    Ok(vec![json, path])
}
