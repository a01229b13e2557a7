"""Units people read: SI prefixes for numbers in text, and the scale, unit and linear or log
choice of a plot axis from the range of its data.

Areas are always in mm² (as every table and file summary of cimjax speaks of chips); seconds,
joules, watts and their products take the SI prefix that puts the largest value in [1, 1000).
An axis is logarithmic when its positive data span at least :data:`LOG_RATIO` (10×), linear
otherwise: a log axis over a narrow range has crowded, overlapping tick labels.
"""

from __future__ import annotations

import math
from typing import NamedTuple, Sequence

import numpy as np

#: SI prefixes from large to small, with their scale.
PREFIXES = (("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3), ("", 1.0), ("m", 1e-3), ("µ", 1e-6),
            ("n", 1e-9), ("p", 1e-12), ("f", 1e-15))
#: An axis whose positive data span this ratio or more is drawn logarithmic.
LOG_RATIO = 10.0
#: Units without a prefix: areas (given in m², shown in mm²) and rates already scaled (TOPS).
AREA_UNIT = "m²"


class AxisScale(NamedTuple):
    """Plot ``values / scale`` against an axis labelled in ``unit``, logarithmic if ``log``."""

    scale: float
    unit: str
    log: bool


def prefix(largest: float, unit: str) -> tuple[float, str]:
    """``(scale, prefixed unit)`` for values up to ``largest`` (in ``unit``): mm² for areas in
    m², no prefix for units that are not SI base units here (``%``, ``TOPS``, ``""``), else the
    largest SI prefix not above ``largest`` (the smallest, femto, below that)."""
    if unit == AREA_UNIT:
        return 1e-6, "mm²"
    if not unit or unit[0] not in "sJWS":
        return 1.0, unit
    largest = abs(float(largest))
    if largest == 0 or not math.isfinite(largest):
        return 1.0, unit
    for p, scale in PREFIXES:
        if largest >= scale:
            return scale, p + unit
    return PREFIXES[-1][1], PREFIXES[-1][0] + unit


def si(x: float, unit: str, digits: int = 4) -> str:
    """``x`` (in ``unit``) as text with its prefix (:func:`prefix`), ``digits`` significant."""
    x = float(x)
    if x == 0 or not math.isfinite(x):
        return f"{x:g} {unit}"
    scale, u = prefix(x, unit)
    return f"{x / scale:.{digits}g} {u}"


def axis_scale(lo: float, hi: float, unit: str) -> AxisScale:
    """The axis of data in ``[lo, hi]`` (in ``unit``): prefix by the largest magnitude, log
    when ``lo > 0`` and ``hi / lo >= LOG_RATIO``."""
    scale, u = prefix(max(abs(lo), abs(hi)), unit)
    return AxisScale(scale, u, bool(lo > 0 and hi / lo >= LOG_RATIO))


def axis_for(values: Sequence[float], unit: str) -> AxisScale:
    """:func:`axis_scale` of the finite ``values`` (linear, no prefix if there are none)."""
    v = np.asarray(values, float).ravel()
    v = v[np.isfinite(v)]
    if v.size == 0:
        return AxisScale(1.0, unit, False)
    return axis_scale(float(v.min()), float(v.max()), unit)
