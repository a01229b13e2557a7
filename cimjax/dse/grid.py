"""Design-space grid files: parse, validate (at load time, naming the parameter), sample.

A grid is a ``configs/sweeps/*.py`` file defining ``GRID = {...}`` (or ``get_grid()``) or a
``.toml`` file with the same keys::

    sample = "grid"            # "grid" (cartesian product), "random" or "lhs" (Latin hypercube)
    num_samples = 1000         # random / lhs only
    seed = 0                   # random / lhs; default: the config's run.seed
    objectives = ["energy", "latency", "area"]   # Pareto objectives (see sweep.METRICS)
    color_by = "adc_bits"      # parameter colouring the scatter plots
    [parameters]
    adc_bits = [3, 4, 5, 6]                      # explicit values
    subarray_size = {min = 64, max = 256}        # int / pow2 range: every integer / power of two
    r_on = {min = 1e4, max = 1e6, num = 5, scale = "log"}   # float range: num points (grid)
    cell_type = ["rram", "fefet"]

Every value is checked when the grid is loaded: unknown parameter names, empty lists or
ranges, and values the config rejects (each value is put into the config section it stands
for, e.g. ``hardware.adc_bits``, and that section's own validation runs) raise
:class:`~cimjax.config.ConfigError` naming the parameter. ``python -m cimjax.dse.grid`` prints
the allowed names and ranges.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import itertools
import math
import os
import tomllib
from typing import Any, Optional

import numpy as np

from cimjax.config import Config, ConfigError
from cimjax.dse import params as P
from cimjax.dse.sweep import METRICS

SAMPLES = ("grid", "random", "lhs")
#: Most designs a grid may expand to.
MAX_DESIGNS = 20_000_000
_KEYS = ("sample", "num_samples", "seed", "objectives", "color_by", "parameters")


@dataclasses.dataclass(frozen=True)
class Axis:
    """One parameter of a grid: explicit ``values`` or a range ``lo..hi`` (``num`` points)."""

    spec: P.ParamSpec
    values: Optional[tuple] = None
    lo: Optional[float] = None
    hi: Optional[float] = None
    num: Optional[int] = None
    scale: str = "linear"

    @property
    def name(self) -> str:
        return self.spec.name

    def grid_values(self) -> list:
        """The values of the cartesian product (explicit values, or the range's points)."""
        if self.values is not None:
            return list(self.values)
        s = self.spec
        if s.kind == "int" and self.num is None:
            return [float(v) for v in range(math.ceil(self.lo), math.floor(self.hi) + 1)]
        if s.kind == "pow2" and self.num is None:
            return [2.0**e for e in range(math.ceil(math.log2(self.lo)), math.floor(math.log2(self.hi)) + 1)]
        if self.num is None:
            raise ConfigError(f"grid parameter {self.name!r}: a float range needs 'num' (points) for sample='grid'")
        pts = (np.geomspace if self.scale == "log" else np.linspace)(self.lo, self.hi, self.num)
        if s.discrete:
            pts = np.unique(_snap(s, pts))
        return [float(v) for v in pts]

    @property
    def expandable(self) -> bool:
        """False for a float range without ``num`` (fine for sampling and optimisation, not a grid)."""
        return self.values is not None or self.num is not None or self.spec.discrete

    def bounds(self) -> tuple[float, float]:
        """``(lo, hi)`` of a numeric axis (the extreme values of an explicit list)."""
        if self.values is not None:
            return float(min(self.values)), float(max(self.values))
        return float(self.lo), float(self.hi)


@dataclasses.dataclass(frozen=True)
class Grid:
    """A parsed, validated grid (see the module docstring)."""

    axes: tuple
    sample: str = "grid"
    num_samples: Optional[int] = None
    seed: Optional[int] = None
    objectives: tuple = ("energy", "latency", "area")
    color_by: Optional[str] = None
    source: str = "<dict>"

    @property
    def names(self) -> tuple:
        return tuple(a.name for a in self.axes)

    def size(self) -> int:
        if self.sample != "grid":
            return int(self.num_samples)
        return int(np.prod([len(a.grid_values()) for a in self.axes], dtype=np.int64))


def _snap(s: P.ParamSpec, x):
    x = np.asarray(x, float)
    return np.round(x) if s.kind == "int" else 2.0 ** np.round(np.log2(x))


def _check_value(s: P.ParamSpec, value: Any, config: Config) -> Any:
    """Validate one value of parameter ``s``; return it normalised (float or str)."""
    where = f"grid parameter {s.name!r}"
    if s.kind == "choice":
        if value not in s.choices:
            raise ConfigError(f"{where} = {value!r} is invalid: expected {s.range_text()}")
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ConfigError(f"{where} = {value!r} is invalid: expected {s.range_text()}")
    v = float(value)
    bad = v < s.lo or v > s.hi or (s.lo_open and v == s.lo)
    bad = bad or (s.discrete and not P.is_integer_valued(v))
    bad = bad or (s.kind == "pow2" and v > 0 and not P.is_integer_valued(math.log2(v)))
    if bad:
        raise ConfigError(f"{where} = {value!r} is out of range: expected {s.range_text()}")
    typed = int(v) if s.discrete else v
    for field in s.fields:  # the config section's own validation
        section, name = field.split(".")
        try:
            dataclasses.replace(getattr(config, section), **{name: typed})
        except ConfigError as err:
            raise ConfigError(f"{where} = {value!r} is invalid ({err})") from None
    return v


def _axis(name: str, entry: Any, config: Config) -> Axis:
    try:
        s = P.spec(name)
    except ValueError:
        raise ConfigError(
            f"grid parameter {name!r} is unknown; allowed parameters:\n{P.allowed_table()}") from None
    if not s.chip:
        raise ConfigError(f"grid parameter {name!r} changes the analog read of a trained network, not the chip: "
                          f"sweep it with 'cimjax evaluate --sweep {name}=...'")
    where = f"grid parameter {name!r}"
    if isinstance(entry, (list, tuple)):
        if not entry:
            raise ConfigError(f"{where}: empty list of values")
        values = tuple(_check_value(s, v, config) for v in entry)
        if len(set(values)) != len(values):
            raise ConfigError(f"{where}: repeated values in {list(entry)}")
        return Axis(s, values=values)
    if isinstance(entry, (int, float, str)) and not isinstance(entry, bool):
        return Axis(s, values=(_check_value(s, entry, config),))
    if not isinstance(entry, dict):
        raise ConfigError(f"{where} = {entry!r}: expected a list of values or a {{min, max[, num, scale]}} range")
    unknown = set(entry) - {"min", "max", "num", "scale"}
    if unknown or "min" not in entry or "max" not in entry:
        raise ConfigError(f"{where} = {entry!r}: a range needs 'min' and 'max' (optional 'num', 'scale'), "
                          f"got keys {sorted(entry)}")
    if s.kind == "choice":
        raise ConfigError(f"{where}: a choice takes a list of values, not a range")
    lo, hi = _check_value(s, entry["min"], config), _check_value(s, entry["max"], config)
    if lo > hi:
        raise ConfigError(f"{where}: empty range, min = {lo:g} > max = {hi:g}")
    num = entry.get("num")
    if num is not None and (isinstance(num, bool) or not isinstance(num, int) or num < 1):
        raise ConfigError(f"{where}: num = {num!r} is invalid: expected an integer ≥ 1 (empty range)")
    scale = entry.get("scale", "log" if s.log else "linear")
    if scale not in ("linear", "log"):
        raise ConfigError(f"{where}: scale = {scale!r} is invalid: expected 'linear' or 'log'")
    axis = Axis(s, lo=lo, hi=hi, num=num, scale=scale)
    if s.discrete and not axis.grid_values():
        raise ConfigError(f"{where}: empty range [{lo:g}, {hi:g}] holds no valid value")
    return axis


def parse_grid(d: dict, config: Config, source: str = "<dict>") -> Grid:
    """Validate a grid dict (module docstring) against ``config``; raise ``ConfigError`` naming
    the offending parameter or key."""
    if not isinstance(d, dict):
        raise ConfigError(f"{source}: a grid must be a mapping, got {type(d).__name__}")
    unknown = set(d) - set(_KEYS)
    if unknown:
        raise ConfigError(f"{source}: unknown grid key(s) {sorted(unknown)}: expected {', '.join(_KEYS)}")
    entries = d.get("parameters")
    if not isinstance(entries, dict) or not entries:
        raise ConfigError(f"{source}: 'parameters' must be a non-empty mapping of parameter → values")
    axes = tuple(_axis(n, e, config) for n, e in entries.items())
    names = [a.name for a in axes]
    if len(set(names)) != len(names):
        raise ConfigError(f"{source}: a parameter is named twice (by name and by config field?): {list(entries)}")
    for a, b in P.CONFLICTS:
        if a in names and b in names:
            raise ConfigError(f"{source}: grid parameters {a!r} and {b!r} both set the sub-array size; keep one")
    sample = d.get("sample", "grid")
    if sample not in SAMPLES:
        raise ConfigError(f"{source}: sample = {sample!r} is invalid: expected one of {SAMPLES}")
    num = d.get("num_samples")
    if sample != "grid" and (isinstance(num, bool) or not isinstance(num, int) or num < 1):
        raise ConfigError(f"{source}: sample = {sample!r} needs num_samples, an integer ≥ 1 (got {num!r})")
    seed = d.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        raise ConfigError(f"{source}: seed = {seed!r} is invalid: expected an integer ≥ 0")
    objectives = tuple(d.get("objectives", ("energy", "latency", "area")))
    for o in objectives:
        if o not in METRICS:
            raise ConfigError(f"{source}: objective {o!r} is unknown: expected some of {', '.join(METRICS)}")
    if len(objectives) < 1:
        raise ConfigError(f"{source}: objectives must name at least one metric")
    color_by = d.get("color_by")
    if color_by is not None and color_by not in names:
        raise ConfigError(f"{source}: color_by = {color_by!r} is not a grid parameter ({', '.join(names)})")
    grid = Grid(axes, sample, num, seed, objectives, color_by, source)
    if (sample != "grid" or all(a.expandable for a in axes)) and grid.size() > MAX_DESIGNS:
        raise ConfigError(f"{source}: the grid expands to {grid.size():,} designs, more than {MAX_DESIGNS:,}")
    return grid


def load_grid(path: str, config: Config) -> Grid:
    """Load and validate a ``.py`` (``GRID`` or ``get_grid()``) or ``.toml`` grid file."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"grid file {path!r} not found")
    if path.endswith(".toml"):
        with open(path, "rb") as f:
            try:
                d = tomllib.load(f)
            except tomllib.TOMLDecodeError as err:
                raise ConfigError(f"{path}: not valid TOML ({err})") from None
    elif path.endswith(".py"):
        spec = importlib.util.spec_from_file_location("cimjax_grid", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        if hasattr(module, "get_grid"):
            d = module.get_grid()
        elif hasattr(module, "GRID"):
            d = module.GRID
        else:
            raise ConfigError(f"{path}: defines neither GRID nor get_grid()")
    else:
        raise ConfigError(f"grid file {path!r}: expected a .py or .toml file")
    return parse_grid(d, config, source=path)


def points(grid: Grid, seed: int = 0) -> dict[str, np.ndarray]:
    """The designs of ``grid``: one array per parameter (floats, or strings for choices).

    ``sample="grid"``: the cartesian product, the last parameter varying fastest.
    ``"random"``: each parameter independently, uniform (log-uniform for ``scale="log"``) in
    its range or uniform over its list. ``"lhs"``: a Latin hypercube (one stratum per design
    and parameter, strata shuffled independently), mapped the same way. The randomness is a
    ``numpy.random.Generator`` seeded from ``grid.seed`` (else ``seed``).
    """
    if grid.sample == "grid":
        lists = [a.grid_values() for a in grid.axes]
        cols = list(zip(*itertools.product(*lists))) if lists else []
        return {a.name: _column(a, c) for a, c in zip(grid.axes, cols)}
    rng = np.random.default_rng(grid.seed if grid.seed is not None else seed)
    n = grid.num_samples
    out = {}
    for a in grid.axes:
        if grid.sample == "lhs":
            u = (rng.permutation(n) + rng.uniform(size=n)) / n
        else:
            u = rng.uniform(size=n)
        if a.values is not None or (a.spec.discrete and a.num is not None):
            vals = a.grid_values()
            out[a.name] = _column(a, [vals[i] for i in np.minimum((u * len(vals)).astype(int), len(vals) - 1)])
            continue
        lo, hi = a.lo, a.hi
        if a.spec.discrete:  # uniform over the valid integers / powers of two
            vals = a.grid_values()
            out[a.name] = np.asarray([vals[i] for i in np.minimum((u * len(vals)).astype(int), len(vals) - 1)])
        elif a.scale == "log":
            out[a.name] = np.exp(np.log(lo) + u * (np.log(hi) - np.log(lo)))
        else:
            out[a.name] = lo + u * (hi - lo)
    return out


def designs(grid: Grid, config: Config) -> dict[str, np.ndarray]:
    """The designs a sweep of ``grid`` evaluates for ``config``: :func:`points` (seeded from
    ``grid.seed``, else ``config.run.seed``), checked by :func:`check_points`."""
    pts = points(grid, seed=config.run.seed)
    check_points(pts, config)
    return pts


def _column(a: Axis, values) -> np.ndarray:
    return np.asarray(values, dtype=object if a.spec.kind == "choice" else float)


def check_points(pts: dict[str, np.ndarray], config: Config) -> None:
    """Cross-field rules on whole designs (vectorised): ``columns_per_adc ≤ subarray_cols``."""
    hw = config.hardware
    n = len(next(iter(pts.values()))) if pts else 0
    cols = pts.get("subarray_cols", pts.get("subarray_size", np.full(n, float(hw.subarray_cols))))
    cpa = pts.get("columns_per_adc", np.full(n, float(hw.columns_per_adc)))
    bad = np.flatnonzero(np.asarray(cpa, float) > np.asarray(cols, float))
    if bad.size:
        i = int(bad[0])
        raise ConfigError(f"grid parameter 'columns_per_adc' = {cpa[i]:g} exceeds the sub-array columns "
                          f"({cols[i]:g}) in {bad.size} design(s); restrict the grid")


if __name__ == "__main__":  # pragma: no cover
    print("grid parameters (name, valid range, meaning):\n" + P.allowed_table())
