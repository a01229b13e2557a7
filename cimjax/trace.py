"""Per-layer statistics that training hands to the hardware estimator.

So far: the **input-bit activity** of each CIM layer, the fraction of ones in the layer's
bit-serial input as NeuroSim's trace hook writes it (spec §4.3), which the estimator uses
for the read energy of the arrays and the weight-gradient unit.

NeuroSim's bit decomposition of an activation ``x`` with ``n`` bits (``wl_input``, 8):
``x_int = x·2^(n−1)``; a sign bit (1 if ``x < 0``) of weight ``−2^(n−1)``; then ``n − 1``
magnitude bits of weights ``2^(n−2) … 1`` taken greedily from ``x_int + sign·2^(n−1)``
(so a non-integer ``x_int``, e.g. the float first-layer input, is truncated, and values
at or above ``2^(n−1)`` set every magnitude bit). For a convolution the input matrix holds
every *valid* (unpadded) window, ``(C_in·K·K)`` rows by ``windows·n`` columns, so a pixel
counts once per window that covers it; for a fully connected layer it is ``features × n``.
Computed here without unfolding: each pixel's ones are weighted by its window coverage.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp


def bit_ones(x: jax.Array, bits: int = 8) -> jax.Array:
    """Number of ones in NeuroSim's ``bits``-bit decomposition of each element of ``x``.

    Args:
      x: activations in weight units (any shape; nominally [−1, 1)).
      bits: ``n`` (static), the input precision.

    Returns:
      Float array of ``x``'s shape, values in [0, n].
    """
    half = 2.0 ** (bits - 1)
    x_int = x * half
    sign = (x < 0).astype(jnp.float32)
    rest = jnp.clip(jnp.floor(x_int + sign * half), 0.0, half - 1.0).astype(jnp.int32)
    ones = jnp.zeros(x.shape, jnp.int32)
    for b in range(bits - 1):
        ones = ones + ((rest >> b) & 1)
    return ones.astype(jnp.float32) + sign


def _coverage(size: int, kernel: int) -> jax.Array:
    """How many valid windows (stride 1) cover each position along one axis."""
    i = jnp.arange(size)
    return (jnp.minimum(i, size - kernel) - jnp.maximum(0, i - kernel + 1) + 1).astype(jnp.float32)


def input_activity(x: jax.Array, bits: int = 8, kernel: int | None = None) -> jax.Array:
    """NeuroSim's input activity of one image at one layer: fraction of ones in its trace.

    Args:
      x: one example's layer input, ``(H, W, C)`` for a convolution or ``(F,)`` for a fully
        connected layer.
      bits: input precision ``n`` (static; NeuroSim ``wl_activate`` = 8).
      kernel: ``K`` of the convolution (static), None for a fully connected layer.

    Returns:
      Scalar in [0, 1].
    """
    ones = bit_ones(x, bits)
    if kernel is None:
        return jnp.mean(ones) / bits
    h, w, _ = x.shape
    if h < kernel or w < kernel:
        raise ValueError(f"input {h}x{w} is smaller than the {kernel}x{kernel} kernel")
    weight = _coverage(h, kernel)[:, None, None] * _coverage(w, kernel)[None, :, None]
    weight = jnp.broadcast_to(weight, x.shape)
    return jnp.sum(ones * weight) / (jnp.sum(weight) * bits)
