"""The SRAM memory sub-array (transposable cells) with its periphery: area, one read (forward
and transposed), one update.

Source: docs/model.md §5.3 (SRAM cell 8F × 20F, NMOS 2.08F, PMOS 1.23F, access 1.31F, ``minSenseVoltage``
0.1 V; SRAM forces ``cellBit = 1``), §5.4 ("SRAM in training uses 8T transposable cells. It
duplicates the periphery for the transposed direction") and §5.5 (SRAM: any changed bit is one
write; energy from the write-driver and cell-flip models). NeuroSim V2.0 files read for the
model (facts and formulas only, no code copied): ``SubArray.cpp`` (SRAM branches of
``Initialize``, ``CalculateArea``, ``CalculateLatency``, ``CalculatePower``, conventional
parallel mode with ``parallelBP``), ``ProcessingUnit.cpp`` (SRAM branches of
``GetColumnResistance``/``GetRowResistance``/``GetWriteUpdateEstimation``, the sub-array
settings of ``ProcessingUnitInitialize``), ``Param.cpp`` (cell, ``wireResistanceCol``),
``Precharger.cpp``, ``SRAMWriteDriver.cpp``, ``SwitchMatrix.cpp``, ``MultilevelSenseAmp.cpp``.
Built from :mod:`~cimjax.hw.components.sram` (cell, wires, bit-line delay, cell flip, precharger,
write driver, column layout), the MLSA/encoder/shift-adder/mux chain of
:mod:`~cimjax.hw.components.subarray` and the classic switch matrix. Valid for nodes in
[7, 130] nm, arrays of ≥ 2 × 2 cells, ADCs of 2–256 levels, the parallel (MLSA) read. Reached
through :func:`cimjax.hw.components.subarray.subarray_area` / ``subarray_read`` /
``subarray_write`` with ``SubArrayConfig(cell="sram")``; returns the same types and buckets.

Of :class:`~cimjax.hw.components.subarray_types.SubArrayParams` the SRAM model uses ``circuit``,
``rows``/``cols``, the ADC and mux sizes, ``num_bit_input``, ``num_read_pulse_bp``,
``read_voltage``, ``read_pulse_width`` and ``r_on``/``r_off`` (only as NeuroSim's MLSA reference
ladder, ``param->resistanceOn/Off``, which it keeps for SRAM). The cell is ``sram_cell``
(:class:`~cimjax.hw.components.sram.SramCellParams`, ``Param.cpp`` defaults; a ``cell`` argument
overrides it); ``cell_height_f``/``cell_width_f``, write voltage/pulse, ``access_resistance`` and
the FeFET fields describe eNVM cells and are ignored.

**Geometry.** ``L_row = cols·20F``, ``L_col = rows·8F`` (the cell's width and height; relaxed to
at least 7.6F / 28F with ``SubArrayConfig.relax_cell_width`` / ``relax_cell_height``,
:func:`~cimjax.hw.components.subarray_geometry.layout_cell_size`); wire capacitance 0.2 fF/µm, no
access-drain term (NeuroSim's SRAM ``capCol`` is the wire only). Access transistor
``R_acc = R_on,n(1.31F)``.

**Forward read** (one input bit-vector, all active rows at once). WL switch matrix: classic,
row mode, ``rows`` lines, ``R_TG`` from ``resRow`` (NeuroSim passes the row wire resistance),
load ``C_row``/``R_row``, ``numColMuxed`` reads at the row activity. Column resistance for the
MLSA: each active row adds one ``R_acc + wireResistanceCol`` path (``wireResistanceCol`` = unit
wire R × wire width × 20F), ``R_col = (R_acc + r_w)/(a_row·rows)`` (the stored bit does not
matter); reads with no active row (``read_occupancy``, the trace's share of reads with one)
cost the MLSA almost nothing, as for eNVM. Column mux: NeuroSim's ``resTg`` argument
``R_acc/rows/2`` (chain figure ``R_acc/rows/4``, :func:`_sides`). Latency ``max(t_WLsw, (t_mux + t_dec)/numReadPulse)
+ numColMuxed·t_pre + t_BL + t_MLSA + t_enc + t_SA`` with ``t_BL`` the bit-line delay of
:func:`~cimjax.hw.components.sram.bitline_read_delay` (once: all bit-lines develop together);
energy ``E_WLsw + numColMuxed·E_pre + E_MLSA + E_enc + (E_mux + E_dec)/numReadPulse + E_SA``
(``E_pre`` precharges every column pair; the array term is 0, "just BL discharging").

**Transposed read** (``parallel_bp``): the same chain on the other side — a second classic WL
switch matrix (``cols`` lines, ``R_TG`` from ``resCol``, load ``C_col``/``R_col``,
``numRowMuxedAG`` reads at the *forward* row activity, as released), a precharger and write
driver over ``rows`` lines (load ``C_row``/``R_row``), row mux ``resTg = R_acc/cols/2``, MLSA of
``levelOutputAG``, encoder, shift-adder of ``log2 L_AG + numReadPulseBP + 1`` bits; bit-line
delay with ``C_row``/``R_row``. The quirk flags ``ag_column_resistance_forward`` (AG MLSA on the
forward column resistances; False: ``(R_acc + r_w)/(cols/2)`` on ``rows`` lines) and
``ag_mux_energy_as_latency`` (mux *energies* in the latency max) act as for eNVM.

**Write** (one update of the sub-array; NeuroSim's SRAM ``GetWriteUpdateEstimation`` leaves only
``activityRowWrite``/``activityColWrite``): ``n = ⌈a_col⌉·rows·a_row`` row writes, each through
the forward periphery. Latency ``n·(t_flip + t_pre + t_WD) + t_WLsw,write`` (switch matrix with
``2n`` write operations plus its DFF pass); energy ``E_WLsw,write + n·(E_pre,write + E_WD) +
2·C_cell·V_dd²·(a_col·cols)·(a_row·rows)`` (Q and Q̄ of every flipped cell), precharger and
driver energies for ``a_col·cols`` columns per row. ``write_pulses``, ``cell_pulse_energy_sum``
and ``set_fraction`` do not enter (SRAM writes are single-shot).

**Area** (SubArray.cpp CalculateArea, SRAM conventionalParallel). ``height = pre + WD + L_col +
mux + MLSA + encoder + shift-adder (+ WLsw_BP)``, ``width = max(WLsw, mux decoder) + L_row (+
row mux + MLSA_AG + encoder_AG + shift-adder_AG + pre_BP + WD_BP)``; blocks stretched along the
edge they abut as in the eNVM sub-array, except where NeuroSim lays them out otherwise, which
cimjax follows: the shift-adders are charged their layout bounding box along ``L_row`` /
``L_col`` (:func:`~cimjax.hw.components.shift_adder.shift_adder_layout_area`); the column muxes
their folded / unfolded pass-gate layout (:func:`_mux_extents`); the BP WL switch matrix stacks
its ``cols`` TG pairs in one column (``cols`` cell heights added to the height); the BP
precharger and write driver sit in one row of ``rows`` units (their widths added to the width).
The forward precharger and driver are laid out across ``L_row`` by
:func:`~cimjax.hw.components.sram.column_layout`. Buckets (NeuroSim's SRAM booking): ADC =
MLSAs + encoders + prechargers; accumulation = shift-adders; array = ``rows·cols·160F²``;
other = WL switch matrices + write drivers + muxes + decoders. Leakage, as released: cells
(two inverters each) + WLsw + pre + WD + encoder + shift-adder, and on the BP side WLsw + pre +
mux + decoder + encoder + shift-adder (NeuroSim adds neither the forward mux decoder's nor the
BP write driver's leakage; the MLSA has none).

**Read buckets** (:class:`~cimjax.hw.components.subarray_types.ReadCost`), NeuroSim's SRAM booking:
ADC = precharge + bit-line delay + MLSA + encoder; accumulation = shift-adder; other = the
switch-matrix/mux ``max`` term; array = 0 (the eNVM sub-array books its column RC delay there).

Modelling choices where NeuroSim's code is ambiguous or not reproducible here:

* **Cell.** NeuroSim's SRAM cell is the 6T figure (160F², 6T capacitances and leakage) even in
  training, where docs/model.md §5.4 calls it an 8T transposable cell: kept (no extra area for the two
  transposed access transistors).
* **Write column activity.** The precharger and write driver take ``activityColWrite`` at
  ``SubArray::Initialize``, before any layer's update is estimated (0 in a normal build), so
  their write energy is 0 as released; cimjax uses the layer's ``col_write_activity`` (docs/model.md
  §5.5: the energy comes from the write-driver model).
* **Row writes.** ``⌈a_col⌉`` write operations per written row for latency *and* energy
  (NeuroSim's energy uses its average count, 1, equal whenever a row is written).
* **Ramps.** The bit-line delay uses a step input (NeuroSim feeds the switch matrix's output
  ramp, which :mod:`~cimjax.hw.components.switch_matrix` does not return).
* **Breakdown buckets.** NeuroSim's SRAM ``CalculateLatency``/``CalculatePower`` *assign* the
  transposed side's ADC/accumulation/other figures where the eNVM branch adds them, so its
  chip breakdown of an SRAM chip holds the AG reads only (about half of cimjax's FW + AG,
  which the phase totals of both include alike): not reproduced.
* **Trace.** The write statistics are the trace's (computed on eNVM conductance steps); NeuroSim
  compares stored bits. ``weight_level`` does not enter the read.
"""

from __future__ import annotations

from typing import NamedTuple, Union

import jax
import jax.numpy as jnp
import numpy as np

from cimjax.hw import tech, wiring
from cimjax.hw.components import gates, shift_adder, sram
from cimjax.hw.components import switch_matrix as sm
from cimjax.hw.components.switch_matrix import switch_matrix_costs
from cimjax.hw.components.params import ComponentConfig, as_float, circuit_technology
from cimjax.hw.components.subarray_geometry import layout_cell_size
from cimjax.hw.components.subarray_periphery import SideInputs, both_sides, side
from cimjax.hw.components.subarray_types import (COLUMN_ACTIVITY_AG, ReadCost, SubArrayArea,
                                                 SubArrayConfig, SubArrayParams, SubArrayRead)
from cimjax.hw.cost import Cost

Array = jax.Array
ArrayLike = Union[jax.Array, float, int]

DEFAULT_CONFIG = SubArrayConfig(cell="sram")


class _Geometry(NamedTuple):
    """``t``, ``len_row``, ``len_col`` (the fields the shared periphery chain reads), the cell,
    its array wires and one active cell's column path ``R_acc + wireResistanceCol`` (Ω)."""

    t: tech.Technology
    len_row: Array
    len_col: Array
    cell: sram.SramCell
    wires: sram.ArrayWires
    r_path: Array


def _check_config(config: SubArrayConfig) -> None:
    if config.cell != "sram":
        raise ValueError(f"subarray_sram: SubArrayConfig.cell = {config.cell!r}; expected 'sram'")


def _geometry(p: SubArrayParams, config: SubArrayConfig, cell: sram.SramCellParams | None) -> _Geometry:
    """The geometry of ``cell`` (None: ``p.sram_cell``); the array wires take the relaxed cell
    size (:func:`~cimjax.hw.components.subarray_geometry.layout_cell_size`), the per-cell column
    wire the cell's own width (``Param.cpp`` ``wireResistanceCol``)."""
    cell = p.sram_cell if cell is None else cell
    t = circuit_technology(p.circuit, config)
    c = sram.sram_cell(t, cell, config.mode)
    height_f, width_f = layout_cell_size(cell.height_f, cell.width_f, config)
    wires = sram.array_wires(p.circuit, t, cell._replace(height_f=height_f, width_f=width_f), p.rows, p.cols)
    r_wire = wiring.wire_resistance_per_cell(p.circuit.wire_width_nm, cell.width_f, p.circuit.temperature_k)
    return _Geometry(t, wires.length_row, wires.length_col, c, wires, c.r_access + r_wire)


def _line_resistance(g: _Geometry, active: ArrayLike) -> Array:
    """``(R_acc + r_w)/active`` (parallel cell paths), ``inf`` with no active cell, Ω."""
    n = as_float(active)
    return jnp.where(n > 0, g.r_path / jnp.where(n > 0, n, 1.0), jnp.inf)


def _sides(p, config, g: _Geometry, row_activity, read_occupancy=1.0):
    """Forward and (``parallel_bp``) transposed MLSA/encoder/shift-adder/mux chains."""
    rows, cols = as_float(p.rows), as_float(p.cols)
    # Empty reads: NeuroSim (ProcessingUnit.cpp GetColumnResistance, SRAM branch) gives a column
    # with no active row zero conductance, and its MLSA (MultilevelSenseAmp.cpp CalculatePower)
    # almost no energy; the mean-field read is that of an occupied read (``act/occ`` of the
    # rows on) weighted by the occupancy, as for eNVM (:mod:`~cimjax.hw.components.mlsa`).
    occ, act = as_float(read_occupancy), as_float(row_activity)
    act_occupied = jnp.where(occ > 0, jnp.minimum(act / jnp.where(occ > 0, occ, 1.0), 1.0), 0.0)
    r_col = _line_resistance(g, act_occupied * rows)
    # The mux's target TG resistance as the shared chain takes it (the eNVM sub-array passes
    # NeuroSim's ``resMemCellOn/numRow`` as ``r_on/rows/2``: Mux.cpp Initialize sizes the TG for
    # ``IR_DROP_TOLERANCE·resTg`` with a factor 2, i.e. for half the argument). SubArray.cpp
    # Initialize (SRAM, conventionalParallel) hands ``resCellAccess/numRow/2`` (BP:
    # ``/numCol/2``), so the chain's figure is half of that: ``R_acc/rows/4``.
    mux_fw, mux_ag = g.cell.r_access / rows / 4.0, g.cell.r_access / cols / 4.0
    x_fw = SideInputs(1.0, p.adc_levels, p.columns_per_adc, cols, p.num_bit_input, 1.0, r_col, cols,
                          mux_fw, occ)
    x_fw = SideInputs(*(as_float(v) for v in x_fw))
    if not config.parallel_bp:
        return side(p, config, g, x_fw, static_mux=config.num_col_muxed), None
    if config.version.ag_column_resistance_forward:
        r_ag, n_ag, occ_ag = r_col, cols, occ
    else:
        r_ag, n_ag, occ_ag = _line_resistance(g, COLUMN_ACTIVITY_AG * cols), rows, 1.0
    x_ag = SideInputs(0.0, p.adc_levels_ag, p.rows_per_adc_ag, rows, p.num_read_pulse_bp,
                          as_float(p.num_read_pulse_bp) + 1.0, r_ag, n_ag, mux_ag, occ_ag)
    x_ag = SideInputs(*(as_float(v) for v in x_ag))
    if config.num_col_muxed == config.num_row_muxed_ag:
        return both_sides(p, config, g, x_fw, x_ag)
    fw = side(p, config, g, x_fw, static_mux=config.num_col_muxed)
    return fw, side(p, config, g, x_ag, static_mux=config.num_row_muxed_ag)


def _drivers(p, config, g: _Geometry, col_write, transposed: bool):
    """Precharger (:class:`~.sram.ReadWrite`) and write driver of one side: forward over the
    ``cols`` bit-lines across ``L_row``, transposed over the ``rows`` lines across ``L_col``."""
    w, cfg = g.wires, config.sub(ComponentConfig)
    if transposed:
        # SubArray.cpp CalculateArea (SRAM): prechargerBP/sramWriteDriverBP.CalculateArea(
        # heightArray, NULL, NONE) read only a width (Precharger.cpp, SRAMWriteDriver.cpp
        # CalculateArea): none is given, so their ``rows`` units sit in one row (array width 0).
        d = sram.ColumnDriverParams(p.circuit, p.rows, w.cap_row, w.res_row, 0.0, col_write, p.cols)
    else:
        d = sram.ColumnDriverParams(p.circuit, p.cols, w.cap_col, w.res_col, w.length_row, col_write, p.cols)
    return sram.precharger(d, cfg), sram.sram_write_driver(d, cfg)


def _wl_switch(p, config, g: _Geometry, *, transposed: bool, activity=1.0, num_reads=0.0, num_writes=0.0):
    """The classic row-mode WL switch matrix of one side (:class:`~.switch_matrix.SwitchMatrixCosts`)."""
    w = g.wires
    if transposed:
        # SubArray.cpp CalculateArea (SRAM): wlSwitchMatrixBP.CalculateArea(NULL, widthArray,
        # NONE) in ROW_MODE, which reads only a height: none is given, so its ``cols`` TG pairs
        # stack in one column, ``cols`` standard-cell heights tall (SwitchMatrix.cpp).
        lines, cap, res = p.cols, w.cap_col, w.res_col
        edge = as_float(p.cols) * gates.cell_height(g.t)
    else:
        lines, cap, res, edge = p.rows, w.cap_row, w.res_row, w.length_col
    sp = sm.SwitchMatrixParams(p.circuit, lines, res, cap, res, activity, 1.0, p.access_voltage, p.read_voltage,
                               0.0, 0.0, num_reads, num_writes, edge)
    return switch_matrix_costs(sp, config.sub(sm.SwitchMatrixConfig, kind="classic", lines="row"))


def _mux_tg_widths(g: _Geometry, mux_res: Array, mode: str) -> tuple[Array, Array]:
    """(N, P) widths of one analog-mux TG for the chain's target resistance ``mux_res``
    (Mux.cpp Initialize: ``R_on(F)·F·LINEAR_REGION_RATIO/(2·IR_DROP_TOLERANCE·resTg)`` for each
    type; ``mux_res`` already carries the ``2·IR_DROP_TOLERANCE``, see :func:`_sides`)."""
    f = g.t.node
    w_n = tech.on_resistance(g.t, f, "n", mode) * sm.LINEAR_REGION_RATIO * f / mux_res
    w_p = tech.on_resistance(g.t, f, "p", mode) * sm.LINEAR_REGION_RATIO * f / mux_res
    return w_n, w_p


def _mux_extents(p, config, g: _Geometry, fw_dec_extent, ag_dec_extent) -> tuple[Array, Array]:
    """Height of the forward column mux and width of the transposed one, as NeuroSim lays
    them out (SubArray.cpp CalculateArea, SRAM conventionalParallel; Mux.cpp CalculateArea;
    formula.cpp CalculatePassGateArea), m.

    Forward (``mux.CalculateArea(NULL, widthArray, NONE)``, then at least the decoder's height):
    the ``cols`` TGs in rows across ``L_row``, ``⌊L_row/w_min⌋`` per row at most (``w_min = 2``
    poly pitches), each TG folded ``⌊(L_row/per row)/(w_min/2)⌋ − 1`` times, height ``(W_n +
    W_p)/folds`` plus the pass-gate overhead. Transposed (``muxBP.CalculateArea(heightArray,
    NULL, NONE)``, then at least the decoder's width): ``rows`` unfolded TGs side by side, two
    poly pitches each. The SRAM access transistor's low resistance makes these TGs wide; the
    gates' summed area that the shared chain charges is far below this layout.
    """
    mode = config.mode
    rows, cols = as_float(p.rows), as_float(p.cols)
    pitch_planar = (gates.POLY_WIDTH_F[0] + gates.GATE_POLY_SPACING_F[0]) * g.t.node
    pitch = jnp.where(g.t.finfet, (gates.POLY_WIDTH_F[1] + gates.GATE_POLY_SPACING_F[1]) * g.t.node, pitch_planar)
    min_w = 2.0 * pitch_planar  # Mux.cpp: the planar constants on every node
    w_n, w_p = _mux_tg_widths(g, g.cell.r_access / rows / 4.0, mode)
    per_row = jnp.maximum(config.floor(g.len_row / min_w), 1.0)
    n_rows = config.ceil(cols / per_row)
    per_row = config.ceil(cols / n_rows)
    folds = jnp.maximum(config.floor(g.len_row / per_row / (0.5 * min_w)) - 1.0, 1.0)
    h_fw = ((w_n + w_p) / folds + sm.PASS_GATE_OVERHEAD_F * g.t.node) * n_rows
    w_ag = 2.0 * pitch * rows
    return jnp.maximum(h_fw, fw_dec_extent), jnp.maximum(w_ag, ag_dec_extent)


def _shift_adder_layouts(p, config, g: _Geometry) -> tuple[Array, Array]:
    """Forward and transposed shift-adder areas as laid out along the array (SubArray.cpp
    CalculateArea, SRAM: ``shiftAdd.CalculateArea(NULL, widthArray, NONE)``,
    ``shiftAddBP.CalculateArea(heightArray, NULL, NONE)``; ShiftAdd.cpp CalculateArea charges
    the bounding box), m²."""
    cfg = config.sub(ComponentConfig)
    fw = shift_adder.ShiftAdderParams(p.circuit, jnp.log2(as_float(p.adc_levels)) + 1.0,
                                      as_float(p.cols) / as_float(p.columns_per_adc), p.columns_per_adc,
                                      p.read_pulse_width, 1.0, p.num_bit_input)
    ag = shift_adder.ShiftAdderParams(p.circuit, jnp.log2(as_float(p.adc_levels_ag)) + as_float(p.num_read_pulse_bp) + 1.0,
                                      as_float(p.rows) / as_float(p.rows_per_adc_ag), p.rows_per_adc_ag,
                                      p.read_pulse_width, 1.0, p.num_read_pulse_bp)
    on_fw = jnp.where(as_float(p.num_bit_input) > 1, 1.0, 0.0)
    on_ag = jnp.where(as_float(p.num_read_pulse_bp) > 1, 1.0, 0.0)
    return (on_fw * shift_adder.shift_adder_layout_area(fw, g.len_row, "width", cfg),
            on_ag * shift_adder.shift_adder_layout_area(ag, g.len_col, "height", cfg))


def subarray_area(params: SubArrayParams, config: SubArrayConfig = DEFAULT_CONFIG, *,
                  cell: sram.SramCellParams | None = None) -> SubArrayArea:
    """Area of one SRAM sub-array by bucket, its layout height and width, and its leakage.

    Args:
      params: :class:`~cimjax.hw.components.subarray_types.SubArrayParams` (scalars).
      config: :class:`~cimjax.hw.components.subarray_types.SubArrayConfig` with ``cell="sram"``.
      cell: :class:`~cimjax.hw.components.sram.SramCellParams` (traced); None = ``params.sram_cell``.

    Returns:
      The :class:`~cimjax.hw.components.subarray_types.SubArrayArea` (module docstring).
    """
    _check_config(config)
    p = params
    cell = p.sram_cell if cell is None else cell
    g = _geometry(p, config, cell)
    fw, ag = _sides(p, config, g, 0.5)
    sa_fw, sa_ag = _shift_adder_layouts(p, config, g)
    fw = fw._replace(sa=fw.sa._replace(area=sa_fw))
    pre, wd = _drivers(p, config, g, 0.0, transposed=False)
    wl, _, wl_fp = _wl_switch(p, config, g, transposed=False)
    len_row, len_col = g.len_row, g.len_col
    has_fw_mux = 1.0 if config.num_col_muxed > 1 else 0.0
    has_ag_mux = 1.0 if config.num_row_muxed_ag > 1 else 0.0
    mux_h, mux_w_ag = _mux_extents(p, config, g, fw.dec_extent, 0.0 if ag is None else ag.dec_extent)
    mux_h = has_fw_mux * mux_h
    height = (pre.read.area + wd.area + fw.mlsa.area + fw.sa.area) / len_row + len_col + mux_h + fw.enc_fp.height
    width = jnp.maximum(wl_fp.width, fw.dec.area / jnp.maximum(fw.dec_extent, 1e-30)) + len_row
    adc = fw.mlsa.area + fw.enc.area + pre.read.area
    accumulation = fw.sa.area
    other = wl.area + wd.area + mux_h * len_row + fw.dec.area
    cells = as_float(p.rows) * as_float(p.cols)
    leakage = (cells * g.cell.leakage + wl.leakage + pre.read.leakage + wd.leakage + fw.mlsa.leakage
               + fw.enc.leakage + fw.sa.leakage)
    if ag is not None:
        pre_bp, wd_bp = _drivers(p, config, g, 0.0, transposed=True)
        wl_bp, _, wl_bp_fp = _wl_switch(p, config, g, transposed=True)
        ag = ag._replace(sa=ag.sa._replace(area=sa_ag))
        mux_w = has_ag_mux * mux_w_ag
        height = height + wl_bp_fp.height  # SubArray.cpp: height += wlSwitchMatrixBP.height
        w_pre, w_wd = sram.column_unit_widths(g.t, config.mode)
        width = (width + mux_w + (ag.mlsa.area + ag.sa.area) / len_col + ag.enc_fp.width
                 + as_float(p.rows) * (w_pre + w_wd))
        adc = adc + ag.mlsa.area + ag.enc.area + pre_bp.read.area
        accumulation = accumulation + ag.sa.area
        other = other + wl_bp.area + wd_bp.area + mux_w * len_col + ag.dec.area
        leakage = (leakage + wl_bp.leakage + pre_bp.read.leakage + ag.mlsa.leakage + ag.enc.leakage
                   + ag.mux.leakage + ag.dec.leakage + ag.sa.leakage)
    array = len_row * len_col
    return SubArrayArea(adc + accumulation + array + other, height, width, adc, accumulation, array, other,
                           leakage)


def _read_cost(other_t, other_e, side, sense_t, sense_e) -> ReadCost:
    """A :class:`~.subarray.ReadCost` with precharge + bit-line (``sense_*``) under ADC."""
    adc_t = sense_t + side.mlsa.latency + side.enc.latency
    adc_e = sense_e + side.mlsa.energy + side.enc.energy
    zero = jnp.zeros_like(adc_e)
    return ReadCost(
        latency=other_t + adc_t + side.sa.latency, energy=other_e + adc_e + side.sa.energy,
        adc_latency=adc_t, adc_energy=adc_e, accumulation_latency=side.sa.latency,
        accumulation_energy=side.sa.energy, array_latency=jnp.zeros_like(adc_t), array_energy=zero,
        other_latency=other_t, other_energy=other_e,
    )


def subarray_read(params: SubArrayParams, config: SubArrayConfig = DEFAULT_CONFIG, *,
                  row_activity: ArrayLike, weight_level: ArrayLike = 0.5, read_occupancy: ArrayLike = 1.0,
                  cell: sram.SramCellParams | None = None) -> SubArrayRead:
    """One read (one input bit-vector) forward and transposed (module docstring).

    Args:
      params: :class:`~cimjax.hw.components.subarray_types.SubArrayParams` (scalars).
      config: :class:`~cimjax.hw.components.subarray_types.SubArrayConfig` with ``cell="sram"``.
      row_activity: traced fraction of rows whose input bit is 1, in [0, 1].
      weight_level: unused (the stored bits do not change an SRAM read; kept for the common API).
      read_occupancy: traced fraction of reads with at least one active row (module docstring).
      cell: :class:`~cimjax.hw.components.sram.SramCellParams` (traced); None = ``params.sram_cell``.

    Returns:
      The :class:`~cimjax.hw.components.subarray.SubArrayRead` (s, J).
    """
    _check_config(config)
    del weight_level
    p = params
    cell = p.sram_cell if cell is None else cell
    g = _geometry(p, config, cell)
    fw, ag = _sides(p, config, g, row_activity, read_occupancy)
    n_in, per_adc = as_float(p.num_bit_input), as_float(p.columns_per_adc)
    pre, _ = _drivers(p, config, g, 0.0, transposed=False)
    wl = _wl_switch(p, config, g, transposed=False, activity=row_activity, num_reads=per_adc).read
    t_bl = sram.bitline_read_delay(g.t, g.cell, g.wires, cell.min_sense_voltage)
    other_t = jnp.maximum(wl.latency, (fw.mux.latency + fw.dec.latency) / n_in)
    other_e = wl.energy + (fw.mux.energy + fw.dec.energy) / n_in
    fw_cost = _read_cost(other_t, other_e, fw, per_adc * pre.read.latency + t_bl, per_adc * pre.read.energy)
    if ag is None:
        return SubArrayRead(fw_cost, ReadCost(*(jnp.zeros_like(x) for x in fw_cost)))
    n_bp, per_ag = as_float(p.num_read_pulse_bp), as_float(p.rows_per_adc_ag)
    pre_bp, _ = _drivers(p, config, g, 0.0, transposed=True)
    wl_bp = _wl_switch(p, config, g, transposed=True, activity=row_activity, num_reads=per_ag).read
    rows_as_cols = g.wires._replace(cap_col=g.wires.cap_row, res_col=g.wires.res_row)
    t_bl_ag = sram.bitline_read_delay(g.t, g.cell, rows_as_cols, cell.min_sense_voltage)
    mux_term = (ag.mux.energy + ag.dec.energy) if config.version.ag_mux_energy_as_latency else (ag.mux.latency + ag.dec.latency)
    other_t_ag = jnp.maximum(wl_bp.latency, mux_term / n_bp)
    other_e_ag = wl_bp.energy + (ag.mux.energy + ag.dec.energy) / n_bp
    ag_cost = _read_cost(other_t_ag, other_e_ag, ag, per_ag * pre_bp.read.latency + t_bl_ag,
                         per_ag * pre_bp.read.energy)
    return SubArrayRead(fw_cost, ag_cost)


def subarray_write(params: SubArrayParams, config: SubArrayConfig = DEFAULT_CONFIG, *,
                   write_pulses: ArrayLike = 0.0, cell_pulse_energy_sum: ArrayLike = 0.0,
                   row_write_activity: ArrayLike, col_write_activity: ArrayLike, set_fraction: ArrayLike = 0.5,
                   cell: sram.SramCellParams | None = None) -> Cost:
    """One weight update of one SRAM sub-array (module docstring; area and leakage 0).

    Args:
      params: :class:`~cimjax.hw.components.subarray_types.SubArrayParams` (scalars).
      config: :class:`~cimjax.hw.components.subarray_types.SubArrayConfig` with ``cell="sram"``.
      write_pulses / cell_pulse_energy_sum / set_fraction: unused (eNVM pulse statistics; kept
        for the common API).
      row_write_activity / col_write_activity: ``activityRowWrite`` / ``activityColWrite``
        (fractions of rows written and of columns flipped per written row).
      cell: :class:`~cimjax.hw.components.sram.SramCellParams` (traced); None = ``params.sram_cell``.

    Returns:
      The :class:`~cimjax.hw.cost.Cost` of the update.
    """
    _check_config(config)
    del write_pulses, cell_pulse_energy_sum, set_fraction
    p = params
    cell = p.sram_cell if cell is None else cell
    g = _geometry(p, config, cell)
    rows, cols = as_float(p.rows), as_float(p.cols)
    a_row, a_col = as_float(row_write_activity), as_float(col_write_activity)
    n_ops = config.ceil(a_col) * rows * a_row
    pre, wd = _drivers(p, config, g, a_col, transposed=False)
    wl = _wl_switch(p, config, g, transposed=False, num_reads=p.columns_per_adc, num_writes=2.0 * n_ops).write
    flips = a_col * cols * a_row * rows
    latency = n_ops * (sram.cell_write_latency(g.cell) + pre.write.latency + wd.latency) + wl.latency
    energy = wl.energy + n_ops * (pre.write.energy + wd.energy) + flips * sram.cell_write_energy(g.t, g.cell)
    zero = jnp.zeros_like(energy)
    return Cost(zero, energy, latency, zero)


def check_subarray_params(params: SubArrayParams, config: SubArrayConfig = DEFAULT_CONFIG) -> None:
    """Eager checks (concrete params): the static mux sizes equal the traced ones.

    Raises:
      ValueError: ``columns_per_adc``/``rows_per_adc_ag`` differ from ``num_col_muxed``/
        ``num_row_muxed_ag``.
    """
    _check_config(config)
    for static, traced in (("num_col_muxed", "columns_per_adc"), ("num_row_muxed_ag", "rows_per_adc_ag")):
        if not np.all(np.asarray(getattr(params, traced)) == getattr(config, static)):
            raise ValueError(f"SubArrayParams.{traced} = {getattr(params, traced)!r} != SubArrayConfig.{static}")
