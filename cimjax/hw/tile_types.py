"""Types of the sub-array → PE → tile roll-up (:mod:`cimjax.hw.tile_geometry`, :mod:`cimjax.hw.tile`).

:class:`SubArrayFigures` and :class:`RollupSizes` are the roll-up's inputs (from
:mod:`cimjax.hw.chip_figures` and :mod:`cimjax.hw.chip_rollup`); :class:`TileGeometry` (with its
:class:`TileBufferPlan`) and :class:`TileFigures` its results.
"""

from __future__ import annotations

from typing import NamedTuple

import jax

Array = jax.Array


class SubArrayFigures(NamedTuple):
    """What the roll-up needs from the sub-array model.

    Area fields are scalars (one sub-array, m²; ``height``/``width`` in m); read fields are
    per layer ``(L,)`` for ONE read (one input bit-vector); the ``adc``/``accumulation``/
    ``other`` read fields are the forward plus the transposed (AG) read, as NeuroSim's
    breakdown counters; ``write_*`` is one weight update of one sub-array.
    """

    area: Array
    height: Array
    width: Array
    area_adc: Array
    area_accumulation: Array
    area_array: Array
    area_other: Array
    leakage: Array
    fw_latency: Array
    fw_energy: Array
    ag_latency: Array
    ag_energy: Array
    adc_latency: Array
    adc_energy: Array
    accumulation_latency: Array
    accumulation_energy: Array
    other_latency: Array
    other_energy: Array
    write_latency: Array
    write_energy: Array


class TileGeometry(NamedTuple):
    """Static-structure figures of the CM and NM tiles (scalars): areas by bucket, sizes, leakage,
    and the tile buffers' plan (:class:`TileBufferPlan`)."""

    area: Array
    ic: Array
    adc: Array
    accumulation: Array
    other: Array
    array: Array
    height: Array
    width: Array
    pe_height: Array
    pe_width: Array
    leakage_pe: Array
    leakage_periphery: Array
    buffers: "TileBufferPlan"
    leakage_pe_tree: Array  # the PE adder tree's share of leakage_pe (full sub-array grid)
    leakage_acc: Array  # the tile accumulator's share of leakage_periphery
    htree_latency: Array  # one transfer through the tile H-tree, s
    htree_energy: Array  # one transfer through the tile H-tree, J


class TileBufferPlan(NamedTuple):
    """How NeuroSim sizes a tile's input and output register-file buffers (scalars).

    ``*_core_bits``/``*_width``: bits of one core and its interface; ``*_partial``: the tile
    needs less than one full core (then ``core_bits`` is what it needs); ``*_cores``: the core
    counts, the CM tile's for both tile kinds as released (:mod:`cimjax.hw.tile` docstring).
    """

    in_core_bits: Array
    in_width: Array
    in_partial: Array
    in_cores: Array
    out_core_bits: Array
    out_width: Array
    out_partial: Array
    out_cores: Array


class RollupSizes(NamedTuple):
    """Traced sizes shared by the roll-up (scalars)."""

    sub_rows: Array
    sub_cols: Array
    columns_per_adc: Array
    adc_bits: Array  # log2(levelOutput)
    num_bit_input: Array
    tile_buffer_bits: Array  # tile buffer core bits (32·32)
    tile_buffer_width: Array  # tile buffer core interface (32)
    local_delay_tolerance: Array
    # numColPerSynapse (cells per weight); V2.1 widens the accumulators by it
    # (NeuroSimVersion.adder_width_col_per_synapse, tile_geometry.partial_sum_bits).
    num_col_per_synapse: Array = 1.0


class TileFigures(NamedTuple):
    """Per-image figures of one tile call of each layer, ``(L,)`` each (s, J)."""

    fw_latency: Array
    fw_energy: Array
    ag_latency: Array
    ag_energy: Array
    peak_fw_latency: Array
    peak_fw_energy: Array
    peak_ag_latency: Array
    peak_ag_energy: Array
    wu_latency: Array
    wu_energy: Array
    peak_wu_latency: Array
    peak_wu_energy: Array
    buffer_latency: Array
    buffer_energy: Array
    ic_latency: Array
    ic_energy: Array
    adc_latency: Array
    adc_energy: Array
    accumulation_latency: Array
    accumulation_energy: Array
    other_latency: Array
    other_energy: Array
    leakage: Array
