"""The sub-array with its periphery (cimjax.hw.components.subarray).

Transform checklist on one float64 function of the continuous inputs (relaxed mode), the
golden per-sub-array areas of the V2.0 default run, hand values, bucket sums, monotonicity,
quirk flags and config/param errors.
"""

import dataclasses
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import helpers
from cimjax import host_eval
from cimjax.hw.components import subarray as SA, subarray_envm, subarray_geometry
from cimjax.hw.components.params import CircuitParams
from cimjax.hw import neurosim_version as nv

AG_FIXED = dataclasses.replace(nv.CURRENT, ag_column_resistance_forward=False, ag_mux_energy_as_latency=False)

F = 32e-9
GOLDEN_SUBARRAYS = 10 * 64 + 5 * 144  # CM tiles × 64 + NM tiles × 144 sub-arrays = 1360
GOLDEN_ADC_UM2 = 5.4022e7
GOLDEN_ARRAY_UM2 = 3.65072e5
GOLDEN_ACCUM_UM2 = 1.05098e7
GOLDEN_OTHER_UM2 = 9.57679e6
ACT, LEVEL = 0.1717, 0.5


@pytest.fixture(autouse=True)
def x64():
    with helpers.x64():
        yield


PARAMS = SA.SubArrayParams()
X0 = np.array([40.0, 1.0, 100e3, 0.5, 0.3, 0.4, 100.0, 0.3])
NAMES = ("node", "vdd_scale", "r_on", "read_voltage", "row_activity", "weight_level", "write_pulses",
         "col_write_activity")


def with_x(params, x):
    return params._replace(circuit=params.circuit._replace(node_nm=x[0], vdd_scale=x[1]), r_on=x[2],
                           read_voltage=x[3])


def read_write(config, x):
    """Read (FW, AG) and write outputs as one vector of the 8 continuous inputs ``NAMES``."""
    p = with_x(jax.tree.map(lambda v: jnp.asarray(v, jnp.float64), PARAMS), x)
    read = SA.subarray_read(p, config, row_activity=x[4], weight_level=x[5])
    write = SA.subarray_write(p, config, write_pulses=x[6], cell_pulse_energy_sum=x[6] * 2e-6,
                              row_write_activity=0.4, col_write_activity=x[7])
    return jnp.stack([read.fw.latency, read.fw.energy, read.ag.latency, read.ag.energy,
                      write.latency, write.energy])


def area_fn(config, x):
    p = with_x(jax.tree.map(lambda v: jnp.asarray(v, jnp.float64), PARAMS), x)
    a = SA.subarray_area(p, config)
    return jnp.stack([a.total, a.adc, a.accumulation, a.other, a.leakage, a.height, a.width])


def checklist(fn, paths, full_jacobian):
    """vmap == single points (jit == eager with ``full_jacobian``); reverse-mode gradient finite
    and == central FD (1e-4 rel).

    ``full_jacobian``: every output separately (``jax.jit(jax.jacrev)``); otherwise one VJP with
    the cotangent ``1/|g(x0)|`` (each output weighted alike), host-evaluated, compared with the
    FD of that sum.
    """
    config = SA.SubArrayConfig(mode="relaxed")
    x0 = jnp.asarray(X0, jnp.float64)

    def g(z):
        x = x0
        for i, k in enumerate(paths):
            x = x.at[k].set(z[i])
        return fn(config, x)

    z0 = x0[jnp.asarray(paths)]
    n = len(paths)
    h = 1e-6 * np.abs(np.asarray(z0))
    points = jnp.concatenate([z0 + jnp.diag(h), z0 - jnp.diag(h), z0[None]])
    if full_jacobian:
        values = np.asarray(jax.jit(jax.vmap(g))(points))
        np.testing.assert_allclose(values[-1], np.asarray(g(points[-1])), rtol=1e-11)  # jit(vmap) == eager
        jac = np.asarray(jax.jit(jax.jacrev(g))(z0)).T
    else:
        # (the jit == eager check of the same code is in test_no_active_rows_and_variants)
        values = np.asarray(jax.jit(jax.vmap(g))(points))
        weights = jnp.asarray(1.0 / np.abs(values[-1]))
        # The VJP's program is evaluated on the host (cimjax.host_eval: JAX's own reverse-mode
        # jaxpr, run with NumPy): XLA took ~280 CPU-s to compile it on the 2-core VM. Its XLA
        # compile is checked by test_full_checklist_slow (jit(jacrev) of the same function).
        jac = np.asarray(host_eval.call(lambda z, ct: jax.vjp(g, z)[1](ct)[0], z0, weights))[:, None]
    value = values[-1]
    assert np.all(np.isfinite(value)) and np.all(value > 0), value
    fd = (values[:n] - values[n : 2 * n]) / (2 * h[:, None])  # (P, outputs)
    if not full_jacobian:
        fd = fd @ np.asarray(weights)[:, None]
        value = np.array([float(len(weights))])
    assert np.all(np.isfinite(jac))
    floor = 1e-6 * np.abs(value)[None, :] / np.abs(np.asarray(z0))[:, None]
    bad = np.abs(jac - fd) > 1e-4 * np.maximum(np.abs(fd), floor)
    assert not np.any(bad), [(NAMES[paths[i]], j, jac[i, j], fd[i, j]) for i, j in zip(*np.nonzero(bad))]


def test_read_write_checklist():
    """Default run: jit(vmap) of the read and write outputs, and their reverse-mode gradient
    (weighted, host-evaluated) vs central differences in 6 inputs."""
    checklist(read_write, [0, 2, 3, 4, 5, 6], full_jacobian=False)


@pytest.mark.slow
def test_quirk_flags_slow():
    """The AG quirk flags change the transposed read only (a separate compile per config)."""
    p = SA.SubArrayParams()
    fixed = SA.SubArrayConfig(version=AG_FIXED)
    rf = SA.subarray_read(p, fixed, row_activity=ACT, weight_level=LEVEL)
    rq = SA.subarray_read(p, SA.SubArrayConfig(), row_activity=ACT, weight_level=LEVEL)
    assert float(rf.fw.energy) == pytest.approx(float(rq.fw.energy))
    assert float(rf.ag.adc_energy) != pytest.approx(float(rq.ag.adc_energy))
    w0 = SA.subarray_write(p, SA.SubArrayConfig(version=dataclasses.replace(nv.CURRENT, sl_write_pulses_unset=False)), write_pulses=128.0,
                           cell_pulse_energy_sum=1e-3, row_write_activity=0.5, col_write_activity=0.2)
    w1 = SA.subarray_write(p, write_pulses=128.0, cell_pulse_energy_sum=1e-3, row_write_activity=0.5,
                           col_write_activity=0.2)
    assert float(w0.energy) > float(w1.energy)


@pytest.mark.slow
def test_full_checklist_slow():
    """Every output separately, all 8 inputs (read/write) and 3 (area); minutes of XLA compile."""
    checklist(read_write, list(range(8)), full_jacobian=True)
    checklist(area_fn, [0, 1, 2], full_jacobian=True)


def test_golden_area_per_subarray():
    """Per-sub-array areas vs the golden chip breakdown of the V2.0 default run."""
    a = SA.subarray_area(SA.SubArrayParams())
    adc = float(a.adc) * 1e12
    ratio = adc / (GOLDEN_ADC_UM2 / GOLDEN_SUBARRAYS)
    print(f"ADC {adc:.1f} µm²/sub-array, ratio to golden {ratio:.6f}; total {float(a.total) * 1e12:.1f} µm²")
    assert ratio == pytest.approx(1.0, abs=1e-4)
    # CIM arrays: 128·4F × 128·4F per sub-array, exact.
    assert float(a.array) * 1e12 * GOLDEN_SUBARRAYS == pytest.approx(GOLDEN_ARRAY_UM2, rel=1e-5)
    # Accumulation and other also hold PE/tile adders and buffers: bounds only.
    assert 0 < float(a.accumulation) * 1e12 * GOLDEN_SUBARRAYS < GOLDEN_ACCUM_UM2
    assert 0 < float(a.other) * 1e12 * GOLDEN_SUBARRAYS < GOLDEN_OTHER_UM2
    assert float(a.total) == pytest.approx(float(a.adc + a.accumulation + a.array + a.other))
    assert float(a.height * a.width) > float(a.total) and float(a.leakage) > 0


def test_read_buckets_and_hand_values():
    p, c = SA.SubArrayParams(), SA.SubArrayConfig()
    r = SA.subarray_read(p, c, row_activity=ACT, weight_level=LEVEL)
    for rc in r:
        assert float(rc.latency) == pytest.approx(float(rc.adc_latency + rc.accumulation_latency
                                                        + rc.array_latency + rc.other_latency), rel=1e-12)
        assert float(rc.energy) == pytest.approx(float(rc.adc_energy + rc.accumulation_energy
                                                       + rc.array_energy + rc.other_energy), rel=1e-12)
    # Column delay 0.2·C_col·R_avg/(rows/2)·8/numReadPulse, R_avg = 25 kΩ + 550 kΩ.
    g = subarray_geometry.geometry(p, c)
    expected = 0.2 * float(g.cap_col) * 575e3 / 64 * 8 / 8
    assert float(r.fw.array_latency) == pytest.approx(expected, rel=1e-12)
    # MLSA clamps at 1 ns here: 8 columns per ADC → 8 ns of the ADC latency.
    assert 8e-9 < float(r.fw.adc_latency) < 20e-9
    # AG reuses the forward column resistance (quirk) → same MLSA latency.
    assert float(r.ag.adc_latency) == pytest.approx(float(r.fw.adc_latency))
    # Access-transistor width R_on,n(1F)·0.2/25 kΩ in F (≈ 0.66F at 32 nm LSTP).
    assert 0.5 < float(g.access_width_f) < 0.8


def test_write_by_hand():
    p, c = SA.SubArrayParams(), SA.SubArrayConfig()
    g = subarray_geometry.geometry(p, c)
    s = 1e-3
    w = SA.subarray_write(p, c, write_pulses=128.0, cell_pulse_energy_sum=s, row_write_activity=0.5,
                          col_write_activity=0.2)
    vw2 = 32.0
    lines = 128 * (float(g.cap_row2) * 0.81 + (float(g.cap_col) + float(g.cap_row1)) * vw2 * 128 / 2)
    cells = vw2 * 50e-9 * s
    e = float(w.energy)
    assert e > cells + lines and e < 1.2 * (cells + lines)
    assert 128 * 50e-9 < float(w.latency) < 128 * 50e-9 + 2e-6
    # Column activity cancels in the line energy at set_fraction ½ (only switch terms change).
    w2 = SA.subarray_write(p, c, write_pulses=128.0, cell_pulse_energy_sum=s, row_write_activity=0.5,
                           col_write_activity=0.6)
    assert float(w2.energy) == pytest.approx(e, rel=0.05)
    assert float(w.area) == 0.0 and float(w.leakage) == 0.0


def test_write_narrow_layer_by_hand():
    """A sub-array whose layer holds R × C < 128 × 128 cells (a 1024 × 10 FC layer: C = 10):
    GetWriteUpdateEstimation (ProcessingUnit.cpp) runs on those cells, so its selected columns are
    ``a_col·C`` and its unselected lines ``C − m`` (and the FeFET gate term ``a_row·R`` rows); the
    switch matrices (SubArray.cpp, ``numCol·activityColWrite``) keep the full 128."""
    p, c = SA.SubArrayParams(), SA.SubArrayConfig()
    g = subarray_geometry.geometry(p, c)
    vw2, pulses = 32.0, 128.0
    kw = dict(write_pulses=pulses, cell_pulse_energy_sum=1e-3, row_write_activity=0.5, col_write_activity=0.2)
    full = float(SA.subarray_write(p, c, **kw).energy)
    assert float(SA.subarray_write(p, c, **kw, stat_rows=128.0, stat_cols=128.0).energy) == full
    narrow = float(SA.subarray_write(p, c, **kw, stat_cols=10.0).energy)
    # 1T1R at set_fraction ½: P/2·V_w²·(C_col + C_row1)·C for the SET and RESET column lines together.
    line = pulses / 2 * vw2 * (float(g.cap_col) + float(g.cap_row1))
    assert full - narrow == pytest.approx(line * (128 - 10), rel=1e-5)
    # FeFET: P·(C_col + C_FeFET·a_row·R)·V_w²·a_col·C (the pulses' SET and RESET phases together).
    fe = SA.SubArrayConfig(cell="fefet")
    e = {(r, cc): float(SA.subarray_write(p, fe, **kw, stat_rows=r, stat_cols=cc).energy)
         for r, cc in ((128.0, 128.0), (128.0, 10.0), (27.0, 10.0))}
    gate = float(p.gate_cap_fefet)
    assert e[128.0, 128.0] - e[128.0, 10.0] == pytest.approx(
        pulses * (float(g.cap_col) + gate * 0.5 * 128) * vw2 * 0.2 * (128 - 10), rel=1e-5)
    assert e[128.0, 10.0] - e[27.0, 10.0] == pytest.approx(pulses * gate * 0.5 * (128 - 27) * vw2 * 0.2 * 10, rel=1e-5)


def test_monotonicity():
    c = SA.SubArrayConfig()
    base = SA.SubArrayParams()
    lo = SA.subarray_read(base, c, row_activity=0.1, weight_level=LEVEL)
    hi = SA.subarray_read(base, c, row_activity=0.4, weight_level=LEVEL)
    assert float(hi.fw.adc_energy) > float(lo.fw.adc_energy)  # lower R_col → more sense power
    assert float(hi.fw.other_energy) > float(lo.fw.other_energy)
    g = subarray_geometry.geometry(base, c)
    r_lo = subarray_geometry.column_resistance(base, c, g, 12.8, LEVEL, 128.0, 128.0)
    r_hi = subarray_geometry.column_resistance(base, c, g, 51.2, LEVEL, 128.0, 128.0)
    assert float(r_hi) < float(r_lo)
    more = base._replace(adc_levels=128.0, adc_levels_ag=128.0)
    assert float(SA.subarray_area(more, c).adc) > float(SA.subarray_area(base, c).adc)
    assert float(SA.subarray_read(more, c, row_activity=ACT, weight_level=LEVEL).fw.adc_energy) > float(
        SA.subarray_read(base, c, row_activity=ACT, weight_level=LEVEL).fw.adc_energy)
    big = base._replace(circuit=CircuitParams(node_nm=45.0))
    assert float(SA.subarray_area(big, c).total) > float(SA.subarray_area(base, c).total)
    w1 = SA.subarray_write(base, c, write_pulses=64.0, cell_pulse_energy_sum=1e-3, row_write_activity=0.3,
                           col_write_activity=0.2)
    w2 = SA.subarray_write(base, c, write_pulses=128.0, cell_pulse_energy_sum=2e-3, row_write_activity=0.3,
                           col_write_activity=0.2)
    assert float(w2.latency) > float(w1.latency) and float(w2.energy) > float(w1.energy)


def test_no_active_rows_and_variants():
    p = SA.SubArrayParams()
    r0 = SA.subarray_read(p, SA.SubArrayConfig(), row_activity=0.0, weight_level=LEVEL)
    assert np.all(np.isfinite(np.asarray(r0.fw))) and float(r0.fw.latency) > 0
    # parallel_bp = False: AG zeros, less area.
    nobp = SA.SubArrayConfig(parallel_bp=False)
    r = SA.subarray_read(p, nobp, row_activity=ACT, weight_level=LEVEL)
    assert float(r.ag.latency) == 0.0 and float(r.ag.energy) == 0.0
    assert float(SA.subarray_area(p, nobp).adc) < float(SA.subarray_area(p).adc)
    rq = SA.subarray_read(p, SA.SubArrayConfig(), row_activity=ACT, weight_level=LEVEL)
    # FeFET: no cell energy in writes.
    fe = SA.SubArrayConfig(cell="fefet")
    w = SA.subarray_write(p, fe, write_pulses=10.0, cell_pulse_energy_sum=1.0, row_write_activity=0.3,
                          col_write_activity=0.2)
    assert float(w.energy) < 1e-9
    # jit of the default read equals eager.
    jr = jax.jit(lambda a: SA.subarray_read(p, SA.SubArrayConfig(), row_activity=a, weight_level=LEVEL))(ACT)
    np.testing.assert_allclose(np.asarray(jr.fw), np.asarray(rq.fw), rtol=1e-12)


def test_errors():
    assert SA.SubArrayConfig(cell="sram").cell == "sram"  # modelled in subarray_sram (test_hw_subarray_sram.py)
    with pytest.raises(ValueError, match="cell"):
        SA.SubArrayConfig(cell="pcm")
    with pytest.raises(ValueError, match="r_on"):
        SA.check_subarray_params(SA.SubArrayParams(r_on=5e3))
    with pytest.raises(ValueError, match="columns_per_adc"):
        SA.check_subarray_params(SA.SubArrayParams(columns_per_adc=4.0))
    SA.check_subarray_params(SA.SubArrayParams())


def test_default_report():
    """Print the per-sub-array numbers of the V2.0 default (for the report)."""
    p = SA.SubArrayParams()
    a = SA.subarray_area(p)
    print({k: float(v) for k, v in a._asdict().items()})
    r = SA.subarray_read(p, row_activity=ACT, weight_level=LEVEL)
    for name, rc in r._asdict().items():
        print(name, {k: f"{float(v):.4g}" for k, v in rc._asdict().items()})
    w = SA.subarray_write(p, write_pulses=128.0, cell_pulse_energy_sum=128 / 181.8e3,
                          row_write_activity=1.0, col_write_activity=1 / 128)
    print("write", float(w.latency), float(w.energy))


def test_read_occupancy():
    """Empty reads only change the MLSA terms: the MLSAs see the row activity of an occupied
    read (act/occ) and are weighted by occ; a NeuroSim V2.0 run measured the ADC energy."""
    p, c = SA.SubArrayParams(), SA.SubArrayConfig()
    base = SA.subarray_read(p, c, row_activity=ACT, weight_level=LEVEL)
    one = SA.subarray_read(p, c, row_activity=ACT, weight_level=LEVEL, read_occupancy=1.0)
    np.testing.assert_allclose(np.asarray(one.fw), np.asarray(base.fw), rtol=1e-15)
    np.testing.assert_allclose(np.asarray(one.ag), np.asarray(base.ag), rtol=1e-15)
    occ = 7 / 8
    r = SA.subarray_read(p, c, row_activity=ACT, weight_level=LEVEL, read_occupancy=occ)
    for side_r, side_b in ((r.fw, base.fw), (r.ag, base.ag)):
        assert float(side_r.adc_energy) < float(side_b.adc_energy)
        assert float(side_r.accumulation_energy) == pytest.approx(float(side_b.accumulation_energy), rel=1e-12)
        assert float(side_r.other_energy) == pytest.approx(float(side_b.other_energy), rel=1e-12)
    # The ADC energy drop is the MLSA's: occ·E(act/occ) + (1 − occ)·E_empty − E(act).
    g, fw_b, _ = subarray_envm.sides(p, c, ACT, LEVEL)
    _, fw_o, _ = subarray_envm.sides(p, c, ACT / occ, LEVEL)
    empty = 128 * 1e-6 * 1e-9
    want = occ * float(fw_o.mlsa.energy) + (1 - occ) * empty - float(fw_b.mlsa.energy)
    assert float(r.fw.adc_energy - base.fw.adc_energy) == pytest.approx(want, rel=1e-9)
    assert float(r.ag.adc_energy - base.ag.adc_energy) == pytest.approx(want, rel=1e-9)  # same columns (quirk)
    # Without the quirk the AG MLSA reads rows at the hard-coded column activity: unaffected.
    nq = SA.SubArrayConfig(version=dataclasses.replace(nv.CURRENT, ag_column_resistance_forward=False))
    a = SA.subarray_read(p, nq, row_activity=ACT, weight_level=LEVEL)
    b = SA.subarray_read(p, nq, row_activity=ACT, weight_level=LEVEL, read_occupancy=occ)
    assert float(b.ag.adc_energy) == pytest.approx(float(a.ag.adc_energy), rel=1e-12)
    # No occupied read: finite, the MLSA at its open-column cost.
    z = SA.subarray_read(p, c, row_activity=0.0, weight_level=LEVEL, read_occupancy=0.0)
    assert np.all(np.isfinite(np.asarray(z.fw)))
    # NeuroSim V2.0 (instrumented default run on a post-ReLU trace, layer 2, 7200 reads, 900 of
    # them empty, activity 0.17102): ADC energy FW + AG per read 4.800784e-7 J / 7200.
    m = SA.subarray_read(p, c, row_activity=0.17102, weight_level=LEVEL, read_occupancy=1 - 900 / 7200)
    assert float(m.fw.adc_energy + m.ag.adc_energy) == pytest.approx(4.800784e-7 / 7200, rel=0.03)
    # jit/grad through the occupancy.
    f = jax.jit(jax.grad(lambda o: SA.subarray_read(p, c, row_activity=ACT, weight_level=LEVEL,
                                                   read_occupancy=o).fw.adc_energy))
    assert float(f(0.8)) > 0 and np.isfinite(float(f(0.8)))


def test_access_drain_cap_and_write_match_neurosim():
    """NeuroSim V2.0 default run (32 nm LSTP, 4F-wide 1T1R cell), instrumented: the access NMOS
    (W = 0.668F) folds into 2 fingers in the cell's 4F height, ``CalculateDrainCap`` =
    7.6466e-17 F, ``capCol`` = 1.30645e-14 F, ``capRow1`` = 3.2768e-15 F, ``capRow2`` =
    7.9006e-15 F. One sub-array update, the mean over layer 7's 512 sub-arrays on the golden
    test's write trace (write pulses 255.834, activityRowWrite 0.375793, activityColWrite
    0.0128786, cell energy 3.10174e-9 J): latency 1.28195e-5 s, energy 1.18352e-8 J."""
    p, c = SA.SubArrayParams(), SA.SubArrayConfig()
    g = subarray_geometry.geometry(p, c)
    assert float(g.cap_col) == pytest.approx(1.30645e-14, rel=1e-4)
    assert float(g.cap_row1) == pytest.approx(3.2768e-15, rel=1e-4)
    assert float(g.cap_row2) == pytest.approx(7.9006e-15, rel=0.01)  # W_acc 0.664F here vs 0.668F
    w_acc = g.access_width_f * g.t.node
    c_d = subarray_geometry.access_drain_capacitance(g.t, w_acc, 4 * g.t.node)
    assert float(c_d) == pytest.approx(7.6466e-17, rel=1e-3)
    # A region tall enough for one strip: the plain one-finger drain capacitance.
    from cimjax.hw.components import gates
    assert float(subarray_geometry.access_drain_capacitance(g.t, w_acc, 28 * g.t.node)) == pytest.approx(
        float(gates.drain_capacitance(g.t, w_acc, 1.0)), rel=1e-12)
    w = SA.subarray_write(p, c, write_pulses=255.834, cell_pulse_energy_sum=3.10174e-9 / (32.0 * 50e-9),
                          row_write_activity=0.375793, col_write_activity=0.0128786)
    assert float(w.latency) == pytest.approx(1.28195e-5, rel=0.01)
    assert float(w.energy) == pytest.approx(1.18352e-8, rel=0.02)
