"""NeuroSim versions as data (cimjax.hw.neurosim_version): constructors, validation, and every
flag documented in docs/neurosim_versions.md and read by a model."""

import dataclasses
import pathlib

import pytest

import helpers

from cimjax.hw import neurosim_version as nv
from cimjax.hw.chip import ChipConfig
from cimjax.hw.network import LayerShape

ROOT = pathlib.Path(helpers.ROOT)
LAYERS = (LayerShape(8, 8, 16, 3, 3, 32, False), LayerShape(1, 1, 128, 1, 1, 10, False))


def test_constructors_by_name_and_validation():
    assert nv.NAMES == ("current", "march2020", "v2_1")
    assert nv.by_name("current") == nv.current() == nv.CURRENT
    assert nv.by_name("march2020") == nv.march2020()
    assert nv.by_name("v2_1") == nv.v2_1()
    with pytest.raises(ValueError, match="'current', 'march2020', 'v2_1'"):
        nv.by_name("v2.1")
    with pytest.raises(ValueError, match="htree_floor_stages"):
        nv.NeuroSimVersion(htree_floor_stages=1)
    assert hash(nv.march2020()) == hash(nv.march2020())  # usable in static configs


def test_march2020_differs_only_in_its_difference_flags():
    cur, mar = nv.current(), nv.march2020()
    differ = {f for f in nv.NeuroSimVersion.flags() if getattr(cur, f) != getattr(mar, f)}
    assert differ and all(getattr(mar, f) and not getattr(cur, f) for f in differ)
    quirks = {f for f in nv.NeuroSimVersion.flags() if getattr(cur, f)}
    assert len(quirks) == 9 and all(getattr(mar, f) for f in quirks)


V21_FLAGS = {"first_layer_no_ag", "adder_width_col_per_synapse", "accumulation_reads_per_synapse",
             "pe_tree_accumulation_per_phase", "dram_breakdown_factor_squared", "shift_adder_cell_bits",
             "fefet_polarization_write", "finfet_on_current_temperature", "write_pulse_average_selected_rows",
             "mlsa_power_temperature"}


def test_v2_1_keeps_the_quirks_and_sets_only_its_own_flags():
    cur, v21, mar = nv.current(), nv.v2_1(), nv.march2020()
    differ = {f for f in nv.NeuroSimVersion.flags() if getattr(cur, f) != getattr(v21, f)}
    assert differ == V21_FLAGS and all(getattr(v21, f) for f in differ)
    assert not any(getattr(mar, f) for f in V21_FLAGS)  # the March 2020 code has none of them
    assert ChipConfig(LAYERS, neurosim_code="v2_1").version == v21


def test_chip_config_takes_a_version_or_a_name():
    assert ChipConfig(LAYERS).version == nv.CURRENT
    by_name = ChipConfig(LAYERS, neurosim_code="march2020")
    assert by_name.version == nv.march2020() and by_name.neurosim_code == "march2020"
    assert ChipConfig(LAYERS, version="march2020") == by_name
    assert dataclasses.replace(by_name, neurosim_code="current").version == nv.CURRENT
    fixed = dataclasses.replace(nv.CURRENT, wg_out_precision_unset=False)
    assert ChipConfig(LAYERS, version=fixed).component.version is fixed
    with pytest.raises(ValueError, match="NeuroSim version"):
        ChipConfig(LAYERS, neurosim_code="2021")


def test_every_flag_documented_and_read_by_a_model():
    doc = (ROOT / "docs" / "neurosim_versions.md").read_text()
    sources = "\n".join(p.read_text() for p in (ROOT / "cimjax" / "hw").rglob("*.py")
                        if p.name != "neurosim_version.py")
    for flag in nv.NeuroSimVersion.flags():
        assert f"| `{flag}` |" in doc, flag
        assert f"version.{flag}" in sources, flag
