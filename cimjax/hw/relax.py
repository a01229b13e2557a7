"""Integer-valued functions (ceil, floor, round, ⌈log2⌉, best candidate) with a gradient mode.

NeuroSim counts things with ``ceil``/``floor``/``log2`` and picks sizes by "halve while
above, keep the best". Those are piecewise constant: ``jax.grad`` through them is zero
almost everywhere. Every function here takes a static ``mode``:

``"exact"`` (the default; what golden tests check)
    ``jnp.ceil``/``jnp.floor``/C-style rounding and a hard masked argmax. Values are exact;
    gradients are zero almost everywhere.

``"relaxed"``
    A smooth (C¹) staircase with a temperature ``τ`` (``temperature``, in units of the
    argument), built from the *soft round*

        ``soft_round_τ(x) = m + ½·tanh(r/τ)/tanh(1/(2τ))``,  ``m = ⌊x⌋ + ½``, ``r = x − m``,

    which is exact at integers, equals the midpoint ``m`` at half-integers and tends to
    ``round`` as ``τ → 0`` and to the identity as ``τ → ∞``. ``ceil_τ(x) = soft_round_τ(x + ½)``
    and ``floor_τ(x) = soft_round_τ(x − ½)``.

    Error bound: ``|relaxed(x) − exact(x)| ≤ ½`` everywhere; at distance ``d ∈ [0, ½]`` from
    the nearest step of the exact function (integers for ceil/floor, half-integers for
    round) it is at most ``½·(1 − tanh(d/τ)/tanh(1/(2τ)))``, and 0 at ``d = ½``. The step
    itself is where the error reaches ½: **an integer argument of ceil/floor sits on the
    step**, so ``ceil_τ(4) = 4.5`` and ``floor_τ(4) = 3.5``. That is inherent to any
    continuous surrogate of a function that jumps there.

    Gradient: ``d/dx ∈ [1/(τ·sinh(1/τ)), 1/(2τ·tanh(1/(2τ)))]``, finite and > 0 everywhere
    (τ = 0.25: [0.147, 2.07]; it averages 1 over a period, like the exact staircase's slope).
    The best candidate becomes a softmax-weighted average of the candidates.

``"ste"``
    Straight-through: the *value* is exact, the *gradient* is the identity's (1) for
    ceil/floor/round, that of ``log2`` for ``log2ceil``, and that of the softmax average for
    the best candidate. Not smooth (it is not the derivative of the value), but it keeps the
    exact floorplan while still giving a non-zero design gradient.

All functions are element-wise, jittable and vmappable; ``mode`` and ``temperature`` are
static Python values.
"""

from __future__ import annotations

from typing import Any, Optional, Union

import jax
import jax.numpy as jnp

Array = jax.Array
ArrayLike = Union[jax.Array, float, int]

#: The modes every function of this module accepts.
MODES = ("exact", "relaxed", "ste")
#: Default staircase temperature τ of ``"relaxed"`` (in units of the argument).
DEFAULT_TEMPERATURE = 0.25
#: Default softmax temperature of :func:`select_best` (in units of the score).
DEFAULT_SELECT_TEMPERATURE = 0.01


def check_mode(mode: str) -> str:
    """Return ``mode`` if it is one of :data:`MODES`, else raise ``ValueError``."""
    if mode not in MODES:
        raise ValueError(f"mode = {mode!r}: expected one of {MODES}")
    return mode


def _check_temperature(temperature: float) -> float:
    if not isinstance(temperature, (int, float)) or not temperature > 0:
        raise ValueError(f"temperature = {temperature!r}: expected a Python number > 0")
    return float(temperature)


def _float(x: ArrayLike) -> Array:
    """``x`` as a floating array (integers become the default float dtype)."""
    x = jnp.asarray(x)
    if not jnp.issubdtype(x.dtype, jnp.floating):
        x = x.astype(jnp.result_type(float))
    return x


def _ste(exact: Array, surrogate: Array) -> Array:
    """Value of ``exact``, gradient of ``surrogate``."""
    return surrogate + jax.lax.stop_gradient(exact - surrogate)


def soft_round(x: ArrayLike, temperature: float = DEFAULT_TEMPERATURE) -> Array:
    """The C¹ soft staircase ``m + ½·tanh(r/τ)/tanh(1/(2τ))`` (see the module docstring).

    Args:
      x: values, any shape.
      temperature: ``τ > 0`` (static). Small τ → ``round``; large τ → identity.

    Returns:
      An array like ``x``: exact at integers, the midpoint at half-integers.
    """
    tau = _check_temperature(temperature)
    x = _float(x)
    m = jax.lax.stop_gradient(jnp.floor(x)) + 0.5
    r = x - m
    return m + 0.5 * jnp.tanh(r / tau) / jnp.tanh(0.5 / tau)


def round(  # noqa: A001 - shadows the builtin on purpose, like jnp.round
    x: ArrayLike, mode: str = "exact", *, temperature: float = DEFAULT_TEMPERATURE
) -> Array:
    """Round half away from zero (C/C++ ``round``, as NeuroSim's C++ core), with a mode.

    Args:
      x: values, any shape.
      mode: ``"exact"``, ``"relaxed"`` or ``"ste"`` (static; module docstring).
      temperature: staircase temperature τ of ``"relaxed"`` (static).

    Returns:
      An array like ``x`` (floating).
    """
    check_mode(mode)
    x = _float(x)
    exact = jnp.sign(x) * jnp.floor(jnp.abs(x) + 0.5)
    if mode == "exact":
        return exact
    if mode == "ste":
        return _ste(exact, x)
    return soft_round(x, temperature)


def floor(x: ArrayLike, mode: str = "exact", *, temperature: float = DEFAULT_TEMPERATURE) -> Array:
    """``⌊x⌋`` with a mode (``"relaxed"``: ``soft_round_τ(x − ½)``).

    Args:
      x: values, any shape.
      mode: ``"exact"``, ``"relaxed"`` or ``"ste"`` (static).
      temperature: staircase temperature τ of ``"relaxed"`` (static).

    Returns:
      An array like ``x`` (floating).
    """
    check_mode(mode)
    x = _float(x)
    if mode == "exact":
        return jnp.floor(x)
    if mode == "ste":
        return _ste(jnp.floor(x), x)
    return soft_round(x - 0.5, temperature)


def ceil(x: ArrayLike, mode: str = "exact", *, temperature: float = DEFAULT_TEMPERATURE) -> Array:
    """``⌈x⌉`` with a mode (``"relaxed"``: ``soft_round_τ(x + ½)``).

    Args:
      x: values, any shape.
      mode: ``"exact"``, ``"relaxed"`` or ``"ste"`` (static).
      temperature: staircase temperature τ of ``"relaxed"`` (static).

    Returns:
      An array like ``x`` (floating).
    """
    check_mode(mode)
    x = _float(x)
    if mode == "exact":
        return jnp.ceil(x)
    if mode == "ste":
        return _ste(jnp.ceil(x), x)
    return soft_round(x + 0.5, temperature)


def log2ceil(x: ArrayLike, mode: str = "exact", *, temperature: float = DEFAULT_TEMPERATURE) -> Array:
    """``⌈log2 x⌉`` for ``x > 0``, with a mode.

    The exact mode uses ``frexp`` (``x = f·2^e``, ``f ∈ [½, 1)``), so exact powers of two
    give exact integers regardless of how ``log2`` rounds. ``"relaxed"`` is
    ``ceil_τ(log2 x)``; ``"ste"`` has the value of the exact mode and the gradient of
    ``log2 x``. ``x ≤ 0`` is outside the domain (the exact mode returns ``frexp``'s exponent).

    Args:
      x: positive values, any shape.
      mode: ``"exact"``, ``"relaxed"`` or ``"ste"`` (static).
      temperature: staircase temperature τ of ``"relaxed"`` (static).

    Returns:
      A floating array like ``x``.
    """
    check_mode(mode)
    x = _float(x)
    if mode == "relaxed":
        return ceil(jnp.log2(x), "relaxed", temperature=temperature)
    fraction, exponent = jnp.frexp(jax.lax.stop_gradient(x))
    exact = jnp.where(fraction == 0.5, exponent - 1, exponent).astype(x.dtype)
    if mode == "exact":
        return exact
    return _ste(exact, jnp.log2(x))


def pow2(e: ArrayLike) -> Array:
    """``2^e``, exact at integer ``e`` and differentiable (gradient ``ln 2 · 2^e``).

    ``jnp.exp2`` is not exact at integers in float64 on CPU (``exp2(3.) = 7.999…``), which
    would turn exact power-of-two sizes into off-by-one counts; integer exponents go
    through ``ldexp`` instead.
    """
    e = _float(e)
    smooth = jnp.exp2(e)
    rounded = jnp.round(e)
    exact = jnp.where(e == rounded, jnp.ldexp(jnp.ones_like(e), rounded.astype(jnp.int32)), smooth)
    return smooth + jax.lax.stop_gradient(exact - smooth)


def pow2ceil(x: ArrayLike, mode: str = "exact", *, temperature: float = DEFAULT_TEMPERATURE) -> Array:
    """The smallest power of two ``≥ x``: ``2^⌈log2 x⌉`` for ``x > 0``, with a mode.

    Args:
      x: positive values, any shape.
      mode: ``"exact"``, ``"relaxed"`` or ``"ste"`` (static).
      temperature: staircase temperature τ of ``"relaxed"`` (static).

    Returns:
      A floating array like ``x``.
    """
    return pow2(log2ceil(x, mode, temperature=temperature))


def select_best(
    scores: ArrayLike,
    values: Any,
    mask: Optional[ArrayLike] = None,
    mode: str = "exact",
    *,
    temperature: float = DEFAULT_SELECT_TEMPERATURE,
) -> Any:
    """The candidate with the highest score among the valid ones ("keep the best").

    ``"exact"``: a masked argmax; ties go to the *first* candidate (NeuroSim's strict ``>``
    keeps the earliest best). If no candidate is valid, candidate 0 is returned.
    ``"relaxed"``: the softmax(score/temperature)-weighted average of the valid candidates
    (all-invalid gives NaN; values must be finite). ``"ste"``: the exact value with the
    relaxed gradient.

    Args:
      scores: ``(K,)`` candidate scores (higher is better).
      values: a pytree whose leaves have a leading candidate axis of size ``K``.
      mask: ``(K,)`` booleans, True where the candidate may be chosen; None = all.
      mode: ``"exact"``, ``"relaxed"`` or ``"ste"`` (static).
      temperature: softmax temperature of the relaxed modes, in score units (static).

    Returns:
      A pytree like ``values`` with the candidate axis removed.
    """
    check_mode(mode)
    scores = _float(scores)
    if scores.ndim != 1:
        raise ValueError(f"scores must have shape (K,), got {scores.shape}")
    valid = jnp.ones(scores.shape, bool) if mask is None else jnp.asarray(mask, bool)

    def exact_pick() -> Any:
        index = jnp.argmax(jnp.where(valid, scores, -jnp.inf))
        return jax.tree.map(lambda v: jnp.asarray(v)[index], values)

    def soft_pick() -> Any:
        tau = _check_temperature(temperature)
        weights = jax.nn.softmax(jnp.where(valid, scores / tau, -jnp.inf))
        return jax.tree.map(lambda v: jnp.tensordot(weights, _float(v), axes=1), values)

    if mode == "exact":
        return exact_pick()
    if mode == "relaxed":
        return soft_pick()
    return jax.tree.map(lambda e, s: _ste(_float(e), s), exact_pick(), soft_pick())
