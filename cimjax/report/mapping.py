"""NeuroSim's floorplan of a network on ``config.hardware`` as plain data: what the training
report's mapping table prints and ``estimate.json`` holds under ``"mapping"``
(:func:`cimjax.report.tables.mapping_table`, :func:`cimjax.report.files.write_estimate`).

The floorplan is computed by one host-evaluated call (:mod:`cimjax.host_eval`; op by op it
takes seconds). Its inputs are built in :func:`mapping` alone.
"""

from __future__ import annotations

import math

from cimjax import host_eval
from cimjax.config.schema import Config
from cimjax.hw.floorplan import FloorplanConfig, FloorplanParams, floorplan
from cimjax.hw.network import LayerShape


def mapping(config: Config, layers: list[LayerShape]) -> dict:
    """The floorplan of ``layers`` on ``config.hardware``, JSON-ready.

    Returns ``{"layers": [...], "chip": {...}}``. Per layer (in order): ``network_row`` (its
    NeuroSim ``NetWork.csv`` row), ``weights``, ``macs_per_image``, ``mapping`` (``"NM"``
    novel or ``"CM"`` conventional), ``tiles``, ``speedup`` (weight duplication) and
    ``utilisation`` (fraction of the cells of its tiles holding weights). The chip: ``weights``,
    ``macs_per_image``, ``tiles``, ``tile_grid`` (rows, columns), ``utilisation``, the CM tile
    and the CM / NM PE sizes (sub-arrays per side), ``weight_bits``, ``cell_bits`` and
    ``cells_per_weight``.
    """
    hw = config.hardware
    weight_bits = config.quant.weight_bits if config.quant.weight_bits not in (None, 32) else 8
    cell_bits = 1 if hw.cell_type == "sram" else min(hw.cell_bits, weight_bits)
    params = FloorplanParams.from_config(hw, weight_bits)._replace(cell_bits=float(cell_bits))
    fp_config = FloorplanConfig(tuple(layers), novel_mapping=hw.mapping == "novel")
    fp = host_eval.call(lambda p: floorplan(p, fp_config), params)
    rows = [
        {
            "network_row": layer.csv_row(),
            "weights": int(layer.num_weights),
            "macs_per_image": int(layer.macs),
            "mapping": "NM" if bool(fp.novel[i]) else "CM",
            "tiles": float(fp.tiles[i]),
            "speedup": float(fp.speedup[i]),
            "utilisation": float(fp.utilization[i]),
        }
        for i, layer in enumerate(layers)
    ]
    chip = {
        "weights": sum(r["weights"] for r in rows),
        "macs_per_image": sum(r["macs_per_image"] for r in rows),
        "tiles": float(fp.total_tiles),
        "tile_grid": [float(fp.tile_rows), float(fp.tile_cols)],
        "utilisation": float(fp.chip_utilization),
        "tile_size_cm": float(fp.tile_size_cm),
        "pe_size_cm": float(fp.pe_size_cm),
        "pe_size_nm": float(fp.pe_size_nm),
        "weight_bits": int(weight_bits),
        "cell_bits": int(cell_bits),
        "cells_per_weight": int(math.ceil(weight_bits / cell_bits)),
    }
    return {"layers": rows, "chip": chip}
