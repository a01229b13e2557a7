"""Input-bit activity and read occupancy against a literal re-creation of NeuroSim's trace matrix."""

import jax
import numpy as np
import pytest

from cimjax.hw import trace as hw_trace
from cimjax.trace import bit_ones, bit_planes, input_activity, read_occupancy


def neurosim_bits(x, n):
    """Literal greedy decomposition of spec §4.3 for one value: [sign, 2^(n-2), ..., 1]."""
    x_int = x * 2 ** (n - 1)
    sign = 1 if x < 0 else 0
    rest = x_int + sign * 2 ** (n - 1)
    out = [sign]
    for k in range(n - 2, -1, -1):
        if rest >= 2**k:
            out.append(1)
            rest -= 2**k
        else:
            out.append(0)
    return out


def reference_activity(img, n, kernel):
    if kernel is None:
        return np.mean([b for v in img.ravel() for b in neurosim_bits(float(v), n)])
    h, w, c = img.shape
    cells = []
    for i in range(h - kernel + 1):
        for j in range(w - kernel + 1):
            for ch in range(c):
                for ki in range(kernel):
                    for kj in range(kernel):
                        cells.extend(neurosim_bits(float(img[i + ki, j + kj, ch]), n))
    return np.mean(cells)


def test_bit_ones_matches_greedy():
    xs = np.array([0.0, 127 / 128, 0.5, 1 / 128, -1.0, -0.5, -1 / 128, 0.3337, -0.71, 1.2, -1.5], np.float32)
    expect = [sum(neurosim_bits(float(v), 8)) for v in xs]
    np.testing.assert_array_equal(np.asarray(bit_ones(xs, 8)), expect)


@pytest.mark.parametrize("kernel,shape,signed", [(3, (6, 5, 2), True), (3, (4, 4, 3), False), (None, (37,), False)])
def test_activity_equals_unfolded_trace(kernel, shape, signed):
    rng = np.random.default_rng(0)
    lo = -1.0 if signed else 0.0
    img = rng.uniform(lo, 1.0, size=shape).astype(np.float32)
    img = np.where(rng.uniform(size=shape) < 0.4, 0.0, img).astype(np.float32)  # ReLU-like zeros
    got = float(input_activity(img, 8, kernel))
    assert got == pytest.approx(reference_activity(img, 8, kernel), abs=1e-6)


def test_activity_bounds():
    assert float(input_activity(np.zeros((5, 5, 1), np.float32), 8, 3)) == 0.0
    assert float(input_activity(np.full((8,), 127 / 128, np.float32), 8)) == pytest.approx(7 / 8)


def unfolded_bits(img, n, kernel):
    """NeuroSim's trace matrix, literally: (rows, reads) with rows = C_in·K·K (channel
    outermost) per valid window, or the features; one column per bit plane per window."""
    if kernel is None:
        return np.array([neurosim_bits(float(v), n) for v in img.ravel()])
    h, w, c = img.shape
    cols = []
    for i in range(h - kernel + 1):
        for j in range(w - kernel + 1):
            rows = [neurosim_bits(float(img[i + ki, j + kj, ch]), n)
                    for ch in range(c) for ki in range(kernel) for kj in range(kernel)]
            cols.append(np.array(rows))  # (rows, n)
    return np.concatenate(cols, axis=1)


def test_bit_planes_match_greedy():
    xs = np.array([0.0, 127 / 128, 0.5, 1 / 128, -1.0, -0.5, -1 / 128, 0.3337, -0.71, 1.2, -1.5], np.float32)
    np.testing.assert_array_equal(np.asarray(bit_planes(xs, 8)), [neurosim_bits(float(v), 8) for v in xs])
    np.testing.assert_array_equal(np.asarray(bit_planes(xs, 8)).sum(-1), np.asarray(bit_ones(xs, 8)))


@pytest.mark.parametrize("kernel,shape,signed,rows_per_read", [
    (3, (6, 5, 2), True, 128),  # one partial block
    (3, (5, 6, 4), False, 16),  # blocks of 16 rows straddle the 9-row channels; a partial last one
    (2, (4, 4, 8), False, 8),  # whole blocks
    (None, (37,), False, 16),
    (None, (40,), True, 128),
])
def test_read_occupancy_equals_unfolded_trace(kernel, shape, signed, rows_per_read):
    rng = np.random.default_rng(1)
    lo = -1.0 if signed else 0.0
    img = rng.uniform(lo, 1.0, size=shape).astype(np.float32)
    img = np.where(rng.uniform(size=shape) < 0.6, 0.0, img * 0.1).astype(np.float32)  # sparse, small
    want = float(hw_trace.read_occupancy(unfolded_bits(img, 8, kernel), rows_per_read))
    got = float(jax.jit(read_occupancy, static_argnums=(1, 2, 3))(img, 8, kernel, rows_per_read))
    assert got == pytest.approx(want, abs=1e-6)
    assert 0.0 < got <= 1.0 and (signed or got < 1.0)  # unsigned: the sign plane is empty
    assert got >= float(input_activity(img, 8, kernel)) / 2  # the bound make_trace checks


def test_read_occupancy_post_relu_and_signed():
    rng = np.random.default_rng(2)
    # Post-ReLU (non-negative) inputs never set the sign plane: at most 7/8 of the reads.
    relu = np.maximum(rng.normal(0.0, 0.3, (8, 8, 16)), 0.0).astype(np.float32)
    occ = float(read_occupancy(relu, 8, 3))
    assert occ <= 7 / 8 + 1e-6
    assert occ >= float(input_activity(relu, 8, 3))
    assert float(read_occupancy(relu.ravel(), 8)) <= 7 / 8 + 1e-6
    # Random signed inputs: every bit plane of every 128-row read has an active row.
    signed = rng.uniform(-1.0, 1.0, (8, 8, 16)).astype(np.float32)
    assert float(read_occupancy(signed, 8, 3)) == pytest.approx(1.0, abs=1e-6)
    assert float(read_occupancy(signed.ravel(), 8)) == pytest.approx(1.0, abs=1e-6)
    assert float(read_occupancy(np.zeros((5, 5, 2), np.float32), 8, 3)) == 0.0
    with pytest.raises(ValueError, match="rows_per_read"):
        read_occupancy(signed, 8, 3, 0)
    with pytest.raises(ValueError, match="kernel"):
        read_occupancy(signed[:2], 8, 3)
