"""Geometry of the eNVM (1T1R RRAM, FeFET) sub-array: line lengths, capacitances and resistances.

Source: docs/model.md §5.4 (NeuroSim V2.0 ``SubArray.cpp``, conventional parallel mode, ``parallelBP``),
§5.5 (``GetWriteUpdateEstimation`` in ``ProcessingUnit.cpp``), ``GetColumnResistance`` /
``GetRowResistance`` (``ProcessingUnit.cpp``) and ``Param.cpp`` wire values — facts and formulas
only. The read path built on it uses :mod:`~cimjax.hw.components.mlsa`, :mod:`~cimjax.hw.components.switch_matrix`,
:mod:`~cimjax.hw.components.routing` (mux, mux decoder) and :mod:`~cimjax.hw.components.logic`
(shift-adder). Valid for nodes in [7, 130] nm, 1T1R RRAM (default) and FeFET cells, ADCs of
2–256 levels. ``SubArrayConfig(cell="sram")`` dispatches :func:`subarray_area`,
:func:`subarray_read`, :func:`subarray_write` and :func:`check_subarray_params` to
:mod:`~cimjax.hw.components.subarray_sram` (the transposable SRAM sub-array, same types and
buckets); everything below describes the eNVM (1T1R/FeFET) sub-array.

**Geometry.** ``L_row = cols·w_cell·F``, ``L_col = rows·h_cell·F`` (``w_cell``/``h_cell`` raised to
the peripheral pitch when relaxed: :func:`layout_cell_size`); wire capacitance 0.2 fF/µm;
``R_row/col = L·r_w`` (``r_w`` from the wire table). Access transistor ``R_acc = 0.25·R_on``, width
``W_acc = R_on,n(1F)·0.2/R_acc`` (in F); ``C_row2 += C_g(W_acc)·cols``, ``C_col += C_d(W_acc)·rows``;
``R_avg = R_acc + (R_on + R_off)/2``. ``C_d(W_acc)`` is the access transistor laid out inside
the cell (:func:`access_drain_capacitance`: folded to the cell's ``w_cell·F`` height, as
NeuroSim's ``CalculateDrainCap(W_acc, NMOS, widthInFeatureSize·F)``). NeuroSim aborts when ``W_acc > w_cell``; inside a trace that
cannot raise, so :func:`check_subarray_params` (called eagerly by the config layer) raises
``ValueError`` and traced values are used as they are.

**Column resistance (averaged ``GetColumnResistance``; cimjax's averaging).** With ``n =
row_activity·rows`` active rows and mean conductance ``G = G_min + weight_level·(G_max − G_min)``,
every active cell contributes ``1/(1/G + j̄·R_wire,row + ī·R_wire,col + R_access)`` with the
position terms averaged over a uniform column ``j̄ = (cols + 1)/2`` and row ``ī = (rows + 1)/2``
(the wire terms are ≪ 1/G); ``R_col = (…)/n`` (``inf`` when ``n = 0``). FeFET has no
``R_access`` term. One average column stands for all columns (``Σ_j P(R_j) ≈ cols·P(R̄)``, a
Jensen-type approximation of NeuroSim's per-column sum; ``P`` is affine in ``1/R``, and the
sensing latency clamps at 1 ns for 128×128 at 32 nm, so it is close).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from cimjax.hw import relax, tech, wiring
from cimjax.hw.components import gates
from cimjax.hw.components import switch_matrix as sm
from cimjax.hw.components.params import as_float, circuit_technology
from cimjax.hw.components.subarray_types import ArrayLike, SubArrayConfig, SubArrayParams

Array = jax.Array


class Geometry(NamedTuple):
    """The sub-array's technology, line lengths (m), capacitances (F) and resistances (Ω)."""

    t: tech.Technology
    len_row: Array
    len_col: Array
    cap_row1: Array
    cap_row2: Array
    cap_col: Array
    cap_row_ag: Array
    res_row: Array
    res_col: Array
    r_acc: Array
    access_width_f: Array
    r_cell_on: Array
    r_cell_avg: Array


#: Field-poly gap, F (docs/model.md §5.9 layout constants): with the poly extension it bounds the
#: diffusion a transistor region of a given height leaves.
FIELD_POLY_GAP_F = gates.FIELD_POLY_GAP_F


#: The smallest cell pitch the peripheral circuits fit, F (NeuroSim ``SubArray.cpp`` ``Initialize``,
#: ``constant.h``): height ``MAX_TRANSISTOR_HEIGHT`` = 28F (a standard cell, planar value at every
#: node in V2.0 and V2.1); width ``(MIN_GAP_BET_GATE_POLY + POLY_WIDTH)·2`` = 7.6F (two gate pitches).
RELAXED_MIN_HEIGHT_F = gates.CELL_HEIGHT_F
RELAXED_MIN_WIDTH_F = (gates.GATE_POLY_SPACING_F[0] + gates.POLY_WIDTH_F[0]) * 2.0


def layout_cell_size(height_f: ArrayLike, width_f: ArrayLike, config: SubArrayConfig) -> tuple[Array, Array]:
    """The cell height and width the array is laid out with, F: NeuroSim's ``relaxArrayCellHeight``
    / ``relaxArrayCellWidth``.

    Source: NeuroSim V2.0 (d4de5bc; V2.1 the same) ``SubArray.cpp`` ``SubArray::Initialize``, where
    ``lengthRow``/``lengthCol`` are set. Relaxed, a dimension is the larger of the cell's own and
    the pitch the periphery needs (:data:`RELAXED_MIN_HEIGHT_F`, :data:`RELAXED_MIN_WIDTH_F`); a
    1T1R (and FeFET) cell's width is raised to twice :data:`RELAXED_MIN_WIDTH_F` (15.2F: NeuroSim's
    two pass gates per column of the switch matrix and SL/BL driver), an SRAM cell's to 7.6F.
    Only the array's line lengths (its area, wire capacitances and resistances, and what the
    periphery is laid out along) take the relaxed size: NeuroSim keeps the cell's own width for
    the access transistor's layout height and its ``W_acc ≤ w_cell`` check, and the cell's own
    size for the per-cell wire resistance of the column resistance (``Param.cpp``
    ``wireResistanceRow``/``Col``). Valid for any cell size > 0 (the NeuroSim inputs
    ``heightInFeatureSize*``, ``widthInFeatureSize*``).

    Args:
      height_f / width_f: the cell's own height and width, F (traced).
      config: :class:`SubArrayConfig` (``cell``, ``relax_cell_height``, ``relax_cell_width``).

    Returns:
      ``(height, width)`` in F.
    """
    h, w = as_float(height_f), as_float(width_f)
    if config.relax_cell_height:
        h = jnp.maximum(h, RELAXED_MIN_HEIGHT_F)
    if config.relax_cell_width:
        w = jnp.maximum(w, RELAXED_MIN_WIDTH_F * (1.0 if config.cell == "sram" else 2.0))
    return h, w


def access_drain_capacitance(t: tech.Technology, width: ArrayLike, region_height: ArrayLike,
                             mode: str = "exact") -> Array:
    """Drain capacitance of the 1T1R access NMOS laid out in a region ``region_height`` tall, F.

    Source: NeuroSim V2.0 ``SubArray::Initialize`` sizes ``C_col`` (and the transposed row) with
    ``CalculateDrainCap(W_acc, NMOS, widthInFeatureSize·F)`` (``formula.cpp``): an NMOS-only
    standard-cell layout in the cell's ``w_cell·F`` height, i.e. docs/model.md §5.9's folding rule with
    the field-poly gap and poly extension (no P–N gap, no PMOS). The diffusion available is
    ``h = H − (1.0 + 1.6/2)·2F`` (``H`` = region height). ``W ≤ h``: one strip, ``C_j·s_d·W +
    C_sw·(W + 2·s_d) + C_edge·W`` (:func:`gates.drain_capacitance` with one finger). ``W > h``:
    ``n = ⌈W/h⌉`` fingers of height ``h`` with ``m = ⌈(n + 1)/2⌉`` drain strips, ``C_j·m·s_d·h +
    C_sw·(2·m·s_d + h) + C_edge·n·h`` (one ``h`` of side wall: NeuroSim takes that count from the
    *PMOS* fold, which is 1 here). Measured in NeuroSim V2.0's default run (32 nm, 4F cell, W_acc
    = 0.668F): ``C_d`` = 7.6466e-17 F, ``C_col`` = 1.30645e-14 F (one strip gives 4.2e-17 F).
    FinFET nodes: :func:`gates.drain_capacitance` with ``region_height`` (NeuroSim's fin-count
    layout, :func:`gates.finfet_layout`).

    Args:
      t: technology.
      width: drawn width ``W_acc``, m.
      region_height: height of the transistor region (the cell's ``w_cell·F``), m.
      mode: relax mode of the ceilings (static).

    Returns:
      Drain capacitance, F.
    """
    width = as_float(width)
    c_j, c_sw, c_edge = gates._junction(t)
    _, s_d = gates._layout(t)
    avail = as_float(region_height) - (gates.POLY_EXTENSION_F + FIELD_POLY_GAP_F / 2.0) * 2.0 * t.node
    avail = jnp.maximum(avail, 1e-3 * t.node)
    n = jnp.maximum(1.0, relax.ceil(width / avail, mode))
    folded = n > 1.0
    strips = jnp.where(folded, relax.ceil((n + 1.0) / 2.0, mode), 1.0)
    h = jnp.where(folded, avail, width)
    planar = strips * s_d * h * c_j + (2.0 * strips * s_d + h) * c_sw + c_edge * n * h
    finfet = gates.drain_capacitance(t, width, 1.0, mode, region_height=region_height)
    return jnp.where(t.finfet, finfet, planar)


def cell_size_f(p: SubArrayParams, config: SubArrayConfig) -> tuple[Array, Array]:
    """The eNVM cell's own ``(height, width)`` in feature sizes: the 1T1R cell
    (``heightInFeatureSize1T1R`` / ``widthInFeatureSize1T1R``, in the node's F) or, for a
    cross-point array (``config.access = "none"``), the crossbar cell
    (``heightInFeatureSizeCrossbar`` / ``widthInFeatureSizeCrossbar``, in ``featuresize``), as
    NeuroSim's ``ProcessingUnitInitialize`` sets ``cell.heightInFeatureSize`` by the access type."""
    if config.access == "none":
        return as_float(p.crossbar_cell_height_f), as_float(p.crossbar_cell_width_f)
    return as_float(p.cell_height_f), as_float(p.cell_width_f)


def cross_point_geometry(p: SubArrayParams, config: SubArrayConfig) -> Geometry:
    """The :class:`Geometry` of a cross-point sub-array (``SubArrayConfig.access = "none"``).

    Source: NeuroSim V2.0 (d4de5bc) ``SubArray.cpp`` ``SubArray::Initialize``, the "Cross-point"
    branches (any ``accessType`` but ``CMOS_access``), and ``ProcessingUnit.cpp``
    ``ProcessingUnitInitialize`` (the cell is ``heightInFeatureSizeCrossbar`` ×
    ``widthInFeatureSizeCrossbar``, 2F × 2F, of the cell's own feature size ``featuresize``,
    40 nm, not the node's): ``L_row = cols·w·F_cell``, ``L_col = rows·h·F_cell`` (relaxed: at least
    ``2·7.6·F`` wide and ``28·F`` tall in the node's F); no access transistor, so ``C_row2 =
    C_row1``, ``C_col`` and the AG row are wire only (NeuroSim's AG ``CalculateDrainCap`` of the
    never-set access width, 0, is 0), ``R_on,cell = R_on`` and ``R_avg = (R_on + R_off)/2``
    (the I–V nonlinearity, ``nonlinearIV``, enters only the write's half-selected cells,
    :mod:`~cimjax.hw.components.subarray_write`). Valid for RRAM cells, ``featuresize`` in
    [1, 1000] nm, cells of 1–100 F.
    """
    t = circuit_technology(p.circuit, config)
    rows, cols = as_float(p.rows), as_float(p.cols)
    f_cell = as_float(p.cell_feature_size)
    h, w = (x * f_cell for x in cell_size_f(p, config))
    if config.relax_cell_height:
        h = jnp.maximum(h, RELAXED_MIN_HEIGHT_F * t.node)
    if config.relax_cell_width:
        w = jnp.maximum(w, RELAXED_MIN_WIDTH_F * 2.0 * t.node)
    len_row, len_col = cols * w, rows * h
    c_w = as_float(p.circuit.wire_capacitance)
    r_w = wiring.wire_resistance_per_length(p.circuit.wire_width_nm, p.circuit.temperature_k)
    cap_row1 = len_row * c_w
    zero = jnp.zeros_like(cap_row1)
    r_on, r_off = as_float(p.r_on), as_float(p.r_off)
    return Geometry(
        t=t, len_row=len_row, len_col=len_col, cap_row1=cap_row1, cap_row2=cap_row1, cap_col=len_col * c_w,
        cap_row_ag=cap_row1, res_row=len_row * r_w, res_col=len_col * r_w, r_acc=zero, access_width_f=zero,
        r_cell_on=r_on + zero, r_cell_avg=0.5 * (r_on + r_off) + zero,
    )


def geometry(p: SubArrayParams, config: SubArrayConfig) -> Geometry:
    """The :class:`Geometry` of one sub-array (module docstring; a cross-point array:
    :func:`cross_point_geometry`)."""
    if config.access == "none":
        return cross_point_geometry(p, config)
    t = circuit_technology(p.circuit, config)
    rows, cols = as_float(p.rows), as_float(p.cols)
    height_f, width_f = layout_cell_size(p.cell_height_f, p.cell_width_f, config)
    len_row = cols * width_f * t.node
    len_col = rows * height_f * t.node
    c_w = as_float(p.circuit.wire_capacitance)
    r_w = wiring.wire_resistance_per_length(p.circuit.wire_width_nm, p.circuit.temperature_k)
    r_acc = as_float(p.r_on) * sm.IR_DROP_TOLERANCE
    # bf95f9c sized the access transistor with 2·IR_DROP_TOLERANCE (0.5) where d4de5bc has 0.2.
    ratio = 2.0 * sm.IR_DROP_TOLERANCE if config.version.access_width_ir_drop else sm.LINEAR_REGION_RATIO
    access_width_f = tech.on_resistance(t, t.node, "n", config.mode) * ratio / r_acc
    w_acc = access_width_f * t.node
    c_drain = access_drain_capacitance(t, w_acc, as_float(p.cell_width_f) * t.node, config.mode)
    cap_row1 = len_row * c_w
    return Geometry(
        t=t, len_row=len_row, len_col=len_col, cap_row1=cap_row1,
        cap_row2=cap_row1 + tech.gate_capacitance(t, w_acc, config.mode) * cols,
        cap_col=len_col * c_w + c_drain * rows, cap_row_ag=cap_row1 + c_drain * cols,
        res_row=len_row * r_w, res_col=len_col * r_w, r_acc=r_acc, access_width_f=access_width_f,
        r_cell_on=as_float(p.r_on) + r_acc, r_cell_avg=r_acc + 0.5 * (as_float(p.r_on) + as_float(p.r_off)),
    )


def column_resistance(p, config, g, active_lines, weight_level, across, along):
    """Average line resistance with ``active_lines`` active cells (module docstring), Ω."""
    g_max, g_min = 1.0 / as_float(p.r_on), 1.0 / as_float(p.r_off)
    g_cell = g_min + as_float(weight_level) * (g_max - g_min)
    r_w = wiring.wire_resistance_per_length(p.circuit.wire_width_nm, p.circuit.temperature_k)
    wire_nm = as_float(p.circuit.wire_width_nm) * 1e-9
    # Param.cpp: wireResistanceRow/Col = r_w·wireWidth·(the cell's height/width in F), the
    # crossbar cell's for a cross-point array.
    cell_h, cell_w = cell_size_f(p, config)
    r_wire_row = r_w * wire_nm * cell_h
    r_wire_col = r_w * wire_nm * cell_w
    # resistanceAccess: the 1T1R RRAM cell only (GetColumnResistance: not FeFET, not cross-point)
    r_access = as_float(p.access_resistance) if config.cell == "rram" and config.access == "cmos" else 0.0
    path = 1.0 / g_cell + 0.5 * (across + 1.0) * r_wire_row + 0.5 * (along + 1.0) * r_wire_col + r_access
    n = as_float(active_lines)
    return jnp.where(n > 0, path / jnp.where(n > 0, n, 1.0), jnp.inf)


def switch_params(p, config, g, *, which, activity=1.0, num_reads=0.0, num_writes=0.0, pulses=0.0, col_act=1.0):
    """The WL (``"wl"``: new; a cross-point array's classic row matrix) or SL (``"sl"``, classic
    column) switch matrix params and config."""
    vw = as_float(p.write_voltage) * np.sqrt(2.0)
    cross_point = config.access == "none"
    if which == "wl" and cross_point:
        # SubArray.cpp (cross-point, parallel read): a classic ROW_MODE matrix on the WL wire, its
        # TGs sized on resTg·numRow/numCol = R_on,cell/cols.
        sp = sm.SwitchMatrixParams(p.circuit, p.rows, g.r_cell_on / as_float(p.cols), g.cap_row1, g.res_row,
                                   activity, col_act, p.access_voltage, p.read_voltage, vw, pulses, num_reads,
                                   num_writes, g.len_col)
        return sp, config.sub(sm.SwitchMatrixConfig, kind="classic", lines="row", cross_point=True)
    if which == "wl":
        sp = sm.SwitchMatrixParams(p.circuit, p.rows, 0.0, g.cap_row2, g.res_row, activity, col_act,
                                   p.access_voltage, p.read_voltage, vw, pulses, num_reads, num_writes, g.len_col)
        return sp, config.sub(sm.SwitchMatrixConfig, kind="new", lines="row")
    # bf95f9c: SL TG resistance R_on,cell/2 (``resTg·numRow``, resTg = R_on,cell/rows/2, no IR-drop
    # factor); the classic matrix takes ``res_tg·0.25``, so 2·R_on,cell gives that τ (module docstring).
    res_sl = 2.0 * g.r_cell_on if config.version.sl_switch_half_cell_resistance else g.r_cell_on
    sp = sm.SwitchMatrixParams(p.circuit, p.cols, res_sl, g.cap_col, g.res_col, activity, col_act,
                               p.access_voltage, p.read_voltage, vw, pulses, num_reads, num_writes, g.len_row)
    return sp, config.sub(sm.SwitchMatrixConfig, kind="classic", lines="col", cross_point=cross_point)
