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
serialisable (:attr:`Program.serialisable`).

:func:`run_batched` evaluates one unbatched program for a batch of inputs with ``jax.vmap``'s
semantics (a sweep's small static groups: :mod:`cimjax.dse.sweep`), without tracing ``vmap``.
``cimjax optimize`` traces its Adam step (``value_and_grad`` of the chip estimate and the
update) once and runs it here for every start and step (:func:`cimjax.dse.optimize.optimize`,
``step_eval``): the reverse pass's primitives (``add_any``, ``pad``, ``dot_general``, …) have
rules too. Large sweeps, long optimisations and training keep using ``jax.jit``: this is for
functions evaluated a few hundred times per process at most, where an XLA compile costs more
than every call.
"""

from __future__ import annotations

import dataclasses
import gc
from typing import Any, Callable, Optional

import jax
import numpy as np
from jax.extend import core as jcore

from cimjax.host_rules import MULTI, RULES

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
    """Trace ``fn(*args)`` (pytrees of arrays) into a :class:`Program`.

    Python's cyclic garbage collector is paused while JAX traces: tracing the chip estimate
    allocates about a million short-lived objects, and the collector's repeated scans of them
    cost 20–25 % of the trace (``benchmarks/README.md``, "cimjax sweep cold"). Objects are
    still freed by reference counting; the collector resumes afterwards.
    """
    paused = gc.isenabled()
    gc.disable()
    try:
        closed, out_shape = jax.make_jaxpr(fn, return_shape=True)(*args)
    finally:
        if paused:
            gc.enable()
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
        if name in rules and name not in MULTI:
            out = rules[name](ins.params, *args)
            dt, slot = ins.out_dtypes[0], ins.outputs[0]
            if slot >= 0:  # -1: a dropped output
                slots[slot] = out if getattr(out, "dtype", None) == dt else np.asarray(out, dtype=dt)
            continue
        if name in rules:
            outs = rules[name](ins.params, *args)
        elif name == "scan":
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


# ----------------------------------------------------------------------------- batched evaluation
#
# One traced (unbatched) program evaluated for B designs at once, as ``jax.vmap`` would
# evaluate it, without tracing ``vmap`` (batching every nested jit costs more to trace than
# the function itself). Each slot holds either an unbatched value of its traced shape ``s``
# or a batched one of shape ``(B,) + s``. Elementwise rules broadcast (a batched operand is
# given unit axes up to the instruction's rank, so NumPy aligns its trailing axes with the
# unbatched ones); shape rules shift their axes by one; every other instruction with a
# batched input (gather, dynamic_slice with batched starts, primitives run by JAX) runs its
# ordinary rule once per design and stacks the results: slower, never wrong.

#: Rules that act element by element (lax broadcasting only for rank-0 operands).
_ELEMENTWISE = frozenset({
    "add", "add_any", "sub", "mul", "div", "rem", "max", "min", "pow", "atan2", "nextafter", "and", "or", "xor", "not",
    "eq", "ne", "lt", "le", "gt", "ge", "shift_left", "shift_right_arithmetic", "neg", "sign", "abs", "floor",
    "ceil", "round", "sqrt", "rsqrt", "exp", "exp2", "log", "log1p", "expm1", "tanh", "logistic", "sin", "cos",
    "is_finite", "integer_pow", "square", "select_n", "clamp", "convert_element_type", "stop_gradient", "copy",
    "copy_p"})


def _shift(axes, by=1):
    return tuple(int(a) + by for a in axes)


def _batched_rule(name: str, params: dict, args: list, bat: list, size: int):
    """The batched result of rule ``name`` (some of ``args`` batched), or None when it has no
    batched form here (the caller then loops over the designs)."""
    if name in _ELEMENTWISE:
        rank = max(np.ndim(a) - b for a, b in zip(args, bat))
        args = [np.reshape(a, (size,) + (1,) * (rank - np.ndim(a) + 1) + np.shape(a)[1:]) if b else a
                for a, b in zip(args, bat)]
        return RULES[name](params, *args)
    x = args[0]
    if name == "broadcast_in_dim":
        return RULES[name](dict(shape=(size,) + tuple(params["shape"]),
                                broadcast_dimensions=(0,) + _shift(params["broadcast_dimensions"])), x)
    if name == "reshape" and params.get("dimensions") is None:
        return np.reshape(x, (size,) + tuple(params["new_sizes"]))
    if name == "squeeze":
        return np.squeeze(x, axis=_shift(params["dimensions"]))
    if name == "expand_dims":
        return np.expand_dims(x, _shift(params["dimensions"]))
    if name == "transpose":
        return np.transpose(x, (0,) + _shift(params["permutation"]))
    if name == "slice":
        strides = params["strides"] or (1,) * (np.ndim(x) - 1)
        return x[(slice(None),) + tuple(slice(s, e, k) for s, e, k in
                                         zip(params["start_indices"], params["limit_indices"], strides))]
    if name in ("reduce_sum", "reduce_max", "reduce_min", "reduce_prod", "reduce_or", "reduce_and"):
        return RULES[name](dict(axes=_shift(params["axes"])), x)
    if name in ("argmax", "argmin"):
        return RULES[name](dict(params, axes=_shift(params["axes"])), x)
    if name in ("concatenate", "stack"):
        full = [a if b else np.broadcast_to(a, (size,) + np.shape(a)) for a, b in zip(args, bat)]
        key = "dimension" if name == "concatenate" else "axis"
        return RULES[name]({**params, key: params[key] + 1}, *full)
    if name == "gather":
        return _gather_batched(params, args, bat, size)
    if name == "pad" and not bat[1]:
        return RULES[name](dict(padding_config=((0, 0, 0),) + tuple(params["padding_config"])), x, args[1])
    if name == "split":
        return RULES[name](dict(params, axis=params["axis"] + 1), x)
    if name == "unstack":
        return RULES[name](dict(params, axis=params["axis"] + 1), x)
    if name == "bitcast_convert_type" and np.dtype(params["new_dtype"]).itemsize == np.asarray(x).dtype.itemsize:
        return np.asarray(x).view(params["new_dtype"])
    if name == "dynamic_slice" and not any(bat[1:]):
        starts = [np.zeros((), np.int64)] + list(args[1:])
        return RULES[name](dict(slice_sizes=(size,) + tuple(params["slice_sizes"])), x, *starts)
    return None


def _gather_batched(params: dict, args, bat, size: int):
    """A gather with a design axis: the design axis becomes a batching dimension of the
    gather (XLA's ``operand_batching_dims``), or, for an unbatched operand, one more batch
    axis of the indices."""
    (x, idx), (bx, bi) = args, bat
    dn = params["dimension_numbers"]
    if not bx:
        dn = dn._replace(offset_dims=_shift(dn.offset_dims),
                         start_indices_batching_dims=_shift(dn.start_indices_batching_dims))
        return RULES["gather"](dict(params, dimension_numbers=dn), x, idx)
    if not bi:
        idx = np.broadcast_to(idx, (size,) + np.shape(idx))
    dn = dn._replace(offset_dims=_shift(dn.offset_dims), collapsed_slice_dims=_shift(dn.collapsed_slice_dims),
                     start_index_map=_shift(dn.start_index_map),
                     operand_batching_dims=(0,) + _shift(dn.operand_batching_dims),
                     start_indices_batching_dims=(0,) + _shift(dn.start_indices_batching_dims))
    return RULES["gather"](dict(params, dimension_numbers=dn, slice_sizes=(1,) + tuple(params["slice_sizes"])), x, idx)


def _evaluate_batched(prog: Program, flat_args, bat_in, size: int) -> tuple[list, list]:
    slots: list = [None] * prog.num_slots
    bat = [False] * prog.num_slots
    for s, x, b in zip(prog.inputs, flat_args, bat_in):
        slots[s], bat[s] = np.asarray(x), b
    for s, c in prog.consts.items():
        slots[s] = c
    for ins in prog.instrs:
        args = [a[1] if isinstance(a, tuple) else slots[a] for a in ins.inputs]
        flags = [False if isinstance(a, tuple) else bat[a] for a in ins.inputs]
        if not any(flags):  # nothing batched: the ordinary rule
            if ins.name in RULES:
                outs = RULES[ins.name](ins.params, *args)
                outs = outs if ins.name in MULTI else [outs]
            elif ins.name == "scan":
                outs = _scan(ins, args)
            else:
                outs = ins.primitive.bind(*args, **ins.params)
                outs = list(outs) if ins.primitive.multiple_results else [outs]
            for s, o, dt in zip(ins.outputs, outs, ins.out_dtypes):
                if s >= 0:
                    slots[s], bat[s] = np.asarray(o, dtype=dt), False
            continue
        outs = None
        if ins.name == "scan":
            outs = _scan_batched(ins, args, flags, size)
        elif ins.name in RULES:
            out = _batched_rule(ins.name, ins.params, args, flags, size)
            outs = None if out is None else (out if ins.name in MULTI else [out])
        if outs is None:  # no batched form: once per design, stacked
            outs = _per_design(ins, args, flags, size)
        for s, o, dt in zip(ins.outputs, outs, ins.out_dtypes):
            if s >= 0:
                o = np.asarray(o, dtype=dt)
                slots[s], bat[s] = o, True
    outs, flags = [], []
    for a in prog.outputs:
        outs.append(_value(slots, a))
        flags.append(False if isinstance(a, tuple) else bat[a])
    return outs, flags


def _per_design(ins: _Instr, args, flags, size: int) -> list:
    results = []
    for i in range(size):
        one = [a[i] if f else a for a, f in zip(args, flags)]
        if ins.name in RULES:
            o = RULES[ins.name](ins.params, *one)
            results.append([np.asarray(x, dtype=dt) for x, dt in
                            zip(o if ins.name in MULTI else [o], ins.out_dtypes)])
        else:
            o = ins.primitive.bind(*one, **ins.params)
            results.append([np.asarray(x, dtype=dt) for x, dt in
                            zip(o if ins.primitive.multiple_results else [o], ins.out_dtypes)])
    return [np.stack([r[k] for r in results]) for k in range(len(results[0]))]


def _scan_batched(ins: _Instr, args, flags, size: int) -> list:
    """A scan with batched inputs: every carry is batched (a carry that starts unbatched may
    not stay so); the scanned axis of a batched ``xs`` / ``ys`` is axis 1."""
    p = ins.params
    nc, ncarry, length = p["num_consts"], p["num_carry"], p["length"]
    consts, cflags = args[:nc], flags[:nc]
    carry = [c if f else np.broadcast_to(c, (size,) + np.shape(c))
             for c, f in zip(args[nc:nc + ncarry], flags[nc:nc + ncarry])]
    xs, xflags = args[nc + ncarry:], flags[nc + ncarry:]
    ys = []
    steps = range(length - 1, -1, -1) if p["reverse"] else range(length)
    for i in steps:
        out, oflags = _evaluate_batched(ins.body, [*consts, *carry, *(x[:, i] if f else x[i] for x, f in zip(xs, xflags))],
                                        [*cflags, *([True] * ncarry), *xflags], size)
        out = [o if f else np.broadcast_to(o, (size,) + np.shape(o)) for o, f in zip(out, oflags)]
        carry, y = out[:ncarry], out[ncarry:]
        ys.append(y)
    if p["reverse"]:
        ys.reverse()
    n_ys = len(ins.outputs) - ncarry
    stacked = [np.stack([y[k] for y in ys], axis=1) if ys else
               np.zeros((size, 0), ins.out_dtypes[ncarry + k]) for k in range(n_ys)]
    return [*carry, *stacked]


def run_batched(prog: Program, args: tuple, in_axes: tuple):
    """``jax.vmap`` of the traced function, evaluated on the host: ``prog`` (traced from
    unbatched ``args``) on ``args`` whose entries with ``in_axes[i] == 0`` carry a leading
    axis of B designs (``None``: shared by every design). Returns the output pytree, every
    leaf with the leading axis B. Equals the per-design :func:`run` to float rounding
    (a reduction over a batched array may sum in another order).
    """
    if len(args) != len(in_axes) or any(a not in (None, 0) for a in in_axes):
        raise ValueError("host_eval.run_batched: one in_axes entry (None or 0) per argument")
    flat, flags = [], []
    for a, ax in zip(args, in_axes):
        leaves = jax.tree_util.tree_leaves(a)
        flat += leaves
        flags += [ax == 0] * len(leaves)
    if len(flat) != len(prog.inputs):
        raise ValueError(f"host_eval.run_batched: {len(flat)} input arrays, the program takes {len(prog.inputs)}")
    sizes = {np.shape(x)[0] for x, f in zip(flat, flags) if f}
    if len(sizes) != 1:
        raise ValueError(f"host_eval.run_batched: batched inputs need one leading size, got {sorted(sizes)}")
    (size,) = sizes
    dtypes = prog.in_dtypes or (None,) * len(flat)
    flat = [np.asarray(x, dtype=d) for x, d in zip(flat, dtypes)]
    with np.errstate(all="ignore"):
        outs, oflags = _evaluate_batched(prog, flat, flags, size)
    outs = [np.asarray(o) if f else np.broadcast_to(o, (size,) + np.shape(o)) for o, f in zip(outs, oflags)]
    return jax.tree_util.tree_unflatten(prog.out_tree, outs)


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
