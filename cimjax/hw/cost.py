"""The estimator's currency: ``Cost(area, energy, latency, leakage)`` and how costs compose.

A :class:`Cost` describes one *action* of one component (or of a composite): the silicon
``area`` it occupies, the dynamic ``energy`` and ``latency`` of the action, and the static
``leakage`` power drawn while powered. Plain SI units throughout: m², J, s, W. Fields are
``jnp`` scalars or arrays (broadcastable against each other, e.g. a leading design-grid
axis under ``vmap``). ``Cost`` is a NamedTuple, hence a pytree: it passes through
``jit``/``vmap``/``grad`` and ``jax.tree.map`` unchanged.

Composition rules (each helper states its own):

============================  ======  =======  ========  =========
helper                        area    energy   latency   leakage
============================  ======  =======  ========  =========
``serial(a, b, …)``           sum     sum      **sum**   sum
``parallel(a, b, …)``         sum     sum      **max**   sum
``repeat(c, n)``              ×n      ×n       same      ×n
``repeat(c, n, parallel=F)``  ×n      ×n       ×n        ×n
``repeat_actions(c, n)``      same    ×n       ×n        same
============================  ======  =======  ========  =========

Leakage *energy* is not folded in by any helper: it is ``leakage × (time powered)``, and
the time powered is a chip-level quantity (spec §5.8).
"""

from __future__ import annotations

import functools
from typing import NamedTuple, Union

import jax
import jax.numpy as jnp

Array = jax.Array
ArrayLike = Union[jax.Array, float, int]


def _as_float(x: ArrayLike) -> Array:
    x = jnp.asarray(x)
    if not jnp.issubdtype(x.dtype, jnp.floating):
        x = x.astype(jnp.result_type(float))
    return x


class Cost(NamedTuple):
    """Area, energy, latency and leakage of one action of a component (SI units).

    Attributes:
      area: silicon area, m².
      energy: dynamic energy of one action, J.
      latency: duration of one action, s.
      leakage: static (leakage) power while powered, W.
    """

    area: Array
    energy: Array
    latency: Array
    leakage: Array

    @classmethod
    def zero(cls) -> "Cost":
        """The neutral cost: all four fields ``0.0`` (scalars of the default float dtype)."""
        z = jnp.zeros((), jnp.result_type(float))
        return cls(z, z, z, z)

    @classmethod
    def of(
        cls,
        area: ArrayLike = 0.0,
        energy: ArrayLike = 0.0,
        latency: ArrayLike = 0.0,
        leakage: ArrayLike = 0.0,
    ) -> "Cost":
        """A cost from numbers or arrays (missing fields are 0), converted to float arrays.

        Args:
          area: m².
          energy: J.
          latency: s.
          leakage: W.

        Returns:
          The :class:`Cost`.
        """
        return cls(_as_float(area), _as_float(energy), _as_float(latency), _as_float(leakage))


class Footprint(NamedTuple):
    """Layout height and width of a block, m (where a component has a layout rule)."""

    height: Array
    width: Array


def _fold(op, fields):
    return functools.reduce(op, fields)


def serial(*costs: Cost) -> Cost:
    """Costs of actions that happen one after another (a path through a pipeline stage).

    Rule: area, energy and leakage add; **latency adds**. ``serial()`` is :meth:`Cost.zero`.

    Args:
      *costs: the :class:`Cost` of each stage (broadcastable fields).

    Returns:
      The combined :class:`Cost`.
    """
    if not costs:
        return Cost.zero()
    return Cost(*(_fold(jnp.add, fields) for fields in zip(*costs)))


def parallel(*costs: Cost) -> Cost:
    """Costs of actions that happen at the same time in different units.

    Rule: area, energy and leakage add; **latency is the maximum**. ``parallel()`` is
    :meth:`Cost.zero`.

    Args:
      *costs: the :class:`Cost` of each unit (broadcastable fields).

    Returns:
      The combined :class:`Cost`.
    """
    if not costs:
        return Cost.zero()
    area, energy, latency, leakage = zip(*costs)
    return Cost(
        _fold(jnp.add, area),
        _fold(jnp.add, energy),
        _fold(jnp.maximum, latency),
        _fold(jnp.add, leakage),
    )


def repeat(cost: Cost, n: ArrayLike, *, parallel: bool = True) -> Cost:
    """``n`` identical instances, each performing the action once.

    Rule: area, leakage and energy are multiplied by ``n``; latency is unchanged when the
    instances work in parallel (default) and multiplied by ``n`` when they work one after
    another (``parallel=False``). ``n`` may be fractional (relaxed counts) or an array.

    Args:
      cost: the :class:`Cost` of one instance.
      n: number of instances (≥ 0), scalar or broadcastable array.
      parallel: static; True = instances act simultaneously.

    Returns:
      The combined :class:`Cost`.
    """
    n = _as_float(n)
    latency = cost.latency if parallel else cost.latency * n
    return Cost(cost.area * n, cost.energy * n, latency, cost.leakage * n)


def repeat_actions(cost: Cost, n: ArrayLike) -> Cost:
    """One instance performing its action ``n`` times in sequence.

    Rule: area and leakage are unchanged (same hardware); energy and latency are
    multiplied by ``n``.

    Args:
      cost: the :class:`Cost` of one action of the instance.
      n: number of actions (≥ 0), scalar or broadcastable array.

    Returns:
      The combined :class:`Cost`.
    """
    n = _as_float(n)
    return Cost(cost.area, cost.energy * n, cost.latency * n, cost.leakage)
