//! Automatic split detection (spec §7.6; the reference finds splits by eye in UMAP movies).
//!
//! **Clades.** At the first analysed epoch the memories are grouped into the connected
//! components of the graph "RMS pixel distance < τ" (single linkage, spec §6.5); a component
//! wider than 2τ (diameter = largest RMS distance) is further cut at the widest gap of its minimum
//! spanning tree until none is. At every later recorded epoch each clade is re-split the same way
//! using only its own members: memories stay in one clade while they are chained by gaps < τ
//! inside their clade and the clade is no wider than 2τ. (Without the diameter bound a cloud that
//! spreads continuously — as the 100-memory system does when it leaves the "1" state, spec §6.3 —
//! stays one single-linkage component for hundreds of epochs although its members are far apart.) Clades therefore only ever refine ("once split, always split"), which
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

/// The default diameter bound of a clade in units of τ: a clade wider than 2τ is cut at its widest gap.
pub const DEFAULT_DIAMETER_FACTOR: f64 = 2.0;

/// Squared RMS distances between all memories (K×K) from the Gram matrix G = M Mᵀ:
/// d²_{AB} = (G_AA + G_BB − 2 G_AB) / D, clamped at 0.
pub fn rms_distances_sq(memories: ArrayView2<f64>, par: faer::Par) -> Array2<f64> {
    let k = memories.nrows();
    let d = memories.ncols().max(1) as f64;
    let m = memories.as_standard_layout();
    let mut g = Array2::zeros((k, k));
    crate::linalg::matmul_abt(&mut g, m.view(), m.view(), par);
    let diag: Vec<f64> = (0..k).map(|i| g[[i, i]]).collect();
    Array2::from_shape_fn((k, k), |(a, b)| {
        ((diag[a] + diag[b] - 2.0 * g[[a, b]]) / d).max(0.0)
    })
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

/// Diameter (largest RMS distance) of a set of memories.
pub fn diameter(members: &[usize], dist_sq: &Array2<f64>) -> f64 {
    let mut m = 0.0f64;
    for (x, &a) in members.iter().enumerate() {
        for &b in &members[x + 1..] {
            m = m.max(dist_sq[[a, b]]);
        }
    }
    m.sqrt()
}

/// Split `members` in two at the longest edge of their minimum spanning tree (the widest gap of
/// the single-linkage hierarchy; ties broken by the earliest edge found). Each part is sorted.
fn cut_widest_gap(members: &[usize], dist_sq: &Array2<f64>) -> (Vec<usize>, Vec<usize>) {
    let s = members.len();
    let mut in_tree = vec![false; s];
    let mut best = vec![f64::INFINITY; s];
    let mut link = vec![0usize; s];
    let mut edges: Vec<(usize, usize, f64)> = Vec::with_capacity(s);
    best[0] = 0.0;
    for _ in 0..s {
        let mut u = usize::MAX;
        for v in 0..s {
            if !in_tree[v] && (u == usize::MAX || best[v] < best[u]) {
                u = v;
            }
        }
        in_tree[u] = true;
        if u != 0 {
            edges.push((link[u], u, best[u]));
        }
        for v in 0..s {
            let d = dist_sq[[members[u], members[v]]];
            if !in_tree[v] && d < best[v] {
                best[v] = d;
                link[v] = u;
            }
        }
    }
    let widest = (0..edges.len()).fold(0, |w, i| if edges[i].2 > edges[w].2 { i } else { w });
    let mut uf = UnionFind::new(s);
    for (i, &(a, b, _)) in edges.iter().enumerate() {
        if i != widest {
            uf.union(a, b);
        }
    }
    let root = uf.find(0);
    let (mut p, mut q): (Vec<usize>, Vec<usize>) = (Vec::new(), Vec::new());
    for (i, &m) in members.iter().enumerate() {
        if uf.find(i) == root { p.push(m) } else { q.push(m) }
    }
    p.sort_unstable();
    q.sort_unstable();
    (p, q)
}

/// The clades of `members` at one epoch: single-linkage components under "RMS distance < τ",
/// each further cut at its widest internal gap while its diameter exceeds `max_diameter` (so a
/// continuously spreading cloud, which single linkage would chain into one component, is not
/// called one state). Sorted by smallest member.
pub fn clades_of(members: &[usize], dist_sq: &Array2<f64>, tol: f64, max_diameter: f64) -> Vec<Vec<usize>> {
    let mut out = Vec::new();
    let mut todo = components(members, dist_sq, tol);
    while let Some(c) = todo.pop() {
        if c.len() > 1 && diameter(&c, dist_sq) > max_diameter {
            let (p, q) = cut_widest_gap(&c, dist_sq);
            todo.push(p);
            todo.push(q);
        } else {
            out.push(c);
        }
    }
    out.sort_by_key(|g| g[0]);
    out
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
    max_diameter: f64,
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
    /// A tracker with RMS tolerance `tol` and the default diameter bound
    /// [`DEFAULT_DIAMETER_FACTOR`]·`tol`.
    pub fn new(tol: f64) -> Self {
        Self::with_diameter(tol, DEFAULT_DIAMETER_FACTOR * tol)
    }

    /// A tracker with RMS tolerance `tol` (single-linkage gap) and diameter bound `max_diameter`.
    pub fn with_diameter(tol: f64, max_diameter: f64) -> Self {
        CladeTracker {
            tol,
            max_diameter,
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
            let comps = clades_of(&all, dist_sq, self.tol, self.max_diameter);
            if comps.len() == 1 {
                let id = self.new_clade(None, all, 0);
                self.active = vec![id];
            } else {
                let root = self.new_clade(None, all, 0);
                self.clades[root].is_virtual = true;
                let kids: Vec<usize> = comps
                    .into_iter()
                    .map(|c| self.new_clade(Some(root), c, 0))
                    .collect();
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
                let comps = clades_of(&self.clades[id].members, dist_sq, self.tol, self.max_diameter);
                if comps.len() == 1 {
                    self.clades[id].last_frame = frame;
                    next.push(id);
                } else {
                    let kids: Vec<usize> = comps
                        .into_iter()
                        .map(|c| self.new_clade(Some(id), c, frame))
                        .collect();
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
