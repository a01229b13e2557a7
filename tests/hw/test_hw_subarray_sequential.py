"""The row-by-row (sequential) read, NeuroSim's ``operationmode = 1``: eNVM
(:mod:`cimjax.hw.components.subarray_sequential`) and SRAM
(:mod:`cimjax.hw.components.subarray_sram_sequential`). The whole chip against NeuroSim's own runs:
the ``sequential`` variant of ``tests/hw/test_hw_neurosim_variants.py`` (RRAM) and the
``sram_*_sequential`` runs of ``tests/hw/test_hw_sram_neurosim.py``."""

from __future__ import annotations

import numpy as np
import pytest

from cimjax.config import Config, ConfigError, apply_overrides
from cimjax.hw.components import subarray as SA
from cimjax.hw.components import subarray_sequential as SEQ
from cimjax.hw.components.subarray_types import SubArrayConfig, SubArrayParams

SEQ_CONFIG = SubArrayConfig(read_mode="sequential")


def _read(params=SubArrayParams(), config=SEQ_CONFIG, act=0.2, level=0.5):
    return SA.subarray_read(params, config, row_activity=act, weight_level=level)


def test_config_field_default_and_validation():
    assert Config().hardware.read_mode == "parallel"
    assert apply_overrides(Config(), ["hardware.read_mode=sequential"]).hardware.read_mode == "sequential"
    with pytest.raises(ConfigError, match=r"hardware.read_mode = 'serial' is invalid"):
        apply_overrides(Config(), ["hardware.read_mode=serial"])
    with pytest.raises(ValueError, match="read_mode"):
        SubArrayConfig(read_mode="row_by_row")


def test_one_read_per_active_row():
    """Every term but the column delay, the shift-adder and the mux (under the decoder's max)
    scales with the rows opened (``rows·a_row`` reads): the increments from a = 0 are linear in a."""
    base, one, two = (_read(act=a) for a in (0.0, 0.2, 0.4))
    for field in ("latency", "energy", "adc_energy", "accumulation_energy"):
        d1 = float(getattr(one.fw, field) - getattr(base.fw, field))
        d2 = float(getattr(two.fw, field) - getattr(base.fw, field))
        assert d1 > 0 and d2 == pytest.approx(2.0 * d1, rel=1e-3), field


def test_forward_energy_leaves_out_the_sense_amplifiers():
    """NeuroSim books the forward MLSA and encoder energy in the ADC breakdown only."""
    p = SubArrayParams()
    r = _read(p)
    _, fw, _, _ = SEQ._parts(p, SEQ_CONFIG, 0.2, 0.5)
    sense = float((fw.mlsa.energy + fw.enc.energy) * 128 * 0.2)
    buckets = float(r.fw.adc_energy + r.fw.accumulation_energy + r.fw.other_energy)
    assert float(r.fw.energy) == pytest.approx(buckets - sense, rel=1e-5)
    # The transposed energy does include them (NeuroSim's readDynamicEnergyAG).
    ag_buckets = float(r.ag.adc_energy + r.ag.accumulation_energy + r.ag.other_energy)
    assert float(r.ag.energy) == pytest.approx(ag_buckets, rel=1e-5)


@pytest.mark.slow  # four sub-array areas: ~20 s on the loaded 2-core VM
def test_sense_amplifiers_have_the_cells_levels_not_the_adc_bits():
    area = SA.subarray_area(SubArrayParams(), SEQ_CONFIG)
    other_adc = SA.subarray_area(SubArrayParams(adc_levels=16.0, adc_levels_ag=16.0), SEQ_CONFIG)
    assert float(other_adc.adc) == pytest.approx(float(area.adc), rel=1e-6)
    fewer = SA.subarray_area(SubArrayParams(cell_bits=3.0), SEQ_CONFIG)
    assert float(fewer.adc) < 0.5 * float(area.adc)  # 7 against 31 reference levels
    parallel = SA.subarray_area(SubArrayParams())
    assert float(area.adc) < float(parallel.adc)  # 31 against 63 levels
    assert float(area.accumulation) > float(parallel.accumulation)  # the adders and DFFs


def test_output_bits_and_no_transposed_read_without_training():
    assert float(SEQ.output_bits(128.0, 5.0)) == 11.0  # ⌈log2 128 + 5 − 1⌉ (ProcessingUnit.cpp)
    nobp = SubArrayConfig(read_mode="sequential", parallel_bp=False)
    r = _read(config=nobp)
    assert all(float(x) == 0.0 for x in r.ag)
    assert float(SA.subarray_area(SubArrayParams(), nobp).total) < float(SA.subarray_area(SubArrayParams(), SEQ_CONFIG).total)


def test_parallel_read_is_untouched_by_the_new_params():
    """``cell_bits`` is read by the sequential read only."""
    a = _read(config=SubArrayConfig())
    b = _read(SubArrayParams(cell_bits=2.0), config=SubArrayConfig())
    np.testing.assert_array_equal(np.asarray(a.fw.energy), np.asarray(b.fw.energy))


SRAM_SEQ = SubArrayConfig(cell="sram", read_mode="sequential")


def test_sram_one_read_per_active_row_and_an_adder_per_weight():
    base, one, two = (_read(config=SRAM_SEQ, act=a) for a in (0.0, 0.2, 0.4))
    for field in ("latency", "energy"):
        d1 = float(getattr(one.fw, field) - getattr(base.fw, field))
        d2 = float(getattr(two.fw, field) - getattr(base.fw, field))
        assert d1 > 0 and d2 == pytest.approx(2.0 * d1, rel=1e-4), field
    # ⌊128/5⌋ = 25 adders for 5-bit weights on one-bit cells, 42 for 3-bit ones: more accumulation area.
    five = SA.subarray_area(SubArrayParams(), SRAM_SEQ)
    three = SA.subarray_area(SubArrayParams(synapse_bits=3.0), SRAM_SEQ)
    assert float(three.accumulation) > 1.3 * float(five.accumulation)
    assert float(three.adc) == pytest.approx(float(five.adc), rel=1e-6)  # one sense amplifier per column
