"""One-knob NeuroSim V2.0 runs against cimjax on the same inputs (issue 15).

NeuroSim V2.0 (d4de5bc) was built and run outside this repository on synthetic layer files
(``tests/fixtures/neurosim_variants/reference.json`` says how), once with its shipped
``Param.cpp`` and once per knob below; only its printed figures are stored. cimjax estimates
the same chip from a trace of the very same files (``hardware_trace.csv`` there) with the
equivalent ``--set`` overrides. Every compared figure must be within ±10 %; a miss is a strict
``xfail`` with the measured ratio and what is known of its cause (``XFAIL``).

Variants: ``levelOutput`` 16 and 32 alone (forward ADC only: ``hardware.ag_adc_bits`` keeps
the AG ADC at 64 levels), ``levelOutputAG`` 16, ``numColMuxed`` 16, ``numRowMuxedAG`` 16, the
WG sub-array at 64×64, ``levelOutputWG`` 64, the HP roadmap, the sequential read
(``operationmode = 1``: ``hardware.read_mode = 'sequential'``,
:mod:`cimjax.hw.components.subarray_sequential`), ``parallelBP = false``
(``hardware.parallel_bp = false``: the transposed read and the weight-gradient unit's read row by
row) and the 7 nm node (``technode = 7``: FinFET standard cells, :mod:`cimjax.hw.components.gates`),
the chip-level sigmoid (``reLu = false``: ``hardware.activation = 'sigmoid'``,
:mod:`cimjax.hw.components.sigmoid`), the ReLU inside the tiles (``chipActivation = false``:
``hardware.chip_activation = false``) and the pipelined chip (``pipeline = true``:
``hardware.pipeline = true``; NeuroSim's run needs a one-line-move fix of ``main.cpp`` to finish,
and prints non-finite figures for what its weight-gradient unit sizes, both told in the reference's
``neurosim_patch`` and ``not_compared``).
SRAM (32 and 7 nm, same files) is ``tests/hw/test_hw_sram_neurosim.py``; V2.1 is
``tests/hw/test_hw_neurosim_v21.py``.
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


#: Knob effects (variant/default) outside ±3 % although both absolute figures are within ±10 %.
KNOB_XFAIL = {
    ("sequential", "ag.energy"): (
        "measured 1.085 (cimjax 1.061 of NeuroSim's sequential AG energy, 0.978 of its default one): "
        "the row-by-row read senses one cell per column, and NeuroSim evaluates its transposed MLSA on "
        "each column's mean over the active cells of the read (ProcessingUnit.cpp GetColumnResistance, "
        "columnG/activatedRow; the latency the maximum over the columns, MultilevelSenseAmp.cpp "
        "CalculatePower); cimjax has only the layer's mean conductance (the trace's weight_level), so "
        "the column-to-column spread, largest in the layers with the fewest active rows (ADC energy "
        "1.2 in layers 4, 6, 7), is not modelled"),
    ("pipeline", "peak_tops"): (
        "measured 0.963 (cimjax 0.928 of NeuroSim's pipelined peak TOPS, 0.964 of its default one): the pipelined "
        "peak TOPS counts only the slowest layer's (layer 2's) peak FW and AG latencies (main.cpp's pipeline "
        "loop never sums the peak WG and WU latencies, so they are 0), and cimjax's peak FW/AG latency of layer 2 "
        "is 1.078 of NeuroSim's in both runs, an offset the default run's peak TOPS dilutes in its peak WG "
        "latency (72 % of its peak latency, matched within 1 %); that per-layer offset is not a pipeline effect "
        "and is not traced here"),
    ("pipeline_speedUp4", "peak_tops"): "measured 0.963: as pipeline's (NeuroSim's and cimjax's figures are those of speedUpDegree = 1)",
}


@pytest.mark.parametrize("name,fig", list(cases(RUNS, XFAIL)))
def test_within_ten_percent_of_neurosim(name, fig):
    check_within_tolerance(RUNS[name], name, fig)


@pytest.mark.parametrize("name", [n for n in REFERENCE["variants"] if n != "default"])
def test_knob_moves_figures_as_neurosim_does(name):
    """The variant-to-default ratios agree more tightly than the absolute figures (±3 %): the
    knob's own effect, free of the small offsets both runs share."""
    for fig in KNOB_FIGURES:
        # A figure NeuroSim printed as non-finite is not in the variant (its "not_compared").
        if (name, fig) not in KNOB_XFAIL and fig in REFERENCE["variants"][name]["figures"]:
            _check_knob_effect(name, fig)


@pytest.mark.parametrize("name,fig", [pytest.param(n, f, marks=pytest.mark.xfail(strict=True, reason=why), id=f"{n}-{f}")
                                      for (n, f), why in KNOB_XFAIL.items()])
def test_knob_effect_known_misses(name, fig):
    """The knob effects :func:`test_knob_moves_figures_as_neurosim_does` leaves out (``KNOB_XFAIL``),
    each a strict xfail with its measured ratio and cause."""
    _check_knob_effect(name, fig)


KNOB_FIGURES = ("area.total", "fw.latency", "ag.latency", "ag.energy", "wg.energy", "tops", "peak_tops")


def _check_knob_effect(name: str, fig: str) -> None:
    ref, base = REFERENCE["variants"][name]["figures"], REFERENCE["variants"]["default"]["figures"]
    ours = float(figure(estimate(RUNS[name]["cimjax_set"]), fig)) / float(figure(estimate(RUNS["default"]["cimjax_set"]), fig))
    theirs = ref[fig] / base[fig]
    assert abs(ours / theirs - 1.0) <= 0.03, f"{name} {fig}: cimjax {ours:.3f} vs NeuroSim {theirs:.3f}"


def test_reference_names_its_source():
    assert REFERENCE["neurosim_commit"].startswith("d4de5bc")
    assert set(REFERENCE["variants"]) >= {"default", "levelOutput16", "levelOutputAG16", "numColMuxed16", "HP",
                                          "sequential", "parallelBP_false"}
