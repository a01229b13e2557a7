"""Tile → chip roll-up per layer and phase, chip totals, leakage, TOPS and area (docs/model.md §5.8).

Source: NeuroSim V2.0 ``Chip.cpp`` (``ChipInitialize``, ``ChipCalculateArea``,
``ChipCalculatePerformance``) and ``main.cpp``, read for structure only. The public entry
point is :func:`cimjax.hw.chip.estimate`; this module is its second half.
:func:`estimate_from_figures` takes the sub-array figures and a WG-unit callback, so the
roll-up itself can be tested on synthetic sub-array figures.

``ChipConfig.version`` flags follow NeuroSim's March 2020 code (commit bf95f9c, ``Chip.cpp``
``ChipCalculatePerformance``, read for its formulas) where it differs:

* ``global_htree_whole_bus``: the global H-tree carries a layer's ``bits_out + bits_in`` over the **whole** global bus,
  ``(bits_out + bits_in)/busWidth`` transfers of ``busWidth`` bits (``busWidth/⌈tiles_l/
  totalTiles⌉`` with the ratio below 1); the later code uses ``⌈busWidth·tiles_l/totalTiles⌉``
  wires and whole transfers;
* ``nm_global_bits_in_per_kernel``: an NM layer's ``bits_in`` is ``Ccol·numBitInput·windows/K`` (÷4 if pooled), ÷K as its
  ``bits_out`` (the later code drops the ÷K); it feeds the global buffer and the H-tree;
* the tiles and H-trees of :mod:`cimjax.hw.tile` and :mod:`cimjax.hw.components.routing` with
  the same version (``shared_tile_objects``: the NM tile built from the CM tile's objects).

The WU roll-up (``numArrayWriteParallel``, per iteration, not × batch) is the same in both codes.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from cimjax.hw.chip_types import AreaBreakdown, Breakdown, ChipEstimate, LatencyEnergy, LayerEstimate, Phase
from cimjax.hw.components import htree, logic, misc, sigmoid, subarray_sequential
from cimjax.hw.components.params import as_float
from cimjax.hw.cost import Cost
from cimjax.hw.components.sram import sram_buffer
from cimjax.hw.floorplan import Floorplan
from cimjax.hw.tile import ag_weights, per_layer, static_side, tile_performance
from cimjax.hw.tile_geometry import partial_sum_bits, tile_geometry
from cimjax.hw.tile_types import RollupSizes, SubArrayFigures

Array = jax.Array

#: The buffer model of each ``ChipConfig.global_buffer`` kind.
BUFFERS = {"register_file": misc.register_file_buffer, "sram": sram_buffer}


def _global_parts(params, config, fp: Floorplan, sizes: RollupSizes):
    """Static-structure sizes of the chip-level units (``ChipInitialize``)."""
    c = config.component
    novel = fp.novel
    T, P, Pn = fp.tile_size_cm, fp.pe_size_cm, fp.pe_size_nm
    side_nm = jnp.sqrt(fp.num_pe_nm)
    any_nm = jnp.any(novel)
    through = jnp.where(any_nm, jnp.maximum(T, side_nm * Pn), T)
    add_sub = jnp.where(
        any_nm, jnp.maximum(c.ceil(P / sizes.sub_rows), c.ceil(Pn / sizes.sub_rows)), c.ceil(P / sizes.sub_rows)
    )
    add_sub = add_sub * jnp.where(any_nm, jnp.maximum(c.ceil(T / P), side_nm), c.ceil(T / P))
    if config.pipeline:  # ChipInitialize: every layer's tiles feed the chip at once (× numLayer + 1)
        n = float(len(config.layers) + 1)
        through = jnp.where(any_nm, through * n, through)
        add_sub = add_sub * n
    c_in = jnp.asarray([l.in_channels for l in config.layers], T.dtype)
    tile_rows_l = jnp.where(novel, c.ceil(c_in / Pn), c.ceil(fp.weight_rows / T))
    tile_cols_l = fp.tiles / tile_rows_l
    # Chip.cpp hands the sigmoid the accumulated sum's bit width as its entry count (the
    # sequential read's form with either read), truncated to an int (cimjax.hw.components.sigmoid).
    cell_bits = 1.0 if config.cell == "sram" else params.subarray.cell_bits
    sigmoid_entries = c.floor(c.ceil(jnp.log2(sizes.sub_rows) + cell_bits - 1.0) + sizes.num_bit_input + 1.0
                                + jnp.log2(add_sub) + c.log2ceil(jnp.max(tile_rows_l)))
    # chipActivation = false: the tiles hand activations (numBitInput bits) to the global accumulator.
    gacc_bits = (sizes.num_bit_input + jnp.zeros_like(add_sub) if not config.chip_activation
                 else partial_sum_bits(c, sizes) + 1.0 + c.log2ceil(add_sub))
    return dict(
        sigmoid_entries=sigmoid_entries,
        units=c.ceil(through / sizes.columns_per_adc),
        gacc_bits=gacc_bits,
        max_tile_rows=jnp.max(tile_rows_l),
        tile_rows_l=tile_rows_l,
        tile_cols_l=tile_cols_l,
    )


@functools.partial(jax.jit, static_argnames=("config", "wg_fn"))
def estimate_from_figures(params, config, fp: Floorplan, sub: SubArrayFigures, trace, wg_fn) -> ChipEstimate:
    """The chip estimate from the floorplan and the sub-array figures (see ``chip.estimate``).

    Args:
      params: ``ChipParams``.
      config: ``ChipConfig``.
      fp: the floorplan of ``config.layers`` at ``params``.
      sub: :class:`cimjax.hw.tile_types.SubArrayFigures` (per-layer reads and writes).
      trace: the ``Trace``.
      wg_fn: ``wg_fn(params, config, trace, num_array_write_parallel)`` → the WG-unit figures
        (``area``, ``peak_latency``/``peak_energy`` per layer and image, ``out_precision``,
        ``leakage``).

    Returns:
      ``ChipEstimate``.
    """
    cc = config.component
    circuit = params.circuit
    sp = params.subarray
    nb = as_float(params.num_bit_input)
    sizes = RollupSizes(
        sub_rows=as_float(sp.rows),
        sub_cols=as_float(sp.cols),
        columns_per_adc=as_float(sp.columns_per_adc),
        # The bits a sub-array read hands on (the sequential read's adder output, ProcessingUnit.cpp).
        adc_bits=(subarray_sequential.output_bits(sp.rows, 1.0 if config.cell == "sram" else sp.cell_bits)
                  if config.read_mode == "sequential"
                  else jnp.log2(as_float(sp.adc_levels))),
        num_bit_input=nb,
        tile_buffer_bits=jnp.asarray(float(config.tile_buffer_core[0] * config.tile_buffer_core[1])),
        tile_buffer_width=jnp.asarray(float(config.tile_buffer_core[1])),
        local_delay_tolerance=as_float(params.local_delay_tolerance),
        num_col_per_synapse=as_float(fp.num_col_per_synapse),
    )
    layers = config.layers
    L = len(layers)
    dtype = fp.tiles.dtype
    # Weight of each layer's AG phase (V2.1: none on the first layer; tile.ag_weights).
    agw = jnp.asarray(ag_weights(cc, L, config.training), dtype)

    def arr(xs):
        return jnp.asarray(np.asarray(xs, float), dtype)

    ifm_h = arr([l.ifm_h for l in layers])
    ifm_w = arr([l.ifm_w for l in layers])
    k = arr([l.kernel_h for l in layers])
    c_out = arr([l.out_channels for l in layers])
    pool = np.asarray([bool(l.pool) for l in layers])
    windows = arr([l.valid_windows for l in layers])
    num_weights = arr([l.num_weights for l in layers])
    novel = fp.novel
    side_nm_static = static_side(int(config.floorplan_config.num_pe_nm))
    npe_cm = fp.tile_size_cm / fp.pe_size_cm

    # ---- Tiles. ----
    # Decoder lines of a tile output buffer smaller than one core: cols/numColMuxed (static).
    partial_lines = max(2, int(config.reference_subarray[1]) // int(config.columns_per_adc))
    version = config.version
    # bf95f9c: the NM tile uses the CM tile's H-tree (numPECM × numPECM PEs), among others.
    nm_tree_side = int(config.cm_pes_per_side) if version.shared_tile_objects else side_nm_static
    # The tile buffers' kind (peBufferType) and, for SRAM ones, the chip's 6T cell (as the global buffer's).
    tile_buf = dict(tile_buffer=config.tile_buffer, sram_cell=params.sram_cell)
    shared = dict(tile_buffer_core=config.tile_buffer_core, cm_pes_per_side=npe_cm, cm_pe_size=fp.pe_size_cm,
                  partial_lines=partial_lines, **tile_buf)
    tile_act = not config.chip_activation  # chipActivation = false: the ReLU inside the tiles
    geo_cm = tile_geometry(circuit, cc, sub, sizes, fp.pe_size_cm, npe_cm, htree_side=config.cm_pes_per_side,
                           novel=False, tile_activation=tile_act, **shared)
    geo_nm = tile_geometry(circuit, cc, sub, sizes, fp.pe_size_nm, jnp.sqrt(fp.num_pe_nm), htree_side=nm_tree_side,
                           novel=True, tile_activation=tile_act, **shared)
    tf = tile_performance(
        circuit, cc, fp, sub, sizes, geo_cm, geo_nm,
        num_in_vector=windows * nb, out_channels=c_out,
        tile_buffer_core=config.tile_buffer_core, partial_lines=partial_lines, ag_weight=agw,
        tile_activation=tile_act, **tile_buf,
    )
    tiles = fp.tiles

    # ---- Global buffer sizing, WU parallelism (§5.7). ----
    if config.pipeline:  # ChipInitialize: half of every layer's input at once
        max_input = sum(l.ifm_h * l.ifm_w * l.in_channels for l in layers) / 2.0
    else:
        max_input = max(l.ifm_h * l.ifm_w * l.in_channels for l in layers)
    # Global buffer cores of Row × Col bits, read Col bits a line (Chip.cpp ChipInitialize).
    g_rows, g_cols = (float(x) for x in config.global_buffer_core)
    sizing = misc.buffer_sizing(
        misc.BufferSizingParams(
            num_bit_input=nb,
            max_input_size=float(max_input),
            num_col_per_synapse=fp.num_col_per_synapse,
            out_precision=0.0,  # replaced below with the WG unit's
            batch_size=params.batch_size,
            synapse_bits=params.synapse_bits,
            wg_rows=sizes.sub_rows,
            wg_cols=sizes.sub_cols,
            overhead_constraint=params.buffer_overhead_constraint,
            core_rows=g_rows,
            core_cols=g_cols,
        ),
        cc.sub(misc.BufferSizingConfig),
    )
    nawp_unset = sizing.num_array_write_parallel
    wg0 = wg_fn(params, config, trace, nawp_unset)  # out_precision does not depend on nawp
    if version.wg_out_precision_unset:
        nawp, n_cores = nawp_unset, sizing.num_cores
        wg = wg0
    else:
        fixed = misc.buffer_sizing(
            misc.BufferSizingParams(
                nb, float(max_input), fp.num_col_per_synapse, wg0.out_precision, params.batch_size,
                params.synapse_bits, sizes.sub_rows, sizes.sub_cols, params.buffer_overhead_constraint, g_rows, g_cols,
            ),
            cc.sub(misc.BufferSizingConfig),
        )
        nawp, n_cores = fixed.num_array_write_parallel, fixed.num_cores
        wg = wg_fn(params, config, trace, nawp)
    if not config.training:
        n_cores = cc.ceil(sizing.buffer_bits / (g_rows * g_cols))

    # ---- Chip-level units. ----
    g = _global_parts(params, config, fp, sizes)
    total_tiles = fp.total_tiles
    bus = fp.global_bus_width
    gb_fn = BUFFERS[config.global_buffer]
    gb_cfg = cc.sub(misc.BufferConfig, core_rows=config.global_buffer_core[0], core_cols=config.global_buffer_core[1])

    gb_cell = dict(cell=params.sram_cell) if config.global_buffer == "sram" else {}  # its 6T cell

    def gbuf(bits, share):
        return gb_fn(misc.BufferParams(circuit, bits, n_cores, g_cols, bus, share, 1.0), gb_cfg, **gb_cell)

    if not config.chip_activation:  # chipActivation = false: no chip-level activation unit
        relu = Cost(0.0, 0.0, 0.0, 0.0)
        relu_reads = jnp.zeros_like(windows)
    elif config.activation == "sigmoid":  # reLu = false: the look-up tables (Chip.cpp, Sigmoid.cpp)
        relu = sigmoid.sigmoid(sigmoid.SigmoidParams(
            circuit, nb, g["sigmoid_entries"], g["units"], sp.cell_height_f, sp.cell_width_f, sp.read_voltage,
            sp.r_on, sp.r_off), cc)
        relu_reads = cc.ceil(windows * c_out / g["sigmoid_entries"])
    else:
        relu = misc.relu(misc.ReluParams(circuit, nb, g["units"]), cc)
        relu_reads = cc.ceil(windows * c_out / g["units"])
    relu_t, relu_e = relu_reads * relu.latency, relu_reads * relu.energy
    tree_cfg = cc.sub(logic.AdderTreeConfig)
    gacc = per_layer(
        lambda n: logic.adder_tree(logic.AdderTreeParams(circuit, n, g["gacc_bits"], g["units"]), tree_cfg),
        g["tile_rows_l"],
    )
    gacc_reads = g["tile_cols_l"] * c_out * cc.ceil(windows / g["units"])
    use_gacc = g["tile_rows_l"] > 1
    gacc_t = jnp.where(use_gacc, gacc_reads * gacc.latency, 0.0)
    gacc_e = jnp.where(use_gacc, gacc_reads * gacc.energy, 0.0)
    mp = misc.max_pool(misc.MaxPoolParams(circuit, nb, fp.tile_size_cm, 4.0), cc)
    mp_reads = jnp.where(
        novel,
        cc.ceil(windows / 4.0 / fp.pe_size_nm * jnp.sqrt(fp.num_pe_nm)),
        cc.ceil(windows / 4.0 / fp.tile_size_cm),
    )
    mp_t = jnp.where(pool, mp_reads * mp.latency, 0.0)
    mp_e = jnp.where(pool, mp_reads * mp.energy, 0.0)

    bits_out = fp.weight_rows * nb * windows / jnp.where(novel, k, 1.0)
    if version.nm_global_bits_in_per_kernel:  # bf95f9c: an NM layer's bits_in is ÷K too
        bits_in = jnp.where(novel, fp.weight_cols / k, c_out) * nb * windows / jnp.where(pool, 4.0, 1.0)
    else:
        bits_in = c_out * nb * windows / jnp.where(pool, 4.0, 1.0)
    share = cc.ceil(total_tiles / tiles)
    gb = per_layer(lambda b, s: gbuf(b, s), bits_out + bits_in, share)
    gb_t, gb_e = gb.latency, gb.energy  # read of bits_out + write of bits_in

    rows, cols = config.tile_grid
    htree_cfg = cc.sub(htree.HTreeConfig, num_rows=rows, num_cols=cols)
    tol = as_float(params.global_delay_tolerance)
    if version.global_htree_whole_bus:  # bf95f9c: the whole bus, (bits_out + bits_in)/busWidth transfers
        bus_l = bus * jnp.ones_like(tiles)
    else:
        bus_l = cc.ceil(bus * tiles / total_tiles)
    unit_h = jnp.where(novel, geo_nm.height, geo_cm.height)
    unit_w = jnp.where(novel, geo_nm.width, geo_cm.width)
    ght = per_layer(
        lambda h, w, b: htree.htree(htree.HTreeParams(circuit, h, w, b, tol), htree_cfg), unit_h, unit_w, bus_l
    )
    if version.global_htree_whole_bus:
        ght_cyc = (bits_out + bits_in) / bus_l
    else:
        ght_cyc = cc.ceil((bits_out + bits_in) / bus_l)
    ght_t, ght_e = ght_cyc * ght.latency, ght_cyc * ght.energy
    dram_cfg = cc.sub(misc.DramConfig, kind=config.dram)
    dram_act = misc.dram(misc.DramParams(ifm_h * ifm_w * nb), dram_cfg)

    batch, iters = as_float(params.batch_size), as_float(params.num_iterations)
    n_ph = 2.0 if config.training else 1.0

    # ---- FW (per image). ----
    fw_t = tf.fw_latency + relu_t + gacc_t + mp_t
    fw_e = tiles * tf.fw_energy + relu_e + gacc_e + mp_e
    pk_fw_t, pk_fw_e = fw_t, tiles * tf.peak_fw_energy + relu_e + gacc_e + mp_e
    pk_fw_t = tf.peak_fw_latency + relu_t + gacc_t + mp_t
    fw_t = fw_t + n_ph * gb_t + ght_t
    fw_e = fw_e + n_ph * gb_e + ght_e
    if config.training:
        fw_t, fw_e = fw_t + 2.0 * dram_act.latency, fw_e + 2.0 * dram_act.energy
    else:
        image = misc.dram(misc.DramParams(float(layers[0].ifm_h * layers[0].ifm_w) * nb), dram_cfg)
        fw_t, fw_e = fw_t + image.latency, fw_e + image.energy

    zeros = jnp.zeros(L, dtype)
    if config.training:
        # ---- AG. ----
        ag_t = agw * (tf.ag_latency + gacc_t + 2.0 * gb_t + ght_t + 2.0 * dram_act.latency)
        ag_e = agw * (tiles * tf.ag_energy + gacc_e + 2.0 * gb_e + ght_e + 2.0 * dram_act.energy)
        pk_ag_t = agw * (tf.peak_ag_latency + gacc_t)
        pk_ag_e = agw * (tiles * tf.peak_ag_energy + gacc_e)
        # ---- WG. ----
        spill_bits = num_weights * wg.out_precision
        dram_spill = misc.dram(misc.DramParams(spill_bits), dram_cfg)
        gb_spill = per_layer(lambda b: gbuf(b, 1.0), 2.0 * spill_bits)
        wg_t = 2.0 * gb_t + 2.0 * dram_act.latency + wg.peak_latency + 2.0 * (dram_spill.latency + gb_spill.latency)
        wg_e = 2.0 * gb_e + 2.0 * dram_act.energy + wg.peak_energy + 2.0 * (dram_spill.energy + gb_spill.energy)
        pk_wg_t, pk_wg_e = wg.peak_latency, wg.peak_energy
        # ---- WU (per iteration). ----
        wu_t = tiles * tf.wu_latency / nawp
        wu_e = tiles * tf.wu_energy
        pk_wu_t = tiles * tf.peak_wu_latency / nawp
        pk_wu_e = tiles * tf.peak_wu_energy
        # Breakdown copies: global buffer 2 per phase (FW, AG, WG), H-tree and accumulator per
        # read phase (FW, AG); V2.1's first layer has no AG copies.
        gb_copies = 4.0 + 2.0 * agw
        buf_t = tf.buffer_latency + gb_copies * gb_t + 2.0 * gb_spill.latency
        buf_e = tiles * tf.buffer_energy + gb_copies * gb_e + 2.0 * gb_spill.energy
        ic_t = tf.ic_latency + (1.0 + agw) * ght_t
        ic_e = tiles * tf.ic_energy + (1.0 + agw) * ght_e
        # V2.1 (dram_breakdown_factor_squared): dRAM·6·(6 or 4), the factor 6 twice.
        dram_copies = gb_copies * (6.0 if version.dram_breakdown_factor_squared else 1.0)
        dram_t = dram_copies * dram_act.latency + 2.0 * dram_spill.latency
        dram_e = dram_copies * dram_act.energy + 2.0 * dram_spill.energy
        acc_mult = 1.0 + agw
    else:
        ag_t = ag_e = pk_ag_t = pk_ag_e = wg_t = wg_e = pk_wg_t = pk_wg_e = zeros
        wu_t = wu_e = pk_wu_t = pk_wu_e = zeros
        buf_t = tf.buffer_latency + gb_t
        buf_e = tiles * tf.buffer_energy + gb_e
        ic_t, ic_e = tf.ic_latency + ght_t, tiles * tf.ic_energy + ght_e
        dram_t, dram_e = image.latency + zeros, image.energy + zeros
        acc_mult = 1.0
    adc_t, adc_e = tf.adc_latency, tiles * tf.adc_energy
    accu_t = tf.accumulation_latency + acc_mult * gacc_t
    accu_e = tiles * tf.accumulation_energy + acc_mult * gacc_e
    oth_t = tf.other_latency + relu_t + mp_t
    oth_e = tiles * tf.other_energy + relu_e + mp_e

    # ---- Scale to an epoch (as released: WU not × batch). ----
    bi = batch * iters

    def phase(t, e, pt, pe, per_image=True):
        s = bi if per_image else iters
        return Phase(t * s, e * s, pt * s, pe * s)

    fw = phase(fw_t, fw_e, pk_fw_t, pk_fw_e)
    ag = phase(ag_t, ag_e, pk_ag_t, pk_ag_e)
    wgp = phase(wg_t, wg_e, pk_wg_t, pk_wg_e)
    wu = phase(wu_t, wu_e, pk_wu_t, pk_wu_e, per_image=False)
    le = LatencyEnergy
    breakdown = Breakdown(
        adc=le(adc_t * bi, adc_e * bi),
        accumulation=le(accu_t * bi, accu_e * bi),
        array=le(oth_t * bi, oth_e * bi),
        buffer=le(buf_t * bi, buf_e * bi),
        interconnect=le(ic_t * bi, ic_e * bi),
        wg_unit=le(wgp.peak_latency, wgp.peak_energy),
        wu=le(wu.peak_latency, wu.peak_energy),
        dram=le(dram_t * bi, dram_e * bi),
    )

    # ---- Leakage. ----
    tile_leak = tf.leakage
    leak_power_l = tiles * tile_leak
    if config.pipeline:
        # main.cpp (pipeline): a layer leaks while it waits for the slowest, in FW and in AG.
        leak_energy_l = leak_power_l * ((jnp.max(fw.latency, axis=-1, keepdims=True) - fw.latency)
                                        + (jnp.max(ag.latency, axis=-1, keepdims=True) - ag.latency))
    else:
        leak_energy_l = (total_tiles - tiles) * tile_leak * (fw.latency + ag.latency)
    layer_est = LayerEstimate(fw, ag, wgp, wu, breakdown, leak_power_l, leak_energy_l)

    def total(p):
        return Phase(*(jnp.sum(x, axis=-1) for x in p))

    tot = [total(p) for p in (fw, ag, wgp, wu)]
    bd_total = jax.tree.map(lambda x: jnp.sum(x, axis=-1), breakdown)
    if config.pipeline:
        # main.cpp (pipeline): the FW and AG latencies (and their peaks) are the slowest layer's
        # (the system clock); WG and WU stay summed ("do not implement pipeline"), but their peak
        # latencies are never summed there, so they are 0; the breakdown latencies of the tiles'
        # parts, buffer and interconnect are the slowest layer's, WG unit and WU 0, DRAM summed.
        def clocked(p):
            return Phase(jnp.max(p.latency, axis=-1), jnp.sum(p.energy, axis=-1),
                         jnp.max(p.peak_latency, axis=-1), jnp.sum(p.peak_energy, axis=-1))

        tot = [clocked(fw), clocked(ag), tot[2]._replace(peak_latency=jnp.zeros_like(tot[2].peak_latency)),
               tot[3]._replace(peak_latency=jnp.zeros_like(tot[3].peak_latency))]

        def slowest(x):
            return LatencyEnergy(jnp.max(x.latency, axis=-1), jnp.sum(x.energy, axis=-1))

        bd_total = bd_total._replace(
            adc=slowest(breakdown.adc), accumulation=slowest(breakdown.accumulation), array=slowest(breakdown.array),
            buffer=slowest(breakdown.buffer), interconnect=slowest(breakdown.interconnect),
            wg_unit=bd_total.wg_unit._replace(latency=jnp.zeros_like(bd_total.wg_unit.latency)),
            wu=bd_total.wu._replace(latency=jnp.zeros_like(bd_total.wu.latency)))
    leak_power = jnp.sum(leak_power_l, axis=-1)
    leak_energy = jnp.sum(leak_energy_l, axis=-1)
    macs = float(sum(l.ifm_h * l.ifm_w * l.in_channels * l.kernel_h * l.kernel_w * l.out_channels for l in layers))
    # Training: FW, AG and WG each ops_per_mac·MACs, less the AG of a layer without one (V2.1's first).
    layer_macs = np.asarray([l.ifm_h * l.ifm_w * l.in_channels * l.kernel_h * l.kernel_w * l.out_channels
                             for l in layers], float)
    if config.training:
        phase_macs = 2.0 * macs + float(np.sum(ag_weights(cc, L, True) * layer_macs))
    else:
        phase_macs = macs
    num_ops = config.ops_per_mac * phase_macs * bi
    lat = sum(p.latency for p in tot)
    en = sum(p.energy for p in tot)
    pk_lat = sum(p.peak_latency for p in tot)
    pk_en = sum(p.peak_energy for p in tot)

    # ---- Area (ChipCalculateArea). ----
    n_nm = jnp.sum(jnp.where(novel, tiles, 0.0))
    n_cm = jnp.sum(jnp.where(novel, 0.0, tiles))
    gbuf_area = gbuf(1.0, 1.0).area
    ght_area = htree.htree(
        htree.HTreeParams(
            circuit, jnp.maximum(geo_nm.height, geo_cm.height), jnp.maximum(geo_nm.width, geo_cm.width), bus,
            tol, folded_ratio=params.tree_folded_ratio,  # treeFoldedRatio (ChipCalculateArea)
        ),
        htree_cfg,
    )
    # ChipCalculateArea lays the global accumulator out across a third of the global buffer's
    # height, numTileRow · (the larger tile side).
    gbuf_height = fp.tile_rows * jnp.maximum(geo_nm.height, geo_cm.height)
    gacc_area = logic.adder_tree(
        logic.AdderTreeParams(circuit, g["max_tile_rows"], g["gacc_bits"], g["units"], gbuf_height / 3.0), tree_cfg
    )
    wg_area = wg.area if config.training else 0.0
    tiles_area = n_nm * geo_nm.area + n_cm * geo_cm.area
    area_total = tiles_area + gbuf_area + ght_area.area + mp.area + gacc_area.area + relu.area + wg_area
    area = AreaBreakdown(
        total=area_total,
        adc=n_nm * geo_nm.adc + n_cm * geo_cm.adc,
        accumulation=n_nm * geo_nm.accumulation + n_cm * geo_cm.accumulation + gacc_area.area,
        array=n_nm * geo_nm.array + n_cm * geo_cm.array,
        interconnect=n_nm * geo_nm.ic + n_cm * geo_cm.ic + ght_area.area,
        wg_unit=as_float(wg_area),
        other=n_nm * geo_nm.other + n_cm * geo_cm.other + gbuf_area + mp.area + relu.area,
    )
    return ChipEstimate(
        area=area,
        layers=layer_est,
        fw=tot[0],
        ag=tot[1],
        wg=tot[2],
        wu=tot[3],
        breakdown=bd_total,
        leakage_power=leak_power,
        leakage_energy=leak_energy,
        num_ops=jnp.asarray(num_ops) * jnp.ones_like(lat),
        tops=num_ops / lat * 1e-12,
        tops_per_w=num_ops / (en + leak_energy) * 1e-12,
        peak_tops=num_ops / pk_lat * 1e-12,
        peak_tops_per_w=num_ops / pk_en * 1e-12,
        epochs_per_s=1.0 / lat,
    )
