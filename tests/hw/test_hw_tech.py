"""Technology tables and transistor formulas (docs/model.md §5.3, §5.9; cimjax.hw.tech)."""


import jax
import jax.numpy as jnp
import numpy as np
import pytest

from helpers import x64
from cimjax.hw import tech, wiring

NODES = [7.0, 10.0, 14.0, 22.0, 32.0, 45.0, 65.0, 90.0, 130.0]
GRID = np.linspace(7.0, 130.0, 247)




def central_difference(f, x, rel_step=1e-6):
    h = rel_step * abs(x) if x != 0 else rel_step
    return (float(f(x + h)) - float(f(x - h))) / (2 * h)


# ---------------------------------------------------------------------------------------
# Golden values: rows of the docs/model.md §5.9 table, in SI units (I_off: NeuroSim's
# Technology.cpp currentOffNmos at 300 and 400 K, unrounded).

GOLDEN = {
    # (node, roadmap): vdd, vth, l_phys, i_on_n, i_on_p, i_off_n (300 K), i_off_n (400 K),
    # c_ideal, c_fringe, k_eff
    (32.0, "LSTP"): (0.9, 0.442, 34e-9, 600, 400, 100.1e-6, 1774e-6, 0.838e-9, 0.686e-9, 1.77),
    (130.0, "HP"): (1.3, 0.128, 130e-9, 930, 430, 100e-3, 413.8e-3, 0.606e-9, 0.612e-9, 1.54),
    (90.0, "LSTP"): (1.2, 0.501, 90e-9, 346, 200, 100e-6, 1141e-6, 0.154e-9, 0.960e-9, 1.77),
    (22.0, "HP"): (0.85, 0.209, 20e-9, 1500, 1320, 100.2e-3, 446.6e-3, 0.329e-9, 0.453e-9, 1.54),
    (14.0, "HP"): (0.8, 0.173, 18e-9, 1686, 1550, 100.9152e-3, 2300.31e-3, 1.257e-9, 0.0, 1.51),
    (7.0, "LSTP"): (0.7, 0.403, 11e-9, 822, 737, 100e-6, 12802.5e-6, 0.849e-9, 0.0, 1.73),
}
FIELDS = (
    "vdd", "vth", "l_phys", "i_on_n", "i_on_p", "i_off_n", "i_off_n_400k", "c_ideal", "c_fringe", "k_eff"
)


@pytest.mark.parametrize("node,roadmap", list(GOLDEN))
def test_table_rows_at_tabulated_nodes(node, roadmap):
    t = tech.technology(node, roadmap)
    for name, want in zip(FIELDS, GOLDEN[(node, roadmap)]):
        np.testing.assert_allclose(float(getattr(t, name)), want, rtol=1e-6, err_msg=name)
    assert float(t.node) == pytest.approx(node * 1e-9)
    finfet = node < 22
    assert bool(t.finfet) == finfet
    assert float(t.c_overlap) == pytest.approx(0.0 if finfet else 0.2 * float(t.c_ideal))


def test_fin_geometry():
    t = tech.technology(jnp.array([7.0, 10.0, 14.0, 18.0, 22.0]), "HP")
    np.testing.assert_allclose(t.fin_pitch, [22e-9, 28e-9, 32e-9, 32e-9, 0.0], rtol=1e-6)
    np.testing.assert_allclose(t.fin_width, [7e-9, 9e-9, 10e-9, 10e-9, 0.0], rtol=1e-6)
    np.testing.assert_allclose(t.fin_height, [18e-9, 21e-9, 23e-9, 23e-9, 0.0], rtol=1e-6)


def test_transistor_formulas_golden():
    t = tech.technology(32.0, "LSTP")
    # C_g = (1.2·0.838 + 0.686) fF/µm · 1 µm.
    assert float(tech.gate_capacitance(t, 1e-6)) == pytest.approx(1.6916e-15, rel=1e-5)
    # R_on = 1.77 · 0.9 V / (600 A/m · 1 µm); PMOS 400 A/m.
    assert float(tech.on_resistance(t, 1e-6)) == pytest.approx(2655.0, rel=1e-5)
    assert float(tech.on_resistance(t, 1e-6, "p")) == pytest.approx(3982.5, rel=1e-5)
    assert float(tech.leakage_current(t, 1e-6)) == pytest.approx(100.1e-12, rel=1e-5)
    assert float(tech.leakage_power(t, 1e-6)) == pytest.approx(90.09e-12, rel=1e-5)
    # FinFET 14 nm HP: W = 4F → ⌈4F/2F⌉ = 2 fins of 2·23 + 10 nm; W = 6F → 3 fins; 5F → 3 fins.
    f = tech.technology(14.0, "HP")
    w_eff = tech.effective_width(f, jnp.array([4.0, 5.0, 6.0]) * 14e-9)
    np.testing.assert_allclose(w_eff, [112e-9, 168e-9, 168e-9])
    assert float(tech.gate_capacitance(f, 4 * 14e-9)) == pytest.approx(1.257e-9 * 112e-9, rel=1e-5)
    assert float(tech.on_resistance(f, 4 * 14e-9)) == pytest.approx(1.51 * 0.8 / (1686 * 112e-9), rel=1e-5)
    # Horowitz: a step input gives τ·ln 2; a ramp adds 2αβ(1 − v_s) = 0.5/(τ·ramp).
    d, ramp = tech.horowitz(1e-12, jnp.inf)
    assert float(d) == pytest.approx(np.log(2) * 1e-12, rel=1e-6)
    assert float(ramp) == pytest.approx(0.5 / float(d), rel=1e-6)
    d2, _ = tech.horowitz(1e-12, 1e11)
    assert float(d2) == pytest.approx(1e-12 * np.sqrt(np.log(0.5) ** 2 + 0.5 / (1e-12 * 1e11)), rel=1e-6)
    # Junction coefficients at V_dd = 0.9 V: base 2.
    cj, csw, cge = tech.junction_capacitance_coefficients(0.9)
    want = [1e-3 / 2**0.5, 2.5e-10 / 2**0.33, 0.5e-10 / 2**0.33]
    np.testing.assert_allclose([cj, csw, cge], want, rtol=1e-6)


def test_wire_table_golden():
    # ρ/(w²·AR): about 13.3 Ω/µm at 40 nm (docs/model.md §5.3).
    assert float(wiring.wire_resistance_per_length(40.0)) == pytest.approx(4.03e-8 / (40e-9**2 * 1.9), rel=1e-6)
    assert float(wiring.wire_resistance_per_length(40.0)) * 1e-6 == pytest.approx(13.26, abs=0.01)
    ar, rho = wiring.wire_table(jnp.array([14.0, 22.0, 32.0, 40.0, 50.0, 100.0, 200.0]))
    np.testing.assert_allclose(ar, [2.10, 2.00, 1.90, 1.90, 2.34, 2.30, 2.10], rtol=1e-6)
    want = [7.43e-8, 5.41e-8, 4.51e-8, 4.03e-8, 3.91e-8, 2.73e-8, 2.42e-8]
    np.testing.assert_allclose(rho, want, rtol=1e-6)
    # V2.1 temperature term ρ·(1 + 0.00451·(T − 300)).
    r300 = float(wiring.wire_resistance_per_length(40.0))
    assert float(wiring.wire_resistance_per_length(40.0, 301.0)) == pytest.approx(r300 * 1.00451, rel=1e-6)
    assert float(wiring.wire_resistance_per_length(40.0, 400.0)) == pytest.approx(r300 * 1.451, rel=1e-6)
    # Per cell: unit R × wire width × cell size in F.
    assert float(wiring.wire_resistance_per_cell(40.0, 4.0)) == pytest.approx(r300 * 40e-9 * 4, rel=1e-6)
    # Node → wire width pairing (V2.1 comments).
    widths = wiring.wire_width_for_node(jnp.array(NODES))
    np.testing.assert_array_equal(widths, [14, 14, 22, 32, 40, 50, 100, 200, 200])


# ---------------------------------------------------------------------------------------
# Physics: monotonic where it should be


def test_monotonic_in_node():
    hp, lstp = tech.technology(GRID, "HP"), tech.technology(GRID, "LSTP")
    for t in (hp, lstp):
        assert np.all(np.diff(np.asarray(t.vdd)) > 0)  # older nodes run at higher V_dd
        assert np.all(np.diff(np.asarray(t.l_phys)) > 0)
        assert np.all(np.asarray(t.i_off_n_400k) > np.asarray(t.i_off_n))  # leakage rises with T
    # Drive current per width falls with the node (HP everywhere; LSTP on planar nodes).
    assert np.all(np.diff(np.asarray(hp.i_on_n)) < 0) and np.all(np.diff(np.asarray(hp.i_on_p)) < 0)
    planar = GRID >= 22
    assert np.all(np.diff(np.asarray(lstp.i_on_n)[planar]) < 0)
    assert np.all(np.diff(np.asarray(lstp.i_on_p)[planar]) < 0)
    # LSTP trades drive for leakage: less I_on and I_off than HP at every node.
    assert np.all(np.asarray(lstp.i_on_n) < np.asarray(hp.i_on_n))
    assert np.all(np.asarray(lstp.i_off_n) < np.asarray(hp.i_off_n))
    # Wider wires for older nodes; narrower wires have more resistance per length.
    assert np.all(np.diff(np.asarray(wiring.wire_width_for_node(GRID))) >= 0)
    widths = np.linspace(14.0, 200.0, 187)
    assert np.all(np.diff(np.asarray(wiring.wire_resistance_per_length(widths))) < 0)
    # Junction capacitances shrink with a larger reverse bias (V_dd).
    coeffs = tech.junction_capacitance_coefficients(jnp.linspace(0.5, 1.5, 11))
    assert all(np.all(np.diff(np.asarray(c)) < 0) for c in coeffs)


# ---------------------------------------------------------------------------------------
# Transforms: jit, vmap, grad


def _summary(node):
    """A few outputs that touch every formula, as one array (for jit/vmap/grad checks)."""
    t = tech.technology(node, "LSTP")
    width = 4.0 * t.node
    delay, _ = tech.horowitz(tech.on_resistance(t, width) * tech.gate_capacitance(t, width), 1e10)
    return jnp.stack(
        [
            t.vdd,
            tech.gate_capacitance(t, width) * 1e15,
            tech.on_resistance(t, width) * 1e-3,
            tech.leakage_power(t, width) * 1e12,
            delay * 1e12,
            wiring.wire_resistance_per_length(wiring.wire_width_for_node(node)) * 1e-6,
        ]
    )


def test_jit_equals_eager_and_vmap_equals_loop():
    nodes = jnp.array([7.0, 12.0, 14.0, 28.0, 32.0, 40.0, 90.0, 130.0])
    batched = jax.jit(jax.vmap(_summary))(nodes)
    for i, node in enumerate(np.asarray(nodes)):
        eager = _summary(float(node))
        np.testing.assert_allclose(batched[i], eager, rtol=1e-6)
        np.testing.assert_allclose(jax.jit(_summary)(node), eager, rtol=1e-6)
    t_batched = jax.vmap(lambda n: tech.technology(n, "HP"))(nodes)
    eager = tech.technology(28.0, "HP")
    jax.tree.map(lambda b, e: np.testing.assert_allclose(b[3], e, rtol=1e-6), t_batched, eager)


def test_grad_matches_finite_differences_float64():
    with x64():
        # Off the table's knots (the interpolation has kinks there).
        summary, jacobian = jax.jit(_summary), jax.jit(jax.jacfwd(_summary))
        for node in (12.0, 28.0, 40.0, 55.0, 100.0):
            g = jacobian(jnp.float64(node))
            for j in range(6):
                fd = central_difference(lambda n, j=j: summary(jnp.float64(n))[j], node)
                msg = f"node {node}, output {j}"
                np.testing.assert_allclose(float(g[j]), fd, rtol=1e-4, atol=1e-9, err_msg=msg)
                assert np.isfinite(float(g[j]))
        for width in (18.0, 36.0, 45.0, 75.0, 150.0):
            for temperature in (300.0, 350.0):
                f = lambda w, temp=temperature: wiring.wire_resistance_per_length(w, temp)  # noqa: E731
                g = jax.grad(f)(jnp.float64(width))
                np.testing.assert_allclose(float(g), central_difference(f, width), rtol=1e-4)
                gt = jax.grad(lambda s, w=width: f(w, s))(jnp.float64(temperature))
                fd = central_difference(lambda s, w=width: f(w, s), temperature)
                np.testing.assert_allclose(float(gt), fd, rtol=1e-4)
        # Gate capacitance of a planar device is linear in W; Horowitz in τ and the ramp.
        t = tech.technology(jnp.float64(45.0), "HP")
        g = jax.grad(lambda w: tech.gate_capacitance(t, w))(jnp.float64(1e-6))
        assert float(g) == pytest.approx(1.2 * 0.409e-9 + 0.496e-9, rel=1e-9)
        for argnum, x in ((0, 2e-12), (1, 3e10)):
            def fn(v, argnum=argnum):
                args = [jnp.float64(2e-12), jnp.float64(3e10)]
                args[argnum] = v
                return tech.horowitz(*args)[0]

            g = jax.grad(fn)(jnp.float64(x))
            np.testing.assert_allclose(float(g), central_difference(fn, x), rtol=1e-4)
    assert not jax.config.jax_enable_x64


def test_relaxed_fin_count_has_a_gradient():
    f = tech.technology(14.0, "HP")
    g_exact = jax.grad(lambda w: tech.effective_width(f, w))(50e-9)
    g_relaxed = jax.grad(lambda w: tech.effective_width(f, w, "relaxed"))(50e-9)
    assert float(g_exact) == 0.0 and np.isfinite(float(g_relaxed)) and float(g_relaxed) > 0


# ---------------------------------------------------------------------------------------
# Bad inputs


def test_bad_inputs_raise():
    for node in (5.0, 130.5, float("nan"), [32.0, 200.0]):
        with pytest.raises(ValueError, match="node_nm"):
            tech.technology(node)
    with pytest.raises(ValueError, match="roadmap"):
        tech.technology(32.0, "ULP")
    with pytest.raises(ValueError, match="node_nm"):
        wiring.wire_width_for_node(140.0)
    for width in (10.0, 250.0):
        with pytest.raises(ValueError, match="wire_width_nm"):
            wiring.wire_resistance_per_length(width)
    with pytest.raises(ValueError, match="channel"):
        tech.on_resistance(tech.technology(32.0), 1e-6, "x")
    assert float(tech.technology(32.0, "lstp").vdd) == pytest.approx(0.9)  # case-insensitive


def test_traced_out_of_range_is_clipped():
    vdd = jax.jit(lambda n: tech.technology(n, "HP").vdd)
    assert float(vdd(200.0)) == pytest.approx(1.3) and float(vdd(1.0)) == pytest.approx(0.7)
    r = jax.jit(wiring.wire_resistance_per_length)
    assert float(r(500.0)) == pytest.approx(float(wiring.wire_resistance_per_length(200.0)), rel=1e-6)


# ---------------------------------------------------------------------------------------
# Off-currents of the temperature (NeuroSim Technology.cpp currentOffNmos/Pmos, 300-400 K)


def test_off_current_tables_of_temperature():
    """NeuroSim's off-current tables (V2.0 = V2.1): the 10 K columns exactly, linear per kelvin
    between (Technology.cpp fills index i as a + (b − a)·(i % 10)/10), NMOS and PMOS apart."""
    t = tech.technology(14.0, "LSTP", temperature_k=350.0)
    assert float(t.i_off_n) == pytest.approx(1542.5e-6, rel=1e-5)
    assert float(t.i_off_p) == pytest.approx(2219.2e-6, rel=1e-5)
    t300 = tech.technology(14.0, "LSTP")
    assert (float(t300.i_off_n), float(t300.i_off_p)) == pytest.approx((99.7866e-6, 102.3333e-6), rel=1e-5)
    # 301 K (V2.0's Param.cpp temp): index 1 = 0.9·[0] + 0.1·[10]; 32 nm LSTP NMOS 100.1 → 143.6 pA/µm.
    assert float(tech.technology(32.0, "LSTP", temperature_k=301.0).i_off_n) == pytest.approx(
        (0.9 * 100.1 + 0.1 * 143.6) * 1e-6, rel=1e-5)
    assert float(tech.technology(7.0, "HP", temperature_k=355.0).i_off_p) == pytest.approx(
        (800.1479 + 1144.3) / 2 * 1e-3, rel=1e-5)
    # The table's own oddity, kept: 10 nm HP PMOS at 300 K is 1.6268 nA/µm.
    assert float(tech.technology(10.0, "HP").i_off_p) == pytest.approx(1.6268e-3, rel=1e-5)
    # The 400 K column is i_off_n_400k; leakage rises with T at every node, both roadmaps.
    for roadmap in tech.ROADMAPS:
        hot = tech.technology(GRID, roadmap, temperature_k=400.0)
        np.testing.assert_allclose(hot.i_off_n, tech.technology(GRID, roadmap).i_off_n_400k, rtol=1e-5)
        temps = np.arange(300.0, 401.0, 5.0)
        for node in (7.0, 14.0, 32.0, 130.0):
            i = np.asarray(tech.technology(jnp.full(temps.shape, node), roadmap, temperature_k=temps).i_off_n)
            assert np.all(np.diff(i) > 0)
    with pytest.raises(ValueError, match="temperature_k"):
        tech.technology(32.0, temperature_k=299.0)
    with pytest.raises(ValueError, match="temperature_k"):
        tech.technology(32.0, temperature_k=401.0)


def test_leakage_uses_each_channels_off_current():
    """formula.cpp CalculateGateLeakage: INV (W_n·I_offN + W_p·I_offP)/2, NAND the PMOS table,
    NOR the NMOS table."""
    from cimjax.hw.components import gates

    t = tech.technology(14.0, "LSTP", temperature_k=350.0)
    w = 2 * 14e-9  # one fin
    assert float(tech.leakage_current(t, w, channel="p")) == pytest.approx(
        float(tech.leakage_current(t, w)) * 2219.2 / 1542.5, rel=1e-5)
    with pytest.raises(ValueError, match="channel"):
        tech.leakage_current(t, w, channel="x")
    inv = gates.gate(t, "inv")
    want = 0.5 * (tech.leakage_current(t, inv.w_n) + tech.leakage_current(t, inv.w_p, channel="p")) * t.vdd
    assert float(inv.leakage) == pytest.approx(float(want), rel=1e-5)
    nand = gates.gate(t, "nand", 2)
    assert float(nand.leakage) == pytest.approx(
        float(gates.NAND_LEAKAGE_FACTOR[2] * 2 * tech.leakage_current(t, nand.w_p, channel="p") * t.vdd), rel=1e-5)


def test_off_current_gradient_in_temperature():
    """Differentiable in T (the DSE's temperature_k): the slope of the 10 K segment."""
    g = jax.grad(lambda x: tech.technology(32.0, "LSTP", temperature_k=x).i_off_n)(305.0)
    assert float(g) == pytest.approx((143.6 - 100.1) * 1e-6 / 10.0, rel=1e-5)
