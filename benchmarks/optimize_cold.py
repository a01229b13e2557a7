"""`cimjax optimize` as a new user starts it: how long until its first improving step.

    python benchmarks/optimize_cold.py                        # default --step-eval (auto)
    python benchmarks/optimize_cold.py --step-eval jit        # the compiled step (as before)
    python benchmarks/optimize_cold.py --step-eval host --steps 300

Runs ``cimjax optimize --config configs/vgg8_cifar10.py --grid configs/sweeps/co_opt_space.py
--objective edp --constraint "area<=1.0x"`` in a child process with ``CIMJAX_CACHE_DIR=off``
(nothing cached on disk, nothing warm in memory) and reads its output as it comes:

* ``first_step_s``: wall time from the child's start to the progress bar's first step;
* ``first_improving_s``: wall time to the line ``first improving step`` (a start's objective
  in grad_mode below the config's design while every constraint holds);
* the child's CPU time (user + system, all threads, from ``wait4``) at exit, which the load
  of a shared machine moves less than the wall time.

With ``--stop-after-first`` (default) the child is stopped (SIGTERM) once both are seen, so
CPU time is up to that point; otherwise it runs to the end and the whole run is timed.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import signal
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_STEP = re.compile(r"\|\s*(\d+)/(\d+)")


def run(step_eval, steps: int, starts: int, stop_after_first: bool, extra=()) -> dict:
    env = dict(os.environ, CIMJAX_CACHE_DIR="off", JAX_PLATFORMS="cpu", PYTHONUNBUFFERED="1")
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    cmd = [sys.executable, "-c", "import sys; from cimjax.cli import main; sys.exit(main())", "optimize",
           "--config", "configs/vgg8_cifar10.py", "--grid", "configs/sweeps/co_opt_space.py", "--objective", "edp",
           "--constraint", "area<=1.0x", "--steps", str(steps), "--starts", str(starts),
           "--out", os.path.join("/tmp", f"optimize_cold_{os.getpid()}"), *extra]
    if step_eval is not None:
        cmd += ["--step-eval", step_eval]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    seen: dict = {}
    log: list = []

    def reader(stream):
        buf = b""
        while True:
            ch = stream.read1(4096) if hasattr(stream, "read1") else stream.read(1)
            if not ch:
                break
            buf += ch
            text = buf.decode("utf-8", "replace")
            now = time.perf_counter() - t0
            done = [int(m.group(1)) for m in _STEP.finditer(text)]
            if "first_step_s" not in seen and any(n >= 1 for n in done):
                seen["first_step_s"] = now
            if any(n >= 10 for n in done) and "tenth_step_s" not in seen:
                seen["tenth_step_s"] = now
            if "first_improving_s" not in seen and "first improving step" in text:
                seen["first_improving_s"] = now
            parts = re.split(r"[\r\n]", text)
            log.extend(p for p in parts[:-1] if p.strip())
            buf = parts[-1].encode()
            # Stop once the first improving step is printed (or, for a build that does not
            # print it, after ten steps).
            if stop_after_first and ("first_improving_s" in seen or "tenth_step_s" in seen):
                try:
                    proc.send_signal(signal.SIGTERM)
                except ProcessLookupError:
                    pass
        if buf.strip():
            log.append(buf.decode("utf-8", "replace"))

    threads = [threading.Thread(target=reader, args=(s,), daemon=True) for s in (proc.stdout, proc.stderr)]
    for t in threads:
        t.start()
    _, status, ru = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - t0
    for t in threads:
        t.join(5)
    return dict(step_eval=step_eval, steps=steps, starts=starts, wall_s=wall, cpu_s=ru.ru_utime + ru.ru_stime,
                rc=proc.returncode, lines=[x for x in log if "first improving" in x or x.startswith(("edp", "  "))],
                tail=log[-6:], **seen)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--step-eval", default=None, help="passed to cimjax optimize (omitted: its default)")
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--starts", type=int, default=8)
    p.add_argument("--run-to-end", action="store_true", help="do not stop the child after its first improving step")
    args = p.parse_args(argv)
    print(f"{platform.node()} {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"load {os.getloadavg()[0]:.1f}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    r = run(args.step_eval, args.steps, args.starts, not args.run_to_end)
    for k in ("first_step_s", "tenth_step_s", "first_improving_s", "wall_s", "cpu_s"):
        if k in r:
            print(f"{k}: {r[k]:.1f}")
    for line in r["lines"] + r["tail"]:
        print("  |", line[:200])
    print(f"rc {r['rc']}, load after {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
