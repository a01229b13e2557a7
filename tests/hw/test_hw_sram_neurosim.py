"""SRAM chips against NeuroSim V2.0's own runs of the same configuration (issue 15, item 3).

NeuroSim V2.0 (d4de5bc) was built and run outside this repository on the synthetic layer files
of ``tests/fixtures/neurosim_variants`` with ``memcelltype = 1`` (SRAM; ``Param.cpp`` then forces
``cellBit = 1``: five one-bit cells per 5-bit weight), at 32 nm and at 7 nm; only its printed
figures are stored (``tests/fixtures/neurosim_sram/reference.json`` says how). cimjax estimates
the same chip from the trace of the very same files (``neurosim_variants/hardware_trace.csv``)
with ``hardware.cell_type=sram`` (and ``technology_node_nm=7``); the sequential runs
(``operationmode = 1``) with ``hardware.read_mode=sequential``
(:mod:`cimjax.hw.components.subarray_sram_sequential`). Every compared figure must be within
±10 %; a miss is a strict ``xfail`` with the measured ratio and what is known of it.

The causes found and fixed (NeuroSim file and function in the code's comments): output data
counted per weight, not per cell (PE buffers and buses, tile output buffer); later tiles and
PEs of a layer holding what is left of its columns; the SRAM mux's TG resistance; empty reads
(no active row) in the SRAM MLSA; the SRAM sub-array's layout (shift-adders, column mux,
transposed switch matrix, precharger and write driver as NeuroSim lays them out).
"""

from __future__ import annotations

import json
import os

import pytest

from helpers import ROOT

from neurosim_runs import cases, check_within_tolerance

REFERENCE = json.load(open(os.path.join(ROOT, "tests", "fixtures", "neurosim_sram", "reference.json")))
RUNS = REFERENCE["runs"]

_7NM_AREA = ("the 7 nm FinFET area offsets are not SRAM's: NeuroSim's RRAM run at 7 nm (same files) "
             "differs alike (cimjax/NeuroSim area.total 1.20, ADC 1.21, accumulation 1.27, WG unit 1.11), "
             "while the SRAM sub-array's area, height and width equal NeuroSim's at 32 nm; at 7 nm its "
             "MLSA, encoder and precharger areas come out 1.214 = 34/28 (FinFET / planar cell height) "
             "times NeuroSim's, the FinFET standard-cell layout rule shared with eNVM, not yet traced")
_WU = ("the trace's write statistics are eNVM conductance steps (cimjax.trace.weight_update_stats); "
       "NeuroSim's SRAM write (ProcessingUnit.cpp GetWriteUpdateEstimation) counts changed bits of the "
       "five one-bit cells of each weight, a different activityRow/ColWrite; WU energy is 0.003 % of "
       "the epoch's energy")
_7NM_SEQ = ("the 7 nm FinFET standard cells, not the sequential read: on one sub-array (NeuroSim's SubArray "
             "probed component by component outside the repository, 26 of 128 rows on) cimjax's adder energy is "
             "0.675 of NeuroSim's at 7 nm and 0.97 at 32 nm (shift-adder 0.78 / 0.99, DFF 0.92 / 1.00, sense "
             "amplifier 0.93 / 1.00, row decoder 0.67 / 1.00): the NAND2 capacitances of the FinFET gate model "
             "(gates.py against formula.cpp CalculateGateCapacitance's fin scaling), shared by every adder; the "
             "areas are off as the parallel SRAM and RRAM 7 nm runs' are (the FinFET layout rule above)")
XFAIL = {
    ("sram_32nm", "wu.energy"): "measured 1.231: " + _WU,
    ("sram_32nm_sequential", "wu.energy"): "measured 1.218: " + _WU,
    ("sram_7nm_sequential", "wu.energy"): "measured 1.214: " + _WU,
    ("sram_7nm_sequential", "fw.energy"): "measured 0.815: " + _7NM_SEQ,
    ("sram_7nm_sequential", "ag.energy"): "measured 0.820: " + _7NM_SEQ,
    ("sram_7nm_sequential", "peak_tops_per_w"): "measured 1.190 (the peak energy is the sub-array's): " + _7NM_SEQ,
    ("sram_7nm_sequential", "area.total"): "measured 1.139: " + _7NM_SEQ,
    ("sram_7nm_sequential", "area.adc"): "measured 1.267: " + _7NM_SEQ,
    ("sram_7nm_sequential", "area.accumulation"): "measured 1.154: " + _7NM_SEQ,
    ("sram_7nm_sequential", "area.other"): "measured 1.203: " + _7NM_SEQ,
    ("sram_7nm_sequential", "area.wg_unit"): "measured 1.174 (the WG unit is the same as in the parallel 7 nm run, 1.172): " + _7NM_SEQ,
    ("sram_7nm", "wu.energy"): "measured 1.279: " + _WU,
    ("sram_7nm", "area.total"): "measured 1.188: " + _7NM_AREA,
    ("sram_7nm", "area.adc"): "measured 1.214: " + _7NM_AREA,
    ("sram_7nm", "area.accumulation"): "measured 1.229: " + _7NM_AREA,
    ("sram_7nm", "area.wg_unit"): "measured 1.172: " + _7NM_AREA,
    ("sram_7nm", "peak_tops"): ("measured 1.110: NeuroSim's RRAM run at 7 nm is 1.10 too (not SRAM's); "
                                "its peak latency is the 7 nm periphery's"),
}


@pytest.mark.parametrize("name,fig", list(cases(RUNS, XFAIL)))
def test_sram_within_ten_percent_of_neurosim(name, fig):
    check_within_tolerance(RUNS[name], name, fig)


def test_reference_names_its_source():
    assert REFERENCE["neurosim_commit"].startswith("d4de5bc")
    assert {"sram_32nm", "sram_7nm", "sram_32nm_sequential", "sram_7nm_sequential"} <= set(REFERENCE["runs"])
    assert "not_modelled" not in REFERENCE
    for run in REFERENCE["runs"].values():
        assert run["param_changes"]["memcelltype"] == 1
        assert "hardware.cell_type=sram" in run["cimjax_set"]
