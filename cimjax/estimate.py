"""The chip estimate of a config, with a trace: what ``cimjax estimate`` and the end of every
training epoch run (their tables and files: :mod:`cimjax.report`).

- :func:`trace_from_run` reads a training run's per-epoch ``hardware_trace.csv`` into a
  :class:`~cimjax.hw.trace.Trace` (the last epoch by default);
- :func:`estimate_config` builds the chip from the config (:mod:`cimjax.hw.from_config`)
  and runs :func:`host_estimate`: :func:`cimjax.hw.chip.estimate` on the host without
  compiling it (:mod:`cimjax.host_eval`: traced once per configuration, then a fraction of
  a second);
- :func:`figure` reads one figure of an estimate by dotted name.

Host-side only (numpy, csv); the estimate itself is the pure function of
:mod:`cimjax.hw.chip` (sweeps and gradients jit it: :mod:`cimjax.dse`).
"""

from __future__ import annotations

import csv
import os
from typing import Optional, Sequence

import jax
import numpy as np

from cimjax.config import Config, ConfigError
from cimjax.hw import trace as hw_trace

#: The training phases of a :class:`~cimjax.hw.chip.ChipEstimate`: forward, activation
#: gradient, weight gradient, weight update.
PHASES = ("fw", "ag", "wg", "wu")
#: Component buckets of its latency / energy breakdown.
BUCKETS = ("adc", "accumulation", "array", "buffer", "interconnect", "wg_unit", "wu", "dram")
#: Its area buckets (``area.total`` is their sum).
AREA_BUCKETS = ("adc", "accumulation", "array", "interconnect", "wg_unit", "other")


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


# ---------------------------------------------------------------------------------------
# Traces from a run directory


def _last_row(path: str, epoch: Optional[int]) -> tuple[list[str], list[float]]:
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: not found (is this a cimjax training run directory?)")
    with open(path) as f:
        rows = list(csv.reader(f))
    header, body = rows[0], [[float(v) for v in r] for r in rows[1:] if r]
    if not body:
        raise ConfigError(f"{path}: no finished epoch recorded yet")
    if epoch is None:
        return header, body[-1]
    for r in body:
        if int(r[0]) == epoch:
            return header, r
    raise ConfigError(f"{path}: no row for epoch {epoch} (epochs recorded: {[int(r[0]) for r in body]})")


#: Trace fields per layer in ``hardware_trace.csv`` of runs before ``read_occupancy`` (the
#: first six :class:`~cimjax.hw.trace.Trace` fields, in order).
_TRACE_FIELDS_BEFORE_OCCUPANCY = 6


def trace_from_run(run_dir: str, num_layers: int, epoch: Optional[int] = None) -> hw_trace.Trace:
    """The :class:`~cimjax.hw.trace.Trace` a training run recorded for ``epoch`` (last if None).

    Reads ``hardware_trace.csv`` (every trace field per layer, written by ``cimjax train``:
    the :class:`~cimjax.hw.trace.Trace` fields in order, each for every layer). Files of runs
    before the read occupancy was recorded hold the first 6 fields; their occupancy is 1
    (i.i.d.-like input bits, the estimator's earlier assumption). Runs without the file (older
    runs) fall back to ``input_activity.csv`` for the activities and ``weight_dist.csv`` for
    the level (the per-layer weight mean ``m`` gives ``(m + 1)/2``), with no weight update
    and occupancy 1.

    Raises:
      FileNotFoundError: neither file is there;
      ConfigError: no (such) epoch, a row whose value count is neither 7 nor 6 per layer, or
        values outside a field's range (naming the field).
    """
    path = os.path.join(run_dir, "hardware_trace.csv")
    if os.path.exists(path):
        _, row = _last_row(path, epoch)
        values = np.asarray(row[1:], float)
        n_fields = len(hw_trace.Trace._fields)
        counts = (n_fields, _TRACE_FIELDS_BEFORE_OCCUPANCY)
        if num_layers < 1 or values.size not in tuple(c * num_layers for c in counts):
            raise ConfigError(f"{path}: {values.size} values, expected {n_fields} per layer (or "
                              f"{_TRACE_FIELDS_BEFORE_OCCUPANCY} in runs before the read occupancy) "
                              f"for the config's {num_layers} layers")
        fields = values.reshape(-1, num_layers)
        try:
            return hw_trace.make_trace(*fields)  # a 6-field row leaves read_occupancy at 1
        except ValueError as e:
            raise ConfigError(f"{path}: {e}") from e
    _, act = _last_row(os.path.join(run_dir, "input_activity.csv"), epoch)
    _, wd = _last_row(os.path.join(run_dir, "weight_dist.csv"), epoch)
    activity = act[1:]
    if len(activity) != num_layers:
        raise ConfigError(f"{run_dir}: the trace has {len(activity)} layers, the config's network {num_layers}")
    level = np.clip((np.asarray(wd[1:1 + num_layers]) + 1.0) / 2.0, 0.0, 1.0)
    return hw_trace.make_trace(np.clip(activity, 0.0, 1.0), level)


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


def estimate_config(config: Config, trace: Optional[hw_trace.Trace] = None, layers=None):
    """Build the chip of ``config`` and estimate it with ``trace`` (NeuroSim's default-run
    read trace when None and the network has 8 layers, else activity 0.5 everywhere).

    Returns:
      ``(ChipEstimate, layers, images_per_epoch)`` (NeuroSim's ``batchSize·numIteration``).
    """
    from cimjax.hw import from_config

    params, chip_config = from_config.chip_from_config(config, layers=layers)
    n = len(chip_config.layers)
    if trace is None:
        trace = hw_trace.default_trace() if n == len(hw_trace.DEFAULT_RUN_ACTIVITIES) else hw_trace.make_trace([0.5] * n)
    if trace.num_layers != n:
        raise ConfigError(f"the trace has {trace.num_layers} layers, the config's network {n}")
    est = host_estimate(chip_config, params, trace)
    images = float(np.asarray(params.batch_size) * np.asarray(params.num_iterations))
    return jax.device_get(est), chip_config.layers, images
