"""What the in-situ training rules cost in hardware (issue 16 item 4; docs/algorithms.md "Hardware cost"):
``build.algorithm_counts`` from ``train.optimizer``, ``hw.algorithm_cost.algorithm_estimate``, the
endurance figures and ``cimjax estimate``'s rule table. The chip estimate itself must not change."""

import dataclasses
import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from cimjax import cli, host_eval
from cimjax.build import algorithm_counts, build, build_run
from cimjax.config import ConfigError, apply_overrides, load_config
from cimjax.estimate import algorithm_estimate_build, endurance_figures, estimate_build
from cimjax.hw.algorithm_cost import BUFFER_WORD_BITS, algorithm_estimate
from cimjax.optim import analog_algorithms as aa
from cimjax.trainer import pulsed_device

# The smoke MLP: fc1 256 → 64, fc2 64 → 10; batch 50, 20 iterations per epoch.
MLP = ["model.name=mlp", "model.hidden=64", "data.name=synthetic"]
RULES = ("neurosim", "analog_sgd", "ttv1", "ttv2", "cttv2", "agad", "mixed_precision")
N_IN, C_OUT = np.array([256.0, 64.0]), np.array([64.0, 10.0])


def _config(rule, *extra):
    sets = MLP + ([f"train.optimizer={rule}"] if rule != "neurosim" else []) + list(extra)
    return apply_overrides(load_config("configs/synthetic_smoke.py"), sets)


@pytest.fixture(scope="module")
def estimates():
    out = {}
    for rule in RULES:
        b = build(_config(rule))
        est = jax.device_get(estimate_build(b))
        out[rule] = (b, est, algorithm_estimate_build(b, est))
    return out


def _f(x):
    return float(np.asarray(x))


def test_the_chip_estimate_does_not_depend_on_the_rule(estimates):
    """SGD / NeuroSim numbers unchanged: the rule's cost is separate, the chip estimate identical."""
    _, ref, alg = estimates["neurosim"]
    for rule in RULES[1:]:
        est = estimates[rule][1]
        for a, b in zip(jax.tree.leaves(ref), jax.tree.leaves(est)):
            np.testing.assert_array_equal(a, b)
    # NeuroSim's single array: nothing added; at most max_level pulses per update (32 × 20).
    for name in ("array_area", "buffer_area", "transfer_reads", "adc_conversions", "buffer_bits_read"):
        assert _f(getattr(alg, name)) == 0.0, name
    assert _f(alg.transfer.energy) == 0.0 and _f(alg.transfer.latency) == 0.0
    assert _f(alg.max_pulses_per_epoch) == 32 * 20


@pytest.mark.parametrize("rule", ["ttv1", "ttv2", "cttv2", "agad"])
def test_tiki_taka_costs_a_second_array_reads_and_commits(estimates, rule):
    b, est, alg = estimates[rule]
    # Two arrays per weight (A and C): the extra area is one more copy of the cell arrays.
    assert _f(alg.array_area) == pytest.approx(_f(est.area.array), rel=1e-6) and _f(alg.array_area) > 0
    # batch/transfer_every = 50 column reads per layer and iteration, 20 iterations, 2 layers.
    assert _f(alg.transfer_reads) == pytest.approx(50 * 20 * 2)
    # Every cell column of a read row is converted: C_out cells per weight (5-bit cells hold a weight).
    assert _f(alg.adc_conversions) == pytest.approx(50 * 20 * C_OUT.sum())
    for part in (alg.transfer_read, alg.transfer_write):
        assert _f(part.energy) > 0 and _f(part.latency) > 0
    total = _f(alg.transfer_read.energy) + _f(alg.transfer_write.energy) + _f(alg.buffer.energy)
    assert _f(alg.transfer.energy) == pytest.approx(total, rel=1e-5)
    assert np.sum(alg.layer_energy) == pytest.approx(_f(alg.transfer.energy), rel=1e-5)
    if rule == "ttv1":  # no buffer
        assert _f(alg.buffer_area) == 0.0 and _f(alg.buffer.energy) == 0.0
    else:
        assert _f(alg.buffer_area) > 0 and _f(alg.buffer.energy) > 0
        # H: each read reads and writes the column's C_out words.
        if rule in ("ttv2", "cttv2"):
            assert _f(alg.buffer_bits_read) == pytest.approx(50 * 20 * C_OUT.sum() * BUFFER_WORD_BITS)
    # Endurance bound: A takes at most bl = 5 pulses per update, C transfer_bl = 1 per read of its
    # column, 50 reads per iteration over n_in = 64 columns in fc2: max(5, 50/64) × 20.
    assert _f(alg.max_pulses_per_epoch) == pytest.approx(5 * 20)


def test_agad_buffer_holds_its_statistics(estimates):
    ttv2, agad = estimates["ttv2"][2], estimates["agad"][2]
    # 5 words per weight (H and four statistics) against 1: about 5 times the area and traffic.
    assert 4.5 < _f(agad.buffer_area) / _f(ttv2.buffer_area) < 5.5
    assert _f(agad.buffer.energy) > 3 * _f(ttv2.buffer.energy)
    np.testing.assert_allclose(_f(agad.transfer_read.energy), _f(ttv2.transfer_read.energy), rtol=1e-6)


def test_mixed_precision_and_analog_sgd(estimates):
    _, _, mp = estimates["mixed_precision"]
    # χ: one word per weight, all read and written every update; no second array, no column reads.
    n_w = float(np.sum(N_IN * C_OUT))
    assert _f(mp.buffer_bits_read) == pytest.approx(n_w * BUFFER_WORD_BITS * 20)
    assert _f(mp.buffer_bits_written) == pytest.approx(n_w * BUFFER_WORD_BITS * 20)
    assert _f(mp.buffer_area) > 0 and _f(mp.buffer.energy) > 0 and _f(mp.buffer.latency) > 0
    assert _f(mp.array_area) == 0.0 and _f(mp.transfer_reads) == 0.0 and _f(mp.transfer_write.energy) == 0.0
    assert _f(mp.max_pulses_per_epoch) == 31 * 20  # bl per update
    _, _, sgd = estimates["analog_sgd"]
    assert _f(sgd.transfer.energy) == 0.0 and _f(sgd.array_area) == 0.0 and _f(sgd.buffer_area) == 0.0
    assert _f(sgd.max_pulses_per_epoch) == 31 * 20


def _alg_estimate(b, counts, array_area):
    return host_eval.call(lambda p, t, c, a: algorithm_estimate(p, b.chip, t, c, a), b.params, b.trace, counts,
                          jnp.asarray(array_area))


def test_transfer_cost_scales_with_the_reads(estimates):
    b, est, one = estimates["ttv2"]
    twice = _alg_estimate(b, b.algorithm._replace(reads_per_image=2.0 * b.algorithm.reads_per_image), est.area.array)
    for name in ("transfer_read", "transfer_write", "buffer"):
        for q in ("energy", "latency"):
            assert _f(getattr(getattr(twice, name), q)) == pytest.approx(2 * _f(getattr(getattr(one, name), q)),
                                                                         rel=1e-5), (name, q)
    assert _f(twice.buffer_area) == pytest.approx(_f(one.buffer_area), rel=1e-6)  # the same buffer
    # More pulses per commit cost more write energy, not more read energy.
    more = _alg_estimate(b, b.algorithm._replace(commit_pulses=4.0), est.area.array)
    assert _f(more.transfer_write.energy) > _f(one.transfer_write.energy)
    assert _f(more.transfer_read.energy) == pytest.approx(_f(one.transfer_read.energy), rel=1e-6)


def test_counts_follow_the_optimiser():
    """The reads per image are those step_gradient performs, and the counts follow train.optimizer."""
    config = _config("ttv2", "data.batch_size=6")
    counts = algorithm_counts(config)
    alg = aa.AnalogAlgorithm.of_config(config)
    assert alg.mat_vecs == config.data.batch_size == 6
    alg = alg.replace(a_reference="device")  # skips the symmetry-point search; the schedule is the same
    device = pulsed_device(config.device)

    @jax.jit
    def pointers(key):
        state = aa.init_state(alg, device, None, key, jnp.zeros((2, 16)))
        return state.pointer, aa.step_gradient(alg, device, None, state, jnp.ones((2, 16)) * 1e-3).pointer

    before, after = pointers(jax.random.PRNGKey(0))
    reads = int(after) - int(before)  # one column per read, 16 > 6 columns
    assert reads == 6 == pytest.approx(counts.reads_per_image * config.data.batch_size)
    counts = algorithm_counts(_config("ttv2"))
    np.testing.assert_allclose(counts.read_words_per_read, C_OUT)
    np.testing.assert_allclose(counts.buffer_words, N_IN * C_OUT)
    agad = algorithm_counts(_config("agad"))
    p = aa.AnalogAlgorithm.defaults("agad").agad_period
    np.testing.assert_allclose(agad.read_words_per_read, 5 * C_OUT + 2)
    np.testing.assert_allclose(agad.write_words_per_read, 3 * C_OUT + 2 + 2 * C_OUT / p)
    assert algorithm_counts(_config("ttv1")).extra_arrays == 1.0
    assert float(np.sum(algorithm_counts(_config("ttv1")).buffer_words)) == 0.0


def test_endurance_field_and_figures(estimates):
    with pytest.raises(ConfigError, match=r"device\.endurance_cycles"):
        _config("ttv2", "device.endurance_cycles=0")
    alg = estimates["ttv2"][2]
    fig = endurance_figures(alg, 1e6)
    assert fig["max_pulses_per_device_per_1e4_epochs"] == pytest.approx(1e4 * 100)
    assert fig["endurance_used_per_1e4_epochs"] == pytest.approx(1.0)
    assert fig["epochs_to_endurance"] == pytest.approx(1e4)
    assert "endurance_used_per_1e4_epochs" not in endurance_figures(alg)


def test_cli_estimate_shows_the_rule(tmp_path, capsys):
    argv = ["estimate", "--config", "configs/synthetic_smoke.py", "--out", str(tmp_path)]
    for o in MLP + ["train.optimizer=cttv2", "device.endurance_cycles=1e8"]:
        argv += ["--set", o]
    assert cli.main(argv) == 0
    text = capsys.readouterr().out
    for needle in ("training rule cttv2", "column reads of A", "commits to C", "endurance", "% of device.endurance"):
        assert needle in text, needle
    alg = json.loads((tmp_path / "estimate.json").read_text())["algorithm"]
    assert alg["optimizer"] == "cttv2" and alg["area"]["extra_arrays"] > 0 and alg["transfer"]["energy"] > 0
    assert alg["endurance"]["endurance_cycles"] == 1e8 and set(alg["layers"]) == {"layer1", "layer2"}


# ---------------------------------------------------------------------------------------------
# Measured counts (RuleCounts in the optimiser state, algorithm_counts.csv, the estimate from a run)


def test_counts_equal_a_hand_count_for_one_step():
    """One deterministic step_gradient on a 2×3 layer: the pulses sent to A and C, the reads and
    the commits are those counted by hand."""
    device = pulsed_device(_config("ttv2").device)
    g = jnp.asarray([[1.0, -0.4, 0.0], [0.2, 0.6, -1.0]])
    # TTv2, 2 mat-vecs per update, transfer_every 1: A gets |round(fast_lr·bl·mat_vecs·G/max|G|)| =
    # |round(5·G)| pulses; columns 0 and 1 are read; H holds 2.5, 0.3 | −0.7, −1.2 before, so
    # trunc cut to ±transfer_bl (1) commits one pulse to cells (0, 0) and (1, 1).
    tt = aa.AnalogAlgorithm.defaults("ttv2", update_mode="deterministic", mat_vecs=2, a_reference="device")
    sgd = aa.AnalogAlgorithm.defaults("analog_sgd", update_mode="deterministic", lr=0.1)
    target = jnp.asarray([[1.0, -2.0, 0.0], [3.0, 0.0, -7.0]])  # analog SGD: −lr·G/ε_C pulses

    @jax.jit
    def run(key):
        s = aa.init_state(tt, device, None, key, jnp.zeros((2, 3)))
        s = s._replace(a=s.cells_a.reference,  # read(A) = 0: the reads see A's fresh pulses only
                       h=jnp.asarray([[2.5, -0.7, 0.0], [0.3, -1.2, 0.0]]))
        s = aa.step_gradient(tt, device, None, s, g)
        s2 = aa.init_state(sgd, device, None, key, jnp.zeros((2, 3)))
        s2 = aa.step_gradient(sgd, device, None, s2, -target * s2.eps_c / sgd.lr)
        return s.counts, s2.counts

    tt_counts, sgd_counts = jax.device_get(run(jax.random.PRNGKey(3)))
    np.testing.assert_array_equal(tt_counts.pulses_a, [[5, 2, 0], [1, 3, 5]])
    np.testing.assert_array_equal(tt_counts.pulses_c, [[1, 0, 0], [0, 1, 0]])
    np.testing.assert_array_equal(tt_counts.last_a, [[-5, 2, 0], [-1, -3, 5]])  # signed: −λ_A·G/ε_A
    assert (tt_counts.reads, tt_counts.commits, tt_counts.commit_pulses, tt_counts.updates) == (2, 2, 2, 1)
    np.testing.assert_array_equal(sgd_counts.pulses_c, np.abs(target))
    assert sgd_counts.pulses_a is None and (sgd_counts.reads, sgd_counts.commits, sgd_counts.updates) == (0, 0, 1)
    s = aa.count_summary(tt_counts)
    assert (float(s["pulses_a"]), float(s["max_cell_pulses_a"]), float(s["max_cell_pulses_c"])) == (16, 5, 1)
    z = aa.reset_counts(aa.AnalogOptState({"fc": {"kernel": aa.AnalogState(*([None] * 14), counts=tt_counts)}}))
    assert float(jnp.sum(z.leaves["fc"]["kernel"].counts.pulses_a)) == 0.0


def _fake_run(tmp_path, config, counts_row):
    """A run directory with ``config``, the default trace and one ``algorithm_counts.csv`` row."""
    from cimjax import trace as trace_lib
    from cimjax.config import save_config
    from cimjax.hw.algorithm_cost import measured_columns
    from cimjax.report.files import write_csv

    names = ("fc1", "fc2")
    save_config(config, str(tmp_path / "config.json"))
    write_csv(str(tmp_path / "hardware_trace.csv"),
              [["epoch", *trace_lib.csv_columns(names)], [0, *trace_lib.to_row(trace_lib.default_trace(2))]])
    write_csv(str(tmp_path / "algorithm_counts.csv"), [["epoch", *measured_columns(names)], [0, *counts_row]])
    return tmp_path


def test_estimate_from_a_runs_counts_is_below_the_bound(tmp_path, capsys):
    """cimjax estimate --trace RUN uses the run's algorithm_counts.csv: with half the cells of each
    read committed, the commits cost less than the worst case; the endurance figure is the
    measured per-cell maximum; the reads are the run's. A config of another rule keeps the bound."""
    config = _config("ttv2", "device.endurance_cycles=1e6")
    updates, reads = 20.0, 1000.0  # 20 iterations × batch 50
    half = [0.5 * reads * 64, 0.5 * reads * 10]  # C_out 64, 10: half of each read column committed
    row = [updates, updates, reads, reads, *half, *half,  # updates, reads, commits, commit pulses
           1e4, 1e3, *half,  # pulses to A, to C
           60.0, 30.0, 7.0, 90.0,  # the most pulses one cell of A, of C received
           reads * 64, reads * 10, reads * 64, reads * 10]  # buffer words read, written
    run = _fake_run(tmp_path / "run", config, row)
    b = build_run(str(run))
    assert b.measured is not None and float(b.measured.max_cell_pulses_c[1]) == 90.0
    est = jax.device_get(estimate_build(b))
    measured = algorithm_estimate_build(b, est)
    bound = algorithm_estimate_build(dataclasses.replace(b, measured=None), est)
    assert float(measured.transfer_reads) == pytest.approx(float(bound.transfer_reads))  # the schedule's reads
    assert 0 < float(measured.transfer_write.energy) < float(bound.transfer_write.energy)
    assert float(measured.max_pulses_per_epoch) == pytest.approx(90.0)  # max over A, C and layers
    assert float(bound.max_pulses_per_epoch) == pytest.approx(100.0)  # A: bl 5 × 20 updates
    assert cli.main(["estimate", "--config", str(run), "--trace", str(run), "--out", str(tmp_path / "est")]) == 0
    assert "counts: measured" in capsys.readouterr().out
    alg = json.loads((tmp_path / "est" / "estimate.json").read_text())["algorithm"]
    assert alg["counts"].startswith("measured") and alg["endurance"]["max_pulses_per_device_per_epoch"] == 90.0
    assert build_run(str(run), config=_config("cttv2")).measured is None  # another rule: the bound
    (run / "algorithm_counts.csv").write_text("epoch,reads_fc1\n0,1\n")
    with pytest.raises(ConfigError, match="algorithm_counts.csv: 1 columns, expected 'epoch' and 20"):
        build_run(str(run))
