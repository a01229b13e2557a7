"""The ``cimjax`` command line.

    cimjax train    --config configs/quickstart.py [--set train.epochs=3 ...] [--out DIR] [--resume]
    cimjax estimate --config configs/vgg8_cifar10.py [--set hardware.adc_bits=5 ...] [--trace RUN_DIR] [--out DIR]
    cimjax evaluate --checkpoint RUN_DIR [--set array.adc_mode=nonlinear ...]
                    [--sweep hardware.adc_bits=2,3,4,5,6,8 ...] [--out DIR]
    cimjax sweep    --config CFG --grid configs/sweeps/adc_subarray.py [--chunk 4096] [--out DIR]   (cimjax/dse/cli.py)
    cimjax optimize --config CFG --grid configs/sweeps/co_opt_space.py --objective edp [--constraint 'area<=1.0x']
    cimjax config   --config configs/quickstart.py [--set ...]   print the resolved config as JSON
    cimjax config   --config configs/vgg8_cifar10.py --from-neurosim PATH/Param.cpp [--set ...]
    cimjax device fit DATA.csv --model NAME|all [--out DIR] [--seed N] [--starts K]   (cimjax/device_fit.py)
    cimjax study paper --scale smoke|cpu|gpu [--out DIR]   the paper's device benchmark (cimjax/study/)

Every subcommand validates the config (file plus ``--set`` overrides) before doing any work,
so a bad value stops the run at once with a message naming the field.
"""

from __future__ import annotations

import argparse
import functools
import json
import sys

from cimjax import compile_cache, fileio
from cimjax.config import Config, apply_overrides, load_config, replace, to_dict
from cimjax.errors import CimjaxError, InputError


def _add_config_args(p: argparse.ArgumentParser, *, out: bool = True) -> None:
    p.add_argument("--config", required=True, help="a configs/*.py file (get_config()) or a run's config.json / run directory")
    p.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="SECTION.FIELD=VALUE",
        help="override one config field, e.g. --set train.epochs=3 (repeatable)",
    )
    if out:
        p.add_argument("--out", default=None, help="output directory (overrides run.out_dir)")


def _build_config(args) -> Config:
    config = apply_overrides(load_config(args.config), args.overrides)
    if getattr(args, "out", None) is not None:
        config = replace(config, run={"out_dir": check_out_arg(args.out)})
    return config


def check_out_arg(out: str, flag: str = "--out") -> str:
    """A given ``--out``: not empty (an empty one was silently ignored before)."""
    if not out.strip():
        raise InputError(f"{flag} = {out!r} is invalid: expected a directory path")
    return out


def _cmd_train(args) -> int:
    from cimjax.train import train_and_evaluate

    config = _build_config(args)
    summary = train_and_evaluate(config, resume=args.resume, progress=not args.no_progress)
    if summary["interrupted"]:  # a checkpoint was saved: 143 (128 + SIGTERM) after SIGTERM, 130 after Ctrl-C
        return 143 if summary["signal"] == "SIGTERM" else 130
    print(f"\nfinal test accuracy: {summary['final_accuracy']:.2f} % after {summary['epochs_completed']} epoch(s); "
          f"outputs in {config.run.out_dir}")
    return 0


def _cmd_estimate(args) -> int:
    import time

    from cimjax import build as build_lib
    from cimjax.estimate import algorithm_estimate_build, endurance_figures, estimate_build
    from cimjax.report.files import algorithm_dict, write_estimate
    from cimjax.report.mapping import mapping
    from cimjax.report.tables import algorithm_table, estimate_table, mapping_table

    t0 = time.perf_counter()
    config = _build_config(args)
    out = fileio.check_output_dir(args.out or config.run.out_dir)  # writable, before any work
    b = build_lib.build_run(args.trace, epoch=args.epoch, config=config) if args.trace else build_lib.build(config)
    chip_mapping = mapping(b)
    print(mapping_table(chip_mapping, config.hardware))
    names = [f"layer{i + 1}" for i in range(len(b.layers))]
    est = estimate_build(b)
    images = float(b.images_per_epoch)
    print(f"\nestimate ({b.trace_source}); per epoch = {images:g} training images:\n")
    print(estimate_table(est, names, images))
    alg_est = algorithm_estimate_build(b, est)
    counts = "bound" if b.measured is None else f"measured ({b.trace_source})"
    alg = algorithm_dict(config.train.optimizer, alg_est, endurance_figures(alg_est, config.device.endurance_cycles),
                         names, counts)
    print("\n" + algorithm_table(alg))
    title = f"{config.run.name}: {config.hardware.cell_type.upper()} {config.hardware.technology_node_nm:g} nm"
    paths = write_estimate(out, est, names, images, chip_mapping, title, algorithm=alg)
    print(f"\nwrote {', '.join(paths)} ({time.perf_counter() - t0:.1f} s)")
    if getattr(args, "sensitivity", False):
        from cimjax.dse.sensitivity import format_sensitivity, sensitivity_table

        print("\n" + format_sensitivity(sensitivity_table(config, layers=b.layers, trace=b.trace)))
    return 0


def _cmd_evaluate(args) -> int:
    from cimjax.evaluate import evaluate_run

    out = check_out_arg(args.out) if args.out is not None else None
    evaluate_run(args.checkpoint, args.overrides, args.sweeps, out, vmap_size=args.vmap_size,
                 progress=not args.no_progress)
    return 0


def _cmd_config(args) -> int:
    if args.from_neurosim is None:
        config = _build_config(args)
    else:
        # Param.cpp first, then --set (an explicit --set wins); what is not applied is listed by name.
        from cimjax.config.neurosim_param import apply_param_cpp

        with open(args.from_neurosim, encoding="utf-8") as f:
            text = f.read()
        config, translation = apply_param_cpp(load_config(args.config), text)
        config = apply_overrides(config, args.overrides)
        if args.out:
            config = replace(config, run={"out_dir": args.out})
        print(f"{args.from_neurosim}: " + " ".join(f"--set {item}" for item in translation.sets), file=sys.stderr)
        if translation.report():
            print(translation.report(), file=sys.stderr)
    print(json.dumps(to_dict(config), indent=2, sort_keys=True))
    return 0


DEBUG_HELP = "show the full traceback of an error instead of one line"


def _debug_parent() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=DEBUG_HELP)
    return p


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cimjax",
        description="Differentiable simulator of compute-in-memory accelerators for on-chip training.",
    )
    parser.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=DEBUG_HELP)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    # every subcommand takes --debug too (``cimjax train --debug ...``)
    sub.add_parser = functools.partial(sub.add_parser, parents=[_debug_parent()])

    p = sub.add_parser("train", help="train a network with hardware non-idealities, then print accuracy and the hardware mapping")
    _add_config_args(p)
    p.add_argument("--resume", action="store_true", help="continue from the latest checkpoint in the output directory")
    p.add_argument("--no-progress", action="store_true", help="no progress bars (log lines only)")
    p.set_defaults(func=_cmd_train)

    p = sub.add_parser("estimate", help="chip area / latency / energy of the config's network and hardware")
    _add_config_args(p)
    p.add_argument("--trace", default=None, metavar="RUN_DIR",
                   help="a training run directory whose per-epoch traces to use (default: NeuroSim's default-run activities)")
    p.add_argument("--epoch", type=fileio.number_arg(int, 0), default=None, help="with --trace: the epoch whose trace to use (default: the last)")
    p.add_argument("--sensitivity", action="store_true",
                   help="also print the ranked elasticities ∂log(metric)/∂log(parameter) (ste gradients)")
    p.set_defaults(func=_cmd_estimate)

    p = sub.add_parser("evaluate", help="test accuracy of a trained run under analog-array effects (ADC, variation, retention)")
    p.add_argument("--checkpoint", required=True, metavar="RUN_DIR",
                   help="a 'cimjax train' output directory (config.json + checkpoints/); its latest checkpoint is used")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="SECTION.FIELD=VALUE",
                   help="change the base setting: hardware.*, array.*, run.seed (draws), data.eval_batch_size, "
                        "data.num_test (repeatable; array.mode defaults to hw_forward)")
    p.add_argument("--sweep", dest="sweeps", action="append", default=[], metavar="NAME=V1,V2,...",
                   help="evaluate every value of a parameter (or its config field), e.g. adc_bits=2,3,4,5,6,8 or "
                        "array.variation_sigma=0,0.05,0.1 (repeatable: the cartesian product; the language of "
                        "'cimjax sweep --sweep')")
    p.add_argument("--out", default=None, help="output directory (default RUN_DIR/evaluate)")
    p.add_argument("--vmap-size", type=fileio.number_arg(int, 1), default=8, help="most traced settings (sigma, t, seed) read in one vmapped pass")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_evaluate)

    # sweep / optimize: their arguments and commands live in cimjax/dse/cli.py
    from cimjax.dse import cli as dse_cli

    p = sub.add_parser("sweep", help="vmapped design-space sweep over a grid of hardware parameters, with Pareto front")
    _add_config_args(p)
    dse_cli.add_sweep_args(p)
    p.set_defaults(func=lambda args: dse_cli.cmd_sweep(args, _build_config(args)))

    p = sub.add_parser("optimize", help="gradient-based co-optimisation of circuit/device parameters (optax, exact re-check)")
    _add_config_args(p)
    dse_cli.add_optimize_args(p)
    p.set_defaults(func=lambda args: dse_cli.cmd_optimize(args, _build_config(args)))

    p = sub.add_parser("config", help="print the resolved config (file + overrides) as JSON")
    _add_config_args(p)
    p.add_argument("--from-neurosim", default=None, metavar="PARAM_CPP",
                   help="a NeuroSim V2.0 Param.cpp: its parameters become --set overrides (before --set; "
                        "docs/neurosim_params.md); those not applied are listed by name on stderr")
    p.set_defaults(func=_cmd_config)

    # device fit: its arguments and command live in cimjax/device_fit.py
    from cimjax import device_fit

    p = sub.add_parser("device", help="synaptic-device tools: 'device fit' fits a device model to measured pulse data")
    dsub = p.add_subparsers(dest="device_command", required=True, metavar="DEVICE_COMMAND")
    q = dsub.add_parser("fit", parents=[_debug_parent()],
                        help="fit a device model (or all, ranked) to measured conductance-versus-pulse data")
    device_fit.add_fit_args(q)
    q.set_defaults(func=device_fit.cmd_fit)

    p = sub.add_parser("study", help="multi-run studies with one report: 'study paper' runs the NeuroSim V2.0 device benchmark")
    ssub = p.add_subparsers(dest="study_command", required=True, metavar="STUDY")
    q = ssub.add_parser("paper", parents=[_debug_parent()],
                        help="device table, NL/c2c/d2d/states sweeps and the paper's conclusions (docs/study.md)")
    q.add_argument("--scale", required=True, choices=("smoke", "cpu", "gpu"), help="smoke (~1 min), cpu (≤ 90 min, 2 cores), gpu")
    q.add_argument("--out", default=None, help="report directory (default runs/study_SCALE); a study stopped "
                   "part-way goes on from the members it kept there (cpu scale)")
    q.add_argument("--fresh", action="store_true", help="train every member again instead of reading back "
                   "the members an earlier run of the same code kept in OUT/members/")
    q.set_defaults(func=_cmd_study_paper)
    return parser


def _cmd_study_paper(args) -> int:
    from cimjax.study.paper import run_study

    out = check_out_arg(args.out) if args.out is not None else f"runs/study_{args.scale}"
    run_study(args.scale, out, resume=not args.fresh)
    return 0


def _one_line(err: BaseException) -> str:
    text = str(err).strip() or type(err).__name__
    return text


def main(argv: list[str] | None = None) -> int:
    """Run one command; every failure becomes one line on stderr and an exit status.

    Exit status: 0 success; 2 bad input (config, argument, damaged or missing file), found before
    any work; 1 a failure during the run (divergence, full disk, an unexpected error); 130
    interrupted by Ctrl-C and 143 by SIGTERM (128 + the signal's number), after saving a
    checkpoint. ``--debug`` re-raises, so the traceback shows.
    """
    args = build_parser().parse_args(argv)
    compile_cache.enable(min_compile_seconds=0.05)  # later runs of the same estimate/training load their compiled code
    prefix = f"cimjax {args.command}: error:"
    try:
        return args.func(args)
    except Exception as err:  # noqa: BLE001 -- the one place a failure meets the user
        if getattr(args, "debug", False):
            raise
        if isinstance(err, CimjaxError):
            print(f"{prefix} {_one_line(err)}", file=sys.stderr)
            return err.exit_code
        if isinstance(err, FileNotFoundError):
            print(f"{prefix} {_one_line(err)}", file=sys.stderr)
            return 2
        if isinstance(err, OSError):
            # Disk full, read-only file system, permission denied: the OS names the path.
            where = f" ({err.filename})" if getattr(err, "filename", None) and str(err.filename) not in str(err) else ""
            print(f"{prefix} {_one_line(err)}{where}", file=sys.stderr)
            return 1
        print(f"{prefix} unexpected {type(err).__name__}: {_one_line(err)}\n"
              f"  (this is a bug in cimjax or an unchecked input; run again with --debug for the traceback)",
              file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
