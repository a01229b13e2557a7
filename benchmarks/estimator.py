"""Estimator speed: one jitted VGG-8 training-chip estimate, a vmapped design grid, the same
grid as a Python loop, and the gradient of the total energy against one forward, by
``jax.grad`` (reverse mode) and by ``jax.jacfwd`` (forward mode).

    python benchmarks/estimator.py                 # 10,000 designs, full loop
    python benchmarks/estimator.py --n 2000 --loop-n 500

Issue 4's targets (printed with the measurements): ≤ 5 ms per single estimate after jit,
≥ 10,000 designs/s vmapped, gradient ≤ 3× one forward. All ratios are measured side by
side in this one run. The grid varies continuous circuit and device parameters and the ADC
precision at once (every design a different chip); the network (VGG-8 / CIFAR-10 layer table)
and the trace (NeuroSim's default-run activities) are fixed.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from cimjax.hw import chip  # noqa: E402
from cimjax import trace as trace_lib  # noqa: E402
from cimjax.config.schema import ModelConfig  # noqa: E402
from cimjax.hw.network import network_layers  # noqa: E402


def _time(fn, repeats: int) -> tuple[float, list[float]]:
    """Median wall time of ``fn()`` (which must block) over ``repeats`` calls, and all times."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times


def design_grid(base: chip.ChipParams, n: int, seed: int) -> chip.ChipParams:
    """``n`` random designs around ``base``: R_on, on/off ratio, read voltage and pulse width,
    write voltage, clock, technology node and ADC levels (3–7 bits), each drawn independently
    (seeded). Every leaf of the result has a leading axis of ``n``."""
    rng = np.random.default_rng(seed)
    u = lambda lo, hi: rng.uniform(lo, hi, n)  # noqa: E731
    batched = jax.tree.map(lambda x: np.broadcast_to(np.asarray(x, np.float32), (n,) + np.shape(x)).copy(), base)
    r_on = 10 ** u(4.0, 6.0)
    sub = batched.subarray._replace(
        r_on=r_on,
        r_off=r_on * 10 ** u(0.7, 2.0),
        read_voltage=u(0.2, 0.8),
        read_pulse_width=u(5e-9, 20e-9),
        write_voltage=u(2.0, 5.0),
        adc_levels=2.0 ** rng.integers(3, 8, n),
    )
    circuit = batched.circuit._replace(node_nm=u(22.0, 65.0), clock_hz=u(0.5e9, 2e9))
    return batched._replace(subarray=sub, circuit=circuit)


def total_energy(est: chip.ChipEstimate) -> jax.Array:
    return est.fw.energy + est.ag.energy + est.wg.energy + est.wu.energy


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=10_000, help="designs in the vmapped grid (default 10,000)")
    p.add_argument("--loop-n", type=int, default=None, help="designs in the Python loop (default: --n)")
    p.add_argument("--repeats", type=int, default=30, help="timed calls of the single estimate and the gradient")
    p.add_argument("--mode", default="ste", choices=("exact", "ste", "relaxed"),
                   help="count mode of the estimate (ste = exact values with straight-through gradients)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-grad", action="store_true", help="skip the gradient")
    p.add_argument("--grad", choices=("reverse", "forward", "both"), default="both",
                   help="how to take the gradient: jax.grad (reverse mode; its XLA compile takes minutes on a "
                        "CPU), jax.jacfwd (forward mode, vectorised over the parameters), or both (default)")
    args = p.parse_args(argv)
    loop_n = args.n if args.loop_n is None else args.loop_n

    config = chip.ChipConfig(layers=tuple(network_layers(ModelConfig(name="vgg8"), (32, 32, 3))), mode=args.mode)
    params = jax.tree.map(lambda x: jnp.asarray(x, jnp.float32), chip.default_params())
    trace = trace_lib.default_trace()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"jax {jax.__version__} on {jax.devices()[0].platform}; mode {args.mode}")

    single = jax.jit(lambda p, t: chip.estimate(p, config, t))
    t0 = time.perf_counter()
    jax.block_until_ready(single(params, trace))
    compile_single = time.perf_counter() - t0
    t_single, _ = _time(lambda: jax.block_until_ready(single(params, trace)), args.repeats)
    print(f"single: compile {compile_single:.1f} s, {t_single * 1e3:.2f} ms per estimate", flush=True)

    grid = design_grid(params, args.n, args.seed)
    vmapped = jax.jit(jax.vmap(lambda p, t: chip.estimate(p, config, t), in_axes=(0, None)))
    t0 = time.perf_counter()
    out = jax.block_until_ready(vmapped(grid, trace))
    compile_vmap = time.perf_counter() - t0
    t_vmap, _ = _time(lambda: jax.block_until_ready(vmapped(grid, trace)), 3)
    finite = float(np.mean(np.isfinite(np.asarray(total_energy(out)))))
    print(f"vmapped: compile {compile_vmap:.1f} s, {args.n / t_vmap:,.0f} designs/s", flush=True)

    host = jax.tree.map(np.asarray, grid)
    designs = [jax.tree.map(lambda x, i=i: x[i], host) for i in range(loop_n)]
    t0 = time.perf_counter()
    loop_out = [single(d, trace).fw.energy for d in designs]
    jax.block_until_ready(loop_out)
    t_loop = time.perf_counter() - t0
    agree = np.allclose(np.asarray(loop_out), np.asarray(out.fw.energy)[:loop_n], rtol=1e-4)
    print(f"loop: {loop_n / t_loop:,.0f} designs/s", flush=True)

    rows = [
        ("single estimate (after jit)", f"{t_single * 1e3:.2f} ms", "≤ 5 ms", t_single <= 5e-3),
        (f"vmapped grid of {args.n:,}", f"{args.n / t_vmap:,.0f} designs/s ({t_vmap:.3f} s)", "≥ 10,000/s",
         args.n / t_vmap >= 1e4),
        (f"Python loop of {loop_n:,} jitted single", f"{loop_n / t_loop:,.0f} designs/s ({t_loop:.1f} s)", "", None),
        ("vmap / loop throughput", f"{(args.n / t_vmap) / (loop_n / t_loop):.1f}x", "", None),
    ]
    print(f"grid: {100 * finite:.1f} % of designs finite; loop agrees with vmap: {agree}")
    if args.no_grad:
        _print_rows(rows)
        return 0
    energy = lambda p, t: total_energy(chip.estimate(p, config, t))  # noqa: E731
    grads = {"reverse": jax.grad(energy), "forward": jax.jacfwd(energy)}
    modes = ("reverse", "forward") if args.grad == "both" else (args.grad,)
    results = {}
    for mode in modes:
        fn = jax.jit(grads[mode])
        t0 = time.perf_counter()
        g = jax.block_until_ready(fn(params, trace))
        compile_s = time.perf_counter() - t0
        t_grad, _ = _time(lambda: jax.block_until_ready(fn(params, trace)), args.repeats)
        results[mode] = g
        n_leaves = len(jax.tree.leaves(g))
        g_finite = all(bool(np.all(np.isfinite(np.asarray(x)))) for x in jax.tree.leaves(g))
        how = "jax.grad, reverse mode" if mode == "reverse" else "jax.jacfwd, forward mode"
        rows += [
            (f"gradient of total energy ({how}, {n_leaves} leaves)", f"{t_grad * 1e3:.2f} ms", "", None),
            (f"  {mode} gradient / forward", f"{t_grad / t_single:.2f}x", "≤ 3x", t_grad / t_single <= 3.0),
        ]
        print(f"{mode} gradient: compile {compile_s:.1f} s, {t_grad * 1e3:.2f} ms; finite: {g_finite}", flush=True)
    if len(results) == 2:
        a, b = (np.concatenate([np.ravel(np.asarray(x)) for x in jax.tree.leaves(results[m])]) for m in modes)
        agree = bool(np.allclose(a, b, rtol=1e-3, atol=1e-6 * np.max(np.abs(a))))
        print(f"reverse and forward gradients agree: {agree}")
    print(f"compile: single {compile_single:.1f} s, vmapped {compile_vmap:.1f} s")
    _print_rows(rows)
    return 0

def _print_rows(rows) -> None:
    width = max(len(r[0]) for r in rows)
    for name, value, target, ok in rows:
        verdict = "" if ok is None else ("  met" if ok else "  MISSED")
        print(f"  {name.ljust(width)}  {value:<34} {target}{verdict}")


if __name__ == "__main__":
    sys.exit(main())
