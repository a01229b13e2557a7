"""The chip estimate of a config, with a trace: what ``cimjax estimate`` and the end of every
training epoch run (their tables and files: :mod:`cimjax.report`).

- :func:`estimate_config` builds the chip from the config (:mod:`cimjax.build`)
  and runs :func:`host_estimate`: :func:`cimjax.hw.chip.estimate` on the host without
  compiling it (:mod:`cimjax.host_eval`: traced once per configuration, then a fraction of
  a second);
- :func:`figure` reads one figure of an estimate by dotted name.

Host-side only; the estimate itself is the pure function of
:mod:`cimjax.hw.chip` (sweeps and gradients jit it: :mod:`cimjax.dse`).
"""

from __future__ import annotations

from typing import Optional

import jax

from cimjax import build as build_lib
from cimjax import trace as trace_lib
from cimjax.config import Config

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


def algorithm_estimate_build(b: "build_lib.ChipBuild", est=None):
    """What the training rule of ``b`` (``train.optimizer``, :attr:`~cimjax.build.ChipBuild.algorithm`)
    adds to the chip: :func:`cimjax.hw.algorithm_cost.algorithm_estimate` (host-evaluated; its
    extra-array area is a copy of the cell arrays of ``est``, the build's estimate, computed when
    None). With a run's measured counts (:attr:`~cimjax.build.ChipBuild.measured`) the transfer
    phase, buffer traffic and endurance are the measured ones, else the rule's bounds. The chip
    estimate itself is unchanged by the rule."""
    from cimjax import host_eval
    from cimjax.hw.algorithm_cost import algorithm_estimate

    est = estimate_build(b) if est is None else est
    counts = b.algorithm if b.algorithm is not None else build_lib.algorithm_counts(b.config, b.facts)
    return jax.device_get(host_eval.call(
        lambda p, t, c, a, m: algorithm_estimate(p, b.chip, t, c, a, m), b.params, b.trace, counts, est.area.array,
        b.measured))


def endurance_figures(alg_est, endurance_cycles=None) -> dict:
    """The endurance figures of an :class:`~cimjax.hw.algorithm_cost.AlgorithmEstimate`: the
    most pulses one device receives per epoch (the bound, or a run's measured maximum) and per
    10⁴ epochs, and, with
    ``device.endurance_cycles``, the share of the endurance that 10⁴ epochs use and the epochs
    until it is spent."""
    per_epoch = float(alg_est.max_pulses_per_epoch)
    out = {"max_pulses_per_device_per_epoch": per_epoch, "max_pulses_per_device_per_1e4_epochs": 1e4 * per_epoch,
           "endurance_cycles": endurance_cycles}
    if endurance_cycles is not None:
        out["endurance_used_per_1e4_epochs"] = 1e4 * per_epoch / float(endurance_cycles)
        out["epochs_to_endurance"] = float(endurance_cycles) / per_epoch if per_epoch > 0 else float("inf")
    return out
