"""The jitted training program of one run: keys, optimiser, network, train/eval steps, trace.

Randomness comes from ``config.run.seed`` only: :func:`make_keys` splits one root key into
named streams (dataset, init, optimiser/device population, shuffling, per-step
augmentation); per-epoch and per-step keys are ``fold_in``s of those streams with the epoch
or global step. The :class:`Trainer` holds the static pieces of a run and its jitted steps;
:mod:`cimjax.train` runs the loop around it and writes the run directory.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple, Optional

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx

from cimjax import build as build_lib
from cimjax import data as data_lib
from cimjax import nn as nn_lib
from cimjax import optim as optim_lib
from cimjax import trace as trace_lib
from cimjax.config import Config, ConfigError
from cimjax.config.schema import ANALOG_ALGORITHMS, DeviceConfig
from cimjax.devices import aihwkit_presets
from cimjax.hw.network import network_layers
from cimjax.parallel import DataParallel

PyTree = Any


class TrainState(NamedTuple):
    step: jax.Array  # global step, int32
    params: PyTree
    opt_state: PyTree
    last_delta: jax.Array  # (2, layers): mean and std per layer of the last update Δ
    write_stats: jax.Array  # (6, layers): NeuroSim's write statistics of the last update (trace.WriteStats)


class Health(NamedTuple):
    """The on-device record of divergence, carried through :meth:`Trainer.train_step_checked`
    and read once per epoch (no host sync per step)."""

    # int32: the global step count after the first step whose loss or new weights were not finite; -1 while none
    bad_step: jax.Array
    bad_loss: jax.Array  # float32: that step's loss
    weights_finite: jax.Array  # bool: whether that step's new weights were all finite


def healthy() -> Health:
    return Health(jnp.array(-1, jnp.int32), jnp.array(0.0, jnp.float32), jnp.array(True))


class Keys(NamedTuple):
    data: jax.Array
    init: jax.Array
    optim: jax.Array
    shuffle: jax.Array
    step: jax.Array


def make_keys(seed: int) -> Keys:
    return Keys(*jax.random.split(jax.random.key(seed), 5))


def steps_per_epoch(config: Config, num_train: int) -> int:
    if num_train < config.data.batch_size:
        raise ConfigError(
            f"data.batch_size = {config.data.batch_size} is invalid: expected at most the "
            f"{num_train} training examples of data.name = {config.data.name!r}"
        )
    cap = config.train.steps_per_epoch
    return build_lib.iterations_per_epoch(num_train, config.data.batch_size, math.inf if cap is None else cap)


def pulsed_device(device: DeviceConfig):
    """The pulsed device the in-situ rules program: ``device.pulsed_preset`` (aihwkit's presets),
    ``device.pulsed_preset_file`` (a preset fitted by ``cimjax device fit``), else the NeuroSim
    device of the config with its overrides (docs/devices.md)."""
    if device.pulsed_preset is not None:
        return aihwkit_presets.pulsed_preset(device.pulsed_preset)
    if device.pulsed_preset_file is not None:  # a fitted preset (cimjax device fit; checked at config build)
        from cimjax.devices.fit import load_pulsed_preset

        return load_pulsed_preset(device.pulsed_preset_file)
    return aihwkit_presets.neurosim_pulsed_device(device.resolved(), d2d_sigma=device.d2d_sigma)


def make_optimizer(config: Config, n_steps_per_epoch: int, key: jax.Array) -> optax.GradientTransformation:
    """The config's optimiser; the learning rate (NeuroSim's ``grad_scale``) is divided by
    ``train.lr_decay_factor`` at each epoch of ``train.lr_decay_epochs``."""
    t = config.train
    schedule = optim_lib.step_decay_schedule(t.learning_rate, t.lr_decay_epochs, t.lr_decay_factor, n_steps_per_epoch)
    if t.optimizer == "sgd":
        return optax.sgd(schedule, momentum=t.momentum)
    if t.optimizer in ANALOG_ALGORITHMS:
        return optim_lib.analog_optimizer(optim_lib.AnalogAlgorithm.of_config(config), pulsed_device(config.device), key)
    return optim_lib.neurosim_optimizer(config.device, config.quant, t, schedule, key=key)


class Trainer:
    """Holds the static pieces of a run (model graph, optimiser, jitted steps)."""

    def __init__(self, config: Config, input_shape: tuple[int, int, int], n_steps_per_epoch: int, keys: Keys,
                 parallel: Optional[DataParallel] = None):
        self.config = config
        # Where the arrays live: one device, or a batch-sharded mesh (run.data_parallel).
        self.parallel = parallel if parallel is not None else DataParallel()
        model = nn_lib.create_model(config.model, config.quant, input_shape, rngs=nnx.Rngs(params=keys.init),
                                    arrays=nn_lib.layer_arrays(config))
        self.graphdef, params, self.rest = nnx.split(model, nnx.Param, ...)
        self.tx = make_optimizer(config, n_steps_per_epoch, keys.optim)
        # the stochastic pulse trains take every layer's (x, d), not the gradient matrix
        self.stochastic = config.train.optimizer in ANALOG_ALGORITHMS and config.train.update_mode == "stochastic"
        self.layer_names = tuple(model.layer_names)
        self.layers = tuple(network_layers(config.model, input_shape))
        n_layers = len(self.layer_names)
        self.initial_state = self.parallel.replicate(TrainState(
            jnp.zeros((), jnp.int32), params, self.tx.init(params),
            jnp.zeros((2, n_layers), jnp.float32),
            jnp.zeros((len(trace_lib.WriteStats._fields), n_layers), jnp.float32),
        ))
        self.loss = nn_lib.loss_fn(config.model.loss)
        self.step_key = keys.step
        self.kernels = {n: getattr(getattr(model, n), "kernel_size", None) for n in self.layer_names}
        self.train_step = jax.jit(self._train_step, donate_argnums=0)
        self.train_step_checked = jax.jit(self._train_step_checked, donate_argnums=0)
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

        if self.stochastic:
            loss, grads, samples = self._loss_grads_samples(state.params, images, batch["label"])
            updates, opt_state = self.tx.update(grads, state.opt_state, state.params, samples=samples)
        else:
            def loss_of(params):
                return self.loss(self._logits(params, images), batch["label"], self.config.model.num_classes)

            loss, grads = jax.value_and_grad(loss_of)(state.params)
            updates, opt_state = self.tx.update(grads, state.opt_state, state.params)
        params = optax.apply_updates(state.params, updates)
        # NeuroSim's Δ is the weight change with w ← w − Δ (delta_dist.csv).
        last_delta = jnp.stack(layer_stats(jax.tree.map(jnp.negative, updates), self.layer_names))
        write_stats = self._write_stats(params, state.params, optim_lib.last_a_pulses(opt_state, self.layer_names))
        return TrainState(state.step + 1, params, opt_state, last_delta, write_stats), loss

    def _loss_grads_samples(self, params: PyTree, images: jax.Array, labels: jax.Array):
        """Loss, gradient and every layer's ``(x, d)`` from one ``value_and_grad`` (the
        ``stochastic`` update mode): ``x`` is the layer's input as its array sees it (the
        previous layer's quantised activation; the normalised image for the first layer), ``d``
        the gradient of the loss by a zero tap added before the layer's activation/error
        quantiser (:func:`cimjax.nn.layers._tapped`), i.e. the error after WAGE's ``QE``, so
        ``Σ d ⊗ x`` is the kernel's gradient."""
        x = self._prepare(images)
        model = nnx.merge(self.graphdef, params, self.rest)
        taps = {n: jnp.zeros(s, x.dtype) for n, s in model.output_shapes(x.shape).items()}

        def loss_of(params, taps):
            model = nnx.merge(self.graphdef, params, self.rest)
            logits, inputs = model.forward_with_inputs(x, taps)
            return self.loss(logits, labels, self.config.model.num_classes), inputs

        (loss, inputs), (grads, errors) = jax.value_and_grad(loss_of, argnums=(0, 1), has_aux=True)(params, taps)
        return loss, grads, {n: (inputs[n], errors[n]) for n in self.layer_names}

    def _train_step_checked(self, state: TrainState, batch: dict[str, jax.Array],
                            health: Health) -> tuple[TrainState, jax.Array, Health]:
        """:meth:`_train_step`, recording in ``health`` the first step whose loss or new weights
        are not finite (one reduction over the weights, fused into the step)."""
        state, loss = self._train_step(state, batch)
        weights_finite = jnp.all(jnp.stack([jnp.all(jnp.isfinite(p)) for p in jax.tree.leaves(state.params)]))
        first = (health.bad_step < 0) & ~(jnp.isfinite(loss) & weights_finite)
        return state, loss, Health(
            jnp.where(first, state.step, health.bad_step),
            jnp.where(first, loss.astype(jnp.float32), health.bad_loss),
            jnp.where(first, weights_finite, health.weights_finite),
        )

    def _write_stats(self, new_params: PyTree, old_params: PyTree, a_pulses=None) -> jax.Array:
        """(4, layers): NeuroSim's per-sub-array write statistics of this update (docs/model.md §5.5).

        Each kernel is laid out as NeuroSim's weight matrix, ``C_in·K·K`` rows (input channel
        outermost) by ``C_out`` columns, cut into the hardware's sub-arrays; one conductance
        step is ``2/max_level`` in weight units (the linear map of [−1, 1]). For a TT rule,
        ``a_pulses`` (:func:`cimjax.optim.analog_algorithms.last_a_pulses`): the update is the
        signed pulses sent to the fast array ``A`` (one step each), the array the gradient
        writes, not the change of the effective weight (docs/algorithms.md "Hardware cost").
        """
        hw = self.config.hardware
        levels = self.config.device.resolved().max_level
        stats = []
        for name in self.layer_names:
            if a_pulses is not None:
                new, old = a_pulses[name] * (2.0 / levels), jnp.zeros_like(a_pulses[name])
            else:
                new, old = (trace_lib.weight_matrix(jnp.asarray(p[name]["kernel"][...]))
                            for p in (new_params, old_params))
            s = trace_lib.weight_update_stats(
                new, old, max_levels=levels, subarray_rows=hw.subarray_rows, subarray_cols=hw.subarray_cols
            )
            stats.append(jnp.stack(s))
        return jnp.stack(stats, axis=1).astype(jnp.float32)

    def hardware_trace(self, state: TrainState, image: np.ndarray) -> trace_lib.Trace:
        """The estimator's trace of the state: the image's input activity and read occupancy,
        the kernels' mean conductance level and the write statistics of the last update."""
        activity, occupancy = np.clip(np.asarray(self.input_stats(state.params, image), np.float64), 0.0, 1.0)
        levels = [float(trace_lib.weight_level(jnp.asarray(state.params[n]["kernel"][...]))) for n in self.layer_names]
        write = np.asarray(state.write_stats, np.float64)
        write[2:4] = np.clip(write[2:4], 0.0, 1.0)
        return trace_lib.make_trace(activity, levels, *write[:4], read_occupancy=occupancy,
                                    written_cells=write[4], written_level=write[5])

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
            loss, corr = self.eval_step(params, self.parallel.shard(batch), self.parallel.shard(mask))
            total_loss += float(loss)
            correct += int(corr)
        return total_loss / max(1, -(-n // bs)), 100.0 * correct / n


def layer_stats(tree: PyTree, names: tuple[str, ...]) -> tuple[jax.Array, jax.Array]:
    """Mean and standard deviation of each named layer's kernel, in the order of ``names``."""
    kernels = [tree[name]["kernel"] for name in names]
    return jnp.stack([jnp.mean(x) for x in kernels]), jnp.stack([jnp.std(x) for x in kernels])
