"""Test accuracy of the in-situ training rules on Fashion-MNIST, and their chip cost (issue 16).

Trains the MLP (``model.name = mlp``: 784 → ``hidden`` → 10, SSE loss, NeuroSim input
normalisation, 32-bit weights so that the device alone limits the weights; activations,
gradients and errors at the WAGE defaults 8/5/8 bit) on the full Fashion-MNIST (60,000 / 10,000
images, the idx files of Debian's ``dataset-fashion-mnist``) with

* ``ideal``: plain float momentum SGD (``train.optimizer = sgd``), no device;
* ``analog_sgd``, ``ttv2``, ``cttv2``, ``agad`` (:mod:`cimjax.optim.analog_algorithms`, through
  the trainer's ``analog_optimizer``, ``train.update_mode = expected``) on each device of
  :data:`DEVICES` (``device.pulsed_preset``),

each for :attr:`Setup.seeds` (``run.seed``: the weights' init, the device draws and the data
order). The learning rates are :data:`LEARNING_RATES`, chosen by ``--pilot`` (below).

Each (rule, device) is compiled once: the seeds' initial states (from their own
:class:`~cimjax.trainer.Trainer`) run through the first seed's jitted step, which does not
depend on the seed (the optimiser's key only draws the initial state; no augmentation).

``--pilot`` trains seed 0 for ``--pilot-steps`` steps at each learning rate of
:data:`PILOT_GRID` and writes ``algorithm_accuracy_pilot.{csv,md}``; :data:`LEARNING_RATES`
holds, per rule and device, the rate with the best test accuracy there.

``--costs`` adds the chip cost per rule of the VGG-8 training chip of
``configs/vgg8_cifar10.py`` (:func:`chip_costs`: ``cimjax estimate``'s Python path,
``--set train.optimizer=RULE --set train.lr_decay_epochs= --set device.endurance_cycles=1e6``) and
asserts that the chip estimate (area, the four phases' latency and energy) of every rule equals
the default (``neurosim``) estimate.

Usage::

    python benchmarks/algorithm_accuracy.py --pilot             # learning-rate pilot
    python benchmarks/algorithm_accuracy.py --costs             # the table (README numbers)
    python benchmarks/algorithm_accuracy.py --tiny --out /tmp/x  # seconds, synthetic data (test)

Writes ``benchmarks/results/algorithm_accuracy.{csv,md,png}`` (or ``--out``), with the wall time
of every run and the machine.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import datetime
import os
import platform
import statistics
import time
from pathlib import Path
from typing import Optional

import jax
import numpy as np

from cimjax.config import (Config, DataConfig, DeviceConfig, ModelConfig, QuantConfig, RunConfig, TrainConfig,
                           apply_overrides, load_config)
from cimjax.data import iterate_batches, load_dataset
from cimjax.trainer import Trainer, make_keys, steps_per_epoch

RESULTS = Path(__file__).resolve().parent / "results"
ROOT = Path(__file__).resolve().parent.parent

RULES = ("ideal", "analog_sgd", "ttv2", "cttv2", "agad")
#: The devices (aihwkit presets, docs/devices.md): the measured few-state ReRAM array (21 states,
#: soft bounds with per-cell bounds, so an asymmetric device whose symmetry point varies per
#: cell), the soft-bounds fit of the HfO2 ReRAM (1000 states) and the Li-ion ECRAM (linear step,
#: 1000 states, γ↑ ≠ γ↓), all in the loop's default ``expected`` update mode (mean-field
#: fractional pulses, no cycle-to-cycle noise); and the few-state array again in the
#: ``deterministic`` mode (whole pulses, ``round(Δw/dw_min)``, with the device's c2c noise), where
#: an update below half a step sends nothing, as on a real few-state device.
DEVICES = ("reram_array_om", "reram_sb", "ecram", "reram_array_om:deterministic")
FEW_STATE = "reram_array_om"

#: Learning rates (``train.learning_rate``): the best test accuracy of the pilot
#: (``--pilot``, benchmarks/results/algorithm_accuracy_pilot.md). ``ideal`` has no device.
LEARNING_RATES = {
    ("ideal", None): 1e-4,
    ("analog_sgd", "reram_array_om"): 1e-3, ("analog_sgd", "reram_sb"): 1e-3, ("analog_sgd", "ecram"): 1e-3,
    ("ttv2", "reram_array_om"): 0.01, ("ttv2", "reram_sb"): 1.0, ("ttv2", "ecram"): 10.0,
    ("cttv2", "reram_array_om"): 0.01, ("cttv2", "reram_sb"): 0.1, ("cttv2", "ecram"): 0.1,
    ("agad", "reram_array_om"): 0.01, ("agad", "reram_sb"): 0.1, ("agad", "ecram"): 0.1,
    ("analog_sgd", "reram_array_om:deterministic"): 0.01, ("ttv2", "reram_array_om:deterministic"): 0.01,
    ("cttv2", "reram_array_om:deterministic"): 0.01, ("agad", "reram_array_om:deterministic"): 0.1,
}
#: The pilot's learning rates per rule (a decade apart around docs/algorithms.md's values).
#: docs/algorithms.md: the TT rules' rate scales with the device's granularity (1.0 for reram_sb's
#: 1000 states, 0.1 for a 32-level device), so the few-state device's grid is a decade lower.
PILOT_GRID = {
    "ideal": (1e-4, 1e-3, 1e-2),
    "analog_sgd": (0.001, 0.01, 0.1),
    "ttv2": (0.1, 1.0, 10.0),
    "cttv2": (0.1, 1.0, 10.0),
    "agad": (0.1, 1.0, 10.0),
}
PILOT_GRID_FEW_STATE = {"ttv2": (0.01, 0.1, 1.0), "cttv2": (0.01, 0.1, 1.0), "agad": (0.01, 0.1, 1.0)}


def pilot_grid(rule: str, device: Optional[str]) -> tuple:
    if split_device(device)[0] == FEW_STATE and rule in PILOT_GRID_FEW_STATE:
        return PILOT_GRID_FEW_STATE[rule]
    return PILOT_GRID[rule]


@dataclasses.dataclass(frozen=True)
class Setup:
    data: str = "fashion_mnist"
    image_shape: Optional[tuple] = None  # None: the data's own (28×28×1)
    hidden: int = 64
    batch: int = 100
    epochs: int = 1
    seeds: tuple = (0, 1, 2)
    synthetic_sizes: tuple = (1000, 250)  # synthetic data only


#: The smoke version (synthetic 8×8 data; seconds): what tests/test_algorithm_accuracy_bench.py runs.
TINY = Setup(data="synthetic", image_shape=(8, 8, 1), hidden=16, batch=50, epochs=1, seeds=(0,),
             synthetic_sizes=(200, 100))


def machine() -> str:
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (f"{platform.machine()} {os.cpu_count()} CPU(s), {jax.devices()[0].platform}, jax {jax.__version__}, "
            f"load average {load}")


def split_device(device: Optional[str]) -> tuple[Optional[str], str]:
    """``"reram_array_om:deterministic"`` → ``("reram_array_om", "deterministic")``."""
    if device is None:
        return None, "expected"
    preset, _, mode = device.partition(":")
    return preset, mode or "expected"


def make_config(setup: Setup, rule: str, device: Optional[str], lr: float, seed: int) -> Config:
    """The run's :class:`Config` (one place: the pilot, the table and the test use it).
    ``device``: a preset name, or ``NAME:MODE`` for ``train.update_mode = MODE`` (default
    ``expected``)."""
    preset, mode = split_device(device)
    n_train, n_test = setup.synthetic_sizes
    return Config(
        data=DataConfig(name=setup.data, image_shape=setup.image_shape, batch_size=setup.batch,
                        eval_batch_size=500 if setup.data != "synthetic" else 50,
                        synthetic_train_size=n_train, synthetic_test_size=n_test),
        model=ModelConfig(name="mlp", hidden=setup.hidden, num_classes=10, loss="sse"),
        quant=QuantConfig(weight_bits=32),
        device=DeviceConfig(pulsed_preset=preset),
        train=TrainConfig(epochs=setup.epochs, optimizer="sgd" if rule == "ideal" else rule, learning_rate=lr,
                          lr_decay_epochs=(), update_mode=mode),
        run=RunConfig(seed=seed, out_dir="/tmp/unused", name=f"{rule}_{device}_{seed}"),
    )


def train_group(setup: Setup, rule: str, device: Optional[str], lr: float, seeds, *, max_steps=None,
                datasets=None, log=print) -> list[dict]:
    """Train ``rule`` on ``device`` at ``lr`` for every seed (one compile); one row per seed
    with the test accuracy after each epoch and the wall time."""
    rows = []
    first: Optional[Trainer] = None
    for seed in seeds:
        config = make_config(setup, rule, device, lr, seed)
        keys = make_keys(seed)
        key = (setup.data, seed if setup.data == "synthetic" else None)
        if datasets is not None and key in datasets:
            ds = datasets[key]
        else:
            ds = load_dataset(config.data, key=keys.data)
            if datasets is not None:
                datasets[key] = ds
        shape = tuple(int(d) for d in ds.train_images.shape[1:])
        n_steps = steps_per_epoch(config, len(ds.train_labels))
        t0 = time.perf_counter()
        trainer = Trainer(config, shape, n_steps, keys)
        if first is None:
            first = trainer
        state = trainer.initial_state
        if jax.tree.structure(state) != jax.tree.structure(first.initial_state):
            raise AssertionError("seeds must share one training-state structure")
        accs, losses = [], []
        steps = 0
        for epoch in range(setup.epochs):
            for batch in iterate_batches(ds.train_images, ds.train_labels, setup.batch,
                                         key=jax.random.fold_in(keys.shuffle, epoch), drop_remainder=True):
                state, loss = first.train_step(state, batch)
                steps += 1
                if max_steps is not None and steps >= max_steps:
                    break
            loss_v, acc = first.evaluate(state.params, ds.test_images, ds.test_labels)
            accs.append(acc)
            losses.append(float(loss))
            if max_steps is not None and steps >= max_steps:
                break
        wall = time.perf_counter() - t0
        rows.append(dict(rule=rule, device=device or "-", lr=lr, seed=seed, steps=steps,
                         train_images=steps * setup.batch, test_accuracy=accs[-1],
                         accuracy_per_epoch=" ".join(f"{a:.2f}" for a in accs), last_train_loss=losses[-1],
                         wall_s=round(wall, 2)))
        log(f"{rule:>10} {device or '-':>15} lr {lr:<6g} seed {seed}: {' '.join(f'{a:.2f}' for a in accs)} % "
            f"({steps} steps, {wall:.1f} s)", flush=True)
    return rows


def groups(rules, devices):
    for rule in rules:
        for device in ([None] if rule == "ideal" else devices):
            yield rule, device


def summarise(rows) -> dict:
    """``{(rule, device): (mean, std, n)}`` of the final test accuracy over seeds."""
    out = {}
    for rule, device in dict.fromkeys((r["rule"], r["device"]) for r in rows):
        accs = [r["test_accuracy"] for r in rows if r["rule"] == rule and r["device"] == device]
        out[(rule, device)] = (statistics.mean(accs), statistics.pstdev(accs) if len(accs) > 1 else 0.0, len(accs))
    return out


# ---------------------------------------------------------------------------------------------
# Chip cost per rule (VGG-8)

COST_RULES = ("neurosim", "sgd", "analog_sgd", "ttv2", "cttv2", "agad")


def chip_costs(rules=COST_RULES, config_path: str = "configs/vgg8_cifar10.py") -> list[dict]:
    """Per rule, the VGG-8 chip's estimate and the rule's additions (``cimjax estimate``'s
    Python path). Asserts every rule's chip estimate equals the default (``neurosim``) one."""
    from cimjax import build as build_lib
    from cimjax.estimate import PHASES, algorithm_estimate_build, endurance_figures, estimate_build

    base = load_config(str(ROOT / config_path))
    rows, ref = [], None
    for rule in rules:
        sets = [f"train.optimizer={rule}", "train.lr_decay_epochs=", "device.endurance_cycles=1e6"]
        config = apply_overrides(base, sets if rule != "neurosim" else ["device.endurance_cycles=1e6"])
        b = build_lib.build(config)
        est = jax.device_get(estimate_build(b))
        alg = algorithm_estimate_build(b, est)
        chip = [float(est.area.total)] + [float(getattr(getattr(est, p), f)) for p in PHASES
                                          for f in ("latency", "energy")]
        if ref is None:
            ref = chip
        if chip != ref:
            raise AssertionError(f"{rule}: the chip estimate {chip} differs from the default's {ref}")
        endurance = endurance_figures(alg, config.device.endurance_cycles)
        row = dict(rule=rule, chip_area_mm2=chip[0] * 1e6, extra_array_mm2=float(alg.array_area) * 1e6,
                   buffer_mm2=float(alg.buffer_area) * 1e6)
        for i, p in enumerate(PHASES):
            row[f"{p}_latency_s"], row[f"{p}_energy_j"] = chip[1 + 2 * i], chip[2 + 2 * i]
        row.update(transfer_latency_s=float(alg.transfer.latency), transfer_energy_j=float(alg.transfer.energy),
                   transfer_reads=float(alg.transfer_reads),
                   max_pulses_per_device_per_epoch=endurance["max_pulses_per_device_per_epoch"],
                   endurance_used_per_1e4_epochs=endurance["endurance_used_per_1e4_epochs"])
        rows.append(row)
    return rows


# ---------------------------------------------------------------------------------------------
# Output


def _write_csv(path: Path, rows) -> None:
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def accuracy_markdown(rows, setup: Setup, devices, header: str) -> list[str]:
    s = summarise(rows)
    rules = list(dict.fromkeys(r["rule"] for r in rows))
    lines = [header, "",
             f"Final test accuracy (%) after {setup.epochs} epoch(s), mean ± std over seeds "
             f"{', '.join(str(x) for x in setup.seeds)} (learning rate in parentheses):", "",
             "| rule | " + " | ".join(devices) + " |", "| --- |" + " --- |" * len(devices)]
    for rule in rules:
        cells = []
        for device in devices:
            key = (rule, "-" if rule == "ideal" else device)
            if key not in s:
                cells.append("—")
                continue
            m, sd, n = s[key]
            lr = next(r["lr"] for r in rows if (r["rule"], r["device"]) == key)
            cells.append(f"{m:.2f} ± {sd:.2f} ({lr:g})")
        lines.append(f"| {rule} | " + " | ".join(cells) + " |")
    lines.append("")
    for dev in devices:
        if split_device(dev)[0] != FEW_STATE or ("analog_sgd", dev) not in s:
            continue
        sgd = s[("analog_sgd", dev)][0]
        for r in ("ttv2", "cttv2", "agad"):
            if (r, dev) in s:
                per_seed = [a["test_accuracy"] - b["test_accuracy"] for a in rows for b in rows
                            if a["rule"] == r and b["rule"] == "analog_sgd" and a["device"] == dev
                            and b["device"] == dev and a["seed"] == b["seed"]]
                lines.append(f"- {r} − analog SGD on `{dev}`: {s[(r, dev)][0] - sgd:+.2f} points "
                             f"(per seed: {', '.join(f'{d:+.2f}' for d in per_seed)})")
        lines.append("")
    return lines


def cost_markdown(costs) -> list[str]:
    lines = ["VGG-8 training chip (`configs/vgg8_cifar10.py`; per epoch of 50,000 images; FW/AG/WG/WU: the "
             "chip estimate, identical for every rule (asserted); transfer: what the rule adds; pulses: the "
             "bound on the most pulses one device gets per epoch, and the share of an example endurance of "
             "1e6 pulses that 10⁴ epochs use):", "",
             "| rule | chip mm² | extra arrays mm² | buffer mm² | FW s / J | AG s / J | WG s / J | WU ms / mJ "
             "| transfer ms / mJ | transfer reads | max pulses / device / epoch | 10⁴ epochs / 1e6 |",
             "| --- |" + " --- |" * 11]
    for c in costs:
        ph = " | ".join(f"{c[f'{p}_latency_s']:.3g} / {c[f'{p}_energy_j']:.3g}" for p in ("fw", "ag", "wg"))
        lines.append(
            f"| `{c['rule']}` | {c['chip_area_mm2']:.2f} | {c['extra_array_mm2']:.3f} | {c['buffer_mm2']:.1f} | {ph} | "
            f"{1e3 * c['wu_latency_s']:.3g} / {1e3 * c['wu_energy_j']:.3g} | "
            f"{1e3 * c['transfer_latency_s']:.3g} / {1e3 * c['transfer_energy_j']:.3g} | {c['transfer_reads']:.4g} | "
            f"{c['max_pulses_per_device_per_epoch']:.0f} | {100 * c['endurance_used_per_1e4_epochs']:.3g} % |")
    lines.append("")
    return lines


def plot(rows, devices, path: Path) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:  # pragma: no cover
        return
    s = summarise(rows)
    rules = [r for r in dict.fromkeys(r["rule"] for r in rows) if r != "ideal"]
    fig, ax = plt.subplots(figsize=(1.6 + 1.6 * len(devices), 3.2))
    width = 0.8 / max(len(rules), 1)
    x = np.arange(len(devices))
    for i, rule in enumerate(rules):
        m = [s.get((rule, d), (np.nan, 0, 0))[0] for d in devices]
        e = [s.get((rule, d), (0, 0, 0))[1] for d in devices]
        ax.bar(x + (i - (len(rules) - 1) / 2) * width, m, width, yerr=e, label=rule, capsize=2)
    if ("ideal", "-") in s:
        ax.axhline(s[("ideal", "-")][0], color="k", ls="--", lw=1, label="ideal (float SGD)")
    ax.axhline(10, color="grey", ls=":", lw=1)
    ax.set_xticks(x, devices)
    ax.set_ylabel("test accuracy (%)")
    ax.set_ylim(0, 100)
    ax.legend(fontsize=7, ncol=2)
    ax.grid(True, axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--tiny", action="store_true", help="synthetic 8×8 data, one seed, one epoch (seconds)")
    p.add_argument("--pilot", action="store_true", help="learning-rate pilot (seed 0, --pilot-steps steps)")
    p.add_argument("--pilot-steps", type=int, default=200)
    p.add_argument("--pilot-lrs", default=None, help="comma-separated learning rates instead of the grid")
    p.add_argument("--append", action="store_true", help="add to the pilot CSV already written")
    p.add_argument("--costs", action="store_true", help="add the VGG-8 chip cost per rule")
    p.add_argument("--rules", default=",".join(RULES))
    p.add_argument("--devices", default=",".join(DEVICES))
    p.add_argument("--epochs", type=int, default=None)
    p.add_argument("--hidden", type=int, default=None)
    p.add_argument("--seeds", default=None, help="comma-separated seeds")
    p.add_argument("--cache", nargs="?", const="", default=None,
                   help="XLA's persistent compilation cache (cimjax.compile_cache; optional folder): the table "
                        "then reuses the pilot's compiled steps")
    p.add_argument("--out", default=None, help="output directory (default benchmarks/results)")
    args = p.parse_args(argv)
    setup = TINY if args.tiny else Setup()
    changes = dict(epochs=args.epochs, hidden=args.hidden,
                   seeds=None if args.seeds is None else tuple(int(x) for x in args.seeds.split(",")))
    setup = dataclasses.replace(setup, **{k: v for k, v in changes.items() if v is not None})
    rules = [r for r in args.rules.split(",") if r]
    devices = [d for d in args.devices.split(",") if d]
    for r in rules:
        if r not in RULES:
            raise SystemExit(f"--rules: {r!r} is not one of {RULES}")
    out = Path(args.out) if args.out else RESULTS
    out.mkdir(parents=True, exist_ok=True)
    if args.cache is not None:
        from cimjax import compile_cache

        compile_cache.enable(args.cache or None, min_compile_seconds=0.0)
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    start_machine = machine()
    print(f"setup: {setup}; {start_machine}", flush=True)
    t_start = time.perf_counter()
    rows, datasets = [], {}
    if args.pilot:
        extra = None if args.pilot_lrs is None else tuple(float(x) for x in args.pilot_lrs.split(","))
        for rule, device in groups(rules, devices):
            for lr in (extra or pilot_grid(rule, device)):
                rows += train_group(setup, rule, device, lr, (setup.seeds[0],), max_steps=args.pilot_steps,
                                    datasets=datasets)
        path = out / "algorithm_accuracy_pilot.csv"
        if args.append and path.exists():  # an earlier pilot's rows (the same setup) are kept
            with open(path) as f:
                old = [dict(r, lr=float(r["lr"]), seed=int(r["seed"]), test_accuracy=float(r["test_accuracy"]))
                       for r in csv.DictReader(f)]
            rows = old + rows
        rows.sort(key=lambda r: (RULES.index(r["rule"]), r["device"], r["lr"]))
        _write_csv(path, rows)
        best = {}
        for r in rows:
            k = (r["rule"], r["device"])
            if k not in best or r["test_accuracy"] > best[k]["test_accuracy"]:
                best[k] = r
        lines = [f"Learning-rate pilot (last invocation's time below): seed {setup.seeds[0]}, {args.pilot_steps} steps of batch {setup.batch} "
                 f"(MLP {setup.hidden} hidden, {setup.data}); test accuracy (%) per learning rate, best in bold. "
                 f"{date}; {start_machine}; {time.perf_counter() - t_start:.0f} s.", "",
                 "| rule | device | learning rate: accuracy | | | |", "| --- | --- | --- | --- | --- | --- |"]
        for (rule, device), b in best.items():
            cells = [f"{'**' if r is b else ''}{r['lr']:g}: {r['test_accuracy']:.1f}{'**' if r is b else ''}"
                     for r in rows if (r["rule"], r["device"]) == (rule, device)]
            lines.append(f"| {rule} | {device} | " + " | ".join(cells) + " |")
        text = "\n".join(lines) + "\n"
        (out / "algorithm_accuracy_pilot.md").write_text(text)
        print(text)
        return 0
    for rule, device in groups(rules, devices):
        lr = LEARNING_RATES[(rule, device)] if not args.tiny else (0.01 if rule == "ideal" else 0.1)
        rows += train_group(setup, rule, device, lr, setup.seeds, datasets=datasets)
    wall = time.perf_counter() - t_start
    _write_csv(out / "algorithm_accuracy.csv", rows)
    n_in = int(np.prod(next(iter(datasets.values())).train_images.shape[1:]))
    header = (f"MLP {n_in}–{setup.hidden}–10 on {setup.data} ({'full 60,000 / 10,000' if setup.data == 'fashion_mnist' else 'tiny'}), "
              f"batch {setup.batch}, `expected` update mode, 32-bit weights. {date}; {start_machine} at the start; "
              f"all trainings {wall:.0f} s wall.")
    lines = accuracy_markdown(rows, setup, devices, header)
    if args.costs:
        costs = chip_costs()
        _write_csv(out / "algorithm_chip_cost.csv", costs)
        lines += cost_markdown(costs)
    text = "\n".join(lines) + "\n"
    (out / "algorithm_accuracy.md").write_text(text)
    plot(rows, devices, out / "algorithm_accuracy.png")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
