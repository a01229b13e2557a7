"""Accuracy maps of device specs: one vmapped short training over a batch of devices (issue 5, item 5).

NeuroSim's device-spec study (spec §7.3) asks which nonlinearity, cycle-to-cycle noise,
device-to-device spread and number of states keep on-chip training within a few points
of the ideal device. Here every (device setting, population seed) pair is one *member* of
a flat batch, and the whole batch is trained in one jitted, ``vmap``-ped program:

* the device parameters ``nl_ltp``, ``nl_ltd``, ``max_level``, ``c2c_sigma`` and
  ``d2d_sigma`` enter :func:`cimjax.optim.device_update` as traced scalars (one per
  member), so one compile serves any grid;
* every member sees the same data batches (the config's shuffle order, as
  :func:`cimjax.train.train_and_evaluate` draws it) and runs the same step as
  :class:`cimjax.trainer.Trainer` (WAGE network, loss, NeuroSim momentum with the epoch
  reset, step-decay schedule, device update); ``lax.scan`` over steps, epochs;
* a member's seed ``s`` draws its device population and update noise (d2d draw, SR and c2c
  streams) from ``fold_in(optim_key, s)`` and, with ``vary_init``, its initial weights from
  ``fold_in(init_key, s)``; all keys derive from ``config.run.seed``
  (:func:`cimjax.trainer.make_keys`), so the same config and seeds give the same numbers;
* the ideal baseline (``device_update(ideal=True)``, WAGE's update ``d = lr·x̂``, no c2c)
  is trained in the same run for every seed, so accuracy drops are paired per seed;
* the batch is cut into fixed-size chunks (the last padded), so it compiles once.

Besides test accuracy (per epoch), each member records the estimator's
:class:`~cimjax.trace.Trace` of its run (input activity, read occupancy and conductance
level of the final weights on the first test image, NeuroSim's write statistics averaged over
the last epoch's updates, with the member's own ``max_level``).
:func:`cimjax.dse.device_map_joint.joint_objective` feeds those
traces, and the member's ``max_level``, into one ``vmap``-ped :func:`cimjax.hw.chip.estimate`
(one compile) and ranks the settings by ``error + λ·energy/energy_ref``.

Validity: the accuracy model is NeuroSim V2.0's training path (spec §1, §2.4–§2.6) for the
config's network; short trainings of width-scaled networks show the *ranking* of device
specs and their trends, not the paper's absolute VGG-8/CIFAR-10 accuracies.
"""

from __future__ import annotations

import dataclasses
import functools
import time
from typing import Any, Mapping, Optional, Sequence, Union

import jax
import jax.numpy as jnp
import numpy as np
import optax

from cimjax import trace as trace_lib
from cimjax.config import Config, ConfigError
from cimjax.dse.device_grid import (  # noqa: F401  (re-exported: the public grid API)
    AXES, AXIS_DOC, DEVICE_PARAMS, DROP_COLOR_MAX, RANGES, DeviceGrid, check_seeds, check_settings, check_value,
    device_grid, _concat,
)

PyTree = Any

# --------------------------------------------------------------------------------------
# The training program
# --------------------------------------------------------------------------------------


class _Setup:
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
                                    array=c.array, hardware=c.hardware)
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

    # -- one member (unbatched); vmapped by _batched_fn ------------------------------------

    def train_member(self, params0, dev, opt_key, data, *, ideal: bool):
        """Train one member from ``params0``; returns (final params, accuracy per epoch (%),
        mean train loss per epoch, mean write statistics (4, layers) of the last epoch)."""
        from cimjax import data as data_lib
        from cimjax import optim as optim_lib

        c, tr = self.config, self.trainer
        train_images, train_labels, test_images, test_labels, batch_index = data
        dtype = jnp.result_type(float)
        dev = {k: jnp.asarray(v, jnp.int32 if k == "max_level" else dtype) for k, v in dev.items()}
        levels = dev["max_level"].astype(dtype)
        tx = self.optimizer(dev, opt_key, ideal=ideal)
        opt_state = tx.init(params0)
        hw = c.hardware
        n_per_epoch = self.steps_per_epoch
        last_epoch = self.epochs - 1

        def write_stats(new, old):
            rows = []
            for name in self.layer_names:
                s = trace_lib.weight_update_stats(
                    trace_lib.weight_matrix(jnp.asarray(new[name]["kernel"][...])),
                    trace_lib.weight_matrix(jnp.asarray(old[name]["kernel"][...])),
                    max_levels=levels, subarray_rows=hw.subarray_rows, subarray_cols=hw.subarray_cols)
                rows.append(jnp.stack(s))
            return jnp.stack(rows, axis=1).astype(jnp.float32)  # (4, layers)

        def step(carry, xs):
            params, opt_state, stats = carry
            t, idx, epoch = xs
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
            stats = jax.lax.cond(epoch == last_epoch,
                                 lambda: stats + write_stats(new, params) / n_per_epoch, lambda: stats)
            return (new, opt_state, stats), loss

        n_test = test_labels.shape[0]
        eb = min(int(c.data.eval_batch_size), n_test)
        nb = -(-n_test // eb)
        pad = nb * eb - n_test
        test_x = jnp.pad(test_images, ((0, pad),) + ((0, 0),) * (test_images.ndim - 1))
        test_x = test_x.reshape((nb, eb) + test_images.shape[1:])
        test_y = jnp.pad(test_labels, (0, pad)).reshape(nb, eb)
        test_m = (jnp.arange(nb * eb) < n_test).reshape(nb, eb)

        def accuracy(params):
            def correct(xs):
                x, y, m = xs
                return jnp.sum((jnp.argmax(tr._logits(params, x), -1) == y) & m)

            return 100.0 * jnp.sum(jax.lax.map(correct, (test_x, test_y, test_m))) / n_test

        def epoch_fn(carry, xs):
            e, idx = xs
            t = e * n_per_epoch + jnp.arange(n_per_epoch, dtype=jnp.int32)
            carry, losses = jax.lax.scan(step, carry, (t, idx, jnp.full((n_per_epoch,), e, jnp.int32)))
            return carry, (accuracy(carry[0]), jnp.mean(losses))

        stats0 = jnp.zeros((4, len(self.layer_names)), jnp.float32)
        epochs = jnp.arange(self.epochs, dtype=jnp.int32)
        (params, _, stats), (acc, loss) = jax.lax.scan(epoch_fn, (params0, opt_state, stats0), (epochs, batch_index))
        return params, acc, loss, stats

    def member_trace(self, params, stats, first_image):
        """The estimator's trace fields ``(7, layers)``, in :class:`~cimjax.trace.Trace` order, of a
        trained member (cf. ``Trainer.hardware_trace``)."""
        tr = self.trainer
        activity, occupancy = jnp.clip(tr._input_stats(params, first_image), 0.0, 1.0).astype(jnp.float32)
        level = jnp.stack([trace_lib.weight_level(jnp.asarray(params[n]["kernel"][...])) for n in self.layer_names])
        write = jnp.concatenate([stats[:2], jnp.clip(stats[2:], 0.0, 1.0)]).astype(jnp.float32)
        return jnp.concatenate([activity[None], level[None].astype(jnp.float32), write, occupancy[None]])

    @functools.cached_property
    def data(self):
        """The data as device arrays (train images, labels, test images, labels, batch order)."""
        return (jnp.asarray(self.train_images), jnp.asarray(self.train_labels), jnp.asarray(self.test_images),
                jnp.asarray(self.test_labels), jnp.asarray(self.batch_index))


@functools.lru_cache(maxsize=4)
def _setup_for(config: Config) -> _Setup:
    """The :class:`_Setup` of ``config`` (cached: repeated studies of one config share the
    loaded data and the compiled programs)."""
    return _Setup(config)


@functools.lru_cache(maxsize=16)
def _batched_fn(setup: _Setup, ideal: bool, keep_params: bool = False):
    """jit(vmap(member)) over (params0, device values, optimiser key); data shared."""

    def member(params0, dev, key, data, first_image):
        params, acc, loss, stats = setup.train_member(params0, dev, key, data, ideal=ideal)
        out = (acc, loss, setup.member_trace(params, stats, first_image))
        return out + (params,) if keep_params else out

    return jax.jit(jax.vmap(member, in_axes=(0, 0, 0, None, None)))


@functools.lru_cache(maxsize=8)
def _single_fn(setup: _Setup, ideal: bool):
    """jit(member) without vmap (:func:`train_single`)."""
    return jax.jit(lambda p, d, k, data: setup.train_member(p, d, k, data, ideal=ideal))


# --------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------

@dataclasses.dataclass
class DeviceMapResult:
    """Accuracy of every (setting, seed) member, the ideal baseline and the members' traces.

    Attributes:
      settings: :data:`DEVICE_PARAMS` → (N,) values (``max_level`` int).
      seeds: the population seeds (S).
      accuracy: (N, S) final test accuracy in %.
      accuracy_history: (N, S, epochs) test accuracy after every epoch, %.
      train_loss: (N, S, epochs) mean training loss per epoch.
      ideal_accuracy: (S,) final test accuracy of the ideal update per seed (None if not run).
      ideal_history: (S, epochs).
      trace: (N, S, 7, layers) estimator trace fields (in :class:`~cimjax.trace.Trace` order) per member.
      panels: the grids: ``{"name", "axes": [[axis, values]…], "indices"}`` (indices into N).
      steps: training steps per member; epochs, steps_per_epoch.
      timing: seconds (``compile_s``, ``train_s``, ``total_s``) and throughput.
      info: the data and network description.
      params: with ``keep_params``, ``params[i][j]`` = final parameters of setting i, seed j.
      weight_bits: with ``bits_from_levels``, (N,) weight/gradient/cell bits of each setting.
    """

    settings: dict
    seeds: tuple
    accuracy: np.ndarray
    accuracy_history: np.ndarray
    train_loss: np.ndarray
    ideal_accuracy: Optional[np.ndarray]
    ideal_history: Optional[np.ndarray]
    trace: np.ndarray
    panels: list
    steps: int
    epochs: int
    steps_per_epoch: int
    layer_names: tuple
    timing: dict
    info: dict
    params: Optional[list] = None
    weight_bits: Optional[np.ndarray] = None

    @property
    def num_settings(self) -> int:
        return len(self.settings["max_level"])

    @property
    def accuracy_mean(self) -> np.ndarray:
        return self.accuracy.mean(axis=1)

    @property
    def accuracy_std(self) -> np.ndarray:
        """Sample standard deviation over seeds (0 for one seed)."""
        return self.accuracy.std(axis=1, ddof=1) if len(self.seeds) > 1 else np.zeros(self.num_settings)

    @property
    def drop(self) -> Optional[np.ndarray]:
        """(N, S) accuracy drop against the ideal update of the same seed, in points."""
        return None if self.ideal_accuracy is None else self.ideal_accuracy[None, :] - self.accuracy

    @property
    def ideal_mean(self) -> Optional[float]:
        return None if self.ideal_accuracy is None else float(self.ideal_accuracy.mean())

    def setting(self, i: int) -> dict:
        return {k: (int(v[i]) if k == "max_level" else float(v[i])) for k, v in self.settings.items()}

    def to_dict(self) -> dict:
        """JSON-ready summary (per setting: values, accuracies per seed, mean, std, drop)."""
        rows = []
        drop = self.drop
        for i in range(self.num_settings):
            row = {**self.setting(i), "accuracy": self.accuracy[i].tolist(),
                   "weight_bits": None if self.weight_bits is None else int(self.weight_bits[i]),
                   "accuracy_mean": float(self.accuracy_mean[i]), "accuracy_std": float(self.accuracy_std[i]),
                   "accuracy_history_mean": self.accuracy_history[i].mean(axis=0).tolist(),
                   "trace_mean": {f: self.trace[i, :, j].mean(axis=0).tolist()
                                  for j, f in enumerate(trace_lib.Trace._fields)}}
            if drop is not None:
                row["drop_mean"] = float(drop[i].mean())
            rows.append(row)
        return {
            "seeds": list(self.seeds), "steps": self.steps, "epochs": self.epochs,
            "steps_per_epoch": self.steps_per_epoch, "layers": list(self.layer_names),
            "ideal_accuracy": None if self.ideal_accuracy is None else self.ideal_accuracy.tolist(),
            "ideal_accuracy_mean": self.ideal_mean,
            "ideal_history_mean": None if self.ideal_history is None else self.ideal_history.mean(axis=0).tolist(),
            "panels": self.panels, "settings": rows, "timing": self.timing, "info": self.info,
        }


def run_device_map(
    config: Config,
    grids: Union[DeviceGrid, Sequence[DeviceGrid], Mapping[str, Sequence]],
    seeds: Sequence[int] = (0, 1),
    *,
    chunk: int = 64,
    include_ideal: bool = True,
    vary_init: bool = True,
    bits_from_levels: bool = False,
    keep_params: bool = False,
    progress: bool = True,
    log=print,
) -> DeviceMapResult:
    """Train every (setting, seed) member of ``grids`` × ``seeds`` in vmapped chunks.

    Args:
      config: the experiment (data, model, quant, train schedule: ``train.epochs`` ×
        steps per epoch is the training length; ``train.optimizer`` must be ``neurosim``;
        ``device.c2c_mode`` is used for every member; ``run.seed`` roots every key).
      grids: one or more :class:`DeviceGrid` (concatenated in order), or the flat
        settings themselves (a mapping of every :data:`DEVICE_PARAMS` to equal-length lists).
      seeds: population seeds (distinct non-negative ints); member keys are
        ``fold_in(key, seed)`` of the config's optimiser (and, with ``vary_init``, init) key.
      chunk: most members per vmapped call; a group of M members runs in ``⌈M/chunk⌉`` equal
        chunks (the last one padded; one compile per group).
      include_ideal: also train the ideal update for every seed.
      vary_init: draw the initial weights per seed too (else only the device population
        and update noise differ between seeds).
      bits_from_levels: give each member the weight and gradient bits (and cell bits)
        ``floor(log2(max_level))`` of its device (:func:`config_for_bits`), as NeuroSim
        requires (one device per weight, spec §2.6); members are grouped by that static
        value, one compile per group. The ideal baseline keeps the config's bits. Off: every
        member uses the config's bits (``max_level`` then only sets the pulse arithmetic).
      keep_params: keep every member's final parameters (``result.params[i][j]``).
      progress: log each chunk.
      log: where progress lines go.

    Returns:
      The :class:`DeviceMapResult`.

    Raises:
      ValueError: invalid settings or seeds (before any data is loaded or compiled);
      ConfigError: a config the study cannot run.
    """
    t_start = time.perf_counter()
    if isinstance(grids, DeviceGrid):
        grids = [grids]
    if isinstance(grids, Mapping):
        settings = check_settings(grids)
        panels = [{"name": "settings", "axes": [], "indices": list(range(len(settings["max_level"])))}]
    else:
        grids = list(grids)
        if not grids:
            raise ValueError("grids: the list is empty: expected at least one DeviceGrid")
        for g in grids:
            if not isinstance(g, DeviceGrid):
                raise ValueError(f"grids: expected DeviceGrid objects (from device_grid), got {type(g).__name__}")
        settings, panels = _concat(grids)
    seeds = check_seeds(seeds)
    if isinstance(chunk, bool) or not isinstance(chunk, (int, np.integer)) or chunk < 1:
        raise ValueError(f"chunk = {chunk!r} is invalid: expected a positive integer")

    n_set, n_seed = len(settings["max_level"]), len(seeds)
    bits = bits_of_levels(settings["max_level"]) if bits_from_levels else np.full(n_set, -1, np.int64)
    groups = sorted(set(bits.tolist()))
    group_configs = {b: config if b < 0 else config_for_bits(config, b) for b in groups}
    base_setup = _setup_for(config)
    members = [(i, j) for i in range(n_set) for j in range(n_seed)]
    kept = [[None] * n_seed for _ in range(n_set)]
    n_layers = len(base_setup.layer_names)
    acc = np.zeros((n_set, n_seed, base_setup.epochs))
    loss = np.zeros((n_set, n_seed, base_setup.epochs))
    trace = np.zeros((n_set, n_seed, len(trace_lib.Trace._fields), n_layers))
    dtype = jnp.result_type(float)
    if progress:
        log(f"device map: {n_set} settings × {n_seed} seeds = {len(members)} members, {base_setup.total_steps} "
            f"steps each ({base_setup.epochs} epochs × {base_setup.steps_per_epoch}), chunks of ≤ {chunk}"
            + (f", {len(groups)} weight-bit groups {groups}" if bits_from_levels else ""))

    def stack(trees):
        return jax.tree.map(lambda *xs: jnp.stack(xs), *trees)

    def run_chunk(setup, fn, rows, size):
        """rows: list of (dev dict, seed); padded to ``size`` with the last row."""
        pad = rows + [rows[-1]] * (size - len(rows))
        params0 = stack([setup.seed_params(s, vary_init) for _, s in pad])
        dev = {k: jnp.asarray([d[k] for d, _ in pad], jnp.int32 if k == "max_level" else dtype) for k in DEVICE_PARAMS}
        keys = jnp.stack([setup.member_keys(s, vary_init)[1] for _, s in pad])
        out = jax.device_get(fn(params0, dev, keys, setup.data, jnp.asarray(setup.test_images[0])))
        return [jax.tree.map(lambda x: np.asarray(x)[: len(rows)], o) for o in out]

    chunks = []
    done = 0
    for b in groups:
        setup = _setup_for(group_configs[b])
        fn = _batched_fn(setup, ideal=False, keep_params=keep_params)
        group = [(i, j) for i, j in members if bits[i] == b]
        # Equal chunks of at most ``chunk`` members (the last one padded by fewer members).
        n_chunks = -(-len(group) // int(chunk))
        size = -(-len(group) // n_chunks)
        for start in range(0, len(group), size):
            block = group[start:start + size]
            rows = [({k: settings[k][i] for k in DEVICE_PARAMS}, seeds[j]) for i, j in block]
            t0 = time.perf_counter()
            a, lo, tr, *ps = run_chunk(setup, fn, rows, size)
            dt = time.perf_counter() - t0
            chunks.append({"weight_bits": None if b < 0 else b, "members": len(block), "size": size,
                           "first_of_group": start == 0, "seconds": dt})
            for m, (i, j) in enumerate(block):
                acc[i, j], loss[i, j], trace[i, j] = a[m], lo[m], tr[m]
                if keep_params:
                    kept[i][j] = jax.tree.map(lambda x: x[m], ps[0])
            done += len(block)
            if progress:
                log(f"  members {done}/{len(members)}{'' if b < 0 else f' ({b}-bit group)'}: {dt:.1f} s "
                    f"(mean final accuracy of the chunk {a[:, -1].mean():.2f} %)")

    ideal_acc = ideal_hist = None
    t_ideal = 0.0
    if include_ideal:
        ref = {k: settings[k][0] for k in DEVICE_PARAMS}
        fn_ideal = _batched_fn(base_setup, ideal=True, keep_params=False)
        t0 = time.perf_counter()
        a, _, _ = run_chunk(base_setup, fn_ideal, [(ref, s) for s in seeds], n_seed)
        ideal_hist, ideal_acc = a, a[:, -1]
        t_ideal = time.perf_counter() - t0
        if progress:
            log(f"  ideal update: {', '.join(f'{x:.2f}' for x in ideal_acc)} % ({t_ideal:.1f} s)")
    total = time.perf_counter() - t_start
    # A group's first chunk includes its compile; later chunks of the same size run compiled.
    steady = [c for c in chunks if not c["first_of_group"]]
    rate = (sum(c["size"] for c in steady) * base_setup.total_steps / sum(c["seconds"] for c in steady)
            if steady else None)
    timing = {"total_s": total, "train_s": sum(c["seconds"] for c in chunks), "ideal_s": t_ideal,
              "members": len(members), "chunks": chunks, "member_steps_per_s_compiled": rate}
    info = {"data": base_setup.description, "model": dataclasses.asdict(config.model),
            "quant": dataclasses.asdict(config.quant), "train": dataclasses.asdict(config.train),
            "c2c_mode": config.device.c2c_mode, "seed": config.run.seed, "vary_init": vary_init,
            "bits_from_levels": bits_from_levels, "jax_device": jax.devices()[0].device_kind,
            "num_weights": int(sum(int(np.prod(p.shape))
                                   for p in jax.tree.leaves(base_setup.trainer.initial_state.params)))}
    weight_bits = np.full(n_set, -1, np.int64) if not bits_from_levels else bits
    return DeviceMapResult(
        settings=settings, seeds=seeds, accuracy=acc[:, :, -1], accuracy_history=acc, train_loss=loss,
        ideal_accuracy=ideal_acc, ideal_history=ideal_hist, trace=trace, panels=panels,
        steps=base_setup.total_steps, epochs=base_setup.epochs, steps_per_epoch=base_setup.steps_per_epoch,
        layer_names=tuple(base_setup.layer_names), timing=timing, info=info,
        params=kept if keep_params else None,
        weight_bits=None if not bits_from_levels else weight_bits,
    )


def bits_of_levels(levels) -> np.ndarray:
    """NeuroSim's ``cellBit = floor(log2(max_level))`` (spec §2.6), as weight and gradient
    bits of a device with ``levels`` states (clipped to [1, 8], the cell-bit range)."""
    levels = np.asarray(levels, np.int64)
    return np.clip(np.floor(np.log2(np.maximum(levels, 2)) + 1e-9).astype(np.int64), 1, 8)


def config_for_bits(config: Config, bits: int) -> Config:
    """``config`` with weight and gradient bits and the cell bits set to ``bits`` (one
    device per weight, NeuroSim's ``wl_weight = wl_grad = cellBit``, spec §2.6)."""
    from cimjax.config import replace

    return replace(config, quant={"weight_bits": int(bits), "gradient_bits": int(bits)},
                   hardware={"cell_bits": int(bits)})


def train_single(config: Config, setting: Mapping, seed: int = 0, *, vary_init: bool = True,
                 ideal: bool = False) -> tuple[np.ndarray, PyTree]:
    """One member trained without ``vmap`` (the reference the tests compare the batch with).

    Returns:
      ``(accuracy per epoch (%), final params)``.
    """
    setting = {k: v[0] for k, v in check_settings({k: [setting[k]] for k in DEVICE_PARAMS}).items()}
    seed = check_seeds([seed])[0]
    setup = _setup_for(config)
    init_key, opt_key = setup.member_keys(seed, vary_init)
    params0 = setup.init_params(init_key)
    fn = _single_fn(setup, bool(ideal))
    params, acc, _, _ = fn(params0, {k: jnp.asarray(v) for k, v in setting.items()}, opt_key, setup.data)
    return np.asarray(acc), params


__all__ = [
    "AXES", "AXIS_DOC", "DEVICE_PARAMS", "DROP_COLOR_MAX", "RANGES", "DeviceGrid", "check_seeds", "check_settings",
    "check_value", "device_grid", "DeviceMapResult", "run_device_map", "bits_of_levels",
    "config_for_bits", "train_single",
]
