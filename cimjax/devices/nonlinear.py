"""NeuroSim's nonlinear conductance-versus-pulse device, in weight units (docs/model.md §2.1–§2.6).

Pure ``jax.numpy``; every function is element-wise and written for one cell (scalars),
so arrays, layers and device-to-device populations come from broadcasting.

Conventions (docs/model.md §2.1):

* A weight ``w ∈ [−1, 1]`` maps onto the conductance range (``w = −1`` at ``G_min``,
  ``+1`` at ``G_max``); a pulse position ``p ∈ [0, L]`` counts pulses from ``G_min``, with
  ``L = max_level`` (``P_max``) pulses across the range.
* The curve is ``w(p) = B·(1 − e^(−p/A)) − 1`` with ``B = 2/(1 − e^(−L/A))`` and a signed
  ``A`` **in pulses** (``A = A_n·L``; ``A_n`` from :func:`cimjax.devices.nl_label.nl_to_a_norm`).
  ``A > 0`` is concave (saturating), ``A < 0`` convex.
* ``A = ±inf`` is the linear device, handled exactly: ``w = 2p/L − 1``. Any ``|A|/L``
  above ``1/eps`` of the dtype is also treated as linear (the curvature is below
  resolution).

Numerics. Internally the curve is evaluated in normalised form ``y = (w+1)/2``, ``x =
p/L``, ``k = L/|A|``. For ``A < 0`` the curve is the point reflection of the ``|A|``
curve through (½, ½): ``y_A(x) = 1 − y_|A|(1 − x)``, which keeps every exponential's
argument small. The forward curve uses ``expm1`` ratios; its exponent is clamped at
:data:`EXP_ARG_MAX` so an extrapolated weight far outside the range stays finite. The
inverse takes ``ln(1 − y·(1 − e^(−k)))`` (docs/model.md §2.4 step 5); that argument is evaluated
without cancellation inside the range and floored at :data:`LOG_ARG_FLOOR` outside it
(see :func:`pulses_from_weight`), so no function here ever returns NaN for finite input.
"""

from __future__ import annotations

import functools
from typing import Optional, Union

import jax
import jax.numpy as jnp

from cimjax.devices.nl_label import nl_to_a_norm

Array = jax.Array
ArrayLike = Union[jax.Array, float]

#: Floor on the logarithm's argument ``1 − (w+1)/B`` of the inverse curve (docs/model.md §2.4
#: numerical caveat). The argument is ≥ ``e^(−L/A)`` ≥ 9.5e-20 for every weight inside
#: [−1, 1] and every |NL| ≤ 9, so the floor only acts on weights beyond the curve's
#: asymptote (``w ≥ B − 1`` for ``A > 0``, ``w ≤ B − 1 < −1`` for ``A < 0``), where
#: NeuroSim returns NaN. Such a weight is placed at ``p = −A·ln(1e-30) ≈ 69·A`` pulses,
#: i.e. on the flat, saturated part of the curve.
LOG_ARG_FLOOR = 1e-30

#: Largest exponent the forward curve evaluates (``e^60 ≈ 1e26``): pulse positions
#: extrapolated beyond ``60·|A|`` pulses past the range give a clamped, finite weight far
#: outside [−1, 1] instead of ``inf``.
EXP_ARG_MAX = 60.0

#: NeuroSim's label range for device-to-device draws (docs/model.md §2.6; the table's range).
NL_CLIP = 9.0


def _float(x: ArrayLike) -> Array:
    x = jnp.asarray(x)
    if not jnp.issubdtype(x.dtype, jnp.floating):
        x = x.astype(jnp.result_type(float))
    return x


def _curve_params(a: Array, max_level) -> tuple[Array, Array, Array]:
    """``(k_safe, negative, linear)`` for signed ``A`` in pulses; ``k = L/|A|``."""
    k = max_level / jnp.abs(a)  # inf A → 0
    linear = k <= jnp.finfo(k.dtype).eps
    k_safe = jnp.where(linear, 1.0, k)
    return k_safe, a < 0, linear


def _y_of_x(x: Array, k: Array) -> Array:
    """Normalised concave curve ``y = (1 − e^(−kx))/(1 − e^(−k))`` for ``k > 0``."""
    return jnp.expm1(jnp.minimum(-k * x, EXP_ARG_MAX)) / jnp.expm1(-k)


def _x_of_y(y: Array, k: Array) -> Array:
    """Inverse of :func:`_y_of_x`: ``x = −ln(1 − y(1 − e^(−k)))/k``, argument floored."""
    t = y * jnp.expm1(-k)  # = −y(1 − e^(−k))
    # Near t = −1 (y ≈ 1, large k) 1 + t loses e^(−k); the split form keeps it exactly.
    split = (1.0 - y) + y * jnp.exp(-k)
    log_arg = jnp.where(
        t > -0.5,
        jnp.log1p(jnp.maximum(t, -0.5)),
        jnp.log(jnp.maximum(split, LOG_ARG_FLOOR)),
    )
    return -log_arg / k


@jax.jit
def curve_b(a: ArrayLike, max_level: ArrayLike) -> Array:
    """Curve amplitude ``B = 2/(1 − e^(−L/A))`` in weight units (docs/model.md §2.1, ``GetParamB``).

    Source: NeuroSim manual eq. 8.3 written in weight units (docs/model.md §2.1).

    Args:
      a: signed curve constant ``A`` in pulses (``A_n·max_level``), any shape.
      max_level: ``L``, pulses across the full range (> 0).

    Returns:
      ``B``: > 2 for ``A > 0``, in (−∞, 0) for ``A < 0`` (it underflows to −0 for
      ``L/|A| ≳ 88`` in float32), ``+inf`` for the linear device (``A = ±inf``), where
      ``w(p) = B(1 − e^(−p/A)) − 1`` has the limit ``2p/L − 1``.
    """
    a = _float(a)
    b = -2.0 / jnp.expm1(-max_level / a)
    return jnp.where(jnp.isinf(a), jnp.inf, b)


@jax.jit
def weight_from_pulses(p: ArrayLike, a: ArrayLike, max_level: ArrayLike) -> Array:
    """Weight at pulse position ``p``: ``w = B·(1 − e^(−p/A)) − 1`` (docs/model.md §2.1).

    Source: NeuroSim manual eqs. 8.1–8.3 in weight units (``NonlinearWeight``).

    Args:
      p: pulse position(s), in pulses from ``G_min``. The curve is defined on ``[0, L]``
        and extrapolated outside it (NeuroSim does not clip).
      a: signed curve constant ``A`` in pulses; ``±inf`` = linear. Broadcasts with ``p``.
      max_level: ``L``, pulses across the full range.

    Returns:
      ``w`` in weight units: −1 at ``p = 0``, +1 at ``p = L``; finite for finite input
      (exponent clamped at :data:`EXP_ARG_MAX`). Linear device: exactly ``2p/L − 1``.
    """
    p, a = _float(p), _float(a)
    x = p / max_level
    k, neg, linear = _curve_params(a, max_level)
    y = _y_of_x(jnp.where(neg, 1.0 - x, x), k)  # A < 0: point reflection through (½, ½)
    y = jnp.where(neg, 1.0 - y, y)
    return jnp.where(linear, 2.0 * x - 1.0, 2.0 * y - 1.0)


@jax.jit
def pulses_from_weight(w: ArrayLike, a: ArrayLike, max_level: ArrayLike) -> Array:
    """Pulse position of weight ``w``: ``p = −A·ln(1 − (w+1)/B)`` (docs/model.md §2.1, §2.4 step 5).

    Source: inverse of NeuroSim manual eq. 8.1 (``InvNonlinearWeight``).

    Log-argument clip (docs/model.md §2.4 numerical caveat): the argument ``1 − (w+1)/B`` is
    floored at :data:`LOG_ARG_FLOOR` = 1e-30. Inside ``w ∈ [−1, 1]`` the argument never
    reaches the floor for ``|NL| ≤ 9``; a weight beyond the curve's asymptote (possible
    after NeuroSim's ±1.5 initialisation: ``w ≥ B − 1`` for ``A > 0``, ``w ≤ B − 1`` for
    ``A < 0``) gets the position ``≈ 69·A`` pulses past the start of the curve (saturated)
    instead of NeuroSim's NaN. The function therefore never returns NaN for finite input.

    Args:
      w: weight(s) in weight units; valid (no clip) for ``w`` between ``−1`` and the
        asymptote ``B − 1``, which includes [−1, 1].
      a: signed curve constant ``A`` in pulses; ``±inf`` = linear. Broadcasts with ``w``.
      max_level: ``L``, pulses across the full range.

    Returns:
      ``p`` in pulses (0 at ``w = −1``, ``L`` at ``w = 1``; outside [0, L] for weights
      outside [−1, 1]). Linear device: exactly ``(w+1)·L/2``.
    """
    w, a = _float(w), _float(a)
    y = 0.5 * (w + 1.0)
    k, neg, linear = _curve_params(a, max_level)
    x = _x_of_y(jnp.where(neg, 1.0 - y, y), k)  # A < 0: point reflection through (½, ½)
    x = jnp.where(neg, 1.0 - x, x)
    return jnp.where(linear, y, x) * max_level


@functools.partial(jax.jit, static_argnames=("clip_pulses",))
def device_step_cell(
    w: ArrayLike,
    delta_pulses: ArrayLike,
    a_ltp: ArrayLike,
    a_ltd: ArrayLike,
    max_level: ArrayLike,
    *,
    clip_pulses: bool = False,
) -> Array:
    """One programming event of one cell: apply ``−ΔP`` pulses along the device curve.

    Source: docs/model.md §2.3 and §2.4 steps 4–6 (NeuroSim ``QG``, device part).

    * ``ΔP < 0`` moves the weight up (potentiation) along the ``A_LTP`` curve;
      ``ΔP ≥ 0`` uses ``A_LTD`` (same-sign labels retrace one curve: symmetric; opposite
      signs saturate both ways: asymmetric).
    * ``p0 = pulses_from_weight(w, A)``; ``w_new = weight_from_pulses(p0 − ΔP, A)``.
    * The pulse position is **not** clipped to [0, L] (NeuroSim extrapolates the curve);
      ``clip_pulses=True`` clips ``p0 − ΔP`` to [0, L] instead.
    * ``ΔP = 0`` returns ``w`` exactly (NeuroSim's round trip would add ~1 ulp).
    * A linear cell (``A = ±inf``) returns exactly ``w − 2ΔP/L`` (without
      ``clip_pulses``).

    Args:
      w: current weight(s), weight units; scalar or any shape.
      delta_pulses: signed pulse count ``ΔP`` (integer-valued float; positive = LTD
        direction, the weight decreases). Broadcasts with ``w``.
      a_ltp: signed LTP curve constant in pulses (``A_n·L``; ``±inf`` = linear).
      a_ltd: signed LTD curve constant in pulses.
      max_level: ``L``, pulses across the full range (static or array).
      clip_pulses: clip the new pulse position to [0, L] (static; default False).

    Returns:
      The new weight in weight units (not clipped to the weight range; the caller clips
      with ``C``), with the broadcast shape of the inputs. Finite for finite inputs.
    """
    w, dp = _float(w), _float(delta_pulses)
    a = jnp.where(dp < 0, _float(a_ltp), _float(a_ltd))
    p1 = pulses_from_weight(w, a, max_level) - dp
    if clip_pulses:
        p1 = jnp.clip(p1, 0.0, max_level)
    w_new = weight_from_pulses(p1, a, max_level)
    if not clip_pulses:
        linear = _curve_params(a, max_level)[2]
        w_new = jnp.where(linear, w - 2.0 * dp / max_level, w_new)
    return jnp.where(dp == 0, w, w_new)


def sample_d2d_a(
    key: jax.Array,
    shape: tuple[int, ...],
    nl_ltp: ArrayLike,
    nl_ltd: ArrayLike,
    d2d_sigma: ArrayLike,
    max_level: ArrayLike,
    *,
    floor_to_grid: bool = True,
    dtype=None,
) -> tuple[Array, Array]:
    """Per-weight ``(A_LTP, A_LTD)`` in pulses, with device-to-device variation.

    Source: docs/model.md §2.6 (NeuroSim ``train.py``): ``NL_dev = NL + N(0, σ_d2d)`` per weight,
    the **same** Gaussian draw added to the LTP and the LTD label, then ``A =
    GetParamA(NL_dev)·max_level``. Labels are clipped to [−9, 9] (NeuroSim's axis); a
    draw that flips a label's sign flips the curvature, and one landing exactly on 0 is a
    linear cell (``A = inf``).

    Args:
      key: ``jax.random`` key for the Gaussian draw.
      shape: shape of the weight tensor.
      nl_ltp: nominal LTP label in [−9, 9] (0 = linear).
      nl_ltd: nominal LTD label in [−9, 9].
      d2d_sigma: σ of the label draw, in label units (≥ 0; 0 = identical devices).
      max_level: ``L``, pulses across the full range.
      floor_to_grid: NeuroSim's 0.01-grid label lookup (True) or the continuous closed
        form (False); see :func:`cimjax.devices.nl_label.nl_to_a_norm`.
      dtype: floating dtype of the result (default: JAX's default float).

    Returns:
      ``(a_ltp, a_ltd)``: two arrays of ``shape``, signed, in pulses.
    """
    dtype = jnp.dtype(jnp.result_type(float) if dtype is None else dtype)
    return _sample_d2d_a(
        key, tuple(int(n) for n in shape), nl_ltp, nl_ltd, d2d_sigma, max_level,
        floor_to_grid=bool(floor_to_grid), dtype=dtype,
    )


@functools.partial(jax.jit, static_argnames=("shape", "floor_to_grid", "dtype"))
def _sample_d2d_a(key, shape, nl_ltp, nl_ltd, d2d_sigma, max_level, *, floor_to_grid, dtype):
    z = jax.random.normal(key, shape, dtype) * jnp.asarray(d2d_sigma, dtype)
    nl_p = jnp.clip(jnp.asarray(nl_ltp, dtype) + z, -NL_CLIP, NL_CLIP)
    nl_d = jnp.clip(jnp.asarray(nl_ltd, dtype) + z, -NL_CLIP, NL_CLIP)
    a_p = nl_to_a_norm(nl_p, floor_to_grid=floor_to_grid) * max_level
    a_d = nl_to_a_norm(nl_d, floor_to_grid=floor_to_grid) * max_level
    return a_p.astype(dtype), a_d.astype(dtype)


C2C_MODES = ("per_update", "per_pulse")


def c2c_noise(
    key: jax.Array,
    delta: ArrayLike,
    sigma: ArrayLike,
    mode: str = "per_update",
    delta_pulses: Optional[ArrayLike] = None,
) -> Array:
    """Cycle-to-cycle write noise ``ε·[Δ ≠ 0]`` in weight units.

    Source: docs/model.md §2.5 (NeuroSim ``W``): ``ε ~ N(0, (2σ)²)`` per element per update, added
    only where the update ``Δ`` is non-zero; the 2 converts a fraction of the conductance
    range into weight units (range 2). ``per_pulse`` scales the σ by ``√|ΔP|``
    (MLP+NeuroSim, and the manual's "at every programming pulse").

    Args:
      key: ``jax.random`` key.
      delta: the weight update ``Δ`` (any shape); noise is zero where it is 0.
      sigma: σ_c2c as a fraction of the conductance range (≥ 0).
      mode: ``per_update`` (NeuroSim V2.0, default) or ``per_pulse``.
      delta_pulses: ``ΔP`` (same shape as ``delta``); required for ``per_pulse``.

    Returns:
      Noise with the shape and dtype of ``delta``, to be added to the weight.

    Raises:
      ValueError: unknown ``mode``, or ``per_pulse`` without ``delta_pulses``.
    """
    if mode not in C2C_MODES:
        raise ValueError(f"c2c mode {mode!r} is invalid: expected one of {C2C_MODES}")
    delta = _float(delta)
    scale = 2.0 * jnp.asarray(sigma, delta.dtype)
    if mode == "per_pulse":
        if delta_pulses is None:
            raise ValueError("c2c mode 'per_pulse' needs delta_pulses")
        scale = scale * jnp.sqrt(jnp.abs(jnp.asarray(delta_pulses, delta.dtype)))
    eps = jax.random.normal(key, delta.shape, delta.dtype) * scale
    return jnp.where(delta != 0, eps, jnp.zeros_like(eps))
