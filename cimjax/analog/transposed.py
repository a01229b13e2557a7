"""Transposed (backward) read of an analog array: the activation gradient (parallelBP).

NeuroSim V2.0 emulates no array effect in the backward pass (docs/model.md §3.4); its core costs
the activation-gradient phase as a transposed read of the same array. These functions
compute that read on the same cells and ADC model as the forward read
(:mod:`cimjax.analog.array`), for use in a ``custom_vjp`` (``backward='analog'``).
"""

from __future__ import annotations

import functools
from typing import Optional

import jax
import jax.numpy as jnp

from cimjax.analog.config import ArrayConfig
from cimjax.analog.core import HIGHEST, _check_dense, _core, _dense_as_conv

Array = jax.Array


def _flip_cells(a: Optional[Array]) -> Optional[Array]:
    """Per-cell array ``(..., KH, KW, Ci, O)`` → the transposed array's ``(..., KH, KW, O, Ci)``."""
    if a is None:
        return None
    return jnp.swapaxes(jnp.flip(a, axis=(-4, -3)), -1, -2)


def _signed_read(e: Array, cfg: ArrayConfig, normalize: bool, read) -> Array:
    """Reads a signed input as two unsigned bit-serial reads (e⁺ − e⁻), scaled by max|e|."""
    if normalize:
        scale = jnp.max(jnp.abs(e))
        safe = jnp.where(scale > 0, scale, jnp.ones_like(scale))
        e = e / safe
    if cfg.bit_serial:
        out = read(jnp.maximum(e, 0.0)) - read(jnp.maximum(-e, 0.0))
    else:
        out = read(e)
    return out * safe if normalize else out


@functools.partial(jax.jit, static_argnames=("cfg", "loop", "precision", "normalize"))
def analog_conv_transposed(
    e: Array,
    w: Array,
    cfg: ArrayConfig,
    *,
    variation: Optional[Array] = None,
    drift_sign: Optional[Array] = None,
    loop: str = "all",
    precision=HIGHEST,
    normalize: bool = True,
) -> Array:
    """Transposed read of a conv array: the activation gradient ``∂L/∂x`` (parallelBP).

    The error drives the array's columns and the rows are read: for a stride-1 'SAME'
    conv this is a conv of ``e`` with the spatially flipped kernel, input/output channels
    swapped, on the *same* cells (digits, retention, variation) and the same ADC model.
    Modelling choices (NeuroSim has no transposed emulation, docs/model.md §3.4): the signed error
    is normalised by ``max|e|`` (``normalize``), split into ``e⁺`` and ``e⁻`` read
    bit-serially with ``cfg.input_bits`` and subtracted; sub-arrays cut the output
    channels ``O`` into ``subarray_rows`` slices; the dummy is a reference line at the
    middle conductance read through the same ADC and subtracted.

    Args:
      e: error at the layer output, ``(N, H, W, O)``, signed.
      w: weight ``(KH, KW, Ci, O)``, odd KH and KW.
      cfg: the array configuration (its ``input_bits`` is the error precision).
      variation, drift_sign: per-cell arrays of the *forward* layout (``cell_shape(w)``).
      loop, precision: as :func:`analog_conv`.
      normalize: scale the error to ``max|e| = 1`` before the read and back after.

    Returns:
      ``≈ ∂L/∂x``, ``(N, H, W, Ci)``.
    """
    if e.ndim != 4 or w.ndim != 4 or e.shape[-1] != w.shape[3]:
        raise ValueError(f"transposed conv expects e (N,H,W,O) and w (KH,KW,Ci,O); got {e.shape}, {w.shape}")
    if w.shape[0] % 2 == 0 or w.shape[1] % 2 == 0:
        raise ValueError(f"transposed conv read needs odd kernel sizes; got {w.shape[:2]}")
    wt = jnp.swapaxes(jnp.flip(w, axis=(0, 1)), 2, 3)
    var_t, sign_t = _flip_cells(variation), _flip_cells(drift_sign)

    def read(u):
        return _core(u, wt, cfg, var_t, sign_t, loop, precision)

    return _signed_read(e, cfg, normalize, read)


@functools.partial(jax.jit, static_argnames=("cfg", "loop", "precision", "normalize"))
def analog_dense_transposed(
    e: Array,
    w: Array,
    cfg: ArrayConfig,
    *,
    variation: Optional[Array] = None,
    drift_sign: Optional[Array] = None,
    loop: str = "all",
    precision=HIGHEST,
    normalize: bool = True,
) -> Array:
    """Transposed read of a dense array: ``≈ e @ ŵᵀ`` on the same cells (parallelBP).

    See :func:`analog_conv_transposed` for the modelling choices; the sub-arrays cut the
    ``Fo`` rows of the transposed read.

    Args:
      e: error ``(..., Fo)``, signed.
      w: weight ``(Fi, Fo)``.
      cfg, variation, drift_sign, loop, precision, normalize: as
        :func:`analog_conv_transposed` (per-cell arrays in the forward layout).

    Returns:
      ``(..., Fi)``.
    """
    _check_dense(e, w.T)
    var_t = None if variation is None else jnp.swapaxes(variation, -1, -2)
    sign_t = None if drift_sign is None else jnp.swapaxes(drift_sign, -1, -2)

    def read(u):
        return _dense_as_conv(lambda a, b: _core(a, b, cfg, var_t, sign_t, loop, precision), u, w.T)

    return _signed_read(e, cfg, normalize, read)
