//! Automatic split detection (spec §7.6; the reference finds splits by eye in UMAP movies).
//!
//! **Clades.** At the first analysed epoch the memories are grouped into the connected
//! components of the graph "RMS pixel distance < τ" (single linkage, spec §6.5). At every later
//! recorded epoch each clade is re-split into the single-linkage components of its own members
//! at that epoch: two memories stay in one clade as long as they are chained by distances < τ
//! inside their clade. Clades therefore only ever refine ("once split, always split"), which
//! makes the history a tree; memories that later come close again are not merged (the number of
//! such re-approaches is reported as `rejoins`).
//!
//! **Tolerance.** RMS distance d(A, B) = ‖M_A − M_B‖₂ / √D. With μ = 0 a memory moves by exactly
//! η in max-norm per update (spec §2.2, §6.10), hence by at most η RMS. The default
//! τ = 10 η (0.05 for the paper's η = 0.005, the value that worked in spec §6.5) calls two memories
//! "the same state" when they are closer than ten update steps — below the time resolution of the
//! default record interval, and far above the initial spread (√2·1e−5 for N(−0.003, 1e−5)).
//! See `docs/landscape.md`.

use ndarray::{Array2, ArrayView2};

/// The default tolerance in update steps: τ = 10 η.
pub const DEFAULT_TOLERANCE_STEPS: f64 = 10.0;

/// Squared RMS distances between all memories (K×K) from the Gram matrix G = M Mᵀ:
/// d²_{AB} = (G_AA + G_BB − 2 G_AB) / D, clamped at 0.
pub fn rms_distances_sq(memories: ArrayView2<f64>, par: faer::Par) -> Array2<f64> {
    let k = memories.nrows();
    let d = memories.ncols().max(1) as f64;
    let m = memories.as_standard_layout();
    let mut g = Array2::zeros((k, k));
    crate::linalg::matmul_abt(&mut g, m.view(), m.view(), par);
    let diag: Vec<f64> = (0..k).map(|i| g[[i, i]]).collect();
    Array2::from_shape_fn((k, k), |(a, b)| ((diag[a] + diag[b] - 2.0 * g[[a, b]]) / d).max(0.0))
}

/// A disjoint-set forest over memory indices.
struct UnionFind(Vec<usize>);

impl UnionFind {
    fn new(n: usize) -> Self {
        UnionFind((0..n).collect())
    }
    fn find(&mut self, mut a: usize) -> usize {
        while self.0[a] != a {
            self.0[a] = self.0[self.0[a]];
            a = self.0[a];
        }
        a
    }
    fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            let (lo, hi) = (ra.min(rb), ra.max(rb));
            self.0[hi] = lo;
        }
    }
}

/// Single-linkage components of `members` under "d² < τ²", each sorted, ordered by smallest member.
pub fn components(members: &[usize], dist_sq: &Array2<f64>, tol: f64) -> Vec<Vec<usize>> {
    let k = dist_sq.nrows();
    let tol_sq = tol * tol;
    let mut uf = UnionFind::new(k);
    for (x, &a) in members.iter().enumerate() {
        for &b in &members[x + 1..] {
            if dist_sq[[a, b]] < tol_sq {
                uf.union(a, b);
            }
        }
    }
    let mut groups: Vec<(usize, Vec<usize>)> = Vec::new();
    let mut sorted = members.to_vec();
    sorted.sort_unstable();
    for a in sorted {
        let r = uf.find(a);
        match groups.iter_mut().find(|(root, _)| *root == r) {
            Some((_, g)) => g.push(a),
            None => groups.push((r, vec![a])),
        }
    }
    groups.sort_by_key(|(_, g)| g[0]);
    groups.into_iter().map(|(_, g)| g).collect()
}

/// A clade: one node of the split tree.
#[derive(Debug, Clone, PartialEq)]
pub struct Clade {
    /// Node id (index into [`CladeTracker::clades`]).
    pub id: usize,
    /// Parent node (None for the root).
    pub parent: Option<usize>,
    /// Memory indices (sorted).
    pub members: Vec<usize>,
    /// Index of the first record (frame) at which the clade exists.
    pub first_frame: usize,
    /// Index of the last record at which it exists (it split at `last_frame + 1`, or the run ended).
    pub last_frame: usize,
    /// Child nodes (empty for a leaf).
    pub children: Vec<usize>,
    /// True for the artificial root added when the first epoch already has several clades.
    pub is_virtual: bool,
}

/// One split event: at record `frame` the clade `parent` is found as the clades `children`.
#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    /// Index of the first record at which the children exist.
    pub frame: usize,
    /// The parent node.
    pub parent: usize,
    /// The children (≥ 2).
    pub children: Vec<usize>,
}

/// Follows clades through the recorded frames (see the module docs for the rule).
#[derive(Debug, Clone)]
pub struct CladeTracker {
    tol: f64,
    /// Every node so far.
    pub clades: Vec<Clade>,
    /// Every split so far, in time order.
    pub splits: Vec<Split>,
    /// The nodes alive at the latest frame.
    pub active: Vec<usize>,
    /// Per frame, the node id of every memory.
    pub assignment: Vec<Vec<usize>>,
    /// Number of (frame, pair) cases where two memories of different clades were closer than τ.
    pub rejoins: usize,
    frames: usize,
}

impl CladeTracker {
    /// A tracker with RMS tolerance `tol`.
    pub fn new(tol: f64) -> Self {
        CladeTracker {
            tol,
            clades: Vec::new(),
            splits: Vec::new(),
            active: Vec::new(),
            assignment: Vec::new(),
            rejoins: 0,
            frames: 0,
        }
    }

    /// The tolerance τ.
    pub fn tolerance(&self) -> f64 {
        self.tol
    }

    fn new_clade(&mut self, parent: Option<usize>, members: Vec<usize>, frame: usize) -> usize {
        let id = self.clades.len();
        self.clades.push(Clade {
            id,
            parent,
            members,
            first_frame: frame,
            last_frame: frame,
            children: Vec::new(),
            is_virtual: false,
        });
        if let Some(p) = parent {
            self.clades[p].children.push(id);
        }
        id
    }

    /// Add the next frame, given its squared RMS distances (K×K).
    pub fn push(&mut self, dist_sq: &Array2<f64>) {
        let k = dist_sq.nrows();
        let frame = self.frames;
        self.frames += 1;
        if frame == 0 {
            let all: Vec<usize> = (0..k).collect();
            let comps = components(&all, dist_sq, self.tol);
            if comps.len() == 1 {
                let id = self.new_clade(None, all, 0);
                self.active = vec![id];
            } else {
                let root = self.new_clade(None, all, 0);
                self.clades[root].is_virtual = true;
                let kids: Vec<usize> = comps.into_iter().map(|c| self.new_clade(Some(root), c, 0)).collect();
                self.splits.push(Split {
                    frame: 0,
                    parent: root,
                    children: kids.clone(),
                });
                self.active = kids;
            }
        } else {
            let mut next = Vec::new();
            for id in std::mem::take(&mut self.active) {
                let comps = components(&self.clades[id].members, dist_sq, self.tol);
                if comps.len() == 1 {
                    self.clades[id].last_frame = frame;
                    next.push(id);
                } else {
                    let kids: Vec<usize> =
                        comps.into_iter().map(|c| self.new_clade(Some(id), c, frame)).collect();
                    self.splits.push(Split {
                        frame,
                        parent: id,
                        children: kids.clone(),
                    });
                    next.extend(kids);
                }
            }
            self.active = next;
        }
        let mut assign = vec![0; k];
        for &id in &self.active {
            for &a in &self.clades[id].members {
                assign[a] = id;
            }
        }
        let tol_sq = self.tol * self.tol;
        for a in 0..k {
            for b in a + 1..k {
                if assign[a] != assign[b] && dist_sq[[a, b]] < tol_sq {
                    self.rejoins += 1;
                }
            }
        }
        self.assignment.push(assign);
    }

    /// Number of frames pushed.
    pub fn frames(&self) -> usize {
        self.frames
    }
}
