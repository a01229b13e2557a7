"""SRAM primitives (cimjax.hw.components.sram): hand values, monotonicity, transform checklist."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import helpers
from cimjax import host_eval
from cimjax.hw import tech, wiring
from cimjax.hw.components import gates, misc, sram
from cimjax.hw.components.params import CircuitParams, ComponentConfig, circuit_technology
from cimjax.hw.cost import Cost

CP = CircuitParams()
CFG = ComponentConfig()
F = 32e-9
CELL = sram.SramCellParams()


@pytest.fixture(autouse=True)
def x64():
    with helpers.x64():
        yield


@pytest.fixture
def t32():
    return circuit_technology(CP, CFG)


def f(x):
    return float(x)


def test_cell_by_hand(t32):
    c = sram.sram_cell(t32)
    assert f(c.area) == pytest.approx(8 * 20 * F * F)
    # R_on = k_eff·V_dd/(I_on·W): 1.77·0.9/(600 A/m · 1.31F).
    assert f(c.r_access) == pytest.approx(1.77 * 0.9 / (600 * 1.31 * F), rel=1e-6)
    assert f(c.r_pull_down) == pytest.approx(1.77 * 0.9 / (600 * 2.08 * F), rel=1e-6)
    r_p = 1.77 * 0.9 / (400 * 1.23 * F)
    assert f(c.r_pull) == pytest.approx(0.5 * (f(c.r_pull_down) + r_p), rel=1e-6)
    c_gates = f(tech.gate_capacitance(t32, 2.08 * F)) + f(tech.gate_capacitance(t32, 1.23 * F))
    drains = sum(f(gates.drain_capacitance(t32, w * F, 1.0)) for w in (1.31, 2.08, 1.23))
    assert f(c.c_cell) == pytest.approx(c_gates + drains, rel=1e-6)
    # Two inverters: 2·(I_off·(W_n + W_p)/2)·V_dd, I_off = 100 pA/µm.
    assert f(c.leakage) == pytest.approx(2 * 0.5 * 1e-4 * (2.08 + 1.23) * F * 0.9, rel=1e-6)


def test_wires_and_delays_by_hand(t32):
    c = sram.sram_cell(t32)
    w = sram.array_wires(CP, t32, CELL, 128.0, 64.0)
    assert f(w.length_row) == pytest.approx(64 * 20 * F)
    assert f(w.length_col) == pytest.approx(128 * 8 * F)
    assert f(w.cap_col) == pytest.approx(128 * 8 * F * 0.2e-9, rel=1e-9)  # 0.2 fF/µm
    r_unit = f(wiring.wire_resistance_per_length(40.0))
    assert f(w.res_col) == pytest.approx(r_unit * 128 * 8 * F, rel=1e-9)
    tau = (f(c.r_access) + f(c.r_pull_down)) * (f(c.c_access) + f(w.cap_col)) + f(w.res_col) * f(w.cap_col) / 2
    tau *= math.log(0.9 / (0.9 - 0.05))
    assert f(sram.bitline_read_delay(t32, c, w, 0.1)) == pytest.approx(tau * math.log(2), rel=1e-9)
    assert f(sram.cell_write_latency(c)) == pytest.approx(f(c.r_pull) * f(c.c_cell) * math.log(2), rel=1e-9)
    assert f(sram.cell_write_energy(t32, c)) == pytest.approx(2 * f(c.c_cell) * 0.81, rel=1e-9)


def test_precharger_by_hand(t32):
    p = sram.ColumnDriverParams(CP, 128.0, 6e-15, 400.0, 0.0, 0.25, 100.0)
    rw = sram.precharger(p, CFG)
    # Units of 3 standard cells (84F) × 2 poly pitches (7.6F), one row of 128.
    assert f(rw.read.area) == pytest.approx(128 * 84 * 7.6 * F * F, rel=1e-6)
    assert f(rw.read.energy) == pytest.approx(2 * 6e-15 * 0.81 * 100, rel=1e-9)
    assert f(rw.write.energy) == pytest.approx(6e-15 * 0.81 * 128 * 0.25, rel=1e-9)
    c_out = f(gates.drain_capacitance(t32, 6 * F, 1.0)) + f(gates.drain_capacitance(t32, 2 * F, 1.0))
    tau = f(tech.on_resistance(t32, 6 * F, "p")) * (6e-15 + c_out) + 400.0 * 6e-15 / 2
    assert f(rw.read.latency) == pytest.approx(tau * math.log(2), rel=1e-9)
    # INV(0, W_pre): the PMOS off-current, 100.1 pA/µm at 32 nm LSTP, 300 K (Technology.cpp).
    assert f(rw.read.leakage) == pytest.approx(0.5 * 1.001e-4 * 6 * F * 0.9 * 128, rel=1e-9)
    # Laid out across a given width: the block takes the whole width, rows as needed.
    width = 40 * 7.6 * F
    wide = sram.precharger(p._replace(array_width=width), CFG)
    assert f(wide.read.area) == pytest.approx(width * math.ceil(128 / 40) * 84 * F, rel=1e-6)


def test_write_driver_by_hand(t32):
    inv = gates.gate(t32, "inv")
    p = sram.ColumnDriverParams(CP, 64.0, 5e-15, 300.0, 0.0, 0.5)
    c = sram.sram_write_driver(p, CFG)
    assert f(c.area) == pytest.approx(64 * 3 * f(inv.area), rel=1e-6)
    assert f(c.energy) == pytest.approx((f(inv.c_in) + f(inv.c_out)) * 0.81 * 32, rel=1e-9)
    assert f(c.leakage) == pytest.approx(3 * 64 * f(inv.leakage), rel=1e-9)
    more = sram.sram_write_driver(p._replace(load_capacitance=1e-14), CFG)
    assert f(more.latency) > f(c.latency) > 0


def test_sram_buffer_contract():
    p = misc.BufferParams(CP, 4096.0, 4.0, 128.0, 256.0, 2.0, 1.0)
    read, write = sram.sram_buffer(p), sram.sram_buffer(p, write=True)
    assert f(read.area) == f(write.area) and f(read.leakage) == f(write.leakage)
    # 32 lines, parallelism min(4, ⌈256/128⌉) = 2, bus share 2: latency = 32·t_line.
    one = sram.sram_buffer(p._replace(num_bits=128.0, bus_width=128.0, bus_share=1.0, num_cores=1.0))
    assert f(read.latency) == pytest.approx(32 * f(one.latency), rel=1e-9)
    assert f(read.energy) == pytest.approx(32 * f(one.energy), rel=1e-9)
    assert f(read.area) == pytest.approx(4 * f(one.area), rel=1e-9)
    # A core holds 128·128 cells of 160F² and its periphery.
    assert f(one.area) > 128 * 128 * 160 * F * F
    # SRAM is denser than the register file; more written columns cost more.
    assert f(read.area) < f(misc.register_file_buffer(p).area)
    half = sram.sram_buffer(p._replace(activity=0.5), write=True)
    assert f(half.energy) < f(write.energy)


def test_monotone_in_node():
    nodes = jnp.array([22.0, 32.0, 45.0, 65.0, 90.0, 130.0])

    def area(node):
        return sram.sram_buffer(misc.BufferParams(CP._replace(node_nm=node))).area

    values = np.asarray(jax.vmap(area)(nodes))
    assert np.all(np.diff(values) > 0), values


def _g(x, mode="relaxed"):
    """float64 function of the continuous params: buffer read and write, precharger, cell."""
    circuit = CP._replace(vdd_scale=x[0], node_nm=x[1], wire_capacitance=x[2])
    cell = CELL._replace(height_f=x[3], min_sense_voltage=x[4])
    cfg = misc.BufferConfig(mode=mode, core_rows=64, core_cols=32)
    p = misc.BufferParams(circuit, x[5], 3.0, 32.0, 64.0, 1.0, x[6])
    read = sram.sram_buffer(p, cfg, cell=cell)
    write = sram.sram_buffer(p, cfg, write=True, cell=cell)
    t = circuit_technology(circuit, cfg)
    sc = sram.sram_cell(t, cell, mode)
    return jnp.concatenate([jnp.stack(read), jnp.stack(write), jnp.stack([sc.c_cell, sc.r_pull])])


@pytest.mark.parametrize("jacobian_eval", ["host", pytest.param("jit", marks=pytest.mark.slow)])
def test_jit_vmap_grad_checklist(jacobian_eval):
    """jit(vmap(g)) == eager loop; reverse-mode Jacobian == central differences (1e-4).

    ``host`` (default suite): the Jacobian's program (``jax.jacrev``, JAX's own reverse mode)
    is evaluated with NumPy (cimjax.host_eval) instead of compiled. ``jit`` (slow suite): the
    same Jacobian compiled with XLA (the test took 185 s so on the quiet 2-core VM)."""
    x0 = jnp.array([1.0, 40.0, 0.2e-9, 8.0, 0.1, 5000.0, 0.7], jnp.float64)
    n = x0.size
    h = 1e-7 * jnp.abs(x0)
    points = jnp.concatenate([x0 + jnp.diag(h), x0 - jnp.diag(h), x0[None]])
    values = np.asarray(jax.jit(jax.vmap(_g))(points))
    for i in (0, n + 3, 2 * n):
        np.testing.assert_allclose(values[i], np.asarray(_g(points[i])), rtol=1e-12)
    value = values[-1]
    assert np.all(np.isfinite(value)) and np.all(value > 0), value
    jacobian = jax.jacrev(_g)
    jac = host_eval.call(jacobian, x0) if jacobian_eval == "host" else jax.jit(jacobian)(x0)
    jac = np.asarray(jac)  # (outputs, params)
    fd = ((values[:n] - values[n : 2 * n]) / (2 * np.asarray(h)[:, None])).T
    assert np.all(np.isfinite(jac))
    floor = 1e-6 * np.abs(value)[:, None] / np.abs(np.asarray(x0))[None, :]
    bad = np.abs(jac - fd) > 1e-4 * np.maximum(np.abs(fd), floor)
    assert not bad.any(), [(i, j, jac[i, j], fd[i, j]) for i, j in zip(*np.nonzero(bad))]


def test_exact_mode_jit_equals_eager():
    p = misc.BufferParams(CP, 5000.0, 3.0, 32.0, 64.0, 1.0, 0.7)
    cfg = misc.BufferConfig(core_rows=64, core_cols=32)
    for write in (False, True):
        eager = sram.sram_buffer(p, cfg, write=write)
        jitted = jax.jit(sram.sram_buffer, static_argnames="write")(p, cfg, write=write)
        for a, b in zip(eager, jitted):
            np.testing.assert_allclose(a, b, rtol=1e-12)
    assert isinstance(eager, Cost)
