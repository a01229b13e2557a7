"""The estimator's currency: ``Cost(area, energy, latency, leakage)``, and ``Footprint``.

A :class:`Cost` describes one *action* of one component (or of a composite): the silicon
``area`` it occupies, the dynamic ``energy`` and ``latency`` of the action, and the static
``leakage`` power drawn while powered. Plain SI units throughout: m², J, s, W. Fields are
``jnp`` scalars or arrays (broadcastable against each other, e.g. a leading design-grid
axis under ``vmap``). ``Cost`` is a NamedTuple, hence a pytree: it passes through
``jit``/``vmap``/``grad`` and ``jax.tree.map`` unchanged.

Components compose costs by their own rules, each written where NeuroSim states it (the
sub-array's buckets, the tile and chip roll-ups per phase); leakage *energy* is
``leakage × (time powered)``, a chip-level quantity (docs/model.md §5.8).
"""

from __future__ import annotations

from typing import NamedTuple

import jax

Array = jax.Array


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


class Footprint(NamedTuple):
    """Layout height and width of a block, m (where a component has a layout rule)."""

    height: Array
    width: Array
