"""Small helpers shared by the tests."""

import contextlib

import jax


@contextlib.contextmanager
def x64():
    """Float64 inside the block (gradient checks); restores the previous setting."""
    old = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    try:
        yield
    finally:
        jax.config.update("jax_enable_x64", old)
