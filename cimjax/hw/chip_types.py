"""Result types of the chip estimate (:func:`cimjax.hw.chip.estimate`), per epoch.

Every leaf is an array: a scalar per figure for one chip, with the batch axes of the
``ChipParams`` in a ``vmap``; :class:`LayerEstimate` leaves carry a trailing ``(L,)`` layer
axis. Units are SI: s, J, W, m² (TOPS in 1e12 op/s, TOPS/W in 1e12 op/J).
"""

from __future__ import annotations

from typing import NamedTuple

import jax

Array = jax.Array


class LatencyEnergy(NamedTuple):
    """A latency (s) and an energy (J)."""

    latency: Array
    energy: Array


class Phase(NamedTuple):
    """One phase per epoch: average and NeuroSim's "PEAK" (core compute only) latency/energy."""

    latency: Array
    energy: Array
    peak_latency: Array
    peak_energy: Array


class Breakdown(NamedTuple):
    """NeuroSim's latency/energy breakdown per epoch (``array`` = synaptic array w/o ADC,
    FW + AG, plus activation and pooling; ``wg_unit``/``wu`` = the peak WG/WU figures)."""

    adc: LatencyEnergy
    accumulation: LatencyEnergy
    array: LatencyEnergy
    buffer: LatencyEnergy
    interconnect: LatencyEnergy
    wg_unit: LatencyEnergy
    wu: LatencyEnergy
    dram: LatencyEnergy


class AreaBreakdown(NamedTuple):
    """Chip area and NeuroSim's area buckets, m²."""

    total: Array
    adc: Array
    accumulation: Array
    array: Array
    interconnect: Array
    wg_unit: Array
    other: Array


class LayerEstimate(NamedTuple):
    """Per-layer figures (every leaf shape ``(L,)``), per epoch."""

    fw: Phase
    ag: Phase
    wg: Phase
    wu: Phase
    breakdown: Breakdown
    leakage_power: Array
    leakage_energy: Array


class ChipEstimate(NamedTuple):
    """The whole estimate, per epoch (s, J, W, m²; TOPS in 1e12 op/s, TOPS/W in 1e12 op/J)."""

    area: AreaBreakdown
    layers: LayerEstimate
    fw: Phase
    ag: Phase
    wg: Phase
    wu: Phase
    breakdown: Breakdown
    leakage_power: Array
    leakage_energy: Array
    num_ops: Array
    tops: Array
    tops_per_w: Array
    peak_tops: Array
    peak_tops_per_w: Array
    epochs_per_s: Array
