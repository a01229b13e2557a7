"""Vectorised analog compute-in-memory array math (docs/model.md §2.7, §2.8, §3.2–§3.4).

Pure ``jax.numpy`` (no Flax): everything here can be jitted, vmapped and differentiated
on its own. The layers (:mod:`cimjax.nn`) wire it into the hardware-in-the-loop modes.

* :mod:`cimjax.analog.config`: :class:`ArrayConfig`, the static description of a read.
* :mod:`cimjax.analog.adc`: NeuroSim's linear and nonlinear ADC models.
* :mod:`cimjax.analog.cells`: weight → cell digits → conductances (on/off, retention,
  variation), input → bit levels.
* :mod:`cimjax.analog.array`: the bit-serial, per-sub-array, per-cell read of a dense or
  conv layer (a ``custom_vjp``) and the ideal reference product; the read itself is in
  :mod:`cimjax.analog.core`.
* :mod:`cimjax.analog.transposed`: the transposed (backward, parallelBP) read.
"""

from cimjax.analog.adc import (
    NONLINEAR_EDGES,
    NONLINEAR_LEVELS,
    adc_read,
    linear_quantize_out,
    nonlinear_quantize_out,
    straight_through,
)
from cimjax.analog.array import (
    analog_conv,
    analog_conv_transposed,
    analog_dense,
    analog_dense_transposed,
    ideal_conv,
    ideal_dense,
)
from cimjax.analog.cells import (
    apply_retention,
    cell_conductances,
    cell_digits,
    cell_shape,
    draw_drift_sign,
    draw_variation,
    dummy_conductance,
    effective_input,
    effective_weight,
    input_levels,
    weight_levels,
)
from cimjax.analog.config import ArrayConfig

__all__ = [
    "ArrayConfig",
    "NONLINEAR_EDGES",
    "NONLINEAR_LEVELS",
    "adc_read",
    "analog_conv",
    "analog_conv_transposed",
    "analog_dense",
    "analog_dense_transposed",
    "apply_retention",
    "cell_conductances",
    "cell_digits",
    "cell_shape",
    "draw_drift_sign",
    "draw_variation",
    "dummy_conductance",
    "effective_input",
    "effective_weight",
    "ideal_conv",
    "ideal_dense",
    "input_levels",
    "linear_quantize_out",
    "nonlinear_quantize_out",
    "straight_through",
    "weight_levels",
]
