"""Training: one jitted step (forward, WAGE backward, optimiser, device update) and the loop.

``train_and_evaluate(config)`` is the library entry point the CLI, benchmarks and tests
call. Randomness comes from ``config.run.seed`` only: one root key is split into named
streams (dataset, init, optimiser/device population, shuffling, per-step augmentation), and
per-epoch and per-step keys are ``fold_in``s of those streams with the epoch or global step.
So a run resumed from any checkpoint replays exactly the numbers of an uninterrupted run.
"""

from __future__ import annotations

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
from cimjax.config import Config, ConfigError, load_config, save_config
from cimjax.config.schema import SECTIONS
from cimjax.hw import trace as hw_trace
from cimjax.hw.network import network_layers
from cimjax.report import plots
from cimjax.report.files import (NEUROSIM_OUTPUT_HEADER, EpochCsv, breakdown_rows, neurosim_output_row, write_csv,
                                 write_json)
from cimjax.report.mapping import mapping
from cimjax.report.tables import mapping_table
from cimjax import trace as trace_lib

PyTree = Any


class TrainState(NamedTuple):
    step: jax.Array  # global step, int32
    params: PyTree
    opt_state: PyTree
    last_delta: jax.Array  # (2, layers): mean and std per layer of the last update Δ
    write_stats: jax.Array  # (4, layers): NeuroSim's write statistics of the last update (hw.trace.WriteStats)


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


def make_optimizer(config: Config, n_steps_per_epoch: int, key: jax.Array) -> optax.GradientTransformation:
    """The config's optimiser; the learning rate (NeuroSim's ``grad_scale``) is divided by
    ``train.lr_decay_factor`` at each epoch of ``train.lr_decay_epochs``."""
    t = config.train
    schedule = optim_lib.step_decay_schedule(t.learning_rate, t.lr_decay_epochs, t.lr_decay_factor, n_steps_per_epoch)
    if t.optimizer == "sgd":
        return optax.sgd(schedule, momentum=t.momentum)
    return optim_lib.neurosim_optimizer(config.device, config.quant, t, schedule, key=key)


class Trainer:
    """Holds the static pieces of a run (model graph, optimiser, jitted steps)."""

    def __init__(self, config: Config, input_shape: tuple[int, int, int], n_steps_per_epoch: int, keys: Keys):
        self.config = config
        model = nn_lib.create_model(config.model, config.quant, input_shape, rngs=nnx.Rngs(params=keys.init),
                                    array=config.array, hardware=config.hardware)
        self.graphdef, params, self.rest = nnx.split(model, nnx.Param, ...)
        self.tx = make_optimizer(config, n_steps_per_epoch, keys.optim)
        self.layer_names = tuple(model.layer_names)
        self.layers = tuple(network_layers(config.model, input_shape))
        n_layers = len(self.layer_names)
        self.initial_state = TrainState(
            jnp.zeros((), jnp.int32), params, self.tx.init(params),
            jnp.zeros((2, n_layers), jnp.float32), jnp.zeros((4, n_layers), jnp.float32),
        )
        self.loss = nn_lib.loss_fn(config.model.loss)
        self.step_key = keys.step
        self.kernels = {n: getattr(getattr(model, n), "kernel_size", None) for n in self.layer_names}
        self.train_step = jax.jit(self._train_step, donate_argnums=0)
        self.eval_step = jax.jit(self._eval_step)
        self.input_stats = jax.jit(self._input_stats)

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
        # NeuroSim's Δ is the weight change with w ← w − Δ (delta_dist.csv).
        last_delta = jnp.stack(layer_stats(jax.tree.map(jnp.negative, updates), self.layer_names))
        write_stats = self._write_stats(params, state.params)
        return TrainState(state.step + 1, params, opt_state, last_delta, write_stats), loss

    def _write_stats(self, new_params: PyTree, old_params: PyTree) -> jax.Array:
        """(4, layers): NeuroSim's per-sub-array write statistics of this update (spec §5.5).

        Each kernel is laid out as NeuroSim's weight matrix, ``C_in·K·K`` rows (input channel
        outermost) by ``C_out`` columns, cut into the hardware's sub-arrays; one conductance
        step is ``2/max_level`` in weight units (the linear map of [−1, 1]).
        """
        hw = self.config.hardware
        levels = self.config.device.resolved().max_level
        stats = []
        for name in self.layer_names:
            new, old = (_weight_matrix(jnp.asarray(p[name]["kernel"][...])) for p in (new_params, old_params))
            s = hw_trace.weight_update_stats(
                new, old, max_levels=levels, subarray_rows=hw.subarray_rows, subarray_cols=hw.subarray_cols
            )
            stats.append(jnp.stack(s))
        return jnp.stack(stats, axis=1).astype(jnp.float32)

    def hardware_trace(self, state: TrainState, image: np.ndarray) -> hw_trace.Trace:
        """The estimator's trace of the state: the image's input activity and read occupancy,
        the kernels' mean conductance level and the write statistics of the last update."""
        activity, occupancy = np.clip(np.asarray(self.input_stats(state.params, image), np.float64), 0.0, 1.0)
        levels = [float(hw_trace.weight_level(jnp.asarray(state.params[n]["kernel"][...]))) for n in self.layer_names]
        write = np.asarray(state.write_stats, np.float64)
        write[2:] = np.clip(write[2:], 0.0, 1.0)
        return hw_trace.make_trace(activity, levels, *write, read_occupancy=occupancy)

    def _input_stats(self, params: PyTree, image: jax.Array) -> jax.Array:
        """(2, layers): per-layer input-bit activity and read occupancy of one image.

        As NeuroSim's trace hook measures the activity (:func:`cimjax.trace.input_activity`),
        and, from the same bits, the fraction of sub-array reads (``hardware.subarray_rows``
        consecutive rows of one bit plane of one window) with an active row
        (:func:`cimjax.trace.read_occupancy`).
        """
        model = nnx.merge(self.graphdef, params, self.rest)
        _, inputs = model.forward_with_inputs(self._prepare(image[None]))
        bits = self.config.quant.activation_bits
        bits = 8 if bits in (None, 32) else bits
        rows = self.config.hardware.subarray_rows
        activities, occupancies = [], []
        for name in self.layer_names:
            x = inputs[name][0]
            kernel = self.kernels[name] if x.ndim == 3 else None
            activities.append(trace_lib.input_activity(x, bits, kernel))
            occupancies.append(trace_lib.read_occupancy(x, bits, kernel, rows))
        return jnp.stack([jnp.stack(activities), jnp.stack(occupancies)])

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


def _estimate(config: Config, trainer: "Trainer", trace: hw_trace.Trace):
    """The chip estimate of ``config`` with this epoch's trace."""
    from cimjax.estimate import estimate_config

    return estimate_config(config, trace, layers=trainer.layers)[0]


def _write_estimate(config: Config, trainer: "Trainer", est, epoch: int, csv: EpochCsv, log) -> None:
    """NeuroSim's per-epoch outputs (spec §4.5): a ``NeuroSim_Output.csv`` row and the epoch's
    breakdown file."""
    folder = os.path.join(config.run.out_dir, "NeuroSim_Results_Each_Epoch")
    os.makedirs(folder, exist_ok=True)
    write_csv(os.path.join(folder, f"NeuroSim_Breakdown_Epoch_{epoch}.csv"), breakdown_rows(est, trainer.layer_names))
    csv.append(epoch, neurosim_output_row(est))
    energy = float(est.fw.energy + est.ag.energy + est.wg.energy + est.wu.energy)
    latency = float(est.fw.latency + est.ag.latency + est.wg.latency + est.wu.latency)
    log(f"  hardware: {energy:.4g} J and {latency:.4g} s per epoch, TOPS/W {float(est.tops_per_w):.3g}")


def _weight_matrix(kernel: jax.Array) -> jax.Array:
    """A kernel as NeuroSim's weight matrix: conv ``(K, K, C_in, C_out)`` → ``(C_in·K·K, C_out)``."""
    if kernel.ndim == 4:
        kernel = jnp.transpose(kernel, (2, 0, 1, 3))
    return kernel.reshape(-1, kernel.shape[-1])


def layer_stats(tree: PyTree, names: tuple[str, ...]) -> tuple[jax.Array, jax.Array]:
    """Mean and standard deviation of each named layer's kernel, in the order of ``names``."""
    kernels = [tree[name]["kernel"] for name in names]
    return jnp.stack([jnp.mean(x) for x in kernels]), jnp.stack([jnp.std(x) for x in kernels])


def _epoch_logs(out: str, layer_names: tuple[str, ...]) -> dict[str, EpochCsv]:
    """NeuroSim's per-epoch files (spec §4.5), one column per layer where per-layer."""
    means = [f"mean_{n}" for n in layer_names]
    stds = [f"std_{n}" for n in layer_names]
    return {
        "accuracy": EpochCsv(os.path.join(out, "PythonWrapper_Output.csv"), ["epoch", "loss", "accuracy"]),
        "weight": EpochCsv(os.path.join(out, "weight_dist.csv"), ["epoch", *means, *stds]),
        "delta": EpochCsv(os.path.join(out, "delta_dist.csv"), ["epoch", *means, *stds]),
        "activity": EpochCsv(os.path.join(out, "input_activity.csv"), ["epoch", *layer_names]),
        "trace": EpochCsv(
            os.path.join(out, "hardware_trace.csv"),
            ["epoch", *(f"{field}_{n}" for field in hw_trace.Trace._fields for n in layer_names)],
        ),
        "neurosim": EpochCsv(os.path.join(out, "NeuroSim_Output.csv"), ["epoch", *NEUROSIM_OUTPUT_HEADER]),
    }


# Fields a resumed run may change; everything else must match the saved config.
_RESUMABLE_CHANGES = {("train", "epochs"), ("run", "out_dir"), ("run", "name")}


def _prepare_out_dir(config: Config, resume: bool, log) -> None:
    """Create the output directory. A fresh run never overwrites an earlier one: an existing
    run there is moved aside to ``<out_dir>.prev-<time>``. A resume checks that the config
    matches the saved one (only the fields in ``_RESUMABLE_CHANGES`` may differ)."""
    out = config.run.out_dir
    saved = os.path.join(out, "config.json")
    if resume and os.path.exists(saved):
        old = load_config(saved)
        diffs = [
            f"{section}.{name}: saved {getattr(getattr(old, section), name)!r}, now {value!r}"
            for section in SECTIONS
            for name, value in vars(getattr(config, section)).items()
            if (section, name) not in _RESUMABLE_CHANGES and getattr(getattr(old, section), name) != value
        ]
        if diffs:
            raise ConfigError(
                f"cannot resume the run in {out}: the config differs from the saved one ("
                + "; ".join(diffs) + "). Resume with the saved config (--config " + out + ") or use another --out."
            )
    elif not resume and os.path.isdir(out) and os.listdir(out):
        stem = f"{out.rstrip(os.sep)}.prev-{time.strftime('%Y%m%d-%H%M%S')}"
        moved, n = stem, 1
        while os.path.exists(moved):
            moved, n = f"{stem}-{n}", n + 1
        os.replace(out, moved)
        log(f"an earlier run in {out} was moved to {moved}")
    os.makedirs(out, exist_ok=True)


def train_and_evaluate(config: Config, *, resume: bool = False, progress: bool = True, log=print) -> dict:
    """Train ``config`` and evaluate after every epoch; returns the summary dict.

    Writes to ``config.run.out_dir`` (epochs counted from 0, as NeuroSim does):
    - ``config.json``: the exact config (``--config RUN_DIR`` repeats the run);
    - ``PythonWrapper_Output.csv``: epoch, mean test loss per batch, accuracy in %;
    - ``weight_dist.csv`` / ``delta_dist.csv``: per layer, mean then std of the weights
      and of the epoch's last update Δ (``w ← w − Δ``);
    - ``input_activity.csv``: per layer, the input-bit activity of the first test image;
    - ``hardware_trace.csv``: per layer, the estimator's :class:`cimjax.hw.trace.Trace` of
      the epoch (input activity, mean conductance level, NeuroSim's write statistics of the
      epoch's last update: write pulses, cell pulses, row and column write activity; and the
      read occupancy of the first test image's input);
    - with ``run.estimate_each_epoch``: ``NeuroSim_Output.csv`` (per epoch: average and peak
      latency and energy of FW, AG, WG, WU, then TOPS/W, TOPS and their peaks, spec §4.5)
      and ``NeuroSim_Results_Each_Epoch/NeuroSim_Breakdown_Epoch_<epoch>.csv`` (area row,
      per-layer phases and component breakdown, total row; upstream spells it "Epock");
    - ``summary.json`` and ``training_curve.png``;
    - ``checkpoints/``: orbax, one per epoch, written atomically.

    With ``resume``, training continues from the latest checkpoint and reproduces an
    uninterrupted run exactly. Ctrl-C saves a checkpoint at the current step and returns
    with ``summary["interrupted"] = True``.
    """
    t0 = time.perf_counter()
    keys = make_keys(config.run.seed)
    ds = data_lib.load_dataset(config.data, key=keys.data)  # missing data fails before any file is written
    out = config.run.out_dir
    _prepare_out_dir(config, resume, log)
    save_config(config, os.path.join(out, "config.json"))
    log(f"data: {ds.description}")
    input_shape = tuple(int(s) for s in ds.train_images.shape[1:])
    n_steps = steps_per_epoch(config, len(ds.train_labels))
    trainer = Trainer(config, input_shape, n_steps, keys)
    n_params = sum(int(np.prod(p.shape)) for p in jax.tree.leaves(trainer.initial_state.params))
    log(f"model: {config.model.name} width {config.model.width:g}, {n_params:,} weights; "
        f"optimizer: {config.train.optimizer}; device: {config.device.name}")

    ckpt = Checkpointer(os.path.join(out, "checkpoints"))
    logs = _epoch_logs(out, trainer.layer_names)
    state = trainer.initial_state
    if resume and ckpt.latest_step() is not None:
        state = ckpt.restore(state)
        log(f"resumed from step {int(state.step)} (epoch {int(state.step) // n_steps})")
    for f in logs.values():
        f.load(before_epoch=int(state.step) // n_steps)
        f.write()
    # Epochs logged so far; one less than the steps imply if Ctrl-C came during evaluation.
    first_epoch = len(logs["accuracy"].rows)

    first_test_image = ds.test_images[0].astype(np.float32) / 255.0  # (H, W, C)
    epoch_times = []
    interrupted = False
    try:
        for epoch in range(first_epoch, config.train.epochs):
            offset = int(state.step) - epoch * n_steps  # > 0 only for the epoch a resume lands in
            if offset == 0 and config.train.reset_momentum_each_epoch:
                state = state._replace(opt_state=optim_lib.reset_momentum(state.opt_state))
            batches = data_lib.iterate_batches(
                ds.train_images, ds.train_labels, config.data.batch_size,
                key=jax.random.fold_in(keys.shuffle, epoch), drop_remainder=True,
            )
            te = time.perf_counter()
            bar = tqdm(total=n_steps, initial=offset, desc=f"epoch {epoch + 1}/{config.train.epochs}",
                       disable=not progress, leave=False, unit="step")
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
            trace = trainer.hardware_trace(state, first_test_image)
            # Estimated before any of the epoch's rows is written: Ctrl-C during the estimate
            # leaves the epoch unlogged, and a resume redoes its evaluation and estimate.
            est = _estimate(config, trainer, trace) if config.run.estimate_each_epoch else None
            w_mean, w_std = layer_stats(state.params, trainer.layer_names)
            logs["accuracy"].append(epoch, [test_loss, acc])
            logs["weight"].append(epoch, [*np.asarray(w_mean), *np.asarray(w_std)])
            logs["delta"].append(epoch, list(np.asarray(state.last_delta).ravel()))
            logs["activity"].append(epoch, list(np.asarray(trace.input_activity)))
            logs["trace"].append(epoch, list(np.concatenate([np.asarray(x) for x in trace])))
            log(f"epoch {epoch + 1}/{config.train.epochs}: test loss {test_loss:.4f}, accuracy {acc:.2f} %, "
                f"{epoch_times[-1]:.1f} s")
            if est is not None:
                _write_estimate(config, trainer, est, epoch, logs["neurosim"], log)
            ckpt.save(int(state.step), state)
    except KeyboardInterrupt:
        interrupted = True
        old = signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not break the save
        try:
            jax.block_until_ready(state)
            ckpt.save(int(state.step), state)
        finally:
            signal.signal(signal.SIGINT, old)
        log(f"interrupted: checkpoint saved at step {int(state.step)}; continue with --resume")
    finally:
        ckpt.close()

    acc_log = logs["accuracy"]
    epochs, losses, accs = acc_log.column("epoch"), acc_log.column("loss"), acc_log.column("accuracy")
    if epochs:
        plots.training_curve(os.path.join(out, "training_curve.png"), epochs, accs, losses, config.run.name)
    summary = {
        "config": config.run.name,
        "epochs_completed": len(epochs),
        "steps": int(state.step),
        "steps_total": config.train.epochs * n_steps,
        "interrupted": interrupted,
        "final_accuracy": accs[-1] if accs else None,
        "best_accuracy": max(accs, default=None),
        "final_test_loss": losses[-1] if losses else None,
        "history": [{"epoch": int(e), "loss": lo, "accuracy": a} for e, lo, a in zip(epochs, losses, accs)],
        "seconds": time.perf_counter() - t0,
        "seconds_per_epoch": epoch_times,
        "device": jax.devices()[0].device_kind,
        "num_weights": n_params,
        "input_shape": list(input_shape),
    }
    write_json(os.path.join(out, "summary.json"), summary)
    if not interrupted:
        log("\nhardware: NeuroSim floorplan of this network:")
        log(mapping_table(mapping(config, network_layers(config.model, input_shape)), config.hardware))
        if config.run.estimate_each_epoch and epochs:
            log(f"per-epoch area / latency / energy (last epoch's trace) in {os.path.join(out, 'NeuroSim_Output.csv')}; "
                f"the full report: cimjax estimate --config {out} --trace {out}")
    return summary
