"""Weights → cell conductances, inputs → bit planes (docs/model.md §2.7, §2.8, §3.2 steps 3–6).

docs/model.md's cell conductance for digit ``r ∈ [0, cellRange − 1]`` is
``g = (1 − lower)·r + (cellRange − 1)·lower`` with ``lower = 1/on_off_ratio`` (``upper =
1``), so ``G_min = (cellRange − 1)·lower`` (digit 0 is not 0) and ``G_max = cellRange −
1``. Internally every conductance is multiplied by :attr:`ArrayConfig.conductance_unit`
(the on/off ratio when finite): ``g = (on_off − 1)·r + (cellRange − 1)``, integer for an
integer ratio, so ideal partial sums are exact (see there). Pure ``jax.numpy``;
randomness only through explicit keys.
"""

from __future__ import annotations

from typing import Optional, Sequence

import jax
import jax.numpy as jnp

from cimjax.analog.config import ArrayConfig

Array = jax.Array


def weight_levels(w: Array, cfg: ArrayConfig) -> Array:
    """``X = clip(round((2^b_W − 1)/2·(w + 1)), 0, 2^b_W − 1)`` (docs/model.md §3.2 step 3).

    Round is half-to-even. The clip is cimjax's: NeuroSim's training forward does not clip
    the weights (|w| can exceed 1 early in training) and never guards X.

    With ``cfg.level_mapping = 'exact'``: ``X = clip(round(w·2^(b_W−1)) + 2^(b_W−1), 1,
    2^b_W − 1)``, the zero-centred grid that holds WAGE's ``k/2^(b_W−1)`` exactly (symmetric:
    ``|w| ≤ 1 − 2^(1−b_W)``, WAGE's own clip range).

    Args:
      w: weights in [−1, 1] (the WAGE-quantised ``wq``), any shape.
      cfg: the array configuration (``weight_bits``).

    Returns:
      Integer-valued float levels, shape and dtype of ``w``.
    """
    top = 2.0**cfg.weight_bits - 1.0
    w = jnp.asarray(w)
    if cfg.level_mapping == "exact":
        half = 2.0 ** (cfg.weight_bits - 1)
        return jnp.clip(jnp.round(w * jnp.asarray(half, w.dtype)) + half, 1.0, top)
    return jnp.clip(jnp.round((w + 1.0) * jnp.asarray(top / 2.0, w.dtype)), 0.0, top)


def effective_weight(w: Array, cfg: ArrayConfig) -> Array:
    """The weight an ideal array computes with: ``(2X − (2^b_W − 1))/2^b_W``.

    This is what the recombination of docs/model.md §3.2 step 8 reproduces exactly with ideal cells
    and no ADC. Note the gain ``(2^b_W − 1)/2^b_W`` and the odd grid: WAGE's ``w = 0``
    becomes ``+1/2^b_W`` (``X`` rounds 15.5 to 16 for 5 bits). With
    ``level_mapping = 'exact'`` it is ``(X − 2^(b_W−1))/2^(b_W−1)``, WAGE's weight itself.

    Args:
      w: weights, any shape.
      cfg: the array configuration.

    Returns:
      Same shape and dtype as ``w``.
    """
    if cfg.level_mapping == "exact":
        half = 2.0 ** (cfg.weight_bits - 1)
        return (weight_levels(w, cfg) - half) * (1.0 / half)
    top = 2.0**cfg.weight_bits - 1.0
    return (2.0 * weight_levels(w, cfg) - top) * (2.0**-cfg.weight_bits)


def input_levels(x: Array, cfg: ArrayConfig) -> Array:
    """``I = clip(round((2^b_A − 1)·x), 0, 2^b_A − 1)`` (docs/model.md §3.2 step 6).

    The clip is cimjax's (NeuroSim feeds ReLU/WAGE outputs, already in [0, 1)).

    With ``cfg.level_mapping = 'exact'``: ``I = clip(round(2^b_A·x), 0, 2^b_A − 1)``, read back
    as ``I/2^b_A``, so WAGE's ``b_A``-bit activations ``k/2^(b_A−1) ∈ [0, 1)`` are read exactly
    (NeuroSim's ``(2^b_A − 1)·x`` reads ``127/128`` as ``253/256``).

    Args:
      x: unsigned activations in [0, 1], any shape.
      cfg: the array configuration (``input_bits``).

    Returns:
      Integer-valued float levels, shape and dtype of ``x``.
    """
    top = 2.0**cfg.input_bits - 1.0
    x = jnp.asarray(x)
    gain = 2.0**cfg.input_bits if cfg.level_mapping == "exact" else top
    return jnp.clip(jnp.round(x * jnp.asarray(gain, x.dtype)), 0.0, top)


def effective_input(x: Array, cfg: ArrayConfig) -> Array:
    """The input the bit-serial read computes with: ``I/2^b_A`` (float input if not serial).

    Args:
      x: activations, any shape.
      cfg: the array configuration.

    Returns:
      Same shape and dtype as ``x``.
    """
    if not cfg.bit_serial:
        return jnp.asarray(x)
    return input_levels(x, cfg) * (2.0**-cfg.input_bits)


def cell_digits(levels: Array, cfg: ArrayConfig) -> Array:
    """Splits levels into ``num_cells`` base-``cellRange`` digits, least significant first.

    Args:
      levels: integer-valued levels in ``[0, 2^b_W − 1]``, any shape.
      cfg: the array configuration.

    Returns:
      ``(num_cells, *levels.shape)`` float digits in ``[0, cellRange − 1]``.
    """
    ks = jnp.arange(cfg.num_cells, dtype=jnp.int32) * cfg.cell_bits
    ints = levels.astype(jnp.int32)
    digits = (ints[None] >> ks.reshape((-1,) + (1,) * levels.ndim)) & (cfg.cell_range - 1)
    return digits.astype(levels.dtype)


def cell_shape(w_shape: Sequence[int], cfg: ArrayConfig) -> tuple[int, ...]:
    """Shape of the per-cell arrays (``variation``, ``drift_sign``) for a weight shape.

    ``(num_cells, *w_shape)`` for the dummy mapping, ``(2, num_cells, *w_shape)`` for the
    differential mapping (index 0 = G+, 1 = G−).
    """
    base = (cfg.num_cells, *tuple(w_shape))
    return (2, *base) if cfg.mapping == "differential" else base


def draw_variation(key: jax.Array, shape: Sequence[int], sigma: float,
                   dtype: jnp.dtype = jnp.float32) -> Array:
    """Static device-to-device conductance variation ``ε ~ N(0, σ)`` (docs/model.md §2.8).

    Draw once per programmed array and pass it to every read: the cell conductance becomes
    ``g·(1 + ε)``. (NeuroSim V2.0 redraws with numpy at every call, so its "variation"
    is in effect read noise; a static draw is the device-to-device picture.)

    Args:
      key: a PRNG key.
      shape: :func:`cell_shape` of the weight.
      sigma: relative standard deviation, ≥ 0.
      dtype: float dtype.

    Returns:
      ``sigma·N(0, 1)`` of ``shape``.
    """
    if not sigma >= 0:
        raise ValueError(f"sigma must be >= 0; got {sigma!r}")
    return jnp.asarray(sigma, dtype) * jax.random.normal(key, tuple(shape), dtype)


def draw_drift_sign(key: jax.Array, shape: Sequence[int], dtype: jnp.dtype = jnp.float32) -> Array:
    """Random drift directions for ``drift_mode='random'``: uniform in {−1, 0, +1}.

    NeuroSim's ``detect=0`` draws an integer in [−1, 2), so 0 (no drift) is as likely as
    either direction; this keeps that.

    Args:
      key: a PRNG key.
      shape: :func:`cell_shape` of the weight.
      dtype: float dtype of the result.

    Returns:
      Array of ``shape`` with values in {−1, 0, 1}.
    """
    return jax.random.randint(key, tuple(shape), -1, 2).astype(dtype)


def apply_retention(g: Array, cfg: ArrayConfig, drift_sign: Optional[Array] = None,
                    time: Optional[Array] = None) -> Array:
    """Retention drift ``G(t) = G0·(t/t0)^(v·s)``, ``t0`` = 1 s, clipped to [G_min, G_max].

    NeuroSim applies the factor ``t^(v·s)`` to the normalised level ``(x + 1)/2`` of the
    weight and clips to the tensor's own min/max; cimjax applies it to the physical cell
    conductance (so a digit-0 cell at G_min drifts too, which NeuroSim cannot show;
    the two agree for an infinite on/off ratio) and clips to the device window.

    Direction ``s``: ``'target'`` mode uses ``s = sign(G_target − G0)`` with
    ``G_target = G_min + drift_target·(G_max − G_min)`` (NeuroSim's ``detect=1``; its
    target expression ``(range(x)·target + 1)/2`` is not reproduced). With ``v > 0`` and
    ``t > t0`` every cell then moves towards the target; ``v < 0`` moves away. ``'random'``
    mode takes ``s`` from ``drift_sign``. ``t = t0`` or ``v = 0`` is the identity.

    Args:
      g: conductances in internal units, ``cell_shape`` (any shape for ``'target'``).
      cfg: the array configuration.
      drift_sign: ``s`` for ``'random'`` mode, broadcastable to ``g``.
      time: ``t`` in seconds as a (traceable) array, > 0, overriding ``cfg.retention_time``
        so that ``t`` can be vmapped or swept without recompiling (used by
        :mod:`cimjax.evaluate`); the drift is then applied whenever ``cfg.drift_v ≠ 0``
        (``t = 1`` gives the factor 1 exactly).

    Returns:
      Drifted conductances, shape and dtype of ``g``.
    """
    if time is None and not cfg.has_drift:
        return g
    if time is not None and cfg.drift_v == 0.0:
        return g
    g_min, g_max = conductance_window(cfg)
    if cfg.drift_mode == "target":
        s = jnp.sign(g_min + cfg.drift_target * (g_max - g_min) - g)
    else:
        if drift_sign is None:
            raise ValueError("drift_mode='random' needs drift_sign (see draw_drift_sign)")
        s = jnp.asarray(drift_sign, g.dtype)
    t = jnp.asarray(cfg.retention_time if time is None else time, g.dtype)
    factor = jnp.exp(s * (cfg.drift_v * jnp.log(t)))
    return jnp.clip(g * factor, g_min, g_max)


def cell_conductances(
    w: Array,
    cfg: ArrayConfig,
    *,
    variation: Optional[Array] = None,
    drift_sign: Optional[Array] = None,
) -> tuple[Array, Array]:
    """The conductance of every cell column of every weight, and how to recombine them.

    Steps 3–4 of docs/model.md §3.2, then retention, then variation ``g·(1 + ε)`` (no clip: a
    large σ can make a conductance negative, as in NeuroSim).

    Args:
      w: weights in [−1, 1], any shape.
      cfg: the array configuration.
      variation: ``ε`` of :func:`cell_shape` (from :func:`draw_variation`) or None.
      drift_sign: for ``drift_mode='random'``, :func:`cell_shape` or None.

    Returns:
      ``(g, coef)``: ``g`` is ``(C, *w.shape)`` in internal units
      (:attr:`ArrayConfig.conductance_unit`) with ``C = num_cells`` (dummy) or
      ``2·num_cells`` (G+ cells then G− cells); ``coef`` is ``(C,)``, the factor each
      column's ADC output is multiplied by before summing, ``/2^b_W`` and ``/unit``
      included: dummy ``cellRange^k·2/(1 − lower)/2^b_W/unit``; differential
      ``±cellRange^k/(1 − lower)/2^b_W/unit``. The dummy read is subtracted with the
      coefficient ``sum(coef)``.
    """
    w = jnp.asarray(w)
    levels = weight_levels(w, cfg)
    digits = cell_digits(levels, cfg)
    if cfg.mapping == "differential":
        if cfg.level_mapping == "exact":  # G− holds 2^b_W − X (X ≥ 1, so it fits the digits)
            negative = cell_digits(2.0**cfg.weight_bits - levels, cfg)
        else:  # G− holds 2^b_W − 1 − X: digit by digit the complement
            negative = (cfg.cell_range - 1) - digits
        digits = jnp.concatenate([digits, negative], axis=0)
    if cfg.on_off_ratio == float("inf"):
        g = digits
    else:
        g = (cfg.on_off_ratio - 1.0) * digits + float(cfg.cell_range - 1)
    if drift_sign is not None:
        drift_sign = jnp.reshape(jnp.asarray(drift_sign, g.dtype), g.shape)
    g = apply_retention(g, cfg, drift_sign)
    if variation is not None:
        g = g * (1.0 + jnp.reshape(jnp.asarray(variation, g.dtype), g.shape))
    k = jnp.arange(cfg.num_cells, dtype=g.dtype)
    # cellRange^k/(1 − lower)/2^b_W divided by the internal unit: (1 − lower)·unit = on_off − 1.
    denom = 1.0 if cfg.on_off_ratio == float("inf") else cfg.on_off_ratio - 1.0
    base = cfg.cell_range**k * (2.0**-cfg.weight_bits / denom)
    if cfg.mapping == "differential":
        coef = jnp.concatenate([base, -base])
    else:
        coef = 2.0 * base
    return g, coef.astype(g.dtype)


def conductance_window(cfg: ArrayConfig) -> tuple[float, float]:
    """``(G_min, G_max)`` of a cell in internal units: ``(cellRange − 1)·(lower, 1)·unit``."""
    top = float(cfg.cell_range - 1)
    if cfg.on_off_ratio == float("inf"):
        return 0.0, top
    return top, top * cfg.on_off_ratio


def dummy_conductance(cfg: ArrayConfig) -> float:
    """The dummy cell's conductance, ``(cellRange − 1)·(1 + lower)/2`` (step 5), internal units.

    That is the digit ``(cellRange − 1)/2`` in every cell, the level ``(2^b_W − 1)/2`` of
    NeuroSim's mapping. With ``level_mapping = 'exact'`` the reference is the zero level
    ``2^(b_W−1)``: one column read with the summed coefficients gives it when each dummy cell
    stands for the digit ``d = 2^(b_W−1)·(cellRange − 1)/(2^b_W − 1)`` (``Σ_k cellRange^k·d =
    2^(b_W−1)``), an analog conductance between two digit levels, as NeuroSim's middle one is.
    """
    g_min, g_max = conductance_window(cfg)
    if cfg.level_mapping == "exact":
        d = 2.0 ** (cfg.weight_bits - 1) * (cfg.cell_range - 1) / (2.0**cfg.weight_bits - 1.0)
        return g_min + (g_max - g_min) * d / (cfg.cell_range - 1)
    return (g_min + g_max) / 2.0
