"""NeuroSim V2.1's model differences (cimjax.hw.neurosim_version.v2_1), one flag at a time.

Each test turns one V2.1 flag on over the current (V2.0 d4de5bc) code and checks what it
moves and what it leaves alone, on a small two-layer network evaluated on the host (seconds).
The flags' NeuroSim sources are in docs/neurosim_versions.md; V2.1 as a whole against its own
run is ``tests/hw/test_hw_neurosim_v21.py``.
"""

from __future__ import annotations

import dataclasses
import os

import jax.numpy as jnp
import numpy as np
import pytest

from helpers import ROOT

from cimjax import host_eval, trace as trace_lib
from cimjax.config import ConfigError, apply_overrides, load_config
from cimjax.hw import chip
from cimjax.hw import neurosim_version as nv
from cimjax.hw.components import mlsa, sar_adc
from cimjax.hw.components.params import CircuitParams, ComponentConfig
from cimjax.hw.network import LayerShape

LAYERS = (LayerShape(16, 16, 16, 3, 3, 32, True), LayerShape(8, 8, 32, 3, 3, 32, False))
TRACE = trace_lib.make_trace([0.3, 0.2], 0.5, [400.0, 100.0], [900.0, 150.0], [0.6, 0.4], [0.2, 0.1],
                             read_occupancy=(0.8, 0.7))

_CACHE: dict = {}


def _est(version, params=None, layers=LAYERS):
    key = (version, id(params), layers)
    if key not in _CACHE:
        config = chip.ChipConfig(layers, version=version)
        p = chip.default_params() if params is None else params
        _CACHE[key] = host_eval.call(lambda q, t: chip.estimate(q, config, t), p, TRACE)
    return _CACHE[key]


def _with(**flags):
    return dataclasses.replace(nv.CURRENT, **flags)


def _f(x):
    return np.asarray(x, float)


def test_first_layer_has_no_activation_gradient_phase():
    base, v = _est(nv.CURRENT), _est(_with(first_layer_no_ag=True))
    ag, ag0 = v.layers.ag, base.layers.ag
    for field in ("latency", "energy", "peak_latency", "peak_energy"):
        assert _f(getattr(ag, field))[0] == 0.0 and _f(getattr(ag0, field))[0] > 0.0, field
        np.testing.assert_allclose(_f(getattr(ag, field))[1], _f(getattr(ag0, field))[1], rtol=1e-6)
    for field in ("latency", "energy", "peak_latency", "peak_energy"):  # FW and WG untouched
        np.testing.assert_allclose(_f(getattr(v.fw, field)), _f(getattr(base.fw, field)), rtol=1e-6)
        np.testing.assert_allclose(_f(getattr(v.wg, field)), _f(getattr(base.wg, field)), rtol=1e-6)
    # main.cpp: numComputation loses the first layer's 2·MACs of AG (per image, × batch × iterations).
    params = chip.default_params()
    l0 = LAYERS[0]
    macs0 = l0.ifm_h * l0.ifm_w * l0.in_channels * l0.kernel_h * l0.kernel_w * l0.out_channels
    per_image = float(params.batch_size) * float(params.num_iterations)
    np.testing.assert_allclose(_f(base.num_ops) - _f(v.num_ops), 2.0 * macs0 * per_image, rtol=1e-9)
    # The breakdown drops the first layer's AG copies (buffers, interconnect, accumulation, ADC).
    for bucket in ("buffer", "interconnect", "accumulation", "adc", "array"):
        assert _f(getattr(v.breakdown, bucket).energy) < _f(getattr(base.breakdown, bucket).energy), bucket
    assert _f(v.area.total) == pytest.approx(_f(base.area.total), rel=1e-9)


@pytest.mark.slow  # two host-evaluated estimates, ~40 s on the 2-core VM
def test_wider_accumulators_cost_area_and_energy():
    base, v = _est(nv.CURRENT), _est(_with(adder_width_col_per_synapse=True))
    assert _f(v.area.accumulation) > _f(base.area.accumulation)
    assert _f(v.breakdown.accumulation.energy) > _f(base.breakdown.accumulation.energy)
    assert _f(v.area.array) == pytest.approx(_f(base.area.array), rel=1e-9)
    assert _f(v.area.adc) == pytest.approx(_f(base.area.adc), rel=1e-9)


@pytest.mark.slow  # two host-evaluated estimates, ~40 s on the 2-core VM
def test_ag_shift_adder_takes_cell_bits():
    # One cell per weight: the forward shift-adder keeps its log2 L + 1 bits, the AG one drops
    # from log2 L_AG + numReadPulseBP + 1 to log2 L_AG + 1.
    base, v = _est(nv.CURRENT), _est(_with(shift_adder_cell_bits=True))
    assert _f(v.area.accumulation) < _f(base.area.accumulation)
    # FW moves only through the smaller sub-array's shorter PE wires (0.2 % here).
    np.testing.assert_allclose(_f(v.layers.fw.energy), _f(base.layers.fw.energy), rtol=1e-2)
    assert np.all(_f(v.layers.ag.energy) < _f(base.layers.ag.energy))


@pytest.mark.slow  # two host-evaluated estimates, ~40 s on the 2-core VM
def test_accumulation_reads_per_synapse():
    # 1-bit cells, 5-bit weights: five cells per weight, ⌊numColMuxed/5⌋ = 1 accumulation read
    # per input vector instead of 8 (PE adder tree and tile accumulator).
    p = chip.default_params()
    p = p._replace(floorplan=p.floorplan._replace(cell_bits=1.0))
    base, v = _est(nv.CURRENT, p), _est(_with(accumulation_reads_per_synapse=True), p)
    assert _f(v.breakdown.accumulation.energy) < _f(base.breakdown.accumulation.energy)
    np.testing.assert_allclose(_f(v.breakdown.adc.energy), _f(base.breakdown.adc.energy), rtol=1e-6)
    # One cell per weight (the default): ⌊8/1⌋ = 8, nothing moves.
    same = _est(_with(accumulation_reads_per_synapse=True))
    np.testing.assert_allclose(_f(same.fw.energy), _f(_est(nv.CURRENT).fw.energy), rtol=1e-9)


@pytest.mark.slow  # two host-evaluated estimates, ~40 s on the 2-core VM
def test_pe_tree_counted_per_phase_in_the_breakdown_only():
    # An FC layer of 1024 weight rows (conventionally mapped): PEs of several sub-array rows,
    # so a PE adder tree.
    layers = (LAYERS[0], LayerShape(1, 1, 1024, 1, 1, 64, False))
    base = _est(nv.CURRENT, layers=layers)
    v = _est(_with(pe_tree_accumulation_per_phase=True), layers=layers)
    assert _f(v.breakdown.accumulation.latency) > _f(base.breakdown.accumulation.latency)
    for phase in ("fw", "ag", "wg", "wu"):
        np.testing.assert_allclose(_f(getattr(v, phase).energy), _f(getattr(base, phase).energy), rtol=1e-9)


@pytest.mark.slow  # two host-evaluated estimates, ~40 s on the 2-core VM
def test_dram_breakdown_factor_squared_is_a_breakdown_quirk():
    v21 = nv.v2_1()
    sq, fixed = _est(v21), _est(dataclasses.replace(v21, dram_breakdown_factor_squared=False))
    assert _f(sq.breakdown.dram.energy) > _f(fixed.breakdown.dram.energy)
    for phase in ("fw", "ag", "wg", "wu"):
        np.testing.assert_allclose(_f(getattr(sq, phase).energy), _f(getattr(fixed, phase).energy), rtol=1e-9)


def test_v21_config_reproduces_the_shipped_param_cpp():
    config = load_config(os.path.join(ROOT, "configs", "neurosim_v21.py"))
    hw = config.hardware
    assert (hw.cell_type, hw.r_on, hw.on_off_ratio, hw.temperature_k, hw.neurosim_code) == (
        "fefet", 240e3, 100.0, 300.0, "v2_1")
    assert config.device.max_level == 60
    with pytest.raises(ConfigError, match="hardware.neurosim_code"):
        apply_overrides(config, ["hardware.neurosim_code=v2.1"])


def test_sar_adc_component():
    """SarADC.cpp (V2.1): (log2 L + 1) ns per conversion, columns_per_adc conversions per read;
    an open column 1 µW for the conversion; area (269 + 109·(b−1))·A_n + (209 + 73·(b−1))·A_p."""
    cfg = ComponentConfig()
    p = mlsa.MlsaParams(CircuitParams(node_nm=32.0, temperature_k=300.0), levels=64.0, num_adc=16.0,
                        columns_per_adc=8.0, num_columns=128.0)
    open_read = sar_adc.sar_adc(p, cfg, column_resistance=np.inf)
    assert float(open_read.latency) == pytest.approx(7e-9 * 8)
    assert float(open_read.energy) == pytest.approx(1e-6 * 7e-9 * 128)
    a_min = float(mlsa.mlsa_area(p._replace(levels=2.0, num_adc=1.0), cfg)) / 72.0  # one minimum cell region
    assert float(open_read.area) == pytest.approx((269 + 109 * 5 + 209 + 73 * 5) * a_min * 16, rel=1e-6)
    # LSTP 32 nm fit at R = 20 kΩ and V_read = 0.5 V: (1.1294·6 + 8.8998) µW + 0.079449·20e3^-2.297.
    one = sar_adc.sar_adc(p, cfg, column_resistance=20e3)
    power = (1.1294 * 6 + 8.8998) * 1e-6 + 0.079449 * np.exp(-2.297 * np.log10(20e3))
    assert float(one.energy) == pytest.approx(power * 7e-9 * 128, rel=1e-5)
    half = sar_adc.sar_adc(p, cfg, column_resistance=20e3, read_occupancy=0.5)
    assert float(half.energy) == pytest.approx(0.5 * (float(one.energy) + float(open_read.energy)), rel=1e-6)


def test_adc_type_is_validated_and_reaches_the_chip():
    from cimjax import build as build_lib
    from cimjax.config import Config

    config = apply_overrides(Config(), ["hardware.adc_type=sar"])
    chip_config = build_lib.build(config, layers=LAYERS).chip
    assert chip_config.adc == "sar" and chip_config.component.adc == "sar"
    assert build_lib.build(Config(), layers=LAYERS).chip.component.adc == "mlsa"
    with pytest.raises(ConfigError, match="hardware.adc_type"):
        apply_overrides(Config(), ["hardware.adc_type=flash"])
    with pytest.raises(ValueError, match="adc"):
        ComponentConfig(adc="flash")


def test_voltage_mode_sense_amplifier_component():
    """MultilevelSenseAmp.cpp, V2.1 currentMode = false: 1 ns per column, P_v(R)·1 ns per column,
    (52·A_n + 60·A_p)·(L − 1) per ADC; the current mode (default) is untouched."""
    cfg = mlsa.MlsaConfig()
    vcfg = mlsa.MlsaConfig(adc="mlsa_voltage")
    p = mlsa.MlsaParams(CircuitParams(node_nm=32.0, temperature_k=300.0), levels=64.0, num_adc=16.0,
                        columns_per_adc=8.0, num_columns=128.0)
    v = mlsa.mlsa(p, vcfg, column_resistance=20e3)
    assert float(v.latency) == pytest.approx(1e-9 * 8)
    power = 3.692 * 63 * 1e-6 + 0.079449 * np.exp(-2.297 * np.log10(20e3))  # LSTP 32 nm fit
    assert float(v.energy) == pytest.approx(power * 1e-9 * 128, rel=1e-5)
    c = mlsa.mlsa(p, cfg, column_resistance=20e3)
    assert float(v.area) == pytest.approx(float(c.area) * (52 + 60) / (48 + 24), rel=1e-6)
    assert float(c.energy) != pytest.approx(float(v.energy), rel=1e-3)


@pytest.mark.parametrize("levels,ratio", [(60, 100.0), (31, 7.0)])
def test_fefet_polarization_energy_follows_the_v21_cell_loop(levels, ratio):
    """V2.1 GetWriteUpdateEstimation: every written FeFET cell (|ΔG| ≥ ΔG_min) adds
    ΔP·0.01·V_w·2F², ΔP = |Pr_new + P| + |Pr_old + P|, Pr = (G/ΔG_min − ⌊N/2⌋)·2P/N (an odd
    N included). Here the loop, cell by cell and sub-array by sub-array, against the trace's two
    statistics through subarray_write; V2.0 and RRAM charge none."""
    from cimjax.hw.components import subarray_write as sw
    from cimjax.hw.components.subarray_types import SubArrayConfig, SubArrayParams

    rng = np.random.default_rng(3)
    old = rng.uniform(-1, 1, (12, 10))
    new = np.clip(old + rng.integers(-3, 4, old.shape) * (2.0 / levels) * (rng.random(old.shape) < 0.5)
                  + rng.normal(0, 0.004, old.shape), -1, 1)
    r_on, p_pol, v_write, node = 240e3, 20.0, 4.0, 32.0
    g_max, g_min = 1 / r_on, 1 / (r_on * ratio)
    dg = (g_max - g_min) / levels
    conductance = lambda w: (w + 1) / 2 * (g_max - g_min) + g_min  # noqa: E731  (Chip.cpp LoadInWeightData)
    pr = lambda g: (g / dg - levels // 2) * (p_pol * 2 / levels)  # noqa: E731
    per_subarray = []
    for r0 in range(0, 12, 8):
        for c0 in range(0, 10, 8):
            gn, go = conductance(new[r0:r0 + 8, c0:c0 + 8]), conductance(old[r0:r0 + 8, c0:c0 + 8])
            dp = sum(abs(pr(a) + p_pol) + abs(pr(b) + p_pol)
                     for a, b in zip(gn.ravel(), go.ravel()) if abs(a - b) >= dg)
            per_subarray.append(dp * 0.01 * np.sqrt(2) * v_write * 2 * (node * 1e-9) ** 2)
    stats = trace_lib.weight_update_stats(jnp.asarray(new), jnp.asarray(old), max_levels=levels,
                                          subarray_rows=8, subarray_cols=8)
    assert float(stats.written_cells) > 0
    p = SubArrayParams(r_on=r_on, r_off=r_on * ratio, max_levels=float(levels), write_voltage=v_write,
                       fefet_polarization=p_pol)
    kw = dict(write_pulses=stats.write_pulses, cell_pulse_energy_sum=0.0, row_write_activity=stats.row_write_activity,
              col_write_activity=stats.col_write_activity, written_cells=stats.written_cells,
              written_level=stats.written_level)

    def energy(version, cell="fefet", polarization=p_pol):
        cfg = SubArrayConfig(cell=cell, version=version)
        return float(sw.subarray_write(p._replace(fefet_polarization=polarization), cfg, **kw).energy)

    v21 = nv.by_name("v2_1")
    assert energy(v21) - energy(v21, polarization=0.0) == pytest.approx(np.mean(per_subarray), rel=1e-5)
    assert energy(_with(fefet_polarization_write=True)) - energy(nv.CURRENT) == pytest.approx(
        np.mean(per_subarray), rel=1e-5)
    assert energy(nv.CURRENT) == energy(nv.CURRENT, polarization=0.0)  # V2.0: no polarisation term
    assert energy(v21, "rram") == energy(v21, "rram", polarization=0.0)  # FeFET cells only


def test_finfet_on_current_follows_v21_temperature_tables():
    """V2.1 Technology.cpp: FinFET I_on every 10 K over 300–400 K, linear per kelvin between;
    planar nodes and V2.0 (no temperature) keep the 300 K table; pnSizeRatio stays 1."""
    from cimjax.hw import tech
    from cimjax.hw.components.params import circuit_technology

    t = tech.technology(14.0, "LSTP", finfet_temperature_k=350.0)
    assert float(t.i_on_n) == pytest.approx(708.0) and float(t.i_on_p) == pytest.approx(593.0)
    t = tech.technology(7.0, "HP", finfet_temperature_k=355.0)
    assert float(t.i_on_n) == pytest.approx((1670.0 + 1632.0) / 2)
    v20 = tech.technology(14.0, "LSTP")
    assert float(tech.technology(14.0, "LSTP", finfet_temperature_k=300.0).i_on_n) == float(v20.i_on_n) == 893.0
    for node in (22.0, 32.0, 130.0):  # planar: the 300 K values at any temperature
        assert float(tech.technology(node, "HP", finfet_temperature_k=400.0).i_on_n) == pytest.approx(
            float(tech.technology(node, "HP").i_on_n))
    for roadmap in tech.ROADMAPS:
        for node in (7.0, 10.0, 14.0, 18.0):
            for temp in tech.V21_FINFET_TEMPERATURES_K:
                t = tech.technology(node, roadmap, finfet_temperature_k=temp)
                assert 1.0 <= float(t.i_on_n / t.i_on_p) < 2.0  # floored pnSizeRatio 1, as at 300 K
    with pytest.raises(ValueError, match="finfet_temperature_k"):
        tech.technology(14.0, finfet_temperature_k=401.0)
    circuit = CircuitParams(node_nm=14.0, temperature_k=350.0)
    assert float(circuit_technology(circuit, ComponentConfig(version=nv.by_name("v2_1"))).i_on_n) == pytest.approx(708.0)
    assert float(circuit_technology(circuit, ComponentConfig()).i_on_n) == pytest.approx(893.0)
    config = load_config(os.path.join(ROOT, "configs", "neurosim_v21.py"))
    # NeuroSim's formula.cpp exits outside 300-400 K in V2.0 and V2.1 alike (the off-current
    # tables of both span it): the same ConfigError in every version.
    for code in ("v2_1", "current"):
        with pytest.raises(ConfigError, match=r"hardware.temperature_k = 420.0 .*\[300.0, 400.0\]"):
            apply_overrides(config, [f"hardware.neurosim_code={code}", "hardware.temperature_k=420"])
    assert apply_overrides(config, ["hardware.neurosim_code=current", "hardware.temperature_k=400"])


def test_write_pulse_average_over_selected_rows():
    """V2.1: numWritePulseAVG = totalNumWritePulse/max(1, (SET rows + RESET rows)/2) (V2.0: /rows)."""
    from cimjax.hw.components.subarray_write import write_pulse_average
    from cimjax.hw.components.subarray_types import SubArrayConfig

    v20, v21 = SubArrayConfig(), SubArrayConfig(version=nv.by_name("v2_1"))
    assert float(write_pulse_average(600.0, 0.25, 128.0, v20)) == pytest.approx(600.0 / 128.0)
    assert float(write_pulse_average(600.0, 0.25, 128.0, v21)) == pytest.approx(600.0 / 32.0)
    assert float(write_pulse_average(3.0, 0.0, 128.0, v21)) == pytest.approx(3.0)  # max(1, ·)
    # V2.1 keeps sl_write_pulses_unset: the average reaches no 1T1R write energy ...
    from cimjax.hw.components import subarray_write as sw
    from cimjax.hw.components.subarray_types import SubArrayParams

    kw = dict(write_pulses=600.0, cell_pulse_energy_sum=1e-3, row_write_activity=0.25, col_write_activity=0.05)

    def energy(version):
        return float(sw.subarray_write(SubArrayParams(), SubArrayConfig(version=version), **kw).energy)

    assert energy(_with(write_pulse_average_selected_rows=True)) == energy(nv.CURRENT)
    # ... but does once the quirk is off: the SL switch matrix charges 4× the pulses here.
    fixed = _with(sl_write_pulses_unset=False)
    assert energy(dataclasses.replace(fixed, write_pulse_average_selected_rows=True)) > energy(fixed)


def test_current_mode_column_power_temperature_term():
    """V2.1 GetColumnPower: ×(1 + 1.3e-3·(T − 300)) on the current mode too (an open column's 1 µW
    included); V2.0 has no such term."""
    p = mlsa.MlsaParams(CircuitParams(node_nm=32.0, temperature_k=350.0), levels=64.0, num_adc=16.0,
                        columns_per_adc=8.0, num_columns=128.0)
    v20, v21 = mlsa.MlsaConfig(), mlsa.MlsaConfig(version=nv.by_name("v2_1"))
    for r in (20e3, np.inf):
        assert float(mlsa.column_power(p, v21, r)) == pytest.approx(float(mlsa.column_power(p, v20, r)) * 1.065)
    assert float(mlsa.mlsa(p, v21, 20e3, read_occupancy=0.5).energy) == pytest.approx(
        1.065 * float(mlsa.mlsa(p, v20, 20e3, read_occupancy=0.5).energy), rel=1e-6)
    at300 = p._replace(circuit=CircuitParams(node_nm=32.0, temperature_k=300.0))
    assert float(mlsa.column_power(at300, v21, 20e3)) == float(mlsa.column_power(at300, v20, 20e3))
