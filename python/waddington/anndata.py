"""AnnData export of a run: memories as observations, for scanpy.

``to_anndata(run)`` returns an ``anndata.AnnData`` with one observation per (recorded epoch,
memory), in epoch-major order (observation ``e·K + A`` is memory A at the e-th record):

* ``X``: the memory's 784 pixels (float64);
* ``obs``: ``epoch`` (int), ``memory`` (int), ``dominant_label`` (argmax_c ℓ_{A,c}, categorical),
  ``clade`` (the split-tree node the memory belongs to at that record, categorical; missing before
  the tree starts), ``fate`` (the memory's final dominant label, categorical);
* ``obsm``: ``alpha`` (α = M X⁺ over the P training samples), ``alpha_class`` (ᾱ per class,
  paper eq. 2), ``labels`` (ℓ_A), and ``X_umap`` when an embedding (E×K×2 or (E·K)×2) is given;
* ``uns["paga"]``: the split tree as clade groups, ``groups = "clade"``, ``connectivities`` and
  ``connectivities_tree`` (sparse, node × node, 1 between a node and its parent), so that
  ``scanpy.pl.paga(adata)`` draws the tree;
* ``uns["waddington"]``: ``config_json`` (the run config as JSON text), ``learning_order`` (classes
  in the order learned), ``learned_epoch`` (per class in that order, −1 if never), ``version``.

Write it with ``adata.write_h5ad(path)``.
"""

from __future__ import annotations

import json
from typing import Optional

import numpy as np


def to_anndata(run, analysis=None, umap: Optional[np.ndarray] = None):
    """The AnnData of a run (see the module docs). ``run`` is a :class:`waddington.Run` or a path;
    ``analysis`` defaults to :func:`waddington.analyze` of it."""
    import anndata as ad
    import pandas as pd
    import scipy.sparse as sp

    from . import Run, analyze, load_run, __version__

    if not isinstance(run, Run):
        run = load_run(run)
    if analysis is None:
        analysis = analyze(run)
    mem = run.memories
    e, k, d = mem.shape
    epochs = np.asarray(run.epochs)
    if len(analysis.epochs) != e:
        raise ValueError(f"analysis has {len(analysis.epochs)} records, the run {e}")
    n = e * k
    node_ids = [node["id"] for node in analysis.tree["nodes"]]
    clade = np.asarray(analysis.clade).reshape(n)
    clade_cat = pd.Categorical(
        [str(c) if c >= 0 else None for c in clade], categories=[str(i) for i in node_ids]
    )
    classes = run.labels.shape[2]
    label_cats = [str(c) for c in range(classes)]
    obs = pd.DataFrame(
        {
            "epoch": np.repeat(epochs, k).astype(np.int64),
            "memory": np.tile(np.arange(k), e).astype(np.int64),
            "dominant_label": pd.Categorical(
                [str(c) for c in np.asarray(analysis.identity).reshape(n)], categories=label_cats
            ),
            "clade": clade_cat,
            "fate": pd.Categorical([str(c) for c in np.tile(np.asarray(analysis.fate), e)], categories=label_cats),
        },
        index=[f"e{ep}_m{a}" for ep in epochs for a in range(k)],
    )
    adata = ad.AnnData(X=mem.reshape(n, d), obs=obs)
    adata.var_names = [f"pixel{j}" for j in range(d)]
    adata.obsm["alpha"] = np.asarray(analysis.alpha).reshape(n, -1)
    adata.obsm["alpha_class"] = np.asarray(analysis.alpha_class).reshape(n, -1)
    adata.obsm["labels"] = run.labels.reshape(n, -1)
    if umap is not None:
        u = np.asarray(umap, dtype=np.float64)
        adata.obsm["X_umap"] = u.reshape(n, 2)
    index = {nid: i for i, nid in enumerate(node_ids)}
    rows, cols = [], []
    for node in analysis.tree["nodes"]:
        if node.get("parent") is not None:
            a, b = index[node["id"]], index[node["parent"]]
            rows += [a, b]
            cols += [b, a]
    g = len(node_ids)
    conn = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(g, g))
    adata.uns["paga"] = {
        "connectivities": conn,
        "connectivities_tree": conn.copy(),
        "groups": "clade",
    }
    adata.uns["clade_sizes"] = np.array([node["size"] for node in analysis.tree["nodes"]], dtype=np.int64)
    order = analysis.learning_order
    adata.uns["waddington"] = {
        "config_json": json.dumps(run.config),
        "learning_order": np.array([c["class"] for c in order], dtype=np.int64),
        "learned_epoch": np.array(
            [-1 if c.get("learned_epoch") is None else c["learned_epoch"] for c in order], dtype=np.int64
        ),
        "version": __version__,
    }
    return adata
