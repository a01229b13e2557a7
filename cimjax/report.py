"""Host-side reporting: tables and files for people. Never jitted."""

from __future__ import annotations

import math

from cimjax.config.schema import Config
from cimjax.hw.network import LayerShape, subarrays


def _human(n: float) -> str:
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(n) >= scale:
            return f"{n / scale:.2f}{unit}"
    return f"{n:.0f}"


def mapping_table(config: Config, layers: list[LayerShape]) -> str:
    """Per-layer weights, MACs and sub-arrays of a conventional mapping onto the chip of
    ``config.hardware`` (one weight of ``quant.weight_bits`` in ⌈bits/cell_bits⌉ cells)."""
    hw = config.hardware
    weight_bits = config.quant.weight_bits if config.quant.weight_bits not in (None, 32) else 8
    cell_bits = 1 if hw.cell_type == "sram" else min(hw.cell_bits, weight_bits)
    rows = [("layer", "NetWork.csv row", "weights", "MACs/image", f"{hw.subarray_rows}x{hw.subarray_cols} arrays")]
    total_w = total_m = total_a = 0
    for i, layer in enumerate(layers):
        n_arrays = subarrays(layer, hw.subarray_rows, hw.subarray_cols, weight_bits, cell_bits)
        rows.append((str(i + 1), layer.csv_row(), _human(layer.num_weights), _human(layer.macs), str(n_arrays)))
        total_w += layer.num_weights
        total_m += layer.macs
        total_a += n_arrays
    rows.append(("total", "", _human(total_w), _human(total_m), str(total_a)))
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in rows]
    lines.insert(1, "-" * len(lines[0]))
    cells = math.ceil(weight_bits / cell_bits)
    lines.append(
        f"{hw.cell_type.upper()} at {hw.technology_node_nm:g} nm, {weight_bits}-bit weights in {cells} cell(s) of "
        f"{cell_bits} bit, {hw.adc_bits}-bit ADC shared by {hw.columns_per_adc} columns"
    )
    return "\n".join(lines)
