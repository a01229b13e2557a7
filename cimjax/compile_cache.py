"""The persistent caches of the command line: XLA's compiled code and traced programs.

Training steps and jitted estimates take seconds to compile on a 2-core CPU; XLA's
persistent cache makes every later run of the same program load it from disk instead. JAX keys each entry on the computation, its shapes, the backend and the jax/jaxlib
versions, so a stale entry is never used for a different program.

Tracing is not cached by XLA: the chip estimate's ~30k-operation graph takes seconds to
trace. One-shot estimates do not compile at all (:mod:`cimjax.host_eval` runs the traced
program with NumPy), and :func:`cached_program` keeps that traced program in
``<cache>/programs/``, keyed on the function's static inputs, the argument shapes, the JAX
version and a digest of cimjax's own sources, so a later run of the same estimate skips
tracing too.

Location: ``$CIMJAX_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/cimjax/xla`` (default
``~/.cache/cimjax/xla``). ``CIMJAX_CACHE_DIR=off`` (or ``0``, ``none``, empty) disables it.
Nothing is written anywhere until :func:`enable` is called (the command line does).
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
import tempfile
from pathlib import Path
from typing import Any, Callable, Optional

import jax
import jax.numpy as jnp
import jaxlib

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
    global _active
    _active = folder
    return folder


_active: Optional[Path] = None  # the folder enable() turned on


def active_dir() -> Optional[Path]:
    """The folder :func:`enable` turned on in this process, or None."""
    return _active


@functools.lru_cache(maxsize=1)
def source_digest() -> str:
    """SHA-256 of every ``.py`` file of the installed cimjax package (path and contents)."""
    root = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        h.update(str(path.relative_to(root)).encode())
        h.update(b"\0")
        h.update(path.read_bytes())
    return h.hexdigest()


_loaded: dict = {}  # key digest -> program, this process


def cached_program(name: str, static_key: str, args: Any, build: Callable[[], Any]) -> Any:
    """The traced program ``build()`` makes for ``args``, from memory, from disk, or built.

    Used for :mod:`cimjax.host_eval` programs (plain, picklable data). Programs are kept in
    this process always, and on disk in ``<cache>/programs/<name>-<sources>-<digest>.pkl``
    when a cache is enabled (:func:`enable`), so a later run skips tracing. The key is
    ``name``, ``static_key`` (everything the traced function closes over, as a string), the
    arguments' tree structure, shapes and dtypes, the JAX/jaxlib versions, x64, and a digest of
    cimjax's own sources; the sources' digest leads the file name and writing a program
    removes ``name``'s programs of other sources (no call can load them again). Writes are
    atomic; a file that cannot be read (truncated, another version) is rebuilt, and one that
    cannot be written is skipped (the run only gets slower). A program whose
    ``serialisable`` attribute is False is kept in memory only.

    The file is a pickle: keep the cache folder as private as the rest of your home.
    """
    leaves, in_tree = jax.tree_util.tree_flatten(args)
    h = hashlib.sha256()
    for part in (name, static_key, str(in_tree), [(tuple(jnp.shape(x)), str(jnp.result_type(x))) for x in leaves],
                 jax.__version__, jaxlib.__version__, bool(jax.config.jax_enable_x64), source_digest()):
        h.update(repr(part).encode())
        h.update(b"\0")
    digest = h.hexdigest()[:40]
    prog = _loaded.get(digest)
    if prog is not None:
        return prog
    path = None if _active is None else _active / "programs" / f"{name}-{source_digest()[:12]}-{digest}.pkl"
    if path is not None:
        prog = _load(path)
    if prog is None:
        prog = build()
        if path is not None and getattr(prog, "serialisable", True):
            _store(path, prog)
            _prune(path.parent, name, source_digest()[:12])
    _loaded[digest] = prog
    return prog


def _prune(folder: Path, name: str, sources: str) -> None:
    """Remove ``name``'s kept programs of other cimjax sources (never loadable again)."""
    try:
        for old in folder.glob(f"{name}-*.pkl"):
            if not old.name.startswith(f"{name}-{sources}-"):
                old.unlink(missing_ok=True)
    except OSError:  # another process pruning, or a read-only folder: keep them
        pass


def _load(path: Path):
    try:
        with open(path, "rb") as f:
            return pickle.load(f)
    except Exception:  # missing, truncated or from another version: rebuild
        return None


def _store(path: Path, prog) -> None:
    tmp = None
    try:
        blob = pickle.dumps(prog, protocol=pickle.HIGHEST_PROTOCOL)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            f.write(blob)
        os.replace(tmp, path)
    except Exception:  # an unwritable folder or an unpicklable value: run without keeping it
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
