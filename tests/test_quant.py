"""WAGE quantisation primitives (docs/model.md §1.1): hand-computed values."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from cimjax import quant


@pytest.mark.parametrize("bits,expected", [(1, 1.0), (2, 2.0), (5, 16.0), (8, 128.0), (16, 32768.0)])
def test_scale_s(bits, expected):
    assert quant.scale_s(bits) == expected
    assert quant.s(bits) == expected


@pytest.mark.parametrize("bits", [None, 32, -1, 0, 17, 31, 33, True, 5.0, "5"])
def test_scale_s_rejects_float_markers_and_invalid(bits):
    with pytest.raises(ValueError):
        quant.scale_s(bits)


@pytest.mark.parametrize("bits", [0, 17, 31, True, 2.5])
def test_invalid_bits_raise(bits):
    with pytest.raises(ValueError):
        quant.clip_c(jnp.zeros(3), bits)
    with pytest.raises(ValueError):
        quant.quantize_q(jnp.zeros(3), bits)


def test_shift_hand_values():
    x = jnp.array([1.0, 0.25, 0.7, 0.71, 1.41, 1.42, 3.0, 5.0, 6.0, 1e-3, 1000.0])
    # log2: 0, −2, −0.515, −0.494, 0.496, 0.506, 1.585, 2.32, 2.585, −9.97, 9.97
    expected = [1.0, 0.25, 0.5, 1.0, 1.0, 2.0, 4.0, 4.0, 8.0, 2.0**-10, 1024.0]
    np.testing.assert_array_equal(quant.shift(x), expected)


def test_shift_guards_zero_and_negative_without_nan():
    out = quant.shift(jnp.array([0.0, -0.0, -3.0]))
    np.testing.assert_array_equal(out, [1.0, 1.0, 1.0])
    # An all-zero tensor normalised by shift(max|x|) stays zero.
    z = jnp.zeros(4)
    np.testing.assert_array_equal(z / quant.shift(jnp.max(jnp.abs(z))), z)
    # Integer input is promoted.
    assert float(quant.shift(jnp.array(3))) == 4.0


def test_clip_c_hand_values():
    x = jnp.array([-2.0, -0.95, -0.5, 0.5, 0.95, 2.0])
    np.testing.assert_array_equal(quant.clip_c(x, 5), [-0.9375, -0.9375, -0.5, 0.5, 0.9375, 0.9375])
    np.testing.assert_array_equal(quant.clip_c(x, 2), [-0.5, -0.5, -0.5, 0.5, 0.5, 0.5])
    expected8 = np.float32([-127 / 128, -0.95, -0.5, 0.5, 0.95, 127 / 128])
    np.testing.assert_array_equal(quant.clip_c(x, 8), expected8)
    # δ = 0 for b = 1 and b > 15.
    np.testing.assert_array_equal(quant.clip_c(x, 1), np.float32([-1.0, -0.95, -0.5, 0.5, 0.95, 1.0]))
    np.testing.assert_array_equal(quant.clip_c(x, 16), np.float32([-1.0, -0.95, -0.5, 0.5, 0.95, 1.0]))
    for marker in (None, 32, -1):
        np.testing.assert_array_equal(quant.clip_c(x, marker), x)
    np.testing.assert_array_equal(quant.c(x, 5), quant.clip_c(x, 5))


def test_quantize_q_hand_values():
    # 5 bits: S = 16. 0.03125·16 = 0.5 → 0 (half to even); 0.09375·16 = 1.5 → 2;
    # 0.15625·16 = 2.5 → 2; 0.1·16 = 1.6 → 2; −0.09375 → −2; 0.9 → 14.4 → 14.
    x = jnp.array([0.03125, 0.09375, 0.15625, 0.1, -0.09375, 0.9, 1.7])
    np.testing.assert_array_equal(
        quant.quantize_q(x, 5), [0.0, 0.125, 0.125, 0.125, -0.125, 0.875, 1.6875]
    )
    # 2 bits: S = 2, grid of 1/2.
    x2 = jnp.array([0.2, 0.3, 0.75, -0.8])
    np.testing.assert_array_equal(quant.quantize_q(x2, 2), [0.0, 0.5, 1.0, -1.0])
    np.testing.assert_array_equal(quant.quantize_q(jnp.array([-0.3, 0.0, 2.0]), 1), [-1.0, 0.0, 1.0])
    for marker in (16, None, 32, -1):
        np.testing.assert_array_equal(quant.quantize_q(x, marker), x)
    np.testing.assert_array_equal(quant.q(x, 5), quant.quantize_q(x, 5))


def test_quantize_e_hand_values():
    # max|x| = 3 → shift 4 → x/4 = [0.75, −0.25, 0.0125]; 5 bits: C keeps, Q → 12/16, −4/16, 0.
    x = jnp.array([3.0, -1.0, 0.05])
    np.testing.assert_array_equal(quant.quantize_e(x, 5), [0.75, -0.25, 0.0])
    np.testing.assert_array_equal(quant.quantize_e(x, None), x)


def test_stochastic_round_values_and_mean():
    key = jax.random.key(3)
    x = jnp.full((40_000,), 0.3)
    r = quant.stochastic_round(key, x)
    assert set(np.unique(np.asarray(r)).tolist()) <= {0.0, 1.0}
    assert abs(float(r.mean()) - 0.3) < 0.01
    xn = jnp.full((40_000,), -1.25)
    rn = quant.sr(key, xn)
    assert set(np.unique(np.asarray(rn)).tolist()) <= {-2.0, -1.0}
    assert abs(float(rn.mean()) + 1.25) < 0.01
    # Integers are fixed points; same key → same draw.
    ints = jnp.array([-3.0, 0.0, 2.0])
    np.testing.assert_array_equal(quant.stochastic_round(key, ints), ints)
    np.testing.assert_array_equal(quant.stochastic_round(key, x), r)


def test_jit_matches_eager():
    x = jnp.linspace(-1.3, 1.3, 101)
    f = lambda x: quant.quantize_q(quant.clip_c(x / quant.shift(jnp.max(jnp.abs(x))), 5), 5)  # noqa: E731
    np.testing.assert_array_equal(jax.jit(f)(x), f(x))
