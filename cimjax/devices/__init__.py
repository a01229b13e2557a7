"""Synaptic-device physics: pure ``jax.numpy``, never imports Flax."""

from cimjax.devices.presets import DEVICE_NAMES as DEVICE_NAMES, PRESETS as PRESETS, DevicePreset as DevicePreset
from cimjax.devices.nl_label import (
    LABEL_TO_DEVIATION as LABEL_TO_DEVIATION,
    max_deviation as max_deviation,
    nl_grid_table as nl_grid_table,
    nl_to_a_norm as nl_to_a_norm,
)
from cimjax.devices.nonlinear import (
    EXP_ARG_MAX as EXP_ARG_MAX,
    LOG_ARG_FLOOR as LOG_ARG_FLOOR,
    c2c_noise as c2c_noise,
    curve_b as curve_b,
    device_step_cell as device_step_cell,
    pulses_from_weight as pulses_from_weight,
    sample_d2d_a as sample_d2d_a,
    weight_from_pulses as weight_from_pulses,
)
