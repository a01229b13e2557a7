"""Small helpers shared by the tests."""

import contextlib
import os

import jax

#: The repository root (tests live one or two folders below it).
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@contextlib.contextmanager
def x64():
    """Float64 inside the block (gradient checks); restores the previous setting."""
    old = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    try:
        yield
    finally:
        jax.config.update("jax_enable_x64", old)


def fig34():
    """``benchmarks/fig34.py`` as a module, imported once per process, so every test file shares
    its cached, host-evaluated estimates (``fig34.fig34_estimate``)."""
    import importlib.util
    import os
    import sys

    name = "cimjax_benchmarks_fig34"
    if name not in sys.modules:
        path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "benchmarks", "fig34.py")
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]
