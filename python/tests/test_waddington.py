"""Tests of the Python package: runs equal the CLI's bit for bit, shapes/dtypes/names, errors,
the GIL released during training, interruption and resumption, AnnData export."""

import json
import os
import subprocess
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import waddington as w

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("WADDINGTON_BIN", ROOT / "target" / "release" / "waddington"))

SMALL = {
    "seed": 3,
    "data": {"per_class": 3, "digits": [1, 4, 7]},
    "model": {"memories": 6, "n": 20.0, "temperature": 500.0},
    "train": {"epochs": 60, "save_every": 10, "checkpoint_every": 20},
}

TOML = """seed = 3
[data]
per_class = 3
digits = [1, 4, 7]
[model]
memories = 6
n = 20.0
temperature = 500.0
[train]
epochs = 60
save_every = 10
checkpoint_every = 20
"""


def npz_arrays(path):
    with np.load(path) as z:
        return {k: z[k] for k in z.files}


def test_a_python_run_equals_the_cli_run_bit_for_bit(tmp_path):
    if not BIN.exists():
        pytest.skip(f"the CLI binary {BIN} is not built (cargo build --release)")
    cfg = tmp_path / "run.toml"
    cfg.write_text(TOML)
    subprocess.run([str(BIN), "train", "--config", str(cfg), "--out", str(tmp_path / "cli")], check=True,
                   capture_output=True)
    w.train(SMALL, tmp_path / "py")
    w.train(cfg, tmp_path / "py_from_toml")
    cli = npz_arrays(tmp_path / "cli" / "trajectory.npz")
    for other in ["py", "py_from_toml"]:
        py = npz_arrays(tmp_path / other / "trajectory.npz")
        assert cli.keys() == py.keys()
        for k in cli:
            assert np.array_equal(cli[k], py[k]), (other, k)


def test_shapes_dtypes_and_names(tmp_path):
    run = w.train(SMALL, tmp_path / "r")
    assert run.epochs.dtype == np.int64 and list(run.epochs) == [0, 10, 20, 30, 40, 50, 60]
    assert run.memories.shape == (7, 6, 784) and run.memories.dtype == np.float64
    assert run.labels.shape == (7, 6, 10) and run.labels.dtype == np.float64
    assert run.config["model"]["memories"] == 6 and run.summary["epochs"] == 60
    again = w.load_run(tmp_path / "r")
    assert np.array_equal(again.memories, run.memories)
    assert np.array_equal(again.memories_at(30), run.memories[3])
    assert np.array_equal(again.memories_at(), run.memories[-1])
    with pytest.raises(ValueError):
        again.memories_at(35)
    tmp_run = w.train(SMALL)  # out=None: a new temporary folder
    assert np.array_equal(tmp_run.memories, run.memories)
    a = w.analyze(run)
    assert a.alpha.shape == (7, 6, 9) and a.alpha_class.shape == (7, 6, 10)
    assert a.identity.shape == (7, 6) and a.identity.dtype == np.int64
    assert a.clade.shape == (7, 6) and a.fate.shape == (6,)
    assert all({"id", "parent", "children", "members", "size", "epoch_start", "epoch_end"} <= set(n)
               for n in a.tree["nodes"])
    assert sorted(c["class"] for c in a.learning_order) == [1, 4, 7]
    # α reconstructs the memories on the training samples' span: ᾱ per class sums α over its samples.
    assert np.allclose(a.alpha_class[..., [1, 4, 7]].sum(-1), a.alpha.sum(-1))


def test_bad_input_raises_value_error(tmp_path):
    with pytest.raises(ValueError, match="bogus"):
        w.train({"model": {"bogus": 1}}, tmp_path / "a")
    with pytest.raises(ValueError, match="memories"):
        w.train({"model": {"memories": 0}}, tmp_path / "b")
    with pytest.raises(ValueError):
        w.train(42, tmp_path / "c")
    with pytest.raises((ValueError, OSError)):
        w.load_run(tmp_path / "does-not-exist")
    w.train(SMALL, tmp_path / "d")
    with pytest.raises(ValueError, match="finished"):
        w.train(dict(SMALL, seed=4), tmp_path / "d")


def test_other_python_threads_run_during_training(tmp_path):
    cfg = json.loads(json.dumps(SMALL))
    cfg["data"]["per_class"] = 20
    cfg["model"]["memories"] = 40
    cfg["train"] = {"epochs": 400, "save_every": 400, "checkpoint_every": 0}
    ticks = []
    stop = threading.Event()

    def count():
        while not stop.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.001)

    t = threading.Thread(target=count)
    t.start()
    start = time.perf_counter()
    w.train(cfg, tmp_path / "r")
    end = time.perf_counter()
    stop.set()
    t.join()
    during = [x for x in ticks if start < x < end]
    # The counter ticks about once a millisecond while the GIL is free; with the GIL held it would
    # not tick at all between the start and the end of training.
    assert end - start > 0.05
    assert len(during) >= 0.2 * (end - start) / 0.001, (len(during), end - start)


def test_an_exception_in_the_callback_stops_the_run_resumably(tmp_path):
    def stop_at_50(done, total):
        if done == 50:
            raise RuntimeError("stop here")

    with pytest.raises(RuntimeError, match="stop here"):
        w.train(SMALL, tmp_path / "r", progress=stop_at_50)
    assert not (tmp_path / "r" / "summary.json").exists()
    seen = []
    w.train(SMALL, tmp_path / "r", progress=lambda d, t: seen.append(d))
    # Resumed from the last checkpoint (every 20 epochs: after epoch 40), not from the start.
    assert seen[0] == 41 and seen[-1] == 60, seen
    w.train(SMALL, tmp_path / "whole")
    a = npz_arrays(tmp_path / "r" / "trajectory.npz")
    b = npz_arrays(tmp_path / "whole" / "trajectory.npz")
    for k in a:
        assert np.array_equal(a[k], b[k]), k


def test_ctrl_c_stops_training_resumably(tmp_path):
    import signal

    cfg = json.loads(json.dumps(SMALL))
    cfg["data"]["per_class"] = 20
    cfg["model"]["memories"] = 40
    cfg["train"] = {"epochs": 3000, "save_every": 100, "checkpoint_every": 10}
    seen = []
    timer = threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        w.train(cfg, tmp_path / "r", progress=lambda d, t: seen.append(d))
    timer.cancel()
    assert 0 < seen[-1] < 3000
    assert not (tmp_path / "r" / "summary.json").exists()
    resumed = []
    run = w.train(cfg, tmp_path / "r", progress=lambda d, t: resumed.append(d))
    assert resumed[0] > 1 and run.summary["epochs"] == 3000


def test_anndata_export_reads_back(tmp_path):
    anndata = pytest.importorskip("anndata")
    run = w.train(SMALL, tmp_path / "r")
    a = w.analyze(run)
    ad = w.to_anndata(run, a)
    assert ad.n_obs == 7 * 6 and ad.n_vars == 784
    assert list(ad.obs.columns) == ["epoch", "memory", "dominant_label", "clade", "fate"]
    assert np.array_equal(ad.X[6 * 3 + 2], run.memories[3, 2])
    assert ad.obsm["alpha"].shape == (42, 9)
    assert ad.uns["paga"]["groups"] == "clade"
    g = len(a.tree["nodes"])
    assert ad.uns["paga"]["connectivities"].shape == (g, g)
    path = tmp_path / "r.h5ad"
    ad.write_h5ad(path)
    back = anndata.read_h5ad(path)
    assert np.array_equal(back.X, ad.X)
    assert list(back.obs["epoch"]) == list(ad.obs["epoch"])
    assert json.loads(back.uns["waddington"]["config_json"])["seed"] == 3
    assert list(back.uns["waddington"]["learning_order"]) == [c["class"] for c in a.learning_order]


def test_scanpy_draws_the_tree_with_paga(tmp_path):
    sc = pytest.importorskip("scanpy", reason="scanpy is not installed here")
    pytest.importorskip("igraph", reason="scanpy's PAGA plot needs igraph, not installed here")
    import matplotlib

    matplotlib.use("Agg")
    # K = 30 on the 60 samples of [1, 4, 7] at n = 30, T = 800: a tree of about twenty clades.
    cfg = {
        "seed": 0,
        "data": {"per_class": 20, "digits": [1, 4, 7]},
        "model": {"memories": 30, "n": 30.0, "temperature": 800.0},
        "train": {"epochs": 3500, "rate": 0.0035, "save_every": 50, "checkpoint_every": 0},
    }
    run = w.train(cfg, tmp_path / "r")
    a = w.analyze(run)
    assert len(a.tree["nodes"]) > 3
    ad = w.to_anndata(run, a)
    sc.pl.paga(ad, show=False)
    matplotlib.pyplot.savefig(tmp_path / "paga.png")
    assert (tmp_path / "paga.png").stat().st_size > 1000


def test_reduced_bifurcating_and_umap_entry_points(tmp_path):
    d = w.reduced_diagram([753.22, 494.02, 719.70], 700.0, 20.0, 40.0)
    assert d["branches"] and all("points" in b for b in d["branches"])
    fps = w.reduced_fixed_points([753.22, 494.02, 719.70], 30.0, 700.0)
    assert any(f["stability"] == "stable" for f in fps)
    cps = w.critical_points("cusp", a=-1.0, b=0.0)
    assert sorted(c["kind"] for c in cps) == ["minimum", "minimum", "saddle"]
    sim = w.simulate()
    assert sim["m"].shape[0] == sim["t"].shape[0] and sim["events"]
    assert sim["final_pattern"] is not None
    rng = np.random.default_rng(0)
    x = np.vstack([rng.normal(0, 1, (30, 8)), rng.normal(6, 1, (30, 8))])
    y = w.umap_fit(x, n_neighbors=10, model_dir=tmp_path / "umap")
    assert y.shape == (60, 2)
    z = w.umap_transform(tmp_path / "umap", x[:5])
    assert z.shape == (5, 2)
