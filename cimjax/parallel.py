"""Data-parallel training over the local JAX devices (``run.data_parallel``).

One :class:`jax.sharding.Mesh` with a single ``batch`` axis over ``n`` local devices. The
training state (weights, optimiser state, device population) is replicated on every device;
each batch is split along its first axis, so each device holds ``batch_size / n`` examples.
The jitted step is unchanged: XLA's partitioner (GSPMD) places the per-device work and the
all-reduce of the gradients from the input shardings, so the step computes the same numbers as
on one device up to the order of the floating-point sums. Random draws are the same too
(``jax_threefry_partitionable``, on by default, makes a draw independent of its sharding).

Several hosts: call ``jax.distributed.initialize()`` before ``cimjax.train`` on every host;
``jax.local_devices()`` then names the host's own devices, and this module shards over them
only (docs/parallel.md says what is and is not tested).
"""

from __future__ import annotations

from typing import Any, Optional

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from cimjax.errors import InputError

AXIS = "batch"


class DataParallel:
    """Where a run's arrays live: one device (``n == 1``, no mesh) or a batch-sharded mesh."""

    def __init__(self, devices: Optional[list] = None):
        self.devices = list(devices) if devices else [jax.local_devices()[0]]
        self.n = len(self.devices)
        self.mesh = Mesh(np.array(self.devices), (AXIS,)) if self.n > 1 else None

    def replicate(self, tree: Any) -> Any:
        """``tree`` with every array replicated on the mesh (unchanged on one device)."""
        if self.mesh is None:
            return tree
        return jax.device_put(tree, NamedSharding(self.mesh, PartitionSpec()))

    def shard(self, tree: Any) -> Any:
        """``tree`` with every array split along its first (batch) axis (unchanged on one device)."""
        if self.mesh is None:
            return tree
        return jax.device_put(tree, NamedSharding(self.mesh, PartitionSpec(AXIS)))


def resolve(requested: int, batch_sizes: dict[str, int]) -> DataParallel:
    """The :class:`DataParallel` of ``run.data_parallel = requested`` (0 = every local device).

    Raises:
      InputError: more devices requested than the host has, or a batch size in
        ``batch_sizes`` (``{"data.batch_size": 200, ...}``) not divisible by the device count.
    """
    local = jax.local_devices()
    n = len(local) if requested == 0 else requested
    if n > len(local):
        raise InputError(
            f"run.data_parallel = {requested} is invalid: this host has {len(local)} "
            f"{local[0].platform} device(s); allowed 0 (all) or 1…{len(local)}"
        )
    for field, size in batch_sizes.items():
        if size % n:
            raise InputError(
                f"{field} = {size} is invalid with run.data_parallel = {requested} ({n} devices): "
                f"it must be a multiple of {n}, so each device gets the same share"
            )
    return DataParallel(local[:n])
