"""Turning a weight update into per-cell signed pulse counts, and applying the counts to a device.

Three update modes (``UPDATE_MODES``):

* ``"deterministic"`` (NeuroSim-like): the desired signed change ``u`` of every cell becomes
  ``n = round(u / dw_min)`` pulses, cut to ``±bl`` (:func:`deterministic_counts`).
* ``"stochastic"`` (aihwkit's ``StochasticCompressed`` pulse trains; Gokmen & Vlasov, Front.
  Neurosci. 10:333 (2016)): for one sample ``(x, d)`` (``x`` the layer input, length ``n_in``;
  ``d`` the error at the output, length ``n_out``) every input line ``j`` sends a Bernoulli train
  of ``BL`` bits with probability ``p_j = min(A·|x_j|, 1)`` and every output line ``i`` one with
  probability ``q_i = min(B·|d_i|, 1)``. Each coincidence of two ones is one pulse on cell
  ``(i, j)`` with sign ``−sign(d_i·x_j)`` (gradient descent on ``W``, where ``∂L/∂W = d ⊗ x``).
  ``A·B·BL = lr/dw_min``, so the expected count is ``lr·|d_i x_j|/dw_min`` while no probability
  saturates; a count never exceeds ``BL`` (:func:`stochastic_counts`).

  - *Update management* (aihwkit ``update_management``, on by default) balances the two trains:
    ``A = sqrt(K/BL · d_max/x_max)``, ``B = sqrt(K/BL · x_max/d_max)`` with ``K = lr/dw_min``, so
    ``A·x_max = B·d_max``; off, ``A = B = sqrt(K/BL)``.
  - *Bit-length management* (aihwkit ``update_bl_management``, on by default) shortens the train
    to ``BL_eff = clip(ceil(K·x_max·d_max), 1, BL)`` bits (the scales above use ``BL_eff``); the
    trains are still ``BL`` long (static shape) with the bits at ``t ≥ BL_eff`` masked off.
* ``"expected"``: the mean of the stochastic counts, ``−sign(d_i x_j)·BL_eff·p_j·q_i``
  (deterministic, fractional; :func:`expected_counts`). Applied as a mean-field pulse train
  (:func:`apply_counts`).

Shapes: weights are ``(n_out, n_in)`` (``y = W x``); a batch is ``x: (batch, n_in)``,
``d: (batch, n_out)``; the batch functions return per-sample counts ``(batch, n_out, n_in)``,
because on an asymmetric device the order of up and down pulses matters (sum them only if a
net count is what you want).

Every function is pure ``jax.numpy`` with explicit keys and jittable; ``lr`` and ``dw_min`` may be
traced (they are scalars or broadcast with the weight); ``bl`` and the mode are static.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from cimjax.devices.protocol import Cells, PulsedDevice, apply_pulses, expected_step

Array = jax.Array

UPDATE_MODES = ("deterministic", "stochastic", "expected")
MAX_BL = 1024


def check_mode(mode: str, field: str = "update_mode") -> str:
    """``mode`` if it is one of :data:`UPDATE_MODES`, else a ValueError naming ``field``."""
    if mode not in UPDATE_MODES:
        raise ValueError(f"{field} = {mode!r} is not one of {UPDATE_MODES}")
    return mode


def check_bl(bl: int, field: str = "bl") -> int:
    """``bl`` if it is an int in [1, MAX_BL], else a ValueError naming ``field``."""
    if isinstance(bl, bool) or not isinstance(bl, int) or not 1 <= bl <= MAX_BL:
        raise ValueError(f"{field} = {bl!r} must be an integer in [1, {MAX_BL}]")
    return bl


def train_scales(x: Array, d: Array, lr, dw_min, bl: int, *, update_management: bool = True,
                 bl_management: bool = True) -> tuple[Array, Array, Array]:
    """The probability scales ``(A, B)`` and the effective bit length for one sample.

    ``p_j = min(A·|x_j|, 1)``, ``q_i = min(B·|d_i|, 1)``; see the module docstring. A zero ``x``
    or ``d`` gives zero probabilities (no pulses).
    """
    k = jnp.asarray(lr) / jnp.asarray(dw_min)
    x_max = jnp.max(jnp.abs(x))
    d_max = jnp.max(jnp.abs(d))
    tiny = jnp.finfo(jnp.result_type(x, float)).tiny
    if bl_management:
        bl_eff = jnp.clip(jnp.ceil(k * x_max * d_max), 1.0, float(bl))
    else:
        bl_eff = jnp.asarray(float(bl))
    base = k / bl_eff
    if update_management:
        ratio = jnp.sqrt(jnp.maximum(d_max, tiny) / jnp.maximum(x_max, tiny))
        a = jnp.sqrt(base) * ratio
        b = jnp.sqrt(base) / ratio
    else:
        a = b = jnp.sqrt(base)
    return a, b, bl_eff


def _probabilities(x, d, lr, dw_min, bl, update_management, bl_management):
    a, b, bl_eff = train_scales(x, d, lr, dw_min, bl, update_management=update_management,
                                bl_management=bl_management)
    p = jnp.minimum(a * jnp.abs(x), 1.0)
    q = jnp.minimum(b * jnp.abs(d), 1.0)
    sign = -jnp.sign(d)[:, None] * jnp.sign(x)[None, :]
    return p, q, bl_eff, sign


def stochastic_counts(key: Array, x: Array, d: Array, lr, dw_min, bl: int, *,
                      update_management: bool = True, bl_management: bool = True) -> Array:
    """Signed coincidence counts ``(n_out, n_in)`` of one sample's pulse trains (integer-valued).

    Row train bits ``r[t, j] ~ Bernoulli(p_j)``, column bits ``c[t, i] ~ Bernoulli(q_i)``, for
    ``t < BL_eff``; ``n[i, j] = −sign(d_i x_j)·Σ_t c[t, i]·r[t, j]`` (so ``|n| ≤ BL``).
    """
    check_bl(bl)
    x = jnp.asarray(x)
    d = jnp.asarray(d)
    p, q, bl_eff, sign = _probabilities(x, d, lr, dw_min, bl, update_management, bl_management)
    k_row, k_col = jax.random.split(key)
    live = (jnp.arange(bl) < bl_eff)[:, None]
    rows = (jax.random.uniform(k_row, (bl, x.shape[-1]), p.dtype) < p) & live
    cols = (jax.random.uniform(k_col, (bl, d.shape[-1]), q.dtype) < q) & live
    coincidences = cols.astype(p.dtype).T @ rows.astype(p.dtype)
    return sign * coincidences


def expected_counts(x: Array, d: Array, lr, dw_min, bl: int, *, update_management: bool = True,
                    bl_management: bool = True) -> Array:
    """The mean of :func:`stochastic_counts` for one sample: ``−sign(d_i x_j)·BL_eff·p_j·q_i``."""
    check_bl(bl)
    p, q, bl_eff, sign = _probabilities(jnp.asarray(x), jnp.asarray(d), lr, dw_min, bl,
                                        update_management, bl_management)
    return sign * bl_eff * q[:, None] * p[None, :]


def stochastic_counts_batch(key: Array, x: Array, d: Array, lr, dw_min, bl: int, **kw) -> Array:
    """:func:`stochastic_counts` for every sample of a batch: ``(batch, n_out, n_in)``."""
    keys = jax.random.split(key, x.shape[0])
    return jax.vmap(lambda k, xi, di: stochastic_counts(k, xi, di, lr, dw_min, bl, **kw))(keys, x, d)


def expected_counts_batch(x: Array, d: Array, lr, dw_min, bl: int, **kw) -> Array:
    """:func:`expected_counts` for every sample of a batch: ``(batch, n_out, n_in)``."""
    return jax.vmap(lambda xi, di: expected_counts(xi, di, lr, dw_min, bl, **kw))(x, d)


def deterministic_counts(update: Array, dw_min, bl: int) -> Array:
    """NeuroSim-like: ``round(update/dw_min)`` cut to ``±bl`` (``update`` = desired signed change)."""
    check_bl(bl)
    return jnp.clip(jnp.round(jnp.asarray(update) / dw_min), -bl, bl)


def mean_counts(update: Array, dw_min, bl: int) -> Array:
    """The fractional count ``update/dw_min`` cut to ``±bl`` (the matrix form of ``expected``)."""
    check_bl(bl)
    return jnp.clip(jnp.asarray(update) / dw_min, -bl, bl)


def counts_from_update(update: Array, dw_min, bl: int, mode: str) -> Array:
    """Counts for a desired signed change given as a matrix (no ``x``, ``d`` available).

    ``deterministic``: :func:`deterministic_counts`; ``expected``: :func:`mean_counts`.
    ``stochastic`` needs the ``(x, d)`` vectors and raises a ValueError here.
    """
    check_mode(mode)
    if mode == "stochastic":
        raise ValueError("update_mode = 'stochastic' needs the (x, d) vectors; from a gradient matrix "
                         "use one of ('deterministic', 'expected')")
    if mode == "deterministic":
        return deterministic_counts(update, dw_min, bl)
    return mean_counts(update, dw_min, bl)


def apply_counts(device: PulsedDevice, cells: Cells, w: Array, n: Array, key: Array, *,
                 max_pulses: int, fractional: bool = False) -> Array:
    """Apply signed counts ``n`` to the device weights ``w``.

    * ``fractional=False``: ``n`` is integer-valued; pulse by pulse with cycle-to-cycle noise
      (:func:`cimjax.devices.protocol.apply_pulses`).
    * ``fractional=True`` (the ``expected`` mode): a mean-field pulse train. Pulse ``t`` (for
      ``t < max_pulses``) moves every cell by ``clip(|n| − t, 0, 1)`` times its expected step at
      the weight the previous pulses left, then clips to the bounds: the same sequence as the
      integer train, with the last pulse fractional and no noise. Dead cells never move.
    """
    check_bl(max_pulses, "max_pulses")
    if not fractional:
        return apply_pulses(device, cells, w, jnp.round(n), key, max_pulses=max_pulses)
    n = jnp.clip(jnp.asarray(n), -max_pulses, max_pulses)
    direction = jnp.sign(n)
    count = jnp.abs(n)
    w = jnp.broadcast_to(jnp.asarray(w), jnp.broadcast_shapes(jnp.shape(w), jnp.shape(n)))

    def body(t, w):
        frac = jnp.clip(count - t, 0.0, 1.0)
        dw = expected_step(device, cells, w, direction) * frac
        return jnp.where(cells.alive, jnp.clip(w + dw, cells.w_min, cells.w_max), w)

    return jax.lax.fori_loop(0, max_pulses, body, w)
