"""Files of ``cimjax sweep`` and ``cimjax optimize``: plain CSV + JSON (+ PNG plots).

Sweep (``OUT/``): ``sweep.csv`` (one row per design: its parameters, static group, every
metric of :data:`cimjax.dse.sweep.METRICS`, ``pareto`` 0/1), ``pareto.csv`` (the front rows
only), ``sweep.json`` (grid, units, timings, the front's indices, the best design per
metric), ``sweep_scatter.png``, ``sweep_pareto.png``.

Optimisation: ``optimize.json`` (best design, its exact metrics, feasibility, the base
design's metrics, counts, timings), ``trajectory.csv`` (step, start, parameters, objective
and constraint metrics in the gradient mode), ``trajectory.png``.
"""

from __future__ import annotations

import json
import os

import numpy as np

from cimjax.config import atomic_write_text
from cimjax.dse import plots
from cimjax.dse.sweep import MAXIMISE, METRICS, UNITS


def _fmt(v) -> str:
    if isinstance(v, str):
        return v
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    return repr(float(v))


def _csv(path: str, header: list, rows) -> None:
    atomic_write_text(path, "\n".join([",".join(header)] + [",".join(_fmt(v) for v in r) for r in rows]) + "\n")


def write_sweep(out_dir: str, result, grid, *, title: str = "", plots_too: bool = True) -> list[str]:
    """Write the sweep files (module docstring); return their paths."""
    os.makedirs(out_dir, exist_ok=True)
    names = list(result.points)
    header = names + ["group"] + list(METRICS) + ["pareto"]
    cols = [result.points[k] for k in names] + [result.group] + [result.metrics[k] for k in METRICS]

    def rows(mask=None):
        idx = range(result.num_designs) if mask is None else np.flatnonzero(mask)
        for i in idx:
            yield [c[i] for c in cols] + [int(result.pareto[i])]

    paths = [os.path.join(out_dir, n) for n in ("sweep.csv", "pareto.csv", "sweep.json")]
    _csv(paths[0], header, rows())
    _csv(paths[1], header, rows(result.pareto))
    best = {}
    for m in METRICS:
        v = np.asarray(result.metrics[m], float)
        v = np.where(np.isfinite(v), v, np.nan)
        if np.all(np.isnan(v)):
            continue
        i = int(np.nanargmax(v) if m in MAXIMISE else np.nanargmin(v))
        best[m] = {"index": i, "value": float(v[i]),
                   "design": {k: (result.points[k][i] if isinstance(result.points[k][i], str)
                                  else float(result.points[k][i])) for k in names}}
    meta = {
        "grid": grid.source, "sample": grid.sample, "num_designs": result.num_designs,
        "parameters": {a.name: ({"values": list(a.values)} if a.values is not None
                                else {"min": a.lo, "max": a.hi, "num": a.num, "scale": a.scale}) for a in grid.axes},
        "objectives": list(result.objectives), "units": UNITS, "maximised": sorted(MAXIMISE & set(METRICS)),
        "pareto_indices": np.flatnonzero(result.pareto).tolist(),
        "num_pareto": int(result.pareto.sum()),
        "finite_fraction": float(np.mean(np.isfinite(result.metrics["energy"]))),
        "timing": result.timing, "devices": result.devices, "best": best,
    }
    atomic_write_text(paths[2], json.dumps(meta, indent=2) + "\n")
    if plots_too:
        color_name = grid.color_by or names[0]
        p1, p2 = os.path.join(out_dir, "sweep_scatter.png"), os.path.join(out_dir, "sweep_pareto.png")
        plots.scatter_pairs(p1, result.metrics, result.objectives, result.pareto, result.points[color_name],
                            color_name, title=title)
        plots.pareto_fronts(p2, result.metrics, result.objectives, result.pareto, title=title)
        paths += [p1, p2]
    return paths


def optimize_dict(res) -> dict:
    """JSON-ready summary of an :class:`cimjax.dse.optimize.OptResult`."""
    return {
        "objective": res.objective,
        "constraints": [{"metric": c.metric, "bound": c.bound, "upper": c.upper, "text": c.text}
                        for c in res.constraints],
        "best": res.best, "best_metrics": res.best_metrics, "feasible": res.feasible,
        "base_metrics": res.base_metrics, "parameters": list(res.names),
        "candidates_checked_exact": res.candidates, "evaluations": res.evaluations,
        "steps": int(res.trajectory_x.shape[0]), "starts": int(res.trajectory_x.shape[1]),
        "timing": res.timing, "units": UNITS,
    }


def write_optimize(out_dir: str, res, *, title: str = "") -> list[str]:
    """Write the optimisation files (module docstring); return their paths."""
    os.makedirs(out_dir, exist_ok=True)
    paths = [os.path.join(out_dir, n) for n in ("optimize.json", "trajectory.csv", "trajectory.png")]
    atomic_write_text(paths[0], json.dumps(optimize_dict(res), indent=2) + "\n")
    steps, starts, _ = res.trajectory_x.shape
    cons = [c.metric for c in res.constraints]
    header = ["step", "start"] + list(res.names) + [res.objective] + [f"constraint_{m}" for m in cons]
    _csv(paths[1], header, ([t, s] + list(res.trajectory_x[t, s]) + [res.trajectory_obj[t, s]]
                            + list(res.trajectory_cons[t, s]) for t in range(steps) for s in range(starts)))
    steps_axis = np.broadcast_to(np.arange(1, steps + 1)[:, None], res.trajectory_obj.shape).astype(float)
    plots.trajectory(paths[2], "step", res.objective, steps_axis, res.trajectory_obj,
                     title=title or f"{res.objective} during the descent ({starts} starts)")
    return paths
