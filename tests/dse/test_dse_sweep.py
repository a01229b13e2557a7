"""Sweeps: vmapped == loop of single estimates, chunked == unchunked, sharded == unsharded,
static grouping, and every design parameter == ``--set`` of its config field (the one build).

A small two-layer chip keeps the XLA compiles few (each is tens of seconds on a 2-core VM);
the assertions are invariants, not estimate values.
"""

import helpers
import dataclasses
import json
import os
import subprocess
import sys
import textwrap

import jax
import numpy as np
import pytest

from cimjax.config import Config
from cimjax.dse import grid as G
from cimjax.dse import params as P
from cimjax.dse import sweep as S
from cimjax.hw.network import LayerShape

#: Smallest table whose weight-gradient unit is non-empty (≥ 128 windows and WG columns).
TINY = (LayerShape(16, 16, 16, 3, 3, 16, True), LayerShape(1, 1, 1024, 1, 1, 10, False))
GRID = {"parameters": {"adc_bits": [4, 6], "r_on": {"min": 1e4, "max": 1e6, "num": 3},
                       "read_voltage": [0.3, 0.5], "technology_node_nm": [22, 45], "batch_size": [100, 200]}}
ROOT = helpers.ROOT


@pytest.fixture(scope="module")
def base():
    return S.prepare(Config(), layers=TINY)


@pytest.fixture(scope="module")
def pts():
    return G.points(G.parse_grid(GRID, Config()))


@pytest.fixture(scope="module")
def unchunked(base, pts):
    n = len(pts["adc_bits"])
    m, group, timing = S.evaluate(base, pts, chunk=n, progress=False, compile_above=0)  # the compiled path
    assert timing["host_groups"] == 0
    return m, group


@pytest.mark.slow
def test_vmapped_sweep_equals_loop_of_single_estimates(base, pts, unchunked):
    from cimjax.hw import chip

    m, group = unchunked
    assert set(group.tolist()) == {0}
    names = tuple(pts)
    single = jax.jit(chip.estimate, static_argnums=1)
    n = len(pts["adc_bits"])
    assert n == 48
    for i in range(n):
        row = np.asarray([pts[k][i] for k in names], np.float32)
        params, _ = _design_chip(base, {k: pts[k][i] for k in names})
        est = single(params, base.chip, base.trace)
        ref = S.metrics_of(est)
        for k in S.METRICS:
            assert np.isfinite(m[k][i]), (k, i)
            # Exact count mode; float32 sums may associate differently batched and unbatched (≤ 1 ulp seen).
            np.testing.assert_allclose(np.float32(m[k][i]), np.asarray(ref[k]), rtol=1e-6, err_msg=f"{k} design {i}")


@pytest.mark.slow
def test_chunked_equals_unchunked(base, pts, unchunked):
    m, _ = unchunked
    mc, _, timing = S.evaluate(base, pts, chunk=7, progress=False, compile_above=0)  # 48 = 6·7 + 6 (padded)
    assert timing["chunk"] == 7
    for k in S.METRICS:
        np.testing.assert_array_equal(mc[k], m[k], err_msg=k)


def test_host_evaluated_group_equals_single_host_estimates(base, pts):
    """A group at or below ``compile_above`` is traced once and evaluated with NumPy for all
    its designs (no XLA compile): each design equals its own host-evaluated estimate
    (:func:`cimjax.estimate.host_estimate`, the ``cimjax estimate`` path)."""
    from cimjax.estimate import host_estimate

    m, group, timing = S.evaluate(base, pts, progress=False)
    assert timing["host_groups"] == timing["groups"] == 1 and timing["compile_s"] == 0.0
    names = tuple(pts)
    for i in range(0, len(group), 5):
        params, cc = _design_chip(base, {k: pts[k][i] for k in names})
        ref = S.metrics_of(host_estimate(cc, params, base.trace))
        for k in S.METRICS:
            assert np.isfinite(m[k][i]), (k, i)
            np.testing.assert_allclose(np.float32(m[k][i]), np.asarray(ref[k]), rtol=1e-6, err_msg=f"{k} design {i}")
    with pytest.raises(ValueError, match="compile_above"):
        S.evaluate(base, pts, progress=False, compile_above=-1)


@pytest.mark.slow
def test_host_evaluated_sweep_equals_compiled_sweep(base, pts, unchunked):
    """The host path and the compiled path give the same numbers to float rounding (XLA fuses
    multiply-adds; its exp / log may differ from NumPy's in the last bit)."""
    m, group = unchunked
    mh, gh, timing = S.evaluate(base, pts, progress=False, compile_above=len(group))
    assert timing["host_groups"] == 1
    np.testing.assert_array_equal(gh, group)
    for k in S.METRICS:
        np.testing.assert_allclose(mh[k], m[k], rtol=1e-6, err_msg=k)


#: A value other than the default for every design parameter.
OTHER = dict(subarray_size=64, subarray_rows=256, subarray_cols=64, adc_bits=4, wg_adc_bits=5,
             global_bus_width=1024, cell_bits=2, columns_per_adc=16, technology_node_nm=45.0, r_on=2e4,
             on_off_ratio=30.0, read_voltage=0.3, write_voltage=3.0, read_pulse_width=5e-9,
             write_pulse_width=1e-7, clock_hz=5e8, temperature_k=350.0, vdd_scale=0.9, wire_width_nm=60.0,
             batch_size=64, cell_type="sram", mapping="conventional", global_buffer="sram",
             dram="gddr5", roadmap="HP", ag_adc_bits=4, ag_rows_per_adc=16, wg_subarray_rows=64,
             wg_subarray_cols=256, wg_rows_per_adc=16, global_bus_delay_tolerance=0.3,
             local_bus_delay_tolerance=0.0, buffer_overhead_constraint=3.0, access_voltage=1.3,
             access_resistance=30e3)


def _design_chip(base, point):
    """The chip of one design as a sweep builds it: the base knobs with the design's values."""
    from cimjax import build as build_lib

    numeric = [k for k in point if P.PARAMS[k].numeric]
    knobs = P.apply_values(base.knobs, numeric, np.asarray([float(point[k]) for k in numeric]))
    return build_lib.chip_params(knobs, base.facts), S.group_configs(base, {k: [v] for k, v in point.items()})[1][0]


@pytest.mark.parametrize("name", [n for n, s in P.PARAMS.items() if s.chip])
def test_every_parameter_lands_as_its_config_field(base, name):
    """A design parameter changes the chip exactly as ``--set`` of its config field(s) does:
    the same traced ChipParams (every leaf) and the same static ChipConfig, so the same estimate."""
    from cimjax import build as build_lib

    assert set(OTHER) == {n for n, s in P.PARAMS.items() if s.chip}
    point = {name: OTHER[name]}
    got_params, got_config = _design_chip(base, point)
    want = build_lib.build(S.point_config(Config(), point), layers=TINY)
    assert got_config == want.chip
    base_leaves = jax.tree.leaves(base.params)
    changed = False
    for path, a, b, c in zip(jax.tree_util.tree_flatten_with_path(got_params)[0], jax.tree.leaves(got_params),
                             jax.tree.leaves(want.params), base_leaves):
        np.testing.assert_array_equal(np.asarray(a, float), np.asarray(b, float), err_msg=str(path[0]))
        changed |= not np.array_equal(np.asarray(a, float), np.asarray(c, float))
    assert changed or got_config != base.chip, f"{name} = {OTHER[name]!r} changed nothing"


def test_batch_follows_the_steps_per_epoch_cap():
    from cimjax.config import replace

    config = replace(Config(), train={"steps_per_epoch": 10})
    b = S.prepare(config, layers=TINY)
    for batch in (50.0, 400.0):
        got, _ = _design_chip(b, {"batch_size": batch})
        assert float(got.num_iterations) == min(10.0, 2000 // batch)


def test_static_groups(base):
    """Designs are grouped by their static chip; designs differing only in a traced parameter
    share a group."""
    pts = G.points(G.parse_grid({"parameters": {"subarray_size": [64, 128], "columns_per_adc": [4, 8],
                                                "cell_type": ["rram", "fefet", "sram"], "adc_bits": [5, 6]}}, Config()))
    group, configs = S.group_configs(base, pts)
    assert len(configs) == 12 and len(set(group.tolist())) == len(configs)
    assert group[0] == group[1]


SHARD_SCRIPT = textwrap.dedent("""
    import json, sys
    import jax, numpy as np
    sys.path.insert(0, {root!r})
    from cimjax.config import Config
    from cimjax.dse import grid as G, sweep as S
    from tests.dse.test_dse_sweep import GRID, TINY
    assert len(jax.devices()) == 2, jax.devices()
    base = S.prepare(Config(), layers=TINY)
    pts = G.points(G.parse_grid(GRID, Config()))
    sharded, _, t = S.evaluate(base, pts, chunk=20, shard=True, progress=False, compile_above=0)  # 48 = 20+20+8
    print(json.dumps({{"metrics": {{k: v.tolist() for k, v in sharded.items()}}, "chunk": t["chunk"]}}))
""")


@pytest.mark.slow
def test_sharded_sweep_equals_unsharded(base, pts, unchunked):
    """2 host devices (XLA_FLAGS, in a subprocess): the sharded sweep gives the same numbers."""
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=2", JAX_PLATFORMS="cpu")
    out = subprocess.run([sys.executable, "-c", SHARD_SCRIPT.format(root=ROOT)], env=env, cwd=ROOT,
                         capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stderr[-3000:]
    res = json.loads(out.stdout.strip().splitlines()[-1])
    assert res["chunk"] == 20
    m, _ = unchunked
    for k in S.METRICS:
        np.testing.assert_array_equal(np.asarray(res["metrics"][k]), m[k], err_msg=k)


def test_group_config_is_hashable_and_reused(base, pts):
    _, configs = S.group_configs(base, pts)
    assert len(configs) == 1 and hash(configs[0]) == hash(dataclasses.replace(configs[0]))
