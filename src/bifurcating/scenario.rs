//! Simulation scenarios (TOML), their runs and outputs (spec §7, §10.1–10.2): network (reduced or
//! full N) or landscape (gradient / Langevin) dynamics under a schedule, with events.

use super::data::{Guo, GuoVariant, Krumsiek11};
use super::network::{Convention, Embedding, Network, anchors_from_minima};
use super::ode::{self, DpOptions, Event, EventHit, Noise};
use super::patterns::{self, Normalisation, Patterns};
use super::potentials::{self, PolyPotential, Potential};
use super::schedule::{Schedule, Track};
use crate::error::{Error, Result};
use ndarray::Array2;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

/// `[potential]`: a built-in by `name`, or a polynomial `expr` in `vars`; `params` override defaults.
#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields)]
pub struct PotentialSpec {
    /// Built-in name (default heteroclinic-flip).
    pub name: Option<String>,
    /// Polynomial expression (spec §5.7).
    pub expr: Option<String>,
    /// Variables of `expr` (default ["x", "y"]).
    pub vars: Option<Vec<String>>,
    /// Parameter values (defaults of the potential otherwise).
    #[serde(default)]
    pub params: BTreeMap<String, f64>,
}

impl PotentialSpec {
    /// Build the potential and its base parameter vector.
    pub fn build(&self) -> Result<(PolyPotential, Vec<f64>)> {
        let pot = match (&self.expr, &self.name) {
            (Some(e), _) => {
                let vars = self.vars.clone().unwrap_or_else(|| vec!["x".into(), "y".into()]);
                PolyPotential::user(e, &vars, &self.params)?
            }
            (None, n) => potentials::builtin(n.as_deref().unwrap_or("heteroclinic-flip"))?,
        };
        let ov: Vec<(String, f64)> = self.params.iter().map(|(k, v)| (k.clone(), *v)).collect();
        let p = potentials::resolve_params(&pot, &ov)?;
        Ok((pot, p))
    }
}

/// `[anchors]`: landscape positions of the patterns (spec §3.3, §6.5).
#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields)]
pub struct AnchorSpec {
    /// Explicit anchors (P rows of length d).
    pub points: Option<Vec<Vec<f64>>>,
    /// Reference parameters θ_ref: anchors = minima of V there (§6.5 ordering). Default for
    /// the heteroclinic flip: a = 0, b = −1.
    pub reference: Option<BTreeMap<String, f64>>,
    /// Identity embedding (V defined on m).
    #[serde(default)]
    pub identity: bool,
    /// Swap patterns 1.. (spec §12-E1).
    #[serde(default)]
    pub flip: bool,
}

/// `[network]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkSpec {
    /// β (default 1000).
    #[serde(default = "d_beta")]
    pub beta: f64,
    /// λ (default 1).
    #[serde(default = "d_one")]
    pub lambda: f64,
    /// τ (default 1).
    #[serde(default = "d_one")]
    pub tau: f64,
    /// contravariant (C, default), covariant (A), raised-gradient (B).
    #[serde(default)]
    pub convention: Convention,
}
fn d_beta() -> f64 {
    1000.0
}
fn d_one() -> f64 {
    1.0
}
impl Default for NetworkSpec {
    fn default() -> Self {
        NetworkSpec {
            beta: 1000.0,
            lambda: 1.0,
            tau: 1.0,
            convention: Convention::Contravariant,
        }
    }
}

/// `[patterns]`: how to build Ξ.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PatternSpec {
    /// hadamard | random | correlated | krumsiek11 | guo | guo-norm | npy.
    pub kind: String,
    /// N (hadamard, random, correlated).
    pub n: Option<usize>,
    /// Seed (random, correlated).
    #[serde(default)]
    pub seed: u64,
    /// Fraction copied from pattern 0 (correlated).
    pub fraction: Option<f64>,
    /// .npy file (N×P) for kind = npy; for guo / guo-norm the .rda file (default: destiny's
    /// installed guo.rda / guo_norm.rda, see [`Guo::default_path`]).
    pub path: Option<String>,
    /// Classes in pattern order for krumsiek11 (default ["progenitor", "Mo", "Neu"]) and guo
    /// (lineages ICM, PrE, EPI, TE or stages 2C … 64C; default ["ICM", "PrE", "EPI"], §8.3).
    pub classes: Option<Vec<String>>,
    /// none | z-score | unit-rms (default z-score for krumsiek11 and guo, none otherwise).
    pub normalise: Option<Normalisation>,
}

impl PatternSpec {
    /// The classes of a labelled data kind (krumsiek11, guo, guo-norm), defaults filled in;
    /// None for other kinds.
    pub fn data_classes(&self) -> Option<Vec<String>> {
        let default: &[&str] = match self.kind.as_str() {
            "krumsiek11" => &["progenitor", "Mo", "Neu"],
            "guo" | "guo-norm" => &["ICM", "PrE", "EPI"],
            _ => return None,
        };
        Some(
            self.classes
                .clone()
                .unwrap_or_else(|| default.iter().map(|s| s.to_string()).collect()),
        )
    }
    /// Build the pattern set for P patterns.
    pub fn build(&self, p: usize) -> Result<Patterns> {
        let need_n = || {
            self.n
                .ok_or_else(|| Error::invalid("patterns.n", "required for this kind"))
        };
        let mut xi = match self.kind.as_str() {
            "hadamard" => patterns::hadamard(need_n()?, p)?,
            "random" => patterns::random_binary(need_n()?, p, self.seed),
            "correlated" => patterns::correlated(need_n()?, p, self.fraction.unwrap_or(0.5), self.seed)?,
            "krumsiek11" => {
                let classes = self.data_classes().unwrap_or_default();
                Krumsiek11::embedded()?.class_means(&classes)?
            }
            "guo" | "guo-norm" => {
                let variant = if self.kind == "guo" {
                    GuoVariant::Raw
                } else {
                    GuoVariant::Normalised
                };
                let d = match &self.path {
                    Some(p) => Guo::from_file(Path::new(p), variant)?,
                    None => Guo::installed(variant)?,
                };
                d.class_means(&self.data_classes().unwrap_or_default())?
            }
            "npy" => {
                let path = self
                    .path
                    .as_deref()
                    .ok_or_else(|| Error::invalid("patterns.path", "required"))?;
                crate::npy::read_matrix(Path::new(path), "patterns (N×P)")?
            }
            k => {
                return Err(Error::invalid(
                    "patterns.kind",
                    format!(
                        "unknown '{k}'; use hadamard, random, correlated, krumsiek11, guo, guo-norm or npy"
                    ),
                ));
            }
        };
        if xi.ncols() != p {
            return Err(Error::shape(
                "patterns",
                format!("N×{p}"),
                &[xi.nrows(), xi.ncols()],
            ));
        }
        let norm = self.normalise.unwrap_or(if self.data_classes().is_some() {
            Normalisation::ZScore
        } else {
            Normalisation::None
        });
        patterns::normalise(&mut xi, norm)?;
        Patterns::new(xi, 1e8)
    }
}

/// What is integrated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// The exact P-dimensional reduced network (spec §4.1).
    #[default]
    Reduced,
    /// The full N-dimensional network (needs patterns).
    Full,
    /// The landscape itself: dz = −∇V dt + √(2D) dW.
    Landscape,
}

/// `[run]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RunSpec {
    /// reduced | full | landscape.
    #[serde(default)]
    pub mode: Mode,
    /// End time.
    pub t_end: f64,
    /// Output spacing.
    #[serde(default = "d_dt_out")]
    pub dt_out: f64,
    /// Relative tolerance (Dormand–Prince).
    #[serde(default = "d_rtol")]
    pub rtol: f64,
    /// Absolute tolerance (Dormand–Prince).
    #[serde(default = "d_atol")]
    pub atol: f64,
    /// Initial pattern (network modes): x(0) = ξ^k, m(0) = e_k. Default 0.
    #[serde(default)]
    pub initial_pattern: usize,
    /// Initial m (network modes) instead of a pattern.
    pub initial_m: Option<Vec<f64>>,
    /// Initial z (landscape mode; default the anchor of pattern 0 or the origin).
    pub initial_z: Option<Vec<f64>>,
    /// Noise amplitude: s on genes (full), s·L with LLᵀ = g/N on m (reduced), D in √(2D) (landscape).
    #[serde(default)]
    pub noise: f64,
    /// Euler–Maruyama step (used when noise > 0).
    #[serde(default = "d_dt")]
    pub dt: f64,
    /// RNG seed of the noise.
    #[serde(default)]
    pub seed: u64,
    /// Number of independent noisy realisations ("cells"), seeds seed, seed+1, ...
    #[serde(default = "d_one_usize")]
    pub realisations: usize,
    /// Threshold events [[k, value], ...]: when m_k crosses below `value`.
    #[serde(default)]
    pub below: Vec<(usize, f64)>,
    /// Threshold events [[k, value], ...]: when m_k crosses above `value`.
    #[serde(default)]
    pub above: Vec<(usize, f64)>,
}
fn d_dt_out() -> f64 {
    0.05
}
fn d_rtol() -> f64 {
    1e-10
}
fn d_atol() -> f64 {
    1e-12
}
fn d_dt() -> f64 {
    0.01
}
fn d_one_usize() -> usize {
    1
}

/// A whole scenario file (see examples/bifurcating/*.toml and docs/bifurcating.md).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// The potential.
    #[serde(default)]
    pub potential: PotentialSpec,
    /// The anchors.
    #[serde(default)]
    pub anchors: AnchorSpec,
    /// The network.
    #[serde(default)]
    pub network: NetworkSpec,
    /// The patterns (needed for full mode, optional for reduced mode: C and gene traces).
    pub patterns: Option<PatternSpec>,
    /// Schedules: parameter name → constant, keyframes, step or sigmoid.
    #[serde(default)]
    pub schedule: BTreeMap<String, Track>,
    /// Run options.
    pub run: RunSpec,
}

/// The assembled model of a scenario.
#[derive(Debug)]
pub struct Model {
    /// Potential (shared with the network).
    pub potential: Arc<PolyPotential>,
    /// Network (anchors, C, g, β, λ, τ, convention).
    pub network: Network,
    /// Patterns if any.
    pub patterns: Option<Patterns>,
    /// Schedule.
    pub schedule: Schedule,
}

impl Scenario {
    /// Read and parse a TOML scenario; errors name the file and field.
    pub fn from_file(path: &Path) -> Result<Self> {
        let s = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        toml::from_str(&s).map_err(|e| Error::format(path, e.to_string()))
    }
    /// The Figure-1 scenario of spec §7 (reduced, symmetric evaluation, β, a-ramp end a1).
    pub fn figure1(beta: f64, a1: f64) -> Self {
        let mut schedule = BTreeMap::new();
        schedule.insert(
            "a".into(),
            Track::Keyframes(vec![[0.0, 0.0], [30.0, 0.0], [40.0, a1]]),
        );
        schedule.insert(
            "b".into(),
            Track::Keyframes(vec![[0.0, -1.0], [10.0, -1.0], [20.0, -2.0]]),
        );
        Scenario {
            potential: PotentialSpec::default(),
            anchors: AnchorSpec::default(),
            network: NetworkSpec {
                beta,
                ..NetworkSpec::default()
            },
            patterns: None,
            schedule,
            run: RunSpec {
                mode: Mode::Reduced,
                t_end: 60.0,
                dt_out: 0.05,
                rtol: 1e-10,
                atol: 1e-12,
                initial_pattern: 0,
                initial_m: None,
                initial_z: None,
                noise: 0.0,
                dt: 0.01,
                seed: 0,
                realisations: 1,
                below: vec![(0, 0.999), (0, 0.99), (0, 0.9), (0, 0.5)],
                above: vec![(1, 0.99)],
            },
        }
    }
    /// Build potential, anchors, patterns, network and schedule.
    pub fn model(&self) -> Result<Model> {
        let (pot, base) = self.potential.build()?;
        let pot = Arc::new(pot);
        let embedding = if self.anchors.identity {
            Embedding::Identity
        } else if let Some(pts) = &self.anchors.points {
            Embedding::Anchors(pts.clone())
        } else {
            let mut refp = base.clone();
            let mut ov: Vec<(String, f64)> = Vec::new();
            match &self.anchors.reference {
                Some(r) => ov.extend(r.iter().map(|(k, v)| (k.clone(), *v))),
                None if pot.param_names().iter().any(|n| n == "a")
                    && pot.param_names().iter().any(|n| n == "b") =>
                {
                    ov.push(("a".into(), 0.0));
                    ov.push(("b".into(), -1.0));
                }
                None => {}
            }
            for (k, v) in ov {
                let i = pot.param_names().iter().position(|n| *n == k).ok_or_else(|| {
                    Error::invalid(
                        format!("anchors.reference.{k}"),
                        "not a parameter of the potential",
                    )
                })?;
                refp[i] = v;
            }
            let cps = super::critical::critical_points(pot.as_ref(), &refp, &Default::default())?;
            let nmin = cps
                .iter()
                .filter(|c| c.kind == super::critical::Kind::Minimum)
                .count();
            Embedding::Anchors(anchors_from_minima(pot.as_ref(), &refp, nmin, self.anchors.flip)?)
        };
        let p = match &embedding {
            Embedding::Anchors(a) => a.len(),
            Embedding::Identity => pot.dim(),
        };
        let mut net = Network::uncorrelated(pot.clone(), embedding, p);
        net.beta = self.network.beta;
        net.lambda = self.network.lambda;
        net.tau = self.network.tau;
        net.convention = self.network.convention;
        let patterns = match &self.patterns {
            Some(ps) => {
                let pt = ps.build(p)?;
                net = net.with_patterns(&pt)?;
                Some(pt)
            }
            None => None,
        };
        net.validate()?;
        let schedule = Schedule::new(pot.param_names(), &base, &self.schedule)?;
        if !(self.run.t_end > 0.0 && self.run.dt_out > 0.0) {
            return Err(Error::invalid("run", "t_end and dt_out must be positive"));
        }
        if self.run.mode == Mode::Full && patterns.is_none() {
            return Err(Error::invalid(
                "patterns",
                "mode = \"full\" needs a [patterns] section",
            ));
        }
        if self.run.initial_pattern >= p {
            return Err(Error::invalid(
                "run.initial_pattern",
                format!("must be < P = {p}"),
            ));
        }
        Ok(Model {
            potential: pot,
            network: net,
            patterns,
            schedule,
        })
    }
}

/// The result of one run.
#[derive(Debug, Clone)]
pub struct RunResult {
    /// Output times (T).
    pub t: Vec<f64>,
    /// Covariant overlaps m(t) (T×P); empty columns in landscape mode.
    pub m: Array2<f64>,
    /// Landscape position z(m(t)) or z(t) (T×d).
    pub z: Array2<f64>,
    /// Parameters θ(t) (T×k).
    pub theta: Array2<f64>,
    /// Gene states x(t) (T×N) if patterns are known.
    pub x: Option<Array2<f64>>,
    /// Located events (deterministic runs).
    pub events: Vec<EventHit>,
    /// Index of the dominant pattern at the end (argmax m).
    pub final_pattern: Option<usize>,
}

fn argmax(v: &[f64]) -> usize {
    let mut b = 0;
    for (i, x) in v.iter().enumerate() {
        if *x > v[b] {
            b = i;
        }
    }
    b
}

fn to_array(rows: &[Vec<f64>], cols: usize) -> Array2<f64> {
    Array2::from_shape_fn((rows.len(), cols), |(i, j)| rows[i][j])
}

/// Times, states, events and covariant overlaps of one integration.
type Raw = (Vec<f64>, Vec<Vec<f64>>, Vec<EventHit>, Vec<Vec<f64>>);

/// Run a scenario (one realisation with seed offset `realisation`).
pub fn run(sc: &Scenario, model: &Model, realisation: usize) -> Result<RunResult> {
    let rs = &sc.run;
    let net = &model.network;
    let sched = &model.schedule;
    let p = net.p;
    let nout = (rs.t_end / rs.dt_out).round() as usize;
    let t_out: Vec<f64> = (0..=nout).map(|i| (i as f64 * rs.dt_out).min(rs.t_end)).collect();
    let opts = DpOptions {
        rtol: rs.rtol,
        atol: rs.atol,
        ..DpOptions::default()
    };
    let kinks = sched.kinks();
    let seed = rs.seed.wrapping_add(realisation as u64);
    let every = ((rs.dt_out / rs.dt).round() as usize).max(1);
    let m0: Vec<f64> = match &rs.initial_m {
        Some(m) if m.len() == p => m.clone(),
        Some(m) => return Err(Error::shape("run.initial_m", format!("{p} values"), &[m.len()])),
        None => (0..p)
            .map(|i| f64::from(u8::from(i == rs.initial_pattern)))
            .collect(),
    };
    let (t, ys, events, m_rows): Raw = match rs.mode {
        Mode::Reduced => {
            let rhs = |t: f64, m: &[f64], out: &mut [f64]| net.reduced_rhs(m, &sched.eval(t), out);
            if rs.noise > 0.0 {
                let pt = model.patterns.as_ref().ok_or_else(|| {
                    Error::invalid(
                        "patterns",
                        "reduced noise (L·Lᵀ = g/N) needs a [patterns] section for N",
                    )
                })?;
                let l = cholesky(&net.g, p, pt.n() as f64)?;
                let l: Vec<f64> = l.iter().map(|v| v * rs.noise).collect();
                let (t, y) =
                    ode::euler_maruyama(rhs, 0.0, &m0, rs.t_end, rs.dt, &Noise::Matrix(l), seed, every)?;
                (t, y.clone(), vec![], y)
            } else {
                let evs = network_events(rs, p, |y: &[f64]| y.to_vec());
                let s = ode::dormand_prince(rhs, 0.0, &m0, &t_out, &kinks, &evs, &opts)?;
                (s.t, s.y.clone(), s.events, s.y)
            }
        }
        Mode::Full => {
            let pt = model.patterns.as_ref().expect("checked in model()");
            let x0 = pt.reconstruct(ndarray::ArrayView1::from(&m0)).to_vec();
            let rhs = |t: f64, x: &[f64], out: &mut [f64]| net.full_rhs(pt, x, &sched.eval(t), out);
            let (t, ys, ev) = if rs.noise > 0.0 {
                let (t, y) = ode::euler_maruyama(
                    rhs,
                    0.0,
                    &x0,
                    rs.t_end,
                    rs.dt,
                    &Noise::Isotropic(rs.noise),
                    seed,
                    every,
                )?;
                (t, y, vec![])
            } else {
                let cov = |x: &[f64]| pt.covariant(ndarray::ArrayView1::from(x)).to_vec();
                let evs = network_events(rs, p, cov);
                let s = ode::dormand_prince(rhs, 0.0, &x0, &t_out, &kinks, &evs, &opts)?;
                (s.t, s.y, s.events)
            };
            let m_rows = ys
                .iter()
                .map(|x| pt.covariant(ndarray::ArrayView1::from(x)).to_vec())
                .collect();
            (t, ys, ev, m_rows)
        }
        Mode::Landscape => {
            let pot = model.potential.clone();
            let z0 = match (&rs.initial_z, &net.embedding) {
                (Some(z), _) => z.clone(),
                (None, Embedding::Anchors(a)) => a[rs.initial_pattern.min(a.len() - 1)].clone(),
                (None, Embedding::Identity) => m0.clone(),
            };
            if z0.len() != pot.dim() {
                return Err(Error::shape(
                    "run.initial_z",
                    format!("{} values", pot.dim()),
                    &[z0.len()],
                ));
            }
            let rhs = |t: f64, z: &[f64], out: &mut [f64]| {
                pot.gradient(z, &sched.eval(t), out);
                for o in out.iter_mut() {
                    *o = -*o;
                }
            };
            let (t, y, ev) = if rs.noise > 0.0 {
                let s = (2.0 * rs.noise).sqrt();
                let (t, y) =
                    ode::euler_maruyama(rhs, 0.0, &z0, rs.t_end, rs.dt, &Noise::Isotropic(s), seed, every)?;
                (t, y, vec![])
            } else {
                let s = ode::dormand_prince(rhs, 0.0, &z0, &t_out, &kinks, &[], &opts)?;
                (s.t, s.y, s.events)
            };
            (t, y, ev, vec![])
        }
    };
    let theta_rows: Vec<Vec<f64>> = t.iter().map(|&ti| sched.eval(ti)).collect();
    let k = sched.names.len();
    let (m, z, x) = if rs.mode == Mode::Landscape {
        let d = model.potential.dim();
        (Array2::zeros((t.len(), 0)), to_array(&ys, d), None)
    } else {
        let m = to_array(&m_rows, p);
        let d = net.dim_z();
        let z_rows: Vec<Vec<f64>> = m_rows.iter().map(|mm| net.z_of_m(mm)).collect();
        let x = match (&model.patterns, rs.mode) {
            (Some(pt), Mode::Full) => Some(to_array(&ys, pt.n())),
            // Reduced: x(t) = Ξ m(t) (r(0) = 0 since x(0) = Ξ m(0)), spec §4.1.
            (Some(pt), _) => {
                let rows: Vec<Vec<f64>> = m_rows
                    .iter()
                    .map(|mm| pt.reconstruct(ndarray::ArrayView1::from(mm)).to_vec())
                    .collect();
                Some(to_array(&rows, pt.n()))
            }
            _ => None,
        };
        (m, to_array(&z_rows, d), x)
    };
    let final_pattern = m_rows.last().map(|mm| argmax(mm));
    Ok(RunResult {
        t,
        m,
        z,
        theta: to_array(&theta_rows, k),
        x,
        events,
        final_pattern,
    })
}

fn network_events<'a, F>(rs: &RunSpec, p: usize, to_m: F) -> Vec<Event<'a>>
where
    F: Fn(&[f64]) -> Vec<f64> + Clone + 'a,
{
    let mut evs: Vec<Event> = Vec::new();
    let f = to_m.clone();
    evs.push(Event {
        name: "dominant".into(),
        label: Box::new(move |_, y| argmax(&f(y)) as i64),
    });
    for &(k, v) in &rs.below {
        if k < p {
            let f = to_m.clone();
            evs.push(Event {
                name: format!("m{k}<{v}"),
                label: Box::new(move |_, y| i64::from(f(y)[k] < v)),
            });
        }
    }
    for &(k, v) in &rs.above {
        if k < p {
            let f = to_m.clone();
            evs.push(Event {
                name: format!("m{k}>{v}"),
                label: Box::new(move |_, y| i64::from(f(y)[k] > v)),
            });
        }
    }
    evs
}

/// Lower Cholesky factor of a/scale (row-major p×p).
fn cholesky(a: &[f64], p: usize, scale: f64) -> Result<Vec<f64>> {
    let mut l = vec![0.0; p * p];
    for i in 0..p {
        for j in 0..=i {
            let mut s = a[i * p + j] / scale;
            for k in 0..j {
                s -= l[i * p + k] * l[j * p + k];
            }
            if i == j {
                if s <= 0.0 {
                    return Err(Error::invalid("patterns", "metric g is not positive definite"));
                }
                l[i * p + i] = s.sqrt();
            } else {
                l[i * p + j] = s / l[j * p + j];
            }
        }
    }
    Ok(l)
}

/// First time an event `name` switched to label `to` (helper for reports and tests).
pub fn first_event(events: &[EventHit], name: &str, to: i64) -> Option<f64> {
    events.iter().find(|e| e.name == name && e.to == to).map(|e| e.t)
}

/// Write a run's arrays and summary into `dir` (see docs/bifurcating.md for the file list).
/// Refuses to overwrite a finished output unless `force` ([`crate::atomic::check_outputs`]); the
/// files of an interrupted one are written again.
pub fn write_outputs(
    dir: &Path,
    sc: &Scenario,
    res: &[RunResult],
    potential_names: &[String],
    force: bool,
) -> Result<()> {
    // `summary.json` is written last, so its presence marks a finished output (`x.npy` is absent
    // without patterns, so the whole list cannot serve).
    crate::atomic::check_outputs(dir, &["summary.json"], force)?;
    let stack = |get: &dyn Fn(&RunResult) -> Array2<f64>| -> Result<ndarray::Array3<f64>> {
        let a0 = get(&res[0]);
        let mut out = ndarray::Array3::zeros((res.len(), a0.nrows(), a0.ncols()));
        for (i, r) in res.iter().enumerate() {
            let a = get(r);
            if a.dim() != a0.dim() {
                return Err(Error::shape(
                    "realisations",
                    format!("{:?}", a0.dim()),
                    &[a.nrows(), a.ncols()],
                ));
            }
            out.index_axis_mut(ndarray::Axis(0), i).assign(&a);
        }
        Ok(out)
    };
    crate::npy::write(&dir.join("t.npy"), &ndarray::Array1::from(res[0].t.clone()))?;
    if res.len() == 1 {
        crate::npy::write(&dir.join("m.npy"), &res[0].m)?;
        crate::npy::write(&dir.join("z.npy"), &res[0].z)?;
        crate::npy::write(&dir.join("theta.npy"), &res[0].theta)?;
        if let Some(x) = &res[0].x {
            crate::npy::write(&dir.join("x.npy"), x)?;
        } else {
            remove_stale(&dir.join("x.npy"))?;
        }
    } else {
        crate::npy::write(&dir.join("m.npy"), &stack(&|r| r.m.clone())?)?;
        crate::npy::write(&dir.join("z.npy"), &stack(&|r| r.z.clone())?)?;
        crate::npy::write(&dir.join("theta.npy"), &res[0].theta)?;
        if res[0].x.is_some() {
            crate::npy::write(&dir.join("x.npy"), &stack(&|r| r.x.clone().unwrap_or_default())?)?;
        } else {
            remove_stale(&dir.join("x.npy"))?;
        }
    }
    let ev: Vec<&Vec<EventHit>> = res.iter().map(|r| &r.events).collect();
    let evj = if res.len() == 1 {
        serde_json::to_value(ev[0])
    } else {
        serde_json::to_value(&ev)
    }
    .map_err(|e| Error::invalid("events", e.to_string()))?;
    write_json(&dir.join("events.json"), &evj)?;
    let finals: Vec<Option<usize>> = res.iter().map(|r| r.final_pattern).collect();
    let mut counts = BTreeMap::new();
    for f in finals.iter().flatten() {
        *counts.entry(f.to_string()).or_insert(0usize) += 1;
    }
    let summary = serde_json::json!({
        "version": crate::VERSION,
        "scenario": sc,
        "parameters": potential_names,
        "realisations": res.len(),
        "final_pattern": finals,
        "fate_counts": counts,
        "final_m": res.iter().map(|r| r.m.rows().into_iter().next_back().map(|x| x.to_vec())).collect::<Vec<_>>(),
    });
    write_json(&dir.join("summary.json"), &summary)
}

/// Remove a file an interrupted earlier output left that this one does not write.
fn remove_stale(path: &Path) -> Result<()> {
    if path.exists() {
        std::fs::remove_file(path).map_err(|e| Error::io(path, e))?;
    }
    Ok(())
}

fn write_json(path: &Path, v: &serde_json::Value) -> Result<()> {
    let s = serde_json::to_string_pretty(v).map_err(|e| Error::invalid("json", e.to_string()))?;
    crate::atomic::write_bytes(path, s, crate::atomic::Durability::Atomic)
}

/// A bifurcation crossed along a schedule.
#[derive(Debug, Clone, Serialize)]
pub struct Crossing {
    /// Time of the crossing.
    pub t: f64,
    /// Parameters at that time.
    pub theta: Vec<f64>,
    /// What changed.
    pub what: String,
}

/// Along the schedule (spec §10.1 "analysis"): times at which V's critical-point set changes
/// (landscape folds), pure-pattern margins Δ_μ cross zero (β → ∞), and the number of stable
/// network equilibria changes (network folds at the model's β), scanned with step `dt`.
pub fn schedule_crossings(model: &Model, t_end: f64, dt: f64) -> Result<Vec<Crossing>> {
    let pot = model.potential.clone();
    let sched = &model.schedule;
    let net = &model.network;
    let mut out = Vec::new();
    let so = super::critical::SearchOptions {
        starts_per_axis: 15,
        ..Default::default()
    };
    let sig_v = |t: f64| -> (usize, usize, usize) {
        let cps = super::critical::critical_points(pot.as_ref(), &sched.eval(t), &so).unwrap_or_default();
        let c = |k| cps.iter().filter(|c| c.kind == k).count();
        use super::critical::Kind::*;
        (c(Minimum), c(Saddle), c(Maximum))
    };
    for (t, a, b) in crate::continuation::signature_changes(0.0, t_end, dt, sig_v) {
        out.push(Crossing {
            t,
            theta: sched.eval(t),
            what: format!("landscape: (minima, saddles, maxima) {a:?} -> {b:?}"),
        });
    }
    for mu in 0..net.p {
        let sig = |t: f64| net.margin(mu, &sched.eval(t)) > 0.0;
        for (t, a, b) in crate::continuation::signature_changes(0.0, t_end, dt, sig) {
            out.push(Crossing {
                t,
                theta: sched.eval(t),
                what: format!(
                    "margin: pattern {mu} {} a pure fixed point (beta -> inf)",
                    if b && !a { "becomes" } else { "stops being" }
                ),
            });
        }
    }
    let sig_n = |t: f64| {
        net.equilibria(&sched.eval(t), 12)
            .iter()
            .filter(|e| e.stability == super::network::Stability::Stable)
            .count()
    };
    for (t, a, b) in crate::continuation::signature_changes(0.0, t_end, dt, sig_n) {
        out.push(Crossing {
            t,
            theta: sched.eval(t),
            what: format!("network (beta = {}): stable equilibria {a} -> {b}", net.beta),
        });
    }
    out.sort_by(|a, b| a.t.total_cmp(&b.t));
    Ok(out)
}
