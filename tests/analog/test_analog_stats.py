"""Read statistics of the analog array (cimjax.analog.stats) against hand and loop counts."""

from __future__ import annotations

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from cimjax.analog import ArrayConfig
from cimjax.analog.stats import input_bit_density, layer_summary, read_counts, static_counts

# 4-bit weights on 2-bit cells (2 cell columns per weight), 2-bit inputs, 2-row sub-arrays.
TINY = ArrayConfig(weight_bits=4, cell_bits=2, input_bits=2, subarray_rows=2, adc_bits=3)


def test_dense_static_counts_by_hand():
    # Fi = 5 rows → sub-arrays {0,1} {2,3} {4}; Fo = 3 outputs; 2 input planes.
    st = static_counts(TINY, (5, 3))
    assert st["subarrays"] == 3 and st["planes"] == 2 and st["positions"] == 1
    assert st["subarray_reads"] == 2 * 3
    # per plane and sub-array: 2 cells x 3 outputs + 1 dummy column = 7 conversions
    assert st["adc_conversions"] == 2 * 3 * 7
    # transposed: 3 rows → 2 sub-arrays, 5 outputs x 2 cells + dummy, e+ and e− planes: 4
    assert st["adc_conversions_transposed"] == 4 * 2 * (2 * 5 + 1)
    assert st["input_bits"] == 2 * 5


def test_mapping_adc_and_partition_options():
    diff = ArrayConfig(weight_bits=4, cell_bits=2, input_bits=2, subarray_rows=2, mapping="differential")
    assert static_counts(diff, (5, 3))["adc_conversions"] == 2 * 3 * (4 * 3)  # G+ and G− cells, no dummy
    assert static_counts(ArrayConfig(weight_bits=4, cell_bits=2, input_bits=2, subarray_rows=2, adc_mode="none"),
                         (5, 3))["adc_conversions"] == 0
    drop = ArrayConfig(weight_bits=4, cell_bits=2, input_bits=2, subarray_rows=2, drop_partial_subarray=True)
    st = static_counts(drop, (5, 3))
    assert st["subarrays"] == 2 and st["adc_conversions"] == 2 * 2 * 7 and st["input_bits"] == 2 * 4
    analog_in = ArrayConfig(weight_bits=4, cell_bits=2, bit_serial=False, adc_mode="none")
    assert static_counts(analog_in, (3, 3, 1, 4), pixels=28 * 28)["subarray_reads"] == 9 * 784


def test_dense_activations_and_density_by_hand():
    # I = round(3x): [1, 0, 0, 3, 2] → bit 0: 1 0 0 1 0, bit 1: 0 0 0 1 1
    x = jnp.asarray([[1 / 3, 0.0, 0.0, 1.0, 2 / 3], [0.0] * 5])
    rc = read_counts(x, TINY, (5, 3))
    # bit 0: sub-arrays {0,1} and {2,3} driven; bit 1: {2,3} and {4}
    np.testing.assert_array_equal(rc.subarray_activations, [4.0, 0.0])
    np.testing.assert_array_equal(rc.input_ones, [4.0, 0.0])
    assert float(input_bit_density(rc)) == pytest.approx(2 / 10 / 1)  # (4 + 0) / (2 images x 10 bits)
    s = layer_summary(rc)
    assert s["subarray_reads"] == 6 and s["subarray_activations"] == 2.0


def test_conv_single_pixel_by_hand():
    cfg = ArrayConfig(weight_bits=4, cell_bits=4, input_bits=1)
    x = jnp.zeros((2, 3, 3, 1)).at[0, 1, 1, 0].set(1.0).at[1, 0, 0, 0].set(1.0)
    rc = read_counts(x, cfg, (3, 3, 1, 2))
    assert rc.subarray_reads == 81 and rc.adc_conversions == 81 * (2 + 1)
    # the centre pixel is read at all 9 kernel positions, a corner pixel at 4 ('SAME' padding)
    np.testing.assert_array_equal(rc.subarray_activations, [9.0, 4.0])
    np.testing.assert_array_equal(rc.input_ones, [9.0, 4.0])


def _loop_counts(x: np.ndarray, cfg: ArrayConfig, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Brute force: every (bit, position, output pixel, sub-array) read of a 'SAME' conv."""
    n, h, w, c = x.shape
    levels = np.clip(np.round(x * (2**cfg.input_bits - 1)), 0, 2**cfg.input_bits - 1).astype(int)
    lo = (k - 1) // 2
    act = np.zeros(n)
    ones = np.zeros(n)
    for b, z, i, j, oh, ow in itertools.product(range(n), range(cfg.input_bits), range(k), range(k), range(h), range(w)):
        ih, iw = oh + i - lo, ow + j - lo
        if not (0 <= ih < h and 0 <= iw < w):
            continue
        bits = (levels[b, ih, iw] >> z) & 1
        ones[b] += bits.sum()
        for s0 in range(0, c, cfg.subarray_rows):
            act[b] += bits[s0:s0 + cfg.subarray_rows].any()
    return act, ones


def test_conv_counts_match_a_loop():
    cfg = ArrayConfig(weight_bits=4, cell_bits=2, input_bits=3, subarray_rows=2)
    x = jax.random.uniform(jax.random.key(3), (2, 4, 5, 5)) * (jax.random.uniform(jax.random.key(4), (2, 4, 5, 5)) > 0.6)
    rc = read_counts(x, cfg, (3, 3, 5, 2))
    act, ones = _loop_counts(np.asarray(x), cfg, 3)
    np.testing.assert_allclose(rc.subarray_activations, act)
    np.testing.assert_allclose(rc.input_ones, ones)
    assert rc.subarray_reads == 3 * 9 * 20 * 3
    assert rc.input_bits == 3 * 9 * 20 * 5
    assert np.all(np.asarray(rc.subarray_activations) <= rc.subarray_reads)


def test_float_read_has_no_bit_density_and_jits():
    cfg = ArrayConfig(bit_serial=False, adc_mode="none")
    x = jnp.ones((1, 4, 4, 3))
    rc = jax.jit(read_counts, static_argnums=(1, 2))(x, cfg, (3, 3, 3, 8))
    assert np.isnan(float(input_bit_density(rc)))
    assert float(rc.subarray_activations[0]) == 10.0 * 10.0  # (Σ coverage along each axis)² = (3·4 − 2)²
    with pytest.raises(ValueError, match="x must be"):
        read_counts(jnp.ones((1, 4, 4, 2)), cfg, (3, 3, 3, 8))
