"""WAGE quantisation primitives: ``S``, ``shift``, ``C``, ``Q``, ``SR`` (docs/model.md §1.1).

Pure ``jax.numpy``, element-wise unless stated; shared by the Flax layers
(:mod:`cimjax.nn`) and the device-aware optimiser (:mod:`cimjax.optim`).

Bit widths are static Python values: an int in [1, 16], or a *float marker* meaning "no
quantisation": ``None`` or 32 (cimjax's config convention) or −1 (NeuroSim's). They are
checked at call (trace) time, never inside jit. Rounding is round-half-to-even
(``jnp.round``, as torch).

Short aliases follow docs/model.md's names: :data:`s` = :func:`scale_s`, :data:`c` =
:func:`clip_c`, :data:`q` = :func:`quantize_q`, :data:`sr` = :func:`stochastic_round`.
"""

from __future__ import annotations

from typing import Optional, Union

import jax
import jax.numpy as jnp

Array = jax.Array
ArrayLike = Union[jax.Array, float]
Bits = Optional[int]

#: Bit widths meaning "float, no quantisation".
FLOAT_BITS_MARKERS = (None, 32, -1)


def is_float_bits(bits: Bits) -> bool:
    """True when ``bits`` is a float marker: ``None``, 32 or −1 (no quantisation)."""
    return bits is None or (isinstance(bits, int) and not isinstance(bits, bool) and bits in (32, -1))


def _check_bits(bits: Bits) -> Bits:
    if is_float_bits(bits):
        return None
    if isinstance(bits, bool) or not isinstance(bits, int) or not 1 <= bits <= 16:
        raise ValueError(
            f"bit width {bits!r} is invalid: expected an int in [1, 16], or 32 / None / -1 for float"
        )
    return bits


def scale_s(bits: int) -> float:
    """``S(b) = 2^(b−1)``, the number of quantisation steps per unit (docs/model.md §1.1).

    Args:
      bits: an int bit width in [1, 16] (b = 5 → 16, b = 8 → 128).

    Returns:
      ``S(b)`` as a Python float.

    Raises:
      ValueError: for a float marker (``S`` is undefined without quantisation) or an
        invalid width.
    """
    b = _check_bits(bits)
    if b is None:
        raise ValueError(f"S(b) is undefined for the float bit width {bits!r}")
    return float(2.0 ** (b - 1))


def shift(x: ArrayLike) -> Array:
    """Nearest power of two in the log domain: ``2^round(log2 x)`` (docs/model.md §1.1).

    Used on ``max|x|`` to normalise a tensor to a maximum in [0.71, 1.41]. docs/model.md
    leaves ``x ≤ 0`` undefined (NeuroSim asserts the maximum is non-zero); here ``x ≤ 0``
    returns 1 (so an all-zero tensor divided by ``shift`` stays zero, with no NaN), and
    ``x = inf`` returns ``inf``.

    Args:
      x: positive value(s), any shape.

    Returns:
      Powers of two with the shape and (floating) dtype of ``x``.
    """
    x = jnp.asarray(x)
    if not jnp.issubdtype(x.dtype, jnp.floating):
        x = x.astype(jnp.result_type(float))
    pos = x > 0
    safe = jnp.where(pos, x, 1.0)
    return jnp.where(pos, jnp.exp2(jnp.round(jnp.log2(safe))), jnp.ones_like(x))


def clip_c(x: ArrayLike, bits: Bits) -> Array:
    """``C(x, b)``: clip to ``[−1 + δ, 1 − δ]`` (docs/model.md §1.1).

    ``δ = 1/S(b)`` for 2 ≤ b ≤ 15 (±15/16 for 5 bits), ``δ = 0`` for b = 1 and b = 16.

    Args:
      x: values, any shape.
      bits: int in [1, 16]; a float marker (None/32/−1) returns ``x`` unchanged.

    Returns:
      Clipped values, same shape and dtype.
    """
    b = _check_bits(bits)
    x = jnp.asarray(x)
    if b is None:
        return x
    delta = 1.0 / scale_s(b) if 2 <= b <= 15 else 0.0
    return jnp.clip(x, -1.0 + delta, 1.0 - delta)


def quantize_q(x: ArrayLike, bits: Bits) -> Array:
    """``Q(x, b)``: uniform quantiser (docs/model.md §1.1).

    b = 1: ``sign(x)``; b = 16: identity; otherwise ``round(x·S(b))/S(b)`` with
    round-half-to-even. No clipping (compose with :func:`clip_c`).

    Args:
      x: values, any shape.
      bits: int in [1, 16]; a float marker (None/32/−1) returns ``x`` unchanged.

    Returns:
      Quantised values, same shape and dtype.
    """
    b = _check_bits(bits)
    x = jnp.asarray(x)
    if b is None or b > 15:
        return x
    if b == 1:
        return jnp.sign(x)
    s_b = scale_s(b)
    return jnp.round(x * s_b) / s_b


def quantize_e(x: ArrayLike, bits: Bits) -> Array:
    """``QE(x, b)``: error quantiser ``Q(C(x/shift(max|x|), b), b)`` (docs/model.md §1.1).

    The maximum is taken over the whole tensor. A float marker returns ``x`` unchanged.

    Args:
      x: error tensor, any shape.
      bits: int in [1, 16] or a float marker.

    Returns:
      Quantised, normalised errors, same shape and dtype.
    """
    if _check_bits(bits) is None:
        return jnp.asarray(x)
    x = jnp.asarray(x)
    x = x / shift(jnp.max(jnp.abs(x)))
    return quantize_q(clip_c(x, bits), bits)


def stochastic_round(key: jax.Array, x: ArrayLike) -> Array:
    """``SR(x) = floor(x + u)``, ``u ~ U[0, 1)`` fresh per element (docs/model.md §1.1).

    Unbiased: ``E[SR(x)] = x``; the result is ``floor(x)`` or ``floor(x) + 1``.

    Args:
      key: ``jax.random`` key (split it per call; never reuse).
      x: values, any shape, floating.

    Returns:
      Integer-valued floats, same shape and dtype as ``x``.
    """
    x = jnp.asarray(x)
    if not jnp.issubdtype(x.dtype, jnp.floating):
        x = x.astype(jnp.result_type(float))
    u = jax.random.uniform(key, x.shape, x.dtype)
    return jnp.floor(x + u)


s = scale_s
c = clip_c
q = quantize_q
sr = stochastic_round
