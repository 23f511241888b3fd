//! (being written)

use super::{Context, Outcome};
use crate::error::Result;

/// Reproduce the figure.
pub fn run(ctx: &Context) -> Result<Outcome> {
    Err(super::not_yet(ctx.figure))
}
