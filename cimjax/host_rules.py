"""The NumPy rule of every JAX primitive :mod:`cimjax.host_eval` evaluates on the host.

A rule takes the equation's parameters and its input arrays and returns the one output; the
evaluator casts it to the output's dtype. Every rule computes as the primitive's definition
says (``lax`` semantics: integer division rounds towards zero, ``round`` away from zero or to
even as asked, out-of-range gathers clamp or fill). A primitive without a rule here is run by
JAX itself.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
from jax import lax


def _binary(fn):
    return lambda params, x, y: fn(x, y)


def _unary(fn):
    return lambda params, x: fn(x)


def _div(params, x, y):
    if np.issubdtype(np.result_type(x), np.integer):  # lax.div rounds toward zero
        q = np.abs(x) // np.abs(y)
        return np.where((x < 0) != (y < 0), -q, q)
    return np.divide(x, y)


def _rem(params, x, y):
    return np.fmod(x, y)  # sign of the dividend, as lax.rem


def _select_n(params, which, *cases):
    if len(cases) == 1:
        return cases[0]
    if len(cases) == 2:
        return np.where(which, cases[1], cases[0])
    return np.choose(np.asarray(which, np.int64), np.broadcast_arrays(*cases))


def _integer_pow(params, x):
    y = params["y"]
    if y == 0:
        return np.ones_like(x)
    base, n, acc = x, abs(y), None
    while n:  # binary exponentiation by multiplication, as XLA lowers integer_pow
        if n & 1:
            acc = base if acc is None else acc * base
        n >>= 1
        if n:
            base = base * base
    return np.reciprocal(acc) if y < 0 else acc


def _round(params, x):
    if params["rounding_method"] == lax.RoundingMethod.TO_NEAREST_EVEN:
        return np.round(x)
    whole = np.trunc(x)  # half away from zero, exactly: x − trunc(x) has no rounding error
    return whole + np.where(np.abs(x - whole) >= 0.5, np.sign(x), np.zeros_like(x))


def _broadcast_in_dim(params, x):
    shape, dims = params["shape"], params["broadcast_dimensions"]
    expanded = [1] * len(shape)
    for i, d in enumerate(dims):
        expanded[d] = np.shape(x)[i]
    return np.broadcast_to(np.reshape(x, expanded), shape)


def _reshape(params, x):
    if params.get("dimensions") is not None:
        x = np.transpose(x, params["dimensions"])
    return np.reshape(x, params["new_sizes"])


def _slice(params, x):
    strides = params["strides"] or (1,) * np.ndim(x)
    return x[tuple(slice(s, e, k) for s, e, k in zip(params["start_indices"], params["limit_indices"], strides))]


def _dynamic_slice(params, x, *starts):
    sizes = params["slice_sizes"]
    # XLA clamps each start so the slice stays inside the operand.
    idx = tuple(slice(int(np.clip(s, 0, n - k)), int(np.clip(s, 0, n - k)) + k) for s, n, k in zip(starts, np.shape(x), sizes))
    return x[idx]


def _iota(params):
    shape, dim = params["shape"], params["dimension"]
    r = np.arange(shape[dim], dtype=params["dtype"])
    expanded = [1] * len(shape)
    expanded[dim] = shape[dim]
    return np.broadcast_to(np.reshape(r, expanded), shape)


def _argmax(params, x):
    (axis,) = params["axes"]
    return np.argmax(x, axis=axis).astype(params["index_dtype"])


def _argmin(params, x):
    (axis,) = params["axes"]
    return np.argmin(x, axis=axis).astype(params["index_dtype"])


def _concatenate(params, *xs):
    return np.concatenate(xs, axis=params["dimension"])


def _stack(params, *xs):
    return np.stack(xs, axis=params["axis"])


def _gather(params, x, idx):
    """XLA's gather (``lax.gather``) with fancy indexing: every operand axis gets a full index
    grid of shape ``batch + slice_sizes``; the collapsed and operand-batching axes are then
    dropped and the offset axes moved to ``offset_dims``."""
    dn, sizes = params["dimension_numbers"], tuple(params["slice_sizes"])
    idx = np.asarray(idx)
    batch = idx.shape[:-1]
    nb, nd = len(batch), np.ndim(x)
    starts = []
    for d in range(nd):
        if d in dn.start_index_map:
            s = idx[..., dn.start_index_map.index(d)].astype(np.int64)
        elif d in dn.operand_batching_dims:
            bd = dn.start_indices_batching_dims[dn.operand_batching_dims.index(d)]
            s = np.broadcast_to(np.arange(batch[bd]).reshape([-1 if i == bd else 1 for i in range(nb)]), batch)
        else:
            s = np.zeros(batch, np.int64)
        starts.append(s)
    limits = [n - k for n, k in zip(np.shape(x), sizes)]
    fill = params["mode"] == lax.GatherScatterMode.FILL_OR_DROP
    outside = np.zeros(batch, bool)
    for d in range(nd):
        if fill:
            outside |= (starts[d] < 0) | (starts[d] > limits[d])
        starts[d] = np.clip(starts[d], 0, limits[d])  # CLIP and PROMISE_IN_BOUNDS clamp
    grids = []
    for d in range(nd):
        g = starts[d].reshape(batch + (1,) * nd)
        grids.append(g + np.arange(sizes[d]).reshape((1,) * (nb + d) + (-1,) + (1,) * (nd - d - 1)))
    out = np.asarray(x)[tuple(grids)]
    if fill and outside.any():
        out = np.where(outside.reshape(batch + (1,) * nd), _fill_value(params["fill_value"], out.dtype), out)
    dropped = set(dn.collapsed_slice_dims) | set(dn.operand_batching_dims)
    out = out.reshape(batch + tuple(k for d, k in enumerate(sizes) if d not in dropped))
    offsets = iter(range(nb, out.ndim))
    batch_axes = iter(range(nb))
    perm = [next(offsets) if p in dn.offset_dims else next(batch_axes) for p in range(out.ndim)]
    return np.transpose(out, perm)


def _fill_value(value, dtype):
    if value is not None:
        return np.asarray(value, dtype)
    if np.issubdtype(dtype, np.inexact):
        return np.asarray(np.nan, dtype)
    if np.issubdtype(dtype, np.bool_):
        return np.asarray(True)
    info = np.iinfo(dtype)
    return np.asarray(info.min if np.issubdtype(dtype, np.signedinteger) else info.max, dtype)


def _convert(params, x):
    return np.asarray(x).astype(params["new_dtype"])


def _bitcast(params, x):
    return np.asarray(x).view(params["new_dtype"])


def _reduce(fn):
    return lambda params, x: fn(x, axis=tuple(params["axes"]))


def _expand_dims(params, x):
    return np.expand_dims(x, params["dimensions"])


def _clamp(params, lo, x, hi):
    return np.minimum(np.maximum(x, lo), hi)


def _pad(params, x, value):
    """``lax.pad``: per axis ``(low, high, interior)``; interior padding goes between the
    elements, negative low/high padding crops."""
    x = np.asarray(x)
    shape, place, crop = [], [], []
    for n, (lo, hi, inner) in zip(x.shape, params["padding_config"]):
        core = n + max(n - 1, 0) * inner
        size = max(lo, 0) + core + max(hi, 0)
        shape.append(size)
        place.append(slice(max(lo, 0), max(lo, 0) + core, inner + 1))
        crop.append(slice(-min(lo, 0), size + min(hi, 0)))
    out = np.full(shape, value, dtype=x.dtype)
    out[tuple(place)] = x
    return out[tuple(crop)]


def _dot_general(params, x, y):
    """``lax.dot_general`` by ``einsum``: the result's axes are the batch axes, then ``x``'s free
    axes, then ``y``'s (XLA's order)."""
    (xc, yc), (xb, yb) = params["dimension_numbers"]
    letters = iter("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
    xs = [next(letters) for _ in range(np.ndim(x))]
    ys = [None] * np.ndim(y)
    for i, j in zip(xc, yc):
        ys[j] = xs[i]
    for i, j in zip(xb, yb):
        ys[j] = xs[i]
    ys = [c if c is not None else next(letters) for c in ys]
    out = [xs[i] for i in xb] + [c for i, c in enumerate(xs) if i not in xc and i not in xb] + \
          [c for j, c in enumerate(ys) if j not in yc and j not in yb]
    dtype = params.get("preferred_element_type") or np.result_type(x, y)
    return np.einsum(f"{''.join(xs)},{''.join(ys)}->{''.join(out)}", np.asarray(x, dtype), np.asarray(y, dtype))


def _split(params, x):
    return np.split(x, np.cumsum(params["sizes"])[:-1], axis=params["axis"])


def _unstack(params, x):
    return [np.take(x, i, axis=params["axis"]) for i in range(np.shape(x)[params["axis"]])]


#: Rules with several results: they return a list, one array per output.
MULTI = frozenset({"split", "unstack"})

#: primitive name -> rule(params, *inputs) -> output (one result, or a list for :data:`MULTI`;
#: the output dtype is enforced by the evaluator).
RULES: dict[str, Callable[..., Any]] = {
    "add": _binary(np.add),
    "add_any": _binary(np.add),  # the reverse pass's sum of cotangents
    "sub": _binary(np.subtract),
    "mul": _binary(np.multiply),
    "div": _div,
    "rem": _rem,
    "max": _binary(np.maximum),
    "min": _binary(np.minimum),
    "pow": _binary(np.power),
    "atan2": _binary(np.arctan2),
    "nextafter": _binary(np.nextafter),
    "and": _binary(np.bitwise_and),
    "or": _binary(np.bitwise_or),
    "xor": _binary(np.bitwise_xor),
    "not": _unary(np.invert),
    "eq": _binary(np.equal),
    "ne": _binary(np.not_equal),
    "lt": _binary(np.less),
    "le": _binary(np.less_equal),
    "gt": _binary(np.greater),
    "ge": _binary(np.greater_equal),
    "shift_left": _binary(np.left_shift),
    "shift_right_arithmetic": _binary(np.right_shift),
    "neg": _unary(np.negative),
    "sign": _unary(np.sign),
    "abs": _unary(np.abs),
    "floor": _unary(np.floor),
    "ceil": _unary(np.ceil),
    "round": _round,
    "sqrt": _unary(np.sqrt),
    "rsqrt": _unary(lambda x: np.reciprocal(np.sqrt(x))),
    "exp": _unary(np.exp),
    "exp2": _unary(np.exp2),
    "log": _unary(np.log),
    "log1p": _unary(np.log1p),
    "expm1": _unary(np.expm1),
    "tanh": _unary(np.tanh),
    "logistic": _unary(lambda x: np.reciprocal(1 + np.exp(-x))),
    "sin": _unary(np.sin),
    "cos": _unary(np.cos),
    "is_finite": _unary(np.isfinite),
    "integer_pow": _integer_pow,
    "square": _unary(np.square),
    "select_n": _select_n,
    "clamp": _clamp,
    "convert_element_type": _convert,
    "bitcast_convert_type": _bitcast,
    "stop_gradient": _unary(lambda x: x),
    "copy": _unary(np.copy),
    "copy_p": _unary(np.copy),
    "broadcast_in_dim": _broadcast_in_dim,
    "reshape": _reshape,
    "squeeze": lambda params, x: np.squeeze(x, axis=tuple(params["dimensions"])),
    "expand_dims": _expand_dims,
    "transpose": lambda params, x: np.transpose(x, params["permutation"]),
    "slice": _slice,
    "dynamic_slice": _dynamic_slice,
    "iota": _iota,
    "concatenate": _concatenate,
    "stack": _stack,
    "reduce_sum": _reduce(np.sum),
    "reduce_max": _reduce(np.max),
    "reduce_min": _reduce(np.min),
    "reduce_prod": _reduce(np.prod),
    "reduce_or": _reduce(np.any),
    "reduce_and": _reduce(np.all),
    "argmax": _argmax,
    "argmin": _argmin,
    "gather": _gather,
    "pad": _pad,
    "dot_general": _dot_general,
    "split": _split,
    "unstack": _unstack,
}
