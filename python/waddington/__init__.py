"""waddington: dense (generalised) Hopfield networks that learn like cells differentiate.

The model (spec ``reference-experiments.md`` §1): memories M_A ∈ R^784 and labels ℓ_A ∈ [−1, 1]^10;
for an input x the outputs are

    s_c(x) = tanh( Σ_A ℓ_{A,c} (max(M_A·x, 0)/T)^n ),

trained on the loss E = Σ_p Σ_c |s_c(x_p) − t_{p,c}|^(2m) with the reference's max-abs normalised
gradient steps. This package is the Rust library seen from Python: numpy in and out, the GIL
released during long work, Ctrl-C stopping a run cleanly (it stays resumable).

Entry points
------------
* :func:`train` — train a run config (a dict with the TOML's structure, or a path) into a folder.
* :func:`load_run` — a run folder: ``epochs``, ``memories`` (E×K×784), ``labels`` (E×K×C),
  ``config``, ``summary``; arrays read on first use.
* :func:`analyze` — the Waddington analysis: α (E×K×P), ᾱ per class (E×K×C), identity, learning
  order, the split tree.
* :func:`to_anndata` (in :mod:`waddington.anndata`) — one observation per (epoch, memory), for scanpy.
* the reduced two-memory theory: :func:`reduced_diagram`, :func:`reduced_fixed_points`;
* the bifurcating networks: :func:`critical_points` of the landscapes, :func:`simulate`;
* :func:`umap_fit`, :func:`umap_transform`; :func:`reproduce`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Callable, Mapping, Optional, Sequence, Union

import numpy as np

from . import _core

__all__ = [
    "Run",
    "Analysis",
    "train",
    "load_run",
    "analyze",
    "to_anndata",
    "reduced_diagram",
    "reduced_fixed_points",
    "critical_points",
    "simulate",
    "umap_fit",
    "umap_transform",
    "reproduce",
    "__version__",
]

__version__ = _core.version()

PathLike = Union[str, "os.PathLike[str]"]


class Run:
    """A run folder (``docs/run-folder.md``). ``memories`` and ``labels`` are read on first use."""

    def __init__(self, path: PathLike):
        self.path = Path(path)
        config, summary, epochs = _core.run_info(str(self.path))
        #: The run config (dict with the TOML's structure).
        self.config: dict = json.loads(config)
        #: The summary (dict), or ``None`` while the run is unfinished.
        self.summary: Optional[dict] = json.loads(summary) if summary is not None else None
        #: Recorded epochs (int64, E).
        self.epochs: np.ndarray = epochs
        self._memories: Optional[np.ndarray] = None
        self._labels: Optional[np.ndarray] = None

    @property
    def memories(self) -> np.ndarray:
        """Recorded memories M_A (float64, E×K×784)."""
        if self._memories is None:
            self._memories = _core.run_memories(str(self.path))
        return self._memories

    def memories_at(self, epoch: Optional[int] = None) -> np.ndarray:
        """The memories (K×784) recorded at ``epoch`` (default: the last record), read alone: for
        large runs, without loading the whole trajectory."""
        return _core.run_memories_at(str(self.path), epoch)

    @property
    def labels(self) -> np.ndarray:
        """Recorded labels ℓ_A (float64, E×K×C)."""
        if self._labels is None:
            self._labels = _core.run_labels(str(self.path))
        return self._labels

    def __repr__(self) -> str:
        k = self.config["model"]["memories"]
        return f"Run({str(self.path)!r}, {len(self.epochs)} records, K = {k})"


class Analysis:
    """The Waddington analysis of a run (``docs/landscape.md``).

    Arrays (numpy): ``epochs`` (E), ``alpha`` α = M X⁺ (E×K×P), ``alpha_class`` ᾱ per class (E×K×C),
    ``max_alpha`` (E×K), ``identity`` argmax_c ℓ (E×K), ``membership`` (E×K), ``clade`` (tree node of
    every memory at every record, E×K), ``labels`` (E×K×C), ``fate`` (K), ``recognition`` (E×C, when
    recorded). Dicts: ``summary`` (learning order, splits, canalisation, …) and ``tree`` (the split
    tree: ``nodes`` with ``id, parent, children, members, size, split_epoch, epoch_start,
    epoch_end``).
    """

    def __init__(self, summary: dict, arrays: Mapping[str, Any]):
        self.summary = summary
        arrays = dict(arrays)
        self.tree: dict = json.loads(arrays.pop("tree_json"))
        self.arrays = arrays
        for k, v in arrays.items():
            setattr(self, k, v)
        if not hasattr(self, "recognition"):
            self.recognition = None

    @property
    def learning_order(self) -> list:
        """Classes in the order they were learned (spec §3.7), with their epochs."""
        return self.summary["learning_order"]

    @property
    def splits(self) -> list:
        """The splits of the tree: epoch, parent, children."""
        return self.summary["splits"]


def _config_json(config: Union[Mapping[str, Any], PathLike]) -> str:
    if isinstance(config, Mapping):
        return json.dumps(config)
    if isinstance(config, (str, os.PathLike)):
        return _core.read_config(str(config))
    raise ValueError(f"config: expected a dict or a path to a TOML file, got {type(config).__name__}")


def train(
    config: Union[Mapping[str, Any], PathLike],
    out: Optional[PathLike] = None,
    progress: Optional[Callable[[int, int], Any]] = None,
) -> Run:
    """Train a run config into the run folder ``out`` (default: a new temporary folder) and return
    the :class:`Run`.

    ``config`` is a dict with the TOML's structure (sections ``data``, ``init``, ``model``,
    ``train``; omitted keys take their defaults, unknown keys raise ``ValueError``) or a path to a
    TOML file. An interrupted run of the same config in ``out`` is continued; a finished one, or
    one of another config, is refused (``ValueError``). ``progress(done, total)`` is called after
    every epoch; an exception it raises stops the run (resumable) and is re-raised. The GIL is
    released while training; Ctrl-C stops after the current epoch and raises ``KeyboardInterrupt``
    (the folder stays resumable: the same call continues it).
    """
    if out is None:
        import tempfile

        out = tempfile.mkdtemp(prefix="waddington-run-")
    _core.train(_config_json(config), str(out), progress)
    return Run(out)


def load_run(path: PathLike) -> Run:
    """Open a run folder written by :func:`train` or ``waddington train``."""
    return Run(path)


def analyze(run: Union[Run, PathLike]) -> Analysis:
    """The Waddington analysis of a run (α by Moore–Penrose, ᾱ per class, identities, learning
    order, split tree; spec §3)."""
    path = run.path if isinstance(run, Run) else Path(run)
    summary, arrays = _core.analyze(str(path))
    return Analysis(json.loads(summary), arrays)


def to_anndata(run: Union[Run, PathLike], analysis: Optional[Analysis] = None, umap: Optional[np.ndarray] = None):
    """One observation per (epoch, memory) as ``anndata.AnnData``; see :mod:`waddington.anndata`."""
    from .anndata import to_anndata as _to_anndata

    return _to_anndata(run, analysis, umap)


def reduced_diagram(
    dots: Sequence[float],
    temperature: float,
    n_min: float = 1.2,
    n_max: float = 72.0,
    memories: float = 1.0,
) -> dict:
    """Bifurcation diagram in n of the reduced two-memory system (spec §5.6) for a pair with dot
    products ``dots = (d_AA, d_AB, d_BB)`` at temperature T (T_eff = T/K^(1/n) with K = ``memories``):
    branches of fixed points with stability, folds, branch points."""
    return json.loads(_core.reduced_diagram(list(map(float, dots)), float(temperature), n_min, n_max, memories))


def reduced_fixed_points(dots: Sequence[float], n: float, temperature: float, memories: float = 1.0) -> list:
    """All fixed points of the reduced system at (n, T) with their stability (spec §5.5)."""
    return json.loads(_core.reduced_fixed_points(list(map(float, dots)), float(n), float(temperature), memories))


def critical_points(potential: str, **params: float) -> list:
    """All critical points of a built-in landscape (``heteroclinic-flip``, ``binary-choice``,
    ``cusp``, …) at the given parameters, classified (spec bifurcating §6.1)."""
    return json.loads(_core.critical_points(potential, [(k, float(v)) for k, v in params.items()]))


def simulate(scenario: Optional[PathLike] = None, realisation: int = 0) -> dict:
    """Simulate a bifurcating-network scenario (a TOML file as for ``waddington bifurcate
    simulate``; ``None``: the Figure-1 scenario of bifurcating-hopfield §7). Returns a dict with
    numpy arrays ``t`` (T), ``m`` (overlaps, T×P), ``z`` (landscape position, T×d), ``theta``
    (parameters, T×k), ``x`` (gene states, T×N, when the patterns are known), the located
    ``events`` (list of dicts: name, t, from, to) and ``final_pattern``."""
    arrays, events, final = _core.bifurcating_simulate(None if scenario is None else str(scenario), realisation)
    out = dict(arrays)
    out["events"] = json.loads(events)
    out["final_pattern"] = final
    return out


def umap_fit(
    x: np.ndarray,
    n_neighbors: int = 55,
    min_dist: float = 0.05,
    seed: int = 4,
    model_dir: Optional[PathLike] = None,
) -> np.ndarray:
    """Fit UMAP (correlation metric; spec §3.8) on the rows of ``x`` (N×D float64) and return the
    N×2 embedding; the model is saved in ``model_dir`` when given (for :func:`umap_transform`)."""
    x = np.ascontiguousarray(x, dtype=np.float64)
    return _core.umap_fit(x, n_neighbors, min_dist, seed, None if model_dir is None else str(model_dir))


def umap_transform(model_dir: PathLike, x: np.ndarray) -> np.ndarray:
    """Map the rows of ``x`` into a UMAP model saved by :func:`umap_fit` or ``waddington embed fit``."""
    return _core.umap_transform(str(model_dir), np.ascontiguousarray(x, dtype=np.float64))


def reproduce(
    figure: str,
    out: PathLike,
    scale: str = "quick",
    samples: Optional[PathLike] = None,
    seed: int = 0,
    jobs: int = 1,
) -> dict:
    """Reproduce a paper figure (``fig1`` … ``fig8``, ``bif1``) into ``out`` at ``quick`` or
    ``paper`` scale; returns its report (checks against the paper and the spec)."""
    return json.loads(
        _core.reproduce_figure(figure, str(out), scale, None if samples is None else str(samples), seed, jobs)
    )
