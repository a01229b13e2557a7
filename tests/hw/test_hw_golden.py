"""Golden test: cimjax's chip estimate against NeuroSim V2.0's default VGG-8 run.

Reference: ``docs/neurosim_default_run.md`` §3 (the released C++ estimator with
its shipped ``Param.cpp``: RRAM 1T1R, 32 nm LSTP, 128×128, 6-bit ADC, 5-bit cells and weights,
8-bit inputs, batch 200 × 250 iterations; the run's input activities, weight level 0.5).

Read occupancy (the fraction of sub-array reads with an active row, which sets the MLSA energy
of empty reads): :data:`cimjax.trace.SYNTHETIC_RELU_READ_OCCUPANCY`, measured on synthetic
post-ReLU traces with the run's activities (NeuroSim V2.0 on those traces gives the same
occupancies); a synthetic stand-in, as the write trace below, not the run's trace files.

Write trace (WU): the default run's weights after 7 steps are 5-bit WAGE weights (multiples
of 1/16 in (−1, 1), std ≈ 0.7: uniform(−1.5, 1.5) clipped to ±(1 − 1/16)); its old-weight
file holds the unquantised weight plus the gradient (grad std 0.007–0.03). We draw, per layer
with a fixed seed, ``p ~ U(−1.5, 1.5)`` clipped, ``new = Q5(p)``, ``old = p + g`` with ``g ~
N(0, 0.02²)``, and reduce them with :func:`cimjax.trace.weight_update_stats` (ΔG_min = 2/32
in weight units, 128×128 sub-arrays). A plausible stand-in, not the run's files.

Every golden number gets a ±10 % check; a check that cimjax does not meet is marked
``xfail(strict=True)`` with the measured ratio and the cause (``XFAIL``). Run with ``-s`` for
the comparison table; :func:`golden_comparison` returns it for reports.
"""

from __future__ import annotations

import dataclasses
import functools

import jax
import numpy as np
import pytest

from cimjax.config.schema import ModelConfig
from cimjax import compile_cache, host_eval
from cimjax.estimate import figure, host_estimate
from cimjax.hw import chip
from cimjax import trace as trace_lib
from cimjax.hw.network import network_layers
from cimjax.hw import neurosim_version as nv

MM2 = 1e-6  # m² per mm²

#: name → (golden value, SI unit label); the getter on a ChipEstimate is added below
#: (:func:`cimjax.estimate.figure` of the name).
GOLDEN = {
    "area.total": (96.1791 * MM2, "m²"),
    "area.adc": (54.022 * MM2, "m²"),
    "area.interconnect": (12.0373 * MM2, "m²"),
    "area.accumulation": (10.5098 * MM2, "m²"),
    "area.wg_unit": (9.66812 * MM2, "m²"),
    "area.other": (9.57679 * MM2, "m²"),
    "area.array": (0.365072 * MM2, "m²"),
    "fw.latency": (37.7062, "s"),
    "fw.energy": (1.25612, "J"),
    "fw.peak_latency": (6.61653, "s"),
    "fw.peak_energy": (0.516072, "J"),
    "ag.latency": (37.8857, "s"),
    "ag.energy": (1.36616, "J"),
    "ag.peak_latency": (6.79596, "s"),
    "ag.peak_energy": (0.626108, "J"),
    "wg.latency": (53.4757, "s"),
    "wg.energy": (84.7547, "J"),
    "wg.peak_latency": (34.8101, "s"),
    "wg.peak_energy": (8.71089, "J"),
    "wu.latency": (0.202109, "s"),
    "wu.energy": (0.00280698, "J"),
    "wu.peak_latency": (0.17516, "s"),
    "wu.peak_energy": (0.00136655, "J"),
    "total.latency": (129.270, "s"),
    "total.energy": (87.3798, "J"),
    "leakage.energy": (0.0209668, "J"),
    "leakage.power": (218.785e-6, "W"),
    "num_ops": (1.8478e14, "op"),
    "tops_per_w": (2.11412, "TOPS/W"),
    "tops": (1.42938, "TOPS"),
    "epochs_per_s": (0.00773576, "1/s"),
    "peak_tops_per_w": (18.7505, "TOPS/W"),
    "peak_tops": (3.81785, "TOPS"),
    "breakdown.adc.latency": (1.8354, "s"),
    "breakdown.adc.energy": (0.653049, "J"),
    "breakdown.accumulation.latency": (10.5719, "s"),
    "breakdown.accumulation.energy": (0.41761, "J"),
    "breakdown.array.latency": (0.904423, "s"),
    "breakdown.array.energy": (0.0654828, "J"),
    "breakdown.buffer.latency": (72.6226, "s"),
    "breakdown.buffer.energy": (0.184567, "J"),
    "breakdown.interconnect.latency": (26.0403, "s"),
    "breakdown.interconnect.energy": (1.50939, "J"),
    "breakdown.dram.latency": (1.2807, "s"),
    "breakdown.dram.energy": (75.9198, "J"),
}
GOLDEN = {name: (value, unit, functools.partial(figure, name=name)) for name, (value, unit) in GOLDEN.items()}

#: Checks cimjax does not meet within ±10 %: name → reason (measured ratio ours/golden).
_WU = ("write trace is a synthetic stand-in (module docstring), not the run's weight files; NeuroSim "
       "V2.0 run on these very weights gives {} of the golden value (cimjax within 2 % of it): the trace, "
       "not the model; per-layer WU ratios 0.3–2.4")
XFAIL: dict[str, str] = {
    "wu.latency": "ratio 1.703: " + _WU.format(1.704),
    "wu.energy": "ratio 1.507: " + _WU.format(1.477),
    "wu.peak_latency": "ratio 1.812: " + _WU.format(1.813),
    "wu.peak_energy": "ratio 1.740: " + _WU.format(1.747),
}

#: Per-layer golden columns printed (not asserted): name → (values, getter).
GOLDEN_LAYERS = {
    "L_FW": ((7.920, 15.01, 4.178, 6.155, 1.524, 2.437, 0.4537, 0.0287), lambda e: e.layers.fw.latency),
    "E_FW": ((0.0723, 0.5044, 0.1706, 0.2637, 0.0819, 0.1360, 0.0267, 0.00054), lambda e: e.layers.fw.energy),
    "pk L_FW": ((0.1121, 3.526, 0.8556, 1.059, 0.2642, 0.4282, 0.3697, 0.00187), lambda e: e.layers.fw.peak_latency),
    "pk E_FW": ((0.0181, 0.1745, 0.0661, 0.1195, 0.0422, 0.0815, 0.0140, 8.5e-5), lambda e: e.layers.fw.peak_energy),
    "L_WG": ((1.825, 11.38, 7.300, 7.793, 7.064, 8.472, 9.623, 0.0182), lambda e: e.layers.wg.latency),
    "E_WG": ((0.1132, 3.527, 2.901, 5.608, 7.762, 15.42, 49.37, 0.0603), lambda e: e.layers.wg.energy),
    "L_WU": ((0.000699, 0.00433, 0.00607, 0.00761, 0.02519, 0.03697, 0.1206, 0.000613), lambda e: e.layers.wu.latency),
    "E_WU": ((0.000153, 0.000510, 0.000280, 0.000185, 0.000403, 0.000357, 0.000917, 1.6e-6), lambda e: e.layers.wu.energy),
    "buf L": ((13.09, 15.10, 5.220, 8.750, 6.296, 11.99, 12.09, 0.0807), lambda e: e.layers.breakdown.buffer.latency),
    "IC L": ((3.120, 10.09, 3.265, 4.757, 1.682, 2.809, 0.2913, 0.0215), lambda e: e.layers.breakdown.interconnect.latency),
    "IC E": ((0.0996, 0.6493, 0.2065, 0.2879, 0.0863, 0.1267, 0.0523, 0.00075), lambda e: e.layers.breakdown.interconnect.energy),
    "leak P µW": ((9.43, 22.50, 22.50, 23.17, 23.17, 24.56, 83.08, 10.39), lambda e: e.layers.leakage_power * 1e6),
}


@functools.lru_cache(maxsize=2)
def default_write_trace(layers, seed: int = 117, grad_std: float = 0.02, subarray: int = 128) -> trace_lib.Trace:
    """The default run's read trace (its activities, weight level 0.5, the synthetic read
    occupancy) plus a synthetic write trace (module docstring). Cached; the statistics are
    host-evaluated (:func:`cimjax.host_eval.call`: no per-shape compile of each operation)."""
    rng = np.random.default_rng(seed)
    stats = []
    stats_of = functools.partial(trace_lib.weight_update_stats, subarray_rows=subarray, subarray_cols=subarray)
    for layer in layers:
        shape = (layer.weight_rows, layer.out_channels)
        p = np.clip(rng.uniform(-1.5, 1.5, shape), -(1 - 1 / 16), 1 - 1 / 16)
        new = np.round(p * 16) / 16
        old = p + rng.normal(0.0, grad_std, shape)
        s = host_eval.call(stats_of, np.asarray(new, np.float32), np.asarray(old, np.float32))
        stats.append([float(x) for x in s])
    w = np.asarray(stats).T
    return trace_lib.make_trace(trace_lib.DEFAULT_RUN_ACTIVITIES, 0.5, *w[:4],
                                read_occupancy=trace_lib.SYNTHETIC_RELU_READ_OCCUPANCY,
                                written_cells=w[4], written_level=w[5])


def vgg8_layers():
    return tuple(network_layers(ModelConfig(), (32, 32, 3)))


def default_config(unset_out_precision: bool = True) -> chip.ChipConfig:
    """The V2.0 default chip (``unset_out_precision=False``: its defect 2 fixed)."""
    version = dataclasses.replace(nv.CURRENT, wg_out_precision_unset=unset_out_precision)
    return chip.ChipConfig(vgg8_layers(), version=version)


@functools.lru_cache(maxsize=2)
def default_estimate(unset_out_precision: bool = True) -> chip.ChipEstimate:
    """The estimate of the V2.0 default chip on the default-run trace, host-evaluated as
    ``cimjax estimate`` does (:func:`cimjax.estimate.host_estimate`; it equals JAX's own
    evaluation: :func:`test_host_evaluation_equals_the_jax_estimate`), cached."""
    config = default_config(unset_out_precision)
    return host_estimate(config, chip.default_params(), default_write_trace(config.layers))


def golden_comparison(est=None) -> list[tuple[str, float, float, float, str]]:
    """Rows ``(name, ours, golden, ratio, unit)`` for every golden number (SI units)."""
    est = default_estimate() if est is None else est
    rows = []
    for name, (gold, unit, get) in GOLDEN.items():
        ours = float(np.asarray(get(est)))
        rows.append((name, ours, gold, ours / gold, unit))
    return rows


def format_comparison(rows) -> str:
    lines = [f"{'quantity':34s} {'ours':>12s} {'golden':>12s} {'ratio':>7s}  unit"]
    for name, ours, gold, ratio, unit in rows:
        flag = "" if 0.9 <= ratio <= 1.1 else "  *"
        lines.append(f"{name:34s} {ours:12.5g} {gold:12.5g} {ratio:7.3f}  {unit}{flag}")
    return "\n".join(lines)


@pytest.fixture(scope="module")
def est():
    e = default_estimate()
    print("\n" + format_comparison(golden_comparison(e)))
    print("\nper layer (ours / golden):")
    for name, (gold, get) in GOLDEN_LAYERS.items():
        ours = np.asarray(get(e))
        print(f"{name:10s} " + " ".join(f"{o:.3g}/{g:.3g}" for o, g in zip(ours, gold)))
    return e


def _param(name):
    if name in XFAIL:
        return pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=XFAIL[name]))
    return name


@pytest.mark.parametrize("name", [_param(n) for n in GOLDEN])
def test_golden_within_10_percent(est, name):
    gold, _, get = GOLDEN[name]
    ours = float(np.asarray(get(est)))
    assert ours / gold == pytest.approx(1.0, abs=0.1), f"{name}: ours {ours:.5g}, golden {gold:.5g}"


def test_floorplan_and_ops_exact(est):
    assert float(est.num_ops) == pytest.approx(1.8478e14, rel=1e-4)


def test_dominant_terms(est):
    bd = est.breakdown
    energies = {k: float(v.energy) for k, v in bd._asdict().items()}
    latencies = {k: float(v.latency) for k, v in bd._asdict().items()}
    assert max(energies, key=energies.get) == "dram"  # DRAM dominates energy
    assert max(latencies, key=latencies.get) == "buffer"  # buffer dominates latency
    areas = {k: float(v) for k, v in est.area._asdict().items() if k != "total"}
    assert max(areas, key=areas.get) == "adc"  # the ADC is the largest area item
    assert float(est.wg.energy) > 0.9 * float(est.fw.energy + est.ag.energy + est.wg.energy + est.wu.energy)


#: NeuroSim V2.0 (d4de5bc, built unchanged but for three ``return 0;``, with prints added) run on
#: this file's synthetic write trace itself (the weights of :func:`default_write_trace` written as
#: its new/old weight CSVs, the default-run input traces), per epoch: WU latency and energy,
#: PEAK WU latency and energy. The golden run's WU differs because its weights differ.
NEUROSIM_WU_SAME_WEIGHTS = {"latency": 0.34446, "energy": 4.147e-3, "peak_latency": 0.31751, "peak_energy": 2.387e-3}


def test_wu_matches_neurosim_on_the_same_weights(est):
    """The WU model against NeuroSim given identical weights (the golden WU misses are the trace)."""
    for field, want in NEUROSIM_WU_SAME_WEIGHTS.items():
        assert float(getattr(est.wu, field)) == pytest.approx(want, rel=0.05), field


def test_intended_out_precision_changes_only_wu_and_buffer():
    """Defect 2 off: numArrayWriteParallel 16 instead of 8 (WU latency halves), 156 cores."""
    shipped, fixed = default_estimate(True), default_estimate(False)
    ratio = float(fixed.wu.latency / shipped.wu.latency)
    assert ratio == pytest.approx(0.5, rel=0.02)
    assert float(fixed.area.other) > float(shipped.area.other)
    assert float(fixed.fw.energy) == pytest.approx(float(shipped.fw.energy), rel=1e-5)


def test_host_evaluation_equals_the_jax_estimate(est):
    """What ``cimjax estimate`` runs (the traced estimate evaluated with NumPy, no compile:
    ``est``) equals JAX's own evaluation of the golden run's estimate (op by op), and needs no
    primitive outside NumPy."""
    config = default_config()
    args = (chip.default_params(), default_write_trace(config.layers))
    # The program host_estimate ran (kept in this process under the same key: no second trace).
    prog = compile_cache.cached_program("chip_estimate", repr(config), args, lambda: host_eval.trace(
        lambda p, t: chip.estimate(p, config=config, trace=t), *args))
    assert prog.serialisable
    want = jax.device_get(chip.estimate(args[0], config, args[1]))
    assert jax.tree.structure(est) == jax.tree.structure(want)
    for g, w in zip(jax.tree.leaves(est), jax.tree.leaves(want)):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=0)
