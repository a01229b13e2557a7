"""cimjax's chip estimate against the DNN+NeuroSim V2.0 manual's Fig. 34 (docs/model.md §7.1).

    python benchmarks/fig34.py            # prints the comparison tables (host-evaluated: no compile)

The manual prints the per-epoch chip summary of its example VGG-8 / CIFAR-10 run (epoch 0,
batch 200 × 250 iterations) but not the hardware ``Param.cpp`` it used. The chip is
``configs/neurosim_fig34.py`` (the wrapper settings of Fig. 32 and the first public
``Param.cpp``, neurosim/DNN_NeuroSim_V2.0 commit bf95f9c of 2020-03-15: FeFET, R_on 500 kΩ,
on/off 100, 32 levels, 3.3 V / 75 ns writes, 32 nm LSTP, 6-bit ADC, 8:1 column mux), with
these ``hardware`` overrides (:data:`VARIANTS`):

* ``march2020`` — the named configuration: that ``Param.cpp`` as committed, including its
  ``maxGlobalBusWidth = 2048`` (``hardware.global_bus_width``; 8192 from August 2020),
  estimated with the March 2020 code's models (``hardware.neurosim_code = "march2020"``).
* ``march2020_wg64`` — the same with ``levelOutputWG = 64`` (``hardware.wg_adc_bits = 6``; 16 in every
  committed ``Param.cpp``, 64 in the manual's own example ``Param.cpp``, its Fig. 1). This is
  the configuration of the Fig. 34 run: NeuroSim's March 2020 code run with it on this
  script's trace gives Fig. 34's chip area to all six printed digits (4.82939e7 µm²) and its
  WG, DRAM, buffer, interconnect, leakage and total figures within 1 %
  (:data:`NEUROSIM_MARCH2020`); with 16 levels the WG unit, DRAM and WG figures miss.
* ``current_code_wg64`` — ``march2020_wg64`` with the current code's models
  (``neurosim_code = "current"``, the models ``tests/hw/test_hw_golden.py`` checks), to show how far
  NeuroSim's own model changes since March 2020 move the figures
  (``benchmarks/results/fig34_comparison.md``).

Trace: NeuroSim's default-run read trace (its input activities, weight level 0.5; the manual's
run used real CIFAR-10 and its trace files are not published) and the synthetic write trace of
``tests/hw/test_hw_golden.py`` (5-bit WAGE weights against the unquantised weight plus a
N(0, 0.02²) gradient, seed 117).

Operation count: NeuroSim's code counts 2 operations per MAC; the manual's TOPS and TOPS/W
imply 1 (docs/model.md §7.1). Fig. 34's rates are compared at 1 op/MAC; the 2-op figures are printed too.
"""

from __future__ import annotations

import functools
import os
import platform
import sys
import time
from typing import Optional

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax  # noqa: E402

from cimjax.config import apply_overrides, load_config  # noqa: E402
from cimjax.estimate import figure, host_estimate  # noqa: E402
from cimjax import build as build_lib  # noqa: E402
from cimjax.hw import chip  # noqa: E402
from cimjax import host_eval, trace as trace_lib  # noqa: E402

CONFIG_PATH = os.path.join(ROOT, "configs", "neurosim_fig34.py")
MM2 = 1e-6  # m² per mm²
TOLERANCE = 0.25  # the issue's ±25 %

#: Hardware variants: name → ``hardware.*`` overrides of the config (module docstring): the
#: NeuroSim code whose models the estimator follows, ``maxGlobalBusWidth`` and ``levelOutputWG = 2^wg_adc_bits``.
VARIANTS = {
    "march2020": {"neurosim_code": "march2020", "global_bus_width": 2048, "wg_adc_bits": 4},
    "march2020_wg64": {"neurosim_code": "march2020", "global_bus_width": 2048, "wg_adc_bits": 6},
    "current_code_wg64": {"neurosim_code": "current", "global_bus_width": 2048, "wg_adc_bits": 6},
}
PRIMARY = "march2020"


def _rate(attr, ops_per_mac):
    """TOPS or TOPS/W of ``ops_per_mac`` operations per MAC (the estimate counts 2)."""
    return lambda e: getattr(e, attr) * ops_per_mac / 2.0


#: Fig. 34 (docs/model.md §7.1): name → (value, unit[, getter on a ChipEstimate]). Per epoch, SI units.
FIG34 = {
    "area.total": (48.2939 * MM2, "m²"),
    "area.adc": (18.84 * MM2, "m²"),
    "area.wg_unit": (10.72 * MM2, "m²"),
    "area.other": (8.76 * MM2, "m²"),
    "area.accumulation": (7.58 * MM2, "m²"),
    "area.interconnect": (2.03 * MM2, "m²"),
    "area.array": (0.365 * MM2, "m²"),
    "fw.latency": (26.03, "s"),
    "fw.energy": (2.264, "J"),
    "ag.latency": (27.15, "s"),
    "ag.energy": (2.275, "J"),
    "wg.latency": (123.96, "s"),
    "wg.energy": (114.92, "J"),
    "wu.latency": (0.191, "s"),
    "wu.energy": (4.50e-4, "J"),
    "total.latency": (177.33, "s"),
    "total.energy": (119.46, "J"),
    "fw.peak_latency": (1.971, "s"),
    "ag.peak_latency": (3.091, "s"),
    "wg.peak_latency": (47.00, "s"),
    "wu.peak_latency": (0.172, "s"),
    "fw.peak_energy": (1.940, "J"),
    "ag.peak_energy": (1.951, "J"),
    "wg.peak_energy": (28.74, "J"),
    "wu.peak_energy": (1.69e-4, "J"),
    "leakage.energy": (7.80e-3, "J"),
    "leakage.power": (131.2e-6, "W"),
    "breakdown.adc.latency": (1.98, "s"),
    "breakdown.accumulation.latency": (1.12, "s"),
    "breakdown.array.latency": (1.96, "s"),
    "breakdown.buffer.latency": (125.3, "s"),
    "breakdown.interconnect.latency": (4.47, "s"),
    "breakdown.dram.latency": (1.45, "s"),
    "breakdown.adc.energy": (3.57, "J"),
    "breakdown.accumulation.energy": (0.28, "J"),
    "breakdown.array.energy": (0.043, "J"),
    "breakdown.buffer.energy": (0.20, "J"),
    "breakdown.interconnect.energy": (0.63, "J"),
    "breakdown.dram.energy": (86.04, "J"),
    "tops_per_w@1op": (0.773, "TOPS/W", _rate("tops_per_w", 1)),
    "tops@1op": (0.521, "TOPS", _rate("tops", 1)),
    "peak_tops_per_w@1op": (2.83, "TOPS/W", _rate("peak_tops_per_w", 1)),
    "peak_tops@1op": (1.77, "TOPS", _rate("peak_tops", 1)),
}
# Figures without their own getter are read by name (cimjax.estimate.figure).
FIG34 = {k: v if len(v) == 3 else (*v, functools.partial(figure, name=k)) for k, v in FIG34.items()}

#: The printed rates read as the released code's 2 ops/MAC (cimjax's ``num_ops``): if the
#: manual had counted 2 ops, these ratios would be the ones to meet (docs/model.md §7.1's counting caveat).
FIG34_2OP = {
    "tops_per_w@2op": (0.773, "TOPS/W", _rate("tops_per_w", 2)),
    "tops@2op": (0.521, "TOPS", _rate("tops", 2)),
    "peak_tops_per_w@2op": (2.83, "TOPS/W", _rate("peak_tops_per_w", 2)),
    "peak_tops@2op": (1.77, "TOPS", _rate("peak_tops", 2)),
}

#: Fig. 34's layer-1 figures (docs/model.md §7.1), per epoch: name → (value, getter on ChipEstimate.layers).
FIG34_LAYER1 = {
    "L1 fw.latency": (8.698, lambda l: l.fw.latency),
    "L1 ag.latency": (8.766, lambda l: l.ag.latency),
    "L1 wg.latency": (4.045, lambda l: l.wg.latency),
    "L1 wu.latency": (1.039e-3, lambda l: l.wu.latency),
    "L1 fw.energy": (0.1580, lambda l: l.fw.energy),
    "L1 ag.energy": (0.1579, lambda l: l.ag.energy),
    "L1 wg.energy": (0.2330, lambda l: l.wg.energy),
    "L1 wu.energy": (2.912e-5, lambda l: l.wu.energy),
    "L1 fw.peak_latency": (0.1242, lambda l: l.fw.peak_latency),
    "L1 ag.peak_latency": (0.1918, lambda l: l.ag.peak_latency),
    "L1 wg.peak_latency": (1.693, lambda l: l.wg.peak_latency),
    "L1 fw.peak_energy": (0.1225, lambda l: l.fw.peak_energy),
    "L1 wg.peak_energy": (0.2067, lambda l: l.wg.peak_energy),
    "L1 leakage.power": (5.73e-6, lambda l: l.leakage_power),
    "L1 breakdown.adc.latency": (0.1406, lambda l: l.breakdown.adc.latency),
    "L1 breakdown.accumulation.latency": (0.02541, lambda l: l.breakdown.accumulation.latency),
    "L1 breakdown.array.latency": (0.1500, lambda l: l.breakdown.array.latency),
    "L1 breakdown.buffer.latency": (18.36, lambda l: l.breakdown.buffer.latency),
    "L1 breakdown.interconnect.latency": (1.150, lambda l: l.breakdown.interconnect.latency),
    "L1 breakdown.dram.latency": (5.48e-4, lambda l: l.breakdown.dram.latency),
}


#: NeuroSim's March 2020 code itself (neurosim/DNN_NeuroSim_V2.0 commit bf95f9c, its Param.cpp;
#: ``march2020_wg64`` with ``levelOutputWG = 64``) run once on this script's trace: the same
#: weights (:func:`synthetic_write_trace`'s draws, written as NeuroSim's CSVs) and input bits
#: drawn i.i.d. at the same activities. Built outside the repository with ``-O0`` (at ``-O3``
#: it hangs or crashes: non-void functions without a return); about 480 s per run on the 2-core
#: VM. Values per epoch in SI units; its printed TOPS (2 ops/MAC, the ``@2op`` rows) halved for
#: the 1-op rows.
#: ``benchmarks/results/fig34_comparison.md`` describes the run.
_MARCH_COMMON = {
    "area.adc": 18.84e-6, "area.other": 8.75906e-6, "area.accumulation": 7.58181e-6,
    "area.interconnect": 2.03118e-6, "area.array": 0.365072e-6,
    "fw.latency": 26.0848, "fw.energy": 3.02239, "ag.latency": 27.2052, "ag.energy": 3.03365,
    "wu.latency": 0.360593, "wu.energy": 5.59706e-4,
    "fw.peak_latency": 2.02512, "ag.peak_latency": 3.14551, "wu.peak_latency": 0.342126,
    "fw.peak_energy": 2.69794, "ag.peak_energy": 2.7092, "wu.peak_energy": 3.08601e-4,
    "leakage.energy": 7.82032e-3, "leakage.power": 131.239e-6,
    "breakdown.adc.latency": 2.09079, "breakdown.accumulation.latency": 1.11972,
    "breakdown.array.latency": 1.95849, "breakdown.interconnect.latency": 4.46977,
    "breakdown.adc.energy": 5.08165, "breakdown.accumulation.energy": 0.281808,
    "breakdown.array.energy": 0.0434853, "breakdown.interconnect.energy": 0.625233,
}
NEUROSIM_MARCH2020 = {
    "march2020": {
        **_MARCH_COMMON, "area.total": 47.135e-6, "area.wg_unit": 9.55783e-6,
        "wg.latency": 111.753, "wg.energy": 84.5426, "total.latency": 165.403, "total.energy": 90.5993,
        "wg.peak_latency": 42.2102, "wg.peak_energy": 8.49754,
        "breakdown.buffer.latency": 118.023, "breakdown.dram.latency": 1.2807,
        "breakdown.buffer.energy": 0.181964, "breakdown.dram.energy": 75.9198,
        "tops_per_w@1op": 2.0393 / 2, "tops@1op": 1.11712 / 2, "peak_tops_per_w@1op": 13.2884 / 2,
        "peak_tops@1op": 3.87183 / 2,
        "tops_per_w@2op": 2.0393, "tops@2op": 1.11712, "peak_tops_per_w@2op": 13.2884, "peak_tops@2op": 3.87183,
    },
    "march2020_wg64": {
        **_MARCH_COMMON, "area.total": 48.2939e-6, "area.wg_unit": 10.7168e-6,
        "wg.latency": 123.939, "wg.energy": 114.699, "total.latency": 177.59, "total.energy": 120.756,
        "wg.peak_latency": 46.9866, "wg.peak_energy": 28.5166,
        "breakdown.buffer.latency": 125.263, "breakdown.dram.latency": 1.4514,
        "breakdown.buffer.energy": 0.200389, "breakdown.dram.energy": 86.0391,
        "tops_per_w@1op": 1.53005 / 2, "tops@1op": 1.04046 / 2, "peak_tops_per_w@1op": 5.44673 / 2,
        "peak_tops@1op": 3.51957 / 2,
        "tops_per_w@2op": 1.53005, "tops@2op": 1.04046, "peak_tops_per_w@2op": 5.44673, "peak_tops@2op": 3.51957,
    },
}

#: The March 2020 code run that matches each variant's ``levelOutputWG``.
MARCH_RUN = {v: "march2020_wg64" if s["wg_adc_bits"] == 6 else "march2020" for v, s in VARIANTS.items()}

#: The same runs per layer (``march2020_wg64``; only the WG columns differ from ``march2020``):
#: name → (values for layers 1–8, getter on ChipEstimate.layers).
NEUROSIM_MARCH2020_LAYERS = {
    "L_FW (s)": ((8.7, 8.389, 2.347, 3.723, 0.9177, 1.505, 0.4689, 0.03506), lambda l: l.fw.latency),
    "L_AG (s)": ((8.767, 8.704, 2.484, 4.004, 1.021, 1.715, 0.4746, 0.03577), lambda l: l.ag.latency),
    "L_WG (s)": ((4.041, 19.68, 11.66, 14.14, 13.74, 19.85, 40.76, 0.06966), lambda l: l.wg.latency),
    "pk L_FW (s)": ((0.1255, 0.4678, 0.2055, 0.4062, 0.15, 0.2974, 0.3707, 0.002002), lambda l: l.fw.peak_latency),
    "buffer L (s)": ((18.36, 21.19, 7.212, 11.77, 8.333, 15.09, 43.15, 0.1575), lambda l: l.breakdown.buffer.latency),
    "IC L (s)": ((1.15, 1.512, 0.4275, 0.6676, 0.1998, 0.3012, 0.2052, 0.007215),
                 lambda l: l.breakdown.interconnect.latency),
    "accum. L (s)": ((0.02541, 0.1086, 0.05121, 0.09549, 0.03947, 0.072, 0.7256, 0.001999),
                     lambda l: l.breakdown.accumulation.latency),
    "E_FW (J)": ((0.1598, 1.276, 0.5384, 0.5572, 0.199, 0.2049, 0.08684, 0.000497), lambda l: l.fw.energy),
    "E_WG (J)": ((0.2332, 9.573, 5.694, 11.22, 10.57, 21.05, 56.3, 0.0687), lambda l: l.wg.energy),
    "ADC E (J)": ((0.2338, 2.146, 0.933, 0.9456, 0.3444, 0.347, 0.1318, 0.0002247), lambda l: l.breakdown.adc.energy),
    "IC E (J)": ((0.06287, 0.2669, 0.084, 0.1084, 0.03005, 0.03903, 0.03351, 0.0004373),
                 lambda l: l.breakdown.interconnect.energy),
}

# ----------------------------------------------------------------------------- chip and trace


def build_chip(variant: str = PRIMARY) -> tuple[chip.ChipParams, chip.ChipConfig]:
    """The Fig. 34 chip: ``configs/neurosim_fig34.py`` with the :data:`VARIANTS` overrides
    (:func:`cimjax.build.build`)."""
    overrides = [f"hardware.{field}={value}" for field, value in VARIANTS[variant].items()]
    b = build_lib.build(apply_overrides(load_config(CONFIG_PATH), overrides))
    return b.params, b.chip


@functools.lru_cache(maxsize=4)
def synthetic_write_trace(layers, seed: int = 117, grad_std: float = 0.02, subarray: int = 128,
                          max_levels: int = 32) -> trace_lib.Trace:
    """Default-run read trace + synthetic write trace (the recipe of ``tests/hw/test_hw_golden.py``).

    Per layer, seeded: ``p ~ U(−1.5, 1.5)`` clipped to ±(1 − 1/16), ``new = Q5(p)``, ``old = p + g``
    with ``g ~ N(0, grad_std²)``, reduced by :func:`cimjax.trace.weight_update_stats`. Cached:
    the variants share one layer table, hence one trace.
    """
    rng = np.random.default_rng(seed)
    stats = []
    stats_of = functools.partial(trace_lib.weight_update_stats, max_levels=max_levels, subarray_rows=subarray,
                                 subarray_cols=subarray)
    for layer in layers:
        shape = (layer.weight_rows, layer.out_channels)
        p = np.clip(rng.uniform(-1.5, 1.5, shape), -(1 - 1 / 16), 1 - 1 / 16)
        new = np.round(p * 16) / 16
        old = p + rng.normal(0.0, grad_std, shape)
        # Host-evaluated (cimjax.host_eval): op-by-op dispatch would compile each operation
        # for each layer's shape (minutes on a 2-core CPU); NumPy runs the traced rule at once.
        s = host_eval.call(stats_of, np.asarray(new, np.float32), np.asarray(old, np.float32))
        stats.append([float(x) for x in s])
    w = np.asarray(stats).T
    return trace_lib.make_trace(trace_lib.DEFAULT_RUN_ACTIVITIES, 0.5, *w[:4], written_cells=w[4], written_level=w[5])


@functools.lru_cache(maxsize=None)
def fig34_estimate(variant: str = PRIMARY) -> chip.ChipEstimate:
    """The estimate of a :data:`VARIANTS` chip (host-evaluated, cached; the variants of one
    NeuroSim code share one traced program)."""
    params, chip_config = build_chip(variant)
    trace = synthetic_write_trace(chip_config.layers)
    return host_estimate(chip_config, params, trace)


# ----------------------------------------------------------------------------- comparison


def _get(get, est) -> float:
    return float(np.asarray(get(est)))


def comparison(est, table=None) -> list[tuple[str, float, float, float, str]]:
    """Rows ``(name, ours, fig34, ratio, unit)`` of ``table`` (default :data:`FIG34`)."""
    table = FIG34 if table is None else table
    rows = []
    for name, (ref, unit, get) in table.items():
        ours = _get(get, est)
        rows.append((name, ours, ref, ours / ref, unit))
    return rows


def layer1_comparison(est) -> list[tuple[str, float, float, float, str]]:
    rows = []
    for name, (ref, get) in FIG34_LAYER1.items():
        ours = float(np.asarray(get(est.layers))[0])
        rows.append((name, ours, ref, ours / ref, "W" if "power" in name else ("J" if "energy" in name else "s")))
    return rows


def within(ratio: float, tol: float = TOLERANCE) -> bool:
    return abs(ratio - 1.0) <= tol


def dominant_terms(est) -> dict[str, tuple[str, bool]]:
    """Fig. 34's dominant terms (docs/model.md §7.1): name → (what cimjax has, holds?)."""
    bd = est.breakdown
    energies = {k: float(v.energy) for k, v in bd._asdict().items()}
    latencies = {k: float(v.latency) for k, v in bd._asdict().items()}
    areas = {k: float(v) for k, v in est.area._asdict().items() if k != "total"}
    e_tot = float(figure(est, "total.energy"))
    t_tot = float(figure(est, "total.latency"))
    top_e, top_t, top_a = (max(d, key=d.get) for d in (energies, latencies, areas))
    return {
        "DRAM dominates energy": (f"largest energy bucket: {top_e} ({energies[top_e] / e_tot:.0%} of the dynamic energy)",
                                  top_e == "dram"),
        "buffer dominates latency": (f"largest latency bucket: {top_t} ({latencies[top_t]:.1f} s)", top_t == "buffer"),
        "ADC is the largest area item": (f"largest area bucket: {top_a} ({areas[top_a] / float(est.area.total):.0%})",
                                         top_a == "adc"),
        "WG dominates energy (Fig. 34: 96 %)": (f"WG {float(est.wg.energy) / e_tot:.1%} of the dynamic energy",
                                                float(est.wg.energy) > 0.9 * e_tot),
        "WU negligible (Fig. 34: 0.1 % latency, 0.0004 % energy)": (
            f"WU {float(est.wu.latency) / t_tot:.2%} of latency, {float(est.wu.energy) / e_tot:.4%} of energy",
            float(est.wu.latency) < 0.01 * t_tot and float(est.wu.energy) < 0.001 * e_tot),
    }


def substitution_checks(est) -> list[tuple[str, float, float]]:
    """Phase totals with the buckets whose NeuroSim model changed after March 2020 taken from
    Fig. 34 instead of cimjax: ``(name, ours with the substitution, Fig. 34)``.

    * FW + AG energy with Fig. 34's ADC (sense-amplifier) and interconnect energies (both
      buckets are FW/AG only);
    * WG energy with Fig. 34's weight-gradient-unit (peak WG) and DRAM energies;
    * FW + AG peak latency with Fig. 34's accumulation latency (an FW/AG-only bucket);
    * FW + AG latency with Fig. 34's accumulation and interconnect latencies (what is left is
      the buffer latency).
    """
    bd = est.breakdown
    fwag_e = float(est.fw.energy + est.ag.energy) - float(bd.adc.energy) - float(bd.interconnect.energy)
    wg_e = float(est.wg.energy) - float(est.wg.peak_energy) - float(bd.dram.energy)
    pk_t = float(est.fw.peak_latency + est.ag.peak_latency) - float(bd.accumulation.latency)
    fwag_t = float(est.fw.latency + est.ag.latency) - float(bd.accumulation.latency) - float(bd.interconnect.latency)
    return [
        ("FW+AG energy with Fig. 34's ADC + interconnect energy (J)", fwag_e + 3.57 + 0.63, 2.264 + 2.275),
        ("WG energy with Fig. 34's WG-unit + DRAM energy (J)", wg_e + 28.74 + 86.04, 114.92),
        ("FW+AG peak latency with Fig. 34's accumulation latency (s)", pk_t + 1.12, 1.971 + 3.091),
        ("FW+AG latency with Fig. 34's accumulation + interconnect latency (s)", fwag_t + 1.12 + 4.47, 26.03 + 27.15),
    ]


def format_rows(rows, title: str = "figure", march: Optional[dict] = None) -> str:
    """A markdown table of :func:`comparison` rows; ``march`` adds NeuroSim's March 2020 code on
    the same trace (:data:`NEUROSIM_MARCH2020`) and the ratio cimjax / that."""
    extra = " NeuroSim Mar 2020 code, same trace | cimjax / it |" if march is not None else ""
    lines = [f"| {title} | NeuroSim Fig. 34 | cimjax | ratio | within ±25 %? |{extra}",
             "| --- | --- | --- | --- | --- |" + (" --- | --- |" if march is not None else "")]
    for name, ours, ref, ratio, unit in rows:
        line = f"| {name} ({unit}) | {ref:.4g} | {ours:.4g} | {ratio:.3f} | {'yes' if within(ratio) else '**no**'} |"
        if march is not None:
            m = march.get(name)
            line += f" {m:.4g} | {ours / m:.3f} |" if m is not None else " – | – |"
        lines.append(line)
    return "\n".join(lines)


def format_march_layers(est) -> str:
    """Per layer: cimjax / NeuroSim's March 2020 code on the same trace (``march2020_wg64``)."""
    lines = ["| quantity | " + " | ".join(f"L{i}" for i in range(1, 9)) + " |", "| --- |" + " --- |" * 8]
    for name, (vals, get) in NEUROSIM_MARCH2020_LAYERS.items():
        ours = np.asarray(get(est.layers))
        lines.append(f"| {name} | " + " | ".join(f"{o:.3g} / {m:.3g}" for o, m in zip(ours, vals)) + " |")
    return "\n".join(lines)


def format_variants(variants=tuple(VARIANTS)) -> str:
    """One table, a ratio column per variant."""
    ests = {v: fig34_estimate(v) for v in variants}
    head = "| figure | NeuroSim Fig. 34 | " + " | ".join(f"cimjax `{v}` | ratio" for v in variants) + " |"
    lines = [head, "| --- | --- |" + " --- | --- |" * len(variants)]
    for table in (FIG34, FIG34_2OP):
        for name, (ref, unit, get) in table.items():
            cells = []
            for v in variants:
                ours = _get(get, ests[v])
                r = ours / ref
                cells.append(f"{ours:.4g} | {r:.3f}{'' if within(r) else ' ✗'}")
            lines.append(f"| {name} ({unit}) | {ref:.4g} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> int:
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPU(s), {platform.system()}; "
          f"jax {jax.__version__} on {jax.default_backend()}; float32")
    t0 = time.perf_counter()
    est = fig34_estimate(PRIMARY)
    t1 = time.perf_counter()
    for v in VARIANTS:
        fig34_estimate(v)
    t2 = time.perf_counter()
    print(f"estimate (host-evaluated): first variant {t1 - t0:.1f} s (synthetic write trace, tracing, evaluation); "
          f"the others {t2 - t1:.2f} s")
    params, cc = build_chip(PRIMARY)
    print(f"chip: {cc.cell}, {len(cc.layers)} layers, tile grid {cc.tile_grid}; num_ops (2/MAC) {float(est.num_ops):.5g}")

    for v in VARIANTS:
        e = fig34_estimate(v)
        rows = comparison(e) + comparison(e, FIG34_2OP)
        n_in = sum(within(r[3]) for r in rows)
        print(f"\n## Variant `{v}` ({VARIANTS[v]}): {n_in}/{len(rows)} figures within ±25 %\n")
        print(format_rows(rows, march=NEUROSIM_MARCH2020[MARCH_RUN[v]]))
        print("\nLayer 1 (Fig. 34 prints layer 1 only):\n")
        print(format_rows(layer1_comparison(e)))
        print("\nDominant terms:\n")
        for name, (what, ok) in dominant_terms(e).items():
            print(f"- {name}: {what} — {'holds' if ok else '**does not hold**'}")
        print("\nSubstitution checks (cimjax with Fig. 34's numbers for the buckets whose NeuroSim model changed):\n")
        for name, ours, ref in substitution_checks(e):
            print(f"- {name}: {ours:.4g} vs Fig. 34 {ref:.4g} (ratio {ours / ref:.3f})")
    print("\n## Per layer, cimjax / NeuroSim's March 2020 code on the same trace (`march2020_wg64`)\n")
    print(format_march_layers(fig34_estimate("march2020_wg64")))
    print("\n## Side by side\n")
    print(format_variants())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
