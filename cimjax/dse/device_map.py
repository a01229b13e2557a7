"""Accuracy maps of device specs: one vmapped short training over a batch of devices.

NeuroSim's device-spec study (docs/model.md §7.3) asks which nonlinearity, cycle-to-cycle noise,
device-to-device spread and number of states keep on-chip training within a few points
of the ideal device. Here every (device setting, population seed) pair is one *member* of
a flat batch, and the whole batch is trained by one jitted, ``vmap``-ped program
(:mod:`cimjax.dse.device_train`), cut into fixed-size chunks (the last padded) so it
compiles once. The grids of settings are :mod:`cimjax.dse.device_grid`'s. The ideal baseline
(WAGE's update, no c2c) is trained in the same run for every seed, so accuracy drops are
paired per seed.

Besides test accuracy (per epoch), each member records the estimator's
:class:`~cimjax.trace.Trace` of its run. :func:`cimjax.dse.device_map_joint.joint_objective`
feeds those traces, and the member's ``max_level``, into one ``vmap``-ped
:func:`cimjax.hw.chip.estimate` (one compile) and ranks the settings by
``error + λ·energy/energy_ref``.

Validity: the accuracy model is NeuroSim V2.0's training path (docs/model.md §1, §2.4–§2.6) for the
config's network; short trainings of width-scaled networks show the *ranking* of device
specs and their trends, not the paper's absolute VGG-8/CIFAR-10 accuracies.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Mapping, Optional, Sequence, Union

import jax
import jax.numpy as jnp
import numpy as np

from cimjax import trace as trace_lib
from cimjax.config import Config
from cimjax.dse.device_grid import DEVICE_PARAMS, DeviceGrid, check_seeds, check_settings, concat_grids
from cimjax.dse.device_train import batched_program, setup_for
from cimjax.parallel import DataParallel


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
    shard: bool = True,
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
        requires (one device per weight, docs/model.md §2.6); members are grouped by that static
        value, one compile per group. The ideal baseline keeps the config's bits. Off: every
        member uses the config's bits (``max_level`` then only sets the pulse arithmetic).
      keep_params: keep every member's final parameters (``result.params[i][j]``).
      shard: split each chunk's members over every local JAX device when there are several
        (:mod:`cimjax.parallel`; a chunk is padded to a multiple of the device count). Each member
        runs the same program on one device, so the numbers do not depend on the sharding.
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
        settings, panels = concat_grids(grids)
    seeds = check_seeds(seeds)
    if isinstance(chunk, bool) or not isinstance(chunk, (int, np.integer)) or chunk < 1:
        raise ValueError(f"chunk = {chunk!r} is invalid: expected a positive integer")

    n_set, n_seed = len(settings["max_level"]), len(seeds)
    bits = bits_of_levels(settings["max_level"]) if bits_from_levels else np.full(n_set, -1, np.int64)
    groups = sorted(set(bits.tolist()))
    group_configs = {b: config if b < 0 else config_for_bits(config, b) for b in groups}
    base_setup = setup_for(config)
    members = [(i, j) for i in range(n_set) for j in range(n_seed)]
    kept = [[None] * n_seed for _ in range(n_set)]
    n_layers = len(base_setup.layer_names)
    acc = np.zeros((n_set, n_seed, base_setup.epochs))
    loss = np.zeros((n_set, n_seed, base_setup.epochs))
    trace = np.zeros((n_set, n_seed, len(trace_lib.Trace._fields), n_layers))
    dtype = jnp.result_type(float)
    par = DataParallel(jax.local_devices()) if shard else DataParallel()
    if progress:
        log(f"device map: {n_set} settings × {n_seed} seeds = {len(members)} members, {base_setup.total_steps} "
            f"steps each ({base_setup.epochs} epochs × {base_setup.steps_per_epoch}), chunks of ≤ {chunk}"
            + (f", {len(groups)} weight-bit groups {groups}" if bits_from_levels else ""))

    def stack(trees):
        return jax.tree.map(lambda *xs: jnp.stack(xs), *trees)

    def run_chunk(setup, fn, rows, size):
        """rows: list of (dev dict, seed); padded to ``size`` (rounded up to a multiple of the
        device count) with the last row; the members are split over the devices."""
        size = -(-size // par.n) * par.n
        pad = rows + [rows[-1]] * (size - len(rows))
        params0 = stack([setup.seed_params(s, vary_init) for _, s in pad])
        dev = {k: jnp.asarray([d[k] for d, _ in pad], jnp.int32 if k == "max_level" else dtype) for k in DEVICE_PARAMS}
        keys = jnp.stack([setup.member_keys(s, vary_init)[1] for _, s in pad])
        params0, dev, keys = par.shard((params0, dev, keys))
        data, image = par.replicate((setup.data, jnp.asarray(setup.test_images[0])))
        out = jax.device_get(fn(params0, dev, keys, data, image))
        return [jax.tree.map(lambda x: np.asarray(x)[: len(rows)], o) for o in out]

    chunks = []
    done = 0
    for b in groups:
        setup = setup_for(group_configs[b])
        fn = batched_program(setup, ideal=False, keep_params=keep_params)
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
        fn_ideal = batched_program(base_setup, ideal=True, keep_params=False)
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
              "members": len(members), "chunks": chunks, "member_steps_per_s_compiled": rate, "devices": par.n}
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
    """NeuroSim's ``cellBit = floor(log2(max_level))`` (docs/model.md §2.6), as weight and gradient
    bits of a device with ``levels`` states (clipped to [1, 8], the cell-bit range)."""
    levels = np.asarray(levels, np.int64)
    return np.clip(np.floor(np.log2(np.maximum(levels, 2)) + 1e-9).astype(np.int64), 1, 8)


def config_for_bits(config: Config, bits: int) -> Config:
    """``config`` with weight and gradient bits and the cell bits set to ``bits`` (one
    device per weight, NeuroSim's ``wl_weight = wl_grad = cellBit``, docs/model.md §2.6)."""
    from cimjax.config import replace

    return replace(config, quant={"weight_bits": int(bits), "gradient_bits": int(bits)},
                   hardware={"cell_bits": int(bits)})
