"""cimjax: a differentiable JAX simulator of compute-in-memory accelerators for on-chip training."""

__version__ = "0.1.0"

from cimjax.config import Config as Config, load_config as load_config
