"""Per-layer statistics of the layer inputs that training hands to the hardware estimator.

The **input-bit activity** of each CIM layer, the fraction of ones in the layer's bit-serial
input as NeuroSim's trace hook writes it (spec §4.3), which the estimator uses for the read
energy of the arrays and the weight-gradient unit; and the **read occupancy**, the fraction
of the sub-array reads of that same input with at least one active row
(:func:`cimjax.hw.trace.read_occupancy`), which sets the ADC energy of empty reads.

NeuroSim's bit decomposition of an activation ``x`` with ``n`` bits (``wl_input``, 8):
``x_int = x·2^(n−1)``; a sign bit (1 if ``x < 0``) of weight ``−2^(n−1)``; then ``n − 1``
magnitude bits of weights ``2^(n−2) … 1`` taken greedily from ``x_int + sign·2^(n−1)``
(so a non-integer ``x_int``, e.g. the float first-layer input, is truncated, and values
at or above ``2^(n−1)`` set every magnitude bit). For a convolution the input matrix holds
every *valid* (unpadded) window, ``(C_in·K·K)`` rows by ``windows·n`` columns, so a pixel
counts once per window that covers it; for a fully connected layer it is ``features × n``.
Computed here without unfolding: each pixel's ones are weighted by its window coverage.

A **read** is one column of that matrix (one bit plane of one window, or of the FC input)
restricted to one block of ``rows_per_read`` consecutive rows (NeuroSim's ``numRowSubArray``;
rows in NeuroSim's order, input channel outermost, then kernel row, kernel column, as
:func:`cimjax.train._weight_matrix` lays out the weights; the last block may be partial). For
a convolution the number of active rows of every (window, block) is computed without
unfolding either, as a valid stride-1 convolution of the bit plane with one 0/1 kernel per
block (1 on the block's rows): exactly the count the unfolded ``(rows, reads)`` matrix gives
(a float32 sum of at most ``rows_per_read`` ones).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np


def bit_planes(x: jax.Array, bits: int = 8) -> jax.Array:
    """NeuroSim's ``bits``-bit decomposition of each element of ``x`` (module docstring).

    Args:
      x: activations in weight units (any shape; nominally [−1, 1)).
      bits: ``n`` (static), the input precision, ≥ 1.

    Returns:
      0/1 float array of shape ``x.shape + (n,)``: the sign bit first, then the magnitude
      bits from ``2^(n−2)`` down to 1.
    """
    half = 2.0 ** (bits - 1)
    sign = (x < 0).astype(jnp.float32)
    rest = jnp.clip(jnp.floor(x * half + sign * half), 0.0, half - 1.0).astype(jnp.int32)
    mags = [((rest >> b) & 1).astype(jnp.float32) for b in range(bits - 2, -1, -1)]
    return jnp.stack([sign, *mags], axis=-1)


def bit_ones(x: jax.Array, bits: int = 8) -> jax.Array:
    """Number of ones in NeuroSim's ``bits``-bit decomposition of each element of ``x``.

    Args:
      x: activations in weight units (any shape; nominally [−1, 1)).
      bits: ``n`` (static), the input precision.

    Returns:
      Float array of ``x``'s shape, values in [0, n].
    """
    return jnp.sum(bit_planes(x, bits), axis=-1)


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


def read_occupancy(x: jax.Array, bits: int = 8, kernel: int | None = None, rows_per_read: int = 128) -> jax.Array:
    """Fraction of one image's sub-array reads at one layer with an active row (module docstring).

    The reads are those of the input matrix :func:`input_activity` counts: for a convolution
    every valid stride-1 window, ``C_in·K·K`` rows; for a fully connected layer the ``F``
    features in their order; one read per bit plane per window per block of ``rows_per_read``
    rows. Equal to :func:`cimjax.hw.trace.read_occupancy` of the unfolded bits.

    Args:
      x: one example's layer input, ``(H, W, C)`` for a convolution or ``(F,)`` for a fully
        connected layer.
      bits: input precision ``n`` (static; NeuroSim ``wl_activate`` = 8).
      kernel: ``K`` of the convolution (static), None for a fully connected layer.
      rows_per_read: rows per sub-array read (static; the sub-array rows), ≥ 1.

    Returns:
      Scalar in [0, 1]; ≥ ``input_activity`` when every block is full or there is one block.
    """
    from cimjax.hw import trace as hw_trace

    if rows_per_read < 1:
        raise ValueError(f"read_occupancy: rows_per_read = {rows_per_read}, expected ≥ 1")
    planes = bit_planes(x, bits)  # x.shape + (n,)
    if kernel is None:
        return hw_trace.read_occupancy(planes.reshape(-1, bits), rows_per_read)
    h, w, c = x.shape
    if h < kernel or w < kernel:
        raise ValueError(f"input {h}x{w} is smaller than the {kernel}x{kernel} kernel")
    rows = c * kernel * kernel
    nb = -(-rows // rows_per_read)
    # One 0/1 kernel per block: row r = (c·K + kh)·K + kw belongs to block r // rows_per_read.
    block = np.arange(rows).reshape(c, kernel, kernel) // rows_per_read
    masks = (block[..., None] == np.arange(nb)).astype(np.float32)  # (C, K, K, nb)
    masks = jnp.asarray(np.transpose(masks, (1, 2, 0, 3)))  # HWIO
    lhs = jnp.moveaxis(planes, -1, 0)  # (n, H, W, C): bit planes as the batch
    counts = jax.lax.conv_general_dilated(
        lhs, masks, (1, 1), "VALID", dimension_numbers=("NHWC", "HWIO", "NHWC"),
        precision=jax.lax.Precision.HIGHEST,
    )  # (n, H−K+1, W−K+1, nb): active rows of every read
    return jnp.mean((counts > 0.5).astype(jnp.result_type(float)))
