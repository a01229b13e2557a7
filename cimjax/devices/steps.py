"""Step models beyond constant step and soft bounds: how one pulse's step depends on the weight.

Each model is a frozen dataclass of Python numbers (hashable, static under ``jit``) that
implements :class:`cimjax.devices.protocol.StepModel`. Its numeric parameters do **not** enter
the step functions directly: ``sample(key, shape, dtype)`` turns them into arrays of the weight's
shape (one value per cell, with a device-to-device spread where aihwkit has one), returned as a
``NamedTuple`` that :func:`cimjax.devices.protocol.sample_cells` stores in ``Cells.shape``;
``step_up`` / ``step_down`` read every model parameter from ``cells.shape``. So ``jax.grad``
with respect to a :class:`~cimjax.devices.protocol.Cells` pytree reaches every parameter, and a
fitter can build ``Cells`` (shape included) from traced arrays directly. The dataclass fields that
stay static are structural choices only (a flag, the number of piecewise nodes).

Sources: aihwkit's device classes (``src/aihwkit/simulator/configs/devices.py``, docs
``api/aihwkit.simulator.configs.devices``) and their C++ ``update_once`` functions
(``src/rpucuda/rpu_*_device.cpp``), which were read to fix the formulas where the docstrings are
ambiguous; NeuroSim's curve from docs/model.md §2.1–§2.4. Conventions (``dw_min``, the one-sided
``scale_up``/``scale_down``, the bounds) are those of :mod:`cimjax.devices.protocol`; every step
is the expected magnitude (≥ 0) of one pulse, before noise and clipping.

Also here: :data:`MODELS` (name → class, all seven models), :func:`symmetry_point` and
:func:`with_symmetry_reference` (aihwkit's ``subtract_symmetry_point``).
"""

from __future__ import annotations

import dataclasses
import functools
import math
import numbers
from typing import NamedTuple, Optional

import jax
import jax.numpy as jnp

from cimjax.devices import nonlinear
from cimjax.devices.protocol import (Cells, ConstantStep, PulsedDevice, SoftBounds, expected_step, pulse,
                                     up_down_scales)

Array = jax.Array


def _need(model: str, name: str, ok: bool, value, what: str) -> None:
    if not ok:
        raise ValueError(f"{model}.{name} = {value!r} is invalid: {what}")


def _finite(model: str, name: str, value: float) -> None:
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
    _need(model, name, ok, value, "must be a finite number")


def _nonneg(model: str, name: str, value: float) -> None:
    _finite(model, name, value)
    _need(model, name, value >= 0.0, value, "must be ≥ 0")


def _full(value, shape, dtype) -> Array:
    return jnp.full(shape, value, dtype)


def _cell_shape(cells: Cells):
    return jnp.shape(cells.dw_min)


# ------------------------------------------------------------------------------- linear step


class LinearShape(NamedTuple):
    """Per-cell slopes of :class:`LinearStep` (dimensionless, relative to the reference bound)."""

    gamma_up: Array
    gamma_down: Array


@dataclasses.dataclass(frozen=True)
class LinearStep:
    """Linear step: the step shrinks linearly with the weight towards the bound it approaches.

    ``Δw_up = dw_min·scale_up·max(1 − γ_up·w/b_up, 0)``,
    ``Δw_down = dw_min·scale_down·max(1 − γ_down·w/b_down, 0)``, with ``b_up`` / ``b_down`` the
    cell's own ``w_max`` / ``w_min`` (``bound_reference=None``) or fixed nominal bounds
    ``bound_reference = (w_min, w_max)``. Per cell ``γ = |γ_nominal + γ_dtod·ξ|`` (or without the
    absolute value when ``allow_increasing``). ``γ = 1`` with the cell's own bounds is
    :class:`~cimjax.devices.protocol.SoftBounds`; ``γ = 0`` is the constant step.

    Source: aihwkit ``LinearStepDevice`` (``gamma_up``, ``gamma_down``, ``gamma_up_dtod``,
    ``gamma_down_dtod``, ``allow_increasing``, ``mean_bound_reference``); C++
    ``rpu_linearstep_device.cpp``: slope ``−γ·scale/b_ref`` added as ``slope·w + scale``. aihwkit's
    default ``mean_bound_reference=True`` divides by the nominal bounds: pass the device's
    ``(w_min, w_max)`` as ``bound_reference`` to get it (the presets do); its ``SoftBoundsDevice``
    is ``γ = 1``, no dtod, the cell's own bounds. Differences: the step is floored at 0 here
    (aihwkit's may turn negative past ``b/γ``, which the bounds normally prevent); aihwkit's
    ``reverse_up``/``reverse_down`` and ``write_noise_std`` are not modelled.

    Valid range: ``γ ≥ 0`` (or any sign with ``allow_increasing``), weights in the cell's bounds.
    """

    gamma_up: float = 0.0
    gamma_down: float = 0.0
    gamma_up_dtod: float = 0.0
    gamma_down_dtod: float = 0.0
    allow_increasing: bool = False
    bound_reference: Optional[tuple[float, float]] = None
    name: str = dataclasses.field(default="linear_step", init=False)

    def __post_init__(self):
        m = "LinearStep"
        for f in ("gamma_up", "gamma_down"):
            _finite(m, f, getattr(self, f))
            if not self.allow_increasing:
                _nonneg(m, f, getattr(self, f))
        _nonneg(m, "gamma_up_dtod", self.gamma_up_dtod)
        _nonneg(m, "gamma_down_dtod", self.gamma_down_dtod)
        if self.bound_reference is not None:
            ref = self.bound_reference
            ok = len(ref) == 2 and all(isinstance(v, numbers.Real) and math.isfinite(v) for v in ref)
            _need(m, "bound_reference", ok and ref[0] < 0.0 < ref[1], ref, "must be (w_min < 0, w_max > 0)")
            object.__setattr__(self, "bound_reference", (float(ref[0]), float(ref[1])))

    def sample(self, key, shape, dtype):
        k_up, k_down = jax.random.split(key)
        g_up = self.gamma_up + self.gamma_up_dtod * jax.random.normal(k_up, shape, dtype)
        g_down = self.gamma_down + self.gamma_down_dtod * jax.random.normal(k_down, shape, dtype)
        if not self.allow_increasing:
            g_up, g_down = jnp.abs(g_up), jnp.abs(g_down)
        return LinearShape(g_up.astype(dtype), g_down.astype(dtype))

    def _refs(self, cells):
        if self.bound_reference is None:
            return cells.w_min, cells.w_max
        return self.bound_reference

    def step_up(self, w, cells):
        _, b_up = self._refs(cells)
        return cells.dw_min * cells.scale_up * jnp.maximum(1.0 - cells.shape.gamma_up * w / b_up, 0.0)

    def step_down(self, w, cells):
        b_down, _ = self._refs(cells)
        return cells.dw_min * cells.scale_down * jnp.maximum(1.0 - cells.shape.gamma_down * w / b_down, 0.0)


# ---------------------------------------------------------------------------------- exp step


class ExpShape(NamedTuple):
    """Per-cell parameters of :class:`ExpStep` (tile-wide in aihwkit: the same in every cell)."""

    A_up: Array
    A_down: Array
    gamma_up: Array
    gamma_down: Array
    a: Array
    b: Array


@dataclasses.dataclass(frozen=True)
class ExpStep:
    """Exponential step (aihwkit's "CMOS-like" update).

    ``z = 2·a·w/(w_max − w_min) + b`` (the cell's bounds),
    ``Δw_up = dw_min·scale_up·max(1 − A_up·e^(γ_up·z), 0)``,
    ``Δw_down = dw_min·scale_down·max(1 − A_down·e^(−γ_down·z), 0)``.

    Source: aihwkit ``ExpStepDevice`` (docstring ``y = 1 − A^(d)·e^(d·γ^(d)·z)``, ``d = ±1``) and
    C++ ``rpu_expstep_device.cpp`` (``z = 2w/b_diff·es_a + es_b``, ``y_up = max(1 −
    A_up·e^(γ_up·z), 0)``, ``y_down = max(1 − A_down·e^(−γ_down·z), 0)``). Defaults are aihwkit's:
    ``A_up = 0.00081``, ``A_down = 0.36833``, ``γ_up = 12.44625``, ``γ_down = 12.78785``,
    ``a = 0.244``, ``b = 0.2425``. aihwkit has no d2d spread on these (tile-wide), so ``sample``
    fills every cell with the same values. Not modelled: ``dw_min_std_add`` /
    ``dw_min_std_slope`` (its "complex noise") and ``write_noise_std``.

    Valid range: any finite parameters (``A < 0`` makes the step grow with the exponential);
    weights in the cell's bounds.
    """

    A_up: float = 0.00081
    A_down: float = 0.36833
    gamma_up: float = 12.44625
    gamma_down: float = 12.78785
    a: float = 0.244
    b: float = 0.2425
    name: str = dataclasses.field(default="exp_step", init=False)

    def __post_init__(self):
        for f in ExpShape._fields:
            _finite("ExpStep", f, getattr(self, f))

    def sample(self, key, shape, dtype):
        return ExpShape(*(_full(getattr(self, f), shape, dtype) for f in ExpShape._fields))

    @staticmethod
    def _z(w, cells):
        return 2.0 * cells.shape.a * w / (cells.w_max - cells.w_min) + cells.shape.b

    def step_up(self, w, cells):
        s = cells.shape
        y = 1.0 - s.A_up * jnp.exp(s.gamma_up * self._z(w, cells))
        return cells.dw_min * cells.scale_up * jnp.maximum(y, 0.0)

    def step_down(self, w, cells):
        s = cells.shape
        y = 1.0 - s.A_down * jnp.exp(-s.gamma_down * self._z(w, cells))
        return cells.dw_min * cells.scale_down * jnp.maximum(y, 0.0)


# ---------------------------------------------------------------------------------- pow step


class PowShape(NamedTuple):
    """Per-cell exponents of :class:`PowStep`."""

    gamma_up: Array
    gamma_down: Array


def _safe_pow(base: Array, gamma: Array) -> Array:
    """``max(base, 0)^γ`` with 0 at ``base ≤ 0`` and finite gradients everywhere."""
    pos = base > 0.0
    return jnp.where(pos, jnp.power(jnp.where(pos, base, 1.0), gamma), 0.0)


@dataclasses.dataclass(frozen=True)
class PowStep:
    """Power step (a shifted Fusi & Abbott 2007 synapse).

    With ``ω = (w_max − w)/(w_max − w_min)`` (the cell's bounds; the relative distance to the
    upper bound): ``Δw_up = dw_min·scale_up·ω^γ_up``, ``Δw_down = dw_min·scale_down·(1 − ω)^γ_down``.
    Per cell ``gain = 1 + pow_gamma_dtod·ξ``, ``r = pow_up_down_dtod·ξ'``,
    ``γ_up = pow_gamma·|gain + r + min(β, 0)|``, ``γ_down = pow_gamma·|gain − r − max(β, 0)|``
    with ``β = pow_up_down`` (one-sided like ``up_down``). ``pow_gamma = 1`` without spreads is
    soft bounds rescaled: the step is ``dw_min`` at the bound it leaves, not at ``w = 0``.

    Source: aihwkit ``PowStepDevice`` (``pow_gamma``, ``pow_gamma_dtod``, ``pow_up_down``,
    ``pow_up_down_dtod``) and C++ ``rpu_powstep_device.cpp`` (the one-sided bias and the absolute
    value are the C++'s; the Python docstring writes ``γ(1 ± β)``). Not modelled:
    ``write_noise_std``.

    Valid range: ``pow_gamma > 0``, spreads ≥ 0, ``|pow_up_down| < 1``; weights in the bounds.
    """

    pow_gamma: float = 1.0
    pow_gamma_dtod: float = 0.0
    pow_up_down: float = 0.0
    pow_up_down_dtod: float = 0.0
    name: str = dataclasses.field(default="pow_step", init=False)

    def __post_init__(self):
        m = "PowStep"
        _finite(m, "pow_gamma", self.pow_gamma)
        _need(m, "pow_gamma", self.pow_gamma > 0.0, self.pow_gamma, "must be > 0")
        _nonneg(m, "pow_gamma_dtod", self.pow_gamma_dtod)
        _finite(m, "pow_up_down", self.pow_up_down)
        _need(m, "pow_up_down", abs(self.pow_up_down) < 1.0, self.pow_up_down, "must be in (−1, 1)")
        _nonneg(m, "pow_up_down_dtod", self.pow_up_down_dtod)

    def sample(self, key, shape, dtype):
        k_g, k_r = jax.random.split(key)
        gain = 1.0 + self.pow_gamma_dtod * jax.random.normal(k_g, shape, dtype)
        r = self.pow_up_down_dtod * jax.random.normal(k_r, shape, dtype)
        up, down = up_down_scales(self.pow_up_down, r, gain)  # the protocol's one-sided rule
        return PowShape((self.pow_gamma * up).astype(dtype), (self.pow_gamma * down).astype(dtype))

    @staticmethod
    def _omega(w, cells):
        return (cells.w_max - w) / (cells.w_max - cells.w_min)

    def step_up(self, w, cells):
        return cells.dw_min * cells.scale_up * _safe_pow(self._omega(w, cells), cells.shape.gamma_up)

    def step_down(self, w, cells):
        return cells.dw_min * cells.scale_down * _safe_pow(1.0 - self._omega(w, cells), cells.shape.gamma_down)


# ----------------------------------------------------------------------------- piecewise step


class PiecewiseShape(NamedTuple):
    """Node values of :class:`PiecewiseStep`, shape ``(*cells, n_nodes)`` (nodes last)."""

    up: Array
    down: Array


def _interp_nodes(w, cells, nodes):
    """Linear interpolation of ``nodes[..., k]`` placed evenly on ``[w_min, w_max]``."""
    n_sections = nodes.shape[-1] - 1
    if n_sections == 0:
        return nodes[..., 0]
    x = (w - cells.w_min) / (cells.w_max - cells.w_min) * n_sections
    x = jnp.clip(x, 0.0, n_sections)
    hat = jnp.maximum(1.0 - jnp.abs(x[..., None] - jnp.arange(n_sections + 1, dtype=x.dtype)), 0.0)
    return jnp.sum(hat * nodes, axis=-1)


@dataclasses.dataclass(frozen=True)
class PiecewiseStep:
    """Piecewise-linear step: node values spread evenly over the cell's ``[w_min, w_max]``.

    ``Δw_up = dw_min·scale_up·v_up(w)``, ``Δw_down = dw_min·scale_down·v_down(w)``, where ``v`` is
    the linear interpolation of the nodes (``n`` nodes at ``w_min + k·(w_max − w_min)/(n − 1)``;
    a weight outside the bounds takes the end node). One node is a constant step.

    Source: aihwkit ``PiecewiseStepDevice`` (``piecewise_up``, ``piecewise_down``; relative to
    ``dw_min``) and C++ ``rpu_piecewisestep_device.cpp`` (index ``floor``, convex fraction, end
    nodes outside the range). No d2d on the nodes (aihwkit has none); ``sample`` repeats them in
    every cell. Not modelled: ``write_noise_std``.

    Valid range: the two node lists have the same length ≥ 1 and finite values ≥ 0.
    """

    piecewise_up: tuple[float, ...] = (1.0,)
    piecewise_down: tuple[float, ...] = (1.0,)
    name: str = dataclasses.field(default="piecewise_step", init=False)

    def __post_init__(self):
        m = "PiecewiseStep"
        for f in ("piecewise_up", "piecewise_down"):
            v = getattr(self, f)
            try:
                v = tuple(float(x) for x in v)
            except (TypeError, ValueError):
                raise ValueError(f"{m}.{f} = {v!r} is invalid: must be a sequence of numbers") from None
            _need(m, f, len(v) >= 1, v, "needs at least one node")
            _need(m, f, all(math.isfinite(x) and x >= 0.0 for x in v), v, "node values must be finite and ≥ 0")
            object.__setattr__(self, f, v)
        _need(
            m, "piecewise_down", len(self.piecewise_down) == len(self.piecewise_up), self.piecewise_down,
            f"must have as many nodes as piecewise_up ({len(self.piecewise_up)})",
        )

    def sample(self, key, shape, dtype):
        up = jnp.broadcast_to(jnp.asarray(self.piecewise_up, dtype), (*shape, len(self.piecewise_up)))
        down = jnp.broadcast_to(jnp.asarray(self.piecewise_down, dtype), (*shape, len(self.piecewise_down)))
        return PiecewiseShape(up, down)

    def step_up(self, w, cells):
        return cells.dw_min * cells.scale_up * _interp_nodes(w, cells, cells.shape.up)

    def step_down(self, w, cells):
        return cells.dw_min * cells.scale_down * _interp_nodes(w, cells, cells.shape.down)


# ------------------------------------------------------------------------- NeuroSim's curve


class NeuroSimShape(NamedTuple):
    """Per-cell curve constants of :class:`NeuroSimStep`: signed ``A`` in pulses and ``L``."""

    a_ltp: Array
    a_ltd: Array
    max_level: Array


@dataclasses.dataclass(frozen=True)
class NeuroSimStep:
    """NeuroSim's exponential conductance-versus-pulse curve as a per-pulse step.

    With the cell's range mapped onto NeuroSim's ``u = 2(w − w_min)/(w_max − w_min) − 1 ∈ [−1, 1]``
    and ``p(u, A)`` / ``u(p, A)`` the curve and its inverse (:mod:`cimjax.devices.nonlinear`,
    docs/model.md §2.1: ``u(p) = B(1 − e^(−p/A)) − 1``, ``B = 2/(1 − e^(−L/A))``):

    * ``Δw_up = scale_up·dw_min·(L/2)·[u(p(u, A_LTP) + 1, A_LTP) − u]``: one pulse forward on the
      LTP curve (docs/model.md §2.3: ``ΔP < 0`` potentiates along ``A_LTP``);
    * ``Δw_down = scale_down·dw_min·(L/2)·[u − u(p(u, A_LTD) − 1, A_LTD)]``: one pulse back on the
      LTD curve.

    The bracket is the step in NeuroSim's weight units (mean ``2/L`` over a full sweep), so with
    ``dw_min = (w_max − w_min)/L`` (``2/max_level`` for bounds ±1, what
    :func:`cimjax.devices.aihwkit_presets.neurosim_pulsed_device` sets) the step is NeuroSim's
    own, exactly; a d2d spread of ``dw_min`` and the scales then act multiplicatively. As in
    NeuroSim the pulse position is not clipped to ``[0, L]`` (the curve is extrapolated); the
    weight is clipped by the cell's bounds. Same-sign labels give a symmetric nonlinear device,
    opposite signs a saturating, asymmetric one (§2.3).

    Per cell ``A = nl_to_a_norm(NL + σ_d2d·ξ)·L`` with one draw shared by LTP and LTD
    (:func:`cimjax.devices.nonlinear.sample_d2d_a`, §2.6). A label of 0 is the linear curve.

    Valid range: labels in ``[−9, 9]``, ``max_level ≥ 1``, ``d2d_sigma ≥ 0``.
    """

    nl_ltp: float = 1.75
    nl_ltd: float = 1.46
    max_level: int = 32
    d2d_sigma: float = 0.0
    floor_to_grid: bool = True
    name: str = dataclasses.field(default="neurosim", init=False)

    def __post_init__(self):
        m = "NeuroSimStep"
        for f in ("nl_ltp", "nl_ltd"):
            v = getattr(self, f)
            _finite(m, f, v)
            _need(m, f, abs(v) <= nonlinear.NL_CLIP, v, f"must be in [−{nonlinear.NL_CLIP:g}, {nonlinear.NL_CLIP:g}]")
        _finite(m, "max_level", self.max_level)
        _need(m, "max_level", self.max_level >= 1, self.max_level, "must be ≥ 1")
        _nonneg(m, "d2d_sigma", self.d2d_sigma)

    def sample(self, key, shape, dtype):
        a_p, a_d = nonlinear.sample_d2d_a(
            key, shape, self.nl_ltp, self.nl_ltd, self.d2d_sigma, self.max_level,
            floor_to_grid=self.floor_to_grid, dtype=dtype,
        )
        return NeuroSimShape(a_p, a_d, _full(self.max_level, shape, dtype))

    @staticmethod
    def _u(w, cells):
        return 2.0 * (w - cells.w_min) / (cells.w_max - cells.w_min) - 1.0

    def step_up(self, w, cells):
        s = cells.shape
        u = self._u(w, cells)
        p = nonlinear.pulses_from_weight(u, s.a_ltp, s.max_level)
        du = nonlinear.weight_from_pulses(p + 1.0, s.a_ltp, s.max_level) - u
        return cells.scale_up * cells.dw_min * 0.5 * s.max_level * jnp.maximum(du, 0.0)

    def step_down(self, w, cells):
        s = cells.shape
        u = self._u(w, cells)
        p = nonlinear.pulses_from_weight(u, s.a_ltd, s.max_level)
        du = u - nonlinear.weight_from_pulses(p - 1.0, s.a_ltd, s.max_level)
        return cells.scale_down * cells.dw_min * 0.5 * s.max_level * jnp.maximum(du, 0.0)


#: Every step model by name (its ``name`` attribute) → class.
MODELS: dict[str, type] = {
    "constant_step": ConstantStep,
    "soft_bounds": SoftBounds,
    "linear_step": LinearStep,
    "exp_step": ExpStep,
    "pow_step": PowStep,
    "piecewise_step": PiecewiseStep,
    "neurosim": NeuroSimStep,
}


# ---------------------------------------------------------------------------- symmetry point


def _default_pairs(device: PulsedDevice) -> int:
    # aihwkit's n_estimation_steps default: 10 × the number of states, at most 10 000.
    return int(min(max(10.0 * device.states, 100.0), 10_000.0))


def symmetry_point(
    device: PulsedDevice,
    cells: Cells,
    n_pulses: Optional[int] = None,
    key: Optional[Array] = None,
    w0: float = 0.0,
    *,
    method: str = "pulses",
) -> Array:
    """Each cell's symmetry point, where ``step_up(w) = step_down(w)``.

    ``method="bisection"``: 40 bisections of ``step_up − step_down`` on the cell's bounds (the
    exact crossing, to float precision; cheap inside a vmapped program). Where the difference
    does not change sign in the bounds the result is the bound the cell drifts to (the middle for
    a symmetric constant step). ``n_pulses``, ``key`` and ``w0`` are not used.

    ``method="pulses"`` (default), by alternating pulses:

    Starting from ``w0``, ``n_pulses`` up/down pulse pairs are applied (noise-free expected steps
    clipped to the bounds, or noisy :func:`~cimjax.devices.protocol.pulse` s when ``key`` is
    given); the weight then oscillates between ``w_a`` and ``w_b = w_a + step_up(w_a)`` with
    ``step_up(w_a) = step_down(w_b)``, and the midpoint ``(w_a + w_b)/2`` is returned (within
    about ``dw_min`` of the crossing). This is aihwkit's numerical estimate
    (``PowStepReferenceDevice.n_estimation_steps``; default ``10 × states``, at most 10 000
    pairs). A cell whose up step always exceeds its down step ends at ``w_max``, and vice
    versa; a dead cell returns ``w0``. For :class:`~cimjax.devices.protocol.SoftBounds` the
    closed form is in its docstring.
    """
    if method == "bisection":
        return _symmetry_bisection(device, cells)
    if method != "pulses":
        raise ValueError(f"method = {method!r} is invalid: expected 'pulses' or 'bisection'")
    n = _default_pairs(device) if n_pulses is None else int(n_pulses)
    shape = _cell_shape(cells)
    w = jnp.full(shape, w0, cells.dw_min.dtype)
    up, down = jnp.ones(shape, jnp.int32), -jnp.ones(shape, jnp.int32)

    def move(w, d, k):
        if k is None:
            return jnp.clip(w + expected_step(device, cells, w, d), cells.w_min, cells.w_max)
        return pulse(device, cells, w, d, k)

    def body(_, carry):
        w, _, k = carry
        if k is None:
            k_up = k_down = None
        else:
            k, k_up, k_down = jax.random.split(k, 3)
        w_a = move(w, up, k_up)
        w_b = move(w_a, down, k_down)
        return w_b, w_a, k

    w_b, w_a, _ = jax.lax.fori_loop(0, n, body, (w, w, key))
    return 0.5 * (w_a + w_b)


def _symmetry_bisection(device: PulsedDevice, cells: Cells, iters: int = 40) -> Array:
    shape = _cell_shape(cells)
    lo = jnp.broadcast_to(cells.w_min, shape)
    hi = jnp.broadcast_to(cells.w_max, shape)

    def body(_, bounds):
        lo, hi = bounds
        mid = 0.5 * (lo + hi)
        drift = device.model.step_up(mid, cells) - device.model.step_down(mid, cells)  # > 0: point above mid
        return jnp.where(drift < 0, lo, mid), jnp.where(drift > 0, hi, mid)

    lo, hi = jax.lax.fori_loop(0, iters, body, (lo, hi))
    return 0.5 * (lo + hi)


def with_symmetry_reference(device: PulsedDevice, cells: Cells, n_pulses: Optional[int] = None) -> Cells:
    """``cells`` with each cell's symmetry point added to its reference, so a read sees
    ``w − w* − reference`` (aihwkit's ``subtract_symmetry_point=True`` of
    ``SoftBoundsReferenceDevice`` / ``PowStepReferenceDevice``; the ReRAM-array presets use it)."""
    return cells._replace(reference=cells.reference + symmetry_point(device, cells, n_pulses))
