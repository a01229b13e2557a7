"""`cimjax sweep` as a new user runs it (no persistent cache), host-evaluated against compiled,
and where compiling a static group starts to pay.

    python benchmarks/sweep_cold.py                 # both runs of configs/sweeps/adc_subarray.py, then the break-even
    python benchmarks/sweep_cold.py --skip compiled # the host-evaluated run only

``cli``: the shipped command, ``cimjax sweep --config configs/vgg8_cifar10.py --grid
configs/sweeps/adc_subarray.py`` in a child process with ``CIMJAX_CACHE_DIR=off`` (nothing
cached on disk, nothing warm in memory), timed wall-clock from start to exit, with the child's
CPU time (what the wall would be with the cores to itself, for a single-threaded run): once with the
default ``--compile-above`` (every group here is small: traced once and host-evaluated) and
once with ``--compile-above 0`` (every group compiled, as every sweep was before). Both
``sweep.csv`` files are compared value by value.

``break-even``: one static group of the VGG-8 chip in one process: the host path's rate
(trace once, then ``host_eval.run_batched`` over blocks of ``sweep.HOST_CHUNK`` designs)
against the compiled path's compile time and rate (``jit(vmap)``, chunk 4096). Compiling pays
for a group of more than ``compile_s / (1/host_rate − 1/jit_rate)`` designs.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def _load() -> str:
    return "{:.1f}".format(os.getloadavg()[0])


def cli_run(out: str, compile_above) -> tuple[float, str]:
    env = dict(os.environ, CIMJAX_CACHE_DIR="off", JAX_PLATFORMS="cpu")
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    cmd = [sys.executable, "-c", "import sys; from cimjax.cli import main; sys.exit(main())", "sweep",
           "--config", "configs/vgg8_cifar10.py", "--grid", "configs/sweeps/adc_subarray.py", "--out", out,
           "--no-progress"]
    if compile_above is not None:
        cmd += ["--compile-above", str(compile_above)]
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    res = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if res.returncode:
        raise SystemExit(res.stderr[-4000:])
    line = next(x for x in res.stdout.splitlines() if x.startswith("evaluated"))
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    return wall, f"CPU {cpu:.1f} s (user + system, all threads); {line}"


def _csv(path: str) -> list[dict]:
    with open(path) as f:
        return list(csv.DictReader(f))


def break_even(n_host: int, n_jit: int) -> dict:
    import dataclasses

    import jax
    import jax.numpy as jnp
    import numpy as np

    from cimjax import build as build_lib
    from cimjax import host_eval
    from cimjax.config import load_config
    from cimjax.dse import params as P
    from cimjax.dse import sweep as S

    config = load_config(os.path.join(ROOT, "configs", "vgg8_cifar10.py"))
    base = S.prepare(config)
    names = ("adc_bits", "read_voltage", "r_on")
    rng = np.random.default_rng(0)
    dtype = jnp.result_type(float)

    def values(n):
        return np.stack([rng.integers(3, 9, n), rng.uniform(0.1, 0.8, n), 10 ** rng.uniform(4, 6, n)], 1).astype(dtype)

    cc = dataclasses.replace(base.chip, mode="exact")
    knobs = build_lib.traced_knobs(base.knobs)
    t0 = time.perf_counter()
    prog = host_eval.trace(S._design_fn(cc, names, base.facts), knobs, values(1)[0], base.trace)
    trace_s = time.perf_counter() - t0
    v = values(n_host)
    t0 = time.perf_counter()
    for start in range(0, n_host, S.HOST_CHUNK):
        host_eval.run_batched(prog, (knobs, v[start:start + S.HOST_CHUNK], base.trace), (None, 0, None))
    host_rate = n_host / (time.perf_counter() - t0)
    fn = S._group_fn(cc, names, base.facts, None)
    v = values(n_jit)
    t0 = time.perf_counter()
    compiled = fn.lower(knobs, jnp.asarray(v), base.trace).compile()
    compile_s = time.perf_counter() - t0
    jax.block_until_ready(compiled(knobs, jnp.asarray(v), base.trace))
    t0 = time.perf_counter()
    jax.block_until_ready(compiled(knobs, jnp.asarray(v), base.trace))
    jit_rate = n_jit / (time.perf_counter() - t0)
    return dict(trace_s=trace_s, host_rate=host_rate, compile_s=compile_s, jit_rate=jit_rate,
                even=compile_s / (1 / host_rate - 1 / jit_rate))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--skip", action="append", default=[], choices=("host", "compiled", "break-even"))
    p.add_argument("--n-host", type=int, default=2048, help="designs host-evaluated for the break-even rate")
    p.add_argument("--n-jit", type=int, default=4096, help="designs of the compiled chunk")
    args = p.parse_args(argv)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    with tempfile.TemporaryDirectory() as tmp:
        runs = {}
        for name, above in (("host", None), ("compiled", 0)):
            if name in args.skip:
                continue
            load0 = _load()
            wall, line = cli_run(os.path.join(tmp, name), above)
            runs[name] = _csv(os.path.join(tmp, name, "sweep.csv"))
            print(f"  cimjax sweep adc_subarray.py, cold, {name:<8}: {wall:6.1f} s wall (load {load0} → {_load()}); {line}",
                  flush=True)
        if len(runs) == 2:
            a, b = runs["host"], runs["compiled"]
            worst = 0.0
            for ra, rb in zip(a, b):
                for k in ("area", "energy", "latency", "edp", "tops", "tops_per_w", "leakage_power"):
                    x, y = float(ra[k]), float(rb[k])
                    worst = max(worst, abs(x - y) / max(abs(y), 1e-300))
            print(f"  host vs compiled: {len(a)} designs, max relative difference {worst:.2e}")
    if "break-even" not in args.skip:
        load0 = _load()
        r = break_even(args.n_host, args.n_jit)
        print(f"  one group (VGG-8 chip; load {load0} → {_load()}): host: trace {r['trace_s']:.1f} s, "
              f"{r['host_rate']:,.0f} designs/s (blocks of {__import__('cimjax.dse.sweep', fromlist=['x']).HOST_CHUNK}); "
              f"compiled: {r['compile_s']:.1f} s compile, {r['jit_rate']:,.0f} designs/s; "
              f"compiling pays above {r['even']:,.0f} designs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
