"""The Cost and Footprint NamedTuples (cimjax.hw.cost): SI fields, pytrees through jit/vmap/grad."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from cimjax.hw.cost import Cost, Footprint


def test_fields():
    assert Cost._fields == ("area", "energy", "latency", "leakage")
    assert Footprint._fields == ("height", "width")


def test_is_a_pytree_through_jit_vmap_grad():
    a = Cost(jnp.asarray(1e-12), jnp.asarray(2e-15), jnp.asarray(3e-9), jnp.asarray(4e-6))
    assert len(jax.tree.leaves(a)) == 4
    doubled = jax.jit(lambda c: jax.tree.map(lambda x: 2 * x, c))(a)
    assert isinstance(doubled, Cost)
    np.testing.assert_allclose(np.asarray(doubled), 2 * np.asarray(a), rtol=1e-6)
    batched = jax.vmap(lambda k: Cost(a.area * k, a.energy * k, a.latency, a.leakage * k))(jnp.array([1.0, 2.0]))
    assert batched.area.shape == (2,) and float(batched.energy[1]) == pytest.approx(4e-15)
    grad = jax.grad(lambda k: Cost(a.area * k, a.energy * k, a.latency, a.leakage).energy * 1e15)(3.0)
    assert float(grad) == pytest.approx(2.0)
