"""Atomic training checkpoints (orbax) that restore bit-identical state.

Orbax writes each checkpoint to a temporary directory and renames it when complete, so a
crash or Ctrl-C during a save never leaves a half-written checkpoint that ``latest`` would
pick. Typed PRNG keys are stored as their raw ``uint32`` key data and re-wrapped on restore.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import orbax.checkpoint as ocp

PyTree = Any

# orbax logs every save at INFO/WARNING level; keep the console for training progress.
logging.getLogger("absl").setLevel(logging.ERROR)


def _is_key(x) -> bool:
    return isinstance(x, jax.Array) and jax.dtypes.issubdtype(x.dtype, jax.dtypes.prng_key)


def _keys_to_data(tree: PyTree) -> PyTree:
    return jax.tree.map(lambda x: jax.random.key_data(x) if _is_key(x) else x, tree)


def _data_to_keys(tree: PyTree, like: PyTree) -> PyTree:
    return jax.tree.map(lambda x, ref: jax.random.wrap_key_data(x, impl=jax.random.key_impl(ref)) if _is_key(ref) else x, tree, like)


class Checkpointer:
    """Saves and restores a training-state pytree under ``directory``, keyed by step."""

    def __init__(self, directory: str | os.PathLike, max_to_keep: int = 2):
        self.directory = os.path.abspath(os.fspath(directory))
        self._manager = ocp.CheckpointManager(
            self.directory, options=ocp.CheckpointManagerOptions(max_to_keep=max_to_keep, create=True)
        )

    def latest_step(self) -> int | None:
        return self._manager.latest_step()

    def save(self, step: int, state: PyTree) -> None:
        """Save synchronously (returns once the checkpoint is complete on disk)."""
        if step in self._manager.all_steps():
            return
        self._manager.save(step, args=ocp.args.StandardSave(_keys_to_data(state)))
        self._manager.wait_until_finished()

    def restore(self, like: PyTree, step: int | None = None) -> PyTree:
        """Restore the checkpoint at ``step`` (default: latest) with the structure of ``like``."""
        step = self.latest_step() if step is None else step
        if step is None:
            raise FileNotFoundError(f"no checkpoint in {self.directory}")
        abstract = jax.tree.map(ocp.utils.to_shape_dtype_struct, _keys_to_data(like))
        restored = self._manager.restore(step, args=ocp.args.StandardRestore(abstract))
        return _data_to_keys(restored, like)

    def close(self) -> None:
        self._manager.close()


def _strip_value(tree):
    """``{'kernel': {'value': a}}`` (an ``nnx.Variable`` as orbax stores it) → ``{'kernel': a}``."""
    if isinstance(tree, dict):
        if set(tree) == {"value"}:
            return tree["value"]
        return {k: _strip_value(v) for k, v in tree.items()}
    return tree


def restore_params(ckpt_dir: str, like) -> tuple[Any, int]:
    """The trained parameters of the latest checkpoint, filled into the state ``like``.

    Only ``params`` is read (as saved, without a target structure), so checkpoints of other
    training-state layouts (e.g. before or after a field was added to ``TrainState``) load
    (``cimjax evaluate``).
    """
    from flax import nnx

    mgr = ocp.CheckpointManager(os.path.abspath(ckpt_dir))
    try:
        step = mgr.latest_step()
        if step is None:
            raise FileNotFoundError(f"no checkpoint in {ckpt_dir}")
        raw = mgr.restore(step, args=ocp.args.StandardRestore())
    finally:
        mgr.close()
    if not isinstance(raw, dict) or "params" not in raw:
        raise FileNotFoundError(f"checkpoint {step} in {ckpt_dir} holds no 'params'")
    pure = _strip_value(raw["params"])
    want = nnx.to_pure_dict(like)
    got_shapes = jax.tree.map(lambda a: tuple(np.shape(a)), pure)
    want_shapes = jax.tree.map(lambda a: tuple(np.shape(a)), want)
    if got_shapes != want_shapes:
        from cimjax.config import ConfigError

        raise ConfigError(f"checkpoint {step} in {ckpt_dir} does not fit the run's config.json: "
                          f"parameters {got_shapes} vs the model's {want_shapes}")
    nnx.replace_by_pure_dict(like, jax.tree.map(jnp.asarray, pure))
    return like, int(step)
