"""``hardware.parallel_bp`` (NeuroSim's ``parallelBP``): False reads the parallel eNVM sub-array's
transposed direction row by row (``SubArrayConfig.ag_row_by_row``, the AG chain of
:mod:`cimjax.hw.components.subarray_sequential`). The whole chip against NeuroSim's own run: the
``parallelBP_false`` variant of ``tests/hw/test_hw_neurosim_variants.py``."""

from __future__ import annotations

import numpy as np
import pytest

from cimjax.config import Config, ConfigError, apply_overrides
from cimjax.config.neurosim_param import apply_param_cpp
from cimjax.hw.components import subarray as SA
from cimjax.hw.components.subarray_types import SubArrayConfig, SubArrayParams

ROW_BY_ROW = SubArrayConfig(ag_row_by_row=True)


def _read(params=SubArrayParams(), config=ROW_BY_ROW, act=0.2, level=0.5):
    return SA.subarray_read(params, config, row_activity=act, weight_level=level)


def test_config_field_default_and_validation():
    assert Config().hardware.parallel_bp is True
    assert apply_overrides(Config(), ["hardware.parallel_bp=false"]).hardware.parallel_bp is False
    with pytest.raises(ConfigError, match="hardware.parallel_bp"):
        apply_overrides(Config(), ["hardware.parallel_bp=2"])
    with pytest.raises(ConfigError, match=r"hardware.parallel_bp = False is invalid.*cell_type = 'sram'"):
        apply_overrides(Config(), ["hardware.cell_type=sram", "hardware.parallel_bp=false"])
    with pytest.raises(ValueError, match="ag_row_by_row"):
        SubArrayConfig(cell="sram", ag_row_by_row=True)


def test_param_cpp_parallel_bp_false_is_the_field():
    config, t = apply_param_cpp(Config(), "Param::Param() {\n    parallelBP = false;\n}\n")
    assert config.hardware.parallel_bp is False
    assert not t.unsupported


def test_forward_read_unchanged_and_transposed_read_row_by_row():
    """The forward read is the parallel one; the transposed read senses ``numCol·0.5`` rows of
    ``numRowMuxedAG`` groups one by one, so it is many times slower than the parallel AG read, and
    its MLSAs have ``2^cellBit`` levels whatever ``adc_levels_ag`` says."""
    par, rbr = _read(config=SubArrayConfig()), _read()
    for field in par.fw._fields:
        np.testing.assert_allclose(np.asarray(getattr(rbr.fw, field)), np.asarray(getattr(par.fw, field)), rtol=1e-6)
    assert float(rbr.ag.latency) > 10.0 * float(par.ag.latency)
    assert float(rbr.ag.accumulation_latency) > 0.0 and float(rbr.ag.adc_latency) > 0.0
    other = _read(SubArrayParams(adc_levels_ag=16.0))
    np.testing.assert_allclose(np.asarray(other.ag.latency), np.asarray(rbr.ag.latency), rtol=1e-6)
    assert float(_read(SubArrayParams(adc_levels_ag=16.0), SubArrayConfig()).ag.latency) != pytest.approx(
        float(par.ag.latency), rel=1e-3)


def test_transposed_periphery_is_the_sequential_reads():
    """The AG ADCs of the row-by-row AG read are the sequential sub-array's (same chain, same
    ``2^cellBit``-level MLSAs), the forward ADCs the parallel sub-array's."""
    p = SubArrayParams()
    rbr, par = SA.subarray_area(p, ROW_BY_ROW), SA.subarray_area(p)
    seq = SA.subarray_area(p, SubArrayConfig(read_mode="sequential"))
    seq_fw = SA.subarray_area(p, SubArrayConfig(read_mode="sequential", parallel_bp=False))
    par_fw = SA.subarray_area(p, SubArrayConfig(parallel_bp=False))
    assert float(rbr.adc - par_fw.adc) == pytest.approx(float(seq.adc - seq_fw.adc), rel=1e-6)
    assert float(rbr.adc) < float(par.adc)  # 31-level against 63-level AG MLSAs
    assert float(rbr.accumulation) > float(par.accumulation)  # the AG adders and DFFs


def test_weight_gradient_unit_reads_row_by_row():
    """NeuroSim's ``parallelBP = false`` WG unit (``WeightGradientUnit.cpp``): one row read per
    active row and input bit, so the read call's latency and energy grow linearly with the
    activity (from the activity-independent shift-adder and adder tree), far above the parallel
    MLSA read's at the same activity; ``outPrecision`` takes ``log2 rows`` (7) in place of
    ``log2 levelOutputWG`` (4)."""
    from cimjax.hw.components import wg_unit as W

    p, rbr = W.WeightGradientParams(), W.WeightGradientConfig(row_by_row=True)
    base, one, two = (W.wg_array(p, rbr, a) for a in (0.0, 0.2, 0.4))
    for field in ("latency", "energy"):
        d1 = float(getattr(one.read, field) - getattr(base.read, field))
        d2 = float(getattr(two.read, field) - getattr(base.read, field))
        assert d1 > 0 and d2 == pytest.approx(2.0 * d1, rel=1e-4), field
    par = W.wg_array(p, W.WeightGradientConfig(), 0.2)
    assert float(one.read.latency) > 3.0 * float(par.read.latency)  # 4.7x at a = 0.2
    assert float(W.out_precision(p, rbr)) == float(W.out_precision(p, W.WeightGradientConfig())) + 3.0
    # the WG ADC levels do not enter the row-by-row read
    other = W.wg_array(p._replace(adc_levels=64.0), rbr, 0.2)
    assert float(other.read.energy) == pytest.approx(float(one.read.energy), rel=1e-6)
    with pytest.raises(ValueError, match="row_by_row"):
        W.WeightGradientConfig(row_by_row=1)
