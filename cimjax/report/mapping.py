"""NeuroSim's floorplan of a network on the chip as plain data: what the training
report's mapping table prints and ``estimate.json`` holds under ``"mapping"``
(:func:`cimjax.report.tables.mapping_table`, :func:`cimjax.report.files.write_estimate`).

The floorplan and its inputs come from the one build of the chip (:mod:`cimjax.build`), so the
table and the estimate cannot disagree.
"""

from __future__ import annotations

import math

from cimjax.build import ChipBuild


def mapping(b: ChipBuild) -> dict:
    """The floorplan of the network on the chip of ``b`` (the floorplan its estimate costs),
    JSON-ready.

    Returns ``{"layers": [...], "chip": {...}}``. Per layer (in order): ``network_row`` (its
    NeuroSim ``NetWork.csv`` row), ``weights``, ``macs_per_image``, ``mapping`` (``"NM"``
    novel or ``"CM"`` conventional), ``tiles``, ``speedup`` (weight duplication) and
    ``utilisation`` (fraction of the cells of its tiles holding weights). The chip: ``weights``,
    ``macs_per_image``, ``tiles``, ``tile_grid`` (rows, columns), ``utilisation``, the CM tile
    and the CM / NM PE sizes (sub-arrays per side), ``weight_bits``, ``cell_bits`` and
    ``cells_per_weight``.
    """
    layers = b.layers
    fp = b.floorplan()
    weight_bits = b.facts.synapse_bits
    cell_bits = int(float(b.floorplan_inputs()[0].cell_bits))
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
