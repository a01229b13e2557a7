"""The GPU benchmark suite (issue 17 item 5): one table from one run on one accelerator.

    bash benchmarks/gpu_suite.sh                  # on a GPU: full-width VGG-8, batch 200 (< 8 min)
    bash benchmarks/gpu_suite.sh --cpu-smoke      # the same program at toy sizes on a CPU (tests)

It measures, in one process, side by side where a figure is a ratio:

1. **step ratio**: the device-aware VGG-8 training step (``configs/vgg8_cifar10.py``: WAGE,
   NeuroSim momentum, nonlinear device update) against a bare Flax + optax VGG-8 step
   (``benchmarks/bare_vgg8.py``, no cimjax code), on the same batch, interleaved rounds;
2. **one epoch** of CIFAR-10 (or CIFAR-10-shaped synthetic data when CIFAR-10 is absent:
   50,000 / 10,000 images) through the device-aware step and the test pass, and the
   projection to NeuroSim's 256 epochs;
3. **vmapped estimator**: designs/s of the training-chip estimate over a random design grid
   (``benchmarks/estimator.py``'s grid) after compilation;
4. **hw_full / ideal**: the step with every product and transposed product through the
   emulated array (``array.mode = hw_full``) against ``ideal``, interleaved.

``--out FILE.json`` also writes the numbers. Compile times are printed, not counted in a rate.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))

import bare_vgg8  # noqa: E402
import estimator as estimator_bench  # noqa: E402

from cimjax import data as data_lib  # noqa: E402
from cimjax import trace as trace_lib  # noqa: E402
from cimjax.config import apply_overrides, load_config, replace  # noqa: E402
from cimjax.data import DataNotFoundError  # noqa: E402
from cimjax.hw import chip  # noqa: E402
from cimjax.hw.network import network_layers  # noqa: E402
from cimjax.trainer import Trainer, make_keys, steps_per_epoch  # noqa: E402

FULL = dict(width=1.0, batch=200, shape=(32, 32, 3), steps=5, rounds=3, designs=10_000,
            hw_width=1.0, hw_batch=200, hw_steps=2, hw_rounds=2, epoch_limit=None)
SMOKE = dict(width=1 / 32, batch=8, shape=(8, 8, 3), steps=1, rounds=1, designs=16,
             hw_width=1 / 32, hw_batch=4, hw_steps=1, hw_rounds=1, epoch_limit=3)
EPOCHS_PROJECTED = 256  # NeuroSim V2.0's default run


def _median_interleaved(steps: dict, states: dict, batches: dict, n: int, rounds: int) -> dict:
    """Median step time of each named ``step(state, batch)``, rounds interleaved so drifting
    machine load hits every one alike."""
    times = {k: [] for k in steps}
    for _ in range(rounds):
        for k, step in steps.items():
            for _ in range(n):
                t = time.perf_counter()
                states[k], loss = step(states[k], batches[k])
                jax.block_until_ready((states[k], loss))
                times[k].append(time.perf_counter() - t)
    return {k: statistics.median(v) for k, v in times.items()}


def _batch(shape, n, classes, seed=0):
    k1, k2 = jax.random.split(jax.random.key(seed))
    return {"image": jax.random.uniform(k1, (n, *shape), jnp.float32),
            "label": jax.random.randint(k2, (n,), 0, classes, jnp.int32)}


def step_ratio(base, s, log) -> dict:
    cfg = replace(base, model={"width": s["width"]}, data={"batch_size": s["batch"], "augment": False})
    batch = _batch(s["shape"], s["batch"], cfg.model.num_classes)
    t0 = time.perf_counter()
    trainer = Trainer(cfg, s["shape"], 1000, make_keys(cfg.run.seed))
    bare_state, bare_step = bare_vgg8.make_step(s["width"], cfg.model.num_classes, s["shape"])
    steps = {"device": trainer.train_step, "bare": bare_step}
    states = {"device": trainer.initial_state, "bare": bare_state}
    med = _median_interleaved(steps, states, {"device": batch, "bare": batch}, 1, 1)  # compile + warm-up
    log(f"[1] step: compile + first steps {time.perf_counter() - t0:.1f} s")
    med = _median_interleaved(steps, states, {"device": batch, "bare": batch}, s["steps"], s["rounds"])
    return {"device_s": med["device"], "bare_s": med["bare"], "ratio": med["device"] / med["bare"]}


def one_epoch(base, s, log) -> dict:
    cfg = replace(base, model={"width": s["width"]}, data={"batch_size": s["batch"]})
    keys = make_keys(cfg.run.seed)
    try:
        if s["epoch_limit"] is not None:
            raise DataNotFoundError("smoke: synthetic")
        ds = data_lib.load_dataset(cfg.data, key=keys.data)
        source = ds.description
    except DataNotFoundError:
        n_train, n_test = (50_000, 10_000) if s["epoch_limit"] is None else (s["batch"] * s["epoch_limit"], 2 * s["batch"])
        cfg = replace(cfg, data={"name": "synthetic", "image_shape": s["shape"], "synthetic_train_size": n_train,
                                 "synthetic_test_size": n_test, "eval_batch_size": s["batch"]})
        ds = data_lib.load_dataset(cfg.data, key=keys.data)
        source = f"synthetic, CIFAR-10-shaped ({n_train} / {n_test})" if s["epoch_limit"] is None else "synthetic (smoke)"
    shape = tuple(int(d) for d in ds.train_images.shape[1:])
    n_steps = steps_per_epoch(cfg, len(ds.train_labels))
    trainer = Trainer(cfg, shape, n_steps, keys)
    batches = data_lib.iterate_batches(ds.train_images, ds.train_labels, cfg.data.batch_size,
                                       key=keys.shuffle, drop_remainder=True)
    state = trainer.initial_state
    t0 = time.perf_counter()
    first = next(batches)
    state, loss = trainer.train_step(state, first)  # compile
    jax.block_until_ready(loss)
    trainer.evaluate(state.params, ds.test_images[: cfg.data.eval_batch_size], ds.test_labels[: cfg.data.eval_batch_size])
    log(f"[2] epoch: compile {time.perf_counter() - t0:.1f} s")
    t0 = time.perf_counter()
    done = 1
    for batch in batches:
        if done >= n_steps:
            break
        state, loss = trainer.train_step(state, batch)
        done += 1
    jax.block_until_ready(loss)
    train_s = (time.perf_counter() - t0) * n_steps / max(1, done - 1)  # the compiled first step not counted
    t0 = time.perf_counter()
    trainer.evaluate(state.params, ds.test_images, ds.test_labels)
    test_s = time.perf_counter() - t0
    return {"source": source, "steps": n_steps, "train_s": train_s, "test_s": test_s,
            "projected_256_h": EPOCHS_PROJECTED * (train_s + test_s) / 3600.0, "loss": float(loss)}


def estimator_rate(base, s, log) -> dict:
    # the chip of CIFAR-10's 32×32×3 VGG-8 at the suite's width (smaller inputs leave 1×1 maps)
    cfg = chip.ChipConfig(layers=tuple(network_layers(replace(base, model={"width": s["width"]}).model, (32, 32, 3))),
                          mode="exact")
    params = jax.tree.map(lambda x: jnp.asarray(x, jnp.float32), chip.default_params())
    grid = estimator_bench.design_grid(params, s["designs"], 0)
    trace = trace_lib.default_trace(len(cfg.layers))
    fn = jax.jit(jax.vmap(lambda p, t: chip.estimate(p, cfg, t), in_axes=(0, None)))
    t0 = time.perf_counter()
    out = jax.block_until_ready(fn(grid, trace))
    log(f"[3] estimator: compile {time.perf_counter() - t0:.1f} s")
    reps = []
    for _ in range(3):
        t0 = time.perf_counter()
        out = jax.block_until_ready(fn(grid, trace))
        reps.append(time.perf_counter() - t0)
    finite = float(np.mean(np.isfinite(np.asarray(estimator_bench.total_energy(out)))))
    return {"designs": s["designs"], "designs_per_s": s["designs"] / statistics.median(reps), "finite": finite}


def hw_ratio(base, s, log) -> dict:
    cfg = replace(base, model={"width": s["hw_width"]}, data={"batch_size": s["hw_batch"], "augment": False})
    batch = _batch(s["shape"], s["hw_batch"], cfg.model.num_classes, seed=1)
    keys = make_keys(cfg.run.seed)
    steps, states = {}, {}
    t0 = time.perf_counter()
    for mode in ("ideal", "hw_full"):
        tr = Trainer(replace(cfg, array={"mode": mode}), s["shape"], 1000, keys)
        steps[mode], states[mode] = tr.train_step, tr.initial_state
    batches = {m: batch for m in steps}
    _median_interleaved(steps, states, batches, 1, 1)
    log(f"[4] hw_full: compile + first steps {time.perf_counter() - t0:.1f} s")
    med = _median_interleaved(steps, states, batches, s["hw_steps"], s["hw_rounds"])
    return {"ideal_s": med["ideal"], "hw_full_s": med["hw_full"], "ratio": med["hw_full"] / med["ideal"]}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cpu-smoke", action="store_true", help="toy sizes, so the whole suite runs on a CPU in a test")
    p.add_argument("--config", default=os.path.join(os.path.dirname(HERE), "configs", "vgg8_cifar10.py"))
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="SECTION.FIELD=VALUE")
    p.add_argument("--out", default=None, help="also write the numbers to this JSON file")
    args = p.parse_args(argv)
    s = SMOKE if args.cpu_smoke else FULL
    base = apply_overrides(load_config(args.config), args.overrides)
    base = replace(base, run={"estimate_each_epoch": False})
    dev = jax.devices()[0]
    machine = (f"{dev.platform}:{dev.device_kind}, {jax.device_count()} device(s); host {platform.machine()} "
               f"{os.cpu_count()} cores; jax {jax.__version__}")
    print(f"machine: {machine}" + ("  [--cpu-smoke: toy sizes, not a measurement]" if args.cpu_smoke else ""))
    if not args.cpu_smoke and dev.platform == "cpu":
        print("note: no accelerator found; the full sizes on a CPU take hours (use --cpu-smoke)")
    t_start = time.perf_counter()
    log = lambda m: print(m, flush=True)  # noqa: E731
    r = {"machine": machine, "smoke": bool(args.cpu_smoke), "sizes": {k: v for k, v in s.items()}}
    r["step"] = step_ratio(base, s, log)
    r["epoch"] = one_epoch(base, s, log)
    r["estimator"] = estimator_rate(base, s, log)
    r["hw"] = hw_ratio(base, s, log)
    r["total_s"] = time.perf_counter() - t_start
    w = s["width"]
    rows = [
        (f"device-aware / bare step (VGG-8 ×{w:g}, batch {s['batch']})",
         f"{r['step']['ratio']:.2f}x ({r['step']['device_s'] * 1e3:.1f} / {r['step']['bare_s'] * 1e3:.1f} ms)", "≤ 1.25x"),
        (f"one epoch ({r['epoch']['source']}, {r['epoch']['steps']} steps)",
         f"{r['epoch']['train_s']:.1f} s train + {r['epoch']['test_s']:.1f} s test", ""),
        (f"  projected to {EPOCHS_PROJECTED} epochs", f"{r['epoch']['projected_256_h']:.2f} h", ""),
        (f"vmapped estimator ({s['designs']:,} designs)", f"{r['estimator']['designs_per_s']:,.0f} designs/s "
         f"({100 * r['estimator']['finite']:.0f} % finite)", ""),
        (f"hw_full / ideal step (×{s['hw_width']:g}, batch {s['hw_batch']})",
         f"{r['hw']['ratio']:.2f}x ({r['hw']['hw_full_s'] * 1e3:.1f} / {r['hw']['ideal_s'] * 1e3:.1f} ms)", ""),
        ("suite wall time", f"{r['total_s']:.0f} s", "< 8 min on one GPU"),
    ]
    wd = max(len(a) for a, _, _ in rows)
    wv = max(len(b) for _, b, _ in rows)
    print(f"\n{'figure':<{wd}}  {'measured':<{wv}}  target")
    for a, b, c in rows:
        print(f"{a:<{wd}}  {b:<{wv}}  {c}")
    if args.out:
        with open(args.out, "w") as f:
            json.dump(r, f, indent=2)
    bad = [k for k in ("step", "hw") if not np.isfinite(r[k]["ratio"])]
    return 1 if bad or not np.isfinite(r["epoch"]["loss"]) else 0


if __name__ == "__main__":
    sys.exit(main())
