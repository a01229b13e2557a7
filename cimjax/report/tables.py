"""Text tables for people: the network's mapping on the chip, the chip estimate and the
results of ``cimjax evaluate``."""

from __future__ import annotations

import numpy as np

from cimjax.config.schema import HardwareConfig
from cimjax.estimate import AREA_BUCKETS, BUCKETS, PHASES
from cimjax.report.units import si


def _human(n: float) -> str:
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(n) >= scale:
            return f"{n / scale:.2f}{unit}"
    return f"{n:.0f}"


def _table(rows: list[tuple[str, ...]]) -> list[str]:
    """Left-aligned columns, a rule under the header row."""
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in rows]
    lines.insert(1, "-" * len(lines[0]))
    return lines


def mapping_table(mapping: dict, hardware: HardwareConfig) -> str:
    """The floorplan of :func:`cimjax.report.mapping.mapping` on ``hardware``: per layer its
    weights, MACs, mapping (NM = novel, CM = conventional), tiles, weight-duplication speed-up
    and utilisation, a chip row, and a line on the cells and the tile grid."""
    rows = [("layer", "NetWork.csv row", "weights", "MACs/image", "mapping", "tiles", "speed-up", "utilisation")]
    for i, r in enumerate(mapping["layers"]):
        rows.append((str(i + 1), r["network_row"], _human(r["weights"]), _human(r["macs_per_image"]), r["mapping"],
                     f"{r['tiles']:g}", f"{r['speedup']:g}", f"{100 * r['utilisation']:.2f} %"))
    chip = mapping["chip"]
    rows.append(("chip", "", _human(chip["weights"]), _human(chip["macs_per_image"]), "", f"{chip['tiles']:g}", "",
                 f"{100 * chip['utilisation']:.2f} %"))
    lines = _table(rows)
    hw = hardware
    lines.append(
        f"{hw.cell_type.upper()} at {hw.technology_node_nm:g} nm, {hw.subarray_rows}x{hw.subarray_cols} sub-arrays, "
        f"{chip['weight_bits']}-bit weights in {chip['cells_per_weight']} cell(s) of {chip['cell_bits']} bit, "
        f"{hw.adc_bits}-bit ADC per {hw.columns_per_adc} columns; {chip['tile_grid'][0]:g}x{chip['tile_grid'][1]:g} "
        f"tile grid, CM tile {chip['tile_size_cm']:g}, CM PE {chip['pe_size_cm']:g}, NM PE {chip['pe_size_nm']:g}; "
        f"ADC {hw.adc_type}, NeuroSim code {hw.neurosim_code}"
    )
    return "\n".join(lines)


def estimate_table(est, layer_names: list[str], images_per_epoch: float) -> str:
    """The chip estimate for people: area and its buckets, per-phase latency and energy per
    epoch and per image (average and NeuroSim's peak), the component breakdown, per-layer
    phase totals, leakage, TOPS and TOPS/W."""
    f = lambda x: float(np.asarray(x))  # noqa: E731
    area = est.area
    total = f(area.total)
    lines = [f"chip area {total * 1e6:.2f} mm²"]
    rows = [("area bucket", "mm²", "share")]
    for b in AREA_BUCKETS:
        a = f(getattr(area, b))
        rows.append((b.replace("_", " "), f"{a * 1e6:.3f}", f"{100 * a / total:.1f} %"))
    lines += _table(rows) + [""]
    rows = [("phase", "latency/epoch", "energy/epoch", "peak latency", "peak energy", "per image")]
    for p in PHASES:
        ph = getattr(est, p)
        rows.append((
            p.upper(), si(f(ph.latency), "s"), si(f(ph.energy), "J"), si(f(ph.peak_latency), "s"),
            si(f(ph.peak_energy), "J"),
            f"{si(f(ph.latency) / images_per_epoch, 's')} / {si(f(ph.energy) / images_per_epoch, 'J')}",
        ))
    lat = sum(f(getattr(est, p).latency) for p in PHASES)
    en = sum(f(getattr(est, p).energy) for p in PHASES)
    rows.append(("total", si(lat, "s"), si(en, "J"), "", "",
                 f"{si(lat / images_per_epoch, 's')} / {si(en / images_per_epoch, 'J')}"))
    lines += _table(rows) + [""]
    rows = [("component", "latency/epoch", "energy/epoch")]
    for b in BUCKETS:
        le = getattr(est.breakdown, b)
        rows.append((b.replace("_", " "), si(f(le.latency), "s"), si(f(le.energy), "J")))
    lines += _table(rows) + [""]
    rows = [("layer", "FW", "AG", "WG", "WU", "energy FW+AG+WG+WU", "leakage")]
    for i, name in enumerate(layer_names):
        pick = lambda x: float(np.asarray(x)[i])  # noqa: E731
        rows.append((
            name, *(si(pick(getattr(est.layers, p).latency), "s") for p in PHASES),
            si(sum(pick(getattr(est.layers, p).energy) for p in PHASES), "J"),
            si(pick(est.layers.leakage_power), "W"),
        ))
    lines += _table(rows) + [""]
    lines.append(
        f"leakage {si(f(est.leakage_power), 'W')} ({si(f(est.leakage_energy), 'J')}/epoch); "
        f"TOPS/W {f(est.tops_per_w):.4g}, TOPS {f(est.tops):.4g}; peak TOPS/W {f(est.peak_tops_per_w):.4g}, "
        f"peak TOPS {f(est.peak_tops):.4g}; {f(est.num_ops):.4g} operations and {images_per_epoch:g} images per epoch"
    )
    return "\n".join(lines)


def evaluate_table(report: dict) -> str:
    """The results of ``cimjax evaluate`` (:func:`cimjax.evaluate.evaluate_run`'s report):
    a line on the run and its base setting, then accuracy and test loss per setting."""
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


def algorithm_table(alg: dict) -> str:
    """What the training rule adds to the chip, for people (:func:`cimjax.report.files.algorithm_dict`):
    extra area, the transfer phase and its parts, the transfer reads, ADC conversions and buffer
    traffic per epoch, and the endurance figures; ``counts`` says whether they are the rule's
    bound or a run's measured counts."""
    area, tr, end = alg["area"], alg["transfer"], alg["endurance"]
    lines = [f"training rule {alg['optimizer']}: extra arrays {area['extra_arrays'] * 1e6:.3f} mm², "
             f"digital buffer {area['buffer'] * 1e6:.3f} mm² (leakage {si(alg['buffer_leakage_power'], 'W')})"]
    rows = [("transfer phase", "latency/epoch", "energy/epoch")]
    for label, key in (("column reads of A", "read"), ("commits to C", "write"), ("buffer", "buffer")):
        rows.append((label, si(tr[key]["latency"], "s"), si(tr[key]["energy"], "J")))
    rows.append(("total", si(tr["latency"], "s"), si(tr["energy"], "J")))
    lines += _table(rows)
    lines.append(f"per epoch: {_human(alg['transfer_reads'])} column reads, {_human(alg['adc_conversions'])} ADC "
                 f"conversions, buffer {_human(alg['buffer_bits_read'])}b read / {_human(alg['buffer_bits_written'])}b "
                 f"written")
    source = alg.get("counts", "bound")
    lines[0] += f"; counts: {source}"
    line = (f"endurance: at most {end['max_pulses_per_device_per_epoch']:.4g} pulses per device per epoch ({source}), "
            f"{end['max_pulses_per_device_per_1e4_epochs']:.4g} per 10⁴ epochs")
    if end.get("endurance_cycles") is not None:
        line += (f" = {100 * end['endurance_used_per_1e4_epochs']:.3g} % of device.endurance_cycles "
                 f"{end['endurance_cycles']:.3g} ({end['epochs_to_endurance']:.4g} epochs to reach it)")
    else:
        line += " (set device.endurance_cycles to compare)"
    lines.append(line)
    return "\n".join(lines)
