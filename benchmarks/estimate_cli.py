"""How long ``cimjax estimate`` takes on the default config, cold and warm, and where the time goes.

    python benchmarks/estimate_cli.py            # 2 repeats of each measurement
    python benchmarks/estimate_cli.py --repeats 3

Issue 4 asks for the report "in under a few seconds including compile". This prints, side by
side in one run:

1. the whole command (``cimjax estimate --config configs/vgg8_cifar10.py``) as a subprocess:
   with the persistent caches off, with empty caches (cold) and again with the caches it just
   filled (warm: cimjax's already traced program and XLA's compiled small helpers), each as
   the time until the report is printed and until the command ends (files and PNG written);
2. in-process, the stages of the one estimate: the host evaluation the command uses
   (:mod:`cimjax.host_eval`: tracing, then NumPy), against ``jax.jit`` (tracing, lowering,
   XLA compiling, one call), and the ratio of their first estimates.
"""

from __future__ import annotations

import argparse
import functools
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, ROOT)


def _command(cache_dir: str, out_dir: str) -> tuple[float, float]:
    """(seconds until the report's last line is printed, seconds until the command ends)."""
    env = dict(os.environ, CIMJAX_CACHE_DIR=cache_dir)
    cmd = [sys.executable, "-m", "cimjax.cli", "estimate", "--config", os.path.join(ROOT, "configs", "vgg8_cifar10.py"),
           "--out", out_dir]
    t0 = time.perf_counter()
    report = None
    with subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True) as proc:
        for line in proc.stdout:
            if report is None and line.startswith("leakage "):  # the report table's last line
                report = time.perf_counter() - t0
    if proc.returncode != 0:
        raise subprocess.CalledProcessError(proc.returncode, cmd)
    total = time.perf_counter() - t0
    return (total if report is None else report), total


def _stages(repeats: int) -> dict:
    import jax

    from cimjax import host_eval
    from cimjax.config.schema import ModelConfig
    from cimjax.hw import chip
    from cimjax import trace as trace_lib
    from cimjax.hw.network import network_layers

    jax.config.update("jax_enable_compilation_cache", False)
    layers = tuple(network_layers(ModelConfig(), (32, 32, 3)))
    params, trace = chip.default_params(), trace_lib.default_trace()
    out = {k: [] for k in ("host_trace", "host_first", "host_again", "jit_trace", "jit_lower", "jit_compile", "jit_call")}
    for r in range(repeats):
        # A new ChipConfig for each measurement defeats JAX's in-memory caches (the nested jits
        # are keyed on it), so neither path reuses the other's traces.
        config = chip.ChipConfig(layers, temperature=1.0 + 1e-9 * (2 * r))
        t0 = time.perf_counter()
        prog = host_eval.trace(lambda p, t: chip.estimate(p, config=config, trace=t), params, trace)
        t1 = time.perf_counter()
        host_eval.run(prog, params, trace)
        t2 = time.perf_counter()
        host_eval.run(prog, params, trace)
        t3 = time.perf_counter()
        out["host_trace"].append(t1 - t0)
        out["host_first"].append(t2 - t1)
        out["host_again"].append(t3 - t2)
        fn = jax.jit(functools.partial(chip.estimate, config=chip.ChipConfig(layers, temperature=1.0 + 1e-9 * (2 * r + 1))))
        t0 = time.perf_counter()
        traced = fn.trace(params, trace=trace)
        t1 = time.perf_counter()
        lowered = traced.lower()
        t2 = time.perf_counter()
        compiled = lowered.compile()
        t3 = time.perf_counter()
        out["jit_trace"].append(t1 - t0)
        out["jit_lower"].append(t2 - t1)
        out["jit_compile"].append(t3 - t2)
        jax.block_until_ready(compiled(params, trace=trace))
        t0 = time.perf_counter()
        for _ in range(10):
            jax.block_until_ready(compiled(params, trace=trace))
        out["jit_call"].append((time.perf_counter() - t0) / 10)
    return {k: statistics.median(v) for k, v in out.items()}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeats", type=int, default=2)
    args = p.parse_args(argv)
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}; "
          f"load average {os.getloadavg()[0]:.2f} at start")
    with tempfile.TemporaryDirectory() as tmp:
        out_dir = os.path.join(tmp, "out")
        rows = {"cache off": [], "cold cache": [], "warm cache": []}
        for r in range(args.repeats):
            cache = os.path.join(tmp, f"cache{r}")
            rows["cache off"].append(_command("off", out_dir))
            rows["cold cache"].append(_command(cache, out_dir))
            rows["warm cache"].append(_command(cache, out_dir))
    print("\n`cimjax estimate --config configs/vgg8_cifar10.py` (median of "
          f"{args.repeats}; report printed / whole command including the files and the PNG):")
    for name, times in rows.items():
        shown = ", ".join(f"{a:.1f}/{b:.1f}" for a, b in times)
        print(f"  {name:11s} {statistics.median(a for a, _ in times):6.1f} s / "
              f"{statistics.median(b for _, b in times):6.1f} s   ({shown})")
    s = _stages(args.repeats)
    print("\nthe estimate's stages, in-process (median):")
    host = s["host_trace"] + s["host_first"]
    jit = s["jit_trace"] + s["jit_lower"] + s["jit_compile"] + s["jit_call"]
    print(f"  host (what the command runs): trace {s['host_trace']:.2f} s, first evaluation {s['host_first']:.3f} s, "
          f"again {s['host_again'] * 1e3:.0f} ms")
    print(f"  jax.jit: trace {s['jit_trace']:.2f} s, lower {s['jit_lower']:.2f} s, XLA compile {s['jit_compile']:.2f} s, "
          f"one call {s['jit_call'] * 1e3:.2f} ms")
    print(f"  first estimate, jit / host: {jit:.2f} s / {host:.2f} s = {jit / host:.1f}x")
    print(f"\nload average {os.getloadavg()[0]:.2f} at end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
