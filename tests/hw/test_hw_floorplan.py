"""NeuroSim's floorplan (docs/model.md §5.2) as jnp, and the relax helpers it is built on."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from helpers import x64
from cimjax.config import ModelConfig
from cimjax.hw import relax
from cimjax.hw.floorplan import Floorplan, FloorplanConfig, FloorplanParams, floorplan
from cimjax.hw.network import LayerShape, network_layers

VGG8 = tuple(network_layers(ModelConfig(name="vgg8"), (32, 32, 3)))




def np_floorplan(fp: Floorplan) -> dict:
    return {k: np.asarray(v) for k, v in fp._asdict().items()}


# ---------------------------------------------------------------------------------------
# relax


def test_relax_exact_values():
    x = jnp.array([-2.5, -1.2, 0.0, 0.3, 1.0, 2.5, 3.7])
    np.testing.assert_array_equal(relax.ceil(x), np.ceil(x))
    np.testing.assert_array_equal(relax.floor(x), np.floor(x))
    # C-style rounding: half away from zero.
    np.testing.assert_array_equal(relax.round(x), [-3.0, -1.0, 0.0, 0.0, 1.0, 3.0, 4.0])
    p = jnp.array([0.5, 1.0, 2.0, 3.0, 127.0, 128.0, 129.0, 1024.0, 12096 / 8192])
    np.testing.assert_array_equal(relax.log2ceil(p), [-1, 0, 1, 2, 7, 7, 8, 10, 1])
    np.testing.assert_array_equal(relax.pow2ceil(p), [0.5, 1, 2, 4, 128, 128, 256, 1024, 2])
    assert relax.ceil(3).dtype == jnp.result_type(float)


@pytest.mark.parametrize("name", ["ceil", "floor", "round"])
def test_relax_relaxed_error_bound_and_gradient(name):
    tau = relax.DEFAULT_TEMPERATURE
    exact_fn, relaxed_fn = getattr(relax, name), getattr(relax, name)
    x = jnp.linspace(-3.0, 3.0, 2401)
    exact = exact_fn(x)
    relaxed = relaxed_fn(x, "relaxed")
    err = np.abs(np.asarray(relaxed - exact))
    assert err.max() <= 0.5 + 1e-6
    # The distance-dependent bound of the docstring.
    step = np.asarray(x) + (0.5 if name == "round" else 0.0)
    d = np.abs(step - np.round(step))
    bound = 0.5 * (1 - np.tanh(d / tau) / np.tanh(0.5 / tau))
    off_step = d > 1e-3  # at the step the exact side is ambiguous: error exactly 1/2
    assert np.all(err[off_step] <= bound[off_step] + 1e-5)
    g = np.asarray(jax.vmap(jax.grad(lambda v: relaxed_fn(v, "relaxed")))(x))
    lo, hi = 1 / (tau * math.sinh(1 / tau)), 1 / (2 * tau * math.tanh(0.5 / tau))
    assert np.all(np.isfinite(g)) and np.all(g >= lo * (1 - 1e-4)) and np.all(g <= hi * (1 + 1e-4))


def test_relax_soft_round_properties():
    ints = jnp.arange(-3.0, 4.0)
    np.testing.assert_allclose(relax.soft_round(ints), ints, atol=1e-6)
    np.testing.assert_allclose(relax.soft_round(ints + 0.5), ints + 0.5, atol=1e-6)
    # Large temperature → identity; small → round.
    x = jnp.array([0.1, 0.3, 0.7, 1.2])
    np.testing.assert_allclose(relax.soft_round(x, 1e3), x, atol=1e-4)
    np.testing.assert_allclose(relax.soft_round(x, 1e-2), np.round(x), atol=1e-6)
    with x64():
        x0 = jnp.asarray(1.3, jnp.float64)
        g = jax.grad(lambda v: relax.ceil(v, "relaxed"))(x0)
        h = 1e-6
        fd = (relax.ceil(x0 + h, "relaxed") - relax.ceil(x0 - h, "relaxed")) / (2 * h)
        assert float(g) == pytest.approx(float(fd), rel=1e-4)


def test_relax_ste_and_log2ceil_modes():
    x = jnp.array([0.3, 1.0, 2.5, 7.9])
    for name in ("ceil", "floor", "round"):
        fn = getattr(relax, name)
        np.testing.assert_array_equal(fn(x, "ste"), fn(x))
        np.testing.assert_array_equal(jax.vmap(jax.grad(lambda v, f=fn: f(v, "ste")))(x), np.ones(4))
    p = jnp.array([3.0, 128.0, 200.0])
    np.testing.assert_array_equal(relax.log2ceil(p, "ste"), relax.log2ceil(p))
    g = jax.vmap(jax.grad(lambda v: relax.log2ceil(v, "ste")))(p)
    np.testing.assert_allclose(g, 1 / (p * np.log(2)), rtol=1e-6)
    np.testing.assert_allclose(relax.log2ceil(p, "relaxed"), relax.ceil(jnp.log2(p), "relaxed"), rtol=1e-6)
    assert np.all(np.abs(np.asarray(relax.log2ceil(p, "relaxed") - relax.log2ceil(p))) <= 0.5 + 1e-6)


def test_relax_select_best():
    scores = jnp.array([0.5, 0.9, 0.9, 0.95])
    values = {"size": jnp.array([1024.0, 512.0, 256.0, 128.0]), "k": jnp.arange(4.0)}
    mask = jnp.array([True, True, True, False])
    best = relax.select_best(scores, values, mask)
    assert float(best["size"]) == 512.0 and float(best["k"]) == 1.0  # tie → first; masked best skipped
    assert float(relax.select_best(scores, values["size"])) == 128.0  # no mask
    assert float(relax.select_best(scores, values["size"], jnp.zeros(4, bool))) == 1024.0  # none valid → 0
    soft = relax.select_best(scores, values["size"], mask, "relaxed", temperature=0.1)
    w = np.exp(np.array([0.5, 0.9, 0.9]) / 0.1)
    assert float(soft) == pytest.approx(float(np.dot(w / w.sum(), [1024, 512, 256])), rel=1e-5)
    ste = relax.select_best(scores, values["size"], mask, "ste", temperature=0.1)
    assert float(ste) == 512.0
    g = jax.grad(lambda s: relax.select_best(s, values["size"], mask, "ste", temperature=0.1))(scores)
    assert np.all(np.isfinite(g)) and np.any(g != 0) and float(g[3]) == 0.0
    f = jax.jit(lambda s: relax.select_best(s, values["size"], mask))
    assert float(f(scores)) == 512.0


def test_relax_bad_arguments():
    with pytest.raises(ValueError, match="mode"):
        relax.ceil(1.0, "soft")
    with pytest.raises(ValueError, match="temperature"):
        relax.ceil(1.0, "relaxed", temperature=0.0)
    with pytest.raises(ValueError, match="shape"):
        relax.select_best(jnp.ones((2, 2)), jnp.ones(2))


# ---------------------------------------------------------------------------------------
# floorplan: the V2.0 worked result (docs/model.md §5.2, manual Fig. 33)


@pytest.mark.parametrize("double", [False, True], ids=["float32", "float64"])
def test_vgg8_v20_defaults_golden(double):
    if double:  # powers of two must stay exact in float64 too (jnp.exp2 is not, on CPU)
        with x64():
            fp = np_floorplan(floorplan(FloorplanParams(*(np.float64(v) for v in FloorplanParams())), FloorplanConfig(VGG8)))
        assert fp["utilization"].dtype == np.float64
    else:
        fp = np_floorplan(floorplan(FloorplanParams(), FloorplanConfig(VGG8)))
    assert fp["novel"].tolist() == [False, True, True, True, True, True, False, False]
    assert fp["tile_size_cm"] == 1024 and fp["pe_size_cm"] == 512 and fp["pe_size_nm"] == 512
    assert fp["num_pe_nm"] == 9 and fp["num_col_per_synapse"] == 1
    assert fp["tiles"].tolist() == [1, 1, 1, 1, 1, 1, 8, 1]
    assert fp["total_tiles"] == 15 and (fp["tile_rows"], fp["tile_cols"]) == (4, 4)
    assert fp["speedup"].tolist() == [64, 16, 8, 4, 2, 1, 1, 8]
    np.testing.assert_allclose(fp["utilization"], [0.2109, 1, 1, 1, 1, 1, 1, 0.0781], rtol=0, atol=5e-5)
    assert round(100 * float(fp["chip_utilization"]), 2) == 88.59
    assert fp["global_bus_width"] == 6048  # 3456 + 8640 = 12096, halved once
    # Duplication factors behind the speed-ups (§5.2 steps 7–8).
    assert fp["pe_dup_rows"].tolist() == [2, 1, 1, 1, 1, 1, 1, 1]
    assert fp["pe_dup_cols"].tolist() == [2, 1, 1, 1, 1, 1, 1, 2]
    assert fp["subarray_dup_rows"].tolist() == [4, 4, 4, 2, 2, 1, 1, 1]
    assert fp["subarray_dup_cols"].tolist() == [4, 4, 2, 2, 1, 1, 1, 4]


def test_conventional_mapping_only_hand_computed():
    """novel_mapping=False: every layer is CM with T = 1024, P = 512 (sub = 128).

    Tiles ⌈R/1024⌉·⌈Ccol/1024⌉: conv2/3 1152 rows → 2, conv4/5 2304 → 3, conv6 4608 → 5,
    fc1 8·1 = 8, conv1 and fc2 1: 25 tiles on a 5×5 grid. Duplication e.g. conv2
    (1152×128): PE cols ⌊2/1⌋ = 2, sub-array cols ⌊4/1⌋ = 4, rows 1 → speed-up 8, and
    utilisation 1152·128·8/(2·1024²) = 0.5625. Bus: 8·(1024 + 128) = 9216 → 4608.
    """
    fp = np_floorplan(floorplan(FloorplanParams(), FloorplanConfig(VGG8, novel_mapping=False)))
    assert not fp["novel"].any()
    assert fp["tile_size_cm"] == 1024 and fp["pe_size_cm"] == 512
    assert fp["tiles"].tolist() == [1, 2, 2, 3, 3, 5, 8, 1]
    assert (fp["total_tiles"], fp["tile_rows"], fp["tile_cols"]) == (25, 5, 5)
    assert fp["speedup"].tolist() == [64, 8, 4, 4, 2, 2, 1, 8]
    np.testing.assert_allclose(
        fp["utilization"], [27 * 128 * 64 / 2**20, 0.5625, 0.5625, 0.75, 0.75, 0.9, 1, 10 * 8 / 1024]
    )
    assert float(fp["chip_utilization"]) == pytest.approx(19.5390625 / 25, rel=1e-6)
    assert fp["global_bus_width"] == 4608


def test_two_cells_per_weight_and_size_search():
    """8-bit weights in 4-bit cells: Ccol doubles; the NM PE search now has candidates
    1024 and 512 and keeps 512 (7 tiles of 9·512² beat 5 of 9·1024²)."""
    fp = np_floorplan(floorplan(FloorplanParams(synapse_bits=8.0, cell_bits=4.0), FloorplanConfig(VGG8)))
    assert fp["num_col_per_synapse"] == 2
    np.testing.assert_array_equal(fp["weight_cols"], 2 * np.array([l.out_channels for l in VGG8]))
    assert fp["pe_size_nm"] == 512
    assert fp["tiles"][1:6].tolist() == [1, 1, 1, 2, 2]


def test_subarray_sizes_vmap_equals_loop_and_jit_equals_eager():
    config = FloorplanConfig(VGG8)
    sizes = jnp.array([64.0, 128.0, 256.0])
    batched = jax.vmap(lambda s: floorplan(FloorplanParams(s, s), config))(sizes)
    jitted = jax.jit(floorplan)
    for i, s in enumerate([64.0, 128.0, 256.0]):
        eager = floorplan(FloorplanParams(s, s), config)
        jax.tree.map(lambda b, e: np.testing.assert_array_equal(b[i], e), batched, eager)
        jax.tree.map(np.testing.assert_array_equal, jitted(FloorplanParams(s, s), config), eager)
    # 64×64 sub-arrays: smaller tiles and PEs (CM 512/256, NM 256), more of them.
    assert batched.tile_size_cm.tolist() == [512, 1024, 1024]
    assert batched.pe_size_nm.tolist() == [256, 512, 512]
    assert batched.tiles[0].tolist() == [1, 1, 1, 1, 2, 4, 32, 2]


def test_no_recompile_for_new_parameter_values():
    f = jax.jit(lambda params, config: floorplan(params, config))  # a fresh cache
    config = FloorplanConfig(VGG8)
    f(FloorplanParams(jnp.float32(128), jnp.float32(128)), config)
    f(FloorplanParams(jnp.float32(64), jnp.float32(64)), config)
    assert f._cache_size() == 1


@pytest.mark.parametrize("mode", ["ste", "relaxed"])
def test_gradient_modes(mode):
    config = FloorplanConfig(VGG8, mode=mode)

    def chip(rows):
        fp = floorplan(FloorplanParams(rows, 128.0), config)
        return fp.total_tiles, fp.chip_utilization

    (tiles, util), (g_tiles, g_util) = jax.jit(jax.jvp, static_argnums=0)(chip, (128.0,), (1.0,))
    if mode == "ste":  # exact values, non-zero gradients
        assert float(tiles) == 15 and float(util) == pytest.approx(0.88594, abs=1e-5)
    else:  # smooth surrogate: finite, positive, same order of magnitude
        assert np.isfinite(float(tiles)) and 0 < float(util) <= 1
    assert np.isfinite(float(g_util)) and np.isfinite(float(g_tiles))
    assert float(g_util) != 0.0 or float(g_tiles) != 0.0
    g = jax.jit(jax.grad(lambda r: chip(r)[1]))(128.0)  # reverse mode agrees with forward mode
    assert float(g) == pytest.approx(float(g_util), rel=1e-5, abs=1e-12)
    # The exact mode is piecewise constant: zero gradient.
    exact = jax.jit(
        jax.grad(lambda r: floorplan(FloorplanParams(r, 128.0), FloorplanConfig(VGG8)).total_tiles)
    )
    assert float(exact(128.0)) == 0.0


def test_mlp_and_num_pe_nm_rule():
    mlp = tuple(network_layers(ModelConfig(name="mlp", hidden=256), (16, 16, 1)))
    config = FloorplanConfig(mlp)
    assert config.num_pe_nm == 1
    fp = floorplan(FloorplanParams(), config)
    # 256×256 and 256×10 weights, C_in ≥ 128: both NM with numPENM = 1, one 512² PE tile each.
    assert np.asarray(fp.novel).tolist() == [True, True] and np.asarray(fp.tiles).tolist() == [1, 1]
    tie = (LayerShape(8, 8, 16, 1, 1, 16, False), LayerShape(8, 8, 16, 3, 3, 16, False))
    assert FloorplanConfig(tie).num_pe_nm == 1  # tie → the first kernel size seen


def test_bad_inputs():
    with pytest.raises(ValueError, match="mode"):
        FloorplanConfig(VGG8, mode="soft")
    with pytest.raises(ValueError, match="empty"):
        FloorplanConfig(())
    with pytest.raises(ValueError, match="ints"):
        FloorplanConfig((LayerShape(1, 1, 0, 1, 1, 10, False),))
    with pytest.raises(ValueError, match="subarray_rows"):
        floorplan(FloorplanParams(subarray_rows=-128.0), FloorplanConfig(VGG8))
    assert hash(FloorplanConfig(list(VGG8))) == hash(FloorplanConfig(VGG8))  # lists become tuples
