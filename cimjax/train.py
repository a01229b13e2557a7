"""Training: one jitted step (forward, WAGE backward, optimiser, device update) and the loop.

``train_and_evaluate(config)`` is the library entry point the CLI, benchmarks and tests
call. Randomness comes from ``config.run.seed`` only: one root key is split into named
streams (dataset, init, optimiser/device population, shuffling, per-step augmentation), and
per-epoch and per-step keys are ``fold_in``s of those streams with the epoch or global step.
So a run resumed from any checkpoint replays exactly the numbers of an uninterrupted run.
"""

from __future__ import annotations

import json
import os
import signal
import time
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx
from tqdm.auto import tqdm

from cimjax import data as data_lib
from cimjax import nn as nn_lib
from cimjax import optim as optim_lib
from cimjax.checkpoint import Checkpointer
from cimjax.config import Config, ConfigError, atomic_write_text, save_config
from cimjax.hw.network import network_layers
from cimjax.report import mapping_table

PyTree = Any


class TrainState(NamedTuple):
    step: jax.Array  # global step, int32
    params: PyTree
    opt_state: PyTree


class Keys(NamedTuple):
    data: jax.Array
    init: jax.Array
    optim: jax.Array
    shuffle: jax.Array
    step: jax.Array


def make_keys(seed: int) -> Keys:
    return Keys(*jax.random.split(jax.random.key(seed), 5))


def steps_per_epoch(config: Config, num_train: int) -> int:
    n = num_train // config.data.batch_size
    if n == 0:
        raise ConfigError(
            f"data.batch_size = {config.data.batch_size} is invalid: expected at most the "
            f"{num_train} training examples of data.name = {config.data.name!r}"
        )
    if config.train.steps_per_epoch is not None:
        n = min(n, config.train.steps_per_epoch)
    return n


def lr_schedule(config: Config, n_steps_per_epoch: int) -> optax.Schedule:
    """``learning_rate`` divided by ``lr_decay_factor`` at each epoch of ``lr_decay_epochs``."""
    t = config.train
    return optax.piecewise_constant_schedule(
        t.learning_rate, {e * n_steps_per_epoch: 1.0 / t.lr_decay_factor for e in t.lr_decay_epochs}
    )


def make_optimizer(config: Config, n_steps_per_epoch: int, key: jax.Array) -> optax.GradientTransformation:
    t = config.train
    schedule = lr_schedule(config, n_steps_per_epoch)
    if t.optimizer == "sgd":
        return optax.sgd(schedule, momentum=t.momentum)
    return optim_lib.neurosim_optimizer(config.device, config.quant, t, schedule, key=key)


class Trainer:
    """Holds the static pieces of a run (model graph, optimiser, jitted steps)."""

    def __init__(self, config: Config, input_shape: tuple[int, int, int], n_steps_per_epoch: int, keys: Keys):
        self.config = config
        model = nn_lib.create_model(config.model, config.quant, input_shape, rngs=nnx.Rngs(params=keys.init))
        self.graphdef, params, self.rest = nnx.split(model, nnx.Param, ...)
        self.tx = make_optimizer(config, n_steps_per_epoch, keys.optim)
        self.initial_state = TrainState(jnp.zeros((), jnp.int32), params, self.tx.init(params))
        self.loss = nn_lib.loss_fn(config.model.loss)
        self.step_key = keys.step
        self.train_step = jax.jit(self._train_step, donate_argnums=0)
        self.eval_step = jax.jit(self._eval_step)

    def _prepare(self, images: jax.Array) -> jax.Array:
        if self.config.model.input_normalisation == "neurosim":
            return images * 2.0 - 1.0
        return images

    def _logits(self, params: PyTree, images: jax.Array) -> jax.Array:
        model = nnx.merge(self.graphdef, params, self.rest)
        return model(self._prepare(images))

    def _train_step(self, state: TrainState, batch: dict[str, jax.Array]) -> tuple[TrainState, jax.Array]:
        images = batch["image"]
        if self.config.data.augment:
            images = data_lib.augment_batch(jax.random.fold_in(self.step_key, state.step), images)

        def loss_of(params):
            return self.loss(self._logits(params, images), batch["label"], self.config.model.num_classes)

        loss, grads = jax.value_and_grad(loss_of)(state.params)
        updates, opt_state = self.tx.update(grads, state.opt_state, state.params)
        params = optax.apply_updates(state.params, updates)
        return TrainState(state.step + 1, params, opt_state), loss

    def _eval_step(self, params: PyTree, batch: dict[str, jax.Array], mask: jax.Array) -> tuple[jax.Array, jax.Array]:
        """Summed loss (per-example SSE / CE) and correct count over the unmasked examples."""
        logits = self._logits(params, batch["image"])
        labels = batch["label"]
        per_example = jax.vmap(lambda lg, lb: self.loss(lg[None], lb[None], self.config.model.num_classes))(
            logits, labels
        )
        correct = (jnp.argmax(logits, -1) == labels) & mask
        return jnp.sum(jnp.where(mask, per_example, 0.0)), jnp.sum(correct)

    def evaluate(self, params: PyTree, images: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
        """(mean loss per eval batch as NeuroSim reports it, accuracy in %) over a whole split.

        NeuroSim's test loss is the mean over test batches of the per-batch SSE sums; the last
        partial batch is padded and masked so every batch compiles to one shape.
        """
        bs = self.config.data.eval_batch_size
        total_loss = 0.0
        correct = 0
        n = len(labels)
        for batch in data_lib.iterate_batches(images, labels, bs, key=None, drop_remainder=False):
            m = len(batch["label"])
            mask = np.arange(bs) < m
            if m < bs:
                pad = bs - m
                batch = {
                    "image": np.concatenate([batch["image"], np.zeros((pad,) + batch["image"].shape[1:], np.float32)]),
                    "label": np.concatenate([batch["label"], np.zeros((pad,), np.int32)]),
                }
            loss, corr = self.eval_step(params, batch, mask)
            total_loss += float(loss)
            correct += int(corr)
        return total_loss / max(1, -(-n // bs)), 100.0 * correct / n


def _write_epoch_csv(path: str, rows: list[tuple[int, float, float]]) -> None:
    # repr() round-trips floats exactly, so a resumed run re-reads the very same history.
    text = "epoch,loss,accuracy\n" + "".join(f"{e},{loss!r},{acc!r}\n" for e, loss, acc in rows)
    atomic_write_text(path, text)


def _read_epoch_csv(path: str) -> list[tuple[int, float, float]]:
    if not os.path.exists(path):
        return []
    rows = []
    with open(path) as f:
        next(f, None)
        for line in f:
            e, loss, acc = line.strip().split(",")
            rows.append((int(e), float(loss), float(acc)))
    return rows


def train_and_evaluate(config: Config, *, resume: bool = False, progress: bool = True, log=print) -> dict:
    """Train ``config`` and evaluate after every epoch; returns the summary dict.

    Writes to ``config.run.out_dir``: ``config.json``, ``PythonWrapper_Output.csv`` (epoch,
    loss, accuracy — NeuroSim's file; epochs counted from 0 as NeuroSim does),
    ``summary.json`` and ``checkpoints/`` (orbax, one per epoch, atomic). With ``resume``,
    training continues from the latest checkpoint and produces the same numbers as an
    uninterrupted run. Ctrl-C saves a checkpoint at the current step before exiting.
    """
    out = config.run.out_dir
    os.makedirs(out, exist_ok=True)
    save_config(config, os.path.join(out, "config.json"))
    keys = make_keys(config.run.seed)

    t0 = time.perf_counter()
    ds = data_lib.load_dataset(config.data, key=keys.data)
    log(f"data: {ds.description}")
    input_shape = tuple(int(s) for s in ds.train_images.shape[1:])
    n_steps = steps_per_epoch(config, len(ds.train_labels))
    trainer = Trainer(config, input_shape, n_steps, keys)
    n_params = sum(int(np.prod(p.shape)) for p in jax.tree.leaves(trainer.initial_state.params))
    log(f"model: {config.model.name} width {config.model.width:g}, {n_params:,} weights; "
        f"optimizer: {config.train.optimizer}; device: {config.device.name}")

    ckpt = Checkpointer(os.path.join(out, "checkpoints"))
    csv_path = os.path.join(out, "PythonWrapper_Output.csv")
    state = trainer.initial_state
    history: list[tuple[int, float, float]] = []
    if resume and ckpt.latest_step() is not None:
        state = ckpt.restore(state)
        done_epochs = int(state.step) // n_steps
        history = [r for r in _read_epoch_csv(csv_path) if r[0] < done_epochs]
        log(f"resumed from step {int(state.step)} (epoch {done_epochs})")
    _write_epoch_csv(csv_path, history)

    start_step = int(state.step)
    total_steps = config.train.epochs * n_steps
    epoch_times = []
    interrupted = False
    try:
        for epoch in range(start_step // n_steps, config.train.epochs):
            offset = int(state.step) - epoch * n_steps
            if offset == 0 and config.train.reset_momentum_each_epoch:
                state = state._replace(opt_state=optim_lib.reset_momentum(state.opt_state))
            shuffle_key = jax.random.fold_in(keys.shuffle, epoch)
            batches = data_lib.iterate_batches(
                ds.train_images, ds.train_labels, config.data.batch_size, key=shuffle_key, drop_remainder=True
            )
            te = time.perf_counter()
            bar = tqdm(total=n_steps, initial=offset, desc=f"epoch {epoch + 1}/{config.train.epochs}",
                       disable=not progress, leave=False, unit="step")
            loss = None
            for i, batch in enumerate(batches):
                if i >= n_steps:
                    break
                if i < offset:
                    continue
                state, loss = trainer.train_step(state, batch)
                bar.update(1)
                if i % 10 == 0:
                    bar.set_postfix(loss=f"{float(loss):.3g}")
            bar.close()
            test_loss, acc = trainer.evaluate(state.params, ds.test_images, ds.test_labels)
            epoch_times.append(time.perf_counter() - te)
            history.append((epoch, test_loss, acc))
            _write_epoch_csv(csv_path, history)
            ckpt.save(int(state.step), state)
            log(f"epoch {epoch + 1}/{config.train.epochs}: test loss {test_loss:.4f}, accuracy {acc:.2f} %, "
                f"{epoch_times[-1]:.1f} s")
    except KeyboardInterrupt:
        interrupted = True
        # A second Ctrl-C must not interrupt the save.
        old = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            jax.block_until_ready(state)
            ckpt.save(int(state.step), state)
        finally:
            signal.signal(signal.SIGINT, old)
        log(f"interrupted: checkpoint saved at step {int(state.step)}; continue with --resume")
    finally:
        ckpt.close()

    summary = {
        "config": config.run.name,
        "epochs_completed": len(history),
        "steps": int(state.step),
        "steps_total": total_steps,
        "interrupted": interrupted,
        "final_accuracy": history[-1][2] if history else None,
        "best_accuracy": max((r[2] for r in history), default=None),
        "final_test_loss": history[-1][1] if history else None,
        "history": [{"epoch": e, "loss": lo, "accuracy": a} for e, lo, a in history],
        "seconds": time.perf_counter() - t0,
        "seconds_per_epoch": epoch_times,
        "device": jax.devices()[0].device_kind,
        "num_weights": n_params,
        "input_shape": list(input_shape),
    }
    atomic_write_text(os.path.join(out, "summary.json"), json.dumps(summary, indent=2) + "\n")
    if not interrupted:
        layers = network_layers(config.model, input_shape)
        log("\nhardware mapping (area / latency / energy estimator: not yet implemented, see issue 4):")
        log(mapping_table(config, layers))
    return summary
