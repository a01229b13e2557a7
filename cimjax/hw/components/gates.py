"""Standard cells (INV, NAND_k, NOR_k, transmission gate): geometry, capacitance, drive, leakage.

Source: docs/model.md §5.6 (cell height 28F, 34F FinFET; minimum width 2F; ``pnSizeRatio =
I_on,n/I_on,p``) and §5.9 (``CalculateGateArea`` layout constants, junction coefficients,
the leakage rules), on top of :mod:`cimjax.hw.tech`. Valid for nodes in [7, 130] nm and
gates of 1–8 inputs.

docs/model.md gives the ingredients of NeuroSim's gate layout but not its equations; the rules
below are cimjax's, built only from docs/model.md's constants (F = node):

* **Sizing** (logical-effort style, ``s`` = size multiplier): INV and TG ``W_n = s·2F``,
  ``W_p = pnSizeRatio·W_n``; NAND_k widens its series NMOS stack ×k, NOR_k its series PMOS
  stack ×k, so every gate drives like the INV of the same ``s``.
* **Area.** Cell height ``H`` = 28F (34F below 22 nm). The diffusions share
  ``H − (3.5 + 2·1.0)F`` (P–N gap and two poly extensions) in proportion to their widths, so
  N and P fold alike into ``n_f = max(1, ⌈(W_n + W_p)/H_avail⌉)`` fingers. A transistor of
  ``n_f`` fingers takes ``n_f + 1`` poly pitches ``(poly width + gate–poly spacing)·F``; a
  k-input NAND/NOR shares diffusion between its inputs: ``k·n_f + 1`` pitches.
* **Drain capacitance** of a width ``W`` in ``n_f`` fingers: ``m = ⌈n_f/2⌉`` drain strips of
  ``W/n_f × s_d`` (``s_d`` = gate–poly spacing) with bottom ``C_j``, side walls ``C_sw·(W/n_f +
  2·s_d)`` per strip, and ``C_gate-edge·W`` (§5.9 coefficients; drawn widths, also for FinFET).
  A gate's output sees the top transistor of a series stack and all of a parallel stack
  (``k·W`` in ``k·n_f`` fingers, sharing strips).
* **Leakage** (§5.9): INV ``(I_off,n·W_n + I_off,p·W_p)/2``; NAND_k ``f_k·k·I_off,p·W_p`` (its
  k parallel PMOS) with ``f_2, f_3 = 0.48, 0.31``; NOR_k ``f_k·k·I_off,n·W_n`` (k parallel NMOS)
  with ``f_2, f_3 = 0.95, 0.62`` (the ``k`` as in NeuroSim's ``CalculateGateLeakage``); power
  ``= I·V_dd``. A TG connects no supply and does not leak. *Placeholders*: docs/model.md tabulates
  no PMOS ``I_off``, so ``I_off,p = I_off,n`` per effective width; for k ≥ 4 inputs ``f_k`` is
  held at ``f_3``.
* **Drive resistance** (the worst edge, for Horowitz stages): INV ``max(R_n, R_p)``; NAND_k
  ``max(k·R_n, R_p)``; NOR_k ``max(R_n, k·R_p)``; TG ``R_n ‖ R_p``.
"""

from __future__ import annotations

import math
from typing import NamedTuple, Optional, Union

import jax
import jax.numpy as jnp

from cimjax.hw import relax, tech
from cimjax.hw.components.params import CircuitParams, ComponentConfig, as_float, circuit_technology

Array = jax.Array
ArrayLike = Union[jax.Array, float, int]

#: Gate kinds.
KINDS = ("inv", "nand", "nor", "tg")
#: Standard-cell height, F (planar / FinFET), docs/model.md §5.6.
CELL_HEIGHT_F = 28.0
CELL_HEIGHT_FINFET_F = 34.0
#: Minimum transistor width, F, docs/model.md §5.6.
MIN_WIDTH_F = 2.0
#: Layout constants, F (docs/model.md §5.9): poly width, gate–poly spacing (planar / FinFET).
POLY_WIDTH_F = (1.0, 1.4)
GATE_POLY_SPACING_F = (2.8, 3.9)
#: P–N diffusion gap and poly extension, F (docs/model.md §5.9).
PN_GAP_F = 3.5
POLY_EXTENSION_F = 1.0
#: Leakage factors of §5.9 by input count (k ≥ 4: held at k = 3, a placeholder).
NAND_LEAKAGE_FACTOR = {2: 0.48, 3: 0.31}
NOR_LEAKAGE_FACTOR = {2: 0.95, 3: 0.62}
MAX_INPUTS = 8


class Gate(NamedTuple):
    """One standard cell, SI units (arrays with the node's shape).

    Attributes:
      area: cell area, m².
      width / height: cell width and height, m.
      c_in: capacitance of one input (``C_g(W_n) + C_g(W_p)``), F.
      c_out: capacitance of the output node (drains), F.
      r_drive: worst-edge drive resistance, Ω (TG: on-resistance).
      leakage: static power, W.
      w_n / w_p: drawn NMOS / PMOS width of one input's transistors, m.
    """

    area: Array
    width: Array
    height: Array
    c_in: Array
    c_out: Array
    r_drive: Array
    leakage: Array
    w_n: Array
    w_p: Array


def pn_size_ratio(t: tech.Technology) -> Array:
    """``pnSizeRatio = I_on,n/I_on,p`` (docs/model.md §5.6): PMOS/NMOS width ratio of equal drive."""
    return _cell(t, "pn_size_ratio", lambda: t.i_on_n / t.i_on_p)


def cell_height(t: tech.Technology) -> Array:
    """Standard-cell height: 28F, or 34F for FinFET nodes (docs/model.md §5.6), m."""
    return _cell(t, "cell_height", lambda: jnp.where(t.finfet, CELL_HEIGHT_FINFET_F, CELL_HEIGHT_F) * t.node)


def _layout(t: tech.Technology) -> tuple[Array, Array]:
    def compute():
        poly = jnp.where(t.finfet, POLY_WIDTH_F[1], POLY_WIDTH_F[0]) * t.node
        spacing = jnp.where(t.finfet, GATE_POLY_SPACING_F[1], GATE_POLY_SPACING_F[0]) * t.node
        return poly + spacing, spacing

    return _cell(t, "layout", compute)


def _junction(t: tech.Technology) -> tuple[Array, Array, Array]:
    return _cell(t, "junction", lambda: tech.junction_capacitance_coefficients(t.vdd))


def fingers(t: tech.Technology, w_n: ArrayLike, w_p: ArrayLike, mode: str = "exact") -> Array:
    """Fingers per transistor ``max(1, ⌈(W_n + W_p)/H_avail⌉)`` (module docstring)."""
    available = cell_height(t) - (PN_GAP_F + 2.0 * POLY_EXTENSION_F) * t.node
    return jnp.maximum(1.0, relax.ceil((as_float(w_n) + as_float(w_p)) / available, mode))


def drain_capacitance(
    t: tech.Technology, width: ArrayLike, num_fingers: ArrayLike, mode: str = "exact"
) -> Array:
    """Drain capacitance of a transistor of drawn width ``W`` in ``n_f`` fingers, F.

    ``⌈n_f/2⌉·[C_j·(W/n_f)·s_d + C_sw·(W/n_f + 2·s_d)] + C_gate-edge·W`` (module docstring).

    Args:
      t: technology.
      width: drawn width W, m.
      num_fingers: fingers ``n_f`` (≥ 1).
      mode: relax mode of ``⌈n_f/2⌉`` (static).

    Returns:
      Drain capacitance, F.
    """
    width, num_fingers = as_float(width), as_float(num_fingers)
    c_j, c_sw, c_edge = _junction(t)
    _, s_d = _layout(t)
    finger = width / num_fingers
    strips = jnp.maximum(1.0, relax.ceil(num_fingers / 2.0, mode))
    return strips * (c_j * finger * s_d + c_sw * (finger + 2.0 * s_d)) + c_edge * width


def _leakage_factor(table: dict, k: int) -> float:
    return table[min(k, 3)]


def gate(
    t: tech.Technology,
    kind: str,
    num_inputs: int = 1,
    size: ArrayLike = 1.0,
    mode: str = "exact",
    widths: Optional[tuple[ArrayLike, ArrayLike]] = None,
) -> Gate:
    """The :class:`Gate` model of an INV, NAND_k, NOR_k or TG (module docstring).

    Args:
      t: technology (:func:`cimjax.hw.components.params.circuit_technology`).
      kind: ``"inv"``, ``"nand"``, ``"nor"`` or ``"tg"`` (static).
      num_inputs: inputs k of a NAND/NOR, in [1, 8] (static; k = 1 is an INV).
      size: width multiplier ``s`` over the minimum sizing (traced, > 0).
      mode: relax mode of the finger counts (static).
      widths: optional ``(W_n, W_p)`` in m overriding the sizing rule (e.g. a sized TG).

    Returns:
      The :class:`Gate`.

    Raises:
      ValueError: unknown ``kind`` or ``num_inputs`` outside [1, 8].
    """
    if kind not in KINDS:
        raise ValueError(f"kind = {kind!r}: expected one of {KINDS}")
    if isinstance(num_inputs, bool) or not isinstance(num_inputs, int) or not 1 <= num_inputs <= MAX_INPUTS:
        raise ValueError(f"num_inputs = {num_inputs!r}: expected an int in [1, {MAX_INPUTS}]")
    k = num_inputs if kind in ("nand", "nor") else 1
    if k == 1 and kind in ("nand", "nor"):
        kind = "inv"
    if widths is None and _static(size):
        return _cell(t, _gate_key(kind, k, float(size), mode), lambda: _build_gate(t, kind, k, size, mode, widths))
    return _build_gate(t, kind, k, size, mode, widths)


def _static(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


#: The static gates ``(kind, inputs, size)`` a chip estimate asks for many times (about 250
#: look-ups of these 7 in the default estimate): :func:`with_standard_cells` builds them once.
STANDARD_GATES = (("inv", 1, 1.0), ("inv", 1, 3.0), ("nand", 2, 1.0), ("nor", 2, 1.0), ("nor", 3, 1.0),
                  ("nor", 4, 1.0), ("tg", 1, 1.0))


def _gate_key(kind: str, k: int, size: float, mode: str) -> str:
    return f"gate:{kind}:{k}:{size!r}:{mode}"


def _cell(t: tech.Technology, key: str, compute):
    """``t.cells[key]`` when :func:`with_standard_cells` computed it, else ``compute()``."""
    if t.cells is not None and key in t.cells:
        return t.cells[key]
    return compute()


@jax.jit
def with_standard_cells(circuit: CircuitParams, config: ComponentConfig) -> CircuitParams:
    """``circuit`` with its technology derived once: ``circuit.technology`` set to the
    technology of ``node_nm``/``vdd_scale`` at ``config.roadmap`` (any technology it held is
    replaced), its ``cells`` holding the layout quantities and the :data:`STANDARD_GATES` at
    ``config.mode``.

    The chip estimate asks for these about 1,000 times; each derivation is a few dozen traced
    operations (the technology alone interpolates some 20 table columns). Derived once and
    passed down in the params, they keep the traced graph small (the values are those the
    components compute without it). Every component of the chip must then share
    ``config.roadmap``; a gate of another relax mode is built on use. Jitted (``config`` is a
    static pytree): traced once per config.
    """
    t = circuit_technology(circuit._replace(technology=None), config)
    cells: dict = {}
    for key, fn in (("pn_size_ratio", pn_size_ratio), ("cell_height", cell_height), ("layout", _layout),
                    ("junction", _junction)):
        cells[key] = fn(t._replace(cells=dict(cells)))
    t = t._replace(cells=cells)
    for kind, k, size in STANDARD_GATES:
        cells[_gate_key(kind, k, size, config.mode)] = _build_gate(t, kind, k, size, config.mode, None)
    return circuit._replace(technology=t._replace(cells=dict(cells)))


def _build_gate(t: tech.Technology, kind: str, k: int, size: ArrayLike, mode: str,
                widths: Optional[tuple[ArrayLike, ArrayLike]]) -> Gate:
    pn = pn_size_ratio(t)
    if widths is None:
        base = as_float(size) * MIN_WIDTH_F * t.node
        w_n = base * (k if kind == "nand" else 1)
        w_p = base * pn * (k if kind == "nor" else 1)
    else:
        w_n, w_p = as_float(widths[0]), as_float(widths[1])
    n_f = fingers(t, w_n, w_p, mode)
    pitch, _ = _layout(t)
    width = (k * n_f + 1.0) * pitch
    height = cell_height(t)

    c_in = tech.gate_capacitance(t, w_n, mode) + tech.gate_capacitance(t, w_p, mode)
    c_d_n = drain_capacitance(t, w_n, n_f, mode)
    c_d_p = drain_capacitance(t, w_p, n_f, mode)
    r_n = tech.on_resistance(t, w_n, "n", mode)
    r_p = tech.on_resistance(t, w_p, "p", mode)
    i_n = tech.leakage_current(t, w_n, mode)
    i_p = tech.leakage_current(t, w_p, mode)  # placeholder: PMOS I_off = NMOS I_off per width
    zero = jnp.zeros_like(c_in)
    if kind == "inv":
        c_out, r_drive, i_leak = c_d_n + c_d_p, jnp.maximum(r_n, r_p), 0.5 * (i_n + i_p)
    elif kind == "nand":
        c_out = c_d_n + drain_capacitance(t, k * w_p, k * n_f, mode)
        r_drive = jnp.maximum(k * r_n, r_p)
        i_leak = _leakage_factor(NAND_LEAKAGE_FACTOR, k) * k * i_p
    elif kind == "nor":
        c_out = drain_capacitance(t, k * w_n, k * n_f, mode) + c_d_p
        r_drive = jnp.maximum(r_n, k * r_p)
        i_leak = _leakage_factor(NOR_LEAKAGE_FACTOR, k) * k * i_n
    else:  # tg
        c_out, r_drive, i_leak = c_d_n + c_d_p, r_n * r_p / (r_n + r_p), zero
    return Gate(
        area=width * height,
        width=width,
        height=height,
        c_in=c_in,
        c_out=c_out,
        r_drive=r_drive,
        leakage=i_leak * t.vdd,
        w_n=w_n + zero,
        w_p=w_p + zero,
    )


def horowitz_chain(
    stages: list[tuple[ArrayLike, ArrayLike]], ramp_input: Optional[ArrayLike] = None
) -> tuple[Array, Array]:
    """Delay of a chain of gate stages, each a Horowitz delay with ``τ = R·C`` (docs/model.md §5.9).

    A step input (``ramp_input=None``) gives the first stage ``τ·ln 2``, Horowitz's limit,
    computed directly so that its gradient stays finite.

    Args:
      stages: ``(R_drive in Ω, C_load in F)`` per stage, in order (at least one).
      ramp_input: input ramp of the first stage, 1/s (> 0); None = a step.

    Returns:
      ``(total delay in s, output ramp in 1/s)``.
    """
    total, ramp = None, None if ramp_input is None else as_float(ramp_input)
    for r, c in stages:
        tau = as_float(r) * as_float(c)
        if ramp is None:
            delay = tau * math.log(2.0)
            ramp = 0.5 / delay
        else:
            delay, ramp = tech.horowitz(tau, ramp)
        total = delay if total is None else total + delay
    return total, ramp
