//! Command-line parsing (clap) and dispatch. Each subcommand lives in its own file and only
//! parses, builds library configs, calls the library and prints.

use clap::{Parser, Subcommand};
use std::process::ExitCode;

mod analyze;
mod bifurcate;
mod embed;
mod plot;
mod reduced;
mod reproduce;
mod sweep;
mod train;
mod view;

/// Dense Hopfield networks, their learning dynamics and Waddington landscapes.
#[derive(Debug, Parser)]
#[command(name = "waddington", version, about, long_about = None, after_help = WORKFLOWS)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// The table of contents printed after the command list.
const WORKFLOWS: &str = "\
Where to start:
  demo                          the paper's Figure-3 run on the embedded digits, then its analysis
  train → analyze → plot        one run: train a config, analyse its split tree, draw it
  sweep run → sweep collect     grids of runs (resumable; `sweep slurm` for clusters)
  reproduce figN | all          every figure of the paper; a report sets our numbers beside the paper's
  reduced …, bifurcate …        the two-memory theory; networks with controlled bifurcations
  embed fit → embed transform   UMAP of digits and of memory trajectories

A command interrupted at any point finishes the work when run again. `--force` replaces a
finished output; `--jobs` is runs at the same time, `--threads` threads inside one run.
Modules: analyze = landscape, bifurcate = bifurcating (docs/architecture.md).";

#[derive(Debug, Subcommand)]
enum Command {
    /// Train a dense associative memory from a run config (TOML).
    Train(train::TrainArgs),
    /// Run the paper's Figure-3 setting on the embedded data, then analyse it.
    Demo(train::DemoArgs),
    /// Measure the speed of one training epoch against the matrix-product floor.
    Bench(train::BenchArgs),
    /// The Waddington analysis of one or several run folders.
    Analyze(analyze::Args),
    /// The reduced two-memory theory: nullclines, fixed points, continuation.
    #[command(subcommand)]
    Reduced(reduced::Command),
    /// Modern Hopfield networks with controlled bifurcations.
    #[command(subcommand)]
    Bifurcate(bifurcate::Command),
    /// Reproduce a figure of the paper.
    Reproduce(reproduce::Args),
    /// UMAP embeddings: fit, transform, save and load models.
    #[command(subcommand)]
    Embed(embed::Command),
    /// Figures and movies from run folders and result files.
    #[command(subcommand)]
    Plot(plot::Command),
    /// Parameter sweeps over (n, T, seed, ...) grids.
    #[command(subcommand)]
    Sweep(sweep::Command),
    /// A run (or a sweep) in the browser: one self-contained page, or a local server.
    View(view::Args),
}

/// Parse the command line, run, and map errors to a message and a non-zero exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Train(a) => train::train(a),
        Command::Demo(a) => train::demo(a),
        Command::Bench(a) => train::bench(a),
        Command::Analyze(a) => analyze::run(a),
        Command::Reduced(c) => reduced::run(c),
        Command::Bifurcate(c) => bifurcate::run(c),
        Command::Reproduce(a) => reproduce::run(a),
        Command::Sweep(c) => sweep::run(c),
        Command::Embed(c) => embed::run(c),
        Command::Plot(c) => plot::run(c),
        Command::View(a) => view::run(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::CommandFactory;
    use std::collections::HashSet;

    /// Every flag of every (sub)command is defined once. clap's own `debug_assert` checks this
    /// only in debug builds, and the suite runs with `--release`, so walk the tree by hand.
    fn assert_unique_flags(cmd: &clap::Command, path: &str) {
        let mut seen = HashSet::new();
        for arg in cmd.get_arguments() {
            if let Some(long) = arg.get_long() {
                assert!(
                    seen.insert(format!("--{long}")),
                    "{path}: --{long} is defined twice"
                );
            }
            if let Some(short) = arg.get_short() {
                assert!(
                    seen.insert(format!("-{short}")),
                    "{path}: -{short} is defined twice"
                );
            }
        }
        for sub in cmd.get_subcommands() {
            assert_unique_flags(sub, &format!("{path} {}", sub.get_name()));
        }
    }

    #[test]
    fn every_flag_is_defined_once() {
        let cmd = Cli::command();
        assert_unique_flags(&cmd, "waddington");
        cmd.debug_assert();
    }
}
