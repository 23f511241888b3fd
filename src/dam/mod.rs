//! The dense associative memory: both formulations ([`model`]) and the reference-exact trainer.

pub mod bench;
pub mod gemm;
pub mod kernels;
pub mod model;
pub mod run;
pub mod tanh;
pub mod train;
