"""Switch matrices of a 1T1R sub-array: the "new" WL/BL matrix and the classic SL/WL matrix.

Source: docs/model.md §5.4 "Switch matrix energy", §5.5 (write latency) and NeuroSim V2.0
``NewSwitchMatrix.cpp`` / ``SwitchMatrix.cpp`` / ``DFF.cpp`` (facts and formulas only), on the
standard cells of :mod:`cimjax.hw.components.gates` and the DFF of
:mod:`cimjax.hw.components.logic`. Valid for nodes in [7, 130] nm, 1T1R (CMOS-access) cells in
neuro mode, and the classic matrix's write energy of a cross-point array (V/2 biasing,
``SwitchMatrixConfig.cross_point``).

Each matrix is a column of transmission gates (TG) plus a shift register of one DFF per line
(``num_lines`` DFFs, every DFF clocked and passing data per operation, as NeuroSim's
``CalculatePower(numRead, numOutput)``). DFF operation = half a clock cycle.

**New switch matrix** (1T1R WL and BL driven from one input; NeuroSim's ``NewSwitchMatrix``):
minimum TGs (``2F``/``2F·pn``), ``R_TG = R_on,n(2F)·0.2``; output load 5 TG drains.

* Read: latency ``num_reads·Horowitz(τ) + num_reads·t_DFF`` with ``τ = R_TG·(5·C_d + C_L) +
  R_L·C_L/2`` (step input); energy ``num_reads·n·a·(2·C_d·V_acc² + 5·C_d·V_read² +
  3·(C_gn + C_gp)·V_dd²) + num_reads·E_DFF``.
* Write (per write operation): ``2·C_d·V_acc² + 5·(C_gn + C_gp)·V_dd²``; latency
  ``num_writes·Horowitz(τ)``, plus ``num_reads·t_DFF`` and ``num_reads·E_DFF`` (NeuroSim reuses
  the DFF figures of its last read call) when ``num_writes > 0``.
* Layout along the array height ``H``: ``⌊H/28F⌋`` TGs per column, ``⌈n/that⌉`` columns of
  4 TGs, plus DFF columns (``⌊H/h_DFF⌋`` DFFs of 12 minimum INVs each per column).

**Classic switch matrix** (``SwitchMatrix``; ``lines="row"``: WL, ``"col"``: SL): TG widths
``R_on(1F)·F·0.2/(2·R_TG)`` per polarity from the given ``res_tg`` with ``R_TG =
res_tg·0.25`` (IR-drop tolerance; not clamped to the minimum width, as NeuroSim); output load 3
TG drains, ``τ = R_TG·(3·C_d + C_L) + R_L·C_L/2``.

* Read: latency ``num_reads·(Horowitz(τ) + t_DFF)``; energy, row mode ``num_reads·n·a_row·
  (3·C_d·V_read² + (C_gn + C_gp)·V_dd²)``, column mode none; plus ``num_reads·E_DFF``.
* Write per operation, 1T1R: row ``2·(C_gn + C_gp)·V_dd²``; column ``3·C_d·V_w²·[p·m/2 +
  (n − m/2) + p·m/2] + (C_gn + C_gp)·V_dd²·n`` with ``m = min(n, n·a_col)`` and ``p`` =
  ``num_write_pulse`` (NeuroSim V2.0 passes ``SubArray::numWritePulseAVG`` before it is set: 0 in a
  normal build). Latency ``num_writes·Horowitz(τ) + num_reads·t_DFF``, energy
  ``num_writes·E_op + num_reads·E_DFF``.
* Write per operation, cross-point (``cross_point``; NeuroSim ``SwitchMatrix::CalculatePower``,
  the ``accessType != CMOS_access`` branch, neuro mode, no parallel write; V/2 biasing): row
  ``3·C_d·V_w² + 3·C_d·(V_w/2)²·(n − 1) + (C_gn + C_gp)·V_dd²·n`` (the selected line at
  ``V_w``, the others at ``V_w/2``); column ``3·C_d·V_w²·p·m + 3·C_d·(V_w/2)²·n + (C_gn +
  C_gp)·V_dd²·n`` (LTP and LTD each ``p·m/2`` selected columns). Read and latency as 1T1R.
* Layout: row mode as the new matrix with 2 TGs per line; column mode along the array width
  ``W``: ``⌊W/(2·w_min)⌋`` TG pairs per row (``w_min`` = 2 poly pitches), folded pass gates of
  height ``(W_n + W_p)/folds + 3.5F + 3.6F``, plus DFF rows.
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple, Union

import jax
import jax.numpy as jnp

from cimjax.hw import tech
from cimjax.hw.components import gates, logic
from cimjax.hw.components.params import CircuitParams, ComponentConfig, as_float, circuit_technology
from cimjax.hw.cost import Cost, Footprint

Array = jax.Array
ArrayLike = Union[jax.Array, float, int]

IR_DROP_TOLERANCE = 0.25  #: NeuroSim's ``IR_DROP_TOLERANCE`` (docs/model.md §5.4).
LINEAR_REGION_RATIO = 0.2  #: NeuroSim's ``LINEAR_REGION_RATIO`` (docs/model.md §5.4).
PASS_GATE_OVERHEAD_F = 3.5 + 2.0 * (1.0 + 1.6 / 2.0)  #: P–N gap + poly extensions + field gap, F.
STEP_RAMP = 1e20  #: NeuroSim's "step" input ramp, 1/s.


class SwitchMatrixParams(NamedTuple):
    """A switch matrix (traced); fields unused by a kind are ignored.

    Attributes:
      circuit: :class:`~cimjax.hw.components.params.CircuitParams`.
      num_lines: lines driven (``numOutput``: rows or columns).
      res_tg: classic matrix only: NeuroSim's ``_resTg`` argument, Ω (SL: ``R_on,cell``).
      load_capacitance / load_resistance: line load ``C_L`` (F), ``R_L`` (Ω).
      activity: read activity (fraction of lines active per read; rows for WL matrices).
      col_write_activity: classic column mode: ``activityColWrite``.
      access_voltage / read_voltage / write_voltage: ``V_acc``, ``V_read``, ``V_w`` (V).
      num_write_pulse: classic column mode: the pulse count ``p`` of the module docstring.
      num_reads: read operations per action (``numColMuxed``) — also the DFF count of a write.
      num_writes: write operations per write action.
      edge_length: array height (row mode, new matrix) or width (column mode), m.
    """

    circuit: CircuitParams = CircuitParams()
    num_lines: ArrayLike = 128.0
    res_tg: ArrayLike = 125e3
    load_capacitance: ArrayLike = 5e-15
    load_resistance: ArrayLike = 200.0
    activity: ArrayLike = 1.0
    col_write_activity: ArrayLike = 1.0
    access_voltage: ArrayLike = 1.1
    read_voltage: ArrayLike = 0.5
    write_voltage: ArrayLike = 4.0 * 2.0**0.5
    num_write_pulse: ArrayLike = 0.0
    num_reads: ArrayLike = 8.0
    num_writes: ArrayLike = 0.0
    edge_length: ArrayLike = 16.384e-6


@jax.tree_util.register_static
@dataclasses.dataclass(frozen=True, kw_only=True)
class SwitchMatrixConfig(ComponentConfig):
    """Static kind of switch matrix: ``kind`` ``"new"`` (1T1R WL/BL) or ``"classic"``;
    ``lines`` ``"row"`` or ``"col"`` (NeuroSim's ROW_MODE/COL_MODE; the new matrix is row mode);
    ``cross_point``: the classic matrix drives a cross-point array (its V/2 write energies,
    module docstring). ``mode`` is the relax mode, as in every component."""

    kind: str = "new"
    lines: str = "row"
    cross_point: bool = False

    def __post_init__(self):
        super().__post_init__()
        self._check_choice("kind", ("new", "classic"))
        self._check_choice("lines", ("row", "col"))
        if self.kind == "new" and self.lines != "row":
            raise ValueError("SwitchMatrixConfig.lines = 'col': the new switch matrix drives rows only")
        self._check_bool("cross_point")
        if self.cross_point and self.kind == "new":
            raise ValueError("SwitchMatrixConfig.cross_point = True: expected kind = 'classic' (the new matrix is 1T1R's)")


class _Parts(NamedTuple):
    tg: gates.Gate
    r_tg: Array
    c_load_factor: float
    dff_unit: logic.DffUnit
    tau: Array


def _parts(params: SwitchMatrixParams, config: SwitchMatrixConfig, t: tech.Technology) -> _Parts:
    mode = config.mode
    if config.kind == "new":
        tg = gates.gate(t, "tg", mode=mode)
        r_tg = tech.on_resistance(t, tg.w_n, "n", mode) * LINEAR_REGION_RATIO
        drains = 5.0
    else:
        r_tg = as_float(params.res_tg) * IR_DROP_TOLERANCE
        w_n = tech.on_resistance(t, t.node, "n", mode) * t.node * LINEAR_REGION_RATIO / (2.0 * r_tg)
        w_p = tech.on_resistance(t, t.node, "p", mode) * t.node * LINEAR_REGION_RATIO / (2.0 * r_tg)
        tg = gates.gate(t, "tg", mode=mode, widths=(w_n, w_p))
        drains = 3.0
    c_l, r_l = as_float(params.load_capacitance), as_float(params.load_resistance)
    tau = r_tg * (drains * tg.c_out + c_l) + r_l * c_l / 2.0
    return _Parts(tg, r_tg, drains, logic.dff_unit(t, mode), tau)


def _dff(parts: _Parts, params: SwitchMatrixParams, n_ops: Array) -> Cost:
    """The shift register clocked ``n_ops`` times (every DFF active)."""
    bank = logic.dff_bank(parts.dff_unit, params.circuit.clock_hz, params.num_lines, 1.0)
    return Cost(bank.area, bank.energy * n_ops, bank.latency * n_ops, bank.leakage)


def switch_matrix_footprint(params: SwitchMatrixParams, config: SwitchMatrixConfig = SwitchMatrixConfig()) -> Footprint:
    """Layout of the matrix along its array edge (module docstring), m."""
    t = circuit_technology(params.circuit, config)
    return _footprint(_parts(params, config, t), params, config, t)


def _footprint(parts: _Parts, params: SwitchMatrixParams, config: SwitchMatrixConfig, t: tech.Technology) -> Footprint:
    n, edge = as_float(params.num_lines), as_float(params.edge_length)
    h_cell = gates.cell_height(t)
    w_dff = parts.dff_unit.area / h_cell  # 12 minimum INVs side by side
    if config.lines == "row":
        per_col = jnp.maximum(config.floor(edge / h_cell), 1.0)
        tg_cols = config.ceil(n / per_col)
        tg_per_line = 4.0 if config.kind == "new" else 2.0
        dff_per_col = jnp.minimum(jnp.maximum(config.floor(edge / h_cell), 1.0), n)
        width = tg_per_line * parts.tg.width * tg_cols + w_dff * config.ceil(n / dff_per_col)
        return Footprint(height=edge, width=width)
    pitch = parts.tg.width / (gates.fingers(t, parts.tg.w_n, parts.tg.w_p, config.mode) + 1.0)
    min_w = 2.0 * pitch
    per_row = jnp.maximum(config.floor(edge / (2.0 * min_w)), 1.0)
    rows = config.ceil(n / per_row)
    per_row = config.ceil(n / rows)
    folds = jnp.maximum(config.floor(edge / per_row / 2.0 / (0.5 * min_w)) - 1.0, 1.0)
    h_tg = (parts.tg.w_n + parts.tg.w_p) / folds + PASS_GATE_OVERHEAD_F * t.node
    dff_per_row = jnp.minimum(jnp.maximum(config.floor(edge / w_dff), 1.0), n)
    height = h_tg * rows + h_cell * config.ceil(n / dff_per_row)
    return Footprint(height=height, width=edge)


class SwitchMatrixCosts(NamedTuple):
    """Read action, write action and footprint of one switch matrix (shared sub-results)."""

    read: Cost
    write: Cost
    footprint: Footprint


@jax.jit
def switch_matrix_costs(params: SwitchMatrixParams, config: SwitchMatrixConfig = SwitchMatrixConfig()) -> SwitchMatrixCosts:
    """Read and write actions and footprint of a switch matrix, sharing one gate model
    (see :func:`switch_matrix`, :func:`switch_matrix_write`, :func:`switch_matrix_footprint`)."""
    t = circuit_technology(params.circuit, config)
    parts = _parts(params, config, t)
    reads, n, a = as_float(params.num_reads), as_float(params.num_lines), as_float(params.activity)
    writes = as_float(params.num_writes)
    t_tg, _ = tech.horowitz(parts.tau, STEP_RAMP)
    dff = _dff(parts, params, reads)
    c_d, c_g = parts.tg.c_out, parts.tg.c_in
    v_read2, vdd2 = as_float(params.read_voltage) ** 2, t.vdd**2
    v_acc2 = as_float(params.access_voltage) ** 2
    if config.kind == "new":
        per_line = 2.0 * c_d * v_acc2 + 5.0 * c_d * v_read2 + 3.0 * c_g * vdd2
        per_op = 2.0 * c_d * v_acc2 + 5.0 * c_g * vdd2
        dff_on = jnp.where(writes != 0, 1.0, 0.0)
    elif config.lines == "row":
        per_line = 3.0 * c_d * v_read2 + c_g * vdd2
        if config.cross_point:  # selected row at V_w, the others at V_w/2
            vw2 = as_float(params.write_voltage) ** 2
            per_op = 3.0 * c_d * vw2 + 3.0 * c_d * vw2 / 4.0 * (n - 1.0) + c_g * vdd2 * n
        else:
            per_op = 2.0 * c_g * vdd2
        dff_on = 1.0
    else:
        per_line = jnp.zeros_like(c_d)
        m = jnp.minimum(n, n * as_float(params.col_write_activity))
        pulses = as_float(params.num_write_pulse)
        vw2 = as_float(params.write_voltage) ** 2
        if config.cross_point:  # LTP and LTD selected columns at V_w, all columns at V_w/2 once
            per_op = 3.0 * c_d * vw2 * pulses * m + 3.0 * c_d * vw2 / 4.0 * n + c_g * vdd2 * n
        else:
            per_op = 3.0 * c_d * vw2 * (pulses * m + n - m / 2.0) + c_g * vdd2 * n
        dff_on = 1.0
    fp = _footprint(parts, params, config, t)
    area, leakage = fp.height * fp.width, _dff(parts, params, 0.0).leakage
    read = Cost(area, per_line * n * a * reads + dff.energy, t_tg * reads + dff.latency, leakage)
    write = Cost(area, per_op * writes + dff_on * dff.energy, t_tg * writes + dff_on * dff.latency, leakage)
    return SwitchMatrixCosts(read, write, fp)


def switch_matrix(params: SwitchMatrixParams, config: SwitchMatrixConfig = SwitchMatrixConfig()) -> Cost:
    """Switch matrix, one read action of ``num_reads`` operations (module docstring).

    Args:
      params: :class:`SwitchMatrixParams` (scalars).
      config: :class:`SwitchMatrixConfig` (static).

    Returns:
      The :class:`~cimjax.hw.cost.Cost` (area = the footprint rectangle; leakage = DFFs).
    """
    return switch_matrix_costs(params, config).read


def switch_matrix_write(params: SwitchMatrixParams, config: SwitchMatrixConfig = SwitchMatrixConfig()) -> Cost:
    """Switch matrix, one write action of ``num_writes`` operations (module docstring; the DFF
    term uses ``num_reads``, as NeuroSim's reuse of its last read call's DFF figures).

    Args:
      params: :class:`SwitchMatrixParams` (scalars).
      config: :class:`SwitchMatrixConfig` (static).

    Returns:
      The :class:`~cimjax.hw.cost.Cost` (area and leakage as :func:`switch_matrix`).
    """
    return switch_matrix_costs(params, config).write
