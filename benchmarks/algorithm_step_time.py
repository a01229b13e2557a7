"""Training-step time of each in-situ rule relative to the plain SGD step (issue 16, "Speed").

For one network, compiles the jitted training step (:meth:`cimjax.trainer.Trainer.train_step`:
forward, WAGE backward, the optimiser) with ``train.optimizer`` = ``sgd`` (plain float momentum
SGD: the reference), ``neurosim`` (NeuroSim's momentum and device update on the config's NeuroSim
device) and each in-situ rule of :mod:`cimjax.optim.analog_algorithms` (on
``device.pulsed_preset``, default ``reram_sb``; ``expected`` update mode), on the same batch of
real images, then times ``--steps`` steps per rule and round for ``--rounds`` rounds, the rules
interleaved round by round so that drifting machine load hits all of them. Prints the median step
time and its ratio to ``sgd``. Issue 16's target: ``neurosim`` ≤ 1.25× the plain step.

A rule may carry its update mode, ``RULE:MODE`` (``train.update_mode``; default ``expected``),
e.g. ``--rules sgd,analog_sgd,analog_sgd:stochastic,ttv2,ttv2:stochastic`` times the faithful
``stochastic`` pulse trains (every sample's ``(x, d)``) beside the ``expected`` mode.

Networks: ``--net vgg8`` (``configs/quickstart.py``: VGG-8 width ``--width`` on the embedded
Fashion-MNIST, 28×28×1) or ``--net mlp`` (784–``--hidden``–10 on the same images)::

    python benchmarks/algorithm_step_time.py --net mlp
    python benchmarks/algorithm_step_time.py --net vgg8 --width 0.125
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import jax

from cimjax.config import apply_overrides, load_config, replace
from cimjax.data import iterate_batches, load_dataset
from cimjax.trainer import Trainer, make_keys

RULES = ("sgd", "neurosim", "analog_sgd", "ttv1", "ttv2", "cttv2", "agad", "mixed_precision")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--net", choices=("mlp", "vgg8"), default="mlp")
    p.add_argument("--width", type=float, default=0.125, help="VGG-8 channel multiplier")
    p.add_argument("--hidden", type=int, default=64, help="MLP hidden units")
    p.add_argument("--batch", type=int, default=100)
    p.add_argument("--device", default="reram_sb", help="device.pulsed_preset of the in-situ rules")
    p.add_argument("--rules", default=",".join(RULES), help="comma-separated; the first is the reference")
    p.add_argument("--steps", type=int, default=5, help="timed steps per round and rule")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="SECTION.FIELD=VALUE")
    args = p.parse_args(argv)

    base = apply_overrides(load_config("configs/quickstart.py"), args.overrides)
    model = {"width": args.width} if args.net == "vgg8" else {"name": "mlp", "hidden": args.hidden}
    base = replace(base, model=model, data={"batch_size": args.batch, "augment": False})
    keys = make_keys(base.run.seed)
    ds = load_dataset(base.data, key=keys.data)
    batch = next(iterate_batches(ds.train_images, ds.train_labels, args.batch, key=None))
    shape = tuple(int(d) for d in ds.train_images.shape[1:])
    rules = [r for r in args.rules.split(",") if r]
    print(f"{jax.devices()[0].platform}, jax {jax.__version__}, {os.cpu_count()} CPU(s), load average "
          f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    net = f"VGG-8 width {args.width:g}" if args.net == "vgg8" else f"MLP {shape[0] * shape[1] * shape[2]}–{args.hidden}–10"
    print(f"network: {net} on {shape} ({base.data.name}), batch {args.batch}; in-situ rules on "
          f"{args.device} (expected mode unless RULE:MODE), neurosim on {base.device.name}")

    steps, states = {}, {}
    for rule in rules:
        t0 = time.perf_counter()
        name, _, mode = rule.partition(":")
        changes = {"optimizer": name}
        device = {}
        if name not in ("sgd", "neurosim"):
            changes.update(lr_decay_epochs=(), update_mode=mode or "expected")
            device = {"pulsed_preset": args.device}
        config = replace(base, train=changes, device=device)
        trainer = Trainer(config, shape, 1000, keys)
        compiled = trainer.train_step.lower(trainer.initial_state, batch).compile()
        state, loss = compiled(trainer.initial_state, batch)  # warm-up
        jax.block_until_ready(loss)
        steps[rule], states[rule] = compiled, state
        print(f"{rule:>22}: compile + first step {time.perf_counter() - t0:6.1f} s", flush=True)

    times: dict[str, list[float]] = {r: [] for r in rules}
    for _ in range(args.rounds):
        for rule in rules:
            for _ in range(args.steps):
                t = time.perf_counter()
                states[rule], loss = steps[rule](states[rule], batch)
                jax.block_until_ready((states[rule], loss))
                times[rule].append(time.perf_counter() - t)

    ref = rules[0]
    med = {r: statistics.median(times[r]) for r in rules}
    print(f"\n{'rule':>22}  {'step ms':>9}  {'ratio to ' + ref:>12}")
    for r in rules:
        print(f"{r:>22}  {med[r] * 1e3:9.1f}  {med[r] / med[ref]:12.2f}")
    print(f"(median of {args.steps * args.rounds} steps per rule, interleaved; load average now "
          f"{', '.join(f'{x:.1f}' for x in os.getloadavg())})")
    if "neurosim" in rules and ref == "sgd":
        ratio = med["neurosim"] / med["sgd"]
        print(f"issue 16 target: neurosim step {ratio:.2f}x the plain SGD step (<= 1.25: "
              f"{'met' if ratio <= 1.25 else 'MISSED'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
