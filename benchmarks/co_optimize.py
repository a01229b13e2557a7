"""Gradient co-optimisation vs a dense vmapped grid over the same design space.

    python benchmarks/co_optimize.py                       # VGG-8 chip, EDP under the base area
    python benchmarks/co_optimize.py --steps 150 --starts 4

Space: ``configs/sweeps/co_opt_space.py`` (ADC bits 3–8, read voltage, read pulse width,
R_on, clock; the grid has every ADC precision and 8 points per continuous range =
24,576 designs). Problem: minimise the energy-delay product per epoch subject to
``area ≤ budget`` (default: the config's own design's area, ``1.0x``).

* grid: every design evaluated exactly (``cimjax.dse.sweep``), the best feasible kept;
* gradient: ``cimjax.dse.optimize`` (Adam on bounded logits of the log-parameters, ste
  counts, augmented Lagrangian for the budget, ``--starts`` descents vmapped), the final
  points' ADC bits rounded down/up and re-checked in exact mode.

Writes ``benchmarks/results/TAG.json``, ``TAG.md`` (the table) and ``TAG.png``
(trajectories over the grid's EDP–area cloud and Pareto front); ``--tag`` defaults to
``co_optimize``. A second study with the sub-array size in the space and a binding budget:

    python benchmarks/co_optimize.py --grid configs/sweeps/co_opt_space_subarray.py \
        --budget "area<=0.3x" --tag co_optimize_subarray
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def main(argv=None) -> int:
    from cimjax.config import load_config
    from cimjax.dse import grid as G
    from cimjax.report import plots
    from cimjax.report.files import write_json
    from cimjax.dse import sweep as S
    from cimjax.dse.optimize import optimize, parse_constraint
    from cimjax.dse.pareto import pareto_mask

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", default=os.path.join(ROOT, "configs", "vgg8_cifar10.py"))
    p.add_argument("--grid", default=os.path.join(ROOT, "configs", "sweeps", "co_opt_space.py"))
    p.add_argument("--objective", default="edp")
    p.add_argument("--budget", default="area<=1.0x")
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--starts", type=int, default=8)
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--chunk", type=int, default=4096)
    p.add_argument("--grad-mode", choices=("ste", "relaxed"), default="ste")
    p.add_argument("--refine", type=int, default=3, help="exact refinement sweeps after rounding (0 = off)")
    p.add_argument("--out", default=os.path.join(ROOT, "benchmarks", "results"))
    p.add_argument("--tag", default="co_optimize", help="output file stem")
    args = p.parse_args(argv)

    config = load_config(args.config)
    space = G.load_grid(args.grid, config)
    t0 = time.perf_counter()
    sw = S.run_sweep(config, G.designs(space, config), (args.objective, "area"), chunk=args.chunk, progress=True)
    t_grid = time.perf_counter() - t0
    res = optimize(config, space, args.objective, [args.budget], steps=args.steps, starts=args.starts,
                   learning_rate=args.lr, grad_mode=args.grad_mode, refine=args.refine, progress=True)
    budget = parse_constraint(args.budget, res.base_metrics)
    obj = np.asarray(sw.metrics[args.objective])
    feasible = np.asarray(sw.metrics[budget.metric]) <= budget.bound
    i = int(np.argmin(np.where(feasible & np.isfinite(obj), obj, np.inf)))
    grid_best = {k: (v[i] if isinstance(v[i], str) else float(v[i])) for k, v in sw.points.items()}
    rows = [
        ("dense grid (exact, vmapped)", sw.num_designs, obj[i], sw.metrics["area"][i], bool(feasible[i]), grid_best,
         t_grid),
        (f"gradient ({args.grad_mode}, {args.starts} starts × {args.steps} steps, rounded, exact re-check"
         + (f", {args.refine} refinement sweeps)" if args.refine else ")"), res.evaluations,
         res.best_metrics[args.objective], res.best_metrics["area"], res.feasible, res.best, res.timing["total_s"]),
    ]
    ratio = res.best_metrics[args.objective] / obj[i]
    lines = [f"| method | evaluations | {args.objective} | area (mm²) | within budget | design | wall time (s) |",
             "| --- | ---: | ---: | ---: | --- | --- | ---: |"]
    for name, n, o, a, ok, d, t in rows:
        design = ", ".join(f"{k}={v:.4g}" for k, v in d.items())
        lines.append(f"| {name} | {n:,} | {o:.5g} | {a * 1e6:.4f} | {ok} | {design} | {t:.0f} |")
    lines.append("")
    lines.append(f"budget {args.budget} → {budget.metric} ≤ {budget.bound:.5g}; base design {args.objective} "
                 f"{res.base_metrics[args.objective]:.5g}; gradient / grid = {ratio:.4f} "
                 f"({'at least as good' if ratio <= 1 + 1e-6 else 'WORSE'}) with "
                 f"{sw.num_designs / res.evaluations:.1f}x fewer evaluations")
    table = "\n".join(lines)
    print(f"\nmachine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores\n{table}")
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, f"{args.tag}.md"), "w") as f:
        f.write(table + "\n")
    write_json(os.path.join(args.out, f"{args.tag}.json"),
               dict(grid_best=grid_best, grid_metrics={k: float(v[i]) for k, v in sw.metrics.items()},
                    grid_designs=sw.num_designs, grid_timing=sw.timing, gradient_best=res.best,
                    gradient_metrics=res.best_metrics, gradient_evaluations=res.evaluations,
                    gradient_timing=res.timing, ratio=ratio, budget=budget.bound))
    front = pareto_mask(np.stack([np.asarray(sw.metrics["area"]), obj], axis=1))
    plots.trajectory(os.path.join(args.out, f"{args.tag}.png"), "area", args.objective,
                     res.trajectory_cons[:, :, 0], res.trajectory_obj, cloud=sw.metrics, cloud_pareto=front,
                     best=(res.best_metrics["area"], res.best_metrics[args.objective]),
                     grid_best=(sw.metrics["area"][i], obj[i]), bound=("x", budget.bound),
                     title=f"{args.objective} under {args.budget}: gradient ({args.grad_mode}) trajectories over the grid")
    return 0


if __name__ == "__main__":
    sys.exit(main())
