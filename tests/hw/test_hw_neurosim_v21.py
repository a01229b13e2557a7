"""NeuroSim V2.1's own runs against cimjax's ``hardware.neurosim_code = "v2_1"`` (issue 15).

NeuroSim V2.1 (18289cb) was built outside this repository with its shipped makefile and run with
its shipped ``Param.cpp`` (``default``) and one-knob variants of it (``SARADC = true``:
``hardware.adc_type = sar``; ``currentMode = false``: ``hardware.adc_type = mlsa_voltage``;
``technode = 14`` with ``wireWidth = 22``, a FinFET node: ``hardware.technology_node_nm = 14``,
``hardware.wire_width_nm = 22``; the same at ``temp = 350``: ``hardware.temperature_k = 350``,
V2.1's FinFET on-current tables and sense-amplifier power term; the 14 nm run with
``polarization = 0``: ``hardware.fefet_polarization = 0``, its weight-update energies only) on
the synthetic layer files of the V2.0 variant runs (``tests/fixtures/neurosim_v21/reference.json``
says how); only its printed figures are stored.
cimjax estimates ``configs/neurosim_v21.py`` (V2.1's ``Param.cpp``) from a trace of the very same
files (``hardware_trace.csv`` there: the V2.0 variants' trace with the write statistics at V2.1's
60 levels). Every stored figure must be within ±10 %; a miss is a strict ``xfail`` with the
measured ratio and what is known of its cause (``XFAIL``).
"""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from helpers import ROOT
from neurosim_runs import estimate as _estimate

from cimjax.estimate import figure

HERE = os.path.join(ROOT, "tests", "fixtures", "neurosim_v21")
REFERENCE = json.load(open(os.path.join(HERE, "reference.json")))
RUNS = REFERENCE["variants"]
FIGURES = RUNS["default"]["figures"]
TOLERANCE = 0.10

#: The 14 nm (FinFET) run: before cimjax's FinFET standard cells followed NeuroSim's layout
#: (``gates.py``, docs/model.md §5.9: 28 F cells, since 34/28 in ``formula.cpp`` is an integer
#: division), 19 figures missed (areas 1.12–1.35×). The FW/AG peak latency (1.117), accumulation
#: latency (1.165) and layer 7's AG latency (1.119) missed until the adder took NeuroSim's own stage
#: sequence (``Adder.cpp`` ``CalculateLatency``, ``logic.adder_latency``: pull-down 2·R_on,n and
#: pull-up R_on,p alternating, 2·numBit + 1 stages, where cimjax's netlist had 2·numBit + 4 stages
#: at max(2·R_on,n, R_on,p); a FinFET NAND2's pull-up is 8 % slower than its pull-down, at 32 nm
#: they are equal): now 1.006, 1.008, 1.006.
#: The 14 nm runs' array and buffer energies (1.119 / 1.128) missed until a FinFET transmission
#: gate's input took NeuroSim's ``CalculateGateCap`` (``gates.py``; NeuroSim sizes every TG gate load,
#: ``capTgGateN/P`` of ``DFF.cpp`` and ``NewSwitchMatrix.cpp``, with it, where cimjax used
#: ``CalculateGateCapacitance``'s double-scaled fins: 2× at 14 nm; the array figure is the WL/SL
#: switch matrices' energy, the buffer's the DFF clock TGs); found on an instrumented V2.1 run.
#: The FC layers' misses (WU 1.13, layer 7/8 AG 0.67–0.89) closed with the write cells, PE DFF
#: buffer and H-tree energy fixes (benchmarks/README.md, "Against NeuroSim V2.1's runs").
XFAIL: dict = {}


def estimate(overrides=()):
    """cimjax's estimate of ``configs/neurosim_v21.py`` (plus ``overrides``) on the run's trace."""
    return _estimate(overrides, config="neurosim_v21.py", trace_dir=HERE)


def ours(est, name: str) -> float:
    """cimjax's figure ``name`` in the reference's units (areas mm², ``layers.layerN.*`` per layer)."""
    if name.startswith("layers."):
        _, layer, phase, quantity = name.split(".")
        return float(np.asarray(getattr(getattr(est.layers, phase), quantity))[int(layer[5:]) - 1])
    return float(figure(est, name)) * (1e6 if name.startswith("area.") else 1.0)


def _cases():
    for run, spec in RUNS.items():
        for name, value in spec["figures"].items():
            if value == 0.0:
                continue  # the first layer's AG: test_first_layer_has_no_ag_as_in_neurosim
            key = (run, name)
            marks = [pytest.mark.xfail(strict=True, reason=XFAIL[key])] if key in XFAIL else []
            if run != "default":
                marks.append(pytest.mark.slow)  # one more estimate of VGG-8 (~15 s)
            yield pytest.param(run, name, marks=marks, id=f"{run}-{name}")


@pytest.mark.parametrize("run,name", list(_cases()))
def test_within_ten_percent_of_neurosim_v21(run, name):
    got, expected = ours(estimate(RUNS[run]["cimjax_set"]), name), RUNS[run]["figures"][name]
    assert abs(got / expected - 1.0) <= TOLERANCE, f"{run} {name}: cimjax/NeuroSim V2.1 = {got / expected:.3f}"


@pytest.mark.slow  # two more estimates of VGG-8 at 14 nm (~30 s)
def test_fefet_polarization_energy_as_in_neurosim():
    """V2.1's FeFET polarisation write energy: NeuroSim's 14 nm run less its run with
    ``polarization = 0``, layer by layer, against cimjax's same difference."""
    runs = (RUNS["14nm"], RUNS["14nm_polarization0"])
    ns = np.asarray(runs[0]["wu_energy_per_layer"]) - np.asarray(runs[1]["wu_energy_per_layer"])
    ours_ = [np.asarray(estimate(r["cimjax_set"]).layers.wu.energy) for r in runs]
    diff = ours_[0] - ours_[1]
    assert np.all(ns > 0)
    # NeuroSim prints 6 digits: the differences are good to ~1e-11 J on layers of 1e-4 J.
    np.testing.assert_allclose(diff, ns, rtol=0.005, atol=2e-11)


def test_first_layer_has_no_ag_as_in_neurosim():
    assert FIGURES["layers.layer1.ag.latency"] == 0.0 and FIGURES["layers.layer1.ag.energy"] == 0.0
    est = estimate()
    assert ours(est, "layers.layer1.ag.latency") == 0.0 and ours(est, "layers.layer1.ag.energy") == 0.0
    assert ours(est, "layers.layer2.ag.latency") > 0.0


def test_reference_names_its_source():
    assert REFERENCE["neurosim_commit"].startswith("18289cb")
    assert REFERENCE["cimjax_config"] == "configs/neurosim_v21.py"
    assert {"area.total", "ag.latency", "tops", "tops_per_w", "peak_tops"} <= set(FIGURES)


@pytest.mark.slow  # the whole command: config, floorplan, estimate, report (~20 s on the 2-core VM)
def test_cli_estimate_prints_the_v21_report(tmp_path, capsys):
    from cimjax.cli import main

    assert main(["estimate", "--config", os.path.join(ROOT, "configs", "neurosim_v21.py"), "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "FEFET at 32 nm" in out and "NeuroSim code v2_1" in out and "ADC mlsa" in out
    # V2.1's chip: NeuroSim's own run prints 95.21 mm² (the ADC area 54.02 mm² to four digits).
    assert "adc           54.02" in out
