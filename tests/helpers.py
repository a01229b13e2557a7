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


_COMPILES = [0]
_LISTENING = [False]


def _on_event(name: str, *_args, **_kw) -> None:
    if name == "/jax/core/compile/backend_compile_duration":
        _COMPILES[0] += 1


@contextlib.contextmanager
def counting_compiles():
    """Count the XLA compilations inside the block: ``with counting_compiles() as n: ...; n()``.

    "Fails fast" in a test means "fails before any training step or compile", which a count can
    check on a busy machine where a wall-clock bound cannot.
    """
    if not _LISTENING[0]:
        jax.monitoring.register_event_duration_secs_listener(_on_event)
        _LISTENING[0] = True
    start = _COMPILES[0]
    yield lambda: _COMPILES[0] - start
