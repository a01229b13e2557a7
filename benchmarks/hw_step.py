"""Cost of hardware-in-the-loop training: step time and memory per ``array.mode`` (issue 6).

Compiles the jitted training step (:meth:`cimjax.trainer.Trainer.train_step`: forward,
WAGE backward, NeuroSim momentum and device update) of one network for
``array.mode = ideal``, ``hw_forward`` (forward product through the analog array read,
docs/model.md §3.2–§3.3) and ``hw_full`` (also the activation gradient through the transposed read),
on the same batch of real images, and reports per mode:

* **step time**: the median of ``--steps × --rounds`` timed steps after compilation, the
  modes interleaved round by round so that drifting machine load hits all of them;
* **memory** from XLA's analysis of the compiled executable
  (``jax.jit(f).lower(...).compile().memory_analysis()``): ``temp`` is the scratch buffer
  XLA allocates for the step's intermediates (the part the analog read grows), ``peak`` is
  ``arguments + outputs − aliased + temp``, the most the step can hold at once (the training
  state is donated, so its outputs alias its arguments). This is the compiler's static
  buffer assignment, not a measured resident-set size;

then the ratios hw / ideal. Issue 6's targets: ``hw_full`` ≤ 3× the ideal step time and
≤ 2× its peak memory. Defaults: VGG-8 width 0.125 on the embedded Fashion-MNIST subset
(``configs/quickstart.py``), batch 64::

    python benchmarks/hw_step.py
    python benchmarks/hw_step.py --batch 200 --width 0.25 --set hardware.adc_bits=5
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import jax

from cimjax.config import apply_overrides, load_config, replace
from cimjax.data import iterate_batches, load_dataset
from cimjax.trainer import Trainer, make_keys

MODES = ("ideal", "hw_forward", "hw_full")


def device_name() -> str:
    d = jax.devices()[0]
    return f"{d.platform}:{d.device_kind} ({jax.device_count()} device(s), jax {jax.__version__})"


def memory(compiled) -> dict[str, int]:
    """XLA's buffer sizes of a compiled executable, in bytes (``peak`` as the module docstring)."""
    m = compiled.memory_analysis()
    out = {
        "arguments": int(m.argument_size_in_bytes),
        "outputs": int(m.output_size_in_bytes),
        "aliased": int(m.alias_size_in_bytes),
        "temp": int(m.temp_size_in_bytes),
    }
    out["peak"] = out["arguments"] + out["outputs"] - out["aliased"] + out["temp"]
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", default="configs/quickstart.py")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="SECTION.FIELD=VALUE")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--width", type=float, default=0.125)
    p.add_argument("--steps", type=int, default=3, help="timed steps per round and mode")
    p.add_argument("--rounds", type=int, default=2, help="interleaved rounds")
    p.add_argument("--modes", default=",".join(MODES), help="comma-separated array modes (first = reference)")
    args = p.parse_args(argv)

    base = apply_overrides(load_config(args.config), args.overrides)
    base = replace(base, model={"width": args.width}, data={"batch_size": args.batch, "augment": False})
    keys = make_keys(base.run.seed)
    ds = load_dataset(base.data, key=keys.data)
    batch = next(iterate_batches(ds.train_images, ds.train_labels, args.batch, key=None))
    shape = tuple(int(d) for d in ds.train_images.shape[1:])
    modes = [m.strip() for m in args.modes.split(",")]
    print(f"device: {device_name()}")
    print(f"network: {base.model.name} width {args.width:g} on {shape} ({base.data.name}), "
          f"batch {args.batch}; {base.hardware.subarray_rows}-row sub-arrays, {base.hardware.adc_bits}-bit "
          f"{base.array.adc_mode} ADC, W/A bits {base.quant.weight_bits}/{base.quant.activation_bits}, "
          f"{base.hardware.cell_bits}-bit cells")

    steps, states, mems = {}, {}, {}
    for mode in modes:
        t0 = time.perf_counter()
        trainer = Trainer(replace(base, array={"mode": mode}), shape, 1000, keys)
        compiled = trainer.train_step.lower(trainer.initial_state, batch).compile()
        mems[mode] = memory(compiled)
        state, loss = compiled(trainer.initial_state, batch)  # first run (warm-up)
        jax.block_until_ready(loss)
        steps[mode], states[mode] = compiled, state
        print(f"{mode:>10}: compile + first step {time.perf_counter() - t0:6.1f} s")

    times: dict[str, list[float]] = {m: [] for m in modes}
    for _ in range(args.rounds):
        for mode in modes:
            for _ in range(args.steps):
                t = time.perf_counter()
                states[mode], loss = steps[mode](states[mode], batch)
                jax.block_until_ready((states[mode], loss))
                times[mode].append(time.perf_counter() - t)

    ref = modes[0]
    med = {m: statistics.median(times[m]) for m in modes}
    mb = 2.0**20
    print(f"\n{'mode':>10}  {'step ms':>9}  {'ratio':>6}  {'temp MiB':>9}  {'ratio':>6}  {'peak MiB':>9}  {'ratio':>6}")
    for m in modes:
        print(f"{m:>10}  {med[m] * 1e3:9.1f}  {med[m] / med[ref]:6.2f}  {mems[m]['temp'] / mb:9.2f}  "
              f"{mems[m]['temp'] / mems[ref]['temp']:6.2f}  {mems[m]['peak'] / mb:9.2f}  "
              f"{mems[m]['peak'] / mems[ref]['peak']:6.2f}")
    print(f"(median of {args.steps * args.rounds} steps per mode; memory from XLA's memory_analysis of the "
          "compiled step: temp = scratch, peak = arguments + outputs − aliased + temp)")
    if "hw_full" in modes and ref == "ideal":
        t_ratio, m_ratio = med["hw_full"] / med[ref], mems["hw_full"]["peak"] / mems[ref]["peak"]
        print(f"issue 6 targets: hw_full step time {t_ratio:.2f}x ideal (target <= 3x: "
              f"{'met' if t_ratio <= 3 else 'MISSED'}), peak memory {m_ratio:.2f}x (target <= 2x: "
              f"{'met' if m_ratio <= 2 else 'MISSED'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
