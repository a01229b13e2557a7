"""The weight-update (WU) phase of NeuroSim's March 2020 code (``neurosim_version.march2020()``).

NeuroSim V2.0 commit bf95f9c (2020-03-15): ``GetWriteUpdateEstimation`` (``ProcessingUnit.cpp``:
the ``V_w²/R̄·t`` energy of every updated cell, FeFET included; line energy once per selected
row), ``SwitchMatrix.cpp`` (``activityColWrite`` read at ``Initialize``) and the March
novel-mapping PE's rows (``⌊min(PE_NM, R)/numPENM⌋``), :mod:`cimjax.hw.components.subarray`
"March 2020 code". The tile and chip WU roll-up (``Tile.cpp``, ``Chip.cpp``) is the same in
both codes. Checked:

* by hand: one March sub-array update (cell, line, switch-matrix terms, latency) from the
  geometry's capacitances; the SET-row share;
* jittable and differentiable (finite gradients at the ``2·a_row = 1`` edge);
* the current code unaffected by the March-only arguments;
* the whole Fig. 34 chip (``benchmarks/fig34.py``'s ``march2020_wg64`` on its trace) against the
  March code run on the same trace (``fig34.NEUROSIM_MARCH2020``). Measured (2026-11-26):
  WU energy 1.005×, peak WU energy 1.012×, WU latency 0.9995×, peak WU latency 1.000×
  (before: 0.354×, 0.077×, 1.109×, 1.115×). Tested at ±5 %. ``cimjax.hw.chip_figures.subarray_figures`` hands
  the write its ``row_fraction``/``stat_rows`` (the NM PE's rows; left at their defaults the
  totals are 1.29×, 1.20×, 1.11×, 1.12×).
* the March ``ShiftAdd::CalculateArea`` layout of the sub-array's shift-adders, by hand and on
  the Fig. 34 chip: accumulation area 0.988× of the March code's (the gates' sum: 0.881×),
  tested at ±3 %.
"""

from __future__ import annotations

import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import helpers
from cimjax.hw.components import shift_adder, subarray as sa, subarray_geometry, subarray_write
from cimjax.hw.components.switch_matrix import switch_matrix_costs
from cimjax.hw import neurosim_version as nv

ROOT = helpers.ROOT
MARCH = "march2020"

# Fig. 34's sub-array (FeFET, 32 nm, 128×128, R_on 500 kΩ, 3.3 V / 75 ns) and FC1's mean write
# statistics on fig34.synthetic_write_trace.
P = sa.SubArrayParams(r_on=500e3, r_off=50e6, write_voltage=3.3, write_pulse_width=75e-9)
STATS = dict(write_pulses=255.75, cell_pulse_energy_sum=352.93 * 1.01e-6, row_write_activity=0.37572,
             col_write_activity=0.012878)


def _cfg(code=MARCH, **kw):
    return sa.SubArrayConfig(cell="fefet", version=nv.by_name(code), **kw)


# ----------------------------------------------------------------------------- by hand


@pytest.mark.parametrize("frac, stat_rows", [(1.0, None), (56.0 / 128.0, 128.0), (1.0, 27.0)])
def test_march_write_by_hand(frac, stat_rows):
    """bf95f9c: cells ``V_w²·t·Σn/R̄``, lines per selected row, SL matrix with a_col unset (0)."""
    cfg = _cfg()
    w = sa.subarray_write(P, cfg, **STATS, row_fraction=frac, stat_rows=stat_rows)
    g = subarray_geometry.geometry(P, cfg)
    rows, cols, vw2, vdd2, t = 128.0, 128.0, 2 * 3.3**2, float(g.t.vdd) ** 2, 75e-9
    a_row, a_col = STATS["row_write_activity"], STATS["col_write_activity"]
    n_ops = 2.0 * 1.0 * rows * a_row  # ⌈a_col⌉ = 1
    wl = switch_matrix_costs(*subarray_geometry.switch_params(P, cfg, g, which="wl", num_reads=8.0, num_writes=n_ops)).write
    sl = switch_matrix_costs(*subarray_geometry.switch_params(P, cfg, g, which="sl", num_reads=8.0, num_writes=n_ops, col_act=0.0)).write
    cells = vw2 * t * STATS["cell_pulse_energy_sum"] * frac
    sel = frac * (rows if stat_rows is None else stat_rows) * 2.0 * a_row
    n_set = sel * (1.0 - 0.5 ** (a_col * cols))
    m = a_col * cols
    lines = n_set * (float(g.cap_row2) * vdd2 + float(g.cap_col) * vw2 * (cols - m) + float(g.cap_row1) * vw2)
    lines += (sel - n_set) * float(g.cap_row2) * vdd2 + float(g.cap_col) * vw2 * m
    energy = cells + lines + float(wl.energy) + float(sl.energy)
    latency = frac * STATS["write_pulses"] * t + max(float(wl.latency), float(sl.latency) - 8.0 * 0.5e-9)
    np.testing.assert_allclose(float(w.energy), energy, rtol=1e-5)
    np.testing.assert_allclose(float(w.latency), latency, rtol=1e-5)
    # The cell term alone is of the order the hint named (FC1: about 0.58 nJ of 2.1 nJ).
    if frac == 1.0 and stat_rows is None:
        assert 0.2 < cells / energy < 0.35


def test_set_row_share():
    """``1 − 2^(−max(a_col·cols, 1))``: ½ for one cell per row; FC1 of the Fig. 34 trace 0.68
    (NeuroSim counts 64.2 SET of 96.2 selected rows, 0.667)."""
    np.testing.assert_allclose(float(subarray_write.set_row_share_march2020(0.0, 128.0)), 0.5)
    np.testing.assert_allclose(float(subarray_write.set_row_share_march2020(0.1, 10.0)), 0.5)
    np.testing.assert_allclose(float(subarray_write.set_row_share_march2020(STATS["col_write_activity"], 128.0)), 0.681, atol=2e-3)


def test_march_write_jit_and_grad():
    cfg = _cfg()

    def energy(a_row, a_col, frac):
        return sa.subarray_write(P, cfg, write_pulses=255.75, cell_pulse_energy_sum=3.5e-4, row_write_activity=a_row,
                                 col_write_activity=a_col, row_fraction=frac).energy

    for a_row in (0.37, 0.5):  # 0.5: every row selected (the clip's edge)
        grads = jax.jit(jax.grad(energy, argnums=(0, 1, 2)))(a_row, 0.0129, 0.5)
        assert all(np.isfinite(float(x)) for x in grads)
    e = jax.vmap(energy)(jnp.array([0.2, 0.4]), jnp.array([0.01, 0.02]), jnp.array([1.0, 0.5]))
    assert e.shape == (2,) and bool(jnp.all(e > 0))


def test_march_shift_adder_layout_area():
    """bf95f9c ``ShiftAdd::CalculateArea``: forward units across ``L_row``, AG units down ``L_col``;
    the current code keeps the gates' sum."""

    cfg = _cfg()
    g = subarray_geometry.geometry(P, cfg)
    # 64 levels, numReadPulse(BP) 8: log2 64 + 8 + 1 = 15 bits, 128/8 = 16 units, both sides.
    sp = shift_adder.ShiftAdderParams(P.circuit, 15.0, 16.0, 8.0, P.read_pulse_width, 1.0, 8.0)
    want = (shift_adder.shift_adder_layout_area(sp, g.len_row, "width", cfg)
            + shift_adder.shift_adder_layout_area(sp, g.len_col, "height", cfg))
    np.testing.assert_allclose(float(sa.subarray_area(P, cfg).accumulation), float(want), rtol=1e-5)
    cur = sa.SubArrayConfig(cell="fefet")
    gates_sum = shift_adder.shift_adder(shift_adder.ShiftAdderParams(P.circuit, 7.0, 16.0, 8.0, P.read_pulse_width, 1.0, 8.0), cur)
    gates_ag = shift_adder.shift_adder(sp, cur)
    np.testing.assert_allclose(float(sa.subarray_area(P, cur).accumulation), float(gates_sum.area + gates_ag.area),
                               rtol=1e-5)


# ----------------------------------------------------------------------------- current code


def test_current_write_ignores_march_arguments():
    # row_fraction is March-only; stat_rows/stat_cols are the current code's too (the rows and
    # columns GetWriteUpdateEstimation counts: tests/hw/test_hw_subarray.py test_write_narrow_layer_by_hand).
    for cell in ("fefet", "rram"):
        cfg = sa.SubArrayConfig(cell=cell)
        a = sa.subarray_write(P, cfg, **STATS)
        b = sa.subarray_write(P, cfg, **STATS, row_fraction=0.3)
        assert float(a.energy) == float(b.energy) and float(a.latency) == float(b.latency)
    # The current code charges FeFET cells no write energy: the cell sum does not enter.
    cfg = sa.SubArrayConfig(cell="fefet")
    c = sa.subarray_write(P, cfg, **{**STATS, "cell_pulse_energy_sum": 0.0})
    assert float(c.energy) == float(sa.subarray_write(P, cfg, **STATS).energy)
    # ... where the March code does.
    m0 = sa.subarray_write(P, _cfg(), **{**STATS, "cell_pulse_energy_sum": 0.0})
    assert float(sa.subarray_write(P, _cfg(), **STATS).energy) > float(m0.energy)


# ----------------------------------------------------------------------------- Fig. 34 chip


@pytest.fixture(scope="module")
def fig34_march():
    # Host-evaluated and shared by the test files (tests/helpers.py): no whole-chip XLA compile.
    fig34 = helpers.fig34()
    assert fig34.VARIANTS["march2020_wg64"]["neurosim_code"] == MARCH
    return fig34, fig34.fig34_estimate("march2020_wg64")


@pytest.mark.parametrize("name, get", [
    ("wu.energy", lambda e: e.wu.energy),
    ("wu.peak_energy", lambda e: e.wu.peak_energy),
    ("wu.latency", lambda e: e.wu.latency),
    ("wu.peak_latency", lambda e: e.wu.peak_latency),
])
def test_fig34_wu_against_march_code(fig34_march, name, get):
    fig34, est = fig34_march
    ref = fig34.NEUROSIM_MARCH2020["march2020_wg64"][name]
    np.testing.assert_allclose(float(get(est)), ref, rtol=0.05)


def test_fig34_accumulation_area_against_march_code(fig34_march):
    """The March shift-adder layout: 0.988× (the gates' sum gave 0.881×)."""
    fig34, est = fig34_march
    ref = fig34.NEUROSIM_MARCH2020["march2020_wg64"]["area.accumulation"]
    np.testing.assert_allclose(float(est.area.accumulation), ref, rtol=0.03)
