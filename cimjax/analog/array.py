"""Vectorised analog-array read of a dense or conv layer (docs/model.md §3.2), pure ``jax.numpy``.

NeuroSim's inference path loops in Python over kernel positions, sub-arrays, cells and
input bits, running two convolutions (real + dummy) per combination. Here those loops
are array axes: for each input-bit plane ``z`` and kernel position ``p`` one ``einsum``
gives the partial sums of every (cell column ``c``, sub-array ``s``) at once, shaped
``(C, S, N, H, W, O)``; the ADC reduces its dynamic range over ``(N, H, W, O)``, i.e.
separately for every ``(z, p, c, s)`` slice, exactly as NeuroSim's per-call
``LinearQuantizeOut`` on one partial-sum tensor. Bits and positions are either vmapped
(``loop='none'``), or walked with ``lax.scan`` (``'bits'``: scan over bits; ``'all'``: scan
over bits and positions, the default) to bound memory; the three give the same result up
to float round-off of the summation order.

Pipeline (docs/model.md §3.2), for the input ``x`` (unsigned, [0, 1]) and weight ``w`` ([−1, 1]):

1. ``X = round((2^b_W − 1)/2·(w + 1))`` split into ``b_W/cellBit`` digits ``r_k`` (LSB
   first), conductance ``g_k = (1 − lower)·r_k + (cellRange − 1)·lower``, retention and
   variation (:func:`cimjax.analog.cells.cell_conductances`).
2. ``I = round((2^b_A − 1)·x)``, bit ``z`` = ``(I >> z) & 1`` (``bit_serial=False``: the
   float input in one read, no ``/2^b_A``: NeuroSim's conv1 path).
3. Rows (conv: input channels at one kernel position, NeuroSim's per-position mapping;
   dense: ``in_features``) are cut into sub-arrays of ``subarray_rows``; a partial last
   sub-array is kept (NeuroSim drops those rows: ``drop_partial_subarray=True``).
4. Per (bit, position, cell column, sub-array): partial sum → ADC; the dummy column
   (every cell at ``(cellRange − 1)(1 + lower)/2``) → ADC; ``Σ coef_c·(ADC − ADC_dummy)``
   with ``coef_k = cellRange^k·2/(1 − lower)/2^b_W``; ``Σ_z 2^z/2^b_A``.

With ideal cells and no ADC this is exactly ``x̂ @ ŵ`` (:func:`ideal_dense`), where
``x̂ = I/2^b_A`` and ``ŵ = (2X − (2^b_W − 1))/2^b_W``
(:func:`cimjax.analog.cells.effective_input` / ``effective_weight``).

**Determinism.** Conductances are kept in units that make them integers for an integer
on/off ratio (:attr:`ArrayConfig.conductance_unit`), so ideal partial sums are exact and
the ADC decisions (floor and bin edges, evaluated with exact products) are the same under
jit and eager, on CPU and GPU and for every ``loop``; only the final float32 sums differ
by round-off. With variation or drift the partial sums are continuous and exact ties are
improbable.

**Memory.** ``loop='all'`` holds one ``(C, S, N, H, W, O)`` partial-sum slice at a time
(VGG-8 conv2 at batch 200, 8-bit inputs, 2 cells: 0.2 GB, about 0.7 GB of XLA
temporaries in all); ``'bits'`` holds all kernel positions of one bit (about 3.6 GB);
``'none'`` everything (about 28 GB).

**Gradients.** :func:`analog_dense` / :func:`analog_conv` are ``jax.custom_vjp``
functions. The forward rounding (``X``, ``I``), the bit split and the ADC have no useful
derivative; ``backward='ste'`` is straight-through over the whole read, i.e. the
gradients of the float product ``x @ w`` (or ``conv(x, w)``): ``∂x = g @ wᵀ``,
``∂w = xᵀ @ g``. That is NeuroSim's training backward (docs/model.md §3.4). ``backward='analog'``
computes ``∂x`` with the transposed array read (:func:`analog_dense_transposed`,
NeuroSim's ``parallelBP`` read of the same cells through the same ADC model) and keeps
the float ``∂w`` (the weight gradient is a separate digital unit in NeuroSim). No
gradient flows to ``variation`` or ``drift_sign``.
"""

from __future__ import annotations

import functools
from typing import Optional

import jax
import jax.numpy as jnp

from cimjax.analog.cells import effective_input, effective_weight
from cimjax.analog.config import ArrayConfig
from cimjax.analog.core import HIGHEST, LOOPS, _check_conv, _check_dense, _core, _ideal_conv_op
from cimjax.analog.transposed import analog_conv_transposed, analog_dense_transposed

Array = jax.Array
BACKWARDS = ("ste", "analog")
__all__ = [
    "LOOPS",
    "analog_conv",
    "analog_conv_transposed",
    "analog_dense",
    "analog_dense_transposed",
    "ideal_conv",
    "ideal_dense",
]


def _zeros_or_none(a):
    return None if a is None else jnp.zeros_like(a)


@functools.partial(jax.custom_vjp, nondiff_argnums=(0, 1, 2, 3, 4))
def _conv_op(cfg, backward, bwd_cfg, loop, precision, x, w, variation, drift_sign):
    return _core(x, w, cfg, variation, drift_sign, loop, precision)


def _conv_op_fwd(cfg, backward, bwd_cfg, loop, precision, x, w, variation, drift_sign):
    return _core(x, w, cfg, variation, drift_sign, loop, precision), (x, w, variation, drift_sign)


def _conv_op_bwd(cfg, backward, bwd_cfg, loop, precision, res, g):
    x, w, variation, drift_sign = res
    g = g.astype(jnp.result_type(x.dtype, w.dtype))
    _, vjp = jax.vjp(lambda a, b: _ideal_conv_op(a, b, precision), x, w)
    gx, gw = vjp(g)
    if backward == "analog":
        gx = analog_conv_transposed(g, w, bwd_cfg, variation=variation, drift_sign=drift_sign,
                                    loop=loop, precision=precision).astype(x.dtype)
    return gx, gw, _zeros_or_none(variation), _zeros_or_none(drift_sign)


_conv_op.defvjp(_conv_op_fwd, _conv_op_bwd)
# Compiled once per (configuration, shapes): op-by-op dispatch of the scans and the many
# small ADC ops is far slower than one XLA computation. Inside an outer jit it is inlined.
_conv_op_jit = jax.jit(_conv_op, static_argnums=(0, 1, 2, 3, 4))


def _prep(cfg, backward, backward_cfg, drift_sign):
    if not isinstance(cfg, ArrayConfig):
        raise ValueError(f"cfg must be an ArrayConfig; got {type(cfg).__name__}")
    if backward not in BACKWARDS:
        raise ValueError(f"backward must be one of {BACKWARDS}; got {backward!r}")
    if drift_sign is not None:
        drift_sign = jnp.asarray(drift_sign, jnp.float32)
    return (backward_cfg if backward_cfg is not None else cfg), drift_sign


def analog_conv(
    x: Array,
    w: Array,
    cfg: ArrayConfig,
    *,
    variation: Optional[Array] = None,
    drift_sign: Optional[Array] = None,
    backward: str = "ste",
    backward_cfg: Optional[ArrayConfig] = None,
    loop: str = "all",
    precision=HIGHEST,
) -> Array:
    """Analog-array read of ``conv(x, w)``, stride 1, 'SAME' (docs/model.md §3.2).

    Args:
      x: input ``(N, H, W, Ci)``, unsigned in [0, 1] for a bit-serial read.
      w: weight ``(KH, KW, Ci, O)`` in [−1, 1] (the WAGE ``wq``; divide the result by the
        layer scale yourself, docs/model.md §3.2 step 9).
      cfg: the array configuration.
      variation: static conductance variation ``ε``, :func:`cimjax.analog.cell_shape` of
        ``w`` (from :func:`cimjax.analog.draw_variation`), or None.
      drift_sign: retention directions for ``drift_mode='random'``, same shape, or None.
      backward: ``'ste'`` (float gradients of ``conv(x, w)``) or ``'analog'`` (``∂x``
        through :func:`analog_conv_transposed`); see the module docstring.
      backward_cfg: configuration of the transposed read (default ``cfg``).
      loop: ``'all'`` (scan over bits and positions, least memory), ``'bits'`` (scan over
        bits) or ``'none'`` (all vectorised).
      precision: of the partial-sum einsums; HIGHEST keeps float32 on GPUs (TF32 would
        perturb the partial sums that the ADC thresholds).

    Returns:
      ``≈ conv(x̂, ŵ)``, ``(N, H, W, O)``, float32 (or wider).
    """
    _check_conv(x, w)
    bwd_cfg, drift_sign = _prep(cfg, backward, backward_cfg, drift_sign)
    return _conv_op_jit(cfg, backward, bwd_cfg, loop, precision, x, w, variation, drift_sign)


def analog_dense(
    x: Array,
    w: Array,
    cfg: ArrayConfig,
    *,
    variation: Optional[Array] = None,
    drift_sign: Optional[Array] = None,
    backward: str = "ste",
    backward_cfg: Optional[ArrayConfig] = None,
    loop: str = "all",
    precision=HIGHEST,
) -> Array:
    """Analog-array read of ``x @ w`` (docs/model.md §3.2, QLinear: sub-arrays slice ``Fi``).

    Args:
      x: input ``(..., Fi)``, unsigned in [0, 1] for a bit-serial read; the ADC's dynamic
        range spans all leading axes (NeuroSim: the batch).
      w: weight ``(Fi, Fo)`` in [−1, 1].
      cfg, variation, drift_sign, backward, backward_cfg, loop, precision: as
        :func:`analog_conv` (per-cell arrays are ``cell_shape((Fi, Fo))``).

    Returns:
      ``≈ x̂ @ ŵ``, ``(..., Fo)``.
    """
    _check_dense(x, w)
    x2 = x.reshape((-1, 1, 1, x.shape[-1]))
    w4 = w.reshape((1, 1) + w.shape)
    var4 = None if variation is None else variation.reshape(variation.shape[:-2] + w4.shape)
    bwd_cfg, drift_sign = _prep(cfg, backward, backward_cfg, drift_sign)
    sign4 = None if drift_sign is None else drift_sign.reshape(drift_sign.shape[:-2] + w4.shape)
    out = _conv_op_jit(cfg, backward, bwd_cfg, loop, precision, x2, w4, var4, sign4)
    return out.reshape(x.shape[:-1] + (w.shape[1],))


def ideal_conv(x: Array, w: Array, cfg: ArrayConfig, precision=HIGHEST) -> Array:
    """``conv(x̂, ŵ)``: what :func:`analog_conv` computes with ideal cells and no ADC."""
    _check_conv(x, w)
    return _ideal_conv_op(effective_input(x, cfg), effective_weight(w, cfg), precision)


def ideal_dense(x: Array, w: Array, cfg: ArrayConfig, precision=HIGHEST) -> Array:
    """``x̂ @ ŵ``: what :func:`analog_dense` computes with ideal cells and no ADC."""
    _check_dense(x, w)
    return jnp.matmul(effective_input(x, cfg), effective_weight(w, cfg), precision=precision)
