"""Standard cells (INV, NAND_k, NOR_k, transmission gate): geometry, capacitance, drive, leakage.

Source: docs/model.md §5.6 (cell height 28F; minimum width 2F; ``pnSizeRatio =
I_on,n/I_on,p``) and §5.9 (``CalculateGateArea`` layout constants, junction coefficients,
the leakage rules), on top of :mod:`cimjax.hw.tech`. Valid for nodes in [7, 130] nm and
gates of 1–8 inputs.

docs/model.md gives the ingredients of NeuroSim's planar gate layout but not its equations (F = node):

* **Sizing** (logical-effort style, ``s`` = size multiplier): INV and TG ``W_n = s·2F``,
  ``W_p = pnSizeRatio·W_n``; NAND_k widens its series NMOS stack ×k, NOR_k its series PMOS
  stack ×k, so every gate drives like the INV of the same ``s``.
* **Planar nodes (≥ 22 nm)** — the rules below are cimjax's, built only from docs/model.md:

  - *Area.* Cell height ``H`` = 28F. The diffusions share ``H − (3.5 + 2·1.0)F`` (P–N gap and
    two poly extensions) in proportion to their widths, so N and P fold alike into
    ``n_f = max(1, ⌈(W_n + W_p)/H_avail⌉)`` fingers. A transistor of ``n_f`` fingers takes
    ``n_f + 1`` poly pitches ``(poly width + gate–poly spacing)·F``; a k-input NAND/NOR shares
    diffusion between its inputs: ``k·n_f + 1`` pitches.
  - *Drain capacitance* of a width ``W`` in ``n_f`` fingers: ``m = ⌈n_f/2⌉`` drain strips of
    ``W/n_f × s_d`` (``s_d`` = gate–poly spacing) with bottom ``C_j``, side walls ``C_sw·(W/n_f +
    2·s_d)`` per strip, and ``C_gate-edge·W`` (§5.9 coefficients). A gate's output sees the top
    transistor of a series stack and all of a parallel stack (``k·W`` in ``k·n_f`` fingers,
    sharing strips).

* **FinFET nodes (< 22 nm)** follow NeuroSim V2.0's ``formula.cpp`` (d4de5bc; facts read from it,
  rules written here) — :func:`finfet_layout`, docs/model.md §5.9 "FinFET standard cells":

  - ``pnSizeRatio`` is truncated to an integer (``Technology.cpp`` ``Technology::Initialize``,
    ``(int)(currentOnNmos/currentOnPmos)`` at 14, 10 and 7 nm): 1 at every FinFET node, so
    ``W_p = W_n`` there.
  - *Cell height stays 28F.* ``CalculateGateArea`` / ``CalculateGateCapacitance`` scale the
    height by ``MAX_TRANSISTOR_HEIGHT_FINFET/MAX_TRANSISTOR_HEIGHT`` = 34/28, two integer
    macros, so the factor is the integer quotient 1 (the "34F FinFET cell" of docs/model.md
    §5.6 never takes effect in V2.0).
  - *Fins.* A drawn width ``W`` is ``N = ⌈W/(2F)⌉`` fins; a region holds at most
    ``N_max = ⌊r·(H − 3.5F − 2·(1.0 + 1.6/2)F)/P_fin⌋ + 1`` fins (``r`` = the type's share
    ``W_p/(W_n+W_p)`` or its complement; a lone type gets the whole ``H − 3.6F``). Wider
    transistors fold: ``n_f = ⌊N/N_max⌋`` (NeuroSim's ``ceil`` of an *integer* quotient) and the
    region's diffusion height is ``(min(N, N_max) − 1)·P_fin + W_fin``.
  - *Area.* Region width ``(n_f + 1)`` poly pitches ``(1.4 + 3.9)F``; a k-input NAND/NOR
    whose N and P are both unfolded shares diffusion: ``(k + 1)`` pitches, else ``k·(n_f + 1)``;
    the cell is ``max(N, P)`` wide.
  - *Input capacitance* (``CalculateGateCapacitance``'s ``capInput``): the widths are scaled by
    ``P_fin/(2F)`` before ``CalculateGateCap`` scales them again, so one input sees
    ``⌈W·P_fin/(2F)²⌉`` fins of ``(2·H_fin + W_fin)`` each, per transistor (7 nm: 2 fins for a
    2F transistor). A lone transistor's gate (:func:`cimjax.hw.tech.gate_capacitance`,
    ``CalculateGateCap``) scales once: ``⌈W/(2F)⌉`` fins. A transmission gate's input is that
    single-scaled ``CalculateGateCap`` of its N and P: NeuroSim never sizes a TG's gate load with
    ``CalculateGateCapacitance`` (``capTgGateN/P`` in ``DFF.cpp`` ``CalculateArea``,
    ``NewSwitchMatrix.cpp`` ``CalculateArea``, the switch matrices and muxes; 14 nm minimum TG
    1.18e-16 F for N + P, where the double-scaled rule gave 2.37e-16 F and the 14 nm runs' array and
    buffer energies 1.12–1.13× NeuroSim V2.1's; found on an instrumented V2.1 run, 2026-12-08).
  - *Output capacitance.* Drain strips ``⌈(n_f+1)/2⌉·3.9F`` wide (sources ``⌊(n_f+1)/2⌋``) and
    the region's fin height tall: bottom ``C_j·w·h``, side walls ``C_sw·(2w + h·…)`` and drain
    to channel ``C_gate-edge·n_f·h``, with NAND/NOR drain sharing as in
    ``CalculateGateCapacitance`` (including its INV side-wall count, which reads the PMOS
    fold count for the NMOS as well). :func:`drain_capacitance` is ``CalculateDrainCap``
    (one transistor, a lone type in the cell).
  - Checked against those functions (called outside the repository) for INV, NAND2/3, NOR2/3
    of sizes 1–16 at 7, 10 and 14 nm LSTP: width, input and output capacitance equal (input
    0.1 % off at 7 nm: docs/model.md's rounded ``C_ideal``), but for a 3× gate at 10 nm, where
    NeuroSim's float round-off of ``W·P_fin/(2F)/P_fin`` adds a fin. Nodes between the
    tabulated ones (and 14–22 nm) use the interpolated fin geometry: cimjax's choice.

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
#: Standard-cell height, F, docs/model.md §5.6 (NeuroSim ``MAX_TRANSISTOR_HEIGHT``).
CELL_HEIGHT_F = 28.0
#: NeuroSim's FinFET cell height ``MAX_TRANSISTOR_HEIGHT_FINFET``, F: V2.0 scales the cell by the
#: *integer* quotient ``34/28`` = 1 (``formula.cpp`` ``CalculateGateArea``), so FinFET cells are
#: ``CELL_HEIGHT_F·(34 // 28)`` = 28F tall, as planar ones (module docstring).
CELL_HEIGHT_FINFET_F = 34.0
FINFET_CELL_HEIGHT_FACTOR = float(int(CELL_HEIGHT_FINFET_F) // int(CELL_HEIGHT_F))
#: Field-poly gap, F (docs/model.md §5.9, NeuroSim ``MIN_GAP_BET_FIELD_POLY``): a FinFET region
#: loses ``2·(poly extension + field-poly gap/2)`` of the cell height.
FIELD_POLY_GAP_F = 1.6
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
    """``pnSizeRatio = I_on,n/I_on,p`` (docs/model.md §5.6): PMOS/NMOS width ratio of equal drive.

    FinFET nodes truncate it to an integer, as NeuroSim V2.0's ``Technology.cpp``
    (``Technology::Initialize``, 14/10/7 nm: ``(int)(currentOnNmos[0]/currentOnPmos[0])``) does:
    1 at every tabulated FinFET node and roadmap.
    """
    return _cell(t, "pn_size_ratio", lambda: jnp.where(t.finfet, jnp.floor(t.i_on_n / t.i_on_p),
                                                       t.i_on_n / t.i_on_p))


def cell_height(t: tech.Technology) -> Array:
    """Standard-cell height, m: 28F; FinFET nodes ``28F·(34 // 28)`` = 28F too (module docstring:
    NeuroSim V2.0's ``CalculateGateArea`` scales by an integer quotient of its two height macros)."""
    return _cell(t, "cell_height", lambda: jnp.where(t.finfet, CELL_HEIGHT_F * FINFET_CELL_HEIGHT_FACTOR,
                                                     CELL_HEIGHT_F) * t.node)


class FinRegion(NamedTuple):
    """One transistor type's diffusion region of a FinFET cell (:func:`finfet_layout`), SI.

    Attributes:
      fins: fins ``N = ⌈W/(2F)⌉`` (0 for a width of 0).
      max_fins: most fins one finger holds in the cell, ``N_max``.
      folds: fingers ``n_f`` (≥ 1; NeuroSim's ``⌊N/N_max⌋`` when ``N > N_max``).
      height: diffusion height of one finger, m.
      present: 1.0 where the width is > 0, else 0.0.
    """

    fins: Array
    max_fins: Array
    folds: Array
    height: Array
    present: Array


def finfet_layout(t: tech.Technology, w_n: ArrayLike, w_p: ArrayLike, mode: str = "exact",
                  region_height: Optional[ArrayLike] = None) -> tuple[FinRegion, FinRegion]:
    """The NMOS and PMOS regions of a FinFET standard cell of drawn widths ``W_n``, ``W_p``.

    Source: NeuroSim V2.0 ``formula.cpp`` ``CalculateGateArea`` / ``CalculateGateCapacitance``
    (FinFET branch; module docstring). Fins ``N = ⌈W/(2F)⌉``; the cell (28F tall, see
    :func:`cell_height`) leaves ``H − 3.5F − 3.6F`` to the two regions, shared by width
    (``W_p/(W_n+W_p)``), or ``H − 3.6F`` to a lone type; ``N_max = ⌊share/P_fin⌋ + 1``;
    ``N > N_max`` folds into ``max(1, ⌊N/N_max⌋)`` fingers of ``N_max`` fins; a finger's
    diffusion is ``(min(N, N_max) − 1)·P_fin + W_fin`` tall. Valid at FinFET nodes (< 22 nm);
    at planar nodes the values are meaningless (finite) and unused.

    Args:
      t: technology.
      w_n / w_p: drawn widths, m (≥ 0; not both 0).
      mode: relax mode of the fin counts (static).
      region_height: the height NeuroSim's caller passes as ``heightTransistorRegion``, m
        (default: the standard cell, :func:`cell_height`; NeuroSim's ×(34 // 28) leaves it as is).

    Returns:
      ``(nmos, pmos)`` :class:`FinRegion`.
    """
    f = t.node
    w_n, w_p = as_float(w_n), as_float(w_p)
    pitch = jnp.where(t.finfet, t.fin_pitch, 1.0)
    height = cell_height(t) if region_height is None else as_float(region_height) * FINFET_CELL_HEIGHT_FACTOR
    edge = (POLY_EXTENSION_F + FIELD_POLY_GAP_F / 2.0) * 2.0 * f
    total = w_n + w_p
    ratio_p = jnp.where(total > 0, w_p / jnp.where(total > 0, total, 1.0), 0.0)
    both = (w_n > 0) & (w_p > 0)
    shared = height - PN_GAP_F * f - edge

    def region(w, share):
        avail = jnp.where(both, share * shared, height - edge)
        fins = relax.ceil(w / (2.0 * f) - tech._FIN_COUNT_TOLERANCE, mode)
        fins = jnp.where(w > 0, jnp.maximum(fins, 1.0), 0.0)
        max_fins = jnp.floor(avail / pitch) + 1.0
        folded = fins > max_fins
        folds = jnp.where(folded, jnp.maximum(1.0, relax.floor(fins / max_fins, mode)), 1.0)
        fin_h = (jnp.where(folded, max_fins, fins) - 1.0) * pitch + t.fin_width
        present = jnp.where(w > 0, 1.0, 0.0)
        return FinRegion(fins, max_fins, folds, fin_h * present, present)

    return region(w_n, 1.0 - ratio_p), region(w_p, ratio_p)


def _finfet_input_capacitance(t: tech.Technology, width: ArrayLike, mode: str) -> Array:
    """One transistor's share of a FinFET gate's input capacitance, F: ``CalculateGateCapacitance``
    scales the width by ``P_fin/(2F)`` and ``CalculateGateCap`` again, ``⌈W·P_fin/(2F)²⌉`` fins."""
    scaled = as_float(width) * t.fin_pitch / (2.0 * t.node)
    return tech.gate_capacitance(t, scaled, mode)


def _parity(folds: Array) -> Array:
    """``(n_f + 1) % 2`` of NeuroSim's side-wall counts (1 for an even fold count)."""
    return jnp.mod(jnp.round(folds) + 1.0, 2.0)


def _finfet_output_capacitance(t: tech.Technology, kind: str, k: int, n: FinRegion, p: FinRegion,
                               mode: str) -> Array:
    """Output (drain) capacitance of a FinFET INV/TG, NAND_k or NOR_k, F (``formula.cpp``
    ``CalculateGateCapacitance``, FinFET branch; module docstring)."""
    c_j, c_sw, c_edge = _junction(t)
    s_d = GATE_POLY_SPACING_F[1] * t.node

    def strips(r):
        drain = relax.ceil((r.folds + 1.0) / 2.0, mode) * s_d
        source = relax.floor((r.folds + 1.0) / 2.0, mode) * s_d
        return drain * r.present, source * r.present

    dn, sn = strips(n)
    dp, sp = strips(p)
    if kind in ("inv", "tg"):
        wd_n, wd_p = dn, dp
        # NeuroSim counts the NMOS side walls with the PMOS fold count too.
        sw_n = 2.0 * wd_n + n.height * (1.0 + _parity(p.folds))
        sw_p = 2.0 * wd_p + p.height * (1.0 + _parity(p.folds))
    else:
        unfolded = (n.folds == 1.0) & (p.folds == 1.0)
        shared_half = float((k + 1) // 2)
        odd = float((k + 1) % 2)
        # The parallel stack (NAND: PMOS, NOR: NMOS) and the series stack.
        par, ser = (p, n) if kind == "nand" else (n, p)
        d_par, _ = (dp, sp) if kind == "nand" else (dn, sn)
        d_ser, s_ser = (dn, sn) if kind == "nand" else (dp, sp)
        wd_par = jnp.where(unfolded, d_par * shared_half, d_par * k)
        sw_par = jnp.where(unfolded, 2.0 * wd_par + par.height * (1.0 - odd),
                           2.0 * wd_par + par.height * (1.0 + _parity(par.folds)) * k)
        wd_ser = jnp.where(unfolded, d_ser * k, d_ser * k + (k - 1) * s_ser)
        sw_ser = jnp.where(unfolded, 2.0 * wd_ser + ser.height,
                           2.0 * wd_ser + ser.height * (1.0 + _parity(ser.folds)) * k
                           + ser.height * (1.0 - _parity(ser.folds)) * (k - 1))
        if kind == "nand":
            wd_p, sw_p, wd_n, sw_n = wd_par, sw_par, wd_ser, sw_ser
        else:
            wd_n, sw_n, wd_p, sw_p = wd_par, sw_par, wd_ser, sw_ser
    bottom = c_j * (wd_n * n.height + wd_p * p.height)
    side = c_sw * (sw_n + sw_p)
    channel = c_edge * (n.folds * n.height + p.folds * p.height)
    return bottom + side + channel


def _finfet_width(t: tech.Technology, kind: str, k: int, n: FinRegion, p: FinRegion) -> Array:
    """FinFET cell width, m (``CalculateGateArea``, FinFET branch; module docstring)."""
    pitch, _ = _layout(t)
    unit_n = (n.folds + 1.0) * pitch * n.present
    unit_p = (p.folds + 1.0) * pitch * p.present
    if kind in ("nand", "nor"):
        unfolded = (n.folds == 1.0) & (p.folds == 1.0)
        unit_n = jnp.where(unfolded, unit_n * k - (k - 1) * pitch * n.present, unit_n * k)
        unit_p = jnp.where(unfolded, unit_p * k - (k - 1) * pitch * p.present, unit_p * k)
    return jnp.maximum(unit_n, unit_p)


def _layout(t: tech.Technology) -> tuple[Array, Array]:
    def compute():
        poly = jnp.where(t.finfet, POLY_WIDTH_F[1], POLY_WIDTH_F[0]) * t.node
        spacing = jnp.where(t.finfet, GATE_POLY_SPACING_F[1], GATE_POLY_SPACING_F[0]) * t.node
        return poly + spacing, spacing

    return _cell(t, "layout", compute)


def _junction(t: tech.Technology) -> tuple[Array, Array, Array]:
    return _cell(t, "junction", lambda: tech.junction_capacitance_coefficients(t.vdd))


def fingers(t: tech.Technology, w_n: ArrayLike, w_p: ArrayLike, mode: str = "exact") -> Array:
    """Fingers per transistor: planar ``max(1, ⌈(W_n + W_p)/H_avail⌉)``; FinFET the larger fold
    count of :func:`finfet_layout` (module docstring)."""
    available = cell_height(t) - (PN_GAP_F + 2.0 * POLY_EXTENSION_F) * t.node
    planar = jnp.maximum(1.0, relax.ceil((as_float(w_n) + as_float(w_p)) / available, mode))
    n, p = finfet_layout(t, w_n, w_p, mode)
    return jnp.where(t.finfet, jnp.maximum(n.folds, p.folds), planar)


def drain_capacitance(
    t: tech.Technology, width: ArrayLike, num_fingers: ArrayLike, mode: str = "exact",
    region_height: Optional[ArrayLike] = None,
) -> Array:
    """Drain capacitance of a transistor of drawn width ``W`` in ``n_f`` fingers, F.

    Planar: ``⌈n_f/2⌉·[C_j·(W/n_f)·s_d + C_sw·(W/n_f + 2·s_d)] + C_gate-edge·W`` (module
    docstring). FinFET: NeuroSim's ``CalculateDrainCap`` (``formula.cpp``), one transistor alone
    in a region ``region_height`` tall (default the 28F cell) laid out by :func:`finfet_layout`
    (its own folds; ``num_fingers`` unused).

    Args:
      t: technology.
      width: drawn width W, m.
      num_fingers: fingers ``n_f`` (≥ 1).
      mode: relax mode of ``⌈n_f/2⌉`` (static).
      region_height: FinFET only: the transistor region's height, m (default: the cell's).

    Returns:
      Drain capacitance, F.
    """
    width, num_fingers = as_float(width), as_float(num_fingers)
    c_j, c_sw, c_edge = _junction(t)
    _, s_d = _layout(t)
    finger = width / num_fingers
    strips = jnp.maximum(1.0, relax.ceil(num_fingers / 2.0, mode))
    planar = strips * (c_j * finger * s_d + c_sw * (finger + 2.0 * s_d)) + c_edge * width
    n, p = finfet_layout(t, width, 0.0, mode, region_height)
    return jnp.where(t.finfet, _finfet_output_capacitance(t, "inv", 1, n, p, mode), planar)


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
    available = cell_height(t) - (PN_GAP_F + 2.0 * POLY_EXTENSION_F) * t.node
    n_f = jnp.maximum(1.0, relax.ceil((w_n + w_p) / available, mode))  # planar fingers
    pitch, _ = _layout(t)
    width = (k * n_f + 1.0) * pitch
    height = cell_height(t)

    c_in = tech.gate_capacitance(t, w_n, mode) + tech.gate_capacitance(t, w_p, mode)
    c_d_n = drain_capacitance(t, w_n, n_f, mode)
    c_d_p = drain_capacitance(t, w_p, n_f, mode)
    r_n = tech.on_resistance(t, w_n, "n", mode)
    r_p = tech.on_resistance(t, w_p, "p", mode)
    i_n = tech.leakage_current(t, w_n, mode)
    i_p = tech.leakage_current(t, w_p, mode, "p")
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
    # FinFET nodes: NeuroSim's fin layout (module docstring), in place of the planar rules above.
    fin_n, fin_p = finfet_layout(t, w_n, w_p, mode)
    width = jnp.where(t.finfet, _finfet_width(t, kind, k, fin_n, fin_p), width)
    if kind != "tg":  # a TG's gate load stays CalculateGateCap's, c_in above (module docstring)
        c_in = jnp.where(t.finfet, _finfet_input_capacitance(t, w_n, mode) + _finfet_input_capacitance(t, w_p, mode),
                         c_in)
    c_out = jnp.where(t.finfet, _finfet_output_capacitance(t, kind, k, fin_n, fin_p, mode), c_out)
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
