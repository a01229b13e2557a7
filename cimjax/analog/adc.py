"""ADC models of the per-column partial-sum read (docs/model.md §3.3), pure ``jax.numpy``.

* :func:`linear_quantize_out` is NeuroSim's ``LinearQuantizeOut``: ``2^b`` floor-type
  levels over the range ``[m, m + Δ)``, ``idx = clip(floor((x − m)/step), 0, 2^b − 1)``,
  ``y = m + idx·step``, ``step = Δ·2^−b``. The top level is ``m + Δ − step``: the maximum
  itself is always read one step low, so this ADC is never lossless, whatever ``b``.
* :func:`nonlinear_quantize_out` is ``NonLinearQuantizeOut``: non-uniform bins whose
  edges ``e_i`` and output levels ``o_i`` are fractions of the range (tables below, docs/model.md
  §3.3). A value in ``[m + e_{i−1}Δ, m + e_iΔ)`` (``e_0 = 0``) reads ``m + o_iΔ``; a value
  at or above ``m + e_last·Δ`` passes unchanged (the last edge is 1, so only the maximum
  of a dynamic range does); a value below ``m`` (possible only with a fixed range) reads
  ``m + o_1Δ``. Widths other than 3, 4 and 5 bits are the identity, as in NeuroSim.

**Range.** ``range_mode='dynamic'`` is what NeuroSim does: ``m = min(x)``,
``Δ = max(x) − m`` over the *whole tensor* of one partial sum (the full batch, every
pixel and output column; here over ``axis``). This is not physical: a real flash ADC has
fixed references set at design time, and with a dynamic range each read's resolution and
offset depend on the other images in the batch and on the other columns. It also
"auto-ranges" away most of the error of a low-resolution ADC. ``range_mode='fixed'``
takes ``value_range = (lo, hi)`` from the caller, e.g. ``(0, rows·G_max)``, the
full-scale current of a column, which is what a hardware ADC would use.

**Degenerate range** (``Δ = 0``, e.g. a partial sum that is the same everywhere): the
input is returned unchanged (NeuroSim divides 0 by 0 there and gets NaN).

**Gradient.** Both quantisers are straight-through: value ``q(x)``, derivative 1
(:func:`straight_through`), so the value is bit-exactly ``q(x)`` (no ``x + (q − x)``
round-off) and ``jax.grad`` passes the incoming gradient unchanged. The range is
treated as a constant (no gradient through min/max).
"""

from __future__ import annotations

import functools
from fractions import Fraction
from typing import Optional, Sequence, Union

import jax
import jax.numpy as jnp

Array = jax.Array
Axis = Optional[Union[int, Sequence[int]]]
ValueRange = Optional[tuple]

#: Bin edges ``e_i`` of ``NonLinearQuantizeOut`` as fractions of the range (docs/model.md §3.3).
NONLINEAR_EDGES: dict[int, tuple[str, ...]] = {
    3: (".02", ".08", ".12", ".18", ".30", ".50", ".70", "1"),
    4: (".02", ".05", ".08", ".12", ".16", ".20", ".25", ".30", ".35", ".40", ".45", ".50",
        ".60", ".70", ".85", "1"),
    5: (".005", ".01", ".015", ".02", ".025", ".03", ".04", ".05", ".06", ".08", ".10", ".12",
        ".14", ".16", ".18", ".20", ".22", ".24", ".26", ".28", ".30", ".35", ".40", ".45",
        ".50", ".55", ".60", ".65", ".70", ".80", ".90", "1"),
}
#: Output levels ``o_i`` of ``NonLinearQuantizeOut`` as fractions of the range (docs/model.md §3.3).
NONLINEAR_LEVELS: dict[int, tuple[str, ...]] = {
    3: (".01", ".05", ".10", ".15", ".24", ".40", ".60", ".85"),
    4: (".01", ".035", ".065", ".10", ".14", ".18", ".225", ".275", ".325", ".375", ".425",
        ".475", ".55", ".65", ".775", ".925"),
    5: (".001", ".003", ".007", ".010", ".015", ".020", ".030", ".040", ".055", ".07", ".09",
        ".11", ".13", ".15", ".17", ".19", ".21", ".23", ".25", ".27", ".29", ".32", ".37",
        ".42", ".47", ".52", ".57", ".62", ".67", ".75", ".85", ".95"),
}
#: Every edge is a multiple of 1/200: bins are decided by comparing ``200·(x − m)`` with
#: ``E_i·Δ`` (``E_i = 200·e_i``, an integer), which is exact for the integer partial sums of
#: ideal cells (no ``0.07·Δ`` rounding near a tie).
EDGE_DENOMINATOR = 200


def _edge_numerators(bits: int) -> tuple[int, ...]:
    nums = []
    for e in NONLINEAR_EDGES[bits]:
        f = Fraction(e) * EDGE_DENOMINATOR
        if f.denominator != 1:  # pragma: no cover - guards the tables
            raise AssertionError(f"edge {e} is not a multiple of 1/{EDGE_DENOMINATOR}")
        nums.append(int(f))
    return tuple(nums)


_EDGE_NUM = {b: _edge_numerators(b) for b in NONLINEAR_EDGES}


@jax.custom_jvp
def straight_through(x: Array, q: Array) -> Array:
    """Returns ``q`` with the derivative of the identity in ``x`` (and none in ``q``).

    Args:
      x: the quantiser input, any shape.
      q: the quantised value, same shape (computed from ``x`` by the caller).

    Returns:
      ``q`` exactly; ``∂out/∂x = 1``.
    """
    return q


@straight_through.defjvp
def _straight_through_jvp(primals, tangents):
    x, q = primals
    x_dot, _ = tangents
    return q, x_dot


def _check_bits(bits) -> int:
    if isinstance(bits, bool) or not isinstance(bits, int) or not 1 <= bits <= 16:
        raise ValueError(f"ADC bits must be an int in [1, 16]; got {bits!r}")
    return bits


def _range(x: Array, axis: Axis, range_mode: str, value_range: ValueRange) -> tuple[Array, Array]:
    """``(m, Δ)`` broadcastable against ``x``."""
    if range_mode == "dynamic":
        if value_range is not None:
            raise ValueError("value_range is only used with range_mode='fixed'")
        m = jnp.min(x, axis=axis, keepdims=True)
        return m, jnp.max(x, axis=axis, keepdims=True) - m
    if range_mode == "fixed":
        if value_range is None or len(value_range) != 2:
            raise ValueError("range_mode='fixed' needs value_range=(lo, hi)")
        lo = jnp.asarray(value_range[0], x.dtype)
        hi = jnp.asarray(value_range[1], x.dtype)
        return lo, hi - lo
    raise ValueError(f"range_mode must be 'dynamic' or 'fixed'; got {range_mode!r}")


def _as_float(x) -> Array:
    x = jnp.asarray(x)
    if not jnp.issubdtype(x.dtype, jnp.floating):
        x = x.astype(jnp.result_type(float))
    return x


def linear_value(x: Array, bits: int, *, axis: Axis = None, range_mode: str = "dynamic",
                 value_range: ValueRange = None) -> Array:
    """Forward value of :func:`linear_quantize_out` (no gradient handling)."""
    bits = _check_bits(bits)
    x = _as_float(x)
    m, delta = _range(x, axis, range_mode, value_range)
    ok = delta > 0
    safe = jnp.where(ok, delta, jnp.ones_like(delta))
    # floor((x − m)/step) = floor(d/Δ) with d = (x − m)·2^b (exact scaling). XLA rewrites a
    # division by a broadcast value into a multiplication by its reciprocal (seen on CPU),
    # which puts exact ties (frequent: partial sums are integers) one level low; the
    # quotient is therefore corrected by one step with exact-product comparisons.
    d = (x - m) * (2.0**bits)
    idx = jnp.floor(d / safe)
    idx = idx + ((idx + 1.0) * safe <= d).astype(x.dtype) - (idx * safe > d).astype(x.dtype)
    idx = jnp.clip(idx, 0.0, 2.0**bits - 1.0)
    return jnp.where(ok, m + idx * (safe * 2.0**-bits), x)


def nonlinear_value(x: Array, bits: int, *, axis: Axis = None, range_mode: str = "dynamic",
                    value_range: ValueRange = None) -> Array:
    """Forward value of :func:`nonlinear_quantize_out` (no gradient handling)."""
    bits = _check_bits(bits)
    x = _as_float(x)
    if bits not in NONLINEAR_EDGES:
        _range(x, axis, range_mode, value_range)  # still validate the arguments
        return x
    m, delta = _range(x, axis, range_mode, value_range)
    d = (x - m) * float(EDGE_DENOMINATOR)
    # Bin index = number of edges passed; a static loop of ≤ 32 compares, fused by XLA
    # (a (…, n_edges) comparison tensor would cost 32× the partial sum's memory).
    idx = jnp.zeros(x.shape, jnp.int32)
    for num in _EDGE_NUM[bits]:
        idx = idx + (d >= float(num) * delta).astype(jnp.int32)
    n = len(_EDGE_NUM[bits])
    levels = jnp.asarray([float(Fraction(o)) for o in NONLINEAR_LEVELS[bits]], x.dtype)
    y = m + jnp.take(levels, jnp.minimum(idx, n - 1)) * delta
    return jnp.where((idx < n) & (delta > 0), y, x)


@functools.partial(jax.jit, static_argnames=("bits", "axis", "range_mode"))
def linear_quantize_out(x: Array, bits: int, *, axis: Axis = None, range_mode: str = "dynamic",
                        value_range: ValueRange = None) -> Array:
    """NeuroSim's ``LinearQuantizeOut``: ``2^bits`` floor-type levels (docs/model.md §3.3).

    Args:
      x: partial sums, any shape, floating.
      bits: ADC resolution, int in [1, 16].
      axis: axes the dynamic range is taken over, an int or a tuple (static; None: the
        whole tensor, NeuroSim).
      range_mode: ``'dynamic'`` (``[min x, max x]``, NeuroSim) or ``'fixed'``.
      value_range: ``(lo, hi)`` for ``'fixed'`` (scalars or arrays broadcastable to x).

    Returns:
      ``m + clip(floor((x − m)/step), 0, 2^b − 1)·step`` with ``step = Δ·2^−b``; ``x``
      where ``Δ = 0``. Same shape and dtype as ``x``. Gradient: straight-through (1).
    """
    q = linear_value(jax.lax.stop_gradient(x), bits, axis=axis, range_mode=range_mode,
                     value_range=value_range)
    return straight_through(_as_float(x), q)


@functools.partial(jax.jit, static_argnames=("bits", "axis", "range_mode"))
def nonlinear_quantize_out(x: Array, bits: int, *, axis: Axis = None, range_mode: str = "dynamic",
                           value_range: ValueRange = None) -> Array:
    """NeuroSim's ``NonLinearQuantizeOut``: tabled bins (docs/model.md §3.3).

    Args:
      x: partial sums, any shape, floating.
      bits: 3, 4 or 5 use the tables :data:`NONLINEAR_EDGES` / :data:`NONLINEAR_LEVELS`;
        any other width in [1, 16] returns ``x`` unchanged (NeuroSim's behaviour).
      axis: axes the dynamic range is taken over (None: the whole tensor, NeuroSim).
      range_mode: ``'dynamic'`` (NeuroSim) or ``'fixed'``.
      value_range: ``(lo, hi)`` for ``'fixed'``.

    Returns:
      ``m + o_i·Δ`` for ``x`` in bin i; ``x`` itself at or above the last edge and where
      ``Δ = 0``. Same shape and dtype as ``x``. Gradient: straight-through (1).
    """
    q = nonlinear_value(jax.lax.stop_gradient(x), bits, axis=axis, range_mode=range_mode,
                        value_range=value_range)
    return straight_through(_as_float(x), q)


def adc_read(x: Array, mode: str, bits: int, *, axis: Axis = None, range_mode: str = "dynamic",
             value_range: ValueRange = None) -> Array:
    """Dispatches to the ADC model named by ``mode``.

    Args:
      x: partial sums.
      mode: ``'linear'``, ``'nonlinear'`` or ``'none'`` (identity).
      bits, axis, range_mode, value_range: as :func:`linear_quantize_out`.

    Returns:
      The ADC output, same shape as ``x``; straight-through gradient.
    """
    if mode == "none":
        return _as_float(x)
    if mode == "linear":
        return linear_quantize_out(x, bits, axis=axis, range_mode=range_mode, value_range=value_range)
    if mode == "nonlinear":
        return nonlinear_quantize_out(x, bits, axis=axis, range_mode=range_mode, value_range=value_range)
    raise ValueError(f"ADC mode must be 'linear', 'nonlinear' or 'none'; got {mode!r}")
