"""The chip-level sigmoid unit (a look-up table read through a voltage sense amplifier) that
NeuroSim uses in place of its ReLU with ``reLu = false``.

Source: NeuroSim V2.0 (d4de5bc) ``Sigmoid.cpp`` (``Initialize``, ``CalculateUnitArea``,
``CalculateArea``, ``CalculateLatency``, ``CalculatePower``), ``VoltageSenseAmp.cpp`` (same
functions), ``RowDecoder.cpp`` (``REGULAR_ROW``) and ``Chip.cpp`` (``ChipInitialize``,
``ChipCalculateArea``, ``ChipCalculatePerformance``: how the chip sizes and uses it), read for
their facts and formulas; the code here is cimjax's. Valid for nodes in [7, 130] nm (the
technology and gate models of :mod:`cimjax.hw.components.gates`).

What NeuroSim builds (``Chip.cpp`` calls ``Sigmoid::Initialize(false, ...)``, the non-SRAM
table, whatever the synaptic cell):

* ``numYbit = numBitInput`` bits per entry, ``numEntry`` entries, ``numFunction`` tables
  working in parallel. ``Chip.cpp`` passes as ``numEntry`` the *bit width* of the chip's
  accumulated sum, ``⌊⌈log2 numRowSubArray + cellBit − 1⌉ + numBitInput + 1 +
  log2 maxAddFromSubArray + ⌈log2 maxTileAdded⌉⌋`` (the sequential read's form, also with the
  parallel read; the last sum truncated to an int), and ``numFunction = ⌈maxThroughputTile /
  numColMuxed⌉``, the ReLU's unit count.
* A table is ``numEntry × numYbit`` cells of the synaptic cell's size (``heightInFeatureSize ×
  widthInFeatureSize`` F²), a WL decoder of ``⌈log2 numEntry⌉`` address bits (its area with
  neither side given) and ``numYbit`` voltage sense amplifiers; area ``numFunction ×`` that.
* One look-up: the decoder's latency with no load on its output (``Sigmoid.cpp`` hands the
  cell's access capacitance as ``capLoad2``, which a ``REGULAR_ROW`` decoder does not read),
  plus the sense amplifier's ``2.3·R_pre·C_S1 + ΔV·(C_S1 + C_d,n)/(V_read/R_on − V_read/R_off) +
  2/f_clk`` (``ΔV = 0.1`` V; ``R_pre`` the minimum PMOS, ``C_S1`` a minimum NMOS's gate and
  drain and a PMOS's drain). Energy per look-up: the decoder's read energy plus
  ``9.845 fJ·(V_dd/1.1)²`` per sense amplifier (``numYbit`` of them), times ``numFunction``.
* ``ChipCalculatePerformance`` reads the table ``⌈windows·C_out/numEntry⌉`` times per layer
  and image (NeuroSim divides by the entry count, not by the tables working in parallel; kept),
  booked in the forward latency and energy (peak too) and in the "array" breakdown, as the ReLU
  it replaces. The chip's leakage counts only the tiles (as for the ReLU).

The decoder's address bits depend on the floorplan (traced here), so the decoder is built for
every bit count in :data:`ADDRESS_BITS` and the one that applies is selected: the function stays
jittable and vmappable.
"""

from __future__ import annotations

from typing import NamedTuple, Union

import jax
import jax.numpy as jnp

from cimjax.hw import tech
from cimjax.hw.components import gates
from cimjax.hw.components.params import CircuitParams, ComponentConfig, as_float, circuit_technology
from cimjax.hw.components.subarray_sequential import _row_decoder
from cimjax.hw.components.subarray_sram_sequential import _pitch_transistor_area
from cimjax.hw.cost import Cost

Array = jax.Array
ArrayLike = Union[jax.Array, float, int]

#: Decoder address bits built (``⌈log2 numEntry⌉``); entries beyond ``2^7`` are clipped to 7 bits.
ADDRESS_BITS = (1, 2, 3, 4, 5, 6, 7)
#: Sense-amplifier swing ``voltageSenseDiff`` (V) and energy per read at 1.1 V (J), ``VoltageSenseAmp.cpp``.
SENSE_SWING = 0.1
SENSE_ENERGY_65NM = 9.845e-15
#: ``MAX_TRANSISTOR_HEIGHT`` (F): the region the sense amplifier's transistors are laid out in.
TRANSISTOR_REGION_F = 28.0


class SigmoidParams(NamedTuple):
    """The chip's sigmoid tables (traced).

    Attributes:
      circuit: :class:`~cimjax.hw.components.params.CircuitParams`.
      num_bits: bits per entry (``numYbit`` = ``numBitInput``).
      num_entries: entries per table (``numEntry``, see the module docstring), ≥ 2.
      num_tables: tables working in parallel (``numFunction``).
      cell_height_f / cell_width_f: the synaptic cell, F.
      read_voltage / r_on / r_off: the cell's read voltage (V) and on/off resistances (Ω).
    """

    circuit: CircuitParams = CircuitParams()
    num_bits: ArrayLike = 8.0
    num_entries: ArrayLike = 26.0
    num_tables: ArrayLike = 192.0
    cell_height_f: ArrayLike = 4.0
    cell_width_f: ArrayLike = 4.0
    read_voltage: ArrayLike = 0.5
    r_on: ArrayLike = 115e3
    r_off: ArrayLike = 1015e3


def voltage_sense_amp(t: tech.Technology, count: ArrayLike, read_voltage: ArrayLike, r_on: ArrayLike,
                      r_off: ArrayLike, clock_hz: ArrayLike, mode: str = "exact") -> Cost:
    """``count`` voltage sense amplifiers, one read each (``VoltageSenseAmp.cpp``; module docstring).

    Area per amplifier: six minimum NMOS and five minimum-width PMOS (``pnSizeRatio·W_min``)
    transistors, each laid out alone in a 28F region. Leakage: two NAND2 per amplifier.
    """
    f = t.node
    w_n = gates.MIN_WIDTH_F * f
    w_p = gates.pn_size_ratio(t) * w_n
    region = TRANSISTOR_REGION_F * f

    def drain(w):
        return gates.drain_capacitance(t, w, gates.fingers(t, w, 0.0, mode), mode, region_height=region)

    c_s1 = tech.gate_capacitance(t, w_n, mode) + drain(w_n) + drain(w_p)
    r_pre = tech.on_resistance(t, w_p, "p", mode)
    current = as_float(read_voltage) / as_float(r_on) - as_float(read_voltage) / as_float(r_off)
    latency = 2.3 * r_pre * c_s1 + SENSE_SWING * (c_s1 + drain(w_n)) / current + 2.0 / as_float(clock_hz)
    count = as_float(count)
    area_one = 6.0 * _pitch_transistor_area(t, w_n, region, mode) + 5.0 * _pitch_transistor_area(t, w_p, region, mode)
    nand2 = gates.gate(t, "nand", 2, mode=mode)
    energy = SENSE_ENERGY_65NM * (t.vdd / 1.1) ** 2 * count
    return Cost(area_one * count, energy, latency + jnp.zeros_like(energy), 2.0 * nand2.leakage * count)


def sigmoid(params: SigmoidParams, config: ComponentConfig = ComponentConfig()) -> Cost:
    """All ``num_tables`` sigmoid tables: area, and one look-up on every table (energy) taking
    one table's latency (module docstring). The caller multiplies latency and energy by the
    look-ups (``⌈windows·C_out/numEntry⌉`` per layer and image in NeuroSim's chip).

    Args:
      params: :class:`SigmoidParams` (scalars).
      config: :class:`~cimjax.hw.components.params.ComponentConfig` (static).

    Returns:
      The :class:`~cimjax.hw.cost.Cost`; leakage is the tables' (NeuroSim's chip leakage leaves
      the chip-level units out, so the roll-up does not add it).
    """
    t = circuit_technology(params.circuit, config)
    mode = config.mode
    f = t.node
    bits, entries, tables = as_float(params.num_bits), as_float(params.num_entries), as_float(params.num_tables)
    address_bits = jnp.clip(jnp.ceil(jnp.log2(jnp.maximum(entries, 2.0))), ADDRESS_BITS[0], ADDRESS_BITS[-1])
    decoders = [_row_decoder(t, 2**a, 0.0, None, config) for a in ADDRESS_BITS]

    def pick(field):
        return jnp.select([address_bits == a for a in ADDRESS_BITS], [getattr(d, field) for d in decoders])

    dec = Cost(pick("area"), pick("energy"), pick("latency"), pick("leakage"))
    amp = voltage_sense_amp(t, bits, params.read_voltage, params.r_on, params.r_off, params.circuit.clock_hz, mode)
    cells = as_float(params.cell_height_f) * as_float(params.cell_width_f) * f * f * bits * entries
    return Cost(
        area=tables * (cells + dec.area + amp.area),
        energy=tables * (dec.energy + amp.energy),
        latency=dec.latency + amp.latency,
        leakage=tables * (dec.leakage + amp.leakage),
    )
