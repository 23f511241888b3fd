//! The one continuation engine of the project, shared by the reduced two-memory theory
//! ([`crate::reduced`]) and the bifurcating networks ([`crate::bifurcating`]); each of those keeps
//! only its own problems (curves, monitored quantities, what an event means there).
//!
//! * [`arclength`]: pseudo-arclength continuation of H(x) = 0 as an iterator over points, with the
//!   problem ([`Curve`]), the algorithm ([`Algorithm`]: corrector and step rule) and the options
//!   ([`Options`]) kept apart, and events (folds, stability or label changes: any monitored scalar
//!   changing sign) located by bisection on the arclength of a step ([`Continuation::locate`]).
//! * [`newton`]: damped Newton for square systems, scalar bisection, and the location of changes of
//!   a discrete signature along a parameter.
//! * The small dense numerics they use (solve, det, Jacobian, eigenvalues) are in
//!   [`crate::linalg::small`].

pub mod arclength;
pub mod newton;

pub use arclength::{Algorithm, Continuation, Corrector, Curve, End, FnCurve, Options, Point};
pub use newton::{bisect, newton, root, signature_changes};
