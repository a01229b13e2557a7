"""Host-side reporting: tables and files for people. Never jitted."""

from __future__ import annotations

import numpy as np

from cimjax.config.schema import Config
from cimjax.hw.floorplan import FloorplanConfig, FloorplanParams, floorplan
from cimjax.hw.network import LayerShape


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


def mapping_table(config: Config, layers: list[LayerShape]) -> str:
    """Per-layer weights, MACs and NeuroSim's floorplan of them on ``config.hardware``:
    mapping (NM = novel, CM = conventional), tiles, weight-duplication speed-up and
    utilisation (spec §5.2)."""
    hw = config.hardware
    weight_bits = config.quant.weight_bits if config.quant.weight_bits not in (None, 32) else 8
    cell_bits = 1 if hw.cell_type == "sram" else min(hw.cell_bits, weight_bits)
    params = FloorplanParams.from_config(hw, weight_bits)._replace(cell_bits=float(cell_bits))
    fp = floorplan(params, FloorplanConfig(tuple(layers), novel_mapping=hw.mapping == "novel"))
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
