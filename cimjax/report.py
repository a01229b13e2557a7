"""Host-side reporting: tables and files for people (the floorplan they print is computed
by one jitted call: op by op it takes seconds)."""

from __future__ import annotations

import numpy as np

from cimjax.build import ChipBuild


def _human(n: float) -> str:
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(n) >= scale:
            return f"{n / scale:.2f}{unit}"
    return f"{n:.0f}"


def _table(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in rows]
    lines.insert(1, "-" * len(lines[0]))
    return lines


def mapping_table(b: ChipBuild) -> str:
    """Per-layer weights, MACs and NeuroSim's floorplan of them on the chip of ``b``:
    mapping (NM = novel, CM = conventional), tiles, weight-duplication speed-up and
    utilisation (the same floorplan the estimate costs)."""
    hw, layers = b.config.hardware, b.layers
    fp = b.floorplan()
    weight_bits = b.facts.synapse_bits
    cell_bits = int(float(b.floorplan_inputs()[0].cell_bits))
    rows = [("layer", "NetWork.csv row", "weights", "MACs/image", "mapping", "tiles", "speed-up", "utilisation")]
    for i, layer in enumerate(layers):
        rows.append((
            str(i + 1),
            layer.csv_row(),
            _human(layer.num_weights),
            _human(layer.macs),
            "NM" if bool(fp.novel[i]) else "CM",
            f"{float(fp.tiles[i]):g}",
            f"{float(fp.speedup[i]):g}",
            f"{100 * float(fp.utilization[i]):.2f} %",
        ))
    rows.append((
        "chip",
        "",
        _human(sum(layer.num_weights for layer in layers)),
        _human(sum(layer.macs for layer in layers)),
        "",
        f"{float(fp.total_tiles):g}",
        "",
        f"{100 * float(fp.chip_utilization):.2f} %",
    ))
    lines = _table(rows)
    cells = int(np.ceil(weight_bits / cell_bits))
    lines.append(
        f"{hw.cell_type.upper()} at {hw.technology_node_nm:g} nm, {hw.subarray_rows}x{hw.subarray_cols} sub-arrays, "
        f"{weight_bits}-bit weights in {cells} cell(s) of {cell_bits} bit, {hw.adc_bits}-bit ADC per "
        f"{hw.columns_per_adc} columns; {float(fp.tile_rows):g}x{float(fp.tile_cols):g} tile grid, CM tile "
        f"{float(fp.tile_size_cm):g}, CM PE {float(fp.pe_size_cm):g}, NM PE {float(fp.pe_size_nm):g}"
    )
    return "\n".join(lines)


def _si(x: float, unit: str) -> str:
    """``x`` with an SI prefix, 4 significant digits."""
    x = float(x)
    if x == 0 or not np.isfinite(x):
        return f"{x:g} {unit}"
    for prefix, scale in (("", 1.0), ("m", 1e-3), ("µ", 1e-6), ("n", 1e-9), ("p", 1e-12), ("f", 1e-15)):
        if abs(x) >= scale:
            return f"{x / scale:.4g} {prefix}{unit}"
    return f"{x:.3e} {unit}"


def estimate_table(est, layer_names: list[str], images_per_epoch: float) -> str:
    """The chip estimate for people: area and its buckets, per-phase latency and energy per
    epoch and per image (average and NeuroSim's peak), the component breakdown, per-layer
    phase totals, leakage, TOPS and TOPS/W."""
    f = lambda x: float(np.asarray(x))  # noqa: E731
    area = est.area
    total = f(area.total)
    lines = [f"chip area {total * 1e6:.2f} mm²"]
    rows = [("area bucket", "mm²", "share")]
    for b in ("adc", "accumulation", "wg_unit", "interconnect", "other", "array"):
        a = f(getattr(area, b))
        rows.append((b.replace("_", " "), f"{a * 1e6:.3f}", f"{100 * a / total:.1f} %"))
    lines += _table(rows) + [""]
    rows = [("phase", "latency/epoch", "energy/epoch", "peak latency", "peak energy", "per image")]
    for p in ("fw", "ag", "wg", "wu"):
        ph = getattr(est, p)
        rows.append((
            p.upper(), _si(f(ph.latency), "s"), _si(f(ph.energy), "J"), _si(f(ph.peak_latency), "s"),
            _si(f(ph.peak_energy), "J"),
            f"{_si(f(ph.latency) / images_per_epoch, 's')} / {_si(f(ph.energy) / images_per_epoch, 'J')}",
        ))
    lat = sum(f(getattr(est, p).latency) for p in ("fw", "ag", "wg", "wu"))
    en = sum(f(getattr(est, p).energy) for p in ("fw", "ag", "wg", "wu"))
    rows.append(("total", _si(lat, "s"), _si(en, "J"), "", "",
                 f"{_si(lat / images_per_epoch, 's')} / {_si(en / images_per_epoch, 'J')}"))
    lines += _table(rows) + [""]
    rows = [("component", "latency/epoch", "energy/epoch")]
    for b in ("adc", "accumulation", "array", "buffer", "interconnect", "wg_unit", "wu", "dram"):
        le = getattr(est.breakdown, b)
        rows.append((b.replace("_", " "), _si(f(le.latency), "s"), _si(f(le.energy), "J")))
    lines += _table(rows) + [""]
    rows = [("layer", "FW", "AG", "WG", "WU", "energy FW+AG+WG+WU", "leakage")]
    for i, name in enumerate(layer_names):
        pick = lambda x: float(np.asarray(x)[i])  # noqa: E731
        rows.append((
            name, *(_si(pick(getattr(est.layers, p).latency), "s") for p in ("fw", "ag", "wg", "wu")),
            _si(sum(pick(getattr(est.layers, p).energy) for p in ("fw", "ag", "wg", "wu")), "J"),
            _si(pick(est.layers.leakage_power), "W"),
        ))
    lines += _table(rows) + [""]
    lines.append(
        f"leakage {_si(f(est.leakage_power), 'W')} ({_si(f(est.leakage_energy), 'J')}/epoch); "
        f"TOPS/W {f(est.tops_per_w):.4g}, TOPS {f(est.tops):.4g}; peak TOPS/W {f(est.peak_tops_per_w):.4g}, "
        f"peak TOPS {f(est.peak_tops):.4g}; {f(est.num_ops):.4g} operations and {images_per_epoch:g} images per epoch"
    )
    return "\n".join(lines)
