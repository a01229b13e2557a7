"""VGG-8 on-chip training benchmark.

Two modes:

``train`` (default) runs a config end to end and reports, per epoch, test accuracy, wall
time, training images/s and the device it ran on::

    python benchmarks/train_vgg8.py train --config configs/vgg8_cifar10.py --set train.epochs=2

``step`` measures, in one run and on the same batch, the time of the device-aware training
step (WAGE forward/backward, NeuroSim momentum, nonlinear device update) against a bare
Flax + optax step of the same network written in ``benchmarks/bare_vgg8.py`` with no cimjax
code in it (float32, SSE, SGD with momentum), so the ratio cannot hide overhead both share.
The two are timed interleaved after compilation; the ratio is printed last::

    python benchmarks/train_vgg8.py step --batch 200 --width 1.0     # GPU: full VGG-8
    python benchmarks/train_vgg8.py step --batch 200 --width 0.25    # CPU: width-scaled
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import jax
import jax.numpy as jnp

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bare_vgg8  # noqa: E402  (benchmarks/bare_vgg8.py)

from cimjax.config import apply_overrides, load_config, replace
from cimjax.train import train_and_evaluate
from cimjax.trainer import Trainer, make_keys


def device_name() -> str:
    d = jax.devices()[0]
    return f"{d.platform}:{d.device_kind} ({jax.device_count()} device(s), jax {jax.__version__})"


def run_train(args) -> None:
    config = apply_overrides(load_config(args.config), args.overrides)
    if args.out:
        config = replace(config, run={"out_dir": args.out})
    s = train_and_evaluate(config, progress=not args.no_progress)
    n_steps = s["steps_total"] // config.train.epochs
    images = n_steps * config.data.batch_size
    print(f"\ndevice: {device_name()}")
    print(f"{'epoch':>5}  {'accuracy %':>10}  {'seconds':>8}  {'images/s':>9}")
    for h, sec in zip(s["history"], s["seconds_per_epoch"]):
        print(f"{h['epoch']:>5}  {h['accuracy']:>10.2f}  {sec:>8.2f}  {images / sec:>9.1f}")
    print("(epoch seconds include the test-set evaluation and the first epoch includes compilation)")


def _time_steps(step, state, batch, n: int):
    """Run ``n`` steps of ``step`` from ``state`` (donated), timing each; returns (state, seconds)."""
    times = []
    for _ in range(n):
        t = time.perf_counter()
        state, loss = step(state, batch)
        jax.block_until_ready((state, loss))
        times.append(time.perf_counter() - t)
    return state, times


def run_step(args) -> None:
    base = load_config(args.config)
    base = apply_overrides(base, args.overrides)
    base = replace(base, model={"width": args.width}, data={"batch_size": args.batch, "augment": False})
    shape = tuple(args.input_shape)
    k_img, k_lab = jax.random.split(jax.random.key(0))
    batch = {
        "image": jax.random.uniform(k_img, (args.batch, *shape), jnp.float32),
        "label": jax.random.randint(k_lab, (args.batch,), 0, base.model.num_classes, jnp.int32),
    }
    keys = make_keys(base.run.seed)
    t0 = time.perf_counter()
    device_trainer = Trainer(base, shape, 1000, keys)
    plain_state, plain_step = bare_vgg8.make_step(args.width, base.model.num_classes, shape)
    print(f"device: {device_name()}")
    print(f"network: VGG-8 width {args.width:g} on {shape}, batch {args.batch}; device {base.device.name}; "
          f"bits W/A/G/E {base.quant.weight_bits}/{base.quant.activation_bits}/"
          f"{base.quant.gradient_bits}/{base.quant.error_bits}")
    dev_state, _ = _time_steps(device_trainer.train_step, device_trainer.initial_state, batch, 1)  # compile
    plain_state, _ = _time_steps(plain_step, plain_state, batch, 1)
    print(f"setup + compile: {time.perf_counter() - t0:.1f} s")
    # Interleave rounds so drifting machine load hits both equally.
    dev_times, plain_times = [], []
    for _ in range(args.rounds):
        dev_state, t = _time_steps(device_trainer.train_step, dev_state, batch, args.steps)
        dev_times += t
        plain_state, t = _time_steps(plain_step, plain_state, batch, args.steps)
        plain_times += t
    dev, pl = statistics.median(dev_times), statistics.median(plain_times)
    print(f"bare Flax step:     median {pl * 1e3:9.2f} ms  ({args.batch / pl:8.1f} images/s)")
    print(f"device-aware step:  median {dev * 1e3:9.2f} ms  ({args.batch / dev:8.1f} images/s)")
    print(f"ratio device-aware / bare: {dev / pl:.3f}")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="mode")
    t = sub.add_parser("train", help="train a config and report accuracy, time and images/s per epoch")
    s = sub.add_parser("step", help="device-aware vs bare Flax + optax step time on the same batch")
    for q in (t, s):
        q.add_argument("--config", default="configs/vgg8_cifar10.py")
        q.add_argument("--set", dest="overrides", action="append", default=[], metavar="SECTION.FIELD=VALUE")
    t.add_argument("--out", default=None)
    t.add_argument("--no-progress", action="store_true")
    s.add_argument("--batch", type=int, default=200)
    s.add_argument("--width", type=float, default=1.0 if jax.default_backend() == "gpu" else 0.25)
    s.add_argument("--input-shape", type=int, nargs=3, default=(32, 32, 3), metavar=("H", "W", "C"))
    s.add_argument("--steps", type=int, default=5, help="timed steps per round")
    s.add_argument("--rounds", type=int, default=3, help="interleaved rounds of each step kind")
    args = p.parse_args(argv)
    if args.mode is None:
        args = p.parse_args(["train", *(argv if argv is not None else sys.argv[1:])])
    (run_step if args.mode == "step" else run_train)(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
