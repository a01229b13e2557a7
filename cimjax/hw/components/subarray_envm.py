"""The eNVM (1T1R RRAM, FeFET) sub-array: area and one read, forward and transposed.

Source: docs/model.md §5.4 (NeuroSim V2.0 ``SubArray.cpp``, conventional parallel mode, ``parallelBP``),
§5.5 (``GetWriteUpdateEstimation`` in ``ProcessingUnit.cpp``), ``GetColumnResistance`` /
``GetRowResistance`` (``ProcessingUnit.cpp``) and ``Param.cpp`` wire values — facts and formulas
only. The geometry is :mod:`~cimjax.hw.components.subarray_geometry`, the periphery chains
:mod:`~cimjax.hw.components.subarray_periphery`. Built from :mod:`~cimjax.hw.components.mlsa`, :mod:`~cimjax.hw.components.switch_matrix`,
:mod:`~cimjax.hw.components.routing` (mux, mux decoder) and :mod:`~cimjax.hw.components.shift_adder`
(shift-adder). Valid for nodes in [7, 130] nm, 1T1R RRAM (default) and FeFET cells, ADCs of
2–256 levels. ``SubArrayConfig(cell="sram")`` dispatches :func:`subarray_area`,
:func:`subarray_read`, :func:`subarray_write` and :func:`check_subarray_params` to
:mod:`~cimjax.hw.components.subarray_sram` (the transposable SRAM sub-array, same types and
buckets); everything below describes the eNVM (1T1R/FeFET) sub-array. A cross-point RRAM array
(``SubArrayConfig.access = "none"``, NeuroSim's ``accesstype = 4``) is the same read and area with
the geometry of :func:`~cimjax.hw.components.subarray_geometry.cross_point_geometry` (no access
transistor, cells of ``featuresize``) and a classic WL switch matrix (``SubArray.cpp``, cross-point
branches); its write is :mod:`~cimjax.hw.components.subarray_write`'s V/2 write.

**Empty reads** (``read_occupancy``, the fraction of reads, i.e. input bit planes of a window on
a sub-array, with at least one active row). NeuroSim evaluates the MLSA per read; a read with no
active row has all columns open and costs the MLSA almost nothing (:func:`~.mlsa.mlsa`). The
MLSAs (both directions: NeuroSim's transposed MLSA uses the same forward column resistances)
are therefore evaluated on an *occupied* read, with ``row_activity/read_occupancy`` of the rows
active, and weighted by ``read_occupancy``; every other term is linear in the activity and
keeps the mean ``row_activity``. ``read_occupancy = 1`` (default) is i.i.d.-like input bits;
post-ReLU 8-bit two's-complement inputs never set the sign plane (``≤ 7/8``). Per-wire-cell resistances follow
``Param.cpp``: row wire ``r_w·wireWidth·h_cell``, column wire ``r_w·wireWidth·w_cell``.

**Forward read** (one input bit-vector): ``max(t_WLsw, (t_mux + t_dec)/numReadPulse) + t_MLSA +
t_enc + t_SA + t_col/numReadPulse``, ``t_col = 0.2·C_col·R_avg/(rows/2)·numColMuxed``; energy
``E_WLsw + (E_mux + E_dec)/numReadPulse + E_MLSA + E_enc + E_SA + E_array`` with ``E_array =
(C_BL·V_read²·cols/numColMuxed + C_row2·V_dd²·rows·a_row)·numColMuxed``. **Transposed (AG)**: SL
switch matrix (read ``numRowMuxedAG`` times), row mux and decoder, MLSA of ``levelOutputAG``,
encoder, shift-adder of ``log2 L_AG + numReadPulseBP + 1`` bits; row delay ``0.2·C_row·R_avg/
(cols/2)·numRowMuxedAG`` (``C_row`` = wire + access drains); array energy as forward with half the
columns active (NeuroSim's hard-coded 0.5) and ``numRowMuxedAG``. With
``SubArrayConfig.ag_row_by_row`` (NeuroSim's ``parallelBP = false``, ``SubArray.cpp``
``conventionalParallel`` ``!parallelBP`` branches) the transposed side is instead the row-by-row
chain of :func:`~cimjax.hw.components.subarray_sequential.ag_chain` (MLSAs of ``2^cellBit``
levels on the forward column resistances, adder and DFF per ADC, ``numCol·0.5`` reads), with the
parallel row delay ``0.2·C_row·R_avg/(cols/2)·numRowMuxedAG``.

Buckets (:class:`ReadCost`): ADC = MLSA + encoder (+ ``E_array`` in energy, NeuroSim's
booking); accumulation = shift-adder; array = the column/row RC delay (its energy is 0, booked
under ADC); other = the switch-matrix/mux ``max`` term. NeuroSim's "Synaptic array w/o ADC" is
``array + other``.

Quirks of NeuroSim V2.0, as released by default (``SubArrayConfig.version`` flags):

* ``ag_column_resistance_forward``: the AG MLSA is evaluated with the *forward column*
  resistances (False: the row resistance with half the columns active, ``rows`` entries).
* ``ag_mux_energy_as_latency``: the AG latency takes ``max(t_SLsw, (E_mux + E_dec)/8)`` —
  energies in joules, so effectively ``t_SLsw`` (False: mux and decoder latencies).
* ``sl_write_pulses_unset``: the SL switch matrix's write energy uses a pulse count read
  before it is set (0) (False: ``write_pulses/rows``, the intended ``numWritePulseAVG``).
* The SL switch matrix leakage is counted twice (forward and transposed branches).

**March 2020 code** (the ``version`` flags named below): NeuroSim V2.0's first
public release, commit bf95f9c (2020-03-15), ``SubArray.cpp`` (eNVM, conventional parallel mode),
``MultilevelSenseAmp.cpp``, ``CurrentSenseAmp.cpp``, ``MultilevelSAEncoder.cpp`` (facts and
formulas only). Same valid range. In the read path it differs from the current code in:

* the MLSA area, column energy (an energy summed over the reference ladder) and reads per action
  (``numRead = numColMuxed`` / ``numRowMuxedBP`` times every column), and the encoder layout
  (:mod:`~cimjax.hw.components.mlsa`, "March 2020 code");
* the access transistor width (``access_width_ir_drop``) ``W_acc = R_on,n(1F)·2·0.25/R_acc`` (``IR_DROP_TOLERANCE·2``; the
  current code ``LINEAR_REGION_RATIO`` = 0.2), which sets ``C_row2``, ``C_col`` and ``C_row`` (AG);
* the forward shift-adder (``forward_shift_adder_input_bits``) of ``log2 L + numReadPulse + 1`` bits (the current code ``log2 L + 1``;
  the AG shift-adder has ``numReadPulseBP + 1`` extra bits in both);
* the shift-adders' area (``shift_adder_bounding_box``): ``ShiftAdd::CalculateArea``'s bounding box
  (:func:`~cimjax.hw.components.shift_adder.shift_adder_layout_area`), the forward units across the
  array width ``L_row``, the AG units down its height ``L_col`` (the current code: the gates'
  sum; Fig. 34 accumulation area 0.88× → 0.99× of the March code's); the layout extents stay
  ``area/L_row`` and ``area/L_col`` (the AG box is ``L_col + h_cell`` tall, a ~2 % wider extent);
* the SL switch matrix TG resistance (``sl_switch_half_cell_resistance``) ``R_on,cell/2`` (``resTg·rows`` with ``resTg =
  R_on,cell/rows/2`` and no IR-drop factor; the current code ``0.25·R_on,cell``), passed to the
  classic matrix as ``res_tg = 2·R_on,cell``: its ``τ`` (SL read latency, the AG "other" term,
  and the SL write latency) is the March one; its TG widths are not (``R_on(1F)·F/R_on,cell``
  in bf95f9c, 5× the emulated ones; tiny either way at ``R_on`` = 500 kΩ);
* the sub-array leakage (``subarray_leakage_forward_only``): the forward periphery and the SL matrix once, no transposed periphery
  (``CalculatePower`` resets it after the AG branch).
* the AG "other" latency adds the mux and decoder *latencies* (``envm_ag_mux_latencies``;
  ``ag_mux_energy_as_latency`` is a later code's and is ignored).

The column/row delays and the latency/energy bookings are the same in both (with ``numColMuxed
> 1``). Not modelled (they need :mod:`~cimjax.hw.components.routing` /
:mod:`~cimjax.hw.components.switch_matrix` options): the March mux TGs (``resTg =
R_on,cell/rows/2`` without the IR-drop and linear-region factors: 2.5× wider, e.g. 17F against
6.8F NMOS in the Fig. 34 chip, and ``R = R_on,cell/rows`` in the mux delay; the mux is a few % of
the sub-array "other" area and its delay is hidden by the WL switch matrix there), and the WL
switch matrix's read energy on the row activity it was initialised with.

**Area.** ``height = SL switch + L_col + mux + MLSA + encoder + shift-adder``, ``width =
max(WL switch, mux decoder) + L_row + row mux + MLSA_AG + encoder_AG + shift-adder_AG``; blocks
without a layout rule here (MLSA, shift-adders, muxes) are stretched along the edge they abut
(``height = area/L_row``, ``width = area/L_col``); the mux is at least as tall (wide, AG) as its
decoder, whose footprint is ``num_outputs`` cell heights by ``area/that``.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from cimjax.hw.components import subarray_sequential as seq
from cimjax.hw.components.params import as_float
from cimjax.hw.components.subarray_geometry import column_resistance, geometry, switch_params
from cimjax.hw.components.subarray_periphery import Side, SideInputs, both_sides, side
from cimjax.hw.components.subarray_types import (COLUMN_ACTIVITY_AG, SENSE_SWING, ArrayLike, ReadCost,
                                                 SubArrayArea, SubArrayConfig, SubArrayParams, SubArrayRead)
from cimjax.hw.components.switch_matrix import switch_matrix_costs


def check_subarray_params(params: SubArrayParams, config: SubArrayConfig = SubArrayConfig()) -> None:
    """Eager checks NeuroSim aborts on (call outside ``jit`` with concrete params).

    Raises:
      ValueError: the 1T1R access transistor is wider than the cell (``r_on`` too small for
        ``cell_width_f``), or the static mux sizes disagree with the traced ones.
    """
    g = geometry(params, config)
    width, cell = np.asarray(g.access_width_f), np.asarray(params.cell_width_f)
    if config.access == "cmos" and np.any(width > cell):
        raise ValueError(
            f"SubArrayParams.r_on = {params.r_on!r}: the 1T1R access transistor ({width}F) is wider than "
            f"cell_width_f = {params.cell_width_f!r} (NeuroSim aborts); raise r_on or cell_width_f"
        )
    for static, traced in (("num_col_muxed", "columns_per_adc"), ("num_row_muxed_ag", "rows_per_adc_ag")):
        if not np.all(np.asarray(getattr(params, traced)) == getattr(config, static)):
            raise ValueError(f"SubArrayParams.{traced} = {getattr(params, traced)!r} != SubArrayConfig.{static}")


def sides(params: SubArrayParams, config: SubArrayConfig, row_activity, weight_level, read_occupancy=1.0):
    """``(geometry, forward side, AG side or None)`` of one read (module docstring)."""
    p, g = params, geometry(params, config)
    rows, cols = as_float(p.rows), as_float(p.cols)
    occ, act = as_float(read_occupancy), as_float(row_activity)
    act_occupied = jnp.where(occ > 0, jnp.minimum(act / jnp.where(occ > 0, occ, 1.0), 1.0), 0.0)
    r_col = column_resistance(p, config, g, act_occupied * rows, weight_level, cols, rows)
    # Shift-adder bits beyond log2 L: 1 (d4de5bc); bf95f9c added the input bits (numReadPulse + 1);
    # V2.1 (shift_adder_cell_bits): numCellPerSynapse on both sides (the AG side: not numReadPulseBP + 1).
    if config.version.shift_adder_cell_bits:
        fw_extra = ag_extra = as_float(p.cells_per_weight)
    else:
        fw_extra = as_float(p.num_bit_input) + 1.0 if config.version.forward_shift_adder_input_bits else 1.0
        ag_extra = as_float(p.num_read_pulse_bp) + 1.0
    x_fw = SideInputs(1.0, p.adc_levels, p.columns_per_adc, cols, p.num_bit_input, fw_extra, r_col, cols,
                       g.r_cell_on / rows / 2.0, occ)
    x_fw = SideInputs(*(as_float(v) for v in x_fw))
    if not config.parallel_bp:
        return g, side(p, config, g, x_fw, static_mux=config.num_col_muxed), None
    if config.ag_row_by_row:
        # parallelBP = false: the row-by-row AG chain, its MLSA on the forward column resistances.
        fw = side(p, config, g, x_fw, static_mux=config.num_col_muxed)
        return g, fw, seq.ag_chain(p, config, g, r_col, g.r_cell_on / cols / 2.0, occ)
    if config.version.ag_column_resistance_forward:
        r_ag, n_ag, occ_ag = r_col, cols, occ
    else:
        r_ag = column_resistance(p, config, g, COLUMN_ACTIVITY_AG * cols, weight_level, rows, cols)
        n_ag, occ_ag = rows, 1.0
    x_ag = SideInputs(0.0, p.adc_levels_ag, p.rows_per_adc_ag, rows, p.num_read_pulse_bp,
                       ag_extra, r_ag, n_ag, g.r_cell_on / cols / 2.0, occ_ag)
    x_ag = SideInputs(*(as_float(v) for v in x_ag))
    if config.num_col_muxed == config.num_row_muxed_ag:
        fw, ag = both_sides(p, config, g, x_fw, x_ag)
    else:
        fw = side(p, config, g, x_fw, static_mux=config.num_col_muxed)
        ag = side(p, config, g, x_ag, static_mux=config.num_row_muxed_ag)
    return g, fw, ag


def subarray_area(params: SubArrayParams, config: SubArrayConfig = SubArrayConfig()) -> SubArrayArea:
    """Area of one sub-array by bucket, its layout height and width, and its leakage (module docstring).

    Args:
      params: :class:`SubArrayParams` (scalars).
      config: :class:`SubArrayConfig` (static).

    Returns:
      The :class:`SubArrayArea`.
    """
    g, fw, ag = sides(params, config, 0.5, 0.5)
    wl, _, wl_fp = switch_matrix_costs(*switch_params(params, config, g, which="wl"))
    sl, _, sl_fp = switch_matrix_costs(*switch_params(params, config, g, which="sl"))
    mux_h = jnp.maximum(fw.mux.area / g.len_row, fw.dec_extent)
    height = sl_fp.height + g.len_col + mux_h + fw.mlsa.area / g.len_row + fw.enc_fp.height + fw.sa.area / g.len_row
    width = jnp.maximum(wl_fp.width, fw.dec.area / jnp.maximum(fw.dec_extent, 1e-30)) + g.len_row
    adc = fw.mlsa.area + fw.enc.area
    accumulation = fw.sa.area
    other = wl.area + sl.area + mux_h * g.len_row + fw.dec.area
    leakage = wl.leakage + 2.0 * sl.leakage + fw.mux.leakage + fw.dec.leakage + fw.enc.leakage + fw.sa.leakage
    if config.parallel_bp and config.ag_row_by_row:
        w_ag, adc_ag, acc_ag, other_ag, leak_ag = seq.ag_area(g, *ag)
        width, adc, accumulation, other = width + w_ag, adc + adc_ag, accumulation + acc_ag, other + other_ag
        leakage = leakage + leak_ag
    elif ag is not None:
        mux_w = jnp.maximum(ag.mux.area / g.len_col, ag.dec_extent)
        width = width + mux_w + ag.mlsa.area / g.len_col + ag.enc_fp.width + ag.sa.area / g.len_col
        adc = adc + ag.mlsa.area + ag.enc.area
        accumulation = accumulation + ag.sa.area
        other = other + mux_w * g.len_col + ag.dec.area
        leakage = leakage + ag.mux.leakage + ag.dec.leakage + ag.enc.leakage + ag.sa.leakage
    else:
        leakage = leakage - sl.leakage
    if config.version.subarray_leakage_forward_only:
        # bf95f9c SubArray::CalculatePower (eNVM, conventional parallel) resets the leakage after
        # the transposed branch: forward periphery and the SL matrix once, no AG periphery.
        leakage = wl.leakage + sl.leakage + fw.mux.leakage + fw.dec.leakage + fw.enc.leakage + fw.sa.leakage
    array = g.len_row * g.len_col
    return SubArrayArea(adc + accumulation + array + other, height, width, adc, accumulation, array, other, leakage)


def _read_cost(other_t, other_e, side: Side, array_t, array_e) -> ReadCost:
    adc_t, adc_e = side.mlsa.latency + side.enc.latency, side.mlsa.energy + side.enc.energy + array_e
    return ReadCost(
        latency=other_t + adc_t + side.sa.latency + array_t, energy=other_e + adc_e + side.sa.energy,
        adc_latency=adc_t, adc_energy=adc_e, accumulation_latency=side.sa.latency,
        accumulation_energy=side.sa.energy, array_latency=array_t, array_energy=jnp.zeros_like(adc_e),
        other_latency=other_t, other_energy=other_e,
    )


def subarray_read(params: SubArrayParams, config: SubArrayConfig = SubArrayConfig(), *, row_activity: ArrayLike,
                  weight_level: ArrayLike, read_occupancy: ArrayLike = 1.0) -> SubArrayRead:
    """One read (one input bit-vector) forward and transposed (module docstring).

    Args:
      params: :class:`SubArrayParams` (scalars).
      config: :class:`SubArrayConfig` (static).
      row_activity: traced fraction of rows whose input bit is 1, in [0, 1].
      weight_level: traced mean normalised conductance ``(G − G_min)/(G_max − G_min)``, in [0, 1].
      read_occupancy: traced fraction of reads with at least one active row, in
        [``row_activity``, 1] (module docstring, "Empty reads"; eNVM only, the SRAM sub-array
        ignores it).

    Returns:
      The mean :class:`SubArrayRead` of one read (s, J).
    """
    p = params
    g, fw, ag = sides(p, config, row_activity, weight_level, read_occupancy)
    rows, cols = as_float(p.rows), as_float(p.cols)
    n_in = as_float(p.num_bit_input)
    wl = switch_matrix_costs(*switch_params(p, config, g, which="wl", activity=row_activity, num_reads=p.columns_per_adc)).read
    t_col = SENSE_SWING * g.cap_col * g.r_cell_avg / (rows / 2.0) * as_float(p.columns_per_adc)
    vdd2, vr2 = g.t.vdd**2, as_float(p.read_voltage) ** 2
    cap_bl = g.len_col * as_float(p.circuit.wire_capacitance)
    read_cells = cols / as_float(p.columns_per_adc)
    e_arr = (cap_bl * vr2 * read_cells + g.cap_row2 * vdd2 * rows * as_float(row_activity)) * as_float(p.columns_per_adc)
    other_t = jnp.maximum(wl.latency, (fw.mux.latency + fw.dec.latency) / n_in)
    other_e = wl.energy + (fw.mux.energy + fw.dec.energy) / n_in
    fw_cost = _read_cost(other_t, other_e, fw, t_col / n_in, e_arr)
    if ag is None:
        return SubArrayRead(fw_cost, ReadCost(*(jnp.zeros_like(x) for x in fw_cost)))
    quirk = config.version.ag_mux_energy_as_latency and not config.version.envm_ag_mux_latencies
    if config.ag_row_by_row:
        per_read_array = cap_bl * vr2 * read_cells + g.cap_row2 * vdd2
        return SubArrayRead(fw_cost, seq.ag_read(p, config, g, ag, per_read_array, g.r_cell_avg / (cols / 2.0), quirk))
    n_bp, per_ag = as_float(p.num_read_pulse_bp), as_float(p.rows_per_adc_ag)
    sl = switch_matrix_costs(*switch_params(p, config, g, which="sl", num_reads=per_ag)).read
    t_row = SENSE_SWING * g.cap_row_ag * g.r_cell_avg / (cols / 2.0) * per_ag
    e_arr_ag = (cap_bl * vr2 * read_cells + g.cap_row2 * vdd2 * rows * COLUMN_ACTIVITY_AG) * per_ag
    # The joules-as-seconds AG mux term came after bf95f9c, which adds the mux and decoder latencies.
    mux_term = (ag.mux.energy + ag.dec.energy) if quirk else (ag.mux.latency + ag.dec.latency)
    other_t_ag = jnp.maximum(sl.latency, mux_term / n_bp)
    other_e_ag = sl.energy + (ag.mux.energy + ag.dec.energy) / n_bp
    return SubArrayRead(fw_cost, _read_cost(other_t_ag, other_e_ag, ag, t_row / n_bp, e_arr_ag))
