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
from cimjax.devices.protocol import (
    Cells as Cells,
    ConstantStep as ConstantStep,
    PulsedDevice as PulsedDevice,
    SoftBounds as SoftBounds,
    StepModel as StepModel,
    apply_pulses as apply_pulses,
    expected_step as expected_step,
    pulse as pulse,
    read as read,
    sample_cells as sample_cells,
)
from cimjax.devices.steps import (
    MODELS as MODELS,
    ExpShape as ExpShape,
    ExpStep as ExpStep,
    LinearShape as LinearShape,
    LinearStep as LinearStep,
    NeuroSimShape as NeuroSimShape,
    NeuroSimStep as NeuroSimStep,
    PiecewiseShape as PiecewiseShape,
    PiecewiseStep as PiecewiseStep,
    PowShape as PowShape,
    PowStep as PowStep,
    symmetry_point as symmetry_point,
    with_symmetry_reference as with_symmetry_reference,
)
from cimjax.devices.aihwkit_presets import (
    PULSED_PRESET_NAMES as PULSED_PRESET_NAMES,
    PULSED_PRESETS as PULSED_PRESETS,
    PulsedPreset as PulsedPreset,
    neurosim_pulsed_device as neurosim_pulsed_device,
    pulsed_preset as pulsed_preset,
)
