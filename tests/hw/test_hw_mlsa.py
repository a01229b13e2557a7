"""MLSA, MLSA encoder and switch matrices (cimjax.hw.components.mlsa / switch_matrix).

Transform checklist (jit(vmap) == eager loop, reverse-mode gradient == central differences in
float64 relaxed mode), hand-computed values at the V2.0 default (32 nm LSTP), the Appendix-A
fit constants, monotonicity and the golden per-sub-array ADC area.
"""

import dataclasses
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import helpers
from cimjax.hw.components import encoder
from cimjax.hw.components import mlsa as M
from cimjax.hw.components import switch_matrix as S
from cimjax.hw.components.params import CircuitParams
from cimjax.hw.cost import Cost
from cimjax.hw import neurosim_version as nv

ALL_STAGES = dataclasses.replace(nv.CURRENT, encoder_two_stage_latency=False)

F = 32e-9
F2_UM2 = (F * 1e6) ** 2  # F² in µm²
ARRAY_EDGE = 128 * 4 * F  # 128 cells of 4F


@pytest.fixture(autouse=True)
def x64():
    with helpers.x64():
        yield


def set_path(params, path, value):
    if len(path) == 1:
        return params._replace(**{path[0]: value})
    return params._replace(**{path[0]: set_path(getattr(params, path[0]), path[1:], value)})


def get_path(params, path):
    for p in path:
        params = getattr(params, p)
    return params


NODE, VDD = ("circuit", "node_nm"), ("circuit", "vdd_scale")

# name → (cost function of params, params, continuous paths); node 40 nm (inside the
# 32–45 segment of every fit table).
CASES = {
    "mlsa": (
        lambda p, mode: M.mlsa(p, M.MlsaConfig(mode=mode), jnp.asarray([9e3, 20e3, 4e3])),
        M.MlsaParams(CircuitParams(node_nm=40.0)),
        [NODE, VDD, ("levels",), ("r_on",), ("read_voltage",), ("columns_per_adc",)],
    ),
    "mlsa_scalar": (
        lambda p, mode: M.mlsa(p, M.MlsaConfig(mode=mode), 9e3),
        M.MlsaParams(CircuitParams(node_nm=40.0), num_rows=64.0),
        [NODE, ("num_columns",), ("r_off",)],
    ),
    "encoder": (
        lambda p, mode: encoder.encoder(p, encoder.EncoderConfig(mode=mode)),
        encoder.EncoderParams(CircuitParams(node_nm=40.0), edge_length=ARRAY_EDGE * 1.1),
        [NODE, VDD, ("levels",), ("num_reads",), ("edge_length",)],
    ),
    "encoder_height": (
        lambda p, mode: encoder.encoder(p, encoder.EncoderConfig(mode=mode, along="height", version=ALL_STAGES)),
        encoder.EncoderParams(CircuitParams(node_nm=40.0), edge_length=ARRAY_EDGE * 1.1),
        [NODE, ("levels",), ("num_encoders",)],
    ),
    "new_switch_read": (
        lambda p, mode: S.switch_matrix(p, S.SwitchMatrixConfig(mode=mode)),
        S.SwitchMatrixParams(CircuitParams(node_nm=40.0), activity=0.2, num_writes=30.0, edge_length=20e-6),
        [NODE, VDD, ("load_capacitance",), ("activity",), ("access_voltage",), ("num_lines",)],
    ),
    "new_switch_write": (
        lambda p, mode: S.switch_matrix_write(p, S.SwitchMatrixConfig(mode=mode)),
        S.SwitchMatrixParams(CircuitParams(node_nm=40.0), activity=0.2, num_writes=30.0, edge_length=20e-6),
        [NODE, ("load_resistance",), ("num_writes",)],
    ),
    "sl_switch_write": (
        lambda p, mode: S.switch_matrix_write(p, S.SwitchMatrixConfig(mode=mode, kind="classic", lines="col")),
        S.SwitchMatrixParams(CircuitParams(node_nm=40.0), col_write_activity=0.3, num_write_pulse=3.0,
                             num_writes=30.0, edge_length=20e-6),
        [NODE, ("res_tg",), ("write_voltage",), ("col_write_activity",), ("num_write_pulse",)],
    ),
    "classic_row_read": (
        lambda p, mode: S.switch_matrix(p, S.SwitchMatrixConfig(mode=mode, kind="classic", lines="row")),
        S.SwitchMatrixParams(CircuitParams(node_nm=40.0), activity=0.3, edge_length=20e-6),
        [NODE, ("res_tg",), ("read_voltage",)],
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_jit_vmap_grad_checklist(name):
    """jit(vmap(g)) == eager loop; gradient (VJP per field) finite and == central FD to 1e-4."""
    fn, params, paths = CASES[name]
    params = jax.tree.map(lambda x: jnp.asarray(x, jnp.float64), params)
    x0 = jnp.array([float(get_path(params, p)) for p in paths], jnp.float64)

    def g(x):
        p = params
        for i, path in enumerate(paths):
            p = set_path(p, path, x[i])
        return jnp.stack(fn(p, "relaxed"))

    n = len(paths)
    h = 1e-6 * np.abs(np.asarray(x0))
    points = jnp.concatenate([x0 + jnp.diag(h), x0 - jnp.diag(h), x0[None]])
    values = np.asarray(jax.jit(jax.vmap(g))(points))
    value = values[-1]
    for i in (0, 2 * n):
        np.testing.assert_allclose(values[i], np.asarray(g(points[i])), rtol=1e-12)
    assert np.all(np.isfinite(value)) and np.all(value[:3] > 0) and value[3] >= 0, value
    vjp = jax.jit(lambda x, ct: jax.vjp(g, x)[1](ct)[0])
    jac = np.stack([np.asarray(vjp(x0, e)) for e in jnp.eye(4, dtype=jnp.float64)], axis=1)
    fd = (values[:n] - values[n : 2 * n]) / (2 * h[:, None])
    assert np.all(np.isfinite(jac)), jac
    floor = 1e-6 * np.abs(value)[None, :] / np.abs(np.asarray(x0))[:, None]
    bad = np.abs(jac - fd) > 1e-4 * np.maximum(np.abs(fd), floor)
    mismatches = [(paths[i], Cost._fields[j], jac[i, j], fd[i, j]) for i, j in zip(*np.nonzero(bad))]
    assert not mismatches, mismatches


# ---------------------------------------------------------------------------------------
# Hand values at 32 nm LSTP (V2.0 default).


def test_mlsa_area_by_hand():
    # Minimum transistor region = 2 poly pitches (3.8F) × 28F = 212.8F²; (48 + 24)·212.8F²·63·16.
    area = float(M.mlsa_area(M.MlsaParams()))
    assert area * 1e12 == pytest.approx(72 * 212.8 * 63 * 16 * F2_UM2, rel=1e-9)


def test_encoder_layout_by_hand():
    # w_enc = 2 INV (2 pitches) + NAND2 (3) + NAND32 (33) = 40 pitches = 152F; h_enc = 63·28F.
    fw = encoder.encoder_footprint(encoder.EncoderParams(edge_length=ARRAY_EDGE))
    # Along a 512F width: ⌈512/152⌉ = 4 per row, 4 rows.
    assert float(fw.width) == pytest.approx(512 * F) and float(fw.height) == pytest.approx(4 * 63 * 28 * F)
    ag = encoder.encoder_footprint(encoder.EncoderParams(edge_length=ARRAY_EDGE), encoder.EncoderConfig(along="height"))
    # Along a 512F height: 1 per column (h_enc > 512F), 16 columns of 152F.
    assert float(ag.height) == pytest.approx(63 * 28 * F) and float(ag.width) == pytest.approx(16 * 152 * F)


def test_golden_adc_area_per_subarray():
    """FW + AG MLSA and encoder of one 128×128 sub-array vs the golden chip ADC area
    (5.4022e7 µm² over 1360 sub-arrays = 39,722 µm²)."""
    edge = ARRAY_EDGE
    area = 2 * float(M.mlsa_area(M.MlsaParams()))
    area += float(encoder.encoder(encoder.EncoderParams(edge_length=edge)).area)
    area += float(encoder.encoder(encoder.EncoderParams(edge_length=edge), encoder.EncoderConfig(along="height")).area)
    golden = 5.4022e7 / 1360
    ratio = area * 1e12 / golden
    print(f"ADC area per sub-array {area * 1e12:.1f} µm² / golden {golden:.1f} = {ratio:.6f}")
    assert ratio == pytest.approx(1.0, abs=1e-4)


def test_mlsa_latency_point_by_hand():
    # R = 9 kΩ, 32 nm LSTP: T_max = (0.0714·ln 9 + 0.7651) ns; references R_on/128 + (i+1)·R_off/128/64.
    r = 9e3
    t_max = (0.0714 * np.log(r / 1e3) + 0.7651) * 1e-9
    i = np.arange(1, 63)
    ratio = (100e3 / 128 + (i + 1) * 1e6 / 128 / 64) / r
    cubic = np.polyval([3.7949, -5.6685, 2.6492, 0.4807], ratio)
    quartic = np.polyval([1e-6, -6e-5, 0.0001, -0.0171, 1.0057], ratio)
    expected = t_max * np.max(np.where(ratio <= 0.9, cubic, quartic))
    p = M.MlsaParams()
    assert float(M.column_latency(p, M.MlsaConfig(), r)) == pytest.approx(expected, rel=1e-12)
    # Clamped to ≥ 1 ns, × 8 columns per ADC; energy = 128 columns × P × 1 ns.
    cost = M.mlsa(p, M.MlsaConfig(), r)
    assert float(cost.latency) == pytest.approx(8e-9)
    power = 3.0875 * 63 * 1e-6 + 0.0649 * np.exp(-2.297 * np.log10(r))
    assert float(cost.energy) == pytest.approx(128 * power * 1e-9, rel=1e-12)
    # Read-voltage rescale: R·0.5/V_read.
    q = p._replace(read_voltage=0.25)
    assert float(M.column_power(q, M.MlsaConfig(), r)) == pytest.approx(
        float(M.column_power(p, M.MlsaConfig(), 2 * r)), rel=1e-12)


def test_mlsa_special_cases():
    p, c = M.MlsaParams(), M.MlsaConfig()
    # An open column (no active row): latency 0 (then the 1 ns floor), power 1 µW.
    assert float(M.column_latency(p, c, jnp.inf)) == 0.0
    assert float(M.column_power(p, c, jnp.inf)) == pytest.approx(1e-6)
    assert float(M.mlsa(p, c, jnp.inf).latency) == pytest.approx(8e-9)
    # HP roadmap and nodes ≤ 22 nm: 1 ns per column; 10 ns cap.
    assert float(M.column_latency(p, M.MlsaConfig(roadmap="HP"), 9e3)) == pytest.approx(1e-9)
    p22 = p._replace(circuit=CircuitParams(node_nm=22.0))
    assert float(M.column_latency(p22, c, 9e3)) == pytest.approx(1e-9)
    big = M.mlsa(p._replace(circuit=CircuitParams(node_nm=130.0)), c, 1e12)
    assert float(big.latency) <= 8 * 10e-9 + 1e-18
    # Tabulated power constants at 130 nm HP.
    p130 = p._replace(circuit=CircuitParams(node_nm=130.0))
    expected = 19.898 * 63e-6 + 0.17452 * np.exp(-2.367 * np.log10(5e3))
    assert float(M.column_power(p130, M.MlsaConfig(roadmap="HP"), 5e3)) == pytest.approx(expected, rel=1e-12)


def test_mlsa_ratio_branch_flag():
    p = M.MlsaParams()
    r = 1.0 / 1.0e-4  # 10 kΩ: some ladder ratios fall in (0.9, 1.1)
    quirk = float(M.column_latency(p, M.MlsaConfig(), r))
    fixed = float(M.column_latency(p, M.MlsaConfig(version=dataclasses.replace(nv.CURRENT, mlsa_quartic_above_cubic=False)), r))
    assert fixed >= quirk  # T_max ≥ the quartic just above 0.9 at 32 nm


def test_mlsa_node_interpolation_is_continuous():
    c = M.MlsaConfig()
    nodes = np.array([32.0, 38.5, 45.0])
    t = [float(M.column_power(M.MlsaParams(CircuitParams(node_nm=n)), c, 9e3)) for n in nodes]
    assert t[1] == pytest.approx(0.5 * (t[0] + t[2]), rel=1e-12)


def test_monotonicity():
    base = M.MlsaParams()
    more = base._replace(levels=128.0)
    c = M.MlsaConfig()
    assert float(M.mlsa(more, c, 9e3).area) > float(M.mlsa(base, c, 9e3).area)
    assert float(M.mlsa(more, c, 9e3).energy) > float(M.mlsa(base, c, 9e3).energy)
    assert float(encoder.encoder(encoder.EncoderParams(levels=128.0)).area) > float(encoder.encoder(encoder.EncoderParams()).area)
    # Lower column resistance (more active rows) → more sense power.
    assert float(M.column_power(base, c, 5e3)) > float(M.column_power(base, c, 20e3))
    # Larger node → larger area.
    areas = [float(M.mlsa_area(M.MlsaParams(CircuitParams(node_nm=n)))) for n in (22.0, 32.0, 65.0)]
    assert areas[0] < areas[1] < areas[2]
    sm = [float(S.switch_matrix(S.SwitchMatrixParams(CircuitParams(node_nm=n))).area) for n in (32.0, 65.0)]
    assert sm[0] < sm[1]


def test_switch_matrix_by_hand():
    """New matrix read energy and the SL write energy formula at 32 nm."""
    from cimjax.hw import tech
    from cimjax.hw.components import gates, logic

    t = tech.technology(32.0)
    tg = gates.gate(t, "tg")
    dff = logic.dff_unit(t)
    p = S.SwitchMatrixParams(activity=0.25, num_reads=8.0, num_lines=128.0)
    e = float(S.switch_matrix(p).energy)
    per_line = 2 * tg.c_out * 1.1**2 + 5 * tg.c_out * 0.25 + 3 * tg.c_in * 0.81
    dff_e = 128 * (dff.clock_energy + dff.data_energy)
    assert e == pytest.approx(float(per_line * 128 * 0.25 * 8 + 8 * dff_e), rel=1e-12)
    lat = float(S.switch_matrix(p).latency)
    assert lat > 8 * 0.5e-9  # 8 DFF half-cycles + 8 TG charges
    # Classic column matrix write: per op 3·C_d·V_w²·(p·m + n − m/2) + C_g·V_dd²·n.
    q = S.SwitchMatrixParams(num_lines=128.0, res_tg=125e3, col_write_activity=0.25, num_write_pulse=2.0,
                             num_writes=10.0, num_reads=0.0, write_voltage=5.0)
    cfg = S.SwitchMatrixConfig(kind="classic", lines="col")
    w_n = tech.on_resistance(t, F, "n") * F * 0.2 / (2 * 125e3 * 0.25)
    w_p = tech.on_resistance(t, F, "p") * F * 0.2 / (2 * 125e3 * 0.25)
    tgc = gates.gate(t, "tg", widths=(w_n, w_p))
    m = 32.0
    per_op = 3 * tgc.c_out * 25.0 * (2 * m + 128 - m / 2) + tgc.c_in * 0.81 * 128
    dff_clock_only = 128 * (dff.clock_energy + dff.data_energy) * 0.0
    assert float(S.switch_matrix_write(q, cfg).energy) == pytest.approx(float(per_op * 10 + dff_clock_only), rel=1e-12)


def test_config_errors():
    with pytest.raises(ValueError, match="lines"):
        S.SwitchMatrixConfig(kind="new", lines="col")
    with pytest.raises(ValueError, match="along"):
        encoder.EncoderConfig(along="diagonal")
    with pytest.raises(ValueError, match="max_levels"):
        M.MlsaConfig(max_levels=1)


def test_mlsa_read_occupancy():
    """Empty reads (no active row: every column open) cost 1 µW·1 ns per column and the 1-ns
    latency; the mean over reads is linear in the occupied fraction."""
    p, c = M.MlsaParams(), M.MlsaConfig()
    full = M.mlsa(p, c, 9e3)
    assert np.asarray(M.mlsa(p, c, 9e3, 1.0)) == pytest.approx(np.asarray(full), rel=1e-15)
    empty = M.mlsa(p, c, 9e3, 0.0)
    open_read = M.mlsa(p, c, jnp.inf)
    assert float(empty.energy) == pytest.approx(float(open_read.energy), rel=1e-12)
    assert float(empty.energy) == pytest.approx(128 * 1e-6 * 1e-9, rel=1e-12)
    assert float(empty.latency) == pytest.approx(8e-9)
    occ = 0.7
    mixed = M.mlsa(p, c, 9e3, occ)
    assert float(mixed.energy) == pytest.approx(occ * float(full.energy) + (1 - occ) * float(empty.energy), rel=1e-12)
    assert float(mixed.area) == float(full.area) and float(mixed.leakage) == 0.0
    # The column vector form weights the empty read by its number of columns.
    vec = M.mlsa(p, c, jnp.full((16,), 9e3), 0.0)
    assert float(vec.energy) == pytest.approx(16 * 1e-6 * 1e-9, rel=1e-12)
    g = jax.grad(lambda o: M.mlsa(p, c, 9e3, o).energy)(0.5)
    assert float(g) == pytest.approx(float(full.energy) - float(empty.energy), rel=1e-9)
