"""Routing: transmission-gate mux, row/mux decoder, repeated wires, H-tree and bus (spec §5.6).

Source: spec §5.6 (NeuroSim V2.0 ``Mux.cpp``, ``RowDecoder.cpp``, ``HTree.cpp``, ``Bus.cpp``
as summarised there; repeater insertion after Weste & Harris), §5.3 (wire table), §5.4
(``LINEAR_REGION_RATIO``), on :mod:`cimjax.hw.components.gates`. Valid for nodes in
[7, 130] nm and wire widths whose table class lies in [14, 200] nm. Functions return the
:class:`~cimjax.hw.cost.Cost` of one action (one selection, one decode, one bus transfer
of ``bus_width`` bits) with area and leakage.

Choices where spec §5.6 is silent (cimjax's):

* **Mux.** TG ``W_n = max(F·R_min·0.2/resTg, 2F)``, ``W_p = pnSizeRatio·W_n`` (``R_min`` = R_on
  of a 1F NMOS: §5.4's access-transistor rule, clamped at 2F); TG resistance ``R_min·0.2·F/W_n``;
  the output node carries the load and the drains of all inputs' TGs. *Placeholder*: default
  ``res_tg`` = 25 kΩ (the spec's default ``R_on·IR_DROP_TOLERANCE``); callers pass their own.
* **Decoder.** ``n = ⌈log2 numOutput⌉`` address bits with complement INVs; ``⌊n/2⌋`` 2-to-4
  NAND2 predecoders (an odd bit feeds the NORs directly); per output a NOR_{⌈n/2⌉} and an INV
  driver; minimum gates, all ×8 when ``parallel``. Latency: the slowest Horowitz path; energy:
  half the address lines, one predecoded line per group, one NOR and one output (+ load) charge.
* **H-tree geometry** (energy, leakage, per-stage latency). ``D = max(rows·unit height,
  cols·unit width)``; stage ``i = 0 … 2S`` (``S = ⌈log2 max(rows, cols)⌉``) is ``D/2^(i+1)``
  long and has ``2^i`` segments; the main bus from the edge is ``D/2``. A transfer travels the
  main bus and one segment per stage; leakage and area count every segment.
* **Repeaters** (``HTree``/``Bus::Initialize``): the INV's drive is ``R_on,n + R_on,p`` (NeuroSim's
  ``resOnRep``), and a sized repeater's delay and energy use that size's own capacitances.
* **Bus area** = repeaters, plus ``wire_pitch_factor·w`` per bit and metre of routing (0 by
  default: the spec gives no rule). **Tolerance**: of ``s_opt/2^k``, ``0.9^k·d_opt``
  (``k < num_candidates``) the first with delay ≥ (1 + tolerance)·optimum (the spec's "until";
  the last if none); a hard choice in every mode, gradients flow through its values.

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

H-tree quirks (spec §5.6, §8), behind ``version.htree_wire_sizing_quirk``:

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
  spec §8 advises, which measures +2 % (chip tree) to +6.5 % (2×2 tile tree) slower than
  NeuroSim's binary. Latency then grows linearly with distance: the repeaters are sized
  for a thin wire and the delay is dominated by their RC.
* ``"per_stage"``: cimjax's earlier rule: every stage of the ``D``-geometry above with its own
  optimal repeater for its widened wire (delay ∝ √r: 3–5× faster than NeuroSim's), main bus
  ``D/2``.

Energy, leakage and the ``"repeaters"`` area always use the per-stage repeaters and the
``D``-geometry (the energy per length does not depend on the wire resistance: the optimal
``s/d`` is fixed by the capacitances; it matches NeuroSim's interconnect energy within 5 %).

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

from cimjax.hw import tech
from cimjax.hw.components import gates
from cimjax.hw.components.params import CircuitParams, ComponentConfig, as_float, circuit_technology
from cimjax.hw.cost import Cost

Array = jax.Array
ArrayLike = Union[jax.Array, float, int]

LINEAR_REGION_RATIO = 0.2  #: §5.4's ``LINEAR_REGION_RATIO``.
HTREE_QUIRK_WIRE_CLASS = (2.30, 2.73e-8)  #: (AR, ρ in Ω·m) NeuroSim's H-tree always uses (§5.6).
HTREE_WIDE_F, HTREE_MEDIUM_F = 1e5, 1e4  #: H-tree wire widening thresholds, F (§5.6).
WIRE_ACTIVITY = 0.25  #: Switching activity of a repeated wire (§5.6).
HTREE_AREA_RULES = ("neurosim", "repeaters")
HTREE_LATENCY_RULES = ("neurosim", "per_stage")
#: March 2020 ``GetUnitLengthRes``: stages ``i ≤ 2`` use ×4 wires, later ones ×2 (by stage index).
MARCH2020_WIDE_STAGES = 2
#: March 2020 ``GetUnitLengthRes``: (AR, ρ) of a widened wire ≥ 200 nm; narrower ones get
#: :data:`HTREE_QUIRK_WIRE_CLASS` (its chained comparison is always true).
MARCH2020_WIDE_WIRE_CLASS = (2.10, 2.42e-8)


class MuxParams(NamedTuple):
    """Transmission-gate muxes (traced): ``num_inputs`` each (``numColMuxed`` = 8), ``num_mux``
    selecting together, target TG resistance ``res_tg`` (Ω; placeholder default, module
    docstring), ``load_capacitance`` per output (F), ``read_voltage`` passed (``V_read``, V)."""

    circuit: CircuitParams = CircuitParams()
    num_inputs: ArrayLike = 8.0
    num_mux: ArrayLike = 16.0
    res_tg: ArrayLike = 25e3
    load_capacitance: ArrayLike = 0.0
    read_voltage: ArrayLike = 0.5


def mux(params: MuxParams, config: ComponentConfig = ComponentConfig()) -> Cost:
    """TG muxes, one selection (spec §5.6 "Mux").

    Latency ``2.3·R·C`` (0 → 90 %); energy ``(C_g·V_dd² + 2·C_d·V_read²)`` per mux (the
    selected input's TG); area ``numInput·numMux`` TGs; no leakage.

    Args:
      params: :class:`MuxParams` (scalars).
      config: :class:`~cimjax.hw.components.params.ComponentConfig` (static).

    Returns:
      The :class:`~cimjax.hw.cost.Cost` of one selection on all muxes.
    """
    t = circuit_technology(params.circuit, config)
    r_lin = tech.on_resistance(t, t.node, "n", config.mode) * LINEAR_REGION_RATIO
    w_n = jnp.maximum(t.node * r_lin / as_float(params.res_tg), gates.MIN_WIDTH_F * t.node)
    tg = gates.gate(t, "tg", mode=config.mode, widths=(w_n, gates.pn_size_ratio(t) * w_n))
    resistance = r_lin * t.node / w_n
    n_in, n_mux = as_float(params.num_inputs), as_float(params.num_mux)
    load = as_float(params.load_capacitance) + n_in * tg.c_out
    energy = tg.c_in * t.vdd**2 + 2.0 * tg.c_out * as_float(params.read_voltage) ** 2
    return Cost(n_in * n_mux * tg.area, n_mux * energy, 2.3 * resistance * load, jnp.zeros_like(energy))


class DecoderParams(NamedTuple):
    """A row or mux decoder (traced): ``load_capacitance`` on each output line (e.g. a WL), F."""

    circuit: CircuitParams = CircuitParams()
    load_capacitance: ArrayLike = 0.0


@jax.tree_util.register_static
@dataclasses.dataclass(frozen=True, kw_only=True)
class DecoderConfig(ComponentConfig):
    """Static structure of :func:`decoder`: ``num_outputs`` lines (rows or mux selects), in
    [2, 2^16]; ``parallel``: the "parallel" mux decoder, every gate sized ×8 (spec §5.6)."""

    num_outputs: int = 128
    parallel: bool = False

    def __post_init__(self):
        super().__post_init__()
        self._check_int("num_outputs", 2, 2**16)
        self._check_bool("parallel")


def decoder(params: DecoderParams, config: DecoderConfig = DecoderConfig()) -> Cost:
    """A row/mux decoder, one decode (spec §5.6: 2-bit NAND2 predecode, NOR, output INV).

    Args:
      params: :class:`DecoderParams` (scalars).
      config: :class:`DecoderConfig` (static).

    Returns:
      The :class:`~cimjax.hw.cost.Cost` of one decode (module docstring).
    """
    t = circuit_technology(params.circuit, config)
    n_out = config.num_outputs
    n_bits = math.ceil(math.log2(n_out))
    pairs, single = divmod(n_bits, 2)
    size = 8.0 if config.parallel else 1.0
    inv = gates.gate(t, "inv", size=size, mode=config.mode)
    nand = gates.gate(t, "nand", 2, size=size, mode=config.mode)
    nor = gates.gate(t, "nor", pairs + single, size=size, mode=config.mode)
    c_load = as_float(params.load_capacitance)
    c_pair_line = inv.c_out + 2.0 * nand.c_in
    c_single_line = inv.c_out + (n_out / 2.0) * nor.c_in
    c_pre = nand.c_out + (n_out / 4.0) * nor.c_in
    c_nor, c_drive = nor.c_out + inv.c_in, inv.c_out + c_load
    tail = [(nor.r_drive, c_nor), (inv.r_drive, c_drive)]
    paths = []
    if pairs:
        paths.append(gates.horowitz_chain([(inv.r_drive, c_pair_line), (nand.r_drive, c_pre)] + tail)[0])
    if single:
        paths.append(gates.horowitz_chain([(inv.r_drive, c_single_line)] + tail)[0])
    latency = paths[0] if len(paths) == 1 else jnp.maximum(*paths)
    switched = 0.5 * (2 * pairs * c_pair_line + single * c_single_line) + pairs * c_pre + c_nor + c_drive
    area = n_bits * inv.area + 4 * pairs * nand.area + n_out * (nor.area + inv.area)
    leakage = n_bits * inv.leakage + 4 * pairs * nand.leakage + n_out * (nor.leakage + inv.leakage)
    return Cost(area, switched * t.vdd**2, latency, leakage)


class RepeatedWire(NamedTuple):
    """A repeated wire, per bit: repeater ``size`` (× minimum INV), ``spacing`` (m), and per
    metre ``delay`` (s/m), ``energy`` per transfer (J/m, activity 0.25 included), ``leakage``
    (W/m) and repeater ``area`` (m²/m). Shapes follow the unit-resistance array."""

    size: Array
    spacing: Array
    delay_per_length: Array
    energy_per_length: Array
    leakage_per_length: Array
    area_per_length: Array


def _repeater(t: tech.Technology, size: ArrayLike, mode: str) -> tuple[gates.Gate, Array]:
    """The repeater INV of ``size`` × minimum and its ``R_n + R_p`` (NeuroSim's ``resOnRep``)."""
    inv = gates.gate(t, "inv", size=size, mode=mode)
    return inv, tech.on_resistance(t, inv.w_n, "n", mode) + tech.on_resistance(t, inv.w_p, "p", mode)


def _delay_per_length(rep: gates.Gate, r_rep: Array, r_w: Array, c_w: Array, d: Array) -> Array:
    """``0.7·[R_rep(C_in + C_out + c_w·d) + 0.5·r_w·c_w·d² + r_w·d·C_in]/d`` (spec §5.6), s/m."""
    return 0.7 * (r_rep * (rep.c_in + rep.c_out + c_w * d) + 0.5 * r_w * c_w * d * d + r_w * d * rep.c_in) / d


def repeated_wire(
    t: tech.Technology,
    r_w: ArrayLike,
    c_w: ArrayLike,
    tolerance: ArrayLike,
    config: ComponentConfig,
    num_candidates: int = 16,
) -> RepeatedWire:
    """Repeater insertion (spec §5.6, Weste & Harris) with a delay tolerance.

    As NeuroSim's ``HTree::Initialize``/``Bus::Initialize`` (read for the formulas): with the
    minimum INV's ``R = R_on,n + R_on,p`` (both transistors in series over a cycle) and input and
    output capacitances ``C_in``, ``C_out``: ``s_opt = max(1, ⌊sqrt(R·c_w/(C_in·r_w))⌋)``, ``d =
    sqrt(2·R·(C_in + C_out)/(r_w·c_w))``. Per length, delay ``0.7·[R_s(C_in,s + C_out,s + c_w·d)
    + 0.5·r_w·c_w·d² + r_w·d·C_in,s]/d`` and energy ``0.25·(C_in,s + C_out,s + c_w·d)·V_dd²/d``
    with the sized INV's own ``R_s``, ``C_in,s``, ``C_out,s`` (:func:`~.gates.gate` at size
    ``s``); the tolerance search of the module docstring.

    Args:
      t: technology.
      r_w: wire resistance per length, Ω/m (any shape).
      c_w: wire capacitance per length, F/m.
      tolerance: accepted extra delay (``globalBusDelayTolerance`` = 0.1).
      config: component config (relax mode of the floor).
      num_candidates: halvings evaluated (static).

    Returns:
      The :class:`RepeatedWire`.
    """
    r_w, c_w = as_float(r_w), as_float(c_w)
    inv, r_inv = _repeater(t, 1.0, config.mode)
    s_opt = jnp.maximum(1.0, config.floor(jnp.sqrt(r_inv * c_w / (inv.c_in * r_w))))
    d_opt = jnp.sqrt(2.0 * r_inv * (inv.c_in + inv.c_out) / (r_w * c_w))
    k = np.arange(num_candidates).reshape((-1,) + (1,) * r_w.ndim)  # numpy: exact 2^-k
    size, spacing = s_opt * jnp.asarray(2.0**-k, r_w.dtype), d_opt * jnp.asarray(0.9**k, r_w.dtype)
    delays = _delay_per_length(*_repeater(t, size, config.mode), r_w, c_w, spacing)
    slow = delays >= (1.0 + as_float(tolerance)) * delays[0]
    index = jnp.where(jnp.any(slow, axis=0), jnp.argmax(slow, axis=0), num_candidates - 1)
    s, d, delay_pl = (jnp.take_along_axis(x, index[None], axis=0)[0] for x in (size, spacing, delays))
    rep, _ = _repeater(t, jnp.maximum(1.0, s), config.mode)  # NeuroSim: at least a minimum INV
    return RepeatedWire(
        size=s,
        spacing=d,
        delay_per_length=delay_pl,
        energy_per_length=WIRE_ACTIVITY * (rep.c_in + rep.c_out + c_w * d) * t.vdd**2 / d,
        leakage_per_length=rep.leakage / d,
        area_per_length=rep.area / d,
    )


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
class BusConfig(ComponentConfig):
    """Static options of :func:`bus`: ``num_candidates`` repeater halvings, in [1, 64]."""

    num_candidates: int = 16

    def __post_init__(self):
        super().__post_init__()
        self._check_int("num_candidates", 1, 64)


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


def wire_resistance(width_nm: Array, temperature_k: ArrayLike, quirk: bool) -> Array:
    """Unit resistance ``ρ(T)/(w²·AR)`` of a widened H-tree wire, Ω/m."""
    if quirk:
        aspect_ratio, rho = HTREE_QUIRK_WIRE_CLASS
    else:
        aspect_ratio, rho = tech.wire_table(jnp.clip(width_nm, *tech.WIRE_WIDTH_RANGE_NM))
    rise = as_float(temperature_k) - tech.REFERENCE_TEMPERATURE_K
    w = width_nm * 1e-9
    return rho * (1.0 + tech.WIRE_TEMPERATURE_COEFFICIENT * rise) / (w * w * aspect_ratio)


def _wire_cost(wire: RepeatedWire, path: Array, total: Array, bus_width: Array, routing: Array) -> Cost:
    """Cost of a transfer over ``path`` metres of a wire of ``total`` metres per bit."""
    return Cost(
        area=bus_width * jnp.sum(total * (wire.area_per_length + routing)),
        energy=bus_width * jnp.sum(path * wire.energy_per_length),
        latency=jnp.sum(path * wire.delay_per_length),
        leakage=bus_width * jnp.sum(total * wire.leakage_per_length),
    )


def htree(params: HTreeParams, config: HTreeConfig = HTreeConfig()) -> Cost:
    """An H-tree (chip or tile), one transfer of ``bus_width`` bits (spec §5.6 "H-tree").

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
    cost = _wire_cost(wire, lengths, lengths * counts, as_float(params.bus_width), routing)
    if "neurosim" in (config.area_rule, config.latency_rule):
        # HTree::Initialize's one repeater design on the unwidened wire (area and latency share it).
        r_base = tech.wire_resistance_per_length(c.wire_width_nm, c.temperature_k)
        design = repeated_wire(t, r_base, c.wire_capacitance, params.delay_tolerance, config, config.num_candidates)
        rep, r_rep = _repeater(t, jnp.maximum(1.0, design.size), config.mode)
        if config.area_rule == "neurosim":
            cost = cost._replace(area=_channel_area(params, config, rep, height, width, levels))
        if config.latency_rule == "neurosim":
            cost = cost._replace(latency=_neurosim_latency(params, config, t, rep, r_rep, design.spacing,
                                                           height, width, levels))
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
    r_base = tech.wire_resistance_per_length(c.wire_width_nm, c.temperature_k)
    design = repeated_wire(t, r_base, c.wire_capacitance, params.delay_tolerance, config, config.num_candidates)
    rep, r_rep = _repeater(t, design.size, config.mode)  # not clamped to a minimum INV in this version
    d, c_w = design.spacing, as_float(c.wire_capacitance)
    main = _main_bus_units(config) * width
    latency = jnp.zeros_like(r_rep * height)
    u = _delay_per_length(rep, r_rep, _march2020_stage_resistance(c, 0), c_w, d)
    for i in range(levels):
        u = _delay_per_length(rep, r_rep, _march2020_stage_resistance(c, i), c_w, d)
        latency = latency + (height + width) * (2.0**levels / 2.0 ** (i + 1)) * u
    latency = latency + main * u
    energy_pl = WIRE_ACTIVITY * (rep.c_in + rep.c_out + c_w * d) * t.vdd**2 / d
    path = (height + width) * sum(2.0**levels / 2.0 ** (i + 2) for i in range(levels)) + main
    wire = (height + width) * sum(2.0**levels / 2.0 ** (i + 1) for i in range(1, levels)) + main
    bus = as_float(params.bus_width)
    return Cost(
        area=_channel_area(params, config, rep, height, width, levels),
        energy=bus * path * energy_pl,
        latency=latency,
        leakage=wire * rep.leakage / d,
    )


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
        return length * _delay_per_length(rep, r_rep, r_w, c_w, spacing)

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


class BusParams(NamedTuple):
    """A PE-level bus across ``num_units − 1`` unit pitches (traced): ``num_units`` along it
    (``numCol``/``numRow``), ``unit_length`` their pitch (``unitWidth``/``unitHeight``, m; an
    example default); ``bus_width``, ``delay_tolerance`` (``localBusDelayTolerance``) and
    ``wire_pitch_factor`` as in :class:`HTreeParams`."""

    circuit: CircuitParams = CircuitParams()
    num_units: ArrayLike = 4.0
    unit_length: ArrayLike = 100e-6
    bus_width: ArrayLike = 64.0
    delay_tolerance: ArrayLike = 0.1
    wire_pitch_factor: ArrayLike = 0.0


def bus(params: BusParams, config: BusConfig = BusConfig()) -> Cost:
    """A PE bus, one transfer of ``bus_width`` bits (spec §5.6 "Bus"): the H-tree's repeater
    design over ``unit_length·(num_units − 1)`` at the local wire width (§5.3 table, ×1).

    Args:
      params: :class:`BusParams` (scalars).
      config: :class:`BusConfig` (static).

    Returns:
      The :class:`~cimjax.hw.cost.Cost` of one transfer.
    """
    c = params.circuit
    t = circuit_technology(c, config)
    width_nm = jnp.clip(as_float(c.wire_width_nm), *tech.WIRE_WIDTH_RANGE_NM)
    r_w = wire_resistance(width_nm, c.temperature_k, quirk=False)
    wire = repeated_wire(t, r_w, c.wire_capacitance, params.delay_tolerance, config, config.num_candidates)
    length = as_float(params.unit_length) * jnp.maximum(as_float(params.num_units) - 1.0, 0.0)
    routing = as_float(params.wire_pitch_factor) * width_nm * 1e-9
    return _wire_cost(wire, length, length, as_float(params.bus_width), routing)
