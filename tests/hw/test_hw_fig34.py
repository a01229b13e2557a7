"""cimjax's chip estimate against the DNN+NeuroSim V2.0 manual's Fig. 34 run (docs/model.md §7.1).

The chip, trace and Fig. 34 table are ``benchmarks/fig34.py``'s (see its docstring): the
manual's wrapper settings with the first public ``Param.cpp`` (FeFET, March 2020, global bus
2048 wires). Fig. 34 was computed by that March 2020 code, so the chip is estimated with
``neurosim_code="march2020"`` (the models of that code), as committed (``march2020``) and with
``levelOutputWG = 64`` (``march2020_wg64``, the Fig. 34 run's setting); ``current_code_wg64`` is
the same chip with the current code's models, for contrast. All three are host-evaluated
(no whole-chip compile), so this file runs in the default suite.

Every Fig. 34 figure gets a ±25 % check (issue 4); a check cimjax does not meet is a strict
``xfail`` with the measured ratio and the cause (``XFAIL``). With the March 2020 models the
misses are the trace: NeuroSim's March 2020 code run on this very trace
(``NEUROSIM_MARCH2020``) misses Fig. 34 the same way, and cimjax is compared with that run
figure by figure too (``test_march_models_match_the_march_code``).
``benchmarks/results/fig34_comparison.md`` has the details.
"""

from __future__ import annotations

import numpy as np
import pytest

import helpers

fig34 = helpers.fig34()

# ----------------------------------------------------------------------------- causes
# Fig. 34 was computed by NeuroSim's March 2020 code, which reproduces it when run on this trace
# (benchmarks/fig34.py NEUROSIM_MARCH2020). The causes below up to _COMMON are those of the
# current code's models (variant current_code_wg64, as test_hw_golden checks them).

_MLSA_AREA = ("MLSA area model changed on 2020-08-27 (16 NMOS per comparator level -> 48 NMOS + 24 PMOS); "
              "the March 2020 code gives 18.84 mm² (= Fig. 34), cimjax's gate areas with the old count 20.6 mm² (1.09×)")
_ACC_AREA = ("adder-tree and DFF layouts follow the current code (0.94× in test_hw_golden) whose block layout "
             "changed after March 2020; the March 2020 code gives Fig. 34's 7.58 mm²")
_IC_AREA = ("H-tree area code changed after March 2020 (HTree.cpp: wire width per stage, repeater size >= 1, stage "
            "count); the March code gives Fig. 34's 2.03 mm², cimjax follows the current rule (0.97× in test_hw_golden)")
_ROLLUP = ("PE/tile roll-up of the novel-mapped conv layers 2–6: there cimjax's accumulation, buffer and "
           "interconnect latencies are 5–63×, 1.5–2× and 4–5× the March 2020 code's on the same trace (layers 1, 7, "
           "8: FW latency 0.98–1.2×); NeuroSim rewrote Tile.cpp/ProcessingUnit.cpp from May to Sep 2020 (its "
           "novel-mapping row-count fix of 2020-05-05 alone adds only 8 % FW latency; global H-tree bus share "
           "2020-08-22); the current code's default run has 10.6 s accumulation latency (March code here: 1.12 s), "
           "which cimjax matches")
_IC_LAT = ("H-tree latency: cimjax follows the current code's HTree::CalculateLatency (one repeater design per "
           "tree on the unwidened wire; per-layer interconnect latency 0.97–1.04× the current binary's in "
           "test_hw_golden), here 18× the March 2020 code's (layer 1: 7.8×; its tree stages, transfer counts and "
           "global bus share differ); with the earlier per-stage repeater rule cimjax was 3.5×")
_SA_E = ("sense-amplifier energy model changed in Aug 2020: ADC energy cimjax 0.79 J vs the March 2020 code 5.08 J on "
         "the same trace; the trace (synthetic vs the run's CIFAR-10) moves the March code's 5.08 J to Fig. 34's 3.57 J")
_WG_E = ("weight-gradient unit and DRAM energy follow levelOutputWG: the committed 16 gives a 15-bit spill (DRAM "
         "0.88×, WG unit 8.4 J = the March code with 16 levels); Fig. 34 had 64 (variant march2020_wg64)")
_WU = ("write trace: synthetic (test_hw_golden's, where cimjax's WU is also 1.7× the current code's); the March "
       "2020 code on it gives WU 0.36 s (Fig. 34 0.19 s) and cimjax 1.4× that (WU model changed after March 2020, "
       "e.g. FeFET cells no longer charged a V²·G·t write energy)")
_ARRAY = ("sub-array RC term: cimjax 0.70× the March 2020 code in total and 0.72× in layer 1 (SubArray.cpp rewritten "
          "since; cimjax matches the current code within 10 % in test_hw_golden)")
_ROLLUP_SHORT = "the PE/tile roll-up of the novel-mapped layers 2–6 (see fw.latency)"
_LEAK = "leakage energy = tile leakage (1.60×) × FW+AG latency (2.9×: " + _ROLLUP_SHORT + "; interconnect)"
_LEAK_P = ("tile leakage follows the current code (gate, DFF and shift-adder leakage and the per-layer tile "
           "structure measured on its binary: 0.96× in test_hw_golden); the March 2020 code's leakage model gives "
           "Fig. 34's 0.131 mW")
_COMMON = {
    "area.total": _MLSA_AREA,
    "area.adc": _MLSA_AREA,
    "area.accumulation": _ACC_AREA,
    "area.interconnect": _IC_AREA,
    "fw.latency": _IC_LAT + "; " + _ROLLUP,
    "fw.energy": _SA_E,
    "ag.latency": _IC_LAT + "; " + _ROLLUP,
    "ag.energy": _SA_E,
    "wu.latency": _WU,
    "fw.peak_latency": "accumulation latency: " + _ROLLUP,
    "ag.peak_latency": "accumulation latency: " + _ROLLUP,
    "wu.peak_latency": _WU,
    "fw.peak_energy": _SA_E,
    "ag.peak_energy": _SA_E,
    "wu.peak_energy": _WU,
    "leakage.energy": _LEAK,
    "leakage.power": _LEAK_P,
    "breakdown.accumulation.latency": _ROLLUP,
    "breakdown.array.latency": _ARRAY,
    "breakdown.interconnect.latency": _IC_LAT + "; " + _ROLLUP,
    "breakdown.adc.energy": _SA_E,
    "breakdown.array.energy": ("array energy follows the current code's switch-matrix DFF clocking (DFF.cpp's "
                               "clock term; 1.03× in test_hw_golden), the March 2020 code's gives Fig. 34's 0.043 J"),
    "breakdown.accumulation.energy": "accumulation energy: " + _ROLLUP,
    "breakdown.interconnect.energy": ("H-tree/bus energy code changed after March 2020 (the March code gives Fig. 34's "
                                      "0.63 J; cimjax matches the current code); " + _ROLLUP_SHORT),
}

# With the March 2020 models (variants march2020, march2020_wg64) only the trace is left:
_READ_TRACE = ("read trace: NeuroSim's default-run input activities, not the Fig. 34 run's CIFAR-10 inputs (not "
               "published); NeuroSim's March 2020 code on this very trace gives 1.33× (FW/AG energy), 1.39× (peaks) and "
               "1.42× (ADC energy) of Fig. 34 too, and cimjax is within 1 % of that code here; layer 1, whose "
               "input is the image itself, matches Fig. 34 within 1 % (test_layer1_matches)")
_WRITE_TRACE = ("write trace: synthetic (test_hw_golden's recipe), not the run's weights; NeuroSim's March 2020 code "
                "on it gives WU 0.361 s / 5.60e-4 J, peak 0.342 s / 3.09e-4 J (1.89× / 1.24×, 1.99× / 1.83× of "
                "Fig. 34), and cimjax is within 1.2 % of that code on all four")
_WG16 = ("levelOutputWG = 16 as committed: a 15-bit weight-gradient spill and a smaller WG ADC; NeuroSim's March "
         "2020 code with 16 levels gives the same (WG energy 84.5 J); the Fig. 34 run had 64 (march2020_wg64)")
_MARCH_CAUSES = {
    "fw.energy": _READ_TRACE, "ag.energy": _READ_TRACE, "fw.peak_energy": _READ_TRACE, "ag.peak_energy": _READ_TRACE,
    "breakdown.adc.energy": _READ_TRACE,
    "wu.latency": _WRITE_TRACE, "wu.peak_latency": _WRITE_TRACE, "wu.peak_energy": _WRITE_TRACE,
}

#: name → cause, per variant (the ratio is prepended from MEASURED).
CAUSES = {
    "march2020": {
        **_MARCH_CAUSES,
        "wg.energy": _WG16,
        "wg.peak_energy": _WG16,
        "tops_per_w@1op": "total energy: " + _WG16,
        "peak_tops_per_w@1op": "peak energies: " + _WG16 + "; " + _READ_TRACE,
    },
    "march2020_wg64": dict(_MARCH_CAUSES),
    "current_code_wg64": {
        **_COMMON,
        "total.latency": "FW/AG latency: " + _IC_LAT + "; " + _ROLLUP,
        "tops@1op": "total latency: " + _IC_LAT,
        "peak_tops_per_w@1op": "peak FW/AG energy: " + _SA_E,
    },
}

#: Ratios ours/Fig. 34 measured on the 2-core development VM (``python benchmarks/fig34.py``).
_MARCH_WG64 = {
    "fw.energy": 1.333, "ag.energy": 1.333, "wu.latency": 1.887, "wu.peak_latency": 1.989, "fw.peak_energy": 1.392,
    "ag.peak_energy": 1.391, "wu.peak_energy": 1.848, "breakdown.adc.energy": 1.427,
}
MEASURED = {
    "march2020": {
        **_MARCH_WG64,
        "wg.energy": 0.735, "wg.peak_energy": 0.294, "tops_per_w@1op": 1.32, "peak_tops_per_w@1op": 2.352,
    },
    "march2020_wg64": _MARCH_WG64,
    # The current code's models (the ratios of the estimator before neurosim_code existed).
    "current_code_wg64": {
        "area.total": 1.809, "area.adc": 2.867, "area.accumulation": 1.307, "area.interconnect": 1.557,
        "fw.latency": 2.920, "fw.energy": 0.554, "ag.latency": 2.821, "ag.energy": 0.595, "wu.latency": 2.639,
        "total.latency": 1.521, "fw.peak_latency": 3.346, "ag.peak_latency": 2.320,
        "wu.peak_latency": 2.775, "fw.peak_energy": 0.303, "ag.peak_energy": 0.351, "wu.peak_energy": 0.172,
        "leakage.energy": 5.607, "leakage.power": 1.664, "breakdown.accumulation.latency": 9.272,
        "breakdown.array.latency": 0.699, "breakdown.interconnect.latency": 18.019, "breakdown.adc.energy": 0.221,
        "breakdown.accumulation.energy": 1.464, "breakdown.array.energy": 1.512, "breakdown.interconnect.energy": 2.167,
        "tops@1op": 0.657, "peak_tops_per_w@1op": 1.372,
    },
}

XFAIL = {v: {n: f"ratio {MEASURED[v][n]:.3f}: {c}" for n, c in causes.items()} for v, causes in CAUSES.items()}


# ----------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module", params=list(fig34.VARIANTS))
def variant(request):
    return request.param


@pytest.fixture(scope="module")
def estimates():
    ests = {v: fig34.fig34_estimate(v) for v in fig34.VARIANTS}
    for v, e in ests.items():
        print(f"\n{v}:\n" + fig34.format_rows(fig34.comparison(e)))
    return ests


def _cases():
    for v in fig34.VARIANTS:
        for name in fig34.FIG34:
            if name in XFAIL[v]:
                yield pytest.param(v, name, marks=pytest.mark.xfail(strict=True, reason=XFAIL[v][name]), id=f"{v}-{name}")
            else:
                yield pytest.param(v, name, id=f"{v}-{name}")


# ----------------------------------------------------------------------------- tests


def test_xfail_table_consistent():
    for v in fig34.VARIANTS:
        assert set(CAUSES[v]) == set(MEASURED[v]), v
        assert set(CAUSES[v]) <= set(fig34.FIG34), v


@pytest.mark.parametrize("variant_name, name", list(_cases()))
def test_fig34_within_25_percent(estimates, variant_name, name):
    ref, _, get = fig34.FIG34[name]
    ours = float(np.asarray(get(estimates[variant_name])))
    ratio = ours / ref
    assert fig34.within(ratio), f"{variant_name} {name}: ours {ours:.5g}, Fig. 34 {ref:.5g}, ratio {ratio:.3f}"


def test_dominant_terms(estimates, variant):
    """DRAM dominates energy, buffer dominates latency, ADC is the largest area item (and WG ≥ 90 %
    of the energy, WU negligible), as in Fig. 34."""
    checks = fig34.dominant_terms(estimates[variant])
    failed = {k: what for k, (what, ok) in checks.items() if not ok}
    assert not failed, failed


def test_ops_per_mac_convention(estimates):
    """NeuroSim's code counts 2 ops per MAC (1.8478e14 per epoch); Fig. 34's rates imply 1."""
    e = estimates[fig34.PRIMARY]
    assert float(e.num_ops) == pytest.approx(1.8478e14, rel=1e-4)
    one = float(fig34.FIG34["tops@1op"][2](e))
    two = float(fig34.FIG34_2OP["tops@2op"][2](e))
    assert two == pytest.approx(2.0 * one, rel=1e-6)


def test_wg64_pins_dram(estimates):
    """levelOutputWG = 64 reproduces Fig. 34's DRAM energy and latency (86.04 J, 1.45 s)."""
    bd = estimates["march2020_wg64"].breakdown
    assert float(bd.dram.energy) == pytest.approx(86.04, rel=0.01)
    assert float(bd.dram.latency) == pytest.approx(1.45, rel=0.01)


MARCH_VARIANTS = [v for v in fig34.VARIANTS if fig34.VARIANTS[v]["neurosim_code"] == "march2020"]


@pytest.mark.parametrize("variant_name", MARCH_VARIANTS)
def test_layer1_matches(estimates, variant_name):
    """Layer 1, the one layer Fig. 34 prints and the one whose input (the image) is like the
    run's: with the March 2020 models every printed figure but WU (write trace) within ±10 %."""
    rows = {name: ratio for name, _, _, ratio, _ in fig34.layer1_comparison(estimates[variant_name])}
    misses = {n: r for n, r in rows.items() if abs(r - 1.0) > 0.10 and not n.startswith("L1 wu.")}
    if variant_name == "march2020":  # levelOutputWG 16: the WG unit's figures follow it (_WG16)
        misses = {n: r for n, r in misses.items() if not n.startswith("L1 wg.")}
    assert not misses, misses


def test_current_code_layer1_buffer_and_peak(estimates):
    """With the current code's models too, layer 1's buffer latency (the 2048-wire global bus;
    8192 would give 0.58×) is within ±5 % of Fig. 34 and its peak FW latency within ±10 %: 0.946
    since the adder follows NeuroSim's ``Adder.cpp`` stage sequence (2026-12-08; the March 2020
    models, which made Fig. 34, give 0.991; before it the current code's 1.1× adder latency had
    put this figure within 5 %)."""
    rows = {name: ratio for name, _, _, ratio, _ in fig34.layer1_comparison(estimates["current_code_wg64"])}
    assert rows["L1 breakdown.buffer.latency"] == pytest.approx(1.0, abs=0.05), rows["L1 breakdown.buffer.latency"]
    assert rows["L1 fw.peak_latency"] == pytest.approx(1.0, abs=0.10), rows["L1 fw.peak_latency"]


@pytest.mark.parametrize("variant_name", list(fig34.VARIANTS))
def test_changed_model_substitutions(estimates, variant_name):
    """With Fig. 34's numbers for the buckets whose NeuroSim model changed after March 2020, FW+AG
    energy agrees within 5 % (and WG energy, with levelOutputWG 64) and FW+AG peak latency
    within 25 %."""
    subs = fig34.substitution_checks(estimates[variant_name])
    fwag_e, wg_e, pk_t, _ = ((ours / ref) for _, ours, ref in subs)
    assert fwag_e == pytest.approx(1.0, abs=0.05)
    if fig34.VARIANTS[variant_name]["wg_adc_bits"] == 6:  # the WG unit's peak energy follows the levels
        assert wg_e == pytest.approx(1.0, abs=0.05)
    assert fig34.within(pk_t)


def _march_cases():
    for v in MARCH_VARIANTS:
        for name in fig34.NEUROSIM_MARCH2020[fig34.MARCH_RUN[v]]:
            yield pytest.param(v, name, id=f"{v}-{name}")


@pytest.mark.parametrize("variant_name, name", list(_march_cases()))
def test_march_models_match_the_march_code(estimates, variant_name, name):
    """Every figure of the chip with ``neurosim_code="march2020"`` within ±10 % of NeuroSim's
    March 2020 code run on the same trace: the models themselves, with the trace taken out."""
    ref = fig34.NEUROSIM_MARCH2020[fig34.MARCH_RUN[variant_name]][name]
    table = {**fig34.FIG34, **fig34.FIG34_2OP}
    ours = float(np.asarray(table[name][2](estimates[variant_name])))
    assert ours / ref == pytest.approx(1.0, abs=0.10), f"{variant_name} {name}: {ours:.5g} vs {ref:.5g}"


#: Figures of the March 2020 code that depend on the trace (input bits, weights, write statistics).
TRACE_DEPENDENT = {
    "fw.energy", "ag.energy", "fw.peak_energy", "ag.peak_energy", "breakdown.adc.energy", "breakdown.adc.latency",
    "wu.latency", "wu.energy", "wu.peak_latency", "wu.peak_energy",
    "fw.peak_latency",  # includes the MLSA latency (column resistances)
    "peak_tops_per_w@1op",  # peak energies
}


def test_march2020_code_reproduces_fig34():
    """Reference data, no estimate: NeuroSim's March 2020 code with levelOutputWG = 64 on this
    trace gives every trace-independent Fig. 34 figure within 2 % (chip area exactly)."""
    ref = fig34.NEUROSIM_MARCH2020["march2020_wg64"]
    assert ref["area.total"] == pytest.approx(fig34.FIG34["area.total"][0], rel=1e-5)
    for name, (value, _, _) in fig34.FIG34.items():
        if name not in TRACE_DEPENDENT:
            assert ref[name] == pytest.approx(value, rel=0.02), name
