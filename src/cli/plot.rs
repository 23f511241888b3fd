//! (being written)

/// Subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Not available yet.
    Pending,
}

/// Run a subcommand.
pub fn run(_c: Command) -> anyhow::Result<()> {
    anyhow::bail!("this subcommand is not available yet")
}
