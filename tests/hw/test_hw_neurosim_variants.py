"""One-knob NeuroSim V2.0 runs against cimjax on the same inputs (issue 15).

NeuroSim V2.0 (d4de5bc) was built and run outside this repository on synthetic layer files
(``tests/fixtures/neurosim_variants/reference.json`` says how), once with its shipped
``Param.cpp`` and once per knob below; only its printed figures are stored. cimjax estimates
the same chip from a trace of the very same files (``hardware_trace.csv`` there) with the
equivalent ``--set`` overrides. Every compared figure must be within ±10 %; a miss is a strict
``xfail`` with the measured ratio and what is known of its cause (``XFAIL``).

Variants: ``levelOutput`` 16 and 32 alone (forward ADC only: ``hardware.ag_adc_bits`` keeps
the AG ADC at 64 levels), ``levelOutputAG`` 16, ``numColMuxed`` 16, ``numRowMuxedAG`` 16, the
WG sub-array at 64×64, ``levelOutputWG`` 64 and the HP roadmap. SRAM (32 and 7 nm, same files)
is ``tests/hw/test_hw_sram_neurosim.py``. Not here yet: sequential read (not modelled), eNVM at
7 nm and V2.1.
"""

from __future__ import annotations

import json
import os

import pytest


from neurosim_runs import TRACE, cases, check_within_tolerance, estimate
from cimjax.estimate import figure

REFERENCE = json.load(open(os.path.join(TRACE, "reference.json")))
RUNS = REFERENCE["variants"]

XFAIL = {
    ("numRowMuxedAG16", "area.accumulation"): (
        "measured 0.848: NeuroSim's accumulation area falls 10.51 → 7.64 mm² with numRowMuxedAG 16, "
        "cimjax's 9.92 → 6.48 mm². The AG shift-adders' count ceil(numRow/numRowMuxedBP) "
        "(SubArray.cpp Initialize) is the same in both; their fitted layout area (SubArray.cpp "
        "CalculateArea, ShiftAdd) is the likely cause, not yet traced"),
}


@pytest.mark.parametrize("name,fig", list(cases(RUNS, XFAIL)))
def test_within_ten_percent_of_neurosim(name, fig):
    check_within_tolerance(RUNS[name], name, fig)


@pytest.mark.parametrize("name", [n for n in REFERENCE["variants"] if n != "default"])
def test_knob_moves_figures_as_neurosim_does(name):
    """The variant-to-default ratios agree more tightly than the absolute figures (±3 %): the
    knob's own effect, free of the small offsets both runs share."""
    ref, base = REFERENCE["variants"][name]["figures"], REFERENCE["variants"]["default"]["figures"]
    for fig in ("area.total", "fw.latency", "ag.latency", "ag.energy", "wg.energy", "tops", "peak_tops"):
        ours = float(figure(estimate(RUNS[name]["cimjax_set"]), fig)) / float(figure(estimate(RUNS["default"]["cimjax_set"]), fig))
        theirs = ref[fig] / base[fig]
        assert abs(ours / theirs - 1.0) <= 0.03, f"{name} {fig}: cimjax {ours:.3f} vs NeuroSim {theirs:.3f}"


def test_reference_names_its_source():
    assert REFERENCE["neurosim_commit"].startswith("d4de5bc")
    assert set(REFERENCE["variants"]) >= {"default", "levelOutput16", "levelOutputAG16", "numColMuxed16", "HP"}
