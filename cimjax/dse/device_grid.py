"""Device grids of the accuracy maps (:mod:`cimjax.dse.device_map`): axes, ranges and checks.

A grid names device parameters (``nl_ltp``, ``nl_ltd``, ``max_level``, ``c2c_sigma``,
``d2d_sigma``, or ``nl_asym`` = ``v`` of an asymmetric ``+v/−v`` device) and their values;
everything not named takes the base device's value. Every value is checked against the
:class:`~cimjax.config.schema.DeviceConfig` range before any training starts, and the error
names the parameter.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from typing import Mapping, Sequence, Union

import numpy as np

from cimjax.config.schema import DeviceConfig

#: The device parameters every member carries (and the order of :attr:`DeviceMapResult.settings`).
DEVICE_PARAMS = ("nl_ltp", "nl_ltd", "max_level", "c2c_sigma", "d2d_sigma")

#: Grid axes: the device parameters, plus ``nl_asym`` = the label magnitude ``v`` of an
#: asymmetric device, ``nl_ltp = +v`` and ``nl_ltd = −v`` (the paper's "NL +3/−3").
AXES = DEVICE_PARAMS + ("nl_asym",)

#: Largest accuracy drop (points) the heatmaps' colour scale resolves (larger drops saturate).
DROP_COLOR_MAX = 15.0

#: Valid range of every axis (the :class:`~cimjax.config.schema.DeviceConfig` ranges).
RANGES = {
    "nl_ltp": (-9.0, 9.0),
    "nl_ltd": (-9.0, 9.0),
    "nl_asym": (0.0, 9.0),
    "max_level": (2, 65536),
    "c2c_sigma": (0.0, 1.0),
    "d2d_sigma": (0.0, 9.0),
}

#: What each axis means (for errors, tables and plots).
AXIS_DOC = {
    "nl_ltp": "LTP nonlinearity label",
    "nl_ltd": "LTD nonlinearity label",
    "nl_asym": "|NL| of an asymmetric device (NL_LTP = +v, NL_LTD = −v)",
    "max_level": "number of states (pulses across the range)",
    "c2c_sigma": "cycle-to-cycle σ (fraction of the range)",
    "d2d_sigma": "device-to-device σ of the NL label",
}


# --------------------------------------------------------------------------------------
# Grids of device settings
# --------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class DeviceGrid:
    """A named grid of device settings: the Cartesian product of its axes.

    Attributes:
      name: label of the panel (plots, tables).
      axes: ``((axis, values), …)`` in order (the first axis varies slowest).
      settings: every setting, one array of length ``size`` per :data:`DEVICE_PARAMS`.
    """

    name: str
    axes: tuple
    settings: dict

    @property
    def size(self) -> int:
        return len(self.settings["max_level"])

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(v) for _, v in self.axes)


def _base_values(base: Union[DeviceConfig, Mapping, None]) -> dict:
    if base is None:
        base = DeviceConfig()
    if isinstance(base, DeviceConfig):
        dev = base.resolved()
        return dict(nl_ltp=dev.nl_ltp, nl_ltd=dev.nl_ltd, max_level=dev.max_level, c2c_sigma=dev.c2c_sigma,
                    d2d_sigma=float(base.d2d_sigma))
    unknown = sorted(set(base) - set(DEVICE_PARAMS))
    if unknown:
        raise ValueError(f"unknown device parameter {unknown[0]!r} in the base setting: expected "
                         f"{', '.join(DEVICE_PARAMS)}")
    missing = sorted(set(DEVICE_PARAMS) - set(base))
    if missing:
        raise ValueError(f"the base setting lacks {', '.join(missing)}: give all of {', '.join(DEVICE_PARAMS)} "
                         "or a DeviceConfig")
    return dict(base)


def check_value(name: str, value) -> float:
    """``value`` of axis ``name`` as a float, or ``ValueError`` naming the axis and its range."""
    if name not in RANGES:
        raise ValueError(f"unknown device-map parameter {name!r}: expected one of {', '.join(AXES)}")
    lo, hi = RANGES[name]
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"device-map parameter {name!r} = {value!r} is invalid: expected a number in [{lo}, {hi}]")
    v = float(value)
    if name == "max_level":
        if not (math.isfinite(v) and v == math.floor(v) and lo <= v <= hi):
            raise ValueError(f"device-map parameter 'max_level' = {value!r} is invalid: expected an integer in "
                             f"[{lo}, {hi}]")
    elif not (math.isfinite(v) and lo <= v <= hi):
        raise ValueError(f"device-map parameter {name!r} = {value!r} is invalid: expected a number in [{lo}, {hi}]")
    return v


def check_settings(settings: Mapping[str, Sequence]) -> dict:
    """Validated copy of a flat batch of settings (one equal-length sequence per
    :data:`DEVICE_PARAMS`); ``ValueError`` naming the parameter otherwise."""
    unknown = sorted(set(settings) - set(DEVICE_PARAMS))
    if unknown:
        raise ValueError(f"unknown device parameter {unknown[0]!r}: expected {', '.join(DEVICE_PARAMS)}")
    missing = [k for k in DEVICE_PARAMS if k not in settings]
    if missing:
        raise ValueError(f"the settings lack {', '.join(missing)}")
    lengths = {k: len(settings[k]) for k in DEVICE_PARAMS}
    if len(set(lengths.values())) != 1:
        raise ValueError(f"the settings' lengths differ: {lengths}")
    if next(iter(lengths.values())) == 0:
        raise ValueError("the settings are empty: expected at least one device setting")
    out = {}
    for k in DEVICE_PARAMS:
        vals = [check_value(k, v.item() if isinstance(v, np.generic) else v) for v in settings[k]]
        out[k] = np.asarray(vals, np.int64 if k == "max_level" else np.float64)
    return out


def device_grid(axes: Mapping[str, Sequence], base: Union[DeviceConfig, Mapping, None] = None, *,
                name: str = "") -> DeviceGrid:
    """The Cartesian product of ``axes`` over a base device.

    Args:
      axes: axis name (:data:`AXES`) → non-empty sequence of values, in plot order (first =
        rows of the map, second = columns). ``nl_asym`` sets ``nl_ltp = +v, nl_ltd = −v``
        and cannot be combined with ``nl_ltp``/``nl_ltd``.
      base: the values of the parameters not on an axis: a
        :class:`~cimjax.config.schema.DeviceConfig` (its resolved preset and ``d2d_sigma``)
        or a mapping of all :data:`DEVICE_PARAMS`; default the HZO FeFET.
      name: panel label (default: the axis names).

    Returns:
      The :class:`DeviceGrid`.

    Raises:
      ValueError: an unknown axis, an empty or repeated list, a value out of range, or
        conflicting axes, naming the parameter; raised before any training.
    """
    if not axes:
        raise ValueError("a device grid needs at least one axis: expected {axis: [values]} with axis in "
                         + ", ".join(AXES))
    fixed = _base_values(base)
    checked = []
    for ax, values in axes.items():
        if ax not in RANGES:
            raise ValueError(f"unknown device-map parameter {ax!r}: expected one of {', '.join(AXES)}")
        if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) and not isinstance(values, np.ndarray):
            raise ValueError(f"device-map parameter {ax!r}: expected a list of values, got {values!r}")
        if len(values) == 0:
            raise ValueError(f"device-map parameter {ax!r}: the list of values is empty")
        vals = tuple(check_value(ax, v.item() if isinstance(v, np.generic) else v) for v in values)
        if len(set(vals)) != len(vals):
            raise ValueError(f"device-map parameter {ax!r}: repeated values in {list(values)!r}")
        checked.append((ax, tuple(int(v) if ax == "max_level" else v for v in vals)))
    names = [a for a, _ in checked]
    if "nl_asym" in names and ({"nl_ltp", "nl_ltd"} & set(names)):
        raise ValueError("device-map parameter 'nl_asym' sets nl_ltp and nl_ltd: do not combine it with them")
    cols = {k: [] for k in DEVICE_PARAMS}
    for combo in itertools.product(*(v for _, v in checked)):
        s = dict(fixed)
        for ax, v in zip(names, combo):
            if ax == "nl_asym":
                s["nl_ltp"], s["nl_ltd"] = v, (-v if v else 0.0)
            else:
                s[ax] = v
        for k in DEVICE_PARAMS:
            cols[k].append(s[k])
    settings = check_settings(cols)
    return DeviceGrid(name or " × ".join(names), tuple(checked), settings)


def concat_grids(grids: Sequence[DeviceGrid]) -> tuple[dict, list]:
    """The settings of ``grids`` one after another, and one panel per grid (its axes and indices)."""
    settings = {k: np.concatenate([g.settings[k] for g in grids]) for k in DEVICE_PARAMS}
    panels, start = [], 0
    for g in grids:
        panels.append({"name": g.name, "axes": [[a, list(v)] for a, v in g.axes],
                       "indices": np.arange(start, start + g.size).reshape(g.shape).tolist()})
        start += g.size
    return settings, panels


def check_seeds(seeds: Sequence[int]) -> tuple[int, ...]:
    """Population seeds: distinct non-negative ints (``ValueError`` otherwise)."""
    if isinstance(seeds, (int, np.integer)):
        seeds = [seeds]
    seeds = list(seeds)
    if not seeds:
        raise ValueError("seeds: the list is empty: expected at least one population seed")
    for s in seeds:
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)) or not 0 <= int(s) < 2**31:
            raise ValueError(f"seeds: {s!r} is invalid: expected an integer in [0, 2**31)")
    if len(set(int(s) for s in seeds)) != len(seeds):
        raise ValueError(f"seeds: repeated values in {seeds!r}")
    return tuple(int(s) for s in seeds)
