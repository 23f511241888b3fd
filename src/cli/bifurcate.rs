//! `waddington bifurcate ...`: potentials, critical points, bifurcation diagrams, network
//! simulations and the Figure-1 demo (spec `bifurcating-hopfield.md` §10.2). Parses and calls
//! the library only.

use anyhow::Context;
use waddington::bifurcating::critical::{self, SearchOptions};
use waddington::bifurcating::potentials::{self, Potential, PolyPotential};

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
    #[arg(long, default_value = "heteroclinic-flip")]
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
    let (k, v) = s.split_once('=').ok_or_else(|| format!("expected name=value, got '{s}'"))?;
    let v: f64 = v.trim().parse().map_err(|_| format!("'{v}' is not a number in '{s}'"))?;
    Ok((k.trim().to_string(), v))
}

impl PotentialArgs {
    fn build(&self) -> anyhow::Result<(PolyPotential, Vec<f64>)> {
        let pot = if self.potential == "polynomial" {
            let e = self.expr.as_deref().context("--potential polynomial needs --expr")?;
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
        pot: PotentialArgs,
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
        /// Half-width of the search box (default: from the coefficients).
        #[arg(long)]
        radius: Option<f64>,
    },
}

/// Run a subcommand.
pub fn run(c: Command) -> anyhow::Result<()> {
    match c {
        Command::CriticalPoints { pot, format, radius } => critical_points(pot, format, radius),
    }
}

fn critical_points(pa: PotentialArgs, format: Format, radius: Option<f64>) -> anyhow::Result<()> {
    let (pot, p) = pa.build()?;
    let opts = SearchOptions { radius, ..SearchOptions::default() };
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
            let params: serde_json::Map<String, serde_json::Value> =
                pot.param_names().iter().zip(&p).map(|(n, v)| (n.clone(), (*v).into())).collect();
            let out = serde_json::json!({
                "potential": pot.name(), "parameters": params, "critical_points": list,
            });
            println!("{}", serde_json::to_string_pretty(&out)?);
        }
        Format::Text => {
            let pstr: Vec<String> = pot.param_names().iter().zip(&p).map(|(n, v)| format!("{n}={v}")).collect();
            println!("# {} at {}", pot.name(), pstr.join(" "));
            println!("{:<11} {} {:>20}", "kind", names.iter().map(|n| format!("{n:>20}")).collect::<String>(), "V");
            for cp in &cps {
                let zs: String = cp.z.iter().map(|v| format!("{v:>20.12}")).collect();
                println!("{:<11} {} {:>20.12}", cp.kind.as_str(), zs, cp.value);
            }
        }
    }
    Ok(())
}
