"""Named synaptic-device presets (the NeuroSim family's device table).

Source: MLP+NeuroSim V3.0 user manual, Table II (32 nm; Chen & Yu, IEEE Design & Test
2019), as summarised in ``docs/model.md`` §7.4. The HZO FeFET row is the
DNN+NeuroSim V2.0 default device (``train.py``: NL 1.75/1.46, 32 levels, c2c 0.003).

Conventions (NeuroSim's):
- ``nl_ltp`` / ``nl_ltd`` are nonlinearity *labels* on NeuroSim's −9…+9 axis (docs/model.md §2.2);
  a negative LTD label marks an asymmetric device. A label of 0 means a linear curve.
- ``max_level`` is the number of pulses across the full conductance range (P_max).
  Where LTP and LTD differ (Ag:a-Si 97/100) the smaller is used.
- ``c2c_sigma`` is the cycle-to-cycle σ as a fraction of the conductance range. Table
  entries given as a bound ("< 1 %", "< 0.5 %") use a value inside the bound, noted below.
- ``r_on`` in ohm; ``on_off_ratio`` = R_off / R_on.

Valid range: these are the published fits; they say nothing about devices outside them.
"""

from __future__ import annotations

from typing import NamedTuple


class DevicePreset(NamedTuple):
    nl_ltp: float
    nl_ltd: float
    max_level: int
    c2c_sigma: float
    r_on: float  # ohm
    on_off_ratio: float
    source: str


PRESETS: dict[str, DevicePreset] = {
    # The DNN+NeuroSim V2.0 default; c2c 0.003 is train.py's value for the "< 0.5 %" entry.
    "fefet_hzo": DevicePreset(1.75, 1.46, 32, 0.003, 559.28e3, 45.0, "HZO FeFET (NeuroSim V2.0 default; MLP+NeuroSim V3.0 Table II)"),
    "ag_asi": DevicePreset(2.40, -4.88, 97, 0.035, 26e6, 12.5, "Ag:a-Si RRAM (MLP+NeuroSim V3.0 Table II)"),
    "taox_hfox": DevicePreset(0.04, -0.63, 128, 0.037, 100e3, 10.0, "TaOx/HfOx RRAM (MLP+NeuroSim V3.0 Table II)"),
    # "< 1 %" in the table: 0.5 % used.
    "pcmo": DevicePreset(3.68, -6.76, 50, 0.005, 23e6, 6.84, "PCMO RRAM (MLP+NeuroSim V3.0 Table II)"),
    "alox_hfo2": DevicePreset(1.94, -0.61, 40, 0.05, 16.9e3, 4.43, "AlOx/HfO2 RRAM (MLP+NeuroSim V3.0 Table II)"),
    # States 100-120 in the table: 100 used.
    "gst_pcm": DevicePreset(0.105, 2.4, 100, 0.015, 4.71e3, 19.8, "GST PCM (MLP+NeuroSim V3.0 Table II)"),
    "epiram": DevicePreset(0.5, -0.5, 64, 0.02, 81e3, 50.2, "EpiRAM Ag:SiGe (MLP+NeuroSim V3.0 Table II)"),
    # Reference: linear, symmetric, noiseless, 32 levels (5-bit weights, one cell per synapse).
    "ideal": DevicePreset(0.0, 0.0, 32, 0.0, 100e3, 1e6, "ideal linear device (reference, no source)"),
}

DEVICE_NAMES = tuple(PRESETS)
