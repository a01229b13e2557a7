"""Grid files: validation at load time (naming the parameter), expansion and sampling."""

import numpy as np
import pytest

import helpers

from cimjax.config import Config, ConfigError
from cimjax.dse import grid as G


def parse(params, **kw):
    return G.parse_grid({"parameters": params, **kw}, Config(), source="test-grid")


@pytest.mark.parametrize(
    "params, match",
    [
        ({"adc_bitz": [4]}, "'adc_bitz' is unknown"),
        ({"adc_bits": []}, "'adc_bits': empty list"),
        ({"r_on": {"min": 1e6, "max": 1e4, "num": 3}}, "'r_on': empty range"),
        ({"r_on": {"min": 1e4, "max": 1e6, "num": 0}}, "'r_on': num = 0"),
        ({"adc_bits": {"min": 4.5, "max": 4.7}}, "'adc_bits' = 4.5 is out of range"),
        ({"adc_bits": [4, 13]}, "'adc_bits' = 13 is out of range"),
        ({"subarray_size": [100]}, "'subarray_size' = 100 is out of range"),
        ({"technology_node_nm": [5]}, "'technology_node_nm' = 5 is out of range"),
        ({"read_voltage": [0.0]}, "'read_voltage' = 0.0 is out of range"),
        ({"cell_type": ["pcm"]}, "'cell_type' = 'pcm' is invalid"),
        ({"cell_type": {"min": 1, "max": 2}}, "'cell_type': a choice takes a list"),
        ({"r_on": {"min": 1e4}}, "'r_on' = .*needs 'min' and 'max'"),
        ({"subarray_size": [64], "subarray_rows": [64]}, "'subarray_size' and 'subarray_rows'"),
        ({"batch_size": [0]}, "'batch_size' = 0 is out of range"),
    ],
)
def test_invalid_grid_fails_naming_the_parameter(params, match):
    with pytest.raises(ConfigError, match=match):
        parse(params)


def test_config_validation_is_reused():
    """A value inside the parameter's own range but rejected by HardwareConfig names both."""
    with pytest.raises(ConfigError, match=r"'on_off_ratio' = 1\.0 is out of range"):
        parse({"on_off_ratio": [1.0]})
    with pytest.raises(ConfigError, match="columns_per_adc"):
        G.check_points({"columns_per_adc": np.asarray([256.0]), "subarray_size": np.asarray([64.0])}, Config())


def test_bad_grid_keys():
    with pytest.raises(ConfigError, match="unknown grid key"):
        G.parse_grid({"parameters": {"adc_bits": [4]}, "samples": 3}, Config())
    with pytest.raises(ConfigError, match="needs num_samples"):
        parse({"adc_bits": [4]}, sample="lhs")
    with pytest.raises(ConfigError, match="objective 'power' is unknown"):
        parse({"adc_bits": [4]}, objectives=["power"])
    with pytest.raises(ConfigError, match="float range needs 'num'"):
        G.points(parse({"r_on": {"min": 1e4, "max": 1e6}}))


def test_cartesian_expansion():
    g = parse({"adc_bits": {"min": 3, "max": 5}, "subarray_size": {"min": 64, "max": 256},
               "r_on": {"min": 1e4, "max": 1e6, "num": 3}, "cell_type": ["rram", "fefet"]})
    pts = G.points(g)
    assert g.size() == 3 * 3 * 3 * 2 == len(pts["adc_bits"])
    assert sorted(set(pts["subarray_size"])) == [64.0, 128.0, 256.0]
    np.testing.assert_allclose(sorted(set(pts["r_on"])), [1e4, 1e5, 1e6])
    assert pts["cell_type"][0] == "rram" and pts["cell_type"][1] == "fefet"  # last varies fastest
    combos = {tuple(str(pts[k][i]) for k in pts) for i in range(g.size())}
    assert len(combos) == g.size()


@pytest.mark.parametrize("sample", ["random", "lhs"])
def test_sampling_is_seeded_and_in_range(sample):
    g = parse({"r_on": {"min": 1e4, "max": 1e6}, "adc_bits": {"min": 3, "max": 8},
               "subarray_size": [64, 128], "read_voltage": {"min": 0.1, "max": 0.8, "scale": "linear"}},
              sample=sample, num_samples=200, seed=3)
    a, b = G.points(g), G.points(g)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
    assert np.all((a["r_on"] >= 1e4) & (a["r_on"] <= 1e6))
    assert set(a["adc_bits"]) <= set(range(3, 9)) and set(a["subarray_size"]) <= {64.0, 128.0}
    if sample == "lhs":  # one design per stratum
        u = (a["read_voltage"] - 0.1) / 0.7
        assert sorted(np.floor(u * 200).astype(int)) == list(range(200))


def test_load_py_and_toml_examples(tmp_path):
    import os

    root = os.path.join(helpers.ROOT, "configs", "sweeps")
    for name in sorted(os.listdir(root)):
        g = G.load_grid(os.path.join(root, name), Config())
        assert g.size() >= 1
    bad = tmp_path / "bad.toml"
    bad.write_text("[parameters]\nadc_bits = [4, 99]\n")
    with pytest.raises(ConfigError, match="'adc_bits' = 99"):
        G.load_grid(str(bad), Config())
