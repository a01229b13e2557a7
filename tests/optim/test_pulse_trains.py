"""Pulse trains (cimjax/optim/pulse_trains.py): statistics of the stochastic trains, the expected
and deterministic modes, and applying counts to a device."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from cimjax.devices.protocol import ConstantStep, PulsedDevice, SoftBounds, apply_pulses, sample_cells
from cimjax.optim import pulse_trains as pt

X = jnp.array([0.5, -1.0, 0.1, 0.0, 0.8])
D = jnp.array([0.3, -0.2, 1.0])


def _many(x, d, lr, dw, bl, n_keys=4000, **kw):
    keys = jax.random.split(jax.random.key(0, impl="unsafe_rbg"), n_keys)
    return jax.vmap(lambda k: pt.stochastic_counts(k, x, d, lr, dw, bl, **kw))(keys)


@pytest.fixture(scope="module")
def default_counts():
    return np.asarray(_many(X, D, 0.1, 0.01, 31))


@pytest.mark.parametrize("um,blm", [(True, True), (False, False)])
def test_mean_count_is_the_expected_mode(um, blm, default_counts):
    s = default_counts if um and blm else _many(X, D, 0.1, 0.01, 31, update_management=um, bl_management=blm)
    e = pt.expected_counts(X, D, 0.1, 0.01, 31, update_management=um, bl_management=blm)
    # Binomial-like counts: standard error of the mean ≤ sqrt(BL/4/n_keys) ≈ 0.044.
    np.testing.assert_allclose(s.mean(0), e, atol=0.2, rtol=0.03)
    # Unsaturated: the expected count is lr·|d x|/dw_min.
    np.testing.assert_allclose(e, -0.1 * D[:, None] * X[None, :] / 0.01, rtol=1e-5, atol=1e-5)


def test_sign_and_integer_counts(default_counts):
    s = default_counts
    assert np.all(s == np.round(s))
    want = -np.sign(np.asarray(D)[:, None] * np.asarray(X)[None, :])
    nz = s != 0
    assert nz.any()
    assert np.all(np.sign(s)[nz] == np.broadcast_to(want, s.shape)[nz])
    assert np.all(s[:, :, 3] == 0)  # x = 0: no pulses


def test_cap_at_bl():
    s = _many(X, D, 100.0, 0.01, 7)
    assert np.abs(s).max() <= 7
    e = pt.expected_counts(X, D, 100.0, 0.01, 7)
    assert np.abs(e).max() == pytest.approx(7.0)
    np.testing.assert_allclose(s.mean(0), e, atol=0.35)


def test_batch_shapes_and_jit_with_traced_lr():
    x = jnp.stack([X, -X])
    d = jnp.stack([D, 2 * D])
    f = jax.jit(lambda k, lr, dw: pt.stochastic_counts_batch(k, x, d, lr, dw, 31))
    out = f(jax.random.key(1, impl="unsafe_rbg"), 0.1, 0.01)
    assert out.shape == (2, 3, 5)
    e = jax.jit(lambda lr: pt.expected_counts_batch(x, d, lr, 0.01, 31))(0.1)
    np.testing.assert_allclose(e[1], -0.1 * 2 * D[:, None] * -X[None, :] / 0.01, rtol=1e-5, atol=1e-5)


def test_deterministic_and_mean_counts():
    u = jnp.array([0.014, -0.026, 0.5, -0.004])
    np.testing.assert_array_equal(pt.deterministic_counts(u, 0.01, 31), [1, -3, 31, 0])
    np.testing.assert_allclose(pt.mean_counts(u, 0.01, 31), [1.4, -2.6, 31, -0.4], rtol=1e-5)
    np.testing.assert_array_equal(pt.counts_from_update(u, 0.01, 5, "deterministic"), [1, -3, 5, 0])


def test_apply_counts_integer_is_apply_pulses_and_fractional_is_mean_field():
    dev = PulsedDevice(model=SoftBounds(), dw_min=0.05, up_down=0.2)
    cells = sample_cells(dev, jax.random.key(0), (4,))
    w = jnp.array([0.0, 0.5, -0.5, 0.9])
    n = jnp.array([3.0, -2.0, 1.0, 4.0])
    got = pt.apply_counts(dev, cells, w, n, jax.random.key(2), max_pulses=5)
    np.testing.assert_allclose(got, apply_pulses(dev, cells, w, n, jax.random.key(2), max_pulses=5))
    # Without noise, the fractional train at integer counts is the same pulse sequence.
    mean_field = pt.apply_counts(dev, cells, w, n, None, max_pulses=5, fractional=True)
    np.testing.assert_allclose(mean_field, got, rtol=1e-6)
    const = PulsedDevice(model=ConstantStep(), dw_min=0.1)
    cc = sample_cells(const, jax.random.key(0), (2,))
    n = jnp.array([2.5, -0.25])
    out = pt.apply_counts(const, cc, jnp.zeros(2), n, None, max_pulses=3, fractional=True)
    np.testing.assert_allclose(out, [0.25, -0.025], rtol=1e-5)


def test_errors_name_the_field():
    with pytest.raises(ValueError, match="update_mode = 'bogus'"):
        pt.check_mode("bogus")
    with pytest.raises(ValueError, match=r"bl = 0 must be an integer in \[1, 1024\]"):
        pt.stochastic_counts(jax.random.key(0), X, D, 0.1, 0.01, 0)
    with pytest.raises(ValueError, match="needs the \\(x, d\\) vectors"):
        pt.counts_from_update(jnp.zeros(3), 0.01, 5, "stochastic")
