"""NeuroSim's chip floorplan (docs/model.md §5.2) as pure ``jnp``: ``floorplan(params, config)``.

Source: DNN+NeuroSim V2.0 ``Chip.cpp`` (``ChipDesignInitialize``, ``ChipFloorPlan``,
``ChipInitialize``), as described in docs/model.md §5.2; validated against the worked V2.0 result
(manual Fig. 33) for VGG-8 / CIFAR-10 with 128×128 sub-arrays. Layer-by-layer mode
(``pipeline = false``, the V2.0 default) and the pipelined chip (``pipeline = true``, step 11).

The layer shapes are static (:class:`FloorplanConfig`, a hashable pytree with no leaves);
the circuit parameters are traced (:class:`FloorplanParams`), so the floorplan can be
``vmap``-ped over sub-array sizes or bit widths and differentiated in the relaxed modes
(:mod:`cimjax.hw.relax`). Every count is a float array holding an integer in exact mode.

Modes (``FloorplanConfig.mode``): ``"exact"`` is NeuroSim's floorplan (zero gradients).
``"ste"`` gives the same values with straight-through gradients; use it for design
gradients. ``"relaxed"`` is smooth but biased at NeuroSim's power-of-two design points,
whose ceil/floor/log2 arguments sit exactly on the steps (error ½ each, compounding): for
VGG-8 at 128×128 it gives 1.5 cells per weight, 76.8 tiles and 76 % utilisation instead of
1, 15 and 88.6 %.

Algorithm, with ``sub`` = sub-array rows (``numRowSubArray``), ``R = C_in·K·K`` (weight
rows; ``numRowPerSynapse = 1``), ``Ccol = C_out·⌈synapse_bits/cell_bits⌉``:

1. ``numPENM`` = the most frequent ``K·K`` of the layer table (static; ties → the first).
2. A layer is NM (novel mapping) if ``novel_mapping``, ``K·K = numPENM`` and ``R ≥ sub``;
   else CM (conventional mapping).
3. Start sizes: the largest ``2^⌈log2 Ccol⌉`` over NM layers (NM PE) and over CM layers
   (CM tile); 0 if there are no such layers.
4. NM PE size: candidates ``S0 = max(start, 2·sub)``, ``S0/2``, … while ``> 2·sub``
   (``S0`` alone if ``S0 = 2·sub``); keep the highest utilisation
   ``Σ_NM R·Ccol / (S²·numPENM·Σ_NM tiles)`` with ``⌈C_in/S⌉·⌈Ccol/S⌉`` tiles per NM layer.
5. CM tile size: the same with ``max(start, 4·sub)``, threshold ``4·sub``, utilisation
   ``Σ_CM R·Ccol / (T²·Σ_CM tiles)`` with ``⌈R/T⌉·⌈Ccol/T⌉`` tiles per CM layer.
6. CM PE size: candidates ``T/2``, ``T/4``, … while ``> 2·sub`` (``T/2`` alone otherwise),
   utilisation ``Σ_CM R·Ccol / (P²·Σ_CM ⌈R/P⌉·⌈Ccol/P⌉)``.
7.–9. Duplication, tiles, speed-up, utilisation per layer as in docs/model.md §5.2.
10. Chip grid ``⌈√N⌉ × ⌈N/⌈√N⌉⌉`` for ``N`` tiles; global bus width (``ChipInitialize``).
11. Pipeline (``FloorplanConfig.pipeline``; ``ChipDesignInitialize``, ``OverallEachLayer``,
    ``ChipFloorPlan``, ``ChipInitialize``): each layer wants ``s_l = ⌈(IFM_l/b)²⌉`` copies,
    ``b = ⌈IFM_0/d⌉`` with ``d = min(speedUpDegree, ⌊IFM_0/min IFM⌋)`` (the minimum over the
    layers whose kernel is not 1×1, and ``IFM_0`` itself; :func:`pipeline_speedups`, static).
    A layer's tiles in rows are multiplied by ``e_l = ⌈s_l/dup_l⌉`` (``dup_l`` its duplication
    product), its speed-up in rows too (:attr:`Floorplan.pipeline_copies`), its utilisation is
    ``max(s_l, dup_l)·R·Ccol`` over its (larger) capacity, and every tile of the layer adds its
    bus (``Σ_l (side + side/numColMuxed)·tiles_l`` before the halving). The chip grid follows
    the new tile count.

Interpretations where docs/model.md §5.2 is silent (none changes the V2.0 worked result):
- "Keep the highest utilisation" uses the ratio of sums (total weights over total
  capacity); ties keep the first, i.e. the largest, candidate (a strict ``>`` update).
- Step 6 names no criterion; it uses the same utilisation rule as steps 4–5.
- NM tiles and NM sub-array column duplication use ``Ccol`` (``C_out`` times cells per
  weight) where docs/model.md writes ``C_out``; the two agree at the default one cell per weight.
- Column duplication divides by sub-array *columns*, row duplication and the size
  thresholds (2·sub, 4·sub, layer marking) use sub-array *rows*; equal for square arrays.
- The NM bus term ``PE_NM·3`` is ``PE_NM·√numPENM`` (the NM tile is √numPENM PEs wide;
  3 for 3×3 kernels); the halving to ``≤ maxGlobalBusWidth`` is exact division by 2.
- Chip utilisation is the tile-weighted mean of the per-layer utilisations (reproduces
  88.59 % for VGG-8).
- Without NM (CM) layers the NM PE size (CM tile size) is just the start ``2·sub``
  (``4·sub``); nothing uses it.
"""

from __future__ import annotations

import collections
import dataclasses
import math
from typing import NamedTuple, Union

import jax
import jax.numpy as jnp
import numpy as np

from cimjax.hw import relax
from cimjax.hw.network import LayerShape

Array = jax.Array
ArrayLike = Union[jax.Array, float, int]

#: Number of halvings evaluated for each size search (static): covers a start size up to
#: 2^31 times the threshold.
NUM_CANDIDATES = 32
#: NeuroSim's ``maxGlobalBusWidth`` (docs/model.md §5.3).
MAX_GLOBAL_BUS_WIDTH = 8192


class FloorplanParams(NamedTuple):
    """Traced inputs of the floorplan (scalars; give them a leading axis to ``vmap``).

    Attributes:
      subarray_rows: rows of a sub-array (``numRowSubArray``), cells; 128 by default.
      subarray_cols: columns of a sub-array (``numColSubArray``), cells.
      synapse_bits: bits per weight (``synapseBit`` = the weight word length).
      cell_bits: bits stored per cell (``cellBit``); ``⌈synapse_bits/cell_bits⌉`` cells
        (columns) per weight.
      columns_per_adc: columns sharing one ADC (``numColMuxed``), for the bus width.
      max_global_bus_width: ``maxGlobalBusWidth``, wires (8192).
    """

    subarray_rows: ArrayLike = 128.0
    subarray_cols: ArrayLike = 128.0
    synapse_bits: ArrayLike = 5.0
    cell_bits: ArrayLike = 5.0
    columns_per_adc: ArrayLike = 8.0
    max_global_bus_width: ArrayLike = float(MAX_GLOBAL_BUS_WIDTH)


@jax.tree_util.register_static
@dataclasses.dataclass(frozen=True)
class FloorplanConfig:
    """Static inputs of the floorplan: the layer table and the mapping options.

    A hashable pytree with no leaves, so it can be passed straight to a jitted function.

    Attributes:
      layers: the network's layer table (:func:`cimjax.hw.network.network_layers`).
      novel_mapping: NeuroSim's ``novelMapping`` (True in V2.0); False = conventional only.
      mode: ``"exact"`` (default), ``"relaxed"`` or ``"ste"`` (:mod:`cimjax.hw.relax`).
      temperature: staircase temperature of the relaxed ceil/floor (count units).
      select_temperature: softmax temperature of the relaxed size search (utilisation units).
      pipeline: NeuroSim's ``pipeline`` (step 11 of the module docstring); False = layer by layer.
      speed_up_degree: NeuroSim's ``speedUpDegree`` (≥ 1), read only with ``pipeline``.
    """

    layers: tuple[LayerShape, ...]
    novel_mapping: bool = True
    mode: str = "exact"
    temperature: float = relax.DEFAULT_TEMPERATURE
    select_temperature: float = relax.DEFAULT_SELECT_TEMPERATURE
    pipeline: bool = False
    speed_up_degree: int = 1

    def __post_init__(self):
        layers = tuple(LayerShape(*layer) for layer in self.layers)
        if not layers:
            raise ValueError("FloorplanConfig.layers is empty: expected at least one layer")
        for i, layer in enumerate(layers):
            dims = (layer.in_channels, layer.kernel_h, layer.kernel_w, layer.out_channels)
            if any(isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 1 for d in dims):
                raise ValueError(
                    f"FloorplanConfig.layers[{i}] = {layer}: channels and kernel must be ints ≥ 1"
                )
        object.__setattr__(self, "layers", layers)
        object.__setattr__(self, "novel_mapping", bool(self.novel_mapping))
        object.__setattr__(self, "pipeline", bool(self.pipeline))
        if isinstance(self.speed_up_degree, bool) or not isinstance(self.speed_up_degree, (int, np.integer)) or (
                self.speed_up_degree < 1):
            raise ValueError(f"FloorplanConfig.speed_up_degree = {self.speed_up_degree!r}: expected an int ≥ 1")
        relax.check_mode(self.mode)
        for name in ("temperature", "select_temperature"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not value > 0:
                raise ValueError(f"FloorplanConfig.{name} = {value!r}: expected a number > 0")

    @property
    def num_pe_nm(self) -> int:
        """``numPENM``: the most frequent ``K·K`` among the layers (ties → first seen)."""
        counts = collections.Counter(layer.kernel_h * layer.kernel_w for layer in self.layers)
        return counts.most_common(1)[0][0]


def pipeline_speedups(layers, speed_up_degree: int) -> tuple[int, ...]:
    """NeuroSim's ``pipelineSpeedUp`` of every layer (``Chip.cpp`` ``ChipDesignInitialize``):
    ``⌈(IFM_l/b)²⌉`` with ``b = ⌈IFM_0/d⌉`` and ``d = min(speed_up_degree, ⌊IFM_0/min IFM⌋)``;
    ``min IFM`` over ``IFM_0`` and the layers whose kernel height is not 1 (NeuroSim's "max" IFM
    is the first layer's; a larger degree is lowered to that bound, as NeuroSim does with a
    message). Static ints."""
    first = layers[0].ifm_h
    smallest = min([first] + [l.ifm_h for l in layers if l.kernel_h != 1])
    degree = min(int(speed_up_degree), int(first / smallest))
    bound = math.ceil(first / degree)
    return tuple(math.ceil((l.ifm_h / bound) ** 2) for l in layers)


class Floorplan(NamedTuple):
    """The floorplan of a network (docs/model.md §5.2). ``L`` = number of layers.

    Sizes are in cells (a "tile size" ``T`` means a ``T × T`` tile). Counts are floats
    holding integers in exact mode.

    Attributes:
      novel: ``(L,)`` bool, True where the layer uses the novel mapping (NM tiles).
      weight_rows: ``(L,)`` ``R = C_in·K·K``, rows of the unrolled weight matrix.
      weight_cols: ``(L,)`` ``Ccol = C_out·numColPerSynapse``, cell columns.
      tiles: ``(L,)`` tiles per layer.
      pe_dup_rows / pe_dup_cols: ``(L,)`` PE duplication in rows / columns (1 for NM).
      subarray_dup_rows / subarray_dup_cols: ``(L,)`` sub-array duplication.
      speedup: ``(L,)`` product of the four duplications (times the pipeline's copies, step 11).
      utilization: ``(L,)`` duplicated weights over the capacity of the layer's tiles.
      chip_utilization: ``()`` tile-weighted mean utilisation.
      total_tiles: ``()`` tiles on the chip.
      tile_size_cm: ``()`` CM tile size ``T``.
      pe_size_cm: ``()`` CM PE size ``P`` (a CM tile holds ``(T/P)²`` PEs).
      pe_size_nm: ``()`` NM PE size (an NM tile holds ``numPENM`` PEs).
      num_pe_nm: ``()`` ``numPENM`` (static, from the layer shapes).
      tile_rows / tile_cols: ``()`` chip tile grid.
      global_bus_width: ``()`` global bus width, wires.
      num_col_per_synapse: ``()`` cells per weight ``⌈synapse_bits/cell_bits⌉``.
      pipeline_copies: ``(L,)`` the pipeline's extra copies in rows ``e_l`` (step 11; 1 layer by
        layer): they multiply ``tiles`` and the tile's speed-up in rows.
    """

    novel: Array
    weight_rows: Array
    weight_cols: Array
    tiles: Array
    pe_dup_rows: Array
    pe_dup_cols: Array
    subarray_dup_rows: Array
    subarray_dup_cols: Array
    speedup: Array
    utilization: Array
    chip_utilization: Array
    total_tiles: Array
    tile_size_cm: Array
    pe_size_cm: Array
    pe_size_nm: Array
    num_pe_nm: Array
    tile_rows: Array
    tile_cols: Array
    global_bus_width: Array
    num_col_per_synapse: Array
    pipeline_copies: Array


def _check_concrete_positive(name: str, value: ArrayLike) -> None:
    """Raise ValueError for a concrete (non-traced) value that is not finite and > 0."""
    if isinstance(value, jax.core.Tracer):
        return  # cheap test first: a failed conversion builds a costly error message
    try:
        v = np.asarray(value, dtype=float)
    except (jax.errors.TracerArrayConversionError, jax.errors.ConcretizationTypeError, TypeError):
        return
    if not np.all(np.isfinite(v) & (v > 0)):
        raise ValueError(f"FloorplanParams.{name} = {value!r}: expected finite values > 0")


def _size_search(start, threshold, tiles_fn, weights, capacity_per_tile_fn, mode, temperature):
    """Evaluate ``start/2^k`` (k < NUM_CANDIDATES) and keep the best-utilised valid one.

    Valid: ``k = 0``, or ``start/2^k > threshold`` (NeuroSim's strict "while above").
    ``tiles_fn(S)`` gives the ``(K, L)`` tiles (already masked to the layers concerned),
    ``weights`` the total weights of those layers; ``S`` is passed with shape ``(K, 1)``.
    """
    k = jnp.arange(NUM_CANDIDATES)
    sizes = start / relax.pow2(k.astype(start.dtype))
    valid = (k == 0) | (sizes > threshold)
    tiles = tiles_fn(sizes[:, None])  # (K, L)
    capacity = capacity_per_tile_fn(sizes) * jnp.sum(tiles, axis=1)
    utilization = weights / jnp.where(capacity > 0, capacity, 1.0)
    return relax.select_best(utilization, sizes, valid, mode, temperature=temperature)


def floorplan(params: FloorplanParams, config: FloorplanConfig) -> Floorplan:
    """NeuroSim V2.0's floorplan of ``config.layers`` for the circuit ``params`` (docs/model.md §5.2).

    Pure and jittable; ``vmap`` over any leaf of ``params`` (e.g. sub-array sizes 64, 128,
    256). Valid for positive parameters; sub-array sizes are powers of two in NeuroSim
    (in [16, 2048] in :class:`~cimjax.config.schema.HardwareConfig`), other values are
    computed with the same formulas. Concrete (non-traced) parameters are checked to be
    finite and > 0 (``ValueError``); traced ones are not checked.

    Args:
      params: :class:`FloorplanParams`, scalars (traced).
      config: :class:`FloorplanConfig` (static).

    Returns:
      The :class:`Floorplan`; per-layer fields have shape ``(L,)``, the others ``()``.

    Raises:
      ValueError: for concrete parameters that are not finite and positive.
    """
    for name, value in params._asdict().items():
        _check_concrete_positive(name, value)
    mode = config.mode
    dtype = jnp.result_type(float)

    def ceil(x):
        return relax.ceil(x, mode, temperature=config.temperature)

    def floor(x):
        return relax.floor(x, mode, temperature=config.temperature)

    def as_float(x):
        return jnp.asarray(x).astype(dtype)

    sub_rows = as_float(params.subarray_rows)
    sub_cols = as_float(params.subarray_cols)
    cols_per_adc = as_float(params.columns_per_adc)
    max_bus = as_float(params.max_global_bus_width)
    num_col_per_synapse = ceil(as_float(params.synapse_bits) / as_float(params.cell_bits))

    layers = config.layers
    num_pe_nm = config.num_pe_nm
    kk_np = np.array([layer.kernel_h * layer.kernel_w for layer in layers])
    c_in = jnp.asarray([layer.in_channels for layer in layers], dtype)
    c_out = jnp.asarray([layer.out_channels for layer in layers], dtype)
    kk = jnp.asarray(kk_np, dtype)
    rows = c_in * kk  # R (numRowPerSynapse = 1)
    cols = c_out * num_col_per_synapse  # Ccol

    # 1–2. Layer marking.
    if config.novel_mapping:
        novel = jnp.asarray(kk_np == num_pe_nm) & (rows >= sub_rows)
    else:
        novel = jnp.zeros(len(layers), bool)
    conventional = ~novel

    # 3. Start sizes.
    pow2_cols = relax.pow2ceil(cols, mode, temperature=config.temperature)
    start_pe_nm = jnp.max(jnp.where(novel, pow2_cols, 0.0))
    start_tile_cm = jnp.max(jnp.where(conventional, pow2_cols, 0.0))
    weights = rows * cols
    weights_nm = jnp.sum(jnp.where(novel, weights, 0.0))
    weights_cm = jnp.sum(jnp.where(conventional, weights, 0.0))
    search = dict(mode=mode, temperature=config.select_temperature)

    # 4. NM PE size.
    pe_nm = _size_search(
        jnp.maximum(start_pe_nm, 2.0 * sub_rows),
        2.0 * sub_rows,
        lambda s: jnp.where(novel[None], ceil(c_in[None] / s) * ceil(cols[None] / s), 0.0),
        weights_nm,
        lambda s: s * s * num_pe_nm,
        **search,
    )
    # 5. CM tile size.
    tile_cm = _size_search(
        jnp.maximum(start_tile_cm, 4.0 * sub_rows),
        4.0 * sub_rows,
        lambda s: jnp.where(conventional[None], ceil(rows[None] / s) * ceil(cols[None] / s), 0.0),
        weights_cm,
        lambda s: s * s,
        **search,
    )
    # 6. CM PE size.
    pe_cm = _size_search(
        tile_cm / 2.0,
        2.0 * sub_rows,
        lambda s: jnp.where(conventional[None], ceil(rows[None] / s) * ceil(cols[None] / s), 0.0),
        weights_cm,
        lambda s: s * s,
        **search,
    )

    # 7. PE duplication (CM layers; the max(1, ·) makes the "applies if" conditions implicit).
    pes_per_side = tile_cm / pe_cm
    pe_dup_rows = jnp.where(novel, 1.0, jnp.maximum(1.0, floor(pes_per_side / ceil(rows / pe_cm))))
    pe_dup_cols = jnp.where(novel, 1.0, jnp.maximum(1.0, floor(pes_per_side / ceil(cols / pe_cm))))
    # 8. Sub-array duplication: CM in a CM PE of R rows; NM in an NM PE of C_in rows.
    pe_size = jnp.where(novel, pe_nm, pe_cm)
    rows_per_pe = jnp.where(novel, c_in, rows)
    sub_dup_rows = jnp.maximum(1.0, floor((pe_size / sub_rows) / ceil(rows_per_pe / sub_rows)))
    sub_dup_cols = jnp.maximum(1.0, floor((pe_size / sub_cols) / ceil(cols / sub_cols)))

    # 9. Per layer.
    tiles_cm = ceil(rows / tile_cm) * ceil(cols / tile_cm)
    tiles_nm = ceil(c_in / pe_nm) * ceil(cols / pe_nm)
    tiles = jnp.where(novel, tiles_nm, tiles_cm)
    speedup = pe_dup_rows * sub_dup_rows * pe_dup_cols * sub_dup_cols
    copies = speedup
    if config.pipeline:  # 11. the pipeline's extra copies (OverallEachLayer)
        wanted = jnp.asarray(pipeline_speedups(layers, config.speed_up_degree), dtype)
        extra = ceil(wanted / speedup)
        tiles = tiles * extra
        copies = jnp.maximum(wanted, speedup)
    else:
        extra = jnp.ones_like(speedup)
    capacity = tiles * jnp.where(novel, num_pe_nm * pe_nm * pe_nm, tile_cm * tile_cm)
    utilization = weights * copies / capacity
    total_tiles = jnp.sum(tiles)
    chip_utilization = jnp.sum(utilization * tiles) / total_tiles

    # 10. Chip grid and global bus width.
    tile_rows = ceil(jnp.sqrt(total_tiles))
    tile_cols = ceil(total_tiles / tile_rows)
    side = jnp.where(novel, pe_nm * math.sqrt(num_pe_nm), tile_cm)
    bus_total = jnp.sum((side + side / cols_per_adc) * (tiles if config.pipeline else 1.0))
    halvings = jnp.maximum(0.0, relax.log2ceil(bus_total / max_bus, mode, temperature=config.temperature))
    global_bus_width = bus_total / relax.pow2(halvings)

    return Floorplan(
        novel=novel,
        weight_rows=rows,
        weight_cols=cols,
        tiles=tiles,
        pe_dup_rows=pe_dup_rows,
        pe_dup_cols=pe_dup_cols,
        subarray_dup_rows=sub_dup_rows,
        subarray_dup_cols=sub_dup_cols,
        speedup=speedup * extra,
        utilization=utilization,
        chip_utilization=chip_utilization,
        total_tiles=total_tiles,
        tile_size_cm=tile_cm,
        pe_size_cm=pe_cm,
        pe_size_nm=pe_nm,
        num_pe_nm=jnp.asarray(num_pe_nm, dtype),
        tile_rows=tile_rows,
        tile_cols=tile_cols,
        global_bus_width=global_bus_width,
        num_col_per_synapse=num_col_per_synapse,
        pipeline_copies=extra,
    )

