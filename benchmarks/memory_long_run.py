"""Resident memory over a long run (issue 17 item 6): train a config for ``--epochs`` epochs
(default: the quickstart config, 10 epochs, with the per-epoch estimate on, as users run it) and
record the process's resident set size (``VmRSS`` from ``/proc/self/status``, Linux) after every
epoch. Target: the RSS after epoch 10 within 10 % of that after epoch 2.

    python benchmarks/memory_long_run.py
    python benchmarks/memory_long_run.py --config configs/synthetic_smoke.py --epochs 12
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile

import jax

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from cimjax.config import apply_overrides, load_config  # noqa: E402
from cimjax.train import train_and_evaluate  # noqa: E402


def rss_mib() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    raise RuntimeError("no VmRSS in /proc/self/status (Linux only)")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", default="configs/quickstart.py")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="SECTION.FIELD=VALUE")
    args = p.parse_args(argv)
    rss = []

    def log(line: str) -> None:
        if line.startswith("epoch ") and "test loss" in line:
            rss.append(rss_mib())
            print(f"{line}  | RSS {rss[-1]:.0f} MiB", flush=True)

    with tempfile.TemporaryDirectory() as tmp:
        config = apply_overrides(load_config(args.config), [*args.overrides, f"train.epochs={args.epochs}",
                                                            f"run.out_dir={tmp}/run"])
        print(f"machine: {platform.machine()}, {os.cpu_count()} cores, jax {jax.__version__} on "
              f"{jax.devices()[0].platform}; {args.config}, {args.epochs} epochs; RSS at start {rss_mib():.0f} MiB")
        train_and_evaluate(config, progress=False, log=log)
    if len(rss) < 2:
        print("fewer than 2 epochs: no comparison")
        return 1
    ref = rss[1]
    print(f"\nRSS after epoch 2: {ref:.0f} MiB; after epoch {len(rss)}: {rss[-1]:.0f} MiB; "
          f"ratio {rss[-1] / ref:.3f} (target ≤ 1.10: {'met' if rss[-1] <= 1.1 * ref else 'MISSED'}); "
          f"largest {max(rss):.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
