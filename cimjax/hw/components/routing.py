"""Routing: transmission-gate mux, row/mux decoder, repeated wires and bus (docs/model.md §5.6).

Source: docs/model.md §5.6 (NeuroSim V2.0 ``Mux.cpp``, ``RowDecoder.cpp``, ``Bus.cpp``
as summarised there; repeater insertion after Weste & Harris), §5.3 (wire table), §5.4
(``LINEAR_REGION_RATIO``), on :mod:`cimjax.hw.components.gates`. Valid for nodes in
[7, 130] nm and wire widths whose table class lies in [14, 200] nm. Functions return the
:class:`~cimjax.hw.cost.Cost` of one action (one selection, one decode, one bus transfer
of ``bus_width`` bits) with area and leakage.

Choices where docs/model.md §5.6 is silent (cimjax's):

* **Mux.** TG ``W_n = max(F·R_min·0.2/resTg, 2F)``, ``W_p = pnSizeRatio·W_n`` (``R_min`` = R_on
  of a 1F NMOS: §5.4's access-transistor rule, clamped at 2F); TG resistance ``R_min·0.2·F/W_n``;
  the output node carries the load and the drains of all inputs' TGs. *Placeholder*: default
  ``res_tg`` = 25 kΩ (docs/model.md's default ``R_on·IR_DROP_TOLERANCE``); callers pass their own.
* **Decoder.** ``n = ⌈log2 numOutput⌉`` address bits with complement INVs; ``⌊n/2⌋`` 2-to-4
  NAND2 predecoders (an odd bit feeds the NORs directly); per output a NOR_{⌈n/2⌉} and an INV
  driver; minimum gates, all ×8 when ``parallel``. Latency: the slowest Horowitz path; energy:
  half the address lines, one predecoded line per group, one NOR and one output (+ load) charge.
* **Repeaters** (``HTree``/``Bus::Initialize``): the INV's drive is ``R_on,n + R_on,p`` (NeuroSim's
  ``resOnRep``), and a sized repeater's delay and energy use that size's own capacitances.
* **Bus area** = repeaters, plus ``wire_pitch_factor·w`` per bit and metre of routing (0 by
  default: docs/model.md gives no rule). **Tolerance**: of ``s_opt/2^k``, ``0.9^k·d_opt``
  (``k < num_candidates``) the first with delay ≥ (1 + tolerance)·optimum (docs/model.md's "until";
  the last if none); a hard choice in every mode, gradients flow through its values.

The H-tree, built on the repeated wires here, is :mod:`cimjax.hw.components.htree`.
"""

from __future__ import annotations

import dataclasses
import math
from typing import NamedTuple, Union

import jax
import jax.numpy as jnp
import numpy as np

from cimjax.hw import tech, wiring
from cimjax.hw.components import gates
from cimjax.hw.components.params import CircuitParams, ComponentConfig, as_float, circuit_technology
from cimjax.hw.cost import Cost

Array = jax.Array
ArrayLike = Union[jax.Array, float, int]

LINEAR_REGION_RATIO = 0.2  #: §5.4's ``LINEAR_REGION_RATIO``.
HTREE_QUIRK_WIRE_CLASS = (2.30, 2.73e-8)  #: (AR, ρ in Ω·m) NeuroSim's H-tree always uses (§5.6).
WIRE_ACTIVITY = 0.25  #: Switching activity of a repeated wire (§5.6).


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
    """TG muxes, one selection (docs/model.md §5.6 "Mux").

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
    [2, 2^16]; ``parallel``: the "parallel" mux decoder, every gate sized ×8 (docs/model.md §5.6)."""

    num_outputs: int = 128
    parallel: bool = False

    def __post_init__(self):
        super().__post_init__()
        self._check_int("num_outputs", 2, 2**16)
        self._check_bool("parallel")


def decoder(params: DecoderParams, config: DecoderConfig = DecoderConfig()) -> Cost:
    """A row/mux decoder, one decode (docs/model.md §5.6: 2-bit NAND2 predecode, NOR, output INV).

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


def repeater(t: tech.Technology, size: ArrayLike, mode: str) -> tuple[gates.Gate, Array]:
    """The repeater INV of ``size`` × minimum and its ``R_n + R_p`` (NeuroSim's ``resOnRep``)."""
    inv = gates.gate(t, "inv", size=size, mode=mode)
    return inv, tech.on_resistance(t, inv.w_n, "n", mode) + tech.on_resistance(t, inv.w_p, "p", mode)


def delay_per_length(rep: gates.Gate, r_rep: Array, r_w: Array, c_w: Array, d: Array) -> Array:
    """``0.7·[R_rep(C_in + C_out + c_w·d) + 0.5·r_w·c_w·d² + r_w·d·C_in]/d`` (docs/model.md §5.6), s/m."""
    return 0.7 * (r_rep * (rep.c_in + rep.c_out + c_w * d) + 0.5 * r_w * c_w * d * d + r_w * d * rep.c_in) / d


def repeated_wire(
    t: tech.Technology,
    r_w: ArrayLike,
    c_w: ArrayLike,
    tolerance: ArrayLike,
    config: ComponentConfig,
    num_candidates: int = 16,
) -> RepeatedWire:
    """Repeater insertion (docs/model.md §5.6, Weste & Harris) with a delay tolerance.

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
    inv, r_inv = repeater(t, 1.0, config.mode)
    s_opt = jnp.maximum(1.0, config.floor(jnp.sqrt(r_inv * c_w / (inv.c_in * r_w))))
    d_opt = jnp.sqrt(2.0 * r_inv * (inv.c_in + inv.c_out) / (r_w * c_w))
    k = np.arange(num_candidates).reshape((-1,) + (1,) * r_w.ndim)  # numpy: exact 2^-k
    size, spacing = s_opt * jnp.asarray(2.0**-k, r_w.dtype), d_opt * jnp.asarray(0.9**k, r_w.dtype)
    delays = delay_per_length(*repeater(t, size, config.mode), r_w, c_w, spacing)
    slow = delays >= (1.0 + as_float(tolerance)) * delays[0]
    index = jnp.where(jnp.any(slow, axis=0), jnp.argmax(slow, axis=0), num_candidates - 1)
    s, d, delay_pl = (jnp.take_along_axis(x, index[None], axis=0)[0] for x in (size, spacing, delays))
    rep, _ = repeater(t, jnp.maximum(1.0, s), config.mode)  # NeuroSim: at least a minimum INV
    return RepeatedWire(
        size=s,
        spacing=d,
        delay_per_length=delay_pl,
        energy_per_length=WIRE_ACTIVITY * (rep.c_in + rep.c_out + c_w * d) * t.vdd**2 / d,
        leakage_per_length=rep.leakage / d,
        area_per_length=rep.area / d,
    )


@jax.tree_util.register_static
@dataclasses.dataclass(frozen=True, kw_only=True)
class BusConfig(ComponentConfig):
    """Static options of :func:`bus`: ``num_candidates`` repeater halvings, in [1, 64]."""

    num_candidates: int = 16

    def __post_init__(self):
        super().__post_init__()
        self._check_int("num_candidates", 1, 64)


def wire_resistance(width_nm: Array, temperature_k: ArrayLike, quirk: bool) -> Array:
    """Unit resistance ``ρ(T)/(w²·AR)`` of a widened H-tree wire, Ω/m."""
    if quirk:
        aspect_ratio, rho = HTREE_QUIRK_WIRE_CLASS
    else:
        aspect_ratio, rho = wiring.wire_table(jnp.clip(width_nm, *wiring.WIRE_WIDTH_RANGE_NM))
    rise = as_float(temperature_k) - tech.REFERENCE_TEMPERATURE_K
    w = width_nm * 1e-9
    return rho * (1.0 + wiring.WIRE_TEMPERATURE_COEFFICIENT * rise) / (w * w * aspect_ratio)


def wire_cost(wire: RepeatedWire, path: Array, total: Array, bus_width: Array, routing: Array) -> Cost:
    """Cost of a transfer over ``path`` metres of a wire of ``total`` metres per bit."""
    return Cost(
        area=bus_width * jnp.sum(total * (wire.area_per_length + routing)),
        energy=bus_width * jnp.sum(path * wire.energy_per_length),
        latency=jnp.sum(path * wire.delay_per_length),
        leakage=bus_width * jnp.sum(total * wire.leakage_per_length),
    )


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
    """A PE bus, one transfer of ``bus_width`` bits (docs/model.md §5.6 "Bus"): the H-tree's repeater
    design over ``unit_length·(num_units − 1)`` at the local wire width (§5.3 table, ×1).

    Args:
      params: :class:`BusParams` (scalars).
      config: :class:`BusConfig` (static).

    Returns:
      The :class:`~cimjax.hw.cost.Cost` of one transfer.
    """
    c = params.circuit
    t = circuit_technology(c, config)
    width_nm = jnp.clip(as_float(c.wire_width_nm), *wiring.WIRE_WIDTH_RANGE_NM)
    r_w = wire_resistance(width_nm, c.temperature_k, quirk=False)
    wire = repeated_wire(t, r_w, c.wire_capacitance, params.delay_tolerance, config, config.num_candidates)
    length = as_float(params.unit_length) * jnp.maximum(as_float(params.num_units) - 1.0, 0.0)
    routing = as_float(params.wire_pitch_factor) * width_nm * 1e-9
    return wire_cost(wire, length, length, as_float(params.bus_width), routing)
