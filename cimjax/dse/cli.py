"""The ``cimjax sweep`` and ``cimjax optimize`` subcommands (wired in :mod:`cimjax.cli`).

    cimjax sweep    --config CFG --grid configs/sweeps/adc_subarray.py [--set ...] [--out DIR]
                    [--chunk 4096] [--objectives energy,latency,area] [--color-by adc_bits]
                    [--sample lhs --num-samples 5000 --seed 0] [--trace RUN_DIR] [--no-shard]
                    [--compile-above 20000]
    cimjax optimize --config CFG --grid configs/sweeps/co_opt_space.py --objective edp
                    [--constraint "area<=1.0x" ...] [--steps 300 --starts 8 --lr 0.05]
                    [--grad-mode ste|relaxed] [--out DIR]
"""

from __future__ import annotations

import argparse
import os
import time

from cimjax import fileio
from cimjax.config import ConfigError
from cimjax.fileio import number_arg


def add_sweep_args(p: argparse.ArgumentParser) -> None:
    """Arguments of ``cimjax sweep`` (besides --config/--set/--out)."""
    p.add_argument("--grid", default=None, help="grid file (configs/sweeps/*.py or *.toml; "
                   "'python -m cimjax.dse.grid' lists the parameters)")
    p.add_argument("--sweep", dest="sweeps", action="append", default=[], metavar="NAME=V1,V2,...",
                   help="a parameter's values, e.g. adc_bits=4,5,6 or hardware.subarray_rows=64,128 (repeatable; "
                        "with --grid, replaces or adds that axis; the language of 'cimjax evaluate --sweep')")
    p.add_argument("--chunk", type=number_arg(int, 1), default=4096, help="designs per vmapped call (bounded memory)")
    p.add_argument("--objectives", default=None, help="Pareto objectives, comma-separated (default: the grid's)")
    p.add_argument("--color-by", default=None, help="grid parameter colouring the scatter plot")
    p.add_argument("--sample", choices=("grid", "random", "lhs"), default=None, help="override the grid's sampling")
    p.add_argument("--num-samples", type=number_arg(int, 1), default=None, help="designs for --sample random / lhs")
    p.add_argument("--seed", type=number_arg(int, 0), default=None, help="sampling seed (default: the grid's, else run.seed)")
    p.add_argument("--trace", default=None, metavar="RUN_DIR", help="use a training run's trace (last epoch)")
    p.add_argument("--compile-above", type=number_arg(int, 0), default=None, metavar="N",
                   help="compile (XLA) only static groups of more than N designs; smaller groups are traced once and "
                        "evaluated with NumPy, no compile (default 20000; 0 compiles every group)")
    p.add_argument("--no-shard", action="store_true", help="do not shard over several JAX devices")
    p.add_argument("--no-plots", action="store_true", help="CSV + JSON only")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def add_optimize_args(p: argparse.ArgumentParser) -> None:
    """Arguments of ``cimjax optimize`` (besides --config/--set/--out)."""
    p.add_argument("--grid", required=True, help="the design space: a grid file whose ranges are the bounds")
    p.add_argument("--objective", default="edp", help="edp, energy, latency, area (minimised) or "
                   "tops_per_w, tops, peak_tops_per_w (maximised)")
    p.add_argument("--constraint", dest="constraints", action="append", default=[], metavar="METRIC<=VALUE",
                   help="e.g. 'area<=2e-5' (m²), 'latency<=30' (s/epoch), 'area<=1.0x' (× the config's design); "
                        "repeatable")
    p.add_argument("--steps", type=number_arg(int, 1), default=300)
    p.add_argument("--starts", type=number_arg(int, 1), default=8, help="descents run side by side (vmapped)")
    p.add_argument("--lr", type=number_arg(float, 0, lo_open=True), default=0.05, help="Adam learning rate on the bounded logits")
    p.add_argument("--rho", type=number_arg(float, 0, lo_open=True), default=10.0, help="augmented-Lagrangian penalty")
    p.add_argument("--grad-mode", choices=("ste", "relaxed"), default="ste", help="count mode during the descent")
    p.add_argument("--seed", type=number_arg(int, 0), default=None)
    p.add_argument("--refine", type=number_arg(int, 0), default=3, metavar="SWEEPS",
                   help="exact coordinate-search sweeps over the continuous parameters after rounding (0 = off)")
    p.add_argument("--trace", default=None, metavar="RUN_DIR", help="use a training run's trace (last epoch)")
    p.add_argument("--step-eval", choices=("auto", "host", "jit", "host+jit"), default="auto",
                   help="the Adam step: 'host' evaluates its traced jaxpr with NumPy (no compile), 'jit' compiles "
                        "it (a minute or more, then milliseconds a step), 'host+jit' steps on the host while it "
                        "compiles; 'auto' (default): 'host' up to 3,200 steps × starts per chip, else 'host+jit'")
    p.add_argument("--no-progress", action="store_true")


def _trace(args, config):
    if not args.trace:
        return None
    from cimjax import build as build_lib

    return build_lib.trace_from_run(args.trace, len(build_lib.facts(config).layers))


def cmd_sweep(args, config) -> int:
    """Run ``cimjax sweep`` for the resolved ``config``."""
    from cimjax.dse import grid as G
    from cimjax.dse import sweep
    from cimjax.report.files import write_sweep

    t0 = time.perf_counter()
    if not args.grid and not args.sweeps:
        raise ConfigError("cimjax sweep needs --grid FILE or at least one --sweep NAME=V1,V2,...")
    out = fileio.check_output_dir(args.out or os.path.join(config.run.out_dir, "sweep"))  # before any work
    grid = G.load_grid(args.grid, config) if args.grid else None
    if args.sweeps:
        grid = _with_sweeps(grid, args.sweeps, config)
    changes = {}
    if args.sample:
        changes["sample"] = args.sample
    if args.num_samples is not None:
        changes["num_samples"] = args.num_samples
    if args.seed is not None:
        changes["seed"] = args.seed
    if args.color_by:
        changes["color_by"] = args.color_by
    if args.objectives:
        changes["objectives"] = tuple(o.strip() for o in args.objectives.split(","))
    if changes:  # re-validate the changed keys through the parser
        d = {"sample": grid.sample, "num_samples": grid.num_samples, "seed": grid.seed,
             "objectives": list(grid.objectives), "color_by": grid.color_by}
        d.update(changes)
        d = {k: v for k, v in d.items() if v is not None}
        grid = G.parse_grid({**d, "parameters": _axes_dict(grid)}, config, grid.source)
    print(f"sweep {grid.source}: {grid.size():,} designs ({grid.sample}) of {', '.join(grid.names)}")
    compile_above = sweep.COMPILE_ABOVE if args.compile_above is None else args.compile_above
    result = sweep.run_sweep(config, G.designs(grid, config), grid.objectives, trace=_trace(args, config),
                             chunk=args.chunk, shard=not args.no_shard, progress=not args.no_progress,
                             compile_above=compile_above)
    t = result.timing
    host, compiled = t["host_groups"], t["groups"] - t["host_groups"]
    how = [f"{host} traced and host-evaluated ({t['trace_s']:.1f} s of tracing)"] if host else []
    how += [f"{compiled} compiled ({t['compile_s']:.1f} s of compilation; {result.devices} device(s))"] if compiled else []
    print(f"evaluated {result.num_designs:,} designs in {t['groups']} static group(s), {' and '.join(how)}: "
          f"{t['designs_per_s']:,.0f} designs/s")
    print(f"Pareto front ({', '.join(result.objectives)}): {int(result.pareto.sum())} designs")
    paths = write_sweep(out, result, grid, title=f"{config.run.name}: {os.path.basename(grid.source)}",
                        plots_too=not args.no_plots)
    print(f"wrote {', '.join(paths)} ({time.perf_counter() - t0:.1f} s)")
    return 0


def _with_sweeps(grid, sweeps, config):
    """``grid`` (or an empty one) with one axis per ``--sweep NAME=V1,...`` item
    (:func:`cimjax.dse.params.parse_item`)."""
    from cimjax.dse import grid as G
    from cimjax.dse import params as P

    axes = _axes_dict(grid) if grid is not None else {}
    for item in sweeps:
        s, values = P.parse_item(item, config)
        axes[s.name] = list(values)
    d = {"parameters": axes}
    if grid is not None:
        d.update(sample=grid.sample, seed=grid.seed, objectives=list(grid.objectives), color_by=grid.color_by)
        if grid.num_samples is not None:
            d["num_samples"] = grid.num_samples
        d = {k: v for k, v in d.items() if v is not None}
    source = (grid.source + " + " if grid is not None else "") + " ".join(f"--sweep {s}" for s in sweeps)
    return G.parse_grid(d, config, source)


def _axes_dict(grid) -> dict:
    out = {}
    for a in grid.axes:
        if a.values is not None:
            out[a.name] = [v if isinstance(v, str) else (int(v) if a.spec.discrete else v) for v in a.values]
        else:
            r = {"min": int(a.lo) if a.spec.discrete else a.lo, "max": int(a.hi) if a.spec.discrete else a.hi,
                 "scale": a.scale}
            if a.num is not None:
                r["num"] = a.num
            out[a.name] = r
    return out


def cmd_optimize(args, config) -> int:
    """Run ``cimjax optimize`` for the resolved ``config``."""
    from cimjax.dse import grid as G
    from cimjax.dse.optimize import check_objective, check_constraint, optimize
    from cimjax.report.files import write_optimize

    # Before any work: the objective, every constraint as typed, the output directory.
    check_objective(args.objective)
    for c in args.constraints:
        check_constraint(c)
    out = fileio.check_output_dir(args.out or os.path.join(config.run.out_dir, "optimize"))
    grid = G.load_grid(args.grid, config)
    res = optimize(config, grid, args.objective, args.constraints, steps=args.steps, starts=args.starts,
                   learning_rate=args.lr, rho=args.rho, grad_mode=args.grad_mode, seed=args.seed,
                   refine=args.refine, trace=_trace(args, config), step_eval=args.step_eval,
                   progress=not args.no_progress)
    print(f"{args.objective}: base design {res.base_metrics[args.objective]:.4g} → optimum "
          f"{res.best_metrics[args.objective]:.4g} ({'feasible' if res.feasible else 'INFEASIBLE'}; "
          f"{res.candidates} exact evaluations of rounded and refined candidates)")
    for c in res.constraints:
        print(f"  {c.text}: {res.best_metrics[c.metric]:.4g} (bound {c.bound:.4g})")
    width = max(map(len, res.best))
    for k, v in res.best.items():
        print(f"  {k.ljust(width)} = {v if isinstance(v, str) else format(v, '.5g')}")
    paths = write_optimize(out, res, title=f"{config.run.name}: {args.objective}")
    print(f"{res.evaluations:,} evaluations in {res.timing['total_s']:.1f} s; wrote {', '.join(paths)}")
    return 0 if res.feasible else 1
