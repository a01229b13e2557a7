"""PNG plots of sweeps and optimisations (matplotlib, Agg, written atomically).

- :func:`scatter_pairs`: every pair of objectives, all designs coloured by one parameter,
  the Pareto front (of all objectives) outlined;
- :func:`pareto_fronts`: per pair of objectives, the 2-D non-dominated staircase and the
  points of the full front;
- :func:`trajectory`: optimisation trajectories (each start) over the Pareto cloud of a
  sweep, with the gradient optimum and the grid's best point marked.
"""

from __future__ import annotations

import itertools
import os
from typing import Optional, Sequence

import numpy as np

from cimjax.dse.pareto import pareto_mask_2d
from cimjax.dse.sweep import MAXIMISE, UNITS


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: str) -> None:
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = path + f".tmp-{os.getpid()}.png"
    fig.savefig(tmp)
    _plt().close(fig)
    os.replace(tmp, path)


_SHORT = {"energy": "J/epoch", "latency": "s/epoch"}


def _label(name: str) -> str:
    return f"{name} ({_SHORT.get(name, UNITS[name])})" if name in UNITS else name


def _colors(values) -> tuple[np.ndarray, Optional[list]]:
    """Numeric colour values, and the category labels for strings."""
    v = np.asarray(values)
    if v.dtype == object:
        cats = sorted(set(v.tolist()))
        return np.asarray([cats.index(x) for x in v], float), cats
    return v.astype(float), None


def _pairs(objectives: Sequence[str]) -> list:
    pairs = list(itertools.combinations(objectives, 2))
    return pairs or [(objectives[0], objectives[0])]


def scatter_pairs(path: str, metrics: dict, objectives: Sequence[str], pareto: np.ndarray,
                  color: Optional[np.ndarray] = None, color_name: str = "", title: str = "") -> None:
    """Pairwise scatter of the objectives (log axes), coloured by ``color``."""
    plt = _plt()
    pairs = _pairs(objectives)
    fig, axes = plt.subplots(1, len(pairs), figsize=(4.6 * len(pairs), 4.0), dpi=110, squeeze=False)
    c, cats = _colors(color) if color is not None else (None, None)
    for ax, (a, b) in zip(axes[0], pairs):
        x, y = np.asarray(metrics[a]), np.asarray(metrics[b])
        sc = ax.scatter(x, y, c=c, s=6, cmap="viridis", alpha=0.6, linewidths=0)
        ax.scatter(x[pareto], y[pareto], s=16, facecolors="none", edgecolors="red", linewidths=0.8,
                   label=f"Pareto front ({int(pareto.sum())})")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(_label(a))
        ax.set_ylabel(_label(b))
        ax.legend(fontsize=7, loc="best")
    if c is not None:
        cb = fig.colorbar(sc, ax=axes[0].tolist(), shrink=0.85)
        cb.set_label(color_name)
        if cats:
            cb.set_ticks(range(len(cats)))
            cb.set_ticklabels(cats)
    fig.suptitle(title or f"{len(pareto):,} designs")
    _save(fig, path)


def pareto_fronts(path: str, metrics: dict, objectives: Sequence[str], pareto: np.ndarray, title: str = "") -> None:
    """Per pair of objectives: all designs (grey), the 2-D front staircase, the full front."""
    plt = _plt()
    pairs = _pairs(objectives)
    fig, axes = plt.subplots(1, len(pairs), figsize=(4.6 * len(pairs), 4.0), dpi=110, squeeze=False)
    for ax, (a, b) in zip(axes[0], pairs):
        x, y = np.asarray(metrics[a], float), np.asarray(metrics[b], float)
        sx, sy = (-1.0 if a in MAXIMISE else 1.0), (-1.0 if b in MAXIMISE else 1.0)
        front2 = pareto_mask_2d(np.stack([sx * x, sy * y], axis=1))
        ax.scatter(x, y, s=4, color="0.75", linewidths=0, label="designs")
        ax.scatter(x[pareto], y[pareto], s=10, color="tab:blue", linewidths=0, label=f"{len(objectives)}-D front")
        order = np.argsort(x[front2])
        ax.step(x[front2][order], y[front2][order], where="post", color="red", lw=1.2, label=f"{a}–{b} front")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(_label(a))
        ax.set_ylabel(_label(b))
        ax.legend(fontsize=7)
    fig.suptitle(title or "Pareto fronts")
    fig.tight_layout()
    _save(fig, path)


def trajectory(path: str, x_metric: str, y_metric: str, traj_x: np.ndarray, traj_y: np.ndarray, *,
               cloud: Optional[dict] = None, cloud_pareto: Optional[np.ndarray] = None,
               best: Optional[tuple] = None, grid_best: Optional[tuple] = None,
               bound: Optional[tuple] = None, title: str = "") -> None:
    """Trajectories ``(steps, starts)`` in the (x_metric, y_metric) plane over a sweep cloud.

    ``best``/``grid_best``: ``(x, y)`` of the rounded gradient optimum and the grid's best;
    ``bound``: ``("x" or "y", value)`` draws a constraint line.
    """
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.4, 4.8), dpi=120)
    if cloud is not None:
        ax.scatter(cloud[x_metric], cloud[y_metric], s=3, color="0.8", linewidths=0, label="grid designs")
        if cloud_pareto is not None:
            ax.scatter(np.asarray(cloud[x_metric])[cloud_pareto], np.asarray(cloud[y_metric])[cloud_pareto],
                       s=8, color="tab:blue", linewidths=0, label="grid Pareto front")
    for s in range(traj_x.shape[1]):
        ax.plot(traj_x[:, s], traj_y[:, s], "-", lw=0.9, alpha=0.8, color="tab:orange",
                label="gradient trajectories" if s == 0 else None)
        ax.plot(traj_x[0, s], traj_y[0, s], "o", ms=3, color="tab:orange")
    if best is not None:
        ax.plot(*best, "*", ms=14, color="red", label="gradient optimum (rounded, exact)")
    if grid_best is not None:
        ax.plot(*grid_best, "P", ms=10, color="black", label="best grid point")
    if bound is not None:
        (ax.axvline if bound[0] == "x" else ax.axhline)(bound[1], color="red", ls="--", lw=0.8, label="budget")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(_label(x_metric))
    ax.set_ylabel(_label(y_metric))
    ax.legend(fontsize=7)
    ax.set_title(title)
    fig.tight_layout()
    _save(fig, path)
