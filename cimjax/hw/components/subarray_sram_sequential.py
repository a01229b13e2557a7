"""The SRAM sub-array read row by row: NeuroSim's ``conventionalSequential`` with ``memcelltype = 1``.

Source: NeuroSim V2.0 (d4de5bc) ``SubArray.cpp`` — ``Initialize``, ``CalculateArea``,
``CalculateLatency`` and ``CalculatePower``, the SRAM ``conventionalSequential`` branches
(``Param.cpp`` ``operationmode = 1``, ``memcelltype = 1``); ``SenseAmp.cpp`` (the voltage sense
amplifier); ``RowDecoder.cpp``; ``ProcessingUnit.cpp`` (``numReadCellPerOperationNeuro = numCol``,
``numColPerSynapse``). Facts and formulas only, cimjax's own model of them, on the SRAM parts of
:mod:`~cimjax.hw.components.subarray_sram` / :mod:`~cimjax.hw.components.sram` (cell, wires,
bit-line delay, precharger, write driver), the row decoder of
:mod:`~cimjax.hw.components.subarray_sequential` and :mod:`~cimjax.hw.components.logic`. Valid
where the SRAM sub-array is ([7, 130] nm), one-bit cells (``Param.cpp`` forces ``cellBit = 1``).

**Forward read** (one input bit-vector): a WL decoder opens the active rows one at a time
(``n = rows·a_row`` reads, ``a_row`` NeuroSim's ``activityRowRead``); per read every bit-line
pair is precharged and develops (:func:`~.sram.bitline_read_delay`), ``cols`` voltage sense
amplifiers resolve it, and ``⌊cols/cellsPerWeight⌋`` adders of ``⌈log2 rows⌉ + 1`` bits with
their ``bits + 1`` DFFs each sum it. Latency ``n·(t_dec + t_pre + t_BL + t_SA + t_add +
t_DFF) + t_SA,shift`` (the shift-adder of ``bits + 1`` bits once, ``ShiftAdd::CalculateLatency(1)``);
energy ``n·(E_dec + E_pre + E_SA + E_add + E_DFF + E_shift)`` (NeuroSim charges the shift-adder
per row read, ``shiftAdd.CalculatePower(numRow·activityRowRead)``).

**Sense amplifier** (``SenseAmp.cpp``, voltage mode): load ``C = C_g((7.5 + 3.75)F) + C_d,N(3.75F)
+ C_d,P(7.5F) + C_d,P(12.5F) + C_d,N(9F)`` (drains folded in the column pitch); latency
``C/g_m·ln(V_dd/V_sense) + 1/f_clk`` with ``g_m`` approximated by ``1/R_on,N(3.75F) +
1/R_on,P(7.5F)`` (NeuroSim's ``current_gm`` tables are not in cimjax's technology; the clock term
dominates); energy ``C·V_dd²`` per amplifier and read; area ``2·A(7.5F P) + 2·A(3.75F N) +
A(12.5F) + A(5F)`` per amplifier, each transistor folded into the column pitch
(:func:`_pitch_transistor_area`); leakage ``I_off(5F)·V_dd²`` each, as released.

**Transposed read** the same on the rows (``cols·0.5`` reads, NeuroSim's fixed activity): a
decoder of ``⌈log2 cols⌉`` bits (load ``C_col``), the BP precharger (``rows`` lines, load
``C_row``), bit-line delay on ``C_row``/``R_row``, ``cols`` sense amplifiers (pitch
``L_col/rows``), ``⌊rows/cellsPerWeight⌋`` adders of ``⌈log2 cols⌉ + 1`` bits and their DFFs,
the shift-adder of ``bits + numReadPulseBP + 1`` bits (energy per read, latency 0: NeuroSim
computes only the forward shift-adder's latency in this branch).

**Area** (``CalculateArea``, SRAM sequential): height ``pre + WD + L_col + SA + adder + DFF +
shift-adder + decoder_BP`` (the BP decoder, given no height, stacks its ``2^n`` NOR gates in one
column), width ``decoder + L_row + SA_BP + DFF_BP + adder_BP + shift-adder_BP + pre_BP + WD_BP``.
Buckets: ADC = sense amplifiers + prechargers; accumulation = adders + DFFs + shift-adders;
other = decoders + write drivers. The weight update is the parallel SRAM sub-array's.
"""

from __future__ import annotations

import math

import jax.numpy as jnp

from cimjax.hw import relax, tech
from cimjax.hw.components import gates, logic, shift_adder, sram
from cimjax.hw.components.params import ComponentConfig, as_float
from cimjax.hw.components.subarray_geometry import access_drain_capacitance
from cimjax.hw.components.subarray_sequential import _row_decoder
from cimjax.hw.components.subarray_sram import _drivers, _geometry
from cimjax.hw.components.subarray_types import (COLUMN_ACTIVITY_AG, ArrayLike, ReadCost, SubArrayArea,
                                                 SubArrayConfig, SubArrayParams, SubArrayRead)
from cimjax.hw.cost import Cost

#: Sense-amplifier transistor widths, F (NeuroSim ``constant.h``): P, N, isolation, enable, mux.
W_SENSE_P, W_SENSE_N, W_SENSE_ISO, W_SENSE_EN, W_SENSE_MUX = 7.5, 3.75, 12.5, 5.0, 9.0


def _pitch_transistor_area(t: tech.Technology, width, pitch, mode: str):
    """Area of one transistor laid out in a region ``pitch`` tall (``formula.cpp``
    ``CalculateGateArea`` for an INV with one transistor type): diffusion up to ``pitch −
    (1 + 1.6/2)·2F``, folded into ``n = ⌈W/that⌉`` fingers, width ``(n + 1)`` gate pitches
    (``2`` unfolded); area ``pitch × width``. FinFET nodes: the fin-count folds of
    :func:`gates.finfet_layout` in the same region (NeuroSim's ×(34 // 28) leaves it ``pitch``)."""
    f = t.node
    pitch = as_float(pitch)
    gate_pitch = jnp.where(t.finfet, gates.POLY_WIDTH_F[1] + gates.GATE_POLY_SPACING_F[1],
                           gates.POLY_WIDTH_F[0] + gates.GATE_POLY_SPACING_F[0]) * f
    max_w = jnp.maximum(pitch - (gates.POLY_EXTENSION_F + 0.8) * 2.0 * f, 1e-3 * f)
    folds = relax.ceil(as_float(width) / max_w, mode)
    units = jnp.where(folds > 1.0, folds + 1.0, 2.0)
    fins, _ = gates.finfet_layout(t, width, 0.0, mode, region_height=pitch)
    units = jnp.where(t.finfet, fins.folds + 1.0, units)
    return pitch * units * gate_pitch


def _sense_amp(t: tech.Technology, count, pitch, min_sense_voltage, clock_hz, mode: str) -> Cost:
    """``count`` voltage sense amplifiers in a column pitch ``pitch``, one read each (module docstring)."""
    f = t.node
    c_load = (tech.gate_capacitance(t, (W_SENSE_P + W_SENSE_N) * f, mode)
              + sum(access_drain_capacitance(t, w * f, pitch, mode) for w in (W_SENSE_N, W_SENSE_P, W_SENSE_ISO,
                                                                               W_SENSE_MUX)))
    gm = 1.0 / tech.on_resistance(t, W_SENSE_N * f, "n", mode) + 1.0 / tech.on_resistance(t, W_SENSE_P * f, "p", mode)
    latency = c_load / gm * jnp.log(t.vdd / as_float(min_sense_voltage)) + 1.0 / as_float(clock_hz)
    area_one = 0.0
    for w, n in ((W_SENSE_P, 2.0), (W_SENSE_N, 2.0), (W_SENSE_ISO, 1.0), (W_SENSE_EN, 1.0)):
        area_one = area_one + n * _pitch_transistor_area(t, w * f, pitch, mode)
    count = as_float(count)
    leakage = tech.leakage_current(t, W_SENSE_EN * f, mode) * t.vdd**2 * count
    return Cost(area_one * count, c_load * t.vdd**2 * count, latency, leakage)


def _chains(p: SubArrayParams, config: SubArrayConfig, cell: sram.SramCellParams):
    cell = p.sram_cell if cell is None else cell
    g = _geometry(p, config, cell)
    rows, cols = as_float(p.rows), as_float(p.cols)
    cells_per_weight = as_float(p.synapse_bits)
    mode = config.mode
    w = g.wires
    clock = p.circuit.clock_hz
    bits_fw = math.ceil(math.log2(config.decoder_rows)) + 1.0
    bits_ag = jnp.ceil(jnp.log2(cols)) + 1.0
    n_add_fw, n_add_ag = jnp.floor(cols / cells_per_weight), jnp.floor(rows / cells_per_weight)
    nand2 = gates.gate(g.t, "nand", 2, mode=mode)
    cfg = config.sub(ComponentConfig)
    adder_fw = logic.adder_cost(g.t, nand2, bits_fw, n_add_fw)
    adder_fw = adder_fw._replace(area=logic.row_layout_area(9.0 * nand2.width, bits_fw * nand2.height, n_add_fw,
                                                            g.len_row, cfg))
    adder_ag = logic.adder_cost(g.t, nand2, bits_ag, n_add_ag)
    adder_ag = adder_ag._replace(area=logic.row_layout_area(nand2.height, 9.0 * bits_ag * nand2.width, n_add_ag,
                                                            g.len_col, cfg))
    dff_fw = logic.dff(logic.DffParams(p.circuit, (bits_fw + 1.0) * n_add_fw, 1.0, 0.0, g.len_row), cfg)
    dff_ag = logic.dff(logic.DffParams(p.circuit, (bits_ag + 1.0) * n_add_ag, 1.0, g.len_col, 0.0), cfg)
    sa_fw_p = shift_adder.ShiftAdderParams(p.circuit, bits_fw + 1.0, n_add_fw, 1.0, p.read_pulse_width, 1.0,
                                           p.num_bit_input)
    sa_ag_p = shift_adder.ShiftAdderParams(p.circuit, bits_ag + as_float(p.num_read_pulse_bp) + 1.0, n_add_ag, 1.0,
                                           p.read_pulse_width, 1.0, p.num_read_pulse_bp)
    sa_fw = shift_adder.shift_adder(sa_fw_p, cfg)
    sa_fw = sa_fw._replace(area=shift_adder.shift_adder_layout_area(sa_fw_p, g.len_row, "width", cfg))
    sa_ag = shift_adder.shift_adder(sa_ag_p, cfg)
    sa_ag = sa_ag._replace(area=shift_adder.shift_adder_layout_area(sa_ag_p, g.len_col, "height", cfg))
    on_fw = jnp.where(as_float(p.num_bit_input) > 1, 1.0, 0.0)
    on_ag = jnp.where(as_float(p.num_read_pulse_bp) > 1, 1.0, 0.0)
    sa_fw, sa_ag = Cost(*(on_fw * x for x in sa_fw)), Cost(*(on_ag * x for x in sa_ag))
    amp_fw = _sense_amp(g.t, cols, g.len_row / cols, cell.min_sense_voltage, clock, mode)
    amp_ag = _sense_amp(g.t, cols, g.len_col / rows, cell.min_sense_voltage, clock, mode)
    dec_fw = _row_decoder(g.t, config.decoder_rows, w.cap_row, g.len_col, config)
    dec_ag = _row_decoder(g.t, config.decoder_cols, w.cap_col, None, config)
    return g, (dec_fw, amp_fw, adder_fw, dff_fw, sa_fw), (dec_ag, amp_ag, adder_ag, dff_ag, sa_ag)


def subarray_area(params: SubArrayParams, config: SubArrayConfig, *,
                  cell: sram.SramCellParams | None = None) -> SubArrayArea:
    """Area of one sequential SRAM sub-array by bucket, its layout height and width, its leakage."""
    p = params
    g, (dec, amp, add, dff, sa), (dec_bp, amp_bp, add_bp, dff_bp, sa_bp) = _chains(p, config, cell)
    pre, wd = _drivers(p, config, g, 0.0, transposed=False)
    len_row, len_col = g.len_row, g.len_col
    height = (pre.read.area + wd.area + amp.area + add.area + dff.area + sa.area) / len_row + len_col
    width = dec.area / len_col + len_row
    adc = amp.area + pre.read.area
    accumulation = add.area + dff.area + sa.area
    other = dec.area + wd.area
    cells = as_float(p.rows) * as_float(p.cols)
    leakage = (cells * g.cell.leakage + dec.leakage + pre.read.leakage + wd.leakage + amp.leakage + add.leakage
               + dff.leakage + sa.leakage)
    if config.parallel_bp:
        pre_bp, wd_bp = _drivers(p, config, g, 0.0, transposed=True)
        w_pre, w_wd = sram.column_unit_widths(g.t, config.mode)
        n_bits = math.ceil(math.log2(config.decoder_cols))
        nor = gates.gate(g.t, "nor", max(1, math.ceil(n_bits / 2)), mode=config.mode)
        height = height + 2**n_bits * nor.height  # SubArray.cpp: height += wlDecoderBP.height
        width = width + (amp_bp.area + dff_bp.area + add_bp.area + sa_bp.area) / len_col + as_float(p.rows) * (w_pre + w_wd)
        adc = adc + amp_bp.area + pre_bp.read.area
        accumulation = accumulation + add_bp.area + dff_bp.area + sa_bp.area
        other = other + dec_bp.area + wd_bp.area
        leakage = (leakage + dec_bp.leakage + pre_bp.read.leakage + amp_bp.leakage + add_bp.leakage + dff_bp.leakage
                   + sa_bp.leakage)
    array = len_row * len_col
    return SubArrayArea(adc + accumulation + array + other, height, width, adc, accumulation, array, other, leakage)


def _read(other_t, other_e, adc_t, adc_e, acc_t, acc_e) -> ReadCost:
    zero = jnp.zeros_like(adc_e)
    return ReadCost(latency=other_t + adc_t + acc_t, energy=other_e + adc_e + acc_e, adc_latency=adc_t,
                    adc_energy=adc_e, accumulation_latency=acc_t, accumulation_energy=acc_e,
                    array_latency=jnp.zeros_like(adc_t), array_energy=zero, other_latency=other_t,
                    other_energy=other_e)


def subarray_read(params: SubArrayParams, config: SubArrayConfig, *, row_activity: ArrayLike,
                  weight_level: ArrayLike = 0.5, read_occupancy: ArrayLike = 1.0,
                  cell: sram.SramCellParams | None = None) -> SubArrayRead:
    """One input bit-vector read row by row, forward and transposed (module docstring)."""
    del weight_level, read_occupancy
    p = params
    g, (dec, amp, add, dff, sa), (dec_bp, amp_bp, add_bp, dff_bp, sa_bp) = _chains(p, config, cell)
    n = as_float(p.rows) * as_float(row_activity)
    pre, _ = _drivers(p, config, g, 0.0, transposed=False)
    cell = p.sram_cell if cell is None else cell
    t_bl = sram.bitline_read_delay(g.t, g.cell, g.wires, cell.min_sense_voltage)
    fw = _read(n * dec.latency, n * dec.energy,
               n * (pre.read.latency + t_bl + amp.latency), n * (pre.read.energy + amp.energy),
               n * (add.latency + dff.latency) + sa.latency, n * (add.energy + dff.energy + sa.energy))
    if not config.parallel_bp:
        return SubArrayRead(fw, ReadCost(*(jnp.zeros_like(x) for x in fw)))
    m = as_float(p.cols) * COLUMN_ACTIVITY_AG
    pre_bp, _ = _drivers(p, config, g, 0.0, transposed=True)
    rows_as_cols = g.wires._replace(cap_col=g.wires.cap_row, res_col=g.wires.res_row)
    t_bl_ag = sram.bitline_read_delay(g.t, g.cell, rows_as_cols, cell.min_sense_voltage)
    ag = _read(m * dec_bp.latency, m * dec_bp.energy,
               m * (pre_bp.read.latency + t_bl_ag + amp_bp.latency), m * (pre_bp.read.energy + amp_bp.energy),
               m * (add_bp.latency + dff_bp.latency), m * (add_bp.energy + dff_bp.energy + sa_bp.energy))
    return SubArrayRead(fw, ag)
