"""Shared test setup: CPU only, no network for tensorflow-datasets."""

import os

os.environ.setdefault("JAX_PLATFORMS", "cpu")
# tensorflow-datasets must never try to download in tests: offline it retries for minutes.
os.environ.setdefault("TFDS_DATA_DIR", "/nonexistent/cimjax-tests-tfds")
os.environ.setdefault("NO_GCE_CHECK", "true")

import jax  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture
def key():
    return jax.random.key(0)
