"""The command line's persistent compilation cache (cimjax.compile_cache)."""

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
