"""Synaptic-device physics: pure ``jax.numpy``, never imports Flax."""

from cimjax.devices.presets import DEVICE_NAMES as DEVICE_NAMES, PRESETS as PRESETS, DevicePreset as DevicePreset
