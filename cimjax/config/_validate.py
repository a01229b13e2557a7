"""Field checks used by the config dataclasses.

Every check raises ``ValueError`` with the full field path (``section.field``), the value
that was given and the allowed range, so a bad config fails when it is built, long before
anything is traced by JAX.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Iterable

from cimjax.errors import InputError

FLOAT_BITS = 32  # a bit width of 32 (or None) means "no quantisation, keep float"


def frozen(cls):
    """A config section: a frozen (hashable) dataclass whose ``__post_init__`` checks its fields."""
    return dataclasses.dataclass(frozen=True)(cls)


class ConfigError(InputError):
    """A config field has a bad value; the message names the field and the allowed range."""


def fail(path: str, value: Any, allowed: str) -> None:
    raise ConfigError(f"{path} = {value!r} is invalid: expected {allowed}")


def check_int(path: str, value: Any, lo: int | None = None, hi: int | None = None) -> None:
    """An int (not a bool) in [lo, hi]; either bound may be None."""
    lo_s = "-inf" if lo is None else str(lo)
    hi_s = "inf" if hi is None else str(hi)
    allowed = f"an integer in [{lo_s}, {hi_s}]"
    if isinstance(value, bool) or not isinstance(value, int):
        fail(path, value, allowed)
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        fail(path, value, allowed)


def check_optional_int(path: str, value: Any, lo: int | None = None, hi: int | None = None) -> None:
    if value is not None:
        try:
            check_int(path, value, lo, hi)
        except ConfigError as e:
            raise ConfigError(str(e) + " or None") from None


def check_float(
    path: str,
    value: Any,
    lo: float | None = None,
    hi: float | None = None,
    *,
    lo_open: bool = False,
    hi_open: bool = False,
) -> None:
    """A finite real number (ints accepted) in the given interval."""
    left = "(" if lo_open or lo is None else "["
    right = ")" if hi_open or hi is None else "]"
    allowed = f"a finite number in {left}{'-inf' if lo is None else lo}, {'inf' if hi is None else hi}{right}"
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        fail(path, value, allowed)
    if lo is not None and (value < lo or (lo_open and value == lo)):
        fail(path, value, allowed)
    if hi is not None and (value > hi or (hi_open and value == hi)):
        fail(path, value, allowed)


def check_optional_float(path: str, value: Any, lo=None, hi=None, **kw) -> None:
    if value is not None:
        try:
            check_float(path, value, lo, hi, **kw)
        except ConfigError as e:
            raise ConfigError(str(e) + " or None") from None


def check_bool(path: str, value: Any) -> None:
    if not isinstance(value, bool):
        fail(path, value, "true or false")


def check_choice(path: str, value: Any, choices: Iterable[str]) -> None:
    choices = tuple(choices)
    if not isinstance(value, str) or value not in choices:
        fail(path, value, "one of " + ", ".join(repr(c) for c in choices))


def check_str(path: str, value: Any, *, allow_empty: bool = False) -> None:
    if not isinstance(value, str) or (not allow_empty and not value):
        fail(path, value, "a non-empty string")


def check_bits(path: str, value: Any, lo: int = 1, hi: int = 16) -> None:
    """A quantisation bit width: an int in [lo, hi], or 32/None for float."""
    if value is None or (isinstance(value, int) and not isinstance(value, bool) and value == FLOAT_BITS):
        return
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        fail(path, value, f"an integer bit width in [{lo}, {hi}], or {FLOAT_BITS} / None for float")


def check_power_of_two(path: str, value: Any, lo: int, hi: int) -> None:
    allowed = f"a power of two in [{lo}, {hi}]"
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        fail(path, value, allowed)
    if value & (value - 1):
        fail(path, value, allowed)


def check_shape(path: str, value: Any, *, optional: bool = True) -> None:
    """An image shape (H, W, C) of positive ints."""
    if value is None and optional:
        return
    allowed = "a (height, width, channels) triple of positive integers" + (" or None" if optional else "")
    if not isinstance(value, tuple) or len(value) != 3:
        fail(path, value, allowed)
    for v in value:
        if isinstance(v, bool) or not isinstance(v, int) or v < 1 or v > 4096:
            fail(path, value, allowed)
