"""Atomic training checkpoints (orbax) that restore bit-identical state.

Orbax writes each checkpoint to a temporary directory (``<step>.orbax-checkpoint-tmp``) and
renames it when complete, so a crash or a kill during a save never leaves a half-written
checkpoint that ``latest`` would pick; a training :class:`Checkpointer` removes such leftovers
when it opens the directory. A checkpoint damaged later (a truncated file, zeroed metadata, an
emptied directory) is skipped: :meth:`Checkpointer.restore_newest` and :func:`restore_params`
restore the newest checkpoint that restores and say which they skipped and why. Typed PRNG keys
are stored as their raw ``uint32`` key data and re-wrapped on restore.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np
import orbax.checkpoint as ocp

from cimjax.errors import InputError

PyTree = Any

# orbax logs every save at INFO/WARNING level; keep the console for training progress.
logging.getLogger("absl").setLevel(logging.ERROR)


def _is_key(x) -> bool:
    return isinstance(x, jax.Array) and jax.dtypes.issubdtype(x.dtype, jax.dtypes.prng_key)


def _keys_to_data(tree: PyTree) -> PyTree:
    return jax.tree.map(lambda x: jax.random.key_data(x) if _is_key(x) else x, tree)


def _data_to_keys(tree: PyTree, like: PyTree) -> PyTree:
    return jax.tree.map(lambda x, ref: jax.random.wrap_key_data(x, impl=jax.random.key_impl(ref)) if _is_key(ref) else x, tree, like)


@contextlib.contextmanager
def _orbax_silent():
    """Orbax logs a damaged file itself (at ERROR, with the file's bytes); the caller says it in one line."""
    absl = logging.getLogger("absl")
    level = absl.level
    absl.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        absl.setLevel(level)


def _reason(step_dir: str, err: BaseException) -> str:
    """Why the checkpoint in ``step_dir`` did not restore, in one short line: the innermost
    error of the ``raise ... from`` chain (orbax wraps TensorStore's), or the metadata file
    that is not JSON."""
    files = [os.path.join(root, f) for root, _, names in os.walk(step_dir) for f in names]
    if not files:
        return "its directory is empty"
    while err.__cause__ is not None:
        err = err.__cause__
    if isinstance(err, json.JSONDecodeError):
        for f in files:
            if os.path.basename(f) in ("_METADATA", "_CHECKPOINT_METADATA"):
                try:
                    with open(f) as fh:
                        json.load(fh)
                except (ValueError, OSError):
                    return f"{os.path.relpath(f, step_dir)} is not valid JSON (zeroed or cut short)"
    lines = str(err).strip().splitlines()
    text = f"{type(err).__name__}: {lines[0]}" if lines else type(err).__name__
    return text if len(text) <= 240 else text[:237] + "..."


def _newest_restorable(directory: str, steps, restore: Callable[[int], Any],
                       advice: str) -> tuple[Any, int, list[tuple[int, str]]]:
    """``(restore(step), step, skipped)`` for the newest of ``steps`` that restores; ``skipped``
    lists the newer ``(step, reason)`` that did not. Raises :class:`InputError` naming the
    directory, every reason and ``advice`` when none restores."""
    skipped: list[tuple[int, str]] = []
    for step in sorted(steps, reverse=True):
        try:
            with _orbax_silent():
                return restore(step), step, skipped
        except Exception as err:  # noqa: BLE001 -- any failure to read a checkpoint means: try the one before
            skipped.append((step, _reason(os.path.join(directory, str(step)), err)))
    raise InputError(f"no checkpoint in {directory} restores: "
                     + "; ".join(f"step {s}: {r}" for s, r in skipped)
                     + f" ({advice})")


def _restore_fresh(directory: str, step: int, args) -> Any:
    """Restore ``step`` with a manager of its own: a manager that failed on a damaged step
    (an empty directory) fails on every step after it."""
    mgr = ocp.CheckpointManager(directory, options=ocp.CheckpointManagerOptions(read_only=True))
    try:
        return mgr.restore(step, args=args)
    finally:
        mgr.close()


class Checkpointer:
    """Saves and restores a training-state pytree under ``directory``, keyed by step.

    Opening it removes the temporary directories of saves that never finished (a kill during a
    save); they are never picked as a checkpoint either way.
    """

    def __init__(self, directory: str | os.PathLike, max_to_keep: int = 2):
        self.directory = os.path.abspath(os.fspath(directory))
        options = ocp.CheckpointManagerOptions(max_to_keep=max_to_keep, create=True, cleanup_tmp_directories=True)
        self._manager = ocp.CheckpointManager(self.directory, options=options)

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
        restored = self._manager.restore(step, args=self._restore_args(like))
        return _data_to_keys(restored, like)

    @staticmethod
    def _restore_args(like: PyTree):
        return ocp.args.StandardRestore(jax.tree.map(ocp.utils.to_shape_dtype_struct, _keys_to_data(like)))

    def restore_newest(self, like: PyTree, log=print) -> tuple[PyTree, int] | None:
        """``(state, step)`` of the newest checkpoint that restores, ``None`` if there is none.

        A newer checkpoint that does not restore is skipped with one line saying why, and moved
        to ``<run>/checkpoints_damaged/<step>`` (kept, not deleted) so that the resumed run can
        save that step again. Raises :class:`InputError` if checkpoints exist but none restores.
        """
        steps = self._manager.all_steps(read=True)
        if not steps:
            return None
        args = self._restore_args(like)

        def restore(s):
            return _data_to_keys(_restore_fresh(self.directory, s, args), like)

        state, step, skipped = _newest_restorable(
            self.directory, steps, restore, "every checkpoint of the run is damaged: start it afresh, without --resume")
        aside = os.path.join(os.path.dirname(self.directory), "checkpoints_damaged")
        for bad, reason in skipped:
            dest, n = os.path.join(aside, str(bad)), 1
            while os.path.exists(dest):
                dest, n = os.path.join(aside, f"{bad}-{n}"), n + 1
            os.makedirs(aside, exist_ok=True)
            shutil.move(os.path.join(self.directory, str(bad)), dest)
            log(f"checkpoint step {bad} skipped: {reason} (moved to {dest})")
        if skipped:
            self._manager.reload()
            log(f"using checkpoint step {step}, the newest that restores")
        return state, step

    def close(self) -> None:
        self._manager.close()


def _strip_value(tree):
    """``{'kernel': {'value': a}}`` (an ``nnx.Variable`` as orbax stores it) → ``{'kernel': a}``."""
    if isinstance(tree, dict):
        if set(tree) == {"value"}:
            return tree["value"]
        return {k: _strip_value(v) for k, v in tree.items()}
    return tree


def restore_params(ckpt_dir: str, like, log=print) -> tuple[Any, int]:
    """The trained parameters of the newest checkpoint that restores, filled into the state ``like``.

    Only ``params`` is read (as saved, without a target structure), so checkpoints of other
    training-state layouts (e.g. before or after a field was added to ``TrainState``) load
    (``cimjax evaluate``). A newer checkpoint that does not restore is skipped with one line
    saying why (and left where it is); :class:`InputError` if none restores.
    """
    from flax import nnx

    directory = os.path.abspath(ckpt_dir)
    mgr = ocp.CheckpointManager(directory, options=ocp.CheckpointManagerOptions(read_only=True))
    try:
        steps = mgr.all_steps(read=True)
    finally:
        mgr.close()
    if not steps:
        raise FileNotFoundError(f"no checkpoint in {ckpt_dir}")
    raw, step, skipped = _newest_restorable(
        directory, steps, lambda s: _restore_fresh(directory, s, ocp.args.StandardRestore()),
        "every checkpoint of the run is damaged: train it again")
    for bad, reason in skipped:
        log(f"checkpoint step {bad} skipped: {reason}")
    if skipped:
        log(f"evaluating checkpoint step {step}, the newest that restores")
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
