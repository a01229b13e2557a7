"""``cimjax evaluate``: test accuracy of a trained run under analog-array effects.

Loads a run directory (its ``config.json`` and latest checkpoint, :mod:`cimjax.train`),
rebuilds the network with ``array.mode = 'hw_forward'`` (the forward product read through
the analog array, docs/model.md §3.2–§3.3; ``--set array.mode=ideal`` gives the float product) and
measures the test accuracy for a base setting and for sweeps of the read's parameters.

**Static and traced settings.** The ADC width, sub-array rows, cell bits, on/off ratio,
ADC model, mapping, drift exponent and direction are static (they change the
:class:`cimjax.analog.ArrayConfig`, hence the compiled read): one compilation and one pass
over the test set per combination, in a loop. The variation σ, the retention time ``t``
and the draw seed are traced: all their combinations of one static setting run as one
``jax.vmap`` (in chunks of ``vmap_size``) in the same pass. For that,

* the per-cell variation is drawn as a unit normal from the seed exactly as training
  draws it (:class:`cimjax.nn.layers.CellVariation`, σ = 1) and scaled by the traced σ
  (``draw_variation`` is ``σ·N(0, 1)``, so at the training seed and σ the cells are the
  training run's);
* retention (docs/model.md §2.7) is folded into the variation: with ``g0`` the undrifted cell
  conductance, ``g(t) = clip(g0·(t/t0)^(v·s))`` from
  :func:`cimjax.analog.cells.apply_retention` (traced ``time``) and the read is given
  ``ε' = g(t)/g0·(1 + ε) − 1``, so that ``g0·(1 + ε') = g(t)·(1 + ε)``, the analog read's
  own order (retention, then variation). At ``t = t0`` and σ = 0, ``ε' = 0`` exactly.

``run.seed`` (``--set`` or ``--sweep``) seeds only these draws (variation, then the
random drift directions of ``array.drift_mode = 'random'``, per layer, from the
initialisation stream as :func:`cimjax.nn.create_model` draws them with σ > 0); the data
and the trained weights are the run's own. Retention needs ``array.drift_v ≠ 0`` (the
default 0 is no drift, whatever ``t``).

**Batches.** The test set is read in ``data.eval_batch_size`` batches with the last one
zero-padded, as :meth:`cimjax.trainer.Trainer.evaluate` does: the ADC's dynamic range spans
the batch (NeuroSim, docs/model.md §3.3), so the batch size is part of the setting, and with the
run's settings the accuracy is the training run's.

Outputs in ``--out`` (default ``RUN_DIR/evaluate``): ``evaluate.csv`` / ``evaluate.json``
(one row per setting), ``evaluate.png`` (accuracy against the first swept field) and
``evaluate_trace.csv`` (per layer, for the base setting: input-bit density, ADC
conversions, sub-array reads and activations per image, :mod:`cimjax.analog.stats`).
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
import os
import time
from typing import Any, Iterable, Optional, Sequence

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx
from tqdm.auto import tqdm

from cimjax import data as data_lib
from cimjax import fileio
from cimjax.checkpoint import restore_params
from cimjax import nn as nn_lib
from cimjax.analog import stats as stats_lib
from cimjax.dse import params as P
from cimjax.analog.cells import apply_retention, cell_conductances
from cimjax.config import Config, ConfigError, apply_overrides, load_config, replace, to_dict
from cimjax.config.io import _split_key
from cimjax.hw.network import network_layers
from cimjax.nn import wage
from cimjax.parallel import DataParallel
from cimjax.report.files import write_evaluate
from cimjax.report.tables import evaluate_table

#: Config fields a sweep may vary: those of the parameters that change the analog read
#: (:data:`cimjax.dse.params.PARAMS` with ``read``).
SWEEPABLE = tuple(s.fields[0] for s in P.PARAMS.values() if s.read)
#: Sweepable fields that are traced values (vmapped, no recompilation).
TRACED = tuple(s.fields[0] for s in P.PARAMS.values() if s.read_traced)
#: Fields ``--set`` may change besides every ``hardware.*`` and ``array.*`` field.
SETTABLE = ("run.seed", "data.eval_batch_size", "data.num_test", "data.data_dir", "data.cifar10_source")


def _check_settable(field: str) -> None:
    section, _ = _split_key(field)
    if section not in ("hardware", "array") and field not in SETTABLE:
        raise ConfigError(
            f"{field} cannot be changed by evaluate: the trained checkpoint fixes the data, model, "
            "quant, device and train sections; --set accepts hardware.*, array.*, " + ", ".join(SETTABLE)
        )


def parse_sweep(text: str, base: Config) -> tuple[str, list]:
    """``'adc_bits=2,4,8'`` (or ``'hardware.adc_bits=2,4,8'``) → ``('hardware.adc_bits', [2, 4, 8])``,
    each value checked (:func:`cimjax.dse.params.parse_item`, the language ``cimjax sweep
    --sweep`` speaks too).

    Raises:
      ConfigError: naming the field, for a malformed item, an unknown or non-sweepable
        parameter, or a value the field does not accept.
    """
    s, values = P.parse_item(text, base)
    if not s.read:
        raise ConfigError(
            f"--sweep {s.name} ({s.fields[0]}) is invalid: it does not change the analog read; sweepable "
            "parameters:\n"
            + P.read_table()
        )
    return s.fields[0], values


def _get(config: Config, field: str):
    section, name = field.split(".")
    return getattr(getattr(config, section), name)


def _with(config: Config, setting: dict) -> Config:
    changes: dict[str, dict] = {}
    for field, value in setting.items():
        section, name = field.split(".")
        changes.setdefault(section, {})[name] = value
    return replace(config, **changes)


def load_run(run_dir: str) -> tuple[Config, str]:
    """The saved config of a run directory and its checkpoint directory.

    Raises:
      FileNotFoundError: no run directory, no ``config.json`` or no checkpoint, with what
        to do about it.
    """
    cfg_path = os.path.join(run_dir, "config.json")
    if not os.path.isfile(cfg_path):
        raise FileNotFoundError(
            f"--checkpoint {run_dir!r}: no config.json there; expected the output directory of "
            "'cimjax train' (its --out)"
        )
    ckpt_dir = os.path.join(run_dir, "checkpoints")
    if not os.path.isdir(ckpt_dir) or not any(d.isdigit() for d in os.listdir(ckpt_dir)):
        raise FileNotFoundError(
            f"--checkpoint {run_dir!r}: no checkpoint in {ckpt_dir} (the run saves one after each "
            "epoch; train at least one epoch first)"
        )
    return load_config(cfg_path), ckpt_dir


def _effective_variation(layer, eps: jax.Array, sign, sigma, t, drift_v: float) -> jax.Array:
    """``ε'`` of one layer: variation ``σ·ε`` with retention folded in (module docstring)."""
    eps = sigma * eps
    if drift_v == 0.0:
        return eps
    cfg = layer.array
    wq = wage.wage_quantize_weight(layer.kernel[...], layer.scale, layer.weight_bits, clip=layer.clip_weight)
    g0, _ = cell_conductances(wq, cfg)
    sign = None if sign is None else jnp.reshape(sign, g0.shape)
    gt = apply_retention(g0, dataclasses.replace(cfg, drift_v=drift_v), sign, time=t)
    ok = g0 > 0
    ratio = jnp.where(ok, gt / jnp.where(ok, g0, 1.0), 1.0)
    return jnp.reshape(ratio * (1.0 + jnp.reshape(eps, g0.shape)) - 1.0, eps.shape)


class _StaticEvaluator:
    """One static setting: the model graph, the per-seed draws and the jitted, vmapped batch read."""

    def __init__(self, config: Config, input_shape, seeds: Iterable[int], with_stats: bool):
        from cimjax.trainer import make_keys

        self.config = config
        self.hw = config.array.mode != "ideal"
        build = replace(config, array={"variation_sigma": 1.0, "retention_time": 1.0, "drift_v": 0.0})
        self.rests = {}
        for seed in seeds:
            model = nn_lib.create_model(build.model, build.quant, input_shape,
                                        rngs=nnx.Rngs(params=make_keys(seed).init), arrays=nn_lib.layer_arrays(build))
            self.graphdef, _, self.rests[seed] = nnx.split(model, nnx.Param, ...)
        self.model = model
        self.pixels = [row.output_positions for row in network_layers(config.model, tuple(input_shape))]
        self.loss = nn_lib.loss_fn(config.model.loss)
        self.drift_v = float(config.array.drift_v)
        self.with_stats = with_stats and self.hw
        self.fn = jax.jit(jax.vmap(self._one, in_axes=(None, 0, 0, 0, None, None, None)))

    def _one(self, params, rest, sigma, t, images, labels, mask) -> dict:
        """Summed loss, correct count (and trace counts) of one batch for one traced setting."""
        model = nnx.merge(self.graphdef, params, rest)
        if self.hw:
            for name in model.layer_names:
                layer = getattr(model, name)
                sign = None if layer.drift_sign is None else layer.drift_sign[...]
                layer.variation[...] = _effective_variation(layer, layer.variation[...], sign, sigma, t, self.drift_v)
        # As Trainer._prepare: the model takes the normalised image.
        x = images * 2.0 - 1.0 if self.config.model.input_normalisation == "neurosim" else images
        logits, inputs = model.forward_with_inputs(x)
        n_cls = self.config.model.num_classes
        per_example = jax.vmap(lambda lg, lb: self.loss(lg[None], lb[None], n_cls))(logits, labels)
        out = {
            "loss": jnp.sum(jnp.where(mask, per_example, 0.0)),
            "correct": jnp.sum((jnp.argmax(logits, -1) == labels) & mask),
        }
        if self.with_stats:
            for name in model.layer_names:
                layer = getattr(model, name)
                rc = stats_lib.read_counts(inputs[name], layer.array, layer.kernel.shape)
                out[f"act/{name}"] = jnp.sum(jnp.where(mask, rc.subarray_activations, 0.0))
                out[f"ones/{name}"] = jnp.sum(jnp.where(mask, rc.input_ones, 0.0))
        return out

    def trace_rows(self, sums: dict, n: int) -> list[dict]:
        """Per-layer trace rows from the summed data-dependent counts of ``n`` images."""
        rows = []
        for i, name in enumerate(self.model.layer_names):
            layer = getattr(self.model, name)
            shape, cfg = tuple(layer.kernel.shape), layer.array
            st = stats_lib.static_counts(cfg, shape, self.pixels[i] if len(shape) == 4 else 1)
            analog_bwd = layer.backward == "analog" or (i > 0 and self.config.array.mode == "hw_full")
            rows.append({
                "layer": name,
                "kind": "conv" if len(shape) == 4 else "dense",
                "bit_serial": cfg.bit_serial,
                "adc_mode": cfg.adc_mode,
                "adc_bits": cfg.adc_bits,
                "subarrays": st["subarrays"],
                "input_bit_density": sums[f"ones/{name}"] / (n * st["input_bits"]) if cfg.bit_serial else math.nan,
                "adc_conversions_per_image": st["adc_conversions"],
                "adc_conversions_transposed_per_image": st["adc_conversions_transposed"] if analog_bwd else 0,
                "subarray_reads_per_image": st["subarray_reads"],
                "subarray_activations_per_image": sums[f"act/{name}"] / n,
            })
        return rows


def _run_group(ev: _StaticEvaluator, params, traced: list[tuple], ds, bs: int, vmap_size: int, bar,
               par: Optional[DataParallel] = None) -> list[dict]:
    """Accuracy, loss and summed counts of every traced ``(σ, t, seed)`` of one static setting
    (the settings of a pass split over ``par``'s devices, padded to a multiple of their count)."""
    par = par or DataParallel()
    images, labels = ds.test_images, ds.test_labels
    n = len(labels)
    size = -(-min(vmap_size, len(traced)) // par.n) * par.n
    params = par.replicate(params)
    results: list[dict] = []
    for c0 in range(0, len(traced), size):
        chunk = traced[c0:c0 + size]
        padded = chunk + [chunk[-1]] * (size - len(chunk))  # one shape: one compilation
        sigmas = jnp.asarray([s for s, _, _ in padded], jnp.float32)
        times = jnp.asarray([t for _, t, _ in padded], jnp.float32)
        rest = jax.tree.map(lambda *xs: jnp.stack(xs), *[ev.rests[seed] for _, _, seed in padded])
        rest, sigmas, times = par.shard((rest, sigmas, times))
        sums: dict[str, np.ndarray] = {}
        n_batches = 0
        for batch in data_lib.iterate_batches(images, labels, bs, key=None, drop_remainder=False):
            m = len(batch["label"])
            img, lab = batch["image"], batch["label"]
            if m < bs:  # pad and mask the last batch, as Trainer.evaluate
                img = np.concatenate([img, np.zeros((bs - m,) + img.shape[1:], np.float32)])
                lab = np.concatenate([lab, np.zeros((bs - m,), np.int32)])
            out = ev.fn(params, rest, sigmas, times, img, lab, np.arange(bs) < m)
            for k, v in out.items():
                sums[k] = sums.get(k, 0.0) + np.asarray(v, np.float64)
            n_batches += 1
            if bar is not None:
                bar.update(1)
        for i in range(len(chunk)):
            results.append({
                "accuracy": 100.0 * float(sums["correct"][i]) / n,
                "test_loss": float(sums["loss"][i]) / max(1, n_batches),
                "sums": {k: float(v[i]) for k, v in sums.items()},
            })
    return results


def _settings(sweeps: Sequence[tuple[str, list]]) -> list[dict]:
    """The cartesian product of the sweeps, in command-line order (``[{}]``: the base only)."""
    fields = [f for f, _ in sweeps]
    return [dict(zip(fields, combo)) for combo in itertools.product(*(vals for _, vals in sweeps))]


def evaluate_run(
    run_dir: str,
    overrides: Sequence[str] = (),
    sweeps: Sequence[str] = (),
    out_dir: Optional[str] = None,
    *,
    vmap_size: int = 8,
    shard: bool = True,
    progress: bool = True,
    log=print,
) -> dict[str, Any]:
    """Evaluates a trained run under analog-array effects; writes and returns the results.

    Args:
      run_dir: a ``cimjax train`` output directory (``config.json`` + ``checkpoints/``).
      overrides: ``section.field=value`` changes of the base setting (``hardware.*``,
        ``array.*``, :data:`SETTABLE`); ``array.mode`` defaults to ``hw_forward``.
      sweeps: ``NAME=v1,v2,...`` items (cartesian product): a parameter of
        :data:`cimjax.dse.params.PARAMS` that changes the read, or its config field.
      out_dir: output directory (default ``run_dir/evaluate``).
      vmap_size: most traced settings read in one vmapped pass.
      shard: split each pass's settings over every local JAX device when there are several
        (:mod:`cimjax.parallel`); each setting runs on one device, so the numbers do not change.
      progress: show a tqdm bar.
      log: where the table goes.

    Returns:
      The dict written to ``evaluate.json``: ``base`` and ``results`` (accuracy %, test
      loss per setting), ``trace`` (per-layer counts of the base setting), and the run's
      ``trained_accuracy`` and ``checkpoint_step``.

    Raises:
      FileNotFoundError: no run, config or checkpoint in ``run_dir``.
      ConfigError: a bad ``--set`` / ``--sweep`` field or value (naming it).
    """
    from cimjax.trainer import make_keys

    if not isinstance(vmap_size, int) or vmap_size < 1:
        raise ConfigError(f"vmap_size = {vmap_size!r} is invalid: expected an int >= 1")
    saved, ckpt_dir = load_run(run_dir)
    for item in overrides:
        _check_settable(item.split("=", 1)[0].strip())
    base = apply_overrides(replace(saved, array={"mode": "hw_forward"}), overrides)
    parsed = [parse_sweep(s, base) for s in sweeps]
    fields = [f for f, _ in parsed]
    if len(set(fields)) != len(fields):
        raise ConfigError(f"--sweep names a field twice: {fields}")
    settings = _settings(parsed) if parsed else []
    if "array.retention_time" in fields and all(_get(_with(base, s), "array.drift_v") == 0 for s in settings):
        log("note: array.drift_v = 0, so array.retention_time changes nothing; set e.g. --set array.drift_v=0.05")
    configs = [_with(base, s) for s in settings]  # a setting that breaks a cross-section rule fails here
    for s, c in zip(settings, configs):
        if c.array.mode == "ideal" and any(f not in ("array.mode",) for f in s):
            raise ConfigError(f"--sweep {', '.join(s)} has no effect with array.mode = 'ideal' "
                              "(the float product): drop it or set array.mode=hw_forward")

    out_dir = fileio.check_output_dir(out_dir or os.path.join(run_dir, "evaluate"))  # writable, before any work
    ds = data_lib.load_dataset(base.data, key=make_keys(saved.run.seed).data)
    input_shape = tuple(int(d) for d in ds.test_images.shape[1:])
    like = nnx.state(nn_lib.create_model(saved.model, saved.quant, input_shape, rngs=nnx.Rngs(params=0)), nnx.Param)
    params, step = restore_params(ckpt_dir, like, log=log)
    bs, n = base.data.eval_batch_size, len(ds.test_labels)

    # Group the settings by their static part; each group is one compilation and pass.
    def traced_of(c: Config) -> tuple:
        return (c.array.variation_sigma, c.array.retention_time, c.run.seed)

    def static_of(c: Config) -> Config:
        return replace(c, array={"variation_sigma": 0.0, "retention_time": 1.0}, run={"seed": 0})

    groups: dict[Config, list[int]] = {}
    for i, c in enumerate(configs):
        groups.setdefault(static_of(c), []).append(i)
    n_batches = -(-n // bs)
    passes = 1 + sum(-(-len(ix) // vmap_size) for ix in groups.values())
    bar = tqdm(total=passes * n_batches, desc="evaluate", unit="batch", disable=not progress, leave=False)
    t0 = time.perf_counter()
    par = DataParallel(jax.local_devices()) if shard else DataParallel()
    ev = _StaticEvaluator(base, input_shape, [base.run.seed], with_stats=True)
    base_res = _run_group(ev, params, [traced_of(base)], ds, bs, 1, bar, par)[0]
    trace = ev.trace_rows(base_res.pop("sums"), n) if ev.hw else []
    results: list[Optional[dict]] = [None] * len(configs)
    for static, idx in groups.items():
        bar.set_postfix_str(", ".join(f"{f}={settings[idx[0]][f]}" for f in fields if f not in TRACED))
        traced = [traced_of(configs[i]) for i in idx]
        ev = _StaticEvaluator(static, input_shape, sorted({t[2] for t in traced}), with_stats=False)
        for i, r in zip(idx, _run_group(ev, params, traced, ds, bs, vmap_size, bar, par)):
            r.pop("sums")
            results[i] = {**settings[i], **r}
    bar.close()

    summary_path = os.path.join(run_dir, "summary.json")
    trained = None
    if os.path.isfile(summary_path):
        with open(summary_path) as f:
            run_summary = json.load(f)
        # The run's final accuracy belongs to its last checkpoint, not to an older one evaluated
        # because the newer did not restore.
        if run_summary.get("steps") in (None, step):
            trained = run_summary.get("final_accuracy")
    report = {
        "run_dir": run_dir,
        "checkpoint_step": step,
        "trained_accuracy": trained,
        "trained_mode": saved.array.mode,
        "overrides": list(overrides),
        "sweeps": {f: vals for f, vals in parsed},
        "base": {"accuracy": base_res["accuracy"], "test_loss": base_res["test_loss"],
                 "settings": {f: _get(base, f) for f in SWEEPABLE}},
        "results": results,
        "trace": trace,
        "test_images": n,
        "seconds": time.perf_counter() - t0,
        "device": jax.devices()[0].device_kind,
        "config": to_dict(base),
    }
    write_evaluate(report, out_dir)
    log(evaluate_table(report))
    log(f"outputs in {out_dir}")
    return report

