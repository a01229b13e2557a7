"""The chip's per-layer sub-array and weight-gradient figures, the inputs of its roll-up.

Source: NeuroSim V2.0 ``Chip.cpp`` (``ChipCalculatePerformance``: the sub-array read and write
calls per layer, docs/model.md §5.8 step 5: the WG unit and gradient accumulator), read for structure only. The
sub-array and WG models are :mod:`cimjax.hw.components.subarray` and
:mod:`cimjax.hw.components.wg_unit`; :func:`cimjax.hw.chip.estimate` hands these figures to
:func:`cimjax.hw.chip_rollup.estimate_from_figures`. Both functions are jitted on their own
(the ``ChipConfig`` static): each is traced once per chip structure and its graph reused.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp

from cimjax.hw import relax
from cimjax.hw.components import subarray as sa
from cimjax.hw.components import wg_layers, wg_unit
from cimjax.hw.components.params import as_float
from cimjax.hw.components.subarray_types import SubArrayConfig
from cimjax.hw.floorplan import Floorplan
from cimjax.hw.tile import ag_weights
from cimjax.hw.tile_types import SubArrayFigures

Array = jax.Array


@functools.partial(jax.jit, static_argnames=("config",))
def subarray_figures(params, config, trace, fp: Floorplan) -> SubArrayFigures:
    """Sub-array area (scalars) and per-layer read/write figures from the sub-array model.

    Args:
      params / config: the ``ChipParams`` / ``ChipConfig`` (static).
      trace: the per-layer ``Trace``.
      fp: the floorplan of ``config.layers``.
    """
    sp = params.subarray._replace(circuit=params.circuit, num_bit_input=params.num_bit_input,
                                  cells_per_weight=fp.num_col_per_synapse, sram_cell=params.sram_cell)
    scfg = config.component.sub(
        SubArrayConfig,
        cell=config.cell,
        parallel_bp=config.training,
        ag_row_by_row=not config.parallel_bp,
        num_col_muxed=config.columns_per_adc,
        num_row_muxed_ag=config.rows_per_adc_ag,
        read_mode=config.read_mode,
        decoder_rows=int(config.reference_subarray[0]),
        decoder_cols=int(config.reference_subarray[1]),
        relax_cell_height=config.relax_cell_height,
        relax_cell_width=config.relax_cell_width,
        access=config.access,
        nonlinear_iv=config.nonlinear_iv,
    )
    area = sa.subarray_area(sp, scfg)
    # The share of a sub-array's rows a layer's (possibly partial) sub-array drives.
    novel = fp.novel
    if config.version.nm_tile_rows_per_pe:
        # bf95f9c Chip.cpp/Tile.cpp (novel mapping): a tile takes min(PE_NM, R) rows and each of
        # its numPENM PEs the integer quotient of that by numPENM (56 of 512 rows for 3×3 kernels).
        rows_nm = relax.floor(jnp.minimum(fp.pe_size_nm, fp.weight_rows) / fp.num_pe_nm, config.mode,
                              temperature=config.temperature)
    else:
        rows_nm = jnp.minimum(fp.pe_size_nm, fp.weight_rows / fp.num_pe_nm)
    rows_pe = jnp.where(novel, rows_nm, jnp.minimum(fp.pe_size_cm, fp.weight_rows))
    used = jnp.minimum(rows_pe, as_float(sp.rows)) / as_float(sp.rows)
    act = as_float(trace.input_activity) * used
    if config.read_mode == "sequential":
        # NeuroSim's row-by-row read opens numRow·activityRowRead rows, its activityRowRead being
        # the fraction of the layer's rows in the sub-array that are on (ProcessingUnit.cpp
        # GetInputVector; SubArray.cpp conventionalSequential): the full-array row count times
        # the input activity, whatever share of the rows the layer uses.
        act = jnp.broadcast_to(as_float(trace.input_activity), jnp.shape(act))

    def read(a, w, o):
        return sa.subarray_read(sp, scfg, row_activity=a, weight_level=w, read_occupancy=o)

    # The read occupancy is measured on the layer's own rows (a partial block counts as a read),
    # so it carries over unscaled; the occupied read has ``act/occ`` of the sub-array's rows on.
    occ = jnp.broadcast_to(as_float(trace.read_occupancy), jnp.shape(act))
    r = jax.vmap(read)(act, as_float(trace.weight_level), occ)

    def write(p, e, ra, ca, wc, wl, sr, sc, *march):
        extra = dict(zip(("row_fraction",), march))
        if not config.version.write_per_selected_row:
            extra["stat_cols"] = sc
        return sa.subarray_write(sp, scfg, write_pulses=p, cell_pulse_energy_sum=e, row_write_activity=ra,
                                 col_write_activity=ca, written_cells=wc, written_level=wl, stat_rows=sr, **extra)

    # Σ n/R̄ over written cells ≈ (Σ n)·G at the layer's mean conductance (R̄ = the mean of the
    # old and new resistances; the update is small against the range).
    g_min, g_max = 1.0 / as_float(sp.r_off), 1.0 / as_float(sp.r_on)
    g_mean = g_min + as_float(trace.weight_level) * (g_max - g_min)
    write_args = [
        as_float(trace.write_pulses),
        as_float(trace.cell_pulses) * g_mean,
        as_float(trace.row_write_activity),
        as_float(trace.col_write_activity),
        # the FeFET polarisation statistics (V2.1; 0 in a trace stored before they were recorded)
        jnp.broadcast_to(as_float(trace.written_cells), jnp.shape(act)),
        jnp.broadcast_to(as_float(trace.written_level), jnp.shape(act)),
    ]
    # The rows and columns the write statistics describe: the mean weight-holding rows and columns
    # of the layer's sub-arrays (NeuroSim's CopySubArray block, R × C; 27 rows of a 3×3×3 conv,
    # 10 columns of a 1024 × 10 FC layer; subarray_write's "Rows and columns").
    sub_rows, sub_cols = as_float(sp.rows), as_float(sp.cols)
    stat_rows = fp.weight_rows / relax.ceil(fp.weight_rows / sub_rows, config.mode, temperature=config.temperature)
    stat_cols = fp.weight_cols / relax.ceil(fp.weight_cols / sub_cols, config.mode, temperature=config.temperature)
    write_args += [jnp.broadcast_to(stat_rows, jnp.shape(act)), jnp.broadcast_to(stat_cols, jnp.shape(act))]
    if config.version.write_per_selected_row:
        # bf95f9c: a sub-array writes only the rows its PE holds (rows_pe of a block; 56 of 128 for
        # 3×3 NM kernels) of the rows the write statistics describe (a layer's block, R if R < 128).
        frac = jnp.minimum(jnp.minimum(rows_pe, sub_rows) / stat_rows, 1.0)
        write_args += [jnp.broadcast_to(frac, jnp.shape(act))]
    w = jax.vmap(write)(*write_args)
    fw, ag = r.fw, r.ag
    # V2.1 (first_layer_no_ag): no transposed read on the first layer (tile.ag_weights).
    agw = ag_weights(config.component, len(config.layers), config.training)
    ag = jax.tree.map(lambda x: x * jnp.asarray(agw, x.dtype), ag)
    return SubArrayFigures(
        area=area.total,
        height=area.height,
        width=area.width,
        area_adc=area.adc,
        area_accumulation=area.accumulation,
        area_array=area.array,
        area_other=area.other,
        leakage=area.leakage,
        fw_latency=fw.latency,
        fw_energy=fw.energy,
        ag_latency=ag.latency,
        ag_energy=ag.energy,
        adc_latency=fw.adc_latency + ag.adc_latency,
        adc_energy=fw.adc_energy + ag.adc_energy,
        accumulation_latency=fw.accumulation_latency + ag.accumulation_latency,
        accumulation_energy=fw.accumulation_energy + ag.accumulation_energy,
        other_latency=fw.array_latency + fw.other_latency + ag.array_latency + ag.other_latency,
        other_energy=fw.array_energy + fw.other_energy + ag.array_energy + ag.other_energy,
        write_latency=w.latency,
        write_energy=w.energy,
    )


class WgFigures(NamedTuple):
    """The WG unit and gradient accumulator of a chip (:func:`wg_figures`)."""

    area: Array  # WG unit + gradient accumulator, m²
    peak_latency: Array  # (L,) per image: WG unit + gradient accumulation
    peak_energy: Array
    out_precision: Array
    leakage: Array


_wg_layers = jax.jit(wg_layers.weight_gradient_layers,
                     static_argnames=("config", "windows", "in_channels", "kernel_size", "out_channels"))


@functools.partial(jax.jit, static_argnames=("config",))
def wg_figures(params, config, trace, num_array_write_parallel) -> WgFigures:
    """WG unit and gradient accumulator: area and per-image peak WG of every layer (§5.8 step 5).

    The unit is sized for the layer of largest ``IFM_h·IFM_w·C_in`` (``ChipInitialize``); its
    circuit, input bits and batch size are the chip's, its MLSA reference ladder the forward
    sub-array's (``R_on``, ``R_off``, rows).
    """
    layers = config.layers
    # ChipInitialize's maxIFMLayer; the pipelined chip never sets it, so the first layer.
    big = layers[0] if config.pipeline else max(layers, key=lambda l: l.ifm_h * l.ifm_w * l.in_channels)
    wcfg = config.component.sub(
        wg_unit.WeightGradientConfig,
        max_windows=(big.ifm_h - big.kernel_h + 1) * (big.ifm_w - big.kernel_w + 1),
        max_input_cols=big.in_channels * config.wg_input_bits,
        rows_muxed=config.wg_rows_per_adc,
        row_by_row=not config.parallel_bp,
        decoder_rows=config.wg_decoder_rows,
    )
    sp = params.subarray
    wp = params.wg._replace(
        circuit=params.circuit,
        cell=params.sram_cell,
        num_bit_input=params.num_bit_input,
        batch_size=params.batch_size,
        ref_resistance_on=sp.r_on,
        ref_resistance_off=sp.r_off,
        ref_rows=sp.rows,
    )
    act = as_float(trace.input_activity)
    cells = as_float(sp.rows) * as_float(sp.cols)
    # All layers in one call: the WG array is traced once and vmapped over the activities.
    cost = _wg_layers(
        wp,
        config=wcfg,
        windows=tuple(l.valid_windows for l in layers),
        in_channels=tuple(l.in_channels for l in layers),
        kernel_size=tuple(l.kernel_h for l in layers),
        out_channels=tuple(l.out_channels for l in layers),
        activity=act,
    )
    acc = wg_layers.gradient_accumulator(
        wp, wcfg, num_weights=jnp.asarray([float(l.num_weights) for l in layers], act.dtype),
        num_array_write_parallel=num_array_write_parallel, array_cells=cells,
    )
    return WgFigures(
        area=cost.area[..., 0] + acc.area,  # the whole unit (same in every layer entry) + the accumulator
        peak_latency=cost.latency + acc.latency,
        peak_energy=cost.energy + acc.energy,
        out_precision=wg_unit.out_precision(wp, wcfg),
        leakage=cost.leakage[..., 0] + acc.leakage,
    )
