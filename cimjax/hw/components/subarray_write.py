"""The eNVM sub-array's weight update: one write of one sub-array, current and March 2020 code.

Source: docs/model.md §5.5 (NeuroSim V2.0 ``GetWriteUpdateEstimation`` in ``ProcessingUnit.cpp``) — facts
and formulas only. The write path of the eNVM sub-array: its geometry and switch matrices are
:mod:`~cimjax.hw.components.subarray_geometry`, its area and read (quirk flags, the read path's
"March 2020 code") :mod:`~cimjax.hw.components.subarray_envm`; :mod:`~cimjax.hw.components.subarray`
dispatches the cell types (SRAM: :mod:`~cimjax.hw.components.subarray_sram`).

**March 2020 code** (``SubArrayConfig.version.write_per_selected_row``; NeuroSim V2.0 commit bf95f9c).
In the write path (:func:`subarray_write`; bf95f9c ``ProcessingUnit.cpp``
``GetWriteUpdateEstimation``, ``SwitchMatrix.cpp``, ``SubArray.cpp``) the March code differs in:

* the cell energy ``V_w²·t_pulse·Σ n/R̄`` (``V_w = √2·write_voltage``) charged to every updated
  cell, FeFET included (the current code charges FeFET cells none);
* the line energy, charged once per selected row, not per write pulse, and with the RRAM
  (CMOS-access) terms for FeFET too (no FeFET gate term): SET rows ``n_set·(C_row2·V_dd² +
  C_col·V_w²·(cols − m) + C_row1·V_w²)``, RESET rows ``n_reset·C_row2·V_dd²``, plus
  ``C_col·V_w²·m`` once (``m`` the RESET rows' selected columns). ``n_set + n_reset = 2·a_row``
  of the rows; the split (NeuroSim: a row with any SET cell is a SET row) is modelled by
  :func:`set_row_share_march2020`, and ``m = a_col·cols`` for both phases;
* the SL switch matrix's write energy takes ``activityColWrite`` from ``Initialize``, before an
  update sets it (0: every column unselected), with ``sl_write_pulses_unset``.
* Rows: the March novel-mapping PE holds ``⌊min(PE_NM, R)/numPENM⌋`` rows (56 of a 128-row
  block for 3×3 kernels), so its sub-arrays write that share of a block: ``row_fraction``
  scales the pulses (and the write latency ``pulses·t_pulse``), the cells and the selected rows;
  ``stat_rows`` is the row count the statistics were taken on (``R`` when ``R < rows``). The
  switch matrices' ``2·⌈a_col⌉·rows·a_row`` operations keep the full row count (``numRow``).

**V2.1 FeFET polarisation** (``SubArrayConfig.version.fefet_polarization_write``; NeuroSim V2.1
18289cb ``ProcessingUnit.cpp`` ``GetWriteUpdateEstimation``). Every written FeFET cell (``|ΔG| ≥
ΔG_min``, the cells that take pulses) adds ``ΔP·0.01·V_w·2F²`` (``ΔP`` in µC/cm², ×0.01 to
C/m²; ``V_w = √2·write_voltage``; ``F`` the node), where the source maps the conductance
linearly onto the polarisation, ``Pr(G) = (G/ΔG_min − ⌊N/2⌋)·2P/N`` (``N = max_levels``,
``P = polarization``), and charges ``ΔP = |Pr_new + P| + |Pr_old + P|`` ("erase before
program"). With ``G = G_min + ℓ·(G_max − G_min)`` and ``G_max/G_min = r`` (the on/off ratio),
``Pr + P = 2P·(ℓ + 1/(r − 1) + (N mod 2)/(2N)) ≥ 0``, so over the written cells
``Σ ΔP = 2P·(Σ(ℓ_new + ℓ_old) + n_w·(2/(r − 1) + (N mod 2)/N))``: the trace's
``written_level`` and ``written_cells`` (:func:`cimjax.trace.weight_update_stats`) give it
exactly. Valid for the linear weight→conductance map (NeuroSim's, ``synapseBit = cellBit``). At
V2.1's default (32 nm, 4 V, 60 levels, on/off 100) it is about 5 fJ per written cell, 0.5 % of
the weight-update energy of V2.1's default run on the synthetic trace of
``tests/hw/test_hw_neurosim_v21.py`` (0.2 % at 14 nm, where NeuroSim's own run with and without
``polarization`` gives the same per-layer energy within 0.2 %).

Write-path details not modelled: the March SL TG widths (5×, +4 % on the SL drain
capacitance, under 0.2 % of the Fig. 34 write energy) and the March WL new switch matrix's TG
resistance (never set in bf95f9c; its write latency is below the SL matrix's, which the write
latency takes). Fig. 34 chip against the March code on the same trace (wired as
``tests/hw/test_hw_march2020_write.py`` describes): WU energy 1.005×, peak WU energy 1.012×, WU
latency 1.000×, peak WU latency 1.000× (before: 0.354×, 0.077×, 1.109×, 1.115×).
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

import jax

from cimjax.hw.components.params import as_float, circuit_technology
from cimjax.hw.components.subarray_geometry import geometry, switch_params
from cimjax.hw.components.subarray_types import ArrayLike, SubArrayConfig, SubArrayParams
from cimjax.hw.components.switch_matrix import switch_matrix_costs
from cimjax.hw.cost import Cost

Array = jax.Array


def set_row_share_march2020(col_write_activity: ArrayLike, cols: ArrayLike) -> Array:
    """Share of the selected rows NeuroSim's ``GetWriteUpdateEstimation`` counts as SET rows.

    It counts a selected row as a SET row when any of its updated cells is SET, as a RESET row
    otherwise; the trace gives only the mean ``activityColWrite``. A selected row with ``k``
    updated cells, each a SET or a RESET with probability ½, is a SET row unless all ``k`` are
    RESETs: ``1 − 2^(−k)``, with ``k = max(a_col·cols, 1)`` (a selected row has at least one).
    Fig. 34's write trace (128×128 sub-arrays, mean per sub-array): FC1 64.2 SET of 96.2
    selected rows counted, 65.5 modelled; conv1 (27 rows) 15 of 26, 16.8 modelled.

    Args:
      col_write_activity: ``activityColWrite`` (traced).
      cols: columns of the sub-array.

    Returns:
      The SET share of the selected rows, in [½, 1).
    """
    k = jnp.maximum(as_float(col_write_activity) * as_float(cols), 1.0)
    return 1.0 - jnp.exp2(-k)


def _subarray_write_march2020(p, config, g, *, pulses, cell_sum, a_row, a_col, row_fraction, stat_rows) -> Cost:
    """One update of one sub-array as NeuroSim's March 2020 code (module docstring, "March 2020
    code")."""
    rows, cols = as_float(p.rows), as_float(p.cols)
    frac = as_float(row_fraction)
    stat_rows = rows if stat_rows is None else as_float(stat_rows)
    vw2, vdd2 = 2.0 * as_float(p.write_voltage) ** 2, g.t.vdd**2
    t_pulse = as_float(p.write_pulse_width)
    # The statistics describe ``stat_rows`` rows: a sub-array holding ``frac`` of them has that
    # share of the pulses (Σ over rows) and of the cells; activities are of its own rows.
    pulses = pulses * frac
    n_ops = 2.0 * config.ceil(a_col) * rows * a_row  # numRow·activityRowWrite: the full row count
    sl_pulses = 0.0 if config.version.sl_write_pulses_unset else write_pulse_average(pulses, a_row, rows, config)
    # SwitchMatrix (bf95f9c) reads activityColWrite from Initialize, before any update sets it.
    sl_col = 0.0 if config.version.sl_write_pulses_unset else a_col
    wl = switch_matrix_costs(*switch_params(p, config, g, which="wl", num_reads=p.columns_per_adc, num_writes=n_ops)).write
    sl_reads = as_float(p.rows_per_adc_ag) if config.parallel_bp else 0.0
    sl = switch_matrix_costs(*switch_params(p, config, g, which="sl", num_reads=sl_reads, num_writes=n_ops,
                                pulses=sl_pulses, col_act=sl_col)).write
    sl_latency = sl.latency - sl_reads * 0.5 / as_float(p.circuit.clock_hz)
    # GetWriteUpdateEstimation (bf95f9c): every updated cell, FeFET included, V_w²/R̄·t per pulse.
    cells = vw2 * t_pulse * as_float(cell_sum) * frac
    # Lines once per selected row (not per pulse): SET rows drive their WL, the unselected SLs
    # and their BL; RESET rows their WL; the RESET's selected SLs once. (NeuroSim's unselected
    # SLs are those of the sub-array's own columns; a layer narrower than ``cols`` is costed full.)
    n_sel = frac * stat_rows * jnp.clip(2.0 * a_row, 0.0, 1.0)  # numSelectedRowSet + numSelectedRowReset
    n_set = n_sel * set_row_share_march2020(a_col, cols)
    n_reset = n_sel - n_set
    m = a_col * cols  # selected columns per SET (RESET) row, mean-field
    lines = n_set * (g.cap_row2 * vdd2 + g.cap_col * vw2 * jnp.maximum(cols - m, 0.0) + g.cap_row1 * vw2)
    lines = lines + n_reset * g.cap_row2 * vdd2 + g.cap_col * vw2 * m
    latency = pulses * t_pulse + jnp.maximum(wl.latency, sl_latency)
    energy = cells + lines + wl.energy + sl.energy
    zero = jnp.zeros_like(energy)
    return Cost(zero, energy, latency, zero)


def half_selected_conductance(p: SubArrayParams, config: SubArrayConfig) -> Array:
    """Mean conductance of a half-selected cross-point cell, ``(1/R_on,½ + 1/R_off,½)/2``, S.

    Source: NeuroSim V2.0 ``SubArray.cpp`` ``Initialize`` (cross-point: ``resMemCellOnAtHalfVw``,
    ``resMemCellOffAtHalfVw``) and ``formula.cpp`` ``NonlinearResistance``: linear (``nonlinearIV
    = false``) ``R_½ = R``; nonlinear ``R_½ = R·(V/V_r)·NL^((V_r − V)/(V_w/2))`` at ``V = V_w/2``
    (``NL`` = ``nonlinearity``, the current ratio at ``V_w`` and ``V_w/2``; ``V_w = √2·
    write_voltage``, NeuroSim's ``cell.writeVoltage``; ``V_r`` the read voltage). Valid for
    ``NL`` in [1, 1000].
    """
    r_on, r_off = as_float(p.r_on), as_float(p.r_off)
    if config.nonlinear_iv:
        vw, vr = np.sqrt(2.0) * as_float(p.write_voltage), as_float(p.read_voltage)
        v = vw / 2.0
        factor = v / vr * jnp.power(as_float(p.nonlinearity), (vr - v) / (vw / 2.0))
        r_on, r_off = r_on * factor, r_off * factor
    return 0.5 * (1.0 / r_on + 1.0 / r_off)


def cross_point_lines(p, config, g, *, pulses, p_set, p_reset, a_row, m, rows=None, cols=None) -> Array:
    """Line and half-selected-cell energy of one cross-point update, J (V/2 biasing).

    Source: NeuroSim V2.0 ``ProcessingUnit.cpp`` ``GetWriteUpdateEstimation``, the branch of a
    non-CMOS access: with ``R``/``C`` the rows/columns, ``n_S``/``n_R`` the SET/RESET rows,
    ``m`` the selected columns of a row, ``P_S``/``P_R`` the SET/RESET pulses and ``P̄ =
    ⌊(P_S + P_R)/R⌋`` (``numWritePulseAVG`` of :func:`write_pulse_average`, stored as an ``int``
    by the source), ``V_w = √2·write_voltage``,
    ``G_½`` :func:`half_selected_conductance`, ``t`` the pulse width:
    SET ``C_row1·V_w²·P_S + C_row1·(V_w/2)²·(R − n_S)·P̄ + C_col·(V_w/2)²·(C − m)·P_S +
    (V_w/2)²·G_½·t·((C − m) + (R − n_S))·P_S``; RESET ``C_row1·(V_w/2)²·(R − n_R)·P̄ +
    C_col·V_w²·P_R + C_col·(V_w/2)²·(C − m)·P_R + (V_w/2)²·G_½·t·((C − m) + (R − n_R))·P_R``.
    The trace gives mean activities: ``n_S = n_R = a_row·R`` (NeuroSim's ``n_S + n_R = 2·a_row·R``)
    and ``m = a_col·C`` for both phases. ``R``, ``C`` (``rows``, ``cols``; default the
    sub-array's) are the weight-holding rows and columns the statistics describe
    (:func:`subarray_write`, "Rows and columns"). The updated cells' own energy is the 1T1R
    cell's (:func:`subarray_write`). Valid as :func:`subarray_write`.
    """
    rows = as_float(p.rows) if rows is None else as_float(rows)
    cols = as_float(p.cols) if cols is None else as_float(cols)
    vw2 = 2.0 * as_float(p.write_voltage) ** 2
    half2 = vw2 / 4.0
    t_pulse = as_float(p.write_pulse_width)
    g_half = half_selected_conductance(p, config)
    p_avg = config.floor(write_pulse_average(pulses, a_row, rows, config))
    unsel_rows = jnp.maximum(rows - a_row * rows, 0.0)
    unsel_cols = jnp.maximum(cols - m, 0.0)
    half_cells = half2 * g_half * t_pulse * (unsel_cols + unsel_rows)
    e_set = (g.cap_row1 * vw2 * p_set + g.cap_row1 * half2 * unsel_rows * p_avg
             + g.cap_col * half2 * unsel_cols * p_set + half_cells * p_set)
    e_reset = (g.cap_row1 * half2 * unsel_rows * p_avg + g.cap_col * vw2 * p_reset
               + g.cap_col * half2 * unsel_cols * p_reset + half_cells * p_reset)
    return e_set + e_reset


def write_pulse_average(pulses: ArrayLike, row_write_activity: ArrayLike, rows: ArrayLike,
                        config: SubArrayConfig) -> Array:
    """NeuroSim's ``numWritePulseAVG`` of an update (``ProcessingUnit.cpp``
    ``GetWriteUpdateEstimation``): ``totalNumWritePulse/numRow`` (V2.0), or under V2.1's
    ``version.write_pulse_average_selected_rows`` ``totalNumWritePulse/max(1, (SET rows + RESET
    rows)/2)``, the selected rows ``(SET + RESET)/2 = a_row·rows``. The source stores an
    ``int`` (truncated); cimjax keeps the mean over the sub-arrays unrounded, as its other
    write statistics. Read by the switch matrices' write energy only without
    ``version.sl_write_pulses_unset`` (both versions keep that quirk), and, truncated as the
    source does, by a cross-point array's unselected word lines (:func:`cross_point_lines`).

    Args:
      pulses: ``totalNumWritePulse`` (the trace's ``write_pulses``).
      row_write_activity: ``activityRowWrite``.
      rows: the sub-array's rows.
      config: :class:`SubArrayConfig` (static).
    """
    pulses, rows = as_float(pulses), as_float(rows)
    if config.version.write_pulse_average_selected_rows:
        return pulses / jnp.maximum(1.0, as_float(row_write_activity) * rows)
    return pulses / rows


def polarization_energy(params: SubArrayParams, config: SubArrayConfig, written_cells: ArrayLike,
                        written_level: ArrayLike) -> Array:
    """The FeFET polarisation energy of one update of one sub-array, J (module docstring, "V2.1
    FeFET polarisation"); 0 for other cells or without ``version.fefet_polarization_write``.

    Args:
      params: :class:`SubArrayParams` (``fefet_polarization`` µC/cm², ``write_voltage``,
        ``r_on``/``r_off``, ``max_levels``, the node).
      config: :class:`SubArrayConfig` (static).
      written_cells: written cells ``n_w`` of the sub-array.
      written_level: ``Σ(ℓ_new + ℓ_old)`` over them.
    """
    n_w = as_float(written_cells)
    if not (config.version.fefet_polarization_write and config.cell == "fefet"):
        return jnp.zeros_like(n_w)
    p = params
    t = circuit_technology(p.circuit, config)
    levels = as_float(p.max_levels)
    ratio = as_float(p.r_off) / as_float(p.r_on)
    delta_p = 2.0 * as_float(p.fefet_polarization) * (
        as_float(written_level) + n_w * (2.0 / (ratio - 1.0) + jnp.mod(levels, 2.0) / levels))
    v_w = jnp.sqrt(2.0) * as_float(p.write_voltage)
    return delta_p * 0.01 * v_w * 2.0 * t.node**2


def subarray_write(params: SubArrayParams, config: SubArrayConfig = SubArrayConfig(), *, write_pulses: ArrayLike,
                   cell_pulse_energy_sum: ArrayLike, row_write_activity: ArrayLike, col_write_activity: ArrayLike,
                   set_fraction: ArrayLike = 0.5, row_fraction: ArrayLike = 1.0,
                   stat_rows: ArrayLike | None = None, stat_cols: ArrayLike | None = None,
                   written_cells: ArrayLike = 0.0, written_level: ArrayLike = 0.0) -> Cost:
    """One weight update of one sub-array (docs/model.md §5.5; area and leakage 0).

    Latency ``write_pulses·t_pulse + max(t_WLsw,write, t_SLsw,write)`` with ``2·⌈a_col⌉·rows·a_row``
    switch write operations. Energy: cells ``V_w²·t_pulse·cell_pulse_energy_sum`` (not FeFET;
    ``V_w = √2·write_voltage``) + lines + switch matrices. Lines (1T1R), with ``P_set =
    set_fraction·write_pulses`` and ``P_reset`` the rest, ``C = stat_cols`` the columns and
    ``R = stat_rows`` the rows that hold the layer's weights, ``m = a_col·C`` selected columns:
    SET ``P_set·(C_row2·V_dd² + C_col·V_w²·(C − m) + C_row1·V_w²·m)``, RESET mirrored
    (``C_col·V_w²·m + C_row1·V_w²·(C − m)``); FeFET ``P·(C_row2·V_dd² + (C_col + C_FeFET·
    a_row·R)·V_w²·m)`` per phase. With ``set_fraction = ½`` the column activity cancels.

    **Rows and columns.** ``GetWriteUpdateEstimation`` (``ProcessingUnit.cpp``, V2.0 and V2.1)
    runs on the sub-array's copy of the weights (``CopySubArray``: ``numRowMatrix ×
    numColMatrix``, the layer's part, e.g. 128 × 10 for a 1024 × 10 FC layer): its counts
    ``numSelectedRowSet/Reset``, ``numSelectedColSet/Reset``, its unselected lines
    ``newMemory[0].size() − numSelectedCol…`` (and ``newMemory.size() − numSelectedRow…``) and
    ``numWritePulseAVG`` are of those ``R × C`` cells, as the trace's activities are (their
    denominators are the same ``R``, ``C``: :func:`cimjax.trace.weight_update_stats`). The
    switch matrices' write operations (``SubArray.cpp``: ``numRow·activityRowWrite``,
    ``numCol·activityColWrite``) take the full ``rows``, ``cols``.

    Args:
      params: :class:`SubArrayParams` (scalars).
      config: :class:`SubArrayConfig` (static).
      write_pulses: Σ over rows of (max SET pulses + max RESET pulses) in the row.
      cell_pulse_energy_sum: Σ over updated cells of ``n_pulses/R̄``, 1/Ω.
      row_write_activity / col_write_activity: ``activityRowWrite`` / ``activityColWrite``.
      set_fraction: share of ``write_pulses`` in the SET phase (traced; ½ by default; not used
        with ``version.write_per_selected_row``).
      row_fraction: share of the ``stat_rows`` rows the statistics describe that this
        sub-array holds (traced, in (0, 1]): the March 2020 code's novel-mapping PEs hold
        ``⌊min(PE_NM, R)/numPENM⌋`` rows of a block the trace took whole.
      stat_rows: rows the write statistics describe (traced; default ``rows``; a layer with
        ``R < rows`` has ``R``).
      stat_cols: columns the write statistics describe (traced; default ``cols``; a layer
        with ``C < cols`` weight columns, e.g. 10 for a 1024 × 10 FC layer, has ``C``). With
        ``stat_rows`` the ``R × C`` of ``GetWriteUpdateEstimation`` (above); not used with
        ``version.write_per_selected_row``, whose lines cost a narrow layer's sub-array full.
      ``row_fraction`` is used with ``version.write_per_selected_row`` only (module docstring).
      written_cells / written_level: the written cells and ``Σ(ℓ_new + ℓ_old)`` over them
        (traced; :func:`polarization_energy`, FeFET under ``version.fefet_polarization_write``;
        not with ``version.write_per_selected_row``).

    Returns:
      The :class:`~cimjax.hw.cost.Cost` of the update.
    """
    if config.version.write_per_selected_row:
        return _subarray_write_march2020(params, config, geometry(params, config), pulses=as_float(write_pulses),
                                         cell_sum=cell_pulse_energy_sum, a_row=as_float(row_write_activity),
                                         a_col=as_float(col_write_activity), row_fraction=row_fraction,
                                         stat_rows=stat_rows)
    p, g = params, geometry(params, config)
    rows, cols = as_float(p.rows), as_float(p.cols)
    # The weight-holding rows and columns the statistics describe (docstring, "Rows and columns").
    stat_r = rows if stat_rows is None else as_float(stat_rows)
    stat_c = cols if stat_cols is None else as_float(stat_cols)
    pulses, a_row, a_col = as_float(write_pulses), as_float(row_write_activity), as_float(col_write_activity)
    vw2, vdd2 = 2.0 * as_float(p.write_voltage) ** 2, g.t.vdd**2
    t_pulse = as_float(p.write_pulse_width)
    n_ops = 2.0 * config.ceil(a_col) * rows * a_row  # SubArray.cpp: numRow·activityRowWrite, the full rows
    sl_pulses = 0.0 if config.version.sl_write_pulses_unset else write_pulse_average(pulses, a_row, stat_r, config)
    wl = switch_matrix_costs(*switch_params(p, config, g, which="wl", num_reads=p.columns_per_adc, num_writes=n_ops)).write
    # SL: NeuroSim's write energy reuses the DFF figures of its last (AG) read call, its write
    # latency those of the forward call (no DFF reads): one evaluation, DFF latency removed.
    sl_reads = as_float(p.rows_per_adc_ag) if config.parallel_bp else 0.0
    sl = switch_matrix_costs(*switch_params(p, config, g, which="sl", num_reads=sl_reads, num_writes=n_ops,
                                pulses=sl_pulses, col_act=a_col)).write
    sl_latency = sl.latency - sl_reads * 0.5 / as_float(p.circuit.clock_hz)
    p_set = as_float(set_fraction) * pulses
    p_reset = pulses - p_set
    m = a_col * stat_c  # numSelectedColSet/Reset: a count of the weight-holding columns
    if config.access == "none":
        cells = vw2 * t_pulse * as_float(cell_pulse_energy_sum)
        lines = cross_point_lines(p, config, g, pulses=pulses, p_set=p_set, p_reset=p_reset, a_row=a_row, m=m,
                                  rows=stat_r, cols=stat_c)
    elif config.cell == "fefet":
        # V2.0 charges a FeFET cell nothing; V2.1 its polarisation (polarization_energy).
        cells = polarization_energy(p, config, written_cells, written_level) + jnp.zeros_like(pulses)
        col = (g.cap_col + as_float(p.gate_cap_fefet) * a_row * stat_r) * vw2 * m
        lines = (p_set + p_reset) * (g.cap_row2 * vdd2 + col)
    else:
        cells = vw2 * t_pulse * as_float(cell_pulse_energy_sum)
        lines = p_set * (g.cap_row2 * vdd2 + g.cap_col * vw2 * (stat_c - m) + g.cap_row1 * vw2 * m)
        lines = lines + p_reset * (g.cap_row2 * vdd2 + g.cap_col * vw2 * m + g.cap_row1 * vw2 * (stat_c - m))
    latency = pulses * t_pulse + jnp.maximum(wl.latency, sl_latency)
    energy = cells + lines + wl.energy + sl.energy
    zero = jnp.zeros_like(energy)
    return Cost(zero, energy, latency, zero)
