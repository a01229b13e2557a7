"""The persistent XLA compilation cache of the command line.

The hardware estimator's graph takes 6–11 s to compile on a 2-core CPU (one-shot options);
the cache makes every later run of the same network and configuration load it from disk
instead (1–2 s). JAX keys each entry on the computation, its shapes, the backend and the jax/jaxlib
versions, so a stale entry is never used for a different program.

Tracing is not cached by XLA: the chip estimate's ~30k-operation graph takes seconds to
trace before the cache can even be asked. :func:`call_exported` therefore also keeps the
traced program itself (``jax.export``, StableHLO) in ``<cache>/export/``, keyed on the
function's static inputs, the argument shapes, the JAX version and a digest of cimjax's
own sources, so a later run of the same estimate skips tracing as well as compiling.

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


def _can_serialize() -> bool:
    try:  # jax.export's serialiser needs the flatbuffers package
        import flatbuffers  # noqa: F401
    except ImportError:
        return False
    return True


_loaded: dict = {}  # digest -> (jitted exported call, output treedef), this process


def call_exported(name: str, static_key: str, fn: Callable[..., Any], args: tuple,
                  compiler_options: Optional[dict] = None) -> Optional[Any]:
    """``fn(*args)`` through a traced program kept on disk, or None where it cannot be.

    The first call traces ``fn`` with ``jax.export`` and writes the serialised program (and
    the output's tree structure) atomically to ``<cache>/export/<name>-<sources>-<digest>.bin``
    (and removes ``name``'s programs of other cimjax sources, which no call can load); later
    calls with the same ``static_key`` (everything ``fn`` closes over, as a string), the same
    argument structure, shapes and dtypes, the same JAX/jaxlib and backend and the same
    cimjax sources load it instead of tracing, and XLA's persistent cache supplies the
    compiled code. A file that cannot be read or written is rebuilt or skipped (the run only
    gets slower).

    Args:
      name: file-name prefix (letters, digits, ``_``).
      static_key: a string fixing everything about ``fn`` that is not in ``args``.
      fn: a pure function of ``args``.
      args: a pytree of arrays (Python scalars are taken as arrays of their JAX dtype).
      compiler_options: XLA options of the compile.

    Returns:
      ``fn(*args)``, or None when no cache is enabled (:func:`enable`) or ``jax.export``
      cannot serialise here; the caller then calls ``fn`` itself.
    """
    if _active is None or not _can_serialize():
        return None
    leaves, in_tree = jax.tree_util.tree_flatten(args)
    leaves = [jnp.asarray(leaf) for leaf in leaves]
    h = hashlib.sha256()
    for part in (name, static_key, str(in_tree), [(tuple(x.shape), str(x.dtype)) for x in leaves],
                 jax.__version__, jaxlib.__version__,
                 jax.default_backend(), bool(jax.config.jax_enable_x64), sorted((compiler_options or {}).items()),
                 source_digest()):
        h.update(repr(part).encode())
        h.update(b"\0")
    digest = h.hexdigest()[:40]
    hit = _loaded.get(digest)
    if hit is None:
        # The sources' digest leads the file name: programs of older sources can never be
        # loaded again and are removed when a new one is written (_prune).
        path = _active / "export" / f"{name}-{source_digest()[:12]}-{digest}.bin"
        hit = _load(path, compiler_options)
        if hit is None:
            hit = _build(path, fn, in_tree, leaves, compiler_options)
            _prune(path.parent, name, source_digest()[:12])
        _loaded[digest] = hit
    call, out_tree = hit
    return jax.tree_util.tree_unflatten(out_tree, call(*leaves))


def _prune(folder: Path, name: str, sources: str) -> None:
    """Remove ``name``'s kept programs of other cimjax sources (never loadable again)."""
    try:
        for old in folder.glob(f"{name}-*.bin"):
            if not old.name.startswith(f"{name}-{sources}-"):
                old.unlink(missing_ok=True)
    except OSError:  # another process pruning, or a read-only folder: keep them
        pass


def _load(path: Path, compiler_options):
    try:
        with open(path, "rb") as f:
            blob = pickle.load(f)
        exported = jax.export.deserialize(bytearray(blob["exported"]))
        return jax.jit(exported.call, compiler_options=compiler_options), blob["out_tree"]
    except Exception:  # missing, truncated or from another version: rebuild
        return None


def _build(path: Path, fn, in_tree, leaves, compiler_options):
    out_tree = []

    def flat(*flat_args):
        out = fn(*jax.tree_util.tree_unflatten(in_tree, flat_args))
        out_leaves, tree = jax.tree_util.tree_flatten(out)
        out_tree.append(tree)
        return out_leaves

    specs = [jax.ShapeDtypeStruct(x.shape, x.dtype) for x in leaves]
    exported = jax.export.export(jax.jit(flat))(*specs)
    tmp = None
    try:
        blob = pickle.dumps({"exported": bytes(exported.serialize()), "out_tree": out_tree[0]})
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            f.write(blob)
        os.replace(tmp, path)
    except Exception:  # an unwritable folder or an unpicklable tree: run without keeping it
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
    return jax.jit(exported.call, compiler_options=compiler_options), out_tree[0]
