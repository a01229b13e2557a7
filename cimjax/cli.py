"""The ``cimjax`` command line.

    cimjax train    --config configs/quickstart.py [--set train.epochs=3 ...] [--out DIR] [--resume]
    cimjax estimate --config configs/vgg8_cifar10.py [--set hardware.adc_bits=5 ...]
    cimjax sweep    (design-space exploration; not yet implemented)
    cimjax optimize (gradient-based co-optimisation; not yet implemented)
    cimjax config   --config configs/quickstart.py [--set ...]   print the resolved config as JSON

Every subcommand validates the config (file plus ``--set`` overrides) before doing any work,
so a bad value stops the run at once with a message naming the field.
"""

from __future__ import annotations

import argparse
import json
import sys

from cimjax.config import Config, ConfigError, apply_overrides, load_config, replace, to_dict


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
    if getattr(args, "out", None):
        config = replace(config, run={"out_dir": args.out})
    return config


def _cmd_train(args) -> int:
    from cimjax.train import train_and_evaluate

    config = _build_config(args)
    summary = train_and_evaluate(config, resume=args.resume, progress=not args.no_progress)
    if summary["interrupted"]:
        return 130
    print(f"\nfinal test accuracy: {summary['final_accuracy']:.2f} % after {summary['epochs_completed']} epoch(s); "
          f"outputs in {config.run.out_dir}")
    return 0


def _cmd_estimate(args) -> int:
    from cimjax.data import dataset_image_shape
    from cimjax.hw.network import network_layers
    from cimjax.report import mapping_table

    config = _build_config(args)
    layers = network_layers(config.model, dataset_image_shape(config.data))
    print(mapping_table(config, layers))
    print("\narea / latency / energy estimator: not yet implemented (issue 4); the table above is the floorplan.")
    return 0


def _cmd_config(args) -> int:
    print(json.dumps(to_dict(_build_config(args)), indent=2, sort_keys=True))
    return 0


def _not_yet(name: str, issue: int):
    def run(args) -> int:
        _build_config(args)
        print(f"cimjax {name}: not yet implemented (issue {issue}); the config is valid.", file=sys.stderr)
        return 2

    return run


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cimjax",
        description="Differentiable simulator of compute-in-memory accelerators for on-chip training.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("train", help="train a network with hardware non-idealities, then print accuracy and the hardware mapping")
    _add_config_args(p)
    p.add_argument("--resume", action="store_true", help="continue from the latest checkpoint in the output directory")
    p.add_argument("--no-progress", action="store_true", help="no progress bars (log lines only)")
    p.set_defaults(func=_cmd_train)

    p = sub.add_parser("estimate", help="chip area / latency / energy of the config's network and hardware")
    _add_config_args(p)
    p.add_argument("--trace", default=None, help="a training run directory whose traces to use (issue 4)")
    p.set_defaults(func=_cmd_estimate)

    p = sub.add_parser("sweep", help="vmapped design-space sweep over a grid of hardware parameters (not yet implemented)")
    _add_config_args(p)
    p.add_argument("--grid", default=None, help="grid file naming parameters and their values")
    p.set_defaults(func=_not_yet("sweep", 5))

    p = sub.add_parser("optimize", help="gradient-based co-optimisation of circuit/device parameters (not yet implemented)")
    _add_config_args(p)
    p.add_argument("--objective", default=None, help="e.g. edp, energy, tops_per_w")
    p.set_defaults(func=_not_yet("optimize", 5))

    p = sub.add_parser("config", help="print the resolved config (file + overrides) as JSON")
    _add_config_args(p)
    p.set_defaults(func=_cmd_config)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ConfigError, FileNotFoundError) as err:
        # Config errors and missing files/data are the user's to fix: one clear line, no traceback.
        print(f"cimjax {args.command}: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
