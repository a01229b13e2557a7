"""Digital logic: ripple-carry adder, adder tree, DFF register (docs/model.md §5.6).

Source: docs/model.md §5.6 (NeuroSim V2.0 ``Adder.cpp``, ``AdderTree.cpp``, ``DFF.cpp`` as summarised
there), on the standard cells of
:mod:`cimjax.hw.components.gates`. Valid for nodes in [7, 130] nm and adders of ≥ 2 bits
(a 1-bit adder is costed with the 2-bit critical path). Each function returns the
:class:`~cimjax.hw.cost.Cost` of one action of all its instances (area, leakage) and is pure,
jittable and vmappable over its (scalar) params.

Choices where docs/model.md §5.6 gives no equation (cimjax's, documented here):

* **Adder latency** (:func:`adder_latency`): NeuroSim's own stage sequence (``Adder.cpp``
  ``CalculateLatency``, the same in V2.0 and V2.1): ``2·numBit + 1`` Horowitz stages that
  alternate the NAND2's pull-down ``2·R_on,n`` and pull-up ``R_on,p``. (Until 2026-12-08 cimjax
  took the critical path of its own 9-NAND2 netlist, ``2·numBit + 4`` stages each at the NAND2's
  worst edge ``max(2·R_on,n, R_on,p)``: 1.10-1.19x NeuroSim's adder latency at 32 nm LSTP, where
  the two edges are equal, and 1.15-1.25x at 14 nm, where a FinFET NAND2's pull-up (1 fin) is
  8 % slower than its pull-down (2 fins); NeuroSim V2.1's accumulation latency at 14 nm was
  1.165x.) The 9-NAND2 netlist's middle-bit delay (:func:`adder_stage_delays`) still times the
  max-pool comparator (``misc.py``).
* **DFF** = transmission-gate master–slave flip-flop (4 TG, 4 latch INV, 1 clock INV, all
  minimum size); area 12 minimum INVs (docs/model.md's register-file figure). Per clocked operation
  every DFF charges its clock nodes, ``(4·(C_in,INV + C_out,INV) + 2·(C_g,TGn + C_g,TGp))·V_dd²``
  (NeuroSim V2.0 ``DFF.cpp`` and the DFF ``Buffer.cpp``: clock INVs ×4, clock TG gates ×2);
  each *active* DFF (``activity``) charges two latch nodes,
  ``2·(C_in,INV + C_out,INV + 2·C_d,TG)·V_dd²``.
  Leakage: 8 minimum INVs (NeuroSim ``DFF.cpp``'s rule; the TGs' supply-less paths and the
  clock INV's share folded in).

NeuroSim layout rules reproduced (``Adder.cpp``, ``AdderTree.cpp``, ``DFF.cpp``
``CalculateArea``): a block given one side of its bounding box fills rows (or columns) of that
side with identical cells and its area is the bounding box, ``side × rows × cell depth``, not
the sum of the gates (:func:`row_layout_area`). An adder tree is laid out as ``numAdderTree``
cells, each one "adder" of all the tree's adder bits (9 NAND2 wide, ``bits per tree`` NAND2
tall); a DFF bank as ``numDff`` cells of 12 minimum INVs in a row.
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple, Union

import jax
import jax.numpy as jnp
import numpy as np

from cimjax.hw import tech
from cimjax.hw.components import gates
from cimjax.hw.components.params import CircuitParams, ComponentConfig, as_float, circuit_technology
from cimjax.hw.cost import Cost
from cimjax.hw.tech import Technology

Array = jax.Array
ArrayLike = Union[jax.Array, float, int]

#: NAND2 per adder bit (docs/model.md §5.6).
NAND2_PER_ADDER_BIT = 9
#: Register-file / DFF area per bit in minimum inverters (docs/model.md §5.6).
DFF_AREA_INV = 12
#: DFF leakage in minimum inverters (NeuroSim V2.0 ``DFF.cpp``).
DFF_LEAKAGE_INV = 8.0


class AdderParams(NamedTuple):
    """Ripple-carry adders (traced).

    Attributes:
      circuit: :class:`~cimjax.hw.components.params.CircuitParams`.
      num_bits: bits per adder (``numBit``, ≥ 2).
      num_adders: adders working in parallel (``numAdder``).
    """

    circuit: CircuitParams = CircuitParams()
    num_bits: ArrayLike = 8.0
    num_adders: ArrayLike = 1.0


def adder_stage_delays(nand2: gates.Gate) -> tuple[Array, Array, Array]:
    """Critical-path delays of the 9-NAND2 ripple-carry adder (module docstring), s.

    Args:
      nand2: the NAND2 :class:`~cimjax.hw.components.gates.Gate`.

    Returns:
      ``(first bit A→C_out, one middle bit C→C_out, last bit C→S)``.
    """
    r = nand2.r_drive

    def load(fan_out: float) -> Array:
        return nand2.c_out + fan_out * nand2.c_in

    t_first, ramp = gates.horowitz_chain([(r, load(f)) for f in (3, 1, 2, 3, 2)])
    t_mid, ramp = gates.horowitz_chain([(r, load(3)), (r, load(2))], ramp)
    t_last, _ = gates.horowitz_chain([(r, load(f)) for f in (3, 1, 1)], ramp)
    return t_first, t_mid, t_last


def adder_latency(t: Technology, nand2: gates.Gate, num_bits: ArrayLike) -> Array:
    """Latency of one ``num_bits`` ripple-carry add, s (module docstring, "Adder latency").

    NeuroSim V2.0/V2.1 ``Adder.cpp`` ``CalculateLatency`` (its calibration pattern A = 1…1,
    B = 10…0, C_in = 1): Horowitz stages alternating a NAND2 pull-down ``2·R_on,n(W_n)`` and
    pull-up ``R_on,p(W_p)``, loads ``C_out + fan-out·C_in``: two stages (fan-outs 3, 2), then
    ``numBit − 2`` times the pair (3, 2) (evaluated once, on the ramp of the first pair), then
    pull-down (3), pull-up (1) and a pull-down into the sum's load (here one NAND2 input, the
    next adder's): ``2·numBit + 1`` stages. Valid for ``num_bits ≥ 2`` (1 is costed as 2).
    """
    r_down = 2.0 * tech.on_resistance(t, nand2.w_n, "n")
    r_up = tech.on_resistance(t, nand2.w_p, "p")
    c_in, c_out = nand2.c_in, nand2.c_out
    t_first, ramp = gates.horowitz_chain([(r_down, c_out + 3.0 * c_in), (r_up, c_out + 2.0 * c_in)])
    t_mid, ramp = gates.horowitz_chain([(r_down, c_out + 3.0 * c_in), (r_up, c_out + 2.0 * c_in)], ramp)
    t_last, _ = gates.horowitz_chain(
        [(r_down, c_out + 3.0 * c_in), (r_up, c_out + c_in), (r_down, c_out + c_in)], ramp)
    return t_first + jnp.maximum(as_float(num_bits) - 2.0, 0.0) * t_mid + t_last


def adder_cost(t: Technology, nand2: gates.Gate, num_bits: Array, num_adders: Array) -> Cost:
    """Cost of ``num_adders`` ripple-carry adders of ``num_bits`` (broadcasting arrays)."""
    latency = adder_latency(t, nand2, num_bits)
    c_in, c_out = nand2.c_in, nand2.c_out
    # Counted 0→1 transitions on the calibrated critical path, then the hidden transitions
    # (internal nodes that toggle on the way): first bit 7C_in + 5C_out, later bits 6C_in + 4C_out.
    first = (6 * c_in + 2 * c_out) + (7 * c_in + 5 * c_out)
    later = (7 * c_in + 3 * c_out) + (6 * c_in + 4 * c_out)
    energy_one = (first + (num_bits - 1.0) * later) * t.vdd**2
    gates_total = NAND2_PER_ADDER_BIT * num_bits * num_adders
    return Cost(
        area=gates_total * nand2.area,
        energy=energy_one * num_adders,
        latency=latency + jnp.zeros_like(energy_one),
        leakage=gates_total * nand2.leakage,
    )


def adder(params: AdderParams, config: ComponentConfig = ComponentConfig()) -> Cost:
    """Ripple-carry adders, one addition each (docs/model.md §5.6 "Adder").

    Area ``9·numBit·numAdder`` NAND2; energy per add
    ``[(6C_in + 2C_out) + (numBit − 1)(7C_in + 3C_out)]·V_dd²`` per adder for the counted
    critical-path transitions plus the hidden (internal) transitions
    ``[(7C_in + 5C_out) + (numBit − 1)(6C_in + 4C_out)]·V_dd²`` (NeuroSim V2.0 ``Adder.cpp``
    counts both; NAND2 input/output capacitances); latency the critical-path Horowitz chain (module docstring); leakage
    ``9·numBit·numAdder`` NAND2 leakages.

    Args:
      params: :class:`AdderParams` (scalars).
      config: :class:`~cimjax.hw.components.params.ComponentConfig` (static).

    Returns:
      The :class:`~cimjax.hw.cost.Cost` of one add on all adders.
    """
    t = circuit_technology(params.circuit, config)
    nand2 = gates.gate(t, "nand", 2, mode=config.mode)
    return adder_cost(t, nand2, as_float(params.num_bits), as_float(params.num_adders))


class AdderTreeParams(NamedTuple):
    """Adder trees (traced).

    Attributes:
      circuit: :class:`~cimjax.hw.components.params.CircuitParams`.
      num_inputs: inputs ``N`` summed by one tree (≥ 1; 1 means no adder).
      num_bits: bits of each input (``numAdderBit``).
      num_trees: trees working in parallel (``numAdderTree``).
      layout_width: width given to the trees' layout, m (NeuroSim ``CalculateArea(NULL,
        width)``); the area is then the bounding box of rows of tree cells (module
        docstring). 0 = no layout: the area is the sum of the NAND2 areas.
    """

    circuit: CircuitParams = CircuitParams()
    num_inputs: ArrayLike = 4.0
    num_bits: ArrayLike = 8.0
    num_trees: ArrayLike = 1.0
    layout_width: ArrayLike = 0.0


@jax.tree_util.register_static
@dataclasses.dataclass(frozen=True, kw_only=True)
class AdderTreeConfig(ComponentConfig):
    """Static options of :func:`adder_tree`.

    Attributes:
      max_stages: stages evaluated (static bound on ``⌈log2 N⌉``; 24 covers 16 M inputs).

    ``version.adder_tree_floor_halving`` (True, as released): stage ``k`` has ``⌊N/2^(k+1)⌋``
    adders: ``AdderTree.cpp`` halves the integer input count with ``ceil(j/2)`` on an ``int j``,
    i.e. a floor, so an odd input is dropped (9 inputs: 4, 2, 1, 0 adders in 4 stages); False
    = ``⌈N/2^(k+1)⌉`` (every input added: 5, 3, 2, 1). Same for powers of two.
    """

    max_stages: int = 24

    def __post_init__(self):
        super().__post_init__()
        self._check_int("max_stages", 1, 64)


def row_layout_area(cell_along: ArrayLike, cell_across: ArrayLike, count: ArrayLike, side: ArrayLike,
                    config: ComponentConfig = ComponentConfig()) -> Array:
    """Bounding-box area of ``count`` identical cells laid out along a given ``side`` (m²).

    NeuroSim's ``CalculateArea(newHeight, newWidth)`` rule (``Adder.cpp``, ``DFF.cpp``): as many
    cells per row as fit, ``n = min(⌊side/cell_along⌋, count)`` (at least 1), ``⌈count/n⌉``
    rows, area ``side · rows · cell_across``. ``cell_along`` is the cell's extent along
    ``side`` (its width for a given width), ``cell_across`` the other extent.
    """
    count = as_float(count)
    per_row = jnp.clip(config.floor(as_float(side) / as_float(cell_along)), 1.0, jnp.maximum(count, 1.0))
    return as_float(side) * config.ceil(count / per_row) * as_float(cell_across)


def adder_tree(params: AdderTreeParams, config: AdderTreeConfig = AdderTreeConfig()) -> Cost:
    """Adder trees, one reduction of ``N`` inputs each (docs/model.md §5.6 "Adder tree").

    ``S = ⌈log2 N⌉`` stages; stage ``k = 0 … S−1`` has ``⌊N/2^(k+1)⌋`` adders as released
    (``⌈N/2^(k+1)⌉`` with ``version.adder_tree_floor_halving=False``, docs/model.md's ``⌈j/2⌉``; see
    :class:`AdderTreeConfig`) of ``numAdderBit + k`` bits. Area, energy and leakage are summed
    over the stages, and so is latency (the stages are in series). Stages ``k ≥ max_stages``
    are dropped. In the relaxed mode stage ``k`` is weighted by ``clip(S − k, 0, 1)`` with the
    relaxed ``S``. With ``layout_width > 0`` the area is NeuroSim's layout: each tree is one
    cell ``9·w_NAND2`` wide and ``Σ_k adders_k·(numAdderBit + k)·h_NAND2`` tall, the
    ``numAdderTree`` cells in rows across ``layout_width`` (:func:`row_layout_area`).

    Args:
      params: :class:`AdderTreeParams` (scalars).
      config: :class:`AdderTreeConfig` (static).

    Returns:
      The :class:`~cimjax.hw.cost.Cost` of one reduction on all trees.
    """
    t = circuit_technology(params.circuit, config)
    nand2 = gates.gate(t, "nand", 2, mode=config.mode)
    n = as_float(params.num_inputs)
    stages = jnp.maximum(config.log2ceil(n), 0.0)
    k = jnp.arange(config.max_stages, dtype=n.dtype)
    weight = jnp.clip(stages - k, 0.0, 1.0)
    # Powers of two from numpy: exact (jnp.exp2 is not exact at integers in float64 on CPU).
    pow2 = jnp.asarray(2.0 ** np.arange(1, config.max_stages + 1), n.dtype)
    per_tree = config.floor(n / pow2) if config.version.adder_tree_floor_halving else config.ceil(n / pow2)
    trees = as_float(params.num_trees)
    bits = as_float(params.num_bits) + k
    stage = adder_cost(t, nand2, bits, per_tree * trees)
    cost = Cost(*(jnp.sum(weight * field) for field in stage))
    width = as_float(params.layout_width)
    tree_bits = jnp.sum(weight * per_tree * bits)  # adder bits of one tree
    laid_out = row_layout_area(NAND2_PER_ADDER_BIT * nand2.width, tree_bits * nand2.height, trees,
                               jnp.where(width > 0, width, 1.0), config)
    return cost._replace(area=jnp.where(width > 0, laid_out, cost.area))


class DffParams(NamedTuple):
    """A bank of D flip-flops clocked together (traced).

    Attributes:
      circuit: :class:`~cimjax.hw.components.params.CircuitParams`.
      num_dff: flip-flops clocked per operation.
      activity: fraction of them whose data changes (the "active" ones), in [0, 1].
      layout_height / layout_width: the side given to the bank's layout, m (NeuroSim
        ``DFF::CalculateArea(newHeight, newWidth)``): the DFFs (12 minimum INVs in a row each)
        fill columns of that height, or rows of that width, and the area is the bounding box
        (:func:`row_layout_area`). Both 0 = no layout: ``num_dff`` DFF areas. The height wins
        when both are given.
    """

    circuit: CircuitParams = CircuitParams()
    num_dff: ArrayLike = 8.0
    activity: ArrayLike = 1.0
    layout_height: ArrayLike = 0.0
    layout_width: ArrayLike = 0.0


class DffUnit(NamedTuple):
    """Per-flip-flop figures: area (m²), leakage (W), clock and data energies (J)."""

    area: Array
    leakage: Array
    clock_energy: Array
    data_energy: Array


def dff_unit(t: Technology, mode: str = "exact") -> DffUnit:
    """Area, leakage and switching energies of one minimum DFF (module docstring).

    Args:
      t: technology.
      mode: relax mode of the finger counts (static).

    Returns:
      The :class:`DffUnit`.
    """
    inv = gates.gate(t, "inv", mode=mode)
    tg = gates.gate(t, "tg", mode=mode)
    v2 = t.vdd**2
    return DffUnit(
        area=DFF_AREA_INV * inv.area,
        leakage=DFF_LEAKAGE_INV * inv.leakage,
        clock_energy=(4.0 * (inv.c_in + inv.c_out) + 2.0 * tg.c_in) * v2,
        data_energy=2.0 * (inv.c_in + inv.c_out + 2.0 * tg.c_out) * v2,
    )


def dff_bank(unit: DffUnit, clock_hz: ArrayLike, num_dff: ArrayLike, activity: ArrayLike) -> Cost:
    """Cost of ``num_dff`` DFFs of figures ``unit`` in one clocked operation (half a cycle).

    Args:
      unit: per-DFF figures (:func:`dff_unit`).
      clock_hz: clock frequency, Hz.
      num_dff: flip-flops clocked.
      activity: fraction of them whose data changes.

    Returns:
      The :class:`~cimjax.hw.cost.Cost`.
    """
    num_dff = as_float(num_dff)
    return Cost(
        area=num_dff * unit.area,
        energy=num_dff * (unit.clock_energy + as_float(activity) * unit.data_energy),
        latency=0.5 / as_float(clock_hz) + jnp.zeros_like(unit.area),
        leakage=num_dff * unit.leakage,
    )


def dff(params: DffParams, config: ComponentConfig = ComponentConfig()) -> Cost:
    """A DFF register, one clocked operation (docs/model.md §5.6 "DFF").

    Latency: half a clock cycle. Energy: clock switching for all DFFs plus data-path
    switching for the active ones (module docstring). Area 12 minimum INVs per DFF.

    Args:
      params: :class:`DffParams` (scalars).
      config: :class:`~cimjax.hw.components.params.ComponentConfig` (static).

    Returns:
      The :class:`~cimjax.hw.cost.Cost` of one operation of the register.
    """
    t = circuit_technology(params.circuit, config)
    num = as_float(params.num_dff)
    bank = dff_bank(dff_unit(t, config.mode), as_float(params.circuit.clock_hz), num, params.activity)
    inv = gates.gate(t, "inv", mode=config.mode)
    h_dff, w_dff = inv.height, DFF_AREA_INV * inv.width
    hgt, wid = as_float(params.layout_height), as_float(params.layout_width)
    by_h = row_layout_area(h_dff, w_dff, num, jnp.where(hgt > 0, hgt, 1.0), config)
    by_w = row_layout_area(w_dff, h_dff, num, jnp.where(wid > 0, wid, 1.0), config)
    area = jnp.where(hgt > 0, by_h, jnp.where(wid > 0, by_w, bank.area))
    return bank._replace(area=area)
