"""Weight-gradient (WG) unit: its params, config and one SRAM array of its farm (docs/model.md §5.6).

Source: docs/model.md §5.6 "Weight-gradient unit" / "Gradient accumulator", §5.7, §5.8 step 5, and
NeuroSim V2.0 ``WeightGradientUnit.cpp`` (``parallelBP = true`` branch; the ``false`` branch,
a row-by-row read, is :func:`wg_array_row_by_row`) and ``Chip.cpp``
(``ChipInitialize``, ``ChipCalculateArea``, ``ChipCalculatePerformance``), read for the
model, not copied. Valid for nodes in [7, 130] nm and 2–256 ADC levels.

**The unit.** An SRAM CIM farm sized for the layer with the largest input feature map:
``numArrayInRow = ⌊max_windows/rows⌋`` × ``numArrayInCol = ⌊max_input_cols/cols⌋`` arrays of
``rows × cols`` 6T cells (VGG-8: ⌊900/128⌋ = 7 × ⌊1024/128⌋ = 8 = 56; computed traced). Each
array has a classic WL switch matrix (TGs from ``R_access``), a precharger, an SRAM write
driver, ``cols/rows_muxed`` TG muxes of ``rows_muxed`` inputs and their decoder, as many MLSAs
of ``adc_levels`` levels with encoders, and shift-adders of ``log2 L + numBitInput + 1`` bits;
an adder tree over the array rows (``numArrayInRow`` inputs, ``⌈numArrayInCol·cols/rows_muxed⌉``
trees) merges them. ``outPrecision = log2 L + numBitInput + ⌈log2 numArrayInRow⌉`` (15).
Area = ``numArrays ×`` (sum of one array's component areas) + adder tree.

**One read call** (one output channel; ``m = rows_muxed·numBitInput`` = 64 operations):
latency ``max(t_switch, m·(t_mux + t_muxdec)) + m·t_precharge + numBitInput·t_bitline +
t_MLSA(m columns per ADC) + t_encoder(m) + t_shiftadd(m) + accumulation_reads·t_tree``;
energy per array ``E_switch + m·(E_precharge + E_MLSA + E_mux + E_muxdec) + E_encoder +
E_shiftadd`` (the MLSA senses all ``cols`` columns per operation). The MLSA column resistance is
that of an average trace, ``(R_access + R_wire,FW)/⌈rows·activity⌉``, against NeuroSim's
reference ladder of the *forward* arrays (``ref_resistance_on/off``, ``ref_rows``).

**One write** (the layer's activations into the array; ``w = rows·activity`` rows):
latency ``w·t_flip + t_switch,write(2w) + w·(t_precharge + t_driver)``; energy per array
``E_switch,write + w·(E_precharge,write + E_driver) + (cols·activity)·w·E_flip``.

**Quirks** (``WeightGradientConfig.version``): ``wg_write_activity_unset`` (True, as released):
the precharger and write driver keep the column-write activity they had when
``ChipInitialize`` ran, before any layer's activity was read, i.e. 0 in a normal build, so
their write energy is 0; False uses the layer's activity.

**March 2020 code** (``WeightGradientConfig.version``; the chip passes its own): NeuroSim V2.0's first public release, commit bf95f9c (2020-03-15),
``WeightGradientUnit.cpp`` with ``SwitchMatrix.cpp``, ``MultilevelSenseAmp.cpp``,
``CurrentSenseAmp.cpp``, ``MultilevelSAEncoder.cpp`` and ``ShiftAdd.cpp`` (facts and formulas
only). ``WeightGradientUnit.cpp`` itself and Chip.cpp's WG roll-up and gradient accumulator are
the same as in the current code but for the switch matrix's ``CalculatePower`` arguments; its
components differ in:

* **WL switch matrix TGs** (``wg_switch_access_tg``; :func:`march2020_wl_switch_delay`): ``_resTg = R_access`` is the TG
  resistance itself (no ``IR_DROP_TOLERANCE``) and the widths ``R_on(1F)·F/(2·R_access)`` (no
  ``LINEAR_REGION_RATIO``), so ``τ = R_access·(3·C_d + C_L) + R_L·C_L/2``: on the Fig. 34 chip
  a read call 35 ns (of 190) and a write 42 ns (of 59) longer. Emulated as the classic matrix at
  ``res_tg = 0.8·R_access`` (those widths: area, energy, DFFs) plus, per TG operation, the delay
  difference between ``R_TG = R_access`` and the classic matrix's ``0.2·R_access``.
* **WL switch read energy** on the row activity the matrix was initialised with (in
  ``ChipInitialize``, before any layer's activity is read: 0 in a normal build) with
  ``wg_write_activity_unset``: only its DFFs (the current code passes the layer's).
* **MLSA**: the March area and column energy (:mod:`~cimjax.hw.components.mlsa`, "March 2020
  code"); its energy already holds the ``numRead = rows_muxed·numBitInput`` evaluations of all
  ``cols`` columns, so a read call costs ``ops·Σ_j E(R_j)`` (not × ``ops`` again); no
  ``0.5/V_read`` rescaling. With 64 levels 1.24× the current code's, with 16 levels 0.77×.
* **Layouts**: the encoders' March rule, and the shift-adders charged as their layout along the
  array width (:func:`~cimjax.hw.components.shift_adder.shift_adder_layout_area`; the current path
  keeps the gates' sum).

Precharger, write driver, mux, mux decoder, bit-line delay, adder tree, the layer roll-up and the
gradient accumulator are the current path's. Not modelled: the March mux TGs (``R_access`` and
``1/(2·R_access)`` widths; hidden under the switch matrix's latency, energy < 0.1 %). Same valid
range. On the Fig. 34 chip cimjax is within 2 % of the March code's WG latency, energy and
their peaks (per layer ≤ 1.3 %) and 2.6 % below its WG-unit area (the gradient accumulator's
layout along the global buffer and the mux area, as in the current path).

Components are cimjax's (:mod:`~cimjax.hw.components.logic`, ``routing``, ``mlsa``,
``switch_matrix``, ``sram``), not NeuroSim's gate-level figures; see those modules.

The unit over a layer and the gradient accumulator are :mod:`cimjax.hw.components.wg_layers`.
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple, Optional, Union

import jax
import jax.numpy as jnp

from cimjax.hw import tech, wiring
from cimjax.hw.components import encoder, gates, logic, mlsa, routing, sar_adc, shift_adder, sram, switch_matrix
from cimjax.hw.components.params import CircuitParams, ComponentConfig, as_float, circuit_technology
from cimjax.hw.components.subarray_sequential import _row_decoder
from cimjax.hw.components.subarray_sram_sequential import _sense_amp
from cimjax.hw.cost import Cost

Array = jax.Array
ArrayLike = Union[jax.Array, float, int]


class WeightGradientParams(NamedTuple):
    """Traced parameters of the WG unit (defaults: NeuroSim V2.0, docs/model.md §5.3).

    Attributes:
      circuit: :class:`~cimjax.hw.components.params.CircuitParams`.
      cell: :class:`~cimjax.hw.components.sram.SramCellParams` (6T, 8F × 20F).
      array_rows / array_cols: WG array size (``numRowSubArrayWG``/``numColSubArrayWG`` = 128).
      adc_levels: MLSA levels (``levelOutputWG`` = 16).
      num_bit_input: activation bits (``numBitInput`` = 8).
      batch_size: ``batchSize`` (200), for the gradient accumulator's width.
      read_pulse_width: read pulse the shift-add hides under, s (the cell's 10 ns).
      read_voltage: ``V_read`` of the switch matrix and the MLSA fit scaling, V (0.5).
      ref_resistance_on / ref_resistance_off / ref_rows: the forward arrays' ``R_on``, ``R_off``
        (Ω) and rows, which set NeuroSim's MLSA reference ladder (100 kΩ, 1 MΩ, 128).
      fw_cell_size_f: forward-cell size in F whose wire (``wireResistanceCol``) is added to the
        column path (1T1R: 4).
      accumulation_reads: adder-tree operations per read call (NeuroSim: the forward
        ``numColMuxed`` = 8, ``WeightGradientUnit.cpp`` ``CalculateLatency``; the build sets it
        from ``hardware.columns_per_adc``).
    """

    circuit: CircuitParams = CircuitParams()
    cell: sram.SramCellParams = sram.SramCellParams()
    array_rows: ArrayLike = 128.0
    array_cols: ArrayLike = 128.0
    adc_levels: ArrayLike = 16.0
    num_bit_input: ArrayLike = 8.0
    batch_size: ArrayLike = 200.0
    read_pulse_width: ArrayLike = 10e-9
    read_voltage: ArrayLike = 0.5
    ref_resistance_on: ArrayLike = 100e3
    ref_resistance_off: ArrayLike = 1e6
    ref_rows: ArrayLike = 128.0
    fw_cell_size_f: ArrayLike = 4.0
    accumulation_reads: ArrayLike = 8.0


@jax.tree_util.register_static
@dataclasses.dataclass(frozen=True, kw_only=True)
class WeightGradientConfig(ComponentConfig):
    """Static structure of the WG unit.

    Attributes:
      max_windows: valid windows of the layer with the largest IFM (VGG-8 conv2: 30·30 = 900),
        ≥ 1; sets the farm's rows with ``array_rows``.
      max_input_cols: ``C_in·numBitInput`` of that layer (128·8 = 1024), ≥ 1.
      rows_muxed: rows (columns) per ADC, ``numRowMuxedWG`` = 8, in [2, 256]; static because it
        sets the mux decoder's structure.
      version: flags read here ``wg_write_activity_unset`` (quirk), ``wg_switch_access_tg`` and
        ``shift_adder_bounding_box`` (March 2020), and those of the MLSA and encoder (module
        docstring).
      row_by_row: NeuroSim's ``parallelBP = false``: the arrays are read row by row
        (:func:`wg_array_row_by_row`) instead of through the MLSAs.
      decoder_rows: static copy of ``array_rows`` sizing the row-by-row read's WL decoder (keep
        equal to the traced ``array_rows``; the parallel read ignores it).
    """

    max_windows: int = 900
    max_input_cols: int = 1024
    rows_muxed: int = 8
    row_by_row: bool = False
    decoder_rows: int = 128

    def __post_init__(self):
        super().__post_init__()
        self._check_int("max_windows", 1)
        self._check_int("max_input_cols", 1)
        self._check_int("rows_muxed", 2, 256)
        self._check_bool("row_by_row")
        self._check_int("decoder_rows", 2, 2**16)


class WeightGradientUnit(NamedTuple):
    """Static figures of the WG unit: ``area`` (m²), ``leakage`` (W), ``out_precision`` (bits),
    ``arrays_in_row`` / ``arrays_in_col`` / ``num_arrays`` (counts, floats)."""

    area: Array
    leakage: Array
    out_precision: Array
    arrays_in_row: Array
    arrays_in_col: Array
    num_arrays: Array


class WgArray(NamedTuple):
    """One WG array: ``read`` (one call), ``write`` (one write) with its area and leakage."""

    read: Cost
    write: Cost
    tree: Cost  # the adder tree, one read call (all trees)


def farm_counts(params: WeightGradientParams, config: WeightGradientConfig) -> tuple[Array, Array]:
    """Arrays in a row / column of the farm: ``⌊windows/rows⌋ × ⌊C_in·bits/cols⌋``, at least
    one each (NeuroSim's floor gives an empty farm, and NaNs, for networks whose largest
    input is smaller than one array, e.g. a fully connected network: cimjax keeps one)."""
    rows, cols = as_float(params.array_rows), as_float(params.array_cols)
    in_row = jnp.maximum(config.floor(config.max_windows / rows), 1.0)
    in_col = jnp.maximum(config.floor(config.max_input_cols / cols), 1.0)
    return in_row, in_col


def out_precision(params: WeightGradientParams, config: WeightGradientConfig = WeightGradientConfig()) -> Array:
    """``outPrecision = log2 L + numBitInput + ⌈log2 numArrayInRow⌉`` bits (15 at the defaults)."""
    in_row, _ = farm_counts(params, config)
    stages = jnp.maximum(config.log2ceil(jnp.maximum(in_row, 1.0)), 0.0)
    # parallelBP = false (WeightGradientUnit.cpp Initialize): log2 numRow in place of log2 levelOutputWG.
    read_bits = jnp.log2(as_float(params.array_rows)) if config.row_by_row else jnp.log2(as_float(params.adc_levels))
    return read_bits + as_float(params.num_bit_input) + stages


def march2020_wl_switch_delay(t: tech.Technology, mode: str, r_access: ArrayLike, load_capacitance: ArrayLike,
                              load_resistance: ArrayLike, r_tg: Optional[ArrayLike] = None) -> Array:
    """One TG operation of the WG array's WL switch matrix in the March 2020 code, s.

    Source: NeuroSim V2.0 commit bf95f9c, ``SwitchMatrix::Initialize`` / ``CalculateLatency``
    (read for the formula) as the ``WeightGradientUnit`` builds it (``_resTg = resCellAccess``):
    TG widths ``W_n,p = R_on,n/p(1F)·F/(2·R_access)`` (no ``LINEAR_REGION_RATIO``), TG resistance
    ``R_TG = R_access`` (no ``IR_DROP_TOLERANCE``), ``τ = R_TG·(3·C_d + C_L) + R_L·C_L/2`` with
    ``C_d`` the TG's drain capacitance, delay ``Horowitz(τ)`` of a step input. ``r_tg`` overrides
    ``R_TG`` (same widths), e.g. ``0.2·R_access`` for the delay the classic matrix of
    :mod:`~cimjax.hw.components.switch_matrix` gives at those widths. Valid for nodes in
    [7, 130] nm, ``R_access > 0``.

    Args:
      t: technology.
      mode: relax mode (static).
      r_access: the SRAM cell's access resistance ``resCellAccess``, Ω.
      load_capacitance / load_resistance: the WL's ``C_L`` (``capRow1``, F) and ``R_L`` (Ω).
      r_tg: optional TG resistance, Ω (default ``r_access``).

    Returns:
      The delay, s.
    """
    r_access = as_float(r_access)
    w_n = tech.on_resistance(t, t.node, "n", mode) * t.node / (2.0 * r_access)
    w_p = tech.on_resistance(t, t.node, "p", mode) * t.node / (2.0 * r_access)
    tg = routing.gates.gate(t, "tg", mode=mode, widths=(w_n, w_p))
    r = r_access if r_tg is None else as_float(r_tg)
    c_l, r_l = as_float(load_capacitance), as_float(load_resistance)
    tau = r * (3.0 * tg.c_out + c_l) + r_l * c_l / 2.0
    return tech.horowitz(tau, switch_matrix.STEP_RAMP)[0]


def wg_array_row_by_row(params: WeightGradientParams, config: WeightGradientConfig, activity: ArrayLike) -> WgArray:
    """Costs of one WG array read row by row, NeuroSim's ``parallelBP = false``.

    Source: NeuroSim V2.0 (d4de5bc) ``WeightGradientUnit.cpp`` ``Initialize``, ``CalculateArea``,
    ``CalculateLatency`` and ``CalculatePower``, the ``!parallelBP`` branches (facts and formulas
    only). The array, precharger, write driver and cell are the parallel read's; the periphery is
    that of NeuroSim's row-by-row SRAM read, on cimjax's parts of
    :mod:`~cimjax.hw.components.subarray_sram_sequential` (voltage sense amplifier),
    :mod:`~cimjax.hw.components.subarray_sequential` (WL decoder) and
    :mod:`~cimjax.hw.components.logic`: a WL decoder of ``⌈log2 rows⌉`` bits, ``cols`` sense
    amplifiers, ``⌊cols/numBitInput⌋`` adders of ``b = ⌈log2 rows⌉ + 1`` bits with ``(b + 1)``
    DFFs each, shift-adders of ``b + numBitInput + 1`` bits, and an adder tree of ``log2 rows +
    numBitInput + 1`` bits over the array rows.

    One read call opens ``n = rows·a·numBitInput`` rows one at a time (``a`` the layer's
    activity): latency ``n·(t_dec + t_pre + t_BL + t_SA + t_add + t_DFF) + t_shift(numBitInput
    reads) + t_tree`` (the tree once, not ``numColMuxed`` times); energy ``n·(E_dec + E_pre +
    E_SA + E_add + E_DFF + E_shift)`` (NeuroSim passes ``numCol`` adders per operation to
    ``Adder::CalculatePower``, which takes the minimum with the ``cols/numBitInput`` built; the
    DFFs likewise). Write: ``w = rows·a`` rows, ``w·(t_flip +
    t_dec + t_pre + t_driver)``, energy ``w·(E_dec + E_pre + E_driver) + cols·a·w·E_flip``.
    Area: cells + decoder (down the array height) + precharger + write driver + sense amplifiers
    + adders and DFFs (across the width) + shift-adders; leakage likewise. Same valid range as
    the parallel WG unit; ``config.decoder_rows`` must equal ``array_rows``.
    """
    c, cfg = params.circuit, config.sub(ComponentConfig)
    t = circuit_technology(c, config)
    mode = config.mode
    rows, cols = as_float(params.array_rows), as_float(params.array_cols)
    bits, a = as_float(params.num_bit_input), as_float(activity)
    n = rows * a * bits  # rows opened per read call
    written_rows = rows * a
    cell = sram.sram_cell(t, params.cell, mode)
    wires = sram.array_wires(c, t, params.cell, rows, cols)
    col_write = 0.0 if config.version.wg_write_activity_unset else a
    drv = sram.ColumnDriverParams(c, cols, wires.cap_col, wires.res_col, wires.length_row, col_write, cols)
    pre = sram.precharger(drv, cfg)
    wd = sram.sram_write_driver(drv, cfg)
    dec = _row_decoder(t, config.decoder_rows, wires.cap_row, wires.length_col, config)
    amp = _sense_amp(t, cols, wires.length_row / cols, params.cell.min_sense_voltage, c.clock_hz, mode)
    adder_bits = jnp.ceil(jnp.log2(rows)) + 1.0
    n_add = config.floor(cols / bits)
    nand2 = gates.gate(t, "nand", 2, mode=mode)
    add = logic.adder_cost(t, nand2, adder_bits, n_add)
    add = add._replace(area=logic.row_layout_area(9.0 * nand2.width, adder_bits * nand2.height, n_add,
                                                  wires.length_row, cfg))
    dff = logic.dff(logic.DffParams(c, (adder_bits + 1.0) * n_add, 1.0, 0.0, wires.length_row), cfg)
    shift_p = shift_adder.ShiftAdderParams(c, adder_bits + bits + 1.0, n_add, bits, params.read_pulse_width,
                                           num_read_pulse=bits)
    shift = shift_adder.shift_adder(shift_p, cfg)
    shift_e = shift.energy / bits  # CalculatePower per row read
    in_row, in_col = farm_counts(params, config)
    tree = logic.adder_tree(
        logic.AdderTreeParams(c, in_row, jnp.log2(rows) + bits + 1.0, config.ceil(in_col * cols / config.rows_muxed)),
        config.sub(logic.AdderTreeConfig),
    )
    t_bitline = sram.bitline_read_delay(t, cell, wires, params.cell.min_sense_voltage)
    area = rows * cols * cell.area + dec.area + pre.read.area + wd.area + amp.area + add.area + dff.area + shift.area
    leakage = (rows * cols * cell.leakage + dec.leakage + pre.read.leakage + wd.leakage + amp.leakage + add.leakage
               + dff.leakage + shift.leakage)
    read_latency = (n * (dec.latency + pre.read.latency + t_bitline + amp.latency + add.latency + dff.latency)
                    + shift.latency + tree.latency)
    read_energy = n * (dec.energy + pre.read.energy + amp.energy + add.energy + dff.energy + shift_e)
    write_latency = written_rows * (sram.cell_write_latency(cell) + dec.latency + pre.write.latency + wd.latency)
    write_energy = (written_rows * (dec.energy + pre.write.energy + wd.energy)
                    + cols * a * written_rows * sram.cell_write_energy(t, cell))
    return WgArray(read=Cost(area, read_energy, read_latency, leakage),
                   write=Cost(area, write_energy, write_latency, leakage), tree=tree)


def wg_array(params: WeightGradientParams, config: WeightGradientConfig, activity: ArrayLike) -> WgArray:
    """Costs of one WG array at input ``activity`` (module docstring; ``config.row_by_row``:
    :func:`wg_array_row_by_row`)."""
    if config.row_by_row:
        return wg_array_row_by_row(params, config, activity)
    c, cfg = params.circuit, config.sub(ComponentConfig)
    t = circuit_technology(c, config)
    mode = config.mode
    rows, cols = as_float(params.array_rows), as_float(params.array_cols)
    bits, levels, a = as_float(params.num_bit_input), as_float(params.adc_levels), as_float(activity)
    muxed = float(config.rows_muxed)
    ops = muxed * bits  # operations per read call
    n_adc = cols / muxed
    cell = sram.sram_cell(t, params.cell, mode)
    wires = sram.array_wires(c, t, params.cell, rows, cols)
    written_rows = rows * a
    march_tg = config.version.wg_switch_access_tg
    # Switch matrix (classic, rows), TGs sized from R_access.
    if march_tg:
        # bf95f9c: TG widths R_on(1F)·F/(2·R_access), which the classic matrix gives for
        # res_tg = R_access·0.2/0.25; read energy on the activity set at ChipInitialize (unset: 0).
        sw_res = cell.r_access * (switch_matrix.LINEAR_REGION_RATIO / switch_matrix.IR_DROP_TOLERANCE)
        sw_act = 0.0 if config.version.wg_write_activity_unset else a
    else:
        sw_res, sw_act = cell.r_access, a
    sw_params = switch_matrix.SwitchMatrixParams(
        c, rows, sw_res, wires.cap_row, wires.res_row, sw_act, a,
        read_voltage=params.read_voltage, num_reads=ops, num_writes=2.0 * written_rows, edge_length=wires.length_col,
    )
    sw_config = config.sub(switch_matrix.SwitchMatrixConfig, kind="classic", lines="row")
    sw_read = switch_matrix.switch_matrix(sw_params, sw_config)
    sw_write = switch_matrix.switch_matrix_write(sw_params, sw_config)
    if march_tg:
        # ... and its τ with R_TG = R_access itself (no IR-drop factor): shift each TG operation.
        dt = march2020_wl_switch_delay(t, mode, cell.r_access, wires.cap_row, wires.res_row) - (
            march2020_wl_switch_delay(t, mode, cell.r_access, wires.cap_row, wires.res_row,
                                      r_tg=switch_matrix.LINEAR_REGION_RATIO * cell.r_access))
        sw_read = sw_read._replace(latency=sw_read.latency + ops * dt)
        sw_write = sw_write._replace(latency=sw_write.latency + 2.0 * written_rows * dt)
    # Precharger and write driver across the array width.
    col_write = 0.0 if config.version.wg_write_activity_unset else a
    drv = sram.ColumnDriverParams(c, cols, wires.cap_col, wires.res_col, wires.length_row, col_write, cols)
    pre = sram.precharger(drv, cfg)
    wd = sram.sram_write_driver(drv, cfg)
    # Column mux (TG from R_access) and its decoder, loaded by the muxes' TG gates.
    mux = routing.mux(routing.MuxParams(c, muxed, n_adc, cell.r_access, 0.0, params.read_voltage), cfg)
    r_lin = tech.on_resistance(t, t.node, "n", mode) * routing.LINEAR_REGION_RATIO
    w_tg = jnp.maximum(t.node * r_lin / cell.r_access, 2.0 * t.node)
    tg = routing.gates.gate(t, "tg", mode=mode, widths=(w_tg, routing.gates.pn_size_ratio(t) * w_tg))
    dec = routing.decoder(
        routing.DecoderParams(c, n_adc * tg.c_in), config.sub(routing.DecoderConfig, num_outputs=config.rows_muxed)
    )
    # MLSA: average-trace column resistance; references of the forward arrays.
    r_wire = wiring.wire_resistance_per_cell(c.wire_width_nm, params.fw_cell_size_f, c.temperature_k)
    on_rows = config.ceil(rows * a)
    r_col = (cell.r_access + r_wire) / jnp.where(on_rows > 0, on_rows, 1.0)
    r_col = jnp.where(on_rows > 0, r_col, jnp.inf)
    sa_params = mlsa.MlsaParams(
        c, levels, n_adc, ops, params.ref_rows, params.ref_resistance_on, params.ref_resistance_off,
        params.read_voltage, cols,
    )
    if config.adc == "sar":  # V2.1 SARADC (WeightGradientUnit.cpp): a SAR ADC, no encoder
        sa = sar_adc.sar_adc(sa_params, cfg, r_col)
        enc = Cost(*(jnp.zeros_like(sa.area) for _ in range(4)))
    else:
        sa = mlsa.mlsa(sa_params, config.sub(mlsa.MlsaConfig), r_col)
        enc = encoder.encoder(encoder.EncoderParams(c, levels, n_adc, ops, wires.length_row),
                              config.sub(encoder.EncoderConfig))
    shift_params = shift_adder.ShiftAdderParams(
        c, jnp.log2(levels) + bits + 1.0, n_adc, ops, params.read_pulse_width, num_read_pulse=bits
    )
    shift = shift_adder.shift_adder(shift_params, cfg)
    if config.version.shift_adder_bounding_box:  # bf95f9c charges the shift-adders' layout along the array width
        layout = shift_adder.shift_adder_layout_area(shift_params, wires.length_row, "width", cfg)
        shift = shift._replace(area=layout)
    # Adder tree over the array rows (the whole farm's trees), accumulation_reads per call.
    in_row, in_col = farm_counts(params, config)
    tree = logic.adder_tree(
        logic.AdderTreeParams(c, in_row, jnp.log2(levels) + bits + 1.0, config.ceil(in_col * cols / muxed)),
        config.sub(logic.AdderTreeConfig),
    )
    tree = tree._replace(latency=tree.latency * as_float(params.accumulation_reads))

    t_bitline = sram.bitline_read_delay(t, cell, wires, params.cell.min_sense_voltage)
    area = (
        rows * cols * cell.area + sw_read.area + pre.read.area + wd.area + mux.area + dec.area + sa.area
        + enc.area + shift.area
    )
    leakage = rows * cols * cell.leakage + sw_read.leakage + pre.read.leakage + wd.leakage + dec.leakage
    leakage = leakage + sa.leakage + enc.leakage + shift.leakage
    read_latency = (
        jnp.maximum(sw_read.latency, ops * (mux.latency + dec.latency)) + ops * pre.read.latency
        + bits * t_bitline + sa.latency + enc.latency + shift.latency + tree.latency
    )
    if config.version.mlsa_column_energy_sum:
        # The March MLSA energy already holds its ``numRead = ops`` evaluations (mlsa.mlsa with
        # columns_per_adc = ops; bf95f9c ``CalculatePower(columnResistance, ops)``): not × ops again.
        read_energy = (
            sw_read.energy + ops * (pre.read.energy + mux.energy + dec.energy) + sa.energy + enc.energy
            + shift.energy
        )
    else:
        read_energy = (
            sw_read.energy + ops * (pre.read.energy + sa.energy + mux.energy + dec.energy) + enc.energy + shift.energy
        )
    write_latency = (
        written_rows * sram.cell_write_latency(cell) + sw_write.latency
        + written_rows * (pre.write.latency + wd.latency)
    )
    write_energy = (
        sw_write.energy + written_rows * (pre.write.energy + wd.energy)
        + cols * a * written_rows * sram.cell_write_energy(t, cell)
    )
    return WgArray(
        read=Cost(area, read_energy, read_latency, leakage),
        write=Cost(area, write_energy, write_latency, leakage),
        tree=tree,
    )
