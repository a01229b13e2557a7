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
row), the 7 nm node (``technode = 7``: FinFET standard cells, :mod:`cimjax.hw.components.gates`),
the chip-level sigmoid (``reLu = false``: ``hardware.activation = 'sigmoid'``,
:mod:`cimjax.hw.components.sigmoid`), the ReLU inside the tiles (``chipActivation = false``:
``hardware.chip_activation = false``) and the pipelined chip (``pipeline = true``:
``hardware.pipeline = true``; NeuroSim's run needs a one-line-move fix of ``main.cpp`` to finish,
and prints non-finite figures for what its weight-gradient unit sizes, both told in the reference's
``neurosim_patch`` and ``not_compared``), ``relaxArrayCellHeight`` and ``relaxArrayCellWidth``
(``hardware.relax_array_cell_height`` / ``_width``) and a 6F × 6F 1T1R cell
(``heightInFeatureSize1T1R = widthInFeatureSize1T1R = 6``: ``hardware.envm_cell_height_f`` /
``envm_cell_width_f``), and other register-file buffer cores (``globalBufferCoreSizeRow/Col`` =
256 × 64, ``tileBufferCoreSizeRow/Col`` = 64 × 16: ``hardware.global_buffer_core_rows`` ... ``tile_buffer_core_cols``)
and the cross-point array (``accesstype = 4``: ``hardware.access_type = 'none'``, the 2F × 2F cell of
``featuresize`` = 40 nm, :func:`cimjax.hw.components.subarray_geometry.cross_point_geometry`), alone and with
``nonlinearIV = true`` (``hardware.nonlinear_iv``); these two also compare the weight-update latency and
energy (the V/2 write: 9× the 1T1R array's WU energy in NeuroSim, 10.6× with the nonlinear I–V), and the
SRAM tile buffers (``peBufferType = true``: ``hardware.tile_buffer = 'sram'``,
:func:`cimjax.hw.tile_geometry.plan_buffer`; NeuroSim's FW/AG latency 0.747×, TOPS 1.173× of its default run).
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

# The causes of the misses of the taller arrays (relaxArrayCellHeight, the 6F 1T1R cell), traced on one
# 128×128 sub-array of NeuroSim (SubArray.cpp CalculateArea, probed outside this repository): the
# default run hides both within ±10 %, and cimjax keeps its default estimate.
_AG_SHIFT_ADDER_BOX = (
    "NeuroSim charges the transposed (AG) shift-adders their layout bounding box down the array's "
    "height (ShiftAdd::CalculateArea(heightArray, NULL): height × the width of its adder and DFF "
    "columns), which grows with the array's height; its sub-array accumulation area goes {}). "
    "cimjax charges d4de5bc's shift-adders their gates' area (NeuroSimVersion.shift_adder_bounding_box "
    "is False for 'current'; 1.67e-9 m² whatever the height)")
_AG_MUX_WIDTH = (
    "NeuroSim lays the AG column mux down the array's height at least as wide as its decoder "
    "(SubArray.cpp CalculateArea: muxBP.CalculateArea(heightArray, minMuxWidth, OVERRIDE), "
    "minMuxWidth = max(muxDecoderBP.width, muxBP.width) = 31.1 µm at 32 nm), so its area grows with "
    "the height: {}; cimjax charges the mux's gates stretched along the height, or the decoder's "
    "area over 8 cell heights, whichever is wider (cimjax.hw.components.subarray_envm.subarray_area)")

XFAIL = {
    ("numRowMuxedAG16", "area.accumulation"): (
        "measured 0.848: NeuroSim's accumulation area falls 10.51 → 7.64 mm² with numRowMuxedAG 16, "
        "cimjax's 9.92 → 6.48 mm²; traced to the sub-array shift-adders (a 128×128 sub-array of "
        "NeuroSim probed outside this repository, 2026-12-08): its areaAccum goes 2.951e-9 → 2.473e-9 m², "
        "cimjax's 2.625e-9 → 1.791e-9. d4de5bc's SubArray::CalculateArea charges ShiftAdd::CalculateArea's "
        "layout box: the forward units across widthArray (1.130e-9 m²), the AG units down heightArray "
        "(16.4 µm × the adder, INV/NAND2 and DFF column widths): 1.821e-9 m² for 16 units, 1.343e-9 for 8 "
        "(the 8 or 16 15-bit adders fit one 49.2 µm column either way; the 368 → 184 DFFs 21 → 11 columns), "
        "so it shrinks by 26 %. cimjax charges the gates' sum (NeuroSimVersion.shift_adder_bounding_box is "
        "False for 'current'): forward 0.957e-9, AG 1.668e-9 → 0.834e-9, halved with the units. "
        "shift_adder_layout_area gives NeuroSim's three figures to 7 digits; with the flag on for "
        "'current' (patched at run time, not committed) the chip's accumulation is 10.40 → 7.53 mm² "
        "(0.990 and 0.986 of NeuroSim's) and the sub-array areaAccum NeuroSim's to 4 digits"),
    ("relaxArrayCellHeight", "area.accumulation"): "measured 0.510: " + _AG_SHIFT_ADDER_BOX.format(
        "2.95e-9 → 7.85e-9 m² (shiftAddBP 1.82e-9 → 6.72e-9: its adders and DFFs fit one column of "
        "the 7× taller array"),
    ("relaxArrayCellHeight", "area.other"): "measured 0.640: " + _AG_MUX_WIDTH.format(
        "areaOther 1.57e-9 → 4.57e-9 m² (muxBP 5.1e-10 → 3.57e-9 = 115 µm × 31.1 µm); cimjax's "
        "AG mux 0.70e-10 → 1.0e-10"),
    ("relaxArrayCellHeight", "area.total"): (
        "measured 0.870 (cimjax 91.8 mm², NeuroSim 105.5): the accumulation (−6.8 mm²) and other (−4.8 mm²) "
        "misses of this variant, whose causes are given with them, and the interconnect (0.902) that "
        "follows the smaller tiles"),
    ("cell1T1R_6x6", "area.accumulation"): "measured 0.875: " + _AG_SHIFT_ADDER_BOX.format(
        "2.95e-9 → 3.37e-9 m² (shiftAddBP 1.82e-9 → 2.23e-9 along the 1.5× taller array"),
    ("cell1T1R_6x6", "area.other"): "measured 0.887: " + _AG_MUX_WIDTH.format(
        "areaOther 1.57e-9 → 1.82e-9 m² (muxBP 5.1e-10 → 7.7e-10)"),
}


#: Knob effects (variant/default) outside ±3 % although both absolute figures are within ±10 %.
_RELAXED_TILES = (
    "NeuroSim's tiles grow with the transposed shift-adders' and column mux's layout boxes along the 7× "
    "taller arrays (area.accumulation and area.other of XFAIL), cimjax's shrink a little; the H-tree and "
    "bus wires follow the tile and PE sides, so the interconnect latency breakdown goes 26.04 → 26.93 s in "
    "NeuroSim, 26.90 → 25.80 s in cimjax (FW/AG latency effects 0.976 of NeuroSim's, within ±3 %); the "
    "array latency (the relaxed column RC) moves alike in both, 0.904 → 1.189 s")
KNOB_XFAIL = {
    ("sequential", "ag.energy"): (
        "measured 1.085 (cimjax 1.061 of NeuroSim's sequential AG energy, 0.978 of its default one): "
        "the row-by-row read senses one cell per column, and NeuroSim evaluates its transposed MLSA on "
        "each column's mean over the active cells of the read (ProcessingUnit.cpp GetColumnResistance, "
        "columnG/activatedRow; the latency the maximum over the columns, MultilevelSenseAmp.cpp "
        "CalculatePower); cimjax has only the layer's mean conductance (the trace's weight_level), so "
        "the column-to-column spread, largest in the layers with the fewest active rows (ADC energy "
        "1.2 in layers 4, 6, 7), is not modelled"),
    ("relaxArrayCellHeight", "area.total"): (
        "measured 0.888 (cimjax 0.974, NeuroSim 1.097): " + _RELAXED_TILES),
    ("parallelBP_false", "ag.energy"): (
        "measured 1.040 (cimjax 16.705, NeuroSim 16.062; 1.00 until 2026-12-08): the default run's AG energy, "
        "the denominator, is 0.940 of NeuroSim's (since the H-tree and PE DFF-buffer energies came to match "
        "NeuroSim's; the conv layers 2–6 0.930–0.953 per layer), while this variant's AG energy, 16× the "
        "default's and made of the row-by-row reads, is 0.978. Traced to the PE buses: d4de5bc's "
        "ProcessingUnitInitialize builds busInput/busOutput with delay tolerance 0 (Bus::Initialize's 4th "
        "argument: the optimal repeater, no tolerance trade-off; Bus.cpp CalculatePower's "
        "unitLengthEnergyRep 6.634e-11 J/m per bit), cimjax's 'current' version with localBusDelayTolerance "
        "0.1 (NeuroSimVersion.pe_bus_optimal_repeater is True for march2020 only): a 512×512 PE's bus energy "
        "per transfer is 0.81 of NeuroSim's on the input bus (2.542e-11 vs 3.141e-11 J per 128 bits) and 0.83 "
        "on the output bus (1.102e-10 vs 1.333e-10 J per 512 bits), and the buses are half of an NM PE's AG "
        "energy (4.06e-7 of 8.02e-7 J; instrumented V2.0 default run and a one-sub-array probe outside this "
        "repository, 2026-12-08). With the flag on for 'current' (patched at run time, not committed): 0.985 "
        "and 1.006 per transfer, the default AG energy 0.989 of NeuroSim's (layers 1–7 0.986–0.994, the small "
        "FC layer 8 1.013 → 1.044), this variant's 0.980, the knob ratio 15.913 (0.991)"),
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
                                          "sequential", "parallelBP_false", "relaxArrayCellHeight",
                                          "relaxArrayCellWidth", "cell1T1R_6x6", "bufferCores",
                                          "accesstype4", "peBufferType_sram"}
