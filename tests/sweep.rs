//! Sweeps: grid expansion and ids, bad grid files rejected before anything runs, run + collect
//! against independent computations, SIGKILL + restart equality, divergence marked failed,
//! results independent of --jobs and of sharding.

mod common;

use common::bin;
use ndarray::{Array2, Ix2};
use std::path::{Path, PathBuf};
use waddington::npy;
use waddington::run_folder::read_checkpoint;
use waddington::sweep::Grid;

const BASE: &str = "[model]\nmemories = 6\n[data]\nper_class = 3\n[train]\nepochs = 30\nsave_every = 3\ncheckpoint_every = 10\n";

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write");
    p
}

fn sweep(args: &[&str], grid: &Path, out: &Path) -> std::process::Output {
    bin()
        .args(["sweep", "run"])
        .arg(grid)
        .arg("--out")
        .arg(out)
        .args(["--no-progress"])
        .args(args)
        .output()
        .expect("run waddington")
}

fn ok(o: std::process::Output) -> String {
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(o.status.success(), "stderr: {err}");
    String::from_utf8_lossy(&o.stdout).to_string()
}

fn collect(out: &Path) -> String {
    ok(bin()
        .args(["sweep", "collect"])
        .arg(out)
        .output()
        .expect("collect"));
    std::fs::read_to_string(out.join("summary.csv")).expect("summary.csv")
}

#[test]
fn grid_is_the_cartesian_product_plus_explicit_points_with_stable_ids() {
    let d = tempfile::tempdir().expect("tmp");
    let text = format!(
        "{BASE}[sweep]\nname = \"t\"\ngrid = {{ \"model.n\" = [3, 15, 30], \"model.temperature\" = [550, 670], \"init.seed\" = [1, 2] }}\npoints = [{{ \"model.n\" = 2.5, \"model.m\" = 3.0 }}]\n"
    );
    let g = write(d.path(), "g.toml", &text);
    let a = Grid::from_file(&g).expect("grid");
    let b = Grid::from_file(&g).expect("grid");
    assert_eq!(a.points.len(), 3 * 2 * 2 + 1);
    let ids: Vec<_> = a.points.iter().map(|p| p.id.clone()).collect();
    assert_eq!(ids, b.points.iter().map(|p| p.id.clone()).collect::<Vec<_>>());
    let mut uniq = ids.clone();
    uniq.sort();
    uniq.dedup();
    assert_eq!(uniq.len(), ids.len());
    assert!(ids[0].starts_with("0000-") && ids[0].len() == 13, "{}", ids[0]);
    // Sorted path order, first path slowest: init.seed, model.n, model.temperature.
    let mut seen = Vec::new();
    for seed in [1u64, 2] {
        for n in [3.0, 15.0, 30.0] {
            for t in [550.0, 670.0] {
                seen.push((Some(seed), n, t));
            }
        }
    }
    for (p, want) in a.points.iter().zip(&seen) {
        let c = &p.config;
        assert_eq!((c.init.seed, c.model.n, c.model.temperature), *want);
        assert_eq!(c.threads, 1);
        assert_eq!(c.model.memories, 6);
    }
    let last = &a.points[12].config;
    assert_eq!((last.model.n, last.model.m), (2.5, Some(3.0)));
    assert_eq!(a.paths, ["init.seed", "model.n", "model.temperature", "model.m"]);
}

#[test]
fn bad_grid_files_are_rejected_before_anything_runs() {
    let d = tempfile::tempdir().expect("tmp");
    let cases = [
        ("\"model.nn\" = [3]", "model.nn"),
        ("\"modle.n\" = [3]", "modle.n"),
        ("\"model.n\" = []", "model.n"),
        ("\"model.n\" = [\"three\"]", "model.n"),
        ("\"model.n\" = 3", "model.n"),
        ("\"model.n\" = [3, 0.5]", "model.n"),
        ("\"train.epochs\" = [-1]", "train.epochs"),
        ("\"model\" = [1]", "model"),
    ];
    for (i, (grid, path)) in cases.iter().enumerate() {
        let g = write(
            d.path(),
            &format!("bad{i}.toml"),
            &format!("{BASE}[sweep.grid]\n{grid}\n"),
        );
        let out = d.path().join(format!("out{i}"));
        let o = sweep(&[], &g, &out);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "{grid} accepted");
        assert!(err.contains(path), "{grid}: message does not name {path}: {err}");
        assert!(
            err.contains(&format!("bad{i}.toml")),
            "{grid}: file not named: {err}"
        );
        assert!(!out.exists(), "{grid}: output folder created");
    }
    // Unknown keys in [sweep], no grid at all.
    for (i, text) in [
        "[sweep]\ngird = {}\n",
        "[sweep]\nname = \"x\"\n",
        "[model]\nn = 3\n",
    ]
    .iter()
    .enumerate()
    {
        let g = write(d.path(), &format!("worse{i}.toml"), text);
        let o = sweep(&[], &g, &d.path().join("o"));
        assert!(!o.status.success());
        assert!(!d.path().join("o").exists());
    }
}

/// Gaussian elimination with partial pivoting: solves A x = b for each column of b.
fn solve(mut a: Array2<f64>, mut b: Array2<f64>) -> Array2<f64> {
    let n = a.nrows();
    for k in 0..n {
        let piv = (k..n)
            .max_by(|&i, &j| a[[i, k]].abs().total_cmp(&a[[j, k]].abs()))
            .unwrap_or(k);
        for j in 0..n {
            a.swap([k, j], [piv, j]);
        }
        for j in 0..b.ncols() {
            b.swap([k, j], [piv, j]);
        }
        for i in k + 1..n {
            let f = a[[i, k]] / a[[k, k]];
            for j in k..n {
                a[[i, j]] -= f * a[[k, j]];
            }
            for j in 0..b.ncols() {
                b[[i, j]] -= f * b[[k, j]];
            }
        }
    }
    for k in (0..n).rev() {
        for j in 0..b.ncols() {
            let mut s = b[[k, j]];
            for i in k + 1..n {
                s -= a[[k, i]] * b[[i, j]];
            }
            b[[k, j]] = s / a[[k, k]];
        }
    }
    b
}

/// Column value of the CSV row.
fn field<'a>(csv: &'a str, row: usize, name: &str) -> &'a str {
    let mut lines = csv.lines();
    let head: Vec<&str> = lines.next().expect("header").split(',').collect();
    let col = head.iter().position(|h| *h == name).expect("column");
    lines.nth(row).expect("row").split(',').nth(col).expect("cell")
}

#[test]
fn run_and_collect_match_independent_computations_and_shards_add_up() {
    let d = tempfile::tempdir().expect("tmp");
    let g = write(
        d.path(),
        "g.toml",
        &format!("{BASE}[sweep]\ngrid = {{ \"model.n\" = [2, 20], \"model.temperature\" = [300, 670] }}\n"),
    );
    let out = d.path().join("out");
    ok(sweep(&["--jobs", "2"], &g, &out));
    let csv = collect(&out);
    assert_eq!(csv.lines().count(), 5);
    let grid = Grid::from_file(&g).expect("grid");
    for (row, p) in grid.points.iter().enumerate() {
        let dir = out.join("points").join(&p.id);
        assert_eq!(field(&csv, row, "status"), "done");
        assert_eq!(field(&csv, row, "model.n"), ["2", "2", "20", "20"][row]);
        let st = read_checkpoint(&dir.join("checkpoint.npz"))
            .expect("checkpoint")
            .state;
        let x = npy::read_matrix(&dir.join("samples.npy"), "x").expect("x");
        // α = M Xᵀ (X Xᵀ)⁻¹ (X has full row rank): independent of the SVD pseudo-inverse.
        let gram = x.dot(&x.t());
        let alpha = solve(gram, x.dot(&st.memories.t())).t().to_owned();
        let k = alpha.nrows() as f64;
        let max: Vec<f64> = alpha
            .rows()
            .into_iter()
            .map(|r| r.iter().fold(0.0f64, |m, v| m.max(v.abs())))
            .collect();
        let mean = max.iter().sum::<f64>() / k;
        let got: f64 = field(&csv, row, "max_alpha_mean").parse().expect("number");
        assert!((got - mean).abs() < 1e-8 * mean.max(1.0), "max-α {got} vs {mean}");
        // Reconstruction count by a plain loop over w, recomputing R_w from scratch.
        let tol = 0.05 * 784.0 * st.memories.iter().map(|v| v.abs()).sum::<f64>() / st.memories.len() as f64;
        let mut counts = Vec::new();
        for a in 0..alpha.nrows() {
            let mut idx: Vec<usize> = (0..x.nrows()).collect();
            idx.sort_by(|&i, &j| {
                alpha[[a, j]]
                    .abs()
                    .total_cmp(&alpha[[a, i]].abs())
                    .then(i.cmp(&j))
            });
            let mut count = x.nrows() - 1;
            for w in 1..x.nrows() {
                let err: f64 = (0..784)
                    .map(|i| {
                        (idx[..w].iter().map(|&s| alpha[[a, s]] * x[[s, i]]).sum::<f64>()
                            - st.memories[[a, i]])
                        .abs()
                    })
                    .sum();
                if err < tol {
                    count = w;
                    break;
                }
            }
            counts.push(count as f64);
        }
        let mean_count = counts.iter().sum::<f64>() / k;
        let got: f64 = field(&csv, row, "reconstruction_mean").parse().expect("number");
        assert!(
            (got - mean_count).abs() < 1e-9,
            "reconstruction {got} vs {mean_count}"
        );
        for c in 0..10 {
            let pop = st.labels.column(c).iter().filter(|&&l| l > 0.98).count();
            assert_eq!(field(&csv, row, &format!("population_098_{c}")), pop.to_string());
        }
    }
    let mut npz = npy::open_npz(&out.join("summary.npz")).expect("npz");
    let grid_arr = npy::npz_f64(&mut npz, &out.join("summary.npz"), "grid")
        .expect("grid")
        .into_dimensionality::<Ix2>()
        .expect("2-d");
    assert_eq!(grid_arr.dim(), (4, 2));
    assert_eq!(grid_arr[[3, 0]], 20.0);
    assert_eq!(grid_arr[[3, 1]], 670.0);
    let pops = npy::npz_f64(&mut npz, &out.join("summary.npz"), "population_090").expect("pop");
    assert_eq!(pops.shape(), &[4, 10]);

    // Two shards into another folder add up to the same table.
    let sharded = d.path().join("sharded");
    ok(sweep(&["--shard", "1/2", "--jobs", "1"], &g, &sharded));
    let partial = collect(&sharded);
    assert_eq!(partial.lines().filter(|l| l.contains(",done,")).count(), 2);
    assert_eq!(partial.lines().filter(|l| l.contains(",pending,")).count(), 2);
    ok(sweep(&["--shard", "0/2", "--jobs", "1"], &g, &sharded));
    assert_eq!(collect(&sharded), csv);

    // Running again skips everything; another grid into the same folder is refused.
    let again = ok(sweep(&[], &g, &out));
    assert!(again.contains("4 already done"), "{again}");
    let g2 = write(
        d.path(),
        "g2.toml",
        &format!("{BASE}[sweep]\ngrid = {{ \"model.n\" = [3] }}\n"),
    );
    let o = sweep(&[], &g2, &out);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("different grid"));
}

#[test]
fn a_diverging_point_is_marked_failed_and_the_others_complete() {
    let d = tempfile::tempdir().expect("tmp");
    // Noise of std 1e308 overflows the memories to ±inf in the first epoch: NaN after bounding.
    let g = write(
        d.path(),
        "g.toml",
        &format!("{BASE}[sweep]\ngrid = {{ \"train.noise_std\" = [0.0, 1e308, 0.001] }}\n"),
    );
    let out = d.path().join("out");
    let o = ok(sweep(&["--jobs", "2"], &g, &out));
    assert!(o.contains("2 finished now") && o.contains("1 failed"), "{o}");
    let grid = Grid::from_file(&g).expect("grid");
    let failed = out.join("points").join(&grid.points[1].id);
    let f = std::fs::read_to_string(failed.join("FAILED.json")).expect("FAILED.json");
    assert!(f.contains("\"diverged\"") && f.contains("non-finite"), "{f}");
    assert!(!failed.join("summary.json").exists());
    let csv = collect(&out);
    assert_eq!(field(&csv, 0, "status"), "done");
    assert_eq!(field(&csv, 1, "status"), "failed");
    assert_eq!(field(&csv, 2, "status"), "done");
    assert!(csv.lines().nth(2).expect("row").contains("diverged"));
    // A rerun skips it; --retry-failed runs it again (and it diverges again).
    assert!(ok(sweep(&[], &g, &out)).contains("0 finished now"));
    assert!(ok(sweep(&["--retry-failed"], &g, &out)).contains("1 failed"));
}

#[test]
fn a_point_with_a_missing_data_file_fails_with_its_name_and_exits_non_zero() {
    let d = tempfile::tempdir().expect("tmp");
    let g = write(
        d.path(),
        "g.toml",
        &format!(
            "{BASE}[sweep]\npoints = [{{ \"model.n\" = 3 }}, {{ \"init.memories\" = \"nowhere.npy\", \"init.labels\" = \"nowhere-l.npy\" }}]\n"
        ),
    );
    let out = d.path().join("out");
    let o = sweep(&[], &g, &out);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(err.contains("nowhere.npy") && err.contains("0001-"), "{err}");
    let csv = collect(&out);
    assert_eq!(field(&csv, 0, "status"), "done");
    assert_eq!(field(&csv, 1, "status"), "failed");
}

#[cfg(unix)]
#[test]
fn a_sweep_killed_with_sigkill_and_restarted_equals_an_uninterrupted_one_for_any_jobs() {
    let d = tempfile::tempdir().expect("tmp");
    let g = write(
        d.path(),
        "g.toml",
        "[model]\nmemories = 20\n[data]\nper_class = 10\n[train]\nepochs = 1500\nsave_every = 50\ncheckpoint_every = 100\n\
         [sweep]\ngrid = { \"model.n\" = [3, 20], \"init.seed\" = [1, 2] }\n",
    );
    let reference = d.path().join("reference");
    ok(sweep(&["--jobs", "2"], &g, &reference));
    let want = collect(&reference);

    let out = d.path().join("killed");
    let mut child = bin()
        .args(["sweep", "run"])
        .arg(&g)
        .arg("--out")
        .arg(&out)
        .args(["--jobs", "1", "--no-progress"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    let start = std::time::Instant::now();
    let mut killed_mid_point = false;
    while start.elapsed().as_secs() < 60 {
        let points = std::fs::read_dir(out.join("points"))
            .map(|r| r.flatten().collect::<Vec<_>>())
            .unwrap_or_default();
        if points
            .iter()
            .any(|p| p.path().join("checkpoint.npz").exists() && !p.path().join("summary.json").exists())
        {
            killed_mid_point = true;
            break;
        }
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child.kill().expect("SIGKILL");
    child.wait().expect("wait");
    assert!(
        killed_mid_point,
        "the sweep finished before a checkpoint could be caught; make it longer"
    );
    let done_before = std::fs::read_dir(out.join("points"))
        .expect("points")
        .flatten()
        .filter(|p| p.path().join("summary.json").exists())
        .count();
    assert!(done_before < 4);
    let o = ok(sweep(&["--jobs", "1"], &g, &out));
    assert!(o.contains("resumed"), "{o}");
    assert_eq!(collect(&out), want, "collected tables differ");
    let grid = Grid::from_file(&g).expect("grid");
    for p in &grid.points {
        // checkpoint.npz and summary.json also hold wall times; the trajectory must be identical.
        let a = std::fs::read(reference.join("points").join(&p.id).join("trajectory.npz")).expect("a");
        let b = std::fs::read(out.join("points").join(&p.id).join("trajectory.npz")).expect("b");
        assert!(a == b, "{} trajectory.npz differs", p.id);
    }
}

#[test]
fn slurm_scripts_hold_the_array_throttle_resources_and_an_afterok_collect_job() {
    let d = tempfile::tempdir().expect("tmp");
    let g = write(
        d.path(),
        "g.toml",
        &format!("{BASE}[sweep]\ngrid = {{ \"model.n\" = [2, 3, 4, 5, 6] }}\n"),
    );
    let out = d.path().join("out");
    ok(bin()
        .args(["sweep", "slurm"])
        .arg(&g)
        .arg("--out")
        .arg(&out)
        .args([
            "--tasks",
            "3",
            "--throttle",
            "2",
            "--cpus-per-task",
            "2",
            "--mem",
            "1G",
            "--time",
            "00:10:00",
        ])
        .output()
        .expect("slurm"));
    let array = std::fs::read_to_string(out.join("slurm/sweep.sbatch")).expect("array");
    for want in [
        "#SBATCH --array=0-2%2",
        "#SBATCH --cpus-per-task=2",
        "#SBATCH --mem=1G",
        "#SBATCH --time=00:10:00",
        "--shard \"$SLURM_ARRAY_TASK_ID/3\"",
        "--jobs 2",
    ] {
        assert!(array.contains(want), "missing {want} in\n{array}");
    }
    let collect = std::fs::read_to_string(out.join("slurm/collect.sbatch")).expect("collect");
    assert!(collect.contains("sweep collect"));
    let submit = std::fs::read_to_string(out.join("slurm/submit.sh")).expect("submit");
    assert!(submit.contains("--dependency=afterok:$array"), "{submit}");
    assert!(out.join("sweep.json").exists());
}

#[test]
fn an_unwritable_point_folder_is_reported_with_the_point() {
    let d = tempfile::tempdir().expect("tmp");
    let g = write(
        d.path(),
        "g.toml",
        &format!("{BASE}[sweep]\ngrid = {{ \"model.n\" = [3, 4] }}\n"),
    );
    let out = d.path().join("out");
    ok(sweep(&["--shard", "0/2"], &g, &out));
    let grid = Grid::from_file(&g).expect("grid");
    // A plain file where point 1's folder should be: neither the run nor FAILED.json can be written.
    let blocked = out.join("points").join(&grid.points[1].id);
    std::fs::write(&blocked, b"not a folder").expect("write");
    let o = sweep(&[], &g, &out);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(err.contains(&grid.points[1].id), "{err}");
    assert_eq!(std::fs::read(&blocked).expect("file"), b"not a folder");
}
