"""Outputs of ``cimjax evaluate`` (:mod:`cimjax.evaluate`): table, CSV, JSON and plot.

``evaluate.csv`` has one row per setting (the base first, then the sweep in command-line
order) with the swept fields, ``accuracy`` (%) and ``test_loss`` (mean per-batch summed
loss, as ``PythonWrapper_Output.csv``); ``evaluate.json`` holds the whole report;
``evaluate_trace.csv`` the per-layer read counts of the base setting
(:mod:`cimjax.analog.stats`); ``evaluate.png`` the accuracy against the first swept field.
"""

from __future__ import annotations

import json
import os

from cimjax.config import atomic_write_text


def _csv(rows: list[dict], columns: list[str]) -> str:
    def fmt(v) -> str:
        return repr(v) if isinstance(v, float) else str(v)

    return ",".join(columns) + "\n" + "".join(",".join(fmt(r[c]) for c in columns) + "\n" for r in rows)


def format_table(report: dict) -> str:
    """The results as a text table for people."""
    fields = list(report["sweeps"])
    head = [*fields, "accuracy %", "test loss"]
    rows = [["base", *[""] * (len(fields) - 1)] if fields else ["base"]]
    rows[0] += [f"{report['base']['accuracy']:.2f}", f"{report['base']['test_loss']:.4g}"]
    for r in report["results"]:
        rows.append([str(r[f]) for f in fields] + [f"{r['accuracy']:.2f}", f"{r['test_loss']:.4g}"])
    head = head if fields else ["setting", "accuracy %", "test loss"]
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(head)]
    lines = ["  ".join(h.rjust(w) for h, w in zip(head, widths))]
    lines += ["  ".join(c.rjust(w) for c, w in zip(row, widths)) for row in rows]
    trained = report["trained_accuracy"]
    b = report["base"]["settings"]
    lines.insert(0, f"run {report['run_dir']} (step {report['checkpoint_step']}, trained in {report['trained_mode']}: "
                 + (f"{trained:.2f} %" if trained is not None else "accuracy unknown") + f"); base: {b['array.mode']}, "
                 f"{b['hardware.adc_bits']}-bit {b['array.adc_mode']} ADC, {b['hardware.subarray_rows']}-row sub-arrays, "
                 f"σ = {b['array.variation_sigma']:g}, t = {b['array.retention_time']:g} s")
    return "\n".join(lines)


def plot_sweep(report: dict, path: str) -> None:
    """PNG of accuracy against the first swept field, one line per value of the others."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fields = list(report["sweeps"])
    x_field, others = fields[0], fields[1:]
    lines: dict[tuple, list] = {}
    for r in report["results"]:
        lines.setdefault(tuple(r[f] for f in others), []).append((r[x_field], r["accuracy"]))
    fig, ax = plt.subplots(figsize=(6, 3.8), dpi=120)
    numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in report["sweeps"][x_field])
    for key, pts in lines.items():
        xs = [p[0] for p in pts] if numeric else [str(p[0]) for p in pts]
        label = ", ".join(f"{f}={v}" for f, v in zip(others, key)) or None
        ax.plot(xs, [p[1] for p in pts], "o-", label=label)
    if numeric and x_field == "array.retention_time":
        ax.set_xscale("log")
    if report["trained_accuracy"] is not None:
        ax.axhline(report["trained_accuracy"], ls="--", color="gray",
                   label=f"trained ({report['trained_mode']}): {report['trained_accuracy']:.1f} %")
    ax.set_xlabel(x_field)
    ax.set_ylabel("test accuracy (%)")
    ax.set_ylim(0, 100)
    ax.grid(alpha=0.3)
    ax.set_title(f"{os.path.basename(os.path.normpath(report['run_dir']))}: {report['base']['settings']['array.mode']}")
    ax.legend(fontsize=8)
    fig.tight_layout()
    tmp = path + f".tmp-{os.getpid()}.png"
    fig.savefig(tmp)
    plt.close(fig)
    os.replace(tmp, path)


TRACE_COLUMNS = ["layer", "kind", "bit_serial", "adc_mode", "adc_bits", "subarrays", "input_bit_density",
                 "adc_conversions_per_image", "adc_conversions_transposed_per_image",
                 "subarray_reads_per_image", "subarray_activations_per_image"]


def write_outputs(report: dict, out_dir: str) -> None:
    """``evaluate.csv``, ``evaluate.json``, ``evaluate_trace.csv`` and (with a sweep) ``evaluate.png``."""
    fields = list(report["sweeps"])
    base = {"setting": "base", **{f: report["base"]["settings"][f] for f in fields},
            "accuracy": report["base"]["accuracy"], "test_loss": report["base"]["test_loss"]}
    rows = [base] + [{"setting": "sweep", **r} for r in report["results"]]
    atomic_write_text(os.path.join(out_dir, "evaluate.csv"), _csv(rows, ["setting", *fields, "accuracy", "test_loss"]))
    atomic_write_text(os.path.join(out_dir, "evaluate.json"), json.dumps(report, indent=2) + "\n")
    if report["trace"]:
        atomic_write_text(os.path.join(out_dir, "evaluate_trace.csv"), _csv(report["trace"], TRACE_COLUMNS))
    if fields:
        plot_sweep(report, os.path.join(out_dir, "evaluate.png"))
