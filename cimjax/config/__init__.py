"""Typed, validated experiment configuration (see :mod:`cimjax.config.schema`)."""

from cimjax.config._validate import ConfigError as ConfigError
from cimjax.config.io import (
    apply_overrides as apply_overrides,
    atomic_write_bytes as atomic_write_bytes,
    atomic_write_text as atomic_write_text,
    from_dict as from_dict,
    load_config as load_config,
    replace as replace,
    save_config as save_config,
    to_dict as to_dict,
)
from cimjax.config.schema import (
    ArraySection as ArraySection,
    Config as Config,
    DataConfig as DataConfig,
    DeviceConfig as DeviceConfig,
    HardwareConfig as HardwareConfig,
    ModelConfig as ModelConfig,
    QuantConfig as QuantConfig,
    RunConfig as RunConfig,
    TrainConfig as TrainConfig,
)
