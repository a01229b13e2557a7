"""Shift-adder: adder plus DFF register accumulating the partial sums of a read (docs/model.md §5.6).

Source: docs/model.md §5.6 (NeuroSim V2.0 ``ShiftAdd.cpp`` as summarised there), on the adder and DFF
of :mod:`cimjax.hw.components.logic`. Valid as there. The register holds ``numBit +
numReadPulse`` DFFs per unit (the adder's ``numBit + 1`` output bits and ``numReadPulse − 1`` of
shift extension, NeuroSim ``ShiftAdd.cpp``). :func:`shift_adder_layout_area` is the layout
NeuroSim charges where a block is laid out along one given side.
"""

from __future__ import annotations

from typing import NamedTuple, Union

import jax
import jax.numpy as jnp

from cimjax.hw.components import gates
from cimjax.hw.components.logic import (DFF_AREA_INV, NAND2_PER_ADDER_BIT, adder_cost, dff_bank, dff_unit)
from cimjax.hw.components.params import CircuitParams, ComponentConfig, as_float, circuit_technology
from cimjax.hw.cost import Cost

Array = jax.Array
ArrayLike = Union[jax.Array, float, int]


class ShiftAdderParams(NamedTuple):
    """Shift-adders accumulating ``num_reads`` partial sums (traced).

    Attributes:
      circuit: :class:`~cimjax.hw.components.params.CircuitParams`.
      num_bits: adder bits (``log2(levelOutput) + 1`` = 7 in a V2.0 sub-array, docs/model.md §5.4).
      num_units: shift-adders working in parallel.
      num_reads: reads accumulated (``numReadPulse``, e.g. the 8 input bits).
      read_pulse_width: duration of one read, s (``readPulseWidth`` = 10 ns).
      activity: DFF data activity, in [0, 1].
      num_read_pulse: input bits shifted in (``numReadPulse``): each unit's register holds
        ``num_bits + num_read_pulse`` DFFs, the adder's ``num_bits + 1`` plus ``numReadPulse − 1``
        of shift extension (NeuroSim ``ShiftAdd::Initialize``); 1 = the adder's bits only.
    """

    circuit: CircuitParams = CircuitParams()
    num_bits: ArrayLike = 7.0
    num_units: ArrayLike = 1.0
    num_reads: ArrayLike = 8.0
    read_pulse_width: ArrayLike = 10e-9
    activity: ArrayLike = 1.0
    num_read_pulse: ArrayLike = 1.0


def shift_adder(params: ShiftAdderParams, config: ComponentConfig = ComponentConfig()) -> Cost:
    """Shift-adders (adder + DFF register), one accumulation of ``numRead`` reads (docs/model.md §5.6).

    Latency ``t_sa + max(0, t_sa − t_readPulse)·(numRead − 1)`` with ``t_sa = t_adder + t_DFF``
    (the shift-add hides under the next read pulse when it fits); energy ``numRead`` adds and
    register operations; area and leakage of the adders and ``numBit + numReadPulse`` DFFs per unit.

    Args:
      params: :class:`ShiftAdderParams` (scalars).
      config: :class:`~cimjax.hw.components.params.ComponentConfig` (static).

    Returns:
      The :class:`~cimjax.hw.cost.Cost` of one accumulation on all units.
    """
    t = circuit_technology(params.circuit, config)
    bits, units, reads = (as_float(x) for x in (params.num_bits, params.num_units, params.num_reads))
    add = adder_cost(t, gates.gate(t, "nand", 2, mode=config.mode), bits, units)
    num_dff = (bits + as_float(params.num_read_pulse)) * units
    reg = dff_bank(dff_unit(t, config.mode), as_float(params.circuit.clock_hz), num_dff, params.activity)
    t_sa = add.latency + reg.latency
    latency = t_sa + jnp.maximum(0.0, t_sa - as_float(params.read_pulse_width)) * (reads - 1.0)
    return Cost(
        area=add.area + reg.area,
        energy=reads * (add.energy + reg.energy),
        latency=latency,
        leakage=add.leakage + reg.leakage,
    )


SHIFT_ADDER_LAYOUTS = ("width", "height")


def _rows_of(cell_along: Array, count: Array, side: Array, config: ComponentConfig) -> Array:
    """Rows (or columns) of ``count`` cells laid along ``side``: ``⌈count/n⌉``, ``n =
    min(⌊side/cell_along⌋, count)`` (at least 1), as :func:`~.logic.row_layout_area`."""
    per_row = jnp.clip(config.floor(side / cell_along), 1.0, jnp.maximum(count, 1.0))
    return config.ceil(count / per_row)


def shift_adder_layout_area(params: ShiftAdderParams, side: ArrayLike, along: str = "width",
                            config: ComponentConfig = ComponentConfig()) -> Array:
    """Bounding-box area of :func:`shift_adder`'s units laid out along one given side, m².

    NeuroSim ``ShiftAdd::CalculateArea`` (non-spiking; read for its formula; commits bf95f9c,
    March 2020, and d4de5bc, current), with ``Adder``/``DFF::CalculateArea``'s row rule
    (:func:`~.logic.row_layout_area`): ``num_units`` adders of ``num_bits`` (cell ``9·w_NAND2`` ×
    ``num_bits·h_NAND2`` across a width, ``9·num_bits·w_NAND2`` × ``h_NAND2`` down a height) and
    ``(num_bits + num_read_pulse)·num_units`` DFFs (``12·w_INV`` × ``h_INV``), and a row of the
    INV/NAND2 control cells, ``h_cell`` = :func:`~.gates.cell_height`:

    * ``along="width"`` (``CalculateArea(NULL, side)``), both versions: width ``side``, height
      ``adder rows·num_bits·h_NAND2 + h_cell + DFF rows·h_INV``.
    * ``along="height"`` (``CalculateArea(side, NULL)``): with
      ``config.version.shift_adder_control_row_on_height`` (March 2020) height ``side + h_cell``,
      width ``adder columns·9·num_bits·w_NAND2 + DFF columns·12·w_INV``; current: height
      ``side``, width the same plus ``w_INV + w_NAND2``.

    :func:`shift_adder`'s own area is the gates' sum; this is the layout NeuroSim charges
    (e.g. the sub-array's accumulation area). Valid for sides at least one cell long (NeuroSim
    aborts otherwise; here at least one cell per row).

    Args:
      params: :class:`ShiftAdderParams` (``num_bits``, ``num_units``, ``num_read_pulse`` used).
      side: the given side, m.
      along: ``"width"`` or ``"height"`` (static).
      config: component config (static).

    Returns:
      The area, m².
    """
    if along not in SHIFT_ADDER_LAYOUTS:
        raise ValueError(f"along = {along!r}: expected one of {SHIFT_ADDER_LAYOUTS}")
    t = circuit_technology(params.circuit, config)
    nand = gates.gate(t, "nand", 2, mode=config.mode)
    inv = gates.gate(t, "inv", mode=config.mode)
    bits, units = as_float(params.num_bits), as_float(params.num_units)
    n_dff = (bits + as_float(params.num_read_pulse)) * units
    side = as_float(side)
    h_cell = gates.cell_height(t)
    if along == "width":
        adder_h = _rows_of(NAND2_PER_ADDER_BIT * nand.width, units, side, config) * bits * nand.height
        dff_h = _rows_of(DFF_AREA_INV * inv.width, n_dff, side, config) * inv.height
        return side * (adder_h + h_cell + dff_h)
    adder_w = _rows_of(nand.height, units, side, config) * NAND2_PER_ADDER_BIT * bits * nand.width
    dff_w = _rows_of(inv.height, n_dff, side, config) * DFF_AREA_INV * inv.width
    if config.version.shift_adder_control_row_on_height:
        return (side + h_cell) * (adder_w + dff_w)
    return side * (adder_w + inv.width + nand.width + dff_w)
