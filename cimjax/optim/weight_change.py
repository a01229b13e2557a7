"""One tensor's device-aware weight change: NeuroSim's ``QG`` then ``W`` (docs/model.md §2.4–§2.6).

:func:`device_weight_change` is the deterministic part of ``QG`` (steps 1–7: scale the
velocity, count pulses, move along the device curve, clip); :func:`tensor_update` adds the
stochastic rounding of step 8, the cycle-to-cycle noise and the weight clip, and returns
``w' − w``. :func:`tensor_update_static` and :func:`tensor_update_traced` are its two jitted
forms, for Python-valued and for array-valued (traced) ``max_level`` and ``c2c_sigma``;
:func:`cimjax.optim.device_update.device_update` applies them to every leaf.
"""

from __future__ import annotations

import functools
from typing import Union

import jax
import jax.numpy as jnp

from cimjax import quant
from cimjax.devices.nonlinear import c2c_noise, device_step_cell

Array = jax.Array

#: A device parameter given as a Python number (validated, static where it may be) or as a
#: JAX array (traced under ``jit``/``vmap``; validated only when concrete).
DeviceValue = Union[float, int, jax.Array]


def _pulse_count(x: Array, lr: Array, max_level: DeviceValue) -> tuple[Array, Array]:
    """Steps 1–3 of QG: ``x̂ = x/shift(max|x|)`` and ``ΔP = round(lr·x̂/2·L)``."""
    x_hat = x / quant.shift(jnp.max(jnp.abs(x))) if x.size else x
    gr = lr * x_hat
    return gr, jnp.round(gr / 2.0 * max_level)


def _weight_clip(w: Array, weight_bits: quant.Bits) -> Array:
    """``C(w, b_W)``; float weight bits clip to the device's range [−1, 1] (δ = 0)."""
    if quant.is_float_bits(weight_bits):
        return jnp.clip(w, -1.0, 1.0)
    return quant.clip_c(w, weight_bits)


def device_weight_change(
    x: Array,
    w: Array,
    a_ltp: Array,
    a_ltd: Array,
    learning_rate: Union[float, Array],
    *,
    max_level: DeviceValue,
    weight_bits: quant.Bits = 5,
    clip_pulses: bool = False,
    ideal: bool = False,
) -> tuple[Array, Array]:
    """Deterministic part of QG for one tensor: the device's weight change ``d`` (pre-SR).

    Source: docs/model.md §2.4 steps 1–7.

    1. ``x̂ = x/shift(max|x|)`` over the whole tensor; 2. ``gr = lr·x̂``;
    3. ``ΔP = round(gr/2·L)``; 4–6. ``w_new`` from the device curve
    (:func:`cimjax.devices.nonlinear.device_step_cell`, ``A_LTP`` where ``ΔP < 0``);
    7. ``d = w − C(w_new, b_W)``.

    With ``ideal=True`` the device is skipped and ``d = gr = lr·x̂`` exactly: WAGE's
    gradient (docs/model.md §2.4 "why step 8 gives sensible steps"). A linear device (``A = ±inf``,
    NL = 0) instead gives the pulse-quantised ``d = w − C(w − 2ΔP/L)``, which equals
    ``2ΔP/L`` (within ``|lr·x̂ − d| ≤ 1/L``) wherever the clip does not act.

    Args:
      x: velocity tensor (the update direction; the weight moves by ``−d``).
      w: current weights, same shape, weight units.
      a_ltp: signed LTP curve constants in pulses, same shape (``±inf`` = linear).
      a_ltd: signed LTD curve constants in pulses, same shape.
      learning_rate: ``lr`` (NeuroSim ``grad_scale``), scalar.
      max_level: ``L``, pulses across the range: a Python int or a (traced) scalar array;
        it only enters as a float scale (``ΔP = round(gr/2·L)``, the curve's ``L/A``).
      weight_bits: ``b_W`` of ``C`` (static; float markers clip to [−1, 1]).
      clip_pulses: clip pulse positions to [0, L] (static).
      ideal: WAGE's update instead of the device curve (static).

    Returns:
      ``(d, delta_pulses)``: weight change in weight units and the signed pulse count
      ``ΔP``, both with the shape and dtype of ``w``.
    """
    gr, dp = _pulse_count(x.astype(w.dtype), jnp.asarray(learning_rate, w.dtype), max_level)
    if ideal:
        return gr, dp
    w_new = device_step_cell(w, dp, a_ltp, a_ltd, max_level, clip_pulses=clip_pulses)
    return (w - _weight_clip(w_new, weight_bits)).astype(w.dtype), dp


def tensor_update(
    x, w, a_ltp, a_ltd, lr, key_sr, key_c2c, max_level, c2c_sigma, *, weight_bits, gradient_bits, c2c_mode,
    clip_pulses, ideal, add_c2c,
):
    """One tensor: QG (steps 1–8) and W; returns ``w' − w`` (see
    :func:`cimjax.optim.device_update.device_update`).

    ``max_level`` and ``c2c_sigma`` may be Python numbers or (traced) arrays; ``add_c2c``
    (static) says whether the c2c term is added at all (a traced σ always adds it: with σ =
    0 the term is ``±0``, so the result equals the Python-zero path's).
    """
    d, dp = device_weight_change(
        x, w, a_ltp, a_ltd, lr, max_level=max_level, weight_bits=weight_bits,
        clip_pulses=clip_pulses, ideal=ideal,
    )
    if quant.is_float_bits(gradient_bits):
        delta = d
    else:
        delta = quant.stochastic_round(key_sr, d) / quant.scale_s(gradient_bits)
    w_new = w - delta
    if add_c2c:
        w_new = w_new + c2c_noise(key_c2c, delta, c2c_sigma, c2c_mode, dp)
    w_new = _weight_clip(w_new, weight_bits)
    return (w_new - w).astype(w.dtype)


@functools.partial(
    jax.jit,
    static_argnames=(
        "max_level", "weight_bits", "gradient_bits", "c2c_sigma", "c2c_mode", "clip_pulses", "ideal",
    ),
)
def tensor_update_static(
    x, w, a_ltp, a_ltd, lr, key_sr, key_c2c, *, max_level, weight_bits, gradient_bits, c2c_sigma,
    c2c_mode, clip_pulses, ideal,
):
    """:func:`tensor_update` with Python-valued (static) ``max_level`` and ``c2c_sigma``."""
    return tensor_update(
        x, w, a_ltp, a_ltd, lr, key_sr, key_c2c, max_level, c2c_sigma, weight_bits=weight_bits,
        gradient_bits=gradient_bits, c2c_mode=c2c_mode, clip_pulses=clip_pulses, ideal=ideal,
        add_c2c=c2c_sigma > 0,
    )


#: :func:`tensor_update` with array-valued (traced) ``max_level`` and ``c2c_sigma``.
tensor_update_traced = jax.jit(
    tensor_update,
    static_argnames=("weight_bits", "gradient_bits", "c2c_mode", "clip_pulses", "ideal", "add_c2c"),
)
