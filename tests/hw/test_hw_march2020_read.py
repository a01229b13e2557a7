"""The sub-array read path of NeuroSim's March 2020 code (``neurosim_version.march2020()``).

NeuroSim V2.0 commit bf95f9c (2020-03-15): ``MultilevelSenseAmp.cpp`` / ``CurrentSenseAmp.cpp``
(MLSA area and column energy), ``MultilevelSAEncoder.cpp`` (encoder layout) and ``SubArray.cpp``
(reads per action, access transistor, SL switch TG, forward shift-adder bits, leakage). Checked:

* by-hand values of the March formulas on small inputs (column energy, comparator area,
  encoder layout rule, reads per action);
* the current code unaffected (values of the code before the switch existed, exact);
* the whole Fig. 34 chip (``benchmarks/fig34.py``'s ``march2020_wg64`` on its trace) against
  the March code run on the same trace (``fig34.NEUROSIM_MARCH2020``): ADC area ±2 %, ADC
  energy ±10 % (±12 % per layer, layers 1–7), array latency and energy and leakage power ±10 %.
"""

from __future__ import annotations

import math
import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import helpers
from cimjax.hw.components import encoder, mlsa as ml, subarray as sa, subarray_geometry
from cimjax.hw.components.params import CircuitParams, circuit_technology
from cimjax.hw import neurosim_version as nv

ROOT = helpers.ROOT

# Fig. 34 sub-array (FeFET, R_on 500 kΩ + 125 kΩ access, on/off 100, 128 rows, 6-bit ADC).
M = ml.MlsaParams(levels=64.0, num_adc=16.0, columns_per_adc=8.0, num_rows=128.0, r_on=625e3,
                  r_off=50.125e6, read_voltage=0.4)
MARCH = ml.MlsaConfig(version=nv.march2020())


def _t_ref(ratio, t_max, cubic, quartic):
    """One reference's latency as bf95f9c GetColumnLatency writes it (chained comparison: the
    quartic branch for every ratio above 0.9)."""
    if ratio >= 20 or ratio <= 0.05:
        return 1e-9
    if ratio <= 0.9:
        return t_max * np.polyval(cubic, ratio)
    return t_max * np.polyval(quartic, ratio)


# ----------------------------------------------------------------------------- by hand


@pytest.mark.parametrize("r", [4e3, 30e3, 2e5])
def test_march_column_energy_by_hand_32nm_lstp(r):
    """L = 4 levels (references i = 1, 2), 32 nm LSTP: E = P(R)·(T_1 + T_2)."""
    levels, rows, r_on, r_off = 4.0, 16.0, 100e3, 1e6
    p = ml.MlsaParams(levels=levels, num_rows=rows, r_on=r_on, r_off=r_off, read_voltage=0.3)
    got = float(ml.march2020_column_energy(p, MARCH, r))
    power = (0.0251 * math.log(r / 1e3) + 4.7835) * 1e-6
    t_max = (0.0714 * math.log(r / 1e3) + 0.7651) * 1e-9
    cubic, quartic = (3.7949, -5.6685, 2.6492, 0.4807), (1e-6, -6e-5, 0.0001, -0.0171, 1.0057)
    total = 0.0
    for i in (1, 2):  # no 0.5/V_read rescaling in the March code
        r_ref = r_on / rows + (i + 1) * (r_off / rows) / levels
        total += _t_ref(r_ref / r, t_max, cubic, quartic)
    np.testing.assert_allclose(got, power * total, rtol=1e-5)


def test_march_column_energy_hp_small_nodes_and_open_column():
    """HP: P·1 ns·(L − 1); LSTP ≤ 22 nm: P(22 nm fit)·1 ns; an open column costs 0."""
    r, levels = 50e3, 64.0
    hp = ml.MlsaConfig(roadmap="HP", version=nv.march2020())
    p32 = ml.MlsaParams(levels=levels)
    want_hp = (0.0064 * math.log(r / 1e3) + 7.9648) * 1e-6 * 1e-9 * (levels - 1)
    np.testing.assert_allclose(float(ml.march2020_column_energy(p32, hp, r)), want_hp, rtol=1e-5)
    p14 = ml.MlsaParams(circuit=CircuitParams(node_nm=14.0), levels=levels)
    want_14 = (0.0516 * math.log(r / 1e3) + 3.2349) * 1e-6 * 1e-9
    np.testing.assert_allclose(float(ml.march2020_column_energy(p14, MARCH, r)), want_14, rtol=1e-5)
    assert float(ml.march2020_column_energy(p32, MARCH, jnp.inf)) == 0.0


def test_march_mlsa_area_by_hand():
    """16 NMOS per level (4 of 12F, 8 of 2F, 4 of 4F), each an NMOS-only INV cell: all one
    finger at 32 nm (≤ 22.5F of diffusion), 2 poly pitches (2·3.8F) × 28F each."""
    f = 32e-9
    per_level = 16 * (2 * 3.8 * f) * (28 * f)
    np.testing.assert_allclose(float(ml.march2020_mlsa_area(M)), per_level * 63 * 16, rtol=1e-5)
    assert float(ml.mlsa_area(M, MARCH)) == float(ml.march2020_mlsa_area(M))
    # Against the current code's 48 NMOS + 24 PMOS minimum cells: 16/72 here.
    np.testing.assert_allclose(float(ml.mlsa_area(M, MARCH)) / float(ml.mlsa_area(M)), 16 / 72, rtol=1e-5)


@pytest.mark.parametrize("occ", [1.0, 0.6])
def test_march_mlsa_reads_per_action_and_empty_reads(occ):
    """Energy = numColMuxed·Σ_j E(R_j) (every column, ``columns_per_adc`` times) on occupied reads,
    0 on empty ones; latency as the current code."""
    r = 40e3
    cost = ml.mlsa(M, MARCH, r, occ)
    e_col = float(ml.march2020_column_energy(M, MARCH, r))
    np.testing.assert_allclose(float(cost.energy), occ * 8.0 * 128.0 * e_col, rtol=1e-5)
    vec = ml.mlsa(M, MARCH, jnp.asarray([r, r, jnp.inf]), 1.0)  # an explicit column vector
    np.testing.assert_allclose(float(vec.energy), 8.0 * 2.0 * e_col, rtol=1e-5)
    # Latency: no V_read rescaling in the March code; at V_read = 0.5 both codes agree.
    m5 = M._replace(read_voltage=0.5)
    np.testing.assert_allclose(float(ml.mlsa(m5, MARCH, r, occ).latency),
                               float(ml.mlsa(m5, ml.MlsaConfig(), r, occ).latency), rtol=1e-6)


def test_march_encoder_layout_rule():
    """⌊edge/w_enc⌋ encoders per row (≥ 1), the row exactly ``edge`` long (current: ⌈·⌉, max)."""
    t = circuit_technology(CircuitParams(), encoder.EncoderConfig())
    parts = encoder.encoder_gates(t, jnp.asarray(64.0), "exact")
    inv, nand, _, wide_width, _, _ = parts
    w_enc = float(2 * inv.width + nand.width + wide_width)
    h_enc = 63 * float(jnp.maximum(inv.height, nand.height))
    for edge in (3.4 * w_enc, 0.5 * w_enc):
        p = encoder.EncoderParams(levels=64.0, num_encoders=16.0, edge_length=edge)
        march = encoder.encoder_footprint(p, encoder.EncoderConfig(version=nv.march2020()))
        cur = encoder.encoder_footprint(p, encoder.EncoderConfig())
        per_row = max(math.floor(edge / w_enc), 1)
        np.testing.assert_allclose(float(march.width), edge, rtol=1e-6)
        np.testing.assert_allclose(float(march.height), h_enc * math.ceil(16 / per_row), rtol=1e-5)
        np.testing.assert_allclose(float(cur.width), max(edge, w_enc), rtol=1e-6)
        np.testing.assert_allclose(float(cur.height), h_enc * math.ceil(16 / math.ceil(edge / w_enc)), rtol=1e-5)


def test_march_subarray_differs_only_where_the_code_did():
    """Sub-array: access transistor 0.5/0.2 × wider, forward shift-adder of log2 L + 9 bits,
    SL TG τ at R_on,cell/2; MLSA area and energy changed; the row/col wire geometry kept."""
    p = sa.SubArrayParams(r_on=500e3, r_off=50e6, cell_width_f=4.0)
    cur, mar = sa.SubArrayConfig(cell="fefet"), sa.SubArrayConfig(cell="fefet", version=nv.march2020())
    g_c, g_m = subarray_geometry.geometry(p, cur), subarray_geometry.geometry(p, mar)
    np.testing.assert_allclose(float(g_m.access_width_f) / float(g_c.access_width_f), 2.5, rtol=1e-6)
    assert float(g_m.len_row) == float(g_c.len_row) and float(g_m.cap_row1) == float(g_c.cap_row1)
    rc = sa.subarray_read(p, cur, row_activity=0.3, weight_level=0.5)
    rm = sa.subarray_read(p, mar, row_activity=0.3, weight_level=0.5)
    assert float(rm.fw.adc_energy) > 5 * float(rc.fw.adc_energy)  # ~8 reads × ladder sum
    assert float(rm.fw.accumulation_energy) > float(rc.fw.accumulation_energy)  # 15 vs 7 bits
    assert float(rm.ag.other_latency) > float(rc.ag.other_latency)  # SL TG 0.5 vs 0.25 R_on
    ac, am = sa.subarray_area(p, cur), sa.subarray_area(p, mar)
    assert float(am.adc) < 0.5 * float(ac.adc)
    assert float(am.array) == float(ac.array)
    assert float(am.leakage) < float(ac.leakage)  # no AG periphery, SL matrix once


def test_march_path_is_differentiable():
    """jit + grad through the March MLSA (traced resistance, levels and node)."""
    def f(r, levels, node):
        p = M._replace(circuit=CircuitParams(node_nm=node), levels=levels)
        c = ml.mlsa(p, MARCH, r, 0.9)
        return c.energy * 1e12 + c.area * 1e9

    g = jax.jit(jax.grad(f, argnums=(0, 1, 2)))(40e3, 64.0, 40.0)
    assert all(np.isfinite(float(x)) for x in g)
    assert float(g[0]) != 0.0 and float(g[2]) != 0.0


# ----------------------------------------------------------------------------- current unaffected


def test_current_code_unchanged():
    """Values of the MLSA and encoder of the code before NeuroSim versions existed (exact floats
    of a float32 run), for the default config and an explicit ``version=current()``. The encoder's
    leakage ×1.001 since 2026-12-08: NeuroSim's unrounded off-current, 100.1 pA/µm at 32 nm LSTP
    and 300 K (``hw/tech.py`` ``I_OFF``; 100 before)."""
    want_mlsa = {1.0: (1.5814832110550014e-08, 2.590468985153027e-11, 8.266960449532235e-09),
                 0.8: (1.5814832110550014e-08, 2.0749351889448597e-11, 8.213568492010381e-09)}
    for cfg in (ml.MlsaConfig(), ml.MlsaConfig(version=nv.current())):
        for occ, want in want_mlsa.items():
            c = ml.mlsa(M, cfg, 40e3, occ)
            np.testing.assert_allclose([float(c.area), float(c.energy), float(c.latency)], want, rtol=1e-6)
    ep = encoder.EncoderParams(levels=64.0, num_encoders=16.0, num_reads=8.0, edge_length=16.384e-6)
    for along, area in (("width", 3.6993756946657186e-09), ("height", 4.393008179448543e-09)):
        c = encoder.encoder(ep, encoder.EncoderConfig(along=along, version=nv.current()))
        np.testing.assert_allclose([float(c.area), float(c.energy), float(c.latency), float(c.leakage)],
                                   [area, 7.581668799716557e-12, 3.5033820289243067e-09, 2.5607351361145446e-08],
                                   rtol=1e-6)
    p = sa.SubArrayParams(r_on=500e3, r_off=50e6)
    d = sa.subarray_read(p, sa.SubArrayConfig(cell="fefet"), row_activity=0.3, weight_level=0.5)
    e = sa.subarray_read(p, sa.SubArrayConfig(cell="fefet", version=nv.current()), row_activity=0.3,
                         weight_level=0.5)
    assert all(np.array_equal(x, y) for x, y in zip(jax.tree.leaves(d), jax.tree.leaves(e)))


def test_version_validated():
    for cls in (ml.MlsaConfig, encoder.EncoderConfig, sa.SubArrayConfig):
        with pytest.raises(ValueError, match="version"):
            cls(version="march2020")  # a name is not a version: by_name builds one
    with pytest.raises(ValueError, match="current.*march2020"):
        nv.by_name("2021")


# ----------------------------------------------------------------------------- Fig. 34 chip


@pytest.fixture(scope="module")
def fig34_march():
    # Host-evaluated and shared by the test files (tests/helpers.py): no whole-chip XLA compile.
    fig34 = helpers.fig34()
    assert fig34.VARIANTS["march2020_wg64"]["neurosim_code"] == "march2020"
    return fig34, fig34.fig34_estimate("march2020_wg64")


def test_fig34_adc_area_energy_against_march_code(fig34_march):
    fig34, est = fig34_march
    ref = fig34.NEUROSIM_MARCH2020["march2020_wg64"]
    np.testing.assert_allclose(float(est.area.adc), ref["area.adc"], rtol=0.02)
    np.testing.assert_allclose(float(est.breakdown.adc.energy), ref["breakdown.adc.energy"], rtol=0.10)
    vals, get = fig34.NEUROSIM_MARCH2020_LAYERS["ADC E (J)"]
    # Layers 1–7 (layer 8, 10 of 128 columns used: cimjax charges the MLSA every column).
    np.testing.assert_allclose(np.asarray(get(est.layers))[:7], vals[:7], rtol=0.12)


def test_fig34_array_latency_energy_leakage_against_march_code(fig34_march):
    fig34, est = fig34_march
    ref = fig34.NEUROSIM_MARCH2020["march2020_wg64"]
    np.testing.assert_allclose(float(est.breakdown.array.latency), ref["breakdown.array.latency"], rtol=0.10)
    np.testing.assert_allclose(float(est.breakdown.array.energy), ref["breakdown.array.energy"], rtol=0.10)
    np.testing.assert_allclose(float(est.leakage_power), ref["leakage.power"], rtol=0.10)
