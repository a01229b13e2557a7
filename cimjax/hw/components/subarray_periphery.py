"""The periphery chain of one sub-array read direction: MLSA, encoder, shift-adder, mux and decoder.

Source: docs/model.md §5.4 (NeuroSim V2.0 ``SubArray.cpp``, ``Initialize``/``CalculateArea`` of the
forward and transposed peripheries), built from :mod:`~cimjax.hw.components.mlsa`,
:mod:`~cimjax.hw.components.logic` (shift-adder) and :mod:`~cimjax.hw.components.routing` (mux,
mux decoder); shared by the eNVM (:mod:`~cimjax.hw.components.subarray_envm`) and SRAM
(:mod:`~cimjax.hw.components.subarray_sram`) sub-arrays. :func:`side` and :func:`both_sides` are
jitted: each is traced once per static signature and reused by the area, read and write calls,
which keeps tracing, compiling and differentiating a whole sub-array fast (the values are
those of the plain functions).

The encoders of the forward side are tiled along the array width, the transposed (AG) side's
along its height; with ``version.shift_adder_bounding_box`` (March 2020) the shift-adders are
charged their layout along the same edge (:func:`~cimjax.hw.components.shift_adder.shift_adder_layout_area`).
NeuroSim builds no shift-adder for one read pulse. With more than one line per ADC the mux is
at least as tall (wide, AG) as its decoder, whose footprint is ``num_outputs`` cell heights by
``area/that``.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp

from cimjax.hw import tech
from cimjax.hw.components import encoder, gates, routing, sar_adc, shift_adder
from cimjax.hw.components import mlsa as ml
from cimjax.hw.components.params import as_float
from cimjax.hw.cost import Cost, Footprint

Array = jax.Array


class Side(NamedTuple):
    """The costs of one read direction's periphery and its encoder and decoder extents."""

    mlsa: Cost
    enc: Cost
    sa: Cost
    mux: Cost
    dec: Cost
    enc_fp: Footprint
    dec_extent: Array  # decoder height (FW) or width (AG) after the num_outputs-cells rule


class SideInputs(NamedTuple):
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


@functools.partial(jax.jit, static_argnames=("static_mux",))
def side(p, config, g, x: SideInputs, static_mux: int) -> Side:
    """The MLSA/encoder/shift-adder/mux chain of one read direction (``g``: the sub-array's
    geometry, with ``t``, ``len_row`` and ``len_col``; ``static_mux``: lines per ADC)."""
    levels, per_adc, lines = x.levels, x.lines_per_adc, x.lines
    fw = x.is_fw > 0.5
    n_adc = lines / per_adc
    edge = jnp.where(fw, g.len_row, g.len_col)
    m = ml.MlsaParams(p.circuit, levels, n_adc, per_adc, p.rows, p.r_on, p.r_off, p.read_voltage, x.n_columns)
    if config.adc == "sar":  # V2.1 SARADC: a SAR ADC per numColMuxed lines, no encoder (sar_adc)
        mlsa = sar_adc.sar_adc(m, config, x.resistance, x.occupancy)
    else:
        mlsa = ml.mlsa(m, config.sub(ml.MlsaConfig, max_levels=config.mlsa_max_levels), x.resistance, x.occupancy)
    enc_p = encoder.EncoderParams(p.circuit, levels, n_adc, per_adc, edge)
    parts = encoder.encoder_gates(g.t, levels, config.mode)
    fp_w = encoder.encoder_footprint_from_gates(enc_p, config.sub(encoder.EncoderConfig, along="width"), parts)
    fp_h = encoder.encoder_footprint_from_gates(enc_p, config.sub(encoder.EncoderConfig, along="height"), parts)
    enc_fp = Footprint(jnp.where(fw, fp_w.height, fp_h.height), jnp.where(fw, fp_w.width, fp_h.width))
    enc = encoder.encoder_cost_from_parts(enc_p, config.sub(encoder.EncoderConfig), g.t, parts, enc_fp)
    if config.adc == "sar":
        enc = Cost(*(jnp.zeros_like(edge) for _ in range(4)))
        enc_fp = Footprint(jnp.zeros_like(edge), jnp.zeros_like(edge))
    sa_p = shift_adder.ShiftAdderParams(p.circuit, jnp.log2(levels) + x.bits_extra, n_adc, per_adc, p.read_pulse_width,
                                  1.0, x.n_reads)
    sa = shift_adder.shift_adder(sa_p, config)
    if config.version.shift_adder_bounding_box:
        # bf95f9c ShiftAdd::CalculateArea: the forward units laid out across the array width
        # (CalculateArea(NULL, widthArray)), the AG units down its height (heightArray, NULL).
        lay_w = shift_adder.shift_adder_layout_area(sa_p, g.len_row, "width", config)
        lay_h = shift_adder.shift_adder_layout_area(sa_p, g.len_col, "height", config)
        sa = sa._replace(area=jnp.where(fw, lay_w, lay_h))
    on = jnp.where(x.n_reads > 1, 1.0, 0.0)  # NeuroSim builds no shift-adder for one read pulse
    sa = sa._replace(latency=sa.latency * on, energy=sa.energy * on)
    zero = Cost(*(jnp.zeros_like(edge) for _ in range(4)))
    if static_mux <= 1:
        return Side(mlsa, enc, sa, zero, zero, enc_fp, jnp.zeros_like(edge))
    mux = routing.mux(routing.MuxParams(p.circuit, per_adc, n_adc, x.mux_res, 0.0, p.read_voltage), config)
    r_lin = tech.on_resistance(g.t, g.t.node, "n", config.mode) * routing.LINEAR_REGION_RATIO
    w_tg = jnp.maximum(g.t.node * r_lin / x.mux_res, gates.MIN_WIDTH_F * g.t.node)
    c_gate = tech.gate_capacitance(g.t, w_tg, config.mode) * (1.0 + gates.pn_size_ratio(g.t))
    dec = routing.decoder(routing.DecoderParams(p.circuit, c_gate * n_adc),
                          config.sub(routing.DecoderConfig, num_outputs=static_mux))
    dec_long = static_mux * gates.cell_height(g.t)
    mux = Cost(mux.area, mux.energy * per_adc, mux.latency * per_adc, mux.leakage)
    dec = Cost(dec.area, dec.energy * per_adc, dec.latency * per_adc, dec.leakage)
    return Side(mlsa, enc, sa, mux, dec, enc_fp, jnp.where(fw, dec_long, dec.area / dec_long))


@jax.jit
def both_sides(p, config, g, x_fw: SideInputs, x_ag: SideInputs) -> tuple[Side, Side]:
    """Forward and transposed chains evaluated as one batch of two (equal mux sizes)."""
    x = jax.tree.map(lambda a, b: jnp.stack([as_float(a), as_float(b)]), x_fw, x_ag)
    both = jax.vmap(side, in_axes=(None, None, None, 0, None))(p, config, g, x, config.num_col_muxed)
    return jax.tree.map(lambda v: v[0], both), jax.tree.map(lambda v: v[1], both)
