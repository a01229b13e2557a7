"""H-tree: the chip's and a tile's tree of repeated wires over a grid of units (docs/model.md §5.6).

Source: docs/model.md §5.6 (NeuroSim V2.0 ``HTree.cpp`` as summarised there, read for its formulas), on the
repeated wires of :mod:`cimjax.hw.components.routing`. Valid as there. :func:`htree` returns the
:class:`~cimjax.hw.cost.Cost` of one root-to-leaf transfer of ``bus_width`` bits (latency,
energy) with the area and leakage of the whole tree.

**Geometry** (energy, leakage, per-stage latency). ``D = max(rows·unit height,
  cols·unit width)``; stage ``i = 0 … 2S`` (``S = ⌈log2 max(rows, cols)⌉``) is ``D/2^(i+1)``
  long and has ``2^i`` segments; the main bus from the edge is ``D/2``. A transfer travels the
  main bus and one segment per stage; leakage and area count every segment.

H-tree area (``HTreeConfig.area_rule``):

* ``"neurosim"`` (default): the routing channel of ``HTree::CalculateArea`` (NeuroSim V2.0
  ``HTree.cpp``, read for its formula). With ``S = ⌈log2 max(rows, cols)⌉``, ``V₀ = h·2^S/2``,
  ``H₀ = w·2^S/2`` (``h``, ``w`` the unit height and width) and the repeater INV's cell width
  ``w_inv`` and height ``h_inv`` (the repeater of the unwidened wire, sized at least minimum):
  stage ``i = 1 … S−1`` adds a vertical channel ``i·B·w_inv/f`` wide and ``V₀/2^(i+1)`` long
  and a horizontal one ``i·B·h_inv/f`` wide and ``H₀/2^(i+1)`` long (the channel widens by one
  bus of repeaters per stage); the main bus adds ``B·h_inv/f`` × ``min(cols − x_c, x_c)·w``,
  ``x_c = ⌊log2 min(rows, cols)⌋`` (less 1 if that leaves no column). ``B`` is the bus width
  and ``f`` the folding ratio (``treeFoldedRatio`` = 4 for the chip tree; 16 for tile
  trees). The repeaters sit inside the channel, so their own area is not added.
* ``"repeaters"``: the repeaters' area only (plus ``wire_pitch_factor``), cimjax's earlier rule.

H-tree quirks (docs/model.md §5.6, §8), behind ``version.htree_wire_sizing_quirk``:

* ``True`` (as released): wire width ×4 above 10⁵F and ×2 for every shorter stage (the
  chained comparison), resistivity always the (AR 2.30, ρ 2.73e−8 Ω·m) class.
* ``False`` (fixed): ×4 above 10⁵F, ×2 above 10⁴F, ×1 otherwise; ``ρ``/AR from the §5.3
  table at the widened width (clipped to [14, 200] nm).

H-tree latency (``HTreeConfig.latency_rule``):

* ``"neurosim"`` (default): ``HTree::CalculateLatency`` as NeuroSim V2.0 evaluates it (facts
  from running its code on the default VGG-8 chip). The repeater is designed **once per
  tree**, in ``Initialize``, on the unwidened wire (``wire_width_nm``, 1.33e7 Ω/m at 40 nm):
  :func:`repeated_wire` with the tolerance search (32 nm: size 34, spacing 141 µm). Every
  piece of the root-to-leaf path uses that repeater, with the piece's own (widened) wire
  resistance in the wire terms of the delay per length. The path is NeuroSim's: stage
  ``i = 0 … S−1`` is ``h·2^S/2^(i+1)`` vertical plus ``w·2^S/2^(i+1)`` horizontal, and the
  main bus ``min(cols − x_c, x_c)·w`` (as the channel area). NeuroSim's code reads the stage
  resistance before assigning it (undefined behaviour: the first stage gets a register's
  leftover, ≈ 0, later stages the previous stage's value); cimjax uses each piece's own, as
  docs/model.md §8 advises, which measures +2 % (chip tree) to +6.5 % (2×2 tile tree) slower than
  NeuroSim's binary. Latency then grows linearly with distance: the repeaters are sized
  for a thin wire and the delay is dominated by their RC.
* ``"per_stage"``: cimjax's earlier rule: every stage of the ``D``-geometry above with its own
  optimal repeater for its widened wire (delay ∝ √r: 3–5× faster than NeuroSim's), main bus
  ``D/2``.

Energy: with ``latency_rule="neurosim"`` (the default), ``HTree::CalculatePower``'s root-leaf
transfer (:func:`_neurosim_energy`; the same in the March 2020 code): the path ``(h + w)·Σ_{i<S}
2^S/2^(i+2)`` (half the latency's stages) plus the main bus ``min(cols − x_c, x_c)·w``, at
``0.25·(C_in + C_out + c_w·d)·V_dd²/d`` per metre with the tree's one repeater. Probed on
NeuroSim V2.0's default run (instrumented outside this repository, 2026-12-08): the CM tile
tree (2×2 PEs), the NM tile tree (3×3) and the chip tree of every VGG-8 layer within 0.4 % per
transfer. Until then cimjax charged the ``D``-geometry path below (main bus ``D/2`` plus the
``2S + 1`` stages from ``D/2``): 1.375× on the 2×2 tile tree, 1.10× on the 3×3 one.
Leakage, the ``"repeaters"`` area and the ``"per_stage"`` rule's energy use the per-stage
repeaters and the ``D``-geometry.

H-tree of NeuroSim's March 2020 code (``version.htree_floor_stages``; the first
public release, neurosim/DNN_NeuroSim_V2.0 commit bf95f9c, ``HTree.cpp``, read for its formulas;
valid for the root-to-leaf transfers the estimator makes):

* **Stages** ``S = ⌊log2 max(rows, cols)⌋`` (``Initialize``; ``⌈·⌉`` from 2020 on): a 3×3 grid
  has one stage, not two.
* **Repeater**: the one design of ``Initialize`` (as above), *not* clamped to a minimum INV
  (the clamp came later); latency, energy and area all use it.
* **Latency** (``CalculateLatency``): stage ``i = 0 … S−1`` is ``h·2^S/2^(i+1)`` vertical plus
  ``w·2^S/2^(i+1)`` horizontal, each ``length·u_i`` with ``u_i = 0.7·[R_rep(C_in + C_out +
  c_w·d) + 0.5·r_i·c_w·d² + r_i·d·C_in]/d``; the main bus ``min(cols − x_c, x_c)·w`` uses the
  last stage's ``u``. ``r_i`` is ``GetUnitLengthRes(i)``: by stage *index*, ``w_i = 4·wireWidth``
  for ``i ≤ 2`` and ``2·wireWidth`` after (a chained comparison), (AR, ρ) = (2.10, 2.42e−8)
  for ``w_i ≥ 200`` nm, else (2.30, 2.73e−8); no temperature term. In this version the stage
  resistance is assigned before it is read (the later code reads it first).
* **Energy** per bit (``CalculatePower``, the same in both versions): the path is half the
  latency's, stage ``i`` ``(h + w)·2^S/2^(i+2)``, plus the main bus, at
  ``0.25·(C_in + C_out + c_w·d)·V_dd²/d`` per metre.
* **Area**: the routing channel above with this ``S`` and repeater.
"""

from __future__ import annotations

import dataclasses
import math
from typing import NamedTuple, Union

import jax
import jax.numpy as jnp
import numpy as np

from cimjax.hw import wiring
from cimjax.hw.components.params import CircuitParams, as_float, circuit_technology
from cimjax.hw.components.routing import (HTREE_QUIRK_WIRE_CLASS, WIRE_ACTIVITY, BusConfig, delay_per_length,
                                          repeated_wire, repeater, wire_cost, wire_resistance)
from cimjax.hw.cost import Cost

Array = jax.Array
ArrayLike = Union[jax.Array, float, int]

HTREE_WIDE_F, HTREE_MEDIUM_F = 1e5, 1e4  #: H-tree wire widening thresholds, F (§5.6).
HTREE_AREA_RULES = ("neurosim", "repeaters")
HTREE_LATENCY_RULES = ("neurosim", "per_stage")
#: March 2020 ``GetUnitLengthRes``: stages ``i ≤ 2`` use ×4 wires, later ones ×2 (by stage index).
MARCH2020_WIDE_STAGES = 2
#: March 2020 ``GetUnitLengthRes``: (AR, ρ) of a widened wire ≥ 200 nm; narrower ones get
#: :data:`HTREE_QUIRK_WIRE_CLASS` (its chained comparison is always true).
MARCH2020_WIDE_WIRE_CLASS = (2.10, 2.42e-8)


class HTreeParams(NamedTuple):
    """An H-tree over a grid of units (tiles or PEs) (traced): ``unit_height``/``unit_width``
    (m; example defaults, set by the floorplan), ``bus_width`` (bits per transfer),
    ``delay_tolerance`` (``globalBusDelayTolerance`` = 0.1), ``wire_pitch_factor`` (routing
    area per bit as a multiple of the wire width; 0 = none; ``area_rule="repeaters"`` only),
    ``folded_ratio`` (channel folding of ``area_rule="neurosim"``: 4 for the chip, 16 for a
    tile)."""

    circuit: CircuitParams = CircuitParams()
    unit_height: ArrayLike = 100e-6
    unit_width: ArrayLike = 100e-6
    bus_width: ArrayLike = 64.0
    delay_tolerance: ArrayLike = 0.1
    wire_pitch_factor: ArrayLike = 0.0
    folded_ratio: ArrayLike = 4.0


@jax.tree_util.register_static
@dataclasses.dataclass(frozen=True, kw_only=True)
class HTreeConfig(BusConfig):
    """Static structure of :func:`htree`: the unit grid ``num_rows``/``num_cols`` (ints in
    [1, 2^16]), ``area_rule``
    (``"neurosim"`` routing channel or ``"repeaters"``), ``latency_rule`` (``"neurosim"``: one
    repeater design per tree, or ``"per_stage"``; module docstring) and ``num_candidates``
    (as :class:`BusConfig`). ``version`` flags read: ``htree_wire_sizing_quirk`` and
    ``htree_floor_stages`` (the March 2020 H-tree of the module docstring, which then sets
    latency, energy and area whatever the two rules say)."""

    num_rows: int = 4
    num_cols: int = 4
    area_rule: str = "neurosim"
    latency_rule: str = "neurosim"

    def __post_init__(self):
        super().__post_init__()
        self._check_int("num_rows", 1, 2**16)
        self._check_int("num_cols", 1, 2**16)
        if self.area_rule not in HTREE_AREA_RULES:
            raise ValueError(f"area_rule = {self.area_rule!r}: expected one of {HTREE_AREA_RULES}")
        if self.latency_rule not in HTREE_LATENCY_RULES:
            raise ValueError(f"latency_rule = {self.latency_rule!r}: expected one of {HTREE_LATENCY_RULES}")


def htree(params: HTreeParams, config: HTreeConfig = HTreeConfig()) -> Cost:
    """An H-tree (chip or tile), one transfer of ``bus_width`` bits (docs/model.md §5.6 "H-tree").

    ``2·⌈log2 max(rows, cols)⌉ + 1`` stages halving in length plus the main bus; repeated
    wires per stage (widths and quirks in the module docstring). Latency and energy of one
    root-to-leaf transfer; leakage and area of the repeaters of the whole tree.

    Args:
      params: :class:`HTreeParams` (scalars).
      config: :class:`HTreeConfig` (static).

    Returns:
      The :class:`~cimjax.hw.cost.Cost` of one transfer cycle.
    """
    if config.version.htree_floor_stages:
        return _march2020_htree(params, config)
    c = params.circuit
    t = circuit_technology(c, config)
    levels = math.ceil(math.log2(max(config.num_rows, config.num_cols)))
    counts = jnp.asarray(np.concatenate([[1.0], 2.0 ** np.arange(2 * levels + 1)]), t.node.dtype)
    height, width = as_float(params.unit_height), as_float(params.unit_width)
    span = jnp.maximum(config.num_rows * height, config.num_cols * width)
    lengths = 0.5 * span / counts  # main bus (D/2), then stage i: D/2^(i+1) in 2^i segments
    width_nm = _stage_width_nm(c, config, lengths / t.node)
    r_w = wire_resistance(width_nm, c.temperature_k, config.version.htree_wire_sizing_quirk)
    wire = repeated_wire(t, r_w, c.wire_capacitance, params.delay_tolerance, config, config.num_candidates)
    routing = as_float(params.wire_pitch_factor) * width_nm * 1e-9
    cost = wire_cost(wire, lengths, lengths * counts, as_float(params.bus_width), routing)
    if "neurosim" in (config.area_rule, config.latency_rule):
        # HTree::Initialize's one repeater design on the unwidened wire (area and latency share it).
        r_base = wiring.wire_resistance_per_length(c.wire_width_nm, c.temperature_k)
        design = repeated_wire(t, r_base, c.wire_capacitance, params.delay_tolerance, config, config.num_candidates)
        rep, r_rep = repeater(t, jnp.maximum(1.0, design.size), config.mode)
        if config.area_rule == "neurosim":
            cost = cost._replace(area=_channel_area(params, config, rep, height, width, levels))
        if config.latency_rule == "neurosim":
            cost = cost._replace(latency=_neurosim_latency(params, config, t, rep, r_rep, design.spacing,
                                                           height, width, levels),
                                 energy=_neurosim_energy(params, config, t, rep, design.spacing, height, width,
                                                         levels))
    return cost


def _march2020_stage_resistance(c: CircuitParams, stage: int) -> Array:
    """``GetUnitLengthRes(stage)`` of the March 2020 code (module docstring), Ω/m."""
    width_nm = (4.0 if stage <= MARCH2020_WIDE_STAGES else 2.0) * as_float(c.wire_width_nm)
    aspect_ratio = jnp.where(width_nm >= 200.0, MARCH2020_WIDE_WIRE_CLASS[0], HTREE_QUIRK_WIRE_CLASS[0])
    rho = jnp.where(width_nm >= 200.0, MARCH2020_WIDE_WIRE_CLASS[1], HTREE_QUIRK_WIRE_CLASS[1])
    w = width_nm * 1e-9
    return rho / (w * w * aspect_ratio)


def _march2020_htree(params: HTreeParams, config: HTreeConfig) -> Cost:
    """One root-to-leaf transfer of ``bus_width`` bits by the March 2020 ``HTree.cpp``
    (bf95f9c; module docstring): latency, energy and channel area of the tree's one repeater
    design; leakage ``INV leakage/d`` per metre of the channel's wire, not × the bus width
    (``CalculatePower``; the roll-up does not use it)."""
    c = params.circuit
    t = circuit_technology(c, config)
    levels = math.floor(math.log2(max(config.num_rows, config.num_cols)))
    height, width = as_float(params.unit_height), as_float(params.unit_width)
    r_base = wiring.wire_resistance_per_length(c.wire_width_nm, c.temperature_k)
    design = repeated_wire(t, r_base, c.wire_capacitance, params.delay_tolerance, config, config.num_candidates)
    rep, r_rep = repeater(t, design.size, config.mode)  # not clamped to a minimum INV in this version
    d, c_w = design.spacing, as_float(c.wire_capacitance)
    main = _main_bus_units(config) * width
    latency = jnp.zeros_like(r_rep * height)
    u = delay_per_length(rep, r_rep, _march2020_stage_resistance(c, 0), c_w, d)
    for i in range(levels):
        u = delay_per_length(rep, r_rep, _march2020_stage_resistance(c, i), c_w, d)
        latency = latency + (height + width) * (2.0**levels / 2.0 ** (i + 1)) * u
    latency = latency + main * u
    wire = (height + width) * sum(2.0**levels / 2.0 ** (i + 1) for i in range(1, levels)) + main
    return Cost(
        area=_channel_area(params, config, rep, height, width, levels),
        energy=_neurosim_energy(params, config, t, rep, d, height, width, levels),
        latency=latency,
        leakage=wire * rep.leakage / d,
    )


def _neurosim_energy(params: HTreeParams, config: HTreeConfig, t, rep, spacing, height, width, levels: int) -> Array:
    """One root-to-leaf transfer of ``bus_width`` bits by ``HTree::CalculatePower`` (the same in
    the March 2020 and later codes; module docstring, "Energy"), J: the path ``(h + w)·Σ_{i<S}
    2^S/2^(i+2)`` plus the main bus ``min(cols − x_c, x_c)·w`` at ``0.25·(C_in + C_out + c_w·d)·
    V_dd²/d`` per metre, with the tree's one repeater ``rep`` every ``spacing`` = ``d`` m."""
    c_w = as_float(params.circuit.wire_capacitance)
    energy_pl = WIRE_ACTIVITY * (rep.c_in + rep.c_out + c_w * spacing) * t.vdd**2 / spacing
    path = (height + width) * sum(2.0**levels / 2.0 ** (i + 2) for i in range(levels)) + _main_bus_units(config) * width
    return as_float(params.bus_width) * path * energy_pl


def _stage_width_nm(c: CircuitParams, config: HTreeConfig, length_f: Array) -> Array:
    """The widened wire of an H-tree stage of ``length_f`` F (module docstring), nm."""
    if config.version.htree_wire_sizing_quirk:
        multiplier = jnp.where(length_f > HTREE_WIDE_F, 4.0, 2.0)
    else:
        multiplier = jnp.where(length_f > HTREE_WIDE_F, 4.0, jnp.where(length_f > HTREE_MEDIUM_F, 2.0, 1.0))
    return multiplier * as_float(c.wire_width_nm)


def _main_bus_units(config: HTreeConfig) -> int:
    """Units of NeuroSim's main bus: ``min(cols − x_c, x_c)``, ``x_c = ⌊log2 min(rows, cols)⌋``
    (less 1 if that leaves no column)."""
    x_c = math.floor(math.log2(min(config.num_rows, config.num_cols)))
    if config.num_cols - x_c < 1:
        x_c -= 1
    return min(config.num_cols - x_c, x_c)


def _neurosim_latency(params: HTreeParams, config: HTreeConfig, t, rep, r_rep, spacing, height, width,
                      levels: int) -> Array:
    """One root-to-leaf transfer by ``HTree::CalculateLatency`` (``latency_rule="neurosim"``) with
    the tree's repeater ``rep`` (drive ``r_rep``) every ``spacing`` m, s."""
    c = params.circuit
    c_w = as_float(c.wire_capacitance)
    scale = jnp.asarray(2.0**levels / 2.0 ** (np.arange(levels) + 1.0), t.node.dtype)  # stage i: 2^S/2^(i+1)
    vertical, horizontal = height * scale, width * scale
    main = _main_bus_units(config) * width

    def stage(length):
        r_w = wire_resistance(_stage_width_nm(c, config, length / t.node), c.temperature_k,
                               config.version.htree_wire_sizing_quirk)
        return length * delay_per_length(rep, r_rep, r_w, c_w, spacing)

    return jnp.sum(stage(vertical) + stage(horizontal)) + stage(main)


def _channel_area(params: HTreeParams, config: HTreeConfig, inv, height, width, levels: int) -> Array:
    """The H-tree's routing-channel area with repeater INV ``inv`` (``area_rule="neurosim"``,
    module docstring), m²."""
    lane = as_float(params.bus_width) / as_float(params.folded_ratio)  # bits side by side, folded
    v0, h0 = height * 2.0**levels / 2.0, width * 2.0**levels / 2.0
    area = jnp.zeros_like(lane * inv.width * height)
    for i in range(1, levels):  # stage i: channel i lanes of repeaters wide, half its length counted
        area = area + i * lane * inv.width * (v0 / 2.0**i) / 2.0 + i * lane * inv.height * (h0 / 2.0**i) / 2.0
    return area + lane * inv.height * _main_bus_units(config) * width
