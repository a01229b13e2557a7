"""Sweeps: vmapped == loop of single estimates, chunked == unchunked, sharded == unsharded,
static grouping and the setters == chip_from_config (issue 5, item 1–2).

A small two-layer chip keeps the XLA compiles few (each is tens of seconds on a 2-core VM);
the assertions are invariants, not estimate values.
"""

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
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def base():
    return S.prepare(Config(), layers=TINY)


@pytest.fixture(scope="module")
def pts():
    return G.points(G.parse_grid(GRID, Config()))


@pytest.fixture(scope="module")
def unchunked(base, pts):
    n = len(pts["adc_bits"])
    m, group, _ = S.evaluate(base, pts, chunk=n, progress=False)
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
        est = single(P.apply_values(base.params, names, row, base.ctx), base.chip_config, base.trace)
        ref = S.metrics_of(est)
        for k in S.METRICS:
            assert np.isfinite(m[k][i]), (k, i)
            # Exact count mode; float32 sums may associate differently batched and unbatched (≤ 1 ulp seen).
            np.testing.assert_allclose(np.float32(m[k][i]), np.asarray(ref[k]), rtol=1e-6, err_msg=f"{k} design {i}")


@pytest.mark.slow
def test_chunked_equals_unchunked(base, pts, unchunked):
    m, _ = unchunked
    mc, _, timing = S.evaluate(base, pts, chunk=7, progress=False)  # 48 = 6·7 + 6 (padded)
    assert timing["chunk"] == 7
    for k in S.METRICS:
        np.testing.assert_array_equal(mc[k], m[k], err_msg=k)


def test_setters_reproduce_chip_from_config(base):
    """Every traced setter writes exactly what chip_from_config builds for the same overrides."""
    from cimjax.hw.from_config import chip_from_config

    point = dict(subarray_size=64.0, adc_bits=4.0, cell_bits=2.0, columns_per_adc=16.0, technology_node_nm=45.0,
                 r_on=2e4, on_off_ratio=30.0, read_voltage=0.3, write_voltage=3.0, read_pulse_width=5e-9,
                 write_pulse_width=1e-7, clock_hz=5e8, temperature_k=350.0, batch_size=64.0, wg_adc_bits=5.0,
                 global_bus_width=1024.0)
    names = tuple(point)
    got = P.apply_values(base.params, names, np.asarray([point[k] for k in names]), base.ctx)
    want, _ = chip_from_config(S.point_config(Config(), point), layers=TINY)
    assert float(want.num_iterations) == 31.0  # ⌊2000/64⌋ (synthetic train split)
    assert float(want.wg.adc_levels) == 32.0 and float(want.floorplan.max_global_bus_width) == 1024.0
    for path, (a, b) in zip(jax.tree_util.tree_flatten_with_path(got)[0],
                            zip(jax.tree.leaves(got), jax.tree.leaves(want))):
        np.testing.assert_allclose(np.asarray(a, float), np.asarray(b, float), rtol=1e-6, err_msg=str(path[0]))


def test_static_groups_match_chip_from_config(base):
    """Designs are grouped by their static chip; each group's ChipConfig has the static fields
    chip_from_config gives its designs (tile grid, mux ratio, cell, buffers)."""
    from cimjax.hw.from_config import chip_from_config

    pts = G.points(G.parse_grid({"parameters": {"subarray_size": [64, 128], "columns_per_adc": [4, 8],
                                                "cell_type": ["rram", "fefet", "sram"], "adc_bits": [5, 6]}}, Config()))
    group, configs = S.group_configs(base, pts)
    assert len(configs) <= 12 and len(set(group.tolist())) == len(configs)
    fields = ("cell", "novel_mapping", "global_buffer", "tile_buffer", "dram", "columns_per_adc", "tile_grid",
              "cm_pes_per_side", "layers", "roadmap", "training")
    for i in range(len(group)):
        point = {k: pts[k][i] for k in pts}
        _, want = chip_from_config(S.point_config(Config(), point), layers=TINY)
        got = configs[group[i]]
        for f in fields:
            assert getattr(got, f) == getattr(want, f), (f, point)
    # Designs differing only in a traced parameter share a group.
    assert group[0] == group[1]


SHARD_SCRIPT = textwrap.dedent("""
    import json, sys
    import jax, numpy as np
    sys.path.insert(0, {root!r})
    from cimjax.config import Config
    from cimjax.dse import grid as G, sweep as S
    from tests.test_dse_sweep import GRID, TINY
    assert len(jax.devices()) == 2, jax.devices()
    base = S.prepare(Config(), layers=TINY)
    pts = G.points(G.parse_grid(GRID, Config()))
    sharded, _, t = S.evaluate(base, pts, chunk=20, shard=True, progress=False)   # 48 = 20 + 20 + 8 (padded)
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


def test_batch_setter_follows_steps_per_epoch_cap():
    from cimjax.config import replace
    from cimjax.hw.from_config import chip_from_config

    config = replace(Config(), train={"steps_per_epoch": 10})
    b = S.prepare(config, layers=TINY)
    for batch in (50.0, 400.0):
        got = P.apply_values(b.params, ("batch_size",), np.asarray([batch]), b.ctx)
        want, _ = chip_from_config(S.point_config(config, {"batch_size": batch}), layers=TINY)
        assert float(got.num_iterations) == float(want.num_iterations) == min(10.0, 2000 // batch)
