"""The synthetic classification task: class-conditional patterns generated from a ``jax.random`` key.

The task (the class templates) is fixed; the key draws only the labels, shifts and noise
(:func:`make_synthetic`), so every run learns the same task and the data depends only on the
key and the arguments.
"""

from __future__ import annotations

from typing import Optional

import jax
import numpy as np

from cimjax.data.base import Dataset

NUM_CLASSES = 10

SYNTHETIC_DEFAULT_SHAPE = (32, 32, 3)
# The task (class templates) is drawn from this fixed seed, so every run learns the same task;
# the run's key only draws labels, shifts and noise.
SYNTHETIC_TASK_SEED = 0x5EED_C1A5
SYNTHETIC_GRID = 4  # templates interpolate a random 4×4 grid per channel: low frequency
SYNTHETIC_MAX_SHIFT = 2  # pixels, each direction
_SYNTHETIC_CHUNK = 8192  # examples per noise draw (bounds the float32 working set)
_TRAIN_STREAM, _TEST_STREAM = 0, 1


def _interp_matrix(out_size: int, in_size: int) -> np.ndarray:
    """``(out_size, in_size)`` weights of linear interpolation with aligned end points."""
    pos = np.linspace(0.0, in_size - 1.0, out_size) if out_size > 1 else np.zeros(1)
    lo = np.clip(np.floor(pos).astype(int), 0, max(in_size - 2, 0))
    frac = pos - lo
    m = np.zeros((out_size, in_size))
    m[np.arange(out_size), lo] += 1.0 - frac
    m[np.arange(out_size), np.minimum(lo + 1, in_size - 1)] += frac
    return m


def synthetic_templates(image_shape: tuple[int, int, int], num_classes: int = NUM_CLASSES) -> np.ndarray:
    """The fixed class templates of the synthetic task.

    Each template is a random ``SYNTHETIC_GRID × SYNTHETIC_GRID`` grid per channel (drawn
    from the constant ``SYNTHETIC_TASK_SEED``), interpolated bilinearly to ``H × W`` and
    rescaled to span [0, 1].

    Args:
      image_shape: ``(H, W, C)``.
      num_classes: number of classes.

    Returns:
      ``(num_classes, H, W, C)`` float32 array.
    """
    h, w, c = (int(s) for s in image_shape)
    rng = np.random.default_rng(SYNTHETIC_TASK_SEED)
    grid = rng.uniform(size=(num_classes, SYNTHETIC_GRID, SYNTHETIC_GRID, c))
    t = np.einsum(
        "hg,kgfc,wf->khwc", _interp_matrix(h, SYNTHETIC_GRID), grid, _interp_matrix(w, SYNTHETIC_GRID)
    )
    lo = t.min(axis=(1, 2, 3), keepdims=True)
    hi = t.max(axis=(1, 2, 3), keepdims=True)
    return ((t - lo) / np.maximum(hi - lo, 1e-6)).astype(np.float32)


def _key_rng(key: jax.Array, stream: int) -> np.random.Generator:
    """A numpy Generator seeded from the key's bits and a stream number (no global RNG)."""
    bits = np.asarray(jax.random.key_data(key)).astype(np.uint64).ravel().tolist()
    return np.random.default_rng(bits + [stream])


def _synthetic_split(
    rng: np.random.Generator, n: int, templates: np.ndarray, noise: float
) -> tuple[np.ndarray, np.ndarray]:
    num_classes, h, w, c = templates.shape
    labels = rng.permutation(np.arange(n) % num_classes).astype(np.int32)
    s = SYNTHETIC_MAX_SHIFT
    span = 2 * s + 1
    padded = np.pad(templates, ((0, 0), (s, s), (s, s), (0, 0)), mode="edge")
    # Every class template at every shift: (K, span², H, W, C), small.
    shifted = np.stack(
        [padded[:, dy : dy + h, dx : dx + w, :] for dy in range(span) for dx in range(span)], axis=1
    )
    shift_idx = rng.integers(0, span * span, size=n)
    out = np.empty((n, h, w, c), dtype=np.uint8)
    for start in range(0, n, _SYNTHETIC_CHUNK):
        sl = slice(start, min(start + _SYNTHETIC_CHUNK, n))
        x = shifted[labels[sl], shift_idx[sl]]
        x += np.float32(noise) * rng.standard_normal(x.shape, dtype=np.float32)
        out[sl] = np.rint(np.clip(x, 0.0, 1.0) * 255.0).astype(np.uint8)
    return out, labels


def make_synthetic(
    key: jax.Array,
    image_shape: Optional[tuple[int, int, int]] = None,
    train_size: int = 2000,
    test_size: int = 500,
    noise: float = 0.25,
) -> Dataset:
    """Generates the synthetic classification task.

    Each class has a fixed low-frequency random template (:func:`synthetic_templates`, the
    same in every run). An example is its class template shifted by up to
    ``SYNTHETIC_MAX_SHIFT`` pixels in each direction (edge-padded), plus Gaussian noise of
    std ``noise``, clipped to [0, 1] and stored as uint8. Labels are balanced (counts differ
    by at most 1) and shuffled.

    The draws use numpy Generators seeded from the bits of ``key``
    (``jax.random.key_data``), one stream for train and one for test: the result depends
    only on ``key`` and the arguments, and generation takes milliseconds (``jax.random``
    would cost seconds of compilation for every new shape on CPU).

    Args:
      key: ``jax.random`` key (typed or raw).
      image_shape: ``(H, W, C)``; None gives 32×32×3.
      train_size: number of training examples (``data.synthetic_train_size``).
      test_size: number of test examples (``data.synthetic_test_size``).
      noise: pixel-noise std (``data.synthetic_noise``).

    Returns:
      The dataset (10 classes).
    """
    shape = tuple(int(s) for s in (image_shape or SYNTHETIC_DEFAULT_SHAPE))
    templates = synthetic_templates(shape)
    tr_x, tr_y = _synthetic_split(_key_rng(key, _TRAIN_STREAM), train_size, templates, noise)
    te_x, te_y = _synthetic_split(_key_rng(key, _TEST_STREAM), test_size, templates, noise)
    h, w, c = shape
    return Dataset(
        tr_x,
        tr_y,
        te_x,
        te_y,
        NUM_CLASSES,
        f"synthetic (class templates + noise {noise:g} + shifts ≤ {SYNTHETIC_MAX_SHIFT} px): "
        f"{train_size} train / {test_size} test images of {h}×{w}×{c}, {NUM_CLASSES} classes",
    )
