"""The persistent XLA compilation cache of the command line.

The hardware estimator's compiled graph takes 10–30 s to build on a CPU; the cache makes
every later run of the same network and configuration load it from disk instead (about
1 s). JAX keys each entry on the computation, its shapes, the backend and the jax/jaxlib
versions, so a stale entry is never used for a different program.

Location: ``$CIMJAX_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/cimjax/xla`` (default
``~/.cache/cimjax/xla``). ``CIMJAX_CACHE_DIR=off`` (or ``0``, ``none``, empty) disables it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import jax

OFF = ("", "0", "off", "none", "false", "no")


def cache_dir(environ: Optional[dict] = None) -> Optional[Path]:
    """The cache folder the environment asks for, or None when it is disabled."""
    env = os.environ if environ is None else environ
    if "CIMJAX_CACHE_DIR" in env:
        value = env["CIMJAX_CACHE_DIR"].strip()
        return None if value.lower() in OFF else Path(value).expanduser()
    base = env.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "cimjax" / "xla"


def enable(path: Optional[os.PathLike] = None, min_compile_seconds: float = 1.0) -> Optional[Path]:
    """Turn on JAX's persistent compilation cache at ``path`` (default :func:`cache_dir`).

    Programs that take at least ``min_compile_seconds`` to compile are stored. A folder that
    cannot be created leaves the cache off (a warning-free fallback: the run only gets
    slower). Returns the folder used, or None.
    """
    folder = cache_dir() if path is None else Path(path)
    if folder is None:
        return None
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    jax.config.update("jax_compilation_cache_dir", str(folder))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", float(min_compile_seconds))
    return folder
