"""The chip estimate of a config, with a trace, as files and tables: what ``cimjax estimate``
and the end of every training epoch run.

- :func:`estimate_config` builds the chip from the config (:mod:`cimjax.build`)
  and runs :func:`host_estimate`: :func:`cimjax.hw.chip.estimate` on the host without
  compiling it (:mod:`cimjax.host_eval`: traced once per configuration, then a fraction of
  a second);
- :func:`neurosim_output_row` is NeuroSim's ``NeuroSim_Output.csv`` row (spec §4.5);
- :func:`breakdown_rows` is NeuroSim's per-epoch breakdown file, per layer;
- :func:`write_estimate` writes ``estimate.json``, ``estimate_layers.csv`` and
  ``estimate.png`` (per-phase and per-component breakdowns).

Host-side only (numpy, csv, matplotlib); the estimate itself is the pure function of
:mod:`cimjax.hw.chip` (sweeps and gradients jit it: :mod:`cimjax.dse`).
"""

from __future__ import annotations

import json
import os
from typing import Optional, Sequence

import jax
import numpy as np

from cimjax import build as build_lib
from cimjax.config import Config, atomic_write_text
from cimjax import trace as trace_lib

PHASES = ("fw", "ag", "wg", "wu")
BUCKETS = ("adc", "accumulation", "array", "buffer", "interconnect", "wg_unit", "wu", "dram")
AREA_BUCKETS = ("adc", "accumulation", "array", "interconnect", "wg_unit", "other")

#: ``NeuroSim_Output.csv`` columns after ``epoch`` (spec §4.5): average then peak latency and
#: energy per phase (s, J per epoch), then TOPS/W, TOPS, peak TOPS/W, peak TOPS.
NEUROSIM_OUTPUT_HEADER = (
    [f"{p}_{q}" for p in PHASES for q in ("latency_s", "energy_j")]
    + [f"peak_{p}_{q}" for p in PHASES for q in ("latency_s", "energy_j")]
    + ["tops_per_w", "tops", "peak_tops_per_w", "peak_tops"]
)


def _f(x) -> float:
    return float(np.asarray(x))


PHASES = ("fw", "ag", "wg", "wu")


def figure(est, name: str):
    """One per-epoch figure of a :class:`~cimjax.hw.chip.ChipEstimate` by dotted name (SI
    units): an attribute path (``"area.adc"``, ``"fw.peak_energy"``, ``"breakdown.dram.energy"``,
    ``"tops_per_w"``), ``"total.latency"`` / ``"total.energy"`` (the four phases summed) or
    ``"leakage.energy"`` / ``"leakage.power"``."""
    head, _, rest = name.partition(".")
    if head == "total":
        return sum(getattr(getattr(est, p), rest) for p in PHASES)
    if head == "leakage":
        return getattr(est, f"leakage_{rest}")
    value = est
    for part in name.split("."):
        value = getattr(value, part)
    return value


def neurosim_output_row(est) -> list[float]:
    """The 20 values of one ``NeuroSim_Output.csv`` row, in :data:`NEUROSIM_OUTPUT_HEADER` order."""
    row = []
    for p in PHASES:
        ph = getattr(est, p)
        row += [_f(ph.latency), _f(ph.energy)]
    for p in PHASES:
        ph = getattr(est, p)
        row += [_f(ph.peak_latency), _f(ph.peak_energy)]
    return row + [_f(est.tops_per_w), _f(est.tops), _f(est.peak_tops_per_w), _f(est.peak_tops)]


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


def write_csv(path: str, rows: list[list]) -> None:
    """Write ``rows`` as CSV atomically (floats with ``repr``, so they read back exactly)."""
    lines = [",".join(repr(v) if isinstance(v, float) else str(v) for v in row) for row in rows]
    atomic_write_text(path, "\n".join(lines) + "\n")


def plot_estimate(path: str, est, title: str) -> None:
    """PNG: per-phase latency and energy (average and peak), the energy/latency breakdown by
    component, and the area breakdown (written atomically)."""
    from matplotlib.figure import Figure  # no pyplot: no GUI backend, ~0.5 s less to import

    fig = Figure(figsize=(13, 3.8), dpi=110)
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
    tmp = path + f".tmp-{os.getpid()}.png"
    fig.savefig(tmp)
    os.replace(tmp, path)


def host_estimate(chip_config, params, trace):
    """``chip.estimate(params, chip_config, trace)`` evaluated on the host without compiling
    (:mod:`cimjax.host_eval`): for estimates that run once (the command line, each epoch).

    The traced program is kept per chip configuration and argument shapes, in this process
    and, where a cache is enabled, on disk (:func:`cimjax.compile_cache.cached_program`), so
    a later run skips tracing as well. Its numbers equal the jitted
    :func:`cimjax.hw.chip.estimate`'s to float rounding (tests: 1e-5 relative).
    """
    from cimjax import compile_cache, host_eval
    from cimjax.hw import chip

    args = (params, trace)
    prog = compile_cache.cached_program(
        "chip_estimate", repr(chip_config), args,
        lambda: host_eval.trace(lambda p, t: chip.estimate(p, config=chip_config, trace=t), *args),
    )
    return host_eval.run(prog, *args)


def estimate_config(config: Config, trace: Optional[trace_lib.Trace] = None, layers=None):
    """Build the chip of ``config`` (:func:`cimjax.build.build`) and estimate it with ``trace``
    (the build's default trace when None).

    Returns:
      ``(ChipEstimate, layers, images_per_epoch)`` (NeuroSim's ``batchSize·numIteration``).
    """
    b = build_lib.build(config, layers=layers, trace=trace)
    return jax.device_get(estimate_build(b)), b.layers, float(b.images_per_epoch)


def estimate_build(b: "build_lib.ChipBuild"):
    """The :class:`~cimjax.hw.chip.ChipEstimate` of a :class:`~cimjax.build.ChipBuild`
    (host-evaluated: :func:`host_estimate`)."""
    return host_estimate(b.chip, b.params, b.trace)


def write_estimate(out_dir: str, est, layer_names: Sequence[str], images_per_epoch: float, title: str) -> list[str]:
    """Write ``estimate.json``, ``estimate_layers.csv`` and ``estimate.png`` into ``out_dir``."""
    os.makedirs(out_dir, exist_ok=True)
    paths = [os.path.join(out_dir, n) for n in ("estimate.json", "estimate_layers.csv", "estimate.png")]
    atomic_write_text(paths[0], json.dumps(estimate_dict(est, layer_names, images_per_epoch), indent=2) + "\n")
    write_csv(paths[1], breakdown_rows(est, layer_names))
    plot_estimate(paths[2], est, title)
    return paths
