"""The device protocol: one cell's pulse response, lifted to arrays by broadcasting.

A *pulsed device* is described in two parts (docs/devices.md):

* :class:`PulsedDevice`: the numbers a preset or a config gives (Python floats, hashable, so a
  device can be a static argument of a jitted function). These are the parameters every step
  model shares: the smallest step ``dw_min``, the up/down asymmetry, the bounds, their
  device-to-device spreads, the cycle-to-cycle step noise, the fraction of dead devices and the
  reference-device offset, plus a :class:`StepModel` that gives the step's dependence on the
  weight.
* :class:`Cells`: one draw of that device for every cell of an array (a pytree of arrays of the
  weight's shape), from :func:`sample_cells` with an explicit ``jax.random`` key.

A pulse moves a live cell by ``±step(w)·(1 + dw_min_std·ξ)``, ``ξ ~ N(0, 1)`` per pulse, and the
result is clipped to the cell's ``[w_min, w_max]``; a dead cell never moves. The weight an array
read sees is ``w − reference`` (:func:`read`).

Conventions follow aihwkit's pulsed devices (``PulsedDevice`` and the step models in
``src/aihwkit/simulator/configs/devices.py``; docs ``analog_update.rst``): weights normalised to
about ``[−1, 1]``, ``dw_min`` in weight units, ``dw_min_dtod`` / ``up_down_dtod`` /
``w_min_dtod`` / ``w_max_dtod`` relative device-to-device spreads (Gaussian, one draw per cell),
``dw_min_std`` the cycle-to-cycle spread of a step relative to the step. ``up_down`` sets the
asymmetry one-sidedly, as aihwkit's C++ ``PulsedRPUDevice::populate`` does (its Python docstring's
``1 ± up_down`` is not what it computes): ``up_down > 0`` shrinks the down step,
``scale_up = 1``, ``scale_down = 1 − up_down``; ``up_down < 0`` shrinks the up step,
``scale_up = 1 + up_down``, ``scale_down = 1``; the d2d term ``r = up_down_dtod·ξ`` is added to
the up scale and subtracted from the down scale, and both are folded to their absolute value.

Everything here is pure ``jax.numpy``, written for one cell, and never imports Flax or the
experiment config. Valid range: the parameter ranges checked in :meth:`PulsedDevice.__post_init__`.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any, NamedTuple, Protocol, runtime_checkable

import jax
import jax.numpy as jnp

Array = jax.Array


@runtime_checkable
class StepModel(Protocol):
    """How one pulse's expected step depends on the weight (the model-specific part).

    ``sample(key, shape, dtype)`` draws the model's own per-cell parameters (a pytree of arrays
    of ``shape``; an empty tuple if it has none). ``step_up(w, cells)`` and ``step_down(w, cells)``
    return the expected magnitude (≥ 0, in weight units) of one up / down pulse at weight ``w``;
    they take the whole :class:`Cells` so they can use ``dw_min``, the scales and the bounds.
    Implementations are frozen dataclasses of Python floats (hashable, static under jit).
    """

    name: str

    def sample(self, key: Array, shape: tuple[int, ...], dtype) -> Any: ...

    def step_up(self, w: Array, cells: "Cells") -> Array: ...

    def step_down(self, w: Array, cells: "Cells") -> Array: ...


class Cells(NamedTuple):
    """One device draw per cell (every field broadcasts with the weight array)."""

    dw_min: Array  # step size per cell, weight units (d2d applied)
    scale_up: Array  # up-step scale per cell (1 + min(up_down, 0) + r, one-sided; see module doc)
    scale_down: Array  # down-step scale per cell (1 − max(up_down, 0) − r)
    w_min: Array  # lower bound per cell (< 0)
    w_max: Array  # upper bound per cell (> 0)
    alive: Array  # bool: False = dead (stuck) device, never moves
    reference: Array  # reference-device offset subtracted on read, weight units
    shape: Any  # the step model's own per-cell parameters


def _check(name: str, value: float, lo: float, hi: float, *, lo_open: bool = False) -> None:
    ok = (value > lo if lo_open else value >= lo) and value <= hi
    if not ok:
        bracket = "(" if lo_open else "["
        raise ValueError(f"device.{name} = {value!r} is outside {bracket}{lo}, {hi}]")


@dataclasses.dataclass(frozen=True)
class PulsedDevice:
    """A pulsed device's shared parameters and its step model (aihwkit's ``PulsedDevice``).

    Attributes:
      model: the :class:`StepModel` (constant, linear, soft bounds, exponential, power,
        piecewise, NeuroSim's exponential curve).
      dw_min: mean step of one pulse at the symmetry point, weight units (> 0).
      dw_min_dtod: device-to-device σ of ``dw_min``, relative (≥ 0).
      dw_min_dtod_log_normal: draw ``dw_min`` log-normally, ``dw_min·e^(dw_min_dtod·ξ)``, instead
        of ``dw_min·|1 + dw_min_dtod·ξ|`` (aihwkit's ``dw_min_dtod_log_normal``; the measured
        ReRAM-array presets use it).
      dw_min_std: cycle-to-cycle σ of each step (≥ 0): relative to the step itself with
        ``mult_noise`` (the default), relative to the cell's ``dw_min·scale`` otherwise.
      mult_noise: multiplicative step noise ``step·(1 + dw_min_std·ξ)`` (True) or additive
        ``step + dw_min·scale·dw_min_std·ξ`` (False; aihwkit's ``mult_noise=False``, used by the
        soft-bounds-reference, capacitor and ReRAM-array presets). Identical for a constant step.
      up_down: asymmetry in (−1, 1), one-sided (module docstring): ``up_down > 0`` gives
        ``scale_down = 1 − up_down``, ``up_down < 0`` gives ``scale_up = 1 + up_down``.
      up_down_dtod: device-to-device σ of the up/down asymmetry (absolute, ≥ 0): ``+r`` on the up
        scale, ``−r`` on the down scale.
      w_min, w_max: nominal bounds (``w_min < 0 < w_max``).
      w_min_dtod, w_max_dtod: device-to-device σ of the bounds, relative to them (≥ 0).
      dead_fraction: fraction of cells that never move (stuck), in [0, 1].
      reference_std: σ of the reference-device offset, weight units (≥ 0); the read weight is
        ``w − reference`` (Rasch et al., Nat. Commun. 2024, Fig. 4's σ_r).
      reference_mean: mean reference offset, weight units.
    """

    model: StepModel
    dw_min: float = 0.001
    dw_min_dtod: float = 0.0
    dw_min_std: float = 0.0
    up_down: float = 0.0
    up_down_dtod: float = 0.0
    w_min: float = -1.0
    w_max: float = 1.0
    w_min_dtod: float = 0.0
    w_max_dtod: float = 0.0
    dead_fraction: float = 0.0
    reference_std: float = 0.0
    reference_mean: float = 0.0
    dw_min_dtod_log_normal: bool = False
    mult_noise: bool = True

    def __post_init__(self):
        if not isinstance(self.model, StepModel):
            raise ValueError(f"device.model = {self.model!r} is not a step model")
        _check("dw_min", self.dw_min, 0.0, 10.0, lo_open=True)
        for name in ("dw_min_dtod", "dw_min_std", "up_down_dtod", "w_min_dtod", "w_max_dtod"):
            _check(name, getattr(self, name), 0.0, 10.0)
        _check("up_down", self.up_down, -0.999, 0.999)
        _check("w_min", self.w_min, -100.0, 0.0)
        _check("w_max", self.w_max, 0.0, 100.0, lo_open=True)
        if not self.w_min < 0.0:
            raise ValueError(f"device.w_min = {self.w_min!r} must be below 0")
        _check("dead_fraction", self.dead_fraction, 0.0, 1.0)
        _check("reference_std", self.reference_std, 0.0, 100.0)
        _check("reference_mean", self.reference_mean, -100.0, 100.0)

    @property
    def states(self) -> float:
        """Nominal number of steps across the range, ``(w_max − w_min)/dw_min``."""
        return (self.w_max - self.w_min) / self.dw_min

    def replace(self, **changes) -> "PulsedDevice":
        return dataclasses.replace(self, **changes)


def up_down_scales(up_down, r=0.0, gain=1.0) -> tuple[Array, Array]:
    """``(scale_up, scale_down)`` of an asymmetry ``up_down`` and a cell's d2d term ``r``, one-sided
    as aihwkit's ``PulsedRPUDevice::populate`` computes them (module docstring):
    ``|gain + min(up_down, 0) + r|`` and ``|gain − max(up_down, 0) − r|`` (``gain`` 1 for the
    step scales; :class:`~cimjax.devices.steps.PowStep` passes its exponent's d2d gain).
    Differentiable in every argument (traced ``up_down`` allowed, e.g. by the device fitter)."""
    up_down = jnp.asarray(up_down)
    return (jnp.abs(gain + jnp.minimum(up_down, 0.0) + r), jnp.abs(gain - jnp.maximum(up_down, 0.0) - r))


def sample_cells(device: PulsedDevice, key: Array, shape: tuple[int, ...], dtype=None) -> Cells:
    """Draw every cell's device parameters (d2d spreads, dead cells, reference offsets).

    Spreads are Gaussian and relative as documented on :class:`PulsedDevice` (``dw_min``
    optionally log-normal); ``dw_min``, the scales and the bounds are kept positive in magnitude
    (a draw below 0 is folded to its absolute value, as aihwkit's ``enforce_consistency`` does);
    a ``w_min`` draw stays below 0 and a ``w_max`` draw above 0. The up/down scales follow
    aihwkit's one-sided convention (module docstring); aihwkit adds the d2d gain and the
    asymmetry (``dw_min·(gain + bias ± r)``) where this multiplies them
    (``dw_min·gain·(1 + bias ± r)``), the same to first order in the spreads.
    """
    dtype = jnp.dtype(jnp.result_type(float) if dtype is None else dtype)
    shape = tuple(int(n) for n in shape)
    k_dw, k_ud, k_lo, k_hi, k_dead, k_ref, k_model = jax.random.split(key, 7)

    def normal(k):
        return jax.random.normal(k, shape, dtype)

    if device.dw_min_dtod_log_normal:
        dw = device.dw_min * jnp.exp(device.dw_min_dtod * normal(k_dw))
    else:
        dw = device.dw_min * jnp.abs(1.0 + device.dw_min_dtod * normal(k_dw))
    scale_up, scale_down = up_down_scales(device.up_down, device.up_down_dtod * normal(k_ud))
    w_min = device.w_min * jnp.abs(1.0 + device.w_min_dtod * normal(k_lo))
    w_max = device.w_max * jnp.abs(1.0 + device.w_max_dtod * normal(k_hi))
    alive = jax.random.uniform(k_dead, shape, dtype) >= device.dead_fraction
    reference = device.reference_mean + device.reference_std * normal(k_ref)
    return Cells(
        dw_min=dw.astype(dtype),
        scale_up=scale_up.astype(dtype),
        scale_down=scale_down.astype(dtype),
        w_min=w_min.astype(dtype),
        w_max=w_max.astype(dtype),
        alive=alive,
        reference=reference.astype(dtype),
        shape=device.model.sample(k_model, shape, dtype),
    )


def expected_step(device: PulsedDevice, cells: Cells, w: Array, direction: Array) -> Array:
    """Expected signed change of one pulse: ``+step_up(w)`` for direction > 0, ``−step_down(w)``
    for direction < 0, 0 for direction 0 or a dead cell (no noise, no clipping)."""
    up = device.model.step_up(w, cells)
    down = device.model.step_down(w, cells)
    dw = jnp.where(direction > 0, up, jnp.where(direction < 0, -down, 0.0))
    return jnp.where(cells.alive, dw, 0.0)


def pulse(device: PulsedDevice, cells: Cells, w: Array, direction: Array, key: Array) -> Array:
    """Apply at most one pulse to every cell: ``direction`` ∈ {−1, 0, +1} per cell (broadcasts).

    The step is ``expected_step·(1 + dw_min_std·ξ)`` (``mult_noise``) or
    ``expected_step + sign·dw_min·scale·dw_min_std·ξ`` (additive), then the weight is clipped to
    the cell's bounds. Cells with direction 0 and dead cells return ``w`` exactly.
    """
    dw = expected_step(device, cells, w, direction)
    if device.dw_min_std > 0.0:
        xi = jax.random.normal(key, jnp.shape(dw), dw.dtype)
        if device.mult_noise:
            dw = dw * (1.0 + device.dw_min_std * xi)
        else:
            scale = jnp.where(direction > 0, cells.scale_up, cells.scale_down)
            dw = dw + jnp.sign(direction) * cells.dw_min * scale * device.dw_min_std * xi
    moved = jnp.clip(w + dw, cells.w_min, cells.w_max)
    return jnp.where((direction != 0) & cells.alive, moved, w)


@functools.partial(jax.jit, static_argnames=("device", "max_pulses"))
def apply_pulses(device: PulsedDevice, cells: Cells, w: Array, n: Array, key: Array, *, max_pulses: int) -> Array:
    """Apply ``|n|`` pulses in the direction ``sign(n)`` to every cell, one pulse at a time.

    ``n`` is an integer-valued array (broadcasts with ``w``); counts beyond ``max_pulses``
    (static) are cut to it. Each pulse sees the weight the previous one left, so the step model's
    weight dependence and the bounds act pulse by pulse, as on a device.
    """
    n = jnp.clip(jnp.asarray(n), -max_pulses, max_pulses)
    direction = jnp.sign(n)
    count = jnp.abs(n)
    w = jnp.asarray(w)
    w = jnp.broadcast_to(w, jnp.broadcast_shapes(w.shape, jnp.shape(n)))

    def body(i, carry):
        w, key = carry
        key, sub = jax.random.split(key)
        return pulse(device, cells, w, jnp.where(i < count, direction, 0), sub), key

    w, _ = jax.lax.fori_loop(0, max_pulses, body, (w, key))
    return w


def read(cells: Cells, w: Array) -> Array:
    """The weight an array read sees: the cell's weight minus its reference device's offset."""
    return w - cells.reference


# --------------------------------------------------------------------------------------------
# Step models. Each one's formula and source is in its docstring; Helper-written models in
# cimjax/devices/steps.py follow the same pattern.


@dataclasses.dataclass(frozen=True)
class ConstantStep:
    """Constant step: ``Δw_up = dw_min·scale_up``, ``Δw_down = dw_min·scale_down``, hard bounds.

    Source: aihwkit ``ConstantStepDevice`` (docs ``analog_update.rst``). Valid for any weight in
    the bounds; the bounds clip the weight, the step does not depend on it.
    """

    name: str = "constant_step"

    def sample(self, key, shape, dtype):
        return ()

    def step_up(self, w, cells):
        return jnp.broadcast_to(cells.dw_min * cells.scale_up, jnp.broadcast_shapes(jnp.shape(w), cells.dw_min.shape))

    def step_down(self, w, cells):
        return jnp.broadcast_to(cells.dw_min * cells.scale_down, jnp.broadcast_shapes(jnp.shape(w), cells.dw_min.shape))


@dataclasses.dataclass(frozen=True)
class SoftBounds:
    """Soft bounds: the step shrinks linearly to zero at the bound it moves towards.

    ``Δw_up = dw_min·scale_up·(1 − w/w_max)``, ``Δw_down = dw_min·scale_down·(1 − w/w_min)``
    (aihwkit ``SoftBoundsDevice``, docs ``analog_update.rst``; the "linear step" with slope
    ``γ = 1``). The symmetry point, where the up and down steps are equal, is
    ``w* = (s_up − s_down)/(s_up/w_max − s_down/w_min)`` (0 for a symmetric device).
    Valid for weights in ``[w_min, w_max]``; the steps are floored at 0 outside.
    """

    name: str = "soft_bounds"

    def sample(self, key, shape, dtype):
        return ()

    def step_up(self, w, cells):
        return cells.dw_min * cells.scale_up * jnp.maximum(1.0 - w / cells.w_max, 0.0)

    def step_down(self, w, cells):
        return cells.dw_min * cells.scale_down * jnp.maximum(1.0 - w / cells.w_min, 0.0)
