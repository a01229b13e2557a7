"""Training: the loop around the jitted program of :mod:`cimjax.trainer`, and the run directory.

``train_and_evaluate(config)`` is the library entry point the CLI, benchmarks and tests
call. Every key derives from ``config.run.seed`` (:func:`cimjax.trainer.make_keys`; per-epoch
and per-step keys are ``fold_in``s of its streams), so a run resumed from any checkpoint
replays exactly the numbers of an uninterrupted run.
"""

from __future__ import annotations

import functools
import os
import re
import time

import jax
import numpy as np
from tqdm.auto import tqdm

from cimjax import build as build_lib
from cimjax import data as data_lib
from cimjax import fileio
from cimjax import optim as optim_lib
from cimjax import parallel as parallel_lib
from cimjax.checkpoint import Checkpointer
from cimjax.config import Config, ConfigError, load_config, save_config
from cimjax.config.schema import ANALOG_ALGORITHMS, SECTIONS
from cimjax.errors import InputError, RunError
from cimjax.hw.algorithm_cost import measured_columns, measured_counts
from cimjax.hw.network import network_layers
from cimjax.interrupt import GracefulStop
from cimjax.report import plots
from cimjax.report.files import (NEUROSIM_OUTPUT_HEADER, EpochCsv, breakdown_rows, neurosim_output_row, write_csv,
                                 write_json)
from cimjax.report.mapping import mapping
from cimjax.report.tables import mapping_table
from cimjax import trace as trace_lib
from cimjax.trainer import Health, Trainer, healthy, layer_stats, make_keys, steps_per_epoch


def _estimate(config: Config, trainer: Trainer, trace: trace_lib.Trace, measured=None):
    """The chip estimate of ``config`` with this epoch's trace, and with ``measured`` (an in-situ
    rule's :class:`~cimjax.hw.algorithm_cost.MeasuredCounts` of the epoch) the rule's cost from
    them (:func:`cimjax.estimate.algorithm_estimate_build`), else None."""
    import dataclasses

    from cimjax.estimate import algorithm_estimate_build, estimate_build

    b = build_lib.build(config, layers=trainer.layers, trace=trace)
    est = jax.device_get(estimate_build(b))
    if measured is None:
        return est, None
    return est, algorithm_estimate_build(dataclasses.replace(b, measured=measured), est)


#: Columns of ``algorithm_cost.csv`` after ``epoch`` (SI units, per epoch; the rule's cost from
#: the epoch's measured counts, :func:`cimjax.hw.algorithm_cost.algorithm_estimate`).
ALGORITHM_COST_HEADER = ("transfer_latency_s", "transfer_energy_J", "transfer_read_energy_J",
                         "transfer_write_energy_J", "buffer_energy_J", "extra_array_area_m2", "buffer_area_m2",
                         "transfer_reads", "adc_conversions", "max_pulses_per_device")


def _algorithm_cost_row(alg) -> list[float]:
    return [float(x) for x in (alg.transfer.latency, alg.transfer.energy, alg.transfer_read.energy,
                               alg.transfer_write.energy, alg.buffer.energy, alg.array_area, alg.buffer_area,
                               alg.transfer_reads, alg.adc_conversions, alg.max_pulses_per_epoch)]


def _write_estimate(config: Config, trainer: Trainer, est, epoch: int, csv: EpochCsv, log) -> None:
    """NeuroSim's per-epoch outputs (docs/model.md §4.5): a ``NeuroSim_Output.csv`` row and the epoch's
    breakdown file."""
    folder = os.path.join(config.run.out_dir, "NeuroSim_Results_Each_Epoch")
    os.makedirs(folder, exist_ok=True)
    write_csv(os.path.join(folder, f"NeuroSim_Breakdown_Epoch_{epoch}.csv"), breakdown_rows(est, trainer.layer_names))
    csv.append(epoch, neurosim_output_row(est))
    energy = float(est.fw.energy + est.ag.energy + est.wg.energy + est.wu.energy)
    latency = float(est.fw.latency + est.ag.latency + est.wg.latency + est.wu.latency)
    log(f"  hardware: {energy:.4g} J and {latency:.4g} s per epoch, TOPS/W {float(est.tops_per_w):.3g}")


def _epoch_logs(out: str, layer_names: tuple[str, ...], rule_counts: bool = False,
                rule_cost: bool = False) -> dict[str, EpochCsv]:
    """NeuroSim's per-epoch files (docs/model.md §4.5), one column per layer where per-layer;
    with ``rule_counts`` (an in-situ rule) also ``algorithm_counts.csv``, and with ``rule_cost``
    (and the per-epoch estimate) ``algorithm_cost.csv``."""
    means = [f"mean_{n}" for n in layer_names]
    stds = [f"std_{n}" for n in layer_names]
    extra = {}
    if rule_counts:
        extra["counts"] = EpochCsv(os.path.join(out, "algorithm_counts.csv"), ["epoch", *measured_columns(layer_names)])
    if rule_counts and rule_cost:
        extra["algorithm_cost"] = EpochCsv(os.path.join(out, "algorithm_cost.csv"), ["epoch", *ALGORITHM_COST_HEADER])
    return {**extra,
        "accuracy": EpochCsv(os.path.join(out, "PythonWrapper_Output.csv"), ["epoch", "loss", "accuracy"]),
        "weight": EpochCsv(os.path.join(out, "weight_dist.csv"), ["epoch", *means, *stds]),
        "delta": EpochCsv(os.path.join(out, "delta_dist.csv"), ["epoch", *means, *stds]),
        "activity": EpochCsv(os.path.join(out, "input_activity.csv"), ["epoch", *layer_names]),
        "trace": EpochCsv(
            os.path.join(out, "hardware_trace.csv"),
            ["epoch", *trace_lib.csv_columns(layer_names)],
        ),
        "neurosim": EpochCsv(os.path.join(out, "NeuroSim_Output.csv"), ["epoch", *NEUROSIM_OUTPUT_HEADER]),
    }


def _drop_breakdowns(out: str, first_epoch: int) -> None:
    """Remove the breakdown files of epochs ``>= first_epoch`` (a resume that fell back to an
    older checkpoint redoes them; until then no row names them)."""
    folder = os.path.join(out, "NeuroSim_Results_Each_Epoch")
    for name in os.listdir(folder) if os.path.isdir(folder) else ():
        m = re.fullmatch(r"NeuroSim_Breakdown_Epoch_(\d+)\.csv", name)
        if m and int(m.group(1)) >= first_epoch:
            os.remove(os.path.join(folder, name))


def _divergence(health: Health, n_steps: int, epochs: int, ckpt: Checkpointer) -> RunError | None:
    """The error to stop with if ``health`` (fetched here: once per epoch) recorded a non-finite step."""
    h = jax.device_get(health)
    step = int(h.bad_step)
    if step < 0:
        return None
    epoch = (step - 1) // n_steps + 1
    weights = "" if bool(h.weights_finite) else ", weights not finite"
    last = ckpt.latest_step()
    kept = (f"checkpoint step {last} in {ckpt.directory} holds the last good state" if last is not None
            else "no checkpoint was saved before it")
    return RunError(f"training diverged at step {step} (loss = {float(h.bad_loss):.6g}{weights}) in epoch "
                    f"{epoch}/{epochs}: nothing of that epoch is written, {kept}; start again with a lower "
                    "train.learning_rate")


def _nonfinite(rows: dict[str, list[float]], epoch: int, epochs: int) -> RunError | None:
    bad = [name for name, values in rows.items() if not np.all(np.isfinite(np.asarray(values, np.float64)))]
    if not bad:
        return None
    return RunError(f"training diverged in epoch {epoch + 1}/{epochs}: non-finite {', '.join(bad)} values "
                    "with finite weights; nothing of that epoch is written; start again with a lower "
                    "train.learning_rate")


# Fields a resumed run may change; everything else must match the saved config.
_RESUMABLE_CHANGES = {("train", "epochs"), ("run", "out_dir"), ("run", "name")}


def _check_resume(config: Config, resume: bool) -> None:
    """Before any work: a resume needs a run in the output directory, with the same config
    (only the fields in ``_RESUMABLE_CHANGES`` may differ)."""
    if not resume:
        return
    out = config.run.out_dir
    saved = os.path.join(out, "config.json")
    if not os.path.isfile(saved):
        raise InputError(f"--resume: {out} holds no run to resume (no config.json there); "
                         f"drop --resume to start a fresh run, or give the run's directory as --out")
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


def _check_data(config: Config, ds: data_lib.Dataset) -> int:
    """The config's rules that need the data (its class count, its size); returns the steps
    per epoch. Checked before the output directory is touched."""
    if config.model.num_classes != ds.num_classes:
        raise ConfigError(f"model.num_classes = {config.model.num_classes} is invalid: the data "
                          f"(data.name = {config.data.name!r}) has {ds.num_classes} classes")
    return steps_per_epoch(config, len(ds.train_labels))


def _releases_run_lock(fn):
    """``fn(config, ...)`` releases the lock of ``config.run.out_dir`` (:func:`cimjax.fileio.lock_run_dir`)
    when it returns or fails."""
    @functools.wraps(fn)
    def wrapper(config, *args, **kwargs):
        try:
            return fn(config, *args, **kwargs)
        finally:
            fileio.unlock_run_dir(config.run.out_dir)
    return wrapper


def _prepare_out_dir(config: Config, resume: bool, log) -> None:
    """Take the output directory (checked by :func:`_check_resume`, probed writable, locked
    against a second run). A fresh run never overwrites an earlier one: an existing run there
    is moved aside to ``<out_dir>.prev-<time>``."""
    out = config.run.out_dir
    fileio.check_output_dir(out)
    fileio.lock_run_dir(out)
    if not resume and fileio.run_entries(out):
        stem = f"{out.rstrip(os.sep)}.prev-{time.strftime('%Y%m%d-%H%M%S')}"
        moved, n = stem, 1
        while os.path.exists(moved):
            moved, n = f"{stem}-{n}", n + 1
        os.replace(out, moved)
        os.makedirs(out, exist_ok=True)
        fileio.lock_run_dir(out, moved_from=moved)
        log(f"an earlier run in {out} was moved to {moved}")
    os.makedirs(out, exist_ok=True)


@_releases_run_lock
def train_and_evaluate(config: Config, *, resume: bool = False, progress: bool = True, log=print) -> dict:
    """Train ``config`` and evaluate after every epoch; returns the summary dict.

    Writes to ``config.run.out_dir`` (epochs counted from 0, as NeuroSim does):
    - ``config.json``: the exact config (``--config RUN_DIR`` repeats the run);
    - ``PythonWrapper_Output.csv``: epoch, mean test loss per batch, accuracy in %;
    - ``weight_dist.csv`` / ``delta_dist.csv``: per layer, mean then std of the weights
      and of the epoch's last update Δ (``w ← w − Δ``);
    - ``input_activity.csv``: per layer, the input-bit activity of the first test image;
    - ``hardware_trace.csv``: per layer, the estimator's :class:`cimjax.trace.Trace` of
      the epoch (input activity, mean conductance level, NeuroSim's write statistics of the
      epoch's last update: write pulses, cell pulses, row and column write activity; and the
      read occupancy of the first test image's input);
    - with ``run.estimate_each_epoch``: ``NeuroSim_Output.csv`` (per epoch: average and peak
      latency and energy of FW, AG, WG, WU, then TOPS/W, TOPS and their peaks, docs/model.md §4.5)
      and ``NeuroSim_Results_Each_Epoch/NeuroSim_Breakdown_Epoch_<epoch>.csv`` (area row,
      per-layer phases and component breakdown, total row; upstream spells it "Epock");
    - with an in-situ rule (``train.optimizer`` in ``analog_sgd``, ``ttv1``, …):
      ``algorithm_counts.csv`` (per epoch and layer, :class:`~cimjax.hw.algorithm_cost.MeasuredCounts`:
      updates, transfer reads, cells committed, commit pulses, pulses sent to ``A`` and ``C``, the
      most pulses one cell of each received, buffer words read and written; the optimiser's
      counters are reset at each epoch's start and checkpointed), and with
      ``run.estimate_each_epoch`` ``algorithm_cost.csv`` (the rule's transfer phase, buffer,
      extra area and most pulses per device of the epoch, costed from those counts);
    - ``summary.json`` and ``training_curve.png``;
    - ``checkpoints/``: orbax, one per epoch, written atomically (the last two are kept).

    Before any work (and before the output directory is touched) the resume, the data and the
    rules that need it are checked; the output directory is then probed writable and locked
    (``.cimjax.lock``: a second run on it stops with exit status 2, naming this one's PID).

    With ``resume``, training continues from the newest checkpoint that restores (a damaged
    newer one is skipped with a line saying why, and moved to ``checkpoints_damaged/``), the
    per-epoch files are cut back to that checkpoint, and the run reproduces an uninterrupted
    one exactly. Ctrl-C or SIGTERM saves a checkpoint at the current step (never inside a step
    or between an epoch's rows, :mod:`cimjax.interrupt`) and returns with
    ``summary["interrupted"] = True`` and ``summary["signal"]``. The loss and weights are checked
    on the device every step and read once per epoch: a non-finite one raises
    :class:`cimjax.errors.RunError` before anything of that epoch is written or saved.
    """
    t0 = time.perf_counter()
    keys = make_keys(config.run.seed)
    # Everything is checked before the output directory is touched: the resume, the data
    # (missing, too large for memory), the rules that need it (classes, batch size).
    _check_resume(config, resume)
    ds = data_lib.load_dataset(config.data, key=keys.data)
    n_steps = _check_data(config, ds)
    parallel = parallel_lib.resolve(config.run.data_parallel, {
        "data.batch_size": config.data.batch_size, "data.eval_batch_size": config.data.eval_batch_size})
    out = config.run.out_dir
    _prepare_out_dir(config, resume, log)
    save_config(config, os.path.join(out, "config.json"))
    log(f"data: {ds.description}")
    input_shape = tuple(int(s) for s in ds.train_images.shape[1:])
    trainer = Trainer(config, input_shape, n_steps, keys, parallel)
    n_params = sum(int(np.prod(p.shape)) for p in jax.tree.leaves(trainer.initial_state.params))
    log(f"model: {config.model.name} width {config.model.width:g}, {n_params:,} weights; "
        f"optimizer: {config.train.optimizer}; device: {config.device.name}")

    ckpt = Checkpointer(os.path.join(out, "checkpoints"))
    in_situ = config.train.optimizer in ANALOG_ALGORITHMS
    logs = _epoch_logs(out, trainer.layer_names, rule_counts=in_situ, rule_cost=config.run.estimate_each_epoch)
    # the rule's buffer words per read / update (measured reads × these = the buffer traffic)
    rule_words = build_lib.algorithm_counts(config, build_lib.facts(config, trainer.layers)) if in_situ else None
    state = trainer.initial_state
    restored = ckpt.restore_newest(state, log=log) if resume else None
    if restored is not None:
        state, step = restored
        state = parallel.replicate(state)
        log(f"resumed from step {step} (epoch {step // n_steps})")
    for f in logs.values():  # cut back to the checkpoint (rows of later epochs are redone)
        f.load(before_epoch=int(state.step) // n_steps)
        f.write()
    # Epochs logged so far; one less than the steps imply if Ctrl-C came during evaluation.
    first_epoch = len(logs["accuracy"].rows)
    _drop_breakdowns(out, first_epoch)

    first_test_image = ds.test_images[0].astype(np.float32) / 255.0  # (H, W, C)
    epoch_times = []
    interrupted = False
    failure = None  # the RunError of a divergence
    health = healthy()
    stop = GracefulStop()  # SIGINT and SIGTERM → KeyboardInterrupt at a whole state (entered here, left in finally)
    try:
        stop.__enter__()
        for epoch in range(first_epoch, config.train.epochs):
            offset = int(state.step) - epoch * n_steps  # > 0 only for the epoch a resume lands in
            if offset == 0 and config.train.reset_momentum_each_epoch:
                state = state._replace(opt_state=optim_lib.reset_momentum(state.opt_state))
            if offset == 0 and in_situ:  # the rule's counters count one epoch (a checkpoint keeps them)
                state = state._replace(opt_state=optim_lib.reset_counts(state.opt_state))
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
                batch = parallel.shard(batch)
                with stop.critical():  # a signal is held until the new state is assigned
                    state, loss, health = trainer.train_step_checked(state, batch, health)
                bar.update(1)
                if i % 10 == 0:
                    bar.set_postfix(loss=f"{float(loss):.3g}")
            bar.close()
            failure = _divergence(health, n_steps, config.train.epochs, ckpt)
            if failure is not None:
                break
            test_loss, acc = trainer.evaluate(state.params, ds.test_images, ds.test_labels)
            epoch_times.append(time.perf_counter() - te)
            trace = trainer.hardware_trace(state, first_test_image)
            # Estimated before any of the epoch's rows is written: Ctrl-C during the estimate
            # leaves the epoch unlogged, and a resume redoes its evaluation and estimate.
            measured = None
            if in_situ:
                measured = measured_counts(jax.device_get(optim_lib.layer_counts(state.opt_state, trainer.layer_names)),
                                           rule_words)
            est, alg_est = _estimate(config, trainer, trace, measured) if config.run.estimate_each_epoch else (None, None)
            w_mean, w_std = layer_stats(state.params, trainer.layer_names)
            rows = {
                "accuracy": [test_loss, acc],
                "weight": [*np.asarray(w_mean), *np.asarray(w_std)],
                "delta": list(np.asarray(state.last_delta).ravel()),
                "activity": list(np.asarray(trace.input_activity)),
                "trace": list(trace_lib.to_row(trace)),
            }
            if in_situ:
                rows["counts"] = list(np.concatenate([np.asarray(f) for f in measured]))
            if alg_est is not None:
                rows["algorithm_cost"] = _algorithm_cost_row(alg_est)
            estimate_row = {"neurosim": neurosim_output_row(est)} if est is not None else {}
            failure = _nonfinite({**rows, **estimate_row}, epoch, config.train.epochs)
            if failure is not None:
                break
            with stop.critical():  # a signal waits for the epoch's rows and checkpoint
                for name, values in rows.items():
                    logs[name].append(epoch, values)
                log(f"epoch {epoch + 1}/{config.train.epochs}: test loss {test_loss:.4f}, accuracy {acc:.2f} %, "
                    f"{epoch_times[-1]:.1f} s")
                if est is not None:
                    _write_estimate(config, trainer, est, epoch, logs["neurosim"], log)
                ckpt.save(int(state.step), state)
    except KeyboardInterrupt:
        interrupted = True
        with stop.ignored():  # a second signal must not break the save
            failure = _divergence(health, n_steps, config.train.epochs, ckpt)
            if failure is None and not any(x.is_deleted() for x in jax.tree.leaves(state)):
                jax.block_until_ready(state)
                ckpt.save(int(state.step), state)
                log(f"interrupted: checkpoint saved at step {int(state.step)}; continue with --resume")
            elif failure is None:  # a second signal inside a step: its input state was donated
                log(f"interrupted inside a step: the last checkpoint is step {ckpt.latest_step()}; "
                    "continue with --resume")
    finally:
        stop.__exit__(None, None, None)
        last_step = ckpt.latest_step()
        ckpt.close()

    acc_log = logs["accuracy"]
    epochs, losses, accs = acc_log.column("epoch"), acc_log.column("loss"), acc_log.column("accuracy")
    if epochs:
        plots.training_curve(os.path.join(out, "training_curve.png"), epochs, accs, losses, config.run.name)
    summary = {
        "config": config.run.name,
        "epochs_completed": len(epochs),
        "steps": last_step or 0,
        "steps_total": config.train.epochs * n_steps,
        "interrupted": interrupted and failure is None,
        "signal": stop.signal_name if interrupted else None,
        "final_accuracy": accs[-1] if accs else None,
        "best_accuracy": max(accs, default=None),
        "final_test_loss": losses[-1] if losses else None,
        "history": [{"epoch": int(e), "loss": lo, "accuracy": a} for e, lo, a in zip(epochs, losses, accs)],
        "seconds": time.perf_counter() - t0,
        "seconds_per_epoch": epoch_times,
        "device": jax.devices()[0].device_kind,
        "data_parallel_devices": parallel.n,
        "num_weights": n_params,
        "input_shape": list(input_shape),
    }
    if failure is not None:
        summary["diverged"] = str(failure)
    write_json(os.path.join(out, "summary.json"), summary)
    if failure is not None:
        raise failure
    if not interrupted:
        log("\nhardware: NeuroSim floorplan of this network:")
        log(mapping_table(mapping(build_lib.build(config, layers=network_layers(config.model, input_shape))),
                          config.hardware))
        if config.run.estimate_each_epoch and epochs:
            log(f"per-epoch area / latency / energy (last epoch's trace) in {os.path.join(out, 'NeuroSim_Output.csv')}; "
                f"the full report: cimjax estimate --config {out} --trace {out}")
    return summary
