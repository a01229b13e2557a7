"""Peripheral components (cimjax.hw.components): hand-computed values, monotonicity, quirks, errors."""

import dataclasses
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import helpers
from cimjax.hw.components import gates, htree, logic, misc, routing, shift_adder
from cimjax.hw.components.params import CircuitParams, ComponentConfig, circuit_technology
from cimjax.hw import tech, wiring
from cimjax.hw.cost import Cost
from cimjax.hw import neurosim_version as nv

CEIL_HALVING = dataclasses.replace(nv.CURRENT, adder_tree_floor_halving=False)

CFG = ComponentConfig()
CP = CircuitParams()
F32 = 32e-9


@pytest.fixture(autouse=True)
def x64():
    """Run in float64: exact hand values, and the eager-op cache is shared with the float64
    checklist of ``test_hw_components.py`` (faster)."""
    with helpers.x64():
        yield


@pytest.fixture
def t32():
    return circuit_technology(CP, CFG)


def f(x):
    return float(x)


# ---------------------------------------------------------------------------------------
# Gates (docs/model.md §5.6, §5.9).


def test_gate_geometry_by_hand(t32):
    # 32 nm planar: height 28F; pitch (1 + 2.8)F; INV 2 pitches, NAND2/NOR2 2·1 + 1 = 3 pitches.
    inv, nand2 = gates.gate(t32, "inv"), gates.gate(t32, "nand", 2)
    assert f(inv.height) == pytest.approx(28 * F32)
    assert f(inv.area) == pytest.approx(28 * 2 * 3.8 * F32**2, rel=1e-5)
    assert f(nand2.area) == pytest.approx(28 * 3 * 3.8 * F32**2, rel=1e-5)
    # pnSizeRatio = 600/400 (LSTP 32 nm); W_n = 2F; NAND2 NMOS ×2; NOR2 PMOS ×2.
    assert f(gates.pn_size_ratio(t32)) == pytest.approx(1.5)
    assert f(inv.w_n) == pytest.approx(2 * F32) and f(inv.w_p) == pytest.approx(3 * F32)
    assert f(nand2.w_n) == pytest.approx(4 * F32)
    assert f(gates.gate(t32, "nor", 2).w_p) == pytest.approx(6 * F32)
    # Input capacitance = C_g(W_n) + C_g(W_p); INV leakage (I_n·W_n + I_p·W_p)/2·V_dd.
    assert f(inv.c_in) == pytest.approx(f(tech.gate_capacitance(t32, 5 * F32)), rel=1e-5)
    assert f(inv.leakage) == pytest.approx(0.5 * 100e-12 / 1e-6 * 5 * F32 * 0.9, rel=1e-5)
    # NAND2: its 2 parallel PMOS, × 0.48 (NeuroSim's CalculateGateLeakage).
    assert f(nand2.leakage) == pytest.approx(0.48 * 2 * 100e-6 * 3 * F32 * 0.9, rel=1e-5)
    assert f(gates.gate(t32, "tg").leakage) == 0.0
    # FinFET: NeuroSim's 34/28 height factor is an integer quotient, 1: 28F cells.
    t14 = tech.technology(14.0, "HP")
    assert f(gates.cell_height(t14)) == pytest.approx(28 * 14e-9)


F7 = 7e-9
# NeuroSim V2.0 (d4de5bc) formula.cpp at 7 nm LSTP, 300 K, called outside the repository with
# NeuroSim's own sizing (W_n = s·2F, W_p = pnSizeRatio·W_n, NAND_k NMOS ×k, NOR_k PMOS ×k) and
# a 28F cell height (MAX_TRANSISTOR_HEIGHT·F): CalculateGateArea's width (m) and
# CalculateGateCapacitance's capInput / capOutput (F), by (kind, inputs, s).
NEUROSIM_7NM_GATES = {
    ("inv", 1, 1.0): (7.420000e-08, 1.461121e-16, 2.633924e-17),
    ("inv", 1, 8.0): (1.113000e-07, 9.497287e-16, 1.235876e-16),
    ("inv", 1, 16.0): (1.855000e-07, 1.899457e-15, 1.612310e-16),
    ("nand", 2, 1.0): (1.113000e-07, 2.191682e-16, 4.268420e-17),
    ("nand", 2, 8.0): (2.968000e-07, 1.424593e-15, 2.458548e-16),
    ("nand", 3, 4.0): (3.339000e-07, 9.497287e-16, 3.412661e-16),
    ("nor", 2, 1.0): (1.113000e-07, 2.191682e-16, 4.268420e-17),
    ("nor", 3, 16.0): (1.113000e-06, 3.725859e-15, 6.882557e-16),
}


def test_finfet_gate_by_hand():
    # 7 nm LSTP: pnSizeRatio (int)(822/737) = 1; 28F cell; INV of 1 fin each (W = 2F), unfolded.
    t7 = tech.technology(7.0, "LSTP")
    inv = gates.gate(t7, "inv")
    assert f(gates.pn_size_ratio(t7)) == 1.0 and f(inv.w_p) == pytest.approx(2 * F7)
    pitch = (1.4 + 3.9) * F7
    assert f(inv.area) == pytest.approx(28 * F7 * 2 * pitch, rel=1e-9)
    # Input: each transistor's width scaled by P_fin/(2F) twice: ⌈22/14⌉ = 2 fins of 2·18 + 7 nm.
    assert f(inv.c_in) == pytest.approx(2 * 0.849e-9 * 2 * 43e-9, rel=1e-9)
    # Output: a 3.9F drain strip one fin (W_fin = 7 nm) tall per transistor: bottom, 2 strip
    # edges + one fin side wall, drain to channel.
    c_j, c_sw, c_edge = (float(x) for x in tech.junction_capacitance_coefficients(0.7))
    w, h = 3.9 * F7, 7e-9
    assert f(inv.c_out) == pytest.approx(2 * (c_j * w * h + c_sw * (2 * w + h) + c_edge * h), rel=1e-9)
    # A lone transistor's gate (CalculateGateCap) scales once: 1 fin.
    assert f(tech.gate_capacitance(t7, 2 * F7)) == pytest.approx(0.849e-9 * 43e-9, rel=1e-9)


@pytest.mark.parametrize("key", list(NEUROSIM_7NM_GATES))
def test_finfet_gate_matches_neurosim(key):
    kind, k, size = key
    width, c_in, c_out = NEUROSIM_7NM_GATES[key]
    g = gates.gate(tech.technology(7.0, "LSTP"), kind, k, size)
    assert f(g.width) == pytest.approx(width, rel=1e-6)
    assert f(g.c_out) == pytest.approx(c_out, rel=1e-6)
    # C_ideal: docs/model.md's 0.849 fF/µm against Technology.cpp's 0.849489.
    assert f(g.c_in) == pytest.approx(c_in, rel=1e-3)


def test_gate_folding_and_drive(t32):
    small, big = gates.gate(t32, "inv"), gates.gate(t32, "inv", size=10.0)
    # 10× widths (50F) exceed the 22.5F available: 3 fingers → 4 pitches wide.
    assert f(gates.fingers(t32, big.w_n, big.w_p)) == 3.0
    assert f(big.width) == pytest.approx(4 * 3.8 * F32, rel=1e-5)
    assert f(big.r_drive) == pytest.approx(f(small.r_drive) / 10, rel=1e-5)
    # NAND2 drives like the INV (series stack doubled); TG = R_n ‖ R_p.
    assert f(gates.gate(t32, "nand", 2).r_drive) == pytest.approx(f(small.r_drive), rel=1e-5)
    assert f(gates.gate(t32, "tg").r_drive) == pytest.approx(f(small.r_drive) / 2, rel=1e-5)
    # Leakage: k parallel NMOS × f_k, f_k for k ≥ 4 held at f_3 (placeholder); NOR4 is 4 pitches + 1.
    nor3, nor4 = gates.gate(t32, "nor", 3), gates.gate(t32, "nor", 4)
    assert f(nor4.leakage) == pytest.approx(f(nor3.leakage) * 4 / 3, rel=1e-5)
    assert f(nor4.width) == pytest.approx(5 * 3.8 * F32, rel=1e-5)


def test_gate_errors(t32):
    with pytest.raises(ValueError, match="kind"):
        gates.gate(t32, "xor")
    with pytest.raises(ValueError, match="num_inputs"):
        gates.gate(t32, "nand", 9)


# ---------------------------------------------------------------------------------------
# Logic.


def test_adder_by_hand(t32):
    nand2 = gates.gate(t32, "nand", 2)
    for bits, adders in [(4.0, 1.0), (8.0, 3.0)]:
        c = logic.adder(logic.AdderParams(CP, bits, adders))
        assert f(c.area) == pytest.approx(9 * bits * adders * f(nand2.area), rel=1e-5)
        assert f(c.leakage) == pytest.approx(9 * bits * adders * f(nand2.leakage), rel=1e-5)
        cin, cout = f(nand2.c_in), f(nand2.c_out)
        counted = (6 * cin + 2 * cout) + (bits - 1) * (7 * cin + 3 * cout)
        hidden = (7 * cin + 5 * cout) + (bits - 1) * (6 * cin + 4 * cout)
        energy = (counted + hidden) * 0.9**2 * adders
        assert f(c.energy) == pytest.approx(energy, rel=1e-5)
        # NeuroSim Adder.cpp CalculateLatency: 2·bits + 1 Horowitz stages, NAND2 pull-down
        # 2·R_on,n and pull-up R_on,p alternating, the middle pair evaluated once (on the ramp
        # of the first pair) and repeated bits − 2 times; a step input; the sum drives one C_in.
        r_dn, r_up = 2 * f(tech.on_resistance(t32, nand2.w_n, "n")), f(tech.on_resistance(t32, nand2.w_p, "p"))

        def chain(stages, ramp):
            total = 0.0
            for r, fan_out in stages:
                tau = r * (cout + fan_out * cin)
                d = tau * math.log(2) if ramp is None else tau * math.sqrt(math.log(0.5) ** 2 + 0.5 / (tau * ramp))
                total, ramp = total + d, 0.5 / d
            return total, ramp

        first, ramp = chain([(r_dn, 3), (r_up, 2)], None)
        mid, ramp = chain([(r_dn, 3), (r_up, 2)], ramp)
        last, _ = chain([(r_dn, 3), (r_up, 1), (r_dn, 1)], ramp)
        assert f(c.latency) == pytest.approx(first + (bits - 2) * mid + last, rel=1e-5)


def test_adder_monotone_in_bits_and_node():
    costs = [logic.adder(logic.AdderParams(CP, b)) for b in (4.0, 8.0, 16.0)]
    for field in ("area", "energy", "latency", "leakage"):
        values = [f(getattr(c, field)) for c in costs]
        assert values[0] < values[1] < values[2], field


@pytest.mark.parametrize(
    "fn,params,config",
    [
        (logic.adder, logic.AdderParams(), CFG),
        (logic.dff, logic.DffParams(), CFG),
        (shift_adder.shift_adder, shift_adder.ShiftAdderParams(), CFG),
        (routing.mux, routing.MuxParams(), CFG),
        (routing.decoder, routing.DecoderParams(), routing.DecoderConfig()),
        (misc.relu, misc.ReluParams(), CFG),
        (misc.max_pool, misc.MaxPoolParams(), CFG),
        (misc.register_file_buffer, misc.BufferParams(), misc.BufferConfig()),
    ],
    ids=lambda v: getattr(v, "__name__", None),
)
def test_larger_node_larger_area(fn, params, config):
    nodes = jnp.array([22.0, 32.0, 45.0, 65.0, 90.0, 130.0])
    batch = params._replace(circuit=CP._replace(node_nm=nodes))
    axes = jax.tree.map(lambda _: None, params)
    axes = axes._replace(circuit=axes.circuit._replace(node_nm=0))
    area = np.asarray(jax.vmap(fn, in_axes=(axes, None))(batch, config).area)
    assert np.all(np.diff(area) > 0), area


def test_adder_tree_is_its_stages():
    b = 6.0
    tree = logic.adder_tree(logic.AdderTreeParams(CP, 8.0, b, 1.0))
    stages = [logic.adder(logic.AdderParams(CP, b + k, n)) for k, n in enumerate([4.0, 2.0, 1.0])]
    for field in ("area", "energy", "latency", "leakage"):
        assert f(getattr(tree, field)) == pytest.approx(sum(f(getattr(s, field)) for s in stages), rel=1e-5)
    # 5 inputs: ⌈log2 5⌉ = 3 stages of 3, 2, 1 adders (every input added); 1 input: nothing.
    tree5 = logic.adder_tree(logic.AdderTreeParams(CP, 5.0, b, 2.0), logic.AdderTreeConfig(version=CEIL_HALVING))
    stages5 = [logic.adder(logic.AdderParams(CP, b + k, 2 * n)) for k, n in enumerate([3.0, 2.0, 1.0])]
    assert f(tree5.area) == pytest.approx(sum(f(s.area) for s in stages5), rel=1e-5)
    assert f(logic.adder_tree(logic.AdderTreeParams(CP, 1.0, b)).area) == 0.0
    areas = [f(logic.adder_tree(logic.AdderTreeParams(CP, n, b)).area) for n in (2.0, 4.0, 16.0)]
    assert areas[0] < areas[1] < areas[2]


def test_dff_and_shift_adder_by_hand(t32):
    d = logic.dff(logic.DffParams(CP._replace(clock_hz=2e9), 10.0, 0.0))
    unit = logic.dff_unit(t32)
    assert f(d.latency) == pytest.approx(0.25e-9)
    assert f(d.area) == pytest.approx(10 * 12 * f(gates.gate(t32, "inv").area), rel=1e-5)
    assert f(d.energy) == pytest.approx(10 * f(unit.clock_energy), rel=1e-5)
    # Clock energy as NeuroSim's DFF.cpp: 4 INVs' (C_in + C_out) + 2 TG gates' (C_g,n + C_g,p), × V².
    inv, tg = gates.gate(t32, "inv"), gates.gate(t32, "tg")
    clock = (4 * (f(inv.c_in) + f(inv.c_out)) + 2 * f(tg.c_in)) * f(t32.vdd) ** 2
    assert f(unit.clock_energy) == pytest.approx(clock, rel=1e-5)
    # Leakage: 8 minimum INVs (DFF.cpp).
    assert f(unit.leakage) == pytest.approx(8 * f(inv.leakage), rel=1e-5)
    assert f(logic.dff(logic.DffParams(CP, 10.0, 1.0)).energy) > f(d.energy)
    # Shift-add hidden under a long read pulse; exposed (numRead − 1) times under a short one.
    add = logic.adder(logic.AdderParams(CP, 7.0, 1.0))
    t_sa = f(add.latency) + 0.5e-9
    hidden = shift_adder.shift_adder(shift_adder.ShiftAdderParams(CP, 7.0, 1.0, 8.0, 10e-9))
    exposed = shift_adder.shift_adder(shift_adder.ShiftAdderParams(CP, 7.0, 1.0, 8.0, 0.1e-9))
    assert f(hidden.latency) == pytest.approx(t_sa, rel=1e-5)
    assert f(exposed.latency) == pytest.approx(t_sa + 7 * (t_sa - 0.1e-9), rel=1e-5)
    reg = logic.dff(logic.DffParams(CP, 8.0, 1.0))
    assert f(hidden.energy) == pytest.approx(8 * (f(add.energy) + f(reg.energy)), rel=1e-5)
    assert f(hidden.area) == pytest.approx(f(add.area) + f(reg.area), rel=1e-5)


# ---------------------------------------------------------------------------------------
# Routing.


def test_mux_by_hand(t32):
    p = routing.MuxParams(CP, 8.0, 16.0, 2e3, 5e-15, 0.5)
    c = routing.mux(p)
    r_lin = 0.2 * f(tech.on_resistance(t32, F32))
    w_n = F32 * r_lin / 2e3
    tg = gates.gate(t32, "tg", widths=(w_n, 1.5 * w_n))
    assert f(c.latency) == pytest.approx(2.3 * (r_lin * F32 / w_n) * (5e-15 + 8 * f(tg.c_out)), rel=1e-5)
    assert f(c.energy) == pytest.approx(16 * (f(tg.c_in) * 0.81 + 2 * f(tg.c_out) * 0.25), rel=1e-5)
    assert f(c.area) == pytest.approx(128 * f(tg.area), rel=1e-5)
    # A small resTg gives a big (wide) mux; a huge one is clamped at the minimum width.
    assert f(routing.mux(p._replace(res_tg=500.0)).area) > f(c.area)
    tiny = routing.mux(p._replace(res_tg=1e9))
    assert f(tiny.area) == pytest.approx(128 * f(gates.gate(t32, "tg").area), rel=1e-5)


def test_decoder_structure(t32):
    # 128 outputs: 7 bits = 3 NAND2 predecoders + 1 direct bit; NOR4 + INV per output.
    c = routing.decoder(routing.DecoderParams(CP, 0.0), routing.DecoderConfig(num_outputs=128))
    inv, nand, nor4 = gates.gate(t32, "inv"), gates.gate(t32, "nand", 2), gates.gate(t32, "nor", 4)
    area = 7 * f(inv.area) + 12 * f(nand.area) + 128 * (f(nor4.area) + f(inv.area))
    assert f(c.area) == pytest.approx(area, rel=1e-5)
    loaded = routing.decoder(routing.DecoderParams(CP, 100e-15), routing.DecoderConfig(num_outputs=128))
    assert f(loaded.latency) > f(c.latency) and f(loaded.energy) > f(c.energy)
    # "Parallel" ×8 sizing: faster into a heavy load, larger.
    par = routing.decoder(routing.DecoderParams(CP, 100e-15), routing.DecoderConfig(num_outputs=128, parallel=True))
    assert f(par.latency) < f(loaded.latency) and f(par.area) > f(loaded.area)
    two = routing.decoder(routing.DecoderParams(CP, 0.0), routing.DecoderConfig(num_outputs=2))
    assert f(two.area) == pytest.approx(f(inv.area) + 2 * 2 * f(inv.area), rel=1e-5)


def test_repeater_tolerance_search(t32):
    r_w = f(wiring.wire_resistance_per_length(40.0))
    best = routing.repeated_wire(t32, r_w, 2e-10, 0.0, CFG)
    relaxed = routing.repeated_wire(t32, r_w, 2e-10, 0.1, CFG)
    inv = gates.gate(t32, "inv")
    # NeuroSim's resOnRep: the INV's NMOS and PMOS on-resistances in series.
    r_inv = f(tech.on_resistance(t32, inv.w_n, "n")) + f(tech.on_resistance(t32, inv.w_p, "p"))
    s_opt = math.floor(math.sqrt(r_inv * 2e-10 / (f(inv.c_in) * r_w)))
    assert f(best.size) == s_opt
    d_opt = math.sqrt(2 * r_inv * (f(inv.c_in) + f(inv.c_out)) / (r_w * 2e-10))
    assert f(best.spacing) == pytest.approx(d_opt, rel=1e-5)
    # The sized repeater's own R and C in the delay per length.
    rep = gates.gate(t32, "inv", size=s_opt)
    r_rep = f(tech.on_resistance(t32, rep.w_n, "n")) + f(tech.on_resistance(t32, rep.w_p, "p"))
    c_in, c_out, d = f(rep.c_in), f(rep.c_out), d_opt
    delay = 0.7 * (r_rep * (c_in + c_out + 2e-10 * d) + 0.5 * r_w * 2e-10 * d * d + r_w * d * c_in) / d
    assert f(best.delay_per_length) == pytest.approx(delay, rel=1e-5)
    assert f(best.energy_per_length) == pytest.approx(0.25 * (c_in + c_out + 2e-10 * d) * f(t32.vdd) ** 2 / d,
                                                      rel=1e-5)
    # Tolerance: a halved repeater at 0.9× spacing, the first one ≥ 1.1× the optimum delay.
    k = round(math.log2(s_opt / f(relaxed.size)))
    assert k >= 1 and f(relaxed.spacing) == pytest.approx(d_opt * 0.9**k, rel=1e-5)
    assert f(relaxed.delay_per_length) >= 1.1 * f(best.delay_per_length)
    assert f(relaxed.energy_per_length) < f(best.energy_per_length)


def test_htree_quirk_and_fix():
    # NeuroSim's wire class: ×2 width below 1e5F, (2.30, 2.73e−8) whatever the width.
    w = jnp.array([80.0, 160.0])
    quirk = routing.wire_resistance(w, 300.0, True)
    np.testing.assert_allclose(quirk, 2.73e-8 / ((w * 1e-9) ** 2 * 2.30), rtol=1e-5)
    fixed = routing.wire_resistance(jnp.array([40.0]), 300.0, False)
    np.testing.assert_allclose(fixed, wiring.wire_resistance_per_length(40.0), rtol=1e-5)
    # A 4×4 tree of 5 µm units: D = 20 µm, every stage < 1e4F = 320 µm. Fixed: ×1 wires, the
    # same repeated wire as a bus; path = D/2 (main bus) + Σ_{i=0..4} D/2^(i+1) = 29.375 µm,
    # total = D/2 + 5·D/2 = 60 µm (per-stage latency rule).
    p = htree.HTreeParams(CP, 5e-6, 5e-6, 64.0, 0.1)
    fixed = htree.htree(p, htree.HTreeConfig(version=dataclasses.replace(nv.CURRENT, htree_wire_sizing_quirk=False), area_rule="repeaters", latency_rule="per_stage"))
    path = routing.bus(routing.BusParams(CP, 2.0, 29.375e-6, 64.0, 0.1))
    total = routing.bus(routing.BusParams(CP, 2.0, 60e-6, 64.0, 0.1))
    assert f(fixed.latency) == pytest.approx(f(path.latency), rel=1e-5)
    assert f(fixed.energy) == pytest.approx(f(path.energy), rel=1e-5)
    assert f(fixed.leakage) == pytest.approx(f(total.leakage), rel=1e-5)
    assert f(fixed.area) == pytest.approx(f(total.area), rel=1e-5)
    # The quirk doubles those wires and uses the 100-nm resistivity class: faster.
    quirk = htree.htree(p, htree.HTreeConfig(latency_rule="per_stage"))
    assert f(quirk.latency) < f(fixed.latency)


#: One transfer of NeuroSim V2.0's default run, measured by running its code (32 nm, unit = PE or
#: tile side): (grid, unit side in m, NeuroSim's latency in s). NeuroSim's first stage reads an
#: uninitialised resistance (≈ 0) and later stages the previous stage's; cimjax uses each
#: stage's own, which its code makes +2 % (chip) to +6.5 % (2×2 tile tree) slower.
NEUROSIM_HTREE_TRANSFERS = [(2, 8.8469e-4, 1.24085e-9), (3, 8.8469e-4, 2.97559e-9),
                            (4, 1.78250e-3, 6.7209e-9), (4, 2.71777e-3, 1.02473e-8)]


@pytest.mark.parametrize("side,unit,neurosim", NEUROSIM_HTREE_TRANSFERS)
def test_htree_latency_neurosim_rule(side, unit, neurosim):
    p = htree.HTreeParams(CP, unit, unit, 64.0, 0.1)
    got = f(htree.htree(p, htree.HTreeConfig(num_rows=side, num_cols=side)).latency)
    assert 1.0 <= got / neurosim <= 1.07
    # By hand: one repeater design on the unwidened 40-nm wire for the whole tree; stage i of
    # S = ⌈log2 side⌉ is unit·2^S/2^(i+1) long, vertical and horizontal; the main bus
    # min(side − x_c, x_c) units, x_c = ⌊log2 side⌋; each piece with its own wire's resistance
    # (×2 width, or ×4 from 1e5F = 3.2 mm, in NeuroSim's (2.30, 2.73e−8) class).
    t = circuit_technology(CP, CFG)
    design = routing.repeated_wire(t, wiring.wire_resistance_per_length(40.0), 2e-10, 0.1, CFG)
    rep = gates.gate(t, "inv", size=f(design.size))
    r_rep = f(tech.on_resistance(t, rep.w_n, "n")) + f(tech.on_resistance(t, rep.w_p, "p"))
    d = f(design.spacing)

    def piece(length):
        r_w = 2.73e-8 / ((40e-9 * (4 if length / 32e-9 > 1e5 else 2)) ** 2 * 2.30)
        c_in, c_out = f(rep.c_in), f(rep.c_out)
        return length * 0.7 * (r_rep * (c_in + c_out + 2e-10 * d) + 0.5 * r_w * 2e-10 * d * d + r_w * d * c_in) / d

    levels = math.ceil(math.log2(side))
    x_c = math.floor(math.log2(side))
    want = sum(2 * piece(unit * 2**levels / 2 ** (i + 1)) for i in range(levels)) + piece(min(side - x_c, x_c) * unit)
    assert got == pytest.approx(want, rel=1e-5)
    # The per-stage rule re-optimises every stage for its wider wire: 3-5x faster.
    per_stage = f(htree.htree(p, htree.HTreeConfig(num_rows=side, num_cols=side, latency_rule="per_stage")).latency)
    assert per_stage < 0.55 * got
    with pytest.raises(ValueError, match="latency_rule"):
        htree.HTreeConfig(latency_rule="elmore")


def test_htree_channel_area_by_hand():
    """area_rule='neurosim' (HTree::CalculateArea): an 8x8 tree (S = 3) of 300 x 200 µm units,
    bus 256, folded 4: stages 1 and 2 are 1 and 2 lanes of repeaters wide, V₀ = 1200 µm,
    H₀ = 800 µm; main bus min(8 − 3, 3) = 3 units wide."""
    t = circuit_technology(CP, CFG)
    rep = routing.repeated_wire(t, wiring.wire_resistance_per_length(CP.wire_width_nm, CP.temperature_k),
                                CP.wire_capacitance, 0.1, CFG)
    inv = gates.gate(t, "inv", size=max(1.0, f(rep.size)))
    lane = 256.0 / 4.0
    v0, h0 = 1200e-6, 800e-6
    want = sum(i * lane * (f(inv.width) * v0 / 2**i + f(inv.height) * h0 / 2**i) / 2 for i in (1, 2))
    want += lane * f(inv.height) * 3 * 200e-6
    p = htree.HTreeParams(CP, 300e-6, 200e-6, 256.0, 0.1)
    got = htree.htree(p, htree.HTreeConfig(num_rows=8, num_cols=8))
    assert f(got.area) == pytest.approx(want, rel=1e-9)
    # Folding divides it; the old rule counts repeaters only (much smaller); timing unchanged.
    folded = htree.htree(p._replace(folded_ratio=16.0), htree.HTreeConfig(num_rows=8, num_cols=8))
    assert f(folded.area) == pytest.approx(want / 4, rel=1e-9)
    reps = htree.htree(p, htree.HTreeConfig(num_rows=8, num_cols=8, area_rule="repeaters"))
    assert f(reps.area) < 0.5 * want
    assert f(reps.latency) == f(got.latency) and f(reps.energy) == f(got.energy)
    # A 2x2 tree has no stage in the loop: only the main bus, min(2 − 1, 1) = 1 unit.
    two = htree.htree(p, htree.HTreeConfig(num_rows=2, num_cols=2))
    assert f(two.area) == pytest.approx(lane * f(inv.height) * 200e-6, rel=1e-9)
    with pytest.raises(ValueError, match="area_rule"):
        htree.HTreeConfig(area_rule="layout")


def test_htree_and_bus_monotone_in_length():
    lat, en = [], []
    for unit in (50e-6, 100e-6, 200e-6):
        c = htree.htree(htree.HTreeParams(CP, unit, unit, 64.0, 0.1))
        lat.append(f(c.latency))
        en.append(f(c.energy))
    assert lat[0] < lat[1] < lat[2] and en[0] < en[1] < en[2]
    buses = [routing.bus(routing.BusParams(CP, n, 100e-6, 64.0, 0.1)) for n in (2.0, 4.0, 8.0)]
    for field in ("latency", "energy", "leakage", "area"):
        values = [f(getattr(b, field)) for b in buses]
        assert values[0] < values[1] < values[2], field
    # Energy ∝ bus width; latency independent of it.
    wide = routing.bus(routing.BusParams(CP, 4.0, 100e-6, 128.0, 0.1))
    assert f(wide.energy) == pytest.approx(2 * f(buses[1].energy), rel=1e-5)
    assert f(wide.latency) == pytest.approx(f(buses[1].latency), rel=1e-6)


# ---------------------------------------------------------------------------------------
# Misc.


@pytest.mark.parametrize("kind,bandwidth,energy", [("hbm2", 15.2e12, 3.9e-12), ("gddr5", 4.288e12, 14e-12)])
def test_dram_by_hand(kind, bandwidth, energy):
    bits = 2 * 32 * 32 * 8.0
    c = misc.dram(misc.DramParams(bits), misc.DramConfig(kind=kind))
    assert f(c.latency) == pytest.approx(bits / bandwidth, rel=1e-6)
    assert f(c.energy) == pytest.approx(bits * energy, rel=1e-6)
    assert f(c.area) == 0.0 and f(c.leakage) == 0.0


def test_buffer_sizing_vgg8_both_variants():
    spec = misc.buffer_sizing(misc.BufferSizingParams(), misc.BufferSizingConfig(version=dataclasses.replace(nv.CURRENT, wg_out_precision_unset=False)))
    assert f(spec.buffer_bits) == 1_048_576
    assert f(spec.overhead_bits) == 1_507_328  # 376,832 doubled twice
    assert f(spec.overhead_bits) / 2 ** f(spec.doublings) == 376_832
    assert f(spec.num_array_write_parallel) == 16
    assert f(spec.total_bits) == 2_555_904 and f(spec.num_cores) == 156
    shipped = misc.buffer_sizing(misc.BufferSizingParams())  # default: as released (defect 2)
    assert f(shipped.overhead_bits) / 2 ** f(shipped.doublings) == 131_072
    assert f(shipped.num_array_write_parallel) == 8 and f(shipped.doublings) == 3
    assert f(shipped.overhead_bits) == 1_048_576 and f(shipped.num_cores) == 128
    # No overhead (batch 1, outPrecision 0): NeuroSim loops forever; here no doubling.
    none = misc.buffer_sizing(misc.BufferSizingParams(batch_size=1.0))
    assert f(none.overhead_bits) == 0 and f(none.doublings) == 0
    jitted = jax.jit(misc.buffer_sizing)(misc.BufferSizingParams(), misc.BufferSizingConfig())
    assert f(jitted.num_cores) == 128


def test_relu_maxpool_buffer_by_hand(t32):
    relu = misc.relu(misc.ReluParams(CP, 8.0, 4.0, 0.5))
    dff = logic.dff(logic.DffParams(CP, 32.0, 0.5))
    for a, b in zip(relu, dff):
        assert f(a) == pytest.approx(f(b), rel=1e-6)
    two = misc.max_pool(misc.MaxPoolParams(CP, 8.0, 1.0, 2.0))
    four = misc.max_pool(misc.MaxPoolParams(CP, 8.0, 1.0, 4.0))  # 2×2: 3 comparators, 2 stages
    assert f(four.area) == pytest.approx(3 * f(two.area), rel=1e-5)
    assert f(four.energy) == pytest.approx(3 * f(two.energy), rel=1e-5)
    assert f(four.latency) == pytest.approx(2 * f(two.latency), rel=1e-5)
    assert f(misc.max_pool(misc.MaxPoolParams(CP, 16.0)).latency) > f(four.latency)
    # Register file: 5000 bits in 32-bit lines = 157 accesses, 2 cores in parallel, ×2 share.
    cfg = misc.BufferConfig(core_rows=32, core_cols=32)
    buf = misc.register_file_buffer(misc.BufferParams(CP, 5000.0, 4.0, 32.0, 64.0, 2.0, 0.5), cfg)
    one = misc.register_file_buffer(misc.BufferParams(CP, 32.0, 4.0, 32.0, 32.0, 1.0, 0.5), cfg)
    assert f(buf.latency) == pytest.approx(157 * f(one.latency) / 2 * 2, rel=1e-5)
    assert f(buf.energy) == pytest.approx(157 * f(one.energy), rel=1e-5)
    unit = logic.dff_unit(t32)
    assert f(buf.area) > 4 * 1024 * f(unit.area)


# ---------------------------------------------------------------------------------------
# Static configs.


@pytest.mark.parametrize(
    "make,field",
    [
        (lambda: ComponentConfig(roadmap="XX"), "roadmap"),
        (lambda: ComponentConfig(mode="soft"), "mode"),
        (lambda: ComponentConfig(temperature=0.0), "temperature"),
        (lambda: logic.AdderTreeConfig(max_stages=0), "max_stages"),
        (lambda: routing.DecoderConfig(num_outputs=1), "num_outputs"),
        (lambda: routing.DecoderConfig(parallel="yes"), "parallel"),
        (lambda: htree.HTreeConfig(num_rows=0), "num_rows"),
        (lambda: htree.HTreeConfig(num_cols=2.5), "num_cols"),
        (lambda: htree.HTreeConfig(version="current"), "version"),
        (lambda: dataclasses.replace(nv.CURRENT, htree_wire_sizing_quirk=1), "htree_wire_sizing_quirk"),
        (lambda: routing.BusConfig(num_candidates=0), "num_candidates"),
        (lambda: misc.DramConfig(kind="ddr4"), "kind"),
        (lambda: misc.BufferConfig(core_rows=1), "core_rows"),
        (lambda: dataclasses.replace(nv.CURRENT, wg_out_precision_unset="no"), "wg_out_precision_unset"),
    ],
)
def test_bad_static_config_raises_naming_field(make, field):
    with pytest.raises(ValueError, match=field):
        make()


def test_configs_are_hashable_and_static():
    a, b = htree.HTreeConfig(roadmap="hp"), htree.HTreeConfig(roadmap="HP")
    assert a == b and hash(a) == hash(b) and a.roadmap == "HP"
    assert jax.tree.leaves(a) == []
    assert isinstance(logic.adder(logic.AdderParams()), Cost)
    assert isinstance(misc.DRAM_TYPES, dict)


# ---------------------------------------------------------------------------------------
# NeuroSim layout and sizing rules (AdderTree/Adder/DFF/Buffer/RowDecoder.cpp, TileInitialize);
# reference values measured on NeuroSim V2.0's default run (32 nm LSTP).


def test_adder_tree_floor_halving_as_released():
    b = 17.0
    # AdderTree.cpp halves an int input count: 9 inputs → 4, 2, 1, 0 adders in ⌈log2 9⌉ = 4 stages.
    tree = logic.adder_tree(logic.AdderTreeParams(CP, 9.0, b, 144.0))
    stages = [logic.adder(logic.AdderParams(CP, b + k, 144.0 * n)) for k, n in enumerate([4.0, 2.0, 1.0, 0.0])]
    for field in ("area", "energy", "leakage"):
        assert f(getattr(tree, field)) == pytest.approx(sum(f(getattr(s, field)) for s in stages), rel=1e-6)
    assert f(tree.latency) == pytest.approx(sum(f(s.latency) for s in stages), rel=1e-6)  # 4 stages in series
    ceil_tree = logic.adder_tree(logic.AdderTreeParams(CP, 9.0, b, 144.0), logic.AdderTreeConfig(version=CEIL_HALVING))
    assert f(ceil_tree.area) > f(tree.area)
    # Powers of two: both rules agree.
    a = logic.adder_tree(logic.AdderTreeParams(CP, 8.0, b, 3.0))
    c = logic.adder_tree(logic.AdderTreeParams(CP, 8.0, b, 3.0), logic.AdderTreeConfig(version=CEIL_HALVING))
    assert f(a.area) == pytest.approx(f(c.area), rel=1e-12)


def test_row_layout_area_by_hand():
    # 10 cells of 2 × 3 along a side of 7: 3 per row, 4 rows → 7·4·3.
    assert f(logic.row_layout_area(2.0, 3.0, 10.0, 7.0)) == pytest.approx(84.0)
    # All fit in one row: side · depth.
    assert f(logic.row_layout_area(2.0, 3.0, 3.0, 100.0)) == pytest.approx(300.0)
    # The side is narrower than a cell: one per row (NeuroSim errors out; cimjax clamps).
    assert f(logic.row_layout_area(2.0, 3.0, 4.0, 1.0)) == pytest.approx(12.0)


def test_adder_tree_layout_by_hand(t32):
    nand = gates.gate(t32, "nand", 2)
    h, w = f(nand.height), f(nand.width)
    # PE adder tree: 64 trees of 4 × 15-bit inputs → 2·15 + 1·16 = 46 adder bits per tree, each
    # tree one 9·w_NAND-wide cell, all in one row across a sub-array's width.
    width = 1232.870e-6
    tree = logic.adder_tree(logic.AdderTreeParams(CP, 4.0, 15.0, 64.0, width))
    assert 64 * 9 * w < width
    assert f(tree.area) == pytest.approx(width * 46 * h, rel=1e-9)
    assert f(tree.area) == pytest.approx(50814e-12, rel=1e-3)  # NeuroSim: 5.081399e-8 m²
    # Tile accumulators and the global accumulator of the default run.
    nm = logic.adder_tree(logic.AdderTreeParams(CP, 9.0, 17.0, 144.0, 3 * 884.6912e-6))  # 4·17 + 2·18 + 19 = 123 bits
    assert f(nm.area) == pytest.approx(3 * 884.6912e-6 * 123 * h, rel=1e-9)
    assert f(nm.area) == pytest.approx(2.925001e-7, rel=1e-3)
    cm = logic.adder_tree(logic.AdderTreeParams(CP, 2.0, 17.0, 32.0, 2 * 884.6912e-6))
    assert f(cm.area) == pytest.approx(2.695123e-8, rel=1e-3)
    g = logic.adder_tree(logic.AdderTreeParams(CP, 8.0, 19.0, 192.0, 1.087110e-2 / 3))  # 4·19 + 2·20 + 21 = 137 bits
    assert f(g.area) == pytest.approx(4.448163e-7, rel=1e-3)
    # A narrow layout: 10 cells per row → ⌈64/10⌉ = 7 rows.
    narrow = 10.5 * 9 * w
    tree7 = logic.adder_tree(logic.AdderTreeParams(CP, 4.0, 15.0, 64.0, narrow))
    assert f(tree7.area) == pytest.approx(narrow * 7 * 46 * h, rel=1e-9)
    # Layout changes area only.
    plain = logic.adder_tree(logic.AdderTreeParams(CP, 4.0, 15.0, 64.0))
    for field in ("energy", "latency", "leakage"):
        assert f(getattr(tree, field)) == pytest.approx(f(getattr(plain, field)), rel=1e-12)
    assert f(plain.area) < f(tree.area)


def test_dff_layout_by_hand(t32):
    inv = gates.gate(t32, "inv")
    h, w = f(inv.height), 12 * f(inv.width)
    # PE input DFFs: 1024 down 4 sub-array heights (one column); output DFFs: 256 across 4 widths.
    height = 4 * 1307.887e-6
    col = logic.dff(logic.DffParams(CP, 1024.0, 1.0, height))
    assert f(col.area) == pytest.approx(height * w, rel=1e-9)
    assert f(col.area) == pytest.approx(1.526775e-8, rel=1e-3)  # NeuroSim bufferInput
    row = logic.dff(logic.DffParams(CP, 256.0, 1.0, 0.0, 4 * 1232.870e-6))
    assert f(row.area) == pytest.approx(4 * 1232.870e-6 * h, rel=1e-9)
    assert f(row.area) == pytest.approx(4.418608e-9, rel=1e-3)  # NeuroSim bufferOutput
    # Two columns when the height holds only 600 DFFs.
    two = logic.dff(logic.DffParams(CP, 1024.0, 1.0, 600.5 * h))
    assert f(two.area) == pytest.approx(600.5 * h * 2 * w, rel=1e-9)
    plain = logic.dff(logic.DffParams(CP, 1024.0))
    assert f(plain.area) == pytest.approx(1024 * h * w, rel=1e-9)
    for field in ("energy", "latency", "leakage"):
        assert f(getattr(col, field)) == pytest.approx(f(getattr(plain, field)), rel=1e-12)


@pytest.mark.parametrize("lines,width,neurosim", [(128, 128, 2.14277e-9), (32, 32, 0.96953e-9), (16, 34, 0.87214e-9)])
def test_buffer_line_latency_matches_neurosim(lines, width, neurosim):
    """Word-line decode (REGULAR_ROW, 3× two-INV driver, wire load 12·w_INV·IF·0.2 fF/µm) + ½ clock."""
    cfg = misc.BufferConfig(core_rows=lines, core_cols=32)
    one = misc.register_file_buffer(misc.BufferParams(CP, float(width), 1.0, float(width), float(width)), cfg)
    assert f(one.latency) == pytest.approx(neurosim, rel=0.015)


def test_wordline_decoder_latency_structure(t32):
    small, big = (misc.wordline_decoder_latency(t32, 32, c) for c in (1e-15, 100e-15))
    assert f(big) > f(small) > 0
    # More lines: a heavier predecode load.
    assert f(misc.wordline_decoder_latency(t32, 128, 1e-15)) > f(small)
    # 2 and 4 lines (no NOR stage; no NAND stage) are well defined and shorter.
    two, four = (f(misc.wordline_decoder_latency(t32, n, 1e-15)) for n in (2, 4))
    assert 0 < two and 0 < four < f(small)


def test_partial_buffer_core_by_hand(t32):
    # The conventional tile's output buffer: 544 bits, 34-bit lines, 16-line decoder.
    cfg = misc.BufferConfig(core_rows=16, core_cols=32)
    buf = misc.register_file_buffer(misc.BufferParams(CP, 544.0, 1.0, 34.0, 34.0, 1.0, 1.0, 544.0), cfg)
    dec = routing.decoder(routing.DecoderParams(CP, 34 * f(gates.gate(t32, "inv").c_in)), routing.DecoderConfig(num_outputs=16))
    unit = logic.dff_unit(t32)
    assert f(buf.area) == pytest.approx(544 * f(unit.area) + f(dec.area), rel=1e-9)
    assert f(buf.area) == pytest.approx(1.453693e-9, rel=0.03)  # NeuroSim outputBufferCM
    assert f(buf.leakage) == pytest.approx(544 * f(unit.leakage) + f(dec.leakage), rel=1e-9)
    # Without core_bits the core is the config's 16 × 32 = 512 bits.
    full = misc.register_file_buffer(misc.BufferParams(CP, 544.0, 1.0, 34.0, 34.0), cfg)
    assert f(full.area) == pytest.approx(512 * f(unit.area) + f(dec.area), rel=1e-9)


def test_tile_buffer_plan_default_run():
    """TileInitialize at the V2.0 defaults: CM 544-bit/34-wide output core, shared CM core counts."""
    from cimjax.hw.tile_geometry import tile_buffer_plan
    from cimjax.hw.tile_types import RollupSizes

    sizes = RollupSizes(*(jnp.asarray(x) for x in (128.0, 128.0, 8.0, 6.0, 8.0, 1024.0, 32.0, 0.1)))
    # PEs of 4 × 4 sub-arrays (512 cells): accumulator bits 6 + 8 + 1 + 2 = 17.
    cm = tile_buffer_plan(CFG, sizes, 2.0, 512.0, 2.0, 512.0)
    nm = tile_buffer_plan(CFG, sizes, 9.0, 512.0, 2.0, 512.0)
    assert (f(cm.in_cores), f(cm.out_cores), f(nm.in_cores), f(nm.out_cores)) == (2.0, 1.0, 2.0, 1.0)
    assert not bool(cm.in_partial) and bool(cm.out_partial)
    assert (f(cm.out_core_bits), f(cm.out_width)) == (544.0, 34.0)  # 17-bit sums of 2 PEs, 16 lines
    assert not bool(nm.out_partial) and (f(nm.out_core_bits), f(nm.out_width)) == (1024.0, 32.0)
    assert (f(cm.in_core_bits), f(cm.in_width)) == (1024.0, 32.0)
