"""Batching, deterministic shuffling and NeuroSim's CIFAR-10 train augmentation.

Batches are dicts ``{'image': float32 (B, H, W, C) in [0, 1], 'label': int32 (B,)}`` of
host (numpy) arrays. Shuffling uses ``jax.random.permutation`` on an explicit key, so an
epoch's order is a pure function of its key.
"""

from __future__ import annotations

from typing import Iterator, Optional

import jax
import jax.numpy as jnp
import numpy as np

AUGMENT_PAD = 4  # NeuroSim (torchvision RandomCrop(32, padding=4)): pixels of zero padding per side


def num_batches(n: int, batch_size: int, drop_remainder: bool = True) -> int:
    """Number of batches :func:`iterate_batches` yields for ``n`` examples.

    Args:
      n: number of examples.
      batch_size: examples per batch.
      drop_remainder: drop the last, smaller batch.

    Returns:
      ``n // batch_size`` if ``drop_remainder`` else ``ceil(n / batch_size)``.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size = {batch_size} is invalid: expected a positive integer")
    return n // batch_size if drop_remainder else -(-n // batch_size)


def _to_float(images: np.ndarray) -> np.ndarray:
    if images.dtype == np.uint8:
        return images.astype(np.float32) * np.float32(1.0 / 255.0)
    return images.astype(np.float32, copy=False)


def iterate_batches(
    images: np.ndarray,
    labels: np.ndarray,
    batch_size: int,
    *,
    key: Optional[jax.Array] = None,
    drop_remainder: bool = True,
) -> Iterator[dict[str, np.ndarray]]:
    """Yields batches of one epoch.

    Args:
      images: ``(N, H, W, C)`` images, uint8 (scaled by 1/255) or float (assumed in [0, 1]).
      labels: ``(N,)`` integer labels.
      batch_size: examples per batch (``data.batch_size`` / ``data.eval_batch_size``).
      key: ``jax.random`` key: the epoch is shuffled with ``jax.random.permutation(key, N)``
        (same key → same order). None keeps the stored order (evaluation).
      drop_remainder: drop the last batch if it has fewer than ``batch_size`` examples
        (training); keep it for evaluation so every example is seen.

    Yields:
      ``{'image': float32 (B, H, W, C) in [0, 1], 'label': int32 (B,)}`` numpy arrays.

    Raises:
      ValueError: mismatched lengths, or ``drop_remainder`` with fewer examples than one
        batch (the epoch would be empty).
    """
    n = len(images)
    if len(labels) != n:
        raise ValueError(f"iterate_batches: {n} images but {len(labels)} labels")
    count = num_batches(n, batch_size, drop_remainder)
    if count == 0 and n > 0:
        raise ValueError(
            f"data.batch_size = {batch_size} is larger than the {n} examples and drop_remainder=True: "
            "the epoch would have no batch; lower the batch size"
        )
    order = None if key is None else np.asarray(jax.random.permutation(key, n))
    labels = np.asarray(labels)
    for b in range(count):
        sl = slice(b * batch_size, min((b + 1) * batch_size, n))
        idx = sl if order is None else order[sl]
        yield {
            "image": _to_float(np.asarray(images[idx])),
            "label": np.asarray(labels[idx], dtype=np.int32),
        }


def augment_batch(key: jax.Array, images: jax.Array, *, pad: int = AUGMENT_PAD) -> jax.Array:
    """NeuroSim's CIFAR-10 train augmentation on a batch (docs/model.md §1.6).

    Each image is zero-padded by ``pad`` pixels per side, cropped back to ``H × W`` at an
    independent uniformly random offset in ``[0, 2·pad]²``, and flipped left–right with
    probability 0.5. Pure ``jax.numpy`` (vmap of ``lax.dynamic_slice``), jittable, for any
    ``H``, ``W``, ``C``.

    Args:
      key: ``jax.random`` key.
      images: float ``(B, H, W, C)`` batch.
      pad: padding per side (NeuroSim: 4).

    Returns:
      The augmented batch, same shape and dtype.
    """
    if images.ndim != 4:
        raise ValueError(f"augment_batch: expected (B, H, W, C) images, got shape {images.shape}")
    b, h, w, c = images.shape
    k_off, k_flip = jax.random.split(key)
    offsets = jax.random.randint(k_off, (b, 2), 0, 2 * pad + 1)
    flips = jax.random.bernoulli(k_flip, 0.5, (b,))
    padded = jnp.pad(images, ((0, 0), (pad, pad), (pad, pad), (0, 0)))

    def crop(img, off):
        return jax.lax.dynamic_slice(img, (off[0], off[1], 0), (h, w, c))

    cropped = jax.vmap(crop)(padded, offsets)
    return jnp.where(flips[:, None, None, None], cropped[:, :, ::-1, :], cropped)
