"""The command line's persistent compilation cache (cimjax.compile_cache)."""

import collections
import os
import subprocess
import sys
from pathlib import Path

from cimjax import compile_cache

ROOT = Path(__file__).resolve().parents[1]


def test_cache_dir_from_environment(tmp_path):
    assert compile_cache.cache_dir({"CIMJAX_CACHE_DIR": str(tmp_path)}) == tmp_path
    for off in ("off", "0", "", "None"):
        assert compile_cache.cache_dir({"CIMJAX_CACHE_DIR": off}) is None
    assert compile_cache.cache_dir({"XDG_CACHE_HOME": "/x/y"}) == Path("/x/y/cimjax/xla")
    assert compile_cache.cache_dir({}).parts[-3:] == (".cache", "cimjax", "xla")


def test_enable_stores_compiled_programs(tmp_path):
    """In a fresh process (JAX reads the folder once, at its first compile)."""
    folder = tmp_path / "c"
    code = (
        "import jax, jax.numpy as jnp\n"
        "from cimjax import compile_cache\n"
        f"assert compile_cache.enable({str(folder)!r}, min_compile_seconds=0.0) is not None\n"
        "jax.block_until_ready(jax.jit(lambda v: jnp.sin(v) * 3.0 + v.sum())(jnp.arange(7.0)))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "CIMJAX_CACHE_DIR"}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=ROOT, timeout=120)
    assert folder.is_dir() and any(folder.iterdir()), "nothing was written to the cache"


def test_unwritable_folder_leaves_it_off(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert compile_cache.enable(blocker / "sub") is None


Out = collections.namedtuple("Out", "total scaled")  # module level: its tree pickles


def test_cached_program_keeps_the_traced_program(tmp_path, monkeypatch):
    """Without a cache the program lives in memory only; with one, the first call traces and
    writes it, a later one (memory cleared, as in a new process) loads it without tracing, and
    another static key or shape traces again; stale and damaged files are handled."""
    import jax.numpy as jnp
    import numpy as np

    from cimjax import host_eval

    traced = []

    def fn(x, scale):
        traced.append(1)
        return Out(jnp.sum(x["a"]) * scale, x["b"] * scale)

    def get(key, args):
        # A new function each time: JAX's own trace cache would otherwise hide a re-trace.
        prog = compile_cache.cached_program("t", key, args, lambda: host_eval.trace(lambda *a: fn(*a), *args))
        return host_eval.run(prog, *args)

    args = ({"a": jnp.arange(4.0), "b": jnp.ones(3)}, 2.0)
    monkeypatch.setattr(compile_cache, "_active", None)
    monkeypatch.setattr(compile_cache, "_loaded", {})
    assert get("k", args).total == 12.0 and len(traced) == 1
    assert get("k", args).total == 12.0 and len(traced) == 1  # kept in memory
    assert not list(tmp_path.iterdir())  # nothing written without a cache

    monkeypatch.setattr(compile_cache, "_active", tmp_path)
    monkeypatch.setattr(compile_cache, "_loaded", {})
    first = get("k", args)
    assert isinstance(first, Out) and len(traced) == 2
    np.testing.assert_allclose(first.total, 12.0)
    np.testing.assert_allclose(first.scaled, [2.0, 2.0, 2.0])
    files = list((tmp_path / "programs").glob("t-*.pkl"))
    assert len(files) == 1 and not list((tmp_path / "programs").glob("*.tmp"))

    monkeypatch.setattr(compile_cache, "_loaded", {})
    again = get("k", ({"a": jnp.arange(4.0) + 1.0, "b": jnp.ones(3)}, 3.0))
    assert len(traced) == 2, "a kept program was traced again"
    np.testing.assert_allclose(again.total, 30.0)

    get("other", args)
    get("k", ({"a": jnp.arange(5.0), "b": jnp.ones(3)}, 2.0))
    assert len(traced) == 4 and len(list((tmp_path / "programs").glob("t-*.pkl"))) == 3

    stale = tmp_path / "programs" / "t-000000000000-0123.pkl"  # a program of other sources
    stale.write_bytes(b"old")
    other = tmp_path / "programs" / "u-000000000000-0123.pkl"  # another name: not ours to prune
    other.write_bytes(b"old")
    files[0].write_bytes(b"truncated")  # a damaged file is rebuilt, not an error
    monkeypatch.setattr(compile_cache, "_loaded", {})
    np.testing.assert_allclose(get("k", args).total, 12.0)
    assert len(traced) == 5
    assert not stale.exists() and other.exists()
    assert len(list((tmp_path / "programs").glob("t-*.pkl"))) == 3
