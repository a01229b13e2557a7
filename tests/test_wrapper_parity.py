"""cimjax's training against NeuroSim V2.0's PyTorch wrapper (issue 18; benchmarks/wrapper_parity.py).

The fixtures in tests/fixtures/wrapper_training/ are the wrapper's per-step curves (numbers only,
NeuroSim commit d4de5bc) for a width-scaled VGG-8 on the Fashion-MNIST subset shipped with cimjax,
trained from cimjax's initial weights of each seed (docs/study.md "Checked against NeuroSim's
wrapper"). cimjax runs the same protocol here and its curves must lie in the wrapper's seed band.
"""

import argparse
import importlib.util
import os
import sys

import numpy as np
import pytest

from cimjax import data as data_lib
from cimjax.config import DataConfig

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "tests", "fixtures", "wrapper_training")


def _wp():
    name = "cimjax_benchmarks_wrapper_parity"
    if name not in sys.modules:
        path = os.path.join(ROOT, "benchmarks", "wrapper_parity.py")
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def _cimjax_runs(fixture: str, seeds, steps: int, evaluate: bool = True):
    wp = _wp()
    proto, wrapper = wp.fixture_runs(os.path.join(FIXTURES, fixture))
    ds = data_lib.load_dataset(DataConfig(name=proto["dataset"], image_shape=tuple(proto["image_shape"]),
                                          num_train=proto["num_train"], num_test=proto["heldout"]))
    data = {"train_images": ds.train_images, "train_labels": ds.train_labels,
            "test_images": ds.test_images, "test_labels": ds.test_labels}
    runs = []
    for seed in seeds:
        a = argparse.Namespace(seed=seed, width=proto["width"], steps=steps, batch=proto["batch"],
                               device=proto["device"]["name"], dataset=proto["dataset"], verbose=False,
                               evaluate=evaluate)
        runs.append(wp.train_run(a, data))
    return proto, wrapper, runs


@pytest.mark.slow
def test_first_step_equals_the_wrapper_fefet():
    """Seed 1, step 0 on the wrapper's default device (FeFET, momentum): the same weights on the
    same batch give the wrapper's loss and pulses per layer up to float summation order. Marked
    slow: building and running the VGG-8 step op by op takes ~75 s of CPU on the 2-core VM."""
    proto, wrapper, (run,) = _cimjax_runs("fefet.json", [1], 1, evaluate=False)
    w1 = next(r for r in wrapper if r["seed"] == 1)
    assert run["loss"][0] == pytest.approx(w1["loss"][0], rel=1e-3)
    np.testing.assert_allclose(run["pulses"][0], w1["pulses"][0], rtol=0.05)


@pytest.mark.slow
def test_first_steps_match_the_wrapper_fefet():
    """Seed 1, the first 10 steps on the wrapper's default device (FeFET, momentum).

    Step 0 starts from the same weights on the same batch, so its loss and its pulses per layer
    are the wrapper's up to float summation order (and the 8-bit error rounding it can flip).
    After that, each tool draws its own SR and c2c noise, so the check is statistical: one cimjax
    seed against the min–max of three wrapper seeds widened by the band's width on each side.
    A draw from the wrapper's own distribution lands there with probability 0.87 (normal
    model; 0.79 with a bias of one wrapper std, 0.60 with two): at least 75 % of the loss
    points and of the per-layer weight-std points must.
    """
    wp = _wp()
    steps = 10
    proto, wrapper, (run,) = _cimjax_runs("fefet.json", [1], steps, evaluate=False)
    w1 = next(r for r in wrapper if r["seed"] == 1)
    assert run["loss"][0] == pytest.approx(w1["loss"][0], rel=1e-3)
    np.testing.assert_allclose(run["pulses"][0], w1["pulses"][0], rtol=0.05)
    for key in ("loss", "w_std"):
        lo, hi = wp.band(wrapper, key, steps, widen=1.0)
        c = np.asarray(run[key][:steps])
        inside = (c >= lo) & (c <= hi)
        where = np.argwhere(~inside).tolist()
        assert inside.mean() >= 0.75, f"{key}: {inside.mean():.2f} in the widened band; outside at {where}"


@pytest.mark.slow
@pytest.mark.parametrize("fixture", ["fefet.json", "asym15.json"])
def test_same_seed_runs_agree_with_the_wrapper(fixture):
    """Three cimjax seeds over the fixture's whole length (20 steps), each against the wrapper's
    run of the same seed (same initial weights): the difference cimjax − wrapper of the loss,
    the weight mean, the weight std and the running pulse count, averaged over steps, seeds and
    layers, is within one wrapper seed-to-seed std; the held-out accuracy mean lies in the
    wrapper's band widened by its width.

    The per-step "seed mean inside the wrapper's min–max" fraction is reported by the
    benchmark but not asserted: the steps of a run are strongly correlated, so over 20 steps
    and 25 quantity-layer pairs it falls below one half somewhere by chance (the NL ±1.5
    fixture: conv6's weight mean 0.35, conv5's std 0.30, with paired differences of 0.2–0.3
    stds).
    """
    wp = _wp()
    stored, _ = wp.fixture_runs(os.path.join(FIXTURES, fixture))
    proto, wrapper, runs = _cimjax_runs(fixture, stored["seeds"], stored["steps"])
    s = wp.summary(runs, wrapper)
    for key in ("loss", "w_mean", "w_std", "cum_pulses"):
        assert abs(s["paired"][key]) <= 1.0, (key, s["paired"])
    acc = s["heldout_accuracy"]
    spread = max(acc["wrapper"]) - min(acc["wrapper"])
    assert min(acc["wrapper"]) - spread <= np.mean(acc["cimjax"]) <= max(acc["wrapper"]) + spread
