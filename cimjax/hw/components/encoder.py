"""The MLSA's thermometer encoder: one per ADC, ``L − 1`` sense outputs to ``log2 L`` bits (docs/model.md §5.6).

Source: docs/model.md §5.6 "MLSA encoder" (NeuroSim V2.0 ``MultilevelSAEncoder.cpp``), on the standard
cells of :mod:`cimjax.hw.components.gates`. Valid for nodes in [7, 130] nm, 2–256 levels.

**Encoder** (per ADC): ``L − 1`` rows of INV → NAND2 → wide NAND (``L/2`` inputs) → INV;
NeuroSim's sizes (INV 2F/2F·pn, NAND 4F/2F·pn, also for the wide NAND). Per encoder
``log2 L`` output gates; energy ``[(C_inv,in + C_inv,out + C_nand,in + C_nand,out)·(L + log2 L)
+ (C_wide,in + C_wide,out)·log2 L]·V_dd²`` per read; leakage likewise. Latency: Horowitz
stages INV→NAND2 (``2·R_n(INV)``, ``C_inv,out + 2·C_nand,in``) and NAND2→wide NAND
(``R_p(NAND)``, ``C_nand,out + (L/2)·C_wide,in``); NeuroSim V2.0 computes the last two stages
(wide NAND→INV, INV) into an unused variable, so they count only with
``version.encoder_two_stage_latency=False``. Layout: a ``(L − 1)·H_cell × (2·w_INV + w_NAND2 +
w_wide)`` block per encoder, tiled along the array edge it abuts (``along``).

**March 2020 code** (NeuroSim V2.0 commit bf95f9c, ``MultilevelSAEncoder.cpp``):

* **Encoder layout** (``encoder_floor_tiling``): ``max(⌊edge/w_enc⌋, 1)`` encoders per line (capped at ``n``), the line
  exactly ``edge`` long (the current code: ``⌈edge/w_enc⌉`` and ``max(edge, w_enc)``).
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple, Union

import jax
import jax.numpy as jnp

from cimjax.hw import tech
from cimjax.hw.components import gates
from cimjax.hw.components.params import CircuitParams, ComponentConfig, as_float, circuit_technology
from cimjax.hw.cost import Cost, Footprint

Array = jax.Array
ArrayLike = Union[jax.Array, float, int]


class EncoderParams(NamedTuple):
    """MLSA encoders (traced): ``levels`` ``L``, ``num_encoders`` (one per ADC), ``num_reads``
    per action (``numColMuxed`` = 8), ``edge_length`` (m) of the array edge the encoders are tiled
    along (array width for the forward periphery, height for the transposed one; 0 = one row)."""

    circuit: CircuitParams = CircuitParams()
    levels: ArrayLike = 64.0
    num_encoders: ArrayLike = 16.0
    num_reads: ArrayLike = 8.0
    edge_length: ArrayLike = 0.0


@jax.tree_util.register_static
@dataclasses.dataclass(frozen=True, kw_only=True)
class EncoderConfig(ComponentConfig):
    """Static options of :func:`encoder`: ``along`` ``"width"`` (encoders in rows under the
    array, forward) or ``"height"`` (in columns beside it, transposed). ``version`` flags read:
    ``encoder_two_stage_latency`` (quirk) and ``encoder_floor_tiling`` (March 2020; module
    docstring)."""

    along: str = "width"

    def __post_init__(self):
        super().__post_init__()
        self._check_choice("along", ("width", "height"))


def encoder_gates(t: tech.Technology, levels: Array, mode: str):
    f = t.node
    pn = gates.pn_size_ratio(t)
    inv = gates.gate(t, "inv", mode=mode)
    nand = gates.gate(t, "nand", 2, mode=mode, widths=(4.0 * f, 2.0 * pn * f))
    k = levels / 2.0  # inputs of the wide NAND
    n_f = gates.fingers(t, nand.w_n, nand.w_p, mode)
    pitch = nand.width / (2.0 * n_f + 1.0)
    wide_width = (k * n_f + 1.0) * pitch
    wide_c_out = gates.drain_capacitance(t, nand.w_n, n_f, mode) + gates.drain_capacitance(
        t, k * nand.w_p, k * n_f, mode
    )
    # k parallel PMOS, × the 3+-input factor (as gates.gate; NeuroSim's CalculateGateLeakage).
    wide_leak = gates.NAND_LEAKAGE_FACTOR[3] * k * tech.leakage_current(t, nand.w_p, mode, "p") * t.vdd
    return inv, nand, k, wide_width, wide_c_out, wide_leak


def encoder_footprint(params: EncoderParams, config: EncoderConfig = EncoderConfig()) -> Footprint:
    """Layout of the encoders tiled along ``edge_length`` (NeuroSim V2.0 MultilevelSAEncoder.cpp
    rule): per row ``min(⌈edge/w_enc⌉, n)`` encoders, ``⌈n/that⌉`` rows, width ``max(edge, w_enc)``
    (``along="width"``; transposed for ``"height"``). ``version.encoder_floor_tiling`` (bf95f9c):
    ``min(max(⌊edge/w_enc⌋, 1), n)`` per row, width ``edge``."""
    t = circuit_technology(params.circuit, config)
    return encoder_footprint_from_gates(params, config, encoder_gates(t, as_float(params.levels), config.mode))


def encoder_footprint_from_gates(params: EncoderParams, config: EncoderConfig, parts) -> Footprint:
    levels, n = as_float(params.levels), as_float(params.num_encoders)
    inv, nand, _, wide_width, _, _ = parts
    w_enc = 2.0 * inv.width + nand.width + wide_width
    h_enc = (levels - 1.0) * jnp.maximum(inv.height, nand.height)
    edge = as_float(params.edge_length)
    unit_along, unit_across = (w_enc, h_enc) if config.along == "width" else (h_enc, w_enc)
    safe_edge = jnp.where(edge > 0, edge, unit_along)
    if config.version.encoder_floor_tiling:  # bf95f9c: max(⌊edge/w⌋, 1) per line, line = edge
        per_line = jnp.minimum(jnp.maximum(config.floor(safe_edge / unit_along), 1.0), n)
        along_size = jnp.where(edge > 0, edge, n * unit_along)
    else:
        per_line = jnp.minimum(config.ceil(safe_edge / unit_along), n)
        along_size = jnp.where(edge > 0, jnp.maximum(edge, unit_along), n * unit_along)
    per_line = jnp.where(edge > 0, per_line, n)
    lines = config.ceil(n / per_line)
    across_size = unit_across * lines
    if config.along == "width":
        return Footprint(height=across_size, width=along_size)
    return Footprint(height=along_size, width=across_size)


def encoder(params: EncoderParams, config: EncoderConfig = EncoderConfig()) -> Cost:
    """MLSA encoders, ``num_reads`` encodings each (module docstring; NeuroSim V2.0
    MultilevelSAEncoder.cpp). Area = the :func:`encoder_footprint` rectangle.

    Args:
      params: :class:`EncoderParams` (scalars).
      config: :class:`EncoderConfig` (static).

    Returns:
      The :class:`~cimjax.hw.cost.Cost` of ``num_reads`` encodings on all encoders.
    """
    t = circuit_technology(params.circuit, config)
    parts = encoder_gates(t, as_float(params.levels), config.mode)
    return encoder_cost_from_parts(params, config, t, parts, encoder_footprint_from_gates(params, config, parts))


def encoder_cost_from_parts(params: EncoderParams, config: EncoderConfig, t: tech.Technology, parts,
                            footprint: Footprint) -> Cost:
    """:func:`encoder` from precomputed gates (:func:`encoder_gates`) and a given footprint (used by
    the sub-array to share one gate model between the forward and transposed encoders)."""
    levels, n, reads = as_float(params.levels), as_float(params.num_encoders), as_float(params.num_reads)
    inv, nand, k, _, wide_c_out, wide_leak = parts
    gates_out = jnp.log2(levels)
    r_inv_n = tech.on_resistance(t, inv.w_n, "n", config.mode)
    r_nand_p = tech.on_resistance(t, nand.w_p, "p", config.mode)
    stages = [(2.0 * r_inv_n, inv.c_out + 2.0 * nand.c_in), (r_nand_p, nand.c_out + k * nand.c_in)]
    if not config.version.encoder_two_stage_latency:
        r_nand_n = tech.on_resistance(t, nand.w_n, "n", config.mode)
        r_inv_p = tech.on_resistance(t, inv.w_p, "p", config.mode)
        stages += [(2.0 * r_nand_n, wide_c_out + inv.c_in), (r_inv_p, inv.c_out)]
    latency, _ = gates.horowitz_chain(stages)
    small = (inv.c_in + inv.c_out + nand.c_in + nand.c_out) * (levels + gates_out)
    energy = (small + (nand.c_in + wide_c_out) * gates_out) * t.vdd**2 * n * reads
    leakage = ((inv.leakage + nand.leakage) * (levels + gates_out) + wide_leak * gates_out) * n
    return Cost(footprint.height * footprint.width, energy, latency * reads, leakage)
