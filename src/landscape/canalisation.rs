//! Canalisation (spec §3.10 made quantitative): how tightly memories travel together, the
//! dimension of the memory cloud between splits, and when each memory's fate is sealed.

use crate::data::CLASSES;
use ndarray::{Array1, Array2, ArrayView2, Axis};

/// Deviation of every memory from the mean memory (spec §3.10, `plot_canalization.py`):
/// D_μ = Σ_i |M̄_i − M_{μ,i}| (L1), M̄ the mean over all K memories (length K).
pub fn deviation_from_mean(memories: ArrayView2<f64>) -> Array1<f64> {
    let mean = memories
        .mean_axis(Axis(0))
        .unwrap_or_else(|| Array1::zeros(memories.ncols()));
    memories.map_axis(Axis(1), |m| m.iter().zip(&mean).map(|(a, b)| (a - b).abs()).sum())
}

/// Cloud statistics of a set of memories from their squared RMS distances:
/// `(msd, pr)` with msd = mean squared RMS distance to the centroid = (1/(2|S|²)) Σ_{a,b} d²_ab,
/// and pr the participation-ratio dimension (Σλ)²/Σλ² of the covariance of the members,
/// computed from the double-centred Gram matrix G_c = −½ J D² J (tr G_c = Σλ, ‖G_c‖²_F = Σλ²).
/// A single memory, or identical ones, give (0, 0).
pub fn cloud_stats(members: &[usize], dist_sq: &Array2<f64>) -> (f64, f64) {
    let s = members.len();
    if s < 2 {
        return (0.0, 0.0);
    }
    let sf = s as f64;
    let row: Vec<f64> = members
        .iter()
        .map(|&a| members.iter().map(|&b| dist_sq[[a, b]]).sum::<f64>() / sf)
        .collect();
    let total = row.iter().sum::<f64>() / sf;
    let msd = total / 2.0;
    let mut frob = 0.0;
    let mut trace = 0.0;
    for (x, &a) in members.iter().enumerate() {
        for (y, &b) in members.iter().enumerate() {
            let g = -0.5 * (dist_sq[[a, b]] - row[x] - row[y] + total);
            frob += g * g;
            if x == y {
                trace += g;
            }
        }
    }
    let pr = if frob > 0.0 { trace * trace / frob } else { 0.0 };
    (msd, pr)
}

/// Pair statistics of final identity against clade membership at each record.
#[derive(Debug, Clone, PartialEq)]
pub struct CoTravel {
    /// Per record: fraction of memory pairs with the same final identity that share a clade
    /// (1 = memories of the same fate travel together).
    pub together: Vec<f64>,
    /// Per record: fraction of pairs with different final identities that share a clade
    /// (falls to 0 when every fate has been separated).
    pub mixed: Vec<f64>,
    /// Per memory: first record from which its clade holds only memories of its own final
    /// identity at every later record (its commitment); None if even its final clade is mixed.
    pub commitment_frame: Vec<Option<usize>>,
    /// Per class (10): last record at which all memories of that final identity share one clade
    /// (None if no memory ends with that identity).
    pub together_until_frame: Vec<Option<usize>>,
    /// Per class: first record from which every memory of that final identity is committed
    /// (None if some never is, or no memory ends with that identity).
    pub committed_frame: Vec<Option<usize>>,
}

/// Compute [`CoTravel`] from the per-record clade of every memory (`assignment[t][A]`) and the
/// final identities (`fate[A]`).
pub fn co_travel(assignment: &[Vec<usize>], fate: &[usize]) -> CoTravel {
    let k = fate.len();
    let mut together = Vec::with_capacity(assignment.len());
    let mut mixed = Vec::with_capacity(assignment.len());
    // pure[t][A]: A's clade at t holds only memories of A's fate
    let mut pure: Vec<Vec<bool>> = Vec::with_capacity(assignment.len());
    for a in assignment {
        let (mut same_n, mut same_in, mut diff_n, mut diff_in) = (0usize, 0usize, 0usize, 0usize);
        let mut p = vec![true; k];
        for x in 0..k {
            for y in x + 1..k {
                let shared = a[x] == a[y];
                if fate[x] == fate[y] {
                    same_n += 1;
                    same_in += shared as usize;
                } else {
                    diff_n += 1;
                    diff_in += shared as usize;
                    if shared {
                        p[x] = false;
                        p[y] = false;
                    }
                }
            }
        }
        together.push(if same_n > 0 {
            same_in as f64 / same_n as f64
        } else {
            1.0
        });
        mixed.push(if diff_n > 0 {
            diff_in as f64 / diff_n as f64
        } else {
            0.0
        });
        pure.push(p);
    }
    let e = assignment.len();
    let commitment_frame: Vec<Option<usize>> = (0..k)
        .map(|m| {
            let mut t = e;
            while t > 0 && pure[t - 1][m] {
                t -= 1;
            }
            (t < e).then_some(t)
        })
        .collect();
    let mut together_until_frame = vec![None; CLASSES];
    let mut committed_frame = vec![None; CLASSES];
    for c in 0..CLASSES {
        let members: Vec<usize> = (0..k).filter(|&m| fate[m] == c).collect();
        if members.is_empty() {
            continue;
        }
        together_until_frame[c] = assignment
            .iter()
            .rposition(|a| members.iter().all(|&m| a[m] == a[members[0]]));
        committed_frame[c] = members
            .iter()
            .map(|&m| commitment_frame[m])
            .collect::<Option<Vec<usize>>>()
            .and_then(|v| v.into_iter().max());
    }
    CoTravel {
        together,
        mixed,
        commitment_frame,
        together_until_frame,
        committed_frame,
    }
}

/// Fate distribution of a set of memories: fraction of them with each final identity (length 10).
pub fn fate_distribution(members: &[usize], fate: &[usize]) -> Vec<f64> {
    let mut p = vec![0.0; CLASSES];
    for &m in members {
        p[fate[m]] += 1.0;
    }
    let n = members.len().max(1) as f64;
    p.iter_mut().for_each(|v| *v /= n);
    p
}
