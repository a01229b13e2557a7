"""Sub-array → PE → tile roll-up of one image, vectorised over the layers (docs/model.md §5.8).

Source: NeuroSim V2.0 ``ProcessingUnit.cpp`` (``ProcessingUnitInitialize``,
``ProcessingUnitCalculateArea``, ``ProcessingUnitCalculatePerformance``) and ``Tile.cpp``
(``TileInitialize``, ``TileCalculateArea``, ``TileCalculatePerformance``), read for their
structure only; this is cimjax's own vectorised re-derivation. Every per-layer quantity is a
``(L,)`` array; the branch NeuroSim takes for a layer (conventional/novel mapping, PE or
sub-array duplication) is selected with ``jnp.where``, so the roll-up stays jittable,
vmappable and differentiable when the floorplan counts are traced.

Inputs are the sub-array figures of :class:`SubArrayFigures` (one read of one input
bit-vector, one weight update of one sub-array) and the floorplan; outputs are per-image
figures of *one tile call* (``TileFigures``): the chip multiplies energies by the layer's
tiles and takes latencies of the (largest) first tile.
The static structure (:func:`cimjax.hw.tile_geometry.tile_geometry`: areas, sizes, leakage,
buffer plan) is :mod:`cimjax.hw.tile_geometry`, the types :mod:`cimjax.hw.tile_types`; this
module has the per-image performance (:func:`tile_performance`).

Where cimjax departs from (or simplifies) the released code, on purpose:

* **Mean-field trace.** NeuroSim loops over every input bit-vector and sub-array with the
  real traces; here every sub-array of a layer reads with the layer's mean activity and mean
  conductance (:mod:`cimjax.trace`), so "max over sub-arrays" is the sub-array latency
  and energies are ``count × per-sub-array``.
* **Partial pieces.** A layer's tiles, PEs and sub-arrays are costed as its first (full) one:
  latency of the first piece; energy ``= count × full-piece energy``, except that the
  sub-array read/write figures and the delta-weight transfer are scaled by the share of
  sub-array columns (tile columns) actually in use (``_column_fill``: NeuroSim hands later
  tiles and PEs what is left of the columns). Exact when every piece is full or there is only
  one (VGG-8 at the V2.0 defaults); with five cells per weight (SRAM) most layers are not. A
  partial sub-array reads with activity ``input_activity·rows_used/rows`` (the share of its
  rows that are on).
* **Output data per weight.** PE output buffers and buses and the tile output buffer carry
  ``⌊cols/numColPerSynapse⌋`` values (one per weight), not one per cell column.
* **Stale-PE quirk not reproduced.** In the non-duplicated CM tile, the released loop over
  all ``numPE × numPE`` positions re-adds the last PE's figures for positions outside the
  weight matrix; cimjax counts only the PEs that hold weights.
* **Buffers.** Register-file tile buffers are cores of ``tileBufferCoreSizeRow × tileBufferCoreSizeCol``
  bits (32×32). A buffer that needs less than one core is sized to what it needs, as released
  (the CM output buffer: ``acc_bits·numPECM·cols/numColMuxed`` = 544 bits, a
  ``acc_bits·numPECM`` = 34-bit interface, ``cols/numColMuxed`` = 16 lines, a static count from the
  config). A partial *input* buffer (``numPECM·numBitInput·rows`` < 1024, not at the
  defaults) gets the same static decoder lines, where NeuroSim's has ``numBitInput``.
  SRAM tile buffers (``ChipConfig.tile_buffer = 'sram'``, NeuroSim's ``peBufferType = true``)
  are the same plan of SRAM arrays (:func:`cimjax.hw.tile_geometry.plan_buffer`): a transfer
  costs their read plus their write, which differ (a register file's are equal).

Released behaviour reproduced on purpose (quirks, :func:`cimjax.hw.tile_geometry.tile_buffer_plan`):

* **Shared tile-buffer core counts.** ``TileInitialize`` stores the numbers of input and output
  buffer cores in one pair of globals, written first for the NM tile and then overwritten by
  the CM tile's: both tile kinds use the CM tile's counts, ``⌈numPECM·numBitInput·rows/1024⌉``
  input and ``⌈acc_bits·numPECM·cols/numColMuxed/1024⌉`` output cores, with ``numPECM`` the CM
  tile's PEs *per side* (V2.0 default: 2 and 1, where the NM tile would need 9 and 3). These
  counts set the buffers' area and their parallel-core latency divisor
  ``min(cores, ⌈treeBus/interface⌉)``; leakage counts one core of each.
* **NM output-buffer divisor** uses the input buffer's interface width (``Tile.cpp``).
* **CM tile accumulator** sums ``numPECM`` (per side) inputs, with ``numPECM·cols/numColMuxed``
  trees, as released (2 inputs, 32 trees at the defaults), not the tile's ``numPECM²`` PEs.
* **Layout.** The PE adder tree is laid out across one sub-array's width, the PE input DFFs
  down the sub-array column's height, the output DFFs across the row's width, the tile
  accumulator across ``⌈√numPE⌉`` PE widths: areas are those bounding boxes
  (:func:`cimjax.hw.components.logic.row_layout_area`); PE and tile are squares of their
  summed areas.

NeuroSim's March 2020 code (``cfg.version`` flags; neurosim/DNN_NeuroSim_V2.0 commit bf95f9c,
``Tile.cpp``, ``ProcessingUnit.cpp``, ``Chip.cpp``, read for their formulas; the manual's
Fig. 34 run). Where it differs from the current code (d4de5bc), cimjax follows it:

* **One set of tile and PE objects** (``shared_tile_objects``). ``TileInitialize`` and ``ProcessingUnitInitialize`` keep
  the accumulator, tile buffers, tile H-tree and PE adder tree/buses/DFFs in single globals,
  initialised for the NM tile and then overwritten by the CM tile's. NM tiles therefore use the
  CM tile's: accumulator (``numPECM`` per side inputs, ``numPECM·cols/numColMuxed`` trees,
  ``log2 levelOutput + numBitInput + 1 + ⌈log2(PE_CM/rows)⌉`` bits; NM tile's area lays it
  out across ``⌈√numPENM⌉`` PE widths), buffer plan, H-tree (``numPECM × numPECM`` PEs,
  ``numPECM·rows`` bits wide, at the NM PE's size) and PE adder tree/buses/output DFFs (sized
  on the CM PE's sub-array grid). The PE objects match the NM PE's own when both PEs have the
  same sub-array grid (Fig. 34: 4×4); the accumulator, buffers and H-tree do not.
* **Tile accumulation** (``tile_accumulation_col_muxed_reads``) reads ``numColMuxed`` times per image (``accumulation->
  CalculateLatency(numColMuxed, …)``), not ``(numInVector/numBitInput)·numColMuxed``; every
  branch (CM and NM).
* **NM row count** (``nm_tile_rows_per_pe``). ``ChipCalculatePerformance`` hands each NM tile ``min(PE_NM, R)`` weight
  rows (the later code ``min(PE_NM·numPENM, R)``), and each PE gets ``⌊rows/numPENM⌋``.
* **NM tile traffic**: ``rows·numInVector/numPENM`` input bits (``nm_tile_input_bits_per_pe``;
  the later code ÷√numPENM) over the CM tree's ``numPECM·rows``-bit bus (``shared_tile_objects``); the tile H-tree is the March one
  (:mod:`cimjax.hw.components.routing`).
* **PE buses** (``pe_bus_optimal_repeater``) at delay tolerance 0 (``ProcessingUnitInitialize`` passes 0 to
  ``Bus::Initialize``: the optimal repeater). The later code does the same; cimjax's current
  model keeps ``localBusDelayTolerance`` there, unchanged.

The weight-update roll-up (PE: sub-array writes summed, energy × duplication; tile: the NM
energy × ``speedUpRow·speedUpCol``, not its peak; the delta-weight transfer of the tile's
``R·C`` bits through the input buffer and H-tree) is the same in bf95f9c and d4de5bc
(``ProcessingUnitCalculatePerformance``, ``TileCalculatePerformance``): the March WU
differences are in the sub-array's write (:func:`cimjax.hw.components.subarray.subarray_write`,
whose ``row_fraction`` carries the March NM PE's rows) and the tile's own March objects above.

Valid for any floorplan of :func:`cimjax.hw.floorplan.floorplan`; as for the current code, the
first (largest) tile of a layer is costed (tile ``i`` of an NM layer gets ``min(PE_NM, R −
i·PE_NM)`` rows in the March code).
"""

from __future__ import annotations

import functools
import math
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np

from cimjax.hw.components import logic, misc, routing
from cimjax.hw.components.params import CircuitParams, ComponentConfig, as_float
from cimjax.hw.cost import Cost
from cimjax.hw.floorplan import Floorplan
from cimjax.hw.tile_geometry import adder_tree, partial_sum_bits, plan_buffer, tile_relu
from cimjax.hw.tile_types import RollupSizes, SubArrayFigures, TileFigures, TileGeometry

Array = jax.Array


def per_layer(fn: Callable[..., Cost], *args) -> Cost:
    """``fn`` on each layer: ``args`` broadcast to a common ``(L,)`` shape and vmapped."""
    arrs = jnp.broadcast_arrays(*(as_float(a) for a in args))
    return jax.vmap(fn)(*arrs)


def _bus(circuit, cfg, num_units, unit_length, width, tolerance) -> Cost:
    bus_cfg = cfg.sub(routing.BusConfig)
    return routing.bus(routing.BusParams(circuit, num_units, unit_length, width, tolerance), bus_cfg)


def _column_fill(fp: Floorplan, full_dup, cols_t, cols_p, sub_c) -> Array:
    """The layer's sub-array columns in use over those the roll-up costs (``≤ 1``).

    The roll-up costs every tile and PE of a layer as its first (full) one. NeuroSim hands the
    later ones what is left (Chip.cpp ChipCalculatePerformance: tile ``j`` gets ``min(PE_NM,
    C − j·PE_NM)`` columns with novel mapping, ``min(T, C − j·T)`` with conventional; Tile.cpp
    TileCalculatePerformance: PE ``j`` ``min(P, C_tile − j·P)``; ProcessingUnit.cpp
    ProcessingUnitCalculatePerformance loops over ``⌈C_PE/cols⌉`` sub-arrays), so a layer has
    ``Σ⌈C_piece/cols⌉`` sub-arrays along its columns. With one cell per weight VGG-8's pieces are
    full at the V2.0 defaults (factor 1); with five (SRAM) most are not (640 columns: 4 + 1
    sub-arrays, not 2 × 4). Sub-array read and write figures are scaled by the ratio. Its
    counts are exact in every relax mode and it carries no gradient: a ratio of piece counts
    (a relaxed staircase would move it off 1 where every piece is full).
    """
    C = jnp.floor(fp.weight_cols)
    piece = jnp.where(fp.novel, fp.pe_size_nm, fp.pe_size_cm)  # the column pieces: PEs (T = k·P)
    n_full = jnp.floor(C / piece)
    exact = n_full * jnp.ceil(piece / sub_c) + jnp.ceil((C - n_full * piece) / sub_c)
    tiles_c = jnp.where(fp.novel, jnp.ceil(C / fp.pe_size_nm), jnp.ceil(C / fp.tile_size_cm))
    pes_c = jnp.where(fp.novel, 1.0, jnp.ceil(cols_t / fp.pe_size_cm))
    costed = tiles_c * pes_c * jnp.maximum(jnp.ceil(cols_p / sub_c), 1.0)
    fill = jnp.minimum(exact / jnp.maximum(costed, 1.0), 1.0)
    return jax.lax.stop_gradient(jnp.where(full_dup, 1.0, fill))


def ag_weights(cfg: ComponentConfig, num_layers: int, training: bool = True) -> np.ndarray:
    """``(L,)`` weight (a static NumPy array) of each layer's activation-gradient (AG) phase: 1, or 0 for the first
    layer under ``cfg.version.first_layer_no_ag`` (NeuroSim V2.1, ``layerNumber != 0`` in
    ``main.cpp``, ``Chip.cpp``, ``Tile.cpp``, ``ProcessingUnit.cpp`` and ``SubArray.cpp``: the
    first layer's input needs no gradient). The one place that flag is read: the sub-array
    figures (:func:`cimjax.hw.chip_figures.subarray_figures`), the tile roll-up
    (:func:`tile_performance`) and the chip roll-up take their AG terms times this weight."""
    w = np.ones(num_layers)
    if cfg.version.first_layer_no_ag and training and num_layers:
        w[0] = 0.0
    return w


def _per_synapse(cfg: ComponentConfig, cols: Array, num_col_per_synapse: Array) -> Array:
    """``⌊cols/numColPerSynapse⌋``: the weights (output values) of ``cols`` cell columns; ``cols``
    itself where a weight is one cell (so the eNVM default's figures are untouched)."""
    n = as_float(num_col_per_synapse)
    return jnp.where(n > 1.0, cfg.floor(cols / jnp.maximum(n, 1.0)), cols)


@functools.partial(jax.jit, static_argnames=("cfg", "tile_buffer_core", "partial_lines", "tile_activation",
                                              "tile_buffer"))
def tile_performance(
    circuit: CircuitParams,
    cfg: ComponentConfig,
    fp: Floorplan,
    sub: SubArrayFigures,
    sizes: RollupSizes,
    geometry_cm: TileGeometry,
    geometry_nm: TileGeometry,
    *,
    num_in_vector: Array,
    out_channels: Array,
    tile_buffer_core,
    partial_lines: int | None = None,
    ag_weight: Array | None = None,
    tile_activation: bool = False,
    tile_buffer: str = "register_file",
    sram_cell=None,
) -> TileFigures:
    """Per-image figures of one tile call of every layer (``TileCalculatePerformance``).

    Args:
      circuit, cfg: shared circuit params and component config (its ``version`` flags select
        the March 2020 rules of the module docstring; ``geometry_nm`` must be built with it).
      fp: the floorplan.
      sub: sub-array figures (per layer reads, per sub-array write).
      sizes: shared traced sizes.
      geometry_cm, geometry_nm: :func:`~cimjax.hw.tile_geometry.tile_geometry` of the CM and NM tiles.
      num_in_vector: ``(L,)`` input bit-vectors per image (valid windows × input bits).
      out_channels: ``(L,)`` ``C_out``.
      tile_buffer_core: static tile buffer core, ``(rows, cols)`` bits (32 × 32) or an int side
        (:func:`~cimjax.hw.components.misc.core_shape`).
      partial_lines: static decoder lines of a tile buffer smaller than one core (default
        the core's rows; :func:`~cimjax.hw.tile_geometry.tile_geometry`).
      ag_weight: ``(L,)`` weight of each layer's AG terms (:func:`ag_weights`; default 1):
        the AG figures and the AG copies of the breakdown are scaled by it.
      tile_activation: static; NeuroSim's ``chipActivation = false`` (``Tile.cpp``
        ``TileCalculatePerformance``, ``!chipActivation``): the tile's ReLU
        (:func:`~cimjax.hw.tile_geometry.tile_relu`) runs ``⌊windows·numColMuxed/numUnit⌋``
        operations per image (NeuroSim's integer division), in the FW latency and energy (peak
        too) and the "other" breakdown, after the PEs' speed-up; the output buffer and H-tree
        carry ``C_out·(1 + numBitInput)`` bits per window in place of ``(1 + accumulator bits)``.
      tile_buffer: static; the tile buffers' kind (NeuroSim's ``peBufferType``), and
      sram_cell: traced; their 6T cell when ``'sram'``
        (:func:`~cimjax.hw.tile_geometry.plan_buffer`): every transfer through a tile buffer
        costs one write and one read of its bits (``TileCalculatePerformance``).

    Returns:
      :class:`TileFigures`.
    """
    c = cfg
    version = cfg.version
    partial_lines = misc.core_shape(tile_buffer_core, "tile_buffer_core")[0] if partial_lines is None else partial_lines
    nv = as_float(num_in_vector)
    nb = sizes.num_bit_input
    sub_r, sub_c = sizes.sub_rows, sizes.sub_cols
    agw = jnp.ones_like(nv) if ag_weight is None else as_float(ag_weight)
    novel = fp.novel
    T, P, Pn = fp.tile_size_cm, fp.pe_size_cm, fp.pe_size_nm
    npe_nm = fp.num_pe_nm
    side_nm = jnp.sqrt(npe_nm)
    npe_cm = T / P  # PEs per side of a CM tile
    R, C = fp.weight_rows, fp.weight_cols
    if version.nm_tile_rows_per_pe:  # Chip.cpp (bf95f9c): an NM tile gets min(PE_NM, R) rows
        rows_t = jnp.where(novel, jnp.minimum(Pn, R), jnp.minimum(T, R))
    else:
        rows_t = jnp.where(novel, jnp.minimum(Pn * npe_nm, R), jnp.minimum(T, R))
    cols_t = jnp.where(novel, jnp.minimum(Pn, C), jnp.minimum(T, C))
    # speedUpEachLayer (Chip.cpp OverallEachLayer): the pipeline's extra copies count in rows.
    sr = fp.pe_dup_rows * fp.subarray_dup_rows * fp.pipeline_copies
    sc = fp.pe_dup_cols * fp.subarray_dup_cols
    speedup = sr * sc

    # ---- Which branch each layer takes. ----
    full_dup = (~novel) & (speedup > 1) & (sr >= npe_cm) & (sc >= npe_cm)
    part_dup = (~novel) & (speedup > 1) & ~full_dup
    # PE call: matrix size and sub-array duplication handed to the PE.
    rows_nm = c.floor(rows_t / npe_nm) if version.nm_tile_rows_per_pe else rows_t / npe_nm  # March: an int
    rows_p = jnp.where(novel, rows_nm, jnp.where(full_dup, rows_t, jnp.minimum(P, rows_t)))
    cols_p = jnp.where(full_dup, cols_t, jnp.minimum(jnp.where(novel, Pn, P), cols_t))
    dup_r = jnp.where(full_dup, c.ceil(sr / npe_cm), 1.0)
    dup_c = jnp.where(full_dup, c.ceil(sc / npe_cm), 1.0)
    pe_dup = dup_r * dup_c
    pe_size = jnp.where(novel, Pn, P)
    grid = c.ceil(pe_size / sub_r)  # numSubArrayRow (= Col) of the PE
    # The sub-array grid the PE's adder tree, buses and output DFFs were initialised for: the
    # PE's own, or (March 2020: one set of PE objects, the CM PE's last) the CM PE's.
    grid_obj = c.ceil(P / sub_r) + jnp.zeros_like(grid) if version.shared_tile_objects else grid
    n_sa_r = jnp.maximum(c.ceil(rows_p / sub_r), 1.0)
    n_sa_c = jnp.maximum(c.ceil(cols_p / sub_c), 1.0)
    n_sa = n_sa_r * n_sa_c
    # Case A: duplicated, fewer copies than the PE grid (adder tree per sub-array);
    # case B: duplicated, matrix in one sub-array call (no adder tree); case C: no duplication.
    case_a = (pe_dup > 1) & ((dup_r < grid) | (dup_c < grid))
    case_b = (pe_dup > 1) & ~case_a
    n_sa = jnp.where(case_b, 1.0, n_sa)
    fill_c = _column_fill(fp, full_dup, cols_t, cols_p, sub_c)

    # ---- PE: sub-arrays + adder tree over sub-array rows. ----
    adder_bits = partial_sum_bits(c, sizes) + 1.0
    if version.accumulation_reads_per_synapse:  # V2.1: ·ceil(numColMuxed/numColPerSynapse), an int quotient
        reads_acc = jnp.floor(nv / nb) * c.floor(sizes.columns_per_adc / sizes.num_col_per_synapse)
    else:
        reads_acc = jnp.floor(nv / nb) * sizes.columns_per_adc  # (numInVector/numBitInput)·numColMuxed
    trees_pe = c.ceil(grid_obj * sub_c / sizes.columns_per_adc)
    pe_tree = per_layer(lambda n, b, t: adder_tree(circuit, cfg, n, b, t), n_sa_r, adder_bits, trees_pe)
    tree_lat = jnp.where(case_b, 0.0, pe_tree.latency * reads_acc)
    tree_e = jnp.where(case_b, 0.0, pe_tree.energy * reads_acc) * jnp.where(case_a, n_sa, 1.0)
    sa_fw_t = nv * sub.fw_latency
    sa_ag_t = nv * sub.ag_latency
    pe_fw_t = (sa_fw_t + tree_lat) / pe_dup
    pe_ag_t = (sa_ag_t + agw * tree_lat) / pe_dup
    pe_fw_e = fill_c * n_sa * nv * sub.fw_energy + tree_e
    pe_ag_e = fill_c * n_sa * nv * sub.ag_energy + agw * tree_e
    # V2.1: the PE adder tree enters the accumulation breakdown once per read phase (FW, AG).
    tree_phases = 1.0 + agw if version.pe_tree_accumulation_per_phase else 1.0
    pe_adc_t = nv * sub.adc_latency / pe_dup
    pe_acc_t = (nv * sub.accumulation_latency + tree_phases * tree_lat) / pe_dup
    pe_oth_t = nv * sub.other_latency / pe_dup
    pe_adc_e = fill_c * n_sa * nv * sub.adc_energy
    pe_acc_e = fill_c * n_sa * nv * sub.accumulation_energy + tree_phases * tree_e
    pe_oth_e = fill_c * n_sa * nv * sub.other_energy
    # WU: sub-array writes summed (sequential); energy × the PE's duplication.
    pe_wu_t = fill_c * n_sa * sub.write_latency
    pe_wu_e = fill_c * n_sa * sub.write_energy * pe_dup

    # ---- PE buffers and buses (×1 FW, ×1 AG; the breakdown counts them twice). ----
    half_clock = 0.5 / as_float(circuit.clock_hz)
    buf_in_t = nv * n_sa_r * half_clock
    buf_out_t = jnp.floor(nv / nb) * half_clock
    # NeuroSim DFF.cpp: every DFF of the PE buffer (numBitInput·subRows in; subCols/numColMuxed ·
    # (log2 levelOutput + numBitInput + PE tree stages) out) is clocked per "read" of its energy
    # call; only min(numDffPerOperation, numDff) switch data (below).
    n_dff_in = nb * sub_r
    n_dff_out = (sub_c / sizes.columns_per_adc) * (partial_sum_bits(c, sizes) + jnp.maximum(c.log2ceil(grid_obj), 0.0))

    def _pe_dff(n_dff, n_active):
        act = jnp.minimum(n_active, n_dff) / n_dff
        return logic.dff(logic.DffParams(circuit, n_dff, act), cfg)

    # Output data are counted per *weight*, not per cell: NeuroSim's PE (ProcessingUnit.cpp,
    # ProcessingUnitCalculatePerformance: bufferOutput*->CalculatePower and busOutput*->
    # CalculateLatency/Power) and tile (Tile.cpp, TileCalculatePerformance: numBitToLoadIn) take
    # ``weightMatrixCol/numColPerSynapse`` (C++ integer division) output columns. The two differ
    # where a weight spans several cells (SRAM: cellBit = 1, five cells per 5-bit weight).
    cols_p_syn = _per_synapse(c, cols_p, fp.num_col_per_synapse)
    cols_t_syn = _per_synapse(c, jnp.floor(cols_t), fp.num_col_per_synapse)
    # The energy call swaps the roles (ProcessingUnit.cpp ProcessingUnitCalculatePerformance:
    # bufferInput->CalculatePower(weightMatrixRow, numInVector), bufferOutput->CalculatePower(
    # weightMatrixCol/numColPerSynapse·numAdderBit, numInVector/numBitInput); DFF.cpp
    # CalculatePower(numRead, numDffPerOperation)): every DFF is clocked once per weight row (per
    # output bit) and min(numInVector, numDff) (min(⌊numInVector/numBitInput⌋, numDff)) switch
    # data, whatever the reads. Probed on NeuroSim V2.0 (default run): equal to 4 digits per PE.
    dff_in = per_layer(lambda n: _pe_dff(n_dff_in, n), nv)
    dff_out = per_layer(lambda n, m: _pe_dff(m, n), jnp.floor(nv / nb), n_dff_out)
    buf_in_e = rows_p * dff_in.energy
    buf_out_e = cols_p_syn * adder_bits * dff_out.energy
    # March 2020: ProcessingUnitInitialize builds the PE buses with delay tolerance 0 (the
    # optimal repeater, Bus::Initialize skips its search).
    tol = jnp.zeros_like(sizes.local_delay_tolerance) if version.pe_bus_optimal_repeater else sizes.local_delay_tolerance
    bus_in = per_layer(lambda n: _bus(circuit, cfg, n, sub.width, sub_r, tol), grid_obj)
    bus_out = per_layer(lambda n: _bus(circuit, cfg, n, sub.height, n * sub_c, tol), grid_obj)
    cyc_in = rows_p * nv / sub_r
    cyc_out = (cols_p_syn * sizes.adc_bits * nv / nb) / (grid_obj * sub_c)
    bus_t = cyc_in * bus_in.latency + cyc_out * bus_out.latency
    bus_e = cyc_in * bus_in.energy + cyc_out * bus_out.energy
    pe_buf_t, pe_buf_e = buf_in_t + buf_out_t, buf_in_e + buf_out_e

    # ---- PE → tile. ----
    n_pe_used = jnp.where(
        novel, npe_nm, jnp.where(full_dup, 1.0, c.ceil(rows_t / P) * c.ceil(cols_t / P))
    )
    lat_div = jnp.where(novel | part_dup, speedup, jnp.where(full_dup, npe_cm * npe_cm, 1.0))
    t_fw = (pe_fw_t + pe_buf_t + bus_t) / lat_div
    t_ag = (pe_ag_t + agw * (pe_buf_t + bus_t)) / lat_div
    t_pk_fw, t_pk_ag = pe_fw_t / lat_div, pe_ag_t / lat_div
    e_fw = n_pe_used * (pe_fw_e + pe_buf_e + bus_e)
    e_ag = n_pe_used * (pe_ag_e + agw * (pe_buf_e + bus_e))
    e_pk_fw, e_pk_ag = n_pe_used * pe_fw_e, n_pe_used * pe_ag_e
    phases = 1.0 + agw  # FW and AG copies of the breakdown (2, or 1 without an AG phase)
    t_buf = phases * pe_buf_t / lat_div
    e_buf = phases * n_pe_used * pe_buf_e
    t_ic = phases * bus_t / lat_div
    e_ic = phases * n_pe_used * bus_e
    t_adc, t_acc, t_oth = pe_adc_t / lat_div, pe_acc_t / lat_div, pe_oth_t / lat_div
    e_adc, e_acc, e_oth = n_pe_used * pe_adc_e, n_pe_used * pe_acc_e, n_pe_used * pe_oth_e
    wu_factor = jnp.where(full_dup, npe_cm * npe_cm, 1.0)
    t_wu = n_pe_used * pe_wu_t * wu_factor
    # NeuroSim V2.0 ``TileCalculatePerformance`` (novel mapping) multiplies the tile's WU energy
    # by the weight duplication ``speedUpRow·speedUpCol`` but not its PEAK WU energy (taken
    # from the PEs before that scaling); conventional tiles scale both alike. Measured on
    # identical weights: NM layers' PEAK WU energy = WU array energy / speed-up (16, 8, 4, 2).
    e_pk_wu = n_pe_used * pe_wu_e * wu_factor
    e_wu = e_pk_wu * jnp.where(novel, speedup, 1.0)

    # Tile accumulation over PEs (FW and AG; breakdown ×2).
    pe_rows_cm = c.ceil(rows_t / P)
    acc_inputs = jnp.where(novel, npe_nm, jnp.where(part_dup, pe_rows_cm, npe_cm))
    use_acc = jnp.where(novel, True, jnp.where(part_dup, pe_rows_cm > 1, ~full_dup))
    if version.shared_tile_objects:  # bf95f9c: one (the CM tile's) accumulator for every tile
        acc_bits = adder_bits + c.log2ceil(P / sub_r)
        acc_trees = c.ceil(npe_cm * sub_c / sizes.columns_per_adc)
    else:
        acc_bits = adder_bits + c.log2ceil(pe_size / sub_r)
        acc_trees = c.ceil(jnp.where(novel, npe_nm, npe_cm) * sub_c / sizes.columns_per_adc)
    # bf95f9c reads the tile accumulator numColMuxed times per image.
    reads_tile = sizes.columns_per_adc if version.tile_accumulation_col_muxed_reads else reads_acc
    acc = per_layer(lambda n, b, t: adder_tree(circuit, cfg, n, b, t), acc_inputs, acc_bits, acc_trees)
    acc_t = jnp.where(use_acc, acc.latency * reads_tile, 0.0)
    acc_e = jnp.where(use_acc, acc.energy * reads_tile, 0.0)
    t_fw, t_ag, t_pk_fw, t_pk_ag = t_fw + acc_t, t_ag + agw * acc_t, t_pk_fw + acc_t, t_pk_ag + agw * acc_t
    e_fw, e_ag, e_pk_fw, e_pk_ag = e_fw + acc_e, e_ag + agw * acc_e, e_pk_fw + acc_e, e_pk_ag + agw * acc_e
    t_acc, e_acc = t_acc + phases * acc_t, e_acc + phases * acc_e
    if tile_activation:  # the tile's own ReLU (FW only)
        relu_units_pe = jnp.where(novel, Pn, P)
        relu = per_layer(lambda s: tile_relu(circuit, cfg, sizes, s), relu_units_pe)
        relu_reads = jnp.floor(jnp.floor(nv / nb) * sizes.columns_per_adc
                               / c.ceil(relu_units_pe * sub_c / sizes.columns_per_adc))
        relu_t, relu_e = relu_reads * relu.latency, relu_reads * relu.energy
        t_fw, t_pk_fw, t_oth = t_fw + relu_t, t_pk_fw + relu_t, t_oth + relu_t
        e_fw, e_pk_fw, e_oth = e_fw + relu_e, e_pk_fw + relu_e, e_oth + relu_e

    # Tile input/output buffers and H-tree (FW and AG; breakdown ×2).
    if version.nm_tile_input_bits_per_pe:  # bf95f9c: NM input bits ÷numPENM
        bits_out = jnp.where(novel, rows_t * nv / npe_nm, rows_t * nv)
    else:
        bits_out = jnp.where(novel, rows_t * nv / side_nm, rows_t * nv)
    out_bits = nb if tile_activation else acc_bits  # the ReLU's numBit, or the accumulator's numAdderBit
    bits_in = cols_t_syn * (1.0 + out_bits) * nv / nb / jnp.where(novel, npe_nm, 1.0)
    if version.shared_tile_objects:  # bf95f9c: over the (CM) tile tree's numPECM·rows bus
        bus_w = npe_cm * sub_r + jnp.zeros_like(rows_t)
    else:
        bus_w = jnp.where(novel, side_nm, npe_cm) * sub_r
    plan = jax.tree.map(lambda a, b: jnp.where(novel, a, b), geometry_nm.buffers, geometry_cm.buffers)
    buf = plan_buffer(circuit, cfg, tile_buffer_core, partial_lines, tile_buffer, sram_cell)
    in_buf = per_layer(
        lambda b, n, w, bw, cb, pa: buf(b, n, w, bw, cb, pa),
        bits_out, plan.in_cores, plan.in_width, bus_w, plan.in_core_bits, plan.in_partial,
    )
    # As released, the NM tile's output divisor min(cores, ⌈treeBus/IF⌉) takes the *input*
    # buffer's interface width: scale the bus so that ⌈bus'/IF_out⌉ = ⌈bus/IF_in⌉.
    out_bus = jnp.where(novel, bus_w * plan.out_width / plan.in_width, bus_w)
    out_buf = per_layer(
        lambda b, n, w, bw, cb, pa: buf(b, n, w, bw, cb, pa),
        bits_in, plan.out_cores, plan.out_width, out_bus, plan.out_core_bits, plan.out_partial,
    )
    # read + write of each buffer (equal for a register file: the sum is 2·(in + out) exactly)
    tb_t = (in_buf.read.latency + in_buf.write.latency) + (out_buf.read.latency + out_buf.write.latency)
    tb_e = (in_buf.read.energy + in_buf.write.energy) + (out_buf.read.energy + out_buf.write.energy)
    # One transfer through the tile's H-tree, as tile_geometry designed it (the CM tree on its
    # cm_pes_per_side grid, the NM tree on ⌈√numPENM⌉).
    tree_t1 = jnp.where(novel, geometry_nm.htree_latency, geometry_cm.htree_latency)
    tree_e1 = jnp.where(novel, geometry_nm.htree_energy, geometry_cm.htree_energy)
    cyc = (bits_out + bits_in) / bus_w
    ht_t, ht_e = cyc * tree_t1, cyc * tree_e1
    t_fw, t_ag = t_fw + tb_t + ht_t, t_ag + agw * (tb_t + ht_t)
    e_fw, e_ag = e_fw + tb_e + ht_e, e_ag + agw * (tb_e + ht_e)
    t_buf, e_buf = t_buf + phases * tb_t, e_buf + phases * tb_e
    t_ic, e_ic = t_ic + phases * ht_t, e_ic + phases * ht_e

    # WU: delta-weight transfer (R·C bits) through the input buffer (not split over its
    # cores, as released) and the tile H-tree; not in the peak figures.
    # Later tiles of a layer hold what is left of its columns (``_column_fill``); their
    # numDeltaWeightBit = rows·cols (Tile.cpp TileCalculatePerformance) is counted by the ratio.
    tiles_c = jnp.where(novel, jnp.ceil(C / Pn), jnp.ceil(C / T))  # exact, as _column_fill
    fill_t = jax.lax.stop_gradient(jnp.minimum(C / jnp.maximum(tiles_c * cols_t, 1.0), 1.0))
    delta = rows_t * cols_t * fill_t
    one_core = per_layer(
        lambda b, w, cb, pa: buf(b, 1.0, w, w, cb, pa), delta, plan.in_width, plan.in_core_bits, plan.in_partial
    )
    d_cyc = delta / bus_w
    one_t = one_core.read.latency + one_core.write.latency  # read + write
    one_e = one_core.read.energy + one_core.write.energy
    wu_tr_t = one_t + d_cyc * tree_t1
    wu_tr_e = one_e + d_cyc * tree_e1
    t_buf, e_buf = t_buf + one_t, e_buf + one_e
    t_ic, e_ic = t_ic + d_cyc * tree_t1, e_ic + d_cyc * tree_e1

    # Leakage of the layer's tile call (TileCalculatePerformance): the PE adder tree is the one
    # the layer initialises (⌈log2 sub-array rows in use⌉ stages), and the tile accumulator
    # leaks only where the layer evaluates it (as released its value is otherwise the last
    # one computed: 0 before any, as on the V2.0 default's full-duplication first layer).
    geo_pe_leak = jnp.where(novel, geometry_nm.leakage_pe - geometry_nm.leakage_pe_tree,
                            geometry_cm.leakage_pe - geometry_cm.leakage_pe_tree) + pe_tree.leakage
    acc_leak = jnp.where(use_acc, acc.leakage, 0.0)
    leak_cm = geo_pe_leak * npe_cm * npe_cm + geometry_cm.leakage_periphery - geometry_cm.leakage_acc + acc_leak
    leak_nm = geo_pe_leak * npe_nm + geometry_nm.leakage_periphery - geometry_nm.leakage_acc + acc_leak
    return TileFigures(
        fw_latency=t_fw,
        fw_energy=e_fw,
        ag_latency=t_ag,
        ag_energy=e_ag,
        peak_fw_latency=t_pk_fw,
        peak_fw_energy=e_pk_fw,
        peak_ag_latency=t_pk_ag,
        peak_ag_energy=e_pk_ag,
        wu_latency=t_wu + wu_tr_t,
        wu_energy=e_wu + wu_tr_e,
        peak_wu_latency=t_wu,
        peak_wu_energy=e_pk_wu,
        buffer_latency=t_buf,
        buffer_energy=e_buf,
        ic_latency=t_ic,
        ic_energy=e_ic,
        adc_latency=t_adc,
        adc_energy=e_adc,
        accumulation_latency=t_acc,
        accumulation_energy=e_acc,
        other_latency=t_oth,
        other_energy=e_oth,
        leakage=jnp.where(novel, leak_nm, leak_cm),
    )


def static_side(num_pe_nm: int) -> int:
    """``⌈√numPENM⌉``, the NM tile's PE grid side (static)."""
    return int(math.ceil(math.sqrt(num_pe_nm)))
