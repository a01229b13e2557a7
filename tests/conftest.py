"""Shared test setup: CPU only, no network for tensorflow-datasets."""

import atexit
import os
import shutil
import sys
import tempfile

# The tests mirror the package (tests/hw/, tests/dse/, ...); their shared modules (helpers,
# estimate_golden, analog_reference) live here, importable from every folder.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

os.environ.setdefault("JAX_PLATFORMS", "cpu")
# One persistent XLA cache for the whole session (this process and the CLI subprocesses the
# tests start): a program compiled twice under different jit wrappers, e.g. the estimator for
# the same network in several test files, is compiled once. Never the user's own cache.
if "CIMJAX_CACHE_DIR" not in os.environ:
    _cache = tempfile.mkdtemp(prefix="cimjax-test-xla-")
    atexit.register(shutil.rmtree, _cache, ignore_errors=True)
    os.environ["CIMJAX_CACHE_DIR"] = _cache
# tensorflow-datasets must never try to download in tests: offline it retries for minutes.
os.environ.setdefault("TFDS_DATA_DIR", "/nonexistent/cimjax-tests-tfds")
os.environ.setdefault("NO_GCE_CHECK", "true")

import jax  # noqa: E402
import pytest  # noqa: E402

from cimjax import compile_cache  # noqa: E402

compile_cache.enable()


@pytest.fixture
def key():
    return jax.random.key(0)
