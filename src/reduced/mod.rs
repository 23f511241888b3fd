//! The reduced two-memory / two-digit theory (spec §5): the normalised flow of one memory
//! M = αA + βB with label ℓ on the diamond |α| + |β| ≤ 1, its nullclines, fixed points and their
//! stability, continuation of fixed-point branches in n or T with fold detection, fold curves in
//! (n, T) with cusps, region maps of fixed-point counts, the feature-to-prototype transition line,
//! and the small-deviation split analysis.
//!
//! Entry points: [`TwoMemory`] (the system and its discrete map), [`fixed_points::fixed_points`],
//! [`branches::diagram`], [`fold_curves::fold_curves`], [`regions::regions`], [`nullclines::nullcline`],
//! [`transition::transition_temperature`], [`transition::compute`], [`splitting::analyse`],
//! [`span::SpanNetwork`] (several explicit memories in the span of the pair).

pub mod bench;
pub mod branches;
pub mod figures;
pub mod fixed_points;
pub mod fold_curves;
pub mod nullclines;
pub mod output;
pub mod pair;
pub mod regions;
pub mod span;
pub mod splitting;
pub mod transition;
pub mod two_memory;

pub use fixed_points::{FixedPoint, LabelState, Stability};
pub use two_memory::{Boundary, Control, LossPower, PairDots, State, TwoMemory};
