"""Fit a device model to measured pulse-response data, by gradient (issue 20; docs/device_fit.md).

A measurement is a set of *sequences*, one per (device, cycle): the conductance read after each
pulse of one potentiation (LTP) segment and one depression (LTD) segment. This module

* reads and checks such a file (:func:`load_measurements`; every problem is an
  :class:`~cimjax.errors.InputError` naming the file, the row and the column);
* fits any registered model (:data:`MODELS`) to it: every read is predicted from the measured
  read before it by the model's expected step (the one-pulse-ahead loss, least squares in
  conductance; ``FitOptions(loss="trajectory")`` predicts every read from its cycle's first read
  instead), and the parameters (the conductance range ``G_min``/``G_max``, the step size, i.e. the
  number of states, the up/down asymmetry and the model's shape parameters) are fitted by Adam
  (optax) from several seeded starts, all starts vmapped in one compiled loop;
* fits each device: a step model once per device (its bounds, step, asymmetry, shape; the
  conductance mapping fixed), NeuroSim's curve jointly (one pair of labels per device, the range
  and the number of states shared: NeuroSim's d2d model);
* estimates the cycle-to-cycle noise from the residuals of the per-pulse increments (each
  measured increment against the model's expected step from the measured previous weight, with
  the device's own parameters), the device-to-device spread from the per-device values, and the
  uncertainties: the standard error over devices of a per-device parameter, a bootstrap over
  cycles (cycles resampled with replacement within each device, the fit repeated) otherwise.

Model-agnostic: a registry entry (:class:`FitModel`) needs only a one-pulse step function; the
trajectory is that step iterated with ``lax.scan``. Any :class:`~cimjax.devices.protocol.StepModel`
becomes an entry in one line with :func:`step_model_entry` (its own per-cell parameters, the
leaves of ``model.sample(key, ())``, are fitted too). NeuroSim's exponential curve is an entry
with a closed-form trajectory (:func:`cimjax.devices.nonlinear.weight_from_pulses`). The step
models of :mod:`cimjax.devices.steps` (linear, exponential, power, piecewise) are entries with
their shape parameters parameterised for what pulse data determine, fitted with the bounds first
held at the measured extremes (:attr:`FitModel.anchor`; docs/device_fit.md, "Identifiability").

Weights: the fitted conductance range maps onto ``w ∈ [−1, 1]`` (``w = −1`` at ``G_min``, ``+1``
at ``G_max``), the convention of :mod:`cimjax.devices.protocol` and :mod:`~cimjax.devices.nonlinear`.

Pure JAX and NumPy (plus :mod:`cimjax.fileio` / :mod:`cimjax.errors` for reading); no Flax, no
experiment config. The command line, the output files and the plot are in :mod:`cimjax.device_fit`.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from typing import Callable, NamedTuple, Optional

import numpy as np

import jax
import jax.numpy as jnp
import optax

from cimjax import fileio
from cimjax.devices import nonlinear
from cimjax.devices.nl_label import LABEL_TO_DEVIATION, max_deviation, nl_to_a_norm_continuous
from cimjax.devices.protocol import (Cells, ConstantStep, PulsedDevice, SoftBounds, StepModel, expected_step,
                                     up_down_scales)
from cimjax.devices.steps import ExpStep, LinearStep, PiecewiseStep, PowStep
from cimjax.errors import InputError, RunError

Array = jax.Array

# ============================================================================================
# Data

#: Required columns of a measurement file, and the optional ones.
COLUMNS = ("device", "cycle", "pulse", "direction", "conductance")
OPTIONAL_COLUMNS = ("voltage", "width")
#: Accepted spellings of the direction column (case-insensitive).
DIRECTIONS = {"ltp": 1, "ltd": -1}
#: Most pulses one segment may span (the simulated trajectory has this many steps).
MAX_SEGMENT_PULSES = 100_000


class Seqs(NamedTuple):
    """The sequences as padded arrays (a pytree; ``S`` sequences, ``M`` reads, ``T`` pulses).

    A read at pulse index ``p`` of the first segment is at step ``t = p``; of the second segment
    at ``t = len1 + p`` (``len1``: the first segment's last pulse index). Step ``t`` moves the
    weight from ``t − 1`` to ``t`` in direction ``dirs[t − 1]`` (0 before the first read and
    after the last pulse).
    """

    y: Array  # (S, M) conductance, normalised: (G − lo)/(hi − lo)
    valid: Array  # (S, M) bool: a read exists
    read_t: Array  # (S, M) int32 step index of each read
    y0: Array  # (S,) the first read (the trajectory's start)
    t0: Array  # (S,) its step index
    len1: Array  # (S,) step index of the first segment's last pulse
    d1: Array  # (S,) direction of the first segment (+1 LTP, −1 LTD)
    d2: Array  # (S,) direction of the second
    dirs: Array  # (S, T) direction of each step
    dev: Array  # (S,) int32 the sequence's device (index into Measurements.devices)


@dataclasses.dataclass(frozen=True)
class Measurements:
    """A checked measurement file (:func:`load_measurements`)."""

    path: str
    seqs: Seqs
    lo: float  # conductance normalisation, siemens: y = (G − lo)/(hi − lo)
    hi: float
    devices: tuple[str, ...]  # device ids in order of appearance
    seq_device: np.ndarray  # (S,) index into devices
    seq_cycle: tuple[str, ...]  # (S,) cycle label
    n_rows: int

    @property
    def n_seqs(self) -> int:
        return int(self.seq_device.shape[0])

    def g(self, y):
        """Normalised conductance → siemens."""
        return self.lo + np.asarray(y, np.float64) * (self.hi - self.lo)

    def device_masks(self) -> np.ndarray:
        """(D, S) float: 1 where a sequence belongs to the device."""
        return (self.seq_device[None, :] == np.arange(len(self.devices))[:, None]).astype(np.float32)

    def split(self) -> tuple[np.ndarray, np.ndarray]:
        """Held-out split (train, test) weights over sequences: in each device, the cycles in
        file order alternate train, test, train, ... (a device with one cycle is train only)."""
        train = np.ones(self.n_seqs, np.float32)
        for d in range(len(self.devices)):
            idx = np.flatnonzero(self.seq_device == d)
            train[idx[1::2]] = 0.0
        return train, 1.0 - train


def _err(path, row, column, text):
    where = f"row {row}" + (f", column {column}" if column else "")
    return InputError(f"{path}: {where}: {text}")


def parse_measurements(path: str, text: str) -> list[dict]:
    """The rows of a measurement file as dicts (``row`` = line number), each cell checked."""
    lines = [(i, line) for i, line in enumerate(text.splitlines(), 1) if line.strip()]
    if not lines:
        raise InputError(f"{path}: empty measurement file (expected a header row "
                         f"{','.join(COLUMNS)}, then one row per pulse)")
    (hrow, head), body = lines[0], lines[1:]
    header = [h.strip().lower() for h in head.split(",")]
    for name in COLUMNS:
        if name not in header:
            raise _err(path, hrow, None, f"missing column {name!r} (the header has {', '.join(header)}; "
                       f"required: {', '.join(COLUMNS)}; optional: {', '.join(OPTIONAL_COLUMNS)})")
    for name in header:
        if name not in COLUMNS + OPTIONAL_COLUMNS:
            raise _err(path, hrow, name, f"unknown column (allowed: {', '.join(COLUMNS + OPTIONAL_COLUMNS)})")
        if header.count(name) > 1:
            raise _err(path, hrow, name, "the column appears twice")
    if not body:
        raise InputError(f"{path}: no data rows after the header")
    rows = []
    for n, line in body:
        cells = [c.strip() for c in line.split(",")]
        if len(cells) != len(header):
            raise InputError(f"{path}: row {n} has {len(cells)} values, expected {len(header)} "
                             f"(one per column of the header)")
        rec = dict(zip(header, cells))
        out = {"row": n}
        if not rec["device"]:
            raise _err(path, n, "device", "empty device id")
        out["device"] = rec["device"]
        cyc = fileio.parse_int(rec["cycle"])
        if cyc is None:
            raise _err(path, n, "cycle", f"{rec['cycle'][:40]!r} is not an integer")
        out["cycle"] = cyc
        p = fileio.parse_int(rec["pulse"])
        if p is None or p < 0:
            raise _err(path, n, "pulse", f"{rec['pulse'][:40]!r} is not an integer ≥ 0")
        if p > MAX_SEGMENT_PULSES:
            raise _err(path, n, "pulse", f"{p} is above the most pulses of one segment, {MAX_SEGMENT_PULSES}")
        out["pulse"] = p
        d = DIRECTIONS.get(rec["direction"].lower())
        if d is None:
            raise _err(path, n, "direction", f"{rec['direction'][:40]!r} is unknown (expected LTP or LTD)")
        out["direction"] = d
        g = fileio.parse_number(rec["conductance"])
        if g is None:
            raise _err(path, n, "conductance", f"{rec['conductance'][:40]!r} is not a number")
        if not math.isfinite(g):
            raise _err(path, n, "conductance", f"{rec['conductance']!r} is not a finite number")
        if g < 0:
            raise _err(path, n, "conductance", f"{rec['conductance']!r} is negative (conductance in siemens, ≥ 0)")
        out["conductance"] = g
        for name in OPTIONAL_COLUMNS:
            if name in rec:
                x = fileio.parse_number(rec[name])
                if x is None or not math.isfinite(x):
                    raise _err(path, n, name, f"{rec[name][:40]!r} is not a finite number")
                out[name] = x
        rows.append(out)
    return rows


def measurements_from_rows(path: str, rows: list[dict]) -> Measurements:
    """Group checked rows into sequences and check their structure (one LTP and one LTD
    segment per (device, cycle), pulse indices increasing within a segment)."""
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        groups.setdefault((r["device"], r["cycle"]), []).append(r)
    devices: list[str] = []
    seqs = []
    for (dev, cyc), rs in groups.items():
        what = f"device {dev!r}, cycle {cyc}"
        segs: list[list[dict]] = []
        for r in rs:
            if segs and segs[-1][-1]["direction"] == r["direction"]:
                prev = segs[-1][-1]
                if r["pulse"] <= prev["pulse"]:
                    raise _err(path, r["row"], "pulse",
                               f"{r['pulse']} after {prev['pulse']} (row {prev['row']}): pulse indices must "
                               f"increase within a segment ({what}, {_dname(r['direction'])})")
                segs[-1].append(r)
            elif len(segs) == 2:
                raise _err(path, r["row"], "direction",
                           f"{_dname(r['direction'])} again after {_dname(segs[1][0]['direction'])} ({what}): "
                           f"a cycle is one LTP and one LTD segment; give the next cycle its own number")
            else:
                segs.append([r])
        if len(segs) < 2:
            missing = "LTD" if segs[0][0]["direction"] > 0 else "LTP"
            raise _err(path, rs[0]["row"], "direction",
                       f"the sequence of {what} (rows {rs[0]['row']}–{rs[-1]['row']}) has no {missing} pulses; "
                       f"every cycle needs an LTP and an LTD segment")
        for seg in segs:
            if seg[-1]["pulse"] < 1:
                raise _err(path, seg[0]["row"], "pulse",
                           f"the {_dname(seg[0]['direction'])} segment of {what} has no pulse ≥ 1")
        if dev not in devices:
            devices.append(dev)
        seqs.append((devices.index(dev), str(cyc), segs))

    S = len(seqs)
    M = max(len(s1) + len(s2) for _, _, (s1, s2) in seqs)
    T = max(s1[-1]["pulse"] + s2[-1]["pulse"] for _, _, (s1, s2) in seqs)
    g = np.zeros((S, M))
    valid = np.zeros((S, M), bool)
    read_t = np.zeros((S, M), np.int32)
    dirs = np.zeros((S, T), np.float32)
    t0 = np.zeros(S, np.int32)
    len1 = np.zeros(S, np.int32)
    d1 = np.zeros(S, np.float32)
    d2 = np.zeros(S, np.float32)
    for i, (_, _, (s1, s2)) in enumerate(seqs):
        n1 = s1[-1]["pulse"]
        ts = [r["pulse"] for r in s1] + [n1 + r["pulse"] for r in s2]
        k = len(ts)
        g[i, :k] = [r["conductance"] for r in s1 + s2]
        valid[i, :k] = True
        read_t[i, :k] = ts
        read_t[i, k:] = ts[-1]
        t0[i], len1[i] = ts[0], n1
        d1[i], d2[i] = s1[0]["direction"], s2[0]["direction"]
        dirs[i, ts[0]:n1] = d1[i]
        dirs[i, n1:ts[-1]] = d2[i]
    gv = g[valid]
    lo, hi = float(gv.min()), float(gv.max())
    if not hi > lo:
        raise InputError(f"{path}: every conductance is {lo!r}: nothing to fit (the device never moves)")
    y = np.where(valid, (g - lo) / (hi - lo), 0.0).astype(np.float32)
    s = Seqs(y=jnp.asarray(y), valid=jnp.asarray(valid), read_t=jnp.asarray(read_t), y0=jnp.asarray(y[:, 0]),
             t0=jnp.asarray(t0), len1=jnp.asarray(len1), d1=jnp.asarray(d1), d2=jnp.asarray(d2), dirs=jnp.asarray(dirs),
             dev=jnp.asarray(np.array([d for d, _, _ in seqs], np.int32)))
    return Measurements(path=path, seqs=s, lo=lo, hi=hi, devices=tuple(devices),
                        seq_device=np.array([d for d, _, _ in seqs], np.int32),
                        seq_cycle=tuple(c for _, c, _ in seqs), n_rows=len(rows))


def _dname(d) -> str:
    return "LTP" if d > 0 else "LTD"


def load_measurements(path: str) -> Measurements:
    """Read and check a measurement CSV (docs/device_fit.md: ``device,cycle,pulse,direction,
    conductance`` and optional ``voltage,width``; one row per read).

    Raises:
      InputError: naming the file, and the row and column where there is one: a missing or
        unknown column, a cell that is no number, a negative or non-finite conductance, an
        unknown direction, a pulse index that does not increase within a segment, a cycle
        without an LTD (or LTP) segment, a cycle with a third segment.
    """
    return measurements_from_rows(path, parse_measurements(path, fileio.read_text(path, "measurement file")))


# ============================================================================================
# Models


def _u(key, lo, hi):
    return jax.random.uniform(key, (), jnp.float32, lo, hi)


@dataclasses.dataclass(frozen=True)
class FitModel:
    """A fittable model.

    Attributes:
      name: registry name.
      init: ``init(key, n_seg) -> θ`` draws one start (a dict of unconstrained scalars; the
        common ``g_min`` and ``log_range`` are added by the fitter); ``n_seg`` is the median
        number of pulses of a segment.
      physical: ``physical(θ) -> dict`` of the model's parameters (weight units).
      step: ``step(p, w, d) -> w'``: the expected weight after one pulse of direction ``d``
        (±1) from ``w`` (before clipping to [−1, 1]); ``p = physical(θ)``.
      noise: ``relative`` (each step ×(1 + σξ): ``dw_min_std``) or ``additive`` (``+2σξ`` in
        weight units: NeuroSim's c2c σ as a fraction of the range).
      reads: optional closed form ``reads(p, w_from, t_from, seq) -> w``: the expected weight
        at every read of one sequence, from weight ``w_from`` at step ``t_from`` (arrays, one per
        read: the previous read for the one-pulse-ahead loss, the first read for the
        trajectory); default: ``step`` iterated by ``lax.scan``.
      states: ``states(p) -> float``: the number of states across the range.
      report: ``report(p) -> dict`` of the named parameters to print (weight units).
      bounds: the model has weight bounds ``w_min``/``w_max`` among its parameters (fixed at ±1
        in the pooled fit, where the conductance range sets the scale; fitted per device, with
        the pooled conductance mapping fixed, so each device's bounds, step and asymmetry come
        out in the protocol's units). Without bounds a per-device fit refits the conductance
        range instead.
      margin: where the random starts put the range's ends, as a fraction of the measured range
        outside it (negative: inside; a bound that starts outside every read gets no gradient
        from a model that clips at it).
      device_free: None: one fit per device (all but the conductance mapping move); else the θ
        names that take one value per device in a joint fit of all devices (the others shared).
      nominal: ``nominal(means) -> means``: the population's nominal values from the means of
        the per-device report values (e.g. the states from the mean step).
      penalty: ``penalty(th, n_seg)``: a weak prior added to the loss (normalised conductance²),
        for a direction the data may leave flat.
      step_model: the protocol step model of an entry made by :func:`step_model_entry`.
      anchor: fit first with the bounds held at the measured extremes (the pooled fit: the
        conductance mapping ``[G_min, G_max]`` = the measured range; per device: its bounds at the
        device's extremes), then release them. For a model whose shape decides whether a bound is
        reached (hard bounds with a shrinking step): with the bound beyond the data, a
        soft-bounds-like shape is a local minimum that starts with free bounds fall into.
      shape_names: its fitted shape parameters (reported names, ``shape.…``).
      make_model: ``make_model({name: value})``: the step model with fitted shape values.
    """

    name: str
    init: Callable
    physical: Callable
    step: Callable
    noise: str
    states: Callable
    report: Callable
    reads: Optional[Callable] = None
    bounds: bool = False
    margin: float = 0.1
    device_free: Optional[tuple] = None
    nominal: Optional[Callable] = None
    penalty: Optional[Callable] = None
    step_model: Optional[StepModel] = None
    shape_names: tuple = ()
    anchor: bool = False
    make_model: Optional[Callable] = None
    doc: str = ""

    @property
    def summary(self) -> str:
        """The first sentence of :attr:`doc`, on one line."""
        text = " ".join(self.doc.replace("``", "").split())
        return text.split(". ")[0].rstrip(".") if text else self.name


def _shape_leaves(model: StepModel):
    """The model's own per-cell parameters at their nominal values: (treedef, leaf shapes, names,
    values). A leaf with several values per cell (a piecewise model's nodes) becomes one scalar
    name per value, ``shape.up[0]``, ``shape.up[1]``, … (θ's (D,) leaves are per device)."""
    tree = model.sample(jax.random.PRNGKey(0), (), jnp.float32)
    leaves, treedef = jax.tree_util.tree_flatten(tree)
    paths = [jax.tree_util.keystr(p) for p, _ in jax.tree_util.tree_flatten_with_path(tree)[0]]
    names, values, shapes = [], [], []
    for i, (path, leaf) in enumerate(zip(paths, leaves)):
        base = "shape" + (path if path else f"[{i}]")
        leaf = np.asarray(leaf, np.float64)
        shapes.append(leaf.shape)
        if leaf.ndim == 0:
            names.append(base)
            values.append(float(leaf))
        else:
            for k, x in enumerate(leaf.reshape(-1)):
                names.append(f"{base}[{k}]")
                values.append(float(x))
    return treedef, tuple(shapes), tuple(names), tuple(values)


#: How a shape parameter is fitted (:func:`step_model_entry`'s ``kinds``): ``raw`` (θ itself),
#: ``log`` (``e^θ``, > 0), ``unit`` (``sigmoid(θ)``, in (0, 1)), ``node`` (``e^θ`` divided by the
#: mean over its leaf's values: piecewise nodes relative to their mean, so that ``dw_min`` and
#: ``up_down`` carry the scale), ``fixed`` (the model's value; not fitted, not reported).
SHAPE_KINDS = ("raw", "log", "unit", "node", "fixed")


def _to_theta(kind: str, v: float) -> float:
    if kind in ("log", "node"):
        return math.log(v)
    if kind == "unit":
        return math.log(v / (1.0 - v))
    return v


def step_model_entry(model: StepModel, *, margin: float = 0.1, doc: str = "", kinds: Optional[dict] = None,
                     anchor: bool = False, to_model: Optional[Callable] = None, report_extra: Optional[Callable] = None,
                     derived: Optional[tuple] = None) -> FitModel:
    """A :class:`FitModel` of any protocol :class:`StepModel`: the fitted ``dw_min`` (log),
    ``up_down`` (tanh) and the leaves of ``model.sample(key, ())`` (the model's shape
    parameters, started at their values in ``model``), bounds at ±1; the step is
    :func:`~cimjax.devices.protocol.expected_step`; c2c is relative (``dw_min_std``). ``margin``:
    :class:`FitModel` (negative for a model whose bounds are reached and clip, such as hard bounds).

    ``kinds``: leaf name (``shape.gamma_up``; a vector leaf's name without the index) → one of
    :data:`SHAPE_KINDS` (default ``raw``): how the leaf is parameterised, so that Adam's steps
    suit its scale and what the data cannot tell apart is bounded or fixed. ``to_model(values)``:
    the step model with fitted shape values (``{name: value}``, the reported nominal values) for
    the preset (default: ``model`` itself, for a model without shape parameters). ``anchor``:
    :attr:`FitModel.anchor`.
    ``report_extra(p)``: more named numbers to print (e.g. the model's own dataclass fields).
    ``derived = (starts, fn)``: shape leaves computed from other θ names instead (a
    better-conditioned parameterisation): ``starts(nominal) -> {θ name: start}`` from the nominal
    shape values, ``fn(th) -> {shape name: value}``; those leaves are reported, not in θ.
    """
    treedef, shapes, names, nominal = _shape_leaves(model)
    device = PulsedDevice(model=model)
    kinds = dict(kinds or {})
    for k in kinds:
        if not any(n == k or n.startswith(k + "[") for n in names):
            raise ValueError(f"step_model_entry: {k!r} is not a shape leaf of {model.name} ({', '.join(names)})")

    def kind_of(name):
        return kinds.get(name.split("[")[0], "raw")

    fitted = tuple(n for n in names if kind_of(n) != "fixed")
    fixed = {n: v for n, v in zip(names, nominal) if kind_of(n) == "fixed"}
    extra = derived[0](dict(zip(names, nominal))) if derived is not None else {}
    derived_names = set(derived[1]({k: jnp.float32(v) for k, v in extra.items()})) if derived is not None else set()
    start = {n: _to_theta(kind_of(n), v) for n, v in zip(names, nominal) if n in fitted and n not in derived_names}
    start.update(extra)

    def init(key, n_seg):
        ks = jax.random.split(key, 2 + len(start))
        th = {"log_dw": jnp.log(2.0 / n_seg) + _u(ks[0], -0.7, 0.7), "atanh_ud": _u(ks[1], -0.3, 0.3),
              "w_min": jnp.float32(-1.0), "w_max": jnp.float32(1.0)}
        for k, name in zip(ks[2:], start):
            v = start[name]
            raw = name in names and kind_of(name) == "raw"
            th[name] = v * jnp.exp(_u(k, -0.3, 0.3)) if raw else v + _u(k, -0.3, 0.3)
        return th

    def shape_values(th):
        """Physical value of every shape leaf name (a node group normalised to mean 1)."""
        out = dict(derived[1](th)) if derived is not None else {}
        for name in names:
            kind = kind_of(name)
            if name in out:
                continue
            if kind == "fixed":
                out[name] = jnp.float32(fixed[name])
            elif kind in ("log", "node"):
                out[name] = jnp.exp(th[name])
            elif kind == "unit":
                out[name] = jax.nn.sigmoid(th[name])
            else:
                out[name] = th[name]
        groups: dict = {}
        for name in names:
            if kind_of(name) == "node":
                groups.setdefault(name.split("[")[0], []).append(name)
        for group in groups.values():
            mean = sum(out[n] for n in group) / len(group)
            for n in group:
                out[n] = out[n] / mean
        return out

    def physical(th):
        p = {"dw_min": jnp.exp(th["log_dw"]), "up_down": jnp.tanh(th["atanh_ud"]), "w_min": th["w_min"],
             "w_max": th["w_max"]}
        p.update(shape_values(th))
        return p

    def shape_tree(p):
        leaves, i = [], 0
        for shp in shapes:
            n = int(np.prod(shp)) if shp else 1
            vals = [p[names[i + k]] for k in range(n)]
            i += n
            leaves.append(vals[0] if not shp else jnp.stack(vals).reshape(shp))
        return jax.tree_util.tree_unflatten(treedef, leaves)

    def cells(p):
        scale_up, scale_down = up_down_scales(p["up_down"])  # the protocol's one-sided rule
        return Cells(dw_min=p["dw_min"], scale_up=scale_up, scale_down=scale_down,
                     w_min=p["w_min"], w_max=p["w_max"], alive=jnp.bool_(True), reference=0.0 * p["dw_min"],
                     shape=shape_tree(p))

    def step(p, w, d):
        return w + expected_step(device, cells(p), w, d)

    def report(p):
        out = {"states": (p["w_max"] - p["w_min"]) / p["dw_min"], "dw_min": p["dw_min"], "up_down": p["up_down"]}
        out.update({n: p[n] for n in fitted})
        if report_extra is not None:
            out.update(report_extra(p))
        return out

    def nominal_values(means):
        return dict(means, states=2.0 / means["dw_min"])

    def make_model(values: dict):
        if to_model is None:
            return model
        return to_model({**fixed, **{n: float(values[n]) for n in fitted}})

    return FitModel(name=model.name, init=init, physical=physical, step=step, noise="relative",
                    states=lambda p: (p["w_max"] - p["w_min"]) / p["dw_min"], report=report, bounds=True,
                    margin=margin, nominal=nominal_values, step_model=model, shape_names=fitted, anchor=anchor,
                    make_model=make_model, doc=doc or type(model).__doc__ or "")


def a_norm_to_nl(a_norm):
    """Signed normalised curve constant ``A_n`` → NeuroSim's NL label (continuous inverse of
    :func:`cimjax.devices.nl_label.nl_to_a_norm`): ``NL = sign(A_n)·D(1/|A_n|)/(0.07·√2)``
    (docs/model.md §2.2). ``A_n = ±inf`` (linear) gives 0."""
    a = jnp.asarray(a_norm)
    return jnp.sign(a) * max_deviation(1.0 / jnp.abs(a)) / LABEL_TO_DEVIATION


def _neurosim_entry() -> FitModel:
    """NeuroSim's exponential conductance-versus-pulse curve (docs/model.md §2.1). LTP moves the pulse position up the
    ``A_LTP`` curve, LTD down the ``A_LTD`` curve, ``L = max_level`` pulses across the range; the
    trajectory in closed form (:func:`~cimjax.devices.nonlinear.weight_from_pulses` of the
    first read's pulse position plus the pulses since). Fitted: ``log L`` and the signed
    curvatures ``k = 1/A_n`` (0 = linear), reported as ``A_n`` and NL labels. c2c additive
    (NeuroSim's σ, a fraction of the range). Per-device fits move only the two labels (NeuroSim's
    d2d model: one Gaussian draw added to both labels, docs/model.md §2.6)."""
    W, P = nonlinear.weight_from_pulses, nonlinear.pulses_from_weight

    def init(key, n_seg):
        k1, k2, k3 = jax.random.split(key, 3)
        return {"log_L": jnp.log(1.0 * n_seg) + _u(k1, -0.3, 0.3), "k_ltp": _u(k2, -3.0, 3.0),
                "k_ltd": _u(k3, -3.0, 3.0)}

    def physical(th):
        L = jnp.exp(th["log_L"])
        return {"max_level": L, "a_ltp": L / th["k_ltp"], "a_ltd": L / th["k_ltd"],
                "k_ltp": th["k_ltp"], "k_ltd": th["k_ltd"]}

    def step(p, w, d):
        a = jnp.where(d > 0, p["a_ltp"], p["a_ltd"])
        return W(P(w, a, p["max_level"]) + d, a, p["max_level"])

    def reads(p, w_from, t_from, s):
        # from weight w_from at step t_from to each read: n1 pulses along the first segment's
        # curve (up to its end, len1), then n2 along the second's
        L = p["max_level"]
        a1 = jnp.where(s.d1 > 0, p["a_ltp"], p["a_ltd"])
        a2 = jnp.where(s.d2 > 0, p["a_ltp"], p["a_ltd"])
        n1 = jnp.maximum(jnp.minimum(s.read_t, s.len1) - t_from, 0).astype(w_from.dtype)
        n2 = jnp.maximum(s.read_t - jnp.maximum(t_from, s.len1), 0).astype(w_from.dtype)
        wb = jnp.clip(W(P(w_from, a1, L) + s.d1 * n1, a1, L), -1.0, 1.0)
        w2 = jnp.clip(W(P(wb, a2, L) + s.d2 * n2, a2, L), -1.0, 1.0)
        return jnp.where(n2 > 0, w2, wb)

    def report(p):
        return {"states": p["max_level"], "A_LTP": 1.0 / p["k_ltp"], "A_LTD": 1.0 / p["k_ltd"],
                "NL_LTP": a_norm_to_nl(1.0 / p["k_ltp"]), "NL_LTD": a_norm_to_nl(1.0 / p["k_ltd"])}

    def nominal(means):  # the curve constants of the mean labels
        out = dict(means)
        for lab, a in (("NL_LTP", "A_LTP"), ("NL_LTD", "A_LTD")):
            out[a] = float(nl_to_a_norm_continuous(jnp.float32(means[lab])))
        return out

    def penalty(th, n_seg):
        # The exponential curve is self-similar: data that never saturate leave (L, G_max) free
        # along a valley (a longer curve over a wider range, of which the data see the start).
        # NeuroSim's convention picks the end of the measured segment (L = its pulses, the
        # range its ends); this weak prior does, unless the data say otherwise (a 10 % longer
        # curve costs 1e-6 of the normalised mean squared error).
        return PENALTY_WEIGHT * (th["log_L"] - jnp.log(n_seg)) ** 2

    return FitModel(name="neurosim", init=init, physical=physical, step=step, noise="additive",
                    states=lambda p: p["max_level"], report=report, reads=reads, margin=0.03,
                    device_free=("k_ltp", "k_ltd"), nominal=nominal, penalty=penalty, doc=_neurosim_entry.__doc__)


#: Weight of the NeuroSim entry's prior on ``log L`` (normalised conductance² per unit log²).
PENALTY_WEIGHT = 1e-4


#: Nodes of the fitted piecewise step (4 sections over the range: a few measured step points).
PIECEWISE_NODES = 5


def _pow_fields(gamma_up, gamma_down):
    """PowStep's ``(pow_gamma, pow_up_down)`` of per-cell exponents without d2d: the inverse of its
    one-sided rule (``γ_up = pow_gamma·(1 + min(β, 0))``, ``γ_down = pow_gamma·(1 − max(β, 0))``)."""
    xp = jnp if isinstance(gamma_up, jax.Array) else np
    gamma = xp.maximum(gamma_up, gamma_down)
    beta = xp.where(gamma_up >= gamma_down, 1.0 - gamma_down / gamma, gamma_up / gamma - 1.0)
    return gamma, beta


def _pow_model(v):
    gamma, beta = (float(x) for x in _pow_fields(np.float64(v["shape.gamma_up"]), np.float64(v["shape.gamma_down"])))
    return PowStep(pow_gamma=gamma, pow_up_down=min(max(beta, -0.999), 0.999))


def _piecewise_model(v):
    n = PIECEWISE_NODES
    return PiecewiseStep(piecewise_up=tuple(v[f"shape.up[{k}]"] for k in range(n)),
                         piecewise_down=tuple(v[f"shape.down[{k}]"] for k in range(n)))


def _exp_z_ends():
    a, b = ExpStep().a, ExpStep().b  # fixed at aihwkit's values; z at the nominal bounds ∓1
    return -a + b, a + b


def _exp_starts(v):
    lo, hi = _exp_z_ends()
    return {"exp.log_q_up_lo": math.log(v["shape.A_up"]) + v["shape.gamma_up"] * lo,
            "exp.log_q_up_hi": math.log(v["shape.A_up"]) + v["shape.gamma_up"] * hi,
            "exp.log_q_down_lo": math.log(v["shape.A_down"]) - v["shape.gamma_down"] * lo,
            "exp.log_q_down_hi": math.log(v["shape.A_down"]) - v["shape.gamma_down"] * hi}


def _exp_shape(th):
    """ExpStep's ``A`` and ``γ`` from the exponential terms ``q = A·e^(±γ·z)`` at the nominal bounds
    (their logs are fitted: the step's relative size at either end of the range, uncorrelated,
    where ``A`` and ``γ`` themselves trade off along a narrow valley)."""
    lo, hi = _exp_z_ends()
    g_up = (th["exp.log_q_up_hi"] - th["exp.log_q_up_lo"]) / (hi - lo)
    g_down = (th["exp.log_q_down_lo"] - th["exp.log_q_down_hi"]) / (hi - lo)
    return {"shape.A_up": jnp.exp(th["exp.log_q_up_lo"] - g_up * lo), "shape.gamma_up": g_up,
            "shape.A_down": jnp.exp(th["exp.log_q_down_lo"] + g_down * lo), "shape.gamma_down": g_down}


_EXP_ENDS = (_exp_starts, _exp_shape)


def _step_entries() -> dict[str, FitModel]:
    """The step models of cimjax/devices/steps.py as fit entries; each parameterised so that what
    pulse data determine is fitted and what they do not is bounded or fixed (docs/device_fit.md,
    "Identifiability")."""
    linear = step_model_entry(
        LinearStep(gamma_up=0.5, gamma_down=0.5), margin=0.0, anchor=True,
        kinds={"shape.gamma_up": "unit", "shape.gamma_down": "unit"},
        to_model=lambda v: LinearStep(gamma_up=v["shape.gamma_up"], gamma_down=v["shape.gamma_down"]),
        doc="Linear step (aihwkit LinearStepDevice): the step shrinks linearly towards the bound it approaches, "
            "dw_min·s↑·(1 − γ↑·w/w_max) / dw_min·s↓·(1 − γ↓·w/w_min), γ fitted in (0, 1) (γ ≥ 1 is the same "
            "curve as γ = 1 with the bound at w_max/γ: a bound the device never reaches is not seen).")
    exp = step_model_entry(
        ExpStep(A_up=0.1, A_down=0.1, gamma_up=3.0, gamma_down=3.0), margin=0.0, anchor=True,
        kinds={"shape.a": "fixed", "shape.b": "fixed"}, derived=_EXP_ENDS,
        to_model=lambda v: ExpStep(**{k.split(".", 1)[1]: v[k] for k in v}),
        doc="Exponential step (aihwkit ExpStepDevice): dw_min·s↑·(1 − A↑·e^(γ↑·z)) / "
            "dw_min·s↓·(1 − A↓·e^(−γ↓·z)), z = 2a·w/(w_max − w_min) + b; A and γ fitted, a and b fixed at aihwkit's values (only γ·a and "
            "A·e^(±γ·b) change the step).")
    power = step_model_entry(
        PowStep(pow_gamma=1.0), margin=0.2, anchor=True, kinds={"shape.gamma_up": "log", "shape.gamma_down": "log"},
        to_model=_pow_model,
        report_extra=lambda p: dict(zip(("pow_gamma", "pow_up_down"),
                                        _pow_fields(p["shape.gamma_up"], p["shape.gamma_down"]))),
        doc="Power step (aihwkit PowStepDevice): dw_min·s↑·ω^γ↑ / dw_min·s↓·(1 − ω)^γ↓, "
            "ω = (w_max − w)/(w_max − w_min); the exponents fitted (reported also as pow_gamma and pow_up_down).")
    piecewise = step_model_entry(
        PiecewiseStep(piecewise_up=(1.0,) * PIECEWISE_NODES, piecewise_down=(1.0,) * PIECEWISE_NODES),
        margin=0.0, anchor=True,
        kinds={"shape.up": "node", "shape.down": "node"}, to_model=_piecewise_model,
        doc=f"Piecewise-linear step (aihwkit PiecewiseStepDevice): {PIECEWISE_NODES} node values per direction, "
            "evenly over [w_min, w_max], each direction's nodes relative to their mean (dw_min and up_down carry "
            "the scale).")
    return {"linear_step": linear, "exp_step": exp, "pow_step": power, "piecewise_step": piecewise}


#: The fittable models, by name. Adding one: ``MODELS["my_step"] = step_model_entry(MyStep())`` (``kinds``,
#: ``anchor``, ``to_model`` for a model with shape parameters, as in :func:`_step_entries`).
MODELS: dict[str, FitModel] = {
    "constant_step": step_model_entry(ConstantStep(), margin=-0.01),
    "soft_bounds": step_model_entry(SoftBounds(), margin=0.2),
    **_step_entries(),
    "neurosim": _neurosim_entry(),
}


# ============================================================================================
# The fit


@dataclasses.dataclass(frozen=True)
class FitOptions:
    """Optimiser settings (defaults sized for files of up to ~100 sequences × a few hundred pulses)."""

    starts: int = 8  # random starts of the pooled fit
    steps: int = 600  # Adam steps from a random start
    warm_steps: int = 300  # Adam steps of a warm-started refit (per device, bootstrap)
    lr: float = 0.05  # initial learning rate (decays ×0.02 exponentially over the steps)
    bootstrap: int = 24  # bootstrap replicates over cycles
    seed: int = 0
    loss: str = "one_step"  # or "trajectory" (every read predicted from its cycle's first read)


def _physical_all(entry: FitModel, th):
    p = entry.physical(th)
    p["g_min"] = th["g_min"]
    p["g_range"] = jnp.exp(th["log_range"])
    return p


def _bounds(p):
    return p.get("w_min", -1.0), p.get("w_max", 1.0)


def _to_w(p, y):
    return 2.0 * (y - p["g_min"]) / p["g_range"] - 1.0


def _seq_reads(entry: FitModel, p, s: Seqs, mode: str):
    """The model's expected weight at every read of one sequence (``s`` unbatched).

    ``mode = "one_step"``: each read predicted from the measured read before it (the pulses in
    between applied to it; the first read predicted as itself); ``"trajectory"``: every read
    predicted from the sequence's first read.
    """
    lo, hi = _bounds(p)
    w_meas = jnp.clip(_to_w(p, s.y), lo, hi)
    w0 = w_meas[0]
    if entry.reads is not None:
        if mode == "one_step":
            return entry.reads(p, jnp.concatenate([w0[None], w_meas[:-1]]),
                               jnp.concatenate([s.t0[None], s.read_t[:-1]]), s)
        return entry.reads(p, jnp.broadcast_to(w0, w_meas.shape), jnp.broadcast_to(s.t0, s.read_t.shape), s)
    T = s.dirs.shape[0]
    if mode == "one_step":  # the weight is reset to the measured one at every read
        where = jnp.where(s.valid, s.read_t, T + 1)
        reset = jnp.full((T + 1,), jnp.nan, w_meas.dtype).at[where].set(w_meas, mode="drop")[1:]
    else:
        reset = jnp.full((T,), jnp.nan, w_meas.dtype)

    def body(w, x):
        d, r = x
        w1 = jnp.where(d != 0, jnp.clip(entry.step(p, w, d), lo, hi), w)
        return jnp.where(jnp.isnan(r), w1, r), w1

    _, ws = jax.lax.scan(body, w0, (s.dirs, reset))
    traj = jnp.concatenate([w0[None], ws])
    return traj[s.read_t]


def per_sequence(th, seqs: Seqs):
    """θ for every sequence, (S,) leaves: a scalar leaf is shared, a (D,) leaf is per device."""
    S = seqs.y.shape[0]
    return {k: (jnp.asarray(v)[seqs.dev] if jnp.ndim(v) == 1 else jnp.broadcast_to(jnp.asarray(v), (S,)))
            for k, v in th.items()}


def predict(entry: FitModel, th, seqs: Seqs, mode: str = "trajectory"):
    """Predicted normalised conductance at every read, (S, M) (``mode``: :func:`_seq_reads`);
    ``th``'s leaves scalars (shared) or (D,) (per device, a joint fit)."""

    def one(t, s):
        p = _physical_all(entry, t)
        return p["g_min"] + 0.5 * (_seq_reads(entry, p, s, mode) + 1.0) * p["g_range"]

    return jax.vmap(one)(per_sequence(th, seqs), seqs)


def _loss(entry, th, seqs: Seqs, weights, mode, n_seg=None):
    """Weighted mean squared error over every read after each sequence's first (plus the
    model's penalty when ``n_seg`` is given)."""
    r = predict(entry, th, seqs, mode) - seqs.y
    m = (seqs.valid & (jnp.arange(seqs.y.shape[1]) > 0)[None, :]).astype(r.dtype) * weights[:, None]
    loss = jnp.sum(m * r * r) / jnp.maximum(jnp.sum(m), 1.0)
    if entry.penalty is not None and n_seg is not None:
        loss = loss + entry.penalty(th, n_seg)
    return loss


@functools.partial(jax.jit, static_argnames=("entry", "mode"))
def _fit_batch(entry: FitModel, th0, seqs: Seqs, weights, free, n_steps, lr, mode, n_seg, tie):
    """Adam from each start ``th0[b]`` on the data weighted by ``weights[b]`` (vmapped); only
    the parameters with ``free[name] = 1`` move; ``tie = 1`` moves a per-device leaf by its mean
    gradient (all devices alike: a pooled fit in the joint fit's shape, so both share one compile)."""
    adam = optax.scale_by_adam()

    def one(th, wts):
        grad = jax.grad(lambda t: _loss(entry, t, seqs, wts, mode, n_seg))

        def body(i, c):
            t, st = c
            g = jax.tree_util.tree_map(lambda x: jnp.where(jnp.isfinite(x), x, 0.0), grad(t))
            g = jax.tree_util.tree_map(
                lambda x: tie * jnp.broadcast_to(jnp.mean(x), x.shape) + (1.0 - tie) * x if x.ndim else x, g)
            upd, st = adam.update(g, st)
            rate = lr * jnp.power(0.02, i / n_steps)
            return jax.tree_util.tree_map(lambda a, u, f: a - rate * f * u, t, upd, free), st

        th, _ = jax.lax.fori_loop(0, n_steps, body, (th, adam.init(th)))
        loss = _loss(entry, th, seqs, wts, mode)
        return th, jnp.where(jnp.isfinite(loss), loss, jnp.inf)

    return jax.vmap(one)(th0, weights)


def _chunked_fit(entry, th0, seqs, weights, free, n_steps, lr, chunk, mode, tie=0.0):
    """:func:`_fit_batch` in batches of ``chunk`` (padded), so every call has one compiled shape."""
    n = weights.shape[0]
    ths, losses = [], []
    free = {k: jnp.float32(free.get(k, 1.0)) for k in th0}
    for i in range(0, n, chunk):
        idx = np.minimum(np.arange(i, i + chunk), n - 1)
        t, l = _fit_batch(entry, jax.tree_util.tree_map(lambda x: jnp.asarray(np.asarray(x)[idx]), th0), seqs,
                          jnp.asarray(weights[idx]), free, n_steps, lr, mode,
                          jnp.float32(_n_seg_of(seqs)), jnp.float32(tie))
        ths.append(jax.tree_util.tree_map(lambda x: np.asarray(x)[: min(chunk, n - i)], t))
        losses.append(np.asarray(l)[: min(chunk, n - i)])
    th = jax.tree_util.tree_map(lambda *xs: np.concatenate(xs), *ths)
    return th, np.concatenate(losses)


def _starts(entry, key, n, n_seg):
    keys = jax.random.split(key, n)

    def one(k):
        k1, k2, k3 = jax.random.split(k, 3)
        th = entry.init(k3, n_seg)
        u1, u2 = _u(k1, 0.0, 1.0), _u(k2, 0.0, 1.0)
        th["g_min"] = -entry.margin * u1
        th["log_range"] = jnp.log(1.0 + entry.margin * (u1 + u2))
        return th

    return jax.tree_util.tree_map(np.asarray, jax.vmap(one)(keys))


def _pooled_free(entry) -> dict:
    return {"w_min": 0.0, "w_max": 0.0} if entry.bounds else {}


def _device_free(entry, names) -> dict:
    return {"g_min": 0.0, "log_range": 0.0}


def _device_starts(entry, m: Measurements, th, weights):
    """(D,) starts of the per-device fits: ``th`` (pooled) for every device, with a model's
    bounds at the device's measured extremes in the weighted sequences (± the entry's margin of
    the pooled range)."""
    D = len(m.devices)
    out = _stack(th, D)
    if entry.bounds:
        y, valid = np.asarray(m.seqs.y, np.float64), np.asarray(m.seqs.valid)
        g0, rng = float(th["g_min"]), float(np.exp(th["log_range"]))
        for d in range(D):
            yd = y[((m.seq_device == d) & (np.asarray(weights) > 0))[:, None] & valid]
            if yd.size == 0:
                continue
            out["w_min"][d] = 2.0 * (yd.min() - g0) / rng - 1.0 - 2.0 * entry.margin
            out["w_max"][d] = 2.0 * (yd.max() - g0) / rng - 1.0 + 2.0 * entry.margin
    return out


def _recentre(th, dev_th):
    """The mapping (pooled ``th``) moved so that the devices' mean bounds are ±1, and the
    per-device θ expressed in it (bounds and step exactly; shape leaves unchanged)."""
    lo, hi = float(np.mean(dev_th["w_min"])), float(np.mean(dev_th["w_max"]))
    c, h = 0.5 * (lo + hi), 0.5 * (hi - lo)
    rng = float(np.exp(th["log_range"]))
    th = dict(th, g_min=np.float32(float(th["g_min"]) + 0.5 * (lo + 1.0) * rng), log_range=np.float32(np.log(rng * h)))
    dev = dict(dev_th)
    dev["w_min"] = ((dev_th["w_min"] - c) / h).astype(np.float32)
    dev["w_max"] = ((dev_th["w_max"] - c) / h).astype(np.float32)
    dev["log_dw"] = (dev_th["log_dw"] - np.log(h)).astype(np.float32)
    dev["g_min"] = np.full_like(dev_th["g_min"], th["g_min"])
    dev["log_range"] = np.full_like(dev_th["log_range"], th["log_range"])
    return th, dev


@functools.partial(jax.jit, static_argnames=("entry",))
def _increments(entry: FitModel, th, seqs: Seqs):
    """Per-pulse increments of every sequence, with per-sequence parameters (``th`` leaves
    (S,)): (measured Δw, expected Δw, previous w, usable, lower bound, upper bound), (S, M − 1)
    each (bounds (S, 1)). Usable: two reads one pulse apart."""

    def one(t, s):
        p = _physical_all(entry, t)
        lo, hi = _bounds(p)
        w = _to_w(p, s.y)
        w_prev, w_next = w[:-1], w[1:]
        ok = (s.read_t[1:] == s.read_t[:-1] + 1) & s.valid[1:] & s.valid[:-1]
        d = s.dirs[jnp.clip(s.read_t[1:] - 1, 0, s.dirs.shape[0] - 1)]
        wc = jnp.clip(w_prev, lo, hi)
        e = entry.step(p, wc, d) - wc
        one_ = jnp.ones(1, w.dtype)
        return w_next - w_prev, e, w_prev, ok & (d != 0), lo * one_, hi * one_

    return jax.vmap(one)(th, seqs)


def _c2c_from(noise: str, inc, weights) -> float:
    """Cycle-to-cycle σ from the increments' residuals ``r = Δw_measured − Δw_expected`` (the
    expected step taken from the *measured* previous weight, so errors do not accumulate).

    ``relative``: ``σ² = Σr²/Σe²`` (steps ``e(1 + σξ)``); ``additive``: ``σ = rms(r)/2``
    (NeuroSim: ``N(0, (2σ)²)`` in weight units). Left out: pulses that may have been clipped at
    a bound (from or to a weight within ``3·s`` of a fitted bound, or whose expected step ends
    there; ``s`` a robust first estimate of the spread), and outliers beyond ``4·s`` of the
    median residual (a clipped pulse at a bound the fit placed too far out). The 4-σ trim
    removes 0.006 % of a Gaussian: no correction needed.
    """
    dm, e, w_prev, ok, lo, hi = inc
    wt = np.broadcast_to(np.asarray(weights, np.float64)[:, None], dm.shape)
    r = dm - e
    z = r / np.where(e == 0, np.inf, e) if noise == "relative" else r
    sel = ok & (wt > 0) & (z != 0 if noise == "relative" else True)
    if sel.sum() < 3:
        return float("nan")
    s_z = 1.4826 * np.median(np.abs(z[sel] - np.median(z[sel])))
    s = s_z * np.median(np.abs(e[sel])) if noise == "relative" else s_z
    margin = 3.0 * s + 1e-6
    for w in (w_prev, w_prev + dm, w_prev + e):
        sel = sel & (w > lo + margin) & (w < hi - margin)
    sel = sel & (np.abs(z - np.median(z[sel] if sel.any() else z)) < 4.0 * s_z + 1e-12)
    if sel.sum() < 3:
        return float("nan")
    if noise == "relative":
        return float(np.sqrt(np.sum(wt[sel] * r[sel] ** 2) / np.sum(wt[sel] * e[sel] ** 2)))
    return float(np.sqrt(np.sum(wt[sel] * r[sel] ** 2) / np.sum(wt[sel])) / 2.0)


class Param(NamedTuple):
    """One fitted number: value, uncertainty (NaN when there is none), unit and how it was had."""

    value: float
    err: float
    unit: str
    how: str


@dataclasses.dataclass
class FitResult:
    """The outcome of :func:`fit` for one model."""

    model: str
    params: dict[str, Param]  # printed in this order
    theta: dict  # pooled unconstrained parameters (NumPy scalars)
    device_theta: dict  # per-device fits, each leaf (D,) (empty with one device)
    c2c: float  # dw_min_std (relative) or NeuroSim's c2c σ (additive)
    rmse: float  # RMSE of the fitted prediction (options.loss) over every read after a cycle's first, siemens
    rmse_trajectory: float  # RMSE of the trajectory from each cycle's first read (c2c accumulates), siemens
    heldout_rmse: float  # rmse on held-out cycles of a fit to the others, siemens (NaN: one cycle per device)
    loss: str  # options.loss
    n_seqs: int
    n_reads: int
    devices: tuple[str, ...]
    noise: str


_predict = jax.jit(predict, static_argnames=("entry", "mode"))


def _rmse_si(entry, th, m: Measurements, weights, mode="one_step") -> float:
    th = jax.tree_util.tree_map(jnp.asarray, th)
    r = np.asarray(_predict(entry, th, m.seqs, mode) - m.seqs.y, np.float64)
    mask = np.asarray(m.seqs.valid) & (np.arange(r.shape[1]) > 0)[None, :]
    wt = mask * np.asarray(weights, np.float64)[:, None]
    if wt.sum() == 0:
        return float("nan")
    return float(np.sqrt(np.sum(wt * r * r) / np.sum(wt)) * (m.hi - m.lo))


def _bootstrap_weights(m: Measurements, rng: np.random.Generator, n: int) -> np.ndarray:
    """(n, S) multiplicities: cycles resampled with replacement within each device (over all
    sequences when some device has a single cycle)."""
    S = m.n_seqs
    out = np.zeros((n, S), np.float32)
    groups = [np.flatnonzero(m.seq_device == d) for d in range(len(m.devices))]
    if min(len(g) for g in groups) < 2:
        groups = [np.arange(S)]
    for i in range(n):
        for g in groups:
            np.add.at(out[i], rng.choice(g, size=len(g), replace=True), 1.0)
    return out


def _seq_theta(th, m: Measurements):
    """θ per sequence as NumPy (S,) leaves: a (D,) leaf by the sequence's device, a scalar shared."""
    S = m.n_seqs
    return {k: (np.asarray(v)[m.seq_device] if np.ndim(v) == 1 else np.full(S, np.asarray(v))) for k, v in th.items()}


def _take(th, i):
    return jax.tree_util.tree_map(lambda x: np.asarray(x)[i], th)


def _stack(th, n):
    return jax.tree_util.tree_map(lambda x: np.repeat(np.asarray(x)[None], n, axis=0), th)


def _n_seg_of(seqs: Seqs) -> float:
    """The median number of pulses of a segment."""
    seg = np.concatenate([np.asarray(seqs.len1 - seqs.t0), np.asarray(seqs.read_t[:, -1] - seqs.len1)])
    return float(max(np.median(seg), 2.0))


def _n_seg(m: Measurements) -> float:
    return _n_seg_of(m.seqs)


def _pooled_fit(entry, m: Measurements, weights, key, options: FitOptions):
    """Best of ``options.starts`` random starts on the sequences weighted by ``weights``. A
    joint model (:attr:`FitModel.device_free`) is fitted with its per-device leaves tied first,
    then untied from the best start (the same compiled function)."""
    K = max(int(options.starts), 1)
    th0 = _starts(entry, key, K, _n_seg(m))
    joint = entry.device_free is not None
    if joint:  # these leaves one per device, from the same start
        D = len(m.devices)
        th0 = {k: (np.repeat(v[:, None], D, axis=1) if k in entry.device_free else v) for k, v in th0.items()}
    w = np.repeat(np.asarray(weights, np.float32)[None], K, 0)
    if entry.anchor:  # the bounds first held at the measured extremes, then released (FitModel.anchor)
        th0 = dict(th0, g_min=np.zeros(K, np.float32), log_range=np.zeros(K, np.float32))
        th0, _ = _chunked_fit(entry, th0, m.seqs, w, dict(_pooled_free(entry), g_min=0.0, log_range=0.0),
                              options.steps, options.lr, K, options.loss)
        th, loss = _chunked_fit(entry, th0, m.seqs, w, _pooled_free(entry), options.warm_steps, options.lr * 0.3, K,
                                options.loss)
    else:
        th, loss = _chunked_fit(entry, th0, m.seqs, w, _pooled_free(entry), options.steps, options.lr, K,
                                options.loss, tie=1.0 if joint else 0.0)
    if not np.isfinite(loss).any():
        raise RunError(f"{m.path}: the {entry.name} fit failed: no start gave a finite loss")
    best = _take(th, int(np.argmin(loss)))
    if joint:
        th, _ = _chunked_fit(entry, _stack(best, 1), m.seqs, w[:1], _pooled_free(entry), options.steps, options.lr,
                             K, options.loss)
        best = _take(th, 0)
    return best


def _population_fit(entry, m: Measurements, weights, key, options: FitOptions):
    """The pooled fit and, with several devices, each device's parameters: ``(best, dev_th)``,
    ``dev_th`` None for one device, else (D,) leaves.

    A joint model's per-device leaves come from its fit. Otherwise one fit per device, warm
    started from the pooled fit: for a model with bounds, each device's bounds, step, asymmetry
    and shape in the pooled weight units; then once more after the mapping is moved so that the
    devices' mean bounds are ±1 (the protocol's nominal bounds)."""
    best = _pooled_fit(entry, m, weights, key, options)
    D = len(m.devices)
    if D == 1:
        return best, None
    if entry.device_free is not None:
        return best, {k: np.broadcast_to(v, (D,)).copy() for k, v in best.items()}
    chunk = max(int(options.starts), 1)
    masks = m.device_masks() * np.asarray(weights, np.float32)[None]
    free = _device_free(entry, list(best))
    dev_th = _device_starts(entry, m, best, weights)
    if entry.anchor:
        # The pooled shape is biased by the devices' different bounds (a bound the pooled fit
        # misplaces costs every saturated read of a device, so its shape turns soft-bounds-like
        # to avoid clipping): a full fit per device with its bounds held at its measured
        # extremes first, then the warm refit below with them free.
        dev_th, _ = _chunked_fit(entry, dev_th, m.seqs, masks, dict(free, w_min=0.0, w_max=0.0), options.steps,
                                 options.lr, chunk, options.loss)
    dev_th, _ = _chunked_fit(entry, dev_th, m.seqs, masks, free, options.warm_steps, options.lr * 0.3, chunk,
                             options.loss)
    if entry.bounds:
        best, dev_th = _recentre(best, dev_th)
        dev_th, _ = _chunked_fit(entry, dev_th, m.seqs, masks, free, options.warm_steps, options.lr * 0.1, chunk,
                                 options.loss)
    return best, dev_th


def fit(m: Measurements, model: str, options: FitOptions = FitOptions(), *, heldout: bool = True,
        uncertainty: bool = True) -> FitResult:
    """Fit ``model`` (a :data:`MODELS` name) to ``m``; see the module docstring for how.

    Raises:
      InputError: unknown model name.
      RunError: no start of the pooled fit gave a finite loss.
    """
    if model not in MODELS:
        raise InputError(f"--model = {model!r} is unknown (expected one of {', '.join(MODELS)} or all)")
    entry = MODELS[model]
    seqs = m.seqs
    S, D = m.n_seqs, len(m.devices)
    chunk = max(int(options.starts), 1)
    k_pool, k_train = jax.random.split(jax.random.PRNGKey(int(options.seed)))
    rng = np.random.default_rng(int(options.seed))
    ones = np.ones(S, np.float32)

    # 1. the fit (pooled, then per device); the held-out error of the same fit to alternate cycles
    best, dev_th = _population_fit(entry, m, ones, k_pool, options)
    fitted = dev_th if dev_th is not None else best
    rmse = _rmse_si(entry, fitted, m, ones, options.loss)
    rmse_traj = _rmse_si(entry, fitted, m, ones, "trajectory")
    heldout_rmse = float("nan")
    train, test = m.split()
    if heldout and test.sum() > 0:
        b, d = _population_fit(entry, m, train, k_train, options)
        heldout_rmse = _rmse_si(entry, d if d is not None else b, m, test, options.loss)

    # 2. c2c from the increments, each sequence with its own device's parameters
    seq_th = _seq_theta(dev_th if dev_th is not None else best, m)
    inc = [np.asarray(x) for x in _increments(entry, jax.tree_util.tree_map(jnp.asarray, seq_th), seqs)]
    inc[3] = inc[3].astype(bool)
    c2c = _c2c_from(entry.noise, inc, ones)

    # 3. bootstrap over cycles: the pooled fit refitted (warm) on each replicate; c2c re-estimated
    R = int(options.bootstrap) if uncertainty else 0
    boot_th, boot_c2c = None, np.array([])
    if R >= 2:
        wb = _bootstrap_weights(m, rng, R)
        boot_th, _ = _chunked_fit(entry, _stack(best, R), seqs, wb, _pooled_free(entry), options.warm_steps,
                                  options.lr * 0.3, chunk, options.loss)
        boot_c2c = np.array([_c2c_from(entry.noise, inc, w) for w in wb])

    if D == 1:  # one device: its joint leaves are plain numbers
        best = {k: np.asarray(v).reshape(-1)[0] if np.ndim(v) == 1 else v for k, v in best.items()}
    if boot_th is not None:  # per-device leaves of a joint fit: their mean (their errors are over devices)
        boot_th = {k: (np.asarray(v).mean(axis=1) if np.ndim(v) == 2 else v) for k, v in boot_th.items()}
    params = _report_params(entry, m, best, boot_th, dev_th, c2c, boot_c2c)
    return FitResult(model=model, params=params, theta=best, device_theta=dev_th if dev_th is not None else {},
                     c2c=c2c, rmse=rmse, rmse_trajectory=rmse_traj, heldout_rmse=heldout_rmse,
                     loss=options.loss, n_seqs=S,
                     n_reads=int(np.asarray(seqs.valid).sum()), devices=m.devices, noise=entry.noise)


def _named(entry, m: Measurements, th) -> dict[str, np.ndarray]:
    """Every reported number of one fit (θ leaves scalars or arrays), physical units."""
    p = _physical_all(entry, jax.tree_util.tree_map(jnp.asarray, th))
    span = m.hi - m.lo
    lo, hi = (np.asarray(b, np.float64) for b in _bounds(p))
    g0, rng = np.asarray(p["g_min"], np.float64), np.asarray(p["g_range"], np.float64)
    out = {"G_min": m.lo + (g0 + 0.5 * (lo + 1.0) * rng) * span, "G_max": m.lo + (g0 + 0.5 * (hi + 1.0) * rng) * span}
    out.update({k: np.asarray(v, np.float64) for k, v in entry.report(p).items()})
    out["w_min"] = lo + 0.0 * g0
    out["w_max"] = hi + 0.0 * g0
    return out


def _report_params(entry, m, best, boot_th, dev_th, c2c, boot_c2c) -> dict[str, Param]:
    """The printed parameters. One device: the pooled fit ± the bootstrap over cycles. Several:
    each number that the per-device fits move is the mean over the devices (the population's
    nominal value, :attr:`FitModel.nominal`) ± its standard error over the devices
    (σ_devices/√D); the others (a NeuroSim curve's range and states) the pooled fit ± the
    bootstrap over cycles."""
    val = _named(entry, m, best)
    boot = _named(entry, m, boot_th) if boot_th is not None else None
    dev = _named(entry, m, dev_th) if dev_th is not None else None
    how_boot = "bootstrap over cycles" if boot is not None else "none"
    if dev is not None:
        D = len(m.devices)
        moved = {k for k, v in dev.items() if np.ptp(v) > 0}
        means = {k: float(np.mean(v)) for k, v in dev.items()}
        nominal = entry.nominal(means) if entry.nominal is not None else means
        nominal = {k: (nominal[k] if k in moved or (k == "states" and entry.bounds) else float(val[k])) for k in val}
    units = {"G_min": "S", "G_max": "S"}
    out: dict[str, Param] = {}
    for k in val:
        if k in ("w_min", "w_max"):
            continue  # ±1 by definition (the mapping)
        if dev is not None and (k in moved or (k == "states" and entry.bounds)):
            x = dev[k] if k != "states" else dev["states"]
            out[k] = Param(nominal[k], float(np.std(x, ddof=1) / math.sqrt(D)), units.get(k, ""),
                           f"mean of {D} per-device fits ± σ/√D")
        else:
            err = float(np.std(boot[k], ddof=1)) if boot is not None else float("nan")
            out[k] = Param(float(nominal[k] if dev is not None else val[k]), err, units.get(k, ""),
                           "pooled fit ± " + how_boot)
    c2c_name = "dw_min_std" if entry.noise == "relative" else "c2c_sigma"
    ok = boot_c2c[np.isfinite(boot_c2c)]
    c2c_err = float(np.std(ok, ddof=1)) if ok.size > 1 else float("nan")
    out[c2c_name] = Param(c2c, c2c_err, "", "increment residuals ± bootstrap over cycles")
    if dev is not None:
        out.update(_d2d(entry, m, best, dev_th))
    return out


def _rel_std(x):
    x = np.asarray(x, np.float64)
    return float(np.std(x, ddof=1) / abs(np.mean(x)))


def _d2d(entry, m: Measurements, best, dev_th) -> dict[str, Param]:
    """Device-to-device spreads from the per-device fits, in the protocol's conventions
    (relative σ of the step gain and of the bounds, absolute σ of the asymmetry term ``r`` and of
    the NL labels; :func:`cimjax.devices.protocol.sample_cells`).
    Uncertainty: the normal-theory standard error of a σ from D devices, σ/√(2(D − 1))."""
    dev = _named(entry, m, dev_th)
    D = len(m.devices)
    se = 1.0 / math.sqrt(2.0 * (D - 1))
    how = f"per-device fits (D = {D}); ± σ/√(2(D−1))"
    if entry.bounds:  # the per-device fits are in the pooled weight units, bounds fitted
        # Each device's up and down steps U_i, D_i split into the protocol's gain g_i and
        # asymmetry term r_i (sample_cells: U = dw·g·(s↑ + r), D = dw·g·(s↓ − r) with the
        # nominal one-sided scales s↑, s↓ of the mean steps' ratio): g_i·dw = (U_i + D_i)/(s↑ + s↓).
        dw = np.asarray(dev["dw_min"], np.float64)
        su, sd = (np.asarray(x, np.float64) for x in up_down_scales(np.asarray(dev["up_down"], np.float64)))
        up, down = dw * su, dw * sd
        ratio = down.mean() / up.mean()
        su0, sd0 = (1.0, ratio) if ratio <= 1.0 else (1.0 / ratio, 1.0)
        gain = (up + down) / (su0 + sd0)
        r = up / gain - su0
        vals = {"dw_min_dtod": _rel_std(gain), "up_down_dtod": float(np.std(r, ddof=1)),
                "w_min_dtod": _rel_std(dev["w_min"]), "w_max_dtod": _rel_std(dev["w_max"])}
        for k in dev:
            if k.startswith("shape"):
                vals[k + "_dtod"] = _rel_std(dev[k])
    else:  # NeuroSim: the labels per device
        nl_p, nl_d = dev["NL_LTP"], dev["NL_LTD"]
        vals = {"d2d_sigma": float(np.sqrt(0.5 * (np.var(nl_p, ddof=1) + np.var(nl_d, ddof=1)))),
                "NL_LTP_dtod": float(np.std(nl_p, ddof=1)), "NL_LTD_dtod": float(np.std(nl_d, ddof=1))}
    return {k: Param(v, v * se, "", how) for k, v in vals.items()}


# ============================================================================================
# Model comparison, simulation, presets


def compare(m: Measurements, names=None, options: FitOptions = FitOptions()) -> list[tuple[str, float, float]]:
    """Every model's held-out RMSE (fitted as :func:`fit` does, pooled then per device, on
    alternate cycles of each device, tested on the others) and its RMSE on the fitted cycles: ``[(name, heldout_rmse, train_rmse)]`` in
    siemens, best (lowest held-out RMSE) first.

    Raises:
      InputError: no device has two cycles (nothing to hold out).
    """
    train, test = m.split()
    if test.sum() == 0:
        raise InputError(f"{m.path}: --model all ranks the models by held-out cycles, but no device has two "
                         f"cycles; fit one model with --model NAME")
    key = jax.random.split(jax.random.PRNGKey(int(options.seed)))[1]  # the key fit() uses for its held-out fit
    rows = []
    for name in names or list(MODELS):
        entry = MODELS[name]
        best, dev = _population_fit(entry, m, train, key, options)
        th = dev if dev is not None else best
        rows.append((name, _rmse_si(entry, th, m, test, options.loss), _rmse_si(entry, th, m, train, options.loss)))
    return sorted(rows, key=lambda r: (not np.isfinite(r[1]), r[1]))


@functools.partial(jax.jit, static_argnames=("entry", "n"))
def simulate(entry: FitModel, th, c2c, seqs: Seqs, key, *, n: int):
    """``n`` noisy runs of the model from each sequence's first read: (n, S, M) normalised
    conductance at the reads (relative c2c ``e·(1 + σξ)`` or additive ``+2σξ`` per pulse,
    clipped to the bounds), for the c2c band of the plot. ``th``: :func:`per_sequence`."""

    def run(t, s, k):
        p = _physical_all(entry, t)
        lo, hi = _bounds(p)
        w0 = jnp.clip(_to_w(p, s.y0), lo, hi)
        xi = jax.random.normal(k, s.dirs.shape)

        def body(w, dx):
            d, z = dx
            e = entry.step(p, w, d) - w
            e = e * (1.0 + c2c * z) if entry.noise == "relative" else e + 2.0 * c2c * z
            w1 = jnp.where(d != 0, jnp.clip(w + e, lo, hi), w)
            return w1, w1

        _, ws = jax.lax.scan(body, w0, (s.dirs, xi))
        w = jnp.concatenate([w0[None], ws])[s.read_t]
        return p["g_min"] + 0.5 * (w + 1.0) * p["g_range"]

    th_s = per_sequence(th, seqs)
    S = seqs.y.shape[0]
    keys = jax.random.split(key, n * S).reshape(n, S, -1)
    return jax.vmap(lambda kk: jax.vmap(run)(th_s, seqs, kk))(keys)


def curves(m: Measurements, result: "FitResult", n: int = 64, seed: int = 0) -> dict:
    """What the plot draws, in siemens: the measured reads, the model's expected trajectory
    from each cycle's first read (each device's own fit where there are several) and the
    16th/84th percentiles of ``n`` noisy runs (the c2c band). Arrays (S, M); ``valid`` masks."""
    entry = MODELS[result.model]
    th = result.device_theta or result.theta
    th = jax.tree_util.tree_map(jnp.asarray, th)
    mean = np.asarray(_predict(entry, th, m.seqs, "trajectory"))
    runs = np.asarray(simulate(entry, th, jnp.float32(np.nan_to_num(result.c2c)), m.seqs, jax.random.PRNGKey(seed), n=n))
    return {"t": np.asarray(m.seqs.read_t), "valid": np.asarray(m.seqs.valid), "measured": m.g(m.seqs.y),
            "model": m.g(mean), "lo": m.g(np.percentile(runs, 16, axis=0)), "hi": m.g(np.percentile(runs, 84, axis=0))}


def pulsed_device_fields(result: FitResult) -> Optional[dict]:
    """The fitted :class:`~cimjax.devices.protocol.PulsedDevice` fields of a step-model fit
    (weights normalised to the fitted range: nominal bounds ±1), or None for a model that is
    not a protocol step model (NeuroSim's curve: its config fields instead)."""
    entry = MODELS[result.model]
    if entry.step_model is None:
        return None
    P = result.params
    out = {"model": result.model, "dw_min": P["dw_min"].value, "dw_min_std": P["dw_min_std"].value,
           "up_down": P["up_down"].value, "w_min": -1.0, "w_max": 1.0}
    for k in ("dw_min_dtod", "up_down_dtod", "w_min_dtod", "w_max_dtod"):
        out[k] = P[k].value if k in P else 0.0
    if entry.shape_names:  # the model's own parameters (their d2d is reported, not written)
        out["shape"] = {k: P[k].value for k in entry.shape_names}
    return out


def pulsed_device_from_dict(fields: dict) -> PulsedDevice:
    """A :class:`PulsedDevice` from :func:`pulsed_device_fields` (a fitted preset's
    ``pulsed_device``). Raises InputError for an unknown model or a field out of range."""
    if not isinstance(fields, dict):
        raise InputError(f"pulsed_device = {fields!r} is not an object of PulsedDevice fields")
    fields = dict(fields)
    name = fields.pop("model", None)
    entry = MODELS.get(name) if isinstance(name, str) else None
    if entry is None or entry.step_model is None:
        raise InputError(f"pulsed_device.model = {name!r} is not a fitted step model "
                         f"(one of {', '.join(k for k, v in MODELS.items() if v.step_model is not None)})")
    shape = fields.pop("shape", {})
    allowed = set(PULSED_FIELDS)
    for k in fields:
        if k not in allowed:
            raise InputError(f"pulsed_device.{k} is not a fitted PulsedDevice field (allowed: {', '.join(PULSED_FIELDS)}, "
                             f"shape)")
    if not isinstance(shape, dict) or set(shape) != set(entry.shape_names):
        raise InputError(f"pulsed_device.shape = {shape!r} must give exactly {', '.join(entry.shape_names) or 'nothing'} "
                         f"for model {name!r}")
    try:
        model = entry.make_model({k: float(v) for k, v in shape.items()})
        return PulsedDevice(model=model, **{k: float(v) for k, v in fields.items()})
    except (TypeError, ValueError) as err:
        raise InputError(f"pulsed_device: {err}") from None


#: The PulsedDevice fields a fitted preset may give (besides ``model`` and ``shape``).
PULSED_FIELDS = ("dw_min", "dw_min_std", "up_down", "w_min", "w_max", "dw_min_dtod", "up_down_dtod", "w_min_dtod",
                 "w_max_dtod")


def load_pulsed_preset(path: str) -> PulsedDevice:
    """The :class:`PulsedDevice` of a ``device_fit_MODEL.json`` written by ``cimjax device fit``
    for a step model (its ``pulsed_device``: the fields of :func:`pulsed_device_fields`).
    Raises InputError naming the file: missing, not JSON, no ``pulsed_device`` (a neurosim fit
    is loaded with its ``set`` lines instead), an unknown model or field, a value out of range."""
    import json

    try:
        data = json.loads(fileio.read_text(path, "preset file"))
    except json.JSONDecodeError as err:
        raise InputError(f"{path}: not JSON ({err.msg} at line {err.lineno})") from None
    if not isinstance(data, dict) or "pulsed_device" not in data:
        raise InputError(f"{path}: no 'pulsed_device' (a neurosim fit is loaded with its 'set' lines instead)")
    try:
        return pulsed_device_from_dict(data["pulsed_device"])
    except InputError as err:
        raise InputError(f"{path}: {err}") from None
