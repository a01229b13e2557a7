"""What the tests against NeuroSim's own runs share (test_hw_neurosim_variants.py,
test_hw_sram_neurosim.py, test_hw_neurosim_v21.py): the cases of a reference file, cimjax's estimate of a run's
``--set`` overrides on the trace of the synthetic layer files, and the ±10 % check."""

from __future__ import annotations

import os

import pytest

from helpers import ROOT

from cimjax import build as build_lib
from cimjax.config import apply_overrides, load_config
from cimjax.estimate import estimate_build, figure

#: The synthetic layer files NeuroSim ran on, and their cimjax trace (``hardware_trace.csv``).
TRACE = os.path.join(ROOT, "tests", "fixtures", "neurosim_variants")
TOLERANCE = 0.10
# NeuroSim's units: areas in mm², latency in s, energy in J; cimjax's figures are SI.
SCALE = {"area": 1e6}

_ESTIMATES: dict = {}


def cases(runs: dict, xfail: dict):
    """``pytest.param(name, figure)`` for every figure of every run; a ``(name, figure)`` in
    ``xfail`` is a strict xfail with its reason."""
    for name, run in runs.items():
        for fig in run["figures"]:
            marks = pytest.mark.xfail(strict=True, reason=xfail[(name, fig)]) if (name, fig) in xfail else ()
            yield pytest.param(name, fig, marks=marks, id=f"{name}-{fig}")


def estimate(overrides, config: str = "vgg8_cifar10.py", trace_dir: str = TRACE) -> object:
    """cimjax's estimate of ``configs/<config>`` with ``overrides`` on the trace in ``trace_dir``
    (its ``hardware_trace.csv``; cached)."""
    key = (tuple(overrides), config, trace_dir)
    if key not in _ESTIMATES:
        cfg = apply_overrides(load_config(os.path.join(ROOT, "configs", config)), list(overrides))
        b = build_lib.build(cfg)
        trace = build_lib.trace_from_run(trace_dir, len(b.layers))
        _ESTIMATES[key] = estimate_build(build_lib.build(cfg, layers=b.layers, trace=trace))
    return _ESTIMATES[key]


def check_within_tolerance(run: dict, name: str, fig: str) -> None:
    expected = run["figures"][fig]
    got = float(figure(estimate(run["cimjax_set"]), fig)) * SCALE.get(fig.split(".")[0], 1.0)
    assert abs(got / expected - 1.0) <= TOLERANCE, f"{name} {fig}: cimjax/NeuroSim = {got / expected:.3f}"
