//! (being written)

/// Arguments.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Run the subcommand.
pub fn run(_a: Args) -> anyhow::Result<()> {
    anyhow::bail!("this subcommand is not available yet")
}
