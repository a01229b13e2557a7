"""The NeuroSim ``Param.cpp`` knobs that used to be fixed inside the build (issue 15): each is a
``hardware`` field, reaches the chip through ``build.py`` only, moves the figures it should and
no others, and at its default gives exactly the chip of before."""

from __future__ import annotations

import jax
import numpy as np
import pytest

from cimjax import build as build_lib
from cimjax.config import Config, ConfigError, apply_overrides
from cimjax.estimate import estimate_config
from cimjax.hw.network import LayerShape
from tests.helpers import x64

#: A small network: one conv, one fully connected layer.
LAYERS = (LayerShape(16, 16, 16, 3, 3, 32, True), LayerShape(1, 1, 2048, 1, 1, 10, False))
#: A network whose input buffer is large against one WG array, so the buffer-overhead loop and
#: the WG adder tree (several arrays in a row) are exercised.
BIG = (LayerShape(32, 32, 128, 3, 3, 64, True), LayerShape(1, 1, 16384, 1, 1, 10, False))

#: Every new field, its default and another valid value.
NEW_FIELDS = {
    "ag_adc_bits": (None, 4),
    "ag_rows_per_adc": (8, 16),
    "wg_subarray_rows": (128, 64),
    "wg_subarray_cols": (128, 256),
    "wg_rows_per_adc": (8, 16),
    "global_bus_delay_tolerance": (0.1, 0.5),
    "local_bus_delay_tolerance": (0.1, 0.5),
    "buffer_overhead_constraint": (1.0, 3.0),
    "access_voltage": (1.1, 1.5),
    "access_resistance": (15e3, 30e3),
    "read_mode": ("parallel", "sequential"),
}


def _leaves(tree) -> dict:
    return {jax.tree_util.keystr(p): np.asarray(v, float) for p, v in jax.tree_util.tree_flatten_with_path(tree)[0]}


_CACHE: dict = {}


def est(overrides=(), layers=LAYERS) -> dict:
    """Every figure of the estimate (float64) of the default config with ``overrides``."""
    key = (tuple(overrides), layers)
    if key not in _CACHE:
        with x64():
            _CACHE[key] = _leaves(estimate_config(apply_overrides(Config(), list(overrides)), layers=layers)[0])
    return _CACHE[key]


def chip(overrides=(), layers=LAYERS):
    return build_lib.build(apply_overrides(Config(), list(overrides)), layers=layers)


def changed(a: dict, b: dict) -> set:
    return {k for k in a if not np.array_equal(a[k], b[k])}


FW_CORE = {".fw.peak_latency", ".fw.peak_energy", ".layers.fw.peak_latency", ".layers.fw.peak_energy"}
AG_CORE = {".ag.peak_latency", ".ag.peak_energy", ".layers.ag.peak_latency", ".layers.ag.peak_energy"}
WG = {".wg.latency", ".wg.energy", ".wg.peak_latency", ".wg.peak_energy", ".area.wg_unit",
      ".breakdown.wg_unit.latency", ".breakdown.wg_unit.energy"}


@pytest.mark.parametrize("field", list(NEW_FIELDS))
def test_default_written_out_is_todays_chip(field):
    """Each new field set explicitly to its default builds the very same chip as before."""
    default = NEW_FIELDS[field][0]
    b0, b1 = chip(), chip([f"hardware.{field}={'null' if default is None else default}"])
    assert b1.chip == b0.chip
    l0, l1 = _leaves(b0.params), _leaves(b1.params)
    assert l0.keys() == l1.keys()
    for k in l0:
        np.testing.assert_array_equal(l0[k], l1[k], err_msg=k)


@pytest.mark.parametrize("adc", [6, 4])
def test_ag_adc_bits_equal_to_adc_bits_is_todays_estimate(adc):
    """``ag_adc_bits`` unset and ``ag_adc_bits = adc_bits`` give exactly the same figures."""
    unset = est([f"hardware.adc_bits={adc}"])
    assert not changed(unset, est([f"hardware.adc_bits={adc}", f"hardware.ag_adc_bits={adc}"]))
    b = chip([f"hardware.adc_bits={adc}"])
    assert float(b.params.subarray.adc_levels) == float(b.params.subarray.adc_levels_ag) == 2.0**adc


def test_ag_adc_bits_moves_the_transposed_read_only():
    """NeuroSim's ``levelOutputAG`` sizes the transposed-read MLSA, encoder and shift-adder:
    AG figures and the ADC area move; the forward core compute and the WG unit do not."""
    base, ag4 = est(), est(["hardware.ag_adc_bits=4"])
    moved = changed(base, ag4)
    assert AG_CORE <= moved and {".area.adc", ".ag.latency", ".ag.energy"} <= moved
    assert not moved & (FW_CORE | WG | {".area.array"})
    b = chip(["hardware.ag_adc_bits=4"])
    assert float(b.params.subarray.adc_levels) == 64.0 and float(b.params.subarray.adc_levels_ag) == 16.0
    assert ag4[".ag.peak_latency"] < base[".ag.peak_latency"]  # a 16-level MLSA decides sooner


def test_neurosim_levelOutput_alone_is_adc_bits_with_ag_kept():
    """NeuroSim's run with ``levelOutput = 16`` alone (``levelOutputAG`` stays 64) is
    ``adc_bits = 4, ag_adc_bits = 6``: the forward core compute of ``adc_bits = 4``, and a
    transposed read that differs from the one of ``adc_bits = 4`` alone (which moves both)."""
    fw4 = est(["hardware.adc_bits=4"])
    only_fw = est(["hardware.adc_bits=4", "hardware.ag_adc_bits=6"])
    for k in FW_CORE:
        np.testing.assert_array_equal(only_fw[k], fw4[k], err_msg=k)
    assert AG_CORE <= changed(only_fw, fw4)
    b = chip(["hardware.adc_bits=4", "hardware.ag_adc_bits=6"])
    assert (float(b.params.subarray.adc_levels), float(b.params.subarray.adc_levels_ag)) == (16.0, 64.0)


def test_ag_rows_per_adc_sets_the_transposed_mux_only():
    b = chip(["hardware.ag_rows_per_adc=16"])
    assert float(b.params.subarray.rows_per_adc_ag) == 16.0 and b.chip.rows_per_adc_ag == 16
    assert float(b.params.subarray.columns_per_adc) == 8.0 and b.chip.columns_per_adc == 8
    moved = changed(est(), est(["hardware.ag_rows_per_adc=16"]))
    assert AG_CORE <= moved and not moved & (FW_CORE | WG)


@pytest.mark.parametrize("setting", ["wg_subarray_rows=64", "wg_subarray_cols=256", "wg_rows_per_adc=16"])
def test_wg_unit_knobs_move_the_weight_gradient_only(setting):
    b = chip([f"hardware.{setting}"])
    assert (float(b.params.wg.array_rows), float(b.params.wg.array_cols), b.chip.wg_rows_per_adc) == {
        "wg_subarray_rows=64": (64.0, 128.0, 8), "wg_subarray_cols=256": (128.0, 256.0, 8),
        "wg_rows_per_adc=16": (128.0, 128.0, 16)}[setting]
    moved = changed(est(), est([f"hardware.{setting}"]))
    assert {".wg.peak_latency", ".area.wg_unit"} <= moved
    assert not moved & (FW_CORE | AG_CORE | {".area.adc", ".area.array"})


def test_columns_per_adc_sets_the_wg_adder_tree_reads():
    """NeuroSim's WG unit runs its adder tree ``numColMuxed`` (the forward mux) times per read
    call (``WeightGradientUnit.cpp`` ``CalculateLatency``), so ``columns_per_adc`` reaches it."""
    assert float(chip(["hardware.columns_per_adc=16"]).params.wg.accumulation_reads) == 16.0
    assert float(chip().params.wg.accumulation_reads) == 8.0
    a, b = est(layers=BIG), est(["hardware.columns_per_adc=16"], layers=BIG)
    assert b[".wg.peak_latency"] > a[".wg.peak_latency"]


def test_delay_tolerances_move_the_wires_not_the_arrays():
    base = est()
    for which in ("global", "local"):
        relaxed = est([f"hardware.{which}_bus_delay_tolerance=0.5"])
        moved = changed(base, relaxed)
        assert ".breakdown.interconnect.energy" in moved, which
        assert relaxed[".breakdown.interconnect.energy"] < base[".breakdown.interconnect.energy"], which
        assert not moved & (FW_CORE | WG | {".area.adc", ".area.array", ".breakdown.adc.latency"}), which
    b = chip(["hardware.global_bus_delay_tolerance=0.5", "hardware.local_bus_delay_tolerance=0.0"])
    assert (float(b.params.global_delay_tolerance), float(b.params.local_delay_tolerance)) == (0.5, 0.0)


def test_buffer_overhead_constraint_grows_the_gradient_buffer():
    base, big = est(layers=BIG), est(["hardware.buffer_overhead_constraint=3"], layers=BIG)
    moved = changed(base, big)
    # more arrays written in parallel: a wider gradient accumulator (counted in the WG area,
    # Chip.cpp ChipCalculateArea) and a faster weight update
    assert big[".area.wg_unit"] > base[".area.wg_unit"] and big[".wu.latency"] < base[".wu.latency"]
    assert not moved & (FW_CORE | AG_CORE | {".area.adc", ".area.array"})
    assert float(chip(["hardware.buffer_overhead_constraint=3"]).params.buffer_overhead_constraint) == 3.0


@pytest.mark.parametrize("setting", ["access_voltage=1.5", "access_resistance=30000"])
def test_access_transistor_knobs_move_read_energy_only(setting):
    base, other = est(), est([f"hardware.{setting}"])
    moved = changed(base, other)
    assert ".fw.peak_energy" in moved
    assert not {k for k in moved if "latency" in k or k.startswith(".area")}


@pytest.mark.parametrize(
    "setting,words",
    [
        ("ag_adc_bits=0", "hardware.ag_adc_bits = 0 is invalid: expected an integer in [1, 12] or None"),
        ("ag_adc_bits=13", "hardware.ag_adc_bits = 13"),
        ("ag_rows_per_adc=12", "hardware.ag_rows_per_adc = 12 is invalid: expected a power of two in [1, 256]"),
        ("ag_rows_per_adc=256", "at most hardware.subarray_rows = 128"),
        ("wg_subarray_rows=100", "hardware.wg_subarray_rows = 100 is invalid: expected a power of two in [16, 2048]"),
        ("wg_subarray_cols=4096", "hardware.wg_subarray_cols = 4096"),
        ("wg_rows_per_adc=1", "hardware.wg_rows_per_adc = 1 is invalid: expected a power of two in [2, 256]"),
        ("wg_rows_per_adc=256", "at most hardware.wg_subarray_cols = 128"),
        ("global_bus_delay_tolerance=-0.1", "hardware.global_bus_delay_tolerance = -0.1 is invalid"),
        ("local_bus_delay_tolerance=11", "hardware.local_bus_delay_tolerance = 11"),
        ("buffer_overhead_constraint=-1", "hardware.buffer_overhead_constraint = -1"),
        ("access_voltage=0", "hardware.access_voltage = 0"),
        ("access_resistance=-5", "hardware.access_resistance = -5"),
    ],
)
def test_bad_values_fail_when_the_config_is_built(setting, words):
    with pytest.raises(ConfigError) as e:
        apply_overrides(Config(), [f"hardware.{setting}"])
    assert words in str(e.value)


def test_nonlinear_transposed_read_needs_a_tabulated_ag_adc():
    base = ["array.mode=hw_full", "array.adc_mode=nonlinear", "hardware.adc_bits=4", "quant.weight_bits=5",
            "hardware.cell_bits=5"]
    apply_overrides(Config(), base + ["hardware.ag_adc_bits=5"])
    with pytest.raises(ConfigError, match=r"hardware.ag_adc_bits = 6 is invalid with array.mode = 'hw_full'"):
        apply_overrides(Config(), base + ["hardware.ag_adc_bits=6"])
    # hw_forward never reads the transposed array: any AG ADC is fine
    apply_overrides(Config(), base[1:] + ["array.mode=hw_forward", "hardware.ag_adc_bits=6"])
