"""SRAM primitives: 6T cell, bit-line read delay, precharger, write driver, SRAM buffer.

Source: docs/model.md §5.3 (SRAM cell 8F × 20F; NMOS 2.08F, PMOS 1.23F, access 1.31F;
``minSenseVoltage`` 0.1 V), §5.6 "Buffer (global/tile)" (SRAM variant) and "Weight-gradient
unit", §5.9 (Horowitz, drain capacitance); the structure of NeuroSim V2.0's
``Precharger.cpp``, ``SRAMWriteDriver.cpp``, ``Buffer.cpp`` and ``WeightGradientUnit.cpp``
(read for the model, not copied). Valid for nodes in [7, 130] nm and arrays of ≥ 2 rows.

The model, per piece (F = node; all transistors drawn at their width, one finger):

* **Cell.** Area ``height_f·width_f·F²``. Access transistor ``R_acc = R_on,n(1.31F)`` and
  drain capacitance ``C_acc``; pull-down ``R_pd = R_on,n(2.08F)``; the flipped node carries
  ``C_cell = C_acc + C_d,n(2.08F) + C_d,p(1.23F) + C_g(2.08F) + C_g(1.23F)``; leakage two
  inverters (2.08F/1.23F).
* **Wires** (§5.4 geometry with SRAM cells): ``lengthRow = cols·width_f·F``, ``lengthCol =
  rows·height_f·F``, capacitance 0.2 fF/µm, resistance of the local wire width.
* **Bit-line read delay**: a step-input Horowitz delay ``τ·ln 2`` with
  ``τ = [(R_acc + R_pd)(C_acc + C_col) + R_col·C_col/2]·ln(V_dd/(V_dd − V_sense/2))``.
* **Cell flip** (write): ``τ·ln 2`` with ``τ = ½(R_on,n(2.08F) + R_on,p(1.23F))·C_cell``; energy
  ``2·C_cell·V_dd²`` (Q and Q̄).
* **Precharger**, per column: a 6F PMOS precharger and two 2F PMOS equalisers, each a
  one-transistor cell of standard height, stacked (unit height 3 cells, width the widest);
  delay ``τ·ln 2``, ``τ = R_on,p(6F)·(C_load + C_out) + R_load·C_load/2``; read energy
  ``2·C_load·V_dd²`` per column (BL and BL̄), write energy ``C_load·V_dd²`` per written column;
  leakage half the 6F PMOS's ``I_off·W·V_dd`` per column.
* **Write driver**, per column: three minimum INVs stacked; delay of two Horowitz stages
  (INV into INV; the second drives ``C_load`` through ``R_load/2``); energy
  ``(C_in + C_out)·V_dd²`` per written column; leakage three INVs.
* **Layout over an array width** (precharger, write driver): units sit side by side across
  ``array_width``, ``⌊W/w_unit⌋`` per row (at most ``num_cols``), in ``⌈cols/per row⌉`` rows;
  the block is ``W`` wide. ``array_width = 0`` puts all units in one row.

The step-input delays (``τ·ln 2``) are NeuroSim's choice for the WG unit (its 1e20 ramp);
NeuroSim's SRAM buffer feeds the bit-line delay the decoder's output ramp, which
:func:`~cimjax.hw.components.routing.decoder` does not return: a step is used there too.

**SRAM buffer** (:func:`sram_buffer`, the ``globalBufferType = true`` variant, same call
contract as :func:`~cimjax.hw.components.misc.register_file_buffer`): each core is a
``core_rows × core_cols`` array with a row decoder (load: the word-line wire, as NeuroSim; its
decode latency :func:`~cimjax.hw.components.misc.wordline_decoder_latency`, the register-file
buffer's: ``Buffer.cpp`` builds the same ``REGULAR_ROW`` decoder for both kinds; within 3 % of
NeuroSim's at 32 × 32 and 128 × 128 cores, 32 nm, probed outside this repository), a precharger
and a write driver. A line read costs decode + precharge + bit-line delay and
the energy of decode + precharging ``interface_width`` column pairs; a line write decode +
precharge + write driver, with ``activity`` as the written-column fraction (NeuroSim: 1).
Cell leakage is counted (NeuroSim's ``Buffer.cpp`` omits it; its WG unit counts it).
No voltage sense amplifier is modelled: neither the SRAM buffer nor the WG unit with
``parallelBP`` (the V2.0 default) uses one.
"""

from __future__ import annotations

import math
from typing import NamedTuple, Union

import jax
import jax.numpy as jnp

from cimjax.hw import tech, wiring
from cimjax.hw.components import gates, misc, routing
from cimjax.hw.components.params import CircuitParams, ComponentConfig, as_float, circuit_technology
from cimjax.hw.cost import Cost

Array = jax.Array
ArrayLike = Union[jax.Array, float, int]

LN2 = math.log(2.0)
#: Precharger PMOS widths, F (precharge, equalise).
PRECHARGE_WIDTH_F = 6.0
EQUALISE_WIDTH_F = 2.0


class SramCellParams(NamedTuple):
    """6T SRAM cell (traced; defaults: NeuroSim V2.0 ``Param.cpp``, docs/model.md §5.3).

    Attributes:
      height_f / width_f: cell height and width, F (8, 20).
      nmos_f / pmos_f / access_f: pull-down, pull-up and access widths, F (2.08, 1.23, 1.31).
      min_sense_voltage: bit-line swing sensed, V (``minSenseVoltage`` = 0.1).
    """

    height_f: ArrayLike = 8.0
    width_f: ArrayLike = 20.0
    nmos_f: ArrayLike = 2.08
    pmos_f: ArrayLike = 1.23
    access_f: ArrayLike = 1.31
    min_sense_voltage: ArrayLike = 0.1


class SramCell(NamedTuple):
    """Electrical figures of one cell (SI): ``area`` (m²), ``r_access``/``c_access`` (Ω, F, the
    access transistor's on-resistance and drain), ``r_pull_down`` (Ω), ``r_pull`` (Ω, mean of
    the inverter's N and P), ``c_cell`` (F, node flipped on write), ``leakage`` (W)."""

    area: Array
    r_access: Array
    c_access: Array
    r_pull_down: Array
    r_pull: Array
    c_cell: Array
    leakage: Array


def sram_cell(t: tech.Technology, cell: SramCellParams = SramCellParams(), mode: str = "exact") -> SramCell:
    """The :class:`SramCell` of ``cell`` in technology ``t`` (module docstring).

    Args:
      t: technology (:func:`~cimjax.hw.components.params.circuit_technology`).
      cell: :class:`SramCellParams`.
      mode: relax mode of the FinFET fin counts (static).

    Returns:
      The :class:`SramCell`.
    """
    f = t.node
    w_n, w_p, w_a = (as_float(x) * f for x in (cell.nmos_f, cell.pmos_f, cell.access_f))
    c_access = gates.drain_capacitance(t, w_a, 1.0, mode)
    c_cell = (
        c_access
        + gates.drain_capacitance(t, w_n, 1.0, mode)
        + gates.drain_capacitance(t, w_p, 1.0, mode)
        + tech.gate_capacitance(t, w_n, mode)
        + tech.gate_capacitance(t, w_p, mode)
    )
    r_pull_down = tech.on_resistance(t, w_n, "n", mode)
    inverter = 0.5 * (tech.leakage_current(t, w_n, mode) + tech.leakage_current(t, w_p, mode, "p")) * t.vdd
    return SramCell(
        area=as_float(cell.height_f) * as_float(cell.width_f) * f * f,
        r_access=tech.on_resistance(t, w_a, "n", mode),
        c_access=c_access,
        r_pull_down=r_pull_down,
        r_pull=0.5 * (r_pull_down + tech.on_resistance(t, w_p, "p", mode)),
        c_cell=c_cell,
        leakage=2.0 * inverter,
    )


class ArrayWires(NamedTuple):
    """Row and column wires of an SRAM array (SI): lengths (m), capacitances (F), resistances (Ω)."""

    length_row: Array
    length_col: Array
    cap_row: Array
    cap_col: Array
    res_row: Array
    res_col: Array


def array_wires(
    circuit: CircuitParams, t: tech.Technology, cell: SramCellParams, num_rows: ArrayLike, num_cols: ArrayLike
) -> ArrayWires:
    """Word-line and bit-line wires of a ``num_rows × num_cols`` SRAM array (docs/model.md §5.4 geometry).

    Args:
      circuit: :class:`~cimjax.hw.components.params.CircuitParams` (wire width, capacitance).
      t: its technology.
      cell: :class:`SramCellParams`.
      num_rows / num_cols: array size (traced).

    Returns:
      The :class:`ArrayWires`.
    """
    length_row = as_float(num_cols) * as_float(cell.width_f) * t.node
    length_col = as_float(num_rows) * as_float(cell.height_f) * t.node
    c_w = as_float(circuit.wire_capacitance)
    r_w = wiring.wire_resistance_per_length(circuit.wire_width_nm, circuit.temperature_k)
    return ArrayWires(length_row, length_col, length_row * c_w, length_col * c_w, length_row * r_w, length_col * r_w)


def bitline_read_delay(t: tech.Technology, c: SramCell, wires: ArrayWires, min_sense_voltage: ArrayLike) -> Array:
    """Bit-line development to ``V_sense/2``, one read (module docstring), s."""
    tau = (c.r_access + c.r_pull_down) * (c.c_access + wires.cap_col) + 0.5 * wires.res_col * wires.cap_col
    tau = tau * jnp.log(t.vdd / (t.vdd - 0.5 * as_float(min_sense_voltage)))
    return tau * LN2


def cell_write_latency(c: SramCell) -> Array:
    """Time to flip one cell (step-input Horowitz, ``τ = R_pull·C_cell``), s."""
    return c.r_pull * c.c_cell * LN2


def cell_write_energy(t: tech.Technology, c: SramCell) -> Array:
    """Energy to flip one cell, ``2·C_cell·V_dd²`` (Q and Q̄), J."""
    return 2.0 * c.c_cell * t.vdd**2


class ReadWrite(NamedTuple):
    """A block with distinct read and write actions (same ``area``/``leakage`` in both)."""

    read: Cost
    write: Cost


def _one_transistor_cell(t: tech.Technology, width: Array, mode: str) -> tuple[Array, Array]:
    """(height, width) of a standard cell holding one transistor of drawn width ``width``."""
    planar = gates.POLY_WIDTH_F[0] + gates.GATE_POLY_SPACING_F[0]
    finfet = gates.POLY_WIDTH_F[1] + gates.GATE_POLY_SPACING_F[1]
    poly = jnp.where(t.finfet, finfet, planar) * t.node
    n_f = gates.fingers(t, width, 0.0, mode)
    return gates.cell_height(t), (n_f + 1.0) * poly


def column_layout(
    config: ComponentConfig, num_cols: ArrayLike, unit_height: Array, unit_width: Array, array_width: ArrayLike
) -> Array:
    """Area of ``num_cols`` column units laid out across ``array_width`` (module docstring), m².

    Args:
      config: relax mode of the floor/ceil.
      num_cols: units (one per column).
      unit_height / unit_width: one unit, m.
      array_width: width available, m (0 = one row of units).

    Returns:
      The block area, m².
    """
    n, width = as_float(num_cols), as_float(array_width)
    fits = width > 0.0
    safe = jnp.where(fits, width, 1.0)
    per_row = jnp.clip(config.floor(safe / unit_width), 1.0, n)
    rows = jnp.where(n > per_row, config.ceil(n / per_row), 1.0)
    return jnp.where(fits, safe * rows * unit_height, n * unit_width * unit_height)


class ColumnDriverParams(NamedTuple):
    """A precharger or SRAM write driver over ``num_cols`` columns (traced).

    Attributes:
      circuit: :class:`~cimjax.hw.components.params.CircuitParams`.
      num_cols: columns driven.
      load_capacitance: bit-line capacitance per column, F.
      load_resistance: bit-line resistance per column, Ω.
      array_width: width the units are laid out across, m (0 = one row).
      write_activity: fraction of the columns written per write (``activityColWrite``).
      read_cols: columns precharged per read (precharger only; ``numReadCellPerOperation``,
        at most ``num_cols``).
    """

    circuit: CircuitParams = CircuitParams()
    num_cols: ArrayLike = 128.0
    load_capacitance: ArrayLike = 6.5e-15
    load_resistance: ArrayLike = 400.0
    array_width: ArrayLike = 0.0
    write_activity: ArrayLike = 1.0
    read_cols: ArrayLike = 128.0


def precharger(params: ColumnDriverParams, config: ComponentConfig = ComponentConfig()) -> ReadWrite:
    """Bit-line precharger, one read and one write of the array (module docstring;
    NeuroSim ``Precharger.cpp``).

    Args:
      params: :class:`ColumnDriverParams` (scalars).
      config: :class:`~cimjax.hw.components.params.ComponentConfig` (static).

    Returns:
      :class:`ReadWrite`: read precharges ``read_cols`` column pairs, write
      ``num_cols·write_activity`` columns; both take one precharge delay.
    """
    t = circuit_technology(params.circuit, config)
    mode = config.mode
    w_pre, w_eq = PRECHARGE_WIDTH_F * t.node, EQUALISE_WIDTH_F * t.node
    h_pre, wd_pre = _one_transistor_cell(t, w_pre, mode)
    h_eq, wd_eq = _one_transistor_cell(t, w_eq, mode)
    area = column_layout(config, params.num_cols, h_pre + 2.0 * h_eq, jnp.maximum(wd_pre, wd_eq), params.array_width)
    c_out = gates.drain_capacitance(t, w_pre, 1.0, mode) + gates.drain_capacitance(t, w_eq, 1.0, mode)
    c_load, r_load = as_float(params.load_capacitance), as_float(params.load_resistance)
    tau = tech.on_resistance(t, w_pre, "p", mode) * (c_load + c_out) + 0.5 * r_load * c_load
    latency = tau * LN2
    n = as_float(params.num_cols)
    leakage = 0.5 * tech.leakage_current(t, w_pre, mode, "p") * t.vdd * n  # INV(0, W_pre): PMOS only
    e_col = c_load * t.vdd**2
    read_cols = jnp.minimum(as_float(params.read_cols), n)
    written = n * as_float(params.write_activity)
    return ReadWrite(
        read=Cost(area, 2.0 * e_col * read_cols, latency, leakage),
        write=Cost(area, e_col * written, latency, leakage),
    )


def column_unit_widths(t: tech.Technology, mode: str = "exact") -> tuple[Array, Array]:
    """Widths of one precharger unit and one write-driver unit (module docstring), m: what
    ``num_cols`` units in one row (``array_width = 0``) span, ``num_cols`` times this."""
    _, wd_pre = _one_transistor_cell(t, PRECHARGE_WIDTH_F * t.node, mode)
    _, wd_eq = _one_transistor_cell(t, EQUALISE_WIDTH_F * t.node, mode)
    return jnp.maximum(wd_pre, wd_eq), gates.gate(t, "inv", mode=mode).width


def sram_write_driver(params: ColumnDriverParams, config: ComponentConfig = ComponentConfig()) -> Cost:
    """SRAM write drivers, one write of the array (module docstring; NeuroSim
    ``SRAMWriteDriver.cpp``).

    Args:
      params: :class:`ColumnDriverParams` (scalars; ``read_cols`` unused).
      config: :class:`~cimjax.hw.components.params.ComponentConfig` (static).

    Returns:
      The :class:`~cimjax.hw.cost.Cost` of one write (``num_cols·write_activity`` columns).
    """
    t = circuit_technology(params.circuit, config)
    inv = gates.gate(t, "inv", mode=config.mode)
    area = column_layout(config, params.num_cols, 3.0 * inv.height, inv.width, params.array_width)
    c_load, r_load = as_float(params.load_capacitance), as_float(params.load_resistance)
    r_p = tech.on_resistance(t, inv.w_p, "p", config.mode)
    r_n = tech.on_resistance(t, inv.w_n, "n", config.mode)
    tau2 = r_n * (c_load + inv.c_out) + 0.5 * r_load * c_load
    latency, _ = gates.horowitz_chain([(r_p, inv.c_out + inv.c_in), (tau2, 1.0)])
    n = as_float(params.num_cols)
    energy = (inv.c_in + inv.c_out) * t.vdd**2 * n * as_float(params.write_activity)
    return Cost(area, energy, latency, 3.0 * inv.leakage * n)


def sram_buffer(
    params: misc.BufferParams,
    config: misc.BufferConfig = misc.BufferConfig(),
    *,
    write: bool = False,
    cell: SramCellParams = SramCellParams(),
    array_shape: tuple[ArrayLike, ArrayLike] | None = None,
) -> Cost:
    """An SRAM buffer moving ``num_bits`` bits (docs/model.md §5.6 "Buffer", SRAM variant; NeuroSim
    ``Buffer.cpp`` with ``SRAM = true``).

    Same contract as :func:`~cimjax.hw.components.misc.register_file_buffer`:
    ``n = ⌈num_bits/interface_width⌉`` line accesses; latency
    ``n·t_line/min(numCore, ⌈busWidth/interface_width⌉)·bus_share``; energy ``n·E_line``;
    area and leakage of ``numCore`` cores of ``core_rows × core_cols`` cells (module
    docstring for the line read and write).

    Args:
      params: :class:`~cimjax.hw.components.misc.BufferParams` (scalars; ``activity`` is the
        written-column fraction of a line write).
      config: :class:`~cimjax.hw.components.misc.BufferConfig` (static core shape).
      write: static; False = the cost of reading, True = of writing.
      cell: :class:`SramCellParams` (traced).
      array_shape: traced ``(rows, cols)`` of each core's cell array, in place of
        ``config.core_rows × core_cols`` for the cells, bit lines, precharger and write drivers
        (a tile buffer smaller than one core: NeuroSim's ``⌈numBit/interface_width⌉ ×
        interface_width``, ``Buffer.cpp`` ``Initialize``); the row decoder keeps
        ``config.core_rows`` lines (static).

    Returns:
      The :class:`~cimjax.hw.cost.Cost` of the read (or write).
    """
    c = params.circuit
    t = circuit_technology(c, config)
    mode = config.mode
    width = as_float(params.interface_width)
    sc = sram_cell(t, cell, mode)
    if array_shape is None:
        rows, cols = float(config.core_rows), float(config.core_cols)
    else:
        rows, cols = (as_float(x) for x in array_shape)
    wires = array_wires(c, t, cell, rows, cols)
    dec_config = config.sub(routing.DecoderConfig, num_outputs=config.core_rows)
    dec = routing.decoder(routing.DecoderParams(c, wires.cap_row), dec_config)
    written = as_float(params.activity) * width / cols  # line: activity·interface_width columns
    driver = ColumnDriverParams(c, cols, wires.cap_col, wires.res_col, wires.length_row, written, width)
    pre = precharger(driver, config)
    wd = sram_write_driver(driver, config)
    # The decode latency is the buffer's REGULAR_ROW decoder (Buffer.cpp, both kinds), the rule of the
    # register-file buffer; the decoder's energy, area and leakage are routing.decoder's, as there.
    t_decode = misc.wordline_decoder_latency(t, config.core_rows, wires.cap_row, mode)
    if write:
        t_line = t_decode + pre.write.latency + wd.latency
        e_line = dec.energy + pre.write.energy + wd.energy
    else:
        t_line = t_decode + pre.read.latency + bitline_read_delay(t, sc, wires, cell.min_sense_voltage)
        e_line = dec.energy + pre.read.energy
    lines = config.ceil(as_float(params.num_bits) / width)
    cores = as_float(params.num_cores)
    parallel = jnp.minimum(cores, config.ceil(as_float(params.bus_width) / width))
    core_cells = rows * cols
    return Cost(
        area=cores * (core_cells * sc.area + dec.area + pre.read.area + wd.area),
        energy=lines * e_line,
        latency=lines * t_line / parallel * as_float(params.bus_share),
        leakage=cores * (core_cells * sc.leakage + dec.leakage + pre.read.leakage + wd.leakage),
    )
