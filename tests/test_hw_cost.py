"""Cost NamedTuple and its composition rules (cimjax.hw.cost)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from cimjax.hw.cost import Cost, parallel, repeat, repeat_actions, serial

A = Cost.of(area=1e-12, energy=2e-15, latency=3e-9, leakage=4e-6)
B = Cost.of(area=10e-12, energy=20e-15, latency=1e-9, leakage=40e-6)


def assert_cost_close(got: Cost, want: Cost, rtol=1e-6):
    for name, g, w in zip(Cost._fields, got, want):
        np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=rtol, err_msg=name)


def test_zero_and_of():
    z = Cost.zero()
    assert all(np.asarray(f) == 0.0 and np.shape(f) == () for f in z)
    c = Cost.of(energy=1.5)
    assert float(c.energy) == 1.5 and float(c.area) == 0.0
    assert all(jnp.issubdtype(jnp.asarray(f).dtype, jnp.floating) for f in Cost.of(1, 2, 3, 4))
    assert Cost._fields == ("area", "energy", "latency", "leakage")


def test_serial_adds_latency():
    assert_cost_close(serial(A, B), Cost.of(11e-12, 22e-15, 4e-9, 44e-6))
    assert_cost_close(serial(A), A)
    assert_cost_close(serial(), Cost.zero())


def test_parallel_takes_max_latency():
    assert_cost_close(parallel(A, B), Cost.of(11e-12, 22e-15, 3e-9, 44e-6))
    assert_cost_close(parallel(A, B, A), Cost.of(12e-12, 24e-15, 3e-9, 48e-6))
    assert_cost_close(parallel(), Cost.zero())


def test_repeat_and_repeat_actions():
    assert_cost_close(repeat(A, 4), Cost.of(4e-12, 8e-15, 3e-9, 16e-6))
    assert_cost_close(repeat(A, 4, parallel=False), Cost.of(4e-12, 8e-15, 12e-9, 16e-6))
    assert_cost_close(repeat_actions(A, 4), Cost.of(1e-12, 8e-15, 12e-9, 4e-6))
    # n identical parallel instances = parallel() of n copies; serial instances = serial().
    assert_cost_close(repeat(A, 3), parallel(A, A, A))
    assert_cost_close(repeat(A, 3, parallel=False), serial(A, A, A))
    assert_cost_close(repeat(A, 0), Cost.of(0.0, 0.0, 3e-9, 0.0))


def test_is_a_pytree_and_jits():
    assert len(jax.tree.leaves(A)) == 4
    doubled = jax.tree.map(lambda x: 2 * x, A)
    assert isinstance(doubled, Cost)
    f = lambda a, b, n: serial(parallel(a, b), repeat(a, n))  # noqa: E731
    assert_cost_close(jax.jit(f)(A, B, 3.0), f(A, B, 3.0))


def test_vmap_over_a_design_grid_equals_loop():
    n = jnp.array([1.0, 2.0, 5.0])
    batched = jax.vmap(lambda k: parallel(repeat(A, k), B))(n)
    assert batched.latency.shape == (3,)
    for i, k in enumerate([1.0, 2.0, 5.0]):
        assert_cost_close(jax.tree.map(lambda x: x[i], batched), parallel(repeat(A, k), B))
    # Broadcasting: a batched cost composes with a scalar one.
    grid = Cost.of(area=jnp.array([1.0, 2.0]), energy=1.0, latency=jnp.array([1.0, 5.0]), leakage=0.0)
    out = parallel(grid, Cost.of(latency=2.0))
    np.testing.assert_array_equal(out.latency, [2.0, 5.0])
    np.testing.assert_array_equal(out.area, [1.0, 2.0])


def test_grad_through_composition():
    def energy_plus_latency(scale):
        c = serial(repeat(A, scale), parallel(repeat_actions(B, scale), A))
        return c.energy * 1e15 + c.latency * 1e9

    # d/ds [2s + 20s (energy, fJ)] + d/ds [3 + max(s, 3)] at s = 4 → 22 + 1.
    assert float(jax.grad(energy_plus_latency)(4.0)) == pytest.approx(23.0, rel=1e-6)
