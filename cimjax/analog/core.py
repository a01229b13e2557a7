"""The vectorised analog read itself (docs/model.md §3.2): one function for conv and dense layers.

:func:`_core` is shared by the forward read (:mod:`cimjax.analog.array`) and the
transposed read (:mod:`cimjax.analog.transposed`); see :mod:`cimjax.analog.array` for
the pipeline and the public API. Pure ``jax.numpy``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax import lax

from cimjax.analog.adc import adc_read
from cimjax.analog.cells import cell_conductances, dummy_conductance, input_levels
from cimjax.analog.config import ArrayConfig

Array = jax.Array
LOOPS = ("none", "bits", "all")
HIGHEST = lax.Precision.HIGHEST


def _partition(rows_in: int, cfg: ArrayConfig) -> tuple[int, int, int]:
    """``(rows_used, rows_per_subarray, n_subarrays)`` for ``rows_in`` input rows."""
    r = cfg.subarray_rows
    used = (rows_in // r) * r if (cfg.drop_partial_subarray and rows_in >= r) else rows_in
    per = min(r, used)
    return used, per, -(-used // per)


def _core(x: Array, w: Array, cfg: ArrayConfig, variation, drift_sign, loop: str, precision) -> Array:
    """The analog read of ``conv(x, w)``, stride 1, 'SAME' (a dense layer is a 1×1 conv).

    Args:
      x: input ``(N, H, W, Ci)``; unsigned in [0, 1] when ``cfg.bit_serial``.
      w: weight ``(KH, KW, Ci, O)`` in [−1, 1].
      cfg: the array configuration.
      variation: per-cell ``ε`` (:func:`cimjax.analog.cells.cell_shape` of ``w``) or None.
      drift_sign: per-cell drift directions or None.
      loop: ``'all'``, ``'bits'`` or ``'none'`` (see :mod:`cimjax.analog.array`).
      precision: of the partial-sum einsums.

    Returns:
      ``(N, H, W, O)``, float32.
    """
    if loop not in LOOPS:
        raise ValueError(f"loop must be one of {LOOPS}; got {loop!r}")
    dtype = jnp.result_type(x.dtype, w.dtype, jnp.float32)
    x = x.astype(dtype)
    n, h, wd, ci = x.shape
    kh, kw, _, o = w.shape
    g, coef = cell_conductances(w.astype(dtype), cfg, variation=variation, drift_sign=drift_sign)
    nc = g.shape[0]
    used, rows, ns = _partition(ci, cfg)
    if cfg.bit_serial:
        src = input_levels(x, cfg).astype(jnp.int32)
        n_planes = cfg.input_bits
    else:
        src = x
        n_planes = 1
    pad_c = ns * rows - used
    src = jnp.pad(src[..., :used], ((0, 0), ((kh - 1) // 2, kh // 2), ((kw - 1) // 2, kw // 2), (0, pad_c)))
    g = jnp.pad(g[..., :used, :], ((0, 0),) * 3 + ((0, pad_c), (0, 0)))
    g = jnp.moveaxis(g.reshape(nc, kh * kw, ns, rows, o), 1, 0)  # (P, C, S, R, O)
    ii = jnp.repeat(jnp.arange(kh), kw)
    jj = jnp.tile(jnp.arange(kw), kh)

    adc_kw = dict(range_mode="dynamic")
    if cfg.adc_range == "full_scale":
        adc_kw = dict(range_mode="fixed", value_range=(0.0, cfg.full_scale))
    dummy_g = dummy_conductance(cfg) if cfg.mapping == "dummy" else None
    dummy_coef = jnp.sum(coef)

    # Per position, the cell columns of a sub-array side by side: (P, S, R, C·O), so that
    # each sub-array's partial sums are one 2-D product (M, R) @ (R, C·O).
    g = jnp.transpose(g, (0, 2, 3, 1, 4)).reshape(kh * kw, ns, rows, nc * o)

    def position(xs: Array, gp: Array) -> Array:
        """One kernel position: xs ``(N,H,W,S·R)``, gp ``(S,R,C·O)`` → ``(N,H,W,O)``.

        Pixels form one flat axis ``M = N·H·W`` and the ADC range of each (sub-array, cell
        column) spans ``(M, O)``, i.e. ``(N, H, W, O)`` as NeuroSim. The layout is chosen
        for speed: XLA on CPU runs these 2-D products and ADC passes about 3x faster than a
        ``(C, S, N, H, W, O)`` einsum (same values: the ideal partial sums are exact).
        """
        xs = jnp.moveaxis(xs.reshape(n * h * wd, ns, rows), 1, 0)  # (S, M, R)
        part = jnp.einsum("smr,srk->smk", xs, gp, precision=precision).reshape(ns, n * h * wd, nc, o)
        a = adc_read(part, cfg.adc_mode, cfg.adc_bits, axis=(1, 3), **adc_kw)
        out = jnp.einsum("smco,c->mo", a, coef, precision=precision)
        if dummy_g is not None:
            d = dummy_g * jnp.sum(xs, axis=-1)  # (S, M)
            ad = adc_read(d, cfg.adc_mode, cfg.adc_bits, axis=1, **adc_kw)
            out = out - (dummy_coef * jnp.sum(ad, axis=0))[:, None]
        return out.reshape(n, h, wd, o)

    def plane(xp: Array) -> Array:
        """One input plane ``(N, H+KH−1, W+KW−1, S·R)`` through every position."""
        if loop == "all":
            def body(acc, args):
                i, j, gp = args
                xs = lax.dynamic_slice(xp, (0, i, j, 0), (n, h, wd, ns * rows))
                return acc + position(xs, gp), None

            acc0 = jnp.zeros((n, h, wd, o), dtype)
            return lax.scan(body, acc0, (ii, jj, g))[0]
        xs_all = jnp.stack([xp[:, i:i + h, j:j + wd, :] for i in range(kh) for j in range(kw)])
        return jnp.sum(jax.vmap(position)(xs_all, g), axis=0)

    if not cfg.bit_serial:
        return plane(src)

    def bit_plane(z):
        return ((src >> z) & 1).astype(dtype)

    weights = 2.0 ** (jnp.arange(n_planes, dtype=dtype) - cfg.input_bits)
    zs = jnp.arange(n_planes, dtype=jnp.int32)
    if loop == "none":
        outs = jax.vmap(lambda z: plane(bit_plane(z)))(zs)
        return jnp.einsum("znhwo,z->nhwo", outs, weights, precision=precision)

    def bit_body(acc, args):
        z, wz = args
        return acc + wz * plane(bit_plane(z)), None

    return lax.scan(bit_body, jnp.zeros((n, h, wd, o), dtype), (zs, weights))[0]


def _check_conv(x: Array, w: Array) -> None:
    if x.ndim != 4 or w.ndim != 4 or x.shape[-1] != w.shape[2]:
        raise ValueError(f"conv expects x (N,H,W,Ci) and w (KH,KW,Ci,O); got {x.shape}, {w.shape}")


def _check_dense(x: Array, w: Array) -> None:
    if x.ndim < 1 or w.ndim != 2 or x.shape[-1] != w.shape[0]:
        raise ValueError(f"dense expects x (..., Fi) and w (Fi, Fo); got {x.shape}, {w.shape}")


def _dense_as_conv(fn, x: Array, w: Array, *args) -> Array:
    """Runs a conv function on a dense layer: x ``(..., Fi)`` → ``(M,1,1,Fi)``, w → 1×1."""
    lead = x.shape[:-1]
    out = fn(x.reshape((-1, 1, 1, x.shape[-1])), w.reshape((1, 1) + w.shape), *args)
    return out.reshape(lead + (w.shape[1],))


def _ideal_conv_op(x: Array, w: Array, precision) -> Array:
    return lax.conv_general_dilated(x, w, (1, 1), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC"),
                                    precision=precision)
