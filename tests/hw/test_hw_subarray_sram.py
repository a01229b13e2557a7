"""The SRAM sub-array (cimjax.hw.components.subarray_sram) and the SRAM chip.

Transform checklist on one float64 function of the continuous inputs (relaxed mode: jit ==
eager, vmap == loop, reverse-mode gradient == central differences), hand values (array area,
write energy by component), buckets, monotonicity, the dispatch from ``subarray``, a full chip
estimate with SRAM cells against RRAM, and the config layer accepting SRAM for the estimator.
"""

import dataclasses
import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import helpers
from cimjax import host_eval
from cimjax.hw import chip
from cimjax import trace as trace_lib
from cimjax.hw.components import gates, sram
from cimjax.hw.components import subarray as SA
from cimjax.hw.components import subarray_sram as SR
from cimjax.hw.components import switch_matrix as sm
from cimjax.hw.components.params import CircuitParams, ComponentConfig, circuit_technology
from cimjax.hw.network import LayerShape
from cimjax.hw import neurosim_version as nv

F = 32e-9
CFG = SA.SubArrayConfig(cell="sram")
ACT = 0.1717

# Continuous inputs of the checklist function.
X0 = np.array([40.0, 1.0, 0.5, 0.3, 0.4, 0.3, 128.0])
NAMES = ("node", "vdd_scale", "read_voltage", "row_activity", "row_write_activity", "col_write_activity", "rows")


def _params(x):
    p = jax.tree.map(lambda v: jnp.asarray(v, jnp.float64), SA.SubArrayParams())
    return p._replace(circuit=p.circuit._replace(node_nm=x[0], vdd_scale=x[1]), read_voltage=x[2], rows=x[6])


def read(config, x):
    """Read outputs (FW, AG) as one vector of the 7 continuous inputs ``NAMES``."""
    r = SA.subarray_read(_params(x), config, row_activity=x[3], weight_level=0.5)
    return jnp.stack([r.fw.latency, r.fw.energy, r.ag.latency, r.ag.energy])


def write(config, x):
    """Write outputs of the same inputs."""
    w = SA.subarray_write(_params(x), config, write_pulses=0.0, cell_pulse_energy_sum=0.0, row_write_activity=x[4],
                          col_write_activity=x[5])
    return jnp.stack([w.latency, w.energy])


def area(config, x):
    """Area outputs (total, layout height and width, leakage) of the same inputs."""
    a = SA.subarray_area(_params(x), config)
    return jnp.stack([a.total, a.height, a.width, a.leakage])


# The read program compiles for ~25-50 s on the 2-core VM: it runs with ``-m slow``; the
# default suite keeps write and area (and test_estimate's SRAM chip estimate).
@pytest.mark.parametrize("grad_eval", ["host", pytest.param("jit", marks=pytest.mark.slow)])
@pytest.mark.parametrize("fn", [pytest.param(read, marks=pytest.mark.slow), write, area])
def test_transform_checklist(fn, grad_eval):
    """jit == eager; jit(vmap) over a batch == a loop of jit; reverse-mode gradient of the
    (weighted) outputs finite and == central FD to 1e-4 in every input (float64, relaxed).
    Read, write and area are separate programs: one program of all three compiles ~4× slower.

    ``grad_eval``: the VJP's program (JAX's own reverse mode) is evaluated with NumPy
    (cimjax.host_eval, ``host``: default suite) or compiled with XLA (``jit``: slow suite; with
    it the area case took 91 s and write 31 s on the quiet 2-core VM)."""
    with helpers.x64():
        config = SA.SubArrayConfig(cell="sram", mode="relaxed")
        g = functools.partial(fn, config)
        x0 = jnp.asarray(X0, jnp.float64)
        n = len(X0)
        h = 1e-6 * np.abs(X0)
        points = jnp.concatenate([x0 + jnp.diag(h), x0 - jnp.diag(h), x0[None]])
        eager = np.asarray(g(x0))
        assert np.all(np.isfinite(eager)) and np.all(eager > 0), eager
        jg = jax.jit(g)
        np.testing.assert_allclose(np.asarray(jg(x0)), eager, rtol=1e-11)
        values = np.asarray(jax.jit(jax.vmap(g))(points))
        for i in (0, n, 2 * n):  # vmap over a batch == a loop of single evaluations
            np.testing.assert_allclose(values[i], np.asarray(jg(points[i])), rtol=1e-11)
        weights = jnp.asarray(1.0 / np.abs(eager))
        vjp = lambda z, ct: jax.vjp(g, z)[1](ct)[0]  # noqa: E731
        grad = host_eval.call(vjp, x0, weights) if grad_eval == "host" else jax.jit(vjp)(x0, weights)
        grad = np.asarray(grad)
        assert np.all(np.isfinite(grad)) and np.any(grad != 0.0)
        fd = ((values[:n] - values[n:2 * n]) / (2 * h[:, None])) @ np.asarray(weights)
        floor = 1e-6 * len(eager) / np.abs(X0)
        bad = np.abs(grad - fd) > 1e-4 * np.maximum(np.abs(fd), floor)
        assert not np.any(bad), [(NAMES[i], grad[i], fd[i]) for i in np.nonzero(bad)[0]]


def test_array_area_by_hand_and_buckets():
    p = SA.SubArrayParams()
    a = SA.subarray_area(p, CFG)
    # 128 × 128 cells of 8F × 20F at 32 nm.
    assert float(a.array) == pytest.approx(128 * 128 * 160 * F**2, rel=1e-6)
    assert float(a.total) == pytest.approx(float(a.adc + a.accumulation + a.array + a.other), rel=1e-6)
    for x in (a.adc, a.accumulation, a.other, a.leakage):
        assert float(x) > 0
    assert float(a.height * a.width) > float(a.total)
    # Same MLSAs as the 1T1R sub-array, ten times its cell area (160F² vs 16F²) and a precharger.
    r = SA.subarray_area(p)
    assert float(a.array) == pytest.approx(10.0 * float(r.array), rel=1e-6)
    assert float(a.adc) > float(r.adc)
    # Leakage at least the cells' (two inverters each).
    t = circuit_technology(CircuitParams(), ComponentConfig())
    cell = sram.sram_cell(t)
    assert float(a.leakage) > 128 * 128 * float(cell.leakage)


def test_read_buckets_and_parts():
    p = SA.SubArrayParams()
    r = SA.subarray_read(p, CFG, row_activity=ACT, weight_level=0.5)
    for rc in r:
        assert float(rc.latency) == pytest.approx(float(rc.adc_latency + rc.accumulation_latency
                                                        + rc.array_latency + rc.other_latency), rel=1e-6)
        assert float(rc.energy) == pytest.approx(float(rc.adc_energy + rc.accumulation_energy
                                                       + rc.array_energy + rc.other_energy), rel=1e-6)
        assert float(rc.array_latency) == 0.0 and float(rc.array_energy) == 0.0  # NeuroSim's SRAM booking
        assert float(rc.adc_latency) > 0 and float(rc.other_energy) > 0 and float(rc.accumulation_energy) > 0
    # ADC latency = 8 precharges + bit-line + MLSA (≥ 1 ns per column, 8 columns) + encoder.
    assert 8e-9 < float(r.fw.adc_latency) < 20e-9
    # The stored weights do not change an SRAM read.
    r2 = SA.subarray_read(p, CFG, row_activity=ACT, weight_level=0.9)
    assert float(r2.fw.energy) == float(r.fw.energy)
    # No active row: finite (open columns), still a positive latency.
    r0 = SA.subarray_read(p, CFG, row_activity=0.0, weight_level=0.5)
    assert np.all(np.isfinite(np.asarray(r0.fw))) and float(r0.fw.latency) > 0


def test_write_by_hand():
    """64 written rows × 32 flipped columns: cells 2·C_cell·V_dd² each, precharger C_col·V_dd²
    and driver (C_in + C_out)·V_dd² per flipped column, plus the WL switch matrix."""
    p = SA.SubArrayParams()
    a_row, a_col = 0.5, 0.25
    w = SA.subarray_write(p, CFG, write_pulses=123.0, cell_pulse_energy_sum=4.0, row_write_activity=a_row,
                          col_write_activity=a_col)
    t = circuit_technology(CircuitParams(), ComponentConfig())
    vdd2 = float(t.vdd) ** 2
    cell = sram.sram_cell(t)
    rows_written, cols_flipped = 64.0, 32.0
    c_col = 128 * 8 * F * 0.2e-15 / 1e-6  # bit-line wire, 0.2 fF/µm
    inv = gates.gate(t, "inv")
    flips = rows_written * cols_flipped * 2.0 * float(cell.c_cell) * vdd2
    pre = rows_written * cols_flipped * c_col * vdd2
    drv = rows_written * cols_flipped * float(inv.c_in + inv.c_out) * vdd2
    wires = sram.array_wires(CircuitParams(), t, sram.SramCellParams(), 128.0, 128.0)
    sw = sm.switch_matrix_costs(
        sm.SwitchMatrixParams(CircuitParams(), 128.0, wires.res_row, wires.cap_row, wires.res_row, 1.0, 1.0, 1.1, 0.5,
                              0.0, 0.0, 8.0, 2.0 * rows_written, wires.length_col),
        sm.SwitchMatrixConfig(kind="classic", lines="row")).write
    assert float(w.energy) == pytest.approx(flips + pre + drv + float(sw.energy), rel=1e-5)
    assert flips > 0.05 * float(w.energy)
    t_flip = float(cell.r_pull * cell.c_cell) * np.log(2.0)
    assert float(w.latency) > rows_written * t_flip + float(sw.latency)
    assert float(w.area) == 0.0 and float(w.leakage) == 0.0
    # SRAM writes are single-shot: the eNVM pulse statistics do not enter.
    w2 = SA.subarray_write(p, CFG, write_pulses=0.0, cell_pulse_energy_sum=0.0, row_write_activity=a_row,
                           col_write_activity=a_col)
    assert float(w2.energy) == float(w.energy) and float(w2.latency) == float(w.latency)


def test_monotonicity():
    base = SA.SubArrayParams()
    area = SA.subarray_area(base, CFG)
    more_rows = SA.subarray_area(base._replace(rows=256.0), CFG)
    assert float(more_rows.total) > float(area.total) and float(more_rows.array) > float(area.array)
    big = SA.subarray_area(base._replace(circuit=CircuitParams(node_nm=45.0)), CFG)
    assert float(big.total) > float(area.total)
    lo = SA.subarray_read(base, CFG, row_activity=0.1, weight_level=0.5)
    hi = SA.subarray_read(base, CFG, row_activity=0.4, weight_level=0.5)
    assert float(hi.fw.adc_energy) > float(lo.fw.adc_energy)  # lower R_col → more sense power
    assert float(hi.fw.other_energy) > float(lo.fw.other_energy)  # more word-lines driven
    w1 = SA.subarray_write(base, CFG, write_pulses=0.0, cell_pulse_energy_sum=0.0, row_write_activity=0.2,
                           col_write_activity=0.1)
    w2 = SA.subarray_write(base, CFG, write_pulses=0.0, cell_pulse_energy_sum=0.0, row_write_activity=0.4,
                           col_write_activity=0.1)
    w3 = SA.subarray_write(base, CFG, write_pulses=0.0, cell_pulse_energy_sum=0.0, row_write_activity=0.4,
                           col_write_activity=0.3)
    assert float(w2.latency) > float(w1.latency) and float(w2.energy) > float(w1.energy)
    assert float(w3.energy) > float(w2.energy)


def test_variants_and_errors():
    p = SA.SubArrayParams()
    nobp = SA.SubArrayConfig(cell="sram", parallel_bp=False)
    r = SA.subarray_read(p, nobp, row_activity=ACT, weight_level=0.5)
    assert float(r.ag.latency) == 0.0 and float(r.ag.energy) == 0.0 and float(r.fw.latency) > 0
    assert float(SA.subarray_area(p, nobp).total) < float(SA.subarray_area(p, CFG).total)
    # The AG quirk flags change the transposed read only.
    fixed = SA.SubArrayConfig(cell="sram", version=dataclasses.replace(
        nv.CURRENT, ag_column_resistance_forward=False, ag_mux_energy_as_latency=False))
    rf = SA.subarray_read(p, fixed, row_activity=ACT, weight_level=0.5)
    rq = SA.subarray_read(p, CFG, row_activity=ACT, weight_level=0.5)
    assert float(rf.fw.energy) == pytest.approx(float(rq.fw.energy), rel=1e-6)
    assert float(rf.ag.adc_energy) != pytest.approx(float(rq.ag.adc_energy), rel=1e-3)
    # The SRAM model takes a traced cell: a larger cell, a larger array.
    wide = SR.subarray_area(p, CFG, cell=sram.SramCellParams(width_f=30.0))
    assert float(wide.array) == pytest.approx(1.5 * float(SA.subarray_area(p, CFG).array), rel=1e-6)
    SA.check_subarray_params(p, CFG)  # no 1T1R access-transistor check for SRAM
    SA.check_subarray_params(SA.SubArrayParams(r_on=5e3), CFG)
    with pytest.raises(ValueError, match="columns_per_adc"):
        SA.check_subarray_params(SA.SubArrayParams(columns_per_adc=4.0), CFG)
    with pytest.raises(ValueError, match="expected 'sram'"):
        SR.subarray_area(p, SA.SubArrayConfig())


# ----------------------------------------------------------------------------- chip

LAYERS = (LayerShape(16, 16, 16, 3, 3, 32, True), LayerShape(1, 1, 2048, 1, 1, 10, False))


@pytest.fixture(scope="module")
def chips():
    """The SRAM and RRAM estimates of a small two-layer network (one compile each)."""
    trace = trace_lib.make_trace([0.3, 0.2], 0.5, [400.0, 100.0], [900.0, 150.0], [0.6, 0.4], [0.2, 0.1])
    params = chip.default_params()
    f = jax.jit(chip.estimate, static_argnums=1)
    return {cell: jax.device_get(f(params, chip.ChipConfig(LAYERS, cell=cell), trace)) for cell in ("sram", "rram")}


@pytest.mark.slow  # two chip compiles (~50 s); tests/test_estimate.py estimates SRAM in the default suite
def test_sram_chip_estimate(chips):
    est, rram = chips["sram"], chips["rram"]
    for leaf in jax.tree.leaves(est):
        assert np.all(np.isfinite(np.asarray(leaf)))
    for name, v in est.area._asdict().items():
        assert float(v) > 0, f"area.{name}"
    for phase in ("fw", "ag", "wg", "wu"):
        for name, v in getattr(est, phase)._asdict().items():
            assert float(v) > 0, f"{phase}.{name}"
    for bucket, le in est.breakdown._asdict().items():
        assert float(le.latency) > 0 and float(le.energy) > 0, bucket
    assert float(est.leakage_power) > float(rram.leakage_power) > 0  # 6T cells leak, 1T1R cells do not
    assert float(est.tops) > 0 and float(est.tops_per_w) > 0
    # Area per weight: one bit per 160F² cell (5 cells per 5-bit weight) vs one 16F² cell per weight.
    weights = sum(layer.num_weights for layer in LAYERS)
    assert float(est.area.array) >= weights * 5 * 160 * F**2
    assert float(est.area.array) / weights > 10 * float(rram.area.array) / weights
    assert float(est.area.total) > float(rram.area.total)
    # SRAM writes are single-shot (no 50 ns pulses): a faster weight update.
    assert float(est.wu.peak_latency) < float(rram.wu.peak_latency)
    # Same technology: the same DRAM traffic and WG unit.
    assert float(est.breakdown.dram.energy) == pytest.approx(float(rram.breakdown.dram.energy), rel=1e-5)
