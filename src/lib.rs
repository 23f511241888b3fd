//! # waddington
//!
//! A toolkit for studying how generalized (dense) Hopfield networks learn, and how their learning
//! resembles cell differentiation in a Waddington landscape (Boukacem et al., arXiv 2312.03012).
//!
//! ## The model (spec `reference-experiments.md` §1)
//! Memories M_A ∈ R^784 and labels ℓ_A ∈ [−1, 1]^10, A = 1..K. For an input x ∈ [−1, 1]^784:
//!
//! s_c(x) = tanh( Σ_A ℓ_{A,c} (max(M_A·x, 0)/T)^n ),   E = Σ_p Σ_c |s_c(x_p) − t_{p,c}|^(2m)
//!
//! trained with per-memory max-abs normalised gradient steps (spec §2, [`dam::train`]).
//!
//! ## Modules
//! * [`data`]: MNIST/Fashion-MNIST IDX and `.npy` input, the embedded 10k-digit default set.
//! * [`dam`]: the dense associative memory: both formulations, the reference-exact trainer,
//!   trajectories, checkpoints, run folders.
//! * [`config`]: run configurations (TOML).
//! * [`landscape`]: the Waddington analysis (α coordinates, splits, learning order).
//! * [`reduced`]: the reduced two-memory theory (nullclines, fixed points, continuation).
//! * [`bifurcating`]: modern Hopfield networks with controlled bifurcations.
//! * [`continuation`]: the pseudo-arclength continuation engine both of those use.
//! * [`embed`]: UMAP (fit and transform).
//! * [`plot`]: figures and movies.
//! * [`sweep`]: parameter grids, sharding, collection.
//! * [`view`]: a run or a sweep in the browser (self-contained page or loopback server).

pub mod atomic;
pub mod bifurcating;
pub mod config;
pub mod continuation;
pub mod dam;
pub mod data;
pub mod embed;
pub mod error;
pub mod landscape;
pub mod linalg;
pub mod npy;
pub mod plot;
pub mod reduced;
pub mod reproduce;
pub mod run_folder;
pub mod sweep;
pub mod view;

pub use error::{Error, Result};

/// The crate version, written into every summary.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
