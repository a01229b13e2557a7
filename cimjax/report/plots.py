"""Every PNG cimjax draws (matplotlib figures without pyplot, written atomically).

- :func:`estimate`: ``estimate.png``, per-phase and per-component breakdowns, area;
- :func:`training_curve`: ``training_curve.png``, test accuracy and loss per epoch;
- :func:`evaluate_sweep`: ``evaluate.png``, accuracy against the first swept field;
- :func:`scatter_pairs`, :func:`pareto_fronts`: ``sweep_scatter.png``, ``sweep_pareto.png``;
- :func:`trajectory`: ``trajectory.png`` of ``cimjax optimize``.
"""

from __future__ import annotations

import itertools
import os
from typing import Optional, Sequence

import numpy as np

from cimjax.dse.pareto import pareto_mask_2d
from cimjax.dse.sweep import MAXIMISE, UNITS
from cimjax.estimate import AREA_BUCKETS, BUCKETS, PHASES


def figure(width: float, height: float, dpi: int = 110):
    """A matplotlib figure drawn by Agg (no pyplot, no GUI backend, no global state)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=dpi)
    FigureCanvasAgg(fig)
    return fig


def save(fig, path: str) -> None:
    """Write ``fig`` as PNG to ``path`` atomically."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = path + f".tmp-{os.getpid()}.png"
    fig.savefig(tmp)
    os.replace(tmp, path)


def _f(x) -> float:
    return float(np.asarray(x))


def estimate(path: str, est, title: str) -> None:
    """``estimate.png``: per-phase latency and energy (average and peak), the energy/latency
    breakdown by component, and the area breakdown."""
    fig = figure(13, 3.8)
    axes = fig.subplots(1, 3)
    x = np.arange(len(PHASES))
    lat = [_f(getattr(est, p).latency) for p in PHASES]
    en = [_f(getattr(est, p).energy) for p in PHASES]
    ax = axes[0]
    ax.bar(x - 0.2, lat, 0.4, label="latency (s)", color="tab:blue")
    ax.bar(x + 0.2, en, 0.4, label="energy (J)", color="tab:red")
    ax.set_xticks(x, [p.upper() for p in PHASES])
    ax.set_yscale("log")
    ax.set_title("per phase, per epoch")
    ax.legend(fontsize=8)
    ax = axes[1]
    xb = np.arange(len(BUCKETS))
    ax.bar(xb - 0.2, [_f(getattr(est.breakdown, b).latency) for b in BUCKETS], 0.4, label="latency (s)", color="tab:blue")
    ax.bar(xb + 0.2, [_f(getattr(est.breakdown, b).energy) for b in BUCKETS], 0.4, label="energy (J)", color="tab:red")
    ax.set_xticks(xb, [b.replace("_", " ") for b in BUCKETS], rotation=40, ha="right", fontsize=8)
    ax.set_yscale("log")
    ax.set_title("by component, per epoch")
    ax.legend(fontsize=8)
    ax = axes[2]
    areas = [_f(getattr(est.area, b)) * 1e6 for b in AREA_BUCKETS]
    ax.barh(np.arange(len(AREA_BUCKETS)), areas, color="tab:green")
    ax.set_yticks(np.arange(len(AREA_BUCKETS)), [b.replace("_", " ") for b in AREA_BUCKETS], fontsize=8)
    ax.set_xlabel("mm²")
    ax.set_title(f"area, total {_f(est.area.total) * 1e6:.2f} mm²")
    fig.suptitle(title)
    # Fixed margins (room for the rotated bucket names): tight_layout measures every text box,
    # which took longer (~1.5 s) than drawing the figure.
    fig.subplots_adjust(left=0.05, right=0.99, bottom=0.24, top=0.84, wspace=0.32)
    save(fig, path)


def training_curve(path: str, epochs: Sequence[int], accuracy: Sequence[float], loss: Sequence[float],
                   title: str) -> None:
    """``training_curve.png``: test accuracy and loss against epoch."""
    from matplotlib.ticker import MaxNLocator

    fig = figure(6, 3.5, dpi=120)
    ax1 = fig.subplots()
    ax1.plot(epochs, accuracy, "o-", color="tab:blue")
    ax1.set_xlabel("epoch")
    ax1.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax1.set_ylabel("test accuracy (%)", color="tab:blue")
    ax2 = ax1.twinx()
    ax2.plot(epochs, loss, "s--", color="tab:red")
    ax2.set_ylabel("test loss", color="tab:red")
    ax1.set_title(title)
    fig.tight_layout()
    save(fig, path)


def evaluate_sweep(path: str, report: dict) -> None:
    """``evaluate.png``: accuracy against the first swept field, one line per value of the others."""
    fields = list(report["sweeps"])
    x_field, others = fields[0], fields[1:]
    lines: dict[tuple, list] = {}
    for r in report["results"]:
        lines.setdefault(tuple(r[f] for f in others), []).append((r[x_field], r["accuracy"]))
    fig = figure(6, 3.8, dpi=120)
    ax = fig.subplots()
    numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in report["sweeps"][x_field])
    for key, pts in lines.items():
        xs = [p[0] for p in pts] if numeric else [str(p[0]) for p in pts]
        label = ", ".join(f"{f}={v}" for f, v in zip(others, key)) or None
        ax.plot(xs, [p[1] for p in pts], "o-", label=label)
    if numeric and x_field == "array.retention_time":
        ax.set_xscale("log")
    if report["trained_accuracy"] is not None:
        ax.axhline(report["trained_accuracy"], ls="--", color="gray",
                   label=f"trained ({report['trained_mode']}): {report['trained_accuracy']:.1f} %")
    ax.set_xlabel(x_field)
    ax.set_ylabel("test accuracy (%)")
    ax.set_ylim(0, 100)
    ax.grid(alpha=0.3)
    ax.set_title(f"{os.path.basename(os.path.normpath(report['run_dir']))}: {report['base']['settings']['array.mode']}")
    ax.legend(fontsize=8)
    fig.tight_layout()
    save(fig, path)


# ---------------------------------------------------------------------------------------
# Sweeps and optimisations


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
    pairs = _pairs(objectives)
    fig = figure(4.6 * len(pairs), 4.0)
    axes = fig.subplots(1, len(pairs), squeeze=False)
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
    save(fig, path)


def pareto_fronts(path: str, metrics: dict, objectives: Sequence[str], pareto: np.ndarray, title: str = "") -> None:
    """Per pair of objectives: all designs (grey), the 2-D front staircase, the full front."""
    pairs = _pairs(objectives)
    fig = figure(4.6 * len(pairs), 4.0)
    axes = fig.subplots(1, len(pairs), squeeze=False)
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
    save(fig, path)


def trajectory(path: str, x_metric: str, y_metric: str, traj_x: np.ndarray, traj_y: np.ndarray, *,
               cloud: Optional[dict] = None, cloud_pareto: Optional[np.ndarray] = None,
               best: Optional[tuple] = None, grid_best: Optional[tuple] = None,
               bound: Optional[tuple] = None, title: str = "") -> None:
    """Trajectories ``(steps, starts)`` in the (x_metric, y_metric) plane over a sweep cloud.

    ``best``/``grid_best``: ``(x, y)`` of the rounded gradient optimum and the grid's best;
    ``bound``: ``("x" or "y", value)`` draws a constraint line.
    """
    fig = figure(6.4, 4.8, dpi=120)
    ax = fig.subplots()
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
    save(fig, path)
