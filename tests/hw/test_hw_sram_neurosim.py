"""SRAM chips against NeuroSim V2.0's own runs of the same configuration (issue 15, item 3).

NeuroSim V2.0 (d4de5bc) was built and run outside this repository on the synthetic layer files
of ``tests/fixtures/neurosim_variants`` with ``memcelltype = 1`` (SRAM; ``Param.cpp`` then forces
``cellBit = 1``: five one-bit cells per 5-bit weight), at 32 nm and at 7 nm; only its printed
figures are stored (``tests/fixtures/neurosim_sram/reference.json`` says how). cimjax estimates
the same chip from the trace of the very same files (``neurosim_variants/hardware_trace.csv``)
with ``hardware.cell_type=sram`` (and ``technology_node_nm=7``); the sequential runs
(``operationmode = 1``) with ``hardware.read_mode=sequential``
(:mod:`cimjax.hw.components.subarray_sram_sequential`); ``sram_32nm_cell10x24`` is a 10F × 24F
SRAM cell (``heightInFeatureSizeSRAM = 10``, ``widthInFeatureSizeSRAM = 24``:
``hardware.sram_cell_height_f`` / ``sram_cell_width_f``, the SRAM sub-array's, the WG unit's and
the buffers' cell). Every compared figure must be within
±10 %; a miss is a strict ``xfail`` with the measured ratio and what is known of it.

The causes found and fixed (NeuroSim file and function in the code's comments): output data
counted per weight, not per cell (PE buffers and buses, tile output buffer); later tiles and
PEs of a layer holding what is left of its columns; the SRAM mux's TG resistance; empty reads
(no active row) in the SRAM MLSA; the SRAM sub-array's layout (shift-adders, column mux,
transposed switch matrix, precharger and write driver as NeuroSim lays them out); at 7 nm, the
FinFET standard cells (:mod:`cimjax.hw.components.gates`: NeuroSim's 28F cell height, integer
``pnSizeRatio``, fin-count folding and drain capacitance, and its twice-scaled gate input fins).
"""

from __future__ import annotations

import json
import os

import pytest

from helpers import ROOT

from neurosim_runs import cases, check_within_tolerance

REFERENCE = json.load(open(os.path.join(ROOT, "tests", "fixtures", "neurosim_sram", "reference.json")))
RUNS = REFERENCE["runs"]

#: No misses. The WU energy (1.20–1.23× until 2026-12-08) was the tile's delta-weight transfer over the
#: tile H-tree, whose energy path was 1.375× NeuroSim's HTree::CalculatePower on the 2×2 CM tile tree
#: (cimjax.hw.components.htree), not the SRAM write.
XFAIL: dict = {}


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
