"""Tile geometry: area, size and leakage of one CM or NM tile and its buffer plan (docs/model.md §5.8).

Source: NeuroSim V2.0 ``ProcessingUnit.cpp`` (``ProcessingUnitInitialize``,
``ProcessingUnitCalculateArea``) and ``Tile.cpp`` (``TileInitialize``, ``TileCalculateArea``),
read for their structure only. The static-structure half of the sub-array → PE → tile roll-up;
:mod:`cimjax.hw.tile` has the per-image performance, and its docstring describes the departures,
quirks and March 2020 code both halves follow. The types are :mod:`cimjax.hw.tile_types`.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

from cimjax.hw.components import htree, logic, misc, sram
from cimjax.hw.components.params import CircuitParams, ComponentConfig
from cimjax.hw.cost import Cost
from cimjax.hw.tile_types import RollupSizes, SubArrayFigures, TileBufferPlan, TileGeometry

Array = jax.Array


def partial_sum_bits(cfg: ComponentConfig, sizes: RollupSizes) -> Array:
    """Bits of a sub-array's partial sum as the PE adder tree, PE output buffer, tile
    accumulator, tile output buffer and global accumulator take it (before their own ``+1``
    and stage bits): ``log2 levelOutput + numBitInput`` (NeuroSim V2.0
    ``ProcessingUnitInitialize``, ``TileInitialize``, ``ChipInitialize``), plus
    ``numColPerSynapse`` under ``cfg.version.adder_width_col_per_synapse`` (V2.1, the same
    functions): the one place of that rule."""
    bits = sizes.adc_bits + sizes.num_bit_input
    if cfg.version.adder_width_col_per_synapse:
        bits = bits + sizes.num_col_per_synapse
    return bits


def adder_tree(circuit, cfg, n_inputs, bits, trees, layout_width=0.0) -> Cost:
    tree_cfg = cfg.sub(logic.AdderTreeConfig)
    return logic.adder_tree(logic.AdderTreeParams(circuit, n_inputs, bits, trees, layout_width), tree_cfg)


def tile_relu_units(cfg: ComponentConfig, sizes: RollupSizes, pe_size) -> Array:
    """The ReLU units of a tile with ``chipActivation = false``: ``⌈peSize·numColSubArray /
    numColMuxed⌉`` (``Tile.cpp`` ``TileInitialize``; NeuroSim's count, ``peSize`` times a
    sub-array's columns, kept)."""
    return cfg.ceil(pe_size * sizes.sub_cols / sizes.columns_per_adc)


def tile_relu(circuit: CircuitParams, cfg: ComponentConfig, sizes: RollupSizes, pe_size) -> Cost:
    """One operation of a tile's ReLU (:func:`tile_relu_units` units of ``numBitInput`` DFFs,
    :func:`cimjax.hw.components.misc.relu`) with its area."""
    return misc.relu(misc.ReluParams(circuit, sizes.num_bit_input, tile_relu_units(cfg, sizes, pe_size)), cfg)


def tile_buffer_plan(cfg: ComponentConfig, sizes: RollupSizes, acc_inputs, pe_size, cm_pes_per_side,
                     cm_pe_size, tile_activation: bool = False) -> TileBufferPlan:
    """The tile's input/output buffer plan as ``TileInitialize`` makes it (:mod:`cimjax.hw.tile` docstring).

    Args:
      cfg: component config (its ceil/log2).
      sizes: shared traced sizes.
      acc_inputs: the tile accumulator's inputs (NM: ``numPENM``; CM: ``numPECM`` per side).
      pe_size: the tile's PE size (cells per side).
      cm_pes_per_side, cm_pe_size: the CM tile's ``numPECM`` (per side) and PE size, whose
        buffer needs give the core counts of both tile kinds.
      tile_activation: static; True = NeuroSim's ``chipActivation = false``: the tile's ReLU
        hands ``numBitInput``-bit activations to the output buffer in place of the accumulated
        sums (``TileInitialize``, ``!chipActivation`` branches).

    Returns:
      The :class:`TileBufferPlan`.
    """
    c = cfg
    core, width = sizes.tile_buffer_bits, sizes.tile_buffer_width
    per_col = sizes.sub_cols / sizes.columns_per_adc

    def needs(pes, size):
        acc_bits = partial_sum_bits(c, sizes) + 1.0 + c.log2ceil(size / sizes.sub_rows)
        if tile_activation:
            acc_bits = sizes.num_bit_input + jnp.zeros_like(acc_bits)
        return pes * sizes.num_bit_input * sizes.sub_rows, acc_bits * pes * per_col, acc_bits

    in_need, out_need, acc_bits = needs(acc_inputs, pe_size)
    in_cm, out_cm, _ = needs(cm_pes_per_side, cm_pe_size)
    in_partial, out_partial = in_need < core, out_need < core
    return TileBufferPlan(
        in_core_bits=jnp.where(in_partial, in_need, core),
        in_width=jnp.where(in_partial, acc_inputs * sizes.sub_rows, width),
        in_partial=in_partial,
        in_cores=jnp.maximum(c.ceil(in_cm / core), 1.0),
        out_core_bits=jnp.where(out_partial, out_need, core),
        out_width=jnp.where(out_partial, acc_bits * acc_inputs, width),
        out_partial=out_partial,
        out_cores=jnp.maximum(c.ceil(out_cm / core), 1.0),
    )


def plan_buffer(circuit, cfg, tile_buffer_core, partial_lines: int, kind: str = "register_file",
                sram_cell: sram.SramCellParams | None = None):
    """``fn(bits, cores, width, bus_width, core_bits, partial)`` → the tile buffer's
    :class:`~cimjax.hw.components.sram.ReadWrite`: the cost of reading and of writing ``bits``
    (``Tile.cpp`` ``TileCalculatePerformance`` charges every transfer through a tile buffer its
    ``readLatency + writeLatency`` and ``readDynamicEnergy + writeDynamicEnergy``), with the
    buffer's area and leakage. A full core of ``tile_buffer_core`` (``(rows, cols)`` bits, or an
    int side: :func:`~cimjax.hw.components.misc.core_shape`), or (``partial``) one of
    ``core_bits`` with ``partial_lines`` decoder lines.

    ``kind`` (static, ``ChipConfig.tile_buffer``; NeuroSim's ``peBufferType``, which ``TileInitialize``
    passes as ``Buffer::Initialize``'s ``SRAM``):

    * ``register_file``: :func:`~cimjax.hw.components.misc.register_file_buffer`, whose read and
      write cost the same (``Buffer.cpp``: one decode and half a clock a line, the same DFF energy).
    * ``sram``: :func:`~cimjax.hw.components.sram.sram_buffer` (the global buffer's SRAM model,
      ``Buffer.cpp`` with ``SRAM = true``), read and write costed separately, ``sram_cell`` its 6T
      cell (default V2.0's). A full core is a ``tileBufferCoreSizeRow × tileBufferCoreSizeCol`` cell
      array (``numBit/interface_width`` lines of ``interface_width`` = ``tileBufferCoreSizeCol``
      cells); a partial one ``⌈core_bits/width⌉ × width`` cells (NeuroSim: ``numBit/interface_width
      × interface_width``, e.g. the conventional tile's 544-bit output buffer: 16 × 34), its decoder
      ``partial_lines`` lines (static; NeuroSim's ``⌈log2(numBit/interface_width)⌉`` address bits).
      Valid where :func:`~cimjax.hw.components.sram.sram_buffer` is (nodes 7–130 nm).
    """
    rows, cols = misc.core_shape(tile_buffer_core, "tile_buffer_core")
    full_cfg = cfg.sub(misc.BufferConfig, core_rows=rows, core_cols=cols)
    part_cfg = cfg.sub(misc.BufferConfig, core_rows=partial_lines, core_cols=cols)

    def pick(partial, part, full):
        return Cost(*(jnp.where(partial, a, b) for a, b in zip(part, full)))

    def register_file(bits, cores, width, bus_width, core_bits, partial):
        full = misc.register_file_buffer(misc.BufferParams(circuit, bits, cores, width, bus_width, 1.0, 1.0), full_cfg)
        part = misc.register_file_buffer(
            misc.BufferParams(circuit, bits, cores, width, bus_width, 1.0, 1.0, core_bits), part_cfg
        )
        cost = pick(partial, part, full)
        return sram.ReadWrite(cost, cost)

    cell = sram.SramCellParams() if sram_cell is None else sram_cell

    def sram_kind(bits, cores, width, bus_width, core_bits, partial):
        p = misc.BufferParams(circuit, bits, cores, width, bus_width, 1.0, 1.0)
        part_shape = (cfg.ceil(core_bits / width), width)

        def action(write):
            full = sram.sram_buffer(p, full_cfg, write=write, cell=cell)
            part = sram.sram_buffer(p, part_cfg, write=write, cell=cell, array_shape=part_shape)
            return pick(partial, part, full)

        return sram.ReadWrite(action(False), action(True))

    return {"register_file": register_file, "sram": sram_kind}[kind]


TILE_TREE_FOLDED_RATIO = 16.0  #: channel folding of a tile's H-tree (NeuroSim ``TileCalculateArea``)


def _htree(circuit, cfg, side: int, unit_h, unit_w, width, tolerance) -> Cost:
    tree_cfg = cfg.sub(htree.HTreeConfig, num_rows=side, num_cols=side)
    # Tile trees fold their channel 16× (TileCalculateArea), the chip tree 4× (treeFoldedRatio).
    params = htree.HTreeParams(circuit, unit_h, unit_w, width, tolerance, folded_ratio=TILE_TREE_FOLDED_RATIO)
    return htree.htree(params, tree_cfg)


@functools.partial(jax.jit, static_argnames=("cfg", "htree_side", "tile_buffer_core", "novel", "partial_lines",
                                              "tile_activation", "tile_buffer"))
def tile_geometry(
    circuit: CircuitParams,
    cfg: ComponentConfig,
    sub: SubArrayFigures,
    sizes: RollupSizes,
    pe_size: Array,
    pes_per_side: Array,
    *,
    htree_side: int,
    tile_buffer_core,
    novel: bool = False,
    cm_pes_per_side: Array | None = None,
    cm_pe_size: Array | None = None,
    partial_lines: int | None = None,
    tile_activation: bool = False,
    tile_buffer: str = "register_file",
    sram_cell: sram.SramCellParams | None = None,
) -> TileGeometry:
    """Area, size and leakage of one tile of ``pes_per_side²`` PEs of ``pe_size`` cells.

    ``ProcessingUnitCalculateArea`` + ``TileCalculateArea``: PE = sub-arrays (their used
    area) + adder tree over sub-array rows (laid out across one sub-array's width) + input
    DFFs (down the PE's sub-array column) and output DFFs (across its sub-array row); PE
    buses are not counted in area, as released. Tile = PEs + accumulation adder tree (laid
    out across ``⌈pes_per_side⌉`` PE widths) + input and output buffers
    (:func:`tile_buffer_plan`, :func:`plan_buffer`) + tile H-tree. ``htree_side`` is the static PE grid of the
    tile H-tree (2 for CM, ``⌈√numPENM⌉`` = 3 for NM); ``novel`` (static) selects the NM
    tile's accumulator (``pes_per_side²`` inputs) or the CM tile's (``pes_per_side``);
    ``cm_pes_per_side``/``cm_pe_size`` (default: this tile's) give the shared buffer core
    counts; ``tile_buffer_core`` (static) the buffer core, ``(rows, cols)`` bits or an int side;
    ``partial_lines`` (static, default the core's rows) the decoder lines of an
    output buffer smaller than one core (``cols/numColMuxed``). ``cfg.version.shared_tile_objects``
    (March 2020): an NM tile built from the CM tile's accumulator, buffer plan, H-tree and PE
    adder tree (:mod:`cimjax.hw.tile` docstring); the caller then passes the CM tile's PE grid
    as ``htree_side`` of an NM tile. ``tile_activation`` (static; NeuroSim's ``chipActivation =
    false``): the tile holds its own ReLU, :func:`tile_relu_units` units of ``numBitInput`` DFFs
    (``BitShifter``), counted in the area and the "other" bucket (``TileCalculateArea``), and
    its output buffer holds activations (:func:`tile_buffer_plan`). ``tile_buffer`` (static;
    NeuroSim's ``peBufferType``) and ``sram_cell`` (traced): the buffers' kind and SRAM cell
    (:func:`plan_buffer`).
    """
    c = cfg
    shared_cm = cfg.version.shared_tile_objects and novel
    cm_pes_per_side = pes_per_side if cm_pes_per_side is None else cm_pes_per_side
    cm_pe_size = pe_size if cm_pe_size is None else cm_pe_size
    partial_lines = misc.core_shape(tile_buffer_core, "tile_buffer_core")[0] if partial_lines is None else partial_lines
    grid = jnp.maximum(c.ceil(pe_size / sizes.sub_rows), 1.0)  # sub-array rows = cols of a PE
    grid_c = jnp.maximum(c.ceil(pe_size / sizes.sub_cols), 1.0)
    n_sub = grid * grid_c
    adder_bits = partial_sum_bits(c, sizes) + 1.0
    adc_per_row = sizes.sub_cols / sizes.columns_per_adc
    if shared_cm:  # ProcessingUnitInitialize's last (CM) adder tree and output DFFs
        grid_obj = jnp.maximum(c.ceil(cm_pe_size / sizes.sub_rows), 1.0)
        pe_tree = adder_tree(circuit, cfg, grid_obj, adder_bits, c.ceil(grid_obj * adc_per_row), sub.width)
        stages = jnp.maximum(c.log2ceil(grid_obj), 0.0)
    else:
        pe_tree = adder_tree(circuit, cfg, grid, adder_bits, c.ceil(grid * adc_per_row), sub.width)
        stages = jnp.maximum(c.log2ceil(grid), 0.0)
    n_in = sizes.num_bit_input * sizes.sub_rows
    n_out = adc_per_row * (partial_sum_bits(c, sizes) + stages)
    buf_in = logic.dff(logic.DffParams(circuit, n_in, 1.0, grid * sub.height), cfg)
    buf_out = logic.dff(logic.DffParams(circuit, n_out, 1.0, 0.0, grid_c * sub.width), cfg)
    pe_area = sub.area * n_sub + pe_tree.area + buf_in.area + buf_out.area
    pe_side = jnp.sqrt(pe_area)
    num_pe = pes_per_side * pes_per_side
    if shared_cm:  # TileInitialize's last (CM) accumulator, buffers and H-tree
        acc_inputs = cm_pes_per_side
        acc_bits = partial_sum_bits(c, sizes) + 1.0 + c.log2ceil(cm_pe_size / sizes.sub_rows)
        plan = tile_buffer_plan(cfg, sizes, cm_pes_per_side, cm_pe_size, cm_pes_per_side, cm_pe_size,
                                tile_activation)
        tree_bus = cm_pes_per_side * sizes.sub_rows
    else:
        acc_inputs = num_pe if novel else pes_per_side
        acc_bits = partial_sum_bits(c, sizes) + 1.0 + c.log2ceil(pe_size / sizes.sub_rows)
        plan = tile_buffer_plan(cfg, sizes, acc_inputs, pe_size, cm_pes_per_side, cm_pe_size, tile_activation)
        tree_bus = pes_per_side * sizes.sub_rows
    acc = adder_tree(
        circuit, cfg, acc_inputs, acc_bits, c.ceil(acc_inputs * adc_per_row), c.ceil(pes_per_side) * pe_side
    )
    buf = plan_buffer(circuit, cfg, tile_buffer_core, partial_lines, tile_buffer, sram_cell)
    # Area and leakage only (the same in a read and a write).
    in_buf = buf(plan.in_core_bits, plan.in_cores, plan.in_width, 1.0, plan.in_core_bits, plan.in_partial).read
    out_buf = buf(plan.out_core_bits, plan.out_cores, plan.out_width, 1.0, plan.out_core_bits, plan.out_partial).read
    tree = _htree(circuit, cfg, htree_side, pe_side, pe_side, tree_bus, sizes.local_delay_tolerance)
    relu_area = tile_relu(circuit, cfg, sizes, pe_size).area if tile_activation else 0.0
    area = pe_area * num_pe + acc.area + in_buf.area + out_buf.area + tree.area + relu_area
    pe_leak = sub.leakage * n_sub + pe_tree.leakage + buf_in.leakage + buf_out.leakage
    # Leakage: one core of each buffer (TileCalculatePerformance; the area counts all cores).
    buf_leak = in_buf.leakage / plan.in_cores + out_buf.leakage / plan.out_cores
    side = jnp.sqrt(area)
    return TileGeometry(
        area=area,
        ic=tree.area,
        adc=sub.area_adc * n_sub * num_pe,
        accumulation=(sub.area_accumulation * n_sub + pe_tree.area) * num_pe + acc.area,
        other=(sub.area_other * n_sub + buf_in.area + buf_out.area) * num_pe + in_buf.area + out_buf.area + relu_area,
        array=sub.area_array * n_sub * num_pe,
        height=side,
        width=side,
        pe_height=pe_side,
        pe_width=pe_side,
        leakage_pe=pe_leak,
        leakage_periphery=acc.leakage + buf_leak,
        buffers=plan,
        leakage_pe_tree=pe_tree.leakage,
        leakage_acc=acc.leakage,
        htree_latency=tree.latency,
        htree_energy=tree.energy,
    )
