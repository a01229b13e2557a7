"""Input-bit activity against a literal re-creation of NeuroSim's trace matrix."""

import numpy as np
import pytest

from cimjax.trace import bit_ones, input_activity


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
