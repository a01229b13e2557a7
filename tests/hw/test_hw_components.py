"""Peripheral components (cimjax.hw.components): the JAX-transform checklist for every component.

For each component of the table, on one float64 function of its continuous params (relaxed
mode): ``jit(vmap(g))`` equals an eager Python loop (so ``jit == eager`` and ``vmap == loop``),
and the reverse-mode Jacobian is finite and matches central finite differences to 1e-4
relative. Hand-computed values, monotonicity and config errors are in
``test_hw_components_values.py``.
"""


import dataclasses
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from helpers import x64
from cimjax.hw.components import htree, logic, misc, routing, shift_adder
from cimjax.hw.components.params import CircuitParams, ComponentConfig
from cimjax.hw.cost import Cost
from cimjax.hw import neurosim_version as nv

FIXED_WIRES = dataclasses.replace(nv.CURRENT, htree_wire_sizing_quirk=False)
SPEC_OUT_PRECISION = dataclasses.replace(nv.CURRENT, wg_out_precision_unset=False)




# name → (function, params factory taking CircuitParams, config factory taking kwargs).
TABLE = {
    "adder": (logic.adder, lambda c: logic.AdderParams(c, 8.0, 4.0), ComponentConfig),
    "adder_tree": (logic.adder_tree, lambda c: logic.AdderTreeParams(c, 6.0, 8.0, 2.0), logic.AdderTreeConfig),
    "dff": (logic.dff, lambda c: logic.DffParams(c, 16.0, 0.5), ComponentConfig),
    "shift_adder": (
        shift_adder.shift_adder,
        lambda c: shift_adder.ShiftAdderParams(c, 7.0, 16.0, 8.0, 0.2e-9),
        ComponentConfig,
    ),
    "mux": (routing.mux, lambda c: routing.MuxParams(c, 8.0, 16.0, 2e3, 5e-15, 0.5), ComponentConfig),
    "decoder": (routing.decoder, lambda c: routing.DecoderParams(c, 20e-15), routing.DecoderConfig),
    "decoder_parallel": (
        routing.decoder,
        lambda c: routing.DecoderParams(c, 5e-15),
        lambda **kw: routing.DecoderConfig(num_outputs=8, parallel=True, **kw),
    ),
    "htree": (htree.htree, lambda c: htree.HTreeParams(c, 300e-6, 250e-6, 128.0, 0.1), htree.HTreeConfig),
    "htree_fixed": (
        htree.htree,
        lambda c: htree.HTreeParams(c, 300e-6, 250e-6, 128.0, 0.1, 1.0),
        lambda **kw: htree.HTreeConfig(num_rows=3, num_cols=5, version=FIXED_WIRES, **kw),
    ),
    "bus": (routing.bus, lambda c: routing.BusParams(c, 4.0, 150e-6, 64.0, 0.1), routing.BusConfig),
    "relu": (misc.relu, lambda c: misc.ReluParams(c, 8.0, 32.0, 0.3), ComponentConfig),
    "max_pool": (misc.max_pool, lambda c: misc.MaxPoolParams(c, 8.0, 4.0, 4.0), ComponentConfig),
    "buffer": (
        misc.register_file_buffer,
        lambda c: misc.BufferParams(c, 5000.0, 4.0, 32.0, 64.0, 2.0, 0.5),
        lambda **kw: misc.BufferConfig(core_rows=32, core_cols=32, **kw),
    ),
}
#: Config variants: jit == eager only (same code as their base component).
VARIANTS = ("decoder_parallel", "htree_fixed")
NAMES = [name for name in TABLE if name not in VARIANTS]


def build(name, mode="exact", **circuit_kw):
    fn, make_params, make_config = TABLE[name]
    return fn, make_params(CircuitParams(**circuit_kw)), make_config(mode=mode)


def assert_cost_close(a: Cost, b: Cost, rtol=1e-5):
    for field, x, y in zip(Cost._fields, a, b):
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=rtol, atol=0, err_msg=field)


def set_path(params, path, value):
    if len(path) == 1:
        return params._replace(**{path[0]: value})
    return params._replace(**{path[0]: set_path(getattr(params, path[0]), path[1:], value)})


def get_path(params, path):
    for p in path:
        params = getattr(params, p)
    return params


VDD = ("circuit", "vdd_scale")
NODE = ("circuit", "node_nm")
CW = ("circuit", "wire_capacitance")
# Continuous params differentiated for each component, besides the supply scale and the
# node (40 nm lies inside one segment of the node table).
EXTRA_PATHS = {
    "adder": [("num_bits",), ("num_adders",)],
    "adder_tree": [("num_inputs",), ("num_bits",)],
    "dff": [("activity",)],
    "shift_adder": [("num_reads",), ("num_bits",), ("read_pulse_width",)],
    "mux": [("load_capacitance",), ("res_tg",), ("read_voltage",)],
    "decoder": [("load_capacitance",)],
    "htree": [CW, ("unit_height",), ("bus_width",)],
    "bus": [CW, ("unit_length",), ("num_units",)],
    "relu": [("num_bits",)],
    "max_pool": [("window",), ("num_bits",)],
    "buffer": [("num_bits",), ("interface_width",)],
}


@pytest.mark.parametrize("name", NAMES)
def test_jit_vmap_grad_checklist(name):
    """The checklist on one float64 function ``g(x) -> (area, energy, latency, leakage)`` of
    the continuous params ``x`` (supply scale, node, component extras), relaxed mode:

    - ``jit(vmap(g))`` over a batch of params equals an eager Python loop of ``g`` (so
      ``jit == eager`` and ``vmap == loop``);
    - the reverse-mode Jacobian (``jax.vjp`` per field, i.e. ``jax.grad`` of each field) is
      finite and matches central differences to 1e-4 relative (all four fields, which covers
      energy and latency).
    """
    with x64():
        paths = [VDD, NODE] + EXTRA_PATHS.get(name, [])
        fn, params, config = build(name, mode="relaxed", node_nm=40.0)
        params = jax.tree.map(lambda x: jnp.asarray(x, jnp.float64), params)
        x0 = jnp.array([float(get_path(params, p)) for p in paths], jnp.float64)

        def g(x):
            p = params
            for i, path in enumerate(paths):
                p = set_path(p, path, x[i])
            return jnp.stack(fn(p, config))

        n = len(paths)
        h = 1e-7 * np.abs(np.asarray(x0))
        points = jnp.concatenate([x0 + jnp.diag(h), x0 - jnp.diag(h), x0[None]])
        values = np.asarray(jax.jit(jax.vmap(g))(points))
        value = values[-1]
        for i in (0, 2 * n):  # jit(vmap(g)) == an eager loop
            np.testing.assert_allclose(values[i], np.asarray(g(points[i])), rtol=1e-12)
        assert np.all(np.isfinite(value)) and np.all(value[:3] > 0) and value[3] >= 0, value

        # Reverse mode, one field at a time (``jax.grad`` of each field); the cotangent is an
        # argument so that one compiled VJP serves all four (faster than ``jax.jacrev``).
        vjp = jax.jit(lambda x, cotangent: jax.vjp(g, x)[1](cotangent)[0])
        jac = np.stack([np.asarray(vjp(x0, e)) for e in jnp.eye(4, dtype=jnp.float64)], axis=1)  # (P, 4)
        fd = (values[:n] - values[n : 2 * n]) / (2 * h[:, None])
        assert np.all(np.isfinite(jac)), jac
        floor = 1e-6 * np.abs(value)[None, :] / np.abs(np.asarray(x0))[:, None]
        bad = np.abs(jac - fd) > 1e-4 * np.maximum(np.abs(fd), floor)
        mismatches = [(paths[i], Cost._fields[j], jac[i, j], fd[i, j]) for i, j in zip(*np.nonzero(bad))]
        assert not mismatches, mismatches


@pytest.mark.parametrize("name", VARIANTS)
def test_config_variants_jit_equals_eager(name):
    """``jit(f) == f`` for the config variants (static branches only; float64, sharing the
    eager-op cache of the checklist)."""
    with x64():
        fn, params, config = build(name)
        assert_cost_close(jax.jit(fn)(params, config), fn(params, config), rtol=1e-12)


def test_dram_jit_vmap():
    params = misc.DramParams(jnp.array([1.0, 1e3, 1e9]))
    for kind in ("hbm2", "gddr5"):
        config = misc.DramConfig(kind=kind)
        batched = jax.vmap(misc.dram, in_axes=(0, None))(params, config)
        assert_cost_close(jax.jit(misc.dram)(params, config), batched)
        for i, bits in enumerate([1.0, 1e3, 1e9]):
            assert_cost_close(jax.tree.map(lambda x: x[i], batched), misc.dram(misc.DramParams(bits), config))


def test_ste_gradients_are_finite_and_nonzero():
    fn, params, config = build("adder_tree", mode="ste")
    exact_fn, _, exact_config = build("adder_tree")
    assert_cost_close(fn(params, config), exact_fn(params, exact_config))  # same value as exact
    path = ("num_inputs",)
    grad = jax.grad(lambda x: fn(set_path(params, path, x), config).area)(jnp.float32(get_path(params, path)))
    assert np.isfinite(float(grad)) and float(grad) > 0


def test_grad_of_vmap_equals_vmap_of_grad():
    fn, params, config = build("dff")
    scales = jnp.array([0.8, 1.0, 1.2])

    def energy(s):
        return fn(set_path(params, VDD, s), config).energy

    per_point = jax.jit(jax.vmap(jax.grad(energy)))(scales)
    summed = jax.jit(jax.grad(lambda s: jnp.sum(jax.vmap(energy)(s))))(scales)
    np.testing.assert_allclose(per_point, summed, rtol=1e-6)


def test_buffer_sizing_jit_vmap_grad():
    params = misc.BufferSizingParams()
    for flag in (True, False):
        config = misc.BufferSizingConfig(version=dataclasses.replace(nv.CURRENT, wg_out_precision_unset=flag))
        eager = misc.buffer_sizing(params, config)
        for a, b in zip(jax.jit(misc.buffer_sizing)(params, config), eager):
            np.testing.assert_allclose(a, b, rtol=1e-6)
        batches = [100.0, 200.0, 1000.0]
        axes = jax.tree.map(lambda _: None, params)._replace(batch_size=0)
        batch = params._replace(batch_size=jnp.array(batches))
        batched = jax.vmap(misc.buffer_sizing, in_axes=(axes, None))(batch, config)
        for i, b in enumerate(batches):
            for a, e in zip(batched, misc.buffer_sizing(params._replace(batch_size=b), config)):
                np.testing.assert_allclose(a[i], e, rtol=1e-6)
    with x64():
        config = misc.BufferSizingConfig(mode="relaxed", version=SPEC_OUT_PRECISION)

        def total(x):
            return misc.buffer_sizing(params._replace(max_input_size=x), config).total_bits

        x0 = 100000.0
        grad = float(jax.grad(total)(jnp.float64(x0)))
        h = 1e-7 * x0
        fd = (float(total(jnp.float64(x0 + h))) - float(total(jnp.float64(x0 - h)))) / (2 * h)
        assert np.isfinite(grad) and abs(grad - fd) <= 1e-4 * abs(fd)


# ----------------------------------------------------------------------------- technology once


def test_technology_derived_once_and_passed_down():
    """``with_standard_cells`` puts the technology and its standard cells into the circuit; the
    components then look them up (the same objects) instead of re-deriving them, with the same
    values, inside ``jit``, ``vmap`` and ``grad`` alike."""
    from cimjax.hw import tech
    from cimjax.hw.components import gates
    from cimjax.hw.components.params import CircuitParams, ComponentConfig, circuit_technology

    cfg = ComponentConfig()
    plain = CircuitParams(node_nm=jnp.asarray(32.0))
    assert circuit_technology(plain, cfg) is not circuit_technology(plain, cfg)  # derived on each use
    bound = gates.with_standard_cells(plain, cfg)
    t = circuit_technology(bound, cfg)
    assert t is bound.technology
    assert gates.gate(t, "inv", size=3.0) is gates.gate(t, "inv", size=3.0)
    assert gates.gate(t, "nand", 2) is t.cells["gate:nand:2:1.0:exact"]
    assert gates.gate(t, "inv", size=2.0) is not gates.gate(t, "inv", size=2.0)  # not a standard gate
    assert gates.gate(t, "inv", mode="relaxed") is not gates.gate(t, "inv", mode="relaxed")
    # Rebinding replaces a technology derived at another node.
    moved = gates.with_standard_cells(bound._replace(node_nm=jnp.asarray(45.0)), cfg)
    np.testing.assert_allclose(moved.technology.node, 45e-9, rtol=1e-6)

    def energy(node):
        circuit = gates.with_standard_cells(CircuitParams(node_nm=node), cfg)
        t = circuit_technology(circuit, cfg)
        batched = jax.vmap(lambda s: s * gates.gate(t, "inv", size=3.0).c_in)(jnp.ones(3))
        inner = jax.jit(lambda c: gates.gate(circuit_technology(c, cfg), "nand", 2).c_out)(circuit)
        return jnp.sum(batched) + inner

    def reference(node):
        t = tech.technology(node)
        return 3 * gates.gate(t, "inv", size=3.0).c_in + gates.gate(t, "nand", 2).c_out

    np.testing.assert_allclose(jax.jit(energy)(jnp.asarray(40.0)), reference(jnp.asarray(40.0)), rtol=1e-6)
    np.testing.assert_allclose(jax.grad(energy)(jnp.asarray(40.0)), jax.grad(reference)(jnp.asarray(40.0)),
                               rtol=1e-5)
    np.testing.assert_allclose(jax.vmap(energy)(jnp.asarray([30.0, 45.0])),
                               [reference(jnp.asarray(30.0)), reference(jnp.asarray(45.0))], rtol=1e-6)
