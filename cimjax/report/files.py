"""Every CSV and JSON output of cimjax, through one writer (:func:`write_csv`,
:func:`write_json`: atomic, numbers written so they read back exactly); only a run's
``config.json`` is written by :func:`cimjax.config.save_config`, below this package.

- a training run's per-epoch logs (:class:`EpochCsv`) and NeuroSim's per-epoch rows
  (:func:`neurosim_output_row`, :func:`breakdown_rows`);
- ``cimjax estimate``: ``estimate.json`` (:func:`estimate_dict` plus the mapping of
  :mod:`cimjax.report.mapping`), ``estimate_layers.csv`` and ``estimate.png``
  (:func:`write_estimate`);
- ``cimjax evaluate``: ``evaluate.csv``, ``evaluate.json``, ``evaluate_trace.csv``,
  ``evaluate.png`` (:func:`write_evaluate`);
- ``cimjax sweep`` / ``optimize``: :func:`write_sweep`, :func:`write_optimize`.
"""

from __future__ import annotations

import json
import os
from typing import Optional, Sequence

import numpy as np

from cimjax import fileio
from cimjax.config import atomic_write_text
from cimjax.errors import InputError
from cimjax.dse.sweep import MAXIMISE, METRICS, UNITS
from cimjax.estimate import AREA_BUCKETS, BUCKETS, PHASES
from cimjax.report import plots

#: ``NeuroSim_Output.csv`` columns after ``epoch``: average then peak latency and energy per
#: phase (s, J per epoch), then TOPS/W, TOPS, peak TOPS/W, peak TOPS.
NEUROSIM_OUTPUT_HEADER = (
    [f"{p}_{q}" for p in PHASES for q in ("latency_s", "energy_j")]
    + [f"peak_{p}_{q}" for p in PHASES for q in ("latency_s", "energy_j")]
    + ["tops_per_w", "tops", "peak_tops_per_w", "peak_tops"]
)


# ---------------------------------------------------------------------------------------
# The writer


def _cell(v) -> str:
    """A CSV cell: floats with ``repr`` (they read back exactly), integers as integers."""
    if isinstance(v, (str, bool, np.bool_)):
        return str(v)
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        return repr(float(v))
    return str(v)


def write_csv(path: str, rows) -> None:
    """Write ``rows`` (the header first) as CSV, atomically."""
    atomic_write_text(path, "".join(",".join(_cell(v) for v in row) + "\n" for row in rows))


def write_json(path: str, data) -> None:
    """Write ``data`` as indented JSON, atomically."""
    atomic_write_text(path, json.dumps(data, indent=2) + "\n")


class EpochCsv:
    """A CSV log with an ``epoch`` column first, one row per finished epoch, rewritten after
    every epoch. A resumed run reloads its earlier rows and appends to them, so the file ends
    up byte-identical to an uninterrupted run's."""

    def __init__(self, path: str, header: Sequence[str]):
        if not header or header[0] != "epoch":
            raise ValueError(f"{path}: the first column must be 'epoch', got {list(header)!r}")
        self.path = path
        self.header = list(header)
        self.rows: list[list[float]] = []

    def load(self, before_epoch: int) -> None:
        """Reload rows of epochs ``< before_epoch`` (a resumed run's finished epochs)."""
        self.rows = []
        if not os.path.exists(self.path):
            return
        try:  # every cell a number (a diverged run's NaN loss included), naming row and column if not
            header, rows = fileio.read_csv(self.path, finite=False, what="per-epoch log")
        except InputError as err:
            raise InputError(f"{err}; cannot resume from it: repair or delete the file, or start afresh "
                             f"without --resume") from None
        if header != self.header:
            return  # another layout (e.g. a different network): start afresh
        for values in rows:
            if int(values[0]) < before_epoch:
                self.rows.append([int(values[0])] + values[1:])

    def append(self, epoch: int, values: Sequence[float]) -> None:
        if len(values) != len(self.header) - 1:
            raise ValueError(f"{self.path}: {len(values)} values for {len(self.header) - 1} columns")
        self.rows.append([int(epoch)] + [float(v) for v in values])
        self.write()

    def write(self) -> None:
        write_csv(self.path, [self.header, *self.rows])

    def column(self, name: str) -> list[float]:
        i = self.header.index(name)
        return [row[i] for row in self.rows]


# ---------------------------------------------------------------------------------------
# The chip estimate


def _f(x) -> float:
    return float(np.asarray(x))


def neurosim_output_row(est) -> list[float]:
    """The 20 values of one ``NeuroSim_Output.csv`` row, in :data:`NEUROSIM_OUTPUT_HEADER` order."""
    row = []
    for p in PHASES:
        ph = getattr(est, p)
        row += [_f(ph.latency), _f(ph.energy)]
    for p in PHASES:
        ph = getattr(est, p)
        row += [_f(ph.peak_latency), _f(ph.peak_energy)]
    row += [_f(est.tops_per_w), _f(est.tops), _f(est.peak_tops_per_w), _f(est.peak_tops)]
    fileio.check_finite(dict(zip(NEUROSIM_OUTPUT_HEADER, row)), "the chip estimate (NeuroSim_Output.csv row)")
    return row


def breakdown_rows(est, layer_names: Sequence[str]) -> list[list]:
    """NeuroSim's breakdown file as rows: an area row, one row per layer (16 phase values,
    then latency and energy of each component bucket, then leakage power), a total row."""
    header = ["row"]
    header += [f"{p}_{q}" for p in PHASES for q in ("latency_s", "energy_j", "peak_latency_s", "peak_energy_j")]
    header += [f"{b}_{q}" for b in BUCKETS for q in ("latency_s", "energy_j")]
    header += ["leakage_power_w", "leakage_energy_j"]
    rows = [header]
    area = est.area
    rows.append(["area_m2", _f(area.total)] + [_f(getattr(area, b)) for b in AREA_BUCKETS])

    def phase_values(src, i=None):
        out = []
        for p in PHASES:
            ph = getattr(src, p)
            for x in (ph.latency, ph.energy, ph.peak_latency, ph.peak_energy):
                out.append(_f(np.asarray(x)[i] if i is not None else x))
        for b in BUCKETS:
            le = getattr(src.breakdown, b)
            for x in (le.latency, le.energy):
                out.append(_f(np.asarray(x)[i] if i is not None else x))
        for x in (src.leakage_power, src.leakage_energy):
            out.append(_f(np.asarray(x)[i] if i is not None else x))
        return out

    for i, name in enumerate(layer_names):
        rows.append([name] + phase_values(est.layers, i))
    rows.append(["total"] + phase_values(est))
    fileio.check_finite({f"{r[0]}.{h}": v for r in rows[1:] for h, v in zip(header[1:], r[1:])},
                        "the chip estimate (breakdown)")
    return rows


def estimate_dict(est, layer_names: Sequence[str], images_per_epoch: float) -> dict:
    """A JSON-ready summary: area buckets (m²), per-phase totals, breakdown, per layer, rates."""
    def phase(ph, i=None):
        pick = (lambda x: _f(np.asarray(x)[i])) if i is not None else _f
        return {k: pick(getattr(ph, k)) for k in ("latency", "energy", "peak_latency", "peak_energy")}

    def buckets(src, i=None):
        pick = (lambda x: _f(np.asarray(x)[i])) if i is not None else _f
        return {b: {"latency": pick(getattr(src.breakdown, b).latency), "energy": pick(getattr(src.breakdown, b).energy)}
                for b in BUCKETS}

    return {
        "units": "area m^2; latency s and energy J per epoch; leakage power W",
        "images_per_epoch": images_per_epoch,
        "area": {"total": _f(est.area.total), **{b: _f(getattr(est.area, b)) for b in AREA_BUCKETS}},
        "phases": {p: phase(getattr(est, p)) for p in PHASES},
        "breakdown": buckets(est),
        "leakage_power": _f(est.leakage_power),
        "leakage_energy": _f(est.leakage_energy),
        "num_ops": _f(est.num_ops),
        "tops": _f(est.tops),
        "tops_per_w": _f(est.tops_per_w),
        "peak_tops": _f(est.peak_tops),
        "peak_tops_per_w": _f(est.peak_tops_per_w),
        "epochs_per_s": _f(est.epochs_per_s),
        "layers": {
            name: {
                "phases": {p: phase(getattr(est.layers, p), i) for p in PHASES},
                "breakdown": buckets(est.layers, i),
                "leakage_power": _f(np.asarray(est.layers.leakage_power)[i]),
            }
            for i, name in enumerate(layer_names)
        },
    }


def algorithm_dict(name: str, alg, endurance: dict, layer_names: Sequence[str], counts: str = "bound") -> dict:
    """A JSON-ready summary of what the training rule ``name`` adds to the chip: an
    :class:`~cimjax.hw.algorithm_cost.AlgorithmEstimate` (SI units, per epoch) and the
    endurance figures of :func:`cimjax.estimate.endurance_figures`; ``counts``: where the counts
    come from (``"bound"``, the rule's schedule, or a run's measured counts)."""
    le = lambda x: {"latency": _f(x.latency), "energy": _f(x.energy)}  # noqa: E731
    return {
        "optimizer": name,
        "counts": counts,
        "area": {"extra_arrays": _f(alg.array_area), "buffer": _f(alg.buffer_area)},
        "buffer_leakage_power": _f(alg.buffer_leakage),
        "transfer": {**le(alg.transfer), "read": le(alg.transfer_read), "write": le(alg.transfer_write),
                     "buffer": le(alg.buffer)},
        "transfer_reads": _f(alg.transfer_reads),
        "adc_conversions": _f(alg.adc_conversions),
        "buffer_bits_read": _f(alg.buffer_bits_read),
        "buffer_bits_written": _f(alg.buffer_bits_written),
        "layers": {n: {"latency": _f(np.asarray(alg.layer_latency)[i]), "energy": _f(np.asarray(alg.layer_energy)[i])}
                   for i, n in enumerate(layer_names)},
        "endurance": {k: (None if v is None else _f(v)) for k, v in endurance.items()},
    }


def write_estimate(out_dir: str, est, layer_names: Sequence[str], images_per_epoch: float, mapping: dict,
                   title: str, algorithm: dict | None = None) -> list[str]:
    """Write ``estimate.json`` (:func:`estimate_dict`; under ``"mapping"``, ``mapping``
    of :func:`cimjax.report.mapping.mapping` with the per-layer entries named as the layers;
    under ``"algorithm"``, ``algorithm`` (:func:`algorithm_dict`) when given),
    ``estimate_layers.csv`` and ``estimate.png`` into ``out_dir``; return their paths.

    Raises:
      RunError: a figure is not finite (naming it); nothing is written then.
    """
    os.makedirs(out_dir, exist_ok=True)
    paths = [os.path.join(out_dir, n) for n in ("estimate.json", "estimate_layers.csv", "estimate.png")]
    data = estimate_dict(est, layer_names, images_per_epoch)
    data["mapping"] = {"layers": dict(zip(layer_names, mapping["layers"])), "chip": mapping["chip"]}
    if algorithm is not None:
        data["algorithm"] = algorithm
    fileio.check_finite(data, paths[0])  # no estimate is written with a NaN or an infinity
    rows = breakdown_rows(est, layer_names)
    write_json(paths[0], data)
    write_csv(paths[1], rows)
    plots.estimate(paths[2], est, title)
    return paths


# ---------------------------------------------------------------------------------------
# cimjax evaluate

#: Columns of ``evaluate_trace.csv``: the per-layer read counts of the base setting.
TRACE_COLUMNS = ["layer", "kind", "bit_serial", "adc_mode", "adc_bits", "subarrays", "input_bit_density",
                 "adc_conversions_per_image", "adc_conversions_transposed_per_image",
                 "subarray_reads_per_image", "subarray_activations_per_image"]


def write_evaluate(report: dict, out_dir: str) -> None:
    """``evaluate.csv`` (one row per setting, the base first, then the sweep in command-line
    order: the swept fields, ``accuracy`` in %, ``test_loss``), ``evaluate.json`` (the whole
    report), ``evaluate_trace.csv`` (the base setting's read counts per layer) and, with a
    sweep, ``evaluate.png`` (:func:`cimjax.report.plots.evaluate_sweep`)."""
    fields = list(report["sweeps"])
    base = {"setting": "base", **{f: report["base"]["settings"][f] for f in fields},
            "accuracy": report["base"]["accuracy"], "test_loss": report["base"]["test_loss"]}
    columns = ["setting", *fields, "accuracy", "test_loss"]
    rows = [base] + [{"setting": "sweep", **r} for r in report["results"]]
    write_csv(os.path.join(out_dir, "evaluate.csv"), [columns] + [[r[c] for c in columns] for r in rows])
    write_json(os.path.join(out_dir, "evaluate.json"), report)
    if report["trace"]:
        write_csv(os.path.join(out_dir, "evaluate_trace.csv"),
                  [TRACE_COLUMNS] + [[r[c] for c in TRACE_COLUMNS] for r in report["trace"]])
    if fields:
        plots.evaluate_sweep(os.path.join(out_dir, "evaluate.png"), report)


# ---------------------------------------------------------------------------------------
# cimjax sweep / optimize


def write_sweep(out_dir: str, result, grid, *, title: str = "", plots_too: bool = True) -> list[str]:
    """Write a sweep's files; return their paths: ``sweep.csv`` (one row per design: its
    parameters, static group, every metric of :data:`cimjax.dse.sweep.METRICS`, ``pareto``
    0/1), ``pareto.csv`` (the front rows only), ``sweep.json`` (grid, units, timings, the
    front's indices, the best design per metric), ``sweep_scatter.png``, ``sweep_pareto.png``."""
    os.makedirs(out_dir, exist_ok=True)
    names = list(result.points)
    header = names + ["group"] + list(METRICS) + ["pareto"]
    # A design whose metric is not finite (outside the models) is never on the front; its cell is
    # left empty, so no NaN or infinity is written (sweep.json counts them: finite_fraction).
    metrics = [np.where(np.isfinite(np.asarray(result.metrics[k], float)), np.asarray(result.metrics[k], float), None)
               for k in METRICS]
    cols = [result.points[k] for k in names] + [result.group] + [[("" if v is None else v) for v in m] for m in metrics]

    def rows(mask: Optional[np.ndarray] = None):
        idx = range(result.num_designs) if mask is None else np.flatnonzero(mask)
        return [header] + [[c[i] for c in cols] + [int(result.pareto[i])] for i in idx]

    paths = [os.path.join(out_dir, n) for n in ("sweep.csv", "pareto.csv", "sweep.json")]
    write_csv(paths[0], rows())
    write_csv(paths[1], rows(result.pareto))
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
    write_json(paths[2], {
        "grid": grid.source, "sample": grid.sample, "num_designs": result.num_designs,
        "parameters": {a.name: ({"values": list(a.values)} if a.values is not None
                                else {"min": a.lo, "max": a.hi, "num": a.num, "scale": a.scale}) for a in grid.axes},
        "objectives": list(result.objectives), "units": UNITS, "maximised": sorted(MAXIMISE & set(METRICS)),
        "pareto_indices": np.flatnonzero(result.pareto).tolist(),
        "num_pareto": int(result.pareto.sum()),
        "finite_fraction": float(np.mean(np.isfinite(result.metrics["energy"]))),
        "timing": result.timing, "devices": result.devices, "best": best,
    })
    if plots_too:
        color_name = grid.color_by or names[0]
        p1, p2 = os.path.join(out_dir, "sweep_scatter.png"), os.path.join(out_dir, "sweep_pareto.png")
        plots.scatter_pairs(p1, result.metrics, result.objectives, result.pareto, result.points[color_name],
                            color_name, title=title)
        plots.pareto_fronts(p2, result.metrics, result.objectives, result.pareto, result.points, title=title)
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
    """Write ``optimize.json`` (best design, its exact metrics, feasibility, the base design's
    metrics, counts, timings), ``trajectory.csv`` (step, start, parameters, objective and
    constraint metrics in the gradient mode) and ``trajectory.png``; return their paths."""
    os.makedirs(out_dir, exist_ok=True)
    paths = [os.path.join(out_dir, n) for n in ("optimize.json", "trajectory.csv", "trajectory.png")]
    summary = optimize_dict(res)
    fileio.check_finite({k: summary[k] for k in ("best", "best_metrics", "base_metrics")}, paths[0])
    write_json(paths[0], summary)
    steps, starts, _ = res.trajectory_x.shape
    cons = [c.metric for c in res.constraints]
    header = ["step", "start"] + list(res.names) + [res.objective] + [f"constraint_{m}" for m in cons]
    write_csv(paths[1], [header] + [[t, s] + list(res.trajectory_x[t, s]) + [res.trajectory_obj[t, s]]
                                    + list(res.trajectory_cons[t, s]) for t in range(steps) for s in range(starts)])
    steps_axis = np.broadcast_to(np.arange(1, steps + 1)[:, None], res.trajectory_obj.shape).astype(float)
    plots.trajectory(paths[2], "step", res.objective, steps_axis, res.trajectory_obj,
                     best=(steps, res.best_metrics[res.objective]),
                     title=title or f"{res.objective} during the descent ({starts} starts)")
    return paths
