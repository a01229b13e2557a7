"""H-trees and the PE/tile roll-up of NeuroSim's March 2020 code (``neurosim_version.march2020()``).

NeuroSim V2.0 commit bf95f9c (2020-03-15): ``HTree.cpp`` (stage count, repeater, per-stage wire
resistance), ``Tile.cpp``/``ProcessingUnit.cpp`` (one set of tile/PE objects, the CM tile's, used
by NM tiles too; tile accumulation read ``numColMuxed`` times; NM tile traffic) and ``Chip.cpp``
(whole-bus global H-tree traffic, NM row count, NM ``bits_in`` ÷K). Checked:

* by hand: the March H-tree latency, energy and channel area on small grids (``S = ⌊log2 n⌋``,
  the unclamped repeater, ``GetUnitLengthRes`` by stage index); the shift-adder bounding box
  of ``ShiftAdd::CalculateArea`` (both versions; not yet used by the sub-array);
* the current code unaffected: H-tree values of the code before the switch existed (exact
  floats of a float32 run), and the same tile-roll-up program for the default and an explicit
  ``code="current"``;
* the whole Fig. 34 chip (``benchmarks/fig34.py``'s ``march2020_wg64`` on its trace) against the
  March code run on the same trace (``fig34.NEUROSIM_MARCH2020``). Measured (2026-11-26):
  interconnect latency 0.983, energy 0.977, area 0.953 (the tile sizes: "other" and
  accumulation area are low); accumulation latency 1.081 (the sub-array shift-adders', 1.08 in
  every layer), energy 0.984, area 0.988 (with the sub-array shift-adders' March layout; 0.881
  without, tests/hw/test_hw_march2020_write.py); FW/AG/peak-FW latency 0.99, buffer latency 0.99; per layer IC latency 0.98,
  IC energy 0.97–0.98, accumulation latency 1.08–1.09, FW/AG latency 0.98–1.06. Tested at
  ±5 % (interconnect area ±7 %, accumulation latency ±10 %, per-layer FW/AG ±8 %).
"""

from __future__ import annotations

import math
import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import helpers
from cimjax.hw.tile import tile_performance
from cimjax.hw.tile_geometry import tile_geometry
from cimjax.hw.tile_types import RollupSizes, SubArrayFigures
from cimjax.hw.components import gates, htree, routing, shift_adder
from cimjax.hw.components.params import CircuitParams, ComponentConfig, circuit_technology
from cimjax.hw import tech, wiring
from cimjax.hw import neurosim_version as nv

ROOT = helpers.ROOT
MARCH = "march2020"


def _tree(n, h=300e-6, w=200e-6, bus=256.0, code="current", folded=16.0):
    cfg = htree.HTreeConfig(num_rows=n, num_cols=n, version=nv.by_name(code))
    return htree.htree(htree.HTreeParams(CircuitParams(), h, w, bus, 0.1, folded_ratio=folded), cfg)


# ----------------------------------------------------------------------------- by hand


@pytest.mark.parametrize("n", [2, 4, 8])
def test_march_htree_by_hand(n):
    """Root-to-leaf latency/energy and channel area of bf95f9c ``HTree.cpp`` at 32 nm, 40 nm wires."""
    h, w, bus, folded = 300e-6, 200e-6, 256.0, 16.0
    c = CircuitParams()
    t = circuit_technology(c, ComponentConfig())
    r0 = wiring.wire_resistance_per_length(c.wire_width_nm, c.temperature_k)
    design = routing.repeated_wire(t, r0, c.wire_capacitance, 0.1, ComponentConfig())
    size, d = float(design.size), float(design.spacing)
    inv = gates.gate(t, "inv", size=size)  # not clamped to 1 in bf95f9c
    r_rep = float(tech.on_resistance(t, inv.w_n, "n") + tech.on_resistance(t, inv.w_p, "p"))
    cin, cout, cw = float(inv.c_in), float(inv.c_out), 0.2e-15 / 1e-6

    def r_stage(i):  # GetUnitLengthRes(i): 4× wire for i <= 2, else 2×; (AR, ρ) = (2.30, 2.73e-8) below 200 nm
        width = (4 if i <= 2 else 2) * 40e-9
        return 2.73e-8 / (width * width * 2.30)

    def u(i):
        r = r_stage(i)
        return 0.7 * (r_rep * (cin + cout + cw * d) + 0.5 * r * cw * d * d + r * d * cin) / d

    S = int(math.floor(math.log2(n)))
    x_c = int(math.floor(math.log2(n)))
    main = min(n - x_c, x_c) * w
    lat = sum((h + w) * 2**S / 2 ** (i + 1) * u(i) for i in range(S)) + main * u(S - 1)
    e_pl = 0.25 * (cin + cout + cw * d) * float(t.vdd) ** 2 / d
    energy = bus * e_pl * (sum((h + w) * 2**S / 2 ** (i + 2) for i in range(S)) + main)
    lane = bus / folded
    area = sum(i * lane * float(inv.width) * (h * 2**S / 2) / 2**i / 2 + i * lane * float(inv.height) * (w * 2**S / 2) / 2**i / 2
               for i in range(1, S)) + lane * float(inv.height) * main
    got = _tree(n, h, w, bus, MARCH, folded)
    np.testing.assert_allclose([float(got.latency), float(got.energy), float(got.area)], [lat, energy, area], rtol=2e-5)


def test_march_htree_stage_count_floor():
    """bf95f9c: ``numStage = 2⌊log2 max⌋ + 1``: a 3×3 tree is a 2×2 one (one stage, the same main
    bus); the current code (⌈·⌉) gives the 3×3 tree two stages."""
    march3, march2 = _tree(3, code=MARCH), _tree(2, code=MARCH)
    assert all(float(a) == float(b) for a, b in zip(march3, march2))
    cur3, cur2 = _tree(3), _tree(2)
    assert float(cur3.latency) > 2.0 * float(cur2.latency)


def test_march_htree_jit_grad():
    def f(h):
        return _tree(4, h, h, 1024.0, MARCH).latency

    g = jax.jit(jax.grad(f))(300e-6)
    assert np.isfinite(float(g)) and float(g) > 0.0


@pytest.mark.parametrize("along, code", [("width", "current"), ("height", "march2020"), ("height", "current")])
def test_shift_adder_layout_by_hand(along, code):
    """``ShiftAdd::CalculateArea`` bounding box: 16 adders of 15 bits, 8 read pulses (368 DFFs)."""

    t = circuit_technology(CircuitParams(), ComponentConfig())
    nand, inv = gates.gate(t, "nand", 2), gates.gate(t, "inv")
    wn, hn, wi, hi = (float(x) for x in (nand.width, nand.height, inv.width, inv.height))
    hc = float(gates.cell_height(t))
    units, bits, pulses, side = 16, 15, 8, 20e-6
    n_dff = (bits + pulses) * units
    if along == "width":
        add_rows = math.ceil(units / min(math.floor(side / (9 * wn)), units))
        dff_rows = math.ceil(n_dff / min(math.floor(side / (12 * wi)), n_dff))
        want = side * (add_rows * bits * hn + hc + dff_rows * hi)
    else:
        add_cols = math.ceil(units / min(math.floor(side / hn), units))
        dff_cols = math.ceil(n_dff / min(math.floor(side / hi), n_dff))
        width = add_cols * 9 * bits * wn + dff_cols * 12 * wi
        want = (side + hc) * width if code == MARCH else side * (width + wi + wn)
    p = shift_adder.ShiftAdderParams(CircuitParams(), float(bits), float(units), 8.0, 10e-9, 1.0, float(pulses))
    got = shift_adder.shift_adder_layout_area(p, side, along, ComponentConfig(version=nv.by_name(code)))
    np.testing.assert_allclose(float(got), want, rtol=1e-5)


def test_version_validated():
    with pytest.raises(ValueError, match="version"):
        htree.HTreeConfig(version="2021")


# ----------------------------------------------------------------------------- current unaffected


def test_current_htree_unchanged():
    """H-tree values of the code before NeuroSim versions existed (float32), for the default
    config and an explicit ``version=current()``. The energies since 2026-12-08, when they came to
    follow HTree::CalculatePower's path (cimjax.hw.components.htree; were 1.953e-11, 4.695e-11,
    2.465e-10 J: 1.375×, 1.101×, 1.175× these); leakage ×1.001 since 2026-12-08 (NeuroSim's
    unrounded off-current, 100.1 pA/µm at 32 nm LSTP and 300 K; 100 before)."""
    want = {
        2: (7.1679999713580855e-09, 1.4207296797352775e-11, 7.475281504909503e-10, 8.880476851231832e-07),
        3: (2.2694399248734953e-08, 4.262188865733485e-11, 1.7442323141381166e-09, 2.9971607737024895e-06),
        4: (1.316952022989426e-07, 2.097795964717264e-10, 1.9934083272943326e-09, 1.5735094744741218e-05),
    }
    for n, bus in ((2, 256.0), (3, 384.0), (4, 1512.0)):
        for code in (None, "current"):
            cfg = htree.HTreeConfig(num_rows=n, num_cols=n, **({} if code is None else {"version": nv.by_name(code)}))
            c = htree.htree(htree.HTreeParams(CircuitParams(), 500e-6, 500e-6, bus, 0.1, folded_ratio=16.0), cfg)
            np.testing.assert_allclose([float(x) for x in c], want[n], rtol=1e-6)


def _synthetic_rollup_args():
    """A small synthetic floorplan and sub-array figures for :func:`cimjax.hw.tile.tile_performance`."""
    from cimjax.hw.floorplan import FloorplanConfig, FloorplanParams, floorplan
    from cimjax.hw.network import LayerShape

    layers = (LayerShape(8, 8, 16, 3, 3, 32, False, 1), LayerShape(8, 8, 32, 3, 3, 32, True, 1),
              LayerShape(1, 1, 512, 1, 1, 10, False, 1))
    fp = floorplan(FloorplanParams(32.0, 32.0, 5.0, 5.0, 8.0), FloorplanConfig(layers))
    L = len(layers)
    one = jnp.ones(L)
    sub = SubArrayFigures(*([jnp.asarray(1e-9), jnp.asarray(1e-5), jnp.asarray(1e-5)]
                                     + [jnp.asarray(1e-10)] * 5 + [1e-9 * one] * 12))
    sizes = RollupSizes(*(jnp.asarray(x) for x in (32.0, 32.0, 8.0, 6.0, 8.0, 1024.0, 32.0, 0.1)))
    return fp, sub, sizes, layers


def test_current_rollup_program_unchanged():
    """The tile roll-up traced with an explicit current version is the program traced without it."""
    fp, sub, sizes, layers = _synthetic_rollup_args()
    circuit = CircuitParams()
    npe_cm = fp.tile_size_cm / fp.pe_size_cm

    def run(cfg):
        geo = tile_geometry(circuit, cfg, sub, sizes, fp.pe_size_cm, npe_cm, htree_side=2, tile_buffer_core=32,
                            novel=False)
        return tile_performance(
            circuit, cfg, fp, sub, sizes, geo, geo, num_in_vector=jnp.asarray([36.0 * 8, 36.0 * 8, 8.0]),
            out_channels=jnp.asarray([32.0, 32.0, 10.0]), tile_buffer_core=32)

    explicit = ComponentConfig(version=nv.current())
    assert str(jax.make_jaxpr(lambda: run(ComponentConfig()))()) == str(jax.make_jaxpr(lambda: run(explicit))())


# ----------------------------------------------------------------------------- Fig. 34 chip


@pytest.fixture(scope="module")
def fig34_march():
    # Host-evaluated and shared by the test files (tests/helpers.py): no whole-chip XLA compile.
    fig34 = helpers.fig34()
    assert fig34.VARIANTS["march2020_wg64"]["neurosim_code"] == "march2020"
    return fig34, fig34.fig34_estimate("march2020_wg64")


@pytest.mark.parametrize("name, get, rtol", [
    ("breakdown.interconnect.latency", lambda e: e.breakdown.interconnect.latency, 0.05),
    ("breakdown.interconnect.energy", lambda e: e.breakdown.interconnect.energy, 0.05),
    ("area.interconnect", lambda e: e.area.interconnect, 0.07),
    ("breakdown.accumulation.latency", lambda e: e.breakdown.accumulation.latency, 0.10),
    ("breakdown.accumulation.energy", lambda e: e.breakdown.accumulation.energy, 0.05),
    ("area.accumulation", lambda e: e.area.accumulation, 0.05),
    ("breakdown.buffer.latency", lambda e: e.breakdown.buffer.latency, 0.05),
    ("fw.latency", lambda e: e.fw.latency, 0.05),
    ("ag.latency", lambda e: e.ag.latency, 0.05),
    ("fw.peak_latency", lambda e: e.fw.peak_latency, 0.05),
])
def test_fig34_against_march_code(fig34_march, name, get, rtol):
    fig34, est = fig34_march
    ref = fig34.NEUROSIM_MARCH2020["march2020_wg64"][name]
    np.testing.assert_allclose(float(get(est)), ref, rtol=rtol)


@pytest.mark.parametrize("name, rtol", [("IC L (s)", 0.05), ("IC E (J)", 0.05), ("accum. L (s)", 0.10),
                                        ("L_FW (s)", 0.08), ("L_AG (s)", 0.08), ("buffer L (s)", 0.05)])
def test_fig34_layers_against_march_code(fig34_march, name, rtol):
    """Per layer: the novel-mapped conv layers 2–6 carried the gap (IC latency 22×, accumulation
    latency 5–63× with the current code's roll-up)."""
    fig34, est = fig34_march
    vals, get = fig34.NEUROSIM_MARCH2020_LAYERS[name]
    np.testing.assert_allclose(np.asarray(get(est.layers)), vals, rtol=rtol)
