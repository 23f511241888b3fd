//! The dense associative memory: both formulations ([`model`]) and the reference-exact trainer.

pub mod model;
pub mod train;
