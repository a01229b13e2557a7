"""WAGE quantisation in the training path of a CIM layer (docs/model.md §1.1–§1.3).

This module holds all the quantiser math the layers in :mod:`cimjax.nn.layers` use, as
pure ``jax.numpy`` functions on arrays; the primitives ``S``, ``shift``, ``C``, ``Q`` come
from :mod:`cimjax.quant`.

* :func:`wage_quantize_activation` is NeuroSim's ``WAGEQuantizer_f``: it quantises the
  layer output to ``b_A`` bits in the forward pass and the error to ``b_E`` bits
  (``QE`` = :func:`cimjax.quant.quantize_e`) in the backward pass, followed by the
  derivative of the clip.
* :func:`wage_quantize_weight` is the weight path: value ``Q(w, b_W)``, gradient
  ``s · ∂L/∂wq`` (the "gradient-scale detach trick"), no forward clip.
* :func:`wage_conv` / :func:`wage_dense` compute ``y_pre / s`` with the quantised weight.
* :func:`wage_scale_limit` and :func:`wage_uniform_init` are the WAGE initialiser.

Bit widths are static Python values: an int in [1, 16], or ``32`` / ``None`` (or
NeuroSim's ``−1``) for float (no quantisation). They are checked when a function is
called (at trace time), never inside jit.
"""

from __future__ import annotations

import functools
import math
from typing import Optional, Sequence

import jax
import jax.numpy as jnp

from cimjax import quant


#: The β NeuroSim V2.0 uses, edited by hand in ``wage_initializer.py`` for each weight
#: precision (docs/model.md §1.2); :func:`wage_beta` uses them where they exist.
NEUROSIM_HAND_BETA: dict[int, float] = {2: 1.5, 5: 24.0, 8: 96.0}

Bits = Optional[int]


def is_float_bits(bits: Bits) -> bool:
    """True when ``bits`` means float (no quantisation): ``None``, 32 or −1."""
    return quant.is_float_bits(bits)


def check_bits(name: str, bits: Bits) -> Bits:
    """Validates a bit width and normalises the float marker to ``None``.

    Args:
      name: what the bit width is, for the error message.
      bits: an int in [1, 16], or 32 / None (cimjax) / −1 (NeuroSim) for float.

    Returns:
      ``bits`` as an int, or ``None`` for float.

    Raises:
      ValueError: for anything else (bools, floats, 0, 17…31, > 32).
    """
    if is_float_bits(bits):
        return None
    if isinstance(bits, bool) or not isinstance(bits, int) or not 1 <= bits <= 16:
        raise ValueError(
            f"{name}: bit width must be an int in [1, 16], or 32 / None / -1 for float; got {bits!r}"
        )
    return int(bits)


# --------------------------------------------------------------------------------------
# Activation / error quantiser (WAGEQuantizer_f)
# --------------------------------------------------------------------------------------


def quantize_activation_value(x: jax.Array, bits: Bits) -> jax.Array:
    """The forward value of the activation quantiser: ``Q(C(x, b_A), b_A)``.

    Args:
      x: any shape.
      bits: ``b_A``; float (None / 32) returns ``x`` unchanged.

    Returns:
      Array of the shape and dtype of ``x``.
    """
    bits = check_bits("act_bits", bits)
    if bits is None:
        return x
    return quant.quantize_q(quant.clip_c(x, bits), bits)


def clip_mask(x: jax.Array, bits: Bits) -> Optional[jax.Array]:
    """Derivative of the clip ``C(x, b)``: True inside ``[−1+δ, 1−δ]``, bounds included.

    Returns ``None`` (no mask) for float bits. The bounds are those of
    :func:`cimjax.quant.clip_c`: ``x`` passes when clipping leaves it unchanged, which is
    PyTorch's rule for ``clamp`` (the gradient passes at a bound exactly).
    """
    bits = check_bits("act_bits", bits)
    if bits is None:
        return None
    return quant.clip_c(x, bits) == x


@functools.partial(jax.custom_vjp, nondiff_argnums=(1, 2))
def _act_quant(x: jax.Array, act_bits: Bits, err_bits: Bits) -> jax.Array:
    return quantize_activation_value(x, act_bits)


def _act_quant_fwd(x, act_bits, err_bits):
    return quantize_activation_value(x, act_bits), clip_mask(x, act_bits)


def _act_quant_bwd(act_bits, err_bits, mask, g):
    e = quant.quantize_e(g, err_bits)
    if mask is not None:
        e = jnp.where(mask, e, jnp.zeros_like(e))
    return (e,)


_act_quant.defvjp(_act_quant_fwd, _act_quant_bwd)


def wage_quantize_activation(x: jax.Array, act_bits: Bits, err_bits: Bits) -> jax.Array:
    """NeuroSim's ``WAGEQuantizer_f``, applied to every CIM layer output (docs/model.md §1.1).

    Forward: ``y = Q(C(x, b_A), b_A)`` (``y = x`` for float ``b_A``).
    Backward: the incoming error ``e`` becomes ``QE(e, b_E)`` (unchanged for float
    ``b_E``), then is multiplied by the clip derivative, 1 on ``[−1+δ, 1−δ]`` (bounds
    included) and 0 outside (no mask for float ``b_A``). ``Q`` is straight-through.

    Args:
      x: layer pre-activation, any shape (e.g. ``(N, H, W, C)`` or ``(N, F)``).
      act_bits: ``b_A``, an int in [1, 16] or 32 / None for float. NeuroSim's last
        layer has float activations but still quantises its error.
      err_bits: ``b_E``, same convention.

    Returns:
      The quantised activation, shape and dtype of ``x``.
    """
    act_bits = check_bits("act_bits", act_bits)
    err_bits = check_bits("err_bits", err_bits)
    if act_bits is None and err_bits is None:
        return x
    return _act_quant(x, act_bits, err_bits)


# --------------------------------------------------------------------------------------
# Weight path (docs/model.md §1.3)
# --------------------------------------------------------------------------------------


def wage_quantize_weight(w: jax.Array, scale: float, weight_bits: Bits, *, clip: bool = False) -> jax.Array:
    """The weight as the CIM array sees it in the training forward pass.

    Two detach tricks (docs/model.md §1.3):

    1. ``w1`` has the value ``w`` and the gradient ``s`` times the incoming one.
       NeuroSim writes ``w1 = w·s + stop_gradient(w − w·s)``, whose float32 value can be
       one ulp away from ``w`` (``w − w·s`` is rounded). Here it is written
       ``w1 = stop_gradient(w) + s·(w − stop_gradient(w))``: same gradient, and the value
       is exactly ``w`` (so float weights pass unchanged). ``Q(w1)`` can differ from
       NeuroSim's only where ``w·2^(b_W−1)`` is within one ulp of a rounding tie.
    2. ``wq = w1 + stop_gradient(Q(w1, b_W) − w1)``: the value is ``Q(w1, b_W)``, the
       gradient passes straight through.

    NeuroSim applies **no clip** here (the update step clips the stored weights);
    ``clip=True`` is the "forward weight clip" variant of docs/model.md §9 and uses ``Q(C(w1))``.

    Args:
      w: the stored float weight, any shape.
      scale: the layer's WAGE scale ``s`` (a static power of two, ≥ 1).
      weight_bits: ``b_W``; float (None / 32) skips ``Q`` (and the clip).
      clip: apply ``C(·, b_W)`` before ``Q`` (not NeuroSim's behaviour).

    Returns:
      ``wq``, shape and dtype of ``w``; ``∂wq/∂w = s``.
    """
    weight_bits = check_bits("weight_bits", weight_bits)
    s = jnp.asarray(scale, dtype=w.dtype)
    w_const = jax.lax.stop_gradient(w)
    w1 = w_const + s * (w - w_const)
    if weight_bits is None:
        return w1
    target = quant.clip_c(w1, weight_bits) if clip else w1
    return w1 + jax.lax.stop_gradient(quant.quantize_q(target, weight_bits) - w1)


def wage_conv(
    x: jax.Array,
    w: jax.Array,
    scale: float,
    weight_bits: Bits,
    *,
    clip_weight: bool = False,
    precision: Optional[jax.lax.Precision] = None,
) -> jax.Array:
    """Convolution with the WAGE weight path: ``conv(x, wq) / s``, stride 1, 'SAME'.

    'SAME' equals NeuroSim's symmetric padding ``K//2`` for the odd kernels it uses.

    Args:
      x: input, ``(N, H, W, C_in)``.
      w: stored weight, ``(K, K, C_in, C_out)`` (HWIO).
      scale: the layer's WAGE scale ``s``.
      weight_bits: ``b_W``.
      clip_weight: see :func:`wage_quantize_weight`.
      precision: passed to ``jax.lax.conv_general_dilated`` (None = JAX's default, which
        may use TF32 on recent NVIDIA GPUs).

    Returns:
      ``y_pre / s``, ``(N, H, W, C_out)``.
    """
    wq = wage_quantize_weight(w, scale, weight_bits, clip=clip_weight)
    y = jax.lax.conv_general_dilated(
        x,
        wq,
        window_strides=(1, 1),
        padding="SAME",
        dimension_numbers=("NHWC", "HWIO", "NHWC"),
        precision=precision,
    )
    return y / jnp.asarray(scale, dtype=y.dtype)


def wage_dense(
    x: jax.Array,
    w: jax.Array,
    scale: float,
    weight_bits: Bits,
    *,
    clip_weight: bool = False,
    precision: Optional[jax.lax.Precision] = None,
) -> jax.Array:
    """Fully connected layer with the WAGE weight path: ``(x @ wq) / s``.

    Args:
      x: input, ``(N, F_in)``.
      w: stored weight, ``(F_in, F_out)``.
      scale: the layer's WAGE scale ``s``.
      weight_bits: ``b_W``.
      clip_weight: see :func:`wage_quantize_weight`.
      precision: passed to ``jnp.matmul``.

    Returns:
      ``y_pre / s``, ``(N, F_out)``.
    """
    wq = wage_quantize_weight(w, scale, weight_bits, clip=clip_weight)
    y = jnp.matmul(x, wq, precision=precision)
    return y / jnp.asarray(scale, dtype=y.dtype)


# --------------------------------------------------------------------------------------
# WAGE initialiser (docs/model.md §1.2)
# --------------------------------------------------------------------------------------


def wage_beta(weight_bits: int) -> float:
    """β of the WAGE initialiser (docs/model.md §1.2), so that ``W_m = β / 2^(b_W − 1)``.

    NeuroSim V2.0 does not derive β: it is a constant edited by hand in
    ``wage_initializer.py`` for each weight precision: ``β = 24`` for 5 bit (the default,
    ``W_m = 1.5``), ``96`` for 8 bit and ``1.5`` for 2 bit (both ``W_m = 0.75``; the
    8-bit scale table 2, 16, 16, 16, 16, 32, 32, 16 of docs/model.md §1.2). Those hand values are
    used where NeuroSim has one (:data:`NEUROSIM_HAND_BETA`); other precisions get
    ``β = 1.5 · 2^(b_W − 1)`` (``W_m = 1.5``, the 5-bit choice), which is cimjax's
    extrapolation, not NeuroSim's.

    Args:
      weight_bits: ``b_W``, an int in [1, 16].

    Returns:
      β as a float.
    """
    return NEUROSIM_HAND_BETA.get(weight_bits, 1.5 * 2.0 ** (weight_bits - 1))


def wage_scale_limit(fan_in: int, weight_bits: Bits, beta: Optional[float] = None) -> tuple[float, float]:
    """Per-layer WAGE scale and init limit (NeuroSim's ``scale_limit``).

    ``float_limit = sqrt(3 / fan_in)``; ``W_m = β / 2^(b_W − 1)``;
    ``scale = max(1, 2^round(log2(W_m / float_limit)))`` (round half to even);
    ``limit = max(W_m, float_limit)``. Float weights get ``scale = 1`` and
    ``limit = float_limit`` (plain uniform fan-in init).

    Args:
      fan_in: ``C_in·K·K`` for a convolution, ``in_features`` for a dense layer.
      weight_bits: ``b_W``; float is None / 32.
      beta: override β; None uses :func:`wage_beta`.

    Returns:
      ``(scale, limit)`` as Python floats.
    """
    if isinstance(fan_in, bool) or not isinstance(fan_in, int) or fan_in < 1:
        raise ValueError(f"fan_in must be a positive int; got {fan_in!r}")
    weight_bits = check_bits("weight_bits", weight_bits)
    float_limit = math.sqrt(3.0 / fan_in)
    if weight_bits is None:
        return 1.0, float_limit
    if beta is None:
        beta = wage_beta(weight_bits)
    if not beta > 0:
        raise ValueError(f"beta must be > 0; got {beta!r}")
    w_m = beta / 2.0 ** (weight_bits - 1)
    scale = max(1.0, 2.0 ** round(math.log2(w_m / float_limit)))
    return float(scale), float(max(w_m, float_limit))


def wage_uniform_init(
    key: jax.Array, shape: Sequence[int], limit: float, dtype: jnp.dtype = jnp.float32
) -> jax.Array:
    """Draws weights from ``uniform(−limit, limit)``.

    Args:
      key: a PRNG key.
      shape: weight shape.
      limit: from :func:`wage_scale_limit`.
      dtype: parameter dtype.

    Returns:
      Array of ``shape`` and ``dtype``.
    """
    return jax.random.uniform(key, tuple(shape), dtype=dtype, minval=-limit, maxval=limit)
