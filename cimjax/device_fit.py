"""``cimjax device fit DATA.csv --model NAME|all``: a device model fitted to measured
pulse-response data, written as a table, a preset and a plot (docs/device_fit.md).

The fitting itself is :mod:`cimjax.devices.fit` (pure JAX); this module is the command: it checks
the arguments and the output directory before any work, prints the parameter table (each with its
uncertainty and how it was had), the fit errors and the config snippet, and writes

- ``device_fit_MODEL.json``: every fitted number with its uncertainty, the fit errors, the
  ``--set device.*`` overrides of NeuroSim's model (``neurosim``) or the
  :class:`~cimjax.devices.protocol.PulsedDevice` fields of a step model (loadable with
  :func:`load_preset`), and with ``--model all`` the ranking;
- ``device_fit_MODEL.png``: the measured sequences against the fitted model with the c2c band.
"""

from __future__ import annotations

import json
import math
import os
import time

from cimjax import fileio
from cimjax.errors import InputError

#: Default output directory.
DEFAULT_OUT = "runs/device_fit"


def add_fit_args(p) -> None:
    p.add_argument("data", metavar="DATA.csv",
                   help="measurements: columns device,cycle,pulse,direction,conductance[,voltage,width], one row per read")
    p.add_argument("--model", default="all", metavar="NAME|all|NAME,NAME,...",
                   help="the device model to fit (constant_step, soft_bounds, linear_step, exp_step, pow_step, piecewise_step, "
                        "neurosim), or all: fit every model and "
                        "rank them by the error on held-out cycles, or a comma-separated list of models to rank (default all)")
    p.add_argument("--out", default=None, help=f"output directory (default {DEFAULT_OUT})")
    p.add_argument("--seed", type=fileio.number_arg(int, 0), default=0, help="seed of the random starts and the bootstrap")
    p.add_argument("--starts", type=fileio.number_arg(int, 1), default=8, help="random starts of the fit (vmapped)")
    p.add_argument("--steps", type=fileio.number_arg(int, 1), default=600, help="Adam steps from a random start")
    p.add_argument("--bootstrap", type=fileio.number_arg(int, 0), default=24,
                   help="bootstrap replicates over cycles for the uncertainties (0: none)")


def _fmt(x: float, unit: str = "") -> str:
    from cimjax.report.units import si

    if not math.isfinite(x):
        return "—"
    if unit:
        return si(x, unit, 4)
    return f"{x:.4g}"


def format_table(result) -> str:
    """The parameter table: name, value ± uncertainty, how the number was had."""
    rows = [("parameter", "value", "± uncertainty", "from")]
    for name, p in result.params.items():
        rows.append((name, _fmt(p.value, p.unit), _fmt(p.err, p.unit), p.how))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def config_sets(result) -> list[str]:
    """The ``--set device.*`` overrides of a NeuroSim-curve fit (``device.name`` keeps its
    preset; every field of the device section that the fit gives is set), with
    ``hardware.cell_resistance=device`` when the fit gives a resistance, so that the estimate
    costs the fitted R_on and on/off ratio."""
    if result.model != "neurosim":
        return []
    P = result.params
    g_min, g_max = P["G_min"].value, P["G_max"].value
    sets = [f"device.nl_ltp={P['NL_LTP'].value:.3f}", f"device.nl_ltd={P['NL_LTD'].value:.3f}",
            f"device.max_level={max(2, int(round(P['states'].value)))}",
            f"device.c2c_sigma={P['c2c_sigma'].value:.4g}", "device.c2c_mode=per_update",
            f"device.d2d_sigma={P['d2d_sigma'].value if 'd2d_sigma' in P else 0.0:.3f}"]
    if g_max > 0:
        sets.append(f"device.r_on={1.0 / g_max:.6g}")
    if g_min > 0:
        sets.append(f"device.on_off_ratio={g_max / g_min:.6g}")
    if g_max > 0 or g_min > 0:
        sets.append("hardware.cell_resistance=device")
    return sets


def check_sets(sets: list[str]) -> str:
    """What is wrong with ``sets`` as config overrides ("" when they load)."""
    from cimjax.config import Config, apply_overrides

    try:
        apply_overrides(Config(), sets)
    except (ValueError, KeyError) as err:
        return str(err).strip()
    return ""


def preset_dict(result, m, ranking=None) -> dict:
    from cimjax.devices.fit import pulsed_device_fields

    out = {
        "source": os.path.abspath(m.path),
        "model": result.model,
        "parameters": {k: {"value": p.value, "uncertainty": p.err if math.isfinite(p.err) else None,
                           "unit": p.unit, "from": p.how} for k, p in result.params.items()},
        "fit_error": {"loss": result.loss, "rmse_S": result.rmse, "rmse_trajectory_S": result.rmse_trajectory,
                      "heldout_rmse_S": result.heldout_rmse if math.isfinite(result.heldout_rmse) else None},
        "data": {"rows": m.n_rows, "sequences": result.n_seqs, "reads": result.n_reads, "devices": list(result.devices)},
    }
    fields = pulsed_device_fields(result)
    if fields is not None:
        out["pulsed_device"] = fields
    sets = config_sets(result)
    if sets:
        out["set"] = sets
        problem = check_sets(sets)
        if problem:
            out["set_problem"] = problem
    if ranking:
        out["ranking"] = [{"model": n, "heldout_rmse_S": h, "train_rmse_S": t} for n, h, t in ranking]
    return out


def load_preset(path: str):
    """The :class:`~cimjax.devices.protocol.PulsedDevice` of a ``device_fit_MODEL.json`` written
    for a step model (:func:`cimjax.devices.fit.load_pulsed_preset`; a config loads it with
    ``device.pulsed_preset_file``). Raises InputError naming the file when it has none."""
    from cimjax.devices.fit import load_pulsed_preset

    return load_pulsed_preset(path)


def cmd_fit(args) -> int:
    from cimjax.devices import fit as F
    from cimjax.report import plots
    from cimjax.report.files import write_json

    t0 = time.perf_counter()
    names = list(F.MODELS) if args.model == "all" else [n.strip() for n in args.model.split(",")]
    for name in names:
        if name not in F.MODELS:
            raise InputError(f"--model = {args.model!r} is unknown (expected one of {', '.join(F.MODELS)}, all, "
                             f"or several of them separated by commas)")
    out = fileio.check_output_dir(args.out if args.out is not None else DEFAULT_OUT)  # writable, before any work
    m = F.load_measurements(args.data)
    options = F.FitOptions(starts=args.starts, steps=args.steps, warm_steps=max(args.steps // 2, 1),
                           bootstrap=args.bootstrap, seed=args.seed)
    print(f"{args.data}: {m.n_rows} reads, {m.n_seqs} cycles of {len(m.devices)} device(s)")
    ranking = None
    model = names[0]
    if len(names) > 1:
        ranking = F.compare(m, names, options=options)
        print("\nmodels ranked by the RMSE of the one-pulse-ahead prediction on held-out cycles "
              "(fitted on alternate cycles of each device):")
        for i, (name, held, train) in enumerate(ranking, 1):
            print(f"  {i}. {name:14s} held-out {_fmt(held, 'S'):>12s}   fitted cycles {_fmt(train, 'S'):>12s}")
        model = ranking[0][0]
        print(f"\nbest: {model} (fitting it to every cycle; --model NAME fits another)")
    result = F.fit(m, model, options)
    print(f"\n{model}: {F.MODELS[model].summary}")
    print(format_table(result))
    held = f", held-out cycles {_fmt(result.heldout_rmse, 'S')}" if math.isfinite(result.heldout_rmse) else ""
    print(f"\nfit error (RMSE): one pulse ahead {_fmt(result.rmse, 'S')}{held}; "
          f"trajectory from each cycle's first read {_fmt(result.rmse_trajectory, 'S')} "
          f"(includes the c2c random walk); measured range {_fmt(m.hi - m.lo, 'S')}")
    preset = preset_dict(result, m, ranking)
    json_path = os.path.join(out, f"device_fit_{model}.json")
    png_path = os.path.join(out, f"device_fit_{model}.png")
    if "set" in preset:
        print("\nconfig (NeuroSim's device model): " + " ".join(f"--set {s}" for s in preset["set"]))
        if "set_problem" in preset:
            print(f"  note: these do not load as they are: {preset['set_problem']}")
    if "pulsed_device" in preset:
        print(f"\nPulsedDevice preset: {json.dumps(preset['pulsed_device'])}\n"
              f"  (train with it: --set device.pulsed_preset_file={json_path} and an in-situ rule, "
              f"e.g. --set train.optimizer=analog_sgd)")
    write_json(json_path, preset)
    plots.device_fit(png_path, F.curves(m, result, seed=args.seed), m.seq_device, m.devices,
                     f"{os.path.basename(args.data)}: {model} fit")
    print(f"\nwrote {json_path}, {png_path} ({time.perf_counter() - t0:.1f} s)")
    return 0
