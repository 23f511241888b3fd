#!/usr/bin/env python3
"""Speed of one training epoch: waddington against a vectorised NumPy version of the same rule.

The NumPy version below is written from the spec (reference-experiments.md §1, §2.2, §2.7), not
taken from the paper's code: full-batch label-weighted rule, r = max(M·xᵀ, 0)/T, h = rⁿ,
s = tanh(Lᵀh), q = sign(e)|e|^(2m−1)(1 − s²) with e = s − t, G_L = h·qᵀ, G_M = ((L·q) ∘ rⁿ⁻¹)·X,
per-row max-abs normalisation, momentum, the velocity's own normalisation, labels clipped, memories
divided by max(1, ‖M_A‖∞). Everything is a NumPy array operation (two GEMMs through OpenBLAS).

In one run the script
  1. trains the Figure-3 setting with `waddington train` for --epochs epochs (recording the last),
  2. trains the same initial state on the same samples with the NumPy version and checks that the
     final memories and labels agree (max |Δ|; they are the same rule in f64, so ~1e−13),
  3. times one epoch of each: `waddington bench` (median of blocks) and the NumPy loop, with
     OpenBLAS on 1 and on 2 threads (separate processes, since the thread count is fixed when
     NumPy loads), and prints the ratios.

Run from the repository root after `cargo build --release`:
    python3 benches/numpy_epoch.py [--epochs 200] [--bin target/release/waddington]
Needs numpy (pip install numpy). Not part of the test suite.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time


def train_numpy(x, t, m0, l0, n, m, temperature, rate, momentum, epochs):
    """Full-batch label-weighted training (spec §2.2), returns (M, L, seconds per epoch)."""
    import numpy as np

    mem, lab = m0.copy(), l0.copy()
    vm, vl = np.zeros_like(mem), np.zeros_like(lab)
    tt = t.T  # C×P

    def rownorm(g):
        mx = np.abs(g).max(axis=1, keepdims=True)
        return np.divide(g, mx, out=np.zeros_like(g), where=mx > 0)

    t0 = time.perf_counter()
    for _ in range(epochs):
        r = np.maximum(mem @ x.T, 0.0) / temperature  # K×P
        r1 = r ** (n - 1.0)
        h = r1 * r
        s = np.tanh(lab.T @ h)  # C×P
        e = s - tt
        q = np.sign(e) * np.abs(e) ** (2.0 * m - 1.0) * (1.0 - s * s)
        g_l = h @ q.T  # K×C
        g_m = ((lab @ q) * r1) @ x  # K×N
        vl = momentum * vl - rownorm(g_l)
        vm = momentum * vm - rownorm(g_m)
        lab = np.clip(lab + rate * rownorm(vl), -1.0, 1.0)
        mem = mem + rate * rownorm(vm)
        mem /= np.maximum(1.0, np.abs(mem).max(axis=1, keepdims=True))
    return mem, lab, (time.perf_counter() - t0) / epochs


def numpy_only(args):
    """Child process: time the NumPy loop on the run folder's arrays, print JSON."""
    import numpy as np

    run = args.run
    x = np.load(os.path.join(run, "samples.npy"))
    t = np.load(os.path.join(run, "targets.npy"))
    tr = np.load(os.path.join(run, "trajectory.npz"))
    mem, lab, sec = train_numpy(x, t, tr["memories"][0], tr["labels"][0], 30.0, 30.0, 670.0, 0.005, 0.0,
                                args.epochs)
    dm = float(np.abs(mem - tr["memories"][-1]).max())
    dl = float(np.abs(lab - tr["labels"][-1]).max())
    print(json.dumps({"seconds_per_epoch": sec, "max_dm": dm, "max_dl": dl,
                      "epochs_compared": int(tr["epochs"][-1])}))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=200)
    ap.add_argument("--bin", default="target/release/waddington")
    ap.add_argument("--numpy-only", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--run", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.numpy_only:
        numpy_only(args)
        return
    if not os.path.exists(args.bin):
        sys.exit(f"{args.bin}: not found (build it with `cargo build --release`, or pass --bin)")
    with tempfile.TemporaryDirectory() as tmp:
        run = os.path.join(tmp, "run")
        subprocess.run([args.bin, "train", "--out", run, "--epochs", str(args.epochs), "--save-every",
                        str(args.epochs), "--threads", "1"], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        rows = []
        for threads in (1, 2):
            out = subprocess.run([args.bin, "bench", "--threads", str(threads), "--blocks", "9"],
                                 check=True, capture_output=True, text=True).stdout
            ours = json.loads(out[: out.rindex("}") + 1])["epoch_seconds"]
            env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
            res = json.loads(subprocess.run([sys.executable, __file__, "--numpy-only", "--run", run,
                                             "--epochs", str(args.epochs)], check=True,
                                            capture_output=True, text=True, env=env).stdout)
            rows.append((threads, ours, res))
    print(f"NumPy vs waddington trainer, {rows[0][2]['epochs_compared']} epochs of the Figure-3 setting "
          f"(K = 100, P = 200, n = 30, T = 670): max |ΔM| = {rows[0][2]['max_dm']:.2e}, "
          f"max |ΔL| = {rows[0][2]['max_dl']:.2e}")
    print("threads | waddington epoch | NumPy epoch | NumPy / waddington")
    for threads, ours, res in rows:
        np_s = res["seconds_per_epoch"]
        print(f"{threads:7} | {ours * 1e3:13.3f} ms | {np_s * 1e3:8.3f} ms | {np_s / ours:8.2f}×")


if __name__ == "__main__":
    main()
