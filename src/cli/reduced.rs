//! `waddington reduced ...`: the reduced two-memory theory (spec §5). Parses, calls
//! `waddington::reduced`, writes the documented outputs (docs/reduced.md).

use anyhow::Context;
use std::path::PathBuf;
use waddington::reduced::branches::{self, DiagramOptions, Parameter};
use waddington::reduced::{
    Control, LossPower, PairDots, TwoMemory, figures, fixed_points, nullclines, output, regions, splitting,
    transition,
};
use waddington::reduced::{bench, fold_curves};

/// The pair and the system (shared by all subcommands).
#[derive(Debug, clap::Args)]
pub struct SystemArgs {
    /// Sample file (.npy, P×784 or 1×P×784); with --pair.
    #[arg(long)]
    samples: Option<PathBuf>,
    /// The two sample indices I,J (0-based) of the pair (A = I, B = J).
    #[arg(long, value_delimiter = ',')]
    pair: Option<Vec<usize>>,
    /// Dot products d_AA,d_AB,d_BB given as numbers instead of --samples/--pair.
    #[arg(long, value_delimiter = ',', allow_negative_numbers = true)]
    dots: Option<Vec<f64>>,
    /// Number K of identical memories (T_eff = T/K^(1/n)).
    #[arg(long, default_value_t = 1.0)]
    memories: f64,
    /// Loss power m (default: m = n).
    #[arg(long)]
    loss_power: Option<f64>,
}

impl SystemArgs {
    fn system(&self) -> anyhow::Result<TwoMemory> {
        if let Some(p) = &self.pair {
            anyhow::ensure!(p.len() == 2, "--pair: need two indices I,J, got {p:?}");
        }
        if let Some(d) = &self.dots {
            anyhow::ensure!(
                d.len() == 3,
                "--dots: need three numbers D_AA,D_AB,D_BB, got {d:?}"
            );
        }
        let dots = match (&self.samples, &self.pair, &self.dots) {
            (Some(f), Some(p), None) => PairDots::from_file(f, p[0], p[1])?,
            (None, None, Some(d)) => PairDots::new(d[0], d[1], d[2])?,
            _ => anyhow::bail!("give either --samples FILE --pair I,J or --dots D_AA,D_AB,D_BB"),
        };
        let loss = self.loss_power.map_or(LossPower::TiedToN, LossPower::Fixed);
        let sys = TwoMemory::new(dots).with_memories(self.memories).with_loss(loss);
        sys.validate()?;
        Ok(sys)
    }
}

fn check_n(n: f64, what: &str) -> anyhow::Result<()> {
    anyhow::ensure!(n.is_finite() && n > 1.0, "{what}: need n > 1, got {n}");
    Ok(())
}
fn check_t(t: f64, what: &str) -> anyhow::Result<()> {
    anyhow::ensure!(t.is_finite() && t > 0.0, "{what}: need T > 0, got {t}");
    Ok(())
}

/// Subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Bifurcation diagram in n at fixed T (or in T at fixed n with --in-temperature):
    /// DIR/diagram.json, DIR/diagram.npz.
    Diagram {
        #[command(flatten)]
        system: SystemArgs,
        /// Temperature T (real; T_eff = T/K^(1/n)).
        #[arg(long)]
        temperature: f64,
        /// Smallest n.
        #[arg(long, default_value_t = 1.2)]
        n_min: f64,
        /// Largest n.
        #[arg(long, default_value_t = 72.0)]
        n_max: f64,
        /// Continue in T over [--t-min, --t-max] at n = --n-min instead.
        #[arg(long)]
        in_temperature: bool,
        /// Smallest T (with --in-temperature).
        #[arg(long)]
        t_min: Option<f64>,
        /// Largest T (with --in-temperature).
        #[arg(long)]
        t_max: Option<f64>,
        /// Spacing of the parameter values where new branches are searched.
        #[arg(long)]
        seed_spacing: Option<f64>,
        /// Also draw the figure to this file (.png or .svg), after the data are written.
        #[arg(long)]
        plot: Option<PathBuf>,
        /// Output folder.
        #[arg(long)]
        out: PathBuf,
        /// Overwrite existing outputs.
        #[arg(long)]
        force: bool,
    },
    /// All fixed points at one (n, T) with stability: DIR/fixed_points.json, .npz.
    FixedPoints {
        #[command(flatten)]
        system: SystemArgs,
        /// Interaction power n.
        #[arg(long)]
        n: f64,
        /// Temperature T.
        #[arg(long)]
        temperature: f64,
        /// Output folder.
        #[arg(long)]
        out: PathBuf,
        /// Overwrite existing outputs.
        #[arg(long)]
        force: bool,
    },
    /// Memory and label nullclines (traced curves) and the vector field on the upper boundary
    /// β = 1 − |α|: DIR/nullclines.json, .npz.
    Nullclines {
        #[command(flatten)]
        system: SystemArgs,
        /// Interaction power n.
        #[arg(long)]
        n: f64,
        /// Temperature T.
        #[arg(long)]
        temperature: f64,
        /// Perimeter window: smallest s (0 = pure A, 1 = pure B, 2 = −A, 3 = −B).
        #[arg(long, default_value_t = 0.0)]
        s_min: f64,
        /// Perimeter window: largest s.
        #[arg(long, default_value_t = 1.0)]
        s_max: f64,
        /// Vector-field grid size (α and ℓ).
        #[arg(long, default_value_t = 100)]
        grid: usize,
        /// Also draw the figure to this file (.png or .svg), after the data are written.
        #[arg(long)]
        plot: Option<PathBuf>,
        /// Output folder.
        #[arg(long)]
        out: PathBuf,
        /// Overwrite existing outputs.
        #[arg(long)]
        force: bool,
    },
    /// Fold (saddle-node) curves in the (n, T) plane: DIR/fold_curves.json, .npz.
    FoldCurves {
        #[command(flatten)]
        system: SystemArgs,
        /// Smallest n.
        #[arg(long, default_value_t = 1.2)]
        n_min: f64,
        /// Largest n.
        #[arg(long, default_value_t = 72.0)]
        n_max: f64,
        /// Smallest T.
        #[arg(long)]
        t_min: f64,
        /// Largest T.
        #[arg(long)]
        t_max: f64,
        /// Temperatures at which folds are searched to seed the curves (count).
        #[arg(long, default_value_t = 5)]
        seeds: usize,
        /// Also draw the figure to this file (.png or .svg), after the data are written.
        #[arg(long)]
        plot: Option<PathBuf>,
        /// Output folder.
        #[arg(long)]
        out: PathBuf,
        /// Overwrite existing outputs.
        #[arg(long)]
        force: bool,
    },
    /// Region map: number of fixed points and of stable ones on an (n, T) grid, from full
    /// fixed-point searches (a check of the fold curves): DIR/regions.json, DIR/regions.npz.
    Regions {
        #[command(flatten)]
        system: SystemArgs,
        /// Smallest n.
        #[arg(long)]
        n_min: f64,
        /// Largest n.
        #[arg(long)]
        n_max: f64,
        /// Number of n values (ends included).
        #[arg(long, default_value_t = 50)]
        n_steps: usize,
        /// Smallest T.
        #[arg(long)]
        t_min: f64,
        /// Largest T.
        #[arg(long)]
        t_max: f64,
        /// Number of T values (ends included).
        #[arg(long, default_value_t = 20)]
        t_steps: usize,
        /// Output folder.
        #[arg(long)]
        out: PathBuf,
        /// Overwrite existing outputs.
        #[arg(long)]
        force: bool,
    },
    /// Feature-to-prototype transition line T*(n) (spec §5.8) and, with --simulate, the final
    /// states of the reduced intra-digit (K = 1) and inter-digit (K = 2) systems over an (n, T)
    /// grid (paper Fig. 6): DIR/transition.json, .npz.
    Transition {
        #[command(flatten)]
        system: SystemArgs,
        /// n values: start,stop,step.
        #[arg(long, value_delimiter = ',', allow_negative_numbers = true, default_values_t = [2.0, 30.0, 1.0])]
        n: Vec<f64>,
        /// T values: start,stop,step.
        #[arg(long, value_delimiter = ',', allow_negative_numbers = true, default_values_t = [400.0, 880.0, 20.0])]
        t: Vec<f64>,
        /// Also simulate the intra- and inter-digit systems on the grid.
        #[arg(long)]
        simulate: bool,
        /// Learning rate of the simulations.
        #[arg(long, default_value_t = 0.001)]
        eta: f64,
        /// Epochs of the simulations.
        #[arg(long, default_value_t = 10_002)]
        epochs: usize,
        /// Also draw the figure to this file (.png or .svg), after the data are written.
        #[arg(long)]
        plot: Option<PathBuf>,
        /// Output folder.
        #[arg(long)]
        out: PathBuf,
        /// Overwrite existing outputs.
        #[arg(long)]
        force: bool,
    },
    /// Small-deviation split analysis after the saddle (spec §5.7): DIR/splitting.json, .npz.
    Splitting {
        #[command(flatten)]
        system: SystemArgs,
        /// Interaction power n.
        #[arg(long, default_value_t = 12.0)]
        n: f64,
        /// Real temperature T (two memories: T_eff = T/2^(1/n)).
        #[arg(long, default_value_t = 800.0)]
        temperature: f64,
        /// Half-width of the (δℓ, δα) window.
        #[arg(long, default_value_t = 0.1)]
        window: f64,
        /// Grid size of the (δℓ, δα) field.
        #[arg(long, default_value_t = 200)]
        grid: usize,
        /// Reproduce the reference's (1 − S_B) typo in the δα term of ∇_B.
        #[arg(long)]
        reference_typo: bool,
        /// Output folder.
        #[arg(long)]
        out: PathBuf,
        /// Overwrite existing outputs.
        #[arg(long)]
        force: bool,
    },
    /// Time the diagram over n ∈ [1.2, 72] against the reference's grid method.
    Bench {
        #[command(flatten)]
        system: SystemArgs,
        /// Temperature T.
        #[arg(long, default_value_t = 700.0)]
        temperature: f64,
        /// Repetitions of the diagram.
        #[arg(long, default_value_t = 5)]
        repeats: usize,
    },
}

/// Check a `--plot` path before computing anything (extension, existing file, folder).
fn check_plot(plot: Option<&std::path::Path>, force: bool) -> anyhow::Result<()> {
    if let Some(p) = plot {
        waddington::plot::check_path(p, force).with_context(|| format!("--plot {}", p.display()))?;
    }
    Ok(())
}

/// Draw a figure to `path` and report it; errors name the file.
fn save_plot(
    path: &std::path::Path,
    save: impl FnOnce(&std::path::Path) -> waddington::error::Result<()>,
) -> anyhow::Result<()> {
    save(path).with_context(|| format!("writing figure {}", path.display()))?;
    println!("wrote {}", path.display());
    Ok(())
}

fn done(files: Vec<PathBuf>) {
    for f in files {
        println!("wrote {}", f.display());
    }
}

/// Run a subcommand.
pub fn run(c: Command) -> anyhow::Result<()> {
    match c {
        Command::Diagram {
            system,
            temperature,
            n_min,
            n_max,
            in_temperature,
            t_min,
            t_max,
            seed_spacing,
            out,
            force,
            plot,
        } => {
            let sys = system.system()?;
            check_t(temperature, "--temperature")?;
            check_n(n_min, "--n-min")?;
            check_n(n_max, "--n-max")?;
            let (param, fixed, range) = if in_temperature {
                let (a, b) = (t_min.context("--t-min")?, t_max.context("--t-max")?);
                check_t(a, "--t-min")?;
                anyhow::ensure!(b > a, "--t-max must exceed --t-min");
                (
                    Parameter::Temperature,
                    Control {
                        n: n_min,
                        temperature: a,
                    },
                    [a, b],
                )
            } else {
                anyhow::ensure!(n_max > n_min, "--n-max must exceed --n-min");
                (
                    Parameter::N,
                    Control {
                        n: n_min,
                        temperature,
                    },
                    [n_min, n_max],
                )
            };
            let mut opts = DiagramOptions::default();
            if in_temperature {
                opts.seed_spacing = (range[1] - range[0]) / 10.0;
            }
            if let Some(s) = seed_spacing {
                anyhow::ensure!(s > 0.0, "--seed-spacing must be positive");
                opts.seed_spacing = s;
            }
            check_plot(plot.as_deref(), force)?;
            output::prepare(&out, &["diagram.json", "diagram.npz"], force)?;
            let t0 = std::time::Instant::now();
            let d = branches::diagram(&sys, param, fixed, range, &opts);
            let secs = t0.elapsed().as_secs_f64();
            for f in &d.folds {
                println!(
                    "fold: n = {:.4}, T = {:.3}, alpha = {:.4}, ell = {:.4}",
                    f.n, f.temperature, f.alpha, f.ell
                );
            }
            println!(
                "{} branches, {} folds in {:.3} s",
                d.branches.len(),
                d.folds.len(),
                secs
            );
            done(output::write_diagram(&out, &d, secs)?);
            if let Some(p) = plot {
                save_plot(&p, |p| waddington::plot::save(&figures::diagram_figure(&d), p))?;
            }
        }
        Command::FixedPoints {
            system,
            n,
            temperature,
            out,
            force,
        } => {
            let sys = system.system()?;
            check_n(n, "--n")?;
            check_t(temperature, "--temperature")?;
            output::prepare(&out, &["fixed_points.json", "fixed_points.npz"], force)?;
            let fps = fixed_points::fixed_points(&sys, Control { n, temperature }, Default::default());
            for f in &fps {
                println!(
                    "alpha = {:.5}, beta = {:.5}, ell = {:.5}: {:?} ({:?})",
                    f.alpha, f.beta, f.ell, f.stability, f.label
                );
            }
            done(output::write_fixed_points(&out, &fps)?);
        }
        Command::Nullclines {
            system,
            n,
            temperature,
            s_min,
            s_max,
            grid,
            out,
            force,
            plot,
        } => {
            let sys = system.system()?;
            check_n(n, "--n")?;
            check_t(temperature, "--temperature")?;
            anyhow::ensure!(
                s_max > s_min && s_max - s_min <= 4.0,
                "--s-min/--s-max: need 0 < s_max − s_min ≤ 4"
            );
            anyhow::ensure!(grid >= 2, "--grid must be at least 2");
            check_plot(plot.as_deref(), force)?;
            output::prepare(&out, &["nullclines.json", "nullclines.npz"], force)?;
            let c = Control { n, temperature };
            let o = nullclines::NullclineOptions {
                s_min,
                s_max,
                ..Default::default()
            };
            let mem = nullclines::nullcline(&sys, c, nullclines::Kind::Memory, &o);
            let lab = nullclines::nullcline(&sys, c, nullclines::Kind::Label, &o);
            let alphas: Vec<f64> = (0..grid)
                .map(|i| -1.0 + 2.0 * i as f64 / (grid - 1) as f64)
                .collect();
            let ells = alphas.clone();
            let field = nullclines::vector_field(&sys, c, &alphas, &ells);
            let meta = serde_json::json!({"system": sys, "n": n, "temperature": temperature});
            println!("{} memory and {} label nullcline pieces", mem.len(), lab.len());
            done(output::write_nullclines(
                &out, &mem, &lab, &alphas, &ells, &field, meta,
            )?);
            if let Some(p) = plot {
                let fps = fixed_points::fixed_points(&sys, c, Default::default());
                let fig = figures::nullcline_figure(&sys, c, &mem, &lab, &fps, (s_min, s_max));
                save_plot(&p, |p| waddington::plot::save(&fig, p))?;
            }
        }
        Command::FoldCurves {
            system,
            n_min,
            n_max,
            t_min,
            t_max,
            seeds,
            out,
            force,
            plot,
        } => {
            let sys = system.system()?;
            check_n(n_min, "--n-min")?;
            check_t(t_min, "--t-min")?;
            anyhow::ensure!(
                n_max > n_min && t_max > t_min,
                "need n_max > n_min and t_max > t_min"
            );
            anyhow::ensure!(seeds >= 1, "--seeds must be at least 1");
            check_plot(plot.as_deref(), force)?;
            output::prepare(&out, &["fold_curves.json", "fold_curves.npz"], force)?;
            let curves = fold_curves::fold_curves(&sys, [n_min, n_max], [t_min, t_max], seeds);
            println!(
                "{} fold curves, {} cusps",
                curves.curves.len(),
                curves.cusps.len()
            );
            for c in &curves.cusps {
                println!(
                    "cusp: n = {:.4}, T = {:.3}, alpha = {:.4}, ell = {:.4}",
                    c.n, c.temperature, c.alpha, c.ell
                );
            }
            done(output::write_fold_curves(&out, &sys, &curves)?);
            if let Some(p) = plot {
                save_plot(&p, |p| {
                    waddington::plot::save(&figures::fold_curves_figure(&curves), p)
                })?;
            }
        }
        Command::Regions {
            system,
            n_min,
            n_max,
            n_steps,
            t_min,
            t_max,
            t_steps,
            out,
            force,
        } => {
            let sys = system.system()?;
            check_n(n_min, "--n-min")?;
            check_n(n_max, "--n-max")?;
            check_t(t_min, "--t-min")?;
            check_t(t_max, "--t-max")?;
            anyhow::ensure!(n_max >= n_min, "--n-max must not be below --n-min");
            anyhow::ensure!(t_max >= t_min, "--t-max must not be below --t-min");
            anyhow::ensure!(
                n_steps >= 1 && t_steps >= 1,
                "--n-steps and --t-steps must be at least 1"
            );
            output::prepare(&out, &["regions.json", "regions.npz"], force)?;
            let ns = regions::linspace(n_min, n_max, n_steps);
            let ts = regions::linspace(t_min, t_max, t_steps);
            let t0 = std::time::Instant::now();
            let r = regions::regions(&sys, &ns, &ts, Default::default());
            println!(
                "{}×{} cells in {:.2} s",
                ns.len(),
                ts.len(),
                t0.elapsed().as_secs_f64()
            );
            done(regions::write_regions(&out, &sys, &r)?);
        }
        Command::Transition {
            system,
            n,
            t,
            simulate,
            eta,
            epochs,
            out,
            force,
            plot,
        } => {
            let sys = system.system()?;
            anyhow::ensure!(n.len() == 3 && t.len() == 3, "--n and --t take start,stop,step");
            let ns = transition::range(n[0], n[1], n[2]).context("--n start,stop,step")?;
            let ts = transition::range(t[0], t[1], t[2]).context("--t start,stop,step")?;
            anyhow::ensure!(ns.iter().all(|&v| v > 1.0), "--n: need n > 1");
            anyhow::ensure!(ts.iter().all(|&v| v > 0.0), "--t: need T > 0");
            anyhow::ensure!(eta > 0.0 && eta.is_finite(), "--eta must be positive");
            check_plot(plot.as_deref(), force)?;
            output::prepare(&out, &["transition.json", "transition.npz"], force)?;
            let r = transition::compute(&sys, &ns, &ts, simulate.then_some((eta, epochs)));
            done(transition::write(&out, &r)?);
            if let Some(p) = plot {
                save_plot(&p, |p| figures::transition_figure(&r).save(p))?;
            }
        }
        Command::Splitting {
            system,
            n,
            temperature,
            window,
            grid,
            reference_typo,
            out,
            force,
        } => {
            let sys = system.system()?;
            check_n(n, "--n")?;
            check_t(temperature, "--temperature")?;
            anyhow::ensure!(window > 0.0 && grid >= 2, "--window > 0 and --grid ≥ 2");
            output::prepare(&out, &["splitting.json", "splitting.npz"], force)?;
            let r = splitting::analyse(&sys, Control { n, temperature }, window, grid, reference_typo)?;
            done(splitting::write(&out, &r)?);
        }
        Command::Bench {
            system,
            temperature,
            repeats,
        } => {
            let sys = system.system()?;
            let r = bench::bench(&sys, temperature, repeats.max(1));
            println!("{}", serde_json::to_string_pretty(&r)?);
        }
    }
    Ok(())
}
