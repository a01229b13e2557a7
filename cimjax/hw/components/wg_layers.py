"""The weight-gradient (WG) unit over a layer, and the gradient accumulator (docs/model.md §5.6, §5.8 step 5).

Source: docs/model.md §5.6 "Weight-gradient unit" / "Gradient accumulator", §5.7, §5.8 step 5, and
NeuroSim V2.0 ``WeightGradientUnit.cpp`` (``parallelBP = true`` branch) and ``Chip.cpp``
(``ChipInitialize``, ``ChipCalculateArea``, ``ChipCalculatePerformance``), read for the
model, not copied. Valid for nodes in [7, 130] nm and 2–256 ADC levels.

Built on one array of the farm, :func:`cimjax.hw.components.wg_unit.wg_array` (its docstring: the
unit, one read call, one write, quirks and March 2020 code).

**Per layer** (:func:`weight_gradient_layer`, Chip.cpp): with the ``windows × C_in·bits``
activation matrix, ``needRow = ⌈windows/rows⌉``, ``needCol = ⌈C_in·bits/cols⌉``, speed-ups
``max(1, ⌊numArrayInRow/needRow⌋)`` and ``max(1, ⌊numArrayInCol/needCol⌋)`` (one window, i.e. FC:
``numArrayInRow`` and ``max(1, ⌊C_in·bits/cols⌋)``), ``used = windows·C_in·bits/(numArrays·rows·
cols)``: ``T = (C_out·t_read/(sUR·sUC) + t_write)·K²``, ``E = (numArrays·(C_out·E_read + E_write)
+ C_out·E_tree)·used·K²``. Activity = the layer's input activity (row read, row write and
column write alike: a pseudo-trace).

**Gradient accumulator** (:func:`gradient_accumulator`): ``numArrayWriteParallel·cells``
ripple-carry adders of ``outPrecision + ⌈log2 batch⌉`` bits; per image
``⌈#weights/#adders⌉`` sequential additions on ``min(#weights, #adders)`` adders. Note
NeuroSim sizes it with its defect-2 ``numArrayWriteParallel`` (8, not 16, for VGG-8): pass
:func:`~cimjax.hw.components.misc.buffer_sizing`'s value.
"""

from __future__ import annotations

from typing import Optional, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from cimjax.hw.components import logic
from cimjax.hw.components.params import ComponentConfig, as_float
from cimjax.hw.components.wg_unit import (WeightGradientConfig, WeightGradientParams, WeightGradientUnit, WgArray,
                                          farm_counts, out_precision, wg_array)
from cimjax.hw.cost import Cost

Array = jax.Array


def weight_gradient_unit_area(
    params: WeightGradientParams = WeightGradientParams(), config: WeightGradientConfig = WeightGradientConfig()
) -> WeightGradientUnit:
    """Area, leakage and output precision of the WG unit (module docstring).

    Args:
      params: :class:`~.wg_unit.WeightGradientParams` (scalars).
      config: :class:`~.wg_unit.WeightGradientConfig` (static).

    Returns:
      The :class:`~.wg_unit.WeightGradientUnit` (area = arrays + adder tree; leakage likewise).
    """
    arr = wg_array(params, config, 0.5)  # area and leakage do not depend on the activity
    in_row, in_col = farm_counts(params, config)
    n = in_row * in_col
    return WeightGradientUnit(
        area=n * arr.read.area + arr.tree.area,
        leakage=n * arr.read.leakage + arr.tree.leakage,
        out_precision=out_precision(params, config),
        arrays_in_row=in_row,
        arrays_in_col=in_col,
        num_arrays=n,
    )


def weight_gradient_layer(
    params: WeightGradientParams,
    config: WeightGradientConfig,
    *,
    windows: int,
    in_channels: int,
    kernel_size: int,
    out_channels: int,
    activity: ArrayLike,
    is_fc: Optional[bool] = None,
) -> Cost:
    """Peak weight-gradient cost of one layer for one image (docs/model.md §5.8 step 5, Chip.cpp).

    Args:
      params: :class:`~.wg_unit.WeightGradientParams` (scalars).
      config: :class:`~.wg_unit.WeightGradientConfig` (static).
      windows: valid windows of the layer (``numInVector/numBitInput``; 1 for FC), ≥ 1.
      in_channels: ``C_in`` (FC: input features).
      kernel_size: ``K`` (K² kernel positions; FC: 1).
      out_channels: ``C_out`` (the read calls).
      activity: the layer's input activity in [0, 1] (traced).
      is_fc: use the FC speed-up rule; None = ``windows == 1`` (NeuroSim's test).

    Returns:
      The :class:`~cimjax.hw.cost.Cost`: energy and latency of the layer's peak WG (without
      gradient accumulation: :func:`gradient_accumulator`); area and leakage of the whole unit.
    """
    for name, v in (("windows", windows), ("in_channels", in_channels), ("kernel_size", kernel_size),
                    ("out_channels", out_channels)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ValueError(f"weight_gradient_layer: {name} = {v!r}: expected an int ≥ 1")
    fc = windows == 1 if is_fc is None else bool(is_fc)
    arr = wg_array(params, config, activity)
    return _layer_cost(params, config, arr, float(windows), float(in_channels), float(kernel_size),
                       float(out_channels), fc)


def weight_gradient_layers(
    params: WeightGradientParams,
    config: WeightGradientConfig,
    *,
    windows: Sequence[int],
    in_channels: Sequence[int],
    kernel_size: Sequence[int],
    out_channels: Sequence[int],
    activity: ArrayLike,
) -> Cost:
    """:func:`weight_gradient_layer` of ``L`` layers at once, the last axis indexing them.

    The same values as ``L`` calls, but the WG array is traced once and vmapped over the
    layers' activities, so a network's compiled graph does not grow with its depth.

    Args:
      params: :class:`~.wg_unit.WeightGradientParams` (scalars).
      config: :class:`~.wg_unit.WeightGradientConfig` (static).
      windows, in_channels, kernel_size, out_channels: per layer (static ints ≥ 1, length ``L``).
      activity: the layers' input activities, shape ``(..., L)`` (traced).

    Returns:
      The :class:`~cimjax.hw.cost.Cost` with a trailing axis of ``L`` (area and leakage of
      the whole unit, repeated).
    """
    table = {"windows": windows, "in_channels": in_channels, "kernel_size": kernel_size,
             "out_channels": out_channels}
    n = len(windows)
    for name, vs in table.items():
        if len(vs) != n or n == 0:
            raise ValueError(f"weight_gradient_layers: {name} has {len(vs)} entries; expected {n} ≥ 1")
        for v in vs:
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
                raise ValueError(f"weight_gradient_layers: {name} = {v!r}: expected ints ≥ 1")
    act = as_float(activity)
    if act.shape[-1:] != (n,):
        raise ValueError(f"weight_gradient_layers: activity has shape {act.shape}; expected (..., {n})")
    lead = act.shape[:-1]
    flat = act.reshape((-1,))
    arr = jax.vmap(lambda a: wg_array(params, config, a))(flat)
    arr = jax.tree.map(lambda x: jnp.reshape(x, lead + (n,)), arr)
    f = lambda x: jnp.asarray(np.asarray(x, np.float64), act.dtype)  # noqa: E731
    return _layer_cost(params, config, arr, f(windows), f(in_channels), f(kernel_size), f(out_channels),
                       np.asarray(windows) == 1)


def _layer_cost(params, config, arr: WgArray, windows, in_channels, kernel_size, out_channels, fc) -> Cost:
    """Peak WG of a layer from the WG array's costs (``fc``: NeuroSim's FC speed-up rule)."""
    in_row, in_col = farm_counts(params, config)
    n = in_row * in_col
    rows, cols = as_float(params.array_rows), as_float(params.array_cols)
    matrix_cols = in_channels * as_float(params.num_bit_input)
    fc_row = in_row
    fc_col = jnp.maximum(config.floor(matrix_cols / cols), 1.0)
    need_row = jnp.maximum(config.ceil(windows / rows), 1.0)
    need_col = jnp.maximum(config.ceil(matrix_cols / cols), 1.0)
    conv_row = jnp.maximum(config.floor(in_row / need_row), 1.0)
    conv_col = jnp.maximum(config.floor(in_col / need_col), 1.0)
    speed_row = jnp.where(fc, fc_row, conv_row)
    speed_col = jnp.where(fc, fc_col, conv_col)
    used = windows * matrix_cols / (n * rows * cols)
    k2 = kernel_size * kernel_size
    c_out = out_channels
    latency = (c_out * arr.read.latency / (speed_row * speed_col) + arr.write.latency) * k2
    energy = (n * (c_out * arr.read.energy + arr.write.energy) + c_out * arr.tree.energy) * used * k2
    area = n * arr.read.area + arr.tree.area
    leakage = n * arr.read.leakage + arr.tree.leakage
    shape = jnp.shape(latency)
    return Cost(jnp.broadcast_to(area, shape), energy, latency, jnp.broadcast_to(leakage, shape))


def gradient_accumulator(
    params: WeightGradientParams,
    config: WeightGradientConfig,
    *,
    num_weights: ArrayLike,
    num_array_write_parallel: ArrayLike,
    array_cells: ArrayLike = 128.0 * 128.0,
) -> Cost:
    """Gradient accumulation of one layer for one image (module docstring; Chip.cpp).

    Args:
      params: :class:`~.wg_unit.WeightGradientParams` (scalars; ``batch_size`` and the out precision).
      config: :class:`~.wg_unit.WeightGradientConfig` (static).
      num_weights: the layer's ``C_in·K·K·C_out``.
      num_array_write_parallel: ``numArrayWriteParallel`` (:func:`~cimjax.hw.components.misc.
        buffer_sizing`; NeuroSim V2.0 as released: 8 for VGG-8).
      array_cells: cells of one forward sub-array, ``numRowSubArray·numColSubArray`` (16384).

    Returns:
      The :class:`~cimjax.hw.cost.Cost`: ``⌈#w/#adders⌉`` additions in sequence; area and leakage
      of all the adders.
    """
    bits = out_precision(params, config) + config.log2ceil(as_float(params.batch_size))
    adders = as_float(num_array_write_parallel) * as_float(array_cells)
    weights = as_float(num_weights)
    ops = config.ceil(weights / adders)
    active = logic.adder(logic.AdderParams(params.circuit, bits, jnp.minimum(weights, adders)), config.sub(ComponentConfig))
    total = logic.adder(logic.AdderParams(params.circuit, bits, adders), config.sub(ComponentConfig))
    return Cost(total.area, ops * active.energy, ops * active.latency, total.leakage)
