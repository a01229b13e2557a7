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
from jax.extend import core as jcore

from cimjax.host_rules import RULES

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
