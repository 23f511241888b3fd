//! `waddington bifurcate ...`: potentials, critical points, bifurcation diagrams, network
//! simulations and the Figure-1 demo (spec `bifurcating-hopfield.md` §10.2). Parses and calls
//! the library only.

use anyhow::Context;
use std::path::PathBuf;
use waddington::bifurcating::bifurcation::{self, CONTINUATION};
use waddington::bifurcating::critical::{self, SearchOptions};
use waddington::bifurcating::figures;
use waddington::bifurcating::patterns::Normalisation;
use waddington::bifurcating::potentials::{self, PolyPotential, Potential};
use waddington::bifurcating::scenario::{self, Scenario};
use waddington::plot::check_path;

/// Output format of tables.
#[derive(Debug, Clone, Copy, clap::ValueEnum, PartialEq)]
pub enum Format {
    /// Human-readable table.
    Text,
    /// JSON on stdout.
    Json,
}

/// Which potential, with its parameters (shared by several subcommands).
#[derive(Debug, clap::Args)]
pub struct PotentialArgs {
    /// Built-in potential (heteroclinic-flip, heteroclinic-flip-mirrored, binary-choice,
    /// binary-flip, cusp, cusp-m, triple-cusp) or `polynomial` with --expr.
    #[arg(long, default_value = "heteroclinic-flip", value_parser = [
        "heteroclinic-flip", "heteroclinic-flip-mirrored", "binary-choice", "dual-cusp", "binary-flip",
        "cusp", "cusp-m", "triple-cusp", "polynomial",
    ])]
    potential: String,
    /// Polynomial expression for --potential polynomial, e.g. "x^4 + y^4 - a*x + b*y".
    #[arg(long)]
    expr: Option<String>,
    /// Variables of --expr, comma separated.
    #[arg(long, default_value = "x,y", value_delimiter = ',')]
    vars: Vec<String>,
    /// Parameter a (heteroclinic flip, binary choice, cusp).
    #[arg(long, allow_hyphen_values = true)]
    a: Option<f64>,
    /// Parameter b (heteroclinic flip, binary choice, cusp).
    #[arg(long, allow_hyphen_values = true)]
    b: Option<f64>,
    /// Parameter c (heteroclinic flip: −1 paper, +1 binary choice).
    #[arg(long, allow_hyphen_values = true)]
    c: Option<f64>,
    /// Any parameter as name=value (repeatable), e.g. --param p1=0.5 --param kappa=2.
    #[arg(long = "param", value_parser = parse_kv, allow_hyphen_values = true)]
    params: Vec<(String, f64)>,
}

fn parse_kv(s: &str) -> Result<(String, f64), String> {
    let (k, v) = s
        .split_once('=')
        .ok_or_else(|| format!("expected name=value, got '{s}'"))?;
    let v: f64 = v
        .trim()
        .parse()
        .map_err(|_| format!("'{v}' is not a number in '{s}'"))?;
    Ok((k.trim().to_string(), v))
}

impl PotentialArgs {
    fn build(&self) -> anyhow::Result<(PolyPotential, Vec<f64>)> {
        let pot = if self.potential == "polynomial" {
            let e = self
                .expr
                .as_deref()
                .context("--potential polynomial needs --expr")?;
            let defaults = self.overrides().into_iter().collect();
            PolyPotential::user(e, &self.vars, &defaults)?
        } else {
            potentials::builtin(&self.potential)?
        };
        let p = potentials::resolve_params(&pot, &self.overrides())?;
        Ok((pot, p))
    }
    fn overrides(&self) -> Vec<(String, f64)> {
        let mut o = Vec::new();
        for (n, v) in [("a", self.a), ("b", self.b), ("c", self.c)] {
            if let Some(v) = v {
                o.push((n.to_string(), v));
            }
        }
        o.extend(self.params.iter().cloned());
        o
    }
}

/// Subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// All critical points of a potential at given parameters, classified.
    CriticalPoints {
        #[command(flatten)]
        pot: Box<PotentialArgs>,
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
        /// Half-width of the search box (default: from the coefficients).
        #[arg(long)]
        radius: Option<f64>,
        /// Also draw the landscape (2-D potentials) with its critical points to this file
        /// (.png or .svg; overwritten if present).
        #[arg(long)]
        plot: Option<PathBuf>,
    },
    /// Saddle → attractor connections (ends of the saddles' unstable manifolds), as JSON.
    Connections {
        #[command(flatten)]
        pot: Box<PotentialArgs>,
    },
    /// Bifurcation diagram: one-parameter continuation of critical points with folds, and
    /// optionally the two-parameter fold curves through those folds (JSON).
    Diagram {
        #[command(flatten)]
        pot: Box<PotentialArgs>,
        /// Continued parameter.
        #[arg(long, default_value = "b")]
        vary: String,
        /// Start of its range.
        #[arg(long, allow_hyphen_values = true)]
        from: f64,
        /// End of its range.
        #[arg(long, allow_hyphen_values = true)]
        to: f64,
        /// Second parameter: continue every fold found as a two-parameter fold curve.
        #[arg(long)]
        second: Option<String>,
        /// Range of the second parameter as lo,hi.
        #[arg(long, value_delimiter = ',', allow_hyphen_values = true)]
        second_range: Vec<f64>,
        /// Write diagram.json here instead of stdout.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Replace a finished diagram in --out.
        #[arg(long)]
        force: bool,
    },
    /// Network equilibria (finite β) and pure-pattern margins (β → ∞) at fixed parameters, for
    /// the scenario's network (default: the Figure-1 network).
    Equilibria {
        /// Scenario TOML (its potential, anchors, patterns and network are used).
        scenario: Option<PathBuf>,
        /// Parameters as name=value (override the scenario's potential parameters).
        #[arg(long = "param", value_parser = parse_kv, allow_hyphen_values = true)]
        params: Vec<(String, f64)>,
        /// β (overrides the scenario).
        #[arg(long)]
        beta: Option<f64>,
    },
    /// Build patterns of a scenario (or class means of a data set) and print C and g as JSON.
    Patterns {
        /// Scenario TOML with a [patterns] section; default: --data (krumsiek11 progenitor/Mo/Neu).
        #[arg(conflicts_with_all = ["data", "classes", "rda", "normalise"])]
        scenario: Option<PathBuf>,
        /// Data set: krumsiek11 (vendored), guo or guo-norm (Guo 2010, needs Debian's
        /// r-bioc-destiny or --rda).
        #[arg(long, default_value = "krumsiek11", value_parser = ["krumsiek11", "guo", "guo-norm"])]
        data: String,
        /// Classes in pattern order, comma separated (krumsiek11: progenitor, Mo, Neu, Ery, Mk;
        /// guo: ICM, PrE, EPI, TE or stages 2C … 64C). Default: progenitor,Mo,Neu / ICM,PrE,EPI.
        #[arg(long, value_delimiter = ',')]
        classes: Option<Vec<String>>,
        /// The guo.rda / guo_norm.rda file (default: destiny's installed copy, or the folder in
        /// $WADDINGTON_DESTINY_DATA).
        #[arg(long)]
        rda: Option<PathBuf>,
        /// Per-pattern normalisation (default: z-score).
        #[arg(long, value_enum)]
        normalise: Option<Normalisation>,
    },
    /// Simulate a scenario (network reduced/full or landscape; schedule; noise) and write
    /// t.npy, m.npy, z.npy, theta.npy, x.npy, events.json, summary.json.
    Simulate {
        /// Scenario TOML.
        scenario: PathBuf,
        /// Output folder (must not already hold results).
        #[arg(long)]
        out: PathBuf,
        /// Also draw m(t) (or z(t)) with the located events to this new file (.png or .svg).
        #[arg(long)]
        plot: Option<PathBuf>,
        /// Replace finished results in --out (and the --plot file).
        #[arg(long)]
        force: bool,
    },
    /// The Figure-1 scenario of spec §7: which pattern the network ends in and when each
    /// bifurcation was crossed.
    Demo {
        /// Inverse temperature.
        #[arg(long, default_value_t = 1000.0)]
        beta: f64,
        /// Also write the run's arrays here.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
        /// Replace finished results in --out.
        #[arg(long)]
        force: bool,
    },
}

/// Run a subcommand.
pub fn run(c: Command) -> anyhow::Result<()> {
    match c {
        Command::CriticalPoints {
            pot,
            format,
            radius,
            plot,
        } => critical_points(&pot, format, radius, plot),
        Command::Connections { pot } => connections(&pot),
        Command::Diagram {
            pot,
            vary,
            from,
            to,
            second,
            second_range,
            out,
            force,
        } => diagram(&pot, &vary, from, to, second, second_range, out, force),
        Command::Equilibria {
            scenario,
            params,
            beta,
        } => equilibria(scenario, params, beta),
        Command::Patterns {
            scenario,
            data,
            classes,
            rda,
            normalise,
        } => patterns(scenario, data, classes, rda, normalise),
        Command::Simulate {
            scenario,
            out,
            plot,
            force,
        } => simulate(&scenario, &out, plot, force),
        Command::Demo {
            beta,
            out,
            json,
            force,
        } => demo(beta, out, json, force),
    }
}

fn critical_points(
    pa: &PotentialArgs,
    format: Format,
    radius: Option<f64>,
    plot: Option<PathBuf>,
) -> anyhow::Result<()> {
    let (pot, p) = pa.build()?;
    if let Some(f) = &plot {
        check_path(f, true).with_context(|| format!("--plot {}", f.display()))?;
        anyhow::ensure!(
            pot.dim() == 2,
            "--plot {}: the landscape figure needs a two-dimensional potential ({} has {})",
            f.display(),
            pot.name(),
            pot.dim()
        );
    }
    let opts = SearchOptions {
        radius,
        ..SearchOptions::default()
    };
    let cps = critical::critical_points(&pot, &p, &opts)?;
    let names = pot.var_names();
    match format {
        Format::Json => {
            let list: Vec<serde_json::Value> = cps
                .iter()
                .map(|cp| {
                    let mut o = serde_json::Map::new();
                    for (n, v) in names.iter().zip(&cp.z) {
                        o.insert(n.clone(), (*v).into());
                    }
                    o.insert("kind".into(), cp.kind.as_str().into());
                    o.insert("value".into(), cp.value.into());
                    o.insert("index".into(), cp.index.into());
                    o.insert("eigenvalues".into(), cp.eigenvalues.clone().into());
                    serde_json::Value::Object(o)
                })
                .collect();
            let params: serde_json::Map<String, serde_json::Value> = pot
                .param_names()
                .iter()
                .zip(&p)
                .map(|(n, v)| (n.clone(), (*v).into()))
                .collect();
            let out = serde_json::json!({
                "potential": pot.name(), "parameters": params, "critical_points": list,
            });
            println!("{}", serde_json::to_string_pretty(&out)?);
        }
        Format::Text => {
            let pstr: Vec<String> = pot
                .param_names()
                .iter()
                .zip(&p)
                .map(|(n, v)| format!("{n}={v}"))
                .collect();
            println!("# {} at {}", pot.name(), pstr.join(" "));
            println!(
                "{:<11} {} {:>20}",
                "kind",
                names.iter().map(|n| format!("{n:>20}")).collect::<String>(),
                "V"
            );
            for cp in &cps {
                let zs: String = cp.z.iter().map(|v| format!("{v:>20.12}")).collect();
                println!("{:<11} {} {:>20.12}", cp.kind.as_str(), zs, cp.value);
            }
        }
    }
    if let Some(f) = plot {
        let fig = figures::landscape_figure(&pot, &p, &cps, radius, 161)?;
        waddington::plot::save(&fig, &f).with_context(|| format!("writing figure {}", f.display()))?;
        eprintln!("wrote {}", f.display());
    }
    Ok(())
}

fn connections(pa: &PotentialArgs) -> anyhow::Result<()> {
    let (pot, p) = pa.build()?;
    let cps = critical::critical_points(&pot, &p, &SearchOptions::default())?;
    let con = bifurcation::connections(&pot, &p, &cps, 400.0)?;
    let out = serde_json::json!({ "critical_points": cps, "connections": con });
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}

fn param_index(pot: &dyn Potential, name: &str) -> anyhow::Result<usize> {
    pot.param_names().iter().position(|n| n == name).with_context(|| {
        format!(
            "--param {name}: not a parameter of {} ({:?})",
            pot.name(),
            pot.param_names()
        )
    })
}

#[allow(clippy::too_many_arguments)]
fn diagram(
    pa: &PotentialArgs,
    param: &str,
    from: f64,
    to: f64,
    second: Option<String>,
    second_range: Vec<f64>,
    out: Option<PathBuf>,
    force: bool,
) -> anyhow::Result<()> {
    let (pot, p) = pa.build()?;
    let idx = param_index(&pot, param)?;
    let (lo, hi) = (from.min(to), from.max(to));
    let branches = bifurcation::landscape_diagram(&pot, &p, idx, lo, hi, &CONTINUATION)?;
    let mut curves = Vec::new();
    if let Some(sec) = second {
        let j = param_index(&pot, &sec)?;
        anyhow::ensure!(second_range.len() == 2, "--second-range needs lo,hi");
        let folds: Vec<&bifurcation::Fold> = branches.iter().flat_map(|b| b.folds.iter()).collect();
        let mut done: Vec<(f64, Vec<f64>)> = Vec::new();
        for f in folds {
            if done
                .iter()
                .any(|(v, z)| (v - f.value).abs() < 1e-8 && waddington::linalg::small::dist(z, &f.z) < 1e-6)
            {
                continue;
            }
            done.push((f.value, f.z.clone()));
            let range_i = (lo - (hi - lo), hi + (hi - lo));
            let c = bifurcation::fold_curve(
                &pot,
                f,
                j,
                range_i,
                (second_range[0], second_range[1]),
                &CONTINUATION,
            );
            curves.push(serde_json::json!({ "start": f, "curve": c }));
        }
    }
    let doc = serde_json::json!({
        "potential": pot.name(), "parameters": pot.param_names(), "theta": p, "param": param,
        "range": [lo, hi], "branches": branches, "fold_curves": curves,
    });
    let text = serde_json::to_string_pretty(&doc)?;
    match out {
        Some(dir) => {
            waddington::atomic::check_outputs(&dir, &["diagram.json"], force)?;
            let f = dir.join("diagram.json");
            waddington::atomic::write_bytes(&f, text, waddington::atomic::Durability::Atomic)?;
            eprintln!("wrote {}", f.display());
        }
        None => println!("{text}"),
    }
    Ok(())
}

fn load_scenario(path: Option<PathBuf>) -> anyhow::Result<Scenario> {
    Ok(match path {
        Some(p) => Scenario::from_file(&p)?,
        None => Scenario::figure1(1000.0, 6.0),
    })
}

fn equilibria(path: Option<PathBuf>, params: Vec<(String, f64)>, beta: Option<f64>) -> anyhow::Result<()> {
    let mut sc = load_scenario(path)?;
    if let Some(b) = beta {
        sc.network.beta = b;
    }
    let model = sc.model()?;
    let th = potentials::resolve_params(model.potential.as_ref(), &params)?;
    let th = {
        // Parameters not given keep the schedule's value at t = 0.
        let mut t0 = model.schedule.eval(0.0);
        for (k, _) in &params {
            let i = param_index(model.potential.as_ref(), k)?;
            t0[i] = th[i];
        }
        t0
    };
    let eqs = model.network.equilibria(&th, 12);
    let margins: Vec<f64> = (0..model.network.p)
        .map(|mu| model.network.margin(mu, &th))
        .collect();
    let out = serde_json::json!({
        "theta": th, "parameters": model.potential.param_names(), "beta": model.network.beta,
        "equilibria": eqs, "pure_pattern_margins_beta_inf": margins,
    });
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}

fn patterns(
    path: Option<PathBuf>,
    data: String,
    classes: Option<Vec<String>>,
    rda: Option<PathBuf>,
    normalise: Option<Normalisation>,
) -> anyhow::Result<()> {
    let spec = match path {
        Some(p) => Scenario::from_file(&p)?
            .patterns
            .context("the scenario has no [patterns] section")?,
        None => scenario::PatternSpec {
            kind: data,
            n: None,
            seed: 0,
            fraction: None,
            path: rda.map(|p| p.to_string_lossy().into_owned()),
            classes,
            normalise,
        },
    };
    let classes = spec.data_classes();
    let p = classes.as_ref().map_or(3, |c| c.len());
    let pt = spec.build(p)?;
    let rows = |a: &ndarray::Array2<f64>| a.rows().into_iter().map(|r| r.to_vec()).collect::<Vec<_>>();
    let out = serde_json::json!({
        "kind": spec.kind, "classes": classes,
        "n": pt.n(), "p": pt.p(), "C": rows(&pt.c), "g": rows(&pt.g),
        "condition": pt.condition, "ridge": pt.ridge,
    });
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}

fn simulate(
    path: &std::path::Path,
    out: &std::path::Path,
    plot: Option<PathBuf>,
    force: bool,
) -> anyhow::Result<()> {
    if let Some(f) = &plot {
        check_path(f, force).with_context(|| format!("--plot {}", f.display()))?;
    }
    let sc = Scenario::from_file(path)?;
    let model = sc.model()?;
    let n = if sc.run.noise > 0.0 {
        sc.run.realisations.max(1)
    } else {
        1
    };
    let res: Vec<scenario::RunResult> = (0..n)
        .map(|k| scenario::run(&sc, &model, k))
        .collect::<waddington::Result<_>>()?;
    scenario::write_outputs(out, &sc, &res, model.potential.param_names(), force)?;
    for e in &res[0].events {
        println!("t = {:10.4}  {:<10} {} -> {}", e.t, e.name, e.from, e.to);
    }
    let finals: Vec<String> = res.iter().map(|r| format!("{:?}", r.final_pattern)).collect();
    println!("final pattern(s): {}", finals.join(" "));
    println!("wrote {}", out.display());
    if let Some(f) = plot {
        let name = path.file_name().map_or(path, std::path::Path::new);
        let title = format!("{}: final pattern {:?}", name.display(), res[0].final_pattern);
        let fig = figures::traces_figure(&res[0], model.potential.var_names(), &title)?;
        waddington::plot::save(&fig, &f).with_context(|| format!("writing figure {}", f.display()))?;
        println!("wrote {}", f.display());
    }
    Ok(())
}

fn demo(beta: f64, out: Option<PathBuf>, json: bool, force: bool) -> anyhow::Result<()> {
    let sc = Scenario::figure1(beta, 6.0);
    let model = sc.model()?;
    let res = scenario::run(&sc, &model, 0)?;
    let crossings = scenario::schedule_crossings(&model, sc.run.t_end, 0.25)?;
    if let Some(dir) = &out {
        scenario::write_outputs(
            dir,
            &sc,
            std::slice::from_ref(&res),
            model.potential.param_names(),
            force,
        )?;
    }
    let last = res.m.row(res.m.nrows() - 1).to_vec();
    if json {
        let doc = serde_json::json!({
            "final_pattern": res.final_pattern, "final_m": last,
            "events": res.events, "crossings": crossings,
        });
        println!("{}", serde_json::to_string_pretty(&doc)?);
        return Ok(());
    }
    println!(
        "Figure 1 scenario (spec §7): heteroclinic flip, anchors at (a, b) = (0, -1), beta = {beta}, lambda = 1,"
    );
    println!("reduced dynamics from pattern 0; b: -1 -> -2 on [10, 20], a: 0 -> 6 on [30, 40], t_end = 60.");
    println!();
    println!("Bifurcations crossed along the schedule:");
    for c in &crossings {
        println!(
            "  t = {:8.3}  (a, b) = ({:+.4}, {:+.4})  {}",
            c.t, c.theta[0], c.theta[1], c.what
        );
    }
    println!();
    println!("Network events:");
    for e in &res.events {
        println!("  t = {:8.3}  {:<10} {} -> {}", e.t, e.name, e.from, e.to);
    }
    println!();
    println!(
        "Final state: pattern {} with m = ({:.6}, {:.6}, {:.6})",
        res.final_pattern.map_or("?".into(), |p| p.to_string()),
        last[0],
        last[1],
        last[2]
    );
    if let Some(dir) = out {
        println!("wrote {}", dir.display());
    }
    Ok(())
}
