"""The eNVM (1T1R RRAM, FeFET) sub-array read row by row: NeuroSim's ``conventionalSequential``.

Source: NeuroSim V2.0 (d4de5bc) ``SubArray.cpp`` — ``Initialize``, ``CalculateArea``,
``CalculateLatency`` and ``CalculatePower``, the eNVM ``conventionalSequential`` branches
(``Param.cpp`` ``operationmode = 1``); ``ProcessingUnit.cpp`` (``GetColumnResistance`` with
``parallelRead`` false, ``ProcessingUnitCalculatePerformance`` handing ``levelOutput =
2^cellBit`` to the sub-array); ``WLNewDecoderDriver.cpp`` (the row driver);
``MultilevelSenseAmp.cpp`` (``parallel = false`` reference ladder). Facts and formulas only; this
is cimjax's own model of them, on the parts the parallel sub-array uses
(:mod:`~cimjax.hw.components.subarray_periphery`, :mod:`~cimjax.hw.components.logic`,
:mod:`~cimjax.hw.components.routing`). Valid where the parallel eNVM sub-array is
([7, 130] nm, 1T1R RRAM and FeFET cells), for 1–8-bit cells.

**What changes against the parallel read** (``SubArrayConfig.read_mode = "sequential"``):

* Rows are opened one at a time by a WL decoder and a ``WLNewDecoderDriver`` (NAND2 → INV →
  NAND2 → TG per row) instead of the new WL switch matrix. Each active row of an input
  bit-vector is one read of ``numColMuxed`` column groups, so one input vector costs
  ``n = rows·a_row`` reads (``a_row`` the row activity).
* Every read senses one cell per column: the column resistance is that of one cell path
  (``GetColumnResistance``: ``columnG/activatedRow``), the multilevel sense amplifiers have
  ``2^cellBit`` levels and the single-cell reference ladder ``R_on + (i+1)·R_off/L``
  (``MultilevelSenseAmp`` with ``parallel = false``).
* An adder of ``⌈log2 rows⌉ + cellBit`` bits and its ``(bits+1)`` DFFs per ADC sum the reads;
  the shift-adder then takes ``bits + 1`` bits (forward) and ``⌈log2 cols⌉ + cellBit +
  numReadPulseBP + 1`` (transposed).
* Latencies and energies of the decoder, driver, MLSA, encoder, adder and DFF scale with
  ``numColMuxed·n`` reads (forward) and ``numRowMuxedAG·cols·0.5`` (transposed, NeuroSim's
  fixed column activity); the column delay is ``0.2·C_col·R_avg·numColMuxed`` (one cell, not
  ``R_avg/(rows/2)``), the transposed row delay ``0.2·C_row·R_avg·numRowMuxedAG``.
* Array energy per read ``C_BL·V_read²·cols/numColMuxed + C_row2·V_dd²`` (one WL).

Quirks of NeuroSim V2.0 kept (they set its figures):

* The forward read energy (``readDynamicEnergy``) leaves out the MLSA and encoder energies;
  they are booked only in the ADC breakdown (``readDynamicEnergyADC``). So ``ReadCost.energy``
  is not the sum of its buckets here (forward only; the transposed energy includes them).
* The transposed MLSA is evaluated on the forward single-cell column resistances; the
  transposed "other" latency takes ``max(t_SLsw, (E_mux + E_dec)/numReadPulseBP)`` (joules as
  seconds, as in the parallel code; ``version.ag_mux_energy_as_latency``).
* The SL switch matrix is clocked once per transposed read (``numRowMuxedAG·cols·0.5`` times).

The transposed chain (:func:`ag_chain`, :func:`ag_area`, :func:`ag_read`) is also the parallel
eNVM sub-array's with ``parallelBP = false`` (:mod:`~cimjax.hw.components.subarray_envm`,
``SubArrayConfig.ag_row_by_row``): NeuroSim builds the same chain in that branch.

Area: ``height = SL switch + L_col + mux + MLSA + encoder + adder + DFF + shift-adder`` (the
blocks without a layout rule stretched along the array width), ``width = max(decoder +
driver, mux decoder) + L_row`` plus the transposed ``mux + MLSA + encoder + DFF + adder +
shift-adder`` stretched down the array height. Buckets: ADC = MLSA + encoder; accumulation =
adder + DFF + shift-adder; other = decoder, driver, switch matrix, muxes and mux decoders.
"""

from __future__ import annotations

import math

import jax.numpy as jnp

from cimjax.hw.components import gates, logic
from cimjax.hw.components.params import as_float
from cimjax.hw.components.subarray_geometry import column_resistance, geometry, switch_params
from cimjax.hw.components.subarray_periphery import SideInputs, side
from cimjax.hw.components.subarray_types import (COLUMN_ACTIVITY_AG, SENSE_SWING, ArrayLike, ReadCost,
                                                 SubArrayArea, SubArrayConfig, SubArrayParams, SubArrayRead)
from cimjax.hw.components.switch_matrix import switch_matrix_costs
from cimjax.hw import tech
from cimjax.hw.cost import Cost


def output_bits(rows, cell_bits):
    """Bits a sequential sub-array hands to the PE adder tree: ``⌈log2 rows + cellBit − 1⌉``
    (NeuroSim ``ProcessingUnit.cpp`` ``ProcessingUnitInitialize``, ``Chip.cpp``
    ``ChipInitialize``: the ``!parallelRead`` widths of the adder trees, buffers and global
    accumulation, where the parallel read has ``log2 levelOutput``)."""
    return jnp.ceil(jnp.log2(as_float(rows)) + as_float(cell_bits) - 1.0)


def _decoder_driver(t: tech.Technology, rows, cap_load, res_load, len_col, config: SubArrayConfig) -> Cost:
    """One row selected by ``WLNewDecoderDriver`` (NAND2 → INV → NAND2 → TG into the WL), one read.

    Latency the four-stage Horowitz chain (``τ_TG = R_TG·(2·C_TG,d + C_L) + R_L·C_L/2``);
    energy ``C_nand,in·V_dd² + (C_inv,out + C_TG,gn)·V_dd² + (C_nand,out + C_TG,g)·V_dd² +
    C_TG,d·V_read²`` per read, here with ``C_TG,gn`` taken as half the TG's gate capacitance and
    the last term at ``V_dd`` (the driver is < 1 % of a sequential read's energy); leakage two NAND2 and two INV per row; area: units of
    ``3·w_NAND2 + w_INV + 2·w_TG`` stacked down the array height (``WLNewDecoderDriver::CalculateArea``).
    """
    mode = config.mode
    nand = gates.gate(t, "nand", 2, mode=mode)
    inv = gates.gate(t, "inv", mode=mode)
    tg = gates.gate(t, "tg", mode=mode)
    stages = [(2.0 * nand.r_drive, nand.c_out + inv.c_in), (inv.r_drive, inv.c_out + 2.0 * nand.c_in),
              (2.0 * nand.r_drive, nand.c_out + tg.c_in)]
    t_gates, _ = gates.horowitz_chain(stages)
    tau_tg = tg.r_drive * (2.0 * tg.c_out + cap_load) + res_load * cap_load / 2.0
    latency = t_gates + tau_tg * math.log(2.0)
    energy = (nand.c_in + inv.c_out + 0.5 * tg.c_in + nand.c_out + tg.c_in + tg.c_out) * t.vdd**2
    rows = as_float(rows)
    h_unit = jnp.maximum(jnp.maximum(nand.height, inv.height), tg.height)
    per_col = jnp.maximum(config.floor(len_col / h_unit), 1.0)
    width = (3.0 * nand.width + inv.width + 2.0 * tg.width) * config.ceil(rows / per_col)
    leakage = 2.0 * (nand.leakage + inv.leakage) * rows
    return Cost(width * len_col, energy, latency, leakage)


def _row_decoder(t: tech.Technology, rows: int, cap_load, height, config: SubArrayConfig) -> Cost:
    """The WL decoder of the row-by-row read, one decode (``RowDecoder.cpp``, ``REGULAR_ROW``).

    2-bit predecoding: ``n = ⌈log2 rows⌉`` address INVs, ``4·⌊n/2⌋`` NAND2, ``2^n`` NOR gates
    of ``⌈n/2⌉`` inputs and two 3×-sized output INVs per row. Latency the Horowitz chain INV →
    NAND2 (loaded by ``2^n/4`` NOR inputs) → NOR → INV(3×) → INV(3×) into ``cap_load`` (the
    WL, ``C_row2``). Energy per decode (``CalculatePower``, every address bit rising): the
    address INVs into two NAND2 inputs each (an odd bit into ``2^n/2`` NOR inputs), one NAND2
    of each group of four into ``2^n/4`` NOR inputs, one NOR output and the two driver INVs'
    own capacitances (not the WL load). Area: laid out down the array height ``height``
    (``CalculateArea`` with a height): columns of ``⌊height/h_gate⌋`` gates of each kind, two
    driver INVs per NOR column, one M3 track (2.8F) per NAND2-to-NOR connection; area =
    height × width; ``height=None`` (``CalculateArea`` given neither side): one column of every
    gate, ``2^n`` NOR gates tall. Leakage: every gate.
    """
    n_bits = math.ceil(math.log2(rows))
    pairs, odd = divmod(n_bits, 2)
    n_nand = 4 * pairs
    n_nor = 2**n_bits if n_bits > 2 else 0
    n_metal = n_nand + odd * 2 if n_bits > 2 else 0
    mode = config.mode
    inv = gates.gate(t, "inv", mode=mode)
    nand = gates.gate(t, "nand", 2, mode=mode)
    nor = gates.gate(t, "nor", max(1, math.ceil(n_bits / 2)), mode=mode)
    drv = gates.gate(t, "inv", size=3.0, mode=mode)
    cap_load = as_float(cap_load)
    stages = [(inv.r_drive, inv.c_out + 2.0 * nand.c_in), (nand.r_drive, nand.c_out + nor.c_in * n_nor / 4.0),
              (nor.r_drive, nor.c_out + drv.c_in), (drv.r_drive, drv.c_out + drv.c_in), (drv.r_drive, drv.c_out + cap_load)]
    latency, _ = gates.horowitz_chain(stages)
    energy = ((inv.c_in + 2.0 * nand.c_in) * 2 * pairs + (inv.c_in + nor.c_in * n_nor / 2.0) * odd
              + (nand.c_out + nor.c_in * n_nor / 4.0) * n_nand / 4.0 + (nor.c_out + inv.c_in)
              + 2.0 * (drv.c_in + drv.c_out)) * t.vdd**2
    leakage = n_bits * inv.leakage + n_nand * nand.leakage + n_nor * (nor.leakage + 2.0 * drv.leakage)

    def columns(count, g):
        if count == 0:
            return 0.0
        per_col = jnp.clip(config.floor(height / g.height), 1.0, float(count))
        return config.ceil(count / per_col)

    if height is None:
        height = jnp.maximum(nor.height * n_nor, nand.height * n_nand)
        width = inv.width + nand.width + 2.8 * n_metal * t.node + nor.width + 2.0 * drv.width
        return Cost(height * width, energy, latency + jnp.zeros_like(energy), leakage + jnp.zeros_like(energy))
    col_nor = columns(n_nor, nor)
    width = (inv.width * columns(n_bits, inv) + nand.width * columns(n_nand, nand) + 2.8 * n_metal * t.node
             + nor.width * col_nor + 2.0 * drv.width * col_nor)
    return Cost(height * width, energy, latency + jnp.zeros_like(energy), leakage + jnp.zeros_like(energy))


def ag_chain(p: SubArrayParams, config: SubArrayConfig, g, r_mlsa, mux_res, occupancy=1.0):
    """The row-by-row transposed chain: ``(side, adder, dff)`` of MLSAs of ``2^cellBit`` levels
    with the single-cell reference ladder, an adder of ``⌈log2 cols⌉ + cellBit`` bits and its
    DFFs per ADC and a shift-adder of ``⌈log2 cols⌉ + cellBit + numReadPulseBP + 1`` bits
    (``SubArray.cpp`` ``Initialize``: the eNVM ``conventionalSequential`` branch and the
    ``conventionalParallel`` ``!parallelBP`` branch build the same chain). ``r_mlsa``: the column
    resistance the MLSA is evaluated on (NeuroSim passes the forward ``columnResistance``);
    ``mux_res``: the mux TG resistance."""
    rows, cols = as_float(p.rows), as_float(p.cols)
    cell_bits = as_float(p.cell_bits)
    ag_bits = jnp.ceil(jnp.log2(cols)) + cell_bits
    one = SubArrayParams(*p)._replace(rows=1.0)  # MLSA reference ladder of one cell (parallel = false)
    x_ag = SideInputs(0.0, 2.0**cell_bits, p.rows_per_adc_ag, rows, p.num_read_pulse_bp,
                      ag_bits + as_float(p.num_read_pulse_bp) + 1.0 - cell_bits, r_mlsa, cols, mux_res, occupancy)
    ag = side(one, config, g, SideInputs(*(as_float(v) for v in x_ag)), static_mux=config.num_row_muxed_ag)
    n_adc_ag = rows / as_float(p.rows_per_adc_ag)
    nand2 = gates.gate(g.t, "nand", 2, mode=config.mode)
    adder_ag = logic.adder_cost(g.t, nand2, ag_bits, n_adc_ag)
    # Adder.cpp CalculateArea: the transposed adders in columns down the array height.
    adder_ag = adder_ag._replace(area=logic.row_layout_area(nand2.height, 9.0 * ag_bits * nand2.width, n_adc_ag,
                                                            g.len_col, config))
    dff_ag = logic.dff(logic.DffParams(p.circuit, (ag_bits + 1.0) * n_adc_ag, 1.0, g.len_col, 0.0), config)
    return ag, adder_ag, dff_ag


def ag_area(g, ag, adder_ag, dff_ag):
    """``(width, adc, accumulation, other, leakage)`` the row-by-row transposed chain adds to a
    sub-array (``SubArray.cpp`` ``CalculateArea``: mux, MLSA, encoder, DFF, adder and
    shift-adder stretched down the array height; the SL switch matrix not included)."""
    mux_w = jnp.maximum(ag.mux.area / g.len_col, ag.dec_extent)
    width = mux_w + ag.mlsa.area / g.len_col + ag.enc_fp.width + (dff_ag.area + adder_ag.area + ag.sa.area) / g.len_col
    adc = ag.mlsa.area + ag.enc.area
    accumulation = adder_ag.area + dff_ag.area + ag.sa.area
    other = mux_w * g.len_col + ag.dec.area
    leakage = ag.mux.leakage + ag.dec.leakage + ag.enc.leakage + adder_ag.leakage + dff_ag.leakage + ag.sa.leakage
    return width, adc, accumulation, other, leakage


def ag_read(p: SubArrayParams, config: SubArrayConfig, g, chain, per_read_array, r_delay,
            mux_energy_as_latency: bool) -> ReadCost:
    """One transposed input vector read row by row (``SubArray.cpp`` ``CalculateLatency`` /
    ``CalculatePower``, the same two branches as :func:`ag_chain`): ``numCol·0.5`` reads of
    ``numRowMuxedAG`` groups. ``per_read_array``: array energy of one read;
    ``r_delay``: the resistance of the row delay ``0.2·C_row·r_delay·numRowMuxedAG``
    (``R_avg`` sequential, ``R_avg/(cols/2)`` parallel); ``mux_energy_as_latency``: the
    joules-as-seconds mux term (module docstring)."""
    ag, adder_ag, dff_ag = chain
    rows, cols = as_float(p.rows), as_float(p.cols)
    rpa, n_bp = as_float(p.rows_per_adc_ag), as_float(p.num_read_pulse_bp)
    n_cols = cols * COLUMN_ACTIVITY_AG  # NeuroSim's numCol·activityBPColRead transposed reads
    n_reads_ag = n_cols * rpa
    sl = switch_matrix_costs(*switch_params(p, config, g, which="sl", num_reads=n_reads_ag)).read
    mux_term = (ag.mux.energy + ag.dec.energy) if mux_energy_as_latency else (ag.mux.latency + ag.dec.latency)
    t_row = SENSE_SWING * g.cap_row_ag * r_delay * rpa
    other_t_ag = jnp.maximum(sl.latency, mux_term / n_bp) + t_row / n_bp
    other_e_ag = sl.energy + (ag.mux.energy + ag.dec.energy) / n_bp
    adc_t_ag = (ag.mlsa.latency + ag.enc.latency) * n_cols
    e_arr_ag = per_read_array * rows * COLUMN_ACTIVITY_AG * rpa
    adc_e_ag = (ag.mlsa.energy + ag.enc.energy) * n_cols + e_arr_ag
    acc_t_ag = (adder_ag.latency + dff_ag.latency) * n_reads_ag + ag.sa.latency
    acc_e_ag = (adder_ag.energy + dff_ag.energy) * n_reads_ag + ag.sa.energy
    zero = jnp.zeros_like(adc_e_ag)
    return ReadCost(latency=other_t_ag + adc_t_ag + acc_t_ag, energy=other_e_ag + adc_e_ag + acc_e_ag,
                    adc_latency=adc_t_ag, adc_energy=adc_e_ag, accumulation_latency=acc_t_ag,
                    accumulation_energy=acc_e_ag, array_latency=zero, array_energy=zero,
                    other_latency=other_t_ag, other_energy=other_e_ag)


def _parts(params: SubArrayParams, config: SubArrayConfig, row_activity=0.5, weight_level=0.5):
    """Geometry, the forward and transposed periphery chains and the row decoder/driver."""
    p, g = params, geometry(params, config)
    rows, cols = as_float(p.rows), as_float(p.cols)
    cell_bits = as_float(p.cell_bits)
    levels = 2.0 ** cell_bits
    # One cell per column: GetColumnResistance's columnG/activatedRow is one mean cell path.
    r_one = column_resistance(p, config, g, 1.0, weight_level, cols, rows)
    fw_bits = jnp.ceil(jnp.log2(rows)) + cell_bits  # adder bits; shift-adder adderBit + 1
    one = SubArrayParams(*p)._replace(rows=1.0)  # MLSA reference ladder of one cell (parallel = false)
    x_fw = SideInputs(1.0, levels, p.columns_per_adc, cols, p.num_bit_input, fw_bits + 1.0 - cell_bits, r_one,
                      cols, g.r_cell_on, 1.0)
    fw = side(one, config, g, SideInputs(*(as_float(v) for v in x_fw)), static_mux=config.num_col_muxed)
    ag, adder_ag, dff_ag = ag_chain(p, config, g, r_one, g.r_cell_on)
    n_adc_fw = cols / as_float(p.columns_per_adc)
    nand2 = gates.gate(g.t, "nand", 2, mode=config.mode)
    adder_fw = logic.adder_cost(g.t, nand2, fw_bits, n_adc_fw)
    # Adder.cpp CalculateArea: the forward adders in rows across the array width (an adder
    # 9 NAND2 wide, numBit NAND2 tall).
    adder_fw = adder_fw._replace(area=logic.row_layout_area(9.0 * nand2.width, fw_bits * nand2.height, n_adc_fw,
                                                            g.len_row, config))
    dff_fw = logic.dff(logic.DffParams(p.circuit, (fw_bits + 1.0) * n_adc_fw, 1.0, 0.0, g.len_row), config)
    dec = _row_decoder(g.t, config.decoder_rows, g.cap_row2, g.len_col, config)
    drv = _decoder_driver(g.t, rows, g.cap_row2, g.res_row, g.len_col, config)
    return g, fw, ag, (adder_fw, dff_fw, adder_ag, dff_ag, dec, drv)


def subarray_area(params: SubArrayParams, config: SubArrayConfig) -> SubArrayArea:
    """Area of one sequential sub-array by bucket, its layout height and width, its leakage."""
    g, fw, ag, (adder_fw, dff_fw, adder_ag, dff_ag, dec, drv) = _parts(params, config)
    _, _, sl_fp = switch_matrix_costs(*switch_params(params, config, g, which="sl"))
    sl = switch_matrix_costs(*switch_params(params, config, g, which="sl"))[0]
    mux_h = jnp.maximum(fw.mux.area / g.len_row, fw.dec_extent)
    height = (sl_fp.height + g.len_col + mux_h + fw.mlsa.area / g.len_row + fw.enc_fp.height
              + (adder_fw.area + dff_fw.area + fw.sa.area) / g.len_row)
    dec_w = dec.area / g.len_col
    width = jnp.maximum(dec_w + drv.area / g.len_col, fw.dec.area / jnp.maximum(fw.dec_extent, 1e-30)) + g.len_row
    adc = fw.mlsa.area + fw.enc.area
    accumulation = adder_fw.area + dff_fw.area + fw.sa.area
    other = dec.area + drv.area + sl.area + mux_h * g.len_row + fw.dec.area
    leakage = (dec.leakage + drv.leakage + sl.leakage + fw.mux.leakage + fw.dec.leakage + fw.enc.leakage
               + adder_fw.leakage + dff_fw.leakage + fw.sa.leakage)
    if config.parallel_bp:
        w_ag, adc_ag, acc_ag, other_ag, leak_ag = ag_area(g, ag, adder_ag, dff_ag)
        width, adc, accumulation, other = width + w_ag, adc + adc_ag, accumulation + acc_ag, other + other_ag
        leakage = leakage + sl.leakage + leak_ag
    array = g.len_row * g.len_col
    return SubArrayArea(adc + accumulation + array + other, height, width, adc, accumulation, array, other, leakage)


def subarray_read(params: SubArrayParams, config: SubArrayConfig, *, row_activity: ArrayLike,
                  weight_level: ArrayLike, read_occupancy: ArrayLike = 1.0) -> SubArrayRead:
    """One input bit-vector read row by row, forward and transposed (module docstring).

    ``read_occupancy`` is not needed: an empty input vector opens no row (``n = 0`` reads).
    """
    del read_occupancy
    p = params
    g, fw, ag, (adder_fw, dff_fw, adder_ag, dff_ag, dec, drv) = _parts(p, config, row_activity, weight_level)
    rows, cols = as_float(p.rows), as_float(p.cols)
    cpa, n_in = as_float(p.columns_per_adc), as_float(p.num_bit_input)
    n_rows = rows * as_float(row_activity)  # rows opened, one read each
    n_reads = n_rows * cpa  # column groups read
    vdd2, vr2 = g.t.vdd**2, as_float(p.read_voltage) ** 2
    cap_bl = g.len_col * as_float(p.circuit.wire_capacitance)
    read_cells = cols / cpa
    per_read_array = cap_bl * vr2 * read_cells + g.cap_row2 * vdd2

    t_col = SENSE_SWING * g.cap_col * g.r_cell_avg * cpa
    other_t = jnp.maximum((dec.latency + drv.latency) * n_reads, (fw.mux.latency + fw.dec.latency) / n_in) + t_col / n_in
    other_e = (dec.energy + drv.energy) * n_reads + (fw.mux.energy + fw.dec.energy) / n_in
    adc_t = (fw.mlsa.latency + fw.enc.latency) * n_rows
    e_arr = per_read_array * n_reads
    adc_e = (fw.mlsa.energy + fw.enc.energy) * n_rows + e_arr
    acc_t = (adder_fw.latency + dff_fw.latency) * n_reads + fw.sa.latency
    acc_e = (adder_fw.energy + dff_fw.energy) * n_reads + fw.sa.energy
    zero = jnp.zeros_like(adc_e)
    fw_cost = ReadCost(latency=other_t + adc_t + acc_t, energy=other_e + acc_e + e_arr,
                       adc_latency=adc_t, adc_energy=adc_e, accumulation_latency=acc_t, accumulation_energy=acc_e,
                       array_latency=zero, array_energy=zero, other_latency=other_t, other_energy=other_e)
    if not config.parallel_bp:
        return SubArrayRead(fw_cost, ReadCost(*(jnp.zeros_like(x) for x in fw_cost)))

    ag_cost = ag_read(p, config, g, (ag, adder_ag, dff_ag), per_read_array, g.r_cell_avg,
                      config.version.ag_mux_energy_as_latency)
    return SubArrayRead(fw_cost, ag_cost)
