//! `waddington train`, `demo`, `bench` (being written).

/// Arguments of `train`.
#[derive(Debug, clap::Args)]
pub struct TrainArgs {}
/// Arguments of `demo`.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {}
/// Arguments of `bench`.
#[derive(Debug, clap::Args)]
pub struct BenchArgs {}

pub fn train(_a: TrainArgs) -> anyhow::Result<()> {
    anyhow::bail!("not available yet")
}
pub fn demo(_a: DemoArgs) -> anyhow::Result<()> {
    anyhow::bail!("not available yet")
}
pub fn bench(_a: BenchArgs) -> anyhow::Result<()> {
    anyhow::bail!("not available yet")
}
