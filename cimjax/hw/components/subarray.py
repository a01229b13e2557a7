"""The memory sub-array with its periphery: area, one read (forward and transposed), one update.

Source: spec §5.4 (NeuroSim V2.0 ``SubArray.cpp``, conventional parallel mode, ``parallelBP``),
§5.5 (``GetWriteUpdateEstimation`` in ``ProcessingUnit.cpp``), ``GetColumnResistance`` /
``GetRowResistance`` (``ProcessingUnit.cpp``) and ``Param.cpp`` wire values — facts and formulas
only. Built from :mod:`~cimjax.hw.components.mlsa`, :mod:`~cimjax.hw.components.switch_matrix`,
:mod:`~cimjax.hw.components.routing` (mux, mux decoder) and :mod:`~cimjax.hw.components.logic`
(shift-adder). Valid for nodes in [7, 130] nm, 1T1R RRAM (default) and FeFET cells, ADCs of
2–256 levels. ``SubArrayConfig(cell="sram")`` dispatches :func:`subarray_area`,
:func:`subarray_read`, :func:`subarray_write` and :func:`check_subarray_params` to
:mod:`~cimjax.hw.components.subarray_sram` (the transposable SRAM sub-array, same types and
buckets); everything below describes the eNVM (1T1R/FeFET) sub-array.

**Geometry.** ``L_row = cols·w_cell·F``, ``L_col = rows·h_cell·F``; wire capacitance 0.2 fF/µm;
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
columns active (NeuroSim's hard-coded 0.5) and ``numRowMuxedAG``.

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
  (:func:`~cimjax.hw.components.logic.shift_adder_layout_area`), the forward units across the
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

The write path (:func:`subarray_write`, :func:`set_row_share_march2020`), with its March 2020
differences, is in :mod:`~cimjax.hw.components.subarray_write` (re-exported here).

**Area.** ``height = SL switch + L_col + mux + MLSA + encoder + shift-adder``, ``width =
max(WL switch, mux decoder) + L_row + row mux + MLSA_AG + encoder_AG + shift-adder_AG``; blocks
without a layout rule here (MLSA, shift-adders, muxes) are stretched along the edge they abut
(``height = area/L_row``, ``width = area/L_col``); the mux is at least as tall (wide, AG) as its
decoder, whose footprint is ``num_outputs`` cell heights by ``area/that``.
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple, Union

import jax
import jax.numpy as jnp
import numpy as np

from cimjax.hw import relax, tech
from cimjax.hw.components import gates, logic, routing
from cimjax.hw.components import mlsa as ml
from cimjax.hw.components import switch_matrix as sm
from cimjax.hw.components.params import (CircuitParams, ComponentConfig, as_float, circuit_technology,
                                         with_technology_scope)
from cimjax.hw.cost import Cost

Array = jax.Array
ArrayLike = Union[jax.Array, float, int]

CELLS = ("rram", "fefet", "sram")
COLUMN_ACTIVITY_AG = 0.5  #: NeuroSim's hard-coded transposed-read column activity.
SENSE_SWING = 0.2  #: Fraction of τ taken as enough to sense (15–20 % swing), spec §5.4.


class SubArrayParams(NamedTuple):
    """Traced parameters of one sub-array (defaults: NeuroSim V2.0, spec §5.3).

    Attributes: ``circuit``; ``rows``/``cols`` (128); ``columns_per_adc`` (``numColMuxed`` 8);
    ``adc_levels`` (``levelOutput`` 64); ``rows_per_adc_ag`` / ``adc_levels_ag`` (AG, 8 / 64);
    ``num_bit_input`` (``numReadPulse`` 8); ``num_read_pulse_bp`` (8); ``r_on``/``r_off`` (Ω);
    ``read_voltage``, ``read_pulse_width``, ``access_voltage``; ``write_voltage`` per polarity
    (the cell sees ``sqrt(V_LTP² + V_LTD²) = √2·V``); ``write_pulse_width``; ``max_levels``
    (``maxNumLevelLTP/LTD``); ``cell_height_f``/``cell_width_f`` (1T1R 4F × 4F);
    ``access_resistance`` (``resistanceAccess`` 15 kΩ, used only in the column resistance);
    ``gate_cap_fefet`` (F, FeFET write lines).
    """

    circuit: CircuitParams = CircuitParams()
    rows: ArrayLike = 128.0
    cols: ArrayLike = 128.0
    columns_per_adc: ArrayLike = 8.0
    adc_levels: ArrayLike = 64.0
    rows_per_adc_ag: ArrayLike = 8.0
    adc_levels_ag: ArrayLike = 64.0
    num_bit_input: ArrayLike = 8.0
    num_read_pulse_bp: ArrayLike = 8.0
    r_on: ArrayLike = 100e3
    r_off: ArrayLike = 1e6
    read_voltage: ArrayLike = 0.5
    read_pulse_width: ArrayLike = 10e-9
    access_voltage: ArrayLike = 1.1
    write_voltage: ArrayLike = 4.0
    write_pulse_width: ArrayLike = 50e-9
    max_levels: ArrayLike = 32.0
    cell_height_f: ArrayLike = 4.0
    cell_width_f: ArrayLike = 4.0
    access_resistance: ArrayLike = 15e3
    gate_cap_fefet: ArrayLike = 2.1717e-18


@jax.tree_util.register_static
@dataclasses.dataclass(frozen=True, kw_only=True)
class SubArrayConfig(ComponentConfig):
    """Static structure of a sub-array.

    Attributes:
      cell: ``"rram"`` (1T1R eNVM), ``"fefet"`` or ``"sram"`` (the transposable SRAM sub-array
        of :mod:`~cimjax.hw.components.subarray_sram`).
      parallel_bp: transposed (AG) read periphery for training.
      num_col_muxed / num_row_muxed_ag: static copies of ``columns_per_adc`` /
        ``rows_per_adc_ag`` sizing the mux decoders (ints in [1, 2^16]; 1 = no mux).
      mlsa_max_levels: static bound on the ADC levels (:class:`~.mlsa.MlsaConfig`).
      version: the NeuroSim code (:mod:`cimjax.hw.neurosim_version`): the quirk flags and the
        "March 2020 code" flags of the module docstring.
    """

    cell: str = "rram"
    parallel_bp: bool = True
    num_col_muxed: int = 8
    num_row_muxed_ag: int = 8
    mlsa_max_levels: int = 256

    def __post_init__(self):
        super().__post_init__()
        self._check_choice("cell", CELLS)
        self._check_bool("parallel_bp")
        self._check_int("num_col_muxed", 1, 2**16)
        self._check_int("num_row_muxed_ag", 1, 2**16)
        self._check_int("mlsa_max_levels", 2, 4096)


def _sram():
    """The SRAM sub-array module (imported on use: it builds on this one)."""
    from cimjax.hw.components import subarray_sram

    return subarray_sram


class SubArrayArea(NamedTuple):
    """Area of one sub-array (m²; ``height``/``width`` in m) by NeuroSim bucket, and its leakage (W).

    ``total = adc + accumulation + array + other`` is NeuroSim's ``usedArea``, the figure its PE
    area sums. ``height``/``width`` are the layout bounding box (the MLSAs stretched along the
    array edge make it far larger than ``total``: about 1.28 mm × 1.18 mm at the V2.0 default);
    NeuroSim uses them only to size the PE buses.
    """

    total: Array
    height: Array
    width: Array
    adc: Array
    accumulation: Array
    array: Array
    other: Array
    leakage: Array


class ReadCost(NamedTuple):
    """One read (one input bit-vector through the sub-array), s and J; buckets sum to the totals."""

    latency: Array
    energy: Array
    adc_latency: Array
    adc_energy: Array
    accumulation_latency: Array
    accumulation_energy: Array
    array_latency: Array
    array_energy: Array
    other_latency: Array
    other_energy: Array


class SubArrayRead(NamedTuple):
    """Forward read and transposed (AG) read (zeros when not ``parallel_bp``)."""

    fw: ReadCost
    ag: ReadCost


class _Geometry(NamedTuple):
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


#: Field-poly gap, F (spec §5.9 layout constants): with the poly extension it bounds the
#: diffusion a transistor region of a given height leaves.
FIELD_POLY_GAP_F = 1.6


def access_drain_capacitance(t: tech.Technology, width: ArrayLike, region_height: ArrayLike,
                             mode: str = "exact") -> Array:
    """Drain capacitance of the 1T1R access NMOS laid out in a region ``region_height`` tall, F.

    Source: NeuroSim V2.0 ``SubArray::Initialize`` sizes ``C_col`` (and the transposed row) with
    ``CalculateDrainCap(W_acc, NMOS, widthInFeatureSize·F)`` (``formula.cpp``): an NMOS-only
    standard-cell layout in the cell's ``w_cell·F`` height, i.e. spec §5.9's folding rule with
    the field-poly gap and poly extension (no P–N gap, no PMOS). The diffusion available is
    ``h = H − (1.0 + 1.6/2)·2F`` (``H`` = region height). ``W ≤ h``: one strip, ``C_j·s_d·W +
    C_sw·(W + 2·s_d) + C_edge·W`` (:func:`gates.drain_capacitance` with one finger). ``W > h``:
    ``n = ⌈W/h⌉`` fingers of height ``h`` with ``m = ⌈(n + 1)/2⌉`` drain strips, ``C_j·m·s_d·h +
    C_sw·(2·m·s_d + h) + C_edge·n·h`` (one ``h`` of side wall: NeuroSim takes that count from the
    *PMOS* fold, which is 1 here). Measured in NeuroSim V2.0's default run (32 nm, 4F cell, W_acc
    = 0.668F): ``C_d`` = 7.6466e-17 F, ``C_col`` = 1.30645e-14 F (one strip gives 4.2e-17 F).
    FinFET nodes keep the one-strip drawn-width value (NeuroSim's fin-count layout is not
    modelled here).

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
    one_strip = gates.drain_capacitance(t, width, 1.0, mode)
    return jnp.where(t.finfet, one_strip, planar)


def _geometry(p: SubArrayParams, config: SubArrayConfig) -> _Geometry:
    t = circuit_technology(p.circuit, config)
    rows, cols = as_float(p.rows), as_float(p.cols)
    len_row = cols * as_float(p.cell_width_f) * t.node
    len_col = rows * as_float(p.cell_height_f) * t.node
    c_w = as_float(p.circuit.wire_capacitance)
    r_w = tech.wire_resistance_per_length(p.circuit.wire_width_nm, p.circuit.temperature_k)
    r_acc = as_float(p.r_on) * sm.IR_DROP_TOLERANCE
    # bf95f9c sized the access transistor with 2·IR_DROP_TOLERANCE (0.5) where d4de5bc has 0.2.
    ratio = 2.0 * sm.IR_DROP_TOLERANCE if config.version.access_width_ir_drop else sm.LINEAR_REGION_RATIO
    access_width_f = tech.on_resistance(t, t.node, "n", config.mode) * ratio / r_acc
    w_acc = access_width_f * t.node
    c_drain = access_drain_capacitance(t, w_acc, as_float(p.cell_width_f) * t.node, config.mode)
    cap_row1 = len_row * c_w
    return _Geometry(
        t=t, len_row=len_row, len_col=len_col, cap_row1=cap_row1,
        cap_row2=cap_row1 + tech.gate_capacitance(t, w_acc, config.mode) * cols,
        cap_col=len_col * c_w + c_drain * rows, cap_row_ag=cap_row1 + c_drain * cols,
        res_row=len_row * r_w, res_col=len_col * r_w, r_acc=r_acc, access_width_f=access_width_f,
        r_cell_on=as_float(p.r_on) + r_acc, r_cell_avg=r_acc + 0.5 * (as_float(p.r_on) + as_float(p.r_off)),
    )


def check_subarray_params(params: SubArrayParams, config: SubArrayConfig = SubArrayConfig()) -> None:
    """Eager checks NeuroSim aborts on (call outside ``jit`` with concrete params).

    Raises:
      ValueError: the 1T1R access transistor is wider than the cell (``r_on`` too small for
        ``cell_width_f``), or the static mux sizes disagree with the traced ones.
    """
    if config.cell == "sram":
        return _sram().check_subarray_params(params, config)
    g = _geometry(params, config)
    width, cell = np.asarray(g.access_width_f), np.asarray(params.cell_width_f)
    if np.any(width > cell):
        raise ValueError(
            f"SubArrayParams.r_on = {params.r_on!r}: the 1T1R access transistor ({width}F) is wider than "
            f"cell_width_f = {params.cell_width_f!r} (NeuroSim aborts); raise r_on or cell_width_f"
        )
    for static, traced in (("num_col_muxed", "columns_per_adc"), ("num_row_muxed_ag", "rows_per_adc_ag")):
        if not np.all(np.asarray(getattr(params, traced)) == getattr(config, static)):
            raise ValueError(f"SubArrayParams.{traced} = {getattr(params, traced)!r} != SubArrayConfig.{static}")


def _column_resistance(p, config, g, active_lines, weight_level, across, along):
    """Average line resistance with ``active_lines`` active cells (module docstring), Ω."""
    g_max, g_min = 1.0 / as_float(p.r_on), 1.0 / as_float(p.r_off)
    g_cell = g_min + as_float(weight_level) * (g_max - g_min)
    r_w = tech.wire_resistance_per_length(p.circuit.wire_width_nm, p.circuit.temperature_k)
    wire_nm = as_float(p.circuit.wire_width_nm) * 1e-9
    r_wire_row = r_w * wire_nm * as_float(p.cell_height_f)
    r_wire_col = r_w * wire_nm * as_float(p.cell_width_f)
    r_access = as_float(p.access_resistance) if config.cell == "rram" else 0.0
    path = 1.0 / g_cell + 0.5 * (across + 1.0) * r_wire_row + 0.5 * (along + 1.0) * r_wire_col + r_access
    n = as_float(active_lines)
    return jnp.where(n > 0, path / jnp.where(n > 0, n, 1.0), jnp.inf)


class _Side(NamedTuple):
    mlsa: Cost
    enc: Cost
    sa: Cost
    mux: Cost
    dec: Cost
    enc_fp: ml.Footprint
    dec_extent: Array  # decoder height (FW) or width (AG) after the num_outputs-cells rule


class _SideInputs(NamedTuple):
    """Traced inputs of one read direction (stacked to evaluate both directions at once)."""

    is_fw: Array  # 1.0 forward (periphery along the array width), 0.0 transposed (along its height)
    levels: Array
    lines_per_adc: Array
    lines: Array
    n_reads: Array
    bits_extra: Array
    resistance: Array
    n_columns: Array
    mux_res: Array
    occupancy: Array = 1.0  # fraction of reads with an active row (the resistance is that of such a read)


def _side(p, config, g, x: _SideInputs, static_mux: int) -> _Side:
    """The MLSA/encoder/shift-adder/mux chain of one read direction."""
    levels, per_adc, lines = x.levels, x.lines_per_adc, x.lines
    fw = x.is_fw > 0.5
    n_adc = lines / per_adc
    edge = jnp.where(fw, g.len_row, g.len_col)
    m = ml.MlsaParams(p.circuit, levels, n_adc, per_adc, p.rows, p.r_on, p.r_off, p.read_voltage, x.n_columns)
    mlsa = ml.mlsa(m, config.sub(ml.MlsaConfig, max_levels=config.mlsa_max_levels), x.resistance, x.occupancy)
    enc_p = ml.EncoderParams(p.circuit, levels, n_adc, per_adc, edge)
    parts = ml._encoder_gates(g.t, levels, config.mode)
    fp_w = ml._encoder_footprint(enc_p, config.sub(ml.EncoderConfig, along="width"), parts)
    fp_h = ml._encoder_footprint(enc_p, config.sub(ml.EncoderConfig, along="height"), parts)
    enc_fp = ml.Footprint(jnp.where(fw, fp_w.height, fp_h.height), jnp.where(fw, fp_w.width, fp_h.width))
    enc = ml.encoder_cost_from_parts(enc_p, config.sub(ml.EncoderConfig), g.t, parts, enc_fp)
    sa_p = logic.ShiftAdderParams(p.circuit, jnp.log2(levels) + x.bits_extra, n_adc, per_adc, p.read_pulse_width,
                                  1.0, x.n_reads)
    sa = logic.shift_adder(sa_p, config)
    if config.version.shift_adder_bounding_box:
        # bf95f9c ShiftAdd::CalculateArea: the forward units laid out across the array width
        # (CalculateArea(NULL, widthArray)), the AG units down its height (heightArray, NULL).
        lay_w = logic.shift_adder_layout_area(sa_p, g.len_row, "width", config)
        lay_h = logic.shift_adder_layout_area(sa_p, g.len_col, "height", config)
        sa = sa._replace(area=jnp.where(fw, lay_w, lay_h))
    on = jnp.where(x.n_reads > 1, 1.0, 0.0)  # NeuroSim builds no shift-adder for one read pulse
    sa = sa._replace(latency=sa.latency * on, energy=sa.energy * on)
    zero = Cost(*(jnp.zeros_like(edge) for _ in range(4)))
    if static_mux <= 1:
        return _Side(mlsa, enc, sa, zero, zero, enc_fp, jnp.zeros_like(edge))
    mux = routing.mux(routing.MuxParams(p.circuit, per_adc, n_adc, x.mux_res, 0.0, p.read_voltage), config)
    r_lin = tech.on_resistance(g.t, g.t.node, "n", config.mode) * routing.LINEAR_REGION_RATIO
    w_tg = jnp.maximum(g.t.node * r_lin / x.mux_res, gates.MIN_WIDTH_F * g.t.node)
    c_gate = tech.gate_capacitance(g.t, w_tg, config.mode) * (1.0 + gates.pn_size_ratio(g.t))
    dec = routing.decoder(routing.DecoderParams(p.circuit, c_gate * n_adc),
                          config.sub(routing.DecoderConfig, num_outputs=static_mux))
    dec_long = static_mux * gates.cell_height(g.t)
    mux = Cost(mux.area, mux.energy * per_adc, mux.latency * per_adc, mux.leakage)
    dec = Cost(dec.area, dec.energy * per_adc, dec.latency * per_adc, dec.leakage)
    return _Side(mlsa, enc, sa, mux, dec, enc_fp, jnp.where(fw, dec_long, dec.area / dec_long))


@jax.jit
@with_technology_scope
def _both_sides(p, config, g, x_fw: _SideInputs, x_ag: _SideInputs) -> tuple[_Side, _Side]:
    """Forward and transposed chains evaluated as one batch of two (equal mux sizes)."""
    x = jax.tree.map(lambda a, b: jnp.stack([as_float(a), as_float(b)]), x_fw, x_ag)
    both = jax.vmap(_side, in_axes=(None, None, None, 0, None))(p, config, g, x, config.num_col_muxed)
    return jax.tree.map(lambda v: v[0], both), jax.tree.map(lambda v: v[1], both)


# The periphery chains and the switch matrices are jitted sub-functions: each is traced once
# per static signature and reused (area/read/write), which keeps tracing, compiling and
# differentiating a whole sub-array fast (the values are those of the plain functions).
_side_jit = jax.jit(with_technology_scope(_side), static_argnames=("static_mux",))
_switch_costs = jax.jit(with_technology_scope(sm.switch_matrix_costs))


def _sides(params: SubArrayParams, config: SubArrayConfig, row_activity, weight_level, read_occupancy=1.0):
    p, g = params, _geometry(params, config)
    rows, cols = as_float(p.rows), as_float(p.cols)
    occ, act = as_float(read_occupancy), as_float(row_activity)
    act_occupied = jnp.where(occ > 0, jnp.minimum(act / jnp.where(occ > 0, occ, 1.0), 1.0), 0.0)
    r_col = _column_resistance(p, config, g, act_occupied * rows, weight_level, cols, rows)
    # Shift-adder bits beyond log2 L: 1 (d4de5bc); bf95f9c added the input bits (numReadPulse + 1).
    fw_extra = as_float(p.num_bit_input) + 1.0 if config.version.forward_shift_adder_input_bits else 1.0
    x_fw = _SideInputs(1.0, p.adc_levels, p.columns_per_adc, cols, p.num_bit_input, fw_extra, r_col, cols,
                       g.r_cell_on / rows / 2.0, occ)
    x_fw = _SideInputs(*(as_float(v) for v in x_fw))
    if not config.parallel_bp:
        return g, _side_jit(p, config, g, x_fw, static_mux=config.num_col_muxed), None
    if config.version.ag_column_resistance_forward:
        r_ag, n_ag, occ_ag = r_col, cols, occ
    else:
        r_ag = _column_resistance(p, config, g, COLUMN_ACTIVITY_AG * cols, weight_level, rows, cols)
        n_ag, occ_ag = rows, 1.0
    x_ag = _SideInputs(0.0, p.adc_levels_ag, p.rows_per_adc_ag, rows, p.num_read_pulse_bp,
                       as_float(p.num_read_pulse_bp) + 1.0, r_ag, n_ag, g.r_cell_on / cols / 2.0, occ_ag)
    x_ag = _SideInputs(*(as_float(v) for v in x_ag))
    if config.num_col_muxed == config.num_row_muxed_ag:
        fw, ag = _both_sides(p, config, g, x_fw, x_ag)
    else:
        fw = _side_jit(p, config, g, x_fw, static_mux=config.num_col_muxed)
        ag = _side_jit(p, config, g, x_ag, static_mux=config.num_row_muxed_ag)
    return g, fw, ag


def _switch(p, config, g, *, which, activity=1.0, num_reads=0.0, num_writes=0.0, pulses=0.0, col_act=1.0):
    """The WL (``"wl"``, new) or SL (``"sl"``, classic column) switch matrix params and config."""
    vw = as_float(p.write_voltage) * np.sqrt(2.0)
    if which == "wl":
        sp = sm.SwitchMatrixParams(p.circuit, p.rows, 0.0, g.cap_row2, g.res_row, activity, col_act,
                                   p.access_voltage, p.read_voltage, vw, pulses, num_reads, num_writes, g.len_col)
        return sp, config.sub(sm.SwitchMatrixConfig, kind="new", lines="row")
    # bf95f9c: SL TG resistance R_on,cell/2 (``resTg·numRow``, resTg = R_on,cell/rows/2, no IR-drop
    # factor); the classic matrix takes ``res_tg·0.25``, so 2·R_on,cell gives that τ (module docstring).
    res_sl = 2.0 * g.r_cell_on if config.version.sl_switch_half_cell_resistance else g.r_cell_on
    sp = sm.SwitchMatrixParams(p.circuit, p.cols, res_sl, g.cap_col, g.res_col, activity, col_act,
                               p.access_voltage, p.read_voltage, vw, pulses, num_reads, num_writes, g.len_row)
    return sp, config.sub(sm.SwitchMatrixConfig, kind="classic", lines="col")


def subarray_area(params: SubArrayParams, config: SubArrayConfig = SubArrayConfig()) -> SubArrayArea:
    """Area of one sub-array by bucket, its layout height and width, and its leakage (module docstring).

    Args:
      params: :class:`SubArrayParams` (scalars).
      config: :class:`SubArrayConfig` (static).

    Returns:
      The :class:`SubArrayArea`.
    """
    if config.cell == "sram":
        return _sram().subarray_area(params, config)
    g, fw, ag = _sides(params, config, 0.5, 0.5)
    wl, _, wl_fp = _switch_costs(*_switch(params, config, g, which="wl"))
    sl, _, sl_fp = _switch_costs(*_switch(params, config, g, which="sl"))
    mux_h = jnp.maximum(fw.mux.area / g.len_row, fw.dec_extent)
    height = sl_fp.height + g.len_col + mux_h + fw.mlsa.area / g.len_row + fw.enc_fp.height + fw.sa.area / g.len_row
    width = jnp.maximum(wl_fp.width, fw.dec.area / jnp.maximum(fw.dec_extent, 1e-30)) + g.len_row
    adc = fw.mlsa.area + fw.enc.area
    accumulation = fw.sa.area
    other = wl.area + sl.area + mux_h * g.len_row + fw.dec.area
    leakage = wl.leakage + 2.0 * sl.leakage + fw.mux.leakage + fw.dec.leakage + fw.enc.leakage + fw.sa.leakage
    if ag is not None:
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


def _read_cost(other_t, other_e, side: _Side, array_t, array_e) -> ReadCost:
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
    if config.cell == "sram":
        return _sram().subarray_read(params, config, row_activity=row_activity, weight_level=weight_level)
    p = params
    g, fw, ag = _sides(p, config, row_activity, weight_level, read_occupancy)
    rows, cols = as_float(p.rows), as_float(p.cols)
    n_in = as_float(p.num_bit_input)
    wl = _switch_costs(*_switch(p, config, g, which="wl", activity=row_activity, num_reads=p.columns_per_adc)).read
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
    n_bp, per_ag = as_float(p.num_read_pulse_bp), as_float(p.rows_per_adc_ag)
    sl = _switch_costs(*_switch(p, config, g, which="sl", num_reads=per_ag)).read
    t_row = SENSE_SWING * g.cap_row_ag * g.r_cell_avg / (cols / 2.0) * per_ag
    e_arr_ag = (cap_bl * vr2 * read_cells + g.cap_row2 * vdd2 * rows * COLUMN_ACTIVITY_AG) * per_ag
    # The joules-as-seconds AG mux term came after bf95f9c, which adds the mux and decoder latencies.
    quirk = config.version.ag_mux_energy_as_latency and not config.version.envm_ag_mux_latencies
    mux_term = (ag.mux.energy + ag.dec.energy) if quirk else (ag.mux.latency + ag.dec.latency)
    other_t_ag = jnp.maximum(sl.latency, mux_term / n_bp)
    other_e_ag = sl.energy + (ag.mux.energy + ag.dec.energy) / n_bp
    return SubArrayRead(fw_cost, _read_cost(other_t_ag, other_e_ag, ag, t_row / n_bp, e_arr_ag))


#: Names of :mod:`~cimjax.hw.components.subarray_write` re-exported here (imported on use: that
#: module builds on this one, so a top-level import would be circular).
_WRITE_NAMES = ("subarray_write", "set_row_share_march2020", "_subarray_write_march2020")


def __getattr__(name):
    """The write path's names, from :mod:`~cimjax.hw.components.subarray_write`."""
    if name in _WRITE_NAMES:
        from cimjax.hw.components import subarray_write

        return getattr(subarray_write, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
