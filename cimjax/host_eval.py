"""Run a traced JAX function once on the host with NumPy, without compiling it.

Why: the chip estimate is a ~30k-operation program. Compiling it with XLA takes longer
(7–25 s on a 2-core CPU) than everything else ``cimjax estimate`` does, yet a one-shot
report runs it exactly once. This module traces the function to a jaxpr (``jax.make_jaxpr``),
flattens it (nested ``jit``/``custom_jvp``/``custom_vjp`` calls inlined) into a straight list
of instructions, and evaluates them with NumPy on the host: a fraction of a second for the
chip estimate. The flattened :class:`Program` is plain data (rule names, slot numbers,
NumPy constants and parameters), so it can be pickled and reused by a later run
(:mod:`cimjax.compile_cache`), which then skips tracing too.

Semantics: every rule computes in the output's dtype (float32 stays float32, float64 under
x64), in the order the jaxpr gives. ``+ − × ÷ √``, comparisons, integer and shape operations
are IEEE-exact here; XLA may contract ``a·b + c`` into one fused multiply-add, so results can
differ from a jitted call's by an ulp or two, and transcendental functions (``exp``, ``log``,
``pow``) come from NumPy's libm and may differ from XLA's in the last bits (tests: within
1e-5 relative on the whole chip estimate in float32). Primitives without a NumPy rule here are run by JAX itself, one by one (correct,
a few milliseconds each the first time); a program that holds one of those is not
serialisable (:attr:`Program.serialisable`). Sweeps, gradients and training keep using
``jax.jit``: this is only for functions evaluated once per process.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Optional

import jax
import numpy as np
from jax import lax
from jax.extend import core as jcore

# ----------------------------------------------------------------------------- NumPy rules


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


#: primitive name -> rule(params, *inputs) -> output (one result; the output dtype is enforced
#: by the evaluator).
RULES: dict[str, Callable[..., Any]] = {
    "add": _binary(np.add),
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
}

#: Call-like primitives whose body is inlined (their results are the body's).
_INLINE = {"jit": "jaxpr", "pjit": "jaxpr", "closed_call": "call_jaxpr", "core_call": "call_jaxpr",
           "custom_jvp_call": "call_jaxpr", "custom_vjp_call": "call_jaxpr", "custom_vjp_call_jaxpr": "fun_jaxpr",
           "remat": "jaxpr", "checkpoint": "jaxpr"}

# ----------------------------------------------------------------------------- program


@dataclasses.dataclass
class _Instr:
    name: str  # rule name: a RULES key, "scan", or "jax" (run by JAX)
    inputs: tuple  # slot numbers (int) or ("lit", value)
    outputs: tuple  # slot numbers; -1 = dropped
    out_dtypes: tuple
    params: dict
    body: Optional["Program"] = None  # scan's body
    primitive: Any = None  # the JAX primitive, for name == "jax" (not serialisable)


@dataclasses.dataclass
class Program:
    """A flattened jaxpr: ``num_slots`` value slots, the input/output slots and the instructions."""

    num_slots: int
    inputs: tuple
    outputs: tuple  # slot numbers or ("lit", value)
    consts: dict  # slot -> NumPy constant
    instrs: list
    out_tree: Any = None  # pytree of the outputs (for :func:`run`)
    in_dtypes: tuple = ()  # the traced inputs' dtypes (Python floats were traced as float32)

    @property
    def serialisable(self) -> bool:
        return all(i.primitive is None and (i.body is None or i.body.serialisable) for i in self.instrs)

    def __len__(self) -> int:
        return sum(1 + (len(i.body) if i.body is not None else 0) for i in self.instrs)


class _Builder:
    def __init__(self):
        self.count = 0
        self.instrs: list = []
        self.consts: dict = {}

    def new(self) -> int:
        self.count += 1
        return self.count - 1

    def atom(self, env, a):
        if isinstance(a, jcore.Literal):
            return ("lit", np.asarray(a.val, dtype=a.aval.dtype))
        return env[a]

    def inline(self, jaxpr, consts, in_atoms) -> list:
        """Append ``jaxpr``'s instructions with its invars bound to ``in_atoms``; return its outputs."""
        env = {}
        for v, c in zip(jaxpr.constvars, consts):
            slot = self.new()
            self.consts[slot] = np.asarray(c)
            env[v] = slot
        for v, a in zip(jaxpr.invars, in_atoms):
            env[v] = a
        for eqn in jaxpr.eqns:
            name = eqn.primitive.name
            ins = [self.atom(env, a) for a in eqn.invars]
            if name in _INLINE and _INLINE[name] in eqn.params:
                sub = eqn.params[_INLINE[name]]
                sub_jaxpr, sub_consts = (sub.jaxpr, sub.consts) if hasattr(sub, "consts") else (sub, ())
                outs = self.inline(sub_jaxpr, sub_consts, ins)
                for v, o in zip(eqn.outvars, outs):
                    env[v] = o
                continue
            outs = tuple(-1 if isinstance(v, jcore.DropVar) else self.new() for v in eqn.outvars)
            for v, o in zip(eqn.outvars, outs):
                if o >= 0:
                    env[v] = o
            dtypes = tuple(np.dtype(v.aval.dtype) for v in eqn.outvars)
            params = dict(eqn.params)
            if name == "scan":
                body = _flatten(params["jaxpr"].jaxpr, params["jaxpr"].consts)
                keep = {k: params[k] for k in ("reverse", "length", "num_consts", "num_carry")}
                self.instrs.append(_Instr("scan", tuple(ins), outs, dtypes, keep, body=body))
            elif name in RULES:
                self.instrs.append(_Instr(name, tuple(ins), outs, dtypes, _plain(params)))
            else:
                self.instrs.append(_Instr("jax", tuple(ins), outs, dtypes, params, primitive=eqn.primitive))
        return [self.atom(env, a) for a in jaxpr.outvars]


def _plain(params: dict) -> dict:
    """Parameters without sharding/layout fields (they do not change a value on the host)."""
    return {k: v for k, v in params.items() if k not in ("sharding", "out_sharding", "accuracy")}


def _flatten(jaxpr, consts) -> Program:
    b = _Builder()
    ins = tuple(b.new() for _ in jaxpr.invars)
    outs = b.inline(jaxpr, consts, ins)
    return Program(b.count, ins, tuple(outs), b.consts, b.instrs)


def trace(fn: Callable[..., Any], *args) -> Program:
    """Trace ``fn(*args)`` (pytrees of arrays) into a :class:`Program`."""
    closed, out_shape = jax.make_jaxpr(fn, return_shape=True)(*args)
    prog = _flatten(closed.jaxpr, closed.consts)
    prog.out_tree = jax.tree_util.tree_structure(out_shape)
    prog.in_dtypes = tuple(np.dtype(v.aval.dtype) for v in closed.jaxpr.invars)
    return prog


# ----------------------------------------------------------------------------- evaluation


def _value(slots, a):
    return a[1] if isinstance(a, tuple) else slots[a]


def evaluate(prog: Program, flat_args) -> list:
    """Evaluate ``prog`` on its flat input arrays; returns the flat outputs (NumPy).

    Floating-point exceptions are silent, as in XLA: ``jnp.where`` evaluates both branches,
    so a guarded ``log`` of a negative number is normal and not worth a warning.
    """
    with np.errstate(all="ignore"):
        return _evaluate(prog, flat_args)


def _evaluate(prog: Program, flat_args) -> list:
    slots: list = [None] * prog.num_slots
    for s, x in zip(prog.inputs, flat_args):
        slots[s] = np.asarray(x)
    for s, c in prog.consts.items():
        slots[s] = c
    rules = RULES
    for ins in prog.instrs:
        args = [a[1] if isinstance(a, tuple) else slots[a] for a in ins.inputs]
        name = ins.name
        if name in rules:
            out = rules[name](ins.params, *args)
            dt, slot = ins.out_dtypes[0], ins.outputs[0]
            if slot >= 0:  # -1: a dropped output
                slots[slot] = out if getattr(out, "dtype", None) == dt else np.asarray(out, dtype=dt)
            continue
        if name == "scan":
            outs = _scan(ins, args)
        else:
            outs = ins.primitive.bind(*args, **ins.params)
            outs = [np.asarray(o) for o in (outs if ins.primitive.multiple_results else [outs])]
        for s, o, dt in zip(ins.outputs, outs, ins.out_dtypes):
            if s >= 0:
                slots[s] = np.asarray(o, dtype=dt)
    return [_value(slots, a) for a in prog.outputs]


def _scan(ins: _Instr, args) -> list:
    p = ins.params
    nc, ncarry, length = p["num_consts"], p["num_carry"], p["length"]
    consts, carry, xs = args[:nc], list(args[nc:nc + ncarry]), args[nc + ncarry:]
    ys = []
    steps = range(length - 1, -1, -1) if p["reverse"] else range(length)
    for i in steps:
        out = _evaluate(ins.body, [*consts, *carry, *(x[i] for x in xs)])
        carry, y = out[:ncarry], out[ncarry:]
        ys.append(y)
    if p["reverse"]:
        ys.reverse()
    n_ys = len(ins.outputs) - ncarry
    stacked = [np.stack([y[k] for y in ys]) if ys else np.zeros((0,), ins.out_dtypes[ncarry + k]) for k in range(n_ys)]
    return [*carry, *stacked]


def run(prog: Program, *args):
    """Evaluate ``prog`` on ``args`` (the pytrees it was traced with); returns the output pytree."""
    leaves = jax.tree_util.tree_leaves(args)
    if len(leaves) != len(prog.inputs):
        raise ValueError(f"host_eval.run: {len(leaves)} input arrays, the program takes {len(prog.inputs)}")
    # As traced: a Python float is a (weak) float32 input unless x64 is on.
    dtypes = prog.in_dtypes or (None,) * len(leaves)
    flat = [np.asarray(x, dtype=d) for x, d in zip(leaves, dtypes)]
    return jax.tree_util.tree_unflatten(prog.out_tree, evaluate(prog, flat))


def call(fn: Callable[..., Any], *args):
    """``fn(*args)`` traced and evaluated once (nothing kept): for small functions of concrete
    values that run once, where an XLA compile would cost more than the call (the floorplan
    in config checks and reports: ~0.3 s against ~1.8 s)."""
    return run(trace(fn, *args), *args)
