"""The cell and layout knobs of NeuroSim's ``Param.cpp`` (issue 15): ``relaxArrayCellHeight`` /
``relaxArrayCellWidth``, the 1T1R cell, the 6T SRAM cell, ``gateCapFeFET`` and ``treeFoldedRatio``
as ``hardware`` fields: validated at config build, reaching the chip only through
:mod:`cimjax.build`, traced where they are numbers (one compile of the estimate for any of their
values), read by ``cimjax config --from-neurosim``. Their agreement with NeuroSim's own runs is
``test_hw_neurosim_variants.py`` (relaxed height / width, 6F × 6F 1T1R cell) and
``test_hw_sram_neurosim.py`` (10F × 24F SRAM cell)."""

from __future__ import annotations

import dataclasses

import jax
import numpy as np
import pytest

from cimjax import build as build_lib
from cimjax.config import Config, ConfigError, apply_overrides
from cimjax.config.neurosim_param import apply_param_cpp, translate
from cimjax.hw import chip
from cimjax.hw.components import sram
from cimjax.hw.components import subarray as sa
from cimjax.hw.components import subarray_geometry as geo
from cimjax.hw.components import subarray_sram, subarray_write
from cimjax.hw.components.subarray_types import SubArrayConfig, SubArrayParams
from cimjax.hw.network import LayerShape

LAYERS = (LayerShape(16, 16, 16, 3, 3, 32, True), LayerShape(1, 1, 2048, 1, 1, 10, False))

#: field → (NeuroSim V2.0 default, a value out of range, the range as the error names it)
FIELDS = {
    "relax_array_cell_height": (False, 1, "true or false"),
    "relax_array_cell_width": (False, "yes", "true or false"),
    "envm_cell_height_f": (4.0, 0.5, "[1.0, 100.0]"),
    "envm_cell_width_f": (4.0, 101.0, "[1.0, 100.0]"),
    "sram_cell_height_f": (8.0, 0.0, "[1.0, 100.0]"),
    "sram_cell_width_f": (20.0, 200.0, "[1.0, 100.0]"),
    "sram_nmos_width_f": (2.08, 0.0, "(0.0, 100.0]"),
    "sram_pmos_width_f": (1.23, -1.0, "(0.0, 100.0]"),
    "sram_access_width_f": (1.31, 1e3, "(0.0, 100.0]"),
    "sram_min_sense_voltage": (0.1, 0.6, "(0.0, 0.5]"),
    "fefet_gate_capacitance": (2.1717e-18, -1e-18, "[0.0, 1e-12]"),
    "tree_folded_ratio": (4.0, 0.5, "[1.0, 1024.0]"),
}


@pytest.mark.parametrize("name", list(FIELDS))
def test_defaults_are_neurosims_and_bad_values_fail_naming_field_and_range(name):
    default, bad, allowed = FIELDS[name]
    assert getattr(Config().hardware, name) == default
    with pytest.raises(ConfigError) as e:
        Config(hardware=dataclasses.replace(Config().hardware, **{name: bad}))
    assert f"hardware.{name}" in str(e.value) and allowed in str(e.value), str(e.value)


def test_relaxed_cell_is_at_least_the_periphery_pitch():
    """SubArray.cpp Initialize: 28F tall; 7.6F wide for SRAM, 15.2F for 1T1R/FeFET; larger cells kept."""
    for cell, width in (("rram", 15.2), ("fefet", 15.2), ("sram", 7.6)):
        both = SubArrayConfig(cell=cell, relax_cell_height=True, relax_cell_width=True)
        h, w = geo.layout_cell_size(4.0, 4.0, both)
        assert float(h) == pytest.approx(28.0) and float(w) == pytest.approx(width)
        h, w = geo.layout_cell_size(30.0, 20.0, both)
        assert (float(h), float(w)) == (30.0, 20.0)
        h, w = geo.layout_cell_size(4.0, 4.0, SubArrayConfig(cell=cell))
        assert (float(h), float(w)) == (4.0, 4.0)


def test_relaxed_lengths_but_the_cells_own_access_transistor_and_wire_resistance():
    p = SubArrayParams()
    g0 = geo.geometry(p, SubArrayConfig())
    g1 = geo.geometry(p, SubArrayConfig(relax_cell_height=True, relax_cell_width=True))
    np.testing.assert_allclose(float(g1.len_col / g0.len_col), 28.0 / 4.0, rtol=1e-6)
    np.testing.assert_allclose(float(g1.len_row / g0.len_row), 15.2 / 4.0, rtol=1e-6)
    assert float(g1.access_width_f) == float(g0.access_width_f)
    # the column's wire capacitance grows with the length, the access drains do not
    wire = float(g0.len_col) * 6.0 * 0.2e-15 / 1e-6
    np.testing.assert_allclose(float(g1.cap_col - g0.cap_col), wire, rtol=1e-6)
    r0 = geo.column_resistance(p, SubArrayConfig(), g0, 64.0, 0.5, 128.0, 128.0)
    r1 = geo.column_resistance(p, SubArrayConfig(relax_cell_height=True), g1, 64.0, 0.5, 128.0, 128.0)
    assert float(r1) == float(r0)  # Param.cpp wireResistanceRow/Col: the cell's own size
    s0 = subarray_sram._geometry(p, SubArrayConfig(cell="sram"), None)
    relaxed = SubArrayConfig(cell="sram", relax_cell_height=True, relax_cell_width=True)
    s1 = subarray_sram._geometry(p, relaxed, None)
    np.testing.assert_allclose(float(s1.len_col / s0.len_col), 28.0 / 8.0, rtol=1e-6)
    assert float(s1.len_row) == float(s0.len_row)  # 20F ≥ 7.6F: the width is kept
    assert float(s1.r_path) == float(s0.r_path)  # the per-cell column wire: the cell's own width


def test_sram_cell_of_the_subarray_is_its_params():
    p = SubArrayParams()
    big = p._replace(sram_cell=sram.SramCellParams(height_f=10.0, width_f=24.0, access_f=2.0))
    cfg = SubArrayConfig(cell="sram")
    g0, g1 = subarray_sram._geometry(p, cfg, None), subarray_sram._geometry(big, cfg, None)
    np.testing.assert_allclose(float(g1.len_col / g0.len_col), 10.0 / 8.0, rtol=1e-6)
    np.testing.assert_allclose(float(g1.len_row / g0.len_row), 24.0 / 20.0, rtol=1e-6)
    assert float(g1.cell.r_access) < float(g0.cell.r_access)  # a wider access transistor
    # an explicit cell argument still wins
    g2 = subarray_sram._geometry(big, cfg, sram.SramCellParams())
    assert float(g2.len_row) == float(g0.len_row) and float(g2.cell.r_access) == float(g0.cell.r_access)


def test_fefet_gate_capacitance_charges_the_write_lines():
    cfg = SubArrayConfig(cell="fefet")
    stats = dict(write_pulses=4.0, cell_pulse_energy_sum=0.0, row_write_activity=0.5, col_write_activity=0.5)
    e = [float(subarray_write.subarray_write(SubArrayParams(gate_cap_fefet=c), cfg, **stats).energy)
         for c in (0.0, 2.1717e-18, 2 * 2.1717e-18)]
    assert e[1] > e[0] and e[2] - e[1] == pytest.approx(e[1] - e[0], rel=1e-6)


def test_knobs_reach_the_chip_through_build():
    cfg = apply_overrides(Config(), [
        "hardware.relax_array_cell_height=true", "hardware.relax_array_cell_width=true",
        "hardware.envm_cell_height_f=6", "hardware.envm_cell_width_f=5", "hardware.sram_cell_height_f=9",
        "hardware.sram_cell_width_f=21", "hardware.sram_nmos_width_f=2.5", "hardware.sram_pmos_width_f=1.5",
        "hardware.sram_access_width_f=1.4", "hardware.sram_min_sense_voltage=0.08",
        "hardware.fefet_gate_capacitance=3e-18", "hardware.tree_folded_ratio=8"])
    b = build_lib.build(cfg, layers=LAYERS)
    assert b.chip.relax_cell_height and b.chip.relax_cell_width
    s, c = b.params.subarray, b.params.sram_cell
    got = [s.cell_height_f, s.cell_width_f, c.height_f, c.width_f, c.nmos_f, c.pmos_f, c.access_f,
           c.min_sense_voltage, s.gate_cap_fefet, b.params.tree_folded_ratio]
    want = [6, 5, 9, 21, 2.5, 1.5, 1.4, 0.08, 3e-18, 8]
    np.testing.assert_allclose([float(x) for x in got], want, rtol=1e-6)
    d = build_lib.build(Config(), layers=LAYERS)
    assert not d.chip.relax_cell_height and not d.chip.relax_cell_width
    defaults = sram.SramCellParams()
    assert all(float(x) == pytest.approx(y, rel=1e-6) for x, y in zip(d.params.sram_cell, defaults))


def test_traced_knobs_move_the_estimate_under_one_compile():
    """The numeric knobs are traced: one jitted estimate serves any of their values. An RRAM
    chip with an SRAM global buffer: the SRAM cell moves the WG unit and the global buffer (in
    ``area.other``), not the eNVM arrays; the 1T1R cell scales the arrays; ``treeFoldedRatio``
    the chip H-tree's area only."""
    cfg = apply_overrides(Config(), ["hardware.global_buffer=sram"])
    b = build_lib.build(cfg, layers=LAYERS)
    traced = build_lib.traced_knobs(b.knobs)

    @jax.jit
    def est(knobs):  # the traced knobs through build.chip_params into the estimate
        return chip.estimate(build_lib.chip_params({**b.knobs, **knobs}, b.facts), b.chip, b.trace).area

    def area(**knobs):
        values = {k: np.asarray(v, np.asarray(traced[k]).dtype) for k, v in {**traced, **knobs}.items()}
        return jax.tree.map(float, est(values))

    base = area()
    big_sram = area(sram_cell_height_f=10.0)
    assert big_sram.array == base.array and big_sram.wg_unit > base.wg_unit and big_sram.other > base.other
    big_1t1r = area(envm_cell_height_f=6.0, envm_cell_width_f=6.0)
    assert big_1t1r.array == pytest.approx(base.array * 36.0 / 16.0, rel=1e-5)
    folded = area(tree_folded_ratio=8.0)
    assert folded.interconnect < base.interconnect
    for bucket in ("adc", "array", "wg_unit", "other"):
        assert getattr(folded, bucket) == getattr(base, bucket), bucket
    assert est._cache_size() == 1


PARAM_CPP = """
Param::Param() {
    relaxArrayCellHeight = 1;
    relaxArrayCellWidth = 0;
    treeFoldedRatio = 8;
    heightInFeatureSizeSRAM = 10;        // SRAM Cell height in feature size
    widthInFeatureSizeSRAM = 24;
    widthSRAMCellNMOS = 2.5;
    widthSRAMCellPMOS = 1.5;
    widthAccessCMOS = 1.4;
    minSenseVoltage = 0.08;
    heightInFeatureSize1T1R = 6;
    widthInFeatureSize1T1R = 6;
    gateCapFeFET = 3e-18;
}
"""


def test_from_neurosim_reads_the_cell_and_layout_knobs():
    t = translate(PARAM_CPP)
    assert not t.unknown and not t.unsupported and not t.ignored
    got, _ = apply_param_cpp(Config(), PARAM_CPP)
    want = apply_overrides(Config(), [
        "hardware.relax_array_cell_height=true", "hardware.relax_array_cell_width=false",
        "hardware.tree_folded_ratio=8", "hardware.sram_cell_height_f=10", "hardware.sram_cell_width_f=24",
        "hardware.sram_nmos_width_f=2.5", "hardware.sram_pmos_width_f=1.5",
        "hardware.sram_access_width_f=1.4", "hardware.sram_min_sense_voltage=0.08",
        "hardware.envm_cell_height_f=6", "hardware.envm_cell_width_f=6",
        "hardware.fefet_gate_capacitance=3e-18"])
    assert got == want
    with pytest.raises(ConfigError) as e:
        apply_param_cpp(Config(), "Param::Param() {\n    heightInFeatureSize1T1R = 0.5;\n}\n")
    assert "heightInFeatureSize1T1R" in str(e.value) and "hardware.envm_cell_height_f" in str(e.value)
    with pytest.raises(ConfigError) as e:
        apply_param_cpp(Config(), "Param::Param() {\n    relaxArrayCellWidth = 2;\n}\n")
    assert "relaxArrayCellWidth" in str(e.value)
