"""The report directory of ``cimjax study paper`` (:func:`write_report`).

Files (all written atomically through :mod:`cimjax.report`):

- ``README.md``: the index: scale, wall time, machine, the device and conclusions tables, links;
- ``device_table.csv`` / ``.md``: one row per device preset and SRAM design;
- ``sweep_{nl,c2c,d2d,states}.csv`` / ``.md`` / ``.png``: final accuracy (mean ± std over seeds)
  and accuracy against epoch;
- ``estimator_sweeps.csv`` / ``.md``: the R_on and write-pulse estimates of the conclusions;
- ``conclusions.csv`` / ``.md``: verdict and deciding numbers of each conclusion;
- ``study.json``: every number; ``configs/*.json``: the config of every run.
"""

from __future__ import annotations

import os

import numpy as np

from cimjax.report import plots
from cimjax.report.files import write_csv, write_json

SWEEP_TITLES = {
    "nl": ("asymmetric NL +v/−v (32 states, no c2c)", "|NL|"),
    "c2c": ("cycle-to-cycle σ (FeFET NL and states)", "c2c σ"),
    "d2d": ("device-to-device σ of NL (NL ±3, 32 states)", "d2d σ"),
    "states": ("number of states (FeFET NL and c2c)", "states"),
}
GROUP_NAMES = {"momentum": "momentum 0.9", "no_momentum": "no momentum"}
DEVICE_COLUMNS = (
    ("device", "device"), ("states", "states"), ("nl_ltp", "NL LTP"), ("nl_ltd", "NL LTD"), ("c2c", "c2c σ"),
    ("r_on_ohm", "R_on (Ω)"), ("on_off", "on/off"), ("write_pulse_s", "write pulse (s)"),
    ("accuracy_mean", "accuracy (%)"), ("accuracy_std", "± std"), ("area_mm2", "area (mm²)"),
    ("fw_latency_s", "FW latency (s)"), ("ag_latency_s", "AG latency (s)"), ("wg_latency_s", "WG latency (s)"),
    ("wu_latency_s", "WU latency (s)"), ("fw_energy_j", "FW energy (J)"), ("ag_energy_j", "AG energy (J)"),
    ("wg_energy_j", "WG energy (J)"), ("wu_energy_j", "WU energy (J)"), ("tops_per_w", "TOPS/W"),
    ("peak_tops_per_w", "peak TOPS/W"), ("tops", "TOPS"),
)


def _fmt(v) -> str:
    if v is None:
        return "—"
    if isinstance(v, (bool, np.bool_)):
        return str(v)
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        v = float(v)
        if v == 0.0:
            return "0"
        return f"{v:.4g}" if 1e-3 <= abs(v) < 1e5 else f"{v:.3e}"
    return str(v)


def markdown(header, rows) -> str:
    """A Markdown table."""
    lines = ["| " + " | ".join(h.replace("|", "\\|") for h in header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    lines += ["| " + " | ".join(_fmt(c).replace("|", "\\|") for c in r) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def _write_table(out: str, stem: str, header, rows) -> str:
    write_csv(os.path.join(out, stem + ".csv"), [list(header)] + [[("" if c is None else c) for c in r] for r in rows])
    md = markdown(header, rows)
    from cimjax.config import atomic_write_text

    atomic_write_text(os.path.join(out, stem + ".md"), md)
    return md


def device_rows(study: dict):
    header = [title for _, title in DEVICE_COLUMNS] + ["note"]
    rows = []
    for d in study["devices"]:
        note = d.get("status") or "; ".join(x for x in (
            f"{d['cell_type']} {d['node_nm']:g} nm",
            f"write pulse: {d['write_pulse_from']}" if d["kind"] == "eNVM" else "",
            f"accuracy: {d['accuracy_from']}" if "accuracy_from" in d else "") if x)
        rows.append([d.get(k) for k, _ in DEVICE_COLUMNS] + [note])
    return header, rows


def sweep_rows(study: dict, key: str):
    groups = list(study["sweeps"][key])
    header = [SWEEP_TITLES[key][1]] + [f"{GROUP_NAMES[g]}: {c}" for g in groups for c in ("mean (%)", "std")]
    values = sorted(study["sweeps"][key][groups[0]], key=float)
    rows = []
    for v in values:
        row = [float(v)]
        for g in groups:
            final = np.asarray(study["sweeps"][key][g][v])[:, -1]
            row += [float(final.mean()), float(final.std(ddof=1)) if final.size > 1 else 0.0]
        rows.append(row)
    return header, rows


def sweep_plot(path: str, study: dict, key: str) -> None:
    """Accuracy (mean over seeds, ± std band) against epochs trained, one line per value, one
    panel per momentum setting; the ideal update dashed."""
    from matplotlib.ticker import MaxNLocator

    groups = list(study["sweeps"][key])
    fig = plots.figure(5.0 * len(groups), 3.6, dpi=110)
    axes = fig.subplots(1, len(groups), squeeze=False)[0]
    ideal = np.asarray(study["ideal_update"]["history"])
    for ax, g in zip(axes, groups):
        data = study["sweeps"][key][g]
        for v in sorted(data, key=float):
            h = np.asarray(data[v])
            x = np.arange(1, h.shape[1] + 1)
            m = h.mean(axis=0)
            line, = ax.plot(x, m, "o-", ms=3, label=f"{SWEEP_TITLES[key][1]} {float(v):g}")
            if h.shape[0] > 1:
                s = h.std(axis=0, ddof=1)
                ax.fill_between(x, m - s, m + s, color=line.get_color(), alpha=0.15)
        x = np.arange(1, ideal.shape[1] + 1)
        ax.plot(x, ideal.mean(axis=0), "k--", label="ideal update")
        ax.set_xlabel("epochs trained")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel("test accuracy (%)")
        ax.set_title(f"{SWEEP_TITLES[key][0]}\n{GROUP_NAMES[g]}", fontsize=9)
        ax.legend(fontsize=7)
        ax.grid(alpha=0.3)
    fig.tight_layout()
    plots.save(fig, path)


def write_report(out: str, study: dict, configs: dict) -> list[str]:
    """Write the report of ``study`` (from :func:`cimjax.study.paper.run_study`) and ``configs``
    (name → config dict) to ``out``; returns the files written."""
    files = []
    os.makedirs(os.path.join(out, "configs"), exist_ok=True)
    for name, c in configs.items():
        write_json(os.path.join(out, "configs", f"{name}.json"), c)
        files.append(f"configs/{name}.json")
    write_json(os.path.join(out, "study.json"), study)
    files.append("study.json")
    dev_md = _write_table(out, "device_table", *device_rows(study))
    files += ["device_table.csv", "device_table.md"]
    sweep_md = {}
    for key in study["sweeps"]:
        sweep_md[key] = _write_table(out, f"sweep_{key}", *sweep_rows(study, key))
        sweep_plot(os.path.join(out, f"sweep_{key}.png"), study, key)
        files += [f"sweep_{key}.csv", f"sweep_{key}.md", f"sweep_{key}.png"]
    est_header = ["sweep", "value", "energy/epoch (J)", "latency/epoch (s)", "WU latency (s)", "WU share of latency",
                  "TOPS/W"]
    est_rows = [[e["sweep"], e["value"], e["energy_j"], e["latency_s"], e["wu_latency_s"],
                 e["wu_latency_s"] / e["latency_s"], e["tops_per_w"]] for e in study["estimator_sweeps"]]
    est_md = _write_table(out, "estimator_sweeps", est_header, est_rows)
    files += ["estimator_sweeps.csv", "estimator_sweeps.md"]
    con_md = _write_table(out, "conclusions", ["conclusion", "reproduced", "numbers", "rule"],
                          [[c["conclusion"], c["verdict"], c["numbers"], c["rule"]] for c in study["conclusions"]])
    files += ["conclusions.csv", "conclusions.md"]
    m = study["machine"]
    ideal = np.asarray(study["ideal_update"]["accuracy"])
    lines = [
        f"# Paper study ({study['scale']} scale)", "",
        "DNN+NeuroSim V2.0's device benchmark for on-chip training, run by "
        f"`cimjax study paper --scale {study['scale']}` (docs/study.md).", "",
        f"- {study['about']}",
        f"- started {study['started_utc']}; wall time **{study['wall_s']:.1f} s** (training: "
        + ", ".join(f"{g} {s:.1f} s" for g, s in study["train_s"].items())
        + f"; estimates {study['estimate_s']:.1f} s)",
        f"- machine: {m['cpus']} CPUs, {m['platform']}, JAX {m['jax_version']} on {m['jax_backend']} "
        f"({m['jax_device']}); load average at start {m['load_avg_at_start']}, at end {m['load_avg_1_5_15']}",
        f"- {study['members']} trained members of {study['member_steps']} steps ({study['epochs']} epochs), "
        f"method `{study['method']}`; seeds {study['seeds']}"
        + (f"; {study['members_read_back']} of them read back from an earlier, interrupted run of the same "
           f"code (`members/`), so the wall time above is this run's only; the members' own training "
           f"took {study['member_train_s']:.1f} s in all" if study.get("members_read_back") else ""),
        f"- ideal update (WAGE's, no device): {ideal.mean():.2f} % (per seed {', '.join(f'{a:.2f}' for a in ideal)})",
        f"- pooled seed σ {study['seed_sigma']:.2f} points; a difference counts above "
        f"{study['tolerance_points']:.2f} points (max(2σ, 1))", "",
        "## Conclusions", "", con_md,
        "## Device table", "",
        "Per epoch of this run's training (its images per epoch); each eNVM row's chip uses the device's own "
        "R_on, on/off ratio and states and its own training trace. The presets carry no write pulse: the "
        "config's default (V2.0's 4 V, 50 ns) is used.", "", dev_md,
    ]
    for key in study["sweeps"]:
        lines += [f"## Sweep: {SWEEP_TITLES[key][0]}", "", f"![{key}](sweep_{key}.png)", "", sweep_md[key]]
    lines += [f"## Estimator sweeps ({study['estimator_sweep_device']} chip)", "", est_md,
              "## Files", "", "\n".join(f"- `{f}`" for f in files), ""]
    from cimjax.config import atomic_write_text

    atomic_write_text(os.path.join(out, "README.md"), "\n".join(lines))
    return files + ["README.md"]
