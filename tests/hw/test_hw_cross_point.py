"""The cross-point array (``Param.cpp`` ``accesstype = 4``; ``hardware.access_type = 'none'``): its
config fields, geometry, V/2 write energies and ``--from-neurosim``. NeuroSim V2.0's own run is the
``accesstype4`` variant of ``tests/hw/test_hw_neurosim_variants.py``."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cimjax import build as build_lib
from cimjax.config import Config, ConfigError, apply_overrides
from cimjax.config.neurosim_param import apply_param_cpp
from cimjax.hw.components import subarray, switch_matrix as sm
from cimjax.hw.components.subarray_geometry import geometry
from cimjax.hw.components.subarray_types import SubArrayConfig, SubArrayParams
from cimjax.hw.components.subarray_write import half_selected_conductance
from cimjax.hw.network import LayerShape

LAYERS = (LayerShape(16, 16, 16, 3, 3, 32, True), LayerShape(1, 1, 2048, 1, 1, 10, False))
XBAR = SubArrayConfig(access="none")


@pytest.mark.parametrize("overrides,words", [
    (["hardware.access_type=bjt"], ["hardware.access_type = 'bjt'", "no BJT or diode access model", "'none'"]),
    (["hardware.access_type=diode"], ["hardware.access_type = 'diode'", "cross-point"]),
    (["hardware.access_type=mosfet"], ["hardware.access_type", "cmos"]),
    (["hardware.access_type=none", "hardware.cell_type=fefet"], ["hardware.access_type", "fefet"]),
    (["hardware.access_type=none", "hardware.read_mode=sequential"], ["hardware.access_type", "DecoderDriver"]),
    (["hardware.access_type=none", "hardware.neurosim_code=march2020"], ["hardware.access_type", "d4de5bc"]),
    (["hardware.crossbar_cell_height_f=0.5"], ["hardware.crossbar_cell_height_f", "[1"]),
    (["hardware.crossbar_feature_size_nm=5000"], ["hardware.crossbar_feature_size_nm", "1000"]),
    (["hardware.nonlinearity=0.5"], ["hardware.nonlinearity", "[1"]),
])
def test_bad_access_settings_fail_at_config_build(overrides, words):
    with pytest.raises(ConfigError) as e:
        apply_overrides(Config(), overrides)
    for w in words:
        assert w in str(e.value), (w, str(e.value))


def test_the_build_hands_the_cross_point_cell_to_the_chip():
    cfg = apply_overrides(Config(), ["hardware.access_type=none", "hardware.crossbar_feature_size_nm=30",
                                     "hardware.crossbar_cell_width_f=3", "hardware.nonlinear_iv=true"])
    b = build_lib.build(cfg, layers=LAYERS)
    assert b.chip.access == "none" and b.chip.nonlinear_iv
    sp = b.params.subarray
    assert float(sp.cell_feature_size) == pytest.approx(30e-9)
    assert float(sp.crossbar_cell_width_f) == 3.0 and float(sp.cell_width_f) == 4.0  # the 1T1R cell kept
    assert build_lib.build(Config(), layers=LAYERS).chip.access == "cmos"


def test_geometry_is_the_crossbar_cell_without_an_access_transistor():
    """SubArray.cpp Initialize (cross-point): 128 cells of 2 × 40 nm a line, wire-only lines,
    R_on and (R_on + R_off)/2 for the cell."""
    p = SubArrayParams()
    g, g1 = geometry(p, XBAR), geometry(p, SubArrayConfig())
    assert float(g.len_row) == pytest.approx(128 * 2 * 40e-9) and float(g.len_col) == pytest.approx(128 * 2 * 40e-9)
    c_w = float(p.circuit.wire_capacitance)
    assert float(g.cap_row2) == float(g.cap_row1) == pytest.approx(float(g.len_row) * c_w)
    assert float(g.cap_col) == pytest.approx(float(g.len_col) * c_w)
    assert float(g.cap_row_ag) == pytest.approx(float(g.cap_row1))
    assert float(g.r_cell_on) == 100e3 and float(g.r_cell_avg) == pytest.approx(0.5 * (100e3 + 1e6))
    assert float(g1.cap_col) > float(g1.len_col) * c_w  # the 1T1R column carries the access drains
    relaxed = geometry(p, SubArrayConfig(access="none", relax_cell_height=True))
    assert float(relaxed.len_col) == pytest.approx(128 * 28 * 32e-9)


def test_half_selected_cells_follow_neurosims_nonlinear_resistance():
    """formula.cpp NonlinearResistance at V = V_w/2: R·(V/V_r)·NL^((V_r − V)/(V_w/2))."""
    p = SubArrayParams(nonlinearity=10.0)
    assert float(half_selected_conductance(p, XBAR)) == pytest.approx(0.5 * (1 / 100e3 + 1 / 1e6))
    vw = 4.0 * math.sqrt(2.0)
    factor = (vw / 2) / 0.5 * 10.0 ** ((0.5 - vw / 2) / (vw / 2))
    got = float(half_selected_conductance(p, SubArrayConfig(access="none", nonlinear_iv=True)))
    assert got == pytest.approx(0.5 * (1 / (100e3 * factor) + 1 / (1e6 * factor)), rel=1e-6)


@pytest.mark.slow  # three eager sub-array writes: ~30 s on the loaded 2-core VM
def test_cross_point_write_costs_the_half_selected_cells():
    p = SubArrayParams()
    stats = dict(write_pulses=400.0, cell_pulse_energy_sum=1e-3, row_write_activity=0.5, col_write_activity=0.2)
    e1 = float(subarray.subarray_write(p, SubArrayConfig(), **stats).energy)
    ex = float(subarray.subarray_write(p, XBAR, **stats).energy)
    enl = float(subarray.subarray_write(p, SubArrayConfig(access="none", nonlinear_iv=True), **stats).energy)
    # V/2 on ~(128 − 64) + (128 − 26) half-selected cells per pulse: (V_w/2)²·G_½·t ≈ 2.2 pJ each
    half = (2 * 16 / 4) * 0.5 * (1 / 100e3 + 1 / 1e6) * 50e-9 * ((128 - 0.2 * 128) + (128 - 64)) * 400
    assert ex - e1 > 0.8 * half
    # NonlinearResistance at V_w/2 = 2.83 V, V_r = 0.5 V, NL = 10: R·5.66·10^(−0.823) = 0.85·R, so
    # the half-selected cells conduct 1/0.85 as much
    vw = 4.0 * math.sqrt(2.0)
    factor = (vw / 2) / 0.5 * 10.0 ** ((0.5 - vw / 2) / (vw / 2))
    assert factor == pytest.approx(0.85, abs=0.01)
    assert enl - ex == pytest.approx(half * (1 / factor - 1), rel=0.01)


def test_switch_matrix_cross_point_write_energy():
    params = sm.SwitchMatrixParams(num_writes=1.0, num_reads=0.0)
    row_1t1r = sm.switch_matrix_write(params, sm.SwitchMatrixConfig(kind="classic", lines="row"))
    row_xp = sm.switch_matrix_write(params, sm.SwitchMatrixConfig(kind="classic", lines="row", cross_point=True))
    assert float(row_xp.energy) > 10 * float(row_1t1r.energy)  # every row charged to V_w/2
    with pytest.raises(ValueError, match="cross_point"):
        sm.SwitchMatrixConfig(kind="new", cross_point=True)


@pytest.mark.slow  # two eager SRAM sub-array areas: ~65 s on the loaded 2-core VM
def test_an_sram_sub_array_ignores_the_access_type():
    p = SubArrayParams()
    a = subarray.subarray_area(p, SubArrayConfig(cell="sram"))
    b = subarray.subarray_area(p, SubArrayConfig(cell="sram", access="none"))
    np.testing.assert_array_equal(np.asarray(a.total), np.asarray(b.total))


def test_param_cpp_accesstype_and_the_crossbar_cell():
    text = ("Param::Param() {\n    accesstype = 4;\n    featuresize = 30e-9;\n    heightInFeatureSizeCrossbar = 3;\n"
            "    nonlinearIV = true;\n    nonlinearity = 20;\n}\n")
    config, _ = apply_param_cpp(Config(), text)
    hw = config.hardware
    assert (hw.access_type, hw.crossbar_feature_size_nm, hw.crossbar_cell_height_f) == ("none", 30.0, 3.0)
    assert hw.nonlinear_iv and hw.nonlinearity == 20.0
    with pytest.raises(ConfigError) as e:
        apply_param_cpp(Config(), "Param::Param() {\n    accesstype = 2;\n}\n")
    assert "Param.cpp accesstype = 2" in str(e.value) and "no BJT or diode access model" in str(e.value)
