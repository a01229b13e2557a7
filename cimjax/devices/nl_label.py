"""Nonlinearity label → normalised curve parameter ``A_n`` (docs/model.md §2.2), from a closed form.

NeuroSim labels a device's conductance-versus-pulse curve with a *nonlinearity label* NL
(e.g. 1.75) and converts it to the normalised curve constant ``A_n`` with a 900-entry
lookup table. cimjax does not copy that table: it solves the closed form derived in
``docs/model.md`` §2.2 instead.

The normalised curve is ``g(x) = (1 − e^(−x/A_n)) / (1 − e^(−1/A_n))`` on ``x ∈ [0, 1]``.
Its largest vertical deviation above the diagonal is

    D(A_n) = max_x [g(x) − x] = B_n − A_n − A_n·ln(B_n/A_n),   B_n = 1/(1 − e^(−1/A_n)),

reached at ``x* = A_n·ln(B_n/A_n)``. The label is *defined* by ``D(A_n) = 0.07·√2·|NL|``
(equivalently, the largest perpendicular distance to the diagonal is ``0.07·|NL|``), and
the sign of NL is carried over to ``A_n``. ``D`` increases monotonically from 0 (linear,
``A_n → ∞``) to 1 (a step, ``A_n → 0``), so each ``|NL| < 1/(0.07·√2) ≈ 10.10`` has exactly
one solution.

Numerics. With ``k = 1/A_n`` and ``r = k/(1 − e^(−k))``, ``D = (r − 1 − ln r)/k``. For
``k < 1`` this cancels badly, so ``D`` is evaluated from its Taylor series (odd in ``k``:
``k/8 − k³/576 + k⁵/25920 − …``, eight terms, truncation error < 1e-13 relative); for
``k ≥ 1`` from the closed form with ``expm1``. The equation is solved by bisection on
``ln k`` with a fixed iteration count, so the solver is jittable and vectorised
(it is meant to run once per device population; no gradient is defined through it).
"""

from __future__ import annotations

import functools
import math
from typing import Union

import numpy as np

import jax
import jax.numpy as jnp

Array = jax.Array
ArrayLike = Union[jax.Array, float]

#: ``D(A_n) = LABEL_TO_DEVIATION · |NL|`` (docs/model.md §2.2): 0.07·√2.
LABEL_TO_DEVIATION = 0.07 * math.sqrt(2.0)

#: NeuroSim's label grid: |NL| = 0.01, 0.02, …, 9.00 (900 entries).
NL_GRID_STEP = 0.01
NL_GRID_SIZE = 900
NL_MAX = NL_GRID_STEP * NL_GRID_SIZE

#: Labels with ``|NL|`` below this are treated as exactly linear (``A_n = ±inf``) by the
#: continuous solver: their curve deviates from the diagonal by less than 1e-13.
NL_LINEAR_BELOW = 1e-12

#: Default bisection steps on ``ln k``: the bracket is 10.6 wide, so 56 halvings reach
#: float64 resolution (1.5e-16 relative); float32 converges long before.
DEFAULT_ITERATIONS = 56

# Taylor coefficients of D(k) = Σ c_j k^(2j+1), j = 0…7 (derived with a computer-algebra
# series of (r − 1 − ln r)/k; they involve Bernoulli numbers).
_SERIES = (
    1.0 / 8.0,
    -1.0 / 576.0,
    1.0 / 25920.0,
    -1.0 / 1075200.0,
    1.0 / 43545600.0,
    -691.0 / 1207084032000.0,
    1.0 / 69742632960.0,
    -3617.0 / 10042939146240000.0,
)


@jax.jit
def max_deviation(k: ArrayLike) -> Array:
    """Largest vertical deviation ``D`` of the normalised curve above the diagonal.

    Source: docs/model.md §2.2 (closed form derived there), written in ``k = 1/A_n``.

    Args:
      k: ``1/A_n`` (dimensionless, > 0); any shape. Valid for ``0 < k ≲ 1e30``; ``k = 0``
        returns 0 (the linear curve).

    Returns:
      ``D(k) ∈ [0, 1)`` (normalised conductance units), same shape and dtype as ``k``.
    """
    k = jnp.asarray(k)
    k2 = k * k
    series = jnp.zeros_like(k) + _SERIES[-1]
    for c in reversed(_SERIES[:-1]):
        series = series * k2 + c
    series = series * k
    k_big = jnp.maximum(k, 1.0)  # keeps the unused branch finite
    denom = -jnp.expm1(-k_big)  # 1 − e^(−k) ∈ [0.63, 1]
    s = (k_big + jnp.expm1(-k_big)) / denom  # r − 1, without forming r
    direct = (s - jnp.log1p(s)) / k_big
    return jnp.where(k < 1.0, series, direct)


def _solve_k(d_target: Array, n_iter: int) -> Array:
    """Bisection on ``ln k`` for ``max_deviation(k) = d_target`` (``0 < d_target < 1``)."""
    # D(k) ≤ k/8 everywhere, so the root is at k ≥ 8·D; D(8·D·e^10.5) exceeds any
    # D below 1 − 1e-4, i.e. any |NL| ≤ 10.1.
    base = jnp.log(8.0 * d_target)
    lo = base - 0.1
    hi = base + 10.5

    def body(_, bounds):
        lo, hi = bounds
        mid = 0.5 * (lo + hi)
        below = max_deviation(jnp.exp(mid)) < d_target
        return jnp.where(below, mid, lo), jnp.where(below, hi, mid)

    lo, hi = jax.lax.fori_loop(0, n_iter, body, (lo, hi))
    return jnp.exp(0.5 * (lo + hi))


@functools.partial(jax.jit, static_argnames=("n_iter",))
def nl_to_a_norm_continuous(nl: ArrayLike, *, n_iter: int = DEFAULT_ITERATIONS) -> Array:
    """Normalised ``A_n`` for any real label, solving ``D(A_n) = 0.07·√2·|NL|`` exactly.

    Source: docs/model.md §2.2 (closed form; NeuroSim's table is this function on the 0.01 grid,
    rounded to 6 decimals).

    Args:
      nl: nonlinearity label(s), dimensionless, any shape. Valid for ``|NL| ≤ 10``
        (NeuroSim's axis stops at 9); beyond ~10.1 there is no solution and the result
        saturates at a very small ``A_n``.
      n_iter: bisection steps (static).

    Returns:
      ``A_n`` with the sign of NL, same shape as ``nl`` (floating dtype). ``|NL| <
      NL_LINEAR_BELOW`` (NL = 0 included) gives ``+inf``: a linear device; the curve
      functions in :mod:`cimjax.devices.nonlinear` treat ``A = ±inf`` exactly.
    """
    nl = jnp.asarray(nl)
    if not jnp.issubdtype(nl.dtype, jnp.floating):
        nl = nl.astype(jnp.result_type(float))
    mag = jnp.abs(nl)
    linear = mag < NL_LINEAR_BELOW
    d_target = LABEL_TO_DEVIATION * jnp.where(linear, 1.0, mag)
    k = _solve_k(d_target, n_iter)
    a = jnp.where(nl < 0, -1.0, 1.0) / k
    return jnp.where(linear, jnp.inf, a).astype(nl.dtype)


def nl_grid_table(dtype=None, *, n_iter: int = DEFAULT_ITERATIONS) -> Array:
    """``A_n`` for |NL| = 0.01 … 9.00 (900 entries), regenerated from the closed form.

    Source: docs/model.md §2.2. Each entry is rounded to 6 decimals, as NeuroSim's table is; in
    float64 the result reproduces that table (docs/model.md §2.2: all 900 entries match).

    The table is computed once per dtype (at compile-time evaluation, also when called
    inside ``jit``) and cached as a host constant.

    Args:
      dtype: floating dtype of the result (default: JAX's default float).
      n_iter: bisection steps (static).

    Returns:
      Array of shape (900,), positive, decreasing (126.268958 … 0.022810).
    """
    dtype = jnp.result_type(float) if dtype is None else jnp.dtype(dtype)
    return jnp.asarray(_grid_table_host(jnp.dtype(dtype).name, n_iter))


@functools.lru_cache(maxsize=None)
def _grid_table_host(dtype_name: str, n_iter: int) -> np.ndarray:
    with jax.ensure_compile_time_eval():
        labels = (jnp.arange(NL_GRID_SIZE, dtype=dtype_name) + 1.0) * NL_GRID_STEP
        a = nl_to_a_norm_continuous(labels, n_iter=n_iter)
        table = np.asarray(jnp.round(a * 1e6) / 1e6)
    table.setflags(write=False)
    return table


@jax.jit
def floor_label_to_grid(nl: ArrayLike) -> Array:
    """NeuroSim's label flooring: ``|NL|`` down to the 0.01 grid, clamped to [0.01, 9.00].

    Source: docs/model.md §2.2 (``index = int(|NL|·100) − 1`` clamped to [0, 899]). A tolerance of
    1e-4 grid steps lets a decimal label that float arithmetic puts just below its grid
    point (0.29·100 = 28.999…) floor to itself; NeuroSim's float64 truncation maps 0.29,
    0.57, 1.13 … to the entry below. No preset label is affected.

    Args:
      nl: labels, any shape.

    Returns:
      ``(index, signed_grid_label)``: int32 index into :func:`nl_grid_table` and the
      floored label with the sign of ``nl`` (0 stays 0).
    """
    nl = jnp.asarray(nl)
    if not jnp.issubdtype(nl.dtype, jnp.floating):
        nl = nl.astype(jnp.result_type(float))
    idx = jnp.floor(jnp.abs(nl) / NL_GRID_STEP + 1e-4) - 1.0
    idx = jnp.clip(idx, 0, NL_GRID_SIZE - 1).astype(jnp.int32)
    label = jnp.sign(nl) * (idx + 1).astype(nl.dtype) * NL_GRID_STEP
    return idx, label


@functools.partial(jax.jit, static_argnames=("floor_to_grid", "n_iter"))
def nl_to_a_norm(
    nl: ArrayLike, *, floor_to_grid: bool = True, n_iter: int = DEFAULT_ITERATIONS
) -> Array:
    """Nonlinearity label(s) → signed normalised curve constant ``A_n`` (docs/model.md §2.2).

    Source: docs/model.md §2.2; NeuroSim's ``GetParamA`` behaviour with ``floor_to_grid=True``.

    NL = 0 handling: an exactly zero label (and, in continuous mode, any ``|NL| <
    NL_LINEAR_BELOW``) returns ``+inf``, which the curve functions treat as the linear
    device ``w = 2p/L − 1``. NeuroSim instead divides by zero (``sign(0) = 0``).

    Args:
      nl: label(s), dimensionless, any shape; valid range ``|NL| ≤ 9`` (grid) or ``≤ 10``
        (continuous).
      floor_to_grid: True (default) reproduces NeuroSim: ``|NL|`` is floored to the 0.01
        grid, labels with ``0 < |NL| < 0.01`` use the 0.01 entry, ``|NL| > 9`` uses 9.00,
        and the value is rounded to 6 decimals as in NeuroSim's table. False solves the
        closed form for the label as given.
      n_iter: bisection steps (static).

    Returns:
      ``A_n`` (the curve constant for ``P_max = 1``; multiply by ``max_level`` for pulses),
      sign of NL, same shape as ``nl``.
    """
    nl = jnp.asarray(nl)
    if not jnp.issubdtype(nl.dtype, jnp.floating):
        nl = nl.astype(jnp.result_type(float))
    if not floor_to_grid:
        return nl_to_a_norm_continuous(nl, n_iter=n_iter)
    table = nl_grid_table(nl.dtype, n_iter=n_iter)
    idx, _ = floor_label_to_grid(nl)
    a = jnp.where(nl < 0, -table[idx], table[idx])
    return jnp.where(nl == 0, jnp.inf, a).astype(nl.dtype)
