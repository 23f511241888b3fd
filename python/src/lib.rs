//! `waddington._core`: the Rust library seen from Python (PyO3). Arrays go in and out as numpy
//! arrays; structured results (configs, summaries, diagrams, split trees) as JSON text that the
//! pure-Python layer (`waddington/__init__.py`) turns into dicts. Long work runs with the GIL
//! released; during training (`train`, `reproduce`) Ctrl-C stops every run after its current
//! epoch (resumable, as after a crash) and raises `KeyboardInterrupt`.

use numpy::{IntoPyArray, PyArray1, PyArray2, PyArray3, PyReadonlyArray2};
use pyo3::exceptions::{PyKeyboardInterrupt, PyOSError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use std::path::{Path, PathBuf};
use waddington::config::RunConfig;
use waddington::run_folder::{RunFolder, Trajectory};
use waddington::{Error, dam, embed, landscape, reduced, reproduce};

/// The library's error as a Python exception carrying its message: `ValueError` for bad input
/// (a file's format or shape, an invalid field, an output that exists), `OSError` for the file
/// system, `KeyboardInterrupt` for an interrupted run, `RuntimeError` for a diverged one.
fn py_err(e: Error) -> PyErr {
    let text = e.to_string();
    match e {
        Error::Io { .. } => PyOSError::new_err(text),
        Error::Interrupted(_) => PyKeyboardInterrupt::new_err(text),
        Error::Diverged(_) => PyRuntimeError::new_err(text),
        _ => PyValueError::new_err(text),
    }
}

fn json<T: serde::Serialize>(v: &T) -> PyResult<String> {
    serde_json::to_string(v).map_err(|e| PyValueError::new_err(e.to_string()))
}

/// Parse a run config from JSON text with the TOML's structure (unknown keys are errors), relative
/// paths resolved against `base`, and validate it.
fn config_from_json(text: &str, base: &Path) -> PyResult<RunConfig> {
    let mut cfg: RunConfig =
        serde_json::from_str(text).map_err(|e| PyValueError::new_err(format!("invalid run config: {e}")))?;
    cfg.validate().map_err(py_err)?;
    cfg.resolve_paths(base);
    Ok(cfg)
}

/// The run config of a TOML file, as JSON text.
#[pyfunction]
fn read_config(path: PathBuf) -> PyResult<String> {
    json(&RunConfig::from_file(&path).map_err(py_err)?)
}

/// Run `work` on its own thread with the GIL released while this (the main) thread watches for
/// Ctrl-C; on a signal every training run is asked to stop after its current epoch
/// ([`dam::run::request_stop`]: resumable, as after a crash) and the signal's exception
/// (`KeyboardInterrupt`) is raised once the work has stopped.
fn interruptible<T: Send>(py: Python<'_>, work: impl FnOnce() -> Result<T, Error> + Send) -> PyResult<T> {
    dam::run::clear_stop();
    let (result, signal) = py.detach(|| {
        std::thread::scope(|s| {
            let handle = s.spawn(work);
            let mut signal: Option<PyErr> = None;
            while !handle.is_finished() {
                std::thread::sleep(std::time::Duration::from_millis(20));
                if signal.is_none()
                    && let Err(e) = Python::attach(|py| py.check_signals())
                {
                    dam::run::request_stop();
                    signal = Some(e);
                }
            }
            let result = handle
                .join()
                .unwrap_or_else(|_| Err(Error::invalid("python", "the work panicked")));
            (result, signal)
        })
    });
    dam::run::clear_stop();
    match (result, signal) {
        (Err(Error::Interrupted(_)), Some(e)) => Err(e),
        (Ok(v), _) => Ok(v),
        (Err(e), _) => Err(py_err(e)),
    }
}

/// Train `config` (JSON text) into the run folder `out` (an interrupted run of the same config is
/// continued). `progress(done, total)` is called after every epoch when given; an exception it
/// raises stops the run (resumable) and is re-raised. Returns the summary as JSON text.
#[pyfunction]
#[pyo3(signature = (config, out, progress=None))]
fn train(py: Python<'_>, config: &str, out: PathBuf, progress: Option<Py<PyAny>>) -> PyResult<String> {
    let cwd = std::env::current_dir().map_err(|e| PyOSError::new_err(e.to_string()))?;
    let cfg = config_from_json(config, &cwd)?;
    let raised: std::sync::Mutex<Option<PyErr>> = std::sync::Mutex::new(None);
    let summary = interruptible(py, || {
        let mut report = |done: usize, total: usize| -> bool {
            let Some(f) = &progress else { return true };
            Python::attach(|py| match f.call1(py, (done, total)) {
                Ok(_) => true,
                Err(e) => {
                    if let Ok(mut r) = raised.lock() {
                        *r = Some(e);
                    }
                    false
                }
            })
        };
        dam::run::run(&cfg, &out, &mut report)
    });
    match summary {
        Ok(s) => json(&s),
        Err(e) => Err(raised.into_inner().ok().flatten().unwrap_or(e)),
    }
}

/// A run folder's config (JSON), summary (JSON, `None` while unfinished) and recorded epochs.
#[pyfunction]
fn run_info(py: Python<'_>, path: PathBuf) -> PyResult<(String, Option<String>, Py<PyArray1<i64>>)> {
    let folder = RunFolder::open(&path).map_err(py_err)?;
    let config = json(folder.config())?;
    let summary = folder.summary().ok().map(|s| json(&s)).transpose()?;
    let traj = Trajectory::open(&path).map_err(py_err)?;
    let epochs: Vec<i64> = traj.epochs().iter().map(|&e| e as i64).collect();
    Ok((config, summary, epochs.into_pyarray(py).unbind()))
}

/// All recorded memories (E×K×784) of a run folder.
#[pyfunction]
fn run_memories(py: Python<'_>, path: PathBuf) -> PyResult<Py<PyArray3<f64>>> {
    let a = py.detach(|| Trajectory::open(&path).and_then(|mut t| t.memories()));
    Ok(a.map_err(py_err)?.into_pyarray(py).unbind())
}

/// The memories (K×784) recorded at `epoch` (`None`: the last record), read without loading the
/// rest of the trajectory.
#[pyfunction]
#[pyo3(signature = (path, epoch=None))]
fn run_memories_at(py: Python<'_>, path: PathBuf, epoch: Option<usize>) -> PyResult<Py<PyArray2<f64>>> {
    let a = py.detach(|| {
        let mut t = Trajectory::open(&path)?;
        let frame = t.frame_of_epoch(epoch)?;
        t.memories_at(frame)
    });
    Ok(a.map_err(py_err)?.into_pyarray(py).unbind())
}

/// All recorded labels (E×K×C) of a run folder.
#[pyfunction]
fn run_labels(py: Python<'_>, path: PathBuf) -> PyResult<Py<PyArray3<f64>>> {
    let a = py.detach(|| Trajectory::open(&path).map(|t| t.labels().clone()));
    Ok(a.map_err(py_err)?.into_pyarray(py).unbind())
}

/// The Waddington analysis of a run folder: the summary (JSON: learning order, splits, tree, …)
/// and its arrays by name.
#[pyfunction]
#[allow(clippy::type_complexity)]
fn analyze(py: Python<'_>, path: PathBuf) -> PyResult<(String, Vec<(String, Py<PyAny>)>)> {
    let a = py
        .detach(|| landscape::analyze_run_dir(&path, &landscape::Options::default()))
        .map_err(py_err)?;
    let summary = json(&a.summary())?;
    let tree = json(&a.tree)?;
    let epochs: Vec<i64> = a.epochs.iter().map(|&e| e as i64).collect();
    let fate: Vec<i64> = a.fate.iter().map(|&f| f as i64).collect();
    let mut arrays: Vec<(String, Py<PyAny>)> = vec![
        ("epochs".into(), epochs.into_pyarray(py).into_any().unbind()),
        ("alpha".into(), a.alpha.into_pyarray(py).into_any().unbind()),
        (
            "alpha_class".into(),
            a.alpha_class.into_pyarray(py).into_any().unbind(),
        ),
        (
            "max_alpha".into(),
            a.max_alpha.into_pyarray(py).into_any().unbind(),
        ),
        ("identity".into(), a.identity.into_pyarray(py).into_any().unbind()),
        (
            "membership".into(),
            a.membership.into_pyarray(py).into_any().unbind(),
        ),
        ("clade".into(), a.clade.into_pyarray(py).into_any().unbind()),
        ("labels".into(), a.labels.into_pyarray(py).into_any().unbind()),
        ("fate".into(), fate.into_pyarray(py).into_any().unbind()),
        ("tree_json".into(), tree.into_pyobject(py)?.into_any().unbind()),
    ];
    if let Some(r) = a.recognition {
        arrays.push(("recognition".into(), r.into_pyarray(py).into_any().unbind()));
    }
    Ok((summary, arrays))
}

fn pair_system(dots: [f64; 3], memories: f64) -> PyResult<reduced::TwoMemory> {
    let d = reduced::PairDots::new(dots[0], dots[1], dots[2]).map_err(py_err)?;
    Ok(reduced::TwoMemory::new(d).with_memories(memories))
}

/// The one-parameter bifurcation diagram of the reduced two-memory system in n at temperature T
/// (JSON: branches of fixed points with stability, folds, branch points).
#[pyfunction]
#[pyo3(signature = (dots, temperature, n_min=1.2, n_max=72.0, memories=1.0))]
fn reduced_diagram(
    py: Python<'_>,
    dots: [f64; 3],
    temperature: f64,
    n_min: f64,
    n_max: f64,
    memories: f64,
) -> PyResult<String> {
    let sys = pair_system(dots, memories)?;
    let fixed = reduced::Control {
        n: n_min,
        temperature,
    };
    let d = py.detach(|| {
        reduced::branches::diagram(
            &sys,
            reduced::branches::Parameter::N,
            fixed,
            [n_min, n_max],
            &reduced::branches::DiagramOptions::default(),
        )
    });
    json(&d)
}

/// All fixed points of the reduced system at (n, T) with their stability (JSON list).
#[pyfunction]
#[pyo3(signature = (dots, n, temperature, memories=1.0))]
fn reduced_fixed_points(dots: [f64; 3], n: f64, temperature: f64, memories: f64) -> PyResult<String> {
    let sys = pair_system(dots, memories)?;
    let fps = reduced::fixed_points::fixed_points(
        &sys,
        reduced::Control { n, temperature },
        reduced::fixed_points::FinderOptions::default(),
    );
    json(&fps)
}

/// All critical points of a built-in potential at the given parameters (JSON list).
#[pyfunction]
#[pyo3(signature = (potential, params=Vec::new()))]
fn critical_points(potential: &str, params: Vec<(String, f64)>) -> PyResult<String> {
    use waddington::bifurcating::{critical, potentials};
    let pot = potentials::builtin(potential).map_err(py_err)?;
    let p = potentials::resolve_params(&pot, &params).map_err(py_err)?;
    let cps = critical::critical_points(&pot, &p, &critical::SearchOptions::default()).map_err(py_err)?;
    json(&cps)
}

/// Simulate a bifurcating-network scenario (TOML path; `None`: the Figure-1 scenario of spec §7
/// at β = 1000): times, overlaps m(t), landscape positions z(t), parameters θ(t), gene states x(t)
/// (when the patterns are known), the located events (JSON) and the final pattern.
#[pyfunction]
#[pyo3(signature = (scenario=None, realisation=0))]
#[allow(clippy::type_complexity)]
fn bifurcating_simulate(
    py: Python<'_>,
    scenario: Option<PathBuf>,
    realisation: usize,
) -> PyResult<(Vec<(String, Py<PyAny>)>, String, Option<usize>)> {
    use waddington::bifurcating::scenario::{self, Scenario};
    let sc = match scenario {
        Some(p) => Scenario::from_file(&p).map_err(py_err)?,
        None => Scenario::figure1(1000.0, 6.0),
    };
    let model = sc.model().map_err(py_err)?;
    let r = py
        .detach(|| scenario::run(&sc, &model, realisation))
        .map_err(py_err)?;
    let events = json(&r.events)?;
    let mut arrays: Vec<(String, Py<PyAny>)> = vec![
        ("t".into(), r.t.into_pyarray(py).into_any().unbind()),
        ("m".into(), r.m.into_pyarray(py).into_any().unbind()),
        ("z".into(), r.z.into_pyarray(py).into_any().unbind()),
        ("theta".into(), r.theta.into_pyarray(py).into_any().unbind()),
    ];
    if let Some(x) = r.x {
        arrays.push(("x".into(), x.into_pyarray(py).into_any().unbind()));
    }
    Ok((arrays, events, r.final_pattern))
}

/// Fit UMAP (spec §3.8 defaults: correlation metric) on the rows of `x`; returns the embedding
/// (N×2) and the model saved in `model_dir` when given.
#[pyfunction]
#[pyo3(signature = (x, n_neighbors=55, min_dist=0.05, seed=4, model_dir=None))]
fn umap_fit(
    py: Python<'_>,
    x: PyReadonlyArray2<'_, f64>,
    n_neighbors: usize,
    min_dist: f64,
    seed: u64,
    model_dir: Option<PathBuf>,
) -> PyResult<Py<PyArray2<f64>>> {
    let x = x.as_array().to_owned();
    let params = embed::UmapParams {
        n_neighbors,
        min_dist,
        seed,
        ..embed::UmapParams::paper()
    };
    let u = py
        .detach(|| embed::Umap::fit(x.view(), &params, 0))
        .map_err(py_err)?;
    if let Some(dir) = model_dir {
        u.save(&dir, "python").map_err(py_err)?;
    }
    Ok(u.embedding.clone().into_pyarray(py).unbind())
}

/// Map the rows of `x` into a saved UMAP model.
#[pyfunction]
fn umap_transform(
    py: Python<'_>,
    model_dir: PathBuf,
    x: PyReadonlyArray2<'_, f64>,
) -> PyResult<Py<PyArray2<f64>>> {
    let x = x.as_array().to_owned();
    let u = embed::Umap::load(&model_dir).map_err(py_err)?;
    let y = py.detach(|| u.transform(x.view(), 0)).map_err(py_err)?;
    Ok(y.into_pyarray(py).unbind())
}

/// Reproduce a paper figure into `out`; returns its report (JSON).
#[pyfunction]
#[pyo3(signature = (figure, out, scale="quick", samples=None, seed=0, jobs=1))]
fn reproduce_figure(
    py: Python<'_>,
    figure: &str,
    out: PathBuf,
    scale: &str,
    samples: Option<PathBuf>,
    seed: u64,
    jobs: usize,
) -> PyResult<String> {
    let figure = reproduce::Figure::parse(figure).map_err(py_err)?;
    let scale = reproduce::Scale::parse(scale).map_err(py_err)?;
    let opts = reproduce::Options {
        out,
        scale,
        samples,
        seed,
        jobs: jobs.max(1),
        progress: false,
    };
    let outcome = interruptible(py, || reproduce::reproduce(figure, opts))?;
    json(&outcome.report)
}

/// The crate version.
#[pyfunction]
fn version() -> &'static str {
    waddington::VERSION
}

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(read_config, m)?)?;
    m.add_function(wrap_pyfunction!(train, m)?)?;
    m.add_function(wrap_pyfunction!(run_info, m)?)?;
    m.add_function(wrap_pyfunction!(run_memories, m)?)?;
    m.add_function(wrap_pyfunction!(run_labels, m)?)?;
    m.add_function(wrap_pyfunction!(run_memories_at, m)?)?;
    m.add_function(wrap_pyfunction!(analyze, m)?)?;
    m.add_function(wrap_pyfunction!(reduced_diagram, m)?)?;
    m.add_function(wrap_pyfunction!(reduced_fixed_points, m)?)?;
    m.add_function(wrap_pyfunction!(critical_points, m)?)?;
    m.add_function(wrap_pyfunction!(bifurcating_simulate, m)?)?;
    m.add_function(wrap_pyfunction!(umap_fit, m)?)?;
    m.add_function(wrap_pyfunction!(umap_transform, m)?)?;
    m.add_function(wrap_pyfunction!(reproduce_figure, m)?)?;
    m.add_function(wrap_pyfunction!(version, m)?)?;
    Ok(())
}
