"""The training program of a device-spec map (:mod:`cimjax.dse.device_map`): one member, vmapped.

A *member* is one (device setting, population seed) pair. Its training is the run
:func:`cimjax.train.train_and_evaluate` would do with the member's device in
``config.device``, written as one jittable function of the device values so that a batch of
members is one ``vmap``-ped program:

* the device parameters ``nl_ltp``, ``nl_ltd``, ``max_level``, ``c2c_sigma`` and
  ``d2d_sigma`` enter :func:`cimjax.optim.device_update` as traced scalars (one per
  member), so one compile serves any grid;
* every member sees the same data batches (the config's shuffle order, as
  :func:`cimjax.train.train_and_evaluate` draws it) and runs the same step as
  :class:`cimjax.trainer.Trainer` (WAGE network, loss, NeuroSim momentum with the epoch
  reset, step-decay schedule, device update), driven step by step (:class:`StepwiseProgram`:
  a ``lax.scan`` over steps is ~12× slower on a CPU) or as one ``lax.scan`` program;
* a member's seed ``s`` draws its device population and update noise (d2d draw, SR and c2c
  streams) from ``fold_in(optim_key, s)`` and, with ``vary_init``, its initial weights from
  ``fold_in(init_key, s)``; all keys derive from ``config.run.seed``
  (:func:`cimjax.trainer.make_keys`), so the same config and seeds give the same numbers;
* the ideal baseline (``device_update(ideal=True)``, WAGE's update ``d = lr·x̂``, no c2c)
  runs the same program.

Besides test accuracy (per epoch), each member records the estimator's
:class:`~cimjax.trace.Trace` of its run (input activity, read occupancy and conductance
level of the final weights on the first test image, NeuroSim's write statistics averaged over
the last epoch's updates, with the member's own ``max_level``).
"""

from __future__ import annotations

import functools
from typing import Any, Mapping

import jax
import jax.numpy as jnp
import numpy as np
import optax

from cimjax import trace as trace_lib
from cimjax.config import Config, ConfigError
from cimjax.dse.device_grid import DEVICE_PARAMS, check_seeds, check_settings

PyTree = Any


class Setup:
    """The static pieces of a study: data on the device, the network, schedules, keys.

    Reuses :mod:`cimjax.trainer` (keys, steps per epoch, the :class:`~cimjax.trainer.Trainer`'s
    network, forward pass, loss and activity hook), so a member trains exactly as
    ``train_and_evaluate`` would with the member's device in ``config.device``.
    """

    def __init__(self, config: Config):
        from cimjax import data as data_lib
        from cimjax import optim as optim_lib
        from cimjax import trainer as trainer_lib

        if config.train.optimizer != "neurosim":
            raise ConfigError(f"train.optimizer = {config.train.optimizer!r}: the device map needs the "
                              "device-aware optimizer 'neurosim'")
        self.config = config
        self.keys = trainer_lib.make_keys(config.run.seed)
        ds = data_lib.load_dataset(config.data, key=self.keys.data)
        self.description = ds.description
        self.input_shape = tuple(int(s) for s in ds.train_images.shape[1:])
        n_train = len(ds.train_labels)
        self.steps_per_epoch = trainer_lib.steps_per_epoch(config, n_train)
        self.epochs = int(config.train.epochs)
        self.total_steps = self.epochs * self.steps_per_epoch
        # The batch order of train_and_evaluate: a permutation per epoch from the shuffle key.
        bs = config.data.batch_size
        idx = []
        for e in range(self.epochs):
            order = np.asarray(jax.random.permutation(jax.random.fold_in(self.keys.shuffle, e), n_train))
            idx.append(order[: self.steps_per_epoch * bs].reshape(self.steps_per_epoch, bs))
        self.batch_index = np.stack(idx).astype(np.int32)  # (epochs, steps, batch)
        self.train_images = (ds.train_images.astype(np.float32) * np.float32(1.0 / 255.0))
        self.train_labels = np.asarray(ds.train_labels, np.int32)
        self.test_images = (ds.test_images.astype(np.float32) * np.float32(1.0 / 255.0))
        self.test_labels = np.asarray(ds.test_labels, np.int32)
        self.trainer = trainer_lib.Trainer(config, self.input_shape, self.steps_per_epoch, self.keys)
        self.layer_names = self.trainer.layer_names
        t = config.train
        self.schedule = optim_lib.step_decay_schedule(t.learning_rate, t.lr_decay_epochs, t.lr_decay_factor,
                                                      self.steps_per_epoch)
        self._init_cache: dict = {}

    def member_keys(self, seed: int, vary_init: bool) -> tuple[jax.Array, jax.Array]:
        """(init key, optimiser key) of population seed ``seed``."""
        init = jax.random.fold_in(self.keys.init, seed) if vary_init else self.keys.init
        return init, jax.random.fold_in(self.keys.optim, seed)

    def init_params(self, init_key: jax.Array) -> PyTree:
        """The network's initial parameters drawn with ``init_key`` (as the Trainer draws them)."""
        from flax import nnx

        from cimjax import nn as nn_lib

        c = self.config
        model = nn_lib.create_model(c.model, c.quant, self.input_shape, rngs=nnx.Rngs(params=init_key),
                                    arrays=nn_lib.layer_arrays(c))
        _, params, _ = nnx.split(model, nnx.Param, ...)
        return params

    def seed_params(self, seed: int, vary_init: bool) -> PyTree:
        """Initial parameters of population seed ``seed`` (cached)."""
        k = (int(seed), bool(vary_init))
        if k not in self._init_cache:
            self._init_cache[k] = self.init_params(self.member_keys(seed, vary_init)[0])
        return self._init_cache[k]

    def optimizer(self, dev: Mapping, key: jax.Array, *, ideal: bool) -> optax.GradientTransformation:
        """NeuroSim's optimiser (:func:`cimjax.optim.neurosim_optimizer`) with traced device values."""
        from cimjax import optim as optim_lib

        c = self.config
        return optax.chain(
            optim_lib.neurosim_momentum(c.train.momentum, c.train.alpha, c.train.momentum_renorm),
            optim_lib.device_update(
                self.schedule, key=key, nl_ltp=dev["nl_ltp"], nl_ltd=dev["nl_ltd"], max_level=dev["max_level"],
                c2c_sigma=0.0 if ideal else dev["c2c_sigma"], d2d_sigma=dev["d2d_sigma"],
                c2c_mode=c.device.c2c_mode, weight_bits=c.quant.weight_bits, gradient_bits=c.quant.gradient_bits,
                ideal=ideal,
            ),
        )

    # -- one member (unbatched); vmapped by batched_program --------------------------------

    def member_functions(self, *, ideal: bool):
        """The pure functions of one member's training, shared by the whole-run program
        (:meth:`train_member`, ``lax.scan``) and the step-by-step driver (:class:`StepwiseProgram`):

        * ``init(params0, dev, opt_key) -> carry``, ``carry = (params, optimiser state,
          write statistics (4, layers))``;
        * ``step(carry, dev, opt_key, data, t, idx, epoch) -> (carry, loss)``: training step ``t``
          (global index) on the images ``idx`` of the training set, in epoch ``epoch``;
        * ``accuracy(params, data) -> %`` on the test set.

        The optimiser is rebuilt from ``(dev, opt_key)`` in every call: it is a pure function of
        them and of its state, so the two drivers give the same numbers."""
        from cimjax import data as data_lib
        from cimjax import optim as optim_lib

        c, tr = self.config, self.trainer
        dtype = jnp.result_type(float)
        hw = c.hardware
        n_per_epoch = self.steps_per_epoch
        last_epoch = self.epochs - 1

        def device(dev):
            return {k: jnp.asarray(v, jnp.int32 if k == "max_level" else dtype) for k, v in dev.items()}

        def init(params0, dev, opt_key):
            tx = self.optimizer(device(dev), opt_key, ideal=ideal)
            return params0, tx.init(params0), jnp.zeros((len(trace_lib.WriteStats._fields), len(self.layer_names)),
                                                         jnp.float32)

        def write_stats(new, old, levels):
            rows = []
            for name in self.layer_names:
                st = trace_lib.weight_update_stats(
                    trace_lib.weight_matrix(jnp.asarray(new[name]["kernel"][...])),
                    trace_lib.weight_matrix(jnp.asarray(old[name]["kernel"][...])),
                    max_levels=levels, subarray_rows=hw.subarray_rows, subarray_cols=hw.subarray_cols)
                rows.append(jnp.stack(st))
            return jnp.stack(rows, axis=1).astype(jnp.float32)  # (trace.WriteStats fields, layers)

        def step(carry, dev, opt_key, data, t, idx, epoch):
            dev = device(dev)
            tx = self.optimizer(dev, opt_key, ideal=ideal)
            params, opt_state, stats = carry
            train_images, train_labels = data[0], data[1]
            if c.train.reset_momentum_each_epoch:  # NeuroSim zeroes the velocity at each epoch start
                keep = (t % n_per_epoch) != 0
                opt_state = jax.tree.map(
                    lambda node: optim_lib.NeuroSimMomentumState(
                        jax.tree.map(lambda v: jnp.where(keep, v, jnp.zeros_like(v)), node.velocity))
                    if isinstance(node, optim_lib.NeuroSimMomentumState) else node,
                    opt_state, is_leaf=lambda node: isinstance(node, optim_lib.NeuroSimMomentumState))
            images = jnp.take(train_images, idx, axis=0)
            labels = jnp.take(train_labels, idx, axis=0)
            if c.data.augment:
                images = data_lib.augment_batch(jax.random.fold_in(tr.step_key, t), images)

            def loss_of(p):
                return tr.loss(tr._logits(p, images), labels, c.model.num_classes)

            loss, grads = jax.value_and_grad(loss_of)(params)
            updates, opt_state = tx.update(grads, opt_state, params)
            new = optax.apply_updates(params, updates)
            # Only the last epoch's updates are counted; the predicate is not batched, so under
            # vmap this stays a real branch and the other epochs skip the statistics.
            levels = dev["max_level"].astype(dtype)
            stats = jax.lax.cond(epoch == last_epoch,
                                 lambda: stats + write_stats(new, params, levels) / n_per_epoch, lambda: stats)
            return (new, opt_state, stats), loss

        def accuracy(params, data):
            test_images, test_labels = data[2], data[3]
            n_test = test_labels.shape[0]
            eb = min(int(c.data.eval_batch_size), n_test)
            nb = -(-n_test // eb)
            pad = nb * eb - n_test
            test_x = jnp.pad(test_images, ((0, pad),) + ((0, 0),) * (test_images.ndim - 1))
            test_x = test_x.reshape((nb, eb) + test_images.shape[1:])
            test_y = jnp.pad(test_labels, (0, pad)).reshape(nb, eb)
            test_m = (jnp.arange(nb * eb) < n_test).reshape(nb, eb)

            def correct(xs):
                x, y, m = xs
                return jnp.sum((jnp.argmax(tr._logits(params, x), -1) == y) & m)

            return 100.0 * jnp.sum(jax.lax.map(correct, (test_x, test_y, test_m))) / n_test

        return init, step, accuracy

    def train_member(self, params0, dev, opt_key, data, *, ideal: bool):
        """Train one member from ``params0`` in one program (``lax.scan`` over epochs and steps);
        returns (final params, accuracy per epoch (%), mean train loss per epoch, mean write
        statistics (4, layers) of the last epoch). On a CPU, XLA runs the convolutions of a
        ``scan`` body about 12× slower than the same step compiled alone (benchmarks/README.md,
        "Many small trainings"): :class:`StepwiseProgram` drives the same functions step by step."""
        init, step, accuracy = self.member_functions(ideal=ideal)
        n_per_epoch = self.steps_per_epoch
        batch_index = data[4]

        def epoch_fn(carry, xs):
            e, idx = xs
            t = e * n_per_epoch + jnp.arange(n_per_epoch, dtype=jnp.int32)

            def one(carry, xs):
                return step(carry, dev, opt_key, data, *xs)

            carry, losses = jax.lax.scan(one, carry, (t, idx, jnp.full((n_per_epoch,), e, jnp.int32)))
            return carry, (accuracy(carry[0], data), jnp.mean(losses))

        epochs = jnp.arange(self.epochs, dtype=jnp.int32)
        (params, _, stats), (acc, loss) = jax.lax.scan(epoch_fn, init(params0, dev, opt_key), (epochs, batch_index))
        return params, acc, loss, stats

    def member_trace(self, params, stats, first_image):
        """The estimator's trace fields ``(9, layers)``, in :class:`~cimjax.trace.Trace` order, of a
        trained member (cf. ``Trainer.hardware_trace``)."""
        tr = self.trainer
        activity, occupancy = jnp.clip(tr._input_stats(params, first_image), 0.0, 1.0).astype(jnp.float32)
        level = jnp.stack([trace_lib.weight_level(jnp.asarray(params[n]["kernel"][...])) for n in self.layer_names])
        write = jnp.concatenate([stats[:2], jnp.clip(stats[2:4], 0.0, 1.0)]).astype(jnp.float32)
        return jnp.concatenate([activity[None], level[None].astype(jnp.float32), write, occupancy[None],
                                stats[4:].astype(jnp.float32)])

    @functools.cached_property
    def data(self):
        """The data as device arrays (train images, labels, test images, labels, batch order)."""
        return (jnp.asarray(self.train_images), jnp.asarray(self.train_labels), jnp.asarray(self.test_images),
                jnp.asarray(self.test_labels), jnp.asarray(self.batch_index))


@functools.lru_cache(maxsize=4)
def setup_for(config: Config) -> Setup:
    """The :class:`Setup` of ``config`` (cached: repeated studies of one config share the
    loaded data and the compiled programs)."""
    return Setup(config)


class StepwiseProgram:
    """A member's (or a batch of members') whole training, driven step by step from Python:
    one compiled step, one compiled evaluation and one compiled trace, called
    ``epochs × steps_per_epoch``, ``epochs`` and once. Same numbers as :meth:`Setup.train_member`
    (the same :meth:`Setup.member_functions`), but each step is its own XLA program: XLA on a CPU
    runs a ``lax.scan`` body's convolutions about 12× slower than the same step compiled alone
    (VGG-8 ×0.125 at batch 200 on the 2-core VM: 7.3 s of CPU per step in a 4-step scan, 0.63 s
    unrolled or alone; benchmarks/README.md, "Many small trainings").

    Called as ``program(params0, dev, opt_key, data, first_image)``; returns ``(accuracy per
    epoch, mean loss per epoch, trace (9, layers))`` and, with ``keep_params``, the final
    parameters. With ``batched``, every argument but ``data`` and ``first_image`` has a leading
    member axis (``vmap`` of each function), and so has every output.
    """

    def __init__(self, setup: Setup, ideal: bool, *, batched: bool, keep_params: bool = False):
        init, step, accuracy = setup.member_functions(ideal=ideal)

        def trace(carry, first_image):
            return setup.member_trace(carry[0], carry[2], first_image)

        if batched:
            init = jax.vmap(init, in_axes=(0, 0, 0))
            step = jax.vmap(step, in_axes=(0, 0, 0, None, None, None, None))
            accuracy = jax.vmap(accuracy, in_axes=(0, None))
            trace = jax.vmap(trace, in_axes=(0, None))
        self.setup, self.keep_params, self.batched = setup, keep_params, batched
        self._init, self._step = jax.jit(init), jax.jit(step)
        self._accuracy, self._trace = jax.jit(accuracy), jax.jit(trace)

    def __call__(self, params0, dev, opt_key, data, first_image):
        s = self.setup
        batch_index = data[4]
        carry = self._init(params0, dev, opt_key)
        accs, losses = [], []
        for e in range(s.epochs):
            epoch = jnp.asarray(e, jnp.int32)
            epoch_losses = []
            for i in range(s.steps_per_epoch):
                t = jnp.asarray(e * s.steps_per_epoch + i, jnp.int32)
                carry, loss = self._step(carry, dev, opt_key, data, t, batch_index[e, i], epoch)
                epoch_losses.append(loss)
            losses.append(jnp.mean(jnp.stack(epoch_losses), axis=0))
            accs.append(self._accuracy(carry[0], data))
        axis = 1 if self.batched else 0
        out = (jnp.stack(accs, axis=axis), jnp.stack(losses, axis=axis), self._trace(carry, first_image))
        return out + (carry[0],) if self.keep_params else out


@functools.lru_cache(maxsize=16)
def batched_program(setup: Setup, ideal: bool, keep_params: bool = False) -> StepwiseProgram:
    """The vmapped members' training, step by step (:class:`StepwiseProgram`), over (params0,
    device values, optimiser key); data shared."""
    return StepwiseProgram(setup, ideal, batched=True, keep_params=keep_params)


@functools.lru_cache(maxsize=8)
def _single_fn(setup: Setup, ideal: bool):
    """One member without vmap (:func:`train_single`): the whole run as one program
    (``lax.scan``), an independent driver of :meth:`Setup.member_functions` against which the
    tests check the step-by-step :class:`StepwiseProgram`."""
    return jax.jit(lambda p, d, k, data: setup.train_member(p, d, k, data, ideal=ideal))


def train_single(config: Config, setting: Mapping, seed: int = 0, *, vary_init: bool = True,
                 ideal: bool = False) -> tuple[np.ndarray, PyTree]:
    """One member trained without ``vmap`` (the reference the tests compare the batch with).

    Returns:
      ``(accuracy per epoch (%), final params)``.
    """
    setting = {k: v[0] for k, v in check_settings({k: [setting[k]] for k in DEVICE_PARAMS}).items()}
    seed = check_seeds([seed])[0]
    setup = setup_for(config)
    init_key, opt_key = setup.member_keys(seed, vary_init)
    params0 = setup.init_params(init_key)
    fn = _single_fn(setup, bool(ideal))
    params, acc, _, _ = fn(params0, {k: jnp.asarray(v) for k, v in setting.items()}, opt_key, setup.data)
    return np.asarray(acc), params
