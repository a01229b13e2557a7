"""Gradient co-optimisation of circuit / device parameters (``cimjax optimize``).

Problem: minimise ``log objective`` (EDP, energy, latency, area; or maximise TOPS, TOPS/W)
over the numeric parameters of a *space* (a grid file: each parameter's range is its
bounds) subject to constraints ``metric ≤ bound`` / ``metric ≥ bound``.

Method:

* **Bounds by reparameterisation.** Each parameter is ``t = a + (b − a)·sigmoid(z)`` with
  ``t = log x`` for log-scaled parameters (R_on, pulse widths, clock, …), ``log2 x`` for
  powers of two (sub-array size), ``x`` otherwise; Adam (optax) runs on the unconstrained
  ``z``. Every iterate is inside the bounds by construction.
* **Discrete parameters relaxed.** ADC bits, cell bits, sub-array size and batch are
  continuous during the descent; the estimator runs in ``grad_mode`` (``"ste"`` by
  default: exact counts, straight-through gradients; ``"relaxed"``: smooth counts, biased
  at NeuroSim's power-of-two points).
* **Constraints by an augmented Lagrangian** (Powell–Hestenes–Rockafellar, inequality form)
  on the scale-free ``g = log(metric/bound) ≤ 0``: the loss adds
  ``(max(0, λ + ρg)² − λ²)/(2ρ)``, and every ``inner`` steps ``λ ← max(0, λ + ρg)``.
* **Multi-start.** ``starts`` descents run side by side in one ``vmap``: the first from the
  config's design (clipped into the bounds), the rest from a seeded Latin hypercube.
* **Step evaluation.** By default the step of one start is traced once per static chip and
  evaluated with NumPy for all starts (:mod:`cimjax.host_eval`, no XLA compile: the first
  step comes in seconds rather than after a minute or more of compiling); long runs also
  compile it (``step_eval``, :data:`HOST_STEPS_MAX`).
* **Polish.** For the last ``polish_fraction`` (30 %) of the steps the discrete parameters
  are pinned at their nearest valid values (their bounds collapse) and the continuous ones
  are refined for that discrete choice (ste values are then exact, so each start's best
  feasible polish iterate is kept as a candidate too).
* **Rounding and exact re-check.** Each final point's discrete parameters are rounded
  down and up, continuous ones within 5 % of a bound also try the bound (the sigmoid only
  approaches it), every combination (up to 2^5 per start) is evaluated in the *exact*
  estimator (:func:`cimjax.dse.sweep.evaluate`, with the static chip of each
  candidate), and the best feasible one is kept.
* **Exact refinement.** From that point, ``refine`` sweeps of an exact coordinate search
  over the continuous parameters (discrete ones stay as rounded): each sweep evaluates, in
  one vmapped call, every continuous parameter at ``refine_points`` values across its whole
  range plus a finer stencil around the current value (in its own scale), the others held,
  and moves to the best feasible improvement. It sees the count steps of the exact model
  that the surrogate gradient smooths over; it stops early when a sweep finds nothing better.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import re
import time
from typing import Optional, Sequence

import jax
import jax.numpy as jnp
import numpy as np
import optax

from cimjax.config import Config, ConfigError
from cimjax.fileio import parse_number
from cimjax.dse import params as P
from cimjax.dse.sensitivity import ppa_function
from cimjax.dse.sweep import MAXIMISE, METRICS, evaluate, metrics_of, prepare
from cimjax.hw import relax

#: Continuous variables within this fraction of their (scaled) range of a bound also try the bound.
SNAP = 0.05
#: How ``optimize`` runs its Adam step (see :func:`optimize`).
STEP_EVAL = ("auto", "host", "jit", "host+jit")
#: ``step_eval="auto"`` evaluates a chip's steps only on the host up to this many start-steps
#: (steps × starts) and compiles beside the host steps above ("host+jit"). Measured on the
#: VGG-8 chip, 8 starts, 2-core VM at load ~5 (``benchmarks/README.md``, "cimjax optimize
#: cold"): 300 steps take 107 s host-only, 127 s host+jit, 90 s compiled (first step at 83 s);
#: host steps cost ~0.25 s more than compiled ones, so host+jit overtakes host-only near
#: 400 steps × 8 starts.
HOST_STEPS_MAX = 3200
OBJECTIVES = ("edp", "energy", "latency", "area", "tops_per_w", "tops", "peak_tops_per_w")
_CONSTRAINT = re.compile(r"^\s*(\w+)\s*(<=|>=)\s*([0-9.eE+-]+)\s*(x?)\s*$")


@dataclasses.dataclass(frozen=True)
class Constraint:
    """``metric ≤ bound`` (``upper``) or ``metric ≥ bound``; ``text`` as given."""

    metric: str
    bound: float
    upper: bool = True
    text: str = ""

    def violation(self, value: float) -> float:
        """Relative violation (0 when satisfied)."""
        r = value / self.bound if self.upper else self.bound / value
        return max(0.0, float(r) - 1.0) if np.isfinite(r) else math.inf


def check_objective(objective: str) -> None:
    """Raise :class:`ConfigError` for an unknown objective."""
    if objective not in OBJECTIVES:
        raise ConfigError(f"objective {objective!r} is unknown: expected one of {', '.join(OBJECTIVES)}")


def check_constraint(text: str) -> tuple[str, bool, float, bool]:
    """``(metric, upper, value, relative)`` of a constraint as typed, checked without any work
    (so ``cimjax optimize`` refuses a bad one at once): a known metric, ``<=`` or ``>=``, a finite
    bound > 0 (a relative one, ``1.2x``, too). Errors quote ``text`` as the user typed it."""
    m = _CONSTRAINT.match(text)
    if not m:
        raise ConfigError(f"constraint {text!r} is invalid: expected METRIC<=VALUE or METRIC>=VALUE "
                          f"(VALUE may end in 'x' = times the config's design), METRIC one of {', '.join(METRICS)}")
    name, op, value, rel = m.groups()
    if name not in METRICS:
        raise ConfigError(f"constraint {text!r}: unknown metric {name!r}: expected one of {', '.join(METRICS)}")
    bound = parse_number(value)
    if bound is None:
        raise ConfigError(f"constraint {text!r}: {value!r} is not a number")
    if not (math.isfinite(bound) and bound > 0):
        raise ConfigError(f"constraint {text!r}: the bound {value}{rel} is invalid: expected a finite number > 0"
                          + (" (times the config's design)" if rel else ""))
    return name, op == "<=", bound, bool(rel)


def parse_constraint(text: str, base_metrics: Optional[dict] = None) -> Constraint:
    """``"area<=2e-5"``, ``"latency<=0.5"``, ``"tops_per_w>=5"`` or relative ``"area<=1.2x"``
    (× the base design's value); checked by :func:`check_constraint`."""
    name, upper, bound, rel = check_constraint(text)
    if rel:
        if base_metrics is None:
            raise ConfigError(f"constraint {text!r}: a relative bound needs the base design's metrics")
        bound *= float(base_metrics[name])
        if not (np.isfinite(bound) and bound > 0):
            raise ConfigError(f"constraint {text!r}: the config's design has {name} = {base_metrics[name]!r}, "
                              f"so the relative bound is {bound!r}: expected a finite number > 0")
    return Constraint(name, bound, upper, text)


@dataclasses.dataclass(frozen=True)
class Variable:
    """One optimised parameter: ``t = a + (b − a)·sigmoid(z)``, ``x = decode(t)``."""

    spec: P.ParamSpec
    lo: float
    hi: float
    scale: str  # "log", "log2" or "linear"

    def encode(self, x):
        return {"log": np.log, "log2": np.log2, "linear": lambda v: v}[self.scale](np.asarray(x, float))

    def decode(self, t):
        return {"log": jnp.exp, "log2": relax.pow2, "linear": lambda v: v}[self.scale](t)


def variables_from_grid(grid) -> tuple[list, dict]:
    """The optimised variables (numeric axes with lo < hi) and the fixed values of a grid."""
    out, fixed = [], {}
    for a in grid.axes:
        s = a.spec
        if s.kind == "choice" or s.static:
            vals = a.grid_values()
            if len(vals) != 1:
                raise ConfigError(f"optimize: parameter {s.name!r} is static ({s.range_text()}); "
                                  "give it one value, or sweep it with 'cimjax sweep'")
            fixed[s.name] = vals[0]
            continue
        lo, hi = a.bounds()
        if lo == hi:
            fixed[s.name] = lo
            continue
        scale = "log2" if s.kind == "pow2" else ("log" if a.scale == "log" and s.kind == "float" else "linear")
        out.append(Variable(s, lo, hi, scale))
    if not out:
        raise ConfigError(f"optimize: {grid.source} has no parameter with a range to optimise")
    return out, fixed


@dataclasses.dataclass
class OptResult:
    """The optimisation outcome (see the module docstring)."""

    names: tuple
    objective: str
    constraints: tuple
    best: dict
    best_metrics: dict
    feasible: bool
    base_metrics: dict
    trajectory_x: np.ndarray  # (steps, starts, k)
    trajectory_obj: np.ndarray  # (steps, starts) objective in grad_mode
    trajectory_cons: np.ndarray  # (steps, starts, c) constraint metrics in grad_mode
    candidates: int
    evaluations: int
    timing: dict


def optimize(config: Config, grid, objective: str = "edp", constraints: Sequence[str] = (), *,
             steps: int = 300, starts: int = 8, learning_rate: float = 0.05, rho: float = 10.0,
             inner: int = 25, grad_mode: str = "ste", seed: Optional[int] = None, layers=None, trace=None,
             polish_fraction: float = 0.3, refine: int = 3, refine_points: int = 17,
             step_eval: str = "auto", progress: bool = True) -> OptResult:
    """Minimise (maximise for TOPS-like) ``objective`` over ``grid``'s ranges subject to
    ``constraints`` (strings, :func:`parse_constraint`); see the module docstring. The last
    ``polish_fraction`` of the steps pins the discrete parameters at their nearest valid
    values and refines the continuous ones.

    ``step_eval`` says how the Adam step (loss, gradient and update of every start) runs on
    each static chip: ``"jit"`` compiles it (``jax.jit`` of the vmapped step: minutes of XLA
    compile, then milliseconds a step); ``"host"`` traces the unbatched step's jaxpr once
    (``jax.make_jaxpr`` of ``value_and_grad`` and the update) and evaluates it with NumPy for
    all starts at once (:func:`cimjax.host_eval.run_batched`: no compile, a fraction of a
    second a step); ``"host+jit"`` steps on the host while XLA compiles the step in a thread,
    then runs the compiled one; ``"auto"`` (default) is ``"host"`` for a chip that runs at
    most :data:`HOST_STEPS_MAX` steps × starts and ``"host+jit"`` above
    (``benchmarks/README.md``, "cimjax optimize cold"). All give the same iterates to float
    rounding.
    """
    check_objective(objective)
    if step_eval not in STEP_EVAL:
        raise ConfigError(f"optimize: step_eval = {step_eval!r}: expected one of {', '.join(STEP_EVAL)}")
    for c in constraints:  # every constraint as typed, before any work
        check_constraint(c)
    for name, v in (("learning_rate", learning_rate), ("rho", rho)):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not (math.isfinite(v) and v > 0):
            raise ConfigError(f"optimize: {name} = {v!r}: expected a finite number > 0")
    for name, v, least in (("steps", steps, 1), ("starts", starts, 1), ("inner", inner, 1),
                           ("refine", refine, 0), ("refine_points", refine_points, 3)):
        if isinstance(v, bool) or not isinstance(v, int) or v < least:
            raise ConfigError(f"optimize: {name} = {v!r}: expected an integer ≥ {least}")
    variables, fixed = variables_from_grid(grid)
    names = tuple(v.spec.name for v in variables)
    base = prepare(config, layers=layers, trace=trace)
    t_start = time.perf_counter()
    # The base design: the config's values of the variables, the grid's fixed values (same
    # columns as the rounded candidates, so both reuse one compiled executable).
    base_pts = {n: np.asarray([x], float) for n, x in zip(names, P.get_values(base.knobs, names))}
    base_pts.update({k: np.asarray([v], dtype=object if P.PARAMS[k].kind == "choice" else float)
                     for k, v in fixed.items()})
    base_m, _, _ = evaluate(base, base_pts, chunk=64, fixed_chunk=True, progress=False)
    base_metrics = {k: float(v[0]) for k, v in base_m.items()}
    from cimjax.dse.sweep import group_configs

    chip_config = group_configs(base, base_pts)[1][0]
    cons = tuple(parse_constraint(c, base_metrics) for c in constraints)
    sign = -1.0 if objective in MAXIMISE else 1.0
    lo = jnp.asarray([v.encode(v.lo) for v in variables])
    hi = jnp.asarray([v.encode(v.hi) for v in variables])
    # Fixed numeric values enter the traced params once (choices / static ones via the groups).
    num_fixed = [k for k in fixed if P.PARAMS[k].numeric]
    fixed_vals = np.asarray([fixed[k] for k in num_fixed], float)
    opt = optax.adam(learning_rate)

    def decode(z, a, b):
        t = a + (b - a) * jax.nn.sigmoid(z)
        return jnp.stack([v.decode(t[i]) for i, v in enumerate(variables)])

    def make_loss(cc):
        """The augmented-Lagrangian loss of one start on the static chip ``cc``."""
        f = ppa_function(base, names + tuple(num_fixed), mode=grad_mode, chip_config=cc)

        def loss(z, lam, a, b):
            m = f(jnp.concatenate([decode(z, a, b), jnp.asarray(fixed_vals, lo.dtype)]))
            obj = sign * jnp.log(m[objective])
            g = jnp.stack([jnp.log(m[c.metric] / c.bound) * (1.0 if c.upper else -1.0) for c in cons]) \
                if cons else jnp.zeros((0,))
            pen = jnp.sum((jnp.maximum(0.0, lam + rho * g) ** 2 - lam**2) / (2.0 * rho))
            return obj + pen, (obj, g, jnp.stack([m[c.metric] for c in cons]) if cons else jnp.zeros((0,)))

        return loss

    def make_step(cc):
        """The Adam step of one start (bounds are arguments: the polish phase pins the discrete ones)."""
        loss = make_loss(cc)

        def one(z, state, lam, a, b):
            (_, (obj, g, cm)), grad = jax.value_and_grad(loss, has_aux=True)(z, lam, a, b)
            updates, new_state = opt.update(grad, state, z)
            return optax.apply_updates(z, updates), new_state, obj, g, cm, decode(z, a, b)

        return one

    def make_jit_step(cc):
        """The jitted, vmapped step of every start (one XLA compile per chip)."""
        loss = make_loss(cc)

        @jax.jit
        def step(z, state, lam, a, b):
            (_, (obj, g, cm)), grad = jax.vmap(jax.value_and_grad(loss, has_aux=True))(z, lam, a, b)
            updates, new_state = opt.update(grad, state, z)
            return optax.apply_updates(z, updates), new_state, obj, g, cm, jax.vmap(decode)(z, a, b)

        return step

    def make_host_step(cc, z, state, lam, a, b):
        """The step traced once for one start and evaluated on the host for every start
        (:func:`cimjax.host_eval.run_batched`); optimiser-state leaves shared by the starts
        (Adam's step count) stay shared."""
        from cimjax import host_eval

        one = make_step(cc)
        leaves, tree = jax.tree_util.tree_flatten(state)
        shared = [np.ndim(x) < np.ndim(z) for x in leaves]

        def flat_one(z, lam, a, b, *leaves):
            nz, ns, obj, g, cm, x = one(z, jax.tree_util.tree_unflatten(tree, leaves), lam, a, b)
            return nz, jax.tree_util.tree_leaves(ns), obj, g, cm, x

        ex = [np.asarray(v)[0] for v in (z, lam, a, b)] + [np.asarray(x) if sh else np.asarray(x)[0]
                                                              for x, sh in zip(leaves, shared)]
        prog = host_eval.trace(flat_one, *ex)
        in_axes = (0, 0, 0, 0) + tuple(None if sh else 0 for sh in shared)

        def step(z, state, lam, a, b):
            lv = jax.tree_util.tree_leaves(state)
            nz, nl, obj, g, cm, x = host_eval.run_batched(prog, (z, lam, a, b, *lv), in_axes)
            nl = [np.asarray(v)[0] if sh else np.asarray(v) for v, sh in zip(nl, shared)]
            return nz, jax.tree_util.tree_unflatten(tree, nl), obj, g, cm, x

        return step

    steps_fn: dict = {}
    step_how: dict = {}
    pending: dict = {}  # chip -> (thread, box) of a compile under way (None: not started yet)
    switched: dict = {}  # chip -> the step from which the compiled step ran
    first_better = [None]  # (step, objective) of the first improving step, once seen
    base_obj = sign * math.log(base_metrics[objective])

    def run(cc, z, state, lam, a, b, first, count, bar):
        if cc not in steps_fn:
            # auto: a chip whose steps (all phases: ``left``) stay under HOST_STEPS_MAX start-steps is
            # host-evaluated; above, the host steps while XLA compiles in a thread, then the compiled step.
            how = step_eval if step_eval != "auto" else ("host" if left * starts <= HOST_STEPS_MAX else "host+jit")
            if how == "jit":
                steps_fn[cc] = make_jit_step(cc)
            else:
                steps_fn[cc] = make_host_step(cc, z, state, lam, a, b)
            step_how[cc] = how
            if how == "host+jit":
                pending[cc] = None  # the compile starts after the first host step
        rec = []
        for i in range(first, first + count):
            if cc in pending and pending[cc] is not None and not pending[cc][0].is_alive():
                thread, box = pending.pop(cc)
                if "error" in box:
                    raise box["error"]
                steps_fn[cc] = box["step"]
                switched[cc] = i
            z, state, obj, g, cm, x = steps_fn[cc](z, state, lam, a, b)
            if cc in pending and pending[cc] is None:
                pending[cc] = _compile_in_thread(make_jit_step(cc), (z, state, lam, a, b))
            rec.append((np.asarray(x), np.asarray(obj), np.asarray(cm)))
            if first_better[0] is None:
                ok = np.isfinite(rec[-1][1]) & (rec[-1][1] < base_obj)
                for j, c in enumerate(cons):
                    v = rec[-1][2][:, j]
                    ok &= (v <= c.bound) if c.upper else (v >= c.bound)
                if ok.any():
                    k = int(np.argmin(np.where(ok, rec[-1][1], np.inf)))
                    first_better[0] = (i + 1, float(np.exp(sign * rec[-1][1][k])))
                    if progress:
                        bar.write(f"first improving step: step {i + 1}, {objective} {first_better[0][1]:.4g} "
                                  f"(base {base_metrics[objective]:.4g}, start {k}), "
                                  f"{time.perf_counter() - t_start:.1f} s into the optimisation")
            if (i + 1) % inner == 0:
                lam = jnp.maximum(0.0, lam + rho * g)
            bar.update(1)
        return z, state, lam, rec

    z0 = _initial_z(variables, base, starts, seed if seed is not None else config.run.seed)
    z, state = jnp.asarray(z0, lo.dtype), opt.init(jnp.asarray(z0, lo.dtype))
    lam = jnp.zeros((starts, len(cons)), lo.dtype)
    a, b = jnp.broadcast_to(lo, z.shape), jnp.broadcast_to(hi, z.shape)
    from tqdm.auto import tqdm

    t0 = time.perf_counter()
    polish = int(round(steps * polish_fraction)) if any(v.spec.discrete for v in variables) else 0
    bar = tqdm(total=steps, desc="optimize", disable=not progress)
    left = steps  # steps still to run (the polish phase may stay on the same chip)
    z, state, lam, rec = run(chip_config, z, state, lam, a, b, 0, steps - polish, bar)
    left = polish
    if polish:
        # Pin the discrete parameters at their nearest valid values and refine the continuous
        # ones on the static chip of the pinned design (one compile per distinct chip).
        x_now = np.asarray(jax.vmap(decode)(z, a, b))
        pinned = np.stack([[_nearest(v, x) for v, x in zip(variables, row)] for row in x_now])
        disc = np.asarray([v.spec.discrete for v in variables])
        t_pin = jnp.asarray([[v.encode(x) for v, x in zip(variables, row)] for row in pinned], lo.dtype)
        a, b = jnp.where(disc, t_pin, a), jnp.where(disc, t_pin, b)
        pin_pts = {n: pinned[:, j] for j, n in enumerate(names)}
        pin_pts.update({k: np.full(starts, v, dtype=object if P.PARAMS[k].kind == "choice" else float)
                        for k, v in fixed.items()})
        group, cfgs = group_configs(base, pin_pts)
        outs = [run(cc, z, state, lam, a, b, steps - polish, polish, bar) for cc in cfgs]
        pick = lambda arrs: np.stack([np.asarray(arrs[group[s]])[s] for s in range(starts)])  # noqa: E731
        z = jnp.asarray(pick([o[0] for o in outs]))
        rec += [tuple(pick([o[3][t][c] for o in outs]) for c in range(3)) for t in range(polish)]
    bar.close()
    for job in pending.values():  # no compile outlives the call
        if job is not None:
            job[0].join()
    xs, objs, cms = (list(r) for r in zip(*rec))
    t_grad = time.perf_counter() - t0
    final = np.asarray(jax.vmap(decode)(z, a, b))
    if polish and grad_mode == "ste":
        # With the discrete parameters pinned, ste values are the exact ones: also re-check
        # each start's best feasible polish iterate (ste gradients can overshoot a step).
        tail_obj = np.asarray(objs[-polish:])  # (polish, starts)
        ok = np.ones_like(tail_obj, bool)
        for j, c in enumerate(cons):
            v = np.asarray(cms[-polish:])[:, :, j]
            ok &= (v <= c.bound) if c.upper else (v >= c.bound)
        best_t = np.argmin(np.where(ok & np.isfinite(tail_obj), tail_obj, np.inf), axis=0)
        final = np.concatenate([final, np.asarray(xs[-polish:])[best_t, np.arange(starts)]])
    best, best_m, feasible, n_cand = _round_and_check(base, variables, fixed, final, objective, cons)
    if refine and feasible:
        best, best_m, n_ref = _refine_exact(base, variables, best, best_m, objective, cons, refine, refine_points)
        n_cand += n_ref
    return OptResult(
        names=names, objective=objective, constraints=cons, best=best, best_metrics=best_m, feasible=feasible,
        base_metrics=base_metrics, trajectory_x=np.asarray(xs), trajectory_obj=np.exp(sign * np.asarray(objs)),
        trajectory_cons=np.asarray(cms), candidates=n_cand, evaluations=steps * starts + n_cand,
        timing=dict(gradient_s=t_grad, total_s=time.perf_counter() - t_start,
                    step_eval=sorted(set(step_how.values())), first_improving_step=first_better[0],
                    compiled_from_step=sorted(switched.values())))


def _compile_in_thread(step, args) -> tuple:
    """Start compiling the jitted ``step`` for ``args``' shapes in a thread; returns
    ``(thread, box)``, ``box`` then holding ``"step"`` (the compiled callable) or ``"error"``.
    XLA's compile releases the GIL, so on a multi-core CPU it runs beside the host steps."""
    import threading

    box: dict = {}
    shapes = jax.tree_util.tree_map(lambda v: jax.ShapeDtypeStruct(np.shape(v), np.asarray(v).dtype), args)

    def work():
        try:
            box["step"] = step.lower(*shapes).compile()
        except BaseException as e:  # noqa: BLE001  (re-raised by the caller)
            box["error"] = e

    thread = threading.Thread(target=work, name="cimjax-optimize-compile", daemon=True)
    thread.start()
    return thread, box


def _nearest(v: Variable, x: float) -> float:
    """The valid value of a discrete variable nearest to ``x`` (in its own scale), else ``x``."""
    if v.spec.kind == "int":
        return float(min(max(round(x), v.lo), v.hi))
    if v.spec.kind == "pow2":
        return float(min(max(2.0 ** round(math.log2(x)), v.lo), v.hi))
    return float(x)


def _initial_z(variables, base, starts: int, seed: int) -> np.ndarray:
    """Logits of the starts: the base design (clipped inside) and a Latin hypercube."""
    rng = np.random.default_rng(seed)
    k = len(variables)
    u = (np.stack([rng.permutation(starts) for _ in range(k)], axis=1) + rng.uniform(size=(starts, k))) / starts
    x0 = P.get_values(base.knobs, [v.spec.name for v in variables])
    for j, v in enumerate(variables):
        a, b = v.encode(v.lo), v.encode(v.hi)
        u[0, j] = (v.encode(x0[j]) - a) / (b - a)
    u = np.clip(u, 0.02, 0.98)
    return np.log(u) - np.log1p(-u)


def _round_and_check(base, variables, fixed, final, objective, cons):
    """Round the discrete parameters down/up, evaluate all candidates exactly, pick the best."""
    cands = []
    for x in final:
        options = []
        for v, xv in zip(variables, x):
            if v.spec.kind == "int":
                opts = {min(max(math.floor(xv), v.lo), v.hi), min(max(math.ceil(xv), v.lo), v.hi)}
            elif v.spec.kind == "pow2":
                e = math.log2(xv)
                opts = {min(max(2.0 ** math.floor(e), v.lo), v.hi), min(max(2.0 ** math.ceil(e), v.lo), v.hi)}
            else:  # keep the value; add a bound it has nearly reached (sigmoid never gets there)
                xv = float(min(max(xv, v.lo), v.hi))
                a, b = v.encode(v.lo), v.encode(v.hi)
                u = (v.encode(xv) - a) / (b - a)
                opts = {xv} | ({v.lo} if u < SNAP else set()) | ({v.hi} if u > 1 - SNAP else set())
            options.append(sorted(opts))
        if sum(len(o) > 1 for o in options) > 5:  # too many: nearest only
            options = [[min(o, key=lambda c, xv=xv: abs(c - xv))] for o, xv in zip(options, x)]
        cands.extend(itertools.product(*options))
    cands = np.asarray(sorted(set(cands)), float)
    pts = {v.spec.name: cands[:, j] for j, v in enumerate(variables)}
    for k, val in fixed.items():
        pts[k] = np.full(len(cands), val, dtype=object if P.PARAMS[k].kind == "choice" else float)
    m, _, _ = evaluate(base, pts, chunk=64, fixed_chunk=True, progress=False)
    score, feasible, viol = _score(m, objective, cons)
    i = int(np.argmin(np.where(feasible, score, np.inf))) if feasible.any() else int(np.argmin(viol))
    best = {k: (pts[k][i] if isinstance(pts[k][i], str) else float(pts[k][i])) for k in pts}
    return best, {k: float(v[i]) for k, v in m.items()}, bool(feasible[i]), len(cands)


def _score(m: dict, objective: str, cons) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per design: the minimised score (inf if not finite), whether it is feasible, and the
    summed relative constraint violation."""
    score = np.asarray(m[objective], float) * (-1.0 if objective in MAXIMISE else 1.0)
    viol = np.zeros(len(score))
    for c in cons:
        viol += np.asarray([c.violation(val) for val in m[c.metric]])
    return np.where(np.isfinite(score), score, np.inf), viol <= 1e-9, viol


def _refine_exact(base, variables, best, best_m, objective, cons, sweeps, points):
    """Exact coordinate search over the continuous variables from the feasible ``best``
    (module docstring); returns the improved ``(best, metrics, evaluations)``."""
    cont = [v for v in variables if not v.spec.discrete]
    if not cont:
        return best, best_m, 0
    cur, cur_m = dict(best), dict(best_m)
    cur_score = _score({k: [v] for k, v in cur_m.items()}, objective, cons)[0][0]
    evals = 0
    for sweep in range(sweeps):
        trial = []
        for v in cont:
            a, b = float(v.encode(v.lo)), float(v.encode(v.hi))
            t0 = float(v.encode(cur[v.spec.name]))
            step = (b - a) / (points - 1) / (2 ** sweep)
            ts = np.concatenate([np.linspace(a, b, points), t0 + step * np.arange(-4, 5) / 4.0])
            for t in np.unique(np.clip(ts, a, b)):
                x = {"log": math.exp, "log2": lambda u: 2.0 ** u, "linear": float}[v.scale](float(t))
                x = float(min(max(x, v.lo), v.hi))
                if x != cur[v.spec.name]:
                    trial.append({**cur, v.spec.name: x})
        if not trial:
            break
        pts = {k: np.asarray([d[k] for d in trial], dtype=object if P.PARAMS[k].kind == "choice" else float)
               for k in cur}
        m, _, _ = evaluate(base, pts, chunk=64, fixed_chunk=True, progress=False)
        evals += len(trial)
        score, ok, _ = _score(m, objective, cons)
        i = int(np.argmin(np.where(ok, score, np.inf)))
        if not (ok[i] and score[i] < cur_score - 1e-9 * abs(cur_score)):
            break
        cur = {k: (pts[k][i] if isinstance(pts[k][i], str) else float(pts[k][i])) for k in pts}
        cur_m, cur_score = {k: float(val[i]) for k, val in m.items()}, score[i]
    return cur, cur_m, evals


def metrics_for(base, point: dict) -> dict:
    """Exact metrics of one design (``point``: parameter → value)."""
    pts = {k: np.asarray([v], dtype=object if isinstance(v, str) else float) for k, v in point.items()}
    m, _, _ = evaluate(base, pts, progress=False)
    return {k: float(v[0]) for k, v in m.items()}


__all__ = ["Constraint", "OptResult", "Variable", "optimize", "parse_constraint", "variables_from_grid",
           "metrics_for", "metrics_of"]
