"""The demo from Python: the paper's Figure-3 run (K = 100 memories, 20 embedded MNIST digits per
class, n = 30, T = 670, 3 500 epochs), its learning order, and its split tree drawn with matplotlib.

    pip install ./python matplotlib anndata
    python examples/python/demo.py [OUT_FOLDER]

Writes OUT_FOLDER/run (the run folder), OUT_FOLDER/tree.png and, with anndata installed,
OUT_FOLDER/demo.h5ad (one observation per recorded epoch and memory).
"""

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import waddington as w  # noqa: E402

out = Path(sys.argv[1] if len(sys.argv) > 1 else "runs/python-demo")
out.mkdir(parents=True, exist_ok=True)

# An empty config is the Figure-3 setting; every key of the TOML can be given, e.g.
# {"model": {"n": 3.0}, "train": {"epochs": 2000}}.
if (out / "run" / "summary.json").exists():
    run = w.load_run(out / "run")  # a finished run is never trained again
else:
    run = w.train({}, out / "run", progress=lambda done, total: None)
print(run)
analysis = w.analyze(run)

print("learning order (class: epoch learned):")
for c in analysis.learning_order:
    print(f"  {c['class']}: {c['learned_epoch']}")
print(f"{len(analysis.splits)} splits; the first ones:")
for s in analysis.splits[:5]:
    print(f"  epoch {s['epoch']}: node {s['parent']} -> {s['children']}")

# The split tree: each node a bar from its first to its last epoch, its thickness ∝ its memories,
# coloured by the final identity (fate) that at least 80 % of its members share (grey: mixed);
# leaves ordered depth first.
nodes = {n["id"]: n for n in analysis.tree["nodes"]}
roots = [n["id"] for n in analysis.tree["nodes"] if n["parent"] is None]
fate = np.asarray(analysis.fate)
ypos = {}


def place(i):
    kids = nodes[i]["children"]
    if not kids:
        ypos[i] = len([k for k in ypos if not nodes[k]["children"]])
    else:
        for k in kids:
            place(k)
        ypos[i] = float(np.mean([ypos[k] for k in kids]))


for r in roots:
    place(r)
cmap = plt.get_cmap("tab10")
fig, ax = plt.subplots(figsize=(9, 4.5), dpi=150)
k = max(1, run.config["model"]["memories"])
for i, n in nodes.items():
    members = n["members"]
    counts = np.bincount(fate[members], minlength=10) if members else np.zeros(10)
    colour = cmap(int(counts.argmax())) if members and counts.max() >= 0.8 * len(members) else "0.1"
    ax.plot([n["epoch_start"], n["epoch_end"]], [ypos[i], ypos[i]], color=colour, lw=1 + 12 * n["size"] / k,
            solid_capstyle="butt")
    if n["parent"] is not None:
        p = n["parent"]
        ax.plot([n["epoch_start"], n["epoch_start"]], [ypos[p], ypos[i]], color="0.6", lw=0.8)
for c in range(10):
    ax.plot([], [], color=cmap(c), lw=4, label=str(c))
ax.plot([], [], color="0.1", lw=4, label="mixed")
ax.legend(title="final identity", fontsize=7, title_fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0),
          frameon=False)
ax.set_xlabel("epoch")
ax.set_yticks([])
ax.set_title(f"Split tree of the demo run (n = {run.config['model']['n']:g}, T = {run.config['model']['temperature']:g})")
fig.tight_layout()
fig.savefig(out / "tree.png")
print(f"wrote {out / 'tree.png'}")

try:
    adata = w.to_anndata(run, analysis)
except ImportError:
    print("anndata is not installed: no .h5ad written")
else:
    adata.write_h5ad(out / "demo.h5ad")
    print(f"wrote {out / 'demo.h5ad'}: {adata.n_obs} observations × {adata.n_vars} pixels")
