"""Shared inputs of the peripheral components: ``CircuitParams`` (traced) and ``ComponentConfig`` (static).

Every component of :mod:`cimjax.hw.components` has the signature ``f(params, config) -> Cost``.
Its params are a NamedTuple whose first field ``circuit`` is a :class:`CircuitParams` (the
technology node, supply, clock and wire values every component shares) followed by the
component's own sizes and counts; its config is a frozen, hashable dataclass derived from
:class:`ComponentConfig` (the roadmap and the relax mode every component shares, plus the
component's structural choices). One shared ``CircuitParams`` keeps a design point in one
place: ``vmap`` over ``params.circuit.node_nm`` sweeps the node for every component alike.

Counts and bit widths that do not set array shapes (bits of an adder, inputs of an adder
tree, bits moved from DRAM) are traced floats, holding integers in exact mode, so they can
be differentiated in the ``"relaxed"``/``"ste"`` modes of :mod:`cimjax.hw.relax`. Counts that
set the structure (decoder outputs, H-tree grid) are static config fields.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import threading
from typing import Callable, NamedTuple, TypeVar, Union

import jax
import jax.numpy as jnp

from cimjax.hw import relax, tech
from cimjax.hw.neurosim_version import CURRENT, NeuroSimVersion

C = TypeVar("C", bound="ComponentConfig")
Array = jax.Array
ArrayLike = Union[jax.Array, float, int]

#: NeuroSim's wire capacitance per length, 0.2 fF/µm (spec §5.4, §5.6), in F/m.
WIRE_CAPACITANCE = 0.2e-15 / 1e-6


def as_float(x: ArrayLike) -> Array:
    """``x`` as an array of the default float dtype."""
    return jnp.asarray(x).astype(jnp.result_type(float))


class CircuitParams(NamedTuple):
    """Traced circuit parameters shared by all components (defaults: NeuroSim V2.0, spec §5.3).

    Attributes:
      node_nm: technology node, nm, in [7, 130] (``technode`` = 32).
      vdd_scale: multiplier on the table's supply voltage (1 = the §5.9 table). The scaled
        ``V_dd`` is used everywhere the table's is (switching energy, ``R_on = k·V_dd/I_on``,
        leakage power); ``I_on``/``I_off`` are not rescaled (a first-order knob, not a device
        model).
      clock_hz: clock frequency, Hz (``clkFreq`` = 1 GHz); a DFF operation takes half a cycle.
      wire_width_nm: local wire width, nm, in [14, 200] (``wireWidth`` = 40).
      wire_capacitance: wire capacitance per length, F/m (0.2 fF/µm).
      temperature_k: wire temperature, K, for V2.1's resistivity term only (300 = V2.0,
        which has none; the transistor tables are at 300 K).
    """

    node_nm: ArrayLike = 32.0
    vdd_scale: ArrayLike = 1.0
    clock_hz: ArrayLike = 1e9
    wire_width_nm: ArrayLike = 40.0
    wire_capacitance: ArrayLike = WIRE_CAPACITANCE
    temperature_k: ArrayLike = 300.0


@jax.tree_util.register_static
@dataclasses.dataclass(frozen=True, kw_only=True)
class ComponentConfig:
    """Static choices shared by all components (a hashable pytree with no leaves).

    Attributes:
      roadmap: ``"HP"`` or ``"LSTP"`` (NeuroSim's ``deviceroadmap``; LSTP is V2.0's default).
      mode: ``"exact"`` (default), ``"relaxed"`` or ``"ste"`` for every ceil/floor/log2 of the
        component (:mod:`cimjax.hw.relax`).
      temperature: staircase temperature of the relaxed mode for the component's own counts
        (count units); gate-level fin and finger counts use :mod:`cimjax.hw.relax`'s default,
        as :mod:`cimjax.hw.tech` does.
      version: the NeuroSim code the models follow and its quirks
        (:class:`~cimjax.hw.neurosim_version.NeuroSimVersion`; default the current code).
    """

    roadmap: str = "LSTP"
    mode: str = "exact"
    temperature: float = relax.DEFAULT_TEMPERATURE
    version: NeuroSimVersion = CURRENT

    def __post_init__(self):
        name = type(self).__name__
        if not isinstance(self.roadmap, str) or self.roadmap.upper() not in tech.ROADMAPS:
            raise ValueError(f"{name}.roadmap = {self.roadmap!r}: expected one of {tech.ROADMAPS}")
        object.__setattr__(self, "roadmap", self.roadmap.upper())
        if self.mode not in relax.MODES:
            raise ValueError(f"{name}.mode = {self.mode!r}: expected one of {relax.MODES}")
        if isinstance(self.temperature, bool) or not isinstance(self.temperature, (int, float)):
            raise ValueError(f"{name}.temperature = {self.temperature!r}: expected a number > 0")
        if not self.temperature > 0:
            raise ValueError(f"{name}.temperature = {self.temperature!r}: expected a number > 0")
        if not isinstance(self.version, NeuroSimVersion):
            raise ValueError(f"{name}.version = {self.version!r}: expected a NeuroSimVersion")

    def sub(self, cls: type[C], **kw) -> C:
        """A component config of type ``cls`` sharing this config's roadmap, relax mode,
        temperature and NeuroSim version (``kw``: its own fields)."""
        return cls(roadmap=self.roadmap, mode=self.mode, temperature=self.temperature, version=self.version, **kw)

    def _check_int(self, field: str, lo: int, hi: int | None = None) -> None:
        """Raise ValueError naming ``field`` unless it is an int in [lo, hi]."""
        value = getattr(self, field)
        ok = isinstance(value, int) and not isinstance(value, bool) and value >= lo
        if ok and hi is not None:
            ok = value <= hi
        if not ok:
            bound = f"[{lo}, {hi}]" if hi is not None else f"≥ {lo}"
            raise ValueError(f"{type(self).__name__}.{field} = {value!r}: expected an int {bound}")

    def _check_choice(self, field: str, choices: tuple) -> None:
        """Raise ValueError naming ``field`` unless it is one of ``choices``."""
        value = getattr(self, field)
        if value not in choices:
            raise ValueError(f"{type(self).__name__}.{field} = {value!r}: expected one of {choices}")

    def _check_bool(self, field: str) -> None:
        """Raise ValueError naming ``field`` unless it is a bool."""
        value = getattr(self, field)
        if not isinstance(value, bool):
            raise ValueError(f"{type(self).__name__}.{field} = {value!r}: expected a bool")

    def ceil(self, x: ArrayLike) -> Array:
        """``⌈x⌉`` in this config's relax mode."""
        return relax.ceil(x, self.mode, temperature=self.temperature)

    def floor(self, x: ArrayLike) -> Array:
        """``⌊x⌋`` in this config's relax mode."""
        return relax.floor(x, self.mode, temperature=self.temperature)

    def log2ceil(self, x: ArrayLike) -> Array:
        """``⌈log2 x⌉`` in this config's relax mode."""
        return relax.log2ceil(x, self.mode, temperature=self.temperature)


_memo = threading.local()
F = TypeVar("F", bound=Callable)
T = TypeVar("T")

try:  # the current trace, so that a memo entry is only reused in the trace that made it
    from jax._src.core import trace_ctx as _trace_ctx
except ImportError:  # pragma: no cover - a JAX without it: no memo (same values, bigger graph)
    _trace_ctx = None


def _current_trace():
    return getattr(_trace_ctx, "trace", None) if _trace_ctx is not None else None


def _usable_here(value, trace) -> bool:
    """Whether every tracer in ``value`` belongs to ``trace`` or one of its parents.

    A value traced in an enclosing trace may be used in a nested ``jit``/``vmap``/``grad``
    trace (JAX lifts it, as for any closed-over value); one traced in a nested or a sibling
    trace may not (an escaped tracer). JAX's traces link to their parent (``parent_trace``).
    """
    chain = []
    while trace is not None:
        chain.append(trace)
        trace = getattr(trace, "parent_trace", None)
    for leaf in jax.tree_util.tree_leaves(value):
        if isinstance(leaf, jax.core.Tracer):
            owner = getattr(leaf, "_trace", None)
            if owner is None or not any(owner is a for a in chain):
                return False
    return True


def memoised(key: tuple, held: tuple, compute: Callable[[], T]) -> T:
    """``compute()``, memoised in the innermost :func:`technology_scope` under ``key``.

    ``key`` holds static, hashable values; ``held`` the traced inputs (by identity: they are
    kept alive with the entry, so their ids cannot be reused). An entry is reused only where
    its tracers are valid (:func:`_usable_here`): in the trace that made it and in traces
    nested in that one. Outside a scope, or where the current trace cannot be read, it
    computes every time.
    """
    stack = getattr(_memo, "stack", None)
    trace = _current_trace()
    if not stack or trace is None:
        return compute()
    memo = stack[-1]
    full_key = key + tuple(map(id, held))
    hit = memo.get(full_key)
    if hit is not None and all(a is b for a, b in zip(hit[0], held)) and _usable_here(hit[1], trace):
        return hit[1]
    value = compute()
    memo[full_key] = (held, value)
    return value


@contextlib.contextmanager
def technology_scope():
    """Within this block, :func:`circuit_technology` returns one ``Technology`` per circuit.

    The chip estimate asks for the technology of the same ``CircuitParams`` about 75 times;
    each look-up interpolates some 20 table columns, about a fifth of the traced graph. In a
    scope the first result is kept, keyed by the identity of the ``node_nm`` and ``vdd_scale``
    objects and of the current JAX trace (all held, so their ids cannot be reused) and the
    roadmap, and returned for later calls in the same trace: the same values, a smaller
    graph, faster tracing and compiling. A value is never handed to another trace (an inner
    ``jit``, ``vmap`` or ``grad`` recomputes it once). Scopes nest, each with its own memo,
    which ends with the scope; :func:`with_technology_scope` gives every function that is
    jitted on its own one.
    """
    stack = getattr(_memo, "stack", None)
    if stack is None:
        stack = _memo.stack = []
    stack.append({})
    try:
        yield
    finally:
        stack.pop()


def with_technology_scope(fn: F) -> F:
    """``fn`` run inside its own :func:`technology_scope` (a decorator)."""

    @functools.wraps(fn)
    def wrapped(*args, **kwargs):
        with technology_scope():
            return fn(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def circuit_technology(circuit: CircuitParams, config: ComponentConfig) -> tech.Technology:
    """The :class:`~cimjax.hw.tech.Technology` of ``circuit`` with its supply scaled.

    Memoised inside a :func:`technology_scope`.

    Args:
      circuit: :class:`CircuitParams` (traced).
      config: any :class:`ComponentConfig` (its roadmap is used).

    Returns:
      ``tech.technology(node_nm, roadmap)`` with ``vdd`` multiplied by ``vdd_scale``.
    """

    def compute() -> tech.Technology:
        t = tech.technology(circuit.node_nm, config.roadmap)
        return t._replace(vdd=t.vdd * as_float(circuit.vdd_scale))

    return memoised(("technology", config.roadmap), (circuit.node_nm, circuit.vdd_scale), compute)
