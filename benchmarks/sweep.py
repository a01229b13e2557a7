"""Sweep throughput of the VGG-8 training chip, and the sharded speed-up on 2 host devices.

    python benchmarks/sweep.py                      # 20,480 LHS designs, chunk 4096
    python benchmarks/sweep.py --n 8192 --chunk 2048

Runs two child processes one after the other (so they do not share the CPU): one JAX
device, unsharded; and ``XLA_FLAGS=--xla_force_host_platform_device_count=2`` with the
sweep sharded over both devices. Each compiles once (not timed in designs/s) and evaluates
the same seeded Latin hypercube of ``configs/sweeps/device_voltage.toml`` (nine traced
device / circuit parameters, one static group) in exact mode. The two result sets are
compared element by element.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def child(args) -> None:
    import jax

    from cimjax.config import load_config
    from cimjax.dse import grid as G
    from cimjax.dse import sweep as S

    config = load_config(os.path.join(ROOT, "configs", "vgg8_cifar10.py"))
    grid = G.load_grid(os.path.join(ROOT, "configs", "sweeps", "device_voltage.toml"), config)
    grid = G.parse_grid({"sample": "lhs", "num_samples": args.n, "seed": 0,
                         "parameters": {a.name: ({"min": a.lo, "max": a.hi, "scale": a.scale} if a.values is None
                                                 else list(a.values)) for a in grid.axes}}, config)
    pts = G.points(grid)
    base = S.prepare(config)
    # compile_above=0: the compiled path at any --n (smaller groups would be host-evaluated).
    m, _, t = S.evaluate(base, pts, chunk=args.chunk, shard=args.shard, progress=False, compile_above=0)
    # A second pass, compiled already: the steady-state rate.
    m2, _, t2 = S.evaluate(base, pts, chunk=args.chunk, shard=args.shard, progress=False, compile_above=0)
    np.savez(args.out, **m)
    print(json.dumps(dict(devices=len(jax.devices()), shard=args.shard, n=args.n, chunk=t["chunk"],
                          compile_s=t["compile_s"], eval_s=t2["eval_s"], designs_per_s=t2["designs_per_s"],
                          finite=float(np.mean(np.isfinite(m["energy"]))))))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=20480)
    p.add_argument("--chunk", type=int, default=4096)
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--shard", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--out", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        child(args)
        return 0
    runs = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, devices, shard in (("1 device", 1, False), ("2 host devices, sharded", 2, True)):
            env = dict(os.environ, JAX_PLATFORMS="cpu")
            if devices > 1:
                env["XLA_FLAGS"] = (env.get("XLA_FLAGS", "") + f" --xla_force_host_platform_device_count={devices}").strip()
            out = os.path.join(tmp, f"{devices}.npz")
            cmd = [sys.executable, __file__, "--child", "--n", str(args.n), "--chunk", str(args.chunk), "--out", out]
            res = subprocess.run(cmd + (["--shard"] if shard else []), env=env, capture_output=True, text=True)
            if res.returncode:
                print(res.stderr[-4000:], file=sys.stderr)
                return 1
            runs[name] = json.loads(res.stdout.strip().splitlines()[-1])
            runs[name]["metrics"] = dict(np.load(out))
        a, b = (runs[k]["metrics"] for k in runs)
        same = all(np.array_equal(a[k], b[k], equal_nan=True) for k in a)
        rel = max(float(np.nanmax(np.abs(a[k] - b[k]) / np.maximum(np.abs(a[k]), 1e-300))) for k in a)
        n_diff = sum(int(np.sum(a[k] != b[k])) for k in a)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
          f"VGG-8 training chip, {args.n:,} designs (LHS of device_voltage.toml), exact mode, chunk {args.chunk}")
    for name, r in runs.items():
        print(f"  {name:<26} {r['designs_per_s']:>10,.0f} designs/s  ({r['eval_s']:.2f} s; compile {r['compile_s']:.1f} s; "
              f"{100 * r['finite']:.1f} % finite)")
    r1, r2 = runs["1 device"], runs["2 host devices, sharded"]
    print(f"  sharded speed-up: {r2['designs_per_s'] / r1['designs_per_s']:.2f}x; identical results: {same}"
          + ("" if same else f" ({n_diff} of {args.n * len(a):,} values differ, max relative difference {rel:.2e})"))
    print(f"  target ≥ 10,000 designs/s: {'met' if r1['designs_per_s'] >= 1e4 else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
